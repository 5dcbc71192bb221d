//! The n-gram condition a document must satisfy to possibly match: an AND/OR tree of trigrams.

use quarry_index::grams::{fold, pack, Gram};
use quarry_index::Field;
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cond {
    /// Every document may match (no usable n-grams).
    All,
    /// No document can match.
    None,
    Gram(Field, Gram),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    pub fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::All, x) | (x, Cond::All) => x,
            (Cond::None, _) | (_, Cond::None) => Cond::None,
            (Cond::And(mut a), Cond::And(b)) => {
                a.extend(b);
                dedup(Cond::And(a))
            }
            (Cond::And(mut a), x) | (x, Cond::And(mut a)) => {
                a.push(x);
                dedup(Cond::And(a))
            }
            (a, b) if a == b => a,
            (a, b) => Cond::And(vec![a, b]),
        }
    }

    pub fn or(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::None, x) | (x, Cond::None) => x,
            (Cond::All, _) | (_, Cond::All) => Cond::All,
            (Cond::Or(mut a), Cond::Or(b)) => {
                a.extend(b);
                dedup(Cond::Or(a))
            }
            (Cond::Or(mut a), x) | (x, Cond::Or(mut a)) => {
                a.push(x);
                dedup(Cond::Or(a))
            }
            (a, b) if a == b => a,
            (a, b) => Cond::Or(vec![a, b]),
        }
    }

    /// AND of the trigrams of one string (already folded); `All` if it is shorter than 3.
    pub fn of_string(field: Field, s: &[u8]) -> Cond {
        let grams: BTreeSet<Gram> = s.windows(3).map(|w| pack(w[0], w[1], w[2])).collect();
        grams
            .into_iter()
            .fold(Cond::All, |c, g| c.and(Cond::Gram(field, g)))
    }

    /// OR over the strings of AND of each string's trigrams; `All` if any string is shorter
    /// than 3 bytes (that alternative constrains nothing).
    pub fn of_set(field: Field, set: &BTreeSet<Vec<u8>>) -> Cond {
        if set.is_empty() || set.iter().any(|s| s.len() < 3) {
            return Cond::All;
        }
        set.iter()
            .fold(Cond::None, |c, s| c.or(Cond::of_string(field, s)))
    }

    /// Evaluates the condition against the set of trigrams present in a text (for tests).
    pub fn eval(&self, present: &dyn Fn(Field, Gram) -> bool) -> bool {
        match self {
            Cond::All => true,
            Cond::None => false,
            Cond::Gram(f, g) => present(*f, *g),
            Cond::And(v) => v.iter().all(|c| c.eval(present)),
            Cond::Or(v) => v.iter().any(|c| c.eval(present)),
        }
    }

    /// A short human-readable rendering, for query plans shown to users.
    pub fn describe(&self) -> String {
        match self {
            Cond::All => "ALL".into(),
            Cond::None => "NONE".into(),
            Cond::Gram(f, g) => {
                let b = [(g >> 16) as u8, (g >> 8) as u8, *g as u8];
                let prefix = if *f == Field::Path { "path:" } else { "" };
                format!("{prefix}{:?}", String::from_utf8_lossy(&b))
            }
            Cond::And(v) => format!(
                "({})",
                v.iter()
                    .map(Cond::describe)
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
            Cond::Or(v) => format!(
                "({})",
                v.iter()
                    .map(Cond::describe)
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
        }
    }
}

fn dedup(c: Cond) -> Cond {
    let (is_and, mut v) = match c {
        Cond::And(v) => (true, v),
        Cond::Or(v) => (false, v),
        other => return other,
    };
    v.sort();
    v.dedup();
    match (v.len(), is_and) {
        (1, _) => v.pop().expect("one element"),
        (_, true) => Cond::And(v),
        (_, false) => Cond::Or(v),
    }
}

/// Folds a byte string the way the index does.
pub fn fold_bytes(s: &[u8]) -> Vec<u8> {
    s.iter().map(|&b| fold(b)).collect()
}
