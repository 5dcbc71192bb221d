//! `store`, `migrations`: the state store opens and answers, and its schema fits this binary.

use super::Check;
use quarry_index::DataDir;
use quarry_store::Store;
use std::time::{Duration, Instant};

/// A trivial query slower than this means a slow disk or a locked database.
const SLOW_QUERY: Duration = Duration::from_millis(500);

const RESTORE: &str = "restore quarry.db from a backup; or move it aside (with quarry.db-wal and \
     quarry.db-shm) to start with an empty store: users and API tokens are lost, repositories \
     are registered again from the config";

pub async fn check(data: &DataDir) -> Vec<Check> {
    let path = data.root().join("quarry.db");
    if !path.exists() {
        return vec![
            Check::pass(
                "store",
                format!("{}: no store yet; created at first start", path.display()),
            ),
            Check::skip("migrations", "no store yet"),
        ];
    }
    let url = match crate::serve::store_url(data) {
        Ok(u) => u,
        Err(e) => {
            return vec![
                Check::fail("store", e.to_string(), "pass an absolute --data DIR"),
                Check::skip("migrations", "the store does not open"),
            ]
        }
    };
    // `connect`, not `open`: the doctor reports pending migrations instead of applying them.
    let store = match Store::connect(&url).await {
        Ok(s) => s,
        Err(e) => {
            return vec![
                Check::fail(
                    "store",
                    quarry_telemetry::error_chain(&e),
                    fix_for(&quarry_telemetry::error_chain(&e)),
                ),
                Check::skip("migrations", "the store does not open"),
            ]
        }
    };
    let started = Instant::now();
    let answered = ping(&store).await;
    let took = started.elapsed();
    let mut checks = vec![match answered {
        Err(e) => Check::fail(
            "store",
            format!("{}: {e}", store.location()),
            fix_for(&e),
        ),
        Ok(_) if took > SLOW_QUERY => Check::warn(
            "store",
            format!("{}: a trivial query took {} ms", store.location(), took.as_millis()),
            "the disk is slow or another process holds the database locked: check `iostat` and for long-running quarry processes",
        ),
        Ok(_) => Check::pass(
            "store",
            format!("{}: answers in {} ms", store.location(), took.as_millis().max(1)),
        ),
    }];
    checks.push(migrations(&store).await);
    store.close().await;
    checks
}

async fn ping(store: &Store) -> Result<i64, String> {
    // The schema version query reads a table, so it fails on a damaged file where `SELECT 1`
    // would not.
    store
        .schema_version()
        .await
        .map_err(|e| quarry_telemetry::error_chain(&e))
}

async fn migrations(store: &Store) -> Check {
    const ID: &str = "migrations";
    let known = store.known_schema_version();
    let found = match store.schema_version().await {
        Ok(v) => v,
        Err(e) => return Check::fail(ID, quarry_telemetry::error_chain(&e), RESTORE),
    };
    if found > known {
        return Check::fail(
            ID,
            format!(
                "{} was written by a newer quarry: schema version {found}, this binary knows up to {known}",
                store.location()
            ),
            "upgrade quarry to the version that wrote the store, or restore a backup taken before the upgrade",
        );
    }
    match store.pending_migrations().await {
        Err(e) => Check::fail(ID, quarry_telemetry::error_chain(&e), RESTORE),
        Ok(p) if p.is_empty() => Check::pass(ID, format!("current: schema version {found}")),
        Ok(p) => Check::warn(
            ID,
            format!(
                "schema version {found}, {} migration(s) pending ({}): applied at the next start",
                p.len(),
                p.iter()
                    .map(|m| format!("{} {}", m.version, m.description))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "back up quarry.db before starting this version (migrations go forward only)",
        ),
    }
}

fn fix_for(message: &str) -> String {
    let m = message.to_lowercase();
    if m.contains("not a database") || m.contains("malformed") || m.contains("corrupt") {
        RESTORE.to_string()
    } else if m.contains("permission denied") || m.contains("readonly") || m.contains("read-only") {
        "make quarry.db, quarry.db-wal, quarry.db-shm and the data directory writable by the user quarry runs as (chown)".to_string()
    } else if m.contains("locked") || m.contains("busy") {
        "another process holds the database locked: stop stray quarry processes (ps aux | grep quarry)".to_string()
    } else {
        "check the data directory's permissions and the disk; as a last resort restore quarry.db from a backup".to_string()
    }
}
