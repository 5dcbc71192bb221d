//! The configuration types. Their doc comments are the descriptions in the JSON Schema and in the
//! reference documentation ([`crate::reference_markdown`]).

use std::borrow::Cow;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::units::{self, ByteSizeSchema, DurationSchema};
use quarry_codehost::CodeHost;
use quarry_codehost::SecretRef;

/// The default `listen` address: loopback only, port 7340.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 7340);

/// quarry's configuration (`quarry serve --config FILE`). Every key is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "quarry configuration")]
pub struct Config {
    /// Address and port the HTTP server listens on: an IP address and a port, e.g. `127.0.0.1:7340` (this machine only), `0.0.0.0:7340` (all IPv4 interfaces) or `[::]:7340`.
    #[schemars(with = "String", extend("format" = "socket-address", "x-quarry-restart" = true))]
    pub listen: SocketAddr,
    /// Directory holding the index, the database and clones. Default: `$QUARRY_DATA`, else the platform's data directory (`~/.local/share/quarry` on Linux). A relative path is relative to the configuration file's directory.
    #[schemars(extend("x-quarry-restart" = true))]
    pub data_dir: Option<PathBuf>,
    /// Logging.
    pub log: LogConfig,
    /// Search limits.
    pub search: SearchConfig,
    /// Indexing.
    pub index: IndexConfig,
    /// Defaults for fetching repositories (`repos` and `code_hosts` entries may override `interval`).
    pub sync: SyncConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Repositories listed one by one (`[[repos]]`, one table per repository).
    pub repos: Vec<RepoSource>,
    /// Code host connections whose repositories are discovered (`[[code_hosts]]`, one table per connection).
    pub code_hosts: Vec<CodeHostSource>,
    /// Secrets that authenticate code hosts' webhook calls (push events trigger a fetch).
    pub webhooks: WebhooksConfig,
    /// Export of traces and metrics with OpenTelemetry.
    pub telemetry: TelemetryConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN,
            data_dir: None,
            log: LogConfig::default(),
            search: SearchConfig::default(),
            index: IndexConfig::default(),
            sync: SyncConfig::default(),
            auth: AuthConfig::default(),
            repos: Vec::new(),
            code_hosts: Vec::new(),
            webhooks: WebhooksConfig::default(),
            telemetry: TelemetryConfig::default(),
        }
    }
}

/// `[log]`: logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// What is logged, in `tracing` `EnvFilter` syntax: a level (`error`, `warn`, `info`, `debug`, `trace`, `off`), optionally followed by per-module levels, e.g. `info,quarry_server=debug`.
    #[schemars(extend("format" = "log-filter"))]
    pub level: String,
    /// Log line format: `auto` (text on a terminal, JSON otherwise), `json` (one object a line) or `text`.
    #[schemars(extend("x-quarry-restart" = true))]
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_string(),
            format: LogFormat::Auto,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    #[default]
    Auto,
    /// One JSON object a line.
    Json,
    /// Human-readable text.
    Text,
}

/// `[search]`: search limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Searches run at the same time; more wait, and are refused with HTTP 429 when the wait is long.
    #[schemars(range(min = 1))]
    pub max_concurrent: u32,
    /// Matching lines returned when a query has no `count:`.
    #[schemars(range(min = 1))]
    pub default_limit: u32,
    /// Time limit of a search whose query has no `timeout:`.
    #[serde(with = "units::duration")]
    #[schemars(with = "DurationSchema")]
    pub default_timeout: Duration,
    /// Longest time limit a query may ask for with `timeout:`.
    #[serde(with = "units::duration")]
    #[schemars(with = "DurationSchema")]
    pub max_timeout: Duration,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            max_concurrent: 8,
            default_limit: 500,
            default_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(60),
        }
    }
}

/// `[index]`: indexing (changes apply from the next index build).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Larger files are not indexed (their path still is): bytes, or a number with a unit (`KiB`, `MiB`, `GiB`, `KB`, `MB`, `GB`). Applies from the next index build.
    #[serde(with = "units::byte_size")]
    #[schemars(with = "ByteSizeSchema")]
    pub max_file_size: u64,
    /// Target size of an index shard: bytes, or a number with a unit. Applies from the next index build.
    #[serde(with = "units::byte_size")]
    #[schemars(with = "ByteSizeSchema")]
    pub shard_size: u64,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            max_file_size: 1 << 20,
            shard_size: 100 << 20,
        }
    }
}

/// `[sync]`: how repositories are fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Time between fetches of a repository, for sources without their own `interval`.
    #[serde(with = "units::duration")]
    #[schemars(with = "DurationSchema")]
    pub interval: Duration,
    /// Random spread of the interval, as a fraction of it (0 to 0.5), so that repositories are not all fetched at once.
    #[schemars(range(min = 0.0, max = 0.5))]
    pub jitter: f64,
    /// Repositories fetched at the same time.
    #[schemars(range(min = 1))]
    pub concurrency: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval: Duration::from_secs(3600),
            jitter: 0.1,
            concurrency: 2,
        }
    }
}

/// `[auth]`: authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Whether every request needs a signed-in user or an API token. When false, anonymous users see public repositories. When the key is not set (in the file or the environment), sign-in is required unless the server listens on a loopback address.
    pub required: bool,
    /// How long a sign-in session lasts. Applies to sessions started after the change.
    #[serde(with = "units::duration")]
    #[schemars(with = "DurationSchema")]
    pub session_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            required: false,
            session_ttl: Duration::from_secs(7 * 86400),
        }
    }
}

/// `[[repos]]`: one repository, from a git remote (`url`) or a local directory (`path`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoSource {
    /// Name of the repository in quarry (`repo:` filters match it). Default: from `url`, host and path without `.git` (`git.example.com/team/app`); from `path`, the directory's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Git remote to clone and fetch (`https://`, `ssh://`, `git@host:path`, `file://`). Exactly one of `url` and `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Local directory to index as it is on disk (a git working tree or any directory). Exactly one of `url` and `path`. A relative path is relative to the configuration file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Branches to index besides the default branch: globs such as `release/*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    /// Tags to index: globs such as `v*`. None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Time between fetches; default `sync.interval`.
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<DurationSchema>")]
    pub interval: Option<Duration>,
    /// Who may see the repository: `"public"` (everybody who may use quarry), or `{ users = [...], groups = [...] }` (those users, members of those groups, and administrators).
    #[serde(default)]
    pub visibility: Visibility,
}

impl RepoSource {
    /// The repository's name: `name` when set, else derived from `url` (`host/path` without
    /// `.git`) or `path` (the last component).
    pub fn effective_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        if let Some(url) = &self.url {
            return name_from_url(url);
        }
        if let Some(path) = &self.path {
            return path
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .next_back()
                .unwrap_or_else(|| path.display().to_string());
        }
        String::new()
    }
}

/// `https://git.example.com/team/app.git` → `git.example.com/team/app`;
/// `git@git.example.com:team/app.git` → `git.example.com/team/app`.
pub fn name_from_url(url: &str) -> String {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    // Drop user info.
    let rest = match rest.find('@') {
        Some(at) if !rest[..at].contains('/') => &rest[at + 1..],
        _ => rest,
    };
    // scp-like `host:path` (no scheme): the colon separates host and path.
    let rest = if !url.contains("://") {
        rest.replacen(':', "/", 1)
    } else {
        // Drop the port.
        match rest.split_once('/') {
            Some((host, path)) => {
                let host = match host.rsplit_once(':') {
                    Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                    _ => host,
                };
                format!("{host}/{path}")
            }
            None => rest.to_string(),
        }
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    rest.trim_start_matches('/').to_string()
}

/// `[[code_hosts]]`: a code host connection (`kind` and that host's keys) and how the repositories it lists are synced and who may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeHostSource {
    /// The connection: `kind` and the host's own keys.
    #[serde(flatten)]
    pub host: CodeHost,
    /// Branches to index besides the default branch of every repository: globs such as `release/*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    /// Tags to index: globs such as `v*`. None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Time between fetches of each repository, and between listings of the host; default `sync.interval`.
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<Duration>,
    /// Who may see the repositories: `"public"`, or `{ users = [...], groups = [...] }`.
    #[serde(default)]
    pub visibility: Visibility,
}

/// The keys every `[[code_hosts]]` entry has besides the host's own (their schema and order).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CodeHostCommon {
    /// Branches to index besides the default branch of every repository: globs such as `release/*`.
    #[serde(default)]
    branches: Vec<String>,
    /// Tags to index: globs such as `v*`. None by default.
    #[serde(default)]
    tags: Vec<String>,
    /// Time between fetches of each repository, and between listings of the host; default `sync.interval`.
    #[serde(default, with = "units::opt_duration")]
    #[schemars(with = "Option<DurationSchema>")]
    interval: Option<Duration>,
    /// Who may see the repositories: `"public"`, or `{ users = [...], groups = [...] }`.
    #[serde(default)]
    visibility: Visibility,
}

/// One schema per kind: the host's keys, `kind` and the common keys together, with
/// `additionalProperties: false` (a flattened enum would leave the common keys out of each
/// variant, and editors would flag them).
impl JsonSchema for CodeHostSource {
    fn schema_name() -> Cow<'static, str> {
        "CodeHostSource".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let common = CodeHostCommon::json_schema(generator);
        let common_props = common
            .get("properties")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_default();
        let hosts = CodeHost::json_schema(generator);
        let mut variants = Vec::new();
        for variant in hosts
            .get("oneOf")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
        {
            let mut variant = crate::schema::inline_refs(variant, generator);
            let description = variant.get("description").cloned();
            if let Some(kind) = variant.pointer_mut("/properties/kind") {
                if let Some(description) = description {
                    kind["description"] = description;
                }
                // `forgejo` is an alias of `gitea`.
                if kind.get("const").and_then(|c| c.as_str()) == Some("gitea") {
                    if let Some(kind) = kind.as_object_mut() {
                        kind.remove("const");
                        kind.insert("enum".into(), serde_json::json!(["gitea", "forgejo"]));
                    }
                }
            }
            if let Some(obj) = variant.as_object_mut() {
                let props = obj
                    .entry("properties")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(props) = props.as_object_mut() {
                    for (k, v) in &common_props {
                        props.insert(k.clone(), v.clone());
                    }
                }
                obj.insert("additionalProperties".into(), false.into());
            }
            variants.push(variant);
        }
        json_schema!({
            "description": "A code host connection: `kind`, the host's own keys, and `branches`, `tags`, `interval`, `visibility`.",
            "type": "object",
            "oneOf": variants,
        })
    }
}

/// Who may see a repository: `"public"`, or `{ users = [...], groups = [...] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everybody who may use quarry (anonymous users too unless `auth.required`).
    #[default]
    Public,
    /// Only these users, members of these groups, and administrators.
    Restricted {
        /// User names.
        users: Vec<String>,
        /// Group names.
        groups: Vec<String>,
    },
}

impl Serialize for Visibility {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Visibility::Public => s.serialize_str("public"),
            Visibility::Restricted { users, groups } => {
                #[derive(Serialize)]
                struct Restricted<'a> {
                    users: &'a [String],
                    groups: &'a [String],
                }
                Restricted { users, groups }.serialize(s)
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestrictedDe {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl<'de> Deserialize<'de> for Visibility {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Visibility;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"public\" or { users = [...], groups = [...] }")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Visibility, E> {
                match v {
                    "public" => Ok(Visibility::Public),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Visibility, A::Error> {
                let r = RestrictedDe::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Visibility::Restricted {
                    users: r.users,
                    groups: r.groups,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Visibility {
    fn schema_name() -> Cow<'static, str> {
        "Visibility".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Who may see a repository: \"public\", or { users = [...], groups = [...] }.",
            "oneOf": [
                {
                    "description": "Everybody who may use quarry (anonymous users too unless `auth.required`).",
                    "const": "public",
                },
                {
                    "description": "Only these users, members of these groups, and administrators.",
                    "type": "object",
                    "properties": {
                        "users": {
                            "description": "User names.",
                            "type": "array",
                            "items": { "type": "string" },
                            "default": [],
                        },
                        "groups": {
                            "description": "Group names.",
                            "type": "array",
                            "items": { "type": "string" },
                            "default": [],
                        },
                    },
                    "additionalProperties": false,
                },
            ],
        })
    }
}

/// `[webhooks]`: secrets that authenticate webhook calls from code hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Secret GitHub signs its webhook payloads with (`X-Hub-Signature-256`): `{ env = "VARIABLE" }` or `{ file = "/path" }`. GitHub webhooks are refused when absent.
    pub github_secret: Option<SecretRef>,
    /// Token GitLab sends with its webhook calls (`X-Gitlab-Token`): `{ env = "VARIABLE" }` or `{ file = "/path" }`. GitLab webhooks are refused when absent.
    pub gitlab_token: Option<SecretRef>,
    /// Secret Gitea or Forgejo signs its webhook payloads with (`X-Gitea-Signature`): `{ env = "VARIABLE" }` or `{ file = "/path" }`. Gitea webhooks are refused when absent.
    pub gitea_secret: Option<SecretRef>,
}

/// `[telemetry]`: OpenTelemetry export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OTLP/HTTP endpoint traces and metrics are sent to, e.g. `http://127.0.0.1:4318`. No export when absent.
    #[schemars(extend("format" = "uri", "x-quarry-restart" = true))]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported telemetry.
    #[schemars(extend("x-quarry-restart" = true))]
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            otlp_endpoint: None,
            service_name: "quarry".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_urls() {
        for (url, name) in [
            (
                "https://git.example.com/team/app.git",
                "git.example.com/team/app",
            ),
            (
                "https://git.example.com:8443/team/app",
                "git.example.com/team/app",
            ),
            (
                "https://user@git.example.com/team/app.git/",
                "git.example.com/team/app",
            ),
            (
                "ssh://git@git.example.com:22/team/app.git",
                "git.example.com/team/app",
            ),
            (
                "git@github.com:torvalds/linux.git",
                "github.com/torvalds/linux",
            ),
            ("file:///srv/git/app.git", "srv/git/app"),
        ] {
            assert_eq!(name_from_url(url), name, "{url}");
        }
        let repo = RepoSource {
            path: Some("/srv/src/app/".into()),
            ..Default::default()
        };
        assert_eq!(repo.effective_name(), "app");
    }
}
