use crate::output::{write_results, Format};
use crate::DataArgs;
use quarry_search::SearchOptions;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Output format [default: text on a terminal, grep otherwise]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Print the query plan and search statistics on stderr
    #[arg(long)]
    stats: bool,
    /// The query, in Sourcegraph's query language (e.g. 'lang:rust fn main', '/foo\(\w+\)/ case:yes')
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    query: Vec<String>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let text = a.query.join(" ");
    let query = match quarry_query::parse(&text) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("quarry: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let data = a.data.dir()?;
    let searcher = crate::load_searcher(&data)?;
    let results = searcher.search(&query, &SearchOptions::default())?;
    let format = a.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Grep
    });
    let color = format == Format::Text && std::io::stdout().is_terminal();
    write_results(&results, &query, format, color)?;
    for e in &results.errors {
        eprintln!("quarry: warning: {e}");
    }
    if results.timed_out {
        eprintln!("quarry: the search hit its time limit and results are partial: add timeout:30s (or longer) to search longer");
    } else if results.limit_hit {
        eprintln!(
            "quarry: showing the first {} matches: add count:all (or count:N) to see more",
            results.match_count
        );
    }
    if a.stats {
        eprintln!("plan: {}", results.plan.join("; "));
        eprintln!(
            "stats: {} in {:.2?}",
            serde_json::to_string(&results.stats)?,
            results.duration
        );
    }
    Ok(ExitCode::SUCCESS)
}
