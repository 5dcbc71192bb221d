//! The library API: streaming per shard, limits, time limits, ranking.

use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use quarry_search::{SearchOptions, Searcher};
use std::sync::Mutex;

fn searcher(files: &[(&str, String)], shard_max_bytes: u64) -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("repo");
    for (path, text) in files {
        let p = tree.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let data = DataDir::new(dir.path().join("data"));
    let opts = IndexOptions {
        shard_max_bytes,
        ..IndexOptions::default()
    };
    index_repository(&data, "repo", &tree, &opts, &NoProgress).unwrap();
    let loaded = data.load();
    assert!(loaded.errors.is_empty());
    (dir, Searcher::new(loaded.shards))
}

fn q(s: &str) -> quarry_query::Query {
    quarry_query::parse(s).unwrap()
}

#[test]
fn results_stream_shard_by_shard() {
    let files: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("src/f{i:02}.txt"),
                format!("needle {i}\n{}", "x".repeat(40_000)),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let (_dir, s) = searcher(&files, 200_000);
    assert!(s.shards().len() >= 5, "{} shards", s.shards().len());
    let seen = Mutex::new(Vec::new());
    let all = s
        .search_streaming(&q("needle count:all"), &SearchOptions::default(), &|r| {
            seen.lock()
                .unwrap()
                .push((r.repo.to_string(), r.files.len()));
        })
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), s.shards().len(), "one callback per shard");
    assert_eq!(seen.iter().map(|(_, n)| n).sum::<usize>(), 40);
    assert_eq!(all.files.len(), 40);
    assert_eq!(all.match_count, 40);
    assert!(!all.limit_hit);
}

#[test]
fn limits_cut_results_and_say_so() {
    let files: Vec<(&str, String)> = vec![
        ("a.txt", "hit\nhit\nhit\n".into()),
        ("b.txt", "hit\nhit\n".into()),
        ("c.txt", "hit\n".into()),
    ];
    let (_dir, s) = searcher(&files, 100 << 20);
    let r = s
        .search(&q("hit count:4"), &SearchOptions::default())
        .unwrap();
    assert_eq!(r.match_count, 4);
    assert_eq!(r.files.iter().map(|f| f.lines.len()).sum::<usize>(), 4);
    assert!(r.limit_hit);
    let r = s
        .search(
            &q("hit"),
            &SearchOptions {
                default_limit: 6,
                ..SearchOptions::default()
            },
        )
        .unwrap();
    assert_eq!(r.match_count, 6);
    assert!(!r.limit_hit);
    let r = s
        .search(&q("hit timeout:1ns"), &SearchOptions::default())
        .unwrap();
    assert!(r.timed_out);
    // The server's cap (`search.max_timeout`) cuts a longer `timeout:`.
    let capped = SearchOptions {
        max_timeout: Some(std::time::Duration::from_nanos(1)),
        ..SearchOptions::default()
    };
    assert!(s.search(&q("hit timeout:1h"), &capped).unwrap().timed_out);
    assert!(
        !s.search(&q("hit timeout:1h"), &SearchOptions::default())
            .unwrap()
            .timed_out
    );
}

#[test]
fn ranking_prefers_names_words_and_sources() {
    let files: Vec<(&str, String)> = vec![
        ("tests/parser_test.go", "parse(x)\n".into()),
        ("vendor/lib/parse.go", "parse(x)\n".into()),
        ("src/deep/dir/structure/parsers.go", "reparsed\n".into()),
        ("src/util.go", "parse(x)\n".into()),
        ("src/parse.go", "nothing here\n".into()),
    ];
    let (_dir, s) = searcher(&files, 100 << 20);
    let r = s.search(&q("parse"), &SearchOptions::default()).unwrap();
    let order: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        order,
        vec![
            "src/parse.go",
            "src/deep/dir/structure/parsers.go",
            "tests/parser_test.go",
            "vendor/lib/parse.go",
            "src/util.go"
        ]
    );
}

#[test]
fn plan_explains_the_query() {
    let (_dir, s) = searcher(&[("a.txt", "foo bar\n".into())], 100 << 20);
    let r = s
        .search(&q("/foo\\s+bar/"), &SearchOptions::default())
        .unwrap();
    assert_eq!(r.plan.len(), 1);
    assert!(r.plan[0].contains("\"foo\" AND \"bar\""), "{}", r.plan[0]);
    assert_eq!(r.stats.docs_verified, 1);
}

#[test]
fn line_verification_respects_case() {
    let files: Vec<(&str, String)> = vec![("a.c", "Foo x bar\nfoo y bar\nFOO z BAR\n".into())];
    let (_dir, s) = searcher(&files, 100 << 20);
    let lines = |query: &str| -> Vec<u32> {
        let r = s.search(&q(query), &SearchOptions::default()).unwrap();
        r.files
            .iter()
            .flat_map(|f| f.lines.iter().map(|l| l.line))
            .collect()
    };
    assert_eq!(lines("case:yes /Foo.*bar/"), vec![1]);
    assert_eq!(lines("case:yes /FOO.*BAR/"), vec![3]);
    assert_eq!(lines("/foo.*bar/"), vec![1, 2, 3]);
}
