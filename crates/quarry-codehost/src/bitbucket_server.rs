//! Bitbucket Server and Data Center: REST API 1.0.
//!
//! - `GET /rest/api/1.0/projects/{key}/repos?limit=100&start=N`
//! - `GET /rest/api/1.0/users/{slug}/repos?limit=100&start=N` (personal repositories)
//! - pagination by `isLastPage` and `nextPageStart` in the body
//! - `GET /rest/api/1.0/users?limit=1` for token checks (the user is in `X-AUSERNAME`)

use serde::Deserialize;

use crate::bitbucket_cloud::{clone_link, CloneLink};
use crate::client::Ctx;
use crate::config::BitbucketServerConfig;
use crate::error::HostError;
use crate::{non_empty, repo_name, without_credentials, DiscoveredRepo, Found, TokenInfo};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    values: Vec<Repo>,
    #[serde(default = "yes")]
    is_last_page: bool,
    #[serde(default)]
    next_page_start: Option<u64>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct Repo {
    slug: String,
    project: Project,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    public: bool,
    /// Bitbucket 8.0 and later.
    #[serde(default)]
    archived: bool,
    /// The repository this one was forked from; absent for others.
    #[serde(default)]
    origin: Option<serde_json::Value>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct Project {
    key: String,
}

#[derive(Deserialize, Default)]
struct Links {
    #[serde(default)]
    clone: Vec<CloneLink>,
}

pub(crate) async fn discover(
    ctx: &Ctx<'_>,
    config: &BitbucketServerConfig,
    found: &mut Found,
) -> Result<(), HostError> {
    for project in &config.projects {
        list(
            ctx,
            &["projects", project, "repos"],
            &format!("project {project}"),
            found,
        )
        .await?;
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

async fn list(
    ctx: &Ctx<'_>,
    segments: &[&str],
    what: &str,
    found: &mut Found,
) -> Result<(), HostError> {
    let mut start: u64 = 0;
    loop {
        let url = ctx.url(segments, &[("limit", "100"), ("start", &start.to_string())]);
        let resp = ctx.get(url, what).await?;
        let page: Page = ctx.json(&resp)?;
        for repo in page.values {
            let path = format!("{}/{}", repo.project.key, repo.slug);
            let http = clone_link(&repo.links.clone, &["http", "https"]);
            let ssh = clone_link(&repo.links.clone, &["ssh"]).map(String::from);
            let Some(clone_url) = http.map(without_credentials) else {
                // HTTP(S) access is turned off on this server: nothing to clone over HTTPS.
                continue;
            };
            found.add(
                &path,
                DiscoveredRepo {
                    name: repo_name(&clone_url, &ctx.base, &path),
                    clone_url,
                    ssh_url: ssh,
                    // Not in the listing (a separate request per repository); the clone's
                    // HEAD names it.
                    default_branch: None,
                    fork: repo.origin.as_ref().is_some_and(|o| !o.is_null()),
                    archived: repo.archived,
                    private: !repo.public,
                    description: non_empty(repo.description),
                },
            );
        }
        match (page.is_last_page, page.next_page_start) {
            (false, Some(next)) if next > start => start = next,
            (false, _) => {
                return Err(ctx.response_error(
                    &resp.url,
                    "isLastPage is false but nextPageStart does not move forward".into(),
                ))
            }
            (true, _) => return Ok(()),
        }
    }
}

pub(crate) async fn check_token(ctx: &Ctx<'_>) -> Result<TokenInfo, HostError> {
    let url = ctx.url(&["users"], &[("limit", "1")]);
    let resp = ctx.get(url.clone(), "the users").await?;
    match resp.header("x-ausername").map(str::trim) {
        Some(user) if !user.is_empty() => Ok(TokenInfo {
            user: user.to_string(),
            scopes: Vec::new(),
        }),
        _ => Err(ctx.response_error(
            &url,
            format!(
                "the server answered as to an anonymous user: {} was not accepted as a user's credentials",
                ctx.credential.as_deref().unwrap_or("the token")
            ),
        )),
    }
}
