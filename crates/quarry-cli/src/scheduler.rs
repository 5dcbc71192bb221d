//! Runs repository syncs: every repository on its interval, or at once when triggered.

use crate::sources::{self, Repo};
use quarry_index::IndexOptions;
use quarry_server::{AppState, SyncState, SyncTrigger};
use quarry_store::{RefState, Store, Timestamp};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

pub fn ms(t: Timestamp) -> u64 {
    t.unix_millis().max(0) as u64
}

/// Registers the help text of the sync metrics (once, at start).
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "quarry_sync_runs_total",
        "Repository syncs finished, by outcome (ok, error) and source."
    );
    describe_histogram!(
        "quarry_sync_duration_seconds",
        Unit::Seconds,
        "Time one repository sync took (fetch and index), by outcome."
    );
    describe_gauge!(
        "quarry_sync_lag_seconds",
        Unit::Seconds,
        "Per repository source, the longest time any of its repositories has gone without a successful sync (since start when it never succeeded)."
    );
    describe_gauge!(
        "quarry_sync_queue_depth",
        "Repositories waiting for a sync worker."
    );
    describe_gauge!("quarry_sync_in_progress", "Repository syncs running now.");
    describe_gauge!("quarry_sync_workers", "Sync worker threads wanted.");
    describe_gauge!(
        "quarry_repositories",
        "Repositories configured, by sync state (idle, syncing, error)."
    );
}

/// What changed when the set of repositories was replaced (hot reload).
#[derive(Debug, Default)]
pub struct Diff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

/// Runs syncs: every repository on its interval (jittered), and at once when triggered (API,
/// webhook). A repository is never synced twice at the same time; one failing never stops
/// the others.
pub struct Scheduler {
    /// Slots are stable (queued work refers to them by index): a removed repository leaves an
    /// empty slot, a re-added one takes a new slot.
    repos: RwLock<Vec<Option<Repo>>>,
    store: Store,
    rt: tokio::runtime::Handle,
    queue: Mutex<(VecDeque<usize>, HashSet<usize>)>,
    wake: Condvar,
    pub stopping: AtomicBool,
    index_options: RwLock<IndexOptions>,
    /// Fraction of the interval syncs are spread over (`sync.jitter`).
    jitter: RwLock<f64>,
    workers_wanted: AtomicUsize,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    running: AtomicUsize,
    started: Instant,
}

impl SyncTrigger for Scheduler {
    fn trigger(&self, repo: &str) -> bool {
        match self.slot_of(repo) {
            Some(i) => {
                self.enqueue(i);
                true
            }
            None => false,
        }
    }
}

impl quarry_server::webhooks::PushTarget for Scheduler {
    fn pushed(&self, urls: &[String]) -> Vec<String> {
        let pushed: HashSet<String> = urls
            .iter()
            .map(|u| quarry_server::webhooks::normalize_url(u))
            .collect();
        let mut triggered = Vec::new();
        for (i, r) in self.repos.read().expect("not poisoned").iter().enumerate() {
            if let Some(Repo {
                origin: sources::Origin::Git(url),
                name,
                ..
            }) = r
            {
                if pushed.contains(&quarry_server::webhooks::normalize_url(url)) {
                    self.enqueue(i);
                    triggered.push(name.clone());
                }
            }
        }
        triggered
    }
}

impl Scheduler {
    pub fn new(
        repos: Vec<Repo>,
        store: Store,
        rt: tokio::runtime::Handle,
        index_options: IndexOptions,
        jitter: f64,
    ) -> Self {
        Scheduler {
            repos: RwLock::new(repos.into_iter().map(Some).collect()),
            store,
            rt,
            queue: Mutex::new((VecDeque::new(), HashSet::new())),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            index_options: RwLock::new(index_options),
            jitter: RwLock::new(jitter),
            workers_wanted: AtomicUsize::new(0),
            workers: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            started: Instant::now(),
        }
    }

    fn slot_of(&self, name: &str) -> Option<usize> {
        self.repos
            .read()
            .expect("not poisoned")
            .iter()
            .position(|r| r.as_ref().is_some_and(|r| r.name == name))
    }

    /// Adds a repository found after start (code host discovery); returns false if known.
    pub fn add(&self, repo: Repo) -> bool {
        let mut repos = self.repos.write().expect("not poisoned");
        if repos.iter().flatten().any(|r| r.name == repo.name) {
            return false;
        }
        repos.push(Some(repo));
        true
    }

    /// The repositories scheduled now.
    pub fn repos(&self) -> Vec<Repo> {
        self.repos
            .read()
            .expect("not poisoned")
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Makes `wanted` the set of repositories: new ones are added, ones whose origin, refs or
    /// schedule changed are replaced, missing ones are unscheduled. The caller triggers syncs
    /// and removes indexes.
    pub fn replace(&self, wanted: Vec<Repo>) -> Diff {
        let mut diff = Diff::default();
        let mut repos = self.repos.write().expect("not poisoned");
        let mut by_name: HashMap<String, Repo> =
            wanted.into_iter().map(|r| (r.name.clone(), r)).collect();
        for slot in repos.iter_mut() {
            let Some(current) = slot else { continue };
            match by_name.remove(&current.name) {
                None => {
                    diff.removed.push(current.name.clone());
                    *slot = None;
                }
                Some(new) => {
                    if !same(current, &new) {
                        diff.changed.push(new.name.clone());
                        *slot = Some(new);
                    }
                }
            }
        }
        let mut added: Vec<Repo> = by_name.into_values().collect();
        added.sort_by(|a, b| a.name.cmp(&b.name));
        for r in added {
            diff.added.push(r.name.clone());
            repos.push(Some(r));
        }
        diff
    }

    /// How many repositories are scheduled.
    pub fn len(&self) -> usize {
        self.repos
            .read()
            .expect("not poisoned")
            .iter()
            .flatten()
            .count()
    }

    pub fn set_index_options(&self, options: IndexOptions) {
        *self.index_options.write().expect("not poisoned") = options;
    }

    pub fn set_jitter(&self, jitter: f64) {
        *self.jitter.write().expect("not poisoned") = jitter.clamp(0.0, 1.0);
    }

    fn enqueue(&self, i: usize) {
        let mut q = self.queue.lock().expect("not poisoned");
        if q.1.insert(i) {
            q.0.push_back(i);
            metrics::gauge!("quarry_sync_queue_depth").set(q.0.len() as f64);
            self.wake.notify_one();
        }
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    /// Waits for the timer and every worker to end (after [`Scheduler::stop`]).
    pub fn join(&self) {
        let handles: Vec<_> = self
            .workers
            .lock()
            .expect("not poisoned")
            .drain(..)
            .collect();
        for h in handles {
            let _ = h.join();
        }
    }

    /// Starts the timer and `workers` sync threads.
    pub fn start(self: &Arc<Self>, state: Arc<AppState>, workers: usize) {
        let timer = self.clone();
        let timer_state = state.clone();
        let handle = std::thread::spawn(move || timer.tick(&timer_state));
        self.workers.lock().expect("not poisoned").push(handle);
        self.set_concurrency(workers, state);
    }

    /// Sets how many syncs run at once: more workers start now, surplus ones stop after
    /// their current sync.
    pub fn set_concurrency(self: &Arc<Self>, workers: usize, state: Arc<AppState>) {
        let workers = workers.max(1);
        let before = self.workers_wanted.swap(workers, Ordering::SeqCst);
        metrics::gauge!("quarry_sync_workers").set(workers as f64);
        for id in before..workers {
            let s = self.clone();
            let state = state.clone();
            let handle = std::thread::spawn(move || s.work(id, &state));
            self.workers.lock().expect("not poisoned").push(handle);
        }
        // Surplus workers wait on the condition variable: wake them so they notice.
        self.wake.notify_all();
    }

    fn tick(&self, state: &AppState) {
        use std::hash::BuildHasher;
        // Randomly seeded per process, so that servers started together drift apart.
        let seed = std::collections::hash_map::RandomState::new();
        let mut due: Vec<Instant> = Vec::new();
        let mut round = 0u64;
        let mut last_gauges = Instant::now() - Duration::from_secs(60);
        while !self.stopping.load(Ordering::Relaxed) {
            let now = Instant::now();
            let intervals: Vec<Option<Duration>> = self
                .repos
                .read()
                .expect("not poisoned")
                .iter()
                .map(|r| r.as_ref().map(|r| r.interval))
                .collect();
            let jitter = *self.jitter.read().expect("not poisoned");
            due.resize(intervals.len(), now);
            for (i, interval) in intervals.iter().enumerate() {
                let Some(interval) = interval else { continue };
                if due[i] <= now {
                    self.enqueue(i);
                    round += 1;
                    // Uniform in [1 - jitter/2, 1 + jitter/2] of the interval.
                    let r = (seed.hash_one((i, round)) % 10_001) as f64 / 10_000.0;
                    due[i] = now + interval.mul_f64(1.0 - jitter / 2.0 + jitter * r);
                }
            }
            if now.duration_since(last_gauges) >= Duration::from_secs(5) {
                self.export_gauges(state);
                last_gauges = now;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Lag per source and repositories per state, from the status the API shows.
    fn export_gauges(&self, state: &AppState) {
        let now_ms = ms(Timestamp::now());
        let since_start_ms = self.started.elapsed().as_millis() as u64;
        let status = state.status.read().expect("not poisoned").clone();
        let mut lag: HashMap<String, u64> = HashMap::new();
        let mut states: HashMap<&'static str, u64> =
            [("idle", 0), ("syncing", 0), ("error", 0)].into();
        for r in self.repos() {
            let s = status.get(&r.name);
            let behind = match s.and_then(|s| s.last_success_at) {
                Some(t) => now_ms.saturating_sub(t),
                None => since_start_ms,
            };
            let e = lag.entry(r.source.clone()).or_default();
            *e = (*e).max(behind);
            let label = match s.map(|s| s.state) {
                Some(SyncState::Syncing) => "syncing",
                Some(SyncState::Error) => "error",
                _ => "idle",
            };
            *states.entry(label).or_default() += 1;
        }
        for (source, behind) in lag {
            metrics::gauge!("quarry_sync_lag_seconds", "source" => source)
                .set(behind as f64 / 1000.0);
        }
        for (label, n) in states {
            metrics::gauge!("quarry_repositories", "state" => label).set(n as f64);
        }
    }

    fn next_job(&self, id: usize) -> Option<usize> {
        let mut q = self.queue.lock().expect("not poisoned");
        loop {
            if self.stopping.load(Ordering::Relaxed)
                || id >= self.workers_wanted.load(Ordering::SeqCst)
            {
                return None;
            }
            if let Some(i) = q.0.pop_front() {
                metrics::gauge!("quarry_sync_queue_depth").set(q.0.len() as f64);
                return Some(i);
            }
            q = self.wake.wait(q).expect("not poisoned");
        }
    }

    fn work(&self, id: usize, state: &AppState) {
        let data = state.data.clone();
        let mirrors: PathBuf = data.root().join("mirrors");
        while let Some(i) = self.next_job(id) {
            let repo = self.repos.read().expect("not poisoned")[i].clone();
            if let Some(repo) = repo {
                let opts = self.index_options.read().expect("not poisoned").clone();
                self.running.fetch_add(1, Ordering::SeqCst);
                metrics::gauge!("quarry_sync_in_progress").increment(1.0);
                self.sync_one(state, &data, &mirrors, &repo, &opts);
                metrics::gauge!("quarry_sync_in_progress").decrement(1.0);
                self.running.fetch_sub(1, Ordering::SeqCst);
            }
            self.queue.lock().expect("not poisoned").1.remove(&i);
        }
    }

    fn sync_one(
        &self,
        state: &AppState,
        data: &quarry_index::DataDir,
        mirrors: &std::path::Path,
        repo: &Repo,
        opts: &IndexOptions,
    ) {
        let started = Timestamp::now();
        let t = Instant::now();
        state.set_status(&repo.name, |s| {
            s.state = SyncState::Syncing;
            s.last_fetch_at = Some(ms(started));
        });
        tracing::debug!(repo = %repo.name, "sync started");
        let outcome = sources::sync(data, mirrors, repo, opts);
        let label = if outcome.is_ok() { "ok" } else { "error" };
        metrics::counter!("quarry_sync_runs_total", "outcome" => label, "source" => repo.source.clone())
            .increment(1);
        metrics::histogram!("quarry_sync_duration_seconds", "outcome" => label)
            .record(t.elapsed().as_secs_f64());
        // A repository removed by a reload while it synced must not reappear in the status.
        let still_wanted = self.slot_of(&repo.name).is_some();
        match outcome {
            Ok(o) => {
                if o.changed {
                    for e in state.reload() {
                        tracing::warn!("{e}");
                    }
                    tracing::info!(repo = %repo.name, "{}", o.summary);
                }
                let store = &self.store;
                let result = self.rt.block_on(async {
                    store
                        .record_sync_ok(&repo.name, started, t.elapsed())
                        .await?;
                    for (name, commit, files, bytes, shards) in &o.refs {
                        let rs = RefState {
                            ref_name: if name.is_empty() {
                                "HEAD".into()
                            } else {
                                name.clone()
                            },
                            commit: commit.clone(),
                            indexed_at: Timestamp::now(),
                            files: *files,
                            bytes: *bytes,
                            shards: *shards,
                        };
                        store.set_ref_indexed(&repo.name, &rs).await?;
                    }
                    Ok::<_, quarry_store::StoreError>(())
                });
                if let Err(e) = result {
                    tracing::warn!(
                        repo = %repo.name,
                        "cannot record the sync of {} in the state store: {e}",
                        repo.name
                    );
                }
                if still_wanted {
                    state.set_status(&repo.name, |s| {
                        s.state = SyncState::Idle;
                        s.last_success_at = Some(ms(Timestamp::now()));
                    });
                }
            }
            Err(e) => {
                tracing::error!(repo = %repo.name, "syncing {}: {e}", repo.name);
                let _ = self
                    .rt
                    .block_on(self.store.record_sync_error(&repo.name, started, &e));
                if still_wanted {
                    state.set_status(&repo.name, |s| {
                        s.state = SyncState::Error;
                        s.last_error = Some(e.clone());
                        s.last_error_at = Some(ms(Timestamp::now()));
                    });
                }
            }
        }
    }
}

/// Whether a reload leaves a repository's sync as it was.
fn same(a: &Repo, b: &Repo) -> bool {
    a.origin == b.origin
        && a.branches == b.branches
        && a.tags == b.tags
        && a.interval == b.interval
        && a.visibility == b.visibility
        && a.source == b.source
}
