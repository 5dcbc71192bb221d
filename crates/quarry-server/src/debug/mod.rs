//! `/api/debug/...`: what `quarry debug bundle` collects from a running server (build and
//! host facts, the effective configuration, recent logs, inventory, disk usage, a CPU
//! profile). Admin only, by the rule of every admin action ([`require_admin`] whenever the
//! server has user accounts, which `quarry serve` always has): configuration and logs say
//! much about an installation even with secrets removed. Every answer is scrubbed of secrets.

mod inventory;
mod profile;
pub mod scrub;

pub use inventory::{disk, inventory, Live};

use crate::auth::{require_admin, Caller};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the debug endpoints report that the rest of the server does not keep.
pub struct DebugContext {
    /// The running configuration, redacted (`quarry_config::redacted`); set at start and after
    /// each applied reload.
    pub effective_config: RwLock<Value>,
    pub config_file: RwLock<Option<PathBuf>>,
    pub listen: RwLock<String>,
    pub otlp: AtomicBool,
    /// Errors of the last index load.
    pub load_errors: RwLock<Vec<String>>,
    started: SystemTime,
}

impl Default for DebugContext {
    fn default() -> Self {
        DebugContext {
            effective_config: RwLock::new(Value::Null),
            config_file: RwLock::new(None),
            listen: RwLock::new(String::new()),
            otlp: AtomicBool::new(false),
            load_errors: RwLock::new(Vec::new()),
            started: SystemTime::now(),
        }
    }
}

/// The build this binary comes from.
pub fn build_info() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "gitCommit": env!("QUARRY_GIT_COMMIT"),
        "rustc": env!("QUARRY_RUSTC"),
        "target": env!("QUARRY_TARGET"),
        "profile": env!("QUARRY_PROFILE"),
    })
}

fn proc_text(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The operating system and machine, from `/proc` (Linux; absent elsewhere).
pub fn host_info() -> Value {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).ok();
    let mem_total = proc_text("/proc/meminfo").and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .map(|l| l.trim_start_matches("MemTotal:").trim().to_string())
    });
    json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "kernel": proc_text("/proc/sys/kernel/osrelease"),
        "kernelVersion": proc_text("/proc/sys/kernel/version"),
        "hostname": proc_text("/proc/sys/kernel/hostname"),
        "cpus": cpus,
        "memTotal": mem_total,
        "cgroup": proc_text("/proc/self/cgroup"),
    })
}

/// Secrets known to this process: the configuration's, resolved, and secret-looking variables.
fn secrets(state: &AppState) -> Vec<String> {
    let config = state.debug.effective_config.read().expect("not poisoned");
    let mut s = scrub::config_secrets(&config);
    s.extend(scrub::env_secrets());
    scrub::normalize(s)
}

fn guard(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if state.authenticator.read().expect("not poisoned").is_some() {
        require_admin(caller)?;
    }
    Ok(())
}

fn scrubbed_json(state: &AppState, v: &Value) -> Response {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let text = scrub::scrub(&text, &secrets(state));
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

pub async fn info(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let d = &state.debug;
    let started = d.started.duration_since(UNIX_EPOCH).unwrap_or_default();
    let uptime = SystemTime::now()
        .duration_since(d.started)
        .unwrap_or_default();
    let v = json!({
        "build": build_info(),
        "host": host_info(),
        "pid": std::process::id(),
        "startedAt": started.as_secs(),
        "uptimeSeconds": uptime.as_secs(),
        "dataDir": std::path::absolute(state.data.root()).unwrap_or_else(|_| state.data.root().into()),
        "listen": *d.listen.read().expect("not poisoned"),
        "configFile": *d.config_file.read().expect("not poisoned"),
        "authRequired": state.auth_required.load(Ordering::Relaxed),
        "features": { "otlp": d.otlp.load(Ordering::Relaxed) },
        "shardsLoaded": state.shard_count(),
    });
    Ok(scrubbed_json(&state, &v))
}

pub async fn config(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let v = state
        .debug
        .effective_config
        .read()
        .expect("not poisoned")
        .clone();
    Ok(scrubbed_json(&state, &v))
}

#[derive(Deserialize)]
pub struct Lines {
    lines: Option<usize>,
}

/// The last log lines (JSON, one a line), oldest first.
pub async fn logs(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<Lines>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let all = quarry_telemetry::recent_logs();
    let n = q.lines.unwrap_or(all.len()).min(all.len());
    let mut text = all[all.len() - n..].join("\n");
    text.push('\n');
    let text = scrub::scrub(&text, &secrets(&state));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response())
}

pub async fn inventory_handler(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let live = Live {
        loaded: state.loaded_shard_files(),
        status: state.status.read().expect("not poisoned").clone(),
        load_errors: state
            .debug
            .load_errors
            .read()
            .expect("not poisoned")
            .clone(),
    };
    let data = state.data.clone();
    let v = tokio::task::spawn_blocking(move || inventory(&data, Some(&live)))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(scrubbed_json(&state, &v))
}

pub async fn disk_handler(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let data = state.data.clone();
    let v = tokio::task::spawn_blocking(move || disk(&data))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(scrubbed_json(&state, &v))
}

#[derive(Deserialize)]
pub struct Seconds {
    seconds: Option<u64>,
}

/// `GET /api/debug/pprof/profile?seconds=N`: folded stacks of N seconds (1 to 60, default 5).
pub async fn profile_handler(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<Seconds>,
) -> Result<Response, ApiError> {
    guard(&state, &caller)?;
    let seconds = q.seconds.unwrap_or(5);
    if !(1..=60).contains(&seconds) {
        return Err(ApiError::bad_request("seconds must be between 1 and 60"));
    }
    let result = tokio::task::spawn_blocking(move || profile::folded(Duration::from_secs(seconds)))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match result {
        Ok(text) => {
            let text = scrub::scrub(&text, &secrets(&state));
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
        }
        Err(profile::Error::Busy) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "a CPU profile is already being taken: try again when it is done",
        )),
        Err(profile::Error::Failed(e)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot profile: {e}"),
        )),
    }
}
