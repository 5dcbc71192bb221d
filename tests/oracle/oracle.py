#!/usr/bin/env python3
"""Oracle test: `quarry search --format grep` must find exactly the lines ripgrep finds.

Usage:
  oracle.py --quarry BIN [--corpus DIR ...] [--data DIR] [--generated N] [--seed S] [--linux]
  oracle.py --self-test          (checks this script against tests/oracle/fake_quarry.py)

Each corpus directory is indexed as one repository named after its base name. For every query
the set of REPO/PATH:LINE that quarry prints is compared with the set ripgrep prints (run from
the repositories' parent directory), restricted to the files quarry says it indexed. See
README.md beside this file. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
FETCH_SCRIPT = os.path.join(REPO_ROOT, "scripts", "fetch-test-corpus")
LINUX_SCRIPT = os.path.join(os.path.dirname(REPO_ROOT), "shared", "corpus", "linux.sh")
QUERIES_FILE = os.path.join(HERE, "queries.txt")

# lang: filters are mapped explicitly, by file name, for languages that need no content sniffing.
# Sourcegraph turns lang: into a file-name filter from go-enry's (GitHub Linguist's) table, so these
# are Linguist's extensions and file names for each language (matched case-insensitively at the
# end of the base name); HTML's ".inc" is left out: Linguist shares it with several languages and
# decides by content.
LANG_EXTS = {
    "c": (".c", ".cats", ".h", ".h.in", ".idc"),
    "markdown": (".md", ".livemd", ".markdown", ".mdown", ".mdwn", ".mkd", ".mkdn", ".mkdown",
                 ".ronn", ".scd", ".workbook"),
    "json": (".json", ".4dform", ".4dproject", ".avsc", ".geojson", ".gltf", ".har", ".ice",
             ".json-tmlanguage", ".jsonl", ".mcmeta", ".tfstate", ".tfstate.backup", ".topojson",
             ".webapp", ".webmanifest", ".yy", ".yyp"),
    "yaml": (".yml", ".mir", ".reek", ".rviz", ".sublime-syntax", ".syntax", ".yaml",
             ".yaml-tmlanguage", ".yaml.sed", ".yml.mysql"),
    "html": (".html", ".hta", ".htm", ".html.hl", ".xht", ".xhtml"),
    "css": (".css",),
}
LANG_NAMES = {
    "markdown": ("contents.lr",),
    "json": (".all-contributorsrc", ".arcconfig", ".auto-changelog", ".c8rc", ".htmlhintrc",
             ".imgbotconfig", ".nycrc", ".tern-config", ".tern-project", ".watchmanconfig",
             "composer.lock", "pipfile.lock", "flake.lock", "mcmod.info"),
    "yaml": (".clang-format", ".clang-tidy", ".gemrc", "citation.cff", "glide.lock", "yarn.lock"),
}


def lang_of(rel: str, lang: str) -> bool:
    """Whether the file at repository-relative path rel is in language lang (by name only)."""
    base = rel.rsplit("/", 1)[-1].lower()
    if base in LANG_NAMES.get(lang, ()):
        return True
    return any(base.endswith(ext) and len(base) > len(ext) for ext in LANG_EXTS[lang])


# ripgrep searches every file (hidden, ignored, binary-looking, behind symlinks): the set of files
# quarry indexed decides what counts. Its default encoding handling stays: a UTF-8 BOM at the
# start of a file is not part of line 1.
RG_BASE = ["rg", "--no-config", "-n", "--no-heading", "--null", "--no-ignore", "--hidden",
           "--no-messages", "-a", "-L"]

KINDS = ("lit", "re", "and", "or", "not")
MAX_SHOWN = 10


# --------------------------------------------------------------------------------------------
# Query specs


@dataclasses.dataclass
class Spec:
    """What a query means, independently of how quarry's query language spells it."""

    kind: str                      # lit | re | and | or | not
    patterns: list[str]            # lit/and/or/not: literal strings; re: one regex
    case: bool = False             # case:yes
    heavy: bool = False            # matches a large share of all lines: skipped with --linux
    files: list[str] = dataclasses.field(default_factory=list)    # file:RE (all must match)
    nfiles: list[str] = dataclasses.field(default_factory=list)   # -file:RE
    langs: list[str] = dataclasses.field(default_factory=list)    # lang:NAME
    repos: list[str] = dataclasses.field(default_factory=list)    # repo:RE
    nrepos: list[str] = dataclasses.field(default_factory=list)   # -repo:RE


@dataclasses.dataclass
class Query:
    text: str       # the quarry query (count:all is appended when run)
    spec: Spec
    label: str      # for per-kind counts, e.g. "hand:re" or "gen:substr"
    origin: str     # "queries.txt:12" or "generated #5"


def parse_options(field: str, where: str) -> dict:
    opts: dict = {"case": False, "heavy": False, "files": [], "nfiles": [], "langs": [],
                  "repos": [], "nrepos": []}
    if field.strip() in ("", "-"):
        return opts
    for tok in field.split():
        if tok in ("case", "heavy"):
            opts[tok] = True
            continue
        name, sep, value = tok.partition(":")
        key = {"file": "files", "-file": "nfiles", "lang": "langs", "repo": "repos",
               "-repo": "nrepos"}.get(name)
        if not sep or key is None or not value:
            raise ValueError(f"{where}: bad option {tok!r}")
        if key == "langs" and value not in LANG_EXTS:
            raise ValueError(f"{where}: lang {value!r} is not mapped (known: {sorted(LANG_EXTS)})")
        if key != "langs":
            re.compile(value)
        opts[key].append(value)
    return opts


def load_queries(path: str) -> list[Query]:
    """Reads the hand-written query file (format: see the top of queries.txt)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{os.path.basename(path)}:{n}"
            cols = line.split("\t")
            if len(cols) < 4:
                raise ValueError(f"{where}: expected QUERY<TAB>KIND<TAB>OPTIONS<TAB>PATTERN...")
            text, kind, options, patterns = cols[0], cols[1], cols[2], cols[3:]
            if kind not in KINDS:
                raise ValueError(f"{where}: unknown kind {kind!r}")
            nwant = {"lit": (1, 1), "re": (1, 1), "and": (2, 99), "or": (2, 99), "not": (2, 2)}[kind]
            if not nwant[0] <= len(patterns) <= nwant[1] or any(p == "" for p in patterns):
                raise ValueError(f"{where}: wrong number of patterns for kind {kind}")
            spec = Spec(kind=kind, patterns=patterns, **parse_options(options, where))
            out.append(Query(text=text, spec=spec, label=f"hand:{kind}", origin=where))
    return out


# --------------------------------------------------------------------------------------------
# Corpus and quarry


@dataclasses.dataclass
class Repo:
    name: str
    path: str     # absolute
    parent: str   # absolute


class Oracle:
    def __init__(self, quarry: str, repos: list[Repo], data: str, timeout: float, verbose: bool):
        self.quarry = quarry
        self.repos = repos
        self.data = data
        self.timeout = timeout
        self.verbose = verbose
        self.indexed: set[str] = set()           # "REPO/PATH"
        self.max_path_len = 0

    # -- quarry ------------------------------------------------------------------------------

    def run_quarry(self, args: list[str]) -> subprocess.CompletedProcess:
        # Output goes to files, not pipes: a busy oracle thread must not slow quarry down (its
        # search time limit counts while it waits on a full pipe).
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            cp = subprocess.run([self.quarry, *args], stdout=out, stderr=err,
                                timeout=self.timeout, stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cp.args, cp.returncode, out.read(), err.read())

    def index(self) -> None:
        for r in self.repos:
            t0 = time.monotonic()
            cp = self.run_quarry_long(["index", "--data", self.data, "--name", r.name, r.path])
            if cp.returncode != 0:
                raise OracleError(f"quarry index of {r.path} failed (exit {cp.returncode}):\n"
                                  + cp.stderr.decode("utf-8", "replace")[-4000:])
            print(f"oracle: indexed {r.name} in {time.monotonic() - t0:.1f}s", flush=True)

    def run_quarry_long(self, args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([self.quarry, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)

    def load_files(self) -> None:
        cp = self.run_quarry_long(["files", "--data", self.data])
        if cp.returncode != 0:
            raise OracleError(f"quarry files failed (exit {cp.returncode}):\n"
                              + cp.stderr.decode("utf-8", "replace")[-4000:])
        names = {r.name for r in self.repos}
        bad = []
        for raw in cp.stdout.split(b"\n"):
            if not raw:
                continue
            p = raw.decode("utf-8", "surrogateescape")
            repo, sep, rest = p.partition("/")
            if not sep or not rest or repo not in names:
                bad.append(p)
                continue
            self.indexed.add(p)
        if bad:
            raise OracleError(f"quarry files printed {len(bad)} lines that are not REPO/PATH of an "
                              f"indexed repository, e.g. {bad[:3]!r}")
        if not self.indexed:
            raise OracleError("quarry files listed no file")
        self.max_path_len = max(len(p) for p in self.indexed)
        per_repo = {r.name: 0 for r in self.repos}
        for p in self.indexed:
            per_repo[p.partition("/")[0]] += 1
        for r in self.repos:
            if per_repo[r.name] == 0:
                raise OracleError(f"quarry files listed no file of repository {r.name}")
        print("oracle: indexed files: " + ", ".join(f"{n} {c}" for n, c in per_repo.items()),
              flush=True)

    def parse_grep(self, out: bytes) -> tuple[dict, list[str], int]:
        """Parses quarry's grep output into {(REPO/PATH, LINE): TEXT}, unparseable lines, dups."""
        got: dict = {}
        bad: list[str] = []
        dups = 0
        for raw in out.split(b"\n"):
            if not raw:
                continue
            line = raw.decode("utf-8", "surrogateescape")
            best = None
            # The longest prefix that is an indexed REPO/PATH followed by ":LINE:".
            for m in re.finditer(":", line[: self.max_path_len + 1]):
                i = m.start()
                if line[:i] in self.indexed:
                    mm = re.match(r"(\d+):", line[i + 1:])
                    if mm:
                        best = (line[:i], int(mm.group(1)), line[i + 1 + mm.end():])
            if best is None:
                bad.append(line)
                continue
            key = (best[0], best[1])
            if key in got:
                dups += 1
            got[key] = best[2]
        return got, bad, dups

    # -- filters -----------------------------------------------------------------------------

    @staticmethod
    def repo_ok(spec: Spec, name: str) -> bool:
        return (all(re.search(rx, name) for rx in spec.repos)
                and not any(re.search(rx, name) for rx in spec.nrepos))

    @staticmethod
    def path_ok(spec: Spec, rel: str) -> bool:
        if not all(re.search(rx, rel) for rx in spec.files):
            return False
        if any(re.search(rx, rel) for rx in spec.nfiles):
            return False
        return all(lang_of(rel, lang) for lang in spec.langs)

    def file_ok(self, spec: Spec, key_path: str) -> bool:
        if key_path not in self.indexed:
            return False
        repo, _, rel = key_path.partition("/")
        return self.repo_ok(spec, repo) and self.path_ok(spec, rel)

    # -- ripgrep -----------------------------------------------------------------------------

    def rg(self, spec: Spec, patterns: list[str], fixed: bool, cmds: list[str]) -> dict:
        """Runs ripgrep over the selected repositories: {(REPO/PATH, LINE): TEXT}, filtered."""
        flags = list(RG_BASE)
        flags.append("-s" if spec.case else "-i")
        if fixed:
            flags.append("-F")
        elif any(re.search(r"(?<!\\)(?:\\\\)*\\n", p) for p in patterns):
            flags.append("-U")
        for p in patterns:
            flags += ["-e", p]
        groups: dict[str, list[str]] = {}
        for r in self.repos:
            if self.repo_ok(spec, r.name):
                groups.setdefault(r.parent, []).append(r.name)
        result: dict = {}
        for parent, names in groups.items():
            cmd = flags + ["--", *names]
            cmds.append(f"(cd {shlex.quote(parent)} && {shlex.join(cmd)})")
            cp = subprocess.run(cmd, cwd=parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
            # Exit 2 with nothing on stderr: unreadable files or broken symlinks (--no-messages).
            if cp.returncode not in (0, 1, 2) or (cp.returncode == 2 and cp.stderr.strip()):
                raise OracleError(f"ripgrep failed (exit {cp.returncode}): {cmds[-1]}\n"
                                  + cp.stderr.decode("utf-8", "replace")[-2000:])
            for raw in cp.stdout.split(b"\n"):
                if not raw:
                    continue
                path_b, nul, rest = raw.partition(b"\0")
                num, colon, text = rest.partition(b":")
                if not nul or not colon or not num.isdigit():
                    raise OracleError(f"cannot parse ripgrep output line {raw[:200]!r}")
                path = path_b.decode("utf-8", "surrogateescape")
                if path.startswith("./"):
                    path = path[2:]
                if self.file_ok(spec, path):
                    result[(path, int(num))] = text.decode("utf-8", "surrogateescape")
        return result

    def path_has(self, spec: Spec, key_path: str, term: str) -> bool:
        rel = key_path.partition("/")[2]
        return term in rel if spec.case else term.lower() in rel.lower()

    def expected(self, spec: Spec, cmds: list[str]) -> dict:
        k = spec.kind
        if k == "lit":
            return self.rg(spec, spec.patterns, True, cmds)
        if k == "re":
            return self.rg(spec, spec.patterns, False, cmds)
        if k == "or":
            return self.rg(spec, spec.patterns, True, cmds)
        per_term = [self.rg(spec, [t], True, cmds) for t in spec.patterns]
        content = [{p for p, _ in lines} for lines in per_term]
        if k == "and":
            # A file matches when every term is in its content or in its path; the lines shown are
            # the lines matching any term.
            candidates = set().union(*content)
            files = {f for f in candidates
                     if all(f in content[i] or self.path_has(spec, f, t)
                            for i, t in enumerate(spec.patterns))}
            out: dict = {}
            for lines in per_term:
                out.update({key: v for key, v in lines.items() if key[0] in files})
            return out
        if k == "not":
            pos, neg = spec.patterns
            files = {f for f in content[0]
                     if f not in content[1] and not self.path_has(spec, f, neg)}
            return {key: v for key, v in per_term[0].items() if key[0] in files}
        raise AssertionError(k)

    # -- one query ---------------------------------------------------------------------------

    def check(self, q: Query) -> tuple[bool, str, list[str]]:
        """Returns (passed, report, warnings)."""
        cmds: list[str] = []
        quarry_query = q.text + " count:all"
        qcmd = [self.quarry, "search", "--data", self.data, "--format", "grep", "--", quarry_query]
        head = f"query {shlex.quote(q.text)}  [{q.label}, {q.origin}]"
        try:
            t0 = time.monotonic()
            cp = self.run_quarry(qcmd[1:])
            qtime = time.monotonic() - t0
        except subprocess.TimeoutExpired:
            return False, f"FAIL {head}\n  quarry timed out after {self.timeout}s: {shlex.join(qcmd)}", []
        if cp.returncode != 0:
            return False, (f"FAIL {head}\n  quarry exited {cp.returncode}: {shlex.join(qcmd)}\n  "
                           + cp.stderr.decode("utf-8", "replace").strip()[-1500:].replace("\n", "\n  ")), []
        try:
            want = self.expected(q.spec, cmds)
        except OracleError as e:
            return False, f"FAIL {head}\n  oracle error: {e}", []
        got, bad, dups = self.parse_grep(cp.stdout)
        warnings = []
        if dups:
            warnings.append(f"{head}: quarry printed {dups} duplicate REPO/PATH:LINE lines")
        gk, wk = set(got), set(want)
        only_q = sorted(gk - wk)
        only_rg = sorted(wk - gk)
        text_diff = [k for k in sorted(gk & wk) if got[k] != want[k]]
        if text_diff:
            k = text_diff[0]
            warnings.append(f"{head}: {len(text_diff)} lines have other text than ripgrep's, e.g. "
                            f"{k[0]}:{k[1]}: quarry {got[k][:120]!r} vs rg {want[k][:120]!r}")
        if not only_q and not only_rg and not bad:
            return True, f"ok   {head}: {len(want)} lines ({qtime:.2f}s)", warnings
        lines = [f"FAIL {head}",
                 f"  quarry: {shlex.join(qcmd)}",
                 *(f"  rg:     {c}" for c in cmds),
                 f"  quarry {len(got)} lines, rg {len(want)} lines, only in quarry {len(only_q)}, "
                 f"only in rg {len(only_rg)}, unparseable quarry lines {len(bad)}"]
        err = cp.stderr.decode("utf-8", "replace").strip()
        if err:
            lines.append("  quarry stderr: " + err[-1000:].replace("\n", "\n    "))
        if bad:
            lines.append("  unparseable quarry lines (no indexed REPO/PATH:LINE: prefix):")
            lines += [f"    {b[:300]}" for b in bad[:MAX_SHOWN]]
        if only_q:
            lines.append("  only in quarry:")
            lines += [f"    {p}:{n}:{got[(p, n)][:300]}" for p, n in only_q[:MAX_SHOWN]]
        if only_rg:
            lines.append("  only in rg:")
            lines += [f"    {p}:{n}:{want[(p, n)][:300]}" for p, n in only_rg[:MAX_SHOWN]]
        return False, "\n".join(lines), warnings


class OracleError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Generated queries

KEYWORDS = {"and", "or", "not"}


def render_literal(term: str) -> str:
    """Spells a literal term in the query language: bare when nothing in it is syntax."""
    plain = (
        term
        and not any(c.isspace() for c in term)
        and not any(c in term for c in "\"'\\():")
        and not term.startswith("-")
        and not (len(term) >= 2 and term.startswith("/") and term.endswith("/"))
        and term.lower() not in KEYWORDS
    )
    if plain:
        return term
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flip_case(rng: random.Random, s: str) -> str:
    return "".join(c.swapcase() if rng.random() < 0.5 else c for c in s)


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")


class Generator:
    def __init__(self, oracle: Oracle, seed: int):
        self.o = oracle
        self.rng = random.Random(seed)
        self.files = sorted(oracle.indexed)
        self.by_repo: dict[str, list[str]] = {}
        for f in self.files:
            self.by_repo.setdefault(f.partition("/")[0], []).append(f)
        self.repo_names = sorted(self.by_repo)
        self.repo_path = {r.name: r.path for r in oracle.repos}
        self.text_cache: dict[str, list[str]] = {}

    def lines_of(self, key_path: str) -> list[str]:
        if key_path not in self.text_cache:
            repo, _, rel = key_path.partition("/")
            try:
                with open(os.path.join(self.repo_path[repo], rel), "rb") as f:
                    data = f.read(1 << 20)
                text = data.decode("utf-8")
                lines = [] if "\0" in text else text.split("\n")
            except (OSError, UnicodeDecodeError):
                lines = []
            self.text_cache[key_path] = lines
        return self.text_cache[key_path]

    def random_line(self) -> tuple[str, str]:
        for _ in range(200):
            # Each repository as likely as the others, whatever its number of files.
            f = self.rng.choice(self.by_repo[self.rng.choice(self.repo_names)])
            lines = [ln for ln in self.lines_of(f) if ln.strip()]
            if lines:
                return f, self.rng.choice(lines)
        raise OracleError("could not find text lines to sample queries from")

    def random_word(self, min_len: int = 3) -> tuple[str, str, str]:
        for _ in range(200):
            f, line = self.random_line()
            words = [w for w in IDENT.findall(line) if len(w) >= min_len]
            if words:
                return f, line, self.rng.choice(words)
        raise OracleError("could not find identifiers to sample queries from")

    # -- filters -----------------------------------------------------------------------------

    def case_stable(self, pred_cs, pred_ci) -> bool:
        """A filter is usable when its meaning does not hinge on case-sensitivity."""
        return all(pred_cs(p) == pred_ci(p) for p in self.files)

    def random_filter(self, spec: Spec, home: str) -> str | None:
        """Adds one random filter to spec (biased towards keeping `home` in scope)."""
        rng = self.rng
        repo, _, rel = home.partition("/")
        choice = rng.choice(["ext", "ext", "dir", "-ext", "-dir", "lang", "repo", "-repo"])
        if choice in ("ext", "-ext"):
            src = rel if choice == "ext" else rng.choice(self.files).partition("/")[2]
            ext = os.path.splitext(src)[1][1:]
            if not re.fullmatch(r"[A-Za-z0-9]+", ext):
                return None
            rx = rf"\.{ext}$"
        elif choice in ("dir", "-dir"):
            src = rel if choice == "dir" else rng.choice(self.files).partition("/")[2]
            if "/" not in src:
                return None
            d = src.split("/")[0]
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", d):
                return None
            rx = "^" + d.replace(".", r"\.") + "/"
        elif choice == "lang":
            langs = [n for n in sorted(LANG_EXTS) if lang_of(rel, n)]
            lang = langs[0] if langs and rng.random() < 0.7 else rng.choice(sorted(LANG_EXTS))
            spec.langs.append(lang)
            return f"lang:{lang}"
        else:
            name = repo if choice == "repo" else rng.choice(self.o.repos).name
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                return None
            rx = "^" + name.replace(".", r"\.") + "$"
            (spec.repos if choice == "repo" else spec.nrepos).append(rx)
            return f"{'-' if choice == '-repo' else ''}repo:{rx}"
        if not self.case_stable(lambda p: bool(re.search(rx, p.partition("/")[2])),
                                lambda p: bool(re.search(rx, p.partition("/")[2], re.I))):
            return None
        (spec.files if not choice.startswith("-") else spec.nfiles).append(rx)
        return f"{'-' if choice.startswith('-') else ''}file:{rx}"

    # -- queries -----------------------------------------------------------------------------

    def one(self) -> tuple[str, Spec, str, str] | None:
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            f, _, w = self.random_word()
            case = rng.random() < 0.2
            if not case and rng.random() < 0.3:
                w = flip_case(rng, w)
            spec = Spec("lit", [w], case=case)
            body, label = render_literal(w), "ident"
        elif r < 0.58:
            f, line = self.random_line()
            n = rng.randint(3, 20)
            if len(line) < n:
                return None
            i = rng.randint(0, len(line) - n)
            s = line[i:i + n]
            if "\t" in s or "\r" in s or s != s.strip(" ") or not s.strip():
                return None
            case = rng.random() < 0.2
            if not case and rng.random() < 0.25:
                s = flip_case(rng, s)
            spec = Spec("lit", [s], case=case)
            body, label = render_literal(s), "substr"
        elif r < 0.95:
            f, line, w = self.random_word()
            others = [x for x in IDENT.findall(line) if x != w]
            other = rng.choice(others) if others else self.random_word()[2]
            after = line[line.find(w) + len(w):]
            later = [x for x in IDENT.findall(after) if x != w]
            t = rng.randrange(6)
            if t == 0:
                rx = w + r"\s*\("
            elif t == 1:
                rx = r"\b" + w + r"\b"
            elif t == 2:
                rx = w + ".*" + (rng.choice(later) if later else other)
            elif t == 3:
                rx = r"^\s*" + w
            elif t == 4:
                c = w[0]
                if not c.isalpha():
                    return None
                rx = f"[{c.upper()}{c.lower()}]{w[1:]}" + r"\w*"
            else:
                rx = w + "|" + other
            case = rng.random() < 0.25
            spec = Spec("re", [rx], case=case)
            if "(" not in rx and rng.random() < 0.3:
                body = f"patterntype:regexp {rx}"
            else:
                body = f"/{rx}/"
            label = "regex"
        else:
            f, line, w = self.random_word(4)
            _, _, w2 = self.random_word(4)
            if w.lower() == w2.lower() or w.lower() in KEYWORDS or w2.lower() in KEYWORDS:
                return None
            spec = Spec("and", [w, w2])
            body, label = f"{w} {w2}", "and"
        parts = [body]
        if spec.case:
            parts.append("case:yes")
        if rng.random() < 0.3:
            flt = self.random_filter(spec, f)
            if flt is None:
                return None
            parts.insert(0, flt)
            label += "+filter"
        return " ".join(parts), spec, label, f

    def generate(self, n: int) -> list[Query]:
        out: list[Query] = []
        seen: set[str] = set()
        attempts = 0
        while len(out) < n and attempts < n * 50:
            attempts += 1
            g = self.one()
            if g is None or g[0] in seen:
                continue
            text, spec, label, _ = g
            seen.add(text)
            out.append(Query(text=text, spec=spec, label=f"gen:{label}",
                             origin=f"generated #{len(out) + 1}"))
        return out


# --------------------------------------------------------------------------------------------
# Main


def corpus_dirs(args) -> list[str]:
    dirs = list(args.corpus or [])
    if not dirs:
        cp = subprocess.run([FETCH_SCRIPT], stdout=subprocess.PIPE, text=True)
        if cp.returncode != 0:
            raise OracleError(f"{FETCH_SCRIPT} failed (exit {cp.returncode})")
        dirs = [d for d in cp.stdout.split("\n") if d]
    if args.linux:
        if not os.path.exists(LINUX_SCRIPT):
            raise OracleError(f"{LINUX_SCRIPT} not found")
        cp = subprocess.run(["bash", LINUX_SCRIPT], stdout=subprocess.PIPE, text=True)
        if cp.returncode != 0:
            raise OracleError(f"{LINUX_SCRIPT} failed (exit {cp.returncode})")
        dirs.append(cp.stdout.strip().split("\n")[-1])
    return dirs


def run(args) -> int:
    t_start = time.monotonic()
    if shutil.which("rg") is None:
        raise OracleError("ripgrep (rg) is not installed; run scripts/fetch-test-corpus")
    quarry = os.path.abspath(args.quarry) if os.sep in args.quarry else args.quarry
    repos = []
    for d in corpus_dirs(args):
        p = os.path.realpath(d)
        if not os.path.isdir(p):
            raise OracleError(f"corpus {d} is not a directory")
        repos.append(Repo(name=os.path.basename(p), path=p, parent=os.path.dirname(p)))
    names = [r.name for r in repos]
    if len(set(names)) != len(names):
        raise OracleError(f"corpus base names must be distinct: {names}")

    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.mkdtemp(prefix="quarry-oracle-")
        data = os.path.join(tmp, "data")
    try:
        o = Oracle(quarry, repos, os.path.abspath(data), args.timeout, args.verbose)
        if not args.reuse_index:
            o.index()
        o.load_files()
        queries: list[Query] = []
        if args.queries != "none":
            queries += load_queries(args.queries)
        if args.generated > 0:
            queries += Generator(o, args.seed).generate(args.generated)
        if args.only:
            queries = [q for q in queries if re.search(args.only, q.text)]
        if args.linux:
            heavy = [q for q in queries if q.spec.heavy]
            if heavy:
                print(f"oracle: --linux: skipping {len(heavy)} queries marked heavy", flush=True)
            queries = [q for q in queries if not q.spec.heavy]
        print(f"oracle: {len(queries)} queries over {len(repos)} repositories "
              f"({', '.join(names)}), {args.jobs} at a time", flush=True)

        counts: dict[str, list[int]] = {}
        passed = failed = 0
        nwarn = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for q, (ok, report, warnings) in zip(queries, pool.map(o.check, queries)):
                c = counts.setdefault(q.label, [0, 0])
                if ok:
                    passed += 1
                    c[0] += 1
                    if args.verbose:
                        print(report, flush=True)
                else:
                    failed += 1
                    c[1] += 1
                    print(report, flush=True)
                for w in warnings:
                    nwarn += 1
                    print(f"warning: {w}", flush=True)
        print("oracle: per kind:")
        for label in sorted(counts):
            ok, bad = counts[label]
            print(f"  {label:<22} {ok:>4} ok {bad:>4} failing")
        if nwarn:
            print(f"oracle: {nwarn} warnings (duplicates or differing line text; not failures)")
        print(f"oracle: ran in {time.monotonic() - t_start:.1f}s")
        print(f"oracle: {passed} passed, {failed} failed", flush=True)
        return 0 if failed == 0 and passed > 0 else 1
    finally:
        if tmp is not None and not args.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)


def self_test(args) -> int:
    """Runs the oracle against fake_quarry.py (an independent Python model of the query
    language): it must pass as is, and fail when the fake is told to misbehave."""
    fake = os.path.join(HERE, "fake_quarry.py")
    base = [sys.executable, os.path.abspath(__file__), "--quarry", fake,
            "--generated", str(args.generated), "--seed", str(args.seed), "--jobs", str(args.jobs)]
    for c in args.corpus or []:
        base += ["--corpus", c]
    ok = True
    print("self-test: fake quarry, no bug injected: the oracle must pass", flush=True)
    cp = subprocess.run(base)
    if cp.returncode != 0:
        print("self-test: FAILED: the oracle rejected the faithful fake", flush=True)
        ok = False
    for bug in ("lines", "case", "drop", "filter", "path"):
        print(f"self-test: fake quarry with bug {bug!r}: the oracle must fail", flush=True)
        cp = subprocess.run(base + ["--generated", "30"], env={**os.environ, "FAKE_QUARRY_BUG": bug},
                            stdout=subprocess.PIPE, text=True)
        tail = cp.stdout.strip().split("\n")[-1] if cp.stdout.strip() else "(no output)"
        print(f"self-test:   exit {cp.returncode}, {tail}", flush=True)
        if cp.returncode == 0:
            print(f"self-test: FAILED: bug {bug!r} went unnoticed", flush=True)
            ok = False
    print(f"self-test: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quarry", help="the quarry binary")
    ap.add_argument("--corpus", action="append",
                    help="a directory to index as one repository (repeatable; default: the "
                         "directories printed by scripts/fetch-test-corpus)")
    ap.add_argument("--data", help="quarry data directory (default: a temporary one)")
    ap.add_argument("--reuse-index", action="store_true",
                    help="do not run quarry index: the --data directory is already indexed")
    ap.add_argument("--keep-data", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--generated", type=int, default=250, help="generated queries (default 250)")
    ap.add_argument("--seed", type=int, default=1, help="seed for generated queries (default 1)")
    ap.add_argument("--linux", action="store_true",
                    help="also index the Linux tree from shared/corpus/linux.sh")
    ap.add_argument("--queries", default=QUERIES_FILE,
                    help="hand-written query file, or 'none' (default: queries.txt beside this)")
    ap.add_argument("--only", help="run only the queries whose text matches this Python regex")
    ap.add_argument("--jobs", type=int, default=3, help="queries run at once (default 3)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per quarry search")
    ap.add_argument("--verbose", action="store_true", help="also print passing queries")
    ap.add_argument("--self-test", action="store_true",
                    help="check the oracle itself against fake_quarry.py")
    args = ap.parse_args()
    try:
        if args.self_test:
            return self_test(args)
        if not args.quarry:
            ap.error("--quarry is required")
        return run(args)
    except (OracleError, ValueError, re.error) as e:
        print(f"oracle: error: {e}", file=sys.stderr)
        print("oracle: 0 passed, 1 failed")
        return 1


if __name__ == "__main__":
    sys.exit(main())
