//! Where the feed comes from: a file (JSON Feed, RSS 2.0 or Atom), looked at every second and
//! read again when it changes, or an http(s) URL polled on an interval with a conditional
//! GET (every 15 s by default; an upstream's `Retry-After` and its failures make it wait
//! longer, up to [`MAX_POLL_WAIT`]). Either way the server serves the last good copy: a source
//! that goes bad (a half-written file, an error page, a broken upstream) is logged and ignored
//! until it is good again.
//!
//! Every feed accepted is a new **revision**, a number that only grows: published to the store
//! ([`FeedSource::publish_to`]), which numbers it, keeps it across a restart and shares it with
//! the other replicas of one database; without a store, the numbers are this process's own.
//! Whoever wants to hear of each one (the live stream, `feed::live`) subscribes to the served
//! copy ([`FeedSource::subscribe`]).
//!
//! Conversion runs on the blocking pool, never on the async workers that answer requests,
//! and the served bytes are shared: each request clones a reference, not the feed.

use crate::feed::convert;
use crate::net::http::etag;
use axum::body::Bytes;
use newswire_store::FeedRevisions;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// A converted feed ready to send.
#[derive(Debug, Clone)]
pub struct Served {
    pub body: Bytes,
    /// The body brotli-compressed, made once per revision: every poll and every live
    /// widget's fetch of a new revision takes it.
    pub br: Bytes,
    pub etag: String,
    /// How many items it has.
    pub items: usize,
    /// The same feed read by the widget's own model, once per version: what the server
    /// renders and the console names stories from.
    pub feed: Arc<newswire::feed::Feed>,
    /// Its revision: a number that only grows, one for each feed accepted.
    pub revision: i64,
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
    /// The copy served now; its receivers hear of each new revision.
    current: watch::Sender<Option<Served>>,
    health: Mutex<Health>,
    /// Where accepted feeds are numbered and kept ([`FeedSource::publish_to`]).
    revisions: OnceLock<Arc<dyn FeedRevisions>>,
    /// One accept at a time: the file watcher and a request may both find the same change.
    accepting: tokio::sync::Mutex<()>,
    /// One poll of a feed URL at a time (the schedule's, or one a hub's push asked for), with
    /// the validators of the last body accepted.
    polling: tokio::sync::Mutex<Validators>,
    /// A push is waiting for its poll: more pushes meanwhile add nothing.
    push_waiting: std::sync::atomic::AtomicBool,
    /// The hub the feed names, as each poll finds it (WebSub discovery).
    hubs: watch::Sender<Option<crate::feed::websub::discover::Found>>,
    /// A hub pushes this feed to us: the schedule then polls only as a safety net.
    hub_fed: std::sync::atomic::AtomicBool,
    /// Wakes the schedule for a poll now (a hub's push, on the replica that polls).
    pushed: tokio::sync::Notify,
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
        br: crate::net::http::brotli(&body),
        body,
        items,
        feed: Arc::new(model),
        revision: 0,
    })
}

/// How often a feed file is looked at: a change is served within this.
const FILE_CHECK: Duration = Duration::from_secs(1);
/// How often a feed that a hub pushes is polled all the same, in case a push was lost.
pub const SAFETY_POLL: Duration = Duration::from_secs(600);
/// The longest a polled feed waits between polls, however often it failed or however long
/// its upstream asked.
pub const MAX_POLL_WAIT: Duration = Duration::from_secs(600);

impl FeedSource {
    fn with_origin(origin: Origin, health: Health, headline_category: &str) -> Self {
        FeedSource {
            origin,
            headline_category: headline_category.to_owned(),
            base: None,
            current: watch::Sender::new(None),
            health: Mutex::new(health),
            revisions: OnceLock::new(),
            accepting: tokio::sync::Mutex::new(()),
            polling: tokio::sync::Mutex::new((None, None)),
            push_waiting: std::sync::atomic::AtomicBool::new(false),
            hubs: watch::Sender::new(None),
            hub_fed: std::sync::atomic::AtomicBool::new(false),
            pushed: tokio::sync::Notify::new(),
        }
    }

    /// A feed file, read at start and again within a second of any change.
    pub fn file(path: PathBuf, headline_category: &str) -> Self {
        let health = Health {
            source: path.display().to_string(),
            ..Health::default()
        };
        let origin = Origin::File {
            path,
            seen: Mutex::new(None),
        };
        FeedSource::with_origin(origin, health, headline_category)
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
        let mut source = FeedSource::with_origin(
            Origin::Url {
                url: url.clone(),
                interval,
            },
            health,
            headline_category,
        );
        source.base = Some(url);
        source
    }

    /// Publishes every feed accepted from now on to `revisions`, which numbers it (the first
    /// one handed in stays). Without one, the numbers are this process's own, from 1.
    pub fn publish_to(&self, revisions: Arc<dyn FeedRevisions>) {
        let _ = self.revisions.set(revisions);
    }

    /// Serves the latest feed the store holds, with its revision, until the source gives a
    /// newer one: after a restart the last good copy is there before the source answers.
    pub async fn restore(&self) {
        let Some(revisions) = self.revisions.get() else {
            return;
        };
        let Ok(Some(latest)) = revisions.latest_feed().await else {
            return;
        };
        let category = self.headline_category.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            // The stored bytes are what was served: JSON Feed, its links already absolute.
            prepare(&latest.body, None, &category, None).map(|served| Served {
                revision: latest.revision,
                ..served
            })
        })
        .await;
        if let Ok(Ok(served)) = prepared {
            self.serve(served);
        }
    }

    /// Makes `served` the copy served, unless the one served has a later revision: a
    /// revision never goes back.
    fn serve(&self, served: Served) -> bool {
        self.current.send_if_modified(|current| {
            let newer = current
                .as_ref()
                .is_none_or(|c| c.revision < served.revision);
            if newer {
                *current = Some(served);
            }
            newer
        })
    }

    /// The served copy as it changes: each new revision is sent, and a receiver that falls
    /// behind sees only the latest.
    pub fn subscribe(&self) -> watch::Receiver<Option<Served>> {
        self.current.subscribe()
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
        if self.current.borrow().is_some() {
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

    /// The feed to serve now: the last good copy, read again first if the file changed.
    pub async fn current(&self) -> Option<Served> {
        if let Origin::File { .. } = &self.origin {
            self.check_file().await;
        }
        self.current.borrow().clone()
    }

    /// Reads the feed file again if it changed since it was last read.
    async fn check_file(&self) {
        let Origin::File { path, seen } = &self.origin else {
            return;
        };
        let _one = self.accepting.lock().await;
        let stamp = tokio::fs::metadata(path)
            .await
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let changed = stamp.is_some() && *seen.lock().unwrap_or_else(|p| p.into_inner()) != stamp;
        if !changed {
            return;
        }
        *seen.lock().unwrap_or_else(|p| p.into_inner()) = stamp;
        match tokio::fs::read(path).await {
            Ok(bytes) => {
                self.accept(bytes, None, &path.display().to_string()).await;
            }
            Err(err) => self.failed(format!("cannot read {}: {err}", path.display())),
        }
    }

    /// Converts `bytes` off the async workers and, when they are a usable feed other than
    /// the one served, publishes them as the next revision and serves them; else keeps the
    /// last good copy. Whether they were accepted (the same feed again is).
    async fn accept(&self, bytes: Vec<u8>, charset: Option<String>, from: &str) -> bool {
        let category = self.headline_category.clone();
        let base = self.base.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            prepare(&bytes, charset.as_deref(), &category, base.as_deref())
        })
        .await;
        let mut served = match prepared {
            Ok(Ok(served)) => served,
            Ok(Err(err)) => {
                crate::net::metrics::metrics().feed_read("rejected");
                self.failed(format!(
                    "{from} is not a usable feed ({err}); {}",
                    self.kept()
                ));
                return false;
            }
            Err(_) => return false,
        };
        let now = newswire_store::now();
        let current = self
            .current
            .borrow()
            .as_ref()
            .map(|c| (c.revision, c.etag.clone()));
        if current
            .as_ref()
            .is_some_and(|(_, etag)| *etag == served.etag)
        {
            crate::net::metrics::metrics().feed_read("unchanged");
            self.note(|h| {
                h.last_good = Some(now);
                h.last_check = Some(now);
            });
            return true;
        }
        served.revision = match self.revisions.get() {
            Some(revisions) => match revisions.publish_feed(&served.etag, &served.body).await {
                Ok(revision) => revision,
                // Not numbered, not served: the next read or poll tries again.
                Err(err) => {
                    self.failed(format!(
                        "{from} could not be published ({err}); {}",
                        self.kept()
                    ));
                    return false;
                }
            },
            None => current.map_or(1, |(revision, _)| revision + 1),
        };
        crate::net::metrics::metrics().feed_read("fresh");
        self.note(|h| {
            h.last_good = Some(now);
            h.last_check = Some(now);
            h.items = served.items;
            h.etag = Some(served.etag.clone());
        });
        self.serve(served);
        true
    }

    /// Keeps the source fresh, forever. A feed file is looked at every [`FILE_CHECK`]. A
    /// feed URL is fetched at once, then every interval ([`SAFETY_POLL`] when a hub pushes it),
    /// and at once when a hub's push asks; each fetch is conditional on the last `ETag` and
    /// `Last-Modified` of a body that was accepted (a rejected body's validators would make
    /// the upstream answer 304 to its fixed version). An upstream that answers 429 or 503 with
    /// `Retry-After` is asked again no sooner, and one that fails is asked half as often each
    /// time, up to [`MAX_POLL_WAIT`], until it answers again. With replicas on PostgreSQL,
    /// only the one that leads polls.
    pub async fn poll(self: Arc<Self>) {
        let interval = match &self.origin {
            Origin::File { .. } => loop {
                self.check_file().await;
                tokio::time::sleep(FILE_CHECK).await;
            },
            Origin::Url { interval, .. } => *interval,
        };
        let mut failures = 0u32;
        // With replicas on PostgreSQL one of them polls, and the others serve what it
        // publishes; another takes over when it goes.
        let mut leading = self.revisions.get().and_then(|r| r.leading());
        loop {
            if let Some(leading) = leading.as_mut() {
                if !*leading.borrow_and_update() {
                    self.note(|h| h.next_poll = None);
                    if leading.wait_for(|lead| *lead).await.is_err() {
                        return;
                    }
                    tracing::info!("this replica now polls the feed");
                }
            }
            let mut wait = self.poll_once(interval, &mut failures).await;
            if self.hub_fed.load(std::sync::atomic::Ordering::Relaxed) && failures == 0 {
                wait = wait.max(SAFETY_POLL);
            }
            let next = newswire_store::now() + wait.as_secs() as i64;
            self.note(|h| h.next_poll = Some(next));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.pushed.notified() => {}
            }
        }
    }

    /// A hub pushed a change (its signature checked): the feed is fetched now. On the replica
    /// that polls, its schedule does it; on any other, this does, once for the pushes that
    /// arrive while one waits.
    pub fn push(self: &Arc<Self>) {
        let leads = self
            .revisions
            .get()
            .and_then(|r| r.leading())
            .is_none_or(|leading| *leading.borrow());
        if leads {
            self.pushed.notify_one();
            return;
        }
        if self
            .push_waiting
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return;
        }
        let feed = self.clone();
        tokio::spawn(async move {
            let interval = match &feed.origin {
                Origin::Url { interval, .. } => *interval,
                Origin::File { .. } => return,
            };
            let mut failures = 0;
            feed.poll_once_after(interval, &mut failures, || {
                feed.push_waiting
                    .store(false, std::sync::atomic::Ordering::Release)
            })
            .await;
        });
    }

    /// Tells the schedule whether a hub pushes this feed (a verified, unexpired subscription).
    pub fn set_hub_fed(&self, fed: bool) {
        self.hub_fed
            .store(fed, std::sync::atomic::Ordering::Relaxed);
    }

    /// The hub the feed names, as each poll finds it.
    pub fn hubs(&self) -> watch::Receiver<Option<crate::feed::websub::discover::Found>> {
        self.hubs.subscribe()
    }

    /// One conditional GET of the feed URL, accepted when fresh; how long to wait before the
    /// next. `failures` counts the failures in a row, for the backoff.
    async fn poll_once(&self, interval: Duration, failures: &mut u32) -> Duration {
        self.poll_once_after(interval, failures, || {}).await
    }

    /// The same, calling `started` once this poll holds the one poll's turn.
    async fn poll_once_after(
        &self,
        interval: Duration,
        failures: &mut u32,
        started: impl FnOnce(),
    ) -> Duration {
        let Origin::Url { url, .. } = &self.origin else {
            return interval;
        };
        let mut validators = self.polling.lock().await;
        started();
        let (url_now, sent) = (url.clone(), validators.clone());
        let fetched =
            tokio::task::spawn_blocking(move || fetch(&url_now, &sent, FETCH_TIMEOUT)).await;
        let mut wait = interval;
        match fetched {
            Ok(Ok(Fetch::Fresh {
                body,
                etag,
                modified,
                charset,
                links,
            })) => {
                *failures = 0;
                let found = crate::feed::websub::discover::discover(&links, &body, url);
                self.hubs.send_if_modified(|hub| {
                    let changed = *hub != found;
                    *hub = found;
                    changed
                });
                *validators = if self.accept(body, charset, url).await {
                    (etag, modified)
                } else {
                    (None, None)
                };
            }
            Ok(Ok(Fetch::Unchanged)) => {
                *failures = 0;
                crate::net::metrics::metrics().feed_read("unchanged");
                let now = newswire_store::now();
                self.note(|h| {
                    h.last_good = Some(now);
                    h.last_check = Some(now);
                });
            }
            Ok(Ok(Fetch::Later { status, after })) => {
                crate::net::metrics::metrics().feed_read("failed");
                wait = after.clamp(interval, MAX_POLL_WAIT);
                self.failed(format!(
                    "polling {url} failed (HTTP {status}, asked to wait {}s); {}",
                    after.as_secs(),
                    self.kept()
                ))
            }
            Ok(Err(err)) => {
                crate::net::metrics::metrics().feed_read("failed");
                *failures = failures.saturating_add(1);
                wait = interval
                    .saturating_mul(1 << (*failures).min(10))
                    .min(MAX_POLL_WAIT);
                self.failed(format!("polling {url} failed ({err}); {}", self.kept()))
            }
            Err(_) => {}
        }
        wait
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
        /// Its `Link` headers, where a hub may be named (WebSub discovery).
        links: Vec<String>,
    },
    Unchanged,
    /// 429 or 503 with `Retry-After`: the upstream asks to be left alone that long.
    Later {
        status: u16,
        after: Duration,
    },
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
        if matches!(status, 429 | 503) {
            if let Some(after) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
                return Ok(Fetch::Later {
                    status,
                    after: Duration::from_secs(after),
                });
            }
        }
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}"));
        }
        let (etag, modified) = (header("etag"), header("last-modified"));
        let links: Vec<String> = response
            .headers()
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .take(16)
            .map(str::to_owned)
            .collect();
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
            links,
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
