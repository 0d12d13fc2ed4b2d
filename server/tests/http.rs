//! The server over real TCP, with a real SQLite file: every route and status the widget
//! and partners rely on.

use newswire_server::limits::Rate;
use newswire_server::origins::Origins;
use newswire_server::source::FeedSource;
use newswire_server::store::Store;
use newswire_server::{AppState, Policy};
use rusqlite::Connection;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FEED: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": []}"#;

struct Server {
    addr: std::net::SocketAddr,
    dir: PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// A server that accepts reviews from `http://partner.example`, with roomy limits.
    async fn start(name: &str) -> Server {
        Server::start_with(
            name,
            Policy {
                origins: Origins::new(vec!["http://partner.example".into()]),
                client_rate: Rate::per_minute(10_000),
                global_rate: Rate::per_second(10_000),
                ..Policy::default()
            },
        )
        .await
    }

    async fn start_with(name: &str, policy: Policy) -> Server {
        // Assemble: a fresh folder with a feed, a www tree and an empty database.
        let dir = std::env::temp_dir().join(format!("newswire-http-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("www/newswire")).unwrap();
        std::fs::write(dir.join("feed.json"), FEED).unwrap();
        std::fs::write(
            dir.join("www/index.html"),
            "<!doctype html><title>demo</title>",
        )
        .unwrap();
        std::fs::write(
            dir.join("www/newswire/newswire_bg.wasm"),
            b"\0asm\x01\0\0\0",
        )
        .unwrap();
        std::fs::write(dir.join("secret.txt"), "outside www").unwrap();
        let store = Store::open(&dir.join("reviews.db")).unwrap();
        let state = AppState::new(
            FeedSource::file(dir.join("feed.json"), "Headline"),
            dir.join("www"),
            store,
            policy,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(newswire_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            dir,
            _stop: stop,
        }
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        Reply::parse(&raw)
    }

    async fn post_review(&self, body: &str) -> Reply {
        self.request(
            "POST",
            "/api/reviews",
            &[
                ("Content-Type", "application/json"),
                ("Origin", "http://partner.example"),
            ],
            body.as_bytes(),
        )
        .await
    }

    fn rows(&self) -> Vec<(i64, i64, String, Option<String>)> {
        let conn = Connection::open(self.dir.join("reviews.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT id, rating, comment, key FROM reviews ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    /// Every 4xx carries a readable JSON message.
    fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let message = self.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(message.len() > 10, "a readable message, not {message:?}");
    }
}

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
    assert_eq!(first.header("access-control-expose-headers"), Some("etag"));
    let etag = first.header("etag").expect("an etag").to_owned();

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
async fn widget_assets_and_the_demo_page_are_served_safely() {
    let server = Server::start("assets").await;
    let wasm = server
        .request("GET", "/newswire/newswire_bg.wasm", &[], b"")
        .await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.header("access-control-allow-origin"), Some("*"));
    let etag = wasm.header("etag").expect("an etag").to_owned();
    let again = server
        .request(
            "GET",
            "/newswire/newswire_bg.wasm",
            &[("If-None-Match", &etag)],
            b"",
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(wasm.header("vary"), Some("Accept-Encoding"));
    let page = server.request("GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("demo"));
    for path in [
        "/newswire/missing.js",
        "/../secret.txt",
        "/newswire/..%2f..%2fsecret.txt",
        "/.hidden",
    ] {
        let reply = server.request("GET", path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("outside www"));
    }
}

#[tokio::test]
async fn precompressed_assets_go_out_in_the_encoding_the_browser_accepts() {
    let server = Server::start("encoding").await;
    let dir = server.dir.join("www/newswire");
    std::fs::write(dir.join("embed.js"), "plain").unwrap();
    std::fs::write(dir.join("embed.js.br"), "brotli bytes").unwrap();
    std::fs::write(dir.join("embed.js.gz"), "gzip bytes").unwrap();
    let get = |accept: &'static str| {
        let server = &server;
        async move {
            server
                .request(
                    "GET",
                    "/newswire/embed.js",
                    &[("Accept-Encoding", accept)],
                    b"",
                )
                .await
        }
    };
    let br = get("gzip, deflate, br").await;
    assert_eq!(
        (br.header("content-encoding"), br.body.as_str()),
        (Some("br"), "brotli bytes")
    );
    assert!(br
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let gz = get("gzip").await;
    assert_eq!(
        (gz.header("content-encoding"), gz.body.as_str()),
        (Some("gzip"), "gzip bytes")
    );
    let plain = get("identity").await;
    assert_eq!(
        (plain.header("content-encoding"), plain.body.as_str()),
        (None, "plain")
    );
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
