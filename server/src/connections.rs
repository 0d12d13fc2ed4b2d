//! Connections: our own accept loop, because `axum::serve` takes none of the limits that keep
//! slow clients from holding the server.
//!
//! - **At most `max_connections` open at once.** Past that the loop stops accepting, and new
//!   connections wait in the kernel's backlog until one closes.
//! - **Headers within `header_timeout`** of connecting or of the previous answer: hyper's
//!   header-read timer, which also runs while a keep-alive connection waits for its next
//!   request, so it is the idle limit of keep-alive connections too.
//! - **No stall longer than `stall_timeout`.** [`Stalls`] wraps each socket and fails any read
//!   or write that has waited that long while no byte moved either way: a body that stops
//!   arriving, or an answer that the client never reads.
//!
//! The review route bounds how long it waits for a body on its own (`reviews::create`), and
//! takes its permits from a pool of its own, so that clients holding reviews open never
//! use up what the feed and the assets need.

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
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

/// The limits of every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// The time a client has to send a request's headers; also the idle limit of a
    /// keep-alive connection.
    pub header_timeout: Duration,
    /// How long a connection may go without a byte moving either way while it waits.
    pub stall_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 8192,
            header_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then finishes the
/// requests in flight (and so every review batch they wait for).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
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
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, say: wait a little rather than spin.
                if !is_connection_error(&err) {
                    eprintln!("newswire-server: accepting a connection failed: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Stalls::new(stream, limits.stall_timeout));
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
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
