//! The operators' back-office pages ([0074], [0261]-[0262]) at `/back-office/...`: sign-in,
//! a home page with the menu, the disputes queue, security groups, the audit log, vendors,
//! members, and settlement runs with their payouts.
//!
//! Every page and form is a route of its own security function (`Caller::Admin`), so the
//! router authenticates it, records it in the audit trail and refuses it without the function,
//! as it does `/admin/v1/*`; the pages then show only the links, forms and buttons the
//! operator's functions grant. A page's work goes through the same function as its JSON route
//! (`security_api::sign_in_operator`, `dispute_api::decide`, `security_api::create_group`,
//! `audit_api::audit_page`, `vendor_standing_api::decide`, `admin_api::member_response`,
//! `settlement_api::update_fee_schedule`, `settlement_api::set_settlement`,
//! `settlement_api::start_run`, `settlement_api::newest_payouts`,
//! `settlement_api::record_return`), so the two doors cannot drift apart. [`PersonalData`]
//! is the one rule masking a member's personal data on both doors.
//!
//! The shell (`http::office`) holds what every office does alike: the cookie
//! (`farthing_back_office`, `__Host-farthing_back_office` over https, `Path=/back-office`),
//! sign-in and sign-out, the home page, the menu, the CSRF check, the errors. This module
//! gives it the back office's paths, menu and caller ([`BackOffice`] as `office::Office`) and
//! its sign-in call (`security_api::sign_in_operator`); the session lasts
//! `admin.operator_session_ttl_ms`. The pages are rendered by `crate::web::back_office`
//! (pure); their flows are in `disputes.rs`, `groups.rs`, `audit.rs`, `vendors.rs`,
//! `members.rs` and `settlement.rs`. Only `/back-office/...` reads the cookie
//! (`App::admin_page`), never `/admin/v1/*`.
//!
//! Errors are pages for a browser (a request that accepts `text/html`), a 401 a redirect to the
//! sign-in page; any other client (a script with a bearer) gets the same problem+json as on
//! `/admin/v1/*`, so one route table test covers both doors.

mod audit;
mod disputes;
mod groups;
mod members;
mod settlement;
mod vendors;

pub use members::PersonalData;

use hyper::StatusCode;

use super::app::App;
use super::buy_window::Form;
use super::client::ClientAddr;
use super::error::ApiError;
use super::office::{self, SignedIn};
use super::routes::{Call, Outcome};
use super::security_api::sign_in_operator;
use crate::domain::security::Staff;
use crate::web::back_office::{BackOffice, Section};

/// A signed-in back-office request; its caller is the member of staff recorded on what their
/// forms change.
type Seat<'a> = office::Seat<'a, BackOffice>;

/// The pages of the menu: each one's security function and path. The home page has a
/// function of its own, `back_office.read` ("may use these pages"), because no other
/// function is held by everyone who does: a dispute clerk holds `disputes.*`, a vendor
/// reviewer `vendors.*`, and making either read the other's page (or the audit log) to see the
/// menu would grant more than the job needs.
const PAGES: [(Section, &str, &str); 7] = [
    (Section::Home, "back_office.read", "/back-office"),
    (Section::Disputes, "disputes.read", "/back-office/disputes"),
    (
        Section::SecurityGroups,
        "security_groups.read",
        "/back-office/security-groups",
    ),
    (Section::Audit, "audit.read", "/back-office/audit"),
    (Section::Vendors, "vendors.read", "/back-office/vendors"),
    (Section::Members, "members.read", "/back-office/members"),
    (
        Section::Settlement,
        "settlement_runs.read",
        "/back-office/settlement",
    ),
];

impl office::Office for BackOffice {
    type Caller = Staff;

    const COOKIE: &'static str = "farthing_back_office";
    const COOKIE_HOST: &'static str = "__Host-farthing_back_office";
    const HOME_PATH: &'static str = "/back-office";
    const MENU: &'static [(Section, &'static str, &'static str)] = &PAGES;

    async fn caller(app: &App, call: &Call<'_>) -> Result<SignedIn<Staff>, ApiError> {
        let staff = call.staff()?;
        let state = app.registry.back_office_state();
        let email = match staff {
            Staff::AdminKey => None,
            Staff::Operator(id) => state.staffing.operators.get(&id).map(|o| o.email.clone()),
            Staff::VendorAdmin(id) => state
                .staffing
                .vendor_admins
                .get(&id)
                .map(|admin| admin.email.clone()),
        };
        Ok(SignedIn {
            caller: staff,
            grants: state.staffing.grants(staff),
            email,
        })
    }

    fn acting_for(_staff: &Staff) -> Option<&str> {
        None
    }

    async fn sign_in(
        app: &App,
        client: ClientAddr,
        email: &str,
        password: String,
    ) -> Result<String, ApiError> {
        let (token, _) = sign_in_operator(app, client, email, password).await?;
        Ok(token)
    }

    fn session_ttl_ms(app: &App) -> u64 {
        app.config.admin.operator_session_ttl_ms
    }
}

/// `GET /back-office/login`: the operators' sign-in form.
#[utoipa::path(get, path = "/back-office/login", tag = "back office",
    operation_id = "back_office_sign_in_form",
    responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
pub async fn sign_in_form(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in_form::<BackOffice>(app, &call)
}

/// `POST /back-office/login`: signs an operator in (throttled like `POST /admin/v1/sessions`,
/// through the same code) and keeps the session in the back-office cookie.
#[utoipa::path(post, path = "/back-office/login", tag = "back office",
    operation_id = "back_office_sign_in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, csrf"),
    responses((status = 303, description = "Signed in: to the home page, with the cookie"),
        (status = 401, description = "The form again: unknown e-mail or wrong password", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 429, description = "Too many failed attempts", content_type = "text/html")))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in::<BackOffice>(app, call).await
}

/// `POST /back-office/logout`: clears the back-office cookie. The session token is sealed and
/// kept by no server, as the API's: signing out ends it in this browser, and a copy taken
/// before works until `admin.operator_session_ttl_ms` runs out.
#[utoipa::path(post, path = "/back-office/logout", tag = "back office",
    operation_id = "back_office_sign_out",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Signed out: to the sign-in form"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    office::sign_out::<BackOffice>(app, &call).await
}

/// `GET /back-office`: the home page, with the menu of the pages the operator may read.
#[utoipa::path(get, path = "/back-office", tag = "back office",
    operation_id = "back_office_home",
    responses((status = 200, description = "The home page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn home(app: &App, call: Call<'_>) -> Outcome {
    office::home::<BackOffice>(app, &call).await
}

/// `GET /back-office/disputes?cursor=`: the disputes waiting for an operator, oldest first,
/// with Approve and Reject for an operator holding `disputes.decide`.
#[utoipa::path(get, path = "/back-office/disputes", tag = "back office",
    operation_id = "back_office_disputes",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "The queue", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn disputes(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    disputes::queue(&seat, None).await
}

/// `POST /back-office/disputes/{id}/decision`: approves (refunding the member) or rejects a
/// pending dispute, then back to the queue.
#[utoipa::path(post, path = "/back-office/disputes/{id}/decision", tag = "back office",
    operation_id = "back_office_decide_dispute",
    params(("id" = String, Path, description = "The dispute")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "approve (yes or no), reason, csrf"),
    responses((status = 303, description = "Decided: back to the queue with a notice"),
        (status = 400, description = "The queue again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such dispute", content_type = "text/html"),
        (status = 409, description = "Decided already", content_type = "text/html")))]
pub async fn decide_dispute(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    let id = call.params.get("id")?;
    disputes::decide(&seat, id, &Form::parse(&call.body)).await
}

/// `GET /back-office/security-groups`: the groups, and a form to create one from the
/// operator's own functions.
#[utoipa::path(get, path = "/back-office/security-groups", tag = "back office",
    operation_id = "back_office_security_groups",
    responses((status = 200, description = "The groups", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn security_groups(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    groups::page(&seat, StatusCode::OK, None, None)
}

/// `POST /back-office/security-groups`: creates a group of functions the operator holds.
#[utoipa::path(post, path = "/back-office/security-groups", tag = "back office",
    operation_id = "back_office_create_security_group",
    request_body(content_type = "application/x-www-form-urlencoded", description = "name, function (repeated), csrf"),
    responses((status = 303, description = "Created: back to the groups with a notice"),
        (status = 400, description = "The form again: the name is missing or too long", content_type = "text/html"),
        (status = 403, description = "A function the operator does not hold, or a CSRF failure", content_type = "text/html")))]
pub async fn create_security_group(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    groups::create(&seat, &call.body).await
}

/// `GET /back-office/audit?actor=&function=&cursor=`: the audit log, oldest first.
#[utoipa::path(get, path = "/back-office/audit", tag = "back office",
    operation_id = "back_office_audit",
    params(
        ("actor" = Option<String>, Query, description = "admin_key or an operator id"),
        ("function" = Option<String>, Query, description = "A security function"),
        ("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of the log", content_type = "text/html"),
        (status = 400, description = "The filter again: the actor is malformed", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn audit_log(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    audit::page(&seat).await
}

/// `GET /back-office/vendors`: the vendors, pending first, with Approve and Reject for an
/// operator holding `vendors.approve`.
#[utoipa::path(get, path = "/back-office/vendors", tag = "back office",
    operation_id = "back_office_vendors",
    responses((status = 200, description = "The vendors", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn vendors(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    vendors::page(&seat, StatusCode::OK, None)
}

/// `POST /back-office/vendors/{vendor_id}/approval`: approves or rejects a pending vendor,
/// then back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/approval", tag = "back office",
    operation_id = "back_office_vendor_approval",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "approve (yes or no), reason, csrf"),
    responses((status = 303, description = "Decided: back to the vendors with a notice"),
        (status = 400, description = "The page again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html"),
        (status = 409, description = "Decided already", content_type = "text/html")))]
pub async fn vendor_approval(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    let vendor = call.params.get("vendor_id")?;
    vendors::decide(&seat, vendor, &Form::parse(&call.body)).await
}

/// `POST /back-office/vendors/{vendor_id}/fee-schedule`: sets an approved vendor's fee, one
/// flat rate charged monthly, as `PUT /admin/v1/vendors/{vendor_id}/fee-schedule` does, then
/// back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/fee-schedule", tag = "back office",
    operation_id = "back_office_vendor_fee_schedule",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "rate_ppm, csrf"),
    responses((status = 303, description = "Set: back to the vendors with a notice"),
        (status = 400, description = "The page again: the rate is not 0 to 1000000 ppm", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html")))]
pub async fn vendor_fee_schedule(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    let vendor = call.params.get("vendor_id")?;
    vendors::set_fee(&seat, vendor, &Form::parse(&call.body)).await
}

/// `POST /back-office/vendors/{vendor_id}/settlement`: sets when and where a vendor is paid,
/// as `PUT /admin/v1/vendors/{vendor_id}/settlement` does, then back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/settlement", tag = "back office",
    operation_id = "back_office_vendor_settlement",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "threshold, minimum, schedule_kind, schedule_day, iban, bic, account_name, csrf"),
    responses((status = 303, description = "Set: back to the vendors with a notice"),
        (status = 400, description = "The page again, empty: a field is invalid", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html")))]
pub async fn vendor_settlement(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    let vendor = call.params.get("vendor_id")?;
    vendors::set_settlement(&seat, vendor, &Form::parse(&call.body)).await
}

/// `GET /back-office/members?member=`: a lookup form and, given a member id or e-mail, the
/// member's account; personal data masked without `members.personal_data.read`.
#[utoipa::path(get, path = "/back-office/members", tag = "back office",
    operation_id = "back_office_members",
    params(("member" = Option<String>, Query, description = "A member id (acct_…) or e-mail")),
    responses((status = 200, description = "The form, and the member when asked for", content_type = "text/html"),
        (status = 400, description = "The form again: neither a member id nor an e-mail", content_type = "text/html"),
        (status = 404, description = "The form again: no such member", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn members(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    members::page(&seat).await
}

/// `GET /back-office/settlement?runs_cursor=&payouts_cursor=`: the settlement runs newest
/// first with their payouts, the form that starts a forced run for an operator holding
/// `settlement_runs.create`, and the payouts for one holding `payouts.read`, with a return
/// form each for one holding `payouts.return`.
#[utoipa::path(get, path = "/back-office/settlement", tag = "back office",
    operation_id = "back_office_settlement",
    params(
        ("runs_cursor" = Option<String>, Query, description = "The runs' next page"),
        ("payouts_cursor" = Option<String>, Query, description = "The payouts' next page")),
    responses((status = 200, description = "The runs and payouts", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn settlement(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    settlement::page(&seat, StatusCode::OK, None)
}

/// `POST /back-office/settlement-runs`: runs settlement now, forced (every payee paid any
/// positive amount owed), then back to the settlement page.
#[utoipa::path(post, path = "/back-office/settlement-runs", tag = "back office",
    operation_id = "back_office_start_settlement_run",
    request_body(content_type = "application/x-www-form-urlencoded", description = "force (yes), csrf"),
    responses((status = 303, description = "Run: back to the settlement page with a notice"),
        (status = 400, description = "The form did not name a forced run", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match, or the function needs four eyes", content_type = "text/html"),
        (status = 409, description = "Another run has not finished", content_type = "text/html")))]
pub async fn start_settlement_run(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    settlement::start(&seat, &Form::parse(&call.body)).await
}

/// `POST /back-office/payouts/{id}/return`: records that the bank returned a payout, then
/// back to the settlement page.
#[utoipa::path(post, path = "/back-office/payouts/{id}/return", tag = "back office",
    operation_id = "back_office_return_payout",
    params(("id" = String, Path, description = "The payout")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "reason, csrf"),
    responses((status = 303, description = "Recorded: back to the settlement page with a notice"),
        (status = 400, description = "The page again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such payout", content_type = "text/html"),
        (status = 409, description = "Returned before", content_type = "text/html")))]
pub async fn return_payout(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    let id = call.params.get("id")?;
    settlement::return_payout(&seat, id, &Form::parse(&call.body)).await
}

/// Reads a decision form's `approve` field: `yes` or `no`.
fn approve_field(form: &Form) -> Result<bool, ApiError> {
    match form.get("approve") {
        Some("yes") => Ok(true),
        Some("no") => Ok(false),
        _ => Err(ApiError::InvalidField {
            param: "approve",
            detail: "yes or no".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_of_the_menu_is_a_function_of_the_route_table() {
        let functions = crate::http::routes::admin_functions();
        for (_, function, path) in PAGES {
            assert!(functions.contains(&function), "{function}");
            assert!(office::owns::<BackOffice>(path), "{path}");
        }
    }
}
