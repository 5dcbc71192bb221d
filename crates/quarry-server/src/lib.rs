//! quarry's HTTP server: the search API (JSON, and a stream in the shape of Sourcegraph's
//! streaming API so that its clients work unchanged), repository status and file contents,
//! and the web UI. Library crates below it know nothing of HTTP; this crate knows nothing of
//! where repositories come from (the CLI wires sync in through [`SyncTrigger`]).

pub mod auth;
mod convert;
pub mod debug;
mod error;
pub mod observe;
pub mod openapi;
pub mod probes;
mod repos;
mod search;
mod state;
mod ui;
pub mod webhooks;

pub use search::describe_metrics as describe_search_metrics;
pub use state::{describe_metrics, repo_id, AppState, SyncState, SyncStatus, SyncTrigger};

use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The default address: loopback only, so a fresh install exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7340";

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/search", get(search::search_json))
        .route("/.api/search/stream", get(search::search_stream))
        .route("/search/stream", get(search::search_stream))
        .route("/api/repos", get(repos::list))
        .route("/api/repos/{repo}", get(repos::get))
        .route("/api/repos/{repo}/blob", get(repos::blob))
        .route("/api/repos/{repo}/sync", post(repos::sync))
        .route("/api/webhooks/{host}", post(webhooks::receive))
        .route("/api/debug/info", get(debug::info))
        .route("/api/debug/config", get(debug::config))
        .route("/api/debug/logs", get(debug::logs))
        .route("/api/debug/inventory", get(debug::inventory_handler))
        .route("/api/debug/disk", get(debug::disk_handler))
        .route("/api/debug/pprof/profile", get(debug::profile_handler))
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/startupz", get(probes::startupz))
        .route("/metrics", get(observe::metrics))
        .route("/_ui/{*file}", get(ui::asset))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/.api/{*rest}", axum::routing::any(api_not_found))
        .fallback(get(ui::page))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        // Outermost, so that requests refused by authentication are observed too.
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}

async fn api_not_found(uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::not_found(format!(
        "no API endpoint {}: /api/openapi.json lists them",
        uri.path()
    ))
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish for
/// at most `grace`, and returns.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let mut stop_rx = stop_rx;
    tokio::select! {
        r = server => r,
        _ = async {
            let _ = stop_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace = ?grace, "in-flight requests did not finish within {grace:?}; stopping anyway");
            Ok(())
        }
    }
}
