//! The server over real TCP, with a real SQLite file: every route and status the widget
//! and partners rely on.

use newswire_server::feed::source::FeedSource;
use newswire_server::net::limits::Rate;
use newswire_server::net::origins::Origins;
use newswire_server::store::sqlite::SqliteStore;
use newswire_server::{AppState, Policy};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FEED: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": []}"#;

struct Server {
    addr: std::net::SocketAddr,
    dir: PathBuf,
    state: AppState,
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
        for (name, text) in [
            ("embed.js", "/* loader */"),
            ("newswire.js", "/* glue */"),
            ("newswire.css", ".nw{}"),
            ("newswire.d.ts", "export {};"),
        ] {
            std::fs::write(dir.join("www/newswire").join(name), text).unwrap();
        }
        std::fs::write(
            dir.join("www/configurator.html"),
            "<!doctype html><title>configurator</title>",
        )
        .unwrap();
        std::fs::write(dir.join("secret.txt"), "outside www").unwrap();
        let store = std::sync::Arc::new(SqliteStore::open(&dir.join("reviews.db")).unwrap());
        let state = AppState::new(
            FeedSource::file(dir.join("feed.json"), "Headline"),
            dir.join("www"),
            store,
            policy,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(newswire_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            dir,
            state,
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
        let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: {}\r\n", self.addr));
        }
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
    assert_eq!(
        wasm.header("cross-origin-resource-policy"),
        Some("cross-origin"),
        "pages under COEP may embed it"
    );
    assert_eq!(wasm.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(wasm.header("vary"), Some("accept-encoding"));
    // Conditional requests, HEAD and ranges come from the file's metadata.
    let modified = wasm
        .header("last-modified")
        .expect("a Last-Modified")
        .to_owned();
    let again = server
        .request(
            "GET",
            "/newswire/newswire_bg.wasm",
            &[("If-Modified-Since", &modified)],
            b"",
        )
        .await;
    assert_eq!(again.status, 304);
    let head = server
        .request("HEAD", "/newswire/newswire_bg.wasm", &[], b"")
        .await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("8"));
    let range = server
        .request(
            "GET",
            "/newswire/newswire_bg.wasm",
            &[("Range", "bytes=0-3")],
            b"",
        )
        .await;
    assert_eq!((range.status, range.body.as_str()), (206, "\0asm"));

    let page = server.request("GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("demo"));
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        page.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let configurator = server.request("GET", "/configurator", &[], b"").await;
    assert!(configurator
        .header("content-security-policy")
        .is_some_and(|csp| csp.contains("frame-ancestors 'none'")));
    // Every JSON answer is marked nosniff too.
    let feed = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(feed.header("x-content-type-options"), Some("nosniff"));
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await;
    assert_eq!(summary.header("x-content-type-options"), Some("nosniff"));
    // A guess by extension makes `.ts` a video; the declarations are text to read.
    let types = server
        .request("GET", "/newswire/newswire.d.ts", &[], b"")
        .await;
    assert_eq!(
        (types.status, types.header("content-type")),
        (200, Some("text/plain; charset=utf-8"))
    );
    for path in [
        "/newswire/missing.js",
        "/../secret.txt",
        "/newswire/..%2f..%2fsecret.txt",
        "/newswire/v/..%2f..%2f..%2fsecret.txt",
        "/.hidden",
    ] {
        let reply = server.request("GET", path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("outside www"));
    }
}

#[tokio::test]
async fn a_release_is_served_immutably_under_its_own_url() {
    let server = Server::start("release").await;
    // What `scripts/release.mjs` writes at build time.
    let release = "0123456789ab";
    let dir = server.dir.join("www/newswire/v").join(release);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("embed.js"), "/* loader of this release */").unwrap();
    std::fs::write(
        server.dir.join("www/newswire/release.json"),
        format!(r#"{{"release": "{release}", "embed": "/newswire/v/{release}/embed.js"}}"#),
    )
    .unwrap();

    let manifest = server
        .request("GET", "/newswire/release.json", &[], b"")
        .await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("cache-control"), Some("no-cache"));
    assert_eq!(manifest.header("access-control-allow-origin"), Some("*"));
    let loader = server
        .request("GET", &format!("/newswire/v/{release}/embed.js"), &[], b"")
        .await;
    assert_eq!(
        (loader.status, loader.body.as_str()),
        (200, "/* loader of this release */")
    );
    assert_eq!(
        loader.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(loader.header("access-control-allow-origin"), Some("*"));
    for path in [
        "/newswire/v/000000000000/embed.js".to_owned(),
        format!("/newswire/v/{release}/release.json"),
        "/newswire/v/..%2f..%2f..%2fsecret.txt/embed.js".to_owned(),
        "/newswire/v/0123456789AB/embed.js".to_owned(),
    ] {
        let reply = server.request("GET", &path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("outside www"));
    }
    // The unversioned loader stays revalidated, so pages on it get each new release.
    let plain = server.request("GET", "/newswire/embed.js", &[], b"").await;
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    let page = server.request("GET", "/configurator", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("configurator"));
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
        include_str!("fixtures/agency.rss"),
    )
    .unwrap();
    let ready = server.request("GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["ready"], true);
    assert_eq!(ready.header("cache-control"), Some("no-store"));
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

const REVIEW: &str = r#"{"rating": 5, "comment": "Good.", "subject": "lead-1"}"#;

impl Server {
    async fn post_from(&self, origin: Option<&str>, extra: &[(&str, &str)], body: &str) -> Reply {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        headers.extend_from_slice(extra);
        self.request("POST", "/api/reviews", &headers, body.as_bytes())
            .await
    }
}

#[tokio::test]
async fn only_allowed_partner_origins_may_post_and_nothing_else_is_stored() {
    let server = Server::start("allowlist").await;
    let refused = server
        .post_from(Some("https://stranger.example"), &[], REVIEW)
        .await;
    refused.assert_error(403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("vary"), Some("origin"));
    let preflight = server
        .request(
            "OPTIONS",
            "/api/reviews",
            &[
                ("Origin", "https://stranger.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
            b"",
        )
        .await;
    assert_eq!(preflight.status, 403);
    assert!(
        server.rows().is_empty(),
        "nothing stored for a refused origin"
    );
    // A non-browser client sends no Origin; CORS does not concern it.
    assert_eq!(server.post_from(None, &[], REVIEW).await.status, 201);
    assert_eq!(server.rows().len(), 1);

    // With no partner named, loopback pages on any port, and nothing else.
    let local = Server::start_with("loopback", Policy::default()).await;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:9",
        "http://[::1]:8080",
    ] {
        let reply = local.post_from(Some(origin), &[], REVIEW).await;
        assert_eq!(reply.status, 201, "{origin}: {}", reply.body);
        assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
    }
    local
        .post_from(Some("http://partner.example"), &[], REVIEW)
        .await
        .assert_error(403);
}

#[tokio::test]
async fn rate_limits_answer_429_and_rotating_forwarded_for_bypasses_nothing() {
    let strict = Policy {
        origins: Origins::new(vec!["http://partner.example".into()]),
        client_rate: Rate::per_minute(2),
        ..Policy::default()
    };
    let server = Server::start_with("ratelimit", strict.clone()).await;
    let origin = Some("http://partner.example");
    for n in 0..2 {
        let forwarded = format!("198.51.100.{n}");
        let reply = server
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        assert_eq!(reply.status, 201);
    }
    let limited = server
        .post_from(origin, &[("X-Forwarded-For", "198.51.100.77")], REVIEW)
        .await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(limited.body, "", "no detail");
    assert_eq!(server.rows().len(), 2);

    // Behind a trusted proxy, the forwarded address is the client.
    let proxied = Server::start_with(
        "proxied",
        Policy {
            proxies: newswire_server::net::proxies::Proxies::AnyPeer,
            ..strict.clone()
        },
    )
    .await;
    for n in 0..3 {
        let forwarded = format!("203.0.113.{n}");
        let reply = proxied
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        assert_eq!(reply.status, 201, "a client of its own");
    }

    // The global bucket holds however many clients there are.
    let global = Server::start_with(
        "global",
        Policy {
            proxies: newswire_server::net::proxies::Proxies::AnyPeer,
            client_rate: Rate::per_minute(100),
            global_rate: Rate::per_second(3),
            ..strict
        },
    )
    .await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let forwarded = format!("192.0.2.{n}");
        let reply = global
            .post_from(origin, &[("X-Forwarded-For", &forwarded)], REVIEW)
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
}

#[tokio::test]
async fn the_honeypot_gets_a_normal_answer_and_is_not_stored() {
    let server = Server::start("honeypot").await;
    let bot = server
        .post_review(r#"{"rating": 5, "comment": "Buy now", "website": "http://spam.example"}"#)
        .await;
    assert_eq!(bot.status, 201);
    assert!(bot.json()["id"].as_i64().unwrap() > 0);
    assert!(server.rows().is_empty());
    let person = server
        .post_review(r#"{"rating": 5, "comment": "Real", "website": ""}"#)
        .await;
    assert_eq!(person.status, 201);
    assert_eq!(server.rows().len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_posts_with_one_key_store_one_row_with_one_id() {
    let server = Arc::new(Server::start("concurrent").await);
    let body = r#"{"rating": 3, "comment": "Once", "key": "same-key-50"}"#;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move { server.post_review(body).await }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.json()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same review");
    assert_eq!(server.rows().len(), 1);
    // Many different reviews at once: every one acknowledged is stored.
    let mut tasks = Vec::new();
    for n in 0..64 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"rating": 4, "comment": "n{n}", "key": "k{n}"}}"#);
            server.post_review(&body).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    assert_eq!(server.rows().len(), 65);
}

#[tokio::test]
async fn the_publisher_lists_pages_hides_and_shows_with_the_admin_token() {
    let server = Server::start_with(
        "admin",
        Policy {
            admin_token: Some("s3cret-admin-token".into()),
            ..Policy::default()
        },
    )
    .await;
    for n in 1..=5 {
        let body = format!(r#"{{"rating": {n}, "comment": "r{n}"}}"#);
        assert_eq!(server.post_from(None, &[], &body).await.status, 201);
    }
    let bearer = [("Authorization", "Bearer s3cret-admin-token")];
    server
        .request("GET", "/api/reviews", &[], b"")
        .await
        .assert_error(401);
    server
        .request(
            "GET",
            "/api/reviews",
            &[("Authorization", "Bearer s3cret-admin-tokem")],
            b"",
        )
        .await
        .assert_error(401);
    let page = server
        .request("GET", "/api/reviews?limit=2", &bearer, b"")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let first = page.json();
    assert_eq!(first["reviews"].as_array().unwrap().len(), 2);
    let next = first["next"].as_i64().unwrap();
    let page = server
        .request(
            "GET",
            &format!("/api/reviews?limit=2&after={next}"),
            &bearer,
            b"",
        )
        .await
        .json();
    assert_eq!(page["reviews"][0]["comment"], "r3");

    let hidden = server
        .request("POST", "/api/reviews/1/hide", &bearer, b"")
        .await;
    assert_eq!(hidden.json(), serde_json::json!({"id": 1, "hidden": true}));
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await
        .json();
    assert_eq!(summary, serde_json::json!({"count": 4, "average": 3.5}));
    let list = server
        .request("GET", "/api/reviews?status=hidden", &bearer, b"")
        .await
        .json();
    assert_eq!(list["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(list["reviews"][0]["comment"], "r1");
    assert_eq!(list["next"], serde_json::Value::Null);
    server
        .request("POST", "/api/reviews/1/show", &bearer, b"")
        .await;
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await
        .json();
    assert_eq!(summary["count"], 5);
    server
        .request("POST", "/api/reviews/99/hide", &bearer, b"")
        .await
        .assert_error(404);
    server
        .request("POST", "/api/reviews/1/hide", &[], b"")
        .await
        .assert_error(401);
    server
        .request("GET", "/api/reviews?status=gone", &bearer, b"")
        .await
        .assert_error(400);
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
async fn rss_and_atom_files_are_served_as_json_feed_and_a_bad_edit_keeps_the_last_good() {
    let server = Server::start("rss").await;
    let feed_path = server.dir.join("feed.json");
    std::fs::write(&feed_path, include_str!("fixtures/agency.rss")).unwrap();
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

    std::fs::write(&feed_path, include_str!("fixtures/agency.atom")).unwrap();
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
    std::fs::write(&feed_path, include_bytes!("fixtures/encodings/cp1251.rss")).unwrap();
    let feed = server.request("GET", "/feed.json", &[], b"").await.json();
    assert_eq!(feed["title"], "Вести Порта");
    assert_eq!(feed["items"][0]["title"], "Парламент утвердил бюджет");

    // An encoding nobody knows: refused, and the last good feed stays.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    std::fs::write(&feed_path, include_bytes!("fixtures/encodings/unknown.rss")).unwrap();
    let kept = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.json()["title"], "Вести Порта");

    // A JSON Feed with an e-mail date: served with that date in RFC 3339, and the
    // unreadable one left out, rather than passed on as it came.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    std::fs::write(&feed_path, include_bytes!("fixtures/rfc2822-dates.json")).unwrap();
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
        include_str!("fixtures/agency.rss"),
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
    let body = include_str!("fixtures/agency.rss");
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
    let dir = std::env::temp_dir().join(format!("newswire-flaky-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = AppState::new(
        FeedSource::url(
            format!("http://{addr}/flaky"),
            std::time::Duration::from_millis(100),
            "Headline",
        ),
        dir.clone(),
        std::sync::Arc::new(SqliteStore::open(&dir.join("r.db")).unwrap()),
        Policy::default(),
    );
    tokio::spawn(state.feed.clone().poll());
    let mut served = None;
    for _ in 0..50 {
        served = state.feed.current().await;
        if served.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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

#[tokio::test]
async fn failed_admin_attempts_are_limited_even_for_the_right_token_afterwards() {
    let server = Server::start_with(
        "admin-failures",
        Policy {
            admin_token: Some("s3cret-admin-token".into()),
            ..Policy::default()
        },
    )
    .await;
    let wrong = [("Authorization", "Bearer guess")];
    for _ in 0..10 {
        server
            .request("GET", "/api/reviews", &wrong, b"")
            .await
            .assert_error(401);
    }
    let blocked = server.request("GET", "/api/reviews", &wrong, b"").await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").is_some());
    let right = [("Authorization", "Bearer s3cret-admin-token")];
    assert_eq!(
        server
            .request("GET", "/api/reviews", &right, b"")
            .await
            .status,
        429,
        "no more guesses until the bucket refills"
    );
}

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
            "POST /admin/sign-in HTTP/1.1\r\nHost: x\r\n{form}Content-Length: 1990000\r\n\r\n"
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
            "POST /admin/sign-in HTTP/1.1\r\nHost: x\r\n{form}Transfer-Encoding: chunked\r\n\r\n"
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
            format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\n{form}Content-Length: 100\r\n\r\n")
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
        &format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\n{form}Content-Length: 5000\r\n\r\n"),
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
        .request("GET", path, &[("Cookie", cookie)], b"")
        .await;
    for _ in 0..50 {
        if reply.status == status {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        reply = server
            .request("GET", path, &[("Cookie", cookie)], b"")
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
    let signed_in = server
        .request(
            "POST",
            "/admin/sign-in",
            &[("Content-Type", "application/x-www-form-urlencoded")],
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
    for _ in 0..newswire_server::console::SIGN_IN_INFLIGHT {
        held.push(
            hold(
                server.addr,
                &format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\n{form}\r\nContent-Length: 100\r\n\r\nto"),
            )
            .await,
        );
    }
    // Assert: sign-ins are busy, the signed-in editor is not, nor is the feed.
    until_status(&server, "/admin/sign-in", "", 503)
        .await
        .assert_error(503);
    let busy = server
        .request(
            "POST",
            "/admin/sign-in",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"token=x",
        )
        .await;
    busy.assert_error(503);
    assert_eq!(
        server
            .request("GET", "/admin/reviews", &[("Cookie", &cookie)], b"")
            .await
            .status,
        200
    );
    drop(held);
    // Action: the editor's own slow form holds the one console permit.
    let _slow = hold(
        server.addr,
        &format!("POST /admin/reviews/hide HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n{form}\r\nContent-Length: 100\r\n\r\ncs"),
    )
    .await;
    // Assert: the console is busy, the feed is not.
    until_status(&server, "/admin/reviews", &cookie, 503)
        .await
        .assert_error(503);
    assert_eq!(
        server.request("GET", "/feed.json", &[], b"").await.status,
        200
    );
}

#[tokio::test]
async fn a_review_counts_for_the_partner_it_came_from_and_for_no_other() {
    // Assemble: a server that accepts http://partner.example.
    let server = Server::start("attribution").await;
    let review =
        |page: &str| serde_json::json!({ "rating": 4, "comment": "ok", "page": page }).to_string();
    // Action: from the partner about its own page, about another site's page, and with
    // no page; then without an Origin at all, naming the partner's page.
    for (origin, page) in [
        (
            Some("http://partner.example"),
            "http://partner.example/news/1",
        ),
        (Some("http://partner.example"), "https://other.example/news"),
        (Some("http://partner.example"), ""),
        (None, "http://partner.example/news/2"),
    ] {
        let reply = server.post_from(origin, &[], &review(page)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    // Assert: the partner is the request's Origin, and only with a page on it.
    let conn = Connection::open(server.dir.join("reviews.db")).unwrap();
    let partners: Vec<String> = conn
        .prepare("SELECT origin FROM reviews ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        partners,
        ["http://partner.example", "", "http://partner.example", ""]
    );
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

/// The fixture feed, for the tests that render the widget.
const FIXTURE_FEED: &str = include_str!("../../tests/fixtures/feed.json");

#[tokio::test]
async fn the_widget_is_rendered_for_the_servers_own_feed_cached_and_revalidated() {
    // Assemble: a server with a real feed.
    let server = Server::start("render").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    // Action.
    let reply = server
        .request(
            "GET",
            "/newswire/render?lang=en&max-briefs=2&rl=en-GB",
            &[],
            b"",
        )
        .await;
    // Assert: the widget's HTML and its state, for any origin, with validators.
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("vary"), Some("accept-encoding"));
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=60, stale-while-revalidate=300, no-transform")
    );
    let code = newswire_server::feed::render::CODE;
    assert!(reply
        .body
        .starts_with(&format!("<div class=\"nw-root\" data-release=\"{code}\">")));
    assert_eq!(reply.body.matches("part=\"brief\"").count(), 2);
    assert!(reply.body.contains("lang=\"en-GB\""), "the reader's region");
    let state = reply
        .body
        .split("class=\"nw-state\">")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("</script>"))
        .expect("the state, last");
    let state: serde_json::Value = serde_json::from_str(state).unwrap();
    assert_eq!(state["news"]["briefs"].as_array().unwrap().len(), 2);
    let etag = reply.header("etag").unwrap().to_owned();
    // The same attributes spelled otherwise share the render; its ETag answers 304.
    let again = server
        .request(
            "GET",
            "/newswire/render?max-briefs=%202&lang=en&rl=en-GB&unknown=x",
            &[("If-None-Match", &etag)],
            b"",
        )
        .await;
    assert_eq!(again.status, 304);
    // Compressed once, when cached.
    let br = server
        .request(
            "GET",
            "/newswire/render?lang=en&max-briefs=2&rl=en-GB",
            &[("Accept-Encoding", "gzip, br")],
            b"",
        )
        .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    // A page cannot name another feed to render.
    server
        .request(
            "GET",
            "/newswire/render?feed=https://evil.example/x.json",
            &[],
            b"",
        )
        .await
        .assert_error(404);
    // Bad values fall back, as in the browser.
    let odd = server
        .request(
            "GET",
            "/newswire/render?max-briefs=zero&heading-level=9",
            &[],
            b"",
        )
        .await;
    assert_eq!(odd.status, 200);
    assert_eq!(odd.body.matches("part=\"brief\"").count(), 5);
}

#[tokio::test]
async fn the_render_cache_holds_a_bounded_number_of_renders() {
    // Assemble: a cache of 8.
    let server = Server::start_with(
        "render-cache",
        Policy {
            render_cache: 8,
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let state = server.state.clone();
    // Action: more titles than the cache holds, each a long one.
    let long = "x".repeat(2000);
    for n in 0..20 {
        let reply = server
            .request(
                "GET",
                &format!("/newswire/render?title=t{n}-{}", &long[..300]),
                &[],
                b"",
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    // Assert: the cache kept its bound, and the title was cut.
    assert_eq!(state.renders.len(), 8);
    let reply = server
        .request("GET", &format!("/newswire/render?title={long}"), &[], b"")
        .await;
    assert!(
        reply.body.contains(&long[..150]) && !reply.body.contains(&long[..300]),
        "a long title is cut to 200 characters, not dropped"
    );
}

#[tokio::test]
async fn the_include_wraps_the_widget_in_its_shadow_root_and_dates_it_in_a_known_zone() {
    let server = Server::start("include").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let include = |query: &'static str| {
        let server = &server;
        async move {
            server
                .request(
                    "GET",
                    &format!("/newswire/include?{query}"),
                    &[("Host", "agency.example")],
                    b"",
                )
                .await
        }
    };
    let reply = include("tz=Asia/Baku&theme=dark&max-briefs=1").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .starts_with("<newswire-widget feed=\"http://agency.example/feed.json\""),
        "{}",
        &reply.body[..200]
    );
    assert!(reply.body.contains("<template shadowrootmode=\"open\"><link rel=\"stylesheet\" href=\"http://agency.example/newswire/newswire.css\">"));
    assert!(
        reply.body.contains("theme=\"dark\"")
            && reply.body.ends_with("</template></newswire-widget>")
    );
    assert_eq!(
        reply.header("vary"),
        Some("accept-encoding, host, x-forwarded-host, x-forwarded-proto"),
        "no shared cache hands one host's include to another"
    );
    assert!(
        reply.body.contains(" +04</time>"),
        "Baku's time: {}",
        reply.body
    );
    // Anything but a zone the server knows is UTC.
    for bad in ["tz=Mars/Olympus", "tz=../../etc/passwd", "tz="] {
        assert!(include(bad).await.body.contains(" UTC</time>"), "{bad}");
    }
}
