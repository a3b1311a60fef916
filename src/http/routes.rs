//! Routing: method and path to a handler, the body read with its size bound, and every
//! response (success or problem) counted by route template and status.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};

use super::app::App;
use super::error::{self, ApiError};
use super::{admin_api, buy_window, member_api, offers_api, vendor_api};
use crate::metrics as names;

/// A handler's result: status and JSON body.
type Handled = Result<(StatusCode, Bytes), ApiError>;

fn ok(body: Result<Bytes, ApiError>) -> Handled {
    body.map(|bytes| (StatusCode::OK, bytes))
}

fn created(body: Result<Bytes, ApiError>) -> Handled {
    body.map(|bytes| (StatusCode::CREATED, bytes))
}

/// Answers one request. Never panics on input; every failure is a problem response.
pub async fn handle(app: &App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if buy_window::owns(&segments) {
        let body = read_body(app, &parts.headers, body).await;
        let (route, response) = if app.is_ready() {
            buy_window::handle(
                app,
                &method,
                &segments,
                parts.uri.query(),
                &parts.headers,
                body,
            )
            .await
        } else {
            buy_window::handle(
                app,
                &method,
                &[],
                None,
                &parts.headers,
                Err(ApiError::Unavailable),
            )
            .await
        };
        record(route, response.status(), started);
        return response;
    }
    let (route, result) = match read_body(app, &parts.headers, body).await {
        Ok(body) => dispatch(app, &method, &segments, &parts.headers, body).await,
        Err(error) => ("body", Err(error)),
    };
    let response = match result {
        Ok((status, body)) if route == "/metrics" => {
            respond(status, "text/plain; version=0.0.4", body, None)
        }
        Ok((status, body)) if route == "/problems/{code}" => {
            respond(status, "text/plain; charset=utf-8", body, None)
        }
        Ok((status, body)) => respond(status, "application/json", body, None),
        Err(error) => {
            let (status, ..) = error.describe();
            respond(
                status,
                "application/problem+json",
                error.body(),
                error.retry_after_s(),
            )
        }
    };
    record(route, response.status(), started);
    response
}

fn record(route: &'static str, status: StatusCode, started: Instant) {
    let status = status_label(status);
    metrics::counter!(names::HTTP_REQUESTS, "route" => route, "status" => status).increment(1);
    metrics::histogram!(names::HTTP_LATENCY, "route" => route)
        .record(started.elapsed().as_secs_f64());
}

async fn read_body(
    app: &App,
    headers: &hyper::HeaderMap,
    body: Incoming,
) -> Result<Bytes, ApiError> {
    let max = app.config.server.request_body_bytes_max;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(ApiError::BodyTooLarge);
    }
    let timeout = Duration::from_millis(app.config.server.request_read_timeout_ms);
    let collected = tokio::time::timeout(timeout, Limited::new(body, max).collect())
        .await
        .map_err(|_| ApiError::MalformedBody("timed out reading the body".to_owned()))?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(ApiError::BodyTooLarge),
        Err(_) => Err(ApiError::MalformedBody(
            "the body could not be read".to_owned(),
        )),
    }
}

async fn dispatch(
    app: &App,
    method: &Method,
    segments: &[&str],
    headers: &hyper::HeaderMap,
    body: Bytes,
) -> (&'static str, Handled) {
    let get = method == Method::GET;
    let post = method == Method::POST;
    let put = method == Method::PUT;
    let delete = method == Method::DELETE;
    let writes_blocked = !app.is_ready();
    let not_ready = || Err(ApiError::Unavailable);
    match segments {
        ["healthz"] if get => (
            "/healthz",
            Ok((StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))),
        ),
        ["readyz"] if get => (
            "/readyz",
            if writes_blocked {
                not_ready()
            } else {
                Ok((
                    StatusCode::OK,
                    Bytes::from_static(b"{\"status\":\"ready\"}"),
                ))
            },
        ),
        ["metrics"] if get => (
            "/metrics",
            Ok((StatusCode::OK, Bytes::from(app.metrics.render()))),
        ),
        ["problems", code] if get => (
            "/problems/{code}",
            error::explain(code)
                .map(|text| (StatusCode::OK, Bytes::from(format!("{code}: {text}\n"))))
                .ok_or(ApiError::NotFound),
        ),
        _ if writes_blocked => ("unavailable", not_ready()),
        ["v1", "authorize"] if post => (
            "/v1/authorize",
            vendor_api::authorize(app, headers, body).await,
        ),
        ["v1", "offers"] if post => (
            "/v1/offers",
            created(offers_api::post_offer(app, headers, body).await),
        ),
        ["v1", "access"] if post => (
            "/v1/access",
            ok(vendor_api::access(app, headers, body).await),
        ),
        ["v1", "authorizations", id] if get => (
            "/v1/authorizations/{id}",
            ok(vendor_api::authorization(app, headers, id).await),
        ),
        ["v1", "vendors", "me", "summary"] if get => (
            "/v1/vendors/me/summary",
            ok(vendor_api::summary(app, headers).await),
        ),
        ["v1", "members"] if post => (
            "/v1/members",
            created(member_api::register(app, body).await),
        ),
        ["v1", "sessions"] if post => (
            "/v1/sessions",
            created(member_api::sign_in(app, body).await),
        ),
        ["v1", "sessions", "current"] if delete => (
            "/v1/sessions/current",
            ok(member_api::sign_out(app, headers).await),
        ),
        ["v1", "buyer-tokens"] if post => (
            "/v1/buyer-tokens",
            created(member_api::buyer_token(app, headers, body).await),
        ),
        ["v1", "members", "me", "limits"] if put => (
            "/v1/members/me/limits",
            ok(member_api::set_limits(app, headers, body).await),
        ),
        ["v1", "members", "me", "payment-method"] if put => (
            "/v1/members/me/payment-method",
            ok(member_api::payment_method(app, headers, body).await),
        ),
        ["v1", "members", "me", "freeze"] if post => (
            "/v1/members/me/freeze",
            ok(member_api::freeze(app, headers, true).await),
        ),
        ["v1", "members", "me", "unfreeze"] if post => (
            "/v1/members/me/unfreeze",
            ok(member_api::freeze(app, headers, false).await),
        ),
        ["v1", "members", "me"] if get => {
            ("/v1/members/me", ok(member_api::me(app, headers).await))
        }
        ["admin", "v1", "vendors"] if post => (
            "/admin/v1/vendors",
            created(admin_api::register_vendor(app, headers, body).await),
        ),
        ["admin", "v1", "members", "bulk"] if post => (
            "/admin/v1/members/bulk",
            created(admin_api::bulk_members(app, headers, body).await),
        ),
        ["admin", "v1", "members", id, "deposits"] if post => (
            "/admin/v1/members/{id}/deposits",
            created(admin_api::deposit(app, headers, id, body).await),
        ),
        ["admin", "v1", "members", id, "credit-line"] if put => (
            "/admin/v1/members/{id}/credit-line",
            ok(admin_api::credit_line(app, headers, id, body).await),
        ),
        ["admin", "v1", "members", id] if get => (
            "/admin/v1/members/{id}",
            ok(admin_api::member(app, headers, id).await),
        ),
        ["admin", "v1", "authorizations", id, "reversal"] if post => (
            "/admin/v1/authorizations/{id}/reversal",
            ok(admin_api::reverse(app, headers, id, body).await),
        ),
        ["admin", "v1", "totals"] if get => (
            "/admin/v1/totals",
            ok(admin_api::totals(app, headers).await),
        ),
        _ if known_path(segments) => ("method_not_allowed", Err(ApiError::MethodNotAllowed)),
        _ => ("not_found", Err(ApiError::RouteNotFound)),
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
        409 => "409",
        410 => "410",
        413 => "413",
        429 => "429",
        503 => "503",
        _ => "other",
    }
}

fn known_path(segments: &[&str]) -> bool {
    matches!(
        segments,
        ["healthz" | "readyz" | "metrics"]
            | [
                "v1",
                "authorize" | "access" | "offers" | "members" | "sessions" | "buyer-tokens"
            ]
            | ["v1", "authorizations", _]
            | ["v1", "sessions", "current"]
            | ["v1", "members", "me"]
            | [
                "v1",
                "members",
                "me",
                "limits" | "freeze" | "unfreeze" | "payment-method"
            ]
            | ["v1", "vendors", "me", "summary"]
            | ["admin", "v1", "vendors" | "totals"]
            | ["admin", "v1", "members", _]
            | ["admin", "v1", "members", _, "deposits" | "credit-line"]
            | ["admin", "v1", "authorizations", _, "reversal"]
    )
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    retry_after_s: Option<u32>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(seconds) = retry_after_s {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reject::Reject;

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
            ApiError::PaymentDeclined,
            ApiError::NoPaymentMethod,
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
