//! What `quarry serve` keeps indexed: directory trees and git repositories (local or remote),
//! and how one of them is brought up to date.

use quarry_index::{index_source, DataDir, DirSource, IndexOptions, NoProgress, Target};
use quarry_server::auth::Visibility;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A plain directory tree, re-indexed when its files change.
    Dir(PathBuf),
    /// Anything `git clone` takes, mirrored and indexed from the object store.
    Git(String),
}

#[derive(Clone, Debug)]
pub struct Repo {
    pub name: String,
    pub origin: Origin,
    pub branches: Vec<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub interval: std::time::Duration,
    /// Where the repository was named: `config`, `command line`, or a code host's label (the
    /// `source` label of sync metrics).
    pub source: String,
}

impl Repo {
    pub fn location(&self) -> String {
        match &self.origin {
            Origin::Dir(p) => p.display().to_string(),
            Origin::Git(u) => quarry_sync::redact_url(u),
        }
    }
}

fn looks_like_url(s: &str) -> bool {
    s.contains("://") || (s.contains('@') && s.contains(':') && !Path::new(s).exists())
}

fn is_git_repository(p: &Path) -> bool {
    p.join(".git").exists() || (p.join("HEAD").is_file() && p.join("objects").is_dir())
}

/// Reads a command-line source: a URL, a git repository directory, or a plain directory.
pub fn from_argument(arg: &str, interval: std::time::Duration) -> anyhow::Result<Repo> {
    let (name, origin) = if looks_like_url(arg) {
        let name = quarry_config::name_from_url(arg);
        if name.is_empty() {
            anyhow::bail!("cannot name a repository after {arg:?}: give it a name with `name =` in a [[repos]] entry");
        }
        (name, Origin::Git(arg.to_string()))
    } else {
        let abs = std::path::absolute(arg)?;
        if !abs.is_dir() {
            anyhow::bail!("{arg} is neither a directory nor a git URL: pass a directory tree, a git repository or a clone URL");
        }
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
            .ok_or_else(|| anyhow::anyhow!("{arg} has no directory name"))?;
        if is_git_repository(&abs) {
            (name, Origin::Git(abs.display().to_string()))
        } else {
            (name, Origin::Dir(abs))
        }
    };
    Ok(Repo {
        name,
        origin,
        branches: Vec::new(),
        tags: Vec::new(),
        visibility: Visibility::Public,
        interval,
        source: "command line".into(),
    })
}

/// What a sync did, for status and logs.
pub struct Outcome {
    /// Whether any index changed (so the server should reload).
    pub changed: bool,
    pub summary: String,
    /// Indexed refs: (name, commit, files, bytes, shards).
    pub refs: Vec<(String, String, u64, u64, u64)>,
}

pub fn sync(
    data: &DataDir,
    mirrors: &Path,
    repo: &Repo,
    opts: &IndexOptions,
) -> Result<Outcome, String> {
    match &repo.origin {
        Origin::Dir(path) => {
            let source = DirSource::new(path).map_err(|e| quarry_telemetry::error_chain(&e))?;
            let fingerprint = source
                .fingerprint(opts.max_file_size)
                .map_err(|e| quarry_telemetry::error_chain(&e))?;
            if let Some(m) = data
                .manifest(&repo.name, "")
                .map_err(|e| quarry_telemetry::error_chain(&e))?
            {
                if m.commit == fingerprint {
                    return Ok(Outcome {
                        changed: false,
                        summary: format!("{}: unchanged", repo.name),
                        refs: vec![],
                    });
                }
            }
            let target = Target {
                repo: repo.name.clone(),
                branch: String::new(),
                commit: fingerprint,
                default_branch: true,
            };
            let m = index_source(data, &target, &source, opts, &NoProgress)
                .map_err(|e| quarry_telemetry::error_chain(&e))?;
            let s = &m.stats;
            Ok(Outcome {
                changed: true,
                summary: format!(
                    "indexed {}: {} files in {} ms",
                    repo.name, s.files, s.duration_ms
                ),
                refs: vec![(
                    String::new(),
                    m.commit.clone(),
                    s.files,
                    s.bytes,
                    m.shards.len() as u64,
                )],
            })
        }
        Origin::Git(url) => {
            let spec = quarry_sync::RepoSpec {
                name: repo.name.clone(),
                url: url.clone(),
                branches: repo.branches.clone(),
                tags: repo.tags.clone(),
            };
            let report = quarry_sync::sync_repository(data, mirrors, &spec, opts, &NoProgress)
                .map_err(|e| quarry_telemetry::error_chain(&e))?;
            if let Some(f) = report.failed.first() {
                return Err(format!(
                    "{} of {} refs failed to index; first: {}: {}",
                    report.failed.len(),
                    report.failed.len() + report.indexed.len(),
                    f.name,
                    f.error
                ));
            }
            let refs = report
                .indexed
                .iter()
                .map(|r| {
                    let m = data.manifest(&repo.name, &r.name).ok().flatten();
                    let (bytes, shards) =
                        m.map_or((0, 0), |m| (m.stats.bytes, m.shards.len() as u64));
                    (r.name.clone(), r.commit.clone(), r.files, bytes, shards)
                })
                .collect();
            Ok(Outcome {
                changed: !report.indexed.is_empty() || !report.removed.is_empty(),
                summary: if report.indexed.is_empty() && report.removed.is_empty() {
                    format!("{}: unchanged", repo.name)
                } else {
                    format!("indexed {}", report.summary())
                },
                refs,
            })
        }
    }
}
