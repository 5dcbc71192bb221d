//! Gitea and Forgejo against a local server answering like the REST API v1.

use crate::common;

use common::*;
use quarry_codehost::{check_token, discover, CodeHost, GiteaConfig, SecretRef};

const TOKEN: &str = "3f9a1c7e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a";

/// Organization acme has two pages of two repositories; `link` false answers like an old
/// version without `Link` headers (the client then goes by `X-Total-Count`).
fn gitea(link: bool) -> impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static {
    move |seen, base| {
        if seen.header("authorization") != Some(&format!("token {TOKEN}")) {
            return Reply::status(401, fixture("gitea/error-401.json", base));
        }
        match seen.path.as_str() {
            "/api/v1/orgs/acme/repos" => {
                let page = seen.param("page").unwrap_or_else(|| "1".into());
                let limit = seen.param("limit").unwrap_or_else(|| "30".into());
                let url = |p: &str| format!("{base}/api/v1/orgs/acme/repos?limit={limit}&page={p}");
                let (file, links) = if page == "1" {
                    (
                        "gitea/orgs-acme-repos-page1.json",
                        format!("<{}>; rel=\"next\",<{}>; rel=\"last\"", url("2"), url("2")),
                    )
                } else {
                    (
                        "gitea/orgs-acme-repos-page2.json",
                        format!("<{}>; rel=\"first\",<{}>; rel=\"prev\"", url("1"), url("1")),
                    )
                };
                let mut reply = Reply::json(fixture(file, base)).header("x-total-count", "4");
                if link {
                    reply = reply.header("link", links);
                }
                reply
                    .header("access-control-expose-headers", "X-Total-Count, Link")
                    .header("x-content-type-options", "nosniff")
            }
            "/api/v1/user" => Reply::json(fixture("gitea/user.json", base)),
            _ => Reply::status(404, fixture("gitea/error-404.json", base)),
        }
    }
}

fn config(base: &str, token: SecretRef) -> GiteaConfig {
    GiteaConfig {
        url: base.to_string(),
        token: Some(token),
        orgs: vec!["acme".into()],
        ..GiteaConfig::default()
    }
}

#[tokio::test]
async fn an_organization_across_pages() {
    for link in [true, false] {
        let server = Mock::start(gitea(link)).await;
        let token = secret_file(TOKEN);
        let host = CodeHost::Gitea(config(&server.base, SecretRef::File(token.path().into())));
        let repos = discover(&host, &client()).await.unwrap();
        let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "git.example.org/acme/forge",
                "git.example.org/acme/secret-sauce"
            ],
            "link: {link}"
        );
        assert_eq!(repos[0].clone_url, "https://git.example.org/acme/forge.git");
        assert_eq!(
            repos[0].ssh_url.as_deref(),
            Some("git@git.example.org:acme/forge.git")
        );
        assert!(repos[1].private);
        assert_eq!(repos[1].default_branch.as_deref(), Some("develop"));
        assert_eq!(
            server.targets(),
            [
                "/api/v1/orgs/acme/repos?page=1&limit=50",
                if link {
                    "/api/v1/orgs/acme/repos?limit=50&page=2"
                } else {
                    "/api/v1/orgs/acme/repos?page=2&limit=50"
                },
            ]
        );
    }
}

#[tokio::test]
async fn forgejo_kind_forks_and_archived() {
    let server = Mock::start(gitea(true)).await;
    let token = secret_file(TOKEN);
    let toml = format!(
        r#"
        kind = "forgejo"
        url = "{}"
        token = {{ file = "{}" }}
        orgs = ["acme"]
        forks = true
        archived = true
        exclude = ["*/secret-*"]
        "#,
        server.base,
        token.path().display()
    );
    let host: CodeHost = toml::from_str(&toml).unwrap();
    assert!(matches!(host, CodeHost::Gitea(_)));
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "git.example.org/acme/forge",
            "git.example.org/acme/forge-fork",
            "git.example.org/acme/retired",
        ]
    );
    assert!(repos[1].fork);
    assert!(repos[2].archived);
    assert_eq!(repos[2].description, None);
}

#[tokio::test]
async fn unknown_organization_and_missing_token() {
    let server = Mock::start(gitea(true)).await;
    let token = secret_file(TOKEN);
    let host = CodeHost::Gitea(GiteaConfig {
        orgs: vec!["ghost".into()],
        ..config(&server.base, SecretRef::File(token.path().into()))
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("GET /api/v1/orgs/ghost/repos?page=1&limit=50: HTTP 404 Not Found: organization ghost not found or not visible to this token (the server said: The target couldn't be found.) (a user account belongs in `users`)"),
        "{text}"
    );

    let host = CodeHost::Gitea(GiteaConfig {
        token: None,
        ..config(&server.base, SecretRef::Env("UNUSED".into()))
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("HTTP 401 Unauthorized: this host needs a token"),
        "{text}"
    );
    assert!(text.contains("token is required"), "{text}");
}

#[tokio::test]
async fn token_check() {
    let server = Mock::start(gitea(true)).await;
    let token = secret_file(TOKEN);
    let host = CodeHost::Gitea(config(&server.base, SecretRef::File(token.path().into())));
    let info = check_token(&host, &client()).await.unwrap();
    assert_eq!(info.user, "gitea-bot");
    assert!(info.scopes.is_empty());
}
