//! `token:<label>`: a code host's token resolves, is accepted, and has the scopes discovery
//! needs.

use super::Check;
use quarry_codehost::{CodeHost, HostError, SecretError};

pub async fn check(
    host: &CodeHost,
    label: &str,
    client: &quarry_codehost::Client,
    reachable: bool,
) -> Check {
    let id = format!("token:{label}");
    let Some(reference) = host.token() else {
        return Check::skip(
            id,
            "no token configured: only public repositories are listed",
        );
    };
    if let Err(e) = reference.resolve() {
        let fix = match &e {
            SecretError::EnvNotSet { name } | SecretError::EnvNotUnicode { name } => format!(
                "set {name} to the token in the environment quarry runs in (systemd: Environment= or EnvironmentFile=; containers: -e {name})"
            ),
            SecretError::File { path, .. } | SecretError::FileNotUtf8 { path } => format!(
                "put the token alone in {}, readable by the user quarry runs as",
                path.display()
            ),
            SecretError::Empty { .. } | SecretError::MultiLine { .. } => {
                format!("write only the token into {reference}")
            }
        };
        // The error's own advice is replaced by the fix line.
        let cause = match &e {
            SecretError::EnvNotSet { name } => format!("environment variable {name} is not set"),
            other => other.to_string(),
        };
        return Check::fail(id, format!("cannot read the token: {cause}"), fix);
    }
    if !reachable {
        return Check::skip(id, "the host is unreachable");
    }
    let needed = host.recommended_scopes();
    let new_token = format!(
        "create a token{} and put it in {reference}",
        if needed.is_empty() {
            " with read access to the repositories".to_string()
        } else {
            format!(" with the scopes {}", needed.join(", "))
        }
    );
    match quarry_codehost::check_token(host, client).await {
        Err(e @ HostError::Status { status: 401, .. }) => Check::fail(
            id,
            format!("the host rejected the token in {reference} (HTTP 401): expired, revoked or mistyped"),
            new_token,
        )
        .with_details(vec![e.to_string()]),
        Err(e) => Check::fail(id, e.to_string(), "see the message; the host's answer names the problem"),
        Ok(info) if info.scopes.is_empty() => Check::pass(
            id,
            format!("valid, user {}; the host does not report the token's scopes", info.user),
        ),
        Ok(info) => {
            let missing: Vec<&str> = needed
                .iter()
                .copied()
                .filter(|n| !has_scope(&info.scopes, n))
                .collect();
            if missing.is_empty() {
                Check::pass(
                    id,
                    format!("valid, user {}, scopes {}", info.user, info.scopes.join(", ")),
                )
            } else {
                Check::fail(
                    id,
                    format!(
                        "the token of {} lacks the scope(s) {} (it has: {}): private repositories are not listed",
                        info.user,
                        missing.join(", "),
                        if info.scopes.is_empty() { "none".into() } else { info.scopes.join(", ") }
                    ),
                    new_token,
                )
            }
        }
    }
}

/// Whether `granted` includes `needed` or a scope that implies it (`write:org` gives
/// `read:org`, GitLab's `api` gives `read_api`, Bitbucket's `repository:admin` gives
/// `repository`, Gitea's `all` gives everything).
pub fn has_scope(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        let g = g.as_str();
        g == needed
            || g == "all"
            || (needed == "read_api" && g == "api")
            || needed
                .strip_prefix("read:")
                .is_some_and(|what| g == format!("write:{what}") || g == format!("admin:{what}"))
            || (needed == "repository" && matches!(g, "repository:write" | "repository:admin"))
    })
}

#[cfg(test)]
mod tests {
    use super::has_scope;

    #[test]
    fn broader_scopes_count() {
        let g = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(has_scope(&g(&["repo", "admin:org"]), "read:org"));
        assert!(has_scope(&g(&["api"]), "read_api"));
        assert!(has_scope(&g(&["repository:admin"]), "repository"));
        assert!(!has_scope(&g(&["public_repo", "repo:status"]), "repo"));
        assert!(!has_scope(&g(&["read:user"]), "read:org"));
    }
}
