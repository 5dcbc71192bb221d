#!/usr/bin/env python3
"""A stand-in for the quarry CLI, used only by `oracle.py --self-test`.

It models the query-language subset that the oracle exercises independently of oracle.py: its
own tokenizer (quotes, /regex/, fields, OR/NOT), Python's `re` instead of ripgrep, and a plain
directory walk instead of an index. If oracle.py and this file agree, the oracle's translation
to ripgrep, its output parsing and its comparison are consistent; FAKE_QUARRY_BUG=lines|case|
drop|filter|path makes it misbehave, and the oracle must then notice.

  fake_quarry.py index [--data DIR] [--name NAME] PATH...
  fake_quarry.py files [--data DIR]
  fake_quarry.py search [--data DIR] [--format grep] QUERY
"""

import argparse
import json
import os
import pickle
import re
import sys

BUG = os.environ.get("FAKE_QUARRY_BUG", "")
# The languages and suffixes present in the test corpora (oracle.py has Linguist's full lists).
LANG_EXTS = {"c": (".c", ".h", ".h.in"), "markdown": (".md", ".markdown"), "json": (".json",),
             "yaml": (".yml", ".yaml"), "html": (".html", ".htm"), "css": (".css",)}
FIELDS = {"file", "f", "path", "repo", "r", "lang", "l", "language", "case", "count",
          "patterntype", "content"}


def load_repos(data):
    try:
        with open(os.path.join(data, "repos.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def texts(data, name, root):
    """The files of a repository as `index` saved them."""
    with open(os.path.join(data, name + ".pickle"), "rb") as f:
        return pickle.load(f)


def walk(root):
    """Indexed files of a repository: regular UTF-8 text files, no symlinks."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x != ".git")
        for name in sorted(files):
            p = os.path.join(d, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                b = f.read()
            if b"\0" in b:
                continue
            try:
                text = b.decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append((os.path.relpath(p, root), text))
    return out


# -- query parsing ----------------------------------------------------------------------------


def tokenize(q):
    toks = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        c = q[i]
        if c in "\"'":
            j, buf = i + 1, []
            while j < n and q[j] != c:
                if q[j] == "\\" and j + 1 < n:
                    e = q[j + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\", c: c}.get(e, "\\" + e))
                    j += 2
                else:
                    buf.append(q[j])
                    j += 1
            if j >= n:
                sys.exit("fake quarry: unterminated quote")
            toks.append(("lit", "".join(buf)))
            i = j + 1
            continue
        m = re.match(r"/((?:\\.|[^\\])+?)/(?=\s|$)", q[i:])
        if c == "/" and m:
            toks.append(("re", m.group(1)))
            i += m.end()
            continue
        j = i
        while j < n and not q[j].isspace():
            j += 1
        word = q[i:j]
        i = j
        m = re.fullmatch(r"(-?)([A-Za-z]+):(.*)", word)
        if m and m.group(2).lower() in FIELDS:
            toks.append(("field", (m.group(1) == "-", m.group(2).lower(), m.group(3))))
        elif word.upper() in ("OR", "NOT", "AND"):
            toks.append((word.upper(), None))
        else:
            toks.append(("bare", word))
    return toks


def parse(q):
    opts = {"case": False, "regexp": False, "files": [], "nfiles": [], "langs": [], "repos": [],
            "nrepos": []}
    groups, cur, negate = [], {"pos": [], "neg": []}, False
    toks = tokenize(q)
    for kind, v in toks:
        if kind == "field" and v[1] == "patterntype":
            opts["regexp"] = v[2] == "regexp"
    for kind, v in toks:
        if kind == "field":
            neg, name, val = v
            if name in ("file", "f", "path"):
                opts["nfiles" if neg else "files"].append(val)
            elif name in ("repo", "r"):
                opts["nrepos" if neg else "repos"].append(val)
            elif name in ("lang", "l", "language"):
                opts["langs"].append(val)
            elif name == "case":
                opts["case"] = val in ("yes", "y", "true")
            continue
        if kind == "OR":
            groups.append(cur)
            cur = {"pos": [], "neg": []}
            continue
        if kind == "NOT":
            negate = True
            continue
        if kind == "AND":
            continue
        if kind == "bare":
            kind = "re" if opts["regexp"] else "lit"
        (cur["neg"] if negate else cur["pos"]).append((kind, v))
        negate = False
    groups.append(cur)
    return opts, groups


# -- evaluation -------------------------------------------------------------------------------


def py_regex(rx):
    """The few Rust regex spellings the hand-written queries use that Python's re lacks."""
    rx = rx.replace(r"\p{Han}", "[\u2e80-\u9fff\uf900-\ufaff]")
    m = re.match(r"\(\?-i\)(.*)", rx, re.S)
    return f"(?-i:{m.group(1)})" if m else rx


def compile_term(term, case):
    kind, v = term
    src = re.escape(v) if kind == "lit" else py_regex(v)
    flags = 0 if case or (BUG == "case" and kind == "lit") else re.I
    multiline = "\n" in src or bool(re.search(r"(?<!\\)(?:\\\\)*\\n", src))
    return re.compile(src, flags | re.M), multiline


def term_lines(cre, multiline, text, lines, starts):
    if not cre.search(text):
        return set()
    if not multiline:
        return {i + 1 for i, ln in enumerate(lines) if cre.search(ln)}
    import bisect
    out = set()
    for m in cre.finditer(text):
        a = bisect.bisect_right(starts, m.start())
        b = bisect.bisect_right(starts, max(m.start(), m.end() - 1))
        out.update(range(a, b + 1))
    return out


def path_matches(term, rel, case):
    kind, v = term
    if BUG == "path":
        return False
    if kind == "lit":
        return v in rel if case else v.lower() in rel.lower()
    return bool(re.search(py_regex(v), rel, 0 if case else re.I))


def search(data, query):
    opts, groups = parse(query)
    case = opts["case"]
    results = []
    search_fn = re.match if BUG == "filter" else re.search
    compiled = [([compile_term(t, case) for t in g["pos"]], [compile_term(t, case) for t in g["neg"]], g)
                for g in groups]
    for name, root in sorted(load_repos(data).items()):
        if not all(re.search(rx, name) for rx in opts["repos"]):
            continue
        if any(re.search(rx, name) for rx in opts["nrepos"]):
            continue
        for rel, text in texts(data, name, root):
            if not all(search_fn(rx, rel) for rx in opts["files"]):
                continue
            if any(search_fn(rx, rel) for rx in opts["nfiles"]):
                continue
            if not all(rel.lower().endswith(LANG_EXTS.get(lang, ())) for lang in opts["langs"]):
                continue
            lines = text.split("\n") if text else []
            if text.endswith("\n"):
                lines.pop()
            starts = [0]
            for ln in lines:
                starts.append(starts[-1] + len(ln) + 1)
            starts = starts[:len(lines)]
            shown = set()
            for pos, neg, g in compiled:
                per = [term_lines(c, ml, text, lines, starts) for c, ml in pos]
                if not all(per[i] or path_matches(t, rel, case) for i, t in enumerate(g["pos"])):
                    continue
                if any(term_lines(c, ml, text, lines, starts) or path_matches(t, rel, case)
                       for (c, ml), t in zip(neg, g["neg"])):
                    continue
                for s in per:
                    shown |= s
            for ln in sorted(shown):
                num = ln + 1 if BUG == "lines" and ln > 100 else ln
                results.append(f"{name}/{rel}:{num}:{lines[ln - 1]}")
    if BUG == "drop":
        results = [r for i, r in enumerate(results) if i % 50 != 7]
    return results


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("index")
    p.add_argument("--data", default="data")
    p.add_argument("--name")
    p.add_argument("paths", nargs="+")
    p = sub.add_parser("files")
    p.add_argument("--data", default="data")
    p.add_argument("--skipped", action="store_true")
    p = sub.add_parser("search")
    p.add_argument("--data", default="data")
    p.add_argument("--format", default="grep")
    p.add_argument("query")
    a = ap.parse_args()
    if a.cmd == "index":
        os.makedirs(a.data, exist_ok=True)
        repos = load_repos(a.data)
        for path in a.paths:
            name = a.name or os.path.basename(os.path.abspath(path))
            repos[name] = os.path.abspath(path)
            with open(os.path.join(a.data, name + ".pickle"), "wb") as f:
                pickle.dump(walk(path), f)
        with open(os.path.join(a.data, "repos.json"), "w") as f:
            json.dump(repos, f)
    elif a.cmd == "files":
        for name, root in sorted(load_repos(a.data).items()):
            for rel, _ in texts(a.data, name, root):
                print(f"{name}/{rel}")
    else:
        out = search(a.data, a.query)
        sys.stdout.write("".join(r + "\n" for r in out))


if __name__ == "__main__":
    main()
