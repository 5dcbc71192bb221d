use crate::DataArgs;
use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// List the files that were skipped instead, as REPO/PATH<TAB>reason
    #[arg(long)]
    skipped: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = a.data.dir()?;
    let searcher = crate::load_searcher(&data)?;
    let mut rows: Vec<(String, String, Option<&'static str>)> = Vec::new();
    // Each repository's default branch, as a search without rev: sees it.
    for shard in searcher.shards().iter().filter(|s| s.meta().default_branch) {
        for doc in shard.docs() {
            let reason = doc.skip_reason().map(|r| r.describe());
            if reason.is_some() == a.skipped {
                rows.push((
                    shard.repo().to_string(),
                    doc.path_str().into_owned(),
                    reason,
                ));
            }
        }
    }
    rows.sort();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (repo, path, reason) in rows {
        let written = match reason {
            Some(r) => writeln!(out, "{repo}/{path}\t{r}"),
            None => writeln!(out, "{repo}/{path}"),
        };
        if written.is_err() {
            break; // stdout closed (e.g. piped into head)
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
