//! Reading a shard: mmap, validation, documents, posting lists.

use crate::builder::ShardMeta;
use crate::format::*;
use crate::grams::{decode_postings, Gram};
use crate::IndexError;
use memmap2::Mmap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Which n-gram index to consult: file contents or file paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Content,
    Path,
}

/// A document as stored: borrowed from the mapped shard.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'a> {
    pub id: u32,
    pub path: &'a [u8],
    pub content: &'a [u8],
    pub record: DocRecord,
}

impl Doc<'_> {
    pub fn path_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.path)
    }
    pub fn skip_reason(&self) -> Option<SkipReason> {
        SkipReason::from_u8(self.record.skip)
    }
}

pub struct Shard {
    path: PathBuf,
    map: Mmap,
    sections: [Range<usize>; 9],
    meta: ShardMeta,
    doc_count: u32,
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("path", &self.path)
            .field("meta", &self.meta)
            .finish()
    }
}

impl Shard {
    /// Maps and validates a shard: header, table of contents, checksums of the small sections,
    /// and every document record's bounds. Content and content postings are checksummed by
    /// [`Shard::verify`]; until then every read of them is bounds-checked.
    pub fn open(path: &Path) -> Result<Shard, IndexError> {
        let file = File::open(path).map_err(|e| IndexError::io(path, e))?;
        // SAFETY: shard files are never modified in place (written to a temporary name, then
        // renamed), so the mapping cannot change under us while this process holds it.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| IndexError::io(path, e))?;
        let corrupt = |what: String| IndexError::Corrupt {
            path: path.to_owned(),
            what,
        };
        if map.len() < HEADER_LEN || &map[..8] != MAGIC {
            return Err(corrupt("not a quarry shard (bad magic number)".into()));
        }
        let version = u32_at(&map, 8);
        if version != FORMAT_VERSION {
            return Err(IndexError::Version {
                path: path.to_owned(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let count = u32_at(&map, 12) as usize;
        let toc_end = HEADER_LEN + count * TOC_ENTRY_LEN;
        if count > 1024 || map.len() < toc_end {
            return Err(corrupt("truncated table of contents".into()));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&map[..16]);
        crc.update(&map[HEADER_LEN..toc_end]);
        if crc.finalize() != u32_at(&map, 16) {
            return Err(corrupt("header checksum mismatch".into()));
        }
        let mut sections: [Option<Range<usize>>; 9] = Default::default();
        for i in 0..count {
            let e = &map[HEADER_LEN + i * TOC_ENTRY_LEN..][..TOC_ENTRY_LEN];
            let Some(kind) = Section::from_u32(u32_at(e, 0)) else {
                continue;
            };
            let (off, len) = (u64_at(e, 8), u64_at(e, 16));
            let end = off.checked_add(len).filter(|&end| end <= map.len() as u64);
            let Some(end) = end else {
                return Err(corrupt(format!(
                    "section {} lies outside the file",
                    kind.name()
                )));
            };
            let range = off as usize..end as usize;
            if kind.checked_on_open() && crc32fast::hash(&map[range.clone()]) != u32_at(e, 24) {
                return Err(corrupt(format!(
                    "checksum mismatch in section {}",
                    kind.name()
                )));
            }
            sections[ALL_SECTIONS.iter().position(|s| *s == kind).expect("known")] = Some(range);
        }
        let mut ranges: [Range<usize>; 9] = Default::default();
        for (i, s) in sections.into_iter().enumerate() {
            ranges[i] =
                s.ok_or_else(|| corrupt(format!("missing section {}", ALL_SECTIONS[i].name())))?;
        }
        let meta: ShardMeta = serde_json::from_slice(&map[ranges[0].clone()])
            .map_err(|e| corrupt(format!("unreadable meta section: {e}")))?;
        let mut shard = Shard {
            path: path.to_owned(),
            map,
            sections: ranges,
            meta,
            doc_count: 0,
        };
        let docs = shard.section(Section::Docs).len();
        if !docs.is_multiple_of(DOC_RECORD_LEN) || docs / DOC_RECORD_LEN != shard.meta.docs as usize
        {
            return Err(corrupt(
                "document table size does not match its metadata".into(),
            ));
        }
        shard.doc_count = shard.meta.docs;
        shard.validate_docs().map_err(corrupt)?;
        for field in [Field::Content, Field::Path] {
            if !shard.dir(field).len().is_multiple_of(DIR_ENTRY_LEN) || shard.dir(field).is_empty()
            {
                return Err(corrupt("malformed n-gram directory".into()));
            }
        }
        Ok(shard)
    }

    fn validate_docs(&self) -> Result<(), String> {
        let (content, paths) = (
            self.section(Section::Content).len(),
            self.section(Section::Paths).len(),
        );
        let samples = self.section(Section::Lines).len() / 4;
        for id in 0..self.doc_count {
            let r = self.record(id);
            let samples_end = r.lines_offset as u64 + r.sample_count() as u64;
            if r.content_offset + r.content_len as u64 > content as u64
                || r.path_offset as u64 + r.path_len as u64 > paths as u64
                || samples_end > samples as u64
            {
                return Err(format!("document {id} points outside its sections"));
            }
        }
        Ok(())
    }

    /// Checks the checksum of every section, the large ones included.
    pub fn verify(&self) -> Result<(), IndexError> {
        let count = u32_at(&self.map, 12) as usize;
        for i in 0..count {
            let e = &self.map[HEADER_LEN + i * TOC_ENTRY_LEN..][..TOC_ENTRY_LEN];
            let Some(kind) = Section::from_u32(u32_at(e, 0)) else {
                continue;
            };
            if crc32fast::hash(self.section(kind)) != u32_at(e, 24) {
                return Err(IndexError::Corrupt {
                    path: self.path.clone(),
                    what: format!("checksum mismatch in section {}", kind.name()),
                });
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn meta(&self) -> &ShardMeta {
        &self.meta
    }
    pub fn repo(&self) -> &str {
        &self.meta.repo
    }
    pub fn doc_count(&self) -> u32 {
        self.doc_count
    }
    pub fn file_size(&self) -> u64 {
        self.map.len() as u64
    }

    fn section(&self, s: Section) -> &[u8] {
        let i = ALL_SECTIONS
            .iter()
            .position(|k| *k == s)
            .expect("known section");
        &self.map[self.sections[i].clone()]
    }

    fn record(&self, id: u32) -> DocRecord {
        DocRecord::decode(
            &self.section(Section::Docs)[id as usize * DOC_RECORD_LEN..][..DOC_RECORD_LEN],
        )
    }

    /// Panics if `id >= doc_count()`; ids come from this shard's own validated postings.
    pub fn doc(&self, id: u32) -> Doc<'_> {
        let record = self.record(id);
        Doc {
            id,
            path: &self.section(Section::Paths)[record.path_range()],
            content: &self.section(Section::Content)[record.content_range()],
            record,
        }
    }

    pub fn docs(&self) -> impl Iterator<Item = Doc<'_>> {
        (0..self.doc_count).map(|id| self.doc(id))
    }

    /// Byte offset of the start of `line` (0-based) in the document, or `None` past the end.
    pub fn line_start(&self, doc: &Doc, line: u32) -> Option<usize> {
        if line >= doc.record.line_count {
            return None;
        }
        let samples = self.section(Section::Lines);
        let at = (doc.record.lines_offset + line / LINE_SAMPLE) as usize * 4;
        let mut pos = u32_at(samples, at) as usize;
        for _ in 0..line % LINE_SAMPLE {
            pos += memchr::memchr(b'\n', doc.content.get(pos..)?)? + 1;
        }
        Some(pos)
    }

    fn dir(&self, field: Field) -> &[u8] {
        self.section(match field {
            Field::Content => Section::ContentGrams,
            Field::Path => Section::NameGrams,
        })
    }

    /// The byte range of a gram's posting list, found by binary search in the directory.
    fn posting_range(&self, field: Field, gram: Gram) -> Option<Range<usize>> {
        let dir = self.dir(field);
        let n = dir.len() / DIR_ENTRY_LEN - 1; // last entry is the sentinel
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let g = u32_at(dir, mid * DIR_ENTRY_LEN);
            match g.cmp(&gram) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let start = u32_at(dir, mid * DIR_ENTRY_LEN + 4) as usize;
                    let end = u32_at(dir, (mid + 1) * DIR_ENTRY_LEN + 4) as usize;
                    return Some(start..end);
                }
            }
        }
        None
    }

    /// Size in bytes of a gram's posting list: a cheap estimate of how many documents have it.
    pub fn posting_size(&self, field: Field, gram: Gram) -> usize {
        self.posting_range(field, gram).map_or(0, |r| r.len())
    }

    /// Appends the ids of the documents containing `gram` to `out` (ascending).
    pub fn postings(&self, field: Field, gram: Gram, out: &mut Vec<u32>) -> Result<(), IndexError> {
        let Some(range) = self.posting_range(field, gram) else {
            return Ok(());
        };
        let section = self.section(match field {
            Field::Content => Section::ContentPostings,
            Field::Path => Section::NamePostings,
        });
        let bytes = section.get(range).ok_or_else(|| IndexError::Corrupt {
            path: self.path.clone(),
            what: "posting list outside its section".into(),
        })?;
        decode_postings(bytes, self.doc_count, out).ok_or_else(|| IndexError::Corrupt {
            path: self.path.clone(),
            what: "malformed posting list".into(),
        })
    }
}
