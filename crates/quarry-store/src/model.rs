//! The values the store reads and writes.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// A point in time as integer milliseconds since the Unix epoch, the way the store keeps every
/// time (the same integer column type in SQLite and PostgreSQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time of the system clock.
    pub fn now() -> Self {
        SystemTime::now().into()
    }

    /// A time given as milliseconds since the Unix epoch.
    pub const fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(duration_ms(d)),
            Err(e) => Timestamp(-duration_ms(e.duration())),
        }
    }
}

/// This time plus a duration (saturating).
impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_ms(d)))
    }
}

/// This time minus a duration (saturating).
impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_ms(d)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Milliseconds in `d`, saturating at `i64::MAX`.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A count as stored (counts are non-negative, columns are signed 64-bit).
pub(crate) fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn count_from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Where a repository comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A directory on the server's disk.
    Path,
    /// A git remote, cloned and fetched by quarry.
    Git,
    /// A repository listed by a code host (GitHub, GitLab, ...).
    Codehost,
}

impl SourceKind {
    /// The stored spelling: `path`, `git` or `codehost`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Path => "path",
            SourceKind::Git => "git",
            SourceKind::Codehost => "codehost",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "path" => Ok(SourceKind::Path),
            "git" => Ok(SourceKind::Git),
            "codehost" => Ok(SourceKind::Codehost),
            _ => Err(StoreError::Corrupt {
                what: "repository source kind",
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may see a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everybody who may use the instance (including anonymous users where that is allowed).
    #[default]
    Public,
    /// Only the listed users, members of the listed groups, and administrators.
    Restricted {
        /// User names.
        #[serde(default)]
        users: Vec<String>,
        /// Group names.
        #[serde(default)]
        groups: Vec<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct RestrictedJson {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl Visibility {
    /// Whether `user` (None: anonymous) may see a repository with this visibility.
    pub fn allows(&self, user: Option<&User>) -> bool {
        match (self, user) {
            (Visibility::Public, _) => true,
            (Visibility::Restricted { .. }, None) => false,
            (Visibility::Restricted { users, groups }, Some(u)) => {
                u.is_admin || users.contains(&u.name) || groups.iter().any(|g| u.groups.contains(g))
            }
        }
    }

    /// The stored form: `public`, or a JSON object `{"users":[...],"groups":[...]}`.
    pub(crate) fn to_db(&self) -> String {
        match self {
            Visibility::Public => "public".to_string(),
            Visibility::Restricted { users, groups } => serde_json::to_string(&RestrictedJson {
                users: users.clone(),
                groups: groups.clone(),
            })
            .expect("serializing string lists cannot fail"),
        }
    }

    pub(crate) fn from_db(s: &str) -> Result<Self> {
        if s == "public" {
            return Ok(Visibility::Public);
        }
        let r: RestrictedJson = serde_json::from_str(s).map_err(|_| StoreError::Corrupt {
            what: "repository visibility",
            value: s.to_string(),
        })?;
        Ok(Visibility::Restricted {
            users: r.users,
            groups: r.groups,
        })
    }
}

/// A repository as configured: what [`Store::upsert_repo`](crate::Store::upsert_repo) takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoSpec {
    /// Unique name, e.g. `github.com/torvalds/linux`.
    pub name: String,
    /// Where it comes from.
    pub source_kind: SourceKind,
    /// The URL to fetch (git, codehost) or the directory (path).
    pub location: String,
    /// The name of the configuration source that listed it.
    pub source_name: String,
    /// Who may see it.
    pub visibility: Visibility,
}

/// A stored repository with its sync state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    /// Store-assigned id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Where it comes from.
    pub source_kind: SourceKind,
    /// URL or directory.
    pub location: String,
    /// The configuration source that listed it.
    pub source_name: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// When it was first stored.
    pub created_at: Timestamp,
    /// When its configuration last changed.
    pub updated_at: Timestamp,
    /// Fetch history.
    pub sync: SyncState,
}

/// The fetch history of a repository. All empty until the first sync.
///
/// A success does not erase the last error: the repository page shows it with its time.
/// [`SyncState::failing`] says whether the last attempt failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncState {
    /// The last fetch attempt, successful or not.
    pub last_fetch_at: Option<Timestamp>,
    /// The last successful fetch.
    pub last_success_at: Option<Timestamp>,
    /// How long the last successful fetch took, in milliseconds.
    pub last_duration_ms: Option<i64>,
    /// The message of the last failed fetch.
    pub last_error: Option<String>,
    /// When the last fetch failed.
    pub last_error_at: Option<Timestamp>,
}

impl SyncState {
    /// Whether the most recent fetch attempt failed.
    pub fn failing(&self) -> bool {
        match (self.last_error_at, self.last_success_at) {
            (Some(e), Some(s)) => e > s,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// What was indexed for one ref (branch or tag) of a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefState {
    /// Ref name, e.g. `refs/heads/main` or `HEAD`.
    pub ref_name: String,
    /// The commit (hex object id) that is indexed; empty for a plain directory.
    pub commit: String,
    /// When indexing finished.
    pub indexed_at: Timestamp,
    /// Files indexed.
    pub files: u64,
    /// Bytes of content indexed.
    pub bytes: u64,
    /// Index shards written.
    pub shards: u64,
}

/// A user as created or updated: what [`Store::create_user`](crate::Store::create_user) takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserSpec {
    /// Unique login name.
    pub name: String,
    /// Name to show; may be empty.
    pub display_name: String,
    /// Administrators may do everything and see every repository.
    pub is_admin: bool,
    /// Group names, used by repository visibility.
    pub groups: Vec<String>,
}

/// A stored user. The password hash never leaves the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Store-assigned id.
    pub id: i64,
    /// Unique login name.
    pub name: String,
    /// Name to show; may be empty.
    pub display_name: String,
    /// Administrator?
    pub is_admin: bool,
    /// Group names.
    pub groups: Vec<String>,
    /// Whether a password is set (a user without one logs in with tokens only).
    pub has_password: bool,
    /// When the user was created.
    pub created_at: Timestamp,
}

/// An API token as listed: never the secret, only its first characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Store-assigned id (what `quarry admin token revoke` takes).
    pub id: i64,
    /// The owner's id.
    pub user_id: i64,
    /// The owner's name.
    pub user_name: String,
    /// A label chosen at creation.
    pub name: String,
    /// The first characters of the secret, to recognize it (`qry_` and 8 more).
    pub prefix: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A UI session as created. The secret id is returned separately, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The user logged in.
    pub user_id: i64,
    /// When the session was created.
    pub created_at: Timestamp,
    /// When it stops being valid.
    pub expires_at: Timestamp,
}

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Fetch the repository.
    Sync,
    /// Index the repository's refs.
    Index,
}

impl JobKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Sync => "sync",
            JobKind::Index => "index",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "sync" => Ok(JobKind::Sync),
            "index" => Ok(JobKind::Index),
            _ => Err(StoreError::Corrupt {
                what: "job kind",
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker.
    Running,
    /// Finished successfully.
    Done,
    /// Finished with an error.
    Failed,
}

impl JobState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "queued" => Ok(JobState::Queued),
            "running" => Ok(JobState::Running),
            "done" => Ok(JobState::Done),
            "failed" => Ok(JobState::Failed),
            _ => Err(StoreError::Corrupt {
                what: "job state",
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job of the work queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Store-assigned id, increasing: the queue is first in, first out.
    pub id: i64,
    /// What to do.
    pub kind: JobKind,
    /// The repository's id.
    pub repo_id: i64,
    /// The repository's name.
    pub repo_name: String,
    /// Where the job is.
    pub state: JobState,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When a worker claimed it.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// The error of a failed job.
    pub error: Option<String>,
}

/// A migration this binary carries, as [`Store::pending_migrations`](crate::Store::pending_migrations) lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MigrationInfo {
    /// Schema version it brings the store to.
    pub version: i64,
    /// What it does (from its file name).
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, groups: &[&str], is_admin: bool) -> User {
        User {
            id: 1,
            name: name.to_string(),
            display_name: String::new(),
            is_admin,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            has_password: false,
            created_at: Timestamp::from_unix_millis(0),
        }
    }

    #[test]
    fn visibility() {
        let restricted = Visibility::Restricted {
            users: vec!["alice".into()],
            groups: vec!["kernel".into()],
        };
        assert!(Visibility::Public.allows(None));
        assert!(!restricted.allows(None));
        assert!(restricted.allows(Some(&user("alice", &[], false))));
        assert!(restricted.allows(Some(&user("bob", &["ops", "kernel"], false))));
        assert!(!restricted.allows(Some(&user("bob", &["ops"], false))));
        assert!(restricted.allows(Some(&user("root", &[], true))));

        assert_eq!(Visibility::Public.to_db(), "public");
        assert_eq!(
            restricted.to_db(),
            r#"{"users":["alice"],"groups":["kernel"]}"#
        );
        assert_eq!(
            Visibility::from_db(&restricted.to_db()).unwrap(),
            restricted
        );
        assert_eq!(
            Visibility::from_db(r#"{"groups":["g"]}"#).unwrap(),
            Visibility::Restricted {
                users: vec![],
                groups: vec!["g".into()]
            }
        );
        assert!(Visibility::from_db("private").is_err());
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::from_unix_millis(1_500);
        assert_eq!((t + Duration::from_millis(500)).unix_millis(), 2_000);
        assert_eq!((t - Duration::from_secs(2)).unix_millis(), -500);
        assert_eq!(Timestamp::from(t.to_system_time()), t);
        let neg = Timestamp::from_unix_millis(-1_500);
        assert_eq!(Timestamp::from(neg.to_system_time()), neg);
        assert_eq!(
            (Timestamp::from_unix_millis(i64::MAX) + Duration::from_secs(1)).unix_millis(),
            i64::MAX
        );
        let now = Timestamp::now().unix_millis();
        assert!(now > 1_700_000_000_000, "{now}");
    }

    #[test]
    fn enum_spellings_roundtrip() {
        for k in [SourceKind::Path, SourceKind::Git, SourceKind::Codehost] {
            assert_eq!(SourceKind::parse(k.as_str()).unwrap(), k);
        }
        for k in [JobKind::Sync, JobKind::Index] {
            assert_eq!(JobKind::parse(k.as_str()).unwrap(), k);
        }
        for s in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ] {
            assert_eq!(JobState::parse(s.as_str()).unwrap(), s);
        }
        assert!(JobState::parse("lost").is_err());
    }
}
