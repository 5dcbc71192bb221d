//! Probes for orchestrators and operators: `/healthz` (the process answers), `/readyz` (it can
//! serve: index loaded, store reachable) and `/startupz` (loading progress). `?verbose` returns
//! each check as JSON. They answer from the first second: loading never blocks the listener.

use crate::auth::BoxFuture;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// Something readiness depends on besides the index (the state store, ...).
pub trait HealthCheck: Send + Sync {
    fn name(&self) -> &str;
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

/// Where start-up is.
#[derive(Clone, Debug)]
pub struct Startup {
    pub started: Instant,
    pub phase: String,
    pub done: bool,
}

impl Default for Startup {
    fn default() -> Self {
        Startup {
            started: Instant::now(),
            phase: "starting".into(),
            done: false,
        }
    }
}

#[derive(Deserialize)]
pub struct Verbose {
    verbose: Option<String>,
}

fn answer(ok: bool, verbose: bool, body: serde_json::Value) -> Response {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if verbose {
        (status, Json(body)).into_response()
    } else {
        (status, if ok { "ok\n" } else { "not ready\n" }).into_response()
    }
}

pub async fn healthz(State(state): State<Arc<AppState>>, Query(v): Query<Verbose>) -> Response {
    let uptime = state
        .startup
        .read()
        .expect("not poisoned")
        .started
        .elapsed();
    answer(
        true,
        v.verbose.is_some(),
        json!({ "status": "ok", "uptimeMs": uptime.as_millis() as u64 }),
    )
}

pub async fn startupz(State(state): State<Arc<AppState>>, Query(v): Query<Verbose>) -> Response {
    let s = state.startup.read().expect("not poisoned").clone();
    answer(
        s.done,
        v.verbose.is_some(),
        json!({ "done": s.done, "phase": s.phase, "elapsedMs": s.started.elapsed().as_millis() as u64, "shards": state.shard_count() }),
    )
}

pub async fn readyz(State(state): State<Arc<AppState>>, Query(v): Query<Verbose>) -> Response {
    let startup = state.startup.read().expect("not poisoned").clone();
    let mut checks = vec![json!({
        "name": "index",
        "ok": startup.done,
        "detail": if startup.done { format!("{} shards loaded", state.shard_count()) } else { format!("loading: {}", startup.phase) },
    })];
    let extra = state.health_checks.read().expect("not poisoned").clone();
    for c in extra {
        let r = c.check().await;
        checks.push(json!({ "name": c.name(), "ok": r.is_ok(), "detail": r.err().unwrap_or_else(|| "ok".into()) }));
    }
    let ok = checks.iter().all(|c| c["ok"] == true);
    answer(
        ok,
        v.verbose.is_some(),
        json!({ "status": if ok { "ok" } else { "unavailable" }, "checks": checks }),
    )
}
