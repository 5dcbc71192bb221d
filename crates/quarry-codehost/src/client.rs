//! The HTTP client shared by all code hosts: timeouts, User-Agent, caller-supplied headers (trace
//! context), authentication, rate limits and retries, and errors that say what to do.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::config::host_port;
use crate::error::HostError;
use crate::secret::Secret;
use quarry_telemetry::error_chain;

/// The User-Agent sent with every request: `quarry/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("quarry/", env!("CARGO_PKG_VERSION"));

/// Adds headers to every outgoing request. Called once per request (retries included), in the
/// task that sends it, after the current span's trace context (`traceparent`, added by the
/// client itself when tracing export is on) and before the authorization header (so it never
/// sees, nor can replace, the credentials).
///
/// Any `Fn(&Url, &mut HeaderMap) + Send + Sync` is one.
pub trait HeaderInjector: Send + Sync {
    /// Adds or changes headers of the request to `url`.
    fn inject(&self, url: &Url, headers: &mut HeaderMap);
}

impl<F> HeaderInjector for F
where
    F: Fn(&Url, &mut HeaderMap) + Send + Sync,
{
    fn inject(&self, url: &Url, headers: &mut HeaderMap) {
        self(url, headers)
    }
}

/// How the [`Client`] behaves.
#[derive(Clone)]
pub struct ClientOptions {
    /// Time limit of one request, from sending to the end of the body (default 30 s).
    pub timeout: Duration,
    /// Time limit for connecting (default 10 s).
    pub connect_timeout: Duration,
    /// Longest the client waits out a rate limit (default 15 minutes); beyond that a request
    /// fails with [`HostError::RateLimited`], which says when to retry.
    pub max_rate_limit_wait: Duration,
    /// Retries of a request after a connection failure, a timeout or HTTP 502/503/504, with
    /// backoff from 1 s (default 2).
    pub max_retries: u32,
    /// The User-Agent header (default [`DEFAULT_USER_AGENT`]).
    pub user_agent: String,
    /// Headers added to every request.
    pub extra_headers: HeaderMap,
    /// Called for every request to add headers (W3C trace context is added without it).
    pub header_injector: Option<Arc<dyn HeaderInjector>>,
    /// Use proxies named by `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (default true).
    pub proxy_from_env: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            max_retries: 2,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            extra_headers: HeaderMap::new(),
            header_injector: None,
            proxy_from_env: true,
        }
    }
}

impl ClientOptions {
    /// Sets [`ClientOptions::header_injector`].
    pub fn header_injector(mut self, injector: impl HeaderInjector + 'static) -> Self {
        self.header_injector = Some(Arc::new(injector));
        self
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .field(
                "extra_headers",
                &self.extra_headers.keys().collect::<Vec<_>>(),
            )
            .field("header_injector", &self.header_injector.is_some())
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

/// An HTTP client for code host APIs. Cheap to clone; clones share connections and what they
/// learned about rate limits.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    options: ClientOptions,
    /// Per API host: no request before this time (the quota ran out).
    blocked_until: Mutex<HashMap<String, SystemTime>>,
}

/// Retries of one request because of rate limits, before giving up.
const MAX_RATE_LIMIT_RETRIES: u32 = 5;

impl Client {
    /// A client with default options.
    pub fn new() -> Result<Client, HostError> {
        Client::with_options(ClientOptions::default())
    }

    /// A client with these options.
    pub fn with_options(options: ClientOptions) -> Result<Client, HostError> {
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            // Follow redirects (renamed organizations) only within the same origin, so the
            // credentials, whatever header carries them, never go to another host.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if same_origin && attempt.previous().len() < 5 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }));
        if !options.proxy_from_env {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| HostError::Client(error_chain(&e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                options,
                blocked_until: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The options the client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }
}

/// How requests authenticate.
pub(crate) enum Auth {
    None,
    /// A header (`Authorization: Bearer …`, `PRIVATE-TOKEN: …`), marked sensitive.
    Header(HeaderName, HeaderValue),
}

impl Auth {
    pub fn header(name: HeaderName, value: String) -> Result<Auth, String> {
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| "the secret has characters not allowed in an HTTP header".to_string())?;
        value.set_sensitive(true);
        Ok(Auth::Header(name, value))
    }

    pub fn bearer(secret: &Secret) -> Result<Auth, String> {
        Auth::header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", secret.expose()),
        )
    }

    pub fn basic(user: &str, secret: &Secret) -> Result<Auth, String> {
        use base64::Engine;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", secret.expose()));
        Auth::header(reqwest::header::AUTHORIZATION, format!("Basic {encoded}"))
    }
}

/// A response that was read whole.
pub(crate) struct Resp {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One code host connection's request context.
pub(crate) struct Ctx<'a> {
    pub client: &'a Client,
    pub kind: &'static str,
    pub host: String,
    pub base: Url,
    pub auth: Auth,
    /// Says which credential is used, for messages: "the token in $GITHUB_TOKEN".
    pub credential: Option<String>,
    /// The secret, to scrub it out of any text taken from a response.
    pub secret: Option<Secret>,
    pub accept: &'static str,
    pub extra: Vec<(HeaderName, HeaderValue)>,
}

impl Ctx<'_> {
    /// The API URL of these path segments (each percent-encoded, `/` included) and query.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("api_base checked the URL has a path")
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Resolves a next-page link and refuses one that leaves the API's origin: the credentials
    /// are sent only to the configured host.
    pub fn next_url(&self, current: &Url, link: &str) -> Result<Url, HostError> {
        let next = current.join(link).map_err(|e| {
            self.response_error(current, format!("invalid next-page link {link:?}: {e}"))
        })?;
        if next.origin() != self.base.origin() {
            return Err(self.response_error(
                current,
                format!(
                    "the next-page link points at another host ({}); not sending the credentials there. \
                     If the host is behind a proxy, set `url` to the address the API itself reports",
                    host_port(&next)
                ),
            ));
        }
        Ok(next)
    }

    /// GET, waiting out rate limits and retrying transient failures; error statuses become
    /// errors whose hint speaks of `what` ("organization acme").
    pub async fn get(&self, url: Url, what: &str) -> Result<Resp, HostError> {
        let resp = self.send(url).await?;
        if resp.status.is_success() {
            Ok(resp)
        } else {
            Err(self.status_error(&resp, what))
        }
    }

    pub fn json<T: DeserializeOwned>(&self, resp: &Resp) -> Result<T, HostError> {
        serde_json::from_slice(&resp.body).map_err(|e| {
            self.response_error(&resp.url, format!("cannot decode the JSON answer: {e}"))
        })
    }

    /// GET returning any final response (rate limits and transient failures handled).
    pub async fn send(&self, url: Url) -> Result<Resp, HostError> {
        let client = &self.client.inner;
        let options = &client.options;
        let mut transient = 0u32;
        let mut limited = 0u32;
        loop {
            self.wait_if_blocked(&url).await?;

            let mut headers = HeaderMap::new();
            headers.insert(
                USER_AGENT,
                HeaderValue::from_str(&options.user_agent)
                    .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_USER_AGENT)),
            );
            headers.insert(ACCEPT, HeaderValue::from_static(self.accept));
            for (name, value) in &self.extra {
                headers.insert(name.clone(), value.clone());
            }
            for (name, value) in &options.extra_headers {
                headers.insert(name.clone(), value.clone());
            }
            // The code host's own tracing, if any, sees quarry's trace as its parent.
            quarry_telemetry::inject_trace_context(&mut headers);
            if let Some(injector) = &options.header_injector {
                injector.inject(&url, &mut headers);
            }
            if let Auth::Header(name, value) = &self.auth {
                headers.insert(name.clone(), value.clone());
            }

            let result = client.http.get(url.clone()).headers(headers).send().await;
            let response = match result {
                Ok(response) => response,
                Err(e) => {
                    if transient < options.max_retries && (e.is_connect() || e.is_timeout()) {
                        transient += 1;
                        tokio::time::sleep(backoff(transient)).await;
                        continue;
                    }
                    return Err(self.request_error(&url, &e));
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            let final_url = response.url().clone();
            let body = match response.bytes().await {
                Ok(body) => body.to_vec(),
                Err(e) => {
                    if transient < options.max_retries && e.is_timeout() {
                        transient += 1;
                        tokio::time::sleep(backoff(transient)).await;
                        continue;
                    }
                    return Err(self.request_error(&url, &e));
                }
            };

            let now = SystemTime::now();
            let rate = RateLimit::from_headers(&headers, now);
            if let Some(retry_at) = rate.retry_at(status, limited, now) {
                limited += 1;
                let wait = retry_at.duration_since(now).unwrap_or_default();
                if wait > options.max_rate_limit_wait || limited > MAX_RATE_LIMIT_RETRIES {
                    return Err(HostError::RateLimited {
                        kind: self.kind,
                        host: self.host.clone(),
                        path: path_of(&url),
                        status: Some(status.as_u16()),
                        retry_at,
                        wait,
                        max_wait: options.max_rate_limit_wait,
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if matches!(status.as_u16(), 502..=504) && transient < options.max_retries {
                transient += 1;
                tokio::time::sleep(backoff(transient)).await;
                continue;
            }
            if rate.remaining == Some(0) {
                if let Some(reset) = rate.reset.filter(|reset| *reset > now) {
                    self.client
                        .inner
                        .blocked_until
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(self.host.clone(), reset);
                }
            }
            return Ok(Resp {
                url: final_url,
                status,
                headers,
                body,
            });
        }
    }

    /// Waits until the quota used up by an earlier response is back.
    async fn wait_if_blocked(&self, url: &Url) -> Result<(), HostError> {
        let until = {
            let mut blocked = self
                .client
                .inner
                .blocked_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match blocked.get(&self.host) {
                Some(until) if *until > SystemTime::now() => *until,
                Some(_) => {
                    blocked.remove(&self.host);
                    return Ok(());
                }
                None => return Ok(()),
            }
        };
        let now = SystemTime::now();
        let wait = until.duration_since(now).unwrap_or_default();
        let max_wait = self.client.inner.options.max_rate_limit_wait;
        if wait > max_wait {
            return Err(HostError::RateLimited {
                kind: self.kind,
                host: self.host.clone(),
                path: path_of(url),
                status: None,
                retry_at: until,
                wait,
                max_wait,
            });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    pub fn status_error(&self, resp: &Resp, what: &str) -> HostError {
        let status = resp.status;
        let reason = status.canonical_reason().unwrap_or("error");
        let server = self.server_message(&resp.body);
        let said = server
            .as_deref()
            // "Not Found", "404 Group Not Found" say nothing new.
            .filter(|m| {
                let m = m.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
                !m.eq_ignore_ascii_case(reason)
                    && !m
                        .to_lowercase()
                        .ends_with(&format!(" {}", reason.to_lowercase()))
            })
            .map(|m| format!(" (the server said: {m})"))
            .unwrap_or_default();
        let text = match status.as_u16() {
            401 => match &self.credential {
                Some(credential) => format!(
                    "{credential} was rejected: check it and its scopes (needs read access to repositories){said}"
                ),
                None => format!(
                    "this host needs a token: add token = {{ env = \"VARIABLE\" }} to the connection{said}"
                ),
            },
            403 => match &self.credential {
                Some(credential) => format!(
                    "{credential} may not read {what}: check its scopes (needs read access to repositories) \
                     and the organization's access policy (SSO authorization, IP allow list){said}"
                ),
                None => format!("reading {what} is not allowed without a token: add one{said}"),
            },
            404 => match &self.credential {
                Some(_) => format!("{what} not found or not visible to this token{said}"),
                None => format!(
                    "{what} not found or not visible without a token (add one to see private ones){said}"
                ),
            },
            500..=599 => format!("the host failed to answer; try again later{said}"),
            _ => format!("unexpected answer{said}"),
        };
        HostError::Status {
            kind: self.kind,
            host: self.host.clone(),
            path: path_of(&resp.url),
            status: status.as_u16(),
            reason,
            hint: text,
        }
    }

    pub fn response_error(&self, url: &Url, message: String) -> HostError {
        HostError::Response {
            kind: self.kind,
            host: self.host.clone(),
            path: path_of(url),
            message: self.scrub(&message),
        }
    }

    fn request_error(&self, url: &Url, e: &reqwest::Error) -> HostError {
        let message = if e.is_timeout() {
            format!(
                "no answer within {} s: the host is slow or unreachable ({})",
                self.client.inner.options.timeout.as_secs_f64(),
                error_chain(e)
            )
        } else if e.is_connect() {
            format!(
                "cannot connect: {} (check `url` and the network)",
                error_chain(e)
            )
        } else {
            error_chain(e)
        };
        HostError::Request {
            kind: self.kind,
            host: self.host.clone(),
            path: path_of(url),
            message: self.scrub(&message),
        }
    }

    /// The error message in a JSON error body, in the shapes the hosts use.
    fn server_message(&self, body: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let text = |v: &serde_json::Value| -> Option<String> {
            match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let message = value
            .get("message")
            .and_then(text) // GitHub, GitLab, Gitea
            .or_else(|| value.pointer("/error/message").and_then(text)) // Bitbucket Cloud
            .or_else(|| value.pointer("/errors/0/message").and_then(text)) // Bitbucket Server
            .or_else(|| value.get("error").and_then(text))?; // GitLab OAuth
        let mut message = self.scrub(message.trim());
        if message.chars().count() > 300 {
            message = message.chars().take(300).collect::<String>() + "…";
        }
        (!message.is_empty()).then_some(message)
    }

    /// Replaces the secret, and the credentials made of it (`Basic` base64), wherever they
    /// appear in `text`, by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        if let Auth::Header(_, value) = &self.auth {
            if let Ok(value) = value.to_str() {
                for part in std::iter::once(value).chain(value.split_whitespace()) {
                    if part.len() >= 8 {
                        text = text.replace(part, "***");
                    }
                }
            }
        }
        if let Some(secret) = &self.secret {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "***");
            }
        }
        text
    }
}

/// Rate limit headers of a response: GitHub's `X-RateLimit-*`, GitLab's `RateLimit-*`,
/// `Retry-After` (seconds or an HTTP date).
#[derive(Debug, Default)]
struct RateLimit {
    remaining: Option<u64>,
    reset: Option<SystemTime>,
    retry_after: Option<SystemTime>,
}

impl RateLimit {
    fn from_headers(headers: &HeaderMap, now: SystemTime) -> RateLimit {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let remaining = get("x-ratelimit-remaining")
            .or_else(|| get("ratelimit-remaining"))
            .and_then(|v| v.parse().ok());
        let reset = get("x-ratelimit-reset")
            .or_else(|| get("ratelimit-reset"))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|v| {
                // A Unix time (GitHub, GitLab), or seconds from now (the IETF draft's form).
                if v > 1_000_000_000 {
                    SystemTime::UNIX_EPOCH + Duration::from_secs(v)
                } else {
                    now + Duration::from_secs(v)
                }
            });
        let retry_after = get("retry-after").and_then(|v| match v.parse::<u64>() {
            Ok(secs) => Some(now + Duration::from_secs(secs)),
            Err(_) => httpdate::parse_http_date(v).ok(),
        });
        RateLimit {
            remaining,
            reset,
            retry_after,
        }
    }

    /// When to try again, if this response says the request was rate limited.
    fn retry_at(&self, status: StatusCode, attempt: u32, now: SystemTime) -> Option<SystemTime> {
        let quota_reset = || {
            self.reset
                .filter(|_| self.remaining == Some(0))
                .map(|reset| reset.max(now))
        };
        match status.as_u16() {
            429 => Some(
                self.retry_after
                    .or_else(quota_reset)
                    .or(self.reset.filter(|reset| *reset > now))
                    .unwrap_or_else(|| now + backoff(attempt + 1)),
            ),
            // GitHub: primary limit (remaining 0) and secondary limits (Retry-After) are 403s.
            403 => self.retry_after.or_else(quota_reset),
            _ => None,
        }
    }
}

/// 1 s, 2 s, 4 s, … for the n-th retry.
fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.saturating_sub(1).min(6))
}

pub(crate) fn path_of(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let target = &rest[open + 1..open + close];
            let after = &rest[open + close + 1..];
            let params_end = after.find('<').unwrap_or(after.len());
            let params = &after[..params_end];
            let is_next = params.split(';').any(|param| {
                let param = param.trim().trim_end_matches(',').trim();
                let Some((key, val)) = param.split_once('=') else {
                    return false;
                };
                key.trim().eq_ignore_ascii_case("rel")
                    && val
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = &after[params_end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::LINK,
            HeaderValue::from_static(
                "<https://api.github.com/organizations/1/repos?per_page=100&page=1>; rel=\"prev\", \
                 <https://api.github.com/organizations/1/repos?per_page=100&page=3>; rel=\"next\", \
                 <https://api.github.com/organizations/1/repos?per_page=100&page=5>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/organizations/1/repos?per_page=100&page=3")
        );
        headers.insert(
            reqwest::header::LINK,
            HeaderValue::from_static(
                "<https://x/a?page=1>; rel=\"first\", <https://x/a?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(next_link(&headers), None);
        headers.insert(
            reqwest::header::LINK,
            HeaderValue::from_static("</a?page=2>; rel=next"),
        );
        assert_eq!(next_link(&headers).as_deref(), Some("/a?page=2"));
    }

    #[test]
    fn rate_limit_headers() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000060"));
        let rate = RateLimit::from_headers(&headers, now);
        assert_eq!(rate.remaining, Some(0));
        assert_eq!(
            rate.retry_at(StatusCode::FORBIDDEN, 0, now),
            Some(now + Duration::from_secs(60))
        );
        assert_eq!(rate.retry_at(StatusCode::OK, 0, now), None);

        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        let rate = RateLimit::from_headers(&headers, now);
        assert_eq!(
            rate.retry_at(StatusCode::TOO_MANY_REQUESTS, 0, now),
            Some(now + Duration::from_secs(7))
        );
        // A 403 without rate limit headers is a permission problem.
        let rate = RateLimit::from_headers(&HeaderMap::new(), now);
        assert_eq!(rate.retry_at(StatusCode::FORBIDDEN, 0, now), None);

        let mut headers = HeaderMap::new();
        headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("ratelimit-reset", HeaderValue::from_static("30"));
        let rate = RateLimit::from_headers(&headers, now);
        assert_eq!(rate.reset, Some(now + Duration::from_secs(30)));

        let mut headers = HeaderMap::new();
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Tue, 14 Nov 2023 22:14:20 GMT"),
        );
        let rate = RateLimit::from_headers(&headers, now);
        assert_eq!(
            rate.retry_after,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_060))
        );
    }
}
