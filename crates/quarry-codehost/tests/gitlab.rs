//! GitLab against a local server answering like the REST API v4.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use quarry_codehost::{check_token, discover, CodeHost, GitLabConfig, SecretRef};

const TOKEN: &str = "glpat-TESTx7Hq2Wc9Rm4Kp1Vz8Nd3";

fn rate_headers(reply: Reply) -> Reply {
    let reset = unix_now() + 60;
    reply
        .header("ratelimit-limit", "2000")
        .header("ratelimit-observed", "3")
        .header("ratelimit-remaining", "1997")
        .header("ratelimit-reset", reset.to_string())
        .header("ratelimit-resettime", httpdate_of(reset))
}

fn httpdate_of(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(unix))
}

/// Offset pagination headers, as GitLab sends them; `link` false leaves out the `Link` header
/// (the client then goes by `X-Next-Page`).
fn paged(
    reply: Reply,
    base: &str,
    seen: &Seen,
    page: u32,
    pages: u32,
    total: usize,
    link: bool,
) -> Reply {
    let mut reply = reply
        .header("x-page", page.to_string())
        .header("x-per-page", "100")
        .header("x-total", total.to_string())
        .header("x-total-pages", pages.to_string())
        .header(
            "x-prev-page",
            if page > 1 {
                (page - 1).to_string()
            } else {
                String::new()
            },
        )
        .header(
            "x-next-page",
            if page < pages {
                (page + 1).to_string()
            } else {
                String::new()
            },
        );
    if link {
        let url = |p: u32| {
            let mut url =
                quarry_codehost::reqwest::Url::parse(&format!("{base}{}", seen.target())).unwrap();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .append_pair("page", &p.to_string())
                .extend_pairs(pairs);
            url.to_string()
        };
        let mut links = vec![];
        if page < pages {
            links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
        }
        links.push(format!("<{}>; rel=\"first\"", url(1)));
        links.push(format!("<{}>; rel=\"last\"", url(pages)));
        reply = reply.header("link", links.join(", "));
    }
    reply
}

fn gitlab(link: bool) -> impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static {
    move |seen, base| {
        if seen.header("private-token") != Some(TOKEN) {
            return Reply::status(401, fixture("gitlab/error-401.json", base));
        }
        let page: u32 = seen.param("page").map(|p| p.parse().unwrap()).unwrap_or(1);
        let reply = match seen.path.as_str() {
            "/api/v4/groups/acme/projects" => {
                let file = format!("gitlab/groups-acme-projects-page{page}.json");
                paged(
                    Reply::json(fixture(&file, base)),
                    base,
                    seen,
                    page,
                    2,
                    6,
                    link,
                )
            }
            "/api/v4/users/jdoe/projects" => paged(
                Reply::json(fixture("gitlab/users-jdoe-projects.json", base)),
                base,
                seen,
                1,
                1,
                1,
                link,
            ),
            "/api/v4/user" => Reply::json(fixture("gitlab/user.json", base)),
            "/api/v4/personal_access_tokens/self" => {
                Reply::json(fixture("gitlab/personal-access-token-self.json", base))
            }
            _ => Reply::status(404, fixture("gitlab/error-404.json", base)),
        };
        rate_headers(reply)
    }
}

fn config(base: &str, token: SecretRef) -> GitLabConfig {
    GitLabConfig {
        url: Some(base.to_string()),
        token: Some(token),
        groups: vec!["acme".into()],
        ..GitLabConfig::default()
    }
}

#[tokio::test]
async fn a_group_with_its_subgroups_across_pages() {
    let server = Mock::start(gitlab(true)).await;
    let var = "QUARRY_TEST_GITLAB_TOKEN";
    std::env::set_var(var, TOKEN);
    let host = CodeHost::GitLab(config(&server.base, SecretRef::Env(var.into())));
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gitlab.example.com/acme/backend",
            "gitlab.example.com/acme/platform/api",
            "gitlab.example.com/acme/platform/tools/cli",
        ]
    );
    let api = &repos[1];
    assert_eq!(
        api.clone_url,
        "https://gitlab.example.com/acme/platform/api.git"
    );
    assert_eq!(
        api.ssh_url.as_deref(),
        Some("git@gitlab.example.com:acme/platform/api.git")
    );
    assert!(api.private, "internal is not public");
    assert!(!repos[2].private);
    assert_eq!(repos[2].default_branch.as_deref(), Some("master"));
    assert_eq!(repos[0].description.as_deref(), Some("Backend services"));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.path, "/api/v4/groups/acme/projects");
    assert_eq!(first.param("include_subgroups").as_deref(), Some("true"));
    assert_eq!(first.param("with_shared").as_deref(), Some("false"));
    assert_eq!(first.param("per_page").as_deref(), Some("100"));
    assert_eq!(first.param("archived").as_deref(), Some("false"));
    assert_eq!(requests[1].param("page").as_deref(), Some("2"));
    assert_eq!(
        requests[1].param("include_subgroups").as_deref(),
        Some("true")
    );
    for r in &requests {
        assert_eq!(r.header("private-token"), Some(TOKEN));
        assert!(r.header("authorization").is_none());
    }
}

#[tokio::test]
async fn x_next_page_pagination_forks_archived_and_users() {
    let server = Mock::start(gitlab(false)).await;
    let token = secret_file(TOKEN);
    let host = CodeHost::GitLab(GitLabConfig {
        users: vec!["jdoe".into()],
        forks: true,
        archived: true,
        exclude: vec!["acme/platform/**".into()],
        ..config(&server.base, SecretRef::File(token.path().into()))
    });
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gitlab.example.com/acme/backend",
            "gitlab.example.com/acme/frontend-fork",
            "gitlab.example.com/acme/old-archive",
            "gitlab.example.com/jdoe/dotfiles",
        ]
    );
    assert!(repos[1].fork && !repos[1].archived);
    assert!(repos[2].archived && !repos[2].fork);
    let targets = server.targets();
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert!(server
        .requests()
        .iter()
        .all(|r| r.param("archived").is_none()));
    assert_eq!(server.requests()[1].param("page").as_deref(), Some("2"));
    assert_eq!(server.requests()[2].path, "/api/v4/users/jdoe/projects");
}

#[tokio::test]
async fn a_subgroup_path_is_one_encoded_segment() {
    let server = Mock::start(|seen, base| {
        if seen.path == "/api/v4/groups/acme%2Fplatform/projects" {
            Reply::json("[]")
        } else {
            Reply::status(404, fixture("gitlab/error-404.json", base))
        }
    })
    .await;
    let host = CodeHost::GitLab(GitLabConfig {
        url: Some(format!("{}/api/v4", server.base)),
        groups: vec!["acme/platform".into()],
        ..GitLabConfig::default()
    });
    let repos = discover(&host, &client()).await.unwrap();
    assert!(repos.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_after_429() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = gitlab(true);
    let server = Mock::start(move |seen, base| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            let reset = unix_now() + 1;
            return Reply::status(429, "Retry later\n")
                .header("retry-after", "1")
                .header("ratelimit-name", "throttle_authenticated_api")
                .header("ratelimit-limit", "2000")
                .header("ratelimit-observed", "2001")
                .header("ratelimit-remaining", "0")
                .header("ratelimit-reset", reset.to_string());
        }
        inner(seen, base)
    })
    .await;
    let token = secret_file(TOKEN);
    let host = CodeHost::GitLab(config(&server.base, SecretRef::File(token.path().into())));
    let repos = discover(&host, &client()).await.unwrap();
    assert_eq!(repos.len(), 3);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(950));
}

#[tokio::test]
async fn unknown_group_and_rejected_token() {
    let server = Mock::start(gitlab(true)).await;
    let token = secret_file(TOKEN);
    let host = CodeHost::GitLab(GitLabConfig {
        groups: vec!["nope".into()],
        ..config(&server.base, SecretRef::File(token.path().into()))
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(error.is_not_found());
    assert!(text.starts_with("GitLab 127.0.0.1:"), "{text}");
    assert!(text.contains("GET /api/v4/groups/nope/projects?"), "{text}");
    assert!(
        text.contains("HTTP 404 Not Found: group nope not found or not visible to this token"),
        "{text}"
    );

    let wrong = secret_file("glpat-WRONGwrongWRONG");
    let host = CodeHost::GitLab(config(&server.base, SecretRef::File(wrong.path().into())));
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "HTTP 401 Unauthorized: the token in file {} was rejected: check it and its scopes (needs read access to repositories)",
            wrong.path().display()
        )),
        "{text}"
    );
    assert_no_secret(&error, &text, "glpat-WRONGwrongWRONG");
}

#[tokio::test]
async fn token_check() {
    let server = Mock::start(gitlab(true)).await;
    let token = secret_file(TOKEN);
    let host = CodeHost::GitLab(config(&server.base, SecretRef::File(token.path().into())));
    let info = check_token(&host, &client()).await.unwrap();
    assert_eq!(info.user, "jdoe");
    assert_eq!(info.scopes, ["read_api", "read_repository"]);
    assert_eq!(
        server.targets(),
        ["/api/v4/user", "/api/v4/personal_access_tokens/self"]
    );

    // Older GitLab (or an OAuth token): the user is known, the scopes are not.
    let inner = gitlab(true);
    let server = Mock::start(move |seen, base| {
        if seen.path.ends_with("/self") {
            return Reply::status(404, "{\"error\":\"404 Not Found\"}");
        }
        inner(seen, base)
    })
    .await;
    let host = CodeHost::GitLab(config(&server.base, SecretRef::File(token.path().into())));
    let info = check_token(&host, &client()).await.unwrap();
    assert_eq!(info.user, "jdoe");
    assert!(info.scopes.is_empty());
}
