//! Walks a directory tree into the list of files a repository index covers.

use crate::format::SkipReason;
use std::path::{Path, PathBuf};

/// A file found under the repository root.
pub struct FoundFile {
    /// Repository-relative path with `/` separators.
    pub rel: String,
    pub abs: PathBuf,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 when unknown).
    pub modified_ns: u128,
    /// Set when the file is known to be skipped before reading it.
    pub skip: Option<SkipReason>,
}

/// Lists every entry below `root` except `.git` directories, sorted by path. Symbolic links
/// and special files are listed as skipped (they are not followed, as in ripgrep and git);
/// unreadable directories are listed as skipped entries too, so nothing vanishes silently.
pub fn walk(root: &Path, max_file_size: u64) -> std::io::Result<Vec<FoundFile>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    // Fail loudly on an unreadable root; deeper errors become skipped entries.
    std::fs::read_dir(root)?;
    while let Some((dir, prefix)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) => {
                out.push(FoundFile {
                    rel: prefix,
                    abs: dir,
                    size: 0,
                    modified_ns: 0,
                    skip: Some(SkipReason::Unreadable),
                });
                continue;
            }
        };
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let abs = entry.path();
            let Ok(kind) = entry.file_type() else {
                out.push(FoundFile {
                    rel,
                    abs,
                    size: 0,
                    modified_ns: 0,
                    skip: Some(SkipReason::Unreadable),
                });
                continue;
            };
            if kind.is_dir() {
                if name != ".git" {
                    stack.push((abs, rel));
                }
            } else if kind.is_file() {
                match entry.metadata() {
                    Ok(m) => {
                        let skip = (m.len() > max_file_size).then_some(SkipReason::TooLarge);
                        let modified_ns = m
                            .modified()
                            .ok()
                            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                            .map_or(0, |d| d.as_nanos());
                        out.push(FoundFile {
                            rel,
                            abs,
                            size: m.len(),
                            modified_ns,
                            skip,
                        });
                    }
                    Err(_) => out.push(FoundFile {
                        rel,
                        abs,
                        size: 0,
                        modified_ns: 0,
                        skip: Some(SkipReason::Unreadable),
                    }),
                }
            } else {
                out.push(FoundFile {
                    rel,
                    abs,
                    size: 0,
                    modified_ns: 0,
                    skip: Some(SkipReason::NotRegular),
                });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}
