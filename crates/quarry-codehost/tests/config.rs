//! Configuration: TOML shapes, defaults, validation, secret references.

use quarry_codehost::{
    discover, BitbucketCloudConfig, Client, ClientOptions, CodeHost, GitHubConfig, GitLabConfig,
    HostError, Secret, SecretError, SecretRef,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    codehost: Vec<CodeHost>,
}

/// The example of the crate documentation.
const EXAMPLE: &str = r#"
[[codehost]]
kind = "github"
token = { env = "GITHUB_TOKEN" }
orgs = ["acme"]
users = ["octocat"]
exclude = ["acme/*-archive", "*/sandbox-*"]

[[codehost]]
kind = "github"                              # GitHub Enterprise Server
url = "https://github.example.com/api/v3"
token = { file = "/run/secrets/ghe-token" }
orgs = ["platform"]
forks = true

[[codehost]]
kind = "gitlab"                              # url defaults to GitLab.com
url = "https://gitlab.example.com"
token = { env = "GITLAB_TOKEN" }             # read_api scope
groups = ["acme", "tools/cli"]               # subgroups included
include = ["acme/backend/**", "tools/*"]

[[codehost]]
kind = "forgejo"                             # same as "gitea"
url = "https://codeberg.org"
orgs = ["forgejo"]
archived = true

[[codehost]]
kind = "bitbucket-cloud"
username = "jdoe"
app_password = { env = "BITBUCKET_APP_PASSWORD" }   # or: token = { env = "..." } (Bearer)
workspaces = ["acme"]

[[codehost]]
kind = "bitbucket-server"
url = "https://bitbucket.example.com"
token = { env = "BITBUCKET_TOKEN" }
projects = ["PLAT", "WEB"]
users = ["jdoe"]
"#;

#[test]
fn the_documented_example_parses_validates_and_round_trips() {
    let config: Config = toml::from_str(EXAMPLE).unwrap();
    assert_eq!(config.codehost.len(), 6);
    for host in &config.codehost {
        host.validate().unwrap();
    }
    let CodeHost::GitHub(github) = &config.codehost[0] else {
        panic!("{:?}", config.codehost[0])
    };
    assert_eq!(github.url, None);
    assert_eq!(github.token, Some(SecretRef::Env("GITHUB_TOKEN".into())));
    assert!(!github.forks && !github.archived);
    assert_eq!(
        config.codehost[1].token(),
        Some(&SecretRef::File("/run/secrets/ghe-token".into()))
    );

    let bases: Vec<String> = config
        .codehost
        .iter()
        .map(|h| h.api_base().unwrap().to_string())
        .collect();
    assert_eq!(
        bases,
        [
            "https://api.github.com/",
            "https://github.example.com/api/v3",
            "https://gitlab.example.com/api/v4",
            "https://codeberg.org/api/v1",
            "https://api.bitbucket.org/2.0",
            "https://bitbucket.example.com/rest/api/1.0",
        ]
    );
    let kinds: Vec<&str> = config.codehost.iter().map(CodeHost::kind_name).collect();
    assert_eq!(
        kinds,
        [
            "GitHub",
            "GitHub",
            "GitLab",
            "Gitea",
            "Bitbucket Cloud",
            "Bitbucket Server"
        ]
    );

    // Serialize and read back: the same, and defaults are left out.
    for host in &config.codehost {
        let text = toml::to_string(host).unwrap();
        assert!(!text.contains("forks = false"), "{text}");
        let back: CodeHost = toml::from_str(&text).unwrap();
        assert_eq!(&back, host);
    }
    let json = serde_json::to_value(&config.codehost[0]).unwrap();
    assert_eq!(json["kind"], "github");
    assert_eq!(json["token"]["env"], "GITHUB_TOKEN");
}

#[test]
fn api_base_with_or_without_the_api_path() {
    let gitlab = |url: &str| {
        CodeHost::GitLab(GitLabConfig {
            url: Some(url.into()),
            groups: vec!["g".into()],
            ..GitLabConfig::default()
        })
        .api_base()
        .unwrap()
        .to_string()
    };
    assert_eq!(
        gitlab("https://gl.example.com"),
        "https://gl.example.com/api/v4"
    );
    assert_eq!(
        gitlab("https://gl.example.com/"),
        "https://gl.example.com/api/v4"
    );
    assert_eq!(
        gitlab("https://gl.example.com/api/v4/"),
        "https://gl.example.com/api/v4"
    );
    assert_eq!(
        gitlab("https://example.com/gitlab"),
        "https://example.com/gitlab/api/v4"
    );
    let default = CodeHost::GitLab(GitLabConfig::default())
        .api_base()
        .unwrap();
    assert_eq!(default.as_str(), "https://gitlab.com/api/v4");

    let github = |url: &str| {
        CodeHost::GitHub(GitHubConfig {
            url: Some(url.into()),
            ..GitHubConfig::default()
        })
        .api_base()
        .unwrap()
        .to_string()
    };
    assert_eq!(github("https://github.com"), "https://api.github.com/");
    assert_eq!(github("https://api.github.com/"), "https://api.github.com/");
    assert_eq!(
        github("https://ghe.example.com"),
        "https://ghe.example.com/api/v3"
    );
    assert_eq!(
        github("https://ghe.example.com/api/v3/"),
        "https://ghe.example.com/api/v3"
    );
    assert_eq!(
        github("https://api.acme.ghe.com"),
        "https://api.acme.ghe.com/"
    );
    assert_eq!(
        CodeHost::GitHub(GitHubConfig::default())
            .api_base()
            .unwrap()
            .as_str(),
        "https://api.github.com/"
    );
}

#[test]
fn unknown_fields_and_kinds_are_rejected() {
    let error = toml::from_str::<CodeHost>("kind = \"github\"\norgz = [\"acme\"]\n").unwrap_err();
    assert!(error.to_string().contains("orgz"), "{error}");
    let error = toml::from_str::<CodeHost>("kind = \"sourcehut\"\n").unwrap_err();
    assert!(error.to_string().contains("sourcehut"), "{error}");
    // A field of another kind.
    let error = toml::from_str::<CodeHost>("kind = \"github\"\ngroups = [\"acme\"]\n").unwrap_err();
    assert!(error.to_string().contains("groups"), "{error}");
}

#[test]
fn an_inline_token_is_rejected_without_repeating_it() {
    let secret = "ghp_INLINEsecretVALUE0123456789abcdef";
    for toml_text in [
        format!("kind = \"github\"\norgs = [\"a\"]\ntoken = \"{secret}\"\n"),
        format!("kind = \"github\"\norgs = [\"a\"]\ntoken = {{ value = \"{secret}\" }}\n"),
        format!("kind = \"github\"\norgs = [\"a\"]\ntoken = {{ {secret} = \"x\" }}\n"),
    ] {
        let error = toml::from_str::<CodeHost>(&toml_text).unwrap_err();
        let message = error.message().to_string();
        assert!(!message.contains(secret), "{message}");
        assert!(
            message.contains("{ env = \"VARIABLE\" }") || message.contains("unknown key"),
            "{message}"
        );
    }
    let json = format!(r#"{{"kind":"github","orgs":["a"],"token":"{secret}"}}"#);
    let error = serde_json::from_str::<CodeHost>(&json).unwrap_err();
    assert!(!error.to_string().contains(secret), "{error}");
    assert!(error
        .to_string()
        .contains("must not be written in the configuration"));

    let error = toml::from_str::<SecretRef>("env = \"A\"\nfile = \"/b\"\n").unwrap_err();
    assert!(error.to_string().contains("exactly one"), "{error}");
    let error = toml::from_str::<SecretRef>("env = \"\"\n").unwrap_err();
    assert!(error.to_string().contains("must name"), "{error}");
}

#[test]
fn secrets_from_environment_and_file() {
    std::env::set_var("QUARRY_TEST_SECRET_OK", "  tok-123\n");
    let secret = SecretRef::Env("QUARRY_TEST_SECRET_OK".into())
        .resolve()
        .unwrap();
    assert_eq!(secret.expose(), "tok-123");
    assert_eq!(format!("{secret}"), "***");
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    assert_eq!(Secret::new("x").to_string(), "***");

    let error = SecretRef::Env("QUARRY_TEST_SECRET_UNSET".into())
        .resolve()
        .unwrap_err();
    assert!(matches!(error, SecretError::EnvNotSet { .. }));
    assert!(error
        .to_string()
        .starts_with("environment variable QUARRY_TEST_SECRET_UNSET is not set"));

    std::env::set_var("QUARRY_TEST_SECRET_EMPTY", " \n");
    let error = SecretRef::Env("QUARRY_TEST_SECRET_EMPTY".into())
        .resolve()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the secret in $QUARRY_TEST_SECRET_EMPTY is empty"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "file-secret-456\n").unwrap();
    let secret = SecretRef::File(path.clone()).resolve().unwrap();
    assert_eq!(secret.expose(), "file-secret-456");

    std::fs::write(&path, "line-one-secret\nline-two-secret\n").unwrap();
    let error = SecretRef::File(path.clone()).resolve().unwrap_err();
    let text = error.to_string();
    assert!(text.contains("more than one line"), "{text}");
    assert!(!text.contains("line-one-secret") && !format!("{error:?}").contains("line-one"));

    let missing = dir.path().join("missing");
    let error = SecretRef::File(missing.clone()).resolve().unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot read the secret file {}",
            missing.display()
        )),
        "{text}"
    );

    assert_eq!(SecretRef::Env("GH".into()).to_string(), "$GH");
    assert_eq!(SecretRef::File("/s/t".into()).to_string(), "file /s/t");
    assert_eq!(
        format!("{:?}", SecretRef::Env("GH".into())),
        "SecretRef { env: \"GH\" }"
    );
}

#[tokio::test]
async fn an_unresolvable_token_fails_before_any_request() {
    let host = CodeHost::GitHub(GitHubConfig {
        // Nothing listens here; the error comes before connecting.
        url: Some("http://127.0.0.1:9/api/v3".into()),
        token: Some(SecretRef::Env("QUARRY_TEST_NEVER_SET".into())),
        orgs: vec!["acme".into()],
        ..GitHubConfig::default()
    });
    let client = Client::with_options(ClientOptions {
        proxy_from_env: false,
        ..ClientOptions::default()
    })
    .unwrap();
    let error = discover(&host, &client).await.unwrap_err();
    assert!(matches!(error, HostError::Secret { .. }));
    assert!(
        error.to_string().starts_with(
            "GitHub 127.0.0.1:9: environment variable QUARRY_TEST_NEVER_SET is not set"
        ),
        "{error}"
    );
}

#[test]
fn validation() {
    let invalid = |host: CodeHost, expected: &str| {
        let error = host.validate().unwrap_err();
        assert!(matches!(error, HostError::Config { .. }));
        let text = error.to_string();
        assert!(text.contains(expected), "{text} lacks {expected}");
    };
    invalid(
        CodeHost::GitHub(GitHubConfig::default()),
        "GitHub api.github.com: invalid configuration: nothing to discover: list at least one in `orgs` or `users`",
    );
    invalid(
        CodeHost::GitHub(GitHubConfig {
            orgs: vec!["acme".into()],
            include: vec!["acme/[".into()],
            ..GitHubConfig::default()
        }),
        "`include` glob \"acme/[\"",
    );
    invalid(
        CodeHost::GitHub(GitHubConfig {
            url: Some("github.example.com".into()),
            orgs: vec!["acme".into()],
            ..GitHubConfig::default()
        }),
        "is not a valid URL",
    );
    invalid(
        CodeHost::GitHub(GitHubConfig {
            url: Some("ftp://github.example.com".into()),
            orgs: vec!["acme".into()],
            ..GitHubConfig::default()
        }),
        "must be an http:// or https:// URL",
    );
    invalid(
        CodeHost::GitLab(GitLabConfig {
            url: Some("https://user:pass@gitlab.example.com".into()),
            groups: vec!["acme".into()],
            ..GitLabConfig::default()
        }),
        "must not contain credentials",
    );
    invalid(
        CodeHost::BitbucketCloud(BitbucketCloudConfig {
            app_password: Some(SecretRef::Env("P".into())),
            workspaces: vec!["acme".into()],
            ..BitbucketCloudConfig::default()
        }),
        "`app_password` needs `username`",
    );
    invalid(
        CodeHost::BitbucketCloud(BitbucketCloudConfig {
            username: Some("jdoe".into()),
            app_password: Some(SecretRef::Env("P".into())),
            token: Some(SecretRef::Env("T".into())),
            workspaces: vec!["acme".into()],
            ..BitbucketCloudConfig::default()
        }),
        "not both",
    );
    invalid(
        CodeHost::GitHub(GitHubConfig {
            orgs: vec![" ".into()],
            ..GitHubConfig::default()
        }),
        "empty account name",
    );
}

#[test]
fn json_schema() {
    let schema = schemars::schema_for!(CodeHost);
    let text = serde_json::to_string(&schema).unwrap();
    for needle in [
        "\"github\"",
        "\"gitlab\"",
        "\"gitea\"",
        "\"bitbucket-cloud\"",
        "\"bitbucket-server\"",
        "\"env\"",
        "\"file\"",
    ] {
        assert!(text.contains(needle), "schema lacks {needle}");
    }
    // Every config struct rejects unknown fields in the schema too.
    assert!(text.contains("\"additionalProperties\":false"));
}
