//! When a payee (a vendor or a rights holder) is paid, and how much. Pure: the caller passes
//! the unsettled net, the payee's rule, the last instant it considered and `now`; nothing here
//! reads a clock or records anything. Depends only on `money`, `time` and `jiff`'s calendar.
//!
//! **How much.** A payout is the unsettled net rounded *down* to whole minor units of the
//! currency (cents for USD, yen for JPY): [`payable`]. The sub-cent remainder stays unsettled
//! and is carried into the next payout. A negative net (a reversal after the money was
//! settled: clawed back from later sales) is never paid, and is not a debit either: later
//! sales offset it. (Rejected: rounding to the nearest cent, which would pay up to half a cent
//! the payee has not earned yet.)
//!
//! **When.** A payee with a [`PayoutRule`] is paid when its payable reaches the rule's
//! threshold, or on a scheduled date if the payable is at least the rule's minimum. Below the
//! minimum a scheduled date passes without payment and the money waits for the next date or
//! the threshold. An operator may force payment of any positive payable, rule or not.
//! [`decide_due`] applies these in a fixed order of precedence:
//!
//! 1. payable zero: [`Due::NotDue`], even when forced (there is nothing positive to pay);
//! 2. forced: [`Due::Forced`];
//! 3. no rule (the payee has no settlement settings): [`Due::NotDue`];
//! 4. threshold above zero and reached: [`Due::Threshold`];
//! 5. a scheduled instant in `(last_considered, now]`: [`Due::Scheduled`] when the payable is
//!    at least the minimum, else [`Due::BelowMinimum`];
//! 6. otherwise [`Due::NotDue`].
//!
//! A threshold of zero means "no threshold" (the payee is paid on its schedule only); a
//! minimum of zero means any positive payable is paid on a scheduled date. The threshold and
//! the minimum are compared with the payable (whole minor units), not with the raw net, so a
//! USD threshold of 10.005 is reached at 10.01.
//!
//! (Rejected: paying a scheduled date whatever the minimum, which sends transfers that cost
//! more in bank fees than they carry; and keeping a date "open" until the minimum is reached,
//! which would turn the schedule into a second threshold and pay on arbitrary days.)
//!
//! **Schedules.** [`Schedule`] is weekly (an ISO weekday), twice monthly (`day` and `day + 15`,
//! `day` in 1..=15) or monthly (`day` in 1..=31). A day past the end of a short month is
//! clamped to the month's last day: monthly 31 is the last day of every month, twice monthly
//! 15 pays on the 15th and the 30th (28th or 29th in February). (Rejected for twice monthly:
//! "`day` and the last day of the month", whose halves are uneven, down to one day apart for
//! `day` = 1 in a 31-day month; `day + 15` keeps the halves about even and, with `day` at most
//! 15, always gives two distinct dates.)
//! Scheduled dates are UTC calendar dates and a date's scheduled instant is its UTC midnight,
//! so an instant exactly at 00:00:00Z is on that date. (Rejected: the payee's own time zone;
//! settlement is one operator batch, and one calendar keeps every payee's batch aligned.)
//!
//! **Calendar range.** `Timestamp` holds any `i64` of milliseconds but `jiff`'s calendar spans
//! the years -9999 to 9999. Instants outside that span are clamped to its ends before they
//! become dates, so no input panics; [`Schedule::latest_on_or_before`] answers
//! `Timestamp(i64::MIN)` when no scheduled instant in the span is at or before `now`, and
//! [`Schedule::next_after`] answers `Timestamp(i64::MAX)` when none in the span is after it.
//!
//! **The caller's bookkeeping.** `last_considered` makes each scheduled date count once. The
//! caller sets it to `now` when a rule is first set or changed (so a date before the rule does
//! not fire at once), and to `now` again after acting on any outcome but [`Due::NotDue`].
//! Setting it after `NotDue` too is harmless and also lets a date on which nothing was owed
//! pass; [`Schedule::date_passed`] tells whether a date fell in the window.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::money::{Amount, Currency, MICROS_PER_UNIT, NetTotal};
use super::time::Timestamp;

/// Wire name of the weekly schedule.
const WEEKLY: &str = "weekly";
/// Wire name of the twice-monthly schedule.
const TWICE_MONTHLY: &str = "twice_monthly";
/// Wire name of the monthly schedule.
const MONTHLY: &str = "monthly";

/// Largest first payday of a twice-monthly schedule.
const TWICE_MONTHLY_DAY_MAX: u8 = 15;
/// Days from the first payday of a twice-monthly schedule to the second.
const TWICE_MONTHLY_GAP_DAYS: u8 = 15;
/// Largest payday of a monthly schedule (the last day of every month).
const MONTHLY_DAY_MAX: u8 = 31;
/// Days in the shortest month.
const SHORTEST_MONTH_DAYS: u8 = 28;

// The first payday is before the shortest month's last day, so the two paydays of a
// twice-monthly schedule never fall on the same date, even in February.
const _: () = assert!(TWICE_MONTHLY_DAY_MAX < SHORTEST_MONTH_DAYS);

/// When a payee's scheduled settlement dates fall (UTC calendar dates).
///
/// Build it with [`Schedule::parse`]; a variant built by hand with an out-of-range day is not
/// refused but clamped to the month (or, for a day of 0, to its first day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredSchedule", into = "StoredSchedule")]
pub enum Schedule {
    /// Every week on one weekday.
    Weekly {
        /// The weekday paid on.
        weekday: Weekday,
    },
    /// Twice a month: on `day` and on `day + 15`, the latter clamped to the month's last day.
    TwiceMonthly {
        /// The first payday, 1 to 15.
        day: u8,
    },
    /// Once a month on `day`, clamped to the month's last day (31 = the last day).
    Monthly {
        /// The payday, 1 to 31.
        day: u8,
    },
}

/// A schedule parameter breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {rule}")]
pub struct ScheduleInvalid {
    /// The wire name of the field: `schedule.kind` or `schedule.day`.
    pub param: &'static str,
    /// The rule, as the edge shows it.
    pub rule: &'static str,
}

/// How a schedule is stored: the weekday as its ISO number (1 = Monday), because `jiff`'s
/// `Weekday` has no serde form here; decoding goes back through [`Schedule::parse`], so a
/// stored schedule with an out-of-range day is refused rather than clamped.
#[derive(Serialize, Deserialize)]
enum StoredSchedule {
    /// [`Schedule::Weekly`], the weekday as 1..=7.
    Weekly { weekday: u8 },
    /// [`Schedule::TwiceMonthly`].
    TwiceMonthly { day: u8 },
    /// [`Schedule::Monthly`].
    Monthly { day: u8 },
}

impl From<Schedule> for StoredSchedule {
    fn from(schedule: Schedule) -> StoredSchedule {
        match schedule {
            Schedule::Weekly { weekday } => StoredSchedule::Weekly {
                weekday: iso_weekday(weekday),
            },
            Schedule::TwiceMonthly { day } => StoredSchedule::TwiceMonthly { day },
            Schedule::Monthly { day } => StoredSchedule::Monthly { day },
        }
    }
}

impl TryFrom<StoredSchedule> for Schedule {
    type Error = ScheduleInvalid;

    fn try_from(stored: StoredSchedule) -> Result<Schedule, ScheduleInvalid> {
        match stored {
            StoredSchedule::Weekly { weekday } => Schedule::parse(WEEKLY, weekday),
            StoredSchedule::TwiceMonthly { day } => Schedule::parse(TWICE_MONTHLY, day),
            StoredSchedule::Monthly { day } => Schedule::parse(MONTHLY, day),
        }
    }
}

impl Schedule {
    /// Reads a schedule from its wire values: `kind` is `weekly` (`day` 1 to 7, the ISO
    /// weekday, 1 = Monday), `twice_monthly` (`day` 1 to 15) or `monthly` (`day` 1 to 31).
    ///
    /// # Errors
    /// `ScheduleInvalid` naming `schedule.kind` for an unknown kind, else `schedule.day` for a
    /// day outside the kind's range.
    pub fn parse(kind: &str, day: u8) -> Result<Schedule, ScheduleInvalid> {
        let day_invalid = |rule| ScheduleInvalid {
            param: "schedule.day",
            rule,
        };
        match kind {
            WEEKLY => weekday_from_iso(day)
                .map(|weekday| Schedule::Weekly { weekday })
                .ok_or(day_invalid(
                    "1 to 7 for a weekly schedule (the ISO weekday, 1 = Monday)",
                )),
            TWICE_MONTHLY if (1..=TWICE_MONTHLY_DAY_MAX).contains(&day) => {
                Ok(Schedule::TwiceMonthly { day })
            }
            TWICE_MONTHLY => Err(day_invalid(
                "1 to 15 for a twice-monthly schedule (paid on that day and 15 days later)",
            )),
            MONTHLY if (1..=MONTHLY_DAY_MAX).contains(&day) => Ok(Schedule::Monthly { day }),
            MONTHLY => Err(day_invalid(
                "1 to 31 for a monthly schedule (31 = the last day of every month)",
            )),
            _ => Err(ScheduleInvalid {
                param: "schedule.kind",
                rule: "one of weekly, twice_monthly, monthly",
            }),
        }
    }

    /// The wire kind: `weekly`, `twice_monthly` or `monthly`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Weekly { .. } => WEEKLY,
            Schedule::TwiceMonthly { .. } => TWICE_MONTHLY,
            Schedule::Monthly { .. } => MONTHLY,
        }
    }

    /// The wire day: the ISO weekday (1 = Monday) for `weekly`, else the day of the month.
    #[must_use]
    pub fn day(&self) -> u8 {
        match *self {
            Schedule::Weekly { weekday } => iso_weekday(weekday),
            Schedule::TwiceMonthly { day } | Schedule::Monthly { day } => day,
        }
    }

    /// The most recent scheduled instant (a scheduled date's UTC midnight) at or before `now`;
    /// `now` itself when it is exactly such a midnight. `Timestamp(i64::MIN)` when there is
    /// none in the calendar's span (see the module docs); never an instant after `now`.
    #[must_use]
    pub fn latest_on_or_before(&self, now: Timestamp) -> Timestamp {
        self.latest_date(utc_date(now))
            .and_then(midnight)
            .filter(|scheduled| *scheduled <= now)
            .unwrap_or(Timestamp(i64::MIN))
    }

    /// The first scheduled instant strictly after `now` (the "next settlement date").
    /// `Timestamp(i64::MAX)` when there is none in the calendar's span.
    #[must_use]
    pub fn next_after(&self, now: Timestamp) -> Timestamp {
        self.next_date(utc_date(now))
            .and_then(midnight)
            .filter(|scheduled| *scheduled > now)
            .unwrap_or(Timestamp(i64::MAX))
    }

    /// True when a scheduled instant `s` with `last_considered < s <= now` exists: a date
    /// passed that has not been considered yet.
    #[must_use]
    pub fn date_passed(&self, last_considered: Timestamp, now: Timestamp) -> bool {
        // `latest_on_or_before` answers `i64::MIN` for "none", which is never greater.
        self.latest_on_or_before(now) > last_considered
    }

    /// The latest scheduled date on or before `today`, or `None` past the calendar's start.
    fn latest_date(self, today: Date) -> Option<Date> {
        match self {
            Schedule::Weekly { weekday } if today.weekday() == weekday => Some(today),
            // `nth_weekday(-1, ..)` is the latest such weekday strictly before `today`.
            Schedule::Weekly { weekday } => today.nth_weekday(-1, weekday).ok(),
            Schedule::TwiceMonthly { .. } | Schedule::Monthly { .. } => {
                let (first, second) = self.paydays(today)?;
                if second <= today {
                    return Some(second);
                }
                if first <= today {
                    return Some(first);
                }
                let last_month = today.first_of_month().yesterday().ok()?;
                self.paydays(last_month).map(|(_, second)| second)
            }
        }
    }

    /// The first scheduled date after `today`, or `None` past the calendar's end.
    fn next_date(self, today: Date) -> Option<Date> {
        match self {
            Schedule::Weekly { weekday } => today.nth_weekday(1, weekday).ok(),
            Schedule::TwiceMonthly { .. } | Schedule::Monthly { .. } => {
                let (first, second) = self.paydays(today)?;
                if first > today {
                    return Some(first);
                }
                if second > today {
                    return Some(second);
                }
                let next_month = today.last_of_month().tomorrow().ok()?;
                self.paydays(next_month).map(|(first, _)| first)
            }
        }
    }

    /// The paydays of the month containing `date`, earliest first (the same date twice for a
    /// monthly schedule). `None` for a weekly schedule, which has no paydays by month.
    fn paydays(self, date: Date) -> Option<(Date, Date)> {
        let on = |day: u8| {
            let last = date.days_in_month();
            let day = i8::try_from(day).unwrap_or(i8::MAX).clamp(1, last);
            Date::new(date.year(), date.month(), day).ok()
        };
        match self {
            Schedule::Weekly { .. } => None,
            Schedule::TwiceMonthly { day } => {
                Some((on(day)?, on(day.saturating_add(TWICE_MONTHLY_GAP_DAYS))?))
            }
            Schedule::Monthly { day } => {
                let payday = on(day)?;
                Some((payday, payday))
            }
        }
    }
}

/// The weekday numbered as ISO 8601 does (1 = Monday, 7 = Sunday).
fn weekday_from_iso(day: u8) -> Option<Weekday> {
    match day {
        1 => Some(Weekday::Monday),
        2 => Some(Weekday::Tuesday),
        3 => Some(Weekday::Wednesday),
        4 => Some(Weekday::Thursday),
        5 => Some(Weekday::Friday),
        6 => Some(Weekday::Saturday),
        7 => Some(Weekday::Sunday),
        _ => None,
    }
}

/// The ISO 8601 number of a weekday (1 = Monday, 7 = Sunday).
fn iso_weekday(weekday: Weekday) -> u8 {
    match weekday {
        Weekday::Monday => 1,
        Weekday::Tuesday => 2,
        Weekday::Wednesday => 3,
        Weekday::Thursday => 4,
        Weekday::Friday => 5,
        Weekday::Saturday => 6,
        Weekday::Sunday => 7,
    }
}

/// The UTC calendar date of `now`, clamped to `jiff`'s span so that no `i64` panics.
fn utc_date(now: Timestamp) -> Date {
    let first = jiff::Timestamp::MIN;
    let last = jiff::Timestamp::MAX;
    let millis = now.0.clamp(first.as_millisecond(), last.as_millisecond());
    // The clamped value is in range, so the fallback is never taken; it keeps the clamp's side.
    let fallback = if now.0 < 0 { first } else { last };
    let instant = jiff::Timestamp::from_millisecond(millis).unwrap_or(fallback);
    TimeZone::UTC.to_datetime(instant).date()
}

/// The scheduled instant of `date`: its UTC midnight, or `None` outside `jiff`'s span.
fn midnight(date: Date) -> Option<Timestamp> {
    TimeZone::UTC
        .to_timestamp(date.to_datetime(Time::midnight()))
        .ok()
        .map(|instant| Timestamp(instant.as_millisecond()))
}

/// A payee's settlement settings: when it is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRule {
    /// Paid as soon as the payable reaches this; zero means no threshold (schedule only).
    pub threshold: Amount,
    /// The scheduled settlement dates.
    pub schedule: Schedule,
    /// Paid on a scheduled date only if the payable is at least this; zero means any
    /// positive payable.
    pub minimum: Amount,
}

/// The unsettled net in whole minor units of `currency`, rounded down: what a payout may
/// carry now. Zero when `unsettled` is zero or negative (clawed back: never paid). The
/// sub-minor-unit remainder stays unsettled. A net beyond `Amount`'s range saturates at the
/// largest whole-minor-unit amount, so the result is always a whole number of minor units.
#[must_use]
pub fn payable(unsettled: NetTotal, currency: Currency) -> Amount {
    let Ok(micros) = u64::try_from(unsettled.micros().max(0)) else {
        // Above u64::MAX (it is not negative: that was clamped to zero).
        return floor_to_minor(u64::MAX, currency);
    };
    floor_to_minor(micros, currency)
}

/// `micros` rounded down to a whole number of `currency`'s minor units.
fn floor_to_minor(micros: u64, currency: Currency) -> Amount {
    // Micro-units per minor unit: 10_000 for 2 digits, 1_000_000 for 0. A currency with more
    // than 6 minor digits (none exists) would be exact in micro-units already.
    let unit = 10_u64
        .checked_pow(u32::from(currency.minor_digits()))
        .and_then(|scale| MICROS_PER_UNIT.checked_div(scale))
        .filter(|unit| *unit > 0)
        .unwrap_or(1);
    let remainder = micros.checked_rem(unit).unwrap_or(0);
    Amount::from_micros(micros.saturating_sub(remainder))
}

/// Whether a payee is paid now, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// The payable reached the rule's threshold.
    Threshold,
    /// A scheduled date passed and the payable is at least the rule's minimum.
    Scheduled,
    /// An operator forced payment of a positive payable.
    Forced,
    /// Nothing to do: nothing payable, no rule, or neither the threshold nor a date reached.
    NotDue,
    /// A scheduled date passed with the payable below the minimum: the date passes unpaid and
    /// the caller records `now` as `last_considered` so it is not considered again.
    BelowMinimum,
}

/// Decides whether a payee is paid now. `payable` is [`payable`] of its unsettled net,
/// `last_considered` the instant up to which its scheduled dates were already considered.
///
/// Precedence, first match wins: payable zero → `NotDue` (even when forced: nothing positive
/// to pay); `force` → `Forced`; no rule → `NotDue`; threshold above zero and
/// `payable >= threshold` → `Threshold`; a scheduled instant `s` with
/// `last_considered < s <= now` → `Scheduled` if `payable >= minimum`, else `BelowMinimum`;
/// otherwise `NotDue`.
#[must_use]
pub fn decide_due(
    rule: Option<&PayoutRule>,
    payable: Amount,
    last_considered: Timestamp,
    now: Timestamp,
    force: bool,
) -> Due {
    if payable.is_zero() {
        return Due::NotDue;
    }
    if force {
        return Due::Forced;
    }
    let Some(rule) = rule else {
        return Due::NotDue;
    };
    if !rule.threshold.is_zero() && payable >= rule.threshold {
        return Due::Threshold;
    }
    if rule.schedule.date_passed(last_considered, now) {
        if payable >= rule.minimum {
            return Due::Scheduled;
        }
        return Due::BelowMinimum;
    }
    Due::NotDue
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    fn day(text: &str) -> Timestamp {
        at(&format!("{text}T00:00:00Z"))
    }

    fn before(instant: Timestamp) -> Timestamp {
        instant.minus_ms(1)
    }

    fn weekly(iso: u8) -> Schedule {
        Schedule::parse("weekly", iso).unwrap()
    }

    fn twice_monthly(day: u8) -> Schedule {
        Schedule::parse("twice_monthly", day).unwrap()
    }

    fn monthly(day: u8) -> Schedule {
        Schedule::parse("monthly", day).unwrap()
    }

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn micros(micros: u64) -> Amount {
        Amount::from_micros(micros)
    }

    /// Checks `latest_on_or_before` and `next_after` at `now` against expected dates.
    fn assert_around(schedule: Schedule, now: Timestamp, latest: &str, next: &str) {
        assert_eq!(
            schedule.latest_on_or_before(now),
            day(latest),
            "{schedule:?} latest at {now:?}"
        );
        assert_eq!(
            schedule.next_after(now),
            day(next),
            "{schedule:?} next at {now:?}"
        );
    }

    #[test]
    fn weekly_across_a_year_end() {
        // 2026-12-31 is a Thursday, 2027-01-01 a Friday, 2026-12-28 and 2027-01-04 Mondays.
        let monday = weekly(1);
        assert_around(
            monday,
            at("2027-01-01T12:00:00Z"),
            "2026-12-28",
            "2027-01-04",
        );
        assert_around(monday, day("2027-01-04"), "2027-01-04", "2027-01-11");
        assert_around(
            monday,
            before(day("2027-01-04")),
            "2026-12-28",
            "2027-01-04",
        );
        let sunday = weekly(7);
        assert_around(
            sunday,
            at("2027-01-01T00:00:00Z"),
            "2026-12-27",
            "2027-01-03",
        );
        let thursday = weekly(4);
        assert_around(thursday, day("2026-12-31"), "2026-12-31", "2027-01-07");
        assert_around(
            thursday,
            before(day("2027-01-01")),
            "2026-12-31",
            "2027-01-07",
        );
    }

    #[test]
    fn monthly_31_is_the_last_day_of_every_month() {
        let last = monthly(31);
        assert_around(last, at("2026-04-15T09:00:00Z"), "2026-03-31", "2026-04-30");
        assert_around(last, day("2026-04-30"), "2026-04-30", "2026-05-31");
        assert_around(last, before(day("2026-04-30")), "2026-03-31", "2026-04-30");
        assert_around(last, at("2027-02-10T00:00:00Z"), "2027-01-31", "2027-02-28");
        assert_around(last, at("2028-02-10T00:00:00Z"), "2028-01-31", "2028-02-29");
        assert_around(last, day("2028-02-29"), "2028-02-29", "2028-03-31");
        assert_around(last, at("2026-12-31T23:59:59Z"), "2026-12-31", "2027-01-31");
    }

    #[test]
    fn monthly_29_and_30_clamp_in_february_only() {
        assert_around(monthly(30), day("2027-03-01"), "2027-02-28", "2027-03-30");
        assert_around(monthly(30), day("2028-03-01"), "2028-02-29", "2028-03-30");
        assert_around(monthly(29), day("2028-03-01"), "2028-02-29", "2028-03-29");
        assert_around(monthly(29), day("2027-03-01"), "2027-02-28", "2027-03-29");
        assert_around(monthly(1), day("2027-01-01"), "2027-01-01", "2027-02-01");
        assert_around(
            monthly(1),
            before(day("2027-01-01")),
            "2026-12-01",
            "2027-01-01",
        );
    }

    #[test]
    fn twice_monthly_15_pays_the_15th_and_30th() {
        let mid = twice_monthly(15);
        assert_around(mid, day("2026-04-20"), "2026-04-15", "2026-04-30");
        assert_around(mid, day("2026-05-31"), "2026-05-30", "2026-06-15");
        assert_around(mid, day("2026-01-31"), "2026-01-30", "2026-02-15");
        assert_around(mid, day("2027-02-20"), "2027-02-15", "2027-02-28");
        assert_around(mid, day("2028-02-20"), "2028-02-15", "2028-02-29");
        assert_around(mid, day("2028-02-29"), "2028-02-29", "2028-03-15");
        assert_around(mid, before(day("2028-02-29")), "2028-02-15", "2028-02-29");
        assert_around(mid, day("2028-03-10"), "2028-02-29", "2028-03-15");
    }

    #[test]
    fn twice_monthly_across_a_year_end_and_february() {
        let first = twice_monthly(1);
        assert_around(first, day("2027-01-01"), "2027-01-01", "2027-01-16");
        assert_around(first, before(day("2027-01-01")), "2026-12-16", "2027-01-01");
        let fourteenth = twice_monthly(14);
        assert_around(fourteenth, day("2027-02-20"), "2027-02-14", "2027-02-28");
        assert_around(fourteenth, day("2028-02-20"), "2028-02-14", "2028-02-29");
        assert_around(fourteenth, day("2028-03-01"), "2028-02-29", "2028-03-14");
    }

    /// An independent model: is `date` a scheduled date of `schedule`?
    fn is_scheduled(schedule: Schedule, date: Date) -> bool {
        let last = date.days_in_month();
        let clamp = |day: u8| i8::try_from(day).unwrap().min(last);
        match schedule {
            Schedule::Weekly { weekday } => date.weekday() == weekday,
            Schedule::TwiceMonthly { day } => {
                date.day() == clamp(day) || date.day() == clamp(day.checked_add(15).unwrap())
            }
            Schedule::Monthly { day } => date.day() == clamp(day),
        }
    }

    /// The model's latest scheduled instant on or before `date`: a day-by-day scan back.
    fn model_latest(schedule: Schedule, date: Date) -> Timestamp {
        let mut latest = date;
        while !is_scheduled(schedule, latest) {
            latest = latest.yesterday().unwrap();
        }
        midnight(latest).unwrap()
    }

    /// The model's first scheduled instant after `date`: a day-by-day scan forward.
    fn model_next(schedule: Schedule, date: Date) -> Timestamp {
        let mut next = date.tomorrow().unwrap();
        while !is_scheduled(schedule, next) {
            next = next.tomorrow().unwrap();
        }
        midnight(next).unwrap()
    }

    #[test]
    fn every_day_of_two_years_agrees_with_a_day_by_day_scan() {
        let mut schedules: Vec<Schedule> = (1..=7).map(weekly).collect();
        schedules.extend([1, 13, 14, 15].map(twice_monthly));
        schedules.extend([1, 15, 28, 29, 30, 31].map(monthly));
        let mut date = jiff::civil::date(2026, 12, 1);
        while date <= jiff::civil::date(2029, 3, 31) {
            let start = midnight(date).unwrap();
            let yesterday = date.yesterday().unwrap();
            for schedule in schedules.iter().copied() {
                // Midnight and noon are on `date`; a millisecond before midnight is not.
                for now in [start, start.plus_ms(43_200_000)] {
                    assert_eq!(
                        schedule.latest_on_or_before(now),
                        model_latest(schedule, date)
                    );
                    assert_eq!(schedule.next_after(now), model_next(schedule, date));
                }
                let now = before(start);
                assert_eq!(
                    schedule.latest_on_or_before(now),
                    model_latest(schedule, yesterday)
                );
                assert_eq!(schedule.next_after(now), model_next(schedule, yesterday));
            }
            date = date.tomorrow().unwrap();
        }
    }

    #[test]
    fn any_i64_instant_is_answered_without_panicking() {
        let edges = [
            i64::MIN,
            i64::MIN.saturating_add(1),
            jiff::Timestamp::MIN.as_millisecond(),
            jiff::Timestamp::MIN
                .as_millisecond()
                .saturating_add(86_400_000),
            -1,
            0,
            jiff::Timestamp::MAX
                .as_millisecond()
                .saturating_sub(86_400_000),
            jiff::Timestamp::MAX.as_millisecond(),
            i64::MAX.saturating_sub(1),
            i64::MAX,
        ];
        let schedules = [
            weekly(1),
            weekly(7),
            twice_monthly(15),
            monthly(31),
            monthly(1),
        ];
        for schedule in schedules {
            for millis in edges {
                let now = Timestamp(millis);
                let latest = schedule.latest_on_or_before(now);
                let next = schedule.next_after(now);
                assert!(latest <= now, "{schedule:?} {millis}");
                assert!(
                    next > now || next == Timestamp(i64::MAX),
                    "{schedule:?} {millis}"
                );
            }
        }
        assert_eq!(
            monthly(1).latest_on_or_before(Timestamp(i64::MIN)),
            Timestamp(i64::MIN)
        );
        assert_eq!(
            monthly(1).next_after(Timestamp(i64::MAX)),
            Timestamp(i64::MAX)
        );
        assert_eq!(
            monthly(1).next_after(Timestamp(i64::MIN)),
            day("-009999-02-01")
        );
        assert_eq!(
            monthly(1).latest_on_or_before(Timestamp(i64::MAX)),
            day("9999-12-01")
        );
    }

    #[test]
    fn hand_built_days_out_of_range_are_clamped() {
        let zero = Schedule::Monthly { day: 0 };
        assert_around(zero, day("2026-04-15"), "2026-04-01", "2026-05-01");
        let huge = Schedule::Monthly { day: 200 };
        assert_around(huge, day("2026-04-15"), "2026-03-31", "2026-04-30");
        let late = Schedule::TwiceMonthly { day: 31 };
        assert_around(late, day("2027-02-15"), "2027-01-31", "2027-02-28");
    }

    #[test]
    fn parse_accepts_each_kinds_range_and_round_trips() {
        for (kind, max) in [("weekly", 7), ("twice_monthly", 15), ("monthly", 31)] {
            for day in 1..=max {
                let schedule = Schedule::parse(kind, day).unwrap();
                assert_eq!(schedule.kind(), kind);
                assert_eq!(schedule.day(), day);
            }
        }
        assert_eq!(
            Schedule::parse("weekly", 1),
            Ok(Schedule::Weekly {
                weekday: Weekday::Monday
            })
        );
        assert_eq!(
            Schedule::parse("weekly", 7),
            Ok(Schedule::Weekly {
                weekday: Weekday::Sunday
            })
        );
    }

    #[test]
    fn parse_refuses_days_outside_each_kinds_range() {
        for (kind, outside) in [
            ("weekly", [0, 8]),
            ("twice_monthly", [0, 16]),
            ("monthly", [0, 32]),
        ] {
            for day in outside.into_iter().chain([u8::MAX]) {
                let refused = Schedule::parse(kind, day).unwrap_err();
                assert_eq!(refused.param, "schedule.day", "{kind} {day}");
            }
        }
    }

    #[test]
    fn parse_refuses_an_unknown_kind() {
        for kind in ["daily", "Weekly", "", "twice-monthly", "monthly "] {
            let refused = Schedule::parse(kind, 1).unwrap_err();
            assert_eq!(refused.param, "schedule.kind", "{kind:?}");
        }
    }

    #[test]
    fn stored_schedules_round_trip_and_out_of_range_days_are_refused() {
        for schedule in [weekly(3), twice_monthly(15), monthly(31)] {
            let stored = serde_json::to_string(&schedule).unwrap();
            assert_eq!(serde_json::from_str::<Schedule>(&stored).unwrap(), schedule);
        }
        assert_eq!(
            serde_json::to_string(&weekly(3)).unwrap(),
            r#"{"Weekly":{"weekday":3}}"#
        );
        for bad in [
            r#"{"Weekly":{"weekday":0}}"#,
            r#"{"TwiceMonthly":{"day":16}}"#,
            r#"{"Monthly":{"day":32}}"#,
        ] {
            assert!(serde_json::from_str::<Schedule>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payable_rounds_down_to_minor_units() {
        let usd = currency("USD");
        let jpy = currency("JPY");
        let kwd = currency("KWD");
        let net = NetTotal::from_micros;
        assert_eq!(payable(net(1_234_567), usd), micros(1_230_000));
        assert_eq!(payable(net(5_999_999), jpy), micros(5_000_000));
        assert_eq!(payable(net(1_234_567), kwd), micros(1_234_000));
        assert_eq!(payable(net(9_999), usd), Amount::ZERO);
        assert_eq!(payable(net(10_000), usd), micros(10_000));
        assert_eq!(payable(net(999_999), jpy), Amount::ZERO);
        assert_eq!(payable(NetTotal::ZERO, usd), Amount::ZERO);
        assert_eq!(payable(net(-1), usd), Amount::ZERO);
        assert_eq!(payable(net(-5_000_000), jpy), Amount::ZERO);
        assert_eq!(payable(net(i128::MIN), usd), Amount::ZERO);
    }

    #[test]
    fn payable_saturates_at_a_whole_minor_unit() {
        let usd = currency("USD");
        let largest_cents = micros(18_446_744_073_709_550_000);
        assert_eq!(
            payable(NetTotal::from_micros(i128::MAX), usd),
            largest_cents
        );
        let just_above = i128::from(u64::MAX).checked_add(1).unwrap();
        assert_eq!(
            payable(NetTotal::from_micros(just_above), usd),
            largest_cents
        );
        assert_eq!(
            payable(NetTotal::from_micros(i128::from(u64::MAX)), usd),
            largest_cents
        );
        assert_eq!(
            payable(NetTotal::from_micros(i128::MAX), currency("JPY")),
            micros(18_446_744_073_709_000_000)
        );
    }

    /// US cents as micro-units.
    fn cents(cents: u64) -> Amount {
        micros(cents.checked_mul(10_000).unwrap())
    }

    fn rule(threshold: Amount, minimum: Amount) -> PayoutRule {
        PayoutRule {
            threshold,
            schedule: monthly(1),
            minimum,
        }
    }

    #[test]
    fn threshold_reached_exactly_and_one_micro_unit_short() {
        let rule = rule(cents(1_000), cents(500));
        // Mid-month: no scheduled date in the window, so only the threshold can pay.
        let (last, now) = (day("2026-04-02"), day("2026-04-10"));
        let reached = payable(NetTotal::from_micros(10_000_000), currency("USD"));
        assert_eq!(
            decide_due(Some(&rule), reached, last, now, false),
            Due::Threshold
        );
        // One micro-unit short of the net is a whole cent short of the payable.
        let short = payable(NetTotal::from_micros(9_999_999), currency("USD"));
        assert_eq!(short, cents(999));
        assert_eq!(
            decide_due(Some(&rule), short, last, now, false),
            Due::NotDue
        );
    }

    #[test]
    fn a_zero_threshold_means_schedule_only() {
        let rule = rule(Amount::ZERO, Amount::ZERO);
        let (last, now) = (day("2026-04-02"), day("2026-04-10"));
        assert_eq!(
            decide_due(Some(&rule), cents(1_000_000), last, now, false),
            Due::NotDue
        );
        assert_eq!(
            decide_due(Some(&rule), cents(1), last, day("2026-05-01"), false),
            Due::Scheduled
        );
    }

    #[test]
    fn scheduled_date_with_the_minimum_exactly_and_one_cent_short() {
        let rule = rule(cents(10_000), cents(500));
        let (last, now) = (day("2026-04-20"), day("2026-05-01"));
        assert_eq!(
            decide_due(Some(&rule), cents(500), last, now, false),
            Due::Scheduled
        );
        assert_eq!(
            decide_due(Some(&rule), cents(499), last, now, false),
            Due::BelowMinimum
        );
        // The caller then records `now`: the same date is not considered again.
        assert_eq!(
            decide_due(Some(&rule), cents(499), now, now.plus_ms(1), false),
            Due::NotDue
        );
    }

    #[test]
    fn a_date_counts_once_at_its_midnight() {
        let rule = rule(Amount::ZERO, Amount::ZERO);
        let date = day("2026-05-01");
        // `now` exactly at the scheduled midnight is on the date; a millisecond before is not.
        assert_eq!(
            decide_due(Some(&rule), cents(1), day("2026-04-20"), date, false),
            Due::Scheduled
        );
        assert_eq!(
            decide_due(
                Some(&rule),
                cents(1),
                day("2026-04-20"),
                before(date),
                false
            ),
            Due::NotDue
        );
        // Considered exactly at the scheduled instant: not due again.
        assert_eq!(
            decide_due(Some(&rule), cents(1), date, date.plus_ms(86_400_000), false),
            Due::NotDue
        );
        // Considered a millisecond before it: still due.
        assert_eq!(
            decide_due(Some(&rule), cents(1), before(date), date, false),
            Due::Scheduled
        );
        // `now` before `last_considered` (a clock step back) finds no new date.
        assert_eq!(
            decide_due(Some(&rule), cents(1), date, before(date), false),
            Due::NotDue
        );
    }

    #[test]
    fn force_pays_any_positive_payable_but_never_zero() {
        let rule = rule(cents(10_000), cents(500));
        let (last, now) = (day("2026-04-02"), day("2026-04-10"));
        assert_eq!(
            decide_due(Some(&rule), Amount::ZERO, last, now, true),
            Due::NotDue
        );
        assert_eq!(
            decide_due(Some(&rule), cents(1), last, now, true),
            Due::Forced
        );
        assert_eq!(decide_due(None, cents(1), last, now, true), Due::Forced);
        // Force comes before the threshold and the schedule.
        assert_eq!(
            decide_due(Some(&rule), cents(10_000), last, day("2026-05-01"), true),
            Due::Forced
        );
    }

    #[test]
    fn no_rule_is_never_due_unless_forced() {
        assert_eq!(
            decide_due(
                None,
                cents(1_000_000),
                Timestamp(0),
                day("2026-05-01"),
                false
            ),
            Due::NotDue
        );
    }

    #[test]
    fn threshold_comes_before_the_schedule_and_zero_is_never_paid() {
        let rule = rule(cents(1_000), cents(500));
        let (last, now) = (day("2026-04-20"), day("2026-05-01"));
        assert_eq!(
            decide_due(Some(&rule), cents(1_000), last, now, false),
            Due::Threshold
        );
        let anything = PayoutRule {
            minimum: Amount::ZERO,
            ..rule
        };
        assert_eq!(
            decide_due(Some(&anything), Amount::ZERO, last, now, false),
            Due::NotDue
        );
        assert_eq!(
            decide_due(Some(&anything), cents(1), last, now, false),
            Due::Scheduled
        );
    }
}
