//! GitHub and GitHub Enterprise against a local server answering like the REST API v3.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use quarry_codehost::reqwest::header::{HeaderMap, HeaderValue};
use quarry_codehost::reqwest::Url;
use quarry_codehost::{
    check_token, discover, Client, ClientOptions, CodeHost, GitHubConfig, HostError, SecretRef,
};

const TOKEN: &str = "ghp_TESTq8Wm2ZrY7xVb1Nc4Kd9Lf0Hj3Gp5Ts6";

fn host(base: &str, token: Option<SecretRef>) -> GitHubConfig {
    GitHubConfig {
        // A GitHub Enterprise Server's API (the public API's paths have no prefix).
        url: Some(format!("{base}/api/v3")),
        token,
        orgs: vec!["acme".into()],
        ..GitHubConfig::default()
    }
}

fn rate_headers(reply: Reply, remaining: u64, reset: u64) -> Reply {
    reply
        .header("x-ratelimit-limit", "5000")
        .header("x-ratelimit-remaining", remaining.to_string())
        .header("x-ratelimit-reset", reset.to_string())
        .header("x-ratelimit-used", (5000 - remaining).to_string())
        .header("x-ratelimit-resource", "core")
}

/// The organization's three pages, linked the way GitHub does: the first request is by name,
/// the links that follow by organization id.
fn org_page(seen: &Seen, base: &str) -> Reply {
    let page = seen.param("page").unwrap_or_else(|| "1".into());
    let link =
        |p: u32| format!("{base}/api/v3/organizations/9919/repos?per_page=100&type=all&page={p}");
    let (file, links) = match page.as_str() {
        "1" => (
            "github/orgs-acme-repos-page1.json",
            format!("<{}>; rel=\"next\", <{}>; rel=\"last\"", link(2), link(3)),
        ),
        "2" => (
            "github/orgs-acme-repos-page2.json",
            format!(
                "<{}>; rel=\"prev\", <{}>; rel=\"next\", <{}>; rel=\"last\", <{}>; rel=\"first\"",
                link(1),
                link(3),
                link(3),
                link(1)
            ),
        ),
        _ => (
            "github/orgs-acme-repos-page3.json",
            format!("<{}>; rel=\"prev\", <{}>; rel=\"first\"", link(2), link(1)),
        ),
    };
    rate_headers(
        Reply::json(fixture(file, base)).header("link", links),
        4990,
        unix_now() + 3600,
    )
}

fn authorized(seen: &Seen) -> bool {
    seen.header("authorization") == Some(&format!("Bearer {TOKEN}"))
}

/// A GitHub API: bearer token required, organization acme, users octocat and quarry-bot (the
/// token's user).
fn github(seen: &Seen, base: &str) -> Reply {
    if !authorized(seen) {
        return Reply::status(401, fixture("github/error-401.json", base));
    }
    match seen.path.strip_prefix("/api/v3").unwrap_or("") {
        "/orgs/acme/repos" | "/organizations/9919/repos" => org_page(seen, base),
        "/user" => Reply::json(fixture("github/user.json", base))
            .header("x-oauth-scopes", "read:org, repo")
            .header("x-accepted-oauth-scopes", ""),
        "/user/repos" => Reply::json(fixture("github/user-repos-quarry-bot.json", base)),
        "/users/octocat/repos" => Reply::json(fixture("github/users-octocat-repos.json", base)),
        _ => Reply::status(404, fixture("github/error-404.json", base)),
    }
}

fn names(repos: &[quarry_codehost::DiscoveredRepo]) -> Vec<&str> {
    repos.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn lists_an_organization_across_pages_without_forks_and_archived() {
    let server = Mock::start(github).await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();

    assert_eq!(
        names(&repos),
        [
            "github.com/acme/api-archive",
            "github.com/acme/docs",
            "github.com/acme/gadgets",
            "github.com/acme/infra",
            "github.com/acme/sandbox-tmp",
            "github.com/acme/widgets",
        ]
    );
    let widgets = repos.iter().find(|r| r.name.ends_with("/widgets")).unwrap();
    assert_eq!(widgets.clone_url, "https://github.com/acme/widgets.git");
    assert_eq!(
        widgets.ssh_url.as_deref(),
        Some("git@github.com:acme/widgets.git")
    );
    assert_eq!(widgets.default_branch.as_deref(), Some("main"));
    assert!(widgets.private && !widgets.fork && !widgets.archived);
    assert_eq!(widgets.description.as_deref(), Some("The widget factory"));
    let docs = repos.iter().find(|r| r.name.ends_with("/docs")).unwrap();
    assert_eq!(docs.description, None);
    assert!(!docs.private);

    let requests = server.requests();
    assert_eq!(
        server.targets(),
        [
            "/api/v3/orgs/acme/repos?per_page=100&type=all",
            "/api/v3/organizations/9919/repos?per_page=100&type=all&page=2",
            "/api/v3/organizations/9919/repos?per_page=100&type=all&page=3",
        ]
    );
    for r in &requests {
        assert_eq!(
            r.header("user-agent"),
            Some(concat!("quarry/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        assert!(authorized(r));
    }
}

#[tokio::test]
async fn include_exclude_forks_archived() {
    let server = Mock::start(github).await;
    let token = secret_file(TOKEN);
    let config = GitHubConfig {
        include: vec!["acme/*".into()],
        exclude: vec!["*-archive".into(), "ACME/sandbox-*".into()],
        forks: true,
        archived: true,
        ..host(&server.base, Some(SecretRef::File(token.path().into())))
    };
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(
        names(&repos),
        [
            "github.com/acme/docs",
            "github.com/acme/gadgets",
            "github.com/acme/infra",
            "github.com/acme/widgets",
            "github.com/acme/widgets-fork",
        ]
    );
    assert!(repos.iter().any(|r| r.fork));

    // Only archived ones in: legacy-archive is archived, api-archive is merely named so.
    let config = GitHubConfig {
        include: vec!["*/legacy-*".into(), "*/api-*".into()],
        archived: true,
        ..host(&server.base, Some(SecretRef::File(token.path().into())))
    };
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(
        names(&repos),
        [
            "github.com/acme/api-archive",
            "github.com/acme/legacy-archive"
        ]
    );
    assert!(repos[1].archived && !repos[0].archived);
}

#[tokio::test]
async fn users_and_the_tokens_own_private_repositories() {
    let server = Mock::start(github).await;
    let token = secret_file(TOKEN);
    let config = GitHubConfig {
        orgs: vec![],
        users: vec!["octocat".into(), "Quarry-Bot".into()],
        ..host(&server.base, Some(SecretRef::File(token.path().into())))
    };
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(
        names(&repos),
        [
            "github.com/octocat/Hello-World",
            "github.com/quarry-bot/dotfiles",
            "github.com/quarry-bot/private-notes",
        ]
    );
    assert!(repos[2].private);
    assert_eq!(
        server.targets(),
        [
            "/api/v3/user",
            "/api/v3/users/octocat/repos?per_page=100&type=owner",
            "/api/v3/user/repos?per_page=100&affiliation=owner",
        ]
    );
}

#[tokio::test]
async fn github_enterprise_api_base() {
    let server = Mock::start(|seen, base| {
        if !authorized(seen) {
            return Reply::status(401, fixture("github/error-401.json", base));
        }
        match seen.path.as_str() {
            "/api/v3/orgs/platform/repos" => {
                Reply::json(fixture("github/ghe-orgs-platform-repos.json", base))
            }
            _ => Reply::status(404, fixture("github/error-404.json", base)),
        }
    })
    .await;
    let var = "QUARRY_TEST_GHE_TOKEN";
    std::env::set_var(var, TOKEN);
    let config = GitHubConfig {
        url: Some(format!("{}/api/v3/", server.base)),
        token: Some(SecretRef::Env(var.into())),
        orgs: vec!["platform".into()],
        ..GitHubConfig::default()
    };
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(
        names(&repos),
        [
            "github.example.com/platform/deploy",
            "github.example.com/platform/runtime"
        ]
    );
    assert_eq!(repos[1].default_branch.as_deref(), Some("trunk"));
    assert_eq!(
        repos[0].clone_url,
        "https://github.example.com/platform/deploy.git"
    );
}

#[tokio::test]
async fn no_token_and_a_rejected_token() {
    let server = Mock::start(github).await;
    let error = discover(&CodeHost::GitHub(host(&server.base, None)), &client())
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(error.is_unauthorized(), "{text}");
    assert!(text.contains("HTTP 401 Unauthorized"), "{text}");
    assert!(text.contains("needs a token"), "{text}");
    assert!(text.contains("GET /api/v3/orgs/acme/repos"), "{text}");

    let var = "QUARRY_TEST_GH_BAD_TOKEN";
    let bad = "ghp_WRONGwrongWRONGwrong0123456789abcd";
    std::env::set_var(var, bad);
    let config = host(&server.base, Some(SecretRef::Env(var.into())));
    let error = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap_err();
    let text = error.to_string();
    let host_label = server.base.trim_start_matches("http://");
    assert!(
        text.starts_with(&format!("GitHub {host_label}: GET /api/v3/orgs/acme/repos")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "HTTP 401 Unauthorized: the token in ${var} was rejected: check it and its scopes (needs read access to repositories)"
        )),
        "{text}"
    );
    assert!(text.contains("Bad credentials"), "{text}");
    assert_no_secret(&error, &text, bad);
    // The request carried the token.
    assert_eq!(
        server.requests()[1].header("authorization"),
        Some(format!("Bearer {bad}").as_str())
    );
}

#[tokio::test]
async fn unknown_organization() {
    let server = Mock::start(github).await;
    let token = secret_file(TOKEN);
    let config = GitHubConfig {
        orgs: vec!["nope".into()],
        ..host(&server.base, Some(SecretRef::File(token.path().into())))
    };
    let error = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(error.is_not_found());
    assert!(
        text.contains("GET /api/v3/orgs/nope/repos?per_page=100&type=all: HTTP 404 Not Found: organization nope not found or not visible to this token (a user account belongs in `users`)"),
        "{text}"
    );
    assert_no_secret(&error, &text, TOKEN);
}

#[tokio::test]
async fn waits_out_a_secondary_rate_limit() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Mock::start(move |seen, base| {
        if seen.param("page").as_deref() == Some("2") && counter.fetch_add(1, Ordering::SeqCst) == 0
        {
            return Reply::status(429, fixture("github/error-secondary-rate-limit.json", base))
                .header("retry-after", "1");
        }
        github(seen, base)
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let started = Instant::now();
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(repos.len(), 6);
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "{:?}", server.targets());
    assert_eq!(requests[1].target(), requests[2].target());
    assert!(requests[2].at - requests[1].at >= Duration::from_millis(950));
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn waits_out_a_403_with_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Mock::start(move |seen, base| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::status(403, fixture("github/error-secondary-rate-limit.json", base))
                .header("retry-after", "1");
        }
        github(seen, base)
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(repos.len(), 6);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn waits_for_the_reset_when_the_quota_is_used_up() {
    let server = Mock::start(|seen, base| {
        let reply = github(seen, base);
        if seen.param("page").is_none() && seen.path.ends_with("/repos") {
            // The first page used the last request of the hour; reset two seconds from now.
            return rate_headers(
                Reply {
                    headers: reply
                        .headers
                        .into_iter()
                        .filter(|(k, _)| !k.starts_with("x-ratelimit"))
                        .collect(),
                    ..reply
                },
                0,
                unix_now() + 2,
            );
        }
        reply
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let repos = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(repos.len(), 6);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_allowed_wait_fails_saying_when_to_retry() {
    let server = Mock::start(|_, base| {
        rate_headers(
            Reply::status(403, fixture("github/error-rate-limit.json", base)),
            0,
            unix_now() + 3600,
        )
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let options = ClientOptions {
        max_rate_limit_wait: Duration::from_secs(2),
        ..options()
    };
    let started = Instant::now();
    let error = discover(
        &CodeHost::GitHub(config),
        &Client::with_options(options).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(error.is_rate_limited());
    let text = error.to_string();
    assert!(text.contains("GET /api/v3/orgs/acme/repos"), "{text}");
    assert!(text.contains("rate limited (HTTP 403)"), "{text}");
    assert!(text.contains("retry after then"), "{text}");
    assert!(text.contains(" GMT (in 3"), "{text}");
    assert!(text.contains("allowed wait of 2 s"), "{text}");
    let HostError::RateLimited { wait, .. } = error else {
        unreachable!()
    };
    assert!(wait > Duration::from_secs(3500));
}

#[tokio::test]
async fn header_injector_and_extra_headers_on_every_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Mock::start(move |seen, base| {
        if counter.fetch_add(1, Ordering::SeqCst) == 1 {
            return Reply::status(429, "{}").header("retry-after", "0");
        }
        github(seen, base)
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let injected = Arc::new(AtomicUsize::new(0));
    let count = injected.clone();
    let mut extra = HeaderMap::new();
    extra.insert("x-quarry-instance", HeaderValue::from_static("test"));
    let options = ClientOptions {
        extra_headers: extra,
        ..options()
    }
    .header_injector(move |url: &Url, headers: &mut HeaderMap| {
        assert!(headers.get("authorization").is_none());
        let n = count.fetch_add(1, Ordering::SeqCst);
        let value = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{n:016x}-01");
        headers.insert("traceparent", HeaderValue::from_str(&value).unwrap());
        assert!(url.path().ends_with("/repos"));
    });
    let repos = discover(
        &CodeHost::GitHub(config),
        &Client::with_options(options).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(repos.len(), 6);
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(injected.load(Ordering::SeqCst), 4);
    for (n, r) in requests.iter().enumerate() {
        assert_eq!(
            r.header("traceparent"),
            Some(format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{n:016x}-01").as_str())
        );
        assert_eq!(r.header("x-quarry-instance"), Some("test"));
        assert!(authorized(r));
    }
}

#[tokio::test]
async fn token_check_reports_user_and_scopes() {
    let server = Mock::start(github).await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let info = check_token(&CodeHost::GitHub(config), &client())
        .await
        .unwrap();
    assert_eq!(info.user, "quarry-bot");
    assert_eq!(info.scopes, ["read:org", "repo"]);
    assert_eq!(server.targets(), ["/api/v3/user"]);

    let error = check_token(&CodeHost::GitHub(host(&server.base, None)), &client())
        .await
        .unwrap_err();
    assert!(matches!(error, HostError::Config { .. }), "{error}");
    assert!(error.to_string().contains("no token is configured"));
}

#[tokio::test]
async fn a_slow_host_times_out() {
    let server = Mock::start(|seen, base| github(seen, base).delay(Duration::from_secs(3))).await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        max_retries: 1,
        ..options()
    };
    let started = Instant::now();
    let error = discover(
        &CodeHost::GitHub(config),
        &Client::with_options(options).unwrap(),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, HostError::Request { .. }), "{text}");
    assert!(text.contains("no answer within 0.3 s"), "{text}");
    assert!(text.contains("GET /api/v3/orgs/acme/repos"), "{text}");
    // One retry after a second.
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn next_links_to_another_host_are_not_followed() {
    let server = Mock::start(|seen, base| {
        let mut reply = github(seen, base);
        reply.headers.retain(|(name, _)| name != "link");
        let port = base.rsplit(':').next().unwrap();
        reply.header(
            "link",
            link_next(&format!(
                "http://localhost:{port}/organizations/9919/repos?page=2"
            )),
        )
    })
    .await;
    let token = secret_file(TOKEN);
    let config = host(&server.base, Some(SecretRef::File(token.path().into())));
    let error = discover(&CodeHost::GitHub(config), &client())
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("points at another host"), "{text}");
    assert_eq!(server.requests().len(), 1);
}
