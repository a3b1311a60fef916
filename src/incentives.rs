//! Incentive grants across the two actors that make one ([0174], [0212], [0217]-[0218]): the
//! programs actor reserves the budget, the member's account journals the grant, and a
//! refused grant gives its reservation back. The account's `IncentiveGranted` is the only
//! record of a grant, so a crash between the two steps over-spends nothing: recovery counts
//! budgets from the journal.
//!
//! The expiry sweep lives here too: grants stop counting at their expiry instant on their own
//! (every read and purchase compares with now), and the sweep records the expiry as an event
//! so the totals stop owing them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::actors::gateway::GatewayError;
use crate::actors::messages::{CommandError, Fault};
use crate::actors::programs::ProgramSelector;
use crate::actors::registry::Registry;
use crate::domain::ids::{AccountId, GrantId};
use crate::domain::incentive::Grant;
use crate::domain::money::Amount;
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Reserves a grant of the selected program and journals it on `account`; answers the grant
/// and the account's incentive balance in its currency after it. When `usable_at` is given
/// (the buy window), a grant that could not pay for that purchase is refused
/// (`IncentiveInvalid`) and its reservation given back.
///
/// A caller that stops waiting cannot over-spend a budget: the account is asked in the same
/// poll the reservation arrives in, and from then on the reservation is kept unless the
/// account refused it; at worst a reservation stays unused until the next start.
///
/// # Errors
/// The program's rejects (unknown, expired, budget spent), the account's (frozen, redeemed
/// before, too many grants), `IncentiveInvalid`, faults.
pub async fn grant(
    registry: Arc<Registry>,
    account: AccountId,
    selector: ProgramSelector,
    grant: GrantId,
    redeemed: bool,
    usable_at: Option<UsableAt>,
) -> Result<(Grant, Amount), GatewayError> {
    let reserved = registry.reserve_grant(selector, grant).await?;
    let release = || {
        if let Some(program) = reserved.program {
            registry.release_grant(program, reserved.remaining);
        }
    };
    if let Some(usable) = usable_at
        && !reserved.pays(
            usable.vendor,
            usable.currency,
            &usable.policy,
            reserved.granted_at,
        )
    {
        release();
        return Err(GatewayError::Command(CommandError::Reject(
            Reject::IncentiveInvalid,
        )));
    }
    match registry
        .give_grant(account, reserved.clone(), redeemed)
        .await
    {
        Ok(balance) => {
            metrics::counter!(names::INCENTIVES, "step" => "granted").increment(1);
            Ok((reserved, balance))
        }
        Err(error) => {
            // Refused before anything was journaled: the budget is free again. After another
            // fault the grant may be durable, so the reservation stays until a restart counts
            // the journal (never over-spending a budget).
            let refused_before_journal = matches!(
                error,
                GatewayError::NotFound
                    | GatewayError::Command(
                        CommandError::Reject(_) | CommandError::Fault(Fault::Overloaded)
                    )
            );
            if refused_before_journal {
                release();
            }
            Err(error)
        }
    }
}

/// The purchase a grant redeemed in the buy window must be able to pay for.
#[derive(Clone, Debug)]
pub struct UsableAt {
    /// The offer's vendor.
    pub vendor: crate::domain::ids::VendorId,
    /// Its currency.
    pub currency: crate::domain::money::Currency,
    /// Its `incentive_ids`.
    pub policy: crate::domain::offer::IncentivePolicy,
}

/// Records the expiries due by `now`: asks each account with a grant past its expiry to
/// journal them. Answers how many accounts recorded some. An account that cannot be asked
/// now keeps its grants on the list for the next sweep.
pub async fn sweep_expired(registry: &Registry, now: Timestamp) -> u64 {
    let due = registry.feed().take_expired(now);
    let mut by_account: BTreeMap<AccountId, Vec<(Timestamp, AccountId, GrantId)>> = BTreeMap::new();
    for entry in due {
        by_account.entry(entry.1).or_default().push(entry);
    }
    let mut swept: u64 = 0;
    for (account, entries) in by_account {
        match registry.expire_grants(account).await {
            Ok(expired) => {
                if !expired.is_empty() {
                    swept = swept.saturating_add(1);
                    let count = u64::try_from(expired.len()).unwrap_or(u64::MAX);
                    metrics::counter!(names::INCENTIVES, "step" => "expired").increment(count);
                }
            }
            Err(GatewayError::NotFound) => {}
            Err(error) => {
                tracing::warn!(%account, %error, "grant expiries wait for the next sweep");
                registry.feed().still_expiring(entries);
            }
        }
    }
    swept
}

/// Sweeps expired grants every `interval`, for as long as the actor system runs.
pub async fn watch_expiries(
    registry: Arc<Registry>,
    interval: Duration,
    now: impl Fn() -> Timestamp,
) {
    loop {
        tokio::time::sleep(interval).await;
        sweep_expired(&registry, now()).await;
    }
}
