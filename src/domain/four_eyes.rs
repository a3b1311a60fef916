//! Four eyes on money-creating functions ([0261]): when an operator calls a function the
//! configuration names (deposits, credit lines, forced settlement runs), the call is held
//! rather than run, and runs only when *another* person holding the same function approves
//! it. The admin key is one person: it cannot approve what it asked for.

use serde::{Deserialize, Serialize};

use super::ids::ApprovalId;
use super::reject::Reject;
use super::security::{Grants, Staff};
use super::time::Timestamp;

/// Requests waiting for a second person at most: more are refused until some are decided.
pub const HELD_REQUESTS_MAX: usize = 1_000;

/// A call held for a second person's approval: everything needed to run it later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRequest {
    /// Its id.
    pub id: ApprovalId,
    /// The security function it performs.
    pub function: String,
    /// The HTTP method.
    pub method: String,
    /// The path, with its query if any.
    pub target: String,
    /// The request body (a back-office body is at most `server.request_body_bytes_max`).
    pub body: Vec<u8>,
    /// Its `Idempotency-Key`, if it had one.
    pub idempotency_key: Option<String>,
    /// Who asked.
    pub by: Staff,
    /// When.
    pub at: Timestamp,
}

/// The held requests not yet decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldRequests {
    /// By id.
    pub pending: std::collections::BTreeMap<ApprovalId, HeldRequest>,
}

impl HeldRequests {
    /// Checks that another request can be held.
    ///
    /// # Errors
    /// `ApprovalsPendingMax`.
    pub fn check_room(&self) -> Result<(), Reject> {
        if self.pending.len() >= HELD_REQUESTS_MAX {
            return Err(Reject::ApprovalsPendingMax);
        }
        Ok(())
    }

    /// Checks that `by`, holding `grants`, may decide request `id`: it is pending, `by` did
    /// not ask for it, and `by` holds its function.
    ///
    /// # Errors
    /// `ApprovalUnknown`, `FourEyesSamePerson`, `FunctionNotHeld`.
    pub fn check_decider(
        &self,
        id: ApprovalId,
        by: Staff,
        grants: &Grants,
    ) -> Result<&HeldRequest, Reject> {
        let held = self.pending.get(&id).ok_or(Reject::ApprovalUnknown)?;
        if held.by == by {
            return Err(Reject::FourEyesSamePerson);
        }
        if !grants.holds(&held.function) {
            return Err(Reject::FunctionNotHeld);
        }
        Ok(held)
    }

    /// Holds a request.
    pub fn hold(&mut self, held: &HeldRequest) {
        self.pending.insert(held.id, held.clone());
    }

    /// Forgets a decided request (the journal keeps it).
    pub fn decide(&mut self, id: ApprovalId) {
        self.pending.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::OperatorId;

    fn held(id: u64, by: Staff) -> HeldRequest {
        HeldRequest {
            id: ApprovalId(id),
            function: "deposits.create".to_owned(),
            method: "POST".to_owned(),
            target: "/admin/v1/members/acct_1/deposits".to_owned(),
            body: b"{}".to_vec(),
            idempotency_key: None,
            by,
            at: Timestamp(1),
        }
    }

    #[test]
    fn only_another_person_holding_the_function_decides() {
        let asker = Staff::Operator(OperatorId(1));
        let mut requests = HeldRequests::default();
        requests.hold(&held(7, asker));
        let holds = Grants::Some(["deposits.create".to_owned()].into());
        let lacks = Grants::Some(["members.read".to_owned()].into());
        assert_eq!(
            requests
                .check_decider(ApprovalId(7), asker, &Grants::All)
                .err(),
            Some(Reject::FourEyesSamePerson)
        );
        let other = Staff::Operator(OperatorId(2));
        assert_eq!(
            requests.check_decider(ApprovalId(7), other, &lacks).err(),
            Some(Reject::FunctionNotHeld)
        );
        assert!(requests.check_decider(ApprovalId(7), other, &holds).is_ok());
        assert!(
            requests
                .check_decider(ApprovalId(7), Staff::AdminKey, &Grants::All)
                .is_ok()
        );
        requests.decide(ApprovalId(7));
        assert_eq!(
            requests.check_decider(ApprovalId(7), other, &holds).err(),
            Some(Reject::ApprovalUnknown)
        );
    }

    #[test]
    fn held_requests_are_bounded() {
        let mut requests = HeldRequests::default();
        for id in 0..u64::try_from(HELD_REQUESTS_MAX).unwrap() {
            requests.hold(&held(id, Staff::AdminKey));
        }
        assert_eq!(requests.check_room(), Err(Reject::ApprovalsPendingMax));
        requests.decide(ApprovalId(0));
        assert_eq!(requests.check_room(), Ok(()));
    }
}
