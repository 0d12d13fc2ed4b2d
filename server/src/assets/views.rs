//! Where the widget is shown: requests for the feed and for the rendered widget, counted per
//! partner origin and per UTC day from the `Origin` header that browsers send with
//! cross-origin requests. No cookie is set for this, no address is kept, and nothing could
//! identify a reader: the only key is the page's origin.
//!
//! Counts gather in memory and go to the store every [`FLUSH`] (and at shutdown), so that a
//! busy feed costs no database write per request. A request without an `Origin` (a
//! same-origin page, a server, a CDN revalidating) is not counted. Anyone can send any
//! `Origin`, so an origin is named only if the review API would accept it (on the
//! allow-list, or loopback where loopback is allowed): a made-up origin is never a name an
//! editor reads, and all of them together are one row, [`OTHER`]. Every partner on the
//! allow-list is always named; loopback pages, which may use any port, are named up to
//! [`MAX_LOOPBACK`] a day per replica, so that they can never push a partner out. The console
//! reads each day on its own, so that today cannot push out the days before.
//!
//! "Widget" counts the requests for the widget's code (its wasm), which browsers send with an
//! `Origin`: one for each page that starts the widget without the wasm in its cache.

use crate::net::origins::Origins;
use axum::http::{header, HeaderMap};
use newswire_store::{ReviewStore, Views};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the counts go to the store.
pub const FLUSH: Duration = Duration::from_secs(10);
/// Loopback origins (one per port) counted by name per replica and day.
pub const MAX_LOOPBACK: usize = 100;
/// Where the origins that are not named are counted: those the review API would not accept,
/// and loopback ones past [`MAX_LOOPBACK`].
pub const OTHER: &str = "(other origins)";

/// What was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Feed,
    /// The widget's code (its wasm): the widget started on the page.
    Widget,
    /// The widget rendered by the server for the page (`/newswire/render`).
    Rendered,
}

/// The counts since the last flush.
pub struct Counter {
    /// The origins that may be named.
    origins: Origins,
    pending: Mutex<HashMap<(String, i64), Views>>,
    /// The day, and the loopback origins counted by name on it.
    named: Mutex<(i64, std::collections::HashSet<String>)>,
}

/// `more`'s counts added to `into`'s.
fn add(into: &mut Views, more: &Views) {
    into.feed += more.feed;
    into.widget += more.widget;
    into.rendered += more.rendered;
}

impl Counter {
    /// A counter that names only what `origins` allows.
    pub fn new(origins: Origins) -> Self {
        Counter {
            origins,
            pending: Mutex::default(),
            named: Mutex::default(),
        }
    }

    /// Counts one request, if it carries a usable `Origin`.
    pub fn record(&self, headers: &HeaderMap, asked: Asked) {
        let Some(origin) = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(newswire_store::origin_of)
            .filter(|o| !o.is_empty() && o.len() <= 200)
        else {
            return;
        };
        let day = newswire_store::now().div_euclid(86_400);
        let origin = if self.origins.names(&origin) {
            origin
        } else if !self.origins.allows(&origin) {
            OTHER.to_owned()
        } else {
            // A loopback page: named while there are not too many today.
            let mut named = self.named.lock().unwrap_or_else(|p| p.into_inner());
            if named.0 != day {
                *named = (day, Default::default());
            }
            if named.1.contains(&origin) || named.1.len() < MAX_LOOPBACK {
                named.1.insert(origin.clone());
                origin
            } else {
                OTHER.to_owned()
            }
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let counts = pending
            .entry((origin.clone(), day))
            .or_insert_with(|| Views::none(origin, day));
        match asked {
            Asked::Feed => counts.feed += 1,
            Asked::Widget => counts.widget += 1,
            Asked::Rendered => counts.rendered += 1,
        }
    }

    /// Hands the counts so far to `store`; on failure they are kept for the next flush.
    pub async fn flush(&self, store: &dyn ReviewStore) {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.is_empty() {
            return;
        }
        let views: Vec<Views> = taken.values().cloned().collect();
        if let Err(err) = store.add_views(views).await {
            tracing::warn!(error = %err, "counting where the widget is shown failed");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (key, counts) in taken {
                let kept = pending
                    .entry(key)
                    .or_insert_with(|| Views::none(counts.origin.clone(), counts.day));
                add(kept, &counts);
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
        for (key, counts) in pending.iter().filter(|((_, d), _)| *d >= since_day) {
            match at.get(key) {
                Some(&n) => add(&mut stored[n], counts),
                None => {
                    at.insert(key.clone(), stored.len());
                    stored.push(counts.clone());
                }
            }
        }
        stored.sort_by(|a, b| (b.day, b.total(), &a.origin).cmp(&(a.day, a.total(), &b.origin)));
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
        // Loopback allowed: any port may be named, up to the cap.
        let counter =
            Counter::new(Origins::new(vec!["https://partner.example".into()]).with_loopback(true));
        counter.record(&from("https://Partner.example"), Asked::Feed);
        counter.record(&from("https://partner.example"), Asked::Widget);
        counter.record(&HeaderMap::new(), Asked::Feed);
        counter.record(&from("null"), Asked::Feed);
        for n in 0..MAX_LOOPBACK + 50 {
            counter.record(
                &from(&format!("http://127.0.0.1:{}", 1000 + n)),
                Asked::Feed,
            );
        }
        // A partner seen only after the loopback pages is named all the same.
        counter.record(&from("https://partner.example"), Asked::Feed);
        let today = newswire_store::now().div_euclid(86_400);
        let views = counter.merged(Vec::new(), today);
        let partner = views
            .iter()
            .find(|v| v.origin == "https://partner.example")
            .unwrap();
        assert_eq!((partner.feed, partner.widget, partner.rendered), (2, 1, 0));
        let other = views.iter().find(|v| v.origin == OTHER).unwrap();
        assert_eq!(other.feed, 50, "the loopback pages past the cap, together");
        assert_eq!(views.len(), MAX_LOOPBACK + 2);
    }

    #[test]
    fn made_up_origins_are_one_unnamed_row_and_never_push_out_a_partner() {
        // Assemble: two partners on the allow-list; loopback not allowed.
        let counter = Counter::new(Origins::new(vec![
            "https://gazette.example".into(),
            "https://radio.example".into(),
        ]));
        counter.record(&from("https://gazette.example"), Asked::Feed);
        // Action: 1,000 made-up origins, one of them with a message for editors, then a
        // partner that arrives after the attack.
        for n in 0..1000 {
            counter.record(
                &from(&format!("https://claim-your-refund-at-evil{n}.example")),
                Asked::Feed,
            );
        }
        counter.record(&from("https://radio.example"), Asked::Widget);
        // Assert: both partners by name, the rest as one row, and no made-up name anywhere.
        let today = newswire_store::now().div_euclid(86_400);
        let views = counter.merged(Vec::new(), today);
        let names: Vec<&str> = views.iter().map(|v| v.origin.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&"https://gazette.example"));
        assert!(names.contains(&"https://radio.example"));
        let other = views.iter().find(|v| v.origin == OTHER).unwrap();
        assert_eq!(other.feed, 1000);
        assert!(!names.iter().any(|n| n.contains("evil")));
    }
}
