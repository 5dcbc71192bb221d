//! `GET /api/search` (JSON) and `GET /.api/search/stream` (Sourcegraph's event stream).

use crate::auth::Caller;
use crate::convert::{file_match, repo_match, Filters};
use crate::error::ApiError;
use crate::state::{repo_id, AppState};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use quarry_query::Select;
use quarry_search::{SearchOptions, SearchResults, Searcher, ShardResults};
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    /// Maximum number of matches sent on the stream (the search itself is limited by `count:`).
    display: Option<i64>,
    /// `trace=1`: add the search's plan, stage timings and counts to the response.
    trace: Option<String>,
}

impl SearchParams {
    fn trace(&self) -> bool {
        matches!(
            self.trace.as_deref(),
            Some("" | "1" | "true" | "yes" | "on")
        )
    }
}

/// Parses the query; also returns how long that took, for the trace.
fn parse(q: Option<&str>) -> Result<(quarry_query::Query, Duration), ApiError> {
    let q = q.filter(|q| !q.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "no query: pass the search query as ?q=, e.g. ?q=lang:go%20http.Handler",
        )
    })?;
    quarry_search::parse_query(q).map_err(|e| ApiError::bad_request(e.to_string()))
}

const REQUESTS: &str = "quarry_search_requests_total";
const DURATION: &str = "quarry_search_duration_seconds";

/// Describes the search metrics, the server's and the engine's; call once at start-up.
pub fn describe_metrics() {
    quarry_search::describe_metrics();
    describe_counter!(
        REQUESTS,
        "Search requests by API (json, stream) and outcome (ok, limit, timeout, error, rejected: 429 when too many searches run)"
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time of the searches that ran (not invalid or rejected ones), by API"
    );
}

fn count_request(api: &'static str, outcome: &'static str) {
    counter!(REQUESTS, "api" => api, "outcome" => outcome).increment(1);
}

/// Counts a search by how it ended, and records the duration of one that ran.
fn count_search(api: &'static str, r: Result<&SearchResults, ()>, took: Duration) {
    let outcome = match r {
        // An invalid regex: found when compiling, so it took no search time to speak of.
        Err(()) => return count_request(api, "error"),
        Ok(r) if r.timed_out => "timeout",
        Ok(r) if r.limit_hit => "limit",
        Ok(_) => "ok",
    };
    count_request(api, outcome);
    histogram!(DURATION, "api" => api).record(took.as_secs_f64());
}

/// Runs the search, traced when asked: the trace then starts with the parse stage.
fn run(
    searcher: &Searcher,
    query: &quarry_query::Query,
    opts: &SearchOptions,
    on_shard: &(dyn Fn(ShardResults) + Sync),
    trace: Option<Duration>,
) -> Result<SearchResults, quarry_search::SearchError> {
    let Some(parse_took) = trace else {
        return searcher.search_streaming(query, opts, on_shard);
    };
    let mut results = searcher.search_traced(query, opts, on_shard)?;
    if let Some(t) = results.trace.as_mut() {
        t.add_parse(parse_took);
    }
    Ok(results)
}

/// `GET /api/search?q=`: the whole ranked result at once.
pub async fn search_json(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let (query, parse_took) =
        parse(p.q.as_deref()).inspect_err(|_| count_request("json", "error"))?;
    let permit = state
        .search_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            count_request("json", "rejected");
            ApiError::busy()
        })?;
    let searcher = state.searcher_for(caller.0.as_ref());
    let opts = state.search_options();
    let trace = p.trace().then_some(parse_took);
    // The blocking thread does not inherit the request's span; the engine's spans belong in it.
    let span = tracing::Span::current();
    let results = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _entered = span.enter();
        run(&searcher, &query, &opts, &|_| {}, trace)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("search failed: {e}"),
        )
    });
    count_search(
        "json",
        match &results {
            Ok(Ok(r)) => Ok(r),
            _ => Err(()),
        },
        started.elapsed(),
    );
    let results = results?.map_err(|e| ApiError::bad_request(e.to_string()))?;
    let q = p.q.unwrap_or_default();
    let mut body = json!({
        "matchCount": results.match_count,
        "limitHit": results.limit_hit,
        "timedOut": results.timed_out,
        "durationMs": results.duration.as_millis() as u64,
        "results": results.files,
        "repositories": results.repos,
        "stats": results.stats,
    });
    if let Some(alert) = alert(&results, &q) {
        body["alert"] = alert;
    }
    if let Some(t) = &results.trace {
        body["trace"] = json!(t);
    }
    Ok(Json(body).into_response())
}

/// The alert that tells what a limit cut and how to see more.
fn alert(r: &SearchResults, q: &str) -> Option<Value> {
    if r.timed_out {
        Some(json!({
            "title": "Search timed out",
            "description": format!("The search stopped at its time limit after {} matches; results are partial.", r.match_count),
            "proposedQueries": [{ "description": "search for up to a minute", "query": format!("{q} timeout:1m") }],
        }))
    } else if r.limit_hit {
        Some(json!({
            "title": "Result limit hit",
            "description": format!("Showing the first {} matches; there are more.", r.match_count),
            "proposedQueries": [{ "description": "show all matches", "query": format!("{q} count:all") }],
        }))
    } else {
        None
    }
}

fn skipped(r: &SearchResults) -> Vec<Value> {
    let mut out = Vec::new();
    if r.timed_out {
        out.push(json!({
            "reason": "shard-timeout", "title": "timed out", "severity": "warn",
            "message": "Some files were not searched before the time limit.",
            "suggested": { "title": "search longer", "queryExpression": "timeout:1m" },
        }));
    }
    if r.limit_hit {
        out.push(json!({
            "reason": "shard-match-limit", "title": "result limit hit", "severity": "info",
            "message": format!("The search stopped after {} matches.", r.match_count),
            "suggested": { "title": "show all", "queryExpression": "count:all" },
        }));
    }
    out
}

fn event(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// What the stream has sent so far, shared with the search threads.
struct StreamState {
    sent: usize,
    display: usize,
    filters: Filters,
    repos_seen: Vec<String>,
}

/// `GET /.api/search/stream?q=`: matches as each shard finishes, with progress and filters.
pub async fn search_stream(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<SearchParams>,
) -> Response {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<Event>(64);
    let q = p.q.clone().unwrap_or_default();
    let trace = p.trace();
    let (query, parse_took) = match parse(p.q.as_deref()) {
        Ok(q) => q,
        Err(e) => {
            count_request("stream", "error");
            // As Sourcegraph does: a bad query is an alert, then the stream ends normally.
            let events = vec![
                event(
                    "alert",
                    &json!({ "title": "Invalid query", "description": e.message, "proposedQueries": null }),
                ),
                event(
                    "progress",
                    &json!({ "done": true, "matchCount": 0, "durationMs": 0, "skipped": [] }),
                ),
                event("done", &json!({})),
            ];
            return sse(tokio_stream::iter(
                events.into_iter().map(Ok::<_, Infallible>),
            ));
        }
    };
    let permit = match state.search_slots.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => {
            count_request("stream", "rejected");
            return ApiError::busy().into_response();
        }
    };
    let searcher = state.searcher_for(caller.0.as_ref());
    let opts = state.search_options();
    let display = p
        .display
        .filter(|d| *d >= 0)
        .map_or(usize::MAX, |d| d as usize);
    let repositories = {
        let mut names: Vec<&str> = searcher.shards().iter().map(|s| s.repo()).collect();
        names.dedup();
        names.len()
    };
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _entered = span.enter();
        let shared = Mutex::new(StreamState {
            sent: 0,
            display,
            filters: Filters::default(),
            repos_seen: Vec::new(),
        });
        let select_repo = query.select == Some(Select::Repo);
        let on_shard = |r: ShardResults| {
            let mut st = shared.lock().expect("not poisoned");
            let mut batch = Vec::new();
            for f in r.files {
                st.filters.add(f);
                if st.sent >= st.display {
                    continue;
                }
                if select_repo {
                    if !st.repos_seen.iter().any(|x| **x == *f.repo) {
                        st.repos_seen.push(f.repo.to_string());
                        batch.push(repo_match(&f.repo, repo_id(&f.repo)));
                        st.sent += 1;
                    }
                } else {
                    let mut v = file_match(f, repo_id(&f.repo));
                    let room = st.display - st.sent;
                    if let Some(lines) = v.get_mut("lineMatches").and_then(Value::as_array_mut) {
                        lines.truncate(room);
                    }
                    st.sent += f.match_count().min(room);
                    batch.push(v);
                }
            }
            let progress = json!({ "done": false, "matchCount": st.sent, "durationMs": started.elapsed().as_millis() as u64, "repositoriesCount": repositories, "skipped": [] });
            let filters = st.filters.to_json(false);
            drop(st);
            if !batch.is_empty() {
                let _ = tx.blocking_send(event("matches", &Value::Array(batch)));
                let _ = tx.blocking_send(event("filters", &filters));
            }
            let _ = tx.blocking_send(event("progress", &progress));
        };
        let outcome = run(
            &searcher,
            &query,
            &opts,
            &on_shard,
            trace.then_some(parse_took),
        );
        count_search(
            "stream",
            outcome.as_ref().map_err(|_| ()),
            started.elapsed(),
        );
        match outcome {
            Ok(results) => {
                let st = shared.lock().expect("not poisoned");
                let _ = tx.blocking_send(event(
                    "filters",
                    &st.filters.to_json(!results.limit_hit && !results.timed_out),
                ));
                if let Some(a) = alert(&results, &q) {
                    let _ = tx.blocking_send(event("alert", &a));
                }
                let mut skipped = skipped(&results);
                if st.sent >= st.display && st.display < results.match_count {
                    skipped.push(json!({
                        "reason": "display", "title": "display limit hit", "severity": "info",
                        "message": format!("Sent {} of {} matches (display limit).", st.sent, results.match_count),
                    }));
                }
                let progress = json!({
                    "done": true,
                    "matchCount": results.match_count,
                    "durationMs": started.elapsed().as_millis() as u64,
                    "repositoriesCount": repositories,
                    "skipped": skipped,
                });
                let _ = tx.blocking_send(event("progress", &progress));
                // An event Sourcegraph's clients do not know, so they ignore it.
                if let Some(t) = &results.trace {
                    let _ = tx.blocking_send(event("trace", &json!(t)));
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(event("alert", &json!({ "title": "Invalid query", "description": e.to_string(), "proposedQueries": null })));
            }
        }
        let _ = tx.blocking_send(event("done", &json!({})));
    });
    sse(futures_util::StreamExt::map(
        ReceiverStream::new(rx),
        Ok::<Event, Infallible>,
    ))
}

fn sse<S>(stream: S) -> Response
where
    S: futures_util::Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let mut resp = Sse::new(stream).into_response();
    // Tells nginx-style proxies not to hold events back until the search ends.
    resp.headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("valid header"));
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-cache".parse().expect("valid header"),
    );
    resp
}
