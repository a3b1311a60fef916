//! The statement page (issue 14): `GET /account/statement`, the lines of
//! `GET /v1/members/me/statement` behind a GET form of filters, for every login (a sub-member
//! reads only their own lines: `statement_api::statement_page` forces it).
//!
//! The page reads the API's own parameters through the API's own conversion
//! (`statement_api::parse_query`), so the two doors cannot drift apart. Before it, the page
//! turns what a browser form sends into those parameters, and nothing more: blank fields are
//! left out, a plain date (`YYYY-MM-DD`, what `input[type=date]` sends) becomes the instant its
//! day starts (`from`) or ends (`to`, so the last day is included) in the member's own time
//! zone, and a vendor id typed (`vendor_id`) stands for the select's `vendor`. Rejected: teaching
//! `parse_query` plain dates, since the API has no member's zone at hand without one more read
//! of the account, and an instant is what a script should send anyway. A refused filter is the
//! same page with `400` and the refused parameter named, not the error page.

use hyper::StatusCode;

use super::{Outcome, Seat, lang};
use crate::domain::time::{MemberZone, Timestamp};
use crate::http::error::ApiError;
use crate::http::json::rfc3339;
use crate::http::logins_api::logins;
use crate::http::statement_api::{StatementLineView, page_view, parse_query, statement_page};
use crate::http::vendor_standing_api::approved_vendors;
use crate::web::account::{
    self as pages, Choice, FormError, Section, StatementFilters, StatementRow, StatementView,
};

/// The statement page's path (its form gets there too).
pub(super) const STATEMENT: &str = "/account/statement";

/// Query pairs read at most: the page's own (`lang`, `done`, `vendor_id`) and the API's, each
/// once, and a few more so a duplicate reaches `parse_query` and is refused by name there.
const QUERY_PAIRS_MAX: usize = 24;

/// Vendors offered in the select at most; any other is typed by id.
const VENDOR_CHOICES_MAX: usize = 100;

/// The query of the page as the reader typed it: refilled on the form, carried by the link
/// to the next page.
#[derive(Debug, Default)]
struct Typed {
    from: String,
    to: String,
    vendor: String,
    vendor_id: String,
    kind: String,
    login: String,
    min: String,
    max: String,
    limit: String,
}

impl Typed {
    fn filters(&self) -> StatementFilters<'_> {
        StatementFilters {
            from: &self.from,
            to: &self.to,
            vendor: &self.vendor,
            vendor_id: &self.vendor_id,
            kind: &self.kind,
            login: &self.login,
            min: &self.min,
            max: &self.max,
        }
    }
}

/// A plain date of the form as the instant that bounds it in `zone`: its start for `from`,
/// the next day's start for `to` (exclusive, so the day itself is included). `None` when the
/// text is no date, or a day the calendar cannot place: then it reaches `parse_query` as typed
/// and is refused by name.
fn day_bound(text: &str, zone: &MemberZone, end: bool) -> Option<String> {
    let date: jiff::civil::Date = text.parse().ok()?;
    let (start, next) = zone.day_bounds(date)?;
    Some(rfc3339(if end { next } else { start }))
}

/// Splits the page's query into what the reader typed and the API's query string.
fn rewrite(query: Option<&str>, zone: &MemberZone) -> (Typed, String) {
    let mut typed = Typed::default();
    let mut api = url::form_urlencoded::Serializer::new(String::new());
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .take(QUERY_PAIRS_MAX)
        .map(|(name, value)| (name.into_owned(), value.trim().to_owned()))
        .collect();
    let typed_vendor = pairs
        .iter()
        .any(|(name, value)| name == "vendor_id" && !value.is_empty());
    for (name, value) in pairs {
        let keep = |slot: &mut String| {
            if slot.is_empty() {
                slot.clone_from(&value);
            }
        };
        match name.as_str() {
            "lang" | "done" => continue,
            "from" => keep(&mut typed.from),
            "to" => keep(&mut typed.to),
            "vendor" => keep(&mut typed.vendor),
            "vendor_id" => keep(&mut typed.vendor_id),
            "kind" => keep(&mut typed.kind),
            "login" => keep(&mut typed.login),
            "min" => keep(&mut typed.min),
            "max" => keep(&mut typed.max),
            "limit" => keep(&mut typed.limit),
            _ => {}
        }
        if value.is_empty() || (name == "vendor" && typed_vendor) {
            continue;
        }
        match name.as_str() {
            "from" | "to" => {
                let instant = day_bound(&value, zone, name == "to");
                api.append_pair(&name, instant.as_deref().unwrap_or(&value));
            }
            "vendor_id" => {
                api.append_pair("vendor", &value);
            }
            _ => {
                api.append_pair(&name, &value);
            }
        }
    }
    (typed, api.finish())
}

/// A line's time in the member's zone, to the minute; as written when it is no time.
fn local(at: &str, zone: &MemberZone) -> String {
    at.parse::<jiff::Timestamp>().map_or_else(
        |_| at.to_owned(),
        |instant| zone.local_minute(Timestamp(instant.as_millisecond())),
    )
}

/// The member's time zone, as the account view names it (UTC when unknown).
pub(super) fn zone_of(seat: &Seat<'_>) -> MemberZone {
    seat.caller
        .account
        .time_zone
        .as_deref()
        .and_then(|name| MemberZone::new(name).ok())
        .unwrap_or_else(MemberZone::utc)
}

/// The rows of `lines`, their times written `locals`, their logins named by `names`.
pub(super) fn rows<'a>(
    lines: &'a [StatementLineView],
    locals: &'a [String],
    names: Option<&'a [Choice<'a>]>,
) -> Vec<StatementRow<'a>> {
    lines
        .iter()
        .zip(locals)
        .map(|(line, local)| StatementRow {
            id: &line.id,
            at: &line.at,
            local,
            kind: &line.kind,
            vendor_id: line.vendor.as_ref().map(|vendor| vendor.id.as_str()),
            vendor_name: line
                .vendor
                .as_ref()
                .and_then(|vendor| vendor.name.as_deref()),
            title: line.title.as_deref(),
            content_url: line.content_url.as_deref(),
            note: line.note.as_deref(),
            amount: &line.amount,
            balance_after: &line.balance_after,
            currency: &line.currency,
            made_by: names.map(|names| {
                let login = line.login.as_deref().unwrap_or("");
                names
                    .iter()
                    .find(|choice| choice.value == login)
                    .map_or(login, |choice| choice.label)
            }),
        })
        .collect()
}

/// The local times of `lines` in `zone`.
pub(super) fn locals(lines: &[StatementLineView], zone: &MemberZone) -> Vec<String> {
    lines.iter().map(|line| local(&line.at, zone)).collect()
}

/// `GET /account/statement`: the filters of the query applied, or the page with `400` and
/// the refused filter named.
///
/// # Errors
/// `HolderOnly` for a sub-member naming another login; the session's and the journal's.
pub(super) async fn page(seat: &Seat<'_>) -> Outcome {
    let zone = zone_of(seat);
    let (typed, api_query) = rewrite(seat.query, &zone);
    let (lines, next, invalid) = match parse_query(Some(&api_query)) {
        Ok(query) => {
            let page = statement_page(seat.app, &seat.caller.session, query).await?;
            let view = page_view(seat.app, page);
            (view.lines, view.next_cursor, None)
        }
        Err(ApiError::InvalidField { param, .. } | ApiError::InvalidAmount { param }) => {
            (Vec::new(), None, Some(param))
        }
        Err(error) => return Err(error),
    };
    let login_views = if seat.caller.session.holder {
        Some(logins(seat.app, seat.caller.session).await?)
    } else {
        None
    };
    let login_choices: Option<Vec<Choice<'_>>> = login_views.as_ref().map(|views| {
        views
            .iter()
            .map(|login| Choice {
                value: &login.login_id,
                label: login
                    .name
                    .as_deref()
                    .or(login.email.as_deref())
                    .unwrap_or(&login.login_id),
            })
            .collect()
    });
    let vendors: Vec<(String, String)> = approved_vendors(seat.app)
        .iter()
        .take(VENDOR_CHOICES_MAX)
        .map(|entry| (entry.profile.id.to_string(), entry.profile.name.clone()))
        .collect();
    let vendor_choices: Vec<Choice<'_>> = vendors
        .iter()
        .map(|(id, name)| Choice {
            value: id,
            label: name,
        })
        .collect();
    let local_times = locals(&lines, &zone);
    let rows = rows(&lines, &local_times, login_choices.as_deref());
    let next_href = next.map(|cursor| {
        seat.link(
            STATEMENT,
            &[
                ("from", &typed.from),
                ("to", &typed.to),
                ("vendor", &typed.vendor),
                ("vendor_id", &typed.vendor_id),
                ("kind", &typed.kind),
                ("login", &typed.login),
                ("min", &typed.min),
                ("max", &typed.max),
                ("limit", &typed.limit),
                ("cursor", &cursor),
            ],
        )
    });
    let action = STATEMENT.to_owned();
    let (status, error) = match invalid {
        Some(_) => (StatusCode::BAD_REQUEST, Some(FormError::FilterInvalid)),
        None => (StatusCode::OK, None),
    };
    let view = StatementView {
        desk: seat.desk(Section::Statement, error),
        zone: zone.name(),
        action: &action,
        lang_param: seat.browser.query_lang.map(|lang| lang.code()),
        filters: typed.filters(),
        limit: &typed.limit,
        vendors: &vendor_choices,
        logins: login_choices.as_deref(),
        lines: &rows,
        next_href: next_href.as_deref(),
        invalid_param: invalid,
    };
    seat.respond(status, pages::statement_page(&view, lang(seat)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_s_query_becomes_the_api_s() {
        let tokyo = MemberZone::new("Asia/Tokyo").unwrap();
        let (typed, api) = rewrite(
            Some(
                "lang=ja&from=2026-11-30&to=2026-11-30&vendor=ven_00000000000000aa\
                 &vendor_id=&kind=purchase&login=&min=&max=2&limit=5",
            ),
            &tokyo,
        );
        assert_eq!(
            api,
            "from=2026-11-29T15%3A00%3A00.000Z&to=2026-11-30T15%3A00%3A00.000Z\
             &vendor=ven_00000000000000aa&kind=purchase&max=2&limit=5"
        );
        assert_eq!(typed.from, "2026-11-30");
        assert_eq!(typed.limit, "5");
        // A typed id wins over the select; an instant passes as it is.
        let (_, api) = rewrite(
            Some(
                "vendor=ven_00000000000000aa&vendor_id=ven_00000000000000bb&from=2026-01-01T00:00:00Z",
            ),
            &MemberZone::utc(),
        );
        assert_eq!(
            api,
            "vendor=ven_00000000000000bb&from=2026-01-01T00%3A00%3A00Z"
        );
        // What is no date reaches parse_query as typed, and is refused there by name.
        let (_, api) = rewrite(Some("from=2026-02-30"), &MemberZone::utc());
        let refused = parse_query(Some(&api)).unwrap_err();
        assert_eq!(refused.problem().param.as_deref(), Some("from"));
    }
}
