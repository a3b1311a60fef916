//! The audit log on a page: the back office's calls filtered by actor and function, read
//! through `audit_api::audit_page` like `GET /admin/v1/audit`.

use hyper::StatusCode;

use super::{Outcome, Seat};
use crate::http::audit_api::{AuditPage, audit_page};
use crate::http::error::ApiError;
use crate::http::routes::admin_functions;
use crate::web::back_office::{self as pages, AuditRow, AuditView, FormError, Section};

/// The page's path.
const AUDIT_PATH: &str = "/back-office/audit";
/// Calls on one page.
const ROWS_MAX: &str = "50";
/// Query parameters read at most (the filter has three, and `lang` and `done`).
const PARAMS_MAX: usize = 8;

/// The filter of a request, as typed.
#[derive(Default)]
struct Filter {
    /// `admin_key` or an operator id; empty for anyone.
    actor: String,
    /// A security function; empty for any.
    function: String,
    /// Where the previous page stopped; empty from the start.
    cursor: String,
}

/// The audit page for the filter in the query; the filter again with its error for a
/// malformed actor.
///
/// # Errors
/// `InvalidField` for a malformed cursor; `StorageFailed`.
pub(super) async fn page(seat: &Seat<'_>) -> Outcome {
    let mut filter = Filter::default();
    for (name, value) in
        url::form_urlencoded::parse(seat.query.unwrap_or("").as_bytes()).take(PARAMS_MAX)
    {
        let value = value.trim().to_owned();
        match name.as_ref() {
            "actor" => filter.actor = value,
            "function" => filter.function = value,
            "cursor" => filter.cursor = value,
            _ => {}
        }
    }
    let (found, error, status) = match audit_page(seat.app, Some(&api_query(&filter))).await {
        Ok(found) => (found, None, StatusCode::OK),
        Err(ApiError::InvalidField { param: "actor", .. }) => (
            AuditPage {
                entries: Vec::new(),
                next_cursor: None,
            },
            Some(FormError::ActorInvalid),
            StatusCode::BAD_REQUEST,
        ),
        Err(error) => return Err(error),
    };
    let rows: Vec<AuditRow<'_>> = found
        .entries
        .iter()
        .map(|entry| AuditRow {
            position: entry.position,
            at: &entry.at,
            actor: &entry.actor,
            function: &entry.function,
            method: &entry.method,
            target: &entry.target,
            change: &entry.change,
            status: entry.status,
        })
        .collect();
    let next = found.next_cursor.as_deref().map(|cursor| {
        seat.link(
            AUDIT_PATH,
            &[
                ("actor", &filter.actor),
                ("function", &filter.function),
                ("cursor", cursor),
            ],
        )
    });
    let functions = admin_functions();
    let view = AuditView {
        desk: seat.desk(Section::Audit, error),
        action: AUDIT_PATH,
        lang_field: seat.browser.query_lang.map(|lang| lang.code()),
        actor: &filter.actor,
        function: Some(filter.function.as_str()).filter(|f| !f.is_empty()),
        functions: &functions,
        rows: &rows,
        next_href: next.as_deref(),
    };
    seat.respond(status, pages::audit_page(&view, seat.browser.lang(None)))
}

/// The API's own query for `filter`, so the page reads exactly what `GET /admin/v1/audit`
/// would. (Built apart: the serializer is not `Send`, so it must not live across an await.)
fn api_query(filter: &Filter) -> String {
    let mut api = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("actor", &filter.actor),
        ("function", &filter.function),
        ("cursor", &filter.cursor),
    ] {
        if !value.is_empty() {
            api.append_pair(name, value);
        }
    }
    api.append_pair("limit", ROWS_MAX);
    api.finish()
}
