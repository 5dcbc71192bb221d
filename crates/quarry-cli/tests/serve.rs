//! `quarry serve` end to end: start on a directory, search over HTTP (JSON and the
//! Sourcegraph-style stream), repositories and blobs, restart without re-indexing, SIGTERM.

use crate::common;
use common::server::Server;
use common::{git, Env};
use std::process::Command;
use std::time::{Duration, Instant};

/// Creates an admin user and returns a fresh API token of theirs.
fn admin_token(env: &Env) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args([
            "admin",
            "user",
            "create",
            "root",
            "--admin",
            "--no-password",
        ])
        .env("QUARRY_DATA", env.data())
        .output()
        .unwrap();
    assert!(
        out.status.success() || String::from_utf8_lossy(&out.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.ok(&["admin", "token", "create", "--user", "root"])
        .trim()
        .to_string()
}

fn sample(env: &Env) {
    env.write(
        "proj",
        "src/lib.rs",
        "pub fn parse_config(input: &str) -> Config {\n    todo!()\n}\n",
    );
    env.write(
        "proj",
        "src/main.c",
        "int main(void) { return parse_config(0); }\n",
    );
    env.write("proj", "README.md", "# proj\nA sample.\n");
}

#[test]
fn serves_search_repos_and_blobs() {
    let env = Env::new();
    sample(&env);
    let mut server = Server::start(&env, &[env.repo("proj").to_str().unwrap()], &[]);
    server.wait_log("indexed proj");

    let r = server.json("/api/search?q=parse_config");
    assert_eq!(r["matchCount"], 2);
    assert_eq!(r["results"].as_array().unwrap().len(), 2);
    assert_eq!(r["limitHit"], false);
    let r = server.json("/api/search?q=parse_config%20count:1");
    assert_eq!(r["limitHit"], true);
    assert!(r["alert"]["proposedQueries"][0]["query"]
        .as_str()
        .unwrap()
        .ends_with("count:all"));

    let (code, body) = server.get("/api/search?q=foo%20AND");
    assert_eq!(code, 400);
    assert!(body.contains("expected a search term after AND"), "{body}");
    let (code, _) = server.get("/api/search");
    assert_eq!(code, 400);

    // The stream: Sourcegraph's events, `done` last, 0-based line numbers.
    let (code, body) = server.get("/.api/search/stream?q=lang:rust%20parse_config");
    assert_eq!(code, 200);
    let events: Vec<(&str, serde_json::Value)> = body
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let name = e.lines().find_map(|l| l.strip_prefix("event: ")).unwrap();
            let data = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect();
    assert_eq!(events.last().unwrap().0, "done");
    let matches: Vec<&serde_json::Value> = events
        .iter()
        .filter(|(n, _)| *n == "matches")
        .flat_map(|(_, v)| v.as_array().unwrap())
        .collect();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["type"], "content");
    assert_eq!(matches[0]["repository"], "proj");
    assert_eq!(matches[0]["path"], "src/lib.rs");
    assert_eq!(matches[0]["lineMatches"][0]["lineNumber"], 0);
    assert_eq!(
        matches[0]["lineMatches"][0]["offsetAndLengths"][0],
        serde_json::json!([7, 12])
    );
    let progress = events.iter().rev().find(|(n, _)| *n == "progress").unwrap();
    assert_eq!(progress.1["done"], true);
    assert_eq!(progress.1["matchCount"], 1);
    let filters = events.iter().rev().find(|(n, _)| *n == "filters").unwrap();
    assert!(filters
        .1
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["value"] == "lang:rust" && f["kind"] == "lang"));
    let (_, body) = server.get("/.api/search/stream?q=(unbalanced%20OR");
    assert!(
        body.contains("event: alert")
            && body.contains("Invalid query")
            && body.ends_with("data: {}\n\n"),
        "{body}"
    );

    let repos = server.json("/api/repos");
    assert_eq!(repos[0]["name"], "proj");
    assert_eq!(repos[0]["sync"]["state"], "idle");
    assert_eq!(repos[0]["branches"][0]["files"], 3);
    let blob = server.json("/api/repos/proj/blob?path=src/main.c");
    assert_eq!(blob["language"], "C");
    assert!(blob["content"].as_str().unwrap().starts_with("int main"));
    assert_eq!(server.get("/api/repos/proj/blob?path=nope.c").0, 404);
    assert_eq!(server.get("/api/repos/nope").0, 404);

    // Every API route is in the OpenAPI document.
    let doc = server.json("/api/openapi.json");
    for path in [
        "/api/search",
        "/.api/search/stream",
        "/api/repos",
        "/api/repos/{repo}",
        "/api/repos/{repo}/blob",
        "/api/repos/{repo}/sync",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from openapi.json"
        );
    }

    // A change on disk is picked up by an on-demand sync.
    env.write("proj", "src/new.rs", "fn parse_config_again() {}\n");
    assert_eq!(
        server.request("POST", "/api/repos/proj/sync", None, "").0,
        401,
        "sync is admin-only"
    );
    let token = admin_token(&env);
    let (code, body) = server.request("POST", "/api/repos/proj/sync", Some(&token), "");
    assert_eq!(code, 202, "{body}");
    server.wait_log("indexed proj");
    assert_eq!(
        server.json("/api/search?q=parse_config_again")["matchCount"],
        1
    );

    assert!(server.terminate().success(), "SIGTERM exits 0");
}

#[test]
fn a_second_start_reuses_the_index() {
    let env = Env::new();
    sample(&env);
    let mut first = Server::start(&env, &[env.repo("proj").to_str().unwrap()], &[]);
    first.wait_log("indexed proj");
    let generation = |env: &Env| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(env.data().join("repos/proj.json")).unwrap())
                .unwrap();
        m["generation"].as_u64().unwrap()
    };
    let before = generation(&env);
    assert!(first.terminate().success());
    let mut second = Server::start(&env, &[env.repo("proj").to_str().unwrap()], &[]);
    // Searchable at once from the existing index, before any sync ran.
    assert_eq!(second.json("/api/search?q=parse_config")["matchCount"], 2);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(generation(&env), before, "unchanged tree re-indexed");
    assert!(second.terminate().success());
}

#[test]
fn serves_a_git_repository_from_its_object_store() {
    let env = Env::new();
    env.write("gitrepo", "main.go", "package main\nfunc Hello() {}\n");
    let dir = env.repo("gitrepo");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "first"]);
    // Uncommitted changes are not indexed: the index comes from commits, not the checkout.
    env.write("gitrepo", "draft.go", "func Unsaved() {}\n");
    let mut server = Server::start(&env, &[dir.to_str().unwrap()], &[]);
    server.wait_log("indexed gitrepo");
    assert_eq!(server.json("/api/search?q=Hello")["matchCount"], 1);
    assert_eq!(server.json("/api/search?q=Unsaved")["matchCount"], 0);
    let repo = server.json("/api/repos/gitrepo");
    assert_eq!(repo["branches"][0]["name"], "main");
    assert_eq!(repo["branches"][0]["commit"].as_str().unwrap().len(), 40);

    // A new commit is picked up by the next sync; only what changed is indexed again.
    env.write("gitrepo", "more.go", "func Goodbye() {}\n");
    git(&dir, &["add", "more.go"]);
    git(&dir, &["commit", "-qm", "second"]);
    let token = admin_token(&env);
    assert_eq!(
        server
            .request("POST", "/api/repos/gitrepo/sync", Some(&token), "")
            .0,
        202
    );
    server.wait_log("indexed gitrepo");
    assert_eq!(server.json("/api/search?q=Goodbye")["matchCount"], 1);
    assert!(server.terminate().success());
}

#[test]
fn a_failing_repository_shows_its_error_and_others_still_serve() {
    let env = Env::new();
    sample(&env);
    let mut server = Server::start(
        &env,
        &[
            env.repo("proj").to_str().unwrap(),
            "http://127.0.0.1:9/nothing/here.git",
        ],
        &[],
    );
    server.wait_log("syncing 127.0.0.1/nothing/here");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.json("/api/search?q=parse_config")["matchCount"] != 2 {
        assert!(
            Instant::now() < deadline,
            "the healthy repository was not indexed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let failing = server.json("/api/repos/127.0.0.1%2Fnothing%2Fhere");
    assert_eq!(failing["sync"]["state"], "error");
    assert!(
        failing["sync"]["lastError"]
            .as_str()
            .unwrap()
            .contains("git clone"),
        "{failing}"
    );
    assert!(failing["sync"]["lastErrorAt"].as_u64().unwrap() > 0);
    assert!(server.terminate().success());
}

#[test]
fn sigterm_lets_an_in_flight_search_finish() {
    let env = Env::new();
    // Enough matches (20,000 lines) that the search and its stream take a while.
    let filler = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do\n".repeat(2000);
    for i in 0..10 {
        env.write("big", &format!("f{i}.txt"), &filler);
    }
    let mut server = Server::start(&env, &[env.repo("big").to_str().unwrap()], &[]);
    server.wait_log("indexed big");
    let base = server.base();
    let search = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let addr = base.trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let q = "/[aeiou]/%20count:all%20timeout:60s";
        write!(
            s,
            "GET /.api/search/stream?q={q} HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        let started = Instant::now();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        (text, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(150));
    let status = server.terminate();
    let (text, took) = search.join().unwrap();
    assert!(status.success(), "SIGTERM exits 0");
    assert!(
        took > Duration::from_millis(150),
        "the search ended before SIGTERM ({took:?}): make it longer"
    );
    assert!(
        text.contains("event: done"),
        "the in-flight search was cut off after {took:?}: {text}"
    );
}
