use crate::DataArgs;
use quarry_index::{DataDir, IndexError, Manifest, Shard};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
}

/// One repository's (or branch's) index, every shard opened and checksummed.
pub struct Checked {
    pub manifest: Manifest,
    /// Shards that verified: (path, documents).
    pub good: Vec<(PathBuf, u32)>,
    pub damaged: Vec<IndexError>,
}

/// The data directory's indexes, checked; and manifests that could not be read.
pub struct Verified {
    pub repos: Vec<Checked>,
    pub unreadable: Vec<IndexError>,
}

/// Opens and checksums every shard of every manifest (`quarry verify` and `quarry doctor`).
pub fn verify_all(data: &DataDir) -> Verified {
    let (manifests, unreadable) = data.manifests();
    let repos = manifests
        .into_iter()
        .map(|manifest| {
            let (mut good, mut damaged) = (Vec::new(), Vec::new());
            for name in &manifest.shards {
                let path = data.shards_dir().join(name);
                match Shard::open(&path).and_then(|s| s.verify().map(|()| s.doc_count())) {
                    Ok(docs) => good.push((path, docs)),
                    Err(e) => damaged.push(e),
                }
            }
            Checked {
                manifest,
                good,
                damaged,
            }
        })
        .collect();
    Verified { repos, unreadable }
}

/// Checks every section checksum of every shard, so that damage on disk is found before a
/// search trips over it.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = a.data.dir()?;
    let verified = verify_all(&data);
    let mut failed = verified.unreadable.len();
    for e in &verified.unreadable {
        println!("FAIL {e}");
    }
    for repo in &verified.repos {
        for (path, docs) in &repo.good {
            println!(
                "ok   {} ({docs} documents) {}",
                repo.manifest.name,
                path.display()
            );
        }
        for e in &repo.damaged {
            failed += 1;
            println!("FAIL {e}");
        }
    }
    if failed > 0 {
        eprintln!("quarry: {failed} shard(s) or repositories are damaged: re-index them with `quarry index PATH`");
        return Ok(ExitCode::from(1));
    }
    if verified.repos.is_empty() {
        eprintln!(
            "quarry: no repositories are indexed in {}",
            data.root().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
