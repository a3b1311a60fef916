//! The disputes queue on a page ([0255]-[0260]): the pending disputes, oldest filed first,
//! and the operator's decision, through `dispute_api::decide` like
//! `POST /admin/v1/disputes/{id}/decision`.

use hyper::StatusCode;

use super::{Form, Outcome, Seat, approve_field};
use crate::actors::disputes::{DisputePage, dispute_key};
use crate::domain::dispute::DisputeStatus;
use crate::http::dispute_api::{self, open_cursor, seal_cursor};
use crate::http::error::ApiError;
use crate::http::json::rfc3339;
use crate::web::back_office::{
    self as pages, DisputeRow, DisputesView, FormError, Notice, Section,
};

/// The queue's path.
const QUEUE_PATH: &str = "/back-office/disputes";
/// Disputes on one page of the queue.
const ROWS_MAX: usize = 50;
/// The security function that shows the decision forms.
const DECIDE: &str = "disputes.decide";

/// The queue page (`?cursor=` for a later page), with `error` about the form posted.
///
/// # Errors
/// `InvalidField` for a cursor this server did not make; the gateway's faults.
pub(super) async fn queue(seat: &Seat<'_>, error: Option<FormError>) -> Outcome {
    let app = seat.app;
    let mut after = None;
    for (name, value) in url::form_urlencoded::parse(seat.query.unwrap_or("").as_bytes()).take(8) {
        if name == "cursor" {
            after = Some(open_cursor(app, &value).ok_or(ApiError::InvalidField {
                param: "cursor",
                detail: "a link of a previous page".to_owned(),
            })?);
        }
    }
    let page = DisputePage {
        after,
        limit: ROWS_MAX,
        status: Some(DisputeStatus::Pending),
    };
    let found = app.registry.disputes(page).await?;
    let ids: Vec<String> = found
        .iter()
        .map(|(account, dispute)| app.dispute_id(*account, dispute.authorization))
        .collect();
    let actions: Vec<String> = ids
        .iter()
        .map(|id| seat.browser.path(&format!("{QUEUE_PATH}/{id}/decision")))
        .collect();
    let filed: Vec<String> = found.iter().map(|(_, d)| rfc3339(d.filed_at)).collect();
    let vendors: Vec<String> = found
        .iter()
        .map(|(_, dispute)| {
            app.registry.vendor(dispute.vendor).map_or_else(
                || dispute.vendor.to_string(),
                |entry| entry.profile.name.clone(),
            )
        })
        .collect();
    let rows: Vec<DisputeRow<'_>> = found
        .iter()
        .zip(&ids)
        .zip(&actions)
        .zip(&filed)
        .zip(&vendors)
        .map(
            |(((((_, dispute), id), action), filed_at), vendor)| DisputeRow {
                id,
                action,
                filed_at,
                amount: dispute.amount,
                currency: dispute.currency,
                vendor,
                reason: &dispute.reason,
            },
        )
        .collect();
    let next = found
        .last()
        .filter(|_| found.len() == ROWS_MAX)
        .map(|(account, dispute)| {
            let cursor = seal_cursor(app, dispute_key(*account, dispute));
            seat.link(QUEUE_PATH, &[("cursor", &cursor)])
        });
    let view = DisputesView {
        desk: seat.desk(Section::Disputes, error),
        rows: &rows,
        can_decide: seat.holds(DECIDE),
        next_href: next.as_deref(),
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    seat.respond(status, pages::disputes_page(&view, seat.browser.lang(None)))
}

/// Decides dispute `id` from its form, then back to the queue with a notice; the queue again
/// with the form's error for a missing or long reason.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` for `approve`; those of `dispute_api::decide`.
pub(super) async fn decide(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let approve = approve_field(form)?;
    let reason = form.get("reason").unwrap_or("");
    match dispute_api::decide(seat.app, id, approve, reason).await {
        Ok(_) => {
            let notice = if approve {
                Notice::DisputeApproved
            } else {
                Notice::DisputeRejected
            };
            seat.done(QUEUE_PATH, notice)
        }
        Err(ApiError::InvalidField {
            param: "reason", ..
        }) => queue(seat, Some(FormError::ReasonInvalid)).await,
        Err(error) => Err(error),
    }
}
