//! newswire-server: the publisher's side of Newswire.
//!
//! One axum router serves four things: the feed (`feed`), the built widget and the demo
//! pages (`assets`), and the review API (`reviews`), which validates each review and hands
//! it to the `store` (SQLite, or PostgreSQL shared by several replicas). `cli` reads the
//! command line; `main.rs` only wires them up.

pub mod assets;
pub mod cli;
pub mod console;
pub mod feed;
pub mod health;
pub mod net;
pub mod reviews;
pub mod store;

use assets::views;
use feed::{render, source};
use net::errors::busy;
use net::{connections, http, limits, origins};
use reviews::admin;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use connections::ConnectionLimits;
use limits::{Limits, Rate};
use origins::Origins;
use source::FeedSource;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::ReviewStore;
use tokio::sync::Semaphore;

/// How the server treats the outside world; every field has a safe default.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Browser origins allowed to call the review API.
    pub origins: Origins,
    /// Reviews per client (IPv4 address or IPv6 /64); an IPv6 /48 gets eight times this.
    pub client_rate: Rate,
    /// Reviews for the whole server.
    pub global_rate: Rate,
    /// Our own proxies, whose `X-Forwarded-*` headers are believed.
    pub proxies: net::proxies::Proxies,
    /// The bearer token of the admin routes; without one they are off.
    pub admin_token: Option<String>,
    /// Requests other than reviews handled at once; more get a quick 503.
    pub max_inflight: usize,
    /// Reviews being received or stored at once, from a pool of their own; more get a
    /// quick 503, and the feed and the assets never notice.
    pub review_inflight: usize,
    /// Console requests at once (its pages and forms), from a pool of their own, so that
    /// slow forms sent by anyone, signed in or not, cannot use up what the feed needs.
    pub console_inflight: usize,
    /// How long any request body (a review, a console form) may take to arrive in whole,
    /// from its headers.
    pub body_timeout: Duration,
    /// Open connections, header and stall timeouts.
    pub connections: ConnectionLimits,
    /// The render cache's bounds and each client's budget of uncached renders.
    pub renders: render::RenderLimits,
    /// Where readers reach this server (`--public-url`): every absolute URL the server
    /// writes names it, and none comes from a request's headers.
    pub public_url: Option<String>,
}

impl Policy {
    /// The policy the command line asks for; the limits' defaults live in
    /// [`cli::Options`] only. `origins` and `admin_token` come checked from `cli`.
    pub fn from_options(
        options: &cli::Options,
        origins: Origins,
        admin_token: Option<String>,
    ) -> Self {
        let proxies =
            net::proxies::Proxies::from_flags(options.trust_proxy, options.trusted_proxies.clone());
        Policy {
            origins,
            client_rate: Rate::per_minute(options.client_rate),
            global_rate: Rate::per_second(options.global_rate),
            proxies: proxies.clone(),
            admin_token,
            max_inflight: options.max_inflight,
            review_inflight: options.review_inflight,
            console_inflight: options.console_inflight,
            body_timeout: Duration::from_secs(options.body_timeout),
            connections: ConnectionLimits {
                max_connections: options.max_connections,
                per_client: options.max_connections_per_client,
                proxies,
                first_header_timeout: Duration::from_secs(options.first_header_timeout),
                header_timeout: Duration::from_secs(options.header_timeout),
                stall_timeout: Duration::from_secs(options.body_timeout.saturating_mul(3)),
                public: true,
            },
            renders: render::RenderLimits {
                per_client: Rate::per_minute(options.render_rate),
                ..render::RenderLimits::default()
            },
            public_url: options.public_url.clone(),
        }
    }
}

/// An empty command line's policy: loopback pages only, no console.
impl Default for Policy {
    fn default() -> Self {
        Policy::from_options(&cli::Options::default(), Origins::new(Vec::new()), None)
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The feed, converted to JSON Feed, as last read successfully.
    pub feed: Arc<FeedSource>,
    /// The folder with `index.html` and the built widget under `newswire/`.
    pub www: Arc<PathBuf>,
    pub store: Arc<dyn ReviewStore>,
    pub policy: Arc<Policy>,
    pub limits: Arc<Limits>,
    /// Failed admin sign-ins, per client.
    pub admin_failures: Arc<Limits>,
    /// Console sign-ins, per client, counted before the token is compared.
    pub sign_ins: Arc<Limits>,
    /// Where the widget is shown: requests per partner origin and day.
    pub views: Arc<views::Counter>,
    /// The widget rendered for partner pages, cached.
    pub renders: Arc<render::Renders>,
    inflight: Arc<Semaphore>,
    review_permits: Arc<Semaphore>,
    console_permits: Arc<Semaphore>,
    sign_in_permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(
        feed: FeedSource,
        www: PathBuf,
        store: Arc<dyn ReviewStore>,
        policy: Policy,
    ) -> Self {
        AppState {
            feed: Arc::new(feed),
            www: Arc::new(www),
            store,
            limits: Arc::new(Limits::new(policy.client_rate, policy.global_rate)),
            admin_failures: Arc::new(Limits::new(
                admin::FAILURES_PER_MINUTE,
                Rate::per_second(1000),
            )),
            sign_ins: Arc::new(Limits::new(
                console::SIGN_INS_PER_MINUTE,
                Rate::per_second(1000),
            )),
            views: Arc::new(views::Counter::new(policy.origins.clone())),
            renders: Arc::new(render::Renders::new(policy.renders)),
            inflight: Arc::new(Semaphore::new(policy.max_inflight)),
            review_permits: Arc::new(Semaphore::new(policy.review_inflight.max(1))),
            console_permits: Arc::new(Semaphore::new(policy.console_inflight.max(1))),
            sign_in_permits: Arc::new(Semaphore::new(console::SIGN_IN_INFLIGHT)),
            policy: Arc::new(policy),
        }
    }
}

impl AppState {
    /// One of the general request permits, if one is free: what [`shed_load`] takes for
    /// every public route but the renders.
    fn general_permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.inflight.clone().try_acquire_owned().ok()
    }

    /// The request permits in use now, pool by pool, for the metrics.
    pub fn permits_in_use(&self) -> [(&'static str, usize); 5] {
        let used = |pool: &Semaphore, max: usize| max.saturating_sub(pool.available_permits());
        [
            ("general", used(&self.inflight, self.policy.max_inflight)),
            (
                "reviews",
                used(&self.review_permits, self.policy.review_inflight.max(1)),
            ),
            (
                "console",
                used(&self.console_permits, self.policy.console_inflight.max(1)),
            ),
            (
                "sign_in",
                used(&self.sign_in_permits, console::SIGN_IN_INFLIGHT),
            ),
            ("renders", self.renders.permits_in_use()),
        ]
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let shed = axum::middleware::from_fn_with_state(state.clone(), shed_load);
    // The console draws on its own permits: its forms read bodies, and anyone may send one.
    let console = console::router().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        console_permits,
    ));
    let partners = axum::middleware::from_fn_with_state(state.clone(), partner_origins);
    // Reviews draw on their own permits; everything else shares the general ones.
    let reviews = post(reviews::create)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            review_permits,
        ))
        .merge(get(admin::list).layer(shed.clone()))
        .options(reviews::preflight)
        .fallback(reviews::method_not_allowed);
    let api = Router::new()
        .route("/api/reviews", reviews)
        .merge(
            Router::new()
                .route("/api/reviews/summary", get(reviews::summary))
                .route("/api/reviews/{id}/hide", post(admin::hide))
                .route("/api/reviews/{id}/show", post(admin::show))
                .layer(shed.clone()),
        )
        .layer(partners);
    // Renders take no general permit: a cached one is answered from memory, an uncached
    // one is admitted by its client's budget and slots and the render permits (render.rs),
    // so that renders waiting their turn never hold what the feed and the files need.
    let renders = Router::new()
        .route("/newswire/render", get(render::render))
        .route("/newswire/include", get(render::include));
    let public = Router::new()
        .route("/feed.json", get(feed::get_feed).options(feed::preflight))
        .nest_service(
            "/newswire/v",
            assets::releases(&state.www, state.views.clone()),
        )
        .nest_service("/newswire", assets::widget(&state.www, state.views.clone()))
        .route_service("/configurator", assets::configurator(&state.www))
        .fallback_service(assets::pages(&state.www))
        .layer(shed)
        .merge(renders);
    // Probes: outside every pool and count, so that a busy replica still says it is alive.
    let probes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    let all = public
        .merge(console)
        .merge(api)
        .merge(probes)
        .layer(axum::middleware::map_response(http::nosniff));
    net::log::layer(all).with_state(state)
}

/// The review API answers CORS only for the allowed partner origins.
async fn partner_origins(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match origins::check(&state.policy.origins, request.headers()) {
        Err(refused) => {
            if request.method() == axum::http::Method::POST
                && request.uri().path() == "/api/reviews"
            {
                net::metrics::metrics().refused("origin");
            }
            refused.into_response()
        }
        Ok(origin) => {
            let mut response = next.run(request).await;
            origins::allow(&mut response, origin);
            response
        }
    }
}

/// Beyond `max_inflight` requests at once, answer 503 at once rather than queue forever.
async fn shed_load(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.general_permit() {
        Some(_permit) => next.run(request).await,
        None => busy(),
    }
}

/// The same for reviews, from their own pool: clients that hold reviews open (slowly, or
/// never finishing their bodies) run out of these permits, not of the feed's.
async fn review_permits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.review_permits.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            net::metrics::metrics().refused("busy");
            busy()
        }
    }
}

/// The same for the console's pages and forms. Sign-ins, which anyone may send, have a
/// small pool of their own, so that strangers holding sign-in forms open never use up what
/// signed-in editors need.
async fn console_permits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let pool = if request.uri().path() == "/admin/sign-in" {
        &state.sign_in_permits
    } else {
        &state.console_permits
    };
    match pool.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => busy(),
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the requests in
/// flight for at most [`connections::SHUTDOWN_DEADLINE`] and drops the rest, within the
/// policy's connection limits. The caller then flushes what it holds (view counts, the
/// review writer's last batch): every review already answered is committed by then.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.policy.connections.clone();
    connections::serve(listener, router(state), limits, shutdown).await
}
