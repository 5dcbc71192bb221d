//! quarry's logs, metrics and traces, set up in one place by [`init`].
//!
//! # Logs
//!
//! Log lines go to stderr. The format is `[log] format`: `json` (one object a line), `text`
//! (for people), or `auto` (the default): text when stderr is a terminal, JSON otherwise, so a
//! service manager or container runtime gets JSON without being told. A JSON line holds
//! `timestamp`, `level`, `target` (the Rust module), `message`, the event's other fields, and
//! `span` (the fields of the current span, e.g. `request_id` and `route` inside a request).
//! Slashes are not escaped, so `serving http://…` reads as written.
//!
//! What is logged is `[log] level`, in `tracing` `EnvFilter` syntax (`info`,
//! `info,quarry_server=debug`, ...). The environment overrides it as it does every setting:
//! `QUARRY_LOG__LEVEL=debug`. `RUST_LOG` is **not** read: one setting, one place, and the value
//! that hot reload changes is the one in effect. [`Telemetry::set_log_filter`] changes it live
//! and rejects an invalid filter with a message naming the problem.
//!
//! The last [`ring::CAPACITY`] lines are also kept in memory as JSON, whatever the stderr
//! format, for the debug bundle: [`recent_logs`].
//!
//! Errors are logged with their causes: [`error_chain`] / [`display_chain`].
//!
//! # Traces
//!
//! With `[telemetry] otlp_endpoint` set (e.g. `http://127.0.0.1:4318`; `/v1/traces` is appended
//! unless present), spans are exported over OTLP/HTTP (protobuf) in batches, with
//! `service.name` = `[telemetry] service_name`. The W3C TraceContext propagator is global:
//! [`set_parent_from_headers`] continues an incoming `traceparent`, [`inject_trace_context`]
//! adds one to outgoing requests (the code host client does). The `OTEL_*` environment
//! variables of the OTLP exporter (headers, timeout) apply. Dropping [`Telemetry`] (or
//! [`Telemetry::shutdown`]) flushes the spans not yet sent.
//!
//! # Metrics
//!
//! [`install_metrics`] installs a global [`metrics`] recorder (idempotent; [`init`] calls it);
//! [`render_metrics`] renders the Prometheus text format, which quarry serves at `/metrics`
//! (no separate listener). Names follow Prometheus conventions: `quarry_` prefix, base units
//! in the name (`_seconds`, `_bytes`), counters end in `_total`; labels have bounded values
//! (routes are templates such as `/api/repos/{repo}`, never raw paths). Histograms use the
//! buckets [`SECONDS_BUCKETS`] (1 ms to 60 s). Every family has a `# HELP` line; families
//! recorded through `metrics` are listed in [`catalog::FAMILIES`].
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `quarry_build_info` | gauge | `version` | always 1 |
//! | `quarry_http_requests_total` | counter | `route`, `method`, `status` | HTTP requests answered |
//! | `quarry_http_request_duration_seconds` | histogram | `route`, `method` | time to the response head |
//! | `quarry_http_requests_in_flight` | gauge | | requests being answered now |
//! | `process_cpu_seconds_total` | counter | | user + system CPU time |
//! | `process_resident_memory_bytes` | gauge | | resident memory |
//! | `process_virtual_memory_bytes` | gauge | | virtual memory |
//! | `process_open_fds` | gauge | | open file descriptors |
//! | `process_max_fds` | gauge | | limit on open file descriptors (soft) |
//! | `process_start_time_seconds` | gauge | | start time, seconds since the epoch |
//! | `process_threads` | gauge | | OS threads |
//!
//! `route` is the matched route template (`/api/repos/{repo}`, `/api/{*rest}` for unknown API
//! paths); requests that match no route (UI pages) have `route="fallback"`. `/metrics` follows
//! the API's access rule: anonymous when sign-in is not required, else a token or session.
//! The `process_*` families are read from `/proc` at each render (Linux only).

pub mod catalog;
mod error;
mod process;
mod prom;
pub mod ring;
mod subscriber;
mod trace;

pub use error::{display_chain, error_chain};
pub use prom::{install_metrics, render_metrics, CONTENT_TYPE, SECONDS_BUCKETS};
pub use ring::recent_logs;
pub use trace::{current_trace_id, inject_trace_context, set_parent_from_headers};

use opentelemetry_sdk::trace::SdkTracerProvider;

/// Log line format (`[log] format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Text when stderr is a terminal, JSON otherwise.
    #[default]
    Auto,
    Json,
    Text,
}

/// What [`init`] sets up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `EnvFilter` syntax, e.g. `info,quarry_server=debug`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// OTLP/HTTP endpoint; no span export when `None`.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of exported spans.
    pub service_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            log_level: "info".into(),
            log_format: LogFormat::Auto,
            otlp_endpoint: None,
            service_name: "quarry".into(),
        }
    }
}

/// The installed telemetry. Keep it alive while the program runs: dropping it flushes and
/// stops span export (logs and metrics stay installed).
pub struct Telemetry {
    filter: subscriber::FilterHandle,
    /// The filter as given (EnvFilter's own display reorders directives).
    filter_text: std::sync::Mutex<String>,
    provider: Option<SdkTracerProvider>,
}

/// Installs the global log subscriber, the metrics recorder, the trace context propagator and,
/// when an OTLP endpoint is set, span export. Call it once, outside any async runtime (the
/// exporter's blocking HTTP client must not be created or dropped inside one). Fails on an
/// invalid filter or endpoint, or when a subscriber is already installed.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    // Validate before installing anything, so a bad setting leaves no half-done state.
    subscriber::parse_filter(&settings.log_level).map_err(anyhow::Error::msg)?;
    let provider = match settings.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        Some(endpoint) => Some(trace::provider(endpoint, &settings.service_name)?),
        None => None,
    };
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let filter = subscriber::install(settings, provider.as_ref())?;
    install_metrics();
    Ok(Telemetry {
        filter,
        filter_text: std::sync::Mutex::new(settings.log_level.clone()),
        provider,
    })
}

impl Telemetry {
    /// Replaces the log filter (`EnvFilter` syntax) while running. An invalid filter changes
    /// nothing and returns a message naming the problem.
    pub fn set_log_filter(&self, filter: &str) -> Result<(), String> {
        let parsed = subscriber::parse_filter(filter)?;
        self.filter
            .reload(parsed)
            .map_err(|e| format!("cannot change the log filter: {e}"))?;
        *self.filter_text.lock().unwrap_or_else(|p| p.into_inner()) = filter.to_string();
        Ok(())
    }

    /// The log filter in effect, as it was given.
    pub fn log_filter(&self) -> String {
        self.filter_text
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether spans are exported.
    pub fn exporting_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes the spans not yet exported and stops export (also done on drop).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(p) = self.provider.take() {
            if let Err(e) = p.shutdown() {
                tracing::warn!(error = %error_chain(&e), "flushing spans to the OTLP endpoint failed");
            }
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop();
    }
}
