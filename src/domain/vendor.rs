//! A vendor: its registration, its sales ledger and its book of offers ([0140], [0149], [0152]).
//!
//! The ledger aggregates gross per currency; fees are computed from the aggregate (not per
//! sale, and not stored), so a sliding scale by volume can replace the flat rate later without
//! rewriting history. Rounding: the fee is rounded down to the micro-unit, in the vendor's
//! favour. Gross is a 128-bit [`Total`]: it sums the purchases of many members, each of which
//! passed its own check as an `Amount`.
//!
//! A vendor's state is a fold over two streams: its own events (registration, offers), which
//! its actor appends, and its members' sales (purchases and reversals), which the journal's
//! feed hands it in journal order once durable. `feed_seq` is how far the second stream has
//! been folded, so a replay after a restart applies each sale exactly once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::ids::{OfferId, VendorId};
use super::incentive::{Funder, Grant};
use super::money::{Currency, Total};
use super::offer::{Offer, OfferBook};
use super::reject::Reject;
use super::time::Timestamp;

/// Most content domains one vendor registers.
pub const CONTENT_DOMAINS_MAX: usize = 64;
/// Longest vendor name, in bytes.
pub const NAME_BYTES_MAX: usize = 256;
/// Parts per million in one whole: the largest fee rate.
pub const PPM_MAX: u32 = 1_000_000;

/// What a vendor registered with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorProfile {
    /// The vendor.
    pub id: VendorId,
    /// Display name (buy window, statements).
    pub name: String,
    /// The currency it sells in.
    pub currency: Currency,
    /// Hosts its content URLs may use, lower-cased.
    pub content_domains: Vec<String>,
    /// MSP fee in parts per million of gross.
    pub fee_ppm: u32,
    /// SHA-256 of its API key; the key itself is shown once and never stored.
    pub api_key_digest: [u8; 32],
    /// When it was registered.
    pub registered_at: Timestamp,
}

impl VendorProfile {
    /// Whether `host` (lower-cased) is one of the vendor's registered content domains.
    #[must_use]
    pub fn owns_host(&self, host: &str) -> bool {
        self.content_domains.iter().any(|domain| domain == host)
    }
}

/// What an operator asks to register, each field parsed at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorRegistration {
    /// Display name.
    pub name: String,
    /// The currency it sells in.
    pub currency: Currency,
    /// Hosts of its content URLs.
    pub content_domains: Vec<String>,
    /// MSP fee, parts per million.
    pub fee_ppm: u32,
    /// SHA-256 of the API key drawn for it at the edge.
    pub api_key_digest: [u8; 32],
}

/// A registration field breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationInvalid {
    /// The wire name of the field.
    pub param: &'static str,
    /// The rule, as the edge shows it.
    pub rule: &'static str,
}

fn host_ok(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && !host.contains(['/', ':'])
        && url::Host::parse(host).is_ok()
}

/// Decides a vendor registration. Checks, in order: name (1 to 256 bytes after trimming),
/// fee (at most 1,000,000 ppm), content domains (1 to 64 host names, lower-cased).
///
/// # Errors
/// The `RegistrationInvalid` of the first failing check.
pub fn decide_register(
    id: VendorId,
    registration: VendorRegistration,
    now: Timestamp,
) -> Result<Event, RegistrationInvalid> {
    let name = registration.name.trim();
    if name.is_empty() || name.len() > NAME_BYTES_MAX {
        return Err(RegistrationInvalid {
            param: "name",
            rule: "1 to 256 bytes",
        });
    }
    if registration.fee_ppm > PPM_MAX {
        return Err(RegistrationInvalid {
            param: "fee_ppm",
            rule: "0 to 1000000 parts per million",
        });
    }
    let domains = &registration.content_domains;
    if domains.is_empty()
        || domains.len() > CONTENT_DOMAINS_MAX
        || !domains.iter().all(|d| host_ok(d))
    {
        return Err(RegistrationInvalid {
            param: "content_domains",
            rule: "1 to 64 host names",
        });
    }
    let mut content_domains: Vec<String> = domains.iter().map(|d| d.to_ascii_lowercase()).collect();
    content_domains.sort();
    content_domains.dedup();
    Ok(Event::VendorRegistered(Box::new(VendorProfile {
        id,
        name: name.to_owned(),
        currency: registration.currency,
        content_domains,
        fee_ppm: registration.fee_ppm,
        api_key_digest: registration.api_key_digest,
        registered_at: now,
    })))
}

/// Sales in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Purchases counted (reversed ones removed).
    pub sales: u64,
    /// Their gross.
    pub gross: Total,
    /// The part of the gross incentives the MSP funds paid (its programs, groups', the
    /// signup bonus): the MSP pays it to the vendor out of its equity.
    pub incentives_msp: Total,
    /// The part of the gross the vendor's own incentives paid: it is not paid for those.
    pub incentives_own: Total,
}

impl Ledger {
    /// The MSP fee on the aggregated gross, rounded down.
    #[must_use]
    pub fn fees(&self, fee_ppm: u32) -> Total {
        // ppm ≤ 1_000_000, so the fee never exceeds gross; `min` keeps that true even for a
        // rate that slipped past validation.
        self.gross
            .mul_ppm_floor(fee_ppm.min(PPM_MAX))
            .unwrap_or(self.gross)
            .min(self.gross)
    }

    /// Gross less fees, less what its own incentives paid: what the vendor is owed.
    #[must_use]
    pub fn net_payable(&self, fee_ppm: u32) -> Total {
        self.gross
            .checked_sub_total(self.fees(fee_ppm))
            .and_then(|net| net.checked_sub_total(self.incentives_own))
            .unwrap_or(Total::ZERO)
    }

    /// Adds (or, not `adding`, takes back) what a sale's incentives paid, by funder.
    fn with_incentives(
        mut self,
        vendor: VendorId,
        spent: &[Grant],
        adding: bool,
    ) -> Result<Ledger, LedgerError> {
        for grant in spent {
            let share = if grant.funder == Funder::Vendor(vendor) {
                &mut self.incentives_own
            } else {
                &mut self.incentives_msp
            };
            *share = if adding {
                share
                    .checked_add(grant.remaining)
                    .ok_or(LedgerError::Overflow)?
            } else {
                share
                    .checked_sub(grant.remaining)
                    .ok_or(LedgerError::ReversalExceedsSales)?
            };
        }
        Ok(self)
    }
}

/// A sale could not be folded into the ledger: a sum would overflow, or a reversal has no
/// sale to take back. The sale is left out and the ledger says so; the fold never panics,
/// because a replay that panicked would leave the server unable to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The gross or the count would overflow.
    #[error("a ledger total would overflow")]
    Overflow,
    /// A reversal of more than was sold.
    #[error("a reversal exceeds the sales it reverses")]
    ReversalExceedsSales,
}

/// A vendor's whole state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorState {
    /// Registration.
    pub profile: VendorProfile,
    /// Sales per currency.
    pub ledger: BTreeMap<Currency, Ledger>,
    /// Highest journal sequence whose sales this ledger includes (0: none yet).
    pub feed_seq: u64,
    /// Sales the ledger could not take (see [`LedgerError`]); non-zero means the totals
    /// will not balance, and `farthing check` names it.
    pub sales_refused: u64,
    /// Live offers (and expired ones not yet pruned).
    pub offers: OfferBook,
}

impl VendorState {
    /// A newly registered vendor, from its `VendorRegistered` event; `None` for any other
    /// event. `feed_seq` starts at the registration's own sequence: no sale precedes it.
    #[must_use]
    pub fn from_registered(event: &Event, seq: u64) -> Option<VendorState> {
        let Event::VendorRegistered(profile) = event else {
            return None;
        };
        Some(VendorState {
            profile: (**profile).clone(),
            ledger: BTreeMap::new(),
            feed_seq: seq,
            sales_refused: 0,
            offers: OfferBook::new(),
        })
    }

    /// Decides posting `offer`: the book must have room.
    ///
    /// # Errors
    /// `OfferQuotaExceeded` when the book holds `offers_max` offers.
    pub fn decide_post_offer(&self, offer: Offer, offers_max: usize) -> Result<Event, Reject> {
        self.offers.decide_post(offers_max)?;
        assert_eq!(
            offer.vendor, self.profile.id,
            "offer posted at another vendor"
        );
        Ok(Event::OfferPosted(Box::new(offer)))
    }

    /// Decides dropping the offers that expired by `horizon` (see [`OfferBook::expired_by`]);
    /// `None` when there are none.
    #[must_use]
    pub fn decide_prune(&self, horizon: Timestamp, now: Timestamp) -> Option<Event> {
        let offers = self.offers.expired_by(horizon);
        if offers.is_empty() {
            return None;
        }
        Some(Event::OffersPruned {
            vendor: self.profile.id,
            offers,
            at: now,
        })
    }

    /// Applies one of the vendor's own events, the one at `position` in its stream. Cannot
    /// fail: `decide` checked it. Applying an offer the book holds already is a no-op, so
    /// rebuilding the book from a position before a snapshot's is safe.
    ///
    /// # Panics
    /// When the event is not this vendor's own: a bug.
    pub fn apply(&mut self, event: &Event, position: u64) {
        match event {
            Event::OfferPosted(offer) => {
                assert_eq!(offer.vendor, self.profile.id, "offer of another vendor");
                self.offers.insert((**offer).clone(), position);
            }
            Event::OffersPruned { vendor, offers, .. } => {
                assert_eq!(*vendor, self.profile.id, "offers of another vendor");
                self.offers.remove(offers);
            }
            Event::VendorRegistered(profile) => {
                assert_eq!(profile.id, self.profile.id, "another vendor's registration");
            }
            _ => panic!("an account event was applied as a vendor's own"),
        }
    }

    /// Folds a durable sale or reversal at journal sequence `seq`. `Ok(false)` when `seq` was
    /// folded before (a redelivery after a restart or a catch-up): nothing changes then.
    /// A purchase of an offer also marks the offer used.
    ///
    /// # Errors
    /// `LedgerError` when the sale cannot be taken: the ledger is unchanged but `feed_seq`
    /// moves past it and `sales_refused` counts it.
    pub fn apply_sale(&mut self, seq: u64, event: &Event) -> Result<bool, LedgerError> {
        if seq <= self.feed_seq {
            return Ok(false);
        }
        self.feed_seq = seq;
        let outcome = self.fold_sale(event);
        if outcome.is_err() {
            self.sales_refused = self.sales_refused.saturating_add(1);
        }
        outcome.map(|()| true)
    }

    fn fold_sale(&mut self, event: &Event) -> Result<(), LedgerError> {
        match event {
            Event::Authorized(authorized) => {
                let currency = authorized.entitlement.currency;
                let ledger = self.ledger.get(&currency).copied().unwrap_or_default();
                let next = Ledger {
                    sales: ledger.sales.checked_add(1).ok_or(LedgerError::Overflow)?,
                    gross: ledger
                        .gross
                        .checked_add(authorized.entitlement.price)
                        .ok_or(LedgerError::Overflow)?,
                    ..ledger
                }
                .with_incentives(self.profile.id, &authorized.incentives, true)?;
                self.ledger.insert(currency, next);
                if let Some(offer) = authorized.offer {
                    self.offers.mark_used(offer);
                }
            }
            Event::Reversed {
                currency,
                refund,
                incentives,
                ..
            } => {
                let ledger = self.ledger.get(currency).copied().unwrap_or_default();
                let next = Ledger {
                    sales: ledger
                        .sales
                        .checked_sub(1)
                        .ok_or(LedgerError::ReversalExceedsSales)?,
                    gross: ledger
                        .gross
                        .checked_sub(*refund)
                        .ok_or(LedgerError::ReversalExceedsSales)?,
                    ..ledger
                }
                .with_incentives(self.profile.id, incentives, false)?;
                self.ledger.insert(*currency, next);
            }
            _ => {}
        }
        Ok(())
    }

    /// Records that every sale up to `seq` has been folded, when the feed says so even though
    /// none of them was this vendor's: it keeps a quiet vendor's snapshot from pinning the
    /// start of the next recovery far back in the journal.
    pub fn feed_covered(&mut self, seq: u64) {
        self.feed_seq = self.feed_seq.max(seq);
    }

    /// The offer ids the book holds.
    pub fn offer_ids(&self) -> impl Iterator<Item = OfferId> + '_ {
        self.offers.ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Amount;

    fn registration() -> VendorRegistration {
        VendorRegistration {
            name: " News ".to_owned(),
            currency: Currency::parse("USD").unwrap(),
            content_domains: vec!["News.example".to_owned(), "news.example".to_owned()],
            fee_ppm: 50_000,
            api_key_digest: [7; 32],
        }
    }

    #[test]
    fn fee_is_computed_on_the_aggregate_and_rounded_down() {
        // Three sales of 0.000010 at 5%: per sale the fee would round to 0 each time (0.0000005);
        // on the aggregate 0.000030 it is 0.0000015 → 0.000001.
        let ledger = Ledger {
            sales: 3,
            gross: Total::from_micros(30),
            ..Ledger::default()
        };
        assert_eq!(ledger.fees(50_000), Total::from_micros(1));
        assert_eq!(ledger.net_payable(50_000), Total::from_micros(29));
        let exact = Ledger {
            sales: 1,
            gross: Total::from_micros(40),
            ..Ledger::default()
        };
        assert_eq!(exact.fees(50_000), Total::from_micros(2));
        assert_eq!(Ledger::default().fees(1_000_000), Total::ZERO);
        let all = Ledger {
            sales: 1,
            gross: Total::from_micros(7),
            ..Ledger::default()
        };
        assert_eq!(all.fees(1_000_000), Total::from_micros(7));
        assert_eq!(all.net_payable(1_000_000), Total::ZERO);
    }

    #[test]
    fn registration_trims_lowercases_and_dedups() {
        let event = decide_register(VendorId(1), registration(), Timestamp(5)).unwrap();
        let state = VendorState::from_registered(&event, 9).unwrap();
        assert_eq!(state.profile.name, "News");
        assert_eq!(
            state.profile.content_domains,
            vec!["news.example".to_owned()]
        );
        assert_eq!(state.feed_seq, 9);
        assert!(state.profile.owns_host("news.example"));
        assert!(!state.profile.owns_host("evil.example"));
    }

    #[test]
    fn registration_rules_name_their_field() {
        let refused = |change: &dyn Fn(&mut VendorRegistration)| {
            let mut r = registration();
            change(&mut r);
            decide_register(VendorId(1), r, Timestamp(0))
                .err()
                .map(|e| e.param)
        };
        assert_eq!(refused(&|r| r.name = "  ".to_owned()), Some("name"));
        assert_eq!(refused(&|r| r.name = "x".repeat(257)), Some("name"));
        assert_eq!(refused(&|r| r.name = "x".repeat(256)), None);
        assert_eq!(refused(&|r| r.fee_ppm = 1_000_001), Some("fee_ppm"));
        assert_eq!(refused(&|r| r.fee_ppm = 1_000_000), None);
        assert_eq!(
            refused(&|r| r.content_domains.clear()),
            Some("content_domains")
        );
        assert_eq!(
            refused(&|r| r.content_domains = vec!["a.example/x".to_owned()]),
            Some("content_domains")
        );
        assert_eq!(
            refused(&|r| r.content_domains = vec!["a.example:80".to_owned()]),
            Some("content_domains")
        );
        assert_eq!(
            refused(&|r| r.content_domains = (0..65).map(|i| format!("d{i}.example")).collect()),
            Some("content_domains")
        );
        assert_eq!(
            refused(&|r| r.content_domains = (0..64).map(|i| format!("d{i}.example")).collect()),
            None
        );
    }

    #[test]
    fn sales_fold_once_and_never_panic() {
        use crate::domain::event::{Authorized, Origin};
        use crate::domain::ids::{AccountId, AuthorizationId, EntitlementId, LoginId, SessionId};
        let event = decide_register(VendorId(1), registration(), Timestamp(5)).unwrap();
        let mut state = VendorState::from_registered(&event, 1).unwrap();
        let usd = Currency::parse("USD").unwrap();
        let sale = |price: u64| {
            Event::Authorized(Box::new(Authorized {
                account: AccountId(2),
                authorization: AuthorizationId(3),
                login: LoginId(4),
                session: SessionId(5),
                vendor: VendorId(1),
                entitlement: crate::domain::entitlement::Entitlement {
                    id: EntitlementId(6),
                    key: crate::domain::entitlement::ContentKey {
                        vendor: VendorId(1),
                        content: "id:a".to_owned(),
                    },
                    authorization: AuthorizationId(3),
                    price: Amount::from_micros(price),
                    currency: usd,
                    purchased_at: Timestamp(0),
                    views_allowed: None,
                    views_used: 0,
                    expires_at: None,
                    reversed_at: None,
                },
                idempotency: None,
                idempotency_expired: Vec::new(),
                offer: None,
                incentives: Vec::new(),
                at: Timestamp(0),
            }))
        };
        // Three sales of the largest amount: an `Amount` sum would overflow, a `Total` does not.
        let max = i64::MAX.unsigned_abs();
        for seq in 2..5 {
            assert_eq!(state.apply_sale(seq, &sale(max)), Ok(true));
        }
        assert_eq!(state.apply_sale(4, &sale(max)), Ok(false), "redelivery");
        let ledger = state.ledger.get(&usd).copied().unwrap();
        assert_eq!(ledger.sales, 3);
        assert_eq!(ledger.gross.micros(), 3 * u128::from(max));
        let reversal = |refund: u64| Event::Reversed {
            account: AccountId(2),
            authorization: AuthorizationId(3),
            entitlement: EntitlementId(6),
            vendor: VendorId(1),
            currency: usd,
            refund: Amount::from_micros(refund),
            incentives: Vec::new(),
            reason: "r".to_owned(),
            by: Origin::Admin,
            at: Timestamp(0),
        };
        let mut fresh = VendorState::from_registered(&event, 1).unwrap();
        assert_eq!(
            fresh.apply_sale(2, &reversal(1)),
            Err(LedgerError::ReversalExceedsSales)
        );
        assert_eq!(fresh.sales_refused, 1);
        assert_eq!(fresh.feed_seq, 2);
        assert!(fresh.ledger.is_empty());
    }
}
