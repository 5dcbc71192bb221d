//! Keeps a repository's indexes in step with its remote: fetch, compare each wanted ref's
//! commit with its manifest, index what changed, remove what went away.

use crate::git::{GitOptions, GitRef, Mirror, RefKind};
use crate::select::filter_refs;
use crate::source::GitSource;
use crate::SyncError;
use quarry_index::store::escape_name;
use quarry_index::{index_source, DataDir, IndexOptions, Progress, Target};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A repository to mirror and index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSpec {
    /// The repository's name in the index (`repo:` filters on it).
    pub name: String,
    /// Anything `git clone` takes: `https://`, `ssh://`, `user@host:path`, `git://`,
    /// `file://` or a local path to a git repository.
    pub url: String,
    /// Globs of branches to index besides the default branch, which is always indexed.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Globs of tags to index.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What a sync did. Durations are in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub repo: String,
    /// True if the mirror was cloned by this sync, false if an existing one was fetched.
    pub cloned: bool,
    /// Time of the clone or fetch.
    pub fetch_ms: u64,
    pub default_branch: Option<String>,
    /// Refs indexed anew, default branch first.
    pub indexed: Vec<IndexedRef>,
    /// Refs whose index already was of their current commit.
    pub unchanged: Vec<String>,
    /// Branch or tag indexes removed: the ref is gone or no longer matches the globs.
    pub removed: Vec<String>,
    /// Refs that could not be indexed; the others are still synced. Their previous index, if
    /// any, stays in place.
    pub failed: Vec<FailedRef>,
    /// Refs not indexed and why (a tag named like an indexed branch: the branch wins).
    pub ignored: Vec<IgnoredRef>,
    pub total_ms: u64,
}

impl SyncReport {
    /// One line for logs: `repo: fetched in 120 ms; 2 indexed, 5 unchanged, 1 removed`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} in {} ms; {} indexed, {} unchanged, {} removed",
            self.repo,
            if self.cloned { "cloned" } else { "fetched" },
            self.fetch_ms,
            self.indexed.len(),
            self.unchanged.len(),
            self.removed.len()
        );
        if !self.failed.is_empty() {
            s.push_str(&format!(", {} failed", self.failed.len()));
        }
        s.push_str(&format!(" ({} ms in all)", self.total_ms));
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexedRef {
    pub name: String,
    pub kind: RefKind,
    pub commit: String,
    /// The commit indexed before, if any.
    pub previous_commit: Option<String>,
    pub files: u64,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedRef {
    pub name: String,
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IgnoredRef {
    pub name: String,
    pub kind: RefKind,
    pub reason: String,
}

/// The mirror directory of a repository: `<mirrors_dir>/<escaped name>.git`.
pub fn mirror_dir(mirrors_dir: &Path, name: &str) -> PathBuf {
    mirrors_dir.join(format!("{}.git", escape_name(name)))
}

/// Syncs one repository with default [`GitOptions`]; see [`sync_repository_with`].
pub fn sync_repository(
    data: &DataDir,
    mirrors_dir: &Path,
    spec: &RepoSpec,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, SyncError> {
    sync_repository_with(
        data,
        mirrors_dir,
        spec,
        opts,
        &GitOptions::default(),
        progress,
    )
}

/// Clones or fetches the mirror of `spec`, then indexes the default branch and the branches
/// and tags matching its globs whose commit differs from their current index (as
/// `Target{repo: spec.name, branch: <ref name>, commit}`), and removes the indexes of this
/// repository's refs that are gone or no longer wanted.
///
/// Syncs of the same repository are serialized by a lock file next to its mirror; syncs of
/// different repositories may run in parallel (their index writes take turns on the data
/// directory's lock). An error means nothing was changed in the index: the clone or fetch
/// failed, or the mirror could not be read. A ref that fails to index is listed in
/// [`SyncReport::failed`] and the others are synced.
pub fn sync_repository_with(
    data: &DataDir,
    mirrors_dir: &Path,
    spec: &RepoSpec,
    opts: &IndexOptions,
    git: &GitOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    if spec.name.is_empty() || spec.name.chars().any(|c| c.is_control()) {
        return Err(SyncError::Invalid(format!(
            "invalid repository name {:?}: use a non-empty name without control characters",
            spec.name
        )));
    }
    if spec.url.trim().is_empty() {
        return Err(SyncError::Invalid(format!(
            "repository {}: no URL to clone from",
            spec.name
        )));
    }
    std::fs::create_dir_all(mirrors_dir).map_err(|e| SyncError::io(mirrors_dir, e))?;
    let dir = mirror_dir(mirrors_dir, &spec.name);
    let _lock = lock_mirror(&dir)?;

    let mirror = Mirror::open_or_clone_with(&spec.url, &dir, git)?;
    if !mirror.was_cloned() {
        mirror.fetch()?;
    }
    let mut report = SyncReport {
        repo: spec.name.clone(),
        cloned: mirror.was_cloned(),
        fetch_ms: ms(started.elapsed()),
        ..SyncReport::default()
    };

    let refs = mirror.refs()?;
    let default = mirror.default_branch()?;
    report.default_branch = default.clone();
    let wanted = wanted_refs(&refs, default.as_deref(), spec, &mut report.ignored);

    for r in &wanted {
        let is_default = r.kind == RefKind::Branch && default.as_deref() == Some(r.name.as_str());
        let manifest = data.manifest(&spec.name, &r.name).ok().flatten();
        // An unreadable or old-format manifest is replaced by a fresh index.
        let previous = manifest.as_ref().map(|m| m.commit.clone());
        // A ref that became (or stopped being) the default branch is re-indexed too, so that
        // searches without rev: see exactly the default branch.
        let same_role = manifest
            .as_ref()
            .is_some_and(|m| m.default_branch == is_default);
        if previous.as_deref() == Some(r.commit.as_str()) && same_role {
            report.unchanged.push(r.name.clone());
            continue;
        }
        let t = Instant::now();
        let target = Target {
            repo: spec.name.clone(),
            branch: r.name.clone(),
            commit: r.commit.clone(),
            default_branch: is_default,
        };
        match index_source(
            data,
            &target,
            &GitSource::new(&mirror, &r.commit),
            opts,
            progress,
        ) {
            Ok(m) => report.indexed.push(IndexedRef {
                name: r.name.clone(),
                kind: r.kind,
                commit: r.commit.clone(),
                previous_commit: previous,
                files: m.stats.files + m.stats.skipped,
                duration_ms: ms(t.elapsed()),
            }),
            Err(e) => report.failed.push(FailedRef {
                name: r.name.clone(),
                error: SyncError::Index {
                    repo: spec.name.clone(),
                    branch: r.name.clone(),
                    source: e,
                }
                .to_string(),
            }),
        }
    }

    // Indexes of this repository's refs that are no longer wanted. A directory index of the
    // same name (empty branch) is not a git ref and is left alone.
    let (manifests, _) = data.manifests();
    let stale: Vec<String> = manifests
        .into_iter()
        .filter(|m| m.name == spec.name && !m.branch.is_empty())
        .map(|m| m.branch)
        .filter(|b| !wanted.iter().any(|r| &r.name == b))
        .collect();
    if !stale.is_empty() {
        let lock = data.lock_for_writing().map_err(|e| SyncError::Index {
            repo: spec.name.clone(),
            branch: stale.join(", "),
            source: e,
        })?;
        for branch in stale {
            match data.remove(&spec.name, &branch, &lock) {
                Ok(true) => report.removed.push(branch),
                Ok(false) => {}
                Err(e) => report.failed.push(FailedRef {
                    error: format!("removing the index of {} {branch}: {e}", spec.name),
                    name: branch,
                }),
            }
        }
    }
    report.total_ms = ms(started.elapsed());
    Ok(report)
}

/// The default branch first, then matching branches, then matching tags (a tag with the name
/// of a wanted branch is ignored: indexes are keyed by name).
fn wanted_refs(
    refs: &[GitRef],
    default: Option<&str>,
    spec: &RepoSpec,
    ignored: &mut Vec<IgnoredRef>,
) -> Vec<GitRef> {
    let mut by_name: BTreeMap<String, GitRef> = BTreeMap::new();
    for r in filter_refs(refs.to_vec(), &spec.branches, &spec.tags) {
        if let Some(existing) = by_name.get(&r.name) {
            if existing.kind != r.kind {
                ignored.push(IgnoredRef {
                    name: r.name.clone(),
                    kind: r.kind,
                    reason: "a branch has the same name".into(),
                });
            }
            continue;
        }
        by_name.insert(r.name.clone(), r);
    }
    let mut wanted = Vec::with_capacity(by_name.len() + 1);
    if let Some(d) = default {
        let branch = refs
            .iter()
            .find(|r| r.kind == RefKind::Branch && r.name == d)
            .cloned();
        if let Some(b) = branch {
            if by_name.remove(d).is_some_and(|r| r.kind == RefKind::Tag) {
                ignored.push(IgnoredRef {
                    name: d.to_string(),
                    kind: RefKind::Tag,
                    reason: "a branch has the same name".into(),
                });
            }
            wanted.push(b);
        }
    }
    // Branches sort before tags in `filter_refs`' input, so a branch always claims a name first.
    wanted.extend(by_name.into_values());
    wanted
}

struct MirrorLock {
    _file: std::fs::File,
}

fn lock_mirror(dir: &Path) -> Result<MirrorLock, SyncError> {
    let path = dir.with_extension("lock");
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| SyncError::io(&path, e))?;
    file.lock().map_err(|e| SyncError::io(&path, e))?;
    Ok(MirrorLock { _file: file })
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}
