//! Where the feed comes from: a file (JSON Feed, RSS 2.0 or Atom), re-read when it changes,
//! or an http(s) URL polled on an interval with a conditional GET. Either way the server
//! serves the last good copy: a source that goes bad (a half-written file, an error page, a
//! broken upstream) is logged and ignored until it is good again.
//!
//! Conversion runs on the blocking pool, never on the async workers that answer requests,
//! and the served bytes are shared: each request clones a reference, not the feed.

use crate::feed::convert;
use crate::net::http::etag;
use axum::body::Bytes;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// A converted feed ready to send.
#[derive(Debug, Clone)]
pub struct Served {
    pub body: Bytes,
    pub etag: String,
    /// How many items it has.
    pub items: usize,
    /// The same feed read by the widget's own model, once per version: what the server
    /// renders and the console names stories from.
    pub feed: Arc<newswire::feed::Feed>,
}

/// How the feed source is doing, for the publisher's console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// The file or the URL.
    pub source: String,
    pub is_url: bool,
    /// When a read or a poll last gave a usable feed (seconds since the epoch).
    pub last_good: Option<i64>,
    /// When the source was last read or polled, whatever came of it.
    pub last_check: Option<i64>,
    /// The last failure, and when.
    pub last_error: Option<(i64, String)>,
    /// Items in the feed served now.
    pub items: usize,
    /// The `ETag` of the feed served now.
    pub etag: Option<String>,
    /// When the next poll is due (URL sources).
    pub next_poll: Option<i64>,
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
    /// Where the feed is published, for its relative links.
    base: Option<String>,
    current: RwLock<Option<Served>>,
    health: Mutex<Health>,
}

/// Converts `bytes` (any accepted format and encoding; `http_charset` from the response that
/// carried them) into what is served: a UTF-8 JSON Feed whose dates the widget reads goes out
/// byte for byte as the publisher wrote it; RSS and Atom, and a JSON Feed in another encoding
/// or with dates in another form, as the JSON Feed they convert to.
///
/// `base` is where the feed is published: its relative links are made absolute against it
/// ([`convert::resolve_links`]).
pub fn prepare(
    bytes: &[u8],
    http_charset: Option<&str>,
    headline_category: &str,
    base: Option<&str>,
) -> Result<Served, convert::ConvertError> {
    let mut read = convert::read(bytes, http_charset, headline_category)?;
    let dated = read.json && convert::normalise_dates(&mut read.feed);
    let linked = base.is_some_and(|base| convert::resolve_links(&mut read.feed, base));
    let rewritten = dated || linked;
    let body = if read.json && read.encoding == "UTF-8" && !rewritten {
        Bytes::copy_from_slice(bytes)
    } else {
        Bytes::from(read.feed.to_string())
    };
    let items = read.feed["items"].as_array().map_or(0, Vec::len);
    let model = newswire::feed::parse(&String::from_utf8_lossy(&body)).unwrap_or_default();
    Ok(Served {
        etag: etag(&body),
        body,
        items,
        feed: Arc::new(model),
    })
}

impl FeedSource {
    /// A feed file, read at the first request and again whenever it changes.
    pub fn file(path: PathBuf, headline_category: &str) -> Self {
        let health = Health {
            source: path.display().to_string(),
            ..Health::default()
        };
        FeedSource {
            origin: Origin::File {
                path,
                seen: Mutex::new(None),
            },
            headline_category: headline_category.to_owned(),
            base: None,
            current: RwLock::new(None),
            health: Mutex::new(health),
        }
    }

    /// The same source, with `base` as the address it is published at: a feed file's
    /// relative links resolve against it. (A feed URL's resolve against the URL itself.)
    pub fn published_at(mut self, base: String) -> Self {
        self.base = Some(base);
        self
    }

    /// A feed URL; [`FeedSource::poll`] keeps it fresh.
    pub fn url(url: String, interval: Duration, headline_category: &str) -> Self {
        let health = Health {
            source: url.clone(),
            is_url: true,
            ..Health::default()
        };
        FeedSource {
            base: Some(url.clone()),
            origin: Origin::Url { url, interval },
            headline_category: headline_category.to_owned(),
            current: RwLock::new(None),
            health: Mutex::new(health),
        }
    }

    /// How the source is doing now.
    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn note(&self, change: impl FnOnce(&mut Health)) {
        change(&mut self.health.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// What readers get meanwhile, for the log: the last good copy, or nothing yet.
    fn kept(&self) -> &'static str {
        if self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            "serving the last good copy"
        } else {
            "there is no good copy to serve yet"
        }
    }

    /// Notes a failed read or poll. `message` quotes what the upstream sent (an XML
    /// parser's error quotes the document), so it is made printable first: a feed cannot
    /// write lines of its own into the log, or into the console's health page.
    fn failed(&self, message: String) {
        let message = crate::net::log::printable(&message);
        tracing::warn!("{message}");
        let now = newswire_store::now();
        self.note(|h| {
            h.last_check = Some(now);
            h.last_error = Some((now, message));
        });
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
                    Ok(bytes) => {
                        self.accept(bytes, None, &path.display().to_string()).await;
                    }
                    Err(err) => self.failed(format!("cannot read {}: {err}", path.display())),
                }
            }
        }
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Converts `bytes` off the async workers and makes them the served copy, or keeps the
    /// last good one. Whether they were accepted.
    async fn accept(&self, bytes: Vec<u8>, charset: Option<String>, from: &str) -> bool {
        let category = self.headline_category.clone();
        let base = self.base.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            prepare(&bytes, charset.as_deref(), &category, base.as_deref())
        })
        .await;
        match prepared {
            Ok(Ok(served)) => {
                crate::net::metrics::metrics().feed_read("fresh");
                let now = newswire_store::now();
                self.note(|h| {
                    h.last_good = Some(now);
                    h.last_check = Some(now);
                    h.items = served.items;
                    h.etag = Some(served.etag.clone());
                });
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(served);
                true
            }
            Ok(Err(err)) => {
                crate::net::metrics::metrics().feed_read("rejected");
                self.failed(format!(
                    "{from} is not a usable feed ({err}); {}",
                    self.kept()
                ));
                false
            }
            Err(_) => false,
        }
    }

    /// Polls a URL source forever (a file source returns at once): the first fetch right
    /// away, then one every interval, each conditional on the last `ETag` and `Last-Modified`
    /// of a body that was accepted (a rejected body's validators would make the upstream
    /// answer 304 to its fixed version).
    pub async fn poll(self: Arc<Self>) {
        let Origin::Url { url, interval } = &self.origin else {
            return;
        };
        let (url, interval) = (url.clone(), *interval);
        let mut validators: Validators = (None, None);
        loop {
            let (url_now, sent) = (url.clone(), validators.clone());
            let fetched =
                tokio::task::spawn_blocking(move || fetch(&url_now, &sent, FETCH_TIMEOUT)).await;
            match fetched {
                Ok(Ok(Fetch::Fresh {
                    body,
                    etag,
                    modified,
                    charset,
                })) => {
                    validators = if self.accept(body, charset, &url).await {
                        (etag, modified)
                    } else {
                        (None, None)
                    };
                }
                Ok(Ok(Fetch::Unchanged)) => {
                    crate::net::metrics::metrics().feed_read("unchanged");
                    let now = newswire_store::now();
                    self.note(|h| {
                        h.last_good = Some(now);
                        h.last_check = Some(now);
                    });
                }
                Ok(Err(err)) => {
                    crate::net::metrics::metrics().feed_read("failed");
                    self.failed(format!("polling {url} failed ({err}); {}", self.kept()))
                }
                Err(_) => {}
            }
            let next = newswire_store::now() + interval.as_secs() as i64;
            self.note(|h| h.next_poll = Some(next));
            tokio::time::sleep(interval).await;
        }
    }
}

/// The last accepted body's `ETag` and `Last-Modified`.
type Validators = (Option<String>, Option<String>);

/// What one poll found.
#[derive(Debug)]
pub enum Fetch {
    Fresh {
        body: Vec<u8>,
        etag: Option<String>,
        modified: Option<String>,
        /// The `charset` of its `Content-Type`, which outranks the XML declaration.
        charset: Option<String>,
    },
    Unchanged,
}

/// The largest upstream feed we read.
const MAX_UPSTREAM: u64 = 8 * 1024 * 1024;
/// How long one poll may take in all, redirects included (and `check`'s default).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(20);
/// Redirects followed at most, each on the configured scheme and host.
const MAX_REDIRECTS: usize = 5;

/// Fetches `url` (with the validators of the last accepted body) within `timeout`, redirects
/// included. Redirects are followed
/// only to the same scheme, host and port as `url`: a feed host that redirects elsewhere
/// (another host, plain http, a loopback or link-local address) is refused with an error
/// that names the target.
pub fn fetch(url: &str, validators: &Validators, timeout: Duration) -> Result<Fetch, String> {
    let deadline = std::time::Instant::now() + timeout;
    let home = origin_of(url).ok_or_else(|| format!("{url} is not an http(s) URL"))?;
    let mut target = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        // What is left of the one deadline, for this hop.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!("no answer within {}s", timeout.as_secs()));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(left))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut request = agent.get(&target).header("user-agent", "newswire-server");
        if let Some(etag) = &validators.0 {
            request = request.header("if-none-match", etag);
        }
        if let Some(modified) = &validators.1 {
            request = request.header("if-modified-since", modified);
        }
        let mut response = request.call().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            let location =
                header("location").ok_or_else(|| format!("HTTP {status} without a Location"))?;
            let next = resolve(&target, &location)
                .ok_or_else(|| format!("a redirect to {location:?}, which is not a URL"))?;
            if origin_of(&next).as_ref() != Some(&home) {
                return Err(format!(
                    "refused a redirect to {next}: redirects must stay on {}://{}",
                    home.0, home.1
                ));
            }
            target = next;
            continue;
        }
        if status == 304 {
            return Ok(Fetch::Unchanged);
        }
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}"));
        }
        let (etag, modified) = (header("etag"), header("last-modified"));
        let charset = header("content-type").and_then(|t| crate::feed::decode::charset_of(&t));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_UPSTREAM)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        return Ok(Fetch::Fresh {
            body,
            etag,
            modified,
            charset,
        });
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

/// The scheme and the authority (host and port, lower case) of an http(s) URL.
fn origin_of(url: &str) -> Option<(String, String)> {
    let uri: ureq::http::Uri = url.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = uri.authority()?;
    // A user name in the URL is not part of where it goes.
    if authority.as_str().contains('@') {
        return None;
    }
    let port = authority
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some((
        scheme,
        format!("{}:{port}", authority.host().to_ascii_lowercase()),
    ))
}

/// `location` (absolute, scheme-relative, absolute-path or relative) against `base`.
fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if FeedSource::is_url(location) {
        return Some(location.to_owned());
    }
    let uri: ureq::http::Uri = base.parse().ok()?;
    let scheme = uri.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    let authority = uri.authority()?.as_str();
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = uri.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_targets_resolve_and_keep_to_the_origin() {
        let base = "https://Agency.example/feeds/rss.xml";
        assert_eq!(
            resolve(base, "/v2/feed.xml").as_deref(),
            Some("https://Agency.example/v2/feed.xml")
        );
        assert_eq!(
            resolve(base, "other.xml").as_deref(),
            Some("https://Agency.example/feeds/other.xml")
        );
        assert_eq!(
            resolve(base, "//cdn.example/x").as_deref(),
            Some("https://cdn.example/x")
        );
        let home = origin_of(base);
        assert_eq!(home, origin_of("https://agency.example:443/elsewhere"));
        for away in [
            "http://agency.example/feeds/rss.xml",
            "https://agency.example:8443/x",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://agency.example@evil.example/x",
            "file:///etc/passwd",
        ] {
            assert_ne!(origin_of(away), home, "{away}");
        }
    }
}
