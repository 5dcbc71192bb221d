//! `quarry doctor`: each injected fault is reported as a FAIL (or WARN) line naming the cause,
//! with its fix, and sets the exit status; a healthy install passes.

use crate::common;
use common::Env;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const TOKEN_VAR: &str = "DOCTOR_TEST_GITHUB_TOKEN";

/// A local HTTP server answering every request with `reply(path)`: (status, headers, body).
struct FakeHost {
    base: String,
}

type Reply = (u16, Vec<(String, String)>, String);

impl FakeHost {
    fn start(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> FakeHost {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for mut conn in listener.incoming().map_while(Result::ok) {
                // A TLS hello has no blank line: answer it (with plain HTTP) after a pause.
                let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, headers, body) = reply(&path);
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                let _ = write!(conn, "{out}\r\n{body}");
            }
        });
        FakeHost { base }
    }

    /// A GitHub-shaped API: `/api/v3/user` answers for the token with `scopes`, every answer
    /// carries a `Date` that is `skew` seconds off.
    fn github(status: u16, scopes: &'static str, skew: i64) -> FakeHost {
        FakeHost::start(move |path| {
            let now = SystemTime::now();
            let date = if skew >= 0 {
                now + Duration::from_secs(skew as u64)
            } else {
                now - Duration::from_secs(skew.unsigned_abs())
            };
            let mut headers = vec![("Date".to_string(), httpdate::fmt_http_date(date))];
            if path == "/api/v3/user" {
                if status != 200 {
                    return (status, headers, r#"{"message":"Bad credentials"}"#.into());
                }
                headers.push(("X-OAuth-Scopes".into(), scopes.into()));
                return (200, headers, r#"{"login":"quarry-bot"}"#.into());
            }
            (200, headers, "{}".into())
        })
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A config file with `extra` and a GitHub connection to `api` (an API base URL).
fn config_with_host(env: &Env, api: &str) -> String {
    write_config(
        env,
        &format!(
            "[[code_hosts]]\nkind = \"github\"\nurl = \"{api}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\norgs = [\"acme\"]\n"
        ),
    )
}

fn write_config(env: &Env, text: &str) -> String {
    let path = env.dir.path().join("quarry.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs `quarry doctor ARGS` on a free listen port (unless ARGS name one) with the token set,
/// and `vars`.
fn doctor(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let port = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
    cmd.arg("doctor").args(args);
    if !args.contains(&"--listen") {
        cmd.args(["--listen", &port]);
    }
    cmd.env("QUARRY_DATA", env.data())
        .env(TOKEN_VAR, "ghp_doctortest")
        // The test machine's own disk must not decide these tests (the disk test sets them).
        .env("QUARRY_DOCTOR_MIN_FREE_PERCENT", "0")
        .env("QUARRY_DOCTOR_WARN_FREE_PERCENT", "0");
    for (k, v) in vars {
        // An empty value unsets the variable.
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let out: Output = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), stdout)
}

/// The line of check `id` with status `status`, and the lines under it (details and fix).
fn line<'a>(out: &'a str, status: &str, id: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = out.lines().collect();
    let Some(i) = lines
        .iter()
        .position(|l| l.starts_with(status) && l[4..].trim_start().split(' ').next() == Some(id))
    else {
        panic!("no {status} line for {id} in:\n{out}");
    };
    let mut block = vec![lines[i]];
    block.extend(
        lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with("      ")),
    );
    block
}

fn assert_names(block: &[&str], words: &[&str]) {
    let text = block.join("\n");
    for w in words {
        assert!(text.contains(w), "{w:?} missing from:\n{text}");
    }
}

fn indexed_env() -> Env {
    let env = Env::new();
    env.write("src", "main.rs", "fn main() { println!(\"hello\"); }\n");
    env.index("src");
    env
}

#[test]
fn a_healthy_install_passes() {
    let env = indexed_env();
    let host = FakeHost::github(200, "repo, read:org", 0);
    let config = config_with_host(&env, &format!("{}/api/v3", host.base));
    let (code, out) = doctor(&env, &["--config", &config], &[]);
    assert_eq!(code, Some(0));
    assert!(!out.contains("FAIL") && !out.contains("WARN"), "{out}");
    for id in [
        "config",
        "data-dir",
        "disk-space",
        "inodes",
        "store",
        "shards",
        "leftovers",
        "clock",
        "listen",
        "auth",
    ] {
        line(&out, "PASS", id);
    }
    let label = host.base.trim_start_matches("http://");
    assert_names(
        &line(&out, "PASS", &format!("code-host:{label}")),
        &["HTTP 200"],
    );
    assert_names(
        &line(&out, "PASS", &format!("token:{label}")),
        &["quarry-bot", "repo, read:org"],
    );

    let (code, out) = doctor(&env, &["--config", &config, "--format", "json"], &[]);
    assert_eq!(code, Some(0));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["summary"]["fail"], 0);
}

#[test]
fn an_ssh_repository_without_ssh_fails() {
    let env = indexed_env();
    let config = write_config(
        &env,
        "[[repos]]\nname = \"app\"\nurl = \"git@git.example.com:team/app.git\"\n",
    );
    let empty = env.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, out) = doctor(
        &env,
        &["--config", &config],
        &[("PATH", empty.to_str().unwrap())],
    );
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "ssh"),
        &[
            "fetched over ssh",
            "cannot run",
            "fix: install the ssh client",
        ],
    );
}

#[test]
fn an_invalid_config_names_file_line_and_key() {
    let env = indexed_env();
    let config = write_config(&env, "serach = 1\n");
    let (code, out) = doctor(&env, &["--config", &config], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "config"),
        &[
            "quarry.toml:1:1: serach: unknown key",
            "did you mean `search`",
            "fix: ",
        ],
    );
}

#[test]
fn a_data_directory_that_cannot_be_created_fails() {
    let env = Env::new();
    let file = env.dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let data = file.join("data");
    let (code, out) = doctor(&env, &["--data", data.to_str().unwrap()], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "data-dir"),
        &[
            file.to_str().unwrap(),
            "is a file, not a directory",
            "fix: move",
        ],
    );
}

#[test]
fn an_unwritable_data_directory_fails() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: root writes through permissions");
        return;
    }
    let env = indexed_env();
    std::fs::set_permissions(env.data(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, out) = doctor(&env, &[], &[]);
    std::fs::set_permissions(env.data(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "data-dir"),
        &["cannot write in", "permission denied", "chown"],
    );
}

#[test]
fn index_files_of_another_user_warn() {
    use std::os::unix::fs::MetadataExt;
    let env = indexed_env();
    let shard = common::shard_files(&env.data()).pop().unwrap();
    let owner = std::fs::metadata(env.data()).unwrap().uid();
    // Only root may give a file away; as another user, this case cannot be set up.
    if std::os::unix::fs::chown(&shard, Some(owner + 4242), None).is_err() {
        eprintln!("skipped: cannot chown");
        return;
    }
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(0));
    assert_names(
        &line(&out, "WARN", "data-dir"),
        &[
            &format!("belong to uid {}", owner + 4242),
            "fix: a command ran as another user",
            "chown -R",
        ],
    );
}

#[test]
fn a_full_disk_fails() {
    let env = indexed_env();
    // Every file system is "full" when 100% must be free.
    let (code, out) = doctor(&env, &[], &[("QUARRY_DOCTOR_MIN_FREE_PERCENT", "100")]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "disk-space"),
        &["free of", "on the file system of", "fix: free space"],
    );
}

#[test]
fn a_damaged_shard_is_named_with_the_command_that_rebuilds_it() {
    let env = indexed_env();
    let shard = common::shard_files(&env.data()).pop().unwrap();
    let mut bytes = std::fs::read(&shard).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x5A;
    std::fs::write(&shard, bytes).unwrap();
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(1));
    let src = std::path::absolute(env.repo("src")).unwrap();
    assert_names(
        &line(&out, "FAIL", "shards"),
        &[
            "src damaged",
            shard.to_str().unwrap(),
            "checksum mismatch in section content",
            &format!("quarry index {}", src.display()),
        ],
    );
    // --skip-shards leaves it out.
    let (code, _) = doctor(&env, &["--skip-shards"], &[]);
    assert_eq!(code, Some(0));
}

#[test]
fn leftovers_of_interrupted_builds_warn() {
    let env = indexed_env();
    std::fs::write(env.data().join("shards/src.9.0.tmp"), vec![0u8; 4096]).unwrap();
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(0), "warnings do not fail");
    assert_names(
        &line(&out, "WARN", "leftovers"),
        &[
            "1 leftover file(s)",
            "4.0 KiB",
            "src.9.0.tmp",
            "fix: delete them",
        ],
    );
}

/// Creates the store of `env` and runs `sql` on it.
fn store_sql(env: &Env, sql: &'static str) {
    let url = format!("sqlite://{}/quarry.db", env.data().display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = quarry_store::Store::open(&url).await.unwrap();
        sqlx::query(sql).execute(store.pool()).await.unwrap();
        store.close().await;
    });
}

#[test]
fn a_store_from_a_newer_quarry_fails() {
    let env = indexed_env();
    store_sql(
        &env,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', 1, X'00', 0)",
    );
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "migrations"),
        &[
            "written by a newer quarry",
            "schema version 99",
            "fix: upgrade quarry",
        ],
    );
}

#[test]
fn pending_migrations_warn() {
    let env = indexed_env();
    store_sql(&env, "DELETE FROM _sqlx_migrations WHERE version = 1");
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(0));
    assert_names(
        &line(&out, "WARN", "migrations"),
        &[
            "1 migration(s) pending",
            "next start",
            "fix: back up quarry.db",
        ],
    );
}

#[test]
fn an_unreadable_store_fails() {
    let env = indexed_env();
    std::fs::write(env.data().join("quarry.db"), vec![b'x'; 8192]).unwrap();
    let (code, out) = doctor(&env, &[], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "store"),
        &[
            "quarry.db",
            "not a database",
            "fix: restore quarry.db from a backup",
        ],
    );
}

#[test]
fn an_unreachable_code_host_fails() {
    let env = indexed_env();
    let port = free_port(); // closed again: nothing listens
    let config = config_with_host(&env, &format!("http://127.0.0.1:{port}/api/v3"));
    let (code, out) = doctor(&env, &["--config", &config], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", &format!("code-host:127.0.0.1:{port}")),
        &["cannot reach", "connection refused", "fix: nothing listens"],
    );
}

#[test]
fn a_host_without_tls_on_an_https_url_fails() {
    let env = indexed_env();
    let host = FakeHost::github(200, "repo, read:org", 0);
    let config = config_with_host(&env, &host.base.replace("http://", "https://"));
    let (code, out) = doctor(&env, &["--config", &config], &[]);
    assert_eq!(code, Some(1));
    let label = host.base.trim_start_matches("http://");
    assert_names(
        &line(&out, "FAIL", &format!("code-host:{label}")),
        &[
            "does not speak TLS",
            "fix: if the host serves plain HTTP there, write http://",
        ],
    );
}

/// The FAIL block of the token check against a GitHub stand-in that answers `status` and
/// grants `scopes`.
fn failing_token_check(status: u16, scopes: &'static str, vars: &[(&str, &str)]) -> String {
    let env = indexed_env();
    let host = FakeHost::github(status, scopes, 0);
    let config = config_with_host(&env, &format!("{}/api/v3", host.base));
    let (code, out) = doctor(&env, &["--config", &config], vars);
    assert_eq!(code, Some(1), "{out}");
    let label = host.base.trim_start_matches("http://");
    line(&out, "FAIL", &format!("token:{label}")).join("\n")
}

#[test]
fn a_missing_token_variable_fails() {
    assert_names(
        &[&failing_token_check(
            200,
            "repo, read:org",
            &[(TOKEN_VAR, "")],
        )],
        &[
            &format!("environment variable {TOKEN_VAR} is not set"),
            "fix: set",
            "EnvironmentFile",
        ],
    );
}

#[test]
fn a_rejected_token_fails() {
    assert_names(
        &[&failing_token_check(401, "", &[])],
        &[
            "rejected",
            "HTTP 401",
            TOKEN_VAR,
            "fix: create a token with the scopes repo, read:org",
        ],
    );
}

#[test]
fn a_token_without_a_needed_scope_fails() {
    assert_names(
        &[&failing_token_check(200, "read:org, gist", &[])],
        &[
            "lacks the scope(s) repo",
            "it has: read:org, gist",
            "fix: create a token",
        ],
    );
}

#[test]
fn clock_skew_against_a_code_host_fails() {
    let env = indexed_env();
    let host = FakeHost::github(200, "repo, read:org", -600);
    let config = config_with_host(&env, &format!("{}/api/v3", host.base));
    let (code, out) = doctor(&env, &["--config", &config], &[]);
    assert_eq!(code, Some(1));
    let label = host.base.trim_start_matches("http://");
    assert_names(
        &line(&out, "FAIL", "clock"),
        &["ahead of", label, "fix: synchronize the clock"],
    );
    let skew: f64 = line(&out, "FAIL", "clock")[0]
        .split(" is ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((598.0..=602.0).contains(&skew), "{skew}");
}

#[test]
fn a_listen_port_taken_by_another_program_fails() {
    let env = indexed_env();
    let other = FakeHost::start(|_| (404, vec![], "not here".into()));
    let addr = other.base.trim_start_matches("http://").to_string();
    let (code, out) = doctor(&env, &["--listen", &addr], &[]);
    assert_eq!(code, Some(1));
    assert_names(
        &line(&out, "FAIL", "listen"),
        &[
            &addr,
            "in use by another program",
            &format!("pid {}", std::process::id()),
            "HTTP 404",
            "fix: stop that program",
        ],
    );
}

#[test]
fn a_listen_port_served_by_quarry_passes_and_its_readiness_is_reported() {
    let env = indexed_env();
    let mut server = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("QUARRY_DATA", env.data())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = std::io::BufRead::lines(std::io::BufReader::new(server.stderr.take().unwrap()));
    let addr = log
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("serving http://")
                .nth(1)
                .map(|r| r.split('/').next().unwrap().to_string())
        })
        .expect("server starts");
    std::thread::spawn(move || log.for_each(drop));
    let url = format!("http://{addr}");
    // Ready once the index is loaded.
    let mut out = String::new();
    for _ in 0..100 {
        let (code, o) = doctor(&env, &["--listen", &addr, "--url", &url], &[]);
        out = o;
        if code == Some(0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert_names(
        &line(&out, "PASS", "listen"),
        &[&addr, "running quarry", env!("CARGO_PKG_VERSION")],
    );
    assert_names(
        &line(&out, "PASS", "server"),
        &["ready", "index: 1 shards loaded"],
    );
}

#[test]
fn anonymous_reading_off_loopback_warns() {
    let env = indexed_env();
    let config = write_config(&env, "[auth]\nrequired = false\n");
    let listen = format!("0.0.0.0:{}", free_port());
    let (code, out) = doctor(&env, &["--config", &config, "--listen", &listen], &[]);
    assert_eq!(code, Some(0));
    assert_names(
        &line(&out, "WARN", "auth"),
        &[
            &listen,
            "auth.required = false",
            "fix: set auth.required = true",
        ],
    );
}
