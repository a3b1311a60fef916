//! `POST /v1/offers`: a vendor registers the transaction data of a buy-window purchase
//! ([0181]-[0186]) and gets a transaction id and the URL to send the member's browser to.
//! The price stored here is the price charged ([0199]-[0200]). The terms are checked by the
//! domain, by the same rules as an inline offer on `POST /v1/authorize`.

use hyper::StatusCode;

use super::app::{App, new_id};
use super::dto::{OfferRequest, OfferResponse};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::purchase::check_rights_holders;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::domain::entitlement::ContentUrl;
use crate::domain::ids::OfferId;
use crate::domain::offer::{Offer, OfferInvalid};
use crate::metrics as names;

/// The wire name of a term on this route, where it differs from `POST /v1/authorize`.
fn posted_param(param: &'static str) -> &'static str {
    match param {
        "expires_at" => "absolute_expiry",
        "description" => "short_description",
        other => other,
    }
}

/// `scheme://host[:port]/` of a content URL: where Cancel goes by default.
fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|parsed| format!("{}/", parsed.origin().ascii_serialization()))
        .unwrap_or_else(|_| url.to_owned())
}

/// `POST /v1/offers`: posts an offer for the buy window.
#[utoipa::path(post, path = "/v1/offers", tag = "vendors",
    request_body = OfferRequest,
    responses(
        (status = 201, description = "Posted and durable: send the browser to buy_url", body = OfferResponse),
        (status = 400, description = "A term is invalid; param names it", body = Problem),
        (status = 429, description = "Too many live offers", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn post_offer(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let request: OfferRequest = parse_json(&call.body)?;
    let (draft, extras) = request.into_parts()?;
    let now = app.now();
    let terms = draft
        .check(&vendor.profile, now)
        .map_err(|invalid| match invalid {
            OfferInvalid::Field { param, rule } => ApiError::InvalidField {
                param: posted_param(param),
                detail: rule.to_owned(),
            },
            other => ApiError::from(other),
        })?;
    check_rights_holders(app, &terms.royalties, terms.currency)?;
    let cancel_url = match extras.cancel_url {
        None => origin_of(&terms.content_url),
        Some(cancel) => {
            if !vendor.profile.owns_host(cancel.host()) {
                return Err(ApiError::InvalidField {
                    param: "cancel_url",
                    detail: "a page on one of the vendor's registered domains".to_owned(),
                });
            }
            ContentUrl::as_str(&cancel).to_owned()
        }
    };
    let offer = Offer {
        id: OfferId(new_id()),
        vendor: vendor.profile.id,
        title: terms.title,
        short_description: terms.description,
        price: terms.price,
        currency: terms.currency,
        content_url: terms.content_url,
        content: terms.content,
        is_post: extras.is_post,
        terms: terms.terms,
        incentives: extras.incentives,
        optional_data: extras.optional_data,
        cancel_url,
        posted_at: now,
        expires_at: now.plus_ms(app.config.offers.ttl_ms),
        royalties: terms.royalties,
    };
    let response = OfferResponse {
        offer_id: offer.id.to_string(),
        buy_url: format!("{}/buy/{}", app.public_url, offer.id),
        expires_at: rfc3339(offer.expires_at),
    };
    // The 201 promises a buyable offer: it leaves only once the offer is durable.
    app.registry
        .post_offer(vendor, offer, app.config.offers.per_vendor_max)
        .await
        .map_err(ApiError::from)?;
    metrics::counter!(names::OFFERS_POSTED).increment(1);
    Ok(json(StatusCode::CREATED, &response))
}
