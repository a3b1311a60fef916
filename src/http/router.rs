//! The router: finds a request's route in the table, refuses a known path with the wrong
//! method (`405` with `Allow`), authenticates the caller the route asks for, reads the body
//! within the route's limit, calls the handler, and counts every response by route template
//! and status. Every failure is a problem response (a page on the buy window's paths, and on
//! the back office's, the vendor office's and the account pages' for a browser).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};

use super::app::App;
use super::buy_window;
use super::client::ClientAddr;
use super::error::ApiError;
use super::office;
use super::routes::{self, BodyLimit, Call, Caller, Matched, Principal, Readiness, Route};
use crate::domain::reject::Reject;
use crate::metrics as names;
use crate::web::account::AccountOffice;
use crate::web::back_office::BackOffice;
use crate::web::vendor_office::VendorOffice;

/// Answers one request from `peer`. Never panics on input; every failure is a problem
/// response.
pub async fn handle(app: &App, request: Request<Incoming>, peer: IpAddr) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let body_pending = !body.is_end_stream();
    let (label, mut response) = match routes::find(&parts.method, path) {
        Matched::Route(route, index, params) => {
            let mut body_read = false;
            let client = app.trusted_proxies.client(peer, &parts.headers);
            let outcome = serve(app, client, route, params, &parts, body, &mut body_read).await;
            let mut response = match outcome {
                Ok(response) => response,
                Err(error) => refusal(app, route.path, &parts, &error),
            };
            if body_pending && !body_read {
                close_connection(&mut response);
            }
            if let Some(handles) = route_handles().get(index) {
                handles.record(
                    status_index(response.status()),
                    started.elapsed().as_secs_f64(),
                );
            }
            access(&parts, peer, route.path, response.status(), started);
            return response;
        }
        Matched::OtherMethods(methods) => {
            let mut response = refusal(app, path, &parts, &ApiError::MethodNotAllowed);
            let allow = methods
                .iter()
                .map(hyper::Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(ALLOW, value);
            }
            ("method_not_allowed", response)
        }
        Matched::None => {
            let response = refusal(app, path, &parts, &ApiError::RouteNotFound);
            ("not_found", response)
        }
    };
    if body_pending {
        close_connection(&mut response);
    }
    record(label, response.status(), started);
    access(&parts, peer, label, response.status(), started);
    response
}

/// Writes the request's access line: method, route template (never the raw path, which can
/// hold ids), status, duration and the peer's address; never a header, token or body. The fields
/// are computed only when the line is kept (`tracing` checks the level first), so with the
/// access log off this costs one level check.
fn access(
    parts: &hyper::http::request::Parts,
    peer: IpAddr,
    route: &'static str,
    status: StatusCode,
    started: Instant,
) {
    tracing::info!(
        target: crate::logging::ACCESS_TARGET,
        method = %parts.method,
        route,
        status = status.as_u16(),
        duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        peer = %AccessPeer(peer),
    );
}

/// The client address of an access line. An IPv4 address is written octet by octet: std's
/// `Display` for it formats into a buffer first (to honour a width) and cost about 1,900
/// instructions a line (callgrind, README). IPv6 as std writes it.
struct AccessPeer(IpAddr);

impl std::fmt::Display for AccessPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(address) => {
                let [a, b, c, d] = address.octets();
                let mut digits = itoa::Buffer::new();
                f.write_str(digits.format(a))?;
                for octet in [b, c, d] {
                    f.write_str(".")?;
                    f.write_str(digits.format(octet))?;
                }
                Ok(())
            }
            IpAddr::V6(address) => address.fmt(f),
        }
    }
}

/// Marks a response sent before the request's body was read: hyper does not reuse a
/// connection with unread body bytes on it, and a client told so opens a new one instead of
/// sending its next request into a connection the server is closing.
/// The answer to a refused request on `path`: the page of the buy window or of an office for
/// a path of theirs (each decides between a page and problem+json), problem+json elsewhere.
fn refusal(
    app: &App,
    path: &str,
    parts: &hyper::http::request::Parts,
    error: &ApiError,
) -> Response<Full<Bytes>> {
    let (headers, query) = (&parts.headers, parts.uri.query());
    if buy_window::owns(path) {
        buy_window::error_page(app, headers, error)
    } else if office::owns::<BackOffice>(path) {
        office::error_response::<BackOffice>(app, headers, query, error)
    } else if office::owns::<VendorOffice>(path) {
        office::error_response::<VendorOffice>(app, headers, query, error)
    } else if office::owns::<AccountOffice>(path) {
        office::error_response::<AccountOffice>(app, headers, query, error)
    } else {
        problem(error)
    }
}

fn close_connection(response: &mut Response<Full<Bytes>>) {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}

async fn serve<'a>(
    app: &'a App,
    client: ClientAddr,
    route: &'static Route,
    params: routes::Params<'a>,
    parts: &'a hyper::http::request::Parts,
    body: Incoming,
    body_read: &mut bool,
) -> routes::Outcome {
    let headers = &parts.headers;
    if route.readiness == Readiness::WhenReady && !app.is_ready() {
        return Err(ApiError::Unavailable);
    }
    let principal = match route.caller {
        Caller::None => Principal::None,
        // The account pages also take the member session cookie (their forms carry CSRF
        // tokens); the JSON routes take a bearer only.
        Caller::Member | Caller::Holder => {
            let member = if office::owns::<AccountOffice>(route.path) {
                app.member_page(headers)?
            } else {
                app.member(headers)?
            };
            if route.caller == Caller::Holder && !member.holder {
                return Err(ApiError::Reject(Reject::HolderOnly));
            }
            Principal::Member(member)
        }
        // The vendor office's pages also take a vendor admin's cookie (their forms carry CSRF
        // tokens), as the back office's do an operator's.
        Caller::Vendor(_) if office::owns::<VendorOffice>(route.path) => {
            app.vendor_page(headers)?
        }
        // A vendor's API key holds every vendor function; vendor admins come with their
        // own sessions.
        Caller::Vendor(_) => app.vendor_principal(headers)?,
        // The back office's pages also take an operator's cookie (their forms carry CSRF
        // tokens); the JSON routes take a bearer only.
        Caller::Admin(_) if office::owns::<BackOffice>(route.path) => {
            Principal::Admin(app.admin_page(headers)?)
        }
        Caller::Admin(_) => Principal::Admin(app.admin(headers)?),
    };
    let limit = match route.body {
        BodyLimit::Request => app.config.server.request_body_bytes_max,
        BodyLimit::Batch => app.config.server.batch_body_bytes_max,
    };
    let body = read_body(app, headers, body, limit).await?;
    *body_read = true;
    let call = Call {
        client,
        principal,
        params,
        headers,
        query: parts.uri.query(),
        body,
    };
    match (route.caller, &call.principal) {
        (Caller::Admin(function), Principal::Admin(staff)) => {
            let staff = *staff;
            audited(app, route, function, staff, parts, call).await
        }
        // A vendor's people are audited like operators; the vendor's own key (its servers'
        // purchases and checks, the hot path) is not.
        (Caller::Vendor(function), Principal::VendorAdmin(_, admin)) => {
            let staff = crate::domain::security::Staff::VendorAdmin(*admin);
            audited(app, route, function, staff, parts, call).await
        }
        _ => (route.handler)(app, call).await,
    }
}

/// Runs a back-office call between its two audit entries: the call is recorded before the
/// function is checked and run (a refusal is recorded too), and its outcome after; the reply
/// waits for the outcome to be durable. A call that cannot be recorded does not run.
async fn audited<'a>(
    app: &'a App,
    route: &'static Route,
    function: &'static str,
    staff: crate::domain::security::Staff,
    parts: &'a hyper::http::request::Parts,
    call: Call<'a>,
) -> routes::Outcome {
    let entry = super::audit_api::entry(staff, function, parts, &call.body);
    let position = app.registry.audit_call(entry).await?;
    let outcome = match app.check_function(staff, function) {
        // A page's form cannot be held and run later (its CSRF token is the browser's), so a
        // four-eyes function is refused on the pages and held through the API only.
        Ok(())
            if app
                .config
                .admin
                .four_eyes_functions
                .iter()
                .any(|f| f == function) =>
        {
            if office::owns::<BackOffice>(route.path) || office::owns::<VendorOffice>(route.path) {
                Err(ApiError::FourEyesThroughApi)
            } else {
                super::approvals_api::hold(app, function, parts, &call).await
            }
        }
        Ok(()) => (route.handler)(app, call).await,
        Err(refused) => Err(refused),
    };
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.describe().0,
    };
    if let Err(error) = app.registry.audit_answer(position, status.as_u16()).await {
        // The call ran and is recorded; only its outcome could not be: answered as it ended.
        metrics::counter!(names::AUDIT_FAILURES).increment(1);
        tracing::error!(%error, position, "an audit outcome could not be recorded");
    }
    outcome
}

/// The metric handles of every route, by index in `ROUTES`.
fn route_handles() -> &'static [names::RouteHandles] {
    static HANDLES: std::sync::OnceLock<Vec<names::RouteHandles>> = std::sync::OnceLock::new();
    HANDLES.get_or_init(|| {
        let labels: Vec<&'static str> = routes::ROUTES.iter().map(|route| route.path).collect();
        names::route_handles(&labels)
    })
}

/// Counts a response of a request that matched no route.
fn record(route: &'static str, status: StatusCode, started: Instant) {
    let status = status_label(status);
    metrics::counter!(names::HTTP_REQUESTS, "route" => route, "status" => status).increment(1);
    metrics::histogram!(names::HTTP_LATENCY, "route" => route)
        .record(started.elapsed().as_secs_f64());
}

/// The index of a status in `STATUS_LABELS`.
fn status_index(status: StatusCode) -> usize {
    let label = status_label(status);
    names::STATUS_LABELS
        .iter()
        .position(|known| *known == label)
        .unwrap_or(names::STATUS_LABELS.len().saturating_sub(1))
}

async fn read_body(
    app: &App,
    headers: &hyper::HeaderMap,
    body: Incoming,
    max: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(ApiError::BodyTooLarge);
    }
    // A body that stops short of its length holds the connection and the handler's memory;
    // it is the client's fault, not a malformed body, so it gets 408 and (because the body
    // was not read to its end) `Connection: close`.
    let timeout = Duration::from_millis(app.config.server.request_read_timeout_ms);
    let collected = tokio::time::timeout(timeout, Limited::new(body, max).collect())
        .await
        .map_err(|_| ApiError::RequestTimeout)?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(ApiError::BodyTooLarge),
        Err(_) => Err(ApiError::MalformedBody(
            "the body could not be read".to_owned(),
        )),
    }
}

/// The status as a static metric label: formatting it would allocate on every request.
fn status_label(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "200",
        201 => "201",
        303 => "303",
        400 => "400",
        401 => "401",
        402 => "402",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        410 => "410",
        413 => "413",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        _ => "other",
    }
}

/// The content type of JSON answers.
pub const JSON: &str = "application/json";
/// The content type of problem answers (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A response with `body` of `content_type`.
#[must_use]
pub fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response.
#[must_use]
pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Full<Bytes>> {
    respond(status, JSON, super::json::to_json(value))
}

/// A problem+json response, with `Retry-After` when retrying makes sense.
#[must_use]
pub fn problem(error: &ApiError) -> Response<Full<Bytes>> {
    let (status, ..) = error.describe();
    let mut response = respond(status, PROBLEM_JSON, error.body());
    if let Some(seconds) = error.retry_after_s() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reject::Reject;

    #[test]
    fn an_access_line_s_peer_reads_as_std_writes_the_address() {
        let addresses: [IpAddr; 7] = [
            [127, 0, 0, 1].into(),
            [0, 0, 0, 0].into(),
            [255, 255, 255, 255].into(),
            [10, 200, 3, 45].into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
            "2001:db8::8a2e:370:7334".parse().expect("an address"),
            "::ffff:192.0.2.1".parse().expect("an address"),
        ];
        for address in addresses {
            assert_eq!(AccessPeer(address).to_string(), address.to_string());
        }
    }

    #[test]
    fn every_status_the_api_answers_has_its_own_label() {
        let errors = Reject::ALL.iter().map(|r| ApiError::Reject(*r)).chain([
            ApiError::MalformedBody(String::new()),
            ApiError::Unauthenticated,
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::IdempotencyInFlight,
            ApiError::BodyTooLarge,
            ApiError::Overloaded,
            ApiError::CsrfFailed,
            ApiError::PaymentDeclined {
                decline_code: String::new(),
            },
            ApiError::NoPaymentMethod,
            ApiError::TotalsOverflow,
            ApiError::RequestTimeout,
            ApiError::TooManyConnections,
            ApiError::TooManyAttempts { retry_after_s: 1 },
            ApiError::IdempotencyQuotaExceeded,
            ApiError::FunctionNotGranted("members.read"),
            ApiError::FourEyesThroughApi,
        ]);
        for error in errors {
            let (status, code, _) = error.describe();
            assert_eq!(status_label(status), status.as_str(), "{code}");
        }
        assert_eq!(status_label(StatusCode::OK), "200");
        assert_eq!(status_label(StatusCode::CREATED), "201");
        assert_eq!(status_label(StatusCode::IM_A_TEAPOT), "other");
    }
}
