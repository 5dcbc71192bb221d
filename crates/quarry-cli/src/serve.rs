//! `quarry serve`: keep repositories indexed and serve search over HTTP.

use crate::scheduler::{ms, Scheduler};
use crate::sources::{self, Repo};
use crate::DataArgs;
use quarry_index::{DataDir, IndexOptions};
use quarry_search::SearchOptions;
use quarry_server::{AppState, SyncState, SyncTrigger};
use quarry_store::{RepoSpec, SourceKind, Store};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    quarry_config::load(path, &|k| std::env::var(k).ok()).map_err(|diags| {
        for d in &diags {
            eprintln!("{d}");
        }
        anyhow::anyhow!(
            "{} problem(s) in {}: fix them and start again",
            diags.len(),
            path.display()
        )
    })
}

fn visibility(v: &quarry_config::Visibility) -> quarry_server::auth::Visibility {
    match v {
        quarry_config::Visibility::Public => quarry_server::auth::Visibility::Public,
        quarry_config::Visibility::Restricted { users, groups } => {
            quarry_server::auth::Visibility::Restricted {
                users: users.clone(),
                groups: groups.clone(),
            }
        }
    }
}

fn discovered(
    h: &quarry_config::CodeHostSource,
    d: quarry_codehost::DiscoveredRepo,
    interval: Duration,
) -> Repo {
    Repo {
        name: d.name,
        origin: sources::Origin::Git(d.clone_url),
        branches: h.branches.clone(),
        tags: h.tags.clone(),
        visibility: visibility(&h.visibility),
        interval: h.interval.unwrap_or(interval),
    }
}

/// Lists the code hosts again every interval and starts syncing repositories that appeared.
/// (Repositories that disappeared keep their index until removed by hand: a host outage must
/// not wipe an index.)
fn rediscover(
    hosts: Vec<quarry_config::CodeHostSource>,
    interval: Duration,
    scheduler: Arc<Scheduler>,
    state: Arc<AppState>,
    store: Store,
    rt: tokio::runtime::Handle,
) {
    let Ok(client) = quarry_codehost::Client::new() else {
        return;
    };
    let period = hosts
        .iter()
        .map(|h| h.interval.unwrap_or(interval))
        .min()
        .unwrap_or(interval);
    loop {
        let wake = Instant::now() + period;
        while Instant::now() < wake {
            if scheduler.stopping.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        for h in &hosts {
            match rt.block_on(quarry_codehost::discover(&h.host, &client)) {
                Ok(found) => {
                    for d in found {
                        let repo = discovered(h, d, interval);
                        if scheduler.add(repo.clone()) {
                            if let Err(e) =
                                rt.block_on(register(&store, &state, std::slice::from_ref(&repo)))
                            {
                                eprintln!("quarry: warning: {e}");
                            }
                            eprintln!(
                                "quarry: new repository {} on {}",
                                repo.name,
                                h.host.host_label()
                            );
                            scheduler.trigger(&repo.name);
                        }
                    }
                }
                Err(e) => eprintln!(
                    "quarry: error: listing repositories of {}: {e}",
                    h.host.host_label()
                ),
            }
        }
    }
}

/// The repositories the config and the command line name, code hosts' discovered ones included.
fn configured_repos(
    config: &quarry_config::Config,
    args: &[String],
    interval: Duration,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Vec<Repo>> {
    let mut repos: Vec<Repo> = Vec::new();
    for r in &config.repos {
        let location = match (&r.url, &r.path) {
            (Some(url), _) => url.clone(),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => continue, // rejected by validation
        };
        let mut repo = sources::from_argument(&location, r.interval.unwrap_or(interval))?;
        repo.name = r.effective_name();
        repo.branches = r.branches.clone();
        repo.tags = r.tags.clone();
        repo.visibility = visibility(&r.visibility);
        repos.push(repo);
    }
    for s in args {
        repos.push(sources::from_argument(s, interval)?);
    }
    if !config.code_hosts.is_empty() {
        let client = quarry_codehost::Client::new().map_err(|e| anyhow::anyhow!("{e}"))?;
        for h in &config.code_hosts {
            let host = &h.host;
            match rt.block_on(quarry_codehost::discover(host, &client)) {
                Ok(found) => {
                    eprintln!(
                        "quarry: {} lists {} repositories",
                        host.host_label(),
                        found.len()
                    );
                    repos.extend(found.into_iter().map(|d| discovered(h, d, interval)));
                }
                // One unreachable host must not keep the others, or the server, from starting.
                Err(e) => eprintln!(
                    "quarry: error: listing repositories of {}: {e}",
                    host.host_label()
                ),
            }
        }
    }
    let mut seen = HashSet::new();
    for r in &repos {
        if !seen.insert(r.name.clone()) {
            anyhow::bail!(
                "two sources are named {:?}: give one a different `name` in the config",
                r.name
            );
        }
    }
    Ok(repos)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = match &a.config {
        Some(path) => load_config(path)?,
        None => quarry_config::Config::default(),
    };
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
    let repos = configured_repos(&config, &a.sources, interval, &runtime)?;
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
    *state.webhook_secrets.write().expect("not poisoned") =
        quarry_server::webhooks::WebhookSecrets {
            github: secret(&config.webhooks.github_secret, "github_secret")?,
            gitlab: secret(&config.webhooks.gitlab_token, "gitlab_token")?,
            gitea: secret(&config.webhooks.gitea_secret, "gitea_secret")?,
        };
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
    ));
    *state.sync.write().expect("not poisoned") = Some(scheduler.clone());
    *state.push_target.write().expect("not poisoned") = Some(scheduler.clone());

    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {listen}: {e} (is another quarry running? pick another --listen)"
            )
        })?;
        let addr = listener.local_addr()?;
        // Anonymous reading is the default only on loopback, unless the command line, the
        // config file or the environment says otherwise.
        let said = a
            .auth_required
            .or_else(|| auth_required_set(a.config.as_deref()).then_some(config.auth.required));
        let required = said.unwrap_or(!addr.ip().is_loopback());
        state.auth_required.store(required, Ordering::Relaxed);
        eprintln!(
            "quarry: serving http://{addr}/ ({} repositories configured, index in {}; sign-in {})",
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
                eprintln!("quarry: warning: {e}");
            }
            eprintln!("quarry: ready: {} shards loaded", loading.shard_count());
        });
        if !config.code_hosts.is_empty() {
            let (hosts, sched, st, store, rt) = (
                config.code_hosts.clone(),
                scheduler.clone(),
                state.clone(),
                store.clone(),
                tokio::runtime::Handle::current(),
            );
            std::thread::spawn(move || rediscover(hosts, interval, sched, st, store, rt));
        }
        let workers = scheduler.start(
            state.clone(),
            a.sync_concurrency
                .unwrap_or(config.sync.concurrency as usize)
                .max(1),
        );
        quarry_server::serve(listener, state, shutdown_signal(), Duration::from_secs(15)).await?;
        scheduler.stop();
        for w in workers {
            let _ = w.join();
        }
        store.close().await;
        eprintln!("quarry: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Records the configured repositories in the store and shows their last known sync state.
async fn register(store: &Store, state: &AppState, repos: &[Repo]) -> anyhow::Result<()> {
    let mut visibility = std::collections::HashMap::new();
    for r in repos {
        let spec = RepoSpec {
            name: r.name.clone(),
            source_kind: match r.origin {
                sources::Origin::Dir(_) => SourceKind::Path,
                sources::Origin::Git(_) => SourceKind::Git,
            },
            location: r.location(),
            source_name: "command line".into(),
            visibility: match &r.visibility {
                quarry_server::auth::Visibility::Public => quarry_store::Visibility::Public,
                quarry_server::auth::Visibility::Restricted { users, groups } => {
                    quarry_store::Visibility::Restricted {
                        users: users.clone(),
                        groups: groups.clone(),
                    }
                }
            },
        };
        let stored = store
            .upsert_repo(&spec)
            .await
            .map_err(|e| anyhow::anyhow!("state store: {e}"))?;
        let sync = stored.sync;
        state.set_status(&r.name, |s| {
            s.source = r.location();
            s.last_fetch_at = sync.last_fetch_at.map(ms);
            s.last_success_at = sync.last_success_at.map(ms);
            s.last_error = sync.last_error.clone();
            s.last_error_at = sync.last_error_at.map(ms);
            s.state = if sync.failing() {
                SyncState::Error
            } else {
                SyncState::Idle
            };
        });
        visibility.insert(r.name.clone(), r.visibility.clone());
    }
    state
        .visibility
        .write()
        .expect("not poisoned")
        .extend(visibility);
    Ok(())
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
    eprintln!("quarry: shutting down: finishing in-flight requests");
}
