//! Trigram extraction over case-folded bytes, and the varint codec for posting lists.
//!
//! The index folds ASCII letters to lower case before taking trigrams, so one posting list
//! serves both case-sensitive and case-insensitive queries (the regex verifies the exact case
//! afterwards). Non-ASCII bytes are kept as they are; the planner expands non-ASCII case
//! variants into alternatives instead.

/// A trigram packed into the low 24 bits: `b0 << 16 | b1 << 8 | b2`, over folded bytes.
pub type Gram = u32;

/// Folds one byte the way the index does: ASCII upper case to lower case, everything else as is.
#[inline]
pub fn fold(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

/// Packs three (already folded) bytes into a [`Gram`].
#[inline]
pub fn pack(a: u8, b: u8, c: u8) -> Gram {
    (a as u32) << 16 | (b as u32) << 8 | c as u32
}

/// Every trigram of `s` after folding, in order, with repetitions.
pub fn grams_of(s: &[u8]) -> impl Iterator<Item = Gram> + '_ {
    s.windows(3)
        .map(|w| pack(fold(w[0]), fold(w[1]), fold(w[2])))
}

/// Collects the distinct trigrams of documents, reusing one 2 MiB bitmap across documents so
/// that deduplication costs one bit test per byte instead of a sort.
pub struct GramSet {
    seen: Vec<u64>,
    grams: Vec<Gram>,
}

impl Default for GramSet {
    fn default() -> Self {
        Self::new()
    }
}

impl GramSet {
    pub fn new() -> Self {
        GramSet {
            seen: vec![0; (1 << 24) / 64],
            grams: Vec::new(),
        }
    }

    /// Replaces the set with the distinct trigrams of `text` (unsorted).
    pub fn fill(&mut self, text: &[u8]) -> &[Gram] {
        for &g in &self.grams {
            self.seen[(g >> 6) as usize] = 0;
        }
        self.grams.clear();
        if text.len() < 3 {
            return &self.grams;
        }
        let mut g = (fold(text[0]) as u32) << 8 | fold(text[1]) as u32;
        for &b in &text[2..] {
            g = (g << 8 | fold(b) as u32) & 0xFF_FFFF;
            let word = &mut self.seen[(g >> 6) as usize];
            let bit = 1u64 << (g & 63);
            if *word & bit == 0 {
                *word |= bit;
                self.grams.push(g);
            }
        }
        &self.grams
    }
}

/// Appends `v` as a LEB128 varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes a delta-encoded posting list. Returns `None` when the bytes are not a valid list of
/// strictly increasing ids below `limit` (a corrupt index must not panic or yield bogus ids).
pub fn decode_postings(mut bytes: &[u8], limit: u32, out: &mut Vec<u32>) -> Option<()> {
    let mut prev: Option<u32> = None;
    while !bytes.is_empty() {
        let mut v: u32 = 0;
        let mut shift = 0;
        loop {
            let (&b, rest) = bytes.split_first()?;
            bytes = rest;
            if shift > 28 {
                return None;
            }
            v |= ((b & 0x7F) as u32) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let id = match prev {
            None => v,
            Some(p) => p.checked_add(v).filter(|_| v > 0)?,
        };
        if id >= limit {
            return None;
        }
        out.push(id);
        prev = Some(id);
    }
    Some(())
}

/// Encodes strictly increasing ids as deltas (the first id as is).
pub fn encode_postings(ids: &[u32], out: &mut Vec<u8>) {
    let mut prev = None;
    for &id in ids {
        put_varint(out, prev.map_or(id, |p| id - p));
        prev = Some(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_set_dedups_and_folds() {
        let mut set = GramSet::new();
        let mut g = set.fill(b"AbcABC").to_vec();
        g.sort();
        assert_eq!(
            g,
            vec![
                pack(b'a', b'b', b'c'),
                pack(b'b', b'c', b'a'),
                pack(b'c', b'a', b'b')
            ]
        );
        // The bitmap is reset between documents.
        assert_eq!(set.fill(b"abc"), &[pack(b'a', b'b', b'c')]);
        assert!(set.fill(b"ab").is_empty());
    }

    #[test]
    fn postings_round_trip_and_reject_garbage() {
        let ids = [0, 1, 5, 300, 70_000, 1 << 30];
        let mut buf = Vec::new();
        encode_postings(&ids, &mut buf);
        let mut out = Vec::new();
        decode_postings(&buf, u32::MAX, &mut out).unwrap();
        assert_eq!(out, ids);
        out.clear();
        assert!(
            decode_postings(&buf, 1000, &mut out).is_none(),
            "id above limit"
        );
        assert!(
            decode_postings(&[0x80], 10, &mut Vec::new()).is_none(),
            "truncated"
        );
        assert!(
            decode_postings(&[1, 0], 10, &mut Vec::new()).is_none(),
            "zero delta"
        );
    }
}
