//! Metrics of every search, through the `metrics` facade: no-ops until the process installs a
//! recorder (the server's telemetry does).

use crate::exec::ShardReport;
use crate::explain::Times;
use crate::SearchStats;
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use quarry_query::{ParseError, Query};
use std::time::{Duration, Instant};

const STAGE: &str = "quarry_search_stage_duration_seconds";
const SHARDS: &str = "quarry_search_shards_searched_total";
const CANDIDATES: &str = "quarry_search_candidate_files_total";
const MATCHED: &str = "quarry_search_files_matched_total";

/// Describes the engine's metrics to the installed recorder; call once at start-up.
pub fn describe_metrics() {
    describe_histogram!(
        STAGE,
        Unit::Seconds,
        "Time of each search stage: parse, plan (regexes and n-gram conditions), shards (posting lists and verification, in parallel), merge (ranking and limits)"
    );
    describe_counter!(
        SHARDS,
        "Shards searched (not skipped by rev: or repo: filters)"
    );
    describe_counter!(
        CANDIDATES,
        "Files the n-gram index left as candidates for verification"
    );
    describe_counter!(MATCHED, "Files with at least one match");
}

/// Parses a query string in a `parse` span, recording the parse stage; returns how long it took
/// (for [`crate::SearchTrace::add_parse`]).
pub fn parse_query(q: &str) -> Result<(Query, Duration), ParseError> {
    let _span = tracing::info_span!("parse").entered();
    let started = Instant::now();
    let parsed = quarry_query::parse(q);
    let took = started.elapsed();
    histogram!(STAGE, "stage" => "parse").record(took.as_secs_f64());
    parsed.map(|q| (q, took))
}

pub(crate) fn record(
    times: &Times,
    stats: &SearchStats,
    reports: &[(usize, ShardReport, SearchStats, Duration)],
) {
    histogram!(STAGE, "stage" => "plan").record(times.plan.as_secs_f64());
    histogram!(STAGE, "stage" => "shards").record(times.shards.as_secs_f64());
    histogram!(STAGE, "stage" => "merge").record(times.merge.as_secs_f64());
    counter!(SHARDS).increment((stats.shards - stats.shards_skipped) as u64);
    let candidates: usize = reports.iter().map(|(_, r, _, _)| r.candidates).sum();
    counter!(CANDIDATES).increment(candidates as u64);
    counter!(MATCHED).increment(stats.files_matched as u64);
}
