//! The HTTP/1.1 server (hyper 1.x). One listening socket per shard, bound with SO_REUSEPORT so
//! the kernel spreads connections over the shards, and each accept loop runs on its shard's
//! own arbiter thread: a request for an account on that shard never leaves the thread.
//! Rejected alternative: one tokio runtime for HTTP sending to the arbiters, which costs a
//! cross-thread hop per request (measured in the README).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::{Semaphore, watch};

use super::app::App;
use super::router;

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

/// Serves one listener until `stop` turns true, then lets open connections finish for up to
/// `grace`. Runs on a shard's arbiter.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    connections: Arc<Semaphore>,
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
    let read_timeout = Duration::from_millis(app.config.server.request_read_timeout_ms);
    let grace = Duration::from_millis(app.config.server.shutdown_grace_ms);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
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
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = service_fn(move |request| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(router::handle(&app, request, peer.ip()).await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}
