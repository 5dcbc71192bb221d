//! Validation beyond types, on the deserialized [`Config`]: relations between keys, globs,
//! repository names, code host settings.

use std::collections::HashMap;
use std::time::Duration;

use crate::check::check_http_url;
use crate::tree::KeyPath;
use crate::types::{Config, Visibility};
use crate::units::format_duration;
use quarry_codehost::{CodeHost, HostError};

/// A problem at a key path of the (pruned) configuration.
#[derive(Debug)]
pub(crate) struct Issue {
    pub path: KeyPath,
    pub message: String,
    pub fix: String,
    /// Keys whose values the check relied on: when one of them was rejected (and so replaced by
    /// its default or left out), the issue is not reported.
    pub depends: Vec<KeyPath>,
}

#[derive(Default)]
struct Issues(Vec<Issue>);

impl Issues {
    fn add(&mut self, path: KeyPath, message: impl Into<String>, fix: impl Into<String>) {
        self.0.push(Issue {
            depends: vec![path.clone()],
            path,
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn add_depending(
        &mut self,
        path: KeyPath,
        depends: Vec<KeyPath>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Issue {
            path,
            message: message.into(),
            fix: fix.into(),
            depends,
        });
    }
}

fn key(path: &str) -> KeyPath {
    let mut p = KeyPath::default();
    for k in path.split('.') {
        p = p.child(k);
    }
    p
}

pub(crate) fn validate(config: &Config) -> Vec<Issue> {
    let mut issues = Issues::default();
    let positive = |issues: &mut Issues, path: &str, d: Duration| {
        if d.is_zero() {
            issues.add(
                key(path),
                "the duration must not be zero",
                "write a positive duration, e.g. \"10s\"",
            );
        }
    };
    positive(
        &mut issues,
        "search.default_timeout",
        config.search.default_timeout,
    );
    positive(&mut issues, "search.max_timeout", config.search.max_timeout);
    positive(&mut issues, "sync.interval", config.sync.interval);
    positive(&mut issues, "auth.session_ttl", config.auth.session_ttl);
    if config.search.default_timeout > config.search.max_timeout {
        issues.add_depending(
            key("search.default_timeout"),
            vec![key("search.default_timeout"), key("search.max_timeout")],
            format!(
                "the default timeout ({}) is longer than `max_timeout` ({})",
                format_duration(config.search.default_timeout),
                format_duration(config.search.max_timeout)
            ),
            "lower `default_timeout` or raise `max_timeout`",
        );
    }
    if config.index.max_file_size == 0 {
        issues.add(
            key("index.max_file_size"),
            "the size must not be zero",
            "write a size, e.g. \"1MiB\"",
        );
    }
    if config.index.shard_size == 0 {
        issues.add(
            key("index.shard_size"),
            "the size must not be zero",
            "write a size, e.g. \"100MiB\"",
        );
    }
    if config.telemetry.service_name.trim().is_empty() {
        issues.add(
            key("telemetry.service_name"),
            "empty service name",
            "write a name, e.g. \"quarry\"",
        );
    }
    if config
        .data_dir
        .as_ref()
        .is_some_and(|d| d.as_os_str().is_empty())
    {
        issues.add(
            key("data_dir"),
            "empty directory name",
            "write a directory, or leave `data_dir` out for the default",
        );
    }

    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, repo) in config.repos.iter().enumerate() {
        let here = KeyPath::default().child("repos").index(i);
        match (&repo.url, &repo.path) {
            (Some(_), Some(_)) => issues.add_depending(
                here.clone(),
                vec![here.child("url"), here.child("path")],
                "both `url` and `path` are set",
                "keep `url` for a git remote, or `path` for a local directory",
            ),
            (None, None) => issues.add_depending(
                here.clone(),
                vec![here.child("url"), here.child("path")],
                "neither `url` nor `path` is set",
                "add `url = \"https://git.example.com/team/app.git\"` (a git remote) or `path = \"/srv/src/app\"` (a local directory)",
            ),
            _ => {}
        }
        if let Some(url) = &repo.url {
            if url.trim().is_empty() {
                issues.add(
                    here.child("url"),
                    "empty URL",
                    "write the git remote to clone",
                );
            } else if url_has_credentials(url) {
                issues.add(
                    here.child("url"),
                    "the URL contains credentials, which must not be written in the configuration (the URL is not shown)",
                    "remove it from the URL and give git the credentials another way (an SSH key, a credential helper)",
                );
            }
        }
        if repo.path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            issues.add(
                here.child("path"),
                "empty path",
                "write the directory to index",
            );
        }
        let name = repo.effective_name();
        if let Some(explicit) = &repo.name {
            if explicit.trim().is_empty() || explicit.trim() != explicit {
                issues.add(
                    here.child("name"),
                    "the name is empty or starts or ends with spaces",
                    "write a name such as \"team/app\", or leave `name` out to derive it",
                );
                continue;
            }
        } else if name.is_empty() && (repo.url.is_some() || repo.path.is_some()) {
            issues.add_depending(
                here.clone(),
                vec![here.child("url"), here.child("path")],
                "no name can be derived from `url` or `path`",
                "add `name = \"...\"`",
            );
        }
        if !name.is_empty() {
            match names.get(&name) {
                Some(first) => {
                    let at = if repo.name.is_some() {
                        here.child("name")
                    } else {
                        here.clone()
                    };
                    let derived = if repo.name.is_some() {
                        ""
                    } else if repo.url.is_some() {
                        " (derived from `url`)"
                    } else {
                        " (derived from `path`)"
                    };
                    issues.add_depending(
                        at,
                        Vec::new(),
                        format!("duplicate repository name `{name}`{derived}: repos[{first}] has it too"),
                        "give each repository a unique `name`",
                    );
                }
                None => {
                    names.insert(name, i);
                }
            }
        }
        sync_options(
            &mut issues,
            &here,
            &repo.branches,
            &repo.tags,
            repo.interval,
            &repo.visibility,
        );
    }

    for (i, source) in config.code_hosts.iter().enumerate() {
        let here = KeyPath::default().child("code_hosts").index(i);
        sync_options(
            &mut issues,
            &here,
            &source.branches,
            &source.tags,
            source.interval,
            &source.visibility,
        );
        code_host(&mut issues, &here, &source.host);
    }
    issues.0
}

/// `scheme://user:password@host/...`, or `http(s)://user@host/...` (the user may be a token).
fn url_has_credentials(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
        userinfo.contains(':')
            || scheme.eq_ignore_ascii_case("http")
            || scheme.eq_ignore_ascii_case("https")
    })
}

fn sync_options(
    issues: &mut Issues,
    here: &KeyPath,
    branches: &[String],
    tags: &[String],
    interval: Option<Duration>,
    visibility: &Visibility,
) {
    globs(issues, &here.child("branches"), branches, "release/*");
    globs(issues, &here.child("tags"), tags, "v*");
    if interval.is_some_and(|d| d.is_zero()) {
        issues.add(
            here.child("interval"),
            "the interval must not be zero",
            "write a positive duration, e.g. \"10m\", or leave it out for `sync.interval`",
        );
    }
    if let Visibility::Restricted { users, groups } = visibility {
        for (list, names) in [("users", users), ("groups", groups)] {
            for (k, name) in names.iter().enumerate() {
                if name.trim().is_empty() {
                    issues.add(
                        here.child("visibility").child(list).index(k),
                        "empty name",
                        "remove it or write a name",
                    );
                }
            }
        }
    }
}

fn globs(issues: &mut Issues, path: &KeyPath, patterns: &[String], example: &str) {
    for (k, pattern) in patterns.iter().enumerate() {
        if pattern.trim().is_empty() {
            issues.add(
                path.index(k),
                "empty glob",
                format!("remove it or write a pattern, e.g. \"{example}\""),
            );
        } else if let Err(e) = globset::Glob::new(pattern) {
            let reason = e.kind().to_string();
            issues.add(
                path.index(k),
                format!("invalid glob `{pattern}`: {reason}"),
                "fix the pattern: `*` matches within a path component, `**` across, `?` one character, `[abc]` and `{a,b}` alternatives",
            );
        }
    }
}

/// The URL, the account lists (by key) and the filters of a connection.
type HostParts<'a> = (
    Option<&'a str>,
    Vec<(&'static str, &'a [String])>,
    &'a [String],
    &'a [String],
);

fn code_host(issues: &mut Issues, here: &KeyPath, host: &CodeHost) {
    let before = issues.0.len();
    code_host_keys(issues, here, host);
    // quarry-codehost's own check (without contacting the host) has the last word.
    if issues.0.len() == before {
        if let Err(HostError::Config { message, .. }) = host.validate() {
            issues.add(
                here.clone(),
                format!("invalid {} connection: {message}", host.kind_name()),
                "",
            );
        }
    }
}

/// The same checks as `CodeHost::validate`, each at its key.
fn code_host_keys(issues: &mut Issues, here: &KeyPath, host: &CodeHost) {
    let (url, targets, include, exclude): HostParts<'_> = match host {
        CodeHost::GitHub(c) => (
            c.url.as_deref(),
            vec![("orgs", &c.orgs), ("users", &c.users)],
            &c.include,
            &c.exclude,
        ),
        CodeHost::GitLab(c) => (
            c.url.as_deref(),
            vec![("groups", &c.groups), ("users", &c.users)],
            &c.include,
            &c.exclude,
        ),
        CodeHost::Gitea(c) => (
            Some(c.url.as_str()),
            vec![("orgs", &c.orgs), ("users", &c.users)],
            &c.include,
            &c.exclude,
        ),
        CodeHost::BitbucketCloud(c) => (
            c.url.as_deref(),
            vec![("workspaces", &c.workspaces)],
            &c.include,
            &c.exclude,
        ),
        CodeHost::BitbucketServer(c) => (
            Some(c.url.as_str()),
            vec![("projects", &c.projects), ("users", &c.users)],
            &c.include,
            &c.exclude,
        ),
    };
    if let Some(url) = url {
        if let Err(message) = check_http_url(url.trim()) {
            issues.add(
                here.child("url"),
                format!("invalid `url`: {message}"),
                "write the http:// or https:// URL of the instance or its API, e.g. \"https://git.example.com\"",
            );
        }
    }
    if targets.iter().all(|(_, list)| list.is_empty()) {
        let what = targets
            .iter()
            .map(|(k, _)| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        issues.add_depending(
            here.clone(),
            targets.iter().map(|(k, _)| here.child(k)).collect(),
            "nothing to discover",
            format!("list at least one account in {what}"),
        );
    }
    for (list, names) in &targets {
        for (k, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                issues.add(
                    here.child(list).index(k),
                    "empty name",
                    "remove it or write a name",
                );
            }
        }
    }
    globs(issues, &here.child("include"), include, "team/*");
    globs(issues, &here.child("exclude"), exclude, "*/archive-*");
    match host {
        CodeHost::BitbucketCloud(c) => match (&c.username, &c.app_password, &c.token) {
            (_, Some(_), Some(_)) => issues.add(
                here.child("token"),
                "both `app_password` and `token` are set",
                "set either `username` with `app_password`, or `token`",
            ),
            (None, Some(_), None) => issues.add(
                here.child("app_password"),
                "`app_password` needs `username`",
                "add `username = \"...\"`, the user the app password belongs to",
            ),
            (Some(_), None, _) => issues.add(
                here.child("username"),
                "`username` is used only with `app_password`",
                "add `app_password = { env = \"VARIABLE\" }`, or remove `username`",
            ),
            _ => {}
        },
        CodeHost::BitbucketServer(c) if c.username.is_some() && c.token.is_none() => issues.add(
            here.child("username"),
            "`username` needs `token`",
            "add `token = { env = \"VARIABLE\" }`, or remove `username`",
        ),
        _ => {}
    }
}
