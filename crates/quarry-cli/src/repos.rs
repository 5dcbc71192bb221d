//! Which repositories `quarry serve` keeps: from the config, the command line and code hosts;
//! registering them in the store, and forgetting the ones a reload removed.

use crate::scheduler::{ms, Scheduler};
use crate::sources::{self, Repo};
use quarry_server::{AppState, SyncState, SyncTrigger};
use quarry_store::{RepoSpec, SourceKind, Store};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub fn visibility(v: &quarry_config::Visibility) -> quarry_server::auth::Visibility {
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
        source: h.host.host_label(),
    }
}

/// The repositories of a configuration, and the code hosts that could not be listed (their
/// repositories are kept as they were: a host outage must not unschedule them).
pub struct Configured {
    pub repos: Vec<Repo>,
    pub unreachable_hosts: Vec<String>,
}

/// The repositories the config and the command line name, code hosts' discovered ones included.
pub fn configured_repos(
    config: &quarry_config::Config,
    args: &[String],
    interval: Duration,
    rt: &tokio::runtime::Handle,
) -> anyhow::Result<Configured> {
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
        repo.source = "config".into();
        repos.push(repo);
    }
    for s in args {
        repos.push(sources::from_argument(s, interval)?);
    }
    let mut unreachable_hosts = Vec::new();
    if !config.code_hosts.is_empty() {
        let client = quarry_codehost::Client::new().map_err(|e| anyhow::anyhow!("{e}"))?;
        for h in &config.code_hosts {
            let host = &h.host;
            match rt.block_on(quarry_codehost::discover(host, &client)) {
                Ok(found) => {
                    tracing::info!(
                        host = %host.host_label(),
                        "{} lists {} repositories",
                        host.host_label(),
                        found.len()
                    );
                    repos.extend(found.into_iter().map(|d| discovered(h, d, interval)));
                }
                // One unreachable host must not keep the others, or the server, from starting.
                Err(e) => {
                    tracing::error!(
                        host = %host.host_label(),
                        "listing repositories of {}: {e}",
                        host.host_label()
                    );
                    unreachable_hosts.push(host.host_label());
                }
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
    Ok(Configured {
        repos,
        unreachable_hosts,
    })
}

/// Lists the code hosts again every interval and starts syncing repositories that appeared.
/// (Repositories that disappeared keep their index until removed by hand: a host outage must
/// not wipe an index.) `hosts` is shared with hot reload, which may change it.
pub fn rediscover(
    hosts: Arc<RwLock<Vec<quarry_config::CodeHostSource>>>,
    interval: Duration,
    scheduler: Arc<Scheduler>,
    state: Arc<AppState>,
    store: Store,
    rt: tokio::runtime::Handle,
) {
    let Ok(client) = quarry_codehost::Client::new() else {
        return;
    };
    loop {
        let period = hosts
            .read()
            .expect("not poisoned")
            .iter()
            .map(|h| h.interval.unwrap_or(interval))
            .min()
            .unwrap_or(interval);
        let wake = Instant::now() + period;
        while Instant::now() < wake {
            if scheduler.stopping.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let current = hosts.read().expect("not poisoned").clone();
        for h in &current {
            match rt.block_on(quarry_codehost::discover(&h.host, &client)) {
                Ok(found) => {
                    for d in found {
                        let repo = discovered(h, d, interval);
                        if scheduler.add(repo.clone()) {
                            if let Err(e) =
                                rt.block_on(register(&store, &state, std::slice::from_ref(&repo)))
                            {
                                tracing::warn!("{e:#}");
                            }
                            tracing::info!(
                                repo = %repo.name,
                                "new repository {} on {}",
                                repo.name,
                                h.host.host_label()
                            );
                            scheduler.trigger(&repo.name);
                        }
                    }
                }
                Err(e) => tracing::error!(
                    host = %h.host.host_label(),
                    "listing repositories of {}: {e}",
                    h.host.host_label()
                ),
            }
        }
    }
}

/// Records the configured repositories in the store and shows their last known sync state.
pub async fn register(store: &Store, state: &AppState, repos: &[Repo]) -> anyhow::Result<()> {
    let mut visibility = std::collections::HashMap::new();
    for r in repos {
        let spec = RepoSpec {
            name: r.name.clone(),
            source_kind: match r.origin {
                sources::Origin::Dir(_) => SourceKind::Path,
                sources::Origin::Git(_) => SourceKind::Git,
            },
            location: r.location(),
            source_name: r.source.clone(),
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

/// Forgets a repository removed from the configuration: it leaves the API at once; its index,
/// mirror and stored state are deleted (waiting for a sync of it that is still running).
pub fn forget(store: &Store, state: &AppState, rt: &tokio::runtime::Handle, name: &str) {
    state.status.write().expect("not poisoned").remove(name);
    let data = state.data.clone();
    let removed = (|| -> anyhow::Result<usize> {
        let lock = data.lock_for_writing()?;
        let (manifests, _) = data.manifests();
        let mut n = 0;
        for m in manifests.iter().filter(|m| m.name == name) {
            if data.remove(&m.name, &m.branch, &lock)? {
                n += 1;
            }
        }
        Ok(n)
    })();
    match removed {
        Ok(n) => {
            tracing::info!(repo = %name, "removed {name} ({n} indexed refs): no longer configured")
        }
        Err(e) => tracing::error!(repo = %name, "cannot remove the index of {name}: {e:#}"),
    }
    let mirror = quarry_sync::mirror_dir(&data.root().join("mirrors"), name);
    if mirror.exists() {
        if let Err(e) = std::fs::remove_dir_all(&mirror) {
            tracing::warn!("cannot remove the mirror {}: {e}", mirror.display());
        }
    }
    if let Err(e) = rt.block_on(store.remove_repo(name)) {
        tracing::warn!("state store: cannot remove {name}: {e}");
    }
    for e in state.reload() {
        tracing::warn!("{e}");
    }
    state.visibility.write().expect("not poisoned").remove(name);
}
