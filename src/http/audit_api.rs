//! The back office's audit trail over HTTP: what an entry records of a call (secrets
//! redacted), and `GET /admin/v1/audit`, which reads the trail from the journal. No route
//! writes to it but the router's own recording of every back-office call.

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::app::App;
use super::error::{ApiError, Problem};
use super::json::rfc3339;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::domain::audit::{AUDIT_CHANGE_BYTES_MAX, AuditCall, AuditEvent, cut};
use crate::domain::event::Event;
use crate::domain::ids::{OperatorId, Owner};
use crate::domain::security::Staff;
use crate::domain::time::Timestamp;
use crate::storage::port::Journal;

/// Entries one request reads at most, matching or not: a filter that matches little answers
/// a short page and a cursor rather than reading the whole trail.
const SCAN_MAX: u64 = 10_000;
/// Entries read past a page to find the outcomes of its calls.
const OUTCOME_LOOKAHEAD: u64 = 1_024;
/// Entries read from the journal at a time.
const CHUNK: usize = 256;
/// Bytes of a target (path and query) kept at most.
const TARGET_BYTES_MAX: usize = 512;
/// Fields of a form body read at most (the security-group form has one per function).
const FORM_FIELDS_MAX: usize = 256;

/// Fields whose values are never written to the trail, at any depth of a request.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "iban",
    "bic",
    "bank_account",
    "answer",
    "api_key",
    "session_token",
    "buyer_token",
    "card_number",
];

/// The entry of one call, before it runs.
#[must_use]
pub fn entry(
    by: Staff,
    function: &'static str,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> AuditCall {
    let target = match parts.uri.query() {
        Some(query) => format!("{}?{query}", parts.uri.path()),
        None => parts.uri.path().to_owned(),
    };
    let form = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    AuditCall {
        by,
        function: function.to_owned(),
        method: parts.method.as_str().to_owned(),
        target: cut(&target, TARGET_BYTES_MAX),
        change: if form {
            change_of_form(body)
        } else {
            change_of(body)
        },
        // Set by the audit actor's clock.
        at: Timestamp(0),
    }
}

/// What a request changes, as the trail keeps it: its JSON with secrets redacted, cut to
/// `AUDIT_CHANGE_BYTES_MAX`.
#[must_use]
pub fn change_of(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact(&mut value);
            cut(&value.to_string(), AUDIT_CHANGE_BYTES_MAX)
        }
        Err(_) => format!("[{} bytes, not JSON]", body.len()),
    }
}

/// What a form of the back office's pages changes, as the trail keeps it: its fields as a
/// JSON object (a repeated field as a list), secrets redacted, cut to
/// `AUDIT_CHANGE_BYTES_MAX`. The CSRF token is left out: it names the browser, not the change.
/// Without this a decision made on a page would be kept as "[57 bytes, not JSON]".
#[must_use]
pub fn change_of_form(body: &[u8]) -> String {
    let mut fields = serde_json::Map::new();
    for (name, value) in url::form_urlencoded::parse(body).take(FORM_FIELDS_MAX) {
        if name == "csrf" {
            continue;
        }
        let value = Value::String(value.into_owned());
        match fields.get_mut(name.as_ref()) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                fields.insert(name.into_owned(), value);
            }
        }
    }
    let mut value = Value::Object(fields);
    redact(&mut value);
    cut(&value.to_string(), AUDIT_CHANGE_BYTES_MAX)
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if SECRET_FIELDS.contains(&name.as_str()) {
                    *field = Value::String("[redacted]".to_owned());
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// One call in the trail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Its position in the trail.
    pub position: u64,
    /// `admin_key` or the operator's id.
    pub actor: String,
    /// The security function.
    pub function: String,
    /// The HTTP method.
    pub method: String,
    /// The path called.
    pub target: String,
    /// The request, secrets redacted.
    pub change: String,
    /// When (RFC 3339).
    pub at: String,
    /// The HTTP status it answered; absent when a crash left its outcome unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// `GET /admin/v1/audit` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Calls, oldest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` to read on; absent at the trail's end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What a reader asks for.
#[derive(Clone, Debug)]
struct AuditQuery {
    actor: Option<Staff>,
    function: Option<String>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    cursor: Option<u64>,
    limit: usize,
}

fn staff_name(staff: Staff) -> String {
    match staff {
        Staff::AdminKey => "admin_key".to_owned(),
        Staff::Operator(id) => id.to_string(),
    }
}

fn invalid(param: &'static str, detail: &str) -> ApiError {
    ApiError::InvalidField {
        param,
        detail: detail.to_owned(),
    }
}

fn time(text: &str, param: &'static str) -> Result<Timestamp, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| invalid(param, "an RFC 3339 time such as 2026-12-31T23:59:59Z"))
}

impl AuditQuery {
    fn parse(query: Option<&str>) -> Result<AuditQuery, ApiError> {
        let mut parsed = AuditQuery {
            actor: None,
            function: None,
            from: None,
            to: None,
            cursor: None,
            limit: super::dto::PAGE_DEFAULT,
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "actor" if value == "admin_key" => parsed.actor = Some(Staff::AdminKey),
                "actor" => {
                    let id: OperatorId = value
                        .parse()
                        .map_err(|_| invalid("actor", "admin_key or an operator id"))?;
                    parsed.actor = Some(Staff::Operator(id));
                }
                "function" => parsed.function = Some(value.into_owned()),
                "from" => parsed.from = Some(time(&value, "from")?),
                "to" => parsed.to = Some(time(&value, "to")?),
                "cursor" => {
                    parsed.cursor = Some(
                        value
                            .parse()
                            .map_err(|_| invalid("cursor", "a next_cursor of a previous page"))?,
                    );
                }
                "limit" => {
                    parsed.limit = super::dto::limit_field(&value)?;
                }
                _ => return Err(invalid("query", &format!("unknown parameter {name}"))),
            }
        }
        Ok(parsed)
    }

    fn matches(&self, call: &AuditCall) -> bool {
        self.actor.is_none_or(|actor| call.by == actor)
            && self.function.as_ref().is_none_or(|f| call.function == *f)
            && self.from.is_none_or(|from| call.at >= from)
            && self.to.is_none_or(|to| call.at < to)
    }
}

/// `GET /admin/v1/audit?actor=&function=&from=&to=&cursor=&limit=`: back-office calls,
/// oldest first, with who made them, the function, the target, the change and the outcome.
/// `from` is inclusive, `to` exclusive. A page reads at most 10,000 entries: a narrow filter
/// may answer fewer than `limit` with a `next_cursor` to read on.
#[utoipa::path(get, path = "/admin/v1/audit", tag = "admin",
    params(
        ("actor" = Option<String>, Query, description = "admin_key or an operator id"),
        ("function" = Option<String>, Query, description = "A security function"),
        ("from" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("to" = Option<String>, Query, description = "RFC 3339, exclusive"),
        ("cursor" = Option<String>, Query, description = "From a previous page's next_cursor"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 50")),
    responses((status = 200, description = "A page of the trail", body = AuditPage),
        (status = 400, description = "A parameter is invalid; param names it", body = Problem)),
    security(("admin_key" = [])))]
pub async fn list_audit(app: &App, call: Call<'_>) -> Outcome {
    let page = audit_page(app, call.query).await?;
    Ok(json(StatusCode::OK, &page))
}

/// A page of the trail for a query of `GET /admin/v1/audit` (`actor`, `function`, `from`,
/// `to`, `cursor`, `limit`), read on the blocking pool: the one reader of both doors, the API
/// and the back office's audit page.
///
/// # Errors
/// `InvalidField` naming a bad parameter; `StorageFailed` when the journal cannot be read.
pub async fn audit_page(app: &App, query: Option<&str>) -> Result<AuditPage, ApiError> {
    let query = AuditQuery::parse(query)?;
    let journal = std::sync::Arc::clone(&app.registry.env().journal);
    tokio::task::spawn_blocking(move || read_page(journal.as_ref(), &query))
        .await
        .map_err(|_| ApiError::StorageFailed)?
        .map_err(|_| ApiError::StorageFailed)
}

/// The first position whose call is at or after `from`: entries are appended in time order
/// (one writer, one clock), so a binary search finds it without reading the trail.
fn first_at_or_after(journal: &dyn Journal, from: Timestamp) -> Result<u64, ApiError> {
    let read = |position: u64| -> Result<Option<Timestamp>, ApiError> {
        let found = journal
            .read_owner(Owner::Audit, position, 1)
            .map_err(|_| ApiError::StorageFailed)?;
        Ok(found.first().map(|recorded| recorded.event.at()))
    };
    let mut low = 0_u64;
    let mut high = crate::storage::recovery::stream_end(journal, Owner::Audit)
        .map_err(|_| ApiError::StorageFailed)?;
    while low < high {
        let middle = low.saturating_add(high.saturating_sub(low) / 2);
        match read(middle)? {
            Some(at) if at < from => low = middle.saturating_add(1),
            _ => high = middle,
        }
    }
    Ok(low)
}

fn read_page(journal: &dyn Journal, query: &AuditQuery) -> Result<AuditPage, ApiError> {
    let start = match (query.cursor, query.from) {
        (Some(cursor), _) => cursor,
        (None, Some(from)) => first_at_or_after(journal, from)?,
        (None, None) => 0,
    };
    let mut position = start;
    let mut calls: Vec<(u64, AuditCall)> = Vec::new();
    let mut outcomes: BTreeMap<u64, u16> = BTreeMap::new();
    let mut at_end = false;
    'scan: while position.saturating_sub(start) < SCAN_MAX {
        let chunk = journal
            .read_owner(Owner::Audit, position, CHUNK)
            .map_err(|_| ApiError::StorageFailed)?;
        if chunk.is_empty() {
            at_end = true;
            break;
        }
        for recorded in chunk {
            position = recorded.position.saturating_add(1);
            let Event::Audit(entry) = recorded.event.as_ref() else {
                continue;
            };
            match entry.as_ref() {
                AuditEvent::Called(call) if query.matches(call) => {
                    calls.push((recorded.position, (**call).clone()));
                    if calls.len() == query.limit {
                        break 'scan;
                    }
                }
                AuditEvent::Called(_) => {}
                AuditEvent::Answered { call, status, .. } => {
                    outcomes.insert(*call, *status);
                }
            }
        }
    }
    // Outcomes come after their calls: read a little further for those of this page.
    let mut ahead = position;
    while calls.iter().any(|(at, _)| !outcomes.contains_key(at))
        && ahead.saturating_sub(position) < OUTCOME_LOOKAHEAD
    {
        let chunk = journal
            .read_owner(Owner::Audit, ahead, CHUNK)
            .map_err(|_| ApiError::StorageFailed)?;
        if chunk.is_empty() {
            break;
        }
        for recorded in chunk {
            ahead = recorded.position.saturating_add(1);
            if let Event::Audit(entry) = recorded.event.as_ref()
                && let AuditEvent::Answered { call, status, .. } = entry.as_ref()
            {
                outcomes.insert(*call, *status);
            }
        }
    }
    let entries = calls
        .into_iter()
        .map(|(at, call)| AuditEntry {
            position: at,
            actor: staff_name(call.by),
            function: call.function,
            method: call.method,
            target: call.target,
            change: call.change,
            at: rfc3339(call.at),
            status: outcomes.get(&at).copied(),
        })
        .collect();
    Ok(AuditPage {
        entries,
        next_cursor: (!at_end).then(|| position.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_other_fields_kept() {
        let body = br#"{"email":"ops@msp.example","password":"hunter2hunter2",
            "bank_account":{"iban":"DE89370400440532013000","name":"News"},
            "items":[{"answer":"blue"}]}"#;
        let change = change_of(body);
        assert!(change.contains("ops@msp.example"), "{change}");
        for secret in ["hunter2", "DE89", "blue"] {
            assert!(!change.contains(secret), "{secret} in {change}");
        }
        assert_eq!(change_of(b""), "");
        assert_eq!(change_of(b"not json"), "[8 bytes, not JSON]");
        let huge = format!(r#"{{"note":"{}"}}"#, "x".repeat(10_000));
        assert!(change_of(huge.as_bytes()).len() <= AUDIT_CHANGE_BYTES_MAX);
    }

    #[test]
    fn a_form_is_kept_as_its_fields_without_the_csrf_token_or_secrets() {
        let change = change_of_form(
            b"approve=yes&reason=Checked+the+log&csrf=abc123&function=a.read&function=b.read\
              &password=hunter2",
        );
        let value: Value = serde_json::from_str(&change).unwrap();
        assert_eq!(value["approve"], "yes");
        assert_eq!(value["reason"], "Checked the log");
        assert_eq!(value["function"], serde_json::json!(["a.read", "b.read"]));
        assert_eq!(value["password"], "[redacted]");
        assert!(value.get("csrf").is_none(), "{change}");
        assert_eq!(change_of_form(b""), "{}");
    }
}
