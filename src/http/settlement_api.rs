//! Vendor money over HTTP ([0149]-[0152], [0203]-[0211], [0252]-[0254], [0266]-[0271]):
//! operators set a vendor's fee schedule and commission rates, register rights holders, set
//! each payee's settlement settings, run settlement, list payouts and record the ones the bank
//! returned; a vendor lists its own payouts. Runs are made by `payouts::Payouts`.

use std::collections::BTreeSet;

use hyper::StatusCode;

use super::app::{App, KeyScope, new_id};
use super::error::{ApiError, Problem};
use super::idempotent::idempotent;
use super::json::{parse_json, rfc3339};
use super::router::json;
use super::routes::{Call, Outcome};
use super::settlement_dto::{
    CommissionRequest, FeeScheduleRequest, FeeScheduleView, PayoutView, PayoutsPage, ReturnRequest,
    RightsHolderCreated, RightsHolderRequest, RightsHolderView, ScheduleView, SettlementRequest,
    SettlementRunRequest, SettlementRunResponse, SettlementView, payee_field,
};
use crate::actors::messages::VendorTerms;
use crate::actors::registry::VendorEntry;
use crate::actors::settlement::SettlementCommand;
use crate::domain::ids::{Owner, PayoutId, RightsHolderId, SettlementRunId, VendorId};
use crate::domain::money::{Currency, format_amount, format_net_total, format_total};
use crate::domain::payouts::{Payee, PayoutRecord, RunScope, SettlementState};
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::payouts::{PayoutError, RunOutcome};

fn vendor_param(app: &App, call: &Call<'_>) -> Result<VendorEntry, ApiError> {
    let id: VendorId = super::dto::id_field(call.params.get("vendor_id")?, "vendor_id")?;
    app.registry.vendor(id).ok_or(ApiError::NotFound)
}

/// `PUT /admin/v1/vendors/{vendor_id}/fee-schedule`: the MSP's sliding-scale fee on the
/// vendor's sales; it prices the period it is set in and those after.
#[utoipa::path(put, path = "/admin/v1/vendors/{vendor_id}/fee-schedule", tag = "admin",
    request_body = FeeScheduleRequest,
    params(("vendor_id" = String, Path, description = "The vendor")),
    responses(
        (status = 200, description = "Set", body = FeeScheduleView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such vendor", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_fee_schedule(app: &App, call: Call<'_>) -> Outcome {
    let vendor = vendor_param(app, &call)?;
    let request: FeeScheduleRequest = parse_json(&call.body)?;
    let view = update_fee_schedule(app, &vendor, request).await?;
    Ok(json(StatusCode::OK, &view))
}

/// Sets `vendor`'s fee schedule to `request`: the one path of both doors,
/// `PUT /admin/v1/vendors/{vendor_id}/fee-schedule` and the back office's fee form.
///
/// # Errors
/// Those of `FeeScheduleRequest::into_schedule` (`InvalidField`, `InvalidAmount`); `Reject`
/// and faults from the vendor's actor.
pub(crate) async fn update_fee_schedule(
    app: &App,
    vendor: &VendorEntry,
    request: FeeScheduleRequest,
) -> Result<FeeScheduleView, ApiError> {
    let schedule = request.into_schedule()?;
    let view = FeeScheduleView::of(&schedule, vendor.profile.currency);
    app.registry
        .set_vendor_terms(vendor, VendorTerms::FeeSchedule(schedule), app.now())
        .await?;
    Ok(view)
}

/// `PUT /admin/v1/vendors/{vendor_id}/commission`: what the vendor earns on purchases by
/// members it referred and on funds bought through its site.
#[utoipa::path(put, path = "/admin/v1/vendors/{vendor_id}/commission", tag = "admin",
    request_body = CommissionRequest,
    params(("vendor_id" = String, Path, description = "The vendor")),
    responses(
        (status = 200, description = "Set", body = CommissionRequest),
        (status = 400, description = "A rate above 1000000", body = Problem),
        (status = 404, description = "No such vendor", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_commission(app: &App, call: Call<'_>) -> Outcome {
    let vendor = vendor_param(app, &call)?;
    let request: CommissionRequest = parse_json(&call.body)?;
    let rates = request.into_rates()?;
    app.registry
        .set_vendor_terms(&vendor, VendorTerms::Commission(rates), app.now())
        .await?;
    Ok(json(
        StatusCode::OK,
        &CommissionRequest {
            referral_rate_ppm: rates.referral_rate_ppm,
            funds_rate_ppm: rates.funds_rate_ppm,
        },
    ))
}

/// `PUT /admin/v1/vendors/{vendor_id}/settlement`: when and where the vendor is paid.
#[utoipa::path(put, path = "/admin/v1/vendors/{vendor_id}/settlement", tag = "admin",
    request_body = SettlementRequest,
    params(("vendor_id" = String, Path, description = "The vendor")),
    responses(
        (status = 200, description = "Set", body = SettlementView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such vendor", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_vendor_settlement(app: &App, call: Call<'_>) -> Outcome {
    let vendor = vendor_param(app, &call)?;
    let request: SettlementRequest = parse_json(&call.body)?;
    let view = set_settlement(app, Payee::Vendor(vendor.profile.id), request).await?;
    Ok(json(StatusCode::OK, &view))
}

/// `PUT /admin/v1/rights-holders/{id}/settlement`: when and where the rights holder is paid.
#[utoipa::path(put, path = "/admin/v1/rights-holders/{id}/settlement", tag = "admin",
    request_body = SettlementRequest,
    params(("id" = String, Path, description = "The rights holder")),
    responses(
        (status = 200, description = "Set", body = SettlementView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 422, description = "No such rights holder", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_rights_holder_settlement(app: &App, call: Call<'_>) -> Outcome {
    let holder: RightsHolderId = super::dto::id_field(call.params.get("id")?, "id")?;
    let request: SettlementRequest = parse_json(&call.body)?;
    let view = set_settlement(app, Payee::RightsHolder(holder), request).await?;
    Ok(json(StatusCode::OK, &view))
}

/// Sets when and where `payee` is paid to `request`, the bank details sealed: the one path
/// of `PUT /admin/v1/vendors/{vendor_id}/settlement`, `PUT /admin/v1/rights-holders/{id}/settlement`
/// and the back office's settlement form. Answers the settings as shown (bank masked).
///
/// # Errors
/// Those of `SettlementRequest::into_parts` (`InvalidField`, `InvalidAmount`); `Reject` and
/// faults from the settlement actor; `NotFound` for a payee without a currency.
pub(crate) async fn set_settlement(
    app: &App,
    payee: Payee,
    request: SettlementRequest,
) -> Result<SettlementView, ApiError> {
    let (rule, bank) = request.into_parts()?;
    let sealed = app.payouts.seal(&bank);
    app.registry
        .settlement_command(SettlementCommand::Settings {
            payee,
            rule,
            bank: sealed,
        })
        .await?;
    let settled = app.registry.settled();
    let currency = payee_currency(app, &settled, payee).ok_or(ApiError::NotFound)?;
    settlement_view(&settled, payee, currency, app.now()).ok_or(ApiError::NotFound)
}

/// A payee's settings as shown, amounts in its currency (a vendor's or a rights holder's).
#[must_use]
pub fn settlement_view(
    settled: &SettlementState,
    payee: Payee,
    currency: Currency,
    now: Timestamp,
) -> Option<SettlementView> {
    let settings = settled.settings.get(&payee)?;
    let rule = &settings.rule;
    Some(SettlementView {
        payee: payee.to_string(),
        threshold: format_amount(rule.threshold, currency),
        schedule: ScheduleView {
            kind: rule.schedule.kind().to_owned(),
            day: rule.schedule.day(),
        },
        minimum: format_amount(rule.minimum, currency),
        bank_account: settings.bank.masked.clone(),
        next_settlement: rfc3339(rule.schedule.next_after(now)),
    })
}

/// The currency a payee's settings are shown in: a vendor's own, a rights holder's.
fn payee_currency(app: &App, settled: &SettlementState, payee: Payee) -> Option<Currency> {
    match payee {
        Payee::RightsHolder(id) => settled.rights_holders.get(&id).map(|h| h.currency),
        Payee::Vendor(id) => app.registry.vendor(id).map(|v| v.profile.currency),
    }
}

/// `POST /admin/v1/rights-holders`: an author, publisher or artist sales may name for a share
/// of their price.
#[utoipa::path(post, path = "/admin/v1/rights-holders", tag = "admin",
    request_body = RightsHolderRequest,
    responses(
        (status = 201, description = "Created", body = RightsHolderCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 422, description = "An unsupported currency", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_rights_holder(app: &App, call: Call<'_>) -> Outcome {
    let request: RightsHolderRequest = parse_json(&call.body)?;
    let (name, currency) = request.into_parts()?;
    if !app.config.money.supports(currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    let id = RightsHolderId(new_id());
    app.registry
        .settlement_command(SettlementCommand::RegisterRightsHolder { id, name, currency })
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &RightsHolderCreated {
            rights_holder_id: id.to_string(),
        },
    ))
}

/// `GET /admin/v1/rights-holders/{id}`: what a rights holder accrued, was paid and is owed.
#[utoipa::path(get, path = "/admin/v1/rights-holders/{id}", tag = "admin",
    params(("id" = String, Path, description = "The rights holder")),
    responses(
        (status = 200, description = "The rights holder", body = RightsHolderView),
        (status = 422, description = "No such rights holder", body = Problem)),
    security(("admin_key" = [])))]
pub async fn rights_holder(app: &App, call: Call<'_>) -> Outcome {
    let id: RightsHolderId = super::dto::id_field(call.params.get("id")?, "id")?;
    let settled = app.registry.settled();
    let holder = settled
        .rights_holders
        .get(&id)
        .ok_or(ApiError::Reject(Reject::RightsHolderUnknown))?;
    let now = app.now();
    let payee = Payee::RightsHolder(id);
    let currency = holder.currency;
    let accrued = crate::payouts::earned(&app.registry, now)
        .await?
        .get(&(payee, currency))
        .copied()
        .unwrap_or_default();
    let paid = settled
        .paid
        .get(&(payee, currency))
        .copied()
        .unwrap_or_default();
    let view = RightsHolderView {
        rights_holder_id: id.to_string(),
        name: holder.name.clone(),
        currency: currency.code().to_owned(),
        accrued: format_net_total(accrued, currency),
        settled: format_total(paid, currency),
        unsettled: format_net_total(settled.unsettled(payee, currency, accrued), currency),
        settlement: settlement_view(&settled, payee, currency, now),
    };
    Ok(json(StatusCode::OK, &view))
}

/// `POST /admin/v1/settlement-runs`: runs settlement now. Without `force`, pays each payee
/// (or each named one) what its threshold or a passed scheduled date makes due; with it, any
/// positive net. A retry with the same `Idempotency-Key` answers the first run; a new run
/// after a lost answer pays only what became due since, never the same money twice.
#[utoipa::path(post, path = "/admin/v1/settlement-runs", tag = "admin",
    request_body = SettlementRunRequest,
    responses(
        (status = 201, description = "The run, its payouts and its payment file", body = SettlementRunResponse),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 409, description = "Another run has not finished", body = Problem)),
    security(("admin_key" = [])))]
pub async fn create_run(app: &App, call: Call<'_>) -> Outcome {
    let scope = KeyScope {
        caller: Owner::Settlement,
        route: "settlement-runs",
    };
    idempotent(
        app,
        &call,
        scope,
        |body| {
            if body.is_empty() {
                return Ok(SettlementRunRequest::default());
            }
            parse_json::<SettlementRunRequest>(body)
        },
        |request, _| async move {
            let payees = request
                .payees
                .map(|ids| {
                    ids.iter()
                        .map(|id| payee_field(id, "payees"))
                        .collect::<Result<BTreeSet<Payee>, ApiError>>()
                })
                .transpose()?;
            let scope = RunScope {
                payees,
                force: request.force.unwrap_or(false),
            };
            let outcome = start_run(app, scope).await?;
            let response = run_response(&app.registry.settled(), &outcome);
            Ok((StatusCode::CREATED, super::json::to_json(&response)))
        },
    )
    .await
}

/// Runs settlement now over `scope`: the one path of both doors, `POST
/// /admin/v1/settlement-runs` and the back office's form.
///
/// # Errors
/// `Reject` (`SettlementRunInProgress`) and faults from the actors; `PaymentFileFailed`.
pub async fn start_run(app: &App, scope: RunScope) -> Result<RunOutcome, ApiError> {
    let run = SettlementRunId(new_id());
    app.payouts
        .run(&app.registry, scope, run, false, app.now())
        .await
        .map_err(payout_error)?
        // Not quiet, so a run is always recorded; `None` would be a bug in `Payouts::run`.
        .ok_or(ApiError::Reject(Reject::SettlementRunUnknown))
}

fn payout_error(error: PayoutError) -> ApiError {
    match error {
        PayoutError::Gateway(error) => error.into(),
        PayoutError::File(detail) => {
            tracing::error!(%detail, "a settlement run's payment file could not be written");
            ApiError::PaymentFileFailed
        }
    }
}

fn run_response(settled: &SettlementState, outcome: &RunOutcome) -> SettlementRunResponse {
    let run = settled.runs.get(&outcome.run);
    SettlementRunResponse {
        run_id: outcome.run.to_string(),
        started_at: rfc3339(outcome.at),
        forced: run.is_some_and(|run| run.forced),
        finished: run.is_some_and(|run| run.finished.is_some()),
        payouts: outcome
            .payouts
            .iter()
            .filter_map(|payout| settled.payout(payout.id))
            .map(PayoutView::of)
            .collect(),
        file: outcome.file.clone(),
    }
}

/// `GET /admin/v1/settlement-runs/{run_id}`: a run, its payouts and its file.
#[utoipa::path(get, path = "/admin/v1/settlement-runs/{run_id}", tag = "admin",
    params(("run_id" = String, Path, description = "The run")),
    responses(
        (status = 200, description = "The run", body = SettlementRunResponse),
        (status = 404, description = "No such run", body = Problem)),
    security(("admin_key" = [])))]
pub async fn get_run(app: &App, call: Call<'_>) -> Outcome {
    let id: SettlementRunId = super::dto::id_field(call.params.get("run_id")?, "run_id")?;
    let settled = app.registry.settled();
    let run = settled
        .runs
        .get(&id)
        .ok_or(ApiError::Reject(Reject::SettlementRunUnknown))?;
    let response = SettlementRunResponse {
        run_id: id.to_string(),
        started_at: rfc3339(run.at),
        forced: run.forced,
        finished: run.finished.is_some(),
        payouts: run
            .payouts
            .iter()
            .filter_map(|payout| settled.payout(*payout))
            .map(PayoutView::of)
            .collect(),
        file: run.finished.clone().flatten(),
    };
    Ok(json(StatusCode::OK, &response))
}

/// `GET /admin/v1/payouts?payee=&cursor=&limit=`: payouts, newest first.
#[utoipa::path(get, path = "/admin/v1/payouts", tag = "admin",
    params(
        ("payee" = Option<String>, Query, description = "Only this vendor's or rights holder's"),
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 50")),
    responses(
        (status = 200, description = "A page of payouts", body = PayoutsPage),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem)),
    security(("admin_key" = [])))]
pub async fn list_payouts(app: &App, call: Call<'_>) -> Outcome {
    let query = PageQuery::parse(call.query)?;
    let payee = query
        .payee
        .as_deref()
        .map(|id| payee_field(id, "payee"))
        .transpose()?;
    Ok(json(
        StatusCode::OK,
        &page(&app.registry.settled(), payee, &query),
    ))
}

/// `GET /v1/vendors/me/payouts?cursor=&limit=`: the vendor's own payouts, newest first.
#[utoipa::path(get, path = "/v1/vendors/me/payouts", tag = "vendors",
    params(
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 50")),
    responses(
        (status = 200, description = "A page of payouts", body = PayoutsPage),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn vendor_payouts(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let query = PageQuery::parse(call.query)?;
    if query.payee.is_some() {
        return Err(ApiError::InvalidField {
            param: "payee",
            detail: "a vendor sees only its own payouts".to_owned(),
        });
    }
    let payee = Some(Payee::Vendor(vendor.profile.id));
    Ok(json(
        StatusCode::OK,
        &page(&app.registry.settled(), payee, &query),
    ))
}

/// `POST /admin/v1/payouts/{id}/return`: the bank returned a payout; its amount is unsettled
/// again and paid by a later run.
#[utoipa::path(post, path = "/admin/v1/payouts/{id}/return", tag = "admin",
    request_body = ReturnRequest,
    params(("id" = String, Path, description = "The payout")),
    responses(
        (status = 200, description = "Recorded", body = PayoutView),
        (status = 400, description = "The reason is missing or too long", body = Problem),
        (status = 404, description = "No such payout", body = Problem),
        (status = 409, description = "Returned before", body = Problem)),
    security(("admin_key" = [])))]
pub async fn return_payout(app: &App, call: Call<'_>) -> Outcome {
    let payout: PayoutId = super::dto::id_field(call.params.get("id")?, "id")?;
    let request: ReturnRequest = parse_json(&call.body)?;
    let view = record_return(app, payout, &request.reason).await?;
    Ok(json(StatusCode::OK, &view))
}

/// Records that the bank returned `payout`, for `reason`: the one path of both doors,
/// `POST /admin/v1/payouts/{id}/return` and the back office's form.
///
/// # Errors
/// `InvalidField` (`reason`) for an empty or long reason; `Reject` (`PayoutUnknown`,
/// `PayoutReturnedAlready`) and faults from the actors.
pub async fn record_return(
    app: &App,
    payout: PayoutId,
    reason: &str,
) -> Result<PayoutView, ApiError> {
    let reason =
        crate::domain::payouts::checked_text(reason, crate::domain::payouts::REASON_BYTES_MAX)
            .ok_or(ApiError::InvalidField {
                param: "reason",
                detail: "1 to 256 bytes of text".to_owned(),
            })?
            .to_owned();
    app.registry
        .settlement_command(SettlementCommand::Return { payout, reason })
        .await?;
    let settled = app.registry.settled();
    let record = settled
        .payout(payout)
        .ok_or(ApiError::Reject(Reject::PayoutUnknown))?;
    Ok(PayoutView::of(record))
}

/// A page request: `payee`, `cursor` (the position to continue below), `limit`.
struct PageQuery {
    payee: Option<String>,
    cursor: Option<usize>,
    limit: usize,
}

impl PageQuery {
    fn parse(query: Option<&str>) -> Result<PageQuery, ApiError> {
        let mut page = PageQuery {
            payee: None,
            cursor: None,
            limit: super::dto::PAGE_DEFAULT,
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "payee" => page.payee = Some(value.into_owned()),
                "cursor" => {
                    page.cursor = Some(value.parse().map_err(|_| ApiError::InvalidField {
                        param: "cursor",
                        detail: "a next_cursor from a previous page".to_owned(),
                    })?);
                }
                "limit" => {
                    page.limit = super::dto::limit_field(&value)?;
                }
                _ => {
                    return Err(ApiError::InvalidField {
                        param: "query",
                        detail: format!("unknown parameter {name}"),
                    });
                }
            }
        }
        Ok(page)
    }
}

/// Payouts newest first from below the cursor's position, `limit` of them.
fn page(settled: &SettlementState, payee: Option<Payee>, query: &PageQuery) -> PayoutsPage {
    let (found, next_cursor) = newest_payouts(settled, payee, query.cursor, query.limit);
    PayoutsPage {
        payouts: found.into_iter().map(PayoutView::of).collect(),
        next_cursor,
    }
}

/// `limit` payouts (of `payee`, or anyone's) newest first from below position `cursor`, and
/// the cursor of the page after them when there is one: the paging of both doors,
/// `GET /admin/v1/payouts` and the back office's settlement page.
pub(super) fn newest_payouts(
    settled: &SettlementState,
    payee: Option<Payee>,
    cursor: Option<usize>,
    limit: usize,
) -> (Vec<&PayoutRecord>, Option<String>) {
    let below = cursor.unwrap_or(settled.payouts.len());
    let mut found = settled
        .payouts
        .iter()
        .enumerate()
        .take(below)
        .rev()
        .filter(|(_, record)| payee.is_none_or(|payee| record.payout.payee == payee));
    let payouts: Vec<(usize, &PayoutRecord)> = found.by_ref().take(limit).collect();
    let more = found.next().is_some();
    let next_cursor = payouts
        .last()
        .filter(|_| more)
        .map(|(index, _)| index.to_string());
    (
        payouts.into_iter().map(|(_, record)| record).collect(),
        next_cursor,
    )
}
