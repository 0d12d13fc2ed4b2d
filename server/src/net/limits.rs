//! Rate limits, in one place: token buckets per client, per IPv6 /48 and for the server
//! ([`Limits`]), the counts of things a client holds at once ([`PerClient`]: connections,
//! uncached renders), and, for reviews, the one entry point [`Limits::admit`], which decides
//! where each limit is counted.
//!
//! Each client (an IPv4 address, or an IPv6 /64, since one host usually holds a whole /64)
//! has a token bucket, and so does the server as a whole. An IPv6 /48, what one site is
//! usually given, has a bucket too, of [`NETWORK_FACTOR`] clients: without it, the holder of
//! a /48 could use 65,536 /64 buckets and drain the global one, which would then refuse
//! everyone else. Over any limit the answer is 429 with `Retry-After` and nothing more. The
//! client's address is the socket's, unless a proxy of ours names it (`net::proxies`), so
//! rotating `X-Forwarded-For` bypasses nothing.
//!
//! Where several replicas share a PostgreSQL store, a review's per-client limits are counted
//! in the database instead, in fixed one-minute windows that every replica adds to: with the
//! review, in its batch's one statement ([`Admission::store`]), or alone for a request that
//! never reaches the store ([`Admission::count`]); the global bucket stays per replica.

use newswire_store::{Admitted, Hit, NewReview, ReviewStore, StoreError};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A refill rate and a burst size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// The bucket's size: how many requests may come at once.
    pub burst: f64,
}

impl Rate {
    /// `n` per minute, with a burst of `n`.
    pub fn per_minute(n: u32) -> Self {
        Rate {
            per_second: f64::from(n) / 60.0,
            burst: f64::from(n.max(1)),
        }
    }

    /// `n` per second, with a burst of `n`.
    pub fn per_second(n: u32) -> Self {
        Rate {
            per_second: f64::from(n),
            burst: f64::from(n.max(1)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, at: Instant) -> Self {
        Bucket {
            tokens: rate.burst,
            at,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
    }

    /// How long until one token is there; zero when one is there now.
    fn wait(&self, rate: Rate) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else if rate.per_second <= 0.0 {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / rate.per_second)
        }
    }
}

/// Clients beyond this many are pruned of full buckets, so memory stays bounded.
const MAX_CLIENTS: usize = 100_000;
/// An IPv6 /48 may send as much as this many clients.
pub const NETWORK_FACTOR: u32 = 8;

/// A map of buckets with one rate, pruned of full buckets when it grows too large.
struct Buckets {
    rate: Rate,
    map: HashMap<IpAddr, Bucket>,
}

impl Buckets {
    fn new(rate: Rate) -> Self {
        Buckets {
            rate,
            map: HashMap::new(),
        }
    }

    /// The bucket of `key`, refilled to `now`.
    fn get(&mut self, key: IpAddr, now: Instant) -> &mut Bucket {
        let rate = self.rate;
        if self.map.len() >= MAX_CLIENTS && !self.map.contains_key(&key) {
            self.map.retain(|_, bucket| {
                bucket.refill(rate, now);
                bucket.tokens < rate.burst
            });
        }
        let bucket = self
            .map
            .entry(key)
            .or_insert_with(|| Bucket::full(rate, now));
        bucket.refill(rate, now);
        bucket
    }
}

struct State {
    clients: Buckets,
    networks: Buckets,
    global: Option<Bucket>,
}

/// The per-client, per-network and global buckets.
pub struct Limits {
    /// Each client's rate (a network's is [`NETWORK_FACTOR`] times it).
    client: Rate,
    global: Rate,
    state: Mutex<State>,
    /// Where the store keeps the per-client limits (several replicas): the window this
    /// replica last counted in, and the clients and networks it saw reach their limit in it.
    full: Mutex<(i64, HashSet<String>)>,
}

impl Limits {
    pub fn new(client: Rate, global: Rate) -> Self {
        let network = Rate {
            per_second: client.per_second * f64::from(NETWORK_FACTOR),
            burst: client.burst * f64::from(NETWORK_FACTOR),
        };
        Limits {
            client,
            global,
            state: Mutex::new(State {
                clients: Buckets::new(client),
                networks: Buckets::new(network),
                global: None,
            }),
            full: Mutex::default(),
        }
    }

    /// Takes a token for `client`, one for its network (IPv6) and one from the global
    /// bucket, or says how long to wait. A refused request takes nothing.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.wait_or(client, now, true)
    }

    /// Takes a token from the global bucket only: where the per-client limits are counted
    /// elsewhere ([`Limits::shared_hits`]).
    fn take_global(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let all = state
            .global
            .get_or_insert_with(|| Bucket::full(self.global, now));
        all.refill(self.global, now);
        let wait = all.wait(self.global);
        if wait > Duration::ZERO {
            return Err(wait);
        }
        all.tokens -= 1.0;
        Ok(())
    }

    /// How long `client` must wait before [`Limits::take`] would succeed; takes nothing.
    pub fn peek(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.wait_or(client, now, false)
    }

    fn wait_or(&self, client: IpAddr, now: Instant, take: bool) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State {
            clients,
            networks,
            global,
        } = &mut *state;
        let (client_rate, network_rate) = (clients.rate, networks.rate);
        let mine = clients.get(bucket_key(client), now);
        let mut wait = mine.wait(client_rate);
        let network = network_key(client).map(|key| networks.get(key, now));
        if let Some(network) = &network {
            wait = wait.max(network.wait(network_rate));
        }
        let all = global.get_or_insert_with(|| Bucket::full(self.global, now));
        all.refill(self.global, now);
        wait = wait.max(all.wait(self.global));
        if wait > Duration::ZERO {
            return Err(wait);
        }
        if take {
            all.tokens -= 1.0;
            mine.tokens -= 1.0;
            if let Some(network) = network {
                network.tokens -= 1.0;
            }
        }
        Ok(())
    }
}

/// The IPv6 /48 `ip` belongs to; `None` for IPv4 (and IPv4-mapped) addresses.
pub fn network_key(ip: IpAddr) -> Option<IpAddr> {
    match bucket_key(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0)))
        }
        IpAddr::V4(_) => None,
    }
}

/// The length of a shared rate window, in seconds: the client rate is per minute.
const WINDOW: i64 = 60;

/// A request's hits in the shared windows, and how long it waits if one is over.
#[derive(Debug, Clone)]
struct Shared {
    hits: Vec<Hit>,
    wait: Duration,
}

/// A review request let through so far ([`Limits::admit`]): where the limits are shared,
/// its hits still count in the store, with its review or alone.
pub struct Admission<'a> {
    limits: &'a Limits,
    shared: Option<Shared>,
}

impl Limits {
    /// The one entry point for a review request from `client`. In one process, its client's,
    /// its /48's and the global buckets are taken here. Where `store` shares its windows
    /// (PostgreSQL), the global bucket is taken here, and the per-client windows are counted
    /// with the request ([`Admission`]); a client this replica already knows is over is
    /// refused from memory. How long to wait when it is over a limit.
    pub fn admit(
        &self,
        store: &dyn ReviewStore,
        client: IpAddr,
    ) -> Result<Admission<'_>, Duration> {
        let now = Instant::now();
        let shared = if store.shares_windows() {
            let shared = self.shared_hits(client)?;
            self.take_global(now)?;
            Some(shared)
        } else {
            self.take(client, now)?;
            None
        };
        Ok(Admission {
            limits: self,
            shared,
        })
    }
}

impl Admission<'_> {
    /// Stores `review`, counted in the windows it still counts in: its id, or how long the
    /// client waits when a window is over its limit (nothing is stored then).
    pub async fn store(
        &self,
        store: &dyn ReviewStore,
        review: NewReview,
    ) -> Result<Result<i64, Duration>, StoreError> {
        let Some(shared) = &self.shared else {
            return store.insert(review).await.map(Ok);
        };
        Ok(
            match store.insert_counted(review, shared.hits.clone()).await? {
                Admitted::Stored(id) => Ok(id),
                Admitted::Limited(over) => Err(self.limits.refuse(shared, over)),
            },
        )
    }

    /// Counts a request that never reaches the store (an invalid review, say) in the windows
    /// it counts in, every hit, as [`Admission::store`] would have: so that the limit holds
    /// for every request, not only the good ones. How long the client waits, when one of them
    /// is over its limit.
    pub async fn count(&self, store: &dyn ReviewStore) -> Result<Option<Duration>, StoreError> {
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        let over = store.count_hits(&shared.hits).await?;
        Ok((!over.is_empty()).then(|| self.limits.refuse(shared, over)))
    }
}

impl Limits {
    /// The per-client limits where several replicas share one store: fixed one-minute
    /// windows counted by the store, `rate.burst` requests a window per client and
    /// [`NETWORK_FACTOR`] times that per IPv6 /48, so that spreading requests over N
    /// replicas gains nothing. The hits to count for a request from `client`, or how long
    /// it waits when this replica already knows it is over a limit.
    ///
    /// A client (or network) this replica has seen over its limit in the current window is
    /// refused from memory, with no query: the shared count only grows within a window, and
    /// this replica's last reading of it is never above it, so this refuses nobody the
    /// shared limit would let through. A flood from one address then costs the database
    /// one write a window, not one per request.
    fn shared_hits(&self, client: IpAddr) -> Result<Shared, Duration> {
        let rate = self.client;
        let now = newswire_store::now();
        let window = now - now.rem_euclid(WINDOW);
        let wait = Duration::from_secs((window + WINDOW - now).max(1) as u64);
        let mut hits = vec![Hit {
            key: format!("client {}", bucket_key(client)),
            window,
            limit: rate.burst as i64,
        }];
        if let Some(network) = network_key(client) {
            hits.push(Hit {
                key: format!("network {network}"),
                window,
                limit: (rate.burst * f64::from(NETWORK_FACTOR)) as i64,
            });
        }
        if hits.iter().any(|hit| self.is_full(window, &hit.key)) {
            return Err(wait);
        }
        Ok(Shared { hits, wait })
    }

    /// Notes the windows a store found over their limits (so the next requests are refused
    /// from memory) and says how long the client waits.
    fn refuse(&self, shared: &Shared, over: Vec<String>) -> Duration {
        for key in over {
            self.mark_full(shared.hits[0].window, key);
        }
        shared.wait
    }

    /// Whether `key` is known to be over its limit in `window`.
    fn is_full(&self, window: i64, key: &str) -> bool {
        let full = self.full.lock().unwrap_or_else(|p| p.into_inner());
        full.0 == window && full.1.contains(key)
    }

    /// Notes that `key` is over its limit in `window`; a new window forgets the old one.
    /// At most [`MAX_CLIENTS`] keys: past that the set starts again, which only costs
    /// queries, never a wrong answer.
    fn mark_full(&self, window: i64, key: String) {
        let mut full = self.full.lock().unwrap_or_else(|p| p.into_inner());
        if full.0 != window || full.1.len() >= MAX_CLIENTS {
            *full = (window, HashSet::new());
        }
        full.1.insert(key);
    }
}

/// Things held at once per client and per IPv6 /48 (open connections, uncached renders):
/// an entry lives only while its client holds one, so the map never holds more than twice
/// as many entries as there are things held.
#[derive(Default)]
pub struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One counted thing; dropping it uncounts it.
pub struct Counted {
    clients: Arc<PerClient>,
    keys: Vec<IpAddr>,
}

impl PerClient {
    /// Counts one more for `peer`, or `None` when its client already holds `cap`, or its
    /// IPv6 /48 [`NETWORK_FACTOR`] times that.
    pub fn open(self: &Arc<Self>, peer: IpAddr, cap: usize) -> Option<Counted> {
        let mut keys = vec![(bucket_key(peer), cap)];
        if let Some(network) = network_key(peer) {
            keys.push((network, cap.saturating_mul(NETWORK_FACTOR as usize)));
        }
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if keys
            .iter()
            .any(|(key, cap)| open.get(key).is_some_and(|n| n >= cap))
        {
            return None;
        }
        for (key, _) in &keys {
            *open.entry(*key).or_default() += 1;
        }
        Some(Counted {
            clients: self.clone(),
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.clients.0.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// IPv4 addresses count one by one; IPv6 addresses by their /64.
pub fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_for_the_refill() {
        let limits = Limits::new(Rate::per_minute(3), Rate::per_second(1000));
        let t0 = Instant::now();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.take(ip, t0), Ok(()));
        }
        let wait = limits.take(ip, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(limits.take(ip, t0 + Duration::from_secs(20)), Ok(()));
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert_eq!(
            limits.take(other, t0),
            Ok(()),
            "another client has its own bucket"
        );
    }

    #[test]
    fn ipv6_clients_share_their_slash_64_and_the_global_bucket_caps_everyone() {
        let limits = Limits::new(Rate::per_minute(2), Rate::per_second(1000));
        let t0 = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(limits.take(a, t0), Ok(()));
        assert_eq!(limits.take(b, t0), Ok(()));
        assert!(limits.take(a, t0).is_err(), "same /64");
        assert_eq!(limits.take("2001:db8:1:3::1".parse().unwrap(), t0), Ok(()));

        let global = Limits::new(Rate::per_minute(100), Rate::per_second(2));
        assert_eq!(global.take("192.0.2.1".parse().unwrap(), t0), Ok(()));
        assert_eq!(global.take("192.0.2.2".parse().unwrap(), t0), Ok(()));
        assert!(global.take("192.0.2.3".parse().unwrap(), t0).is_err());
    }

    #[test]
    fn a_slash_48_cannot_drain_the_global_bucket_through_its_slash_64s() {
        // Assemble: room for 100 reviews a second in all, 2 a minute per client.
        let limits = Limits::new(Rate::per_minute(2), Rate::per_second(100));
        let t0 = Instant::now();
        // Action: one /48 tries from 1,000 of its /64s.
        let taken = (0..1000u16)
            .filter(|n| {
                let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x77, *n, 0, 0, 0, 1));
                limits.take(ip, t0).is_ok()
            })
            .count();
        // Assert: it gets its network's share, and everyone else still gets in.
        assert_eq!(taken, (2 * NETWORK_FACTOR) as usize);
        assert_eq!(limits.take("198.51.100.20".parse().unwrap(), t0), Ok(()));
        assert_eq!(limits.take("2001:db8:78::1".parse().unwrap(), t0), Ok(()));
        assert!(limits
            .peek("2001:db8:77:ffff::1".parse().unwrap(), t0)
            .is_err());
        assert_eq!(limits.peek("2001:db8:78::1".parse().unwrap(), t0), Ok(()));
        assert_eq!(limits.take("2001:db8:78::1".parse().unwrap(), t0), Ok(()));
        assert!(
            limits.peek("2001:db8:78::1".parse().unwrap(), t0).is_err(),
            "peek took nothing, take did"
        );
    }
}
