//! The work queue: sync and index jobs.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, Result, StoreError};
use crate::repos::opt_time;
use crate::{truncate, Backend, Job, JobKind, JobState, Store, Timestamp};

/// Longest error message kept for a failed job.
const MAX_ERROR_BYTES: usize = 8192;

macro_rules! job_select {
    () => {
        "SELECT j.id, j.kind, j.repo_id, r.name AS repo_name, j.state, j.created_at, \
         j.started_at, j.finished_at, j.error FROM jobs j JOIN repositories r ON r.id = j.repo_id"
    };
}

fn job_from_row(row: &AnyRow) -> Result<Job> {
    let get = || -> std::result::Result<_, sqlx::Error> {
        Ok((
            row.try_get::<i64, _>("id")?,
            row.try_get::<String, _>("kind")?,
            row.try_get::<i64, _>("repo_id")?,
            row.try_get::<String, _>("repo_name")?,
            row.try_get::<String, _>("state")?,
            row.try_get::<i64, _>("created_at")?,
            opt_time(row, "started_at")?,
            opt_time(row, "finished_at")?,
            row.try_get::<Option<String>, _>("error")?,
        ))
    };
    let (id, kind, repo_id, repo_name, state, created_at, started_at, finished_at, error) =
        get().ctx("reading a job")?;
    Ok(Job {
        id,
        kind: JobKind::parse(&kind)?,
        repo_id,
        repo_name,
        state: JobState::parse(&state)?,
        created_at: Timestamp::from_unix_millis(created_at),
        started_at,
        finished_at,
        error,
    })
}

impl Store {
    /// Queues a job of `kind` for `repo`. If one of that kind is already queued for the
    /// repository, that one is returned instead: the queue holds no duplicates.
    pub async fn enqueue_job(&self, kind: JobKind, repo: &str) -> Result<Job> {
        let _timer = crate::metrics::Timer::start("enqueue_job");
        // A queued duplicate may be claimed between the insert and the look-up: try again.
        for _ in 0..5 {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO jobs (kind, repo_id, state, created_at) \
                 SELECT $1, id, 'queued', $2 FROM repositories WHERE name = $3 \
                 ON CONFLICT (kind, repo_id) WHERE state = 'queued' DO NOTHING \
                 RETURNING id",
            )
            .bind(kind.as_str())
            .bind(Timestamp::now().unix_millis())
            .bind(repo)
            .fetch_optional(&self.pool)
            .await
            .ctx("queueing a job")?;
            if let Some(job) = match id {
                Some(id) => self.get_job(id).await?,
                None => sqlx::query(concat!(
                    job_select!(),
                    " WHERE j.kind = $1 AND r.name = $2 AND j.state = 'queued'"
                ))
                .bind(kind.as_str())
                .bind(repo)
                .fetch_optional(&self.pool)
                .await
                .ctx("queueing a job")?
                .as_ref()
                .map(job_from_row)
                .transpose()?,
            } {
                return Ok(job);
            }
            if self.get_repo(repo).await?.is_none() {
                return Err(StoreError::NotFound {
                    kind: "repository",
                    name: repo.to_string(),
                });
            }
        }
        Err(StoreError::Invalid {
            what: "job",
            reason: format!("could not queue a {kind} job for {repo:?}: the queue kept changing"),
        })
    }

    /// Takes the oldest queued job and marks it running. Atomic: concurrent workers (threads,
    /// processes, or servers sharing a PostgreSQL database) never get the same job.
    pub async fn claim_next_job(&self) -> Result<Option<Job>> {
        let _timer = crate::metrics::Timer::start("claim_next_job");
        let sql = match self.backend {
            // SQLite runs one writing statement at a time: the statement is the transaction.
            Backend::Sqlite => {
                "UPDATE jobs SET state = 'running', started_at = $1 \
                 WHERE state = 'queued' AND id = \
                     (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) \
                 RETURNING id"
            }
            // Concurrent claimers skip rows another claimer has locked rather than queueing
            // behind it (and then finding it no longer queued).
            Backend::Postgres => {
                "UPDATE jobs SET state = 'running', started_at = $1 \
                 WHERE state = 'queued' AND id = \
                     (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 \
                      FOR UPDATE SKIP LOCKED) \
                 RETURNING id"
            }
        };
        loop {
            let id: Option<i64> = sqlx::query_scalar(sql)
                .bind(Timestamp::now().unix_millis())
                .fetch_optional(&self.pool)
                .await
                .ctx("claiming a job")?;
            let Some(id) = id else {
                return Ok(None);
            };
            // None only if its repository was removed meanwhile (the job went with it).
            if let Some(job) = self.get_job(id).await? {
                return Ok(Some(job));
            }
        }
    }

    /// Marks a running job done (`Ok`) or failed (`Err(message)`). False if the job is not
    /// running (unknown, never claimed, or finished already).
    pub async fn finish_job(&self, id: i64, outcome: Result<(), &str>) -> Result<bool> {
        let _timer = crate::metrics::Timer::start("finish_job");
        let (state, error) = match outcome {
            Ok(()) => (JobState::Done, None),
            Err(e) => (JobState::Failed, Some(truncate(e, MAX_ERROR_BYTES))),
        };
        let r = sqlx::query(
            "UPDATE jobs SET state = $1, finished_at = $2, error = $3 \
             WHERE id = $4 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(Timestamp::now().unix_millis())
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await
        .ctx("finishing a job")?;
        Ok(r.rows_affected() > 0)
    }

    /// The job with id `id`.
    pub async fn get_job(&self, id: i64) -> Result<Option<Job>> {
        let _timer = crate::metrics::Timer::start("get_job");
        sqlx::query(concat!(job_select!(), " WHERE j.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a job")?
            .as_ref()
            .map(job_from_row)
            .transpose()
    }

    /// The `limit` most recent jobs, newest first.
    pub async fn list_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        let _timer = crate::metrics::Timer::start("list_jobs");
        sqlx::query(concat!(job_select!(), " ORDER BY j.id DESC LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .ctx("listing jobs")?
            .iter()
            .map(job_from_row)
            .collect()
    }

    /// Marks every running job failed with `reason`: on start-up, jobs left running belong to
    /// a process that is gone. (Single server only: in cluster mode other servers' jobs run.)
    pub async fn fail_running_jobs(&self, reason: &str) -> Result<u64> {
        let _timer = crate::metrics::Timer::start("fail_running_jobs");
        let r = sqlx::query(
            "UPDATE jobs SET state = 'failed', finished_at = $1, error = $2 \
             WHERE state = 'running'",
        )
        .bind(Timestamp::now().unix_millis())
        .bind(truncate(reason, MAX_ERROR_BYTES))
        .execute(&self.pool)
        .await
        .ctx("failing interrupted jobs")?;
        Ok(r.rows_affected())
    }

    /// Deletes finished (done or failed) jobs that finished before `before`. Returns how many.
    pub async fn prune_jobs(&self, before: Timestamp) -> Result<u64> {
        let _timer = crate::metrics::Timer::start("prune_jobs");
        let r =
            sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1")
                .bind(before.unix_millis())
                .execute(&self.pool)
                .await
                .ctx("pruning jobs")?;
        Ok(r.rows_affected())
    }
}
