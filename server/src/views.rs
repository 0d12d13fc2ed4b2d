//! Where the widget is shown: requests for the feed and for the rendered widget, counted per
//! partner origin and per UTC day from the `Origin` header that browsers send with
//! cross-origin requests. No cookie is set for this, no address is kept, and nothing could
//! identify a reader: the only key is the page's origin.
//!
//! Counts gather in memory and go to the store every [`FLUSH`] (and at shutdown), so that a
//! busy feed costs no database write per request. A request without an `Origin` (a
//! same-origin page, a server, a CDN revalidating) is not counted.

use crate::store::{ReviewStore, Views};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the counts go to the store.
pub const FLUSH: Duration = Duration::from_secs(10);
/// Distinct (origin, day) pairs held between flushes at most: a client that makes up a new
/// `Origin` for each request must not fill the memory.
const MAX_PENDING: usize = 10_000;

/// What was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Feed,
    Widget,
}

/// The counts since the last flush.
#[derive(Default)]
pub struct Counter {
    pending: Mutex<HashMap<(String, i64), (i64, i64)>>,
}

impl Counter {
    /// Counts one request, if it carries a usable `Origin`.
    pub fn record(&self, headers: &HeaderMap, asked: Asked) {
        let Some(origin) = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(crate::store::origin_of)
            .filter(|o| !o.is_empty() && o.len() <= 200)
        else {
            return;
        };
        let day = crate::store::now().div_euclid(86_400);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.len() >= MAX_PENDING && !pending.contains_key(&(origin.clone(), day)) {
            return;
        }
        let counts = pending.entry((origin, day)).or_default();
        match asked {
            Asked::Feed => counts.0 += 1,
            Asked::Widget => counts.1 += 1,
        }
    }

    /// Hands the counts so far to `store`; on failure they are kept for the next flush.
    pub async fn flush(&self, store: &dyn ReviewStore) {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.is_empty() {
            return;
        }
        let views: Vec<Views> = taken
            .iter()
            .map(|((origin, day), (feed, widget))| Views {
                origin: origin.clone(),
                day: *day,
                feed: *feed,
                widget: *widget,
            })
            .collect();
        if let Err(err) = store.add_views(views).await {
            eprintln!("newswire-server: counting where the widget is shown failed: {err}");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (key, (feed, widget)) in taken {
                let counts = pending.entry(key).or_default();
                counts.0 += feed;
                counts.1 += widget;
            }
        }
    }

    /// `stored` (newest day first) with this replica's counts that have not reached the store
    /// yet, from `since_day`: what the console shows is current.
    pub fn merged(&self, mut stored: Vec<Views>, since_day: i64) -> Vec<Views> {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for ((origin, day), (feed, widget)) in pending.iter().filter(|((_, d), _)| *d >= since_day)
        {
            match stored
                .iter_mut()
                .find(|v| &v.origin == origin && v.day == *day)
            {
                Some(v) => {
                    v.feed += feed;
                    v.widget += widget;
                }
                None => stored.push(Views {
                    origin: origin.clone(),
                    day: *day,
                    feed: *feed,
                    widget: *widget,
                }),
            }
        }
        stored.sort_by(|a, b| {
            (b.day, b.feed + b.widget, &a.origin).cmp(&(a.day, a.feed + a.widget, &b.origin))
        });
        stored
    }

    /// Flushes every [`FLUSH`], for as long as the server runs.
    pub async fn run(self: Arc<Self>, store: Arc<dyn ReviewStore>) {
        loop {
            tokio::time::sleep(FLUSH).await;
            self.flush(&*store).await;
        }
    }
}
