//! Bitbucket Cloud: REST API 2.0.
//!
//! - `GET /2.0/repositories/{workspace}?pagelen=100`
//! - pagination by the `next` URL in the body
//! - `GET /2.0/user` (with `X-OAuth-Scopes`, when given) for token checks

use std::collections::HashSet;

use serde::Deserialize;

use crate::client::Ctx;
use crate::config::BitbucketCloudConfig;
use crate::error::HostError;
use crate::{non_empty, repo_name, without_credentials, DiscoveredRepo, Found, TokenInfo};

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    values: Vec<Repo>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Repo {
    full_name: String,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    mainbranch: Option<Branch>,
    /// The repository this one was forked from; absent for others.
    #[serde(default)]
    parent: Option<serde_json::Value>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct Branch {
    name: String,
}

#[derive(Deserialize, Default)]
struct Links {
    #[serde(default)]
    clone: Vec<CloneLink>,
}

#[derive(Deserialize)]
pub(crate) struct CloneLink {
    pub name: String,
    pub href: String,
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
}

pub(crate) async fn discover(
    ctx: &Ctx<'_>,
    config: &BitbucketCloudConfig,
    found: &mut Found,
) -> Result<(), HostError> {
    for workspace in &config.workspaces {
        let what = format!("workspace {workspace}");
        let mut next = Some(ctx.url(&["repositories", workspace], &[("pagelen", "100")]));
        let mut visited = HashSet::new();
        while let Some(url) = next.take() {
            if !visited.insert(url.to_string()) {
                return Err(ctx.response_error(&url, "the pagination links loop".into()));
            }
            let resp = ctx.get(url, &what).await?;
            let page: Page = ctx.json(&resp)?;
            for repo in page.values {
                let Some(https) = clone_link(&repo.links.clone, &["https", "http"]) else {
                    continue;
                };
                let clone_url = without_credentials(https);
                found.add(
                    &repo.full_name,
                    DiscoveredRepo {
                        name: repo_name(&clone_url, &ctx.base, &repo.full_name),
                        clone_url,
                        ssh_url: clone_link(&repo.links.clone, &["ssh"]).map(String::from),
                        default_branch: repo.mainbranch.map(|b| b.name),
                        fork: repo.parent.as_ref().is_some_and(|p| !p.is_null()),
                        // Bitbucket Cloud cannot archive repositories.
                        archived: false,
                        private: repo.is_private,
                        description: non_empty(repo.description),
                    },
                );
            }
            if let Some(link) = page.next.filter(|n| !n.is_empty()) {
                next = Some(ctx.next_url(&resp.url, &link)?);
            }
        }
    }
    Ok(())
}

pub(crate) fn clone_link<'a>(links: &'a [CloneLink], names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        links
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
            .map(|l| l.href.as_str())
    })
}

pub(crate) async fn check_token(ctx: &Ctx<'_>) -> Result<TokenInfo, HostError> {
    let resp = ctx.get(ctx.url(&["user"], &[]), "the token's user").await?;
    let user: User = ctx.json(&resp)?;
    let scopes = resp
        .header("x-oauth-scopes")
        .map(|s| {
            s.split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(TokenInfo {
        user: user
            .username
            .or(user.nickname)
            .or(user.account_id)
            .unwrap_or_default(),
        scopes,
    })
}
