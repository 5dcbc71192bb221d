//! Outgoing requests carry the current span's W3C trace context.

use crate::common;
use common::{options, Mock, Reply};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use quarry_codehost::{discover, Client, CodeHost, GitHubConfig};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test]
async fn requests_carry_the_current_trace() {
    // What quarry_telemetry::init sets up, without exporting: the global propagator and an
    // OpenTelemetry layer (on this thread, where the single-threaded test runtime runs).
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Mock::start(|_, _| Reply::json("[]")).await;
    let host = CodeHost::GitHub(GitHubConfig {
        url: Some(format!("{}/api/v3", server.base)),
        orgs: vec!["acme".into()],
        ..GitHubConfig::default()
    });
    let client = Client::with_options(options()).unwrap();

    let span = tracing::info_span!("sync_job");
    let trace_id = span.context().span().span_context().trace_id().to_string();
    discover(&host, &client).instrument(span).await.unwrap();
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let tp = r.header("traceparent").expect("traceparent sent");
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(parts.len(), 4, "{tp}");
        assert_eq!(parts[1], trace_id, "the caller's trace continues");
    }

    // Without a span there is still a trace: discovery opens its own.
    discover(&host, &client).await.unwrap();
    let last = server.requests().pop().unwrap();
    let tp = last.header("traceparent").expect("traceparent sent");
    assert!(!tp.contains(&trace_id));
}

#[tokio::test]
async fn no_trace_context_without_tracing() {
    let server = Mock::start(|_, _| Reply::json("[]")).await;
    let host = CodeHost::GitHub(GitHubConfig {
        url: Some(format!("{}/api/v3", server.base)),
        orgs: vec!["acme".into()],
        ..GitHubConfig::default()
    });
    discover(&host, &Client::with_options(options()).unwrap())
        .await
        .unwrap();
    assert!(server.requests()[0].header("traceparent").is_none());
}
