//! `quarry doctor`: checks the things that break installations, one line per check, and for
//! each warning or failure the fix. Exit status 1 when any check fails (warnings allowed).

mod clock;
mod config;
mod disk;
mod hosts;
mod listen;
mod shards;
mod store;
mod token;

use crate::DataArgs;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Configuration file to check and to take the data directory, listen address and code
    /// hosts from
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address the server listens on [default: the config's `listen`, else 127.0.0.1:7340]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Also ask the server running at URL which of its readiness checks fail (`/readyz`)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Do not read every shard to verify its checksums (the slowest check on large indexes)
    #[arg(long)]
    skip_shards: bool,
    /// Output: one line per check, or one JSON document
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Fail when less than this percentage of the data directory's filesystem (space or inodes)
    /// is free
    #[arg(
        long,
        env = "QUARRY_DOCTOR_MIN_FREE_PERCENT",
        default_value_t = 5.0,
        value_name = "PERCENT"
    )]
    min_free_percent: f64,
    /// Warn when less than this percentage is free
    #[arg(
        long,
        env = "QUARRY_DOCTOR_WARN_FREE_PERCENT",
        default_value_t = 15.0,
        value_name = "PERCENT"
    )]
    warn_free_percent: f64,
    /// Time limit of each network check
    #[arg(long, value_parser = quarry_config::parse_duration, default_value = "10s", value_name = "DURATION")]
    timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Skip => "SKIP",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// The outcome of one check: a stable id, a one-line message naming the cause, lines of detail
/// (config diagnostics, damaged files) and, unless it passed, what to do.
#[derive(Debug, Serialize)]
pub struct Check {
    pub id: String,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(id: impl Into<String>, status: Status, message: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            status,
            message: message.into(),
            details: Vec::new(),
            fix: None,
        }
    }
    pub fn pass(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(id, Status::Pass, message)
    }
    pub fn skip(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, message)
    }
    pub fn warn(
        id: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(id, Status::Warn, message).with_fix(fix)
    }
    pub fn fail(
        id: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(id, Status::Fail, message).with_fix(fix)
    }
    pub fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
    pub fn with_details(mut self, details: Vec<String>) -> Check {
        self.details = details;
        self
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut checks = Vec::new();
    let setup = config::check(&a, &mut checks);
    let data = &setup.data;
    checks.extend(disk::check(data, &a));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let usable = !checks
        .iter()
        .any(|c| c.id == "data-dir" && c.status == Status::Fail);
    if !usable {
        // Their failures would only repeat the data directory's.
        for id in ["store", "migrations", "shards", "leftovers"] {
            checks.push(Check::skip(
                id,
                "the data directory is unusable (see data-dir)",
            ));
        }
    } else {
        checks.extend(runtime.block_on(store::check(data)));
        checks.push(if a.skip_shards {
            Check::skip("shards", "--skip-shards given")
        } else {
            shards::check(data)
        });
        checks.push(shards::leftovers(data));
    }
    checks.push(hosts::ssh(setup.config.as_ref()));
    checks.extend(runtime.block_on(hosts::check(setup.config.as_ref(), data, a.timeout)));
    checks.extend(runtime.block_on(listen::check(&setup, a.timeout)));
    if let Some(url) = &a.url {
        checks.push(runtime.block_on(listen::readiness(url, a.timeout)));
    }
    print(&checks, a.format)?;
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(checks: &[Check], format: Format) -> anyhow::Result<()> {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let (pass, warn, fail, skip) = (
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip),
    );
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "ok": fail == 0,
                "summary": { "pass": pass, "warn": warn, "fail": fail, "skip": skip },
                "checks": checks,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Text => {
            let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0).max(12);
            for c in checks {
                println!("{}  {:width$} {}", c.status.label(), c.id, c.message);
                for d in &c.details {
                    println!("      {d}");
                }
                if let Some(fix) = &c.fix {
                    println!("      fix: {fix}");
                }
            }
            println!("{pass} passed, {warn} warnings, {fail} failed, {skip} skipped");
        }
    }
    Ok(())
}

/// "1 repository", "2 repositories".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An I/O error's text without Rust's "(os error N)" suffix, for one-line messages.
pub fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_lowercase(),
        None => s,
    }
}
