//! The renders of the widget kept, and what an uncached one costs a client.
//!
//! Renders are cached per feed version and normalised attributes ([`Key`]): the language is
//! the one the widget speaks and the `Intl` tag it dates with (`Config::locale`), not the
//! raw tags, so readers in the thirty locales we have no words for share one English
//! render. The cache holds at most [`CACHE_ENTRIES`] renders and [`CACHE_BYTES`] bytes,
//! least recently used first out, and never a render over [`MAX_CACHED`]: the key holds free
//! text (`title`, cut to 200 characters by `Config`), so a stranger choosing titles only
//! churns the cache, and the feed's links are bounded by the model (`MAX_LINK`).
//!
//! A render that is not cached costs CPU, so it is admitted ([`Renders::admit`]) in three
//! steps of its own, none of which holds one of the general request permits (those are for
//! the feed, the files and the pages): the client's budget of uncached renders
//! ([`RenderLimits::per_client`], per IPv4 address or IPv6 /64, with the /48 total the
//! review limits use), at most [`RENDERS_PER_CLIENT`] of the client's own waiting or
//! running, then one of the render permits, one a core, handed out in turn by client (an
//! IPv4 address or an IPv6 /48) and waited for at most [`RENDER_WAIT`]. One client flooding
//! fresh titles therefore spends its own budget and slots and waits its own turns, and every
//! other client's requests, cached or not, go on being answered.

use crate::net::limits::{bucket_key, network_key, Counted, Limits, PerClient, Rate};
use axum::body::Bytes;
use std::collections::VecDeque;
use std::io::Write;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Renders kept.
pub const CACHE_ENTRIES: usize = 512;
/// The bytes the kept renders may weigh in all (their HTML, its encodings and their keys).
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;
/// A render heavier than this is sent but never kept. The demo's render is about 8 KB of
/// HTML; the heaviest a feed can make (12 headlines and 50 briefs, each with the longest
/// title, text and links, among 500 items) 498 KB, which with its encodings weighs at most
/// 1.5 MB here.
pub const MAX_CACHED: usize = 2 * 1024 * 1024;
/// How long an uncached render waits for a render permit before it is told to come back.
/// It holds no general permit meanwhile, only its connection.
pub const RENDER_WAIT: Duration = Duration::from_secs(1);
/// Uncached renders one client may have waiting or running at once (eight times this per
/// IPv6 /48): a page with a few differently configured widgets asks for a few at once.
pub const RENDERS_PER_CLIENT: usize = 4;
/// What a render depends on, normalised: two requests that differ only in spelling share
/// one render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub feed: String,
    pub theme: &'static str,
    pub category: String,
    pub max_briefs: usize,
    /// The language spoken and the tag dates are formatted with ([`Config::locale`]).
    pub locale: (&'static str, String),
    /// For the include: the `lang` attribute its element carries.
    pub lang_attribute: Option<String>,
    pub sections: &'static str,
    pub heading_level: u8,
    pub title: Option<String>,
    /// Whether the rating line is shown (it holds its place even before a review exists).
    pub show_rating: bool,
    /// The summary rendered, `(count, rating sum)`, when `show-rating` is on.
    pub rating: Option<(i64, i64)>,
    pub time_zone: Option<String>,
    /// For the include: this server's public address, which its links name.
    pub include: Option<String>,
}

impl Key {
    /// What the key itself weighs in the cache, roughly: its text.
    fn bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        std::mem::size_of::<Key>()
            + self.feed.len()
            + self.category.len()
            + self.locale.1.len()
            + text(&self.lang_attribute)
            + text(&self.title)
            + text(&self.time_zone)
            + text(&self.include)
    }
}

/// One render, ready to send in any encoding: brotli made with it (every browser asks for
/// it over https), gzip only when a client first asks for it.
pub struct Rendered {
    pub html: Bytes,
    pub br: Bytes,
    gzip: OnceLock<Bytes>,
    pub etag: String,
}

impl Rendered {
    /// The gzip encoding, made the first time it is asked for.
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            let _ = gzip.write_all(&self.html);
            Bytes::from(gzip.finish().unwrap_or_default())
        })
    }

    /// What it may come to weigh: its HTML, brotli, and gzip (never more than the HTML).
    fn bytes(&self) -> usize {
        2 * self.html.len() + self.br.len()
    }
}

/// The bounds of the render cache and of uncached renders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderLimits {
    /// Renders kept at most.
    pub entries: usize,
    /// Bytes the renders kept may weigh in all.
    pub bytes: usize,
    /// Uncached renders a client may ask for (IPv4 address, IPv6 /64; eight times this a
    /// /48).
    pub per_client: Rate,
}

/// The renders kept, least recently used first out, within a count and a weight.
struct Cache {
    entries: lru::LruCache<Key, Arc<Rendered>>,
    bytes: usize,
    limits: RenderLimits,
}

impl Cache {
    fn get(&mut self, key: &Key) -> Option<Arc<Rendered>> {
        self.entries.get(key).cloned()
    }

    /// Keeps `rendered` under `key`, unless it weighs more than [`MAX_CACHED`], dropping
    /// the least recently used renders until the cache is within its bounds.
    fn put(&mut self, key: Key, rendered: Arc<Rendered>) {
        let weight = key.bytes() + rendered.bytes();
        if weight > MAX_CACHED.min(self.limits.bytes) {
            return;
        }
        if let Some((old_key, old)) = self.entries.push(key, rendered) {
            self.bytes -= old_key.bytes() + old.bytes();
        }
        self.bytes += weight;
        while self.bytes > self.limits.bytes || self.entries.len() > self.limits.entries.max(1) {
            match self.entries.pop_lru() {
                Some((key, old)) => self.bytes -= key.bytes() + old.bytes(),
                None => break,
            }
        }
    }
}

/// Why an uncached render was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client has spent its budget or holds all its slots: come back after this.
    Limited(Duration),
    /// No render permit came free within [`RENDER_WAIT`].
    Busy,
}

/// An admitted render: its client's slot and a render permit, given back when it drops.
pub struct Admitted {
    _slot: Counted,
    _permit: Permit,
}

/// The render permits, one a core, handed out in turn: a permit that comes free goes to the
/// next client waiting, round the clients in the order they first waited, so that a client
/// with many renders waiting delays another's by one render at most. A client here is an
/// IPv4 address or an IPv6 /48, so that the holder of a /48 gets one turn, not 65,536.
struct Turns {
    state: Mutex<TurnsState>,
    /// How many permits there are.
    all: usize,
}

struct TurnsState {
    free: usize,
    /// The clients waiting, in turn order, each with its waiters in the order they came.
    waiting: VecDeque<(IpAddr, VecDeque<oneshot::Sender<()>>)>,
}

/// A render permit; dropping it hands it to the next client waiting.
struct Permit(Arc<Turns>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl Turns {
    fn new(all: usize) -> Arc<Self> {
        Arc::new(Turns {
            state: Mutex::new(TurnsState {
                free: all,
                waiting: VecDeque::new(),
            }),
            all,
        })
    }

    fn state(&self) -> MutexGuard<'_, TurnsState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A permit for `client`, in its turn, if one comes within `wait`.
    async fn acquire(self: &Arc<Self>, client: IpAddr, wait: Duration) -> Option<Permit> {
        let mut turn = {
            let mut state = self.state();
            if state.free > 0 && state.waiting.is_empty() {
                state.free -= 1;
                return Some(Permit(self.clone()));
            }
            let (handed, turn) = oneshot::channel();
            match state.waiting.iter_mut().find(|(who, _)| *who == client) {
                Some((_, waiters)) => waiters.push_back(handed),
                None => state.waiting.push_back((client, VecDeque::from([handed]))),
            }
            turn
        };
        if tokio::time::timeout(wait, &mut turn)
            .await
            .is_ok_and(|r| r.is_ok())
        {
            return Some(Permit(self.clone()));
        }
        // Given up on: no permit may be handed over from now on, and one handed over just
        // now is this one's all the same.
        turn.close();
        turn.try_recv().is_ok().then(|| Permit(self.clone()))
    }

    /// A permit comes free: to the next client waiting, whose turn then goes to the back;
    /// else back to the free ones.
    fn release(&self) {
        let mut state = self.state();
        while let Some((client, mut waiters)) = state.waiting.pop_front() {
            let Some(handed) = waiters.pop_front() else {
                continue;
            };
            if !waiters.is_empty() {
                state.waiting.push_back((client, waiters));
            }
            // A waiter that has given up no longer takes it.
            if handed.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }

    fn in_use(&self) -> usize {
        self.all.saturating_sub(self.state().free)
    }
}

/// The cache of renders, the permits renders take, and each client's budget of uncached
/// renders.
pub struct Renders {
    cache: Mutex<Cache>,
    /// The render permits: one a core.
    permits: Arc<Turns>,
    /// Uncached renders asked for, per client, per IPv6 /48 and in all.
    budget: Limits,
    /// Uncached renders waiting or running, per client.
    in_flight: Arc<PerClient>,
}

impl Default for Renders {
    fn default() -> Self {
        Renders::new(RenderLimits::default())
    }
}

impl Renders {
    /// A cache within `limits`, and one render permit a core.
    pub fn new(limits: RenderLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Renders {
            cache: Mutex::new(Cache {
                entries: lru::LruCache::unbounded(),
                bytes: 0,
                limits,
            }),
            permits: Turns::new(cores),
            // The pool of permits bounds renders in all; the global bucket only stops a
            // flood from many clients from queueing without end.
            budget: Limits::new(limits.per_client, Rate::per_second(100 * cores as u32)),
            in_flight: Arc::default(),
        }
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The render kept under `key`, if there is one.
    pub fn get(&self, key: &Key) -> Option<Arc<Rendered>> {
        self.cache().get(key)
    }

    /// Keeps `rendered` under `key`, within the cache's bounds.
    pub fn put(&self, key: Key, rendered: Arc<Rendered>) {
        self.cache().put(key, rendered);
    }

    /// Admits an uncached render for `client`: one of its slots, its budget, then a render
    /// permit in its turn within [`RENDER_WAIT`]. A refusal takes nothing of what follows.
    pub async fn admit(&self, client: IpAddr) -> Result<Admitted, Refusal> {
        let slot = self
            .in_flight
            .open(client, RENDERS_PER_CLIENT)
            .ok_or(Refusal::Limited(Duration::from_secs(1)))?;
        self.budget
            .take(client, Instant::now())
            .map_err(Refusal::Limited)?;
        let turn = network_key(client).unwrap_or_else(|| bucket_key(client));
        let permit = self
            .permits
            .acquire(turn, RENDER_WAIT)
            .await
            .ok_or(Refusal::Busy)?;
        Ok(Admitted {
            _slot: slot,
            _permit: permit,
        })
    }

    /// How many renders are cached.
    pub fn len(&self) -> usize {
        self.cache().entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Render permits in use now, for the metrics.
    pub fn permits_in_use(&self) -> usize {
        self.permits.in_use()
    }

    /// What the renders cached weigh, by the cache's own count.
    pub fn bytes(&self) -> usize {
        self.cache().bytes
    }
}

/// `html` with its brotli encoding and its ETag, made once per render.
pub fn encode(html: String) -> Rendered {
    let html = Bytes::from(html);
    Rendered {
        etag: crate::net::http::etag(&html),
        br: crate::net::http::brotli(&html),
        html,
        gzip: OnceLock::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client with five renders waiting and another with one: the other's comes second,
    /// not sixth.
    #[tokio::test]
    async fn render_permits_go_round_the_clients_in_turn() {
        // Assemble: one permit, held.
        let turns = Turns::new(1);
        let (flood, other): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let held = turns.acquire(flood, RENDER_WAIT).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let wait = |client: IpAddr, name: char| {
            let (turns, order) = (turns.clone(), order.clone());
            tokio::spawn(async move {
                let permit = turns.acquire(client, Duration::from_secs(5)).await;
                assert!(permit.is_some());
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            })
        };
        // Action: five waiters from the flooding client, then one from the other.
        let mut waiters = Vec::new();
        for _ in 0..5 {
            waiters.push(wait(flood, 'f'));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waiters.push(wait(other, 'o'));
        tokio::time::sleep(Duration::from_millis(5)).await;
        drop(held);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        // Assert: the other client's turn came second, and every permit came back.
        assert_eq!(order.lock().unwrap().iter().collect::<String>(), "foffff");
        assert_eq!(turns.in_use(), 0);
    }

    /// A waiter that gives up takes nothing: the permit goes to the next one.
    #[tokio::test]
    async fn a_waiter_that_gives_up_passes_its_turn_on() {
        let turns = Turns::new(1);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let held = turns.acquire(client, RENDER_WAIT).await.unwrap();
        assert!(turns
            .acquire(client, Duration::from_millis(10))
            .await
            .is_none());
        drop(held);
        assert_eq!(turns.in_use(), 0);
        assert!(turns.acquire(client, Duration::ZERO).await.is_some());
    }
}
