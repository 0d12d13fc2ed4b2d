//! `newswire-server migrate --from FILE --to URL`.

use newswire_store as store;
use std::path::Path;
use std::process::ExitCode;

/// A file that is not there is refused before PostgreSQL is touched: "copied 0 reviews"
/// from a mistyped path would read as success.
pub async fn run(from: &Path, to: &str) -> ExitCode {
    if !from.is_file() {
        eprintln!(
            "newswire-server: cannot migrate {}: no such file (only `serve` creates a database)",
            from.display()
        );
        return ExitCode::FAILURE;
    }
    match store::copy_to_postgres(from, to).await {
        Ok(copied) => {
            println!(
                "newswire-server: copied {copied} reviews from {} into PostgreSQL",
                from.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("newswire-server: cannot migrate {}: {err}", from.display());
            ExitCode::FAILURE
        }
    }
}
