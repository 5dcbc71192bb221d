//! Runs repository syncs: every repository on its interval, or at once when triggered.

use crate::sources::{self, Repo};
use quarry_index::IndexOptions;
use quarry_server::{AppState, SyncState, SyncTrigger};
use quarry_store::{RefState, Store, Timestamp};
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

pub fn ms(t: Timestamp) -> u64 {
    t.unix_millis().max(0) as u64
}

/// Runs syncs: every repository on its interval (jittered), and at once when triggered (API,
/// webhook). A repository is never synced twice at the same time; one failing never stops
/// the others.
pub struct Scheduler {
    /// Append-only (indexes are stable): code host discovery adds repositories while running.
    repos: RwLock<Vec<Repo>>,
    store: Store,
    rt: tokio::runtime::Handle,
    queue: Mutex<(VecDeque<usize>, HashSet<usize>)>,
    wake: Condvar,
    pub stopping: AtomicBool,
    index_options: IndexOptions,
}

impl SyncTrigger for Scheduler {
    fn trigger(&self, repo: &str) -> bool {
        let index = self
            .repos
            .read()
            .expect("not poisoned")
            .iter()
            .position(|r| r.name == repo);
        match index {
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
            if let sources::Origin::Git(url) = &r.origin {
                if pushed.contains(&quarry_server::webhooks::normalize_url(url)) {
                    self.enqueue(i);
                    triggered.push(r.name.clone());
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
    ) -> Self {
        Scheduler {
            repos: RwLock::new(repos),
            store,
            rt,
            queue: Mutex::new((VecDeque::new(), HashSet::new())),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            index_options,
        }
    }

    /// Adds a repository found after start (code host discovery); returns false if known.
    pub fn add(&self, repo: Repo) -> bool {
        let mut repos = self.repos.write().expect("not poisoned");
        if repos.iter().any(|r| r.name == repo.name) {
            return false;
        }
        repos.push(repo);
        true
    }

    /// How many repositories are scheduled.
    pub fn len(&self) -> usize {
        self.repos.read().expect("not poisoned").len()
    }

    fn enqueue(&self, i: usize) {
        let mut q = self.queue.lock().expect("not poisoned");
        if q.1.insert(i) {
            q.0.push_back(i);
            self.wake.notify_one();
        }
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    /// Starts the timer and `workers` sync threads; returns their handles.
    pub fn start(
        self: &Arc<Self>,
        state: Arc<AppState>,
        workers: usize,
    ) -> Vec<std::thread::JoinHandle<()>> {
        let mut handles = Vec::new();
        let timer = self.clone();
        handles.push(std::thread::spawn(move || {
            use std::hash::BuildHasher;
            // Randomly seeded per process, so that servers started together drift apart.
            let seed = std::collections::hash_map::RandomState::new();
            let mut due: Vec<Instant> = Vec::new();
            let mut round = 0u64;
            while !timer.stopping.load(Ordering::Relaxed) {
                let now = Instant::now();
                let intervals: Vec<Duration> = timer
                    .repos
                    .read()
                    .expect("not poisoned")
                    .iter()
                    .map(|r| r.interval)
                    .collect();
                due.resize(intervals.len(), now);
                for (i, interval) in intervals.iter().enumerate() {
                    if due[i] <= now {
                        timer.enqueue(i);
                        round += 1;
                        let jitter = seed.hash_one((i, round)) % 2001; // ±10%
                        due[i] = now + interval.mul_f64(0.9 + jitter as f64 / 10_000.0);
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }));
        for _ in 0..workers {
            let s = self.clone();
            let state = state.clone();
            handles.push(std::thread::spawn(move || s.work(&state)));
        }
        handles
    }

    fn work(&self, state: &AppState) {
        let data = state.data.clone();
        let mirrors: PathBuf = data.root().join("mirrors");
        let opts = self.index_options.clone();
        loop {
            let i = {
                let mut q = self.queue.lock().expect("not poisoned");
                loop {
                    if self.stopping.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Some(i) = q.0.pop_front() {
                        break i;
                    }
                    q = self.wake.wait(q).expect("not poisoned");
                }
            };
            let repo = &self.repos.read().expect("not poisoned")[i].clone();
            let started = Timestamp::now();
            let t = Instant::now();
            state.set_status(&repo.name, |s| {
                s.state = SyncState::Syncing;
                s.last_fetch_at = Some(ms(started));
            });
            let outcome = sources::sync(&data, &mirrors, repo, &opts);
            match outcome {
                Ok(o) => {
                    if o.changed {
                        for e in state.reload() {
                            eprintln!("quarry: warning: {e}");
                        }
                        eprintln!("quarry: {}", o.summary);
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
                        eprintln!(
                            "quarry: warning: cannot record the sync of {} in the state store: {e}",
                            repo.name
                        );
                    }
                    state.set_status(&repo.name, |s| {
                        s.state = SyncState::Idle;
                        s.last_success_at = Some(ms(Timestamp::now()));
                    });
                }
                Err(e) => {
                    eprintln!("quarry: error: syncing {}: {e}", repo.name);
                    let _ = self
                        .rt
                        .block_on(self.store.record_sync_error(&repo.name, started, &e));
                    state.set_status(&repo.name, |s| {
                        s.state = SyncState::Error;
                        s.last_error = Some(e.clone());
                        s.last_error_at = Some(ms(Timestamp::now()));
                    });
                }
            }
            self.queue.lock().expect("not poisoned").1.remove(&i);
        }
    }
}
