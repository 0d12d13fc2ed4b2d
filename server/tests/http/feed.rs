//! The feed: served with its validators and CORS, converted from RSS and Atom and other
//! encodings, polled from a URL conditionally, and kept when its source goes bad.

use crate::support::app::*;

#[tokio::test]
async fn the_feed_is_served_with_etag_cache_and_cors() {
    let server = Server::start("feed").await;
    // Action.
    let first = server.request("GET", "/feed.json", &[], b"").await;
    // Assert.
    assert_eq!(first.status, 200);
    assert_eq!(first.body, FEED);
    assert_eq!(
        first.header("content-type"),
        Some("application/feed+json; charset=utf-8")
    );
    assert_eq!(first.header("access-control-allow-origin"), Some("*"));
    let cache = first.header("cache-control").unwrap();
    assert!(cache.contains("max-age=") && cache.contains("stale-while-revalidate="));
    assert_eq!(
        first.header("access-control-expose-headers"),
        Some("etag, newswire-revision, newswire-stream")
    );
    let etag = first.header("etag").expect("an etag").to_owned();
    assert_eq!(first.header("vary"), Some("accept-encoding"));

    // A browser that takes brotli gets the same bytes, compressed once per revision.
    let compressed = server
        .request("GET", "/feed.json", &[("Accept-Encoding", "gzip, br")], b"")
        .await;
    assert_eq!(compressed.header("content-encoding"), Some("br"));
    assert_eq!(compressed.header("etag"), Some(etag.as_str()));
    let raw = server
        .request_bytes("GET", "/feed.json", &[("Accept-Encoding", "br")])
        .await;
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut raw.as_slice(), &mut plain).unwrap();
    assert_eq!(plain, FEED.as_bytes());

    // A partner page may refresh conditionally: the preflight allows If-None-Match.
    let preflight = server
        .request(
            "OPTIONS",
            "/feed.json",
            &[
                ("Origin", "http://partner.example"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "if-none-match"),
            ],
            b"",
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("if-none-match")
    );

    let again = server
        .request("GET", "/feed.json", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, "");
    let weak = format!("\"other\", W/{etag}");
    let weak = server
        .request("GET", "/feed.json", &[("If-None-Match", &weak)], b"")
        .await;
    assert_eq!(weak.status, 304);

    std::fs::write(server.dir.join("feed.json"), FEED.replace("\"T\"", "\"U\"")).unwrap();
    let changed = server
        .request("GET", "/feed.json", &[("If-None-Match", &etag)], b"")
        .await;
    assert_eq!(changed.status, 200, "an edited feed is sent again");
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn a_missing_feed_is_an_honest_503() {
    let server = Server::start("nofeed").await;
    std::fs::remove_file(server.dir.join("feed.json")).unwrap();
    let reply = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(reply.json()["error"].is_string());
}

#[tokio::test]
async fn rss_and_atom_files_are_served_as_json_feed_and_a_bad_edit_keeps_the_last_good() {
    let server = Server::start("rss").await;
    let feed_path = server.dir.join("feed.json");
    std::fs::write(&feed_path, include_str!("../fixtures/agency.rss")).unwrap();
    let reply = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(reply.status, 200);
    let feed = reply.json();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Harbour Wire & Partners");
    assert_eq!(feed["items"][0]["_newswire"]["headline"], true);
    assert_eq!(
        feed["items"][0]["tags"],
        serde_json::json!(["Politics", "Headline"])
    );

    // A half-written or broken file is ignored; the last good feed stays.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    std::fs::write(&feed_path, "<html><body>Bad Gateway</body></html>!").unwrap();
    let kept = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.json()["title"], "Harbour Wire & Partners");

    std::fs::write(&feed_path, include_str!("../fixtures/agency.atom")).unwrap();
    let atom = server.request("GET", "/feed.json", &[], b"").await.json();
    assert_eq!(atom["title"], "Harbour Wire (Atom)");
    assert_eq!(
        atom["items"][1]["content_text"],
        "Members asked about the budget."
    );
}

#[tokio::test]
async fn feeds_in_other_encodings_and_date_forms_are_served_as_readers_should_see_them() {
    let server = Server::start("encodings").await;
    let feed_path = server.dir.join("feed.json");
    // A windows-1251 RSS file: served as UTF-8 JSON, letter for letter.
    std::fs::write(
        &feed_path,
        include_bytes!("../fixtures/encodings/cp1251.rss"),
    )
    .unwrap();
    let feed = server.request("GET", "/feed.json", &[], b"").await.json();
    assert_eq!(feed["title"], "Вести Порта");
    assert_eq!(feed["items"][0]["title"], "Парламент утвердил бюджет");

    // An encoding nobody knows: refused, and the last good feed stays.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    std::fs::write(
        &feed_path,
        include_bytes!("../fixtures/encodings/unknown.rss"),
    )
    .unwrap();
    let kept = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.json()["title"], "Вести Порта");

    // A JSON Feed with an e-mail date: served with that date in RFC 3339, and the
    // unreadable one left out, rather than passed on as it came.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    std::fs::write(&feed_path, include_bytes!("../fixtures/rfc2822-dates.json")).unwrap();
    let feed = server.request("GET", "/feed.json", &[], b"").await.json();
    assert_eq!(feed["items"][0]["date_published"], "2026-11-27T19:17:58Z");
    assert_eq!(feed["items"][2].get("date_published"), None);

    // A JSON Feed whose dates are all fine goes out byte for byte.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let exact = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
        "items": [{"id": "d", "title": "Day", "date_published": "2026-11-16"}]}"#;
    std::fs::write(&feed_path, exact).unwrap();
    let reply = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(reply.body, exact);
}

/// A tiny upstream for URL feeds: answers `body` with an ETag, 304 to a matching
/// `If-None-Match`, and 500 once `broken` is set.
async fn upstream(
    body: &'static str,
    broken: Arc<std::sync::atomic::AtomicBool>,
    seen: Seen,
) -> std::net::SocketAddr {
    scripted_upstream(
        move |_, inm, _| {
            if broken.load(std::sync::atomic::Ordering::SeqCst) {
                "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else if inm == Some("\"v1\"") {
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            }
        },
        seen,
    )
    .await
}

#[tokio::test]
async fn a_feed_url_is_polled_conditionally_and_an_upstream_failure_keeps_the_last_good() {
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let addr = upstream(
        include_str!("../fixtures/agency.rss"),
        broken.clone(),
        seen.clone(),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("newswire-poll-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = FeedSource::url(
        format!("http://{addr}/rss"),
        std::time::Duration::from_millis(100),
        "Headline",
    );
    let state = AppState::new(
        source,
        dir.clone(),
        std::sync::Arc::new(SqliteStore::open(&dir.join("r.db")).unwrap()),
        Policy::default(),
    );
    tokio::spawn(state.feed.clone().poll());
    let wait_for = |n: usize| {
        let seen = seen.clone();
        async move {
            for _ in 0..100 {
                if seen.lock().unwrap().len() >= n {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("the upstream saw fewer than {n} requests");
        }
    };
    wait_for(2).await;
    let served = state.feed.current().await.expect("a feed");
    let feed: serde_json::Value = serde_json::from_slice(&served.body).unwrap();
    assert_eq!(feed["title"], "Harbour Wire & Partners");
    let validators: Vec<Option<String>> = seen.lock().unwrap()[..2]
        .iter()
        .map(|(_, inm)| inm.clone())
        .collect();
    assert_eq!(
        validators,
        [None, Some("\"v1\"".to_owned())],
        "the second poll is conditional"
    );
    broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let before = seen.lock().unwrap().len();
    wait_for(before + 2).await;
    let kept = state.feed.current().await.expect("the last good feed");
    assert_eq!(kept.etag, served.etag);
}

/// Each request an upstream saw: its path and its `If-None-Match`.
type Seen = Arc<std::sync::Mutex<Vec<(String, Option<String>)>>>;

/// An upstream that answers each request with `answer(path, if_none_match)`, a whole
/// HTTP response; records each request's path and validator.
async fn scripted_upstream(
    answer: impl Fn(&str, Option<&str>, u16) -> String + Send + 'static,
    seen: Seen,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
            let inm = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("if-none-match:")
                    .map(|v| v.trim().to_owned())
            });
            seen.lock().unwrap().push((path.clone(), inm.clone()));
            let reply = answer(&path, inm.as_deref(), addr.port());
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    addr
}

fn ok_rss(etag: &str) -> String {
    let body = include_str!("../fixtures/agency.rss");
    format!(
        "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn redirect(to: &str) -> String {
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test]
async fn redirects_stay_on_the_feed_host_and_a_rejected_body_leaves_no_validator() {
    // Assemble: an upstream that moves its feed, sends readers elsewhere, or serves an
    // error page with an ETag (and then answers that ETag with 304).
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let addr = scripted_upstream(
        |path, inm, port| match (path, inm) {
            ("/moved", _) => redirect("/rss"),
            ("/away", _) => redirect(&format!("http://localhost:{port}/rss")),
            ("/metadata", _) => redirect("http://169.254.169.254/latest/meta-data/"),
            ("/downgrade", _) => redirect(&format!("https://127.0.0.1:{port}/rss")),
            ("/loop", _) => redirect("/loop"),
            ("/flaky", Some("\"broken\"")) => {
                "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".into()
            }
            ("/flaky", _) if FLAKY_SERVED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => {
                "HTTP/1.1 200 OK\r\nETag: \"broken\"\r\nContent-Length: 20\r\nConnection: close\r\n\r\n<html>oops</html>   ".into()
            }
            _ => ok_rss("\"good\""),
        },
        seen.clone(),
    )
    .await;
    let fetch = |path: &'static str| {
        let url = format!("http://{addr}{path}");
        tokio::task::spawn_blocking(move || {
            newswire_server::feed::source::fetch(
                &url,
                &(None, None),
                std::time::Duration::from_secs(5),
            )
        })
    };
    // Action and assert: a redirect on the same host is followed; any other is refused,
    // with the target named.
    assert!(matches!(
        fetch("/moved").await.unwrap(),
        Ok(newswire_server::feed::source::Fetch::Fresh { .. })
    ));
    for (path, target) in [
        ("/away", "http://localhost:"),
        ("/metadata", "http://169.254.169.254/"),
        ("/downgrade", "https://127.0.0.1:"),
    ] {
        let Err(error) = fetch(path).await.unwrap() else {
            panic!("{path} was followed");
        };
        assert!(
            error.contains("refused a redirect to") && error.contains(target),
            "{error}"
        );
    }
    assert!(fetch("/loop")
        .await
        .unwrap()
        .unwrap_err()
        .contains("redirects"));
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|(path, _)| path == "/latest/meta-data/"),
        "nothing followed the redirect"
    );

    // A rejected body's ETag is not sent with the next poll, so the fixed feed arrives.
    let state = polling("flaky", &format!("http://{addr}/flaky"), 100);
    let served = first_served(&state).await;
    assert!(
        served.is_some(),
        "the fixed feed arrived: {:?}",
        seen.lock().unwrap()
    );
    assert!(!seen
        .lock()
        .unwrap()
        .iter()
        .any(|(_, inm)| inm.as_deref() == Some("\"broken\"")));
}

static FLAKY_SERVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What real servers send: .NET's RSS declared UTF-16 over UTF-8 bytes, and a UTF-8 JSON
/// Feed under Tomcat's ISO-8859-1, a windows-1251 and a UTF-16 label.
#[tokio::test]
async fn real_world_labels_are_read_as_the_bytes_are() {
    const NET_RSS: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>Comitê de Imprensa</title><item><guid>n-1</guid><title>Votação adiada</title></item></channel></rss>";
    const JSON: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Comitê", "items": [{"id": "j-1", "title": "Votação adiada", "date_published": "2026-12-01T10:00:00Z"}]}"#;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let addr = scripted_upstream(
        |path, _, _| {
            let (body, content_type) = match path {
                "/net.rss" => (NET_RSS, "application/rss+xml"),
                "/tomcat.json" => (JSON, "application/json;charset=ISO-8859-1"),
                "/cyrillic.json" => (JSON, "application/feed+json; charset=windows-1251"),
                _ => (JSON, "application/feed+json; charset=utf-16"),
            };
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        },
        seen,
    )
    .await;
    for path in ["/net.rss", "/tomcat.json", "/cyrillic.json", "/utf16.json"] {
        // Assemble and action: the server polling that upstream, once.
        let name = format!("labels{}", path.replace(['/', '.'], "-"));
        let state = polling(&name, &format!("http://{addr}{path}"), 3_600_000);
        let served = first_served(&state)
            .await
            .unwrap_or_else(|| panic!("{path}: no feed served"));
        // Assert: every letter as the publisher wrote it; the JSON Feed byte for byte.
        let feed: serde_json::Value = serde_json::from_slice(&served.body).unwrap();
        if path == "/net.rss" {
            assert_eq!(feed["title"], "Comitê de Imprensa", "{path}");
            assert_eq!(feed["items"][0]["title"], "Votação adiada", "{path}");
        } else {
            assert_eq!(&served.body[..], JSON.as_bytes(), "{path}");
        }
    }
}

/// A server's state polling `url` every `interval_ms`, in a fresh folder named for `name`.
fn polling(name: &str, url: &str, interval_ms: u64) -> AppState {
    let dir = std::env::temp_dir().join(format!("newswire-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = AppState::new(
        FeedSource::url(
            url.to_owned(),
            std::time::Duration::from_millis(interval_ms),
            "Headline",
        ),
        dir.clone(),
        std::sync::Arc::new(SqliteStore::open(&dir.join("r.db")).unwrap()),
        Policy::default(),
    );
    tokio::spawn(state.feed.clone().poll());
    state
}

/// The first feed `state` serves, waited for up to five seconds.
async fn first_served(state: &AppState) -> Option<newswire_server::feed::source::Served> {
    for _ in 0..100 {
        if let Some(served) = state.feed.current().await {
            return Some(served);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}
