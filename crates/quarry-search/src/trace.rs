//! What one search did and how long each part took (`trace=1`). Everything here is measured
//! during that search; nothing is estimated afterwards.

use crate::cond::Cond;
use quarry_index::grams::Gram;
use quarry_index::Field;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchTrace {
    /// Wall-clock time of the whole search (with parsing, once the caller adds it).
    pub total_ms: f64,
    /// The stages in the order they ran; they do not overlap, so they add up to at most
    /// `total_ms`.
    pub stages: Vec<Stage>,
    /// Time spent inside the shards, summed over shards: they run in parallel, so these can
    /// exceed the `shards` stage.
    pub shard_work: ShardWork,
    pub plan: Plan,
    pub shards: ShardCounts,
    /// Files the posting lists left to verify (every file of a shard when the plan is `ALL`).
    pub candidate_files: usize,
    /// Candidates whose content the regexes were run on.
    pub files_verified: usize,
    pub files_matched: usize,
    /// Matching lines found, before the result limit cut any.
    pub lines_matched: usize,
    /// Why shards stopped verifying candidates before the last one: `limit` or `timeout`.
    pub stopped_early: Option<&'static str>,
    /// The shards that took longest, slowest first (at most five).
    pub slowest_shards: Vec<ShardTiming>,
}

impl SearchTrace {
    /// Adds the parse stage, which the caller runs before the engine (see [`crate::parse_query`]).
    pub fn add_parse(&mut self, took: Duration) {
        self.stages.insert(0, Stage::new("parse", took));
        // Rounded as `ms` rounds, so that the sum shows no floating-point noise.
        self.total_ms = ((self.total_ms + ms(took)) * 1000.0).round() / 1000.0;
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub ms: f64,
}

impl Stage {
    pub(crate) fn new(name: &'static str, took: Duration) -> Self {
        Stage { name, ms: ms(took) }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardWork {
    /// Reading posting lists and intersecting them into candidates.
    pub postings_ms: f64,
    /// Running the regexes over candidates, and scoring the matches.
    pub verify_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The parsed query as an expression.
    pub query: String,
    pub case_sensitive: bool,
    /// The result limit (`null`: `count:all`).
    pub limit: Option<usize>,
    pub timeout_ms: u64,
    /// The n-gram condition candidates must satisfy, each n-gram with the size of its posting
    /// list summed over the searched shards (`not read` when enough candidates were left
    /// without it; `unused` when no searched shard needed it).
    pub condition: String,
    pub patterns: Vec<PatternPlan>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternPlan {
    pub pattern: String,
    /// The regex as compiled (line-bound, case folding spelled out).
    pub regex: String,
    /// N-gram condition on file content, if the pattern is matched against content.
    pub content: Option<String>,
    /// N-gram condition on paths, if the pattern is matched against paths.
    pub path: Option<String>,
    /// Literal sets verification looks for before running the regex on a line (one of each
    /// set occurs in every match).
    pub required: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardCounts {
    pub considered: usize,
    /// Not on a branch the query's `rev:` (or the default branch) selects.
    pub skipped_by_revision: usize,
    /// Their repository fails the query's `repo:` filters.
    pub skipped_by_repo: usize,
    pub searched: usize,
    /// Could not be read (see the response's errors).
    pub failed: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardTiming {
    pub repo: String,
    pub branch: String,
    pub shard: String,
    pub ms: f64,
    pub candidates: usize,
    pub verified: usize,
    pub matched: usize,
}

/// Posting-list sizes of the n-grams one search looked at, and whether it read them.
#[derive(Clone, Debug, Default)]
pub(crate) struct GramSizes(HashMap<(Field, Gram), (usize, bool)>);

impl GramSizes {
    pub fn seen(&mut self, field: Field, gram: Gram, size: usize) {
        self.0.entry((field, gram)).or_insert((size, false));
    }

    pub fn read(&mut self, field: Field, gram: Gram, size: usize) {
        self.0.insert((field, gram), (size, true));
    }

    pub fn merge(&mut self, other: GramSizes) {
        for (k, (size, read)) in other.0 {
            let e = self.0.entry(k).or_insert((0, false));
            e.0 += size;
            e.1 |= read;
        }
    }

    /// `cond` as `AND("foo" 12, OR(...))`, each n-gram with its posting-list size.
    pub fn describe(&self, cond: &Cond) -> String {
        let list = |op: &str, v: &[Cond]| {
            let items: Vec<String> = v.iter().map(|c| self.describe(c)).collect();
            format!("{op}({})", items.join(", "))
        };
        match cond {
            Cond::All => "ALL".into(),
            Cond::None => "NONE".into(),
            Cond::And(v) => list("AND", v),
            Cond::Or(v) => list("OR", v),
            Cond::Gram(f, g) => {
                let name = Cond::Gram(*f, *g).describe();
                match self.0.get(&(*f, *g)) {
                    Some((size, true)) => format!("{name} {}", thousands(*size)),
                    Some((size, false)) => format!("{name} {} not read", thousands(*size)),
                    None => format!("{name} unused"),
                }
            }
        }
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    // Microsecond precision is plenty and keeps the JSON short.
    (d.as_micros() as f64) / 1000.0
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_index::grams::pack;

    #[test]
    fn conditions_show_posting_sizes() {
        let (a, b, c) = (
            pack(b'a', b'b', b'c'),
            pack(b'b', b'c', b'd'),
            pack(b'x', b'y', b'z'),
        );
        let cond = Cond::And(vec![
            Cond::Gram(Field::Content, a),
            Cond::Or(vec![
                Cond::Gram(Field::Content, b),
                Cond::Gram(Field::Path, c),
            ]),
        ]);
        let mut sizes = GramSizes::default();
        sizes.read(Field::Content, a, 12_345);
        sizes.seen(Field::Content, b, 7);
        let mut other = GramSizes::default();
        other.read(Field::Content, a, 1);
        sizes.merge(other);
        assert_eq!(
            sizes.describe(&cond),
            r#"AND("abc" 12,346, OR("bcd" 7 not read, path:"xyz" unused))"#
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
