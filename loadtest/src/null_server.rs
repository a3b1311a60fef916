//! A bare hyper 1.x server that answers every request with a canned authorize reply.
//!
//! It does what any HTTP service must (accept, parse, read the whole body, write a ~450-byte
//! JSON reply) and nothing else, so its throughput on this machine is the ceiling farthing's
//! throughput is reported against. Same stack as farthing's adapter: hyper http1 with
//! keep-alive, `TCP_NODELAY`, `hyper_util::rt::TokioIo`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Connections served at once; a further connection waits to be accepted.
pub const CONNECTIONS_MAX: usize = 4096;
/// Largest request body read; a larger one gets 413.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// Pause after a failed accept (say, out of file descriptors) before the next.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// A reply shaped and sized like a real `POST /v1/authorize` 200 (about 450 bytes).
pub const CANNED_AUTHORIZE_REPLY: &str = concat!(
    r#"{"authorization_id":"auth_01JDZ6Q8M6H5Q2V9X4T7K3N1PB","charged":"0.01","#,
    r#""already_owned":false,"entitlement":{"views_left":null,"expires_at":null},"#,
    r#""access_token":"v1.k1.UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA_TkB_yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGIy2EJAPnjR_rohtxlB3lex0XEw_yy6yxz4Uk0yGfuBXunJJm_oSHoNrKsFXJu59awr2qxPDjpLK4NFQV7FZmH-UzHQR1xfxRXmyqhAPu7NPpZP-rtJySLdi46tYBfB2WiucHX4PN8RJIb0_ZQ","#,
    r#""member_ref":"mref_7Q2V9X4T7K3N1PB8M6H5Z2"}"#
);

/// Binds a listener on `addr`.
///
/// # Errors
/// The address cannot be bound.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))
}

/// Serves on `listener` for `run_for`, then returns (open connections end with the runtime).
///
/// # Errors
/// The connection semaphore was closed (not in practice).
pub async fn serve(listener: TcpListener, run_for: Duration) -> Result<()> {
    let deadline = Instant::now() + run_for;
    let permits = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    // Bounded in time by `deadline`, in concurrent connections by `permits`.
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit.context("connection permits")?,
            () = tokio::time::sleep_until(deadline) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    eprintln!("null-server: accept failed: {error}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = tokio::time::sleep_until(deadline) => break,
        };
        // Without TCP_NODELAY a keep-alive reply can sit in Nagle's buffer for 40 ms.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _permit = permit;
            // A client closing mid-request is normal for a load generator; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
    Ok(())
}

/// Reads the whole request body, then answers 200 with the canned reply (413 if too large).
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let read = Limited::new(request.into_body(), REQUEST_BODY_BYTES_MAX)
        .collect()
        .await;
    let mut response = Response::new(Full::new(Bytes::from_static(
        CANNED_AUTHORIZE_REPLY.as_bytes(),
    )));
    if read.is_err() {
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_reply_looks_like_an_authorize_reply() {
        let size = CANNED_AUTHORIZE_REPLY.len();
        assert!((400..=500).contains(&size), "canned reply is {size} bytes");
        let reply: serde_json::Value = serde_json::from_str(CANNED_AUTHORIZE_REPLY).unwrap();
        for key in [
            "authorization_id",
            "charged",
            "already_owned",
            "entitlement",
            "access_token",
            "member_ref",
        ] {
            assert!(reply.get(key).is_some(), "missing {key}");
        }
    }
}
