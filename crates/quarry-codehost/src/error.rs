//! Errors of discovery and token checks. Each names the host, the request path, the HTTP status
//! and what to do; none contains a secret.

use std::time::{Duration, SystemTime};

use crate::secret::SecretError;

/// Why talking to a code host failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HostError {
    /// The configuration is wrong (found without contacting the host).
    #[error("{kind} {host}: invalid configuration: {message}")]
    Config {
        kind: &'static str,
        host: String,
        message: String,
    },
    /// The token reference could not be resolved.
    #[error("{kind} {host}: {source}")]
    Secret {
        kind: &'static str,
        host: String,
        #[source]
        source: SecretError,
    },
    /// The host answered with an error status.
    #[error("{kind} {host}: GET {path}: HTTP {status} {reason}: {hint}")]
    Status {
        kind: &'static str,
        host: String,
        /// Path and query of the request.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The status's reason phrase (`Unauthorized`).
        reason: &'static str,
        /// What went wrong and what to do, with the server's message if it gave one.
        hint: String,
    },
    /// Rate limited for longer than the client may wait.
    #[error(
        "{kind} {host}: GET {path}: rate limited{}: the limit resets at {} (in {} s), \
         longer than the allowed wait of {} s: retry after then (or allow a longer wait)",
        status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
        httpdate::fmt_http_date(*retry_at),
        wait.as_secs(),
        max_wait.as_secs()
    )]
    RateLimited {
        kind: &'static str,
        host: String,
        path: String,
        /// The status of the response that said so (none when the previous response used up
        /// the quota).
        status: Option<u16>,
        /// When requests may be sent again.
        retry_at: SystemTime,
        /// How long that is from when the error was made.
        wait: Duration,
        /// The client's limit on waiting.
        max_wait: Duration,
    },
    /// No answer: connection failure, timeout, a response that could not be read.
    #[error("{kind} {host}: GET {path}: {message}")]
    Request {
        kind: &'static str,
        host: String,
        path: String,
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("{kind} {host}: GET {path}: unexpected response: {message}")]
    Response {
        kind: &'static str,
        host: String,
        path: String,
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
}

impl HostError {
    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HostError::Status { status, .. } => Some(*status),
            HostError::RateLimited { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether the host refused the credentials (HTTP 401).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401) && matches!(self, HostError::Status { .. })
    }

    /// Whether the organization/group/user/... does not exist or is not visible (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, HostError::Status { status: 404, .. })
    }

    /// Adds `extra` to the hint of a 404.
    pub(crate) fn with_not_found_hint(mut self, extra: &str) -> HostError {
        if let HostError::Status {
            status: 404, hint, ..
        } = &mut self
        {
            hint.push_str(extra);
        }
        self
    }

    /// Whether this is a rate limit the client would not wait out.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, HostError::RateLimited { .. })
    }
}
