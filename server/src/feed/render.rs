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
//! Renders are cached per feed version and normalised attributes (the language is the one
//! chosen, not the raw tags), least recently used first out, [`CACHE_ENTRIES`] at most: the
//! key holds free text (`title`, cut to 200 characters by `Config`), so a stranger choosing
//! titles only churns the cache. At most as many renders run at once as there are cores.

use crate::net::http::{allow_any_origin, if_none_match};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire::components::widget::{Widget, WidgetProps};
use newswire::config::{Config, Theme};
use newswire::feed::Feed;
use newswire::news;
use newswire::state::Initial;
use std::collections::HashMap;
use std::io::Write;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The widget code this server renders with: the same hash `scripts/release.mjs` stamps
/// into the loader beside the wasm built from the same sources.
pub const CODE: &str = env!("NEWSWIRE_CODE");
/// Renders kept.
pub const CACHE_ENTRIES: usize = 512;
/// How long a request waits for a render to be free before it is told to come back.
const RENDER_WAIT: Duration = Duration::from_secs(2);
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
    /// `lang`, the page's and the reader's.
    languages: [Option<String>; 3],
    sections: &'static str,
    heading_level: u8,
    title: Option<String>,
    /// The summary rendered, `(count, rating sum)`, when `show-rating` is on.
    rating: Option<(i64, i64)>,
    time_zone: Option<String>,
    /// For the include: this server's public address, which its links name.
    include: Option<String>,
}

/// One render, ready to send in any encoding.
pub struct Rendered {
    pub html: Bytes,
    pub br: Bytes,
    pub gzip: Bytes,
    pub etag: String,
}

/// The cache of renders, and the permits renders take.
pub struct Renders {
    cache: Mutex<lru::LruCache<Key, Arc<Rendered>>>,
    permits: Arc<Semaphore>,
}

impl Default for Renders {
    fn default() -> Self {
        Renders::new(CACHE_ENTRIES)
    }
}

impl Renders {
    /// A cache of at most `entries` renders.
    pub fn new(entries: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Renders {
            cache: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN),
            )),
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    /// How many renders are cached.
    pub fn len(&self) -> usize {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// This server's public address (`https://host`), as the request names it: `Host`, or
/// behind a proxy we trust, `X-Forwarded-Host` and `X-Forwarded-Proto` (their last entry,
/// the one our own proxy wrote, as for `X-Forwarded-For`). The answer varies on these
/// headers, so no shared cache can hand one host's include to another.
fn public_base(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(|v| v.trim().to_owned())
    };
    let trusted = state.policy.proxies.forwarded();
    let host = trusted
        .then(|| header("x-forwarded-host"))
        .flatten()
        .or_else(|| header("host"))?;
    let valid = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let scheme = match trusted.then(|| header("x-forwarded-proto")).flatten() {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    valid.then(|| format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// `GET /newswire/render`: the widget's HTML for the loader.
pub async fn render(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    state
        .views
        .record(&headers, crate::assets::views::Asked::Rendered);
    answer(&state, &headers, &params, None).await
}

/// `GET /newswire/include`: the widget with its Declarative Shadow DOM, for partner servers.
pub async fn include(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(base) = public_base(&state, &headers) else {
        return crate::net::errors::json_error(
            StatusCode::BAD_REQUEST,
            "the request names no host",
        );
    };
    answer(&state, &headers, &params, Some(base)).await
}

/// The render for `params`, from the cache or made now, in the encoding the client takes.
async fn answer(
    state: &AppState,
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
    let is_include = include.is_some();
    let summary = if config.show_rating {
        state.store.summary().await.ok()
    } else {
        None
    };
    let rating = summary
        .as_ref()
        .filter(|s| s.count > 0)
        .map(|s| (s.average.unwrap_or_default(), s.count as u32));
    let key = Key {
        feed: served.etag.clone(),
        theme: match config.theme {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        },
        category: config.category.clone(),
        max_briefs: config.max_briefs,
        languages: [
            config.lang.clone(),
            config.page_language.clone(),
            config.reader_language.clone(),
        ],
        sections: config.sections.value(),
        heading_level: config.heading_level,
        title: config.title.clone(),
        rating: rating.map(|(average, count)| (count.into(), (average * 1000.0).round() as i64)),
        time_zone: config.time_zone.clone(),
        include: include.clone(),
    };
    let cached = state
        .renders
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let rendered = match cached {
        Some(rendered) => rendered,
        None => match make(state, key, config, served, rating, include).await {
            Ok(rendered) => rendered,
            Err(refusal) => return refusal,
        },
    };
    send(&rendered, headers, rated, is_include)
}

/// Renders on a blocking thread, holding one of the render permits until the render is
/// done and cached, whether or not the client is still there: a client that goes away
/// cannot leave renders running beyond the permits. Another request that made the same
/// render while this one waited for a permit answers it.
async fn make(
    state: &AppState,
    key: Key,
    config: Config,
    served: crate::feed::source::Served,
    rating: Option<(f64, u32)>,
    include: Option<String>,
) -> Result<Arc<Rendered>, Response> {
    let renders = state.renders.clone();
    let Ok(Ok(permit)) =
        tokio::time::timeout(RENDER_WAIT, renders.permits.clone().acquire_owned()).await
    else {
        return Err(crate::net::errors::busy());
    };
    let release = state.www.join("newswire").join("release.json");
    let made = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let cached = renders
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(rendered) = cached {
            return rendered;
        }
        let inner = fragment(config.clone(), &served.feed, Some(served.etag), rating);
        let html = match &include {
            Some(base) => wrap(base, &config, &inner, &release),
            None => inner,
        };
        let rendered = Arc::new(encode(html));
        renders
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(key, rendered.clone());
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

/// `html` with its brotli and gzip encodings and its ETag, made once per render.
fn encode(html: String) -> Rendered {
    let html = Bytes::from(html);
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        let _ = writer.write_all(&html);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = gzip.write_all(&html);
    let gzip = gzip.finish().unwrap_or_default();
    Rendered {
        etag: crate::net::http::etag(&html),
        html,
        br: Bytes::from(br),
        gzip: Bytes::from(gzip),
    }
}

/// The render in the best encoding `headers` accept, or 304 when the client has it.
fn send(rendered: &Rendered, headers: &HeaderMap, rated: bool, include: bool) -> Response {
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
    } else if accepts("gzip") && !rendered.gzip.is_empty() {
        let mut response = rendered.gzip.clone().into_response();
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
        HeaderValue::from_static(if include {
            "accept-encoding, host, x-forwarded-host, x-forwarded-proto"
        } else {
            "accept-encoding"
        }),
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
