//! Property tests: parse never panics, and spans and error positions stay
//! inside the input on character boundaries.

use proptest::prelude::*;
use quarry_query::{parse, Expr};

fn check_spans(input: &str, expr: &Expr) -> Result<(), TestCaseError> {
    match expr {
        Expr::Pattern(p) => {
            prop_assert!(
                p.span.start <= p.span.end && p.span.end <= input.len(),
                "span {:?}",
                p.span
            );
            prop_assert!(
                input.is_char_boundary(p.span.start) && input.is_char_boundary(p.span.end)
            );
        }
        Expr::And(items) | Expr::Or(items) => {
            prop_assert!(items.len() >= 2);
            for item in items {
                prop_assert!(*item != Expr::All);
                check_spans(input, item)?;
            }
        }
        Expr::Not(inner) => check_spans(input, inner)?,
        _ => {}
    }
    Ok(())
}

fn check(input: &str) -> Result<(), TestCaseError> {
    match parse(input) {
        Ok(q) => check_spans(input, &q.expr)?,
        Err(e) => {
            prop_assert!(e.offset + e.len <= input.len());
            prop_assert!(
                input.is_char_boundary(e.offset) && input.is_char_boundary(e.offset + e.len)
            );
            prop_assert!(!e.message.is_empty());
            let _ = e.to_string();
        }
    }
    Ok(())
}

/// Pieces of query syntax, so random queries exercise the parser deeply.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("/".to_string()),
        Just("\\".to_string()),
        Just("-".to_string()),
        Just(" and ".to_string()),
        Just(" OR ".to_string()),
        Just("not ".to_string()),
        Just("repo:".to_string()),
        Just("-file:".to_string()),
        Just("content:".to_string()),
        Just("lang:go".to_string()),
        Just("case:yes".to_string()),
        Just("count:3".to_string()),
        Just("type:path".to_string()),
        Just("patterntype:regexp".to_string()),
        Just("patterntype:literal".to_string()),
        Just("patterntype:standard".to_string()),
        Just("has.file(".to_string()),
        Just("é".to_string()),
        Just("\u{3000}".to_string()),
        Just("[".to_string()),
        Just("|".to_string()),
        Just("*".to_string()),
        "[a-c]{1,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_strings(input in "\\PC{0,40}") {
        check(&input)?;
    }

    #[test]
    fn syntax_soup(pieces in prop::collection::vec(piece(), 0..24)) {
        check(&pieces.concat())?;
    }
}
