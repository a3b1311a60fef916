//! The vendor office's reading pages: sales, disputes and payouts, each filled from the very
//! wire view its JSON route answers (`vendor_api::vendor_summary`,
//! `dispute_api::vendor_dispute_page`, `settlement_api::newest_payouts` with
//! `PayoutView::of`), so a page shows the figures and the fields the API does and no others.

use hyper::StatusCode;

use super::{Outcome, Seat};
use crate::actors::disputes::DisputePage;
use crate::domain::payouts::Payee;
use crate::http::dispute_api::{open_cursor, vendor_dispute_page};
use crate::http::error::ApiError;
use crate::http::settlement_api::newest_payouts;
use crate::http::settlement_dto::PayoutView;
use crate::http::vendor_api::vendor_summary;
use crate::web::vendor_office::{
    self as pages, DisputeRow, DisputesView, PayoutRow, PayoutsView, SalesLine, SalesView, Section,
};

/// The disputes page's path.
const DISPUTES_PATH: &str = "/vendor-office/disputes";
/// The payouts page's path.
const PAYOUTS_PATH: &str = "/vendor-office/payouts";
/// Rows on one page of a list: the API's default page.
const ROWS_MAX: usize = crate::http::dto::PAGE_DEFAULT;

/// The sales page.
///
/// # Errors
/// The gateway's faults.
pub(super) async fn sales(seat: &Seat<'_>) -> Outcome {
    let summary = vendor_summary(seat.app, &seat.caller).await?;
    let lines: Vec<SalesLine<'_>> = summary
        .currencies
        .iter()
        .map(|line| SalesLine {
            currency: &line.currency,
            sales: line.sales,
            gross: &line.gross,
            fees: &line.fees,
            incentives_msp: &line.incentives_msp,
            incentives_own: &line.incentives_own,
            royalties_withheld: &line.royalties_withheld,
            commissions: &line.commissions,
            net_payable: &line.net_payable,
            settled: &line.settled,
            unsettled: &line.unsettled,
            tier: line.period.tier,
            period_fee_base: &line.period.fee_base,
            period_fees: &line.period.fees,
        })
        .collect();
    let settlement = summary.settlement.as_ref();
    let view = SalesView {
        desk: seat.desk(Section::Sales, None),
        fee_ppm: summary.fee_ppm,
        period: &summary.fee_schedule.period,
        next_settlement: settlement.map(|s| s.next_settlement.as_str()),
        bank_account: settlement.map(|s| s.bank_account.as_str()),
        lines: &lines,
    };
    seat.respond(
        StatusCode::OK,
        pages::sales_page(&view, seat.browser.lang(None)),
    )
}

/// The disputes page (`?cursor=` for a later page).
///
/// # Errors
/// `InvalidField` for a cursor this server did not make; the gateway's faults.
pub(super) async fn disputes(seat: &Seat<'_>) -> Outcome {
    let after = match seat.query_param("cursor") {
        None => None,
        Some(cursor) => Some(
            open_cursor(seat.app, &cursor).ok_or(ApiError::InvalidField {
                param: "cursor",
                detail: "a link of a previous page".to_owned(),
            })?,
        ),
    };
    let page = DisputePage {
        after,
        limit: ROWS_MAX,
        status: None,
    };
    let found = vendor_dispute_page(seat.app, &seat.caller, page).await?;
    let rows: Vec<DisputeRow<'_>> = found
        .disputes
        .iter()
        .map(|dispute| DisputeRow {
            id: &dispute.dispute_id,
            member_ref: dispute.member_ref.as_deref().unwrap_or(""),
            status: &dispute.status,
            amount: &dispute.amount,
            currency: &dispute.currency,
            purchased_at: &dispute.purchased_at,
            filed_at: &dispute.filed_at,
            decision_reason: dispute.decision_reason.as_deref(),
        })
        .collect();
    let next = found
        .next_cursor
        .as_deref()
        .map(|cursor| seat.link(DISPUTES_PATH, &[("cursor", cursor)]));
    let view = DisputesView {
        desk: seat.desk(Section::Disputes, None),
        rows: &rows,
        next_href: next.as_deref(),
    };
    seat.respond(
        StatusCode::OK,
        pages::disputes_page(&view, seat.browser.lang(None)),
    )
}

/// The payouts page (`?cursor=` for older payouts).
///
/// # Errors
/// `InvalidField` for a cursor of another shape.
pub(super) fn payouts(seat: &Seat<'_>) -> Outcome {
    let cursor = match seat.query_param("cursor") {
        None => None,
        Some(cursor) => Some(
            cursor
                .parse::<usize>()
                .map_err(|_| ApiError::InvalidField {
                    param: "cursor",
                    detail: "a link of a previous page".to_owned(),
                })?,
        ),
    };
    let settled = seat.app.registry.settled();
    let payee = Payee::Vendor(seat.caller.profile.id);
    let (found, next) = newest_payouts(&settled, Some(payee), cursor, ROWS_MAX);
    let views: Vec<PayoutView> = found.into_iter().map(PayoutView::of).collect();
    let rows: Vec<PayoutRow<'_>> = views
        .iter()
        .map(|payout| PayoutRow {
            id: &payout.payout_id,
            amount: &payout.amount,
            currency: &payout.currency,
            paid_at: &payout.paid_at,
            bank_account: &payout.bank_account,
            returned: payout.returned.as_ref().map(|r| r.reason.as_str()),
        })
        .collect();
    let next = next.map(|cursor| seat.link(PAYOUTS_PATH, &[("cursor", &cursor)]));
    let view = PayoutsView {
        desk: seat.desk(Section::Payouts, None),
        rows: &rows,
        next_href: next.as_deref(),
    };
    seat.respond(
        StatusCode::OK,
        pages::payouts_page(&view, seat.browser.lang(None)),
    )
}
