//! Offers: what a vendor registers before a buy-window purchase ([0181]-[0186]), and the
//! vendor's book of live offers.
//!
//! An offer is a transaction id with a price the MSP stores: the price charged is the stored
//! one, never anything the browser sends ([0199]-[0200]). An offer buys once. While a purchase
//! of it is being decided, the offer is *claimed*, so two buyers cannot both spend it; the
//! claim ends when the purchase is durable (the offer is *used*), when the purchase is declined
//! (released), or when the claim times out (the buyer's request died midway).
//!
//! The book lives in the vendor actor, which serializes claims. A used offer is recorded by
//! the purchase event itself (`Authorized::offer`), so "used" survives a crash exactly when the
//! purchase does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::entitlement::{ContentKey, Terms};
use super::ids::{OfferId, VendorId};
use super::money::{Amount, Currency};
use super::reject::Reject;
use super::time::Timestamp;

/// Which incentive grants an offer accepts (the `incentive_ids` field of [0186]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncentivePolicy {
    /// Field omitted: every incentive the member holds may pay.
    Any,
    /// `"-1"`: no incentive may pay.
    None,
    /// Only grants with one of these ids.
    Only(Vec<String>),
}

impl IncentivePolicy {
    /// Whether a grant with this id may pay for the offer.
    #[must_use]
    pub fn accepts(&self, incentive_id: &str) -> bool {
        match self {
            IncentivePolicy::Any => true,
            IncentivePolicy::None => false,
            IncentivePolicy::Only(ids) => ids.iter().any(|id| id == incentive_id),
        }
    }
}

/// One offer, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Its transaction id.
    pub id: OfferId,
    /// The vendor that posted it.
    pub vendor: VendorId,
    /// Shown in the buy window.
    pub title: String,
    /// Shown under the title.
    pub short_description: Option<String>,
    /// The price charged: the stored one, whatever a browser sends.
    pub price: Amount,
    /// The price's currency (the vendor's).
    pub currency: Currency,
    /// Where the browser goes after the purchase (normalized).
    pub content_url: String,
    /// What the purchase entitles to.
    pub content: ContentKey,
    /// Deliver by an auto-submitted form POST (recommended, [0183]) instead of a redirect.
    pub is_post: bool,
    /// Views and expiry of the entitlement.
    pub terms: Terms,
    /// Which incentives may pay.
    pub incentives: IncentivePolicy,
    /// Passed through to the content URL untouched.
    pub optional_data: Option<String>,
    /// Where Cancel goes: a page on one of the vendor's domains.
    pub cancel_url: String,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// When it stops being buyable.
    pub expires_at: Timestamp,
}

/// Where an offer is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Open,
    /// A purchase is being decided; another claim is refused until `until`.
    Claimed {
        until: Timestamp,
    },
    Used,
}

#[derive(Clone, Debug)]
struct Slot {
    offer: Arc<Offer>,
    status: Status,
}

/// A vendor's live offers, bounded.
#[derive(Clone, Debug, Default)]
pub struct OfferBook {
    slots: BTreeMap<OfferId, Slot>,
}

impl OfferBook {
    /// An empty book.
    #[must_use]
    pub fn new() -> OfferBook {
        OfferBook::default()
    }

    /// Offers held (live or waiting to be pruned).
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The ids of the offers held.
    pub fn ids(&self) -> impl Iterator<Item = OfferId> + '_ {
        self.slots.keys().copied()
    }

    /// True when no offer is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Checks that one more offer fits. Expired offers still count until pruned, so a vendor
    /// cannot outrun pruning.
    ///
    /// # Errors
    /// `OfferQuotaExceeded` when the book holds `offers_max` offers.
    pub fn decide_post(&self, offers_max: usize) -> Result<(), Reject> {
        if self.slots.len() >= offers_max {
            return Err(Reject::OfferQuotaExceeded);
        }
        Ok(())
    }

    /// Adds a posted (durable) offer.
    pub fn insert(&mut self, offer: Offer) {
        self.slots.insert(
            offer.id,
            Slot {
                offer: Arc::new(offer),
                status: Status::Open,
            },
        );
    }

    /// The offer and, when it cannot be bought now, why (`OfferUsed` or `OfferExpired`).
    /// An unbuyable offer is still returned, so a page can link back to its vendor.
    ///
    /// # Errors
    /// `OfferUnknown`.
    pub fn view(
        &self,
        id: OfferId,
        now: Timestamp,
    ) -> Result<(Arc<Offer>, Option<Reject>), Reject> {
        let slot = self.slots.get(&id).ok_or(Reject::OfferUnknown)?;
        let problem = if slot.status == Status::Used {
            Some(Reject::OfferUsed)
        } else if now >= slot.offer.expires_at {
            Some(Reject::OfferExpired)
        } else {
            None
        };
        Ok((Arc::clone(&slot.offer), problem))
    }

    /// Claims the offer for one purchase until `until` (the claim timeout).
    ///
    /// # Errors
    /// `OfferUnknown`, `OfferUsed`, `OfferExpired`, and `OfferInProgress` while another claim
    /// holds it.
    pub fn claim(
        &mut self,
        id: OfferId,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Arc<Offer>, Reject> {
        let slot = self.slots.get_mut(&id).ok_or(Reject::OfferUnknown)?;
        match slot.status {
            Status::Used => return Err(Reject::OfferUsed),
            Status::Claimed { until: held } if now < held => return Err(Reject::OfferInProgress),
            Status::Open | Status::Claimed { .. } => {}
        }
        if now >= slot.offer.expires_at {
            return Err(Reject::OfferExpired);
        }
        slot.status = Status::Claimed { until };
        Ok(Arc::clone(&slot.offer))
    }

    /// Ends a claim whose purchase was declined, so the offer can be bought again.
    pub fn release(&mut self, id: OfferId) {
        if let Some(slot) = self.slots.get_mut(&id)
            && matches!(slot.status, Status::Claimed { .. })
        {
            slot.status = Status::Open;
        }
    }

    /// Records that a durable purchase used the offer (also replayed at recovery).
    pub fn mark_used(&mut self, id: OfferId) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.status = Status::Used;
        }
    }

    /// Removes the offers that expired by `horizon` and returns their ids, so their rows can
    /// be deleted. An expired offer cannot be bought, so nothing is lost; the caller passes a
    /// horizon some time before now, so a late visitor is told "expired" for a while.
    pub fn prune(&mut self, horizon: Timestamp) -> Vec<OfferId> {
        let expired: Vec<OfferId> = self
            .slots
            .iter()
            .filter(|(_, slot)| horizon >= slot.offer.expires_at)
            .map(|(id, _)| *id)
            .collect();
        for id in &expired {
            self.slots.remove(id);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn offer(id: u64, expires_at: i64) -> Offer {
        let vendor = VendorId(7);
        Offer {
            id: OfferId(id),
            vendor,
            title: "An article".to_owned(),
            short_description: None,
            price: Amount::from_micros(250_000),
            currency: Currency::parse("USD").unwrap(),
            content_url: "https://news.example/a".to_owned(),
            content: ContentKey {
                vendor,
                content: "id:a".to_owned(),
            },
            is_post: true,
            terms: Terms::default(),
            incentives: IncentivePolicy::Any,
            optional_data: None,
            cancel_url: "https://news.example/".to_owned(),
            posted_at: Timestamp(0),
            expires_at: Timestamp(expires_at),
        }
    }

    #[test]
    fn an_offer_buys_once() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000));
        assert!(book.claim(OfferId(1), Timestamp(10), Timestamp(60)).is_ok());
        book.mark_used(OfferId(1));
        assert_eq!(
            book.claim(OfferId(1), Timestamp(20), Timestamp(70)).err(),
            Some(Reject::OfferUsed)
        );
        assert_eq!(
            book.view(OfferId(1), Timestamp(20))
                .map(|(_, problem)| problem),
            Ok(Some(Reject::OfferUsed))
        );
    }

    #[test]
    fn a_claim_excludes_a_second_buyer_until_released_or_timed_out() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000));
        assert!(book.claim(OfferId(1), Timestamp(10), Timestamp(60)).is_ok());
        assert_eq!(
            book.claim(OfferId(1), Timestamp(59), Timestamp(99)).err(),
            Some(Reject::OfferInProgress)
        );
        // One step away: the claim timed out.
        assert!(book.claim(OfferId(1), Timestamp(60), Timestamp(99)).is_ok());
        book.release(OfferId(1));
        assert!(book.claim(OfferId(1), Timestamp(61), Timestamp(99)).is_ok());
    }

    #[test]
    fn an_expired_offer_cannot_be_claimed_and_is_pruned() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000));
        book.insert(offer(2, 2_000));
        assert_eq!(
            book.claim(OfferId(1), Timestamp(1_000), Timestamp(2_000))
                .err(),
            Some(Reject::OfferExpired)
        );
        assert_eq!(
            book.view(OfferId(1), Timestamp(999))
                .map(|(_, problem)| problem),
            Ok(None)
        );
        assert_eq!(
            book.view(OfferId(1), Timestamp(1_000))
                .map(|(_, problem)| problem),
            Ok(Some(Reject::OfferExpired))
        );
        assert_eq!(book.prune(Timestamp(1_000)), vec![OfferId(1)]);
        assert_eq!(
            book.view(OfferId(1), Timestamp(1_000)).err(),
            Some(Reject::OfferUnknown)
        );
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn the_book_is_bounded() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000));
        assert_eq!(book.decide_post(2), Ok(()));
        book.insert(offer(2, 1_000));
        assert_eq!(book.decide_post(2), Err(Reject::OfferQuotaExceeded));
    }

    #[test]
    fn incentive_policy_follows_the_field() {
        assert!(IncentivePolicy::Any.accepts("x"));
        assert!(!IncentivePolicy::None.accepts("x"));
        let only = IncentivePolicy::Only(vec!["spring".to_owned()]);
        assert!(only.accepts("spring"));
        assert!(!only.accepts("autumn"));
    }
}
