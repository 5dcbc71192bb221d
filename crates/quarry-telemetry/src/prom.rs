//! The Prometheus recorder behind the `metrics` facade. quarry serves `/metrics` itself, so
//! the exporter runs no listener; its upkeep (histogram bucket rotation) runs on a timer here.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Histogram bucket bounds in seconds: from a cached API call (1 ms) to a search at its longest
/// time limit (60 s). Without buckets the exporter renders summaries, which cannot be
/// aggregated across instances.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the global recorder once and returns its handle. Safe to call again (tests install
/// it in-process); if another recorder was installed first, the handle renders only what this
/// crate records itself.
pub fn install_metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(SECONDS_BUCKETS)
            .expect("bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        crate::catalog::describe_all();
        metrics::gauge!(crate::catalog::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION"))
            .set(1.0);
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        handle
    })
}

/// The Prometheus text exposition (format 0.0.4) of every metric, process metrics included.
pub fn render_metrics() -> String {
    let mut text = install_metrics().render();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    crate::process::render(&mut text);
    text
}

/// The `Content-Type` of [`render_metrics`]' output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
