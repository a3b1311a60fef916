//! Routes for operators and tools: health, readiness, metrics, problem explanations and the
//! OpenAPI document. They are served before the server is ready.

use bytes::Bytes;
use hyper::StatusCode;

use super::app::App;
use super::dto::Status;
use super::error::{self, ApiError};
use super::openapi;
use super::router::{json, respond};
use super::routes::{Call, Outcome};

/// `GET /healthz`: the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operators",
    responses((status = 200, description = "The process is up", body = Status)))]
pub async fn healthz(_app: &App, _call: Call<'_>) -> Outcome {
    Ok(json(StatusCode::OK, &Status { status: "ok" }))
}

/// `GET /readyz`: recovery finished and the journal takes writes.
#[utoipa::path(get, path = "/readyz", tag = "operators",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "Recovering, stopping, or the journal failed", body = error::Problem)))]
pub async fn readyz(app: &App, _call: Call<'_>) -> Outcome {
    if !app.is_ready() {
        return Err(ApiError::Unavailable);
    }
    Ok(json(StatusCode::OK, &Status { status: "ready" }))
}

/// `GET /metrics`: Prometheus text, on the API port unless `metrics.listen` moves it to its
/// own address; behind a bearer token when `metrics.token` is set.
#[utoipa::path(get, path = "/metrics", tag = "operators",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
        (status = 401, description = "metrics.token is set and was not presented", body = error::Problem),
        (status = 404, description = "Served on metrics.listen instead", body = error::Problem)))]
pub async fn metrics(app: &App, call: Call<'_>) -> Outcome {
    if app.config.metrics.listen.is_some() {
        return Err(ApiError::RouteNotFound);
    }
    scrape(app, call.headers)
}

/// The metrics, to a caller `App::metrics_reader` lets read them.
///
/// # Errors
/// `Unauthenticated`.
pub fn scrape(app: &App, headers: &hyper::HeaderMap) -> Outcome {
    app.metrics_reader(headers)?;
    Ok(respond(
        StatusCode::OK,
        "text/plain; version=0.0.4",
        Bytes::from(app.metrics.render()),
    ))
}

/// `GET /problems/{code}`: what a problem code means.
#[utoipa::path(get, path = "/problems/{code}", tag = "operators",
    params(("code" = String, Path, description = "A problem code, such as insufficient_funds")),
    responses(
        (status = 200, description = "The code's explanation", content_type = "text/plain"),
        (status = 404, description = "No such code", body = error::Problem)))]
pub async fn problem(_app: &App, call: Call<'_>) -> Outcome {
    let code = call.params.get("code")?;
    let text = error::explain(code).ok_or(ApiError::NotFound)?;
    Ok(respond(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{code}: {text}\n")),
    ))
}

/// `GET /openapi.json`: this API, described from the route table.
#[utoipa::path(get, path = "/openapi.json", tag = "operators",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi(_app: &App, _call: Call<'_>) -> Outcome {
    Ok(respond(
        StatusCode::OK,
        "application/json",
        openapi::document_json(),
    ))
}
