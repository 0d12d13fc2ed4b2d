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
//! Here: the router, the layout every page shares and the page headers. One file per part:
//! `auth` (sign-in and out, the `SignedIn` extractor, posted forms), `reviews`, `overview`
//! with its [`charts`], `health`, `download` (the exports), and [`session`] (cookies and
//! CSRF).

mod auth;
pub mod charts;
mod download;
mod health;
mod overview;
mod reviews;
pub mod session;

pub use auth::MAX_FORM;
use auth::{field, home, posted, sign_in, sign_out, Session, SignedIn};
use download::{export_csv, export_json};
use health::health;
use overview::overview;
use reviews::{hide, reviews, show, story_name, titles, Filters};

use crate::net::errors::store_failure_page;
use crate::net::proxies::Addressed;
use crate::reviews::export::Writer;
use crate::state::AppState;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use newswire_store::{self as store, Filter, Group, Review, Visibility};
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
