//! Filters and settings.

use crate::common;
use common::{check_trees, lang_id, ok};
use quarry_query::{Count, Expr, SearchType, Select};
use std::time::Duration;

#[test]
fn filters() {
    let go = lang_id("go");
    check_trees(&[
        ("repo:foo", "repo:foo"),
        ("r:foo", "repo:foo"),
        ("REPO:foo", "repo:foo"),
        ("-repo:foo x", r#"(and (not repo:foo) "x")"#),
        ("-r:foo", "(not repo:foo)"),
        (r"f:\.rs$", r"file:\.rs$"),
        ("path:src/", "file:src/"),
        ("-file:test", "(not file:test)"),
        ("NOT file:test", "(not file:test)"),
        ("repo:foo repo:bar", "(and repo:foo repo:bar)"),
        (r#"repo:"foo bar""#, "repo:foo bar"),
        (r#"repo:'a\'b'"#, "repo:a'b"),
        (r#"file:"a\\.go""#, r"file:a\.go"),
        (
            "file:(internal/repos)|(internal/gitserver)",
            "file:(internal/repos)|(internal/gitserver)",
        ),
        ("(x or file:foo)", r#"(or "x" file:foo)"#),
        (r"repo:foo\@bar", r"repo:foo\@bar"),
        ("repo:^github\\.com/a$", "repo:^github\\.com/a$"),
        ("lang:go", &format!("lang:{go}")),
        ("lang:Go", &format!("lang:{go}")),
        ("l:golang", &format!("lang:{go}")),
        ("language:go", &format!("lang:{go}")),
        ("-lang:go", &format!("(not lang:{go})")),
        ("content:foo", r#"content:"foo""#),
        (r#"content:"repo:foo""#, r#"content:"repo:foo""#),
        ("-content:alpine:latest", r#"(not content:"alpine:latest")"#),
        ("NOT content:x", r#"(not content:"x")"#),
        ("content:/fo+/", "content:/fo+/"),
        ("content:a content:b", r#"(and content:"a" content:"b")"#),
        (r#"content:"a b" c"#, r#"(and content:"a b" "c")"#),
    ]);
}

#[test]
fn settings() {
    let q = ok("foo case:yes");
    assert!(q.case_sensitive);
    assert_eq!(q.expr.to_string(), r#""foo""#);
    for (v, want) in [
        ("yes", true),
        ("y", true),
        ("TRUE", true),
        ("no", false),
        ("n", false),
        ("false", false),
    ] {
        assert_eq!(ok(&format!("case:{v}")).case_sensitive, want, "{v}");
    }
    assert!(!ok("x").case_sensitive);

    assert_eq!(ok("x").search_type, SearchType::Any);
    assert_eq!(ok("type:file x").search_type, SearchType::File);
    assert_eq!(ok("type:path x").search_type, SearchType::Path);
    assert_eq!(ok("type:file type:file x").search_type, SearchType::File);
    assert_eq!(ok("type:file type:path x").search_type, SearchType::Any);

    assert_eq!(ok("x").count, Count::Default);
    assert_eq!(ok("count:10 x").count, Count::Limit(10));
    assert_eq!(ok("count:all").count, Count::All);

    assert_eq!(ok("x").select, None);
    assert_eq!(ok("select:repo x").select, Some(Select::Repo));
    assert_eq!(ok("select:file x").select, Some(Select::File));
    assert_eq!(ok("select:file.path x").select, Some(Select::File));

    assert_eq!(ok("x").timeout, None);
    assert_eq!(ok("timeout:10s x").timeout, Some(Duration::from_secs(10)));
    assert_eq!(
        ok("timeout:500ms").timeout,
        Some(Duration::from_millis(500))
    );
    assert_eq!(ok("timeout:1m").timeout, Some(Duration::from_secs(60)));
    assert_eq!(ok("timeout:1m30s").timeout, Some(Duration::from_secs(90)));
}

#[test]
fn settings_apply_to_the_whole_query_and_leave_the_tree() {
    let q = ok("(case:yes foo) or bar");
    assert!(q.case_sensitive);
    assert_eq!(q.expr.to_string(), r#"(or "foo" "bar")"#);
    let q = ok("count:5 timeout:2s select:repo type:path");
    assert_eq!(q.expr, Expr::All);
    assert_eq!(q.count, Count::Limit(5));
    assert_eq!(q.select, Some(Select::Repo));
}
