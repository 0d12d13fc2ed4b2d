//! The connection and its limits: the probes, the load shedding, and the deadlines for a
//! request's headers and body.

use crate::support::app::*;

#[tokio::test]
async fn the_probes_say_alive_and_ready_and_which_part_is_not() {
    let server = Server::start("probes").await;
    std::fs::remove_file(server.dir.join("feed.json")).unwrap();
    let alive = server.request("GET", "/healthz", &[], b"").await;
    assert_eq!(alive.status, 200);
    assert_eq!(alive.json()["status"], "ok");
    // No feed file yet: alive, not ready, and the body says it is the feed.
    let not_ready = server.request("GET", "/readyz", &[], b"").await;
    assert_eq!(not_ready.status, 503);
    assert_eq!(not_ready.json()["feed"], "not loaded");
    assert_eq!(not_ready.json()["store"], "ok");
    std::fs::write(
        server.dir.join("feed.json"),
        include_str!("../fixtures/agency.rss"),
    )
    .unwrap();
    let ready = server.request("GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["ready"], true);
    assert_eq!(ready.header("cache-control"), Some("no-store"));
    // The built widget gone from the folder it is served from: not ready, and it says so.
    std::fs::remove_file(server.dir.join("www/newswire/embed.js")).unwrap();
    let no_widget = server.request("GET", "/readyz", &[], b"").await;
    assert_eq!(no_widget.status, 503);
    assert_eq!(no_widget.json()["widget"], "missing");
}

#[tokio::test]
async fn over_the_concurrency_limit_the_answer_is_a_quick_503() {
    let server = Server::start_with(
        "shed",
        Policy {
            review_inflight: 1,
            origins: Origins::new(vec!["http://partner.example".into()]),
            ..Policy::default()
        },
    )
    .await;
    // Hold the one review permit: a review whose body has not all arrived.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(
        b"POST /api/reviews HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"rating\"",
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let busy = server.post_review(r#"{"rating": 5}"#).await;
    busy.assert_error(503);
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // Reviews have their own permits: the feed does not notice.
    assert_eq!(
        server.request("GET", "/feed.json", &[], b"").await.status,
        200
    );
    drop(slow);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.post_review(r#"{"rating": 5}"#).await.status, 201);

    // Everything else shares the general permits.
    let none = Server::start_with(
        "shed-all",
        Policy {
            max_inflight: 0,
            ..Policy::default()
        },
    )
    .await;
    let busy = none.request("GET", "/feed.json", &[], b"").await;
    busy.assert_error(503);
    assert_eq!(busy.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn a_review_body_that_stops_arriving_gets_408_and_the_connection_closes() {
    let server = Server::start_with(
        "body-timeout",
        Policy {
            body_timeout: std::time::Duration::from_millis(300),
            ..Policy::default()
        },
    )
    .await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(
        b"POST /api/reviews HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
    let mut raw = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow.read_to_end(&mut raw),
    )
    .await;
    assert!(read.is_ok(), "the connection was closed");
    let reply = Reply::parse(&raw);
    reply.assert_error(408);
    assert_eq!(reply.header("connection"), Some("close"));
}

#[tokio::test]
async fn headers_that_never_finish_and_idle_keep_alive_connections_are_closed() {
    let server = Server::start_with(
        "header-timeout",
        Policy {
            connections: newswire_server::net::connections::ConnectionLimits {
                header_timeout: std::time::Duration::from_millis(300),
                ..Default::default()
            },
            ..Policy::default()
        },
    )
    .await;
    let closes = |mut stream: TcpStream, sent: &'static [u8]| async move {
        stream.write_all(sent).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_end(&mut raw),
        )
        .await
        .map(|_| raw)
    };
    let half = TcpStream::connect(server.addr).await.unwrap();
    let raw = closes(half, b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("half-sent headers are cut off");
    assert!(!String::from_utf8_lossy(&raw).contains("200 OK"));
    let idle = TcpStream::connect(server.addr).await.unwrap();
    let raw = closes(idle, b"GET /feed.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn a_first_request_gets_less_time_for_its_headers_than_a_keep_alive_one() {
    // Assemble: 300 ms for the first request's headers, 5 s for later ones.
    let server = Server::start_with(
        "first-header",
        Policy {
            connections: newswire_server::net::connections::ConnectionLimits {
                first_header_timeout: std::time::Duration::from_millis(300),
                header_timeout: std::time::Duration::from_secs(5),
                ..Default::default()
            },
            ..Policy::default()
        },
    )
    .await;
    // Action: a first request that never finishes its headers.
    let started = std::time::Instant::now();
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        half.read_to_end(&mut raw),
    )
    .await;
    // Assert: let go at the first request's deadline.
    assert!(closed.is_ok(), "still open after 3 s");
    assert!(started.elapsed() < std::time::Duration::from_millis(1500));
    // Action: a whole request, then a keep-alive wait past the first deadline.
    let mut kept = TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    // Assert: the connection still serves a second request.
    kept.write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&rest)
            .matches("HTTP/1.1 200")
            .count(),
        1,
        "the second answer came on the kept connection"
    );
}
