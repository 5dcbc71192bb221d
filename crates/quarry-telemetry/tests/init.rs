//! `init` in a process of its own (nextest runs each test in its own process; the subscriber
//! is global, so this file has a single test).

use quarry_telemetry::{init, recent_logs, render_metrics, LogFormat, Settings};

fn logged(needle: &str) -> Option<serde_json::Value> {
    recent_logs()
        .iter()
        .rev()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is JSON"))
        .find(|v| v["message"].as_str().is_some_and(|m| m.contains(needle)))
}

#[test]
fn logs_filter_live_and_metrics() {
    let t = init(&Settings {
        log_level: "info".into(),
        log_format: LogFormat::Json,
        ..Settings::default()
    })
    .unwrap();
    assert!(!t.exporting_traces());

    let span = tracing::info_span!("job", request_id = "r-1");
    span.in_scope(|| tracing::info!(repo = "acme/api", "serving http://127.0.0.1:1/"));
    let line = logged("serving http://").expect("info line kept");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "init");
    assert_eq!(line["repo"], "acme/api");
    assert_eq!(line["span"]["request_id"], "r-1");
    assert!(recent_logs()
        .last()
        .unwrap()
        .contains("http://127.0.0.1:1/"));

    tracing::debug!("hidden at info");
    assert!(logged("hidden at info").is_none());
    t.set_log_filter("info,init=debug").unwrap();
    assert_eq!(t.log_filter(), "info,init=debug");
    tracing::debug!("shown at debug");
    assert!(logged("shown at debug").is_some());

    let err = t.set_log_filter("info,quarry=loud").unwrap_err();
    assert!(
        err.contains("invalid log filter") && err.contains("loud"),
        "{err}"
    );
    assert_eq!(
        t.log_filter(),
        "info,init=debug",
        "a bad filter changes nothing"
    );

    // Installed once by init; installing again does not panic.
    quarry_telemetry::install_metrics();
    let text = render_metrics();
    assert!(text.contains("# HELP quarry_build_info"), "{text}");
    assert!(text.contains(&format!(
        "quarry_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(text.contains("# TYPE process_cpu_seconds_total counter"));

    // A second init fails with a message instead of panicking.
    assert!(init(&Settings::default()).is_err());
}
