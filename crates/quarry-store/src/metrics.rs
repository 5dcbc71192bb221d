//! Store latency, as seen by quarry (pool wait included), for `/metrics`.

use std::time::Instant;

/// Records `quarry_store_query_duration_seconds{op}` when dropped, so that every return path
/// of a store method (errors included) is measured.
pub(crate) struct Timer {
    op: &'static str,
    started: Instant,
}

impl Timer {
    pub(crate) fn start(op: &'static str) -> Timer {
        Timer {
            op,
            started: Instant::now(),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        metrics::histogram!("quarry_store_query_duration_seconds", "op" => self.op)
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// Registers the help text of the store metrics.
pub fn describe_metrics() {
    metrics::describe_histogram!(
        "quarry_store_query_duration_seconds",
        metrics::Unit::Seconds,
        "Time a state store operation took, by operation (e.g. authenticate_token, record_sync_ok, ping)."
    );
}
