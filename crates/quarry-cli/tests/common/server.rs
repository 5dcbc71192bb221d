//! A running `quarry serve` for tests: its address, its log as it arrives, plain HTTP calls.
#![allow(dead_code)]

use super::Env;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    log: Receiver<String>,
    /// Every log line read so far (`wait_log` consumes from `log`, this keeps them all).
    pub seen: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `quarry serve --listen 127.0.0.1:0 ARGS...` with `QUARRY_DATA` set and `envs`,
    /// and waits until it is ready.
    pub fn start(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let server = Server::spawn(env, "127.0.0.1:0", args, envs);
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/readyz").0 != 200 {
            assert!(Instant::now() < deadline, "not ready within 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Starts `quarry serve --listen LISTEN ARGS...` and waits only for its "serving" log
    /// line (the last of `seen`).
    pub fn spawn(env: &Env, listen: &str, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
            .args(["serve", "--listen", listen])
            .args(args)
            .env("QUARRY_DATA", env.data())
            .envs(envs.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("server: {line}");
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            log,
            seen: Vec::new(),
        };
        let line = server.wait_log("serving http://");
        server.addr = line
            .split("serving http://")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        server
    }

    /// Waits (30 s at most) for a log line for which `pred` holds; returns it.
    pub fn wait_log_where(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.log.recv_timeout(Duration::from_millis(100)) {
                self.seen.push(line.clone());
                if pred(&line) {
                    return line;
                }
            }
        }
        panic!(
            "no such log line within 30 s; seen:\n{}",
            self.seen.join("\n")
        );
    }

    /// Waits (30 s at most) for a log line containing every one of `needles`; returns it.
    pub fn wait_log_all(&mut self, needles: &[&str]) -> String {
        self.wait_log_where(|line| needles.iter().all(|n| line.contains(n)))
    }

    pub fn wait_log(&mut self, needle: &str) -> String {
        self.wait_log_all(&[needle])
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, None, "")
    }

    /// A plain HTTP/1.0 exchange (the server then delimits the body by closing).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let auth = token.map(|t| format!("token {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        let (code, _, body) = self.request_full(method, path, &headers, body);
        (code, body)
    }

    /// (status, response head as sent (hyper writes header names in lower case), body) of a
    /// request with `headers`.
    pub fn request_full(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s.write_all(req.as_bytes()).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (code, head.to_string(), body.to_string())
    }

    pub fn json(&self, path: &str) -> serde_json::Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Polls `path` until `done` holds for its JSON (30 s at most).
    pub fn until(
        &self,
        path: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.json(path);
            if done(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never satisfied the test: {v}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// Stops the server with SIGTERM and waits (20 s at most); the rest of its log goes to
    /// `seen`.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "quarry serve did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader thread ends at EOF, closing the channel.
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        status
    }
}
