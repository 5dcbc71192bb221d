//! Saturation answers 429 with Retry-After instead of queueing without bound.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quarry_index::DataDir;
use quarry_search::SearchOptions;
use quarry_server::{router, AppState};
use tower::ServiceExt;

#[tokio::test]
async fn saturated_searches_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(DataDir::new(dir.path()), SearchOptions::default(), 1);
    state.load();
    // Hold the only search slot, as a long search would.
    let _busy = state.search_slots.clone().try_acquire_owned().unwrap();
    for uri in ["/api/search?q=foo", "/.api/search/stream?q=foo"] {
        let resp = router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{uri}");
        assert_eq!(resp.headers()["retry-after"], "1");
    }
    drop(_busy);
    let resp = router(state)
        .oneshot(
            Request::get("/api/search?q=foo")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}
