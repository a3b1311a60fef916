//! The back office's own stream: what operators set for the whole service rather than for
//! one member or vendor: the dispute rules per currency ([0255]-[0260]), security groups and
//! operators ([0261]-[0262]). One stream, replayed whole at start (it is small), so every
//! reader sees one order of the operators' changes.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::dispute::DisputeRules;
use super::four_eyes::{HeldRequest, HeldRequests};
use super::ids::{ApprovalId, OperatorId, SecurityGroupId};
use super::money::Currency;
use super::security::{Operator, SecurityGroup, Staff, Staffing, VendorAdmin};
use super::time::Timestamp;
use super::vec_map::VecMap;

/// A change of the back office's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackOfficeEvent {
    /// An operator set the dispute rules of one currency (replacing any before).
    DisputeRulesSet {
        /// The currency they apply to.
        currency: Currency,
        /// The rules.
        rules: DisputeRules,
        /// When.
        at: Timestamp,
    },
    /// A security group was created.
    SecurityGroupCreated(Box<SecurityGroup>),
    /// An operator was created.
    OperatorCreated(Box<Operator>),
    /// A call of a four-eyes function was held for a second person.
    RequestHeld(Box<HeldRequest>),
    /// A second person approved (and ran) or refused a held call.
    RequestDecided {
        /// The held request.
        id: ApprovalId,
        /// Approved, or refused.
        approve: bool,
        /// Who decided.
        by: Staff,
        /// When.
        at: Timestamp,
    },
    /// A vendor's person was given a login to its back office.
    VendorAdminCreated(Box<VendorAdmin>),
    /// An operator was put in exactly these groups.
    OperatorGroupsSet {
        /// The operator.
        operator: OperatorId,
        /// Their groups from now.
        groups: BTreeSet<SecurityGroupId>,
        /// Who changed them.
        by: Staff,
        /// When.
        at: Timestamp,
    },
}

impl BackOfficeEvent {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            BackOfficeEvent::DisputeRulesSet { at, .. }
            | BackOfficeEvent::OperatorGroupsSet { at, .. }
            | BackOfficeEvent::RequestDecided { at, .. } => *at,
            BackOfficeEvent::RequestHeld(held) => held.at,
            BackOfficeEvent::SecurityGroupCreated(group) => group.created_at,
            BackOfficeEvent::OperatorCreated(operator) => operator.created_at,
            BackOfficeEvent::VendorAdminCreated(admin) => admin.created_at,
        }
    }
}

/// What the back office's stream holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackOfficeState {
    /// Dispute rules per currency; a currency without rules sends every dispute to an
    /// operator.
    pub dispute_rules: VecMap<Currency, DisputeRules>,
    /// Security groups and operators.
    pub staffing: Staffing,
    /// Calls held for a second person's approval.
    pub held: HeldRequests,
}

impl BackOfficeState {
    /// Decides setting the dispute rules of `currency` (checked at the edge by
    /// `DisputeRules::new`).
    #[must_use]
    pub fn decide_dispute_rules(
        &self,
        currency: Currency,
        rules: DisputeRules,
        now: Timestamp,
    ) -> BackOfficeEvent {
        BackOfficeEvent::DisputeRulesSet {
            currency,
            rules,
            at: now,
        }
    }

    /// The dispute rules of `currency`, if an operator set them.
    #[must_use]
    pub fn dispute_rules(&self, currency: Currency) -> Option<DisputeRules> {
        self.dispute_rules.get(&currency).copied()
    }

    /// Applies one event of the stream.
    pub fn apply(&mut self, event: &BackOfficeEvent) {
        match event {
            BackOfficeEvent::DisputeRulesSet {
                currency, rules, ..
            } => {
                self.dispute_rules.insert(*currency, *rules);
            }
            BackOfficeEvent::SecurityGroupCreated(group) => self.staffing.add_group(group),
            BackOfficeEvent::OperatorCreated(operator) => self.staffing.add_operator(operator),
            BackOfficeEvent::VendorAdminCreated(admin) => self.staffing.add_vendor_admin(admin),
            BackOfficeEvent::OperatorGroupsSet {
                operator, groups, ..
            } => self.staffing.set_groups(*operator, groups),
            BackOfficeEvent::RequestHeld(held) => self.held.hold(held),
            BackOfficeEvent::RequestDecided { id, .. } => self.held.decide(*id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Amount;

    #[test]
    fn rules_are_set_per_currency_and_replaced() {
        let usd = Currency::parse("USD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let rules =
            DisputeRules::new(14, 30, Amount::from_micros(1_000_000), 100_000, 200_000, 3).unwrap();
        let mut state = BackOfficeState::default();
        assert_eq!(state.dispute_rules(usd), None);
        state.apply(&state.decide_dispute_rules(usd, rules, Timestamp(1)));
        assert_eq!(state.dispute_rules(usd), Some(rules));
        assert_eq!(state.dispute_rules(eur), None, "each currency has its own");
        let stricter = DisputeRules { n: 1, ..rules };
        state.apply(&state.decide_dispute_rules(usd, stricter, Timestamp(2)));
        assert_eq!(state.dispute_rules(usd), Some(stricter));
    }
}
