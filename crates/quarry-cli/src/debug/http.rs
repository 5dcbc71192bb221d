//! Just enough HTTP for the bundle and `quarry health`: GET over a plain TCP connection, HTTP/1.0 so that the
//! server delimits the body by closing (no chunked decoding needed). Plain `http://` only, as
//! `quarry health`: on a TLS-fronted server, point --url at its loopback address.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

pub struct Client {
    host: String,
    port: u16,
    /// The URL's path, without a trailing slash (a server behind a path prefix).
    prefix: String,
    token: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Client {
    pub fn new(url: &str, token: Option<String>) -> Result<Client, String> {
        let (host, port, path) = crate::health::parse(url)?;
        Ok(Client {
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
            token,
        })
    }

    pub fn get(&self, path: &str, timeout: Duration) -> Result<Reply, String> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?;
        let mut last = format!("{} resolves to no address", self.host);
        for addr in addrs {
            let mut s = match TcpStream::connect_timeout(&addr, timeout.min(Duration::from_secs(5)))
            {
                Ok(s) => s,
                Err(e) => {
                    last = format!("cannot connect to {addr}: {e}");
                    continue;
                }
            };
            let io = |e: std::io::Error| format!("{addr}: {e}");
            s.set_read_timeout(Some(timeout)).map_err(io)?;
            s.set_write_timeout(Some(timeout)).map_err(io)?;
            let auth = self
                .token
                .as_ref()
                .map(|t| format!("Authorization: token {t}\r\n"))
                .unwrap_or_default();
            // One write: a peer that reads once and closes must see the whole request.
            let request = format!(
                "GET {}{path} HTTP/1.0\r\nHost: {}\r\nUser-Agent: quarry\r\n{auth}\r\n",
                self.prefix, self.host
            );
            s.write_all(request.as_bytes()).map_err(io)?;
            let mut raw = Vec::new();
            s.read_to_end(&mut raw).map_err(io)?;
            let split = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .ok_or("the answer is not HTTP (no end of headers)")?;
            let head = String::from_utf8_lossy(&raw[..split]);
            let status = head
                .split_whitespace()
                .nth(1)
                .filter(|_| head.starts_with("HTTP/"))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not an HTTP answer: {:?}", head.lines().next()))?;
            return Ok(Reply {
                status,
                body: raw[split + 4..].to_vec(),
            });
        }
        Err(last)
    }
}
