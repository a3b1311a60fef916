//! A vendor's standing ([0149]): vendors register themselves and wait for an operator's
//! approval; operators list and decide them; a vendor rotates its API key, the old one
//! working on for `tokens.api_key_overlap_ms`.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, new_id};
use super::dto::{currency_field, id_field, text_field};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::router::json;
use super::routes::{Call, Outcome};
use crate::actors::messages::VendorTerms;
use crate::actors::registry::VendorEntry;
use crate::crypto::secret;
use crate::domain::fees::{FeeSchedule, PPM_MAX};
use crate::domain::ids::VendorId;
use crate::domain::reject::Reject;
use crate::domain::security::Staff;
use crate::domain::vendor::{VendorRegistration, check_mailing_list_url};
use crate::domain::vendor_standing::VendorStatus;

/// `POST /v1/vendor-registrations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorApplication {
    /// Display name (1 to 256 bytes).
    pub name: String,
    /// The currency it sells in.
    pub currency: String,
    /// Hosts of its content URLs (1 to 64).
    pub content_domains: Vec<String>,
}

/// `POST /v1/vendor-registrations` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorApplied {
    /// The new vendor.
    pub vendor_id: String,
    /// Its API key, shown once: it works once an operator approves the vendor.
    pub api_key: String,
    /// `pending`.
    pub status: String,
}

/// `POST /admin/v1/vendors/{vendor_id}/approval`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorDecision {
    /// Approve, or reject.
    pub approve: bool,
    /// Why (1 to 256 bytes), recorded.
    pub reason: String,
    /// The MSP's fee on it, parts per million: required to approve (its first schedule).
    pub fee_ppm: Option<u32>,
}

/// A vendor as operators list it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorListed {
    /// The vendor.
    pub vendor_id: String,
    /// Its name.
    pub name: String,
    /// The currency it sells in.
    pub currency: String,
    /// Its content domains.
    pub content_domains: Vec<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// When it registered (RFC 3339).
    pub registered_at: String,
}

impl VendorListed {
    /// A vendor's registration and its standing now.
    #[must_use]
    pub fn of(entry: &VendorEntry) -> VendorListed {
        let profile = &entry.profile;
        VendorListed {
            vendor_id: profile.id.to_string(),
            name: profile.name.clone(),
            currency: profile.currency.code().to_owned(),
            content_domains: profile.content_domains.clone(),
            status: entry.standing.read().status.code().to_owned(),
            registered_at: rfc3339(profile.registered_at),
        }
    }
}

/// `GET /admin/v1/vendors` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VendorsListed {
    /// Oldest registration first.
    pub vendors: Vec<VendorListed>,
}

/// A participating vendor as members see it ([0167]).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipatingVendor {
    /// The vendor.
    pub vendor_id: String,
    /// Its name.
    pub name: String,
    /// The currency it sells in.
    pub currency: String,
    /// Where its content is.
    pub content_domains: Vec<String>,
}

/// `GET /v1/vendors` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipatingVendors {
    /// By name, then id.
    pub vendors: Vec<ParticipatingVendor>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Vendors on one page of `GET /v1/vendors` unless `limit` says fewer.
const VENDORS_PAGE_DEFAULT: usize = 50;
/// Most vendors on one page.
const VENDORS_PAGE_MAX: usize = 100;

/// `POST /v1/vendors/me/api-keys` → 201.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyRotated {
    /// The new key, shown once.
    pub api_key: String,
    /// Until when the key used for this call keeps working (RFC 3339).
    pub previous_key_valid_until: String,
}

/// `POST /v1/vendor-registrations`: a vendor registers itself. Its API key is shown once and
/// works once an operator approves it (`403 vendor_not_approved` until then). Throttled per
/// address like members' registrations.
#[utoipa::path(post, path = "/v1/vendor-registrations", tag = "vendors",
    request_body = VendorApplication,
    responses((status = 201, description = "Registered, pending approval", body = VendorApplied),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 422, description = "A currency this service does not hold", body = Problem),
        (status = 429, description = "Too many registrations from this address", body = Problem)))]
pub async fn apply_as_vendor(app: &App, call: Call<'_>) -> Outcome {
    let request: VendorApplication = parse_json(&call.body)?;
    let currency = currency_field(&request.currency, "currency")?;
    if !app.config.money.supports(currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    let registration = app.throttles.begin_registration(call.client, app.now())?;
    let vendor = VendorId(new_id());
    let (api_key, digest) = secret::generate_api_key(&vendor.to_string(), &mut rand::rngs::OsRng);
    let applied = app
        .registry
        .apply_vendor(
            vendor,
            VendorRegistration {
                name: request.name,
                currency,
                content_domains: request.content_domains,
                // No fee until an operator approves it with one.
                fee_ppm: 0,
                api_key_digest: digest.to_bytes(),
            },
            app.now(),
        )
        .await;
    match applied {
        Ok(()) => registration.decided(app.now()),
        Err(Ok(invalid)) => {
            registration.decided(app.now());
            return Err(ApiError::from(invalid));
        }
        Err(Err(fault)) => {
            registration.undecided(app.now());
            return Err(ApiError::from(fault));
        }
    }
    Ok(json(
        StatusCode::CREATED,
        &VendorApplied {
            vendor_id: vendor.to_string(),
            api_key,
            status: VendorStatus::Pending.code().to_owned(),
        },
    ))
}

/// `GET /admin/v1/vendors?status=`: every vendor, oldest registration first.
#[utoipa::path(get, path = "/admin/v1/vendors", tag = "admin",
    params(("status" = Option<String>, Query, description = "pending, approved or rejected")),
    responses((status = 200, description = "The vendors", body = VendorsListed),
        (status = 400, description = "An unknown status", body = Problem)),
    security(("admin_key" = [])))]
pub async fn list_vendors(app: &App, call: Call<'_>) -> Outcome {
    let mut wanted = None;
    for (name, value) in url::form_urlencoded::parse(call.query.unwrap_or("").as_bytes()) {
        match (name.as_ref(), value.as_ref()) {
            ("status", "pending") => wanted = Some(VendorStatus::Pending),
            ("status", "approved") => wanted = Some(VendorStatus::Approved),
            ("status", "rejected") => wanted = Some(VendorStatus::Rejected),
            _ => {
                return Err(ApiError::InvalidField {
                    param: "status",
                    detail: "pending, approved or rejected".to_owned(),
                });
            }
        }
    }
    let mut vendors: Vec<VendorListed> = app
        .registry
        .vendors()
        .into_iter()
        .filter_map(|entry| {
            let status = entry.standing.read().status;
            wanted
                .is_none_or(|wanted| wanted == status)
                .then(|| VendorListed::of(&entry))
        })
        .collect();
    vendors.sort_by(|a, b| (&a.registered_at, &a.vendor_id).cmp(&(&b.registered_at, &b.vendor_id)));
    Ok(json(StatusCode::OK, &VendorsListed { vendors }))
}

/// The participating vendors: approved ones only, by name (then id): the one list of
/// `GET /v1/vendors` and the statement page's vendor choice.
#[must_use]
pub fn approved_vendors(app: &App) -> Vec<VendorEntry> {
    let mut approved: Vec<VendorEntry> = app
        .registry
        .vendors()
        .into_iter()
        .filter(|entry| entry.standing.read().status == VendorStatus::Approved)
        .collect();
    let order = |entry: &VendorEntry| (entry.profile.name.to_lowercase(), entry.profile.id);
    approved.sort_by_cached_key(order);
    approved
}

/// `GET /v1/vendors?cursor=&limit=`: the participating vendors ([0167]): approved ones only,
/// by name (case ignored) then id, `limit` (1 to 100, default 50) at a time. Public: it names
/// no member. The cursor is the last vendor id of the page before.
#[utoipa::path(get, path = "/v1/vendors", tag = "vendors",
    params(("cursor" = Option<String>, Query, description = "next_cursor of the page before"),
        ("limit" = Option<u32>, Query, description = "1 to 100; default 50")),
    responses((status = 200, description = "A page of vendors", body = ParticipatingVendors),
        (status = 400, description = "A malformed cursor or limit", body = Problem)))]
pub async fn participating_vendors(app: &App, call: Call<'_>) -> Outcome {
    let mut after: Option<VendorId> = None;
    let mut limit = VENDORS_PAGE_DEFAULT;
    for (name, value) in url::form_urlencoded::parse(call.query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "cursor" => after = Some(id_field(&value, "cursor")?),
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=VENDORS_PAGE_MAX).contains(n))
                    .ok_or_else(|| ApiError::InvalidField {
                        param: "limit",
                        detail: format!("1 to {VENDORS_PAGE_MAX}"),
                    })?;
            }
            _ => {
                return Err(ApiError::InvalidField {
                    param: "query",
                    detail: "cursor and limit only".to_owned(),
                });
            }
        }
    }
    let approved = approved_vendors(app);
    let start = match after {
        None => 0,
        Some(after) => approved
            .iter()
            .position(|entry| entry.profile.id == after)
            .map_or(approved.len(), |found| found.saturating_add(1)),
    };
    let page: Vec<&VendorEntry> = approved.iter().skip(start).take(limit).collect();
    let next_cursor = (start.saturating_add(page.len()) < approved.len())
        .then(|| page.last().map(|entry| entry.profile.id.to_string()))
        .flatten();
    let vendors = page
        .into_iter()
        .map(|entry| ParticipatingVendor {
            vendor_id: entry.profile.id.to_string(),
            name: entry.profile.name.clone(),
            currency: entry.profile.currency.code().to_owned(),
            content_domains: entry.profile.content_domains.clone(),
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &ParticipatingVendors {
            vendors,
            next_cursor,
        },
    ))
}

/// `POST /admin/v1/vendors/{vendor_id}/approval`: approves (with its fee) or rejects a vendor
/// that registered itself; once.
#[utoipa::path(post, path = "/admin/v1/vendors/{vendor_id}/approval", tag = "admin",
    request_body = VendorDecision,
    params(("vendor_id" = String, Path, description = "The vendor")),
    responses((status = 200, description = "Decided", body = VendorListed),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 404, description = "No such vendor", body = Problem),
        (status = 409, description = "Decided already", body = Problem)),
    security(("admin_key" = [])))]
pub async fn decide_vendor(app: &App, call: Call<'_>) -> Outcome {
    let by = call.staff()?;
    let vendor = call.params.get("vendor_id")?;
    let entry = app
        .registry
        .vendor(id_field(vendor, "vendor_id")?)
        .ok_or(ApiError::NotFound)?;
    let request: VendorDecision = parse_json(&call.body)?;
    decide(app, by, &entry, &request).await?;
    Ok(json(StatusCode::OK, &VendorListed::of(&entry)))
}

/// An operator's decision on a vendor that registered itself: the one path of both doors,
/// the API and the back office's vendors page.
///
/// # Errors
/// `InvalidField` for a reason outside 1 to 256 bytes or an approval without a fee of 0 to
/// 1,000,000 ppm; the vendor's refusal (`VendorDecidedAlready`) and the gateway's faults.
pub async fn decide(
    app: &App,
    by: Staff,
    entry: &VendorEntry,
    request: &VendorDecision,
) -> Result<(), ApiError> {
    let reason = text_field(&request.reason, "reason")?;
    let fee = match (request.approve, request.fee_ppm) {
        (true, Some(fee_ppm)) if fee_ppm <= PPM_MAX => Some(FeeSchedule::flat(fee_ppm)),
        (true, _) => {
            return Err(ApiError::InvalidField {
                param: "fee_ppm",
                detail: "0 to 1000000, required to approve".to_owned(),
            });
        }
        (false, _) => None,
    };
    let terms = VendorTerms::Standing {
        approve: request.approve,
        fee,
        reason,
        by,
    };
    app.registry
        .set_vendor_terms(entry, terms, app.now())
        .await?;
    Ok(())
}

/// `POST /v1/vendors/me/api-keys`: a new API key, shown once; the key that made this call
/// keeps working for `tokens.api_key_overlap_ms`, one rotated away from earlier stops now.
#[utoipa::path(post, path = "/v1/vendors/me/api-keys", tag = "vendors",
    responses((status = 201, description = "Rotated", body = ApiKeyRotated),
        (status = 403, description = "The vendor is not approved", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn rotate_api_key(app: &App, call: Call<'_>) -> Outcome {
    let rotated = rotate_key(app, call.vendor()?).await?;
    Ok(json(StatusCode::CREATED, &rotated))
}

/// Draws `vendor` a new API key and makes it valid once durable: the one path of both doors,
/// `POST /v1/vendors/me/api-keys` and the vendor office's form. The key is in the answer only;
/// the vendor keeps its digest.
///
/// # Errors
/// The vendor actor's refusals and the gateway's faults.
pub async fn rotate_key(app: &App, vendor: &VendorEntry) -> Result<ApiKeyRotated, ApiError> {
    let id = vendor.profile.id;
    let (api_key, digest) = secret::generate_api_key(&id.to_string(), &mut rand::rngs::OsRng);
    let overlap_ms = app.config.tokens.api_key_overlap_ms;
    let now = app.now();
    let terms = VendorTerms::RotateKey {
        digest: digest.to_bytes(),
        overlap_ms,
    };
    app.registry.set_vendor_terms(vendor, terms, now).await?;
    Ok(ApiKeyRotated {
        api_key,
        previous_key_valid_until: rfc3339(now.plus_ms(overlap_ms)),
    })
}

/// `PUT /v1/vendors/me/mailing-list`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailingListRequest {
    /// The sign-up page of the vendor's mailing list (`http://` or `https://`, at most 500
    /// bytes), offered to members buying from it for the first time ([0265]); `null` clears it.
    pub url: Option<String>,
}

/// `PUT /v1/vendors/me/mailing-list` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MailingList {
    /// The page now offered, or `null`.
    pub url: Option<String>,
}

/// `PUT /v1/vendors/me/mailing-list`: sets the page the daily summary mail offers to members
/// who bought from the vendor for the first time that day (unless they declined offers).
#[utoipa::path(put, path = "/v1/vendors/me/mailing-list", tag = "vendors",
    request_body = MailingListRequest,
    responses((status = 200, description = "Set", body = MailingList),
        (status = 400, description = "Not an http(s) URL", body = Problem)),
    security(("vendor_key" = [])))]
pub async fn set_mailing_list(app: &App, call: Call<'_>) -> Outcome {
    let vendor = call.vendor()?;
    let request: MailingListRequest = parse_json(&call.body)?;
    let url = request.url.map(|url| url.trim().to_owned());
    if let Some(url) = &url {
        check_mailing_list_url(url).map_err(|rule| ApiError::InvalidField {
            param: "url",
            detail: rule.to_owned(),
        })?;
    }
    let terms = VendorTerms::MailingList(url.clone());
    app.registry
        .set_vendor_terms(vendor, terms, app.now())
        .await?;
    Ok(json(StatusCode::OK, &MailingList { url }))
}
