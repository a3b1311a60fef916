//! Admin calls: vendors, deposits, credit lines, reversals, account views, totals, bulk seed.
//! Every state change an admin makes is an event in the journal (the audit trail).

use bytes::Bytes;
use hyper::header::HeaderMap;

use super::app::{App, ask, new_id};
use super::dto::{
    self, BulkMembersRequest, CreditLineRequest, DepositRequest, ReversalRequest, VendorRequest,
};
use super::error::ApiError;
use super::json::{parse_json, to_json};
use super::member_api::{open_account, seal_buyer, view_json};
use super::vendor_api::authorization_events;
use crate::actors::messages::{
    CreditLineMessage, DepositMessage, ReverseMessage, VendorViewMessage, ViewMessage,
};
use crate::crypto::secret;
use crate::domain::account::SessionExpiry;
use crate::domain::event::{Event, Origin};
use crate::domain::ids::{AccountId, AuthorizationId, LoginId, SessionId, VendorId};
use crate::domain::money::{Amount, Currency, format_amount, format_balance};
use crate::domain::offer::OfferBook;
use crate::domain::seed::{self, Seed};
use crate::domain::time::Timestamp;
use crate::domain::vendor::{VendorProfile, VendorState};
use crate::storage::codec;
use crate::storage::rows;
use crate::storage::wal::{EventRecord, JournalEntry};

/// Longest reference or reason accepted.
const TEXT_BYTES_MAX: usize = 256;
/// Registered content domains per vendor at most.
const CONTENT_DOMAINS_MAX: usize = 64;

fn text(value: &str, param: &'static str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.len() > TEXT_BYTES_MAX {
        return Err(ApiError::InvalidField {
            param,
            detail: "1 to 256 bytes".to_owned(),
        });
    }
    Ok(value.to_owned())
}

/// `POST /admin/v1/vendors`.
///
/// # Errors
/// Invalid fields, faults.
pub async fn register_vendor(
    app: &App,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let request: VendorRequest = parse_json(&body)?;
    let name = text(&request.name, "name")?;
    let currency = dto::currency_field(&request.currency, "currency")?;
    if request.fee_ppm > 1_000_000 {
        return Err(ApiError::InvalidField {
            param: "fee_ppm",
            detail: "0 to 1000000 parts per million".to_owned(),
        });
    }
    let domains_ok = !request.content_domains.is_empty()
        && request.content_domains.len() <= CONTENT_DOMAINS_MAX
        && request.content_domains.iter().all(|d| {
            url::Host::parse(d).is_ok()
                && !d.is_empty()
                && d.len() <= 253
                && !d.contains('/')
                && !d.contains(':')
        });
    if !domains_ok {
        return Err(ApiError::InvalidField {
            param: "content_domains",
            detail: "1 to 64 host names".to_owned(),
        });
    }
    let vendor = VendorId(new_id());
    let (api_key, digest) = secret::generate_api_key(&vendor.to_string(), &mut rand::rngs::OsRng);
    let profile = VendorProfile {
        id: vendor,
        name,
        currency,
        content_domains: request
            .content_domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect(),
        fee_ppm: request.fee_ppm,
        api_key_digest: digest.to_bytes(),
        registered_at: app.now(),
    };
    let event = Event::VendorRegistered(Box::new(profile.clone()));
    let state = VendorState::registered(profile);
    let (key, value) = rows::vendor_row(&state);
    let entry = JournalEntry {
        events: vec![EventRecord {
            payload: codec::encode_event(&event),
            index_keys: rows::index_keys(&event),
            notify: false,
        }],
        state_puts: vec![(key, value)],
        state_deletes: Vec::new(),
    };
    let journal = &app.registry.env().journal;
    let ack = journal
        .try_reserve()
        .map_err(|_| ApiError::Overloaded)?
        .submit(entry);
    ack.await.map_err(|_| ApiError::StorageFailed)?;
    app.registry.add_vendor(state, OfferBook::new());
    Ok(to_json(
        &serde_json::json!({ "vendor_id": vendor.to_string(), "api_key": api_key }),
    ))
}

fn member_id(id: &str) -> Result<AccountId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

/// `POST /admin/v1/members/{id}/deposits`.
///
/// # Errors
/// Invalid fields, `NotFound`, faults.
pub async fn deposit(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let account = member_id(id)?;
    let request: DepositRequest = parse_json(&body)?;
    let amount = dto::amount_field(&request.amount, "amount")?;
    if amount.is_zero() {
        return Err(ApiError::InvalidAmount { param: "amount" });
    }
    let currency = dto::currency_field(&request.currency, "currency")?;
    let reference = text(&request.reference, "reference")?;
    let addr = app.account(account)?;
    let balance = ask(&addr, |reply| DepositMessage {
        currency,
        amount,
        reference,
        by: Origin::Admin,
        reply,
    })
    .await?;
    Ok(to_json(
        &serde_json::json!({ "balance": format_balance(balance, currency), "currency": currency.code() }),
    ))
}

/// `PUT /admin/v1/members/{id}/credit-line`.
///
/// # Errors
/// Invalid fields, `NotFound`, faults.
pub async fn credit_line(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let account = member_id(id)?;
    let request: CreditLineRequest = parse_json(&body)?;
    let limit = dto::amount_field(&request.limit, "limit")?;
    let currency = dto::currency_field(&request.currency, "currency")?;
    let addr = app.account(account)?;
    ask(&addr, |reply| CreditLineMessage {
        currency,
        limit,
        by: Origin::Admin,
        reply,
    })
    .await?;
    Ok(to_json(
        &serde_json::json!({ "credit_limit": format_amount(limit, currency), "currency": currency.code() }),
    ))
}

/// `GET /admin/v1/members/{id}`.
///
/// # Errors
/// `NotFound`, faults.
pub async fn member(app: &App, headers: &HeaderMap, id: &str) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let account = member_id(id)?;
    let addr = app.account(account)?;
    let view = ask(&addr, |reply| ViewMessage {
        session: None,
        reply,
    })
    .await?;
    Ok(to_json(&view_json(account, &view)))
}

/// `POST /admin/v1/authorizations/{id}/reversal`.
///
/// # Errors
/// `NotFound`, `AlreadyReversed`, faults.
pub async fn reverse(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let authorization: AuthorizationId = id.parse().map_err(|_| ApiError::NotFound)?;
    let request: ReversalRequest = parse_json(&body)?;
    let reason = text(&request.reason, "reason")?;
    let account = authorization_events(app, authorization)
        .await?
        .iter()
        .find_map(|event| match event {
            Event::Authorized(authorized) => Some(authorized.account),
            _ => None,
        })
        .ok_or(ApiError::NotFound)?;
    let addr = app.account(account)?;
    let (refund, currency) = ask(&addr, |reply| ReverseMessage {
        authorization,
        reason,
        by: Origin::Admin,
        reply,
    })
    .await?;
    Ok(to_json(
        &serde_json::json!({ "refunded": format_amount(refund, currency), "currency": currency.code() }),
    ))
}

/// `GET /admin/v1/totals`: per currency, what members deposited and hold against what vendors
/// sold. `conserved` holds when deposits == member balances + vendor gross for every currency.
/// Vendor aggregates follow the members' durable debits by a moment, so a reading taken under
/// load may be briefly unbalanced; a quiet server is always balanced.
///
/// # Errors
/// `Unauthenticated`, faults.
pub async fn totals(app: &App, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let members = app.registry.env().totals.snapshot();
    let mut vendor_gross: std::collections::BTreeMap<Currency, (Amount, Amount)> =
        std::collections::BTreeMap::new();
    for vendor in app.registry.vendors() {
        let (reply, answer) = tokio::sync::oneshot::channel();
        vendor
            .addr
            .send(VendorViewMessage { reply })
            .await
            .map_err(|_| ApiError::Unavailable)?;
        let state = answer.await.map_err(|_| ApiError::Unavailable)?;
        for (currency, ledger) in &state.ledger {
            let entry = vendor_gross.entry(*currency).or_default();
            entry.0 = entry
                .0
                .checked_add(ledger.gross)
                .ok_or(ApiError::Unavailable)?;
            entry.1 = entry
                .1
                .checked_add(ledger.fees(state.profile.fee_ppm))
                .ok_or(ApiError::Unavailable)?;
        }
    }
    let mut currencies: Vec<Currency> =
        members.keys().chain(vendor_gross.keys()).copied().collect();
    currencies.sort();
    currencies.dedup();
    let mut conserved = true;
    let rows: Vec<serde_json::Value> = currencies
        .iter()
        .map(|currency| {
            let member = members.get(currency).copied().unwrap_or_default();
            let (gross, fees) = vendor_gross.get(currency).copied().unwrap_or_default();
            let net = gross.checked_sub(fees).unwrap_or(Amount::ZERO);
            let balanced = i128::from(member.deposits.micros())
                == member.balances.saturating_add(i128::from(gross.micros()));
            conserved &= balanced;
            let balances = i64::try_from(member.balances).map_or_else(
                |_| "overflow".to_owned(),
                |b| format_balance(crate::domain::money::Balance::from_micros(b), *currency),
            );
            serde_json::json!({
                "currency": currency.code(),
                "deposits": format_amount(member.deposits, *currency),
                "reversals": format_amount(member.refunds, *currency),
                "member_balances": balances,
                "vendor_gross": format_amount(gross, *currency),
                "fees": format_amount(fees, *currency),
                "net_payable": format_amount(net, *currency),
                "conserved": balanced,
            })
        })
        .collect();
    Ok(to_json(
        &serde_json::json!({ "conserved": conserved, "currencies": rows }),
    ))
}

/// `POST /admin/v1/members/bulk`: creates funded members with an open session and a buyer token
/// per vendor, without the argon2 path (they have no password and cannot sign in). For load
/// tests and migrations.
///
/// # Errors
/// Invalid fields, faults.
pub async fn bulk_members(app: &App, headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    app.admin(headers)?;
    let request: BulkMembersRequest = parse_json(&body)?;
    if request.count == 0 || request.count > app.config.members.bulk_members_per_call_max {
        return Err(ApiError::InvalidField {
            param: "count",
            detail: "1 to members.bulk_members_per_call_max".to_owned(),
        });
    }
    let currency = dto::currency_field(&request.currency, "currency")?;
    let deposit = dto::amount_field(&request.deposit, "deposit")?;
    let vendors = request
        .vendor_ids
        .iter()
        .map(|id| {
            let vendor: VendorId = dto::id_field(id, "vendor_ids")?;
            app.registry
                .vendor(vendor)
                .map(|_| vendor)
                .ok_or(ApiError::InvalidField {
                    param: "vendor_ids",
                    detail: "unknown vendor".to_owned(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let now = app.now();
    let mut members = Vec::with_capacity(request.count);
    // Opened in waves so a large call keeps a bounded number of messages in flight.
    let mut pending = Vec::with_capacity(request.count);
    for _ in 0..request.count {
        pending.push(seed_events(app, currency, deposit, now));
    }
    for wave in pending.chunks(256) {
        let opened = futures_util::future::join_all(
            wave.iter()
                .map(|(events, ..)| open_account(app, events.clone())),
        )
        .await;
        for (result, (_, account, login, session)) in opened.into_iter().zip(wave) {
            result?;
            let tokens: Vec<String> = vendors
                .iter()
                .map(|v| seal_buyer(app, *account, *login, *session, *v))
                .collect();
            members.push(
                serde_json::json!({ "member_id": account.to_string(), "buyer_tokens": tokens }),
            );
        }
    }
    Ok(to_json(&serde_json::json!({ "members": members })))
}

fn seed_events(
    app: &App,
    currency: Currency,
    deposit: Amount,
    now: Timestamp,
) -> (Vec<Event>, AccountId, LoginId, SessionId) {
    let seed = Seed {
        account: AccountId(new_id()),
        login: LoginId(new_id()),
        session: SessionId(new_id()),
        currency,
        deposit,
        time_zone: "UTC".to_owned(),
        session_expiry: SessionExpiry::Absolute {
            expires_at: now.plus_ms(app.config.tokens.session_absolute_ttl_ms),
        },
    };
    (
        seed::seed_events(&seed, now),
        seed.account,
        seed.login,
        seed.session,
    )
}
