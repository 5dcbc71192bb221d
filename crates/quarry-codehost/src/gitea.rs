//! Gitea and Forgejo: REST API v1.
//!
//! - `GET /orgs/{org}/repos?page=N&limit=50`, `GET /users/{user}/repos?page=N&limit=50`
//! - pagination by `Link: <…>; rel="next"`; without it, by `X-Total-Count`
//! - `GET /user` for token checks

use std::collections::HashSet;

use reqwest::Url;
use serde::Deserialize;

use crate::client::{next_link, Ctx};
use crate::config::GiteaConfig;
use crate::error::HostError;
use crate::{non_empty, repo_name, without_credentials, DiscoveredRepo, Found, TokenInfo};

/// Gitea's default and usual maximum page size (`[api] MAX_RESPONSE_ITEMS`).
const LIMIT: usize = 50;

#[derive(Deserialize)]
struct Repo {
    full_name: String,
    clone_url: String,
    #[serde(default)]
    ssh_url: Option<String>,
    #[serde(default)]
    default_branch: Option<String>,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

pub(crate) async fn discover(
    ctx: &Ctx<'_>,
    config: &GiteaConfig,
    found: &mut Found,
) -> Result<(), HostError> {
    for org in &config.orgs {
        list(
            ctx,
            &["orgs", org, "repos"],
            &format!("organization {org}"),
            found,
        )
        .await
        .map_err(|e| e.with_not_found_hint(" (a user account belongs in `users`)"))?;
    }
    for user in &config.users {
        list(
            ctx,
            &["users", user, "repos"],
            &format!("user {user}"),
            found,
        )
        .await?;
    }
    Ok(())
}

fn page_url(ctx: &Ctx<'_>, segments: &[&str], page: usize) -> Url {
    ctx.url(
        segments,
        &[("page", &page.to_string()), ("limit", &LIMIT.to_string())],
    )
}

async fn list(
    ctx: &Ctx<'_>,
    segments: &[&str],
    what: &str,
    found: &mut Found,
) -> Result<(), HostError> {
    let mut page = 1;
    let mut seen_items = 0usize;
    let mut next = Some(page_url(ctx, segments, page));
    let mut visited = HashSet::new();
    while let Some(url) = next.take() {
        if !visited.insert(url.to_string()) {
            return Err(ctx.response_error(&url, "the pagination links loop".into()));
        }
        let resp = ctx.get(url, what).await?;
        let repos: Vec<Repo> = ctx.json(&resp)?;
        let count = repos.len();
        seen_items += count;
        for repo in repos {
            let clone_url = without_credentials(&repo.clone_url);
            found.add(
                &repo.full_name,
                DiscoveredRepo {
                    name: repo_name(&clone_url, &ctx.base, &repo.full_name),
                    clone_url,
                    ssh_url: non_empty(repo.ssh_url),
                    default_branch: non_empty(repo.default_branch),
                    fork: repo.fork,
                    archived: repo.archived,
                    private: repo.private,
                    description: non_empty(repo.description),
                },
            );
        }
        if let Some(link) = next_link(&resp.headers) {
            next = Some(ctx.next_url(&resp.url, &link)?);
        } else if let Some(total) = resp
            .header("x-total-count")
            .and_then(|t| t.trim().parse::<usize>().ok())
        {
            // Older versions without Link headers: page until the total is reached.
            if count > 0 && seen_items < total {
                page += 1;
                next = Some(page_url(ctx, segments, page));
            }
        }
    }
    Ok(())
}

pub(crate) async fn check_token(ctx: &Ctx<'_>) -> Result<TokenInfo, HostError> {
    let resp = ctx.get(ctx.url(&["user"], &[]), "the token's user").await?;
    let user: User = ctx.json(&resp)?;
    Ok(TokenInfo {
        user: user.login,
        scopes: Vec::new(),
    })
}
