//! Who is asking: API tokens (`Authorization: token …` or `Bearer …`) and UI sessions (a
//! cookie), checked by an [`Authenticator`] the CLI wires to the store; and what they may see:
//! per-repository visibility.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "quarry_session";

/// An authenticated user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub admin: bool,
    pub groups: Vec<String>,
}

/// Who may see a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone who may use the server, anonymous users included when anonymous access is on.
    #[default]
    Public,
    /// Only these users and members of these groups (and admins).
    Restricted {
        users: Vec<String>,
        groups: Vec<String>,
    },
}

impl Visibility {
    pub fn allows(&self, who: Option<&Principal>) -> bool {
        match (self, who) {
            (Visibility::Public, _) => true,
            (Visibility::Restricted { .. }, None) => false,
            (Visibility::Restricted { users, groups }, Some(p)) => {
                p.admin || users.contains(&p.name) || p.groups.iter().any(|g| groups.contains(g))
            }
        }
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Checks credentials; implemented over the store by the CLI.
pub trait Authenticator: Send + Sync {
    fn token(&self, secret: String) -> BoxFuture<'_, Result<Option<Principal>, String>>;
    fn session(&self, id: String) -> BoxFuture<'_, Result<Option<Principal>, String>>;
    /// Checks a password; on success returns the user and a new session id.
    fn login(
        &self,
        user: String,
        password: String,
    ) -> BoxFuture<'_, Result<Option<(Principal, String)>, String>>;
    fn logout(&self, id: String) -> BoxFuture<'_, ()>;
}

/// The request's user, if any (set by [`authenticate`] on every request).
#[derive(Clone, Debug, Default)]
pub struct Caller(pub Option<Principal>);

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    matches!(scheme.to_ascii_lowercase().as_str(), "token" | "bearer")
        .then(|| token.trim().to_string())
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(SESSION_COOKIE)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
}

/// Paths anyone may reach: the UI shell and assets, health, login, and webhooks (which carry
/// their own secret). `/metrics` is a read like the API (labels may name repositories).
fn is_open(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/.api/")
        || path == "/search/stream"
        || path == "/metrics")
        || matches!(path, "/healthz" | "/readyz" | "/startupz")
        || path == "/api/login"
        || path == "/api/me"
        || path == "/api/openapi.json"
        || path.starts_with("/api/webhooks/")
}

/// Resolves the caller, then enforces "authentication required" for API paths.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let auth = state.authenticator.read().expect("not poisoned").clone();
    let mut caller = None;
    if let Some(auth) = auth {
        let headers = req.headers();
        let result = if let Some(t) = bearer(headers) {
            match auth.token(t).await {
                Ok(None) => return ApiError::new(StatusCode::UNAUTHORIZED, "the access token is invalid or revoked: create a new one with `quarry admin token create`").into_response(),
                other => other,
            }
        } else if let Some(s) = session_cookie(headers) {
            auth.session(s).await
        } else {
            Ok(None)
        };
        match result {
            Ok(p) => caller = p,
            Err(e) => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("cannot check credentials: {e}"),
                )
                .into_response()
            }
        }
    }
    let required = state
        .auth_required
        .load(std::sync::atomic::Ordering::Relaxed);
    if required && caller.is_none() && !is_open(req.uri().path()) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: log in, or send an access token as `Authorization: token <token>`",
        )
        .into_response();
    }
    req.extensions_mut().insert(Caller(caller));
    next.run(req).await
}

/// Fails with 401/403 unless the caller is an admin.
pub fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match &caller.0 {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin only: log in as an admin or send an admin's access token",
        )),
        Some(p) if !p.admin => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("user {} is not an admin", p.name),
        )),
        Some(_) => Ok(()),
    }
}

#[derive(Deserialize)]
pub struct Login {
    user: String,
    password: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(l): Json<Login>,
) -> Result<Response, ApiError> {
    let auth = state.authenticator.read().expect("not poisoned").clone();
    let auth = auth
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "this server has no user accounts"))?;
    match auth.login(l.user, l.password).await {
        Ok(Some((p, session))) => {
            let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
            Ok((
                [(header::SET_COOKIE, cookie)],
                Json(json!({ "user": { "name": p.name, "admin": p.admin } })),
            )
                .into_response())
        }
        Ok(None) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong user name or password",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot check credentials: {e}"),
        )),
    }
}

pub async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let auth = state.authenticator.read().expect("not poisoned").clone();
    if let (Some(auth), Some(s)) = (auth, session_cookie(&headers)) {
        auth.logout(s).await;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Json(json!({ "user": null }))).into_response()
}

pub async fn me(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Json<serde_json::Value> {
    let required = state
        .auth_required
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(json!({
        "user": caller.0.map(|p| json!({ "name": p.name, "admin": p.admin })),
        "authRequired": required,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rules() {
        let alice = Principal {
            name: "alice".into(),
            admin: false,
            groups: vec!["eng".into()],
        };
        let bob = Principal {
            name: "bob".into(),
            admin: false,
            groups: vec![],
        };
        let root = Principal {
            name: "root".into(),
            admin: true,
            groups: vec![],
        };
        let v = Visibility::Restricted {
            users: vec![],
            groups: vec!["eng".into()],
        };
        assert!(v.allows(Some(&alice)) && v.allows(Some(&root)));
        assert!(!v.allows(Some(&bob)) && !v.allows(None));
        assert!(Visibility::Public.allows(None));
    }

    #[test]
    fn credentials_from_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "token qry_abc".parse().unwrap());
        assert_eq!(bearer(&h).as_deref(), Some("qry_abc"));
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(bearer(&h).as_deref(), Some("xyz"));
        h.insert(header::COOKIE, "a=b; quarry_session=s123".parse().unwrap());
        assert_eq!(session_cookie(&h).as_deref(), Some("s123"));
    }
}
