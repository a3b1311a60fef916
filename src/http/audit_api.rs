//! The back office's audit trail over HTTP: what an entry records of a call (secrets
//! redacted), and `GET /admin/v1/audit`, which reads the trail through the audit actor's
//! registry (`storage::audit_trail` does the reading). No route writes to it but the router's
//! own recording of every back-office call.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::app::App;
use super::error::{ApiError, Problem};
use super::json::rfc3339;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::actors::audit::AuditFilter;
use crate::domain::audit::{AUDIT_CHANGE_BYTES_MAX, AuditCall, cut};
use crate::domain::ids::OperatorId;
use crate::domain::security::Staff;
use crate::domain::time::Timestamp;

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
    // The bank account holder's name on the back office's settlement form (the JSON door
    // nests it in `bank_account`).
    "account_name",
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

/// The one conversion of the query of `GET /admin/v1/audit` into a filter.
fn parse_filter(query: Option<&str>) -> Result<AuditFilter, ApiError> {
    let mut parsed = AuditFilter {
        limit: super::dto::PAGE_DEFAULT,
        ..AuditFilter::default()
    };
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "actor" if value == "admin_key" => parsed.actor = Some(Staff::AdminKey),
            "actor" => {
                let id: OperatorId = value
                    .parse()
                    .map_err(|_| invalid("actor", "admin_key or an operator id"))?;
                // A vendor admin's id matches too: see `Staff::person`.
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
            "limit" => parsed.limit = super::dto::limit_field(&value)?,
            _ => return Err(invalid("query", &format!("unknown parameter {name}"))),
        }
    }
    Ok(parsed)
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
    let filter = parse_filter(query)?;
    let read = app.registry.read_audit(filter).await?;
    Ok(AuditPage {
        entries: read
            .records
            .into_iter()
            .map(|record| AuditEntry {
                position: record.position,
                actor: record.call.by.name(),
                function: record.call.function,
                method: record.call.method,
                target: record.call.target,
                change: record.call.change,
                at: rfc3339(record.call.at),
                status: record.status,
            })
            .collect(),
        next_cursor: read.next.map(|position| position.to_string()),
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
