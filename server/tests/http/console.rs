//! The publisher's console over HTTP: its forms, its sign-ins and their permits.

use crate::support::app::*;

const CONSOLE_TOKEN: &str = "console-token-0123456789";

/// Sends `head` (and `body`) on a new connection and reads the answer, if one comes within
/// five seconds; with how long it took.
async fn answer_to(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) -> (Option<Reply>, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut raw),
    )
    .await;
    let reply = (read.is_ok() && !raw.is_empty()).then(|| Reply::parse(&raw));
    (reply, started.elapsed())
}

#[tokio::test]
async fn console_forms_are_small_and_whole_in_time_and_read_only_after_their_checks() {
    // Assemble: the console on, and a short deadline for whole bodies.
    let server = Server::start_with(
        "console-forms",
        Policy {
            admin_token: Some(CONSOLE_TOKEN.into()),
            body_timeout: std::time::Duration::from_millis(500),
            ..Policy::default()
        },
    )
    .await;
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";

    // Action: a sign-in that declares 1.99 MB. Assert: refused before a byte is read.
    let (reply, took) = answer_to(
        server.addr,
        &format!(
            "POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n{form}Content-Length: 1990000\r\n\r\n"
        ),
        b"",
    )
    .await;
    let reply = reply.expect("an answer without the body");
    reply.assert_error(413);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");

    // Action: a chunked sign-in past the limit. Assert: refused once it passes it.
    let chunk = format!("{:x}\r\ntoken={}\r\n", 20_006, "x".repeat(20_000));
    let (reply, _) = answer_to(
        server.addr,
        &format!(
            "POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n{form}Transfer-Encoding: chunked\r\n\r\n"
        ),
        chunk.as_bytes(),
    )
    .await;
    reply.expect("an answer").assert_error(413);

    // Action: a sign-in whose body trickles in, a byte every 100 ms, for longer than the
    // deadline. Assert: 408 at the deadline for the whole body, however steady the trickle.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = std::time::Instant::now();
    stream
        .write_all(
            format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n{form}Content-Length: 100\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..40 {
            if writer.write_all(b"t").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        reader.read_to_end(&mut raw),
    )
    .await;
    let took = started.elapsed();
    Reply::parse(&raw).assert_error(408);
    assert!(took < std::time::Duration::from_millis(1500), "{took:?}");
    trickle.abort();

    // Action: moderation and sign-out without a session, their bodies never sent. Assert:
    // answered at once (the way to the sign-in page), no body waited for.
    for path in [
        "/admin/reviews/hide",
        "/admin/reviews/show",
        "/admin/sign-out",
    ] {
        let (reply, took) = answer_to(
            server.addr,
            &format!("POST {path} HTTP/1.1\r\nHost: x\r\n{form}Content-Length: 5000\r\n\r\n"),
            b"",
        )
        .await;
        let reply = reply.unwrap_or_else(|| panic!("{path}: no answer"));
        assert_eq!(reply.status, 303, "{path}");
        assert!(
            took < std::time::Duration::from_millis(400),
            "{path}: {took:?}"
        );
    }

    // With the console off, a sign-in is answered without its body.
    let off = Server::start_with("console-off", Policy::default()).await;
    let (reply, took) = answer_to(
        off.addr,
        &format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n{form}Content-Length: 5000\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(reply.expect("an answer").status, 200);
    assert!(took < std::time::Duration::from_millis(400), "{took:?}");
}

/// Sends `head` and part of a body on a new connection, and leaves it open.
async fn hold(addr: std::net::SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Asks until `path` answers `status` (a held permit is taken a moment after its request
/// is sent), for at most a second; the last answer.
async fn until_status(server: &Server, path: &str, cookie: &str, status: u16) -> Reply {
    let mut reply = server
        .request_tcp("GET", path, &[("Cookie", cookie)], b"")
        .await;
    for _ in 0..50 {
        if reply.status == status {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        reply = server
            .request_tcp("GET", path, &[("Cookie", cookie)], b"")
            .await;
    }
    reply
}

#[tokio::test]
async fn the_console_and_its_sign_ins_have_permits_of_their_own() {
    // Assemble: one console permit and one general permit; an editor signed in.
    let server = Server::start_with(
        "console-permits",
        Policy {
            admin_token: Some(CONSOLE_TOKEN.into()),
            console_inflight: 1,
            max_inflight: 1,
            ..Policy::default()
        },
    )
    .await;
    let form = "Content-Type: application/x-www-form-urlencoded";
    let origin = format!("http://{}", server.addr);
    let signed_in = server
        .request_tcp(
            "POST",
            "/admin/sign-in",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &origin),
            ],
            format!("token={CONSOLE_TOKEN}").as_bytes(),
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    // Action: strangers hold every sign-in permit with forms that never finish.
    let mut held = Vec::new();
    for _ in 0..newswire_server::state::SIGN_IN_INFLIGHT {
        held.push(
            hold(
                server.addr,
                &format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n{form}\r\nContent-Length: 100\r\n\r\nto"),
            )
            .await,
        );
    }
    // Assert: sign-ins are busy, the signed-in editor is not, nor is the feed.
    until_status(&server, "/admin/sign-in", "", 503)
        .await
        .assert_error(503);
    let busy = server
        .request_tcp(
            "POST",
            "/admin/sign-in",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"token=x",
        )
        .await;
    busy.assert_error(503);
    assert_eq!(
        server
            .request_tcp("GET", "/admin/reviews", &[("Cookie", &cookie)], b"")
            .await
            .status,
        200
    );
    drop(held);
    // Action: the editor's own slow form holds the one console permit.
    let _slow = hold(
        server.addr,
        &format!("POST /admin/reviews/hide HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nCookie: {cookie}\r\n{form}\r\nContent-Length: 100\r\n\r\ncs"),
    )
    .await;
    // Assert: the console is busy, the feed is not.
    until_status(&server, "/admin/reviews", &cookie, 503)
        .await
        .assert_error(503);
    assert_eq!(
        server
            .request_tcp("GET", "/feed.json", &[], b"")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_form_without_an_origin_is_refused_even_with_a_session_and_its_token() {
    // Assemble: a signed-in editor, the session's CSRF token from a page, and a review.
    let server = Server::start_with(
        "console-origin",
        Policy {
            admin_token: Some(CONSOLE_TOKEN.into()),
            origins: Origins::new(vec!["http://partner.example".into()]),
            ..Policy::default()
        },
    )
    .await;
    let origin = format!("http://{}", server.addr);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let signed_in = server
        .request(
            "POST",
            "/admin/sign-in",
            &[form, ("Origin", &origin)],
            format!("token={CONSOLE_TOKEN}").as_bytes(),
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let page = server
        .request("GET", "/admin/reviews", &[("Cookie", &cookie)], b"")
        .await;
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's CSRF token")
        .to_owned();
    let id = server.post_review(REVIEW).await.json()["id"]
        .as_i64()
        .unwrap();
    let body = format!("csrf={csrf}&one={id}");
    let hidden = |id: i64| {
        Connection::open(server.dir.join("reviews.db"))
            .unwrap()
            .query_row("SELECT hidden FROM reviews WHERE id = ?1", [id], |r| {
                r.get::<_, bool>(0)
            })
            .unwrap()
    };
    // Action: the hide form, without an Origin, then with this server's.
    let without = server
        .request(
            "POST",
            "/admin/reviews/hide",
            &[form, ("Cookie", &cookie)],
            body.as_bytes(),
        )
        .await;
    let hidden_after_refusal = hidden(id);
    let with = server
        .request(
            "POST",
            "/admin/reviews/hide",
            &[form, ("Cookie", &cookie), ("Origin", &origin)],
            body.as_bytes(),
        )
        .await;
    // Assert: refused, and nothing changed; then done.
    assert_eq!(without.status, 403, "{}", without.body);
    assert!(!hidden_after_refusal);
    assert_eq!(with.status, 303, "{}", with.body);
    assert!(hidden(id), "the form with its Origin hid the review");
}
