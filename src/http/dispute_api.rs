//! Disputes over HTTP ([0255]-[0260]): a member files one against a purchase and lists their
//! own; an operator sets the rules per currency, reads the queue and decides; a vendor sees
//! the disputes of its sales by `member_ref`, never the member. One conversion per request
//! into a typed call of the actors; the accounts decide.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::app::{App, MemberSession};
use super::dto::{amount_field, currency_field, text_field};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::member_api::member_error;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::actors::disputes::{DisputeKey, DisputePage};
use crate::actors::registry::VendorEntry;
use crate::domain::dispute::{Dispute, DisputeRules, DisputeStatus, RulesInvalid};
use crate::domain::event::Origin;
use crate::domain::ids::AccountId;
use crate::domain::money::format_amount;
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;

/// `POST /v1/members/me/disputes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    /// The purchase disputed: the `authorization_id` its vendor was given.
    pub authorization_id: String,
    /// Why, in the member's words (1 to 256 bytes).
    pub reason: String,
}

/// `POST /admin/v1/disputes/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `true` approves (the purchase is reversed), `false` rejects.
    pub approve: bool,
    /// Why (1 to 256 bytes), shown to the member and recorded.
    pub reason: String,
}

/// `PUT /admin/v1/dispute-rules/{currency}`: the rules of one currency.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRulesBody {
    /// Days after a purchase it may be disputed (1 to 3650).
    pub window_days: u32,
    /// The rolling period the conditions count over, days (1 to 3650).
    pub period_days: u32,
    /// Condition I: approved at once when the disputed amount in the period, this dispute
    /// included, is below this amount (a decimal string in the currency).
    #[schema(value_type = String, example = "5.00")]
    pub m: Value,
    /// Condition II: the disputed amount below this share of the purchase amount, ppm.
    pub x_ppm: u32,
    /// Condition III: the number of disputes below this share of the number of purchases,
    /// ppm.
    pub y_ppm: u32,
    /// Condition IV: the number of disputes below this.
    pub n: u32,
}

/// One dispute as its member, an operator or its vendor sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DisputeView {
    /// `dsp_` and 43 characters: names the dispute in every route.
    pub dispute_id: String,
    /// The disputed purchase.
    pub authorization_id: String,
    /// `approved`, `pending` or `rejected`.
    pub status: String,
    /// What decided it at filing: `condition_i`, `conditions_ii_to_iv`, or `pending` (an
    /// operator decides).
    pub condition: String,
    /// What the purchase charged (and an approval refunds).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// When the purchase was made (RFC 3339).
    pub purchased_at: String,
    /// When the dispute was filed (RFC 3339).
    pub filed_at: String,
    /// When an operator decided it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The operator's reason, if one decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    /// The member's reason (not shown to the vendor: it is the member's own words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The selling vendor (members and operators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The member's account (operators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The member as the vendor knows them (vendors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_ref: Option<String>,
}

/// Who a dispute is shown to: each sees its own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Viewer {
    Member,
    Operator,
    Vendor,
}

impl DisputeView {
    fn of(app: &App, account: AccountId, dispute: &Dispute, viewer: Viewer) -> DisputeView {
        DisputeView {
            dispute_id: app.dispute_id(account, dispute.authorization),
            authorization_id: app.authorization_id(account, dispute.authorization),
            status: dispute.status.code().to_owned(),
            condition: dispute.verdict.code().to_owned(),
            amount: format_amount(dispute.amount, dispute.currency),
            currency: dispute.currency.code().to_owned(),
            purchased_at: rfc3339(dispute.purchased_at),
            filed_at: rfc3339(dispute.filed_at),
            decided_at: dispute.decision.as_ref().map(|(at, _)| rfc3339(*at)),
            decision_reason: dispute
                .decision
                .as_ref()
                .map(|(_, reason)| reason.to_string()),
            reason: (viewer != Viewer::Vendor).then(|| dispute.reason.to_string()),
            vendor_id: (viewer != Viewer::Vendor).then(|| dispute.vendor.to_string()),
            account_id: (viewer == Viewer::Operator).then(|| account.to_string()),
            member_ref: (viewer == Viewer::Vendor)
                .then(|| app.locators.seal_member_ref(account.0, dispute.vendor.0)),
        }
    }
}

/// `GET /v1/members/me/disputes` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberDisputes {
    /// Newest filed first.
    pub disputes: Vec<DisputeView>,
}

/// A page of disputes, oldest filed first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DisputesPage {
    /// The disputes.
    pub disputes: Vec<DisputeView>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /v1/members/me/disputes`: disputes one of the member's purchases. Approved at once
/// (and the purchase reversed) when the currency's rules allow it, otherwise pending for an
/// operator.
#[utoipa::path(post, path = "/v1/members/me/disputes", tag = "members",
    request_body = DisputeRequest,
    responses((status = 201, description = "Filed: approved or pending", body = DisputeView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 404, description = "Not a purchase of this member", body = Problem),
        (status = 409, description = "Disputed or reversed already", body = Problem),
        (status = 422, description = "Charged nothing, or older than the dispute window", body = Problem),
        (status = 429, description = "Too many disputes wait for an operator", body = Problem)),
    security(("member_session" = [])))]
pub async fn file_dispute(app: &App, call: Call<'_>) -> Outcome {
    let request: DisputeRequest = parse_json(&call.body)?;
    let filed = file(app, call.member()?, &request).await?;
    Ok(json(StatusCode::CREATED, &filed))
}

/// Files the member's dispute `request`: the one path of `POST /v1/members/me/disputes` and
/// the account pages' form.
///
/// # Errors
/// `InvalidField` on `reason`; `AuthorizationUnknown` for a purchase not the member's; the
/// account's refusals; session rejects.
pub async fn file(
    app: &App,
    member: MemberSession,
    request: &DisputeRequest,
) -> Result<DisputeView, ApiError> {
    let reason = text_field(&request.reason, "reason")?;
    let unknown = ApiError::Reject(Reject::AuthorizationUnknown);
    let (account, authorization) = app
        .open_authorization_id(request.authorization_id.trim())
        .ok_or(unknown.clone())?;
    if account != member.account {
        return Err(unknown);
    }
    let dispute = app
        .registry
        .file_dispute(
            account,
            (member.login, member.session),
            authorization,
            reason,
        )
        .await
        .map_err(member_error)?;
    metrics::counter!(crate::metrics::DISPUTES, "step" => dispute.verdict.code()).increment(1);
    Ok(DisputeView::of(app, account, &dispute, Viewer::Member))
}

/// `GET /v1/members/me/disputes`: the member's disputes, newest first.
#[utoipa::path(get, path = "/v1/members/me/disputes", tag = "members",
    responses((status = 200, description = "The member's disputes", body = MemberDisputes),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn member_disputes(app: &App, call: Call<'_>) -> Outcome {
    let disputes = disputes_of(app, call.member()?).await?;
    Ok(json(StatusCode::OK, &MemberDisputes { disputes }))
}

/// The member's disputes, newest first, as the member sees them: the one list of the API
/// and the account pages.
///
/// # Errors
/// Session rejects as `Unauthenticated`; faults.
pub async fn disputes_of(app: &App, member: MemberSession) -> Result<Vec<DisputeView>, ApiError> {
    let disputes = app
        .registry
        .member_disputes(member.account, (member.login, member.session))
        .await
        .map_err(member_error)?;
    Ok(disputes
        .iter()
        .map(|dispute| DisputeView::of(app, member.account, dispute, Viewer::Member))
        .collect())
}

/// `GET /admin/v1/disputes?status=&cursor=&limit=`: every vendor's disputes, oldest filed
/// first (the queue: `status=pending`).
#[utoipa::path(get, path = "/admin/v1/disputes", tag = "admin",
    params(
        ("status" = Option<String>, Query, description = "pending, approved or rejected"),
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 50")),
    responses((status = 200, description = "A page of disputes", body = DisputesPage),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem)),
    security(("admin_key" = [])))]
pub async fn list_disputes(app: &App, call: Call<'_>) -> Outcome {
    let page = parse_page(app, call.query)?;
    let found = app.registry.disputes(page).await?;
    Ok(json(
        StatusCode::OK,
        &page_view(app, &found, page, Viewer::Operator),
    ))
}

/// `GET /v1/vendors/me/disputes?status=&cursor=&limit=`: the disputes of this vendor's
/// sales, oldest filed first, each member by `member_ref`.
#[utoipa::path(get, path = "/v1/vendors/me/disputes", tag = "vendors",
    params(
        ("status" = Option<String>, Query, description = "pending, approved or rejected"),
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 50")),
    responses((status = 200, description = "A page of disputes", body = DisputesPage),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn vendor_disputes(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let page = parse_page(app, call.query)?;
    let found = vendor_dispute_page(app, vendor, page).await?;
    Ok(json(StatusCode::OK, &found))
}

/// A page of the disputes of `vendor`'s sales as the vendor sees them (each member by
/// `member_ref`, without the member's reason): the one path of both doors,
/// `GET /v1/vendors/me/disputes` and the vendor office's disputes page, so neither can show
/// the vendor more of a member than the other.
///
/// # Errors
/// The gateway's faults (`Overloaded`, `Unavailable`).
pub async fn vendor_dispute_page(
    app: &App,
    vendor: &VendorEntry,
    page: DisputePage,
) -> Result<DisputesPage, ApiError> {
    let found = app.registry.vendor_disputes(vendor, page).await?;
    Ok(page_view(app, &found, page, Viewer::Vendor))
}

/// `POST /admin/v1/disputes/{id}/decision`: approves (reversing the purchase) or rejects a
/// pending dispute.
#[utoipa::path(post, path = "/admin/v1/disputes/{id}/decision", tag = "admin",
    request_body = DecisionRequest,
    params(("id" = String, Path, description = "The dispute")),
    responses((status = 200, description = "Decided", body = DisputeView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such dispute", body = Problem),
        (status = 409, description = "Decided already", body = Problem)),
    security(("admin_key" = [])))]
pub async fn decide_dispute(app: &App, call: Call<'_>) -> Outcome {
    let id = call.params.get("id")?;
    let request: DecisionRequest = parse_json(&call.body)?;
    let (account, dispute) = decide(app, id, request.approve, &request.reason).await?;
    Ok(json(
        StatusCode::OK,
        &DisputeView::of(app, account, &dispute, Viewer::Operator),
    ))
}

/// An operator's decision on the pending dispute `id`: approved (the purchase reversed) or
/// rejected, for `reason`. The one path of both doors, the API and the back office's queue.
///
/// # Errors
/// `Reject(DisputeUnknown)` for an id this server did not seal or an unknown dispute;
/// `InvalidField` for a reason outside 1 to 256 bytes; the account's refusals
/// (`DisputeDecided`, ...).
pub async fn decide(
    app: &App,
    id: &str,
    approve: bool,
    reason: &str,
) -> Result<(AccountId, Dispute), ApiError> {
    let unknown = ApiError::Reject(Reject::DisputeUnknown);
    let (account, authorization) = app.open_dispute_id(id).ok_or(unknown.clone())?;
    let reason = text_field(reason, "reason")?;
    let dispute = app
        .registry
        .decide_dispute(account, authorization, approve, reason, Origin::Admin)
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::NotFound => unknown,
            other => other,
        })?;
    let step = if approve { "approved" } else { "rejected" };
    metrics::counter!(crate::metrics::DISPUTES, "step" => step).increment(1);
    Ok((account, dispute))
}

/// `PUT /admin/v1/dispute-rules/{currency}`: sets when a dispute in this currency is
/// approved at once. A currency without rules sends every dispute to an operator.
#[utoipa::path(put, path = "/admin/v1/dispute-rules/{currency}", tag = "admin",
    request_body = DisputeRulesBody,
    params(("currency" = String, Path, description = "ISO 4217 code")),
    responses((status = 200, description = "Set", body = DisputeRulesBody),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 422, description = "A currency this service holds no wallets in", body = Problem)),
    security(("admin_key" = [])))]
pub async fn set_dispute_rules(app: &App, call: Call<'_>) -> Outcome {
    let currency = currency_field(call.params.get("currency")?, "currency")?;
    if !app.config.money.supports(currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    let body: DisputeRulesBody = parse_json(&call.body)?;
    let m = amount_field(&body.m, "m")?;
    let rules = DisputeRules::new(
        body.window_days,
        body.period_days,
        m,
        body.x_ppm,
        body.y_ppm,
        body.n,
    )
    .map_err(|invalid| match invalid {
        RulesInvalid::Days => ApiError::InvalidField {
            param: "window_days",
            detail: invalid.to_string(),
        },
        RulesInvalid::Share => ApiError::InvalidField {
            param: "x_ppm",
            detail: invalid.to_string(),
        },
    })?;
    app.registry.set_dispute_rules(currency, rules).await?;
    let echo = DisputeRulesBody {
        m: Value::String(format_amount(m, currency)),
        ..body
    };
    Ok(json(StatusCode::OK, &echo))
}

/// Reads `status`, `cursor` and `limit`.
fn parse_page(app: &App, query: Option<&str>) -> Result<DisputePage, ApiError> {
    let mut page = DisputePage {
        after: None,
        limit: super::dto::PAGE_DEFAULT,
        status: None,
    };
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "status" => {
                page.status = Some(match value.as_ref() {
                    "pending" => DisputeStatus::Pending,
                    "approved" => DisputeStatus::Approved,
                    "rejected" => DisputeStatus::Rejected,
                    _ => {
                        return Err(ApiError::InvalidField {
                            param: "status",
                            detail: "pending, approved or rejected".to_owned(),
                        });
                    }
                });
            }
            "cursor" => {
                page.after = Some(open_cursor(app, &value).ok_or(ApiError::InvalidField {
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

/// A cursor names the last dispute of a page by its filing time and its sealed id, so a
/// vendor's cursor tells it no account number.
pub(crate) fn seal_cursor(app: &App, (filed_at, account, authorization): DisputeKey) -> String {
    format!("{}.{}", filed_at.0, app.dispute_id(account, authorization))
}

/// Opens a cursor of [`seal_cursor`]; `None` for anything this server did not make.
pub(crate) fn open_cursor(app: &App, text: &str) -> Option<DisputeKey> {
    let (filed_at, id) = text.split_once('.')?;
    let (account, authorization) = app.open_dispute_id(id)?;
    Some((Timestamp(filed_at.parse().ok()?), account, authorization))
}

fn page_view(
    app: &App,
    found: &[(AccountId, Dispute)],
    page: DisputePage,
    viewer: Viewer,
) -> DisputesPage {
    let next_cursor =
        found
            .last()
            .filter(|_| found.len() == page.limit)
            .map(|(account, dispute)| {
                seal_cursor(app, crate::actors::disputes::dispute_key(*account, dispute))
            });
    DisputesPage {
        disputes: found
            .iter()
            .map(|(account, dispute)| DisputeView::of(app, *account, dispute, viewer))
            .collect(),
        next_cursor,
    }
}
