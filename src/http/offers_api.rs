//! `POST /v1/offers`: a vendor registers the transaction data of a buy-window purchase
//! ([0181]-[0186]) and gets a transaction id and the URL to send the member's browser to.
//! The price stored here is the price charged ([0199]-[0200]).

use bytes::Bytes;
use hyper::header::HeaderMap;

use super::app::{App, new_id};
use super::dto::{self, OfferRequest, OfferResponse};
use super::error::ApiError;
use super::json::{parse_json, rfc3339, to_json};
use super::vendor_api::{check_offer, check_text};
use crate::actors::messages::{Fault, PostOfferMessage};
use crate::domain::entitlement::{ContentKey, ContentUrl, Terms};
use crate::domain::ids::OfferId;
use crate::domain::offer::{IncentivePolicy, Offer};
use crate::domain::time::Timestamp;
use crate::domain::vendor::VendorProfile;

/// Incentive ids one offer may list at most.
const INCENTIVE_IDS_MAX: usize = 64;
/// Longest pass-through data accepted.
const OPTIONAL_DATA_BYTES_MAX: usize = 1024;

/// `POST /v1/offers`.
///
/// # Errors
/// Invalid fields, `ContentDomainUnknown`, `OfferQuotaExceeded`, faults.
pub async fn post_offer(app: &App, headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let vendor = app.vendor(headers)?;
    let request: OfferRequest = parse_json(&body)?;
    let now = app.now();
    let offer = checked_offer(&vendor.profile, request, OfferId(new_id()), now, app)?;
    let response = OfferResponse {
        offer_id: offer.id.to_string(),
        buy_url: format!("{}/buy/{}", app.public_url, offer.id),
        expires_at: rfc3339(offer.expires_at),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    vendor
        .addr
        .try_send(PostOfferMessage {
            offer,
            offers_max: app.config.offers.per_vendor_max,
            reply,
        })
        .map_err(|_| ApiError::Overloaded)?;
    let ack = answer
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(ApiError::from)?;
    // The 201 promises a buyable offer: it leaves only once the offer is durable.
    ack.await
        .map_err(|error| ApiError::from(Fault::from(error)))?;
    Ok(to_json(&response))
}

/// Validates every field and builds the offer.
fn checked_offer(
    profile: &VendorProfile,
    request: OfferRequest,
    id: OfferId,
    now: Timestamp,
    app: &App,
) -> Result<Offer, ApiError> {
    check_text(&request.title, "title", false)?;
    let short_description = request.short_description.filter(|d| !d.trim().is_empty());
    if let Some(description) = &short_description {
        check_text(description, "short_description", true)?;
    }
    if let Some(content_id) = &request.vendor_content_id {
        check_text(content_id, "vendor_content_id", false)?;
    }
    let price = dto::amount_field(&request.price, "price")?;
    if price.is_zero() {
        return Err(ApiError::InvalidField {
            param: "price",
            detail: "a price above zero".to_owned(),
        });
    }
    let currency = dto::currency_field(&request.currency, "currency")?;
    let url = dto::content_url_field(&request.content_url, "content_url")?;
    check_offer(profile, currency, &url)?;
    let cancel_url = match &request.cancel_url {
        None => origin_of(&url),
        Some(text) => {
            let cancel = ContentUrl::parse(text).map_err(|_| ApiError::InvalidField {
                param: "cancel_url",
                detail: "an absolute http or https URL".to_owned(),
            })?;
            if !profile.content_domains.iter().any(|d| d == cancel.host()) {
                return Err(ApiError::InvalidField {
                    param: "cancel_url",
                    detail: "a page on one of the vendor's registered domains".to_owned(),
                });
            }
            cancel.as_str().to_owned()
        }
    };
    let terms = Terms {
        views: positive(request.views, "views")?,
        expires_at: request
            .absolute_expiry
            .as_deref()
            .map(|text| future_time(text, now))
            .transpose()?,
        valid_days: positive(request.valid_days, "valid_days")?,
        valid_hours: positive(request.valid_hours, "valid_hours")?,
    };
    let incentives = incentive_policy(request.incentive_ids.as_ref())?;
    if let Some(data) = &request.optional_data
        && data.len() > OPTIONAL_DATA_BYTES_MAX
    {
        return Err(ApiError::InvalidField {
            param: "optional_data",
            detail: "at most 1024 bytes".to_owned(),
        });
    }
    Ok(Offer {
        id,
        vendor: profile.id,
        title: request.title,
        short_description,
        price,
        currency,
        content: ContentKey::new(profile.id, request.vendor_content_id.as_deref(), &url),
        content_url: url.as_str().to_owned(),
        is_post: request.is_post.unwrap_or(true),
        terms,
        incentives,
        optional_data: request.optional_data,
        cancel_url,
        posted_at: now,
        expires_at: now.plus_ms(app.config.offers.ttl_ms),
    })
}

/// `scheme://host[:port]/` of a content URL: where Cancel goes by default.
fn origin_of(url: &ContentUrl) -> String {
    url::Url::parse(url.as_str())
        .map(|parsed| format!("{}/", parsed.origin().ascii_serialization()))
        .unwrap_or_else(|_| url.as_str().to_owned())
}

fn positive(value: Option<u32>, param: &'static str) -> Result<Option<u32>, ApiError> {
    if value == Some(0) {
        return Err(ApiError::InvalidField {
            param,
            detail: "at least 1 (omit for no limit)".to_owned(),
        });
    }
    Ok(value)
}

fn future_time(text: &str, now: Timestamp) -> Result<Timestamp, ApiError> {
    let at = text
        .parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| ApiError::InvalidField {
            param: "absolute_expiry",
            detail: "an RFC 3339 time such as 2026-12-31T23:59:59Z".to_owned(),
        })?;
    if at <= now {
        return Err(ApiError::InvalidField {
            param: "absolute_expiry",
            detail: "a time in the future".to_owned(),
        });
    }
    Ok(at)
}

fn incentive_policy(value: Option<&serde_json::Value>) -> Result<IncentivePolicy, ApiError> {
    let invalid = || ApiError::InvalidField {
        param: "incentive_ids",
        detail: "omit it, \"-1\" for none, or a list of up to 64 incentive ids".to_owned(),
    };
    match value {
        None | Some(serde_json::Value::Null) => Ok(IncentivePolicy::Any),
        Some(serde_json::Value::String(text)) if text == "-1" => Ok(IncentivePolicy::None),
        Some(serde_json::Value::Array(items)) if items.len() <= INCENTIVE_IDS_MAX => items
            .iter()
            .map(|item| {
                item.as_str()
                    .filter(|id| !id.is_empty() && id.len() <= 64 && *id != "-1")
                    .map(str::to_owned)
                    .ok_or_else(invalid)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(IncentivePolicy::Only),
        Some(_) => Err(invalid()),
    }
}
