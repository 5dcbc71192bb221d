//! A search request's spans: parse, then search with plan, one search_shard per shard and
//! merge, all under the request's span (also across the blocking thread and the shard pool).

use axum::body::{to_bytes, Body};
use axum::http::Request;
use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use quarry_search::SearchOptions;
use quarry_server::{router, AppState};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use tracing::Instrument;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Each new span's name with its ancestors' names, nearest first.
type Seen = Arc<Mutex<Vec<(String, Vec<String>)>>>;

struct Capture(Seen);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        id: &tracing::Id,
        ctx: Context<'_, S>,
    ) {
        let span = ctx.span(id).expect("just created");
        let ancestors = span.scope().skip(1).map(|s| s.name().to_string()).collect();
        self.0
            .lock()
            .unwrap()
            .push((span.name().to_string(), ancestors));
    }
}

#[tokio::test]
async fn search_spans_nest_under_the_request() {
    let seen = Seen::default();
    // Global, not thread-local: the search runs on a blocking thread and the shard pool.
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Capture(seen.clone())),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.txt"), "hello\n").unwrap();
    let data = DataDir::new(dir.path().join("data"));
    index_repository(&data, "demo", &tree, &IndexOptions::default(), &NoProgress).unwrap();
    let state = AppState::new(data, SearchOptions::default(), 4);
    state.load();

    for (api, uri) in [
        ("json", "/api/search?q=hello"),
        ("stream", "/.api/search/stream?q=hello"),
    ] {
        seen.lock().unwrap().clear();
        let resp = router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .instrument(tracing::info_span!("request", api))
            .await
            .unwrap();
        // The stream's search ends before its last event is sent.
        to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        let under = |name: &str| -> Vec<String> {
            seen.iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{api}: no {name} span in {seen:?}"))
                .1
                .clone()
        };
        assert_eq!(under("parse"), ["http_request", "request"], "{api}");
        assert_eq!(under("search"), ["http_request", "request"], "{api}");
        assert_eq!(
            under("plan"),
            ["search", "http_request", "request"],
            "{api}"
        );
        assert_eq!(
            under("search_shard"),
            ["search", "http_request", "request"],
            "{api}"
        );
        assert_eq!(
            under("merge"),
            ["search", "http_request", "request"],
            "{api}"
        );
    }
}
