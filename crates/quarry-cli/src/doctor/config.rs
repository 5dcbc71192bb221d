//! `config`: the configuration file is valid; and what the other checks take from it.

use super::{Args, Check};
use quarry_config::Config;
use quarry_index::DataDir;

/// What the checks after `config` work on.
pub struct Setup {
    /// The configuration; `None` when the file is invalid (checks that need it are skipped).
    pub config: Option<Config>,
    pub data: DataDir,
    /// The address to check.
    pub listen: String,
    /// `auth.required` when set in the file or environment, as `quarry serve` decides.
    pub auth_required: Option<bool>,
}

pub fn check(a: &Args, checks: &mut Vec<Check>) -> Setup {
    let config = match &a.config {
        None => {
            checks.push(Check::pass(
                "config",
                "no config file given (--config): defaults and QUARRY_… variables apply",
            ));
            Some(Config::default())
        }
        Some(path) => match quarry_config::load(path, &|k| std::env::var(k).ok()) {
            Ok(c) => {
                checks.push(Check::pass(
                    "config",
                    format!(
                        "{}: valid ({}, {})",
                        path.display(),
                        super::count(c.repos.len(), "repository", "repositories"),
                        super::count(c.code_hosts.len(), "code host", "code hosts")
                    ),
                ));
                Some(c)
            }
            Err(diags) => {
                checks.push(
                    Check::fail(
                        "config",
                        format!("{}: {} problem(s)", path.display(), diags.len()),
                        format!(
                            "correct each line above (FILE:LINE:COLUMN: key: problem — fix), then \
                             run `quarry config check {}`",
                            path.display()
                        ),
                    )
                    .with_details(diags.iter().map(ToString::to_string).collect()),
                );
                None
            }
        },
    };
    // The same precedence as `quarry serve`: --data or QUARRY_DATA, then the file's data_dir.
    let data_dir = config.as_ref().and_then(|c| c.data_dir.clone());
    let data = match (&a.data.data, data_dir) {
        (None, Some(dir)) => Ok(DataDir::new(dir)),
        _ => a.data.dir(),
    };
    // Absolute, so that every message names the directory unambiguously.
    let data = data
        .and_then(|d| Ok(DataDir::new(std::path::absolute(d.root())?)))
        .unwrap_or_else(|e| {
            checks.push(Check::fail(
                "data-dir",
                format!("{e}"),
                "pass --data DIR or set QUARRY_DATA",
            ));
            DataDir::new("")
        });
    let listen = a.listen.clone().unwrap_or_else(|| {
        config
            .as_ref()
            .map_or(quarry_config::DEFAULT_LISTEN, |c| c.listen)
            .to_string()
    });
    let auth_required = config.as_ref().and_then(|c| {
        crate::serve::auth_required_set(a.config.as_deref()).then_some(c.auth.required)
    });
    Setup {
        config,
        data,
        listen,
        auth_required,
    }
}
