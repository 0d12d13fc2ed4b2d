//! The behaviour every store has, run on both: the registry of behaviours, the two runs,
//! and the reviews' own (ids, keys, moderation, export, reopening, the summary).
use crate::*;

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
    ("feed_revisions_only_grow_and_survive_a_reopening", |db| {
        Box::pin(feed_revisions_only_grow_and_survive_a_reopening(db))
    }),
    (
        "websub_subscriptions_are_kept_changed_and_forgotten",
        |db| Box::pin(websub_subscriptions_are_kept_changed_and_forgotten(db)),
    ),
    ("the_console_finds_and_counts", |db| {
        Box::pin(super::console::the_console_finds_and_counts(db))
    }),
    ("sessions_and_views", |db| {
        Box::pin(super::console::sessions_and_views(db))
    }),
    ("the_summary_follows_every_change", |db| {
        Box::pin(the_summary_follows_every_change(db))
    }),
    ("each_day_of_views_is_read_on_its_own", |db| {
        Box::pin(super::console::each_day_of_views_is_read_on_its_own(db))
    }),
];

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

/// The feed's revisions: the same bytes published twice are one revision, new bytes the
/// next, the latest is there after a reopening, and numbers never go back, even past the
/// ones forgotten.
async fn feed_revisions_only_grow_and_survive_a_reopening(db: String) {
    // Assemble.
    let store = store::open(&db).await.unwrap();
    assert_eq!(store.latest_feed().await.unwrap(), None);
    // Action: one feed twice, then another, then back to the first.
    let one = store.publish_feed("\"a\"", b"{\"a\": 1}").await.unwrap();
    let again = store.publish_feed("\"a\"", b"{\"a\": 1}").await.unwrap();
    let two = store.publish_feed("\"b\"", b"{\"b\": 2}").await.unwrap();
    let back = store.publish_feed("\"a\"", b"{\"a\": 1}").await.unwrap();
    // Assert.
    assert_eq!(again, one);
    assert!(two > one && back > two, "{one} {two} {back}");
    store.close().await;
    let store = store::open(&db).await.unwrap();
    let latest = store
        .latest_feed()
        .await
        .unwrap()
        .expect("the latest, kept");
    assert_eq!(
        (latest.revision, latest.etag.as_str(), &latest.body[..]),
        (back, "\"a\"", &b"{\"a\": 1}"[..])
    );
    // Many more: the oldest are forgotten, the numbers still grow.
    let mut last = back;
    for n in 0..(store::FEEDS_KEPT + 4) {
        let next = store
            .publish_feed(&format!("\"{n}\""), n.to_string().as_bytes())
            .await
            .unwrap();
        assert!(next > last);
        last = next;
    }
    assert_eq!(store.latest_feed().await.unwrap().unwrap().revision, last);
    store.close().await;
}

/// WebSub subscriptions: saved, found by path, changed in state and lease (never in what the
/// hub knows them by), listed newest first, and forgotten; kept across a reopening.
async fn websub_subscriptions_are_kept_changed_and_forgotten(db: String) {
    use newswire_server::store::Subscription;
    let store = store::open(&db).await.unwrap();
    let one = Subscription {
        path: "a".repeat(64),
        hub: "https://hub.example/".into(),
        topic: "https://agency.example/feed.json".into(),
        secret: "s".repeat(64),
        state: "subscribe".into(),
        lease: 0,
        expires: 100,
    };
    store.save_subscription(&one).await.unwrap();
    assert_eq!(
        store.subscription(&one.path).await.unwrap(),
        Some(one.clone())
    );
    assert_eq!(store.subscription("unknown").await.unwrap(), None);
    let active = Subscription {
        state: "active".into(),
        lease: 3600,
        expires: 5000,
        // A save never changes who the hub knows the subscription as.
        hub: "https://other.example/".into(),
        secret: "changed".into(),
        ..one.clone()
    };
    store.save_subscription(&active).await.unwrap();
    let kept = store.subscription(&one.path).await.unwrap().unwrap();
    assert_eq!(
        (kept.state.as_str(), kept.lease, kept.expires),
        ("active", 3600, 5000)
    );
    assert_eq!(
        (kept.hub.as_str(), kept.secret.as_str()),
        (one.hub.as_str(), one.secret.as_str())
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let two = Subscription {
        path: "b".repeat(64),
        ..one.clone()
    };
    store.save_subscription(&two).await.unwrap();
    let paths: Vec<String> = store
        .subscriptions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect();
    assert_eq!(paths, [two.path.clone(), one.path.clone()], "newest first");
    store.forget_subscription(&one.path).await.unwrap();
    store.close().await;
    let store = store::open(&db).await.unwrap();
    assert_eq!(store.subscriptions().await.unwrap().len(), 1);
    assert_eq!(store.subscription(&one.path).await.unwrap(), None);
    store.close().await;
}
