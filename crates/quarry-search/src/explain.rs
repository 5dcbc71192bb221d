//! Assembles a [`SearchTrace`] from what a search measured.

use crate::compile::Program;
use crate::exec::ShardReport;
use crate::trace::{
    ms, GramSizes, PatternPlan, Plan, SearchTrace, ShardCounts, ShardTiming, ShardWork, Stage,
};
use crate::{SearchResults, SearchStats};
use quarry_index::Shard;
use quarry_query::Query;
use std::sync::Arc;
use std::time::Duration;

/// Wall-clock times of the engine's stages.
pub(crate) struct Times {
    pub plan: Duration,
    pub shards: Duration,
    pub merge: Duration,
    pub total: Duration,
}

pub(crate) struct Context<'a> {
    pub query: &'a Query,
    pub program: &'a Program,
    pub shards: &'a [Arc<Shard>],
    pub limit: usize,
    pub timeout: Duration,
    pub stopped_early: Option<&'static str>,
}

const SLOWEST: usize = 5;

pub(crate) fn build(
    ctx: &Context,
    times: &Times,
    results: &SearchResults,
    reports: Vec<(usize, ShardReport, SearchStats, Duration)>,
) -> SearchTrace {
    let mut t = SearchTrace {
        total_ms: ms(times.total),
        stages: vec![
            Stage::new("plan", times.plan),
            Stage::new("shards", times.shards),
            Stage::new("merge", times.merge),
        ],
        stopped_early: ctx.stopped_early,
        ..Default::default()
    };
    let (mut postings, mut verify) = (Duration::ZERO, Duration::ZERO);
    let mut grams = GramSizes::default();
    let mut timings = Vec::new();
    for (i, report, stats, took) in reports {
        postings += report.postings;
        verify += report.verify;
        t.candidate_files += report.candidates;
        t.files_verified += stats.docs_verified;
        t.files_matched += stats.files_matched;
        t.lines_matched += report.lines;
        if let Some(g) = report.grams {
            grams.merge(g);
        }
        if stats.shards == 1 && stats.shards_skipped == 0 {
            let shard = &ctx.shards[i];
            timings.push(ShardTiming {
                repo: shard.repo().to_string(),
                branch: shard.meta().branch.clone(),
                shard: shard_name(shard),
                ms: ms(took),
                candidates: report.candidates,
                verified: stats.docs_verified,
                matched: stats.files_matched,
            });
        }
    }
    t.shard_work = ShardWork {
        postings_ms: ms(postings),
        verify_ms: ms(verify),
    };
    timings.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    timings.truncate(SLOWEST);
    t.slowest_shards = timings;
    let s = &results.stats;
    t.shards = ShardCounts {
        considered: ctx.shards.len(),
        skipped_by_revision: ctx.shards.len() - s.shards - results.errors.len(),
        skipped_by_repo: s.shards_skipped,
        searched: s.shards - s.shards_skipped,
        failed: results.errors.len(),
    };
    t.plan = plan(ctx, &grams);
    t
}

fn plan(ctx: &Context, grams: &GramSizes) -> Plan {
    let p = ctx.program;
    Plan {
        query: ctx.query.expr.to_string(),
        case_sensitive: ctx.query.case_sensitive,
        limit: (ctx.limit != usize::MAX).then_some(ctx.limit),
        timeout_ms: ctx.timeout.as_millis() as u64,
        condition: grams.describe(&p.cond(&p.node)),
        patterns: p
            .atoms
            .iter()
            .map(|a| {
                let pattern = a.content.as_ref().or(a.path.as_ref()).map(|(p, _)| p);
                PatternPlan {
                    pattern: a.source.clone(),
                    regex: pattern.map(|p| p.hir.to_string()).unwrap_or_default(),
                    content: a.content.as_ref().map(|(_, c)| grams.describe(c)),
                    path: a.path.as_ref().map(|(_, c)| grams.describe(c)),
                    required: a
                        .required
                        .iter()
                        .map(|r| {
                            r.strings
                                .iter()
                                .map(|s| String::from_utf8_lossy(s).into_owned())
                                .collect()
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn shard_name(shard: &Shard) -> String {
    shard
        .path()
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
