//! Searching one shard: candidates from posting lists, then verification document by document.

use crate::compile::{Node, Program};
use crate::cond::Cond;
use crate::lines::to_lines;
use crate::rank::score;
use crate::trace::GramSizes;
use crate::{FileMatch, SearchStats};
use quarry_index::{Doc, IndexError, Shard};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Below this many candidates, intersecting more posting lists costs more than verifying.
const ENOUGH_CANDIDATES: usize = 8;

/// Shared across the shards of one search: how many results were found, and when to stop.
pub(crate) struct Budget {
    pub limit: usize,
    pub found: AtomicUsize,
    pub deadline: Instant,
    pub timed_out: AtomicBool,
    pub limit_hit: AtomicBool,
}

impl Budget {
    fn exhausted(&self) -> bool {
        if self.found.load(Ordering::Relaxed) >= self.limit {
            self.limit_hit.store(true, Ordering::Relaxed);
            return true;
        }
        if self.timed_out.load(Ordering::Relaxed) {
            return true;
        }
        if Instant::now() >= self.deadline {
            self.timed_out.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Why shards stopped before verifying all their candidates, if they did.
    pub fn stopped_early(&self) -> Option<&'static str> {
        if self.timed_out.load(Ordering::Relaxed) {
            Some("timeout")
        } else if self.limit_hit.load(Ordering::Relaxed) {
            Some("limit")
        } else {
            None
        }
    }
}

/// What one shard's search did, for metrics and traces.
#[derive(Default)]
pub(crate) struct ShardReport {
    pub candidates: usize,
    pub lines: usize,
    pub postings: Duration,
    pub verify: Duration,
    /// Posting-list sizes, collected only when the search is traced.
    pub grams: Option<GramSizes>,
}

pub(crate) fn search_shard(
    shard: &Shard,
    shard_index: usize,
    program: &Program,
    budget: &Budget,
    trace: bool,
    parent: &tracing::Span,
) -> Result<(Vec<FileMatch>, SearchStats, ShardReport), IndexError> {
    let span = tracing::info_span!(
        parent: parent,
        "search_shard",
        repo = shard.repo(),
        shard = %shard.path().file_name().unwrap_or_default().to_string_lossy(),
        candidates = tracing::field::Empty,
        matched = tracing::field::Empty,
    );
    let _entered = span.enter();
    let mut stats = SearchStats {
        shards: 1,
        ..Default::default()
    };
    let mut report = ShardReport {
        grams: trace.then(GramSizes::default),
        ..Default::default()
    };
    let node = program.for_repo(&program.node, shard.repo());
    if matches!(node, Node::False) {
        stats.shards_skipped = 1;
        return Ok((Vec::new(), stats, report));
    }
    let started = Instant::now();
    let cond = program.cond(&node);
    let candidates = candidates(shard, &cond, &mut stats, report.grams.as_mut())?;
    let finders = choose_finders(shard, program);
    report.candidates = candidates
        .as_ref()
        .map_or(shard.doc_count() as usize, Vec::len);
    let verifying = Instant::now();
    report.postings = verifying - started;
    let repo: Arc<str> = Arc::from(shard.repo());
    let mut out = Vec::new();
    let ids: Box<dyn Iterator<Item = u32>> = match candidates {
        Some(ids) => Box::new(ids.into_iter()),
        None => Box::new(0..shard.doc_count()),
    };
    for id in ids {
        if budget.exhausted() {
            break;
        }
        stats.docs_verified += 1;
        let doc = shard.doc(id);
        let mut eval = DocEval::new(program, doc, &finders);
        if !eval.holds(&node) {
            continue;
        }
        let m = eval.into_match(&repo, shard_index);
        if m.lines.is_empty()
            && m.path_ranges.is_empty()
            && program.atoms.iter().any(|a| a.positive)
        {
            // Only negated patterns held in a file with none of the positive ones: not a result.
            continue;
        }
        budget.found.fetch_add(m.match_count(), Ordering::Relaxed);
        stats.files_matched += 1;
        report.lines += m.lines.len();
        out.push(m);
    }
    report.verify = verifying.elapsed();
    span.record("candidates", report.candidates);
    span.record("matched", stats.files_matched);
    Ok((out, stats, report))
}

/// For each atom, the required literal set that is rarest in this shard (by the posting-list
/// size of its strings' rarest trigram), whose occurrences pick the lines to verify.
fn choose_finders(shard: &Shard, program: &Program) -> Vec<Option<usize>> {
    use quarry_index::grams::{pack, Gram};
    let rarity = |s: &[u8]| -> usize {
        s.windows(3)
            .map(|w| -> Gram { pack(w[0], w[1], w[2]) })
            .map(|g| shard.posting_size(quarry_index::Field::Content, g))
            .min()
            .unwrap_or(usize::MAX)
    };
    program
        .atoms
        .iter()
        .map(|a| {
            a.required
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| {
                    r.strings
                        .iter()
                        .map(|s| rarity(s))
                        .fold(0usize, usize::saturating_add)
                })
                .map(|(i, _)| i)
        })
        .collect()
}

/// Evaluates a condition to candidate document ids, or `None` for "every document".
fn candidates(
    shard: &Shard,
    cond: &Cond,
    stats: &mut SearchStats,
    mut grams: Option<&mut GramSizes>,
) -> Result<Option<Vec<u32>>, IndexError> {
    Ok(match cond {
        Cond::All => None,
        Cond::None => Some(Vec::new()),
        Cond::Gram(field, g) => {
            stats.ngram_lookups += 1;
            let mut ids = Vec::new();
            shard.postings(*field, *g, &mut ids)?;
            if let Some(sizes) = grams {
                sizes.read(*field, *g, ids.len());
            }
            Some(ids)
        }
        Cond::And(children) => {
            // Cheapest first: single grams by posting size, composite conditions after.
            let mut order: Vec<(usize, &Cond)> = children
                .iter()
                .map(|c| match c {
                    Cond::Gram(f, g) => {
                        let size = shard.posting_size(*f, *g);
                        if let Some(sizes) = grams.as_deref_mut() {
                            sizes.seen(*f, *g, size);
                        }
                        (size, c)
                    }
                    _ => (usize::MAX, c),
                })
                .collect();
            order.sort_by_key(|(size, _)| *size);
            let mut acc: Option<Vec<u32>> = None;
            for (_, c) in order {
                if acc.as_ref().is_some_and(|a| a.len() <= ENOUGH_CANDIDATES) {
                    break;
                }
                if let Some(ids) = candidates(shard, c, stats, grams.as_deref_mut())? {
                    acc = Some(match acc {
                        None => ids,
                        Some(a) => intersect(&a, &ids),
                    });
                }
            }
            acc
        }
        Cond::Or(children) => {
            let mut acc = Vec::new();
            for c in children {
                match candidates(shard, c, stats, grams.as_deref_mut())? {
                    None => return Ok(None),
                    Some(ids) => acc = union(&acc, &ids),
                }
            }
            Some(acc)
        }
    })
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i] < b[j]) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
            j += 1;
        }
    }
    out
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// An atom's match ranges in a document's content and in its path.
type Hits = (Vec<Range<usize>>, Vec<Range<usize>>);

/// Lazily computed matches of each atom in one document.
struct DocEval<'a> {
    program: &'a Program,
    finders: &'a [Option<usize>],
    doc: Doc<'a>,
    /// Content without a UTF-8 byte order mark, which grep tools do not treat as text.
    text: &'a [u8],
    hits: Vec<Option<Hits>>,
}

impl<'a> DocEval<'a> {
    fn new(program: &'a Program, doc: Doc<'a>, finders: &'a [Option<usize>]) -> Self {
        let text = doc.content.strip_prefix(UTF8_BOM).unwrap_or(doc.content);
        DocEval {
            program,
            finders,
            doc,
            text,
            hits: vec![None; program.atoms.len()],
        }
    }

    fn holds(&mut self, node: &Node) -> bool {
        match node {
            Node::True => true,
            Node::False => false,
            Node::And(v) => v.iter().all(|n| self.holds(n)),
            Node::Or(v) => v.iter().any(|n| self.holds(n)),
            Node::Not(n) => !self.holds(n),
            // Resolved per shard; a leftover means "no repository filter applies here".
            Node::Repo(_) => true,
            Node::Lang(id) => self.doc.record.lang == *id,
            Node::File(i) => self.program.files[*i].0.regex.is_match(self.doc.path),
            Node::Atom(i) => {
                let (content, path) = self.atom_hits(*i);
                !content.is_empty() || !path.is_empty()
            }
        }
    }

    fn atom_hits(&mut self, i: usize) -> &Hits {
        if self.hits[i].is_none() {
            let atom = &self.program.atoms[i];
            let content = match &atom.content {
                Some((p, _)) if self.doc.record.skip == 0 && self.finders[i].is_some() => {
                    let finder = &atom.required[self.finders[i].expect("checked")].finder;
                    lines_containing(self.text, finder, &p.regex)
                }
                Some((p, _)) if self.doc.record.skip == 0 => {
                    let text = self.text;
                    // grep sees no line after a final newline (nor any line in an empty
                    // file), so an empty match there is no match.
                    let phantom = text.is_empty() || text.ends_with(b"\n");
                    p.regex
                        .find_iter(text)
                        .map(|m| m.range())
                        .filter(|r| !(phantom && r.start == text.len()))
                        .collect()
                }
                _ => Vec::new(),
            };
            let path = match &atom.path {
                Some((p, _)) => p
                    .regex
                    .find_iter(self.doc.path)
                    .map(|m| m.range())
                    .filter(|r| !r.is_empty())
                    .collect(),
                None => Vec::new(),
            };
            self.hits[i] = Some((content, path));
        }
        self.hits[i].as_ref().expect("computed above")
    }

    fn into_match(mut self, repo: &Arc<str>, shard_index: usize) -> FileMatch {
        let (mut content, mut path) = (Vec::new(), Vec::new());
        for (i, atom) in self.program.atoms.iter().enumerate() {
            if atom.positive {
                let (c, p) = self.atom_hits(i);
                content.extend(c.iter().cloned());
                path.extend(p.iter().cloned());
            }
        }
        content.sort_by_key(|r| (r.start, r.end));
        path.sort_by_key(|r| (r.start, r.end));
        path.dedup();
        let lines = to_lines(self.text, &content);
        let rec = self.doc.record;
        let mut m = FileMatch {
            repo: repo.clone(),
            path: self.doc.path_str().into_owned(),
            language: quarry_lang::by_id(rec.lang).map(|l| l.name),
            lines,
            path_ranges: path,
            skipped: self.doc.skip_reason().map(|r| r.describe()),
            score: 0.0,
            order: (shard_index, self.doc.id),
            flags: rec.flags,
        };
        m.score = score(&m);
        m
    }
}

/// Matches of `regex` on the lines where `finder` finds one of its strings. Sound because
/// every match lies within one line and contains one of the strings; much faster than running
/// the regex over the whole text when the strings are rarer than the regex's own prefilter.
fn lines_containing(
    text: &[u8],
    finder: &regex_automata::meta::Regex,
    regex: &regex_automata::meta::Regex,
) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let Some(m) = finder.find(regex_automata::Input::new(text).span(pos..text.len())) else {
            break;
        };
        let start = memchr::memrchr(b'\n', &text[..m.start()]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &text[m.end()..]).map_or(text.len(), |i| m.end() + i);
        out.extend(
            regex
                .find_iter(&text[start..end])
                .map(|r| r.start() + start..r.end() + start),
        );
        pos = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_verification_finds_what_the_whole_text_search_finds() {
        let pattern = crate::pattern::compile(r"\bstruct\b.*\bfor\b.*while", true).unwrap();
        let text = b"struct a for b while\nno struct here\nSTRUCT x FOR y WHILE z\nwhile for struct\nstruct for while";
        let finder = regex_automata::meta::Regex::new("(?i)while").unwrap();
        let fast = lines_containing(text, &finder, &pattern.regex);
        let slow: Vec<Range<usize>> = pattern
            .regex
            .find_iter(&text[..])
            .map(|m| m.range())
            .collect();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 3);
    }

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        assert_eq!(union(&[1, 5], &[2, 5, 9]), vec![1, 2, 5, 9]);
        assert_eq!(union(&[], &[2]), vec![2]);
    }
}
