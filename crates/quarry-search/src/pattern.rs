//! Compiling a pattern into a line-oriented regex, as grep and ripgrep match.

use regex_automata::meta::Regex;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
};
use regex_syntax::ParserBuilder;

/// A compiled pattern with the HIR the planner reads.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub regex: Regex,
    pub hir: Hir,
    /// True when the pattern itself contains `\n`: then matches may span lines.
    pub multiline: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid regular expression {pattern:?}: {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

/// Compiles `pattern` so that, like grep, a match never spans a line break: `^`/`$` match at
/// line boundaries and `\n` is removed from classes such as `\s` and `[^a]`. A pattern that
/// itself contains a newline keeps its classes whole and may match across lines (rg -U).
pub fn compile(pattern: &str, case_insensitive: bool) -> Result<Pattern, PatternError> {
    let err = |message: String| PatternError {
        pattern: pattern.to_string(),
        message,
    };
    let hir = ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .multi_line(true)
        .build()
        .parse(pattern)
        .map_err(|e| err(e.to_string()))?;
    let multiline = has_newline_literal(&hir);
    let hir = if multiline { hir } else { strip_newline(&hir) };
    let regex = Regex::builder()
        .build_from_hir(&hir)
        .map_err(|e| err(e.to_string()))?;
    Ok(Pattern {
        regex,
        hir,
        multiline,
    })
}

fn has_newline_literal(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Unicode(c)) => {
            c.ranges().len() == 1 && c.ranges()[0] == ClassUnicodeRange::new('\n', '\n')
        }
        HirKind::Class(Class::Bytes(c)) => {
            c.ranges().len() == 1 && c.ranges()[0] == ClassBytesRange::new(b'\n', b'\n')
        }
        HirKind::Capture(c) => has_newline_literal(&c.sub),
        HirKind::Repetition(r) => has_newline_literal(&r.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(has_newline_literal),
        HirKind::Empty | HirKind::Look(_) => false,
    }
}

fn strip_newline(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let mut c = c.clone();
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('\n', '\n')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut c = c.clone();
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'\n', b'\n')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Capture(cap) => {
            let mut cap = cap.clone();
            cap.sub = Box::new(strip_newline(&cap.sub));
            Hir::capture(cap)
        }
        HirKind::Repetition(rep) => {
            let mut rep = rep.clone();
            rep.sub = Box::new(strip_newline(&rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Concat(v) => Hir::concat(v.iter().map(strip_newline).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(strip_newline).collect()),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => hir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(p: &str, ci: bool, text: &str) -> Vec<String> {
        let pat = compile(p, ci).unwrap();
        pat.regex
            .find_iter(text.as_bytes())
            .map(|m| text[m.range()].to_string())
            .collect()
    }

    #[test]
    fn matches_stay_on_one_line() {
        assert_eq!(finds(r"a\sb", false, "a\nb a b"), vec!["a b"]);
        assert_eq!(finds(r"a[^x]b", false, "a\nb ayb"), vec!["ayb"]);
        assert_eq!(finds(r"^b", false, "a\nb"), vec!["b"]);
        assert_eq!(finds(r"a$", false, "a\nb"), vec!["a"]);
        assert!(!compile(r"a\sb", false).unwrap().multiline);
    }

    #[test]
    fn newline_in_pattern_spans_lines() {
        let p = compile(r"a\nb", false).unwrap();
        assert!(p.multiline);
        assert_eq!(finds(r"a\nb", false, "xa\nbx"), vec!["a\nb"]);
    }

    #[test]
    fn case_insensitive_is_unicode_aware() {
        assert_eq!(finds("straße", true, "STRAßE"), vec!["STRAßE"]);
        assert_eq!(finds("k", true, "\u{212A}"), vec!["\u{212A}"]);
    }

    #[test]
    fn bad_regex_names_the_problem() {
        let e = compile("a(b", false).unwrap_err();
        assert!(e.to_string().contains("unclosed group"), "{e}");
    }
}
