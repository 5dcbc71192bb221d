use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quarry_config::*;
use serde_json::Value;

fn check(text: &str) -> Vec<String> {
    check_env(text, &[])
}

fn check_env(text: &str, env: &[(&str, &str)]) -> Vec<String> {
    let env: EnvOverrides = env.iter().copied().collect();
    match load_str(Path::new("quarry.toml"), text, &env) {
        Ok(_) => Vec::new(),
        Err(diags) => diags.iter().map(ToString::to_string).collect(),
    }
}

fn load_env(text: &str, env: &[(&str, &str)]) -> Config {
    let env: EnvOverrides = env.iter().copied().collect();
    match load_str(Path::new("/etc/quarry/quarry.toml"), text, &env) {
        Ok(config) => config,
        Err(diags) => panic!(
            "{}",
            diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quarry.toml")
}

#[test]
fn the_example_is_valid() {
    let config = load(&example_path(), &|_| None).unwrap_or_else(|diags| {
        panic!(
            "{}",
            diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert_eq!(config.listen, "127.0.0.1:7340".parse().unwrap());
    assert_eq!(config.data_dir, Some(PathBuf::from("/var/lib/quarry")));
    assert_eq!(config.log.level, "info,quarry_server=debug");
    assert_eq!(config.log.format, LogFormat::Auto);
    assert_eq!(config.search, SearchConfig::default());
    assert_eq!(config.index.max_file_size, 1 << 20);
    assert_eq!(config.index.shard_size, 100 << 20);
    assert_eq!(config.sync, SyncConfig::default());
    assert_eq!(config.auth.session_ttl, Duration::from_secs(7 * 86400));

    assert_eq!(config.repos.len(), 2);
    assert_eq!(config.repos[0].effective_name(), "git.example.com/team/app");
    assert_eq!(config.repos[0].branches, ["release/*"]);
    assert_eq!(config.repos[0].interval, Some(Duration::from_secs(600)));
    assert_eq!(config.repos[1].effective_name(), "handbook");
    assert_eq!(
        config.repos[1].visibility,
        Visibility::Restricted {
            users: vec!["alice".into()],
            groups: vec!["team-a".into()]
        }
    );

    let kinds: Vec<&str> = config
        .code_hosts
        .iter()
        .map(|c| match &c.host {
            CodeHost::GitHub(_) => "github",
            CodeHost::GitLab(_) => "gitlab",
            CodeHost::Gitea(_) => "gitea",
            CodeHost::BitbucketCloud(_) => "bitbucket-cloud",
            CodeHost::BitbucketServer(_) => "bitbucket-server",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "github",
            "gitlab",
            "gitea",
            "bitbucket-cloud",
            "bitbucket-server"
        ]
    );
    let CodeHost::GitHub(github) = &config.code_hosts[0].host else {
        unreachable!()
    };
    assert_eq!(github.token, Some(SecretRef::Env("GITHUB_TOKEN".into())));
    assert_eq!(github.orgs, ["acme"]);
    assert_eq!(
        config.code_hosts[0].interval,
        Some(Duration::from_secs(1800))
    );

    assert_eq!(
        config.webhooks.gitlab_token,
        Some(SecretRef::File("/run/secrets/gitlab-webhook".into()))
    );
    assert_eq!(
        config.telemetry.otlp_endpoint.as_deref(),
        Some("http://127.0.0.1:4318")
    );
    assert_eq!(EXAMPLE, std::fs::read_to_string(example_path()).unwrap());
}

#[test]
fn an_empty_file_is_the_defaults() {
    let config = load_env("", &[]);
    assert_eq!(config, Config::default());
    assert_eq!(config.listen, DEFAULT_LISTEN);
    assert_eq!(config.search.default_limit, 500);
    assert_eq!(config.search.default_timeout, Duration::from_secs(10));
    assert_eq!(config.search.max_timeout, Duration::from_secs(60));
    assert_eq!(config.sync.interval, Duration::from_secs(3600));
    assert!(!config.auth.required);
    assert_eq!(config.telemetry.service_name, "quarry");
}

/// Every key path of the schema (`search.max_concurrent`, `repos.url`, `code_hosts.orgs`).
fn schema_keys(schema: &Value) -> BTreeSet<String> {
    fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
        while let Some(r) = s.get("$ref").and_then(Value::as_str) {
            s = &root["$defs"][r.trim_start_matches("#/$defs/")];
        }
        s
    }
    fn walk(root: &Value, s: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let s = resolve(root, s);
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                let r = resolve(root, v);
                if r.get("properties").is_some() {
                    walk(root, r, &path, out);
                }
                if let Some(items) = r.get("items") {
                    walk(root, items, &path, out);
                }
            }
        }
        if let Some(variants) = s.get("oneOf").and_then(Value::as_array) {
            if prefix.contains('.') || prefix.is_empty() {
                return; // secret references, visibility: values, not keys
            }
            for v in variants {
                walk(root, v, prefix, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(schema, schema, "", &mut out);
    out
}

fn toml_keys(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                if !matches!(k.as_str(), "token" | "app_password" | "visibility")
                    && !path.starts_with("webhooks.")
                {
                    toml_keys(v, &path, out);
                }
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                toml_keys(item, prefix, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_example_has_every_key() {
    let keys = schema_keys(&schema());
    assert!(keys.contains("search.max_concurrent"));
    assert!(keys.contains("repos.url"));
    assert!(keys.contains("code_hosts.workspaces"));
    let example: toml::Value = toml::from_str(EXAMPLE).unwrap();
    let mut in_example = BTreeSet::new();
    toml_keys(&example, "", &mut in_example);
    let missing: Vec<&String> = keys.difference(&in_example).collect();
    assert!(
        missing.is_empty(),
        "keys missing from examples/quarry.toml: {missing:?}"
    );
    let unknown: Vec<&String> = in_example.difference(&keys).collect();
    assert!(
        unknown.is_empty(),
        "keys of examples/quarry.toml not in the schema: {unknown:?}"
    );
}

#[test]
fn unknown_keys_with_did_you_mean() {
    assert_eq!(
        check("listen = \"127.0.0.1:7340\"\nserach = 1\n"),
        ["quarry.toml:2:1: serach: unknown key `serach` — did you mean `search`?"]
    );
    assert_eq!(
        check("[search]\nmax_concurent = 4\n"),
        ["quarry.toml:2:1: search.max_concurent: unknown key `max_concurent` — did you mean `max_concurrent`?"]
    );
    assert_eq!(
        check("[[repos]]\nurl = \"https://git.example.com/a.git\"\nbrnaches = [\"x\"]\n"),
        ["quarry.toml:3:1: repos[0].brnaches: unknown key `brnaches` — did you mean `branches`?"]
    );
    assert_eq!(
        check("[[code_hosts]]\nkind = \"gitlab\"\ngroups = [\"a\"]\norgs = [\"b\"]\n"),
        ["quarry.toml:4:1: code_hosts[0].orgs: unknown key `orgs` — remove it; the keys allowed here are `archived`, `branches`, `exclude`, `forks`, `groups`, `include`, `interval`, `kind`, `tags`, `token`, `url`, `users`, `visibility`"]
    );
    // A section's key at the top level.
    assert_eq!(
        check("max_concurrent = 4\n"),
        ["quarry.toml:1:1: max_concurrent: unknown key `max_concurrent` — `max_concurrent` belongs in the `[search]` table: move it there, or write `search.max_concurrent`"]
    );
    assert_eq!(
        check("colour = \"blue\"\n"),
        ["quarry.toml:1:1: colour: unknown key `colour` — remove it; the keys allowed here are `auth`, `code_hosts`, `data_dir`, `index`, `listen`, `log`, `repos`, `search`, `sync`, `telemetry`, `webhooks`"]
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        check("[search]\ndefault_limit = \"500\"\n"),
        ["quarry.toml:2:17: search.default_limit: expected an integer, found a string — write a whole number without quotes, e.g. `default_limit = 500`"]
    );
    assert_eq!(
        check("[auth]\nrequired = \"yes\"\n"),
        ["quarry.toml:2:12: auth.required: expected true or false, found a string — write `required = true` or `required = false`, without quotes"]
    );
    assert_eq!(
        check("log = \"debug\"\n"),
        ["quarry.toml:1:7: log: expected a table, found a string — write a `[log]` header followed by its keys, or an inline table `log = { ... }`"]
    );
    assert_eq!(
        check("[search]\nmax_concurrent = 0\n"),
        ["quarry.toml:2:18: search.max_concurrent: `0` is less than 1 — use a value from 1 to 4294967295"]
    );
    assert_eq!(
        check("[sync]\njitter = 0.7\n"),
        ["quarry.toml:2:10: sync.jitter: `0.7` is more than 0.5 — use a value from 0 to 0.5"]
    );
    assert_eq!(
        check("[log]\nformat = \"xml\"\n"),
        ["quarry.toml:2:10: log.format: unknown value `xml` — use one of `auto`, `json`, `text`"]
    );
    assert_eq!(
        check("[log]\nlevel = \"inof\"\n"),
        ["quarry.toml:2:9: log.level: unknown level `inof` — did you mean `info`?"]
    );
}

#[test]
fn bad_durations_and_sizes() {
    assert_eq!(
        check("[search]\ndefault_timeout = \"10 parsecs\"\n"),
        ["quarry.toml:2:19: search.default_timeout: invalid duration `10 parsecs`: unknown unit `parsecs` (units: ns, us, ms, s, m, h, d, w, and spelled out: seconds, minutes, hours, days, weeks) — write a number and a unit, e.g. \"30s\", \"5m\", \"1h30m\" or \"7d\""]
    );
    assert_eq!(
        check("[search]\nmax_timeout = 60\n"),
        ["quarry.toml:2:15: search.max_timeout: expected a duration in quotes, found an integer — write a number and a unit in quotes, e.g. `max_timeout = \"1m\"`"]
    );
    assert_eq!(
        check("[index]\nmax_file_size = \"1 MegaByte\"\n"),
        ["quarry.toml:2:17: index.max_file_size: invalid size `1 MegaByte`: unknown unit `MegaByte` (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) — write a number of bytes, or a number and a unit, e.g. 1048576, \"512KiB\", \"1MiB\", \"2GB\""]
    );
    let config = load_env("[index]\nmax_file_size = 4096\nshard_size = \"2GB\"\n", &[]);
    assert_eq!(config.index.max_file_size, 4096);
    assert_eq!(config.index.shard_size, 2_000_000_000);
    assert_eq!(
        check("[search]\ndefault_timeout = \"2m\"\nmax_timeout = \"1m\"\n"),
        ["quarry.toml:2:19: search.default_timeout: the default timeout (2m) is longer than `max_timeout` (1m) — lower `default_timeout` or raise `max_timeout`"]
    );
}

#[test]
fn bad_listen_address() {
    assert_eq!(
        check("listen = \"localhost:7340\"\n"),
        ["quarry.toml:1:10: listen: `localhost:7340` is not an IP address and port (host names are not resolved) — write an IP address and a port, e.g. \"127.0.0.1:7340\" (this machine only), \"0.0.0.0:7340\" (all interfaces) or \"[::]:7340\""]
    );
    assert_eq!(
        check("listen = \"0.0.0.0\"\n"),
        ["quarry.toml:1:10: listen: `0.0.0.0` has no port — write an IP address and a port, e.g. \"127.0.0.1:7340\" (this machine only), \"0.0.0.0:7340\" (all interfaces) or \"[::]:7340\""]
    );
    assert_eq!(
        load_env("listen = \"[::]:80\"\n", &[]).listen,
        "[::]:80".parse().unwrap()
    );
}

#[test]
fn repositories() {
    assert_eq!(
        check("[[repos]]\nurl = \"https://git.example.com/a.git\"\npath = \"/srv/a\"\n"),
        ["quarry.toml:1:1: repos[0]: both `url` and `path` are set — keep `url` for a git remote, or `path` for a local directory"]
    );
    assert_eq!(
        check("[[repos]]\nname = \"a\"\n"),
        ["quarry.toml:1:1: repos[0]: neither `url` nor `path` is set — add `url = \"https://git.example.com/team/app.git\"` (a git remote) or `path = \"/srv/src/app\"` (a local directory)"]
    );
    assert_eq!(
        check(
            "[[repos]]\npath = \"/srv/app\"\n\n[[repos]]\nurl = \"https://git.example.com/x/app.git\"\nname = \"app\"\n\n[[repos]]\nurl = \"https://git.example.com/y/lib.git\"\n\n[[repos]]\nurl = \"https://git.example.com/y/lib\"\n"
        ),
        [
            "quarry.toml:6:8: repos[1].name: duplicate repository name `app`: repos[0] has it too — give each repository a unique `name`",
            "quarry.toml:11:1: repos[3]: duplicate repository name `git.example.com/y/lib` (derived from `url`): repos[2] has it too — give each repository a unique `name`",
        ]
    );
    assert_eq!(
        check("[[repos]]\npath = \"/srv/app\"\nbranches = [\"\", \"a[\"]\nvisibility = \"private\"\n"),
        [
            "quarry.toml:3:13: repos[0].branches[0]: empty glob — remove it or write a pattern, e.g. \"release/*\"",
            "quarry.toml:3:17: repos[0].branches[1]: invalid glob `a[`: unclosed character class; missing ']' — fix the pattern: `*` matches within a path component, `**` across, `?` one character, `[abc]` and `{a,b}` alternatives",
            "quarry.toml:4:14: repos[0].visibility: unknown visibility `private` — write \"public\", or a table { users = [...], groups = [...] } to show the repositories only to those users and groups",
        ]
    );
    // A problem in one entry does not hide problems in the following ones, and their indices
    // stay those of the file.
    assert_eq!(
        check("[[repos]]\npath = \"/b\"\nkind = 1\n\n[[repos]]\npath = \"/a\"\nurl = \"https://x.example/a.git\"\n"),
        [
            "quarry.toml:3:1: repos[0].kind: unknown key `kind` — remove it; the keys allowed here are `branches`, `interval`, `name`, `path`, `tags`, `url`, `visibility`",
            "quarry.toml:5:1: repos[1]: both `url` and `path` are set — keep `url` for a git remote, or `path` for a local directory",
        ]
    );
}

#[test]
fn code_hosts() {
    assert_eq!(
        check("[[code_hosts]]\nkind = \"githb\"\norgs = [\"a\"]\n"),
        ["quarry.toml:2:8: code_hosts[0].kind: unknown kind `githb` — did you mean \"github\"? (one of \"github\", \"gitlab\", \"gitea\", \"forgejo\", \"bitbucket-cloud\", \"bitbucket-server\")"]
    );
    assert_eq!(
        check("[[code_hosts]]\norgs = [\"a\"]\n"),
        ["quarry.toml:1:1: code_hosts[0]: missing `kind` — add `kind = \"github\"` or another of \"github\", \"gitlab\", \"gitea\", \"forgejo\", \"bitbucket-cloud\", \"bitbucket-server\""]
    );
    assert_eq!(
        check("[[code_hosts]]\nkind = \"gitea\"\norgs = [\"a\"]\n"),
        ["quarry.toml:1:1: code_hosts[0]: missing key `url` — add `url = \"...\"`: Instance URL (required), e.g. `https://codeberg.org`. The API is under `/api/v1`."]
    );
    assert_eq!(
        check("[[code_hosts]]\nkind = \"github\"\n"),
        ["quarry.toml:1:1: code_hosts[0]: nothing to discover — list at least one account in `orgs` or `users`"]
    );
    // The first entry is dropped (bad kind); the second's problem keeps its index and position.
    assert_eq!(
        check("[[code_hosts]]\nkind = 7\n\n[[code_hosts]]\nkind = \"gitlab\"\nurl = \"gitlab.example.com\"\ngroups = [\"a\"]\n"),
        [
            "quarry.toml:2:8: code_hosts[0].kind: expected a string, found an integer — write one of \"github\", \"gitlab\", \"gitea\", \"forgejo\", \"bitbucket-cloud\", \"bitbucket-server\"",
            "quarry.toml:6:7: code_hosts[1].url: invalid `url`: not an http:// or https:// URL — write the http:// or https:// URL of the instance or its API, e.g. \"https://git.example.com\"",
        ]
    );
    let config = load_env("[[code_hosts]]\nkind = \"forgejo\"\nurl = \"https://codeberg.org\"\norgs = [\"forgejo\"]\nbranches = [\"main\"]\n", &[]);
    assert!(
        matches!(&config.code_hosts[0].host, CodeHost::Gitea(c) if c.url == "https://codeberg.org")
    );
    assert_eq!(config.code_hosts[0].branches, ["main"]);
}

#[test]
fn secret_references() {
    assert_eq!(
        check("[webhooks]\ngithub_secret = { env = \"\" }\ngitlab_token = { file = \"secrets/gitlab\" }\ngitea_secret = { env = \"A\", file = \"/b\" }\n"),
        [
            "quarry.toml:2:25: webhooks.github_secret.env: `` is not an environment variable name — name the variable that holds the secret, e.g. { env = \"GITHUB_TOKEN\" }",
            "quarry.toml:3:25: webhooks.gitlab_token.file: the secret file `secrets/gitlab` is not an absolute path — write the file's absolute path, e.g. { file = \"/run/secrets/token\" }",
            "quarry.toml:4:16: webhooks.gitea_secret: a secret reference names both `env` and `file` — keep one of them",
        ]
    );
    assert_eq!(
        check("[webhooks]\ngithub_secret = { evn = \"X\" }\n"),
        ["quarry.toml:2:19: webhooks.github_secret.evn: unknown key `evn` in a secret reference — did you mean `env`?"]
    );
}

#[test]
fn every_problem_is_reported() {
    let diags = check(
        "serach = 1\nlisten = \"nowhere\"\n[search]\ndefault_limit = \"x\"\ndefault_timeout = \"soon\"\n[[repos]]\nurl = \"https://a.example/a.git\"\npath = \"/a\"\n",
    );
    let lines: Vec<usize> = diags
        .iter()
        .map(|d| d.split(':').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 4, 5, 6], "{diags:#?}");
}

#[test]
fn syntax_errors() {
    let diags = check("listen = \"127.0.0.1:7340\"\n[search\nmax_concurrent = 4\n");
    assert_eq!(
        diags,
        ["quarry.toml:2:8: unclosed table, expected `]` — fix the TOML syntax here (strings in double quotes, tables as [name], lists as [a, b])"]
    );
    let diags = check("a = = 1\n");
    assert!(diags[0].starts_with("quarry.toml:1:5: "), "{diags:?}");
}

#[test]
fn environment_overrides() {
    let file = "listen = \"127.0.0.1:7340\"\n[search]\nmax_concurrent = 4\ndefault_limit = 100\n";
    let config = load_env(
        file,
        &[
            ("QUARRY_LISTEN", "0.0.0.0:7340"),
            ("QUARRY_SEARCH__MAX_CONCURRENT", "16"),
            ("QUARRY_SEARCH__DEFAULT_TIMEOUT", "30s"),
            ("QUARRY_AUTH__REQUIRED", "true"),
            ("QUARRY_SYNC__JITTER", "0.25"),
            ("QUARRY_LOG__LEVEL", "debug,quarry_server=trace"),
            ("QUARRY_LOG__FORMAT", "json"),
            ("QUARRY_INDEX__MAX_FILE_SIZE", "2MiB"),
            ("QUARRY_INDEX__SHARD_SIZE", "1048576"),
            ("QUARRY_DATA_DIR", "/srv/quarry"),
            ("QUARRY_WEBHOOKS__GITHUB_SECRET", "{ env = \"GH_HOOK\" }"),
            (
                "QUARRY_REPOS",
                "[{ url = \"https://git.example.com/a.git\", branches = [\"main\", \"release/*\"] }, { path = \"/srv/b\" }]",
            ),
            // Not configuration: ignored.
            ("QUARRY_DATA", "/elsewhere"),
            ("QUARRY_TEST_ANYTHING", "x"),
            ("QUARRY_GITHUB_WEBHOOK_SECRET", "not-a-key"),
            ("PATH", "/bin"),
        ],
    );
    assert_eq!(config.listen, "0.0.0.0:7340".parse().unwrap());
    assert_eq!(config.search.max_concurrent, 16);
    assert_eq!(
        config.search.default_limit, 100,
        "keys not overridden keep the file's value"
    );
    assert_eq!(config.search.default_timeout, Duration::from_secs(30));
    assert!(config.auth.required);
    assert_eq!(config.sync.jitter, 0.25);
    assert_eq!(config.log.level, "debug,quarry_server=trace");
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.index.max_file_size, 2 << 20);
    assert_eq!(config.index.shard_size, 1 << 20);
    assert_eq!(config.data_dir, Some(PathBuf::from("/srv/quarry")));
    assert_eq!(
        config.webhooks.github_secret,
        Some(SecretRef::Env("GH_HOOK".into()))
    );
    assert_eq!(config.repos.len(), 2);
    assert_eq!(config.repos[0].branches, ["main", "release/*"]);
    assert_eq!(config.repos[1].path, Some(PathBuf::from("/srv/b")));

    // A table, then its keys.
    let config = load_env(
        "",
        &[
            ("QUARRY_SEARCH", "{ max_concurrent = 3, default_limit = 9 }"),
            ("QUARRY_SEARCH__DEFAULT_LIMIT", "10"),
        ],
    );
    assert_eq!(
        (config.search.max_concurrent, config.search.default_limit),
        (3, 10)
    );

    // `load` asks a lookup function for every key.
    let path = example_path();
    let config = load(&path, &|name| match name {
        "QUARRY_SEARCH__MAX_CONCURRENT" => Some("32".into()),
        "QUARRY_AUTH__REQUIRED" => Some("true".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.search.max_concurrent, 32);
    assert!(config.auth.required);

    assert_eq!(
        env_var_for("search.max_concurrent"),
        "QUARRY_SEARCH__MAX_CONCURRENT"
    );
    assert_eq!(env_var_for("listen"), "QUARRY_LISTEN");
}

#[test]
fn bad_environment_overrides() {
    assert_eq!(
        check_env("", &[("QUARRY_SEARCH__MAX_CONCURRENT", "lots")]),
        ["env:QUARRY_SEARCH__MAX_CONCURRENT:1:1: search.max_concurrent: expected an integer, found a string — write a whole number without quotes, e.g. `QUARRY_SEARCH__MAX_CONCURRENT=8`"]
    );
    assert_eq!(
        check_env("", &[("QUARRY_AUTH__REQUIRED", "yes")]),
        ["env:QUARRY_AUTH__REQUIRED:1:1: auth.required: expected true or false, found a string — write `QUARRY_AUTH__REQUIRED=true` or `QUARRY_AUTH__REQUIRED=false`, without quotes"]
    );
    assert_eq!(
        check_env("", &[("QUARRY_SEARCH__DEFAULT_TIMEOUT", "10 parsecs")]),
        ["env:QUARRY_SEARCH__DEFAULT_TIMEOUT:1:1: search.default_timeout: invalid duration `10 parsecs`: unknown unit `parsecs` (units: ns, us, ms, s, m, h, d, w, and spelled out: seconds, minutes, hours, days, weeks) — write a number and a unit, e.g. \"30s\", \"5m\", \"1h30m\" or \"7d\""]
    );
    assert_eq!(
        check_env("", &[("QUARRY_SERCH__MAX_CONCURRENT", "16")]),
        ["env:QUARRY_SERCH__MAX_CONCURRENT:1:1: serch.max_concurrent: unknown configuration variable `QUARRY_SERCH__MAX_CONCURRENT` — did you mean `QUARRY_SEARCH__MAX_CONCURRENT`?"]
    );
    assert_eq!(
        check_env("", &[("QUARRY_LISTN", "0.0.0.0:1")]),
        ["env:QUARRY_LISTN:1:1: listn: unknown configuration variable `QUARRY_LISTN` — did you mean `QUARRY_LISTEN`?"]
    );
    assert_eq!(
        check_env("", &[("QUARRY_REPOS__0__URL", "https://x.example/a.git")]),
        ["env:QUARRY_REPOS__0__URL:1:1: repos.0.url: `QUARRY_REPOS__0__URL` sets a key inside `repos`, whose entries cannot be set one key at a time from the environment — set the whole list as a TOML array instead, e.g. QUARRY_REPOS='[{ url = \"https://git.example.com/app.git\" }]'"]
    );
    // Positions inside a variable's value.
    assert_eq!(
        check_env("", &[("QUARRY_REPOS", "[{ path = \"/a\" }, { path = 3 }]")]),
        ["env:QUARRY_REPOS:1:28: repos[1].path: expected a string, found an integer — write the value in double quotes, e.g. `path = \"...\"`"]
    );
    // File problems first, then the environment's.
    assert_eq!(
        check_env("serach = 1\n", &[("QUARRY_LISTEN", "nowhere")]),
        [
            "quarry.toml:1:1: serach: unknown key `serach` — did you mean `search`?",
            "env:QUARRY_LISTEN:1:1: listen: `nowhere` is not an IP address and port — write an IP address and a port, e.g. \"127.0.0.1:7340\" (this machine only), \"0.0.0.0:7340\" (all interfaces) or \"[::]:7340\"",
        ]
    );
}

#[test]
fn relative_paths_are_relative_to_the_file() {
    let config = load_env("data_dir = \"data\"\n[[repos]]\npath = \"src/app\"\n", &[]);
    assert_eq!(config.data_dir, Some(PathBuf::from("/etc/quarry/data")));
    assert_eq!(
        config.repos[0].path,
        Some(PathBuf::from("/etc/quarry/src/app"))
    );
    assert_eq!(config.repos[0].effective_name(), "app");
}

#[test]
fn schema_has_descriptions_and_closed_tables() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    let listen = &schema["properties"]["listen"];
    assert!(listen["description"]
        .as_str()
        .unwrap()
        .contains("listens on"));
    assert_eq!(listen["default"], "127.0.0.1:7340");
    assert_eq!(listen["x-quarry-restart"], true);
    let search = &schema["$defs"]["SearchConfig"];
    assert_eq!(search["additionalProperties"], false);
    assert!(search["properties"]["max_concurrent"]["description"]
        .as_str()
        .unwrap()
        .starts_with("Searches run at the same time"));
    assert_eq!(
        search["properties"]["default_timeout"]["format"],
        "duration"
    );

    // Every object schema with properties is closed and every property is described.
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(obj) => {
                if let Some(Value::Object(props)) = obj.get("properties") {
                    assert_eq!(
                        obj.get("additionalProperties"),
                        Some(&Value::Bool(false)),
                        "{path}"
                    );
                    for (k, p) in props {
                        let described = p.get("description").is_some()
                            || (path.contains("SecretRef") && (k == "env" || k == "file"));
                        assert!(described, "{path}.{k} has no description");
                    }
                }
                for (k, child) in obj {
                    walk(child, &format!("{path}/{k}"));
                }
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, &format!("{path}/{i}"))),
            _ => {}
        }
    }
    walk(&schema, "");

    // Code hosts: one closed schema per kind, with the common keys.
    let variants = schema["$defs"]["CodeHostSource"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(variants.len(), 5);
    for v in variants {
        assert_eq!(v["additionalProperties"], false);
        for key in ["kind", "branches", "tags", "interval", "visibility"] {
            assert!(v["properties"].get(key).is_some(), "{key} in {v}");
        }
    }
    // No nulls: TOML has none.
    assert!(!serde_json::to_string(&schema).unwrap().contains("\"null\""));
}

#[test]
fn reference_lists_every_key() {
    let md = reference_markdown();
    assert!(md.starts_with("## Configuration reference\n"));
    for key in schema_keys(&schema()) {
        let (section, rest) = key.split_once('.').unwrap_or(("", &key));
        let shown = match (section, key.as_str()) {
            (_, "repos" | "code_hosts") => format!("`[[{key}]]`"),
            ("", "listen" | "data_dir") => format!("`{key}`"),
            ("", _) => format!("`[{key}]`"),
            ("repos" | "code_hosts", _) => format!("`{section}[].{rest}`"),
            _ => format!("`{key}`"),
        };
        if key == "code_hosts.kind" {
            assert!(md.contains("`kind = \"github\"`"));
            continue;
        }
        assert!(md.contains(&shown), "{shown} missing from the reference");
    }
    assert!(
        md.contains("| `listen` | address | `\"127.0.0.1:7340\"` | restart |"),
        "{md}"
    );
    assert!(md.contains("| `search.max_concurrent` | integer ≥ 1 | `8` | live |"));
    assert!(
        md.contains("| `log.format` | `\"auto\"`, `\"json\"`, `\"text\"` | `\"auto\"` | restart |")
    );
    assert!(md.contains("| `code_hosts[].url` (required) |"));
}

#[test]
fn changes_tell_live_from_restart() {
    let old = Config::default();
    assert!(changes(&old, &old).is_empty());
    let mut new = old.clone();
    new.listen = "0.0.0.0:7340".parse().unwrap();
    new.data_dir = Some("/srv/quarry".into());
    new.log.format = LogFormat::Json;
    new.log.level = "debug".into();
    new.search.max_concurrent = 3;
    new.index.max_file_size = 2 << 20;
    new.auth.required = true;
    new.repos.push(RepoSource {
        path: Some("/srv/a".into()),
        ..Default::default()
    });
    new.telemetry.otlp_endpoint = Some("http://127.0.0.1:4318".into());
    let got: Vec<(String, bool)> = changes(&old, &new)
        .into_iter()
        .map(|c| (c.key_path, c.needs_restart))
        .collect();
    let want: Vec<(String, bool)> = [
        ("auth.required", false),
        ("data_dir", true),
        ("index.max_file_size", false),
        ("listen", true),
        ("log.format", true),
        ("log.level", false),
        ("repos", false),
        ("search.max_concurrent", false),
        ("telemetry.otlp_endpoint", true),
    ]
    .into_iter()
    .map(|(k, r)| (k.to_string(), r))
    .collect();
    assert_eq!(got, want);
    let change = Change {
        key_path: "listen".into(),
        needs_restart: true,
    };
    assert_eq!(change.to_string(), "listen (needs a restart)");
}

const INLINE_SECRET: &str = "ghp_inline-s3cr3t-0c4e";

#[test]
fn redacted_hides_url_credentials() {
    let mut config = Config::default();
    config.repos.push(RepoSource {
        url: Some(format!("https://bob:{INLINE_SECRET}@git.example.com/a.git")),
        ..Default::default()
    });
    let json = redacted(&config).to_string();
    assert!(
        json.contains("https://bob:***@git.example.com/a.git"),
        "{json}"
    );
    assert!(!json.contains(INLINE_SECRET));
}

#[test]
fn unreadable_file() {
    let diags = load(Path::new("/nonexistent/quarry.toml"), &|_| None).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(diags[0]
        .to_string()
        .starts_with("/nonexistent/quarry.toml:1:1: cannot read the configuration file: "));
}
