//! `quarry health`: asks a running server's probe and exits 0 if it answers 2xx, else 1.
//!
//! For container health checks in an image with nothing but the quarry binary (no curl, no
//! shell). Speaks just enough HTTP over a plain TCP connection (the bundle's client); exit codes follow the
//! Docker HEALTHCHECK convention (0 healthy, 1 unhealthy; never 2).

use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The probe to ask (plain http only)
    #[arg(
        long,
        default_value = "http://127.0.0.1:7340/healthz",
        value_name = "URL"
    )]
    url: String,
    /// Give up after this long (connecting and reading each)
    #[arg(long, value_parser = quarry_config::parse_duration, default_value = "5s", value_name = "DURATION")]
    timeout: Duration,
    /// Print nothing when healthy
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match check(&a.url, a.timeout) {
        Ok(status) if (200..300).contains(&status) => {
            if !a.quiet {
                println!("healthy: {} answered {status}", a.url);
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(status) => {
            eprintln!("quarry: unhealthy: {} answered {status}", a.url);
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("quarry: unhealthy: {}: {e}", a.url);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Splits `http://host[:port][/path]` into (host, port, path).
pub(crate) fn parse(url: &str) -> Result<(&str, u16, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported (the probe is asked from inside the container)")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // `[v6]:port`, `[v6]`, `host:port` or `host`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']').ok_or("unclosed [ in the URL")?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
        None => 80,
    };
    if host.is_empty() {
        return Err("no host in the URL".into());
    }
    Ok((host, port, path))
}

/// Sends one GET and returns the response's status code.
fn check(url: &str, timeout: Duration) -> Result<u16, String> {
    let reply = crate::debug::http::Client::new(url, None)?.get("", timeout)?;
    Ok(reply.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn parses_urls() {
        assert_eq!(
            parse("http://127.0.0.1:7340/healthz"),
            Ok(("127.0.0.1", 7340, "/healthz"))
        );
        assert_eq!(parse("http://localhost"), Ok(("localhost", 80, "/")));
        assert_eq!(
            parse("http://[::1]:8080/readyz?verbose"),
            Ok(("::1", 8080, "/readyz?verbose"))
        );
        assert!(parse("https://example.invalid/").is_err());
        assert_eq!(parse("http://[::1]"), Ok(("::1", 80, "/")));
        assert!(parse("http://host:notaport/").is_err());
    }

    #[test]
    fn a_closed_port_is_unhealthy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(check(
            &format!("http://127.0.0.1:{port}/healthz"),
            Duration::from_secs(2)
        )
        .is_err());
    }

    #[test]
    fn reads_the_status_code() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            // Read the whole request: closing with unread bytes would reset the connection.
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
        });
        assert_eq!(
            check(
                &format!("http://127.0.0.1:{port}/readyz"),
                Duration::from_secs(5)
            ),
            Ok(503)
        );
        server.join().unwrap();
    }
}
