//! `quarry`: one binary for indexing and searching code.

mod admin;
mod auth;
mod bench;
mod config_cmd;
mod debug;
mod doctor;
mod files;
mod health;
mod index;
mod output;
mod reload;
mod repos;
mod scheduler;
mod search;
mod serve;
mod sources;
mod telemetry;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "quarry",
    version,
    about = "Self-hosted code search: index repositories, search them like grep, fast"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the index lives: `--data`, else `$QUARRY_DATA`, else the platform's data directory.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// Data directory holding the index [default: $QUARRY_DATA, else the platform data dir]
    #[arg(long, env = "QUARRY_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataArgs {
    pub fn dir(&self) -> anyhow::Result<quarry_index::DataDir> {
        let dir = match &self.data {
            Some(d) => d.clone(),
            None => dirs::data_dir().map(|d| d.join("quarry")).ok_or_else(|| {
                anyhow::anyhow!(
                    "no data directory known for this platform: pass --data DIR or set QUARRY_DATA"
                )
            })?,
        };
        Ok(quarry_index::DataDir::new(dir))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Index directory trees, each as one repository (re-indexing replaces it atomically)
    Index(index::Args),
    /// Search the index with a Sourcegraph-style query
    Search(search::Args),
    /// List indexed files of each default branch as REPO/PATH (or skipped files with the reason)
    Files(files::Args),
    /// Serve search over HTTP (API and web UI), keeping the given directories indexed
    Serve(serve::Args),
    /// The configuration file: schema, checker, example, reference
    Config(config_cmd::Args),
    /// Manage users and API tokens
    Admin(admin::Args),
    /// Check the checksums of every index file
    Verify(verify::Args),
    /// Check what breaks installations: config, data directory, disk, store, shards, code
    /// hosts, clock, listen address; one line per check, with the fix for each failure
    Doctor(doctor::Args),
    /// Diagnostics to send when asking for help: `quarry debug bundle`
    Debug(debug::Args),
    /// Ask a running server's probe; exit 0 if healthy, else 1 (for container health checks)
    Health(health::Args),
    /// Run queries from a file repeatedly and report latencies (used by bench/run)
    #[command(hide = true)]
    BenchQueries(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index(a) => index::run(a),
        Command::Search(a) => search::run(a),
        Command::Files(a) => files::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Admin(a) => admin::run(a),
        Command::Config(a) => config_cmd::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Health(a) => health::run(a),
        Command::Debug(a) => debug::run(a),
        Command::BenchQueries(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quarry: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Loads every shard of the data directory, warning about repositories that fail to load.
pub fn load_searcher(data: &quarry_index::DataDir) -> anyhow::Result<quarry_search::Searcher> {
    let loaded = data.load();
    for e in &loaded.errors {
        eprintln!("quarry: warning: {e}");
    }
    if loaded.shards.is_empty() && loaded.errors.is_empty() {
        anyhow::bail!(
            "no repositories are indexed in {}: run `quarry index PATH` first (or pass the right --data)",
            data.root().display()
        );
    }
    Ok(quarry_search::Searcher::new(loaded.shards))
}
