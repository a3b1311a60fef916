//! Payment methods at the edge: the adapter that charges a member's saved payment method for
//! a top-off or added funds ([0229]-[0232]), and the one way a charge is made.
//!
//! A charge never comes before the account said its credit can land. [`deposit`] runs the
//! steps in this order: the account actor checks the deposit (wallet in the currency, amount
//! within bounds, not frozen, the credit fits) and journals `DepositStarted`; then the
//! processor is called, outside the actor (its mailbox is never held across the call), with
//! the deposit id as its idempotency key; then the actor journals the answer (credited, or
//! failed with the processor's reason). A crash between the charge and its credit leaves a
//! started deposit in the journal: start-up asks the processor again with the same key
//! ([`resolve_open_deposits`]) and journals the answer, so the member gets the money once and
//! the card is charged once.
//!
//! Only the built-in test processor exists; card and bank-debit adapters implement the same
//! trait later. Rejected: charging first and crediting after (the charge could not be taken
//! back when the credit was refused, e.g. a currency without a wallet), and crediting before
//! the charge (money out of nothing when the charge fails).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::actors::gateway::GatewayError;
use crate::actors::registry::Registry;
use crate::domain::account::{DepositOutcome, PaymentMethod, StartDeposit};
use crate::domain::ids::{AccountId, DepositId};
use crate::domain::money::{Amount, Currency};

/// A charge the processor refused, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the payment method declined the charge: {reason}")]
pub struct Declined {
    /// The processor's reason, as it gave it (journaled with the failed deposit).
    pub reason: String,
}

/// One charge to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The deposit this charge pays: the processor's idempotency key. Asking again with the
    /// same key answers the first outcome and charges nothing more.
    pub key: DepositId,
    /// Whose saved method is charged.
    pub account: AccountId,
    /// Which method.
    pub method: PaymentMethod,
    /// How much.
    pub amount: Amount,
    /// In which currency.
    pub currency: Currency,
}

/// Charges payment methods. Implementations must be quick or asynchronous at their own edge;
/// the test processor answers at once.
pub trait PaymentProcessor: Send + Sync {
    /// Charges and answers the processor's reference for the charge. Idempotent per
    /// `charge.key`: the same key answers the same outcome and charges at most once, also
    /// after a restart of this server (a real processor keeps its keys; the test processor
    /// derives its answer from the key).
    ///
    /// # Errors
    /// `Declined` with the processor's reason.
    fn charge(&self, charge: &Charge) -> Result<String, Declined>;
}

/// Keys the test processor remembers (for counting charges); past this it still answers the
/// same outcome per key, it only stops telling a repeat from a first charge.
const TEST_LEDGER_KEYS_MAX: usize = 65_536;
/// The test card declines an amount whose fraction of the major unit is this (`x.13`), so a
/// decline can be tried by hand and in tests, like a real processor's test card numbers.
const TEST_DECLINED_FRACTION_MICROS: u64 = 130_000;

/// The built-in test processor: approves every charge of the test card except amounts ending
/// in `.13`, and answers a reference derived from the key, so the same key always gets the
/// same answer, in this run or the next. No money moves. It counts the charges it made (a
/// repeat of a key it remembers is not a new charge), which is what tests check.
#[derive(Clone, Debug, Default)]
pub struct TestProcessor {
    /// Charges made: keys seen for the first time.
    charges: Arc<AtomicU64>,
    /// Keys seen, with their answers (bounded by `TEST_LEDGER_KEYS_MAX`).
    ledger: Arc<Mutex<BTreeMap<DepositId, Result<String, Declined>>>>,
}

impl TestProcessor {
    /// Charges made so far (each key once).
    #[must_use]
    pub fn charges(&self) -> u64 {
        self.charges.load(Ordering::Acquire)
    }

    /// The answer for a charge: a function of the key and the amount alone.
    fn answer(charge: &Charge) -> Result<String, Declined> {
        match charge.method {
            PaymentMethod::TestCard => {
                if charge.amount.micros() % 1_000_000 == TEST_DECLINED_FRACTION_MICROS {
                    return Err(Declined {
                        reason: "test card: amounts ending in .13 are declined".to_owned(),
                    });
                }
                let digest = Sha256::digest(format!("farthing test charge {}", charge.key));
                let hex: String = digest
                    .iter()
                    .take(8)
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                Ok(format!("test_{hex}"))
            }
        }
    }
}

impl PaymentProcessor for TestProcessor {
    fn charge(&self, charge: &Charge) -> Result<String, Declined> {
        let mut ledger = self.ledger.lock();
        if let Some(answer) = ledger.get(&charge.key) {
            return answer.clone();
        }
        let answer = TestProcessor::answer(charge);
        self.charges.fetch_add(1, Ordering::AcqRel);
        if ledger.len() < TEST_LEDGER_KEYS_MAX {
            ledger.insert(charge.key, answer.clone());
        }
        answer
    }
}

/// Why a deposit did not credit the wallet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// The account refused it before anything was charged (or could not decide).
    #[error(transparent)]
    Refused(#[from] GatewayError),
    /// The processor declined the charge; the failure is journaled.
    #[error(transparent)]
    Declined(#[from] Declined),
}

/// Charges `processor` for a deposit into `account` and credits it, in the order the module
/// documentation gives. Answers once the credit is durable.
///
/// # Errors
/// `Refused` when the account refuses the deposit (nothing is charged) or a fault stops it
/// (after a charge, the started deposit is resolved at the next start); `Declined` when the
/// processor declines (the failure is journaled).
pub async fn deposit(
    registry: &Registry,
    processor: &dyn PaymentProcessor,
    account: AccountId,
    command: StartDeposit,
) -> Result<(), DepositError> {
    if let Err(refused) = registry.start_deposit(account, command).await {
        metrics::counter!(crate::metrics::DEPOSITS, "step" => "refused").increment(1);
        return Err(refused.into());
    }
    metrics::counter!(crate::metrics::DEPOSITS, "step" => "started").increment(1);
    let charge = Charge {
        key: command.deposit,
        account,
        method: command.method,
        amount: command.amount,
        currency: command.currency,
    };
    let answer = charge_once(processor, &charge);
    let outcome = match &answer {
        Ok(reference) => DepositOutcome::Charged(reference.clone()),
        Err(declined) => DepositOutcome::Declined(declined.reason.clone()),
    };
    registry
        .finish_deposit(account, command.deposit, outcome)
        .await?;
    answer.map(|_| ()).map_err(DepositError::Declined)
}

/// Calls the processor and counts its answer.
fn charge_once(processor: &dyn PaymentProcessor, charge: &Charge) -> Result<String, Declined> {
    let answer = processor.charge(charge);
    let (charges, step) = match answer {
        Ok(_) => ("approved", "credited"),
        Err(_) => ("declined", "failed"),
    };
    metrics::counter!(crate::metrics::PAYMENT_CHARGES, "outcome" => charges).increment(1);
    metrics::counter!(crate::metrics::DEPOSITS, "step" => step).increment(1);
    answer
}

/// Resolves deposits a crash left started and unfinished: asks the processor again with the
/// same key (which charges nothing more if the first call charged) and journals its answer.
/// Answers how many were resolved. A deposit that cannot be resolved now (a fault) is logged
/// and stays open for the next start.
pub async fn resolve_open_deposits(
    registry: &Registry,
    processor: &dyn PaymentProcessor,
    open: &[(AccountId, DepositId)],
) -> u64 {
    let mut resolved: u64 = 0;
    let mut accounts: Vec<AccountId> = open.iter().map(|(account, _)| *account).collect();
    accounts.dedup();
    for account in accounts {
        let pending = match registry.pending_deposits(account).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!(%account, %error, "open deposits cannot be read");
                continue;
            }
        };
        for (deposit, started) in pending {
            let charge = Charge {
                key: deposit,
                account,
                method: started.method,
                amount: started.amount,
                currency: started.currency,
            };
            let outcome = match charge_once(processor, &charge) {
                Ok(reference) => DepositOutcome::Charged(reference),
                Err(declined) => DepositOutcome::Declined(declined.reason),
            };
            match registry.finish_deposit(account, deposit, outcome).await {
                Ok(_) => {
                    resolved = resolved.saturating_add(1);
                    metrics::counter!(crate::metrics::DEPOSITS, "step" => "resolved_at_start")
                        .increment(1);
                    tracing::info!(%account, %deposit, "an unfinished deposit was resolved");
                }
                Err(error) => {
                    tracing::error!(%account, %deposit, %error, "an open deposit stays open");
                }
            }
        }
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(key: u64, micros: u64) -> Charge {
        Charge {
            key: DepositId(key),
            account: AccountId(1),
            method: PaymentMethod::TestCard,
            amount: Amount::from_micros(micros),
            currency: Currency::parse("USD").unwrap(),
        }
    }

    #[test]
    fn the_test_processor_answers_the_same_per_key_and_charges_each_key_once() {
        let processor = TestProcessor::default();
        let first = processor.charge(&charge(7, 5_000_000)).unwrap();
        assert!(first.starts_with("test_"));
        assert_eq!(processor.charge(&charge(7, 5_000_000)).unwrap(), first);
        assert_eq!(processor.charges(), 1);
        // Another run (a fresh processor) answers the same for the same key.
        assert_eq!(
            TestProcessor::default().charge(&charge(7, 5_000_000)),
            Ok(first.clone())
        );
        let other = processor.charge(&charge(8, 5_000_000)).unwrap();
        assert_ne!(other, first);
        assert_eq!(processor.charges(), 2);
    }

    #[test]
    fn the_test_card_declines_amounts_ending_in_13_with_a_reason() {
        let processor = TestProcessor::default();
        let declined = processor.charge(&charge(1, 1_130_000)).unwrap_err();
        assert!(declined.reason.contains(".13"));
        assert!(processor.charge(&charge(2, 1_140_000)).is_ok());
    }
}
