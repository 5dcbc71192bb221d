//! Byte layout of a shard file: header, table of contents, document records.
//! See the crate documentation for the whole format.

use std::ops::Range;

pub const MAGIC: &[u8; 8] = b"QRYSHRD\0";
/// Bumped on any incompatible change; readers refuse other versions with a message to re-index.
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_LEN: usize = 24;
pub const TOC_ENTRY_LEN: usize = 32;
pub const DOC_RECORD_LEN: usize = 32;
/// Every `LINE_SAMPLE`-th line start is stored, so a line's offset is one lookup plus a scan
/// of at most that many lines, for 1/64 of the space of a full table.
pub const LINE_SAMPLE: u32 = 64;
/// Directory entries are `(gram u32, postings offset u32)`; one sentinel entry ends the table.
pub const DIR_ENTRY_LEN: usize = 8;

/// Section kinds. Readers skip kinds they do not know, so sections can be added compatibly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Section {
    Meta = 1,
    Docs = 2,
    Paths = 3,
    Content = 4,
    Lines = 5,
    ContentGrams = 6,
    ContentPostings = 7,
    NameGrams = 8,
    NamePostings = 9,
}

pub const ALL_SECTIONS: [Section; 9] = [
    Section::Meta,
    Section::Docs,
    Section::Paths,
    Section::Content,
    Section::Lines,
    Section::ContentGrams,
    Section::ContentPostings,
    Section::NameGrams,
    Section::NamePostings,
];

impl Section {
    pub fn from_u32(v: u32) -> Option<Section> {
        ALL_SECTIONS.iter().copied().find(|s| *s as u32 == v)
    }
    pub fn name(self) -> &'static str {
        match self {
            Section::Meta => "meta",
            Section::Docs => "docs",
            Section::Paths => "paths",
            Section::Content => "content",
            Section::Lines => "lines",
            Section::ContentGrams => "content-grams",
            Section::ContentPostings => "content-postings",
            Section::NameGrams => "name-grams",
            Section::NamePostings => "name-postings",
        }
    }
    /// Large sections are checksummed on `verify`, not on every open: checking 128 MiB of
    /// content would add ~50 ms to each open, and reads of them are bounds-checked anyway.
    pub fn checked_on_open(self) -> bool {
        !matches!(self, Section::Content | Section::ContentPostings)
    }
}

/// Why a file has no content in the index. Stored per document; skipped files keep their path
/// so that path search and `quarry files --skipped` still see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SkipReason {
    TooLarge = 1,
    Binary = 2,
    NotRegular = 3,
    Unreadable = 4,
}

impl SkipReason {
    pub fn from_u8(v: u8) -> Option<SkipReason> {
        match v {
            1 => Some(SkipReason::TooLarge),
            2 => Some(SkipReason::Binary),
            3 => Some(SkipReason::NotRegular),
            4 => Some(SkipReason::Unreadable),
            _ => None,
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::TooLarge => "too large",
            SkipReason::Binary => "binary",
            SkipReason::NotRegular => "not a regular file",
            SkipReason::Unreadable => "unreadable",
        }
    }
}

pub const FLAG_TEST: u8 = 1;
pub const FLAG_VENDORED: u8 = 2;
pub const FLAG_GENERATED: u8 = 4;

/// One document's fixed-size record in the `docs` section (little endian, 32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocRecord {
    pub content_offset: u64,
    pub content_len: u32,
    pub path_offset: u32,
    pub path_len: u32,
    /// Index (in u32 units) of this document's first line sample in the `lines` section.
    pub lines_offset: u32,
    pub line_count: u32,
    pub lang: u16,
    pub flags: u8,
    /// 0 when indexed, else a [`SkipReason`].
    pub skip: u8,
}

impl DocRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.content_offset.to_le_bytes());
        out.extend_from_slice(&self.content_len.to_le_bytes());
        out.extend_from_slice(&self.path_offset.to_le_bytes());
        out.extend_from_slice(&self.path_len.to_le_bytes());
        out.extend_from_slice(&self.lines_offset.to_le_bytes());
        out.extend_from_slice(&self.line_count.to_le_bytes());
        out.extend_from_slice(&self.lang.to_le_bytes());
        out.push(self.flags);
        out.push(self.skip);
    }

    pub fn decode(b: &[u8]) -> DocRecord {
        DocRecord {
            content_offset: u64_at(b, 0),
            content_len: u32_at(b, 8),
            path_offset: u32_at(b, 12),
            path_len: u32_at(b, 16),
            lines_offset: u32_at(b, 20),
            line_count: u32_at(b, 24),
            lang: u16::from_le_bytes([b[28], b[29]]),
            flags: b[30],
            skip: b[31],
        }
    }

    pub fn content_range(&self) -> Range<usize> {
        let start = self.content_offset as usize;
        start..start + self.content_len as usize
    }
    pub fn path_range(&self) -> Range<usize> {
        let start = self.path_offset as usize;
        start..start + self.path_len as usize
    }
    pub fn sample_count(&self) -> u32 {
        self.line_count.div_ceil(LINE_SAMPLE)
    }
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
pub fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Counts lines as grep does: a final line without a newline still counts.
pub fn line_count(text: &[u8]) -> u32 {
    let newlines = memchr::memchr_iter(b'\n', text).count();
    let unterminated = !text.is_empty() && text[text.len() - 1] != b'\n';
    (newlines + unterminated as usize) as u32
}
