//! Each replica's ear on the feed's revisions: a connection of its own that `LISTEN`s on
//! [`CHANNEL`], where every replica announces the revisions it publishes, so that all of them
//! serve a new revision within a second of the first accepting it.
//!
//! - A notification can be lost (the connection drops, a replica was away): every
//!   [`CHECK`] and after each reconnection the session reads the latest revision itself, so a
//!   replica catches up whatever it missed.
//! - The same connection holds a session-level advisory lock, [`LEAD_LOCK`], when it can get
//!   it: the replica that holds it is the one that polls the upstream. When that replica dies
//!   its session ends (the server notices a dead peer within about 25 s through the TCP
//!   keepalives set here), the lock is free, and another takes it at its next check.
//! - When the connection drops, the replica stops leading at once, waits (250 ms, doubling to
//!   5 s), reconnects, listens again and catches up.

use super::revisions::CHANNEL;
use super::DEADLINE;
use crate::StoreError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_postgres::AsyncMessage;

/// How often a session reads the latest revision and tries for the lead.
pub const CHECK: Duration = Duration::from_secs(3);
/// An arbitrary constant: the advisory lock the polling replica holds.
const LEAD_LOCK: i64 = 0x6e65_7773_6c65_6164;
/// The longest wait between reconnections.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// What the listener tells the rest of the replica: the latest revision announced (or read),
/// and whether this replica leads.
pub struct Ear {
    pub announced: watch::Sender<i64>,
    pub leading: watch::Sender<bool>,
}

/// Listens for as long as the replica runs, reconnecting whenever the connection drops.
pub async fn listen(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    ear: Arc<Ear>,
) {
    let mut wait = Duration::from_millis(250);
    loop {
        let outcome = session(&config, &tls, &ear, &mut wait).await;
        ear.leading.send_replace(false);
        if let Err(err) = outcome {
            tracing::warn!("the feed's revisions are not heard ({err}); reconnecting");
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_WAIT);
    }
}

/// One connection's life: connect, listen, then check every [`CHECK`] until it drops.
async fn session(
    config: &tokio_postgres::Config,
    tls: &tokio_postgres_rustls::MakeRustlsConnect,
    ear: &Arc<Ear>,
    wait: &mut Duration,
) -> Result<(), StoreError> {
    let unavailable = |what: String| StoreError::Unavailable(what);
    let (client, mut connection) = tokio::time::timeout(DEADLINE, config.connect(tls.clone()))
        .await
        .map_err(|_| unavailable("no connection in time".into()))??;
    // The connection is driven here, and its notifications become revisions.
    let heard = ear.clone();
    let mut driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(note))) => {
                    if let Ok(revision) = note.payload().parse::<i64>() {
                        announce(&heard.announced, revision);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return err.to_string(),
                None => return "the connection closed".to_owned(),
            }
        }
    });
    let checks = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        loop {
            // Whatever was announced while this replica was not listening.
            let latest: Option<i64> = client
                .query_one("SELECT MAX(revision) FROM feed_revisions", &[])
                .await?
                .get(0);
            if let Some(latest) = latest {
                announce(&ear.announced, latest);
            }
            if !*ear.leading.borrow() {
                let got: bool = client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&LEAD_LOCK])
                    .await?
                    .get(0);
                if got {
                    ear.leading.send_replace(true);
                }
            }
            *wait = Duration::from_millis(250);
            tokio::time::sleep(CHECK).await;
        }
    };
    let result: Result<(), StoreError> = tokio::select! {
        ended = &mut driver => Err(unavailable(ended.unwrap_or_else(|e| e.to_string()))),
        failed = checks => failed,
    };
    driver.abort();
    result
}

/// Raises the announced revision to `revision`; a revision never goes back.
fn announce(announced: &watch::Sender<i64>, revision: i64) {
    announced.send_if_modified(|latest| {
        let newer = revision > *latest;
        if newer {
            *latest = revision;
        }
        newer
    });
}
