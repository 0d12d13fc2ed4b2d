//! WebSub with the real binary: an upstream of our own that names a hub of our own, which
//! follows the spec (verification of intent with a challenge, signed pushes), and the
//! server subscribing, verifying, renewing and answering pushes as a stranger would meet it.

use crate::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::collections::HashMap;

/// The upstream's feed now, and the GETs it answered.
#[derive(Default)]
struct Upstream {
    version: usize,
    gets: usize,
    hub: String,
}

/// What the hub knows: each request it received, and the verified subscribers (callback,
/// secret).
#[derive(Default)]
struct Hub {
    requests: Vec<HashMap<String, String>>,
    subscribers: Vec<(String, String)>,
    lease: Option<u64>,
}

type Shared<T> = Arc<Mutex<T>>;

fn feed_of(version: usize) -> String {
    let items: Vec<serde_json::Value> = (1..=version)
        .rev()
        .map(|v| serde_json::json!({"id": format!("v{v}"), "title": format!("Story {v}"), "tags": ["Politics"]}))
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Upstream", "items": items})
        .to_string()
}

/// An HTTP/1.1 request to `url` (http://127.0.0.1:…): the status and the body.
async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Serves `router` on a free loopback port; its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The upstream: `/feed.json`, naming the hub in a `Link` header.
async fn upstream(state: Shared<Upstream>) -> String {
    async fn feed(State(state): State<Shared<Upstream>>) -> impl IntoResponse {
        let mut up = state.lock().unwrap();
        up.gets += 1;
        let link = format!("<{}>; rel=\"hub\"", up.hub);
        (
            [
                ("content-type", "application/feed+json".to_owned()),
                ("link", link),
            ],
            feed_of(up.version),
        )
    }
    serve(
        axum::Router::new()
            .route("/feed.json", axum::routing::get(feed))
            .with_state(state),
    )
    .await
}

/// The hub: `POST /hub` takes (un)subscriptions, answers 202, and verifies the intent with a
/// random challenge, as the spec says.
async fn hub(state: Shared<Hub>) -> String {
    async fn request(State(state): State<Shared<Hub>>, body: String) -> StatusCode {
        let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let lease = state.lock().unwrap().lease;
        state.lock().unwrap().requests.push(form.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let challenge = format!(
                "challenge-{}",
                form.len() * 7919 + state.lock().unwrap().requests.len()
            );
            let mode = form["hub.mode"].clone();
            let query = {
                let mut verify = form_urlencoded::Serializer::new(String::new());
                verify
                    .append_pair("hub.mode", &mode)
                    .append_pair("hub.topic", &form["hub.topic"])
                    .append_pair("hub.challenge", &challenge);
                if let Some(lease) = lease {
                    verify.append_pair("hub.lease_seconds", &lease.to_string());
                }
                verify.finish()
            };
            let callback = &form["hub.callback"];
            let (status, body) = send("GET", &format!("{callback}?{query}"), &[], b"").await;
            if status == 200 && body == challenge {
                let mut hub = state.lock().unwrap();
                if mode == "subscribe" {
                    hub.subscribers
                        .push((callback.clone(), form["hub.secret"].clone()));
                } else {
                    hub.subscribers.retain(|(c, _)| c != callback);
                }
            }
        });
        StatusCode::ACCEPTED
    }
    serve(
        axum::Router::new()
            .route("/hub", axum::routing::post(request))
            .with_state(state),
    )
    .await
}

/// `body` signed with `secret` as `X-Hub-Signature: sha256=…`.
fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Waits up to 15 s for `check`.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..150 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 15 s");
}

struct Setup {
    up: Shared<Upstream>,
    hub: Shared<Hub>,
    addr: String,
    metrics: String,
    _running: server::Running,
}

/// The upstream, the hub and the server, polling once an hour: what comes, comes by push.
async fn start(name: &str, lease: Option<u64>, extra: &[&str]) -> Setup {
    let up: Shared<Upstream> = Arc::default();
    let hub_state: Shared<Hub> = Arc::default();
    hub_state.lock().unwrap().lease = lease;
    let hub_url = hub(hub_state.clone()).await;
    up.lock().unwrap().hub = format!("{hub_url}/hub");
    up.lock().unwrap().version = 1;
    let feed = format!("{}/feed.json", upstream(up.clone()).await);
    let port = support::pg::free_port();
    let addr = format!("127.0.0.1:{port}");
    let public = format!("http://{addr}");
    let dir = temp_dir(name);
    let mut flags = vec![
        "--addr",
        &addr,
        "--public-url",
        &public,
        "--feed-interval",
        "3600",
        "--metrics-listen",
        "127.0.0.1:0",
    ];
    flags.extend_from_slice(extra);
    let (running, _, lines) = server::spawn_with(
        &feed,
        dir.join("reviews.db").as_os_str(),
        &flags,
        Stdio::null(),
        |line| line.starts_with("metrics: "),
    );
    Setup {
        up,
        hub: hub_state,
        addr,
        metrics: metrics_address(&lines),
        _running: running,
    }
}

async fn served(addr: &str) -> String {
    send("GET", &format!("http://{addr}/feed.json"), &[], b"")
        .await
        .1
}

async fn pushes(metrics: &str, result: &str) -> f64 {
    let (_, text) = send("GET", &format!("http://{metrics}/metrics"), &[], b"").await;
    text.lines()
        .find(|l| {
            l.starts_with(&format!(
                "newswire_websub_pushes_total{{result=\"{result}\"}}"
            ))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_push_fetches_the_feed_at_once_and_never_serves_the_push_itself() {
    let s = start("websub-push", None, &["--allow-private-hubs"]).await;
    // The server discovers the hub and subscribes; the hub verifies its intent.
    until("a verified subscription", || {
        !s.hub.lock().unwrap().subscribers.is_empty()
    })
    .await;
    let request = s.hub.lock().unwrap().requests[0].clone();
    assert_eq!(request["hub.mode"], "subscribe");
    assert!(request["hub.topic"].ends_with("/feed.json"));
    assert!(
        request["hub.secret"].len() >= 64,
        "32 random bytes at least, in hex"
    );
    assert!(request["hub.callback"].starts_with(&format!("http://{}/websub/", s.addr)));
    let (callback, secret) = s.hub.lock().unwrap().subscribers[0].clone();
    assert!(served(&s.addr).await.contains("Story 1"));

    // Action: the agency publishes; the hub pushes only the new entry, signed.
    s.up.lock().unwrap().version = 2;
    let gets = s.up.lock().unwrap().gets;
    let pushed = br#"{"items": [{"id": "v2", "title": "Only the new entry"}]}"#;
    let (status, _) = send(
        "POST",
        &callback,
        &[("X-Hub-Signature", &signature(&secret, pushed))],
        pushed,
    )
    .await;
    assert_eq!(status, 202);
    // Assert: the server fetched the whole feed at once and serves that, not the push.
    let addr = s.addr.clone();
    for _ in 0..50 {
        if served(&addr).await.contains("Story 2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let feed = served(&s.addr).await;
    assert!(
        feed.contains("Story 2") && feed.contains("Story 1"),
        "{feed}"
    );
    assert!(!feed.contains("Only the new entry"));
    assert!(s.up.lock().unwrap().gets > gets);
    assert_eq!(pushes(&s.metrics, "verified").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_without_the_right_signature_are_ignored_and_counted_and_strangers_get_404() {
    let s = start("websub-forged", None, &["--allow-private-hubs"]).await;
    until("a verified subscription", || {
        !s.hub.lock().unwrap().subscribers.is_empty()
    })
    .await;
    let (callback, secret) = s.hub.lock().unwrap().subscribers[0].clone();
    s.up.lock().unwrap().version = 2;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let gets = s.up.lock().unwrap().gets;
    let body = b"{}";
    // Unsigned, signed with another secret, and a signature that is not hex: 2xx, ignored.
    let forged = signature("not-the-secret", body);
    for headers in [
        vec![],
        vec![("X-Hub-Signature", forged.as_str())],
        vec![("X-Hub-Signature", "sha256=zz")],
    ] {
        let (status, _) = send("POST", &callback, &headers, body).await;
        assert_eq!(status, 202);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        s.up.lock().unwrap().gets,
        gets,
        "no fetch for a push that is not the hub's"
    );
    assert!(!served(&s.addr).await.contains("Story 2"));
    assert_eq!(
        pushes(&s.metrics, "unsigned").await,
        2.0,
        "no signature, or one that is not hex"
    );
    assert_eq!(pushes(&s.metrics, "bad_signature").await, 1.0);
    // A body over the limit is refused, still read no further than the limit.
    let big = vec![b' '; 9 * 1024 * 1024 + 1];
    let (status, _) = send(
        "POST",
        &callback,
        &[("X-Hub-Signature", &signature(&secret, &big))],
        &big,
    )
    .await;
    assert_eq!(status, 413);

    // Verification of intent for a topic we did not ask for, a mode we are not waiting for,
    // or a callback path that is not ours: 404.
    let path = callback.rsplit('/').next().unwrap().to_owned();
    let base = format!("http://{}/websub", s.addr);
    for url in [
        format!("{base}/{path}?hub.mode=subscribe&hub.topic=https%3A%2F%2Fother.example%2F&hub.challenge=x"),
        format!("{base}/{path}?hub.mode=unsubscribe&hub.topic={}&hub.challenge=x", form_urlencoded::byte_serialize(s.hub.lock().unwrap().requests[0]["hub.topic"].as_bytes()).collect::<String>()),
        format!("{base}/{}?hub.mode=subscribe&hub.topic=x&hub.challenge=x", "0".repeat(64)),
        format!("{base}/not-ours?hub.mode=subscribe&hub.topic=x&hub.challenge=x"),
    ] {
        let (status, body) = send("GET", &url, &[], b"").await;
        assert_eq!(status, 404, "{url}: {body}");
        assert!(!body.contains('x') || body.is_empty());
    }
    let (status, _) = send("POST", &format!("{base}/not-ours"), &[], b"{}").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_is_renewed_before_it_ends_and_the_old_subscription_is_given_up() {
    // The hub grants 5 s; the server keeps leases of 1 s and more for this test.
    let s = start(
        "websub-lease",
        Some(5),
        &["--allow-private-hubs", "--websub-min-lease", "1"],
    )
    .await;
    until("a verified subscription", || {
        !s.hub.lock().unwrap().subscribers.is_empty()
    })
    .await;
    let verified = std::time::Instant::now();
    until("a second subscribe", || {
        s.hub
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r["hub.mode"] == "subscribe")
            .count()
            >= 2
    })
    .await;
    let renewed = verified.elapsed();
    assert!(
        renewed < Duration::from_secs(5),
        "renewed after {renewed:?}, not before the lease ended"
    );
    until("the old subscription given up", || {
        s.hub
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r["hub.mode"] == "unsubscribe")
    })
    .await;
    until("one verified subscriber", || {
        s.hub.lock().unwrap().subscribers.len() == 1
    })
    .await;
    let hub = s.hub.lock().unwrap();
    let first = &hub.requests[0]["hub.callback"];
    assert_ne!(
        &hub.subscribers[0].0, first,
        "a new callback for the renewal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_on_a_private_address_is_never_asked() {
    let s = start("websub-private", None, &[]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        s.hub.lock().unwrap().requests.is_empty(),
        "the loopback hub was asked"
    );
    assert!(
        served(&s.addr).await.contains("Story 1"),
        "the feed is still polled"
    );
}
