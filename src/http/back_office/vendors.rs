//! Vendors on a page ([0149]): every vendor, pending first, and an operator's approval or
//! rejection of one that registered itself, through `vendor_standing_api::decide` like
//! `POST /admin/v1/vendors/{vendor_id}/approval`.

use hyper::StatusCode;

use super::{Form, Outcome, Seat, approve_field};
use crate::domain::vendor_standing::VendorStatus;
use crate::http::dto::id_field;
use crate::http::error::ApiError;
use crate::http::vendor_standing_api::{self, VendorDecision};
use crate::web::back_office::{self as pages, FormError, Notice, Section, VendorRow, VendorsView};

/// The page's path.
const VENDORS_PATH: &str = "/back-office/vendors";
/// The security function that shows the approval forms.
const APPROVE: &str = "vendors.approve";

/// The vendors page, with `error` about the form posted.
pub(super) fn page(seat: &Seat<'_>, status: StatusCode, error: Option<FormError>) -> Outcome {
    let mut vendors: Vec<_> = seat
        .app
        .registry
        .vendors()
        .into_iter()
        .map(|entry| {
            let standing = entry.standing.read().status;
            (standing, entry)
        })
        .collect();
    // Pending first (the work), then by registration.
    vendors.sort_by_key(|(standing, entry)| {
        (
            *standing != VendorStatus::Pending,
            entry.profile.registered_at,
            entry.profile.id,
        )
    });
    let ids: Vec<String> = vendors
        .iter()
        .map(|(_, entry)| entry.profile.id.to_string())
        .collect();
    let actions: Vec<String> = ids
        .iter()
        .map(|id| seat.browser.path(&format!("{VENDORS_PATH}/{id}/approval")))
        .collect();
    let rows: Vec<VendorRow<'_>> = vendors
        .iter()
        .zip(&ids)
        .zip(&actions)
        .map(|(((standing, entry), id), action)| VendorRow {
            id,
            name: &entry.profile.name,
            currency: entry.profile.currency.code(),
            status: *standing,
            action,
        })
        .collect();
    let view = VendorsView {
        desk: seat.desk(Section::Vendors, error),
        rows: &rows,
        can_approve: seat.holds(APPROVE),
    };
    seat.respond(status, pages::vendors_page(&view, seat.browser.lang(None)))
}

/// Decides vendor `id` from its form, then back to the vendors with a notice; the page
/// again with the form's error for a missing reason or fee.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` for a malformed id or `approve`; `NotFound`; those of
/// `vendor_standing_api::decide`.
pub(super) async fn decide(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let entry = seat
        .app
        .registry
        .vendor(id_field(id, "vendor_id")?)
        .ok_or(ApiError::NotFound)?;
    let approve = approve_field(form)?;
    let fee = form
        .get("fee_ppm")
        .map(str::trim)
        .filter(|fee| !fee.is_empty());
    let fee_ppm = match fee.map(str::parse::<u32>) {
        None => None,
        Some(Ok(fee_ppm)) => Some(fee_ppm),
        Some(Err(_)) => return page(seat, StatusCode::BAD_REQUEST, Some(FormError::FeeInvalid)),
    };
    let decision = VendorDecision {
        approve,
        reason: form.get("reason").unwrap_or("").to_owned(),
        fee_ppm,
    };
    match vendor_standing_api::decide(seat.app, seat.staff, &entry, &decision).await {
        Ok(()) => {
            let notice = if approve {
                Notice::VendorApproved
            } else {
                Notice::VendorRejected
            };
            seat.done(VENDORS_PATH, notice)
        }
        Err(ApiError::InvalidField { param, .. }) if param == "reason" || param == "fee_ppm" => {
            let error = if param == "reason" {
                FormError::ReasonInvalid
            } else {
                FormError::FeeInvalid
            };
            page(seat, StatusCode::BAD_REQUEST, Some(error))
        }
        Err(error) => Err(error),
    }
}
