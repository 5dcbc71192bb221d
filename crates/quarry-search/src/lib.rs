//! quarry's search engine: compiles a parsed query (see `quarry-query`) into regexes and
//! n-gram conditions, finds candidate documents in each shard's posting lists, verifies every
//! candidate with the regex engine line by line (so results are exactly grep's), and ranks.
//!
//! Shards are searched in parallel; each shard's results can be consumed as soon as that shard
//! is done ([`Searcher::search_streaming`]), which is what the server streams.

mod compile;
pub mod cond;
mod exec;
mod explain;
pub mod lines;
mod measure;
pub mod pattern;
pub mod plan;
mod rank;
pub mod trace;

pub use lines::LineMatch;
pub use measure::{describe_metrics, parse_query};
pub use pattern::PatternError;
pub use trace::SearchTrace;

use compile::compile_query;
use exec::{search_shard, Budget, ShardReport};
use quarry_index::{IndexError, Shard};
use quarry_query::{Count, Query, Select};
use rayon::prelude::*;
use serde::Serialize;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One file's results.
#[derive(Clone, Debug, Serialize)]
pub struct FileMatch {
    pub repo: Arc<str>,
    pub path: String,
    pub language: Option<&'static str>,
    /// Matching lines, in line order. Empty for a match on the path only.
    pub lines: Vec<LineMatch>,
    /// Byte ranges of pattern matches in `path`.
    pub path_ranges: Vec<Range<usize>>,
    /// Set when the file's content is not indexed (it can only match by path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    pub score: f64,
    #[serde(skip)]
    pub order: (usize, u32),
    #[serde(skip)]
    pub flags: u8,
}

impl FileMatch {
    /// How much of the result limit this file uses: its matching lines, or one for a path match.
    pub fn match_count(&self) -> usize {
        self.lines.len().max(1)
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SearchStats {
    pub shards: usize,
    pub shards_skipped: usize,
    pub ngram_lookups: usize,
    pub docs_verified: usize,
    pub files_matched: usize,
}

impl SearchStats {
    fn add(&mut self, o: &SearchStats) {
        self.shards += o.shards;
        self.shards_skipped += o.shards_skipped;
        self.ngram_lookups += o.ngram_lookups;
        self.docs_verified += o.docs_verified;
        self.files_matched += o.files_matched;
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SearchResults {
    /// Ranked, best first; at most `limit` matches in total.
    pub files: Vec<FileMatch>,
    /// With `select:repo`, the distinct repositories of the matches, best first.
    pub repos: Vec<String>,
    pub match_count: usize,
    /// Set when more results exist than were returned (raise `count:` to see them).
    pub limit_hit: bool,
    /// Set when the search stopped at its time limit (raise `timeout:` to search longer).
    pub timed_out: bool,
    pub stats: SearchStats,
    /// The n-gram condition of each pattern, for explaining a query.
    pub plan: Vec<String>,
    pub duration: Duration,
    /// Shards that could not be searched (corrupt or vanished files), with the cause.
    pub errors: Vec<String>,
    /// Set by [`Searcher::search_traced`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<SearchTrace>,
}

#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Result limit when the query has no `count:`.
    pub default_limit: usize,
    /// Time limit when the query has no `timeout:`.
    pub default_timeout: Duration,
    /// Longest time limit a query's `timeout:` may ask for (longer ones are cut to it), so
    /// that one user cannot hold a search slot for an hour. `None`: no cap.
    pub max_timeout: Option<Duration>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            default_limit: 500,
            default_timeout: Duration::from_secs(10),
            max_timeout: None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn revision_globs() {
        use super::glob_match;
        assert!(glob_match(b"release/*", b"release/1.0"));
        assert!(glob_match(b"main", b"main"));
        assert!(!glob_match(b"main", b"maint"));
        assert!(glob_match(b"*", b""));
        assert!(!glob_match(b"v*x", b"v1.0"));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
}

/// The shards of one shard's search, handed out as soon as the shard is done.
pub struct ShardResults<'a> {
    pub repo: &'a str,
    pub files: &'a [FileMatch],
}

pub struct Searcher {
    shards: Vec<Arc<Shard>>,
}

impl Searcher {
    pub fn new(shards: Vec<Arc<Shard>>) -> Self {
        Searcher { shards }
    }

    pub fn shards(&self) -> &[Arc<Shard>] {
        &self.shards
    }

    pub fn search(
        &self,
        query: &Query,
        opts: &SearchOptions,
    ) -> Result<SearchResults, SearchError> {
        self.run(query, opts, &|_| {}, false)
    }

    /// Searches every shard in parallel, calling `on_shard` with each shard's matches as it
    /// finishes, and returns the merged, ranked and limited results.
    pub fn search_streaming(
        &self,
        query: &Query,
        opts: &SearchOptions,
        on_shard: &(dyn Fn(ShardResults) + Sync),
    ) -> Result<SearchResults, SearchError> {
        self.run(query, opts, on_shard, false)
    }

    /// As [`Searcher::search_streaming`], and sets [`SearchResults::trace`]: the plan, stage
    /// timings and counts of this search.
    pub fn search_traced(
        &self,
        query: &Query,
        opts: &SearchOptions,
        on_shard: &(dyn Fn(ShardResults) + Sync),
    ) -> Result<SearchResults, SearchError> {
        self.run(query, opts, on_shard, true)
    }

    fn run(
        &self,
        query: &Query,
        opts: &SearchOptions,
        on_shard: &(dyn Fn(ShardResults) + Sync),
        trace: bool,
    ) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        let span = tracing::info_span!("search", shards = self.shards.len());
        let _entered = span.enter();
        let program = tracing::info_span!("plan").in_scope(|| compile_query(query))?;
        let planned = Instant::now();
        let limit = match query.count {
            Count::Default => opts.default_limit,
            Count::Limit(n) => n,
            Count::All => usize::MAX,
        };
        let asked = query.timeout.unwrap_or(opts.default_timeout);
        let timeout = opts.max_timeout.map_or(asked, |max| asked.min(max));
        let budget = Budget {
            limit,
            found: AtomicUsize::new(0),
            deadline: started + timeout,
            timed_out: AtomicBool::new(false),
            limit_hit: AtomicBool::new(false),
        };
        let errors = Mutex::new(Vec::new());
        let selected: Vec<(usize, &Arc<Shard>)> = self
            .shards
            .iter()
            .enumerate()
            .filter(|(_, shard)| revision_selected(shard, &query.revs))
            .collect();
        let per_shard: Vec<ShardRun> = selected
            .par_iter()
            .map(|&(i, shard)| {
                let t = Instant::now();
                match search_shard(shard, i, &program, &budget, trace, &span) {
                    Ok((files, stats, report)) => {
                        let took = t.elapsed();
                        on_shard(ShardResults {
                            repo: shard.repo(),
                            files: &files,
                        });
                        (i, files, stats, report, took)
                    }
                    Err(e) => {
                        errors
                            .lock()
                            .expect("not poisoned")
                            .push(shard_error(shard, e));
                        let stats = SearchStats::default();
                        (i, Vec::new(), stats, ShardReport::default(), t.elapsed())
                    }
                }
            })
            .collect();
        let searched = Instant::now();
        let merge = tracing::info_span!("merge").entered();
        let mut results = SearchResults::default();
        let mut files = Vec::new();
        let mut reports = Vec::with_capacity(per_shard.len());
        for (i, f, s, report, took) in per_shard {
            files.extend(f);
            results.stats.add(&s);
            reports.push((i, report, s, took));
        }
        files.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.order.cmp(&b.order)));
        let mut total = 0;
        for mut f in files {
            if total >= limit {
                results.limit_hit = true;
                break;
            }
            if total + f.match_count() > limit {
                f.lines.truncate(limit - total);
                results.limit_hit = true;
            }
            total += f.match_count();
            results.files.push(f);
        }
        results.match_count = total;
        results.limit_hit |= budget.limit_hit.load(Ordering::Relaxed);
        results.timed_out = budget.timed_out.load(Ordering::Relaxed);
        results.plan = program
            .atoms
            .iter()
            .map(|a| {
                let c = a
                    .content
                    .as_ref()
                    .map(|(_, c)| c.describe())
                    .unwrap_or_default();
                format!("{}: {}", a.source, c)
            })
            .collect();
        results.errors = errors.into_inner().expect("not poisoned");
        match query.select {
            Some(Select::Repo) => {
                for f in &results.files {
                    if !results.repos.iter().any(|r| **r == *f.repo) {
                        results.repos.push(f.repo.to_string());
                    }
                }
            }
            Some(Select::File) => {
                for f in &mut results.files {
                    f.lines.clear();
                }
            }
            None => {}
        }
        drop(merge);
        let done = Instant::now();
        results.duration = done - started;
        let times = explain::Times {
            plan: planned - started,
            shards: searched - planned,
            merge: done - searched,
            total: results.duration,
        };
        measure::record(&times, &results.stats, &reports);
        if trace {
            let ctx = explain::Context {
                query,
                program: &program,
                shards: &self.shards,
                limit,
                timeout,
                stopped_early: budget.stopped_early(),
            };
            results.trace = Some(explain::build(&ctx, &times, &results, reports));
        }
        Ok(results)
    }
}

/// One shard's outcome: its index, matches, counts, what it did and how long it took.
type ShardRun = (usize, Vec<FileMatch>, SearchStats, ShardReport, Duration);

/// Without `rev:`, a repository's default branch is searched; with it, the branches and tags it
/// names (`HEAD` being the default branch, `*` a wildcard).
fn revision_selected(shard: &Shard, revs: &[String]) -> bool {
    let meta = shard.meta();
    if revs.is_empty() {
        return meta.default_branch;
    }
    revs.iter().any(|r| {
        (r == "HEAD" && meta.default_branch) || glob_match(r.as_bytes(), meta.branch.as_bytes())
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_match(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob_match(rest, &text[1..]),
    }
}

fn shard_error(shard: &Shard, e: IndexError) -> String {
    format!(
        "shard {} of repository {}: {e}",
        shard.path().display(),
        shard.repo()
    )
}
