//! The review store: one SQLite file in WAL mode with `synchronous=FULL`, so a review is on
//! disk before its 201 goes out. Each review carries the client's idempotency key, so a
//! retried submission returns the id it already has instead of storing twice.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

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

/// The public aggregate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub count: i64,
    /// `null` while there are no reviews.
    pub average: Option<f64>,
}

/// The SQLite connection; writes are serialised by the mutex.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (or creates) the database at `path` and makes sure the schema exists.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        // Durability is the point of this store: refuse to run without WAL.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotDurable(mode));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
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
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Stores `review` and returns its id. A key seen before returns the earlier id when
    /// the content matches, and [`StoreError::KeyReused`] when it does not.
    pub fn insert(&self, review: &NewReview) -> Result<i64, StoreError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let inserted = conn.execute(
            "INSERT INTO reviews (key, rating, comment, subject, page, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
            params![
                review.key,
                review.rating,
                review.comment,
                review.subject,
                review.page,
                now
            ],
        )?;
        if inserted == 1 {
            return Ok(conn.last_insert_rowid());
        }
        let earlier = conn
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
        match earlier {
            Some((id, true)) => Ok(id),
            _ => Err(StoreError::KeyReused),
        }
    }

    /// The number of reviews and their average rating.
    pub fn summary(&self) -> Result<Summary, StoreError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let summary = conn.query_row("SELECT COUNT(*), AVG(rating) FROM reviews", [], |row| {
            Ok(Summary {
                count: row.get(0)?,
                average: row.get(1)?,
            })
        })?;
        Ok(summary)
    }
}
