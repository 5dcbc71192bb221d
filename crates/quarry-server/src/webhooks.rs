//! Push webhooks from GitHub, GitLab and Gitea/Forgejo: verify the secret, find the pushed
//! repository, and trigger its sync.
//!
//! - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
//! - Gitea/Forgejo: `X-Gitea-Signature` (or `X-Forgejo-Signature`): hex HMAC-SHA256 of the body.
//! - GitLab: `X-Gitlab-Token` equal to the configured secret token.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Secrets the server checks webhooks against; a host without one has its webhook disabled.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    pub github: Option<String>,
    pub gitlab: Option<String>,
    pub gitea: Option<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |o: &Option<String>| if o.is_some() { "***" } else { "unset" };
        write!(
            f,
            "WebhookSecrets {{ github: {}, gitlab: {}, gitea: {} }}",
            s(&self.github),
            s(&self.gitlab),
            s(&self.gitea)
        )
    }
}

fn hmac_ok(secret: &str, body: &[u8], given_hex: &str) -> bool {
    let Ok(given) = hex::decode(given_hex.trim()) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Verifies the request came from the code host; returns the payload's repository URLs.
pub fn verify(
    host: &str,
    secrets: &WebhookSecrets,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<String>, ApiError> {
    let unauthorized = |why: &str| ApiError::new(StatusCode::UNAUTHORIZED, why.to_string());
    let disabled = |name: &str| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "the {name} webhook is not configured: set webhooks.{name}_secret in the config"
            ),
        )
    };
    match host {
        "github" => {
            let secret = secrets
                .github
                .as_deref()
                .ok_or_else(|| disabled("github"))?;
            let sig = header(headers, "x-hub-signature-256")
                .and_then(|s| s.strip_prefix("sha256="))
                .ok_or_else(|| unauthorized("missing X-Hub-Signature-256 header"))?;
            if !hmac_ok(secret, body, sig) {
                return Err(unauthorized(
                    "webhook signature does not match the configured secret",
                ));
            }
        }
        "gitea" => {
            let secret = secrets.gitea.as_deref().ok_or_else(|| disabled("gitea"))?;
            let sig = header(headers, "x-gitea-signature")
                .or_else(|| header(headers, "x-forgejo-signature"))
                .ok_or_else(|| unauthorized("missing X-Gitea-Signature header"))?;
            if !hmac_ok(secret, body, sig) {
                return Err(unauthorized(
                    "webhook signature does not match the configured secret",
                ));
            }
        }
        "gitlab" => {
            let secret = secrets
                .gitlab
                .as_deref()
                .ok_or_else(|| disabled("gitlab"))?;
            let token = header(headers, "x-gitlab-token")
                .ok_or_else(|| unauthorized("missing X-Gitlab-Token header"))?;
            if !bool::from(token.as_bytes().ct_eq(secret.as_bytes())) {
                return Err(unauthorized(
                    "X-Gitlab-Token does not match the configured secret",
                ));
            }
        }
        other => {
            return Err(ApiError::not_found(format!(
                "unknown webhook {other:?}: use github, gitlab or gitea"
            )))
        }
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("webhook body is not JSON: {e}")))?;
    let repo = payload
        .get("repository")
        .or_else(|| payload.get("project"))
        .unwrap_or(&Value::Null);
    let urls: Vec<String> = [
        "clone_url",
        "git_http_url",
        "html_url",
        "ssh_url",
        "git_ssh_url",
        "web_url",
        "http_url",
    ]
    .iter()
    .filter_map(|k| repo.get(*k).and_then(Value::as_str).map(str::to_string))
    .collect();
    if urls.is_empty() {
        return Err(ApiError::bad_request("webhook payload names no repository (expected repository.clone_url or project.git_http_url)"));
    }
    Ok(urls)
}

/// Normalizes a clone URL for comparison: no scheme, credentials, `.git` suffix or trailing `/`.
pub fn normalize_url(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    let u = u.split_once("://").map_or(u, |(_, rest)| rest);
    let u = u.rsplit_once('@').map_or(u, |(_, rest)| rest);
    let u = u.strip_suffix(".git").unwrap_or(u);
    u.replacen(':', "/", 1).to_ascii_lowercase()
}

/// Finds repositories for pushed URLs and starts their sync.
pub trait PushTarget: Send + Sync {
    /// Returns the names of the repositories whose sync was triggered.
    fn pushed(&self, urls: &[String]) -> Vec<String>;
}

pub async fn receive(
    State(state): State<Arc<AppState>>,
    Path(host): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let secrets = state.webhook_secrets.read().expect("not poisoned").clone();
    let urls = verify(&host, &secrets, &headers, &body)?;
    let target = state.push_target.read().expect("not poisoned").clone();
    let triggered = target.map(|t| t.pushed(&urls)).unwrap_or_default();
    if triggered.is_empty() {
        // Not an error for the code host (it would retry): the push is for a repository we
        // don't mirror.
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "triggered": [], "note": "no configured repository matches this push" })),
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "triggered": triggered })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn github_signatures_are_checked() {
        let secrets = WebhookSecrets {
            github: Some("s3cret".into()),
            ..Default::default()
        };
        let body = br#"{"ref":"refs/heads/main","repository":{"full_name":"o/r","clone_url":"https://git.example/o/r.git"}}"#;
        let good = format!("sha256={}", sign("s3cret", body));
        let urls = verify(
            "github",
            &secrets,
            &headers(&[("x-hub-signature-256", &good)]),
            body,
        )
        .unwrap();
        assert_eq!(urls, vec!["https://git.example/o/r.git"]);
        let bad = format!("sha256={}", sign("other", body));
        assert_eq!(
            verify(
                "github",
                &secrets,
                &headers(&[("x-hub-signature-256", &bad)]),
                body
            )
            .unwrap_err()
            .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            verify("github", &secrets, &HeaderMap::new(), body)
                .unwrap_err()
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            verify("gitlab", &secrets, &HeaderMap::new(), body)
                .unwrap_err()
                .status,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn gitlab_and_gitea() {
        let secrets = WebhookSecrets {
            gitlab: Some("tok".into()),
            gitea: Some("k".into()),
            ..Default::default()
        };
        let body = br#"{"project":{"git_http_url":"https://gl.example/g/sub/p.git"}}"#;
        assert_eq!(
            verify(
                "gitlab",
                &secrets,
                &headers(&[("x-gitlab-token", "tok")]),
                body
            )
            .unwrap(),
            vec!["https://gl.example/g/sub/p.git"]
        );
        assert!(verify(
            "gitlab",
            &secrets,
            &headers(&[("x-gitlab-token", "nope")]),
            body
        )
        .is_err());
        let body = br#"{"repository":{"clone_url":"http://gitea.local/o/r.git"}}"#;
        let sig = sign("k", body);
        assert!(verify(
            "gitea",
            &secrets,
            &headers(&[("x-gitea-signature", &sig)]),
            body
        )
        .is_ok());
    }

    #[test]
    fn urls_normalize() {
        assert_eq!(
            normalize_url("https://user:pw@Git.Example/o/r.git/"),
            "git.example/o/r"
        );
        assert_eq!(normalize_url("git@git.example:o/r.git"), "git.example/o/r");
        assert_eq!(normalize_url("http://git.example/o/r"), "git.example/o/r");
    }

    #[test]
    fn secrets_are_not_printed() {
        let s = WebhookSecrets {
            github: Some("topsecret".into()),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
