//! Printing search results: readable text, grep lines, or JSON objects.

use quarry_query::{Query, SearchType, Select};
use quarry_search::SearchResults;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable, grouped by file, matches highlighted on a terminal
    Text,
    /// REPO/PATH:LINE:TEXT per matching line, like `rg -n --no-heading`
    Grep,
    /// One JSON object per file match
    Json,
}

const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

pub fn write_results(
    r: &SearchResults,
    q: &Query,
    format: Format,
    color: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = write_all(&mut out, r, q, format, color).and_then(|_| out.flush());
    match result {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn write_all(
    out: &mut impl Write,
    r: &SearchResults,
    q: &Query,
    format: Format,
    color: bool,
) -> std::io::Result<()> {
    if q.select == Some(Select::Repo) {
        for repo in &r.repos {
            match format {
                Format::Json => writeln!(out, "{}", serde_json::json!({ "repo": repo }))?,
                _ => writeln!(out, "{repo}")?,
            }
        }
        return Ok(());
    }
    // Path-oriented and filter-only queries list files; content queries list lines (a file
    // matched only by its name has no line to show in grep format).
    let list_paths = q.select == Some(Select::File) || q.search_type == SearchType::Path;
    for f in &r.files {
        match format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(f).expect("serializable"))?,
            Format::Grep => {
                if f.lines.is_empty() {
                    if list_paths || f.path_ranges.is_empty() {
                        writeln!(out, "{}/{}", f.repo, f.path)?;
                    }
                    continue;
                }
                for l in &f.lines {
                    write!(out, "{}/{}:{}:", f.repo, f.path, l.line)?;
                    out.write_all(&l.text)?;
                    out.write_all(b"\n")?;
                }
            }
            Format::Text => {
                let lang = f.language.map(|l| format!(" ({l})")).unwrap_or_default();
                let skipped = f
                    .skipped
                    .map(|s| format!(" [content not indexed: {s}]"))
                    .unwrap_or_default();
                if color {
                    writeln!(
                        out,
                        "{BOLD}{}/{}{RESET}{DIM}{lang}{skipped}{RESET}",
                        f.repo,
                        highlight(f.path.as_bytes(), &f.path_ranges, BOLD)
                    )?;
                } else {
                    writeln!(out, "{}/{}{lang}{skipped}", f.repo, f.path)?;
                }
                for l in &f.lines {
                    if color {
                        writeln!(
                            out,
                            "{DIM}{:>6}{RESET}: {}",
                            l.line,
                            highlight(&l.text, &l.ranges, RESET)
                        )?;
                    } else {
                        writeln!(out, "{:>6}: {}", l.line, String::from_utf8_lossy(&l.text))?;
                    }
                }
                writeln!(out)?;
            }
        }
    }
    if format == Format::Text {
        writeln!(
            out,
            "{} match{} in {} file{} ({:.1?})",
            r.match_count,
            if r.match_count == 1 { "" } else { "es" },
            r.files.len(),
            if r.files.len() == 1 { "" } else { "s" },
            r.duration
        )?;
    }
    Ok(())
}

fn highlight(text: &[u8], ranges: &[std::ops::Range<usize>], after: &str) -> String {
    let mut s = String::new();
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > text.len() || r.is_empty() {
            continue;
        }
        s.push_str(&String::from_utf8_lossy(&text[at..r.start]));
        s.push_str(MATCH);
        s.push_str(&String::from_utf8_lossy(&text[r.clone()]));
        s.push_str(RESET);
        s.push_str(after);
        at = r.end;
    }
    s.push_str(&String::from_utf8_lossy(&text[at..]));
    s
}
