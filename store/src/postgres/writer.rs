//! The writer: group commit, as the SQLite store has it. It takes every review waiting,
//! stores them in one statement that is a transaction of its own (`sql/batch.sql`, with
//! `synchronous_commit=on`), and answers each only after the commit. A lone review goes at
//! once; those that arrive meanwhile share the next commit, and its one WAL flush. The
//! batch's rate windows are counted in the same statement, so a review costs no write of
//! its own for its limits.

use super::{fail_all, failure, with_causes, within, Reply, BATCH_DEADLINE, MAX_BATCH};
use crate::{now, Admitted, Hit, NewReview, StoreError};
use deadpool_postgres::Pool;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use tokio_postgres::types::ToSql;

/// Adds hits to their rate windows: alone in the counter (`count.rs`), and as the first
/// step of the review batch.
pub(super) const WINDOWS: &str = include_str!("sql/windows.sql");

/// The review batch's statement, with the windows' upsert in its place.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    include_str!("sql/batch.sql").replace("/* windows.sql */", WINDOWS.trim_end())
});

/// A review waiting for the writer, with the rate windows it counts in, and where its
/// answer goes.
pub(super) struct Job {
    pub(super) review: NewReview,
    pub(super) hits: Vec<Hit>,
    pub(super) reply: Reply<Admitted>,
}

/// Commits the reviews waiting, a batch at a time, and answers each after its commit.
pub(super) async fn write(pool: Pool, mut jobs: tokio::sync::mpsc::Receiver<Job>) {
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

/// One hit of the batch, and the highest total its window may reach for it: the window may
/// hold `limit` hits, and this one is the `rank`th of the batch's `k` there, so its window
/// may reach `limit + k - rank`, exactly as one upsert a review would number them.
struct Limit<'a> {
    /// The review's place in the batch.
    review: usize,
    hit: &'a Hit,
    most: i64,
}

/// The batch's hits: how many fall in each window (in key order, as the statement adds
/// them), and each hit's [`Limit`].
fn tally(batch: &[Job]) -> (BTreeMap<(&str, i64), i64>, Vec<Limit<'_>>) {
    let mut windows: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for hit in batch.iter().flat_map(|job| &job.hits) {
        *windows.entry((hit.key.as_str(), hit.window)).or_default() += 1;
    }
    let mut ranks: HashMap<(&str, i64), i64> = HashMap::new();
    let mut limits = Vec::new();
    for (review, job) in batch.iter().enumerate() {
        for hit in &job.hits {
            let place = (hit.key.as_str(), hit.window);
            let rank = ranks.entry(place).or_default();
            *rank += 1;
            let most = hit.limit + windows[&place] - *rank;
            limits.push(Limit { review, hit, most });
        }
    }
    (windows, limits)
}

/// The statement's parameters, `$1` to `$14` (`sql/batch.sql`), as owned columns.
struct Columns<'a> {
    window_keys: Vec<&'a str>,
    window_starts: Vec<i64>,
    window_hits: Vec<i64>,
    keys: Vec<Option<&'a str>>,
    ratings: Vec<i16>,
    comments: Vec<&'a str>,
    subjects: Vec<&'a str>,
    pages: Vec<&'a str>,
    times: Vec<i64>,
    partners: Vec<&'a str>,
    hit_reviews: Vec<i64>,
    hit_keys: Vec<&'a str>,
    hit_windows: Vec<i64>,
    hit_most: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a [Job], windows: &BTreeMap<(&'a str, i64), i64>, limits: &[Limit<'a>]) -> Self {
        let now = now();
        let reviews = || batch.iter().map(|job| &job.review);
        Columns {
            window_keys: windows.keys().map(|w| w.0).collect(),
            window_starts: windows.keys().map(|w| w.1).collect(),
            window_hits: windows.values().copied().collect(),
            keys: reviews().map(|r| r.key.as_deref()).collect(),
            ratings: reviews().map(|r| i16::from(r.rating)).collect(),
            comments: reviews().map(|r| r.comment.as_str()).collect(),
            subjects: reviews().map(|r| r.subject.as_str()).collect(),
            pages: reviews().map(|r| r.page.as_str()).collect(),
            times: reviews().map(|r| r.at.unwrap_or(now)).collect(),
            partners: reviews().map(|r| r.partner.as_str()).collect(),
            hit_reviews: limits.iter().map(|l| l.review as i64 + 1).collect(),
            hit_keys: limits.iter().map(|l| l.hit.key.as_str()).collect(),
            hit_windows: limits.iter().map(|l| l.hit.window).collect(),
            hit_most: limits.iter().map(|l| l.most).collect(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 14] {
        [
            &self.window_keys,
            &self.window_starts,
            &self.window_hits,
            &self.keys,
            &self.ratings,
            &self.comments,
            &self.subjects,
            &self.pages,
            &self.times,
            &self.partners,
            &self.hit_reviews,
            &self.hit_keys,
            &self.hit_windows,
            &self.hit_most,
        ]
    }
}

/// What the statement reported: each window's new total, the id each stored key got, and
/// the ids of the reviews stored without a key, in batch order.
#[derive(Default)]
struct Reported {
    totals: HashMap<(String, i64), i64>,
    ids: HashMap<String, i64>,
    unkeyed: Vec<i64>,
}

impl Reported {
    fn of(rows: Vec<tokio_postgres::Row>) -> Self {
        let mut reported = Reported::default();
        for row in rows {
            let key: Option<String> = row.get(1);
            match (row.get::<_, bool>(0), key) {
                (false, Some(key)) => {
                    reported
                        .totals
                        .insert((key, row.get::<_, i64>(2)), row.get::<_, i64>(3));
                }
                (true, Some(key)) => {
                    reported.ids.insert(key, row.get::<_, i64>(2));
                }
                (true, None) => reported.unkeyed.push(row.get::<_, i64>(2)),
                (false, None) => {}
            }
        }
        // Reviews without a key are always stored, in batch order (keys sort nulls last),
        // so their ids ascend in that order.
        reported.unkeyed.sort_unstable();
        reported
    }
}

/// Stores `batch` in one statement, a transaction of its own, so that the batch costs one
/// round trip and one WAL flush, as a lone one-row INSERT does (`sql/batch.sql`). Then,
/// after that commit, one SELECT for the keys that were there already ([`earlier`]). Each
/// review's answer: its new id; the id its key has when the content matches (a retry); the
/// windows it is over; or [`StoreError::KeyReused`], which fails that review alone. An
/// error before the commit fails the whole batch, none of it stored; one in the SELECT fails
/// only the reviews that were waiting on it.
async fn commit(
    pool: &Pool,
    batch: &[Job],
) -> Result<Vec<Result<Admitted, StoreError>>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Unavailable(with_causes(&e)))?;
    let statement = client.prepare_cached(&BATCH).await?;
    let (windows, limits) = tally(batch);
    let columns = Columns::of(batch, &windows, &limits);
    let rows = client.query(&statement, &columns.params()).await?;
    let mut reported = Reported::of(rows);
    // The windows each review is over, decided as the statement decided it.
    let mut over: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    for limit in &limits {
        let window = (limit.hit.key.clone(), limit.hit.window);
        if reported
            .totals
            .get(&window)
            .is_some_and(|t| *t > limit.most)
        {
            over[limit.review].push(limit.hit.key.clone());
        }
    }
    let mut unkeyed = reported.unkeyed.into_iter();
    let mut answers: Vec<Option<Result<Admitted, StoreError>>> =
        (0..batch.len()).map(|_| None).collect();
    // The reviews whose key was there already: a retry, or another review.
    let mut taken = Vec::new();
    for (n, key) in columns.keys.iter().enumerate() {
        if !over[n].is_empty() {
            answers[n] = Some(Ok(Admitted::Limited(std::mem::take(&mut over[n]))));
            continue;
        }
        match key {
            None => answers[n] = unkeyed.next().map(|id| Ok(Admitted::Stored(id))),
            // The first review with the key took the row.
            Some(key) => match reported.ids.remove(*key) {
                Some(id) => answers[n] = Some(Ok(Admitted::Stored(id))),
                None => taken.push(n),
            },
        }
    }
    // Every review answered so far got a row of its own in this commit.
    let new = answers
        .iter()
        .filter(|a| matches!(a, Some(Ok(Admitted::Stored(_)))))
        .count();
    crate::committed(new as u64);
    if !taken.is_empty() {
        earlier(&client, batch, &taken, &mut answers).await;
    }
    Ok(answers
        .into_iter()
        .map(|answer| answer.unwrap_or(Err(StoreError::Batch)))
        .collect())
}

/// Answers the reviews `taken` from the rows that held their keys already: their id when
/// the content matches (a retry), else [`StoreError::KeyReused`]. A second statement, with a
/// snapshot taken after the conflicting rows' transactions committed (and the batch's own,
/// for a key twice in it); if it fails, so do those reviews, and only they.
async fn earlier(
    client: &deadpool_postgres::Object,
    batch: &[Job],
    taken: &[usize],
    answers: &mut [Option<Result<Admitted, StoreError>>],
) {
    let wanted: Vec<&str> = taken
        .iter()
        .filter_map(|&n| batch[n].review.key.as_deref())
        .collect();
    let read = async {
        let select = client
            .prepare_cached(
                "SELECT key, id, rating, comment, subject, page FROM reviews WHERE key = ANY($1)",
            )
            .await?;
        Ok::<_, StoreError>(client.query(&select, &[&wanted]).await?)
    };
    let rows: HashMap<String, tokio_postgres::Row> = match read.await {
        Ok(rows) => rows.into_iter().map(|row| (row.get(0), row)).collect(),
        Err(err) => {
            let err = failure(err, "stored keys could not be read");
            for &n in taken {
                answers[n] = Some(Err(err()));
            }
            return;
        }
    };
    for &n in taken {
        let review = &batch[n].review;
        let row = review.key.as_deref().and_then(|key| rows.get(key));
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
