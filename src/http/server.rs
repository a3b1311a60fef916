//! The HTTP/1.1 server (hyper 1.x). One listening socket per shard, bound with SO_REUSEPORT so
//! the kernel spreads connections over the shards, and each accept loop runs on its shard's
//! own arbiter thread: a request for an account on that shard never leaves the thread.
//! Rejected alternative: one tokio runtime for HTTP sending to the arbiters, which costs a
//! cross-thread hop per request (measured in the README).
//!
//! What one client can hold: a slot of `server.connections_max` (shared by all shards) and at
//! most `server.connections_per_client_max` of them per client address; a head of at most
//! `server.request_head_bytes_max` bytes read within `server.request_read_timeout_ms`; a
//! response it does not read for `server.response_write_timeout_ms`; an idle kept-alive
//! connection for `server.keep_alive_idle_ms`. hyper 1 has the head limits but no write or
//! idle timeout, so those two live in `TimedIo`, a wrapper of the socket.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use dashmap::DashMap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use super::app::App;
use super::client::ClientAddr;
use super::error::ApiError;
use super::router;
use crate::config::ServerConfig;
use crate::metrics as names;

/// Pending connections the kernel queues per listener.
const LISTEN_BACKLOG: i32 = 1024;

/// Binds one listener per shard on the same address. With port 0 the first picks the port and
/// the others join it.
///
/// # Errors
/// The socket errors.
pub fn bind(
    address: SocketAddr,
    count: usize,
) -> std::io::Result<(Vec<std::net::TcpListener>, SocketAddr)> {
    let mut listeners = Vec::with_capacity(count);
    let mut bound = address;
    for _ in 0..count.max(1) {
        let socket = Socket::new(
            Domain::for_address(bound),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&bound.into())?;
        socket.listen(LISTEN_BACKLOG)?;
        let listener: std::net::TcpListener = socket.into();
        bound = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok((listeners, bound))
}

/// The connection slots the accept loops of one node share: `server.connections_max` in all,
/// and per client address at most `server.connections_per_client_max`.
///
/// The per-address counts hold an entry only while that address has a connection open, and
/// every open connection holds a global slot, so the map never has more than
/// `connections_max` entries.
pub struct Connections {
    slots: Arc<Semaphore>,
    per_client: DashMap<ClientAddr, usize>,
    per_client_max: usize,
}

impl Connections {
    /// Slots for a server configured by `server`.
    #[must_use]
    pub fn new(server: &ServerConfig) -> Arc<Connections> {
        Arc::new(Connections {
            slots: Arc::new(Semaphore::new(server.connections_max)),
            per_client: DashMap::new(),
            per_client_max: server.connections_per_client_max,
        })
    }

    /// Takes one of `client`'s slots, or `None` when it holds them all.
    fn claim(self: &Arc<Connections>, client: ClientAddr) -> Option<ClientSlot> {
        let mut held = self.per_client.entry(client).or_insert(0);
        if *held >= self.per_client_max {
            return None;
        }
        *held += 1;
        Some(ClientSlot {
            connections: Arc::clone(self),
            client,
        })
    }

    /// Connections `client` holds (tests).
    #[must_use]
    pub fn held_by(&self, client: ClientAddr) -> usize {
        self.per_client.get(&client).map_or(0, |held| *held)
    }
}

/// One connection of a client address; gives it back when dropped.
struct ClientSlot {
    connections: Arc<Connections>,
    client: ClientAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.connections
            .per_client
            .remove_if_mut(&self.client, |_, held| {
                *held = held.saturating_sub(1);
                *held == 0
            });
    }
}

/// Everything an open connection holds, given back when its task ends.
struct Open {
    _slot: OwnedSemaphorePermit,
    _client: Option<ClientSlot>,
}

impl Drop for Open {
    fn drop(&mut self) {
        connection_metrics().open.decrement(1.0);
    }
}

/// Handles of the connection metrics, registered once (a connection is not a request, but a
/// load test opens thousands).
struct ConnectionMetrics {
    open: metrics::Gauge,
    refused_per_client: metrics::Counter,
    write_timeout: metrics::Counter,
    idle_timeout: metrics::Counter,
    head_timeout: metrics::Counter,
    head_too_large: metrics::Counter,
}

fn connection_metrics() -> &'static ConnectionMetrics {
    static METRICS: std::sync::OnceLock<ConnectionMetrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| ConnectionMetrics {
        open: metrics::gauge!(names::CONNECTIONS_OPEN),
        refused_per_client: metrics::counter!(names::CONNECTIONS_REFUSED, "reason" => "per_client"),
        write_timeout: metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => "write_timeout"),
        idle_timeout: metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => "idle_timeout"),
        head_timeout: metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => "head_timeout"),
        head_too_large: metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => "head_too_large"),
    })
}

/// The whole answer to a connection refused for its client's cap: a 429 problem with
/// `Retry-After`, built once.
fn refusal() -> &'static [u8] {
    static REFUSAL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    REFUSAL.get_or_init(|| {
        let error = ApiError::TooManyConnections;
        let (status, ..) = error.describe();
        let body: Bytes = error.body();
        let mut answer = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\nretry-after: {}\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            status.as_str(),
            status.canonical_reason().unwrap_or(""),
            error.retry_after_s().unwrap_or(1),
            body.len(),
        )
        .into_bytes();
        answer.extend_from_slice(&body);
        answer
    })
}

/// Answers a connection over its client's cap and closes it. The answer is written with one
/// non-blocking send into the fresh socket's empty buffer: a client that does not read it
/// costs nothing, and one that does learns why (a bare close would look like a crash).
fn refuse(stream: TcpStream) {
    connection_metrics().refused_per_client.increment(1);
    let _ = socket2::SockRef::from(&stream).send(refusal());
    drop(stream);
}

/// Serves one listener until `stop` turns true, then lets open connections finish for up to
/// `grace`. Runs on a shard's arbiter.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    connections: Arc<Connections>,
    mut stop: watch::Receiver<bool>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "cannot register the listener");
            return;
        }
    };
    let graceful = GracefulShutdown::new();
    let server = &app.config.server;
    let read_timeout = Duration::from_millis(server.request_read_timeout_ms);
    let limits = IoLimits {
        write: Duration::from_millis(server.response_write_timeout_ms),
        idle: Duration::from_millis(server.keep_alive_idle_ms),
    };
    let head_bytes_max = server.request_head_bytes_max;
    let grace = Duration::from_millis(server.shutdown_grace_ms);
    loop {
        let permit = tokio::select! {
            permit = connections.slots.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        // Only the peer is known before a request arrives. A trusted proxy speaks for many
        // clients, so it is held to `connections_max` alone; its clients are told apart per
        // request (`call.client`) by the limits that count requests.
        let client = if app.trusted_proxies.contains(peer.ip()) {
            None
        } else {
            match connections.claim(ClientAddr::of(peer.ip())) {
                Some(slot) => Some(slot),
                None => {
                    refuse(stream);
                    continue;
                }
            }
        };
        connection_metrics().open.increment(1.0);
        let open = Open {
            _slot: permit,
            _client: client,
        };
        let _ = stream.set_nodelay(true);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let io = TimedIo::new(stream, Arc::clone(&in_flight), limits);
        let app = app.clone();
        let service = service_fn(move |request| {
            let app = app.clone();
            let answering = Answering::start(&in_flight);
            async move {
                let response = router::handle(&app, request, peer.ip()).await;
                drop(answering);
                Ok::<_, Infallible>(response)
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .max_header_size(head_bytes_max)
            .keep_alive(true)
            .serve_connection(TokioIo::new(io), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                count_closed(&error);
            }
            drop(open);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

/// Counts a connection hyper ended on a limit of its own (the write and idle timeouts are
/// counted where they fire).
fn count_closed(error: &hyper::Error) {
    if error.is_parse_too_large() {
        connection_metrics().head_too_large.increment(1);
    } else if error.is_timeout() {
        connection_metrics().head_timeout.increment(1);
    }
}

/// A request being answered on a connection: while one is, the connection is not idle.
struct Answering(Arc<AtomicUsize>);

impl Answering {
    fn start(in_flight: &Arc<AtomicUsize>) -> Answering {
        in_flight.fetch_add(1, Ordering::Relaxed);
        Answering(Arc::clone(in_flight))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The write and idle limits of a connection.
#[derive(Clone, Copy, Debug)]
struct IoLimits {
    write: Duration,
    idle: Duration,
}

/// What the connection's timer is measuring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Nothing: a request is being read or answered, or bytes are moving.
    Nothing,
    /// The client sends nothing and no request is being answered.
    Idle,
    /// hyper has bytes to write that the socket does not take (the client does not read).
    Write,
}

/// The socket of one connection, with the two timeouts hyper lacks: a write that stays
/// pending past `IoLimits::write` (until hyper's buffer is flushed), and no byte arriving for
/// `IoLimits::idle` while no request is being answered. Either fails the pending read or write
/// with `TimedOut`, which makes hyper close the connection and so free its slot.
///
/// One `Sleep` per connection, allocated once. Arming a wait only reads the clock and stores a
/// deadline; the `Sleep` is reset only when it fires before the deadline (or must fire
/// sooner), so a busy keep-alive connection costs one clock read per request, not a timer
/// reset.
struct TimedIo {
    stream: TcpStream,
    in_flight: Arc<AtomicUsize>,
    limits: IoLimits,
    wait: Wait,
    deadline: Instant,
    timer: Pin<Box<Sleep>>,
}

impl TimedIo {
    fn new(stream: TcpStream, in_flight: Arc<AtomicUsize>, limits: IoLimits) -> TimedIo {
        let deadline = Instant::now() + limits.idle;
        TimedIo {
            stream,
            in_flight,
            limits,
            wait: Wait::Nothing,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// Starts measuring `wait` now, unless it is being measured already.
    fn arm(&mut self, wait: Wait) {
        if self.wait == wait {
            return;
        }
        let limit = match wait {
            Wait::Write => self.limits.write,
            Wait::Idle | Wait::Nothing => self.limits.idle,
        };
        self.wait = wait;
        self.deadline = Instant::now() + limit;
        if self.timer.deadline() > self.deadline {
            self.timer.as_mut().reset(self.deadline);
        }
    }

    /// Whether the wait being measured has run out. Registers the task to be woken when it
    /// does.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.wait == Wait::Nothing {
            return false;
        }
        // At most twice: a timer that fired early is reset to the deadline once.
        for _ in 0..2 {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if self.timer.deadline() >= self.deadline {
                let metrics = connection_metrics();
                match self.wait {
                    Wait::Write => metrics.write_timeout.increment(1),
                    Wait::Idle => metrics.idle_timeout.increment(1),
                    Wait::Nothing => {}
                }
                return true;
            }
            let deadline = self.deadline;
            self.timer.as_mut().reset(deadline);
        }
        false
    }

    fn timed_out(&self) -> io::Error {
        let what = match self.wait {
            Wait::Write => "the client did not read the response in time",
            Wait::Idle | Wait::Nothing => "the connection was idle too long",
        };
        io::Error::new(io::ErrorKind::TimedOut, what)
    }

    /// A write that the socket did not take: measure how long it stays so.
    fn write_pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        self.arm(Wait::Write);
        if self.expired(cx) {
            return Poll::Ready(Err(self.timed_out()));
        }
        Poll::Pending
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Pending => {
                if this.wait != Wait::Write {
                    if this.in_flight.load(Ordering::Relaxed) == 0 {
                        this.arm(Wait::Idle);
                    } else {
                        this.wait = Wait::Nothing;
                    }
                }
                if this.expired(cx) {
                    return Poll::Ready(Err(this.timed_out()));
                }
                Poll::Pending
            }
            ready => {
                if this.wait == Wait::Idle {
                    this.wait = Wait::Nothing;
                }
                ready
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Pending => this.write_pending(cx),
            ready => ready,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write_vectored(cx, bufs) {
            Poll::Pending => this.write_pending(cx),
            ready => ready,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    /// hyper flushes the socket only after its buffer is written out: the response left, and
    /// the write wait is over.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Pending => this.write_pending(cx),
            Poll::Ready(Ok(())) => {
                if this.wait == Wait::Write {
                    this.wait = Wait::Nothing;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn connections(per_client_max: usize) -> Arc<Connections> {
        Arc::new(Connections {
            slots: Arc::new(Semaphore::new(8)),
            per_client: DashMap::new(),
            per_client_max,
        })
    }

    #[test]
    fn a_client_holds_at_most_its_cap_and_its_entry_leaves_with_its_last_connection() {
        let connections = connections(2);
        let one = ClientAddr::of("192.0.2.1".parse().unwrap());
        let other = ClientAddr::of("192.0.2.2".parse().unwrap());
        let first = connections.claim(one).unwrap();
        let second = connections.claim(one).unwrap();
        assert!(connections.claim(one).is_none());
        assert!(
            connections.claim(other).is_some(),
            "another address has its own count"
        );
        drop(first);
        assert_eq!(connections.held_by(one), 1);
        let third = connections.claim(one).unwrap();
        drop((second, third));
        assert_eq!(connections.held_by(one), 0);
        assert!(
            connections.per_client.is_empty(),
            "no entry outlives its connections"
        );
    }

    #[test]
    fn ipv6_clients_share_one_count_per_64() {
        let connections = connections(1);
        let _held = connections
            .claim(ClientAddr::of("2001:db8:1:2::1".parse().unwrap()))
            .unwrap();
        assert!(
            connections
                .claim(ClientAddr::of("2001:db8:1:2:ffff::9".parse().unwrap()))
                .is_none()
        );
    }

    #[test]
    fn the_refusal_is_a_whole_429_problem() {
        let text = String::from_utf8(refusal().to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
            "{head}"
        );
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("retry-after: 1"));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "too_many_connections");
    }
}
