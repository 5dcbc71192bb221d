//! Builds one shard in memory and writes it atomically.

use crate::format::*;
use crate::grams::{encode_postings, GramSet};
use crate::IndexError;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Shard-level metadata, stored as JSON in the `meta` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardMeta {
    pub repo: String,
    /// The git branch or tag indexed; empty for a directory tree.
    #[serde(default)]
    pub branch: String,
    /// Whether `branch` is the repository's default branch (what a search without `rev:` sees).
    #[serde(default = "default_true")]
    pub default_branch: bool,
    pub shard: u32,
    pub generation: u64,
    pub docs: u32,
    pub content_bytes: u64,
    pub builder: String,
}

fn default_true() -> bool {
    true
}

/// A document to add: its repository-relative path and either its text or why it was skipped.
pub struct NewDoc<'a> {
    pub path: &'a str,
    pub content: Result<&'a [u8], SkipReason>,
    pub lang: u16,
    pub flags: u8,
}

#[derive(Default)]
pub struct ShardBuilder {
    docs: Vec<DocRecord>,
    paths: Vec<u8>,
    content: Vec<u8>,
    lines: Vec<u32>,
    /// `(gram << 32 | doc)`: sorting groups postings by gram with doc ids ascending.
    content_pairs: Vec<u64>,
    name_pairs: Vec<u64>,
    grams: GramSet,
}

impl ShardBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn doc_count(&self) -> usize {
        self.docs.len()
    }

    pub fn content_bytes(&self) -> usize {
        self.content.len()
    }

    pub fn add(&mut self, doc: NewDoc) {
        let id = self.docs.len() as u64;
        let mut rec = DocRecord {
            content_offset: self.content.len() as u64,
            path_offset: self.paths.len() as u32,
            path_len: doc.path.len() as u32,
            lines_offset: self.lines.len() as u32,
            lang: doc.lang,
            flags: doc.flags,
            ..Default::default()
        };
        self.paths.extend_from_slice(doc.path.as_bytes());
        for &g in self.grams.fill(doc.path.as_bytes()) {
            self.name_pairs.push((g as u64) << 32 | id);
        }
        match doc.content {
            Err(reason) => rec.skip = reason as u8,
            Ok(text) => {
                rec.content_len = text.len() as u32;
                rec.line_count = line_count(text);
                self.content.extend_from_slice(text);
                // Sample line starts: line 0, LINE_SAMPLE, 2*LINE_SAMPLE, ...
                self.lines.push(0);
                let mut line = 0u32;
                for nl in memchr::memchr_iter(b'\n', text) {
                    line += 1;
                    if line.is_multiple_of(LINE_SAMPLE) && line < rec.line_count {
                        self.lines.push(nl as u32 + 1);
                    }
                }
                if rec.line_count == 0 {
                    self.lines.pop();
                }
                for &g in self.grams.fill(text) {
                    self.content_pairs.push((g as u64) << 32 | id);
                }
            }
        }
        self.docs.push(rec);
    }

    /// Writes the shard to `path` atomically: a temporary file, fsync, rename.
    pub fn write(mut self, path: &Path, meta: &ShardMeta) -> Result<u64, IndexError> {
        let (content_dir, content_postings) = encode_index(&mut self.content_pairs);
        let (name_dir, name_postings) = encode_index(&mut self.name_pairs);
        let mut docs = Vec::with_capacity(self.docs.len() * DOC_RECORD_LEN);
        for d in &self.docs {
            d.encode(&mut docs);
        }
        let lines: Vec<u8> = self.lines.iter().flat_map(|v| v.to_le_bytes()).collect();
        let meta_json = serde_json::to_vec(meta).expect("meta serializes");
        let sections: Vec<(Section, &[u8])> = vec![
            (Section::Meta, &meta_json),
            (Section::Docs, &docs),
            (Section::Paths, &self.paths),
            (Section::Lines, &lines),
            (Section::ContentGrams, &content_dir),
            (Section::NameGrams, &name_dir),
            (Section::NamePostings, &name_postings),
            (Section::ContentPostings, &content_postings),
            (Section::Content, &self.content),
        ];
        let tmp = path.with_extension("tmp");
        let result = write_sections(&tmp, &sections).and_then(|size| {
            std::fs::rename(&tmp, path).map_err(|e| IndexError::io(path, e))?;
            Ok(size)
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

fn encode_index(pairs: &mut [u64]) -> (Vec<u8>, Vec<u8>) {
    pairs.sort_unstable();
    let mut dir = Vec::new();
    let mut postings = Vec::new();
    let mut ids = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let gram = (pairs[i] >> 32) as u32;
        ids.clear();
        while i < pairs.len() && (pairs[i] >> 32) as u32 == gram {
            ids.push(pairs[i] as u32);
            i += 1;
        }
        dir.extend_from_slice(&gram.to_le_bytes());
        dir.extend_from_slice(&(postings.len() as u32).to_le_bytes());
        encode_postings(&ids, &mut postings);
    }
    // Sentinel: lets a reader find each list's end as the next entry's offset.
    dir.extend_from_slice(&u32::MAX.to_le_bytes());
    dir.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    (dir, postings)
}

fn write_sections(tmp: &Path, sections: &[(Section, &[u8])]) -> Result<u64, IndexError> {
    let io = |e| IndexError::io(tmp, e);
    let mut toc = Vec::with_capacity(sections.len() * TOC_ENTRY_LEN);
    let mut offset = (HEADER_LEN + sections.len() * TOC_ENTRY_LEN) as u64;
    let mut offsets = Vec::new();
    for (kind, bytes) in sections {
        offset = offset.next_multiple_of(8);
        offsets.push(offset);
        toc.extend_from_slice(&(*kind as u32).to_le_bytes());
        toc.extend_from_slice(&0u32.to_le_bytes());
        toc.extend_from_slice(&offset.to_le_bytes());
        toc.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        toc.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        toc.extend_from_slice(&0u32.to_le_bytes());
        offset += bytes.len() as u64;
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&header);
    crc.update(&toc);
    header.extend_from_slice(&crc.finalize().to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());

    let file = File::create(tmp).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(&header).map_err(io)?;
    w.write_all(&toc).map_err(io)?;
    let mut pos = (HEADER_LEN + toc.len()) as u64;
    for ((_, bytes), &at) in sections.iter().zip(&offsets) {
        w.write_all(&vec![0u8; (at - pos) as usize]).map_err(io)?;
        w.write_all(bytes).map_err(io)?;
        pos = at + bytes.len() as u64;
    }
    let file = w
        .into_inner()
        .map_err(|e| IndexError::io(tmp, e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(pos)
}
