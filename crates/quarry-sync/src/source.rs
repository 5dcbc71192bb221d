//! One commit of a mirror as a [`quarry_index::Source`]: files listed from the commit's tree,
//! contents read from the object store, no checkout.

use crate::git::Mirror;
use crate::{error_chain, redact_url};
use gix::objs::tree::EntryKind;
use quarry_index::{IndexError, SkipReason, Source, SourceFile};
use std::path::PathBuf;

/// The tree of one commit in a bare repository.
///
/// Paths are git's bytes decoded as UTF-8; a path that is not valid UTF-8 is decoded lossily
/// (invalid bytes become U+FFFD), as the directory walker does, so it is still listed and
/// searchable, under a slightly different name.
pub struct GitSource {
    /// Opened once; each reading thread takes its own handle (own caches, shared packs).
    repo: Result<gix::ThreadSafeRepository, String>,
    git_dir: PathBuf,
    commit: String,
    location: String,
}

impl GitSource {
    /// `commit` is a commit id (or a ref name) of `mirror`.
    pub fn new(mirror: &Mirror, commit: &str) -> GitSource {
        GitSource {
            repo: gix::ThreadSafeRepository::open(mirror.dir()).map_err(|e| error_chain(&e)),
            git_dir: mirror.dir().to_owned(),
            commit: commit.to_string(),
            location: format!("{}@{commit}", redact_url(mirror.url())),
        }
    }

    fn error(&self, what: impl std::fmt::Display) -> IndexError {
        IndexError::Invalid(format!(
            "{} (commit {}): {what}; if the mirror is damaged, delete {} and the next sync clones it again",
            self.git_dir.display(),
            self.commit,
            self.git_dir.display()
        ))
    }

    fn repo(&self) -> Result<gix::Repository, IndexError> {
        match &self.repo {
            Ok(r) => Ok(r.to_thread_local()),
            Err(e) => Err(self.error(e)),
        }
    }

    fn commit_id(&self, repo: &gix::Repository) -> Result<gix::ObjectId, IndexError> {
        if let Ok(id) = gix::ObjectId::from_hex(self.commit.as_bytes()) {
            return Ok(id);
        }
        let mut r = repo
            .find_reference(self.commit.as_str())
            .map_err(|e| self.error(error_chain(&e)))?;
        r.peel_to_id()
            .map(|id| id.detach())
            .map_err(|e| self.error(error_chain(&e)))
    }
}

impl Source for GitSource {
    fn location(&self) -> String {
        self.location.clone()
    }

    /// The commit's tree, recursively, in git's order (`git ls-tree -r`): regular and
    /// executable blobs are files; symbolic links and submodules (commit entries) are listed
    /// as not regular; blobs over `max_file_size` as too large.
    fn list(&self, max_file_size: u64) -> Result<Vec<SourceFile>, IndexError> {
        let repo = self.repo()?;
        let id = self.commit_id(&repo)?;
        let tree = repo
            .find_object(id)
            .and_then(|o| o.peel_to_tree())
            .map_err(|e| self.error(error_chain(&e)))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .depthfirst(&mut recorder)
            .map_err(|e| self.error(error_chain(&e)))?;
        let mut files = Vec::with_capacity(recorder.records.len());
        for entry in recorder.records {
            let kind = entry.mode.kind();
            if kind == EntryKind::Tree {
                continue;
            }
            // Sizes come from object headers: no blob is inflated to be listed.
            let size = match kind {
                EntryKind::Commit => 0,
                _ => repo
                    .find_header(entry.oid)
                    .map_err(|e| self.error(error_chain(&e)))?
                    .size(),
            };
            let skip = match kind {
                EntryKind::Blob | EntryKind::BlobExecutable if size > max_file_size => {
                    Some(SkipReason::TooLarge)
                }
                EntryKind::Blob | EntryKind::BlobExecutable => None,
                _ => Some(SkipReason::NotRegular),
            };
            files.push(SourceFile {
                path: String::from_utf8_lossy(&entry.filepath).into_owned(),
                size,
                skip,
                key: entry.oid.to_string(),
            });
        }
        Ok(files)
    }

    /// Blobs straight from the object store, in order. Each call (one per shard, on its own
    /// thread) has its own repository handle, so shards read in parallel.
    fn read_all(
        &self,
        files: &[&SourceFile],
        sink: &mut dyn FnMut(&SourceFile, std::io::Result<Vec<u8>>),
    ) -> Result<(), IndexError> {
        if files.is_empty() {
            return Ok(());
        }
        let repo = self.repo()?;
        for f in files {
            let Ok(id) = gix::ObjectId::from_hex(f.key.as_bytes()) else {
                sink(
                    f,
                    Err(std::io::Error::other(format!("bad object id {}", f.key))),
                );
                continue;
            };
            match repo.try_find_object(id) {
                Ok(Some(object)) if object.kind == gix::object::Kind::Blob => {
                    sink(f, Ok(object.detach().data));
                }
                Ok(Some(object)) => sink(
                    f,
                    Err(std::io::Error::other(format!(
                        "object {} is a {}, not a blob",
                        f.key, object.kind
                    ))),
                ),
                Ok(None) => sink(
                    f,
                    Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("object {} missing", f.key),
                    )),
                ),
                Err(e) => return Err(self.error(error_chain(&e))),
            }
        }
        Ok(())
    }
}
