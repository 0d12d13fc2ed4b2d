//! The review store: one SQLite file in WAL mode with `synchronous=FULL`, so a review is on
//! disk before its 201 goes out.
//!
//! Writes are group-committed: one writer thread takes every submission waiting in its queue,
//! stores them in one transaction and answers each only after the commit. Under load many
//! reviews share one fsync, so durable throughput grows with the load instead of paying one
//! fsync per review. Each review carries the client's idempotency key, so a retried
//! submission returns the id it already has instead of storing twice; keys are never purged.
//! Reads and moderation use a second connection, which WAL lets run beside the writer.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use tokio::sync::oneshot;

/// The most reviews one transaction takes.
const MAX_BATCH: usize = 256;

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

/// The writer's queue, and a connection for reads and moderation.
pub struct Store {
    /// The largest id committed, kept by the writer, so no request has to ask SQLite.
    latest: std::sync::Arc<std::sync::atomic::AtomicI64>,
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
        let (queue, jobs) = mpsc::channel::<Job>();
        let seen = latest.clone();
        let writer = std::thread::Builder::new()
            .name("review-writer".into())
            .spawn(move || write_batches(conn, jobs, &seen))
            .map_err(|_| StoreError::Closed)?;
        Ok(Self {
            latest,
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

    /// The number of visible reviews and their average rating.
    pub fn summary(&self) -> Result<Summary, StoreError> {
        let summary = self.reader().query_row(
            "SELECT COUNT(*), AVG(rating) FROM reviews WHERE hidden = 0",
            [],
            |row| {
                Ok(Summary {
                    count: row.get(0)?,
                    average: row.get(1)?,
                })
            },
        )?;
        Ok(summary)
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

    /// Hides (or shows again) review `id`; `false` when there is no such review.
    pub fn set_hidden(&self, id: i64, hidden: bool) -> Result<bool, StoreError> {
        let changed = self.reader().execute(
            "UPDATE reviews SET hidden = ?1 WHERE id = ?2",
            params![hidden, id],
        )?;
        Ok(changed == 1)
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

/// Every review in `path`, for export; opens the file without writing to it.
pub fn read_all(path: &Path) -> Result<Vec<Review>, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_hidden = conn
        .prepare("SELECT 1 FROM pragma_table_info('reviews') WHERE name = 'hidden'")?
        .exists([])?;
    let hidden = if has_hidden { "hidden" } else { "0" };
    let mut statement = conn.prepare(&format!(
        "SELECT id, rating, comment, subject, page, created_at, {hidden} FROM reviews ORDER BY id"
    ))?;
    let rows = statement.query_map([], review_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The writer thread: waits for a submission, takes every other one already waiting, stores
/// them all in one transaction, and answers each after the commit.
fn write_batches(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    latest: &std::sync::atomic::AtomicI64,
) {
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
                    latest.fetch_max(*max, std::sync::atomic::Ordering::Relaxed);
                }
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(err) => {
                eprintln!("newswire-server: a batch of reviews failed: {err}");
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Batch));
                }
            }
        }
    }
}

/// One transaction for `batch`; each review's own outcome, valid only once it committed.
fn store_batch(
    conn: &mut Connection,
    batch: &[Job],
) -> rusqlite::Result<Vec<Result<i64, StoreError>>> {
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
) -> rusqlite::Result<Result<i64, StoreError>> {
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
        return Ok(Ok(tx.last_insert_rowid()));
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
        Some((id, true)) => Ok(id),
        _ => Err(StoreError::KeyReused),
    })
}
