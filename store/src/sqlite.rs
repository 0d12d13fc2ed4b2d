//! The SQLite store: one file in WAL mode with `synchronous=FULL`, so a review is on disk
//! before its 201 goes out.
//!
//! Writes are group-committed: one writer thread takes every submission waiting in its queue,
//! stores them in one transaction and answers each only after the commit. Under load many
//! reviews share one fsync, so durable throughput grows with the load instead of paying one
//! fsync per review. Each review carries the client's idempotency key, so a retried
//! submission returns the id it already has instead of storing twice; the writer forgets keys
//! older than [`KEY_LIFETIME`] every hour. Reads and moderation use a second connection, which
//! WAL lets run beside the writer. Only this process writes the file, so the public summary
//! and the next id are kept in memory, current with every commit and every moderation:
//! answering them costs no query and waits on no lock the admin routes hold.
//!
//! The schema is versioned with `PRAGMA user_version`: [`MIGRATIONS`] run in order when the
//! store opens, each in its own transaction, and a file from an earlier release upgrades in
//! place with every review kept.

use super::{
    contains_pattern, now, FeedRevisions, Filter, Group, NewReview, Published, Query, RateWindows,
    Review, ReviewStore, Reviews, Sessions, Stats, StoreError, Subscription, Subscriptions,
    Summary, ViewCounts, Views, Visibility, KEY_LIFETIME, KEY_SWEEP,
};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// The most reviews one transaction takes.
const MAX_BATCH: usize = 256;

/// One step of the schema: its SQL, a file in `migrations/sqlite/`, then what SQL alone
/// cannot do.
pub(crate) struct Step {
    pub sql: &'static str,
    then: Option<fn(&Connection) -> rusqlite::Result<()>>,
}

/// The schema, one step per release that changed it; step `n` brings a file to version `n`.
/// Version 0 is a file from before versioning: its table may lack `hidden`. (A test checks
/// that each file in `migrations/sqlite/` is listed.)
pub(crate) const MIGRATIONS: &[Step] = &[
    Step {
        sql: include_str!("../migrations/sqlite/001_reviews.sql"),
        then: Some(|conn| {
            // Files from before moderation get the column.
            let has_hidden = conn
                .prepare("SELECT 1 FROM pragma_table_info('reviews') WHERE name = 'hidden'")?
                .exists([])?;
            if !has_hidden {
                conn.execute_batch(
                    "ALTER TABLE reviews ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;",
                )?;
            }
            Ok(())
        }),
    },
    Step {
        sql: include_str!("../migrations/sqlite/002_created_at.sql"),
        then: None,
    },
    Step {
        sql: include_str!("../migrations/sqlite/003_console.sql"),
        // The origins of the reviews already stored, by the one rule (`origin_of`) that
        // SQLite's SQL could not repeat.
        then: Some(|conn| {
            let pages: Vec<(i64, String)> = conn
                .prepare("SELECT id, page FROM reviews")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut update = conn.prepare("UPDATE reviews SET origin = ?1 WHERE id = ?2")?;
            for (id, page) in pages {
                update.execute(params![super::origin_of(&page), id])?;
            }
            conn.execute_batch("CREATE INDEX reviews_origin ON reviews (origin);")
        }),
    },
    Step {
        sql: include_str!("../migrations/sqlite/004_rendered_views.sql"),
        then: None,
    },
    Step {
        sql: include_str!("../migrations/sqlite/005_feed_revisions.sql"),
        then: None,
    },
    Step {
        sql: include_str!("../migrations/sqlite/006_websub.sql"),
        then: None,
    },
];

/// Brings the file to the newest schema this release knows; refuses a newer one.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > known {
        return Err(StoreError::TooNew(version, known));
    }
    for (step, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql)?;
        if let Some(then) = migration.then {
            then(&tx)?;
        }
        tx.pragma_update(None, "user_version", step as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
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
pub struct SqliteStore {
    /// The largest id committed, kept by the writer, so no request has to ask SQLite.
    latest: Arc<std::sync::atomic::AtomicI64>,
    totals: Arc<Mutex<Totals>>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    reader: Arc<Mutex<Connection>>,
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

impl SqliteStore {
    /// Opens (or creates) the database at `path`, brings its schema up to date, and starts
    /// the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        let reader = connect(path)?;
        let latest: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM reviews", [], |r| r.get(0))?;
        let latest = Arc::new(std::sync::atomic::AtomicI64::new(latest));
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
        let totals = Arc::new(Mutex::new(totals));
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
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// Stops taking reviews, and waits until every one already queued is committed.
    fn stop(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }

    /// Runs `work` with the reader connection, off the async workers.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = self.reader.clone();
        let started = std::time::Instant::now();
        let done = tokio::task::spawn_blocking(move || {
            work(&reader.lock().unwrap_or_else(|p| p.into_inner()))
        })
        .await;
        crate::observed(started.elapsed());
        done.map_err(|_| StoreError::Closed)?
    }
}

#[async_trait]
impl Reviews for SqliteStore {
    async fn insert(&self, review: NewReview) -> Result<i64, StoreError> {
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

    /// From memory: no other process writes the file.
    async fn summary(&self) -> Result<Summary, StoreError> {
        let totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Summary::of(totals.count, totals.sum))
    }

    async fn list(&self, query: Query) -> Result<Vec<Review>, StoreError> {
        self.read(move |conn| {
            let hidden = match query.visibility {
                Visibility::Visible => "hidden = 0",
                Visibility::Hidden => "hidden = 1",
                Visibility::All => "1",
            };
            let mut statement = conn.prepare(&format!(
                "SELECT id, rating, comment, subject, page, created_at, hidden FROM reviews
                 WHERE {hidden} AND created_at >= ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            ))?;
            let rows = statement.query_map(
                params![query.since, query.after, query.limit as i64],
                review_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// The summary follows at once.
    async fn set_hidden(&self, id: i64, hidden: bool) -> Result<bool, StoreError> {
        let totals = self.totals.clone();
        self.read(move |conn| {
            let changed: Option<i64> = conn
                .query_row(
                    "UPDATE reviews SET hidden = ?1 WHERE id = ?2 AND hidden <> ?1 RETURNING rating",
                    params![hidden, id],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(rating) = changed {
                let mut totals = totals.lock().unwrap_or_else(|p| p.into_inner());
                let sign = if hidden { -1 } else { 1 };
                totals.count += sign;
                totals.sum += sign * rating;
                return Ok(true);
            }
            let exists = conn
                .prepare("SELECT 1 FROM reviews WHERE id = ?1")?
                .exists(params![id])?;
            Ok(exists)
        })
        .await
    }

    async fn expire_keys(&self, now: i64) -> Result<u64, StoreError> {
        self.read(move |conn| expire_keys(conn, now)).await
    }

    fn next_id(&self) -> i64 {
        self.latest.load(std::sync::atomic::Ordering::Relaxed) + 1
    }

    async fn find(
        &self,
        filter: Filter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Review>, StoreError> {
        self.read(move |conn| {
            let hidden = match filter.visibility {
                Visibility::Visible => "hidden = 0",
                Visibility::Hidden => "hidden = 1",
                Visibility::All => "1",
            };
            let mut statement = conn.prepare(&format!(
                "SELECT id, rating, comment, subject, page, created_at, hidden FROM reviews
                 WHERE {hidden}
                   AND (?1 IS NULL OR rating = ?1)
                   AND (?2 IS NULL OR created_at >= ?2)
                   AND (?3 IS NULL OR created_at < ?3)
                   AND (?4 IS NULL OR origin = ?4)
                   AND (?5 IS NULL OR subject = ?5)
                   AND (?6 IS NULL OR comment LIKE ?6 ESCAPE '\\')
                   AND (?7 IS NULL OR id < ?7)
                 ORDER BY id DESC LIMIT ?8"
            ))?;
            let rows = statement.query_map(
                params![
                    filter.rating,
                    filter.from,
                    filter.to,
                    filter.partner,
                    filter.story,
                    filter.text.as_deref().map(contains_pattern),
                    before,
                    limit as i64
                ],
                review_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn stats(&self, since_day: i64) -> Result<Stats, StoreError> {
        self.read(move |conn| {
            let mut stats = conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(hidden), 0), AVG(rating) FROM reviews",
                [],
                |r| {
                    Ok(Stats {
                        count: r.get(0)?,
                        hidden: r.get(1)?,
                        average: r.get(2)?,
                        ..Stats::default()
                    })
                },
            )?;
            let mut ratings =
                conn.prepare("SELECT rating, COUNT(*) FROM reviews GROUP BY rating")?;
            for row in ratings.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
                let (rating, count) = row?;
                if let Some(slot) = stats.ratings.get_mut((rating - 1) as usize) {
                    *slot = count;
                }
            }
            stats.per_day = conn
                .prepare(
                    "SELECT created_at / 86400 AS day, COUNT(*) FROM reviews
                     WHERE created_at >= ?1 GROUP BY day ORDER BY day",
                )?
                .query_map(params![since_day * 86_400], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let group = |column: &str| -> Result<Vec<Group>, StoreError> {
                let mut statement = conn.prepare(&format!(
                    "SELECT {column}, COUNT(*), AVG(rating), MAX(created_at) FROM reviews
                     GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 100"
                ))?;
                let rows = statement.query_map([], |r| {
                    Ok(Group {
                        name: r.get(0)?,
                        count: r.get(1)?,
                        average: r.get(2)?,
                        last: r.get(3)?,
                    })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            };
            stats.partners = group("origin")?;
            stats.stories = group("subject")?;
            Ok(stats)
        })
        .await
    }
}

#[async_trait]
impl Sessions for SqliteStore {
    async fn start_session(&self, id: &str, csrf: &str, expires: i64) -> Result<(), StoreError> {
        let (id, csrf) = (id.to_owned(), csrf.to_owned());
        self.read(move |conn| {
            // Sessions nobody signed out of end here, when they have expired.
            conn.execute(
                "DELETE FROM admin_sessions WHERE expires <= ?1",
                params![now()],
            )?;
            conn.execute(
                "INSERT INTO admin_sessions (id, csrf, expires) VALUES (?1, ?2, ?3)",
                params![id, csrf, expires],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT csrf FROM admin_sessions WHERE id = ?1 AND expires > ?2",
                    params![id, now],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn end_session(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.execute(
                "DELETE FROM admin_sessions WHERE id = ?1 OR expires <= ?2",
                params![id, now],
            )?;
            Ok(())
        })
        .await
    }

    async fn sessions(&self, now: i64) -> Result<u64, StoreError> {
        self.read(move |conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM admin_sessions WHERE expires > ?1",
                [now],
                |row| row.get::<_, i64>(0),
            )? as u64)
        })
        .await
    }
}

#[async_trait]
impl RateWindows for SqliteStore {
    /// One process: the limits live in its memory.
    async fn count_hit(&self, _key: &str, _window: i64) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }
}

#[async_trait]
impl ViewCounts for SqliteStore {
    async fn add_views(&self, views: Vec<Views>) -> Result<(), StoreError> {
        self.read(move |conn| {
            // One transaction: all the counts, or none (and the caller keeps them).
            let tx = conn.unchecked_transaction()?;
            {
                let mut statement = tx.prepare(
                    "INSERT INTO widget_views (origin, day, feed, widget, rendered)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (origin, day)
                     DO UPDATE SET feed = feed + excluded.feed, widget = widget + excluded.widget,
                                   rendered = rendered + excluded.rendered",
                )?;
                for v in views {
                    statement.execute(params![v.origin, v.day, v.feed, v.widget, v.rendered])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn views(&self, since_day: i64) -> Result<Vec<Views>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare(
                "SELECT origin, day, feed, widget, rendered FROM (
                     SELECT origin, day, feed, widget, rendered, ROW_NUMBER() OVER (
                         PARTITION BY day ORDER BY feed + widget + rendered DESC, origin) AS n
                     FROM widget_views WHERE day >= ?1)
                 WHERE n <= ?2 ORDER BY day DESC, feed + widget + rendered DESC, origin",
            )?;
            let rows = statement.query_map(params![since_day, super::MAX_VIEWS_PER_DAY], |r| {
                Ok(Views {
                    origin: r.get(0)?,
                    day: r.get(1)?,
                    feed: r.get(2)?,
                    widget: r.get(3)?,
                    rendered: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

#[async_trait]
impl FeedRevisions for SqliteStore {
    async fn publish_feed(&self, etag: &str, body: &[u8]) -> Result<i64, StoreError> {
        let (etag, body) = (etag.to_owned(), body.to_vec());
        self.read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let latest: Option<(i64, String)> = tx
                .query_row(
                    "SELECT revision, etag FROM feed_revisions ORDER BY revision DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((revision, _)) = latest.filter(|(_, latest)| *latest == etag) {
                return Ok(revision);
            }
            tx.execute(
                "INSERT INTO feed_revisions (etag, body, published_at) VALUES (?1, ?2, ?3)",
                params![etag, body, now()],
            )?;
            let revision = tx.last_insert_rowid();
            tx.execute(
                "DELETE FROM feed_revisions WHERE revision <= ?1",
                [revision - crate::FEEDS_KEPT],
            )?;
            tx.commit()?;
            Ok(revision)
        })
        .await
    }

    async fn latest_feed(&self) -> Result<Option<Published>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT revision, etag, body FROM feed_revisions
                     ORDER BY revision DESC LIMIT 1",
                    [],
                    |r| {
                        Ok(Published {
                            revision: r.get(0)?,
                            etag: r.get(1)?,
                            body: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }
}

/// A row of `websub_subscriptions`, in its columns' order.
const SUBSCRIPTION_COLUMNS: &str = "path, hub, topic, secret, state, lease, expires";

fn subscription_of(r: &rusqlite::Row) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        path: r.get(0)?,
        hub: r.get(1)?,
        topic: r.get(2)?,
        secret: r.get(3)?,
        state: r.get(4)?,
        lease: r.get(5)?,
        expires: r.get(6)?,
    })
}

#[async_trait]
impl Subscriptions for SqliteStore {
    async fn save_subscription(&self, subscription: &Subscription) -> Result<(), StoreError> {
        let s = subscription.clone();
        self.read(move |conn| {
            conn.execute(
                "INSERT INTO websub_subscriptions
                     (path, hub, topic, secret, state, lease, expires, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (path) DO UPDATE SET state = excluded.state,
                     lease = excluded.lease, expires = excluded.expires",
                params![
                    s.path,
                    s.hub,
                    s.topic,
                    s.secret,
                    s.state,
                    s.lease,
                    s.expires,
                    now()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn subscription(&self, path: &str) -> Result<Option<Subscription>, StoreError> {
        let path = path.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE path = ?1"
                    ),
                    [path],
                    subscription_of,
                )
                .optional()?)
        })
        .await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions
                     ORDER BY created_at DESC, path"
                ))?
                .query_map([], subscription_of)?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn forget_subscription(&self, path: &str) -> Result<(), StoreError> {
        let path = path.to_owned();
        self.read(move |conn| {
            conn.execute("DELETE FROM websub_subscriptions WHERE path = ?1", [path])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn close(&self) {
        self.stop();
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.stop();
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

fn expire_keys(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    Ok(conn.execute(
        "UPDATE reviews SET key = NULL WHERE key IS NOT NULL AND created_at < ?1",
        params![now - KEY_LIFETIME],
    )? as u64)
}

/// Opens the file at `path`, brings its schema up to date, and hands every review (with its
/// key) to `batch`, a thousand at a time in id order, until it returns `false`.
pub fn read_for_copy(
    path: &Path,
    batch: &mut dyn FnMut(Vec<super::postgres::Copied>) -> bool,
) -> Result<(), StoreError> {
    let mut conn = connect(path)?;
    migrate(&mut conn)?;
    let mut statement = conn.prepare(
        "SELECT id, rating, comment, subject, page, created_at, hidden, key, origin FROM reviews ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    let mut pending = Vec::with_capacity(1000);
    while let Some(row) = rows.next()? {
        pending.push((review_from_row(row)?, row.get(7)?, row.get(8)?));
        if pending.len() == 1000 && !batch(std::mem::take(&mut pending)) {
            return Ok(());
        }
    }
    if !pending.is_empty() {
        batch(pending);
    }
    Ok(())
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
                    let mut new = 0;
                    for (job, result) in batch.iter().zip(&results) {
                        if matches!(result, Ok((_, true))) {
                            totals.count += 1;
                            totals.sum += i64::from(job.review.rating);
                            new += 1;
                        }
                    }
                    crate::committed(new);
                }
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result.map(|(id, _)| id));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "a batch of reviews failed");
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Batch));
                }
            }
        }
        if now() - swept >= KEY_SWEEP {
            swept = now();
            if let Err(err) = expire_keys(&conn, swept) {
                tracing::warn!(error = %err, "forgetting old idempotency keys failed");
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
        "INSERT INTO reviews (key, rating, comment, subject, page, created_at, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING",
        params![
            review.key,
            review.rating,
            review.comment,
            review.subject,
            review.page,
            review.at.unwrap_or(created_at),
            review.partner,
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
