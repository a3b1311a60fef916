//! Spending limits of one login in one currency ([0155], [0166]) and the vendor allowlist
//! ([0156]). A limit of `None` means no limit. Day, week and month are the member's calendar
//! (see `time.rs`); the session limit counts every purchase of one session at every vendor.
//!
//! A reversal refunds money but does not give back limit headroom: the limit bounds what a
//! login *spent*, and a refund is not a negative purchase. (Rejected alternative: un-counting
//! a refund, which would let a reversed purchase in an earlier period change today's count.)

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ids::VendorId;
use super::money::Amount;
use super::time::{Period, Periods};

/// The limits a member set for one login and currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest single purchase.
    pub per_transaction: Option<Amount>,
    /// Most spent under one session, at every vendor.
    pub per_session: Option<Amount>,
    /// Most spent in one calendar day.
    pub per_day: Option<Amount>,
    /// Most spent in one ISO week.
    pub per_week: Option<Amount>,
    /// Most spent in one calendar month.
    pub per_month: Option<Amount>,
    /// When set, only these vendors may charge this login in this currency.
    pub vendors_allowed: Option<BTreeSet<VendorId>>,
}

/// Which limit a purchase would exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// The single-purchase limit.
    PerTransaction,
    /// The per-session limit.
    PerSession,
    /// The calendar-day limit.
    PerDay,
    /// The ISO-week limit.
    PerWeek,
    /// The calendar-month limit.
    PerMonth,
}

/// What one login spent in one currency in the current day, week and month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spending {
    /// Spent in `day.0`.
    pub day: (Period, Amount),
    /// Spent in `week.0`.
    pub week: (Period, Amount),
    /// Spent in `month.0`.
    pub month: (Period, Amount),
}

impl Spending {
    /// Spent so far in the periods of `now`: a counter of an older period counts as zero.
    #[must_use]
    pub fn current(&self, periods: &Periods) -> (Amount, Amount, Amount) {
        let in_period = |(period, spent): (Period, Amount), current: Period| {
            if period == current {
                spent
            } else {
                Amount::ZERO
            }
        };
        (
            in_period(self.day, periods.day),
            in_period(self.week, periods.week),
            in_period(self.month, periods.month),
        )
    }

    /// Counts a purchase of `price` in the periods of `now`, or `None` on overflow.
    #[must_use]
    pub fn with_purchase(&self, periods: &Periods, price: Amount) -> Option<Spending> {
        let (day, week, month) = self.current(periods);
        Some(Spending {
            day: (periods.day, day.checked_add(price)?),
            week: (periods.week, week.checked_add(price)?),
            month: (periods.month, month.checked_add(price)?),
        })
    }
}

impl Limits {
    /// True when the allowlist (if any) lets `vendor` charge.
    #[must_use]
    pub fn allows_vendor(&self, vendor: VendorId) -> bool {
        self.vendors_allowed
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&vendor))
    }

    /// The first limit that `price` would exceed, checked in a fixed order: transaction,
    /// session, day, week, month. A purchase that reaches a limit exactly is allowed.
    #[must_use]
    pub fn exceeded_by(
        &self,
        price: Amount,
        session_spent: Amount,
        spending: &Spending,
        periods: &Periods,
    ) -> Option<LimitKind> {
        if over(self.per_transaction, Amount::ZERO, price) {
            return Some(LimitKind::PerTransaction);
        }
        if over(self.per_session, session_spent, price) {
            return Some(LimitKind::PerSession);
        }
        self.period_exceeded_by(price, spending, periods)
    }

    /// The first of the day, week and month limits that `amount` would exceed on top of
    /// `spending`. A transfer counts only toward these ([0272]): it is neither a purchase
    /// (per transaction) nor made under a buying session (per session).
    #[must_use]
    pub fn period_exceeded_by(
        &self,
        amount: Amount,
        spending: &Spending,
        periods: &Periods,
    ) -> Option<LimitKind> {
        let (day, week, month) = spending.current(periods);
        let over = |limit: Option<Amount>, spent: Amount| over(limit, spent, amount);
        if over(self.per_day, day) {
            return Some(LimitKind::PerDay);
        }
        if over(self.per_week, week) {
            return Some(LimitKind::PerWeek);
        }
        if over(self.per_month, month) {
            return Some(LimitKind::PerMonth);
        }
        None
    }
}

/// Whether spending `amount` on top of `spent` goes past `limit` (an overflow does).
fn over(limit: Option<Amount>, spent: Amount, amount: Amount) -> bool {
    limit.is_some_and(|limit| spent.checked_add(amount).is_none_or(|total| total > limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periods(day: i32) -> Periods {
        Periods {
            day: Period(day),
            week: Period(day / 7),
            month: Period(day / 30),
        }
    }

    fn amount(micros: u64) -> Amount {
        Amount::from_micros(micros)
    }

    #[test]
    fn each_limit_is_reached_exactly_and_exceeded_by_one() {
        let now = periods(100);
        let cases = [
            (
                Limits {
                    per_transaction: Some(amount(10)),
                    ..Limits::default()
                },
                LimitKind::PerTransaction,
            ),
            (
                Limits {
                    per_session: Some(amount(10)),
                    ..Limits::default()
                },
                LimitKind::PerSession,
            ),
            (
                Limits {
                    per_day: Some(amount(10)),
                    ..Limits::default()
                },
                LimitKind::PerDay,
            ),
            (
                Limits {
                    per_week: Some(amount(10)),
                    ..Limits::default()
                },
                LimitKind::PerWeek,
            ),
            (
                Limits {
                    per_month: Some(amount(10)),
                    ..Limits::default()
                },
                LimitKind::PerMonth,
            ),
        ];
        for (limits, kind) in cases {
            let spent = Spending::default().with_purchase(&now, amount(4)).unwrap();
            let session = amount(4);
            let at_limit = if kind == LimitKind::PerTransaction {
                amount(10)
            } else {
                amount(6)
            };
            assert_eq!(
                limits.exceeded_by(at_limit, session, &spent, &now),
                None,
                "{kind:?}"
            );
            let past = amount(at_limit.micros() + 1);
            assert_eq!(
                limits.exceeded_by(past, session, &spent, &now),
                Some(kind),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_new_day_resets_the_day_counter_only() {
        let limits = Limits {
            per_day: Some(amount(10)),
            per_week: Some(amount(15)),
            ..Limits::default()
        };
        let monday = periods(700);
        let spent = Spending::default()
            .with_purchase(&monday, amount(10))
            .unwrap();
        assert_eq!(
            limits.exceeded_by(amount(1), Amount::ZERO, &spent, &monday),
            Some(LimitKind::PerDay)
        );
        let tuesday = periods(701);
        assert_eq!(
            limits.exceeded_by(amount(5), Amount::ZERO, &spent, &tuesday),
            None
        );
        assert_eq!(
            limits.exceeded_by(amount(6), Amount::ZERO, &spent, &tuesday),
            Some(LimitKind::PerWeek)
        );
    }

    #[test]
    fn allowlist() {
        let open = Limits::default();
        assert!(open.allows_vendor(VendorId(1)));
        let closed = Limits {
            vendors_allowed: Some([VendorId(2)].into()),
            ..Limits::default()
        };
        assert!(!closed.allows_vendor(VendorId(1)));
        assert!(closed.allows_vendor(VendorId(2)));
    }
}
