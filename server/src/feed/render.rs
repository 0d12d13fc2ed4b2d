//! The rendered widget: the real Yew components (`newswire::components::Widget`) rendered
//! by the server for its own feed, so that a partner page shows the news from a few
//! kilobytes of HTML before any wasm arrives, and the wasm hydrates those very nodes later.
//!
//! - `GET /newswire/render?ATTRIBUTES` is what the loader asks for: the widget's HTML in
//!   `<div class="nw-root" data-release="CODE">`, then the state it was rendered from in
//!   `<script type="application/json" class="nw-state">`, which the wasm reads instead of
//!   fetching and parsing the feed again. `CODE` names the widget code the server renders
//!   with (`build.rs`); the loader hydrates only HTML of its own code.
//! - `GET /newswire/include?ATTRIBUTES` is the same inside `<newswire-widget><template
//!   shadowrootmode="open">`, with the stylesheet linked: Declarative Shadow DOM, for a
//!   partner whose own server puts it in the page. The news then needs no script at all.
//!
//! The attributes are the element's own, and only those that change the HTML, each read by
//! the widget's own `Config` (bad values fall back, as in the browser), plus `hl` (the
//! page's `<html lang>`), `rl` (the reader's language) and, for the include, `tz` (an IANA
//! zone for its dates; anything else is UTC). The server never fetches anything a page
//! names: there is no feed to choose, and one naming another feed gets 404.
//!
//! Renders are cached per feed version and normalised attributes: the language is the one
//! the widget speaks and the `Intl` tag it dates with ([`Config::locale`]), not the raw
//! tags, so readers in the thirty locales we have no words for share one English render.
//! The cache holds at most [`CACHE_ENTRIES`] renders and [`CACHE_BYTES`] bytes, least
//! recently used first out, and never a render over [`MAX_CACHED`]: the key holds free text
//! (`title`, cut to 200 characters by `Config`), so a stranger choosing titles only churns
//! the cache, and the feed's links are bounded by the model (`MAX_LINK`).
//!
//! The render routes take none of the general request permits (those are for the feed, the
//! files and the pages): a cached render is answered from memory, and a render that is not
//! cached, which costs CPU, is admitted in three steps of its own: the client's budget of uncached renders ([`Policy::render_rate`](crate::Policy), per
//! IPv4 address or IPv6 /64, with the /48 total the review limits use; 429 past it), at
//! most [`RENDERS_PER_CLIENT`] of the client's own waiting or running (429 past it), then
//! one of the render permits, one a core, waited for at most [`RENDER_WAIT`] (503 after).
//! One client flooding fresh titles therefore spends its own budget and slots, and every
//! other client's requests, cached or not, go on being answered.

use crate::net::http::{allow_any_origin, if_none_match};
use crate::net::limits::{Limits, PerClient, Rate};
use crate::net::proxies::Addressed;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire::components::widget::{Widget, WidgetProps};
use newswire::config::{Config, Theme};
use newswire::feed::Feed;
use newswire::news;
use newswire::state::Initial;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The widget code this server renders with: the same hash `scripts/release.mjs` stamps
/// into the loader beside the wasm built from the same sources.
pub const CODE: &str = env!("NEWSWIRE_CODE");
/// Renders kept.
pub const CACHE_ENTRIES: usize = 512;
/// The bytes the kept renders may weigh in all (their HTML, its encodings and their keys).
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;
/// A render heavier than this is sent but never kept: the feed's sample renders weigh
/// about 40 KB, and a full feed of the longest titles, texts and links about a fifth of this.
pub const MAX_CACHED: usize = 1024 * 1024;
/// How long an uncached render waits for a render permit before it is told to come back.
/// It holds no general permit meanwhile, only its connection.
pub const RENDER_WAIT: Duration = Duration::from_secs(1);
/// Uncached renders one client may have waiting or running at once (eight times this per
/// IPv6 /48): a page with a few differently configured widgets asks for a few at once.
pub const RENDERS_PER_CLIENT: usize = 4;
/// Brotli's quality for a render: the demo's render is 1,685 B at 10 against 1,644 B at 11
/// (2.5% more) for 40% of the CPU (3.5 ms against 8.8 ms), which every uncached render pays;
/// quality 9 and below use another method, 14% larger.
const BROTLI_QUALITY: u32 = 10;
/// Brotli's window: 2^20 bytes, the largest render kept ([`MAX_CACHED`]).
const BROTLI_WINDOW: u32 = 20;
/// Longer attribute values are not read (a title is cut to 200 characters anyway).
const MAX_VALUE: usize = 512;
/// As long as the feed: a CDN may keep a render a minute and serve it stale while it asks,
/// and may not rewrite it (hydration needs its comment markers).
pub const CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300, no-transform";
/// A render with the public rating is asked again each time (a cheap 304 while nothing
/// changed): a reader who just sent a review must see it counted.
const CACHE_CONTROL_RATED: &str = "no-cache, no-transform";

/// What a render depends on, normalised: two requests that differ only in spelling share
/// one render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    feed: String,
    theme: &'static str,
    category: String,
    max_briefs: usize,
    /// The language spoken and the tag dates are formatted with ([`Config::locale`]).
    locale: (&'static str, String),
    /// For the include: the `lang` attribute its element carries.
    lang_attribute: Option<String>,
    sections: &'static str,
    heading_level: u8,
    title: Option<String>,
    /// The summary rendered, `(count, rating sum)`, when `show-rating` is on.
    rating: Option<(i64, i64)>,
    time_zone: Option<String>,
    /// For the include: this server's public address, which its links name.
    include: Option<String>,
}

impl Key {
    /// What the key itself weighs in the cache, roughly: its text.
    fn bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        std::mem::size_of::<Key>()
            + self.feed.len()
            + self.category.len()
            + self.locale.1.len()
            + text(&self.lang_attribute)
            + text(&self.title)
            + text(&self.time_zone)
            + text(&self.include)
    }
}

/// One render, ready to send in any encoding: brotli made with it (every browser asks for
/// it over https), gzip only when a client first asks for it.
pub struct Rendered {
    pub html: Bytes,
    pub br: Bytes,
    gzip: OnceLock<Bytes>,
    pub etag: String,
}

impl Rendered {
    /// The gzip encoding, made the first time it is asked for.
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            let _ = gzip.write_all(&self.html);
            Bytes::from(gzip.finish().unwrap_or_default())
        })
    }

    /// What it may come to weigh: its HTML, brotli, and gzip (never more than the HTML).
    fn bytes(&self) -> usize {
        2 * self.html.len() + self.br.len()
    }
}

/// The bounds of the render cache and of uncached renders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderLimits {
    /// Renders kept at most.
    pub entries: usize,
    /// Bytes the renders kept may weigh in all.
    pub bytes: usize,
    /// Uncached renders a client may ask for (IPv4 address, IPv6 /64; eight times this a
    /// /48).
    pub per_client: Rate,
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            entries: CACHE_ENTRIES,
            bytes: CACHE_BYTES,
            per_client: Rate::per_minute(60),
        }
    }
}

/// The renders kept, least recently used first out, within a count and a weight.
struct Cache {
    entries: lru::LruCache<Key, Arc<Rendered>>,
    bytes: usize,
    limits: RenderLimits,
}

impl Cache {
    fn get(&mut self, key: &Key) -> Option<Arc<Rendered>> {
        self.entries.get(key).cloned()
    }

    /// Keeps `rendered` under `key`, unless it weighs more than [`MAX_CACHED`], dropping
    /// the least recently used renders until the cache is within its bounds.
    fn put(&mut self, key: Key, rendered: Arc<Rendered>) {
        let weight = key.bytes() + rendered.bytes();
        if weight > MAX_CACHED.min(self.limits.bytes) {
            return;
        }
        if let Some((old_key, old)) = self.entries.push(key, rendered) {
            self.bytes -= old_key.bytes() + old.bytes();
        }
        self.bytes += weight;
        while self.bytes > self.limits.bytes || self.entries.len() > self.limits.entries.max(1) {
            match self.entries.pop_lru() {
                Some((key, old)) => self.bytes -= key.bytes() + old.bytes(),
                None => break,
            }
        }
    }
}

/// The cache of renders, the permits renders take, and each client's budget of uncached
/// renders.
pub struct Renders {
    cache: Mutex<Cache>,
    permits: Arc<Semaphore>,
    /// The render permits there are: one a core.
    cores: usize,
    /// Uncached renders asked for, per client, per IPv6 /48 and in all.
    budget: Limits,
    /// Uncached renders waiting or running, per client.
    in_flight: Arc<PerClient>,
}

impl Default for Renders {
    fn default() -> Self {
        Renders::new(RenderLimits::default())
    }
}

impl Renders {
    /// A cache within `limits`, and one render permit a core.
    pub fn new(limits: RenderLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Renders {
            cache: Mutex::new(Cache {
                entries: lru::LruCache::unbounded(),
                bytes: 0,
                limits,
            }),
            permits: Arc::new(Semaphore::new(cores)),
            cores,
            // The pool of permits bounds renders in all; the global bucket only stops a
            // flood from many clients from queueing without end.
            budget: Limits::new(limits.per_client, Rate::per_second(100 * cores as u32)),
            in_flight: Arc::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many renders are cached.
    pub fn len(&self) -> usize {
        self.cache().entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Render permits in use now, for the metrics.
    pub fn permits_in_use(&self) -> usize {
        self.cores.saturating_sub(self.permits.available_permits())
    }

    /// What the renders cached weigh, by the cache's own count.
    pub fn bytes(&self) -> usize {
        self.cache().bytes
    }
}

/// The widget's HTML and the state it was rendered from, for `config` and `feed`, as the
/// loader puts them in a shadow root. Runs the components to completion on this thread.
pub fn fragment(
    config: Config,
    feed: &Feed,
    etag: Option<String>,
    rating: Option<(f64, u32)>,
) -> String {
    let news = news::select(feed, &config.category, config.max_briefs);
    let initial = Initial {
        news: Rc::new(news),
        etag,
        rating,
        ..Initial::default()
    };
    let state = initial.write();
    let props = WidgetProps {
        config: Rc::new(config),
        on_notice: yew::Callback::noop(),
        refresh: 0,
        initial: Some(Rc::new(initial)),
    };
    let html = futures_executor::block_on(
        yew::LocalServerRenderer::<Widget>::with_props(props)
            .hydratable(true)
            .render(),
    );
    format!(
        "<div class=\"nw-root\" data-release=\"{CODE}\">{html}</div>\
         <script type=\"application/json\" class=\"nw-state\">{state}</script>"
    )
}

/// The attribute `name` of the request, cut to [`MAX_VALUE`] characters (a title is cut
/// to 200 by `Config` anyway).
fn attribute<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(|v| match v.char_indices().nth(MAX_VALUE) {
            Some((at, _)) => &v[..at],
            None => v.as_str(),
        })
}

/// A language tag from the request, when it is one.
fn language(params: &HashMap<String, String>, name: &str) -> Option<String> {
    attribute(params, name)
        .map(str::trim)
        .filter(|tag| tag.len() <= 35 && newswire::config::is_language_tag(tag))
        .map(str::to_owned)
}

/// This server's public address (`https://host`): `--public-url` when it is set, else as
/// the request addresses it ([`Addressed`]: `Host`, or from one of our own proxies
/// `X-Forwarded-Host` and `-Proto`; anyone else's forwarded headers change nothing).
fn public_base(state: &AppState, addressed: &Addressed) -> Option<String> {
    state
        .policy
        .public_url
        .clone()
        .or_else(|| addressed.origin())
}

/// `GET /newswire/render`: the widget's HTML for the loader.
pub async fn render(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    state
        .views
        .record(&headers, crate::assets::views::Asked::Rendered);
    answer(&state, peer, &headers, &params, None).await
}

/// `GET /newswire/include`: the widget with its Declarative Shadow DOM, for partner servers.
pub async fn include(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    addressed: Addressed,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(base) = public_base(&state, &addressed) else {
        return crate::net::errors::json_error(
            StatusCode::BAD_REQUEST,
            "the request names no host",
        );
    };
    answer(&state, peer, &headers, &params, Some(base)).await
}

/// The render for `params`, from the cache or made now ([`make`]), in the encoding the
/// client takes.
async fn answer(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    include: Option<String>,
) -> Response {
    // Only this server's own feed is rendered; a page cannot name another.
    if attribute(params, "feed").is_some_and(|feed| !is_own_feed(feed)) {
        return crate::net::errors::json_error(
            StatusCode::NOT_FOUND,
            "only this server's own feed (/feed.json) is rendered here",
        );
    }
    let Some(served) = state.feed.current().await else {
        return crate::net::errors::json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the feed is not available right now",
        );
    };
    let (mut config, _) = match Config::from_attributes(
        |name| match name {
            "feed" => Some("https://newswire.invalid/feed.json".to_owned()),
            _ => attribute(params, name).map(str::to_owned),
        },
        |input| Some(input.to_owned()),
    ) {
        Ok(parsed) => parsed,
        Err(_) => {
            return crate::net::errors::json_error(StatusCode::BAD_REQUEST, "unusable attributes")
        }
    };
    // The page's and the reader's languages, as the browser has them: the widget chooses
    // from them (and the feed's) exactly as it does in the browser.
    config.page_language = language(params, "hl");
    config.reader_language = language(params, "rl");
    config.time_zone = include
        .as_ref()
        .and(attribute(params, "tz"))
        .and_then(newswire::platform::time_zone_name);
    let rated = config.show_rating;
    // The include names this server's address, which comes from the request only without
    // `--public-url`: a shared cache must then tell hosts apart.
    let vary = match (&include, &state.policy.public_url) {
        (None, _) => None,
        (Some(_), Some(_)) => Some("accept-encoding"),
        (Some(_), None) => Some("accept-encoding, host, x-forwarded-host, x-forwarded-proto"),
    };
    let summary = if config.show_rating {
        state.store.summary().await.ok()
    } else {
        None
    };
    let rating = summary
        .as_ref()
        .filter(|s| s.count > 0)
        .map(|s| (s.average.unwrap_or_default(), s.count as u32));
    // The language the render will speak: the feed's is the news's (selected again in the
    // render, off this thread; the selection is not `Send`).
    let locale = {
        let news = news::select(&served.feed, &config.category, config.max_briefs);
        let locale = config.locale(news.language.as_deref());
        (locale.lang.code(), locale.tag.to_string())
    };
    let key = Key {
        feed: served.etag.clone(),
        theme: match config.theme {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        },
        category: config.category.clone(),
        max_briefs: config.max_briefs,
        locale,
        lang_attribute: include.as_ref().and(config.lang.clone()),
        sections: config.sections.value(),
        heading_level: config.heading_level,
        title: config.title.clone(),
        rating: rating.map(|(average, count)| (count.into(), (average * 1000.0).round() as i64)),
        time_zone: config.time_zone.clone(),
        include: include.clone(),
    };
    let metrics = crate::net::metrics::metrics();
    let cached = state.renders.cache().get(&key);
    let rendered = match cached {
        Some(rendered) => {
            metrics.render("cached");
            rendered
        }
        None => {
            let client = state.policy.proxies.client(peer.ip(), headers);
            let made = make(state, client, key, config, served, rating, include);
            match made.await {
                Ok(rendered) => rendered,
                Err(refusal) => return refusal,
            }
        }
    };
    send(&rendered, headers, rated, vary)
}

/// An uncached render for `client`, admitted by its budget and its slots, then made on a
/// blocking thread, holding one of the render permits until the render is done and cached,
/// whether or not the client is still there: a client that goes away cannot leave renders
/// running beyond the permits. Another request that made the same render while this one
/// waited for a permit answers it.
async fn make(
    state: &AppState,
    client: std::net::IpAddr,
    key: Key,
    config: Config,
    served: crate::feed::source::Served,
    rating: Option<(f64, u32)>,
    include: Option<String>,
) -> Result<Arc<Rendered>, Response> {
    let renders = state.renders.clone();
    let metrics = crate::net::metrics::metrics();
    let Some(slot) = renders.in_flight.open(client, RENDERS_PER_CLIENT) else {
        metrics.render("limited");
        return Err(crate::net::errors::too_many(Duration::from_secs(1)));
    };
    if let Err(wait) = renders.budget.take(client, Instant::now()) {
        metrics.render("limited");
        return Err(crate::net::errors::too_many(wait));
    }
    let Ok(Ok(permit)) =
        tokio::time::timeout(RENDER_WAIT, renders.permits.clone().acquire_owned()).await
    else {
        metrics.render("busy");
        return Err(crate::net::errors::busy());
    };
    let release = state.www.join("newswire").join("release.json");
    let made = tokio::task::spawn_blocking(move || {
        let _held = (permit, slot);
        if let Some(rendered) = renders.cache().get(&key) {
            metrics.render("cached");
            return rendered;
        }
        let inner = fragment(config.clone(), &served.feed, Some(served.etag), rating);
        let html = match &include {
            Some(base) => wrap(base, &config, &inner, &release),
            None => inner,
        };
        let rendered = Arc::new(encode(html));
        renders.cache().put(key, rendered.clone());
        metrics.render("rendered");
        rendered
    })
    .await;
    made.map_err(|_| {
        crate::net::errors::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the widget could not be rendered",
        )
    })
}

/// Whether a `feed` the request names is this server's own (`/feed.json`, however it is
/// written out).
fn is_own_feed(feed: &str) -> bool {
    let path = match feed.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => feed,
    };
    path.split(['?', '#']).next() == Some("/feed.json")
}

/// The include: the element, with the attributes it was rendered for, around its open
/// shadow root, which links the stylesheet of the current release.
fn wrap(base: &str, config: &Config, fragment: &str, release: &std::path::Path) -> String {
    let css = std::fs::read_to_string(release)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["release"].as_str().map(str::to_owned))
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map_or_else(
            || format!("{base}/newswire/newswire.css"),
            |id| format!("{base}/newswire/v/{id}/newswire.css"),
        );
    let escape = |text: &str| html_escape::encode_double_quoted_attribute(text).into_owned();
    let mut attributes = format!(" feed=\"{}/feed.json\"", escape(base));
    let mut add = |name: &str, value: &str| {
        attributes.push_str(&format!(" {name}=\"{}\"", escape(value)));
    };
    if let Some(lang) = &config.lang {
        add("lang", lang);
    }
    add("category", &config.category);
    add("max-briefs", &config.max_briefs.to_string());
    add("sections", config.sections.value());
    add("heading-level", &config.heading_level.to_string());
    if let Some(title) = &config.title {
        add("title", title);
    }
    if config.show_rating {
        add("show-rating", "");
    }
    match config.theme {
        Theme::Light => add("theme", "light"),
        Theme::Dark => add("theme", "dark"),
        Theme::Auto => {}
    }
    format!(
        "<newswire-widget{attributes} state=\"ready\"><template shadowrootmode=\"open\">\
         <link rel=\"stylesheet\" href=\"{}\">{fragment}</template></newswire-widget>",
        escape(&css)
    )
}

/// `html` with its brotli encoding and its ETag, made once per render.
fn encode(html: String) -> Rendered {
    let html = Bytes::from(html);
    let mut br = Vec::new();
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut br, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        let _ = writer.write_all(&html);
    }
    Rendered {
        etag: crate::net::http::etag(&html),
        html,
        br: Bytes::from(br),
        gzip: OnceLock::new(),
    }
}

/// The render in the best encoding `headers` accept, or 304 when the client has it.
fn send(
    rendered: &Rendered,
    headers: &HeaderMap,
    rated: bool,
    vary: Option<&'static str>,
) -> Response {
    let accepts = |coding: &str| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let name = pieces.next()?.trim();
                let refused = pieces.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused).then_some(name)
            })
            .any(|name| name.eq_ignore_ascii_case(coding))
    };
    let mut response = if if_none_match(headers, &rendered.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts("br") && !rendered.br.is_empty() {
        let mut response = rendered.br.clone().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        response
    } else if accepts("gzip") && !rendered.gzip().is_empty() {
        let mut response = rendered.gzip().clone().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        rendered.html.clone().into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if rated {
            CACHE_CONTROL_RATED
        } else {
            CACHE_CONTROL
        }),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static(vary.unwrap_or("accept-encoding")),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    if let Ok(tag) = HeaderValue::from_str(&rendered.etag) {
        h.insert(header::ETAG, tag);
    }
    allow_any_origin(h);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_feed_is_named() {
        for own in [
            "/feed.json",
            "https://agency.example/feed.json",
            "http://127.0.0.1:8080/feed.json?v=2",
        ] {
            assert!(is_own_feed(own), "{own}");
        }
        for other in [
            "https://evil.example/other.json",
            "/feed.json/../x",
            "file:///etc/passwd",
            "",
        ] {
            assert!(!is_own_feed(other), "{other}");
        }
    }
}
