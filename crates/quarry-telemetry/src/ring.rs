//! The last log lines, kept in memory for the debug bundle: a `MakeWriter` whose writers each
//! collect one formatted event and push it, as one line, into a bounded queue.

use std::collections::VecDeque;
use std::io;
use std::sync::{Mutex, OnceLock};
use tracing_subscriber::fmt::MakeWriter;

/// How many lines are kept; older ones are dropped.
pub const CAPACITY: usize = 2000;

fn ring() -> &'static Mutex<VecDeque<String>> {
    static RING: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(CAPACITY)))
}

/// The last [`CAPACITY`] log lines (JSON objects), oldest first. Empty before
/// [`crate::init`].
pub fn recent_logs() -> Vec<String> {
    let ring = ring().lock().unwrap_or_else(|p| p.into_inner());
    ring.iter().cloned().collect()
}

fn push(line: String) {
    let mut ring = ring().lock().unwrap_or_else(|p| p.into_inner());
    if ring.len() == CAPACITY {
        ring.pop_front();
    }
    ring.push_back(line);
}

#[derive(Clone, Copy, Default)]
pub(crate) struct RingWriter;

/// One event's bytes; pushed when the formatter drops it.
pub(crate) struct Line(Vec<u8>);

impl io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.trim_end();
        if !text.is_empty() {
            push(text.to_string());
        }
    }
}

impl<'a> MakeWriter<'a> for RingWriter {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line(Vec::with_capacity(256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn keeps_the_last_lines() {
        for i in 0..CAPACITY + 5 {
            let mut w = RingWriter.make_writer();
            writeln!(w, "{{\"n\":{i}}}").unwrap();
        }
        let logs = recent_logs();
        assert_eq!(logs.len(), CAPACITY);
        assert_eq!(logs[0], "{\"n\":5}");
        assert_eq!(logs.last().unwrap(), &format!("{{\"n\":{}}}", CAPACITY + 4));
    }
}
