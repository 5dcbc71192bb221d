//! The data directory: repository manifests and their shards, published atomically.
//!
//! ```text
//! DATA/quarry.lock                         held (flock) by the one writer at a time
//! DATA/repos/<key>.json                    manifest: which shard files make up the repository
//! DATA/shards/<key>.<generation>.<n>.qshard
//! ```
//! where `<key>` is the escaped repository name, plus `~<escaped branch>` for a git branch.
//! ```text
//! ```
//! A re-index writes a new generation of shards (each fsynced), then renames the new manifest
//! over the old one, and only then deletes the old generation. A crash at any point leaves
//! either the old or the new manifest in place with all the shards it names.

use crate::shard::Shard;
use crate::IndexError;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const MANIFEST_VERSION: u32 = 1;

fn default_true() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct IndexStats {
    pub files: u64,
    pub bytes: u64,
    pub skipped: u64,
    pub index_bytes: u64,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub version: u32,
    pub name: String,
    /// The git branch or tag indexed; empty for a directory tree.
    #[serde(default)]
    pub branch: String,
    /// The commit indexed; empty for a directory tree.
    #[serde(default)]
    pub commit: String,
    /// Whether `branch` is the repository's default branch.
    #[serde(default = "default_true")]
    pub default_branch: bool,
    /// Where the repository was indexed from (absolute path), for operators.
    pub source: String,
    pub generation: u64,
    pub indexed_at_unix: u64,
    pub shards: Vec<String>,
    pub stats: IndexStats,
}

/// A data directory. Cheap to construct; touches the disk only when asked.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

/// Shards loaded from a data directory, and the repositories that failed to load.
pub struct Loaded {
    pub shards: Vec<Arc<Shard>>,
    pub errors: Vec<IndexError>,
}

/// Holds the data directory's writer lock until dropped.
pub struct WriteLock {
    _file: File,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    fn repos_dir(&self) -> PathBuf {
        self.root.join("repos")
    }
    pub fn shards_dir(&self) -> PathBuf {
        self.root.join("shards")
    }
    fn manifest_path(&self, key: &str) -> PathBuf {
        self.repos_dir().join(format!("{key}.json"))
    }

    /// Creates the directory layout and takes the writer lock, waiting for another writer.
    pub fn lock_for_writing(&self) -> Result<WriteLock, IndexError> {
        for dir in [self.root.clone(), self.repos_dir(), self.shards_dir()] {
            std::fs::create_dir_all(&dir).map_err(|e| IndexError::io(&dir, e))?;
        }
        let path = self.root.join("quarry.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| IndexError::io(&path, e))?;
        if file.try_lock().is_err() {
            eprintln!(
                "waiting for another quarry process writing to {} ...",
                self.root.display()
            );
            file.lock().map_err(|e| IndexError::io(&path, e))?;
        }
        Ok(WriteLock { _file: file })
    }

    /// The manifest of a repository's directory index or branch (`branch` empty for directories).
    pub fn manifest(&self, repo: &str, branch: &str) -> Result<Option<Manifest>, IndexError> {
        self.manifest_by_key(&unit_key(repo, branch))
    }

    pub(crate) fn manifest_by_key(&self, key: &str) -> Result<Option<Manifest>, IndexError> {
        read_manifest(&self.manifest_path(key))
    }

    /// Every repository's manifest, sorted by name. Unreadable manifests are reported, not fatal.
    pub fn manifests(&self) -> (Vec<Manifest>, Vec<IndexError>) {
        let (mut found, mut errors) = (Vec::new(), Vec::new());
        let dir = self.repos_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (found, errors),
            Err(e) => return (found, vec![IndexError::io(&dir, e)]),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                match read_manifest(&path) {
                    Ok(Some(m)) => found.push(m),
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        (found, errors)
    }

    /// Opens every repository's shards. A repository whose manifest or shards are unreadable
    /// is reported in `errors` and the others still load.
    pub fn load(&self) -> Loaded {
        self.load_with_progress(&|_, _| {})
    }

    /// [`DataDir::load`], calling `progress(repository refs opened, of total)` as it goes
    /// (start-up probes show it: opening shards on a large index takes a while).
    pub fn load_with_progress(&self, progress: &dyn Fn(usize, usize)) -> Loaded {
        let (manifests, mut errors) = self.manifests();
        let total = manifests.len();
        let mut shards = Vec::new();
        for (done, m) in manifests.into_iter().enumerate() {
            progress(done, total);
            match self.open_repo(&m) {
                Ok(s) => shards.extend(s),
                // The manifest may have been replaced (and its old shards deleted) between our
                // reading it and opening them: read it once more.
                Err(_)
                    if self
                        .manifest(&m.name, &m.branch)
                        .ok()
                        .flatten()
                        .is_some_and(|n| n != m) =>
                {
                    match self
                        .manifest(&m.name, &m.branch)
                        .ok()
                        .flatten()
                        .map(|n| self.open_repo(&n))
                    {
                        Some(Ok(s)) => shards.extend(s),
                        Some(Err(e)) => errors.push(e),
                        None => {}
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        progress(total, total);
        Loaded { shards, errors }
    }

    fn open_repo(&self, m: &Manifest) -> Result<Vec<Arc<Shard>>, IndexError> {
        m.shards
            .iter()
            .map(|f| Shard::open(&self.shards_dir().join(f)).map(Arc::new))
            .collect()
    }

    /// Publishes a new manifest atomically, then removes shard files of this repository that
    /// it no longer names (the previous generation, and leftovers of interrupted runs).
    pub fn publish(&self, manifest: &Manifest, _lock: &WriteLock) -> Result<(), IndexError> {
        let key = unit_key(&manifest.name, &manifest.branch);
        let path = self.manifest_path(&key);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            sync_dir(&self.shards_dir())?;
            std::fs::rename(&tmp, &path)?;
            sync_dir(&self.repos_dir())
        };
        write().map_err(|e| IndexError::io(&path, e))?;
        self.remove_unreferenced(&key, &manifest.shards);
        Ok(())
    }

    /// Removes a repository's index (of one branch): its manifest first (atomically
    /// unpublished), then its shards.
    pub fn remove(&self, repo: &str, branch: &str, _lock: &WriteLock) -> Result<bool, IndexError> {
        let key = unit_key(repo, branch);
        let path = self.manifest_path(&key);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(IndexError::io(&path, e)),
        }
        sync_dir(&self.repos_dir()).map_err(|e| IndexError::io(&path, e))?;
        self.remove_unreferenced(&key, &[]);
        Ok(true)
    }

    fn remove_unreferenced(&self, key: &str, keep: &[String]) {
        let prefix = format!("{key}.");
        let Ok(entries) = std::fs::read_dir(self.shards_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.strip_prefix(&prefix).is_some_and(|rest| {
                // `<generation>.<n>.qshard` (or `.tmp`): digits only, so that repository
                // "a" never claims the shards of repository "a.b".
                let mut parts = rest.split('.');
                let digits = |p: Option<&str>| {
                    p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                };
                digits(parts.next()) && digits(parts.next())
            });
            if ours && !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    pub fn shard_file_name(key: &str, generation: u64, n: usize) -> String {
        format!("{key}.{generation}.{n}.qshard")
    }
}

fn read_manifest(path: &Path) -> Result<Option<Manifest>, IndexError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(IndexError::io(path, e)),
    };
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| IndexError::Corrupt {
        path: path.to_owned(),
        what: format!("unreadable manifest: {e}"),
    })?;
    if m.version != MANIFEST_VERSION {
        return Err(IndexError::Version {
            path: path.to_owned(),
            found: m.version,
            supported: MANIFEST_VERSION,
        });
    }
    Ok(Some(m))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The file-name key of a repository's index: the escaped name, and for a git branch `~` and
/// the escaped branch (escaping never produces `~` or `.`, so keys cannot collide).
pub fn unit_key(repo: &str, branch: &str) -> String {
    if branch.is_empty() {
        escape_name(repo)
    } else {
        format!("{}~{}", escape_name(repo), escape_name(branch))
    }
}

/// Makes a repository name safe as a file name: keeps `[A-Za-z0-9_-]`, percent-encodes the rest
/// (dots too, since they separate the parts of shard file names).
pub fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
