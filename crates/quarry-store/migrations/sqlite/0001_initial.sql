-- quarry store, schema version 1 (SQLite dialect).
-- Append-only: never edit this file once released; add a new numbered file instead,
-- and the same version in ../postgres/. Integers only for times (unix milliseconds) and
-- flags: the sqlx Any driver maps INTEGER and TEXT in both dialects, not BOOLEAN/TIMESTAMP.

CREATE TABLE repositories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    source_kind TEXT    NOT NULL CHECK (source_kind IN ('path', 'git', 'codehost')),
    location    TEXT    NOT NULL,
    source_name TEXT    NOT NULL,
    visibility  TEXT    NOT NULL DEFAULT 'public',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE sync_state (
    repo_id          INTEGER PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    last_fetch_at    INTEGER,
    last_success_at  INTEGER,
    last_duration_ms INTEGER,
    last_error       TEXT,
    last_error_at    INTEGER
);

CREATE TABLE repo_refs (
    repo_id    INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    ref_name   TEXT    NOT NULL,
    commit_id  TEXT    NOT NULL,
    indexed_at INTEGER NOT NULL,
    files      INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    shards     INTEGER NOT NULL,
    PRIMARY KEY (repo_id, ref_name)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    groups_json   TEXT    NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('sync', 'index')),
    repo_id     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    error       TEXT
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_repo ON jobs (repo_id);
-- At most one queued job of a kind per repository: enqueueing again returns the queued one.
CREATE UNIQUE INDEX jobs_one_queued ON jobs (kind, repo_id) WHERE state = 'queued';
