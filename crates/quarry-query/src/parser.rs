//! Recursive-descent parser producing a raw tree: operators, groups,
//! parameters and pattern tokens, before any field value is interpreted.
//!
//! The parser follows Sourcegraph's heuristics: parentheses are pattern text
//! unless they enclose a field or an operator, and a query whose
//! parentheses do not balance is parsed a second time with every parenthesis
//! read as pattern text.

use std::ops::Range;

use crate::error::ParseError;
use crate::fields::{self, Field};
use crate::lexer::{
    char_at, char_before, is_space, scan_balanced, scan_delimited, scan_field, scan_parens,
    scan_word, skip_spaces, Balanced, DelimError, Escapes, FieldToken, Mapped,
};
use crate::PatternType;

/// Deeper nesting is rejected rather than risking the stack.
pub(crate) const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Pattern(RawPattern),
    Param(RawParam),
    /// Juxtaposed terms.
    Seq(Vec<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatKind {
    /// Unquoted text, verbatim (backslashes included).
    Word,
    /// A quoted string; the value has its escapes processed.
    Quoted,
    /// `/regex/`; the value is the regex source.
    Regex,
}

#[derive(Debug, Clone)]
pub(crate) struct RawPattern {
    pub kind: PatKind,
    pub value: Mapped,
    pub negated: bool,
    /// The pattern's own text, delimiters included.
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawParam {
    pub field: Field,
    /// The field name as typed (lowercased), for messages: `r`, `path`, ….
    pub name: String,
    pub negated: bool,
    pub value: Mapped,
    pub quoted: bool,
    /// The value looks like a predicate such as `has.file(...)`.
    pub predicate: bool,
    /// From `NOT`/`-`/the name to the end of the value.
    pub span: Range<usize>,
    /// The value, quotes included.
    pub value_span: Range<usize>,
}

struct Failure {
    error: ParseError,
    /// The failure may be due to parentheses meant as pattern text; the
    /// dangling-parentheses pass may succeed.
    recoverable: bool,
}

type PResult<T> = Result<T, Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
}

/// What the missing operand should have followed, for error messages.
type Ctx = Option<(&'static str, Range<usize>)>;

/// Parse `input` into a raw tree; `None` for a blank query.
pub(crate) fn parse(input: &str, mode: PatternType) -> Result<Option<Node>, ParseError> {
    let first = skip_spaces(input, 0);
    if first == input.len() {
        return Ok(None);
    }
    let mut strict = Parser::new(input, mode, false, first);
    match strict.parse_query() {
        Ok(node) => Ok(Some(node)),
        Err(f) if f.recoverable => {
            let mut lenient = Parser::new(input, mode, true, first);
            match lenient.parse_query() {
                // Turning `(repo:x` into text would hide a real mistake, so
                // the strict error wins then.
                Ok(node) if !lenient.swallowed_field => Ok(Some(node)),
                _ => Err(f.error),
            }
        }
        Err(f) => Err(f.error),
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    mode: PatternType,
    /// Every parenthesis is pattern text (Sourcegraph's allowDanglingParens).
    dangling: bool,
    depth: usize,
    /// Offset of the first term: AND/OR are never operators there.
    first: usize,
    /// Set when the dangling pass read a field as text, e.g. `(repo:x`.
    swallowed_field: bool,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, mode: PatternType, dangling: bool, first: usize) -> Self {
        Parser {
            input,
            pos: first,
            mode,
            dangling,
            depth: 0,
            first,
            swallowed_field: false,
        }
    }

    fn fail(&self, span: Range<usize>, msg: impl Into<String>, recoverable: bool) -> Failure {
        Failure {
            error: ParseError::new(self.input, span, msg),
            recoverable,
        }
    }

    fn parse_query(&mut self) -> PResult<Node> {
        let node = self.parse_or(None)?;
        // parse_seq only stops early at ')' (an error at depth 0) or an
        // operator (consumed by parse_and/parse_or), so all input is read.
        debug_assert_eq!(skip_spaces(self.input, self.pos), self.input.len());
        Ok(node)
    }

    fn starts_with_word(&self, word: &str) -> bool {
        let rest = &self.input.as_bytes()[self.pos..];
        rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes())
    }

    /// AND/OR count as operators only after whitespace or `)`, before
    /// whitespace, `(` or the end, and never as the first term.
    fn at_binary(&self) -> Option<(Op, Range<usize>)> {
        if self.pos <= self.first
            || !char_before(self.input, self.pos).is_some_and(|c| is_space(c) || c == ')')
        {
            return None;
        }
        for (word, op) in [("and", Op::And), ("or", Op::Or)] {
            if self.starts_with_word(word) {
                let end = self.pos + word.len();
                if char_at(self.input, end).is_none_or(|c| is_space(c) || c == '(') {
                    return Some((op, self.pos..end));
                }
            }
        }
        None
    }

    /// NOT counts as an operator at the start or after whitespace or `(`,
    /// and before whitespace or the end.
    fn at_not(&self) -> bool {
        let before_ok = self.pos == self.first
            || char_before(self.input, self.pos).is_some_and(|c| is_space(c) || c == '(');
        before_ok
            && self.starts_with_word("not")
            && char_at(self.input, self.pos + 3).is_none_or(is_space)
    }

    fn parse_or(&mut self, after: Ctx) -> PResult<Node> {
        let mut items = vec![self.parse_and(after)?];
        while let Some((Op::Or, span)) = self.at_binary() {
            self.pos = span.end;
            items.push(self.parse_and(Some(("OR", span)))?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node::Or(items)
        })
    }

    fn parse_and(&mut self, after: Ctx) -> PResult<Node> {
        let mut items = vec![self.parse_seq(after)?];
        while let Some((Op::And, span)) = self.at_binary() {
            self.pos = span.end;
            items.push(self.parse_seq(Some(("AND", span)))?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node::And(items)
        })
    }

    /// Describe what is at the current position, for "found …" messages.
    fn found_here(&self) -> (String, Range<usize>) {
        let pos = self.pos;
        match char_at(self.input, pos) {
            None => ("the end of the query".to_string(), pos..pos),
            Some(')') if !self.dangling => ("')'".to_string(), pos..pos + 1),
            Some(_) => {
                if let Some((op, span)) = self.at_binary() {
                    let name = if op == Op::And { "AND" } else { "OR" };
                    (name.to_string(), span)
                } else if self.at_not() {
                    ("NOT".to_string(), pos..pos + 3)
                } else {
                    let end = scan_word(self.input, pos, false);
                    (format!("'{}'", &self.input[pos..end]), pos..end)
                }
            }
        }
    }

    fn missing_operand(&self, after: Ctx) -> Failure {
        let (found, span) = self.found_here();
        let msg = match &after {
            Some((op, _)) => format!("expected a search term after {op}, found {found}"),
            None => format!("expected a search term before {found}"),
        };
        self.fail(span, msg, true)
    }

    fn parse_seq(&mut self, after: Ctx) -> PResult<Node> {
        let mut nodes = Vec::new();
        loop {
            self.pos = skip_spaces(self.input, self.pos);
            let Some(c) = char_at(self.input, self.pos) else {
                break;
            };
            if c == ')' && !self.dangling {
                if self.depth == 0 {
                    return Err(self.fail(
                        self.pos..self.pos + 1,
                        "unbalanced ')' — quote it (\")\") or use content: to search for it",
                        false,
                    ));
                }
                break;
            }
            if self.at_binary().is_some() {
                break;
            }
            if self.at_not() {
                nodes.push(self.parse_not()?);
                continue;
            }
            if c == '(' && !self.dangling {
                match scan_balanced(self.input, self.pos) {
                    Balanced::Pattern(end) if end > self.pos => {
                        nodes.push(Node::Pattern(self.word(self.pos, end, false)));
                        self.pos = end;
                    }
                    _ => nodes.push(self.parse_group()?),
                }
                continue;
            }
            if let Some(ft) = scan_field(self.input, self.pos) {
                nodes.push(Node::Param(self.parse_param(ft, None)?));
                continue;
            }
            nodes.push(Node::Pattern(self.parse_pattern(false)?));
        }
        if nodes.is_empty() {
            return Err(self.missing_operand(after));
        }
        Ok(Node::Seq(nodes))
    }

    fn parse_group(&mut self) -> PResult<Node> {
        let open = self.pos;
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(
                open..open + 1,
                format!("parentheses are nested too deeply (at most {MAX_DEPTH} levels)"),
                true,
            ));
        }
        self.pos += 1;
        self.depth += 1;
        let inner = self.parse_or(Some(("'('", open..open + 1)))?;
        self.pos = skip_spaces(self.input, self.pos);
        if char_at(self.input, self.pos) != Some(')') {
            return Err(self.fail(
                open..open + 1,
                "unbalanced '(': add a matching ')', or quote the text (\"(\") to search for it",
                true,
            ));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(inner)
    }

    fn parse_not(&mut self) -> PResult<Node> {
        let start = self.pos;
        let not_span = start..start + 3;
        self.pos = skip_spaces(self.input, start + 3);
        let ctx: Ctx = Some(("NOT", not_span.clone()));
        let Some(c) = char_at(self.input, self.pos) else {
            return Err(self.missing_operand(ctx));
        };
        if self.at_binary().is_some() || self.at_not() || (c == ')' && !self.dangling) {
            return Err(self.missing_operand(ctx));
        }
        if c == '(' && !self.dangling {
            match scan_balanced(self.input, self.pos) {
                Balanced::Pattern(end) if end > self.pos => {
                    let pat = self.word(self.pos, end, true);
                    self.pos = end;
                    return Ok(Node::Pattern(pat));
                }
                balanced => {
                    return Err(self.fail(
                        start..self.pos + 1,
                        "NOT cannot be applied to a parenthesized group; negate each term instead",
                        // `NOT (foo` may be meant as text.
                        balanced == Balanced::Unbalanced,
                    ));
                }
            }
        }
        if let Some(ft) = scan_field(self.input, self.pos) {
            if ft.negated {
                return Err(self.fail(
                    start..ft.value_start,
                    "NOT and '-' both negate this field: use only one of them",
                    false,
                ));
            }
            return Ok(Node::Param(self.parse_param(ft, Some(start))?));
        }
        Ok(Node::Pattern(self.parse_pattern(true)?))
    }

    fn parse_param(&mut self, ft: FieldToken, not_start: Option<usize>) -> PResult<RawParam> {
        let name_start = ft.start + usize::from(ft.negated);
        let name = self.input[name_start..ft.value_start - 1].to_ascii_lowercase();
        let vs = ft.value_start;
        let mut quoted = false;
        let mut predicate = false;
        let (value, end) = match char_at(self.input, vs) {
            None => (Mapped::slice(self.input, vs, vs), vs),
            Some(c) if is_space(c) => (Mapped::slice(self.input, vs, vs), vs),
            Some(q @ ('"' | '\'')) => {
                quoted = true;
                match scan_delimited(self.input, vs, Escapes::Strict) {
                    Ok(found) => found,
                    Err(DelimError::Unterminated) => {
                        return Err(self.fail(
                            vs..self.input.len(),
                            format!(
                                "unterminated quoted string in {name}: value: add a closing {q}"
                            ),
                            false,
                        ))
                    }
                    Err(DelimError::BadEscape(span)) => {
                        let esc = &self.input[span.clone()];
                        return Err(self.fail(
                            span,
                            format!(
                                "unknown escape sequence '{esc}' in a quoted {name}: value: \
                                 write \\\\ for a backslash, or leave the value unquoted"
                            ),
                            false,
                        ));
                    }
                }
            }
            Some(_) => {
                let end = if let Some(end) = self.scan_predicate(ft.field, vs) {
                    predicate = true;
                    end
                } else {
                    match scan_balanced(self.input, vs) {
                        Balanced::Pattern(end) => end,
                        // In the dangling pass parentheses are text here too,
                        // so `repo:a(` reports its regex error.
                        _ => scan_word(self.input, vs, !self.dangling),
                    }
                };
                (Mapped::slice(self.input, vs, end), end)
            }
        };
        self.pos = end;
        Ok(RawParam {
            field: ft.field,
            name,
            negated: ft.negated || not_start.is_some(),
            value,
            quoted,
            predicate,
            span: not_start.unwrap_or(ft.start)..end,
            value_span: vs..end,
        })
    }

    /// `name(args)` where `name` is a registered predicate of `field`.
    fn scan_predicate(&self, field: Field, pos: usize) -> Option<usize> {
        let rest = &self.input[pos..];
        let name_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || *b == b'.')
            .count();
        if name_len == 0
            || rest.as_bytes().get(name_len) != Some(&b'(')
            || !fields::is_predicate(field, &rest[..name_len])
        {
            return None;
        }
        scan_parens(self.input, pos + name_len)
    }

    /// Whether a delimited pattern ending at `end` is properly closed:
    /// followed by whitespace, `)` or the end of the query.
    fn closes_at(&self, end: usize) -> bool {
        char_at(self.input, end).is_none_or(|c| is_space(c) || c == ')')
    }

    fn parse_pattern(&mut self, negated: bool) -> PResult<RawPattern> {
        let pos = self.pos;
        let c = char_at(self.input, pos).expect("parse_pattern at end of input");
        let quotes_delimit = matches!(self.mode, PatternType::Keyword | PatternType::Regexp);
        if c == '"' || c == '\'' {
            match scan_delimited(self.input, pos, Escapes::Lenient) {
                Ok((value, end)) if self.closes_at(end) => {
                    self.pos = end;
                    if quotes_delimit {
                        return Ok(RawPattern {
                            kind: PatKind::Quoted,
                            value,
                            negated,
                            span: pos..end,
                        });
                    }
                    // Literal and standard: the quotes are text, but the
                    // string is kept whole so its spaces and operator words
                    // stay text too.
                    return Ok(self.word(pos, end, negated));
                }
                // A lone `'` is common in code (lifetimes, apostrophes); a
                // lone `"` is more likely a forgotten closing quote.
                Err(DelimError::Unterminated) if c == '"' && quotes_delimit => {
                    return Err(self.fail(
                        pos..self.input.len(),
                        "unterminated quoted string: add a closing \" \
                         (to search for a lone quote, write '\"')",
                        false,
                    ));
                }
                _ => {}
            }
        }
        if c == '/' && self.mode != PatternType::Literal {
            if let Ok((value, end)) = scan_delimited(self.input, pos, Escapes::Regex) {
                // `//` is text, not an empty regex.
                if !value.text.is_empty() && self.closes_at(end) {
                    self.pos = end;
                    return Ok(RawPattern {
                        kind: PatKind::Regex,
                        value,
                        negated,
                        span: pos..end,
                    });
                }
            }
        }
        let mut end = if self.dangling {
            scan_word(self.input, pos, false)
        } else {
            match scan_balanced(self.input, pos) {
                Balanced::Pattern(end) if end > pos => end,
                // Regexp patterns stop at a parenthesis (which may open or
                // close a group); other types read up to whitespace.
                _ => scan_word(self.input, pos, self.mode == PatternType::Regexp),
            }
        };
        if end == pos {
            end = pos + c.len_utf8();
        }
        self.pos = end;
        Ok(self.word(pos, end, negated))
    }

    fn word(&mut self, start: usize, end: usize, negated: bool) -> RawPattern {
        if self.dangling {
            let after_parens = start
                + self.input[start..end]
                    .bytes()
                    .take_while(|b| *b == b'(' || *b == b')')
                    .count();
            if after_parens > start && scan_field(self.input, after_parens).is_some() {
                self.swallowed_field = true;
            }
        }
        RawPattern {
            kind: PatKind::Word,
            value: Mapped::slice(self.input, start, end),
            negated,
            span: start..end,
        }
    }
}
