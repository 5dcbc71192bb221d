use quarry_query::parse;

#[test]
fn rev_selects_revisions() {
    assert_eq!(parse("foo rev:main").unwrap().revs, vec!["main"]);
    assert_eq!(
        parse("rev:v1.0:release/* foo").unwrap().revs,
        vec!["v1.0", "release/*"]
    );
    assert_eq!(parse("revision:HEAD foo").unwrap().revs, vec!["HEAD"]);
    assert!(parse("foo").unwrap().revs.is_empty());
    assert!(parse("rev:a rev:b foo")
        .unwrap_err()
        .to_string()
        .contains("may only be used once"));
}
