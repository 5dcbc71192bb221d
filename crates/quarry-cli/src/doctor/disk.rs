//! `data-dir`, `disk-space`, `inodes`: the data directory can be created and written, and its
//! file system has room.

use super::{io_text, Args, Check};
use quarry_index::DataDir;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Below these, a re-index cannot even write one shard: fail whatever the percentage.
const FAIL_FREE_BYTES: u64 = 256 << 20;
const WARN_FREE_BYTES: u64 = 1 << 30;

pub fn check(data: &DataDir, a: &Args) -> Vec<Check> {
    let root = data.root();
    let mut checks = vec![data_dir(root)];
    match existing_ancestor(root) {
        Some(dir) if dir.is_dir() => checks.extend(space(&dir, a)),
        _ => {
            checks.push(Check::skip("disk-space", "no data directory to measure"));
        }
    }
    checks
}

pub fn human(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// The path itself if it exists, else its closest existing ancestor.
fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    path.ancestors()
        .find(|p| std::fs::symlink_metadata(p).is_ok())
        .map(Path::to_path_buf)
}

fn access(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

fn data_dir(root: &Path) -> Check {
    const ID: &str = "data-dir";
    let shown = root.display();
    match std::fs::metadata(root) {
        Ok(m) if !m.is_dir() => Check::fail(
            ID,
            format!("{shown} is not a directory"),
            format!("move {shown} away, or point --data (or data_dir) at a directory"),
        ),
        Ok(_) => writable_dir(root),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            match existing_ancestor(root) {
                Some(a) if !a.is_dir() => Check::fail(
                    ID,
                    format!(
                        "cannot create {shown}: {} is a file, not a directory",
                        a.display()
                    ),
                    format!(
                        "move {} away, or point --data (or data_dir) at another directory",
                        a.display()
                    ),
                ),
                Some(a) if access(&a, libc::W_OK | libc::X_OK) => Check::pass(
                    ID,
                    format!(
                        "{shown} does not exist yet: quarry creates it at first start ({} is writable)",
                        a.display()
                    ),
                ),
                Some(a) => Check::fail(
                    ID,
                    format!(
                        "cannot create {shown}: {} is not writable: permission denied",
                        a.display()
                    ),
                    format!("create it for the user quarry runs as: mkdir -p {shown} && chown USER {shown}"),
                ),
                None => Check::fail(ID, format!("cannot resolve {shown}"), "pass an absolute --data DIR"),
            }
        }
        Err(e) => Check::fail(
            ID,
            format!("cannot access {shown}: {}", io_text(&e)),
            "make every parent directory searchable (x) by the user quarry runs as",
        ),
    }
}

/// Writes and removes a probe file in the directory and its subdirectories that exist, then
/// looks at ownership.
fn writable_dir(root: &Path) -> Check {
    const ID: &str = "data-dir";
    let shown = root.display();
    for dir in ["", "repos", "shards", "mirrors"].map(|d| root.join(d)) {
        if !dir.is_dir() {
            continue;
        }
        let probe = dir.join(format!(".quarry-doctor-{}", std::process::id()));
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"probe"));
        let _ = std::fs::remove_file(&probe);
        if let Err(e) = result {
            let fix = match e.raw_os_error() {
                Some(libc::EROFS) => "the file system is mounted read-only: remount it read-write, or move the data directory".to_string(),
                Some(libc::ENOSPC) | Some(libc::EDQUOT) => "free disk space (or raise the quota) on this file system".to_string(),
                _ => format!("make it writable by the user quarry runs as: chown -R USER {shown}"),
            };
            return Check::fail(
                ID,
                format!("cannot write in {}: {}", dir.display(), io_text(&e)),
                fix,
            );
        }
    }
    let Ok(meta) = std::fs::metadata(root) else {
        return Check::pass(ID, format!("{shown}: writable"));
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let foreign = foreign_files(root, meta.uid());
    if let Some((count, example, uid)) = foreign {
        return Check::warn(
            ID,
            format!(
                "{count} file(s) in {shown} belong to uid {uid}, not to the directory's owner uid {} (e.g. {})",
                meta.uid(),
                example.display()
            ),
            format!(
                "a command ran as another user; the server cannot replace those files: chown -R {}:{} {shown}",
                meta.uid(),
                meta.gid()
            ),
        );
    }
    if meta.mode() & 0o002 != 0 {
        return Check::warn(
            ID,
            format!(
                "{shown} is writable by every user (mode {:o})",
                meta.mode() & 0o7777
            ),
            format!("chmod o-w {shown}: any local user could change the index and the store"),
        );
    }
    let owner = if meta.uid() == me {
        String::new()
    } else {
        format!("; owned by uid {}, this check ran as uid {me}: run it as the user quarry runs as for an exact answer", meta.uid())
    };
    Check::pass(
        ID,
        format!("{shown}: writable (mode {:o}){owner}", meta.mode() & 0o7777),
    )
}

/// Files of the store and index owned by someone other than `owner`: (count, one of them, its
/// owner).
fn foreign_files(root: &Path, owner: u32) -> Option<(usize, PathBuf, u32)> {
    let mut found: Option<(usize, PathBuf, u32)> = None;
    let mut note = |p: PathBuf| {
        if let Ok(m) = std::fs::symlink_metadata(&p) {
            if m.uid() != owner {
                let entry = found.get_or_insert((0, p, m.uid()));
                entry.0 += 1;
            }
        }
    };
    for name in ["quarry.db", "quarry.db-wal", "quarry.db-shm", "quarry.lock"] {
        let p = root.join(name);
        if p.exists() {
            note(p);
        }
    }
    for dir in ["repos", "shards"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for e in entries.flatten() {
                note(e.path());
            }
        }
    }
    found
}

fn space(dir: &Path, a: &Args) -> Vec<Check> {
    let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
        return vec![];
    };
    // SAFETY: statvfs is plain old data; zeroed is a valid value that the call overwrites.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        let e = std::io::Error::last_os_error();
        return vec![Check::warn(
            "disk-space",
            format!(
                "cannot measure the file system of {}: {}",
                dir.display(),
                io_text(&e)
            ),
            "check the mount with `df`",
        )];
    }
    let frsize = st.f_frsize as u64;
    let (free, total) = (st.f_bavail as u64 * frsize, st.f_blocks as u64 * frsize);
    let pct = |free: u64, total: u64| free as f64 * 100.0 / total.max(1) as f64;
    let mut checks = Vec::new();
    let p = pct(free, total);
    let floor = if p < a.min_free_percent || free < FAIL_FREE_BYTES {
        format!(
            ", under the minimum of {}% or {}",
            a.min_free_percent,
            human(FAIL_FREE_BYTES)
        )
    } else if p < a.warn_free_percent || free < WARN_FREE_BYTES {
        format!(
            ", under {}% or {}",
            a.warn_free_percent,
            human(WARN_FREE_BYTES)
        )
    } else {
        String::new()
    };
    let message = format!(
        "{} free of {} ({p:.0}%{floor}) on the file system of {}",
        human(free),
        human(total),
        dir.display()
    );
    let fix = "free space or grow the file system: the index takes about 0.8x the size of the \
               indexed sources, and a re-index needs room for the largest repository twice";
    checks.push(if p < a.min_free_percent || free < FAIL_FREE_BYTES {
        Check::fail("disk-space", message, fix)
    } else if p < a.warn_free_percent || free < WARN_FREE_BYTES {
        Check::warn("disk-space", message, fix)
    } else {
        Check::pass("disk-space", message)
    });
    let (ifree, itotal) = (st.f_favail as u64, st.f_files as u64);
    checks.push(if itotal == 0 {
        Check::pass("inodes", "the file system does not limit inodes")
    } else {
        let p = pct(ifree, itotal);
        let message = format!("{ifree} of {itotal} inodes free ({p:.0}%)");
        let fix = "delete unneeded files (old clones in mirrors/, leftovers) or move the data \
                   directory to a file system with more inodes";
        if p < a.min_free_percent {
            Check::fail("inodes", message, fix)
        } else if p < a.warn_free_percent {
            Check::warn("inodes", message, fix)
        } else {
            Check::pass("inodes", message)
        }
    });
    checks
}
