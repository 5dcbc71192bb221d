//! `search_traced`: the plan names the n-grams, the counts add up, early stops are reported.

use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use quarry_search::{SearchOptions, SearchTrace, Searcher};

fn searcher(
    repos: &[(&str, Vec<(String, String)>)],
    shard_max_bytes: u64,
) -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    for (name, files) in repos {
        let tree = dir.path().join("trees").join(name);
        for (path, text) in files {
            let p = tree.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let opts = IndexOptions {
            shard_max_bytes,
            ..IndexOptions::default()
        };
        index_repository(&data, name, &tree, &opts, &NoProgress).unwrap();
    }
    let loaded = data.load();
    assert!(loaded.errors.is_empty());
    (dir, Searcher::new(loaded.shards))
}

fn files(n: usize, text: impl Fn(usize) -> String) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("src/f{i:03}.txt"), text(i)))
        .collect()
}

fn trace(s: &Searcher, query: &str) -> SearchTrace {
    let q = quarry_query::parse(query).unwrap();
    let r = s
        .search_traced(&q, &SearchOptions::default(), &|_| {})
        .unwrap();
    r.trace.expect("a traced search returns its trace")
}

fn check_consistent(t: &SearchTrace) {
    assert!(t.files_matched <= t.files_verified, "{t:#?}");
    assert!(t.files_verified <= t.candidate_files, "{t:#?}");
    assert!(t.total_ms >= 0.0);
    assert!(t.stages.iter().all(|s| s.ms >= 0.0), "{:?}", t.stages);
    let sum: f64 = t.stages.iter().map(|s| s.ms).sum();
    assert!(
        sum <= t.total_ms + 1e-9,
        "stages {sum} > total {}",
        t.total_ms
    );
    assert!(t.shard_work.postings_ms >= 0.0 && t.shard_work.verify_ms >= 0.0);
    assert!(t.slowest_shards.len() <= 5);
    assert!(t.slowest_shards.windows(2).all(|w| w[0].ms >= w[1].ms));
    let c = &t.shards;
    assert_eq!(
        c.considered,
        c.skipped_by_revision + c.skipped_by_repo + c.searched + c.failed
    );
}

#[test]
fn literal_plan_names_its_trigrams_with_posting_sizes() {
    let repo = files(20, |i| {
        if i % 4 == 0 {
            format!("say hello {i}\n")
        } else {
            format!("nothing {i}\n")
        }
    });
    let (_dir, s) = searcher(&[("demo", repo)], 100 << 20);
    let t = trace(&s, "hello");
    let names: Vec<&str> = t.stages.iter().map(|s| s.name).collect();
    assert_eq!(names, ["plan", "shards", "merge"]);
    assert_eq!(t.plan.query, "\"hello\"");
    assert_eq!(t.plan.patterns.len(), 1);
    let content = t.plan.patterns[0].content.as_deref().unwrap();
    for gram in ["\"hel\"", "\"ell\"", "\"llo\""] {
        assert!(content.contains(gram), "{gram} missing from {content}");
        assert!(t.plan.condition.contains(gram), "{}", t.plan.condition);
    }
    assert!(content.starts_with("AND("), "{content}");
    // Five files contain "hello": each of its trigrams' posting lists has them all.
    assert!(content.contains("\"llo\" 5"), "{content}");
    assert_eq!(t.plan.patterns[0].required, vec![vec!["hello".to_string()]]);
    assert!(!t.plan.patterns[0].regex.is_empty());
    assert_eq!(t.candidate_files, 5);
    assert_eq!(t.files_matched, 5);
    assert_eq!(t.lines_matched, 5);
    assert_eq!(t.shards.searched, 1);
    assert_eq!(t.slowest_shards.len(), 1);
    assert_eq!(t.slowest_shards[0].repo, "demo");
    assert_eq!(t.stopped_early, None);
    check_consistent(&t);
}

#[test]
fn alternation_plan_is_an_or_of_both_sides() {
    let repo = files(10, |i| match i % 3 {
        0 => "foobar\n".into(),
        1 => "quxxy\n".into(),
        _ => "none\n".into(),
    });
    let (_dir, s) = searcher(&[("demo", repo)], 100 << 20);
    let t = trace(&s, "/foobar|quxxy/ type:file");
    let content = t.plan.patterns[0].content.as_deref().unwrap();
    assert!(content.starts_with("OR(AND("), "{content}");
    for gram in ["\"foo\"", "\"bar\"", "\"qux\"", "\"xxy\""] {
        assert!(content.contains(gram), "{gram} missing from {content}");
    }
    assert_eq!(t.plan.patterns[0].path, None, "type:file searches no paths");
    assert_eq!(t.files_matched, 7);
    check_consistent(&t);
}

#[test]
fn small_limit_reports_the_early_stop() {
    let repo = files(50, |i| format!("needle {i}\n"));
    let (_dir, s) = searcher(&[("demo", repo)], 100 << 20);
    let t = trace(&s, "needle count:3");
    assert_eq!(t.stopped_early, Some("limit"));
    assert_eq!(t.plan.limit, Some(3));
    assert!(t.files_verified < t.candidate_files, "{t:#?}");
    assert_eq!(t.candidate_files, 50);
    check_consistent(&t);
    let t = trace(&s, "needle timeout:1ns");
    assert_eq!(t.stopped_early, Some("timeout"));
}

#[test]
fn shards_skipped_by_repository_filters_are_counted() {
    let a = files(30, |i| format!("needle {i}\n{}", "x".repeat(20_000)));
    let b = files(3, |i| format!("needle {i}\n"));
    let (_dir, s) = searcher(&[("alpha", a), ("beta", b)], 200_000);
    let total = s.shards().len();
    assert!(total >= 3, "{total} shards");
    let t = trace(&s, "needle repo:^beta$ count:all");
    assert_eq!(t.shards.considered, total);
    assert_eq!(t.shards.searched, 1);
    assert_eq!(t.shards.skipped_by_repo, total - 1);
    assert_eq!(t.files_matched, 3);
    check_consistent(&t);
    let t = trace(&s, "needle count:all");
    assert_eq!(t.shards.searched, total);
    assert_eq!(t.slowest_shards.len(), total.min(5));
    assert_eq!(t.files_matched, 33);
    check_consistent(&t);
}

#[test]
fn untraced_searches_carry_no_trace() {
    let (_dir, s) = searcher(&[("demo", files(2, |_| "hello\n".into()))], 100 << 20);
    let q = quarry_query::parse("hello").unwrap();
    let r = s.search(&q, &SearchOptions::default()).unwrap();
    assert!(r.trace.is_none());
    let v = serde_json::to_value(&r).unwrap();
    assert!(v.get("trace").is_none(), "{v}");
    let r = s
        .search_traced(&q, &SearchOptions::default(), &|_| {})
        .unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert!(v["trace"]["stages"].is_array(), "{v}");
    assert!(v["trace"]["plan"]["condition"].is_string(), "{v}");
}

#[test]
fn parse_time_joins_the_stages() {
    let (_dir, s) = searcher(&[("demo", files(2, |_| "hello\n".into()))], 100 << 20);
    let (q, took) = quarry_search::parse_query("hello").unwrap();
    let mut t = s
        .search_traced(&q, &SearchOptions::default(), &|_| {})
        .unwrap()
        .trace
        .unwrap();
    let before = t.total_ms;
    t.add_parse(took);
    assert_eq!(t.stages[0].name, "parse");
    assert!(t.total_ms >= before);
    check_consistent(&t);
}
