//! Character-level scanners. They look at the input from a byte position and
//! report how far a construct extends; deciding what a construct *means* is
//! left to the parser, because the same characters mean different things in
//! different pattern types.

use crate::fields::{self, Field};

/// Unicode whitespace separates terms, as in Sourcegraph.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

pub(crate) fn char_at(input: &str, pos: usize) -> Option<char> {
    input.get(pos..).and_then(|s| s.chars().next())
}

/// The character just before `pos`, if any.
pub(crate) fn char_before(input: &str, pos: usize) -> Option<char> {
    input.get(..pos).and_then(|s| s.chars().next_back())
}

pub(crate) fn skip_spaces(input: &str, mut pos: usize) -> usize {
    while let Some(c) = char_at(input, pos) {
        if !is_space(c) {
            break;
        }
        pos += c.len_utf8();
    }
    pos
}

/// Text derived from the query, remembering for each byte which query offset
/// it came from, so errors found in derived text (e.g. by the regex parser
/// after unescaping) can point back into the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub text: String,
    src: Vec<usize>,
    /// Query offset just past the source of the text.
    pub end: usize,
}

impl Mapped {
    /// A verbatim slice of the input.
    pub fn slice(input: &str, start: usize, end: usize) -> Mapped {
        let mut m = Mapped::default();
        for (i, c) in input[start..end].char_indices() {
            m.push(c, start + i);
        }
        m.end = end;
        m
    }

    pub fn push(&mut self, c: char, from: usize) {
        self.src.extend(std::iter::repeat_n(from, c.len_utf8()));
        self.text.push(c);
    }

    /// Query offset of byte `i` of the text (or of its end).
    pub fn offset(&self, i: usize) -> usize {
        self.src.get(i).copied().unwrap_or(self.end)
    }

    /// Map a byte range of the text to a byte range of the query.
    pub fn range(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let s = self.offset(start);
        let e = self.offset(end).max(s);
        s..e
    }
}

/// How backslashes inside a delimited string are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// Field values: only known escapes are allowed.
    Strict,
    /// Quoted patterns: unknown escapes are kept as written.
    Lenient,
    /// `/regex/`: only `\/` is unescaped; the rest belongs to the regex
    /// syntax and is kept verbatim (so `/a\\b/` keeps its meaning).
    Regex,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DelimError {
    /// No closing delimiter before the end of the query.
    Unterminated,
    /// An escape not allowed in strict mode, at this byte range.
    BadEscape(std::ops::Range<usize>),
}

/// Scan a string delimited by the character at `pos`. Returns the unescaped
/// value and the position just past the closing delimiter.
pub(crate) fn scan_delimited(
    input: &str,
    pos: usize,
    escapes: Escapes,
) -> Result<(Mapped, usize), DelimError> {
    let delim = char_at(input, pos).expect("scan_delimited called at end of input");
    let mut value = Mapped::default();
    let mut iter = input[pos + delim.len_utf8()..].char_indices().peekable();
    let base = pos + delim.len_utf8();
    while let Some((i, c)) = iter.next() {
        let at = base + i;
        if c == delim {
            value.end = at;
            return Ok((value, at + c.len_utf8()));
        }
        if c != '\\' {
            value.push(c, at);
            continue;
        }
        let Some((_, e)) = iter.next() else {
            return Err(DelimError::Unterminated);
        };
        if escapes == Escapes::Regex {
            if e != delim {
                value.push('\\', at);
            }
            value.push(e, at);
            continue;
        }
        match e {
            'n' => value.push('\n', at),
            'r' => value.push('\r', at),
            't' => value.push('\t', at),
            // Kept as escape text, as Sourcegraph does.
            'a' | 'b' | 'f' | 'v' => {
                value.push('\\', at);
                value.push(e, at);
            }
            _ if e == '\\' || e == delim => value.push(e, at),
            _ if escapes == Escapes::Strict => {
                return Err(DelimError::BadEscape(at..at + 1 + e.len_utf8()));
            }
            _ => {
                value.push('\\', at);
                value.push(e, at);
            }
        }
    }
    Err(DelimError::Unterminated)
}

/// A field prefix such as `repo:` or `-file:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldToken {
    pub field: Field,
    pub negated: bool,
    /// Where the `-` or field name starts.
    pub start: usize,
    /// Just past the `:`.
    pub value_start: usize,
}

/// Recognise `[-]letters:` where the letters name a known field (in any
/// letter case). Unknown names are not fields: they stay pattern text.
pub(crate) fn scan_field(input: &str, pos: usize) -> Option<FieldToken> {
    let rest = input.get(pos..)?;
    let bytes = rest.as_bytes();
    let negated = bytes.first() == Some(&b'-');
    let name_start = usize::from(negated);
    let name_len = bytes[name_start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if name_len == 0 || bytes.get(name_start + name_len) != Some(&b':') {
        return None;
    }
    let name = &rest[name_start..name_start + name_len];
    let field = fields::lookup(name)?;
    Some(FieldToken {
        field,
        negated,
        start: pos,
        value_start: pos + name_start + name_len + 1,
    })
}

/// True when `input[pos..]` starts with `word` (ASCII, any letter case)
/// followed by whitespace.
fn keyword_ahead(input: &str, pos: usize, word: &str) -> bool {
    let Some(rest) = input.get(pos..) else {
        return false;
    };
    rest.len() > word.len()
        && rest.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
        && char_at(rest, word.len()).is_some_and(is_space)
}

/// Whether text from `pos` looks like query syntax (a field or an operator),
/// which makes surrounding parentheses a group rather than pattern text.
fn looks_like_syntax(input: &str, pos: usize) -> bool {
    scan_field(input, pos).is_some()
        || ["and", "or", "not"]
            .iter()
            .any(|k| keyword_ahead(input, pos, k))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Balanced {
    /// A pattern ending at this position; its parentheses are balanced.
    Pattern(usize),
    /// The parentheses enclose a field or operator: they form a group.
    Syntax,
    /// The parentheses do not balance.
    Unbalanced,
}

/// Scan a token whose parentheses are pattern text, e.g. `foo(a, b)` or
/// `((a|b)|c)`. Whitespace inside open parentheses belongs to the token. A
/// `)` without a matching `(` ends the token (it may close a group).
pub(crate) fn scan_balanced(input: &str, pos: usize) -> Balanced {
    if looks_like_syntax(input, pos) {
        return Balanced::Syntax;
    }
    let mut depth = 0usize;
    let mut iter = input[pos..].char_indices();
    while let Some((i, c)) = iter.next() {
        let at = pos + i;
        let next = at + c.len_utf8();
        if is_space(c) {
            if depth == 0 {
                return Balanced::Pattern(at);
            }
            if looks_like_syntax(input, next) {
                return Balanced::Syntax;
            }
            continue;
        }
        match c {
            '(' => {
                if looks_like_syntax(input, next) {
                    return Balanced::Syntax;
                }
                depth += 1;
            }
            ')' if depth == 0 => return Balanced::Pattern(at),
            ')' => depth -= 1,
            '\\' => {
                // An escaped character never ends the token or counts as a
                // parenthesis.
                iter.next();
            }
            _ => {}
        }
    }
    if depth == 0 {
        Balanced::Pattern(input.len())
    } else {
        Balanced::Unbalanced
    }
}

/// Scan to the next whitespace (and parenthesis, when `stop_at_parens`).
/// A backslash keeps the next character in the token.
pub(crate) fn scan_word(input: &str, pos: usize, stop_at_parens: bool) -> usize {
    let mut iter = input[pos..].char_indices();
    while let Some((i, c)) = iter.next() {
        if is_space(c) || (stop_at_parens && (c == '(' || c == ')')) {
            return pos + i;
        }
        if c == '\\' {
            iter.next();
        }
    }
    input.len()
}

/// Scan `(`…`)` with balanced parentheses starting at `pos` (which must be
/// `(`), for predicate arguments. Returns the position after the closing `)`.
pub(crate) fn scan_parens(input: &str, pos: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut iter = input[pos..].char_indices();
    while let Some((i, c)) = iter.next() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(pos + i + 1);
                }
            }
            '\\' => {
                iter.next();
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_patterns() {
        assert_eq!(scan_balanced("foo(a, b) x", 0), Balanced::Pattern(9));
        assert_eq!(scan_balanced("((a|b)|c)", 0), Balanced::Pattern(9));
        assert_eq!(scan_balanced("foo)", 0), Balanced::Pattern(3));
        assert_eq!(scan_balanced("(repo:x y)", 0), Balanced::Syntax);
        assert_eq!(scan_balanced("(a or b)", 0), Balanced::Syntax);
        assert_eq!(scan_balanced("foo(", 0), Balanced::Unbalanced);
        assert_eq!(scan_balanced(r"a\ b c", 0), Balanced::Pattern(4));
    }

    #[test]
    fn delimited() {
        let (v, end) = scan_delimited(r#""a \"b\" \n" x"#, 0, Escapes::Lenient).unwrap();
        assert_eq!(v.text, "a \"b\" \n");
        assert_eq!(end, 12);
        assert_eq!(
            scan_delimited(r#""a\d""#, 0, Escapes::Strict),
            Err(DelimError::BadEscape(2..4))
        );
        assert_eq!(
            scan_delimited(r#""abc"#, 0, Escapes::Lenient),
            Err(DelimError::Unterminated)
        );
        let (v, _) = scan_delimited(r"/a\/b\\c\./", 0, Escapes::Regex).unwrap();
        assert_eq!(v.text, r"a/b\\c\.");
    }

    #[test]
    fn fields() {
        let f = scan_field("-Repo:x", 0).unwrap();
        assert!(f.negated);
        assert_eq!(f.value_start, 6);
        assert!(scan_field("foo:bar", 0).is_none());
        assert!(scan_field("-:x", 0).is_none());
    }
}
