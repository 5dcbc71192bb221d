//! The parse error and its rendering with a caret under the offending text.

use std::fmt;

/// Why a query could not be parsed, and where.
///
/// `Display` renders three lines: the message, the query, and a caret line
/// underlining the offending span (counted in characters, so it lines up for
/// non-ASCII queries too):
///
/// ```text
/// invalid query: expected a search term after AND, found the end of the query
///   foo AND
///          ^
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the offending text in the query.
    pub offset: usize,
    /// Byte length of the offending text (0 points between characters, e.g.
    /// at the end of the query).
    pub len: usize,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
    query: String,
}

impl ParseError {
    pub(crate) fn new(
        query: &str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        // Clamp defensively so rendering never slices outside the query.
        let offset = span.start.min(query.len());
        let end = span.end.clamp(offset, query.len());
        ParseError {
            offset,
            len: end - offset,
            message: message.into(),
            query: query.to_string(),
        }
    }

    /// The query the error refers to.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Character column (0-based) of the offending text.
    pub fn column(&self) -> usize {
        char_count(&self.query, self.offset)
    }
}

/// Number of characters in `s[..byte]`, tolerating offsets inside a
/// character.
fn char_count(s: &str, byte: usize) -> usize {
    s.char_indices().take_while(|(i, _)| *i < byte).count()
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid query: {}", self.message)?;
        // Control characters (newlines, tabs) would break the alignment of
        // the caret line, so each is shown as one space.
        let shown: String = self
            .query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        writeln!(f, "  {shown}")?;
        let col = self.column();
        let width = char_count(&self.query, self.offset + self.len) - col;
        write!(f, "  {}{}", " ".repeat(col), "^".repeat(width.max(1)))
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_in_characters() {
        let e = ParseError::new("héllo )", 7..8, "x");
        assert_eq!(e.to_string(), "invalid query: x\n  héllo )\n        ^");
        let e = ParseError::new("foo AND", 7..7, "y");
        assert_eq!(e.to_string(), "invalid query: y\n  foo AND\n         ^");
        let e = ParseError::new("a\tbcd", 2..5, "z");
        assert_eq!(e.to_string(), "invalid query: z\n  a bcd\n    ^^^");
    }
}
