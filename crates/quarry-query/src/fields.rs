//! The field table (names, aliases) and parsers for the values of the
//! settings fields. Value parsers return a message on failure; the caller
//! attaches the position.

use std::time::Duration;

use crate::{Count, PatternType, SearchType, Select};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Repo,
    File,
    Content,
    Lang,
    Case,
    Type,
    Count,
    Select,
    PatternType,
    Timeout,
    Rev,
    /// A Sourcegraph field quarry does not implement; the canonical name.
    Unsupported(&'static str),
}

impl Field {
    /// Fields that set query-wide options rather than filter documents.
    pub fn is_setting(self) -> bool {
        matches!(
            self,
            Field::Case
                | Field::Type
                | Field::Count
                | Field::Select
                | Field::PatternType
                | Field::Timeout
                | Field::Rev
        )
    }
}

/// Look up a field name (any letter case). Unknown names return `None` and
/// are then read as pattern text, as Sourcegraph does.
pub(crate) fn lookup(name: &str) -> Option<Field> {
    let lower = name.to_ascii_lowercase();
    let field = match lower.as_str() {
        "repo" | "r" => Field::Repo,
        "file" | "f" | "path" => Field::File,
        "content" => Field::Content,
        "lang" | "l" | "language" => Field::Lang,
        "case" => Field::Case,
        "type" => Field::Type,
        "count" => Field::Count,
        "select" => Field::Select,
        "patterntype" => Field::PatternType,
        "timeout" => Field::Timeout,
        "rev" | "revision" => Field::Rev,
        "fork" => Field::Unsupported("fork"),
        "archived" => Field::Unsupported("archived"),
        "visibility" => Field::Unsupported("visibility"),
        "context" => Field::Unsupported("context"),
        "index" => Field::Unsupported("index"),
        "rule" => Field::Unsupported("rule"),
        "repohasfile" => Field::Unsupported("repohasfile"),
        "repohascommitafter" => Field::Unsupported("repohascommitafter"),
        "author" => Field::Unsupported("author"),
        "committer" => Field::Unsupported("committer"),
        "message" | "m" | "msg" => Field::Unsupported("message"),
        "before" | "until" => Field::Unsupported("before"),
        "after" | "since" => Field::Unsupported("after"),
        _ => return None,
    };
    Some(field)
}

/// Predicate names Sourcegraph registers per field (`repo:has.file(...)`).
/// Recognised only to report that they are unsupported.
pub(crate) fn is_predicate(field: Field, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let known: &[&str] = match field {
        Field::Repo => &[
            "has.path",
            "contains.path",
            "has.file",
            "contains.file",
            "has.content",
            "contains.content",
            "has.commit.after",
            "contains.commit.after",
            "has.description",
            "has.topic",
            "has.meta",
            "contains",
            "has.tag",
            "has",
            "has.key",
        ],
        Field::File => &[
            "has.content",
            "contains.content",
            "has.owner",
            "has.contributor",
        ],
        Field::Rev => &["at.time"],
        _ => &[],
    };
    known.contains(&name.as_str())
}

pub(crate) fn parse_case(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err(format!("case: takes yes or no, not '{v}'")),
    }
}

pub(crate) fn parse_type(v: &str) -> Result<SearchType, String> {
    match v.to_ascii_lowercase().as_str() {
        "file" => Ok(SearchType::File),
        "path" => Ok(SearchType::Path),
        "repo" | "symbol" | "commit" | "diff" => Err(format!(
            "type:{v} is not supported yet: use type:file (content) or type:path (file names)"
        )),
        _ => Err(format!(
            "type: takes file (search content) or path (search file names), not '{v}'"
        )),
    }
}

pub(crate) fn parse_count(v: &str) -> Result<Count, String> {
    if v.eq_ignore_ascii_case("all") {
        return Ok(Count::All);
    }
    let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    match v.parse::<usize>() {
        Ok(n) if n > 0 && digits => Ok(Count::Limit(n)),
        _ => Err(format!(
            "count: takes a positive number or 'all', not '{v}'"
        )),
    }
}

pub(crate) fn parse_select(v: &str) -> Result<Select, String> {
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "repo" => Ok(Select::Repo),
        "file" | "file.path" => Ok(Select::File),
        "content"
        | "file.directory"
        | "file.owners"
        | "symbol"
        | "commit.diff.added"
        | "commit.diff.removed" => Err(format!(
            "select:{v} is not supported yet: use select:repo or select:file"
        )),
        _ if lower.starts_with("symbol.") => Err(format!(
            "select:{v} is not supported yet: use select:repo or select:file"
        )),
        _ => Err(format!("select: takes repo or file, not '{v}'")),
    }
}

pub(crate) fn parse_pattern_type(v: &str) -> Result<PatternType, String> {
    match v.to_ascii_lowercase().as_str() {
        "keyword" => Ok(PatternType::Keyword),
        "literal" => Ok(PatternType::Literal),
        "regexp" | "regex" => Ok(PatternType::Regexp),
        "standard" => Ok(PatternType::Standard),
        "structural" => Err("patterntype:structural is not supported yet".to_string()),
        _ => Err(format!(
            "patterntype: takes keyword, standard, literal or regexp, not '{v}'"
        )),
    }
}

/// Parse a Go-style duration: one or more `<number><unit>` pairs, e.g.
/// `10s`, `1.5m`, `1h30m`. Units: ns, us (µs), ms, s, m, h.
pub(crate) fn parse_timeout(v: &str) -> Result<Duration, String> {
    let bad = || format!("timeout: takes a duration such as 10s, 500ms or 1m30s, not '{v}'");
    if v.is_empty() {
        return Err(bad());
    }
    let mut rest = v;
    let mut total_nanos = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            // Go accepts a bare "0" without a unit.
            "" if v == "0" => 0.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total_nanos += n * scale;
    }
    if total_nanos < 1.0 {
        return Err(format!("timeout: must be longer than zero, not '{v}'"));
    }
    if total_nanos > u64::MAX as f64 {
        return Err(format!("timeout: '{v}' is too long"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_timeout("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("2µs"), Ok(Duration::from_micros(2)));
        for bad in ["", "10", "s", "1x", "-1s", "0", "0s", "1..2s", ".s", "1 s"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("10"), Ok(Count::Limit(10)));
        assert_eq!(parse_count("ALL"), Ok(Count::All));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("99999999999999999999999").is_err());
    }
}
