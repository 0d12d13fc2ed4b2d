//! The console's behaviours, run on both stores by `behaviour.rs`: finding and counting
//! reviews, sessions, and where the widget is shown.
use crate::*;

pub(crate) async fn each_day_of_views_is_read_on_its_own(db: String) {
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

pub(crate) async fn the_console_finds_and_counts(db: String) {
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

pub(crate) async fn sessions_and_views(db: String) {
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
