//! Where reviews live: one interface, [`ReviewStore`], and two implementations with one
//! behaviour.
//!
//! - [`sqlite`]: one file, for one server (the default, and `make demo`). Writes are
//!   group-committed by one writer thread; the public summary and the honeypot's next id live
//!   in memory, since no other process writes the file.
//! - [`postgres`]: a PostgreSQL database shared by several stateless replicas behind a load
//!   balancer. PostgreSQL's own group commit batches the fsyncs; idempotency keys and the
//!   per-client rate limits hold across replicas because they live in the database.
//!
//! Either way a review is committed before its id is returned, so a 201 means it is on disk.
//! Each store applies its versioned migrations when it opens: an SQLite file written by an
//! earlier release upgrades in place, every review kept. One suite of behaviour tests
//! (`tests/store.rs`) runs against both.

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use std::sync::Arc;

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
    #[error("database error: {0}")]
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
}

impl StoreError {
    /// Whether the database is away rather than the request wrong: the client should retry.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Postgres(_))
    }
}

/// A validated review, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub rating: u8,
    pub comment: String,
    pub subject: String,
    pub page: String,
    pub key: Option<String>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Visible,
    Hidden,
    All,
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

/// The one interface both stores implement.
#[async_trait]
pub trait ReviewStore: Send + Sync {
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

    /// Counts one request against `key` in the window that starts at `window` (seconds
    /// since the epoch) and returns the count so far: rate limits that every replica sees.
    /// `None` where only one process serves (the limits are then kept in its memory).
    async fn count_hit(&self, key: &str, window: i64) -> Result<Option<i64>, StoreError>;

    /// A plausible id for the next review: what a honeypot answer shows a bot, with no
    /// database work.
    fn next_id(&self) -> i64;

    /// Stops taking reviews and waits until every one already accepted is committed.
    async fn close(&self);
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
