//! quarry's configuration: one TOML file, read by `quarry serve --config FILE`, checked by
//! `quarry config check FILE`, described by a JSON Schema generated from the Rust types
//! (`quarry config schema`).
//!
//! # The file
//!
//! TOML. Every key is optional and has a default ([`Config::default`]); unknown keys are errors.
//! The documented example with every key is [`EXAMPLE`] (`crates/quarry-config/examples/quarry.toml`):
//!
//! ```toml
//! listen = "127.0.0.1:7340"          # restart needed
//! data_dir = "/var/lib/quarry"       # restart needed; default: $QUARRY_DATA, else the platform's
//!
//! [log]
//! level = "info,quarry_server=debug" # EnvFilter syntax
//! format = "auto"                    # auto | json | text — restart needed
//!
//! [search]
//! max_concurrent = 8
//! default_limit = 500
//! default_timeout = "10s"
//! max_timeout = "60s"
//!
//! [index]
//! max_file_size = "1MiB"             # bytes, or a number and KiB, MiB, GiB, KB, MB, GB
//! shard_size = "100MiB"
//!
//! [sync]
//! interval = "1h"
//! jitter = 0.1                       # 0 to 0.5
//! concurrency = 2
//!
//! [auth]
//! required = false
//! session_ttl = "7d"
//!
//! [[repos]]                          # one table per repository
//! url = "https://git.example.com/team/app.git"   # or path = "/srv/src/app", not both
//! branches = ["release/*"]
//! tags = ["v*"]
//! interval = "10m"
//! visibility = { users = ["alice"], groups = ["team-a"] }   # default "public"
//!
//! [[code_hosts]]                     # one table per connection
//! kind = "github"                    # github | gitlab | gitea (forgejo) | bitbucket-cloud | bitbucket-server
//! token = { env = "GITHUB_TOKEN" }
//! orgs = ["acme"]
//!
//! [webhooks]
//! github_secret = { env = "QUARRY_GITHUB_WEBHOOK_SECRET" }
//! gitlab_token = { file = "/run/secrets/gitlab-webhook" }
//!
//! [telemetry]
//! otlp_endpoint = "http://127.0.0.1:4318"   # no export when absent
//! service_name = "quarry"
//! ```
//!
//! A `[[code_hosts]]` entry is a [`CodeHostSource`]: a [`CodeHost`] of `quarry-codehost` (tagged
//! by `kind`, with that host's keys) and the `branches`, `tags`, `interval` and `visibility` every
//! source has. Its checks are those of `CodeHost::validate`, reported at their keys.
//!
//! [`reference_markdown`] documents every key (type, default, live or restart, description),
//! generated from [`schema`]. Durations are `humantime` strings (`"30s"`, `"1h30m"`, `"7d"`).
//! Relative paths in the file (`data_dir`, `repos.path`) are relative to the file's directory.
//!
//! **Secrets** are given by reference, [`SecretRef`]: `{ env = "VARIABLE" }` or
//! `{ file = "/absolute/path" }`, resolved when used ([`SecretRef::resolve`]) into a [`Secret`]
//! whose `Debug` and `Display` print `***`. A string where a secret is expected is an error whose
//! message does not repeat it. [`redacted`] gives the effective configuration with references,
//! never values.
//!
//! # Environment overrides
//!
//! Every key can be set by an environment variable: `QUARRY_` followed by the key path in upper
//! case with `__` between levels ([`env_var_for`]):
//!
//! | variable | key |
//! |---|---|
//! | `QUARRY_LISTEN=0.0.0.0:7340` | `listen` |
//! | `QUARRY_SEARCH__MAX_CONCURRENT=16` | `search.max_concurrent` |
//! | `QUARRY_AUTH__REQUIRED=true` | `auth.required` |
//! | `QUARRY_REPOS__0__URL` | no such variable: see below |
//!
//! The value is parsed as a TOML value when it is one (`16`, `true`, `["a", "b"]`,
//! `{ env = "NAME" }`) and taken as a string otherwise (`10s`, `0.0.0.0:7340`); for keys that
//! take only strings the text is taken as it is (`QUARRY_LOG__LEVEL=debug`). A variable replaces the
//! key's value; a variable naming a table (`QUARRY_SEARCH='{ max_concurrent = 4 }'`) replaces the
//! table, and variables for its keys apply after it.
//!
//! Lists of tables (`repos`, `code_hosts`) cannot be set key by key, only whole, as a TOML array:
//! `QUARRY_REPOS='[{ url = "https://git.example.com/app.git" }]'`.
//!
//! A `QUARRY_…` variable that is no key but looks like one (its name contains `__`, or is close to
//! a top-level key's variable, like `QUARRY_LISTN`) is an error, with a suggestion. `QUARRY_DATA`
//! (the CLI's data directory) and `QUARRY_TEST_*` are not configuration and never diagnosed.
//!
//! # Diagnostics
//!
//! [`load`] reports every problem, not just the first, as a [`Diagnostic`] printed as
//!
//! ```text
//! FILE:LINE:COLUMN: key.path: what is wrong — how to fix it
//! ```
//!
//! for example
//!
//! ```text
//! quarry.toml:3:1: serach: unknown key `serach` — did you mean `search`?
//! quarry.toml:9:19: search.default_timeout: invalid duration `10 parsecs`: unknown unit `parsecs` (…) — write a number and a unit, e.g. "30s", "5m", "1h30m" or "7d"
//! env:QUARRY_SEARCH__MAX_CONCURRENT:1:1: search.max_concurrent: expected an integer, found a string — write a whole number without quotes, e.g. `QUARRY_SEARCH__MAX_CONCURRENT=8`
//! ```
//!
//! A problem in an environment variable's value is reported at `env:NAME:LINE:COLUMN`, the
//! position inside the value (`1:1` for the whole value). Key paths number list entries from 0
//! (`repos[1].url`). Syntax errors stop the check (the rest of the file cannot be trusted) and
//! have no key path; all other problems are collected: unknown keys (with the closest allowed key),
//! types, values, formats, and the checks between keys (exactly one of `url`/`path`, duplicate
//! repository names, `default_timeout` ≤ `max_timeout`, globs, secret references…).
//!
//! # Hot reload
//!
//! The server reloads on `SIGHUP` and when the file changes: it calls [`load`] again; on errors it
//! keeps the running configuration (and logs the diagnostics); else [`changes`] lists the keys that
//! changed, each with [`Change::needs_restart`] (`listen`, `data_dir`, `log.format`, `telemetry.*`;
//! everything else — repositories, code hosts, limits, the log level — applies live).

mod changes;
mod check;
mod diag;
mod env;
mod reference;
mod schema;
mod semantic;
mod tree;
mod types;
mod units;

use std::path::Path;

use toml::de::DeTable;

pub use changes::{changes, redacted, Change};
pub use diag::Diagnostic;
pub use env::{env_var_for, EnvOverrides, ENV_PREFIX};
pub use quarry_codehost::{
    BitbucketCloudConfig, BitbucketServerConfig, CodeHost, GitHubConfig, GitLabConfig, GiteaConfig,
    Secret, SecretError, SecretRef,
};
pub use reference::reference_markdown;
pub use schema::schema;
pub use types::{
    name_from_url, AuthConfig, CodeHostSource, Config, IndexConfig, LogConfig, LogFormat,
    RepoSource, SearchConfig, SyncConfig, TelemetryConfig, Visibility, WebhooksConfig,
    DEFAULT_LISTEN,
};
pub use units::{format_byte_size, format_duration, parse_byte_size, parse_duration};

use check::{Checker, Problem};
use schema::SchemaView;
use tree::{unprune, KeyPath, Node, NodeValue, Origin};

/// The documented example configuration, with every key (`examples/quarry.toml`).
pub const EXAMPLE: &str = include_str!("../examples/quarry.toml");

/// Reads the configuration file at `path`, applies the `QUARRY_…` overrides that `env` gives
/// (`|name| std::env::var(name).ok()` for the process environment), and validates the result.
///
/// `env` is asked for the variable of every key, and for every `QUARRY_…` name in the process
/// environment (so that misspelt ones there are reported); to check a set of variables of your
/// own, including misspelt ones, use [`load_with`].
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<Diagnostic>> {
    load_with(path, &EnvOverrides::from_lookup(env))
}

/// Reads the configuration file at `path`, applies `env`, and validates the result.
pub fn load_with(path: &Path, env: &EnvOverrides) -> Result<Config, Vec<Diagnostic>> {
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(path, &text, env),
        Err(e) => Err(vec![Diagnostic {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            key_path: String::new(),
            message: format!("cannot read the configuration file: {e}"),
            fix: "check the path given with --config".into(),
        }]),
    }
}

/// Parses configuration `text` (read from `path`, which names it in diagnostics and anchors
/// relative paths), applies `env`, and validates the result.
pub fn load_str(path: &Path, text: &str, env: &EnvOverrides) -> Result<Config, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let locator = Locator {
        file: &file,
        text,
        env,
    };

    let (table, parse_errors) = DeTable::parse_recoverable(text);
    if !parse_errors.is_empty() {
        let mut diags: Vec<(usize, Diagnostic)> = parse_errors
            .iter()
            .map(|e| {
                let start = e.span().map_or(0, |s| s.start);
                let (line, column) = diag::line_column(text, start);
                let diag = Diagnostic {
                    file: file.clone(),
                    line,
                    column,
                    key_path: String::new(),
                    message: e.message().trim().to_string(),
                    fix: "fix the TOML syntax here (strings in double quotes, tables as [name], lists as [a, b])".into(),
                };
                (start, diag)
            })
            .collect();
        diags.sort_by_key(|(start, _)| *start);
        diags.dedup_by(|a, b| a.1 == b.1);
        return Err(diags.into_iter().map(|(_, d)| d).collect());
    }

    let mut conversion_errors = Vec::new();
    let mut root = Node::table_from_de(&table, &Origin::File, &mut conversion_errors);
    let mut problems: Vec<Problem> = conversion_errors
        .into_iter()
        .map(|(at, message)| Problem {
            path: KeyPath::default(),
            at,
            message,
            fix: "write a number from -9223372036854775808 to 9223372036854775807".into(),
        })
        .collect();

    let schema = schema();
    let view = SchemaView::new(&schema);
    env::apply(&mut root, env, &view, &mut problems);

    let report = Checker::new(&schema).check_root(&root);
    problems.extend(report.problems);

    let mut pruned = root.clone();
    let kept = pruned.prune(&report.prune);
    resolve_relative_paths(&mut pruned, path.parent());
    let config: Config = match pruned.to_toml().try_into() {
        Ok(config) => config,
        Err(e) => {
            // The schema check lets through only what deserializes; this is a safety net.
            problems.push(Problem {
                path: KeyPath::default(),
                at: Origin::File(0..0),
                message: format!("invalid configuration: {}", e.message().trim()),
                fix: String::new(),
            });
            return Err(locator.diagnostics(problems));
        }
    };

    for issue in semantic::validate(&config) {
        let path = unprune(&issue.path, &kept);
        let depends: Vec<KeyPath> = issue.depends.iter().map(|d| unprune(d, &kept)).collect();
        let rejected = report
            .prune
            .iter()
            .any(|p| depends.iter().any(|d| d.starts_with(p) || p.starts_with(d)));
        if rejected {
            continue;
        }
        let at = root.closest(&path).origin.clone();
        problems.push(Problem {
            path,
            at,
            message: issue.message,
            fix: issue.fix,
        });
    }

    if problems.is_empty() {
        Ok(config)
    } else {
        Err(locator.diagnostics(problems))
    }
}

/// Makes `data_dir` and `repos[].path` written in the file relative to the file's directory.
fn resolve_relative_paths(root: &mut Node, base: Option<&Path>) {
    let Some(base) = base.filter(|b| !b.as_os_str().is_empty()) else {
        return;
    };
    let fix = |node: &mut Node| {
        if let (NodeValue::String(s), Origin::File(_)) = (&mut node.value, &node.origin) {
            if !s.is_empty() && Path::new(s.as_str()).is_relative() {
                *s = base.join(s.as_str()).display().to_string();
            }
        }
    };
    let NodeValue::Table(entries) = &mut root.value else {
        return;
    };
    for entry in entries {
        match entry.key.as_str() {
            "data_dir" => fix(&mut entry.value),
            "repos" => {
                if let NodeValue::Array(items) = &mut entry.value.value {
                    for item in items {
                        if let NodeValue::Table(fields) = &mut item.value {
                            for field in fields.iter_mut().filter(|f| f.key == "path") {
                                fix(&mut field.value);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Turns problems into located, sorted diagnostics.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    env: &'a EnvOverrides,
}

impl Locator<'_> {
    fn diagnostics(&self, problems: Vec<Problem>) -> Vec<Diagnostic> {
        let mut located: Vec<(bool, Diagnostic)> = problems
            .into_iter()
            .map(|p| {
                let (is_env, file, (line, column)) = match &p.at {
                    Origin::File(span) => (
                        false,
                        self.file.to_string(),
                        diag::line_column(self.text, span.start),
                    ),
                    Origin::Env { var, span } => (
                        true,
                        format!("env:{var}"),
                        diag::line_column(self.env.get(var).unwrap_or(""), span.start),
                    ),
                };
                (
                    is_env,
                    Diagnostic {
                        file,
                        line,
                        column,
                        key_path: p.path.to_string(),
                        message: p.message,
                        fix: p.fix,
                    },
                )
            })
            .collect();
        located.sort_by(|(ea, a), (eb, b)| {
            (ea, &a.file, a.line, a.column).cmp(&(eb, &b.file, b.line, b.column))
        });
        located.dedup_by(|a, b| a.1 == b.1);
        located.into_iter().map(|(_, d)| d).collect()
    }
}
