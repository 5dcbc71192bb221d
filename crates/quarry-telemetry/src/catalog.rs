//! Every metric family quarry records, with its help text: described when the recorder is
//! installed, so each family renders with `# HELP` whichever code records it first.
//! Names follow Prometheus conventions: `quarry_` prefix, base units, `_total` on counters.

/// What kind of metric a family is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// `quarry_build_info{version}`: always 1.
pub const BUILD_INFO: &str = "quarry_build_info";
/// HTTP requests answered, by `route` (the matched route template), `method` and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "quarry_http_requests_total";
/// Time to the response head, by `route` and `method`.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "quarry_http_request_duration_seconds";
/// HTTP requests being answered now.
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "quarry_http_requests_in_flight";

/// (name, kind, help) of every family recorded through the `metrics` facade.
pub const FAMILIES: &[(&str, Kind, &str)] = &[
    (
        BUILD_INFO,
        Kind::Gauge,
        "Always 1; the version label says which quarry is running",
    ),
    (
        HTTP_REQUESTS_TOTAL,
        Kind::Counter,
        "HTTP requests answered, by route template, method and status code",
    ),
    (
        HTTP_REQUEST_DURATION_SECONDS,
        Kind::Histogram,
        "Time from receiving an HTTP request to sending the response head, by route template and method",
    ),
    (
        HTTP_REQUESTS_IN_FLIGHT,
        Kind::Gauge,
        "HTTP requests being answered now",
    ),
];

/// Registers the help text of every family in [`FAMILIES`] with the current recorder.
pub fn describe_all() {
    for &(name, kind, help) in FAMILIES {
        match kind {
            Kind::Counter => metrics::describe_counter!(name, help),
            Kind::Gauge => metrics::describe_gauge!(name, help),
            Kind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
}
