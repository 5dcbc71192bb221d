//! How each pattern type reads the same input.

use crate::common;
use common::{check_trees, ok};
use quarry_query::{Expr, PatternType};

#[test]
fn pattern_type_values() {
    for (q, want) in [
        ("x", PatternType::Keyword),
        ("patterntype:keyword x", PatternType::Keyword),
        ("patterntype:literal x", PatternType::Literal),
        ("patterntype:standard x", PatternType::Standard),
        ("patterntype:regexp x", PatternType::Regexp),
        ("patterntype:regex x", PatternType::Regexp),
        ("PatternType:LITERAL x", PatternType::Literal),
        ("x patterntype:regexp", PatternType::Regexp),
        ("(patterntype:regexp x) or y", PatternType::Regexp),
    ] {
        assert_eq!(ok(q).pattern_type, want, "{q:?}");
    }
}

#[test]
fn literal() {
    check_trees(&[
        ("patterntype:literal foo bar", r#""foo bar""#),
        ("foo   bar patterntype:literal", r#""foo bar""#),
        (r#"patterntype:literal "foo bar""#, r#"""foo bar"""#),
        (r#"patterntype:literal "a or b""#, r#"""a or b"""#),
        ("patterntype:literal /foo/", r#""/foo/""#),
        ("patterntype:literal foo.bar", r#""foo\.bar""#),
        (
            "patterntype:literal foo or bar baz",
            r#"(or "foo" "bar baz")"#,
        ),
        (
            "patterntype:literal foo NOT bar baz",
            r#"(and "foo" (not "bar") "baz")"#,
        ),
        (
            "patterntype:literal foo repo:x bar",
            r#"(and "foo bar" repo:x)"#,
        ),
        ("patterntype:literal foo(bar)", r#""foo\(bar\)""#),
        (r#"patterntype:literal content:/x/"#, r#"content:"/x/""#),
        (r#"patterntype:literal "foo"#, r#"""foo""#),
    ]);
}

#[test]
fn standard() {
    check_trees(&[
        ("patterntype:standard foo bar", r#""foo bar""#),
        (r#"patterntype:standard "foo bar""#, r#"""foo bar"""#),
        ("patterntype:standard /foo.*bar/", "/foo.*bar/"),
        ("patterntype:standard a b /c/ d", r#"(and "a b" /c/ "d")"#),
        ("patterntype:standard a or b", r#"(or "a" "b")"#),
        ("patterntype:standard content:/a+/", "content:/a+/"),
    ]);
}

#[test]
fn regexp() {
    check_trees(&[
        ("patterntype:regexp foo", "/foo/"),
        ("patterntype:regexp foo bar", "/foo(?:.*?)bar/"),
        (r"patterntype:regexp foo\ bar", "/foo bar/"),
        ("patterntype:regexp /foo bar/", "/foo bar/"),
        (r#"patterntype:regexp "foo bar""#, r#""foo bar""#),
        (r#"patterntype:regexp "a.b" c"#, r"/a\.b(?:.*?)c/"),
        ("patterntype:regexp a|b c", "/(?:a|b)(?:.*?)c/"),
        ("patterntype:regexp (?i)foo bar", "/(?:(?i)foo)(?:.*?)bar/"),
        (r"patterntype:regexp foo\nbar", r"/foo\nbar/"),
        ("patterntype:regexp ((a|b)|c)", "/((a|b)|c)/"),
        ("patterntype:regexp foo.*bar", "/foo.*bar/"),
        ("patterntype:regexp a or b c", "(or /a/ /b(?:.*?)c/)"),
        ("patterntype:regexp a NOT b c", "(and /a/ (not /b/) /c/)"),
        ("patterntype:regexp content:fo+", "content:/fo+/"),
        (r#"patterntype:regexp content:"fo+""#, r#"content:"fo\+""#),
        ("patterntype:regexp (repo:x a(b))", "(and repo:x /a(b)/)"),
    ]);
}

#[test]
fn literal_flag() {
    let pattern = |q: &str| match ok(q).expr {
        Expr::Pattern(p) => p,
        other => panic!("{q:?}: expected one pattern, got {other}"),
    };
    assert!(pattern("foo.bar").is_literal);
    assert!(pattern(r#""foo bar""#).is_literal);
    assert!(!pattern("/foo/").is_literal);
    assert!(!pattern("patterntype:regexp foo").is_literal);
    assert!(pattern(r#"patterntype:regexp "foo""#).is_literal);
    assert!(pattern("patterntype:literal a b").is_literal);
    assert!(pattern("content:x").content_only);
    assert!(!pattern("x").content_only);
    // Literal text is escaped for the regex engine; no case flag is added.
    assert_eq!(pattern("a.b(c)").regex, r"a\.b\(c\)");
    assert_eq!(pattern("case:yes Foo").regex, "Foo");
}
