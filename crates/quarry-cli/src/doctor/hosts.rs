//! `ssh`, `code-host:<label>`: what syncing from code hosts needs (the token and clock checks
//! follow from what these find).

use super::Check;
use quarry_codehost::reqwest;
use quarry_codehost::{ClientOptions, CodeHost};
use quarry_config::Config;
use quarry_index::DataDir;
use quarry_telemetry::error_chain;
use std::time::{Duration, Instant, SystemTime};

/// Whether a clone URL is fetched over ssh (the one transport that runs a program).
fn is_ssh(url: &str) -> bool {
    url.starts_with("ssh://")
        || url.starts_with("git+ssh://")
        || (!url.contains("://") && url.contains('@') && url.contains(':'))
}

/// `ssh` runs, when a repository is fetched over ssh (every other transport is built in:
/// quarry needs no `git` program).
pub fn ssh(config: Option<&Config>) -> Check {
    let needed =
        config.is_some_and(|c| c.repos.iter().any(|r| r.url.as_deref().is_some_and(is_ssh)));
    if !needed {
        return Check::pass(
            "ssh",
            "not needed: no ssh:// or user@host:path repository URL",
        );
    }
    match std::process::Command::new("ssh").arg("-V").output() {
        Ok(out) if out.status.success() => Check::pass(
            "ssh",
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ),
        Ok(out) => Check::fail(
            "ssh",
            format!(
                "`ssh -V` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            "reinstall the ssh client",
        ),
        Err(e) => Check::fail(
            "ssh",
            format!(
                "repositories are fetched over ssh but `ssh` cannot run: {} (PATH={})",
                super::io_text(&e),
                std::env::var("PATH").unwrap_or_default()
            ),
            "install the ssh client (e.g. `apt-get install openssh-client`) or use https:// URLs with a token",
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
        checks.push(super::clock::check(&skews, data));
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
        checks.push(super::token::check(host, &label, &client, reachable).await);
    }
    checks.push(super::clock::check(&skews, data));
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
                    super::clock::secs(date) - super::clock::secs(local)
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
    } else if chain.contains("corrupt message") || chain.contains("invalidcontenttype") {
        (
            "TLS handshake failed: the server does not speak TLS on this port".into(),
            "if the host serves plain HTTP there, write http:// in `url`; else correct the port"
                .into(),
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
