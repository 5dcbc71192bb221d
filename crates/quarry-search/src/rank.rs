//! Relevance score of a file match. Higher is better.
//!
//! Signals, strongest first: the pattern matches the file name, a match is a whole word,
//! the file is ordinary source (not a test, vendored or generated file), more matching lines,
//! and a shorter path.

use crate::FileMatch;
use quarry_index::format::{FLAG_GENERATED, FLAG_TEST, FLAG_VENDORED};

pub(crate) fn score(m: &FileMatch) -> f64 {
    let mut s = 0.0;
    let base_start = m.path.rfind('/').map_or(0, |i| i + 1);
    let path = m.path.as_bytes();
    if m.path_ranges.iter().any(|r| r.start >= base_start) {
        s += 5000.0;
        if m.path_ranges
            .iter()
            .any(|r| r.start >= base_start && is_whole_word(path, r))
        {
            s += 1000.0;
        }
    } else if !m.path_ranges.is_empty() {
        s += 2000.0;
    }
    let whole_word = m
        .lines
        .iter()
        .any(|l| l.ranges.iter().any(|r| is_whole_word(&l.text, r)));
    if whole_word {
        s += 500.0;
    } else if !m.lines.is_empty() {
        s += 50.0;
    }
    s += 100.0 * (1.0 + m.lines.len() as f64).ln();
    s -= m.path.len() as f64;
    // Scaled rather than subtracted, so that these files rank below ordinary ones with
    // similar matches whatever the size of the other signals.
    if m.flags & (FLAG_VENDORED | FLAG_GENERATED) != 0 {
        s *= 0.3;
    } else if m.flags & FLAG_TEST != 0 {
        s *= 0.5;
    }
    s
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_whole_word(line: &[u8], r: &std::ops::Range<usize>) -> bool {
    if r.is_empty() || r.end > line.len() {
        return false;
    }
    let before = r.start == 0 || !is_word_byte(line[r.start - 1]);
    let after = r.end == line.len() || !is_word_byte(line[r.end]);
    before && after
}
