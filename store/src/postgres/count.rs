//! The counter: the hits of requests that never reach the store (reviews count in their
//! batch), in shared rate windows, one upsert for all that arrive together.

use super::writer::WINDOWS;
use super::{fail_all, with_causes, within, Reply, BATCH_DEADLINE, MAX_BATCH};
use crate::StoreError;
use deadpool_postgres::Pool;

/// A request counted in a shared rate window, waiting for the counter, and where its hit
/// number goes.
pub(super) struct Tally {
    pub(super) key: String,
    pub(super) window: i64,
    pub(super) reply: Reply<i64>,
}

/// Counts the hits waiting in shared rate windows (of requests that never reach the store:
/// reviews count in their batch), one statement for them all: the writes a flood of them
/// costs the database grow with the number of batches, not of requests. The limit stays
/// exact across replicas: each window's count is added to atomically and every hit gets its own number, as one upsert a request would give it.
pub(super) async fn count(pool: Pool, mut hits: tokio::sync::mpsc::Receiver<Tally>) {
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

/// Adds each window's hits in one upsert (`sql/windows.sql`); each window's total.
async fn add_hits(
    pool: &Pool,
    windows: &std::collections::BTreeMap<(String, i64), Vec<Reply<i64>>>,
) -> Result<std::collections::HashMap<(String, i64), i64>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Unavailable(with_causes(&e)))?;
    let upsert = client.prepare_cached(WINDOWS).await?;
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
