//! A vendor's standing with the MSP ([0149]): whether an operator approved it, and which API
//! keys open its door. Vendors registered by an operator are approved at once; vendors that
//! register themselves wait for an operator's decision and can do nothing before it. A
//! vendor rotates its API key with both keys valid for an overlap, so its servers can move
//! to the new one without a moment of refusals.

use super::event::Event;
use super::fees::FeeSchedule;
use super::reject::Reject;
use super::security::Staff;
use super::time::Timestamp;
use super::vendor::VendorState;

/// Where a vendor stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VendorStatus {
    /// Registered itself; waits for an operator.
    Pending,
    /// May sell.
    Approved,
    /// An operator refused it.
    Rejected,
}

impl VendorStatus {
    /// The wire name.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            VendorStatus::Pending => "pending",
            VendorStatus::Approved => "approved",
            VendorStatus::Rejected => "rejected",
        }
    }
}

/// A vendor's status and keys: what authenticating one of its calls needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorStanding {
    /// Its status.
    pub status: VendorStatus,
    /// SHA-256 of its current API key.
    pub key_digest: [u8; 32],
    /// The key it rotated away from, and until when that one still works.
    pub previous_key: Option<([u8; 32], Timestamp)>,
}

impl VendorStanding {
    /// The standing a registration gives: approved when an operator registered the vendor,
    /// pending when it registered itself.
    #[must_use]
    pub fn registered(key_digest: [u8; 32], status: VendorStatus) -> VendorStanding {
        VendorStanding {
            status,
            key_digest,
            previous_key: None,
        }
    }

    /// The digests of the keys valid `now`: the current one, and the previous one within its
    /// overlap.
    pub fn valid_digests(&self, now: Timestamp) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.key_digest).chain(
            self.previous_key
                .as_ref()
                .filter(|(_, until)| now < *until)
                .map(|(digest, _)| digest),
        )
    }
}

impl VendorState {
    /// Decides an operator's approval or rejection of a pending vendor. An approval sets the
    /// vendor's first fee schedule (self-registered vendors have none but the empty one).
    ///
    /// # Errors
    /// `VendorDecidedAlready` unless the vendor is pending.
    pub fn decide_standing(
        &self,
        approve: bool,
        fee: Option<FeeSchedule>,
        reason: &str,
        by: Staff,
        now: Timestamp,
    ) -> Result<Vec<Event>, Reject> {
        if self.standing.status != VendorStatus::Pending {
            return Err(Reject::VendorDecidedAlready);
        }
        let vendor = self.profile.id;
        let mut events = vec![Event::VendorDecided {
            vendor,
            approve,
            reason: reason.to_owned(),
            by,
            at: now,
        }];
        if let (true, Some(schedule)) = (approve, fee) {
            events.push(self.decide_set_fee_schedule(schedule, now));
        }
        Ok(events)
    }

    /// Decides a rotation to the key whose digest is `digest`; the current key keeps working
    /// for `overlap_ms`. A key rotated away from earlier stops at once.
    ///
    /// # Errors
    /// `VendorNotApproved` for a vendor that may not sell.
    pub fn decide_rotate_key(
        &self,
        digest: [u8; 32],
        overlap_ms: u64,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.standing.status != VendorStatus::Approved {
            return Err(Reject::VendorNotApproved);
        }
        Ok(Event::ApiKeyRotated {
            vendor: self.profile.id,
            key_digest: digest,
            previous_valid_until: now.plus_ms(overlap_ms),
            at: now,
        })
    }

    /// Applies `VendorDecided` and `ApiKeyRotated`.
    pub(super) fn apply_standing(&mut self, event: &Event) {
        match event {
            Event::VendorDecided { approve, .. } => {
                self.standing.status = if *approve {
                    VendorStatus::Approved
                } else {
                    VendorStatus::Rejected
                };
            }
            Event::ApiKeyRotated {
                key_digest,
                previous_valid_until,
                ..
            } => {
                let previous = self.standing.key_digest;
                self.standing.key_digest = *key_digest;
                self.standing.previous_key = Some((previous, *previous_valid_until));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use crate::domain::vendor::{VendorRegistration, decide_register};

    fn pending() -> VendorState {
        let registered = decide_register(
            crate::domain::ids::VendorId(3),
            VendorRegistration {
                name: "Indie".to_owned(),
                currency: Currency::parse("USD").unwrap(),
                content_domains: vec!["indie.example".to_owned()],
                fee_ppm: 0,
                api_key_digest: [1; 32],
            },
            Timestamp(1),
        )
        .unwrap();
        let Event::VendorRegistered(profile) = registered else {
            panic!("a registration");
        };
        VendorState::from_registered(&Event::VendorApplied(profile), 1).unwrap()
    }

    #[test]
    fn a_pending_vendor_is_decided_once_and_only_an_approved_one_rotates() {
        let mut vendor = pending();
        assert_eq!(vendor.standing.status, VendorStatus::Pending);
        assert_eq!(
            vendor.decide_rotate_key([2; 32], 10, Timestamp(2)),
            Err(Reject::VendorNotApproved)
        );
        let events = vendor
            .decide_standing(
                true,
                Some(FeeSchedule::flat(40_000)),
                "ok",
                Staff::AdminKey,
                Timestamp(2),
            )
            .unwrap();
        assert_eq!(events.len(), 2, "the decision and the first fee schedule");
        for (position, event) in (1..).zip(&events) {
            vendor.apply(event, position);
        }
        assert_eq!(vendor.standing.status, VendorStatus::Approved);
        assert_eq!(vendor.fee_schedules.current(), &FeeSchedule::flat(40_000));
        assert_eq!(
            vendor.decide_standing(false, None, "no", Staff::AdminKey, Timestamp(3)),
            Err(Reject::VendorDecidedAlready)
        );
    }

    #[test]
    fn the_previous_key_works_until_its_overlap_ends_and_not_at_it() {
        let mut vendor = pending();
        let approve = vendor
            .decide_standing(
                true,
                Some(FeeSchedule::flat(0)),
                "ok",
                Staff::AdminKey,
                Timestamp(2),
            )
            .unwrap();
        for (position, event) in (1..).zip(&approve) {
            vendor.apply(event, position);
        }
        let rotated = vendor
            .decide_rotate_key([2; 32], 100, Timestamp(10))
            .unwrap();
        vendor.apply(&rotated, 3);
        let valid = |now: i64| -> Vec<[u8; 32]> {
            vendor
                .standing
                .valid_digests(Timestamp(now))
                .copied()
                .collect()
        };
        assert_eq!(valid(109), [[2; 32], [1; 32]]);
        assert_eq!(valid(110), [[2; 32]]);
        // A second rotation drops the first key at once.
        let again = vendor
            .decide_rotate_key([3; 32], 100, Timestamp(50))
            .unwrap();
        vendor.apply(&again, 4);
        assert_eq!(
            vendor
                .standing
                .valid_digests(Timestamp(51))
                .copied()
                .collect::<Vec<_>>(),
            [[3; 32], [2; 32]]
        );
    }
}
