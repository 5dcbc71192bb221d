//! GitHub and GitHub Enterprise Server: REST API v3.
//!
//! - `GET /orgs/{org}/repos?per_page=100&type=all`
//! - `GET /users/{user}/repos?per_page=100&type=owner`, or for the token's own user
//!   `GET /user/repos?per_page=100&affiliation=owner` (which includes private repositories)
//! - pagination by `Link: <…>; rel="next"`
//! - `GET /user` with `X-OAuth-Scopes` for token checks

use std::collections::HashSet;

use serde::Deserialize;

use crate::client::{next_link, Auth, Ctx};
use crate::config::GitHubConfig;
use crate::error::HostError;
use crate::{non_empty, repo_name, without_credentials, DiscoveredRepo, Found, TokenInfo};

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
    disabled: bool,
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
    config: &GitHubConfig,
    found: &mut Found,
) -> Result<(), HostError> {
    for org in &config.orgs {
        let url = ctx.url(
            &["orgs", org, "repos"],
            &[("per_page", "100"), ("type", "all")],
        );
        let what = format!("organization {org}");
        list(ctx, url, &what, found)
            .await
            .map_err(|e| e.with_not_found_hint(" (a user account belongs in `users`)"))?;
    }
    if !config.users.is_empty() {
        // The token's own user: /user/repos lists private repositories too.
        let me = match ctx.auth {
            Auth::None => None,
            Auth::Header(..) => {
                let resp = ctx.get(ctx.url(&["user"], &[]), "the token's user").await?;
                Some(ctx.json::<User>(&resp)?.login)
            }
        };
        for user in &config.users {
            let (url, what) = if me
                .as_deref()
                .is_some_and(|me| me.eq_ignore_ascii_case(user))
            {
                (
                    ctx.url(
                        &["user", "repos"],
                        &[("per_page", "100"), ("affiliation", "owner")],
                    ),
                    format!("the repositories of user {user}"),
                )
            } else {
                (
                    ctx.url(
                        &["users", user, "repos"],
                        &[("per_page", "100"), ("type", "owner")],
                    ),
                    format!("user {user}"),
                )
            };
            list(ctx, url, &what, found).await?;
        }
    }
    Ok(())
}

async fn list(
    ctx: &Ctx<'_>,
    first: reqwest::Url,
    what: &str,
    found: &mut Found,
) -> Result<(), HostError> {
    let mut next = Some(first);
    let mut visited = HashSet::new();
    while let Some(url) = next.take() {
        if !visited.insert(url.to_string()) {
            return Err(ctx.response_error(&url, "the pagination links loop".into()));
        }
        let resp = ctx.get(url, what).await?;
        let repos: Vec<Repo> = ctx.json(&resp)?;
        for repo in repos {
            if repo.disabled {
                continue;
            }
            let clone_url = without_credentials(&repo.clone_url);
            found.add(
                &repo.full_name,
                DiscoveredRepo {
                    name: repo_name(&clone_url, &ctx.base, &repo.full_name),
                    clone_url,
                    ssh_url: repo.ssh_url,
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
        }
    }
    Ok(())
}

pub(crate) async fn check_token(ctx: &Ctx<'_>) -> Result<TokenInfo, HostError> {
    let resp = ctx.get(ctx.url(&["user"], &[]), "the token's user").await?;
    let user: User = ctx.json(&resp)?;
    let scopes = resp
        .header("x-oauth-scopes")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(TokenInfo {
        user: user.login,
        scopes,
    })
}
