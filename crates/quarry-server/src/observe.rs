//! Every request observed: a request id (the caller's `X-Request-Id` when sane, else a new
//! one) echoed in the response, an `http_request` span continuing the caller's W3C trace,
//! metrics by route template, and a log line. Plus the `/metrics` endpoint.

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quarry_telemetry::catalog::{
    HTTP_REQUESTS_IN_FLIGHT, HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// The request's id, for handlers that want to mention it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The route label of requests no route matched (UI pages, static fallbacks): one value, so
/// arbitrary paths cannot grow the label set.
const UNMATCHED: &str = "fallback";

/// A caller's id is kept when it could not confuse logs or headers: short, and only letters,
/// digits and `-_.:`.
fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// A new id: unique in this process (a counter), unlikely to collide across processes (the
/// start time and pid mixed in).
fn new_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        t ^ ((std::process::id() as u64) << 40)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // splitmix64: spreads consecutive counters so ids do not look sequential.
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    format!("{:016x}", z ^ (z >> 31))
}

/// Decrements the in-flight gauge however the request ends (a dropped connection included).
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).decrement(1.0);
    }
}

pub async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = InFlight::start();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(new_id);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED.to_string());
    let method = req.method().as_str().to_string();
    let span = tracing::info_span!(
        "http_request",
        otel.kind = "server",
        method = %method,
        route = %route,
        request_id = %id,
        status = tracing::field::Empty,
    );
    quarry_telemetry::set_parent_from_headers(&span, req.headers());
    req.extensions_mut().insert(RequestId(id.clone()));

    let mut resp = next.run(req).instrument(span.clone()).await;

    let status = resp.status();
    let elapsed = started.elapsed();
    span.record("status", status.as_u16());
    let labels = [("route", route.clone()), ("method", method.clone())];
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, &labels).record(elapsed.as_secs_f64());
    metrics::counter!(
        HTTP_REQUESTS_TOTAL,
        "route" => route.clone(),
        "method" => method.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1e3;
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                duration_ms = ms,
                "{method} {route} answered {status}"
            );
        } else {
            tracing::debug!(
                status = status.as_u16(),
                duration_ms = ms,
                "{method} {route} answered {status}"
            );
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// `GET /metrics`: the Prometheus text format.
pub async fn metrics() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, quarry_telemetry::CONTENT_TYPE)],
        quarry_telemetry::render_metrics(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(sane("abc-123_x.y:z"));
        assert!(!sane("") && !sane("a b") && !sane("x\ny") && !sane(&"a".repeat(129)));
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(sane(&a) && a.len() == 16);
    }
}
