//! Helpers for running the real `quarry` binary against temporary trees.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    /// Creates `rel` under the tree `repo` with `content`.
    pub fn write(&self, repo: &str, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(repo).join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }
    pub fn repo(&self, repo: &str) -> PathBuf {
        self.dir.path().join(repo)
    }
    pub fn quarry(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
        cmd.args(args)
            .env("QUARRY_DATA", self.data())
            .env_remove("NO_COLOR");
        cmd.output().unwrap()
    }
    /// Runs quarry and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.quarry(args);
        assert!(
            out.status.success(),
            "quarry {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    pub fn index(&self, repo: &str) -> String {
        let out = self.quarry(&["index", self.repo(repo).to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
    /// `quarry search --format grep`, lines sorted for stable comparison.
    pub fn grep(&self, query: &str) -> Vec<String> {
        let mut lines: Vec<String> = self
            .ok(&["search", "--format", "grep", query])
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    }
}

pub fn shard_files(data: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data.join("shards"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs git in `dir` with a fixed identity and `main` as the default branch.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
pub mod server;
