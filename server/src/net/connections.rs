//! Connections: our own accept loop, because `axum::serve` takes none of the limits that keep
//! slow clients from holding the server.
//!
//! - **At most `max_connections` open at once.** Past that the loop stops accepting, and new
//!   connections wait in the kernel's backlog until one closes.
//! - **At most `per_client` open from one client** (an IPv4 address, or an IPv6 /64), and
//!   eight times that from one IPv6 /48 (as the rate limits count), so that one address, or
//!   one holder of a /48, cannot fill every slot. A connection past it is answered 503 and
//!   closed as soon as it is accepted. Behind a trusted proxy every connection comes from
//!   the proxy, so its addresses are exempt, and the proxy must cap per client itself.
//! - **The first request's headers within `first_header_timeout`** of connecting: a
//!   connection that never completes a request is let go sooner than a keep-alive one.
//! - **Headers within `header_timeout`** of the previous answer: hyper's header-read timer,
//!   which also runs while a keep-alive connection waits for its next request, so it is the
//!   idle limit of keep-alive connections too.
//! - **No stall longer than `stall_timeout`.** [`Stalls`] wraps each socket and fails any read
//!   or write that has waited that long while no byte moved either way: a body that stops
//!   arriving, or an answer that the client never reads.
//!
//! - **Every listener here**: the metrics address takes its connections through this loop
//!   too, with [`ConnectionLimits::metrics`], and every connection counts against the
//!   process's open files (`cli/serve.rs`), so that no listener can starve another of file
//!   handles. An `accept` that fails (no handle left) backs off, and says so once a second.
//! - **Shutdown within [`SHUTDOWN_DEADLINE`].** Requests in flight get that long to finish;
//!   every connection still open then is dropped.
//!
//! Every route that reads a body bounds its size and the time the whole body may take
//! (`http::read_body`), and the review and console routes take their permits from pools of
//! their own, so that clients holding bodies open never use up what the feed and the assets
//! need.

use crate::net::limits::PerClient;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a shutdown waits for the requests in flight before it drops them.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

/// Connections the metrics address holds open at once: a scraper or two needs one each.
pub const METRICS_CONNECTIONS: usize = 16;
/// Of those, the most one address may hold, so that one peer cannot take them all.
pub const METRICS_PER_CLIENT: usize = 4;
/// File handles kept apart for the store, the feed, the listeners and the log. The
/// open-file limit is raised as far as it goes at start; the metrics address's connections
/// and these are taken from it, and the public connections get half of what is left, since
/// each may hold a file it is sending beside its socket (`cli/serve.rs`).
pub const RESERVED_FILES: usize = 64;

impl ConnectionLimits {
    /// The limits of the metrics address: a few connections, at most
    /// [`METRICS_PER_CLIENT`] of them from one address (a scraper keeps one open), and the
    /// public port's deadlines.
    pub fn metrics(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: METRICS_CONNECTIONS,
            per_client: METRICS_PER_CLIENT,
            proxies: crate::net::proxies::Proxies::None,
            public: false,
            ..self.clone()
        }
    }
}

/// The limits of every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// Open connections from one client (IPv4 address, IPv6 /64); 0: no limit.
    pub per_client: usize,
    /// Our own proxies (`--trust-proxy`: every peer; `--trusted-proxy`: those networks)
    /// carry many readers' connections, so they are not held to one client's share.
    pub proxies: crate::net::proxies::Proxies,
    /// The time a client has to send its first request's headers, from connecting.
    pub first_header_timeout: Duration,
    /// The time a client has to send a later request's headers; also the idle limit of a
    /// keep-alive connection.
    pub header_timeout: Duration,
    /// How long a connection may go without a byte moving either way while it waits.
    pub stall_timeout: Duration,
    /// Whether its connections are the public port's, counted in
    /// `newswire_connections_open`.
    pub public: bool,
}

/// What a connection past its client's cap is told before it is closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
    Retry-After: 1\r\nContent-Type: text/plain\r\nX-Content-Type-Options: nosniff\r\n\
    Content-Length: 41\r\n\r\nToo many connections from this address.\r\n";

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then finishes the
/// requests in flight (and so every review batch they wait for).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let clients = Arc::new(PerClient::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut backoff = Backoff::default();
    // Every connection's task, so that the ones still open at the deadline can be dropped.
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        // Forget the connections that have ended.
        while tasks.try_join_next().is_some() {}
        let (mut stream, peer) = match accepted {
            Ok(accepted) => {
                backoff.accepted();
                accepted
            }
            Err(err) => {
                // Out of file descriptors, say: back off rather than spin, and say so at
                // most once a second.
                if !is_connection_error(&err) {
                    let pause = backoff.failed(&err);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {},
                        () = &mut shutdown => break,
                    }
                }
                continue;
            }
        };
        let counted = if limits.per_client == 0 || limits.proxies.is_proxy(peer.ip()) {
            None
        } else {
            match clients.open(peer.ip(), limits.per_client) {
                Some(counted) => Some(counted),
                // Answered and closed at once: this client holds its share of the slots
                // already. The permit goes back as soon as the answer is written.
                None => {
                    tasks.spawn(async move {
                        use tokio::io::AsyncWriteExt;
                        let write = stream.write_all(TOO_MANY);
                        let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
                        drop(permit);
                    });
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Stalls::new(stream, limits.stall_timeout));
        let app = app.clone();
        // Told when the first request's headers are in.
        let started = Arc::new(Notify::new());
        let heard = started.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            heard.notify_one();
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        let first_headers = limits.first_header_timeout;
        let public = limits.public;
        if public {
            crate::net::metrics::metrics().connections_open.inc();
        }
        tasks.spawn(async move {
            let mut connection = pin!(connection);
            let in_time = tokio::select! {
                _ = &mut connection => false,
                heard = tokio::time::timeout(first_headers, started.notified()) => heard.is_ok(),
            };
            // Dropping a connection that sent no whole request in time closes it.
            if in_time {
                let _ = connection.await;
            }
            drop((permit, counted));
            if public {
                crate::net::metrics::metrics().connections_open.dec();
            }
        });
    }
    drop(listener);
    // Requests in flight get the deadline to finish; the connections still open are then
    // dropped, and the caller flushes what it holds.
    let _ = tokio::time::timeout(SHUTDOWN_DEADLINE, graceful.shutdown()).await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// The pause after a failed `accept` (no file descriptors left, say), doubling from 10 ms
/// to a second while it keeps failing, and the warning, at most once a second with how
/// many failures it stands for.
#[derive(Default)]
struct Backoff {
    pause: Duration,
    logged: Option<Instant>,
    unlogged: u64,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn accepted(&mut self) {
        self.pause = Duration::ZERO;
    }

    /// Notes a failure of `err`'s kind; how long to wait before the next `accept`.
    fn failed(&mut self, err: &io::Error) -> Duration {
        self.unlogged += 1;
        let now = Instant::now();
        if self
            .logged
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
        {
            tracing::warn!(
                error = %err,
                failures = self.unlogged,
                "accepting connections failed; backing off"
            );
            self.logged = Some(now);
            self.unlogged = 0;
        }
        self.pause = (self.pause * 2).clamp(Self::FIRST, Self::MAX);
        self.pause
    }
}

/// Errors that concern one connection only (it was reset before we took it).
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A socket whose reads and writes fail once they have waited `limit` with no byte moving
/// either way. Progress in one direction keeps the other alive, so a long answer that the
/// client reads steadily is never cut.
///
/// Progress only notes the time; the timer is set when an operation has to wait, and only
/// when the deadline has moved, so a busy connection costs no timer work per read or write.
pub struct Stalls {
    io: TcpStream,
    limit: Duration,
    /// When a byte last moved.
    last: Instant,
    deadline: Pin<Box<Sleep>>,
    /// What `deadline` is set to.
    armed: Instant,
}

impl Stalls {
    pub fn new(io: TcpStream, limit: Duration) -> Self {
        let now = Instant::now();
        Stalls {
            io,
            limit,
            last: now,
            deadline: Box::pin(tokio::time::sleep_until(now + limit)),
            armed: now + limit,
        }
    }

    fn progressed(&mut self) {
        self.last = Instant::now();
    }

    /// A pending operation: an error once `limit` has passed since the last progress.
    fn waited<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let due = self.last + self.limit;
        if self.armed != due {
            self.deadline.as_mut().reset(due);
            self.armed = due;
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection stalled",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Stalls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Pending => self.waited(cx),
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(result)
            }
        }
    }
}

impl AsyncWrite for Stalls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write(cx, data) {
            Poll::Pending => self.waited(cx),
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    self.progressed();
                }
                Poll::Ready(result)
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Pending => self.waited(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.waited(cx),
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    self.progressed();
                }
                Poll::Ready(result)
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
