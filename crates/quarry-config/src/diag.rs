//! Diagnostics: `FILE:LINE:COLUMN: key.path: what is wrong — how to fix it`.

use std::fmt;

/// One problem of a configuration, located in the file (or the environment variable) it comes
/// from.
///
/// Its `Display` is `FILE:LINE:COLUMN: key.path: what is wrong — how to fix it`:
///
/// - `FILE` is the configuration file as given, or `env:QUARRY_NAME` for a problem in the value of
///   an environment variable (with `LINE:COLUMN` inside the value, `1:1` for the whole of it).
/// - `LINE` and `COLUMN` count from 1; columns count characters.
/// - `key.path` is the key, with `[N]` (from 0) for entries of `[[repos]]` and `[[code_hosts]]`
///   and list items: `repos[1].branches[0]`. It is left out (with its `: `) for syntax errors,
///   which have no key.
/// - ` — how to fix it` is left out when there is no advice.
///
/// Messages never contain a secret: values where a secret reference is expected are not repeated,
/// nor are the values of unknown `QUARRY_…` variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub struct Diagnostic {
    /// The file as given, or `env:QUARRY_NAME`.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// The key concerned, `search.max_concurrent`, `repos[0].url`; empty for syntax errors.
    pub key_path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it; may be empty.
    pub fix: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key_path.is_empty() {
            write!(f, "{}: ", self.key_path)?;
        }
        f.write_str(&self.message)?;
        if !self.fix.is_empty() {
            write!(f, " — {}", self.fix)?;
        }
        Ok(())
    }
}

/// Line and column (from 1, columns in characters) of byte offset `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Optimal string alignment distance (Levenshtein with transpositions).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let d = if candidate.to_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &candidate.to_lowercase())
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 100), (3, 1));
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("serach", "search"), 1);
        assert_eq!(did_you_mean("serach", ["search", "sync"]), Some("search"));
        assert_eq!(
            did_you_mean("max_concurent", ["max_concurrent", "default_limit"]),
            Some("max_concurrent")
        );
        assert_eq!(did_you_mean("Listen", ["listen"]), Some("listen"));
        assert_eq!(did_you_mean("bug", ["log"]), None);
        assert_eq!(did_you_mean("colour", ["listen", "log"]), None);
    }

    #[test]
    fn display() {
        let d = Diagnostic {
            file: "q.toml".into(),
            line: 3,
            column: 1,
            key_path: "serach".into(),
            message: "unknown key `serach`".into(),
            fix: "did you mean `search`?".into(),
        };
        assert_eq!(
            d.to_string(),
            "q.toml:3:1: serach: unknown key `serach` — did you mean `search`?"
        );
    }
}
