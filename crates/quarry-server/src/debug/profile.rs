//! A CPU profile of the whole process for a few seconds, as folded stacks
//! (`thread;outer;...;leaf COUNT`, one stack a line: inferno, flamegraph.pl and speedscope read
//! it). pprof's frame-pointer unwinder walks the stacks: it never reads memory it has not
//! validated (the default unwinder has reported segfaults), and the workspace is built with
//! frame pointers (`.cargo/config.toml`); frames of the precompiled standard library, which
//! has none, are skipped over. A binary stripped of symbols (the container image's) shows
//! `Unknown` frames.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Samples a second: not a multiple of common timer periods, as usual for profilers.
const FREQUENCY: i32 = 99;

/// The profiler is process-wide (one SIGPROF timer): one profile at a time.
static BUSY: AtomicBool = AtomicBool::new(false);

pub enum Error {
    Busy,
    Failed(String),
}

struct Release;
impl Drop for Release {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::Release);
    }
}

/// Profiles for `duration` (blocking the calling thread) and returns the folded stacks.
pub fn folded(duration: Duration) -> Result<String, Error> {
    if BUSY.swap(true, Ordering::AcqRel) {
        return Err(Error::Busy);
    }
    let _release = Release;
    let failed = |e: pprof::Error| Error::Failed(e.to_string());
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(FREQUENCY)
        // Unwinding through these (no frame pointers) only yields noise.
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
        .map_err(failed)?;
    std::thread::sleep(duration);
    let report = guard.report().build().map_err(failed)?;
    drop(guard);
    let mut stacks: BTreeMap<String, isize> = BTreeMap::new();
    for (frames, count) in &report.data {
        let mut line = frames.thread_name_or_id().replace([';', ' '], "_");
        for frame in frames.frames.iter().rev() {
            for symbol in frame.iter().rev() {
                line.push(';');
                line.push_str(&symbol.name().replace([';', ' '], "_"));
            }
        }
        *stacks.entry(line).or_default() += count;
    }
    // A comment first (the folded readers skip lines that are not `stack count`), so that an
    // idle process's profile still says what it is rather than being empty.
    let samples: isize = stacks.values().sum();
    let mut out = format!(
        "# quarry CPU profile: {samples} samples in {} s at {FREQUENCY} Hz, frame-pointer unwinding\n",
        duration.as_secs()
    );
    for (stack, n) in &stacks {
        out.push_str(&format!("{stack} {n}\n"));
    }
    Ok(out)
}
