//! JSON in and out, and RFC 3339 times.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::time::Timestamp;

/// Parses a request body.
///
/// # Errors
/// `MalformedBody` with serde's message (which names the field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::MalformedBody(error.to_string()))
}

/// Serializes a response body.
#[must_use]
pub fn to_json<T: Serialize>(value: &T) -> Bytes {
    // Our response types serialize infallibly (no maps with non-string keys).
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// An instant as RFC 3339 UTC with millisecond precision.
#[must_use]
pub fn rfc3339(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.0)
        .map_or_else(|_| String::from("invalid"), |t| format!("{t:.3}"))
}
