//! Bare git mirrors on disk, kept with gix (no `git` command needed).

use crate::select::pick_default_branch;
use crate::{error_chain, redact_url, SyncError};
use gix::bstr::{BString, ByteSlice};
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::select::glob_match;

/// The refspecs every mirror fetches: branches and tags, each to the same name, forced so that
/// rewritten history is followed; refs the remote deleted are deleted too.
pub(crate) const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
/// Above this many packs a mirror is cloned again (see [`Mirror::open_or_clone`]).
pub const MAX_PACKS: usize = 50;
/// Where the git CLI version of quarry recorded the remote's HEAD; removed when seen.
const OLD_REMOTE_HEAD: &str = "refs/quarry/remote-head";

/// Limits on network operations.
#[derive(Clone, Debug)]
pub struct GitOptions {
    /// A clone or fetch still running after this long is stopped and reported as
    /// [`SyncError::Timeout`].
    pub timeout: Duration,
    /// Over git://, a server silent for this long is taken as dead, long before `timeout`.
    /// (Over HTTP(S) only `timeout` applies: reqwest's blocking client has no idle timeout.)
    pub low_speed_time: Duration,
}

impl Default for GitOptions {
    fn default() -> Self {
        GitOptions {
            timeout: Duration::from_secs(3600),
            low_speed_time: Duration::from_secs(60),
        }
    }
}

/// A branch or a tag of a mirror.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct GitRef {
    /// Short name: `main`, `release/1.0`, `v1.0`.
    pub name: String,
    pub kind: RefKind,
    /// The commit (annotated tags peeled to the commit they tag).
    pub commit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    Branch,
    Tag,
}

/// A bare mirror of a remote repository: `refs/heads/*` and `refs/tags/*` as the remote has
/// them, `HEAD` pointing at the remote's default branch.
#[derive(Clone, Debug)]
pub struct Mirror {
    dir: PathBuf,
    url: String,
    opts: GitOptions,
    cloned: bool,
}

/// A branch or tag as the remote listed it (full name), and what the remote's HEAD names.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub refs: Vec<RemoteRef>,
    pub head: Option<String>,
}

#[derive(Debug)]
pub(crate) struct RemoteRef {
    pub name: BString,
    pub id: gix::ObjectId,
}

impl Listing {
    pub(crate) fn from_remote(refs: &[gix::protocol::handshake::Ref]) -> Listing {
        use gix::protocol::handshake::Ref;
        let mut listing = Listing::default();
        for r in refs {
            // The id the ref itself holds (a tag object for an annotated tag), as stored.
            let (name, id) = match r {
                Ref::Symbolic {
                    full_ref_name,
                    target,
                    ..
                } if full_ref_name == "HEAD" => {
                    listing.head = Some(target.to_string());
                    continue;
                }
                Ref::Direct {
                    full_ref_name,
                    object,
                } => (full_ref_name, object),
                Ref::Peeled {
                    full_ref_name, tag, ..
                } => (full_ref_name, tag),
                Ref::Symbolic {
                    full_ref_name,
                    tag,
                    object,
                    ..
                } => (full_ref_name, tag.as_ref().unwrap_or(object)),
                Ref::Unborn { .. } => continue,
            };
            if name.starts_with(b"refs/heads/") || name.starts_with(b"refs/tags/") {
                listing.refs.push(RemoteRef {
                    name: name.clone(),
                    id: *id,
                });
            }
        }
        listing
    }
}

impl Mirror {
    /// Opens the mirror in `dir`, or clones `url` (a URL git understands, `file://` or a local
    /// path) into it. An existing mirror is not fetched; call [`Mirror::fetch`]. If its remote
    /// URL differs from `url`, the URL is updated and the next fetch follows the new remote.
    /// A mirror of a remote with more than [`MAX_PACKS`] packs is cloned again (and then
    /// [`Mirror::was_cloned`]).
    pub fn open_or_clone(url: &str, dir: &Path) -> Result<Mirror, SyncError> {
        Mirror::open_or_clone_with(url, dir, &GitOptions::default())
    }

    pub fn open_or_clone_with(
        url: &str,
        dir: &Path,
        opts: &GitOptions,
    ) -> Result<Mirror, SyncError> {
        let url = absolute_local_url(url);
        let mut mirror = Mirror {
            dir: dir.to_owned(),
            url: url.clone(),
            opts: opts.clone(),
            cloned: false,
        };
        if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
            let repo = mirror.open()?;
            let current = repo.config_snapshot().string("remote.origin.url");
            if current.as_deref().map(|c| c.as_bytes()) != Some(url.as_bytes()) {
                edit_config(dir, |c| {
                    c.set_raw_value_by("remote", Some("origin".into()), "url", url.as_str())
                        .map(drop)
                })
                .map_err(|e| SyncError::mirror("updating the mirror's remote URL", e, dir))?;
            }
            // gix has no gc: past MAX_PACKS packs a fresh clone (one pack) replaces the mirror.
            // Should the clone fail, the old mirror stays and is fetched as usual.
            if local_path(&url).is_none() && pack_count(dir) > MAX_PACKS {
                mirror.cloned = mirror.clone_into_place().is_ok();
            }
            return Ok(mirror);
        }
        if dir.exists() && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(SyncError::Invalid(format!(
                "{} exists but is not a bare git repository: remove it, or choose another mirror directory",
                dir.display()
            )));
        }
        mirror.clone_into_place()?;
        mirror.cloned = true;
        Ok(mirror)
    }

    /// Clones into a temporary directory and renames it into place (replacing any mirror there),
    /// so that an interrupted clone never leaves a half-filled mirror behind.
    fn clone_into_place(&mut self) -> Result<(), SyncError> {
        let dir = self.dir.clone();
        let file_name = dir
            .file_name()
            .map_or_else(|| "mirror".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.with_file_name(format!("{file_name}.clone-tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        if let Some(parent) = tmp.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SyncError::io(parent, e))?;
        }
        let url = self.url.clone();
        let result = (|| {
            gix::init_bare(&tmp)
                .map_err(|e| SyncError::mirror("creating the mirror", error_chain(&e), &tmp))?;
            // The remote in the config is for people inspecting the mirror with git; fetches
            // use the URL they are given.
            edit_config(&tmp, |c| {
                c.set_raw_value_by("remote", Some("origin".into()), "url", url.as_str())?;
                let mut remote = c.section_mut_or_create_new("remote", Some("origin".into()))?;
                for spec in REFSPECS {
                    remote.push("fetch", Some(spec.into()))?;
                }
                remote.push("tagOpt", Some("--no-tags".into()))?;
                c.set_raw_value_by("gc", None, "autoDetach", "false")?;
                Ok(())
            })
            .map_err(|e| SyncError::mirror("configuring the mirror", e, &tmp))?;
            self.dir = tmp.clone();
            self.fetch_refs("git clone")?;
            if dir.exists() {
                let old = dir.with_file_name(format!("{file_name}.old-tmp"));
                let _ = std::fs::remove_dir_all(&old);
                std::fs::rename(&dir, &old).map_err(|e| SyncError::io(&dir, e))?;
                let _ = std::fs::remove_dir_all(&old);
            }
            std::fs::rename(&tmp, &dir).map_err(|e| SyncError::io(&dir, e))
        })();
        self.dir = dir;
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The remote URL (as given, with local paths made absolute).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// True if this call to `open_or_clone` created the mirror (it is then already up to date).
    pub fn was_cloned(&self) -> bool {
        self.cloned
    }

    /// Fetches the remote's branches and tags, deleting the ones it no longer has, and points
    /// `HEAD` at the remote's default branch (its HEAD symref comes with the ref listing).
    pub fn fetch(&self) -> Result<(), SyncError> {
        self.fetch_refs("git fetch")
    }

    fn fetch_refs(&self, what: &str) -> Result<(), SyncError> {
        let op = format!("{what} of {}", redact_url(&self.url));
        let repo = self.open()?;
        let listing = match local_path(&self.url) {
            Some(path) => {
                let listing = crate::local::fetch(&repo, &path, &op)?;
                let repo = self.open()?;
                let edits = listing.refs.iter().map(|r| RefEdit {
                    change: Change::Update {
                        log: LogChange::default(),
                        expected: PreviousValue::Any,
                        new: Target::Object(r.id),
                    },
                    name: r.name.clone().try_into().expect("a valid ref name"),
                    deref: false,
                });
                repo.edit_references(edits)
                    .map_err(|e| SyncError::mirror(&op, error_chain(&e), &self.dir))?;
                listing
            }
            None => crate::fetch::fetch(&repo, &self.url, &self.opts, &op)?,
        };
        self.prune_and_set_head(&listing)
            .map_err(|e| SyncError::mirror(&format!("{op} (updating refs)"), e, &self.dir))
    }

    /// Deletes the branches and tags the remote no longer has, and moves `HEAD`.
    fn prune_and_set_head(&self, listing: &Listing) -> Result<(), String> {
        let repo = self.open().map_err(|e| e.to_string())?;
        let listed: HashSet<&[u8]> = listing.refs.iter().map(|r| r.name.as_bytes()).collect();
        let mut edits = Vec::new();
        let platform = repo.references().map_err(|e| error_chain(&e))?;
        let ours = platform
            .prefixed("refs/heads/")
            .and_then(|h| Ok(h.chain(platform.prefixed("refs/tags/")?)))
            .map_err(|e| error_chain(&e))?;
        for r in ours.chain(
            platform
                .prefixed(OLD_REMOTE_HEAD)
                .map_err(|e| error_chain(&e))?,
        ) {
            let r = r.map_err(|e| error_chain(&e))?;
            if !listed.contains(r.name().as_bstr().as_bytes()) {
                edits.push(delete(r.name().to_owned()));
            }
        }
        if let Some(head) = listing
            .head
            .as_deref()
            .filter(|h| h.starts_with("refs/heads/"))
        {
            let current = repo.head_name().map_err(|e| error_chain(&e))?;
            if current.as_ref().map(|c| c.as_bstr()) != Some(head.as_bytes().as_bstr()) {
                edits.push(RefEdit {
                    change: Change::Update {
                        log: LogChange::default(),
                        expected: PreviousValue::Any,
                        new: Target::Symbolic(head.try_into().map_err(|e| format!("{e}"))?),
                    },
                    name: "HEAD".try_into().expect("valid"),
                    deref: false,
                });
            }
        }
        if !edits.is_empty() {
            repo.edit_references(edits).map_err(|e| error_chain(&e))?;
        }
        Ok(())
    }

    fn open(&self) -> Result<gix::Repository, SyncError> {
        gix::open(&self.dir)
            .map_err(|e| SyncError::mirror("opening the mirror", error_chain(&e), &self.dir))
    }

    /// Every branch and tag, sorted by name (a branch before a tag of the same name). Tags that
    /// do not lead to a commit (tags of trees or blobs) are left out.
    pub fn refs(&self) -> Result<Vec<GitRef>, SyncError> {
        let fail = |e: &dyn std::fmt::Display| {
            SyncError::mirror("listing the mirror's refs", e, &self.dir)
        };
        let repo = self.open()?;
        let platform = repo.references().map_err(|e| fail(&error_chain(&e)))?;
        let mut refs = Vec::new();
        for (prefix, kind) in [
            ("refs/heads/", RefKind::Branch),
            ("refs/tags/", RefKind::Tag),
        ] {
            let iter = platform
                .prefixed(prefix)
                .map_err(|e| fail(&error_chain(&e)))?;
            for r in iter {
                let mut r = r.map_err(|e| fail(&error_chain(&e)))?;
                let name = r.name().as_bstr().to_string();
                // Peels symbolic refs and (chains of) annotated tags.
                let Ok(id) = r.peel_to_id() else { continue };
                let is_commit = repo
                    .find_header(id)
                    .is_ok_and(|h| h.kind() == gix::object::Kind::Commit);
                if is_commit {
                    refs.push(GitRef {
                        name: name[prefix.len()..].to_string(),
                        kind,
                        commit: id.to_string(),
                    });
                }
            }
        }
        refs.sort();
        Ok(refs)
    }

    /// The remote's default branch: the branch `HEAD` names. Should `HEAD` name a branch that
    /// does not exist (or the remote's HEAD be detached), `main`, then `master`, then the first
    /// branch by name stands in. `None` for a repository without branches.
    pub fn default_branch(&self) -> Result<Option<String>, SyncError> {
        let refs = self.refs()?;
        let head = self.open()?.head_name().ok().flatten();
        let head = head
            .as_ref()
            .map(|h| h.as_bstr().to_string())
            .and_then(|h| h.strip_prefix("refs/heads/").map(str::to_string));
        Ok(pick_default_branch(head.as_deref(), &refs))
    }

    /// The branches matching any of `branch_globs` and the tags matching any of `tag_globs`
    /// (see [`glob_match`]; a pattern may also be written as a full ref name,
    /// `refs/heads/release/*`).
    pub fn matching_refs(
        &self,
        branch_globs: &[String],
        tag_globs: &[String],
    ) -> Result<Vec<GitRef>, SyncError> {
        Ok(crate::select::filter_refs(
            self.refs()?,
            branch_globs,
            tag_globs,
        ))
    }
}

fn delete(name: gix::refs::FullName) -> RefEdit {
    RefEdit {
        change: Change::Delete {
            expected: PreviousValue::Any,
            log: RefLog::AndReference,
        },
        name,
        deref: false,
    }
}

/// Edits the repository's config file in place (through a lock file, as git does).
fn edit_config(
    git_dir: &Path,
    edit: impl FnOnce(&mut gix::config::File) -> Result<(), gix::Error>,
) -> Result<(), String> {
    let path = git_dir.join("config");
    let mut file =
        gix::config::File::from_path_no_includes(path.clone(), gix::config::Source::Local)
            .map_err(|e| error_chain(&e))?;
    edit(&mut file).map_err(|e| error_chain(&e))?;
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).map_err(|e| e.to_string())?;
    let lock = git_dir.join("config.lock");
    std::fs::write(&lock, bytes).map_err(|e| format!("{}: {e}", lock.display()))?;
    std::fs::rename(&lock, &path).map_err(|e| format!("{}: {e}", path.display()))
}

fn pack_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("objects").join("pack")).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
            .count()
    })
}

/// The directory of a local repository URL (`file://` or a path), copied rather than fetched.
fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    (!url.contains("://") && url.starts_with('/')).then(|| PathBuf::from(url))
}

/// A local path becomes absolute (git would resolve it against its working directory, which
/// is the caller's only by accident); URLs (`scheme://`, `user@host:path`) stay as they are.
fn absolute_local_url(url: &str) -> String {
    let is_url = url.contains("://") || {
        // scp-like syntax: a colon before any slash.
        let colon = url.find(':');
        let slash = url.find('/');
        matches!((colon, slash), (Some(c), s) if s.is_none_or(|s| c < s))
    };
    if is_url {
        return url.to_string();
    }
    std::path::absolute(url).map_or_else(|_| url.to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_absolute() {
        assert_eq!(absolute_local_url("git://h/x.git"), "git://h/x.git");
        assert_eq!(absolute_local_url("git@host:x.git"), "git@host:x.git");
        assert_eq!(absolute_local_url("/srv/x.git"), "/srv/x.git");
        assert!(absolute_local_url("rel/x").starts_with('/'));
    }
}
