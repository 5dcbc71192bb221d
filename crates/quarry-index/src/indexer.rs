//! Indexes a directory tree as one repository: walk, order, split into shards, build in
//! parallel, publish atomically.

use crate::builder::{NewDoc, ShardBuilder, ShardMeta};
use crate::format::*;
use crate::source::{DirSource, Source, SourceFile};
use crate::store::unit_key;
use crate::store::{DataDir, IndexStats, Manifest, MANIFEST_VERSION};
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

/// What an index describes: a repository, and for git sources the branch and commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub repo: String,
    /// Empty for a plain directory tree.
    pub branch: String,
    /// Empty for a plain directory tree.
    pub commit: String,
    /// Whether this is the repository's default branch (true for a directory tree): what a
    /// search without `rev:` sees.
    pub default_branch: bool,
}

/// Indexes the directory `root` as repository `name`, replacing any previous index of it.
pub fn index_repository(
    data: &DataDir,
    name: &str,
    root: &Path,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<Manifest, IndexError> {
    let source = DirSource::new(root)?;
    let target = Target {
        repo: name.to_string(),
        default_branch: true,
        ..Target::default()
    };
    index_source(data, &target, &source, opts, progress)
}

/// Indexes `source` as `target` and publishes it, replacing the previous index of the same
/// repository and branch.
pub fn index_source(
    data: &DataDir,
    target: &Target,
    source: &dyn Source,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<Manifest, IndexError> {
    let started = Instant::now();
    let result = build_index(data, target, source, opts, progress);
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::counter!("quarry_index_builds_total", "outcome" => outcome).increment(1);
    metrics::histogram!("quarry_index_build_duration_seconds", "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    if let Ok(m) = &result {
        metrics::counter!("quarry_index_build_files_total").increment(m.stats.files);
        metrics::counter!("quarry_index_build_source_bytes_total").increment(m.stats.bytes);
        metrics::counter!("quarry_index_build_written_bytes_total").increment(m.stats.index_bytes);
    }
    result
}

/// Registers the help text of the index build metrics (once, by the server).
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(
        "quarry_index_builds_total",
        "Index builds (one repository ref each), by outcome (ok, error)."
    );
    describe_histogram!(
        "quarry_index_build_duration_seconds",
        Unit::Seconds,
        "Time one index build took, waiting for the writer lock included."
    );
    describe_counter!(
        "quarry_index_build_files_total",
        Unit::Count,
        "Files written into index shards by successful builds."
    );
    describe_counter!(
        "quarry_index_build_source_bytes_total",
        Unit::Bytes,
        "Bytes of source content indexed by successful builds."
    );
    describe_counter!(
        "quarry_index_build_written_bytes_total",
        Unit::Bytes,
        "Bytes of shard files written by successful builds."
    );
}

fn build_index(
    data: &DataDir,
    target: &Target,
    source: &dyn Source,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<Manifest, IndexError> {
    let name = target.repo.as_str();
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err(IndexError::Invalid(format!(
            "invalid repository name {name:?}: use a non-empty name without control characters (--name)"
        )));
    }
    let started = Instant::now();
    let lock = data.lock_for_writing()?;
    let mut files = source.list(opts.max_file_size)?;
    let bytes: u64 = files
        .iter()
        .filter(|f| f.skip.is_none())
        .map(|f| f.size)
        .sum();
    progress.discovered(files.len() as u64, bytes);

    // Document order is a ranking decision: searches visit documents in order and may stop
    // early, so ordinary source files come before tests, vendored and generated files.
    files.sort_by_cached_key(|f| (rank_class(&f.path), f.path.len(), f.path.clone()));
    let groups = split_into_shards(&files, opts.shard_max_bytes);

    let key = unit_key(&target.repo, &target.branch);
    let generation = data
        .manifest_by_key(&key)
        .ok()
        .flatten()
        .map_or(1, |m| m.generation + 1);
    let shard_names: Vec<String> = (0..groups.len())
        .map(|n| DataDir::shard_file_name(&key, generation, n))
        .collect();
    let outcomes: Vec<Result<(u64, ShardStats), IndexError>> = groups
        .par_iter()
        .enumerate()
        .map(|(n, group)| {
            let path = data.shards_dir().join(&shard_names[n]);
            build_shard(target, n as u32, generation, group, source, &path, progress)
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
        branch: target.branch.clone(),
        commit: target.commit.clone(),
        default_branch: target.default_branch,
        source: source.location(),
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

fn split_into_shards(files: &[SourceFile], max_bytes: u64) -> Vec<&[SourceFile]> {
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
    target: &Target,
    n: u32,
    generation: u64,
    files: &[SourceFile],
    source: &dyn Source,
    path: &Path,
    progress: &dyn Progress,
) -> Result<(u64, ShardStats), IndexError> {
    let mut builder = ShardBuilder::new();
    let mut stats = ShardStats::default();
    let (mut pending_files, mut pending_bytes) = (0, 0);
    let mut add = |f: &SourceFile, read: Option<std::io::Result<Vec<u8>>>| {
        let content = match (f.skip, &read) {
            (Some(reason), _) => Err(reason),
            (None, Some(Ok(text))) if memchr::memchr(0, text).is_some() => Err(SkipReason::Binary),
            (None, Some(Ok(text))) if text.len() as u64 > u32::MAX as u64 => {
                Err(SkipReason::TooLarge)
            }
            (None, Some(Ok(text))) => Ok(text.as_slice()),
            (None, _) => Err(SkipReason::Unreadable),
        };
        let head = content.as_ref().map_or(&[][..], |t| &t[..t.len().min(256)]);
        let lang = quarry_lang::detect(&f.path, head).map_or(0, |l| l.id);
        let flags = (quarry_lang::is_test_path(&f.path) as u8 * FLAG_TEST)
            | (quarry_lang::is_vendored_path(&f.path) as u8 * FLAG_VENDORED)
            | (quarry_lang::is_generated_path(&f.path) as u8 * FLAG_GENERATED);
        match content {
            Ok(text) => {
                stats.files += 1;
                stats.bytes += text.len() as u64;
            }
            Err(_) => stats.skipped += 1,
        }
        builder.add(NewDoc {
            path: &f.path,
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
    };
    // Skipped files keep their place in the rank order, so documents are added in list order.
    let to_read: Vec<&SourceFile> = files.iter().filter(|f| f.skip.is_none()).collect();
    let mut skipped = files.iter().peekable();
    source.read_all(&to_read, &mut |f, read| {
        while let Some(s) = skipped.next_if(|s| s.skip.is_some()) {
            add(s, None);
        }
        skipped.next(); // the file being read
        add(f, Some(read));
    })?;
    for s in skipped {
        add(s, None);
    }
    progress.indexed(pending_files, pending_bytes);
    let meta = ShardMeta {
        repo: target.repo.clone(),
        branch: target.branch.clone(),
        default_branch: target.default_branch,
        shard: n,
        generation,
        docs: builder.doc_count() as u32,
        content_bytes: builder.content_bytes() as u64,
        builder: format!("quarry-index {}", env!("CARGO_PKG_VERSION")),
    };
    let size = builder.write(path, &meta)?;
    Ok((size, stats))
}
