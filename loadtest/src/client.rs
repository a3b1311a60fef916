//! One keep-alive HTTP/1.1 client connection (hyper's low-level `client::conn`).
//!
//! The low-level connection is used instead of a pooled client so that each generator worker
//! owns exactly one connection: the number of connections is then a fixed, reported parameter,
//! and a request that finds every connection busy waits, as a real client would.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Longest wait for a TCP connect and HTTP handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How a request failed when no HTTP response came back.
#[derive(Debug)]
pub enum SendError {
    /// Connect, write, read or protocol error; the connection is unusable.
    Io(anyhow::Error),
    /// No complete response within the timeout; the connection is unusable.
    Timeout,
}

impl SendError {
    /// Stable error code for the report.
    pub fn code(&self) -> &'static str {
        match self {
            SendError::Io(_) => "io",
            SendError::Timeout => "timeout",
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Io(error) => write!(formatter, "i/o error: {error:#}"),
            SendError::Timeout => write!(formatter, "timed out"),
        }
    }
}

impl std::error::Error for SendError {}

/// An HTTP/1.1 connection with its driver task spawned.
pub struct Conn {
    /// Request half; the connection half runs in its own task until the peer closes.
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects with `TCP_NODELAY` and performs the HTTP/1.1 handshake.
    ///
    /// # Errors
    /// Connect or handshake failure, or `CONNECT_TIMEOUT` elapsed.
    pub async fn connect(addr: SocketAddr) -> Result<Conn, SendError> {
        let connecting = async {
            let stream = TcpStream::connect(addr)
                .await
                .with_context(|| format!("connecting to {addr}"))?;
            stream.set_nodelay(true).context("setting TCP_NODELAY")?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP/1.1 handshake")?;
            tokio::spawn(async move {
                // The driver ends when the peer closes or the sender is dropped; its error is
                // seen by the next request on this connection, which reconnects.
                let _ = connection.await;
            });
            anyhow::Ok(Conn { sender })
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(result) => result.map_err(SendError::Io),
            Err(_) => Err(SendError::Timeout),
        }
    }

    /// Whether the peer closed the connection (a keep-alive timeout, say): reconnect first.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends one request and reads the whole body (at most `body_bytes_max`).
    ///
    /// # Errors
    /// No complete response within `timeout`, or an I/O or protocol error. After an error the
    /// connection must be dropped.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
        body_bytes_max: usize,
    ) -> Result<(StatusCode, Bytes), SendError> {
        let exchange = async {
            self.sender.ready().await.context("connection not ready")?;
            let response = self
                .sender
                .send_request(request)
                .await
                .context("sending request")?;
            let status = response.status();
            let body = Limited::new(response.into_body(), body_bytes_max)
                .collect()
                .await
                .map_err(|error| anyhow::anyhow!("reading response body: {error}"))?
                .to_bytes();
            anyhow::Ok((status, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result.map_err(SendError::Io),
            Err(_) => Err(SendError::Timeout),
        }
    }
}

/// Builds a request to `path` with a `Host`, an optional bearer and an optional JSON body.
///
/// # Errors
/// A header value or path that is not valid HTTP.
pub fn request(
    method: Method,
    host: &HeaderValue,
    path: &str,
    authorization: Option<&HeaderValue>,
    json_body: Option<Vec<u8>>,
) -> Result<Request<Full<Bytes>>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host);
    if let Some(authorization) = authorization {
        builder = builder.header(header::AUTHORIZATION, authorization);
    }
    let body = match json_body {
        Some(body) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(body)
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).context("building request")
}

/// `Bearer <secret>` as a header value marked sensitive (hyper then never logs it).
///
/// # Errors
/// The secret holds characters not allowed in a header.
pub fn bearer(secret: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {secret}"))
        .context("a bearer secret holds characters not allowed in a header")?;
    value.set_sensitive(true);
    Ok(value)
}

/// A response body cut to `chars_max` characters, for error messages.
pub fn excerpt(body: &[u8], chars_max: usize) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(chars_max)
        .collect()
}
