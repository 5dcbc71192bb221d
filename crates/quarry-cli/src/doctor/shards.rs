//! `shards`: every shard's checksums; `leftovers`: files interrupted builds left behind.

use super::disk::human;
use super::Check;
use quarry_index::store::unit_key;
use quarry_index::{DataDir, IndexError};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub fn check(data: &DataDir) -> Check {
    const ID: &str = "shards";
    let verified = crate::verify::verify_all(data);
    let shards: usize = verified
        .repos
        .iter()
        .map(|r| r.good.len() + r.damaged.len())
        .sum();
    let mut details = Vec::new();
    for e in &verified.unreadable {
        details.push(describe(e));
    }
    let mut damaged_repos = Vec::new();
    for r in verified.repos.iter().filter(|r| !r.damaged.is_empty()) {
        let m = &r.manifest;
        let what = if m.branch.is_empty() {
            m.name.clone()
        } else {
            format!("{}@{}", m.name, m.branch)
        };
        for e in &r.damaged {
            details.push(format!("{what}: {}", describe(e)));
        }
        let manifest = data
            .root()
            .join("repos")
            .join(format!("{}.json", unit_key(&m.name, &m.branch)));
        damaged_repos.push((what, manifest, m.branch.is_empty().then_some(&m.source)));
    }
    if details.is_empty() {
        return if verified.repos.is_empty() {
            Check::pass(ID, "no repositories indexed yet")
        } else {
            Check::pass(
                ID,
                format!(
                    "{} of {} verified",
                    super::count(shards, "shard", "shards"),
                    super::count(verified.repos.len(), "repository", "repositories")
                ),
            )
        };
    }
    let fix = match damaged_repos.as_slice() {
        [] => "delete the unreadable manifests listed above and let the server sync those repositories again (or `quarry index PATH` them)".to_string(),
        [(what, manifest, source)] => rebuild(what, manifest, *source),
        many => many
            .iter()
            .map(|(what, manifest, source)| rebuild(what, manifest, *source))
            .collect::<Vec<_>>()
            .join("; "),
    };
    Check::fail(
        ID,
        format!(
            "{} damaged: {} of {shards} shard(s) fail their checksums, {} manifest(s) unreadable",
            damaged_repos
                .iter()
                .map(|(w, ..)| w.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            details.len() - verified.unreadable.len(),
            verified.unreadable.len()
        ),
        fix,
    )
    .with_details(details)
}

fn rebuild(what: &str, manifest: &Path, source: Option<&String>) -> String {
    match source {
        Some(src) => format!(
            "rebuild {what} with `quarry index {src}` (by hand) or delete {} and restart `quarry serve` (served)",
            manifest.display()
        ),
        None => format!(
            "rebuild {what}: delete {} and restart `quarry serve` (it syncs the branch again)",
            manifest.display()
        ),
    }
}

fn describe(e: &IndexError) -> String {
    match e {
        IndexError::Corrupt { path, what } => format!("{}: {what}", path.display()),
        IndexError::Io { path, source } => {
            format!("{}: {}", path.display(), super::io_text(source))
        }
        other => other.to_string(),
    }
}

/// Temporary files of interrupted index builds and clones, and shards no manifest names: disk
/// space nothing uses. Only looked for while no quarry process writes (they may be in use).
pub fn leftovers(data: &DataDir) -> Check {
    const ID: &str = "leftovers";
    let lock = data.root().join("quarry.lock");
    if let Ok(f) = std::fs::File::options().write(true).open(&lock) {
        if f.try_lock().is_err() {
            return Check::skip(
                ID,
                "a quarry process is writing the index now: its temporary files are in use",
            );
        }
    }
    // With a manifest unreadable, its shards would look unreferenced: only temporary files count.
    let (manifests, unreadable) = data.manifests();
    let named: HashSet<&str> = manifests
        .iter()
        .flat_map(|m| m.shards.iter().map(String::as_str))
        .collect();
    let mut found: Vec<PathBuf> = Vec::new();
    let list = |dir: PathBuf| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    for p in list(data.shards_dir()) {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        let temporary = !name.ends_with(".qshard");
        if (temporary || unreadable.is_empty()) && !named.contains(name.as_ref()) {
            found.push(p);
        }
    }
    for p in list(data.root().join("repos")) {
        if p.to_string_lossy().ends_with(".tmp") {
            found.push(p);
        }
    }
    for p in list(data.root().join("mirrors")) {
        if p.to_string_lossy().ends_with(".clone-tmp") {
            found.push(p);
        }
    }
    if found.is_empty() {
        return Check::pass(ID, "no temporary or unreferenced files");
    }
    found.sort();
    let bytes: u64 = found.iter().map(|p| size(p)).sum();
    Check::warn(
        ID,
        format!(
            "{} leftover file(s) of interrupted builds or clones take {} (e.g. {})",
            found.len(),
            human(bytes),
            found[0].display()
        ),
        "delete them while no quarry process writes to the data directory (the next index build of each repository also removes its own)",
    )
    .with_details(found.iter().map(|p| p.display().to_string()).collect())
}

fn size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p)
            .map(|d| d.flatten().map(|e| size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}
