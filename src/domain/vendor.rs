//! A vendor: its registration and its sales ledger ([0140], [0149], [0152]).
//!
//! The ledger aggregates gross per currency; fees are computed from the aggregate (not per
//! sale, and not stored), so a sliding scale by volume can replace the flat rate later without
//! rewriting history. Rounding: the fee is rounded down to the micro-unit, in the vendor's
//! favour. Sales arrive in journal order, after the member's event is durable; `applied_seq`
//! makes their application exactly-once across restarts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::entitlement::ContentUrl;
use super::event::Event;
use super::ids::VendorId;
use super::money::{Amount, Currency};
use super::reject::Reject;
use super::time::Timestamp;

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
    /// Checks that an offer's price currency and content URL fit this vendor.
    ///
    /// # Errors
    /// `CurrencyMismatch` for another currency; `ContentDomainUnknown` for a foreign host.
    pub fn check_offer(&self, currency: Currency, url: &ContentUrl) -> Result<(), OfferProblem> {
        if currency != self.currency {
            return Err(OfferProblem::Reject(Reject::CurrencyMismatch));
        }
        if !self
            .content_domains
            .iter()
            .any(|domain| domain == url.host())
        {
            return Err(OfferProblem::ContentDomainUnknown);
        }
        Ok(())
    }
}

/// Why an offer does not fit the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferProblem {
    /// A member-independent business reject.
    Reject(Reject),
    /// The content URL's host is not one of the vendor's registered domains.
    ContentDomainUnknown,
}

/// Sales in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Purchases counted (reversed ones removed).
    pub sales: u64,
    /// Their gross.
    pub gross: Amount,
}

impl Ledger {
    /// The MSP fee on the aggregated gross, rounded down.
    #[must_use]
    pub fn fees(&self, fee_ppm: u32) -> Amount {
        // ppm ≤ 1_000_000, so the fee never exceeds gross and never overflows.
        self.gross.mul_ppm_floor(fee_ppm).unwrap_or(self.gross)
    }

    /// Gross less fees: what the vendor is owed.
    #[must_use]
    pub fn net_payable(&self, fee_ppm: u32) -> Amount {
        self.gross
            .checked_sub(self.fees(fee_ppm))
            .unwrap_or(Amount::ZERO)
    }
}

/// A vendor's whole state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorState {
    /// Registration.
    pub profile: VendorProfile,
    /// Sales per currency.
    pub ledger: BTreeMap<Currency, Ledger>,
    /// Highest journal sequence of a sale or reversal applied here.
    pub applied_seq: u64,
}

impl VendorState {
    /// A newly registered vendor.
    #[must_use]
    pub fn registered(profile: VendorProfile) -> VendorState {
        assert!(
            profile.fee_ppm <= 1_000_000,
            "fee above 100% slipped past validation"
        );
        VendorState {
            profile,
            ledger: BTreeMap::new(),
            applied_seq: 0,
        }
    }

    /// Applies a durable sale or reversal at journal sequence `seq`. Returns false when `seq`
    /// was applied before (a redelivery after a restart), and changes nothing then.
    ///
    /// # Panics
    /// When the event is not this vendor's, or a reversal exceeds what was sold: both are bugs.
    pub fn apply_sale(&mut self, seq: u64, event: &Event) -> bool {
        if seq <= self.applied_seq {
            return false;
        }
        match event {
            Event::Authorized(authorized) => {
                assert_eq!(
                    authorized.vendor, self.profile.id,
                    "sale routed to the wrong vendor"
                );
                let price = authorized.entitlement.price;
                let ledger = self
                    .ledger
                    .entry(authorized.entitlement.currency)
                    .or_default();
                ledger.sales = ledger.sales.saturating_add(1);
                ledger.gross = ledger
                    .gross
                    .checked_add(price)
                    .unwrap_or_else(|| panic!("vendor gross overflow"));
            }
            Event::Reversed {
                vendor,
                currency,
                refund,
                ..
            } => {
                assert_eq!(
                    *vendor, self.profile.id,
                    "reversal routed to the wrong vendor"
                );
                let ledger = self.ledger.entry(*currency).or_default();
                ledger.sales = ledger
                    .sales
                    .checked_sub(1)
                    .unwrap_or_else(|| panic!("reversed more sales than made"));
                ledger.gross = ledger
                    .gross
                    .checked_sub(*refund)
                    .unwrap_or_else(|| panic!("reversed more than sold"));
            }
            _ => return false,
        }
        self.applied_seq = seq;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_is_computed_on_the_aggregate_and_rounded_down() {
        // Three sales of 0.000010 at 5%: per sale the fee would round to 0 each time (0.0000005);
        // on the aggregate 0.000030 it is 0.0000015 → 0.000001.
        let ledger = Ledger {
            sales: 3,
            gross: Amount::from_micros(30),
        };
        assert_eq!(ledger.fees(50_000), Amount::from_micros(1));
        assert_eq!(ledger.net_payable(50_000), Amount::from_micros(29));
        let exact = Ledger {
            sales: 1,
            gross: Amount::from_micros(40),
        };
        assert_eq!(exact.fees(50_000), Amount::from_micros(2));
        assert_eq!(Ledger::default().fees(1_000_000), Amount::ZERO);
        let all = Ledger {
            sales: 1,
            gross: Amount::from_micros(7),
        };
        assert_eq!(all.fees(1_000_000), Amount::from_micros(7));
        assert_eq!(all.net_payable(1_000_000), Amount::ZERO);
    }

    #[test]
    fn offer_checks_currency_and_domain() {
        let profile = VendorProfile {
            id: VendorId(1),
            name: "News".into(),
            currency: Currency::parse("USD").unwrap(),
            content_domains: vec!["news.example".into()],
            fee_ppm: 0,
            api_key_digest: [0; 32],
            registered_at: Timestamp(0),
        };
        let ours = ContentUrl::parse("https://News.example/a").unwrap();
        let theirs = ContentUrl::parse("https://evil.example/a").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(profile.check_offer(usd, &ours), Ok(()));
        assert_eq!(
            profile.check_offer(usd, &theirs),
            Err(OfferProblem::ContentDomainUnknown)
        );
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(
            profile.check_offer(eur, &ours),
            Err(OfferProblem::Reject(Reject::CurrencyMismatch))
        );
    }
}
