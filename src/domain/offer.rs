//! Offers: what a vendor registers before a buy-window purchase ([0181]-[0186]), and the
//! vendor's book of live offers.
//!
//! An offer is a transaction id with a price the MSP stores: the price charged is the stored
//! one, never anything the browser sends ([0199]-[0200]). An offer buys once. While a purchase
//! of it is being decided, the offer is *claimed*, so two buyers cannot both spend it; the
//! claim ends when the purchase is durable (the offer is *used*), when the purchase is declined
//! (released), or when the claim times out (the buyer's request died midway).
//!
//! The book lives in the vendor's state, whose actor serializes claims. A used offer is
//! recorded by the purchase event itself (`Authorized::offer`), so "used" survives a crash
//! exactly when the purchase does.
//!
//! [`OfferDraft::check`] is the one place that decides whether the terms of a sale are
//! acceptable, whether they come inline with `POST /v1/authorize`, from `POST /v1/offers` or
//! through the buy window: a price above zero, views and validity of at least one, an expiry
//! in the future, text within bounds, the vendor's currency and one of its domains.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::entitlement::{ContentKey, ContentUrl, Terms};
use super::ids::{OfferId, VendorId};
use super::money::{Amount, Currency};
use super::reject::Reject;
use super::royalty::{RoyaltiesInvalid, Royalty, check_royalties};
use super::time::Timestamp;
use super::vendor::VendorProfile;

/// Longest title, description or vendor content id, in bytes.
pub const TEXT_BYTES_MAX: usize = 1024;

/// The terms of a sale as a vendor sent them, each field parsed at the edge (amount, URL,
/// time) but not yet checked against the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferDraft {
    /// Shown in the buy window and on statements.
    pub title: String,
    /// Shown under the title; empty counts as none.
    pub description: Option<String>,
    /// What the member pays.
    pub price: Amount,
    /// The price's currency.
    pub currency: Currency,
    /// Where the content is.
    pub content_url: ContentUrl,
    /// The vendor's own id for the content; keys the entitlement when given.
    pub vendor_content_id: Option<String>,
    /// Views granted; `None` is unlimited.
    pub views: Option<u32>,
    /// Absolute expiry of the entitlement.
    pub expires_at: Option<Timestamp>,
    /// Valid for this many days after purchase.
    pub valid_days: Option<u32>,
    /// Valid for this many hours after purchase.
    pub valid_hours: Option<u32>,
    /// Rights holders owed a share of the price ([0266]-[0271]).
    pub royalties: Vec<Royalty>,
}

/// Checked terms of a sale: what is charged and what it entitles to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferTerms {
    /// Shown in the buy window and on statements.
    pub title: String,
    /// Shown under the title.
    pub description: Option<String>,
    /// What the member pays (above zero).
    pub price: Amount,
    /// The vendor's currency.
    pub currency: Currency,
    /// The normalized content URL (its host is one of the vendor's domains).
    pub content_url: String,
    /// What the purchase entitles to.
    pub content: ContentKey,
    /// Views and expiry of the entitlement.
    pub terms: Terms,
    /// Rights holders owed a share of the price.
    pub royalties: Vec<Royalty>,
}

/// Why a draft cannot be sold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferInvalid {
    /// A field breaks its rule.
    Field {
        /// The wire name of the field.
        param: &'static str,
        /// The rule, as a sentence fragment the edge shows.
        rule: &'static str,
    },
    /// The price is not in the vendor's currency.
    CurrencyMismatch,
    /// The content URL's host is not one of the vendor's registered domains.
    ContentDomainUnknown,
}

fn text_ok(text: &str, empty_ok: bool) -> bool {
    (empty_ok || !text.trim().is_empty()) && text.len() <= TEXT_BYTES_MAX
}

fn at_least_one(value: Option<u32>, param: &'static str) -> Result<Option<u32>, OfferInvalid> {
    if value == Some(0) {
        return Err(OfferInvalid::Field {
            param,
            rule: "at least 1 (omit for no limit)",
        });
    }
    Ok(value)
}

impl OfferDraft {
    /// Checks the draft for `vendor` at `now`. Checks, in order: title, description, vendor
    /// content id, price, views, expiry, days, hours, then the vendor's currency and domains.
    ///
    /// # Errors
    /// The `OfferInvalid` of the first failing check.
    pub fn check(self, vendor: &VendorProfile, now: Timestamp) -> Result<OfferTerms, OfferInvalid> {
        if !text_ok(&self.title, false) {
            return Err(OfferInvalid::Field {
                param: "title",
                rule: "1 to 1024 bytes of text",
            });
        }
        let description = self.description.filter(|d| !d.trim().is_empty());
        if description.as_deref().is_some_and(|d| !text_ok(d, true)) {
            return Err(OfferInvalid::Field {
                param: "description",
                rule: "at most 1024 bytes of text",
            });
        }
        if self
            .vendor_content_id
            .as_deref()
            .is_some_and(|id| !text_ok(id, false))
        {
            return Err(OfferInvalid::Field {
                param: "vendor_content_id",
                rule: "1 to 1024 bytes of text",
            });
        }
        if self.price.is_zero() {
            return Err(OfferInvalid::Field {
                param: "price",
                rule: "a price above zero",
            });
        }
        let views = at_least_one(self.views, "views")?;
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(OfferInvalid::Field {
                param: "expires_at",
                rule: "a time in the future",
            });
        }
        let valid_days = at_least_one(self.valid_days, "valid_days")?;
        let valid_hours = at_least_one(self.valid_hours, "valid_hours")?;
        if let Err(invalid) = check_royalties(&self.royalties) {
            return Err(OfferInvalid::Field {
                param: "royalties",
                rule: match invalid {
                    RoyaltiesInvalid::TooMany => "at most 8 rights holders",
                    RoyaltiesInvalid::Share => "share_ppm is 1 to 1000000",
                    RoyaltiesInvalid::Repeated => "each rights holder at most once",
                    RoyaltiesInvalid::ExceedPrice => "the shares together may not exceed the price",
                },
            });
        }
        if self.currency != vendor.currency {
            return Err(OfferInvalid::CurrencyMismatch);
        }
        if !vendor.owns_host(self.content_url.host()) {
            return Err(OfferInvalid::ContentDomainUnknown);
        }
        let content = ContentKey::new(
            vendor.id,
            self.vendor_content_id.as_deref(),
            &self.content_url,
        );
        Ok(OfferTerms {
            title: self.title,
            description,
            price: self.price,
            currency: self.currency,
            content_url: self.content_url.as_str().to_owned(),
            content,
            terms: Terms {
                views,
                expires_at: self.expires_at,
                valid_days,
                valid_hours,
            },
            royalties: self.royalties,
        })
    }
}

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
    /// Rights holders owed a share of the price.
    pub royalties: Vec<Royalty>,
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

#[derive(Clone, Debug, PartialEq, Eq)]
struct Slot {
    offer: Arc<Offer>,
    status: Status,
    /// The vendor's position of the `OfferPosted` event, so a snapshot can say from where
    /// the vendor's own events rebuild the book.
    position: u64,
}

/// A vendor's live offers, bounded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

    /// Adds a posted offer, whose `OfferPosted` event is the vendor's event at `position`.
    /// Adding an offer the book holds already changes nothing (a replay after a snapshot).
    pub fn insert(&mut self, offer: Offer, position: u64) {
        self.slots.entry(offer.id).or_insert(Slot {
            offer: Arc::new(offer),
            status: Status::Open,
            position,
        });
    }

    /// The position of the oldest offer's `OfferPosted` event, or `None` for an empty book:
    /// replaying the vendor's own events from there rebuilds the book.
    #[must_use]
    pub fn oldest_position(&self) -> Option<u64> {
        self.slots.values().map(|slot| slot.position).min()
    }

    /// The offers a durable purchase used (kept until pruned, so a late visitor is told).
    #[must_use]
    pub fn used(&self) -> Vec<OfferId> {
        self.slots
            .iter()
            .filter(|(_, slot)| slot.status == Status::Used)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every offer held, oldest position first, with whether it is used (for `farthing check`).
    pub fn offers(&self) -> impl Iterator<Item = (&Offer, bool)> + '_ {
        self.slots
            .values()
            .map(|slot| (slot.offer.as_ref(), slot.status == Status::Used))
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

    /// Forgets every claim: claims live in memory only, and a book rebuilt after a restart or
    /// compared with a replay starts without them.
    pub fn forget_claims(&mut self) {
        for slot in self.slots.values_mut() {
            if matches!(slot.status, Status::Claimed { .. }) {
                slot.status = Status::Open;
            }
        }
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

    /// The offers that expired by `horizon`: an expired offer cannot be bought, so dropping
    /// it loses nothing. The caller passes a horizon some time before now, so a late visitor
    /// is told "expired" for a while rather than "unknown".
    #[must_use]
    pub fn expired_by(&self, horizon: Timestamp) -> Vec<OfferId> {
        self.slots
            .iter()
            .filter(|(_, slot)| horizon >= slot.offer.expires_at)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Drops offers (an `OffersPruned` event being applied).
    pub fn remove(&mut self, offers: &[OfferId]) {
        for id in offers {
            self.slots.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            royalties: Vec::new(),
        }
    }

    #[test]
    fn an_offer_buys_once() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000), 1);
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
        book.insert(offer(1, 1_000), 1);
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
        book.insert(offer(1, 1_000), 1);
        book.insert(offer(2, 2_000), 2);
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
        assert_eq!(book.expired_by(Timestamp(999)), Vec::<OfferId>::new());
        assert_eq!(book.expired_by(Timestamp(1_000)), vec![OfferId(1)]);
        book.remove(&[OfferId(1)]);
        assert_eq!(
            book.view(OfferId(1), Timestamp(1_000)).err(),
            Some(Reject::OfferUnknown)
        );
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn the_book_is_bounded() {
        let mut book = OfferBook::new();
        book.insert(offer(1, 1_000), 1);
        assert_eq!(book.decide_post(2), Ok(()));
        book.insert(offer(2, 1_000), 2);
        assert_eq!(book.decide_post(2), Err(Reject::OfferQuotaExceeded));
    }

    fn profile() -> VendorProfile {
        VendorProfile {
            id: VendorId(7),
            name: "News".into(),
            currency: Currency::parse("USD").unwrap(),
            content_domains: vec!["news.example".into()],
            fee_ppm: 0,
            api_key_digest: [0; 32],
            registered_at: Timestamp(0),
        }
    }

    fn draft() -> OfferDraft {
        OfferDraft {
            title: "A story".to_owned(),
            description: Some("  ".to_owned()),
            price: Amount::from_micros(10_000),
            currency: Currency::parse("USD").unwrap(),
            content_url: ContentUrl::parse("https://News.example/a#top").unwrap(),
            vendor_content_id: None,
            views: Some(1),
            expires_at: Some(Timestamp(1_001)),
            valid_days: Some(1),
            valid_hours: Some(1),
            royalties: Vec::new(),
        }
    }

    fn refused(change: impl FnOnce(&mut OfferDraft)) -> Option<OfferInvalid> {
        let mut draft = draft();
        change(&mut draft);
        draft.check(&profile(), Timestamp(1_000)).err()
    }

    fn field(param: &'static str) -> impl Fn(Option<OfferInvalid>) -> bool {
        move |found| matches!(found, Some(OfferInvalid::Field { param: p, .. }) if p == param)
    }

    #[test]
    fn a_valid_draft_becomes_terms() {
        let terms = draft().check(&profile(), Timestamp(1_000)).unwrap();
        assert_eq!(terms.content_url, "https://news.example/a");
        assert_eq!(terms.description, None, "blank description counts as none");
        assert_eq!(terms.content.content, "url:https://news.example/a");
        assert_eq!(terms.terms.views, Some(1));
    }

    #[test]
    fn every_term_rule_names_its_field_and_one_step_away_passes() {
        assert!(field("title")(refused(|d| d.title = " ".to_owned())));
        assert!(field("title")(refused(|d| d.title = "x".repeat(1025))));
        assert_eq!(refused(|d| d.title = "x".repeat(1024)), None);
        assert!(field("description")(refused(
            |d| d.description = Some("x".repeat(1025))
        )));
        assert!(field("vendor_content_id")(refused(|d| d
            .vendor_content_id =
            Some(String::new()))));
        assert_eq!(
            refused(|d| d.vendor_content_id = Some("42".to_owned())),
            None
        );
        assert!(field("price")(refused(|d| d.price = Amount::ZERO)));
        assert_eq!(refused(|d| d.price = Amount::from_micros(1)), None);
        assert!(field("views")(refused(|d| d.views = Some(0))));
        assert_eq!(refused(|d| d.views = None), None);
        assert!(field("expires_at")(refused(
            |d| d.expires_at = Some(Timestamp(1_000))
        )));
        assert!(field("valid_days")(refused(|d| d.valid_days = Some(0))));
        assert!(field("valid_hours")(refused(|d| d.valid_hours = Some(0))));
        assert_eq!(
            refused(|d| d.currency = Currency::parse("EUR").unwrap()),
            Some(OfferInvalid::CurrencyMismatch)
        );
        assert_eq!(
            refused(|d| d.content_url = ContentUrl::parse("https://evil.example/a").unwrap()),
            Some(OfferInvalid::ContentDomainUnknown)
        );
    }

    #[test]
    fn the_book_rebuilds_from_its_oldest_position() {
        let mut book = OfferBook::new();
        assert_eq!(book.oldest_position(), None);
        book.insert(offer(2, 1_000), 5);
        book.insert(offer(1, 1_000), 3);
        book.insert(offer(1, 1_000), 9);
        assert_eq!(
            book.oldest_position(),
            Some(3),
            "a second insert is a no-op"
        );
        book.mark_used(OfferId(2));
        assert_eq!(book.used(), vec![OfferId(2)]);
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
