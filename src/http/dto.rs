//! Wire types: what vendors, members and admins send and receive, separate from domain types.
//! Each request type has exactly one conversion into typed domain input (`to_*` functions
//! below); each response is a typed struct. The OpenAPI document is generated from these
//! types. Amounts travel as decimal strings, read as raw JSON values so that a number or a
//! malformed string is a 400 that names the field.
//!
//! Conversions here are pure: they parse and check the shape of fields. Rules about what may
//! be sold or registered are the domain's (`OfferDraft::check`, `decide_register`,
//! `decide_open`); conversions only hand it typed values.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use crate::domain::entitlement::ContentUrl;
use crate::domain::ids::{OfferId, VendorId};
use crate::domain::limits::Limits;
use crate::domain::money::{self, Amount, Currency};
use crate::domain::offer::{IncentivePolicy, OfferDraft};
use crate::domain::time::Timestamp;

/// Longest idempotency key accepted.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;
/// Items one batch carries at most.
pub const BATCH_ITEMS_MAX: usize = 1_000;
/// Longest deposit reference or reversal reason accepted.
const REFERENCE_BYTES_MAX: usize = 256;
/// Incentive ids one offer may list at most.
const INCENTIVE_IDS_MAX: usize = 64;
/// Longest pass-through data accepted.
const OPTIONAL_DATA_BYTES_MAX: usize = 1024;

/// Parses an amount field: a JSON string matching the amount grammar.
///
/// # Errors
/// `ApiError::InvalidAmount` naming `param`.
pub fn amount_field(value: &Value, param: &'static str) -> Result<Amount, ApiError> {
    value
        .as_str()
        .and_then(|text| money::parse_amount(text).ok())
        .ok_or(ApiError::InvalidAmount { param })
}

fn optional_amount_field(
    value: Option<&Value>,
    param: &'static str,
) -> Result<Option<Amount>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => amount_field(value, param).map(Some),
    }
}

/// Parses a currency field.
///
/// # Errors
/// `ApiError::InvalidField` naming `param`.
pub fn currency_field(text: &str, param: &'static str) -> Result<Currency, ApiError> {
    Currency::parse(text).map_err(|_| ApiError::InvalidField {
        param,
        detail: "not a known ISO 4217 currency code".to_owned(),
    })
}

/// Parses a content URL field (absolute http or https, normalized).
///
/// # Errors
/// `ApiError::InvalidField` naming `param`.
pub fn content_url_field(text: &str, param: &'static str) -> Result<ContentUrl, ApiError> {
    ContentUrl::parse(text).map_err(|e| ApiError::InvalidField {
        param,
        detail: e.to_string(),
    })
}

/// Parses an id field of a given type.
///
/// # Errors
/// `ApiError::InvalidField` naming `param`.
pub fn id_field<T: std::str::FromStr>(text: &str, param: &'static str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::InvalidField {
        param,
        detail: "malformed id".to_owned(),
    })
}

fn time_field(text: &str, param: &'static str) -> Result<Timestamp, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| ApiError::InvalidField {
            param,
            detail: "an RFC 3339 time such as 2026-12-31T23:59:59Z".to_owned(),
        })
}

/// Items on one page of a list at most.
pub const PAGE_MAX: usize = 100;
/// Items on a page unless `limit` says otherwise.
pub const PAGE_DEFAULT: usize = 50;

/// Reads a list's `limit`: 1 to `PAGE_MAX`.
///
/// # Errors
/// `InvalidField` on `limit`.
pub fn limit_field(value: &str) -> Result<usize, ApiError> {
    value
        .parse()
        .ok()
        .filter(|limit| (1..=PAGE_MAX).contains(limit))
        .ok_or(ApiError::InvalidField {
            param: "limit",
            detail: "1 to 100".to_owned(),
        })
}

/// A trimmed reason or name field of 1 to 256 bytes.
///
/// # Errors
/// `InvalidField` naming `param`.
pub fn text_field(value: &str, param: &'static str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.len() > REFERENCE_BYTES_MAX {
        return Err(ApiError::InvalidField {
            param,
            detail: "1 to 256 bytes".to_owned(),
        });
    }
    Ok(value.to_owned())
}

/// Reads an `Idempotency-Key` header: absent, or 1 to 255 visible ASCII characters.
///
/// # Errors
/// `InvalidField` naming the header.
pub fn idempotency_key(headers: &hyper::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_BYTES_MAX)
        .map(|k| Some(k.to_owned()))
        .ok_or(ApiError::InvalidField {
            param: "Idempotency-Key",
            detail: "1 to 255 visible ASCII characters".to_owned(),
        })
}

/// `POST /v1/authorize`, and one item of `POST /v1/authorize/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The member's buyer token for this vendor.
    pub buyer_token: String,
    /// An offer posted before (`POST /v1/offers`): its stored price and terms are charged,
    /// and it is used up. Give either this or the fields below, not both.
    pub offer_id: Option<String>,
    /// Price, a decimal string such as "0.10".
    #[schema(value_type = Option<String>)]
    pub price: Option<Value>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Where the content is.
    pub content_url: Option<String>,
    /// Shown on statements.
    pub title: Option<String>,
    /// The vendor's own id for the content; keys the entitlement when given.
    pub vendor_content_id: Option<String>,
    /// Views allowed (omit for unlimited).
    pub views: Option<u32>,
    /// Absolute expiry of the entitlement, RFC 3339, in the future.
    pub expires_at: Option<String>,
    /// Days valid after purchase.
    pub valid_days: Option<u32>,
    /// Hours valid after purchase.
    pub valid_hours: Option<u32>,
    /// Shown on statements.
    pub description: Option<String>,
    /// Rights holders owed a share of the price (with inline terms; a posted offer carries
    /// its own).
    pub royalties: Option<Vec<super::settlement_dto::RoyaltyRequest>>,
}

/// What an authorize charges for: the terms sent inline, or a posted offer.
#[derive(Debug)]
pub enum Priced {
    /// The offer's terms came with the request (checked by the domain next).
    Inline(OfferDraft),
    /// A posted offer: its stored price and terms are charged.
    Posted(OfferId),
}

/// A field an authorize needs when it names no posted offer.
fn required<'a, T>(value: Option<&'a T>, param: &'static str) -> Result<&'a T, ApiError> {
    value.ok_or(ApiError::InvalidField {
        param,
        detail: "required unless offer_id is given".to_owned(),
    })
}

/// A field this kind of request needs.
fn needed<'a, T>(value: Option<&'a T>, param: &'static str) -> Result<&'a T, ApiError> {
    value.ok_or(ApiError::InvalidField {
        param,
        detail: "required".to_owned(),
    })
}

impl AuthorizeRequest {
    /// The one conversion of an authorize request: the buyer token and what is bought.
    ///
    /// # Errors
    /// `InvalidField` or `InvalidAmount` naming the field.
    pub fn into_parts(self) -> Result<(String, Priced), ApiError> {
        if let Some(id) = &self.offer_id {
            let fields_sent = self.price.is_some()
                || self.currency.is_some()
                || self.content_url.is_some()
                || self.title.is_some()
                || self.vendor_content_id.is_some()
                || self.views.is_some()
                || self.expires_at.is_some()
                || self.valid_days.is_some()
                || self.valid_hours.is_some()
                || self.description.is_some()
                || self.royalties.is_some();
            if fields_sent {
                return Err(ApiError::InvalidField {
                    param: "offer_id",
                    detail: "send either offer_id or the offer's fields, not both".to_owned(),
                });
            }
            let offer = id_field(id, "offer_id")?;
            return Ok((self.buyer_token, Priced::Posted(offer)));
        }
        let draft = OfferDraft {
            price: amount_field(required(self.price.as_ref(), "price")?, "price")?,
            currency: currency_field(required(self.currency.as_ref(), "currency")?, "currency")?,
            content_url: content_url_field(
                required(self.content_url.as_ref(), "content_url")?,
                "content_url",
            )?,
            title: required(self.title.as_ref(), "title")?.clone(),
            description: self.description,
            vendor_content_id: self.vendor_content_id,
            views: self.views,
            expires_at: self
                .expires_at
                .as_deref()
                .map(|text| time_field(text, "expires_at"))
                .transpose()?,
            valid_days: self.valid_days,
            valid_hours: self.valid_hours,
            royalties: super::settlement_dto::royalties(self.royalties.as_deref())?,
        };
        Ok((self.buyer_token, Priced::Inline(draft)))
    }
}

/// `POST /v1/authorize/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 1,000 purchases, each like a single authorize; independent of each other. Kept
    /// as raw JSON text so each item is parsed once, on its own: a bad item is its own
    /// problem, and no intermediate JSON tree is built.
    #[schema(value_type = Vec<AuthorizeRequest>)]
    pub items: Vec<Box<serde_json::value::RawValue>>,
}

impl BatchRequest {
    /// The one conversion of a batch: each item parsed on its own (a bad item is its own
    /// problem, not the batch's).
    ///
    /// # Errors
    /// `InvalidField` on `items` for an empty or too long batch.
    pub fn into_items(self) -> Result<Vec<Result<AuthorizeRequest, ApiError>>, ApiError> {
        if self.items.is_empty() || self.items.len() > BATCH_ITEMS_MAX {
            return Err(ApiError::InvalidField {
                param: "items",
                detail: "1 to 1000 items".to_owned(),
            });
        }
        Ok(self
            .items
            .iter()
            .map(|item| {
                serde_json::from_str(item.get())
                    .map_err(|error| ApiError::MalformedBody(error.to_string()))
            })
            .collect())
    }
}

/// Entitlement as vendors see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EntitlementView {
    /// Views left; null = unlimited.
    pub views_left: Option<u32>,
    /// Expiry, RFC 3339; null = never.
    pub expires_at: Option<String>,
}

/// `POST /v1/authorize` → 200, and each successful item of a batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizeResponse {
    /// The outcome's id (sealed: it names the purchase, not the member).
    pub authorization_id: String,
    /// Charged now.
    pub charged: String,
    /// Its currency.
    pub currency: String,
    /// True when nothing was charged because the member owns the content.
    pub already_owned: bool,
    /// The entitlement.
    pub entitlement: EntitlementView,
    /// Single-use, short-lived proof for `POST /v1/access`.
    pub access_token: String,
    /// The member's pseudonym at this vendor.
    pub member_ref: String,
    /// How the charge was paid (zeros when already owned); `null` for a retry answered after
    /// a restart, when the first split is no longer known.
    pub paid_from: Option<PaidFromView>,
}

/// How a purchase was paid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaidFromView {
    /// From incentive grants.
    pub incentive: String,
    /// From the paid balance.
    pub balance: String,
    /// Drawn on the credit line.
    pub credit: String,
}

/// One item's outcome in a batch: the authorize result, or its problem.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResult {
    /// The item was authorized (or already owned).
    Authorized(AuthorizeResponse),
    /// The item failed; the others are not affected.
    Failed {
        /// Why.
        problem: Problem,
    },
}

/// `POST /v1/authorize/batch` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    /// One result per item, in order.
    pub results: Vec<BatchResult>,
}

/// `POST /v1/access`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// The token from an authorize reply.
    pub access_token: String,
    /// The content about to be shown.
    pub content_url: String,
}

impl AccessRequest {
    /// The one conversion of an access request: the token and the normalized URL.
    ///
    /// # Errors
    /// `InvalidField` on `content_url`.
    pub fn into_parts(self) -> Result<(String, ContentUrl), ApiError> {
        let url = content_url_field(&self.content_url, "content_url")?;
        Ok((self.access_token, url))
    }
}

/// `POST /v1/access` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessResponse {
    /// Always true (a refusal is a 403 problem).
    pub granted: bool,
    /// Views left after this one; null = unlimited.
    pub views_left: Option<u32>,
    /// Entitlement expiry; null = never.
    pub expires_at: Option<String>,
    /// The member's pseudonym at this vendor.
    pub member_ref: String,
}

/// `GET /v1/authorizations/{id}` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizationResponse {
    /// The id asked about.
    pub authorization_id: String,
    /// `authorized` or `reversed`.
    pub status: String,
    /// What was charged.
    pub charged: String,
    /// Its currency.
    pub currency: String,
    /// When, RFC 3339.
    pub authorized_at: String,
    /// When it was reversed, if it was.
    pub reversed_at: Option<String>,
    /// The entitlement's terms.
    pub entitlement: AuthorizationEntitlement,
    /// The member's pseudonym at this vendor.
    pub member_ref: String,
}

/// The terms of an authorization's entitlement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizationEntitlement {
    /// Views granted in all; null = unlimited.
    pub views_allowed: Option<u32>,
    /// Expiry, RFC 3339; null = never.
    pub expires_at: Option<String>,
}

/// `GET /v1/vendors/me/summary` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SummaryResponse {
    /// The vendor.
    pub vendor_id: String,
    /// The first tier's rate of its fee schedule, ppm (the whole rate of a flat fee).
    pub fee_ppm: u32,
    /// Its fee schedule in effect.
    pub fee_schedule: super::settlement_dto::FeeScheduleView,
    /// Its commission rates.
    pub commission: super::settlement_dto::CommissionRequest,
    /// When and where it is paid (none set: it is not paid yet); `next_settlement` is the
    /// next scheduled date.
    pub settlement: Option<super::settlement_dto::SettlementView>,
    /// Money per currency.
    pub currencies: Vec<SummaryLine>,
}

/// A vendor's money in one currency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SummaryLine {
    /// ISO 4217 code.
    pub currency: String,
    /// Purchases counted (reversed ones removed).
    pub sales: u64,
    /// Their gross.
    pub gross: String,
    /// The MSP's fees on the fee base (gross less own incentives) of every period.
    pub fees: String,
    /// The part of the gross that incentives the MSP funds paid (the MSP pays it).
    pub incentives_msp: String,
    /// The part of the gross the vendor's own incentives paid (not paid to it).
    pub incentives_own: String,
    /// Royalties withheld for rights holders.
    pub royalties_withheld: String,
    /// Commissions earned: referred members' purchases, funds bought through the vendor.
    pub commissions: String,
    /// Everything earned: gross − fees − royalties − own incentives + commissions.
    pub net_payable: String,
    /// Paid out by settlement runs (net of returned payouts).
    pub settled: String,
    /// Earned and not paid yet (negative: clawed back from the next payout).
    pub unsettled: String,
    /// The fee period in progress.
    pub period: PeriodView,
}

/// The fee period in progress.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    /// `month` or `quarter`.
    pub period: String,
    /// The tier reached, from 1.
    pub tier: usize,
    /// Fee base so far.
    pub fee_base: String,
    /// Fees so far.
    pub fees: String,
}

/// `POST /admin/v1/vendors`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorRequest {
    /// Display name.
    pub name: String,
    /// Currency it sells in.
    pub currency: String,
    /// Hosts of its content URLs.
    pub content_domains: Vec<String>,
    /// MSP fee, parts per million.
    pub fee_ppm: u32,
}

impl VendorRequest {
    /// The one conversion of a vendor registration (the API key digest is drawn by the caller).
    ///
    /// # Errors
    /// `InvalidField` on `currency`.
    pub fn into_registration(
        self,
        api_key_digest: [u8; 32],
    ) -> Result<crate::domain::vendor::VendorRegistration, ApiError> {
        Ok(crate::domain::vendor::VendorRegistration {
            name: self.name,
            currency: currency_field(&self.currency, "currency")?,
            content_domains: self.content_domains,
            fee_ppm: self.fee_ppm,
            api_key_digest,
        })
    }
}

/// `POST /admin/v1/vendors` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorCreated {
    /// The new vendor.
    pub vendor_id: String,
    /// Its API key, shown once.
    pub api_key: String,
}

/// `POST /admin/v1/members/{id}/deposits`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Amount, a decimal string.
    #[schema(value_type = String)]
    pub amount: Value,
    /// Wallet currency.
    pub currency: String,
    /// Credited once per member.
    pub reference: String,
}

impl DepositRequest {
    /// The one conversion of a deposit: currency, amount above zero, reference.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(Currency, Amount, String), ApiError> {
        let amount = amount_field(&self.amount, "amount")?;
        if amount.is_zero() {
            return Err(ApiError::InvalidAmount { param: "amount" });
        }
        Ok((
            currency_field(&self.currency, "currency")?,
            amount,
            text_field(&self.reference, "reference")?,
        ))
    }
}

/// A wallet balance after a change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BalanceResponse {
    /// The balance.
    pub balance: String,
    /// Its currency.
    pub currency: String,
}

/// `PUT /admin/v1/members/{id}/credit-line`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLineRequest {
    /// Wallet currency.
    pub currency: String,
    /// How far below zero the wallet may go.
    #[schema(value_type = String)]
    pub limit: Value,
}

impl CreditLineRequest {
    /// The one conversion of a credit line.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(Currency, Amount), ApiError> {
        Ok((
            currency_field(&self.currency, "currency")?,
            amount_field(&self.limit, "limit")?,
        ))
    }
}

/// `PUT /admin/v1/members/{id}/credit-line` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditLineResponse {
    /// The new line.
    pub credit_limit: String,
    /// Its currency.
    pub currency: String,
}

/// `POST /admin/v1/authorizations/{id}/reversal`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    /// Why (recorded in the event).
    pub reason: String,
}

impl ReversalRequest {
    /// The one conversion of a reversal: its reason.
    ///
    /// # Errors
    /// `InvalidField` on `reason`.
    pub fn into_reason(self) -> Result<String, ApiError> {
        text_field(&self.reason, "reason")
    }
}

/// `POST /v1/refunds`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The sale to refund (one of this vendor's).
    pub authorization_id: String,
    /// Why (recorded in the event).
    pub reason: String,
}

impl RefundRequest {
    /// The one conversion: the authorization id as sent, and the reason.
    ///
    /// # Errors
    /// `InvalidField` on `reason`.
    pub fn into_parts(self) -> Result<(String, String), ApiError> {
        Ok((self.authorization_id, text_field(&self.reason, "reason")?))
    }
}

/// `POST /admin/v1/authorizations/{id}/reversal` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReversalResponse {
    /// What was refunded.
    pub refunded: String,
    /// Its currency.
    pub currency: String,
}

/// `POST /admin/v1/members/bulk`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMembersRequest {
    /// Members to create.
    pub count: usize,
    /// Wallet currency.
    pub currency: String,
    /// Deposited into each.
    #[schema(value_type = String)]
    pub deposit: Value,
    /// A buyer token is minted per member for each of these vendors.
    pub vendor_ids: Vec<String>,
}

impl BulkMembersRequest {
    /// The one conversion of a bulk seeding: count (1 to `count_max`), currency, deposit,
    /// vendors.
    ///
    /// # Errors
    /// `InvalidField` or `InvalidAmount` naming the field.
    pub fn into_parts(
        self,
        count_max: usize,
    ) -> Result<(usize, Currency, Amount, Vec<VendorId>), ApiError> {
        if self.count == 0 || self.count > count_max {
            return Err(ApiError::InvalidField {
                param: "count",
                detail: "1 to members.bulk_members_per_call_max".to_owned(),
            });
        }
        let vendors = self
            .vendor_ids
            .iter()
            .map(|id| id_field(id, "vendor_ids"))
            .collect::<Result<Vec<VendorId>, _>>()?;
        Ok((
            self.count,
            currency_field(&self.currency, "currency")?,
            amount_field(&self.deposit, "deposit")?,
            vendors,
        ))
    }
}

/// One seeded member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SeededMember {
    /// The member.
    pub member_id: String,
    /// One buyer token per vendor asked for, in order.
    pub buyer_tokens: Vec<String>,
}

/// `POST /admin/v1/members/bulk` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkMembersResponse {
    /// The members created.
    pub members: Vec<SeededMember>,
}

/// `GET /admin/v1/totals` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotalsResponse {
    /// True when every currency balances.
    pub conserved: bool,
    /// Per currency.
    pub currencies: Vec<TotalsLine>,
}

/// The money of one currency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotalsLine {
    /// ISO 4217 code.
    pub currency: String,
    /// Everything deposited (bank debits included once accepted).
    pub deposits: String,
    /// Bank debits returned after they were credited.
    pub deposits_returned: String,
    /// Everything refunded by reversals.
    pub reversals: String,
    /// What members hold.
    pub member_balances: String,
    /// What members owe: returned debits already spent, not yet repaid.
    pub member_debts: String,
    /// Paid out by cash-outs (amounts less charges).
    pub cash_outs: String,
    /// Cash-out service charges kept.
    pub cash_out_charges: String,
    /// Paid balance members forfeited when they closed their accounts: the service's own.
    pub forfeited: String,
    /// Sent by members and not yet received: still members' money.
    pub transfers_in_transit: String,
    /// Incentives granted to members (a promise, not cash).
    pub incentives_granted: String,
    /// Incentives spent that the MSP funds: it pays them to vendors out of its equity.
    pub incentives_spent_msp: String,
    /// Incentives spent that vendors funded (their own programs): not paid to them.
    pub incentives_spent_vendors: String,
    /// Incentives that expired unspent.
    pub incentives_expired: String,
    /// Incentives still owed as a promise: granted less spent and expired.
    pub incentives_outstanding: String,
    /// What vendors sold.
    pub vendor_gross: String,
    /// MSP fees on that.
    pub fees: String,
    /// Commissions vendors earned (referrals, funds bought through them).
    pub commissions: String,
    /// Royalties accrued to rights holders, withheld from vendors.
    pub royalties: String,
    /// What vendors earned: gross − fees − royalties − their own incentives + commissions.
    pub net_payable: String,
    /// Paid out to vendors by settlement runs, net of returned payouts.
    pub payouts_vendors: String,
    /// Paid out to rights holders, net of returned payouts.
    pub payouts_rights_holders: String,
    /// Owed to vendors and not paid yet (negative: to claw back from later payouts).
    pub vendors_unsettled: String,
    /// Owed to rights holders and not paid yet.
    pub rights_holders_unsettled: String,
    /// The MSP's own money: fees + cash-out charges − commissions − MSP incentives spent.
    pub msp_equity: String,
    /// deposits − deposits returned − cash-outs − payouts == member balances + transfers in
    /// transit − member debts + vendors unsettled + rights holders unsettled + MSP equity.
    pub conserved: bool,
}

/// `POST /v1/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Sign-in e-mail.
    pub email: String,
    /// Password (8 to 1024 characters).
    pub password: String,
    /// Language tag, e.g. `en`, `ja`, `pt-BR`.
    pub language: String,
    /// First wallet's currency.
    pub currency: String,
    /// IANA time zone; default UTC.
    pub time_zone: Option<String>,
    /// The vendor whose referral link the member came through (`ven_…`): it earns a
    /// commission on the member's purchases for `settlement.referral_months`.
    pub referred_by: Option<String>,
    /// With `referred_by`: whether the member lets vendors offer them their mailing lists
    /// ([0264], the registration's box, ticked by default). `false` also stops the daily
    /// summary from offering any vendor's list later ([0265]). Default `true`.
    #[serde(default)]
    pub vendor_offers: Option<bool>,
    /// Two to five security questions asked again before sensitive changes ([0144]):
    /// optional here (integrations and the load harness register without), required by the
    /// registration page.
    #[serde(default)]
    pub security_questions: Option<Vec<QuestionAnswer>>,
}

/// `POST /v1/members` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberCreated {
    /// The new member.
    pub member_id: String,
}

/// `POST /v1/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Sign-in e-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// `absolute` or `idle`.
    pub expiry: String,
}

/// `POST /v1/sessions` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionCreated {
    /// The session token (a bearer credential for member calls).
    pub session_token: String,
    /// When the session expires if nothing else happens, RFC 3339.
    pub expires_at: String,
}

/// `POST /v1/buyer-tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerTokenRequest {
    /// The vendor the token lets charge.
    pub vendor_id: String,
}

impl BuyerTokenRequest {
    /// The one conversion of a buyer-token request.
    ///
    /// # Errors
    /// `InvalidField` on `vendor_id`.
    pub fn into_vendor(self) -> Result<VendorId, ApiError> {
        id_field(&self.vendor_id, "vendor_id")
    }
}

/// `POST /v1/buyer-tokens` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BuyerTokenCreated {
    /// The token.
    pub buyer_token: String,
    /// When the session behind it expires if nothing else happens, RFC 3339.
    pub expires_at: String,
}

/// `PUT /v1/members/me/limits`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    /// Wallet currency.
    pub currency: String,
    /// Omitted or null: no limit.
    #[schema(value_type = Option<String>)]
    pub per_transaction: Option<Value>,
    /// Omitted or null: no limit.
    #[schema(value_type = Option<String>)]
    pub per_session: Option<Value>,
    /// Omitted or null: no limit.
    #[schema(value_type = Option<String>)]
    pub per_day: Option<Value>,
    /// Omitted or null: no limit.
    #[schema(value_type = Option<String>)]
    pub per_week: Option<Value>,
    /// Omitted or null: no limit.
    #[schema(value_type = Option<String>)]
    pub per_month: Option<Value>,
    /// Omitted or null: every vendor.
    pub vendors_allowed: Option<Vec<String>>,
}

impl LimitsRequest {
    /// The one conversion of new limits.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_limits(self) -> Result<(Currency, Limits), ApiError> {
        let vendors_allowed = match self.vendors_allowed {
            None => None,
            Some(ids) => Some(
                ids.iter()
                    .map(|id| id_field::<VendorId>(id, "vendors_allowed"))
                    .collect::<Result<BTreeSet<_>, _>>()?,
            ),
        };
        let limits = Limits {
            per_transaction: optional_amount_field(
                self.per_transaction.as_ref(),
                "per_transaction",
            )?,
            per_session: optional_amount_field(self.per_session.as_ref(), "per_session")?,
            per_day: optional_amount_field(self.per_day.as_ref(), "per_day")?,
            per_week: optional_amount_field(self.per_week.as_ref(), "per_week")?,
            per_month: optional_amount_field(self.per_month.as_ref(), "per_month")?,
            vendors_allowed,
        };
        Ok((currency_field(&self.currency, "currency")?, limits))
    }
}

/// `POST /v1/members/me/payment-methods`: a card (`kind` "card": number, exp_month,
/// exp_year, cvc) or a bank account to debit (`kind` "bank": iban, name). The number, CVC and
/// IBAN go to the payment processor once and are not kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPaymentMethodRequest {
    /// `card` or `bank`.
    pub kind: String,
    /// The bank account's IBAN (spaces allowed).
    pub iban: Option<String>,
    /// The bank account holder's name.
    pub name: Option<String>,
    /// The card number (digits; spaces allowed).
    pub number: Option<String>,
    /// Expiry month, 1 to 12.
    pub exp_month: Option<u8>,
    /// Expiry year, four digits.
    pub exp_year: Option<u16>,
    /// The three or four digits on the card.
    pub cvc: Option<String>,
}

impl std::fmt::Debug for AddPaymentMethodRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the number or the CVC: a debug print must not leak them into a log.
        f.debug_struct("AddPaymentMethodRequest")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Card numbers are 12 to 19 digits (ISO/IEC 7812).
const CARD_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;

/// Whether `digits` pass the Luhn check digit.
fn luhn_valid(digits: &str) -> bool {
    let sum = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte.wrapping_sub(b'0'));
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum::<u32>();
    sum % 10 == 0
}

impl AddPaymentMethodRequest {
    /// The one conversion of a new payment method: the fields checked as a processor's form
    /// would (number length and check digit, an expiry not in the past as of `now`, a CVC),
    /// so the processor only sees well-formed cards.
    ///
    /// # Errors
    /// `InvalidField` naming the field.
    pub fn into_method(
        self,
        now: crate::domain::time::Timestamp,
    ) -> Result<crate::payments::NewMethod, ApiError> {
        let invalid = |param: &'static str, detail: &str| ApiError::InvalidField {
            param,
            detail: detail.to_owned(),
        };
        match self.kind.as_str() {
            "card" => {}
            "bank" => return self.into_bank(),
            _ => return Err(invalid("kind", "\"card\" or \"bank\"")),
        }
        let number: String = needed(self.number.as_ref(), "number")?
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        let well_formed = CARD_DIGITS.contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && luhn_valid(&number);
        if !well_formed {
            return Err(invalid(
                "number",
                "a card number: 12 to 19 digits with a valid check digit",
            ));
        }
        let exp_month = *needed(self.exp_month.as_ref(), "exp_month")?;
        if !(1..=12).contains(&exp_month) {
            return Err(invalid("exp_month", "1 to 12"));
        }
        let exp_year = *needed(self.exp_year.as_ref(), "exp_year")?;
        // The month key of `now` is yyyymm00, as the limits' calendar builds it.
        let this_month = crate::domain::time::MemberZone::utc().periods(now).month.0;
        let expires = i32::from(exp_year) * 10_000 + i32::from(exp_month) * 100;
        if !(2000..=2099).contains(&exp_year) || expires < this_month {
            return Err(invalid(
                "exp_year",
                "a four-digit year; the card must not have expired",
            ));
        }
        let cvc = needed(self.cvc.as_ref(), "cvc")?;
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("cvc", "3 or 4 digits"));
        }
        Ok(crate::payments::NewMethod::Card {
            number,
            exp_month,
            exp_year,
        })
    }
}

impl AddPaymentMethodRequest {
    fn into_bank(self) -> Result<crate::payments::NewMethod, ApiError> {
        bank_account(self.iban.as_ref(), self.name.as_ref())
    }
}

/// A bank account as typed: the IBAN checked (spaces dropped, upper-cased, check digits) and
/// the holder's name present.
///
/// # Errors
/// `InvalidField` on `iban` or `name`.
fn bank_account(
    iban: Option<&String>,
    name: Option<&String>,
) -> Result<crate::payments::NewMethod, ApiError> {
    let account =
        crate::domain::bank::BankAccount::parse(needed(iban, "iban")?, None, needed(name, "name")?)
            .map_err(|invalid| match invalid.param {
                "iban" => ApiError::InvalidField {
                    param: "iban",
                    detail: "an IBAN: country, check digits and account, 15 to 34 characters"
                        .to_owned(),
                },
                _ => ApiError::InvalidField {
                    param: "name",
                    detail: "the account holder's name, 1 to 70 characters".to_owned(),
                },
            })?;
    let (iban, holder) = (account.iban, account.name);
    Ok(crate::payments::NewMethod::Bank { iban, holder })
}

/// `POST /v1/members/me/cash-outs`: settled balance out to a bank account, given inline
/// (`bank_account`) or saved (`payment_method_id`, a bank method): one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashOutRequest {
    /// Decimal amount taken from the balance, e.g. `"20.00"`; the charge comes out of it.
    #[schema(value_type = String)]
    pub amount: Value,
    /// ISO 4217 code of the wallet.
    pub currency: String,
    /// A bank account given now: `{iban, name}` (not saved).
    pub bank_account: Option<BankAccountRequest>,
    /// A saved bank payment method (`pm_…`).
    pub payment_method_id: Option<String>,
}

impl std::fmt::Debug for CashOutRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the IBAN: a debug print must not leak it into a log.
        f.debug_struct("CashOutRequest")
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// A bank account in a request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountRequest {
    /// The IBAN (spaces allowed).
    pub iban: Option<String>,
    /// The account holder's name.
    pub name: Option<String>,
}

/// Where a cash-out request says to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CashOutTo {
    /// A bank account typed now, to tokenize.
    Given(crate::payments::NewMethod),
    /// A saved method.
    Saved(crate::domain::ids::PaymentMethodId),
}

impl CashOutRequest {
    /// The one conversion of a cash-out request.
    ///
    /// # Errors
    /// `InvalidAmount` (zero included), `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(Amount, Currency, CashOutTo), ApiError> {
        let amount = amount_field(&self.amount, "amount")?;
        if amount.is_zero() {
            return Err(ApiError::InvalidAmount { param: "amount" });
        }
        let currency = currency_field(&self.currency, "currency")?;
        let to = match (self.bank_account, self.payment_method_id) {
            (Some(account), None) => {
                CashOutTo::Given(bank_account(account.iban.as_ref(), account.name.as_ref())?)
            }
            (None, Some(id)) => {
                CashOutTo::Saved(id.parse().map_err(|_| ApiError::InvalidField {
                    param: "payment_method_id",
                    detail: "a payment method id, pm_ and 16 hex digits".to_owned(),
                })?)
            }
            _ => {
                return Err(ApiError::InvalidField {
                    param: "bank_account",
                    detail: "either bank_account {iban, name} or payment_method_id".to_owned(),
                });
            }
        };
        Ok((amount, currency, to))
    }
}

/// `POST /v1/members/me/cash-outs` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CashOutCreated {
    /// `co_` and 16 hex digits.
    pub cash_out_id: String,
    /// The service charge kept.
    pub charge: String,
    /// Paid to the bank account: the amount less the charge.
    pub net: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// `POST /v1/members/me/close`: closes the account; an empty body is `{}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAccountRequest {
    /// Forfeit the paid balance left to the service instead of being refused for it
    /// (`balance_remaining`). A debt is never forfeited.
    pub forfeit: Option<bool>,
}

/// `POST /v1/members/me/close` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountClosedView {
    /// When the account closed (RFC 3339).
    pub closed_at: String,
    /// What each wallet forfeited to the service (empty when nothing was left).
    pub forfeited: Vec<ForfeitView>,
}

/// One wallet's forfeit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ForfeitView {
    /// ISO 4217 code.
    pub currency: String,
    /// The paid balance forfeited.
    pub amount: String,
}

/// Characters a transfer's note may hold.
const TRANSFER_NOTE_CHARS_MAX: usize = 140;

/// `POST /v1/members/me/transfers`: money to another member by e-mail address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The recipient's sign-in e-mail address.
    pub to_email: String,
    /// Decimal amount, e.g. `"5.00"`; from the settled paid balance.
    #[schema(value_type = String)]
    pub amount: Value,
    /// ISO 4217 code of the wallet (the recipient's wallet in it opens on receipt).
    pub currency: String,
    /// A note to the recipient, up to 140 characters.
    pub note: Option<String>,
}

impl std::fmt::Debug for TransferRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the recipient's address or the note: personal data stays out of logs.
        f.debug_struct("TransferRequest")
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

impl TransferRequest {
    /// The one conversion of a transfer request: the recipient's e-mail (as written, to be
    /// normalized with sign-in's rule), the amount, the currency and the note.
    ///
    /// # Errors
    /// `InvalidAmount` (zero included), `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(String, Amount, Currency, String), ApiError> {
        let amount = amount_field(&self.amount, "amount")?;
        if amount.is_zero() {
            return Err(ApiError::InvalidAmount { param: "amount" });
        }
        let currency = currency_field(&self.currency, "currency")?;
        let note = self.note.unwrap_or_default().trim().to_owned();
        if note.chars().count() > TRANSFER_NOTE_CHARS_MAX || note.chars().any(char::is_control) {
            return Err(ApiError::InvalidField {
                param: "note",
                detail: "up to 140 characters, no control characters".to_owned(),
            });
        }
        Ok((self.to_email, amount, currency, note))
    }
}

/// `POST /v1/members/me/transfers` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferCreated {
    /// `tr_` and 16 hex digits.
    pub transfer_id: String,
    /// The sender's balance in the currency after the transfer.
    pub balance: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// A saved payment method as the member sees it (`POST /v1/members/me/payment-methods` → 201,
/// and in `GET /v1/members/me`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethodView {
    /// `pm_` and 16 hex digits.
    pub payment_method_id: String,
    /// `card` or `bank`.
    pub kind: String,
    /// `visa`, `mastercard`, `amex` or `card`; `bank` for a bank account.
    pub brand: String,
    /// The last four digits.
    pub last4: String,
}

/// `PUT /v1/members/me/wallets/{currency}/top-off`: the wallet's automatic top-off ([0230]).
/// With `enabled` false the other fields may be left out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopOffRequest {
    /// Whether purchases short of funds top off automatically.
    pub enabled: bool,
    /// Added to the shortage, e.g. `"5.00"` (zero: exactly the shortage).
    #[schema(value_type = Option<String>)]
    pub top_off_amount: Option<Value>,
    /// The saved method charged (`pm_…`).
    pub payment_method_id: Option<String>,
}

impl TopOffRequest {
    /// The one conversion of a top-off setting; `None` turns it off.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_setting(self) -> Result<Option<crate::domain::account::TopOff>, ApiError> {
        if !self.enabled {
            return Ok(None);
        }
        let amount = amount_field(
            needed(self.top_off_amount.as_ref(), "top_off_amount")?,
            "top_off_amount",
        )?;
        let method = needed(self.payment_method_id.as_ref(), "payment_method_id")?
            .parse()
            .map_err(|_| ApiError::InvalidField {
                param: "payment_method_id",
                detail: "a payment method id, pm_ and 16 hex digits".to_owned(),
            })?;
        Ok(Some(crate::domain::account::TopOff { amount, method }))
    }
}

/// A wallet's automatic top-off as the member sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TopOffView {
    /// Always true (a wallet without top-off shows `null`).
    pub enabled: bool,
    /// Added to the shortage.
    pub top_off_amount: String,
    /// The method charged.
    pub payment_method_id: String,
}

/// `POST /v1/members/me/deposits`: add funds from a saved payment method.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFundsRequest {
    /// Decimal amount, e.g. `"10.00"`.
    #[schema(value_type = String)]
    pub amount: Value,
    /// ISO 4217 code of the wallet credited.
    pub currency: String,
    /// The saved method to charge (`pm_…`).
    pub payment_method_id: String,
}

impl AddFundsRequest {
    /// The one conversion of an added-funds request.
    ///
    /// # Errors
    /// `InvalidAmount` (zero included), `InvalidField` on `currency` or `payment_method_id`.
    pub fn into_parts(
        self,
    ) -> Result<(Amount, Currency, crate::domain::ids::PaymentMethodId), ApiError> {
        let amount = amount_field(&self.amount, "amount")?;
        if amount.is_zero() {
            return Err(ApiError::InvalidAmount { param: "amount" });
        }
        let method = self
            .payment_method_id
            .parse()
            .map_err(|_| ApiError::InvalidField {
                param: "payment_method_id",
                detail: "a payment method id, pm_ and 16 hex digits".to_owned(),
            })?;
        Ok((amount, currency_field(&self.currency, "currency")?, method))
    }
}

/// `POST /v1/members/me/deposits` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DepositCreated {
    /// `dep_` and 16 hex digits: the processor's idempotency key.
    pub deposit_id: String,
    /// `credited` (a card: final), or `pending` (a bank debit: spendable now, not
    /// transferable until it settles; it may still come back).
    pub status: String,
    /// The wallet's paid balance after the credit.
    pub balance: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// A change that answers nothing but its success.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// An account as its member (or an admin) sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountResponse {
    /// The member.
    pub member_id: String,
    /// Their sign-in e-mail (masked on the back office's routes without
    /// `members.personal_data.read`).
    pub email: Option<String>,
    /// Frozen accounts cannot buy.
    pub frozen: bool,
    /// One wallet per currency.
    pub wallets: Vec<WalletView>,
    /// Saved payment methods, as the member recognises them.
    pub payment_methods: Vec<PaymentMethodView>,
    /// Limits per currency.
    pub limits: Vec<LimitsView>,
    /// Entitlements held.
    pub entitlement_count: usize,
    /// The newest purchases, newest first (at most ten; the holder's view: empty for a
    /// sub-member, whose own purchases are in `recent_transactions`).
    pub recent_activity: Vec<PurchaseView>,
    /// The instant summary ([0162]): the newest statement lines the caller may read, newest
    /// first (at most ten), each with its vendor, title, amount, time and balance after. Member
    /// calls only; empty on the back office's view.
    #[serde(default)]
    pub recent_transactions: Vec<crate::http::statement_api::StatementLineView>,
    /// The login that asked (member calls; absent on the back office's view).
    pub login: Option<LoginView>,
    /// When the holder closed the account (RFC 3339); absent while it is open. A closed
    /// account shows no e-mail, names or payment methods: they were erased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The language of the caller's pages and mail: their login's own ([0136]), else the
    /// account's (the account's on the back office's view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The IANA time zone of the member's calendar (limits' days, the statement page's
    /// dates, the daily mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// `PUT /v1/members/me/profile` body: the caller's own name and language; a field left out
/// stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// The person's name (1 to 100 characters, trimmed).
    #[serde(default)]
    pub name: Option<String>,
    /// The language of their pages and mail: a tag such as `en`, `ja` or `pt-BR`.
    #[serde(default)]
    pub language: Option<String>,
}

/// A login of the account, as its holder sees it (a sub-member sees only their own).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginView {
    /// The login, `login_…`.
    pub login_id: String,
    /// The person's name (unset for a holder who gave none).
    pub name: Option<String>,
    /// Sign-in e-mail.
    pub email: Option<String>,
    /// `holder` or `member`.
    pub role: String,
    /// A disabled sub-member cannot sign in.
    pub disabled: bool,
    /// The login's own language, when it has one (else the account's).
    pub language: Option<String>,
    /// The login's limits per currency.
    pub limits: Vec<LimitsView>,
}

/// `GET /v1/members/me/logins` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginsResponse {
    /// The holder first, then sub-members.
    pub logins: Vec<LoginView>,
}

/// A security question with its answer, as the member types them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionAnswer {
    /// The question (1 to 200 characters).
    pub question: String,
    /// Its answer (1 to 200 characters; compared without case or extra spaces).
    pub answer: String,
}

/// `PUT /v1/members/me/security-questions` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityQuestionsRequest {
    /// Two to five questions.
    pub questions: Vec<QuestionAnswer>,
}

/// A security question to answer: `POST /v1/members/me/step-up-challenges`, and the body of a
/// `step_up_required` with the member present.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepUpChallenge {
    /// Answer it at `POST /v1/step-up`, in this session.
    pub challenge_id: String,
    /// The question.
    pub question: String,
    /// When the challenge expires.
    pub expires_at: String,
}

/// `POST /v1/step-up` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpRequest {
    /// The challenge of a `step_up_required`.
    pub challenge_id: String,
    /// The answer.
    pub answer: String,
}

/// `POST /v1/step-up` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepUpAnswered {
    /// Send it as the `Step-Up` header when retrying the refused request.
    pub step_up_token: String,
    /// When it stops counting.
    pub expires_at: String,
}

/// `PUT /v1/members/me/password` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password now.
    pub current_password: String,
    /// The new one (8 to 1024 characters).
    pub new_password: String,
}

/// `POST /v1/members/me/logins` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLoginRequest {
    /// The sub-member's name (1 to 100 characters).
    pub name: String,
    /// Their own sign-in e-mail.
    pub email: String,
    /// Their own password (8 to 1024 characters).
    pub password: String,
}

/// `POST /v1/members/me/logins` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginCreated {
    /// The new login, `login_…`.
    pub login_id: String,
}

/// `POST /v1/members/me/wallets` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenWalletRequest {
    /// ISO 4217 code of a currency the service supports (`money.currencies`).
    pub currency: String,
}

/// A wallet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WalletView {
    /// ISO 4217 code.
    pub currency: String,
    /// Paid balance: money the member put in and has not spent (negative while drawing on
    /// the credit line).
    pub paid: String,
    /// Incentive balance: grants not yet spent or expired.
    pub incentive: String,
    /// How far below zero the paid balance may go.
    pub credit_line: String,
    /// Owed to the service (a bank debit returned after its money was spent); purchases wait
    /// until it is repaid.
    pub debt: String,
    /// What a purchase could spend now: paid balance down to the credit line.
    pub available: String,
    /// Automatic top-off, when on.
    pub top_off: Option<TopOffView>,
}

/// Limits of one currency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LimitsView {
    /// ISO 4217 code.
    pub currency: String,
    /// Largest single purchase.
    pub per_transaction: Option<String>,
    /// Most spent under one session.
    pub per_session: Option<String>,
    /// Most spent in one day.
    pub per_day: Option<String>,
    /// Most spent in one week.
    pub per_week: Option<String>,
    /// Most spent in one month.
    pub per_month: Option<String>,
    /// Only these vendors may charge, when set.
    pub vendors_allowed: Option<Vec<String>>,
}

/// One purchase in the recent activity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PurchaseView {
    /// Its authorization id.
    pub authorization_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// What was paid.
    pub price: String,
    /// Its currency.
    pub currency: String,
    /// When, RFC 3339.
    pub purchased_at: String,
    /// Reversed since.
    pub reversed: bool,
}

/// `POST /v1/offers`: the transaction data of [0181]-[0186].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// Shown in the buy window.
    pub title: String,
    /// Price, a decimal string.
    #[schema(value_type = String)]
    pub price: Value,
    /// ISO 4217 code (the vendor's currency).
    pub currency: String,
    /// Where the content is; its host must be one of the vendor's domains.
    pub content_url: String,
    /// Deliver by an auto-submitted form POST (default) instead of a redirect.
    pub is_post: Option<bool>,
    /// The vendor's own id for the content; keys the entitlement when given.
    pub vendor_content_id: Option<String>,
    /// Views allowed (NumberOfTimesToView).
    pub views: Option<u32>,
    /// Absolute expiry of the entitlement, RFC 3339.
    pub absolute_expiry: Option<String>,
    /// Days valid after purchase.
    pub valid_days: Option<u32>,
    /// Hours valid after purchase.
    pub valid_hours: Option<u32>,
    /// Omitted: any incentive; `"-1"`: none; a list: only those.
    #[schema(value_type = Option<Object>)]
    pub incentive_ids: Option<Value>,
    /// Shown under the title.
    pub short_description: Option<String>,
    /// Passed through to the content URL untouched.
    pub optional_data: Option<String>,
    /// Where Cancel goes (a URL on one of the vendor's domains); default: the content URL's
    /// origin.
    pub cancel_url: Option<String>,
    /// Rights holders owed a share of the price: each sale accrues it to them and withholds
    /// it from the vendor's net.
    pub royalties: Option<Vec<super::settlement_dto::RoyaltyRequest>>,
}

/// A posted offer's parts beyond its sale terms: how the buy window delivers and cancels.
#[derive(Debug)]
pub struct OfferExtras {
    /// Deliver by an auto-submitted form POST.
    pub is_post: bool,
    /// Which incentives may pay.
    pub incentives: IncentivePolicy,
    /// Passed through to the content URL.
    pub optional_data: Option<String>,
    /// Where Cancel goes, when given (checked against the vendor's domains by the handler).
    pub cancel_url: Option<ContentUrl>,
}

impl OfferRequest {
    /// The one conversion of a posted offer: its draft terms and its buy-window extras.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(OfferDraft, OfferExtras), ApiError> {
        let draft = OfferDraft {
            title: self.title,
            description: self.short_description,
            price: amount_field(&self.price, "price")?,
            currency: currency_field(&self.currency, "currency")?,
            content_url: content_url_field(&self.content_url, "content_url")?,
            vendor_content_id: self.vendor_content_id,
            views: self.views,
            expires_at: self
                .absolute_expiry
                .as_deref()
                .map(|text| time_field(text, "absolute_expiry"))
                .transpose()?,
            valid_days: self.valid_days,
            valid_hours: self.valid_hours,
            royalties: super::settlement_dto::royalties(self.royalties.as_deref())?,
        };
        if self
            .optional_data
            .as_ref()
            .is_some_and(|data| data.len() > OPTIONAL_DATA_BYTES_MAX)
        {
            return Err(ApiError::InvalidField {
                param: "optional_data",
                detail: "at most 1024 bytes".to_owned(),
            });
        }
        let cancel_url = self
            .cancel_url
            .as_deref()
            .map(|text| {
                ContentUrl::parse(text).map_err(|_| ApiError::InvalidField {
                    param: "cancel_url",
                    detail: "an absolute http or https URL".to_owned(),
                })
            })
            .transpose()?;
        let extras = OfferExtras {
            is_post: self.is_post.unwrap_or(true),
            incentives: incentive_policy(self.incentive_ids.as_ref())?,
            optional_data: self.optional_data,
            cancel_url,
        };
        Ok((draft, extras))
    }
}

fn incentive_policy(value: Option<&Value>) -> Result<IncentivePolicy, ApiError> {
    let invalid = || ApiError::InvalidField {
        param: "incentive_ids",
        detail: "omit it, \"-1\" for none, or a list of up to 64 incentive program ids (prog_…)"
            .to_owned(),
    };
    match value {
        None | Some(Value::Null) => Ok(IncentivePolicy::Any),
        Some(Value::String(text)) if text == "-1" => Ok(IncentivePolicy::None),
        // Program ids, in their one spelling (a grant's program is compared by it).
        Some(Value::Array(items)) if items.len() <= INCENTIVE_IDS_MAX => items
            .iter()
            .map(|item| {
                item.as_str()
                    .and_then(|id| id.parse::<crate::domain::ids::ProgramId>().ok())
                    .map(|id| id.to_string())
                    .ok_or_else(invalid)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(IncentivePolicy::Only),
        Some(_) => Err(invalid()),
    }
}

/// `POST /v1/offers` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferResponse {
    /// The transaction id.
    pub offer_id: String,
    /// Where to send the member's browser.
    pub buy_url: String,
    /// When the offer stops being buyable, RFC 3339.
    pub expires_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline() -> AuthorizeRequest {
        AuthorizeRequest {
            buyer_token: "t".to_owned(),
            offer_id: None,
            price: Some(Value::String("0.01".to_owned())),
            currency: Some("USD".to_owned()),
            content_url: Some("https://news.example/a".to_owned()),
            title: Some("A".to_owned()),
            vendor_content_id: None,
            views: None,
            expires_at: None,
            valid_days: None,
            valid_hours: None,
            description: None,
            royalties: None,
        }
    }

    #[test]
    fn an_authorize_names_the_field_it_lacks_or_cannot_read() {
        let param = |request: AuthorizeRequest| match request.into_parts() {
            Err(ApiError::InvalidField { param, .. } | ApiError::InvalidAmount { param }) => {
                Some(param)
            }
            _ => None,
        };
        assert_eq!(
            param(AuthorizeRequest {
                price: None,
                ..inline()
            }),
            Some("price")
        );
        assert_eq!(
            param(AuthorizeRequest {
                price: Some(Value::from(0.01)),
                ..inline()
            }),
            Some("price"),
            "a JSON number is not an amount"
        );
        assert_eq!(
            param(AuthorizeRequest {
                expires_at: Some("tomorrow".to_owned()),
                ..inline()
            }),
            Some("expires_at")
        );
        assert_eq!(
            param(AuthorizeRequest {
                offer_id: Some("ofr_0000000000000001".to_owned()),
                ..inline()
            }),
            Some("offer_id"),
            "an offer id with the offer's fields"
        );
        assert!(matches!(inline().into_parts(), Ok((_, Priced::Inline(_)))));
    }

    #[test]
    fn a_batch_holds_one_to_a_thousand_items_each_parsed_alone() {
        let batch = |count: usize| -> BatchRequest {
            let items: Vec<Value> = (0..count)
                .map(|_| serde_json::json!({"buyer_token": "t"}))
                .collect();
            serde_json::from_value(serde_json::json!({ "items": items })).unwrap()
        };
        assert!(batch(0).into_items().is_err());
        assert!(batch(1_001).into_items().is_err());
        assert_eq!(
            batch(1_000).into_items().map(|items| items.len()).ok(),
            Some(1_000)
        );
        let mixed: BatchRequest =
            serde_json::from_str(r#"{"items": [{"buyer_token": "t"}, {"nonsense": 1}]}"#).unwrap();
        let items = mixed.into_items().unwrap();
        assert!(items[0].is_ok());
        assert!(matches!(items[1], Err(ApiError::MalformedBody(_))));
    }
}

/// Characters an incentive code may have: 3 to 32 letters, digits, `-` or `_`.
const INCENTIVE_CODE_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// An incentive code as members type it: trimmed and upper-cased, so `spring-10` and
/// `SPRING-10` are one code.
///
/// # Errors
/// `InvalidField` naming `param`.
pub fn incentive_code(text: &str, param: &'static str) -> Result<String, ApiError> {
    let code = text.trim().to_ascii_uppercase();
    let well_formed = INCENTIVE_CODE_CHARS.contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::InvalidField {
            param,
            detail: "3 to 32 letters, digits, - or _".to_owned(),
        });
    }
    Ok(code)
}

/// `POST /admin/v1/vendor-groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorGroupRequest {
    /// For operators, 1 to 100 characters.
    pub name: String,
    /// The group's vendors (`ven_…`), 1 to 1000.
    pub vendor_ids: Vec<String>,
}

impl VendorGroupRequest {
    /// The one conversion: the name and the vendor ids (their existence is checked by the
    /// handler).
    ///
    /// # Errors
    /// `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(String, Vec<VendorId>), ApiError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::InvalidField {
                param: "name",
                detail: "1 to 100 characters".to_owned(),
            });
        }
        if self.vendor_ids.is_empty() || self.vendor_ids.len() > 1_000 {
            return Err(ApiError::InvalidField {
                param: "vendor_ids",
                detail: "1 to 1000 vendor ids".to_owned(),
            });
        }
        let vendors = self
            .vendor_ids
            .iter()
            .map(|id| id_field(id, "vendor_ids"))
            .collect::<Result<Vec<VendorId>, ApiError>>()?;
        Ok((name, vendors))
    }
}

/// `POST /admin/v1/vendor-groups` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorGroupCreated {
    /// `vg_` and 16 hex digits.
    pub vendor_group_id: String,
}

/// `POST /admin/v1/incentive-programs` (scope `msp` or `group`) and
/// `POST /v1/incentive-programs` (a vendor's own: no scope, no group).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramRequest {
    /// What members type to redeem it: 3 to 32 letters, digits, `-` or `_` (any case).
    pub code: String,
    /// Each grant's value, e.g. `"2.00"`.
    #[schema(value_type = String)]
    pub amount: Value,
    /// ISO 4217 code of the grants.
    pub currency: String,
    /// When the grants stop counting (RFC 3339); omitted: never.
    pub expires_at: Option<String>,
    /// What the program may grant in all, e.g. `"500.00"`.
    #[schema(value_type = String)]
    pub budget: Value,
    /// Operators only: `"msp"` (anywhere) or `"group"`.
    pub scope: Option<String>,
    /// Operators only, with scope `group`: `vg_…`.
    pub vendor_group_id: Option<String>,
}

/// A program request's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramFields {
    /// Upper-cased code.
    pub code: String,
    /// Per grant.
    pub amount: Amount,
    /// Grants' currency.
    pub currency: Currency,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
    /// Budget.
    pub budget: Amount,
}

impl ProgramRequest {
    /// The one conversion of the common fields; the scope is read by [`Self::operator_scope`]
    /// (operators) or refused (vendors).
    ///
    /// # Errors
    /// `InvalidAmount`, `InvalidField` naming the field.
    pub fn fields(&self) -> Result<ProgramFields, ApiError> {
        let amount = amount_field(&self.amount, "amount")?;
        if amount.is_zero() {
            return Err(ApiError::InvalidAmount { param: "amount" });
        }
        let budget = amount_field(&self.budget, "budget")?;
        if budget < amount {
            return Err(ApiError::InvalidField {
                param: "budget",
                detail: "at least one grant's amount".to_owned(),
            });
        }
        Ok(ProgramFields {
            code: incentive_code(&self.code, "code")?,
            amount,
            currency: currency_field(&self.currency, "currency")?,
            expires_at: self
                .expires_at
                .as_deref()
                .map(|at| time_field(at, "expires_at"))
                .transpose()?,
            budget,
        })
    }

    /// An operator's scope: `msp`, or `group` with its group.
    ///
    /// # Errors
    /// `InvalidField` naming `scope` or `vendor_group_id`.
    pub fn operator_scope(&self) -> Result<crate::domain::incentive::ProgramScope, ApiError> {
        use crate::domain::incentive::ProgramScope;
        match (self.scope.as_deref(), self.vendor_group_id.as_deref()) {
            (Some("msp"), None) => Ok(ProgramScope::Msp),
            (Some("group"), Some(group)) => {
                Ok(ProgramScope::Group(id_field(group, "vendor_group_id")?))
            }
            (Some("group"), None) => Err(ApiError::InvalidField {
                param: "vendor_group_id",
                detail: "a vendor group id (vg_…) for scope group".to_owned(),
            }),
            _ => Err(ApiError::InvalidField {
                param: "scope",
                detail: "\"msp\", or \"group\" with vendor_group_id".to_owned(),
            }),
        }
    }

    /// A vendor's program has no scope of its own choosing.
    ///
    /// # Errors
    /// `InvalidField` naming `scope` when one is given.
    pub fn no_scope(&self) -> Result<(), ApiError> {
        if self.scope.is_some() || self.vendor_group_id.is_some() {
            return Err(ApiError::InvalidField {
                param: "scope",
                detail: "a vendor's program is its own; omit scope and vendor_group_id".to_owned(),
            });
        }
        Ok(())
    }
}

/// A program created → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgramCreated {
    /// `prog_` and 16 hex digits.
    pub program_id: String,
    /// The code, as members type it (upper-cased).
    pub code: String,
}

/// `POST /v1/incentive-grants` (vendor).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorGrantRequest {
    /// One of the vendor's own programs (`prog_…`).
    pub program_id: String,
    /// The member, as the vendor knows it (`mref_…`).
    pub member_ref: String,
}

/// `POST /v1/members/me/incentives` (redeem a code).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The code.
    pub code: String,
}

/// A grant made → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantCreated {
    /// `grant_` and 16 hex digits.
    pub grant_id: String,
    /// What it is worth.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// When it stops counting (RFC 3339), if it does.
    pub expires_at: Option<String>,
    /// The member's incentive balance in the currency after it (for the member only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incentive_balance: Option<String>,
}
