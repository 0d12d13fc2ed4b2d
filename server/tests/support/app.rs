//! The server in this process over real TCP, with a real SQLite file, and the answers it
//! gives, as the HTTP tests read them.

pub use newswire_server::feed::source::FeedSource;
pub use newswire_server::net::limits::Rate;
pub use newswire_server::net::origins::Origins;
pub use newswire_server::store::sqlite::SqliteStore;
pub use newswire_server::{AppState, Policy};
pub use rusqlite::Connection;
pub use std::path::PathBuf;
pub use std::sync::Arc;
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub use tokio::net::TcpStream;

pub const FEED: &str =
    r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": []}"#;

pub struct Server {
    pub addr: std::net::SocketAddr,
    pub dir: PathBuf,
    pub state: AppState,
    /// One router for `request`, as one process has: what its layers keep (permits, shed
    /// load) is shared by every request it is handed.
    router: axum::Router,
    pub _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// A server that accepts reviews from `http://partner.example`, with roomy limits.
    pub async fn start(name: &str) -> Server {
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

    pub async fn start_with(name: &str, policy: Policy) -> Server {
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
            router: newswire_server::router(state.clone()),
            state,
            _stop: stop,
        }
    }

    /// `method path` with `headers` and `body`, handed straight to the router
    /// (`Router::oneshot`), as the connection layer would hand it over from this loopback
    /// address: for the routes, where no socket matters.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
        self.request_from(peer, method, path, headers, body).await
    }

    /// The body of `method path` with `headers`, as bytes (a compressed one, say).
    pub async fn request_bytes(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Vec<u8> {
        let response = self.send(method, path, headers).await;
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    /// `method path` with `headers` and no body, through the router, as from this loopback
    /// address: the response as it is, its body unread.
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> axum::response::Response {
        use tower::ServiceExt;
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(axum::body::Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                40000,
            ))));
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// The same, as from `peer`.
    pub async fn request_from(
        &self,
        peer: std::net::SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        use tower::ServiceExt;
        let mut request = axum::http::Request::builder().method(method).uri(path);
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", self.addr.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request
            .header("content-length", body.len())
            .body(axum::body::Body::from(body.to_vec()))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The same over a real TCP connection, through the connection layer: where the socket
    /// matters (its limits and deadlines, what goes on the wire).
    pub async fn request_tcp(
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

    pub async fn post_review(&self, body: &str) -> Reply {
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

    pub fn rows(&self) -> Vec<(i64, i64, String, Option<String>)> {
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

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn parse(raw: &[u8]) -> Reply {
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

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    /// Every 4xx carries a readable JSON message.
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let message = self.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(message.len() > 10, "a readable message, not {message:?}");
    }
}

pub const REVIEW: &str = r#"{"rating": 5, "comment": "Good.", "subject": "lead-1"}"#;

impl Server {
    pub async fn post_from(
        &self,
        origin: Option<&str>,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        headers.extend_from_slice(extra);
        self.request("POST", "/api/reviews", &headers, body.as_bytes())
            .await
    }
}

/// One Server-Sent Event as the browser's `EventSource` reads it (a `retry:` alone counts,
/// with no name).
#[derive(Debug, Default, Clone)]
pub struct Sse {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

impl Sse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {:?}", self.data))
    }
}

/// An open live stream (`GET /feed/events`), read event by event.
pub struct Events {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Events {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The next event, comments skipped; `None` once the stream has ended. A stream that
    /// says nothing for 10 s fails the test.
    pub async fn next(&mut self) -> Option<Sse> {
        use futures_util::StreamExt;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut sse = Sse::default();
                let mut any = false;
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => sse.event = value.to_owned(),
                        "id" => sse.id = Some(value.to_owned()),
                        "data" => {
                            if any && !sse.data.is_empty() {
                                sse.data.push('\n');
                            }
                            sse.data.push_str(value);
                        }
                        "retry" => sse.retry = value.parse().ok(),
                        _ => continue,
                    }
                    any = true;
                }
                if any {
                    return Some(sse);
                }
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), self.body.next())
                .await
                .expect("the stream said nothing for 10 s")?;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.expect("a readable stream")));
        }
    }

    /// The next event that is not a heartbeat or a lone `retry:`.
    pub async fn next_change(&mut self) -> Option<Sse> {
        loop {
            let sse = self.next().await?;
            if sse.event == "update" || sse.event == "reset" {
                return Some(sse);
            }
        }
    }
}

impl Server {
    /// Opens `path` (a live stream) with `headers`, as from this loopback address.
    pub async fn events(&self, path: &str, headers: &[(&str, &str)]) -> Events {
        let response = self.send("GET", path, headers).await;
        Events {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// Writes `feed` as the feed file and has the server read it now (as its watcher does
    /// within a second); the revision it serves then.
    pub async fn publish(&self, feed: &str) -> i64 {
        std::fs::write(self.dir.join("feed.json"), feed).unwrap();
        // The file's time may not move within one clock tick: its size tells too, and each
        // test's feeds differ in length or the test waits.
        self.state.feed.current().await.expect("a feed").revision
    }
}

/// A JSON Feed with one item for each of `ids`, titled after it.
pub fn feed_with(ids: &[&str]) -> String {
    let items: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "title": format!("Story {id}"), "content_text": "x", "tags": ["Headline"]}))
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": items})
        .to_string()
}
