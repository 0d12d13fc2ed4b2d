//! One behaviour, two stores: every behaviour below runs against an SQLite file and against a
//! real PostgreSQL database (a throwaway cluster), through the one `ReviewStore` interface.
//! Then what only a shared database can show: two replicas at once, and the migrations.

mod support;

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

type Behaviour = fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every behaviour, by name; each gets a fresh, empty database.
const BEHAVIOURS: &[(&str, Behaviour)] = &[
    ("ids_keys_and_the_summary", |db| {
        Box::pin(ids_keys_and_the_summary(db))
    }),
    ("moderation_and_listing", |db| {
        Box::pin(moderation_and_listing(db))
    }),
    ("keys_expire_after_a_day", |db| {
        Box::pin(keys_expire_after_a_day(db))
    }),
    ("one_key_at_once_is_one_row", |db| {
        Box::pin(one_key_at_once_is_one_row(db))
    }),
    ("every_review_is_exported", |db| {
        Box::pin(every_review_is_exported(db))
    }),
    ("reopening_keeps_everything", |db| {
        Box::pin(reopening_keeps_everything(db))
    }),
    ("the_console_finds_and_counts", |db| {
        Box::pin(the_console_finds_and_counts(db))
    }),
    ("sessions_and_views", |db| Box::pin(sessions_and_views(db))),
    ("the_summary_follows_every_change", |db| {
        Box::pin(the_summary_follows_every_change(db))
    }),
    ("each_day_of_views_is_read_on_its_own", |db| {
        Box::pin(each_day_of_views_is_read_on_its_own(db))
    }),
];

async fn the_summary_follows_every_change(db: String) {
    // Assemble and action: 60 reviews of every rating; hide a third, show half of those.
    let store = store::open(&db).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..60u8 {
        let id = store
            .insert(review(Some(&format!("s{n}")), 1 + n % 5, "counted"))
            .await
            .unwrap();
        ids.push((id, 1 + n % 5));
    }
    let mut hidden = std::collections::HashSet::new();
    for (n, (id, _)) in ids.iter().enumerate() {
        if n % 3 == 0 {
            assert!(store.set_hidden(*id, true).await.unwrap());
            hidden.insert(*id);
        }
    }
    for (n, (id, _)) in ids.iter().enumerate() {
        if n % 6 == 0 {
            assert!(store.set_hidden(*id, false).await.unwrap());
            hidden.remove(id);
        }
        // Hiding twice, or showing a shown one, changes nothing.
        if n % 7 == 0 {
            let now_hidden = hidden.contains(id);
            store.set_hidden(*id, now_hidden).await.unwrap();
        }
    }
    // A retry of a stored review is not counted twice.
    store
        .insert(review(Some("s1"), 2, "counted"))
        .await
        .unwrap();
    // Assert: the summary is what counting the table gives.
    let visible: Vec<u8> = ids
        .iter()
        .filter(|(id, _)| !hidden.contains(id))
        .map(|(_, r)| *r)
        .collect();
    let expected = Summary::of(
        visible.len() as i64,
        visible.iter().map(|r| i64::from(*r)).sum(),
    );
    assert_eq!(store.summary().await.unwrap(), expected);
    store.close().await;
    // And after reopening, from what the database keeps.
    let store = store::open(&db).await.unwrap();
    assert_eq!(store.summary().await.unwrap(), expected);
    store.close().await;
}

async fn each_day_of_views_is_read_on_its_own(db: String) {
    // Assemble: a partner seen for five days, 5,000 requests a day; then a day with far
    // more origins than a day shows (from before origins were checked, or many replicas).
    let store = store::open(&db).await.unwrap();
    let view = |origin: String, day, feed| Views {
        origin,
        day,
        feed,
        widget: 0,
        rendered: 0,
    };
    for day in 200..205 {
        store
            .add_views(vec![view("https://partner.example".into(), day, 5000)])
            .await
            .unwrap();
    }
    store
        .add_views(
            (0..1000)
                .map(|n| view(format!("https://made-up-{n}.example"), 205, 1 + n % 7))
                .collect(),
        )
        .await
        .unwrap();
    // Action.
    let views = store.views(200).await.unwrap();
    // Assert: every earlier day is still there, and the busy day holds its cap.
    for day in 200..205 {
        assert!(
            views
                .iter()
                .any(|v| v.day == day && v.origin == "https://partner.example" && v.feed == 5000),
            "day {day} was pushed out"
        );
    }
    let busy = views.iter().filter(|v| v.day == 205).count();
    assert_eq!(busy as i64, store::MAX_VIEWS_PER_DAY);
    assert_eq!(views[0].day, 205, "newest day first");
    store.close().await;
}

async fn ids_keys_and_the_summary(db: String) {
    // Assemble.
    let store = store::open(&db).await.unwrap();
    assert_eq!(store.summary().await.unwrap(), Summary::of(0, 0));
    // Action.
    let a = store.insert(review(Some("a"), 5, "Clear")).await.unwrap();
    let b = store.insert(review(Some("b"), 2, "Thin")).await.unwrap();
    let again = store.insert(review(Some("a"), 5, "Clear")).await.unwrap();
    let reused = store.insert(review(Some("a"), 1, "Changed my mind")).await;
    let keyless = store.insert(review(None, 3, "")).await.unwrap();
    // Assert.
    assert!(a < b && b < keyless, "ids grow: {a} {b} {keyless}");
    assert_eq!(again, a, "a retry gets the id it already has");
    assert!(matches!(reused, Err(StoreError::KeyReused)));
    assert_eq!(store.summary().await.unwrap(), Summary::of(3, 10));
    assert!(store.next_id() > keyless);
    store.close().await;
}

async fn moderation_and_listing(db: String) {
    let store = store::open(&db).await.unwrap();
    let mut ids = Vec::new();
    for n in 1..=5u8 {
        ids.push(
            store
                .insert(review(Some(&format!("m{n}")), n, &format!("r{n}")))
                .await
                .unwrap(),
        );
    }
    assert!(store.set_hidden(ids[0], true).await.unwrap());
    assert!(
        store.set_hidden(ids[0], true).await.unwrap(),
        "hiding twice is fine"
    );
    assert!(
        !store.set_hidden(ids[4] + 1000, true).await.unwrap(),
        "no such review"
    );
    // The summary leaves the hidden review out at once.
    assert_eq!(store.summary().await.unwrap(), Summary::of(4, 14));
    let page = |visibility, after, limit| Query {
        visibility,
        since: 0,
        after,
        limit,
    };
    let visible = store.list(page(Visibility::Visible, 0, 10)).await.unwrap();
    assert_eq!(
        visible.iter().map(|r| r.rating).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let hidden = store.list(page(Visibility::Hidden, 0, 10)).await.unwrap();
    assert_eq!(
        (hidden.len(), hidden[0].hidden, hidden[0].comment.as_str()),
        (1, true, "r1")
    );
    let first = store.list(page(Visibility::All, 0, 2)).await.unwrap();
    let next = store
        .list(page(Visibility::All, first[1].id, 2))
        .await
        .unwrap();
    assert_eq!(
        next[0].comment, "r3",
        "the cursor continues after the last id"
    );
    let future = Query {
        since: store::now() + 3600,
        ..page(Visibility::All, 0, 10)
    };
    assert!(store.list(future).await.unwrap().is_empty());
    assert!(store.set_hidden(ids[0], false).await.unwrap());
    assert_eq!(store.summary().await.unwrap(), Summary::of(5, 15));
    store.close().await;
}

async fn keys_expire_after_a_day(db: String) {
    let store = store::open(&db).await.unwrap();
    let first = store.insert(review(Some("k1"), 4, "first")).await.unwrap();
    assert_eq!(
        store.expire_keys(store::now()).await.unwrap(),
        0,
        "not within the day"
    );
    raw(
        &db,
        &format!(
            "UPDATE reviews SET created_at = created_at - {}",
            KEY_LIFETIME + 60
        ),
    )
    .await;
    assert_eq!(store.expire_keys(store::now()).await.unwrap(), 1);
    let second = store.insert(review(Some("k1"), 2, "other")).await.unwrap();
    assert_ne!(first, second, "an expired key stores a new review");
    assert_eq!(store.summary().await.unwrap().count, 2);
    store.close().await;
}

async fn one_key_at_once_is_one_row(db: String) {
    let store: Arc<dyn ReviewStore> = store::open(&db).await.unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.insert(review(Some("same"), 4, "once")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id for every copy");
    assert_eq!(store.summary().await.unwrap().count, 1, "one row");
    store.close().await;
}

async fn every_review_is_exported(db: String) {
    let store = store::open(&db).await.unwrap();
    for n in 0..1234 {
        store
            .insert(review(None, 1 + (n % 5) as u8, &format!("n{n}")))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let done = store::for_each_review(&*store, |r| {
        seen.push(r.comment);
        Ok(())
    })
    .await
    .unwrap();
    assert!(done.is_ok());
    assert_eq!(seen.len(), 1234, "every page");
    assert_eq!((seen[0].as_str(), seen[1233].as_str()), ("n0", "n1233"));
    // A reader that stops early stops the export.
    let mut taken = 0;
    let stopped = store::for_each_review(&*store, |_| {
        taken += 1;
        if taken == 3 {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        } else {
            Ok(())
        }
    })
    .await
    .unwrap();
    assert!(stopped.is_err() && taken == 3);
    store.close().await;
}

async fn reopening_keeps_everything(db: String) {
    let store = store::open(&db).await.unwrap();
    let id = store.insert(review(Some("r"), 5, "kept")).await.unwrap();
    store.set_hidden(id, true).await.unwrap();
    store.close().await;
    drop(store);
    // Opening again runs no migration twice and loses nothing.
    let again = store::open(&db).await.unwrap();
    assert_eq!(again.summary().await.unwrap(), Summary::of(0, 0));
    assert_eq!(
        again.insert(review(Some("r"), 5, "kept")).await.unwrap(),
        id
    );
    assert!(again.next_id() > id);
    again.close().await;
}

async fn the_console_finds_and_counts(db: String) {
    let store = store::open(&db).await.unwrap();
    let day = 86_400;
    let today = store::now() - store::now() % day;
    let mut ids = Vec::new();
    for (rating, page, subject, comment, days_ago) in [
        (
            5,
            "https://Riverside.example/a?x=1",
            "s1",
            "Great 100% coverage",
            0,
        ),
        (4, "https://riverside.example/b", "s1", "good_enough", 1),
        (1, "http://quay.example:8080/", "s2", "Not for me", 1),
        (3, "not a url", "s2", "GREAT map", 3),
        (2, "https://quay.example:8080/z", "s3", "so-so", 40),
    ] {
        let mut r = review(None, rating, comment);
        r.page = page.into();
        // The route attributes a review (`reviews::partner`); the store keeps what it is given.
        r.partner = store::origin_of(page);
        r.subject = subject.into();
        r.at = Some(today + 3600 - days_ago * day);
        ids.push(store.insert(r).await.unwrap());
    }
    store.set_hidden(ids[2], true).await.unwrap();
    let find = |filter: Filter| {
        let store = store.clone();
        async move {
            store
                .find(filter, None, 50)
                .await
                .unwrap()
                .iter()
                .map(|r| r.comment.clone())
                .collect::<Vec<_>>()
        }
    };
    // Newest first, every filter alone and together.
    assert_eq!(find(Filter::default()).await.len(), 5);
    assert_eq!(
        find(Filter::default()).await[0],
        "so-so",
        "the newest id first"
    );
    assert_eq!(
        find(Filter {
            rating: Some(4),
            ..Filter::default()
        })
        .await,
        ["good_enough"]
    );
    assert_eq!(
        find(Filter {
            visibility: Visibility::Hidden,
            ..Filter::default()
        })
        .await,
        ["Not for me"]
    );
    assert_eq!(
        find(Filter {
            partner: Some("https://riverside.example".into()),
            ..Filter::default()
        })
        .await,
        ["good_enough", "Great 100% coverage"],
        "the origin, case-folded, whatever the path"
    );
    assert_eq!(
        find(Filter {
            partner: Some("http://quay.example:8080".into()),
            ..Filter::default()
        })
        .await,
        ["Not for me"]
    );
    assert_eq!(
        find(Filter {
            story: Some("s2".into()),
            ..Filter::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        find(Filter {
            text: Some("great".into()),
            ..Filter::default()
        })
        .await,
        ["GREAT map", "Great 100% coverage"]
    );
    assert_eq!(
        find(Filter {
            text: Some("100%".into()),
            ..Filter::default()
        })
        .await
        .len(),
        1
    );
    assert_eq!(
        find(Filter {
            text: Some("d_e".into()),
            ..Filter::default()
        })
        .await,
        ["good_enough"],
        "_ is a character, not a wildcard"
    );
    assert!(find(Filter {
        text: Some("o%e".into()),
        ..Filter::default()
    })
    .await
    .is_empty());
    assert_eq!(
        find(Filter {
            from: Some(today - day),
            to: Some(today + day),
            ..Filter::default()
        })
        .await,
        ["Not for me", "good_enough", "Great 100% coverage"]
    );
    assert_eq!(
        find(Filter {
            story: Some("s1".into()),
            rating: Some(5),
            visibility: Visibility::Visible,
            ..Filter::default()
        })
        .await,
        ["Great 100% coverage"]
    );
    let first = store.find(Filter::default(), None, 2).await.unwrap();
    let next = store
        .find(Filter::default(), Some(first[1].id), 2)
        .await
        .unwrap();
    assert_eq!(
        next[0].comment, "Not for me",
        "the cursor continues below the last id"
    );

    // The overview counts every review, hidden ones included.
    let stats = store.stats(today / day - 30).await.unwrap();
    assert_eq!((stats.count, stats.hidden), (5, 1));
    assert_eq!(stats.average, Some(3.0));
    assert_eq!(stats.ratings, [1, 1, 1, 1, 1]);
    assert_eq!(
        stats.per_day,
        [(today / day - 3, 1), (today / day - 1, 2), (today / day, 1)],
        "40 days ago is outside the 30 asked for"
    );
    let partners: Vec<(&str, i64)> = stats
        .partners
        .iter()
        .map(|g| (g.name.as_str(), g.count))
        .collect();
    assert_eq!(
        partners,
        [
            ("https://riverside.example", 2),
            ("", 1),
            ("http://quay.example:8080", 1),
            ("https://quay.example:8080", 1)
        ]
    );
    let riverside = &stats.partners[0];
    assert_eq!((riverside.average, riverside.last), (4.5, today + 3600));
    let s2 = stats.stories.iter().find(|g| g.name == "s2").unwrap();
    assert_eq!((s2.count, s2.average), (2, 2.0));
    store.close().await;
}

async fn sessions_and_views(db: String) {
    let store = store::open(&db).await.unwrap();
    let now = store::now();
    store
        .start_session("hash-a", "csrf-a", now + 60)
        .await
        .unwrap();
    store
        .start_session("hash-old", "csrf-old", now - 1)
        .await
        .unwrap();
    assert_eq!(
        store.session("hash-a", now).await.unwrap().as_deref(),
        Some("csrf-a")
    );
    assert_eq!(
        store.session("hash-old", now).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.session("hash-b", now).await.unwrap(), None, "forged");
    store.end_session("hash-a", now).await.unwrap();
    assert_eq!(
        store.session("hash-a", now).await.unwrap(),
        None,
        "ended on the server"
    );

    let view = |origin: &str, day, feed, widget| Views {
        origin: origin.into(),
        day,
        feed,
        widget,
        rendered: 0,
    };
    store
        .add_views(vec![
            view("https://a.example", 100, 3, 1),
            view("https://b.example", 100, 1, 0),
        ])
        .await
        .unwrap();
    store
        .add_views(vec![
            view("https://a.example", 100, 2, 2),
            view("https://a.example", 101, 1, 0),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.views(100).await.unwrap(),
        [
            view("https://a.example", 101, 1, 0),
            view("https://a.example", 100, 5, 3),
            view("https://b.example", 100, 1, 0)
        ]
    );
    assert_eq!(store.views(101).await.unwrap().len(), 1);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sqlite_store_behaves() {
    for (name, behaviour) in BEHAVIOURS {
        let dir =
            std::env::temp_dir().join(format!("newswire-behaviour-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        behaviour(dir.join("reviews.db").display().to_string()).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_postgres_store_behaves() {
    let cluster = pg::Cluster::start();
    for (name, behaviour) in BEHAVIOURS {
        behaviour(cluster.database(name).await).await;
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_written_before_migrations_upgrades_and_moves_to_postgres_whole() {
    // Assemble: a copy of a database written by the release before versioned migrations:
    // six reviews, one hidden, keys, a multi-line and a non-ASCII comment.
    let dir = std::env::temp_dir().join(format!("newswire-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("reviews.db");
    std::fs::copy("tests/fixtures/reviews-before-migrations.db", &file).unwrap();
    let before = rows(&file);
    assert_eq!(before.len(), 6);

    // Action: the server opens it (and so migrates it).
    let opened = SqliteStore::open(&file).unwrap();
    assert_eq!(opened.summary().await.unwrap(), Summary::of(5, 19));
    opened.close().await;
    drop(opened);

    // Assert: every row as it was (but for keys more than a day old, which the store forgets
    // when it opens), and the schema at the newest version.
    let forgotten = store::now() - KEY_LIFETIME;
    let expected: Vec<Row> = before
        .iter()
        .cloned()
        .map(|mut row| {
            if row.6 < forgotten {
                row.1 = None;
            }
            row
        })
        .collect();
    assert_eq!(rows(&file), expected);
    let conn = rusqlite::Connection::open(&file).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version >= 2);
    // A file from a newer release is refused, not damaged.
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    assert!(matches!(
        SqliteStore::open(&file),
        Err(StoreError::TooNew(99, _))
    ));
    conn.execute_batch(&format!("PRAGMA user_version = {version}"))
        .unwrap();
    drop(conn);

    // Action: move it into PostgreSQL with the command a publisher runs.
    let cluster = pg::Cluster::start();
    let url = cluster.database("moved").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newswire-server"))
        .args(["migrate", "--from"])
        .arg(&file)
        .args(["--to", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("copied 6 reviews"));
    // Assert: the same rows, ids, keys and moderation; new ids continue after them.
    let client = connect(&url).await;
    let moved: Vec<Row> = client
        .query(
            "SELECT id, key, rating::INT8, comment, subject, page, created_at, hidden FROM reviews ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)))
        .collect();
    assert_eq!(moved, expected);
    // Each review keeps its partner site, for the console.
    let origins: Vec<String> = client
        .query("SELECT origin FROM reviews ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        origins,
        expected
            .iter()
            .map(|row| store::origin_of(&row.5))
            .collect::<Vec<_>>()
    );
    assert!(origins.contains(&"https://quay-herald.example".to_owned()));
    let store = PgStore::open(&url).await.unwrap();
    let id = store.insert(review(None, 4, "new")).await.unwrap();
    assert_eq!(id, 7);
    // Moving again into a database that holds reviews is refused.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_newswire-server"))
        .args(["migrate", "--from"])
        .arg(&file)
        .args(["--to", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds reviews"));
    let _ = std::fs::remove_dir_all(&dir);
}

type Row = (i64, Option<String>, i64, String, String, String, i64, bool);

/// Every row of the SQLite file, as stored.
fn rows(file: &std::path::Path) -> Vec<Row> {
    let conn = rusqlite::Connection::open(file).unwrap();
    let mut statement = conn
        .prepare("SELECT id, key, rating, comment, subject, page, created_at, hidden FROM reviews ORDER BY id")
        .unwrap();
    statement
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Whether the session behind `url` (read with our own TLS settings) is encrypted.
async fn encrypted(url: &str) -> Result<bool, String> {
    let (config, tls, _) =
        newswire_server::store::tls::connect_settings(url).map_err(|e| e.to_string())?;
    let (client, connection) = config.connect(tls).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_postgresql_follows_sslmode_as_libpq_does() {
    // Assemble: a certificate authority, and a certificate for `localhost` signed by it.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("newswire-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = dir.join("root.crt");
    std::fs::write(&root, ca.pem()).unwrap();
    let root = root.display().to_string();
    let cluster = pg::Cluster::start();
    let port = cluster.port;
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");

    // Action and assert: without TLS on the server, `require` is refused.
    let plain = PgStore::open(&url("127.0.0.1", "sslmode=require")).await;
    let refused = plain.err().expect("refused").to_string();
    assert!(
        refused.to_lowercase().contains("tls") || refused.contains("SSL"),
        "{refused}"
    );

    // With TLS on: verify-full with the right root and name works, and is encrypted.
    cluster.enable_tls(&cert.pem(), &key.serialize_pem());
    let full = url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    PgStore::open(&full)
        .await
        .expect("verify-full with our root");
    assert_eq!(encrypted(&full).await, Ok(true));
    // verify-full with a name the certificate does not carry is refused, saying why.
    let wrong = url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    let refused = PgStore::open(&wrong)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("not valid for name"), "{refused}");
    // verify-ca checks the chain only; a root that did not sign it is refused.
    let chain = url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={root}"),
    );
    assert_eq!(encrypted(&chain).await, Ok(true));
    let stranger = rcgen::KeyPair::generate().unwrap();
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_root = dir.join("other.crt");
    std::fs::write(&other_root, other.self_signed(&stranger).unwrap().pem()).unwrap();
    let untrusted = url(
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={}", other_root.display()),
    );
    assert!(encrypted(&untrusted).await.is_err());
    // require encrypts without checking, as libpq does without a root.
    assert_eq!(
        encrypted(&url("127.0.0.1", "sslmode=require")).await,
        Ok(true)
    );
    // disable stays plain.
    assert_eq!(
        encrypted(&url("127.0.0.1", "sslmode=disable")).await,
        Ok(false)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

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
