#!/usr/bin/env python3
"""A stand-in for `quarry serve`, for developing and testing the web UI without the Rust server.

Serves crates/quarry-server/ui/ and fake API and event-stream responses in the server contract's
shapes, searching a directory tree (repository `demo` by default) with a rough imitation of the
query language: literal and /regex/ patterns (all must match, lines matching any are shown),
lang:, file:, repo: (and their negations), case:yes, type:path, select:repo, count:N. Also a
second, in-memory repository with a git branch, a commit and a failed sync, so that the UI's
permalink and error display have something to show.

POST /api/repos/NAME/sync marks the repository syncing for a second.

Test hooks: POST /_mock/busy?n=N answers the next N searches with 429 (Retry-After: 2);
POST /_mock/auth?on=1 requires signing in (user `alice`, password `secret`).

Usage: mock_server.py --tree DIR [--name demo] [--listen 127.0.0.1:0] [--ui DIR]
Prints `listening on http://HOST:PORT` when ready.
"""

import argparse
import http.server
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_UI = os.path.join(HERE, '..', '..', 'crates', 'quarry-server', 'ui')

LANGS = {  # extension -> (name, lang: alias)
    'c': ('C', 'c'), 'h': ('C', 'c'), 'cc': ('C++', 'cpp'), 'cpp': ('C++', 'cpp'), 'hpp': ('C++', 'cpp'),
    'rs': ('Rust', 'rust'), 'go': ('Go', 'go'), 'py': ('Python', 'python'), 'js': ('JavaScript', 'javascript'),
    'ts': ('TypeScript', 'typescript'), 'java': ('Java', 'java'), 'sh': ('Shell', 'shell'), 'md': ('Markdown', 'markdown'),
    'txt': ('Text', 'text'), 'json': ('JSON', 'json'), 'toml': ('TOML', 'toml'), 'yaml': ('YAML', 'yaml'),
}

WIDGETS = {
    'name': 'github.com/example/widgets',
    'branch': 'main',
    'commit': '3f2a9c4e1b7d8a6f5e4c3b2a1908f7e6d5c4b3a2',
    'files': {
        'README.md': '# widgets\n\nSpinning widgets for the demo.\n',
        'widget.go': 'package widgets\n\n// Spin turns the widget.\nfunc Spin(n int) error {\n\tif n < 0 {\n\t\treturn fmt.Errorf("negative spin %d", n)\n\t}\n\treturn nil\n}\n',
    },
    'sync': {'state': 'error', 'lastFetchAt': None, 'lastSuccessAt': None,
             'lastError': 'git fetch: could not resolve host: example code host (is the network up?)', 'lastErrorAt': None},
}


class QueryError(Exception):
    def __init__(self, message, pos):
        super().__init__(message)
        self.pos = pos


def lang_of(path):
    base = path.rsplit('/', 1)[-1]
    ext = base.rsplit('.', 1)[-1].lower() if '.' in base else ''
    return LANGS.get(ext, (None, None))


TOKEN = re.compile(r'\s*(?:(-?[a-zA-Z]+:(?:"[^"]*"|\S+))|("(?:[^"\\]|\\.)*")|(/(?:[^/\\]|\\.)+/)|([()])|(\S+))')


def parse(q):
    if q.count('"') % 2:
        raise QueryError('unterminated quoted string', q.index('"'))
    pos, items = 0, []
    while pos < len(q):
        m = TOKEN.match(q, pos)
        if not m or m.end() == pos:
            break
        start = m.start(m.lastindex)
        items.append((m.lastindex, m.group(m.lastindex), start))
        pos = m.end()
    depth = 0
    for i, (kind, text, start) in enumerate(items):
        if kind == 4:
            depth += 1 if text == '(' else -1
            if depth < 0:
                raise QueryError('unbalanced parenthesis: ")" without "("', start)
        if kind == 5 and text in ('AND', 'OR', 'NOT'):
            if i == len(items) - 1:
                raise QueryError(f'expected a search term after {text}, found the end of the query', len(q))
            if i == 0 and text != 'NOT':
                raise QueryError(f'expected a search term before {text}', start)
    if depth:
        raise QueryError('unbalanced parenthesis: "(" without ")"', len(q))
    spec = {'patterns': [], 'lang': [], 'nlang': [], 'file': [], 'nfile': [], 'repo': [], 'nrepo': [],
            'case': False, 'type': None, 'select': None, 'count': 500, 'regexp': False}
    for kind, text, start in items:
        if kind == 1:
            field, value = text.split(':', 1)
            value = value.strip('"')
            neg = field.startswith('-')
            field = field.lstrip('-').lower()
            if field in ('lang', 'file', 'repo', 'f', 'r', 'l'):
                field = {'f': 'file', 'r': 'repo', 'l': 'lang'}.get(field, field)
                spec[('n' if neg else '') + field].append(value)
            elif field == 'case':
                spec['case'] = value == 'yes'
            elif field == 'type':
                spec['type'] = value
            elif field == 'select':
                spec['select'] = value
            elif field == 'count':
                spec['count'] = 10 ** 9 if value == 'all' else int(value)
            elif field == 'patterntype':
                spec['regexp'] = value == 'regexp'
            elif field == 'timeout':
                pass
            else:
                raise QueryError(f'unknown field "{field}"', start)
        elif kind == 2:
            spec['patterns'].append(('lit', bytes(text[1:-1], 'utf-8').decode('unicode_escape')))
        elif kind == 3:
            spec['patterns'].append(('re', text[1:-1]))
        elif kind == 5 and text not in ('AND', 'OR', 'NOT'):
            spec['patterns'].append(('re' if spec['regexp'] else 'lit', text))
    flags = 0 if spec['case'] else re.IGNORECASE
    try:
        spec['res'] = [re.compile(p if k == 're' else re.escape(p), flags) for k, p in spec['patterns']]
    except re.error as e:
        raise QueryError(f'invalid regular expression: {e}', 0)
    return spec


def mock_trace(spec, t0, files, lines):
    """A trace in the server's shape (SearchTrace): the plan names each literal's trigrams."""
    total = (time.time() - t0) * 1000
    grams = []
    for kind, p in spec['patterns']:
        text = p if spec['case'] else p.lower()
        grams.append('AND(' + ', '.join(f'"{text[i:i + 3]}" {files}' for i in range(len(text) - 2)) + ')'
                     if kind == 'lit' and len(text) >= 3 else 'ALL')
    condition = grams[0] if len(grams) == 1 else 'AND(' + ', '.join(grams) + ')' if grams else 'ALL'
    return {
        'totalMs': total,
        'stages': [{'name': 'parse', 'ms': 0.02}, {'name': 'plan', 'ms': 0.1},
                   {'name': 'shards', 'ms': max(0.0, total - 0.2)}, {'name': 'merge', 'ms': 0.05}],
        'shardWork': {'postingsMs': 0.05, 'verifyMs': max(0.0, total - 0.3)},
        'plan': {'query': ' '.join(f'"{p}"' for _, p in spec['patterns']), 'caseSensitive': spec['case'],
                 'limit': spec['count'], 'timeoutMs': 10000, 'condition': condition,
                 'patterns': [{'pattern': p, 'regex': p, 'content': g, 'path': None, 'required': [[p.lower()]]}
                              for (_, p), g in zip(spec['patterns'], grams)]},
        'shards': {'considered': 1, 'skippedByRevision': 0, 'skippedByRepo': 0, 'searched': 1, 'failed': 0},
        'candidateFiles': files, 'filesVerified': files, 'filesMatched': files, 'linesMatched': lines,
        'stoppedEarly': None,
        'slowestShards': [{'repo': 'demo', 'branch': '', 'shard': 'demo_v1.00000.qidx', 'ms': total,
                           'candidates': files, 'verified': files, 'matched': files}],
    }


class Data:
    def __init__(self, tree, name):
        self.repos = []
        files = {}
        if tree:
            for root, dirs, names in os.walk(tree):
                dirs[:] = sorted(d for d in dirs if d != '.git')
                for n in sorted(names):
                    full = os.path.join(root, n)
                    rel = os.path.relpath(full, tree).replace(os.sep, '/')
                    with open(full, 'rb') as f:
                        files[rel] = f.read().decode('utf-8', 'replace')
        now = int(time.time() * 1000)
        self.repos.append({'name': name, 'source': os.path.abspath(tree) if tree else '', 'branch': '', 'commit': '',
                           'files': files, 'indexedAt': now,
                           'sync': {'state': 'idle', 'lastFetchAt': None, 'lastSuccessAt': now, 'lastError': None, 'lastErrorAt': None}})
        w = dict(WIDGETS, source='https://example.invalid/widgets.git', indexedAt=now - 86400000)
        w['sync'] = dict(WIDGETS['sync'], lastFetchAt=now - 60000, lastErrorAt=now - 60000, lastSuccessAt=now - 86400000)
        self.repos.append(w)

    def repo_json(self, r):
        return {'name': r['name'], 'source': r['source'],
                'branches': [{'name': r['branch'], 'commit': r['commit'], 'indexedAt': r['indexedAt'], 'files': len(r['files']),
                              'bytes': sum(len(c.encode()) for c in r['files'].values())}],
                'sync': r['sync']}

    def find(self, name):
        return next((r for r in self.repos if r['name'] == name), None)


def search(data, spec):
    """Yields match objects in the contract's shapes."""
    lines_left = spec['count']
    for rid, r in enumerate(data.repos, 1):
        if spec['repo'] and not all(re.search(p, r['name']) for p in spec['repo']):
            continue
        if any(re.search(p, r['name']) for p in spec['nrepo']):
            continue
        if spec['select'] == 'repo':
            if any(file_match(r, rid, p, c, spec) for p, c in r['files'].items()):
                yield {'type': 'repo', 'repository': r['name'], 'repositoryID': rid, 'branches': [r['branch']]}
            continue
        for path, content in r['files'].items():
            if lines_left <= 0:
                return
            m = file_match(r, rid, path, content, spec)
            if m:
                lines_left -= max(1, len(m.get('lineMatches', [])))
                yield m


def file_match(r, rid, path, content, spec):
    name, alias = lang_of(path)
    langs_ok = lambda vals: any((name or '').lower() == v.lower() or (alias or '') == v.lower() for v in vals)
    if spec['lang'] and not langs_ok(spec['lang']):
        return None
    if spec['nlang'] and langs_ok(spec['nlang']):
        return None
    if spec['file'] and not all(re.search(p, path) for p in spec['file']):
        return None
    if any(re.search(p, path) for p in spec['nfile']):
        return None
    res = spec['res']
    base = {'repository': r['name'], 'repositoryID': rid, 'branches': [r['branch']], 'commit': r['commit'], 'path': path}
    if name:
        base['language'] = name
    if not res:
        return dict(base, type='path')
    path_ranges = [(m.start(), m.end()) for rx in res for m in rx.finditer(path)]
    in_path = all(rx.search(path) for rx in res)
    if spec['type'] == 'path':
        if not in_path:
            return None
        return dict(base, type='path', pathMatches=[rng(path, s, e) for s, e in path_ranges])
    if not all(rx.search(content) or rx.search(path) for rx in res):
        return None
    line_matches = []
    for i, line in enumerate(content.split('\n')):
        spans = sorted({(m.start(), m.end() - m.start()) for rx in res for m in rx.finditer(line) if m.end() > m.start()})
        if spans:
            line_matches.append({'line': line, 'lineNumber': i, 'offsetAndLengths': [list(s) for s in spans]})
    if not line_matches:
        if not in_path:
            return None
        return dict(base, type='path', pathMatches=[rng(path, s, e) for s, e in path_ranges])
    out = dict(base, type='content', lineMatches=line_matches)
    if path_ranges:
        out['pathMatches'] = [rng(path, s, e) for s, e in path_ranges]
    return out


def rng(path, s, e):
    b = lambda i: len(path[:i].encode())
    return {'start': {'offset': b(s), 'line': 0, 'column': s}, 'end': {'offset': b(e), 'line': 0, 'column': e}}


def filters_of(matches):
    repos, langs, exts = {}, {}, {}
    for m in matches:
        n = sum(len(l['offsetAndLengths']) for l in m.get('lineMatches', [])) or 1
        repos[m['repository']] = repos.get(m['repository'], 0) + n
        if m.get('path'):
            name, alias = lang_of(m['path'])
            if name:
                langs[(name, alias)] = langs.get((name, alias), 0) + n
            base = m['path'].rsplit('/', 1)[-1]
            if '.' in base.lstrip('.'):
                ext = base.rsplit('.', 1)[1]
                exts[ext] = exts.get(ext, 0) + n
    out = []
    for r, c in sorted(repos.items(), key=lambda x: -x[1]):
        out.append({'value': 'repo:^' + re.sub(r'([.+*?()|\[\]{}^$#&\-~ \\])', r'\\\1', r) + '$', 'label': r, 'count': c, 'exhaustive': True, 'kind': 'repo'})
    for (name, alias), c in sorted(langs.items(), key=lambda x: -x[1]):
        out.append({'value': 'lang:' + alias, 'label': name, 'count': c, 'exhaustive': True, 'kind': 'lang'})
    for e, c in sorted(exts.items(), key=lambda x: -x[1]):
        out.append({'value': 'file:\\.' + e + '$', 'label': '.' + e, 'count': c, 'exhaustive': True, 'kind': 'file'})
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'quarry-mock'

    def log_message(self, fmt, *args):
        if os.environ.get('MOCK_VERBOSE'):
            sys.stderr.write('mock: ' + fmt % args + '\n')

    # ---- helpers ----
    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, path, ctype):
        try:
            with open(path, 'rb') as f:
                body = f.read()
        except OSError:
            return self.send_json(404, {'error': 'no such asset'})
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-cache')
        self.end_headers()
        self.wfile.write(body)

    def user(self):
        st = self.server.state
        cookie = self.headers.get('Cookie') or ''
        for part in cookie.split(';'):
            k, _, v = part.strip().partition('=')
            if k == 'quarry_session' and v in st['sessions']:
                return st['sessions'][v]
        return None

    def authorized(self):
        return not self.server.state['auth'] or self.user() is not None

    # ---- routes ----
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        path, qs = u.path, urllib.parse.parse_qs(u.query)
        st = self.server.state
        if path.startswith('/_ui/'):
            name = os.path.basename(path)
            ctype = {'js': 'text/javascript', 'css': 'text/css', 'svg': 'image/svg+xml', 'html': 'text/html'}.get(name.rsplit('.', 1)[-1], 'application/octet-stream')
            return self.send_file(os.path.join(self.server.ui, name), ctype + ('; charset=utf-8' if 'text' in ctype else ''))
        if path == '/healthz':
            return self.send_json(200, {'ok': True})
        if path == '/api/me':
            u = self.user()
            return self.send_json(200, {'user': {'name': u, 'admin': True} if u else None, 'authRequired': st['auth']})
        if path.startswith('/api/') or path.startswith('/.api/'):
            if not self.authorized():
                return self.send_json(401, {'error': 'sign in first: POST /api/login'})
            if path == '/.api/search/stream':
                return self.stream(qs.get('q', [''])[0], qs.get('trace', [''])[0] == '1')
            if path == '/api/repos':
                return self.send_json(200, [self.server.data.repo_json(r) for r in self.server.data.repos])
            m = re.match(r'^/api/repos/(.+?)(/blob)?$', u.path)
            if m:
                name = urllib.parse.unquote(m.group(1))
                r = self.server.data.find(name)
                if not r:
                    return self.send_json(404, {'error': f'no repository named {name!r}: see GET /api/repos for the list'})
                if not m.group(2):
                    return self.send_json(200, self.server.data.repo_json(r))
                p = qs.get('path', [''])[0]
                rev = qs.get('rev', [''])[0]
                if rev not in ('', r['branch'], r['commit']):
                    return self.send_json(404, {'error': f'{name} has no revision {rev!r} indexed'})
                if p not in r['files']:
                    return self.send_json(404, {'error': f'no file {p!r} in {name}'})
                return self.send_json(200, {'repository': name, 'path': p, 'rev': rev or r['branch'], 'commit': r['commit'],
                                            'language': lang_of(p)[0] or '', 'content': r['files'][p]})
            return self.send_json(404, {'error': f'no API endpoint {path}'})
        return self.send_file(os.path.join(self.server.ui, 'index.html'), 'text/html; charset=utf-8')

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        qs = urllib.parse.parse_qs(u.query)
        st = self.server.state
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        if u.path == '/_mock/busy':
            st['busy'] = int(qs.get('n', ['1'])[0])
            return self.send_json(200, {'ok': True})
        if u.path == '/_mock/auth':
            st['auth'] = qs.get('on', ['1'])[0] == '1'
            st['sessions'].clear()
            return self.send_json(200, {'ok': True})
        m = re.match(r'^/api/repos/(.+)/sync$', u.path)
        if m:
            if not self.authorized():
                return self.send_json(401, {'error': 'sign in first: POST /api/login'})
            r = self.server.data.find(urllib.parse.unquote(m.group(1)))
            if not r:
                return self.send_json(404, {'error': 'no such repository'})
            r['sync']['state'] = 'syncing'

            def finish():
                time.sleep(1)
                now = int(time.time() * 1000)
                r['sync'].update(state='idle', lastFetchAt=now, lastSuccessAt=now)
            threading.Thread(target=finish, daemon=True).start()
            return self.send_json(202, {'queued': r['name']})
        if u.path == '/api/login':
            try:
                req = json.loads(body or b'{}')
            except ValueError:
                return self.send_json(400, {'error': 'send JSON {"user", "password"}'})
            if req.get('user') == 'alice' and req.get('password') == 'secret':
                tok = secrets.token_hex(16)
                st['sessions'][tok] = 'alice'
                return self.send_json(200, {'user': {'name': 'alice', 'admin': True}},
                                      {'Set-Cookie': f'quarry_session={tok}; Path=/; HttpOnly; SameSite=Lax'})
            return self.send_json(401, {'error': 'wrong user name or password'})
        if u.path == '/api/logout':
            return self.send_json(200, {'ok': True}, {'Set-Cookie': 'quarry_session=; Path=/; Max-Age=0'})
        return self.send_json(404, {'error': 'no such endpoint'})

    def stream(self, q, trace=False):
        st = self.server.state
        with st['lock']:
            busy = st['busy'] > 0
            if busy:
                st['busy'] -= 1
        if busy:
            return self.send_json(429, {'error': 'too many searches are running: retry in a second'}, {'Retry-After': '2'})
        if not q.strip():
            return self.send_json(400, {'error': 'no query: pass q=QUERY'})
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Cache-Control', 'no-cache')
        self.send_header('X-Accel-Buffering', 'no')
        self.send_header('Connection', 'close')
        self.end_headers()
        self.close_connection = True
        t0 = time.time()

        def ev(name, data):
            self.wfile.write(f'event: {name}\ndata: {json.dumps(data)}\n\n'.encode())
            self.wfile.flush()

        def progress(done, count, skipped=()):
            ev('progress', {'done': done, 'matchCount': count, 'durationMs': int((time.time() - t0) * 1000),
                            'repositoriesCount': len(self.server.data.repos), 'skipped': list(skipped)})
        try:
            try:
                spec = parse(q)
            except QueryError as e:
                ev('alert', {'title': 'Invalid query', 'description': f'{e}\n  {q}\n  {" " * e.pos}^', 'proposedQueries': None})
                progress(True, 0)
                ev('done', {})
                return
            ev('filters', [])
            progress(False, 0)
            all_matches, count, batch, lines = [], 0, [], 0
            for m in search(self.server.data, spec):
                lines += max(1, len(m.get('lineMatches', [])))
                all_matches.append(m)
                count += sum(len(l['offsetAndLengths']) for l in m.get('lineMatches', [])) or 1
                batch.append(m)
                if len(batch) == 3:
                    ev('matches', batch)
                    batch = []
                    progress(False, count)
                    time.sleep(0.03 if len(all_matches) < 30 else 0.001)
            if batch:
                ev('matches', batch)
            ev('filters', filters_of(all_matches))
            skipped = []
            if lines >= spec['count']:
                skipped.append({'reason': 'shard-match-limit', 'title': f'result limit ({spec["count"]}) hit',
                                'message': f'The search stopped at {spec["count"]} matching lines.', 'severity': 'info',
                                'suggested': {'title': 'show all results', 'queryExpression': 'count:all'}})
            progress(True, count, skipped)
            if trace:
                ev('trace', mock_trace(spec, t0, len(all_matches), lines))
            ev('done', {})
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tree', required=True)
    ap.add_argument('--name', default='demo')
    ap.add_argument('--listen', default='127.0.0.1:0')
    ap.add_argument('--ui', default=DEFAULT_UI)
    args = ap.parse_args()
    host, port = args.listen.rsplit(':', 1)
    srv = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    srv.daemon_threads = True
    srv.ui = os.path.abspath(args.ui)
    srv.data = Data(args.tree, args.name)
    srv.state = {'busy': 0, 'auth': False, 'sessions': {}, 'lock': threading.Lock()}
    print(f'listening on http://{host}:{srv.server_address[1]}', flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
