//! Group commit on PostgreSQL: reviews that arrive together share a commit, hits share an
//! upsert, a failed or late batch stores nothing, and limits hold exactly over replicas.
use crate::*;

/// Group commit on PostgreSQL: reviews that arrive together share one transaction (and
/// the summary's counters are updated once for it, not once a review), and a reused key in
/// it fails that review alone, not the others; a key sent twice in one batch stores one
/// row. (A batch that fails as a whole is the replicas test's PostgreSQL outage: every
/// review in it gets 503.)
#[tokio::test]
async fn reviews_that_arrive_together_share_a_commit_and_a_reused_key_fails_only_itself() {
    // Assemble: a key already stored, and the database's commit count.
    let cluster = pg::Cluster::start();
    let db = cluster.database("batches").await;
    let store = PgStore::open(&db).await.unwrap();
    let first = store
        .insert(review(Some("taken"), 5, "first"))
        .await
        .unwrap();
    let client = connect(&db).await;
    let commits = || {
        number(
            &client,
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        )
    };
    let counter_updates = || {
        number(
            &client,
            "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'review_counts'",
        )
    };
    let before = commits().await;
    let updated_before = counter_updates().await;
    // Action: 63 new reviews, a retry of the stored one, and its key with other words, a new
    // key twice and then with other words, and two reviews without a key, all at once
    // (queued before the writer runs: this runtime has one thread).
    let mut reviews: Vec<NewReview> = (0..63)
        .map(|n| review(Some(&format!("new-{n}")), 4, "together"))
        .collect();
    reviews.push(review(Some("taken"), 5, "first"));
    reviews.push(review(Some("taken"), 1, "other words"));
    reviews.push(review(Some("twice"), 3, "sent twice"));
    reviews.push(review(Some("twice"), 3, "sent twice"));
    reviews.push(review(Some("twice"), 2, "not the same"));
    reviews.push(review(None, 2, "no key"));
    reviews.push(review(None, 1, "no key either"));
    let answers =
        futures_util::future::join_all(reviews.into_iter().map(|r| store.insert(r))).await;
    // Assert.
    let ids: Vec<i64> = answers[..63].iter().map(|a| *a.as_ref().unwrap()).collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 63, "each new review its own id");
    assert_eq!(
        answers[63].as_ref().ok(),
        Some(&first),
        "the retry gets its id"
    );
    assert!(matches!(answers[64], Err(StoreError::KeyReused)));
    let twice = *answers[65].as_ref().unwrap();
    assert_eq!(
        answers[66].as_ref().ok(),
        Some(&twice),
        "one row for the key"
    );
    assert!(matches!(answers[67], Err(StoreError::KeyReused)));
    assert_eq!(store.summary().await.unwrap().count, 67);
    // (Backends report their counts of rows written as they end.)
    store.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // (This connection's own statements count too: about 18 in all, where one commit a
    // review would take over 70.)
    let used = commits().await - before;
    assert!(
        used < 35,
        "70 reviews took {used} commits: they were not grouped"
    );
    let updated = counter_updates().await - updated_before;
    assert!(
        updated < 16,
        "the counters were updated {updated} times: not once a batch"
    );
    let unkeyed: Vec<i64> = answers[68..].iter().map(|a| *a.as_ref().unwrap()).collect();
    assert_ne!(unkeyed[0], unkeyed[1]);
    for (id, words) in unkeyed.iter().zip(["no key", "no key either"]) {
        let row = client
            .query_one("SELECT comment FROM reviews WHERE id = $1", &[id])
            .await
            .unwrap();
        assert_eq!(row.get::<_, &str>(0), words, "each review its own id");
    }
    let stored = number(&client, "SELECT COUNT(*) FROM reviews").await;
    assert_eq!(stored, 1 + 63 + 1 + 2);
}

/// Hits in a shared rate window that arrive together are counted in one upsert, not one
/// each, and still exactly: over two replicas at once, every hit gets its own number.
#[tokio::test]
async fn hits_that_arrive_together_are_counted_together_and_exactly() {
    // Assemble: two replicas, and the writes to the windows so far.
    let cluster = pg::Cluster::start();
    let db = cluster.database("hits").await;
    let one = PgStore::open(&db).await.unwrap();
    let two = PgStore::open(&db).await.unwrap();
    let client = connect(&db).await;
    let writes = || {
        number(
            &client,
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables
             WHERE relname = 'rate_windows'",
        )
    };
    let before = writes().await;
    // Action: 80 hits from one client and 20 from another, over both replicas at once.
    let window = 1_000_020;
    let hits = (0..100).map(|n| {
        let store = if n % 2 == 0 { &one } else { &two };
        let key = if n < 80 {
            "client 192.0.2.7"
        } else {
            "client 192.0.2.8"
        };
        async move { (key, store.count_hit(key, window).await.unwrap().unwrap()) }
    });
    let counted = futures_util::future::join_all(hits).await;
    // Assert: each client's hits numbered 1 to n, none twice, in few writes.
    for (key, n) in [("client 192.0.2.7", 80), ("client 192.0.2.8", 20)] {
        let mut numbers: Vec<i64> = counted
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, hit)| *hit)
            .collect();
        numbers.sort();
        assert_eq!(numbers, (1..=n).collect::<Vec<i64>>(), "{key}");
    }
    // (Backends report their counts of rows written as they end.)
    one.close().await;
    two.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let used = writes().await - before;
    assert!(
        used < 16,
        "100 hits took {used} writes: they were not grouped"
    );
}

/// A batch that fails for a reason other than the database being away answers every
/// review in it with the 500 a lone review would get, and stores none of them: a review the
/// database refuses (a rating its CHECK forbids, which the API never sends) fails its batch.
#[tokio::test]
async fn a_batch_that_fails_answers_each_review_and_stores_none_of_it() {
    // Assemble.
    let cluster = pg::Cluster::start();
    let db = cluster.database("failing").await;
    let store = PgStore::open(&db).await.unwrap();
    // (The first review also runs the hourly sweep; after it, reviews go straight in.)
    store
        .insert(review(Some("earlier"), 5, "first"))
        .await
        .unwrap();
    // Action: five reviews and one the table refuses, at once (one thread: one batch).
    let mut reviews: Vec<NewReview> = (0..5)
        .map(|n| review(Some(&format!("good-{n}")), 4, "fine"))
        .collect();
    reviews.push(review(Some("refused"), 9, "out of range"));
    let answers =
        futures_util::future::join_all(reviews.into_iter().map(|r| store.insert(r))).await;
    // Assert: every answer an error that is not "unavailable" (500, not 503), nothing stored,
    // and the store still takes a review.
    for answer in &answers {
        let err = answer.as_ref().unwrap_err();
        assert!(!err.is_unavailable(), "{err}");
    }
    let client = connect(&db).await;
    let stored = number(&client, "SELECT COUNT(*) FROM reviews").await;
    assert_eq!(stored, 1, "half a batch was stored");
    // What a log shows of such a refusal names the constraint, never the row it quotes.
    let refused = client
        .execute(
            "INSERT INTO reviews (key, rating, comment, subject, page, created_at)
             VALUES ('logged', 9, 'a private comment', 'hw-1', 'https://p.example/', 0)",
            &[],
        )
        .await
        .unwrap_err();
    let quoted = refused.as_db_error().map(|db| db.to_string());
    assert!(quoted.is_some_and(|text| text.contains("a private comment")));
    let shown = StoreError::from(refused).to_string();
    assert!(shown.contains("reviews_rating_check"), "{shown}");
    assert!(!shown.contains("a private comment"), "{shown}");
    store
        .insert(review(Some("good-0"), 4, "fine"))
        .await
        .unwrap();
    store.close().await;
}

/// Reviews counted in their rate windows in the review's own statement (one write a batch
/// for both): over two replicas at once, exactly the limit is stored, every request counts,
/// and the windows are the ones `count_hit` counts in.
#[tokio::test]
async fn reviews_counted_with_their_limits_store_exactly_the_limit_over_two_replicas() {
    // Assemble: two replicas.
    let cluster = pg::Cluster::start();
    let db = cluster.database("counted").await;
    let one = PgStore::open(&db).await.unwrap();
    let two = PgStore::open(&db).await.unwrap();
    assert!(one.shares_windows());
    // A window of the coming hour: the hourly sweep that each replica's first review runs
    // forgets windows more than an hour old, and must not forget this one midway.
    let window = store::now() + 3600;
    let hits = |client: &str| {
        vec![
            Hit {
                key: format!("client {client}"),
                window,
                limit: 6,
            },
            Hit {
                key: "network 2001:db8:1::".into(),
                window,
                limit: 100,
            },
        ]
    };
    // Action: twenty reviews from one client and five from another, all at once, spread
    // over both replicas.
    let sent = (0..25).map(|n| {
        let store = if n % 2 == 0 { &one } else { &two };
        let client = if n < 20 {
            "2001:db8:1:1::"
        } else {
            "2001:db8:1:2::"
        };
        let review = review(Some(&format!("counted-{n}")), 4, "counted");
        async move { store.insert_counted(review, hits(client)).await.unwrap() }
    });
    let answers = futures_util::future::join_all(sent).await;
    // Assert: six of the first client's stored, the rest refused for its window alone;
    // all of the second's stored; and every request counted.
    let stored: Vec<i64> = answers
        .iter()
        .filter_map(|a| match a {
            Admitted::Stored(id) => Some(*id),
            Admitted::Limited(_) => None,
        })
        .collect();
    assert_eq!(stored.len(), 6 + 5, "{answers:?}");
    for answer in &answers[..20] {
        if let Admitted::Limited(over) = answer {
            assert_eq!(over, &["client 2001:db8:1:1::".to_owned()]);
        }
    }
    assert!(answers[20..]
        .iter()
        .all(|a| matches!(a, Admitted::Stored(_))));
    let client = connect(&db).await;
    let rows = number(&client, "SELECT COUNT(*) FROM reviews").await;
    assert_eq!(rows, 11);
    assert_eq!(
        one.count_hit("client 2001:db8:1:1::", window)
            .await
            .unwrap(),
        Some(21)
    );
    assert_eq!(
        two.count_hit("network 2001:db8:1::", window).await.unwrap(),
        Some(26)
    );
    one.close().await;
    two.close().await;
}

/// A batch the database holds up past the deadline is stopped by the database itself, so it
/// never commits after its reviews were told 503: here another session holds the row of the
/// review's rate window, and lets go only after the answer.
#[tokio::test]
async fn a_batch_held_past_the_deadline_is_answered_503_and_never_commits_later() {
    // Assemble: a store, and a session holding a window's row in an open transaction.
    let cluster = pg::Cluster::start();
    let db = cluster.database("held").await;
    let store = PgStore::open(&db).await.unwrap();
    store
        .insert(review(Some("earlier"), 5, "first"))
        .await
        .unwrap();
    let holder = connect(&db).await;
    let window = store::now() + 3600;
    holder
        .batch_execute(&format!(
            "BEGIN; INSERT INTO rate_windows (key, window_start, hits)
             VALUES ('client 192.0.2.50', {window}, 0)"
        ))
        .await
        .unwrap();
    // Action: a review counted in that window.
    let started = std::time::Instant::now();
    let answer = store
        .insert_counted(
            review(Some("held"), 4, "held up"),
            vec![Hit {
                key: "client 192.0.2.50".into(),
                window,
                limit: 10,
            }],
        )
        .await;
    let waited = started.elapsed();
    holder.batch_execute("COMMIT").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // Assert: 503 within the deadline, and the review not stored after it.
    let err = answer.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(waited < std::time::Duration::from_secs(8), "{waited:?}");
    let stored = number(&holder, "SELECT COUNT(*) FROM reviews WHERE key = 'held'").await;
    assert_eq!(stored, 0, "the batch committed after its 503");
    store.close().await;
}
