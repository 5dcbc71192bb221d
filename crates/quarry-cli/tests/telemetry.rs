//! `quarry serve`'s telemetry end to end: JSON logs with request ids, and `/metrics` (checked
//! by promtool).

use crate::common;
use crate::harness;
use common::Env;
use harness::{header, Server};
use std::io::Write;
use std::process::{Command, Stdio};

/// The value of an unlabelled sample.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn metrics_count_requests_and_pass_promtool() {
    let env = Env::new();
    let server = Server::start(&env, "");
    assert_eq!(server.get("/api/repos/nope", &[]).0, 404);
    let (code, head, text) = server.get("/metrics", &[]);
    assert_eq!(code, 200);
    assert!(
        header(&head, "content-type").is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{head}"
    );
    for want in [
        r#"quarry_http_requests_total{route="/api/search",method="GET",status="200"}"#,
        r#"quarry_http_requests_total{route="/api/repos/{repo}",method="GET",status="404"} 1"#,
        r#"quarry_http_request_duration_seconds_count{route="/api/search",method="GET"}"#,
        "quarry_http_requests_in_flight 1",
        &format!(
            "quarry_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        ),
    ] {
        assert!(text.contains(want), "{want} missing from\n{text}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let start = sample(&text, "process_start_time_seconds");
    assert!(
        start <= now + 1.0 && start > now - 300.0,
        "{start} vs {now}"
    );
    assert!(sample(&text, "process_resident_memory_bytes") > 1e6);
    assert!(sample(&text, "process_virtual_memory_bytes") > 1e6);
    assert!(sample(&text, "process_open_fds") >= 3.0);
    assert!(sample(&text, "process_max_fds") >= sample(&text, "process_open_fds"));
    assert!(sample(&text, "process_threads") >= 2.0);
    assert!(sample(&text, "process_cpu_seconds_total") >= 0.0);

    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut promtool = match promtool {
        Ok(p) => p,
        Err(e) if std::env::var_os("QUARRY_REQUIRE_PROMTOOL").is_none() => {
            eprintln!("\n\n*** SKIPPED promtool check metrics: cannot run promtool ({e}); install the `prometheus` package (scripts/test does) ***\n\n");
            return;
        }
        Err(e) => panic!("QUARRY_REQUIRE_PROMTOOL is set but promtool cannot run: {e}"),
    };
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_logs_carry_request_ids() {
    let env = Env::new();
    let mut server = Server::start(&env, "[log]\nlevel = \"info,quarry_server=debug\"\n");
    let (_, head, _) = server.get("/api/repos", &[("X-Request-Id", "test-req-42")]);
    assert_eq!(header(&head, "x-request-id"), Some("test-req-42"), "{head}");
    let (_, head, _) = server.get("/healthz", &[]);
    let made = header(&head, "x-request-id").unwrap().to_string();
    assert_eq!(made.len(), 16);

    let line = server.wait_log(|l| l.contains("test-req-42"));
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(v["level"], "DEBUG");
    assert_eq!(v["target"], "quarry_server::observe");
    assert_eq!(v["message"], "GET /api/repos answered 200 OK");
    assert_eq!(v["status"], 200);
    assert_eq!(v["span"]["name"], "http_request");
    assert_eq!(v["span"]["request_id"], "test-req-42");
    assert_eq!(v["span"]["route"], "/api/repos");
    let line = server.wait_log(|l| l.contains(&made));
    assert!(line.contains(r#""route":"/healthz""#), "{line}");

    // Stderr is a pipe: every line logged through tracing is one JSON object with level,
    // target and message. Lines still printed with eprintln! start with "quarry: ".
    let log = server.terminate();
    let mut json = 0;
    for l in &log {
        if l.starts_with("quarry: ") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(
            v["level"].is_string() && v["target"].is_string() && v["message"].is_string(),
            "{l}"
        );
        json += 1;
    }
    assert!(json >= 2, "{log:#?}");
}

/// Every metric family a busy server exports is in docs/operations.md's table, and every
/// metric the table names is exported or at least recorded somewhere in the code.
#[test]
fn every_metric_is_documented() {
    let env = Env::new();
    env.write("docsrepo", "a.txt", "needle\n");
    let config = env.dir.path().join("quarry.toml");
    std::fs::write(
        &config,
        format!(
            "[[repos]]\nname = \"docsrepo\"\npath = \"{}\"\n",
            env.repo("docsrepo").display()
        ),
    )
    .unwrap();
    let mut server =
        common::server::Server::start(&env, &["--config", config.to_str().unwrap()], &[]);
    server.wait_log("indexed docsrepo");
    server.json("/api/search?q=needle");
    server.get("/.api/search/stream?q=needle");
    server.signal("HUP");
    server.wait_log("configuration reloaded");
    std::thread::sleep(std::time::Duration::from_secs(6)); // the sync gauges' period
    let text = server.get("/metrics").1;
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .unwrap();
    let exported: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(exported.len() > 30, "{text}");
    for name in &exported {
        assert!(
            doc.contains(&format!("`{name}`"))
                || doc.contains(&format!("`{name} /"))
                || doc.contains(&format!("/ `{name}`")),
            "metric {name} is exported but not documented in docs/operations.md"
        );
    }
    let mut sources = String::new();
    for dir in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).unwrap() {
        let src = dir.unwrap().path().join("src");
        for file in walk(&src) {
            sources.push_str(&std::fs::read_to_string(file).unwrap_or_default());
        }
    }
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        for name in line
            .split('|')
            .nth(1)
            .unwrap()
            .split('`')
            .filter(|n| n.starts_with("quarry_") || n.starts_with("process_"))
        {
            assert!(
                exported.contains(&name) || sources.contains(&format!("\"{name}\"")),
                "docs/operations.md documents {name}, which nothing records"
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}
