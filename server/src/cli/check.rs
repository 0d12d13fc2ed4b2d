//! `newswire-server check FEED`: the feed as the server will serve it, every problem and
//! every drop named item by item, and how many items the widget keeps; non-zero when
//! unusable.

use super::options::Options;
use crate::feed::convert;
use crate::feed::source::{self, FeedSource};
use std::process::ExitCode;
use std::time::Duration;

/// A URL is fetched as the poller would: within its timeout (seconds), redirects kept to its
/// own host.
pub async fn run(feed: &str, timeout: u64) -> ExitCode {
    let timeout = Duration::from_secs(timeout);
    let (bytes, charset) = if FeedSource::is_url(feed) {
        let url = feed.to_owned();
        let fetched =
            tokio::task::spawn_blocking(move || source::fetch(&url, &(None, None), timeout)).await;
        match fetched {
            Ok(Ok(source::Fetch::Fresh { body, charset, .. })) => (body, charset),
            Ok(Ok(source::Fetch::Unchanged)) => return ExitCode::FAILURE,
            Ok(Ok(source::Fetch::Later { status, after })) => {
                eprintln!(
                    "{feed}: cannot fetch: HTTP {status}, asked to wait {}s",
                    after.as_secs()
                );
                return ExitCode::FAILURE;
            }
            Ok(Err(err)) => {
                eprintln!("{feed}: cannot fetch: {}", crate::net::log::printable(&err));
                return ExitCode::FAILURE;
            }
            Err(_) => return ExitCode::FAILURE,
        }
    } else {
        match std::fs::read(feed) {
            Ok(bytes) => (bytes, None),
            Err(err) => {
                eprintln!("{feed}: cannot read: {err}");
                return ExitCode::FAILURE;
            }
        }
    };
    // A URL's relative links resolve against it; a file's against where the server will
    // publish it (`--public-url`, or its own address), which stands in here.
    let base = if FeedSource::is_url(feed) {
        feed
    } else {
        "http://newswire.invalid/feed.json"
    };
    let report = convert::check(
        &bytes,
        charset.as_deref(),
        &Options::default().headline_category,
        base,
    );
    if let Some(encoding) = report.encoding {
        println!("{feed}: read as {encoding}");
    }
    for problem in &report.problems {
        println!("{feed}: {problem}");
    }
    if report.usable {
        println!(
            "{feed}: usable, {} items, {} problems",
            report.items,
            report.problems.len()
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
