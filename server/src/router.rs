//! The whole HTTP surface: which handler answers each route, and the pools and checks it
//! passes on the way (load shedding, the review and console pools, the partners' origins,
//! `nosniff`, the request log); and the metrics address's one route. The handlers live by
//! what they serve (`feed`, `assets`, `reviews`, `console`, `health`); the state they share
//! in [`crate::state`].

use crate::net::connections;
use crate::net::errors::busy;
use crate::net::http::nosniff;
use crate::net::metrics::metrics;
use crate::net::origins;
use crate::reviews::{self, admin};
use crate::state::{AppState, Pool};
use crate::{assets, console, feed, health};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use feed::render;

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
    // one is admitted by its client's budget and slots and the render permits (`feed::renders`),
    // so that renders waiting their turn never hold what the feed and the files need.
    let renders = Router::new()
        .route("/newswire/render", get(render::render))
        .route("/newswire/include", get(render::include))
        // Streams hold permits of their own for as long as they are open.
        .route("/feed/events", get(feed::events::events));
    let public = Router::new()
        .route(
            "/feed.json",
            get(feed::json::get_feed).options(feed::json::preflight),
        )
        // What the feed's WebSub hub sends: verification of intent, and pushes.
        .route(
            "/websub/{path}",
            get(feed::websub::callback::verify).post(feed::websub::callback::push),
        )
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
        .layer(axum::middleware::map_response(nosniff));
    // Counted in the metrics inside the request's log span.
    let counted = all.layer(axum::middleware::from_fn(crate::net::metrics::record));
    crate::net::log::layer(counted).with_state(state)
}

/// The router of the metrics address: `/metrics` and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .with_state(state)
}

/// The review API answers CORS only for the allowed partner origins.
async fn partner_origins(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match origins::check(&state.policy.origins, request.headers()) {
        Err(refused) => {
            if request.method() == axum::http::Method::POST
                && request.uri().path() == "/api/reviews"
            {
                metrics().refused("origin");
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
    match state.permit(Pool::General) {
        Some(_permit) => next.run(request).await,
        None => busy(),
    }
}

/// The same for reviews, from their own pool: clients that hold reviews open (slowly, or
/// never finishing their bodies) run out of these permits, not of the feed's.
async fn review_permits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.permit(Pool::Reviews) {
        Some(_permit) => next.run(request).await,
        None => {
            metrics().refused("busy");
            busy()
        }
    }
}

/// The same for the console's pages and forms. Sign-ins, which anyone may send, have a
/// small pool of their own, so that strangers holding sign-in forms open never use up what
/// signed-in editors need.
async fn console_permits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let pool = if request.uri().path() == "/admin/sign-in" {
        Pool::SignIn
    } else {
        Pool::Console
    };
    match state.permit(pool) {
        Some(_permit) => next.run(request).await,
        None => busy(),
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
