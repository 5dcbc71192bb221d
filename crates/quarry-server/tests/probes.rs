//! Probes answer before the index is loaded, and say why the server is not ready.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use quarry_index::DataDir;
use quarry_search::SearchOptions;
use quarry_server::auth::BoxFuture;
use quarry_server::probes::HealthCheck;
use quarry_server::{router, AppState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

struct Flaky(Arc<AtomicBool>);

impl HealthCheck for Flaky {
    fn name(&self) -> &str {
        "store"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        let ok = self.0.load(Ordering::Relaxed);
        Box::pin(async move {
            if ok {
                Ok(())
            } else {
                Err("database is locked".to_string())
            }
        })
    }
}

async fn get(state: &Arc<AppState>, uri: &str) -> (StatusCode, String) {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn probes_report_loading_and_failing_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(DataDir::new(dir.path()), SearchOptions::default(), 4);
    let store_ok = Arc::new(AtomicBool::new(true));
    state
        .health_checks
        .write()
        .unwrap()
        .push(Arc::new(Flaky(store_ok.clone())));

    // Before the index is loaded: alive, not started, not ready.
    assert_eq!(get(&state, "/healthz").await.0, StatusCode::OK);
    assert_eq!(
        get(&state, "/startupz").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (code, body) = get(&state, "/readyz?verbose").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["checks"][0]["name"], "index");
    assert_eq!(v["checks"][0]["ok"], false);

    state.load();
    assert_eq!(get(&state, "/startupz").await.0, StatusCode::OK);
    assert_eq!(get(&state, "/readyz").await.0, StatusCode::OK);

    // A dependency failing makes the server unready, and says why.
    store_ok.store(false, Ordering::Relaxed);
    let (code, body) = get(&state, "/readyz?verbose").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("database is locked"), "{body}");
    let (code, body) = get(&state, "/healthz?verbose").await;
    assert_eq!(code, StatusCode::OK);
    assert!(body.contains("uptimeMs"));
}
