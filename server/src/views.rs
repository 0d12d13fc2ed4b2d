//! Where the widget is shown: requests for the feed and for the rendered widget, counted per
//! partner origin and per UTC day from the `Origin` header that browsers send with
//! cross-origin requests. No cookie is set for this, no address is kept, and nothing could
//! identify a reader: the only key is the page's origin.
//!
//! Counts gather in memory and go to the store every [`FLUSH`] (and at shutdown), so that a
//! busy feed costs no database write per request. A request without an `Origin` (a
//! same-origin page, a server, a CDN revalidating) is not counted. Anyone can send any
//! `Origin`, so each replica counts at most [`MAX_ORIGINS`] origins a day by name, and the
//! rest together as [`OTHER`]: made-up origins cannot grow the table without bound.
//!
//! "Widget" counts the requests for the widget's code (its wasm), which browsers send with an
//! `Origin`: one for each page that starts the widget without the wasm in its cache.

use crate::store::{ReviewStore, Views};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the counts go to the store.
pub const FLUSH: Duration = Duration::from_secs(10);
/// Origins counted by name per replica and day.
pub const MAX_ORIGINS: usize = 1000;
/// Where the origins past [`MAX_ORIGINS`] are counted.
pub const OTHER: &str = "(other origins)";

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
    /// The day, and the origins counted by name on it.
    named: Mutex<(i64, std::collections::HashSet<String>)>,
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
        let origin = {
            let mut named = self.named.lock().unwrap_or_else(|p| p.into_inner());
            if named.0 != day {
                *named = (day, Default::default());
            }
            if named.1.contains(&origin) || named.1.len() < MAX_ORIGINS {
                named.1.insert(origin.clone());
                origin
            } else {
                OTHER.to_owned()
            }
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
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
        let mut at: HashMap<(String, i64), usize> = stored
            .iter()
            .enumerate()
            .map(|(n, v)| ((v.origin.clone(), v.day), n))
            .collect();
        for ((origin, day), (feed, widget)) in pending.iter().filter(|((_, d), _)| *d >= since_day)
        {
            match at.get(&(origin.clone(), *day)) {
                Some(&n) => {
                    stored[n].feed += feed;
                    stored[n].widget += widget;
                }
                None => {
                    at.insert((origin.clone(), *day), stored.len());
                    stored.push(Views {
                        origin: origin.clone(),
                        day: *day,
                        feed: *feed,
                        widget: *widget,
                    });
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn from(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        headers
    }

    #[test]
    fn origins_are_counted_by_name_up_to_the_cap_and_the_rest_together() {
        let counter = Counter::default();
        counter.record(&from("https://Partner.example"), Asked::Feed);
        counter.record(&from("https://partner.example"), Asked::Widget);
        counter.record(&HeaderMap::new(), Asked::Feed);
        counter.record(&from("null"), Asked::Feed);
        for n in 0..MAX_ORIGINS + 50 {
            counter.record(&from(&format!("https://made-up-{n}.example")), Asked::Feed);
        }
        let today = crate::store::now().div_euclid(86_400);
        let views = counter.merged(Vec::new(), today);
        let partner = views
            .iter()
            .find(|v| v.origin == "https://partner.example")
            .unwrap();
        assert_eq!((partner.feed, partner.widget), (1, 1));
        let other = views.iter().find(|v| v.origin == OTHER).unwrap();
        assert_eq!(other.feed, 51, "the origins past the cap, together");
        assert_eq!(views.len(), MAX_ORIGINS + 1);
    }
}
