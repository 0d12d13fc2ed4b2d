//! What the PostgreSQL store answers: the review, session, rate-window and view queries of
//! the store's interface, each through a pooled connection within the deadline
//! (`with_client!`); writes of reviews go to the writer (`writer.rs`).

use super::{ask, CachedSummary, PgStore, Tally, DEADLINE, SUMMARY_AGE};
use crate::{
    contains_pattern, now, Admitted, Filter, Group, Hit, NewReview, Query, RateWindows, Review,
    ReviewStore, Reviews, Sessions, Stats, StoreError, Summary, ViewCounts, Views, Visibility,
    KEY_LIFETIME,
};
use async_trait::async_trait;
use std::sync::atomic::Ordering;
use std::time::Instant;

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
                    &[&since_day, &crate::MAX_VIEWS_PER_DAY],
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
        if let Some((_, listener)) = self.ear.get() {
            listener.abort();
        }
        for task in std::mem::take(&mut *self.tasks.lock().await) {
            let _ = task.await;
        }
        self.writers.close();
        self.pool.close();
    }
}
