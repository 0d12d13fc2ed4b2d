//! What changed, revision by revision: the live stream's side of the feed. [`Live`] follows
//! the served copy ([`FeedSource::subscribe`](crate::feed::source::FeedSource::subscribe)),
//! works out what each new revision added, changed and removed, and keeps the last
//! [`UPDATES_KEPT`] of those, so that a reader who comes back with the revision it last saw
//! gets what it missed, or, when that is older than what is kept, a `reset` to fetch the feed
//! at the latest revision. Streams ([`crate::feed::events`]) wait on the latest revision
//! through a `watch`, so a stalled reader costs one number, never a queue.

use crate::feed::source::Served;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Updates kept for readers who come back.
pub const UPDATES_KEPT: usize = 64;
/// The largest change sent as it is; a larger one (a feed rewritten) is sent as a `reset`,
/// so that the updates kept stay under 64 × 64 KiB whatever the feed.
pub const MAX_UPDATE: usize = 64 * 1024;

/// One revision's change, ready to send: `{"revision", "since", "added", "changed",
/// "removed"}` (the items as the feed has them, and the ids removed).
#[derive(Debug)]
pub struct Update {
    pub revision: i64,
    /// The revision it changes.
    pub since: i64,
    /// `update`, or `reset` for a change too large to send.
    pub event: &'static str,
    pub data: String,
}

impl Update {
    /// The change from `since` to `revision`, as an `update`, or as a `reset` (the revision
    /// alone) when it is larger than [`MAX_UPDATE`].
    fn new(since: i64, revision: i64, data: String) -> Update {
        let (event, data) = if data.len() > MAX_UPDATE {
            ("reset", reset(revision))
        } else {
            ("update", data)
        };
        Update {
            revision,
            since,
            event,
            data,
        }
    }
}

/// A `reset` event's data: fetch the feed at this revision.
pub fn reset(revision: i64) -> String {
    format!("{{\"revision\":{revision}}}")
}

/// What a reader that last saw a revision is owed.
#[derive(Debug, Clone, PartialEq)]
pub enum Owed {
    /// Nothing: it has the latest.
    Nothing,
    /// These updates, in order.
    Updates(Vec<Arc<Update>>),
    /// Its revision is older than what is kept (or unknown): fetch the feed at this one.
    Reset(i64),
}

impl PartialEq for Update {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
    }
}

/// The changes revision by revision, and the latest one.
pub struct Live {
    latest: watch::Sender<i64>,
    updates: Mutex<VecDeque<Arc<Update>>>,
    /// Set when the server stops: every stream ends.
    stopping: watch::Sender<bool>,
}

impl Live {
    pub fn new() -> Arc<Live> {
        Arc::new(Live {
            latest: watch::Sender::new(0),
            updates: Mutex::new(VecDeque::new()),
            stopping: watch::Sender::new(false),
        })
    }

    /// Follows the served copy for as long as it is served: each new revision becomes an
    /// update. (A revision skipped while this was busy is folded into the next.)
    pub async fn follow(self: Arc<Self>, mut feed: watch::Receiver<Option<Served>>) {
        let mut last: Option<(i64, Vec<Value>)> = None;
        loop {
            let served = feed.borrow_and_update().clone();
            if let Some(served) = served {
                let items = tokio::task::spawn_blocking(move || items_of(&served.body))
                    .await
                    .unwrap_or_default();
                if let Some((since, before)) = &last {
                    let data = change(*since, served.revision, before, &items);
                    self.push(Update::new(*since, served.revision, data));
                } else {
                    self.latest.send_replace(served.revision);
                }
                last = Some((served.revision, items));
            }
            if feed.changed().await.is_err() {
                return;
            }
        }
    }

    fn push(&self, update: Update) {
        let revision = update.revision;
        {
            let mut updates = self.updates.lock().unwrap_or_else(|p| p.into_inner());
            if updates.len() == UPDATES_KEPT {
                updates.pop_front();
            }
            updates.push_back(Arc::new(update));
        }
        self.latest.send_replace(revision);
    }

    /// The latest revision (0 before the first feed).
    pub fn latest(&self) -> i64 {
        *self.latest.borrow()
    }

    /// Waits on the latest revision.
    pub fn watch(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// What a reader that last saw `since` is owed now.
    pub fn owed(&self, since: i64) -> Owed {
        let latest = self.latest();
        if since == latest {
            return Owed::Nothing;
        }
        let updates = self.updates.lock().unwrap_or_else(|p| p.into_inner());
        let Some(first) = updates.iter().position(|u| u.since == since) else {
            return Owed::Reset(latest);
        };
        Owed::Updates(updates.iter().skip(first).cloned().collect())
    }

    /// Ends every stream: the server is stopping.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Waits until the server stops.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }
}

/// The items of a served feed (JSON Feed bytes).
fn items_of(body: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|feed| feed.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// The change from `before` to `after` (items by their ids), as an update's JSON.
fn change(since: i64, revision: i64, before: &[Value], after: &[Value]) -> String {
    let id = |item: &Value| match item.get("id") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let old: HashMap<String, &Value> = before.iter().filter_map(|i| Some((id(i)?, i))).collect();
    let mut seen = std::collections::HashSet::new();
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    for item in after {
        let Some(key) = id(item) else { continue };
        match old.get(&key) {
            None => added.push(item.clone()),
            Some(was) if *was != item => changed.push(item.clone()),
            Some(_) => {}
        }
        seen.insert(key);
    }
    let removed: Vec<Value> = old
        .keys()
        .filter(|key| !seen.contains(*key))
        .map(|key| Value::String(key.clone()))
        .collect();
    let mut data = Map::new();
    data.insert("revision".into(), json!(revision));
    data.insert("since".into(), json!(since));
    data.insert("added".into(), Value::Array(added));
    data.insert("changed".into(), Value::Array(changed));
    data.insert("removed".into(), Value::Array(removed));
    Value::Object(data).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_what_was_added_changed_and_removed() {
        let before = [
            json!({"id": "a", "title": "A"}),
            json!({"id": "b", "title": "B"}),
        ];
        let after = [
            json!({"id": "b", "title": "B, corrected"}),
            json!({"id": "c", "title": "C"}),
        ];
        let data: Value = serde_json::from_str(&change(3, 4, &before, &after)).unwrap();
        assert_eq!(data["revision"], 4);
        assert_eq!(data["since"], 3);
        assert_eq!(data["added"], json!([{"id": "c", "title": "C"}]));
        assert_eq!(
            data["changed"],
            json!([{"id": "b", "title": "B, corrected"}])
        );
        assert_eq!(data["removed"], json!(["a"]));
    }

    #[test]
    fn a_reader_gets_what_it_missed_or_a_reset_when_it_is_older_than_what_is_kept() {
        let live = Live::new();
        live.latest.send_replace(1);
        for revision in 2..=(UPDATES_KEPT as i64 + 3) {
            live.push(Update::new(revision - 1, revision, String::new()));
        }
        let latest = live.latest();
        assert_eq!(live.owed(latest), Owed::Nothing);
        let Owed::Updates(missed) = live.owed(latest - 3) else {
            panic!("the last three")
        };
        assert_eq!(
            missed.iter().map(|u| u.revision).collect::<Vec<_>>(),
            [latest - 2, latest - 1, latest]
        );
        assert_eq!(live.owed(1), Owed::Reset(latest), "older than what is kept");
        assert_eq!(live.owed(latest + 5), Owed::Reset(latest), "unknown");
    }

    #[test]
    fn a_change_too_large_to_send_is_a_reset() {
        let small = Update::new(1, 2, "x".repeat(MAX_UPDATE));
        assert_eq!((small.event, small.data.len()), ("update", MAX_UPDATE));
        let large = Update::new(1, 2, "x".repeat(MAX_UPDATE + 1));
        assert_eq!(
            (large.event, large.data.as_str()),
            ("reset", "{\"revision\":2}")
        );
    }
}
