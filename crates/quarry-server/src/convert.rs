//! Search results in the shapes of Sourcegraph's streaming API, so its clients work unchanged.
//! Lines are 0-based and columns count code points, as Sourcegraph sends them.

use quarry_search::{FileMatch, LineMatch};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::ops::Range;

/// Code-point offset of byte offset `byte` in `text` (lossy for invalid UTF-8, as displayed).
fn chars_before(text: &[u8], byte: usize) -> usize {
    String::from_utf8_lossy(&text[..byte.min(text.len())])
        .chars()
        .count()
}

fn line_match(l: &LineMatch) -> Value {
    let offsets: Vec<[usize; 2]> = l
        .ranges
        .iter()
        .map(|r| {
            let start = chars_before(&l.text, r.start);
            [start, chars_before(&l.text, r.end) - start]
        })
        .collect();
    json!({
        "line": String::from_utf8_lossy(&l.text),
        "lineNumber": l.line.saturating_sub(1),
        "offsetAndLengths": offsets,
    })
}

fn path_ranges(path: &str, ranges: &[Range<usize>]) -> Vec<Value> {
    let loc =
        |b: usize| json!({ "offset": b, "line": 0, "column": chars_before(path.as_bytes(), b) });
    ranges
        .iter()
        .map(|r| json!({ "start": loc(r.start), "end": loc(r.end) }))
        .collect()
}

/// One match event entry for a file: `content` with line matches, or `path` when only the
/// file name matched.
pub fn file_match(m: &FileMatch, repo_id: u64) -> Value {
    let mut v = json!({
        "type": if m.lines.is_empty() { "path" } else { "content" },
        "repository": &*m.repo,
        "repositoryID": repo_id,
        "branches": [""],
        "path": m.path,
    });
    let obj = v.as_object_mut().expect("object");
    if let Some(lang) = m.language {
        obj.insert("language".into(), json!(lang));
    }
    if !m.path_ranges.is_empty() {
        obj.insert(
            "pathMatches".into(),
            json!(path_ranges(&m.path, &m.path_ranges)),
        );
    }
    if !m.lines.is_empty() {
        obj.insert(
            "lineMatches".into(),
            Value::Array(m.lines.iter().map(line_match).collect()),
        );
    }
    v
}

pub fn repo_match(name: &str, repo_id: u64) -> Value {
    json!({ "type": "repo", "repository": name, "repositoryID": repo_id, "branches": [""] })
}

/// Counts behind the `filters` event: repositories, languages, file extensions.
#[derive(Default)]
pub struct Filters {
    repos: BTreeMap<String, usize>,
    langs: BTreeMap<String, usize>,
    exts: BTreeMap<String, usize>,
}

impl Filters {
    pub fn add(&mut self, m: &FileMatch) {
        let n = m.match_count();
        *self.repos.entry(m.repo.to_string()).or_default() += n;
        if let Some(l) = m.language {
            *self.langs.entry(l.to_string()).or_default() += n;
        }
        let base = m.path.rsplit('/').next().unwrap_or(&m.path);
        if let Some((_, ext)) = base.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
            *self.exts.entry(ext.to_string()).or_default() += n;
        }
    }

    /// The filter list, most matches first within each kind, at most 12 per kind.
    pub fn to_json(&self, exhaustive: bool) -> Value {
        let mut out = Vec::new();
        let mut push = |kind: &str,
                        map: &BTreeMap<String, usize>,
                        value: &dyn Fn(&str) -> String,
                        label: &dyn Fn(&str) -> String| {
            let mut items: Vec<(&String, &usize)> = map.iter().collect();
            items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (k, count) in items.into_iter().take(12) {
                out.push(json!({ "value": value(k), "label": label(k), "count": count, "exhaustive": exhaustive, "kind": kind }));
            }
        };
        push(
            "repo",
            &self.repos,
            &|r| format!("repo:^{}$", quarry_query_escape(r)),
            &|r| r.to_string(),
        );
        push(
            "lang",
            &self.langs,
            &|l| format!("lang:{}", lang_value(l)),
            &|l| l.to_string(),
        );
        push(
            "file",
            &self.exts,
            &|e| format!("file:\\.{}$", quarry_query_escape(e)),
            &|e| format!(".{e}"),
        );
        Value::Array(out)
    }
}

fn lang_value(name: &str) -> String {
    quarry_lang::by_name(name)
        .and_then(|l| l.aliases.first().copied())
        .map_or_else(|| name.to_lowercase().replace(' ', "-"), str::to_string)
}

/// Escapes regex metacharacters for a filter value.
fn quarry_query_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn m() -> FileMatch {
        FileMatch {
            repo: Arc::from("r"),
            path: "src/é.c".into(),
            language: Some("C"),
            lines: vec![LineMatch {
                line: 3,
                text: "é foo foo".as_bytes().to_vec(),
                ranges: vec![3..6, 7..10],
            }],
            path_ranges: vec![Range { start: 4, end: 9 }],
            skipped: None,
            score: 1.0,
            order: (0, 0),
            flags: 0,
        }
    }

    #[test]
    fn sourcegraph_shapes_use_zero_based_lines_and_code_points() {
        let v = file_match(&m(), 7);
        assert_eq!(v["type"], "content");
        assert_eq!(v["repositoryID"], 7);
        assert_eq!(v["lineMatches"][0]["lineNumber"], 2);
        assert_eq!(
            v["lineMatches"][0]["offsetAndLengths"],
            json!([[2, 3], [6, 3]])
        );
        assert_eq!(v["pathMatches"][0]["start"]["column"], 4);
        assert_eq!(v["pathMatches"][0]["end"]["offset"], 9);
    }

    #[test]
    fn filters_count_by_kind() {
        let mut f = Filters::default();
        f.add(&m());
        let v = f.to_json(true);
        let values: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, vec!["repo:^r$", "lang:c", "file:\\.c$"]);
    }
}
