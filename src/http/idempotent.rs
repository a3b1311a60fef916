//! `Idempotency-Key` on the routes that move money: a retry with the same key and body
//! answers the first response instead of running again. The answers are kept in
//! `App::idempotency`, scoped to the caller (a vendor's keys cover its routes; a member's are
//! scoped per route); the accounts keep the durable half (see `domain::kept` and the
//! idempotency records of purchases), which answers a retry after a restart.

use bytes::Bytes;
use hyper::StatusCode;
use sha2::{Digest, Sha256};

use super::app::{App, IdempotencyCheck, KeyScope, Replay};
use super::dto;
use super::error::ApiError;
use super::router::{JSON, PROBLEM_JSON, respond};
use super::routes::{Call, Outcome};
use crate::metrics as names;

/// The response header that marks an answer as the replay of a kept first answer.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Runs `work` on the body `parse` made of the request, under the request's
/// `Idempotency-Key`, if it has one: a retry with the same key and body answers the first
/// response (its status, body and `Content-Type`, marked `Idempotent-Replayed: true`); a
/// dropped handler releases the key.
///
/// The body is parsed before the key is claimed: a body that does not parse is answered
/// without using up one of the vendor's keys, so junk cannot fill its quota (and answering it
/// again costs what remembering it would).
pub async fn idempotent<R, F>(
    app: &App,
    call: &Call<'_>,
    scope: impl Into<KeyScope>,
    parse: impl FnOnce(&[u8]) -> Result<R, ApiError>,
    work: impl FnOnce(R, Option<(String, [u8; 32])>) -> F,
) -> Outcome
where
    F: std::future::Future<Output = Result<(StatusCode, Bytes), ApiError>>,
{
    let key = dto::idempotency_key(call.headers)?;
    let request = parse(&call.body)?;
    let Some(key) = key else {
        let (status, body) = work(request, None).await?;
        return Ok(respond(status, JSON, body));
    };
    let digest: [u8; 32] = Sha256::digest(&call.body).into();
    let claim = match app.idempotency.begin(scope, &key, digest, app.now())? {
        IdempotencyCheck::Replay(first) => {
            names::hot().replayed.increment(1);
            let mut response = respond(first.status, first.content_type, first.body);
            response.headers_mut().insert(
                IDEMPOTENT_REPLAYED,
                hyper::header::HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
        IdempotencyCheck::Proceed(claim) => claim,
    };
    match work(request, Some((key, digest))).await {
        Ok((status, body)) => {
            claim.complete(Replay {
                status,
                content_type: JSON,
                body: body.clone(),
            });
            Ok(respond(status, JSON, body))
        }
        Err(error) => {
            claim.complete(Replay {
                status: error.describe().0,
                content_type: PROBLEM_JSON,
                body: error.body(),
            });
            Err(error)
        }
    }
}
