//! Four eyes over HTTP ([0261]): a call of a function listed in `admin.four_eyes_functions`
//! is held (`202 {approval_id}`) instead of run; another person holding the function lists
//! the held calls and approves one, which runs it then, as the person who asked, or refuses
//! it. The run comes before the decision is journaled: the functions held this way are
//! idempotent (a deposit by its reference, a credit line is a setting, a forced run pays only
//! what is unsettled), so a crash between the two can at worst let it be approved and run
//! again, never lose an approved call.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, StatusCode};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, new_id};
use super::audit_api::change_of;
use super::dto::id_field;
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::router::json;
use super::routes::{self, Call, Matched, Outcome, Principal};
use crate::actors::back_office::BackOfficeCommand;
use crate::domain::four_eyes::HeldRequest;
use crate::domain::ids::ApprovalId;
use crate::domain::security::Staff;

/// The header that carries an idempotency key, kept with a held call.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Held calls being approved right now, so two approvers cannot run one call twice.
static RUNNING: LazyLock<Mutex<BTreeSet<ApprovalId>>> =
    LazyLock::new(|| Mutex::new(BTreeSet::new()));

/// `202`: a call held for a second person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HeldView {
    /// `apr_` and 16 hex digits.
    pub approval_id: String,
    /// The security function it performs.
    pub function: String,
    /// The HTTP method.
    pub method: String,
    /// The path it calls.
    pub target: String,
    /// Its body, secrets redacted.
    pub change: String,
    /// `admin_key` or the operator who asked.
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// `pending`.
    pub status: String,
}

impl HeldView {
    fn of(held: &HeldRequest) -> HeldView {
        HeldView {
            approval_id: held.id.to_string(),
            function: held.function.clone(),
            method: held.method.clone(),
            target: held.target.clone(),
            change: change_of(&held.body),
            requested_by: held.by.name(),
            requested_at: rfc3339(held.at),
            status: "pending".to_owned(),
        }
    }
}

/// `GET /admin/v1/approvals` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HeldList {
    /// Held calls, oldest first.
    pub approvals: Vec<HeldView>,
}

/// `POST /admin/v1/approvals/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecision {
    /// `true` runs the held call now; `false` refuses it.
    pub approve: bool,
}

/// `POST /admin/v1/approvals/{id}` with `approve: false` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalRefused {
    /// The held call.
    pub approval_id: String,
    /// `refused`.
    pub status: String,
}

/// Holds a call of a four-eyes function instead of running it: `202` with its approval id.
///
/// # Errors
/// `ApprovalsPendingMax`, faults.
pub async fn hold(
    app: &App,
    function: &'static str,
    parts: &hyper::http::request::Parts,
    call: &Call<'_>,
) -> Outcome {
    let Principal::Admin(by) = call.principal else {
        return Err(ApiError::Unauthenticated);
    };
    let target = match parts.uri.query() {
        Some(query) => format!("{}?{query}", parts.uri.path()),
        None => parts.uri.path().to_owned(),
    };
    let held = HeldRequest {
        id: ApprovalId(new_id()),
        function: function.to_owned(),
        method: parts.method.as_str().to_owned(),
        target,
        body: call.body.to_vec(),
        idempotency_key: call
            .headers
            .get(IDEMPOTENCY_KEY)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        by,
        at: app.now(),
    };
    let view = HeldView::of(&held);
    app.registry
        .back_office_command(BackOfficeCommand::Hold(Box::new(held)))
        .await?;
    Ok(json(StatusCode::ACCEPTED, &view))
}

/// `GET /admin/v1/approvals`: calls waiting for a second person, oldest first.
#[utoipa::path(get, path = "/admin/v1/approvals", tag = "admin",
    responses((status = 200, description = "Held calls", body = HeldList)),
    security(("admin_key" = [])))]
pub async fn list_approvals(app: &App, _call: Call<'_>) -> Outcome {
    let state = app.registry.back_office_state();
    let mut held: Vec<&HeldRequest> = state.held.pending.values().collect();
    held.sort_by_key(|held| (held.at, held.id));
    let approvals = held.into_iter().map(HeldView::of).collect();
    Ok(json(StatusCode::OK, &HeldList { approvals }))
}

/// `POST /admin/v1/approvals/{id}`: another person holding the function approves a held
/// call, which runs now and answers as it would have, or refuses it.
#[utoipa::path(post, path = "/admin/v1/approvals/{id}", tag = "admin",
    request_body = ApprovalDecision,
    params(("id" = String, Path, description = "The held call")),
    responses((status = 200, description = "Refused, or approved: the held call's own answer", body = ApprovalRefused),
        (status = 403, description = "The caller asked for it, or lacks its function", body = Problem),
        (status = 404, description = "No such held call", body = Problem),
        (status = 409, description = "Another approver is running it", body = Problem)),
    security(("admin_key" = [])))]
pub async fn decide_approval(app: &App, call: Call<'_>) -> Outcome {
    let by = call.staff()?;
    let id: ApprovalId = id_field(call.params.get("id")?, "id")?;
    let decision: ApprovalDecision = parse_json(&call.body)?;
    let state = app.registry.back_office_state();
    let held = state
        .held
        .check_decider(id, by, &state.staffing.grants(by))
        .map_err(ApiError::Reject)?
        .clone();
    drop(state);
    if !RUNNING.lock().insert(id) {
        return Err(ApiError::IdempotencyInFlight);
    }
    let outcome = decide_held(app, &call, held, decision.approve, by).await;
    RUNNING.lock().remove(&id);
    outcome
}

async fn decide_held(
    app: &App,
    call: &Call<'_>,
    held: HeldRequest,
    approve: bool,
    by: Staff,
) -> Outcome {
    let id = held.id;
    let outcome = if approve {
        run_held(app, call, &held).await
    } else {
        Ok(json(
            StatusCode::OK,
            &ApprovalRefused {
                approval_id: id.to_string(),
                status: "refused".to_owned(),
            },
        ))
    };
    app.registry
        .back_office_command(BackOfficeCommand::DecideHeld { id, approve, by })
        .await?;
    outcome
}

/// Runs a held call through its route's handler, as the person who asked.
async fn run_held(app: &App, call: &Call<'_>, held: &HeldRequest) -> Outcome {
    let method = Method::from_bytes(held.method.as_bytes()).map_err(|_| ApiError::NotFound)?;
    let (path, query) = match held.target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (held.target.as_str(), None),
    };
    let Matched::Route(route, _, params) = routes::find(&method, path) else {
        return Err(ApiError::RouteNotFound);
    };
    let mut headers = HeaderMap::new();
    if let Some(key) = &held.idempotency_key
        && let Ok(value) = HeaderValue::from_str(key)
    {
        headers.insert(HeaderName::from_static(IDEMPOTENCY_KEY), value);
    }
    let replay = Call {
        client: call.client,
        principal: Principal::Admin(held.by),
        params,
        headers: &headers,
        query,
        body: bytes::Bytes::from(held.body.clone()),
    };
    (route.handler)(app, replay).await
}
