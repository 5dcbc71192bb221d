use crate::DataArgs;
use indicatif::{ProgressBar, ProgressStyle};
use quarry_index::{index_repository, IndexOptions, Progress};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Repository name [default: the directory's name]; only with a single PATH
    #[arg(long)]
    name: Option<String>,
    /// Files larger than this many bytes are skipped (their path stays searchable)
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_file_size: u64,
    /// Content bytes per shard file
    #[arg(long, default_value_t = 100 << 20, value_name = "BYTES", hide = true)]
    shard_size: u64,
    /// Directory trees to index
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn discovered(&self, _files: u64, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn indexed(&self, _files: u64, bytes: u64) {
        self.0.inc(bytes);
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if a.name.is_some() && a.paths.len() > 1 {
        anyhow::bail!("--name applies to one PATH; index the trees one at a time to name each");
    }
    if a.max_file_size == 0 || a.shard_size < 1 << 20 {
        anyhow::bail!("--max-file-size must be positive and --shard-size at least 1 MiB");
    }
    let data = a.data.dir()?;
    let opts = IndexOptions {
        max_file_size: a.max_file_size,
        shard_max_bytes: a.shard_size,
    };
    for path in &a.paths {
        let name = match &a.name {
            Some(n) => n.clone(),
            None => std::path::absolute(path)?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| {
                    anyhow::anyhow!("{} has no directory name: pass --name", path.display())
                })?,
        };
        let bar = if std::io::stderr().is_terminal() {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {binary_bytes}/{binary_total_bytes} ({eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_message(format!("indexing {name}"));
            b
        } else {
            ProgressBar::hidden()
        };
        let progress = Bar(bar);
        let m = index_repository(&data, &name, path, &opts, &progress)
            .map_err(|e| anyhow::anyhow!("indexing {}: {e}", path.display()))?;
        progress.0.finish_and_clear();
        let s = &m.stats;
        let ratio = if s.bytes > 0 {
            s.index_bytes as f64 / s.bytes as f64
        } else {
            0.0
        };
        eprintln!(
            "indexed {}: {} files, {}, {} skipped, in {:.1} s; index {} in {} shard{} ({:.2}x the content) at {}",
            m.name,
            s.files,
            human_bytes(s.bytes),
            s.skipped,
            s.duration_ms as f64 / 1000.0,
            human_bytes(s.index_bytes),
            m.shards.len(),
            if m.shards.len() == 1 { "" } else { "s" },
            ratio,
            data.root().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
