//! The vendor office ([0149], issue 13) at `/vendor-office/...`: a vendor admin's pages in a
//! browser: sign-in, a home page with the menu, sales, disputes, payouts, API keys and
//! incentive programs, the browser door to what `/v1/vendors/me/...` offers their servers.
//!
//! Every page and form is a route of a vendor function (`Caller::Vendor`), so the router
//! authenticates it, checks the admin holds the function, records the call in the audit trail
//! and refuses it otherwise, as it does for the vendor's JSON routes; the menu then links only
//! the pages the admin's functions grant. A page's data and work go through the same function
//! as its JSON route (`vendor_admin_api::sign_in_vendor_admin`, `vendor_api::vendor_summary`,
//! `dispute_api::vendor_dispute_page`, `settlement_api::newest_payouts` with
//! `PayoutView::of`, `vendor_standing_api::rotate_key`, `incentive_api::vendor_program`), so
//! the two doors cannot drift apart and a page shows the vendor no more of a member than the
//! API does. The vendor is the one the session token names inside its ciphertext: no page
//! takes a vendor id from the request.
//!
//! The shell (`http::office`) holds what every office does alike: the cookie
//! (`farthing_vendor_office`, `__Host-farthing_vendor_office` when cookies are `Secure`,
//! `Path=/vendor-office`), sign-in and sign-out, the home page, the menu, the CSRF check, the
//! errors. This module gives it the vendor office's paths, menu and caller ([`VendorOffice`] as
//! `office::Office`: the vendor, named on every page) and its sign-in call
//! (`vendor_admin_api::sign_in_vendor_admin`); the session lasts
//! `admin.operator_session_ttl_ms`. The pages are rendered by `crate::web::vendor_office`
//! (pure); their flows are in `reads.rs` (sales, disputes, payouts) and `forms.rs` (API keys,
//! programs). Only `/vendor-office/...` reads the cookie (`App::vendor_page`), never the JSON
//! routes; and only a vendor admin's token is read from it, never an API key. A request
//! carrying a bearer (the API key or a vendor admin's token) is authenticated by the bearer
//! alone and skips the CSRF check.
//!
//! Errors are pages for a browser (a request that accepts `text/html`), a 401 a redirect to the
//! sign-in page; any other client gets the same problem+json as on `/v1/vendors/me/*`, so the
//! route table's tests cover both doors.

mod forms;
mod reads;

use super::app::App;
use super::buy_window::Form;
use super::client::ClientAddr;
use super::error::ApiError;
use super::office::{self, SignedIn};
use super::routes::{Call, Outcome, Principal};
use super::vendor_admin_api::sign_in_vendor_admin;
use crate::actors::registry::VendorEntry;
use crate::domain::security::{Grants, Staff};
use crate::web::vendor_office::{Section, VendorOffice};

/// A signed-in vendor office request; its caller is the vendor the router authenticated, the
/// one every page reads and every form changes.
type Seat<'a> = office::Seat<'a, VendorOffice>;

/// The pages of the menu: each one's vendor function and path. The home page has a function
/// of its own, `vendor_office.read` ("may use these pages"), as the back office has
/// `back_office.read`: no other vendor function is held by everyone who uses the pages (a
/// clerk who reads disputes holds `disputes.read` and nothing else), and making the home page
/// `sales.read` would show every admin the vendor's money to let them see the menu.
const PAGES: [(Section, &str, &str); 6] = [
    (Section::Home, "vendor_office.read", "/vendor-office"),
    (Section::Sales, "sales.read", "/vendor-office/sales"),
    (
        Section::Disputes,
        "disputes.read",
        "/vendor-office/disputes",
    ),
    (Section::Payouts, "payouts.read", "/vendor-office/payouts"),
    (
        Section::ApiKeys,
        "api_keys.rotate",
        "/vendor-office/api-keys",
    ),
    (
        Section::IncentivePrograms,
        "incentive_programs.create",
        "/vendor-office/incentive-programs",
    ),
];

impl office::Office for VendorOffice {
    type Caller = VendorEntry;

    const COOKIE: &'static str = "farthing_vendor_office";
    const COOKIE_HOST: &'static str = "__Host-farthing_vendor_office";
    const HOME_PATH: &'static str = "/vendor-office";
    const MENU: &'static [(Section, &'static str, &'static str)] = &PAGES;

    async fn caller(app: &App, call: &Call<'_>) -> Result<SignedIn<VendorEntry>, ApiError> {
        let vendor = call.vendor()?.clone();
        let (grants, email) = match &call.principal {
            Principal::VendorAdmin(_, admin) => {
                let state = app.registry.back_office_state();
                let email = state
                    .staffing
                    .vendor_admins
                    .get(admin)
                    .map(|found| found.email.clone());
                (state.staffing.grants(Staff::VendorAdmin(*admin)), email)
            }
            // The vendor's own key holds every vendor function.
            _ => (Grants::All, None),
        };
        Ok(SignedIn {
            caller: vendor,
            grants,
            email,
        })
    }

    fn acting_for(vendor: &VendorEntry) -> Option<&str> {
        Some(&vendor.profile.name)
    }

    async fn sign_in(
        app: &App,
        client: ClientAddr,
        email: &str,
        password: String,
    ) -> Result<String, ApiError> {
        let session = sign_in_vendor_admin(app, client, email, password).await?;
        Ok(session.session_token)
    }

    fn session_ttl_ms(app: &App) -> u64 {
        app.config.admin.operator_session_ttl_ms
    }
}

/// `GET /vendor-office/login`: the vendor admins' sign-in form.
#[utoipa::path(get, path = "/vendor-office/login", tag = "vendor office",
    operation_id = "vendor_office_sign_in_form",
    responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
pub async fn sign_in_form(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in_form::<VendorOffice>(app, &call)
}

/// `POST /vendor-office/login`: signs a vendor admin in (throttled like
/// `POST /v1/vendor-sessions`, through the same code) and keeps the session in the vendor
/// office's cookie.
#[utoipa::path(post, path = "/vendor-office/login", tag = "vendor office",
    operation_id = "vendor_office_sign_in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, csrf"),
    responses((status = 303, description = "Signed in: to the home page, with the cookie"),
        (status = 401, description = "The form again: unknown e-mail or wrong password", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 429, description = "Too many failed attempts", content_type = "text/html")))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in::<VendorOffice>(app, call).await
}

/// `POST /vendor-office/logout`: clears the vendor office's cookie. The session token is
/// sealed and kept by no server, as the API's: signing out ends it in this browser, and a copy
/// taken before works until `admin.operator_session_ttl_ms` runs out.
#[utoipa::path(post, path = "/vendor-office/logout", tag = "vendor office",
    operation_id = "vendor_office_sign_out",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Signed out: to the sign-in form"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    office::sign_out::<VendorOffice>(app, &call).await
}

/// `GET /vendor-office`: the home page, with the menu of the pages the admin may read.
#[utoipa::path(get, path = "/vendor-office", tag = "vendor office",
    operation_id = "vendor_office_home",
    responses((status = 200, description = "The home page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn home(app: &App, call: Call<'_>) -> Outcome {
    office::home::<VendorOffice>(app, &call).await
}

/// `GET /vendor-office/sales`: the figures of `GET /v1/vendors/me/summary`.
#[utoipa::path(get, path = "/vendor-office/sales", tag = "vendor office",
    operation_id = "vendor_office_sales",
    responses((status = 200, description = "The sales page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn sales(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    reads::sales(&seat).await
}

/// `GET /vendor-office/disputes?cursor=`: the disputes of the vendor's sales, oldest filed
/// first, each member by `member_ref`.
#[utoipa::path(get, path = "/vendor-office/disputes", tag = "vendor office",
    operation_id = "vendor_office_disputes",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of disputes", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn disputes(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    reads::disputes(&seat).await
}

/// `GET /vendor-office/payouts?cursor=`: the vendor's payouts, newest first.
#[utoipa::path(get, path = "/vendor-office/payouts", tag = "vendor office",
    operation_id = "vendor_office_payouts",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of payouts", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn payouts(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    reads::payouts(&seat)
}

/// `GET /vendor-office/api-keys`: the form that rotates the vendor's API key.
#[utoipa::path(get, path = "/vendor-office/api-keys", tag = "vendor office",
    operation_id = "vendor_office_api_keys",
    responses((status = 200, description = "The rotation form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn api_keys(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    forms::api_keys(&seat)
}

/// `POST /vendor-office/api-keys`: rotates the vendor's API key, as
/// `POST /v1/vendors/me/api-keys` does, and shows the new key on the answer, once.
#[utoipa::path(post, path = "/vendor-office/api-keys", tag = "vendor office",
    operation_id = "vendor_office_rotate_api_key",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 200, description = "Rotated: the new key, shown once", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn rotate_api_key(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    forms::rotate(&seat, &Form::parse(&call.body)).await
}

/// `GET /vendor-office/incentive-programs`: the form that creates a program of the vendor's
/// own.
#[utoipa::path(get, path = "/vendor-office/incentive-programs", tag = "vendor office",
    operation_id = "vendor_office_incentive_programs",
    responses((status = 200, description = "The program form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn incentive_programs(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    forms::programs(&seat)
}

/// `POST /vendor-office/incentive-programs`: creates a program of the vendor's own in its
/// currency, as `POST /v1/incentive-programs` does.
#[utoipa::path(post, path = "/vendor-office/incentive-programs", tag = "vendor office",
    operation_id = "vendor_office_create_incentive_program",
    request_body(content_type = "application/x-www-form-urlencoded", description = "code, amount, budget, expires_at, csrf"),
    responses((status = 201, description = "Created: the program's id and code", content_type = "text/html"),
        (status = 400, description = "The form again with its error", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn create_incentive_program(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    forms::create_program(&seat, &Form::parse(&call.body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_of_the_menu_is_a_vendor_function_of_the_route_table() {
        let functions = crate::http::routes::vendor_functions();
        for (_, function, path) in PAGES {
            assert!(functions.contains(&function), "{function}");
            assert!(office::owns::<VendorOffice>(path), "{path}");
        }
        let sections: Vec<Section> = PAGES.iter().map(|(section, ..)| *section).collect();
        assert_eq!(sections, Section::ALL);
    }
}
