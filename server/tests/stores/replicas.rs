//! Two replicas on one PostgreSQL database: shared keys and limits, and summary readers
//! that never scan the reviews.
use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_keys_and_limits() {
    // Assemble: two stores on one database, as two replicas have.
    let cluster = pg::Cluster::start();
    let db = cluster.database("replicas").await;
    let one: Arc<dyn ReviewStore> = Arc::new(PgStore::open(&db).await.unwrap());
    let two: Arc<dyn ReviewStore> = Arc::new(PgStore::open(&db).await.unwrap());
    // Action: the same key, forty times, half to each replica, at once.
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = if n % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move { store.insert(review(Some("both"), 3, "one row")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    // Assert: one id everywhere, one row; a changed body is refused on either.
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(one.summary().await.unwrap().count, 1);
    assert!(matches!(
        two.insert(review(Some("both"), 1, "changed")).await,
        Err(StoreError::KeyReused)
    ));
    // Rate windows are counted once for both.
    let window = 1_000_000;
    assert_eq!(
        one.count_hit("client 192.0.2.1", window).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        two.count_hit("client 192.0.2.1", window).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        one.count_hit("client 192.0.2.2", window).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        two.count_hit("client 192.0.2.1", window + 60)
            .await
            .unwrap(),
        Some(1)
    );
}

/// Sequential scans of the reviews table, and scans of any kind of the counters, so far.
/// Closed connections have reported theirs.
async fn scans(url: &str) -> (i64, i64) {
    // Backends report their counts when they end; give the ones just closed a moment.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let client = connect(url).await;
    let reviews = number(
        &client,
        "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'reviews'",
    );
    let counters = number(
        &client,
        "SELECT seq_scan + COALESCE(idx_scan, 0) FROM pg_stat_user_tables
         WHERE relname = 'review_counts'",
    );
    (reviews.await, counters.await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_summary_readers_during_writes_never_scan_the_reviews() {
    // Assemble: 2,000 reviews, and the count of scans so far.
    let cluster = pg::Cluster::start();
    let db = cluster.database("stampede").await;
    let seeding = Arc::new(PgStore::open(&db).await.unwrap());
    let mut tasks = Vec::new();
    for worker in 0..20 {
        let store = seeding.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..100 {
                let key = format!("seed-{worker}-{n}");
                store
                    .insert(review(Some(&key), 1 + (n % 5) as u8, "seed"))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    seeding.close().await;
    // The store the readers use has written once already: its hourly sweep is behind it.
    let store: Arc<dyn ReviewStore> = Arc::new(PgStore::open(&db).await.unwrap());
    store
        .insert(review(Some("warm-up"), 3, "seed"))
        .await
        .unwrap();
    let before = scans(&db).await;
    // Action: 100 readers ask for the summary over and over while reviews are written and
    // hidden.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut readers = Vec::new();
    for _ in 0..100 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            let mut answered = 0;
            while std::time::Instant::now() < until {
                store.summary().await.unwrap();
                answered += 1;
                // A cached answer is ready at once: let the writer run too.
                tokio::task::yield_now().await;
            }
            answered
        }));
    }
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while std::time::Instant::now() < until {
                let id = store
                    .insert(review(Some(&format!("w{n}")), 4, "during"))
                    .await
                    .unwrap();
                if n.is_multiple_of(4) {
                    store.set_hidden(id, true).await.unwrap();
                }
                n += 1;
            }
            n
        })
    };
    let mut answered = 0;
    for reader in readers {
        answered += reader.await.unwrap();
    }
    let written = writer.await.unwrap();
    let summary = store.summary().await.unwrap();
    store.close().await;
    // Assert: no reader scanned the table; one refresh at a time read the counters (at
    // most about once per write of this replica, not once per reader); and the counts are
    // what counting gives.
    let after = scans(&db).await;
    let counter_reads = after.1 - before.1;
    println!(
        "summary stampede: {answered} summaries, {written} writes, {} scans of the reviews, \
         {counter_reads} reads of the counters",
        after.0 - before.0
    );
    assert!(answered > 1000, "the readers ran: {answered}");
    // At most one scan: the hourly sweep that the store's first write started, whose
    // figures PostgreSQL may report only once that pooled connection is next used (a
    // summary that scanned would add one for each of a million answers).
    assert!(
        after.0 - before.0 <= 1,
        "the summary scanned the reviews table: {} scans",
        after.0 - before.0
    );
    // The triggers read the counters too: once per insert, and once per hide.
    assert!(
        counter_reads <= 3 * i64::from(written) + 10,
        "{counter_reads} counter reads for {written} writes"
    );
    let client = connect(&db).await;
    let counted = || async {
        let row = client
            .query_one(
                "SELECT COUNT(*), COALESCE(SUM(rating), 0)::BIGINT FROM reviews WHERE NOT hidden",
                &[],
            )
            .await
            .unwrap();
        Summary::of(row.get(0), row.get(1))
    };
    assert_eq!(summary, counted().await);
    // Writers that know nothing of the counters (an older replica during a rolling
    // deploy, an operator's SQL) keep them right too.
    client
        .batch_execute(
            "INSERT INTO reviews (rating, comment, subject, page, created_at)
                 SELECT 1 + n % 5, 'by hand', 's', 'p', 0 FROM generate_series(1, 50) AS n;
             UPDATE reviews SET hidden = TRUE WHERE id % 7 = 0;
             UPDATE reviews SET hidden = FALSE WHERE id % 14 = 0;
             UPDATE reviews SET rating = 5 WHERE id % 11 = 0;
             DELETE FROM reviews WHERE id % 13 = 0;",
        )
        .await
        .unwrap();
    let fresh = PgStore::open(&db).await.unwrap();
    assert_eq!(fresh.summary().await.unwrap(), counted().await);
}
