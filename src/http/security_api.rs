//! The back office's people ([0074], [0261]-[0262]): the security functions (one per
//! back-office route, from the route table), security groups granting subsets of them,
//! operators in groups, and operators' sign-in. Nobody gives more than they hold: the back
//! office actor refuses it (`function_not_held`).

use std::collections::BTreeSet;

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, new_id};
use super::client::ClientAddr;
use super::dto::{id_field, text_field};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::member_api::{check_password, normalize_email};
use super::router::json;
use super::routes::{Call, Outcome, admin_functions};
use crate::actors::back_office::BackOfficeCommand;
use crate::crypto::token::OperatorClaims;
use crate::domain::ids::{OperatorId, SecurityGroupId};
use crate::domain::security::{Operator, SecurityGroup, Staff, Staffing};
use crate::domain::time::Timestamp;

/// Functions one group lists at most (more than the table has is never needed).
const FUNCTIONS_PER_GROUP_MAX: usize = 256;

/// `GET /admin/v1/functions` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FunctionsView {
    /// Every security function, `<resource>.<verb>`, sorted.
    pub functions: Vec<String>,
}

/// `POST /admin/v1/security-groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    /// For people (1 to 256 bytes).
    pub name: String,
    /// Security functions it grants: each one the caller holds.
    pub functions: Vec<String>,
}

/// A security group.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    /// `sg_` and 16 hex digits.
    pub security_group_id: String,
    /// Its name.
    pub name: String,
    /// The functions it grants, sorted.
    pub functions: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl GroupView {
    fn of(group: &SecurityGroup) -> GroupView {
        GroupView {
            security_group_id: group.id.to_string(),
            name: group.name.clone(),
            functions: group.functions.iter().cloned().collect(),
            created_at: rfc3339(group.created_at),
        }
    }
}

/// `GET /admin/v1/security-groups` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupsView {
    /// Every group, oldest first.
    pub security_groups: Vec<GroupView>,
}

/// `POST /admin/v1/operators`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorRequest {
    /// Their sign-in e-mail.
    pub email: String,
    /// Their password (8 characters or more).
    pub password: String,
    /// The groups they are in: each granting only functions the caller holds.
    pub security_group_ids: Vec<String>,
}

/// `PUT /admin/v1/operators/{id}/groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupsRequest {
    /// Exactly the groups they are in from now.
    pub security_group_ids: Vec<String>,
}

/// An operator, without their password hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OperatorView {
    /// `op_` and 16 hex digits.
    pub operator_id: String,
    /// Their sign-in e-mail.
    pub email: String,
    /// Their groups.
    pub security_group_ids: Vec<String>,
    /// The functions they hold through them, sorted.
    pub functions: Vec<String>,
    /// When they were created (RFC 3339).
    pub created_at: String,
}

/// `GET /admin/v1/operators` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OperatorsView {
    /// Every operator, by id.
    pub operators: Vec<OperatorView>,
}

/// `POST /admin/v1/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorSignIn {
    /// The operator's e-mail.
    pub email: String,
    /// Their password.
    pub password: String,
}

/// `POST /admin/v1/sessions` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OperatorSession {
    /// The bearer for `/admin/v1/*`.
    pub session_token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

fn operator_view(app: &App, operator: &Operator) -> OperatorView {
    let staffing = &app.registry.back_office_state().staffing;
    OperatorView {
        operator_id: operator.id.to_string(),
        email: operator.email.clone(),
        security_group_ids: operator.groups.iter().map(ToString::to_string).collect(),
        functions: staffing
            .functions_of(&operator.groups)
            .into_iter()
            .collect(),
        created_at: rfc3339(operator.created_at),
    }
}

/// Parses group ids, each once.
fn group_ids(ids: &[String]) -> Result<BTreeSet<SecurityGroupId>, ApiError> {
    ids.iter()
        .map(|id| id_field(id.trim(), "security_group_ids"))
        .collect()
}

/// `GET /admin/v1/functions`: every security function an operator can be given.
#[utoipa::path(get, path = "/admin/v1/functions", tag = "admin",
    responses((status = 200, description = "The functions", body = FunctionsView),
        (status = 403, description = "The operator lacks the function", body = Problem)),
    security(("admin_key" = [])))]
pub async fn functions(_app: &App, _call: Call<'_>) -> Outcome {
    let functions = admin_functions().into_iter().map(str::to_owned).collect();
    Ok(json(StatusCode::OK, &FunctionsView { functions }))
}

/// `POST /admin/v1/security-groups`: a group from a subset of the caller's own functions.
#[utoipa::path(post, path = "/admin/v1/security-groups", tag = "admin",
    request_body = GroupRequest,
    responses((status = 201, description = "Created", body = GroupView),
        (status = 400, description = "An unknown function or a bad name; param names it", body = Problem),
        (status = 403, description = "A function the caller does not hold", body = Problem),
        (status = 409, description = "As many groups as allowed exist", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_security_group(app: &App, call: Call<'_>) -> Outcome {
    let by = call.staff()?;
    let request: GroupRequest = parse_json(&call.body)?;
    let group = create_group(app, by, &request.name, request.functions).await?;
    Ok(json(StatusCode::CREATED, &GroupView::of(&group)))
}

/// Creates a security group named `name` of `functions`, for `by`: the one path of both
/// doors, `POST /admin/v1/security-groups` and the back office's form.
///
/// # Errors
/// `InvalidField` for a bad name, too many functions or an unknown one; `Reject`
/// (`FunctionNotHeld`, `SecurityGroupsTooMany`) from the back office actor.
pub async fn create_group(
    app: &App,
    by: Staff,
    name: &str,
    requested: Vec<String>,
) -> Result<SecurityGroup, ApiError> {
    let name = text_field(name, "name")?;
    let known = admin_functions();
    if requested.len() > FUNCTIONS_PER_GROUP_MAX {
        return Err(ApiError::InvalidField {
            param: "functions",
            detail: "at most 256".to_owned(),
        });
    }
    let mut functions = BTreeSet::new();
    for function in requested {
        if !known.contains(&function.as_str()) {
            return Err(ApiError::InvalidField {
                param: "functions",
                detail: format!("no security function is named {function}"),
            });
        }
        functions.insert(function);
    }
    let id = SecurityGroupId(new_id());
    app.registry
        .back_office_command(BackOfficeCommand::CreateGroup {
            id,
            name,
            functions,
            by,
        })
        .await?;
    let state = app.registry.back_office_state();
    state
        .staffing
        .groups
        .get(&id)
        .cloned()
        .ok_or(ApiError::NotFound)
}

/// `GET /admin/v1/security-groups`: every group.
#[utoipa::path(get, path = "/admin/v1/security-groups", tag = "admin",
    responses((status = 200, description = "The groups", body = GroupsView)),
    security(("admin_key" = [])))]
pub async fn list_security_groups(app: &App, _call: Call<'_>) -> Outcome {
    let state = app.registry.back_office_state();
    let mut groups: Vec<&SecurityGroup> = state.staffing.groups.values().collect();
    groups.sort_by_key(|group| (group.created_at, group.id));
    let security_groups = groups.into_iter().map(GroupView::of).collect();
    Ok(json(StatusCode::OK, &GroupsView { security_groups }))
}

/// `POST /admin/v1/operators`: a person who signs in to the back office, in groups whose
/// functions the caller holds.
#[utoipa::path(post, path = "/admin/v1/operators", tag = "admin",
    request_body = OperatorRequest,
    responses((status = 201, description = "Created", body = OperatorView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 403, description = "A group grants a function the caller does not hold", body = Problem),
        (status = 409, description = "The e-mail is an operator's already", body = Problem),
        (status = 422, description = "An unknown group", body = Problem),
        (status = 503, description = "The password hasher is busy", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_operator(app: &App, call: Call<'_>) -> Outcome {
    let by = call.staff()?;
    let request: OperatorRequest = parse_json(&call.body)?;
    let email = normalize_email(&request.email).map_err(|_| ApiError::InvalidField {
        param: "email",
        detail: "an e-mail address".to_owned(),
    })?;
    check_password(&request.password)?;
    let groups = group_ids(&request.security_group_ids)?;
    // Refused before the hash (19 MiB and tens of milliseconds) when it cannot succeed.
    let state = app.registry.back_office_state();
    if state.staffing.emails.contains_key(&email) {
        return Err(ApiError::Reject(
            crate::domain::reject::Reject::OperatorExists,
        ));
    }
    state
        .staffing
        .check_groups(by, &groups)
        .map_err(ApiError::Reject)?;
    drop(state);
    let password_hash = app.passwords.hash(request.password).await?;
    let id = OperatorId(new_id());
    app.registry
        .back_office_command(BackOfficeCommand::CreateOperator {
            id,
            email,
            password_hash,
            groups,
            by,
        })
        .await?;
    let state = app.registry.back_office_state();
    let operator = state
        .staffing
        .operators
        .get(&id)
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::CREATED, &operator_view(app, operator)))
}

/// `GET /admin/v1/operators`: every operator, without password hashes.
#[utoipa::path(get, path = "/admin/v1/operators", tag = "admin",
    responses((status = 200, description = "The operators", body = OperatorsView)),
    security(("admin_key" = [])))]
pub async fn list_operators(app: &App, _call: Call<'_>) -> Outcome {
    let state = app.registry.back_office_state();
    let operators = state
        .staffing
        .operators
        .values()
        .map(|operator| operator_view(app, operator))
        .collect();
    Ok(json(StatusCode::OK, &OperatorsView { operators }))
}

/// `PUT /admin/v1/operators/{id}/groups`: puts an operator in exactly these groups, at once
/// for their sessions too. The caller must hold every function of the groups before and
/// after.
#[utoipa::path(put, path = "/admin/v1/operators/{id}/groups", tag = "admin",
    request_body = GroupsRequest,
    params(("id" = String, Path, description = "The operator")),
    responses((status = 200, description = "Set", body = OperatorView),
        (status = 400, description = "A malformed id", body = Problem),
        (status = 403, description = "A function the caller does not hold", body = Problem),
        (status = 404, description = "No such operator", body = Problem),
        (status = 422, description = "An unknown group", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_operator_groups(app: &App, call: Call<'_>) -> Outcome {
    let by = call.staff()?;
    let operator: OperatorId = id_field(call.params.get("id")?, "id")?;
    let request: GroupsRequest = parse_json(&call.body)?;
    let groups = group_ids(&request.security_group_ids)?;
    app.registry
        .back_office_command(BackOfficeCommand::SetGroups {
            operator,
            groups,
            by,
        })
        .await?;
    let state = app.registry.back_office_state();
    let found = state
        .staffing
        .operators
        .get(&operator)
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &operator_view(app, found)))
}

/// `POST /admin/v1/sessions`: an operator signs in; the token is their bearer on
/// `/admin/v1/*` until it expires (`admin.operator_session_ttl_ms`). Throttled like members'
/// sign-ins, and an unknown e-mail costs one hash like a known one.
#[utoipa::path(post, path = "/admin/v1/sessions", tag = "admin",
    request_body = OperatorSignIn,
    responses((status = 201, description = "Signed in", body = OperatorSession),
        (status = 401, description = "Unknown e-mail or wrong password", body = Problem),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem)))]
pub async fn operator_sign_in(app: &App, call: Call<'_>) -> Outcome {
    let request: OperatorSignIn = parse_json(&call.body)?;
    let (token, expires_at) =
        sign_in_operator(app, call.client, &request.email, request.password).await?;
    Ok(json(
        StatusCode::CREATED,
        &OperatorSession {
            session_token: token,
            expires_at: rfc3339(expires_at),
        },
    ))
}

/// Checks a person of staff's password, found by `find` (operators, or vendor admins) under
/// the normalized e-mail: throttled like members' sign-ins, and an unknown e-mail costs one
/// hash like a known one.
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password; `TooManyAttempts` while
/// throttled; `Overloaded` when the password hasher is busy.
pub async fn verify_staff(
    app: &App,
    client: ClientAddr,
    email: &str,
    password: String,
    find: impl FnOnce(&Staffing, &str) -> Option<(OperatorId, String)>,
) -> Result<OperatorId, ApiError> {
    let email = normalize_email(email).map_err(|_| ApiError::Unauthenticated)?;
    let attempt = app.throttles.begin_sign_in(&email, client, app.now())?;
    let found = find(&app.registry.back_office_state().staffing, &email);
    let stored = found.as_ref().map(|(_, hash)| hash.clone());
    let verified = match app.passwords.verify(password, stored).await {
        Ok(verified) => verified,
        Err(error) => {
            attempt.undecided(app.now());
            return Err(error.into());
        }
    };
    let Some((id, _)) = found.filter(|_| verified) else {
        attempt.failed(app.now());
        return Err(ApiError::Unauthenticated);
    };
    attempt.succeeded(app.now());
    Ok(id)
}

/// Signs an operator in: the sealed session token and when it expires. The one sign-in of
/// both doors, `POST /admin/v1/sessions` and the back office's sign-in page, so both are
/// throttled together and an unknown e-mail costs one hash like a known one on either.
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password; `TooManyAttempts` while
/// throttled; `Overloaded` when the password hasher is busy.
pub async fn sign_in_operator(
    app: &App,
    client: ClientAddr,
    email: &str,
    password: String,
) -> Result<(String, Timestamp), ApiError> {
    let operator = verify_staff(app, client, email, password, |staffing, email| {
        staffing
            .operator_by_email(email)
            .map(|operator| (operator.id, operator.password_hash.clone()))
    })
    .await?;
    let now = app.now();
    let expires_at = now.plus_ms(app.config.admin.operator_session_ttl_ms);
    let claims = OperatorClaims {
        operator: operator.0,
        issued_at_ms: u64::try_from(now.0).unwrap_or(0),
        expires_at_ms: u64::try_from(expires_at.0).unwrap_or(0),
    };
    let token = app.tokens.seal(&claims, 0, &mut rand::rngs::OsRng);
    Ok((token, expires_at))
}
