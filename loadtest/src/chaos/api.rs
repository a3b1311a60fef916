//! One keep-alive connection that sorts every reply the way the chaos check needs: a 2xx, a
//! refusal (4xx: nothing changed), an unknown outcome (no reply, or a 5xx), or not sent at all
//! (the connect failed, so the server never saw the request).

use std::time::Duration;

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use serde::Serialize;

use crate::client::{self, Conn};
use crate::target::Target;

/// Longest wait for one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest reply body read.
pub const REPLY_BYTES_MAX: usize = 1 << 20;

/// How one request ended.
#[derive(Debug)]
pub enum Reply {
    /// A 2xx, with its status and body.
    Success(StatusCode, Bytes),
    /// A 4xx: the server refused, so nothing changed.
    Refused(StatusCode, Bytes),
    /// A 5xx, or the request was sent and no reply came: it may or may not have landed.
    Unknown(String),
    /// The connect failed: the server never saw the request.
    NotSent(String),
}

/// A connection to the server, opened again after any error.
pub struct Api {
    target: Target,
    conn: Option<Conn>,
}

impl Api {
    /// An API client for `target`; connects on first use.
    pub fn new(target: Target) -> Api {
        Api { target, conn: None }
    }

    /// Sends one request with a JSON body (if any) and an optional `Idempotency-Key`.
    pub async fn call<B: Serialize>(
        &mut self,
        method: Method,
        path: &str,
        authorization: &HeaderValue,
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let json = match body.map(serde_json::to_vec).transpose() {
            Ok(json) => json,
            Err(error) => return Reply::NotSent(format!("encoding the body: {error}")),
        };
        let mut request =
            match client::request(method, &self.target.host, path, Some(authorization), json) {
                Ok(request) => request,
                Err(error) => return Reply::NotSent(format!("{error:#}")),
            };
        if let Some(key) = idempotency_key {
            match HeaderValue::from_str(key) {
                Ok(value) => {
                    request.headers_mut().insert("idempotency-key", value);
                }
                Err(_) => return Reply::NotSent("a bad idempotency key".to_owned()),
            }
        }
        if self.conn.as_ref().is_none_or(Conn::is_closed) {
            self.conn = None;
            match Conn::connect(self.target.addr).await {
                Ok(conn) => self.conn = Some(conn),
                Err(error) => return Reply::NotSent(error.to_string()),
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return Reply::NotSent("no connection".to_owned());
        };
        match conn.send(request, REQUEST_TIMEOUT, REPLY_BYTES_MAX).await {
            Ok((status, body)) if status.is_success() => Reply::Success(status, body),
            Ok((status, body)) if status.is_client_error() => Reply::Refused(status, body),
            Ok((status, body)) => {
                Reply::Unknown(format!("{status}: {}", client::excerpt(&body, 200)))
            }
            Err(error) => {
                self.conn = None;
                Reply::Unknown(error.to_string())
            }
        }
    }
}
