//! Repositories, their sync state and their indexed refs.

use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, Result, StoreError};
use crate::model::{count_from_db, count_to_db, duration_ms};
use crate::{
    check_name, truncate, RefState, Repo, RepoSpec, SourceKind, Store, SyncState, Timestamp,
    Visibility,
};

/// Longest error message kept for a failed sync (git can be verbose).
const MAX_ERROR_BYTES: usize = 8192;

macro_rules! repo_select {
    () => {
        "SELECT r.id, r.name, r.source_kind, r.location, r.source_name, r.visibility, \
         r.created_at, r.updated_at, s.last_fetch_at, s.last_success_at, s.last_duration_ms, \
         s.last_error, s.last_error_at \
         FROM repositories r LEFT JOIN sync_state s ON s.repo_id = r.id"
    };
}

fn repo_from_row(row: &AnyRow) -> Result<Repo> {
    let get = || -> std::result::Result<_, sqlx::Error> {
        Ok((
            row.try_get::<i64, _>("id")?,
            row.try_get::<String, _>("name")?,
            row.try_get::<String, _>("source_kind")?,
            row.try_get::<String, _>("location")?,
            row.try_get::<String, _>("source_name")?,
            row.try_get::<String, _>("visibility")?,
            row.try_get::<i64, _>("created_at")?,
            row.try_get::<i64, _>("updated_at")?,
            SyncState {
                last_fetch_at: opt_time(row, "last_fetch_at")?,
                last_success_at: opt_time(row, "last_success_at")?,
                last_duration_ms: row.try_get("last_duration_ms")?,
                last_error: row.try_get("last_error")?,
                last_error_at: opt_time(row, "last_error_at")?,
            },
        ))
    };
    let (id, name, kind, location, source_name, visibility, created, updated, sync) =
        get().ctx("reading a repository")?;
    Ok(Repo {
        id,
        name,
        source_kind: SourceKind::parse(&kind)?,
        location,
        source_name,
        visibility: Visibility::from_db(&visibility)?,
        created_at: Timestamp::from_unix_millis(created),
        updated_at: Timestamp::from_unix_millis(updated),
        sync,
    })
}

pub(crate) fn opt_time(
    row: &AnyRow,
    col: &str,
) -> std::result::Result<Option<Timestamp>, sqlx::Error> {
    Ok(row
        .try_get::<Option<i64>, _>(col)?
        .map(Timestamp::from_unix_millis))
}

fn repo_not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: "repository",
        name: name.to_string(),
    }
}

impl Store {
    /// Adds a repository, or updates the one with that name (its sync and index state stay).
    /// `updated_at` changes only when something else changed, so re-reading an unchanged
    /// configuration writes nothing.
    pub async fn upsert_repo(&self, spec: &RepoSpec) -> Result<Repo> {
        let _timer = crate::metrics::Timer::start("upsert_repo");
        check_name("repository name", &spec.name)?;
        let now = Timestamp::now().unix_millis();
        sqlx::query(
            "INSERT INTO repositories \
                 (name, source_kind, location, source_name, visibility, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (name) DO UPDATE SET \
                 source_kind = excluded.source_kind, location = excluded.location, \
                 source_name = excluded.source_name, visibility = excluded.visibility, \
                 updated_at = excluded.updated_at \
             WHERE repositories.source_kind <> excluded.source_kind \
                OR repositories.location <> excluded.location \
                OR repositories.source_name <> excluded.source_name \
                OR repositories.visibility <> excluded.visibility",
        )
        .bind(&spec.name)
        .bind(spec.source_kind.as_str())
        .bind(&spec.location)
        .bind(&spec.source_name)
        .bind(spec.visibility.to_db())
        .bind(now)
        .execute(&self.pool)
        .await
        .ctx("storing a repository")?;
        self.get_repo(&spec.name)
            .await?
            .ok_or_else(|| repo_not_found(&spec.name))
    }

    /// The repository named `name`, with its sync state.
    pub async fn get_repo(&self, name: &str) -> Result<Option<Repo>> {
        let _timer = crate::metrics::Timer::start("get_repo");
        let row = sqlx::query(concat!(repo_select!(), " WHERE r.name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a repository")?;
        row.as_ref().map(repo_from_row).transpose()
    }

    /// Every repository, by name.
    pub async fn list_repos(&self) -> Result<Vec<Repo>> {
        let _timer = crate::metrics::Timer::start("list_repos");
        sqlx::query(concat!(repo_select!(), " ORDER BY r.name"))
            .fetch_all(&self.pool)
            .await
            .ctx("listing repositories")?
            .iter()
            .map(repo_from_row)
            .collect()
    }

    /// Removes a repository with its sync state, refs and jobs. False if there was none.
    pub async fn remove_repo(&self, name: &str) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("remove_repo");
        let r = sqlx::query("DELETE FROM repositories WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .ctx("removing a repository")?;
        Ok(r.rows_affected() > 0)
    }

    /// Records a successful fetch of `repo` that ended at `at` and took `duration`.
    /// The last error stays (see [`SyncState::failing`]).
    pub async fn record_sync_ok(
        &self,
        repo: &str,
        at: Timestamp,
        duration: Duration,
    ) -> Result<()> {
        let _timer = crate::metrics::Timer::start("record_sync_ok");
        let r = sqlx::query(
            "INSERT INTO sync_state (repo_id, last_fetch_at, last_success_at, last_duration_ms) \
             SELECT id, $2, $2, $3 FROM repositories WHERE name = $1 \
             ON CONFLICT (repo_id) DO UPDATE SET \
                 last_fetch_at = excluded.last_fetch_at, \
                 last_success_at = excluded.last_success_at, \
                 last_duration_ms = excluded.last_duration_ms",
        )
        .bind(repo)
        .bind(at.unix_millis())
        .bind(duration_ms(duration))
        .execute(&self.pool)
        .await
        .ctx("recording a sync")?;
        if r.rows_affected() == 0 {
            return Err(repo_not_found(repo));
        }
        Ok(())
    }

    /// Records a failed fetch of `repo` at `at` (messages over 8 KiB are cut).
    pub async fn record_sync_error(&self, repo: &str, at: Timestamp, error: &str) -> Result<()> {
        let _timer = crate::metrics::Timer::start("record_sync_error");
        let r = sqlx::query(
            "INSERT INTO sync_state (repo_id, last_fetch_at, last_error, last_error_at) \
             SELECT id, $2, $3, $2 FROM repositories WHERE name = $1 \
             ON CONFLICT (repo_id) DO UPDATE SET \
                 last_fetch_at = excluded.last_fetch_at, \
                 last_error = excluded.last_error, \
                 last_error_at = excluded.last_error_at",
        )
        .bind(repo)
        .bind(at.unix_millis())
        .bind(truncate(error, MAX_ERROR_BYTES))
        .execute(&self.pool)
        .await
        .ctx("recording a sync error")?;
        if r.rows_affected() == 0 {
            return Err(repo_not_found(repo));
        }
        Ok(())
    }

    /// Records that `state.ref_name` of `repo` is indexed at `state.commit` (replacing what was
    /// recorded for that ref).
    pub async fn set_ref_indexed(&self, repo: &str, state: &RefState) -> Result<()> {
        let _timer = crate::metrics::Timer::start("set_ref_indexed");
        check_name("ref name", &state.ref_name)?;
        let r = sqlx::query(
            "INSERT INTO repo_refs \
                 (repo_id, ref_name, commit_id, indexed_at, files, bytes, shards) \
             SELECT id, $2, $3, $4, $5, $6, $7 FROM repositories WHERE name = $1 \
             ON CONFLICT (repo_id, ref_name) DO UPDATE SET \
                 commit_id = excluded.commit_id, indexed_at = excluded.indexed_at, \
                 files = excluded.files, bytes = excluded.bytes, shards = excluded.shards",
        )
        .bind(repo)
        .bind(&state.ref_name)
        .bind(&state.commit)
        .bind(state.indexed_at.unix_millis())
        .bind(count_to_db(state.files))
        .bind(count_to_db(state.bytes))
        .bind(count_to_db(state.shards))
        .execute(&self.pool)
        .await
        .ctx("recording an indexed ref")?;
        if r.rows_affected() == 0 {
            return Err(repo_not_found(repo));
        }
        Ok(())
    }

    /// The indexed refs of `repo`, by name.
    pub async fn list_refs(&self, repo: &str) -> Result<Vec<RefState>> {
        let _timer = crate::metrics::Timer::start("list_refs");
        let rows = sqlx::query(
            "SELECT f.ref_name, f.commit_id, f.indexed_at, f.files, f.bytes, f.shards \
             FROM repo_refs f JOIN repositories r ON r.id = f.repo_id \
             WHERE r.name = $1 ORDER BY f.ref_name",
        )
        .bind(repo)
        .fetch_all(&self.pool)
        .await
        .ctx("listing indexed refs")?;
        if rows.is_empty() && self.get_repo(repo).await?.is_none() {
            return Err(repo_not_found(repo));
        }
        rows.iter()
            .map(|row| {
                Ok(RefState {
                    ref_name: row.try_get("ref_name")?,
                    commit: row.try_get("commit_id")?,
                    indexed_at: Timestamp::from_unix_millis(row.try_get("indexed_at")?),
                    files: count_from_db(row.try_get("files")?),
                    bytes: count_from_db(row.try_get("bytes")?),
                    shards: count_from_db(row.try_get("shards")?),
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("reading indexed refs")
    }

    /// Forgets the indexed state of one ref. False if it was not recorded.
    pub async fn remove_ref(&self, repo: &str, ref_name: &str) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("remove_ref");
        let r = sqlx::query(
            "DELETE FROM repo_refs \
             WHERE ref_name = $2 AND repo_id = (SELECT id FROM repositories WHERE name = $1)",
        )
        .bind(repo)
        .bind(ref_name)
        .execute(&self.pool)
        .await
        .ctx("removing an indexed ref")?;
        Ok(r.rows_affected() > 0)
    }
}
