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
//!   review's hits are counted in its batch's statement (`commit`), and the hits of requests
//!   that never reach the store in one upsert for those that arrive together (`count`);
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

use super::{
    contains_pattern, now, Admitted, Filter, Group, Hit, NewReview, Query, RateWindows, Review,
    ReviewStore, Reviews, Sessions, Stats, StoreError, Summary, ViewCounts, Views, Visibility,
    KEY_LIFETIME, KEY_SWEEP,
};
use async_trait::async_trait;
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
const BATCH_DEADLINE: Duration = Duration::from_secs(10);
/// The most reviews one transaction takes.
const MAX_BATCH: usize = 256;
/// Reviews waiting for the writer at most; the review permits keep far fewer in flight.
const QUEUE: usize = 4096;

/// How long a replica reuses the summary it last read (its own writes refresh it at once).
const SUMMARY_AGE: Duration = Duration::from_secs(1);
/// An arbitrary constant: the advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK: i64 = 0x6e65_7773_7769_7265;

/// The schema, one step per release that changed it: the files in `migrations/postgres/`,
/// in order (a test checks that each file there is listed).
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/001_reviews.sql"),
    include_str!("migrations/postgres/002_console.sql"),
    include_str!("migrations/postgres/003_review_counts.sql"),
    include_str!("migrations/postgres/004_rendered_views.sql"),
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
}

/// A review waiting for the writer, with the rate windows it counts in, and where its
/// answer goes.
struct Job {
    review: NewReview,
    hits: Vec<Hit>,
    reply: Reply<Admitted>,
}

/// A request counted in a shared rate window, waiting for the counter, and where its hit
/// number goes.
struct Tally {
    key: String,
    window: i64,
    reply: Reply<i64>,
}

/// Where a queued job's answer goes.
type Reply<T> = tokio::sync::oneshot::Sender<Result<T, StoreError>>;

/// A queue feeding one of this replica's batch tasks (`None` once closed).
type Queue<J> = Mutex<Option<tokio::sync::mpsc::Sender<J>>>;

/// Queues the job that `make` builds around its reply channel and waits for the answer.
async fn ask<J, T>(queue: &Queue<J>, make: impl FnOnce(Reply<T>) -> J) -> Result<T, StoreError> {
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
async fn within<T>(
    deadline: Duration,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let answer = tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| StoreError::Unavailable("no answer in time".into()));
    crate::net::metrics::metrics().store_query(started.elapsed());
    answer?
}

/// Answers each job of a batch that did not commit as a lone job would be answered: 503
/// while the database is away or slow, 500 for anything else, which is logged once for the
/// batch rather than once per job.
fn fail_all<T>(err: StoreError, what: &str, replies: impl IntoIterator<Item = Reply<T>>) {
    let err = failure(err, what);
    for reply in replies {
        let _ = reply.send(Err(err()));
    }
}

/// The error each job of a failed batch gets (see [`fail_all`]), made once a job.
fn failure(err: StoreError, what: &str) -> impl Fn() -> StoreError {
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

/// Adds hits to their rate windows, the windows in key order (so that two replicas' upserts
/// lock the rows they share in the same order), and returns each window's new total: `$1`
/// the windows' keys, `$2` their starts, `$3` the hits to add. A macro, so that the review
/// batch's statement can hold the same text as a CTE.
macro_rules! add_to_windows {
    () => {
        "INSERT INTO rate_windows (key, window_start, hits)
         SELECT key, window_start, hits
         FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[]) AS h (key, window_start, hits)
         ORDER BY key, window_start
         ON CONFLICT (key, window_start)
         DO UPDATE SET hits = rate_windows.hits + EXCLUDED.hits
         RETURNING key, window_start, hits"
    };
}

/// Group commit, as the SQLite store has it: the writer takes every review waiting, stores
/// them in one transaction and answers each only after it has committed (with
/// `synchronous_commit=on`). A lone review goes at once; those that arrive meanwhile share
/// the next commit, and its one WAL flush.
async fn write(pool: Pool, mut jobs: tokio::sync::mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match within(BATCH_DEADLINE, commit(&pool, &batch)).await {
            Ok(answers) => {
                for (job, answer) in batch.drain(..).zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            // None of the batch is stored: the transaction did not commit.
            Err(err) => fail_all(
                err,
                "a batch of reviews was not stored",
                batch.drain(..).map(|job| job.reply),
            ),
        }
    }
}

/// Stores `batch` in one statement, a transaction of its own (so the batch costs one round
/// trip and one WAL flush, as a lone one-row INSERT does), which:
/// 1. counts the batch's hits in their rate windows, one upsert row a window, the windows
///    in key order; each review's hits are numbered within their window's new total in
///    batch order, exactly as one upsert a review would number them;
/// 2. inserts the reviews none of whose hits is over its limit, their rows taken in key
///    order. Windows first, then keys, each in order: two replicas' batches wait on each
///    other's rows in the same order and never deadlock. The statement triggers that keep
///    the summary's counters run once for the batch.
///
/// Then, after that commit, one SELECT for the keys that were there already. Each review's
/// answer: its new id; the id its key has when the content matches (a retry); the windows
/// it is over; or [`StoreError::KeyReused`], which fails that review alone. An error before
/// the commit fails the whole batch, none of it stored; one in the SELECT fails only the
/// reviews that were waiting on it.
async fn commit(
    pool: &Pool,
    batch: &[Job],
) -> Result<Vec<Result<Admitted, StoreError>>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Unavailable(with_causes(&e)))?;
    // `n` breaks ties: of a key sent twice in one batch, the first review is stored. The
    // COUNT of `counted`, evaluated once before the first row whatever the plan, finishes
    // the windows' upsert before any review is inserted: windows first, then keys.
    let statement = client
        .prepare_cached(concat!(
            "WITH counted AS (",
            add_to_windows!(),
            "), over AS (
                 SELECT q.n
                 FROM UNNEST($11::BIGINT[], $12::TEXT[], $13::BIGINT[], $14::BIGINT[])
                      AS q (n, key, window_start, most)
                 JOIN counted c USING (key, window_start)
                 WHERE c.hits > q.most
             ), stored AS (
                 INSERT INTO reviews (key, rating, comment, subject, page, created_at, origin)
                 SELECT key, rating, comment, subject, page, created_at, origin
                 FROM UNNEST($4::TEXT[], $5::SMALLINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                             $9::BIGINT[], $10::TEXT[])
                      WITH ORDINALITY AS r (key, rating, comment, subject, page, created_at,
                                            origin, n)
                 WHERE (SELECT COUNT(*) FROM counted) >= 0 AND r.n NOT IN (SELECT n FROM over)
                 ORDER BY key, n
                 ON CONFLICT (key) DO NOTHING RETURNING id, key
             )
             SELECT FALSE, key, window_start, hits FROM counted
             UNION ALL SELECT TRUE, key, id, 0 FROM stored",
        ))
        .await?;
    let now = now();
    let reviews: Vec<&NewReview> = batch.iter().map(|job| &job.review).collect();
    let text = |f: fn(&NewReview) -> &str| reviews.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let keys: Vec<Option<&str>> = reviews.iter().map(|r| r.key.as_deref()).collect();
    let ratings: Vec<i16> = reviews.iter().map(|r| i16::from(r.rating)).collect();
    let times: Vec<i64> = reviews.iter().map(|r| r.at.unwrap_or(now)).collect();
    // Each window's hits in this batch; then each hit's highest allowed total: the window
    // may hold `limit` hits, and this one is the `rank`th of the batch's `k` there.
    let mut windows: std::collections::BTreeMap<(&str, i64), i64> = Default::default();
    for hit in batch.iter().flat_map(|job| &job.hits) {
        *windows.entry((hit.key.as_str(), hit.window)).or_default() += 1;
    }
    let mut ranks: std::collections::HashMap<(&str, i64), i64> = Default::default();
    let mut limits = Vec::new();
    for (n, job) in batch.iter().enumerate() {
        for hit in &job.hits {
            let place = (hit.key.as_str(), hit.window);
            let rank = ranks.entry(place).or_default();
            *rank += 1;
            let most = hit.limit + windows[&place] - *rank;
            limits.push((n, hit, most));
        }
    }
    let rows = client
        .query(
            &statement,
            &[
                &windows.keys().map(|w| w.0).collect::<Vec<&str>>(),
                &windows.keys().map(|w| w.1).collect::<Vec<i64>>(),
                &windows.values().copied().collect::<Vec<i64>>(),
                &keys,
                &ratings,
                &text(|r| &r.comment),
                &text(|r| &r.subject),
                &text(|r| &r.page),
                &times,
                &text(|r| &r.partner),
                &limits
                    .iter()
                    .map(|(n, _, _)| *n as i64 + 1)
                    .collect::<Vec<i64>>(),
                &limits
                    .iter()
                    .map(|(_, hit, _)| hit.key.as_str())
                    .collect::<Vec<&str>>(),
                &limits
                    .iter()
                    .map(|(_, hit, _)| hit.window)
                    .collect::<Vec<i64>>(),
                &limits
                    .iter()
                    .map(|(_, _, most)| *most)
                    .collect::<Vec<i64>>(),
            ],
        )
        .await?;
    let mut totals = std::collections::HashMap::new();
    let mut ids = std::collections::HashMap::new();
    // Reviews without a key are always stored, in batch order (keys sort nulls last), so
    // their ids ascend in that order.
    let mut unkeyed = Vec::new();
    for row in rows {
        let key: Option<String> = row.get(1);
        match (row.get::<_, bool>(0), key) {
            (false, Some(key)) => {
                totals.insert((key, row.get::<_, i64>(2)), row.get::<_, i64>(3));
            }
            (true, Some(key)) => {
                ids.insert(key, row.get::<_, i64>(2));
            }
            (true, None) => unkeyed.push(row.get::<_, i64>(2)),
            (false, None) => {}
        }
    }
    unkeyed.sort_unstable();
    let mut unkeyed = unkeyed.into_iter();
    // The windows each review is over, decided as the statement decided it.
    let mut over: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    for (n, hit, most) in &limits {
        if totals
            .get(&(hit.key.clone(), hit.window))
            .is_some_and(|total| total > most)
        {
            over[*n].push(hit.key.clone());
        }
    }
    let mut answers: Vec<Option<Result<Admitted, StoreError>>> =
        (0..batch.len()).map(|_| None).collect();
    let mut taken = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        if !over[n].is_empty() {
            answers[n] = Some(Ok(Admitted::Limited(std::mem::take(&mut over[n]))));
            continue;
        }
        match key {
            None => answers[n] = unkeyed.next().map(|id| Ok(Admitted::Stored(id))),
            // The first review with the key took the row.
            Some(key) => match ids.remove(*key) {
                Some(id) => answers[n] = Some(Ok(Admitted::Stored(id))),
                None => taken.push(n),
            },
        }
    }
    if !taken.is_empty() {
        // A second statement, with a snapshot taken after the conflicting rows'
        // transactions committed (and the batch's own, for a key twice in it).
        let wanted: Vec<&str> = taken.iter().filter_map(|&n| keys[n]).collect();
        let earlier = async {
            let select = client
                .prepare_cached(
                    "SELECT key, id, rating, comment, subject, page FROM reviews
                     WHERE key = ANY($1)",
                )
                .await?;
            Ok::<_, StoreError>(client.query(&select, &[&wanted]).await?)
        };
        let earlier: std::collections::HashMap<String, tokio_postgres::Row> = match earlier.await {
            Ok(rows) => rows.into_iter().map(|row| (row.get(0), row)).collect(),
            Err(err) => {
                let err = failure(err, "stored keys could not be read");
                for &n in &taken {
                    answers[n] = Some(Err(err()));
                }
                return Ok(finish(answers));
            }
        };
        for n in taken {
            let review = reviews[n];
            let row = keys[n].and_then(|key| earlier.get(key));
            answers[n] = Some(match row {
                Some(row)
                    if row.get::<_, i16>(2) == i16::from(review.rating)
                        && row.get::<_, &str>(3) == review.comment
                        && row.get::<_, &str>(4) == review.subject
                        && row.get::<_, &str>(5) == review.page =>
                {
                    Ok(Admitted::Stored(row.get(1)))
                }
                // Expired meanwhile, or a different review.
                _ => Err(StoreError::KeyReused),
            });
        }
    }
    Ok(finish(answers))
}

/// Each review's answer; one that has none was lost track of (never expected).
fn finish(answers: Vec<Option<Result<Admitted, StoreError>>>) -> Vec<Result<Admitted, StoreError>> {
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or(Err(StoreError::Batch)))
        .collect()
}

/// Counts the hits waiting in shared rate windows (of requests that never reach the store:
/// reviews count in their batch), one statement for them all: the writes a flood of them
/// costs the database grow with the number of batches, not of requests. The limit stays
/// exact across replicas: each window's count is added to atomically and every hit gets its own number, as one upsert a request would give it.
async fn count(pool: Pool, mut hits: tokio::sync::mpsc::Receiver<Tally>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while hits.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut windows: std::collections::BTreeMap<(String, i64), Vec<Reply<i64>>> =
            Default::default();
        for hit in batch.drain(..) {
            windows
                .entry((hit.key, hit.window))
                .or_default()
                .push(hit.reply);
        }
        match within(BATCH_DEADLINE, add_hits(&pool, &windows)).await {
            Ok(mut totals) => {
                for (window, replies) in windows {
                    let Some(total) = totals.remove(&window) else {
                        fail_all(StoreError::Batch, "a rate window was not counted", replies);
                        continue;
                    };
                    let first = total - replies.len() as i64;
                    for (n, reply) in replies.into_iter().enumerate() {
                        let _ = reply.send(Ok(first + n as i64 + 1));
                    }
                }
            }
            Err(err) => fail_all(
                err,
                "rate windows were not counted",
                windows.into_values().flatten(),
            ),
        }
    }
}

/// Adds each window's hits in one upsert (`add_to_windows!`); each window's total.
async fn add_hits(
    pool: &Pool,
    windows: &std::collections::BTreeMap<(String, i64), Vec<Reply<i64>>>,
) -> Result<std::collections::HashMap<(String, i64), i64>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Unavailable(with_causes(&e)))?;
    let upsert = client.prepare_cached(add_to_windows!()).await?;
    let keys: Vec<&str> = windows.keys().map(|(key, _)| key.as_str()).collect();
    let starts: Vec<i64> = windows.keys().map(|(_, start)| *start).collect();
    let counts: Vec<i64> = windows.values().map(|r| r.len() as i64).collect();
    Ok(client
        .query(&upsert, &[&keys, &starts, &counts])
        .await?
        .into_iter()
        .map(|row| ((row.get(0), row.get(1)), row.get(2)))
        .collect())
}

/// `err` and each error beneath it: "error performing TLS handshake" alone would not say
/// that the certificate is for another host name.
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
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
struct CachedSummary {
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

fn review_from_row(row: &tokio_postgres::Row) -> Review {
    Review {
        id: row.get(0),
        rating: u8::try_from(row.get::<_, i16>(1)).unwrap_or_default(),
        comment: row.get(2),
        subject: row.get(3),
        page: row.get(4),
        created_at: row.get(5),
        hidden: row.get(6),
    }
}

#[async_trait]
impl Reviews for PgStore {
    async fn insert(&self, review: NewReview) -> Result<i64, StoreError> {
        match self.submit(review, Vec::new()).await? {
            Admitted::Stored(id) => Ok(id),
            // (No hits, no limits.)
            Admitted::Limited(_) => Err(StoreError::Batch),
        }
    }

    /// Read at most once a second per replica (and again after each of its own writes), from
    /// the counter rows, with one refresh in flight at a time: readers that come while one
    /// runs get the last value, unless this replica has written since it was read; those
    /// wait for the refresh and are all answered by it.
    async fn summary(&self) -> Result<Summary, StoreError> {
        let writes = self.writes.load(Ordering::SeqCst);
        if let Some(summary) = self.cached_summary(writes, false) {
            return Ok(summary);
        }
        let mut refreshing = match self.refreshing.try_lock() {
            Ok(guard) => guard,
            Err(_) => match self.cached_summary(writes, true) {
                Some(summary) => return Ok(summary),
                // Waiting is bounded: a database that has stopped answering must not queue
                // every reader of every page behind it.
                None => match tokio::time::timeout(DEADLINE, self.refreshing.lock()).await {
                    Ok(guard) => guard,
                    Err(_) => return self.last_summary(),
                },
            },
        };
        // A refresh that finished while this one waited may answer it.
        if let Some(summary) = self.cached_summary(writes, false) {
            return Ok(summary);
        }
        // One that failed a moment ago answers it too: the database is away.
        if refreshing.is_some_and(|failed| failed.elapsed() < SUMMARY_AGE) {
            return self.last_summary();
        }
        let started = self.writes.load(Ordering::SeqCst);
        let read = with_client!(self, |client| {
            let row = client
                .query_one(
                    "SELECT COALESCE(SUM(visible), 0)::BIGINT,
                                COALESCE(SUM(visible * rating), 0)::BIGINT FROM review_counts",
                    &[],
                )
                .await?;
            Ok(Summary::of(row.get(0), row.get(1)))
        })
        .await;
        *refreshing = read.as_ref().err().map(|_| Instant::now());
        let summary = read?;
        *self.summary.lock().unwrap_or_else(|p| p.into_inner()) = Some(CachedSummary {
            at: Instant::now(),
            writes: started,
            summary: summary.clone(),
        });
        Ok(summary)
    }

    async fn list(&self, query: Query) -> Result<Vec<Review>, StoreError> {
        let hidden = match query.visibility {
            Visibility::Visible => "NOT hidden",
            Visibility::Hidden => "hidden",
            Visibility::All => "TRUE",
        };
        with_client!(self, |client| {
            let rows = client
                .query(
                    &format!(
                        "SELECT id, rating, comment, subject, page, created_at, hidden FROM reviews
                         WHERE {hidden} AND created_at >= $1 AND id > $2 ORDER BY id LIMIT $3"
                    ),
                    &[&query.since, &query.after, &(query.limit as i64)],
                )
                .await?;
            Ok(rows.iter().map(review_from_row).collect())
        })
        .await
    }

    async fn set_hidden(&self, id: i64, hidden: bool) -> Result<bool, StoreError> {
        let found = with_client!(self, |client| {
            // The summary's count follows in the same transaction (the trigger).
            let changed = client
                .execute(
                    "UPDATE reviews SET hidden = $1 WHERE id = $2",
                    &[&hidden, &id],
                )
                .await?;
            Ok(changed == 1)
        })
        .await?;
        self.forget_summary();
        Ok(found)
    }

    async fn expire_keys(&self, now: i64) -> Result<u64, StoreError> {
        with_client!(self, |client| {
            Ok(client
                .execute(
                    "UPDATE reviews SET key = NULL WHERE key IS NOT NULL AND created_at < $1",
                    &[&(now - KEY_LIFETIME)],
                )
                .await?)
        })
        .await
    }

    fn next_id(&self) -> i64 {
        self.latest.load(Ordering::Relaxed) + 1
    }

    async fn find(
        &self,
        filter: Filter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Review>, StoreError> {
        let hidden = match filter.visibility {
            Visibility::Visible => "NOT hidden",
            Visibility::Hidden => "hidden",
            Visibility::All => "TRUE",
        };
        let rating = filter.rating.map(i16::from);
        let text = filter.text.as_deref().map(contains_pattern);
        with_client!(self, |client| {
            let rows = client
                .query(
                    &format!(
                        "SELECT id, rating, comment, subject, page, created_at, hidden FROM reviews
                         WHERE {hidden}
                           AND ($1::SMALLINT IS NULL OR rating = $1)
                           AND ($2::BIGINT IS NULL OR created_at >= $2)
                           AND ($3::BIGINT IS NULL OR created_at < $3)
                           AND ($4::TEXT IS NULL OR origin = $4)
                           AND ($5::TEXT IS NULL OR subject = $5)
                           AND ($6::TEXT IS NULL OR comment ILIKE $6 ESCAPE '\\')
                           AND ($7::BIGINT IS NULL OR id < $7)
                         ORDER BY id DESC LIMIT $8"
                    ),
                    &[
                        &rating,
                        &filter.from,
                        &filter.to,
                        &filter.partner,
                        &filter.story,
                        &text,
                        &before,
                        &(limit as i64),
                    ],
                )
                .await?;
            Ok(rows.iter().map(review_from_row).collect())
        })
        .await
    }

    async fn stats(&self, since_day: i64) -> Result<Stats, StoreError> {
        with_client!(self, |client| {
            let row = client
                .query_one(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE hidden), AVG(rating)::FLOAT8 FROM reviews",
                    &[],
                )
                .await?;
            let mut stats = Stats {
                count: row.get(0),
                hidden: row.get(1),
                average: row.get(2),
                ..Stats::default()
            };
            for row in client
                .query("SELECT rating, COUNT(*) FROM reviews GROUP BY rating", &[])
                .await?
            {
                let rating: i16 = row.get(0);
                if let Some(slot) = stats.ratings.get_mut((rating - 1) as usize) {
                    *slot = row.get(1);
                }
            }
            stats.per_day = client
                .query(
                    "SELECT created_at / 86400 AS day, COUNT(*) FROM reviews
                     WHERE created_at >= $1 GROUP BY day ORDER BY day",
                    &[&(since_day * 86_400)],
                )
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for (column, into) in [("origin", &mut stats.partners), ("subject", &mut stats.stories)] {
                *into = client
                    .query(
                        &format!(
                            "SELECT {column}, COUNT(*), AVG(rating)::FLOAT8, MAX(created_at) FROM reviews
                             GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 100"
                        ),
                        &[],
                    )
                    .await?
                    .iter()
                    .map(|r| Group {
                        name: r.get(0),
                        count: r.get(1),
                        average: r.get(2),
                        last: r.get(3),
                    })
                    .collect();
            }
            Ok(stats)
        })
        .await
    }
}

#[async_trait]
impl Sessions for PgStore {
    async fn start_session(&self, id: &str, csrf: &str, expires: i64) -> Result<(), StoreError> {
        with_client!(self, |client| {
            // Sessions nobody signed out of end here, when they have expired.
            client
                .execute("DELETE FROM admin_sessions WHERE expires <= $1", &[&now()])
                .await?;
            client
                .execute(
                    "INSERT INTO admin_sessions (id, csrf, expires) VALUES ($1, $2, $3)",
                    &[&id, &csrf, &expires],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn session(&self, id: &str, now: i64) -> Result<Option<String>, StoreError> {
        with_client!(self, |client| {
            let row = client
                .query_opt(
                    "SELECT csrf FROM admin_sessions WHERE id = $1 AND expires > $2",
                    &[&id, &now],
                )
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
        .await
    }

    async fn end_session(&self, id: &str, now: i64) -> Result<(), StoreError> {
        with_client!(self, |client| {
            client
                .execute(
                    "DELETE FROM admin_sessions WHERE id = $1 OR expires <= $2",
                    &[&id, &now],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn sessions(&self, now: i64) -> Result<u64, StoreError> {
        self.timed(async {
            let row = self
                .client()
                .await?
                .query_one(
                    "SELECT COUNT(*) FROM admin_sessions WHERE expires > $1",
                    &[&now],
                )
                .await?;
            Ok(row.get::<_, i64>(0) as u64)
        })
        .await
    }
}

#[async_trait]
impl RateWindows for PgStore {
    async fn count_hit(&self, key: &str, window: i64) -> Result<Option<i64>, StoreError> {
        let key = key.to_owned();
        ask(&self.hits, |reply| Tally { key, window, reply })
            .await
            .map(Some)
    }

    fn shares_windows(&self) -> bool {
        true
    }
}

#[async_trait]
impl ViewCounts for PgStore {
    async fn add_views(&self, views: Vec<Views>) -> Result<(), StoreError> {
        self.timed(async {
            let mut client = self.client().await?;
            // One transaction: all the counts, or none (and the caller keeps them).
            let tx = client.transaction().await?;
            for v in views {
                tx.execute(
                    "INSERT INTO widget_views (origin, day, feed, widget, rendered)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (origin, day) DO UPDATE SET
                           feed = widget_views.feed + excluded.feed,
                           widget = widget_views.widget + excluded.widget,
                           rendered = widget_views.rendered + excluded.rendered",
                    &[&v.origin, &v.day, &v.feed, &v.widget, &v.rendered],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn views(&self, since_day: i64) -> Result<Vec<Views>, StoreError> {
        with_client!(self, |client| {
            Ok(client
                .query(
                    "SELECT origin, day, feed, widget, rendered FROM (
                         SELECT origin, day, feed, widget, rendered, ROW_NUMBER() OVER (
                             PARTITION BY day ORDER BY feed + widget + rendered DESC, origin) AS n
                         FROM widget_views WHERE day >= $1) AS ranked
                     WHERE n <= $2 ORDER BY day DESC, feed + widget + rendered DESC, origin",
                    &[&since_day, &super::MAX_VIEWS_PER_DAY],
                )
                .await?
                .iter()
                .map(|r| Views {
                    origin: r.get(0),
                    day: r.get(1),
                    feed: r.get(2),
                    widget: r.get(3),
                    rendered: r.get(4),
                })
                .collect())
        })
        .await
    }
}

#[async_trait]
impl ReviewStore for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.timed(async {
            self.client().await?.execute("SELECT 1", &[]).await?;
            Ok(())
        })
        .await
    }

    /// The hits are counted in the review's batch, in the same statement.
    async fn insert_counted(
        &self,
        review: NewReview,
        hits: Vec<Hit>,
    ) -> Result<Admitted, StoreError> {
        self.submit(review, hits).await
    }

    fn pool_in_use(&self) -> Option<usize> {
        let status = self.pool.status();
        Some(status.size.saturating_sub(status.available))
    }

    /// Nothing is held back: every review is committed before its call returns.
    async fn close(&self) {
        // No review is taken from now on; those already queued are committed and answered.
        drop(self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take());
        drop(self.hits.lock().unwrap_or_else(|p| p.into_inner()).take());
        for task in std::mem::take(&mut *self.tasks.lock().await) {
            let _ = task.await;
        }
        self.writers.close();
        self.pool.close();
    }
}
