//! The worked examples of the query-language reference (section 9), as far
//! as quarry supports them; unsupported ones must fail with a clear error.

use crate::common;
use common::{check_trees, lang_id, ok};
use quarry_query::{parse, PatternType, SearchType, Select};
use std::time::Duration;

#[test]
fn supported_examples() {
    check_trees(&[
        // 1-4
        ("foo bar", r#"(and "foo" "bar")"#),
        (r#""foo bar""#, r#""foo bar""#),
        (r#""foo \"bar\"""#, r#""foo "bar"""#),
        ("/foo.*bar/", "/foo.*bar/"),
        // 5
        ("patterntype:regexp foo bar", "/foo(?:.*?)bar/"),
        (r"patterntype:regexp foo\ bar", "/foo bar/"),
        ("patterntype:regexp /foo bar/", "/foo bar/"),
        // 6-8
        (
            r"repo:^github\.com/sourcegraph/sourcegraph$ rtr AND newRouter",
            r#"(and repo:^github\.com/sourcegraph/sourcegraph$ "rtr" "newRouter")"#,
        ),
        (
            "-repo:gorilla/mux testroute",
            r#"(and (not repo:gorilla/mux) "testroute")"#,
        ),
        (
            r"file:\.js$ -file:test http",
            r#"(and file:\.js$ (not file:test) "http")"#,
        ),
        // 10-11
        ("panic NOT ever", r#"(and "panic" (not "ever"))"#),
        (
            "file:main.c char c or (int i and int j)",
            r#"(or (and file:main.c "char" "c") (and "int" "i" "int" "j"))"#,
        ),
        // 12
        (
            "repo:docker repo:registry",
            "(and repo:docker repo:registry)",
        ),
        (
            "repo:docker OR repo:registry",
            "(or repo:docker repo:registry)",
        ),
        // 25
        (
            r#"repo:sourcegraph content:"repo:sourcegraph""#,
            r#"(and repo:sourcegraph content:"repo:sourcegraph")"#,
        ),
        (
            "file:Dockerfile alpine -content:alpine:latest",
            r#"(and file:Dockerfile "alpine" (not content:"alpine:latest"))"#,
        ),
    ]);
    // 9
    assert_eq!(
        ok("lang:go not file:main.go panic").expr.to_string(),
        format!(r#"(and lang:{} (not file:main.go) "panic")"#, lang_id("go"))
    );
}

#[test]
fn examples_with_settings() {
    // 5: the pattern type is recorded too.
    assert_eq!(
        ok("patterntype:regexp foo bar").pattern_type,
        PatternType::Regexp
    );
    // 17
    let q = ok("file:package.json lodash select:repo");
    assert_eq!(q.expr.to_string(), r#"(and file:package.json "lodash")"#);
    assert_eq!(q.select, Some(Select::Repo));
    // extras
    let q = ok("OPEN_FILE case:yes");
    assert!(q.case_sensitive);
    assert_eq!(q.expr.to_string(), r#""OPEN_FILE""#);
    let q = ok("timeout:15s count:10000 func");
    assert_eq!(q.timeout, Some(Duration::from_secs(15)));
    assert_eq!(q.count, quarry_query::Count::Limit(10000));
    let q = ok("type:path repo:/docker/ registry");
    assert_eq!(q.search_type, SearchType::Path);
    assert_eq!(q.expr.to_string(), r#"(and repo:/docker/ "registry")"#);
}

#[test]
fn unsupported_examples_fail_clearly() {
    for (q, fragment) in [
        // 13-16: revisions
        (
            r"repo:^github\.com/sourcegraph/sourcegraph$@v4.5.0:v5.0.0 disableNonCriticalTelemetry",
            "revisions",
        ),
        (
            r"repo:^github\.com/docker/machine$@*refs/heads/* middleware",
            "revisions",
        ),
        (
            "repo:vscode@*refs/heads/:^refs/heads/master type:diff task",
            "revisions",
        ),
        (
            r"repo:^github\.com/sourcegraph/sourcegraph$ rev:at.time(2021-01-30, v5.0.0) popular",
            "not supported yet",
        ),
        // 18
        (
            "type:symbol zoektSearch select:symbol.function",
            "type:symbol is not supported yet",
        ),
        // 19-22: predicates
        (
            "repo:has.file(path:CHANGELOG content:fix)",
            "not supported yet",
        ),
        (
            r"repo:has.path(\.py) file:Dockerfile pip",
            "not supported yet",
        ),
        (
            "file:has.content(Copyright) Sourcegraph",
            "not supported yet",
        ),
        ("repo:has.meta(owning-team:security)", "not supported yet"),
        ("repo:has.meta(archived:)", "not supported yet"),
        // 23-24: commit and diff search
        (
            r#"type:diff author:nick before:"november 1 2019""#,
            "type:diff is not supported yet",
        ),
        (
            r"repo:^github\.com/sourcegraph/sourcegraph$ type:diff TODO select:commit.diff.removed",
            "type:diff is not supported yet",
        ),
    ] {
        match parse(q) {
            Ok(query) => panic!("{q:?} should fail, got {}", query.expr),
            Err(e) => assert!(e.message.contains(fragment), "{q:?}: {}", e.message),
        }
    }
}
