//! The planner's promise: the n-gram condition of a pattern never rejects a text the pattern
//! matches. Checked on random regexes and random texts over a small alphabet (so that matches
//! are frequent), with case-insensitive variants and non-ASCII case-folding characters.

use proptest::prelude::*;
use quarry_index::grams::{fold, pack};
use quarry_index::Field;
use quarry_search::pattern::compile;
use quarry_search::plan::condition;

fn regex_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => "[abck_ ]{1,4}".prop_map(|s| s),
        1 => Just("A".to_string()),
        1 => Just("K".to_string()),
        1 => Just("ſ".to_string()),
        1 => Just("\u{212A}".to_string()),
        1 => Just(".".to_string()),
        1 => Just(r"\w".to_string()),
        1 => Just(r"\s".to_string()),
        1 => Just(r"\n".to_string()),
        1 => Just("[ab]".to_string()),
        1 => Just("[^a]".to_string()),
        1 => Just("[a-c]".to_string()),
        1 => Just(r"\b".to_string()),
        1 => Just("^".to_string()),
        1 => Just("$".to_string()),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 2..3).prop_map(|v| format!("(?:{})", v.join("|"))),
            (
                inner.clone(),
                prop_oneof![
                    Just("*"),
                    Just("+"),
                    Just("?"),
                    Just("{2}"),
                    Just("{1,3}"),
                    Just("{3,}")
                ]
            )
                .prop_map(|(r, op)| format!("(?:{r}){op}")),
            inner.prop_map(|r| format!("({r})")),
        ]
    })
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('a'),
            Just('b'),
            Just('c'),
            Just('k'),
            Just('A'),
            Just('B'),
            Just('K'),
            Just('_'),
            Just(' '),
            Just('\n'),
            Just('s'),
            Just('S'),
            Just('ſ'),
            Just('\u{212A}')
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn has_gram(text: &[u8], g: u32) -> bool {
    text.windows(3)
        .any(|w| pack(fold(w[0]), fold(w[1]), fold(w[2])) == g)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn condition_never_rejects_a_match(re in regex_strategy(), text in text_strategy(), ci in any::<bool>()) {
        let Ok(pattern) = compile(&re, ci) else { return Ok(()) };
        if pattern.regex.is_match(text.as_bytes()) {
            let cond = condition(&pattern.hir, Field::Content);
            prop_assert!(
                cond.eval(&|_, g| has_gram(text.as_bytes(), g)),
                "pattern {re:?} (case-insensitive: {ci}) matches {text:?} but its plan {} rejects it",
                cond.describe()
            );
        }
    }

    #[test]
    fn literal_plans_are_selective(word in "[a-z_]{3,12}") {
        // A literal of three or more characters always yields n-grams: no full scan.
        let pattern = compile(&regex_syntax::escape(&word), true).unwrap();
        let cond = condition(&pattern.hir, Field::Content);
        prop_assert!(cond != quarry_search::cond::Cond::All, "{word}: {}", cond.describe());
        prop_assert!(cond.eval(&|_, g| has_gram(word.as_bytes(), g)));
    }
}
