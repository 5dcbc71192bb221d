//! `quarry debug bundle`: one `.tar.gz` to diagnose an installation from — what the running
//! server reports (`/api/debug/...`, metrics, probes), what can be read locally (config, data
//! directory, `quarry doctor`), and a `summary.txt` saying what each file is and what could not
//! be collected. Every file is scrubbed of secrets; the environment is never included.

mod archive;
pub(crate) mod http;

use crate::DataArgs;
use archive::Part;
use quarry_server::debug::scrub;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write a .tar.gz with version, effective config (secrets redacted), recent logs,
    /// metrics, probes, inventory, disk usage, a CPU profile and `quarry doctor` results
    Bundle(BundleArgs),
}

#[derive(clap::Args)]
struct BundleArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The running server (plain http) [default: http://127.0.0.1:7340]
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// An admin's access token (the debug endpoints are admin-only)
    #[arg(
        long,
        env = "QUARRY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Where to write the bundle [default: ./quarry-debug-HOST-UTCTIME.tar.gz]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Length of the CPU profile (0: none, at most 60)
    #[arg(long, default_value_t = 5, value_name = "N")]
    profile_seconds: u64,
    /// Configuration file [default: the one the server reports, when readable here]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not verify shard checksums in the doctor run (slow on large indexes)
    #[arg(long)]
    skip_shards: bool,
}

/// Records what `/api/debug/...` reports about the running configuration (`quarry serve`).
pub fn record_config(
    state: &quarry_server::AppState,
    file: Option<&Path>,
    config: &quarry_config::Config,
    otlp: bool,
) {
    let d = &state.debug;
    *d.effective_config.write().expect("not poisoned") = quarry_config::redacted(config);
    *d.config_file.write().expect("not poisoned") =
        file.map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    d.otlp.store(otlp, Ordering::Relaxed);
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        Command::Bundle(b) => bundle(b),
    }
}

fn hostname() -> String {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let h: String = h
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    if h.is_empty() {
        "localhost".into()
    } else {
        h
    }
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

fn bundle(a: BundleArgs) -> anyhow::Result<ExitCode> {
    let url = a
        .url
        .clone()
        .unwrap_or_else(|| format!("http://{}", quarry_server::DEFAULT_LISTEN));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let top = format!("quarry-debug-{}-{}", hostname(), archive::utc_stamp(now));
    let out = a
        .output
        .clone()
        .unwrap_or_else(|| format!("{top}.tar.gz").into());
    let mut parts = vec![Part::new(
        "local/info.json",
        "this quarry command's build and the machine it ran on",
        Ok(json_bytes(&json!({
            "build": quarry_server::debug::build_info(),
            "host": quarry_server::debug::host_info(),
        }))),
    )];
    let client = http::Client::new(&url, a.token.clone());
    let reachable = client.as_ref().map_err(Clone::clone).and_then(|c| {
        c.get("/healthz", Duration::from_secs(5)).and_then(|r| {
            (r.status == 200)
                .then_some(())
                .ok_or(format!("/healthz answered {}", r.status))
        })
    });
    let mut info = Value::Null;
    if let (Ok(c), Ok(())) = (&client, &reachable) {
        info = collect_server(c, &a, &mut parts);
    }
    let (config_path, config_origin) = match (&a.config, info["configFile"].as_str()) {
        (Some(p), _) => (Some(p.clone()), "--config"),
        (None, Some(p)) if Path::new(p).is_file() => {
            (Some(p.into()), "the file the server reports")
        }
        _ => (
            None,
            "none given, and the server reports none readable here",
        ),
    };
    let mut secrets = scrub::env_secrets();
    secrets.extend(a.token.clone());
    let mut config_data_dir = None;
    if let Some(path) = &config_path {
        let body = match crate::serve::read_config(path) {
            Ok(c) => {
                let v = quarry_config::redacted(&c);
                secrets.extend(scrub::config_secrets(&v));
                config_data_dir = c.data_dir.clone();
                Ok(json_bytes(&v))
            }
            // Diagnostics never repeat secret values (secrets are references).
            Err(d) => Err(d
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")),
        };
        parts.push(Part::new(
            "local/config.json",
            "the configuration file read here, every key with its value, secrets as references",
            body,
        ));
    }
    let data = match (&a.data.data, info["dataDir"].as_str(), config_data_dir) {
        (Some(d), _, _) => Some(d.clone()),
        (None, Some(d), _) if Path::new(d).is_dir() => Some(d.into()),
        (None, _, Some(d)) => Some(d),
        _ => a.data.dir().ok().map(|d| d.root().to_path_buf()),
    };
    if let Some(data) = &data {
        if reachable.is_err() {
            let dir = quarry_index::DataDir::new(data);
            parts.push(Part::new("local/inventory.json", "manifests and shards on disk, leftovers (no sync states: the server was not asked)", Ok(json_bytes(&quarry_server::debug::inventory(&dir, None)))));
            parts.push(Part::new(
                "local/disk.json",
                "bytes and files per part of the data directory, free space and inodes",
                Ok(json_bytes(&quarry_server::debug::disk(&dir))),
            ));
        }
        parts.push(Part::new(
            "local/doctor.json",
            "`quarry doctor --format json`: every check, its result and fix",
            doctor(
                &a,
                config_path.as_deref(),
                data,
                reachable.is_ok().then_some(&url),
            ),
        ));
    }
    let secrets = scrub::normalize(secrets);
    let summary = summary(&SummaryFacts {
        url: &url,
        reachable: &reachable,
        info: &info,
        config: (config_path.as_deref(), config_origin),
        data: data.as_deref(),
        secrets: secrets.len(),
        parts: &parts,
    });
    parts.insert(
        0,
        Part::new("summary.txt", "this file", Ok(summary.into_bytes())),
    );
    let size = archive::write(&out, &top, &parts, &secrets)?;
    println!("{} ({size} bytes)", out.display());
    if let Err(e) = &reachable {
        eprintln!("quarry: warning: the server at {url} was not reached ({e}): the bundle holds what could be read locally");
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches every server part; returns `/api/debug/info` (for the config and data paths).
fn collect_server(c: &http::Client, a: &BundleArgs, parts: &mut Vec<Part>) -> Value {
    let fetch = |path: &str, timeout: u64| -> Result<Vec<u8>, String> {
        let r = c.get(path, Duration::from_secs(timeout))?;
        match r.status {
            200..=299 => Ok(r.body),
            401 | 403 => Err(format!(
                "HTTP {}: {} (pass an admin's token with --token or $QUARRY_TOKEN)",
                r.status,
                String::from_utf8_lossy(&r.body).trim()
            )),
            s => Err(format!(
                "HTTP {s}: {}",
                String::from_utf8_lossy(&r.body).trim()
            )),
        }
    };
    let info = fetch("/api/debug/info", 30);
    let info_json = info
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    let mut add = |name: &str, what: &str, body| parts.push(Part::new(name, what, body));
    add("server/info.json", "version, git commit, compiler, OS and kernel, pid, uptime, data directory, listen address, config file, features", info);
    add(
        "server/config.json",
        "the effective running configuration (after reloads), secrets as references",
        fetch("/api/debug/config", 30),
    );
    add(
        "server/logs.ndjson",
        "the last log lines kept in memory (JSON, oldest first)",
        fetch("/api/debug/logs", 30),
    );
    add(
        "server/metrics.txt",
        "/metrics: Prometheus text format",
        fetch("/metrics", 30),
    );
    let mut probes = serde_json::Map::new();
    for p in ["healthz", "readyz", "startupz"] {
        let v = match c.get(&format!("/{p}?verbose"), Duration::from_secs(30)) {
            Ok(r) => json!({ "status": r.status, "body": serde_json::from_slice::<Value>(&r.body)
                .unwrap_or_else(|_| String::from_utf8_lossy(&r.body).into()) }),
            Err(e) => json!({ "error": e }),
        };
        probes.insert(p.into(), v);
    }
    add(
        "server/probes.json",
        "/healthz, /readyz and /startupz with ?verbose: status and each check",
        Ok(json_bytes(&Value::Object(probes))),
    );
    add("server/inventory.json", "repositories with sync state and last error; manifests, shards (size, served or not); load errors; leftovers", fetch("/api/debug/inventory", 60));
    add(
        "server/repos.json",
        "/api/repos: repositories as the API lists them",
        fetch("/api/repos", 30),
    );
    add(
        "server/disk.json",
        "bytes and files per part of the data directory, free space and inodes",
        fetch("/api/debug/disk", 120),
    );
    if a.profile_seconds > 0 {
        let s = a.profile_seconds.min(60);
        add(
            "server/profile.folded",
            &format!("CPU profile of {s} s, folded stacks (inferno-flamegraph, speedscope, flamegraph.pl)"),
            fetch(&format!("/api/debug/pprof/profile?seconds={s}"), s + 60),
        );
    }
    info_json
}

/// Runs `quarry doctor --format json` as a separate process: its exact output, and a crash
/// of a check cannot take the bundle down.
fn doctor(
    a: &BundleArgs,
    config: Option<&Path>,
    data: &Path,
    url: Option<&String>,
) -> Result<Vec<u8>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["doctor", "--format", "json", "--timeout", "5s", "--data"])
        .arg(data);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    if let Some(u) = url {
        cmd.args(["--url", u]);
    }
    if a.skip_shards {
        cmd.arg("--skip-shards");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run quarry doctor: {e}"))?;
    if out.stdout.is_empty() {
        return Err(format!(
            "quarry doctor printed nothing: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

struct SummaryFacts<'a> {
    url: &'a str,
    reachable: &'a Result<(), String>,
    info: &'a Value,
    config: (Option<&'a Path>, &'a str),
    data: Option<&'a Path>,
    secrets: usize,
    parts: &'a [Part],
}

fn summary(f: &SummaryFacts) -> String {
    let build = quarry_server::debug::build_info();
    let mut s = format!(
        "quarry debug bundle\ncreated by quarry {} (commit {}) on {}\n\n",
        build["version"].as_str().unwrap_or("?"),
        build["gitCommit"].as_str().unwrap_or("?"),
        hostname()
    );
    match f.reachable {
        Ok(()) => {
            s += &format!(
                "server: {}: reachable; quarry {} (commit {}), up {} s\n",
                f.url,
                f.info["build"]["version"].as_str().unwrap_or("?"),
                f.info["build"]["gitCommit"].as_str().unwrap_or("?"),
                f.info["uptimeSeconds"]
                    .as_u64()
                    .map_or("?".into(), |u| u.to_string())
            )
        }
        Err(e) => {
            s += &format!(
            "server: {}: UNREACHABLE ({e}): its info, effective config, logs, metrics, probes, \
             inventory with sync states and CPU profile are missing; inventory and disk usage \
             were read from the data directory instead\n",
            f.url
        )
        }
    }
    s += &format!(
        "config file: {}\n",
        f.config.0.map_or(format!("({})", f.config.1), |p| format!(
            "{} ({})",
            p.display(),
            f.config.1
        ))
    );
    s += &format!(
        "data directory: {}\n",
        f.data
            .map_or("(unknown)".into(), |d| d.display().to_string())
    );
    s += &format!(
        "secrets: every file is scrubbed of {} known secret value(s) (configuration references \
         resolved, secret-looking environment variables, the token used), URL credentials, \
         Authorization values and API tokens: each shows as [REDACTED]. The environment is not \
         included.\n\nfiles:\n  {:<24} this file\n",
        f.secrets, "summary.txt"
    );
    for p in f.parts.iter().filter(|p| p.body.is_ok()) {
        s += &format!("  {:<24} {}\n", p.name, p.what);
    }
    let failed: Vec<&Part> = f.parts.iter().filter(|p| p.body.is_err()).collect();
    s += "\nproblems met while collecting:\n";
    if failed.is_empty() {
        s += "  none\n";
    }
    for p in failed {
        s += &format!(
            "  {} ({}): {}\n",
            p.name,
            p.what,
            p.body.as_ref().err().map_or("", |e| e)
        );
    }
    s
}
