//! `quarry serve`: index the given repositories, keep them fresh, and serve search over HTTP.

use crate::DataArgs;
use quarry_index::{index_source, DataDir, DirSource, IndexOptions, NoProgress, Target};
use quarry_search::SearchOptions;
use quarry_server::{AppState, SyncState, SyncTrigger};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on (loopback by default: nothing is exposed until you say so)
    #[arg(long, default_value = quarry_server::DEFAULT_LISTEN, value_name = "ADDR")]
    listen: String,
    /// How often local directories are checked for changes
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    sync_interval: Duration,
    /// Searches running at once; more get 429 Too Many Requests with Retry-After
    #[arg(long, default_value_t = 8, value_name = "N")]
    max_concurrent_searches: usize,
    /// Directories to serve, each as one repository named after the directory
    #[arg(value_name = "PATH")]
    sources: Vec<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: write e.g. 30s, 10m, 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{s:?}: unknown unit {unit:?}; use ms, s, m or h")),
    }
}

struct Repo {
    name: String,
    path: PathBuf,
}

/// Wakes the sync loop for one repository (`POST /api/repos/{repo}/sync`).
struct Trigger {
    names: Vec<String>,
    wake: Mutex<mpsc::Sender<Option<String>>>,
}

impl SyncTrigger for Trigger {
    fn trigger(&self, repo: &str) -> bool {
        if !self.names.iter().any(|n| n == repo) {
            return false;
        }
        self.wake
            .lock()
            .expect("not poisoned")
            .send(Some(repo.to_string()))
            .is_ok()
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = a.data.dir()?;
    let mut repos: Vec<Repo> = Vec::new();
    for path in &a.sources {
        let abs = std::path::absolute(path)?;
        if !abs.is_dir() {
            anyhow::bail!(
                "{} is not a directory: quarry serve takes directory trees",
                path.display()
            );
        }
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow::anyhow!("{} has no directory name", path.display()))?;
        if repos.iter().any(|r| r.name == name) {
            anyhow::bail!("two sources are named {name:?}: serve directories with different names");
        }
        repos.push(Repo { name, path: abs });
    }
    std::fs::create_dir_all(data.root()).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            data.root().display()
        )
    })?;
    let state = AppState::new(
        data.clone(),
        SearchOptions::default(),
        a.max_concurrent_searches,
    );
    for e in state.reload() {
        eprintln!("quarry: warning: {e}");
    }
    for r in &repos {
        let source = r.path.display().to_string();
        state.set_status(&r.name, |s| s.source = source);
    }
    let (wake_tx, wake_rx) = mpsc::channel();
    *state.sync.write().expect("not poisoned") = Some(Arc::new(Trigger {
        names: repos.iter().map(|r| r.name.clone()).collect(),
        wake: Mutex::new(wake_tx.clone()),
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e} (is another quarry running? pick another --listen)", a.listen))?;
        let addr = listener.local_addr()?;
        let shards = state.searcher().shards().len();
        eprintln!("quarry: serving http://{addr}/ ({} repositories configured, {shards} shards loaded from {})", repos.len(), data.root().display());
        let sync_state = state.clone();
        let interval = a.sync_interval;
        std::thread::spawn(move || sync_loop(&sync_state, &repos, interval, wake_rx));
        quarry_server::serve(listener, state, shutdown_signal(), Duration::from_secs(15)).await?;
        let _ = wake_tx.send(None);
        eprintln!("quarry: stopped");
        anyhow::Ok(())
    })?;
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
    eprintln!("quarry: shutting down: finishing in-flight requests");
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Brings every repository up to date, then again every `interval` (jittered so that many
/// servers started together do not sync in lockstep), or at once for a triggered repository.
fn sync_loop(
    state: &AppState,
    repos: &[Repo],
    interval: Duration,
    wake: mpsc::Receiver<Option<String>>,
) {
    let mut only: Option<String> = None;
    loop {
        for r in repos
            .iter()
            .filter(|r| only.as_ref().is_none_or(|o| *o == r.name))
        {
            sync_dir(state, &state.data, r);
        }
        let jitter = (now_ms() % 1000) as f64 / 1000.0 * 0.2 - 0.1;
        let wait = interval.mul_f64(1.0 + jitter);
        match wake.recv_timeout(wait) {
            Ok(Some(name)) => only = Some(name),
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => only = None,
        }
    }
}

fn sync_dir(state: &AppState, data: &DataDir, r: &Repo) {
    let opts = IndexOptions::default();
    state.set_status(&r.name, |s| {
        s.state = SyncState::Syncing;
        s.last_fetch_at = Some(now_ms());
    });
    let started = std::time::Instant::now();
    let outcome = (|| -> Result<bool, quarry_index::IndexError> {
        let source = DirSource::new(&r.path)?;
        let fingerprint = source.fingerprint(opts.max_file_size)?;
        if data
            .manifest(&r.name, "")?
            .is_some_and(|m| m.commit == fingerprint)
        {
            return Ok(false);
        }
        let target = Target {
            repo: r.name.clone(),
            branch: String::new(),
            commit: fingerprint,
            default_branch: true,
        };
        index_source(data, &target, &source, &opts, &NoProgress)?;
        Ok(true)
    })();
    match outcome {
        Ok(changed) => {
            if changed {
                for e in state.reload() {
                    eprintln!("quarry: warning: {e}");
                }
                eprintln!("quarry: indexed {} in {:.1?}", r.name, started.elapsed());
            }
            state.set_status(&r.name, |s| {
                s.state = SyncState::Idle;
                s.last_success_at = Some(now_ms());
            });
        }
        Err(e) => {
            eprintln!("quarry: error: syncing {}: {e}", r.name);
            state.set_status(&r.name, |s| {
                s.state = SyncState::Error;
                s.last_error = Some(e.to_string());
                s.last_error_at = Some(now_ms());
            });
        }
    }
}
