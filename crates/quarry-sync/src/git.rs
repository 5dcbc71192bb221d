//! Bare git mirrors on disk, driven through the `git` command.

use crate::{redact_url, SyncError};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The refspecs every mirror fetches: branches and tags, each to the same name, forced so that
/// rewritten history is followed; `--prune` deletes what the remote deleted.
const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
/// Where a fetch records the commit of the remote's HEAD, to notice a changed default branch
/// without listing every ref of the remote (see [`Mirror::fetch`]).
const REMOTE_HEAD: &str = "refs/quarry/remote-head";

/// How git is run for network operations.
#[derive(Clone, Debug)]
pub struct GitOptions {
    /// A clone or fetch still running after this long is stopped (its whole process group) and
    /// reported as [`SyncError::Timeout`].
    pub timeout: Duration,
    /// Over HTTP(S), a transfer slower than 1 KiB/s for this long is aborted by git itself
    /// (`http.lowSpeedLimit`/`http.lowSpeedTime`), long before `timeout` for a dead server.
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

impl Mirror {
    /// Opens the mirror in `dir`, or clones `url` (a URL git understands, `file://` or a local
    /// path) into it. An existing mirror is not fetched; call [`Mirror::fetch`]. If its remote
    /// URL differs from `url`, the URL is updated and the next fetch follows the new remote.
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
            let current = git_output(
                Some(dir),
                &["config", "--get", "remote.origin.url"],
                "reading the mirror's remote URL",
                None,
            )
            .unwrap_or_default();
            if current.trim_end() != url {
                git_output(
                    Some(dir),
                    &["config", "remote.origin.url", &url],
                    "updating the mirror's remote URL",
                    None,
                )?;
            }
            return Ok(mirror);
        }
        if dir.exists() && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(SyncError::Invalid(format!(
                "{} exists but is not a bare git repository: remove it, or choose another mirror directory",
                dir.display()
            )));
        }
        // Clone into a temporary directory and rename it into place, so that an interrupted
        // clone never leaves a half-filled mirror behind.
        let file_name = dir
            .file_name()
            .map_or_else(|| "mirror".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.with_file_name(format!("{file_name}.clone-tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        if let Some(parent) = tmp.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SyncError::io(parent, e))?;
        }
        let result = (|| {
            let tmp_str = tmp.to_string_lossy();
            git_output(
                None,
                &[
                    "-c",
                    "init.defaultBranch=main",
                    "init",
                    "--bare",
                    "--quiet",
                    &tmp_str,
                ],
                "creating the mirror",
                None,
            )?;
            for args in [
                &["config", "remote.origin.url", &url][..],
                &["config", "remote.origin.fetch", REFSPECS[0]],
                &["config", "--add", "remote.origin.fetch", REFSPECS[1]],
                &["config", "remote.origin.tagOpt", "--no-tags"],
                // A mirror is written by sync only; no background gc racing with readers.
                &["config", "gc.autoDetach", "false"],
                &["config", "maintenance.autoDetach", "false"],
            ] {
                git_output(Some(&tmp), args, "configuring the mirror", None)?;
            }
            mirror.dir = tmp.clone();
            mirror.fetch_refs("git clone")?;
            // A fresh mirror always asks the remote for its HEAD symref.
            mirror.update_head_from_remote("git clone")?;
            std::fs::rename(&tmp, dir).map_err(|e| SyncError::io(dir, e))
        })();
        mirror.dir = dir.to_owned();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result?;
        mirror.cloned = true;
        Ok(mirror)
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

    /// Fetches the remote's branches and tags, deleting the ones it no longer has, and moves
    /// `HEAD` when the remote's default branch changed.
    ///
    /// The remote's HEAD symref is only visible in a full ref listing (`git ls-remote`
    /// requests every ref, pull request refs included), so the fetch also records the commit
    /// of the remote's HEAD, and the mirror asks for the symref only when that commit is not
    /// the commit of its own default branch.
    pub fn fetch(&self) -> Result<(), SyncError> {
        self.fetch_refs("git fetch")?;
        let remote_head = self.rev_parse(REMOTE_HEAD);
        let local_head = self.rev_parse("HEAD");
        if remote_head.is_none() || remote_head != local_head {
            self.update_head_from_remote("git fetch")?;
        }
        Ok(())
    }

    fn fetch_refs(&self, what: &str) -> Result<(), SyncError> {
        let op = format!("{what} of {}", redact_url(&self.url));
        let low_speed = format!("http.lowSpeedTime={}", self.opts.low_speed_time.as_secs());
        let mut args = vec![
            "-c",
            "http.lowSpeedLimit=1024",
            "-c",
            &low_speed,
            "-c",
            "gc.autoDetach=false",
            "-c",
            "maintenance.autoDetach=false",
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "origin",
        ];
        args.extend(REFSPECS);
        let head_refspec = format!("+HEAD:{REMOTE_HEAD}");
        args.push(&head_refspec);
        match git_output(Some(&self.dir), &args, &op, Some(self.opts.timeout)) {
            Ok(_) => Ok(()),
            // An empty remote has no HEAD to fetch.
            Err(SyncError::Git { message, .. })
                if message.contains("couldn't find remote ref HEAD") =>
            {
                args.pop();
                git_output(Some(&self.dir), &args, &op, Some(self.opts.timeout))?;
                let _ = git_output(
                    Some(&self.dir),
                    &["update-ref", "-d", REMOTE_HEAD],
                    "updating the mirror",
                    None,
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Points `HEAD` at the branch the remote's `HEAD` names (`git ls-remote --symref`).
    fn update_head_from_remote(&self, what: &str) -> Result<(), SyncError> {
        let op = format!(
            "{what} of {} (reading its default branch)",
            redact_url(&self.url)
        );
        let out = git_output(
            Some(&self.dir),
            &["ls-remote", "--symref", "origin", "HEAD"],
            &op,
            Some(self.opts.timeout),
        )?;
        let target = out.lines().find_map(|l| {
            let (r, name) = l.strip_prefix("ref: ")?.split_once('\t')?;
            (name == "HEAD").then_some(r)
        });
        if let Some(target) = target.filter(|t| t.starts_with("refs/heads/")) {
            git_output(
                Some(&self.dir),
                &["symbolic-ref", "HEAD", target],
                "updating the mirror's HEAD",
                None,
            )?;
        }
        Ok(())
    }

    fn rev_parse(&self, rev: &str) -> Option<String> {
        git_output(
            Some(&self.dir),
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
            "resolving a revision",
            None,
        )
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    }

    /// Every branch and tag, sorted by name (a branch before a tag of the same name). Tags that do not lead to a commit (tags
    /// of trees or blobs) are left out.
    pub fn refs(&self) -> Result<Vec<GitRef>, SyncError> {
        let out = git_output(
            Some(&self.dir),
            &[
                "for-each-ref",
                "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)",
                "refs/heads",
                "refs/tags",
            ],
            "listing the mirror's refs",
            None,
        )?;
        let mut refs = Vec::new();
        for line in out.lines() {
            let mut parts = line.splitn(5, ' ');
            let (Some(oid), Some(kind), Some(peeled), Some(peeled_kind), Some(name)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                continue;
            };
            let (short, ref_kind) = if let Some(b) = name.strip_prefix("refs/heads/") {
                (b, RefKind::Branch)
            } else if let Some(t) = name.strip_prefix("refs/tags/") {
                (t, RefKind::Tag)
            } else {
                continue;
            };
            let commit = match (kind, peeled_kind) {
                ("commit", _) => Some(oid.to_string()),
                ("tag", "commit") => Some(peeled.to_string()),
                // A tag of a tag: let git peel it all the way.
                ("tag", "tag") => self.rev_parse(name),
                _ => None,
            };
            if let Some(commit) = commit {
                refs.push(GitRef {
                    name: short.to_string(),
                    kind: ref_kind,
                    commit,
                });
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
        let head = git_output(
            Some(&self.dir),
            &["symbolic-ref", "--quiet", "HEAD"],
            "reading the mirror's HEAD",
            None,
        )
        .ok();
        let head = head
            .as_deref()
            .map(str::trim)
            .and_then(|h| h.strip_prefix("refs/heads/"));
        Ok(pick_default_branch(head, &refs))
    }

    /// The branches matching any of `branch_globs` and the tags matching any of `tag_globs`
    /// (see [`glob_match`]; a pattern may also be written as a full ref name,
    /// `refs/heads/release/*`).
    pub fn matching_refs(
        &self,
        branch_globs: &[String],
        tag_globs: &[String],
    ) -> Result<Vec<GitRef>, SyncError> {
        Ok(filter_refs(self.refs()?, branch_globs, tag_globs))
    }
}

pub(crate) fn pick_default_branch(head: Option<&str>, refs: &[GitRef]) -> Option<String> {
    let branch = |n: &str| {
        refs.iter()
            .any(|r| r.kind == RefKind::Branch && r.name == n)
    };
    head.filter(|h| branch(h))
        .or(["main", "master"].into_iter().find(|n| branch(n)))
        .map(str::to_string)
        .or_else(|| {
            refs.iter()
                .find(|r| r.kind == RefKind::Branch)
                .map(|r| r.name.clone())
        })
}

pub(crate) fn filter_refs(
    refs: Vec<GitRef>,
    branch_globs: &[String],
    tag_globs: &[String],
) -> Vec<GitRef> {
    let matches = |globs: &[String], prefix: &str, name: &str| {
        globs.iter().any(|g| {
            let g = g.trim();
            glob_match(g.strip_prefix(prefix).unwrap_or(g), name)
        })
    };
    refs.into_iter()
        .filter(|r| match r.kind {
            RefKind::Branch => matches(branch_globs, "refs/heads/", &r.name),
            RefKind::Tag => matches(tag_globs, "refs/tags/", &r.name),
        })
        .collect()
}

/// Simple glob matching on ref names: `*` matches any run of characters, `/` included (as in
/// git refspecs: `release/*` matches `release/1.0` and `release/1.0/rc1`), `?` matches one
/// character, anything else matches itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with backtracking to the last `*`: linear in practice.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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

/// A `git` command with the environment a server needs: no prompts (a missing credential is
/// an error, not a hang), git's own messages in English (they are matched and shown), and
/// nothing inherited that would point git at another repository.
pub(crate) fn git_command(git_dir: Option<&Path>) -> Command {
    let mut cmd = Command::new("git");
    if let Some(dir) = git_dir {
        cmd.arg("--git-dir").arg(dir);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        .env("SSH_ASKPASS_REQUIRE", "never")
        .env("GCM_INTERACTIVE", "never")
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_QUARANTINE_PATH",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    // A new session: git and its helpers (ssh, git-remote-https) have no controlling terminal
    // to prompt on, and form one process group that a timeout can stop as a whole.
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

/// Runs git and returns its standard output; a failure becomes [`SyncError::Git`] naming
/// `op`, a `timeout` is enforced on the whole process group.
pub(crate) fn git_output(
    git_dir: Option<&Path>,
    args: &[&str],
    op: &str,
    timeout: Option<Duration>,
) -> Result<String, SyncError> {
    let mut cmd = git_command(git_dir);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = spawn_git(&mut cmd)?;
    let (status, stdout, stderr) = wait_with_timeout(child, timeout, op)?;
    if status.success() {
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&stderr);
        Err(SyncError::git(op, &stderr, git_dir))
    }
}

pub(crate) fn spawn_git(cmd: &mut Command) -> Result<Child, SyncError> {
    cmd.spawn()
        .map_err(|source| SyncError::GitNotFound { source })
}

type Finished = (std::process::ExitStatus, Vec<u8>, Vec<u8>);

fn wait_with_timeout(
    mut child: Child,
    timeout: Option<Duration>,
    op: &str,
) -> Result<Finished, SyncError> {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(SyncError::Invalid(format!("{op}: waiting for git: {e}"))),
        }
        if let Some(limit) = timeout {
            if started.elapsed() > limit {
                // The whole session: git, ssh, remote helpers, index-pack.
                // SAFETY: plain syscall on the process group git leads (see `git_command`).
                unsafe {
                    libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                let _ = (out.join(), err.join());
                return Err(SyncError::Timeout {
                    op: op.to_string(),
                    secs: limit.as_secs(),
                });
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((status, stdout, stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", "main"));
        assert!(glob_match("*", "release/1.0"));
        assert!(glob_match("release/*", "release/1.0"));
        assert!(glob_match("release/*", "release/1.0/rc1"));
        assert!(!glob_match("release/*", "release"));
        assert!(!glob_match("release/*", "prerelease/1"));
        assert!(glob_match("main", "main"));
        assert!(!glob_match("main", "main2"));
        assert!(glob_match("v1.?", "v1.2"));
        assert!(!glob_match("v1.?", "v1.22"));
        assert!(glob_match("*-stable", "6.1-stable"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }

    #[test]
    fn full_ref_name_patterns() {
        let refs = vec![
            GitRef {
                name: "release/1".into(),
                kind: RefKind::Branch,
                commit: "a".into(),
            },
            GitRef {
                name: "v1".into(),
                kind: RefKind::Tag,
                commit: "a".into(),
            },
        ];
        let got = filter_refs(refs.clone(), &["refs/heads/release/*".into()], &[]);
        assert_eq!(got, refs[..1]);
        let got = filter_refs(refs.clone(), &[], &["refs/tags/v*".into()]);
        assert_eq!(got, refs[1..]);
        assert!(filter_refs(refs, &[], &[]).is_empty());
    }

    #[test]
    fn default_branch_fallbacks() {
        let b = |n: &str| GitRef {
            name: n.into(),
            kind: RefKind::Branch,
            commit: "a".into(),
        };
        let refs = vec![b("dev"), b("master"), b("trunk")];
        assert_eq!(
            pick_default_branch(Some("trunk"), &refs).as_deref(),
            Some("trunk")
        );
        assert_eq!(
            pick_default_branch(Some("gone"), &refs).as_deref(),
            Some("master")
        );
        assert_eq!(
            pick_default_branch(None, &refs[..1]).as_deref(),
            Some("dev")
        );
        assert_eq!(pick_default_branch(Some("main"), &[]), None);
    }

    #[test]
    fn local_paths_become_absolute() {
        assert_eq!(absolute_local_url("git://h/x.git"), "git://h/x.git");
        assert_eq!(absolute_local_url("git@host:x.git"), "git@host:x.git");
        assert_eq!(absolute_local_url("/srv/x.git"), "/srv/x.git");
        assert!(absolute_local_url("rel/x").starts_with('/'));
    }
}
