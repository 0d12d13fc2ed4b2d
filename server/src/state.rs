//! What every handler can reach: the [`Policy`] the command line asked for, and the
//! [`AppState`] built from it once at start (the feed, the store, the limits, the render
//! cache and the request pools). `cli/serve.rs` builds both; the router hands the state to
//! each handler. Nothing here knows a route.

use crate::assets::views;
use crate::feed::live::Live;
use crate::feed::renders::{RenderLimits, Renders};
use crate::feed::source::FeedSource;
use crate::net::connections::ConnectionLimits;
use crate::net::limits::{Limits, Rate};
use crate::net::origins::Origins;
use crate::net::proxies::{Addressed, Proxies};
use newswire_store::ReviewStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Console sign-ins received at once, from a pool apart from the rest of the console's, so
/// that strangers holding sign-in forms open never use up what signed-in editors need.
pub const SIGN_IN_INFLIGHT: usize = 16;
/// Sign-ins a client may try a minute, right or wrong (with a burst of as many).
pub const SIGN_INS_PER_MINUTE: Rate = Rate {
    per_second: 30.0 / 60.0,
    burst: 30.0,
};
/// Failed admin API attempts a client may make a minute.
pub const ADMIN_FAILURES_PER_MINUTE: Rate = Rate {
    per_second: 10.0 / 60.0,
    burst: 10.0,
};

/// How the server treats the outside world. The command line builds it (`cli/serve.rs`,
/// where `Policy::default()`, an empty command line's, is written too).
#[derive(Debug, Clone)]
pub struct Policy {
    /// Browser origins allowed to call the review API.
    pub origins: Origins,
    /// Reviews per client (IPv4 address or IPv6 /64); an IPv6 /48 gets eight times this.
    pub client_rate: Rate,
    /// Reviews for the whole server.
    pub global_rate: Rate,
    /// Our own proxies, whose `X-Forwarded-*` headers are believed.
    pub proxies: Proxies,
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
    pub renders: RenderLimits,
    /// Where readers reach this server (`--public-url`): every absolute URL the server
    /// writes names it, and none comes from a request's headers.
    pub public_url: Option<String>,
    /// Live streams open at once (`--max-streams`), from a pool of their own.
    pub max_streams: usize,
    /// The longest a live stream goes without an event ([`crate::feed::events::HEARTBEAT`]).
    pub heartbeat: Duration,
    /// The shortest WebSub lease kept, in seconds (`--websub-min-lease`).
    pub websub_min_lease: i64,
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
    pub renders: Arc<Renders>,
    /// What each revision of the feed changed, for the live streams.
    pub live: Arc<Live>,
    inflight: Arc<Semaphore>,
    review_permits: Arc<Semaphore>,
    console_permits: Arc<Semaphore>,
    sign_in_permits: Arc<Semaphore>,
    stream_permits: Arc<Semaphore>,
}

impl AppState {
    /// The state for `policy`, serving `feed` (its revisions published to `store`) and the
    /// files under `www`, storing reviews in `store`. Made on a runtime, it starts following
    /// the feed's revisions for the live streams there.
    pub fn new(
        feed: FeedSource,
        www: PathBuf,
        store: Arc<dyn ReviewStore>,
        policy: Policy,
    ) -> Self {
        feed.publish_to(store.clone());
        let live = Live::new();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(live.clone().follow(feed.subscribe()));
        }
        AppState {
            feed: Arc::new(feed),
            live,
            www: Arc::new(www),
            store,
            limits: Arc::new(Limits::new(policy.client_rate, policy.global_rate)),
            admin_failures: Arc::new(Limits::new(
                ADMIN_FAILURES_PER_MINUTE,
                Rate::per_second(1000),
            )),
            sign_ins: Arc::new(Limits::new(SIGN_INS_PER_MINUTE, Rate::per_second(1000))),
            views: Arc::new(views::Counter::new(policy.origins.clone())),
            renders: Arc::new(Renders::new(policy.renders)),
            inflight: Arc::new(Semaphore::new(policy.max_inflight)),
            review_permits: Arc::new(Semaphore::new(policy.review_inflight.max(1))),
            console_permits: Arc::new(Semaphore::new(policy.console_inflight.max(1))),
            sign_in_permits: Arc::new(Semaphore::new(SIGN_IN_INFLIGHT)),
            stream_permits: Arc::new(Semaphore::new(policy.max_streams.max(1))),
            policy: Arc::new(policy),
        }
    }
}

/// The pools of request permits: each kind of request draws on its own, so that clients
/// holding one kind open never use up what another needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// The feed, the files and the pages (`--max-inflight`); not the renders, which have
    /// permits of their own (`feed::renders`).
    General,
    /// Reviews being received or stored (`--review-inflight`).
    Reviews,
    /// The console's pages and forms (`--console-inflight`).
    Console,
    /// Console sign-ins, which anyone may send ([`SIGN_IN_INFLIGHT`]).
    SignIn,
    /// Live streams (`--max-streams`), held for as long as each is open.
    Streams,
}

impl AppState {
    /// A permit from `pool`, if one is free.
    pub fn permit(&self, pool: Pool) -> Option<OwnedSemaphorePermit> {
        let semaphore = match pool {
            Pool::General => &self.inflight,
            Pool::Reviews => &self.review_permits,
            Pool::Console => &self.console_permits,
            Pool::SignIn => &self.sign_in_permits,
            Pool::Streams => &self.stream_permits,
        };
        semaphore.clone().try_acquire_owned().ok()
    }

    /// The request permits in use now, pool by pool, for the metrics.
    pub fn permits_in_use(&self) -> [(&'static str, usize); 6] {
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
            ("sign_in", used(&self.sign_in_permits, SIGN_IN_INFLIGHT)),
            ("renders", self.renders.permits_in_use()),
            (
                "streams",
                used(&self.stream_permits, self.policy.max_streams.max(1)),
            ),
        ]
    }
}

/// How a request addresses this server, for the handlers that take it: the include's links,
/// the console's same-origin check and its cookie's `Secure`.
impl axum::extract::FromRequestParts<AppState> for Addressed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Without the connection's address (never so behind our accept loop), nobody is
        // taken for a proxy.
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        Ok(state.policy.proxies.addressed(peer, &parts.headers))
    }
}
