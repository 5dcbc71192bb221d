//! `quarry config`: the configuration file's schema, reference and checker.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print the JSON Schema of the config file (for editors and validators)
    Schema,
    /// Check a config file (and QUARRY_… environment overrides); one line per problem:
    /// FILE:LINE:COLUMN: key.path: what is wrong — how to fix it
    Check { file: PathBuf },
    /// Print a commented example with every key
    Example,
    /// Print the reference of every key as Markdown (type, default, live or restart)
    Reference,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.command {
        Command::Schema => println!(
            "{}",
            serde_json::to_string_pretty(&quarry_config::schema())?
        ),
        Command::Example => print!("{}", quarry_config::EXAMPLE),
        Command::Reference => print!("{}", quarry_config::reference_markdown()),
        Command::Check { file } => {
            return Ok(
                match quarry_config::load_with(&file, &quarry_config::EnvOverrides::from_process())
                {
                    Ok(_) => {
                        eprintln!("{}: ok", file.display());
                        ExitCode::SUCCESS
                    }
                    Err(diags) => {
                        for d in &diags {
                            println!("{d}");
                        }
                        eprintln!("{}: {} problem(s)", file.display(), diags.len());
                        ExitCode::from(1)
                    }
                },
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
