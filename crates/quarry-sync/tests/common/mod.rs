//! Test helpers: source repositories made with the git CLI, a `git daemon` and a smart HTTP
//! server (`git http-backend` as CGI) on localhost, and a look into the published shards.
#![allow(dead_code)]

use quarry_index::{DataDir, SkipReason};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs git in `dir` with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_stdin(dir, args, "")
}

pub fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Quarry Test")
        .env("GIT_AUTHOR_EMAIL", "test@quarry.invalid")
        .env("GIT_COMMITTER_NAME", "Quarry Test")
        .env("GIT_COMMITTER_EMAIL", "test@quarry.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A non-bare repository to push commits from, served as-is (git serves non-bare repos too).
pub struct SourceRepo {
    pub dir: PathBuf,
}

impl SourceRepo {
    pub fn init(dir: &Path) -> SourceRepo {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "--quiet", "--initial-branch=main"]);
        SourceRepo {
            dir: dir.to_owned(),
        }
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        git(&self.dir, &["rm", "--quiet", path]);
        self
    }

    /// Commits everything in the work tree; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.dir, &["add", "--all"]);
        git(
            &self.dir,
            &["commit", "--quiet", "--allow-empty", "-m", message],
        );
        self.head()
    }

    pub fn head(&self) -> String {
        self.rev("HEAD")
    }

    pub fn rev(&self, rev: &str) -> String {
        git(&self.dir, &["rev-parse", &format!("{rev}^{{commit}}")])
            .trim()
            .to_string()
    }

    pub fn checkout(&self, branch: &str) {
        git(&self.dir, &["checkout", "--quiet", branch]);
    }

    pub fn checkout_new(&self, branch: &str) {
        git(&self.dir, &["checkout", "--quiet", "-b", branch]);
    }
}

/// A free port on 127.0.0.1 (free when asked; the tests' servers bind it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `git daemon` serving every repository below `base` as `git://127.0.0.1:PORT/<path>`.
pub struct GitDaemon {
    pub port: u16,
    child: Child,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--informative-errors")
            .arg(format!("--base-path={}", base.display()))
            .arg(format!("--port={port}"))
            .arg("--listen=127.0.0.1")
            .arg(base)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        wait_for_port(port);
        GitDaemon { port, child }
    }

    pub fn url(&self, path: &str) -> String {
        format!("git://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small HTTP/1.1 server running `git http-backend` as a CGI program for each request, so
/// that clones and fetches speak git's smart HTTP protocol (v2) for real.
pub struct HttpGit {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Request lines served (`POST /x.git/git-upload-pack`), and the `Git-Protocol` header.
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
}

impl HttpGit {
    pub fn start(project_root: &Path) -> HttpGit {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let root = project_root.to_owned();
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                let requests = requests2.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve_cgi(stream, &root, &requests) {
                        eprintln!("http-backend test server: {e}");
                    }
                });
            }
        });
        HttpGit {
            port,
            stop,
            thread: Some(thread),
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for HttpGit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_cgi(
    stream: TcpStream,
    root: &Path,
    requests: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("/").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap(), 16)
                .map_err(|e| std::io::Error::other(format!("bad chunk size: {e}")))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().unwrap_or(0);
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    }
    requests.lock().unwrap().push(format!(
        "{method} {target} {}",
        header("git-protocol").unwrap_or_default()
    ));
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(p) = header("git-protocol") {
        cmd.env("HTTP_GIT_PROTOCOL", p);
    }
    if let Some(e) = header("content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", e);
    }
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut output = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut output)?;
    child.wait()?;
    let _ = writer.join();
    // CGI response: header lines, a blank line, the body.
    let (head, body) = match find(&output, b"\r\n\r\n") {
        Some(i) => (&output[..i], &output[i + 4..]),
        None => match find(&output, b"\n\n") {
            Some(i) => (&output[..i], &output[i + 2..]),
            None => (&output[..0], &output[..]),
        },
    };
    let mut status = "200 OK".to_string();
    let mut response_headers = String::new();
    for line in String::from_utf8_lossy(head).lines() {
        let line = line.trim_end();
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some(_) => {
                response_headers.push_str(line);
                response_headers.push_str("\r\n");
            }
            None => {}
        }
    }
    write!(
        out,
        "HTTP/1.1 {status}\r\n{response_headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A document of a published shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDoc {
    pub path: String,
    pub skip: Option<SkipReason>,
    pub content: Vec<u8>,
}

/// Every document indexed for `repo` at `branch`, sorted by path, read from the shards.
pub fn indexed_docs(data: &DataDir, repo: &str, branch: &str) -> Vec<IndexedDoc> {
    let loaded = data.load();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut docs = Vec::new();
    for shard in &loaded.shards {
        if shard.repo() == repo && shard.meta().branch == branch {
            for d in shard.docs() {
                docs.push(IndexedDoc {
                    path: d.path_str().into_owned(),
                    skip: d.skip_reason(),
                    content: d.content.to_vec(),
                });
            }
        }
    }
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    docs
}

/// The branches (and tags) of `repo` that have a published index, sorted.
pub fn indexed_refs(data: &DataDir, repo: &str) -> Vec<String> {
    let (manifests, errors) = data.manifests();
    assert!(errors.is_empty(), "{errors:?}");
    let mut refs: Vec<String> = manifests
        .into_iter()
        .filter(|m| m.name == repo)
        .map(|m| m.branch)
        .collect();
    refs.sort();
    refs
}
