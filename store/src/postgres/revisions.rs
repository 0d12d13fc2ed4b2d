//! The feed's revisions on PostgreSQL: a replica that accepts a feed publishes it here, under
//! an advisory lock so that two replicas publishing the same bytes make one revision, and
//! announces the revision with `NOTIFY` (a number only: the payload limit is 8000 bytes), so
//! that every replica can serve it; and the WebSub subscriptions that bring them, so that a
//! hub's verification and its pushes may land on any replica.

use super::PgStore;
use crate::{now, FeedRevisions, Published, StoreError, Subscription, Subscriptions, FEEDS_KEPT};
use async_trait::async_trait;

/// The channel revisions are announced on.
pub const CHANNEL: &str = "newswire_feed";
/// An arbitrary constant: the advisory lock that serialises publishing across replicas.
const PUBLISH_LOCK: i64 = 0x6e65_7773_6665_6564;

#[async_trait]
impl FeedRevisions for PgStore {
    async fn publish_feed(&self, etag: &str, body: &[u8]) -> Result<i64, StoreError> {
        with_client!(self, |client| {
            let mut client = client;
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUBLISH_LOCK])
                .await?;
            let latest = tx
                .query_opt(
                    "SELECT revision, etag FROM feed_revisions ORDER BY revision DESC LIMIT 1",
                    &[],
                )
                .await?;
            if let Some(row) = latest.filter(|row| row.get::<_, &str>(1) == etag) {
                return Ok(row.get(0));
            }
            let revision: i64 = tx
                .query_one(
                    "INSERT INTO feed_revisions (etag, body, published_at) VALUES ($1, $2, $3)
                     RETURNING revision",
                    &[&etag, &body, &now()],
                )
                .await?
                .get(0);
            tx.execute(
                "DELETE FROM feed_revisions WHERE revision <= $1",
                &[&(revision - FEEDS_KEPT)],
            )
            .await?;
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &revision.to_string()],
            )
            .await?;
            tx.commit().await?;
            Ok(revision)
        })
        .await
    }

    fn announced(&self) -> Option<tokio::sync::watch::Receiver<i64>> {
        Some(self.ear().announced.subscribe())
    }

    fn leading(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        Some(self.ear().leading.subscribe())
    }

    async fn latest_feed(&self) -> Result<Option<Published>, StoreError> {
        with_client!(self, |client| {
            Ok(client
                .query_opt(
                    "SELECT revision, etag, body FROM feed_revisions
                     ORDER BY revision DESC LIMIT 1",
                    &[],
                )
                .await?
                .map(|row| Published {
                    revision: row.get(0),
                    etag: row.get(1),
                    body: row.get(2),
                }))
        })
        .await
    }
}

/// A row of `websub_subscriptions`, in [`SUBSCRIPTION_COLUMNS`]' order.
const SUBSCRIPTION_COLUMNS: &str = "path, hub, topic, secret, state, lease, expires";

fn subscription_of(row: &tokio_postgres::Row) -> Subscription {
    Subscription {
        path: row.get(0),
        hub: row.get(1),
        topic: row.get(2),
        secret: row.get(3),
        state: row.get(4),
        lease: row.get(5),
        expires: row.get(6),
    }
}

/// The WebSub subscriptions, here beside the revisions they bring.
#[async_trait]
impl Subscriptions for PgStore {
    async fn save_subscription(&self, s: &Subscription) -> Result<(), StoreError> {
        with_client!(self, |client| {
            client
                .execute(
                    "INSERT INTO websub_subscriptions
                         (path, hub, topic, secret, state, lease, expires, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (path) DO UPDATE SET state = excluded.state,
                         lease = excluded.lease, expires = excluded.expires",
                    &[
                        &s.path,
                        &s.hub,
                        &s.topic,
                        &s.secret,
                        &s.state,
                        &s.lease,
                        &s.expires,
                        &now(),
                    ],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn subscription(&self, path: &str) -> Result<Option<Subscription>, StoreError> {
        with_client!(self, |client| {
            Ok(client
                .query_opt(
                    &format!(
                        "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE path = $1"
                    ),
                    &[&path],
                )
                .await?
                .as_ref()
                .map(subscription_of))
        })
        .await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        with_client!(self, |client| {
            Ok(client
                .query(
                    &format!(
                        "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions
                         ORDER BY created_at DESC, path"
                    ),
                    &[],
                )
                .await?
                .iter()
                .map(subscription_of)
                .collect())
        })
        .await
    }

    async fn forget_subscription(&self, path: &str) -> Result<(), StoreError> {
        with_client!(self, |client| {
            client
                .execute("DELETE FROM websub_subscriptions WHERE path = $1", &[&path])
                .await?;
            Ok(())
        })
        .await
    }
}
