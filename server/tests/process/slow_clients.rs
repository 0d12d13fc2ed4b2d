//! Slow and greedy clients: stalled reviews from many addresses, slow and large console
//! forms, SIGTERM while forms hang, and one address trying to hold every connection.
use crate::*;

/// Connections in the attack, each from its own loopback address.
const ATTACKERS: u32 = 1300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_reviews_from_many_addresses_never_take_the_feed_down() {
    // Assemble: the real server, a 3 s body timeout, and a global rate the attack fits in.
    let dir = temp_dir("slowloris");
    let (mut child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--global-rate",
            "2000",
            "--client-rate",
            "10",
            "--body-timeout",
            "3",
        ],
    );
    let target: std::net::SocketAddr = addr.parse().unwrap();
    // Action: 1,300 connections from 127.1.x.y, spread over about 3 s, each sending a
    // review's headers, `Content-Length: 200`, one byte of body, and then nothing.
    let attack = tokio::spawn(async move {
        let mut held = Vec::new();
        for n in 0..ATTACKERS {
            let ip = std::net::Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8);
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind((ip, 0).into()).unwrap();
            let mut stream = socket.connect(target).await.unwrap();
            stream
                .write_all(b"POST /api/reviews HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
                .await
                .unwrap();
            held.push((stream, std::time::Instant::now()));
            if n % 50 == 49 {
                tokio::time::sleep(Duration::from_millis(110)).await;
            }
        }
        held
    });
    // Meanwhile, and for a while after, a reader's browser asks for the feed.
    let mut statuses = Vec::new();
    while !attack.is_finished() {
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = attack.await.unwrap();
    for _ in 0..10 {
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Assert: the feed answered 200 throughout.
    assert!(
        statuses.len() > 20,
        "the feed was asked while the attack ran"
    );
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(
        failed.is_empty(),
        "the feed failed: {failed:?} of {}",
        statuses.len()
    );
    // Assert: every stalled connection is closed once the body timeout has passed.
    let mut closed = 0;
    for (mut stream, sent) in held {
        let deadline = sent + Duration::from_secs(3 + 5);
        let wait = deadline.saturating_duration_since(std::time::Instant::now());
        let mut raw = Vec::new();
        if let Ok(result) = tokio::time::timeout(wait, stream.read_to_end(&mut raw)).await {
            // A close or a reset: either way the server let go.
            let _ = result;
            closed += 1;
        }
    }
    assert_eq!(closed, ATTACKERS, "every stalled connection was closed");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Connections in the slow-form attack, all from one address.
const SLOW_FORMS: usize = 1100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_console_forms_from_one_address_never_take_the_feed_down() {
    // Assemble: the console on, a 3 s body deadline, and no per-address connection cap, so
    // that what is tested is the console's own pool and its early refusals.
    let dir = temp_dir("slow-forms");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--admin-token",
            CONSOLE_TOKEN,
            "--body-timeout",
            "3",
            "--max-connections-per-client",
            "0",
        ],
    );
    // Action: 1,100 sign-ins, each declaring 2,000 bytes and sending one a second.
    let mut streams = Vec::new();
    for _ in 0..SLOW_FORMS {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nt")
            .await
            .unwrap();
        streams.push((stream, std::time::Instant::now()));
    }
    let mut statuses = Vec::new();
    let attack_end = std::time::Instant::now() + Duration::from_secs(8);
    let mut open: Vec<_> = streams
        .into_iter()
        .map(|(s, at)| (Some(s), at, None))
        .collect();
    while std::time::Instant::now() < attack_end {
        for (stream, _, closed_at) in open.iter_mut() {
            if let Some(s) = stream {
                let mut buf = [0u8; 1];
                // A closed connection reads 0 (or an error); an open one would block.
                let gone =
                    match tokio::time::timeout(Duration::from_millis(0), s.read(&mut buf)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => true,
                        Ok(Ok(_)) => false,
                        Err(_) => false,
                    };
                if gone || s.write_all(b"x").await.is_err() {
                    *stream = None;
                    *closed_at = Some(std::time::Instant::now());
                }
            }
        }
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Assert: the feed answered 200 throughout.
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(statuses.len() > 10);
    assert!(
        failed.is_empty(),
        "the feed failed: {failed:?} of {}",
        statuses.len()
    );
    // Assert: no form outlived the deadline for its whole body, however steady the trickle.
    let longest = open
        .iter()
        .map(|(_, at, closed)| closed.map(|c| c - *at))
        .max()
        .flatten();
    assert!(
        open.iter().all(|(_, _, closed)| closed.is_some()),
        "every slow form was let go"
    );
    assert!(
        longest.is_some_and(|l| l < Duration::from_secs(3 + 3)),
        "{longest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_console_forms_cost_no_memory() {
    // Assemble: the console on.
    let dir = temp_dir("large-forms");
    let (child, addr) = start_with(&dir.join("reviews.db"), &["--admin-token", CONSOLE_TOKEN]);
    let before = peak_rss(child.id());
    // Action: 300 sign-ins of 1.99 MB each, half declared by length and half chunked, all
    // at once, each from its own address (so that each is within its sign-in allowance),
    // every body but its last byte sent, and then held while the memory is read.
    let body = Arc::new(vec![b'a'; 1_990_000]);
    let target: std::net::SocketAddr = addr.parse().unwrap();
    let (release, held) = tokio::sync::watch::channel(false);
    let mut senders = Vec::new();
    for n in 0..300u32 {
        let (body, mut held) = (body.clone(), held.clone());
        senders.push(tokio::spawn(async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            let ip = std::net::Ipv4Addr::new(127, 2, (n / 250) as u8, (n % 250 + 1) as u8);
            socket.bind((ip, 0).into()).unwrap();
            let mut stream = socket.connect(target).await.unwrap();
            let chunked = n % 2 == 1;
            let framing = if chunked {
                "Transfer-Encoding: chunked".to_owned()
            } else {
                format!("Content-Length: {}", body.len())
            };
            let head = format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n");
            let sent = async {
                stream.write_all(head.as_bytes()).await?;
                if chunked {
                    stream
                        .write_all(format!("{:x}\r\n", body.len()).as_bytes())
                        .await?;
                }
                stream.write_all(&body[..body.len() - 1]).await
            };
            // The server may refuse before the body is all written: that is the point.
            let _ = tokio::time::timeout(Duration::from_secs(3), sent).await;
            let _ = held.wait_for(|released| *released).await;
            drop(stream);
        }));
    }
    // Every sender has written all it could (or was refused); the bodies are held.
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Assert: the server's peak memory stayed low.
    let after = peak_rss(child.id());
    let _ = release.send(true);
    for sender in senders {
        sender.await.unwrap();
    }
    println!(
        "large forms: peak RSS {} MB before, {} MB after",
        before / 1_000_000,
        after / 1_000_000
    );
    assert!(after < 300_000_000, "peak RSS {after} bytes");
    assert!(
        after < before + 50_000_000,
        "peak RSS grew from {before} to {after} bytes"
    );
    assert_eq!(feed_status(&addr).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_ends_the_server_within_its_deadline_while_forms_hang() {
    // Assemble: the console on, a body deadline (30 s) far longer than the shutdown's, and
    // the first request's headers given as long; reviews being sent, and slow forms and
    // half-sent requests holding connections open.
    let dir = temp_dir("sigterm-hang");
    let db = dir.join("reviews.db");
    let (mut child, addr) = start_with(
        &db,
        &[
            "--admin-token",
            CONSOLE_TOKEN,
            "--body-timeout",
            "30",
            "--first-header-timeout",
            "30",
            "--header-timeout",
            "30",
        ],
    );
    let mut hanging = Vec::new();
    for _ in 0..100 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nt")
            .await
            .unwrap();
        hanging.push(stream);
    }
    for _ in 0..100 {
        // Half a request's headers.
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /feed.json HTTP/1.1\r\n")
            .await
            .unwrap();
        hanging.push(stream);
    }
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("h-c{client}-n{n}");
                match post(&addr, &key).await {
                    Some(201) => acknowledged.lock().unwrap().push(key),
                    Some(_) => {}
                    None => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Action: SIGTERM, while the forms hang.
    let sent = std::time::Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_millis(9500),
            "still running 9.5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Assert: out within the deadline, cleanly, with every acknowledged review stored.
    println!(
        "sigterm with hanging forms: exited after {:?}",
        sent.elapsed()
    );
    assert!(status.success(), "{status:?}");
    for client in clients {
        client.await.unwrap();
    }
    drop(hanging);
    let conn = Connection::open(&db).unwrap();
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    assert!(!acknowledged.is_empty());
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|k| !stored.contains(k))
        .collect();
    assert!(lost.is_empty(), "lost {lost:?}");
}

/// Connections one address keeps open in the per-address test: more than the server's
/// global cap (8,192).
const FROM_ONE_ADDRESS: usize = 8400;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_hold_every_connection() {
    // Assemble: the server with its default connection limits, but half-sent requests
    // given 30 s, so that only the per-address cap can let others in.
    let dir = temp_dir("per-address");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &["--first-header-timeout", "30", "--header-timeout", "30"],
    );
    let target: std::net::SocketAddr = addr.parse().unwrap();
    // Action: 127.0.0.3 tries to keep 8,400 connections open, each with a request line
    // and one header and never more, for 6 s. Connections that the server has answered
    // and closed are let go, and new ones opened in their place, so that the address
    // holds as many live connections as the server allows it.
    let attacker = tokio::spawn(async move {
        let mut held: Vec<TcpStream> = Vec::new();
        let until = std::time::Instant::now() + Duration::from_secs(6);
        let mut opened = 0usize;
        while std::time::Instant::now() < until {
            if held.len() >= FROM_ONE_ADDRESS || opened % 128 == 127 {
                held.retain(still_open);
                if held.len() >= FROM_ONE_ADDRESS {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            if held.len() >= FROM_ONE_ADDRESS {
                continue;
            }
            let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
                break;
            };
            if socket.bind(([127, 0, 0, 3], 0).into()).is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            let connected =
                tokio::time::timeout(Duration::from_millis(200), socket.connect(target)).await;
            if let Ok(Ok(mut stream)) = connected {
                let _ = stream
                    .write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
                    .await;
                held.push(stream);
                opened += 1;
            }
        }
        // Let the last answers arrive, then keep only the connections still open.
        tokio::time::sleep(Duration::from_millis(300)).await;
        held.retain(still_open);
        (opened, held)
    });
    // Meanwhile another reader, from 127.0.0.2, asks for the feed.
    let mut statuses = Vec::new();
    while !attacker.is_finished() {
        statuses.push(feed_status_from(&addr, [127, 0, 0, 2].into()).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (opened, held) = attacker.await.unwrap();
    // Assert: every one of the reader's requests got 200 within two seconds.
    println!("per-address cap: {opened} connections opened by one address");
    assert!(opened >= FROM_ONE_ADDRESS, "the attack was real: {opened}");
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(statuses.len() > 20);
    assert!(
        failed.is_empty(),
        "the feed failed for another reader: {failed:?} of {}",
        statuses.len()
    );
    // Assert: while its share is held, the address is told so at once.
    let mut extra = connect_from(&addr, [127, 0, 0, 3].into())
        .await
        .expect("accepted");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_end(&mut raw))
        .await
        .expect("answered at once")
        .unwrap();
    let told = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    assert!(told.starts_with("http/1.1 503"), "{told}");
    assert!(
        told.contains("x-content-type-options: nosniff\r\n"),
        "as every answer: {told}"
    );
    // Assert: once it lets go, the address is served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        feed_status_from(&addr, [127, 0, 0, 3].into()).await,
        Some(200)
    );
}
