//! `/metrics` on its own address (`metrics.listen`), so the metrics (sales volume included)
//! can be kept on an operators' network while the API port faces the world. It serves that one
//! path, with the same bearer check as on the API port, on a thread of its own: a scrape never
//! takes a shard's time, and a flood of API requests never delays a scrape.
//!
//! Rejected alternative: a second listener in the router's accept loops, which would have put
//! every API route on the metrics address too, and the metrics address's connections in the
//! API's connection budget.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ALLOW, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

use super::app::App;
use super::error::ApiError;
use super::probes;
use super::router::problem;

/// Connections the metrics address serves at once: a few scrapers, never the API's load.
const CONNECTIONS_MAX: usize = 16;
/// Time a scraper has to send its request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound metrics address, not yet serving.
pub struct MetricsListener {
    listener: std::net::TcpListener,
    /// The address bound (the real port when `metrics.listen` asked for port 0).
    pub address: SocketAddr,
}

impl MetricsListener {
    /// Binds `address`.
    ///
    /// # Errors
    /// The socket errors.
    pub fn bind(address: SocketAddr) -> std::io::Result<MetricsListener> {
        let listener = std::net::TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        Ok(MetricsListener { listener, address })
    }

    /// Serves `/metrics` on a thread of its own until `stop` turns true.
    ///
    /// # Errors
    /// When the thread or its runtime cannot start.
    pub fn spawn(
        self,
        app: Arc<App>,
        stop: watch::Receiver<bool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("farthing-metrics".to_owned())
            .spawn(move || runtime.block_on(serve(self.listener, app, stop)))
    }
}

async fn serve(listener: std::net::TcpListener, app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "cannot register the metrics listener");
            return;
        }
    };
    let connections = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let app = app.clone();
        let service = service_fn(move |request| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(answer(&app, &request)) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// `GET /metrics` (the body, if any, is never read); anything else is a problem.
fn answer<B>(app: &App, request: &Request<B>) -> Response<Full<Bytes>> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => {
            probes::scrape(app, request.headers()).unwrap_or_else(|error| problem(&error))
        }
        (_, "/metrics") => {
            let mut response = problem(&ApiError::MethodNotAllowed);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            response
        }
        _ => problem(&ApiError::RouteNotFound),
    }
}
