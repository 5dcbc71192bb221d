//! Language detection and path classification for quarry.
//!
//! This crate answers three questions about a file:
//!
//! 1. **Which language is it?** [`detect`] looks at the path (exact base name,
//!    then extension, then a few base-name prefixes such as `Makefile.*` and
//!    `Kconfig*`) and, if the path says nothing, at a `#!` line in the first
//!    bytes of the file. The indexer stores the resulting [`LangId`] per file.
//! 2. **What does `lang:foo` mean?** [`by_name`] resolves a `lang:` filter
//!    value case-insensitively against canonical names and aliases, following
//!    GitHub linguist / go-enry conventions (`golang`, `cpp`, `c++`, `js`,
//!    `sh`, `bash`, ...). [`suggest`] proposes spellings for typos.
//! 3. **How should it rank?** [`is_test_path`], [`is_vendored_path`] and
//!    [`is_generated_path`] classify repository-relative paths so that search
//!    can push tests, vendored code and generated files down.
//!
//! # Id stability
//!
//! A [`LangId`] is written into index files, so ids are **never reused or
//! renumbered**. The table is append-only: a new language gets the next id at
//! the end; a retired language keeps its slot. Id `0` means "unknown" and is
//! never assigned to a language. A unit test checks that entry `i` has id
//! `i + 1`, which also makes [`by_id`] a plain array index.
//!
//! # Detection decisions
//!
//! * `.h` is **C** (not C++ or Objective-C): most headers in mixed trees are
//!   C-compatible, and the Linux kernel alone has tens of thousands.
//! * Extensions are case-insensitive, except that an upper-case `.C` or `.H`
//!   means **C++** (GCC's convention). Upper-case `.S` is Assembly like `.s`.
//! * Compound extensions win over the last one: `vmlinux.lds.S` is a Linker
//!   Script, `build.gradle.kts` is Gradle, `foo.pb.go` is still Go.
//! * Exact file names are case-sensitive (`BUILD` is Bazel, but a file named
//!   `build` is usually a script and is left to its shebang).
//! * Ambiguous extensions that linguist resolves by content (`.inc`, `.cgi`,
//!   `.cl`, `.x`, `.spec`, ...) are not mapped; a shebang can still decide.
//! * `Dockerfile.dev` is a Dockerfile, `Makefile.build` a Makefile and
//!   `Kconfig.debug` Kconfig (prefix rules, tried after extensions so that
//!   `Makefile.json` stays JSON).
//! * `.tsx` is its own language (TSX) as in linguist, but it belongs to the
//!   TypeScript *group*: use [`Language::matches_filter`] so that
//!   `lang:typescript` finds .tsx files while `lang:tsx` stays narrow. `.jsx` is
//!   plain JavaScript (linguist has no separate JSX language).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

mod classify;
mod table;

pub use classify::{is_generated_content, is_generated_path, is_test_path, is_vendored_path};

/// Stable numeric id stored in index files. `0` = unknown.
///
/// Ids are NEVER reused or renumbered: new languages get new ids at the end of
/// the table (see the crate docs).
pub type LangId = u16;

/// The id meaning "no language detected".
pub const UNKNOWN: LangId = 0;

/// One entry of the language table.
#[derive(Debug)]
pub struct Language {
    /// Stable id (see [`LangId`]); never 0.
    pub id: LangId,
    /// Canonical display name, e.g. "C++", "Go", "Shell".
    pub name: &'static str,
    /// Lowercase `lang:` names, e.g. `["cpp", "c++"]`. The first one is the
    /// preferred spelling (used by [`suggest`]).
    pub aliases: &'static [&'static str],
    /// Extensions without the dot, lowercase; may be compound (`"lds.s"`).
    pub extensions: &'static [&'static str],
    /// Exact, case-sensitive base names, e.g. "Makefile", "CMakeLists.txt".
    pub filenames: &'static [&'static str],
    /// Interpreter names recognised on a `#!` line ("python3", "bash", ...).
    pub interpreters: &'static [&'static str],
    /// Canonical name of the linguist group this language belongs to, if any
    /// (TSX belongs to TypeScript). See [`Language::group`].
    pub group: Option<&'static str>,
}

impl Language {
    /// The group parent of this language (TSX -> TypeScript), or itself.
    pub fn group(&'static self) -> &'static Language {
        tables()
            .groups
            .get(usize::from(self.id))
            .and_then(|&g| by_id(g))
            .unwrap_or(self)
    }

    /// Whether a file of this language should match the filter `lang:<filter>`:
    /// true for the language itself and for members of its group, so
    /// `lang:typescript` matches TSX but `lang:tsx` does not match TypeScript.
    pub fn matches_filter(&'static self, filter: &Language) -> bool {
        self.id == filter.id || self.group().id == filter.id
    }
}

// Languages are table entries: identity is the id.
impl PartialEq for Language {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Language {}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// All known languages, ordered by id (entry `i` has id `i + 1`).
pub fn all() -> &'static [Language] {
    table::LANGUAGES
}

/// The language with this id; `None` for 0 and for ids this build doesn't know.
pub fn by_id(id: LangId) -> Option<&'static Language> {
    let lang = all().get(usize::from(id).checked_sub(1)?)?;
    debug_assert_eq!(lang.id, id);
    Some(lang)
}

/// `lang:` value lookup: case-insensitive on canonical name and aliases
/// ("golang", "go", "Go" -> Go; "c++", "cpp" -> C++; "sh", "bash", "shell" ->
/// Shell). Spaces, '-' and '_' are interchangeable ("Emacs Lisp",
/// "emacs-lisp", "emacs_lisp").
pub fn by_name(name: &str) -> Option<&'static Language> {
    let key = normalize(name);
    tables().names.get(key.as_str()).and_then(|&id| by_id(id))
}

/// Up to 3 preferred `lang:` spellings (each language's first alias) closest
/// to a misspelled value, best first: small edit distance (with transpositions,
/// so "pyhton" -> "python") or a prefix match ("kotl" -> "kotlin"; "golan" is
/// one edit from the alias "golang" and is reported as "go"). Candidates much
/// worse than the best one are dropped; empty if nothing is reasonably close.
pub fn suggest(name: &str) -> Vec<&'static str> {
    let query = normalize(name);
    let qlen = query.chars().count();
    if qlen == 0 {
        return Vec::new();
    }
    // Scores are 2 * edit distance; allow more typos in longer words.
    let max_dist = match qlen {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    // A typed prefix ranks like a single typo once it is 3+ chars long.
    let prefix_score = if qlen >= 3 { 2 } else { 3 };
    let mut best: HashMap<LangId, usize> = HashMap::new();
    for (key, &id) in &tables().names {
        let dist = edit_distance(&query, key);
        let mut score = (dist <= max_dist).then_some(2 * dist);
        if qlen >= 2 && key.starts_with(query.as_str()) {
            score = Some(score.map_or(prefix_score, |s| s.min(prefix_score)));
        }
        if let Some(score) = score {
            let slot = best.entry(id).or_insert(score);
            *slot = (*slot).min(score);
        }
    }
    let mut ranked: Vec<(usize, LangId)> = best.into_iter().map(|(id, s)| (s, id)).collect();
    // Ties break by id, which puts the more common languages first.
    ranked.sort_unstable();
    let cutoff = ranked.first().map_or(0, |&(s, _)| s + 2);
    ranked
        .into_iter()
        .take_while(|&(s, _)| s <= cutoff)
        .take(3)
        .filter_map(|(_, id)| by_id(id).and_then(|l| l.aliases.first().copied()))
        .collect()
}

/// Detects the language of a file from its path and, if the path gives
/// nothing, from a `#!` line at the start of `head` (the first bytes of the
/// file; pass `&[]` if unknown).
///
/// Order: exact base name, compound then simple extension, base-name prefix
/// (`Makefile.*`, `Dockerfile.*`, `Kconfig*`, ...), shebang. See the crate
/// docs for the `.h`/`.C` decisions. Allocation-free.
pub fn detect(path: &str, head: &[u8]) -> Option<&'static Language> {
    detect_path(path).or_else(|| detect_shebang(head))
}

/// [`detect`] as an id, [`UNKNOWN`] (0) if nothing matched.
pub fn detect_id(path: &str, head: &[u8]) -> LangId {
    detect(path, head).map_or(UNKNOWN, |l| l.id)
}

/// Detection from the path alone (no shebang).
pub fn detect_path(path: &str) -> Option<&'static Language> {
    let t = tables();
    let base = path.rsplit('/').next().unwrap_or(path);
    if base.is_empty() {
        return None;
    }
    if let Some(&id) = t.filenames.get(base) {
        return by_id(id);
    }
    if let Some(id) = extension_lookup(t, base) {
        return by_id(id);
    }
    t.prefixes
        .iter()
        .find(|(prefix, _)| base.starts_with(prefix))
        .and_then(|&(_, id)| by_id(id))
}

/// Detection from a `#!` line alone, e.g. `#!/bin/sh`, `#! /usr/bin/perl -w`,
/// `#!/usr/bin/env python3`, `#!/usr/bin/env -S deno run`.
pub fn detect_shebang(head: &[u8]) -> Option<&'static Language> {
    let interp = shebang_interpreter(head)?;
    let t = tables();
    let id = t.interpreters.get(interp).copied().or_else(|| {
        // python3.12, ruby2.7, lua5.4, guile-3.0 -> python, ruby, lua, guile
        let stem = interp
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
            .trim_end_matches(['-', '_']);
        if stem.is_empty() || stem.len() == interp.len() {
            None
        } else {
            t.interpreters.get(stem).copied()
        }
    })?;
    by_id(id)
}

/// Base-name prefixes tried after extensions, for families of build files that
/// carry a suffix instead of an extension (kernel: `scripts/Makefile.build`,
/// `arch/x86/Kconfig.debug`, `scripts/Kbuild.include`).
const FILENAME_PREFIXES: &[(&str, &str)] = &[
    ("Makefile.", "Makefile"),
    ("makefile.", "Makefile"),
    ("GNUmakefile.", "Makefile"),
    ("Kbuild.", "Makefile"),
    ("Kconfig", "Kconfig"),
    ("Dockerfile.", "Dockerfile"),
    ("dockerfile.", "Dockerfile"),
    ("Containerfile.", "Dockerfile"),
    ("Jenkinsfile.", "Groovy"),
];

/// Extensions whose case matters: GCC treats `.C` and `.H` as C++.
const CASE_SENSITIVE_EXTENSIONS: &[(&str, &str)] = &[("C", "C++"), ("H", "C++")];

/// Longest extensions we look up; longer suffixes cannot be in the table.
const MAX_EXT_LEN: usize = 32;

/// Tries every dot-suffix of `base`, longest first ("a.lds.S": "lds.S", then
/// "S"), lowercased into a stack buffer. A leading dot starts a dotfile name,
/// not an extension.
fn extension_lookup(t: &Tables, base: &str) -> Option<LangId> {
    let bytes = base.as_bytes();
    let mut buf = [0u8; MAX_EXT_LEN];
    for (i, _) in base.match_indices('.').filter(|&(i, _)| i > 0) {
        let ext = &base[i + 1..];
        if ext.is_empty() || ext.len() > MAX_EXT_LEN {
            continue;
        }
        if !ext.contains('.') {
            // Last extension: the case-sensitive exceptions come first.
            if let Some(&(_, id)) = t.case_sensitive.iter().find(|(e, _)| *e == ext) {
                return Some(id);
            }
        }
        let lower = &mut buf[..ext.len()];
        lower.copy_from_slice(&bytes[i + 1..]);
        lower.make_ascii_lowercase();
        // ASCII lowercasing of valid UTF-8 is valid UTF-8.
        let Ok(lower) = std::str::from_utf8(lower) else {
            continue;
        };
        if let Some(&id) = t.extensions.get(lower) {
            return Some(id);
        }
    }
    None
}

/// Longest shebang line we look at.
const MAX_SHEBANG: usize = 256;

/// The interpreter's base name from a `#!` line, looking through `env` (with
/// its options and VAR=value assignments) and `busybox`.
fn shebang_interpreter(head: &[u8]) -> Option<&str> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let rest = head.strip_prefix(b"#!")?;
    let rest = &rest[..rest.len().min(MAX_SHEBANG)];
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let line = match std::str::from_utf8(line) {
        Ok(s) => s,
        // Truncated mid-character: keep the valid prefix.
        Err(e) => std::str::from_utf8(&line[..e.valid_up_to()]).ok()?,
    };
    let mut words = line.split_ascii_whitespace();
    let mut prog = base_name(words.next()?);
    if prog == "env" {
        prog = loop {
            let w = words.next()?;
            match w {
                // Options that take a separate argument.
                "-u" | "--unset" | "-C" | "--chdir" => {
                    words.next();
                }
                _ if w.starts_with("-S") && w.len() > 2 => break base_name(&w[2..]),
                _ if w.starts_with('-') || w.contains('=') => {}
                _ => break base_name(w),
            }
        };
    }
    if prog == "busybox" {
        prog = base_name(words.next()?);
    }
    Some(prog)
}

fn base_name(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Canonical form of a `lang:` value: trimmed, ASCII-lowercased, with ' ' and
/// '_' folded to '-'.
fn normalize(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent
/// transpositions), on chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: i-2, i-1, i.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Lookup maps derived from the table, built once on first use.
struct Tables {
    extensions: HashMap<&'static str, LangId>,
    filenames: HashMap<&'static str, LangId>,
    interpreters: HashMap<&'static str, LangId>,
    /// Normalized canonical names and aliases.
    names: HashMap<String, LangId>,
    /// `FILENAME_PREFIXES` resolved to ids.
    prefixes: Vec<(&'static str, LangId)>,
    /// `CASE_SENSITIVE_EXTENSIONS` resolved to ids.
    case_sensitive: Vec<(&'static str, LangId)>,
    /// Group parent id, indexed by language id (0 = no group).
    groups: Vec<LangId>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Tables {
            extensions: HashMap::new(),
            filenames: HashMap::new(),
            interpreters: HashMap::new(),
            names: HashMap::new(),
            prefixes: Vec::new(),
            case_sensitive: Vec::new(),
            groups: vec![UNKNOWN; all().len() + 1],
        };
        // On a (test-detected) duplicate the earlier, lower id wins.
        for lang in all() {
            for &e in lang.extensions {
                t.extensions.entry(e).or_insert(lang.id);
            }
            for &f in lang.filenames {
                t.filenames.entry(f).or_insert(lang.id);
            }
            for &i in lang.interpreters {
                t.interpreters.entry(i).or_insert(lang.id);
            }
            t.names.entry(normalize(lang.name)).or_insert(lang.id);
            for &a in lang.aliases {
                t.names.entry(normalize(a)).or_insert(lang.id);
            }
        }
        // Second pass: these refer to languages by canonical name.
        let id_of = |name: &str| t.names.get(normalize(name).as_str()).copied();
        let prefixes = resolve(FILENAME_PREFIXES, id_of);
        let case_sensitive = resolve(CASE_SENSITIVE_EXTENSIONS, id_of);
        for lang in all() {
            if let Some(parent) = lang.group.and_then(id_of) {
                t.groups[usize::from(lang.id)] = parent;
            }
        }
        t.prefixes = prefixes;
        t.case_sensitive = case_sensitive;
        t
    })
}

/// Resolves `(key, canonical name)` pairs to ids, dropping unknown names (a
/// unit test checks that none are unknown).
fn resolve(
    pairs: &[(&'static str, &'static str)],
    id_of: impl Fn(&str) -> Option<LangId>,
) -> Vec<(&'static str, LangId)> {
    pairs
        .iter()
        .filter_map(|&(key, name)| Some((key, id_of(name)?)))
        .collect()
}

#[cfg(test)]
mod tests;
