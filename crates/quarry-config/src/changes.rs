//! What changed between two configurations (for hot reload), and the effective configuration
//! with nothing secret in it (for a debug bundle).

use std::fmt;

use serde_json::{Map, Value};

use crate::schema::SchemaView;
use crate::Config;

/// A key whose value differs between two configurations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    /// `search.max_concurrent`; a list (`repos`, `code_hosts`) is one change as a whole.
    pub key_path: String,
    /// Whether the new value takes effect only after a restart (`listen`, `data_dir`,
    /// `log.format`, `telemetry.*`); every other key applies live.
    pub needs_restart: bool,
}

/// `search.max_concurrent`, or `listen (needs a restart)`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key_path)?;
        if self.needs_restart {
            f.write_str(" (needs a restart)")?;
        }
        Ok(())
    }
}

/// The keys whose values differ between `old` and `new`, in key order. Tables are compared key
/// by key; lists (`repos`, `code_hosts`, `branches`) as a whole.
pub fn changes(old: &Config, new: &Config) -> Vec<Change> {
    let schema = crate::schema();
    let view = SchemaView::new(&schema);
    let a = serde_json::to_value(old).unwrap_or(Value::Null);
    let b = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut out = Vec::new();
    diff(&view, &a, &b, &mut Vec::new(), &mut out);
    out
}

fn diff<'a>(
    view: &SchemaView<'_>,
    a: &'a Value,
    b: &'a Value,
    path: &mut Vec<&'a str>,
    out: &mut Vec<Change>,
) {
    if a == b {
        return;
    }
    let is_table = view
        .at_path(path)
        .is_some_and(|s| s.get("properties").is_some());
    if let (true, Value::Object(x), Value::Object(y)) = (is_table, a, b) {
        let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            path.push(key);
            diff(
                view,
                x.get(key).unwrap_or(&Value::Null),
                y.get(key).unwrap_or(&Value::Null),
                path,
                out,
            );
            path.pop();
        }
        return;
    }
    out.push(Change {
        key_path: path.join("."),
        needs_restart: view.needs_restart(path),
    });
}

/// The effective configuration as JSON, for a debug bundle or `quarry config show`: every key
/// with its value (defaults included), secret references as references (`{"env": "NAME"}`,
/// `{"file": "/path"}`) — nothing is resolved — and credentials in URLs replaced by `***`.
pub fn redacted(config: &Config) -> Value {
    let mut value = serde_json::to_value(config).unwrap_or(Value::Null);
    scrub(&mut value);
    value
}

/// Replaces `user:password@` in URL-looking strings by `user:***@`.
fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(clean) = scrub_url(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => scrub_map(map),
        _ => {}
    }
}

fn scrub_map(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        scrub(v);
    }
}

fn scrub_url(s: &str) -> Option<String> {
    let (scheme, rest) = s.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host) = authority.rsplit_once('@')?;
    let userinfo = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        // Over HTTP a user name alone may be a token (`https://TOKEN@host/`); `ssh://git@host`
        // is not secret.
        None if scheme.starts_with("http") => "***".to_string(),
        None => return None,
    };
    Some(format!("{scheme}://{userinfo}@{host}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_scrubbed() {
        assert_eq!(
            scrub_url("https://bob:hunter2@git.example.com/a.git").as_deref(),
            Some("https://bob:***@git.example.com/a.git")
        );
        assert_eq!(
            scrub_url("https://tok3n@git.example.com/a.git").as_deref(),
            Some("https://***@git.example.com/a.git")
        );
        assert_eq!(scrub_url("ssh://git@git.example.com/a.git"), None);
        assert_eq!(scrub_url("https://git.example.com/a@b"), None);
        assert_eq!(scrub_url("/srv/src"), None);
    }
}
