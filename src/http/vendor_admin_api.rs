//! A vendor's people in its back office ([0149]): the vendor (by its API key, which holds every
//! vendor function) or one of its admins gives a person a login with some of the vendor
//! functions; the person signs in and calls the vendor's routes (`/v1/vendors/me/...`) with
//! the session token as their bearer. The router checks their function on each call and
//! records it in the audit trail, as for operators; the token names its vendor inside the
//! ciphertext, so no route can reach another vendor's data.

use std::collections::BTreeSet;

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, new_id};
use super::client::ClientAddr;
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::member_api::{check_password, normalize_email};
use super::router::json;
use super::routes::{Call, Outcome, vendor_functions};
use super::security_api::verify_staff;
use crate::actors::back_office::BackOfficeCommand;
use crate::crypto::token::VendorAdminClaims;
use crate::domain::ids::OperatorId;
use crate::domain::reject::Reject;
use crate::domain::security::VendorAdmin;

/// `POST /v1/vendors/me/admins`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorAdminRequest {
    /// Their sign-in e-mail.
    pub email: String,
    /// Their password (8 to 1024 characters).
    pub password: String,
    /// The vendor functions they hold (e.g. `sales.read`, `disputes.read`, `payouts.read`),
    /// each held by whoever creates them.
    pub functions: Vec<String>,
}

/// A vendor admin, without their password hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorAdminView {
    /// Their id.
    pub vendor_admin_id: String,
    /// Their sign-in e-mail.
    pub email: String,
    /// The vendor functions they hold.
    pub functions: Vec<String>,
    /// Who created them: the admin's id, or `api_key`.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl VendorAdminView {
    fn of(admin: &VendorAdmin) -> VendorAdminView {
        VendorAdminView {
            vendor_admin_id: admin.id.to_string(),
            email: admin.email.clone(),
            functions: admin.functions.iter().cloned().collect(),
            created_by: admin
                .created_by
                .map_or_else(|| "api_key".to_owned(), |by| by.to_string()),
            created_at: rfc3339(admin.created_at),
        }
    }
}

/// `GET /v1/vendors/me/admins` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorAdminsView {
    /// The vendor's admins, oldest first.
    pub admins: Vec<VendorAdminView>,
}

/// `POST /v1/vendor-sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorAdminSignIn {
    /// The vendor admin's e-mail.
    pub email: String,
    /// Their password.
    pub password: String,
}

/// `POST /v1/vendor-sessions` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorAdminSession {
    /// The bearer for the vendor's routes until `expires_at`.
    pub session_token: String,
    /// The vendor they act for.
    pub vendor_id: String,
    /// The vendor functions they hold (looked up again on every call).
    pub functions: Vec<String>,
    /// When the token stops working.
    pub expires_at: String,
}

/// `POST /v1/vendors/me/admins`: gives a person a login to the vendor's back office with
/// some vendor functions. A vendor admin gives only functions they hold themselves.
#[utoipa::path(post, path = "/v1/vendors/me/admins", tag = "vendors",
    request_body = VendorAdminRequest,
    responses((status = 201, description = "Created", body = VendorAdminView),
        (status = 400, description = "A bad e-mail, password or function name", body = Problem),
        (status = 403, description = "A function the caller does not hold", body = Problem),
        (status = 409, description = "The e-mail is taken, or the vendor has as many admins as allowed",
            body = Problem)),
    security(("vendor_key" = [])))]
pub async fn create_vendor_admin(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?.profile.id;
    let by = call.vendor_admin();
    let request: VendorAdminRequest = parse_json(&call.body)?;
    let email = normalize_email(&request.email).map_err(|_| ApiError::InvalidField {
        param: "email",
        detail: "an e-mail address".to_owned(),
    })?;
    check_password(&request.password)?;
    let known = vendor_functions();
    let functions: BTreeSet<String> = request.functions.into_iter().collect();
    if functions.is_empty() || functions.iter().any(|f| !known.contains(&f.as_str())) {
        return Err(ApiError::InvalidField {
            param: "functions",
            detail: format!("one or more of: {}", known.join(", ")),
        });
    }
    // Refused before the hash (19 MiB and tens of milliseconds) when it cannot succeed.
    let state = app.registry.back_office_state();
    if state.staffing.emails.contains_key(&email) {
        return Err(ApiError::Reject(Reject::OperatorExists));
    }
    drop(state);
    let password_hash = app.passwords.hash(request.password).await?;
    let id = OperatorId(new_id());
    app.registry
        .back_office_command(BackOfficeCommand::CreateVendorAdmin {
            id,
            vendor,
            email,
            password_hash,
            functions,
            by,
        })
        .await?;
    let state = app.registry.back_office_state();
    let admin = state
        .staffing
        .vendor_admins
        .get(&id)
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::CREATED, &VendorAdminView::of(admin)))
}

/// `GET /v1/vendors/me/admins`: the vendor's admins, without password hashes.
#[utoipa::path(get, path = "/v1/vendors/me/admins", tag = "vendors",
    responses((status = 200, description = "The vendor's admins", body = VendorAdminsView)),
    security(("vendor_key" = [])))]
pub async fn list_vendor_admins(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?.profile.id;
    let state = app.registry.back_office_state();
    let mut admins: Vec<&VendorAdmin> = state
        .staffing
        .vendor_admins
        .values()
        .filter(|admin| admin.vendor == vendor)
        .collect();
    admins.sort_by_key(|admin| (admin.created_at, admin.id));
    let admins = admins.into_iter().map(VendorAdminView::of).collect();
    Ok(json(StatusCode::OK, &VendorAdminsView { admins }))
}

/// `POST /v1/vendor-sessions`: a vendor admin signs in; the token is their bearer on their
/// vendor's routes until it expires (`admin.operator_session_ttl_ms`). Throttled like every
/// sign-in.
#[utoipa::path(post, path = "/v1/vendor-sessions", tag = "vendors",
    request_body = VendorAdminSignIn,
    responses((status = 201, description = "Signed in", body = VendorAdminSession),
        (status = 401, description = "Unknown e-mail or wrong password", body = Problem),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem)))]
pub async fn vendor_admin_sign_in(app: &App, call: Call<'_>) -> Outcome {
    let request: VendorAdminSignIn = parse_json(&call.body)?;
    let session = sign_in_vendor_admin(app, call.client, &request.email, request.password).await?;
    Ok(json(StatusCode::CREATED, &session))
}

/// Signs a vendor admin in: their sealed session token, vendor, functions and expiry. The one
/// sign-in of both doors, `POST /v1/vendor-sessions` and the vendor office's sign-in page, so
/// both are throttled together and an unknown e-mail costs one hash like a known one on either.
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password; `TooManyAttempts` while
/// throttled; `Overloaded` when the password hasher is busy.
pub async fn sign_in_vendor_admin(
    app: &App,
    client: ClientAddr,
    email: &str,
    password: String,
) -> Result<VendorAdminSession, ApiError> {
    let admin = verify_staff(app, client, email, password, |staffing, email| {
        staffing
            .vendor_admin_by_email(email)
            .map(|admin| (admin.id, admin.password_hash.clone()))
    })
    .await?;
    let state = app.registry.back_office_state();
    let found = state
        .staffing
        .vendor_admins
        .get(&admin)
        .ok_or(ApiError::Unauthenticated)?;
    let now = app.now();
    let expires_at = now.plus_ms(app.config.admin.operator_session_ttl_ms);
    let claims = VendorAdminClaims {
        admin: admin.0,
        vendor: found.vendor.0,
        expires_at_ms: u64::try_from(expires_at.0).unwrap_or(0),
    };
    let token = app.tokens.seal(&claims, 0, &mut rand::rngs::OsRng);
    Ok(VendorAdminSession {
        session_token: token,
        vendor_id: found.vendor.to_string(),
        functions: found.functions.iter().cloned().collect(),
        expires_at: rfc3339(expires_at),
    })
}
