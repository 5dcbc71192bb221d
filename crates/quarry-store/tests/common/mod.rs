//! The store suite: every case takes the URL of a fresh, empty database and runs against
//! whichever backend that URL names. `sqlite.rs` and `postgres.rs` instantiate it.

use std::collections::HashSet;
use std::time::Duration;

use quarry_store::{
    JobKind, JobState, RefState, RepoSpec, SourceKind, Store, StoreError, Timestamp, UserSpec,
    Visibility,
};

/// Declares one `#[tokio::test]` per case, each run through `$run(case)`.
#[macro_export]
macro_rules! store_suite {
    ($run:path) => {
        store_suite!(@cases $run;
            migrations_once_and_idempotent,
            newer_schema_refused,
            repos,
            sync_state,
            refs,
            cascade_on_repo_removal,
            users_and_passwords,
            tokens,
            sessions,
            jobs,
            concurrent_claims_are_exclusive,
            concurrent_enqueues_do_not_duplicate
        );
    };
    (@cases $run:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $run($crate::common::$case).await
            }
        )*
    };
}

fn repo(name: &str) -> RepoSpec {
    RepoSpec {
        name: name.to_string(),
        source_kind: SourceKind::Git,
        location: format!("https://example.invalid/{name}.git"),
        source_name: "main-config".to_string(),
        visibility: Visibility::Public,
    }
}

fn user(name: &str) -> UserSpec {
    UserSpec {
        name: name.to_string(),
        display_name: format!("{name} (display)"),
        is_admin: false,
        groups: vec!["dev".to_string()],
    }
}

async fn count(store: &Store, table_sql: &'static str) -> i64 {
    sqlx::query_scalar(table_sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

pub async fn migrations_once_and_idempotent(url: String) {
    // Before anything: connect() reports the empty store and what would be applied.
    let fresh = Store::connect(&url).await.unwrap();
    assert_eq!(fresh.schema_version().await.unwrap(), 0);
    let pending = fresh.pending_migrations().await.unwrap();
    assert_eq!(pending.len() as i64, fresh.known_schema_version());
    assert_eq!(pending[0].version, 1);
    assert_eq!(pending[0].description, "initial");
    fresh.close().await;

    let store = Store::open(&url).await.unwrap();
    let known = store.known_schema_version();
    assert!(known >= 1);
    assert_eq!(store.schema_version().await.unwrap(), known);
    assert!(store.pending_migrations().await.unwrap().is_empty());
    let rows = count(&store, "SELECT count(*) FROM _sqlx_migrations").await;
    assert_eq!(rows, known);
    store.upsert_repo(&repo("kept")).await.unwrap();
    store.close().await;

    // Reopening applies nothing again and keeps the data; so does a second migrate().
    for _ in 0..2 {
        let store = Store::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(
            count(&store, "SELECT count(*) FROM _sqlx_migrations").await,
            known
        );
        assert_eq!(store.schema_version().await.unwrap(), known);
        assert!(store.get_repo("kept").await.unwrap().is_some());
        store.close().await;
    }
}

pub async fn newer_schema_refused(url: String) {
    let store = Store::open(&url).await.unwrap();
    let location = store.location().to_string();
    let known = store.known_schema_version();
    let future = known + 9998;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', TRUE, $2, 0)",
    )
    .bind(future)
    .bind(vec![0u8; 48])
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;

    let err = Store::open(&url).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, known: k, .. } if found == future && k == known)
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the store at {location} was written by a newer quarry (schema version {future}, \
             this binary knows up to {known}): upgrade quarry or restore a backup"
        )
    );

    // connect() still works, for diagnostics, and reports the newer version.
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), future);
    assert!(matches!(
        store.migrate().await,
        Err(StoreError::NewerSchema { .. })
    ));
    // Refused before anything was changed.
    assert_eq!(
        count(&store, "SELECT count(*) FROM _sqlx_migrations").await,
        known + 1
    );
    store.close().await;
}

pub async fn repos(url: String) {
    let store = Store::open(&url).await.unwrap();
    assert!(store.list_repos().await.unwrap().is_empty());
    assert!(store.get_repo("nope").await.unwrap().is_none());

    let a = store.upsert_repo(&repo("github.com/a/one")).await.unwrap();
    assert_eq!(a.name, "github.com/a/one");
    assert_eq!(a.source_kind, SourceKind::Git);
    assert_eq!(a.location, "https://example.invalid/github.com/a/one.git");
    assert_eq!(a.source_name, "main-config");
    assert_eq!(a.visibility, Visibility::Public);
    assert_eq!(a.created_at, a.updated_at);
    assert_eq!(a.sync, Default::default());
    assert_eq!(store.get_repo(&a.name).await.unwrap().unwrap(), a);

    let mut spec = repo("local");
    spec.source_kind = SourceKind::Path;
    spec.location = "/srv/code/local".to_string();
    spec.visibility = Visibility::Restricted {
        users: vec!["alice".to_string()],
        groups: vec!["kernel".to_string(), "ops".to_string()],
    };
    let b = store.upsert_repo(&spec).await.unwrap();
    assert_eq!(b.visibility, spec.visibility);
    assert_ne!(a.id, b.id);
    let mut cspec = repo("hosted");
    cspec.source_kind = SourceKind::Codehost;
    store.upsert_repo(&cspec).await.unwrap();

    let names: Vec<_> = store
        .list_repos()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["github.com/a/one", "hosted", "local"]);

    // Unchanged: nothing written. Changed: same id and created_at, new updated_at.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let same = store.upsert_repo(&repo("github.com/a/one")).await.unwrap();
    assert_eq!(same, a);
    let mut changed = repo("github.com/a/one");
    changed.location = "https://example.invalid/moved.git".to_string();
    changed.visibility = Visibility::Restricted {
        users: vec![],
        groups: vec!["g".to_string()],
    };
    let a2 = store.upsert_repo(&changed).await.unwrap();
    assert_eq!(a2.id, a.id);
    assert_eq!(a2.created_at, a.created_at);
    assert!(a2.updated_at > a.updated_at);
    assert_eq!(a2.location, changed.location);
    assert_eq!(a2.visibility, changed.visibility);

    assert!(matches!(
        store.upsert_repo(&repo("")).await,
        Err(StoreError::Invalid { .. })
    ));

    assert!(store.remove_repo("hosted").await.unwrap());
    assert!(!store.remove_repo("hosted").await.unwrap());
    assert_eq!(store.list_repos().await.unwrap().len(), 2);
    store.close().await;
}

pub async fn sync_state(url: String) {
    let store = Store::open(&url).await.unwrap();
    store.upsert_repo(&repo("r")).await.unwrap();
    let t1 = Timestamp::from_unix_millis(1_700_000_000_000);
    let t2 = Timestamp::from_unix_millis(1_700_000_060_000);
    let t3 = Timestamp::from_unix_millis(1_700_000_120_000);

    store
        .record_sync_error("r", t1, "fatal: could not read Username")
        .await
        .unwrap();
    let s = store.get_repo("r").await.unwrap().unwrap().sync;
    assert_eq!(s.last_fetch_at, Some(t1));
    assert_eq!(s.last_success_at, None);
    assert_eq!(
        s.last_error.as_deref(),
        Some("fatal: could not read Username")
    );
    assert_eq!(s.last_error_at, Some(t1));
    assert!(s.failing());

    store
        .record_sync_ok("r", t2, Duration::from_millis(1234))
        .await
        .unwrap();
    let s = store.get_repo("r").await.unwrap().unwrap().sync;
    assert_eq!(s.last_fetch_at, Some(t2));
    assert_eq!(s.last_success_at, Some(t2));
    assert_eq!(s.last_duration_ms, Some(1234));
    // The last error stays visible, with its time; it is no longer current.
    assert_eq!(s.last_error_at, Some(t1));
    assert!(s.last_error.is_some());
    assert!(!s.failing());

    let long = "é".repeat(10_000);
    store.record_sync_error("r", t3, &long).await.unwrap();
    let s = store.get_repo("r").await.unwrap().unwrap().sync;
    assert_eq!(s.last_fetch_at, Some(t3));
    assert_eq!(s.last_success_at, Some(t2));
    assert_eq!(s.last_duration_ms, Some(1234));
    assert_eq!(s.last_error.as_ref().unwrap().len(), 8192);
    assert!(s.failing());

    // Listing carries the same state.
    assert_eq!(store.list_repos().await.unwrap()[0].sync, s);

    assert!(matches!(
        store.record_sync_ok("nope", t1, Duration::ZERO).await,
        Err(StoreError::NotFound {
            kind: "repository",
            ..
        })
    ));
    assert!(matches!(
        store.record_sync_error("nope", t1, "x").await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
}

fn ref_state(name: &str, commit: &str) -> RefState {
    RefState {
        ref_name: name.to_string(),
        commit: commit.to_string(),
        indexed_at: Timestamp::from_unix_millis(1_700_000_000_000),
        files: 70_000,
        bytes: 1_300_000_000,
        shards: 3,
    }
}

pub async fn refs(url: String) {
    let store = Store::open(&url).await.unwrap();
    store.upsert_repo(&repo("r")).await.unwrap();
    store.upsert_repo(&repo("other")).await.unwrap();
    assert!(store.list_refs("r").await.unwrap().is_empty());

    let main = ref_state("refs/heads/main", "aaaa");
    let tag = ref_state("refs/tags/v1", "bbbb");
    store.set_ref_indexed("r", &tag).await.unwrap();
    store.set_ref_indexed("r", &main).await.unwrap();
    store
        .set_ref_indexed("other", &ref_state("refs/heads/main", "cccc"))
        .await
        .unwrap();
    assert_eq!(
        store.list_refs("r").await.unwrap(),
        vec![main.clone(), tag.clone()]
    );

    // Re-indexing a ref replaces its row.
    let mut main2 = ref_state("refs/heads/main", "dddd");
    main2.files = 1;
    main2.bytes = u64::from(u32::MAX) * 4;
    main2.indexed_at = Timestamp::from_unix_millis(1_800_000_000_000);
    store.set_ref_indexed("r", &main2).await.unwrap();
    assert_eq!(
        store.list_refs("r").await.unwrap(),
        vec![main2.clone(), tag.clone()]
    );

    assert!(store.remove_ref("r", "refs/tags/v1").await.unwrap());
    assert!(!store.remove_ref("r", "refs/tags/v1").await.unwrap());
    assert!(!store.remove_ref("nope", "refs/heads/main").await.unwrap());
    assert_eq!(store.list_refs("r").await.unwrap(), vec![main2]);
    assert_eq!(store.list_refs("other").await.unwrap()[0].commit, "cccc");

    assert!(matches!(
        store.list_refs("nope").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_ref_indexed("nope", &main).await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
}

pub async fn cascade_on_repo_removal(url: String) {
    let store = Store::open(&url).await.unwrap();
    for name in ["gone", "stays"] {
        store.upsert_repo(&repo(name)).await.unwrap();
        store
            .record_sync_ok(name, Timestamp::now(), Duration::from_secs(1))
            .await
            .unwrap();
        store
            .set_ref_indexed(name, &ref_state("HEAD", "abc"))
            .await
            .unwrap();
        store.enqueue_job(JobKind::Sync, name).await.unwrap();
        store.enqueue_job(JobKind::Index, name).await.unwrap();
    }
    let claimed = store.claim_next_job().await.unwrap().unwrap();
    assert_eq!(claimed.repo_name, "gone");

    assert!(store.remove_repo("gone").await.unwrap());
    assert_eq!(count(&store, "SELECT count(*) FROM sync_state").await, 1);
    assert_eq!(count(&store, "SELECT count(*) FROM repo_refs").await, 1);
    assert_eq!(count(&store, "SELECT count(*) FROM jobs").await, 2);
    assert!(store
        .list_jobs(10)
        .await
        .unwrap()
        .iter()
        .all(|j| j.repo_name == "stays"));
    // The running job went with its repository.
    assert!(!store.finish_job(claimed.id, Ok(())).await.unwrap());

    // A repository added again under the same name starts clean.
    let again = store.upsert_repo(&repo("gone")).await.unwrap();
    assert_eq!(again.sync, Default::default());
    assert!(store.list_refs("gone").await.unwrap().is_empty());
    assert_eq!(store.list_refs("stays").await.unwrap().len(), 1);
    store.close().await;
}

pub async fn users_and_passwords(url: String) {
    let store = Store::open(&url).await.unwrap();
    let alice = store.create_user(&user("alice")).await.unwrap();
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.display_name, "alice (display)");
    assert_eq!(alice.groups, ["dev"]);
    assert!(!alice.is_admin);
    assert!(!alice.has_password);
    assert_eq!(store.get_user("alice").await.unwrap().unwrap(), alice);
    assert_eq!(
        store.get_user_by_id(alice.id).await.unwrap().unwrap(),
        alice
    );
    assert!(store.get_user("bob").await.unwrap().is_none());

    assert!(matches!(
        store.create_user(&user("alice")).await,
        Err(StoreError::AlreadyExists { kind: "user", .. })
    ));
    assert!(matches!(
        store.create_user(&user("")).await,
        Err(StoreError::Invalid { .. })
    ));

    let mut root = user("root");
    root.is_admin = true;
    root.groups = vec![];
    let root = store.create_user(&root).await.unwrap();
    assert!(root.is_admin);
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["alice", "root"]);

    let mut upd = user("alice");
    upd.display_name = "Alice A.".to_string();
    upd.is_admin = true;
    upd.groups = vec!["kernel".to_string(), "ops".to_string()];
    let alice2 = store.update_user(&upd).await.unwrap();
    assert_eq!(alice2.id, alice.id);
    assert_eq!(alice2.display_name, "Alice A.");
    assert!(alice2.is_admin);
    assert_eq!(alice2.groups, ["kernel", "ops"]);
    assert!(matches!(
        store.update_user(&user("nobody")).await,
        Err(StoreError::NotFound { .. })
    ));

    // No password yet: nothing verifies.
    assert!(store.verify_password("alice", "").await.unwrap().is_none());
    assert!(store.verify_password("alice", "x").await.unwrap().is_none());

    store
        .set_password("alice", "correct horse battery staple")
        .await
        .unwrap();
    let ok = store
        .verify_password("alice", "correct horse battery staple")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.id, alice.id);
    assert!(ok.has_password);
    assert!(store
        .verify_password("alice", "correct horse battery stapl")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .verify_password("nobody", "correct horse battery staple")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .verify_password("root", "correct horse battery staple")
        .await
        .unwrap()
        .is_none());

    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
        .bind("alice")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
    assert!(!stored.contains("correct horse"));

    store.set_password("alice", "new password").await.unwrap();
    assert!(store
        .verify_password("alice", "correct horse battery staple")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .verify_password("alice", "new password")
        .await
        .unwrap()
        .is_some());
    // Longer than the 1024-byte limit: cannot be set, never verifies (even as a prefix).
    let long = "p".repeat(1024);
    store.set_password("alice", &long).await.unwrap();
    assert!(store
        .verify_password("alice", &long)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .verify_password("alice", &format!("{long}extra"))
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store.set_password("alice", &format!("{long}p")).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.set_password("alice", "").await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.set_password("nobody", "pw").await,
        Err(StoreError::NotFound { .. })
    ));

    // Deleting a user takes their tokens and sessions along.
    store.create_token("alice", "ci").await.unwrap();
    store
        .create_session("alice", Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(store.delete_user("alice").await.unwrap());
    assert!(!store.delete_user("alice").await.unwrap());
    assert_eq!(count(&store, "SELECT count(*) FROM api_tokens").await, 0);
    assert_eq!(count(&store, "SELECT count(*) FROM sessions").await, 0);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    store.close().await;
}

pub async fn tokens(url: String) {
    let store = Store::open(&url).await.unwrap();
    let alice = store.create_user(&user("alice")).await.unwrap();
    store.create_user(&user("bob")).await.unwrap();

    let (info, secret) = store.create_token("alice", "laptop").await.unwrap();
    assert_eq!(secret.len(), 44);
    assert!(secret.starts_with("qry_"));
    assert!(secret[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(info.prefix, secret[..12]);
    assert_eq!(info.user_id, alice.id);
    assert_eq!(info.user_name, "alice");
    assert_eq!(info.name, "laptop");
    assert_eq!(info.last_used_at, None);
    assert_eq!(info.revoked_at, None);
    assert_eq!(store.get_token(info.id).await.unwrap().unwrap(), info);

    // What is stored is the SHA-256 of the secret, never the secret.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(info.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64);
    assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = $1 OR prefix = $1 OR name = $1",
    )
    .bind(&secret)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(leaked, 0);

    let who = store.authenticate_token(&secret).await.unwrap().unwrap();
    assert_eq!(who.id, alice.id);
    let used = store.get_token(info.id).await.unwrap().unwrap();
    assert!(used.last_used_at.is_some());

    // Wrong, malformed and near-miss secrets.
    for bad in [
        "",
        "qry_",
        "not a token",
        &secret[..43],
        &format!("{}X", &secret[..43]),
        &secret.replace("qry_", "qrz_"),
    ] {
        if bad != secret {
            assert!(
                store.authenticate_token(bad).await.unwrap().is_none(),
                "{bad:?}"
            );
        }
    }

    let (bob_info, bob_secret) = store.create_token("bob", "ci").await.unwrap();
    let (_, alice2) = store.create_token("alice", "ci").await.unwrap();
    assert_ne!(alice2, secret);
    assert_eq!(store.list_tokens(None).await.unwrap().len(), 3);
    let alice_tokens = store.list_tokens(Some("alice")).await.unwrap();
    assert_eq!(alice_tokens.len(), 2);
    assert!(alice_tokens.iter().all(|t| t.user_name == "alice"));
    assert_eq!(
        store.list_tokens(Some("bob")).await.unwrap(),
        vec![bob_info.clone()]
    );
    assert!(matches!(
        store.list_tokens(Some("nobody")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.create_token("nobody", "x").await,
        Err(StoreError::NotFound { .. })
    ));

    // A revoked token authenticates nothing; others keep working.
    assert!(store.revoke_token(info.id).await.unwrap());
    assert!(!store.revoke_token(info.id).await.unwrap());
    assert!(!store.revoke_token(999_999).await.unwrap());
    assert!(store.authenticate_token(&secret).await.unwrap().is_none());
    assert!(store.authenticate_token(&alice2).await.unwrap().is_some());
    assert_eq!(
        store
            .authenticate_token(&bob_secret)
            .await
            .unwrap()
            .unwrap()
            .name,
        "bob"
    );
    let revoked = store.get_token(info.id).await.unwrap().unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.list_tokens(Some("alice")).await.unwrap().len(), 2);
    store.close().await;
}

pub async fn sessions(url: String) {
    let store = Store::open(&url).await.unwrap();
    let alice = store.create_user(&user("alice")).await.unwrap();
    let (id, info) = store
        .create_session("alice", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(id.len(), quarry_store::SESSION_CHARS);
    assert_eq!(info.user_id, alice.id);
    assert_eq!(
        info.expires_at.unix_millis() - info.created_at.unix_millis(),
        3_600_000
    );
    assert_eq!(store.session_user(&id).await.unwrap().unwrap().id, alice.id);
    assert!(store.session_user("").await.unwrap().is_none());
    assert!(store.session_user(&id[..42]).await.unwrap().is_none());
    let mut other = id.clone();
    other.replace_range(0..1, if id.starts_with('a') { "b" } else { "a" });
    assert!(store.session_user(&other).await.unwrap().is_none());

    let stored: String = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_ne!(stored, id);
    assert_eq!(stored.len(), 64);

    // Expired sessions are invalid at once, and purged.
    let (expired, _) = store.create_session("alice", Duration::ZERO).await.unwrap();
    assert!(store.session_user(&expired).await.unwrap().is_none());
    assert_eq!(store.purge_expired_sessions().await.unwrap(), 1);
    assert_eq!(store.purge_expired_sessions().await.unwrap(), 0);
    assert!(store.session_user(&id).await.unwrap().is_some());

    assert!(store.delete_session(&id).await.unwrap());
    assert!(!store.delete_session(&id).await.unwrap());
    assert!(store.session_user(&id).await.unwrap().is_none());

    let (s1, _) = store
        .create_session("alice", Duration::from_secs(60))
        .await
        .unwrap();
    let (s2, _) = store
        .create_session("alice", Duration::from_secs(60))
        .await
        .unwrap();
    assert_ne!(s1, s2);
    assert_eq!(store.delete_user_sessions("alice").await.unwrap(), 2);
    assert!(store.session_user(&s1).await.unwrap().is_none());
    assert!(matches!(
        store.create_session("nobody", Duration::from_secs(1)).await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
}

pub async fn jobs(url: String) {
    let store = Store::open(&url).await.unwrap();
    store.upsert_repo(&repo("a")).await.unwrap();
    store.upsert_repo(&repo("b")).await.unwrap();
    assert!(store.claim_next_job().await.unwrap().is_none());

    let j1 = store.enqueue_job(JobKind::Sync, "a").await.unwrap();
    assert_eq!(j1.kind, JobKind::Sync);
    assert_eq!(j1.repo_name, "a");
    assert_eq!(j1.state, JobState::Queued);
    assert_eq!(j1.started_at, None);
    // No duplicates in the queue.
    assert_eq!(store.enqueue_job(JobKind::Sync, "a").await.unwrap(), j1);
    let j2 = store.enqueue_job(JobKind::Index, "a").await.unwrap();
    let j3 = store.enqueue_job(JobKind::Sync, "b").await.unwrap();
    assert!(j1.id < j2.id && j2.id < j3.id);
    assert!(matches!(
        store.enqueue_job(JobKind::Sync, "nope").await,
        Err(StoreError::NotFound { .. })
    ));

    // First in, first out.
    let c1 = store.claim_next_job().await.unwrap().unwrap();
    assert_eq!(c1.id, j1.id);
    assert_eq!(c1.state, JobState::Running);
    assert!(c1.started_at.is_some());
    // Once running, the same kind may be queued again.
    let j4 = store.enqueue_job(JobKind::Sync, "a").await.unwrap();
    assert_ne!(j4.id, j1.id);

    assert!(store.finish_job(c1.id, Ok(())).await.unwrap());
    assert!(!store.finish_job(c1.id, Ok(())).await.unwrap());
    assert!(
        !store.finish_job(j3.id, Ok(())).await.unwrap(),
        "not claimed"
    );
    let done = store.get_job(c1.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Done);
    assert!(done.finished_at.is_some());
    assert_eq!(done.error, None);

    let c2 = store.claim_next_job().await.unwrap().unwrap();
    assert_eq!(c2.id, j2.id);
    assert!(store.finish_job(c2.id, Err("out of disk")).await.unwrap());
    let failed = store.get_job(c2.id).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error.as_deref(), Some("out of disk"));

    let listed = store.list_jobs(10).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|j| j.id).collect();
    assert_eq!(ids, [j4.id, j3.id, j2.id, j1.id]);
    assert_eq!(store.list_jobs(2).await.unwrap().len(), 2);

    // A restart fails what was running.
    let c3 = store.claim_next_job().await.unwrap().unwrap();
    assert_eq!(c3.id, j3.id);
    assert_eq!(
        store.fail_running_jobs("quarry restarted").await.unwrap(),
        1
    );
    let c3 = store.get_job(c3.id).await.unwrap().unwrap();
    assert_eq!(c3.state, JobState::Failed);
    assert_eq!(c3.error.as_deref(), Some("quarry restarted"));

    // Pruning removes finished jobs only.
    let later = Timestamp::now() + Duration::from_secs(1);
    assert_eq!(store.prune_jobs(later).await.unwrap(), 3);
    let left = store.list_jobs(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, j4.id);
    assert_eq!(left[0].state, JobState::Queued);
    store.close().await;
}

pub async fn concurrent_claims_are_exclusive(url: String) {
    let store = Store::open(&url).await.unwrap();
    let mut expected = HashSet::new();
    for i in 0..30 {
        let name = format!("repo{i:02}");
        store.upsert_repo(&repo(&name)).await.unwrap();
        for kind in [JobKind::Sync, JobKind::Index] {
            expected.insert(store.enqueue_job(kind, &name).await.unwrap().id);
        }
    }
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store.claim_next_job().await.unwrap() {
                    assert_eq!(job.state, JobState::Running);
                    mine.push(job.id);
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut busy_workers = 0;
    for w in workers {
        let mine = w.await.unwrap();
        busy_workers += usize::from(!mine.is_empty());
        for id in mine {
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(seen, expected);
    assert!(busy_workers >= 1);
    let jobs = store.list_jobs(1000).await.unwrap();
    assert!(jobs.iter().all(|j| j.state == JobState::Running));
    store.close().await;
}

pub async fn concurrent_enqueues_do_not_duplicate(url: String) {
    let store = Store::open(&url).await.unwrap();
    store.upsert_repo(&repo("r")).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..5 {
                    ids.push(store.enqueue_job(JobKind::Sync, "r").await.unwrap().id);
                }
                ids
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(store.list_jobs(100).await.unwrap().len(), 1);
    store.close().await;
}
