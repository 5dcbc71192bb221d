//! Repository list and status, file contents, on-demand sync.

use crate::auth::{require_admin, Caller};
use crate::error::ApiError;
use crate::state::{repo_id, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every indexed or configured repository `who` may see, with its branches and sync status.
fn repos(state: &AppState, who: &Caller) -> BTreeMap<String, Value> {
    let (manifests, _) = state.data.manifests();
    let status = state.status.read().expect("not poisoned").clone();
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for m in manifests {
        let entry = out.entry(m.name.clone()).or_insert_with(|| {
            json!({ "name": m.name, "id": repo_id(&m.name), "source": m.source, "branches": [], "sync": status.get(&m.name) })
        });
        entry["branches"]
            .as_array_mut()
            .expect("array")
            .push(json!({
                "name": m.branch,
                "commit": m.commit,
                "indexedAt": m.indexed_at_unix * 1000,
                "files": m.stats.files,
                "bytes": m.stats.bytes,
                "skipped": m.stats.skipped,
                "shards": m.shards.len(),
            }));
    }
    // Configured repositories that have no index yet (still cloning, or failing).
    for (name, s) in status {
        out.entry(name.clone())
            .or_insert_with(|| json!({ "name": name, "id": repo_id(&name), "source": s.source, "branches": [], "sync": s }));
    }
    out.retain(|name, _| state.visible(name, who.0.as_ref()));
    out
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Json<Vec<Value>> {
    Json(repos(&state, &caller).into_values().collect())
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    repos(&state, &caller)
        .remove(&name)
        .map(Json)
        .ok_or_else(|| unknown(&name))
}

fn unknown(name: &str) -> ApiError {
    ApiError::not_found(format!(
        "no repository named {name:?}: GET /api/repos lists the repositories"
    ))
}

#[derive(Deserialize)]
pub struct BlobParams {
    path: Option<String>,
    rev: Option<String>,
}

/// `GET /api/repos/{repo}/blob?path=&rev=`: a file's contents from the index.
pub async fn blob(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(p): Query<BlobParams>,
) -> Result<Json<Value>, ApiError> {
    let path = p
        .path
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("pass the file as ?path=dir/file"))?;
    let rev = p.rev.unwrap_or_default();
    // A repository the caller may not see answers exactly like one that does not exist.
    let searcher = state.searcher_for(caller.0.as_ref());
    let mut repo_seen = false;
    // Without a revision, the shards of the default (first indexed) branch answer.
    let manifests = state.data.manifests().0;
    let commit_of = |branch: &str| {
        manifests
            .iter()
            .find(|m| m.name == name && m.branch == branch)
            .map(|m| m.commit.clone())
            .unwrap_or_default()
    };
    for shard in searcher.shards().iter().filter(|s| s.repo() == name) {
        repo_seen = true;
        let meta = shard.meta();
        // A revision names a branch or tag, or the commit it is indexed at (permalinks).
        let wanted = if rev.is_empty() {
            meta.default_branch
        } else {
            meta.branch == rev || (rev.len() >= 7 && commit_of(&meta.branch).starts_with(&rev))
        };
        if !wanted {
            continue;
        }
        if let Some(doc) = shard.docs().find(|d| d.path == path.as_bytes()) {
            let lang = quarry_lang::by_id(doc.record.lang).map(|l| l.name);
            return Ok(Json(json!({
                "repository": name,
                "path": path,
                "rev": meta.branch,
                "commit": commit_of(&meta.branch),
                "language": lang,
                "skipped": doc.skip_reason().map(|r| r.describe()),
                "content": String::from_utf8_lossy(doc.content),
            })));
        }
    }
    if !repo_seen {
        return Err(unknown(&name));
    }
    Err(ApiError::not_found(format!(
        "no file {path:?} in {name}{}",
        if rev.is_empty() {
            String::new()
        } else {
            format!("@{rev}")
        }
    )))
}

/// `POST /api/repos/{repo}/sync`: refresh a repository now.
pub async fn sync(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if state.authenticator.read().expect("not poisoned").is_some() {
        require_admin(&caller)?;
    }
    let trigger = state.sync.read().expect("not poisoned").clone();
    match trigger {
        Some(t) if t.trigger(&name) => Ok((StatusCode::ACCEPTED, Json(json!({ "queued": name })))),
        Some(_) => Err(unknown(&name)),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "this server has no sync configured: it serves an existing index",
        )),
    }
}
