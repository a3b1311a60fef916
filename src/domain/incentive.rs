//! Incentive tokens ([0139], [0174], [0186], [0190], [0212], [0217]-[0218]): programs that
//! issue grants, and the order in which a member's grants pay for a purchase.
//!
//! A program belongs to the MSP (its grants are spendable anywhere), to a vendor group (at
//! any vendor of the group) or to one vendor (there only). Each has a code, an amount per
//! grant, a currency, an optional expiry and a budget. The MSP funds its own programs and the
//! groups' (an operator creates both); a vendor funds its own. Incentive balances are a
//! promise, not cash (DESIGN §2): they enter the money totals only when spent.
//!
//! Grants are the member's: the account holds them and spends them, so a purchase is still
//! decided by one actor alone. Programs, groups and budgets are the service's
//! ([`ProgramsState`], one stream). A grant is journaled by the account only; the budget is
//! reserved in memory first and released if the account refuses, and recovery counts what
//! was granted from the journal, so a crash never over-spends a budget (it can only leave a
//! reservation unused until the restart).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::ids::{GrantId, ProgramId, VendorGroupId, VendorId};
use super::money::{Amount, Currency};
use super::offer::IncentivePolicy;
use super::reject::Reject;
use super::time::Timestamp;

/// Grants one account holds at once: a member cannot grow an account without bound by
/// redeeming codes.
pub const GRANTS_HELD_MAX: usize = 32;
/// Programs one account may have redeemed a code of (each redeems once per account).
pub const REDEEMED_MAX: usize = 1_024;
/// Programs the service keeps in all, and one vendor at most.
pub const PROGRAMS_MAX: usize = 10_000;
/// Programs one vendor may create.
pub const PROGRAMS_PER_VENDOR_MAX: usize = 100;
/// Vendor groups the service keeps.
pub const VENDOR_GROUPS_MAX: usize = 1_000;
/// Vendors one group may hold.
pub const GROUP_VENDORS_MAX: usize = 1_000;

/// Where a grant may be spent. Also its specificity: a purchase spends the grants that are
/// most specific to the vendor first, so an incentive that could only pay here is not left
/// unspent while one that could pay anywhere pays instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reach {
    /// At one vendor (its own program).
    Vendor(VendorId),
    /// At any vendor of a group, as the group stood when the grant was made.
    Group {
        /// The group.
        group: VendorGroupId,
        /// Its vendors.
        vendors: Vec<VendorId>,
    },
    /// Anywhere (an MSP program, the signup bonus).
    Anywhere,
}

impl Reach {
    /// Whether a grant of this reach may pay at `vendor`.
    #[must_use]
    pub fn includes(&self, vendor: VendorId) -> bool {
        match self {
            Reach::Vendor(only) => *only == vendor,
            Reach::Group { vendors, .. } => vendors.contains(&vendor),
            Reach::Anywhere => true,
        }
    }

    /// Lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Reach::Vendor(_) => 0,
            Reach::Group { .. } => 1,
            Reach::Anywhere => 2,
        }
    }
}

/// Who pays for a grant when it is spent: the MSP (its own and the groups' programs, the
/// signup bonus) or a vendor (its own program: it is not paid for what it gave away).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Funder {
    /// The service, out of its equity.
    Msp,
    /// A vendor, out of its own sales.
    Vendor(VendorId),
}

/// An incentive a member holds (or, in a purchase's record, the part of one it spent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The grant.
    pub id: GrantId,
    /// The program it came from; `None` for the signup bonus.
    pub program: Option<ProgramId>,
    /// Where it may be spent.
    pub reach: Reach,
    /// Who pays when it is spent.
    pub funder: Funder,
    /// Its currency: it pays only prices in it.
    pub currency: Currency,
    /// What is left of it (in a purchase's record: what the purchase took).
    pub remaining: Amount,
    /// When it was granted (older grants pay first among equals).
    pub granted_at: Timestamp,
    /// When it stops counting; `None`: never.
    pub expires_at: Option<Timestamp>,
}

impl Grant {
    /// Whether it still counts at `now`: an expired grant stops at its expiry instant, before
    /// the sweep records the expiry.
    #[must_use]
    pub fn live_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// Whether it may pay for a purchase at `vendor` in `currency` now, under the offer's
    /// `policy` (a list names program ids; the signup bonus is in no list).
    #[must_use]
    pub fn pays(
        &self,
        vendor: VendorId,
        currency: Currency,
        policy: &IncentivePolicy,
        now: Timestamp,
    ) -> bool {
        let accepted = match policy {
            IncentivePolicy::Any => true,
            IncentivePolicy::None => false,
            IncentivePolicy::Only(_) => self
                .program
                .is_some_and(|program| policy.accepts(&program.to_string())),
        };
        accepted
            && self.currency == currency
            && self.reach.includes(vendor)
            && self.live_at(now)
            && !self.remaining.is_zero()
    }

    /// The order grants pay in: the most specific reach first, then the soonest expiry (no
    /// expiry last), then the oldest, then the id (so the order is total and replayable).
    fn spending_order(&self) -> (u8, bool, Option<Timestamp>, Timestamp, GrantId) {
        (
            self.reach.rank(),
            self.expires_at.is_none(),
            self.expires_at,
            self.granted_at,
            self.id,
        )
    }
}

/// Which grants pay for a price at `vendor`, and how much each (in the spending order; a
/// grant may cover part of the price, the rest comes from the paid balance, then the credit
/// line). Each entry is the grant with `remaining` set to what it pays. Empty when none
/// applies.
#[must_use]
pub fn plan_spend<'a>(
    grants: impl Iterator<Item = &'a Grant>,
    vendor: VendorId,
    currency: Currency,
    policy: &IncentivePolicy,
    price: Amount,
    now: Timestamp,
) -> Vec<Grant> {
    let mut usable: Vec<&Grant> = grants
        .filter(|grant| grant.pays(vendor, currency, policy, now))
        .collect();
    usable.sort_by_key(|grant| grant.spending_order());
    let mut left = price;
    let mut spent = Vec::new();
    for grant in usable {
        if left.is_zero() {
            break;
        }
        let part = grant.remaining.min(left);
        left = left.checked_sub(part).unwrap_or(Amount::ZERO);
        spent.push(Grant {
            remaining: part,
            ..grant.clone()
        });
    }
    spent
}

/// The sum of what `spent` grants pay (at most the price, so it cannot overflow).
#[must_use]
pub fn spent_total(spent: &[Grant]) -> Amount {
    spent
        .iter()
        .try_fold(Amount::ZERO, |sum, grant| sum.checked_add(grant.remaining))
        .unwrap_or(Amount::ZERO)
}

/// Whose program it is and so where its grants may be spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProgramScope {
    /// The MSP's: anywhere.
    Msp,
    /// A vendor group's (created by an operator, funded by the MSP).
    Group(VendorGroupId),
    /// A vendor's own.
    Vendor(VendorId),
}

/// An incentive program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// The program.
    pub id: ProgramId,
    /// The code a member redeems (upper-cased at the edge; unique in the service).
    pub code: String,
    /// Whose it is.
    pub scope: ProgramScope,
    /// What one grant is worth.
    pub amount: Amount,
    /// The grants' currency.
    pub currency: Currency,
    /// When its grants stop counting, and it stops granting; `None`: never.
    pub expires_at: Option<Timestamp>,
    /// What it may grant in all.
    pub budget: Amount,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Program {
    /// Who pays for its grants.
    #[must_use]
    pub fn funder(&self) -> Funder {
        match self.scope {
            ProgramScope::Vendor(vendor) => Funder::Vendor(vendor),
            ProgramScope::Msp | ProgramScope::Group(_) => Funder::Msp,
        }
    }
}

/// A group of vendors an operator defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorGroup {
    /// The group.
    pub id: VendorGroupId,
    /// Its name, for operators.
    pub name: String,
    /// Its vendors (existing ones, checked at the edge), without repeats.
    pub vendors: Vec<VendorId>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// The service's programs and groups, and how much of each budget is issued.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramsState {
    /// Vendor groups by id.
    pub groups: BTreeMap<VendorGroupId, VendorGroup>,
    /// Programs by id.
    pub programs: BTreeMap<ProgramId, Program>,
    /// Program ids by code.
    codes: BTreeMap<String, ProgramId>,
    /// Granted (durably, as recovery counted it) plus reserved now, per program. Not an
    /// event fold of this stream: grants are account events.
    issued: BTreeMap<ProgramId, Amount>,
}

impl ProgramsState {
    /// Decides a vendor group. Checks, in order: fewer than `VENDOR_GROUPS_MAX` groups; a
    /// fresh id; 1 to `GROUP_VENDORS_MAX` vendors (repeats dropped).
    ///
    /// # Errors
    /// `IncentiveQuotaExceeded`, `VendorGroupUnknown` for no vendors.
    pub fn decide_create_group(
        &self,
        id: VendorGroupId,
        name: String,
        mut vendors: Vec<VendorId>,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.groups.len() >= VENDOR_GROUPS_MAX || self.groups.contains_key(&id) {
            return Err(Reject::IncentiveQuotaExceeded);
        }
        vendors.sort_unstable();
        vendors.dedup();
        if vendors.is_empty() || vendors.len() > GROUP_VENDORS_MAX {
            return Err(Reject::VendorGroupUnknown);
        }
        Ok(Event::VendorGroupCreated(Box::new(VendorGroup {
            id,
            name,
            vendors,
            created_at: now,
        })))
    }

    /// Decides a program. Checks, in order: the group exists (group scope); the code is not
    /// taken; fewer than `PROGRAMS_MAX` programs, and than `PROGRAMS_PER_VENDOR_MAX` for a
    /// vendor; the expiry, if any, is after `now`; the amount is not zero and the budget
    /// covers at least one grant.
    ///
    /// # Errors
    /// `VendorGroupUnknown`, `IncentiveCodeTaken`, `IncentiveQuotaExceeded`,
    /// `IncentiveExpired`, `AmountTooLarge` (a budget below one grant).
    pub fn decide_create_program(&self, program: Program) -> Result<Event, Reject> {
        if let ProgramScope::Group(group) = program.scope
            && !self.groups.contains_key(&group)
        {
            return Err(Reject::VendorGroupUnknown);
        }
        if self.codes.contains_key(&program.code) || self.programs.contains_key(&program.id) {
            return Err(Reject::IncentiveCodeTaken);
        }
        let of_vendor = |vendor: VendorId| {
            self.programs
                .values()
                .filter(|p| p.scope == ProgramScope::Vendor(vendor))
                .count()
        };
        let too_many = self.programs.len() >= PROGRAMS_MAX
            || matches!(program.scope, ProgramScope::Vendor(vendor)
                if of_vendor(vendor) >= PROGRAMS_PER_VENDOR_MAX);
        if too_many {
            return Err(Reject::IncentiveQuotaExceeded);
        }
        if program
            .expires_at
            .is_some_and(|expiry| expiry <= program.created_at)
        {
            return Err(Reject::IncentiveExpired);
        }
        if program.amount.is_zero() || program.budget < program.amount {
            return Err(Reject::AmountTooLarge);
        }
        Ok(Event::ProgramCreated(Box::new(program)))
    }

    /// Applies an event of this stream. Cannot fail: `decide` checked everything.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::VendorGroupCreated(group) => {
                self.groups.insert(group.id, (**group).clone());
            }
            Event::ProgramCreated(program) => {
                self.codes.insert(program.code.clone(), program.id);
                self.programs.insert(program.id, (**program).clone());
            }
            _ => {}
        }
    }

    /// The program a member's code names, if any.
    #[must_use]
    pub fn program_by_code(&self, code: &str) -> Option<&Program> {
        self.codes.get(code).and_then(|id| self.programs.get(id))
    }

    /// Sets how much of each program's budget was granted, as recovery counted it.
    pub fn set_issued(&mut self, issued: impl IntoIterator<Item = (ProgramId, Amount)>) {
        self.issued = issued.into_iter().collect();
    }

    /// How much of `program`'s budget is granted or reserved.
    fn issued(&self, program: ProgramId) -> Amount {
        self.issued.get(&program).copied().unwrap_or(Amount::ZERO)
    }

    /// Reserves one grant of `program` at `now` and answers it (id `grant`), for the
    /// member's account to journal. Checks, in order: the program exists; it has not
    /// expired; its budget has one more grant left.
    ///
    /// # Errors
    /// `IncentiveUnknown`, `IncentiveExpired`, `IncentiveBudgetExhausted`.
    pub fn reserve(
        &mut self,
        program: ProgramId,
        grant: GrantId,
        now: Timestamp,
    ) -> Result<Grant, Reject> {
        let found = self
            .programs
            .get(&program)
            .ok_or(Reject::IncentiveUnknown)?;
        if found.expires_at.is_some_and(|expiry| now >= expiry) {
            return Err(Reject::IncentiveExpired);
        }
        let issued = self.issued(program);
        let after = issued
            .checked_add(found.amount)
            .filter(|after| *after <= found.budget)
            .ok_or(Reject::IncentiveBudgetExhausted)?;
        let reach = match found.scope {
            ProgramScope::Msp => Reach::Anywhere,
            ProgramScope::Vendor(vendor) => Reach::Vendor(vendor),
            ProgramScope::Group(group) => Reach::Group {
                group,
                vendors: self
                    .groups
                    .get(&group)
                    .map(|g| g.vendors.clone())
                    .unwrap_or_default(),
            },
        };
        let reserved = Grant {
            id: grant,
            program: Some(program),
            reach,
            funder: found.funder(),
            currency: found.currency,
            remaining: found.amount,
            granted_at: now,
            expires_at: found.expires_at,
        };
        self.issued.insert(program, after);
        Ok(reserved)
    }

    /// Gives back a reservation the account refused.
    pub fn release(&mut self, program: ProgramId, amount: Amount) {
        if let Some(issued) = self.issued.get_mut(&program) {
            *issued = issued.checked_sub(amount).unwrap_or(Amount::ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn grant(
        id: u64,
        reach: Reach,
        expires_at: Option<i64>,
        granted_at: i64,
        amount: u64,
    ) -> Grant {
        Grant {
            id: GrantId(id),
            program: Some(ProgramId(id)),
            reach,
            funder: Funder::Msp,
            currency: usd(),
            remaining: Amount::from_micros(amount),
            granted_at: Timestamp(granted_at),
            expires_at: expires_at.map(Timestamp),
        }
    }

    #[test]
    fn the_most_specific_then_soonest_expiring_then_oldest_pays_first() {
        let here = VendorId(1);
        let group = Reach::Group {
            group: VendorGroupId(1),
            vendors: vec![here],
        };
        let grants = [
            grant(1, Reach::Anywhere, Some(50), 0, 100),
            grant(2, group.clone(), None, 0, 100),
            grant(3, group, Some(90), 5, 100),
            grant(4, Reach::Vendor(here), None, 9, 100),
            grant(5, Reach::Vendor(VendorId(2)), None, 0, 100),
            grant(6, Reach::Anywhere, None, 1, 100),
            grant(7, Reach::Anywhere, None, 0, 100),
        ];
        let order: Vec<u64> = plan_spend(
            grants.iter(),
            here,
            usd(),
            &IncentivePolicy::Any,
            Amount::from_micros(10_000),
            Timestamp(10),
        )
        .iter()
        .map(|g| g.id.0)
        .collect();
        // Vendor 2's grant never pays here.
        assert_eq!(order, vec![4, 3, 2, 1, 7, 6]);
    }

    #[test]
    fn a_grant_covers_part_of_a_price_and_expired_ones_pay_nothing() {
        let here = VendorId(1);
        let grants = [
            grant(1, Reach::Anywhere, Some(10), 0, 300),
            grant(2, Reach::Anywhere, Some(11), 0, 300),
            grant(3, Reach::Anywhere, None, 0, 300),
        ];
        let at = |now, price| {
            plan_spend(
                grants.iter(),
                here,
                usd(),
                &IncentivePolicy::Any,
                Amount::from_micros(price),
                Timestamp(now),
            )
            .iter()
            .map(|g| (g.id.0, g.remaining.micros()))
            .collect::<Vec<_>>()
        };
        // One millisecond before its expiry a grant counts; at it, it does not.
        assert_eq!(at(9, 500), vec![(1, 300), (2, 200)]);
        assert_eq!(at(10, 500), vec![(2, 300), (3, 200)]);
        assert_eq!(at(11, 1_000), vec![(3, 300)]);
        assert_eq!(
            spent_total(&plan_spend(
                grants.iter(),
                here,
                usd(),
                &IncentivePolicy::None,
                Amount::from_micros(100),
                Timestamp(0),
            )),
            Amount::ZERO
        );
    }

    #[test]
    fn an_offer_list_names_programs_and_the_signup_bonus_is_in_none() {
        let here = VendorId(1);
        let mut bonus = grant(9, Reach::Anywhere, None, 0, 100);
        bonus.program = None;
        let listed = grant(4, Reach::Anywhere, None, 0, 100);
        let only = IncentivePolicy::Only(vec![ProgramId(4).to_string()]);
        let spent = plan_spend(
            [&bonus, &listed].into_iter(),
            here,
            usd(),
            &only,
            Amount::from_micros(150),
            Timestamp(0),
        );
        assert_eq!(spent.len(), 1);
        assert_eq!(spent[0].id, GrantId(4));
        let mut euro = listed.clone();
        euro.currency = Currency::parse("EUR").unwrap();
        assert!(!euro.pays(here, usd(), &IncentivePolicy::Any, Timestamp(0)));
    }

    fn program(id: u64, code: &str, scope: ProgramScope, amount: u64, budget: u64) -> Program {
        Program {
            id: ProgramId(id),
            code: code.to_owned(),
            scope,
            amount: Amount::from_micros(amount),
            currency: usd(),
            expires_at: Some(Timestamp(1_000)),
            budget: Amount::from_micros(budget),
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn a_budget_grants_until_the_next_grant_would_pass_it_and_releases_come_back() {
        let mut state = ProgramsState::default();
        let event = state
            .decide_create_program(program(1, "SPRING", ProgramScope::Msp, 300, 700))
            .unwrap();
        state.apply(&event);
        assert_eq!(
            state.decide_create_program(program(2, "SPRING", ProgramScope::Msp, 1, 1)),
            Err(Reject::IncentiveCodeTaken)
        );
        let first = state
            .reserve(ProgramId(1), GrantId(10), Timestamp(5))
            .unwrap();
        assert_eq!(first.reach, Reach::Anywhere);
        assert_eq!(first.expires_at, Some(Timestamp(1_000)));
        state
            .reserve(ProgramId(1), GrantId(11), Timestamp(5))
            .unwrap();
        assert_eq!(
            state.reserve(ProgramId(1), GrantId(12), Timestamp(5)),
            Err(Reject::IncentiveBudgetExhausted),
            "600 issued: 300 more would pass 700"
        );
        state.release(ProgramId(1), Amount::from_micros(300));
        assert!(
            state
                .reserve(ProgramId(1), GrantId(12), Timestamp(5))
                .is_ok()
        );
        assert_eq!(
            state.reserve(ProgramId(1), GrantId(13), Timestamp(1_000)),
            Err(Reject::IncentiveExpired)
        );
        assert_eq!(
            state.reserve(ProgramId(9), GrantId(14), Timestamp(5)),
            Err(Reject::IncentiveUnknown)
        );
    }

    #[test]
    fn programs_are_checked_before_they_exist() {
        let state = ProgramsState::default();
        assert_eq!(
            state.decide_create_program(program(
                1,
                "G",
                ProgramScope::Group(VendorGroupId(3)),
                1,
                1
            )),
            Err(Reject::VendorGroupUnknown)
        );
        assert_eq!(
            state.decide_create_program(program(1, "A", ProgramScope::Msp, 2, 1)),
            Err(Reject::AmountTooLarge),
            "a budget below one grant"
        );
        let mut past = program(1, "P", ProgramScope::Msp, 1, 1);
        past.expires_at = Some(Timestamp(0));
        assert_eq!(
            state.decide_create_program(past),
            Err(Reject::IncentiveExpired)
        );
        let mut vendor_state = ProgramsState::default();
        for id in 0..u64::try_from(PROGRAMS_PER_VENDOR_MAX).unwrap() {
            let event = vendor_state
                .decide_create_program(program(
                    id,
                    &format!("C{id}"),
                    ProgramScope::Vendor(VendorId(1)),
                    1,
                    1,
                ))
                .unwrap();
            vendor_state.apply(&event);
        }
        assert_eq!(
            vendor_state.decide_create_program(program(
                999,
                "MORE",
                ProgramScope::Vendor(VendorId(1)),
                1,
                1
            )),
            Err(Reject::IncentiveQuotaExceeded)
        );
        assert!(
            vendor_state
                .decide_create_program(program(
                    999,
                    "MORE",
                    ProgramScope::Vendor(VendorId(2)),
                    1,
                    1
                ))
                .is_ok()
        );
    }
}
