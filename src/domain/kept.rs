//! Member requests kept for their `Idempotency-Key`: the durable half of idempotency on the
//! member's money routes (deposits now; transfers and cash-outs use the same record). The
//! HTTP cache answers most retries; this record is what makes a retry after a restart, when
//! the cache is gone, find the first request instead of moving money a second time.
//!
//! A record is kept for the idempotency retention and at most `KEPT_REQUESTS_MAX` per
//! account: the oldest is forgotten first, so a member cannot grow an account without bound.

use serde::{Deserialize, Serialize};

use super::event::IdempotencyStamp;
use super::money::Amount;
use super::reject::Reject;
use super::time::Timestamp;
use super::vec_map::VecMap;

/// Keyed requests one account keeps at most.
pub const KEPT_REQUESTS_MAX: usize = 256;

/// A member route whose requests may carry an `Idempotency-Key`; keys are scoped to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MemberRoute {
    /// `POST /v1/members/me/deposits`.
    Deposits,
    /// `POST /v1/members/me/cash-outs`.
    CashOuts,
    /// `POST /v1/members/me/transfers`.
    Transfers,
}

/// How a kept request ended, as its first answer said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeptOutcome {
    /// A deposit charged and credited.
    Credited,
    /// A bank debit accepted, to settle later.
    Pending,
    /// Declined, with the processor's code.
    Declined(String),
    /// A cash-out paid: what was charged and what the bank receives.
    CashedOut {
        /// The service charge.
        charge: Amount,
        /// The amount less the charge.
        net: Amount,
    },
}

/// One kept request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptRequest {
    /// SHA-256 of the first request's body.
    pub digest: [u8; 32],
    /// What it made (the deposit id).
    pub subject: u64,
    /// When, for retention.
    pub recorded_at: Timestamp,
    /// How it ended; `None` while it is still being decided.
    pub outcome: Option<KeptOutcome>,
}

/// What a keyed request finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeptCheck<'a> {
    /// A retry of a request kept within retention: answer as it was answered.
    Replay(&'a KeptRequest),
    /// A first request: keep it, forgetting these records (expired, or the oldest past the
    /// bound) in the same event.
    Keep(Vec<(MemberRoute, String)>),
}

/// The kept requests of one account, by route and key.
pub type KeptRequests = VecMap<(MemberRoute, String), KeptRequest>;

/// Looks up a keyed request among `kept`.
///
/// # Errors
/// `IdempotencyKeyReused` when the key was kept for another body.
pub fn check<'a>(
    kept: &'a KeptRequests,
    route: MemberRoute,
    stamp: &IdempotencyStamp,
    retention_ms: u64,
    now: Timestamp,
) -> Result<KeptCheck<'a>, Reject> {
    let live = |request: &KeptRequest| request.recorded_at.plus_ms(retention_ms) > now;
    if let Some(request) = kept.get(&(route, stamp.key.clone())).filter(|r| live(r)) {
        if request.digest != stamp.request_digest {
            return Err(Reject::IdempotencyKeyReused);
        }
        return Ok(KeptCheck::Replay(request));
    }
    let mut forget: Vec<(MemberRoute, String)> = kept
        .iter()
        .filter(|(_, request)| !live(request))
        .map(|(key, _)| key.clone())
        .collect();
    let left = kept.len().saturating_sub(forget.len());
    if left >= KEPT_REQUESTS_MAX {
        let mut oldest: Vec<(&(MemberRoute, String), &KeptRequest)> = kept
            .iter()
            .filter(|(key, _)| !forget.contains(key))
            .collect();
        oldest.sort_by_key(|(_, request)| request.recorded_at);
        let excess = left.saturating_add(1).saturating_sub(KEPT_REQUESTS_MAX);
        forget.extend(oldest.iter().take(excess).map(|(key, _)| (*key).clone()));
    }
    Ok(KeptCheck::Keep(forget))
}

/// Records how the request that made `subject` ended (the first answer a replay repeats).
pub fn record_outcome(kept: &mut KeptRequests, subject: u64, outcome: &KeptOutcome) {
    for request in kept.values_mut() {
        if request.subject == subject && request.outcome.is_none() {
            request.outcome = Some(outcome.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(key: &str, digest: u8) -> IdempotencyStamp {
        IdempotencyStamp {
            key: key.to_owned(),
            request_digest: [digest; 32],
        }
    }

    fn kept(at: i64) -> KeptRequest {
        KeptRequest {
            digest: [1; 32],
            subject: 9,
            recorded_at: Timestamp(at),
            outcome: None,
        }
    }

    #[test]
    fn a_key_replays_its_body_refuses_another_and_expires_after_retention() {
        let mut requests = KeptRequests::new();
        requests.insert((MemberRoute::Deposits, "k".to_owned()), kept(0));
        let route = MemberRoute::Deposits;
        assert!(matches!(
            check(&requests, route, &stamp("k", 1), 100, Timestamp(99)),
            Ok(KeptCheck::Replay(request)) if request.subject == 9
        ));
        assert_eq!(
            check(&requests, route, &stamp("k", 2), 100, Timestamp(99)),
            Err(Reject::IdempotencyKeyReused)
        );
        // At the retention's end the key is new again, and the old record is forgotten.
        assert_eq!(
            check(&requests, route, &stamp("k", 2), 100, Timestamp(100)),
            Ok(KeptCheck::Keep(vec![(route, "k".to_owned())]))
        );
        assert_eq!(
            check(&requests, route, &stamp("other", 1), 100, Timestamp(50)),
            Ok(KeptCheck::Keep(Vec::new()))
        );
    }

    #[test]
    fn past_the_bound_the_oldest_record_is_forgotten() {
        let mut requests = KeptRequests::new();
        for at in 0..i64::try_from(KEPT_REQUESTS_MAX).unwrap() {
            requests.insert((MemberRoute::Deposits, format!("k{at}")), kept(at));
        }
        assert_eq!(
            check(
                &requests,
                MemberRoute::Deposits,
                &stamp("new", 1),
                1_000_000,
                Timestamp(500)
            ),
            Ok(KeptCheck::Keep(vec![(
                MemberRoute::Deposits,
                "k0".to_owned()
            )]))
        );
        record_outcome(&mut requests, 9, &KeptOutcome::Credited);
        assert!(
            requests
                .values()
                .all(|request| request.outcome == Some(KeptOutcome::Credited))
        );
    }
}
