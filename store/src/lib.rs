//! Where reviews live: one interface, [`ReviewStore`], and two implementations with one
//! behaviour.
//!
//! - [`sqlite`]: one file, for one server (the default, and `make demo`). Writes are
//!   group-committed by one writer thread; the public summary and the honeypot's next id live
//!   in memory, since no other process writes the file.
//! - [`postgres`]: a PostgreSQL database shared by several stateless replicas behind a load
//!   balancer. One writer per replica commits the reviews waiting together, counting their
//!   rate limits in the same statement; idempotency keys and the per-client rate limits
//!   hold across replicas because they live in the database.
//!
//! Either way a review is committed before its id is returned, so a 201 means it is on disk.
//! Each store applies its versioned migrations when it opens (`migrations/`, numbered `.sql`
//! files a dialect): an SQLite file written by an earlier release upgrades in place, every
//! review kept. One suite of behaviour tests (the server's `tests/store/`) runs against both.
//!
//! This crate knows nothing of HTTP, the command line or metrics: whoever runs it learns how
//! long its queries take through an [`Observer`] it hands in ([`observe`]), so that the
//! compiler refuses an import from the store back up into the server.

pub mod postgres;
pub mod sqlite;
pub mod tls;

use async_trait::async_trait;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Who hears what the store does, for the server's metrics, say: how long each query took,
/// and how many reviews each commit stored.
pub trait Observer: Send + Sync + 'static {
    /// A query (a read, a PostgreSQL statement or batch) took `took`.
    fn query(&self, took: Duration);

    /// A commit stored `reviews` new reviews (a retry of one already stored is not counted).
    fn stored(&self, reviews: u64);
}

/// The process's observer, once one is handed in.
static OBSERVER: OnceLock<Box<dyn Observer>> = OnceLock::new();

/// Hands the store its observer, for every store this process opens; the first one handed
/// in stays. Without one, what it would hear goes nowhere.
pub fn observe(observer: impl Observer) {
    let _ = OBSERVER.set(Box::new(observer));
}

/// Tells the observer, if there is one, that a query took `took`.
fn observed(took: Duration) {
    if let Some(observer) = OBSERVER.get() {
        observer.query(took);
    }
}

/// Tells the observer, if there is one, that a commit stored `reviews` new reviews.
fn committed(reviews: u64) {
    if let (Some(observer), 1..) = (OBSERVER.get(), reviews) {
        observer.stored(reviews);
    }
}

/// How long an idempotency key is remembered, in seconds: a day, long after any retry, as the
/// IETF idempotency-key draft allows.
pub const KEY_LIFETIME: i64 = 24 * 60 * 60;
/// How often the stores forget expired keys, in seconds.
pub const KEY_SWEEP: i64 = 60 * 60;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection to PostgreSQL could be had in time: the database is down or swamped.
    #[error("the database is not reachable: {0}")]
    Unavailable(String),
    /// SQLite would not switch to WAL (the file system may not support it).
    #[error("the database would not use WAL (journal mode {0})")]
    NotDurable(String),
    /// The database was written by a newer release than this one.
    #[error("the database is at schema version {0}, newer than this release knows ({1})")]
    TooNew(i64, i64),
    /// A migration's target already holds reviews.
    #[error("the PostgreSQL database already holds reviews; migrate into an empty one")]
    NotEmpty,
    /// The key was used before for a review with different content.
    #[error("this key was already used for a different review")]
    KeyReused,
    /// The transaction holding this review failed, so it was not stored.
    #[error("the batch holding this review could not be committed")]
    Batch,
    /// The writer has stopped (the server is shutting down).
    #[error("the review store is closed")]
    Closed,
    /// A command that reads a store was given an SQLite file that does not exist.
    #[error("no such file (only `serve` creates a database)")]
    Missing,
}

/// A PostgreSQL error as a log may show it: its severity, SQLSTATE and message, never its
/// DETAIL, which for a refused row quotes the row (a reader's comment, the page it was on).
fn postgres_message(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => err.to_string(),
    }
}

impl StoreError {
    /// Whether the database is away rather than the request wrong: the client should retry.
    /// A PostgreSQL error without a SQLSTATE is a lost or refused connection; with one, only
    /// connection exceptions (class 08), shutdowns (57P), exhausted resources (53) and
    /// statement timeouts (57014) are.
    pub fn is_unavailable(&self) -> bool {
        match self {
            // Shutting down: another replica (or this one, restarted) takes the retry.
            StoreError::Unavailable(_) | StoreError::Closed => true,
            StoreError::Postgres(err) => err.code().is_none_or(|code| {
                let code = code.code();
                // 57014: a statement the server stopped at its timeout (the writer's).
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code.starts_with("53")
                    || code == "57014"
            }),
            _ => false,
        }
    }
}

/// A validated review, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub rating: u8,
    pub comment: String,
    pub subject: String,
    pub page: String,
    /// The partner site the review is counted for in the console (`https://partner.example`),
    /// or empty: "unattributed". Set from the request's `Origin`, never from the page the
    /// body names, which anyone can write (`reviews::partner`).
    pub partner: String,
    pub key: Option<String>,
    /// When it was written, in seconds since the epoch; `None` is now. Only the demo's sample
    /// reviews are dated in the past.
    pub at: Option<i64>,
}

/// A stored review, as the publisher's tools see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    pub id: i64,
    pub rating: u8,
    pub comment: String,
    pub subject: String,
    pub page: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub hidden: bool,
}

/// Which reviews a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    Visible,
    Hidden,
    #[default]
    All,
}

/// The publisher's console's filters; each one left empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub rating: Option<u8>,
    pub visibility: Visibility,
    /// Created at or after this time (seconds since the epoch).
    pub from: Option<i64>,
    /// Created before this time.
    pub to: Option<i64>,
    /// The partner site: the origin of the review's page (`https://partner.example`).
    pub partner: Option<String>,
    /// The story: the review's subject (the id of the headline the reader saw).
    pub story: Option<String>,
    /// Text the comment contains, compared without regard to case (on SQLite, the case of
    /// ASCII letters only).
    pub text: Option<String>,
}

/// One group in the console's overview: a partner site or a story.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// The partner's origin, or the story's id.
    pub name: String,
    pub count: i64,
    pub average: f64,
    /// The newest review's time.
    pub last: i64,
}

/// What the console's overview shows, over every review (hidden ones included).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    pub count: i64,
    pub hidden: i64,
    /// `None` while there are no reviews.
    pub average: Option<f64>,
    /// How many reviews gave 1, 2, 3, 4 and 5 stars.
    pub ratings: [i64; 5],
    /// Reviews per UTC day (days since the epoch), from the day asked for; days without
    /// reviews are left out.
    pub per_day: Vec<(i64, i64)>,
    /// Per partner site, most reviews first.
    pub partners: Vec<Group>,
    /// Per story, most reviews first.
    pub stories: Vec<Group>,
}

/// Requests for the feed and for the rendered widget from one partner origin on one UTC
/// day: where the widget is shown. Counted from the `Origin` header only; nothing that could
/// identify a reader is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Views {
    pub origin: String,
    /// Days since the epoch.
    pub day: i64,
    pub feed: i64,
    /// Requests for the widget's code (its wasm): pages that started it.
    pub widget: i64,
    /// Requests for the widget rendered by the server: pages that showed it.
    pub rendered: i64,
}

impl Views {
    /// No requests yet from `origin` on `day`.
    pub fn none(origin: String, day: i64) -> Views {
        Views {
            origin,
            day,
            feed: 0,
            widget: 0,
            rendered: 0,
        }
    }

    /// Every request counted.
    pub fn total(&self) -> i64 {
        self.feed + self.widget + self.rendered
    }
}

/// The most rows of "where the widget is shown" an overview reads for each day: each day
/// is read on its own, so a busy day cannot push the others out.
pub const MAX_VIEWS_PER_DAY: i64 = 50;

/// The origin (`scheme://host[:port]`, lower case, without a default port) of a page; empty
/// when the page is not an http(s) address. Kept in its own column, so that the console can filter and group
/// by partner site.
pub fn origin_of(page: &str) -> String {
    let lower = page.trim().to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .map(|r| ("https://", r))
        .or_else(|| lower.strip_prefix("http://").map(|r| ("http://", r)))
    else {
        return String::new();
    };
    let host = rest.1.split(['/', '?', '#']).next().unwrap_or_default();
    // As a browser writes an `Origin`: without the scheme's default port.
    let default_port = if rest.0 == "https://" { ":443" } else { ":80" };
    let host = host.strip_suffix(default_port).unwrap_or(host);
    if host.is_empty() {
        return String::new();
    }
    format!("{}{host}", rest.0)
}

/// A `LIKE` pattern that finds `text` anywhere, with `\` as the escape for its own `%`, `_`
/// and `\`.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub visibility: Visibility,
    /// Only reviews created at or after this time (seconds since the epoch).
    pub since: i64,
    /// Only reviews with a larger id: the cursor from the previous page.
    pub after: i64,
    pub limit: usize,
}

/// The public aggregate, without hidden reviews.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub count: i64,
    /// `null` while there are no reviews.
    pub average: Option<f64>,
}

impl Summary {
    /// From the count and the rating sum of the visible reviews.
    pub fn of(count: i64, sum: i64) -> Self {
        Summary {
            count,
            average: (count > 0).then(|| sum as f64 / count as f64),
        }
    }
}

/// What the store keeps of the reviews themselves: storing, reading, moderating,
/// and the aggregates the public summary and the console show.
#[async_trait]
pub trait Reviews: Send + Sync {
    /// Stores `review` and returns its id once it is committed. A key seen before returns the
    /// earlier id when the content matches, and [`StoreError::KeyReused`] when it does not.
    async fn insert(&self, review: NewReview) -> Result<i64, StoreError>;

    /// The number of visible reviews and their average rating.
    async fn summary(&self) -> Result<Summary, StoreError>;

    /// One page of reviews, oldest first.
    async fn list(&self, query: Query) -> Result<Vec<Review>, StoreError>;

    /// Hides (or shows again) review `id`; `false` when there is no such review.
    async fn set_hidden(&self, id: i64, hidden: bool) -> Result<bool, StoreError>;

    /// Forgets the idempotency keys of reviews stored before `now - KEY_LIFETIME`.
    async fn expire_keys(&self, now: i64) -> Result<u64, StoreError>;

    /// A plausible id for the next review: what a honeypot answer shows a bot, with no
    /// database work.
    fn next_id(&self) -> i64;

    /// The console's page of reviews matching `filter`, newest first, with ids below
    /// `before` (the cursor from the page before).
    async fn find(
        &self,
        filter: Filter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Review>, StoreError>;

    /// The console's overview; reviews per day from `since_day` (days since the epoch).
    async fn stats(&self, since_day: i64) -> Result<Stats, StoreError>;
}

/// The console's sign-in sessions.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Starts an admin session: `id` is the hash of the session's cookie, `csrf` the token
    /// its forms carry.
    async fn start_session(&self, id: &str, csrf: &str, expires: i64) -> Result<(), StoreError>;

    /// The CSRF token of session `id`, if it exists and has not expired by `now`.
    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StoreError>;

    /// Ends session `id` (and forgets every expired one).
    async fn end_session(&self, id: &str, now: i64) -> Result<(), StoreError>;

    /// Console sessions not yet expired at `now`, for the metrics.
    async fn sessions(&self, now: i64) -> Result<u64, StoreError>;
}

/// The shared rate-limit windows that every replica counts in.
#[async_trait]
pub trait RateWindows: Send + Sync {
    /// Counts one request against `key` in the window that starts at `window` (seconds
    /// since the epoch) and returns the count so far: rate limits that every replica sees.
    /// `None` where only one process serves (the limits are then kept in its memory).
    async fn count_hit(&self, key: &str, window: i64) -> Result<Option<i64>, StoreError>;

    /// Counts each of `hits` ([`RateWindows::count_hit`]), every one even once one is over,
    /// so that a refused request counts too; the keys of those over their limits.
    async fn count_hits(&self, hits: &[Hit]) -> Result<Vec<String>, StoreError> {
        let mut over = Vec::new();
        for hit in hits {
            let count = self.count_hit(&hit.key, hit.window).await?;
            if count.is_some_and(|n| n > hit.limit) {
                over.push(hit.key.clone());
            }
        }
        Ok(over)
    }

    /// Whether the windows are shared by several processes: then the per-client limits are
    /// counted here ([`ReviewStore::insert_counted`]), not in one process's memory.
    fn shares_windows(&self) -> bool {
        false
    }
}

/// A request counted in a shared rate window, and the count it may reach there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// `client 192.0.2.1`, say: the limit's own name, never one a client chooses.
    pub key: String,
    /// The window's start, in seconds since the epoch.
    pub window: i64,
    pub limit: i64,
}

/// What became of a review sent with its hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// Stored (or already stored, for a retry), with this id.
    Stored(i64),
    /// Not stored: these windows were over their limits.
    Limited(Vec<String>),
}

/// Where the widget is shown: counted requests per partner origin and day.
#[async_trait]
pub trait ViewCounts: Send + Sync {
    /// Adds counted requests to the per-origin, per-day totals.
    async fn add_views(&self, views: Vec<Views>) -> Result<(), StoreError>;

    /// The per-origin, per-day totals from `since_day`, newest day first, the busiest
    /// origins of each day first, at most [`MAX_VIEWS_PER_DAY`] rows a day.
    async fn views(&self, since_day: i64) -> Result<Vec<Views>, StoreError>;
}

/// The one store both backends are: everything above, and the store as a whole
/// (alive, its pool, its shutdown). Handlers hold an `Arc<dyn ReviewStore>` and name the part
/// they use (`use newswire_store::Reviews`). (The feed's revisions live here too: with the
/// reviews, they are what several replicas share.)
#[async_trait]
pub trait ReviewStore:
    Reviews + Sessions + RateWindows + ViewCounts + FeedRevisions + Subscriptions + Send + Sync
{
    /// A trivial query, for the readiness probe: the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Connections of the store's pool in use, where it has one.
    fn pool_in_use(&self) -> Option<usize> {
        None
    }

    /// Stops taking reviews and waits until every one already accepted is committed.
    async fn close(&self);

    /// Counts `hits` and stores `review` unless one of them is over its limit. Every hit
    /// is counted, a refused request's too, as [`RateWindows::count_hits`] counts them. By
    /// default one after the other, then the review; PostgreSQL does it all in its review
    /// batch's one statement, so that a review costs no write of its own for its limits.
    async fn insert_counted(
        &self,
        review: NewReview,
        hits: Vec<Hit>,
    ) -> Result<Admitted, StoreError> {
        let over = self.count_hits(&hits).await?;
        if !over.is_empty() {
            return Ok(Admitted::Limited(over));
        }
        self.insert(review).await.map(Admitted::Stored)
    }
}

/// A feed as it was published: its revision, its ETag and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub revision: i64,
    pub etag: String,
    pub body: Vec<u8>,
}

/// How many published feeds are kept: the latest, and a few before it for a replica that is
/// catching up.
pub const FEEDS_KEPT: i64 = 16;

/// The feed's revisions: every feed the server accepted, numbered so that a number only grows
/// and survives a restart, and shared by every replica of one database.
#[async_trait]
pub trait FeedRevisions: Send + Sync {
    /// Publishes `body` (whose ETag is `etag`) as the next revision, unless it is the latest
    /// already; the latest revision either way. Only the last [`FEEDS_KEPT`] are kept.
    async fn publish_feed(&self, etag: &str, body: &[u8]) -> Result<i64, StoreError>;

    /// The latest published feed, if there is one.
    async fn latest_feed(&self) -> Result<Option<Published>, StoreError>;

    /// The latest revision any replica announced, as it changes: `None` for a store that one
    /// process owns (SQLite), where there is no one else to hear from.
    fn announced(&self) -> Option<tokio::sync::watch::Receiver<i64>> {
        None
    }

    /// Whether this replica is the one that polls the upstream, as it changes: `None` where
    /// every process polls for itself.
    fn leading(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        None
    }
}

/// A WebSub subscription this server asked a hub for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The callback's last path segment: 64 random hex digits, unguessable.
    pub path: String,
    pub hub: String,
    pub topic: String,
    /// The secret the hub signs its pushes with: 32 random bytes, in hex.
    pub secret: String,
    /// What the hub has to verify, `subscribe` or `unsubscribe`; `active` once it verified a
    /// subscription, `denied` when it refused one.
    pub state: String,
    /// The lease the hub granted, in seconds (0 before it did).
    pub lease: i64,
    /// When the lease ends, or when a request the hub never verified is given up (seconds
    /// since the epoch).
    pub expires: i64,
}

/// The WebSub subscriptions, shared by every replica so that the hub's verification and its
/// pushes may land on any of them.
#[async_trait]
pub trait Subscriptions: Send + Sync {
    /// Saves `subscription`: a new one, or a new state of one (by its path).
    async fn save_subscription(&self, subscription: &Subscription) -> Result<(), StoreError>;

    /// The subscription whose callback path is `path`.
    async fn subscription(&self, path: &str) -> Result<Option<Subscription>, StoreError>;

    /// Every subscription, newest first.
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Forgets the subscription whose callback path is `path`.
    async fn forget_subscription(&self, path: &str) -> Result<(), StoreError>;
}

/// Every review in `store`, oldest first, handed to `each` a page at a time as it is read, so
/// an export never holds the table in memory (nor a lock, between pages). Stops at the first
/// error `each` returns (a closed pipe, say) and returns it.
pub async fn for_each_review(
    store: &dyn ReviewStore,
    mut each: impl FnMut(Review) -> std::io::Result<()>,
) -> Result<std::io::Result<()>, StoreError> {
    let mut after = i64::MIN;
    loop {
        let page = store
            .list(Query {
                visibility: Visibility::All,
                since: i64::MIN,
                after,
                limit: 500,
            })
            .await?;
        let Some(last) = page.last().map(|r| r.id) else {
            return Ok(Ok(()));
        };
        for review in page {
            if let Err(err) = each(review) {
                return Ok(Err(err));
            }
        }
        after = last;
    }
}

/// The store `spec` names: a `postgres://` (or `postgresql://`) URL, else an SQLite file.
pub async fn open(spec: &str) -> Result<Arc<dyn ReviewStore>, StoreError> {
    if is_postgres(spec) {
        Ok(Arc::new(postgres::PgStore::open(spec).await?))
    } else {
        let path = std::path::PathBuf::from(spec);
        let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Arc::new(store))
    }
}

/// Opens a store that must exist already, for the commands that read one: a mistyped
/// SQLite path is refused rather than created empty.
pub async fn open_existing(spec: &str) -> Result<Arc<dyn ReviewStore>, StoreError> {
    if !is_postgres(spec) && !std::path::Path::new(spec).is_file() {
        return Err(StoreError::Missing);
    }
    open(spec).await
}

/// A database URL without its password, for messages and logs.
pub fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &db[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &db[..scheme + 3], &db[at + 1..])
        }
        _ => db.to_owned(),
    }
}

/// Moves an SQLite file into an empty PostgreSQL database: upgrades the file's schema, then
/// copies every review (ids, keys and moderation kept) in one transaction, reading the file
/// a batch at a time. Returns how many reviews were copied.
pub async fn copy_to_postgres(from: &std::path::Path, to: &str) -> Result<u64, StoreError> {
    let target = postgres::PgStore::open(to).await?;
    let path = from.to_owned();
    let (send, batches) = tokio::sync::mpsc::channel(4);
    let reader = tokio::task::spawn_blocking(move || {
        let read = sqlite::read_for_copy(&path, &mut |batch| send.blocking_send(Ok(batch)).is_ok());
        if let Err(err) = read {
            let _ = send.blocking_send(Err(err));
        }
    });
    let copied = target.import(batches).await;
    let _ = reader.await;
    target.close().await;
    copied
}

/// Whether `spec` (a `--db` value) is a PostgreSQL URL rather than a file.
pub fn is_postgres(spec: &str) -> bool {
    let lower = spec.trim().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    /// Each file in `migrations/` is listed, in the order of its number: one put beside the
    /// others but not listed would never run.
    #[test]
    fn every_migration_file_is_listed_in_order() {
        let sqlite: Vec<&str> = super::sqlite::MIGRATIONS.iter().map(|s| s.sql).collect();
        for (dir, listed) in [
            ("sqlite", sqlite),
            ("postgres", super::postgres::MIGRATIONS.to_vec()),
        ] {
            let dir = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect();
            files.sort();
            assert_eq!(files.len(), listed.len(), "{dir}");
            for (n, (file, sql)) in files.iter().zip(listed).enumerate() {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                assert!(name.starts_with(&format!("{:03}_", n + 1)), "{name}");
                assert_eq!(std::fs::read_to_string(file).unwrap(), sql, "{name}");
            }
        }
    }
}
