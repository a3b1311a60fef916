//! `POST /v1/members/me/transfers`: a member sends money to another member by e-mail address
//! ([0272]-[0273]). The sender's account decides and journals the transfer as sent; the
//! answer waits for that, then for the first delivery to the recipient (see `transfers`),
//! which the transfer watcher repeats if it could not land.

use hyper::StatusCode;

use super::app::{App, KeyScope, MemberSession, new_id};
use super::dto::{TransferCreated, TransferRequest};
use super::error::{ApiError, Problem};
use super::idempotent::idempotent;
use super::json::parse_json;
use super::member_api::{member_error, normalize_email};
use super::routes::{Call, Outcome};
use crate::actors::gateway::GatewayError;
use crate::domain::account::SendTransfer;
use crate::domain::event::IdempotencyStamp;
use crate::domain::ids::{Owner, TransferId};
use crate::domain::money::{Amount, Currency, format_balance};
use crate::domain::reject::Reject;

/// `POST /v1/members/me/transfers`: moves settled paid balance to another member's wallet in
/// the same currency, at no charge, exactly once. An unknown, frozen or closed recipient is
/// one answer, `recipient_unavailable`, so the route does not tell who is registered.
#[utoipa::path(post, path = "/v1/members/me/transfers", tag = "members",
    request_body = TransferRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry answer the first response, also after a restart")),
    responses((status = 201, description = "Sent", body = TransferCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 402, description = "Above the settled paid balance, a limit reached, or a debt is open", body = Problem),
        (status = 403, description = "The account is frozen", body = Problem),
        (status = 409, description = "No wallet in this currency", body = Problem),
        (status = 422, description = "The recipient cannot receive, the recipient is the sender, or an unsupported currency", body = Problem)),
    security(("member_session" = [])))]
pub async fn send_transfer(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let scope = KeyScope {
        caller: Owner::Account(member.account),
        route: "transfers",
    };
    let parse = |body: &[u8]| parse_json::<TransferRequest>(body)?.into_parts();
    idempotent(app, &call, scope, parse, |parts, key| async move {
        let stamp = key.map(|(key, request_digest)| IdempotencyStamp {
            key,
            request_digest,
        });
        let created = transfer(app, member, parts, stamp).await?;
        Ok((StatusCode::CREATED, super::json::to_json(&created)))
    })
    .await
}

/// Sends `amount` in `currency` to the member `to_email` names, with `note`: the one path of
/// `POST /v1/members/me/transfers` and the account pages' transfer form. The sender's account
/// decides and journals the transfer; the first delivery is tried before answering.
///
/// # Errors
/// `CurrencyUnsupported`; `InvalidField` on `to_email`; `RecipientUnavailable` (unknown,
/// frozen or closed alike); the sender's account's refusals; session rejects.
pub async fn transfer(
    app: &App,
    member: MemberSession,
    (to_email, amount, currency, note): (String, Amount, Currency, String),
    stamp: Option<IdempotencyStamp>,
) -> Result<TransferCreated, ApiError> {
    if !app.config.money.supports(currency) {
        return Err(ApiError::Reject(Reject::CurrencyUnsupported));
    }
    let unavailable = ApiError::Reject(Reject::RecipientUnavailable);
    let email = normalize_email(&to_email).map_err(|_| ApiError::InvalidField {
        param: "to_email",
        detail: "an e-mail address".to_owned(),
    })?;
    let to = app
        .registry
        .account_by_email(&email)
        .ok_or(unavailable.clone())?;
    if to != member.account {
        app.registry
            .can_receive(to)
            .await
            .map_err(|error| match error {
                GatewayError::NotFound => unavailable,
                other => member_error(other),
            })?;
    }
    let command = SendTransfer {
        transfer: TransferId(new_id()),
        login: member.login,
        to,
        currency,
        amount,
        note,
    };
    let sent = app
        .registry
        .send_transfer(member.account, member.session, command, stamp)
        .await
        .map_err(member_error)?;
    if let Some(in_transit) = sent.in_transit {
        metrics::counter!(crate::metrics::TRANSFERS, "step" => "sent").increment(1);
        let transfer = in_transit.transfer;
        if let Err(error) = crate::transfers::deliver(&app.registry, in_transit).await {
            // The money is in transit, durably: the transfer watcher delivers it.
            tracing::warn!(%transfer, %error, "a transfer waits for its next delivery");
        }
    }
    Ok(TransferCreated {
        transfer_id: sent.transfer.to_string(),
        balance: format_balance(sent.balance, currency),
        currency: currency.code().to_owned(),
    })
}
