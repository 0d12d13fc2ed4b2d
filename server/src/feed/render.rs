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
//! Renders come from the cache when they can, and an uncached one is admitted by its
//! client's budget and slots and the render permits ([`crate::feed::renders`]); the routes
//! take none of the general request permits. A render that is refused is made in the
//! reader's browser instead (the loader falls back to the wasm).

use crate::feed::renders::{encode, Key, Refusal, Rendered};
use crate::net::http::{accepts, allow_any_origin, if_none_match};
use crate::net::proxies::Addressed;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire::components::widget::{Widget, WidgetProps};
use newswire::config::{Config, Theme};
use newswire::feed::Feed;
use newswire::news;
use newswire::state::Initial;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

/// The widget code this server renders with: the same hash `scripts/release.mjs` stamps
/// into the loader beside the wasm built from the same sources.
pub const CODE: &str = env!("NEWSWIRE_CODE");
/// Longer attribute values are not read (a title is cut to 200 characters anyway).
const MAX_VALUE: usize = 512;
/// As long as the feed: a CDN may keep a render a minute and serve it stale while it asks,
/// and may not rewrite it (hydration needs its comment markers).
pub const CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300, no-transform";
/// A render with the public rating is asked again each time (a cheap 304 while nothing
/// changed): a reader who just sent a review must see it counted.
const CACHE_CONTROL_RATED: &str = "no-cache, no-transform";

/// The widget's HTML and the state it was rendered from, for `config` and `feed`, as the
/// loader puts them in a shadow root. Runs the components to completion on this thread.
pub fn fragment(
    config: Config,
    feed: &Feed,
    etag: Option<String>,
    rating: Option<(f64, u32)>,
    revision: Option<i64>,
) -> String {
    let news = news::select(feed, &config.category, config.max_briefs);
    let initial = Initial {
        news: Rc::new(news),
        etag,
        rating,
        live: revision.map(|revision| newswire::feed::Live {
            stream: crate::feed::json::STREAM.to_owned(),
            revision: revision.max(0) as u64,
        }),
        ..Initial::default()
    };
    let state = initial.write();
    let props = WidgetProps {
        config: Rc::new(config),
        on_notice: yew::Callback::noop(),
        refresh: 0,
        initial: Some(Rc::new(initial)),
        announced: 0,
    };
    let html = futures_executor::block_on(
        yew::LocalServerRenderer::<Widget>::with_props(props)
            .hydratable(true)
            .render(),
    );
    let html = unnamed(&html);
    format!(
        "<div class=\"nw-root\" data-release=\"{CODE}\">{html}</div>\
         <script type=\"application/json\" class=\"nw-state\">{state}</script>"
    )
}

/// `html` with Yew's hydration markers unnamed: a build with debug assertions writes each
/// component's Rust path into them (`<!--<[newswire::components::widget::Widget]>-->`),
/// 200 bytes of brotli that hydration never reads (it looks only at `<[`, `</[` and `]>`),
/// and that the release server does not write. So every build serves what readers get.
fn unnamed(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--<") {
        let marker = &rest[at + 5..];
        let opener = if marker.starts_with('[') {
            "<!--<["
        } else if marker.starts_with("/[") {
            "<!--</["
        } else {
            out.push_str(&rest[..at + 5]);
            rest = marker;
            continue;
        };
        match rest[at..].find("]>-->") {
            Some(end) => {
                out.push_str(&rest[..at]);
                out.push_str(opener);
                out.push_str("]>-->");
                rest = &rest[at + end + 5..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
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
        .filter(|tag| tag.len() <= 35 && newswire::i18n::is_language_tag(tag))
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
        // The revision is written into the render's state, and a feed may come back to
        // earlier bytes as a later revision.
        feed: format!("{} {}", served.revision, served.etag),
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
        show_rating: config.show_rating,
        rating: rating.map(|(average, count)| (count.into(), (average * 1000.0).round() as i64)),
        time_zone: config.time_zone.clone(),
        include: include.clone(),
    };
    let metrics = crate::net::metrics::metrics();
    let cached = state.renders.get(&key);
    let rendered = match cached {
        Some(rendered) => {
            metrics.render("cached");
            rendered
        }
        None => {
            let client = state.policy.proxies.client(peer.ip(), headers);
            // A client that takes gzip but not brotli has it made with the render, off the
            // request workers.
            let gzip = !accepts(headers, "br") && accepts(headers, "gzip");
            let order = Order {
                key,
                config,
                served,
                rating,
                include,
                gzip,
            };
            let made = make(state, client, order);
            match made.await {
                Ok(rendered) => rendered,
                Err(refusal) => return refusal,
            }
        }
    };
    send(&rendered, headers, rated, vary)
}

/// A render to make: what it is kept under, and what it is made of.
struct Order {
    key: Key,
    config: Config,
    served: crate::feed::source::Served,
    rating: Option<(f64, u32)>,
    /// For the include: this server's public address.
    include: Option<String>,
    /// Whether to make the gzip encoding with it (a client that takes gzip, not brotli).
    gzip: bool,
}

/// An uncached render for `client`, admitted by its budget, its slots and a render permit
/// ([`Renders::admit`](crate::feed::renders::Renders::admit)), then made on a blocking
/// thread, holding the permit until the render is done and cached, whether or not the
/// client is still there: a client that goes away cannot leave renders running beyond the
/// permits. Another request that made the same render while this one waited for a permit
/// answers it.
async fn make(
    state: &AppState,
    client: std::net::IpAddr,
    order: Order,
) -> Result<Arc<Rendered>, Response> {
    let renders = state.renders.clone();
    let metrics = crate::net::metrics::metrics();
    let admitted = match renders.admit(client).await {
        Ok(admitted) => admitted,
        Err(Refusal::Limited(wait)) => {
            metrics.render("limited");
            return Err(crate::net::errors::too_many(wait));
        }
        Err(Refusal::Busy) => {
            metrics.render("busy");
            return Err(crate::net::errors::busy());
        }
    };
    let release = state.www.join("newswire").join("release.json");
    let made = tokio::task::spawn_blocking(move || {
        let _held = admitted;
        if let Some(rendered) = renders.get(&order.key) {
            metrics.render("cached");
            return rendered;
        }
        let config = &order.config;
        let inner = fragment(
            config.clone(),
            &order.served.feed,
            Some(order.served.etag),
            order.rating,
            Some(order.served.revision),
        );
        let html = match &order.include {
            Some(base) => wrap(base, config, &inner, &release),
            None => inner,
        };
        let rendered = Arc::new(encode(html));
        if order.gzip {
            rendered.gzip();
        }
        renders.put(order.key, rendered.clone());
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

/// The render in the best encoding `headers` accept, or 304 when the client has it.
fn send(
    rendered: &Rendered,
    headers: &HeaderMap,
    rated: bool,
    vary: Option<&'static str>,
) -> Response {
    let mut response = if if_none_match(headers, &rendered.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts(headers, "br") && !rendered.br.is_empty() {
        let mut response = rendered.br.clone().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        response
    } else if accepts(headers, "gzip") && !rendered.gzip().is_empty() {
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
    fn hydration_markers_lose_their_names_and_nothing_else_changes() {
        let named = "<!--<[a::B]>--><p><!--x--></p><!--<[]>--><!--</[]>--><!--</[a::B]>-->tail";
        assert_eq!(
            unnamed(named),
            "<!--<[]>--><p><!--x--></p><!--<[]>--><!--</[]>--><!--</[]>-->tail"
        );
        assert_eq!(
            unnamed("<!--<[open"),
            "<!--<[open",
            "a marker cut short is left"
        );
        assert_eq!(unnamed("no markers"), "no markers");
        // What the widget renders, unnamed: no Rust path left in it.
        let html = fragment(
            Config::from_attributes(
                |n| (n == "feed").then(|| "https://agency.example/feed.json".into()),
                |u| Some(u.into()),
            )
            .unwrap()
            .0,
            &Feed::default(),
            None,
            None,
            Some(1),
        );
        assert!(!html.contains("newswire::"), "{html}");
        assert!(html.contains("<!--<[]>-->"));
    }

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
