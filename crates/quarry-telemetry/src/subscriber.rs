//! The global `tracing` subscriber: a reloadable filter in front of the stderr formatter, the
//! in-memory ring of recent lines and, when export is on, the OpenTelemetry layer.

use crate::{LogFormat, Settings};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

pub(crate) type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// Parses an `EnvFilter` string, with an error that names the string and the problem.
pub(crate) fn parse_filter(filter: &str) -> Result<EnvFilter, String> {
    EnvFilter::builder()
        .parse(filter)
        .map_err(|e| format!("invalid log filter {filter:?}: {e} (expected e.g. `info` or `info,quarry_server=debug`)"))
}

pub(crate) fn install(
    settings: &Settings,
    provider: Option<&SdkTracerProvider>,
) -> anyhow::Result<FilterHandle> {
    let filter = parse_filter(&settings.log_level).map_err(anyhow::Error::msg)?;
    let (filter, handle) = reload::Layer::new(filter);
    let json = match settings.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    type Boxed = Box<
        dyn Layer<tracing_subscriber::layer::Layered<reload::Layer<EnvFilter, Registry>, Registry>>
            + Send
            + Sync,
    >;
    let stderr: Boxed = if json {
        json_layer(std::io::stderr).boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed()
    };
    let otel = provider.map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("quarry")));
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(json_layer(crate::ring::RingWriter))
        .with(otel)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))?;
    Ok(handle)
}

/// One JSON object a line: timestamp, level, target, message and fields at the top level, and
/// the current span's fields under `span`.
fn json_layer<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}
