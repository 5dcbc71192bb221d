//! Log set-up for `quarry serve` (stand-in until the telemetry crate lands).

use tracing_subscriber::{prelude::*, reload, EnvFilter};

pub struct Telemetry {
    filter: reload::Handle<EnvFilter, tracing_subscriber::Registry>,
}

pub fn init(config: &quarry_config::Config) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(&config.log.level)
        .map_err(|e| anyhow::anyhow!("log.level {:?}: {e}", config.log.level))?;
    let (filter, handle) = reload::Layer::new(filter);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false),
        )
        .try_init();
    Ok(Telemetry { filter: handle })
}

impl Telemetry {
    pub fn log_filter_setter(&self) -> crate::reload::LogFilterSetter {
        let handle = self.filter.clone();
        Box::new(move |spec: &str| {
            let filter = EnvFilter::try_new(spec).map_err(|e| format!("{spec:?}: {e}"))?;
            handle.reload(filter).map_err(|e| e.to_string())
        })
    }
}
