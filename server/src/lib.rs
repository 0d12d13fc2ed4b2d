//! newswire-server: the publisher's side of Newswire.
//!
//! One axum router serves four things: the feed (`feed`), the built widget and the demo
//! pages (`assets`), and the review API (`reviews`), which validates each review and hands
//! it to the SQLite `store`. `cli` reads the command line; `main.rs` only wires them up.

pub mod admin;
pub mod assets;
pub mod cli;
pub mod convert;
pub mod export;
pub mod feed;
pub mod http;
pub mod limits;
pub mod origins;
pub mod reviews;
pub mod source;
pub mod store;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use limits::{Limits, Rate};
use origins::Origins;
use source::FeedSource;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use tokio::sync::Semaphore;

/// How the server treats the outside world; every field has a safe default.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Browser origins allowed to call the review API.
    pub origins: Origins,
    /// Reviews per client (IPv4 address or IPv6 /64).
    pub client_rate: Rate,
    /// Reviews for the whole server.
    pub global_rate: Rate,
    /// Read `X-Forwarded-For` (set by a reverse proxy we trust).
    pub trust_proxy: bool,
    /// The bearer token of the admin routes; without one they are off.
    pub admin_token: Option<String>,
    /// Requests handled at once; more get a quick 503.
    pub max_inflight: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            origins: Origins::Loopback,
            client_rate: Rate::per_minute(10),
            global_rate: Rate::per_second(200),
            trust_proxy: false,
            admin_token: None,
            max_inflight: 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The feed, converted to JSON Feed, as last read successfully.
    pub feed: Arc<FeedSource>,
    /// The folder with `index.html` and the built widget under `newswire/`.
    pub www: Arc<PathBuf>,
    pub store: Arc<Store>,
    pub policy: Arc<Policy>,
    pub limits: Arc<Limits>,
    inflight: Arc<Semaphore>,
}

impl AppState {
    pub fn new(feed: FeedSource, www: PathBuf, store: Store, policy: Policy) -> Self {
        AppState {
            feed: Arc::new(feed),
            www: Arc::new(www),
            store: Arc::new(store),
            limits: Arc::new(Limits::new(policy.client_rate, policy.global_rate)),
            inflight: Arc::new(Semaphore::new(policy.max_inflight)),
            policy: Arc::new(policy),
        }
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/api/reviews",
            post(reviews::create)
                .get(admin::list)
                .options(reviews::preflight)
                .fallback(reviews::method_not_allowed),
        )
        .route("/api/reviews/summary", get(reviews::summary))
        .route("/api/reviews/{id}/hide", post(admin::hide))
        .route("/api/reviews/{id}/show", post(admin::show))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            partner_origins,
        ));
    Router::new()
        .route("/feed.json", get(feed::get_feed).options(feed::preflight))
        .route("/newswire/v/{release}/{file}", get(assets::released_asset))
        .route("/newswire/{*path}", get(assets::widget_asset))
        .route("/configurator", get(assets::configurator))
        .merge(api)
        .fallback(get(assets::page))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            shed_load,
        ))
        .with_state(state)
}

/// The review API answers CORS only for the allowed partner origins.
async fn partner_origins(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match origins::check(&state.policy.origins, request.headers()) {
        Err(refused) => refused.into_response(),
        Ok(origin) => {
            let mut response = next.run(request).await;
            origins::allow(&mut response, origin);
            response
        }
    }
}

/// Beyond `max_inflight` requests at once, answer 503 at once rather than queue forever.
async fn shed_load(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.inflight.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            let mut response = reviews::json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; please try again shortly",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, finishing requests in flight
/// (and so every review batch they wait for).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
