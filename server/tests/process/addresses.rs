//! Who the client is and where readers reach us: trusted proxies across hops, and the
//! sample feed's links following the server's address.
use crate::*;

/// A CDN edge (203.0.113.0/24) in front of our proxy (127.0.0.5): each reader behind the
/// edge keeps a rate-limit bucket of their own, and only the listed proxies may hold more
/// than one client's share of the connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxy_networks_name_the_client_across_hops_and_skip_the_connection_cap() {
    // Assemble: one review a minute per client, four connections per client.
    let dir = temp_dir("trusted-proxy");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--client-rate",
            "1",
            "--max-connections-per-client",
            "4",
            "--trusted-proxy",
            "127.0.0.5/32",
            "--trusted-proxy",
            "203.0.113.0/24",
        ],
    );
    let review = |from: [u8; 4], forwarded: &str, key: &str| {
        let body = format!(r#"{{"rating": 4, "comment": "hop", "key": "{key}"}}"#);
        let request = format!("POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {forwarded}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let addr = addr.clone();
        async move {
            let answer = exchange_from(&addr, from.into(), request).await;
            answer.split(' ').nth(1).unwrap_or_default().to_owned()
        }
    };
    let proxy = [127, 0, 0, 5];
    // Action and assert: two hops, reader → edge → our proxy.
    assert_eq!(review(proxy, "198.51.100.1, 203.0.113.5", "a").await, "201");
    assert_eq!(review(proxy, "198.51.100.1, 203.0.113.7", "b").await, "429");
    assert_eq!(
        review(proxy, "198.51.100.2, 203.0.113.5", "c").await,
        "201",
        "another reader behind the same edge has a bucket of their own"
    );
    // Three hops, with an entry on the left that the client wrote itself.
    assert_eq!(
        review(
            proxy,
            "6.6.6.6, 198.51.100.2, 203.0.113.5, 203.0.113.9",
            "d"
        )
        .await,
        "429",
        "the reader is found through three hops"
    );
    // A peer that is not our proxy speaks for nobody: its own address counts.
    let stranger = [127, 0, 0, 6];
    assert_eq!(review(stranger, "198.51.100.3", "e").await, "201");
    assert_eq!(review(stranger, "198.51.100.4", "f").await, "429");
    // The connection cap: the proxy holds ten half-sent requests, the stranger only four.
    let mut held = Vec::new();
    for (from, count) in [(proxy, 10), (stranger, 4)] {
        for _ in 0..count {
            let mut stream = connect_from(&addr, from.into()).await.expect("accepted");
            stream
                .write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            held.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        held.iter().all(still_open),
        "the proxy's ten and the stranger's four are open"
    );
    let mut extra = connect_from(&addr, stranger.into())
        .await
        .expect("accepted");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_end(&mut raw))
        .await
        .expect("answered at once")
        .unwrap();
    let extra = String::from_utf8_lossy(&raw);
    assert!(extra.starts_with("HTTP/1.1 503"), "{extra}");
    let through_proxy = exchange_from(
        &addr,
        proxy.into(),
        "GET /feed.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(through_proxy.starts_with("HTTP/1.1 200"), "{through_proxy}");
}

/// The demo's sample feed links its stories relative to itself, so its links follow the
/// address the server listens on, whatever `--addr` says, or `--public-url` where readers
/// reach it through something else: in the feed and in the rendered widget alike.
#[tokio::test]
async fn the_sample_feeds_links_follow_the_servers_address() {
    let dir = temp_dir("public-url");
    let db = dir.join("reviews.db");
    let get = |addr: String, path: &'static str| async move {
        let from = std::net::Ipv4Addr::LOCALHOST;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        exchange_from(&addr, from, request).await
    };
    let sample = "../www/sample-feed.json";
    let (_running, addr, _) =
        server::spawn_with(sample, db.as_os_str(), &[], Stdio::null(), |_| true);
    let json = |reply: String| -> serde_json::Value {
        serde_json::from_str(reply.split_once("\r\n\r\n").unwrap().1).unwrap()
    };
    let feed = json(get(addr.clone(), "/feed.json").await);
    let story = format!("http://{addr}/story.html#coastal-rail-vote");
    assert_eq!(feed["items"][0]["url"], story.as_str());
    assert_eq!(feed["home_page_url"], format!("http://{addr}/").as_str());
    let items = feed["items"].as_array().unwrap();
    assert!(items
        .iter()
        .all(|i| i["url"].as_str().unwrap().starts_with("http://")));
    let rendered = get(addr.clone(), "/newswire/include").await;
    assert!(
        rendered.contains(&format!(
            "href=\"http://{addr}/story.html#coastal-rail-vote\""
        )),
        "{rendered}"
    );
    let flags = ["--public-url", "https://News.Example/"];
    let (_running, addr, _) =
        server::spawn_with(sample, db.as_os_str(), &flags, Stdio::null(), |_| true);
    let feed = json(get(addr, "/feed.json").await);
    let story = "https://news.example/story.html#coastal-rail-vote";
    assert_eq!(feed["items"][0]["url"], story);
    let refused = Command::new(BIN)
        .args(["--public-url", "news.example/path"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--public-url"));
}
