//! Parser for the Sourcegraph search query language.
//!
//! [`parse`] turns a query string into a [`Query`]: a boolean tree of
//! patterns and filters ([`Expr`]) plus the query-wide settings. Every field
//! value is already checked and converted, so the search engine only plans
//! and runs the tree.
//!
//! # Grammar
//!
//! ```text
//! query     = or-expr
//! or-expr   = and-expr { OR and-expr }
//! and-expr  = sequence { AND sequence }
//! sequence  = term { whitespace term }          (juxtaposition)
//! term      = "(" or-expr ")" | [NOT] parameter | [NOT] pattern
//! parameter = ["-"] field ":" value
//! ```
//!
//! * AND binds tighter than OR; `and`, `or`, `not` are case-insensitive.
//!   AND/OR are operators only between terms (after whitespace or `)`, before
//!   whitespace, `(` or the end); the first word of a query is never one.
//!   NOT is an operator at the start or after whitespace or `(`, followed by
//!   whitespace.
//! * Parentheses group only when they enclose a field or an operator;
//!   otherwise they are pattern text (`foo(bar)`). If the parentheses of a
//!   query do not balance, all parentheses are read as text (`die_errno(`).
//! * Juxtaposed terms are ANDed; how juxtaposed *patterns* combine depends
//!   on the pattern type (see [`PatternType`]).
//! * Filters scope to the operand they appear in:
//!   `file:x a or b` is `(file:x AND a) OR b`. Settings apply to the whole
//!   query wherever they appear.
//!
//! # Fields
//!
//! | field (aliases) | meaning |
//! |---|---|
//! | `repo:` (`r:`) | regex on the repository name; repeatable (intersected); `-repo:` excludes |
//! | `file:` (`f:`, `path:`) | regex on the repository-relative path, unanchored; `-file:` excludes |
//! | `content:` | a pattern matched against file content only; `-content:` excludes |
//! | `lang:` (`l:`, `language:`) | a language name known to `quarry-lang`; `-lang:` excludes |
//! | `case:` | `yes`/`no` (also `y`/`n`/`true`/`false`); default case-insensitive |
//! | `type:` | `file` (content only) or `path` (file names only); default both |
//! | `count:` | a positive number of results, or `all` |
//! | `select:` | `repo` or `file` (`file.path`): report distinct repos/files |
//! | `patterntype:` | `keyword` (default), `standard`, `literal`, `regexp` (`regex`) |
//! | `timeout:` | a Go duration: `10s`, `500ms`, `1m30s` |
//!
//! Settings (`case`, `count`, `select`, `patterntype`, `timeout`) may appear
//! once and cannot be negated. Sourcegraph fields quarry does not implement
//! (`rev:`, `fork:`, `author:`, …) and predicates (`repo:has.file(...)`) are
//! errors; any other `name:` is plain pattern text.
//!
//! Quoted values (`repo:"a b"`) allow the escapes `\\`, `\"` (or `\'`), `\n`,
//! `\r`, `\t`; anything else inside quotes is an error. Unquoted values end
//! at whitespace or at a parenthesis that does not balance.

mod error;
mod fields;
mod lexer;
mod parser;
mod resolve;

use std::fmt;
use std::ops::Range;
use std::time::Duration;

pub use error::ParseError;

/// A parsed and resolved query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The boolean tree of patterns and filters.
    pub expr: Expr,
    /// `case:yes` makes patterns case-sensitive; the default is insensitive.
    /// Applies to patterns only; the engine decides for repo/file filters.
    pub case_sensitive: bool,
    /// What patterns are matched against.
    pub search_type: SearchType,
    /// How many results to return.
    pub count: Count,
    /// Report distinct repositories or files instead of matches.
    pub select: Option<Select>,
    /// How the patterns were read (already applied to [`Query::expr`]).
    pub pattern_type: PatternType,
    /// `timeout:`; `None` leaves the choice to the engine.
    pub timeout: Option<Duration>,
    /// `rev:a:b`: the branches or tags to search (`HEAD` is the default branch; a value with
    /// `*` is a glob). Empty: each repository's default branch.
    pub revs: Vec<String>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            expr: Expr::All,
            case_sensitive: false,
            search_type: SearchType::Any,
            count: Count::Default,
            select: None,
            pattern_type: PatternType::Keyword,
            timeout: None,
            revs: Vec::new(),
        }
    }
}

/// `type:`: what patterns are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchType {
    /// Content or path (no `type:`, or both `type:file` and `type:path`).
    #[default]
    Any,
    /// `type:file`: file content only.
    File,
    /// `type:path`: file paths only.
    Path,
}

/// `count:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Count {
    /// No `count:`: the engine's default page size.
    #[default]
    Default,
    /// `count:N`, N > 0.
    Limit(usize),
    /// `count:all`.
    All,
}

/// `select:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// `select:repo`: distinct repositories with a match.
    Repo,
    /// `select:file` / `select:file.path`: distinct files with a match.
    File,
}

/// `patterntype:`: how pattern text is read.
///
/// | input | keyword | standard | literal | regexp |
/// |---|---|---|---|---|
/// | `foo bar` | `foo` AND `bar` | text `foo bar` | text `foo bar` | regex `foo(?:.*?)bar` |
/// | `"foo bar"` | text `foo bar` | text `"foo bar"` | text `"foo bar"` | text `foo bar` |
/// | `/foo.*bar/` | regex | regex | text | regex |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatternType {
    /// Each term is a literal (or `/regex/`, or `"quoted phrase"`), and
    /// juxtaposed terms are ANDed. The default.
    #[default]
    Keyword,
    /// Juxtaposed text is one literal string (joined by single spaces);
    /// quotes and slashes are ordinary characters.
    Literal,
    /// Each term is a regex, quoted strings are literal text; juxtaposed
    /// terms match in order on one line: `a(?:.*?)b`.
    Regexp,
    /// Like literal, but `/regex/` is a regex (a separate term, ANDed).
    Standard,
}

/// The boolean query tree. It is simplified: `And`/`Or` have at least two
/// children, are never nested directly in the same kind, and `All` only
/// appears as the whole tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Matches every file: a query without patterns or filters.
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Pattern(Pattern),
    /// Regex (Rust `regex` syntax) matched unanchored against the
    /// repository name.
    Repo(String),
    /// Regex matched unanchored against the repository-relative path.
    File(String),
    /// A `quarry_lang` language id.
    Lang(u16),
}

/// A search pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Regex source in Rust `regex` syntax; literal text is escaped. It
    /// carries no case flag: apply [`Query::case_sensitive`].
    pub regex: String,
    /// The regex is escaped literal text, so a substring search suffices.
    pub is_literal: bool,
    /// From `content:`: match file content only, never the path.
    pub content_only: bool,
    /// Where the pattern came from in the query (delimiters included; for
    /// several juxtaposed terms joined into one, from the first to the last).
    pub span: Range<usize>,
}

/// Parse a query string.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    // The pattern type changes how the whole query is tokenized, so guess it
    // from a quick scan, parse, and parse again if the guess was wrong.
    let guess = resolve::prescan_pattern_type(input).unwrap_or_default();
    let raw = parser::parse(input, guess)?;
    let query = resolve::resolve(input, raw.as_ref(), guess)?;
    if query.pattern_type == guess {
        return Ok(query);
    }
    let mode = query.pattern_type;
    let raw = parser::parse(input, mode)?;
    let query = resolve::resolve(input, raw.as_ref(), mode)?;
    if query.pattern_type != mode {
        let at = input.to_ascii_lowercase().find("patterntype:").unwrap_or(0);
        return Err(ParseError::new(
            input,
            at..at + "patterntype:".len(),
            "patterntype: is ambiguous here: move it to the start of the query",
        ));
    }
    Ok(query)
}

impl fmt::Display for Expr {
    /// A compact S-expression, for logs and tests: literal patterns print as
    /// `"regex"`, regex patterns as `/regex/`, content-only ones with a
    /// `content:` prefix; `*` is [`Expr::All`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, op: &str, items: &[Expr]| {
            write!(f, "({op}")?;
            for item in items {
                write!(f, " {item}")?;
            }
            write!(f, ")")
        };
        match self {
            Expr::All => write!(f, "*"),
            Expr::And(items) => list(f, "and", items),
            Expr::Or(items) => list(f, "or", items),
            Expr::Not(inner) => write!(f, "(not {inner})"),
            Expr::Pattern(p) => {
                if p.content_only {
                    write!(f, "content:")?;
                }
                if p.is_literal {
                    write!(f, "\"{}\"", p.regex)
                } else {
                    write!(f, "/{}/", p.regex)
                }
            }
            Expr::Repo(r) => write!(f, "repo:{r}"),
            Expr::File(r) => write!(f, "file:{r}"),
            Expr::Lang(id) => write!(f, "lang:{id}"),
        }
    }
}
