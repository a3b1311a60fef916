//! "My Content" over HTTP (issue 14, [0163]): `GET /v1/members/me/content`, what the member
//! owns newest first, and `POST /v1/members/me/content/{entitlement_id}/open`, a fresh access
//! token and the URL to open it at.
//!
//! A page is a page of the member's purchase lines (`statement_api::statement_page`, so a
//! sub-member reads only what they bought, [0275]) joined with the entitlements the account
//! answers for them in one message (`domain::content`). Opening reads the entitlement under
//! the session, finds its purchase line the same way (which is also what keeps a sub-member
//! from opening the holder's items), checks it still opens, and mints a token exactly as a
//! purchase does. Opening counts no view: the vendor's access check of the token does, as
//! after a purchase. The account pages' "Open" goes through [`open_item`] too.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, MemberSession};
use super::dto::id_field;
use super::error::{ApiError, Problem};
use super::json::rfc3339;
use super::member_api::member_error;
use super::purchase::mint_access_token;
use super::router::json;
use super::routes::{Call, Outcome};
use super::statement_api::{StatementVendor, statement_page};
use crate::domain::content::{
    OwnedItem, entitlements_named, join, line_of_entitlement, purchase_line_query,
};
use crate::domain::entitlement::Entitlement;
use crate::domain::ids::EntitlementId;
use crate::domain::statement::{LineKind, STATEMENT_PAGE_MAX, StatementCursor, StatementQuery};
use crate::domain::time::Timestamp;

/// Query parameters read at most: `cursor`, `limit` and a few more, so a query of thousands
/// of parameters is refused after a handful instead of parsed whole.
const PARAMS_MAX: usize = 8;

/// One item the member owns.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContentItemView {
    /// The entitlement, `ent_…`: what `open` takes.
    pub entitlement_id: String,
    /// The title it was sold under; `null` for purchases made before titles were kept.
    pub title: Option<String>,
    /// The selling vendor.
    pub vendor: StatementVendor,
    /// When it was bought, RFC 3339.
    pub purchased_at: String,
    /// When it stops opening, RFC 3339; `null` never.
    pub expires_at: Option<String>,
    /// Views left; `null` unlimited.
    pub views_left: Option<u32>,
    /// Whether `open` would answer a token now.
    pub can_open: bool,
    /// Why not, when it cannot: `expired`, `reversed` or `views_used_up`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// `GET /v1/members/me/content` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContentPageView {
    /// Newest purchase first.
    pub items: Vec<ContentItemView>,
    /// Pass as `cursor` to read on; absent when nothing follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /v1/members/me/content/{entitlement_id}/open` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenedView {
    /// The content URL the purchase was sold under.
    pub url: String,
    /// A fresh access token for it, as a purchase answers one: the vendor's access check
    /// grants it once (and counts a view when views are limited).
    pub access_token: String,
}

/// A page of what the member owns, as the pages and the API both read it.
#[derive(Clone, Debug)]
pub struct ContentPage {
    /// Newest first.
    pub items: Vec<OwnedItem>,
    /// Where to read on.
    pub next: Option<StatementCursor>,
}

/// A content URL with its fresh access token: what opening answers.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The URL the purchase was sold under.
    pub url: String,
    /// The token.
    pub access_token: String,
}

fn invalid(param: &'static str, detail: &str) -> ApiError {
    ApiError::InvalidField {
        param,
        detail: detail.to_owned(),
    }
}

/// The one conversion of the query string into the statement query of a page: purchases
/// only, from `cursor`, `limit` of them (1 to 100, default 20, as the statement). Every
/// parameter at most once; an unknown one is refused.
///
/// # Errors
/// `InvalidField` naming the parameter.
pub fn parse_query(query: Option<&str>) -> Result<StatementQuery, ApiError> {
    let mut parsed = StatementQuery {
        kind: Some(LineKind::Purchase),
        ..StatementQuery::default()
    };
    let mut seen: Vec<String> = Vec::new();
    let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes());
    for (index, (name, value)) in pairs.enumerate() {
        if index >= PARAMS_MAX {
            return Err(invalid("query", "too many parameters"));
        }
        if seen.iter().any(|earlier| *earlier == name) {
            return Err(invalid("query", &format!("{name} given twice")));
        }
        seen.push(name.clone().into_owned());
        match name.as_ref() {
            "cursor" => {
                parsed.cursor = Some(
                    StatementCursor::parse(&value)
                        .ok_or_else(|| invalid("cursor", "a next_cursor of a previous page"))?,
                );
            }
            "limit" => {
                parsed.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=STATEMENT_PAGE_MAX).contains(limit))
                    .ok_or_else(|| invalid("limit", "1 to 100"))?;
            }
            // `lang` belongs to the account page that reads the same query.
            "lang" => {}
            _ => return Err(invalid("query", &format!("unknown parameter {name}"))),
        }
    }
    Ok(parsed)
}

/// A page of what `member` owns: their purchase lines (every line of the account for the
/// holder, their own for a sub-member) joined with the account's entitlements.
///
/// # Errors
/// Session rejects (as `Unauthenticated`), faults.
pub async fn content_page(
    app: &App,
    member: &MemberSession,
    query: StatementQuery,
) -> Result<ContentPage, ApiError> {
    let page = statement_page(app, member, query).await?;
    let ids = entitlements_named(&page.lines);
    let held = if ids.is_empty() {
        Vec::new()
    } else {
        app.registry
            .entitlements(member.account, member.login, member.session, ids)
            .await
            .map_err(member_error)?
    };
    Ok(ContentPage {
        items: join(page.lines, held),
        next: page.next,
    })
}

/// A fresh access token for one of `member`'s items and the URL it was sold under, checked
/// in this order: the account holds the entitlement, the caller may read its purchase line
/// (a sub-member only their own: someone else's is `NotFound`, as an unknown id, so the
/// answer tells nothing of what others bought), it still opens, its URL was kept. Counts no
/// view: the vendor's check of the token does.
///
/// # Errors
/// `NotFound`; `EntitlementExpired`, `EntitlementReversed`, `ViewsUsedUp` (the access
/// check's problems); `ContentUrlNotKept`; session rejects, faults.
pub async fn open_item(
    app: &App,
    member: &MemberSession,
    entitlement: EntitlementId,
) -> Result<Opened, ApiError> {
    let held: Entitlement = app
        .registry
        .entitlements(
            member.account,
            member.login,
            member.session,
            vec![entitlement],
        )
        .await
        .map_err(member_error)?
        .into_iter()
        .find(|held| held.id == entitlement)
        .ok_or(ApiError::NotFound)?;
    // The range is one vendor's purchases in one millisecond, read under the statement's
    // scan budget like any page.
    let page = statement_page(app, member, purchase_line_query(&held)).await?;
    let line = line_of_entitlement(page.lines, entitlement).ok_or(ApiError::NotFound)?;
    let now: Timestamp = app.now();
    if let Some(invalid) = held.invalid_reason(now) {
        return Err(ApiError::Reject(invalid.reject()));
    }
    if line.content_url.is_empty() {
        return Err(ApiError::ContentUrlNotKept);
    }
    Ok(Opened {
        url: line.content_url,
        access_token: mint_access_token(app, member.account, &held, now),
    })
}

/// An item as the API prints it.
#[must_use]
pub fn item_view(app: &App, item: OwnedItem, now: Timestamp) -> ContentItemView {
    let unavailable = item.unavailable(now);
    let vendor = item.line.vendor.map_or_else(
        || StatementVendor {
            id: String::new(),
            name: None,
        },
        |vendor| StatementVendor {
            id: vendor.to_string(),
            name: app
                .registry
                .vendor(vendor)
                .map(|entry| entry.profile.name.clone()),
        },
    );
    ContentItemView {
        entitlement_id: item.entitlement.to_string(),
        title: (!item.line.title.is_empty()).then_some(item.line.title),
        vendor,
        purchased_at: rfc3339(item.line.at),
        expires_at: item
            .held
            .as_ref()
            .and_then(|held| held.expires_at)
            .map(rfc3339),
        views_left: item.held.as_ref().and_then(Entitlement::views_left),
        can_open: unavailable.is_none(),
        unavailable: unavailable.map(|reason| reason.code().to_owned()),
    }
}

/// A page as the API prints it, judged at `now`.
#[must_use]
pub fn page_view(app: &App, page: ContentPage, now: Timestamp) -> ContentPageView {
    ContentPageView {
        items: page
            .items
            .into_iter()
            .map(|item| item_view(app, item, now))
            .collect(),
        next_cursor: page.next.map(StatementCursor::encode),
    }
}

/// `GET /v1/members/me/content?cursor=&limit=`.
#[utoipa::path(get, path = "/v1/members/me/content", tag = "members",
    operation_id = "my_content",
    params(
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "What the member owns, newest purchase first: the holder every item of the account, a sub-member only what they bought. A page reads a bounded number of index entries: it may hold fewer items than limit with a next_cursor to read on", body = ContentPageView),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn content(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let query = parse_query(call.query)?;
    let page = content_page(app, &member, query).await?;
    Ok(json(StatusCode::OK, &page_view(app, page, app.now())))
}

/// `POST /v1/members/me/content/{entitlement_id}/open`.
#[utoipa::path(post, path = "/v1/members/me/content/{entitlement_id}/open", tag = "members",
    operation_id = "open_my_content",
    params(("entitlement_id" = String, Path, description = "The item's entitlement, ent_…")),
    responses((status = 200, description = "A fresh access token and the content URL the purchase was sold under. Counts no view: the vendor's access check of the token does", body = OpenedView),
        (status = 400, description = "Not an entitlement id", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "entitlement_expired, entitlement_reversed or views_used_up, as the vendor's access check answers them", body = Problem),
        (status = 404, description = "No such item, or (for a sub-member) one someone else bought", body = Problem),
        (status = 422, description = "content_url_not_kept: bought before content URLs were kept; open it from the vendor's site", body = Problem)),
    security(("member_session" = [])))]
pub async fn open(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let entitlement = id_field(call.params.get("entitlement_id")?, "entitlement_id")?;
    let opened = open_item(app, &member, entitlement).await?;
    Ok(json(
        StatusCode::OK,
        &OpenedView {
            url: opened.url,
            access_token: opened.access_token,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(query: &str) -> Option<String> {
        parse_query(Some(query)).unwrap_err().problem().param
    }

    #[test]
    fn the_query_reads_purchases_from_a_cursor() {
        let cursor = StatementCursor {
            at: Timestamp(5),
            position: 7,
        };
        let query = parse_query(Some(&format!("cursor={}&limit=3", cursor.encode()))).unwrap();
        assert_eq!(query.kind, Some(LineKind::Purchase));
        assert_eq!(query.cursor, Some(cursor));
        assert_eq!(query.limit, 3);
        assert_eq!(parse_query(None).unwrap().limit, 20);
        assert_eq!(param("cursor=abc").as_deref(), Some("cursor"));
        assert_eq!(param("limit=0").as_deref(), Some("limit"));
        assert_eq!(param("limit=101").as_deref(), Some("limit"));
        assert_eq!(param("kind=funds").as_deref(), Some("query"));
        assert_eq!(param("limit=1&limit=2").as_deref(), Some("query"));
    }
}
