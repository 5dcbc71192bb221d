//! `clock`: the local clock agrees with the code hosts' `Date` headers, and is not absurd.

use super::Check;
use quarry_index::DataDir;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Skew beyond which TLS certificates and token expiry start failing.
const SKEW_WARN: f64 = 60.0;
const SKEW_FAIL: f64 = 300.0;
/// 2025-01-01T00:00:00Z: this code was written later, so an earlier clock is wrong.
const EARLIEST_SANE: u64 = 1_735_689_600;

pub fn secs(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

pub fn check(skews: &[(String, f64)], data: &DataDir) -> Check {
    const ID: &str = "clock";
    let now = SystemTime::now();
    let now_secs = secs(now);
    let shown = httpdate::fmt_http_date(now);
    if now_secs < EARLIEST_SANE as f64 {
        return Check::fail(
            ID,
            format!("the system clock says {shown}, before this quarry was built"),
            "set the clock and keep it synchronized (systemd-timesyncd, chrony or ntpd)",
        );
    }
    let sync_fix = "synchronize the clock (timedatectl set-ntp true, or chrony/ntpd): TLS certificates and token expiry depend on it";
    if let Some((label, skew)) = skews.iter().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())) {
        let message = format!(
            "local time {shown} is {:.0} s {} {label}",
            skew.abs(),
            if *skew > 0.0 { "behind" } else { "ahead of" }
        );
        return if skew.abs() > SKEW_FAIL {
            Check::fail(ID, message, sync_fix)
        } else if skew.abs() > SKEW_WARN {
            Check::warn(ID, message, sync_fix)
        } else {
            Check::pass(
                ID,
                format!("within {:.0} s of {label}", skew.abs().max(1.0)),
            )
        };
    }
    let newest = data
        .manifests()
        .0
        .iter()
        .map(|m| m.indexed_at_unix)
        .max()
        .unwrap_or(0);
    if newest as f64 > now_secs + SKEW_FAIL {
        return Check::warn(
            ID,
            format!(
                "an index was written at {}, later than now ({shown}): the clock went back",
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(newest))
            ),
            sync_fix,
        );
    }
    Check::pass(ID, format!("{shown}; no code host to compare with"))
}
