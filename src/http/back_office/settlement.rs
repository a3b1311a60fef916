//! Settlement on a page ([0266]-[0271]): the runs, newest first, each with its payouts; a
//! form that starts a forced run through `settlement_api::start_run` like
//! `POST /admin/v1/settlement-runs`; and the payouts, newest first and paged as
//! `GET /admin/v1/payouts` pages them (`settlement_api::newest_payouts`), each with a form
//! that records the bank's return through `settlement_api::record_return` like
//! `POST /admin/v1/payouts/{id}/return`.
//!
//! The page's form carries no `Idempotency-Key`, unlike the API: a form sent twice makes two
//! runs, and the second pays only what became owed between them (a run pays what is owed
//! now, never the same money twice), so the worst a double click does is an empty run.

use std::cmp::Reverse;

use hyper::StatusCode;

use super::{Form, Outcome, Seat};
use crate::domain::ids::{PayoutId, SettlementRunId};
use crate::domain::payouts::{Payee, PayoutRecord, Run, RunScope, SettlementState};
use crate::http::app::App;
use crate::http::dto::id_field;
use crate::http::error::ApiError;
use crate::http::json::rfc3339;
use crate::http::settlement_api::{newest_payouts, record_return, start_run};
use crate::web::back_office::{
    self as pages, FormError, Notice, PayoutRow, ReturnedRow, RunPayout, RunRow, RunState, Section,
    SettlementView,
};

/// The page's path.
const SETTLEMENT_PATH: &str = "/back-office/settlement";
/// Where the form that starts a run posts.
const RUNS_PATH: &str = "/back-office/settlement-runs";
/// Payouts' paths: `{PAYOUTS_PATH}/{id}/return`.
const PAYOUTS_PATH: &str = "/back-office/payouts";
/// Runs on one page.
const RUNS_MAX: usize = 20;
/// Payouts listed in a run's row; the rest are counted (a run pays every payee owed, so it
/// can have thousands). The payouts list below pages through all of them.
const RUN_PAYOUTS_SHOWN_MAX: usize = 10;
/// Payouts on one page of the list: the API's default page.
const PAYOUTS_MAX: usize = crate::http::dto::PAGE_DEFAULT;
/// Query parameters read at most (two cursors, `lang`, `done`, and room for strays).
const PARAMS_MAX: usize = 8;
/// The security function that shows the form starting a run.
const CREATE: &str = "settlement_runs.create";
/// The security function that shows the payouts list.
const PAYOUTS_READ: &str = "payouts.read";
/// The security function that shows the return forms.
const RETURN: &str = "payouts.return";

/// Where each list of the page starts.
#[derive(Default)]
struct Cursors {
    /// Runs older than this one; `None` from the newest.
    runs: Option<SettlementRunId>,
    /// Payouts below this position, as `GET /admin/v1/payouts` writes it.
    payouts: Option<usize>,
}

/// A run as shown, its texts made once.
struct RunShown<'s> {
    /// The run.
    run: &'s Run,
    /// Its id.
    id: String,
    /// When it started, RFC 3339.
    started_at: String,
    /// Its first payouts: id, payee's name, record.
    payouts: Vec<(String, String, &'s PayoutRecord)>,
}

/// A payout as shown, its texts made once.
struct PayoutShown<'s> {
    /// The payout.
    record: &'s PayoutRecord,
    /// Its id.
    id: String,
    /// Its run's id.
    run: String,
    /// Its payee's id.
    payee_id: String,
    /// Its payee's name.
    payee: String,
    /// When it was made, RFC 3339.
    paid_at: String,
    /// When it was returned, RFC 3339.
    returned_at: Option<String>,
    /// Where its return form posts.
    action: String,
}

/// The settlement page (`?runs_cursor=`, `?payouts_cursor=` for later pages), with `error`
/// about the form posted.
///
/// # Errors
/// `InvalidField` for a cursor this server did not make.
pub(super) fn page(seat: &Seat<'_>, status: StatusCode, error: Option<FormError>) -> Outcome {
    let cursors = cursors(seat.query)?;
    let app = seat.app;
    let settled = app.registry.settled();
    let (runs, more_runs) = newest_runs(&settled, cursors.runs)?;
    let runs: Vec<RunShown<'_>> = runs
        .into_iter()
        .map(|run| RunShown {
            run,
            id: run.id.to_string(),
            started_at: rfc3339(run.at),
            payouts: run
                .payouts
                .iter()
                .filter_map(|id| settled.payout(*id))
                .take(RUN_PAYOUTS_SHOWN_MAX)
                .map(|record| {
                    let payee = payee_name(app, &settled, record.payout.payee);
                    (record.payout.id.to_string(), payee, record)
                })
                .collect(),
        })
        .collect();
    let run_rows: Vec<RunRow<'_>> = runs.iter().map(run_row).collect();
    let runs_next = runs
        .last()
        .filter(|_| more_runs)
        .map(|last| seat.link(SETTLEMENT_PATH, &[("runs_cursor", &last.id)]));

    let (payouts, payouts_next) = if seat.holds(PAYOUTS_READ) {
        let (found, next) = newest_payouts(&settled, None, cursors.payouts, PAYOUTS_MAX);
        let shown: Vec<PayoutShown<'_>> = found
            .into_iter()
            .map(|record| payout_shown(seat, &settled, record))
            .collect();
        let next = next.map(|cursor| seat.link(SETTLEMENT_PATH, &[("payouts_cursor", &cursor)]));
        (Some(shown), next)
    } else {
        (None, None)
    };
    let payout_rows: Option<Vec<PayoutRow<'_>>> = payouts
        .as_ref()
        .map(|payouts| payouts.iter().map(payout_row).collect());

    let start_action = seat.holds(CREATE).then(|| seat.browser.path(RUNS_PATH));
    let view = SettlementView {
        desk: seat.desk(Section::Settlement, error),
        start_action: start_action.as_deref(),
        runs: &run_rows,
        runs_next_href: runs_next.as_deref(),
        payouts: payout_rows.as_deref(),
        payouts_next_href: payouts_next.as_deref(),
        can_return: seat.holds(RETURN),
    };
    seat.respond(
        status,
        pages::settlement_page(&view, seat.browser.lang(None)),
    )
}

/// Starts a forced run from the page's form, then back to the page with a notice.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` without `force=yes`; those of `settlement_api::start_run`
/// (`settlement_run_in_progress` when another run has not finished).
pub(super) async fn start(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    // The page offers only a forced run: an operator at the page wants "pay what is owed
    // now"; a scheduled run is the tick's job, and a run for some payees only is the API's.
    // The form still names it (`force=yes`), so a post that does not say what it asks for
    // (a stray body, a script's guess) moves no money; it is not taken as the default.
    if form.get("force") != Some("yes") {
        return Err(ApiError::InvalidField {
            param: "force",
            detail: "yes: the page starts forced runs only".to_owned(),
        });
    }
    let scope = RunScope {
        payees: None,
        force: true,
    };
    start_run(seat.app, scope).await?;
    seat.done(SETTLEMENT_PATH, Notice::RunStarted)
}

/// Records payout `id`'s return from its form, then back to the page with a notice; the
/// page again with the form's error for a missing or long reason.
///
/// # Errors
/// `CsrfFailed`; `InvalidField` for a malformed id; those of `settlement_api::record_return`
/// (`payout_unknown`, `payout_returned_already`).
pub(super) async fn return_payout(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let payout: PayoutId = id_field(id, "id")?;
    let reason = form.get("reason").unwrap_or("");
    match record_return(seat.app, payout, reason).await {
        Ok(_) => seat.done(SETTLEMENT_PATH, Notice::PayoutReturned),
        Err(ApiError::InvalidField {
            param: "reason", ..
        }) => page(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::ReturnReasonInvalid),
        ),
        Err(error) => Err(error),
    }
}

/// The page's cursors from its query.
///
/// # Errors
/// `InvalidField` for a cursor of another shape.
fn cursors(query: Option<&str>) -> Result<Cursors, ApiError> {
    let mut cursors = Cursors::default();
    for (name, value) in
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).take(PARAMS_MAX)
    {
        match name.as_ref() {
            "runs_cursor" => cursors.runs = Some(id_field(&value, "runs_cursor")?),
            "payouts_cursor" => {
                let position = value.parse().map_err(|_| ApiError::InvalidField {
                    param: "payouts_cursor",
                    detail: "a link of a previous page".to_owned(),
                })?;
                cursors.payouts = Some(position);
            }
            _ => {}
        }
    }
    Ok(cursors)
}

/// Up to `RUNS_MAX` runs newest first (by start, then id, so two runs of one millisecond
/// keep an order), older than run `after` when given; and whether more follow. Sorts every
/// run: runs are made by an operator or the daily tick, so they number in the thousands
/// after years, and a page of them is read rarely.
///
/// # Errors
/// `InvalidField` when `after` names no run.
fn newest_runs(
    settled: &SettlementState,
    after: Option<SettlementRunId>,
) -> Result<(Vec<&Run>, bool), ApiError> {
    let below = match after {
        Some(id) => {
            let run = settled.runs.get(&id).ok_or(ApiError::InvalidField {
                param: "runs_cursor",
                detail: "a link of a previous page".to_owned(),
            })?;
            Some((run.at, run.id))
        }
        None => None,
    };
    let mut runs: Vec<&Run> = settled
        .runs
        .values()
        .filter(|run| below.is_none_or(|below| (run.at, run.id) < below))
        .collect();
    runs.sort_unstable_by_key(|run| Reverse((run.at, run.id)));
    let more = runs.len() > RUNS_MAX;
    runs.truncate(RUNS_MAX);
    Ok((runs, more))
}

/// A payee's name for people: the vendor's or rights holder's, else its id.
fn payee_name(app: &App, settled: &SettlementState, payee: Payee) -> String {
    let name = match payee {
        Payee::Vendor(id) => app
            .registry
            .vendor(id)
            .map(|entry| entry.profile.name.clone()),
        Payee::RightsHolder(id) => settled.rights_holders.get(&id).map(|h| h.name.clone()),
    };
    name.unwrap_or_else(|| payee.to_string())
}

/// A run's row.
fn run_row<'a>(shown: &'a RunShown<'_>) -> RunRow<'a> {
    let run = shown.run;
    RunRow {
        id: &shown.id,
        started_at: &shown.started_at,
        forced: run.forced,
        state: match &run.finished {
            None => RunState::Open,
            Some(None) => RunState::NoFile,
            Some(Some(file)) => RunState::Filed(file),
        },
        payouts: shown
            .payouts
            .iter()
            .map(|(id, payee, record)| RunPayout {
                id,
                payee,
                amount: record.payout.amount,
                currency: record.payout.currency,
            })
            .collect(),
        more: run.payouts.len().saturating_sub(shown.payouts.len()),
    }
}

/// A payout's texts.
fn payout_shown<'s>(
    seat: &Seat<'_>,
    settled: &SettlementState,
    record: &'s PayoutRecord,
) -> PayoutShown<'s> {
    let id = record.payout.id.to_string();
    let action = seat.browser.path(&format!("{PAYOUTS_PATH}/{id}/return"));
    PayoutShown {
        record,
        run: record.run.to_string(),
        payee_id: record.payout.payee.to_string(),
        payee: payee_name(seat.app, settled, record.payout.payee),
        paid_at: rfc3339(record.at),
        returned_at: record.returned.as_ref().map(|(_, at)| rfc3339(*at)),
        action,
        id,
    }
}

/// A payout's row.
fn payout_row<'a>(shown: &'a PayoutShown<'_>) -> PayoutRow<'a> {
    let payout = &shown.record.payout;
    PayoutRow {
        id: &shown.id,
        run: &shown.run,
        payee_id: &shown.payee_id,
        payee: &shown.payee,
        amount: payout.amount,
        currency: payout.currency,
        paid_at: &shown.paid_at,
        bank_account: &payout.bank.masked,
        returned: shown
            .record
            .returned
            .as_ref()
            .zip(shown.returned_at.as_deref())
            .map(|((reason, _), at)| ReturnedRow { reason, at }),
        action: &shown.action,
    }
}
