//! When a member's dispute of a purchase is approved at once ([0255]-[0260]): the first
//! piece of the disputes work (issue 13), the rule alone; filing, reversing and the operator's
//! queue build on it.
//!
//! A purchase can be disputed within `window_days` of it (per currency) if it charged
//! something. It is approved at once when **Condition I** holds: the member's disputed amount
//! in the period, this dispute included, is below `m`. Otherwise only when **II, III and IV**
//! all hold: the disputed amount is below `x` (ppm) of the member's purchase amount in the
//! period; the number of disputes is below `y` (ppm) of the number of purchases; the number of
//! disputes is below `n`. Anything else waits for an operator.
//!
//! What the seed leaves open, decided here: the period is rolling, `(now − period_days, now]`;
//! disputes count by filing time when approved or pending (a rejected one does not count),
//! including the one being decided; purchases count by purchase time, disputed ones included.
//! Every comparison is strict ("below") and exact: ratios compare cross-multiplied integers,
//! never rounded quotients. A currency without rules sends every dispute to an operator.

use serde::{Deserialize, Serialize};

use super::ids::{AuthorizationId, EntitlementId, VendorId};
use super::money::{Amount, Currency};
use super::time::{DAY_MS, Timestamp};

/// Disputes of one account waiting for an operator at most: more are refused until some are
/// decided, so one member cannot fill the operators' queue.
pub const DISPUTES_PENDING_MAX: usize = 16;

/// Parts per million in one whole.
const PPM: u128 = 1_000_000;

/// An operator's dispute rules for one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRules {
    /// How long after a purchase it may be disputed, days.
    pub window_days: u32,
    /// The rolling period the conditions count over, days.
    pub period_days: u32,
    /// Condition I: approved when the disputed amount in the period is below this.
    pub m: Amount,
    /// Condition II: the disputed amount below this share of the purchase amount, ppm.
    pub x_ppm: u32,
    /// Condition III: the number of disputes below this share of the number of purchases, ppm.
    pub y_ppm: u32,
    /// Condition IV: the number of disputes below this.
    pub n: u32,
}

/// Longest dispute window or period an operator may set, days (ten years).
pub const DISPUTE_DAYS_MAX: u32 = 3650;

/// Why dispute rules were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesInvalid {
    /// A window or period of no days, or longer than `DISPUTE_DAYS_MAX`.
    #[error("window_days and period_days must be 1 to 3650")]
    Days,
    /// A share above one whole (1,000,000 ppm).
    #[error("x_ppm and y_ppm must be at most 1000000")]
    Share,
}

impl DisputeRules {
    /// Rules an operator set, checked: windows and periods of 1 to `DISPUTE_DAYS_MAX` days,
    /// shares of at most one whole. `m` and `n` may be zero (Condition I or IV never holds).
    ///
    /// # Errors
    /// `Days` or `Share`.
    pub fn new(
        window_days: u32,
        period_days: u32,
        m: Amount,
        x_ppm: u32,
        y_ppm: u32,
        n: u32,
    ) -> Result<DisputeRules, RulesInvalid> {
        let days = 1..=DISPUTE_DAYS_MAX;
        if !days.contains(&window_days) || !days.contains(&period_days) {
            return Err(RulesInvalid::Days);
        }
        let whole = u32::try_from(PPM).unwrap_or(u32::MAX);
        if x_ppm > whole || y_ppm > whole {
            return Err(RulesInvalid::Share);
        }
        Ok(DisputeRules {
            window_days,
            period_days,
            m,
            x_ppm,
            y_ppm,
            n,
        })
    }
}

/// Where an earlier dispute stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeStatus {
    /// Waiting for an operator.
    Pending,
    /// Approved (at once or by an operator).
    Approved,
    /// Rejected by an operator: it no longer counts.
    Rejected,
}

/// An earlier dispute of the member, as the conditions see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastDispute {
    /// When it was filed.
    pub filed_at: Timestamp,
    /// What it disputed.
    pub amount: Amount,
    /// Where it stands.
    pub status: DisputeStatus,
}

/// A purchase of the member, as the conditions see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastPurchase {
    /// When it was made.
    pub at: Timestamp,
    /// What it charged.
    pub price: Amount,
}

/// Why a purchase cannot be disputed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotDisputable {
    /// It charged nothing.
    #[error("the purchase charged nothing")]
    ChargedNothing,
    /// Its dispute window has passed.
    #[error("the dispute window has passed")]
    WindowPassed,
}

/// How a dispute is decided at filing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Approved at once by Condition I.
    ApprovedByConditionI,
    /// Approved at once by Conditions II, III and IV together.
    ApprovedByConditionsIiToIv,
    /// Waits for an operator.
    Pending,
}

impl Verdict {
    /// The wire name of what decided it at filing (`condition` in the API).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Verdict::ApprovedByConditionI => "condition_i",
            Verdict::ApprovedByConditionsIiToIv => "conditions_ii_to_iv",
            Verdict::Pending => "pending",
        }
    }

    /// The status a dispute filed with this verdict starts in.
    #[must_use]
    pub const fn status(self) -> DisputeStatus {
        match self {
            Verdict::ApprovedByConditionI | Verdict::ApprovedByConditionsIiToIv => {
                DisputeStatus::Approved
            }
            Verdict::Pending => DisputeStatus::Pending,
        }
    }
}

impl DisputeStatus {
    /// The wire name (`status` in the API).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            DisputeStatus::Pending => "pending",
            DisputeStatus::Approved => "approved",
            DisputeStatus::Rejected => "rejected",
        }
    }
}

/// One dispute, as the member's account and the selling vendor keep it. A purchase is
/// disputed at most once, so the purchase's authorization names its dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// The disputed purchase.
    pub authorization: AuthorizationId,
    /// The entitlement it bought.
    pub entitlement: EntitlementId,
    /// Who sold it.
    pub vendor: VendorId,
    /// The purchase's currency.
    pub currency: Currency,
    /// What the purchase charged: what the dispute claims back.
    pub amount: Amount,
    /// When the purchase was made.
    pub purchased_at: Timestamp,
    /// When the member filed it.
    pub filed_at: Timestamp,
    /// The member's reason.
    pub reason: Box<str>,
    /// What decided it at filing.
    pub verdict: Verdict,
    /// Where it stands now.
    pub status: DisputeStatus,
    /// An operator's decision, when there was one: when, and their reason.
    pub decision: Option<(Timestamp, Box<str>)>,
}

impl Dispute {
    /// Records an operator's decision: approved or rejected, when, and why.
    pub fn decide(&mut self, approve: bool, at: Timestamp, reason: &str) {
        self.status = if approve {
            DisputeStatus::Approved
        } else {
            DisputeStatus::Rejected
        };
        self.decision = Some((at, reason.into()));
    }

    /// As the conditions count it.
    #[must_use]
    pub fn as_past(&self) -> PastDispute {
        PastDispute {
            filed_at: self.filed_at,
            amount: self.amount,
            status: self.status,
        }
    }
}

/// Checks that a purchase made at `purchased_at` for `price` can be disputed `now`.
///
/// # Errors
/// `ChargedNothing`, or `WindowPassed` when `now` is more than `window_days` after it.
pub fn check_disputable(
    price: Amount,
    purchased_at: Timestamp,
    window_days: u32,
    now: Timestamp,
) -> Result<(), NotDisputable> {
    if price.is_zero() {
        return Err(NotDisputable::ChargedNothing);
    }
    let window_ms = u64::from(window_days).saturating_mul(DAY_MS);
    if now > purchased_at.plus_ms(window_ms) {
        return Err(NotDisputable::WindowPassed);
    }
    Ok(())
}

/// Decides a dispute of `amount` filed `now`, given the member's earlier disputes and purchases
/// in the currency (any period: those outside it are left out here).
#[must_use]
pub fn decide_dispute(
    rules: Option<&DisputeRules>,
    disputes: &[PastDispute],
    purchases: &[PastPurchase],
    amount: Amount,
    now: Timestamp,
) -> Verdict {
    let Some(rules) = rules else {
        return Verdict::Pending;
    };
    let from = now.minus_ms(u64::from(rules.period_days).saturating_mul(DAY_MS));
    let in_period = |at: Timestamp| at > from && at <= now;
    let counted = disputes
        .iter()
        .filter(|d| d.status != DisputeStatus::Rejected && in_period(d.filed_at));
    let disputed_count = u128::try_from(counted.clone().count())
        .unwrap_or(u128::MAX)
        .saturating_add(1);
    let disputed = counted.fold(u128::from(amount.micros()), |sum, d| {
        sum.saturating_add(u128::from(d.amount.micros()))
    });
    if disputed < u128::from(rules.m.micros()) {
        return Verdict::ApprovedByConditionI;
    }
    let bought = purchases.iter().filter(|p| in_period(p.at));
    let purchase_count = u128::try_from(bought.clone().count()).unwrap_or(u128::MAX);
    let purchased = bought.fold(0_u128, |sum, p| {
        sum.saturating_add(u128::from(p.price.micros()))
    });
    let condition_ii =
        disputed.saturating_mul(PPM) < u128::from(rules.x_ppm).saturating_mul(purchased);
    let condition_iii =
        disputed_count.saturating_mul(PPM) < u128::from(rules.y_ppm).saturating_mul(purchase_count);
    let condition_iv = disputed_count < u128::from(rules.n);
    if condition_ii && condition_iii && condition_iv {
        Verdict::ApprovedByConditionsIiToIv
    } else {
        Verdict::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn cents(n: u64) -> Amount {
        Amount::from_micros(n.checked_mul(10_000).unwrap())
    }

    fn days_ago(days: u64) -> Timestamp {
        NOW.minus_ms(days.saturating_mul(DAY_MS))
    }

    /// 30-day period; I below 1.00; II below 10% of purchases; III below 20% of their count;
    /// IV below 3 disputes.
    const RULES: DisputeRules = DisputeRules {
        window_days: 14,
        period_days: 30,
        m: Amount::from_micros(1_000_000),
        x_ppm: 100_000,
        y_ppm: 200_000,
        n: 3,
    };

    fn purchases(count: u64, price: Amount) -> Vec<PastPurchase> {
        (0..count)
            .map(|i| PastPurchase {
                at: days_ago(i % 29),
                price,
            })
            .collect()
    }

    fn dispute(days: u64, amount: Amount, status: DisputeStatus) -> PastDispute {
        PastDispute {
            filed_at: days_ago(days),
            amount,
            status,
        }
    }

    #[test]
    fn condition_i_counts_this_dispute_and_is_strict() {
        let earlier = [dispute(3, cents(60), DisputeStatus::Approved)];
        // 0.60 + 0.39 = 0.99 < 1.00: approved at once, with no purchases at all.
        assert_eq!(
            decide_dispute(Some(&RULES), &earlier, &[], cents(39), NOW),
            Verdict::ApprovedByConditionI
        );
        // 0.60 + 0.40 = 1.00 is not below 1.00.
        assert_eq!(
            decide_dispute(Some(&RULES), &earlier, &[], cents(40), NOW),
            Verdict::Pending
        );
        // A rejected dispute does not count; one filed before the period does not either.
        let not_counted = [
            dispute(3, cents(500), DisputeStatus::Rejected),
            dispute(30, cents(500), DisputeStatus::Pending),
        ];
        assert_eq!(
            decide_dispute(Some(&RULES), &not_counted, &[], cents(99), NOW),
            Verdict::ApprovedByConditionI
        );
        // The period's edge: exactly period_days ago is outside, a millisecond later inside.
        let edge = [PastDispute {
            filed_at: days_ago(30).plus_ms(1),
            amount: cents(500),
            status: DisputeStatus::Pending,
        }];
        assert_eq!(
            decide_dispute(Some(&RULES), &edge, &[], cents(1), NOW),
            Verdict::Pending
        );
    }

    #[test]
    fn conditions_ii_to_iv_must_all_hold() {
        // 20 purchases of 1.00 (20.00); a dispute of 1.50 fails Condition I.
        let bought = purchases(20, cents(100));
        // II: 1.50 < 10% of 20.00; III: 1 dispute < 20% of 20 = 4; IV: 1 < 3.
        assert_eq!(
            decide_dispute(Some(&RULES), &[], &bought, cents(150), NOW),
            Verdict::ApprovedByConditionsIiToIv
        );
        // II at its edge: 2.00 is not below 10% of 20.00.
        assert_eq!(
            decide_dispute(Some(&RULES), &[], &bought, cents(200), NOW),
            Verdict::Pending
        );
        assert_eq!(
            decide_dispute(Some(&RULES), &[], &bought, cents(199), NOW),
            Verdict::ApprovedByConditionsIiToIv
        );
        // IV: with two earlier disputes this is the third, not below 3.
        let two = [
            dispute(1, cents(1), DisputeStatus::Approved),
            dispute(2, cents(1), DisputeStatus::Pending),
        ];
        assert_eq!(
            decide_dispute(Some(&RULES), &two, &bought, cents(150), NOW),
            Verdict::Pending
        );
        // III: 1 dispute against 5 purchases is 20%, not below it; against 6 it is.
        let rules = DisputeRules {
            n: 100,
            x_ppm: 1_000_000,
            ..RULES
        };
        assert_eq!(
            decide_dispute(
                Some(&rules),
                &[],
                &purchases(5, cents(100)),
                cents(150),
                NOW
            ),
            Verdict::Pending
        );
        assert_eq!(
            decide_dispute(
                Some(&rules),
                &[],
                &purchases(6, cents(100)),
                cents(150),
                NOW
            ),
            Verdict::ApprovedByConditionsIiToIv
        );
        // Purchases outside the period count for nothing.
        let old: Vec<PastPurchase> = (0..50)
            .map(|_| PastPurchase {
                at: days_ago(31),
                price: cents(100),
            })
            .collect();
        assert_eq!(
            decide_dispute(Some(&RULES), &[], &old, cents(150), NOW),
            Verdict::Pending
        );
    }

    #[test]
    fn without_rules_everything_waits_for_an_operator() {
        assert_eq!(
            decide_dispute(None, &[], &[], cents(1), NOW),
            Verdict::Pending
        );
    }

    #[test]
    fn a_purchase_is_disputable_within_its_window_if_it_charged_something() {
        assert_eq!(
            check_disputable(Amount::ZERO, NOW, 14, NOW),
            Err(NotDisputable::ChargedNothing)
        );
        assert_eq!(check_disputable(cents(1), days_ago(14), 14, NOW), Ok(()));
        assert_eq!(
            check_disputable(cents(1), days_ago(14).minus_ms(1), 14, NOW),
            Err(NotDisputable::WindowPassed)
        );
    }
}
