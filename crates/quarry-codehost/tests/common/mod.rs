//! A local HTTP server per test, answering like a code host API: each test gives a function
//! from the request to the reply, and can read back the requests it received.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use quarry_codehost::{Client, ClientOptions};

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter's (decoded) value.
    pub fn param(&self, key: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("http://x/?{}", self.query)).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    /// Path and query, as the client sent them.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// What the server answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(body: impl Into<String>) -> Reply {
        Reply::status(200, body)
    }

    pub fn status(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.into(),
            delay: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }
}

type Handler = dyn Fn(&Seen, &str) -> Reply + Send + Sync;

#[derive(Clone)]
struct AppState {
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<Seen>>>,
    base: String,
}

pub struct Mock {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Mock {
    /// Starts a server on a free loopback port; `handler` gets each request and the server's
    /// base URL (for next-page links).
    pub async fn start(handler: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static) -> Mock {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = AppState {
            handler: Arc::new(handler),
            seen: seen.clone(),
            base: base.clone(),
        };
        let app = Router::new().fallback(serve).with_state(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Mock { base, seen, task }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Path and query of every request, in order.
    pub fn targets(&self) -> Vec<String> {
        self.requests().iter().map(Seen::target).collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let seen = Seen {
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or("").to_string(),
        headers: request.headers().clone(),
        at: Instant::now(),
    };
    state.seen.lock().unwrap().push(seen.clone());
    let reply = (state.handler)(&seen, &state.base);
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

/// A fixture file's text, with `{{BASE}}` replaced by the server's base URL.
pub fn fixture(name: &str, base: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{BASE}}", base)
}

/// A client for tests: no proxies, short limits.
pub fn client() -> Client {
    Client::with_options(options()).unwrap()
}

pub fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        max_rate_limit_wait: Duration::from_secs(5),
        proxy_from_env: false,
        ..ClientOptions::default()
    }
}

/// A file holding `secret` (with a trailing newline, as editors write it).
pub fn secret_file(secret: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "{secret}").unwrap();
    file
}

/// Now as a Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `<url>; rel="next"`
pub fn link_next(url: &str) -> String {
    format!("<{url}>; rel=\"next\"")
}

/// Asserts that neither the error's `Display` nor its `Debug` contains `secret`.
pub fn assert_no_secret(error: &dyn std::fmt::Debug, display: &str, secret: &str) {
    assert!(!display.contains(secret), "secret in Display: {display}");
    let debug = format!("{error:?}");
    assert!(!debug.contains(secret), "secret in Debug: {debug}");
}
