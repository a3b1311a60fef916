//! Vendor calls: authorize (flow C) one at a time or in batches, access check (flow D),
//! authorization lookup, summary.

use std::collections::HashMap;
use std::time::Instant;

use hyper::StatusCode;

use super::app::App;
use super::dto::{
    AccessRequest, AccessResponse, AuthorizationEntitlement, AuthorizationResponse,
    AuthorizeRequest, AuthorizeResponse, BatchRequest, BatchResponse, BatchResult, EntitlementView,
    PaidFromView, PeriodView, Priced, RefundRequest, ReversalResponse, SummaryLine,
    SummaryResponse,
};
use super::error::{ApiError, Problem, TokenKind};
use super::idempotent::idempotent;
use super::json::{parse_json, rfc3339};
use super::purchase::{
    Charge, check_rights_holders, claim_offer, count_outcome, mint_access_token, purchase,
};
use super::router::json;
use super::routes::{Call, Outcome};
use super::settlement_api::settlement_view;
use super::settlement_dto::{CommissionRequest, FeeScheduleView};
use super::step_up_api;
use crate::actors::gateway::GatewayError;
use crate::actors::messages::{Authorization, CommandError};
use crate::actors::registry::VendorEntry;
use crate::crypto::token::{AccessClaims, BuyerClaims, TokenError};
use crate::domain::account::{AccessCommand, AuthorizeCommand, StartDeposit};
use crate::domain::entitlement::Entitlement;
use crate::domain::event::{IdempotencyStamp, Origin};
use crate::domain::ids::{AccountId, DepositId, EntitlementId, LoginId, OfferId, SessionId};
use crate::domain::money::{Currency, format_amount, format_net_total, format_total};
use crate::domain::payouts::Payee;
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// `POST /v1/authorize`: charges a member through the buyer token, once per
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/authorize", tag = "vendors",
    request_body = AuthorizeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry answer the first response")),
    responses(
        (status = 200, description = "Authorized, or already owned", body = AuthorizeResponse),
        (status = "4XX", description = "Refused", body = Problem),
        (status = 429, description = "The vendor holds its quota of Idempotency-Keys", body = Problem),
        (status = 503, description = "Overloaded; retry after Retry-After", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn authorize(app: &App, call: Call<'_>) -> Outcome {
    let started = Instant::now();
    let vendor = call.vendor()?.clone();
    let parse = |body: &[u8]| parse_json::<AuthorizeRequest>(body)?.into_parts();
    idempotent(app, &call, vendor.profile.id, parse, |parts, key| async {
        let stamp = key.map(|(key, request_digest)| IdempotencyStamp {
            key,
            request_digest,
        });
        let response = authorize_one(app, &vendor, stamp, parts, started).await?;
        Ok((StatusCode::OK, super::json::to_json(&response)))
    })
    .await
}

/// A buyer token opened for this vendor: whose purchase it is.
struct Buyer {
    account: AccountId,
    login: LoginId,
    session: SessionId,
}

fn open_buyer(
    app: &App,
    vendor: &VendorEntry,
    token: &str,
    now: Timestamp,
) -> Result<Buyer, ApiError> {
    let now_ms = u64::try_from(now.0).unwrap_or(0);
    let claims = app
        .tokens
        .open::<BuyerClaims>(token, vendor.profile.id.0, now_ms)
        .map_err(|error| ApiError::Token(TokenKind::Buyer, error))?;
    Ok(Buyer {
        account: AccountId(claims.account),
        login: LoginId(claims.login),
        session: SessionId(claims.session),
    })
}

/// What an item charges: inline terms checked by the domain, or a claimed posted offer of
/// this vendor. The buyer token is opened before any claim, so a forged token costs nothing.
async fn priced(
    app: &App,
    vendor: &VendorEntry,
    priced: Priced,
    now: Timestamp,
) -> Result<Charge, ApiError> {
    match priced {
        Priced::Inline(draft) => {
            let terms = draft.check(&vendor.profile, now)?;
            check_rights_holders(app, &terms.royalties, terms.currency)?;
            Ok(Charge::inline(terms))
        }
        // The vendor's own book answers `offer_unknown` for another vendor's offer.
        Priced::Posted(id) => Ok(Charge::offer(&*claim_offer(app, vendor, id, now).await?)),
    }
}

/// The automatic top-off of `POST /v1/authorize` ([0230]): a purchase refused for funds is
/// tried once more after charging the member's top-off method for the shortage plus the
/// wallet's top-off amount, when the member turned top-off on for that wallet. The charge
/// runs outside the account's actor like any deposit. Without a top-off the refusal stands;
/// a declined charge answers `payment_declined` with its code.
async fn top_off_and_retry(
    app: &App,
    account: AccountId,
    command: AuthorizeCommand,
    started: Instant,
) -> Result<Authorization, ApiError> {
    let via = Some(command.vendor);
    let plan = app
        .registry
        .top_off_needed(
            account,
            command.currency,
            command.price,
            (command.vendor, command.incentives.clone()),
        )
        .await?;
    let Some((setting, total)) = plan else {
        return Err(ApiError::Reject(Reject::InsufficientFunds));
    };
    let deposit = StartDeposit {
        deposit: DepositId(super::app::new_id()),
        currency: command.currency,
        amount: total,
        method: setting.method,
        amount_max: app.config.buy_window.charge_max,
        idempotency: None,
        // Bought while buying at this vendor: through its site ([0210]).
        via,
    };
    app.deposit(account, deposit)
        .await
        .map_err(super::member_api::deposit_error)?;
    metrics::counter!(names::DEPOSITS, "step" => "top_off").increment(1);
    purchase(app, account, command, started.elapsed()).await
}

async fn authorize_one(
    app: &App,
    vendor: &VendorEntry,
    idempotency: Option<IdempotencyStamp>,
    (token, what): (String, Priced),
    started: Instant,
) -> Result<AuthorizeResponse, ApiError> {
    let now = app.now();
    let buyer = open_buyer(app, vendor, &token, now)?;
    let charge = priced(app, vendor, what, now).await?;
    let offer = charge.offer;
    let command = charge.command(buyer.login, buyer.session, vendor.profile.id, idempotency);
    let retry = command.clone();
    let mut outcome = purchase(app, buyer.account, command, started.elapsed()).await;
    if matches!(outcome, Err(ApiError::Reject(Reject::InsufficientFunds))) {
        outcome = top_off_and_retry(app, buyer.account, retry, started).await;
    }
    // A claimed offer is used up only by a purchase; anything else frees it.
    release_unless_purchased(app, vendor, offer, &outcome);
    let authorization = outcome.map_err(|error| step_up_api::at_page(app, error))?;
    Ok(authorize_response(
        app,
        vendor,
        buyer.account,
        &authorization,
        now,
    ))
}

fn release_unless_purchased(
    app: &App,
    vendor: &VendorEntry,
    offer: Option<OfferId>,
    outcome: &Result<Authorization, ApiError>,
) {
    let purchased = matches!(outcome, Ok(a) if !a.already_owned && !a.replayed);
    if let Some(offer) = offer
        && !purchased
    {
        app.registry.release_offer(vendor, offer);
    }
}

fn authorize_response(
    app: &App,
    vendor: &VendorEntry,
    account: AccountId,
    authorization: &Authorization,
    now: Timestamp,
) -> AuthorizeResponse {
    let entitlement = &authorization.entitlement;
    AuthorizeResponse {
        authorization_id: app.authorization_id(account, authorization.authorization),
        charged: format_amount(authorization.charged, entitlement.currency),
        currency: entitlement.currency.code().to_owned(),
        already_owned: authorization.already_owned,
        entitlement: entitlement_view(entitlement),
        access_token: mint_access_token(app, account, entitlement, now),
        member_ref: app.locators.seal_member_ref(account.0, vendor.profile.id.0),
        paid_from: authorization.paid_from.map(|paid| PaidFromView {
            incentive: format_amount(paid.incentive, entitlement.currency),
            balance: format_amount(paid.balance, entitlement.currency),
            credit: format_amount(paid.credit, entitlement.currency),
        }),
    }
}

/// `POST /v1/authorize/batch`: up to 1,000 independent purchases in one call. Items for
/// different members run in parallel and share the journal's group commits; each item
/// answers like a single authorize, or with its own problem.
#[utoipa::path(post, path = "/v1/authorize/batch", tag = "vendors",
    request_body = BatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Covers the whole batch: a retry answers the first reply")),
    responses(
        (status = 200, description = "One result per item, in order", body = BatchResponse),
        (status = "4XX", description = "The batch itself is refused", body = Problem),
        (status = 429, description = "The vendor holds its quota of Idempotency-Keys", body = Problem),
        (status = 503, description = "Overloaded; retry after Retry-After", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn authorize_batch(app: &App, call: Call<'_>) -> Outcome {
    let started = Instant::now();
    let vendor = call.vendor()?.clone();
    let parse = |body: &[u8]| parse_json::<BatchRequest>(body)?.into_items();
    idempotent(app, &call, vendor.profile.id, parse, |items, key| async {
        let response = authorize_many(app, &vendor, key, items, started).await?;
        Ok((StatusCode::OK, super::json::to_json(&response)))
    })
    .await
}

/// One batch item on its way: its command, ready to send, and what answering it needs.
struct Pending {
    index: usize,
    account: AccountId,
    currency: Currency,
    offer: Option<OfferId>,
    command: AuthorizeCommand,
}

async fn authorize_many(
    app: &App,
    vendor: &VendorEntry,
    key: Option<(String, [u8; 32])>,
    items: Vec<Result<AuthorizeRequest, ApiError>>,
    started: Instant,
) -> Result<BatchResponse, ApiError> {
    let now = app.now();
    let mut results: Vec<Option<Result<AuthorizeResponse, ApiError>>> =
        items.iter().map(|_| None).collect();
    let mut by_account: HashMap<AccountId, Vec<Pending>> = HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let prepared = async {
            let (token, what) = item?.into_parts()?;
            let buyer = open_buyer(app, vendor, &token, now)?;
            let charge = priced(app, vendor, what, now).await?;
            // Each item keeps its own durable idempotency record under the batch's key, so a
            // retry after a restart (when the response cache is gone) never charges twice.
            let stamp = key.as_ref().map(|(key, digest)| IdempotencyStamp {
                key: format!("{key}#{index}"),
                request_digest: *digest,
            });
            let (currency, offer) = (charge.currency, charge.offer);
            let command = charge.command(buyer.login, buyer.session, vendor.profile.id, stamp);
            Ok::<_, ApiError>(Pending {
                index,
                account: buyer.account,
                currency,
                offer,
                command,
            })
        }
        .await;
        match prepared {
            Ok(pending) => by_account.entry(pending.account).or_default().push(pending),
            Err(error) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(Err(error));
                }
            }
        }
    }
    let parsed_in = started.elapsed();
    let groups = by_account.into_iter().map(|(account, pending)| async move {
        type Answering = (usize, Currency, Option<OfferId>);
        let (commands, pending): (Vec<AuthorizeCommand>, Vec<Answering>) = pending
            .into_iter()
            .map(|p| (p.command, (p.index, p.currency, p.offer)))
            .unzip();
        let sent = Instant::now();
        let outcomes = app.registry.authorize_batch(account, commands).await;
        (account, pending, outcomes, sent)
    });
    for (account, pending, outcomes, sent) in futures_util::future::join_all(groups).await {
        let outcomes: Vec<Result<Authorization, ApiError>> = match outcomes {
            Ok(outcomes) => outcomes
                .into_iter()
                .map(|outcome| outcome.map_err(ApiError::from))
                .collect(),
            Err(error) => pending.iter().map(|_| Err(ApiError::from(error))).collect(),
        };
        for ((index, currency, offer), outcome) in pending.into_iter().zip(outcomes) {
            count_outcome(&outcome, currency, parsed_in, sent);
            release_unless_purchased(app, vendor, offer, &outcome);
            let response = outcome.map(|a| authorize_response(app, vendor, account, &a, now));
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(response);
            }
        }
    }
    let results = results
        .into_iter()
        .map(|result| match result {
            Some(Ok(response)) => BatchResult::Authorized(response),
            Some(Err(error)) => BatchResult::Failed {
                problem: step_up_api::at_page(app, error).problem(),
            },
            None => BatchResult::Failed {
                problem: ApiError::Unavailable.problem(),
            },
        })
        .collect();
    Ok(BatchResponse { results })
}

fn entitlement_view(entitlement: &Entitlement) -> EntitlementView {
    EntitlementView {
        views_left: entitlement.views_left(),
        expires_at: entitlement.expires_at.map(rfc3339),
    }
}

/// `POST /v1/access`: checks an access token for the content about to be shown.
#[utoipa::path(post, path = "/v1/access", tag = "vendors",
    request_body = AccessRequest,
    responses(
        (status = 200, description = "Granted (a limited view was counted)", body = AccessResponse),
        (status = 403, description = "Refused: expired, used, other content, no views left", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn access(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let request: AccessRequest = parse_json(&call.body)?;
    let (token, url) = request.into_parts()?;
    let now = app.now();
    let now_ms = u64::try_from(now.0).unwrap_or(0);
    let opened = app
        .tokens
        .open::<AccessClaims>(&token, vendor.profile.id.0, now_ms)
        .and_then(|claims| {
            // A token minted by an earlier run of the server is refused: the tokens spent in
            // that run were remembered in its memory only.
            if claims.boot_epoch == app.boot_epoch {
                Ok(claims)
            } else {
                Err(TokenError::Expired)
            }
        });
    let claims = match opened {
        Ok(claims) => claims,
        Err(error) => {
            let error = ApiError::Token(TokenKind::Access, error);
            metrics::counter!(names::ACCESS_CHECKS, "outcome" => error.describe().1).increment(1);
            return Err(error);
        }
    };
    let account = AccountId(claims.account);
    let command = AccessCommand {
        entitlement: EntitlementId(claims.entitlement),
        token_id: claims.token_id,
        token_expires_at: Timestamp(i64::try_from(claims.expires_at_ms).unwrap_or(i64::MAX)),
        vendor: vendor.profile.id,
        content_url: url.as_str().to_owned(),
    };
    let granted = app
        .registry
        .access(account, command)
        .await
        .map_err(ApiError::from);
    match &granted {
        Ok(_) => names::hot().access_granted.increment(1),
        Err(error) => {
            metrics::counter!(names::ACCESS_CHECKS, "outcome" => error.describe().1).increment(1);
        }
    }
    let granted = granted?;
    Ok(json(
        StatusCode::OK,
        &AccessResponse {
            granted: true,
            views_left: granted.entitlement.views_left(),
            expires_at: granted.entitlement.expires_at.map(rfc3339),
            member_ref: app.locators.seal_member_ref(account.0, vendor.profile.id.0),
        },
    ))
}

/// `GET /v1/authorizations/{id}`: a vendor that lost a reply finds out what happened. The id
/// seals the account that holds the purchase; the account answers once what it shows is
/// durable, so only what survived a crash is answered.
#[utoipa::path(get, path = "/v1/authorizations/{id}", tag = "vendors",
    params(("id" = String, Path, description = "An authorization_id from an authorize reply")),
    responses(
        (status = 200, description = "The purchase as it stands", body = AuthorizationResponse),
        (status = 404, description = "Unknown, or another vendor's", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn authorization(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let id = call.params.get("id")?;
    let (account, authorization) = app.open_authorization_id(id).ok_or(ApiError::NotFound)?;
    let view = app
        .registry
        .authorization(account, authorization)
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::Reject(Reject::AuthorizationUnknown) => ApiError::NotFound,
            other => other,
        })?;
    if view.vendor != vendor.profile.id {
        return Err(ApiError::NotFound);
    }
    let entitlement = &view.entitlement;
    Ok(json(
        StatusCode::OK,
        &AuthorizationResponse {
            authorization_id: id.to_owned(),
            status: if entitlement.is_reversed() {
                "reversed".to_owned()
            } else {
                "authorized".to_owned()
            },
            charged: format_amount(entitlement.price, entitlement.currency),
            currency: entitlement.currency.code().to_owned(),
            authorized_at: rfc3339(entitlement.purchased_at),
            reversed_at: entitlement.reversed_at.map(rfc3339),
            entitlement: AuthorizationEntitlement {
                views_allowed: entitlement.views_allowed,
                expires_at: entitlement.expires_at.map(rfc3339),
            },
            member_ref: app.locators.seal_member_ref(account.0, vendor.profile.id.0),
        },
    ))
}

/// `POST /v1/refunds`: the vendor refunds one of its own sales: the member gets the money
/// back (incentives to their grants), the entitlement ends, and the sale leaves the vendor's
/// ledger (clawed back from the next payout if it was paid). Idempotent: refunding a sale
/// that is refunded already answers the same.
#[utoipa::path(post, path = "/v1/refunds", tag = "vendors",
    request_body = RefundRequest,
    responses(
        (status = 200, description = "Refunded (now or before)", body = ReversalResponse),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such sale of this vendor", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn refund(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?.clone();
    let parse = |body: &[u8]| parse_json::<RefundRequest>(body)?.into_parts();
    idempotent(
        app,
        &call,
        vendor.profile.id,
        parse,
        |(id, reason), _| async move {
            let (account, authorization) =
                app.open_authorization_id(&id).ok_or(ApiError::NotFound)?;
            let unknown = |error: GatewayError| match ApiError::from(error) {
                ApiError::Reject(Reject::AuthorizationUnknown) => ApiError::NotFound,
                other => other,
            };
            let by = Origin::Vendor(vendor.profile.id);
            let refunded = match app
                .registry
                .reverse(account, authorization, reason, by)
                .await
            {
                Ok(refunded) => refunded,
                Err(GatewayError::Command(CommandError::Reject(Reject::AlreadyReversed))) => {
                    let view = app
                        .registry
                        .authorization(account, authorization)
                        .await
                        .map_err(unknown)?;
                    if view.vendor != vendor.profile.id {
                        return Err(ApiError::NotFound);
                    }
                    (view.entitlement.price, view.entitlement.currency)
                }
                Err(error) => return Err(unknown(error)),
            };
            let (amount, currency) = refunded;
            let response = ReversalResponse {
                refunded: format_amount(amount, currency),
                currency: currency.code().to_owned(),
            };
            Ok((StatusCode::OK, super::json::to_json(&response)))
        },
    )
    .await
}

/// `GET /v1/vendors/me/summary`: the vendor's sales, fees, royalties and commissions, what
/// it was paid and what it is owed, and the fee period in progress.
#[utoipa::path(get, path = "/v1/vendors/me/summary", tag = "vendors",
    responses((status = 200, description = "Sales per currency", body = SummaryResponse)),
    security(("vendor_key" = [])))]
pub async fn summary(app: &App, call: Call<'_>) -> Outcome {
    let summary = vendor_summary(app, call.vendor()?).await?;
    Ok(json(StatusCode::OK, &summary))
}

/// The figures of `vendor`'s summary: the one path of both doors, `GET /v1/vendors/me/summary`
/// and the vendor office's sales page, so the page cannot show other figures than the API.
///
/// # Errors
/// The gateway's faults (`Overloaded`, `Unavailable`).
pub async fn vendor_summary(app: &App, vendor: &VendorEntry) -> Result<SummaryResponse, ApiError> {
    let now = app.now();
    let view = app
        .registry
        .vendor_ledger(vendor, now)
        .await
        .map_err(ApiError::from)?;
    let settled = app.registry.settled();
    let payee = Payee::Vendor(view.profile.id);
    let schedule = &view.fee_schedule;
    let currencies = view
        .figures
        .iter()
        .map(|(currency, figures)| {
            let paid = settled
                .paid
                .get(&(payee, *currency))
                .copied()
                .unwrap_or_default();
            SummaryLine {
                currency: currency.code().to_owned(),
                sales: figures.sales,
                gross: format_total(figures.gross, *currency),
                fees: format_total(figures.fees, *currency),
                incentives_msp: format_total(figures.incentives_msp, *currency),
                incentives_own: format_total(figures.incentives_own, *currency),
                royalties_withheld: format_total(figures.royalties, *currency),
                commissions: format_total(figures.commissions, *currency),
                net_payable: format_net_total(figures.earned, *currency),
                settled: format_total(paid, *currency),
                unsettled: format_net_total(
                    settled.unsettled(payee, *currency, figures.earned),
                    *currency,
                ),
                period: PeriodView {
                    period: schedule.period.name().to_owned(),
                    tier: figures.current.tier.saturating_add(1),
                    fee_base: format_total(figures.current.fee_base, *currency),
                    fees: format_total(figures.current.fee.floor(), *currency),
                },
            }
        })
        .collect();
    let currency = view.profile.currency;
    Ok(SummaryResponse {
        vendor_id: view.profile.id.to_string(),
        fee_ppm: schedule.tiers.first().map_or(0, |tier| tier.rate_ppm),
        fee_schedule: FeeScheduleView::of(schedule, currency),
        commission: CommissionRequest {
            referral_rate_ppm: view.commission.referral_rate_ppm,
            funds_rate_ppm: view.commission.funds_rate_ppm,
        },
        settlement: settlement_view(&settled, payee, currency, now),
        currencies,
    })
}
