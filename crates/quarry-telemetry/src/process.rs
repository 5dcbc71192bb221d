//! The standard Prometheus process metrics, read from `/proc` when `/metrics` is rendered
//! (Linux only; elsewhere none are rendered).

use std::fmt::Write;

struct Sample {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    value: f64,
}

/// Appends the process metric families to `out`.
pub(crate) fn render(out: &mut String) {
    for s in samples() {
        let _ = writeln!(out, "# HELP {} {}", s.name, s.help);
        let _ = writeln!(out, "# TYPE {} {}", s.name, s.kind);
        let _ = writeln!(out, "{} {}", s.name, s.value);
    }
}

fn samples() -> Vec<Sample> {
    let mut v = Vec::new();
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return v;
    };
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted
    // after its closing parenthesis, which is followed by field 3.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return v;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| f.get(n - 3).and_then(|s| s.parse::<f64>().ok());
    // SAFETY: sysconf only reads a system constant.
    let (ticks, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK) as f64,
            libc::sysconf(libc::_SC_PAGESIZE) as f64,
        )
    };
    let mut add = |name, kind, help, value: Option<f64>| {
        if let Some(value) = value {
            v.push(Sample {
                name,
                kind,
                help,
                value,
            });
        }
    };
    if let (Some(utime), Some(stime)) = (field(14), field(15)) {
        add(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            Some((utime + stime) / ticks),
        );
    }
    let boot = boot_time();
    add(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        field(22)
            .zip(boot)
            .map(|(start, boot)| boot + start / ticks),
    );
    add(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        field(23),
    );
    add(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        field(24).map(|pages| pages * page),
    );
    add(
        "process_threads",
        "gauge",
        "Number of OS threads in the process.",
        field(20),
    );
    add(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
        std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64),
    );
    add(
        "process_max_fds",
        "gauge",
        "Maximum number of open file descriptors.",
        max_fds(),
    );
    v
}

/// When the machine booted, in seconds since the epoch (`btime` in `/proc/stat`).
fn boot_time() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|s| s.trim().parse().ok())
}

/// The soft limit on open files, from `/proc/self/limits`.
fn max_fds() -> Option<f64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    // "unlimited" has no number; leaving the metric out is better than a made-up one.
    soft.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn process_metrics_are_sane() {
        let s = samples();
        let get = |n: &str| s.iter().find(|x| x.name == n).map(|x| x.value).unwrap();
        assert!(get("process_resident_memory_bytes") > 1e5);
        assert!(get("process_virtual_memory_bytes") >= get("process_resident_memory_bytes"));
        assert!(get("process_threads") >= 1.0);
        assert!(get("process_open_fds") >= 3.0);
        assert!(get("process_max_fds") >= get("process_open_fds"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = get("process_start_time_seconds");
        assert!(
            start <= now + 1.0 && start > now - 3600.0,
            "{start} vs {now}"
        );
        assert!(get("process_cpu_seconds_total") >= 0.0);
    }
}
