//! A `quarry serve` on a one-file repository with a given config, for the telemetry tests.
#![allow(dead_code)]

use crate::common::{server, Env};
use std::time::{Duration, Instant};

pub struct Server(server::Server);

impl Server {
    /// `quarry serve` on a one-file repository with `config` (TOML); waits until it is indexed.
    pub fn start(env: &Env, config: &str) -> Server {
        env.write("proj", "src/lib.rs", "fn parse_config() {}\n");
        let path = env.dir.path().join("quarry.toml");
        std::fs::write(&path, config).unwrap();
        let repo = env.repo("proj");
        let server = Server(server::Server::start(
            env,
            &["--config", path.to_str().unwrap(), repo.to_str().unwrap()],
            &[],
        ));
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/api/search?q=parse_config", &[]).2 != "1" {
            assert!(Instant::now() < deadline, "not indexed within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn wait_log(&mut self, pred: impl Fn(&str) -> bool) -> String {
        self.0.wait_log_where(pred)
    }

    /// (status, headers, body; for /api/search the match count instead of the body)
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let (code, head, body) = self.0.request_full("GET", path, headers, "");
        let body = if path.starts_with("/api/search") && code == 200 {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["matchCount"].to_string()
        } else {
            body
        };
        (code, head, body)
    }

    /// Stops the server with SIGTERM; returns its whole log.
    pub fn terminate(&mut self) -> Vec<String> {
        self.0.terminate();
        self.0.seen.clone()
    }
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}
