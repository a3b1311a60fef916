//! `POST /admin/v1/mail/daily-summary`: mails one day's summaries now, as the server's tick
//! does once the day has ended everywhere (for operators catching up and for tests). A day is
//! mailed at most once per member however often it is run (`crate::daily_summary`).

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::app::App;
use super::error::{ApiError, Problem};
use super::json::parse_json;
use super::router::json;
use super::routes::{Call, Outcome};
use crate::daily_summary::SummaryError;

/// `POST /admin/v1/mail/daily-summary`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DailySummaryRequest {
    /// The calendar day, `YYYY-MM-DD`: each member's own day in their time zone.
    pub date: String,
}

/// `POST /admin/v1/mail/daily-summary` → 200.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DailySummaryRun {
    /// The day mailed.
    pub date: String,
    /// Accounts with events around the day (in some time zone).
    pub accounts_active: u32,
    /// Messages written into the outbox by this run.
    pub written: u32,
    /// Messages an earlier run wrote: not written again.
    pub already_written: u32,
    /// Members with nothing on their own day, or without an e-mail.
    pub without_mail: u32,
    /// Members whose message failed (logged); the day is tried again by the next tick.
    pub failed: u32,
    /// Messages the SMTP relay accepted afterwards (0 with the file transport).
    pub relayed: u32,
}

/// `POST /admin/v1/mail/daily-summary`: mails a day that has ended in every time zone.
#[utoipa::path(post, path = "/admin/v1/mail/daily-summary", tag = "admin",
    request_body = DailySummaryRequest,
    responses((status = 200, description = "The day is mailed", body = DailySummaryRun),
        (status = 409, description = "The day has not ended everywhere, or a run is going on",
            body = Problem),
        (status = 400, description = "Not a date", body = Problem)),
    security(("admin_key" = [])))]
pub async fn run_daily_summary(app: &App, call: Call<'_>) -> Outcome {
    let request: DailySummaryRequest = parse_json(&call.body)?;
    let date: jiff::civil::Date =
        request
            .date
            .trim()
            .parse()
            .map_err(|_| ApiError::InvalidField {
                param: "date",
                detail: "a calendar date, YYYY-MM-DD".to_owned(),
            })?;
    let report = app
        .daily_summaries
        .run_day(&app.registry, date, app.now())
        .await
        .map_err(|error| match error {
            SummaryError::DayNotOver { .. } => ApiError::DayNotOver,
            SummaryError::Busy => ApiError::MailRunInProgress,
            SummaryError::Gateway(error) => error.into(),
            SummaryError::Member(_) => ApiError::Unavailable,
            SummaryError::Mail(error) => {
                tracing::error!(%error, "the daily summary could not be written");
                ApiError::Unavailable
            }
        })?;
    Ok(json(
        StatusCode::OK,
        &DailySummaryRun {
            date: date.to_string(),
            accounts_active: report.accounts_active,
            written: report.written,
            already_written: report.already_written,
            without_mail: report.without_mail,
            failed: report.failed,
            relayed: report.relay.sent,
        },
    ))
}
