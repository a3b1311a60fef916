//! What the server must hold after a crash: the chaos run's own book of every change it sent,
//! by outcome. Pure: no I/O, so the rules below are unit-tested without a server.
//!
//! A change the server acknowledged (a 2xx reply, or a charged batch item) must be present
//! after the restart. A change refused with a 4xx must be absent. A change that got no reply
//! (the connection died with the server) or a 5xx is *unknown*: it may or may not have landed,
//! and the check allows exactly those. For a member's balance that means the balance equals the
//! last verified balance plus the acknowledged deposits minus the acknowledged charges, plus the
//! signed amounts of *some subset* of the unknown changes. Once a cycle's balance is verified it
//! becomes the known balance, so unknowns never pile up across cycles.

use std::collections::{BTreeSet, HashMap};

/// Most reachable sums tracked for one member's unknown changes; beyond it the balance is
/// checked against the range of the unknowns instead (counted in the report).
pub const SUBSET_SUMS_MAX: usize = 1 << 16;
/// Most purchases remembered over a whole run (each is re-checked at the end).
pub const PURCHASES_MAX: usize = 5_000_000;

/// How a request ended, from the client's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx reply (or a charged batch item): the change must be present afterwards.
    Acked,
    /// A 4xx reply (or a batch item's 4xx problem): the change must be absent.
    Refused,
    /// No reply, or a 5xx: the change may or may not have landed.
    Unknown,
}

/// One purchase the load sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseSent {
    /// Member index in the fixture.
    pub member: usize,
    /// Vendor index in the fixture.
    pub vendor: usize,
    /// Content URL; unique over the run.
    pub content_url: String,
    /// Price in micro-units.
    pub price: i128,
    /// Views allowed, for a limited entitlement.
    pub views: Option<u32>,
    /// From a batch rather than a single authorize.
    pub batch: bool,
    /// The authorization id of an acknowledged purchase.
    pub authorization_id: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One thing the load observed, merged into the ledger when the cycle's load has stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// A new purchase, single or a batch item.
    Purchase(PurchaseSent),
    /// A deposit of `amount` micro-units to `member`.
    Deposit {
        /// Member index.
        member: usize,
        /// Amount in micro-units.
        amount: i128,
        /// How it ended.
        outcome: Outcome,
    },
    /// An access check on the entitlement bought as `content_url`.
    View {
        /// Content URL of the purchase.
        content_url: String,
        /// How it ended.
        outcome: Outcome,
    },
    /// A 2xx reply that contradicts the model while the server ran (a re-authorize of owned
    /// content that charged, a grant that says not granted).
    Anomaly(String),
}

/// A member's book.
#[derive(Clone, Debug, Default)]
struct MemberBook {
    /// Balance in micro-units as last verified (or as seeded).
    balance: i128,
    /// Entitlements as last verified.
    entitlements: u64,
    /// This cycle: acknowledged deposits minus acknowledged charges.
    acked_delta: i128,
    /// This cycle: acknowledged purchases.
    acked_purchases: u64,
    /// This cycle: acknowledged deposits.
    acked_deposits: u64,
    /// This cycle: signed amounts of unknown changes (charges negative).
    unknown: Vec<i128>,
    /// This cycle: unknown purchases.
    unknown_purchases: u64,
}

/// An acknowledged purchase.
#[derive(Clone, Debug)]
pub struct Purchase {
    /// Member index.
    pub member: usize,
    /// Vendor index.
    pub vendor: usize,
    /// Content URL.
    pub content_url: String,
    /// Price in micro-units.
    pub price: i128,
    /// Views allowed, for a limited entitlement.
    pub views: Option<u32>,
    /// Its authorization id.
    pub authorization_id: String,
    /// From a batch.
    pub batch: bool,
    /// Views used as last verified.
    views_used: u32,
    /// This cycle: acknowledged views.
    acked_views: u32,
    /// This cycle: unknown views.
    unknown_views: u32,
    /// Verified at least once after a restart.
    verified: bool,
}

impl Purchase {
    /// Views used as last verified (0 before the first check).
    pub fn views_used(&self) -> u32 {
        self.views_used
    }
}

/// What a purchase looked like after the restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseProbe {
    /// `GET /v1/authorizations/{id}` answered 200 with the price, the views and `authorized`.
    pub found: bool,
    /// A re-authorize answered 200, already owned, charged nothing.
    pub owned: bool,
    /// `views_left` of that re-authorize, for a limited entitlement.
    pub views_left: Option<u32>,
    /// What the re-authorize charged when it bought the content anew (the purchase was
    /// missing): a new purchase the member's book must count.
    pub charged_again: Option<i128>,
    /// What was wrong, if anything.
    pub detail: Option<String>,
}

/// What a member looked like after the restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberProbe {
    /// Wallet balance in micro-units.
    pub balance: i128,
    /// Entitlements held.
    pub entitlements: u64,
}

/// Counts of acknowledged changes, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// Single purchases.
    pub purchases: u64,
    /// Purchases made as batch items.
    pub batch_items: u64,
    /// Deposits.
    pub deposits: u64,
    /// Views counted on limited entitlements.
    pub views: u64,
}

impl Changes {
    /// All kinds together.
    pub fn total(&self) -> u64 {
        self.purchases + self.batch_items + self.deposits + self.views
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Changes) {
        self.purchases += other.purchases;
        self.batch_items += other.batch_items;
        self.deposits += other.deposits;
        self.views += other.views;
    }
}

/// The verdict on one cycle.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Acknowledged changes of this cycle that were found.
    pub checked: Changes,
    /// Acknowledged purchases of earlier cycles found again.
    pub rechecked: u64,
    /// Acknowledged changes not found (or a balance short of what was acknowledged).
    pub lost: u64,
    /// Anything else the server holds that the model cannot explain: a charge or a view
    /// nobody sent, a balance above what was sent.
    pub violations: u64,
    /// Members whose unknowns were too many for the exact subset check.
    pub range_checked_members: u64,
    /// What was wrong, one line each (bounded by the caller).
    pub problems: Vec<String>,
}

/// The run's book.
pub struct Ledger {
    members: Vec<MemberBook>,
    purchases: Vec<Purchase>,
    by_url: HashMap<String, usize>,
    /// Purchases acknowledged this cycle.
    new_this_cycle: Vec<usize>,
    /// Purchases with views (acknowledged or unknown) this cycle.
    viewed_this_cycle: BTreeSet<usize>,
    /// Acknowledged changes of this cycle, by kind.
    acked: Changes,
    /// Unknown changes of this cycle.
    unknown: u64,
    /// Refused changes of this cycle.
    refused: u64,
    /// Anomalies of this cycle.
    anomalies: Vec<String>,
}

impl Ledger {
    /// A ledger for `members` members, each seeded with `deposit` micro-units.
    pub fn new(members: usize, deposit: i128) -> Ledger {
        Ledger {
            members: (0..members)
                .map(|_| MemberBook {
                    balance: deposit,
                    ..MemberBook::default()
                })
                .collect(),
            purchases: Vec::new(),
            by_url: HashMap::new(),
            new_this_cycle: Vec::new(),
            viewed_this_cycle: BTreeSet::new(),
            acked: Changes::default(),
            unknown: 0,
            refused: 0,
            anomalies: Vec::new(),
        }
    }

    /// Every acknowledged purchase so far.
    pub fn purchases(&self) -> &[Purchase] {
        &self.purchases
    }

    /// Acknowledged changes of this cycle.
    pub fn acked(&self) -> Changes {
        self.acked
    }

    /// Unknown changes of this cycle.
    pub fn unknown(&self) -> u64 {
        self.unknown
    }

    /// Refused changes of this cycle.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Merges one observation of this cycle.
    ///
    /// # Errors
    /// A member index outside the fixture, a content URL sent twice, a view of a purchase the
    /// ledger does not hold, or more than `PURCHASES_MAX` purchases: harness bugs or limits.
    pub fn record(&mut self, observation: Observation) -> anyhow::Result<()> {
        match observation {
            Observation::Purchase(sent) => self.record_purchase(sent),
            Observation::Deposit {
                member,
                amount,
                outcome,
            } => {
                let book = self.member_mut(member)?;
                match outcome {
                    Outcome::Acked => {
                        book.acked_delta += amount;
                        book.acked_deposits += 1;
                        self.acked.deposits += 1;
                    }
                    Outcome::Unknown => {
                        book.unknown.push(amount);
                        self.unknown += 1;
                    }
                    Outcome::Refused => self.refused += 1,
                }
                Ok(())
            }
            Observation::View {
                content_url,
                outcome,
            } => {
                let Some(&index) = self.by_url.get(&content_url) else {
                    anyhow::bail!("a view of {content_url}, which the ledger does not hold");
                };
                let Some(purchase) = self.purchases.get_mut(index) else {
                    anyhow::bail!("purchase index {index} out of range");
                };
                // A view of an unlimited entitlement changes nothing durable.
                if purchase.views.is_none() {
                    return Ok(());
                }
                match outcome {
                    Outcome::Acked => {
                        purchase.acked_views += 1;
                        self.acked.views += 1;
                    }
                    Outcome::Unknown => {
                        purchase.unknown_views += 1;
                        self.unknown += 1;
                    }
                    Outcome::Refused => {
                        self.refused += 1;
                        return Ok(());
                    }
                }
                self.viewed_this_cycle.insert(index);
                Ok(())
            }
            Observation::Anomaly(text) => {
                self.anomalies.push(text);
                Ok(())
            }
        }
    }

    fn member_mut(&mut self, member: usize) -> anyhow::Result<&mut MemberBook> {
        self.members
            .get_mut(member)
            .ok_or_else(|| anyhow::anyhow!("member index {member} out of range"))
    }

    fn record_purchase(&mut self, sent: PurchaseSent) -> anyhow::Result<()> {
        let book = self.member_mut(sent.member)?;
        match (sent.outcome, sent.authorization_id) {
            (Outcome::Acked, Some(authorization_id)) => {
                book.acked_delta -= sent.price;
                book.acked_purchases += 1;
                if sent.batch {
                    self.acked.batch_items += 1;
                } else {
                    self.acked.purchases += 1;
                }
                anyhow::ensure!(
                    self.purchases.len() < PURCHASES_MAX,
                    "more than {PURCHASES_MAX} purchases in one run"
                );
                let index = self.purchases.len();
                anyhow::ensure!(
                    self.by_url
                        .insert(sent.content_url.clone(), index)
                        .is_none(),
                    "content {} bought twice by the harness",
                    sent.content_url
                );
                self.purchases.push(Purchase {
                    member: sent.member,
                    vendor: sent.vendor,
                    content_url: sent.content_url,
                    price: sent.price,
                    views: sent.views,
                    authorization_id,
                    batch: sent.batch,
                    views_used: 0,
                    acked_views: 0,
                    unknown_views: 0,
                    verified: false,
                });
                self.new_this_cycle.push(index);
            }
            (Outcome::Acked, None) => {
                anyhow::bail!("an acknowledged purchase without its authorization id")
            }
            (Outcome::Unknown, _) => {
                book.unknown.push(-sent.price);
                book.unknown_purchases += 1;
                self.unknown += 1;
            }
            (Outcome::Refused, _) => self.refused += 1,
        }
        Ok(())
    }

    /// Purchases to probe after this cycle's restart: every one acknowledged or viewed this
    /// cycle, plus `sample` (indices of earlier ones chosen by the caller), or all with `full`.
    pub fn purchases_to_check(&self, sample: &[usize], full: bool) -> Vec<usize> {
        if full {
            return (0..self.purchases.len()).collect();
        }
        let mut chosen: BTreeSet<usize> = self.new_this_cycle.iter().copied().collect();
        chosen.extend(self.viewed_this_cycle.iter().copied());
        chosen.extend(sample.iter().copied().filter(|i| *i < self.purchases.len()));
        chosen.into_iter().collect()
    }

    /// Applies what a purchase looked like after the restart.
    ///
    /// # Errors
    /// An index the ledger does not hold (a harness bug).
    pub fn check_purchase(
        &mut self,
        index: usize,
        probe: &PurchaseProbe,
        verdict: &mut Verdict,
    ) -> anyhow::Result<()> {
        let new = self.new_this_cycle.contains(&index);
        let Some(purchase) = self.purchases.get_mut(index) else {
            anyhow::bail!("purchase index {index} out of range");
        };
        let what = format!(
            "purchase {} ({}) of member {}",
            purchase.authorization_id, purchase.content_url, purchase.member
        );
        if !probe.found || !probe.owned {
            verdict.lost += 1;
            verdict.problems.push(format!(
                "LOST {what}: {}",
                probe.detail.as_deref().unwrap_or("not found")
            ));
            purchase.acked_views = 0;
            purchase.unknown_views = 0;
            let member = purchase.member;
            if let Some(charged) = probe.charged_again {
                let book = self.member_mut(member)?;
                book.balance -= charged;
                book.entitlements += 1;
            }
            return Ok(());
        }
        if new {
            if purchase.batch {
                verdict.checked.batch_items += 1;
            } else {
                verdict.checked.purchases += 1;
            }
        } else if purchase.verified {
            verdict.rechecked += 1;
        }
        purchase.verified = true;
        if let Some(allowed) = purchase.views {
            let Some(left) = probe.views_left else {
                verdict.violations += 1;
                verdict.problems.push(format!(
                    "{what}: limited to {allowed} views, shows no views left"
                ));
                return Ok(());
            };
            let used = allowed.saturating_sub(left);
            let least = purchase.views_used.saturating_add(purchase.acked_views);
            let most = least.saturating_add(purchase.unknown_views);
            if used < least {
                verdict.lost += u64::from(least - used);
                verdict.problems.push(format!(
                    "LOST views on {what}: {used} used, at least {least} acknowledged"
                ));
            } else if used > most {
                verdict.violations += 1;
                verdict.problems.push(format!(
                    "{what}: {used} views used, at most {most} were sent"
                ));
            } else {
                verdict.checked.views += u64::from(purchase.acked_views);
            }
            purchase.views_used = used;
        }
        purchase.acked_views = 0;
        purchase.unknown_views = 0;
        Ok(())
    }

    /// Applies what a member looked like after the restart: the balance must be the known one
    /// plus this cycle's acknowledged changes plus a subset of its unknown ones, and the
    /// entitlements likewise. The observed values become the known ones either way, so one
    /// finding is reported once.
    ///
    /// # Errors
    /// A member index outside the fixture (a harness bug).
    pub fn check_member(
        &mut self,
        member: usize,
        probe: MemberProbe,
        verdict: &mut Verdict,
    ) -> anyhow::Result<()> {
        let book = self.member_mut(member)?;
        let expected = book.balance + book.acked_delta;
        let surplus = probe.balance - expected;
        let least_entitlements = book.entitlements + book.acked_purchases;
        let most_entitlements = least_entitlements + book.unknown_purchases;
        let mut lost = 0;
        let mut violations = 0;
        let mut problems = Vec::new();
        match subset_sums(&book.unknown) {
            Some(sums) if sums.contains(&surplus) => {}
            Some(_) => {
                // Short of every possible outcome: an acknowledged change is missing (or a
                // charge nobody sent landed); above it: money from nowhere.
                if surplus < range_of(&book.unknown).0 {
                    lost += 1;
                } else {
                    violations += 1;
                }
                problems.push(format!(
                    "member {member}: balance {} is {surplus} micro-units from the {} expected, \
                     which no subset of its {} unknown changes explains",
                    probe.balance,
                    expected,
                    book.unknown.len()
                ));
            }
            None => {
                verdict.range_checked_members += 1;
                let (low, high) = range_of(&book.unknown);
                if surplus < low || surplus > high {
                    if surplus < low {
                        lost += 1;
                    } else {
                        violations += 1;
                    }
                    problems.push(format!(
                        "member {member}: balance {} is {surplus} micro-units from the {} \
                         expected, outside [{low}, {high}]",
                        probe.balance, expected
                    ));
                }
            }
        }
        if probe.entitlements < least_entitlements {
            lost += least_entitlements - probe.entitlements;
            problems.push(format!(
                "member {member}: {} entitlements, at least {least_entitlements} acknowledged",
                probe.entitlements
            ));
        } else if probe.entitlements > most_entitlements {
            violations += 1;
            problems.push(format!(
                "member {member}: {} entitlements, at most {most_entitlements} were sent",
                probe.entitlements
            ));
        }
        if lost == 0 && violations == 0 {
            verdict.checked.deposits += book.acked_deposits;
        }
        verdict.lost += lost;
        verdict.violations += violations;
        verdict.problems.extend(problems);
        book.balance = probe.balance;
        book.entitlements = probe.entitlements;
        book.acked_delta = 0;
        book.acked_purchases = 0;
        book.acked_deposits = 0;
        book.unknown.clear();
        book.unknown_purchases = 0;
        Ok(())
    }

    /// Ends the cycle: anomalies seen under load become violations of `verdict`, and this
    /// cycle's counters start again.
    pub fn end_cycle(&mut self, verdict: &mut Verdict) {
        verdict.violations += u64::try_from(self.anomalies.len()).unwrap_or(u64::MAX);
        verdict.problems.append(&mut self.anomalies);
        self.new_this_cycle.clear();
        self.viewed_this_cycle.clear();
        self.acked = Changes::default();
        self.unknown = 0;
        self.refused = 0;
    }
}

/// Every sum of a subset of `amounts`, or `None` when there would be more than
/// `SUBSET_SUMS_MAX` (equal amounts collapse, so that takes many distinct unknowns).
pub fn subset_sums(amounts: &[i128]) -> Option<BTreeSet<i128>> {
    let mut sums = BTreeSet::from([0_i128]);
    for amount in amounts {
        let shifted: Vec<i128> = sums.iter().map(|sum| sum + amount).collect();
        sums.extend(shifted);
        if sums.len() > SUBSET_SUMS_MAX {
            return None;
        }
    }
    Some(sums)
}

/// The lowest and highest subset sum of `amounts`.
fn range_of(amounts: &[i128]) -> (i128, i128) {
    amounts.iter().fold((0, 0), |(low, high), amount| {
        if *amount < 0 {
            (low + amount, high)
        } else {
            (low, high + amount)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(member: usize, url: &str, price: i128, outcome: Outcome) -> Observation {
        Observation::Purchase(PurchaseSent {
            member,
            vendor: 0,
            content_url: url.to_owned(),
            price,
            views: Some(10),
            batch: false,
            authorization_id: (outcome == Outcome::Acked).then(|| format!("auth-{url}")),
            outcome,
        })
    }

    fn deposit(member: usize, amount: i128, outcome: Outcome) -> Observation {
        Observation::Deposit {
            member,
            amount,
            outcome,
        }
    }

    fn found(views_left: Option<u32>) -> PurchaseProbe {
        PurchaseProbe {
            found: true,
            owned: true,
            views_left,
            charged_again: None,
            detail: None,
        }
    }

    #[test]
    fn subset_sums_are_exact_and_bounded() {
        let sums = subset_sums(&[-5, 7]).unwrap();
        assert_eq!(sums, BTreeSet::from([-5, 0, 2, 7]));
        // Equal amounts collapse: a hundred unknown one-cent charges are 101 sums.
        assert_eq!(subset_sums(&[-10_000; 100]).unwrap().len(), 101);
        // Distinct powers of two do not: the bound gives up instead of growing.
        let distinct: Vec<i128> = (0..17).map(|bit| 1_i128 << bit).collect();
        assert!(subset_sums(&distinct).is_none());
        assert_eq!(range_of(&[-5, 7, -1]), (-6, 7));
    }

    #[test]
    fn acknowledged_changes_must_all_be_present() {
        let mut ledger = Ledger::new(2, 1_000_000);
        ledger
            .record(purchase(0, "a", 10_000, Outcome::Acked))
            .unwrap();
        ledger.record(deposit(0, 500_000, Outcome::Acked)).unwrap();
        ledger
            .record(purchase(1, "b", 20_000, Outcome::Refused))
            .unwrap();
        assert_eq!(ledger.acked().total(), 2);

        let mut verdict = Verdict::default();
        let probe = MemberProbe {
            balance: 1_490_000,
            entitlements: 1,
        };
        ledger.check_member(0, probe, &mut verdict).unwrap();
        // A refused purchase must not have charged: member 1 keeps its seed.
        let untouched = MemberProbe {
            balance: 1_000_000,
            entitlements: 0,
        };
        ledger.check_member(1, untouched, &mut verdict).unwrap();
        ledger
            .check_purchase(0, &found(Some(10)), &mut verdict)
            .unwrap();
        assert_eq!((verdict.lost, verdict.violations), (0, 0), "{verdict:?}");
        assert_eq!(verdict.checked.total(), 2);

        // Next cycle: the deposit is missing after the restart.
        ledger.end_cycle(&mut verdict);
        ledger.record(deposit(0, 300_000, Outcome::Acked)).unwrap();
        let mut verdict = Verdict::default();
        let probe = MemberProbe {
            balance: 1_490_000,
            entitlements: 1,
        };
        ledger.check_member(0, probe, &mut verdict).unwrap();
        assert_eq!(verdict.lost, 1, "{verdict:?}");
        assert_eq!(verdict.checked.deposits, 0);
    }

    #[test]
    fn unknown_changes_may_land_or_not_but_nothing_else_may() {
        let balance_after = |landed: &[i128]| 1_000_000 - 10_000 + landed.iter().sum::<i128>();
        for (landed, ok) in [
            (vec![], true),
            (vec![-7_000], true),
            (vec![200_000], true),
            (vec![-7_000, 200_000], true),
            // A charge no request made, and a deposit twice: neither is explained.
            (vec![-1], false),
            (vec![400_000], false),
        ] {
            let mut ledger = Ledger::new(1, 1_000_000);
            ledger
                .record(purchase(0, "a", 10_000, Outcome::Acked))
                .unwrap();
            ledger
                .record(purchase(0, "b", 7_000, Outcome::Unknown))
                .unwrap();
            ledger
                .record(deposit(0, 200_000, Outcome::Unknown))
                .unwrap();
            let mut verdict = Verdict::default();
            let entitlements = if landed.contains(&-7_000) { 2 } else { 1 };
            let probe = MemberProbe {
                balance: balance_after(&landed),
                entitlements,
            };
            ledger.check_member(0, probe, &mut verdict).unwrap();
            assert_eq!(
                verdict.lost + verdict.violations == 0,
                ok,
                "{landed:?}: {verdict:?}"
            );
        }
        // The acknowledged charge itself missing is a loss, not a violation.
        let mut ledger = Ledger::new(1, 1_000_000);
        ledger
            .record(purchase(0, "a", 10_000, Outcome::Acked))
            .unwrap();
        let mut verdict = Verdict::default();
        let probe = MemberProbe {
            balance: 1_000_000,
            entitlements: 0,
        };
        ledger.check_member(0, probe, &mut verdict).unwrap();
        // The money shows a surplus (a violation) and the entitlement is missing (a loss).
        assert_eq!((verdict.lost, verdict.violations), (1, 1), "{verdict:?}");
    }

    #[test]
    fn views_are_bounded_by_acknowledged_and_unknown() {
        let mut ledger = Ledger::new(1, 1_000_000);
        ledger
            .record(purchase(0, "a", 10_000, Outcome::Acked))
            .unwrap();
        for outcome in [
            Outcome::Acked,
            Outcome::Acked,
            Outcome::Unknown,
            Outcome::Refused,
        ] {
            let view = Observation::View {
                content_url: "a".to_owned(),
                outcome,
            };
            ledger.record(view).unwrap();
        }
        // 10 allowed; 2 acknowledged and 1 unknown: 7 or 8 left.
        for (left, lost, violations) in [(8, 0, 0), (7, 0, 0), (9, 1, 0), (6, 0, 1)] {
            let mut copy = Ledger::new(1, 1_000_000);
            copy.purchases = ledger.purchases.clone();
            copy.by_url = ledger.by_url.clone();
            copy.new_this_cycle = ledger.new_this_cycle.clone();
            let mut verdict = Verdict::default();
            copy.check_purchase(0, &found(Some(left)), &mut verdict)
                .unwrap();
            assert_eq!(
                (verdict.lost, verdict.violations),
                (lost, violations),
                "{left}"
            );
        }
        let mut verdict = Verdict::default();
        ledger
            .check_purchase(0, &found(Some(7)), &mut verdict)
            .unwrap();
        assert_eq!(verdict.checked.views, 2);
        // The next cycle starts from the 3 views found used.
        ledger.end_cycle(&mut verdict);
        assert_eq!(ledger.purchases()[0].views_used(), 3);
        let mut verdict = Verdict::default();
        ledger
            .check_purchase(0, &found(Some(8)), &mut verdict)
            .unwrap();
        assert_eq!(verdict.lost, 1, "a view found used went back: {verdict:?}");
    }

    #[test]
    fn a_missing_purchase_is_lost_and_anomalies_are_violations() {
        let mut ledger = Ledger::new(1, 1_000_000);
        ledger
            .record(purchase(0, "a", 10_000, Outcome::Acked))
            .unwrap();
        ledger
            .record(Observation::Anomaly("owned content charged".to_owned()))
            .unwrap();
        // After the restart the charge and the entitlement are both gone.
        let mut verdict = Verdict::default();
        let probe = MemberProbe {
            balance: 1_000_000,
            entitlements: 0,
        };
        ledger.check_member(0, probe, &mut verdict).unwrap();
        let gone = PurchaseProbe {
            found: true,
            owned: false,
            views_left: None,
            charged_again: Some(10_000),
            detail: Some("bought anew".to_owned()),
        };
        ledger.check_purchase(0, &gone, &mut verdict).unwrap();
        ledger.end_cycle(&mut verdict);
        assert_eq!((verdict.lost, verdict.violations), (2, 2), "{verdict:?}");
        assert_eq!(verdict.problems.len(), 4);
        // The probe's own new charge is booked, so the next cycle reports nothing again.
        let mut verdict = Verdict::default();
        let probe = MemberProbe {
            balance: 990_000,
            entitlements: 1,
        };
        ledger.check_member(0, probe, &mut verdict).unwrap();
        assert_eq!((verdict.lost, verdict.violations), (0, 0), "{verdict:?}");
        // The harness never buys one content twice, nor views what it did not buy.
        assert!(ledger.record(purchase(0, "a", 1, Outcome::Acked)).is_err());
        let stray = Observation::View {
            content_url: "zzz".to_owned(),
            outcome: Outcome::Acked,
        };
        assert!(ledger.record(stray).is_err());
    }
}
