//! What is on disk: repositories and their manifests and shards, leftovers of interrupted
//! builds, and disk usage of the data directory. Pure functions of a [`DataDir`], so that
//! `quarry debug bundle` computes them offline too; the server adds what only it knows (sync
//! states, loaded shards, load errors).

use crate::state::SyncStatus;
use quarry_index::DataDir;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What a running server knows beyond the disk.
#[derive(Default)]
pub struct Live {
    /// File names of the shards being served.
    pub loaded: HashSet<String>,
    pub status: BTreeMap<String, SyncStatus>,
    pub load_errors: Vec<String>,
}

pub fn inventory(data: &DataDir, live: Option<&Live>) -> Value {
    let (manifests, unreadable) = data.manifests();
    let named: HashSet<&str> = manifests
        .iter()
        .flat_map(|m| m.shards.iter().map(String::as_str))
        .collect();
    let manifests: Vec<Value> = manifests
        .iter()
        .map(|m| {
            let shards: Vec<Value> = m
                .shards
                .iter()
                .map(|f| {
                    let size = std::fs::metadata(data.shards_dir().join(f)).map(|m| m.len());
                    json!({
                        "file": f,
                        "bytes": size.as_ref().ok(),
                        "error": size.as_ref().err().map(|e| e.to_string()),
                        "loaded": live.map(|l| l.loaded.contains(f)),
                    })
                })
                .collect();
            json!({
                "repo": m.name, "branch": m.branch, "commit": m.commit,
                "defaultBranch": m.default_branch, "source": m.source,
                "generation": m.generation, "indexedAt": m.indexed_at_unix,
                "files": m.stats.files, "bytes": m.stats.bytes, "skipped": m.stats.skipped,
                "indexBytes": m.stats.index_bytes, "shards": shards,
            })
        })
        .collect();
    let repositories: Vec<Value> = live
        .map(|l| {
            l.status
                .iter()
                .map(|(name, s)| json!({ "name": name, "sync": s }))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "repositories": repositories,
        "manifests": manifests,
        "unreadableManifests": unreadable.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "loadErrors": live.map(|l| l.load_errors.clone()),
        "leftovers": leftovers(data, &named, unreadable.is_empty()),
    })
}

/// Temporary files of interrupted builds and clones, and shards no manifest names (only
/// when every manifest could be read: otherwise an unread one may name them).
fn leftovers(data: &DataDir, named: &HashSet<&str>, all_read: bool) -> Vec<Value> {
    let mut found = Vec::new();
    let list = |dir: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    for p in list(&data.shards_dir()) {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let temporary = !name.ends_with(".qshard");
        if (temporary || all_read) && !named.contains(name.as_str()) {
            found.push(p);
        }
    }
    let root = data.root();
    found.extend(
        list(&root.join("repos"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".tmp")),
    );
    found.extend(
        list(&root.join("mirrors"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".clone-tmp")),
    );
    found.sort();
    found
        .iter()
        .map(|p| json!({ "path": p, "bytes": usage(p).bytes }))
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Usage {
    bytes: u64,
    disk_bytes: u64,
    files: u64,
}

impl Usage {
    fn add(&mut self, o: Usage) {
        self.bytes += o.bytes;
        self.disk_bytes += o.disk_bytes;
        self.files += o.files;
    }
    fn json(&self) -> Value {
        json!({ "bytes": self.bytes, "diskBytes": self.disk_bytes, "files": self.files })
    }
}

/// Apparent and allocated bytes and file count under `p`, symlinks not followed.
fn usage(p: &Path) -> Usage {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            let mut u = Usage::default();
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                u.add(usage(&e.path()));
            }
            u
        }
        Ok(m) => Usage {
            bytes: m.len(),
            disk_bytes: m.blocks() * 512,
            files: 1,
        },
        Err(_) => Usage::default(),
    }
}

/// Bytes and files per part of the data directory, and the file system's free space.
pub fn disk(data: &DataDir) -> Value {
    let root = data.root();
    let mut parts: BTreeMap<&str, Usage> = BTreeMap::new();
    let mut total = Usage::default();
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let key = match name.as_str() {
            "shards" => "shards",
            "repos" => "repos",
            "mirrors" => "mirrors",
            n if n.starts_with("quarry.db") => "quarry.db*",
            _ => "other",
        };
        let u = usage(&e.path());
        total.add(u);
        parts.entry(key).or_default().add(u);
    }
    json!({
        "dataDir": root,
        "exists": root.is_dir(),
        "parts": parts.iter().map(|(k, u)| (k.to_string(), u.json())).collect::<serde_json::Map<_, _>>(),
        "total": total.json(),
        "filesystem": filesystem(root),
    })
}

fn filesystem(root: &Path) -> Value {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(root.as_os_str().as_bytes()) else {
        return Value::Null;
    };
    // SAFETY: statvfs is plain old data; zeroed is a valid value that the call overwrites.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return json!({ "error": std::io::Error::last_os_error().to_string() });
    }
    let f = st.f_frsize as u64;
    json!({
        "totalBytes": st.f_blocks as u64 * f,
        "freeBytes": st.f_bfree as u64 * f,
        "availableBytes": st.f_bavail as u64 * f,
        "totalInodes": st.f_files as u64,
        "freeInodes": st.f_ffree as u64,
        "availableInodes": st.f_favail as u64,
    })
}
