//! Users, tokens and sessions from the state store, for the server and `quarry admin`.

use quarry_server::auth::{Authenticator, BoxFuture, Principal};
use quarry_server::probes::HealthCheck;
use quarry_store::{Store, User};
use std::time::Duration;

/// How long a UI session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct StoreAuth {
    store: Store,
}

impl StoreAuth {
    pub fn new(store: Store) -> Self {
        StoreAuth { store }
    }
}

fn principal(u: User) -> Principal {
    Principal {
        name: u.name,
        admin: u.is_admin,
        groups: u.groups,
    }
}

impl Authenticator for StoreAuth {
    fn token(&self, secret: String) -> BoxFuture<'_, Result<Option<Principal>, String>> {
        Box::pin(async move {
            self.store
                .authenticate_token(&secret)
                .await
                .map(|u| u.map(principal))
                .map_err(|e| e.to_string())
        })
    }

    fn session(&self, id: String) -> BoxFuture<'_, Result<Option<Principal>, String>> {
        Box::pin(async move {
            self.store
                .session_user(&id)
                .await
                .map(|u| u.map(principal))
                .map_err(|e| e.to_string())
        })
    }

    fn login(
        &self,
        user: String,
        password: String,
    ) -> BoxFuture<'_, Result<Option<(Principal, String)>, String>> {
        Box::pin(async move {
            let Some(u) = self
                .store
                .verify_password(&user, &password)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            let (id, _) = self
                .store
                .create_session(&u.name, SESSION_TTL)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Some((principal(u), id)))
        })
    }

    fn logout(&self, id: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.store.delete_session(&id).await;
        })
    }
}

/// Readiness depends on the state store answering.
pub struct StoreCheck(pub Store);

impl HealthCheck for StoreCheck {
    fn name(&self) -> &str {
        "store"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.0
                .schema_version()
                .await
                .map(|_| ())
                .map_err(|e| format!("state store {}: {e}", self.0.location()))
        })
    }
}
