//! Bank debits accepted and not yet final ([0233]): watched until the processor says they
//! settled or came back, and then journaled through the member's account.
//!
//! The set is rebuilt at every start from the accounts' unsettled debits (the journal is the
//! record; this is only the list of what to ask about), so a crash loses nothing. It holds at
//! most `DEPOSITS_UNSETTLED_MAX` debits per account.

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::{Charge, PaymentProcessor};
use crate::actors::registry::Registry;
use crate::domain::account::Settlement;
use crate::domain::ids::{AccountId, DepositId};
use crate::domain::time::Timestamp;

/// The bank debits waiting to settle.
#[derive(Debug, Default)]
pub struct Settlements {
    waiting: Mutex<BTreeMap<(AccountId, DepositId), Charge>>,
}

impl Settlements {
    /// Watches an accepted debit until it is final.
    pub fn watch(&self, charge: Charge) {
        self.waiting
            .lock()
            .insert((charge.account, charge.key), charge);
    }

    /// Debits being watched.
    #[must_use]
    pub fn len(&self) -> usize {
        self.waiting.lock().len()
    }

    /// Whether no debit is being watched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One pass: asks the processor where every watched debit stands at `now` and journals the
/// final ones (a debit recorded before is simply dropped from the watch). A debit whose
/// outcome cannot be journaled now (a fault, a busy account) stays watched for the next pass.
/// Answers how many outcomes this pass journaled.
pub async fn settle_due(
    registry: &Registry,
    processor: &dyn PaymentProcessor,
    settlements: &Settlements,
    now: Timestamp,
) -> usize {
    let watched: Vec<Charge> = settlements.waiting.lock().values().cloned().collect();
    let mut recorded = 0_usize;
    for charge in watched {
        let Some(settlement) = processor.settlement(&charge, now) else {
            continue;
        };
        let step = match settlement {
            Settlement::Settled => "settled",
            Settlement::Returned(_) => "returned",
        };
        match registry
            .settle_deposit(charge.account, charge.key, settlement)
            .await
        {
            Ok(fresh) => {
                settlements
                    .waiting
                    .lock()
                    .remove(&(charge.account, charge.key));
                if fresh {
                    recorded = recorded.saturating_add(1);
                    metrics::counter!(crate::metrics::DEPOSITS, "step" => step).increment(1);
                }
            }
            Err(error) => {
                tracing::warn!(
                    account = %charge.account,
                    deposit = %charge.key,
                    %error,
                    "a bank debit's outcome waits for the next pass"
                );
            }
        }
    }
    recorded
}
