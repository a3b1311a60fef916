//! Vendors on a page ([0149]): every vendor, pending first, and an operator's approval or
//! rejection of one that registered itself, through `vendor_standing_api::decide` like
//! `POST /admin/v1/vendors/{vendor_id}/approval`; and, for an approved vendor, its fee
//! through `settlement_api::update_fee_schedule` like
//! `PUT /admin/v1/vendors/{vendor_id}/fee-schedule`, and its settlement settings through
//! `settlement_api::set_settlement` like `PUT /admin/v1/vendors/{vendor_id}/settlement`.
//! The forms build the JSON route's request and hand it over; no rule is checked here.

use hyper::StatusCode;
use serde_json::Value;

use super::{Form, Outcome, Seat, approve_field};
use crate::actors::registry::VendorEntry;
use crate::domain::payouts::Payee;
use crate::domain::vendor_standing::VendorStatus;
use crate::http::dto::id_field;
use crate::http::error::ApiError;
use crate::http::settlement_api;
use crate::http::settlement_dto::{
    FeeScheduleRequest, PayeeBankRequest, ScheduleRequest, SettlementRequest, TierRequest,
};
use crate::http::vendor_standing_api::{self, VendorDecision};
use crate::web::back_office::{self as pages, FormError, Notice, Section, VendorRow, VendorsView};

/// The page's path.
const VENDORS_PATH: &str = "/back-office/vendors";
/// The security function that shows the approval forms.
const APPROVE: &str = "vendors.approve";
/// The security function that shows the fee forms.
const SET_FEE: &str = "fees.update";
/// The security function that shows the settlement forms.
const SET_SETTLEMENT: &str = "settlement_settings.update";

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
    // Each vendor's three form actions: approval, fee schedule, settlement.
    let actions: Vec<[String; 3]> = ids
        .iter()
        .map(|id| {
            ["approval", "fee-schedule", "settlement"]
                .map(|form| seat.browser.path(&format!("{VENDORS_PATH}/{id}/{form}")))
        })
        .collect();
    let rows: Vec<VendorRow<'_>> = vendors
        .iter()
        .zip(&ids)
        .zip(&actions)
        .map(
            |(((standing, entry), id), [action, fee_action, settlement_action])| VendorRow {
                id,
                name: &entry.profile.name,
                currency: entry.profile.currency.code(),
                status: *standing,
                action,
                fee_action,
                settlement_action,
            },
        )
        .collect();
    let view = VendorsView {
        desk: seat.desk(Section::Vendors, error),
        rows: &rows,
        can_approve: seat.holds(APPROVE),
        can_set_fee: seat.holds(SET_FEE),
        can_set_settlement: seat.holds(SET_SETTLEMENT),
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
    match vendor_standing_api::decide(seat.app, seat.caller, &entry, &decision).await {
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

/// The vendor a form names by `id`.
///
/// # Errors
/// `InvalidField` for a malformed id; `NotFound`.
fn vendor_entry(seat: &Seat<'_>, id: &str) -> Result<VendorEntry, ApiError> {
    seat.app
        .registry
        .vendor(id_field(id, "vendor_id")?)
        .ok_or(ApiError::NotFound)
}

/// Sets vendor `id`'s fee from its form (`rate_ppm`: one flat rate, monthly) as a
/// `FeeScheduleRequest` through `settlement_api::update_fee_schedule`, then back to the
/// vendors with a notice; the page again with the form's error for a rate the request refuses.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` for a malformed id; `NotFound`; those of
/// `settlement_api::update_fee_schedule` other than the rate's.
pub(super) async fn set_fee(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let entry = vendor_entry(seat, id)?;
    let Some(rate_ppm) = form
        .get("rate_ppm")
        .and_then(|rate| rate.trim().parse::<u32>().ok())
    else {
        return page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::FeeRateInvalid),
        );
    };
    let request = FeeScheduleRequest {
        period: "month".to_owned(),
        tiers: vec![TierRequest {
            from_gross: Value::String("0".to_owned()),
            rate_ppm,
        }],
    };
    match settlement_api::update_fee_schedule(seat.app, &entry, request).await {
        Ok(_) => seat.done(VENDORS_PATH, Notice::VendorFeeSet),
        // The period and the tier's start are fixed above, so a refused request is the rate's.
        Err(ApiError::InvalidField { .. } | ApiError::InvalidAmount { .. }) => page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::FeeRateInvalid),
        ),
        Err(error) => Err(error),
    }
}

/// Sets when and where vendor `id` is paid from its form (`threshold`, `minimum`,
/// `schedule_kind`, `schedule_day`, `iban`, `bic`, `account_name`) as a `SettlementRequest`
/// through `settlement_api::set_settlement`, then back to the vendors with a notice; the page
/// again with the field's error for a value the request refuses. The page shown again never
/// carries what was typed: bank details are not echoed.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` for a malformed id; `NotFound`; those of
/// `settlement_api::set_settlement` other than its fields'.
pub(super) async fn set_settlement(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let entry = vendor_entry(seat, id)?;
    let field = |name: &str| form.get(name).unwrap_or("").trim().to_owned();
    let Ok(day) = field("schedule_day").parse::<u8>() else {
        return page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::ScheduleInvalid),
        );
    };
    let bic = field("bic");
    let request = SettlementRequest {
        threshold: Value::String(field("threshold")),
        schedule: ScheduleRequest {
            kind: field("schedule_kind"),
            day,
        },
        minimum: Value::String(field("minimum")),
        bank_account: PayeeBankRequest {
            iban: field("iban"),
            bic: (!bic.is_empty()).then_some(bic),
            name: field("account_name"),
        },
    };
    let payee = Payee::Vendor(entry.profile.id);
    match settlement_api::set_settlement(seat.app, payee, request).await {
        Ok(_) => seat.done(VENDORS_PATH, Notice::VendorSettlementSet),
        Err(ApiError::InvalidAmount { .. }) => page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::SettlementAmountInvalid),
        ),
        Err(ApiError::InvalidField { param, .. }) if param.starts_with("schedule") => page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::ScheduleInvalid),
        ),
        Err(ApiError::InvalidField { param, .. }) if param.starts_with("bank_account") => page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::BankAccountInvalid),
        ),
        Err(error) => Err(error),
    }
}
