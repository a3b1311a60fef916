//! A bare hyper 1.x server that answers every request with a canned authorize reply.
//!
//! It does what any HTTP service must (accept, parse, read the whole body, write a ~450-byte
//! JSON reply) and nothing else, so its throughput on this machine is the ceiling farthing's
//! throughput is reported against. `POST /v1/authorize/batch` is the one route it tells apart:
//! it counts the request's items (a JSON parse that keeps nothing) and answers one canned
//! result per item, since a batch reply's size, and so its cost, grows with the batch. Same stack as farthing's adapter: hyper http1 with
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
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::cli::BATCH_ITEMS_MAX;

/// Connections served at once; a further connection waits to be accepted.
pub const CONNECTIONS_MAX: usize = 4096;
/// Largest request body read; a larger one gets 413.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// Largest batch request body read: a 1,000-item batch of the harness is about 330 KB, and
/// this leaves room for longer tokens; a larger one gets 413.
pub const BATCH_REQUEST_BODY_BYTES_MAX: usize = 1024 * 1024;
/// The batch route, answered with one canned result per item.
pub const BATCH_PATH: &str = "/v1/authorize/batch";
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

/// Reads the whole request body, then answers 200 with the canned reply (413 if too large);
/// a batch gets one canned result per item, or 400 if it is not 1 to 1,000 items.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let batch = request.method() == Method::POST && request.uri().path() == BATCH_PATH;
    let body_bytes_max = if batch {
        BATCH_REQUEST_BODY_BYTES_MAX
    } else {
        REQUEST_BODY_BYTES_MAX
    };
    let read = Limited::new(request.into_body(), body_bytes_max)
        .collect()
        .await;
    let (status, content_type, body) = match read {
        Err(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "application/json",
            Bytes::from_static(CANNED_AUTHORIZE_REPLY.as_bytes()),
        ),
        Ok(collected) if batch => match batch_reply(&collected.to_bytes()) {
            Ok(reply) => (StatusCode::OK, "application/json", Bytes::from(reply)),
            Err(problem) => (
                StatusCode::BAD_REQUEST,
                "application/problem+json",
                Bytes::from_static(problem.as_bytes()),
            ),
        },
        Ok(_) => (
            StatusCode::OK,
            "application/json",
            Bytes::from_static(CANNED_AUTHORIZE_REPLY.as_bytes()),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The problem a null server answers to a batch it cannot count, or of the wrong size.
const BATCH_PROBLEM: &str = concat!(
    r#"{"type":"/problems/invalid_batch","title":"A batch holds 1 to 1000 items","#,
    r#""status":400,"code":"invalid_batch"}"#
);

/// The items of a batch request, counted without keeping any (a `Vec` of a zero-sized type
/// does not allocate).
#[derive(serde::Deserialize)]
struct BatchRequest {
    items: Vec<serde::de::IgnoredAny>,
}

/// `{"results": [...]}` with one canned authorize reply per item of `body`.
///
/// # Errors
/// `BATCH_PROBLEM` if `body` is not `{"items": [...]}` with 1 to `BATCH_ITEMS_MAX` items.
fn batch_reply(body: &[u8]) -> Result<String, &'static str> {
    let items = serde_json::from_slice::<BatchRequest>(body)
        .map_err(|_| BATCH_PROBLEM)?
        .items
        .len();
    if items == 0 || u32::try_from(items).map_or(true, |items| items > BATCH_ITEMS_MAX) {
        return Err(BATCH_PROBLEM);
    }
    let prefix = r#"{"results":["#;
    let suffix = "]}";
    let mut reply = String::with_capacity(
        prefix.len() + suffix.len() + items * (CANNED_AUTHORIZE_REPLY.len() + 1),
    );
    reply.push_str(prefix);
    // Bounded: at most `BATCH_ITEMS_MAX` items, checked above.
    for index in 0..items {
        if index > 0 {
            reply.push(',');
        }
        reply.push_str(CANNED_AUTHORIZE_REPLY);
    }
    reply.push_str(suffix);
    Ok(reply)
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

    #[test]
    fn batch_reply_has_one_result_per_item() {
        for items in [1, 2, 17, 1000] {
            let body = serde_json::json!({
                "items": vec![serde_json::json!({"buyer_token": "bt", "price": "0.01"}); items]
            });
            let reply = batch_reply(body.to_string().as_bytes()).unwrap();
            let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
            let results = reply["results"].as_array().unwrap();
            assert_eq!(results.len(), items);
            assert_eq!(results[0]["charged"], "0.01");
            assert_eq!(results[items - 1]["already_owned"], false);
        }
        let too_many = serde_json::json!({"items": vec![0; 1001]}).to_string();
        for bad in [
            r#"{"items": []}"#,
            too_many.as_str(),
            r#"{"item": [1]}"#,
            "[1]",
            "{",
        ] {
            assert_eq!(batch_reply(bad.as_bytes()), Err(BATCH_PROBLEM), "{bad}");
        }
        let problem: serde_json::Value = serde_json::from_str(BATCH_PROBLEM).unwrap();
        assert_eq!(problem["code"], "invalid_batch");
    }
}
