//! Fetching a remote into a mirror with gix: git://, http(s):// and ssh (the one transport
//! that runs a program, `ssh`). Local repositories are copied instead (`local.rs`).

use crate::git::{GitOptions, Listing, REFSPECS};
use crate::{error_chain, SyncError};
use gix::protocol::transport::client::blocking_io::http;
use gix::remote::Direction;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Fetches `REFSPECS` from `url` into `repo` (forced updates, no tag following) and returns
/// what the remote listed. Deleting refs the remote no longer has is the caller's.
pub(crate) fn fetch(
    repo: &gix::Repository,
    url: &str,
    opts: &GitOptions,
    op: &str,
) -> Result<Listing, SyncError> {
    let interrupt = Arc::new(AtomicBool::new(false));
    let fired = Arc::new(AtomicBool::new(false));
    // A git:// socket the watchdog shuts down: a blocked read ignores the interrupt flag.
    let socket: Arc<Mutex<Option<TcpStream>>> = Arc::default();
    let (done, wait) = mpsc::channel::<()>();
    let watchdog = {
        let (interrupt, fired, socket) = (interrupt.clone(), fired.clone(), socket.clone());
        let timeout = opts.timeout;
        std::thread::spawn(move || {
            if wait.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
                fired.store(true, Ordering::SeqCst);
                interrupt.store(true, Ordering::SeqCst);
                if let Some(s) = socket.lock().expect("not poisoned").as_ref() {
                    let _ = s.shutdown(Shutdown::Both);
                }
            }
        })
    };
    let result = run(repo, url, opts, &interrupt, &socket);
    drop(done);
    let _ = watchdog.join();
    if fired.load(Ordering::SeqCst) {
        return Err(SyncError::Timeout {
            op: op.to_string(),
            secs: opts.timeout.as_secs(),
        });
    }
    result.map_err(|e| match e {
        Failure::Ssh(source) => SyncError::SshNotFound { source },
        Failure::Other(message) => SyncError::remote(op, &hide_password(url, &message)),
    })
}

enum Failure {
    Ssh(std::io::Error),
    Other(String),
}

impl<E: std::error::Error + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Other(error_chain(&e))
    }
}

fn run(
    repo: &gix::Repository,
    url: &str,
    opts: &GitOptions,
    interrupt: &AtomicBool,
    socket: &Mutex<Option<TcpStream>>,
) -> Result<Listing, Failure> {
    let remote = repo
        .remote_at(url)?
        .with_refspecs(REFSPECS, Direction::Fetch)?
        .with_fetch_tags(gix::remote::fetch::Tags::None);
    let parsed = remote
        .url(Direction::Fetch)
        .expect("remote_at sets a URL")
        .clone();
    // No prompt, ever: a server has nobody to answer it. Credentials come from the URL or a
    // configured helper.
    let (mut helpers, _, mut prompt) = repo.config_snapshot().credential_helpers(parsed.clone())?;
    prompt.mode = gix::prompt::Mode::Disable;
    let credentials = move |action| helpers.invoke(action, prompt.clone());
    let options = gix::remote::ref_map::Options {
        // The remote's HEAD symref comes with the listing: it names the default branch.
        extra_refspecs: vec![gix::refspec::parse(
            "HEAD".into(),
            gix::refspec::parse::Operation::Fetch,
        )?
        .to_owned()],
        ..Default::default()
    };
    let outcome = match parsed.scheme {
        gix::url::Scheme::Git => {
            let stream = connect_git_daemon(&parsed, opts)?;
            *socket.lock().expect("not poisoned") = Some(stream.try_clone()?);
            let path = parsed.path.clone();
            let host = parsed.host().unwrap_or_default().to_string();
            let transport = gix::protocol::transport::client::git::blocking_io::Connection::new(
                stream.try_clone()?,
                stream,
                gix::protocol::transport::Protocol::V2,
                path,
                Some((host, parsed.port)),
                gix::protocol::transport::client::git::ConnectMode::Daemon,
                false,
            );
            remote
                .to_connection_with_transport(transport)
                .with_credentials(credentials)
                .prepare_fetch(gix::progress::Discard, options)?
                .receive(gix::progress::Discard, interrupt)?
        }
        scheme => {
            let mut connection = match remote.connect(Direction::Fetch) {
                Ok(c) => c,
                Err(e) => return Err(ssh_missing(&e).unwrap_or_else(|| e.into())),
            };
            if matches!(scheme, gix::url::Scheme::Http | gix::url::Scheme::Https) {
                connection.set_transport_options(http_options(repo, url, opts)?);
            }
            let prepared = connection.with_credentials(credentials);
            let prepared = match prepared.prepare_fetch(gix::progress::Discard, options) {
                Ok(p) => p,
                Err(e) => return Err(ssh_missing(&e).unwrap_or_else(|| e.into())),
            };
            prepared.receive(gix::progress::Discard, interrupt)?
        }
    };
    Ok(Listing::from_remote(&outcome.ref_map.remote_refs))
}

/// A TCP connection to a git daemon with timeouts: gix's own has none for reads.
fn connect_git_daemon(url: &gix::Url, opts: &GitOptions) -> Result<TcpStream, Failure> {
    let host = url.host().unwrap_or_default();
    let port = url.port.unwrap_or(9418);
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Failure::Other(format!("cannot resolve {host}: {e}")))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, opts.timeout.min(Duration::from_secs(30))) {
            Ok(s) => {
                // A server silent this long is taken as dead (as git's http.lowSpeedTime).
                s.set_read_timeout(Some(opts.low_speed_time))?;
                s.set_write_timeout(Some(opts.low_speed_time))?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Failure::Other(format!(
        "unable to connect to {host}:{port}: {}",
        last.map_or_else(|| "no address".to_string(), |e| e.to_string())
    )))
}

/// The repository's http.* configuration, plus a total timeout: reqwest's blocking client
/// otherwise stops every request after 30 s, also a long pack download.
fn http_options(
    repo: &gix::Repository,
    url: &str,
    opts: &GitOptions,
) -> Result<Box<dyn std::any::Any>, Failure> {
    let configured = repo.transport_options(url, None)?;
    let mut options = configured
        .and_then(|o| o.downcast::<http::Options>().ok())
        .map(|o| *o)
        .unwrap_or_default();
    let timeout = opts.timeout;
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |b| Ok(b.timeout(timeout)))),
        configure_request: None,
    };
    options.backend = Some(Arc::new(Mutex::new(backend)));
    options.low_speed_time_seconds = opts.low_speed_time.as_secs();
    options.low_speed_limit_bytes_per_second = 1024;
    Ok(Box::new(options))
}

/// ssh URLs spawn `ssh`; its absence deserves its own message.
fn ssh_missing(e: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::NotFound && error_chain(e).contains("ssh") {
                return Some(Failure::Ssh(std::io::Error::new(io.kind(), io.to_string())));
            }
        }
        next = e.source();
    }
    let text = error_chain(e);
    (text.contains("ssh") && text.contains("No such file or directory")).then(|| {
        Failure::Ssh(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "No such file or directory",
        ))
    })
}

/// A password in the URL must not reach a message, whatever gix quotes.
fn hide_password(url: &str, message: &str) -> String {
    match gix::url::parse(gix::bstr::BStr::new(url))
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    {
        Some(p) if !p.is_empty() => message.replace(&p, "***"),
        _ => message.to_string(),
    }
}
