#!/usr/bin/env python3
"""Browser test of quarry's web UI in headless Chromium, over raw W3C WebDriver (stdlib only).

    ui_test.py --quarry BIN     index a small tree with BIN, run `BIN serve`, test the UI against it
    ui_test.py --mock           the same against tests/ui/mock_server.py (plus mock-only checks:
                                429 retry, sign-in, permalink, sync error)

Screenshots of each step go to tests/ui/out/. Ends with `ui: N passed, M failed`; exits non-zero
on failure.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'out')
ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'

TREE = {
    'src/hello.c': '#include <stdio.h>\n\n/* Prints a greeting. */\nstatic int hello_count = 0;\n\nint main(void) {\n'
                   '    printf("hello, world\\n");\n    hello_count++;\n    return 0;\n}\n',
    'scripts/greet.py': '#!/usr/bin/env python3\n"""Greets people."""\n\ndef hello(name: str) -> str:\n'
                        '    return f"Hello, {name}!"\n\nif __name__ == "__main__":\n    print(hello("world"))\n',
    'lib/util.rs': "/// Says hello.\npub fn hello() -> &'static str {\n    \"hello\"\n}\n",
    'docs/notes.txt': 'Nothing to see here.\n',
    'big/many.txt': ''.join(f'needle number {i}\n' for i in range(1, 41)),
}
# Hostile content and file name: must show as text, never run.
TREE['web/x<i>y&z.html'] = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> xsscheck\n'
# Enough files matching one word to need incremental rendering (more than the 500-line default limit).
TREE.update({f'many/f{i:04}.txt': f'haystack {i}\n' for i in range(600)})


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_http(url, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'{what} exited with status {proc.returncode}')
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f'{what} did not answer {url} within {timeout}s')


class WebDriver:
    """The few W3C WebDriver commands the test needs."""

    def __init__(self, port):
        self.base = f'http://127.0.0.1:{port}'
        self.sid = None

    def cmd(self, method, path, body=None):
        url = self.base + (f'/session/{self.sid}' if self.sid else '') + path
        data = json.dumps(body if body is not None else {}).encode() if method == 'POST' else None
        req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b'null').get('value')
        except urllib.error.HTTPError as e:
            raise RuntimeError(f'webdriver {method} {path}: {e.read().decode(errors="replace")[:500]}') from None

    def start(self, chromium):
        caps = {'capabilities': {'alwaysMatch': {
            'browserName': 'chrome',
            'goog:chromeOptions': {'binary': chromium, 'args': [
                '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1280,900', '--force-device-scale-factor=1', '--lang=en-US']},
            'goog:loggingPrefs': {'browser': 'ALL'},
        }}}
        self.sid = self.cmd('POST', '/session', caps)['sessionId']

    def quit(self):
        if self.sid:
            try:
                self.cmd('DELETE', '')
            except Exception:
                pass
            self.sid = None

    def get(self, url):
        self.cmd('POST', '/url', {'url': url})

    def js(self, script, *args):
        return self.cmd('POST', '/execute/sync', {'script': script, 'args': list(args)})

    def find(self, css):
        return self.cmd('POST', '/element', {'using': 'css selector', 'value': css})[ELEMENT]

    def click(self, css):
        self.cmd('POST', f'/element/{self.find(css)}/click')

    def keys(self, text):
        """Types into whatever has focus (as a person would)."""
        acts = []
        for ch in text:
            acts += [{'type': 'keyDown', 'value': ch}, {'type': 'keyUp', 'value': ch}]
        self.cmd('POST', '/actions', {'actions': [{'type': 'key', 'id': 'kbd', 'actions': acts}]})
        self.cmd('DELETE', '/actions')

    def chord(self, modifier, key):
        self.cmd('POST', '/actions', {'actions': [{'type': 'key', 'id': 'kbd', 'actions': [
            {'type': 'keyDown', 'value': modifier}, {'type': 'keyDown', 'value': key},
            {'type': 'keyUp', 'value': key}, {'type': 'keyUp', 'value': modifier}]}]})
        self.cmd('DELETE', '/actions')

    def shift_click(self, css):
        el = {ELEMENT: self.find(css)}
        self.cmd('POST', '/actions', {'actions': [
            {'type': 'key', 'id': 'kbd', 'actions': [{'type': 'keyDown', 'value': SHIFT}, {'type': 'pause'}, {'type': 'pause'},
                                                     {'type': 'pause'}, {'type': 'keyUp', 'value': SHIFT}]},
            {'type': 'pointer', 'id': 'mouse', 'parameters': {'pointerType': 'mouse'}, 'actions': [
                {'type': 'pause'}, {'type': 'pointerMove', 'origin': el, 'x': 0, 'y': 0},
                {'type': 'pointerDown', 'button': 0}, {'type': 'pointerUp', 'button': 0}, {'type': 'pause'}]}]})
        self.cmd('DELETE', '/actions')

    def screenshot(self, name):
        png = base64.b64decode(self.cmd('GET', '/screenshot'))
        with open(os.path.join(OUT, name + '.png'), 'wb') as f:
            f.write(png)

    def cdp(self, cmd, params):
        return self.cmd('POST', '/goog/cdp/execute', {'cmd': cmd, 'params': params})

    def browser_log(self):
        try:
            return self.cmd('POST', '/se/log', {'type': 'browser'}) or []
        except RuntimeError:
            return []

    def wait(self, script, *args, timeout=10, what='condition'):
        """Polls a JS expression (the body of a function) until it returns something truthy."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.js(script, *args)
            except RuntimeError as e:
                last = e
            if last and not isinstance(last, Exception):
                return last
            time.sleep(0.05)
        raise AssertionError(f'timed out waiting for {what} (last: {last!r})')


ENTER = '\ue007'
SHIFT = '\ue008'
CONTROL = '\ue009'


class UiTest:
    def __init__(self, wd, base, mock):
        self.wd, self.base, self.mock = wd, base, mock
        self.passed, self.failed = 0, 0

    def check(self, name, fn):
        t0 = time.time()
        try:
            fn()
            self.passed += 1
            print(f'ok    {name} ({time.time() - t0:.1f}s)', flush=True)
        except Exception as e:
            self.failed += 1
            print(f'FAIL  {name}: {e}', flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()
            try:
                self.wd.screenshot(f'FAIL-{name}')
                print(f'      at {self.wd.js("return location.href")}; screenshot out/FAIL-{name}.png', flush=True)
            except Exception:
                pass

    def skip(self, name, why):
        print(f'skip  {name}: {why}', flush=True)

    def results_done(self):
        self.wd.wait('return document.querySelector("#results")?.dataset.state === "done"', timeout=20, what='search to finish')

    def open_search(self, q):
        self.wd.get(self.base + '/search?' + urllib.parse.urlencode({'q': q}))
        self.results_done()

    def heads(self):
        return self.wd.js('return [...document.querySelectorAll(".result-head")].map(h => ({repo: h.querySelector(".repo")?.textContent, path: h.querySelector(".path")?.textContent}))')

    # ---- the steps ----

    def home(self):
        wd = self.wd
        wd.get(self.base + '/')
        wd.wait('return document.querySelector("#home-q")', what='the home search box')
        wd.wait('return document.querySelector("#home-repos a")?.textContent === "demo"', what='the repository list to show demo')
        assert wd.js('return document.title').startswith('quarry'), 'title'
        assert wd.js('return document.querySelectorAll(".examples a").length') >= 3, 'examples'
        assert wd.js('return document.querySelectorAll(".syntax tbody tr").length') >= 8, 'syntax help'
        wd.screenshot('01-home')

    def slash_focuses_search(self):
        wd = self.wd
        wd.js('document.activeElement && document.activeElement.blur()')
        wd.keys('/')
        active = wd.js('return document.activeElement.id')
        assert active == 'home-q', f'"/" focused {active!r}, not the search box'

    def search_results(self):
        wd = self.wd
        wd.keys('hello' + ENTER)
        wd.wait('return location.pathname === "/search"', what='the URL /search?q=...')
        q = wd.js('return new URLSearchParams(location.search).get("q")')
        assert q == 'hello', f'q={q!r}'
        self.results_done()
        heads = self.heads()
        paths = {h['path'] for h in heads}
        assert {'src/hello.c', 'scripts/greet.py', 'lib/util.rs'} <= paths, f'result paths: {sorted(paths)}'
        assert all(h['repo'] == 'demo' for h in heads), f'repos: {heads}'
        marks = wd.js('return [...document.querySelectorAll(".snippet mark")].map(m => m.textContent)')
        assert len(marks) >= 5 and all(m.lower() == 'hello' for m in marks), f'marks: {marks}'
        # lineNumber is 0-based on the wire: line 7 of hello.c is the printf.
        line7 = wd.js('''const r = [...document.querySelectorAll(".result")].find(r => r.querySelector(".path").textContent === "src/hello.c");
            const l = r && r.querySelector('.line[data-line="7"] .code'); return l && l.textContent''')
        assert line7 and 'printf("hello, world' in line7, f'line 7 of src/hello.c shows {line7!r}'
        toks = wd.js('return document.querySelectorAll(".snippet .tok-kw, .snippet .tok-str, .snippet .tok-type").length')
        assert toks > 0, 'no syntax highlighting in snippets'
        progress = wd.js('return document.querySelector("#progress").textContent')
        assert 'result' in progress, f'progress: {progress!r}'
        wd.screenshot('02-results')

    def language_filter(self):
        wd = self.wd
        if wd.js('return location.pathname') != '/search':
            self.open_search('hello')
        wd.wait('return [...document.querySelectorAll(".filter-group[data-kind=lang] .filter .label")].some(l => l.textContent === "Python")',
                what='the Python language filter')
        wd.screenshot('02b-filters')
        wd.js('[...document.querySelectorAll(".filter-group[data-kind=lang] .filter")].find(f => f.querySelector(".label").textContent === "Python").setAttribute("id", "py-filter")')
        wd.click('#py-filter')
        wd.wait('return /lang:/.test(new URLSearchParams(location.search).get("q"))', what='lang: in the URL')
        q = wd.js('return new URLSearchParams(location.search).get("q")')
        assert q.startswith('hello lang:') and 'python' in q.lower(), f'q={q!r}'
        self.results_done()
        paths = [h['path'] for h in self.heads()]
        assert paths and all(p.endswith('.py') for p in paths), f'after the filter: {paths}'
        active = wd.js('return [...document.querySelectorAll(".filter.active .label")].map(l => l.textContent)')
        assert 'Python' in active, f'active filters: {active}'
        assert wd.js('return document.querySelector("#q").value') == q, 'the search box shows the query'
        wd.screenshot('03-filtered')

    def open_result(self):
        wd = self.wd
        self.open_search('hello lang:python')
        # Click on the code of the `def hello` line (line 4), not on its number.
        wd.wait('return document.querySelector(\'.line[data-line="4"] .code\')', what='line 4 of greet.py')
        wd.click('.line[data-line="4"] .code')
        wd.wait('return location.pathname.includes("/-/blob/")', what='the file view')
        assert wd.js('return location.pathname') == '/demo/-/blob/scripts/greet.py', wd.js('return location.pathname')
        assert wd.js('return location.hash') == '#L4', wd.js('return location.hash')
        wd.wait('return document.querySelector(".code-view .l.sel")', what='the selected line')
        sel = wd.js('return [...document.querySelectorAll(".code-view .l.sel")].map(l => [l.id, l.textContent])')
        assert len(sel) == 1 and sel[0][0] == 'L4' and 'def hello' in sel[0][1], f'selected: {sel}'
        n = wd.js('return document.querySelectorAll(".code-view .l").length')
        assert n == 8, f'{n} lines rendered, want 8'
        assert wd.js('return document.querySelectorAll(".code-view .tok-kw").length') > 0, 'no syntax highlighting in the file'
        assert wd.js('return document.querySelector(".code-view .l#L1 .tok-meta, .code-view .l#L1 .tok-com") !== null'), 'shebang not highlighted'
        wd.screenshot('04-file')

    def line_range(self):
        wd = self.wd
        if '/-/blob/' not in wd.js('return location.pathname'):
            wd.get(self.base + '/demo/-/blob/scripts/greet.py')
            wd.wait('return document.querySelector(".code-view .l")', what='the file view')
        wd.click('#L2 .ln')
        assert wd.js('return location.hash') == '#L2', wd.js('return location.hash')
        wd.shift_click('#L5 .ln')
        h = wd.js('return location.hash')
        assert h == '#L2-5', f'hash after shift-click: {h}'
        sel = wd.js('return [...document.querySelectorAll(".code-view .l.sel")].map(l => l.id)')
        assert sel == ['L2', 'L3', 'L4', 'L5'], f'selected: {sel}'
        # Reloading the URL keeps the selection.
        wd.get(wd.js('return location.href'))
        wd.wait('return document.querySelectorAll(".code-view .l.sel").length === 4', what='the range after a reload')
        wd.screenshot('05-range')

    def repo_page(self):
        wd = self.wd
        if not wd.js('return document.querySelector(".crumbs .repo")'):
            wd.get(self.base + '/demo/-/blob/scripts/greet.py')
            wd.wait('return document.querySelector(".crumbs .repo")', what='breadcrumbs')
        wd.click('.crumbs .repo')
        wd.wait('return location.pathname === "/demo"', what='the repository page URL')
        wd.wait('return document.querySelector("table.branches tbody tr")', what='the branch table')
        row = wd.js('return [...document.querySelectorAll("table.branches tbody tr td")].map(td => td.textContent.trim())')
        assert len(row) == 5 and row[3] == str(len(TREE)), f'branch row: {row}'
        state = wd.js('return document.querySelector("#sync-state .badge").dataset.state')
        # "static": the server reports no sync status (`sync: null`), as for a repository that
        # `quarry index` made and `quarry serve` only serves.
        assert state in ('idle', 'syncing', 'error', 'static'), f'sync state {state!r}'
        text = wd.js('return document.querySelector("#repo-body").textContent')
        if state == 'static':
            assert 'not kept in sync' in text, text[:300]
        else:
            assert 'Last error' in text and 'Last success' in text, text[:300]
        assert wd.js('return document.querySelector("h1.repo-name").textContent') == 'demo'
        wd.screenshot('06-repo')

    def invalid_query(self):
        wd = self.wd
        wd.get(self.base + '/search?q=hello')
        self.results_done()
        wd.js('document.activeElement && document.activeElement.blur()')
        wd.keys('/')
        assert wd.js('return document.activeElement.id') == 'q', '"/" focuses the header search box'
        wd.chord(CONTROL, 'a')
        wd.keys('foo AND' + ENTER)
        wd.wait('return new URLSearchParams(location.search).get("q") === "foo AND"', what='the URL of the new query')
        wd.wait('return document.querySelector(".notice.alert")', what='the alert')
        title = wd.js('return document.querySelector(".alert-title").textContent')
        desc = wd.js('return document.querySelector(".alert-description")?.textContent || ""')
        assert title == 'Invalid query', f'alert title {title!r}'
        assert 'AND' in desc and '^' in desc, f'alert description {desc!r}'
        assert wd.js('return document.querySelectorAll(".result").length') == 0
        wd.screenshot('07-invalid-query')

    def show_more_lines(self):
        wd = self.wd
        self.open_search('needle')
        n = wd.js('return document.querySelectorAll(".result .line").length')
        assert n == 10, f'{n} lines shown before "show more", want 10'
        label = wd.js('return document.querySelector(".more-lines").textContent')
        assert '30' in label, label
        wd.click('.more-lines')
        n = wd.js('return document.querySelectorAll(".result .line").length')
        assert n == 40, f'{n} lines after "show more", want 40'
        assert not wd.js('return document.querySelector(".more-lines")'), 'the button goes away'

    def keyboard_navigation(self):
        wd = self.wd
        self.open_search('hello')
        wd.js('document.activeElement && document.activeElement.blur()')
        wd.keys('j')
        first = wd.js('return document.activeElement.matches(".result-head .path") && document.activeElement.textContent')
        assert first == self.heads()[0]['path'], f'j focused {first!r}'
        wd.keys('j')
        second = wd.js('return document.activeElement.textContent')
        assert second == self.heads()[1]['path'], f'second j focused {second!r}'
        wd.keys('k' + ENTER)
        wd.wait('return location.pathname.includes("/-/blob/")', what='Enter to open the focused result')
        assert wd.js('return decodeURIComponent(location.pathname)').endswith('/' + first)
        assert wd.js('return location.hash').startswith('#L')

    def help_dialog(self):
        wd = self.wd
        wd.get(self.base + '/search?q=hello')
        self.results_done()
        wd.js('document.activeElement && document.activeElement.blur()')
        wd.keys('?')
        wd.wait('return document.querySelector("#help-dialog").open', what='the help dialog')
        assert wd.js('return document.querySelectorAll("#help-dialog .syntax tr").length') > 5
        wd.screenshot('13-help')
        wd.keys('\ue00c')  # Escape
        wd.wait('return !document.querySelector("#help-dialog").open', what='Escape to close the dialog')

    def many_results(self):
        wd = self.wd
        self.open_search('haystack')
        n = wd.js('return document.querySelectorAll(".result").length')
        assert n == 100, f'{n} results rendered at first, want 100 (the rest on scrolling)'
        total = wd.js('return document.querySelector("#show-more-results")?.textContent')
        assert total and 'not shown yet' in total, f'show-more button: {total!r}'
        progress = wd.js('return document.querySelector("#progress").textContent')
        assert '+' in progress or '500' in progress, f'progress: {progress!r}'
        wd.screenshot('14-many-results')
        wd.js('document.querySelector("#show-more-results").scrollIntoView()')
        wd.wait('return document.querySelectorAll(".result").length >= 200', what='more results on scrolling')
        if wd.js('return document.querySelector("#skipped details")'):
            wd.js('document.querySelector("#skipped details").open = true; window.scrollTo(0, 0)')
            wd.screenshot('15-skipped')

    def explain(self):
        wd = self.wd
        self.open_search('hello')
        assert not wd.js('return document.querySelector("#trace-panel")'), 'a trace without asking'
        wd.click('#explain-toggle')
        wd.wait('return new URLSearchParams(location.search).get("trace") === "1"', what='trace=1 in the URL')
        self.results_done()
        wd.wait('return document.querySelector("#trace-panel")', what='the trace panel')
        stages = wd.js('return [...document.querySelectorAll("#trace-panel .trace-stages th")].map(t => t.textContent)')
        assert stages == ['parse', 'plan', 'shards', 'merge', 'total'], f'stages: {stages}'
        times = wd.js('return [...document.querySelectorAll("#trace-panel .trace-stages td.num")].map(t => t.textContent)')
        assert all(t.endswith(' ms') for t in times), f'times: {times}'
        plan = wd.js('return document.querySelector("#trace-panel .trace-plan").textContent')
        assert all(g in plan for g in ('"hel"', '"ell"', '"llo"')), f'plan: {plan!r}'
        counts = wd.js('return document.querySelector("#trace-panel .trace-counts").textContent')
        assert 'Candidate files' in counts and 'Files matched' in counts, counts
        assert wd.js('return document.querySelectorAll("#trace-panel .trace-shards tbody tr").length') >= 1, 'slowest shards'
        wd.screenshot('16-explain')
        wd.click('#explain-toggle')
        wd.wait('return !new URLSearchParams(location.search).has("trace")', what='trace off in the URL')
        self.results_done()
        assert not wd.js('return document.querySelector("#trace-panel")'), 'trace panel after turning it off'

    def highlighter_units(self):
        with open(os.path.join(HERE, 'highlight_checks.js')) as f:
            result = self.wd.cmd('POST', '/execute/async', {'script': f.read(), 'args': []})
        assert result == 'ok', result

    def html_is_escaped(self):
        wd = self.wd
        self.open_search('xsscheck')
        heads = self.heads()
        assert [h['path'] for h in heads] == ['web/x<i>y&z.html'], heads
        code = wd.js('return document.querySelector(".result .line .code").textContent')
        assert code.startswith('<script>window.pwned=1</script><img'), code
        assert wd.js('return document.querySelectorAll("#results img, #results script, #results i").length') == 0
        wd.click('.result .line .code')
        wd.wait('return document.querySelector(".code-view .l.sel")', what='the file view')
        assert wd.js('return document.querySelector(".crumbs .file").textContent') == 'x<i>y&z.html'
        assert wd.js('return document.querySelectorAll("#main img, #main script, #main i").length') == 0
        assert wd.js('return window.pwned === undefined'), 'injected script ran'

    def no_results(self):
        wd = self.wd
        self.open_search('zzzqqqxxx_not_there')
        wd.wait('return document.querySelector(".notice.empty")', what='the no-results notice')

    def dark_theme(self):
        wd = self.wd
        wd.cdp('Emulation.setEmulatedMedia', {'features': [{'name': 'prefers-color-scheme', 'value': 'dark'}]})
        try:
            self.open_search('hello')
            bg = wd.js('return getComputedStyle(document.body).backgroundColor')
            rgb = [int(x) for x in bg[bg.index('(') + 1:bg.index(')')].split(',')[:3]]
            assert sum(rgb) < 150, f'dark background expected, got {bg}'
            wd.screenshot('08-dark-results')
            wd.get(self.base + '/demo/-/blob/src/hello.c#L7')
            wd.wait('return document.querySelector(".code-view .l.sel")', what='the file view')
            wd.screenshot('09-dark-file')
        finally:
            wd.cdp('Emulation.setEmulatedMedia', {'features': [{'name': 'prefers-color-scheme', 'value': 'light'}]})

    # ---- mock-only ----

    def busy_retry(self):
        wd = self.wd
        http('POST', self.base + '/_mock/busy?n=1')
        wd.get(self.base + '/search?q=hello')
        wd.wait('return /Server busy, retrying in \\d+s/.test(document.querySelector("#progress")?.textContent)', what='the busy notice')
        wd.screenshot('10-busy')
        self.results_done()
        assert len(self.heads()) >= 3, self.heads()

    def permalink_and_sync_error(self):
        wd = self.wd
        wd.get(self.base + '/github.com/example/widgets/-/blob/widget.go?rev=main#L4')
        wd.wait('return document.querySelector("#permalink")', what='the permalink button')
        assert wd.js('return [...document.querySelectorAll(".code-view .l.sel")].map(l => l.id)') == ['L4']
        wd.click('#permalink')
        wd.wait('return new URLSearchParams(location.search).get("rev")?.length === 40', what='rev=<commit>')
        assert wd.js('return location.hash') == '#L4'
        wd.wait('return document.querySelector(".file-meta .badge.ok")', what='the permalink badge')
        wd.click('.crumbs .repo')
        wd.wait('return document.querySelector("#last-error")', what='the last sync error')
        assert 'could not resolve host' in wd.js('return document.querySelector("#last-error").textContent')
        assert wd.js('return document.querySelector("table.branches .commit code").textContent') == '3f2a9c4e1b7d'
        wd.screenshot('11-repo-error')

    def sync_now(self):
        wd = self.wd
        wd.get(self.base + '/demo')
        wd.wait('return document.querySelector("#sync-now")', what='the Sync now button')
        wd.click('#sync-now')
        wd.wait('return document.querySelector("#sync-message")?.textContent.includes("queued")', what='the queued message')
        wd.wait('return document.querySelector("#sync-state .badge")?.dataset.state === "idle" && !document.querySelector("#sync-message").textContent',
                timeout=15, what='the page to show the finished sync')
        fetched = wd.js('return [...document.querySelectorAll(".facts dt")].find(d => d.textContent === "Last fetch").nextElementSibling.textContent')
        assert fetched in ('just now',) or 'second' in fetched, f'last fetch {fetched!r}'

    def login(self):
        wd = self.wd
        http('POST', self.base + '/_mock/auth?on=1')
        try:
            wd.get(self.base + '/search?q=hello')
            wd.wait('return location.pathname === "/login"', what='the login page')
            nxt = wd.js('return new URLSearchParams(location.search).get("next")')
            assert nxt == '/search?q=hello', f'next={nxt!r}'
            wd.wait('return document.activeElement.id === "login-user"', what='focus on the user name')
            wd.keys('alice')
            wd.click('#login-password')
            wd.keys('wrong' + ENTER)
            wd.wait('return document.querySelector("#login-error").textContent', what='the error message')
            wd.screenshot('12-login-error')
            wd.js('document.querySelector("#login-password").value = ""')
            wd.click('#login-password')
            wd.keys('secret' + ENTER)
            wd.wait('return location.pathname === "/search"', what='the way back to the search')
            self.results_done()
            heads = self.heads()
            assert len(heads) >= 3, f'results after signing in: {heads}'
            who = wd.js('return document.querySelector("#user .who")?.textContent')
            assert who == 'alice', f'signed in as {who!r}'
            wd.click('#logout')
            wd.wait('return location.pathname === "/login"', what='the login page after signing out')
        finally:
            http('POST', self.base + '/_mock/auth?on=0')

    def no_js_errors(self):
        errors = [e for e in self.wd.browser_log() if e.get('level') == 'SEVERE' and 'Failed to load resource' not in e.get('message', '')]
        assert not errors, '\n'.join(e['message'] for e in errors)

    def run(self):
        self.check('home page', self.home)
        self.check('"/" focuses the search box', self.slash_focuses_search)
        self.check('typing a query shows highlighted results', self.search_results)
        self.check('language filter narrows the results', self.language_filter)
        self.check('a result opens the file at its line', self.open_result)
        self.check('shift-click selects a line range', self.line_range)
        self.check('repository page', self.repo_page)
        self.check('invalid query shows the alert', self.invalid_query)
        self.check('"show more" lines', self.show_more_lines)
        self.check('no results', self.no_results)
        self.check('"Explain" shows the search trace', self.explain)
        self.check('highlighter unit checks', self.highlighter_units)
        self.check('file names and contents are escaped', self.html_is_escaped)
        self.check('j/k and Enter open a result', self.keyboard_navigation)
        self.check('"?" opens the syntax help', self.help_dialog)
        self.check('thousands of results render incrementally', self.many_results)
        self.check('dark theme', self.dark_theme)
        if self.mock:
            self.check('429 busy: retry', self.busy_retry)
            self.check('permalink and sync error', self.permalink_and_sync_error)
            self.check('sync now', self.sync_now)
            self.check('sign-in', self.login)
        else:
            self.skip('mock-only checks', '429 retry, permalink, sync error and sign-in need the mock (--mock)')
        self.check('no JavaScript errors', self.no_js_errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quarry', help='the quarry binary (runs `quarry index` and `quarry serve`)')
    ap.add_argument('--mock', action='store_true', help='test against tests/ui/mock_server.py instead')
    ap.add_argument('--chromium', default=shutil.which('chromium') or '/usr/bin/chromium')
    ap.add_argument('--chromedriver', default=shutil.which('chromedriver') or '/usr/bin/chromedriver')
    args = ap.parse_args()
    if bool(args.quarry) == args.mock:
        ap.error('give exactly one of --quarry BIN and --mock')
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.png'):
            os.remove(os.path.join(OUT, f))

    tmp = tempfile.mkdtemp(prefix='quarry-ui-')
    procs = []
    wd = None
    passed = failed = 0
    try:
        tree = os.path.join(tmp, 'tree')
        for rel, text in TREE.items():
            p = os.path.join(tree, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'w') as f:
                f.write(text)
        port = free_port()
        base = f'http://127.0.0.1:{port}'
        log = open(os.path.join(OUT, 'server.log'), 'w')
        if args.mock:
            cmd = [sys.executable, os.path.join(HERE, 'mock_server.py'), '--tree', tree, '--name', 'demo', '--listen', f'127.0.0.1:{port}']
        else:
            data = os.path.join(tmp, 'data')
            subprocess.run([args.quarry, 'index', '--data', data, '--name', 'demo', tree], check=True,
                           stdout=subprocess.DEVNULL, stderr=log)
            cmd = [args.quarry, 'serve', '--data', data, '--listen', f'127.0.0.1:{port}']
        server = subprocess.Popen(cmd, stdout=log, stderr=log)
        procs.append(server)
        try:
            wait_http(base + '/readyz', server, 'the server')  # ready: the index is loaded
        except RuntimeError:
            wait_http(base + '/api/repos', server, 'the server', timeout=5)

        dport = free_port()
        driver = subprocess.Popen([args.chromedriver, f'--port={dport}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(driver)
        wait_http(f'http://127.0.0.1:{dport}/status', driver, 'chromedriver')
        wd = WebDriver(dport)
        wd.start(args.chromium)
        t = UiTest(wd, base, args.mock)
        t.run()
        passed, failed = t.passed, t.failed
    except Exception as e:
        traceback.print_exc()
        print(f'setup failed: {e}', flush=True)
        failed += 1
    finally:
        if wd:
            wd.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'screenshots in {os.path.relpath(OUT)}/')
    print(f'ui: {passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
