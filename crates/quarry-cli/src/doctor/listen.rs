//! `listen`: the address is free or served by quarry; `auth`: who can read when it is not on
//! loopback; `server`: a running server's own readiness checks (`--url`).

use super::config::Setup;
use super::{io_text, Check};
use quarry_codehost::reqwest;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub async fn check(setup: &Setup, timeout: Duration) -> Vec<Check> {
    const ID: &str = "listen";
    let addr: SocketAddr = match setup.listen.parse() {
        Ok(a) => a,
        Err(_) => {
            return vec![Check::fail(
                ID,
                format!("{:?} is not an IP address and port", setup.listen),
                "write e.g. 127.0.0.1:7340, 0.0.0.0:7340 or [::]:7340 (--listen or `listen`)",
            )]
        }
    };
    let other =
        "stop that program, or give quarry another address (--listen, or `listen` in the config)";
    let listen = match std::net::TcpListener::bind(addr) {
        Ok(_) => Check::pass(ID, format!("{addr} is free")),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let ip = match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            let owner = owner(addr.port())
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            match probe(SocketAddr::new(ip, addr.port()), timeout).await {
                Ok(version) => Check::pass(
                    ID,
                    format!("{addr} is in use by a running quarry {version}{owner}"),
                ),
                Err(answer) => Check::fail(
                    ID,
                    format!("{addr} is in use by another program{owner}: {answer}"),
                    other,
                ),
            }
        }
        Err(e) => {
            let fix = match e.raw_os_error() {
                Some(libc::EACCES) => format!(
                    "ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port above 1023 (e.g. {}:7340) behind a reverse proxy",
                    addr.ip()
                ),
                Some(libc::EADDRNOTAVAIL) => format!(
                    "{} is not an address of this machine: use one `ip -brief address` lists, or 0.0.0.0",
                    addr.ip()
                ),
                _ => other.to_string(),
            };
            Check::fail(ID, format!("cannot listen on {addr}: {}", io_text(&e)), fix)
        }
    };
    vec![listen, exposure(addr, setup.auth_required)]
}

fn exposure(addr: SocketAddr, auth_required: Option<bool>) -> Check {
    const ID: &str = "auth";
    if addr.ip().is_loopback() {
        return Check::pass(
            ID,
            format!("{} is reachable from this machine only", addr.ip()),
        );
    }
    match auth_required {
        Some(false) => Check::warn(
            ID,
            format!("{addr} is reachable from other machines and auth.required = false: anyone who reaches it reads the public repositories"),
            "set auth.required = true (or listen on 127.0.0.1 behind a reverse proxy that signs users in)",
        ),
        _ => Check::pass(ID, "not on loopback: sign-in is required"),
    }
}

/// Whether a quarry answers at `addr`: its version, or what answered instead.
async fn probe(addr: SocketAddr, timeout: Duration) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{addr}");
    let resp = http
        .get(format!("{base}/healthz?verbose"))
        .send()
        .await
        .map_err(|_| "it does not answer HTTP".to_string())?;
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    if status != 200 || body.get("uptimeMs").is_none() {
        return Err(format!(
            "it answers HTTP {status} to GET /healthz, not like quarry"
        ));
    }
    let version = match http.get(format!("{base}/api/openapi.json")).send().await {
        Ok(r) => r.json::<serde_json::Value>().await.ok().and_then(|d| {
            (d["info"]["title"] == "quarry")
                .then(|| d["info"]["version"].as_str().map(String::from))?
        }),
        Err(_) => None,
    };
    Ok(version.unwrap_or_else(|| "(version unknown)".into()))
}

/// The process listening on TCP `port`, from /proc (Linux; needs permission to see it).
fn owner(port: u16) -> Option<String> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is field 9.
            let local_port = f.get(1).and_then(|a| a.rsplit(':').next());
            if f.get(3) == Some(&"0A")
                && local_port.and_then(|p| u16::from_str_radix(p, 16).ok()) == Some(port)
            {
                inodes.extend(f.get(9).map(|i| format!("socket:[{i}]")));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for proc in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = proc.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                let comm = std::fs::read_to_string(proc.path().join("comm")).unwrap_or_default();
                return Some(format!("pid {pid}, {}", comm.trim()));
            }
        }
    }
    None
}

/// `--url`: the running server's `/readyz?verbose`, its failing checks named.
pub async fn readiness(url: &str, timeout: Duration) -> Check {
    const ID: &str = "server";
    let url = format!("{}/readyz?verbose", url.trim_end_matches('/'));
    let http = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(h) => h,
        Err(e) => return Check::fail(ID, e.to_string(), "check the system's CA certificates"),
    };
    let resp = match http.get(&url).send().await {
        Ok(r) => r,
        Err(e) => {
            return Check::fail(
                ID,
                format!("cannot reach {url}: {}", quarry_telemetry::error_chain(&e)),
                "start it (`quarry serve`), or check --url, the firewall and the reverse proxy",
            )
        }
    };
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let Some(list) = body["checks"].as_array() else {
        return Check::fail(
            ID,
            format!("{url} answered HTTP {status} without quarry's readiness checks"),
            "check that --url points at quarry, not at another service or a proxy's error page",
        );
    };
    let describe = |c: &serde_json::Value| {
        format!(
            "{}: {}",
            c["name"].as_str().unwrap_or("?"),
            c["detail"].as_str().unwrap_or("")
        )
    };
    let failing: Vec<String> = list
        .iter()
        .filter(|c| c["ok"] != true)
        .map(describe)
        .collect();
    if failing.is_empty() && status == 200 {
        Check::pass(
            ID,
            format!(
                "ready: {}",
                list.iter().map(describe).collect::<Vec<_>>().join("; ")
            ),
        )
    } else {
        Check::fail(
            ID,
            format!("not ready (HTTP {status}): {}", failing.join("; ")),
            "an index still loading becomes ready by itself (watch /startupz); a failing store: see the `store` check and the server's log",
        )
    }
}
