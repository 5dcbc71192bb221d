//! Turns the raw tree into a [`Query`]: interprets field values, builds
//! pattern regexes for the pattern type, validates regexes, and simplifies
//! the boolean tree.

use std::ops::Range;

use crate::error::ParseError;
use crate::fields::{self, Field};
use crate::lexer::{is_space, Mapped};
use crate::parser::{Node, PatKind, RawParam, RawPattern};
use crate::{Expr, Pattern, PatternType, Query, SearchType};

/// Find `patterntype:` cheaply, before tokenizing (which depends on it).
pub(crate) fn prescan_pattern_type(input: &str) -> Option<PatternType> {
    const KEY: &str = "patterntype:";
    input.split(is_space).find_map(|token| {
        let token = token.trim_start_matches('(');
        let head = token.get(..KEY.len())?;
        if !head.eq_ignore_ascii_case(KEY) {
            return None;
        }
        fields::parse_pattern_type(token[KEY.len()..].trim_end_matches(')')).ok()
    })
}

pub(crate) fn resolve(
    input: &str,
    root: Option<&Node>,
    mode: PatternType,
) -> Result<Query, ParseError> {
    let mut r = Resolver {
        input,
        mode,
        query: Query::default(),
        seen: Vec::new(),
        type_seen: false,
    };
    if let Some(root) = root {
        r.query.expr = r.node(root)?;
    }
    Ok(r.query)
}

struct Resolver<'a> {
    input: &'a str,
    mode: PatternType,
    query: Query,
    /// Singular settings already given, to reject repeats.
    seen: Vec<Field>,
    type_seen: bool,
}

/// Consecutive pattern terms of a sequence and where their result goes.
#[derive(Default)]
struct Run {
    atoms: Vec<Atom>,
    slot: Option<usize>,
}

/// One pattern term, validated, before juxtaposed terms are combined.
struct Atom {
    regex: String,
    /// The literal text, when the term is literal.
    text: Option<String>,
    span: Range<usize>,
}

impl Atom {
    fn literal(text: String, span: Range<usize>) -> Atom {
        Atom {
            regex: regex_syntax::escape(&text),
            text: Some(text),
            span,
        }
    }

    fn into_pattern(self, content_only: bool) -> Expr {
        Expr::Pattern(Pattern {
            is_literal: self.text.is_some(),
            regex: self.regex,
            content_only,
            span: self.span,
        })
    }
}

impl Resolver<'_> {
    fn err(&self, span: Range<usize>, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.input, span, msg)
    }

    fn node(&mut self, node: &Node) -> Result<Expr, ParseError> {
        match node {
            Node::Pattern(_) => self.seq(std::slice::from_ref(node)),
            Node::Param(p) => self.param(p),
            Node::Seq(items) => self.seq(items),
            Node::And(items) => {
                let parts = items
                    .iter()
                    .map(|n| self.node(n))
                    .collect::<Result<_, _>>()?;
                Ok(and(parts))
            }
            Node::Or(items) => {
                let parts = items
                    .iter()
                    .map(|n| self.node(n))
                    .collect::<Result<_, _>>()?;
                Ok(or(parts))
            }
        }
    }

    /// Juxtaposed terms: filters are order-free; consecutive patterns form a
    /// run that the pattern type combines. A group or a negated pattern ends
    /// a run (filters between patterns do not, as in Sourcegraph).
    fn seq(&mut self, items: &[Node]) -> Result<Expr, ParseError> {
        let mut parts = Vec::new();
        // The run's combined patterns go where its first term was, so the
        // tree keeps the order of the query.
        let mut run = Run::default();
        for item in items {
            match item {
                Node::Pattern(p) if !p.negated => {
                    if let Some(atom) = self.atom(p)? {
                        run.slot.get_or_insert(parts.len());
                        run.atoms.push(atom);
                    }
                }
                Node::Pattern(p) => {
                    self.flush(&mut run, &mut parts);
                    if let Some(atom) = self.atom(p)? {
                        parts.push(Expr::Not(Box::new(atom.into_pattern(false))));
                    }
                }
                Node::Param(p) => parts.push(self.param(p)?),
                other => {
                    self.flush(&mut run, &mut parts);
                    parts.push(self.node(other)?);
                }
            }
        }
        self.flush(&mut run, &mut parts);
        Ok(and(parts))
    }

    fn flush(&self, run: &mut Run, parts: &mut Vec<Expr>) {
        let Run { atoms, slot } = std::mem::take(run);
        let Some(slot) = slot else {
            return;
        };
        let combined = self.combine(atoms);
        parts.splice(slot..slot, combined);
    }

    /// Combine juxtaposed pattern terms according to the pattern type.
    fn combine(&self, atoms: Vec<Atom>) -> Vec<Expr> {
        let mut parts = Vec::new();
        match self.mode {
            PatternType::Keyword => parts.extend(atoms.into_iter().map(|a| a.into_pattern(false))),
            PatternType::Literal | PatternType::Standard => {
                // Consecutive literal terms are one string joined by single
                // spaces; a /regex/ (standard only) stands on its own.
                let mut pending: Vec<Atom> = Vec::new();
                for atom in atoms {
                    if atom.text.is_some() {
                        pending.push(atom);
                    } else {
                        parts.extend(join_literals(std::mem::take(&mut pending)));
                        parts.push(atom.into_pattern(false));
                    }
                }
                parts.extend(join_literals(pending));
            }
            PatternType::Regexp if atoms.len() == 1 => {
                parts.extend(atoms.into_iter().map(|a| a.into_pattern(false)));
            }
            PatternType::Regexp => {
                let span = atoms[0].span.start..atoms[atoms.len() - 1].span.end;
                let regex = atoms
                    .iter()
                    .map(|a| {
                        if a.text.is_none() && needs_group(&a.regex) {
                            format!("(?:{})", a.regex)
                        } else {
                            a.regex.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("(?:.*?)");
                parts.push(Expr::Pattern(Pattern {
                    regex,
                    is_literal: false,
                    content_only: false,
                    span,
                }));
            }
        }
        parts
    }

    /// A single pattern term read according to the pattern type. Empty
    /// quoted strings are dropped.
    fn atom(&self, p: &RawPattern) -> Result<Option<Atom>, ParseError> {
        let span = p.span.clone();
        Ok(Some(match (p.kind, self.mode) {
            (PatKind::Quoted, _) if p.value.text.is_empty() => return Ok(None),
            (PatKind::Regex, _) => {
                self.validate(&p.value, "", "remove the slashes to search for the text")?;
                Atom {
                    regex: p.value.text.clone(),
                    text: None,
                    span,
                }
            }
            (PatKind::Word, PatternType::Regexp) => {
                let source = unescape_spaces(&p.value);
                self.validate(&source, "", "quote it to search for the text")?;
                Atom {
                    regex: source.text,
                    text: None,
                    span,
                }
            }
            (PatKind::Word | PatKind::Quoted, _) => Atom::literal(p.value.text.clone(), span),
        }))
    }

    fn param(&mut self, p: &RawParam) -> Result<Expr, ParseError> {
        let name = &p.name;
        if let Field::Unsupported(canonical) = p.field {
            return Err(self.err(p.span.clone(), unsupported_message(name, canonical)));
        }
        if p.field.is_setting() {
            if p.negated {
                return Err(self.err(
                    p.span.clone(),
                    format!("{name}: cannot be negated: remove the NOT or '-'"),
                ));
            }
            self.setting(p)?;
            return Ok(Expr::All);
        }
        if p.value.text.is_empty() {
            return Err(self.err(
                p.span.clone(),
                format!("{name}: needs a value, e.g. {}", example(p.field)),
            ));
        }
        if p.predicate {
            return Err(self.err(
                p.value_span.clone(),
                format!(
                    "predicates such as {name}:{} are not supported yet",
                    p.value.text
                ),
            ));
        }
        let expr = match p.field {
            Field::Repo => {
                if let Some(at) = unescaped_at_sign(&p.value.text) {
                    let offset = p.value.offset(at);
                    return Err(self.err(
                        offset..offset + 1,
                        "revisions in repo:name@revision are not supported yet: use rev:revision; \
                         write \\@ to match a literal @",
                    ));
                }
                self.validate(&p.value, " in repo:", "escape special characters with \\")?;
                Expr::Repo(p.value.text.clone())
            }
            Field::File => {
                self.validate(
                    &p.value,
                    &format!(" in {name}:"),
                    "escape special characters with \\",
                )?;
                Expr::File(p.value.text.clone())
            }
            Field::Lang => Expr::Lang(self.lang(p)?),
            Field::Content => self.content(p)?,
            _ => unreachable!("settings and unsupported fields are handled above"),
        };
        Ok(if p.negated {
            Expr::Not(Box::new(expr))
        } else {
            expr
        })
    }

    fn setting(&mut self, p: &RawParam) -> Result<(), ParseError> {
        let name = &p.name;
        let value = p.value.text.as_str();
        if value.is_empty() {
            return Err(self.err(
                p.span.clone(),
                format!("{name}: needs a value, e.g. {}", example(p.field)),
            ));
        }
        if p.field != Field::Type {
            if self.seen.contains(&p.field) {
                return Err(self.err(p.span.clone(), format!("{name}: may only be used once")));
            }
            self.seen.push(p.field);
        }
        let at = p.value_span.clone();
        let input = self.input;
        let located = |msg: String| ParseError::new(input, at.clone(), msg);
        let q = &mut self.query;
        match p.field {
            Field::Case => fields::parse_case(value)
                .map(|v| q.case_sensitive = v)
                .map_err(located),
            Field::Count => fields::parse_count(value)
                .map(|v| q.count = v)
                .map_err(located),
            Field::Select => fields::parse_select(value)
                .map(|v| q.select = Some(v))
                .map_err(located),
            Field::PatternType => fields::parse_pattern_type(value)
                .map(|v| q.pattern_type = v)
                .map_err(located),
            Field::Timeout => fields::parse_timeout(value)
                .map(|v| q.timeout = Some(v))
                .map_err(located),
            Field::Rev if value.contains('(') => Err(located(format!(
                "predicates such as rev:{value} are not supported yet: give branch or tag names, e.g. rev:main"
            ))),
            Field::Rev => {
                // `rev:a:b` searches several revisions, as in Sourcegraph.
                let revs: Vec<String> = value.split(':').map(str::to_string).collect();
                if revs.iter().any(|r| r.is_empty()) {
                    return Err(located("rev: takes revisions separated by ':', e.g. rev:main:v1.0".into()));
                }
                q.revs = revs;
                Ok(())
            }
            Field::Type => {
                let t = fields::parse_type(value).map_err(located)?;
                // Several type: values widen the search (Sourcegraph unions
                // result types).
                q.search_type = if !self.type_seen || q.search_type == t {
                    t
                } else {
                    SearchType::Any
                };
                self.type_seen = true;
                Ok(())
            }
            _ => unreachable!("not a setting"),
        }
    }

    fn lang(&self, p: &RawParam) -> Result<u16, ParseError> {
        let value = p.value.text.as_str();
        if let Some(lang) = quarry_lang::by_name(value) {
            return Ok(lang.id);
        }
        let suggestions = quarry_lang::suggest(value);
        let hint = match suggestions.as_slice() {
            [] => String::new(),
            [one] => format!(" (did you mean {one}?)"),
            [init @ .., last] => format!(" (did you mean {} or {last}?)", init.join(", ")),
        };
        Err(self.err(
            p.value_span.clone(),
            format!("unknown language '{value}' in {}:{hint}", p.name),
        ))
    }

    /// `content:` is a pattern on file content. Quoted values are literal;
    /// unquoted ones follow the pattern type, and `content:/re/` is a regex
    /// in every type but literal.
    fn content(&self, p: &RawParam) -> Result<Expr, ParseError> {
        let v = &p.value;
        let span = p.value_span.clone();
        let slashed =
            !p.quoted && v.text.len() > 2 && v.text.starts_with('/') && v.text.ends_with('/');
        let atom = if p.quoted
            || self.mode == PatternType::Literal
            || !(slashed || self.mode == PatternType::Regexp)
        {
            Atom::literal(v.text.clone(), span)
        } else {
            let source = if slashed {
                Mapped::slice(self.input, p.value_span.start + 1, p.value_span.end - 1)
            } else {
                unescape_spaces(v)
            };
            self.validate(
                &source,
                " in content:",
                "quote the value to search for the text",
            )?;
            Atom {
                regex: source.text,
                text: None,
                span,
            }
        };
        Ok(atom.into_pattern(true))
    }

    /// Check that `source` is a valid regex, reporting regex-syntax's error
    /// at the corresponding place in the query.
    fn validate(&self, source: &Mapped, context: &str, hint: &str) -> Result<(), ParseError> {
        let err = match regex_syntax::Parser::new().parse(&source.text) {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let (kind, span) = match &err {
            regex_syntax::Error::Parse(e) => (e.kind().to_string(), *e.span()),
            regex_syntax::Error::Translate(e) => (e.kind().to_string(), *e.span()),
            other => {
                let all = source.range(0, source.text.len());
                return Err(self.err(all, format!("invalid regular expression{context} {other}")));
            }
        };
        // With a field context the field's own colon separates the message:
        // "invalid regular expression in file: unclosed group".
        let sep = if context.is_empty() { ":" } else { "" };
        Err(self.err(
            source.range(span.start.offset, span.end.offset),
            format!("invalid regular expression{context}{sep} {kind} ({hint})"),
        ))
    }
}

fn unsupported_message(name: &str, canonical: &str) -> String {
    let why = match canonical {
        "fork" | "archived" | "visibility" | "context" | "index" => {
            ": narrow the repositories with repo: instead"
        }
        "author" | "committer" | "message" | "before" | "after" => {
            ": commit and diff search are not available"
        }
        _ => "",
    };
    format!("field '{name}:' is not supported yet{why}")
}

fn example(field: Field) -> &'static str {
    match field {
        Field::Repo => "repo:myorg/myrepo",
        Field::File => "file:\\.rs$",
        Field::Content => "content:\"some text\"",
        Field::Lang => "lang:rust",
        Field::Case => "case:yes",
        Field::Type => "type:file",
        Field::Count => "count:100",
        Field::Select => "select:repo",
        Field::PatternType => "patterntype:regexp",
        Field::Timeout => "timeout:10s",
        Field::Rev => "rev:main",
        Field::Unsupported(_) => "",
    }
}

/// In regexp patterns `\ ` (an escaped whitespace character, used to keep a
/// space inside one term) means the whitespace itself.
fn unescape_spaces(m: &Mapped) -> Mapped {
    let mut out = Mapped::default();
    let mut chars = m.text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            if let Some(&(_, next)) = chars.peek() {
                if is_space(next) {
                    chars.next();
                    out.push(next, m.offset(i));
                    continue;
                }
                out.push(c, m.offset(i));
                let (j, next) = chars.next().expect("peeked");
                out.push(next, m.offset(j));
                continue;
            }
        }
        out.push(c, m.offset(i));
    }
    out.end = m.end;
    out
}

/// Byte index of the first `@` not escaped by a backslash.
fn unescaped_at_sign(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '@' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Whether a regex must be wrapped in `(?:…)` before being concatenated:
/// a top-level alternation or flag change would otherwise leak into its
/// neighbours.
fn needs_group(regex: &str) -> bool {
    use regex_syntax::ast::Ast;
    match &regex_syntax::ast::parse::Parser::new().parse(regex) {
        Ok(Ast::Alternation(_)) | Ok(Ast::Flags(_)) => true,
        Ok(Ast::Concat(c)) => c.asts.iter().any(|a| matches!(a, Ast::Flags(_))),
        Ok(_) => false,
        Err(_) => true,
    }
}

fn join_literals(atoms: Vec<Atom>) -> Option<Expr> {
    let first = atoms.first()?;
    let span = first.span.start..atoms[atoms.len() - 1].span.end;
    let text = atoms
        .iter()
        .map(|a| a.text.as_deref().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Atom::literal(text, span).into_pattern(false))
}

/// AND of parts, flattened, without `All` (the identity).
fn and(parts: Vec<Expr>) -> Expr {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Expr::All => {}
            Expr::And(items) => out.extend(items),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Expr::All,
        1 => out.pop().expect("one part"),
        _ => Expr::And(out),
    }
}

/// OR of parts, flattened; `All` absorbs everything.
fn or(parts: Vec<Expr>) -> Expr {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Expr::All => return Expr::All,
            Expr::Or(items) => out.extend(items),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Expr::All,
        1 => out.pop().expect("one part"),
        _ => Expr::Or(out),
    }
}
