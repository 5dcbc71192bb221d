//! quarry's state: repositories, their sync and index state, users, API tokens, UI sessions
//! and the job queue, in SQLite (one server) or PostgreSQL (cluster mode), behind one
//! [`Store`] that serves both.
//!
//! ```no_run
//! # async fn demo() -> quarry_store::Result<()> {
//! use quarry_store::{JobKind, RepoSpec, SourceKind, Store, Visibility};
//!
//! let store = Store::open("sqlite:///var/lib/quarry/quarry.db").await?; // or postgres://...
//! store
//!     .upsert_repo(&RepoSpec {
//!         name: "linux".into(),
//!         source_kind: SourceKind::Git,
//!         location: "https://git.example/linux.git".into(),
//!         source_name: "kernel-repos".into(),
//!         visibility: Visibility::Public,
//!     })
//!     .await?;
//! store.enqueue_job(JobKind::Sync, "linux").await?;
//! if let Some(job) = store.claim_next_job().await? {
//!     // ... fetch ...
//!     store.finish_job(job.id, Ok(())).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! # Backends
//!
//! [`Store::open`] takes `sqlite:///path/to/quarry.db` (the file and its directory are created
//! when missing) or `postgres://user:password@host:port/database`. Both go through sqlx's
//! `Any` driver, so every query is written once: `$1` placeholders, `INSERT ... ON CONFLICT`,
//! `RETURNING`, and only integer and text columns (the `Any` driver maps no BOOLEAN or
//! TIMESTAMP type across both). Times are integer Unix milliseconds ([`Timestamp`]); flags
//! are 0/1 integers; lists are JSON text. The only statement that differs between dialects is
//! the job claim (below). Queries are plain strings checked by the tests on both backends:
//! sqlx's compile-time checked macros do not work with `Any`.
//!
//! SQLite runs in WAL mode (readers never block the writer), with `foreign_keys = ON`,
//! `busy_timeout = 10000` (a writer waits up to 10 s for another) and `synchronous = NORMAL`
//! on every connection. The SQLite library is compiled in (the release binary is static).
//! Every write is a single statement, which SQLite makes atomic and retries on a busy
//! database; there are no multi-statement transactions, whose read-then-write upgrade SQLite
//! would fail instead of waiting.
//!
//! # Schema (version 1)
//!
//! | table | columns | notes |
//! |---|---|---|
//! | `repositories` | `id`, `name` (unique), `source_kind` (`path`, `git`, `codehost`), `location` (URL or directory), `source_name` (the configuration source that listed it), `visibility`, `created_at`, `updated_at` | `visibility` is `public` or `{"users":[...],"groups":[...]}` ([`Visibility`]) |
//! | `sync_state` | `repo_id` (key), `last_fetch_at`, `last_success_at`, `last_duration_ms`, `last_error`, `last_error_at` | one row per fetched repository ([`SyncState`]) |
//! | `repo_refs` | (`repo_id`, `ref_name`) key, `commit_id`, `indexed_at`, `files`, `bytes`, `shards` | what is indexed per branch or tag ([`RefState`]) |
//! | `users` | `id`, `name` (unique), `display_name`, `password_hash` (argon2id PHC string, or NULL), `is_admin`, `groups_json` | ([`User`]) |
//! | `api_tokens` | `id`, `user_id`, `name`, `prefix`, `token_hash` (unique), `created_at`, `last_used_at`, `revoked_at` | ([`TokenInfo`]) |
//! | `sessions` | `id_hash` (key), `user_id`, `created_at`, `expires_at` | UI logins ([`SessionInfo`]) |
//! | `jobs` | `id`, `kind` (`sync`, `index`), `repo_id`, `state` (`queued`, `running`, `done`, `failed`), `created_at`, `started_at`, `finished_at`, `error` | at most one queued job per (kind, repository): a partial unique index ([`Job`]) |
//!
//! Removing a repository removes its sync state, refs and jobs (`ON DELETE CASCADE`);
//! deleting a user removes their tokens and sessions. `_sqlx_migrations` records the applied
//! migrations.
//!
//! ## The job queue
//!
//! [`Store::claim_next_job`] is one `UPDATE jobs SET state = 'running' ... WHERE id = (SELECT
//! the oldest queued id) RETURNING id`. On SQLite the statement is atomic by itself. On
//! PostgreSQL the inner select adds `FOR UPDATE SKIP LOCKED`, so that concurrent claimers
//! (other servers of a cluster) take different jobs instead of waiting for each other's row
//! and then finding it claimed. Either way no job is handed out twice; the tests check it
//! with concurrent claimers on both backends. [`Store::fail_running_jobs`] at start-up
//! closes jobs that a stopped process left running.
//!
//! # Migrations
//!
//! The schema is versioned by sqlx migrations embedded in the binary (`sqlx::migrate!`), one
//! folder per dialect: `migrations/sqlite/` and `migrations/postgres/`. The policy:
//!
//! - **Append-only.** A released migration file is never edited (sqlx stores each file's
//!   checksum and refuses a store whose applied migration differs) nor removed.
//! - **Same versions in both folders.** To change the schema, add `NNNN_what_it_does.sql`
//!   with the next number (`0002_...`, `0003_...`) to *both* folders, written for each
//!   dialect (`INTEGER PRIMARY KEY AUTOINCREMENT` / `BIGINT GENERATED BY DEFAULT AS IDENTITY`,
//!   `INTEGER` / `BIGINT`), keeping to integer and text column types. A unit test checks that
//!   the folders list the same versions and descriptions, numbered 1, 2, 3...; the version is
//!   the schema version users see in messages. `cargo test -p quarry-store` runs every
//!   migration on SQLite; run the PostgreSQL suite too (below).
//! - **Forward only.** There are no down migrations: going back is restoring a backup.
//!   A migration that can fail half-way on SQLite (some `ALTER TABLE` forms) rebuilds the
//!   table instead (create new, copy, drop old, rename), which runs in the migration's
//!   transaction.
//!
//! [`Store::open`] applies the migrations a store lacks, so a store written by an older
//! quarry is upgraded on start. A store whose applied migrations include a version this
//! binary does not know was written by a newer quarry: it is refused before anything is
//! changed, with [`StoreError::NewerSchema`] ("the store at X was written by a newer quarry
//! (schema version N, this binary knows up to M): upgrade quarry or restore a backup").
//! [`Store::connect`] opens without migrating, and [`Store::schema_version`],
//! [`Store::known_schema_version`] and [`Store::pending_migrations`] tell a `doctor` where a
//! store stands. On PostgreSQL sqlx holds an advisory lock while migrating, so servers
//! starting together migrate once.
//!
//! # Security
//!
//! - **Passwords** are hashed with argon2id (v19, 19 MiB, 2 passes, 1 lane: OWASP's
//!   recommended parameters) and a random 16-byte salt, stored as a PHC string that records
//!   the parameters, so they can be raised later without invalidating stored hashes. A slow,
//!   memory-hard hash is what protects low-entropy human secrets if the database leaks.
//!   Verification compares in constant time and runs on a blocking thread; an unknown user or
//!   one without a password is verified against a dummy hash, so the time taken does not tell
//!   which user names exist.
//! - **API tokens** are `qry_` plus 40 base62 characters from the operating system's CSPRNG
//!   (about 238 bits). The store keeps only their SHA-256 (hex) and the first 12 characters
//!   for listings. A fast hash is right here: argon2 exists to make guessing low-entropy
//!   passwords expensive, but nobody can enumerate 2^238 candidates, so a token's digest
//!   reveals nothing even after a leak, while a slow hash would cost every API request tens of
//!   milliseconds of CPU. The lookup is by digest, so its timing tells nothing about the
//!   secret. `last_used_at` is written at most once a minute per token, so requests are not
//!   each a database write. Revoked tokens stay listed with their revocation time.
//! - **UI sessions** are 43 random base62 characters (about 256 bits) in the cookie; the store
//!   keeps only their SHA-256, so a leaked database (or backup) gives no usable session.
//!   Expiry is checked on every lookup; [`Store::purge_expired_sessions`] deletes old rows.
//!
//! # Testing against PostgreSQL
//!
//! `cargo test -p quarry-store` runs the whole suite on SQLite. The same suite runs on
//! PostgreSQL when `QUARRY_TEST_POSTGRES_URL` names a server whose role may create databases
//! (each test creates and drops a database of its own); without it those tests print a notice
//! and pass. A throwaway server on Debian, as root:
//!
//! ```sh
//! apt-get install -y postgresql
//! D=$(mktemp -d) && chown postgres "$D"
//! su postgres -s /bin/sh -c "/usr/lib/postgresql/*/bin/initdb -D $D/data -A trust -U quarry"
//! su postgres -s /bin/sh -c "/usr/lib/postgresql/*/bin/pg_ctl -D $D/data -l $D/log \
//!     -o '-p 54329 -k $D -c listen_addresses=127.0.0.1' start"
//! QUARRY_TEST_POSTGRES_URL=postgres://quarry@127.0.0.1:54329/postgres \
//!     cargo test -p quarry-store --test postgres
//! su postgres -s /bin/sh -c "/usr/lib/postgresql/*/bin/pg_ctl -D $D/data stop"
//! ```

mod error;
mod jobs;
mod metrics;
mod model;
mod repos;
mod secret;
mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Row};

pub use error::{Result, StoreError};
pub use metrics::describe_metrics;
pub use model::{
    Job, JobKind, JobState, MigrationInfo, RefState, Repo, RepoSpec, SessionInfo, SourceKind,
    SyncState, Timestamp, TokenInfo, User, UserSpec, Visibility,
};
pub use secret::{SESSION_CHARS, TOKEN_PREFIX, TOKEN_RANDOM_CHARS, TOKEN_SHOWN_CHARS};

use error::Context;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The table where sqlx records applied migrations.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Pragmas run on every SQLite connection of the pool. Journal mode is not among them: WAL is a
/// property of the database file, set once when the store is opened (switching needs an
/// exclusive lock that the busy timeout does not wait for).
const SQLITE_PRAGMAS: [&str; 3] = [
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    // Durable at every checkpoint, and safe from corruption; the recommended level with WAL.
    "PRAGMA synchronous = NORMAL",
];

/// Which database serves a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A SQLite file (single server).
    Sqlite,
    /// A PostgreSQL database (cluster mode).
    Postgres,
}

impl Backend {
    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// quarry's state. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    location: Arc<str>,
}

impl Store {
    /// Opens the store at `url` and brings its schema up to date.
    ///
    /// `url` is `sqlite:///path/to/quarry.db` (the file and its directory are created if
    /// missing) or `postgres://user:password@host/database`. A store last written by a newer
    /// quarry (a schema version this binary does not know) is refused with
    /// [`StoreError::NewerSchema`] before anything is changed.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without touching the schema (for `doctor`-like inspection: see
    /// [`Store::schema_version`], [`Store::pending_migrations`]). Other methods need
    /// [`Store::migrate`] to have run.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            Store::connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::connect_postgres(url).await
        } else {
            Err(StoreError::UnsupportedUrl {
                url: redact_url(url),
            })
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Store> {
        let open_err =
            |location: &str, e: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
                location: location.to_string(),
                source: e,
            };
        let opts = SqliteConnectOptions::from_str(url).map_err(|e| open_err(url, e.into()))?;
        let path = opts.get_filename().to_path_buf();
        let location = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(&location, e.into()))?;
        }
        // Create the file if missing and switch it to WAL, once, on a lone connection.
        let conn = opts
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await
            .map_err(|e| open_err(&location, e.into()))?;
        conn.close()
            .await
            .map_err(|e| open_err(&location, e.into()))?;

        let any_opts =
            AnyConnectOptions::from_str(url).map_err(|e| open_err(&location, e.into()))?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(any_opts)
            .await
            .map_err(|e| open_err(&location, e.into()))?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            location: location.into(),
        })
    }

    async fn connect_postgres(url: &str) -> Result<Store> {
        let location = redact_url(url);
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| StoreError::Open {
                location: location.clone(),
                source: e.into(),
            })?;
        Ok(Store {
            pool,
            backend: Backend::Postgres,
            location: location.into(),
        })
    }

    /// Applies the migrations the store lacks, after refusing a store from a newer quarry.
    /// [`Store::open`] calls it; running it again does nothing. Concurrent servers on one
    /// PostgreSQL database are serialized by an advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        self.check_schema_known().await?;
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                location: self.location.to_string(),
                source,
            })
    }

    async fn check_schema_known(&self) -> Result<()> {
        let applied = self.applied_versions().await?;
        let migrator = self.backend.migrator();
        let known = self.known_schema_version();
        if let Some(&(found, _)) = applied.last() {
            if found > known {
                return Err(StoreError::NewerSchema {
                    location: self.location.to_string(),
                    found,
                    known,
                });
            }
        }
        if let Some(&(version, _)) = applied.iter().find(|(v, _)| !migrator.version_exists(*v)) {
            return Err(StoreError::UnknownMigration {
                location: self.location.to_string(),
                version,
            });
        }
        Ok(())
    }

    /// (version, succeeded) of every recorded migration, by version.
    async fn applied_versions(&self) -> Result<Vec<(i64, bool)>> {
        let exists_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let n: i64 = sqlx::query_scalar(exists_sql)
            .fetch_one(&self.pool)
            .await
            .ctx("looking for the migrations table")?;
        if n == 0 {
            return Ok(Vec::new());
        }
        debug_assert_eq!(MIGRATIONS_TABLE, "_sqlx_migrations");
        let rows = sqlx::query(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END AS ok \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .ctx("reading applied migrations")?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)? != 0)))
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("reading applied migrations")
    }

    /// The store's schema version: the highest migration applied successfully, 0 for an empty
    /// store. (Readiness checks call it: it is the store's "ping".)
    pub async fn schema_version(&self) -> Result<i64> {
        let _timer = crate::metrics::Timer::start("schema_version");
        Ok(self
            .applied_versions()
            .await?
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(v, _)| *v)
            .max()
            .unwrap_or(0))
    }

    /// The highest schema version this binary knows.
    pub fn known_schema_version(&self) -> i64 {
        self.backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// The migrations this binary carries that the store has not applied (empty after
    /// [`Store::open`]; useful after [`Store::connect`]).
    pub async fn pending_migrations(&self) -> Result<Vec<MigrationInfo>> {
        let applied = self.applied_versions().await?;
        Ok(self
            .backend
            .migrator()
            .iter()
            .filter(|m| !applied.iter().any(|(v, ok)| *v == m.version && *ok))
            .map(|m| MigrationInfo {
                version: m.version,
                description: m.description.to_string(),
            })
            .collect())
    }

    /// Which database serves this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the store is: the SQLite file's path, or the PostgreSQL URL without password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The connection pool, for diagnostics and tests. Queries through it must work on both
    /// backends (`$1` placeholders, integer times, no BOOLEAN columns).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (waiting for those in use). Clones become unusable.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `url` with the password of its user info replaced by `***`.
fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary (for long error messages).
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Rejects empty names, names with control characters or surrounding space, and long ones.
fn check_name(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 512 {
        "it is longer than 512 bytes"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else if name.trim() != name {
        "it starts or ends with white space"
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid {
        what,
        reason: format!("{name:?}: {reason}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let versions = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(&SQLITE_MIGRATIONS), versions(&POSTGRES_MIGRATIONS));
        assert!(SQLITE_MIGRATIONS.iter().count() > 0);
        // Versions are 1, 2, 3...: the schema version a user sees in messages.
        for (i, m) in SQLITE_MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://quarry:s3cret@db:5432/quarry?sslmode=require"),
            "postgres://quarry:***@db:5432/quarry?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://quarry@db/quarry"),
            "postgres://quarry@db/quarry"
        );
        assert_eq!(redact_url("postgres://db/q"), "postgres://db/q");
        assert_eq!(redact_url("mysql:x"), "mysql:x");
    }

    #[test]
    fn truncates_at_char_boundary() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn names() {
        assert!(check_name("name", "linux").is_ok());
        assert!(check_name("name", "").is_err());
        assert!(check_name("name", " x").is_err());
        assert!(check_name("name", "a\nb").is_err());
    }
}
