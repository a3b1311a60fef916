//! Vendor calls: authorize (flow C), access check (flow D), authorization lookup, summary.

use std::time::Instant;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::HeaderMap;
use sha2::{Digest, Sha256};

use super::app::{App, IdempotencyCheck, ask, new_id};
use super::dto::{
    self, AccessRequest, AccessResponse, AuthorizeRequest, AuthorizeResponse, EntitlementView,
};
use super::error::{ApiError, TokenKind};
use super::json::{parse_json, rfc3339, to_json};
use super::purchase::{claim_offer, mint_access_token, purchase, release_offer};
use crate::actors::messages::{AccessMessage, VendorViewMessage};
use crate::crypto::token::{AccessClaims, BuyerClaims, TokenError};
use crate::domain::account::{AccessCommand, AuthorizeCommand};
use crate::domain::entitlement::{ContentKey, ContentUrl, Entitlement, Terms};
use crate::domain::event::{Event, IdempotencyStamp};
use crate::domain::ids::{AccountId, AuthorizationId, EntitlementId, LoginId, OfferId, SessionId};
use crate::domain::money::format_amount;
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::domain::vendor::OfferProblem;
use crate::domain::vendor::VendorProfile;
use crate::metrics as names;
use crate::storage::codec;
use crate::storage::rows;

/// Longest idempotency key accepted.
const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;
/// Longest title, description or vendor content id accepted.
const TEXT_FIELD_BYTES_MAX: usize = 1024;

/// `POST /v1/authorize`.
///
/// # Errors
/// Every `ApiError` of the flow.
pub async fn authorize(
    app: &App,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Bytes), ApiError> {
    let vendor = app.vendor(headers)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let text = value
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_BYTES_MAX);
            Some(
                text.ok_or(ApiError::InvalidField {
                    param: "Idempotency-Key",
                    detail: "1 to 255 visible ASCII characters".to_owned(),
                })?
                .to_owned(),
            )
        }
    };
    let vendor_id = vendor.profile.id;
    let Some(key) = key else {
        return authorize_once(app, &vendor, None, &body)
            .await
            .map(|bytes| (StatusCode::OK, bytes));
    };
    let digest: [u8; 32] = Sha256::digest(&body).into();
    match app.idempotency.begin(vendor_id, &key, digest, app.now())? {
        IdempotencyCheck::Replay(status, bytes) => {
            metrics::counter!(names::AUTHORIZATIONS, "outcome" => "replayed").increment(1);
            Ok((status, bytes))
        }
        IdempotencyCheck::Proceed => {
            let stamp = IdempotencyStamp {
                key: key.clone(),
                request_digest: digest,
            };
            let result = authorize_once(app, &vendor, Some(stamp), &body).await;
            let (status, bytes) = match &result {
                Ok(bytes) => (StatusCode::OK, bytes.clone()),
                Err(error) => (error.describe().0, error.body()),
            };
            app.idempotency.complete(vendor_id, &key, status, bytes);
            result.map(|bytes| (StatusCode::OK, bytes))
        }
    }
}

async fn authorize_once(
    app: &App,
    vendor: &crate::actors::registry::VendorEntry,
    idempotency: Option<IdempotencyStamp>,
    body: &[u8],
) -> Result<Bytes, ApiError> {
    let started = Instant::now();
    let request: AuthorizeRequest = parse_json(body)?;
    let profile = &vendor.profile;
    let now = app.now();
    let now_ms = u64::try_from(now.0).unwrap_or(0);
    let priced = match &request.offer_id {
        None => inline_offer(profile, &request)?,
        Some(id) => {
            only_offer_id(&request)?;
            claim_own_offer(app, vendor, id, now).await?
        }
    };
    let buyer = app
        .tokens
        .open::<BuyerClaims>(&request.buyer_token, profile.id.0, now_ms)
        .map_err(|error| ApiError::Token(TokenKind::Buyer, error));
    let Priced {
        price,
        currency,
        content,
        terms,
        offer,
    } = priced;
    let buyer = match buyer {
        Ok(buyer) => buyer,
        Err(error) => {
            release(vendor, offer);
            return Err(error);
        }
    };
    let account = AccountId(buyer.account);
    let command = AuthorizeCommand {
        login: LoginId(buyer.login),
        session: SessionId(buyer.session),
        vendor: profile.id,
        price,
        currency,
        content,
        terms,
        idempotency,
        new_authorization: AuthorizationId(new_id()),
        new_entitlement: EntitlementId(new_id()),
        offer,
    };
    let outcome = purchase(app, account, command, started.elapsed()).await;
    // A claimed offer is used up only by a purchase; anything else frees it.
    if !matches!(&outcome, Ok(a) if !a.already_owned && !a.replayed) {
        release(vendor, offer);
    }
    let authorization = outcome?;
    let access_token = mint_access_token(app, account, &authorization.entitlement, now);
    let response = AuthorizeResponse {
        authorization_id: authorization.authorization.to_string(),
        charged: format_amount(authorization.charged, currency),
        currency: currency.code().to_owned(),
        already_owned: authorization.already_owned,
        entitlement: entitlement_view(&authorization.entitlement),
        access_token,
        member_ref: app.pseudonyms.member_ref(account.0, profile.id.0),
    };
    Ok(to_json(&response))
}

/// What a purchase charges and grants, from the request's fields or a claimed offer.
struct Priced {
    price: crate::domain::money::Amount,
    currency: crate::domain::money::Currency,
    content: ContentKey,
    terms: Terms,
    offer: Option<OfferId>,
}

fn release(vendor: &crate::actors::registry::VendorEntry, offer: Option<OfferId>) {
    if let Some(offer) = offer {
        release_offer(vendor, offer);
    }
}

fn required<'a, T>(value: Option<&'a T>, param: &'static str) -> Result<&'a T, ApiError> {
    value.ok_or(ApiError::InvalidField {
        param,
        detail: "required unless offer_id is given".to_owned(),
    })
}

/// The offer carried in the request itself.
fn inline_offer(profile: &VendorProfile, request: &AuthorizeRequest) -> Result<Priced, ApiError> {
    let price = dto::amount_field(required(request.price.as_ref(), "price")?, "price")?;
    let currency =
        dto::currency_field(required(request.currency.as_ref(), "currency")?, "currency")?;
    let content_url = required(request.content_url.as_ref(), "content_url")?;
    let url = dto::content_url_field(content_url, "content_url")?;
    check_text(required(request.title.as_ref(), "title")?, "title", false)?;
    check_text(
        request.description.as_deref().unwrap_or(""),
        "description",
        true,
    )?;
    if let Some(id) = &request.vendor_content_id {
        check_text(id, "vendor_content_id", false)?;
    }
    let expires_at = request
        .expires_at
        .as_deref()
        .map(|text| {
            text.parse::<jiff::Timestamp>()
                .map(|t| Timestamp(t.as_millisecond()))
                .map_err(|_| ApiError::InvalidField {
                    param: "expires_at",
                    detail: "an RFC 3339 time".to_owned(),
                })
        })
        .transpose()?;
    if request.views == Some(0) {
        return Err(ApiError::InvalidField {
            param: "views",
            detail: "at least 1 (omit for unlimited)".to_owned(),
        });
    }
    check_offer(profile, currency, &url)?;
    Ok(Priced {
        price,
        currency,
        content: ContentKey::new(profile.id, request.vendor_content_id.as_deref(), &url),
        terms: Terms {
            views: request.views,
            expires_at,
            valid_days: request.valid_days,
            valid_hours: request.valid_hours,
        },
        offer: None,
    })
}

/// With `offer_id`, the offer's own fields must not be sent: the stored ones are charged.
fn only_offer_id(request: &AuthorizeRequest) -> Result<(), ApiError> {
    let fields_sent = request.price.is_some()
        || request.currency.is_some()
        || request.content_url.is_some()
        || request.title.is_some()
        || request.vendor_content_id.is_some()
        || request.views.is_some()
        || request.expires_at.is_some()
        || request.valid_days.is_some()
        || request.valid_hours.is_some()
        || request.description.is_some();
    if fields_sent {
        return Err(ApiError::InvalidField {
            param: "offer_id",
            detail: "send either offer_id or the offer's fields, not both".to_owned(),
        });
    }
    Ok(())
}

/// Claims one of this vendor's offers for the purchase (flow C with an offer id).
async fn claim_own_offer(
    app: &App,
    vendor: &crate::actors::registry::VendorEntry,
    text: &str,
    now: Timestamp,
) -> Result<Priced, ApiError> {
    let id: OfferId = dto::id_field(text, "offer_id")?;
    let owner = app.registry.vendor_of_offer(id);
    if owner.is_none_or(|owner| owner.profile.id != vendor.profile.id) {
        return Err(ApiError::Reject(Reject::OfferUnknown));
    }
    let offer = claim_offer(app, vendor, id, now).await?;
    Ok(Priced {
        price: offer.price,
        currency: offer.currency,
        content: offer.content.clone(),
        terms: offer.terms,
        offer: Some(offer.id),
    })
}

/// Checks that a price's currency and a content URL fit the vendor.
///
/// # Errors
/// `CurrencyMismatch`, `ContentDomainUnknown`.
pub(super) fn check_offer(
    profile: &crate::domain::vendor::VendorProfile,
    currency: crate::domain::money::Currency,
    url: &ContentUrl,
) -> Result<(), ApiError> {
    profile
        .check_offer(currency, url)
        .map_err(|problem| match problem {
            OfferProblem::Reject(reject) => ApiError::Reject(reject),
            OfferProblem::ContentDomainUnknown => ApiError::ContentDomainUnknown,
        })
}

pub(super) fn check_text(text: &str, param: &'static str, empty_ok: bool) -> Result<(), ApiError> {
    if (!empty_ok && text.trim().is_empty()) || text.len() > TEXT_FIELD_BYTES_MAX {
        return Err(ApiError::InvalidField {
            param,
            detail: "1 to 1024 bytes of text".to_owned(),
        });
    }
    Ok(())
}

fn entitlement_view(entitlement: &Entitlement) -> EntitlementView {
    EntitlementView {
        views_left: entitlement.views_left(),
        expires_at: entitlement.expires_at.map(rfc3339),
    }
}

/// `POST /v1/access`.
///
/// # Errors
/// Every `ApiError` of the flow.
pub async fn access(app: &App, headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let vendor = app.vendor(headers)?;
    let request: AccessRequest = parse_json(&body)?;
    let url = dto::content_url_field(&request.content_url, "content_url")?;
    let now = app.now();
    let now_ms = u64::try_from(now.0).unwrap_or(0);
    let opened = app
        .tokens
        .open::<AccessClaims>(&request.access_token, vendor.profile.id.0, now_ms)
        .and_then(|claims| {
            // A token of another run may have been spent there, and that run's memory of
            // it is gone: refuse it as expired, so the vendor re-authorizes (free when owned).
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
    let addr = app.account(account)?;
    let granted = ask(&addr, |reply| AccessMessage { command, reply }).await;
    let outcome = match &granted {
        Ok(_) => "granted",
        Err(error) => error.describe().1,
    };
    metrics::counter!(names::ACCESS_CHECKS, "outcome" => outcome).increment(1);
    let granted = granted?;
    let response = AccessResponse {
        granted: true,
        views_left: granted.entitlement.views_left(),
        expires_at: granted.entitlement.expires_at.map(rfc3339),
        member_ref: app.pseudonyms.member_ref(account.0, vendor.profile.id.0),
    };
    Ok(to_json(&response))
}

/// `GET /v1/authorizations/{id}`: a vendor that lost a reply finds out what happened. Reads
/// the durable journal, so it answers only what survived.
///
/// # Errors
/// `NotFound` for an unknown id or another vendor's.
pub async fn authorization(app: &App, headers: &HeaderMap, id: &str) -> Result<Bytes, ApiError> {
    let vendor = app.vendor(headers)?;
    let id: AuthorizationId = id.parse().map_err(|_| ApiError::NotFound)?;
    let events = authorization_events(app, id).await?;
    let mut purchase = None;
    let mut reversed_at = None;
    for event in events {
        match event {
            Event::Authorized(authorized) => purchase = Some(authorized),
            Event::Reversed { at, .. } => reversed_at = Some(at),
            _ => {}
        }
    }
    let purchase = purchase
        .filter(|p| p.vendor == vendor.profile.id)
        .ok_or(ApiError::NotFound)?;
    let entitlement = &purchase.entitlement;
    let body = serde_json::json!({
        "authorization_id": id.to_string(),
        "status": if reversed_at.is_some() { "reversed" } else { "authorized" },
        "charged": format_amount(entitlement.price, entitlement.currency),
        "currency": entitlement.currency.code(),
        "authorized_at": rfc3339(purchase.at),
        "reversed_at": reversed_at.map(rfc3339),
        "entitlement": { "views_allowed": entitlement.views_allowed, "expires_at": entitlement.expires_at.map(rfc3339) },
        "member_ref": app.pseudonyms.member_ref(purchase.account.0, vendor.profile.id.0),
    });
    Ok(to_json(&body))
}

/// The durable events of one authorization (its purchase and any reversal), oldest first.
///
/// # Errors
/// `StorageFailed` when the store cannot be read.
pub async fn authorization_events(app: &App, id: AuthorizationId) -> Result<Vec<Event>, ApiError> {
    let store = app.registry.store().clone();
    let durable = app.registry.env().journal.durable_seq();
    // fjall reads block: run them on the blocking pool, never on a shard thread.
    tokio::task::spawn_blocking(move || read_authorization_events(&store, durable, id))
        .await
        .map_err(|_| ApiError::Unavailable)?
}

fn read_authorization_events(
    store: &crate::storage::store::Store,
    durable: u64,
    id: AuthorizationId,
) -> Result<Vec<Event>, ApiError> {
    let seqs: Vec<u64> = store
        .scan_index(&rows::authorization_index_prefix(id.0), 0)
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::StorageFailed)?;
    let mut events = Vec::new();
    // A batch is readable a moment before it is durable: answer only what is durable.
    for seq in seqs.into_iter().filter(|seq| *seq <= durable) {
        let payload = store
            .get_event(seq)
            .map_err(|_| ApiError::StorageFailed)?
            .ok_or(ApiError::StorageFailed)?;
        events.push(codec::decode_event(&payload).map_err(|_| ApiError::StorageFailed)?);
    }
    Ok(events)
}

/// `GET /v1/vendors/me/summary`.
///
/// # Errors
/// `Unauthenticated`, `Unavailable`.
pub async fn summary(app: &App, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    let vendor = app.vendor(headers)?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    vendor
        .addr
        .try_send(VendorViewMessage { reply })
        .map_err(|_| ApiError::Overloaded)?;
    let state = answer.await.map_err(|_| ApiError::Unavailable)?;
    let fee_ppm = state.profile.fee_ppm;
    let currencies: Vec<serde_json::Value> = state
        .ledger
        .iter()
        .map(|(currency, ledger)| {
            serde_json::json!({
                "currency": currency.code(),
                "sales": ledger.sales,
                "gross": format_amount(ledger.gross, *currency),
                "fees": format_amount(ledger.fees(fee_ppm), *currency),
                "net_payable": format_amount(ledger.net_payable(fee_ppm), *currency),
            })
        })
        .collect();
    Ok(to_json(
        &serde_json::json!({ "vendor_id": state.profile.id.to_string(), "fee_ppm": fee_ppm, "currencies": currencies }),
    ))
}
