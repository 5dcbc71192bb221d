//! Bitbucket Cloud (REST 2.0) and Bitbucket Server / Data Center (REST 1.0) against local
//! servers answering like them.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::*;
use quarry_codehost::{
    check_token, discover, BitbucketCloudConfig, BitbucketServerConfig, CodeHost, SecretRef,
};

const APP_PASSWORD: &str = "ATBBq7Wm2ZrY7xVb1Nc4Kd9Lf0Hj3Gp5Ts6E1F2A3B4";
const ACCESS_TOKEN: &str = "ATCTT3xFfGN0bbX9yZq1w2e3r4t5y6u7i8o9p0";
const SERVER_TOKEN: &str = "BBDC-NDY3MjQ5NTk0MjQ4OpVfn1L8w7Rkq0Ez3jYxU";

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Bitbucket Cloud: workspace acme in two pages linked by `next` in the body. Accepts the app
/// password of jdoe and the access token.
fn cloud(seen: &Seen, base: &str) -> Reply {
    let auth = seen.header("authorization");
    let app_password = auth == Some(basic("jdoe", APP_PASSWORD).as_str());
    let token = auth == Some(format!("Bearer {ACCESS_TOKEN}").as_str());
    if !app_password && !token {
        return Reply::status(401, fixture("bitbucket-cloud/error-401.json", base));
    }
    match seen.path.as_str() {
        "/2.0/repositories/acme" => {
            let file = match seen.param("page").as_deref() {
                None | Some("1") => "bitbucket-cloud/repositories-acme-page1.json",
                _ => "bitbucket-cloud/repositories-acme-page2.json",
            };
            Reply::json(fixture(file, base))
        }
        "/2.0/user" => {
            let reply = Reply::json(fixture("bitbucket-cloud/user.json", base)).header(
                "x-credential-type",
                if app_password {
                    "apppassword"
                } else {
                    "access_token"
                },
            );
            if app_password {
                reply.header("x-oauth-scopes", "repository, account")
            } else {
                reply
            }
        }
        _ => Reply::status(404, fixture("bitbucket-cloud/error-404.json", base)),
    }
}

fn cloud_config(base: &str) -> BitbucketCloudConfig {
    BitbucketCloudConfig {
        url: Some(base.to_string()),
        workspaces: vec!["acme".into()],
        ..BitbucketCloudConfig::default()
    }
}

#[tokio::test]
async fn cloud_workspace_with_an_app_password() {
    let server = Mock::start(cloud).await;
    let password = secret_file(APP_PASSWORD);
    let host = CodeHost::BitbucketCloud(BitbucketCloudConfig {
        username: Some("jdoe".into()),
        app_password: Some(SecretRef::File(password.path().into())),
        ..cloud_config(&server.base)
    });
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bitbucket.org/acme/empty-repo",
            "bitbucket.org/acme/public-lib",
            "bitbucket.org/acme/webapp",
        ]
    );
    let webapp = &repos[2];
    // The user name Bitbucket puts in clone URLs is dropped.
    assert_eq!(webapp.clone_url, "https://bitbucket.org/acme/webapp.git");
    assert_eq!(
        webapp.ssh_url.as_deref(),
        Some("git@bitbucket.org:acme/webapp.git")
    );
    assert_eq!(webapp.default_branch.as_deref(), Some("main"));
    assert!(webapp.private);
    assert_eq!(webapp.description.as_deref(), Some("Customer web app"));
    assert!(!repos[1].private);
    assert_eq!(repos[0].default_branch, None);
    assert_eq!(
        server.targets(),
        [
            "/2.0/repositories/acme?pagelen=100",
            "/2.0/repositories/acme?pagelen=100&page=2",
        ]
    );
}

#[tokio::test]
async fn cloud_access_token_forks_and_globs() {
    let server = Mock::start(cloud).await;
    let var = "QUARRY_TEST_BITBUCKET_ACCESS_TOKEN";
    std::env::set_var(var, ACCESS_TOKEN);
    let host = CodeHost::BitbucketCloud(BitbucketCloudConfig {
        token: Some(SecretRef::Env(var.into())),
        forks: true,
        include: vec!["acme/webapp*".into()],
        ..cloud_config(&server.base)
    });
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bitbucket.org/acme/webapp",
            "bitbucket.org/acme/webapp-fork"
        ]
    );
    assert!(repos[1].fork && !repos[0].fork);
}

#[tokio::test]
async fn cloud_errors_and_token_check() {
    let server = Mock::start(cloud).await;
    let password = secret_file("not-the-password");
    let host = CodeHost::BitbucketCloud(BitbucketCloudConfig {
        username: Some("jdoe".into()),
        app_password: Some(SecretRef::File(password.path().into())),
        ..cloud_config(&server.base)
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "HTTP 401 Unauthorized: the app password in file {} (user jdoe) was rejected",
            password.path().display()
        )),
        "{text}"
    );
    assert!(text.contains("Invalid credentials"), "{text}");
    assert_no_secret(&error, &text, "not-the-password");

    let password = secret_file(APP_PASSWORD);
    let host = CodeHost::BitbucketCloud(BitbucketCloudConfig {
        username: Some("jdoe".into()),
        app_password: Some(SecretRef::File(password.path().into())),
        workspaces: vec!["nope".into()],
        ..cloud_config(&server.base)
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("HTTP 404 Not Found: workspace nope not found or not visible to this token (the server said: No workspace with identifier 'nope'.)"),
        "{text}"
    );

    let info = check_token(&host, &client()).await.unwrap();
    assert_eq!(info.user, "jdoe");
    assert_eq!(info.scopes, ["repository", "account"]);
}

/// Bitbucket Server: project PLAT in two pages (`isLastPage`, `nextPageStart`), personal
/// repositories of jdoe; HTTP access token as Bearer, or jdoe's token by basic authentication.
fn server(seen: &Seen, base: &str) -> Reply {
    let auth = seen.header("authorization");
    let user = if auth == Some(format!("Bearer {SERVER_TOKEN}").as_str()) {
        "quarry-bot"
    } else if auth == Some(basic("jdoe", SERVER_TOKEN).as_str()) {
        "jdoe"
    } else {
        return Reply::status(401, fixture("bitbucket-server/error-401.json", base))
            .header("www-authenticate", "Bearer realm=\"Bitbucket\"");
    };
    let reply = match seen.path.as_str() {
        "/rest/api/1.0/projects/PLAT/repos" => {
            assert_eq!(seen.param("limit").as_deref(), Some("100"));
            let file = match seen.param("start").as_deref() {
                None | Some("0") => "bitbucket-server/projects-PLAT-repos-start0.json",
                Some("2") => "bitbucket-server/projects-PLAT-repos-start2.json",
                other => panic!("start {other:?}"),
            };
            Reply::json(fixture(file, base))
        }
        "/rest/api/1.0/users/jdoe/repos" => {
            Reply::json(fixture("bitbucket-server/users-jdoe-repos.json", base))
        }
        "/rest/api/1.0/users" => Reply::json(fixture("bitbucket-server/users-limit1.json", base)),
        _ => Reply::status(404, fixture("bitbucket-server/error-404.json", base)),
    };
    reply.header("x-ausername", user).header("x-auserid", "7")
}

fn server_config(base: &str, token: SecretRef) -> BitbucketServerConfig {
    BitbucketServerConfig {
        url: base.to_string(),
        token: Some(token),
        projects: vec!["PLAT".into()],
        ..BitbucketServerConfig::default()
    }
}

#[tokio::test]
async fn server_project_and_user_repositories() {
    let server = Mock::start(server).await;
    let token = secret_file(SERVER_TOKEN);
    let host = CodeHost::BitbucketServer(BitbucketServerConfig {
        users: vec!["jdoe".into()],
        ..server_config(&server.base, SecretRef::File(token.path().into()))
    });
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bitbucket.example.com/PLAT/api",
            "bitbucket.example.com/PLAT/web",
            "bitbucket.example.com/~JDOE/scratch",
        ]
    );
    let api = &repos[0];
    assert_eq!(
        api.clone_url,
        "https://bitbucket.example.com/scm/plat/api.git"
    );
    assert_eq!(
        api.ssh_url.as_deref(),
        Some("ssh://git@bitbucket.example.com:7999/plat/api.git")
    );
    assert!(api.private);
    assert!(!repos[1].private);
    assert_eq!(api.default_branch, None);
    assert_eq!(
        server.targets(),
        [
            "/rest/api/1.0/projects/PLAT/repos?limit=100&start=0",
            "/rest/api/1.0/projects/PLAT/repos?limit=100&start=2",
            "/rest/api/1.0/users/jdoe/repos?limit=100&start=0",
        ]
    );
}

#[tokio::test]
async fn server_forks_archived_basic_auth_and_rate_limit() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Mock::start(move |seen, base| {
        if counter.fetch_add(1, Ordering::SeqCst) == 1 {
            return Reply::status(
                429,
                r#"{"errors":[{"context":null,"message":"You have been rate limited. Please wait and try again.","exceptionName":null}]}"#,
            )
            .header("retry-after", "1")
            .header("x-ratelimit-limit", "60")
            .header("x-ratelimit-remaining", "0");
        }
        server(seen, base)
    })
    .await;
    let token = secret_file(SERVER_TOKEN);
    let host = CodeHost::BitbucketServer(BitbucketServerConfig {
        username: Some("jdoe".into()),
        forks: true,
        archived: true,
        exclude: vec!["plat/web".into()],
        ..server_config(&server.base, SecretRef::File(token.path().into()))
    });
    let repos = discover(&host, &client()).await.unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bitbucket.example.com/PLAT/api",
            "bitbucket.example.com/PLAT/api-fork",
            "bitbucket.example.com/PLAT/old",
        ]
    );
    assert!(repos[1].fork);
    assert!(repos[2].archived);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[2].at - requests[1].at >= Duration::from_millis(950));
    assert_eq!(
        requests[0].header("authorization"),
        Some(basic("jdoe", SERVER_TOKEN).as_str())
    );
}

#[tokio::test]
async fn server_errors_and_token_check() {
    let server = Mock::start(server).await;
    let token = secret_file(SERVER_TOKEN);
    let host = CodeHost::BitbucketServer(BitbucketServerConfig {
        projects: vec!["NOPE".into()],
        ..server_config(&server.base, SecretRef::File(token.path().into()))
    });
    let error = discover(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("GET /rest/api/1.0/projects/NOPE/repos?limit=100&start=0: HTTP 404 Not Found: project NOPE not found or not visible to this token (the server said: Project NOPE does not exist.)"),
        "{text}"
    );

    let info = check_token(&host, &client()).await.unwrap();
    assert_eq!(info.user, "quarry-bot");
    assert!(info.scopes.is_empty());
    assert_eq!(
        server.targets().last().unwrap(),
        "/rest/api/1.0/users?limit=1"
    );

    let var = "QUARRY_TEST_BITBUCKET_SERVER_BAD";
    std::env::set_var(var, "BBDC-bad");
    let host = CodeHost::BitbucketServer(server_config(&server.base, SecretRef::Env(var.into())));
    let error = check_token(&host, &client()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "HTTP 401 Unauthorized: the token in ${var} was rejected: check it and its scopes (needs read access to repositories) (the server said: Authentication failed."
        )),
        "{text}"
    );
    assert_no_secret(&error, &text, "BBDC-bad");
}
