//! `serve`'s logs, metrics and traces from the config's `[log]` and `[telemetry]` (other
//! commands keep printing plain lines to stderr for people).

use quarry_telemetry::{LogFormat, Settings, Telemetry};

pub fn settings(config: &quarry_config::Config) -> Settings {
    Settings {
        log_level: config.log.level.clone(),
        log_format: match config.log.format {
            quarry_config::LogFormat::Auto => LogFormat::Auto,
            quarry_config::LogFormat::Json => LogFormat::Json,
            quarry_config::LogFormat::Text => LogFormat::Text,
        },
        otlp_endpoint: config.telemetry.otlp_endpoint.clone(),
        service_name: config.telemetry.service_name.clone(),
    }
}

/// Installs telemetry for `serve`; keep the result alive until the server stops (dropping it
/// flushes spans), and call [`Telemetry::set_log_filter`] on it to change `[log] level` live.
pub fn init(config: &quarry_config::Config) -> anyhow::Result<Telemetry> {
    quarry_telemetry::init(&settings(config))
}
