//! End-to-end behaviour of `quarry index`, `quarry files` and `quarry search`.

use crate::common;
use common::Env;

fn sample(env: &Env) {
    env.write(
        "alpha",
        "src/main.c",
        "#include <stdio.h>\nint main(void) {\n\tprintf(\"Hello, World\\n\");\n\treturn 0;\n}\n",
    );
    env.write(
        "alpha",
        "src/util.h",
        "int helper(int x);\n#define HELLO 1\n",
    );
    env.write(
        "alpha",
        "tests/test_hello.py",
        "def test_hello():\n    assert hello() == 'hello'\n",
    );
    env.write("alpha", "README.md", "# Alpha\nSays hello.\n");
    env.write("alpha", ".git/config", "[core]\n\thello = true\n");
    env.write("alpha", "blob.bin", b"hello\0binary");
    env.write("alpha", "big.txt", "hello ".repeat(40));
    env.write(
        "beta",
        "lib/hello_world.rs",
        "fn greet() -> &'static str {\n    \"hello\"\n}\n",
    );
    env.write("beta", "notes.txt", "nothing to see\nstraße und STRASSE\n");
    env.write("beta", "empty.txt", "");
    env.write("beta", "no-newline.txt", "last line");
}

#[test]
fn files_lists_indexed_and_skipped_files() {
    let env = Env::new();
    sample(&env);
    #[cfg(unix)]
    std::os::unix::fs::symlink("src/main.c", env.repo("alpha").join("link.c")).unwrap();
    let out = env.quarry(&[
        "index",
        "--max-file-size",
        "200",
        env.repo("alpha").to_str().unwrap(),
        env.repo("beta").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("indexed alpha: 4 files"), "{summary}");
    assert!(summary.contains("3 skipped"), "{summary}");
    assert_eq!(
        env.ok(&["files"]),
        "alpha/README.md\nalpha/src/main.c\nalpha/src/util.h\nalpha/tests/test_hello.py\nbeta/empty.txt\nbeta/lib/hello_world.rs\nbeta/no-newline.txt\nbeta/notes.txt\n"
    );
    assert_eq!(
        env.ok(&["files", "--skipped"]),
        "alpha/big.txt\ttoo large\nalpha/blob.bin\tbinary\nalpha/link.c\tnot a regular file\n"
    );
}

#[test]
fn grep_format_matches_like_ripgrep() {
    let env = Env::new();
    sample(&env);
    env.index("alpha");
    env.index("beta");
    // Case-insensitive by default; `.git` is never indexed; binary files are skipped.
    assert_eq!(
        env.grep("hello"),
        vec![
            "alpha/README.md:2:Says hello.".to_string(),
            "alpha/big.txt:1:".to_string() + &"hello ".repeat(40),
            "alpha/src/main.c:3:\tprintf(\"Hello, World\\n\");".into(),
            "alpha/src/util.h:2:#define HELLO 1".into(),
            "alpha/tests/test_hello.py:1:def test_hello():".into(),
            "alpha/tests/test_hello.py:2:    assert hello() == 'hello'".into(),
            "beta/lib/hello_world.rs:2:    \"hello\"".into(),
        ]
    );
    assert_eq!(
        env.grep("HELLO case:yes"),
        vec!["alpha/src/util.h:2:#define HELLO 1"]
    );
    assert_eq!(
        env.grep("hello repo:^beta$"),
        vec!["beta/lib/hello_world.rs:2:    \"hello\""]
    );
    assert_eq!(
        env.grep("hello -repo:alpha lang:rust"),
        vec!["beta/lib/hello_world.rs:2:    \"hello\""]
    );
    assert_eq!(
        env.grep("hello file:\\.h$"),
        vec!["alpha/src/util.h:2:#define HELLO 1"]
    );
    assert_eq!(
        env.grep("/^\\s+return \\d;$/"),
        vec!["alpha/src/main.c:4:\treturn 0;"]
    );
    // Unicode case folding as ripgrep -i does it (simple folding: ß does not match SS).
    assert_eq!(
        env.grep("STRAßE"),
        vec!["beta/notes.txt:2:straße und STRASSE"]
    );
    // A pattern with \n matches across lines and reports every line it touches.
    assert_eq!(
        env.grep("/main\\(void\\) \\{\\n\\tprintf/"),
        vec![
            "alpha/src/main.c:2:int main(void) {",
            "alpha/src/main.c:3:\tprintf(\"Hello, World\\n\");"
        ]
    );
    // Keyword terms must all occur in the file; lines show either term.
    assert_eq!(
        env.grep("int helper"),
        vec!["alpha/src/util.h:1:int helper(int x);"]
    );
    assert_eq!(
        env.grep("hello NOT world"),
        env.grep("hello -file:hello_world -file:main.c")
    );
    assert_eq!(
        env.grep("printf OR greet"),
        vec![
            "alpha/src/main.c:3:\tprintf(\"Hello, World\\n\");",
            "beta/lib/hello_world.rs:1:fn greet() -> &'static str {"
        ]
    );
}

#[test]
fn path_search_select_and_count() {
    let env = Env::new();
    sample(&env);
    env.index("alpha");
    env.index("beta");
    assert_eq!(
        env.grep("type:path hello"),
        vec!["alpha/tests/test_hello.py", "beta/lib/hello_world.rs"]
    );
    assert_eq!(env.grep("hello select:repo"), vec!["alpha", "beta"]);
    assert_eq!(env.grep("file:\\.rs$"), vec!["beta/lib/hello_world.rs"]);
    let limited = env.quarry(&["search", "--format", "grep", "hello count:2"]);
    assert_eq!(String::from_utf8_lossy(&limited.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&limited.stderr).contains("add count:all"));
    // Ranking: a match in the file name comes first.
    let first = env.ok(&["search", "--format", "json", "hello_world"]);
    assert!(
        first
            .lines()
            .next()
            .unwrap()
            .contains("\"path\":\"lib/hello_world.rs\""),
        "{first}"
    );
}

#[test]
fn json_has_one_object_per_file_with_ranges() {
    let env = Env::new();
    sample(&env);
    env.index("alpha");
    let out = env.ok(&["search", "--format", "json", "printf"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["repo"], "alpha");
    assert_eq!(v["path"], "src/main.c");
    assert_eq!(v["language"], "C");
    assert_eq!(v["lines"][0]["line"], 3);
    assert_eq!(v["lines"][0]["ranges"][0]["start"], 1);
    assert_eq!(v["lines"][0]["ranges"][0]["end"], 7);
}

#[test]
fn bad_input_gets_clear_errors() {
    let env = Env::new();
    let out = env.quarry(&["search", "foo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("quarry index PATH"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sample(&env);
    env.index("alpha");
    let out = env.quarry(&["search", "foo AND"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("foo AND") && err.contains('^'), "{err}");
    let out = env.quarry(&["search", "/a(b/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unclosed group"));
    let out = env.quarry(&["index", env.repo("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
}

#[test]
fn reindex_replaces_the_repository() {
    let env = Env::new();
    sample(&env);
    env.index("alpha");
    let before = common::shard_files(&env.data());
    env.write(
        "alpha",
        "src/main.c",
        "int main(void) { return goodbye(); }\n",
    );
    env.index("alpha");
    assert_eq!(env.grep("printf"), Vec::<String>::new());
    assert_eq!(
        env.grep("goodbye"),
        vec!["alpha/src/main.c:1:int main(void) { return goodbye(); }"]
    );
    let after = common::shard_files(&env.data());
    assert_eq!(
        after.len(),
        before.len(),
        "old generation removed: {after:?}"
    );
    assert!(before.iter().all(|b| !after.contains(b)));
}

#[test]
fn config_check_reports_each_problem_with_its_position() {
    let env = Env::new();
    let good = env.dir.path().join("good.toml");
    std::fs::write(
        &good,
        "listen = \"127.0.0.1:7340\"\n[search]\nmax_concurrent = 4\n",
    )
    .unwrap();
    let out = env.quarry(&["config", "check", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let bad = env.dir.path().join("bad.toml");
    std::fs::write(&bad, "listen = \"nowhere\"\n[serach]\nx = 1\n").unwrap();
    let out = env.quarry(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let path = bad.display().to_string();
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{path}:1:10: listen:"))),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{path}:2:")) && l.contains("did you mean `search`")),
        "{text}"
    );
    let schema: serde_json::Value = serde_json::from_str(&env.ok(&["config", "schema"])).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    let example = env.dir.path().join("example.toml");
    std::fs::write(&example, env.ok(&["config", "example"])).unwrap();
    assert!(
        env.quarry(&["config", "check", example.to_str().unwrap()])
            .status
            .success(),
        "the documented example is valid"
    );
}

#[test]
fn configuration_reference_is_current() {
    let env = Env::new();
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .unwrap();
    let generated = env.ok(&["config", "reference"]);
    assert!(
        doc.ends_with(&generated),
        "docs/operations.md is out of date: regenerate its configuration reference (the end of the file) with `quarry config reference`"
    );
}
