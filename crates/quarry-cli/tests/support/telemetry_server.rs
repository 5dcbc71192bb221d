//! A `quarry serve` whose stderr the test reads, for the telemetry tests.
#![allow(dead_code)]

use crate::common::Env;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: String,
    log: Receiver<String>,
    /// Every line received so far.
    pub seen: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Server {
    /// `quarry serve` on a one-file repository with `config` (TOML), stderr piped.
    pub fn start(env: &Env, config: &str) -> Server {
        env.write("proj", "src/lib.rs", "fn parse_config() {}\n");
        let path = env.dir.path().join("quarry.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .arg(env.repo("proj"))
            .env("QUARRY_DATA", env.data())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            log,
            seen: Vec::new(),
        };
        let line = server.wait_log(|l| l.contains("serving http://"));
        server.addr = line
            .split("http://")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/api/search?q=parse_config", &[]).2 != "1" {
            assert!(Instant::now() < deadline, "not indexed within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn wait_log(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.log.recv_timeout(Duration::from_millis(100)) {
                self.seen.push(line.clone());
                if pred(&line) {
                    return line;
                }
            }
        }
        panic!("no such log line within 30 s");
    }

    /// (status, headers, body; for /api/search the match count instead of the body)
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let mut c = std::net::TcpStream::connect(&self.addr).unwrap();
        let mut req = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        write!(c, "{req}\r\n").unwrap();
        let mut text = String::new();
        c.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = if path.starts_with("/api/search") && code == 200 {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            v["matchCount"].to_string()
        } else {
            body.to_string()
        };
        (code, head.to_lowercase(), body)
    }

    /// Stops the server with SIGTERM; returns its whole log.
    pub fn terminate(&mut self) -> Vec<String> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "did not stop within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The reader thread ends at EOF, closing the channel.
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        self.seen.clone()
    }
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}
