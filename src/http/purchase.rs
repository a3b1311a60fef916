//! The one purchase path behind `POST /v1/authorize`, each item of a batch and the buy
//! window's Buy button: the account actor runs the domain's `decide_authorize` on an
//! `AuthorizeCommand`, whichever door the purchase came through, so all get the same checks,
//! events, limits and entitlements. This module claims a posted offer when the purchase names
//! one, counts the outcome and mints the access token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{App, new_id};
use super::error::ApiError;
use crate::actors::messages::Authorization;
use crate::actors::registry::VendorEntry;
use crate::crypto::token::AccessClaims;
use crate::domain::account::AuthorizeCommand;
use crate::domain::entitlement::{ContentKey, Entitlement, Terms};
use crate::domain::event::IdempotencyStamp;
use crate::domain::ids::{AccountId, AuthorizationId, EntitlementId, LoginId, OfferId, SessionId};
use crate::domain::money::{Amount, Currency};
use crate::domain::offer::{IncentivePolicy, Offer, OfferTerms};
use crate::domain::reject::Reject;
use crate::domain::royalty::Royalty;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Claims `offer` at its vendor for one purchase (an offer buys once); the claim lapses after
/// `offers.claim_ms` if neither the purchase nor a release ends it. The answer is the
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
    app.registry
        .claim_offer(vendor, offer, now, now.plus_ms(app.config.offers.claim_ms))
        .await
        .map_err(ApiError::from)
}

/// What a purchase charges and grants: checked inline terms or a claimed offer's. Only what
/// the command needs: the offer's title and content URL go into the purchase's event (for
/// the statement); its other texts stay with the offer.
#[derive(Clone, Debug)]
pub struct Charge {
    /// The price.
    pub price: Amount,
    /// Its currency.
    pub currency: Currency,
    /// What is bought.
    pub content: ContentKey,
    /// How long and how often it may be opened.
    pub terms: Terms,
    /// The claimed offer, when the purchase came from one.
    pub offer: Option<OfferId>,
    /// Which incentive grants may pay: the offer's `incentive_ids`, or any without an offer.
    pub incentives: IncentivePolicy,
    /// Rights holders owed a share of the price.
    pub royalties: Vec<Royalty>,
    /// The title it is sold under.
    pub title: String,
    /// The normalized content URL.
    pub content_url: String,
}

impl Charge {
    /// A charge of checked inline terms.
    #[must_use]
    pub fn inline(terms: OfferTerms) -> Charge {
        Charge {
            price: terms.price,
            currency: terms.currency,
            content: terms.content,
            terms: terms.terms,
            offer: None,
            incentives: IncentivePolicy::Any,
            royalties: terms.royalties,
            title: terms.title,
            content_url: terms.content_url,
        }
    }

    /// A charge of a claimed offer's stored terms.
    #[must_use]
    pub fn offer(offer: &Offer) -> Charge {
        Charge {
            price: offer.price,
            currency: offer.currency,
            content: offer.content.clone(),
            terms: offer.terms,
            offer: Some(offer.id),
            incentives: offer.incentives.clone(),
            royalties: offer.royalties.clone(),
            title: offer.title.clone(),
            content_url: offer.content_url.clone(),
        }
    }

    /// The domain command that buys this for a member's login and session.
    #[must_use]
    pub fn command(
        self,
        login: LoginId,
        session: SessionId,
        vendor: crate::domain::ids::VendorId,
        idempotency: Option<IdempotencyStamp>,
    ) -> AuthorizeCommand {
        AuthorizeCommand {
            login,
            session,
            vendor,
            price: self.price,
            currency: self.currency,
            content: self.content,
            terms: self.terms,
            idempotency,
            new_authorization: AuthorizationId(new_id()),
            new_entitlement: EntitlementId(new_id()),
            offer: self.offer,
            incentives: self.incentives,
            royalties: self.royalties,
            title: self.title,
            content_url: self.content_url,
        }
    }
}

/// Checks that every rights holder a sale names exists and is paid in the sale's currency.
///
/// # Errors
/// `RightsHolderUnknown`, `CurrencyMismatch` (a rights holder in another currency).
pub fn check_rights_holders(
    app: &App,
    royalties: &[Royalty],
    currency: Currency,
) -> Result<(), ApiError> {
    if royalties.is_empty() {
        return Ok(());
    }
    let settled = app.registry.settled();
    for royalty in royalties {
        let holder = settled
            .rights_holders
            .get(&royalty.rights_holder)
            .ok_or(ApiError::Reject(Reject::RightsHolderUnknown))?;
        if holder.currency != currency {
            return Err(ApiError::Reject(Reject::CurrencyMismatch));
        }
    }
    Ok(())
}

/// Counts one authorize outcome (success or failure) in the metrics.
pub fn count_outcome(
    outcome: &Result<Authorization, ApiError>,
    currency: Currency,
    parsed_in: Duration,
    sent: Instant,
) {
    let authorization = match outcome {
        Ok(authorization) => authorization,
        Err(error) => {
            metrics::counter!(names::AUTHORIZATIONS, "outcome" => error.describe().1).increment(1);
            return;
        }
    };
    let hot = names::hot();
    if authorization.replayed {
        hot.replayed.increment(1);
    } else if authorization.already_owned {
        hot.already_owned.increment(1);
    } else {
        hot.purchased.increment(1);
        hot.authorized_micros(currency.code_static())
            .increment(authorization.charged.micros());
        let before_journal =
            parsed_in.as_secs_f64() + micros_to_secs(authorization.before_journal_us);
        hot.before_journal.record(before_journal);
        let waited = sent.elapsed().as_secs_f64() - micros_to_secs(authorization.before_journal_us);
        hot.journal_wait.record(waited.max(0.0));
    }
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
    let sent = Instant::now();
    let outcome = app
        .registry
        .authorize(account, command)
        .await
        .map_err(ApiError::from);
    count_outcome(&outcome, currency, parsed_in, sent);
    outcome
}

fn micros_to_secs(micros: u64) -> f64 {
    Duration::from_micros(micros).as_secs_f64()
}

/// A fresh access token for `entitlement`: valid for the configured TTL (or less, when the
/// entitlement expires sooner), for one granted check, and only in this run of the server.
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
        .seal(&claims, entitlement.key.vendor.0, &mut rand::thread_rng())
}
