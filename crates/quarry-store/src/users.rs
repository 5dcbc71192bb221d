//! Users and passwords, API tokens, UI sessions.

use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{is_unique_violation, Context, Result, StoreError};
use crate::repos::opt_time;
use crate::secret::{self, SESSION_CHARS, TOKEN_SHOWN_CHARS};
use crate::{check_name, truncate, SessionInfo, Store, Timestamp, TokenInfo, User, UserSpec};

/// Longest password accepted (argon2 takes any length; this bounds the work per attempt).
const MAX_PASSWORD_BYTES: usize = 1024;

/// `last_used_at` of a token is written at most this often, so that API requests do not each
/// cost a write.
const TOKEN_USE_RESOLUTION: Duration = Duration::from_secs(60);

/// User columns; every query names the users table `u`.
macro_rules! user_cols {
    () => {
        "u.id, u.name, u.display_name, u.is_admin, u.groups_json, \
         CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, u.created_at"
    };
}

macro_rules! token_select {
    () => {
        "SELECT t.id, t.user_id, u.name AS user_name, t.name, t.prefix, t.created_at, \
         t.last_used_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
    };
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    let get = || -> std::result::Result<_, sqlx::Error> {
        Ok((
            row.try_get::<i64, _>("id")?,
            row.try_get::<String, _>("name")?,
            row.try_get::<String, _>("display_name")?,
            row.try_get::<i64, _>("is_admin")?,
            row.try_get::<String, _>("groups_json")?,
            row.try_get::<i64, _>("has_password")?,
            row.try_get::<i64, _>("created_at")?,
        ))
    };
    let (id, name, display_name, is_admin, groups, has_password, created_at) =
        get().ctx("reading a user")?;
    let groups = serde_json::from_str(&groups).map_err(|_| StoreError::Corrupt {
        what: "user group list",
        value: groups.clone(),
    })?;
    Ok(User {
        id,
        name,
        display_name,
        is_admin: is_admin != 0,
        groups,
        has_password: has_password != 0,
        created_at: Timestamp::from_unix_millis(created_at),
    })
}

fn token_from_row(row: &AnyRow) -> Result<TokenInfo> {
    let get = || -> std::result::Result<_, sqlx::Error> {
        Ok(TokenInfo {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            user_name: row.try_get("user_name")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            created_at: Timestamp::from_unix_millis(row.try_get("created_at")?),
            last_used_at: opt_time(row, "last_used_at")?,
            revoked_at: opt_time(row, "revoked_at")?,
        })
    };
    get().ctx("reading a token")
}

fn user_not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: "user",
        name: name.to_string(),
    }
}

fn groups_json(spec: &UserSpec) -> Result<String> {
    for g in &spec.groups {
        check_name("group name", g)?;
    }
    Ok(serde_json::to_string(&spec.groups).expect("serializing strings cannot fail"))
}

/// Runs password hashing off the async threads (argon2 takes tens of milliseconds of CPU).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::PasswordHash(e.to_string()))
}

impl Store {
    // ----- users -----

    /// Creates a user (without a password: see [`Store::set_password`]).
    pub async fn create_user(&self, spec: &UserSpec) -> Result<User> {
        let _timer = crate::metrics::Timer::start("create_user");
        check_name("user name", &spec.name)?;
        let groups = groups_json(spec)?;
        let now = Timestamp::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, display_name, is_admin, groups_json, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&spec.name)
        .bind(&spec.display_name)
        .bind(i64::from(spec.is_admin))
        .bind(groups)
        .bind(now.unix_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::AlreadyExists {
                    kind: "user",
                    name: spec.name.clone(),
                }
            } else {
                StoreError::Query {
                    action: "creating a user",
                    source: e,
                }
            }
        })?;
        Ok(User {
            id,
            name: spec.name.clone(),
            display_name: spec.display_name.clone(),
            is_admin: spec.is_admin,
            groups: spec.groups.clone(),
            has_password: false,
            created_at: now,
        })
    }

    /// Changes the display name, admin flag and groups of the user named `spec.name`.
    pub async fn update_user(&self, spec: &UserSpec) -> Result<User> {
        let _timer = crate::metrics::Timer::start("update_user");
        let groups = groups_json(spec)?;
        let r = sqlx::query(
            "UPDATE users SET display_name = $2, is_admin = $3, groups_json = $4 WHERE name = $1",
        )
        .bind(&spec.name)
        .bind(&spec.display_name)
        .bind(i64::from(spec.is_admin))
        .bind(groups)
        .execute(&self.pool)
        .await
        .ctx("updating a user")?;
        if r.rows_affected() == 0 {
            return Err(user_not_found(&spec.name));
        }
        self.get_user(&spec.name)
            .await?
            .ok_or_else(|| user_not_found(&spec.name))
    }

    /// The user named `name`.
    pub async fn get_user(&self, name: &str) -> Result<Option<User>> {
        let _timer = crate::metrics::Timer::start("get_user");
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE u.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .ctx("reading a user")?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// The user with id `id`.
    pub async fn get_user_by_id(&self, id: i64) -> Result<Option<User>> {
        let _timer = crate::metrics::Timer::start("get_user_by_id");
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .ctx("reading a user")?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let _timer = crate::metrics::Timer::start("list_users");
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u ORDER BY u.name"
        ))
        .fetch_all(&self.pool)
        .await
        .ctx("listing users")?
        .iter()
        .map(user_from_row)
        .collect()
    }

    /// Deletes a user with their tokens and sessions. False if there was none.
    pub async fn delete_user(&self, name: &str) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("delete_user");
        let r = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .ctx("deleting a user")?;
        Ok(r.rows_affected() > 0)
    }

    /// Sets a user's password, stored as an argon2id hash. Existing sessions stay: call
    /// [`Store::delete_user_sessions`] to log the user out everywhere.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<()> {
        let _timer = crate::metrics::Timer::start("set_password");
        if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
            return Err(StoreError::Invalid {
                what: "password",
                reason: format!("it must be 1 to {MAX_PASSWORD_BYTES} bytes long"),
            });
        }
        let password = password.to_string();
        let hash = blocking(move || secret::hash_password(&password)).await??;
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(hash)
            .bind(name)
            .execute(&self.pool)
            .await
            .ctx("setting a password")?;
        if r.rows_affected() == 0 {
            return Err(user_not_found(name));
        }
        Ok(())
    }

    /// The user named `name` if `password` is theirs. Unknown users and users without a
    /// password take the same time as a wrong password, and the hash comparison is
    /// constant-time.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let _timer = crate::metrics::Timer::start("verify_password");
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            ", u.password_hash FROM users u WHERE u.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .ctx("reading a user")?;
        let (user, hash) = match &row {
            Some(row) => (
                Some(user_from_row(row)?),
                row.try_get::<Option<String>, _>("password_hash")
                    .ctx("reading a user")?,
            ),
            None => (None, None),
        };
        // Passwords longer than any that can be set are checked against the dummy hash (with
        // a bounded input), so they cost the same and never match.
        let acceptable = password.len() <= MAX_PASSWORD_BYTES;
        let real = hash.is_some() && acceptable;
        let hash = match hash {
            Some(h) if acceptable => h,
            _ => secret::dummy_hash().to_string(),
        };
        let password = truncate(password, MAX_PASSWORD_BYTES).to_string();
        let ok = blocking(move || secret::verify_password(&password, &hash)).await?;
        Ok(user.filter(|_| ok && real))
    }

    // ----- API tokens -----

    /// Creates an API token for `user`. Returns its listing and the secret, which is shown to
    /// the user once and never stored (only its SHA-256 is).
    pub async fn create_token(&self, user: &str, name: &str) -> Result<(TokenInfo, String)> {
        let _timer = crate::metrics::Timer::start("create_token");
        check_name("token name", name)?;
        let owner = self
            .get_user(user)
            .await?
            .ok_or_else(|| user_not_found(user))?;
        let secret = secret::new_token_secret()?;
        let prefix = secret[..TOKEN_SHOWN_CHARS].to_string();
        let now = Timestamp::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(owner.id)
        .bind(name)
        .bind(&prefix)
        .bind(secret::digest(&secret))
        .bind(now.unix_millis())
        .fetch_one(&self.pool)
        .await
        .ctx("creating a token")?;
        let info = TokenInfo {
            id,
            user_id: owner.id,
            user_name: owner.name,
            name: name.to_string(),
            prefix,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        Ok((info, secret))
    }

    /// The owner of the token `secret`, if it exists and is not revoked; records its use.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<User>> {
        let _timer = crate::metrics::Timer::start("authenticate_token");
        if !secret::looks_like_token(secret) {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            ", t.id AS token_id, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
        ))
        .bind(secret::digest(secret))
        .fetch_optional(&self.pool)
        .await
        .ctx("authenticating a token")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let token_id: i64 = row.try_get("token_id").ctx("reading a token")?;
        let last_used = opt_time(&row, "last_used_at").ctx("reading a token")?;
        let now = Timestamp::now();
        if last_used.is_none_or(|t| t <= now - TOKEN_USE_RESOLUTION) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.unix_millis())
                .bind(token_id)
                .execute(&self.pool)
                .await
                .ctx("recording a token's use")?;
        }
        Ok(Some(user))
    }

    /// Tokens (revoked ones too) of `user`, or of everybody, by id.
    pub async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        let _timer = crate::metrics::Timer::start("list_tokens");
        let rows = match user {
            Some(name) => {
                if self.get_user(name).await?.is_none() {
                    return Err(user_not_found(name));
                }
                sqlx::query(concat!(token_select!(), " WHERE u.name = $1 ORDER BY t.id"))
                    .bind(name)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query(concat!(token_select!(), " ORDER BY t.id"))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .ctx("listing tokens")?;
        rows.iter().map(token_from_row).collect()
    }

    /// The token with id `id`.
    pub async fn get_token(&self, id: i64) -> Result<Option<TokenInfo>> {
        let _timer = crate::metrics::Timer::start("get_token");
        sqlx::query(concat!(token_select!(), " WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a token")?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    /// Revokes a token. False if there is no such token or it was revoked already.
    pub async fn revoke_token(&self, id: i64) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("revoke_token");
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(Timestamp::now().unix_millis())
        .bind(id)
        .execute(&self.pool)
        .await
        .ctx("revoking a token")?;
        Ok(r.rows_affected() > 0)
    }

    // ----- UI sessions -----

    /// Starts a session for `user` valid for `ttl`. Returns the session id for the cookie (43
    /// random base62 characters, stored only as SHA-256) and the session's times.
    pub async fn create_session(&self, user: &str, ttl: Duration) -> Result<(String, SessionInfo)> {
        let _timer = crate::metrics::Timer::start("create_session");
        let owner = self
            .get_user(user)
            .await?
            .ok_or_else(|| user_not_found(user))?;
        let id = secret::random_base62(SESSION_CHARS)?;
        let now = Timestamp::now();
        let info = SessionInfo {
            user_id: owner.id,
            created_at: now,
            expires_at: now + ttl,
        };
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(secret::digest(&id))
        .bind(owner.id)
        .bind(info.created_at.unix_millis())
        .bind(info.expires_at.unix_millis())
        .execute(&self.pool)
        .await
        .ctx("creating a session")?;
        Ok((id, info))
    }

    /// The user of session `id`, if it exists and has not expired.
    pub async fn session_user(&self, id: &str) -> Result<Option<User>> {
        let _timer = crate::metrics::Timer::start("session_user");
        if id.len() != SESSION_CHARS || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2"
        ))
        .bind(secret::digest(id))
        .bind(Timestamp::now().unix_millis())
        .fetch_optional(&self.pool)
        .await
        .ctx("reading a session")?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Ends session `id` (logout). False if there was none.
    pub async fn delete_session(&self, id: &str) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("delete_session");
        let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(secret::digest(id))
            .execute(&self.pool)
            .await
            .ctx("deleting a session")?;
        Ok(r.rows_affected() > 0)
    }

    /// Ends every session of `user` (after a password change, say). Returns how many.
    pub async fn delete_user_sessions(&self, user: &str) -> Result<u64> {
        let _timer = crate::metrics::Timer::start("delete_user_sessions");
        let r = sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
        )
        .bind(user)
        .execute(&self.pool)
        .await
        .ctx("deleting sessions")?;
        Ok(r.rows_affected())
    }

    /// Deletes expired sessions. Returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let _timer = crate::metrics::Timer::start("purge_expired_sessions");
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(Timestamp::now().unix_millis())
            .execute(&self.pool)
            .await
            .ctx("purging sessions")?;
        Ok(r.rows_affected())
    }
}
