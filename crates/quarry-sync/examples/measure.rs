//! Measures mirroring and indexing from the object store against indexing the same files
//! from a directory, for the numbers in the crate documentation.
//!
//! ```sh
//! cargo run --release -p quarry-sync --example measure -- [TREE] [RUNS]
//! ```
//! TREE (default: the bash-completion source of the oracle corpus) is committed into a
//! temporary repository without touching it (`git --work-tree`), then cloned over a plain
//! path and over `git daemon`, fetched, synced and indexed; times are the median of RUNS
//! (default 5) runs after one warm-up.

use quarry_index::{
    index_repository, index_source, DataDir, DirSource, IndexOptions, NoProgress, Source,
};
use quarry_sync::{sync_repository, GitSource, Mirror, RepoSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tree = PathBuf::from(
        args.get(1)
            .map(String::as_str)
            .unwrap_or("/var/tmp/quarry-oracle-corpus/bash-completion-2.11"),
    );
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let tmp = tempfile::tempdir().expect("temporary directory");
    let served = tmp.path().join("served");
    let repo = served.join("src.git");
    std::fs::create_dir_all(&repo).unwrap();

    let t = Instant::now();
    git(
        &repo,
        &["init", "--quiet", "--bare", "--initial-branch=main"],
    );
    let work_tree = format!("--work-tree={}", tree.display());
    git_in(&tree, &repo, &[&work_tree, "add", "--all", "--force", "."]);
    git_in(
        &tree,
        &repo,
        &[&work_tree, "commit", "--quiet", "-m", "snapshot"],
    );
    // Served repositories are packed; a loose-object source would make every clone
    // compute deltas afresh.
    git(&repo, &["gc", "--quiet"]);
    let files = git(&repo, &["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .count();
    let bytes: u64 = git(&repo, &["ls-tree", "-r", "--long", "HEAD"])
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<u64>().ok())
        .sum();
    println!(
        "tree {}: {files} files, {:.1} MiB; committed in {:?}",
        tree.display(),
        bytes as f64 / (1 << 20) as f64,
        t.elapsed()
    );
    let commit = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();

    // Clones: a plain path, and git:// through a daemon.
    let path_url = repo.display().to_string();
    let clone_path = median(runs, |i| {
        let dir = tmp.path().join(format!("clone-path-{i}.git"));
        let t = Instant::now();
        Mirror::open_or_clone(&path_url, &dir).unwrap();
        let d = t.elapsed();
        std::fs::remove_dir_all(&dir).unwrap();
        d
    });
    let daemon = Daemon::start(&served);
    let git_url = format!("git://127.0.0.1:{}/src.git", daemon.port);
    let clone_daemon = median(runs, |i| {
        let dir = tmp.path().join(format!("clone-daemon-{i}.git"));
        let t = Instant::now();
        Mirror::open_or_clone(&git_url, &dir).unwrap();
        let d = t.elapsed();
        std::fs::remove_dir_all(&dir).unwrap();
        d
    });
    let mirror_dir = tmp.path().join("mirror.git");
    let mirror = Mirror::open_or_clone(&git_url, &mirror_dir).unwrap();
    let fetch_noop = median(runs, |_| {
        let t = Instant::now();
        mirror.fetch().unwrap();
        t.elapsed()
    });
    println!("clone, plain path:        {clone_path}");
    println!("clone, git daemon:        {clone_daemon}");
    println!("fetch, nothing new:       {fetch_noop}");

    // Reading every file: the object store through one `git cat-file --batch`, or the files.
    let opts = IndexOptions::default();
    let git_source = GitSource::new(&mirror, &commit);
    let read_git = median(runs, |_| read_everything(&git_source, opts.max_file_size));
    let dir_source = DirSource::new(&tree).unwrap();
    let read_dir = median(runs, |_| read_everything(&dir_source, opts.max_file_size));
    println!("list + read, object store:{read_git}");
    println!("list + read, directory:   {read_dir}");

    // Whole indexing runs (shards written and published).
    let data_git = DataDir::new(tmp.path().join("data-git"));
    let target = quarry_index::Target {
        repo: "m".into(),
        branch: "main".into(),
        commit: commit.clone(),
        default_branch: true,
    };
    let index_git = median(runs, |_| {
        let t = Instant::now();
        index_source(&data_git, &target, &git_source, &opts, &NoProgress).unwrap();
        t.elapsed()
    });
    let data_dir = DataDir::new(tmp.path().join("data-dir"));
    let index_dir = median(runs, |_| {
        let t = Instant::now();
        index_repository(&data_dir, "m", &tree, &opts, &NoProgress).unwrap();
        t.elapsed()
    });
    println!("index, object store:      {index_git}");
    println!("index, directory:         {index_dir}");

    // sync_repository end to end: first sync (clone + index), then a sync with nothing new.
    let spec = RepoSpec {
        name: "s".into(),
        url: git_url.clone(),
        ..RepoSpec::default()
    };
    let data_sync = DataDir::new(tmp.path().join("data-sync"));
    let mirrors = tmp.path().join("mirrors");
    let t = Instant::now();
    let first = sync_repository(&data_sync, &mirrors, &spec, &opts, &NoProgress).unwrap();
    let sync_first = t.elapsed();
    let sync_noop = median(runs, |_| {
        let t = Instant::now();
        let r = sync_repository(&data_sync, &mirrors, &spec, &opts, &NoProgress).unwrap();
        assert!(r.indexed.is_empty());
        t.elapsed()
    });
    println!(
        "sync, first (clone+index):{sync_first:?}  ({})",
        first.summary()
    );
    println!("sync, nothing new:        {sync_noop}");
}

fn read_everything(source: &dyn Source, max: u64) -> Duration {
    let t = Instant::now();
    let files = source.list(max).unwrap();
    let to_read: Vec<_> = files.iter().filter(|f| f.skip.is_none()).collect();
    let mut total = 0usize;
    source
        .read_all(&to_read, &mut |_, c| total += c.map_or(0, |c| c.len()))
        .unwrap();
    std::hint::black_box(total);
    t.elapsed()
}

/// Median and minimum of `runs` runs after a warm-up.
fn median(runs: usize, mut f: impl FnMut(usize) -> Duration) -> Times {
    f(usize::MAX);
    let mut times: Vec<Duration> = (0..runs).map(&mut f).collect();
    times.sort();
    Times(times[times.len() / 2], times[0])
}

struct Times(Duration, Duration);

impl std::fmt::Display for Times {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(f, "{:>8.1} ms (min {:.1})", ms(self.0), ms(self.1))
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    git_in(Path::new("."), dir, args)
}

fn git_in(cwd: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(cwd)
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "measure")
        .env("GIT_AUTHOR_EMAIL", "measure@quarry.invalid")
        .env("GIT_COMMITTER_NAME", "measure")
        .env("GIT_COMMITTER_EMAIL", "measure@quarry.invalid")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Daemon {
    port: u16,
    child: std::process::Child,
}

impl Daemon {
    fn start(base: &Path) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg(format!("--base-path={}", base.display()))
            .arg(format!("--port={port}"))
            .arg("--listen=127.0.0.1")
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
        Daemon { port, child }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
