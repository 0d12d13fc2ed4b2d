//! Where the feed comes from: a file (JSON Feed, RSS 2.0 or Atom), re-read when it changes,
//! or an http(s) URL polled on an interval with a conditional GET. Either way the server
//! serves the last good copy: a source that goes bad (a half-written file, an error page, a
//! broken upstream) is logged and ignored until it is good again.

use crate::convert;
use crate::http::etag;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// A converted feed ready to send.
#[derive(Debug, Clone)]
pub struct Served {
    pub body: Arc<[u8]>,
    pub etag: String,
}

enum Origin {
    File {
        path: PathBuf,
        /// The modification time and length last read, so an unchanged file is not re-read.
        seen: Mutex<Option<(SystemTime, u64)>>,
    },
    Url {
        url: String,
        interval: Duration,
    },
}

/// The feed source and its last good copy.
pub struct FeedSource {
    origin: Origin,
    headline_category: String,
    current: RwLock<Option<Served>>,
}

impl FeedSource {
    /// A feed file, read at the first request and again whenever it changes.
    pub fn file(path: PathBuf, headline_category: &str) -> Self {
        FeedSource {
            origin: Origin::File {
                path,
                seen: Mutex::new(None),
            },
            headline_category: headline_category.to_owned(),
            current: RwLock::new(None),
        }
    }

    /// A feed URL; [`FeedSource::poll`] keeps it fresh.
    pub fn url(url: String, interval: Duration, headline_category: &str) -> Self {
        FeedSource {
            origin: Origin::Url { url, interval },
            headline_category: headline_category.to_owned(),
            current: RwLock::new(None),
        }
    }

    /// Whether `spec` (a `--feed` value) names a URL rather than a file.
    pub fn is_url(spec: &str) -> bool {
        let lower = spec.to_ascii_lowercase();
        lower.starts_with("http://") || lower.starts_with("https://")
    }

    /// The feed to serve now: the last good copy, refreshed first if the file changed.
    pub async fn current(&self) -> Option<Served> {
        if let Origin::File { path, seen } = &self.origin {
            let stamp = tokio::fs::metadata(path)
                .await
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            let changed =
                stamp.is_some() && *seen.lock().unwrap_or_else(|p| p.into_inner()) != stamp;
            if changed {
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = stamp;
                match tokio::fs::read(path).await {
                    Ok(bytes) => self.accept(&bytes, &path.display().to_string()),
                    Err(err) => eprintln!("newswire-server: cannot read {}: {err}", path.display()),
                }
            }
        }
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Converts `bytes` and makes them the served copy, or keeps the last good one.
    fn accept(&self, bytes: &[u8], from: &str) {
        let text = String::from_utf8_lossy(bytes);
        match convert::to_json_feed(&text, &self.headline_category) {
            Ok(feed) => {
                // A JSON Feed goes out byte for byte as the publisher wrote it.
                let body: Arc<[u8]> = if text
                    .trim_start_matches('\u{feff}')
                    .trim_start()
                    .starts_with('{')
                {
                    bytes.into()
                } else {
                    feed.to_string().into_bytes().into()
                };
                let served = Served {
                    etag: etag(&body),
                    body,
                };
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(served);
            }
            Err(err) => eprintln!(
                "newswire-server: {from} is not a usable feed ({err}); serving the last good copy"
            ),
        }
    }

    /// Polls a URL source forever (a file source returns at once): the first fetch right
    /// away, then one every interval, each conditional on the last `ETag` and `Last-Modified`.
    pub async fn poll(self: Arc<Self>) {
        let Origin::Url { url, interval } = &self.origin else {
            return;
        };
        let (url, interval) = (url.clone(), *interval);
        let mut validators: (Option<String>, Option<String>) = (None, None);
        loop {
            let source = self.clone();
            let (url_now, sent) = (url.clone(), validators.clone());
            let fetched = tokio::task::spawn_blocking(move || fetch(&url_now, &sent)).await;
            match fetched {
                Ok(Ok(Fetch::Fresh {
                    body,
                    etag,
                    modified,
                })) => {
                    source.accept(&body, &url);
                    validators = (etag, modified);
                }
                Ok(Ok(Fetch::Unchanged)) => {}
                Ok(Err(err)) => eprintln!(
                    "newswire-server: polling {url} failed ({err}); serving the last good copy"
                ),
                Err(_) => {}
            }
            tokio::time::sleep(interval).await;
        }
    }
}

enum Fetch {
    Fresh {
        body: Vec<u8>,
        etag: Option<String>,
        modified: Option<String>,
    },
    Unchanged,
}

/// The largest upstream feed we read.
const MAX_UPSTREAM: u64 = 8 * 1024 * 1024;

fn fetch(url: &str, validators: &(Option<String>, Option<String>)) -> Result<Fetch, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(url).header("user-agent", "newswire-server");
    if let Some(etag) = &validators.0 {
        request = request.header("if-none-match", etag);
    }
    if let Some(modified) = &validators.1 {
        request = request.header("if-modified-since", modified);
    }
    let mut response = request.call().map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if status == 304 {
        return Ok(Fetch::Unchanged);
    }
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, modified) = (header("etag"), header("last-modified"));
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_UPSTREAM)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok(Fetch::Fresh {
        body,
        etag,
        modified,
    })
}
