//! `quarry bench-queries`: runs queries in one process, the way a server serves them, and
//! reports per-query latencies and the heap held while serving.

use crate::DataArgs;
use quarry_search::SearchOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Timed runs per query (after one warm-up run)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// File with one query per line (blank lines and lines starting with # are ignored)
    file: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let searcher = crate::load_searcher(&a.data.dir()?)?;
    let opts = SearchOptions::default();
    let mut out = std::io::stdout().lock();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let query = quarry_query::parse(line).map_err(|e| anyhow::anyhow!("{e}"))?;
        let warm = searcher.search(&query, &opts)?;
        let mut runs_ms = Vec::with_capacity(a.runs);
        for _ in 0..a.runs {
            let t = Instant::now();
            let r = searcher.search(&query, &opts)?;
            runs_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(r);
        }
        let row = serde_json::json!({
            "query": line,
            "runs_ms": runs_ms,
            "matches": warm.match_count,
            "files": warm.files.len(),
            "limit_hit": warm.limit_hit,
            "docs_verified": warm.stats.docs_verified,
        });
        writeln!(out, "{row}")?;
    }
    let (anon, rss) = rss_from_proc();
    writeln!(
        out,
        "{}",
        serde_json::json!({ "rss_anon_bytes": anon, "rss_bytes": rss })
    )?;
    Ok(ExitCode::SUCCESS)
}

/// RssAnon and VmRSS of this process from /proc (Linux), in bytes.
fn rss_from_proc() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("RssAnon:"), field("VmRSS:"))
}
