//! Syncs over real git protocols on localhost: `git daemon` (git://), smart HTTP through
//! `git http-backend`, `file://` and plain paths.

mod common;

use common::*;
use quarry_index::{DataDir, IndexOptions, NoProgress, SkipReason, Source};
use quarry_sync::{
    sync_repository, sync_repository_with, GitOptions, GitSource, Mirror, RefKind, RepoSpec,
    SyncError,
};
use std::path::Path;
use std::time::Duration;

fn spec(name: &str, url: &str, branches: &[&str], tags: &[&str]) -> RepoSpec {
    RepoSpec {
        name: name.into(),
        url: url.into(),
        branches: branches.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
    }
}

fn sync(data: &DataDir, mirrors: &Path, spec: &RepoSpec) -> quarry_sync::SyncReport {
    let report = sync_repository(data, mirrors, spec, &IndexOptions::default(), &NoProgress)
        .unwrap_or_else(|e| panic!("sync of {} failed: {e}", spec.url));
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    report
}

fn names(refs: &[quarry_sync::IndexedRef]) -> Vec<&str> {
    refs.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn clone_and_index_default_branch_over_git_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&served.join("proj.git"));
    src.write("src/main.rs", "fn main() { println!(\"hello quarry\"); }\n")
        .write("README.md", "# proj\n");
    let first = src.commit("first");
    src.checkout_new("feature");
    src.write("feature.txt", "not indexed: no glob matches\n");
    src.commit("feature");
    src.checkout("main");

    let daemon = GitDaemon::start(&served);
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let url = daemon.url("proj.git");
    let report = sync(&data, &mirrors, &spec("proj", &url, &[], &[]));
    assert!(report.cloned);
    assert_eq!(report.default_branch.as_deref(), Some("main"));
    assert_eq!(names(&report.indexed), ["main"]);
    assert_eq!(report.indexed[0].commit, first);
    assert_eq!(report.indexed[0].files, 2);

    let manifest = data.manifest("proj", "main").unwrap().unwrap();
    assert_eq!(manifest.commit, first);
    assert_eq!(manifest.source, format!("{url}@{first}"));
    assert_eq!(indexed_refs(&data, "proj"), ["main"]);
    let docs = indexed_docs(&data, "proj", "main");
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["README.md", "src/main.rs"]);
    assert_eq!(
        docs[1].content,
        b"fn main() { println!(\"hello quarry\"); }\n"
    );
    // A bare mirror, no checkout.
    let mirror = mirrors.join("proj.git");
    assert!(mirror.join("HEAD").is_file() && !mirror.join("src").exists());
    assert!(!mirrors.join("proj.git.clone-tmp").exists());

    // Fetching over git:// again: nothing changed, nothing indexed.
    let report = sync(&data, &mirrors, &spec("proj", &url, &[], &[]));
    assert!(!report.cloned);
    assert!(report.indexed.is_empty());
    assert_eq!(report.unchanged, ["main"]);
}

#[test]
fn only_changed_branches_are_reindexed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    src.write("a.txt", "alpha\n");
    src.commit("a");
    src.checkout_new("release/1");
    src.write("r.txt", "release one\n");
    let r1 = src.commit("r1");
    src.checkout_new("release/2");
    src.write("r.txt", "release two\n");
    src.commit("r2");
    src.checkout("main");

    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let url = format!("file://{}", src.dir.display());
    let spec = spec("p", &url, &["release/*"], &[]);
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(names(&report.indexed), ["main", "release/1", "release/2"]);
    let generation = |b: &str| data.manifest("p", b).unwrap().unwrap().generation;
    let before: Vec<u64> = ["main", "release/1", "release/2"]
        .iter()
        .map(|b| generation(b))
        .collect();

    let report = sync(&data, &mirrors, &spec);
    assert!(report.indexed.is_empty(), "{:?}", report.indexed);
    assert_eq!(report.unchanged, ["main", "release/1", "release/2"]);
    assert!(report.removed.is_empty());

    src.checkout("release/1");
    src.write("r.txt", "release one, patched\n");
    let patched = src.commit("patch");
    src.checkout("main");
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(names(&report.indexed), ["release/1"]);
    assert_eq!(report.indexed[0].previous_commit.as_deref(), Some(&*r1));
    assert_eq!(report.unchanged, ["main", "release/2"]);
    assert_eq!(
        data.manifest("p", "release/1").unwrap().unwrap().commit,
        patched
    );
    let after: Vec<u64> = ["main", "release/1", "release/2"]
        .iter()
        .map(|b| generation(b))
        .collect();
    assert_eq!(after, [before[0], before[1] + 1, before[2]]);
    let docs = indexed_docs(&data, "p", "release/1");
    let r = docs.iter().find(|d| d.path == "r.txt").unwrap();
    assert_eq!(r.content, b"release one, patched\n");
    assert!(report
        .summary()
        .contains("1 indexed, 2 unchanged, 0 removed"));
}

#[test]
fn seventy_branches_are_all_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    src.write("a.txt", "base\n");
    let base = src.commit("base");
    // 70 branches in one `git update-ref --stdin`: cheap, and past any 64-branch cap.
    let mut commands = String::new();
    for i in 0..70 {
        commands.push_str(&format!("create refs/heads/release/{i} {base}\n"));
    }
    git_stdin(&src.dir, &["update-ref", "--stdin"], &commands);

    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    // A plain path works as well as a URL.
    let spec = spec("many", &src.dir.display().to_string(), &["release/*"], &[]);
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(report.indexed.len(), 71);
    let refs = indexed_refs(&data, "many");
    assert_eq!(refs.len(), 71);
    assert!(refs.contains(&"release/69".to_string()));
    let loaded = data.load();
    assert_eq!(loaded.shards.len(), 71);
}

#[test]
fn tags_annotated_and_lightweight() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    src.write("v.txt", "version one\n");
    let c1 = src.commit("one");
    git(&src.dir, &["tag", "-a", "v1.0", "-m", "release 1.0"]);
    src.write("v.txt", "version two\n");
    let c2 = src.commit("two");
    git(&src.dir, &["tag", "v2.0"]);
    git(&src.dir, &["tag", "nightly"]);
    // A tag of a tag, peeled all the way.
    git(
        &src.dir,
        &["tag", "-a", "v1.0-again", "-m", "again", "v1.0"],
    );

    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let url = format!("file://{}", src.dir.display());
    let report = sync(&data, &mirrors, &spec("t", &url, &[], &["v*"]));
    assert_eq!(
        names(&report.indexed),
        ["main", "v1.0", "v1.0-again", "v2.0"]
    );
    let kinds: Vec<RefKind> = report.indexed.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [RefKind::Branch, RefKind::Tag, RefKind::Tag, RefKind::Tag]
    );
    assert_eq!(data.manifest("t", "v1.0").unwrap().unwrap().commit, c1);
    assert_eq!(
        data.manifest("t", "v1.0-again").unwrap().unwrap().commit,
        c1
    );
    assert_eq!(data.manifest("t", "v2.0").unwrap().unwrap().commit, c2);
    let docs = indexed_docs(&data, "t", "v1.0");
    assert_eq!(docs[0].content, b"version one\n");

    // A deleted tag takes its index with it.
    git(&src.dir, &["tag", "-d", "v1.0-again"]);
    let report = sync(&data, &mirrors, &spec("t", &url, &[], &["v*"]));
    assert_eq!(report.removed, ["v1.0-again"]);
    assert!(report.indexed.is_empty());
    assert_eq!(indexed_refs(&data, "t"), ["main", "v1.0", "v2.0"]);

    let mirror = Mirror::open_or_clone(&url, &mirrors.join("t.git")).unwrap();
    let tags: Vec<String> = mirror
        .matching_refs(&[], &["v*".into()])
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(tags, ["v1.0", "v2.0"]);
}

#[test]
fn deleted_and_unmatched_branches_lose_their_index() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    src.write("a.txt", "a\n");
    src.commit("a");
    for b in ["release/1", "release/2", "dev"] {
        git(&src.dir, &["branch", b]);
    }
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let url = src.dir.display().to_string();
    let report = sync(
        &data,
        &mirrors,
        &spec("d", &url, &["release/*", "dev"], &[]),
    );
    assert_eq!(report.indexed.len(), 4);

    git(&src.dir, &["branch", "-D", "release/2"]);
    let report = sync(
        &data,
        &mirrors,
        &spec("d", &url, &["release/*", "dev"], &[]),
    );
    assert_eq!(report.removed, ["release/2"]);
    assert_eq!(indexed_refs(&data, "d"), ["dev", "main", "release/1"]);

    // Narrower globs: `dev` is no longer wanted.
    let report = sync(&data, &mirrors, &spec("d", &url, &["release/*"], &[]));
    assert_eq!(report.removed, ["dev"]);
    assert_eq!(indexed_refs(&data, "d"), ["main", "release/1"]);
    let leftover: Vec<_> = std::fs::read_dir(data.shards_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("dev") || n.contains("release%2F2"))
        .collect();
    assert!(leftover.is_empty(), "{leftover:?}");
}

#[test]
fn special_entries_are_listed_as_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    src.write("text.txt", "plain text\n")
        .write("big.txt", "x".repeat(5000))
        .write("image.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
        .write("run.sh", "#!/bin/sh\necho run\n");
    std::os::unix::fs::symlink("text.txt", src.dir.join("link")).unwrap();
    // Not valid UTF-8: indexed under a lossy name.
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        std::fs::write(src.dir.join(name), "latin-1 name\n").unwrap();
    }
    git(&src.dir, &["update-index", "--chmod=+x", "--add", "run.sh"]);
    src.commit("files");
    // A submodule entry (gitlink) without a .gitmodules: just the commit entry in the tree.
    let sub = "0123456789abcdef0123456789abcdef01234567";
    git(
        &src.dir,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{sub},vendor/sub"),
        ],
    );
    git(&src.dir, &["commit", "--quiet", "-m", "submodule"]);

    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let opts = IndexOptions {
        max_file_size: 1000,
        ..IndexOptions::default()
    };
    let spec = spec("s", &src.dir.display().to_string(), &[], &[]);
    let report = sync_repository(&data, &mirrors, &spec, &opts, &NoProgress).unwrap();
    assert_eq!(names(&report.indexed), ["main"]);
    let docs = indexed_docs(&data, "s", "main");
    let got: Vec<(&str, Option<SkipReason>)> =
        docs.iter().map(|d| (d.path.as_str(), d.skip)).collect();
    assert_eq!(
        got,
        [
            ("big.txt", Some(SkipReason::TooLarge)),
            ("caf\u{FFFD}.txt", None),
            ("image.bin", Some(SkipReason::Binary)),
            ("link", Some(SkipReason::NotRegular)),
            ("run.sh", None),
            ("text.txt", None),
            ("vendor/sub", Some(SkipReason::NotRegular)),
        ]
    );
    assert_eq!(docs[4].content, b"#!/bin/sh\necho run\n");
    let m = data.manifest("s", "main").unwrap().unwrap();
    assert_eq!((m.stats.files, m.stats.skipped), (3, 4));
}

#[test]
fn read_all_streams_many_blobs_in_the_given_order() {
    let tmp = tempfile::tempdir().unwrap();
    let src = SourceRepo::init(&tmp.path().join("src"));
    for i in 0..1500 {
        src.write(
            &format!("d{}/f{i}.txt", i % 7),
            format!("file {i}\n").repeat(i % 50),
        );
    }
    // Larger than any pipe buffer, in the middle of the stream.
    src.write("d3/large.txt", "0123456789abcdef\n".repeat(200_000));
    let commit = src.commit("many");
    let mirror =
        Mirror::open_or_clone(&src.dir.display().to_string(), &tmp.path().join("m.git")).unwrap();
    let source = GitSource::new(&mirror, &commit);
    let mut files = source.list(1 << 30).unwrap();
    assert_eq!(files.len(), 1501);
    files.reverse();
    let refs: Vec<_> = files.iter().collect();
    let mut seen = Vec::new();
    source
        .read_all(&refs, &mut |f, content| {
            let content = content.unwrap();
            assert_eq!(content.len() as u64, f.size, "{}", f.path);
            let expected = std::fs::read(src.dir.join(&f.path)).unwrap();
            assert!(content == expected, "{}", f.path);
            seen.push(f.path.clone());
        })
        .unwrap();
    let expected: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(seen, expected);
}

#[test]
fn default_branch_follows_the_remote_head() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&served.join("h.git"));
    src.write("a.txt", "main\n");
    src.commit("main");
    src.checkout_new("trunk");
    src.write("a.txt", "trunk\n");
    let trunk = src.commit("trunk");
    src.checkout("main");
    let daemon = GitDaemon::start(&served);
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let spec = spec("h", &daemon.url("h.git"), &[], &[]);
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(report.default_branch.as_deref(), Some("main"));

    // The remote's default branch becomes `trunk`; nothing else changes.
    git(&src.dir, &["symbolic-ref", "HEAD", "refs/heads/trunk"]);
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(report.default_branch.as_deref(), Some("trunk"));
    assert_eq!(names(&report.indexed), ["trunk"]);
    assert_eq!(report.indexed[0].commit, trunk);
    assert_eq!(report.removed, ["main"]);
}

#[test]
fn empty_remote_then_first_push() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let bare = served.join("e.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(
        &bare,
        &["init", "--quiet", "--bare", "--initial-branch=main"],
    );
    let daemon = GitDaemon::start(&served);
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let spec = spec("e", &daemon.url("e.git"), &["*"], &["*"]);
    let report = sync(&data, &mirrors, &spec);
    assert!(report.cloned);
    assert_eq!(report.default_branch, None);
    assert!(report.indexed.is_empty());
    let report = sync(&data, &mirrors, &spec);
    assert!(report.indexed.is_empty());

    let src = SourceRepo::init(&tmp.path().join("work"));
    src.write("x.txt", "first push\n");
    let c = src.commit("first");
    git(
        &src.dir,
        &["push", "--quiet", &bare.display().to_string(), "main"],
    );
    let report = sync(&data, &mirrors, &spec);
    assert_eq!(report.default_branch.as_deref(), Some("main"));
    assert_eq!(names(&report.indexed), ["main"]);
    assert_eq!(report.indexed[0].commit, c);
}

#[test]
fn failing_urls_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let daemon = GitDaemon::start(&served);
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let closed = free_port();
    let cases = [
        (
            daemon.url("missing.git"),
            "no such repository: /missing.git",
        ),
        (
            format!("git://127.0.0.1:{closed}/x.git"),
            "Connection refused",
        ),
        (
            tmp.path().join("nowhere").display().to_string(),
            "does not appear to be a git repository",
        ),
        (
            format!("http://127.0.0.1:{closed}/x.git"),
            "Connection refused",
        ),
        // Builds a rustls client: no crypto provider confusion (ring and aws-lc-rs are both
        // linked into quarry).
        (
            format!("https://127.0.0.1:{closed}/x.git"),
            "Connection refused",
        ),
    ];
    for (url, git_says) in cases {
        let err = sync_repository(
            &data,
            &mirrors,
            &spec("bad", &url, &[], &[]),
            &IndexOptions::default(),
            &NoProgress,
        )
        .expect_err(&url);
        let text = err.to_string();
        assert!(matches!(err, SyncError::Git { .. }), "{text}");
        assert!(
            text.starts_with(&format!("git clone of {url} failed: ")),
            "{text}"
        );
        assert!(text.contains(git_says), "{text}");
        assert!(text.contains("check the URL and that the server is reachable"));
        assert!(!mirrors.join("bad.git").exists());
        assert!(!mirrors.join("bad.git.clone-tmp").exists());
    }
    assert!(data.manifests().0.is_empty());

    // Credentials are never asked for, and never shown.
    let err = sync_repository(
        &data,
        &mirrors,
        &spec(
            "bad",
            &format!("http://bob:s3cret@127.0.0.1:{closed}/x.git"),
            &[],
            &[],
        ),
        &IndexOptions::default(),
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("http://bob@127.0.0.1"), "{err}");
}

#[test]
fn a_hanging_server_times_out() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(8) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let tmp = tempfile::tempdir().unwrap();
    let git = GitOptions {
        timeout: Duration::from_millis(1500),
        ..GitOptions::default()
    };
    for url in [
        format!("git://127.0.0.1:{port}/x.git"),
        format!("http://127.0.0.1:{port}/x.git"),
    ] {
        let started = std::time::Instant::now();
        let err = sync_repository_with(
            &DataDir::new(tmp.path().join("data")),
            &tmp.path().join("mirrors"),
            &spec("hang", &url, &[], &[]),
            &IndexOptions::default(),
            &git,
            &NoProgress,
        )
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{url}");
        assert!(matches!(err, SyncError::Timeout { .. }), "{url}: {err}");
        assert!(
            err.to_string().contains("did not finish within 1 s"),
            "{err}"
        );
    }
}

#[test]
fn smart_http_through_git_http_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&tmp.path().join("work"));
    src.write("lib.rs", "pub fn over_http() {}\n");
    src.commit("one");
    git(&src.dir, &["branch", "release/1"]);
    git(&src.dir, &["tag", "-a", "v1", "-m", "v1"]);
    std::fs::create_dir_all(&served).unwrap();
    git(
        &served,
        &[
            "clone",
            "--quiet",
            "--bare",
            &src.dir.display().to_string(),
            "h.git",
        ],
    );
    let bare = served.join("h.git");
    let server = HttpGit::start(&served);
    let url = server.url("h.git");
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let spec = spec("web", &url, &["release/*"], &["v*"]);
    let report = sync(&data, &mirrors, &spec);
    assert!(report.cloned);
    assert_eq!(names(&report.indexed), ["main", "release/1", "v1"]);
    let docs = indexed_docs(&data, "web", "v1");
    assert_eq!(docs[0].content, b"pub fn over_http() {}\n");
    // Smart HTTP, protocol version 2: ref advertisement, then POSTs to git-upload-pack.
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /h.git/info/refs?service=git-upload-pack")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r == "POST /h.git/git-upload-pack version=2"),
        "{requests:?}"
    );

    src.write("lib.rs", "pub fn over_http_again() {}\n");
    let c2 = src.commit("two");
    git(
        &src.dir,
        &["push", "--quiet", &bare.display().to_string(), "main"],
    );
    let report = sync(&data, &mirrors, &spec);
    assert!(!report.cloned);
    assert_eq!(names(&report.indexed), ["main"]);
    assert_eq!(report.indexed[0].commit, c2);
    assert_eq!(report.unchanged, ["release/1", "v1"]);
    let docs = indexed_docs(&data, "web", "main");
    assert_eq!(docs[0].content, b"pub fn over_http_again() {}\n");
}

#[test]
fn mirror_api_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&tmp.path().join("work"));
    src.write("a", "a\n");
    let c = src.commit("a");
    git(&src.dir, &["tag", "-a", "v9", "-m", "nine"]);
    std::fs::create_dir_all(&served).unwrap();
    git(
        &served,
        &[
            "clone",
            "--quiet",
            "--bare",
            &src.dir.display().to_string(),
            "m.git",
        ],
    );
    let server = HttpGit::start(&served);
    let dir = tmp.path().join("mirror.git");
    let mirror = Mirror::open_or_clone(&server.url("m.git"), &dir).unwrap();
    assert!(mirror.was_cloned());
    assert_eq!(mirror.default_branch().unwrap().as_deref(), Some("main"));
    let refs = mirror.refs().unwrap();
    assert_eq!(refs.len(), 2);
    assert!(refs
        .iter()
        .any(|r| r.name == "v9" && r.kind == RefKind::Tag && r.commit == c));
    let again = Mirror::open_or_clone(&server.url("m.git"), &dir).unwrap();
    assert!(!again.was_cloned());
    again.fetch().unwrap();
}

/// Runs in a child process with `PATH` pointing at an empty directory: the sync must not
/// need a `git` program (the servers, started by the parent, still run git).
#[test]
fn sync_needs_no_git_on_path() {
    if let Ok(url) = std::env::var("QUARRY_TEST_NO_GIT_URL") {
        let spawned = std::process::Command::new("git").arg("--version").output();
        assert!(spawned.is_err(), "git is still on PATH");
        let dir = std::path::PathBuf::from(std::env::var("QUARRY_TEST_NO_GIT_DIR").unwrap());
        let data = DataDir::new(dir.join("data"));
        let report = sync(
            &data,
            &dir.join("mirrors"),
            &spec("nogit", &url, &["*"], &["*"]),
        );
        let expected = std::env::var("QUARRY_TEST_NO_GIT_COMMIT").unwrap();
        assert_eq!(report.indexed[0].commit, expected);
        let marker = std::env::var("QUARRY_TEST_NO_GIT_MARKER").unwrap();
        let docs = indexed_docs(&data, "nogit", "main");
        assert_eq!(docs[0].content, marker.as_bytes());
        // ssh is the one transport that runs a program; without it, the error says so.
        let ssh = spec("nossh", "ssh://git@127.0.0.1:1/x.git", &[], &[]);
        let err = sync_repository(
            &data,
            &dir.join("mirrors"),
            &ssh,
            &IndexOptions::default(),
            &NoProgress,
        )
        .unwrap_err();
        assert!(matches!(err, SyncError::SshNotFound { .. }), "{err}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&tmp.path().join("work"));
    std::fs::create_dir_all(&served).unwrap();
    let bare = served.join("n.git");
    git(
        &served,
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            "n.git",
        ],
    );
    let daemon = GitDaemon::start(&served);
    let http = HttpGit::start(&served);
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let run_child = |url: &str, dir: &str, commit: &str, marker: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "sync_needs_no_git_on_path", "--nocapture"])
            .env("PATH", &empty)
            .env("QUARRY_TEST_NO_GIT_URL", url)
            .env("QUARRY_TEST_NO_GIT_DIR", tmp.path().join(dir))
            .env("QUARRY_TEST_NO_GIT_COMMIT", commit)
            .env("QUARRY_TEST_NO_GIT_MARKER", marker)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{url}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Not vacuous: the filter found the test.
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    };
    // The second round is an incremental fetch (and a tag moved by force).
    for round in 0..2 {
        let marker = format!("round {round}\n");
        src.write("marker.txt", &marker);
        let commit = src.commit(&marker);
        let bare_path = bare.display().to_string();
        git(&src.dir, &["tag", "-f", "moving"]);
        git(
            &src.dir,
            &["push", "--quiet", "--force", &bare_path, "main", "moving"],
        );
        run_child(&daemon.url("n.git"), "over-git", &commit, &marker);
        run_child(&http.url("n.git"), "over-http", &commit, &marker);
        run_child(&bare_path, "local", &commit, &marker);
    }
}

#[test]
fn a_mirror_with_many_packs_is_cloned_again() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let src = SourceRepo::init(&served.join("p.git"));
    src.write("a.txt", "a\n");
    src.commit("a");
    let daemon = GitDaemon::start(&served);
    let (data, mirrors) = (
        DataDir::new(tmp.path().join("data")),
        tmp.path().join("mirrors"),
    );
    let spec = spec("p", &daemon.url("p.git"), &[], &[]);
    assert!(sync(&data, &mirrors, &spec).cloned);
    // Stand-ins for the packs of many fetches (no index: gix ignores them when reading).
    let packs = mirrors.join("p.git/objects/pack");
    for i in 0..=quarry_sync::git::MAX_PACKS {
        std::fs::write(packs.join(format!("pack-{i:040}.pack")), "").unwrap();
    }
    let report = sync(&data, &mirrors, &spec);
    assert!(report.cloned);
    assert_eq!(report.unchanged, ["main"]);
    let left = std::fs::read_dir(&packs).unwrap().count();
    assert!(left <= 3, "{left} files in {}", packs.display());
    assert!(!sync(&data, &mirrors, &spec).cloned);
}
