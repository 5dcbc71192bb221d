//! Search metrics: requests by API and outcome (429s counted as rejected), durations, and the
//! engine's stage histograms and counters.

use axum::body::{to_bytes, Body};
use axum::http::Request;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use quarry_search::SearchOptions;
use quarry_server::{router, AppState};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

async fn get(state: &Arc<AppState>, uri: &str) -> u16 {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    status
}

#[tokio::test]
async fn searches_are_counted_by_api_and_outcome() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // Global: searches run on other threads.
    recorder.install().unwrap();
    quarry_server::describe_search_metrics();
    quarry_server::describe_metrics();
    quarry_index::describe_metrics();
    quarry_telemetry::catalog::describe_all();

    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.txt"), "hello\nhello\n").unwrap();
    let data = DataDir::new(dir.path().join("data"));
    index_repository(&data, "demo", &tree, &IndexOptions::default(), &NoProgress).unwrap();
    let state = AppState::new(data, SearchOptions::default(), 1);
    state.load();

    assert_eq!(get(&state, "/api/search?q=hello").await, 200);
    assert_eq!(get(&state, "/api/search?q=hello%20count:1").await, 200);
    assert_eq!(get(&state, "/api/search?q=lang:nosuchlanguage").await, 400);
    assert_eq!(get(&state, "/.api/search/stream?q=hello").await, 200);
    assert_eq!(get(&state, "/.api/search/stream?q=/a(b/").await, 200);
    let busy = state.search_slots.clone().try_acquire_owned().unwrap();
    assert_eq!(get(&state, "/api/search?q=hello").await, 429);
    assert_eq!(get(&state, "/.api/search/stream?q=hello").await, 429);
    drop(busy);

    let mut counters = BTreeMap::new();
    let mut histograms = BTreeMap::new();
    for (key, _, desc, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        assert!(desc.is_some(), "{name} is not described");
        match value {
            DebugValue::Counter(n) => {
                counters.insert(name, n);
            }
            DebugValue::Histogram(v) => {
                histograms.insert(name, v.len());
            }
            DebugValue::Gauge(_) => {}
        }
    }
    let count = |k: &str| counters.get(k).copied().unwrap_or(0);
    assert_eq!(
        count("quarry_search_requests_total{api=json,outcome=ok}"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        count("quarry_search_requests_total{api=json,outcome=limit}"),
        1
    );
    assert_eq!(
        count("quarry_search_requests_total{api=json,outcome=error}"),
        1
    );
    assert_eq!(
        count("quarry_search_requests_total{api=json,outcome=rejected}"),
        1
    );
    assert_eq!(
        count("quarry_search_requests_total{api=stream,outcome=ok}"),
        1
    );
    assert_eq!(
        count("quarry_search_requests_total{api=stream,outcome=error}"),
        1
    );
    assert_eq!(
        count("quarry_search_requests_total{api=stream,outcome=rejected}"),
        1
    );
    assert_eq!(count("quarry_search_shards_searched_total{}"), 3);
    assert_eq!(count("quarry_search_candidate_files_total{}"), 3);
    assert_eq!(count("quarry_search_files_matched_total{}"), 3);
    assert_eq!(histograms["quarry_search_duration_seconds{api=json}"], 2);
    assert_eq!(histograms["quarry_search_duration_seconds{api=stream}"], 1);
    for stage in ["parse", "plan", "shards", "merge"] {
        let k = format!("quarry_search_stage_duration_seconds{{stage={stage}}}");
        assert!(
            histograms.get(&k).is_some_and(|n| *n >= 3),
            "{k}: {histograms:?}"
        );
    }
}
