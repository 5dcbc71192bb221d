//! quarry's code host connections: list the repositories of organizations, groups, workspaces,
//! projects and users on a code host, so that quarry can clone and index them.
//!
//! # Supported hosts
//!
//! | `kind` | host | lists | API |
//! |---|---|---|---|
//! | `github` | GitHub and GitHub Enterprise Server | `orgs`, `users` | REST v3, `Link` pagination |
//! | `gitlab` | GitLab.com and self-managed GitLab | `groups` (with subgroups), `users` | REST v4, `Link`/`X-Next-Page` pagination |
//! | `gitea` (or `forgejo`) | Gitea and Forgejo | `orgs`, `users` | REST v1, `Link` pagination |
//! | `bitbucket-cloud` | Bitbucket Cloud | `workspaces` | REST 2.0, `next` in the body |
//! | `bitbucket-server` | Bitbucket Server and Data Center | `projects`, `users` | REST 1.0, `nextPageStart` |
//!
//! # Configuration
//!
//! A connection is a [`CodeHost`], tagged by `kind`, usually one entry of an array of tables in
//! quarry's TOML configuration:
//!
//! ```toml
//! [[codehost]]
//! kind = "github"
//! token = { env = "GITHUB_TOKEN" }
//! orgs = ["acme"]
//! users = ["octocat"]
//! exclude = ["acme/*-archive", "*/sandbox-*"]
//!
//! [[codehost]]
//! kind = "github"                              # GitHub Enterprise Server
//! url = "https://github.example.com/api/v3"
//! token = { file = "/run/secrets/ghe-token" }
//! orgs = ["platform"]
//! forks = true
//!
//! [[codehost]]
//! kind = "gitlab"                              # url defaults to GitLab.com
//! url = "https://gitlab.example.com"
//! token = { env = "GITLAB_TOKEN" }             # read_api scope
//! groups = ["acme", "tools/cli"]               # subgroups included
//! include = ["acme/backend/**", "tools/*"]
//!
//! [[codehost]]
//! kind = "forgejo"                             # same as "gitea"
//! url = "https://codeberg.org"
//! orgs = ["forgejo"]
//! archived = true
//!
//! [[codehost]]
//! kind = "bitbucket-cloud"
//! username = "jdoe"
//! app_password = { env = "BITBUCKET_APP_PASSWORD" }   # or: token = { env = "..." } (Bearer)
//! workspaces = ["acme"]
//!
//! [[codehost]]
//! kind = "bitbucket-server"
//! url = "https://bitbucket.example.com"
//! token = { env = "BITBUCKET_TOKEN" }
//! projects = ["PLAT", "WEB"]
//! users = ["jdoe"]
//! ```
//!
//! Options (every kind has the filter options; the account lists depend on the kind):
//!
//! | option | meaning |
//! |---|---|
//! | `kind` | `github`, `gitlab`, `gitea`/`forgejo`, `bitbucket-cloud`, `bitbucket-server` |
//! | `url` | GitHub: API base, default the public API; GitHub Enterprise Server is `https://HOST/api/v3` (`https://HOST` alone means that too). GitLab: instance URL, default GitLab.com. Gitea/Forgejo and Bitbucket Server: instance URL (required). Bitbucket Cloud: API base, default the public API. An API path (`/api/v4`, `/api/v1`, `/rest/api/1.0`, `/2.0`) may be included or left out. |
//! | `token` | where the token is: `{ env = "VARIABLE" }` or `{ file = "/path" }`. Never the token itself: a string is rejected. Read when used; whitespace around it is ignored. Optional: without it only public repositories are seen. |
//! | `username`, `app_password` | Bitbucket Cloud: an app password (or Atlassian API token) with its user (basic authentication). Bitbucket Server: `username` makes `token` go by basic authentication instead of Bearer. |
//! | `orgs`, `users` | GitHub, Gitea: accounts whose repositories are listed. For a GitHub user whose token it is, private repositories too. |
//! | `groups`, `users` | GitLab: groups by full path, with all their subgroups; users' personal projects. |
//! | `workspaces` | Bitbucket Cloud workspaces. |
//! | `projects`, `users` | Bitbucket Server project keys; users' personal repositories (`~USER`). |
//! | `include` | globs on the repository's path on the host (`org/repo`, `group/sub/project`, `PROJECT/slug`): keep only matching ones. Empty: keep all. |
//! | `exclude` | globs on the same path: drop matching ones; wins over `include`. |
//! | `forks` | keep forks (default `false`). |
//! | `archived` | keep archived repositories (default `false`). |
//!
//! Globs match case-insensitively; `*` and `?` also match `/`, so `*-archive` drops
//! `acme/api-archive` and `acme/*` keeps everything under `acme`, subgroups included. `{a,b}`
//! and `[abc]` work as in shells.
//!
//! # Use
//!
//! ```no_run
//! # async fn run() -> Result<(), quarry_codehost::HostError> {
//! use quarry_codehost::{discover, Client, ClientOptions, CodeHost};
//! let host: CodeHost = serde_json::from_str(
//!     r#"{ "kind": "github", "orgs": ["acme"], "token": { "env": "GITHUB_TOKEN" } }"#,
//! ).unwrap();
//! let options = ClientOptions::default().header_injector(|_url: &reqwest::Url, headers: &mut reqwest::header::HeaderMap| {
//!     headers.insert("x-quarry-instance", reqwest::header::HeaderValue::from_static("eu-1"));
//! });
//! let client = Client::with_options(options)?;
//! for repo in discover(&host, &client).await? {
//!     println!("{} {}", repo.name, repo.clone_url);
//! }
//! # Ok(()) }
//! ```
//!
//! [`discover`] lists every account's repositories page by page (following the host's own
//! pagination), drops forks and archived repositories unless asked for, applies the globs and
//! returns the repositories sorted by name, each once. [`check_token`] says whose a token is and
//! which scopes it has, for a `doctor` check against [`CodeHost::recommended_scopes`].
//!
//! # Rate limits, retries, errors
//!
//! When a response says the quota is used up (`X-RateLimit-Remaining: 0` or
//! `RateLimit-Remaining: 0`), the next request to that host waits until the reset time; a 429,
//! or a 403 with `Retry-After` or an exhausted quota, is retried after `Retry-After` or the reset.
//! Waits are bounded by [`ClientOptions::max_rate_limit_wait`]: a longer one fails at once with
//! [`HostError::RateLimited`], which says when to retry. Connection failures, timeouts and 502,
//! 503, 504 are retried a few times with backoff. Every error names the host, the request path,
//! the status and what to do; no error, and no `Debug` output of this crate's types, contains a
//! secret ([`Secret`] prints `***`, and text taken from responses has the secret replaced).
//! Credentials are sent only to the configured API's origin: redirects and next-page links to
//! another host are not followed.

mod bitbucket_cloud;
mod bitbucket_server;
mod client;
mod config;
mod error;
mod gitea;
mod github;
mod gitlab;
mod secret;

use std::collections::HashSet;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Url;
use serde::{Deserialize, Serialize};

pub use client::{Client, ClientOptions, HeaderInjector, DEFAULT_USER_AGENT};
pub use config::{
    BitbucketCloudConfig, BitbucketServerConfig, CodeHost, GitHubConfig, GitLabConfig, GiteaConfig,
    BITBUCKET_CLOUD_API, GITHUB_API, GITLAB_URL,
};
pub use error::HostError;
pub use reqwest;
pub use secret::{Secret, SecretError, SecretRef};

use client::{Auth, Ctx};
use config::{host_port, RepoFilter};

/// A repository found on a code host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredRepo {
    /// Host of the clone URL and the repository's full path on it: `github.com/acme/widgets`,
    /// `gitlab.example.com/acme/platform/api`, `bitbucket.example.com/PLAT/api`.
    pub name: String,
    /// HTTP(S) clone URL, without credentials.
    pub clone_url: String,
    /// SSH clone URL, when the host gives one.
    pub ssh_url: Option<String>,
    /// Default branch, when the host says (Bitbucket Server's listing does not).
    pub default_branch: Option<String>,
    pub fork: bool,
    pub archived: bool,
    /// Not public (GitLab's `internal` counts as private).
    pub private: bool,
    pub description: Option<String>,
}

/// Whose a token is and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The account the token authenticates as (login, username or slug).
    pub user: String,
    /// The token's scopes as the host names them. Empty when the host does not report them
    /// (GitHub fine-grained tokens, Gitea, Bitbucket Server).
    pub scopes: Vec<String>,
}

/// Lists the repositories of every account `host` names, filtered by its options, sorted by
/// name, each once.
pub async fn discover(host: &CodeHost, client: &Client) -> Result<Vec<DiscoveredRepo>, HostError> {
    use tracing::Instrument;
    // A span of its own, so that the host's requests carry a trace context even when the
    // caller has no span.
    let span = tracing::info_span!("codehost_discover", host = %host.host_label());
    discover_in_span(host, client).instrument(span).await
}

async fn discover_in_span(
    host: &CodeHost,
    client: &Client,
) -> Result<Vec<DiscoveredRepo>, HostError> {
    host.validate()?;
    let ctx = context(host, client)?;
    let mut found = Found::new(host.filter()?);
    match host {
        CodeHost::GitHub(c) => github::discover(&ctx, c, &mut found).await?,
        CodeHost::GitLab(c) => gitlab::discover(&ctx, c, &mut found).await?,
        CodeHost::Gitea(c) => gitea::discover(&ctx, c, &mut found).await?,
        CodeHost::BitbucketCloud(c) => bitbucket_cloud::discover(&ctx, c, &mut found).await?,
        CodeHost::BitbucketServer(c) => bitbucket_server::discover(&ctx, c, &mut found).await?,
    }
    let mut repos = found.repos;
    repos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(repos)
}

/// Checks the token of `host`: whose it is and which scopes it has. Fails with
/// [`HostError::Config`] when no token is configured, and with a 401 [`HostError::Status`]
/// when the host rejects it.
pub async fn check_token(host: &CodeHost, client: &Client) -> Result<TokenInfo, HostError> {
    if host.token().is_none() {
        return Err(host.config_error(
            "no token is configured: add token = { env = \"VARIABLE\" } or { file = \"/path\" }",
        ));
    }
    host.api_base()?;
    let ctx = context(host, client)?;
    match host {
        CodeHost::GitHub(_) => github::check_token(&ctx).await,
        CodeHost::GitLab(_) => gitlab::check_token(&ctx).await,
        CodeHost::Gitea(_) => gitea::check_token(&ctx).await,
        CodeHost::BitbucketCloud(_) => bitbucket_cloud::check_token(&ctx).await,
        CodeHost::BitbucketServer(_) => bitbucket_server::check_token(&ctx).await,
    }
}

/// The request context of a connection: API base, resolved credentials, headers.
fn context<'a>(host: &CodeHost, client: &'a Client) -> Result<Ctx<'a>, HostError> {
    let base = host.api_base()?;
    let kind = host.kind_name();
    let label = host_port(&base);
    let resolve = |r: &SecretRef| {
        r.resolve().map_err(|source| HostError::Secret {
            kind,
            host: label.clone(),
            source,
        })
    };
    let token_credential = |r: &SecretRef| format!("the token in {r}");
    let mut accept = "application/json";
    let mut extra = Vec::new();
    let (auth, secret, credential) = match host {
        CodeHost::GitHub(c) => {
            accept = "application/vnd.github+json";
            extra.push((
                HeaderName::from_static("x-github-api-version"),
                HeaderValue::from_static("2022-11-28"),
            ));
            match &c.token {
                Some(r) => {
                    let s = resolve(r)?;
                    (Some(Auth::bearer(&s)), Some(s), Some(token_credential(r)))
                }
                None => (None, None, None),
            }
        }
        CodeHost::GitLab(c) => match &c.token {
            Some(r) => {
                let s = resolve(r)?;
                let auth = Auth::header(
                    HeaderName::from_static("private-token"),
                    s.expose().to_string(),
                );
                (Some(auth), Some(s), Some(token_credential(r)))
            }
            None => (None, None, None),
        },
        CodeHost::Gitea(c) => match &c.token {
            Some(r) => {
                let s = resolve(r)?;
                let auth = Auth::header(
                    reqwest::header::AUTHORIZATION,
                    format!("token {}", s.expose()),
                );
                (Some(auth), Some(s), Some(token_credential(r)))
            }
            None => (None, None, None),
        },
        CodeHost::BitbucketCloud(c) => match (&c.username, &c.app_password, &c.token) {
            (Some(user), Some(r), _) => {
                let s = resolve(r)?;
                let credential = format!("the app password in {r} (user {user})");
                (Some(Auth::basic(user, &s)), Some(s), Some(credential))
            }
            (_, _, Some(r)) => {
                let s = resolve(r)?;
                (Some(Auth::bearer(&s)), Some(s), Some(token_credential(r)))
            }
            _ => (None, None, None),
        },
        CodeHost::BitbucketServer(c) => match (&c.username, &c.token) {
            (Some(user), Some(r)) => {
                let s = resolve(r)?;
                let credential = format!("the token in {r} (user {user})");
                (Some(Auth::basic(user, &s)), Some(s), Some(credential))
            }
            (None, Some(r)) => {
                let s = resolve(r)?;
                (Some(Auth::bearer(&s)), Some(s), Some(token_credential(r)))
            }
            _ => (None, None, None),
        },
    };
    let auth = match auth {
        None => Auth::None,
        Some(Ok(auth)) => auth,
        Some(Err(message)) => {
            let what = credential.as_deref().unwrap_or("the secret");
            return Err(host.config_error(format!("{what}: {message}")));
        }
    };
    Ok(Ctx {
        client,
        kind,
        host: label,
        base,
        auth,
        credential,
        secret,
        accept,
        extra,
    })
}

/// Repositories found so far: filtered, each once.
pub(crate) struct Found {
    filter: RepoFilter,
    seen: HashSet<String>,
    repos: Vec<DiscoveredRepo>,
}

impl Found {
    fn new(filter: RepoFilter) -> Found {
        Found {
            filter,
            seen: HashSet::new(),
            repos: Vec::new(),
        }
    }

    pub fn wants_archived(&self) -> bool {
        self.filter.wants_archived()
    }

    /// Adds `repo` (whose path on the host is `path`) unless the filter drops it or it was
    /// already found.
    pub fn add(&mut self, path: &str, repo: DiscoveredRepo) {
        if self.filter.keep(path, repo.fork, repo.archived)
            && self.seen.insert(repo.name.to_lowercase())
        {
            self.repos.push(repo);
        }
    }
}

/// `HOST/PATH`, the host taken from the clone URL (else from `fallback`).
pub(crate) fn repo_name(clone_url: &str, fallback: &Url, path: &str) -> String {
    let host = Url::parse(clone_url)
        .ok()
        .filter(|u| u.host_str().is_some())
        .map(|u| host_port(&u))
        .unwrap_or_else(|| host_port(fallback));
    format!("{host}/{}", path.trim_matches('/'))
}

/// The URL without user name and password (Bitbucket puts the user name in clone URLs).
pub(crate) fn without_credentials(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.username() != "" || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// `None` for an empty or absent text.
pub(crate) fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}
