//! One commit of a mirror as a [`quarry_index::Source`]: files listed from the commit's tree,
//! contents streamed from the object store, no checkout.

use crate::git::{git_command, git_output, spawn_git, Mirror};
use crate::redact_url;
use quarry_index::{IndexError, SkipReason, Source, SourceFile};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Stdio};

/// The tree of one commit in a bare repository.
///
/// Paths are git's bytes decoded as UTF-8; a path that is not valid UTF-8 is decoded lossily
/// (invalid bytes become U+FFFD), as the directory walker does, so it is still listed and
/// searchable, under a slightly different name.
pub struct GitSource {
    git_dir: PathBuf,
    commit: String,
    location: String,
}

impl GitSource {
    /// `commit` is a commit id (or any revision git resolves to a commit) of `mirror`.
    pub fn new(mirror: &Mirror, commit: &str) -> GitSource {
        GitSource {
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
}

impl Source for GitSource {
    fn location(&self) -> String {
        self.location.clone()
    }

    /// `git ls-tree -r -z --long`: regular and executable blobs are files; symbolic links
    /// (mode 120000) and submodules (commit entries) are listed as not regular; blobs over
    /// `max_file_size` as too large.
    fn list(&self, max_file_size: u64) -> Result<Vec<SourceFile>, IndexError> {
        let tree = format!("{}^{{tree}}", self.commit);
        let out = git_output(
            Some(&self.git_dir),
            &["ls-tree", "-r", "-z", "--long", "--full-tree", &tree],
            "listing the commit's files",
            None,
        )
        .map_err(|e| self.error(e))?;
        let mut files = Vec::new();
        for entry in out.split('\0').filter(|e| !e.is_empty()) {
            let Some(file) = parse_ls_tree_entry(entry, max_file_size) else {
                return Err(self.error(format!("unexpected `git ls-tree` output {entry:?}")));
            };
            files.push(file);
        }
        Ok(files)
    }

    /// One `git cat-file --batch` process streams every blob, in order: a thread writes the
    /// requests while this one reads the answers, so neither pipe can fill up and block.
    fn read_all(
        &self,
        files: &[&SourceFile],
        sink: &mut dyn FnMut(&SourceFile, std::io::Result<Vec<u8>>),
    ) -> Result<(), IndexError> {
        if files.is_empty() {
            return Ok(());
        }
        let mut cmd = git_command(Some(&self.git_dir));
        cmd.args(["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = spawn_git(&mut cmd).map_err(|e| self.error(e))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::scope(|scope| {
            // Dropped before the scope joins the writer, on success, error or panic: kills
            // git so that a writer blocked on a full pipe gets EPIPE and ends.
            let mut guard = KillOnDrop(Some(child));
            scope.spawn(move || {
                let mut w = BufWriter::with_capacity(1 << 16, stdin);
                for f in files {
                    if writeln!(w, "{}", f.key).is_err() {
                        return;
                    }
                }
                let _ = w.flush();
                // Dropping stdin ends the batch; git flushes and exits.
            });
            let mut r = BufReader::with_capacity(1 << 16, stdout);
            let mut header = Vec::new();
            for f in files {
                header.clear();
                r.read_until(b'\n', &mut header)
                    .map_err(|e| self.error(format!("reading from git cat-file: {e}")))?;
                let line = String::from_utf8_lossy(&header);
                let line = line.trim_end();
                // `<oid> blob <size>`, or `<oid> missing` / `<oid> ambiguous`.
                let mut parts = line.split(' ');
                let (oid, kind, size) = (parts.next(), parts.next(), parts.next());
                match (oid, kind, size.map(str::parse::<u64>)) {
                    (Some(_), Some(_), Some(Ok(size))) => {
                        let mut content = Vec::with_capacity(size as usize);
                        (&mut r)
                            .take(size)
                            .read_to_end(&mut content)
                            .map_err(|e| self.error(format!("reading from git cat-file: {e}")))?;
                        let mut lf = [0u8; 1];
                        if content.len() as u64 != size || r.read_exact(&mut lf).is_err() {
                            return Err(self.error("git cat-file ended in the middle of a blob"));
                        }
                        sink(f, Ok(content));
                    }
                    (Some(_), Some("missing" | "ambiguous"), None) => sink(
                        f,
                        Err(std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            format!("object {} {}", f.key, kind.unwrap_or_default()),
                        )),
                    ),
                    _ if line.is_empty() => {
                        return Err(self.error("git cat-file ended early"));
                    }
                    _ => return Err(self.error(format!("unexpected git cat-file output {line:?}"))),
                }
            }
            let status = guard.0.take().expect("child").wait();
            match status {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(self.error(format!("git cat-file failed ({s})"))),
                Err(e) => Err(self.error(format!("waiting for git cat-file: {e}"))),
            }
        })
    }
}

struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `<mode> SP <type> SP <object> SP+ <size> TAB <path>`, size `-` for submodules.
fn parse_ls_tree_entry(entry: &str, max_file_size: u64) -> Option<SourceFile> {
    let (meta, path) = entry.split_once('\t')?;
    let mut fields = meta.split_ascii_whitespace();
    let (mode, kind, oid, size) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let size = size.parse::<u64>().unwrap_or(0);
    let skip = match (kind, mode) {
        ("blob", "100644" | "100755" | "100664") if size > max_file_size => {
            Some(SkipReason::TooLarge)
        }
        ("blob", "100644" | "100755" | "100664") => None,
        // Symbolic links, submodules, anything else git may grow.
        _ => Some(SkipReason::NotRegular),
    };
    Some(SourceFile {
        path: path.to_string(),
        size,
        skip,
        key: oid.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_tree_entries() {
        let f = parse_ls_tree_entry(
            "100644 blob 3b18e512dba79e4c8300dd08aeb37f8e728b8dad      12\tsrc/a b.rs",
            100,
        )
        .unwrap();
        assert_eq!(
            (f.path.as_str(), f.size, f.skip, f.key.len()),
            ("src/a b.rs", 12, None, 40)
        );
        let f = parse_ls_tree_entry("100755 blob 3b18e512 200\tx", 100).unwrap();
        assert_eq!(f.skip, Some(SkipReason::TooLarge));
        let f = parse_ls_tree_entry("120000 blob 3b18e512 3\tlink", 100).unwrap();
        assert_eq!(f.skip, Some(SkipReason::NotRegular));
        let f = parse_ls_tree_entry("160000 commit 3b18e512       -\tsub", 100).unwrap();
        assert_eq!((f.skip, f.size), (Some(SkipReason::NotRegular), 0));
        assert!(parse_ls_tree_entry("garbage", 100).is_none());
    }
}
