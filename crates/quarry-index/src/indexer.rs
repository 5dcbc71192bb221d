//! Indexes a directory tree as one repository: walk, order, split into shards, build in
//! parallel, publish atomically.

use crate::builder::{NewDoc, ShardBuilder, ShardMeta};
use crate::format::*;
use crate::store::{DataDir, IndexStats, Manifest, MANIFEST_VERSION};
use crate::walk::{walk, FoundFile};
use crate::IndexError;
use rayon::prelude::*;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug)]
pub struct IndexOptions {
    /// Files larger than this keep only their path in the index.
    pub max_file_size: u64,
    /// Content bytes per shard; a larger repository becomes several shards, which also lets
    /// one query use several cores.
    pub shard_max_bytes: u64,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_file_size: 1 << 20,
            shard_max_bytes: 100 << 20,
        }
    }
}

/// Receives progress while a repository is indexed. Called from several threads.
pub trait Progress: Sync {
    fn discovered(&self, _files: u64, _bytes: u64) {}
    fn indexed(&self, _files: u64, _bytes: u64) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Indexes `root` as repository `name` and publishes it, replacing any previous index of it.
pub fn index_repository(
    data: &DataDir,
    name: &str,
    root: &Path,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<Manifest, IndexError> {
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(IndexError::Invalid(format!(
            "invalid repository name {name:?}: use a non-empty name without control characters (--name)"
        )));
    }
    if !root.is_dir() {
        return Err(IndexError::Invalid(format!(
            "{} is not a directory: quarry index takes directory trees",
            root.display()
        )));
    }
    let started = Instant::now();
    let lock = data.lock_for_writing()?;
    let mut files = walk(root, opts.max_file_size).map_err(|e| IndexError::io(root, e))?;
    let bytes: u64 = files
        .iter()
        .filter(|f| f.skip.is_none())
        .map(|f| f.size)
        .sum();
    progress.discovered(files.len() as u64, bytes);

    // Document order is a ranking decision: searches visit documents in order and may stop
    // early, so ordinary source files come before tests, vendored and generated files.
    files.sort_by_cached_key(|f| (rank_class(&f.rel), f.rel.len(), f.rel.clone()));
    let groups = split_into_shards(&files, opts.shard_max_bytes);

    let generation = data
        .manifest(name)
        .ok()
        .flatten()
        .map_or(1, |m| m.generation + 1);
    let shard_names: Vec<String> = (0..groups.len())
        .map(|n| DataDir::shard_file_name(name, generation, n))
        .collect();
    let outcomes: Vec<Result<(u64, ShardStats), IndexError>> = groups
        .par_iter()
        .enumerate()
        .map(|(n, group)| {
            let path = data.shards_dir().join(&shard_names[n]);
            build_shard(name, n as u32, generation, group, &path, progress)
        })
        .collect();
    let mut stats = IndexStats::default();
    for outcome in outcomes {
        let (size, s) = outcome?;
        stats.index_bytes += size;
        stats.files += s.files;
        stats.bytes += s.bytes;
        stats.skipped += s.skipped;
    }
    stats.duration_ms = started.elapsed().as_millis() as u64;
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        name: name.to_string(),
        source: std::path::absolute(root)
            .unwrap_or_else(|_| root.to_owned())
            .display()
            .to_string(),
        generation,
        indexed_at_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        shards: shard_names,
        stats,
    };
    data.publish(&manifest, &lock)?;
    Ok(manifest)
}

fn rank_class(path: &str) -> u8 {
    (quarry_lang::is_generated_path(path) as u8) << 2
        | (quarry_lang::is_vendored_path(path) as u8) << 1
        | quarry_lang::is_test_path(path) as u8
}

fn split_into_shards(files: &[FoundFile], max_bytes: u64) -> Vec<&[FoundFile]> {
    let mut groups = Vec::new();
    let (mut start, mut size) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        let add = if f.skip.is_none() { f.size } else { 0 };
        if i > start && size + add > max_bytes {
            groups.push(&files[start..i]);
            start = i;
            size = 0;
        }
        size += add;
    }
    groups.push(&files[start..]);
    groups
}

#[derive(Default)]
struct ShardStats {
    files: u64,
    bytes: u64,
    skipped: u64,
}

fn build_shard(
    repo: &str,
    n: u32,
    generation: u64,
    files: &[FoundFile],
    path: &Path,
    progress: &dyn Progress,
) -> Result<(u64, ShardStats), IndexError> {
    let mut builder = ShardBuilder::new();
    let mut stats = ShardStats::default();
    let (mut pending_files, mut pending_bytes) = (0, 0);
    for f in files {
        let read;
        let content = match f.skip {
            Some(reason) => Err(reason),
            None => {
                read = std::fs::read(&f.abs);
                match &read {
                    Ok(text) if memchr::memchr(0, text).is_some() => Err(SkipReason::Binary),
                    Ok(text) if text.len() as u64 > u32::MAX as u64 => Err(SkipReason::TooLarge),
                    Ok(text) => Ok(text.as_slice()),
                    Err(_) => Err(SkipReason::Unreadable),
                }
            }
        };
        let head = content.as_ref().map_or(&[][..], |t| &t[..t.len().min(256)]);
        let lang = quarry_lang::detect(&f.rel, head).map_or(0, |l| l.id);
        let flags = (quarry_lang::is_test_path(&f.rel) as u8 * FLAG_TEST)
            | (quarry_lang::is_vendored_path(&f.rel) as u8 * FLAG_VENDORED)
            | (quarry_lang::is_generated_path(&f.rel) as u8 * FLAG_GENERATED);
        match content {
            Ok(text) => {
                stats.files += 1;
                stats.bytes += text.len() as u64;
            }
            Err(_) => stats.skipped += 1,
        }
        builder.add(NewDoc {
            path: &f.rel,
            content,
            lang,
            flags,
        });
        pending_files += 1;
        pending_bytes += f.size;
        if pending_files == 256 {
            progress.indexed(pending_files, pending_bytes);
            (pending_files, pending_bytes) = (0, 0);
        }
    }
    progress.indexed(pending_files, pending_bytes);
    let meta = ShardMeta {
        repo: repo.to_string(),
        shard: n,
        generation,
        docs: builder.doc_count() as u32,
        content_bytes: builder.content_bytes() as u64,
        builder: format!("quarry-index {}", env!("CARGO_PKG_VERSION")),
    };
    let size = builder.write(path, &meta)?;
    Ok((size, stats))
}
