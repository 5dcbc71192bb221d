//! Where an index's files come from: a directory tree, or (in `quarry-sync`) a git commit.

use crate::format::SkipReason;
use crate::walk::walk;
use crate::IndexError;
use std::path::{Path, PathBuf};

/// A file a source can provide.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Repository-relative path with `/` separators.
    pub path: String,
    pub size: u64,
    /// Set when the file is skipped without reading it (too large, not a regular file, ...).
    pub skip: Option<SkipReason>,
    /// The source's own handle for the file: an absolute path, a blob id, ...
    pub key: String,
}

/// A set of files to index. Called from several threads, one shard each.
pub trait Source: Sync {
    /// Where the files come from, for the manifest and messages.
    fn location(&self) -> String;
    /// Every file, with the ones over `max_file_size` marked as skipped.
    fn list(&self, max_file_size: u64) -> Result<Vec<SourceFile>, IndexError>;
    /// Reads `files` in order, handing each file's content (or read error) to `sink`. One call
    /// per shard, so a source can stream many files through one reader process.
    fn read_all(
        &self,
        files: &[&SourceFile],
        sink: &mut dyn FnMut(&SourceFile, std::io::Result<Vec<u8>>),
    ) -> Result<(), IndexError>;
}

/// A directory tree on the local file system (`.git` directories excluded).
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn new(root: &Path) -> Result<DirSource, IndexError> {
        if !root.is_dir() {
            return Err(IndexError::Invalid(format!(
                "{} is not a directory: quarry index takes directory trees",
                root.display()
            )));
        }
        Ok(DirSource {
            root: root.to_owned(),
        })
    }
}

impl DirSource {
    /// A digest of every file's path, size and modification time: the "version" of a directory
    /// tree, so that an unchanged tree is not indexed again (`Target::commit`).
    pub fn fingerprint(&self, max_file_size: u64) -> Result<String, IndexError> {
        let found = walk(&self.root, max_file_size).map_err(|e| IndexError::io(&self.root, e))?;
        let mut h: u64 = 0xcbf29ce484222325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h ^= b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
        };
        for f in &found {
            eat(f.rel.as_bytes());
            eat(&[0]);
            eat(&f.size.to_le_bytes());
            eat(&f.modified_ns.to_le_bytes());
        }
        Ok(format!("dir:{h:016x}:{}", found.len()))
    }
}

impl Source for DirSource {
    fn location(&self) -> String {
        std::path::absolute(&self.root)
            .unwrap_or_else(|_| self.root.clone())
            .display()
            .to_string()
    }

    fn list(&self, max_file_size: u64) -> Result<Vec<SourceFile>, IndexError> {
        let found = walk(&self.root, max_file_size).map_err(|e| IndexError::io(&self.root, e))?;
        Ok(found
            .into_iter()
            .map(|f| SourceFile {
                path: f.rel,
                size: f.size,
                skip: f.skip,
                key: f.abs.display().to_string(),
            })
            .collect())
    }

    fn read_all(
        &self,
        files: &[&SourceFile],
        sink: &mut dyn FnMut(&SourceFile, std::io::Result<Vec<u8>>),
    ) -> Result<(), IndexError> {
        for f in files {
            sink(f, std::fs::read(&f.key));
        }
        Ok(())
    }
}
