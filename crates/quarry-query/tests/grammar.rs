//! Operators, precedence, grouping, negation and the parentheses heuristics
//! (default keyword pattern type).

use crate::common;
use common::{check_trees, ok};
use quarry_query::{parse, Expr};

#[test]
fn precedence_and_grouping() {
    check_trees(&[
        ("foo", r#""foo""#),
        ("foo bar", r#"(and "foo" "bar")"#),
        ("foo or bar", r#"(or "foo" "bar")"#),
        ("foo AND bar", r#"(and "foo" "bar")"#),
        ("foo AnD bar", r#"(and "foo" "bar")"#),
        ("a and b or c and d", r#"(or (and "a" "b") (and "c" "d"))"#),
        ("foo or bar and baz", r#"(or "foo" (and "bar" "baz"))"#),
        ("a and (b or c) and d", r#"(and "a" (or "b" "c") "d")"#),
        ("a OR b Or c", r#"(or "a" "b" "c")"#),
        ("a AND b AND c", r#"(and "a" "b" "c")"#),
        ("(a or b) (c or d)", r#"(and (or "a" "b") (or "c" "d"))"#),
        ("((a or b))", r#"(or "a" "b")"#),
        ("foo or (bar and baz)", r#"(or "foo" (and "bar" "baz"))"#),
        ("(a or b)or c", r#"(or "a" "b" "c")"#),
        ("foo and(bar or baz)", r#"(and "foo" (or "bar" "baz"))"#),
        (
            "x (a or (b and (c or d)))",
            r#"(and "x" (or "a" (and "b" (or "c" "d"))))"#,
        ),
        ("  foo   bar  ", r#"(and "foo" "bar")"#),
    ]);
}

#[test]
fn operator_words_that_are_patterns() {
    check_trees(&[
        // Never an operator as the first term.
        ("or foo", r#"(and "or" "foo")"#),
        ("  and foo", r#"(and "and" "foo")"#),
        ("and", r#""and""#),
        // Not surrounded by whitespace.
        ("fooand bar", r#"(and "fooand" "bar")"#),
        ("foo andbar", r#"(and "foo" "andbar")"#),
        ("foo-or-bar", r#""foo\-or\-bar""#),
        ("NOT(foo)", r#""NOT\(foo\)""#),
        // Quoted operator words are text.
        (r#"foo "and" bar"#, r#"(and "foo" "and" "bar")"#),
        (r#"content:"a OR b""#, r#"content:"a OR b""#),
    ]);
}

#[test]
fn filters_scope_to_their_operand() {
    check_trees(&[
        (
            "file:main.c char c or (int i and int j)",
            r#"(or (and file:main.c "char" "c") (and "int" "i" "int" "j"))"#,
        ),
        (
            "file:main.c (char c or (int i and int j))",
            r#"(and file:main.c (or (and "char" "c") (and "int" "i" "int" "j")))"#,
        ),
        (
            "repo:a x or repo:b y",
            r#"(or (and repo:a "x") (and repo:b "y"))"#,
        ),
        (
            "(repo:foo or repo:bar) x",
            r#"(and (or repo:foo repo:bar) "x")"#,
        ),
        ("(repo:foo bar baz)", r#"(and repo:foo "bar" "baz")"#),
    ]);
}

#[test]
fn negation() {
    check_trees(&[
        ("panic NOT ever", r#"(and "panic" (not "ever"))"#),
        ("panic not ever", r#"(and "panic" (not "ever"))"#),
        ("not foo", r#"(not "foo")"#),
        ("NOT repo:x foo", r#"(and (not repo:x) "foo")"#),
        ("-repo:x foo", r#"(and (not repo:x) "foo")"#),
        (
            "lang:go not file:main.go panic",
            &format!(
                r#"(and lang:{} (not file:main.go) "panic")"#,
                common::lang_id("go")
            ),
        ),
        ("(NOT foo bar)", r#"(and (not "foo") "bar")"#),
        ("foo NOT (bar)", r#"(and "foo" (not "\(bar\)"))"#),
        (r#"NOT "a b""#, r#"(not "a b")"#),
        ("NOT /a.c/", "(not /a.c/)"),
        ("-foo", r#""\-foo""#),
        ("-foo:bar", r#""\-foo:bar""#),
    ]);
}

#[test]
fn parentheses_as_pattern_text() {
    check_trees(&[
        ("foo(bar)", r#""foo\(bar\)""#),
        ("myFunction(arg1, arg2)", r#""myFunction\(arg1, arg2\)""#),
        ("(foo bar)", r#""\(foo bar\)""#),
        ("((a|b)|c)", r#""\(\(a\|b\)\|c\)""#),
        ("()", r#""\(\)""#),
        ("die_errno(", r#""die_errno\(""#),
        ("(foo", r#""\(foo""#),
        ("foo (", r#"(and "foo" "\(")"#),
        ("foo(bar", r#""foo\(bar""#),
        ("(a or b", r#"(or "\(a" "b")"#),
        (r"foo\(bar", r#""foo\\\(bar""#),
        // A balanced token inside a group.
        ("(repo:x f(a, b))", r#"(and repo:x "f\(a, b\)")"#),
        (r#"(repo:x "foo bar")"#, r#"(and repo:x "foo bar")"#),
    ]);
}

#[test]
fn unknown_fields_are_text() {
    check_trees(&[
        ("foo:bar", r#""foo:bar""#),
        ("http://example.com", r#""http://example\.com""#),
        ("std::vector", r#""std::vector""#),
        (r#""repo:foo""#, r#""repo:foo""#),
    ]);
}

#[test]
fn blank_and_settings_only_queries_match_everything() {
    for q in [
        "",
        "   ",
        "count:all",
        "case:yes type:file",
        "(count:5) or foo",
    ] {
        assert_eq!(ok(q).expr, Expr::All, "{q:?}");
    }
}

#[test]
fn unicode() {
    check_trees(&[
        ("héllo wörld", r#"(and "héllo" "wörld")"#),
        ("foo\u{3000}bar", r#"(and "foo" "bar")"#),
        ("日本語 or 中文", r#"(or "日本語" "中文")"#),
        ("\"ü ö\"", r#""ü ö""#),
    ]);
}

#[test]
fn spans() {
    let q = ok(r#"foo "bar baz" /q/ content:x"#);
    let Expr::And(items) = q.expr else {
        panic!("and expected")
    };
    let spans: Vec<_> = items
        .iter()
        .map(|e| match e {
            Expr::Pattern(p) => p.span.clone(),
            other => panic!("unexpected {other}"),
        })
        .collect();
    assert_eq!(spans, vec![0..3, 4..13, 14..17, 26..27]);
    let Ok(q) = parse("héllo wörld") else {
        panic!()
    };
    let Expr::And(items) = q.expr else { panic!() };
    let Expr::Pattern(p) = &items[1] else {
        panic!()
    };
    assert_eq!(p.span, 7..13);
}
