//! The `newswire-server` binary: everything is in the library's `cli`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    newswire_server::cli::run(std::env::args_os()).await
}
