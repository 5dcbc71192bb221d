//! Configuration of code host connections (see the crate documentation for examples).

use globset::{GlobSet, GlobSetBuilder};
use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::HostError;
use crate::secret::SecretRef;

/// The public GitHub API.
pub const GITHUB_API: &str = "https://api.github.com";
/// GitLab's hosted instance.
pub const GITLAB_URL: &str = "https://gitlab.com";
/// The Bitbucket Cloud API.
pub const BITBUCKET_CLOUD_API: &str = "https://api.bitbucket.org";

/// One code host connection: which host, how to authenticate, which accounts to list and which
/// of their repositories to keep. Tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind")]
pub enum CodeHost {
    /// GitHub or GitHub Enterprise Server.
    #[serde(rename = "github")]
    GitHub(GitHubConfig),
    /// GitLab (hosted or self-managed).
    #[serde(rename = "gitlab")]
    GitLab(GitLabConfig),
    /// Gitea or Forgejo (same API).
    #[serde(rename = "gitea", alias = "forgejo")]
    Gitea(GiteaConfig),
    /// Bitbucket Cloud.
    #[serde(rename = "bitbucket-cloud")]
    BitbucketCloud(BitbucketCloudConfig),
    /// Bitbucket Server / Data Center.
    #[serde(rename = "bitbucket-server")]
    BitbucketServer(BitbucketServerConfig),
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `kind = "github"`: GitHub, or GitHub Enterprise Server with `url = "https://HOST/api/v3"`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHubConfig {
    /// API base URL; default the public GitHub API. GitHub Enterprise Server: `https://HOST/api/v3`
    /// (`https://HOST` alone gets `/api/v3` appended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Token (classic with `repo` and `read:org` for private repositories, or fine-grained with
    /// read access to metadata and contents). Without it only public repositories are listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    /// Organizations whose repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<String>,
    /// Users whose own repositories are listed (private ones too when the token is that user's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Keep only repositories whose `owner/name` matches one of these globs (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Drop repositories whose `owner/name` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keep forks (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forks: bool,
    /// Keep archived repositories (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

/// `kind = "gitlab"`: GitLab.com or a self-managed instance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitLabConfig {
    /// Instance URL; default GitLab.com. The API is under `/api/v4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Token (personal, group or project access token) with the `read_api` scope, sent as
    /// `PRIVATE-TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    /// Groups by full path (`acme`, `acme/platform`), their subgroups included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Users whose personal projects are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Keep only projects whose full path (`group/subgroup/project`) matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Drop projects whose full path matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keep forks (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forks: bool,
    /// Keep archived projects (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

/// `kind = "gitea"` (or `"forgejo"`): a Gitea or Forgejo instance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GiteaConfig {
    /// Instance URL (required), e.g. `https://codeberg.org`. The API is under `/api/v1`.
    pub url: String,
    /// Token with `read:repository` (and `read:organization`, `read:user`) scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    /// Organizations whose repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<String>,
    /// Users whose repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Keep only repositories whose `owner/name` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Drop repositories whose `owner/name` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keep forks (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forks: bool,
    /// Keep archived repositories (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

/// `kind = "bitbucket-cloud"`: Bitbucket Cloud.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BitbucketCloudConfig {
    /// API base URL; default the public Bitbucket Cloud API. The API is under `/2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// User name for `app_password` (HTTP basic authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// App password (or API token) of `username`, with the `repository` read permission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_password: Option<SecretRef>,
    /// Access token (workspace, project or repository access token, or OAuth), sent as Bearer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    /// Workspaces whose repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<String>,
    /// Keep only repositories whose `workspace/slug` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Drop repositories whose `workspace/slug` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keep forks (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forks: bool,
    /// Keep archived repositories (default false; Bitbucket Cloud has none).
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

/// `kind = "bitbucket-server"`: Bitbucket Server or Data Center.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BitbucketServerConfig {
    /// Instance URL (required), e.g. `https://bitbucket.example.com`. The API is under
    /// `/rest/api/1.0`.
    pub url: String,
    /// User name: when set, `token` is sent with it by HTTP basic authentication (a password
    /// or personal access token); when not, `token` is sent as Bearer (an HTTP access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Personal or HTTP access token with project/repository read permission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
    /// Project keys whose repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// Users (slugs) whose personal repositories are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Keep only repositories whose `PROJECT/slug` matches one of these globs (personal
    /// repositories are `~USER/slug`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Drop repositories whose `PROJECT/slug` matches one of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keep forks (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forks: bool,
    /// Keep archived repositories (default false; Bitbucket 8.0 and later can archive).
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
}

/// The settings every kind shares, borrowed.
pub(crate) struct Common<'a> {
    pub include: &'a [String],
    pub exclude: &'a [String],
    pub forks: bool,
    pub archived: bool,
}

impl CodeHost {
    /// The kind's name as people know it: `GitHub`, `GitLab`, `Gitea`, `Bitbucket Cloud`,
    /// `Bitbucket Server`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            CodeHost::GitHub(_) => "GitHub",
            CodeHost::GitLab(_) => "GitLab",
            CodeHost::Gitea(_) => "Gitea",
            CodeHost::BitbucketCloud(_) => "Bitbucket Cloud",
            CodeHost::BitbucketServer(_) => "Bitbucket Server",
        }
    }

    /// The API base URL requests go to (defaults applied, API path appended).
    pub fn api_base(&self) -> Result<Url, HostError> {
        let raw = self.raw_url();
        let suffix: &[&str] = match self {
            CodeHost::GitHub(_) => &[],
            CodeHost::GitLab(_) => &["api", "v4"],
            CodeHost::Gitea(_) => &["api", "v1"],
            CodeHost::BitbucketCloud(_) => &["2.0"],
            CodeHost::BitbucketServer(_) => &["rest", "api", "1.0"],
        };
        let mut url = Url::parse(raw.trim())
            .map_err(|e| self.config_error(format!("`url` {raw:?} is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(self.config_error(format!(
                "`url` {raw:?} must be an http:// or https:// URL with a host"
            )));
        }
        if url.username() != "" || url.password().is_some() {
            return Err(self.config_error(
                "`url` must not contain credentials: use `token` (or `username` and `app_password`)",
            ));
        }
        url.set_query(None);
        url.set_fragment(None);
        // Accept the instance URL with or without the API path.
        let path = url.path().trim_end_matches('/').to_string();
        if let CodeHost::GitHub(_) = self {
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            if path.is_empty() && host == "github.com" {
                // The web address of GitHub itself: its API is elsewhere.
                return Ok(Url::parse(GITHUB_API).expect("valid constant"));
            }
            if path.is_empty() && !host.starts_with("api.") {
                // A GitHub Enterprise Server's web address: the API is under /api/v3.
                url.set_path("/api/v3");
                return Ok(url);
            }
        }
        let api_path = format!("/{}", suffix.join("/"));
        if !suffix.is_empty() && !path.ends_with(&api_path) {
            url.path_segments_mut()
                .map_err(|_| self.config_error("`url` cannot be a base URL"))?
                .pop_if_empty()
                .extend(suffix);
        } else {
            url.set_path(&path);
        }
        Ok(url)
    }

    /// The host (and port, if not the default) of the API, used in messages.
    pub fn host_label(&self) -> String {
        let raw = self.raw_url();
        match Url::parse(raw.trim()) {
            Ok(url) if url.host_str().is_some() => host_port(&url),
            _ => raw.to_string(),
        }
    }

    /// `url` as configured, or the kind's default.
    fn raw_url(&self) -> &str {
        match self {
            CodeHost::GitHub(c) => c.url.as_deref().unwrap_or(GITHUB_API),
            CodeHost::GitLab(c) => c.url.as_deref().unwrap_or(GITLAB_URL),
            CodeHost::Gitea(c) => &c.url,
            CodeHost::BitbucketCloud(c) => c.url.as_deref().unwrap_or(BITBUCKET_CLOUD_API),
            CodeHost::BitbucketServer(c) => &c.url,
        }
    }

    /// The token reference (for Bitbucket Cloud, the app password when set, else the token).
    pub fn token(&self) -> Option<&SecretRef> {
        match self {
            CodeHost::GitHub(c) => c.token.as_ref(),
            CodeHost::GitLab(c) => c.token.as_ref(),
            CodeHost::Gitea(c) => c.token.as_ref(),
            CodeHost::BitbucketCloud(c) => c.app_password.as_ref().or(c.token.as_ref()),
            CodeHost::BitbucketServer(c) => c.token.as_ref(),
        }
    }

    /// Token scopes discovery needs to see private repositories, as the host names them (for
    /// a `doctor` check against [`crate::TokenInfo::scopes`]). Empty where the host does not
    /// report scopes.
    pub fn recommended_scopes(&self) -> &'static [&'static str] {
        match self {
            CodeHost::GitHub(_) => &["repo", "read:org"],
            CodeHost::GitLab(_) => &["read_api"],
            CodeHost::Gitea(_) => &["read:repository", "read:organization", "read:user"],
            CodeHost::BitbucketCloud(_) => &["repository"],
            CodeHost::BitbucketServer(_) => &[],
        }
    }

    pub(crate) fn common(&self) -> Common<'_> {
        match self {
            CodeHost::GitHub(c) => Common {
                include: &c.include,
                exclude: &c.exclude,
                forks: c.forks,
                archived: c.archived,
            },
            CodeHost::GitLab(c) => Common {
                include: &c.include,
                exclude: &c.exclude,
                forks: c.forks,
                archived: c.archived,
            },
            CodeHost::Gitea(c) => Common {
                include: &c.include,
                exclude: &c.exclude,
                forks: c.forks,
                archived: c.archived,
            },
            CodeHost::BitbucketCloud(c) => Common {
                include: &c.include,
                exclude: &c.exclude,
                forks: c.forks,
                archived: c.archived,
            },
            CodeHost::BitbucketServer(c) => Common {
                include: &c.include,
                exclude: &c.exclude,
                forks: c.forks,
                archived: c.archived,
            },
        }
    }

    /// Checks the configuration without contacting the host: the URL, the globs, that there
    /// is something to list, that credentials fit together. Secrets are not read.
    pub fn validate(&self) -> Result<(), HostError> {
        self.api_base()?;
        self.filter()?;
        let (targets, what): (usize, &str) = match self {
            CodeHost::GitHub(c) => (c.orgs.len() + c.users.len(), "`orgs` or `users`"),
            CodeHost::GitLab(c) => (c.groups.len() + c.users.len(), "`groups` or `users`"),
            CodeHost::Gitea(c) => (c.orgs.len() + c.users.len(), "`orgs` or `users`"),
            CodeHost::BitbucketCloud(c) => (c.workspaces.len(), "`workspaces`"),
            CodeHost::BitbucketServer(c) => {
                (c.projects.len() + c.users.len(), "`projects` or `users`")
            }
        };
        if targets == 0 {
            return Err(
                self.config_error(format!("nothing to discover: list at least one in {what}"))
            );
        }
        let names: Vec<&String> = match self {
            CodeHost::GitHub(c) => c.orgs.iter().chain(&c.users).collect(),
            CodeHost::GitLab(c) => c.groups.iter().chain(&c.users).collect(),
            CodeHost::Gitea(c) => c.orgs.iter().chain(&c.users).collect(),
            CodeHost::BitbucketCloud(c) => c.workspaces.iter().collect(),
            CodeHost::BitbucketServer(c) => c.projects.iter().chain(&c.users).collect(),
        };
        if let Some(bad) = names.iter().find(|n| n.trim().is_empty()) {
            return Err(self.config_error(format!("empty account name {bad:?}")));
        }
        if let CodeHost::BitbucketCloud(c) = self {
            match (&c.username, &c.app_password, &c.token) {
                (_, Some(_), Some(_)) => {
                    return Err(self.config_error(
                        "set either `username` with `app_password`, or `token`, not both",
                    ))
                }
                (None, Some(_), None) => {
                    return Err(self.config_error("`app_password` needs `username`"))
                }
                (Some(_), None, _) => {
                    return Err(self.config_error(
                        "`username` is used only with `app_password`: add it, or remove `username`",
                    ))
                }
                _ => {}
            }
        }
        if let CodeHost::BitbucketServer(c) = self {
            if c.username.is_some() && c.token.is_none() {
                return Err(self.config_error("`username` needs `token`"));
            }
        }
        Ok(())
    }

    pub(crate) fn filter(&self) -> Result<RepoFilter, HostError> {
        let common = self.common();
        Ok(RepoFilter {
            include: self.globs("include", common.include)?,
            exclude: self.globs("exclude", common.exclude)?,
            forks: common.forks,
            archived: common.archived,
        })
    }

    fn globs(&self, field: &str, patterns: &[String]) -> Result<Option<GlobSet>, HostError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = globset::GlobBuilder::new(pattern.trim_matches('/'))
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| self.config_error(format!("`{field}` glob {pattern:?}: {e}")))?;
            builder.add(glob);
        }
        builder
            .build()
            .map(Some)
            .map_err(|e| self.config_error(format!("`{field}` globs: {e}")))
    }

    pub(crate) fn config_error(&self, message: impl Into<String>) -> HostError {
        HostError::Config {
            kind: self.kind_name(),
            host: self.host_label(),
            message: message.into(),
        }
    }
}

/// Include/exclude globs and the fork/archived switches.
pub(crate) struct RepoFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    forks: bool,
    archived: bool,
}

impl RepoFilter {
    pub fn keep(&self, path: &str, fork: bool, archived: bool) -> bool {
        if fork && !self.forks {
            return false;
        }
        if archived && !self.archived {
            return false;
        }
        if let Some(include) = &self.include {
            if !include.is_match(path) {
                return false;
            }
        }
        if let Some(exclude) = &self.exclude {
            if exclude.is_match(path) {
                return false;
            }
        }
        true
    }

    pub fn wants_archived(&self) -> bool {
        self.archived
    }
}

pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}
