//! No secret in any error: not when the host rejects it, not when the host echoes it back in
//! an error body or in a malformed answer, not in a rate limit, not in a timeout.

use crate::common;

use std::time::Duration;

use base64::Engine;
use common::*;
use quarry_codehost::{
    check_token, discover, BitbucketCloudConfig, BitbucketServerConfig, Client, ClientOptions,
    CodeHost, GitHubConfig, GitLabConfig, GiteaConfig, SecretRef,
};

const SECRET: &str = "s3cr3t-TOKEN-value-0123456789";

fn hosts(base: &str, token: &SecretRef) -> Vec<CodeHost> {
    vec![
        CodeHost::GitHub(GitHubConfig {
            url: Some(base.into()),
            token: Some(token.clone()),
            orgs: vec!["acme".into()],
            ..GitHubConfig::default()
        }),
        CodeHost::GitLab(GitLabConfig {
            url: Some(base.into()),
            token: Some(token.clone()),
            groups: vec!["acme".into()],
            ..GitLabConfig::default()
        }),
        CodeHost::Gitea(GiteaConfig {
            url: base.into(),
            token: Some(token.clone()),
            orgs: vec!["acme".into()],
            ..GiteaConfig::default()
        }),
        CodeHost::BitbucketCloud(BitbucketCloudConfig {
            url: Some(base.into()),
            username: Some("jdoe".into()),
            app_password: Some(token.clone()),
            workspaces: vec!["acme".into()],
            ..BitbucketCloudConfig::default()
        }),
        CodeHost::BitbucketCloud(BitbucketCloudConfig {
            url: Some(base.into()),
            token: Some(token.clone()),
            workspaces: vec!["acme".into()],
            ..BitbucketCloudConfig::default()
        }),
        CodeHost::BitbucketServer(BitbucketServerConfig {
            url: base.into(),
            token: Some(token.clone()),
            projects: vec!["PLAT".into()],
            ..BitbucketServerConfig::default()
        }),
    ]
}

/// Answers every request with `status` and a body that quotes the credentials it was sent.
async fn echoing(status: u16) -> Mock {
    Mock::start(move |seen, _| {
        let auth = seen
            .header("authorization")
            .or(seen.header("private-token"))
            .unwrap_or("")
            .to_string();
        let body = match status {
            200 => format!("{{\"values\": \"{SECRET}\", \"auth\": \"{auth}\"}}"),
            _ => format!(
                "{{\"message\": \"token {SECRET} ({auth}) is not valid\", \"error\": {{\"message\": \"{SECRET}\"}}, \"errors\": [{{\"message\": \"{SECRET}\"}}]}}"
            ),
        };
        let reply = Reply::status(status, body);
        if status == 429 {
            reply.header("retry-after", "86400")
        } else {
            reply
        }
    })
    .await
}

async fn assert_no_secret_in_errors(status: u16, options: ClientOptions) {
    let server = echoing(status).await;
    let file = secret_file(SECRET);
    let token = SecretRef::File(file.path().into());
    let client = Client::with_options(options).unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("jdoe:{SECRET}"));
    for host in hosts(&server.base, &token) {
        let error = discover(&host, &client).await.unwrap_err();
        let text = error.to_string();
        assert_no_secret(&error, &text, SECRET);
        assert_no_secret(&error, &text, &basic);
        assert!(
            text.contains(host.kind_name()) && text.contains("GET /"),
            "{text}"
        );
        if let Err(error) = check_token(&host, &client).await {
            assert_no_secret(&error, &error.to_string(), SECRET);
        }
        assert_no_secret(&host, &format!("{host:?}"), SECRET);
    }
    // The server did get the secret.
    assert!(server.requests().iter().any(|r| {
        r.header("private-token") == Some(SECRET)
            || r.header("authorization")
                .is_some_and(|a| a.contains(SECRET) || a.starts_with("Basic "))
    }));
}

#[tokio::test]
async fn not_in_http_errors_that_echo_it() {
    for status in [400, 401, 403, 404, 422, 500] {
        assert_no_secret_in_errors(status, options()).await;
    }
}

#[tokio::test]
async fn not_in_malformed_answers() {
    assert_no_secret_in_errors(200, options()).await;
}

#[tokio::test]
async fn not_in_rate_limit_errors() {
    assert_no_secret_in_errors(
        429,
        ClientOptions {
            max_rate_limit_wait: Duration::from_secs(1),
            ..options()
        },
    )
    .await;
}

#[tokio::test]
async fn not_in_timeouts_or_connection_errors() {
    let server = Mock::start(|_, _| Reply::json("[]").delay(Duration::from_secs(2))).await;
    let file = secret_file(SECRET);
    let token = SecretRef::File(file.path().into());
    let client = Client::with_options(ClientOptions {
        timeout: Duration::from_millis(100),
        max_retries: 0,
        ..options()
    })
    .unwrap();
    for host in hosts(&server.base, &token) {
        let error = discover(&host, &client).await.unwrap_err();
        assert_no_secret(&error, &error.to_string(), SECRET);
    }
    drop(server);

    // A port nobody listens on (the server above is gone).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for host in hosts(&base, &token) {
        let error = discover(&host, &client).await.unwrap_err();
        let text = error.to_string();
        assert!(text.contains("cannot connect"), "{text}");
        assert_no_secret(&error, &text, SECRET);
    }
}
