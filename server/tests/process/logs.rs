//! The log: a line a request and no secret, comment or address in it; a feed that would
//! write lines of its own into it; and a log sink that stops reading.

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_has_a_line_a_request_and_no_secret_comment_or_address() {
    // Assemble: the server logging JSON to a file, with the console on.
    const TOKEN: &str = "log-test-admin-token-5d1e";
    const MARKER: &str = "comment-marker-7f3a9c";
    let dir = temp_dir("log");
    let log = dir.join("server.log");
    let (_running, addr, announced) = server::spawn_with(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &[
            "--allow-loopback",
            "--log-format",
            "json",
            "--admin-token",
            TOKEN,
        ],
        Stdio::from(std::fs::File::create(&log).unwrap()),
        |line| line.contains("console"),
    );
    // In JSON mode standard output is JSON too: each line an object with its URL.
    assert_eq!(announced.len(), 3, "{announced:?}");
    for line in &announced {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            event["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http://")),
            "{line}"
        );
        assert_eq!(event["level"], "INFO", "{line}");
    }
    let from: std::net::Ipv4Addr = [127, 0, 0, 9].into();
    // Action: a feed read, a review with a marker, the admin API with the bearer token, a
    // console sign-in, and a console page with the session's cookie.
    let feed = exchange_from(
        &addr,
        from,
        format!("GET /feed.json?q={MARKER} HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: {MARKER}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(feed.starts_with("HTTP/1.1 200"), "{feed}");
    let body = format!(r#"{{"rating": 5, "comment": "{MARKER}", "key": "k-log-1"}}"#);
    let review = exchange_from(&addr, from, format!("POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:9\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())).await;
    assert!(review.starts_with("HTTP/1.1 201"), "{review}");
    let admin = exchange_from(&addr, from, format!("GET /api/reviews HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n")).await;
    assert!(admin.starts_with("HTTP/1.1 200"), "{admin}");
    let form = format!("token={TOKEN}");
    let signed = exchange_from(&addr, from, format!("POST /admin/sign-in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}", form.len())).await;
    let cookie = signed
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let session = cookie.split('=').nth(1).unwrap().to_owned();
    let page = exchange_from(&addr, from, format!("GET /admin/reviews HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n")).await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Assert: one JSON line a request, with its route template, status and id.
    let text = std::fs::read_to_string(&log).unwrap();
    let requests: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message"] == "request")
        .collect();
    let routes: Vec<(String, u64)> = requests
        .iter()
        .map(|r| {
            (
                r["span"]["route"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("/feed.json".to_owned(), 200),
            ("/api/reviews".to_owned(), 201),
            ("/api/reviews".to_owned(), 200),
            ("/admin/sign-in".to_owned(), 303),
            ("/admin/reviews".to_owned(), 200),
        ],
        "{text}"
    );
    assert!(requests
        .iter()
        .all(|r| r["span"]["id"].as_str().is_some_and(|id| !id.is_empty())));
    assert!(
        feed.to_ascii_lowercase().contains("x-request-id: "),
        "the id goes back"
    );
    // Assert: nothing the client sent beyond that.
    for secret in [TOKEN, MARKER, session.as_str(), "127.0.0.9"] {
        assert!(!text.contains(secret), "the log holds {secret:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_cannot_write_lines_of_its_own_into_the_text_log() {
    // Assemble: an RSS file whose unknown entity's name carries a line break and a fake
    // log line, which the XML parser's error quotes.
    let dir = temp_dir("log-forge");
    let forged = "2026-12-07T00:00:00.000000Z ERROR admin token rotated by ops";
    std::fs::write(
        dir.join("feed.xml"),
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>&x\n{forged};</title></channel></rss>"),
    )
    .unwrap();
    let (mut running, addr, _) = server::spawn_with(
        dir.join("feed.xml").to_str().unwrap(),
        dir.join("reviews.db").as_os_str(),
        &["--log-format", "text"],
        Stdio::piped(),
        |_| true,
    );
    let stderr = running.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    // Action: the feed is read (and refused) when it is first asked for.
    let status = feed_status_from(&addr, [127, 0, 0, 1].into()).await;
    assert_eq!(status, Some(503));
    // Assert: the refusal is logged on one line, with the break escaped, and no line of the
    // log is the forged one.
    let mut log = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(5)) {
        let done = line.contains("not a usable feed");
        log.push(line);
        if done {
            break;
        }
    }
    let refusal = log
        .iter()
        .find(|l| l.contains("not a usable feed"))
        .unwrap_or_else(|| panic!("the refusal is logged: {log:?}"));
    assert!(refusal.contains("\\u{a}2026-12-07T00:00:00"), "{refusal}");
    assert!(
        !log.iter().any(|l| l.starts_with(forged)),
        "a forged line: {log:?}"
    );
}

/// Requests sent while nobody reads the log: more lines than its buffer holds
/// (`BUFFERED_LINES`, 8,192) and the pipe's 64 KiB.
const UNREAD: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_log_nobody_reads_drops_lines_and_stops_no_request() {
    // Assemble: the server's standard error is a pipe that is never read, and fills after a
    // few hundred request lines.
    let dir = temp_dir("log-stall");
    let (running, addr, lines) = server::spawn_with(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &["--metrics-listen", "127.0.0.1:0"],
        Stdio::piped(),
        |line| line.starts_with("metrics: "),
    );
    let metrics = metrics_address(&lines);
    // Action: 10,000 requests, eight at a time, each given ten seconds.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (addr, next) = (addr.clone(), next.clone());
            tokio::spawn(async move {
                let mut answered = 0;
                while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < UNREAD {
                    let exchange = exchange_within(&addr, "/feed.json");
                    if tokio::time::timeout(Duration::from_secs(10), exchange)
                        .await
                        .is_ok_and(|ok| ok)
                    {
                        answered += 1;
                    } else {
                        break;
                    }
                }
                answered
            })
        })
        .collect();
    let mut answered = 0;
    for w in workers {
        answered += w.await.unwrap();
    }
    // Assert: every request answered, and the lines that could not be written counted.
    assert_eq!(answered, UNREAD);
    let scraped = exchange_from(
        &metrics,
        [127, 0, 0, 1].into(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    let dropped: f64 = scraped
        .lines()
        .find_map(|l| l.strip_prefix("newswire_log_lines_dropped_total "))
        .expect("the dropped lines' counter")
        .trim()
        .parse()
        .unwrap();
    assert!(dropped > 1000.0, "{dropped} lines dropped");
    drop(running);
}

/// One GET of `path`: whether a 200 came back.
async fn exchange_within(addr: &str, path: &str) -> bool {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(err) => {
            eprintln!("connect: {err}");
            return false;
        }
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if let Err(err) = stream.write_all(request.as_bytes()).await {
        eprintln!("write: {err}");
        return false;
    }
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw).await;
    if read.is_err() || !raw.starts_with(b"HTTP/1.1 200") {
        eprintln!(
            "read: {read:?} {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        );
    }
    read.is_ok() && raw.starts_with(b"HTTP/1.1 200")
}
