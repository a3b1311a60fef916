//! Wire types: what vendors, members and admins send and receive. Separate from domain
//! types; conversion is in the handlers and is pure. Amounts travel as decimal strings, read
//! as raw JSON values so a number or a malformed string is a 400 that names the field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ApiError;
use crate::domain::money::{self, Amount, Currency};

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

/// Parses an optional amount field (absent or null = none).
///
/// # Errors
/// `ApiError::InvalidAmount` naming `param`.
pub fn optional_amount_field(
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
pub fn content_url_field(
    text: &str,
    param: &'static str,
) -> Result<crate::domain::entitlement::ContentUrl, ApiError> {
    crate::domain::entitlement::ContentUrl::parse(text).map_err(|e| ApiError::InvalidField {
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

/// `POST /v1/authorize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The member's buyer token for this vendor.
    pub buyer_token: String,
    /// An offer posted before (`POST /v1/offers`): its stored price and terms are charged,
    /// and it is used up. Give either this or the fields below, not both.
    pub offer_id: Option<String>,
    /// Price, a decimal string.
    pub price: Option<Value>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Where the content is.
    pub content_url: Option<String>,
    /// Shown on statements.
    pub title: Option<String>,
    /// The vendor's own id for the content; keys the entitlement when given.
    pub vendor_content_id: Option<String>,
    /// Views allowed.
    pub views: Option<u32>,
    /// Absolute expiry, RFC 3339.
    pub expires_at: Option<String>,
    /// Days valid after purchase.
    pub valid_days: Option<u32>,
    /// Hours valid after purchase.
    pub valid_hours: Option<u32>,
    /// Shown on statements.
    pub description: Option<String>,
}

/// Entitlement as vendors see it.
#[derive(Debug, Serialize, Deserialize)]
pub struct EntitlementView {
    /// Views left; null = unlimited.
    pub views_left: Option<u32>,
    /// Expiry, RFC 3339; null = never.
    pub expires_at: Option<String>,
}

/// `POST /v1/authorize` → 200.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuthorizeResponse {
    /// The outcome's id.
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
}

/// `POST /v1/access`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// The token from an authorize reply.
    pub access_token: String,
    /// The content about to be shown.
    pub content_url: String,
}

/// `POST /v1/access` → 200.
#[derive(Debug, Serialize, Deserialize)]
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

/// `POST /admin/v1/vendors`.
#[derive(Debug, Deserialize)]
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

/// `POST /admin/v1/members/{id}/deposits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Amount, a decimal string.
    pub amount: Value,
    /// Wallet currency.
    pub currency: String,
    /// Credited once per member.
    pub reference: String,
}

/// `PUT /admin/v1/members/{id}/credit-line`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditLineRequest {
    /// Wallet currency.
    pub currency: String,
    /// How far below zero the wallet may go.
    pub limit: Value,
}

/// `POST /admin/v1/authorizations/{id}/reversal`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    /// Why (recorded in the event).
    pub reason: String,
}

/// `POST /admin/v1/members/bulk`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkMembersRequest {
    /// Members to create.
    pub count: usize,
    /// Wallet currency.
    pub currency: String,
    /// Deposited into each.
    pub deposit: Value,
    /// A buyer token is minted per member for each of these vendors.
    pub vendor_ids: Vec<String>,
}

/// `POST /v1/members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Sign-in e-mail.
    pub email: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Language tag, e.g. `en`, `ja`, `pt-BR`.
    pub language: String,
    /// First wallet's currency.
    pub currency: String,
    /// IANA time zone; default UTC.
    pub time_zone: Option<String>,
}

/// `POST /v1/sessions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Sign-in e-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// `absolute` or `idle`.
    pub expiry: String,
}

/// `POST /v1/buyer-tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerTokenRequest {
    /// The vendor the token lets charge.
    pub vendor_id: String,
}

/// `PUT /v1/members/me/limits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    /// Wallet currency.
    pub currency: String,
    /// Omitted or null: no limit.
    pub per_transaction: Option<Value>,
    /// Omitted or null: no limit.
    pub per_session: Option<Value>,
    /// Omitted or null: no limit.
    pub per_day: Option<Value>,
    /// Omitted or null: no limit.
    pub per_week: Option<Value>,
    /// Omitted or null: no limit.
    pub per_month: Option<Value>,
    /// Omitted or null: every vendor.
    pub vendors_allowed: Option<Vec<String>>,
}

/// `POST /v1/offers`: the transaction data of [0181]-[0186].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// Shown in the buy window.
    pub title: String,
    /// Price, a decimal string.
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
    pub incentive_ids: Option<Value>,
    /// Shown under the title.
    pub short_description: Option<String>,
    /// Passed through to the content URL untouched.
    pub optional_data: Option<String>,
    /// Where Cancel goes (a URL on one of the vendor's domains); default: the content URL's
    /// origin.
    pub cancel_url: Option<String>,
}

/// `POST /v1/offers` → 201.
#[derive(Debug, Serialize, Deserialize)]
pub struct OfferResponse {
    /// The transaction id.
    pub offer_id: String,
    /// Where to send the member's browser.
    pub buy_url: String,
    /// When the offer stops being buyable, RFC 3339.
    pub expires_at: String,
}

/// `PUT /v1/members/me/payment-method`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodRequest {
    /// `"test_card"`, or null to remove the saved method.
    pub method: Option<String>,
}
