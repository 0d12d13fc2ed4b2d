//! `GET /feed/events`: the feed's revisions as Server-Sent Events, so that an open widget
//! hears of a story within a second of the server accepting it.
//!
//! - Each event's `id:` is its revision. `update` carries what the revision changed (the
//!   items added and changed, the ids removed: [`crate::feed::live`]); `reset` says only the
//!   revision, when the reader is further behind than the updates kept (it fetches the feed
//!   at that revision); `heartbeat` comes at least every [`HEARTBEAT`], with the revision as
//!   its data, so that the page can tell a quiet stream from a dead one.
//! - A reader that comes back sends the revision it last saw, as `Last-Event-ID` (the
//!   browser's own reconnection) or `?since=` (a new `EventSource` cannot set that header),
//!   and gets what it missed first.
//! - `retry:` is a random 2–7 s for each stream, so that the readers of a replica that stops
//!   do not all come back in the same second; when the server stops, every stream ends at
//!   once with a last `retry:`, and the readers resume by revision elsewhere.
//! - Streams take permits of their own (`--max-streams`), never the general ones, and each
//!   holds only the number of the revision it has sent: a stalled reader costs no queue.

use crate::feed::live::Owed;
use crate::state::{AppState, Pool};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

/// The longest a stream goes without an event.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// What one stream has: its place, what it still has to send, and what it waits on.
struct Stream {
    /// The revision it has told the reader of.
    sent: i64,
    /// A new reader that came before the first revision was known: that one is where it
    /// starts, not news to send.
    starting: bool,
    pending: VecDeque<Event>,
    latest: tokio::sync::watch::Receiver<i64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    state: AppState,
    heartbeat: Duration,
    retry: Duration,
    done: bool,
    /// Held for as long as the stream is open.
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Stream {
    /// Queues what the reader is owed since the revision it has.
    fn catch_up(&mut self) {
        if self.starting {
            self.starting = false;
            self.sent = self.state.live.latest();
            return;
        }
        match self.state.live.owed(self.sent) {
            Owed::Nothing => {}
            // More than one large update's worth owed at once: the latest state instead,
            // so that what a stream holds stays bounded whatever it missed.
            Owed::Updates(updates)
                if updates.iter().map(|u| u.data.len()).sum::<usize>()
                    > crate::feed::live::MAX_UPDATE =>
            {
                let latest = updates.last().map_or(self.sent, |u| u.revision);
                self.reset(latest);
            }
            Owed::Updates(updates) => {
                for update in updates {
                    self.pending.push_back(
                        Event::default()
                            .event(update.event)
                            .id(update.revision.to_string())
                            .data(update.data.as_str()),
                    );
                    self.sent = update.revision;
                }
            }
            Owed::Reset(latest) => self.reset(latest),
        }
    }

    /// Tells the reader to fetch the feed at `latest`, in place of anything still queued.
    fn reset(&mut self, latest: i64) {
        self.pending.clear();
        self.pending.push_back(
            Event::default()
                .event("reset")
                .id(latest.to_string())
                .data(crate::feed::live::reset(latest)),
        );
        self.sent = latest;
    }

    /// The next event, waiting for one if there is none yet; `None` once the stream ends.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Stream)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if self.done {
                return None;
            }
            /// What woke the stream.
            enum Woke {
                Revision,
                Closed,
                Stopping,
                Quiet,
            }
            let woke = tokio::select! {
                changed = self.latest.changed() => match changed {
                    Ok(()) => Woke::Revision,
                    Err(_) => Woke::Closed,
                },
                _ = self.stopping.wait_for(|stopping| *stopping) => Woke::Stopping,
                () = tokio::time::sleep(self.heartbeat) => Woke::Quiet,
            };
            match woke {
                Woke::Revision => self.catch_up(),
                Woke::Closed => self.done = true,
                // The last word: come back (elsewhere) after a while of your own.
                Woke::Stopping => {
                    self.pending
                        .push_back(Event::default().retry(self.retry).comment("bye"));
                    self.done = true;
                }
                Woke::Quiet => {
                    let revision = self.state.live.latest();
                    self.pending.push_back(
                        Event::default()
                            .event("heartbeat")
                            .data(format!("{{\"revision\":{revision}}}")),
                    );
                }
            }
        }
    }
}

/// `GET /feed/events`.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(permit) = state.permit(Pool::Streams) else {
        return crate::net::errors::busy();
    };
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(params.get("since").map(String::as_str))
        .and_then(|v| v.trim().parse::<i64>().ok());
    let latest = state.live.watch();
    let stopping = state.live.stopping();
    let mut random = [0u8; 2];
    let _ = getrandom::fill(&mut random);
    let retry = Duration::from_millis(2000 + u64::from(u16::from_be_bytes(random)) % 5000);
    let mut stream = Stream {
        sent: since.unwrap_or_else(|| state.live.latest()),
        starting: since.is_none() && state.live.latest() == 0,
        pending: VecDeque::new(),
        latest,
        stopping,
        heartbeat: state.policy.heartbeat,
        state,
        retry,
        done: false,
        _permit: permit,
    };
    // A reader that says where it was gets what it missed; a new one starts from now.
    stream.latest.mark_unchanged();
    if since.is_some() {
        stream.catch_up();
    }
    // The first word: how long to wait before coming back, this stream's own.
    stream
        .pending
        .push_front(Event::default().retry(retry).comment("newswire"));
    let body = futures_util::stream::unfold(stream, Stream::next);
    let mut response = Sse::new(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    crate::net::http::allow_any_origin(h);
    response
}
