//! Hot reload of `quarry serve --config`: on file change and on SIGHUP; live keys apply, a bad
//! file is rejected and the running configuration kept, restart-only keys are reported.

use crate::common;
use common::server::Server;
use common::Env;

/// Three files with the word `needle`, each on two lines: six matching lines.
fn corpus(env: &Env, repo: &str) {
    for i in 0..3 {
        env.write(repo, &format!("f{i}.txt"), "needle one\nneedle two\n");
    }
}

fn config(env: &Env, body: &str) -> std::path::PathBuf {
    let path = env.dir.path().join("quarry.toml");
    // Written to a temporary name and renamed, as editors and ConfigMaps do.
    let tmp = env.dir.path().join("quarry.toml.tmp");
    std::fs::write(&tmp, body).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn repo_entry(env: &Env, name: &str) -> String {
    format!(
        "[[repos]]\nname = \"{name}\"\npath = \"{}\"\n",
        env.repo(name).display()
    )
}

fn match_count(server: &Server, query: &str) -> u64 {
    server.json(&format!("/api/search?q={query}"))["matchCount"]
        .as_u64()
        .unwrap()
}

#[test]
fn search_limits_apply_live_and_a_bad_file_is_rejected() {
    let env = Env::new();
    corpus(&env, "alpha");
    let repos = repo_entry(&env, "alpha");
    let path = config(&env, &format!("[search]\ndefault_limit = 2\n\n{repos}"));
    let mut server = Server::start(&env, &["--config", path.to_str().unwrap()], &[]);
    server.wait_log("indexed alpha");
    server.until("/api/search?q=needle", |v| v["limitHit"] == true);
    assert_eq!(match_count(&server, "needle"), 2);

    // A file change applies without a signal.
    config(&env, &format!("[search]\ndefault_limit = 50\n\n{repos}"));
    let line = server.wait_log_all(&["configuration reloaded", "search.default_limit"]);
    assert!(line.contains("file"), "{line}");
    assert_eq!(match_count(&server, "needle"), 6);

    // A bad file names its problem and changes nothing.
    config(
        &env,
        &format!("[search]\ndefault_limit = 1\ndefualt_timeout = \"5s\"\n\n{repos}"),
    );
    let problem = server.wait_log("defualt_timeout");
    assert!(problem.contains("quarry.toml:3:"), "{problem}");
    server.wait_log("reload rejected");
    assert_eq!(match_count(&server, "needle"), 6);
}

#[test]
fn sighup_reloads_sources_and_reports_keys_that_need_a_restart() {
    let env = Env::new();
    corpus(&env, "alpha");
    corpus(&env, "beta");
    let path = config(&env, &repo_entry(&env, "alpha"));
    let mut server = Server::start(&env, &["--config", path.to_str().unwrap()], &[]);
    server.wait_log("indexed alpha");

    // A new repository and a restart-only key; SIGHUP right away.
    config(
        &env,
        &format!(
            "listen = \"127.0.0.1:1\"\n[log]\nlevel = \"debug\"\n\n{}\n{}",
            repo_entry(&env, "alpha"),
            repo_entry(&env, "beta")
        ),
    );
    server.signal("HUP");
    let restart = server.wait_log("apply only after a restart");
    assert!(restart.contains("listen"), "{restart}");
    server.wait_log("indexed beta");
    // The debug level applies live: sync start lines are debug.
    assert!(
        server.seen.iter().any(|l| l.contains("sync started")),
        "log.level = debug did not apply"
    );
    let repos = server.json("/api/repos");
    assert_eq!(repos.as_array().unwrap().len(), 2, "{repos}");
    // Still serving on the old address.
    assert_eq!(server.get("/healthz").0, 200);

    // Removing a repository unschedules it and drops it from search.
    config(&env, &repo_entry(&env, "beta"));
    server.signal("HUP");
    server.wait_log("removed alpha");
    server.until("/api/repos", |v| v.as_array().unwrap().len() == 1);
    let hits = server.until("/api/search?q=needle%20count:all", |v| v["matchCount"] == 6);
    let text = hits.to_string();
    assert!(text.contains("beta") && !text.contains("alpha"), "{text}");
    // Its index is deleted, not just hidden.
    let manifests: Vec<_> = std::fs::read_dir(env.data().join("repos"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(manifests, ["beta.json"]);
}
