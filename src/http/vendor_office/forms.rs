//! The vendor office's forms: rotating the API key (`vendor_standing_api::rotate_key`, as
//! `POST /v1/vendors/me/api-keys`) and creating an incentive program of the vendor's own
//! (`incentive_api::vendor_program`, as `POST /v1/incentive-programs`).
//!
//! Both answer with the page itself rather than a redirect: the new key must be shown once and
//! kept nowhere to be shown again, and the new program's id is what the vendor's servers need
//! for grants. A reload asks the browser to post again, which it warns about.

use hyper::StatusCode;
use serde_json::Value;

use super::{Form, Outcome, Seat};
use crate::domain::reject::Reject;
use crate::http::dto::ProgramRequest;
use crate::http::error::ApiError;
use crate::http::incentive_api::vendor_program;
use crate::http::vendor_standing_api::rotate_key;
use crate::web::vendor_office::{
    self as pages, ApiKeysView, CreatedProgram, FormError, ProgramFields, ProgramsView, RotatedKey,
    Section,
};

/// The API keys page's path (its form posts there too).
const API_KEYS_PATH: &str = "/vendor-office/api-keys";
/// The incentive programs page's path (its form posts there too).
const PROGRAMS_PATH: &str = "/vendor-office/incentive-programs";

/// The API keys page: the rotation form.
pub(super) fn api_keys(seat: &Seat<'_>) -> Outcome {
    let action = seat.browser.path(API_KEYS_PATH);
    let view = ApiKeysView {
        action: &action,
        rotated: None,
    };
    let desk = seat.desk(Section::ApiKeys, None);
    let html = pages::api_keys_page(&desk, &view, seat.browser.lang(None));
    seat.respond(StatusCode::OK, html)
}

/// Rotates the vendor's API key and shows the new one.
///
/// # Errors
/// `CsrfFailed`; those of `vendor_standing_api::rotate_key`.
pub(super) async fn rotate(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let rotated = rotate_key(seat.app, &seat.caller).await?;
    let action = seat.browser.path(API_KEYS_PATH);
    let view = ApiKeysView {
        action: &action,
        rotated: Some(RotatedKey {
            api_key: &rotated.api_key,
            previous_valid_until: &rotated.previous_key_valid_until,
        }),
    };
    let desk = seat.desk(Section::ApiKeys, None);
    let html = pages::api_keys_page(&desk, &view, seat.browser.lang(None));
    seat.respond(StatusCode::OK, html)
}

/// The incentive programs page: the empty form.
pub(super) fn programs(seat: &Seat<'_>) -> Outcome {
    programs_page(seat, StatusCode::OK, ProgramFields::default(), None, None)
}

/// Creates a program of the vendor's own from the form; the form again with its error for a
/// field the API would refuse.
///
/// # Errors
/// `CsrfFailed`; those of `incentive_api::vendor_program` that no field can fix (too many
/// programs, an unsupported currency, faults).
pub(super) async fn create_program(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let fields = ProgramFields {
        code: form.get("code").unwrap_or(""),
        amount: form.get("amount").unwrap_or(""),
        budget: form.get("budget").unwrap_or(""),
        expires_at: form.get("expires_at").unwrap_or(""),
    };
    let request = ProgramRequest {
        code: fields.code.to_owned(),
        amount: Value::String(fields.amount.trim().to_owned()),
        // The vendor's own currency: the only one its programs may be in.
        currency: seat.caller.profile.currency.code().to_owned(),
        expires_at: expiry(fields.expires_at),
        budget: Value::String(fields.budget.trim().to_owned()),
        scope: None,
        vendor_group_id: None,
    };
    match vendor_program(seat.app, &seat.caller.profile, &request).await {
        Ok(created) => {
            let created = CreatedProgram {
                program_id: &created.program_id,
                code: &created.code,
            };
            let empty = ProgramFields::default();
            programs_page(seat, StatusCode::CREATED, empty, Some(created), None)
        }
        Err(error) => match form_error(&error) {
            Some(refused) => {
                programs_page(seat, StatusCode::BAD_REQUEST, fields, None, Some(refused))
            }
            None => Err(error),
        },
    }
}

/// The programs page with `fields` in the form.
fn programs_page(
    seat: &Seat<'_>,
    status: StatusCode,
    fields: ProgramFields<'_>,
    created: Option<CreatedProgram<'_>>,
    error: Option<FormError>,
) -> Outcome {
    let action = seat.browser.path(PROGRAMS_PATH);
    let view = ProgramsView {
        action: &action,
        currency: seat.caller.profile.currency.code(),
        fields,
        created,
    };
    let desk = seat.desk(Section::IncentivePrograms, error);
    let html = pages::programs_page(&desk, &view, seat.browser.lang(None));
    seat.respond(status, html)
}

/// The expiry as the API takes it. A `datetime-local` field sends `2026-12-31T23:59` (or with
/// seconds) and no zone; the form says the time is UTC, so `Z` is added. Anything else goes
/// on as typed, for the API's parser to accept or refuse; empty means none.
fn expiry(field: &str) -> Option<String> {
    let field = field.trim();
    match field.len() {
        0 => None,
        16 => Some(format!("{field}:00Z")),
        19 => Some(format!("{field}Z")),
        _ => Some(field.to_owned()),
    }
}

/// The form's error for a refusal a field can fix; `None` for the others (an error page).
fn form_error(error: &ApiError) -> Option<FormError> {
    match error {
        ApiError::InvalidField { param: "code", .. } => Some(FormError::CodeInvalid),
        ApiError::InvalidAmount { param: "amount" } => Some(FormError::AmountInvalid),
        ApiError::InvalidAmount { param: "budget" }
        | ApiError::InvalidField {
            param: "budget", ..
        }
        | ApiError::Reject(Reject::AmountTooLarge) => Some(FormError::BudgetInvalid),
        ApiError::InvalidField {
            param: "expires_at",
            ..
        }
        | ApiError::Reject(Reject::IncentiveExpired) => Some(FormError::ExpiryInvalid),
        ApiError::Reject(Reject::IncentiveCodeTaken) => Some(FormError::CodeTaken),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_as_utc() {
        assert_eq!(expiry(""), None);
        assert_eq!(expiry("  "), None);
        assert_eq!(
            expiry("2026-12-31T23:59").as_deref(),
            Some("2026-12-31T23:59:00Z")
        );
        assert_eq!(
            expiry("2026-12-31T23:59:30").as_deref(),
            Some("2026-12-31T23:59:30Z")
        );
        assert_eq!(
            expiry("2026-12-31T23:59:30+09:00").as_deref(),
            Some("2026-12-31T23:59:30+09:00")
        );
    }

    #[test]
    fn only_what_a_field_can_fix_is_a_form_error() {
        let invalid = |param| ApiError::InvalidField {
            param,
            detail: String::new(),
        };
        assert_eq!(form_error(&invalid("code")), Some(FormError::CodeInvalid));
        assert_eq!(
            form_error(&invalid("expires_at")),
            Some(FormError::ExpiryInvalid)
        );
        assert_eq!(
            form_error(&ApiError::InvalidAmount { param: "amount" }),
            Some(FormError::AmountInvalid)
        );
        assert_eq!(
            form_error(&ApiError::Reject(Reject::IncentiveCodeTaken)),
            Some(FormError::CodeTaken)
        );
        assert_eq!(
            form_error(&ApiError::Reject(Reject::IncentiveQuotaExceeded)),
            None
        );
        assert_eq!(form_error(&invalid("scope")), None);
        assert_eq!(form_error(&ApiError::Overloaded), None);
    }
}
