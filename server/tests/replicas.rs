//! Scale-out, with the real binary: two `newswire-server` replicas sharing one real
//! PostgreSQL (a throwaway cluster), as a load balancer would spread readers over them.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{pg, server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "replica-admin-token-0123";

/// A replica on a free port, with `db`; it and its address.
fn replica(db: &str, flags: &[&str]) -> (server::Running, String) {
    let mut all = vec!["--admin-token", TOKEN];
    all.extend_from_slice(flags);
    server::spawn("tests/fixtures/agency.rss", db.as_ref(), &all)
}

/// One HTTP/1.1 exchange on a new connection: the status, the headers and the body.
async fn exchange(addr: &str, request: String) -> Option<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut raw))
        .await
        .ok()?
        .ok()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_ascii_lowercase(), raw[end + 4..].to_vec()))
}

async fn post(addr: &str, key: &str, from: Option<&str>) -> Option<(u16, String, Vec<u8>)> {
    let body = format!(r#"{{"rating": 4, "comment": "shared {key}", "key": "{key}"}}"#);
    let forwarded = from.map_or(String::new(), |ip| format!("X-Forwarded-For: {ip}\r\n"));
    exchange(
        addr,
        format!(
            "POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{forwarded}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

async fn get(addr: &str, path: &str, auth: bool) -> Option<(u16, String, Vec<u8>)> {
    let auth = if auth {
        format!("Authorization: Bearer {TOKEN}\r\n")
    } else {
        String::new()
    };
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\n"),
    )
    .await
}

/// Every key in the review table, once per row.
async fn stored_keys(url: &str) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query("SELECT key FROM reviews WHERE key IS NOT NULL", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_replica_under_load_loses_nothing_and_the_other_carries_on() {
    // Assemble: two replicas on one database, 16 clients posting to both in turn.
    let cluster = pg::Cluster::start();
    let url = cluster.database("load").await;
    let (mut one, one_addr) = replica(&url, &[]);
    let (mut two, two_addr) = replica(&url, &[]);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let after_kill = Arc::new(Mutex::new(0usize));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..16 {
        let (one, two) = (one_addr.clone(), two_addr.clone());
        let (acknowledged, after_kill, killed) =
            (acknowledged.clone(), after_kill.clone(), killed.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while started.elapsed() < Duration::from_millis(2500) {
                let key = format!("c{client}-n{n}");
                let to = if (client + n) % 2 == 0 { &one } else { &two };
                if let Some((201, ..)) = post(to, &key, None).await {
                    acknowledged.lock().unwrap().push(key);
                    if to == &two && killed.load(std::sync::atomic::Ordering::SeqCst) {
                        *after_kill.lock().unwrap() += 1;
                    }
                }
                n += 1;
            }
        }));
    }
    // Action: kill -9 the first replica in the middle of it.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    one.kill().unwrap();
    one.wait().unwrap();
    killed.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    // Assert: every acknowledged review is stored, exactly once; the survivor kept storing.
    let stored = stored_keys(&url).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "the load was real: {}",
        acknowledged.len()
    );
    let mut unique = stored.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), stored.len(), "no review stored twice");
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|k| !stored.contains(k))
        .collect();
    assert!(lost.is_empty(), "lost {lost:?}");
    assert!(
        *after_kill.lock().unwrap() > 10,
        "the other replica kept answering"
    );
    println!(
        "replicas: {} acknowledged, {} stored, {} by the survivor after the kill",
        acknowledged.len(),
        stored.len(),
        after_kill.lock().unwrap()
    );
    two.kill().unwrap();
    two.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_agree_on_keys_limits_feeds_and_moderation() {
    let cluster = pg::Cluster::start();
    let url = cluster.database("agree").await;
    // Behind our own proxy, so that one client address can be named on both.
    let (one, a) = replica(&url, &["--client-rate", "6", "--trust-proxy"]);
    let (two, b) = replica(&url, &["--client-rate", "6", "--trust-proxy"]);

    // One key, 40 requests, split across the two: one row, one id.
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let to = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(
                async move { post(&to, "one-key", Some(&format!("198.51.100.{n}"))).await },
            )
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        let (status, _, body) = task.await.unwrap().expect("an answer");
        assert_eq!(status, 201);
        ids.push(String::from_utf8(body).unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id everywhere: {ids:?}");
    assert_eq!(
        stored_keys(&url)
            .await
            .iter()
            .filter(|k| *k == "one-key")
            .count(),
        1
    );

    // One client over both replicas is held to its own limit (6 a minute), not twice that.
    let mut accepted = 0;
    for n in 0..12 {
        let to = if n % 2 == 0 { &a } else { &b };
        let (status, head, _) = post(to, &format!("limited-{n}"), Some("203.0.113.77"))
            .await
            .unwrap();
        match status {
            201 => accepted += 1,
            429 => assert!(head.contains("retry-after")),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, 6, "the limit held across replicas");

    // The same source gives byte-identical feeds with the same ETag on both.
    let (_, head_a, feed_a) = get(&a, "/feed.json", false).await.unwrap();
    let (_, head_b, feed_b) = get(&b, "/feed.json", false).await.unwrap();
    assert_eq!(feed_a, feed_b);
    let etag = |head: &str| {
        head.lines()
            .find(|l| l.starts_with("etag:"))
            .map(str::to_owned)
    };
    assert!(etag(&head_a).is_some());
    assert_eq!(etag(&head_a), etag(&head_b));

    // Moderation on one replica shows on the other.
    let list = get(&b, "/api/reviews?status=all&limit=200", true)
        .await
        .unwrap();
    assert_eq!(list.0, 200);
    let listed: serde_json::Value = serde_json::from_slice(&list.2).unwrap();
    let first = listed["reviews"][0]["id"].as_i64().unwrap();
    let hide = exchange(
        &a,
        format!("POST /api/reviews/{first}/hide HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 0\r\n\r\n"),
    )
    .await
    .unwrap();
    assert_eq!(hide.0, 200);
    let hidden = get(&b, "/api/reviews?status=hidden", true).await.unwrap();
    let hidden: serde_json::Value = serde_json::from_slice(&hidden.2).unwrap();
    assert_eq!(hidden["reviews"][0]["id"], first);
    // The summary catches up within its second of caching.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let summary = get(&b, "/api/reviews/summary", false).await.unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&summary.2).unwrap();
    assert_eq!(
        summary["count"], 6,
        "6 stored (the shared key and 5 more) less the hidden one"
    );
    for mut child in [one, two] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_postgresql_down_reviews_get_503_the_feed_serves_and_it_recovers_without_restart() {
    // Assemble.
    let cluster = pg::Cluster::start();
    let url = cluster.database("outage").await;
    let (mut server, addr) = replica(&url, &[]);
    assert_eq!(post(&addr, "before", None).await.unwrap().0, 201);
    assert_eq!(get(&addr, "/readyz", false).await.unwrap().0, 200);
    // Action: PostgreSQL goes away.
    cluster.pause();
    // Assert: the replica is alive but not ready, and says why, within the probe's deadline.
    let probed = Instant::now();
    let (status, _, body) = get(&addr, "/readyz", false).await.expect("an answer");
    assert_eq!(status, 503);
    assert!(
        probed.elapsed() < Duration::from_secs(3),
        "{:?}",
        probed.elapsed()
    );
    let ready: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(ready["feed"], "ok");
    assert_ne!(ready["store"], "ok", "{ready}");
    assert_eq!(get(&addr, "/healthz", false).await.unwrap().0, 200);
    let started = Instant::now();
    let (status, head, body) = post(&addr, "during", None).await.expect("an answer");
    // Assert: a quick, readable 503 that says when to come back; the feed still serves.
    assert_eq!(status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(head.contains("retry-after"));
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(error["error"].as_str().unwrap().contains("try again"));
    assert_eq!(get(&addr, "/feed.json", false).await.unwrap().0, 200);
    assert_eq!(
        get(&addr, "/api/reviews/summary", false).await.unwrap().0,
        503
    );
    // Action: it comes back; the same server stores again.
    cluster.resume();
    let mut stored = None;
    for _ in 0..50 {
        if let Some((201, ..)) = post(&addr, "after", None).await {
            stored = Some(());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(stored.is_some(), "reviews work again without a restart");
    assert_eq!(
        get(&addr, "/readyz", false).await.unwrap().0,
        200,
        "ready again"
    );
    let keys = stored_keys(&url).await;
    assert!(keys.contains(&"before".to_owned()) && keys.contains(&"after".to_owned()));
    assert!(!keys.contains(&"during".to_owned()));
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Transactions committed in the database behind `url` so far. Backends report when they
/// end, so the replica is stopped before this is read.
async fn commits(url: &str) -> i64 {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_from_one_address_is_refused_without_writing_to_postgresql() {
    // Assemble: a replica that allows 10 reviews a minute per client.
    let cluster = pg::Cluster::start();
    let url = cluster.database("flood").await;
    let (one, addr) = replica(&url, &["--client-rate", "10"]);
    // A first review: migrations and the hourly sweep are behind us.
    assert_eq!(post(&addr, "first", None).await.map(|r| r.0), Some(201));
    drop(one);
    let before = commits(&url).await;
    let (one, addr) = replica(&url, &["--client-rate", "10"]);
    // Action: 8 s of reviews from one address, from 32 connections at a time.
    let until = Instant::now() + Duration::from_secs(8);
    let mut floods = Vec::new();
    for worker in 0..32 {
        let addr = addr.clone();
        floods.push(tokio::spawn(async move {
            let (mut refused, mut stored) = (0u64, 0u64);
            let mut n = 0;
            while Instant::now() < until {
                match post(&addr, &format!("flood-{worker}-{n}"), None).await {
                    Some((429, _, _)) => refused += 1,
                    Some((201, _, _)) => stored += 1,
                    other => panic!("unexpected {:?}", other.map(|r| r.0)),
                }
                n += 1;
            }
            (refused, stored)
        }));
    }
    let (mut refused, mut stored) = (0, 0);
    for flood in floods {
        let (r, s) = flood.await.unwrap();
        refused += r;
        stored += s;
    }
    drop(one);
    let after = commits(&url).await;
    // Assert: the limit held, and the refusals cost next to nothing in PostgreSQL.
    let spent = after - before;
    println!("flood: {refused} answered 429, {stored} stored, {spent} transactions committed");
    assert!(refused > 2000, "the flood was real: {refused}");
    assert!(stored <= 20, "{stored} stored in at most two windows");
    assert!(
        (spent as f64) < 0.05 * refused as f64,
        "{spent} commits for {refused} refusals"
    );
}

/// A review from 203.0.113.90, as the proxy in front of the replicas names it.
async fn send(to: &str, body: &str) -> Option<(u16, String, Vec<u8>)> {
    exchange(
        to,
        format!(
            "POST /api/reviews HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\nX-Forwarded-For: 203.0.113.90\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

/// The shared limit counts every review request, not only the ones that reach the store:
/// bad reviews, and a bot's, use up the window as good ones do, over both replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_never_reach_the_store_count_against_the_shared_limit() {
    // Assemble: two replicas that allow 4 reviews a minute per client.
    let cluster = pg::Cluster::start();
    let url = cluster.database("uncounted").await;
    let (_one, a) = replica(&url, &["--client-rate", "4", "--trust-proxy"]);
    let (_two, b) = replica(&url, &["--client-rate", "4", "--trust-proxy"]);
    // Action: two reviews out of range, one that is not JSON and one from a bot (the
    // honeypot filled in), then another out of range and a good one.
    let out_of_range = r#"{"rating": 9, "comment": "too high"}"#;
    assert_eq!(send(&a, out_of_range).await.unwrap().0, 422);
    assert_eq!(send(&b, out_of_range).await.unwrap().0, 422);
    assert_eq!(send(&a, "{not json").await.unwrap().0, 400);
    let bot = r#"{"rating": 5, "comment": "buy now", "website": "https://spam.example"}"#;
    assert_eq!(send(&b, bot).await.unwrap().0, 201);
    // The fifth request, a bad one too, is over the limit: 429, not 422.
    assert_eq!(send(&b, out_of_range).await.unwrap().0, 429);
    let good = send(
        &a,
        r#"{"rating": 4, "comment": "fine", "key": "after-five"}"#,
    )
    .await
    .unwrap();
    // Assert: the window was used up by the ones before it.
    assert_eq!(good.0, 429, "the sixth request of the minute");
    assert!(stored_keys(&url).await.is_empty());
}

/// Whether a replica started with `flags` on `db`, serving the demo's sample feed (which
/// links its stories relative to itself), warns that replicas would disagree.
fn warns_of_relative_links(db: &str, feed: &str, flags: &[&str]) -> bool {
    let (mut running, _, _) = server::spawn_with(
        feed,
        db.as_ref(),
        flags,
        std::process::Stdio::piped(),
        |_| true,
    );
    let stderr = running.stderr.take().unwrap();
    let (lines, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    let until = Instant::now() + Duration::from_secs(3);
    while let Ok(line) = read.recv_timeout(until.saturating_duration_since(Instant::now())) {
        if line.contains("--public-url is not set") {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_feed_links_relatively_asks_for_a_public_url() {
    // Assemble: one database.
    let cluster = pg::Cluster::start();
    let url = cluster.database("public_url").await;
    // Action and assert: the sample feed's relative links without --public-url are warned
    // of; with it, or with a feed of absolute links, nothing is said.
    assert!(warns_of_relative_links(
        &url,
        "../www/sample-feed.json",
        &[]
    ));
    assert!(!warns_of_relative_links(
        &url,
        "../www/sample-feed.json",
        &["--public-url", "https://news.example"]
    ));
    assert!(!warns_of_relative_links(
        &url,
        "tests/fixtures/agency.rss",
        &[]
    ));
}

/// An open live stream on `addr` (`GET /feed/events`), from `since` when given.
async fn stream(addr: &str, since: Option<i64>) -> TcpStream {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let path = since.map_or("/feed/events".to_owned(), |s| {
        format!("/feed/events?since={s}")
    });
    socket
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    socket
}

/// Reads `socket` until it has sent `id: {revision}` (an event of that revision), or fails
/// after 10 s.
async fn hears(socket: &mut TcpStream, revision: i64) {
    let wanted = format!("id: {revision}\n");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.contains(&wanted) {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, socket.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no event {revision} in 10 s: {seen}"))
            .unwrap();
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// The revision `addr` serves, from its `/feed.json`.
async fn served_revision(addr: &str) -> i64 {
    let (_, head, _) = get(addr, "/feed.json", false).await.unwrap();
    head.lines()
        .find_map(|l| l.strip_prefix("newswire-revision:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a revision")
}

/// `feed` (a JSON Feed file) with one more story first.
fn add_story(feed: &std::path::Path, id: &str) {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(feed).unwrap()).unwrap();
    json["items"].as_array_mut().unwrap().insert(
        0,
        serde_json::json!({"id": id, "title": format!("Story {id}"), "tags": ["Politics"]}),
    );
    std::fs::write(feed, json.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revision_one_replica_accepts_reaches_the_other_s_streams_even_when_its_listener_is_cut()
{
    let cluster = pg::Cluster::start();
    let url = cluster.database("live").await;
    let dir = std::env::temp_dir().join(format!("newswire-replicas-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Each replica reads a file of its own: only A's changes, so what B serves comes through
    // PostgreSQL.
    let (feed_a, feed_b) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::copy("../tests/fixtures/feed.json", &feed_a).unwrap();
    std::fs::copy("../tests/fixtures/feed.json", &feed_b).unwrap();
    let (_one, a) = server::spawn(feed_a.to_str().unwrap(), url.as_ref(), &[]);
    let (two, b) = server::spawn(feed_b.to_str().unwrap(), url.as_ref(), &[]);
    let first = served_revision(&b).await;
    assert_eq!(served_revision(&a).await, first, "one feed, one revision");
    let mut on_b = stream(&b, Some(first)).await;

    // Action: a story reaches A.
    add_story(&feed_a, "pushed-to-a");
    // Assert: B's stream has it, and B serves A's bytes under A's ETag.
    hears(&mut on_b, first + 1).await;
    let (_, head_a, body_a) = get(&a, "/feed.json", false).await.unwrap();
    let (_, head_b, body_b) = get(&b, "/feed.json", false).await.unwrap();
    assert_eq!(body_a, body_b, "byte for byte");
    let etag = |h: &str| {
        h.lines()
            .find(|l| l.starts_with("etag:"))
            .map(str::to_owned)
    };
    assert_eq!(etag(&head_a), etag(&head_b));

    // Action: B's listening connection is cut while A publishes again.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let name = format!("newswire-listen {}", two.id());
    let cut = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap();
    assert_eq!(cut.len(), 1, "B's listener was found and cut");
    add_story(&feed_a, "while-b-was-deaf");
    // Assert: B reconnects, catches up by revision, and its stream has it.
    hears(&mut on_b, first + 2).await;
    assert_eq!(served_revision(&b).await, first + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_replica_polls_the_upstream_and_another_takes_over_when_it_dies() {
    let cluster = pg::Cluster::start();
    let url = cluster.database("lead").await;
    // The upstream: a feed whose version the test sets, counting the polls it gets.
    let polls = Arc::new(Mutex::new(0usize));
    let version = Arc::new(Mutex::new(1usize));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}/feed.json", listener.local_addr().unwrap());
    {
        let (polls, version) = (polls.clone(), version.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (polls, version) = (polls.clone(), version.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    *polls.lock().unwrap() += 1;
                    let v = *version.lock().unwrap();
                    let body = format!(
                        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "Upstream", "items": [{{"id": "v{v}", "title": "Version {v}", "tags": ["Politics"]}}]}}"#
                    );
                    let _ = socket
                        .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/feed+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes())
                        .await;
                });
            }
        });
    }
    let flags = ["--feed-interval", "1"];
    let (mut one, a) = server::spawn(&upstream, url.as_ref(), &flags);
    let (_two, b) = server::spawn(&upstream, url.as_ref(), &flags);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Exactly one polls: about one request a second, not two.
    let start = *polls.lock().unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let in_four = *polls.lock().unwrap() - start;
    assert!((2..=6).contains(&in_four), "{in_four} polls in 4 s");

    // The first replica dies; the other takes over and serves the next version.
    one.kill().unwrap();
    one.wait().unwrap();
    *version.lock().unwrap() = 2;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, _, body) = get(&b, "/feed.json", false).await.unwrap();
        if String::from_utf8_lossy(&body).contains("Version 2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no replica took over within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = a;
}
