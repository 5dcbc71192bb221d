//! From a regex's HIR to the n-gram condition every match implies.
//!
//! This follows the analysis of Russ Cox's "Regular Expression Matching with a Trigram Index":
//! for each node we track whether it can match the empty string, the exact set of strings it
//! matches (while small), sets of possible prefixes and suffixes, and a condition that any
//! text containing a match satisfies. Strings are folded as the index folds them (ASCII lower
//! case); non-ASCII case variants arrive as classes and become alternatives.

use crate::cond::{fold_bytes, Cond};
use quarry_index::Field;
use regex_syntax::hir::{Class, Hir, HirKind};
use std::collections::BTreeSet;

/// More exact strings than this and they are turned into trigram conditions.
const MAX_EXACT: usize = 7;
/// Prefix and suffix sets are trimmed to stay under this size.
const MAX_SET: usize = 20;
/// Classes with more (folded) members than this count as "any character".
const MAX_CLASS: usize = 16;
/// Exact strings at least this long are turned into trigrams at once (keeps sets small).
const MAX_EXACT_LEN: usize = 16;

type Set = BTreeSet<Vec<u8>>;

#[derive(Clone, Debug)]
struct Info {
    can_empty: bool,
    exact: Option<Set>,
    prefix: Set,
    suffix: Set,
    cond: Cond,
    field: Field,
}

/// The condition any text containing a match of `hir` satisfies, over `field`'s n-grams.
pub fn condition(hir: &Hir, field: Field) -> Cond {
    let mut info = analyze(hir, field);
    info.simplify(true);
    info.add_exact();
    info.cond
}

/// Sets of strings one of which every match must contain, each set from a run of literal
/// pieces of a top-level concatenation (e.g. `struct.*for` gives {"struct"} and {"for"}).
/// Strings are folded as the index folds them when `fold` is set, else kept exact; sets with a
/// string shorter than 3 bytes or containing a newline are left out (they would find too
/// much, or cross lines).
pub fn required_literals(hir: &Hir, fold: bool) -> Vec<BTreeSet<Vec<u8>>> {
    let mut out = Vec::new();
    collect_required(hir, fold, &mut out);
    out.retain(|set: &Set| {
        !set.is_empty() && set.iter().all(|s| s.len() >= 3 && !s.contains(&b'\n'))
    });
    out
}

fn collect_required(hir: &Hir, fold: bool, out: &mut Vec<Set>) {
    match hir.kind() {
        HirKind::Capture(c) => collect_required(&c.sub, fold, out),
        HirKind::Repetition(r) if r.min >= 1 => collect_required(&r.sub, fold, out),
        HirKind::Concat(children) => {
            let mut run: Option<Set> = None;
            for child in children {
                match exact_set(child, fold) {
                    Some(set) => {
                        run = Some(match run.take() {
                            Some(r) if r.len() * set.len() <= 4 * MAX_SET => cross(&r, &set),
                            Some(r) => {
                                out.push(r);
                                set
                            }
                            None => set,
                        })
                    }
                    None => {
                        out.extend(run.take());
                        collect_required(child, fold, out);
                    }
                }
            }
            out.extend(run);
        }
        _ => out.extend(exact_set(hir, fold)),
    }
}

/// The exact strings a node matches, when there are few.
fn exact_set(hir: &Hir, fold: bool) -> Option<Set> {
    let set = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => set_of(b""),
        HirKind::Literal(lit) if fold => set_of(&fold_bytes(&lit.0)),
        HirKind::Literal(lit) => set_of(&lit.0),
        HirKind::Class(c) => class_members(c, fold)?,
        HirKind::Capture(c) => exact_set(&c.sub, fold)?,
        HirKind::Concat(v) => {
            let mut acc = set_of(b"");
            for h in v {
                acc = cross(&acc, &exact_set(h, fold)?);
                if acc.len() > 4 * MAX_SET {
                    return None;
                }
            }
            acc
        }
        HirKind::Alternation(v) => {
            let mut acc = Set::new();
            for h in v {
                acc.extend(exact_set(h, fold)?);
            }
            acc
        }
        HirKind::Repetition(r) => match (r.min, r.max) {
            (1, Some(1)) => exact_set(&r.sub, fold)?,
            _ => return None,
        },
    };
    (set.len() <= 4 * MAX_SET).then_some(set)
}

fn set_of(s: &[u8]) -> Set {
    [s.to_vec()].into_iter().collect()
}

impl Info {
    fn empty_string(field: Field) -> Info {
        Info {
            can_empty: true,
            exact: Some(set_of(b"")),
            prefix: Set::new(),
            suffix: Set::new(),
            cond: Cond::All,
            field,
        }
    }
    fn any_char(field: Field) -> Info {
        Info {
            can_empty: false,
            exact: None,
            prefix: set_of(b""),
            suffix: set_of(b""),
            cond: Cond::All,
            field,
        }
    }
    fn any_match(field: Field) -> Info {
        Info {
            can_empty: true,
            ..Info::any_char(field)
        }
    }
    fn no_match(field: Field) -> Info {
        Info {
            can_empty: false,
            exact: None,
            prefix: Set::new(),
            suffix: Set::new(),
            cond: Cond::None,
            field,
        }
    }

    fn add_exact(&mut self) {
        if let Some(exact) = &self.exact {
            let c = Cond::of_set(self.field, exact);
            self.cond = std::mem::replace(&mut self.cond, Cond::All).and(c);
        }
    }

    fn and_set(&mut self, set: &Set) {
        let c = Cond::of_set(self.field, set);
        self.cond = std::mem::replace(&mut self.cond, Cond::All).and(c);
    }

    fn simplify(&mut self, force: bool) {
        if let Some(exact) = &self.exact {
            let min_len = exact.iter().map(Vec::len).min().unwrap_or(0);
            if exact.len() > MAX_EXACT || (force && min_len >= 3) || min_len >= MAX_EXACT_LEN {
                self.add_exact();
                let exact = self.exact.take().expect("checked");
                for s in exact {
                    if s.len() < 3 {
                        self.prefix.insert(s.clone());
                        self.suffix.insert(s);
                    } else {
                        self.prefix.insert(s[..2].to_vec());
                        self.suffix.insert(s[s.len() - 2..].to_vec());
                    }
                }
            }
        }
        if self.exact.is_none() {
            let prefix = std::mem::take(&mut self.prefix);
            self.prefix = self.simplify_set(prefix, false);
            let suffix = std::mem::take(&mut self.suffix);
            self.suffix = self.simplify_set(suffix, true);
        }
    }

    /// Records the set's trigrams in the condition, then trims its strings to at most two
    /// bytes (fewer while the set is too large) and drops redundant longer ones.
    fn simplify_set(&mut self, set: Set, is_suffix: bool) -> Set {
        self.and_set(&set);
        let trim = |s: &[u8], n: usize| -> Vec<u8> {
            if s.len() <= n {
                s.to_vec()
            } else if is_suffix {
                s[s.len() - n..].to_vec()
            } else {
                s[..n].to_vec()
            }
        };
        let mut n = 2;
        let mut t: Set = set.iter().map(|s| trim(s, n)).collect();
        while t.len() > MAX_SET && n > 0 {
            n -= 1;
            t = t.iter().map(|s| trim(s, n)).collect();
        }
        // "ab" as a possible prefix makes "abc" add nothing.
        let mut out = Set::new();
        let mut sorted: Vec<Vec<u8>> = t.into_iter().collect();
        sorted.sort_by_key(|s| s.len());
        for s in sorted {
            let redundant = out.iter().any(|o: &Vec<u8>| {
                if is_suffix {
                    s.ends_with(o)
                } else {
                    s.starts_with(o)
                }
            });
            if !redundant {
                out.insert(s);
            }
        }
        out
    }
}

fn cross(a: &Set, b: &Set) -> Set {
    let mut out = Set::new();
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.insert(s);
        }
    }
    out
}

fn min_len(s: &Set) -> usize {
    s.iter().map(Vec::len).min().unwrap_or(0)
}

fn concat(x: Info, y: Info) -> Info {
    let field = x.field;
    let mut xy = Info {
        can_empty: x.can_empty && y.can_empty,
        exact: None,
        prefix: Set::new(),
        suffix: Set::new(),
        cond: x.cond.clone().and(y.cond.clone()),
        field,
    };
    match (&x.exact, &y.exact) {
        (Some(xe), Some(ye)) => xy.exact = Some(cross(xe, ye)),
        _ => {
            xy.prefix = match &x.exact {
                Some(xe) => cross(xe, &y.prefix),
                None if x.can_empty => x.prefix.union(&y.prefix).cloned().collect(),
                None => x.prefix.clone(),
            };
            xy.suffix = match &y.exact {
                Some(ye) => cross(&x.suffix, ye),
                None if y.can_empty => y.suffix.union(&x.suffix).cloned().collect(),
                None => y.suffix.clone(),
            };
        }
    }
    // A match crosses the boundary between x and y: some suffix of x followed by some prefix
    // of y occurs in the text, and if all such pairs are long enough, their trigrams help.
    if x.exact.is_none()
        && y.exact.is_none()
        && x.suffix.len() <= MAX_SET
        && y.prefix.len() <= MAX_SET
        && min_len(&x.suffix) + min_len(&y.prefix) >= 3
    {
        let boundary = cross(&x.suffix, &y.prefix);
        xy.and_set(&boundary);
    }
    xy.simplify(false);
    xy
}

fn alternate(mut x: Info, mut y: Info) -> Info {
    let field = x.field;
    let mut xy = Info::no_match(field);
    match (&x.exact, &y.exact) {
        (Some(xe), Some(ye)) => xy.exact = Some(xe.union(ye).cloned().collect()),
        (Some(xe), None) => {
            xy.prefix = xe.union(&y.prefix).cloned().collect();
            xy.suffix = xe.union(&y.suffix).cloned().collect();
            x.add_exact();
        }
        (None, Some(ye)) => {
            xy.prefix = x.prefix.union(ye).cloned().collect();
            xy.suffix = x.suffix.union(ye).cloned().collect();
            y.add_exact();
        }
        (None, None) => {
            xy.prefix = x.prefix.union(&y.prefix).cloned().collect();
            xy.suffix = x.suffix.union(&y.suffix).cloned().collect();
        }
    }
    xy.can_empty = x.can_empty || y.can_empty;
    xy.cond = x.cond.or(y.cond);
    xy.simplify(false);
    xy
}

/// The members of a small class (folded when `fold`), or `None` when it is too large.
fn class_members(class: &Class, fold: bool) -> Option<Set> {
    let f = |b: &[u8]| if fold { fold_bytes(b) } else { b.to_vec() };
    let mut out = Set::new();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                if (r.end() as u32 - r.start() as u32) as usize >= 4 * MAX_CLASS {
                    return None;
                }
                for ch in r.start()..=r.end() {
                    let mut buf = [0u8; 4];
                    out.insert(f(ch.encode_utf8(&mut buf).as_bytes()));
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    out.insert(f(&[b]));
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
    }
    Some(out)
}

fn analyze(hir: &Hir, field: Field) -> Info {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info::empty_string(field),
        HirKind::Literal(lit) => {
            let mut info = Info::empty_string(field);
            info.can_empty = lit.0.is_empty();
            info.exact = Some(set_of(&fold_bytes(&lit.0)));
            info.simplify(false);
            info
        }
        HirKind::Class(class) => match class_members(class, true) {
            Some(members) if members.is_empty() => Info::no_match(field),
            Some(members) => Info {
                can_empty: false,
                exact: Some(members),
                ..Info::empty_string(field)
            },
            None => Info::any_char(field),
        },
        HirKind::Capture(cap) => analyze(&cap.sub, field),
        HirKind::Repetition(rep) => {
            let sub = || analyze(&rep.sub, field);
            match (rep.min, rep.max) {
                (0, Some(0)) => Info::empty_string(field),
                (0, Some(1)) => alternate(sub(), Info::empty_string(field)),
                (0, _) => Info::any_match(field),
                (min, Some(max)) if min == max && min <= 4 => {
                    (1..min).fold(sub(), |acc, _| concat(acc, sub()))
                }
                _ => {
                    // At least one copy: its prefixes and suffixes stay, its exactness doesn't.
                    let mut info = sub();
                    if let Some(exact) = info.exact.take() {
                        info.prefix = exact.clone();
                        info.suffix = exact;
                    }
                    info
                }
            }
        }
        HirKind::Concat(subs) => subs.iter().fold(Info::empty_string(field), |acc, h| {
            concat(acc, analyze(h, field))
        }),
        HirKind::Alternation(subs) => {
            let mut it = subs.iter();
            let first = it
                .next()
                .map_or(Info::no_match(field), |h| analyze(h, field));
            it.fold(first, |acc, h| alternate(acc, analyze(h, field)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_index::grams::{fold, pack};
    use regex_syntax::ParserBuilder;

    fn plan(re: &str, ci: bool) -> Cond {
        let hir = ParserBuilder::new()
            .case_insensitive(ci)
            .build()
            .parse(re)
            .unwrap();
        condition(&hir, Field::Content)
    }

    fn grams_present(text: &[u8]) -> impl Fn(Field, u32) -> bool + '_ {
        move |_, g| {
            text.windows(3)
                .any(|w| pack(fold(w[0]), fold(w[1]), fold(w[2])) == g)
        }
    }

    #[test]
    fn literals_and_alternations() {
        assert_eq!(plan("abcd", false).describe(), r#"("abc" AND "bcd")"#);
        assert_eq!(plan("ABCD", true), plan("abcd", false));
        assert_eq!(plan("abc|xyz", false).describe(), r#"("abc" OR "xyz")"#);
        assert_eq!(plan("ab", false), Cond::All);
        assert_eq!(plan(r"\w+", false), Cond::All);
        assert_eq!(plan("a.*b", false), Cond::All);
        let c = plan(r"foo\w*bar", false);
        assert!(c.eval(&grams_present(b"fooXbar")));
        assert!(!c.eval(&grams_present(b"foo only")));
        // A class of a few letters expands into alternatives.
        let c = plan("ab[cd]e", false);
        assert!(c.eval(&grams_present(b"abde")) && c.eval(&grams_present(b"abce")));
        assert!(!c.eval(&grams_present(b"abxe")));
    }

    #[test]
    fn required_literals_of_concatenations() {
        let req = |re: &str, ci: bool| -> Vec<Vec<String>> {
            let hir = ParserBuilder::new()
                .case_insensitive(ci)
                .build()
                .parse(re)
                .unwrap();
            required_literals(&hir, true)
                .into_iter()
                .map(|s| {
                    s.into_iter()
                        .map(|b| String::from_utf8(b).unwrap())
                        .collect()
                })
                .collect()
        };
        assert_eq!(
            req("struct.*for.*while", false),
            vec![vec!["struct"], vec!["for"], vec!["while"]]
        );
        // Case-insensitive: Unicode case variants too (ſ folds to s).
        assert_eq!(
            req("Struct.*FOR", true),
            vec![vec!["struct", "ſtruct"], vec!["for"]]
        );
        assert_eq!(
            req(r"\bkmalloc\(.*GFP", false),
            vec![vec!["kmalloc("], vec!["gfp"]]
        );
        assert_eq!(req("(foo|bar)baz", false), vec![vec!["barbaz", "foobaz"]]);
        assert!(req(r"\w+", false).is_empty());
        assert!(req("ab.*cd", false).is_empty(), "too short to help");
    }

    #[test]
    fn unicode_case_variants_are_alternatives() {
        // (?i)k also matches the Kelvin sign, which the index does not fold.
        let c = plan("kelvin", true);
        assert!(c.eval(&grams_present("\u{212A}elvin".as_bytes())));
        assert!(c.eval(&grams_present(b"KELVIN")));
    }
}
