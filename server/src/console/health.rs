//! `/admin/health`: the feed source's health and the partner allow-list.

use super::*;

#[derive(Template)]
#[template(path = "console/health.html")]
pub(super) struct HealthPage {
    pub(super) nav: Nav,
    pub(super) health: crate::feed::source::Health,
    pub(super) source_kind: &'static str,
    pub(super) last_good: Option<(String, String)>,
    pub(super) last_error: Option<(String, String, String)>,
    pub(super) next_poll: Option<(String, String)>,
    pub(super) allowed: Option<Vec<String>>,
    /// Loopback pages allowed beside the list.
    pub(super) loopback: bool,
}

/// `GET /admin/health`.
pub(super) async fn health(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
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
