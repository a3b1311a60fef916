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

use super::dispute::Dispute;
use super::event::Event;
use super::fees::{
    CommissionRates, CurrentPeriod, Exact, FeeSchedule, Month, MonthSales, RateHistory,
    commissions_due, fees_due,
};
use super::ids::RightsHolderId;
use super::ids::{AccountId, AuthorizationId, OfferId, VendorId};
use super::incentive::{Funder, Grant};
use super::money::{Amount, Currency, NetTotal, Total};
use super::offer::{Offer, OfferBook};
use super::reject::Reject;
use super::royalty::Royalty;
use super::time::Timestamp;
use super::vendor_standing::{VendorStanding, VendorStatus};

/// Most content domains one vendor registers.
pub const CONTENT_DOMAINS_MAX: usize = 64;
/// Longest vendor name, in bytes.
pub const NAME_BYTES_MAX: usize = 256;
pub use super::fees::PPM_MAX;

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

/// A vendor's money in one currency: its sales, and what it earns besides (commissions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Per month: fee base, referred purchases, funds bought through the vendor.
    pub months: BTreeMap<Month, MonthSales>,
    /// Royalties accrued to each rights holder from these sales, exact.
    pub royalties: BTreeMap<RightsHolderId, Exact>,
}

impl Ledger {
    /// The royalties withheld from the vendor: each rights holder's exact accrual rounded
    /// down, so the sum withheld is the sum the rights holders are owed.
    #[must_use]
    pub fn royalties_withheld(&self) -> Total {
        self.royalties.values().fold(Total::ZERO, |sum, exact| {
            sum.checked_add_total(exact.floor()).unwrap_or(sum)
        })
    }

    /// Folds one sale as its seller (or, `TakeBack`, a reversal of it): `own_part` is what
    /// the vendor's own incentives paid, `msp_part` what the MSP's did. Checks every sum
    /// before changing anything.
    fn sell(
        &mut self,
        step: Step,
        price: Amount,
        (own_part, msp_part): (Amount, Amount),
        month: Month,
        royalties: &[Royalty],
    ) -> Result<(), LedgerError> {
        let sales = match step {
            Step::Add => self.sales.checked_add(1),
            Step::TakeBack => self.sales.checked_sub(1),
        }
        .ok_or(step.error())?;
        let gross = step.total(self.gross, price)?;
        let incentives_own = step.total(self.incentives_own, own_part)?;
        let incentives_msp = step.total(self.incentives_msp, msp_part)?;
        let base = price.checked_sub(own_part).ok_or(step.error())?;
        let mut in_month = self.months.get(&month).copied().unwrap_or_default();
        in_month.fee_base = step.total(in_month.fee_base, base)?;
        let price = Total::from_micros(u128::from(price.micros()));
        let accrued = royalties
            .iter()
            .map(|royalty| {
                let held = self
                    .royalties
                    .get(&royalty.rights_holder)
                    .copied()
                    .unwrap_or_default();
                let share = Exact::of(price, royalty.share_ppm);
                let next = match step {
                    Step::Add => Some(held.plus(share)),
                    Step::TakeBack => held.checked_minus(share),
                };
                next.map(|next| (royalty.rights_holder, next))
                    .ok_or(step.error())
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        self.sales = sales;
        self.gross = gross;
        self.incentives_own = incentives_own;
        self.incentives_msp = incentives_msp;
        self.months.insert(month, in_month);
        self.royalties.extend(accrued);
        Ok(())
    }

    /// Adds (or takes back) to one month's referred purchases or funds.
    fn earn(
        &mut self,
        step: Step,
        month: Month,
        amount: Amount,
        kind: Earning,
    ) -> Result<(), LedgerError> {
        let mut in_month = self.months.get(&month).copied().unwrap_or_default();
        let slot = match kind {
            Earning::Referred => &mut in_month.referred,
            Earning::Funds => &mut in_month.funds,
        };
        *slot = step.total(*slot, amount)?;
        self.months.insert(month, in_month);
        Ok(())
    }
}

/// Whether a sale is folded in or a reversal takes it back out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// A sale (or a commission earned).
    Add,
    /// Its reversal.
    TakeBack,
}

impl Step {
    /// `total` with `amount` added or taken back.
    fn total(self, total: Total, amount: Amount) -> Result<Total, LedgerError> {
        match self {
            Step::Add => total.checked_add(amount),
            Step::TakeBack => total.checked_sub(amount),
        }
        .ok_or(self.error())
    }

    /// What a sum that does not fit means: an overflow when adding, a reversal of more than
    /// was sold when taking back.
    fn error(self) -> LedgerError {
        match self {
            Step::Add => LedgerError::Overflow,
            Step::TakeBack => LedgerError::ReversalExceedsSales,
        }
    }
}

/// What a vendor earns a commission on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Earning {
    /// A purchase by a member it referred.
    Referred,
    /// Funds bought through its site.
    Funds,
}

/// A vendor's money in one currency as of now, every term of what it is owed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerFigures {
    /// Purchases counted.
    pub sales: u64,
    /// Their gross, reversals taken out.
    pub gross: Total,
    /// The MSP's fees on it, all periods.
    pub fees: Total,
    /// Royalties withheld for rights holders.
    pub royalties: Total,
    /// What its own incentives paid (not paid to it).
    pub incentives_own: Total,
    /// What the MSP's incentives paid (paid to it by the MSP).
    pub incentives_msp: Total,
    /// Commissions it earned: referrals and funds.
    pub commissions: Total,
    /// Everything it earned: gross − fees − royalties − own incentives + commissions. May be
    /// negative (fees and royalties above a period's gross): carried, never paid.
    pub earned: NetTotal,
    /// The fee period in progress.
    pub current: CurrentPeriod,
}

/// What a sale's incentives paid, split into the vendor's own and the MSP's (anyone else's).
fn incentive_parts(vendor: VendorId, spent: &[Grant]) -> Result<(Amount, Amount), LedgerError> {
    let mut own = Amount::ZERO;
    let mut msp = Amount::ZERO;
    for grant in spent {
        let part = if grant.funder == Funder::Vendor(vendor) {
            &mut own
        } else {
            &mut msp
        };
        *part = part
            .checked_add(grant.remaining)
            .ok_or(LedgerError::Overflow)?;
    }
    Ok((own, msp))
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
    /// Its fee schedules, from the registration's flat rate on.
    pub fee_schedules: RateHistory<FeeSchedule>,
    /// Its commission rates (none at registration).
    pub commissions: RateHistory<CommissionRates>,
    /// Disputes of its sales, by member account and purchase: the vendor sees them by
    /// `member_ref`, never the member.
    pub disputes: BTreeMap<(AccountId, AuthorizationId), Dispute>,
    /// Whether it may sell, and its API keys.
    pub standing: VendorStanding,
    /// The sign-up page of its mailing list, offered to members who buy from it for the
    /// first time ([0265]); `None` until the vendor sets one.
    pub mailing_list: Option<String>,
}

/// Longest mailing-list URL kept, in bytes (what a mail line can carry).
pub const MAILING_LIST_URL_BYTES_MAX: usize = 500;

/// Checks a mailing-list URL: `http://` or `https://`, a host, at most
/// [`MAILING_LIST_URL_BYTES_MAX`] bytes, and no whitespace or control characters (it goes
/// into mail bodies as it is).
///
/// # Errors
/// The rule broken, as the edge shows it.
pub fn check_mailing_list_url(url: &str) -> Result<(), &'static str> {
    const RULE: &str = "an http:// or https:// URL of at most 500 bytes, without spaces";
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(RULE)?;
    let host_ok = rest
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|host| !host.is_empty());
    let chars_ok = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if url.len() <= MAILING_LIST_URL_BYTES_MAX && host_ok && chars_ok {
        Ok(())
    } else {
        Err(RULE)
    }
}

impl VendorState {
    /// A newly registered vendor, from its `VendorRegistered` (approved) or `VendorApplied`
    /// (pending) event; `None` for any other event. `feed_seq` starts at the registration's
    /// own sequence: no sale precedes it.
    #[must_use]
    pub fn from_registered(event: &Event, seq: u64) -> Option<VendorState> {
        let (profile, status) = match event {
            Event::VendorRegistered(profile) => (profile, VendorStatus::Approved),
            Event::VendorApplied(profile) => (profile, VendorStatus::Pending),
            _ => return None,
        };
        Some(VendorState {
            profile: (**profile).clone(),
            ledger: BTreeMap::new(),
            feed_seq: seq,
            sales_refused: 0,
            offers: OfferBook::new(),
            fee_schedules: RateHistory::starting(
                profile.registered_at,
                FeeSchedule::flat(profile.fee_ppm),
            ),
            commissions: RateHistory::starting(profile.registered_at, CommissionRates::default()),
            disputes: BTreeMap::new(),
            standing: VendorStanding::registered(profile.api_key_digest, status),
            mailing_list: None,
        })
    }

    /// Decides setting (or, with `None`, clearing) the vendor's mailing-list page, checked
    /// at the edge by [`check_mailing_list_url`].
    #[must_use]
    pub fn decide_set_mailing_list(&self, url: Option<String>, now: Timestamp) -> Event {
        Event::MailingListSet {
            vendor: self.profile.id,
            url,
            at: now,
        }
    }

    /// Decides setting the vendor's fee schedule (checked at the edge by `FeeSchedule::new`).
    #[must_use]
    pub fn decide_set_fee_schedule(&self, schedule: FeeSchedule, now: Timestamp) -> Event {
        Event::FeeScheduleSet {
            vendor: self.profile.id,
            schedule,
            at: now,
        }
    }

    /// Decides setting the vendor's commission rates (checked by `CommissionRates::new`).
    #[must_use]
    pub fn decide_set_commission(&self, rates: CommissionRates, now: Timestamp) -> Event {
        Event::CommissionSet {
            vendor: self.profile.id,
            rates,
            at: now,
        }
    }

    /// Every term of what the vendor earned in `currency`, as of `now` (which only picks the
    /// fee period in progress).
    #[must_use]
    pub fn figures(&self, currency: Currency, now: Timestamp) -> LedgerFigures {
        let Some(ledger) = self.ledger.get(&currency) else {
            return LedgerFigures::default();
        };
        let fees = fees_due(&ledger.months, &self.fee_schedules, now);
        let commissions = commissions_due(&ledger.months, &self.commissions).floor();
        let royalties = ledger.royalties_withheld();
        let fees_total = fees.exact.floor();
        // Each term is a 128-bit sum of 64-bit amounts: the signed sum cannot overflow for any
        // ledger that fits in memory; if one ever did, the net shows as zero rather than wrap.
        let earned = (|| {
            ledger
                .gross
                .to_net()?
                .checked_add(commissions.to_net()?)?
                .checked_sub(fees_total.to_net()?)?
                .checked_sub(royalties.to_net()?)?
                .checked_sub(ledger.incentives_own.to_net()?)
        })()
        .unwrap_or(NetTotal::ZERO);
        LedgerFigures {
            sales: ledger.sales,
            gross: ledger.gross,
            fees: fees_total,
            royalties,
            incentives_own: ledger.incentives_own,
            incentives_msp: ledger.incentives_msp,
            commissions,
            earned,
            current: fees.current,
        }
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
            Event::VendorRegistered(profile) | Event::VendorApplied(profile) => {
                assert_eq!(profile.id, self.profile.id, "another vendor's registration");
            }
            Event::VendorDecided { vendor, .. } | Event::ApiKeyRotated { vendor, .. } => {
                assert_eq!(*vendor, self.profile.id, "another vendor's standing");
                self.apply_standing(event);
            }
            Event::FeeScheduleSet {
                vendor,
                schedule,
                at,
            } => {
                assert_eq!(*vendor, self.profile.id, "another vendor's fee schedule");
                self.fee_schedules.set(*at, schedule.clone());
            }
            Event::CommissionSet { vendor, rates, at } => {
                assert_eq!(*vendor, self.profile.id, "another vendor's commission");
                self.commissions.set(*at, *rates);
            }
            Event::MailingListSet { vendor, url, .. } => {
                assert_eq!(*vendor, self.profile.id, "another vendor's mailing list");
                self.mailing_list.clone_from(url);
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
            // A refused sale may have made an empty ledger for its currency: it sold nothing.
            self.ledger.retain(|_, ledger| *ledger != Ledger::default());
        }
        outcome.map(|()| true)
    }

    fn fold_sale(&mut self, event: &Event) -> Result<(), LedgerError> {
        let me = self.profile.id;
        match event {
            Event::Authorized(authorized) => {
                let entitlement = &authorized.entitlement;
                let ledger = self.ledger.entry(entitlement.currency).or_default();
                let month = Month::of(authorized.at);
                if authorized.parties.referrer == Some(me) {
                    ledger.earn(Step::Add, month, entitlement.price, Earning::Referred)?;
                }
                if authorized.vendor == me {
                    let parts = incentive_parts(me, &authorized.incentives)?;
                    let royalties = &authorized.parties.royalties;
                    ledger.sell(Step::Add, entitlement.price, parts, month, royalties)?;
                    if let Some(offer) = authorized.offer {
                        self.offers.mark_used(offer);
                    }
                }
            }
            Event::Reversed {
                vendor,
                currency,
                refund,
                incentives,
                purchased_at,
                parties,
                ..
            } => {
                let ledger = self.ledger.entry(*currency).or_default();
                let month = Month::of(*purchased_at);
                if parties.referrer == Some(me) {
                    ledger.earn(Step::TakeBack, month, *refund, Earning::Referred)?;
                }
                if *vendor == me {
                    let parts = incentive_parts(me, incentives)?;
                    ledger.sell(Step::TakeBack, *refund, parts, month, &parties.royalties)?;
                }
            }
            Event::DepositCredited {
                currency,
                amount,
                via: Some(via),
                at,
                ..
            }
            | Event::DepositSettled {
                currency,
                amount,
                via: Some(via),
                at,
                ..
            } if *via == me => {
                let ledger = self.ledger.entry(*currency).or_default();
                ledger.earn(Step::Add, Month::of(*at), *amount, Earning::Funds)?;
            }
            Event::DisputeFiled { account, dispute } if dispute.vendor == me => {
                self.disputes
                    .insert((*account, dispute.authorization), (**dispute).clone());
            }
            Event::DisputeDecided {
                account,
                authorization,
                approve,
                reason,
                at,
                ..
            } => {
                if let Some(dispute) = self.disputes.get_mut(&(*account, *authorization)) {
                    dispute.decide(*approve, *at, reason);
                }
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

    use crate::domain::event::{Authorized, Origin};
    use crate::domain::ids::{AccountId, AuthorizationId, EntitlementId, LoginId, SessionId};
    use crate::domain::royalty::SaleParties;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    /// A purchase of `price` micro-units at `seller`, made at `at`, with `parties`.
    fn sale_at(seller: u64, price: u64, at: Timestamp, parties: SaleParties) -> Event {
        Event::Authorized(Box::new(Authorized {
            title: String::new(),
            content_url: String::new(),
            account: AccountId(2),
            authorization: AuthorizationId(3),
            login: LoginId(4),
            session: SessionId(5),
            vendor: VendorId(seller),
            entitlement: crate::domain::entitlement::Entitlement {
                id: EntitlementId(6),
                key: crate::domain::entitlement::ContentKey {
                    vendor: VendorId(seller),
                    content: "id:a".to_owned(),
                },
                authorization: AuthorizationId(3),
                price: Amount::from_micros(price),
                currency: usd(),
                purchased_at: at,
                views_allowed: None,
                views_used: 0,
                expires_at: None,
                reversed_at: None,
            },
            idempotency: None,
            idempotency_expired: Vec::new(),
            offer: None,
            incentives: Vec::new(),
            parties,
            at,
        }))
    }

    fn reversal_of(
        seller: u64,
        price: u64,
        purchased_at: Timestamp,
        parties: SaleParties,
    ) -> Event {
        Event::Reversed {
            account: AccountId(2),
            authorization: AuthorizationId(3),
            entitlement: EntitlementId(6),
            vendor: VendorId(seller),
            currency: usd(),
            refund: Amount::from_micros(price),
            incentives: Vec::new(),
            purchased_at,
            parties,
            reason: "r".to_owned(),
            by: Origin::Admin,
            at: purchased_at.plus_ms(1_000),
        }
    }

    fn vendor(id: u64, fee_ppm: u32) -> VendorState {
        let registration = VendorRegistration {
            fee_ppm,
            ..registration()
        };
        let event = decide_register(VendorId(id), registration, Timestamp(5)).unwrap();
        VendorState::from_registered(&event, 1).unwrap()
    }

    const NOW: Timestamp = Timestamp(1_780_000_000_000);

    #[test]
    fn fee_is_computed_on_the_aggregate_and_rounded_down() {
        // Three sales of 0.000010 at 5%: per sale the fee would round to 0 each time
        // (0.0000005); on the aggregate 0.000030 it is 0.0000015 → 0.000001.
        let mut state = vendor(1, 50_000);
        for seq in 2..5 {
            let sale = sale_at(1, 10, NOW, SaleParties::default());
            assert_eq!(state.apply_sale(seq, &sale), Ok(true));
        }
        let figures = state.figures(usd(), NOW);
        assert_eq!(figures.fees, Total::from_micros(1));
        assert_eq!(figures.earned, NetTotal::from_micros(29));
        // At the whole rate the fee is the whole gross, never more.
        let mut all = vendor(1, 1_000_000);
        all.apply_sale(2, &sale_at(1, 7, NOW, SaleParties::default()))
            .unwrap();
        assert_eq!(all.figures(usd(), NOW).fees, Total::from_micros(7));
        assert_eq!(all.figures(usd(), NOW).earned, NetTotal::ZERO);
    }

    #[test]
    fn royalty_shares_summing_to_the_price_leave_the_vendor_a_negative_net() {
        use crate::domain::ids::RightsHolderId;
        use crate::domain::royalty::Royalty;
        // Two rights holders share the whole price of a 1.00 sale; the 5% fee comes on top,
        // so the vendor's net is −0.05, carried (a payout never pays a negative amount).
        let parties = SaleParties {
            royalties: vec![
                Royalty {
                    rights_holder: RightsHolderId(8),
                    share_ppm: 600_000,
                },
                Royalty {
                    rights_holder: RightsHolderId(9),
                    share_ppm: 400_000,
                },
            ],
            referrer: None,
        };
        let mut state = vendor(1, 50_000);
        state
            .apply_sale(2, &sale_at(1, 1_000_000, NOW, parties.clone()))
            .unwrap();
        let figures = state.figures(usd(), NOW);
        assert_eq!(figures.royalties, Total::from_micros(1_000_000));
        assert_eq!(figures.earned, NetTotal::from_micros(-50_000));
        // A share of a fraction of a micro-unit is carried, not lost: 1 ppm of 0.000001 a
        // million times is one micro-unit.
        let tiny = SaleParties {
            royalties: vec![Royalty {
                rights_holder: RightsHolderId(8),
                share_ppm: 1,
            }],
            referrer: None,
        };
        let mut small = vendor(1, 0);
        for seq in 2..1_000_002 {
            small
                .apply_sale(seq, &sale_at(1, 1, NOW, tiny.clone()))
                .unwrap();
        }
        assert_eq!(small.figures(usd(), NOW).royalties, Total::from_micros(1));
        // The reversal takes the royalties and the sale back.
        state
            .apply_sale(3, &reversal_of(1, 1_000_000, NOW, parties))
            .unwrap();
        let figures = state.figures(usd(), NOW);
        assert_eq!(figures.royalties, Total::ZERO);
        assert_eq!(figures.earned, NetTotal::ZERO);
    }

    #[test]
    fn commissions_come_from_referred_purchases_at_any_vendor_and_from_funds() {
        let mut referrer = vendor(7, 0);
        referrer.commissions.set(
            Timestamp(10),
            CommissionRates::new(100_000, 20_000).unwrap(),
        );
        // A member it referred buys 2.00 at vendor 1: the referrer earns 10% of it; the
        // seller pays nothing for that.
        let referred = SaleParties {
            royalties: Vec::new(),
            referrer: Some(VendorId(7)),
        };
        let sale = sale_at(1, 2_000_000, NOW, referred.clone());
        assert_eq!(referrer.apply_sale(2, &sale), Ok(true));
        let mut seller = vendor(1, 0);
        seller.apply_sale(2, &sale).unwrap();
        assert_eq!(seller.figures(usd(), NOW).commissions, Total::ZERO);
        assert_eq!(
            seller.figures(usd(), NOW).earned,
            NetTotal::from_micros(2_000_000)
        );
        assert_eq!(
            referrer.figures(usd(), NOW).commissions,
            Total::from_micros(200_000)
        );
        assert_eq!(referrer.figures(usd(), NOW).gross, Total::ZERO);
        // 5.00 of funds bought through its site: 2% of it.
        let funds = Event::DepositCredited {
            account: AccountId(2),
            deposit: crate::domain::ids::DepositId(3),
            currency: usd(),
            amount: Amount::from_micros(5_000_000),
            charge_reference: "ch".to_owned(),
            via: Some(VendorId(7)),
            at: NOW,
        };
        referrer.apply_sale(3, &funds).unwrap();
        assert_eq!(
            referrer.figures(usd(), NOW).commissions,
            Total::from_micros(300_000)
        );
        // The referred purchase reversed: its commission goes too.
        referrer
            .apply_sale(4, &reversal_of(1, 2_000_000, NOW, referred))
            .unwrap();
        assert_eq!(
            referrer.figures(usd(), NOW).commissions,
            Total::from_micros(100_000)
        );
        assert_eq!(
            referrer.figures(usd(), NOW).earned,
            NetTotal::from_micros(100_000)
        );
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
        let event = decide_register(VendorId(1), registration(), Timestamp(5)).unwrap();
        let mut state = VendorState::from_registered(&event, 1).unwrap();
        let usd = Currency::parse("USD").unwrap();
        let sale = |price: u64| {
            Event::Authorized(Box::new(Authorized {
                title: String::new(),
                content_url: String::new(),
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
                parties: SaleParties::default(),
                at: Timestamp(0),
            }))
        };
        // Three sales of the largest amount: an `Amount` sum would overflow, a `Total` does not.
        let max = i64::MAX.unsigned_abs();
        for seq in 2..5 {
            assert_eq!(state.apply_sale(seq, &sale(max)), Ok(true));
        }
        assert_eq!(state.apply_sale(4, &sale(max)), Ok(false), "redelivery");
        let ledger = state.ledger.get(&usd).cloned().unwrap();
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
            purchased_at: Timestamp(0),
            parties: SaleParties::default(),
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
