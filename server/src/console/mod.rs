//! The publisher's console at `/admin`: server-rendered pages (askama templates, checked at
//! compile time, every value escaped), plain HTML forms, and one small script that writes
//! times in the editor's locale. Nothing comes from a CDN, and every page is served under a
//! strict Content-Security-Policy: no inline script or style, no framing.
//!
//! - `/admin`: sign in with the admin token (or, without one, how to turn the console on).
//! - `/admin/reviews`: newest first, filtered, paged with a cursor; hide and show, one at a
//!   time or in bulk; CSV and JSON exports of the current filter, streamed.
//! - `/admin/overview`: counts, ratings and reviews per day as SVG charts with their data
//!   tables, per partner site, per story, and where the widget is shown.
//! - `/admin/health`: the feed source's health and the partner allow-list.
//!
//! Sessions and CSRF live in [`session`]; charts in [`charts`].

pub mod charts;
pub mod session;

use crate::net::errors::store_failure_page;
use crate::reviews::export::Writer;
use crate::store::{self, Filter, Group, Review, Visibility};
use crate::AppState;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;
use tower_http::set_header::SetResponseHeaderLayer;

/// Every console page: its own origin only, no inline code, never in a frame.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Reviews on a page.
const PAGE: usize = 50;
/// Sign-ins a client may try a minute, right or wrong (with a burst of as many).
pub const SIGN_INS_PER_MINUTE: crate::net::limits::Rate = crate::net::limits::Rate {
    per_second: 30.0 / 60.0,
    burst: 30.0,
};

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

/// The console's routes, under `/admin`.
pub fn router() -> Router<AppState> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/admin", get(home))
        .route("/admin/sign-in", post(sign_in))
        .route("/admin/sign-out", post(sign_out))
        .route("/admin/reviews", get(reviews))
        .route("/admin/reviews/hide", post(hide))
        .route("/admin/reviews/show", post(show))
        .route("/admin/overview", get(overview))
        .route("/admin/health", get(health))
        .route("/admin/export.csv", get(export_csv))
        .route("/admin/export.json", get(export_json))
        .route(
            "/admin/console.css",
            get(|| asset(CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/admin/console.js",
            get(|| asset(JS, "text/javascript; charset=utf-8")),
        )
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        // Not no-referrer: under it a browser sends `Origin: null` even with our own forms.
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(header::CACHE_CONTROL, "no-store"))
}

async fn asset(text: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// The parts of the layout every page shares.
struct Nav {
    signed_in: bool,
    page: &'static str,
    csrf: String,
}

impl Nav {
    fn signed_out() -> Self {
        Nav {
            signed_in: false,
            page: "",
            csrf: String::new(),
        }
    }
}

/// A rendered page, or a plain 500 if a template failed.
fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a console page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "console/setup.html")]
struct Setup {
    nav: Nav,
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignIn {
    nav: Nav,
    error: Option<&'static str>,
}

/// The signed-in session: its store key and its CSRF token.
struct Session {
    key: String,
    csrf: String,
}

/// The request's session, if it has a live one. `Err`: the answer to send instead (the
/// console is off, or the store is away).
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, Response> {
    if state.policy.admin_token.is_none() {
        return Err(render(
            StatusCode::OK,
            Setup {
                nav: Nav::signed_out(),
            },
        ));
    }
    let Some(token) = session::cookie(headers) else {
        return Ok(None);
    };
    let key = session::key(&token);
    match state.store.session(&key, store::now()).await {
        Ok(Some(csrf)) => Ok(Some(Session { key, csrf })),
        Ok(None) => Ok(None),
        Err(err) => Err(store_failure_page(&err)),
    }
}

/// A request from a signed-in editor: a console handler that takes one runs only with a
/// live session, and anyone else is sent to the sign-in page (or told the store is away)
/// before the handler, or its body, is read.
struct SignedIn(Session);

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        match session(state, &parts.headers).await? {
            Some(session) => Ok(SignedIn(session)),
            None => Err(Redirect::to("/admin").into_response()),
        }
    }
}

/// The largest form the console takes: a page's bulk selection, its CSRF token and the
/// filters to go back to fit in well under this.
pub const MAX_FORM: usize = 8 * 1024;
/// Sign-ins received at once, from a pool apart from the rest of the console's.
pub const SIGN_IN_INFLIGHT: usize = 16;
/// The longest a sign-in's form may take to arrive: a token and a few bytes more.
const SIGN_IN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The fields of a posted form; a name may repeat (the bulk checkboxes). The body is read
/// only after the checks that need no body, at most [`MAX_FORM`] bytes, and all of it
/// within the body deadline, so that slow or large forms cost the server nothing.
async fn form(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    form_within(headers, body, state.policy.body_timeout).await
}

/// The same, within `deadline`.
async fn form_within(
    headers: &HeaderMap,
    body: Body,
    deadline: std::time::Duration,
) -> Result<Vec<(String, String)>, Response> {
    let bytes = crate::net::http::read_body(headers, body, MAX_FORM, deadline)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `GET /admin`.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Err(answer) => answer,
        Ok(Some(_)) => Redirect::to("/admin/reviews").into_response(),
        Ok(None) => render(
            StatusCode::OK,
            SignIn {
                nav: Nav::signed_out(),
                error: None,
            },
        ),
    }
}

/// `POST /admin/sign-in`: the token gives a session; failures are limited per client.
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(expected) = state.policy.admin_token.as_deref() else {
        return render(
            StatusCode::OK,
            Setup {
                nav: Nav::signed_out(),
            },
        );
    };
    if !session::same_origin_form(&headers, state.policy.proxies.forwarded(), "", "") {
        return (
            StatusCode::FORBIDDEN,
            "this form may only be sent from the console",
        )
            .into_response();
    }
    let refuse = |status, error| {
        render(
            status,
            SignIn {
                nav: Nav::signed_out(),
                error: Some(error),
            },
        )
    };
    let client = state.policy.proxies.client(peer.ip(), &headers);
    // Every sign-in spends from the client's allowance before the token is compared, so that
    // guesses sent all at once are held to it too (an editor signs in a few times a day).
    if state.sign_ins.take(client, Instant::now()).is_err() {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins from here. Wait a minute, then try again.",
        );
    }
    let deadline = state.policy.body_timeout.min(SIGN_IN_DEADLINE);
    let fields = match form_within(&headers, body, deadline).await {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let given = field(&fields, "token").unwrap_or_default().trim();
    if !crate::reviews::admin::same_secret(given.as_bytes(), expected.as_bytes()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "That is not the token this server was started with.",
        );
    }
    let (token, csrf) = (session::token(), session::token());
    let expires = store::now() + session::LIFETIME;
    if let Err(err) = state
        .store
        .start_session(&session::key(&token), &csrf, expires)
        .await
    {
        return store_failure_page(&err);
    }
    let mut response = Redirect::to("/admin/reviews").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(Some(&token), session::is_https(&state, &headers)),
    );
    response
}

/// The form's fields, if this form post is its session's own (right CSRF token, same
/// origin); else the refusal. (A request without a session never gets here: [`SignedIn`]
/// refuses it before its body is read.)
async fn posted(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    let fields = form(state, headers, body).await?;
    let given = field(&fields, "csrf").unwrap_or_default();
    if !session::same_origin_form(
        headers,
        state.policy.proxies.forwarded(),
        given,
        &session.csrf,
    ) {
        return Err((
            StatusCode::FORBIDDEN,
            "this form may only be sent from the console",
        )
            .into_response());
    }
    Ok(fields)
}

/// `POST /admin/sign-out`: the session ends on the server, and its cookie goes.
async fn sign_out(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(refusal) = posted(&state, &session, &headers, body).await {
        return refusal;
    }
    if let Err(err) = state.store.end_session(&session.key, store::now()).await {
        return store_failure_page(&err);
    }
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(None, session::is_https(&state, &headers)),
    );
    response
}

/// `POST /admin/reviews/hide`.
async fn hide(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    moderate(state, session, headers, body, true).await
}

/// `POST /admin/reviews/show`.
async fn show(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    moderate(state, session, headers, body, false).await
}

/// Hides or shows the review of the row's button (`one`), else every checked one (`ids`),
/// then goes back to the same list.
async fn moderate(
    state: AppState,
    session: Session,
    headers: HeaderMap,
    body: Body,
    hidden: bool,
) -> Response {
    let fields = match posted(&state, &session, &headers, body).await {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let ids: Vec<i64> = match field(&fields, "one") {
        Some(one) => one.parse().into_iter().collect(),
        None => fields
            .iter()
            .filter(|(n, _)| n == "ids")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
    };
    for id in ids {
        if let Err(err) = state.store.set_hidden(id, hidden).await {
            return store_failure_page(&err);
        }
    }
    // Only back to a list of ours.
    let back = field(&fields, "back")
        .filter(|b| b.starts_with("/admin/reviews") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or("/admin/reviews");
    Redirect::to(back).into_response()
}

/// The reviews page's filters, as the query string has them.
struct Filters {
    filter: Filter,
    status: &'static str,
    from: String,
    to: String,
    text: String,
    /// The query string that gives these filters again (`?…`, or empty).
    query: String,
}

impl Filters {
    fn read(params: &HashMap<String, String>) -> Filters {
        let get = |name: &str| {
            params
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (visibility, status) = match get("status").as_deref() {
            Some("visible") => (Visibility::Visible, "visible"),
            Some("hidden") => (Visibility::Hidden, "hidden"),
            _ => (Visibility::All, "all"),
        };
        let from = get("from").and_then(|d| newswire::date::date_day(&d));
        let to = get("to").and_then(|d| newswire::date::date_day(&d));
        let filter = Filter {
            rating: get("rating")
                .and_then(|r| r.parse().ok())
                .filter(|r| (1..=5).contains(r)),
            visibility,
            from: from.map(|d| d * 86_400),
            // The whole of the last day.
            to: to.map(|d| (d + 1) * 86_400),
            partner: get("partner"),
            story: get("story"),
            text: get("q"),
        };
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(r) = filter.rating {
            pairs.push(("rating", r.to_string()));
        }
        if status != "all" {
            pairs.push(("status", status.to_owned()));
        }
        let from = from.map(newswire::date::day_date).unwrap_or_default();
        let to = to.map(newswire::date::day_date).unwrap_or_default();
        if !from.is_empty() {
            pairs.push(("from", from.clone()));
        }
        if !to.is_empty() {
            pairs.push(("to", to.clone()));
        }
        if let Some(p) = &filter.partner {
            pairs.push(("partner", p.clone()));
        }
        if let Some(s) = &filter.story {
            pairs.push(("story", s.clone()));
        }
        if let Some(q) = &filter.text {
            pairs.push(("q", q.clone()));
        }
        for (name, value) in &pairs {
            query.append_pair(name, value);
        }
        let query = query.finish();
        Filters {
            text: filter.text.clone().unwrap_or_default(),
            filter,
            status,
            from,
            to,
            query: if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            },
        }
    }
}

/// A review as a row of the list.
struct Row {
    id: i64,
    rating: u8,
    stars: String,
    comment: String,
    page: String,
    /// The page as a link, only when it is an http(s) address.
    link: Option<String>,
    story: String,
    iso: String,
    utc: String,
    hidden: bool,
}

/// A story in the filter's menu: its id, and its headline while the feed still has it.
struct Story {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "console/reviews.html")]
struct ReviewsPage {
    nav: Nav,
    filter: Filter,
    /// The rating menu: value, label, chosen.
    ratings: Vec<(u8, &'static str, bool)>,
    status: &'static str,
    from: String,
    to: String,
    text: String,
    query: String,
    back: String,
    partners: Vec<String>,
    stories: Vec<Story>,
    rows: Vec<Row>,
    next: Option<String>,
}

/// The headline of each item the feed still has, by id, read with the widget's own feed
/// model (ids coerced and deduplicated as the widget does).
async fn titles(state: &AppState) -> HashMap<String, String> {
    let Some(served) = state.feed.current().await else {
        return HashMap::new();
    };
    let feed = newswire::feed::parse(&String::from_utf8_lossy(&served.body)).unwrap_or_default();
    feed.items
        .into_iter()
        .filter_map(|item| Some((item.id, item.title?.trim().to_owned())))
        .collect()
}

/// A story's name: its headline (and id) while the feed has it, else its id.
fn story_name(id: &str, titles: &HashMap<String, String>) -> String {
    match titles.get(id) {
        _ if id.is_empty() => "(none)".to_owned(),
        Some(title) if !title.is_empty() => format!("{title} ({id})"),
        _ => id.to_owned(),
    }
}

fn row(review: Review, titles: &HashMap<String, String>) -> Row {
    let (iso, utc) = newswire::date::utc(review.created_at);
    let rating = review.rating.min(5);
    let link = (!store::origin_of(&review.page).is_empty()).then(|| review.page.clone());
    Row {
        id: review.id,
        rating,
        stars: "★".repeat(rating.into()) + &"☆".repeat((5 - rating).into()),
        story: story_name(&review.subject, titles),
        comment: review.comment,
        page: review.page,
        link,
        iso,
        utc,
        hidden: review.hidden,
    }
}

/// `GET /admin/reviews`.
async fn reviews(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let filters = Filters::read(&params);
    let before = params.get("before").and_then(|b| b.parse().ok());
    let found = state.store.find(filters.filter.clone(), before, PAGE).await;
    let stats = state.store.stats(store::now() / 86_400).await;
    let (found, stats) = match (found, stats) {
        (Ok(found), Ok(stats)) => (found, stats),
        (Err(err), _) | (_, Err(err)) => return store_failure_page(&err),
    };
    let titles = titles(&state).await;
    let next = (found.len() == PAGE)
        .then(|| found.last().map(|r| r.id))
        .flatten()
        .map(|last| {
            let joiner = if filters.query.is_empty() { '?' } else { '&' };
            format!("{}{joiner}before={last}", filters.query)
        });
    let back = format!(
        "/admin/reviews{}",
        match before {
            Some(b) if filters.query.is_empty() => format!("?before={b}"),
            Some(b) => format!("{}&before={b}", filters.query),
            None => filters.query.clone(),
        }
    );
    let mut partners: Vec<String> = stats
        .partners
        .into_iter()
        .map(|g| g.name)
        .filter(|name| !name.is_empty())
        .collect();
    partners.sort();
    let stories = stats
        .stories
        .iter()
        .map(|g| Story {
            label: story_name(&g.name, &titles),
            id: g.name.clone(),
        })
        .collect();
    render(
        StatusCode::OK,
        ReviewsPage {
            nav: Nav {
                signed_in: true,
                page: "reviews",
                csrf: session.csrf,
            },
            rows: found.into_iter().map(|r| row(r, &titles)).collect(),
            ratings: [
                (5, "5 stars"),
                (4, "4 stars"),
                (3, "3 stars"),
                (2, "2 stars"),
                (1, "1 star"),
            ]
            .into_iter()
            .map(|(n, label)| (n, label, filters.filter.rating == Some(n)))
            .collect(),
            filter: filters.filter,
            status: filters.status,
            from: filters.from,
            to: filters.to,
            text: filters.text,
            query: filters.query,
            back,
            partners,
            stories,
            next,
        },
    )
}

/// A group's row in the overview's tables.
struct GroupRow {
    name: String,
    count: i64,
    average: String,
    iso: String,
    utc: String,
}

fn group_row(group: &Group, name: String) -> GroupRow {
    let (iso, utc) = newswire::date::utc(group.last);
    GroupRow {
        name,
        count: group.count,
        average: format!("{:.2}", group.average),
        iso,
        utc,
    }
}

struct ViewRow {
    day: String,
    origin: String,
    feed: i64,
    widget: i64,
    rendered: i64,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    nav: Nav,
    stats: store::Stats,
    average: String,
    days: i64,
    ratings: Vec<(String, i64)>,
    ratings_chart: String,
    per_day: Vec<(String, i64)>,
    days_chart: String,
    partners: Vec<GroupRow>,
    stories: Vec<GroupRow>,
    views: Vec<ViewRow>,
}

/// `GET /admin/overview?days=30|90`.
async fn overview(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let days: i64 = if params.get("days").map(String::as_str) == Some("90") {
        90
    } else {
        30
    };
    let today = store::now().div_euclid(86_400);
    let first = today - days + 1;
    let (stats, views) = match (
        state.store.stats(first).await,
        state.store.views(first).await,
    ) {
        (Ok(stats), Ok(views)) => (stats, views),
        (Err(err), _) | (_, Err(err)) => return store_failure_page(&err),
    };
    // This replica's counts that have not reached the store yet.
    let views = state.views.merged(views, first);
    let titles = titles(&state).await;
    let ratings: Vec<(String, i64)> = (1..=5)
        .rev()
        .map(|n| {
            let label = if n == 1 {
                "1 star".to_owned()
            } else {
                format!("{n} stars")
            };
            (label, stats.ratings[n - 1])
        })
        .collect();
    render(
        StatusCode::OK,
        OverviewPage {
            nav: Nav {
                signed_in: true,
                page: "overview",
                csrf: session.csrf,
            },
            average: stats
                .average
                .map_or_else(|| "none yet".to_owned(), |a| format!("{a:.2}")),
            ratings_chart: charts::bars("Reviews by rating", &ratings),
            days_chart: charts::columns(
                &format!("Reviews per day, last {days} days"),
                first,
                today,
                &stats.per_day,
            ),
            per_day: stats
                .per_day
                .iter()
                .map(|(day, count)| (newswire::date::day_date(*day), *count))
                .collect(),
            partners: stats
                .partners
                .iter()
                .map(|g| {
                    let name = if g.name.is_empty() {
                        "Unattributed".to_owned()
                    } else {
                        g.name.clone()
                    };
                    group_row(g, name)
                })
                .collect(),
            stories: stats
                .stories
                .iter()
                .map(|g| group_row(g, story_name(&g.name, &titles)))
                .collect(),
            views: views
                .into_iter()
                .map(|v| ViewRow {
                    day: newswire::date::day_date(v.day),
                    origin: v.origin,
                    feed: v.feed,
                    widget: v.widget,
                    rendered: v.rendered,
                })
                .collect(),
            ratings,
            days,
            stats,
        },
    )
}

#[derive(Template)]
#[template(path = "console/health.html")]
struct HealthPage {
    nav: Nav,
    health: crate::feed::source::Health,
    source_kind: &'static str,
    last_good: Option<(String, String)>,
    last_error: Option<(String, String, String)>,
    next_poll: Option<(String, String)>,
    allowed: Option<Vec<String>>,
    /// Loopback pages allowed beside the list.
    loopback: bool,
}

/// `GET /admin/health`.
async fn health(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    // Reading the feed first brings a file source's figures up to date.
    let _ = state.feed.current().await;
    let health = state.feed.health();
    let origins = &state.policy.origins;
    let allowed = (!origins.named().is_empty()).then(|| origins.named().to_vec());
    render(
        StatusCode::OK,
        HealthPage {
            nav: Nav {
                signed_in: true,
                page: "health",
                csrf: session.csrf,
            },
            source_kind: if health.is_url { "URL, polled" } else { "File" },
            last_good: health.last_good.map(newswire::date::utc),
            last_error: health.last_error.clone().map(|(t, e)| {
                let (iso, utc) = newswire::date::utc(t);
                (iso, utc, e)
            }),
            next_poll: health.next_poll.map(newswire::date::utc),
            allowed,
            loopback: origins.loopback(),
            health,
        },
    )
}

async fn export_csv(
    State(state): State<AppState>,
    _: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    export(state, params, false).await
}

async fn export_json(
    State(state): State<AppState>,
    _: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    export(state, params, true).await
}

/// The reviews of the current filter, newest first, streamed a page at a time: the same rows
/// as the list shows, in the same form as `newswire-server reviews export`.
async fn export(state: AppState, params: HashMap<String, String>, json: bool) -> Response {
    let filter = Filters::read(&params).filter;
    let store = state.store.clone();
    // (cursor, the export's framing, done)
    let start = (None::<i64>, Writer::new(json), false);
    let stream = futures_util::stream::unfold(start, move |(before, mut writer, done)| {
        let (store, filter) = (store.clone(), filter.clone());
        async move {
            if done {
                return None;
            }
            let opening = if before.is_none() {
                writer.opening()
            } else {
                ""
            };
            match store.find(filter, before, 500).await {
                Err(err) => Some((Err(std::io::Error::other(err)), (before, writer, true))),
                Ok(page) => {
                    let last = page.last().map(|r| r.id);
                    let mut chunk = String::from(opening);
                    for review in &page {
                        chunk.push_str(&writer.row(review));
                    }
                    let finished = page.len() < 500;
                    if finished {
                        chunk.push_str(writer.closing());
                    }
                    Some((Ok(Bytes::from(chunk)), (last.or(before), writer, finished)))
                }
            }
        }
    });
    let (content_type, name) = if json {
        ("application/json", "reviews.json")
    } else {
        ("text/csv; charset=utf-8", "reviews.csv")
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
