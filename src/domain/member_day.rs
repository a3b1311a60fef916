//! One member's calendar day as the daily summary mail tells it ([0157], [0213], [0238],
//! [0242]): the day's lines, each with the balance after it, and the balances at the day's
//! end.
//!
//! The journal keeps events, not balances, so the balances are worked out backwards: the
//! account actor gives its balances after its last event, and walking the account's events
//! from the newest back to the day's first takes each one's change off again. What an event
//! changes in a wallet is [`balance_change`], the same moves the members' totals fold
//! (a test holds the two together), so the mail's balances are the ledger's.
//!
//! Pure: no I/O, no clock. Depends on the domain's events, money and time.

use std::collections::BTreeMap;

use super::account::AccountState;
use super::event::Event;
use super::ids::VendorId;
use super::money::{Balance, Currency, NetTotal};
pub use super::statement::LineKind;
use super::statement::{balance_change, line_of};
use super::time::{MemberZone, Timestamp};

/// One line of the day, in journal order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayLine {
    /// When it happened.
    pub at: Timestamp,
    /// What it was.
    pub kind: LineKind,
    /// Its wallet's currency.
    pub currency: Currency,
    /// The signed amount shown: the balance change, or for lines that change no balance
    /// (incentive, dispute) the amount granted or disputed.
    pub amount: NetTotal,
    /// The wallet's balance after it.
    pub balance_after: NetTotal,
    /// The vendor it concerns, if any (shown by name).
    pub vendor: Option<VendorId>,
    /// The content bought, or a dispute's or reversal's reason.
    pub note: String,
}

/// The member's day: its lines and each wallet's balance at its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberDay {
    /// The day's lines in the order they happened.
    pub lines: Vec<DayLine>,
    /// Each wallet's balance at the day's end, by currency.
    pub balances: Vec<(Currency, NetTotal)>,
}

/// What the account itself knows of a day: who to write to, in which language, the day's
/// instants in the member's zone, the balances now and the vendors first bought from that
/// day. Read from the account's state, together with `position`, so the events to walk back
/// are exactly those the balances include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayFacts {
    /// The sign-in e-mail of the account's first login with one.
    pub email: String,
    /// The member's language tag.
    pub language: String,
    /// The member's time zone, for the times of the lines.
    pub zone: MemberZone,
    /// The day's `[start, end)` in the member's zone.
    pub start: Timestamp,
    /// See `start`.
    pub end: Timestamp,
    /// Each wallet's paid balance after the account's last event.
    pub balances: Vec<(Currency, Balance)>,
    /// The events the balances include: the position the account's next event takes.
    pub position: u64,
    /// Vendors the member first bought from that day ([0265]), unless they declined
    /// vendors' offers at registration; by id.
    pub new_vendors: Vec<VendorId>,
}

impl AccountState {
    /// The facts of the member's calendar day `date` for the daily summary, as of the
    /// events applied so far (`position` of them). `None` for an account without an e-mail
    /// (seeded accounts cannot sign in, so there is nobody to write to) or a day the
    /// calendar cannot place.
    #[must_use]
    pub fn day_facts(&self, date: jiff::civil::Date, position: u64) -> Option<DayFacts> {
        // The mail goes to one login's e-mail; it is written in that login's language, its
        // own when it set one ([0136]), else the account's.
        let (email, language) = self.logins.values().find_map(|login| {
            login
                .email
                .clone()
                .map(|email| (email, self.language_of(login.id).to_owned()))
        })?;
        let (start, end) = self.zone.day_bounds(date)?;
        let mut first_bought: BTreeMap<VendorId, Timestamp> = BTreeMap::new();
        if !self.vendor_offers_declined {
            for entitlement in self.entitlements.values() {
                let first = first_bought
                    .entry(entitlement.key.vendor)
                    .or_insert(entitlement.purchased_at);
                *first = (*first).min(entitlement.purchased_at);
            }
        }
        Some(DayFacts {
            email,
            language,
            zone: self.zone.clone(),
            start,
            end,
            balances: self
                .wallets
                .iter()
                .map(|(currency, wallet)| (*currency, wallet.balance))
                .collect(),
            position,
            new_vendors: first_bought
                .into_iter()
                .filter(|(_, first)| (start..end).contains(first))
                .map(|(vendor, _)| vendor)
                .collect(),
        })
    }
}

/// A balance change cannot be taken off a balance: the events given are not the account's
/// (a bug), or a sum left 128 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the account's events do not add up to its balances")]
pub struct DayMismatch;

/// The member's day `[start, end)` from the account's events `events` (every event from the
/// day's first on, up to the last the actor applied, in position order) and `balances_now`,
/// the wallets' balances after the last of them.
///
/// # Errors
/// [`DayMismatch`] when a change cannot be taken off a balance (only with events that are
/// not this account's, or sums beyond 128 bits).
pub fn member_day(
    events: &[&Event],
    balances_now: &[(Currency, Balance)],
    start: Timestamp,
    end: Timestamp,
) -> Result<MemberDay, DayMismatch> {
    let mut running: BTreeMap<Currency, NetTotal> = balances_now
        .iter()
        .map(|(currency, balance)| (*currency, NetTotal::ZERO.checked_add_balance(*balance)))
        .map(|(currency, total)| total.map(|total| (currency, total)).ok_or(DayMismatch))
        .collect::<Result<_, _>>()?;
    let mut at_end: Option<BTreeMap<Currency, NetTotal>> = None;
    let mut lines = Vec::new();
    for event in events.iter().rev() {
        let at = event.at();
        if at < end && at_end.is_none() {
            at_end = Some(running.clone());
        }
        if at < start {
            break;
        }
        let change = balance_change(event);
        if at < end
            && let Some(shape) = line_of(event)
        {
            let balance_after = running
                .get(&shape.currency)
                .copied()
                .unwrap_or(NetTotal::ZERO);
            let amount = shape
                .shown
                .or(change.map(|(_, delta)| delta))
                .unwrap_or(NetTotal::ZERO);
            lines.push(DayLine {
                at,
                kind: shape.kind,
                currency: shape.currency,
                amount,
                balance_after,
                vendor: shape.vendor,
                note: shape.note,
            });
        }
        if let Some((currency, delta)) = change {
            let balance = running.entry(currency).or_insert(NetTotal::ZERO);
            *balance = NetTotal::from_micros(
                balance
                    .micros()
                    .checked_sub(delta.micros())
                    .ok_or(DayMismatch)?,
            );
        }
    }
    lines.reverse();
    let balances = at_end.unwrap_or(running).into_iter().collect();
    Ok(MemberDay { lines, balances })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, InTransit, Origin};
    use crate::domain::ids::{AccountId, LoginId, TransferId};
    use crate::domain::money::Amount;
    use crate::domain::totals::Totals;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn deposit(micros: u64, at: i64) -> Event {
        Event::Deposited {
            account: AccountId(1),
            currency: usd(),
            amount: Amount::from_micros(micros),
            reference: format!("r{at}"),
            by: Origin::Admin,
            at: Timestamp(at),
        }
    }

    fn sent(micros: u64, at: i64) -> Event {
        Event::TransferSent(Box::new(InTransit {
            transfer: TransferId(7),
            from: AccountId(1),
            login: LoginId(1),
            to: AccountId(2),
            currency: usd(),
            amount: Amount::from_micros(micros),
            note: String::new(),
            sent_at: Timestamp(at),
            at: Timestamp(at),
        }))
    }

    #[test]
    fn balances_walk_back_from_now_and_stop_at_the_day_s_edges() {
        // Before the day: +10. The day [100, 200): +5 at 120, -3 at 150. After: +1 at 250.
        let events = [
            deposit(10, 50),
            deposit(5, 120),
            sent(3, 150),
            deposit(1, 250),
        ];
        let refs: Vec<&Event> = events.iter().collect();
        let now = [(usd(), Balance::from_micros(13))];
        let day = member_day(&refs, &now, Timestamp(100), Timestamp(200)).unwrap();
        assert_eq!(day.lines.len(), 2);
        assert_eq!(day.lines[0].kind, LineKind::FundsAdded);
        assert_eq!(day.lines[0].amount, NetTotal::from_micros(5));
        assert_eq!(day.lines[0].balance_after, NetTotal::from_micros(15));
        assert_eq!(day.lines[1].kind, LineKind::TransferOut);
        assert_eq!(day.lines[1].amount, NetTotal::from_micros(-3));
        assert_eq!(day.lines[1].balance_after, NetTotal::from_micros(12));
        assert_eq!(day.balances, vec![(usd(), NetTotal::from_micros(12))]);
    }

    #[test]
    fn a_day_without_events_after_it_ends_with_today_s_balance() {
        let events = [deposit(7, 120)];
        let refs: Vec<&Event> = events.iter().collect();
        let now = [(usd(), Balance::from_micros(7))];
        let day = member_day(&refs, &now, Timestamp(100), Timestamp(200)).unwrap();
        assert_eq!(day.balances, vec![(usd(), NetTotal::from_micros(7))]);
        assert_eq!(day.lines[0].balance_after, NetTotal::from_micros(7));
    }

    #[test]
    fn the_change_is_what_the_members_totals_fold_into_balances() {
        let events = [deposit(10, 1), sent(4, 2)];
        for event in &events {
            let mut totals = Totals::default();
            // A transfer folded alone needs nothing before it: balances may go negative.
            totals.apply(event).unwrap();
            let folded = totals.by_currency[&usd()].balances;
            assert_eq!(balance_change(event), Some((usd(), folded)));
        }
        assert_eq!(
            balance_change(&Event::FreezeSet {
                account: AccountId(1),
                frozen: true,
                at: Timestamp(1)
            }),
            None
        );
    }
}
