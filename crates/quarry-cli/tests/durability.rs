//! An index survives `kill -9` at any moment and damage on disk is reported, never a panic.

use crate::common;
use common::Env;
use std::process::Command;
use std::time::Duration;

fn make_tree(env: &Env, marker: &str) {
    let filler = "let value = compute(input, options);\n".repeat(250);
    for i in 0..1500 {
        env.write(
            "big",
            &format!("dir{}/file{i}.rs", i % 20),
            format!("// {marker} {i}\n{filler}"),
        );
    }
}

#[test]
fn kill_9_during_reindex_keeps_the_previous_index() {
    let env = Env::new();
    make_tree(&env, "first");
    env.index("big");
    make_tree(&env, "second");
    let repo = env.repo("big");
    for delay_ms in [5u64, 40, 120, 250, 400, 700] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
            .args(["index", repo.to_str().unwrap()])
            .env("QUARRY_DATA", env.data())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // Whatever moment it died at, the index is one whole generation, and it verifies.
        let first = env.grep("/^\\/\\/ first \\d+$/ count:all").len();
        let second = env.grep("/^\\/\\/ second \\d+$/ count:all").len();
        assert!(
            (first, second) == (1500, 0) || (first, second) == (0, 1500),
            "after kill at {delay_ms} ms: {first} files of the first generation, {second} of the second"
        );
        let verify = env.quarry(&["verify"]);
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
    // A clean run afterwards completes and cleans up leftovers of the killed runs.
    env.index("big");
    assert_eq!(env.grep("/^\\/\\/ second \\d+$/ count:all").len(), 1500);
    let leftovers: Vec<_> = common::shard_files(&env.data())
        .into_iter()
        .filter(|p| p.extension().unwrap() != "qshard")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn damage(path: &std::path::Path, at: impl Fn(usize) -> usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = at(bytes.len());
    bytes[i] ^= 0x5A;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn damaged_shards_are_reported_and_other_repositories_still_serve() {
    let env = Env::new();
    env.write("good", "a.txt", "needle in good\n");
    env.write("bad", "a.txt", "needle in bad\n");
    env.index("good");
    env.index("bad");
    let bad_shard = common::shard_files(&env.data())
        .into_iter()
        .find(|p| p.to_str().unwrap().contains("/bad."))
        .unwrap();

    // Damage the document table (checked when the shard opens).
    damage(&bad_shard, |_| 24 + 9 * 32 + 40);
    let out = env.quarry(&["search", "--format", "grep", "needle"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "good/a.txt:1:needle in good\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("corrupt index file") && err.contains("re-index"),
        "{err}"
    );
    let verify = env.quarry(&["verify"]);
    assert_eq!(verify.status.code(), Some(1));

    // Damage the stored content (checked by `verify`), after re-indexing to repair it.
    env.index("bad");
    assert!(env.quarry(&["verify"]).status.success());
    let bad_shard = common::shard_files(&env.data())
        .into_iter()
        .find(|p| p.to_str().unwrap().contains("/bad."))
        .unwrap();
    damage(&bad_shard, |len| len - 3);
    let verify = env.quarry(&["verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("checksum mismatch in section content")
    );

    // A truncated file and garbage instead of a shard.
    let bytes = std::fs::read(&bad_shard).unwrap();
    std::fs::write(&bad_shard, &bytes[..bytes.len() / 2]).unwrap();
    let out = env.quarry(&["search", "--format", "grep", "needle"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("corrupt index file"));
    std::fs::write(&bad_shard, b"garbage").unwrap();
    let out = env.quarry(&["search", "--format", "grep", "needle"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a quarry shard"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "good/a.txt:1:needle in good\n"
    );
}
