//! Build facts for `/api/debug/info`: the git commit (unless `QUARRY_GIT_COMMIT` is given, as
//! a build from a source tarball may), the compiler and the target.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=QUARRY_GIT_COMMIT");
    let commit = std::env::var("QUARRY_GIT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "HEAD"]));
    // Rebuild when HEAD moves (the ref files live in the common dir of a worktree). A path
    // that does not exist would make cargo rerun this script on every build: skipped.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in &watched {
        if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", name]) {
            if std::path::Path::new(&p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    println!(
        "cargo:rustc-env=QUARRY_GIT_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".into())
    );
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=QUARRY_RUSTC={}", version.trim());
    println!(
        "cargo:rustc-env=QUARRY_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    println!(
        "cargo:rustc-env=QUARRY_PROFILE={}",
        std::env::var("PROFILE").unwrap_or_default()
    );
}
