//! The PostgreSQL store, for several replicas behind a load balancer sharing one database.
//!
//! - **Durable before acknowledged, committed in groups.** Every session runs with
//!   `synchronous_commit = on`, and a review's id is returned only after its transaction has
//!   committed. One writer per replica stores the reviews waiting in one transaction (as the
//!   SQLite store does): a lone review goes at once, and those that arrive while a commit is
//!   in flight share the next one, in one multi-row INSERT (`write`, `commit`).
//! - **Idempotent across replicas.** `INSERT … ON CONFLICT (key) DO NOTHING RETURNING id`,
//!   and, for the keys it returns nothing for, a *second* statement reads the rows that hold
//!   them.
//!   Under Read Committed a single statement that tried both could see neither its own
//!   insert nor the other transaction's row (its snapshot predates the other's commit); the
//!   second statement takes a fresh snapshot, after the INSERT waited for the other
//!   transaction to finish. So the same key sent to two replicas at once stores one row and
//!   answers one id everywhere.
//! - **Rate limits across replicas.** Fixed windows counted in an UNLOGGED table: every
//!   replica adds to the same count, and losing the counts in a crash costs nothing. A
//!   review's hits are counted in its batch's statement (`writer.rs`), and the hits of
//!   requests that never reach the store in one upsert for those that arrive together
//!   (`count.rs`; both run `sql/windows.sql`);
//!   either way each hit gets its own number, so the limit stays exact.
//! - **The public summary without counting.** `review_counts` keeps the visible reviews per
//!   rating. Statement triggers on `reviews` keep it, once per statement (so once a batch)
//!   number of rows, in the statement's own transaction, for every writer there is (an
//!   older replica during a rolling deploy, or an operator's SQL too). Each session counts in
//!   a shard of its own (its backend pid modulo 16), so concurrent commits seldom wait on one
//!   row; the summary sums 80 rows and never scans the reviews. One refresh runs at a time
//!   per replica.
//! - **Down and back.** Each operation waits at most [`DEADLINE`] for a connection and an
//!   answer, then fails as [`StoreError::Unavailable`], which the API turns into a 503 with
//!   `Retry-After`. The pool makes new connections as soon as the database is back, so no
//!   restart is needed.
//! - **Migrations** run at start, in order, in one transaction under an advisory lock, so
//!   replicas that start together do not race; `schema_migrations` records each step.
//!
//! Here: the store, its pools and what its parts share; the queries of its interface in
//! `queries.rs`, the review writer in `writer.rs`, the counter of lone hits in `count.rs`,
//! and the feed's revisions, published and announced to every replica, in `revisions.rs`.

use crate::{now, Admitted, Hit, NewReview, Review, Reviews, StoreError, Summary, KEY_SWEEP};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest an operation waits for a connection and for its answer.
pub const DEADLINE: Duration = Duration::from_secs(3);
/// Connections per replica, for everything but the writer and the counter.
const POOL_SIZE: usize = 32;
/// The writer's and the counter's connections, whose statements time out on the server.
const WRITER_POOL: usize = 2;
/// How long the writer waits for a batch before it answers 503: longer than a
/// connection's wait, the server's timeout of the batch's statement and that of the SELECT
/// after it together, so that it gives up only on a database that stopped answering, not
/// on a statement that may yet commit.
pub(super) const BATCH_DEADLINE: Duration = Duration::from_secs(10);
/// The most reviews one transaction takes.
pub(super) const MAX_BATCH: usize = 256;
/// Reviews waiting for the writer at most; the review permits keep far fewer in flight.
const QUEUE: usize = 4096;

/// How long a replica reuses the summary it last read (its own writes refresh it at once).
pub(super) const SUMMARY_AGE: Duration = Duration::from_secs(1);
/// An arbitrary constant: the advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK: i64 = 0x6e65_7773_7769_7265;

/// The schema, one step per release that changed it: the files in `migrations/postgres/`,
/// in order (a test checks that each file there is listed).
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/001_reviews.sql"),
    include_str!("../../migrations/postgres/002_console.sql"),
    include_str!("../../migrations/postgres/003_review_counts.sql"),
    include_str!("../../migrations/postgres/004_rendered_views.sql"),
    include_str!("../../migrations/postgres/005_feed_revisions.sql"),
    include_str!("../../migrations/postgres/006_websub.sql"),
];

/// `$body` with a connection from the pool bound to `$client`, within the deadline
/// ([`PgStore::timed`]): the shape of almost every query here. A macro rather than a method
/// taking an async closure: thirteen of those, under `async_trait`'s `Send` checks, kept
/// rustc busy for minutes.
macro_rules! with_client {
    ($store:expr, |$client:ident| $body:block) => {
        $store.timed(async {
            let $client = $store.client().await?;
            $body
        })
    };
}

mod count;
mod listen;
mod queries;
mod revisions;
mod writer;

use count::{count, Tally};
use writer::{write, Job};

/// A pool of connections to one PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    /// The writer's and the counter's own connections (`statement_timeout` set).
    writers: Pool,
    /// The largest id this replica has seen, for the honeypot's answer.
    latest: AtomicI64,
    /// The summary this replica last read.
    summary: Mutex<Option<CachedSummary>>,
    /// Held by the one summary refresh in flight; it holds when the last refresh failed,
    /// so that the readers queued behind a failure do not each try again.
    refreshing: tokio::sync::Mutex<Option<Instant>>,
    /// Bumped by each of this replica's writes, so that a summary read before one is not
    /// kept after it.
    writes: AtomicU64,
    /// When this replica last forgot expired keys and old rate windows.
    swept: AtomicI64,
    /// The writer's queue: reviews that arrive while a commit is in flight go together in
    /// the next one.
    jobs: Queue<Job>,
    /// The counter's queue: hits that arrive while an upsert is in flight go together in
    /// the next one.
    hits: Queue<Tally>,
    /// The writer and the counter, for `close` to wait on.
    tasks: tokio::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// How the listener connects (`listen.rs`): started the first time a server asks what
    /// is announced, so that a command (`reviews export`) never listens.
    listener: (
        tokio_postgres::Config,
        tokio_postgres_rustls::MakeRustlsConnect,
    ),
    ear: std::sync::OnceLock<(std::sync::Arc<listen::Ear>, tokio::task::JoinHandle<()>)>,
}

/// Where a queued job's answer goes.
pub(super) type Reply<T> = tokio::sync::oneshot::Sender<Result<T, StoreError>>;

/// A queue feeding one of this replica's batch tasks (`None` once closed).
type Queue<J> = Mutex<Option<tokio::sync::mpsc::Sender<J>>>;

/// Queues the job that `make` builds around its reply channel and waits for the answer.
pub(super) async fn ask<J, T>(
    queue: &Queue<J>,
    make: impl FnOnce(Reply<T>) -> J,
) -> Result<T, StoreError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sender = queue
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or(StoreError::Closed)?;
    sender
        .send(make(reply))
        .await
        .map_err(|_| StoreError::Closed)?;
    answer.await.map_err(|_| StoreError::Closed)?
}

/// `work`, or [`StoreError::Unavailable`] once `deadline` has passed (a database that has
/// stopped answering, not only one that refuses connections, must not hold a request for
/// long), timed for the metrics.
pub(super) async fn within<T>(
    deadline: Duration,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let answer = tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| StoreError::Unavailable("no answer in time".into()));
    crate::observed(started.elapsed());
    answer?
}

/// Answers each job of a batch that did not commit as a lone job would be answered: 503
/// while the database is away or slow, 500 for anything else, which is logged once for the
/// batch rather than once per job.
pub(super) fn fail_all<T>(
    err: StoreError,
    what: &str,
    replies: impl IntoIterator<Item = Reply<T>>,
) {
    let err = failure(err, what);
    for reply in replies {
        let _ = reply.send(Err(err()));
    }
}

/// The error each job of a failed batch gets (see [`fail_all`]), made once a job.
pub(super) fn failure(err: StoreError, what: &str) -> impl Fn() -> StoreError {
    let why = match err {
        err if !err.is_unavailable() => {
            tracing::error!(error = %err, "{what}");
            None
        }
        StoreError::Unavailable(why) => Some(why),
        err => Some(with_causes(&err)),
    };
    move || match &why {
        Some(why) => StoreError::Unavailable(why.clone()),
        None => StoreError::Batch,
    }
}

/// `err` and each error beneath it: "error performing TLS handshake" alone would not say
/// that the certificate is for another host name.
pub(super) fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    // Beneath a PostgreSQL error is its DETAIL, which may quote a row: its own text stops
    // above that.
    if let Some(StoreError::Postgres(_)) = err.downcast_ref::<StoreError>() {
        return err.to_string();
    }
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = inner.source();
    }
    text
}

/// A pool of at most `size` connections made with `config`, each wait bounded by
/// [`DEADLINE`].
fn pool_of(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    size: usize,
) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(DEADLINE),
            create: Some(DEADLINE),
            recycle: Some(DEADLINE),
        })
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

impl PgStore {
    /// Connects to `url`, applies the migrations, and reads the largest id.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let (mut config, tls, _) = super::tls::connect_settings(url)?;
        // Durability is the point: never acknowledge a review the WAL has not flushed.
        config.options("-c synchronous_commit=on");
        config.connect_timeout(DEADLINE);
        config.application_name("newswire-server");
        let pool = pool_of(config.clone(), tls.clone(), POOL_SIZE)?;
        // The listener's own connection: named, so an operator (and a test) can tell it
        // apart, and kept alive both ways, so that the lead of a replica that vanished is
        // freed within about 25 s.
        let mut listener = config.clone();
        listener
            .application_name(format!("newswire-listen {}", std::process::id()))
            .options(
                "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
            )
            .keepalives_idle(Duration::from_secs(10));
        let listener = (listener, tls.clone());
        // The writer's statements end within the deadline on the server's side too: one the
        // writer stops waiting for must not commit later, after its reviews were told 503.
        config.options(format!(
            "-c synchronous_commit=on -c statement_timeout={}",
            DEADLINE.as_millis()
        ));
        let writers = pool_of(config, tls, WRITER_POOL)?;
        let store = PgStore {
            pool,
            writers,
            latest: AtomicI64::new(0),
            summary: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(None),
            writes: AtomicU64::new(0),
            swept: AtomicI64::new(0),
            jobs: Mutex::new(None),
            hits: Mutex::new(None),
            tasks: tokio::sync::Mutex::new(Vec::new()),
            listener,
            ear: std::sync::OnceLock::new(),
        };
        store.migrate().await?;
        let latest: i64 = store
            .timed(async {
                let client = store.client().await?;
                let row = client
                    .query_one("SELECT COALESCE(MAX(id), 0) FROM reviews", &[])
                    .await?;
                Ok(row.get(0))
            })
            .await?;
        store.latest.store(latest, Ordering::Relaxed);
        let (jobs, queue) = tokio::sync::mpsc::channel(QUEUE);
        *store.jobs.lock().unwrap_or_else(|p| p.into_inner()) = Some(jobs);
        let (hits, counted) = tokio::sync::mpsc::channel(QUEUE);
        *store.hits.lock().unwrap_or_else(|p| p.into_inner()) = Some(hits);
        *store.tasks.lock().await = vec![
            tokio::spawn(write(store.writers.clone(), queue)),
            tokio::spawn(count(store.writers.clone(), counted)),
        ];
        Ok(store)
    }

    /// The listener, started on first use (on the runtime of the caller).
    fn ear(&self) -> &std::sync::Arc<listen::Ear> {
        &self
            .ear
            .get_or_init(|| {
                let ear = std::sync::Arc::new(listen::Ear {
                    announced: tokio::sync::watch::Sender::new(0),
                    leading: tokio::sync::watch::Sender::new(false),
                });
                let (config, tls) = self.listener.clone();
                let task = tokio::spawn(listen::listen(config, tls, ear.clone()));
                (ear, task)
            })
            .0
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await?;
        let version: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .get(0);
        let known = MIGRATIONS.len() as i64;
        if i64::from(version) > known {
            return Err(StoreError::TooNew(version.into(), known));
        }
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&(step as i32 + 1)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(with_causes(&e)))
    }

    /// `work`, or [`StoreError::Unavailable`] once [`DEADLINE`] has passed: a database that
    /// has stopped answering (not only one that refuses connections) must not hold a
    /// request for long.
    async fn timed<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        within(DEADLINE * 2, work).await
    }

    /// Hands `review` and its `hits` to the writer and waits for the commit.
    async fn submit(&self, review: NewReview, hits: Vec<Hit>) -> Result<Admitted, StoreError> {
        self.sweep().await;
        let admitted = ask(&self.jobs, |reply| Job {
            review,
            hits,
            reply,
        })
        .await?;
        if let Admitted::Stored(id) = admitted {
            self.latest.fetch_max(id, Ordering::Relaxed);
            // This replica's readers see their own review counted at once.
            self.forget_summary();
        }
        Ok(admitted)
    }

    /// After a write: a summary read before it no longer answers for this replica's
    /// readers, who must see their own review counted.
    fn forget_summary(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// The cached summary, if it was read after this replica's `writes`th write and, unless
    /// `any_age`, within [`SUMMARY_AGE`].
    fn cached_summary(&self, writes: u64, any_age: bool) -> Option<Summary> {
        let cached = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|c| c.writes >= writes && (any_age || c.at.elapsed() < SUMMARY_AGE))
            .map(|c| c.summary.clone())
    }

    /// What a reader gets when no refresh can answer it: the last summary read, however
    /// old, else the database is away.
    fn last_summary(&self) -> Result<Summary, StoreError> {
        self.cached_summary(0, true)
            .ok_or_else(|| StoreError::Unavailable("the summary could not be read".into()))
    }

    /// Once an hour per replica: forget expired keys and finished rate windows.
    async fn sweep(&self) {
        let now = now();
        let last = self.swept.load(Ordering::Relaxed);
        if now - last < KEY_SWEEP
            || self
                .swept
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(err) = self.expire_keys(now).await {
            tracing::warn!(error = %err, "forgetting old idempotency keys failed");
        }
        let _ = with_client!(self, |client| {
            client
                .execute(
                    "DELETE FROM rate_windows WHERE window_start < $1",
                    &[&(now - 3600)],
                )
                .await?;
            Ok(())
        })
        .await;
    }
}

/// A summary as this replica read it: when, and after how many of its own writes.
pub(super) struct CachedSummary {
    at: Instant,
    writes: u64,
    summary: Summary,
}

/// One review as it is copied from SQLite: with its idempotency key and its partner site.
pub type Copied = (Review, Option<String>, String);

impl PgStore {
    /// Copies `batches` of reviews (ids, keys and moderation kept) into this database, which
    /// must hold no reviews yet, in one transaction: the copy is whole or nothing. Returns
    /// how many were copied.
    pub async fn import(
        &self,
        mut batches: tokio::sync::mpsc::Receiver<Result<Vec<Copied>, StoreError>>,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let held: bool = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM reviews)", &[])
            .await?
            .get(0);
        if held {
            return Err(StoreError::NotEmpty);
        }
        let mut copied = 0;
        while let Some(batch) = batches.recv().await {
            let batch = batch?;
            let column = |f: fn(&Copied) -> i64| batch.iter().map(f).collect::<Vec<i64>>();
            let text = |f: fn(&Copied) -> &str| {
                batch
                    .iter()
                    .map(|r| f(r).to_owned())
                    .collect::<Vec<String>>()
            };
            let ids = column(|(r, _, _)| r.id);
            let created = column(|(r, _, _)| r.created_at);
            let keys: Vec<Option<String>> = batch.iter().map(|(_, k, _)| k.clone()).collect();
            let ratings: Vec<i16> = batch.iter().map(|(r, _, _)| i16::from(r.rating)).collect();
            let hidden: Vec<bool> = batch.iter().map(|(r, _, _)| r.hidden).collect();
            copied += tx
                .execute(
                    "INSERT INTO reviews (id, key, rating, comment, subject, page, created_at, hidden, origin)
                     SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::SMALLINT[], $4::TEXT[],
                                          $5::TEXT[], $6::TEXT[], $7::BIGINT[], $8::BOOLEAN[],
                                          $9::TEXT[])",
                    &[
                        &ids,
                        &keys,
                        &ratings,
                        &text(|(r, _, _)| &r.comment),
                        &text(|(r, _, _)| &r.subject),
                        &text(|(r, _, _)| &r.page),
                        &created,
                        &hidden,
                        &text(|(_, _, partner)| partner),
                    ],
                )
                .await?;
        }
        // New reviews continue after the largest id copied.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('reviews', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM reviews",
            &[],
        )
        .await?;
        tx.commit().await?;
        Ok(copied)
    }
}
