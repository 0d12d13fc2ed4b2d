//! Reviews: stored once per key, refused clearly, only from allowed partners, within the
//! rate limits, and moderated with the admin token.

use crate::support::app::*;

#[tokio::test]
async fn a_valid_review_is_stored_and_answered_with_its_id() {
    let server = Server::start("store").await;
    let reply = server
        .post_review(r#"{"rating": 4, "comment": " Clear briefs. ", "subject": "lead-1", "page": "http://partner.example/a", "key": "k1", "extra": true}"#)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://partner.example")
    );
    assert_eq!(reply.header("vary"), Some("origin"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    let id = reply.json()["id"].as_i64().unwrap();
    assert_eq!(
        server.rows(),
        [(id, 4, "Clear briefs.".to_owned(), Some("k1".to_owned()))]
    );

    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await;
    assert_eq!(summary.status, 200);
    assert_eq!(
        summary.json(),
        serde_json::json!({"count": 1, "average": 4.0})
    );
}

#[tokio::test]
async fn the_same_key_stores_once_and_a_changed_body_is_refused() {
    let server = Server::start("idem").await;
    let body = r#"{"rating": 5, "comment": "", "subject": "s", "page": "p", "key": "same"}"#;
    let first = server.post_review(body).await;
    let second = server.post_review(body).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.json()["id"], second.json()["id"]);
    let changed = server
        .post_review(r#"{"rating": 1, "comment": "", "subject": "s", "page": "p", "key": "same"}"#)
        .await;
    changed.assert_error(422);
    assert_eq!(server.rows().len(), 1);
}

#[tokio::test]
async fn bad_reviews_get_clear_errors_and_nothing_is_stored() {
    let server = Server::start("bad").await;
    let not_json = server
        .request(
            "POST",
            "/api/reviews",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"rating=5",
        )
        .await;
    not_json.assert_error(415);
    let put = server.request("PUT", "/api/reviews", &[], b"").await;
    put.assert_error(405);
    assert_eq!(put.header("allow"), Some("GET, POST, OPTIONS"));
    // Listing is for the publisher; without an admin token the route is off.
    let get = server.request("GET", "/api/reviews", &[], b"").await;
    get.assert_error(404);
    let no_type = server.request("POST", "/api/reviews", &[], b"{}").await;
    no_type.assert_error(415);
    let big = format!(r#"{{"rating": 5, "comment": "{}"}}"#, "x".repeat(9000));
    server.post_review(&big).await.assert_error(413);
    server.post_review("{not json").await.assert_error(400);
    server
        .post_review(r#"{"rating": 0}"#)
        .await
        .assert_error(422);
    server
        .post_review(r#"{"rating": 6}"#)
        .await
        .assert_error(422);
    server
        .post_review(r#"{"rating": "5"}"#)
        .await
        .assert_error(422);
    server
        .post_review(r#"{"comment": "no rating"}"#)
        .await
        .assert_error(422);
    let long = format!(r#"{{"rating": 3, "comment": "{}"}}"#, "é".repeat(1001));
    server.post_review(&long).await.assert_error(422);
    assert!(server.rows().is_empty());
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await;
    assert_eq!(
        summary.json(),
        serde_json::json!({"count": 0, "average": null})
    );
}

#[tokio::test]
async fn cross_origin_posts_pass_the_preflight() {
    let server = Server::start("cors").await;
    let reply = server
        .request(
            "OPTIONS",
            "/api/reviews",
            &[
                ("Origin", "http://partner.example"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            b"",
        )
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://partner.example")
    );
    assert_eq!(reply.header("vary"), Some("origin"));
    assert!(reply
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert!(reply
        .header("access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
}

#[tokio::test]
async fn only_allowed_partner_origins_may_post_and_nothing_else_is_stored() {
    let server = Server::start("allowlist").await;
    let refused = server
        .post_from(Some("https://stranger.example"), &[], REVIEW)
        .await;
    refused.assert_error(403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("vary"), Some("origin"));
    let preflight = server
        .request(
            "OPTIONS",
            "/api/reviews",
            &[
                ("Origin", "https://stranger.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
            b"",
        )
        .await;
    assert_eq!(preflight.status, 403);
    assert!(
        server.rows().is_empty(),
        "nothing stored for a refused origin"
    );
    // A non-browser client sends no Origin; CORS does not concern it.
    assert_eq!(server.post_from(None, &[], REVIEW).await.status, 201);
    assert_eq!(server.rows().len(), 1);

    // With no partner named, loopback pages on any port, and nothing else.
    let local = Server::start_with("loopback", Policy::default()).await;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:9",
        "http://[::1]:8080",
    ] {
        let reply = local.post_from(Some(origin), &[], REVIEW).await;
        assert_eq!(reply.status, 201, "{origin}: {}", reply.body);
        assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
    }
    local
        .post_from(Some("http://partner.example"), &[], REVIEW)
        .await
        .assert_error(403);
}

#[tokio::test]
async fn rate_limits_answer_429_and_rotating_forwarded_for_bypasses_nothing() {
    let strict = Policy {
        origins: Origins::new(vec!["http://partner.example".into()]),
        client_rate: Rate::per_minute(2),
        ..Policy::default()
    };
    let server = Server::start_with("ratelimit", strict.clone()).await;
    let origin = Some("http://partner.example");
    for n in 0..2 {
        let forwarded = format!("198.51.100.{n}");
        let reply = server
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        assert_eq!(reply.status, 201);
    }
    let limited = server
        .post_from(origin, &[("X-Forwarded-For", "198.51.100.77")], REVIEW)
        .await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(limited.body, "", "no detail");
    assert_eq!(server.rows().len(), 2);

    // Behind a trusted proxy, the forwarded address is the client.
    let proxied = Server::start_with(
        "proxied",
        Policy {
            proxies: newswire_server::net::proxies::Proxies::AnyPeer,
            ..strict.clone()
        },
    )
    .await;
    for n in 0..3 {
        let forwarded = format!("203.0.113.{n}");
        let reply = proxied
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        assert_eq!(reply.status, 201, "a client of its own");
    }

    // The global bucket holds however many clients there are.
    let global = Server::start_with(
        "global",
        Policy {
            proxies: newswire_server::net::proxies::Proxies::AnyPeer,
            client_rate: Rate::per_minute(100),
            global_rate: Rate::per_second(3),
            ..strict
        },
    )
    .await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let forwarded = format!("192.0.2.{n}");
        let reply = global
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
}

#[tokio::test]
async fn the_honeypot_gets_a_normal_answer_and_is_not_stored() {
    let server = Server::start("honeypot").await;
    let bot = server
        .post_review(r#"{"rating": 5, "comment": "Buy now", "website": "http://spam.example"}"#)
        .await;
    assert_eq!(bot.status, 201);
    assert!(bot.json()["id"].as_i64().unwrap() > 0);
    assert!(server.rows().is_empty());
    let person = server
        .post_review(r#"{"rating": 5, "comment": "Real", "website": ""}"#)
        .await;
    assert_eq!(person.status, 201);
    assert_eq!(server.rows().len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_posts_with_one_key_store_one_row_with_one_id() {
    let server = Arc::new(Server::start("concurrent").await);
    let body = r#"{"rating": 3, "comment": "Once", "key": "same-key-50"}"#;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move { server.post_review(body).await }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.json()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same review");
    assert_eq!(server.rows().len(), 1);
    // Many different reviews at once: every one acknowledged is stored.
    let mut tasks = Vec::new();
    for n in 0..64 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"rating": 4, "comment": "n{n}", "key": "k{n}"}}"#);
            server.post_review(&body).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    assert_eq!(server.rows().len(), 65);
}

#[tokio::test]
async fn the_publisher_lists_pages_hides_and_shows_with_the_admin_token() {
    let server = Server::start_with(
        "admin",
        Policy {
            admin_token: Some("s3cret-admin-token".into()),
            ..Policy::default()
        },
    )
    .await;
    for n in 1..=5 {
        let body = format!(r#"{{"rating": {n}, "comment": "r{n}"}}"#);
        assert_eq!(server.post_from(None, &[], &body).await.status, 201);
    }
    let bearer = [("Authorization", "Bearer s3cret-admin-token")];
    server
        .request("GET", "/api/reviews", &[], b"")
        .await
        .assert_error(401);
    server
        .request(
            "GET",
            "/api/reviews",
            &[("Authorization", "Bearer s3cret-admin-tokem")],
            b"",
        )
        .await
        .assert_error(401);
    let page = server
        .request("GET", "/api/reviews?limit=2", &bearer, b"")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let first = page.json();
    assert_eq!(first["reviews"].as_array().unwrap().len(), 2);
    let next = first["next"].as_i64().unwrap();
    let page = server
        .request(
            "GET",
            &format!("/api/reviews?limit=2&after={next}"),
            &bearer,
            b"",
        )
        .await
        .json();
    assert_eq!(page["reviews"][0]["comment"], "r3");

    let hidden = server
        .request("POST", "/api/reviews/1/hide", &bearer, b"")
        .await;
    assert_eq!(hidden.json(), serde_json::json!({"id": 1, "hidden": true}));
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await
        .json();
    assert_eq!(summary, serde_json::json!({"count": 4, "average": 3.5}));
    let list = server
        .request("GET", "/api/reviews?status=hidden", &bearer, b"")
        .await
        .json();
    assert_eq!(list["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(list["reviews"][0]["comment"], "r1");
    assert_eq!(list["next"], serde_json::Value::Null);
    server
        .request("POST", "/api/reviews/1/show", &bearer, b"")
        .await;
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await
        .json();
    assert_eq!(summary["count"], 5);
    server
        .request("POST", "/api/reviews/99/hide", &bearer, b"")
        .await
        .assert_error(404);
    server
        .request("POST", "/api/reviews/1/hide", &[], b"")
        .await
        .assert_error(401);
    server
        .request("GET", "/api/reviews?status=gone", &bearer, b"")
        .await
        .assert_error(400);
}

#[tokio::test]
async fn failed_admin_attempts_are_limited_even_for_the_right_token_afterwards() {
    let server = Server::start_with(
        "admin-failures",
        Policy {
            admin_token: Some("s3cret-admin-token".into()),
            ..Policy::default()
        },
    )
    .await;
    let wrong = [("Authorization", "Bearer guess")];
    for _ in 0..10 {
        server
            .request("GET", "/api/reviews", &wrong, b"")
            .await
            .assert_error(401);
    }
    let blocked = server.request("GET", "/api/reviews", &wrong, b"").await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").is_some());
    let right = [("Authorization", "Bearer s3cret-admin-token")];
    assert_eq!(
        server
            .request("GET", "/api/reviews", &right, b"")
            .await
            .status,
        429,
        "no more guesses until the bucket refills"
    );
}

#[tokio::test]
async fn a_review_counts_for_the_partner_it_came_from_and_for_no_other() {
    // Assemble: a server that accepts http://partner.example.
    let server = Server::start("attribution").await;
    let review =
        |page: &str| serde_json::json!({ "rating": 4, "comment": "ok", "page": page }).to_string();
    // Action: from the partner about its own page, about another site's page, and with
    // no page; then without an Origin at all, naming the partner's page.
    for (origin, page) in [
        (
            Some("http://partner.example"),
            "http://partner.example/news/1",
        ),
        (Some("http://partner.example"), "https://other.example/news"),
        (Some("http://partner.example"), ""),
        (None, "http://partner.example/news/2"),
    ] {
        let reply = server.post_from(origin, &[], &review(page)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    // Assert: the partner is the request's Origin, and only with a page on it.
    let conn = Connection::open(server.dir.join("reviews.db")).unwrap();
    let partners: Vec<String> = conn
        .prepare("SELECT origin FROM reviews ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        partners,
        ["http://partner.example", "", "http://partner.example", ""]
    );
}
