//! Maps match byte ranges in a document to the lines that contain them.

use serde::Serialize;
use std::ops::Range;

/// One matching line: its 1-based number, its text (without the line break) and the byte
/// ranges of the matches within it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineMatch {
    pub line: u32,
    #[serde(serialize_with = "lossy")]
    pub text: Vec<u8>,
    pub ranges: Vec<Range<usize>>,
}

fn lossy<S: serde::Serializer>(text: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(text))
}

/// Groups `hits` (sorted by start) into lines. A match spanning line breaks (possible only when
/// the pattern contains `\n`) marks every line it touches, as `rg -U` prints them.
pub fn to_lines(text: &[u8], hits: &[Range<usize>]) -> Vec<LineMatch> {
    let mut out: Vec<LineMatch> = Vec::new();
    // Cursor: start offset and 1-based number of the line reached so far.
    let (mut line_start, mut line_no) = (0usize, 1u32);
    for hit in hits {
        if hit.start < line_start {
            (line_start, line_no) = (0, 1);
        }
        while let Some(nl) = memchr::memchr(b'\n', &text[line_start..hit.start]) {
            line_start += nl + 1;
            line_no += 1;
        }
        // The last byte the match covers decides the last line it touches.
        let last = if hit.end > hit.start {
            hit.end - 1
        } else {
            hit.start
        };
        let (mut start, mut no) = (line_start, line_no);
        loop {
            let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
            let range =
                hit.start.max(start) - start..hit.end.min(end).max(hit.start.max(start)) - start;
            match out.last_mut() {
                Some(l) if l.line == no => {
                    if !l.ranges.contains(&range) {
                        l.ranges.push(range);
                    }
                }
                _ => out.push(LineMatch {
                    line: no,
                    text: text[start..end].to_vec(),
                    ranges: vec![range],
                }),
            }
            if end >= last || end >= text.len() {
                break;
            }
            start = end + 1;
            no += 1;
        }
    }
    for l in &mut out {
        l.ranges.sort_by_key(|r| (r.start, r.end));
    }
    out.sort_by_key(|l| l.line);
    out.dedup_by(|b, a| {
        if a.line == b.line {
            a.ranges.append(&mut b.ranges);
            true
        } else {
            false
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hits_by_line() {
        let text = b"foo bar\nbaz foo foo\n\nend";
        let lines = to_lines(text, &[0..3, 12..15, 16..19, 20..20]);
        let nums: Vec<u32> = lines.iter().map(|l| l.line).collect();
        assert_eq!(nums, vec![1, 2, 3]);
        assert_eq!(lines[1].text, b"baz foo foo");
        assert_eq!(lines[1].ranges, vec![4..7, 8..11]);
        assert_eq!(lines[2].text, b"");
    }

    #[test]
    fn multiline_hits_mark_each_line() {
        let text = b"a\nfoo\nbar\nz";
        let lines = to_lines(text, &[Range { start: 3, end: 9 }]);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(lines[0].ranges, vec![1..3]);
        assert_eq!(lines[1].ranges, vec![0..3]);
        // A match that ends with the newline stays on its line.
        let lines = to_lines(text, &[Range { start: 2, end: 6 }]);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![2]);
    }
}
