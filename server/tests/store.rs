//! One behaviour, two stores: every behaviour in `stores/behaviour.rs` and `stores/console.rs`
//! runs against an SQLite file and against a real PostgreSQL database (a throwaway
//! cluster), through the one `ReviewStore` interface. Then what only a shared database can
//! show (`stores/replicas.rs`: two replicas at once; `stores/batches.rs`: group commit and the
//! shared rate windows), the upgrades and the move to PostgreSQL (`stores/upgrade.rs`), and
//! TLS (`stores/tls.rs`). The helpers here are the suites' own.

mod support;

/// The suites, by concern.
mod stores {
    mod batches;
    mod behaviour;
    mod console;
    mod replicas;
    mod tls;
    mod upgrade;
}

use newswire_server::store::{
    self, postgres::PgStore, sqlite::SqliteStore, Admitted, Filter, Hit, NewReview, Query,
    RateWindows, ReviewStore, Reviews, StoreError, Summary, Views, Visibility, KEY_LIFETIME,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use support::pg;

fn review(key: Option<&str>, rating: u8, comment: &str) -> NewReview {
    NewReview {
        rating,
        comment: comment.into(),
        subject: "hw-2041".into(),
        page: "https://riverside-gazette.example/".into(),
        partner: "https://riverside-gazette.example".into(),
        key: key.map(str::to_owned),
        at: None,
    }
}

/// Runs `sql` on the database behind `spec`, beside the store: to age reviews, say.
async fn raw(spec: &str, sql: &str) {
    if store::is_postgres(spec) {
        connect(spec).await.batch_execute(sql).await.unwrap();
    } else {
        rusqlite::Connection::open(spec)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }
}

/// A connection of the test's own to the PostgreSQL database at `url`, beside the store.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The one number that `sql` reads, with other backends' statistics as of now (a session
/// otherwise keeps the figures it read first in a transaction).
async fn number(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .unwrap();
    client.query_one(sql, &[]).await.unwrap().get(0)
}
