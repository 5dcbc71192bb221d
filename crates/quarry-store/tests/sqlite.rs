//! The store suite on SQLite, each case in a fresh temporary directory, and SQLite specifics.

use quarry_store::{Backend, Store, StoreError};

async fn run<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist yet: open() creates it.
    let url = format!("sqlite://{}/state/quarry.db", dir.path().display());
    case(url).await;
}

store_suite!(run);

#[tokio::test]
async fn sqlite_file_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/quarry.db");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.is_file());
    assert_eq!(store.backend(), Backend::Sqlite);
    assert_eq!(store.location(), path.display().to_string());

    // Every pooled connection has the settings, not just the first.
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(store.pool().acquire().await.unwrap());
    }
    for conn in &mut conns {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(busy, 10_000);
    }
    drop(conns);
    store.close().await;
}

#[tokio::test]
async fn unsupported_urls() {
    let err = Store::open("mysql://root:hunter2@db/quarry")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl { .. }));
    let msg = err.to_string();
    assert!(msg.contains("mysql://root:***@db/quarry"), "{msg}");
    assert!(!msg.contains("hunter2"));
}

#[tokio::test]
async fn unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let url = format!("sqlite://{}/quarry.db", file.display());
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot open the store at "));
}
