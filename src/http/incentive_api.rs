//! Incentive programs, vendor groups and grants over HTTP ([0174], [0190], [0212],
//! [0217]-[0218]): operators create the MSP's programs and vendor groups, a vendor creates
//! its own programs and gives grants to members it knows by `member_ref`, and a member
//! redeems a code. The grant itself is made by `incentives::grant` (budget, then account).

use hyper::StatusCode;

use super::app::{App, new_id};
use super::dto::{
    GrantCreated, ProgramCreated, ProgramFields, ProgramRequest, RedeemRequest, VendorGrantRequest,
    VendorGroupCreated, VendorGroupRequest, id_field, incentive_code,
};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::member_api::member_error;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::actors::programs::ProgramSelector;
use crate::domain::ids::{AccountId, GrantId, ProgramId, VendorGroupId};
use crate::domain::incentive::{Grant, Program, ProgramScope};
use crate::domain::money::{Amount, format_amount};
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::domain::vendor::VendorProfile;

/// `POST /admin/v1/vendor-groups`: a group of vendors whose group programs pay at any of them.
#[utoipa::path(post, path = "/admin/v1/vendor-groups", tag = "admin",
    request_body = VendorGroupRequest,
    responses(
        (status = 201, description = "Created", body = VendorGroupCreated),
        (status = 400, description = "A field is invalid, or names no vendor; param names it", body = Problem),
        (status = 409, description = "As many groups as allowed", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_vendor_group(app: &App, call: Call<'_>) -> Outcome {
    let request: VendorGroupRequest = parse_json(&call.body)?;
    let (name, vendors) = request.into_parts()?;
    if let Some(unknown) = vendors.iter().find(|v| app.registry.vendor(**v).is_none()) {
        return Err(ApiError::InvalidField {
            param: "vendor_ids",
            detail: format!("{unknown} is not a registered vendor"),
        });
    }
    let group = VendorGroupId(new_id());
    app.registry
        .create_group(group, name, vendors)
        .await
        .map_err(ApiError::from)?;
    let created = VendorGroupCreated {
        vendor_group_id: group.to_string(),
    };
    Ok(json(StatusCode::CREATED, &created))
}

/// `POST /admin/v1/incentive-programs`: an MSP program (its grants pay anywhere) or a vendor
/// group's; both are funded by the MSP.
#[utoipa::path(post, path = "/admin/v1/incentive-programs", tag = "admin",
    request_body = ProgramRequest,
    responses(
        (status = 201, description = "Created", body = ProgramCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such vendor group", body = Problem),
        (status = 409, description = "The code is taken, or as many programs as allowed", body = Problem),
        (status = 422, description = "An unsupported currency, or an expiry already past", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_msp_program(app: &App, call: Call<'_>) -> Outcome {
    let request: ProgramRequest = parse_json(&call.body)?;
    let fields = request.fields()?;
    let scope = request.operator_scope()?;
    let created = create_program(app, fields, scope).await?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `POST /v1/incentive-programs`: a vendor's own program, spendable only at it and funded by
/// it (it is not paid for what its grants pay). In the vendor's currency.
#[utoipa::path(post, path = "/v1/incentive-programs", tag = "vendors",
    request_body = ProgramRequest,
    responses(
        (status = 201, description = "Created", body = ProgramCreated),
        (status = 400, description = "A field is invalid, or another currency than the vendor's", body = Problem),
        (status = 409, description = "The code is taken, or as many programs as allowed", body = Problem),
        (status = 422, description = "An expiry already past", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn create_vendor_program(app: &App, call: Call<'_>) -> Outcome {
    let request: ProgramRequest = parse_json(&call.body)?;
    let created = vendor_program(app, &call.vendor()?.profile, &request).await?;
    Ok(json(StatusCode::CREATED, &created))
}

/// Creates `vendor`'s own program from `request`: the one path of both doors,
/// `POST /v1/incentive-programs` and the vendor office's form, so both check the same fields
/// and the same currency.
///
/// # Errors
/// `InvalidField` or `InvalidAmount` naming the field; `CurrencyMismatch` for another currency
/// than the vendor's; those of the programs actor (the code taken, too many programs).
pub async fn vendor_program(
    app: &App,
    vendor: &VendorProfile,
    request: &ProgramRequest,
) -> Result<ProgramCreated, ApiError> {
    request.no_scope()?;
    let fields = request.fields()?;
    if fields.currency != vendor.currency {
        return Err(ApiError::Reject(Reject::CurrencyMismatch));
    }
    create_program(app, fields, ProgramScope::Vendor(vendor.id)).await
}

async fn create_program(
    app: &App,
    fields: ProgramFields,
    scope: ProgramScope,
) -> Result<ProgramCreated, ApiError> {
    if !app.config.money.supports(fields.currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    let program = Program {
        id: ProgramId(new_id()),
        code: fields.code,
        scope,
        amount: fields.amount,
        currency: fields.currency,
        expires_at: fields.expires_at,
        budget: fields.budget,
        // The programs actor stamps its own now.
        created_at: Timestamp(0),
    };
    let created = ProgramCreated {
        program_id: program.id.to_string(),
        code: program.code.clone(),
    };
    app.registry
        .create_program(program)
        .await
        .map_err(ApiError::from)?;
    Ok(created)
}

/// `POST /v1/incentive-grants`: the vendor gives a member one grant of its own program. The
/// vendor knows the member only by `member_ref`, which the server opens; the member stays
/// anonymous to it.
#[utoipa::path(post, path = "/v1/incentive-grants", tag = "vendors",
    request_body = VendorGrantRequest,
    responses(
        (status = 201, description = "Granted", body = GrantCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 403, description = "The member's account is frozen", body = Problem),
        (status = 404, description = "No such program of this vendor, or no such member", body = Problem),
        (status = 409, description = "The budget is spent, or the member holds as many grants as allowed", body = Problem),
        (status = 422, description = "The program has expired", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn vendor_grant(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?.profile.id;
    let request: VendorGrantRequest = parse_json(&call.body)?;
    let program: ProgramId = id_field(&request.program_id, "program_id")?;
    // A reference another vendor was given names nobody here.
    let account = app
        .locators
        .open_member_ref(request.member_ref.trim())
        .filter(|(_, seen_by)| *seen_by == vendor.0)
        .map(|(account, _)| AccountId(account))
        .ok_or(ApiError::NotFound)?;
    let (grant, _) = crate::incentives::grant(
        app.registry.clone(),
        account,
        ProgramSelector::OwnedBy(program, vendor),
        GrantId(new_id()),
        false,
        None,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(json(StatusCode::CREATED, &created(&grant, None)))
}

/// `POST /v1/members/me/incentives`: redeems a code; a code redeems once per account.
#[utoipa::path(post, path = "/v1/members/me/incentives", tag = "members",
    request_body = RedeemRequest,
    responses(
        (status = 201, description = "Granted", body = GrantCreated),
        (status = 400, description = "Not a code", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The account is frozen", body = Problem),
        (status = 404, description = "No program has this code", body = Problem),
        (status = 409, description = "Redeemed before, the budget is spent, or as many grants as allowed", body = Problem),
        (status = 422, description = "The program has expired", body = Problem)),
    security(("member_session" = [])))]
pub async fn redeem(app: &App, call: Call<'_>) -> Outcome {
    let request: RedeemRequest = parse_json(&call.body)?;
    let granted = redeem_for(app, call.member()?, &request).await?;
    Ok(json(StatusCode::CREATED, &granted))
}

/// Redeems the code `request` names for the member: the one path of
/// `POST /v1/members/me/incentives` and the account pages' form.
///
/// # Errors
/// `InvalidField` for a malformed code; those of [`redeem_code`].
pub async fn redeem_for(
    app: &App,
    member: crate::http::app::MemberSession,
    request: &RedeemRequest,
) -> Result<GrantCreated, ApiError> {
    let code = incentive_code(&request.code, "code")?;
    let (grant, balance) = redeem_code(
        app,
        member.account,
        member.login,
        member.session,
        code,
        None,
    )
    .await?;
    Ok(created(&grant, Some(balance)))
}

/// Redeems `code` for a member's live session (the API's and the buy window's path; the buy
/// window passes the offer the grant must be able to pay for).
///
/// # Errors
/// Session rejects as `Unauthenticated`; the program's and the account's rejects.
pub async fn redeem_code(
    app: &App,
    account: AccountId,
    login: crate::domain::ids::LoginId,
    session: crate::domain::ids::SessionId,
    code: String,
    usable_at: Option<crate::incentives::UsableAt>,
) -> Result<(Grant, Amount), ApiError> {
    app.registry
        .check_session(account, login, session)
        .await
        .map_err(member_error)?;
    crate::incentives::grant(
        app.registry.clone(),
        account,
        ProgramSelector::Code(code),
        GrantId(new_id()),
        true,
        usable_at,
    )
    .await
    .map_err(member_error)
}

fn created(grant: &Grant, balance: Option<Amount>) -> GrantCreated {
    GrantCreated {
        grant_id: grant.id.to_string(),
        amount: format_amount(grant.remaining, grant.currency),
        currency: grant.currency.code().to_owned(),
        expires_at: grant.expires_at.map(rfc3339),
        incentive_balance: balance.map(|balance| format_amount(balance, grant.currency)),
    }
}
