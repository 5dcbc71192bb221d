//! `git`, `code-host:<label>`, `token:<label>`, `clock`: what syncing from code hosts needs.

use super::store::error_chain;
use super::Check;
use quarry_codehost::reqwest;
use quarry_codehost::{ClientOptions, CodeHost, HostError, SecretError};
use quarry_config::Config;
use quarry_index::DataDir;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Skew beyond which TLS certificates and token expiry start failing.
const SKEW_WARN: f64 = 60.0;
const SKEW_FAIL: f64 = 300.0;
/// 2025-01-01T00:00:00Z: this code was written later, so an earlier clock is wrong.
const EARLIEST_SANE: u64 = 1_735_689_600;

/// `git` runs, when anything configured is fetched with it.
pub fn git(config: Option<&Config>) -> Check {
    let needed = config.is_some_and(|c| {
        !c.code_hosts.is_empty()
            || c.repos.iter().any(|r| {
                r.url.is_some() || r.path.as_ref().is_some_and(|p| p.join(".git").exists())
            })
    });
    if !needed {
        return Check::pass("git", "not needed: no git sources configured");
    }
    match std::process::Command::new("git").arg("--version").output() {
        Ok(out) if out.status.success() => Check::pass(
            "git",
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        ),
        Ok(out) => Check::fail(
            "git",
            format!(
                "`git --version` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            "reinstall git",
        ),
        Err(e) => Check::fail(
            "git",
            format!(
                "git sources are configured but `git` cannot run: {} (PATH={})",
                super::io_text(&e),
                std::env::var("PATH").unwrap_or_default()
            ),
            "install git (e.g. `apt-get install git`) or add its directory to the PATH quarry runs with",
        ),
    }
}

/// One check of reachability and one of the token per code host, then the clock (compared with
/// the hosts' `Date` headers).
pub async fn check(config: Option<&Config>, data: &DataDir, timeout: Duration) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut skews: Vec<(String, f64)> = Vec::new();
    let Some(config) = config else {
        checks.push(Check::skip("code-hosts", "the config file is invalid"));
        checks.push(clock(&skews, data));
        return checks;
    };
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(quarry_codehost::DEFAULT_USER_AGENT)
        .build();
    let client = quarry_codehost::Client::with_options(ClientOptions {
        timeout,
        connect_timeout: timeout,
        // The doctor reports; it does not wait out rate limits or retry.
        max_rate_limit_wait: Duration::from_secs(1),
        max_retries: 0,
        ..ClientOptions::default()
    });
    let (http, client) = match (http, client) {
        (Ok(h), Ok(c)) => (h, c),
        _ => {
            checks.push(Check::fail(
                "code-hosts",
                "cannot create an HTTP client (TLS roots?)",
                "check the system's CA certificates (ca-certificates package)",
            ));
            return checks;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for h in &config.code_hosts {
        let host = &h.host;
        // Two connections to one host (two tokens) get `#2`, `#3`: ids stay unique.
        let base = host.host_label();
        let same = seen.iter().filter(|l| **l == base).count();
        seen.push(base.clone());
        let label = if same == 0 {
            base
        } else {
            format!("{base}#{}", same + 1)
        };
        let reached = reach(host, &label, &http).await;
        if let Ok(skew) = &reached.1 {
            skews.push((label.clone(), *skew));
        }
        let reachable = reached.0.status != super::Status::Fail;
        checks.push(reached.0);
        checks.push(token(host, &label, &client, reachable).await);
    }
    checks.push(clock(&skews, data));
    checks
}

/// GETs the API base without credentials: any HTTP answer means reachable. Returns the check
/// and the clock skew the `Date` header shows (seconds, positive when the host is ahead).
async fn reach(host: &CodeHost, label: &str, http: &reqwest::Client) -> (Check, Result<f64, ()>) {
    let id = format!("code-host:{label}");
    let base = match host.api_base() {
        Ok(b) => b,
        Err(e) => {
            return (
                Check::fail(
                    id,
                    e.to_string(),
                    "correct `url` of this [[code_hosts]] entry",
                ),
                Err(()),
            )
        }
    };
    let sent = SystemTime::now();
    let started = Instant::now();
    match http.get(base.clone()).send().await {
        Ok(resp) => {
            let took = started.elapsed();
            let skew = resp
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|d| d.to_str().ok())
                .and_then(|d| httpdate::parse_http_date(d).ok())
                .map(|date| {
                    // The host stamped the answer somewhere in the round trip: its middle.
                    let local = sent + took / 2;
                    secs(date) - secs(local)
                })
                .ok_or(());
            let status = resp.status();
            let message = format!(
                "{base} answers HTTP {} in {} ms",
                status.as_u16(),
                took.as_millis()
            );
            let check = if status.is_server_error() {
                Check::warn(
                    id,
                    message,
                    "the host has trouble: check its status page, retry later",
                )
            } else {
                Check::pass(id, message)
            };
            (check, skew)
        }
        Err(e) => {
            let (cause, fix) = classify(&e, &base);
            (
                Check::fail(id, format!("cannot reach {base}: {cause}"), fix)
                    .with_details(vec![error_chain(&e)]),
                Err(()),
            )
        }
    }
}

fn secs(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The cause of a failed request in a few words, and what to do about it.
fn classify(e: &reqwest::Error, base: &reqwest::Url) -> (String, String) {
    let chain = error_chain(e).to_lowercase();
    let host = base.host_str().unwrap_or_default();
    if e.is_timeout() || chain.contains("timed out") {
        (
            "timed out".into(),
            "a firewall or proxy drops the connection: check outbound rules and HTTPS_PROXY/NO_PROXY".into(),
        )
    } else if chain.contains("dns error") || chain.contains("failed to lookup") {
        (
            format!("DNS lookup of {host} failed"),
            format!("check the host name in `url` and this machine's resolver (`getent hosts {host}`, /etc/resolv.conf)"),
        )
    } else if chain.contains("connection refused") {
        (
            "connection refused".into(),
            format!(
                "nothing listens at {host}:{}: check `url` and that the code host is up",
                base.port_or_known_default().unwrap_or(0)
            ),
        )
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        (
            "TLS handshake failed".into(),
            "the certificate is not trusted or does not match the host name: add the CA that signed it to the system trust store (update-ca-certificates) and check the clock".into(),
        )
    } else {
        (
            "request failed".into(),
            "check `url` and the network path to the host (proxy variables, firewall)".into(),
        )
    }
}

async fn token(
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

fn clock(skews: &[(String, f64)], data: &DataDir) -> Check {
    const ID: &str = "clock";
    let now = SystemTime::now();
    let now_secs = secs(now);
    let shown = httpdate::fmt_http_date(now);
    if now_secs < EARLIEST_SANE as f64 {
        return Check::fail(
            ID,
            format!("the system clock says {shown}, before this quarry was built"),
            "set the clock and keep it synchronized (systemd-timesyncd, chrony or ntpd)",
        );
    }
    let sync_fix = "synchronize the clock (timedatectl set-ntp true, or chrony/ntpd): TLS certificates and token expiry depend on it";
    if let Some((label, skew)) = skews.iter().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())) {
        let message = format!(
            "local time {shown} is {:.0} s {} {label}",
            skew.abs(),
            if *skew > 0.0 { "behind" } else { "ahead of" }
        );
        return if skew.abs() > SKEW_FAIL {
            Check::fail(ID, message, sync_fix)
        } else if skew.abs() > SKEW_WARN {
            Check::warn(ID, message, sync_fix)
        } else {
            Check::pass(
                ID,
                format!("within {:.0} s of {label}", skew.abs().max(1.0)),
            )
        };
    }
    let newest = data
        .manifests()
        .0
        .iter()
        .map(|m| m.indexed_at_unix)
        .max()
        .unwrap_or(0);
    if newest as f64 > now_secs + SKEW_FAIL {
        return Check::warn(
            ID,
            format!(
                "an index was written at {}, later than now ({shown}): the clock went back",
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(newest))
            ),
            sync_fix,
        );
    }
    Check::pass(ID, format!("{shown}; no code host to compare with"))
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
