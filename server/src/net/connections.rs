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
//! - **Shutdown within [`SHUTDOWN_DEADLINE`].** Requests in flight get that long to finish;
//!   every connection still open then is dropped.
//!
//! Every route that reads a body bounds its size and the time the whole body may take
//! (`http::read_body`), and the review and console routes take their permits from pools of
//! their own, so that clients holding bodies open never use up what the feed and the assets
//! need.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a shutdown waits for the requests in flight before it drops them.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

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
}

/// The command line's defaults ([`crate::cli::Options`]), where they are written once.
impl Default for ConnectionLimits {
    fn default() -> Self {
        crate::Policy::default().connections
    }
}

/// Open connections per client and per IPv6 /48; an entry lives only while its client
/// has one open, so the map never holds more than twice `max_connections` entries.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; dropping it uncounts it.
struct Counted {
    clients: Arc<PerClient>,
    keys: Vec<IpAddr>,
}

impl PerClient {
    /// Counts a connection from `peer`, or `None` when its client already has `cap` open,
    /// or its IPv6 /48 eight times that.
    fn open(self: &Arc<Self>, peer: IpAddr, cap: usize) -> Option<Counted> {
        let mut keys = vec![(crate::net::limits::bucket_key(peer), cap)];
        if let Some(network) = crate::net::limits::network_key(peer) {
            let factor = crate::net::limits::NETWORK_FACTOR as usize;
            keys.push((network, cap.saturating_mul(factor)));
        }
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if keys
            .iter()
            .any(|(key, cap)| open.get(key).is_some_and(|n| n >= cap))
        {
            return None;
        }
        for (key, _) in &keys {
            *open.entry(*key).or_default() += 1;
        }
        Some(Counted {
            clients: self.clone(),
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.clients.0.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// What a connection past its client's cap is told before it is closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
    Retry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 41\r\n\r\n\
    Too many connections from this address.\r\n";

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
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, say: wait a little rather than spin.
                if !is_connection_error(&err) {
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
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
        let open = &crate::net::metrics::metrics().connections_open;
        open.inc();
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
            crate::net::metrics::metrics().connections_open.dec();
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
