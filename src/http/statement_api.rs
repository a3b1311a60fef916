//! The member's statement over HTTP: `GET /v1/members/me/statement`, every line of the
//! account's history newest first, filtered and paged ([0157], [0162]-[0164]; issue 14). One
//! conversion turns the query string into a `StatementQuery`; the gateway checks the session
//! and reads the page from the journal (`storage` does the reading); the answer is wire types
//! of their own. Depends on the domain's statement types and the gateway, nothing below.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::{App, MemberSession};
use super::dto::id_field;
use super::error::{ApiError, Problem};
use super::json::rfc3339;
use super::member_api::member_error;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::domain::money::{format_net_total, parse_amount};
use crate::domain::reject::Reject;
use crate::domain::statement::{
    LineKind, STATEMENT_PAGE_MAX, StatementCursor, StatementLine, StatementPage, StatementQuery,
};
use crate::domain::time::Timestamp;

/// Query parameters read at most: one of each known parameter and a few more, so a query of
/// thousands of parameters is refused after a handful instead of parsed whole.
const PARAMS_MAX: usize = 16;

/// The vendor a line concerns.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementVendor {
    /// The vendor's id.
    pub id: String,
    /// Its display name, when the vendor is registered here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One line of the statement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementLineView {
    /// The line's id: unique within the member's statement.
    pub id: String,
    /// When it happened, RFC 3339.
    pub at: String,
    /// `purchase`, `funds`, `transfer_in`, `transfer_out`, `cash_out`, `incentive`,
    /// `dispute`, `customer_credit` or `reversal`.
    pub kind: String,
    /// ISO 4217 code of the wallet.
    pub currency: String,
    /// Signed: what it moved in the paid balance (`"-0.25"` for a purchase), or for lines
    /// that move nothing yet (incentive, dispute) the amount granted or disputed.
    pub amount: String,
    /// The wallet's paid balance after it.
    pub balance_after: String,
    /// The vendor it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<StatementVendor>,
    /// The login that made it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// A purchase's title (purchases made before titles were kept have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A purchase's content URL (as the title).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_url: Option<String>,
    /// A dispute's or reversal's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /v1/members/me/statement` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementPageView {
    /// Lines, newest first.
    pub lines: Vec<StatementLineView>,
    /// Pass as `cursor` to read on; absent when nothing follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn invalid(param: &'static str, detail: &str) -> ApiError {
    ApiError::InvalidField {
        param,
        detail: detail.to_owned(),
    }
}

fn instant(text: &str, param: &'static str) -> Result<Timestamp, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| invalid(param, "an RFC 3339 time such as 2026-12-31T23:59:59Z"))
}

/// The one conversion of the statement's query string into a query. Every parameter at most
/// once; an unknown one is refused (a typo must not silently widen the answer).
///
/// # Errors
/// `InvalidField` naming the parameter; `InvalidAmount` for `min` or `max`.
pub fn parse_query(query: Option<&str>) -> Result<StatementQuery, ApiError> {
    let mut parsed = StatementQuery::default();
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
            "from" => parsed.from = Some(instant(&value, "from")?),
            "to" => parsed.to = Some(instant(&value, "to")?),
            "vendor" => parsed.vendor = Some(id_field(&value, "vendor")?),
            "login" => parsed.login = Some(id_field(&value, "login")?),
            "kind" => {
                parsed.kind = Some(LineKind::from_code(&value).ok_or_else(|| {
                    invalid(
                        "kind",
                        "purchase, funds, transfer_in, transfer_out, cash_out, incentive, \
                         dispute, customer_credit or reversal",
                    )
                })?);
            }
            "min" => {
                parsed.min = Some(
                    parse_amount(&value).map_err(|_| ApiError::InvalidAmount { param: "min" })?,
                );
            }
            "max" => {
                parsed.max = Some(
                    parse_amount(&value).map_err(|_| ApiError::InvalidAmount { param: "max" })?,
                );
            }
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
            _ => return Err(invalid("query", &format!("unknown parameter {name}"))),
        }
    }
    Ok(parsed)
}

/// `GET /v1/members/me/statement?from=&to=&vendor=&kind=&login=&min=&max=&cursor=&limit=`.
#[utoipa::path(get, path = "/v1/members/me/statement", tag = "members",
    params(
        ("from" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("to" = Option<String>, Query, description = "RFC 3339, exclusive"),
        ("vendor" = Option<String>, Query, description = "Only lines of this vendor (ven_…)"),
        ("kind" = Option<String>, Query, description = "Only lines of this kind: purchase, funds, transfer_in, transfer_out, cash_out, incentive, dispute, customer_credit, reversal"),
        ("login" = Option<String>, Query, description = "Only lines this login made (login_…)"),
        ("min" = Option<String>, Query, description = "Only lines whose absolute amount is at least this, like \"0.10\""),
        ("max" = Option<String>, Query, description = "Only lines whose absolute amount is at most this"),
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "A page of the statement, newest first. A page reads a bounded number of index entries: a narrow filter may answer fewer lines than limit with a next_cursor to read on", body = StatementPageView),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn statement(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let query = parse_query(call.query)?;
    let page = statement_page(app, &member, query).await?;
    Ok(json(StatusCode::OK, &page_view(app, page)))
}

/// A page of `member`'s statement: the holder reads every line, a sub-member only the lines
/// they made ([0275]); naming another login is the holder's alone.
///
/// # Errors
/// `HolderOnly` for a sub-member naming another login; the session's and the journal's.
pub async fn statement_page(
    app: &App,
    member: &MemberSession,
    mut query: StatementQuery,
) -> Result<StatementPage, ApiError> {
    if member.holder {
        query.holder = Some(member.login);
    } else {
        if query.login.is_some_and(|login| login != member.login) {
            return Err(ApiError::Reject(Reject::HolderOnly));
        }
        query.login = Some(member.login);
    }
    app.registry
        .statement(
            member.account,
            member.login,
            member.session,
            query,
            app.config.members.statement_scan_max,
        )
        .await
        .map_err(member_error)
}

/// Lines in the account summary of `GET /v1/members/me`.
pub const SUMMARY_LINES: usize = 10;

/// The newest lines `member` may read, for the account summary ([0162]).
///
/// # Errors
/// As [`statement_page`].
pub async fn summary_lines(
    app: &App,
    member: &MemberSession,
) -> Result<Vec<StatementLineView>, ApiError> {
    let query = StatementQuery {
        limit: SUMMARY_LINES,
        ..StatementQuery::default()
    };
    let page = statement_page(app, member, query).await?;
    Ok(page_view(app, page).lines)
}

/// A page as the API prints it.
#[must_use]
pub fn page_view(app: &App, page: StatementPage) -> StatementPageView {
    StatementPageView {
        lines: page
            .lines
            .into_iter()
            .map(|line| line_view(app, line))
            .collect(),
        next_cursor: page.next.map(StatementCursor::encode),
    }
}

/// A line as the API prints it. Its id is its position, printed like the API's ids.
#[must_use]
pub fn line_view(app: &App, line: StatementLine) -> StatementLineView {
    let text = |text: String| (!text.is_empty()).then_some(text);
    StatementLineView {
        id: format!("line_{:016x}", line.position),
        at: rfc3339(line.at),
        kind: line.kind.code().to_owned(),
        currency: line.currency.code().to_owned(),
        amount: format_net_total(line.amount, line.currency),
        balance_after: format_net_total(line.balance_after, line.currency),
        vendor: line.vendor.map(|vendor| StatementVendor {
            id: vendor.to_string(),
            name: app
                .registry
                .vendor(vendor)
                .map(|entry| entry.profile.name.clone()),
        }),
        login: line.login.map(|login| login.to_string()),
        title: text(line.title),
        content_url: text(line.content_url),
        note: text(line.note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{LoginId, VendorId};
    use crate::domain::money::Amount;
    use crate::domain::statement::STATEMENT_PAGE_DEFAULT;

    fn problem(query: &str) -> (String, Option<String>) {
        let error = parse_query(Some(query)).unwrap_err();
        let problem = error.problem();
        (error.describe().1.to_owned(), problem.param)
    }

    #[test]
    fn every_parameter_is_read_into_the_query() {
        let query = parse_query(Some(
            "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&vendor=ven_00000000000000aa\
             &kind=transfer_out&login=login_00000000000000bb&min=0.10&max=2&limit=100",
        ))
        .unwrap();
        assert_eq!(query.from, Some(Timestamp(1_767_225_600_000)));
        assert_eq!(query.to, Some(Timestamp(1_769_904_000_000)));
        assert_eq!(query.vendor, Some(VendorId(0xaa)));
        assert_eq!(query.kind, Some(LineKind::TransferOut));
        assert_eq!(query.login, Some(LoginId(0xbb)));
        assert_eq!(query.min, Some(Amount::from_micros(100_000)));
        assert_eq!(query.max, Some(Amount::from_micros(2_000_000)));
        assert_eq!(query.limit, 100);
        assert_eq!(parse_query(None).unwrap(), StatementQuery::default());
        assert_eq!(parse_query(None).unwrap().limit, STATEMENT_PAGE_DEFAULT);
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        let field = |param: &str| ("invalid_field".to_owned(), Some(param.to_owned()));
        assert_eq!(problem("limit=0"), field("limit"));
        assert_eq!(problem("limit=101"), field("limit"));
        assert_eq!(problem("limit=ten"), field("limit"));
        assert_eq!(problem("kind=Purchase"), field("kind"));
        assert_eq!(problem("cursor=abc"), field("cursor"));
        assert_eq!(problem("from=yesterday"), field("from"));
        assert_eq!(problem("vendor=42"), field("vendor"));
        assert_eq!(problem("login=ven_00000000000000aa"), field("login"));
        assert_eq!(problem("color=red"), field("query"));
        assert_eq!(problem("kind=funds&kind=purchase"), field("query"));
        let amount = |param: &str| ("invalid_amount".to_owned(), Some(param.to_owned()));
        assert_eq!(problem("min=-1"), amount("min"));
        assert_eq!(problem("max=0.1234567"), amount("max"));
        assert_eq!(problem("max=1e3"), amount("max"));
    }
}
