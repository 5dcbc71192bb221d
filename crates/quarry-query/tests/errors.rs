//! Every error: message, position, and rendering.

use quarry_query::parse;

/// (query, byte offset, byte length, expected message fragment)
fn check_errors(cases: &[(&str, usize, usize, &str)]) {
    let mut failures = Vec::new();
    for &(q, offset, len, fragment) in cases {
        match parse(q) {
            Ok(query) => failures.push(format!("{q:?}: expected an error, got {}", query.expr)),
            Err(e) => {
                if (e.offset, e.len) != (offset, len) || !e.message.contains(fragment) {
                    failures.push(format!(
                        "{q:?}\n   want {offset}+{len} containing {fragment:?}\n    got {}+{}: {}",
                        e.offset, e.len, e.message
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn operators() {
    check_errors(&[
        (
            "foo AND",
            7,
            0,
            "expected a search term after AND, found the end of the query",
        ),
        (
            "foo and ",
            8,
            0,
            "expected a search term after AND, found the end of the query",
        ),
        (
            "foo OR",
            6,
            0,
            "expected a search term after OR, found the end of the query",
        ),
        (
            "foo AND OR bar",
            8,
            2,
            "expected a search term after AND, found OR",
        ),
        (
            "foo or and bar",
            7,
            3,
            "expected a search term after OR, found AND",
        ),
        (
            "foo NOT",
            7,
            0,
            "expected a search term after NOT, found the end of the query",
        ),
        ("not", 3, 0, "expected a search term after NOT"),
        (
            "foo NOT NOT bar",
            8,
            3,
            "expected a search term after NOT, found NOT",
        ),
        (
            "foo NOT and bar",
            8,
            3,
            "expected a search term after NOT, found AND",
        ),
        (
            "(repo:x foo AND )",
            16,
            1,
            "expected a search term after AND, found ')'",
        ),
        (
            "NOT (a or b)",
            0,
            5,
            "NOT cannot be applied to a parenthesized group; negate each term instead",
        ),
        (
            "x NOT (repo:y)",
            2,
            5,
            "NOT cannot be applied to a parenthesized group",
        ),
        ("NOT -repo:x", 0, 10, "NOT and '-' both negate"),
    ]);
}

#[test]
fn parentheses() {
    check_errors(&[
        (
            "foo )",
            4,
            1,
            "unbalanced ')' — quote it (\")\") or use content:",
        ),
        ("foo)", 3, 1, "unbalanced ')'"),
        ("a or b)", 6, 1, "unbalanced ')'"),
        ("(a or b))", 8, 1, "unbalanced ')'"),
        ("(repo:x foo", 0, 1, "unbalanced '(': add a matching ')'"),
        ("x (file:y or z", 2, 1, "unbalanced '('"),
    ]);
    let deep = format!("{}repo:x{}", "(".repeat(150), ")".repeat(150));
    check_errors(&[(&deep, 100, 1, "nested too deeply")]);
}

#[test]
fn quotes() {
    check_errors(&[
        (
            r#""foo bar"#,
            0,
            8,
            "unterminated quoted string: add a closing \"",
        ),
        (r#"x "foo"#, 2, 4, "unterminated quoted string"),
        (
            r#"repo:"foo"#,
            5,
            4,
            "unterminated quoted string in repo: value: add a closing \"",
        ),
        ("repo:'foo", 5, 4, "add a closing '"),
        (r#"repo:"a\d""#, 7, 2, r"unknown escape sequence '\d'"),
        (r#"content:"a\""#, 8, 4, "unterminated"),
    ]);
}

#[test]
fn fields() {
    check_errors(&[
        ("repo:", 0, 5, "repo: needs a value"),
        ("x file: y", 2, 5, "file: needs a value"),
        (r#"repo:"""#, 0, 7, "repo: needs a value"),
        ("content:", 0, 8, "content: needs a value"),
        ("case:", 0, 5, "case: needs a value"),
        (
            "lang:pyhton",
            5,
            6,
            "unknown language 'pyhton' in lang: (did you mean python",
        ),
        (
            "lang:zzzzzzzzzz",
            5,
            10,
            "unknown language 'zzzzzzzzzz' in lang:",
        ),
        ("case:maybe", 5, 5, "case: takes yes or no"),
        ("count:0", 6, 1, "count: takes a positive number or 'all'"),
        ("count:-3", 6, 2, "count: takes a positive number or 'all'"),
        (
            "count:lots",
            6,
            4,
            "count: takes a positive number or 'all'",
        ),
        ("type:symbol x", 5, 6, "type:symbol is not supported yet"),
        ("type:blob x", 5, 4, "type: takes file"),
        (
            "select:symbol x",
            7,
            6,
            "select:symbol is not supported yet",
        ),
        ("select:symbol.function x", 7, 15, "not supported yet"),
        ("select:nope x", 7, 4, "select: takes repo or file"),
        (
            "patterntype:structural x",
            12,
            10,
            "patterntype:structural is not supported yet",
        ),
        ("patterntype:fuzzy x", 12, 5, "patterntype: takes keyword"),
        ("timeout:10", 8, 2, "timeout: takes a duration"),
        ("timeout:0s", 8, 2, "longer than zero"),
        ("case:yes x case:no", 11, 7, "case: may only be used once"),
        ("count:1 count:1", 8, 7, "count: may only be used once"),
        (
            "patterntype:regexp patterntype:regexp",
            19,
            18,
            "patterntype: may only be used once",
        ),
        ("-case:yes", 0, 9, "case: cannot be negated"),
        ("NOT count:3 x", 0, 11, "count: cannot be negated"),
    ]);
}

#[test]
fn unsupported() {
    check_errors(&[
        ("rev:main: x", 4, 5, "rev: takes revisions separated by ':'"),
        ("x fork:yes", 2, 8, "field 'fork:' is not supported yet"),
        ("author:me", 0, 9, "field 'author:' is not supported yet"),
        ("m:fix", 0, 5, "field 'm:' is not supported yet"),
        (
            "-archived:yes",
            0,
            13,
            "field 'archived:' is not supported yet",
        ),
        (
            "repo:has.file(path:CHANGELOG content:fix)",
            5,
            36,
            "not supported yet",
        ),
        ("repo:has.path(\\.py) x", 5, 14, "not supported yet"),
        ("file:has.content(Copyright) x", 5, 22, "not supported yet"),
        (
            "repo:a@v1.0:v2.0 x",
            6,
            1,
            "revisions in repo:name@revision are not supported yet: use rev:",
        ),
        (
            "repo:^github\\.com/docker/machine$@*refs/heads/* middleware",
            33,
            1,
            "not supported yet",
        ),
    ]);
}

#[test]
fn regexes() {
    check_errors(&[
        (
            "file:a[",
            6,
            1,
            "invalid regular expression in file: unclosed character class",
        ),
        ("path:a[", 6, 1, "invalid regular expression in path:"),
        (
            "repo:a(",
            6,
            1,
            "invalid regular expression in repo: unclosed group",
        ),
        (
            r#"file:"x(\\w""#,
            7,
            1,
            "invalid regular expression in file: unclosed group",
        ),
        ("/a(/", 2, 1, "invalid regular expression: unclosed group"),
        ("x /a{2,1}/", 4, 5, "invalid regular expression"),
        ("patterntype:regexp foo(", 22, 1, "unclosed group"),
        ("patterntype:regexp a[", 20, 1, "unclosed character class"),
        (
            r"patterntype:regexp \p{Nope}",
            19,
            8,
            "Unicode property not found",
        ),
        (
            "patterntype:regexp content:a(",
            28,
            1,
            "invalid regular expression in content:",
        ),
        (
            "content:/a(/",
            10,
            1,
            "invalid regular expression in content:",
        ),
    ]);
}

#[test]
fn display_points_at_the_problem() {
    let e = parse("foo AND").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid query: expected a search term after AND, found the end of the query\n  foo AND\n         ^"
    );
    let e = parse("lang:go case:maybe").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid query: case: takes yes or no, not 'maybe'\n  lang:go case:maybe\n               ^^^^^"
    );
}

#[test]
fn display_counts_characters_not_bytes() {
    // "héllo " is 7 bytes but 6 characters.
    let e = parse("héllo /a(/").unwrap_err();
    assert_eq!(e.offset, 9);
    assert_eq!(e.column(), 8);
    assert_eq!(e.query(), "héllo /a(/");
    assert_eq!(
        e.to_string(),
        "invalid query: invalid regular expression: unclosed group (remove the slashes to search for the text)\n  héllo /a(/\n          ^"
    );
    let e = parse("日本 )").unwrap_err();
    assert_eq!((e.offset, e.column()), (7, 3));
    assert!(e.to_string().ends_with("\n  日本 )\n     ^"), "{e}");
}
