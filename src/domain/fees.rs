//! The MSP's fee on a vendor's sales and the commissions it pays vendors ([0149], [0197],
//! [0203]-[0204], [0210]-[0211], [0239]).
//!
//! **Fees are a sliding scale applied like tax brackets.** A schedule has tiers of fee base in a
//! period (a calendar month or quarter, UTC), each with a rate that falls as volume grows; a
//! tier's rate applies to the part of the base inside that tier, so crossing a boundary never
//! lowers the fee already earned. The base is the vendor's gross less what its own incentives
//! paid. A flat rate is the one-tier schedule.
//!
//! **One rounding rule, the remainder carried.** Fees are never computed per sale (a sale of
//! 0.001 at 0.0333% would round to nothing, and a million of them would lose 333 units of
//! money). A period's fee is kept exact, in micro-units times parts per million ([`Exact`]);
//! the vendor's fees are the exact sum over all its periods, rounded down to the micro-unit
//! once, in the vendor's favour. What rounding leaves is carried in the sum, never dropped,
//! so the fee on the whole history is within one micro-unit of the exact one. Commissions
//! (ppm of referred purchases and of funds bought through a vendor) follow the same rule.
//!
//! **A rate change re-prices the period it is made in.** The schedule (or commission rates)
//! in effect for a month is the last one set before the month ended; earlier months keep
//! theirs. So history is a pure fold whatever order a replay meets the vendor's own events
//! and its sales in, and a change in mid-month applies to the whole month, like a bracket
//! change to the whole tax year. Amounts paid out before the change stay paid: the difference
//! is carried in the vendor's unsettled balance. (Rejected: the rate in effect at each sale,
//! which needs per-sale fees and brings back the rounding loss.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::money::{Amount, Total};
use super::time::Timestamp;

/// Parts per million in one whole: the largest rate.
pub const PPM_MAX: u32 = 1_000_000;
/// Most tiers in one schedule.
pub const TIERS_MAX: usize = 16;

/// An amount in micro-units times parts per million: a rate applied to an amount, before
/// rounding. `u128` holds any `Total` of realistic size times a rate; the operations saturate
/// rather than wrap, and the rounded result is capped by the base it was computed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Exact(u128);

impl Exact {
    /// Nothing.
    pub const ZERO: Exact = Exact(0);

    /// `amount × rate_ppm`, exactly.
    #[must_use]
    pub fn of(amount: Total, rate_ppm: u32) -> Exact {
        Exact(amount.micros().saturating_mul(u128::from(rate_ppm)))
    }

    /// From its raw value (storage).
    #[must_use]
    pub const fn from_raw(raw: u128) -> Exact {
        Exact(raw)
    }

    /// The raw value (storage).
    #[must_use]
    pub const fn raw(self) -> u128 {
        self.0
    }

    /// The sum, saturating (a saturated sum is capped by its base when rounded).
    #[must_use]
    pub fn plus(self, other: Exact) -> Exact {
        Exact(self.0.saturating_add(other.0))
    }

    /// The difference, `None` below zero.
    #[must_use]
    pub fn checked_minus(self, other: Exact) -> Option<Exact> {
        self.0.checked_sub(other.0).map(Exact)
    }

    /// Rounded down to the micro-unit: the one rounding rule.
    #[must_use]
    pub fn floor(self) -> Total {
        Total::from_micros(self.0.checked_div(u128::from(PPM_MAX)).unwrap_or(0))
    }
}

/// A calendar month in UTC, counted from year 0 (`year × 12 + month − 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month(pub i32);

impl Month {
    /// The month an instant falls in (instants beyond the calendar's range clamp to its ends).
    #[must_use]
    pub fn of(at: Timestamp) -> Month {
        let date = utc_date(at);
        Month(
            i32::from(date.year())
                .saturating_mul(12)
                .saturating_add(i32::from(date.month()))
                .saturating_sub(1),
        )
    }

    /// Year and month (1-12), for display.
    #[must_use]
    pub fn year_month(self) -> (i32, u8) {
        let year = self.0.div_euclid(12);
        let month = u8::try_from(self.0.rem_euclid(12).saturating_add(1)).unwrap_or(1);
        (year, month)
    }

    /// The calendar quarter it belongs to, counted like months.
    #[must_use]
    pub fn quarter(self) -> i32 {
        self.0.div_euclid(3)
    }

    /// The first instant after the month: changes before it apply to the month.
    #[must_use]
    pub fn end(self) -> Timestamp {
        let (year, month) = Month(self.0.saturating_add(1)).year_month();
        let Ok(year) = i16::try_from(year) else {
            return Timestamp(if year < 0 { i64::MIN } else { i64::MAX });
        };
        jiff::civil::Date::new(year, i8::try_from(month).unwrap_or(1), 1)
            .ok()
            .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map_or(Timestamp(i64::MAX), |zoned| {
                Timestamp(zoned.timestamp().as_millisecond())
            })
    }
}

/// The UTC calendar date of an instant, clamped to jiff's range.
#[must_use]
pub fn utc_date(at: Timestamp) -> jiff::civil::Date {
    let clamped = at.0.clamp(
        jiff::Timestamp::MIN.as_millisecond(),
        jiff::Timestamp::MAX.as_millisecond(),
    );
    jiff::Timestamp::from_millisecond(clamped)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// The length of a fee period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeePeriod {
    /// A calendar month, UTC.
    Month,
    /// A calendar quarter (January-March, ...), UTC.
    Quarter,
}

impl FeePeriod {
    /// The wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FeePeriod::Month => "month",
            FeePeriod::Quarter => "quarter",
        }
    }

    /// The key of the period a month belongs to.
    #[must_use]
    fn key(self, month: Month) -> i32 {
        match self {
            FeePeriod::Month => month.0,
            FeePeriod::Quarter => month.quarter(),
        }
    }
}

/// One tier: from this much fee base in the period, this rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTier {
    /// Where the tier starts (the first tier starts at zero).
    pub from_gross: Amount,
    /// Its rate, parts per million.
    pub rate_ppm: u32,
}

/// A vendor's fee schedule: tiers of fee base per period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    /// Month or quarter.
    pub period: FeePeriod,
    /// 1 to [`TIERS_MAX`] tiers, the first from zero, starts rising, rates not rising.
    pub tiers: Vec<FeeTier>,
}

/// A fee schedule breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {rule}")]
pub struct FeeScheduleInvalid {
    /// The wire name of the field.
    pub param: &'static str,
    /// The rule, as the edge shows it.
    pub rule: &'static str,
}

impl FeeSchedule {
    /// The one-tier schedule: `rate_ppm` of the base, by month.
    #[must_use]
    pub fn flat(rate_ppm: u32) -> FeeSchedule {
        FeeSchedule {
            period: FeePeriod::Month,
            tiers: vec![FeeTier {
                from_gross: Amount::ZERO,
                rate_ppm: rate_ppm.min(PPM_MAX),
            }],
        }
    }

    /// Checks a schedule: 1 to 16 tiers; the first from 0; each tier starting above the one
    /// before; rates at most 1,000,000 ppm and never rising from one tier to the next.
    ///
    /// # Errors
    /// The rule the first failing check names.
    pub fn new(period: FeePeriod, tiers: Vec<FeeTier>) -> Result<FeeSchedule, FeeScheduleInvalid> {
        let invalid = |rule| FeeScheduleInvalid {
            param: "tiers",
            rule,
        };
        if tiers.is_empty() || tiers.len() > TIERS_MAX {
            return Err(invalid("1 to 16 tiers"));
        }
        if tiers.first().map(|tier| tier.from_gross) != Some(Amount::ZERO) {
            return Err(invalid("the first tier starts at from_gross 0"));
        }
        if tiers.iter().any(|tier| tier.rate_ppm > PPM_MAX) {
            return Err(invalid("rate_ppm is 0 to 1000000"));
        }
        for pair in tiers.windows(2) {
            if let [lower, upper] = pair {
                if upper.from_gross <= lower.from_gross {
                    return Err(invalid("each tier starts above the one before"));
                }
                if upper.rate_ppm > lower.rate_ppm {
                    return Err(invalid("rates fall (or stay) as volume grows"));
                }
            }
        }
        Ok(FeeSchedule { period, tiers })
    }

    /// The exact fee on `base` (one period's fee base): each tier's rate on the part of the
    /// base inside it.
    #[must_use]
    pub fn exact_fee(&self, base: Total) -> Exact {
        let mut fee = Exact::ZERO;
        let mut tiers = self.tiers.iter().peekable();
        while let Some(tier) = tiers.next() {
            let start = Total::from_micros(u128::from(tier.from_gross.micros()));
            if base <= start {
                break;
            }
            let end = tiers
                .peek()
                .map(|next| Total::from_micros(u128::from(next.from_gross.micros())))
                .map_or(base, |next| next.min(base));
            let inside = end.checked_sub_total(start).unwrap_or(Total::ZERO);
            fee = fee.plus(Exact::of(inside, tier.rate_ppm));
        }
        fee
    }

    /// The index of the tier `base` has reached (0 for the first).
    #[must_use]
    pub fn tier_reached(&self, base: Total) -> usize {
        self.tiers
            .iter()
            .skip(1)
            .take_while(|tier| Total::from_micros(u128::from(tier.from_gross.micros())) < base)
            .count()
    }
}

/// What a vendor earns for bringing the MSP money: parts per million of what members it
/// referred buy (at any vendor) and of funds bought through its site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRates {
    /// Of each purchase by a member it referred, within the referral window.
    pub referral_rate_ppm: u32,
    /// Of funds a member bought through its site (a top-off at its buy window or authorize).
    pub funds_rate_ppm: u32,
}

impl CommissionRates {
    /// Checks both rates: 0 to 1,000,000 ppm.
    ///
    /// # Errors
    /// `FeeScheduleInvalid` naming the rate above the whole.
    pub fn new(
        referral_rate_ppm: u32,
        funds_rate_ppm: u32,
    ) -> Result<CommissionRates, FeeScheduleInvalid> {
        for (param, rate) in [
            ("referral_rate_ppm", referral_rate_ppm),
            ("funds_rate_ppm", funds_rate_ppm),
        ] {
            if rate > PPM_MAX {
                return Err(FeeScheduleInvalid {
                    param,
                    rule: "0 to 1000000 parts per million",
                });
            }
        }
        Ok(CommissionRates {
            referral_rate_ppm,
            funds_rate_ppm,
        })
    }
}

/// A setting with the instants it changed, so each month can be priced with the one in
/// effect for it. At most one entry per month is kept (an earlier one of the same month is
/// never in effect for any month), so the history grows with time, not with changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateHistory<T> {
    /// Changes in the order made, each with when.
    changes: Vec<(Timestamp, T)>,
}

impl<T: Clone> RateHistory<T> {
    /// A history that starts with `first`, set at `at`.
    #[must_use]
    pub fn starting(at: Timestamp, first: T) -> RateHistory<T> {
        RateHistory {
            changes: vec![(at, first)],
        }
    }

    /// From stored changes; `None` when empty.
    #[must_use]
    pub fn from_changes(changes: Vec<(Timestamp, T)>) -> Option<RateHistory<T>> {
        (!changes.is_empty()).then_some(RateHistory { changes })
    }

    /// The changes, oldest first.
    #[must_use]
    pub fn changes(&self) -> &[(Timestamp, T)] {
        &self.changes
    }

    /// Records a change at `at`; a change earlier in the same month is superseded.
    pub fn set(&mut self, at: Timestamp, value: T) {
        let month = Month::of(at);
        if self.changes.len() > 1
            && self
                .changes
                .last()
                .is_some_and(|(last, _)| Month::of(*last) == month)
        {
            self.changes.pop();
        }
        self.changes.push((at, value));
    }

    /// The setting in effect for `month`: the last one set before the month ended (the
    /// first one for months before it was set).
    #[must_use]
    pub fn for_month(&self, month: Month) -> &T {
        let end = month.end();
        let mut effective = self.changes.first();
        for change in &self.changes {
            if change.0 < end {
                effective = Some(change);
            }
        }
        // `changes` is never empty (every constructor gives one entry).
        match effective {
            Some((_, value)) => value,
            None => unreachable_empty_history(),
        }
    }

    /// The setting in effect now.
    #[must_use]
    pub fn current(&self) -> &T {
        match self.changes.last() {
            Some((_, value)) => value,
            None => unreachable_empty_history(),
        }
    }
}

#[cold]
fn unreachable_empty_history() -> ! {
    unreachable!("a rate history always holds its first setting")
}

/// What a vendor's ledger counts in one month of one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSales {
    /// Gross less what the vendor's own incentives paid: the fee base.
    pub fee_base: Total,
    /// Purchases (at any vendor) by members this vendor referred, within their window.
    pub referred: Total,
    /// Funds members bought through this vendor's site.
    pub funds: Total,
}

/// The fees of a vendor's months in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeesDue {
    /// Every period's exact fee, summed.
    pub exact: Exact,
    /// The period `now` is in: its fee base, exact fee and the tier reached.
    pub current: CurrentPeriod,
}

/// Where the vendor stands in the period in progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CurrentPeriod {
    /// Fee base so far.
    pub fee_base: Total,
    /// Fee so far, exact.
    pub fee: Exact,
    /// Tier reached (0 for the first).
    pub tier: usize,
}

/// The fees of `months` under `schedules`: the months are grouped into the periods of the
/// schedule in effect for each, and each period's fee is taken on its summed base.
#[must_use]
pub fn fees_due(
    months: &BTreeMap<Month, MonthSales>,
    schedules: &RateHistory<FeeSchedule>,
    now: Timestamp,
) -> FeesDue {
    let now_month = Month::of(now);
    let current_schedule = schedules.for_month(now_month);
    let current_key = current_schedule.period.key(now_month);
    // Months come in order, so a period's months are adjacent: one running group.
    let mut due = FeesDue::default();
    let mut group: Option<(&FeeSchedule, i32, Total)> = None;
    let close = |group: Option<(&FeeSchedule, i32, Total)>, due: &mut FeesDue| {
        if let Some((schedule, key, base)) = group {
            let fee = schedule.exact_fee(base);
            due.exact = due.exact.plus(fee);
            if std::ptr::eq(schedule, current_schedule) && key == current_key {
                due.current = CurrentPeriod {
                    fee_base: base,
                    fee,
                    tier: schedule.tier_reached(base),
                };
            }
        }
    };
    for (month, sales) in months {
        let schedule = schedules.for_month(*month);
        let key = schedule.period.key(*month);
        group = match group {
            Some((open, open_key, base)) if std::ptr::eq(open, schedule) && open_key == key => {
                Some((
                    open,
                    key,
                    base.checked_add_total(sales.fee_base).unwrap_or(base),
                ))
            }
            other => {
                close(other, &mut due);
                Some((schedule, key, sales.fee_base))
            }
        };
    }
    close(group, &mut due);
    due
}

/// The commissions of `months` under `rates`, exact: each month's referred purchases and
/// funds at the rates in effect for it.
#[must_use]
pub fn commissions_due(
    months: &BTreeMap<Month, MonthSales>,
    rates: &RateHistory<CommissionRates>,
) -> Exact {
    months.iter().fold(Exact::ZERO, |sum, (month, sales)| {
        let rate = rates.for_month(*month);
        sum.plus(Exact::of(sales.referred, rate.referral_rate_ppm))
            .plus(Exact::of(sales.funds, rate.funds_rate_ppm))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH_MS: i64 = 31 * 86_400_000;

    fn micros(n: u128) -> Total {
        Total::from_micros(n)
    }

    fn amount(n: u64) -> Amount {
        Amount::from_micros(n)
    }

    /// 5% to 100.00, 3% to 1,000.00, 1% above.
    fn sliding(period: FeePeriod) -> FeeSchedule {
        FeeSchedule::new(
            period,
            vec![
                FeeTier {
                    from_gross: Amount::ZERO,
                    rate_ppm: 50_000,
                },
                FeeTier {
                    from_gross: amount(100_000_000),
                    rate_ppm: 30_000,
                },
                FeeTier {
                    from_gross: amount(1_000_000_000),
                    rate_ppm: 10_000,
                },
            ],
        )
        .unwrap()
    }

    fn at(year: i16, month: i8, day: i8) -> Timestamp {
        let zoned = jiff::civil::date(year, month, day)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap();
        Timestamp(zoned.timestamp().as_millisecond())
    }

    #[test]
    fn each_tier_edge_is_marginal_and_never_lowers_the_fee() {
        let schedule = sliding(FeePeriod::Month);
        let fee = |base: u128| schedule.exact_fee(micros(base)).floor().micros();
        // Below, at and just past the first edge (100.00): the rate changes only for what is
        // past the edge.
        assert_eq!(fee(99_999_999), 4_999_999);
        assert_eq!(fee(100_000_000), 5_000_000);
        assert_eq!(fee(100_000_001), 5_000_000); // 5% of 100 + 3% of 0.000001 = 0.03 micro
        assert_eq!(fee(100_000_034), 5_000_001);
        // The second edge (1,000.00): 5 + 27 = 32.
        assert_eq!(fee(1_000_000_000), 32_000_000);
        assert_eq!(fee(1_000_000_100), 32_000_001);
        assert_eq!(fee(2_000_000_000), 42_000_000);
        assert_eq!(schedule.tier_reached(micros(100_000_000)), 0);
        assert_eq!(schedule.tier_reached(micros(100_000_001)), 1);
        assert_eq!(schedule.tier_reached(micros(1_000_000_001)), 2);
        // Monotonic across every edge: one micro-unit more never costs less.
        for edge in [100_000_000_u128, 1_000_000_000] {
            for base in edge - 50..edge + 50 {
                assert!(
                    schedule.exact_fee(micros(base + 1)) >= schedule.exact_fee(micros(base)),
                    "fee fell at {base}"
                );
            }
        }
        assert_eq!(fee(0), 0);
    }

    #[test]
    fn a_million_sales_of_a_tenth_of_a_cent_lose_nothing_to_rounding() {
        // 333 ppm of 0.001 is 0.333 micro-units: per sale it would round to 0, so a per-sale
        // fee would lose 333 micro-units over a million sales. On the aggregate it is exact.
        let schedule = FeeSchedule::flat(333);
        let mut months = BTreeMap::new();
        let now = at(2026, 11, 15);
        let month = Month::of(now);
        for _ in 0..1_000_000 {
            let sales: &mut MonthSales = months.entry(month).or_default();
            sales.fee_base = sales.fee_base.checked_add(amount(1_000)).unwrap();
        }
        let history = RateHistory::starting(at(2026, 1, 1), schedule);
        let due = fees_due(&months, &history, now);
        assert_eq!(due.exact.floor(), micros(333_000));
        assert_eq!(due.current.fee_base, micros(1_000_000_000));
        // And the remainder is carried across periods: 0.5 micro in each of two months is
        // one micro-unit in all, not zero twice.
        let half = FeeSchedule::flat(500_000);
        let history = RateHistory::starting(at(2026, 1, 1), half);
        let two_months: BTreeMap<Month, MonthSales> = [at(2026, 1, 5), at(2026, 2, 5)]
            .into_iter()
            .map(|day| {
                (
                    Month::of(day),
                    MonthSales {
                        fee_base: micros(1),
                        ..MonthSales::default()
                    },
                )
            })
            .collect();
        assert_eq!(
            fees_due(&two_months, &history, now).exact.floor(),
            micros(1)
        );
    }

    #[test]
    fn periods_group_months_by_the_schedule_in_effect() {
        let jan = Month::of(at(2026, 1, 10));
        let feb = Month::of(at(2026, 2, 10));
        let apr = Month::of(at(2026, 4, 10));
        let months: BTreeMap<Month, MonthSales> = [jan, feb, apr]
            .into_iter()
            .map(|month| {
                (
                    month,
                    MonthSales {
                        fee_base: micros(60_000_000),
                        ..MonthSales::default()
                    },
                )
            })
            .collect();
        // By month: three periods of 60.00 at 5% each = 9.00.
        let monthly = RateHistory::starting(at(2025, 1, 1), sliding(FeePeriod::Month));
        assert_eq!(
            fees_due(&months, &monthly, at(2026, 4, 20)).exact.floor(),
            micros(9_000_000)
        );
        // By quarter: Q1 has 120.00 (5% of 100 + 3% of 20 = 5.60), Q2 60.00 (3.00).
        let quarterly = RateHistory::starting(at(2025, 1, 1), sliding(FeePeriod::Quarter));
        let due = fees_due(&months, &quarterly, at(2026, 4, 20));
        assert_eq!(due.exact.floor(), micros(8_600_000));
        assert_eq!(due.current.fee_base, micros(60_000_000));
        assert_eq!(due.current.tier, 0);
        // In February the quarter in progress is Q1, past its first edge.
        let due = fees_due(&months, &quarterly, at(2026, 2, 20));
        assert_eq!(due.current.fee_base, micros(120_000_000));
        assert_eq!(due.current.tier, 1);
        assert_eq!(due.current.fee.floor(), micros(5_600_000));
    }

    #[test]
    fn a_change_reprices_its_own_month_and_keeps_earlier_ones() {
        let jan = Month::of(at(2026, 1, 10));
        let feb = Month::of(at(2026, 2, 10));
        let months: BTreeMap<Month, MonthSales> = [jan, feb]
            .into_iter()
            .map(|month| {
                (
                    month,
                    MonthSales {
                        fee_base: micros(100_000_000),
                        ..MonthSales::default()
                    },
                )
            })
            .collect();
        let mut history = RateHistory::starting(at(2025, 6, 1), FeeSchedule::flat(50_000));
        history.set(at(2026, 2, 27), FeeSchedule::flat(10_000));
        // January at 5% (5.00), February at the rate set in February (1.00).
        assert_eq!(
            fees_due(&months, &history, at(2026, 2, 28)).exact.floor(),
            micros(6_000_000)
        );
        // Two changes in one month: only the later one was ever in effect.
        history.set(at(2026, 2, 28), FeeSchedule::flat(20_000));
        assert_eq!(history.changes().len(), 2);
        assert_eq!(history.for_month(feb), &FeeSchedule::flat(20_000));
        assert_eq!(history.for_month(jan), &FeeSchedule::flat(50_000));
        // A month before the first setting takes the first.
        assert_eq!(
            history.for_month(Month::of(at(2020, 1, 1))),
            &FeeSchedule::flat(50_000)
        );
    }

    #[test]
    fn commissions_take_each_kind_at_its_rate() {
        let month = Month::of(at(2026, 3, 3));
        let months = BTreeMap::from([(
            month,
            MonthSales {
                fee_base: micros(1_000_000_000),
                referred: micros(10_000_000),
                funds: micros(50_000_000),
            },
        )]);
        let rates = RateHistory::starting(
            at(2026, 1, 1),
            CommissionRates {
                referral_rate_ppm: 100_000,
                funds_rate_ppm: 20_000,
            },
        );
        // 10% of 10.00 referred + 2% of 50.00 funds; the fee base earns no commission.
        assert_eq!(commissions_due(&months, &rates).floor(), micros(2_000_000));
        let none = RateHistory::starting(at(2026, 1, 1), CommissionRates::default());
        assert_eq!(commissions_due(&months, &none), Exact::ZERO);
    }

    #[test]
    fn schedules_are_checked() {
        let tier = |from: u64, rate: u32| FeeTier {
            from_gross: amount(from),
            rate_ppm: rate,
        };
        let check = |tiers| {
            FeeSchedule::new(FeePeriod::Month, tiers)
                .err()
                .map(|e| e.rule)
        };
        assert_eq!(check(vec![]), Some("1 to 16 tiers"));
        assert_eq!(check(vec![tier(0, 1); 17]), Some("1 to 16 tiers"));
        assert!(check(vec![tier(1, 1)]).is_some());
        assert!(check(vec![tier(0, 1_000_001)]).is_some());
        assert!(
            check(vec![tier(0, 10), tier(5, 20)]).is_some(),
            "rising rate"
        );
        assert!(check(vec![tier(0, 10), tier(0, 5)]).is_some(), "same start");
        assert_eq!(check(vec![tier(0, 1_000_000), tier(5, 1_000_000)]), None);
        assert_eq!(FeeSchedule::flat(2_000_000).tiers[0].rate_ppm, PPM_MAX);
    }

    #[test]
    fn months_and_their_ends_are_utc_calendar_months() {
        let jan = Month::of(at(2026, 1, 31));
        assert_eq!(jan.year_month(), (2026, 1));
        assert_eq!(jan.end(), at(2026, 2, 1));
        assert_eq!(Month::of(Timestamp(at(2026, 2, 1).0 - 1)), jan);
        assert_eq!(Month::of(at(2026, 12, 31)).end(), at(2027, 1, 1));
        assert_eq!(Month::of(at(2026, 3, 31)).quarter(), jan.quarter());
        assert_ne!(Month::of(at(2026, 4, 1)).quarter(), jan.quarter());
        // The calendar's ends never panic.
        let _ = Month::of(Timestamp(i64::MIN)).end();
        let _ = Month::of(Timestamp(i64::MAX)).end();
        assert!(Month::of(Timestamp(MONTH_MS)) > Month::of(Timestamp(0)));
    }
}
