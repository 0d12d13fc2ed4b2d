//! The command line: [`options`] parses it (each flag's default and help written once, on
//! the field it sets); each command is a file of its own (`serve`, which builds the
//! [`Policy`](crate::state::Policy) and the state and hands them down; `check`, `export`,
//! `migrate`). `main.rs` only calls [`run`]. Nothing below `cli/` imports from it.

mod check;
mod export;
mod migrate;
pub mod options;
pub mod serve;

pub use options::{database, flags, Command, ExportFormat, Options};
use std::ffi::OsString;
use std::process::ExitCode;

/// The whole program: parse, then run the command. Usage errors exit with 2.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match Command::parse(args) {
        Ok(Command::Serve(options)) => serve::run(*options).await,
        Ok(Command::Check { feed, timeout }) => check::run(&feed, timeout).await,
        Ok(Command::Export { db, format }) => {
            export::run(&database(db.as_deref(), options::env_database()), format).await
        }
        Ok(Command::Migrate { from, to }) => migrate::run(&from, &to).await,
        Err(err) => {
            let _ = err.print();
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
        }
    }
}
