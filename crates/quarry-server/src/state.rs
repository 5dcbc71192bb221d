//! What every handler shares: the loaded shards, search limits, repository status.

use quarry_index::DataDir;
use quarry_search::{SearchOptions, Searcher};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tokio::sync::Semaphore;

/// Sync status of one repository, as shown on its page and in `/api/repos`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub state: SyncState,
    pub last_fetch_at: Option<u64>,
    pub last_success_at: Option<u64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<u64>,
    /// Where the repository comes from (a path or a URL).
    pub source: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    #[default]
    Idle,
    Syncing,
    Error,
}

/// Asks the sync machinery to refresh a repository now.
pub trait SyncTrigger: Send + Sync {
    /// Returns false when the repository is unknown to the sync machinery.
    fn trigger(&self, repo: &str) -> bool;
}

pub struct AppState {
    searcher: RwLock<Arc<Searcher>>,
    pub data: DataDir,
    search_options: RwLock<SearchOptions>,
    pub search_slots: Arc<Semaphore>,
    /// How many permits `search_slots` is meant to hold (the semaphore cannot say).
    search_capacity: std::sync::Mutex<usize>,
    pub status: RwLock<BTreeMap<String, SyncStatus>>,
    pub sync: RwLock<Option<Arc<dyn SyncTrigger>>>,
    pub webhook_secrets: RwLock<crate::webhooks::WebhookSecrets>,
    pub push_target: RwLock<Option<Arc<dyn crate::webhooks::PushTarget>>>,
    pub authenticator: RwLock<Option<Arc<dyn crate::auth::Authenticator>>>,
    /// When set, API calls need a user (token or session); otherwise anonymous users may read
    /// public repositories.
    pub auth_required: std::sync::atomic::AtomicBool,
    /// Repositories not listed are public.
    pub visibility: RwLock<std::collections::HashMap<String, crate::auth::Visibility>>,
    pub startup: RwLock<crate::probes::Startup>,
    /// What readiness depends on besides the index.
    pub health_checks: RwLock<Vec<Arc<dyn crate::probes::HealthCheck>>>,
    /// What `/api/debug/...` reports (effective configuration, listen address, load errors).
    pub debug: crate::debug::DebugContext,
}

impl AppState {
    pub fn new(
        data: DataDir,
        search_options: SearchOptions,
        max_concurrent_searches: usize,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            searcher: RwLock::new(Arc::new(Searcher::new(Vec::new()))),
            data,
            search_options: RwLock::new(search_options),
            search_slots: Arc::new(Semaphore::new(max_concurrent_searches.max(1))),
            search_capacity: std::sync::Mutex::new(max_concurrent_searches.max(1)),
            status: RwLock::new(BTreeMap::new()),
            sync: RwLock::new(None),
            webhook_secrets: RwLock::new(Default::default()),
            push_target: RwLock::new(None),
            authenticator: RwLock::new(None),
            auth_required: std::sync::atomic::AtomicBool::new(false),
            visibility: RwLock::new(Default::default()),
            startup: RwLock::new(Default::default()),
            health_checks: RwLock::new(Vec::new()),
            debug: Default::default(),
        })
    }

    /// The limits searches run with now (hot reload may change them).
    pub fn search_options(&self) -> SearchOptions {
        self.search_options.read().expect("not poisoned").clone()
    }

    /// Applies new search limits live. Fewer slots take effect as running searches finish.
    pub fn set_search_limits(&self, options: SearchOptions, max_concurrent: usize) {
        *self.search_options.write().expect("not poisoned") = options;
        let target = max_concurrent.max(1);
        let mut capacity = self.search_capacity.lock().expect("not poisoned");
        if target > *capacity {
            self.search_slots.add_permits(target - *capacity);
        } else if target < *capacity {
            let mut excess = *capacity - target;
            excess -= self.search_slots.forget_permits(excess);
            if excess > 0 {
                // The rest are held by running searches: take them back as they are released.
                let slots = self.search_slots.clone();
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        if let Ok(p) = slots.acquire_many(excess as u32).await {
                            p.forget();
                        }
                    });
                }
            }
        }
        *capacity = target;
    }

    /// Loads the index (call it off the request path: probes answer meanwhile) and marks
    /// start-up done. Returns the errors of repositories that failed to load.
    pub fn load(&self) -> Vec<String> {
        self.startup.write().expect("not poisoned").phase = "loading shards".into();
        let errors = self.reload_with_progress(&|done, total| {
            self.startup.write().expect("not poisoned").phase =
                format!("loading shards: {done} of {total} repository refs opened");
        });
        let mut s = self.startup.write().expect("not poisoned");
        s.phase = "serving".into();
        s.done = true;
        errors
    }

    /// Every loaded shard, whoever asks: private to this module so that handlers can only
    /// search through [`AppState::searcher_for`], which applies visibility.
    fn searcher(&self) -> Arc<Searcher> {
        self.searcher.read().expect("not poisoned").clone()
    }

    /// Re-reads the data directory's manifests and swaps in the new set of shards. Returns the
    /// errors of repositories that failed to load (the others are served).
    pub fn reload(&self) -> Vec<String> {
        self.reload_with_progress(&|_, _| {})
    }

    fn reload_with_progress(&self, progress: &dyn Fn(usize, usize)) -> Vec<String> {
        let loaded = self.data.load_with_progress(progress);
        let bytes: u64 = loaded.shards.iter().map(|s| s.file_size()).sum();
        let mut repos: Vec<&str> = loaded.shards.iter().map(|s| s.repo()).collect();
        repos.sort_unstable();
        repos.dedup();
        metrics::gauge!("quarry_shards_loaded").set(loaded.shards.len() as f64);
        metrics::gauge!("quarry_shard_bytes_loaded").set(bytes as f64);
        metrics::gauge!("quarry_repositories_indexed").set(repos.len() as f64);
        metrics::gauge!("quarry_index_load_errors").set(loaded.errors.len() as f64);
        metrics::counter!("quarry_index_reloads_total").increment(1);
        *self.searcher.write().expect("not poisoned") = Arc::new(Searcher::new(loaded.shards));
        let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        *self.debug.load_errors.write().expect("not poisoned") = errors.clone();
        errors
    }

    /// File names of the shards being served (for the debug inventory).
    pub fn loaded_shard_files(&self) -> std::collections::HashSet<String> {
        self.searcher()
            .shards()
            .iter()
            .filter_map(|s| s.path().file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect()
    }

    /// How many shards are loaded (for logs and probes).
    pub fn shard_count(&self) -> usize {
        self.searcher().shards().len()
    }

    /// Whether `who` may see repository `repo`.
    pub fn visible(&self, repo: &str, who: Option<&crate::auth::Principal>) -> bool {
        self.visibility
            .read()
            .expect("not poisoned")
            .get(repo)
            .is_none_or(|v| v.allows(who))
    }

    /// The shards `who` may search: private repositories of others never reach the engine, so
    /// no result, count or filter can reveal them.
    pub fn searcher_for(&self, who: Option<&crate::auth::Principal>) -> Arc<Searcher> {
        let all = self.searcher();
        let vis = self.visibility.read().expect("not poisoned");
        if vis.values().all(|v| *v == crate::auth::Visibility::Public) {
            return all;
        }
        let shards = all
            .shards()
            .iter()
            .filter(|s| vis.get(s.repo()).is_none_or(|v| v.allows(who)))
            .cloned()
            .collect();
        Arc::new(Searcher::new(shards))
    }

    pub fn set_status(&self, repo: &str, f: impl FnOnce(&mut SyncStatus)) {
        let mut map = self.status.write().expect("not poisoned");
        f(map.entry(repo.to_string()).or_default());
    }
}

/// Registers the help text of the metrics about what is served.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, Unit};
    describe_gauge!("quarry_shards_loaded", "Index shards mapped and searched.");
    describe_gauge!(
        "quarry_shard_bytes_loaded",
        Unit::Bytes,
        "Bytes of the index shards mapped and searched."
    );
    describe_gauge!(
        "quarry_repositories_indexed",
        "Repositories with at least one loaded shard."
    );
    describe_gauge!(
        "quarry_index_load_errors",
        "Repositories whose index failed to load at the last reload (damaged or missing shards)."
    );
    describe_counter!(
        "quarry_index_reloads_total",
        "Times the set of served shards was re-read (start, and after each index change)."
    );
}

/// A stable numeric id for a repository name (Sourcegraph clients expect `repositoryID`).
pub fn repo_id(name: &str) -> u64 {
    // FNV-1a, folded to 31 bits so that clients using int32 are happy.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    (h ^ (h >> 32)) & 0x7FFF_FFFF
}
