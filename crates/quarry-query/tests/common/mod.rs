//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use quarry_query::{parse, Query};

/// Parse or panic with the rendered error.
pub fn ok(q: &str) -> Query {
    parse(q).unwrap_or_else(|e| panic!("query {q:?} failed:\n{e}"))
}

/// The query tree as a compact S-expression.
pub fn tree(q: &str) -> String {
    ok(q).expr.to_string()
}

/// Assert each (query, tree) pair.
pub fn check_trees(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (q, want) in cases {
        match parse(q) {
            Ok(query) => {
                let got = query.expr.to_string();
                if got != *want {
                    failures.push(format!("{q:?}\n   want {want}\n    got {got}"));
                }
            }
            Err(e) => failures.push(format!("{q:?}\n   want {want}\n    got error:\n{e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn lang_id(name: &str) -> u16 {
    quarry_lang::by_name(name).expect("known language").id
}
