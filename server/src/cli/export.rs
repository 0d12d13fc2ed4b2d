//! `newswire-server reviews export`: every review, page by page as it is read, to standard
//! output, through the same writer as the console's download.

use super::options::ExportFormat;
use crate::reviews::export;
use newswire_store as store;
use std::io::Write;
use std::process::ExitCode;

/// A reader that stops early (`| head`) ends the export quietly. A mistyped file is refused,
/// never created empty: an empty export would look like a store with no reviews.
pub async fn run(db: &str, format: ExportFormat) -> ExitCode {
    let store = match store::open_existing(db).await {
        Ok(store) => store,
        Err(err) => {
            eprintln!("newswire-server: cannot open {}: {err}", store::redact(db));
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut writer = export::Writer::new(matches!(format, ExportFormat::Json));
    let mut written = out.write_all(writer.opening().as_bytes());
    if written.is_ok() {
        let each = |review: store::Review| -> std::io::Result<()> {
            out.write_all(writer.row(&review).as_bytes())
        };
        written = match store::for_each_review(&*store, each).await {
            Ok(result) => result,
            Err(err) => Err(std::io::Error::other(err)),
        };
    }
    store.close().await;
    let closing = writer.closing();
    match written
        .and_then(|()| out.write_all(closing.as_bytes()))
        .and_then(|()| out.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "newswire-server: cannot export {}: {err}",
                store::redact(db)
            );
            ExitCode::FAILURE
        }
    }
}
