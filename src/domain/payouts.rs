//! The settlement stream ([0152], [0205]-[0208], [0252]-[0254]): rights holders, each
//! payee's settlement settings, the settlement runs and their payouts.
//!
//! **Earned is counted by vendors, paid by this stream.** A vendor's ledger counts what it
//! earned (gross − fees − royalties − its own incentives + commissions) and what its sales
//! accrued to each rights holder; this state counts what each payee was paid, net of payouts
//! the bank returned. A payee's unsettled balance is the difference, per currency. A run
//! decides each payout from that difference and journals all of them in one event, so no
//! payee is paid from a count that a concurrent run could also use: one run at a time, and
//! a run's payouts are part of `paid` the moment its event is applied. A reversal after a
//! payout lowers what the vendor earned below what it was paid: the negative balance is
//! carried and clawed back from the next payout, never paid as a negative amount.
//!
//! **A run finishes in two steps.** `SettlementRunStarted` records the payouts; the payment
//! file is written after it (outside the domain), then `SettlementRunFinished` records it. A
//! run started and not finished is resumed at start-up: its file is written again from the
//! journaled payouts (same run id, same content), never decided again.
//!
//! Bank details arrive sealed (encrypted at the edge with a key of their own) with a masked
//! form for display: the domain never sees an account number.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{PayoutId, RightsHolderId, SettlementRunId, VendorId};
use super::money::{Amount, Currency, NetTotal, Total};
use super::reject::Reject;
use super::royalty::{NAME_BYTES_MAX, RightsHolder};
use super::settlement::{Due, PayoutRule, decide_due, payable};
use super::time::Timestamp;

/// Most rights holders the service registers.
pub const RIGHTS_HOLDERS_MAX: usize = 100_000;
/// Most payouts one run makes: its event and its payment file stay a few megabytes; payees
/// beyond it are paid by the next run (they stay due).
pub const PAYOUTS_PER_RUN_MAX: usize = 5_000;
/// Longest reason for a returned payout, in bytes.
pub const REASON_BYTES_MAX: usize = 256;

/// Who a payout pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Payee {
    /// A vendor: its net sales and commissions.
    Vendor(VendorId),
    /// A rights holder: its royalties.
    RightsHolder(RightsHolderId),
}

impl fmt::Display for Payee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payee::Vendor(id) => id.fmt(f),
            Payee::RightsHolder(id) => id.fmt(f),
        }
    }
}

/// Bank details as the edge sealed them, with the form shown to people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBank {
    /// The details encrypted under the bank-data key.
    pub sealed: Vec<u8>,
    /// The IBAN masked, for display.
    pub masked: String,
}

/// A payee's settlement settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayeeSettings {
    /// Threshold, schedule and minimum.
    pub rule: PayoutRule,
    /// Where payouts go.
    pub bank: SealedBank,
    /// When they were set: scheduled dates before it are not considered.
    pub set_at: Timestamp,
}

/// One payout of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// Its id: the end-to-end id of its transaction in the payment file.
    pub id: PayoutId,
    /// Who it pays.
    pub payee: Payee,
    /// In which currency.
    pub currency: Currency,
    /// How much: whole minor units, above zero.
    pub amount: Amount,
    /// Where to, as set when the run decided it.
    pub bank: SealedBank,
}

/// A payout as the state keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRecord {
    /// The payout.
    pub payout: Payout,
    /// The run that made it.
    pub run: SettlementRunId,
    /// When it was made (the run's start).
    pub at: Timestamp,
    /// Set when the bank returned it: why and when.
    pub returned: Option<(String, Timestamp)>,
}

/// A settlement run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// Its id: the payment file's message id.
    pub id: SettlementRunId,
    /// When it started.
    pub at: Timestamp,
    /// Whether an operator forced payment of any positive net.
    pub forced: bool,
    /// Its payouts, in file order.
    pub payouts: Vec<PayoutId>,
    /// Set when finished: the payment file's name (`None`: no payouts, no file).
    pub finished: Option<Option<String>>,
}

/// What a run should consider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunScope {
    /// Only these payees (`None`: every payee).
    pub payees: Option<BTreeSet<Payee>>,
    /// Pay any positive net, whatever the payee's threshold and schedule.
    pub force: bool,
}

/// An event of the settlement stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettlementEvent {
    /// An operator registered a rights holder.
    RightsHolderRegistered(RightsHolder),
    /// An operator set a payee's settlement settings.
    PayeeSettingsSet {
        /// The payee.
        payee: Payee,
        /// Threshold, schedule, minimum.
        rule: PayoutRule,
        /// Sealed bank details.
        bank: SealedBank,
        /// When.
        at: Timestamp,
    },
    /// A run decided its payouts: they count as paid from now.
    RunStarted {
        /// The run.
        run: SettlementRunId,
        /// Forced by an operator.
        forced: bool,
        /// Its payouts.
        payouts: Vec<Payout>,
        /// Payees whose scheduled date this run considered (paid or passed below minimum).
        considered: Vec<Payee>,
        /// When.
        at: Timestamp,
    },
    /// A run's payment file is written (or, without payouts, none was needed).
    RunFinished {
        /// The run.
        run: SettlementRunId,
        /// The file's name.
        file: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// The bank returned a payout: the payee's unsettled balance gets it back.
    PayoutReturned {
        /// The payout.
        payout: PayoutId,
        /// The bank's reason.
        reason: String,
        /// When.
        at: Timestamp,
    },
}

/// `text` trimmed, when it is 1 to `max` bytes without control characters: the rule of a
/// rights holder's name and a return's reason, which the edge checks first to name the field.
#[must_use]
pub fn checked_text(text: &str, max: usize) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty() && text.len() <= max && !text.chars().any(char::is_control)).then_some(text)
}

impl SettlementEvent {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            SettlementEvent::RightsHolderRegistered(holder) => holder.registered_at,
            SettlementEvent::PayeeSettingsSet { at, .. }
            | SettlementEvent::RunStarted { at, .. }
            | SettlementEvent::RunFinished { at, .. }
            | SettlementEvent::PayoutReturned { at, .. } => *at,
        }
    }
}

/// The settlement stream's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettlementState {
    /// Registered rights holders.
    pub rights_holders: BTreeMap<RightsHolderId, RightsHolder>,
    /// Each payee's settings.
    pub settings: BTreeMap<Payee, PayeeSettings>,
    /// Up to when each payee's scheduled dates were considered.
    pub considered_until: BTreeMap<Payee, Timestamp>,
    /// Paid per payee and currency, net of returns.
    pub paid: BTreeMap<(Payee, Currency), Total>,
    /// Every payout, in the order made.
    pub payouts: Vec<PayoutRecord>,
    /// Where each payout is in `payouts`.
    pub payout_index: BTreeMap<PayoutId, usize>,
    /// Every run.
    pub runs: BTreeMap<SettlementRunId, Run>,
    /// The run started and not finished, if any.
    pub open_run: Option<SettlementRunId>,
}

impl SettlementState {
    /// A payee's unsettled balance in `currency`, given what it `earned` there.
    #[must_use]
    pub fn unsettled(&self, payee: Payee, currency: Currency, earned: NetTotal) -> NetTotal {
        let paid = self
            .paid
            .get(&(payee, currency))
            .copied()
            .unwrap_or(Total::ZERO);
        paid.to_net()
            .and_then(|paid| earned.checked_sub(paid))
            .unwrap_or(earned)
    }

    /// Paid out per currency, net of returns, for payees of one kind.
    #[must_use]
    pub fn paid_by_currency(&self, rights_holders: bool) -> BTreeMap<Currency, Total> {
        let mut sums: BTreeMap<Currency, Total> = BTreeMap::new();
        for ((payee, currency), paid) in &self.paid {
            if matches!(payee, Payee::RightsHolder(_)) == rights_holders {
                let sum = sums.entry(*currency).or_default();
                *sum = sum.checked_add_total(*paid).unwrap_or(*sum);
            }
        }
        sums
    }

    /// Decides registering a rights holder (its name trimmed, 1 to 256 bytes).
    ///
    /// # Errors
    /// `Invalid` for the name, `RightsHolderRefused` when the id is taken or the service
    /// holds [`RIGHTS_HOLDERS_MAX`].
    pub fn decide_register(
        &self,
        id: RightsHolderId,
        name: &str,
        currency: Currency,
        now: Timestamp,
    ) -> Result<SettlementEvent, Reject> {
        let name = checked_text(name, NAME_BYTES_MAX).ok_or(Reject::TextInvalid)?;
        if self.rights_holders.contains_key(&id) || self.rights_holders.len() >= RIGHTS_HOLDERS_MAX
        {
            return Err(Reject::RightsHolderExists);
        }
        Ok(SettlementEvent::RightsHolderRegistered(RightsHolder {
            id,
            name: name.to_owned(),
            currency,
            registered_at: now,
        }))
    }

    /// Decides a payee's settings (a vendor is checked to exist at the edge).
    ///
    /// # Errors
    /// `RightsHolderUnknown`.
    pub fn decide_settings(
        &self,
        payee: Payee,
        rule: PayoutRule,
        bank: SealedBank,
        now: Timestamp,
    ) -> Result<SettlementEvent, Reject> {
        if let Payee::RightsHolder(id) = payee
            && !self.rights_holders.contains_key(&id)
        {
            return Err(Reject::RightsHolderUnknown);
        }
        Ok(SettlementEvent::PayeeSettingsSet {
            payee,
            rule,
            bank,
            at: now,
        })
    }

    /// Decides a run: for each payee and currency of `earned` in scope, its unsettled
    /// balance rounded down to minor units is paid when due (see `settlement::decide_due`)
    /// and the payee has bank details. Payees without settings are never paid (there is
    /// nowhere to pay), even when forced. `ids` gives each payout its id.
    ///
    /// # Errors
    /// `RunInProgress` while another run is open.
    pub fn decide_run(
        &self,
        run: SettlementRunId,
        earned: &BTreeMap<(Payee, Currency), NetTotal>,
        scope: &RunScope,
        ids: &mut dyn Iterator<Item = PayoutId>,
        now: Timestamp,
    ) -> Result<SettlementEvent, Reject> {
        if self.open_run.is_some() {
            return Err(Reject::SettlementRunInProgress);
        }
        let in_scope = |payee: &Payee| {
            scope
                .payees
                .as_ref()
                .is_none_or(|only| only.contains(payee))
        };
        let since = |payee: &Payee, settings: &PayeeSettings| {
            self.considered_until
                .get(payee)
                .copied()
                .unwrap_or(settings.set_at)
        };
        // A scheduled date that passed is considered once, whatever it found (nothing owed,
        // below the minimum, or paid), so a later balance is never paid off-schedule.
        let considered: BTreeSet<Payee> = self
            .settings
            .iter()
            .filter(|(payee, settings)| {
                in_scope(payee)
                    && settings
                        .rule
                        .schedule
                        .date_passed(since(payee, settings), now)
            })
            .map(|(payee, _)| *payee)
            .collect();
        let mut payouts = Vec::new();
        for ((payee, currency), earned) in earned {
            let Some(settings) = self.settings.get(payee).filter(|_| in_scope(payee)) else {
                continue;
            };
            let amount = payable(self.unsettled(*payee, *currency, *earned), *currency);
            match decide_due(
                Some(&settings.rule),
                amount,
                since(payee, settings),
                now,
                scope.force,
            ) {
                Due::NotDue | Due::BelowMinimum => {}
                Due::Threshold | Due::Scheduled | Due::Forced => {
                    if payouts.len() >= PAYOUTS_PER_RUN_MAX {
                        break;
                    }
                    let Some(id) = ids.next() else {
                        break;
                    };
                    payouts.push(Payout {
                        id,
                        payee: *payee,
                        currency: *currency,
                        amount,
                        bank: settings.bank.clone(),
                    });
                }
            }
        }
        Ok(SettlementEvent::RunStarted {
            run,
            forced: scope.force,
            payouts,
            considered: considered.into_iter().collect(),
            at: now,
        })
    }

    /// Decides finishing the open run with its file written (`None`: it had no payouts).
    ///
    /// # Errors
    /// `RunUnknown` when `run` is not the open run.
    pub fn decide_finish(
        &self,
        run: SettlementRunId,
        file: Option<String>,
        now: Timestamp,
    ) -> Result<SettlementEvent, Reject> {
        if self.open_run != Some(run) {
            return Err(Reject::SettlementRunUnknown);
        }
        Ok(SettlementEvent::RunFinished { run, file, at: now })
    }

    /// Decides a payout the bank returned.
    ///
    /// # Errors
    /// `PayoutUnknown`, `PayoutReturnedAlready`, `Invalid` for a reason of more than 256
    /// bytes or none.
    pub fn decide_return(
        &self,
        payout: PayoutId,
        reason: &str,
        now: Timestamp,
    ) -> Result<SettlementEvent, Reject> {
        let reason = checked_text(reason, REASON_BYTES_MAX).ok_or(Reject::TextInvalid)?;
        let record = self.payout(payout).ok_or(Reject::PayoutUnknown)?;
        if record.returned.is_some() {
            return Err(Reject::PayoutReturnedAlready);
        }
        Ok(SettlementEvent::PayoutReturned {
            payout,
            reason: reason.to_owned(),
            at: now,
        })
    }

    /// A payout by id.
    #[must_use]
    pub fn payout(&self, id: PayoutId) -> Option<&PayoutRecord> {
        self.payout_index
            .get(&id)
            .and_then(|index| self.payouts.get(*index))
    }

    /// Applies an event of the stream. Never panics: an event that does not fit (a return of
    /// an unknown payout in damaged data) changes nothing.
    pub fn apply(&mut self, event: &SettlementEvent) {
        match event {
            SettlementEvent::RightsHolderRegistered(holder) => {
                self.rights_holders.insert(holder.id, holder.clone());
            }
            SettlementEvent::PayeeSettingsSet {
                payee,
                rule,
                bank,
                at,
            } => {
                self.settings.insert(
                    *payee,
                    PayeeSettings {
                        rule: *rule,
                        bank: bank.clone(),
                        set_at: *at,
                    },
                );
            }
            SettlementEvent::RunStarted {
                run,
                forced,
                payouts,
                considered,
                at,
            } => {
                for payout in payouts {
                    let paid = self
                        .paid
                        .entry((payout.payee, payout.currency))
                        .or_default();
                    *paid = paid.checked_add(payout.amount).unwrap_or(*paid);
                    self.payout_index.insert(payout.id, self.payouts.len());
                    self.payouts.push(PayoutRecord {
                        payout: payout.clone(),
                        run: *run,
                        at: *at,
                        returned: None,
                    });
                }
                for payee in considered {
                    self.considered_until.insert(*payee, *at);
                }
                self.runs.insert(
                    *run,
                    Run {
                        id: *run,
                        at: *at,
                        forced: *forced,
                        payouts: payouts.iter().map(|payout| payout.id).collect(),
                        finished: None,
                    },
                );
                self.open_run = Some(*run);
            }
            SettlementEvent::RunFinished { run, file, .. } => {
                if let Some(finished) = self.runs.get_mut(run) {
                    finished.finished = Some(file.clone());
                }
                if self.open_run == Some(*run) {
                    self.open_run = None;
                }
            }
            SettlementEvent::PayoutReturned { payout, reason, at } => {
                let Some(index) = self.payout_index.get(payout).copied() else {
                    return;
                };
                let Some(record) = self.payouts.get_mut(index) else {
                    return;
                };
                if record.returned.is_some() {
                    return;
                }
                record.returned = Some((reason.clone(), *at));
                let key = (record.payout.payee, record.payout.currency);
                if let Some(paid) = self.paid.get_mut(&key) {
                    *paid = paid
                        .checked_sub(record.payout.amount)
                        .unwrap_or(Total::ZERO);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settlement::Schedule;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    fn bank() -> SealedBank {
        SealedBank {
            sealed: vec![1, 2, 3],
            masked: "DE** **** 3000".to_owned(),
        }
    }

    const VENDOR: Payee = Payee::Vendor(VendorId(1));

    /// A vendor paid at 50.00, weekly on Mondays if at least 10.00.
    fn with_settings(set_at: Timestamp) -> SettlementState {
        let mut state = SettlementState::default();
        let rule = PayoutRule {
            threshold: Amount::from_micros(50_000_000),
            schedule: Schedule::parse("weekly", 1).unwrap(),
            minimum: Amount::from_micros(10_000_000),
        };
        let event = state.decide_settings(VENDOR, rule, bank(), set_at).unwrap();
        state.apply(&event);
        state
    }

    fn run(
        state: &mut SettlementState,
        earned_micros: i128,
        force: bool,
        now: Timestamp,
    ) -> Vec<Payout> {
        let earned = BTreeMap::from([((VENDOR, usd()), NetTotal::from_micros(earned_micros))]);
        let scope = RunScope {
            payees: None,
            force,
        };
        let mut ids = (1..).map(PayoutId);
        let event = state
            .decide_run(
                SettlementRunId(now.0.unsigned_abs()),
                &earned,
                &scope,
                &mut ids,
                now,
            )
            .unwrap();
        state.apply(&event);
        let SettlementEvent::RunStarted { run, payouts, .. } = event else {
            panic!("a run starts");
        };
        let finished = state.decide_finish(run, None, now).unwrap();
        state.apply(&finished);
        payouts
    }

    #[test]
    fn threshold_reached_pays_at_once_and_one_cent_short_waits() {
        // Tuesday 2026-12-01: no scheduled date passed since the settings (set that day).
        let tuesday = at("2026-12-01T10:00:00Z");
        let mut state = with_settings(tuesday);
        assert!(run(&mut state, 49_999_999, false, tuesday).is_empty());
        let paid = run(&mut state, 50_000_000, false, tuesday);
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].amount, Amount::from_micros(50_000_000));
        // Paid now: nothing more is unsettled, a second run pays nothing.
        assert!(run(&mut state, 50_000_000, true, tuesday).is_empty());
    }

    #[test]
    fn a_scheduled_date_pays_the_minimum_and_passes_below_it() {
        let tuesday = at("2026-12-01T10:00:00Z");
        let monday = at("2026-12-07T00:00:00Z");
        let mut state = with_settings(tuesday);
        // Monday with 9.99: below the minimum, the date passes unpaid and is not
        // considered again later that day even when the balance grows.
        assert!(run(&mut state, 9_990_000, false, monday).is_empty());
        assert_eq!(state.considered_until.get(&VENDOR), Some(&monday));
        assert!(run(&mut state, 10_000_000, false, monday.plus_ms(1_000)).is_empty());
        // The next Monday with exactly the minimum: paid, in whole cents.
        let next = at("2026-12-14T08:00:00Z");
        let paid = run(&mut state, 10_000_001, false, next);
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].amount, Amount::from_micros(10_000_000));
        // The sub-cent remainder stays unsettled.
        assert_eq!(
            state.unsettled(VENDOR, usd(), NetTotal::from_micros(10_000_001)),
            NetTotal::from_micros(1)
        );
    }

    #[test]
    fn a_reversal_after_settlement_is_clawed_back_from_the_next_payout() {
        let now = at("2026-12-01T10:00:00Z");
        let mut state = with_settings(now);
        let paid = run(&mut state, 60_000_000, false, now);
        assert_eq!(paid[0].amount, Amount::from_micros(60_000_000));
        // A 5.00 sale is reversed: earned falls to 55.00, below the 60.00 paid.
        assert_eq!(
            state.unsettled(VENDOR, usd(), NetTotal::from_micros(55_000_000)),
            NetTotal::from_micros(-5_000_000)
        );
        // Even forced, a negative balance is never paid.
        assert!(run(&mut state, 55_000_000, true, now).is_empty());
        // New sales of 70.00 bring earned to 125.00: the payout is 65.00, not 70.00.
        let paid = run(&mut state, 125_000_000, false, now);
        assert_eq!(paid[0].amount, Amount::from_micros(65_000_000));
    }

    #[test]
    fn a_returned_payout_is_unsettled_again_once() {
        let now = at("2026-12-01T10:00:00Z");
        let mut state = with_settings(now);
        let paid = run(&mut state, 60_000_000, false, now);
        let id = paid[0].id;
        let returned = state.decide_return(id, "AC04 closed account", now).unwrap();
        state.apply(&returned);
        assert_eq!(
            state.unsettled(VENDOR, usd(), NetTotal::from_micros(60_000_000)),
            NetTotal::from_micros(60_000_000)
        );
        assert_eq!(
            state.decide_return(id, "again", now),
            Err(Reject::PayoutReturnedAlready)
        );
        assert_eq!(
            state.decide_return(PayoutId(999), "x", now),
            Err(Reject::PayoutUnknown)
        );
    }

    #[test]
    fn one_run_at_a_time_and_payees_without_settings_are_not_paid() {
        let now = at("2026-12-01T10:00:00Z");
        let mut state = with_settings(now);
        let earned = BTreeMap::from([
            ((VENDOR, usd()), NetTotal::from_micros(80_000_000)),
            (
                (Payee::Vendor(VendorId(2)), usd()),
                NetTotal::from_micros(80_000_000),
            ),
        ]);
        let scope = RunScope {
            payees: None,
            force: true,
        };
        let mut ids = (1..).map(PayoutId);
        let started = state
            .decide_run(SettlementRunId(1), &earned, &scope, &mut ids, now)
            .unwrap();
        state.apply(&started);
        let SettlementEvent::RunStarted { payouts, .. } = &started else {
            panic!("a run starts");
        };
        assert_eq!(payouts.len(), 1, "vendor 2 has no bank details");
        assert_eq!(
            state.decide_run(SettlementRunId(2), &earned, &scope, &mut ids, now),
            Err(Reject::SettlementRunInProgress)
        );
        assert_eq!(
            state.decide_finish(SettlementRunId(2), None, now),
            Err(Reject::SettlementRunUnknown)
        );
        // Scoped to one payee.
        let finished = state.decide_finish(SettlementRunId(1), None, now).unwrap();
        state.apply(&finished);
        let only = RunScope {
            payees: Some(BTreeSet::from([Payee::Vendor(VendorId(3))])),
            force: true,
        };
        let event = state
            .decide_run(SettlementRunId(3), &earned, &only, &mut ids, now)
            .unwrap();
        assert!(
            matches!(event, SettlementEvent::RunStarted { ref payouts, .. } if payouts.is_empty())
        );
    }

    #[test]
    fn rights_holders_are_checked() {
        let state = SettlementState::default();
        let now = Timestamp(0);
        assert!(
            state
                .decide_register(RightsHolderId(1), "  ", usd(), now)
                .is_err()
        );
        let event = state
            .decide_register(RightsHolderId(1), " Ada ", usd(), now)
            .unwrap();
        let mut state = state;
        state.apply(&event);
        assert_eq!(state.rights_holders[&RightsHolderId(1)].name, "Ada");
        assert_eq!(
            state.decide_register(RightsHolderId(1), "Ada", usd(), now),
            Err(Reject::RightsHolderExists)
        );
        let rule = PayoutRule {
            threshold: Amount::ZERO,
            schedule: Schedule::parse("monthly", 1).unwrap(),
            minimum: Amount::ZERO,
        };
        assert_eq!(
            state.decide_settings(Payee::RightsHolder(RightsHolderId(2)), rule, bank(), now),
            Err(Reject::RightsHolderUnknown)
        );
    }
}
