//! `quarry debug bundle` against a real server whose config, environment and logs hold known
//! secrets: every part is there, and no secret is anywhere in the archive.

use crate::common;
use common::server::Server;
use common::Env;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Command;

const WEBHOOK: &str = "wh-Signing-7731"; // config: { env = "BUNDLE_HOOK_SIGNING" }
const FILE_TOKEN: &str = "ghp-FileT0ken-5521"; // config: { file = ... }
const GIT_PASSWORD: &str = "s3cretpass"; // in a repository URL (command line: the config refuses it)
const API_KEY: &str = "k3y-V4lue-987"; // $QUARRY_TEST_API_KEY, also a repository's path
const PASSWORD: &str = "pw-Zebra-4411"; // $MY_SERVICE_PASSWORD, only in the environment

/// A code host API that lists no repositories and ignores the token.
fn fake_github() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-OAuth-Scopes: repo, read:org\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]");
        }
    });
    addr
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn admin_token(env: &Env) -> String {
    env.ok(&[
        "admin",
        "user",
        "create",
        "root",
        "--admin",
        "--no-password",
    ]);
    env.ok(&["admin", "token", "create", "--user", "root"])
        .trim()
        .to_string()
}

/// Every file of the archive by its path below the top directory.
fn untar(path: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut files = BTreeMap::new();
    for e in tar::Archive::new(gz).entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let (top, rest) = name.split_once('/').unwrap();
        assert!(top.starts_with("quarry-debug-"), "{name}");
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        files.insert(rest.to_string(), body);
    }
    files
}

fn bundle(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["debug", "bundle"])
        .args(args)
        .env("QUARRY_DATA", env.data())
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

fn json(files: &BTreeMap<String, Vec<u8>>, name: &str) -> serde_json::Value {
    serde_json::from_slice(&files[name]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_bundle_has_every_part_and_no_secret() {
    let env = Env::new();
    let token_file = env.write("secrets", "gh-token", format!("{FILE_TOKEN}\n"));
    env.write(API_KEY, "main.rs", "fn main() {}\n");
    let config = env.write(
        "etc",
        "quarry.toml",
        format!(
            "[webhooks]\ngithub_secret = {{ env = \"BUNDLE_HOOK_SIGNING\" }}\n\n\
             [[code_hosts]]\nkind = \"github\"\nurl = \"http://{api}/api/v3\"\norgs = [\"acme\"]\ntoken = {{ file = \"{tf}\" }}\n\n\
             [[repos]]\nname = \"local\"\npath = \"{local}\"\n",
            api = fake_github(),
            tf = token_file.display(),
            local = env.repo(API_KEY).display(),
        ),
    );
    let token = admin_token(&env);
    let secrets_env = [
        ("BUNDLE_HOOK_SIGNING", WEBHOOK),
        ("QUARRY_TEST_API_KEY", API_KEY),
        ("MY_SERVICE_PASSWORD", PASSWORD),
    ];
    let git_url = format!(
        "http://user:{GIT_PASSWORD}@127.0.0.1:{}/broken.git",
        closed_port()
    );
    let server = Server::start(
        &env,
        &["--config", config.to_str().unwrap(), &git_url],
        &secrets_env,
    );
    let is_broken =
        |r: &serde_json::Value| r["name"].as_str().is_some_and(|n| n.ends_with("/broken"));
    server.until("/api/repos", |v| {
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| is_broken(r) && !r["sync"]["lastError"].is_null())
    });
    assert_eq!(server.get("/api/debug/info").0, 401, "admin only");
    let doc = server.json("/api/openapi.json");
    for p in [
        "info",
        "config",
        "logs",
        "inventory",
        "disk",
        "pprof/profile",
    ] {
        assert!(
            doc["paths"].get(format!("/api/debug/{p}")).is_some(),
            "{p} undocumented"
        );
    }

    let out_path = env.dir.path().join("out.tar.gz");
    let mut envs = secrets_env.to_vec();
    envs.push(("QUARRY_TOKEN", &token));
    let url = format!("http://{}", server.addr);
    let out = bundle(
        &env,
        &[
            "--url",
            &url,
            "-o",
            out_path.to_str().unwrap(),
            "--profile-seconds",
            "1",
        ],
        &envs,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("out.tar.gz") && stdout.contains("bytes"),
        "{stdout}"
    );

    let files = untar(&out_path);
    let summary = String::from_utf8_lossy(&files["summary.txt"]).to_string();
    for name in [
        "summary.txt",
        "local/info.json",
        "local/config.json",
        "local/doctor.json",
        "server/info.json",
        "server/config.json",
        "server/logs.ndjson",
        "server/metrics.txt",
        "server/probes.json",
        "server/inventory.json",
        "server/repos.json",
        "server/disk.json",
        "server/profile.folded",
    ] {
        assert!(
            files.get(name).is_some_and(|b| !b.is_empty()),
            "{name} missing or empty:\n{summary}"
        );
        assert!(
            summary.contains(name),
            "{name} not in the summary:\n{summary}"
        );
    }
    assert!(
        summary.contains("reachable") && summary.contains("\n  none\n"),
        "{summary}"
    );

    let config = json(&files, "server/config.json");
    assert_eq!(
        config["webhooks"]["github_secret"],
        serde_json::json!({ "env": "BUNDLE_HOOK_SIGNING" })
    );
    let inventory = json(&files, "server/inventory.json");
    let broken = inventory["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| is_broken(r))
        .expect("broken listed");
    assert!(
        broken["sync"]["lastError"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{broken}"
    );
    assert!(
        inventory["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["repo"] == "local" && m["shards"][0]["loaded"] == true),
        "{inventory}"
    );
    assert_eq!(
        json(&files, "server/info.json")["build"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    assert!(json(&files, "local/doctor.json")["checks"].is_array());
    assert!(json(&files, "server/disk.json")["filesystem"]["totalBytes"].as_u64() > Some(0));
    assert!(String::from_utf8_lossy(&files["server/profile.folded"])
        .starts_with("# quarry CPU profile"));
    // The repository path named after a secret is there, redacted.
    assert!(String::from_utf8_lossy(&files["server/config.json"]).contains("[REDACTED]"));

    let mut all = Vec::new();
    for (name, body) in &files {
        for secret in [
            WEBHOOK,
            FILE_TOKEN,
            GIT_PASSWORD,
            API_KEY,
            PASSWORD,
            token.as_str(),
        ] {
            assert!(
                !body.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {name}:\n{}",
                String::from_utf8_lossy(body)
            );
        }
        all.extend_from_slice(body);
    }
    assert!(!all.is_empty());
}

#[test]
fn without_a_server_the_bundle_says_so_and_holds_what_is_on_disk() {
    let env = Env::new();
    env.write("proj", "a.rs", "fn main() {}\n");
    env.index("proj");
    let out_path = env.dir.path().join("offline.tar.gz");
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = bundle(
        &env,
        &["--url", &url, "-o", out_path.to_str().unwrap()],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not reached"));
    let files = untar(&out_path);
    let summary = String::from_utf8_lossy(&files["summary.txt"]);
    assert!(summary.contains("UNREACHABLE"), "{summary}");
    for name in [
        "local/info.json",
        "local/inventory.json",
        "local/disk.json",
        "local/doctor.json",
    ] {
        assert!(
            files.get(name).is_some_and(|b| !b.is_empty()),
            "{name}:\n{summary}"
        );
    }
    assert!(
        !files.keys().any(|k| k.starts_with("server/")),
        "{:?}",
        files.keys()
    );
    assert_eq!(
        json(&files, "local/inventory.json")["manifests"][0]["repo"],
        "proj"
    );
}
