//! The vendor's side of farthing's API: create an offer, check an access token, register.
//!
//! A thin JSON-over-HTTP client on hyper-util's pooled client, so no call blocks a runtime
//! thread (`ureq` on the blocking pool was the rejected alternative: one thread per call in
//! flight). Every call has a deadline and reads at most `ANSWER_BYTES_MAX` of the answer.
//! Depends on nothing else in the crate. Secrets (API and admin keys, access tokens) are sent,
//! never logged or formatted by `Debug`.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::{Deserialize, Serialize};

/// Longest wait for one call to farthing, connect to last byte.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the TCP connect alone.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle pooled connections are closed after this long.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read from farthing; its answers are a few hundred bytes.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Why a call to farthing did not give the answer hoped for.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The farthing URL, joined with the path, is not a valid `http://` URI.
    #[error("invalid farthing URL: {0}")]
    InvalidUrl(String),
    /// No connection, or the connection broke before a full answer.
    #[error("farthing unreachable: {0}")]
    Unreachable(String),
    /// No complete answer within `CALL_TIMEOUT`.
    #[error("farthing did not answer within {}s", CALL_TIMEOUT.as_secs())]
    Timeout,
    /// Farthing refused the call with a problem (`code` from its problem+json, or
    /// `http_<status>` when the body carried none).
    #[error("farthing refused the call: {status} {code}")]
    Rejected {
        /// HTTP status of the answer.
        status: u16,
        /// Stable problem code, e.g. `content_domain_unknown`.
        code: String,
    },
    /// A success status with a body that is not the documented JSON.
    #[error("unexpected answer from farthing: {0}")]
    Malformed(String),
}

impl Error {
    /// A stable code for pages and logs: farthing's own code for a rejection, ours otherwise.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Error::InvalidUrl(_) => "farthing_url_invalid",
            Error::Unreachable(_) => "farthing_unreachable",
            Error::Timeout => "farthing_timeout",
            Error::Rejected { code, .. } => code,
            Error::Malformed(_) => "farthing_answer_malformed",
        }
    }
}

/// `POST /v1/offers` body, as the contract names the fields.
#[derive(Debug, Serialize)]
pub struct OfferRequest<'a> {
    /// Offer title shown in the buy window.
    pub title: &'a str,
    /// Decimal price string.
    pub price: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Where the browser goes with the access token.
    pub content_url: &'a str,
    /// Where Cancel in the buy window goes.
    pub cancel_url: &'a str,
    /// Line under the title in the buy window.
    pub short_description: &'a str,
    /// The vendor's own id for the content (the slug).
    pub vendor_content_id: &'a str,
    /// Form post (`true`) or redirect (`false`) delivery of the token.
    pub is_post: bool,
}

/// `POST /v1/offers` answer (201).
#[derive(Debug, Deserialize)]
pub struct Offer {
    /// `ofr_<16 hex>`.
    pub offer_id: String,
    /// The buy window to send the browser to.
    pub buy_url: String,
    /// RFC 3339 expiry of the offer.
    pub expires_at: String,
}

/// `POST /v1/access` body.
#[derive(Serialize)]
struct AccessRequest<'a> {
    /// The token the browser brought; never logged.
    access_token: &'a str,
    /// The URL it was delivered to.
    content_url: &'a str,
}

/// `POST /admin/v1/vendors` body.
#[derive(Serialize)]
struct VendorRequest<'a> {
    /// Display name in the buy window.
    name: &'a str,
    /// Currency it sells in.
    currency: &'a str,
    /// Hosts of its content URLs.
    content_domains: Vec<&'a str>,
    /// Fee, parts per million.
    fee_ppm: u32,
}

/// `POST /admin/v1/vendors` answer.
#[derive(Deserialize)]
struct Registered {
    /// The new vendor's API key.
    api_key: String,
}

/// Problem+json, as far as the vendor cares.
#[derive(Deserialize)]
struct Problem {
    /// Stable code.
    code: String,
}

/// A pooled HTTP client bound to one farthing and one vendor API key.
#[derive(Clone)]
pub struct Farthing {
    /// Pooled HTTP/1.1 client.
    client: Client<HttpConnector, Full<Bytes>>,
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`.
    base: String,
    /// `Bearer` value; kept out of `Debug`.
    api_key: String,
}

impl fmt::Debug for Farthing {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Farthing")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Farthing {
    /// A client for `base_url` (plain `http://`) using `api_key`. Must run inside a tokio runtime
    /// when calls are made.
    #[must_use]
    pub fn new(base_url: &str, api_key: &str) -> Self {
        Self {
            client: new_client(),
            base: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }

    /// Creates an offer.
    ///
    /// # Errors
    /// Transport failures, a timeout, farthing's problem code, or an unexpected answer.
    pub async fn create_offer(&self, offer: &OfferRequest<'_>) -> Result<Offer, Error> {
        let (status, body) =
            call(&self.client, &self.base, "/v1/offers", &self.api_key, offer).await?;
        if status != StatusCode::CREATED {
            return Err(rejected(status, &body));
        }
        let offer: Offer =
            serde_json::from_slice(&body).map_err(|e| Error::Malformed(e.to_string()))?;
        let safe = (offer.buy_url.starts_with("http://") || offer.buy_url.starts_with("https://"))
            && HeaderValue::from_str(&offer.buy_url).is_ok();
        if !safe {
            return Err(Error::Malformed("buy_url is not an http(s) URL".to_owned()));
        }
        Ok(offer)
    }

    /// Checks an access token for `content_url`: `Ok(true)` when farthing answered 200,
    /// `Ok(false)` for any other answer (a refusal, whatever its reason).
    ///
    /// # Errors
    /// Only when no answer came (transport failure or timeout): that is not a refusal.
    pub async fn check_access(&self, access_token: &str, content_url: &str) -> Result<bool, Error> {
        let request = AccessRequest {
            access_token,
            content_url,
        };
        let (status, _) = call(
            &self.client,
            &self.base,
            "/v1/access",
            &self.api_key,
            &request,
        )
        .await?;
        Ok(status == StatusCode::OK)
    }
}

/// Registers a vendor at farthing (`POST /admin/v1/vendors`, currency USD) and returns its API
/// key. `domains` are the hosts its content URLs may use.
///
/// # Errors
/// Transport failures, a timeout, farthing's problem code (e.g. a wrong admin key), or an
/// answer without an API key.
pub async fn register_vendor(
    farthing_url: &str,
    admin_key: &str,
    name: &str,
    domains: &[impl AsRef<str>],
) -> Result<String, Error> {
    /// The fee farthing keeps from each sale: 5 %, as in farthing's README example.
    const FEE_PPM: u32 = 50_000;
    let request = VendorRequest {
        name,
        currency: "USD",
        content_domains: domains.iter().map(AsRef::as_ref).collect(),
        fee_ppm: FEE_PPM,
    };
    let base = farthing_url.trim_end_matches('/');
    let (status, body) = call(
        &new_client(),
        base,
        "/admin/v1/vendors",
        admin_key.trim(),
        &request,
    )
    .await?;
    if status != StatusCode::CREATED {
        return Err(rejected(status, &body));
    }
    let registered: Registered =
        serde_json::from_slice(&body).map_err(|e| Error::Malformed(e.to_string()))?;
    Ok(registered.api_key)
}

/// A pooled client with connect and idle timeouts.
fn new_client() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector)
}

/// Posts `body` as JSON to `base + path` with a bearer secret; returns status and body.
async fn call(
    client: &Client<HttpConnector, Full<Bytes>>,
    base: &str,
    path: &str,
    bearer: &str,
    body: &impl Serialize,
) -> Result<(StatusCode, Bytes), Error> {
    let uri: Uri = format!("{base}{path}")
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| Error::InvalidUrl(e.to_string()))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(Error::InvalidUrl(format!(
            "{base}: only http://host[:port] is supported"
        )));
    }
    let json = serde_json::to_vec(body).map_err(|e| Error::Malformed(e.to_string()))?;
    // A bad secret (say, with a newline from a key file) must fail here, not panic.
    let authorization = HeaderValue::from_str(&format!("Bearer {bearer}"))
        .map_err(|_| Error::InvalidUrl("the key is not a valid header value".to_owned()))?;
    let mut request = Request::new(Full::new(Bytes::from(json)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(AUTHORIZATION, authorization);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), ANSWER_BYTES_MAX)
            .collect()
            .await
            .map_err(|e| Error::Unreachable(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(CALL_TIMEOUT, exchange)
        .await
        .map_err(|_| Error::Timeout)?
}

/// The rejection for a non-success answer: farthing's problem code, or `http_<status>`.
fn rejected(status: StatusCode, body: &[u8]) -> Error {
    let code = serde_json::from_slice::<Problem>(body)
        .ok()
        .map(|problem| problem.code)
        .filter(|code| {
            !code.is_empty()
                && code.len() <= 64
                && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .unwrap_or_else(|| format!("http_{}", status.as_u16()));
    Error::Rejected {
        status: status.as_u16(),
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_carries_the_problem_code() {
        let body = br#"{"type":"about:blank","code":"content_domain_unknown","status":400}"#;
        let error = rejected(StatusCode::BAD_REQUEST, body);
        assert_eq!(error.code(), "content_domain_unknown");
    }

    #[test]
    fn a_rejection_without_a_usable_code_names_the_status() {
        assert_eq!(
            rejected(StatusCode::BAD_GATEWAY, b"oops").code(),
            "http_502"
        );
        let odd = br#"{"code":"<script>"}"#;
        assert_eq!(rejected(StatusCode::BAD_REQUEST, odd).code(), "http_400");
    }

    #[test]
    fn debug_hides_the_api_key() {
        let farthing = Farthing {
            client: new_client(),
            base: "http://127.0.0.1:1".to_owned(),
            api_key: "sk_secret".to_owned(),
        };
        let shown = format!("{farthing:?}");
        assert!(shown.contains("127.0.0.1"));
        assert!(!shown.contains("sk_secret"));
    }

    #[tokio::test]
    async fn only_plain_http_urls_are_called() {
        let farthing = Farthing::new("https://farthing.example", "k");
        let error = farthing.check_access("t", "http://x/").await.unwrap_err();
        assert_eq!(error.code(), "farthing_url_invalid");
        let farthing = Farthing::new("not a url", "k");
        let error = farthing.check_access("t", "http://x/").await.unwrap_err();
        assert_eq!(error.code(), "farthing_url_invalid");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let farthing = Farthing::new(&format!("http://{address}"), "k");
        let error = farthing.check_access("t", "http://x/").await.unwrap_err();
        assert_eq!(error.code(), "farthing_unreachable");
    }
}
