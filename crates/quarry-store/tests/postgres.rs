//! The store suite on PostgreSQL, run only when `QUARRY_TEST_POSTGRES_URL` names a server
//! (see the crate documentation). Each case gets a database of its own, created and dropped
//! through that URL, so its role needs the CREATEDB privilege.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use sqlx::{AnyConnection, AssertSqlSafe, Connection};

const VAR: &str = "QUARRY_TEST_POSTGRES_URL";

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{db}{query}", &base[..host_end])
}

async fn run<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Ok(url) = std::env::var(VAR) else {
        static NOTICE: Once = Once::new();
        NOTICE.call_once(|| {
            // Straight to stderr: the test harness would swallow eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL store tests skipped: set {VAR}=postgres://USER@HOST:PORT/DB \
                 (a role with CREATEDB) to run them"
            );
        });
        return;
    };
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let db = format!(
        "quarry_test_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut admin = AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{VAR} is set but the server cannot be reached: {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    // Run the case as a task so that a failing case still drops its database.
    let outcome = tokio::spawn(case(with_database(&url, &db))).await;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

store_suite!(run);

#[test]
fn database_replacement() {
    assert_eq!(
        with_database("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

#[tokio::test]
async fn backend_and_redacted_location() {
    let Ok(url) = std::env::var(VAR) else {
        return;
    };
    let store = quarry_store::Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), quarry_store::Backend::Postgres);
    // The password, if the URL has one, appears nowhere in messages.
    let userinfo = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(userinfo, _)| userinfo);
    match userinfo.and_then(|u| u.split_once(':')) {
        Some((_, password)) => {
            assert!(store.location().contains(":***@"), "{}", store.location());
            assert!(!store.location().contains(&format!(":{password}@")));
        }
        None => assert_eq!(store.location(), url),
    }
    store.close().await;
}
