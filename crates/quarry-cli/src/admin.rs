//! `quarry admin`: users and API tokens in the state store of a data directory.

use crate::DataArgs;
use quarry_store::{Store, UserSpec};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Local users (they log in to the web UI; admins may sync and administer)
    #[command(subcommand)]
    User(UserCmd),
    /// API tokens (`Authorization: token <token>`)
    #[command(subcommand)]
    Token(TokenCmd),
}

#[derive(clap::Subcommand)]
enum UserCmd {
    /// Create a user; the password is read from standard input (one line)
    Create {
        name: String,
        #[arg(long)]
        admin: bool,
        /// Groups the user belongs to (for repository visibility); repeatable
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Create the user without a password (token-only)
        #[arg(long)]
        no_password: bool,
    },
    /// Set a user's password, read from standard input
    Passwd { name: String },
    /// List users
    List,
    /// Delete a user with their tokens and sessions
    Delete { name: String },
}

#[derive(clap::Subcommand)]
enum TokenCmd {
    /// Create a token for a user and print it (it is shown only once)
    Create {
        #[arg(long)]
        user: String,
        /// A name to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List tokens (never their secrets)
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by id
    Revoke { id: i64 },
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("password (input is shown; pipe it in to avoid that): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        anyhow::bail!("empty password: pass it on standard input, e.g. `printf '%s\\n' \"$PW\" | quarry admin user passwd NAME`");
    }
    Ok(pw)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = a.data.dir()?;
    std::fs::create_dir_all(data.root())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = Store::open(&crate::serve::store_url(&data)?)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the state store: {e}"))?;
        let result = admin(&store, a.command).await;
        store.close().await;
        result
    })
}

async fn admin(store: &Store, command: Command) -> anyhow::Result<ExitCode> {
    let e = |e: quarry_store::StoreError| anyhow::anyhow!("{e}");
    match command {
        Command::User(UserCmd::Create {
            name,
            admin,
            groups,
            no_password,
        }) => {
            let password = if no_password {
                None
            } else {
                Some(read_password()?)
            };
            store
                .create_user(&UserSpec {
                    name: name.clone(),
                    display_name: name.clone(),
                    is_admin: admin,
                    groups,
                })
                .await
                .map_err(e)?;
            if let Some(pw) = password {
                store.set_password(&name, &pw).await.map_err(e)?;
            }
            eprintln!("created user {name}{}", if admin { " (admin)" } else { "" });
        }
        Command::User(UserCmd::Passwd { name }) => {
            let pw = read_password()?;
            store.set_password(&name, &pw).await.map_err(e)?;
            eprintln!("password of {name} changed");
        }
        Command::User(UserCmd::List) => {
            for u in store.list_users().await.map_err(e)? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    if u.is_admin { "admin" } else { "user" },
                    u.groups.join(",")
                );
            }
        }
        Command::User(UserCmd::Delete { name }) => {
            if !store.delete_user(&name).await.map_err(e)? {
                anyhow::bail!("no user named {name:?}: `quarry admin user list` lists them");
            }
            eprintln!("deleted user {name}");
        }
        Command::Token(TokenCmd::Create { user, name }) => {
            let (info, secret) = store.create_token(&user, &name).await.map_err(e)?;
            eprintln!(
                "token {} for {user} created; it is shown only once:",
                info.id
            );
            println!("{secret}");
        }
        Command::Token(TokenCmd::List { user }) => {
            for t in store.list_tokens(user.as_deref()).await.map_err(e)? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}…\t{state}",
                    t.id, t.user_name, t.name, t.prefix
                );
            }
        }
        Command::Token(TokenCmd::Revoke { id }) => {
            if !store.revoke_token(id).await.map_err(e)? {
                anyhow::bail!("no active token with id {id}: `quarry admin token list` lists them");
            }
            eprintln!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
