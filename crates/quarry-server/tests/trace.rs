//! `trace=1` on both search APIs adds the search's trace; without it, nothing is added.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use quarry_search::SearchOptions;
use quarry_server::{router, AppState};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

fn state() -> (tempfile::TempDir, Arc<AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("src")).unwrap();
    std::fs::write(tree.join("src/hello.c"), "int hello(void);\n").unwrap();
    std::fs::write(tree.join("src/other.c"), "int other(void);\n").unwrap();
    let data = DataDir::new(dir.path().join("data"));
    index_repository(&data, "demo", &tree, &IndexOptions::default(), &NoProgress).unwrap();
    let state = AppState::new(data, SearchOptions::default(), 4);
    assert!(state.load().is_empty());
    (dir, state)
}

async fn get(state: &Arc<AppState>, uri: &str) -> String {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

fn check_trace(t: &Value) {
    let names: Vec<&str> = t["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["parse", "plan", "shards", "merge"], "{t}");
    assert!(t["totalMs"].as_f64().unwrap() >= 0.0);
    let condition = t["plan"]["condition"].as_str().unwrap();
    assert!(condition.contains("\"hel\""), "{condition}");
    assert_eq!(t["plan"]["patterns"][0]["pattern"], "hello");
    assert_eq!(t["filesMatched"], 1);
    assert_eq!(t["shards"]["searched"], 1);
    assert_eq!(t["slowestShards"][0]["repo"], "demo");
}

#[tokio::test]
async fn json_api_adds_the_trace_when_asked() {
    let (_dir, state) = state();
    let v: Value = serde_json::from_str(&get(&state, "/api/search?q=hello&trace=1").await).unwrap();
    check_trace(&v["trace"]);
    assert_eq!(v["matchCount"], 1);
    for uri in ["/api/search?q=hello", "/api/search?q=hello&trace=0"] {
        let v: Value = serde_json::from_str(&get(&state, uri).await).unwrap();
        assert!(v.get("trace").is_none(), "{uri}: {v}");
        assert_eq!(v["matchCount"], 1);
    }
}

/// The events of an SSE body, as (name, data).
fn events(body: &str) -> Vec<(String, String)> {
    body.split("\n\n")
        .filter_map(|block| {
            let field = |f: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(f).map(str::to_string))
            };
            Some((field("event: ")?, field("data: ").unwrap_or_default()))
        })
        .collect()
}

#[tokio::test]
async fn stream_api_sends_a_trace_event_before_done() {
    let (_dir, state) = state();
    let ev = events(&get(&state, "/.api/search/stream?q=hello&trace=1").await);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    let at = names
        .iter()
        .position(|n| *n == "trace")
        .expect("a trace event");
    assert_eq!(names[at + 1..], ["done"], "{names:?}");
    let trace: Value = serde_json::from_str(&ev[at].1).unwrap();
    check_trace(&trace);
    let ev = events(&get(&state, "/.api/search/stream?q=hello").await);
    assert!(ev.iter().all(|(n, _)| n != "trace"), "{ev:?}");
    assert_eq!(ev.last().unwrap().0, "done");
}

#[test]
fn openapi_documents_the_trace() {
    let doc = quarry_server::openapi::document();
    for path in ["/api/search", "/.api/search/stream"] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "trace"), "{path}");
    }
    let trace = &doc["components"]["schemas"]["SearchTrace"]["properties"];
    for field in [
        "totalMs",
        "stages",
        "plan",
        "shards",
        "slowestShards",
        "stoppedEarly",
    ] {
        assert!(trace.get(field).is_some(), "{field}");
    }
}
