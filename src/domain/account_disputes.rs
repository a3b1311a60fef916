//! How a member's account files a dispute of one of its purchases and takes an operator's
//! decision ([0255]-[0260]). The rule itself lives in `dispute.rs`; this is the account's
//! side: which purchases can be disputed, what the conditions count, and the events.
//!
//! The account keeps its disputes by the disputed purchase's authorization (a purchase is
//! disputed at most once). An approval, at filing or by an operator, journals the purchase's
//! reversal in the same group as the dispute's event, so the refund (to the sources it was
//! paid from, incentives included), the end of the entitlement and the vendor's reversed sale
//! are never apart from the decision that caused them.

use super::account::AccountState;
use super::dispute::{
    DISPUTES_PENDING_MAX, Dispute, DisputeRules, DisputeStatus, NotDisputable, PastPurchase,
    Verdict, check_disputable, decide_dispute,
};
use super::event::{Event, Origin};
use super::ids::AuthorizationId;
use super::money::Currency;
use super::reject::Reject;
use super::time::Timestamp;
use super::vec_map::VecMap;

impl AccountState {
    /// Decides a dispute the member files of the purchase `authorization`, under the rules an
    /// operator set for the purchase's currency (`rules`, per currency).
    ///
    /// Purchases that charged nothing are not counted as purchases by Conditions II and III:
    /// free items would otherwise let a member buy room for disputes.
    ///
    /// # Errors
    /// `AuthorizationUnknown`, `AlreadyReversed`, `DisputeExists`, `DisputeChargedNothing`,
    /// `DisputeWindowPassed`, `DisputesPendingMax`.
    pub fn decide_file_dispute(
        &self,
        authorization: AuthorizationId,
        reason: &str,
        rules: &VecMap<Currency, DisputeRules>,
        now: Timestamp,
    ) -> Result<Vec<Event>, Reject> {
        let entitlement = self
            .entitlements
            .values()
            .find(|e| e.authorization == authorization)
            .ok_or(Reject::AuthorizationUnknown)?;
        if self.disputes.contains_key(&authorization) {
            return Err(Reject::DisputeExists);
        }
        if entitlement.is_reversed() {
            return Err(Reject::AlreadyReversed);
        }
        let rules = rules.get(&entitlement.currency);
        // Without rules for the currency there is no window either: an operator decides.
        let window = rules.map_or(u32::MAX, |rules| rules.window_days);
        check_disputable(entitlement.price, entitlement.purchased_at, window, now).map_err(
            |reason| match reason {
                NotDisputable::ChargedNothing => Reject::DisputeChargedNothing,
                NotDisputable::WindowPassed => Reject::DisputeWindowPassed,
            },
        )?;
        let pending = self
            .disputes
            .values()
            .filter(|d| d.status == DisputeStatus::Pending)
            .count();
        let currency = entitlement.currency;
        let past: Vec<_> = self
            .disputes
            .values()
            .filter(|d| d.currency == currency)
            .map(Dispute::as_past)
            .collect();
        let purchases = self.purchases_in(currency);
        let verdict = decide_dispute(rules, &past, &purchases, entitlement.price, now);
        if verdict == Verdict::Pending && pending >= DISPUTES_PENDING_MAX {
            return Err(Reject::DisputesPendingMax);
        }
        let dispute = Dispute {
            authorization,
            entitlement: entitlement.id,
            vendor: entitlement.key.vendor,
            currency,
            amount: entitlement.price,
            purchased_at: entitlement.purchased_at,
            filed_at: now,
            reason: reason.into(),
            verdict,
            status: verdict.status(),
            decision: None,
        };
        let mut events = vec![Event::DisputeFiled {
            account: self.id,
            dispute: Box::new(dispute),
        }];
        if verdict.status() == DisputeStatus::Approved {
            events.push(self.decide_reversal(authorization, reason, now, Origin::Dispute)?);
        }
        Ok(events)
    }

    /// Decides an operator's approval or rejection of a pending dispute. An approval reverses
    /// the purchase unless something reversed it meanwhile (a vendor's refund): the member is
    /// refunded once.
    ///
    /// # Errors
    /// `DisputeUnknown`, `DisputeDecidedAlready`.
    pub fn decide_dispute_decision(
        &self,
        authorization: AuthorizationId,
        approve: bool,
        reason: &str,
        by: Origin,
        now: Timestamp,
    ) -> Result<Vec<Event>, Reject> {
        let dispute = self
            .disputes
            .get(&authorization)
            .ok_or(Reject::DisputeUnknown)?;
        if dispute.status != DisputeStatus::Pending {
            return Err(Reject::DisputeDecidedAlready);
        }
        let mut events = vec![Event::DisputeDecided {
            account: self.id,
            authorization,
            vendor: dispute.vendor,
            approve,
            reason: reason.to_owned(),
            by,
            at: now,
        }];
        if approve {
            match self.decide_reversal(authorization, reason, now, Origin::Dispute) {
                Ok(reversal) => events.push(reversal),
                Err(Reject::AlreadyReversed) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(events)
    }

    /// The purchases of `currency` that charged something, as the conditions count them.
    fn purchases_in(&self, currency: Currency) -> Vec<PastPurchase> {
        self.entitlements
            .values()
            .filter(|e| e.currency == currency && !e.price.is_zero())
            .map(|e| PastPurchase {
                at: e.purchased_at,
                price: e.price,
            })
            .collect()
    }

    /// Applies `DisputeFiled` and `DisputeDecided`.
    ///
    /// # Panics
    /// A decision of a dispute that is not pending: `decide` refuses it, so it is a bug.
    pub(super) fn apply_dispute(&mut self, event: &Event) {
        match event {
            Event::DisputeFiled { dispute, .. } => {
                let fresh = self
                    .disputes
                    .insert(dispute.authorization, (**dispute).clone());
                assert!(fresh.is_none(), "a purchase was disputed twice");
            }
            Event::DisputeDecided {
                authorization,
                approve,
                reason,
                at,
                ..
            } => {
                let Some(dispute) = self.disputes.get_mut(authorization) else {
                    panic!("a decision of an unknown dispute");
                };
                assert_eq!(
                    dispute.status,
                    DisputeStatus::Pending,
                    "a dispute was decided twice"
                );
                dispute.decide(*approve, *at, reason);
            }
            _ => {}
        }
    }
}
