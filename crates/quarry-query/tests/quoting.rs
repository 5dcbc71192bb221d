//! Quotes, escapes and /regex/ delimiters in the default keyword type.

use crate::common;
use common::check_trees;

#[test]
fn quoted_phrases() {
    check_trees(&[
        (r#""foo bar""#, r#""foo bar""#),
        (r#""foo \"bar\"""#, r#""foo "bar"""#),
        (r#"'foo "bar"'"#, r#""foo "bar"""#),
        (r#""it's""#, r#""it's""#),
        (r#""a\\b""#, r#""a\\b""#),
        // Unknown escapes in patterns are kept as written.
        (r#""a\qb""#, r#""a\\qb""#),
        (r#""a.b*""#, r#""a\.b\*""#),
        (r#""tab\there""#, "\"tab\there\""),
        (r#""line\nbreak""#, "\"line\nbreak\""),
        // A closing quote must be followed by whitespace, ')' or the end;
        // otherwise the quote is ordinary text.
        (r#""foo"bar"#, r#"""foo"bar""#),
        (r#"x"y z"#, r#"(and "x"y" "z")"#),
        // A lone single quote is text (lifetimes, apostrophes).
        ("'static", r#""'static""#),
        ("don't panic", r#"(and "don't" "panic")"#),
        // Empty quotes are dropped.
        (r#"foo """#, r#""foo""#),
        (r#"a "b c" d"#, r#"(and "a" "b c" "d")"#),
    ]);
}

#[test]
fn regex_delimiters() {
    check_trees(&[
        ("/foo.*bar/", "/foo.*bar/"),
        ("/foo bar/", "/foo bar/"),
        (r"/a\/b/", "/a/b/"),
        (r"/a\\b/", r"/a\\b/"),
        (r"/\d+/ x", r#"(and /\d+/ "x")"#),
        ("//", r#""//""#),
        ("// comment", r#"(and "//" "comment")"#),
        ("/usr/bin", r#""/usr/bin""#),
        ("/usr", r#""/usr""#),
        ("a/b/c", r#""a/b/c""#),
        ("(repo:x /a+/)", "(and repo:x /a+/)"),
    ]);
}

#[test]
fn backslash_outside_quotes_keeps_the_next_character() {
    check_trees(&[
        (r"foo\ bar", r#""foo\\ bar""#),
        (r"C:\Users", r#""C:\\Users""#),
        (r#"printf("\n")"#, r#""printf\("\\n"\)""#),
    ]);
}
