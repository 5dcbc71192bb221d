//! Measures trigrams against GitHub's sparse n-grams (the `sparse-ngrams` crate) on a tree, as
//! document-level posting lists: total postings (which sets the index size) and, for a set of
//! literal queries, how many candidate documents each scheme leaves to verify, next to the
//! number of documents that really contain the literal.
//!
//! `cargo run --release -p quarry-index --example ngram_compare -- TREE [LITERAL...]`

use quarry_index::grams::{fold, GramSet};
use quarry_index::walk::walk;
use sparse_ngrams::{collect_sparse_grams, NGram};
use std::collections::HashSet;

const DEFAULT_QUERIES: &[&str] = &[
    "spin_lock_irqsave",
    "EXPORT_SYMBOL_GPL",
    "netif_rx",
    "kmalloc(",
    "GFP_ATOMIC",
    "static",
    "return",
    "copy_from_user",
    "mutex_lock",
    "struct file_operations",
    "for (i = 0; i <",
    "printk",
    "dev_err",
    "->next",
    "#include <linux/",
    "TODO",
    "0x00",
    "unsigned long flags",
    "list_for_each_entry",
    "ioremap",
    "of_property_read_u32",
    "pci_",
    "__init",
    "err = -ENOMEM",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(tree) = args.first() else {
        eprintln!("usage: ngram_compare TREE [LITERAL...]");
        std::process::exit(2);
    };
    let queries: Vec<Vec<u8>> = if args.len() > 1 {
        args[1..]
            .iter()
            .map(|q| q.bytes().map(fold).collect())
            .collect()
    } else {
        DEFAULT_QUERIES
            .iter()
            .map(|q| q.bytes().map(fold).collect())
            .collect()
    };
    let query_tri: Vec<Vec<u32>> = queries
        .iter()
        .map(|q| {
            q.windows(3)
                .map(|w| (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32)
                .collect()
        })
        .collect();
    // Every gram the extraction emits for the query text is emitted for any text containing it
    // (emission depends only on the bytes of the gram), so ANDing them all is sound.
    let query_sparse: Vec<Vec<NGram>> = queries.iter().map(|q| collect_sparse_grams(q)).collect();

    let files = walk(std::path::Path::new(tree), 1 << 20).expect("readable tree");
    let mut tri = GramSet::new();
    let (mut docs, mut tri_postings, mut sparse_postings) = (0u64, 0u64, 0u64);
    let mut tri_distinct = HashSet::new();
    let mut sparse_distinct = HashSet::new();
    let mut tri_cand = vec![0u64; queries.len()];
    let mut sparse_cand = vec![0u64; queries.len()];
    let mut truth = vec![0u64; queries.len()];
    for f in files.iter().filter(|f| f.skip.is_none()) {
        let Ok(text) = std::fs::read(&f.abs) else {
            continue;
        };
        if memchr::memchr(0, &text).is_some() {
            continue;
        }
        docs += 1;
        let folded: Vec<u8> = text.iter().map(|&b| fold(b)).collect();
        let grams: HashSet<u32> = tri.fill(&text).iter().copied().collect();
        tri_postings += grams.len() as u64;
        tri_distinct.extend(grams.iter().copied());
        let sparse: HashSet<NGram> = collect_sparse_grams(&folded).into_iter().collect();
        sparse_postings += sparse.len() as u64;
        sparse_distinct.extend(sparse.iter().copied());
        for (i, q) in queries.iter().enumerate() {
            tri_cand[i] += query_tri[i].iter().all(|g| grams.contains(g)) as u64;
            sparse_cand[i] += query_sparse[i].iter().all(|g| sparse.contains(g)) as u64;
            truth[i] += memchr::memmem::find(&folded, q).is_some() as u64;
        }
    }
    println!("documents: {docs}");
    println!(
        "trigrams:      {tri_postings} postings, {} distinct grams",
        tri_distinct.len()
    );
    println!(
        "sparse grams:  {sparse_postings} postings ({:.2}x), {} distinct grams",
        sparse_postings as f64 / tri_postings as f64,
        sparse_distinct.len()
    );
    println!(
        "\n| literal (case-folded) | containing docs | trigram candidates | sparse candidates |"
    );
    println!("|---|---:|---:|---:|");
    let (mut sum_truth, mut sum_tri, mut sum_sparse) = (0, 0, 0);
    for (i, q) in queries.iter().enumerate() {
        println!(
            "| `{}` | {} | {} | {} |",
            String::from_utf8_lossy(q),
            truth[i],
            tri_cand[i],
            sparse_cand[i]
        );
        sum_truth += truth[i];
        sum_tri += tri_cand[i];
        sum_sparse += sparse_cand[i];
    }
    println!("| **total** | {sum_truth} | {sum_tri} | {sum_sparse} |");
}
