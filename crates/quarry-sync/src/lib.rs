//! quarry's git mirrors: repositories are kept as bare clones and indexed straight from their
//! object store, one index per branch or tag, re-indexing only the refs whose commit changed.
//!
//! # Mirror layout
//!
//! ```text
//! MIRRORS/<escaped name>.git/       bare repository: refs/heads/*, refs/tags/* as the remote has
//!                                   them, HEAD -> the remote's default branch,
//!                                   refs/quarry/remote-head = the commit of the remote's HEAD
//! MIRRORS/<escaped name>.lock       flock held while the repository syncs
//! MIRRORS/<escaped name>.git.clone-tmp   a clone in progress (renamed into place when done)
//! ```
//! `<escaped name>` is the repository name escaped as in the data directory
//! ([`quarry_index::store::escape_name`]). A mirror is `git init --bare` plus the refspecs
//! `+refs/heads/*:refs/heads/*` and `+refs/tags/*:refs/tags/*` (a plain `git clone --bare`
//! records no refspec, so later fetches would not update branches; `--mirror` would also copy
//! `refs/pull/*` and the like), `tagOpt = --no-tags` (tags come from the refspec, tag
//! auto-following would only add noise) and no detached gc. Every fetch is
//! `git fetch --prune` with those refspecs, so deleted branches and tags disappear.
//!
//! # Sync algorithm ([`sync_repository`])
//!
//! 1. Take the repository's lock; clone the mirror if it does not exist, else fetch. The
//!    fetch also records the commit of the remote's `HEAD`; only if it is not the commit of the
//!    mirror's default branch does the mirror ask for the `HEAD` symref (`git ls-remote
//!    --symref`, which lists every ref of the remote, so it is not done on every sync).
//! 2. Wanted refs: the default branch (always), the branches matching the spec's branch globs,
//!    the tags matching its tag globs, annotated tags peeled to their commit. Each becomes its
//!    own index (`Target{repo, branch: ref name, commit}`), so there is no cap on branches;
//!    `rev:` selects them at search time. A tag named like a wanted branch is ignored.
//! 3. For each wanted ref whose manifest records another commit (or that has no manifest),
//!    index the commit with [`GitSource`]; the others are left alone.
//! 4. Remove the indexes of this repository's branches and tags that are no longer wanted
//!    (deleted upstream, or no longer matching the globs).
//!
//! Re-indexing works per ref: a changed branch is indexed whole, not file by file, and every
//! indexed ref has its own shards (ten branches of one repository take ten times the space).
//!
//! # For callers
//!
//! - Scheduling (a jittered interval per source, on-demand syncs, push webhooks) is the
//!   caller's: call [`sync_repository`] from any thread. Syncs of one repository wait for
//!   each other (lock file); different repositories may sync in parallel, their index writes
//!   taking turns on the data directory's lock.
//! - `Err` means nothing in the index changed (clone or fetch failed, mirror unreadable); the
//!   previous indexes keep serving. Per-ref indexing failures are in [`SyncReport::failed`].
//!   Nothing here panics on a bad repository.
//! - Manifests of git refs carry `branch` = the ref's short name (branch or tag) and
//!   `commit`; `source` is `URL@commit`. A directory index of the same repository name (empty
//!   branch) is never touched.
//! - A ref is re-indexed only when its commit changes: after changing [`IndexOptions`](quarry_index::IndexOptions)
//!   (`max_file_size`), remove the manifests (or the data) to force a re-index.
//! - The default branch is followed when the remote's HEAD moves to a branch at another
//!   commit; a switch between two branches at the same commit is seen once they diverge.
//! - The `git` command must be installed (CI and packaging: Debian's `git`).
//!
//! # git CLI, not gix: the choice
//!
//! quarry runs the `git` command (git 2.47 here). It is the reference implementation of every
//! transport (smart HTTP, ssh, git://, local paths) and honours the operator's git
//! configuration: credential helpers, ssh keys and `core.sshCommand`, proxies,
//! `url.*.insteadOf`, CA bundles; mirrors are ordinary repositories an operator can inspect
//! and repair with git. gix would spare the server an installed git, but brings a large
//! dependency tree, a blocking transport that needs its own timeouts, and the refspec
//! pitfalls of bare clones; it was not measured here, because the CLI's cost is small where
//! it matters (below): a sync that finds nothing new costs a fetch (tens of milliseconds)
//! and a few local git calls, and indexing from the object store takes about as long as
//! indexing the same files from a directory.
//!
//! Measured with `examples/measure.rs` (release build; median of the runs, fastest in
//! parentheses) on this 2-core machine while other jobs kept its load average at 8-10, so
//! absolute times are inflated and noisy; each tree was committed to a packed bare repository
//! served by path and by `git daemon`:
//!
//! | step | bash-completion 2.11: 1,483 files, 1.4 MiB | cargo registry sources: 14,105 files, 207 MiB |
//! |---|---|---|
//! | clone (mirror), plain path | 211 ms (155) | 3.6 s (2.6) |
//! | clone (mirror), `git://` | 374 ms (257) | 2.8 s (2.7) |
//! | fetch, nothing new | 112 ms (73) | 80 ms (70) |
//! | list + read every file, object store (`ls-tree`, `cat-file --batch`) | 71 ms (32) | 1.09 s (1.06) |
//! | list + read every file, directory | 28 ms (23) | 0.28 s (0.26) |
//! | **index, object store** ([`GitSource`]) | **112 ms (92)** | **2.92 s (2.92)** |
//! | **index, directory** (`DirSource`) | **89 ms (77)** | **2.83 s (2.75)** |
//! | `sync_repository`, first (clone + index) | 563 ms | 6.0 s |
//! | `sync_repository`, nothing new | 119 ms (94) | 144 ms (128) |
//!
//! Reading blobs costs about 4x reading files (zlib and delta resolution in `git cat-file`),
//! but each shard streams its blobs through its own `cat-file` while it builds, in parallel
//! with the other shards, so a whole index from the object store is within 3-25% of one from
//! a directory.
//!
//! # Running git
//!
//! Every git process runs without a terminal (its own session), with `GIT_TERMINAL_PROMPT=0`
//! and no askpass program, so a missing credential fails instead of waiting for input;
//! clones and fetches are stopped after [`GitOptions::timeout`] (the whole process group),
//! and HTTP transfers slower than 1 KiB/s for [`GitOptions::low_speed_time`] abort. Errors
//! quote git's own message and say what to check. URLs in messages and manifests have any
//! password or token removed.

mod fetch;
pub mod git;
mod local;
mod select;
pub mod source;
pub mod sync;

pub use git::{glob_match, GitOptions, GitRef, Mirror, RefKind};
pub use source::GitSource;
pub use sync::{
    mirror_dir, sync_repository, sync_repository_with, FailedRef, IgnoredRef, IndexedRef, RepoSpec,
    SyncReport,
};

use quarry_index::IndexError;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A clone or fetch failed, or the mirror could not be read; `message` says why.
    #[error("{op} failed: {message}; {hint}")]
    Git {
        op: String,
        message: String,
        hint: String,
    },
    #[error("{op} did not finish within {secs} s and was stopped; check that the server is reachable and responsive, or raise the timeout")]
    Timeout { op: String, secs: u64 },
    /// ssh URLs run the `ssh` command (the other transports are built in).
    #[error("could not run ssh ({source}): ssh:// and user@host:path URLs need the ssh command (Debian: apt-get install openssh-client) on PATH; or use an https:// URL")]
    SshNotFound { source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("indexing {repo} {branch} failed: {source}")]
    Index {
        repo: String,
        branch: String,
        source: IndexError,
    },
    #[error("{0}")]
    Invalid(String),
}

impl SyncError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SyncError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// A clone or fetch failed: `message` says why, `hint` what to check.
    pub(crate) fn remote(op: &str, message: &str) -> Self {
        SyncError::Git {
            op: op.to_string(),
            message: redact_in_text(message),
            hint: "check the URL and that the server is reachable; for a private repository, \
                   give the credentials in the URL (https://user:token@host/...), a credential \
                   helper, or an ssh key"
                .to_string(),
        }
    }

    /// Reading or writing the mirror itself failed.
    pub(crate) fn mirror(op: &str, message: impl std::fmt::Display, git_dir: &Path) -> Self {
        SyncError::Git {
            op: op.to_string(),
            message: redact_in_text(&message.to_string()),
            hint: format!(
                "the mirror {} may be damaged: delete it and the next sync clones it again",
                git_dir.display()
            ),
        }
    }
}

/// An error and its sources on one line: gix nests the cause (`Connection refused`) a few
/// levels below its summary.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A URL for messages and manifests: `https://user:token@host/x` becomes
/// `https://user@host/x`, `https://token@host/x` becomes `https://***@host/x`; ssh user
/// names stay. Other strings are returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let user = &authority[..at];
            let http = url[..scheme_end].to_ascii_lowercase().starts_with("http");
            // Over HTTP a user name alone is often a token (`https://TOKEN@host/`).
            let user = match user.split_once(':') {
                Some((u, _)) => u,
                None if http => "***",
                None => user,
            };
            format!("{}{user}@{}", &url[..scheme_end + 3], &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// Redacts every URL in a message.
fn redact_in_text(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let trimmed = w.trim_matches(|c| c == '\'' || c == '"');
            if trimmed.contains("://") {
                w.replace(trimmed, &redact_url(trimmed))
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact_url("https://bob:s3cret@example.org/x.git"),
            "https://bob@example.org/x.git"
        );
        assert_eq!(
            redact_url("https://tok@example.org/x.git"),
            "https://***@example.org/x.git"
        );
        assert_eq!(redact_url("ssh://git@h/x.git"), "ssh://git@h/x.git");
        assert_eq!(redact_url("git@host:x.git"), "git@host:x.git");
        assert_eq!(redact_url("/srv/x"), "/srv/x");
        assert_eq!(
            redact_in_text("fatal: unable to access 'https://a:b@h/x/': boom"),
            "fatal: unable to access 'https://a@h/x/': boom"
        );
    }
}
