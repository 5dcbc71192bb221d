//! Request ids, per-route metrics and `/metrics` access, through the real router.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use quarry_index::DataDir;
use quarry_search::SearchOptions;
use quarry_server::{router, AppState};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(
    state: &Arc<AppState>,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let body = to_bytes(body, 1 << 22).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn state() -> (tempfile::TempDir, Arc<AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(DataDir::new(dir.path()), SearchOptions::default(), 4);
    state.load();
    (dir, state)
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let (_dir, state) = state();
    let (_, h, _) = call(&state, "/healthz", &[("X-Request-Id", "abc-123")]).await;
    assert_eq!(h["x-request-id"], "abc-123");
    // An id that could forge log lines or headers is replaced.
    let (_, h, _) = call(&state, "/healthz", &[("X-Request-Id", "a b\"c")]).await;
    let made = h["x-request-id"].to_str().unwrap();
    assert!(made.len() == 16 && made.chars().all(|c| c.is_ascii_hexdigit()));
    let (_, h2, _) = call(&state, "/healthz", &[]).await;
    assert_ne!(h2["x-request-id"].to_str().unwrap(), made);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    quarry_telemetry::install_metrics();
    let (_dir, state) = state();
    assert_eq!(
        call(&state, "/api/search?q=foo", &[]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "/api/repos/secret-name", &[]).await.0,
        StatusCode::NOT_FOUND
    );
    call(&state, "/some/ui/page", &[]).await;
    let (code, h, text) = call(&state, "/metrics", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    for want in [
        r#"quarry_http_requests_total{route="/api/search",method="GET",status="200"} 1"#,
        r#"quarry_http_requests_total{route="/api/repos/{repo}",method="GET",status="404"} 1"#,
        r#"route="fallback",method="GET""#,
        r#"quarry_http_request_duration_seconds_bucket{route="/api/search",method="GET",le="0.001"}"#,
        "# TYPE quarry_http_request_duration_seconds histogram",
        "# HELP quarry_http_requests_in_flight",
        "process_resident_memory_bytes ",
    ] {
        assert!(text.contains(want), "{want} missing from\n{text}");
    }
    // Raw paths never become label values.
    assert!(!text.contains("secret-name") && !text.contains("/some/ui/page"));
}

#[tokio::test]
async fn metrics_need_sign_in_when_the_api_does() {
    let (_dir, state) = state();
    state
        .auth_required
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (code, h, _) = call(&state, "/metrics", &[]).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert!(
        h.contains_key("x-request-id"),
        "refused requests are observed too"
    );
    assert_eq!(call(&state, "/healthz", &[]).await.0, StatusCode::OK);
}

#[test]
fn metrics_endpoint_is_documented() {
    let doc = quarry_server::openapi::document();
    assert!(doc["paths"].get("/metrics").is_some());
}
