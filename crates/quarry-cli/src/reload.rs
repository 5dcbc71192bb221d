//! Hot reload of the configuration file, on SIGHUP and when the file changes.
//!
//! A new file is read and validated in full first; a file with any problem is rejected and the
//! running configuration kept. Keys that need a restart (`listen`, `data_dir`, `log.format`,
//! `telemetry.*`) are reported and left at their running value; every other key applies live:
//! repositories and code hosts, search limits, index options, sync schedule and concurrency,
//! `auth.required`, webhook secrets and the log level. Values given on the command line keep
//! precedence over the file, as at start.

use crate::repos::{self, configured_repos};
use crate::scheduler::Scheduler;
use quarry_config::Config;
use quarry_server::{AppState, SyncTrigger};
use quarry_store::Store;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How often the file is compared with what was last read. Polling (not inotify) also sees a
/// Kubernetes ConfigMap update, which swaps a symlink rather than writing the file.
pub const WATCH_PERIOD: Duration = Duration::from_secs(2);

/// Values given on the command line, which a reload must not override.
#[derive(Clone, Default)]
pub struct CommandLine {
    pub sources: Vec<String>,
    pub sync_interval: Option<Duration>,
    pub sync_concurrency: Option<usize>,
    pub max_concurrent_searches: Option<usize>,
    pub auth_required: Option<bool>,
}

/// Changes the log filter of the running process (the telemetry layer's reload handle).
pub type LogFilterSetter = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

pub struct Reloader {
    pub path: PathBuf,
    pub command_line: CommandLine,
    pub state: Arc<AppState>,
    pub scheduler: Arc<Scheduler>,
    pub store: Store,
    pub rt: tokio::runtime::Handle,
    pub hosts: Arc<RwLock<Vec<quarry_config::CodeHostSource>>>,
    pub set_log_filter: LogFilterSetter,
    /// The running configuration, and the bytes of the file it was read from (or the bytes
    /// last rejected, so that a bad file is reported once, not every poll).
    pub current: Mutex<(Config, Vec<u8>)>,
    /// Whether the listener is on loopback (for the `auth.required` default).
    pub loopback: bool,
}

/// What a reload did, as logged and counted.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Unchanged,
    Rejected,
}

pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, Unit};
    describe_counter!(
        "quarry_config_reloads_total",
        "Configuration reloads, by trigger (sighup, file) and outcome (applied, unchanged, rejected)."
    );
    describe_gauge!(
        "quarry_config_last_reload_successful",
        "1 when the last reload was applied or found nothing to change, 0 when the file was rejected (the running configuration is kept)."
    );
    describe_gauge!(
        "quarry_config_last_reload_timestamp_seconds",
        Unit::Seconds,
        "When the configuration was last reloaded (Unix time)."
    );
    describe_gauge!(
        "quarry_config_restart_required",
        "1 when the file changes a key that applies only after a restart."
    );
}

impl Reloader {
    /// Watches the file and SIGHUP until the scheduler stops.
    pub fn spawn(self: Arc<Self>) {
        let watcher = self.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(WATCH_PERIOD);
            if watcher.scheduler.stopping.load(Ordering::Relaxed) {
                return;
            }
            let Ok(text) = std::fs::read(&watcher.path) else {
                continue; // a missing file mid-swap: the next poll sees the new one
            };
            let differs = watcher.current.lock().expect("not poisoned").1 != text;
            if differs {
                watcher.reload("file");
            }
        });
        #[cfg(unix)]
        {
            let hup = self.clone();
            self.rt.spawn(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let Ok(mut s) = signal(SignalKind::hangup()) else {
                    return;
                };
                while s.recv().await.is_some() {
                    let r = hup.clone();
                    let _ = tokio::task::spawn_blocking(move || r.reload("sighup")).await;
                }
            });
        }
    }

    /// Reads the file again and applies what changed. Reloads never run concurrently.
    pub fn reload(&self, trigger: &'static str) -> Outcome {
        let mut current = self.current.lock().expect("not poisoned");
        let text = std::fs::read(&self.path).unwrap_or_default();
        let outcome = match crate::serve::read_config(&self.path) {
            Err(diags) => {
                for d in &diags {
                    tracing::error!(trigger, "{d}");
                }
                tracing::error!(
                    trigger,
                    "configuration reload rejected, the running configuration is kept: {} problem(s) in {}: fix them and send SIGHUP or save the file again",
                    diags.len(),
                    self.path.display()
                );
                current.1 = text;
                Outcome::Rejected
            }
            Ok(new) => {
                current.1 = text;
                let changes = quarry_config::changes(&current.0, &new);
                if changes.is_empty() {
                    tracing::info!(trigger, "configuration reloaded: nothing changed");
                    Outcome::Unchanged
                } else {
                    let (restart, live): (Vec<_>, Vec<_>) =
                        changes.iter().partition(|c| c.needs_restart);
                    let mut applied = new.clone();
                    // Keys needing a restart keep their running value, so that a later reload
                    // still sees them as pending.
                    applied.listen = current.0.listen;
                    applied.data_dir = current.0.data_dir.clone();
                    applied.log.format = current.0.log.format;
                    applied.telemetry = current.0.telemetry.clone();
                    match self.apply(&current.0, &applied) {
                        Ok(()) => {
                            let names = |v: &[&quarry_config::Change]| {
                                v.iter()
                                    .map(|c| c.key_path.clone())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            if !live.is_empty() {
                                tracing::info!(
                                    trigger,
                                    "configuration reloaded: applied {}",
                                    names(&live)
                                );
                            }
                            if !restart.is_empty() {
                                tracing::warn!(
                                    trigger,
                                    "configuration changes {} that apply only after a restart: the running values are kept until then",
                                    names(&restart)
                                );
                            }
                            metrics::gauge!("quarry_config_restart_required")
                                .set(if restart.is_empty() { 0.0 } else { 1.0 });
                            *self
                                .state
                                .debug
                                .effective_config
                                .write()
                                .expect("not poisoned") = quarry_config::redacted(&applied);
                            current.0 = applied;
                            Outcome::Applied
                        }
                        Err(e) => {
                            tracing::error!(
                                trigger,
                                "configuration reload rejected, the running configuration is kept: {e:#}"
                            );
                            Outcome::Rejected
                        }
                    }
                }
            }
        };
        let label = match outcome {
            Outcome::Applied => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Rejected => "rejected",
        };
        metrics::counter!("quarry_config_reloads_total", "trigger" => trigger, "outcome" => label)
            .increment(1);
        metrics::gauge!("quarry_config_last_reload_successful").set(
            if outcome == Outcome::Rejected {
                0.0
            } else {
                1.0
            },
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!("quarry_config_last_reload_timestamp_seconds").set(now.as_secs_f64());
        outcome
    }

    /// Applies `new` over `old`. Everything that can fail (the log filter, secrets, the
    /// repository list) is prepared first, so a failure changes nothing.
    fn apply(&self, old: &Config, new: &Config) -> anyhow::Result<()> {
        let cli = &self.command_line;
        let interval = cli.sync_interval.unwrap_or(new.sync.interval);
        let secrets = crate::serve::webhook_secrets(new)?;
        let sources_changed = old.repos != new.repos
            || old.code_hosts != new.code_hosts
            || old.sync.interval != new.sync.interval;
        let wanted = if sources_changed {
            let mut configured = configured_repos(new, &cli.sources, interval, &self.rt)?;
            // Repositories of a host that could not be listed stay as they are.
            for r in self.scheduler.repos() {
                if configured.unreachable_hosts.contains(&r.source)
                    && !configured.repos.iter().any(|w| w.name == r.name)
                {
                    configured.repos.push(r);
                }
            }
            Some(configured.repos)
        } else {
            None
        };
        if old.log.level != new.log.level {
            (self.set_log_filter)(&new.log.level).map_err(|e| anyhow::anyhow!("log.level: {e}"))?;
        }

        let state = &self.state;
        {
            // Shrinking the search slots may need a task to take back permits in use.
            let _rt = self.rt.enter();
            state.set_search_limits(
                quarry_search::SearchOptions {
                    default_limit: new.search.default_limit as usize,
                    default_timeout: new.search.default_timeout,
                    max_timeout: Some(new.search.max_timeout),
                },
                cli.max_concurrent_searches
                    .unwrap_or(new.search.max_concurrent as usize),
            );
        }
        self.scheduler
            .set_index_options(quarry_index::IndexOptions {
                max_file_size: new.index.max_file_size,
                shard_max_bytes: new.index.shard_size,
            });
        self.scheduler.set_jitter(new.sync.jitter);
        self.scheduler.set_concurrency(
            cli.sync_concurrency
                .unwrap_or(new.sync.concurrency as usize)
                .max(1),
            state.clone(),
        );
        let required = cli.auth_required.unwrap_or(if new.auth.required {
            true
        } else {
            // As at start: off loopback, sign-in stays required unless said otherwise.
            !self.loopback && !crate::serve::auth_required_set(Some(&self.path))
        });
        state.auth_required.store(required, Ordering::Relaxed);
        *state.webhook_secrets.write().expect("not poisoned") = secrets;
        *self.hosts.write().expect("not poisoned") = new.code_hosts.clone();

        if let Some(wanted) = wanted {
            let diff = self.scheduler.replace(wanted);
            let repos = self.scheduler.repos();
            let touched: Vec<_> = repos
                .iter()
                .filter(|r| diff.added.contains(&r.name) || diff.changed.contains(&r.name))
                .cloned()
                .collect();
            self.rt
                .block_on(repos::register(&self.store, state, &touched))?;
            for name in diff.added.iter().chain(&diff.changed) {
                self.scheduler.trigger(name);
            }
            if !diff.added.is_empty() || !diff.changed.is_empty() || !diff.removed.is_empty() {
                tracing::info!(
                    "repositories: {} added, {} changed, {} removed",
                    diff.added.len(),
                    diff.changed.len(),
                    diff.removed.len()
                );
            }
            if !diff.removed.is_empty() {
                let (store, state, rt) = (self.store.clone(), state.clone(), self.rt.clone());
                // Waits for running syncs of these repositories: off the reload path.
                std::thread::spawn(move || {
                    for name in diff.removed {
                        repos::forget(&store, &state, &rt, &name);
                    }
                });
            }
        }
        Ok(())
    }
}
