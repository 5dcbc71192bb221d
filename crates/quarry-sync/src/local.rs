//! "Fetching" a repository on the local file system: its pack files and loose objects are
//! hard-linked (or copied) into the mirror, as `git clone` does for a local path, and its
//! branches and tags are listed from its refs. gix's `file://` transport would run
//! `git-upload-pack`, which a server without git does not have.

use crate::git::{Listing, RemoteRef};
use crate::{error_chain, SyncError};
use gix::objs::Exists;
use std::collections::HashSet;
use std::path::Path;

/// Brings the objects of the repository at `path` into `mirror` and lists its refs.
pub(crate) fn fetch(mirror: &gix::Repository, path: &Path, op: &str) -> Result<Listing, SyncError> {
    let fail = |message: String| SyncError::remote(op, &message);
    if !path.exists() {
        return Err(fail(format!(
            "'{}' does not appear to be a git repository (it does not exist)",
            path.display()
        )));
    }
    let source = gix::open(path).map_err(|e| {
        fail(format!(
            "'{}' does not appear to be a git repository ({})",
            path.display(),
            error_chain(&e)
        ))
    })?;
    // Refs before objects: every object they reach is then in the store copied next. A
    // repack in between can move objects to a pack not copied yet, so check and retry.
    for attempt in 0.. {
        let listing = list_refs(&source).map_err(|e| fail(error_chain(&e)))?;
        copy_objects(
            &source.common_dir().join("objects"),
            &mirror.common_dir().join("objects"),
        )
        .map_err(|e| fail(format!("copying objects from {}: {e}", path.display())))?;
        let fresh = gix::open(mirror.git_dir()).map_err(|e| fail(error_chain(&e)))?;
        let complete = listing.refs.iter().all(|r| fresh.objects.exists(&r.id));
        if complete {
            return Ok(listing);
        }
        if attempt == 2 {
            return Err(fail(format!(
                "{} changed while it was copied; try again",
                path.display()
            )));
        }
    }
    unreachable!("the loop returns")
}

fn list_refs(source: &gix::Repository) -> Result<Listing, gix::Error> {
    let mut refs = Vec::new();
    let platform = source.references()?;
    for r in platform
        .prefixed("refs/heads/")?
        .chain(platform.prefixed("refs/tags/")?)
    {
        let Ok(mut r) = r else { continue };
        let name = r.name().as_bstr().to_owned();
        // A symbolic ref among branches points at another branch: store its commit.
        let Ok(id) = r.follow_to_object() else {
            continue;
        };
        refs.push(RemoteRef {
            name,
            id: id.detach(),
        });
    }
    let head = source.head_name()?.map(|n| n.as_bstr().to_string());
    Ok(Listing { refs, head })
}

/// Links the source's packs and loose objects the mirror lacks, and removes the mirror's
/// packs the source no longer has (repacked away): the source's current store holds every
/// object its refs reach, so the mirror needs nothing else, and old packs would pile up.
fn copy_objects(from: &Path, to: &Path) -> std::io::Result<()> {
    let (from_pack, to_pack) = (from.join("pack"), to.join("pack"));
    std::fs::create_dir_all(&to_pack)?;
    let mut packs = HashSet::new();
    if from_pack.is_dir() {
        for entry in std::fs::read_dir(&from_pack)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".idx") {
                packs.insert(stem.to_string());
            }
        }
    }
    for stem in &packs {
        // The index last: readers find a pack by its index.
        for ext in ["pack", "rev", "idx"] {
            let file = format!("{stem}.{ext}");
            let src = from_pack.join(&file);
            if (ext != "rev" || src.exists()) && !to_pack.join(&file).exists() {
                link_or_copy(&src, &to_pack.join(&file))?;
            }
        }
    }
    for entry in std::fs::read_dir(&to_pack)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        if stem.starts_with("pack-") && !packs.contains(stem) {
            std::fs::remove_file(entry.path())?;
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dir = entry.file_name().to_string_lossy().into_owned();
        if dir.len() != 2 || !dir.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        for object in std::fs::read_dir(entry.path())? {
            let object = object?;
            let target = to.join(&dir).join(object.file_name());
            if !target.exists() {
                std::fs::create_dir_all(to.join(&dir))?;
                link_or_copy(&object.path(), &target)?;
            }
        }
    }
    // Objects the source borrows from elsewhere: the mirror borrows them too.
    let alternates = from.join("info").join("alternates");
    if alternates.is_file() {
        let text = std::fs::read_to_string(&alternates)?;
        let absolute: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| from.join(l.trim()).display().to_string())
            .collect();
        std::fs::create_dir_all(to.join("info"))?;
        std::fs::write(
            to.join("info").join("alternates"),
            absolute.join("\n") + "\n",
        )?;
    }
    Ok(())
}

/// Through a temporary name, so that a reader never sees half a file.
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let tmp = to.with_extension("quarry-tmp");
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(from, &tmp).is_err() {
        std::fs::copy(from, &tmp)?;
    }
    std::fs::rename(&tmp, to)
}
