//! `quarry serve --config`: access control (who may call what; a private repository's names,
//! paths and contents appear in no response to someone not allowed), webhooks, branches.

use crate::common;
use common::server::Server;
use common::{git, Env};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `quarry serve` with `config` as its file and waits until it is ready.
fn start(env: &Env, config: &str) -> Server {
    let path = write_config(env, config);
    Server::start(env, &["--config", &path], &[])
}

fn write_config(env: &Env, config: &str) -> String {
    let path = env.dir.path().join("quarry.toml");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

fn user(env: &Env, name: &str, extra: &[&str], password: Option<&str>) -> String {
    let mut args = vec!["admin", "user", "create", name];
    args.extend_from_slice(extra);
    if password.is_none() {
        args.push("--no-password");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(&args)
        .env("QUARRY_DATA", env.data())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(pw) = password {
        writeln!(child.stdin.take().unwrap(), "{pw}").unwrap();
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    env.ok(&["admin", "token", "create", "--user", name])
        .trim()
        .to_string()
}

fn setup(env: &Env, required: bool) -> Server {
    env.write("open", "src/lib.rs", "fn needle_open() {}\n");
    env.write(
        "vault",
        "plans/classified.txt",
        "needle xyzzy-classified plan\n",
    );
    let config = format!(
        "[auth]\nrequired = {required}\n\n[[repos]]\npath = \"{}\"\n\n[[repos]]\npath = \"{}\"\nvisibility = {{ users = [\"alice\"], groups = [\"spies\"] }}\n",
        env.repo("open").display(),
        env.repo("vault").display()
    );
    let server = start(env, &config);
    // Wait until both repositories are indexed (the owner of the vault sees it).
    let root = user(env, "root", &["--admin"], None);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, _, body) = server.request_full(
            "GET",
            "/api/search?q=needle",
            &[("Authorization", &format!("token {root}"))],
            "",
        );
        if body.contains("\"matchCount\":2") {
            break;
        }
        assert!(Instant::now() < deadline, "not indexed: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Everything a reader can ask; none of it may mention the vault.
fn assert_vault_hidden(s: &Server, headers: &[(&str, &str)]) {
    for path in [
        "/api/search?q=needle",
        "/api/search?q=xyzzy",
        "/api/search?q=needle%20select:repo",
        "/api/search?q=type:path%20classified",
        "/api/search?q=repo:vault",
        "/.api/search/stream?q=needle",
        "/.api/search/stream?q=needle%20select:repo",
        "/api/repos",
    ] {
        let (code, _, body) = s.request_full("GET", path, headers, "");
        assert_eq!(code, 200, "{path}: {body}");
        for secret in ["vault", "xyzzy", "classified"] {
            assert!(!body.contains(secret), "{path} reveals {secret:?}: {body}");
        }
    }
    let (_, _, body) = s.request_full("GET", "/api/search?q=needle", headers, "");
    assert!(
        body.contains("\"matchCount\":1"),
        "counts include only what is visible: {body}"
    );
    for path in [
        "/api/repos/vault",
        "/api/repos/vault/blob?path=plans/classified.txt",
    ] {
        let (code, _, body) = s.request_full("GET", path, headers, "");
        assert_eq!(
            code, 404,
            "{path} must look like a missing repository: {body}"
        );
        assert!(!body.contains("xyzzy"));
    }
}

#[test]
fn private_repositories_stay_private() {
    let env = Env::new();
    let s = setup(&env, false);
    let alice = user(&env, "alice", &[], Some("alice-pw"));
    let bob = user(&env, "bob", &[], None);
    let spy = user(&env, "carol", &["--group", "spies"], None);

    assert_vault_hidden(&s, &[]);
    let bob_auth = format!("token {bob}");
    assert_vault_hidden(&s, &[("Authorization", &bob_auth)]);

    for who in [&alice, &spy] {
        let auth = format!("token {who}");
        let (_, _, body) = s.request_full(
            "GET",
            "/api/search?q=xyzzy",
            &[("Authorization", &auth)],
            "",
        );
        assert!(body.contains("xyzzy-classified"), "{body}");
        let (code, _, _) = s.request_full(
            "GET",
            "/api/repos/vault/blob?path=plans/classified.txt",
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(code, 200);
    }

    // A bad token is refused outright rather than treated as anonymous.
    let (code, _, body) = s.request_full(
        "GET",
        "/api/search?q=needle",
        &[("Authorization", "token qry_nope")],
        "",
    );
    assert_eq!(code, 401, "{body}");

    // Sessions: log in with a password, then the cookie works like a token.
    let (code, headers, _) = s.request_full(
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        r#"{"user":"alice","password":"wrong"}"#,
    );
    assert_eq!(code, 401);
    let (code, headers2, _) = s.request_full(
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        r#"{"user":"alice","password":"alice-pw"}"#,
    );
    assert_eq!(code, 200, "{headers}");
    let cookie = headers2
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, _, body) = s.request_full("GET", "/api/search?q=xyzzy", &[("Cookie", &cookie)], "");
    assert!(body.contains("xyzzy-classified"), "{body}");
    let (_, _, body) = s.request_full("GET", "/api/me", &[("Cookie", &cookie)], "");
    assert!(body.contains("\"name\":\"alice\""), "{body}");

    // Admin-only: 401 without a user, 403 for a non-admin.
    assert_eq!(
        s.request_full("POST", "/api/repos/open/sync", &[], "").0,
        401
    );
    assert_eq!(
        s.request_full(
            "POST",
            "/api/repos/open/sync",
            &[("Authorization", &bob_auth)],
            ""
        )
        .0,
        403
    );
}

#[test]
fn required_authentication_refuses_anonymous_calls() {
    let env = Env::new();
    let s = setup(&env, true);
    let bob = user(&env, "bob", &[], None);
    for path in [
        "/api/search?q=needle",
        "/.api/search/stream?q=needle",
        "/api/repos",
        "/api/repos/open/blob?path=src/lib.rs",
    ] {
        let (code, _, body) = s.request_full("GET", path, &[], "");
        assert_eq!(code, 401, "{path}: {body}");
        assert!(body.contains("authentication required"), "{body}");
    }
    // What the UI needs before signing in stays reachable.
    assert_eq!(s.request_full("GET", "/api/me", &[], "").0, 200);
    assert_eq!(s.request_full("GET", "/healthz", &[], "").0, 200);
    assert_eq!(s.request_full("GET", "/search?q=x", &[], "").0, 200);
    let bob_auth = format!("token {bob}");
    let (code, _, body) = s.request_full(
        "GET",
        "/api/search?q=needle",
        &[("Authorization", &bob_auth)],
        "",
    );
    assert_eq!(code, 200);
    assert!(
        body.contains("\"matchCount\":1") && !body.contains("xyzzy"),
        "{body}"
    );
}

#[test]
fn push_webhooks_are_verified_and_trigger_a_sync() {
    use hmac::{Hmac, Mac};
    let env = Env::new();
    env.write("app", "main.go", "package main\n");
    let dir = env.repo("app");
    for args in [
        &["init", "-q"][..],
        &["add", "."],
        &["commit", "-qm", "one"],
    ] {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    std::fs::write(env.dir.path().join("hook-secret"), "s3cret\n").unwrap();
    let config = format!(
        "[webhooks]\ngithub_secret = {{ file = \"{}\" }}\n\n[[repos]]\nurl = \"file://{}\"\nname = \"app\"\n",
        env.dir.path().join("hook-secret").display(),
        dir.display()
    );
    let s = start(&env, &config);
    let body = format!(
        r#"{{"ref":"refs/heads/main","repository":{{"full_name":"t/app","clone_url":"file://{}"}}}}"#,
        dir.display()
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body.as_bytes());
    let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let (code, _, resp) = s.request_full(
        "POST",
        "/api/webhooks/github",
        &[
            ("X-Hub-Signature-256", &good),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(code, 202, "{resp}");
    assert!(resp.contains("\"triggered\":[\"app\"]"), "{resp}");
    let (code, _, _) = s.request_full(
        "POST",
        "/api/webhooks/github",
        &[
            ("X-Hub-Signature-256", "sha256=00"),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(code, 401);
    // Hosts without a configured secret are refused.
    let (code, _, _) = s.request_full(
        "POST",
        "/api/webhooks/gitlab",
        &[("X-Gitlab-Token", "s3cret")],
        &body,
    );
    assert_eq!(code, 404);
}

#[test]
fn branches_are_searchable_with_rev() {
    let env = Env::new();
    env.write("lib", "lib.rs", "fn on_main() {}\n");
    let dir = env.repo("lib");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "main"]);
    for b in ["release/1.0", "release/2.0", "feature/x"] {
        git(&dir, &["checkout", "-q", "-b", b, "main"]);
        env.write("lib", "lib.rs", format!("fn on_branch() {{ /* {b} */ }}\n"));
        git(&dir, &["commit", "-qam", b]);
    }
    git(&dir, &["checkout", "-q", "main"]);
    let config = format!(
        "[[repos]]\npath = \"{}\"\nbranches = [\"release/*\"]\n",
        dir.display()
    );
    let s = start(&env, &config);
    let get = |q: &str| -> String {
        s.request_full("GET", &format!("/api/search?q={q}"), &[], "")
            .2
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get("on_branch%20rev:release/*").contains("\"matchCount\":2") {
        assert!(
            Instant::now() < deadline,
            "branches not indexed: {}",
            get("on_branch%20rev:release/*")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Without rev: the default branch only.
    assert!(get("on_main").contains("\"matchCount\":1"));
    assert!(get("on_branch").contains("\"matchCount\":0"));
    assert!(get("on_branch%20rev:release/1.0").contains("release/1.0"));
    assert!(!get("on_branch%20rev:release/1.0").contains("release/2.0"));
    assert!(get("on_main%20rev:HEAD").contains("\"matchCount\":1"));
    // Branches outside the globs are not indexed.
    assert!(get("on_branch%20rev:feature/x").contains("\"matchCount\":0"));
    // A file at a revision.
    let (code, _, body) = s.request_full(
        "GET",
        "/api/repos/lib/blob?path=lib.rs&rev=release/2.0",
        &[],
        "",
    );
    assert_eq!(code, 200);
    assert!(
        body.contains("release/2.0") && body.contains("\"commit\":\""),
        "{body}"
    );
}

/// A stand-in for GitHub's API: `GET /orgs/acme/repos` lists `repos()` at the time of the call.
fn fake_github(repos: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = if req.starts_with("GET ") && req.contains("/orgs/acme/repos") {
                let list: Vec<String> = repos
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(name, url)| format!(r#"{{"full_name":"acme/{name}","clone_url":"{url}","default_branch":"main","fork":false,"archived":false,"private":false}}"#))
                    .collect();
                format!("[{}]", list.join(","))
            } else {
                "{}".to_string()
            };
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-RateLimit-Remaining: 4999\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

fn git_repo(env: &Env, name: &str, file: &str, text: &str) -> String {
    env.write(name, file, text);
    let dir = env.repo(name);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "init"]);
    format!("file://{}", dir.display())
}

#[test]
fn code_host_repositories_are_discovered_and_rediscovered() {
    let env = Env::new();
    let listed = std::sync::Arc::new(std::sync::Mutex::new(vec![(
        "app".to_string(),
        git_repo(&env, "app", "app.go", "func FromTheApp() {}\n"),
    )]));
    let api = fake_github(listed.clone());
    let config = format!(
        "[[code_hosts]]\nkind = \"github\"\nurl = \"http://{api}/api/v3\"\norgs = [\"acme\"]\ntoken = {{ env = \"QUARRY_TEST_GH_TOKEN\" }}\ninterval = \"1s\"\n"
    );
    std::env::set_var("QUARRY_TEST_GH_TOKEN", "ghp_test");
    let s = start(&env, &config);
    let found = |q: &str| {
        s.request_full("GET", &format!("/api/search?q={q}"), &[], "")
            .2
            .contains("\"matchCount\":1")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !found("FromTheApp") {
        assert!(
            Instant::now() < deadline,
            "discovered repository not indexed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let repos = s.request_full("GET", "/api/repos", &[], "").2;
    assert!(repos.contains(&format!("{api}/acme/app")), "{repos}");
    // A repository created on the host later is picked up without a restart.
    listed.lock().unwrap().push((
        "lib".to_string(),
        git_repo(&env, "lib", "lib.go", "func FromTheLib() {}\n"),
    ));
    while !found("FromTheLib") {
        assert!(
            Instant::now() < deadline,
            "rediscovered repository not indexed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn off_loopback_sign_in_is_required_unless_the_config_says_otherwise() {
    let env = Env::new();
    env.write("open", "a.txt", "hello\n");
    let serving_line = |config: &str| {
        let path = write_config(&env, config);
        let server = Server::spawn(&env, "0.0.0.0:0", &["--config", &path], &[]);
        server.seen.last().unwrap().clone()
    };
    let line = serving_line("[search]\nmax_concurrent = 2\n");
    assert!(line.contains("sign-in required"), "{line}");
    let line = serving_line("[auth]\nrequired = false\n");
    assert!(line.contains("sign-in optional"), "{line}");
}
