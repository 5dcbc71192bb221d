//! GitLab: REST API v4.
//!
//! - `GET /groups/{path}/projects?include_subgroups=true&with_shared=false&per_page=100[&archived=false]`
//! - `GET /users/{user}/projects?per_page=100[&archived=false]`
//! - pagination by `Link: <…>; rel="next"`, else `X-Next-Page`
//! - `GET /user` and `GET /personal_access_tokens/self` (scopes) for token checks

use std::collections::HashSet;

use reqwest::Url;
use serde::Deserialize;

use crate::client::{next_link, Ctx};
use crate::config::GitLabConfig;
use crate::error::HostError;
use crate::{non_empty, repo_name, without_credentials, DiscoveredRepo, Found, TokenInfo};

#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    http_url_to_repo: String,
    #[serde(default)]
    ssh_url_to_repo: Option<String>,
    #[serde(default)]
    default_branch: Option<String>,
    /// Present (an object) for forks the token can see the source of; absent otherwise.
    #[serde(default)]
    forked_from_project: Option<serde_json::Value>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// `disabled` when the project has no repository (issues only).
    #[serde(default)]
    repository_access_level: Option<String>,
}

#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct TokenSelf {
    #[serde(default)]
    scopes: Vec<String>,
}

pub(crate) async fn discover(
    ctx: &Ctx<'_>,
    config: &GitLabConfig,
    found: &mut Found,
) -> Result<(), HostError> {
    let mut query = vec![("per_page", "100"), ("order_by", "id"), ("sort", "asc")];
    if !found.wants_archived() {
        query.push(("archived", "false"));
    }
    for group in &config.groups {
        let group = group.trim_matches('/');
        let mut group_query = vec![("include_subgroups", "true"), ("with_shared", "false")];
        group_query.extend(&query);
        // The group's full path is one URL-encoded segment: acme%2Fplatform.
        let url = ctx.url(&["groups", group, "projects"], &group_query);
        list(ctx, url, &format!("group {group}"), found).await?;
    }
    for user in &config.users {
        let url = ctx.url(&["users", user, "projects"], &query);
        list(ctx, url, &format!("user {user}"), found).await?;
    }
    Ok(())
}

async fn list(ctx: &Ctx<'_>, first: Url, what: &str, found: &mut Found) -> Result<(), HostError> {
    let mut next = Some(first);
    let mut visited = HashSet::new();
    while let Some(url) = next.take() {
        if !visited.insert(url.to_string()) {
            return Err(ctx.response_error(&url, "the pagination links loop".into()));
        }
        let resp = ctx.get(url, what).await?;
        let projects: Vec<Project> = ctx.json(&resp)?;
        for project in projects {
            if project.repository_access_level.as_deref() == Some("disabled") {
                continue;
            }
            let clone_url = without_credentials(&project.http_url_to_repo);
            found.add(
                &project.path_with_namespace,
                DiscoveredRepo {
                    name: repo_name(&clone_url, &ctx.base, &project.path_with_namespace),
                    clone_url,
                    ssh_url: project.ssh_url_to_repo,
                    default_branch: non_empty(project.default_branch),
                    fork: project
                        .forked_from_project
                        .as_ref()
                        .is_some_and(|p| !p.is_null()),
                    archived: project.archived,
                    private: project.visibility.as_deref().is_some_and(|v| v != "public"),
                    description: non_empty(project.description),
                },
            );
        }
        if let Some(link) = next_link(&resp.headers) {
            next = Some(ctx.next_url(&resp.url, &link)?);
        } else if let Some(page) = resp
            .header("x-next-page")
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut url = resp.url.clone();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", page);
            next = Some(url);
        }
    }
    Ok(())
}

pub(crate) async fn check_token(ctx: &Ctx<'_>) -> Result<TokenInfo, HostError> {
    let resp = ctx.get(ctx.url(&["user"], &[]), "the token's user").await?;
    let user: User = ctx.json(&resp)?;
    // Personal, group and project access tokens (GitLab 15.5+); OAuth tokens and older
    // versions answer with an error, and then the scopes are unknown.
    let resp = ctx
        .send(ctx.url(&["personal_access_tokens", "self"], &[]))
        .await?;
    let scopes = if resp.status.is_success() {
        ctx.json::<TokenSelf>(&resp)?.scopes
    } else {
        Vec::new()
    };
    Ok(TokenInfo {
        user: user.username,
        scopes,
    })
}
