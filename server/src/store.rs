//! The review store: one SQLite file in WAL mode with `synchronous=FULL`, so a review is on
//! disk before its 201 goes out.
//!
//! Writes are group-committed: one writer thread takes every submission waiting in its queue,
//! stores them in one transaction and answers each only after the commit. Under load many
//! reviews share one fsync, so durable throughput grows with the load instead of paying one
//! fsync per review. Each review carries the client's idempotency key, so a retried
//! submission returns the id it already has instead of storing twice; keys are forgotten
//! after [`KEY_LIFETIME`] seconds, as the IETF idempotency-key draft allows.
//! Reads and moderation use a second connection, which WAL lets run beside the writer.
//! The public summary is kept in memory, current with every commit and every moderation,
//! so that answering it costs no query and waits on no lock the admin routes hold.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use tokio::sync::oneshot;

/// The most reviews one transaction takes.
const MAX_BATCH: usize = 256;
/// How long an idempotency key is remembered, in seconds: a day, long after any retry.
pub const KEY_LIFETIME: i64 = 24 * 60 * 60;
/// How often the writer forgets expired keys, in seconds.
const KEY_SWEEP: i64 = 60 * 60;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// SQLite would not switch to WAL (the file system may not support it).
    #[error("the database would not use WAL (journal mode {0})")]
    NotDurable(String),
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

/// A submission waiting for the writer, and where its answer goes.
struct Job {
    review: NewReview,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

/// The visible reviews' count and rating sum, kept current by every change.
#[derive(Debug, Default)]
struct Totals {
    count: i64,
    sum: i64,
}

/// The writer's queue, and a connection for reads and moderation.
pub struct Store {
    /// The largest id committed, kept by the writer, so no request has to ask SQLite.
    latest: std::sync::Arc<std::sync::atomic::AtomicI64>,
    totals: std::sync::Arc<Mutex<Totals>>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    reader: Mutex<Connection>,
}

/// Opens `path` with the durability settings every connection needs.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // Durability is the point of this store: refuse to run without WAL.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NotDurable(mode));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Store {
    /// Opens (or creates) the database at `path`, makes sure the schema exists, and starts
    /// the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS reviews (
                id         INTEGER PRIMARY KEY,
                key        TEXT UNIQUE,
                rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
                comment    TEXT NOT NULL,
                subject    TEXT NOT NULL,
                page       TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );",
        )?;
        // Databases from before moderation get the column; new ones are created with it.
        let has_hidden = conn
            .prepare("SELECT 1 FROM pragma_table_info('reviews') WHERE name = 'hidden'")?
            .exists([])?;
        if !has_hidden {
            conn.execute_batch(
                "ALTER TABLE reviews ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;",
            )?;
        }
        let reader = connect(path)?;
        let latest: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM reviews", [], |r| r.get(0))?;
        let latest = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(latest));
        let totals = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM reviews WHERE hidden = 0",
            [],
            |row| {
                Ok(Totals {
                    count: row.get(0)?,
                    sum: row.get(1)?,
                })
            },
        )?;
        let totals = std::sync::Arc::new(Mutex::new(totals));
        expire_keys(&conn, now())?;
        let (queue, jobs) = mpsc::channel::<Job>();
        let seen = latest.clone();
        let counted = totals.clone();
        let writer = std::thread::Builder::new()
            .name("review-writer".into())
            .spawn(move || write_batches(conn, jobs, &seen, &counted))
            .map_err(|_| StoreError::Closed)?;
        Ok(Self {
            latest,
            totals,
            queue: Mutex::new(Some(queue)),
            writer: Mutex::new(Some(writer)),
            reader: Mutex::new(reader),
        })
    }

    /// Stores `review` and returns its id once it is committed. A key seen before returns
    /// the earlier id when the content matches, and [`StoreError::KeyReused`] when it does not.
    pub async fn insert(&self, review: NewReview) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let queue = queue.as_ref().ok_or(StoreError::Closed)?;
            queue
                .send(Job { review, reply })
                .map_err(|_| StoreError::Closed)?;
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops taking reviews, and waits until every one already queued is committed.
    pub fn close(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of visible reviews and their average rating, from memory.
    pub fn summary(&self) -> Summary {
        let totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        Summary {
            count: totals.count,
            average: (totals.count > 0).then(|| totals.sum as f64 / totals.count as f64),
        }
    }

    /// Forgets the idempotency keys of reviews stored before `now - KEY_LIFETIME`: a
    /// submission with such a key is a new review. The writer does this every hour.
    pub fn expire_keys(&self, now: i64) -> Result<usize, StoreError> {
        expire_keys(&self.reader(), now)
    }

    /// The id the next review would likely get: what a honeypot answer shows a bot.
    /// Read from memory, so answering a bot costs no database work.
    pub fn next_id(&self) -> i64 {
        self.latest.load(std::sync::atomic::Ordering::Relaxed) + 1
    }

    /// One page of reviews, oldest first.
    pub fn list(&self, query: &Query) -> Result<Vec<Review>, StoreError> {
        let hidden = match query.visibility {
            Visibility::Visible => "hidden = 0",
            Visibility::Hidden => "hidden = 1",
            Visibility::All => "1",
        };
        let conn = self.reader();
        let mut statement = conn.prepare(&format!(
            "SELECT id, rating, comment, subject, page, created_at, hidden FROM reviews
             WHERE {hidden} AND created_at >= ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))?;
        let rows = statement.query_map(
            params![query.since, query.after, query.limit as i64],
            review_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Hides (or shows again) review `id`; `false` when there is no such review. The
    /// summary follows at once.
    pub fn set_hidden(&self, id: i64, hidden: bool) -> Result<bool, StoreError> {
        let conn = self.reader();
        let changed: Option<i64> = conn
            .query_row(
                "UPDATE reviews SET hidden = ?1 WHERE id = ?2 AND hidden <> ?1 RETURNING rating",
                params![hidden, id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(rating) = changed {
            let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
            let sign = if hidden { -1 } else { 1 };
            totals.count += sign;
            totals.sum += sign * rating;
            return Ok(true);
        }
        let exists = conn
            .prepare("SELECT 1 FROM reviews WHERE id = ?1")?
            .exists(params![id])?;
        Ok(exists)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

fn review_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    Ok(Review {
        id: row.get(0)?,
        rating: row.get(1)?,
        comment: row.get(2)?,
        subject: row.get(3)?,
        page: row.get(4)?,
        created_at: row.get(5)?,
        hidden: row.get(6)?,
    })
}

fn expire_keys(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE reviews SET key = NULL WHERE key IS NOT NULL AND created_at < ?1",
        params![now - KEY_LIFETIME],
    )?)
}

/// Every review in `path`, oldest first, handed to `each` one at a time as it is read (an
/// export never holds the table in memory); opens the file without writing to it. Stops at
/// the first error `each` returns (a closed pipe, say), and returns it.
pub fn for_each_review(
    path: &Path,
    mut each: impl FnMut(Review) -> std::io::Result<()>,
) -> Result<std::io::Result<()>, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_hidden = conn
        .prepare("SELECT 1 FROM pragma_table_info('reviews') WHERE name = 'hidden'")?
        .exists([])?;
    let hidden = if has_hidden { "hidden" } else { "0" };
    let mut statement = conn.prepare(&format!(
        "SELECT id, rating, comment, subject, page, created_at, {hidden} FROM reviews ORDER BY id"
    ))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        if let Err(err) = each(review_from_row(row)?) {
            return Ok(Err(err));
        }
    }
    Ok(Ok(()))
}

/// The writer thread: waits for a submission, takes every other one already waiting, stores
/// them all in one transaction, and answers each after the commit.
fn write_batches(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    latest: &std::sync::atomic::AtomicI64,
    totals: &Mutex<Totals>,
) {
    let mut swept = now();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match store_batch(&mut conn, &batch) {
            Ok(results) => {
                if let Some(max) = results.iter().filter_map(|r| r.as_ref().ok()).max() {
                    latest.fetch_max(max.0, std::sync::atomic::Ordering::Relaxed);
                }
                {
                    let mut totals = totals.lock().unwrap_or_else(|p| p.into_inner());
                    for (job, result) in batch.iter().zip(&results) {
                        if matches!(result, Ok((_, true))) {
                            totals.count += 1;
                            totals.sum += i64::from(job.review.rating);
                        }
                    }
                }
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result.map(|(id, _)| id));
                }
            }
            Err(err) => {
                eprintln!("newswire-server: a batch of reviews failed: {err}");
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Batch));
                }
            }
        }
        if now() - swept >= KEY_SWEEP {
            swept = now();
            if let Err(err) = expire_keys(&conn, swept) {
                eprintln!("newswire-server: forgetting old idempotency keys failed: {err}");
            }
        }
    }
}

/// A review's id, and whether this submission stored it (`false`: a retry of a stored one).
type Stored = (i64, bool);

/// One transaction for `batch`; each review's own outcome, valid only once it committed.
fn store_batch(
    conn: &mut Connection,
    batch: &[Job],
) -> rusqlite::Result<Vec<Result<Stored, StoreError>>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let created_at = now();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        results.push(insert_one(&tx, &job.review, created_at)?);
    }
    tx.commit()?;
    Ok(results)
}

fn insert_one(
    tx: &rusqlite::Transaction<'_>,
    review: &NewReview,
    created_at: i64,
) -> rusqlite::Result<Result<Stored, StoreError>> {
    let inserted = tx.execute(
        "INSERT INTO reviews (key, rating, comment, subject, page, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
        params![
            review.key,
            review.rating,
            review.comment,
            review.subject,
            review.page,
            created_at
        ],
    )?;
    if inserted == 1 {
        return Ok(Ok((tx.last_insert_rowid(), true)));
    }
    let earlier = tx
        .query_row(
            "SELECT id, rating, comment, subject, page FROM reviews WHERE key = ?1",
            params![review.key],
            |row| {
                let same = row.get::<_, u8>(1)? == review.rating
                    && row.get::<_, String>(2)? == review.comment
                    && row.get::<_, String>(3)? == review.subject
                    && row.get::<_, String>(4)? == review.page;
                Ok((row.get::<_, i64>(0)?, same))
            },
        )
        .optional()?;
    Ok(match earlier {
        Some((id, true)) => Ok((id, false)),
        _ => Err(StoreError::KeyReused),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(key: &str, rating: u8, comment: &str) -> NewReview {
        NewReview {
            rating,
            comment: comment.into(),
            subject: "lead-1".into(),
            page: "https://partner.example/".into(),
            key: Some(key.into()),
        }
    }

    fn fresh(name: &str) -> (Store, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("newswire-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reviews.db");
        (Store::open(&path).unwrap(), path)
    }

    #[tokio::test]
    async fn keys_are_forgotten_after_a_day_and_not_before() {
        // Assemble: one review, then its key reused for another.
        let (store, path) = fresh("keys");
        let first = store.insert(review("k1", 4, "first")).await.unwrap();
        assert!(matches!(
            store.insert(review("k1", 2, "other")).await,
            Err(StoreError::KeyReused)
        ));
        // Action: nothing expires within the day; then the review is a day and a bit old.
        assert_eq!(store.expire_keys(now()).unwrap(), 0);
        Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE reviews SET created_at = created_at - ?1",
                params![KEY_LIFETIME + 60],
            )
            .unwrap();
        assert_eq!(store.expire_keys(now()).unwrap(), 1);
        // Assert: the key now stores a new review; the old one is kept.
        let second = store.insert(review("k1", 2, "other")).await.unwrap();
        assert_ne!(first, second);
        assert_eq!(store.summary().count, 2);
    }

    #[tokio::test]
    async fn the_summary_follows_inserts_retries_and_moderation_and_survives_a_restart() {
        let (store, path) = fresh("summary");
        assert_eq!(
            store.summary(),
            Summary {
                count: 0,
                average: None
            }
        );
        let a = store.insert(review("a", 5, "")).await.unwrap();
        store.insert(review("b", 2, "")).await.unwrap();
        store.insert(review("b", 2, "")).await.unwrap();
        assert_eq!(
            store.summary(),
            Summary {
                count: 2,
                average: Some(3.5)
            }
        );
        assert!(store.set_hidden(a, true).unwrap());
        assert!(
            store.set_hidden(a, true).unwrap(),
            "hiding twice counts once"
        );
        assert_eq!(
            store.summary(),
            Summary {
                count: 1,
                average: Some(2.0)
            }
        );
        assert!(!store.set_hidden(999, true).unwrap());
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(
            again.summary(),
            Summary {
                count: 1,
                average: Some(2.0)
            }
        );
        assert!(again.set_hidden(a, false).unwrap());
        assert_eq!(
            again.summary(),
            Summary {
                count: 2,
                average: Some(3.5)
            }
        );
    }
}
