//! quarry's git mirrors: repositories are kept as bare clones and indexed straight from their
//! object store, one index per branch or tag, re-indexing only the refs whose commit changed.
//!
//! # Mirror layout
//!
//! ```text
//! MIRRORS/<escaped name>.git/       bare repository: refs/heads/*, refs/tags/* as the remote has
//!                                   them, HEAD -> the remote's default branch
//! MIRRORS/<escaped name>.lock       flock held while the repository syncs
//! MIRRORS/<escaped name>.git.clone-tmp   a clone in progress (renamed into place when done)
//! ```
//! `<escaped name>` is the repository name escaped as in the data directory
//! ([`quarry_index::store::escape_name`]). A mirror is an ordinary bare repository (git can
//! inspect and repair it) written by [gix](https://docs.rs/gix): its config names the remote
//! with the refspecs `+refs/heads/*:refs/heads/*` and `+refs/tags/*:refs/tags/*` (forced, so
//! rewritten history is followed; not `refs/pull/*` and the like) and `tagOpt = --no-tags`.
//! Every fetch deletes the branches and tags the remote no longer lists.
//!
//! # Sync algorithm ([`sync_repository`])
//!
//! 1. Take the repository's lock; clone the mirror if it does not exist, else fetch. The
//!    ref listing that starts every fetch also names the branch of the remote's `HEAD`, and
//!    the mirror's `HEAD` follows it.
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
//! - No `git` command is needed: gix speaks git://, smart HTTP(S) (reqwest with rustls) and
//!   reads local repositories itself. Only ssh URLs run a program, `ssh`.
//!
//! # gix, not the git CLI
//!
//! quarry ships as one static binary in an image without a shell or shared libraries; git's
//! HTTPS helper alone would need libcurl, a TLS library and more. gix does the network and
//! object store work in-process:
//!
//! - git:// over a socket quarry opens itself, with read and write timeouts
//!   ([`GitOptions::low_speed_time`]) and a watchdog that shuts it down after
//!   [`GitOptions::timeout`];
//! - http(s):// with gix's blocking reqwest transport (rustls, the TLS stack the rest of quarry
//!   uses), whose requests end after [`GitOptions::timeout`];
//! - ssh through the `ssh` program, as git does ([`SyncError::SshNotFound`] without it);
//! - local paths and `file://`: gix's file transport would run `git-upload-pack`, so the
//!   source's pack files and loose objects are hard-linked (copied across file systems) into
//!   the mirror, as `git clone` does for a local path, and its refs read directly.
//!
//! No credential is ever prompted for: user and password (token) in an http(s) URL are used
//! when the server asks, then credential helpers configured in git's config files (named
//! helpers like `store` run `git credential-store`, which needs git; give a helper's path).
//! URLs in messages and manifests have any password or token removed.
//!
//! gix has no `git gc`: each fetch that brings something adds a pack, and lookups slow down
//! as packs pile up. A mirror with more than [`git::MAX_PACKS`] packs is cloned again (into
//! the temporary directory, then swapped in), which leaves one pack.
//!
//! Measured with `examples/measure.rs` (release build, 3 runs, this 2-core machine, load
//! about 1.5) on 11,921 files / 173 MB of crate sources in one commit (24 MiB pack), served
//! by `git daemon` and as a local bare repository; the git CLI build is the commit before gix:
//!
//! | step | git CLI 2.47 | gix 0.90 |
//! |---|---|---|
//! | clone (mirror), `git://` | 1.07-1.20 s | 0.48-0.52 s |
//! | clone (mirror), local path | 0.96-1.01 s | 2-3 ms (hard links) |
//! | index the default branch ([`GitSource`]) | 1.05-1.50 s | 1.11-1.49 s |
//! | `sync_repository`, first, `git://` | 2.40-2.72 s | 1.63-1.75 s |
//! | `sync_repository`, nothing new, `git://` | 91-124 ms | 47-49 ms |
//! | `sync_repository`, nothing new, local path | 38-41 ms | 2-3 ms |
//!
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
