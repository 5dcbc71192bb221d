use crate::DataArgs;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
}

/// Checks every section checksum of every shard, so that damage on disk is found before a
/// search trips over it.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = a.data.dir()?;
    let loaded = data.load();
    let mut failed = loaded.errors.len();
    for e in &loaded.errors {
        println!("FAIL {e}");
    }
    for shard in &loaded.shards {
        match shard.verify() {
            Ok(()) => println!(
                "ok   {} ({} documents) {}",
                shard.repo(),
                shard.doc_count(),
                shard.path().display()
            ),
            Err(e) => {
                failed += 1;
                println!("FAIL {e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("quarry: {failed} shard(s) or repositories are damaged: re-index them with `quarry index PATH`");
        return Ok(ExitCode::from(1));
    }
    if loaded.shards.is_empty() {
        eprintln!(
            "quarry: no repositories are indexed in {}",
            data.root().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
