//! Sub-members of family and corporate accounts ([0275]-[0277]): the holder adds them, sets
//! their limits, disables and re-enables them. Every route here is the holder's
//! (`Caller::Holder`; the account's actor checks the role again) but one: any login sets its
//! own name and language (`PUT /v1/members/me/profile`, [0114], [0136]).
//!
//! Each route's work is a function of its own ([`add_sub_member`], [`logins`],
//! [`set_login_disabled`], [`set_profile_of`]) that the account pages call too, with the
//! step-up token they keep.
//!
//! May depend on: the app, the DTOs, the actors' messages, the domain. One conversion from a
//! request to a typed command per route; the actor decides.

use hyper::StatusCode;

use super::app::{App, MemberSession, new_id};
use super::dto::{
    AddLoginRequest, Done, LimitsRequest, LoginCreated, LoginView, LoginsResponse, ProfileRequest,
};
use super::error::{ApiError, Problem};
use super::json::parse_json;
use super::member_api::{
    EmailClaim, check_password, command, login_view, member_error, normalize_email, set_limits_of,
};
use super::router::json;
use super::routes::{Call, Outcome};
use super::step_up_api::{require_step_up_token, step_up_header};
use crate::actors::messages::MemberCommand;
use crate::domain::account::check_language;
use crate::domain::ids::LoginId;
use crate::domain::logins::{AddLogin, LOGIN_NAME_CHARS_MAX, ProfileChange};
use crate::domain::reject::Reject;

/// `POST /v1/members/me/logins`: adds a sub-member with their own e-mail and password.
#[utoipa::path(post, path = "/v1/members/me/logins", tag = "members",
    request_body = AddLoginRequest,
    responses((status = 201, description = "Added", body = LoginCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The caller is a sub-member (holder_only)", body = Problem),
        (status = 409, description = "The e-mail is taken, or the account has as many logins as it may", body = Problem),
        (status = 503, description = "The password hasher is busy; see Retry-After", body = Problem)),
    security(("member_session" = [])))]
pub async fn add_login(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: AddLoginRequest = parse_json(&call.body)?;
    let id = add_sub_member(app, member, request, step_up_header(call.headers)).await?;
    Ok(json(
        StatusCode::CREATED,
        &LoginCreated {
            login_id: id.to_string(),
        },
    ))
}

/// Adds a sub-member from `request`, behind step-up with `step_up` as the token: the one
/// path of `POST /v1/members/me/logins` and the account pages' form. The e-mail is claimed
/// before the hash and kept only once the login is durable.
///
/// # Errors
/// `InvalidField` naming the field; `StepUpRequired`; `EmailTaken`; `LoginsFull`,
/// `HolderOnly` and session rejects; the hasher's.
pub async fn add_sub_member(
    app: &App,
    member: MemberSession,
    request: AddLoginRequest,
    step_up: Option<&str>,
) -> Result<LoginId, ApiError> {
    let name = login_name(&request.name)?;
    let email = normalize_email(&request.email)?;
    check_password(&request.password)?;
    require_step_up_token(app, step_up, member).await?;
    let Some(claim) = EmailClaim::claim(app, &email, member.account) else {
        return Err(ApiError::EmailTaken);
    };
    let password_hash = app.passwords.hash(request.password).await?;
    let id = LoginId(new_id());
    let command = MemberCommand::AddLogin(AddLogin {
        id,
        name,
        email: email.clone(),
        password_hash,
    });
    // Kept only once the login is durable: a refused add (a sub-member's session, the
    // account full) gives the e-mail back.
    self::command(app, member, command).await?;
    claim.keep();
    Ok(id)
}

/// `GET /v1/members/me/logins`: the account's logins with their limits.
#[utoipa::path(get, path = "/v1/members/me/logins", tag = "members",
    responses((status = 200, description = "The logins, the holder first", body = LoginsResponse),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The caller is a sub-member (holder_only)", body = Problem)),
    security(("member_session" = [])))]
pub async fn list_logins(app: &App, call: Call<'_>) -> Outcome {
    let logins = logins(app, call.member()?).await?;
    Ok(json(StatusCode::OK, &LoginsResponse { logins }))
}

/// The account's logins with their limits, the holder first: the one list of the API and the
/// account pages.
///
/// # Errors
/// Session rejects as `Unauthenticated`; faults.
pub async fn logins(app: &App, member: MemberSession) -> Result<Vec<LoginView>, ApiError> {
    let view = app
        .registry
        .account_view(member.account, Some((member.login, member.session)))
        .await
        .map_err(member_error)?;
    let mut logins: Vec<LoginView> = view
        .logins
        .iter()
        .map(|(login, limits)| login_view(login, limits))
        .collect();
    logins.sort_by_key(|login| (login.role != "holder", login.login_id.clone()));
    Ok(logins)
}

/// `PUT /v1/members/me/logins/{id}/limits`: replaces a login's limits in one currency, with
/// the body of `PUT /v1/members/me/limits`. Only the holder sets them, so a sub-member cannot
/// lift what the holder set ([0277]).
#[utoipa::path(put, path = "/v1/members/me/logins/{id}/limits", tag = "members",
    params(("id" = String, Path, description = "The login, login_…")),
    request_body = LimitsRequest,
    responses((status = 200, description = "Replaced", body = Done),
        (status = 400, description = "A limit is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The caller is a sub-member (holder_only)", body = Problem),
        (status = 404, description = "No login of the account has this id", body = Problem)),
    security(("member_session" = [])))]
pub async fn set_login_limits(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let login = target(&call)?;
    let request: LimitsRequest = parse_json(&call.body)?;
    set_limits_of(app, member, login, request, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// `POST /v1/members/me/logins/{id}/disable`: the sub-member cannot sign in, and their
/// sessions end at once.
#[utoipa::path(post, path = "/v1/members/me/logins/{id}/disable", tag = "members",
    params(("id" = String, Path, description = "The sub-member's login, login_…")),
    responses((status = 200, description = "Disabled", body = Done),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The caller is a sub-member (holder_only)", body = Problem),
        (status = 404, description = "No login of the account has this id", body = Problem),
        (status = 409, description = "The holder's own login (login_is_holder)", body = Problem)),
    security(("member_session" = [])))]
pub async fn disable_login(app: &App, call: Call<'_>) -> Outcome {
    set_disabled(app, &call, true).await
}

/// `POST /v1/members/me/logins/{id}/enable`: the sub-member may sign in again.
#[utoipa::path(post, path = "/v1/members/me/logins/{id}/enable", tag = "members",
    params(("id" = String, Path, description = "The sub-member's login, login_…")),
    responses((status = 200, description = "Enabled", body = Done),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The caller is a sub-member (holder_only)", body = Problem),
        (status = 404, description = "No login of the account has this id", body = Problem),
        (status = 409, description = "The holder's own login (login_is_holder)", body = Problem)),
    security(("member_session" = [])))]
pub async fn enable_login(app: &App, call: Call<'_>) -> Outcome {
    set_disabled(app, &call, false).await
}

async fn set_disabled(app: &App, call: &Call<'_>, disabled: bool) -> Outcome {
    let member: MemberSession = call.member()?;
    let login = target(call)?;
    set_login_disabled(app, member, login, disabled, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Disables or enables a sub-member's login, behind step-up with `step_up` as the token: the
/// one path of the API and the account pages.
///
/// # Errors
/// `StepUpRequired`; `LoginNotFound`, `LoginIsHolder` and session rejects.
pub async fn set_login_disabled(
    app: &App,
    member: MemberSession,
    login: LoginId,
    disabled: bool,
    step_up: Option<&str>,
) -> Result<(), ApiError> {
    require_step_up_token(app, step_up, member).await?;
    command(
        app,
        member,
        MemberCommand::SetLoginDisabled { login, disabled },
    )
    .await
}

/// `PUT /v1/members/me/profile`: the caller's own name and language ([0114], [0136]); any
/// login, holder or sub-member, and only their own. The language is then their pages' and
/// mail's.
#[utoipa::path(put, path = "/v1/members/me/profile", tag = "members",
    request_body = ProfileRequest,
    responses((status = 200, description = "Set: the caller's login as it is now", body = LoginView),
        (status = 400, description = "A field is invalid, or neither is given; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn set_profile(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: ProfileRequest = parse_json(&call.body)?;
    let login = set_profile_of(app, member, request).await?;
    Ok(json(StatusCode::OK, &login))
}

/// Sets `member`'s own name and language from `request`: the one path of
/// `PUT /v1/members/me/profile` and the account pages' profile form. Each field is checked as
/// at registration and when a login is added; the login as it is afterwards is read back.
///
/// # Errors
/// `InvalidField` naming `name` or `language` (or `body` when neither is given); session
/// rejects; faults.
pub async fn set_profile_of(
    app: &App,
    member: MemberSession,
    request: ProfileRequest,
) -> Result<LoginView, ApiError> {
    if request.name.is_none() && request.language.is_none() {
        return Err(ApiError::InvalidField {
            param: "body",
            detail: "name, language or both".to_owned(),
        });
    }
    let name = request.name.as_deref().map(login_name).transpose()?;
    if let Some(language) = &request.language {
        check_language(language)?;
    }
    let change = ProfileChange {
        name,
        language: request.language.map(|language| language.trim().to_owned()),
    };
    command(app, member, MemberCommand::SetProfile(change)).await?;
    let view = app
        .registry
        .account_view(member.account, Some((member.login, member.session)))
        .await
        .map_err(member_error)?;
    view.logins
        .iter()
        .find(|(login, _)| login.id == member.login)
        .map(|(login, limits)| login_view(login, limits))
        .ok_or(ApiError::Reject(Reject::LoginNotFound))
}

/// The login named by the path; a malformed id names no login of the account.
fn target(call: &Call<'_>) -> Result<LoginId, ApiError> {
    login_id(call.params.get("id")?)
}

/// A login id as written (`login_…`); a malformed one names no login of the account.
///
/// # Errors
/// `LoginNotFound`.
pub fn login_id(text: &str) -> Result<LoginId, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::Reject(Reject::LoginNotFound))
}

/// A login's name: trimmed, 1 to 100 characters, no control characters.
fn login_name(text: &str) -> Result<String, ApiError> {
    let name = text.trim();
    if name.is_empty()
        || name.chars().count() > LOGIN_NAME_CHARS_MAX
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::InvalidField {
            param: "name",
            detail: format!("1 to {LOGIN_NAME_CHARS_MAX} characters, no control characters"),
        });
    }
    Ok(name.to_owned())
}
