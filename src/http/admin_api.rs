//! Admin calls: vendors, deposits, credit lines, reversals, account views, totals, bulk seed.
//! Every state change an admin makes is an event in the journal (the audit trail), made by
//! the owning actor like any other change.

use hyper::StatusCode;

use super::app::{App, new_id};
use super::back_office::PersonalData;
use super::dto::{
    AccountResponse, BalanceResponse, BulkMembersRequest, BulkMembersResponse, CreditLineRequest,
    CreditLineResponse, DepositRequest, ReversalRequest, ReversalResponse, SeededMember,
    TotalsLine, TotalsResponse, VendorCreated, VendorRequest,
};
use super::error::{ApiError, Problem};
use super::json::parse_json;
use super::member_api::{account_response, seal_buyer};
use super::router::json;
use super::routes::{Call, Outcome};
use crate::crypto::secret;
use crate::domain::account::SessionExpiry;
use crate::domain::event::Origin;
use crate::domain::ids::{AccountId, LoginId, SessionId, VendorId};
use crate::domain::money::{
    Currency, NetTotal, format_amount, format_balance, format_net_total, format_total,
};
use crate::domain::reject::Reject;
use crate::domain::seed::Seed;
use crate::domain::totals::payee_totals;

/// Members opened at a time by a bulk call, so a large call keeps a bounded number of
/// messages in flight.
const BULK_WAVE: usize = 256;

fn member_id(id: &str) -> Result<AccountId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

/// `POST /admin/v1/vendors`: registers a vendor and shows its API key once.
#[utoipa::path(post, path = "/admin/v1/vendors", tag = "admin",
    request_body = VendorRequest,
    responses(
        (status = 201, description = "Registered", body = VendorCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 422, description = "The service holds no money in this currency", body = Problem)),
    security(("admin_key" = [])))]
pub async fn register_vendor(app: &App, call: Call<'_>) -> Outcome {
    let request: VendorRequest = parse_json(&call.body)?;
    let vendor = VendorId(new_id());
    let (api_key, digest) = secret::generate_api_key(&vendor.to_string(), &mut rand::rngs::OsRng);
    let registration = request.into_registration(digest.to_bytes())?;
    if !app.config.money.supports(registration.currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    app.registry
        .register_vendor(vendor, registration, app.now())
        .await
        .map_err(|error| match error {
            Ok(invalid) => ApiError::from(invalid),
            Err(gateway) => ApiError::from(gateway),
        })?;
    Ok(json(
        StatusCode::CREATED,
        &VendorCreated {
            vendor_id: vendor.to_string(),
            api_key,
        },
    ))
}

/// `POST /admin/v1/members/{id}/deposits`: credits a deposit entered by an operator, once
/// per reference.
#[utoipa::path(post, path = "/admin/v1/members/{id}/deposits", tag = "admin",
    request_body = DepositRequest,
    params(("id" = String, Path, description = "The member")),
    responses(
        (status = 201, description = "Credited (or credited before under this reference)", body = BalanceResponse),
        (status = 404, description = "No such member", body = Problem)),
    security(("admin_key" = [])))]
pub async fn deposit(app: &App, call: Call<'_>) -> Outcome {
    let account = member_id(call.params.get("id")?)?;
    let request: DepositRequest = parse_json(&call.body)?;
    let (currency, amount, reference) = request.into_parts()?;
    let balance = app
        .registry
        .deposit(account, currency, amount, reference, Origin::Admin)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &BalanceResponse {
            balance: format_balance(balance, currency),
            currency: currency.code().to_owned(),
        },
    ))
}

/// `PUT /admin/v1/members/{id}/credit-line`: how far below zero the wallet may go.
#[utoipa::path(put, path = "/admin/v1/members/{id}/credit-line", tag = "admin",
    request_body = CreditLineRequest,
    params(("id" = String, Path, description = "The member")),
    responses(
        (status = 200, description = "Set", body = CreditLineResponse),
        (status = 409, description = "Below what the wallet already drew", body = Problem)),
    security(("admin_key" = [])))]
pub async fn credit_line(app: &App, call: Call<'_>) -> Outcome {
    let account = member_id(call.params.get("id")?)?;
    let request: CreditLineRequest = parse_json(&call.body)?;
    let (currency, limit) = request.into_parts()?;
    app.registry
        .set_credit_line(account, currency, limit, Origin::Admin)
        .await?;
    Ok(json(
        StatusCode::OK,
        &CreditLineResponse {
            credit_limit: format_amount(limit, currency),
            currency: currency.code().to_owned(),
        },
    ))
}

/// `GET /admin/v1/members/{id}`: the account as its member sees it, every login's limits;
/// personal data masked unless the caller holds `members.personal_data.read`.
#[utoipa::path(get, path = "/admin/v1/members/{id}", tag = "admin",
    params(("id" = String, Path, description = "The member")),
    responses(
        (status = 200, description = "The account", body = super::dto::AccountResponse),
        (status = 404, description = "No such member", body = Problem)),
    security(("admin_key" = [])))]
pub async fn member(app: &App, call: Call<'_>) -> Outcome {
    let account = member_id(call.params.get("id")?)?;
    let shown = PersonalData::for_staff(app, call.staff()?);
    let response = member_response(app, account, shown).await?;
    Ok(json(StatusCode::OK, &response))
}

/// A member's account as the back office shows it, personal data as `shown`: the one path
/// of both doors, `GET /admin/v1/members/{id}` and the back office's member page.
///
/// # Errors
/// `NotFound` for an unknown member; faults.
pub async fn member_response(
    app: &App,
    account: AccountId,
    shown: PersonalData,
) -> Result<AccountResponse, ApiError> {
    let view = app.registry.account_view(account, None).await?;
    Ok(shown.account(account_response(app, account, &view)))
}

/// `POST /admin/v1/authorizations/{id}/reversal`: undoes a purchase: refund, entitlement
/// ended, the vendor's sale removed.
#[utoipa::path(post, path = "/admin/v1/authorizations/{id}/reversal", tag = "admin",
    request_body = ReversalRequest,
    params(("id" = String, Path, description = "The authorization")),
    responses(
        (status = 200, description = "Reversed", body = ReversalResponse),
        (status = 404, description = "No such authorization", body = Problem),
        (status = 409, description = "Reversed before", body = Problem)),
    security(("admin_key" = [])))]
pub async fn reverse(app: &App, call: Call<'_>) -> Outcome {
    let (account, authorization) = app
        .open_authorization_id(call.params.get("id")?)
        .ok_or(ApiError::NotFound)?;
    let request: ReversalRequest = parse_json(&call.body)?;
    let reason = request.into_reason()?;
    let (refund, currency) = app
        .registry
        .reverse(account, authorization, reason, Origin::Admin)
        .await?;
    Ok(json(
        StatusCode::OK,
        &ReversalResponse {
            refunded: format_amount(refund, currency),
            currency: currency.code().to_owned(),
        },
    ))
}

/// `GET /admin/v1/totals`: per currency, every term of the identity of DESIGN §2: what came
/// in and went out (deposits, cash-outs, payouts) against what is owed (members, vendors,
/// rights holders) and the MSP's equity. Vendor ledgers follow the members' durable debits by
/// a moment, so a reading taken under load may be briefly unbalanced; a quiet server is
/// always balanced, before and after any settlement run.
#[utoipa::path(get, path = "/admin/v1/totals", tag = "admin",
    responses(
        (status = 200, description = "The totals", body = TotalsResponse),
        (status = 500, description = "A total overflowed", body = Problem)),
    security(("admin_key" = [])))]
pub async fn totals(app: &App, _call: Call<'_>) -> Outcome {
    let (members, ledgers) = app.registry.totals(app.now()).await?;
    if members.overflow {
        return Err(ApiError::TotalsOverflow);
    }
    let refused = ledgers
        .iter()
        .fold(0_u64, |sum, view| sum.saturating_add(view.sales_refused));
    let settled = app.registry.settled();
    let payees = payee_totals(
        ledgers
            .iter()
            .flat_map(|view| view.figures.iter().map(|(c, figures)| (*c, figures))),
        &settled,
    )
    .map_err(|_| ApiError::TotalsOverflow)?;
    let mut currencies: Vec<Currency> = members
        .totals
        .by_currency
        .keys()
        .chain(payees.keys())
        .copied()
        .collect();
    currencies.sort();
    currencies.dedup();
    let mut conserved = refused == 0;
    let mut lines = Vec::with_capacity(currencies.len());
    for currency in currencies {
        let member = members
            .totals
            .by_currency
            .get(&currency)
            .copied()
            .unwrap_or_default();
        let payee = payees.get(&currency).copied().unwrap_or_default();
        let balanced = member
            .conserved_with(&payee)
            .ok_or(ApiError::TotalsOverflow)?;
        conserved &= balanced;
        let net = |value: Option<NetTotal>| {
            value
                .map(|value| format_net_total(value, currency))
                .ok_or(ApiError::TotalsOverflow)
        };
        lines.push(TotalsLine {
            currency: currency.code().to_owned(),
            deposits: format_total(member.deposits, currency),
            deposits_returned: format_total(member.returned, currency),
            reversals: format_total(member.refunds, currency),
            member_balances: format_net_total(member.balances, currency),
            member_debts: format_total(member.debts, currency),
            cash_outs: format_total(member.cash_outs, currency),
            cash_out_charges: format_total(member.cash_out_charges, currency),
            forfeited: format_total(member.forfeited, currency),
            transfers_in_transit: format_total(member.in_transit, currency),
            incentives_granted: format_total(member.incentives_granted, currency),
            incentives_spent_msp: format_total(member.incentives_spent_msp, currency),
            incentives_spent_vendors: format_total(member.incentives_spent_vendors, currency),
            incentives_expired: format_total(member.incentives_expired, currency),
            incentives_outstanding: net(member.incentives_outstanding())?,
            vendor_gross: format_total(payee.gross, currency),
            fees: format_total(payee.fees, currency),
            commissions: format_total(payee.commissions, currency),
            royalties: format_total(payee.royalties, currency),
            net_payable: format_net_total(payee.vendors_earned, currency),
            payouts_vendors: format_total(payee.paid_vendors, currency),
            payouts_rights_holders: format_total(payee.paid_rights_holders, currency),
            vendors_unsettled: net(payee.vendors_unsettled())?,
            rights_holders_unsettled: net(payee.rights_holders_unsettled())?,
            msp_equity: net(member.msp_equity(&payee))?,
            conserved: balanced,
        });
    }
    Ok(json(
        StatusCode::OK,
        &TotalsResponse {
            conserved,
            currencies: lines,
        },
    ))
}

/// `POST /admin/v1/members/bulk`: creates funded members with an open session and a buyer
/// token per vendor, without the argon2 path (they have no password and cannot sign in). For
/// load tests and migrations.
#[utoipa::path(post, path = "/admin/v1/members/bulk", tag = "admin",
    request_body = BulkMembersRequest,
    responses(
        (status = 201, description = "Created", body = BulkMembersResponse),
        (status = 400, description = "A field is invalid; param names it", body = Problem)),
    security(("admin_key" = [])))]
pub async fn bulk_members(app: &App, call: Call<'_>) -> Outcome {
    let request: BulkMembersRequest = parse_json(&call.body)?;
    let (count, currency, deposit, vendors) =
        request.into_parts(app.config.members.bulk_members_per_call_max)?;
    if !app.config.money.supports(currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    for vendor in &vendors {
        if app.registry.vendor(*vendor).is_none() {
            return Err(ApiError::InvalidField {
                param: "vendor_ids",
                detail: "unknown vendor".to_owned(),
            });
        }
    }
    let now = app.now();
    let seeds: Vec<Seed> = (0..count)
        .map(|_| Seed {
            account: AccountId(new_id()),
            login: LoginId(new_id()),
            session: SessionId(new_id()),
            currency,
            deposit,
            time_zone: "UTC".to_owned(),
            session_expiry: SessionExpiry::Absolute {
                expires_at: now.plus_ms(app.config.tokens.session_absolute_ttl_ms),
            },
        })
        .collect();
    let mut members = Vec::with_capacity(count);
    for wave in seeds.chunks(BULK_WAVE) {
        let opened = futures_util::future::join_all(
            wave.iter().map(|seed| app.registry.seed_account(seed, now)),
        )
        .await;
        for (result, seed) in opened.into_iter().zip(wave) {
            result?;
            members.push(SeededMember {
                member_id: seed.account.to_string(),
                buyer_tokens: vendors
                    .iter()
                    .map(|v| seal_buyer(app, seed.account, seed.login, seed.session, *v))
                    .collect(),
            });
        }
    }
    Ok(json(StatusCode::CREATED, &BulkMembersResponse { members }))
}
