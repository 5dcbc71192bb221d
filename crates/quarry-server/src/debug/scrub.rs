//! Secrets out of diagnostics: every known secret value, URL credentials, `Authorization`
//! values, bearer and quarry API tokens are replaced by [`REDACTED`]. Applied to everything the
//! debug endpoints return and again by `quarry debug bundle` to every file (defense in depth:
//! a log line may quote what no redaction at its source knew was secret).

use regex::{Captures, Regex};
use serde_json::Value;
use std::sync::OnceLock;

pub const REDACTED: &str = "[REDACTED]";

/// Shorter values are too likely to occur by chance (and replacing them would hide more than
/// they reveal).
const MIN_SECRET_LEN: usize = 6;

/// Whether an environment variable's name says it holds a secret.
pub fn secret_looking_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["TOKEN", "SECRET", "PASS", "KEY", "CREDENTIAL"]
        .iter()
        .any(|w| n.contains(w))
}

/// Values of this process's environment variables whose names look secret.
pub fn env_secrets() -> Vec<String> {
    std::env::vars_os()
        .filter(|(k, _)| secret_looking_name(&k.to_string_lossy()))
        .filter_map(|(_, v)| v.into_string().ok())
        .collect()
}

/// Resolves every secret reference (`{"env": NAME}` / `{"file": PATH}`) in a redacted config,
/// as the server would when using it. References that do not resolve are skipped.
pub fn config_secrets(config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(config, &mut out);
    out
}

fn walk(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let resolved = match m.iter().next() {
                Some((k, Value::String(name))) if k == "env" => std::env::var(name).ok(),
                Some((k, Value::String(path))) if k == "file" => std::fs::read_to_string(path).ok(),
                _ => None,
            };
            match resolved {
                Some(s) => out.push(s.trim().to_string()),
                None => m.values().for_each(|v| walk(v, out)),
            }
        }
        Value::Object(m) => m.values().for_each(|v| walk(v, out)),
        Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
        _ => {}
    }
}

/// Keeps the values worth replacing, longest first (so a secret containing another is
/// replaced whole).
pub fn normalize(mut secrets: Vec<String>) -> Vec<String> {
    secrets.retain(|s| s.len() >= MIN_SECRET_LEN);
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    secrets.dedup();
    secrets
}

/// A pattern and what replaces each of its matches.
type Rule = (Regex, fn(&Captures) -> String);

fn patterns() -> &'static [Rule] {
    static P: OnceLock<Vec<Rule>> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid pattern");
        vec![
            // scheme://user:password@ and http(s)://token@
            (
                re(r#"(?i)\b([a-z][a-z0-9+.-]*)://([^/?#@\s"'<>\\]+)@"#),
                |c: &Captures| {
                    let (scheme, user) = (&c[1], &c[2]);
                    match user.split_once(':') {
                        Some((u, _)) => format!("{scheme}://{u}:{REDACTED}@"),
                        None if scheme.to_ascii_lowercase().starts_with("http") => {
                            format!("{scheme}://{REDACTED}@")
                        }
                        None => c[0].to_string(),
                    }
                },
            ),
            (
                re(r#"(?i)(authorization"?\s*[:=]\s*"?)[^"\r\n,}]+"#),
                |c: &Captures| format!("{}{REDACTED}", &c[1]),
            ),
            (
                re(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
                |c: &Captures| format!("{} {REDACTED}", &c[1]),
            ),
            (re(r"\bqry_[A-Za-z0-9]{20,}"), |_: &Captures| {
                format!("qry_{REDACTED}")
            }),
        ]
    })
}

/// `text` with every secret in `secrets` (see [`normalize`]) and every credential-looking
/// string replaced.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    for (re, f) in patterns() {
        if re.is_match(&out) {
            out = re.replace_all(&out, |c: &Captures| f(c)).into_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_values_urls_headers_and_tokens() {
        let secrets = normalize(vec!["hunter22".into(), "abc".into()]);
        assert_eq!(secrets, vec!["hunter22".to_string()]);
        let t = scrub(
            "pw hunter22; clone http://bob:pa55word@h/x.git and https://tok3n@h/y; ssh://git@h/z\n\
             Authorization: token qry_0123456789abcdefghijABCDEFGHIJ0123456789\n\
             got qry_0123456789abcdefghijABCDEFGHIJ0123456789; Bearer eyJhbGciOiJIUzI1NiJ9 abc",
            &secrets,
        );
        for gone in ["hunter22", "pa55word", "tok3n", "qry_0123", "eyJhbGci"] {
            assert!(!t.contains(gone), "{gone} in {t}");
        }
        assert!(t.contains("http://bob:[REDACTED]@h/x.git"), "{t}");
        assert!(t.contains("ssh://git@h/z") && t.ends_with(" abc"), "{t}");
        let j = scrub(r#"{"authorization":"Basic dXNlcjpwYXNz","x":1}"#, &[]);
        assert_eq!(j, r#"{"authorization":"[REDACTED]","x":1}"#);
    }

    #[test]
    fn resolves_secret_references() {
        std::env::set_var("QUARRY_SCRUB_TEST_HOOK", " s3cret-value\n");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tok");
        std::fs::write(&file, "file-secret\n").unwrap();
        let config = serde_json::json!({
            "webhooks": { "github_secret": { "env": "QUARRY_SCRUB_TEST_HOOK" }, "gitlab_token": null },
            "code_hosts": [{ "token": { "file": file }, "url": "https://h" }],
            "missing": { "env": "QUARRY_SCRUB_TEST_UNSET" }
        });
        let mut got = config_secrets(&config);
        got.sort();
        assert_eq!(got, vec!["file-secret", "s3cret-value"]);
        assert!(secret_looking_name("gh_token") && !secret_looking_name("HOME"));
    }
}
