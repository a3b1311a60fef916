//! The one purchase path behind both `POST /v1/authorize` and the buy window's Buy button:
//! the account actor runs the domain's `decide_authorize` on an `AuthorizeCommand`, whichever
//! door the purchase came through, so both get the same checks, events, limits and
//! entitlements. This module claims a posted offer when the purchase names one, sends the
//! command, counts the outcome and mints the access token.

use std::time::{Duration, Instant};

use std::sync::Arc;

use super::app::{App, ask, new_id};
use super::error::ApiError;
use crate::actors::messages::{
    Authorization, AuthorizeMessage, ClaimOfferMessage, ReleaseOfferMessage,
};
use crate::actors::registry::VendorEntry;
use crate::crypto::token::AccessClaims;
use crate::domain::account::AuthorizeCommand;
use crate::domain::entitlement::Entitlement;
use crate::domain::ids::{AccountId, OfferId};
use crate::domain::offer::Offer;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Claims `offer` at its vendor for one purchase (an offer buys once); the claim lapses after
/// `offers.claim_ms` if neither the purchase nor [`release_offer`] ends it. The answer is the
/// stored offer: its price and terms are what the purchase charges.
///
/// # Errors
/// `OfferUnknown`, `OfferExpired`, `OfferUsed`, `OfferInProgress`, faults.
pub async fn claim_offer(
    app: &App,
    vendor: &VendorEntry,
    offer: OfferId,
    now: Timestamp,
) -> Result<Arc<Offer>, ApiError> {
    ask(&vendor.addr, |reply| ClaimOfferMessage {
        offer,
        now,
        until: now.plus_ms(app.config.offers.claim_ms),
        reply,
    })
    .await
}

/// Frees a claimed offer whose claim bought nothing (declined, already owned, failed).
pub fn release_offer(vendor: &VendorEntry, offer: OfferId) {
    vendor.addr.do_send(ReleaseOfferMessage { offer });
}

/// Charges `account` for `command` through its actor. `parsed_in` is the time the caller
/// spent before the send (parsing, token opening), for the before-journal histogram.
///
/// # Errors
/// Every reject of `decide_authorize`, and faults.
pub async fn purchase(
    app: &App,
    account: AccountId,
    command: AuthorizeCommand,
    parsed_in: Duration,
) -> Result<Authorization, ApiError> {
    let currency = command.currency;
    let addr = app.account(account)?;
    let sent = Instant::now();
    let outcome = ask(&addr, |reply| AuthorizeMessage { command, reply }).await;
    let authorization = match outcome {
        Ok(authorization) => authorization,
        Err(error) => {
            metrics::counter!(names::AUTHORIZATIONS, "outcome" => error.describe().1).increment(1);
            return Err(error);
        }
    };
    let label = if authorization.replayed {
        "replayed"
    } else if authorization.already_owned {
        "already_owned"
    } else {
        "purchased"
    };
    metrics::counter!(names::AUTHORIZATIONS, "outcome" => label).increment(1);
    if label == "purchased" {
        metrics::counter!(names::AUTHORIZED_MICROS, "currency" => currency.code().to_owned())
            .increment(authorization.charged.micros());
        let before_journal =
            parsed_in.as_secs_f64() + micros_to_secs(authorization.before_journal_us);
        metrics::histogram!(names::AUTHORIZE_BEFORE_JOURNAL).record(before_journal);
        let waited = sent.elapsed().as_secs_f64() - micros_to_secs(authorization.before_journal_us);
        metrics::histogram!(names::AUTHORIZE_JOURNAL_WAIT).record(waited.max(0.0));
    }
    Ok(authorization)
}

fn micros_to_secs(micros: u64) -> f64 {
    Duration::from_micros(micros).as_secs_f64()
}

/// A fresh access token for `entitlement`: valid for the configured TTL (or less, when the
/// entitlement expires sooner), for one granted check, and only in this run of the server
/// (it carries `app.boot_epoch`).
#[must_use]
pub fn mint_access_token(
    app: &App,
    account: AccountId,
    entitlement: &Entitlement,
    now: Timestamp,
) -> String {
    let ttl_expiry = now.plus_ms(app.config.tokens.access_token_ttl_ms);
    let expires_at = entitlement
        .expires_at
        .map_or(ttl_expiry, |e| e.min(ttl_expiry));
    let claims = AccessClaims {
        account: account.0,
        entitlement: entitlement.id.0,
        token_id: new_id(),
        expires_at_ms: u64::try_from(expires_at.0).unwrap_or(0),
        boot_epoch: app.boot_epoch,
    };
    app.tokens
        .seal(&claims, entitlement.key.vendor.0, &mut rand::rngs::OsRng)
}
