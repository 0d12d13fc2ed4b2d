//! newswire-server: the publisher's side of Newswire.
//!
//! One axum router serves four things: the feed (`feed`), the built widget and the demo
//! pages (`assets`), and the review API (`reviews`), which validates each review and hands
//! it to the SQLite `store`. `cli` reads the command line; `main.rs` only wires them up.

pub mod assets;
pub mod cli;
pub mod feed;
pub mod http;
pub mod reviews;
pub mod store;

use axum::routing::{get, post};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The JSON Feed file, read on each request so that edits show at once.
    pub feed: Arc<PathBuf>,
    /// The folder with `index.html` and the built widget under `newswire/`.
    pub www: Arc<PathBuf>,
    pub store: Arc<Store>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/api/reviews",
            post(reviews::create)
                .options(reviews::preflight)
                .fallback(reviews::method_not_allowed),
        )
        .route("/api/reviews/summary", get(reviews::summary))
        .layer(axum::middleware::map_response(reviews::allow_any_origin));
    Router::new()
        .route("/feed.json", get(feed::get_feed).options(feed::preflight))
        .route("/newswire/{*path}", get(assets::widget_asset))
        .merge(api)
        .fallback(get(assets::page))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
