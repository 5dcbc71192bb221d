//! Turns a parsed query into a program: compiled regexes, n-gram conditions, and the boolean
//! tree evaluated per document.

use crate::cond::Cond;
use crate::pattern::{compile, Pattern, PatternError};
use crate::plan::{condition, required_literals};
use quarry_index::Field;
use quarry_query::{Expr, Query, SearchType};

#[derive(Clone, Debug)]
pub(crate) enum Node {
    True,
    False,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Atom(usize),
    Repo(usize),
    File(usize),
    Lang(u16),
}

/// Strings one of which every match contains (folded, for rarity estimates), and a searcher
/// for them: a regex of the alternatives, so that the regex engine picks its fastest literal
/// strategy (memmem, Teddy, ...) with the pattern's own case sensitivity.
#[derive(Debug)]
pub(crate) struct Required {
    pub strings: Vec<Vec<u8>>,
    pub finder: regex_automata::meta::Regex,
}

/// One search pattern, matched against content, path, or either.
#[derive(Debug)]
pub(crate) struct Atom {
    pub source: String,
    pub content: Option<(Pattern, Cond)>,
    /// For line-bound patterns: literal sets, one of which verification can look for first
    /// and then run the regex only on the lines that contain it.
    pub required: Vec<Required>,
    pub path: Option<(Pattern, Cond)>,
    /// Its matches are shown (it is not under a NOT).
    pub positive: bool,
}

#[derive(Debug)]
pub(crate) struct Program {
    pub node: Node,
    pub atoms: Vec<Atom>,
    pub repos: Vec<Pattern>,
    pub files: Vec<(Pattern, Cond)>,
}

pub(crate) fn compile_query(q: &Query) -> Result<Program, PatternError> {
    let mut p = Program {
        node: Node::True,
        atoms: Vec::new(),
        repos: Vec::new(),
        files: Vec::new(),
    };
    p.node = lower(&q.expr, q, &mut p, true)?;
    Ok(p)
}

fn lower(e: &Expr, q: &Query, p: &mut Program, positive: bool) -> Result<Node, PatternError> {
    let ci = !q.case_sensitive;
    Ok(match e {
        Expr::All => Node::True,
        Expr::And(v) => Node::And(
            v.iter()
                .map(|e| lower(e, q, p, positive))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Node::Or(
            v.iter()
                .map(|e| lower(e, q, p, positive))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(e) => Node::Not(Box::new(lower(e, q, p, !positive)?)),
        Expr::Pattern(pat) => {
            let compiled = compile(&pat.regex, ci)?;
            let on_content = !matches!(q.search_type, SearchType::Path);
            let on_path = !pat.content_only && !matches!(q.search_type, SearchType::File);
            let with_cond = |field| {
                let cond = condition(&compiled.hir, field);
                (compiled.clone(), cond)
            };
            let required = if on_content && !compiled.multiline {
                // Exact strings for the finder (its regex applies the case rule), folded
                // ones for the rarity estimate from the index.
                let exact = required_literals(&compiled.hir, ci);
                let folded = required_literals(&compiled.hir, true);
                exact
                    .into_iter()
                    .zip(folded)
                    .filter_map(|(set, folded)| {
                        let alternatives: Vec<String> = set
                            .iter()
                            .map(|s| std::str::from_utf8(s).ok().map(regex_syntax::escape))
                            .collect::<Option<_>>()?;
                        let finder = regex_automata::meta::Regex::builder()
                            .syntax(
                                regex_automata::util::syntax::Config::new().case_insensitive(ci),
                            )
                            .build(&alternatives.join("|"))
                            .ok()?;
                        Some(Required {
                            strings: folded.into_iter().collect(),
                            finder,
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            p.atoms.push(Atom {
                required,
                source: pat.regex.clone(),
                content: on_content.then(|| with_cond(Field::Content)),
                path: on_path.then(|| with_cond(Field::Path)),
                positive,
            });
            Node::Atom(p.atoms.len() - 1)
        }
        Expr::Repo(re) => {
            p.repos.push(compile(re, ci)?);
            Node::Repo(p.repos.len() - 1)
        }
        Expr::File(re) => {
            let compiled = compile(re, ci)?;
            let cond = condition(&compiled.hir, Field::Path);
            p.files.push((compiled, cond));
            Node::File(p.files.len() - 1)
        }
        Expr::Lang(id) => Node::Lang(*id),
    })
}

impl Program {
    /// Resolves repository filters for one shard's repository and folds constants, so that a
    /// shard that cannot match is skipped without touching its index.
    pub fn for_repo(&self, node: &Node, repo: &str) -> Node {
        match node {
            Node::Repo(i) => bool_node(self.repos[*i].regex.is_match(repo.as_bytes())),
            Node::And(v) => {
                let mut out = Vec::new();
                for n in v {
                    match self.for_repo(n, repo) {
                        Node::False => return Node::False,
                        Node::True => {}
                        n => out.push(n),
                    }
                }
                match out.len() {
                    0 => Node::True,
                    1 => out.pop().expect("one"),
                    _ => Node::And(out),
                }
            }
            Node::Or(v) => {
                let mut out = Vec::new();
                for n in v {
                    match self.for_repo(n, repo) {
                        Node::True => return Node::True,
                        Node::False => {}
                        n => out.push(n),
                    }
                }
                match out.len() {
                    0 => Node::False,
                    1 => out.pop().expect("one"),
                    _ => Node::Or(out),
                }
            }
            Node::Not(n) => match self.for_repo(n, repo) {
                Node::True => Node::False,
                Node::False => Node::True,
                n => Node::Not(Box::new(n)),
            },
            other => other.clone(),
        }
    }

    /// The n-gram condition a document must satisfy for `node` to possibly hold.
    pub fn cond(&self, node: &Node) -> Cond {
        match node {
            Node::True | Node::Not(_) | Node::Lang(_) | Node::Repo(_) => Cond::All,
            Node::False => Cond::None,
            Node::And(v) => v.iter().fold(Cond::All, |c, n| c.and(self.cond(n))),
            Node::Or(v) => v.iter().fold(Cond::None, |c, n| c.or(self.cond(n))),
            Node::Atom(i) => {
                let a = &self.atoms[*i];
                let side =
                    |s: &Option<(Pattern, Cond)>| s.as_ref().map_or(Cond::None, |(_, c)| c.clone());
                side(&a.content).or(side(&a.path))
            }
            Node::File(i) => self.files[*i].1.clone(),
        }
    }
}

fn bool_node(b: bool) -> Node {
    if b {
        Node::True
    } else {
        Node::False
    }
}
