//! The metrics address: what it counts (and no label a client chose), and idle connections
//! to it that would once have taken every file handle the process has.

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_was_sent_on_their_own_address_with_no_client_chosen_label() {
    // Assemble: the server with metrics on an address of their own.
    let dir = temp_dir("metrics");
    let (_running, addr, lines) = server::spawn_with(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &[
            "--allow-origin",
            "https://partner.example",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        Stdio::null(),
        |line| line.starts_with("metrics: "),
    );
    let metrics = metrics_address(&lines);
    let from: std::net::Ipv4Addr = [127, 0, 0, 11].into();
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n")
    };
    let review = |origin: &str, body: &str| {
        format!("POST /api/reviews HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    };
    // Action: a scripted mix.
    let mut etag = String::new();
    for _ in 0..3 {
        let answer = exchange_from(&addr, from, get("/feed.json", "")).await;
        assert!(answer.starts_with("HTTP/1.1 200"));
        etag = answer
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("etag: ")
                    .map(str::to_owned)
            })
            .unwrap();
    }
    let unchanged = exchange_from(
        &addr,
        from,
        get("/feed.json", &format!("If-None-Match: {etag}\r\n")),
    )
    .await;
    assert!(unchanged.starts_with("HTTP/1.1 304"), "{unchanged}");
    // The first review three times (a reader's retries): one review stored.
    for key in ["m-1", "m-1", "m-1", "m-2"] {
        let body = format!(r#"{{"rating": 4, "comment": "fine", "key": "{key}"}}"#);
        let answer = exchange_from(&addr, from, review("https://partner.example", &body)).await;
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    }
    let invalid = exchange_from(
        &addr,
        from,
        review("https://partner.example", r#"{"rating": 9}"#),
    )
    .await;
    assert!(invalid.starts_with("HTTP/1.1 422"), "{invalid}");
    let stranger = exchange_from(
        &addr,
        from,
        review("https://made-up-origin.example", r#"{"rating": 4}"#),
    )
    .await;
    assert!(stranger.starts_with("HTTP/1.1 403"), "{stranger}");
    let missing = exchange_from(&addr, from, get("/made-up-path-4711", "")).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    // The public port has no metrics.
    let public = exchange_from(&addr, from, get("/metrics", "")).await;
    assert!(public.starts_with("HTTP/1.1 404"), "{public}");
    // One public connection held open while the metrics are read.
    let held = connect_from(&addr, from).await.expect("connected");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Assert: the scrape, read by a Prometheus text parser, counts exactly that.
    let scraped = exchange_from(&metrics, from, get("/metrics", "")).await;
    let (head, body) = scraped.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = body.to_owned();
    let parsed = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        parsed
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    let requests = "newswire_http_requests_total";
    assert_eq!(
        value(requests, &[("route", "/feed.json"), ("class", "2xx")]),
        3.0,
        "{body}"
    );
    assert_eq!(
        value(requests, &[("route", "/feed.json"), ("class", "3xx")]),
        1.0
    );
    assert_eq!(
        value(requests, &[("route", "/api/reviews"), ("class", "2xx")]),
        4.0,
        "every answer counted, the retries too"
    );
    assert_eq!(
        value(requests, &[("route", "/api/reviews"), ("class", "4xx")]),
        2.0
    );
    assert_eq!(
        value(requests, &[("route", "static"), ("class", "4xx")]),
        2.0
    );
    assert_eq!(value("newswire_reviews_stored_total", &[]), 2.0);
    assert_eq!(
        value(
            "newswire_reviews_refused_total",
            &[("reason", "validation")]
        ),
        1.0
    );
    assert_eq!(
        value("newswire_reviews_refused_total", &[("reason", "origin")]),
        1.0
    );
    assert!(value("newswire_feed_reads_total", &[("result", "fresh")]) >= 1.0);
    assert!(value("newswire_feed_age_seconds", &[]) >= 0.0);
    assert_eq!(
        value("newswire_connections_open", &[]),
        1.0,
        "the one held open"
    );
    drop(held);
    assert!(body.contains("newswire_store_query_duration_seconds_bucket"));
    assert!(body.contains("newswire_permits_in_use{pool=\"reviews\"}"));
    assert!(body.contains("newswire_console_sessions"));
    // Nothing a client chose is a label.
    for chosen in ["made-up", "4711", "partner.example", "127.0.0.11"] {
        assert!(!body.contains(chosen), "{chosen} in the metrics: {body}");
    }
}

/// Idle connections opened to the metrics address: more than the process's 1,024 files.
const IDLE: usize = 1100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_metrics_connections_leave_the_public_port_its_files() {
    // Assemble: the server held to 1,024 open files, as many systems start it, with
    // metrics on; this test may open more.
    let _ = rlimit::increase_nofile_limit(8192);
    let dir = temp_dir("metrics-files");
    let (_running, addr, lines) = server::spawn_configured(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &["--metrics-listen", "127.0.0.1:0"],
        Stdio::null(),
        |line| line.starts_with("metrics: "),
        |command| {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
            unsafe {
                command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, 1024, 1024));
            }
        },
    );
    let metrics = metrics_address(&lines);
    // Action: 1,100 connections to the metrics address that never send a byte.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(metrics.as_str())).await
        {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Assert: the public port answers throughout.
    for _ in 0..3 {
        assert_eq!(
            feed_status_from(&addr, [127, 0, 0, 1].into()).await,
            Some(200),
            "the feed, with {} idle metrics connections",
            idle.len()
        );
    }
    // Assert: the idle ones are let go (held ones at the header deadline, as the public
    // port lets its own go; those past the address's share at once, told 503).
    let mut ended = 0;
    for stream in idle.iter_mut().take(32) {
        let mut raw = Vec::new();
        if tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
            .await
            .is_ok()
        {
            ended += 1;
        }
    }
    assert_eq!(ended, 32, "idle metrics connections let go");
    drop(idle);
    // Assert: and a scraper then gets its metrics.
    let scraped = exchange_from(
        &metrics,
        [127, 0, 0, 1].into(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
}
