//! `quarry serve`: keep repositories indexed and serve search over HTTP.

use crate::repos::{configured_repos, rediscover, register};
use crate::scheduler::Scheduler;
use crate::DataArgs;
use quarry_index::{DataDir, IndexOptions};
use quarry_search::SearchOptions;
use quarry_server::AppState;
use quarry_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Configuration file (TOML; `quarry config schema` describes it)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: the config's `listen`, else 127.0.0.1:7340]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// How often each repository is synced, jittered [default: the config's `sync.interval`]
    #[arg(long, value_parser = quarry_config::parse_duration, value_name = "DURATION")]
    sync_interval: Option<Duration>,
    /// Repositories synced at once [default: the config's `sync.concurrency`]
    #[arg(long, value_name = "N")]
    sync_concurrency: Option<usize>,
    /// Searches running at once; more get 429 Too Many Requests with Retry-After
    #[arg(long, value_name = "N")]
    max_concurrent_searches: Option<usize>,
    /// Require a user (token or login) for every API call [default: only when not on loopback]
    #[arg(long)]
    auth_required: Option<bool>,
    /// Directories, git repositories or git URLs to serve
    #[arg(value_name = "PATH_OR_GIT_URL")]
    sources: Vec<String>,
}

/// The store every quarry command opens for a data directory.
pub fn store_url(data: &DataDir) -> anyhow::Result<String> {
    let root = std::path::absolute(data.root())?;
    Ok(format!("sqlite://{}/quarry.db", root.display()))
}

/// Whether `auth.required` is written in the config file or set in the environment (the
/// config's `false` default must not open a non-loopback server to anonymous readers).
pub(crate) fn auth_required_set(config: Option<&std::path::Path>) -> bool {
    let in_file = config
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|t| t.get("auth").and_then(|a| a.get("required")).is_some());
    in_file || std::env::var_os("QUARRY_AUTH__REQUIRED").is_some()
}

/// Reads and validates the config file, printing every problem as FILE:LINE:COLUMN: ....
pub fn load_config(path: &std::path::Path) -> anyhow::Result<quarry_config::Config> {
    read_config(path).map_err(|diags| {
        for d in &diags {
            eprintln!("{d}");
        }
        too_many(&diags, path)
    })
}

/// Reads and validates the config file; each problem is a FILE:LINE:COLUMN: ... diagnostic.
pub fn read_config(
    path: &std::path::Path,
) -> Result<quarry_config::Config, Vec<quarry_config::Diagnostic>> {
    quarry_config::load(path, &|k| std::env::var(k).ok())
}

pub fn too_many(diags: &[quarry_config::Diagnostic], path: &std::path::Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} problem(s) in {}: fix them and start again",
        diags.len(),
        path.display()
    )
}

/// The webhook secrets a configuration refers to, resolved.
pub fn webhook_secrets(
    config: &quarry_config::Config,
) -> anyhow::Result<quarry_server::webhooks::WebhookSecrets> {
    let secret =
        |r: &Option<quarry_config::SecretRef>, what: &str| -> anyhow::Result<Option<String>> {
            r.as_ref()
                .map(|r| {
                    r.resolve()
                        .map(|s| s.expose().to_string())
                        .map_err(|e| anyhow::anyhow!("webhooks.{what}: {e}"))
                })
                .transpose()
        };
    Ok(quarry_server::webhooks::WebhookSecrets {
        github: secret(&config.webhooks.github_secret, "github_secret")?,
        gitlab: secret(&config.webhooks.gitlab_token, "gitlab_token")?,
        gitea: secret(&config.webhooks.gitea_secret, "gitea_secret")?,
    })
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = match &a.config {
        Some(path) => load_config(path)?,
        // No file: the defaults, with the same `QUARRY_…` overrides a file would get.
        None => {
            let here = std::path::Path::new("(environment)");
            let env = quarry_config::EnvOverrides::from_process();
            quarry_config::load_str(here, "", &env).map_err(|diags| {
                for d in &diags {
                    eprintln!("{d}");
                }
                too_many(&diags, here)
            })?
        }
    };
    let config_text = a
        .config
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    // Held until serve returns (dropping it flushes spans); hot reload changes its log filter.
    let telemetry = Arc::new(crate::telemetry::init(&config)?);
    crate::scheduler::describe_metrics();
    crate::reload::describe_metrics();
    quarry_server::describe_metrics();
    quarry_server::describe_search_metrics();
    quarry_index::describe_metrics();
    quarry_store::describe_metrics();
    let data = match (&a.data.data, &config.data_dir) {
        (None, Some(dir)) => DataDir::new(dir.clone()),
        _ => a.data.dir()?,
    };
    let listen = a
        .listen
        .clone()
        .unwrap_or_else(|| config.listen.to_string());
    let interval = a.sync_interval.unwrap_or(config.sync.interval);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let repos = configured_repos(&config, &a.sources, interval, runtime.handle())?.repos;
    std::fs::create_dir_all(data.root()).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            data.root().display()
        )
    })?;
    let store = runtime
        .block_on(Store::open(&store_url(&data)?))
        .map_err(|e| anyhow::anyhow!("cannot open the state store: {e}"))?;

    let search_options = SearchOptions {
        default_limit: config.search.default_limit as usize,
        default_timeout: config.search.default_timeout,
        max_timeout: Some(config.search.max_timeout),
    };
    let max_searches = a
        .max_concurrent_searches
        .unwrap_or(config.search.max_concurrent as usize);
    let state = AppState::new(data.clone(), search_options, max_searches);
    state
        .health_checks
        .write()
        .expect("not poisoned")
        .push(Arc::new(crate::auth::StoreCheck(store.clone())));
    *state.webhook_secrets.write().expect("not poisoned") = webhook_secrets(&config)?;
    crate::debug::record_config(
        &state,
        a.config.as_deref(),
        &config,
        telemetry.exporting_traces(),
    );
    runtime.block_on(register(&store, &state, &repos))?;
    *state.authenticator.write().expect("not poisoned") =
        Some(Arc::new(crate::auth::StoreAuth::new(store.clone())));

    let index_options = IndexOptions {
        max_file_size: config.index.max_file_size,
        shard_max_bytes: config.index.shard_size,
    };
    let scheduler = Arc::new(Scheduler::new(
        repos,
        store.clone(),
        runtime.handle().clone(),
        index_options,
        config.sync.jitter,
    ));
    *state.sync.write().expect("not poisoned") = Some(scheduler.clone());
    *state.push_target.write().expect("not poisoned") = Some(scheduler.clone());
    let hosts = Arc::new(RwLock::new(config.code_hosts.clone()));

    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {listen}: {e} (is another quarry running? pick another --listen)"
            )
        })?;
        let addr = listener.local_addr()?;
        *state.debug.listen.write().expect("not poisoned") = addr.to_string();
        // Anonymous reading is the default only on loopback, unless the command line, the
        // config file or the environment says otherwise.
        let said = a
            .auth_required
            .or_else(|| auth_required_set(a.config.as_deref()).then_some(config.auth.required));
        let required = said.unwrap_or(!addr.ip().is_loopback());
        state.auth_required.store(required, Ordering::Relaxed);
        tracing::info!(
            "serving http://{addr}/ ({} repositories configured, index in {}; sign-in {})",
            scheduler.len(),
            data.root().display(),
            if required {
                "required"
            } else {
                "optional: anonymous users see public repositories"
            }
        );
        // The listener is up first, so probes answer while the index loads.
        let loading = state.clone();
        tokio::task::spawn_blocking(move || {
            for e in loading.load() {
                tracing::warn!("{e}");
            }
            tracing::info!("ready: {} shards loaded", loading.shard_count());
        });
        if !config.code_hosts.is_empty() {
            let (hosts, sched, st, store, rt) = (
                hosts.clone(),
                scheduler.clone(),
                state.clone(),
                store.clone(),
                tokio::runtime::Handle::current(),
            );
            std::thread::spawn(move || rediscover(hosts, interval, sched, st, store, rt));
        }
        scheduler.start(
            state.clone(),
            a.sync_concurrency
                .unwrap_or(config.sync.concurrency as usize)
                .max(1),
        );
        if let Some(path) = &a.config {
            let reloader = Arc::new(crate::reload::Reloader {
                path: path.clone(),
                command_line: crate::reload::CommandLine {
                    sources: a.sources.clone(),
                    sync_interval: a.sync_interval,
                    sync_concurrency: a.sync_concurrency,
                    max_concurrent_searches: a.max_concurrent_searches,
                    auth_required: a.auth_required,
                },
                state: state.clone(),
                scheduler: scheduler.clone(),
                store: store.clone(),
                rt: tokio::runtime::Handle::current(),
                hosts: hosts.clone(),
                set_log_filter: {
                    // Weak, so that the last strong reference below can flush spans at exit.
                    let t = Arc::downgrade(&telemetry);
                    Box::new(move |f: &str| match t.upgrade() {
                        Some(t) => t.set_log_filter(f),
                        None => Err("shutting down".into()),
                    })
                },
                current: Mutex::new((config.clone(), config_text)),
                loopback: addr.ip().is_loopback(),
            });
            reloader.spawn();
        }
        quarry_server::serve(listener, state, shutdown_signal(), Duration::from_secs(15)).await?;
        scheduler.stop();
        let joining = scheduler.clone();
        tokio::task::spawn_blocking(move || joining.join()).await?;
        store.close().await;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    if let Ok(t) = Arc::try_unwrap(telemetry) {
        t.shutdown();
    }
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
