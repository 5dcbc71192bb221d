//! quarry's on-disk index: a repository is a set of immutable shard files, each an n-gram
//! index over the contents and paths of up to ~100 MiB of files, with the contents stored
//! inside so that search never reads the source tree.
//!
//! # Shard file format (version 1)
//!
//! All integers are little endian.
//!
//! ```text
//! header (24 bytes)  magic "QRYSHRD\0" | version u32 | section count u32
//!                    | crc32 of header bytes 0..16 and the table of contents u32 | reserved u32
//! table of contents  one 32-byte entry per section:
//!                    kind u32 | reserved u32 | offset u64 | length u64 | crc32 u32 | reserved u32
//! sections           each 8-byte aligned, in any order; unknown kinds are skipped
//! ```
//!
//! | kind | name | contents |
//! |---|---|---|
//! | 1 | meta | JSON: repository, shard number, generation, document count, content bytes |
//! | 2 | docs | one 32-byte record per document (see [`format::DocRecord`]): content offset u64, content length u32, path offset u32, path length u32, first line sample u32, line count u32, language id u16 (see `quarry-lang`), flags u8 (test, vendored, generated), skip reason u8 |
//! | 3 | paths | repository-relative paths, concatenated |
//! | 4 | content | file contents, concatenated, uncompressed |
//! | 5 | lines | u32 byte offsets of every 64th line start of each document |
//! | 6 | content-grams | sorted `(trigram u32, postings offset u32)` entries and a sentinel `(u32::MAX, end)` |
//! | 7 | content-postings | per trigram, the ids of the documents containing it: LEB128 varints, first id then deltas |
//! | 8 | name-grams | as 6, over paths |
//! | 9 | name-postings | as 7, over paths |
//!
//! Trigrams are taken over text with ASCII letters folded to lower case, so one posting list
//! serves case-sensitive and case-insensitive search; the regex engine verifies each candidate.
//! Trigrams were chosen over sparse n-grams by measurement: on the Linux kernel, sparse n-grams
//! need 2.75x the postings for 6% fewer candidates (`docs/index-design.md`).
//! Documents are ordered by rank (ordinary sources before tests, vendored and generated files,
//! shorter paths first) because searches walk them in order and may stop at the result limit.
//! Skipped files (too large, binary, not regular, unreadable) are documents without content:
//! their path stays searchable and their skip reason is listed by `quarry files --skipped`.
//!
//! Contents are stored uncompressed, a measured choice: on a 116 MiB shard of the Linux kernel,
//! lz4 (level 1) shrinks the file to 42% and zstd (level 3) to 27%, but both decompress at well
//! under 1 GB/s per core here, while verification reads mapped contents at memory speed. A broad
//! query verifies tens of megabytes of candidates, so decompression would add tens of
//! milliseconds to exactly the queries that are already slowest. Uncompressed, the whole index
//! is about 0.8x the Linux source tree, inside the 1.5x budget.
//!
//! Shards are written to a temporary file, fsynced and renamed; a repository's manifest
//! (see [`store`]) names its shards and is replaced atomically after they are all in place.
//! Readers map shards with `mmap`; the heap holds only small per-shard headers.

pub mod builder;
pub mod format;
pub mod grams;
pub mod indexer;
pub mod shard;
pub mod source;
pub mod store;
pub mod walk;

pub use builder::ShardMeta;
pub use format::SkipReason;
pub use indexer::{
    describe_metrics, index_repository, index_source, IndexOptions, NoProgress, Progress, Target,
};
pub use shard::{Doc, Field, Shard};
pub use source::{DirSource, Source, SourceFile};
pub use store::{DataDir, IndexStats, Loaded, Manifest};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: corrupt index file: {what}; re-index the repository with `quarry index` to rebuild it", path.display())]
    Corrupt { path: PathBuf, what: String },
    #[error("{}: index format version {found}, this quarry reads version {supported}; re-index the repository with `quarry index`", path.display())]
    Version {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{0}")]
    Invalid(String),
}

impl IndexError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
