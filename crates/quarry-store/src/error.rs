//! The store's error type.

/// What went wrong in the store. Every variant says what was being done; database errors keep
/// their cause as [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend this binary supports.
    #[error("unsupported store URL {url}: expected sqlite:///path/to/quarry.db or postgres://...")]
    UnsupportedUrl {
        /// The URL, with any password removed.
        url: String,
    },
    /// The store could not be opened (file, directory, network, authentication...).
    #[error("cannot open the store at {location}")]
    Open {
        /// Where the store is: a path, or a URL with any password removed.
        location: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store's schema is newer than this binary's migrations.
    #[error(
        "the store at {location} was written by a newer quarry (schema version {found}, this \
         binary knows up to {known}): upgrade quarry or restore a backup"
    )]
    NewerSchema {
        /// Where the store is.
        location: String,
        /// The highest schema version applied to the store.
        found: i64,
        /// The highest schema version this binary knows.
        known: i64,
    },
    /// The store had a migration applied that this binary does not know, below its own latest
    /// version (a build from another branch wrote it).
    #[error(
        "the store at {location} has schema migration {version} applied, which this quarry does \
         not know: it was written by a different build of quarry; restore a backup"
    )]
    UnknownMigration {
        /// Where the store is.
        location: String,
        /// The unknown version.
        version: i64,
    },
    /// Applying migrations failed (or an applied migration was changed after release).
    #[error("migrating the store at {location} failed")]
    Migrate {
        /// Where the store is.
        location: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("store error while {action}")]
    Query {
        /// What the store was doing, e.g. "listing repositories".
        action: &'static str,
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
    /// A named thing does not exist.
    #[error("no {kind} named {name:?}")]
    NotFound {
        /// "repository", "user", ...
        kind: &'static str,
        /// The name looked for.
        name: String,
    },
    /// A thing with that name exists already.
    #[error("a {kind} named {name:?} already exists")]
    AlreadyExists {
        /// "user", ...
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// An argument was rejected (empty name, empty password...).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A stored value could not be read back (a row written by something else than quarry).
    #[error("the store holds an invalid {what}: {value:?}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches what the store was doing to a database error.
pub(crate) trait Context<T> {
    fn ctx(self, action: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, sqlx::Error> {
    fn ctx(self, action: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Query { action, source })
    }
}

/// True if the error is a unique-constraint violation (both dialects).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
