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
//! A method is saved by tokenizing it (`PaymentProcessor::tokenize`): the number goes to the
//! processor once and only its token, brand and last four digits are kept. The built-in test
//! card processor behaves like a real one in test mode (outcomes by card number). Rejected: charging first and crediting after (the charge could not be taken
//! back when the credit was refused, e.g. a currency without a wallet), and crediting before
//! the charge (money out of nothing when the charge fails).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::actors::gateway::GatewayError;
use crate::actors::registry::Registry;
use crate::domain::account::{DepositOutcome, StartDeposit};
use crate::domain::ids::{AccountId, DepositId};
use crate::domain::money::{Amount, Currency};
use crate::domain::payment_method::{Rail, SavedMethod};

/// A charge (or a method) the processor refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the payment method declined: {code}")]
pub struct Declined {
    /// The processor's decline code, snake_case (`card_declined`, `insufficient_funds`,
    /// `expired_card`, …): shown to the member as `decline_code` and journaled with the
    /// failed deposit.
    pub code: String,
}

impl Declined {
    fn because(code: &str) -> Declined {
        Declined {
            code: code.to_owned(),
        }
    }
}

/// A card or bank account as the member typed it, before the processor tokenizes it. Only
/// ever held for the length of one request: never stored, logged or kept in a cache.
#[derive(Clone, PartialEq, Eq)]
pub enum NewMethod {
    /// A card, its number checked at the edge (digits, length and check digit).
    Card {
        /// The card number, digits only.
        number: String,
        /// Expiry month, 1 to 12.
        exp_month: u8,
        /// Expiry year, four digits.
        exp_year: u16,
    },
}

impl std::fmt::Debug for NewMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the number: a debug print must not leak it into a log.
        match self {
            NewMethod::Card { number, .. } => {
                let last4 = number.get(number.len().saturating_sub(4)..).unwrap_or("");
                write!(f, "Card(•••• {last4})")
            }
        }
    }
}

/// What the processor keeps for a method and gives back to charge it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokenized {
    /// Card or bank debit.
    pub rail: Rail,
    /// The brand (`visa`, `mastercard`, `amex`, `card`).
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// The token a charge names.
    pub token: String,
}

/// One charge to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The deposit this charge pays: the processor's idempotency key. Asking again with the
    /// same key answers the first outcome and charges nothing more.
    pub key: DepositId,
    /// Whose saved method is charged.
    pub account: AccountId,
    /// Which method (its token).
    pub method: SavedMethod,
    /// How much.
    pub amount: Amount,
    /// In which currency.
    pub currency: Currency,
}

/// The payment processor port: card and bank-debit adapters implement it. Implementations
/// must be quick or asynchronous at their own edge; the test processor answers at once.
pub trait PaymentProcessor: Send + Sync {
    /// Tokenizes a method the member typed: the number goes to the processor once and the
    /// token comes back.
    ///
    /// # Errors
    /// `Declined` when the processor refuses the method.
    fn tokenize(&self, method: &NewMethod) -> Result<Tokenized, Declined>;

    /// Charges and answers the processor's reference for the charge. Idempotent per
    /// `charge.key`: the same key answers the same outcome and charges at most once, also
    /// after a restart of this server (a real processor keeps its keys; the test processor
    /// derives its answer from the key and the token).
    ///
    /// # Errors
    /// `Declined` with the processor's decline code.
    fn charge(&self, charge: &Charge) -> Result<String, Declined>;
}

/// Keys the test processor remembers (for counting charges); past this it still answers the
/// same outcome per key, it only stops telling a repeat from a first charge.
const TEST_LEDGER_KEYS_MAX: usize = 65_536;
/// The test card numbers that decline, with their decline codes (as a real processor's test
/// mode documents them). Every other valid number is approved.
const TEST_DECLINING_CARDS: [(&str, &str); 3] = [
    ("4000000000000002", "card_declined"),
    ("4000000000009995", "insufficient_funds"),
    ("4000000000000069", "expired_card"),
];
/// The outcome part of a token this processor approves.
const TEST_APPROVE: &str = "ok";

/// The built-in test card processor. It behaves like a real one in test mode: the outcome
/// of a charge depends on the card number (`4242 4242 4242 4242` approves; the numbers in
/// `TEST_DECLINING_CARDS` decline with their codes), and the same key always gets the same
/// answer, in this run or the next. The outcome rides in the token
/// (`tok_test_<outcome>_<digest>`), so the processor needs no storage to answer after a
/// restart. No money moves. It counts the charges it made (a repeat of a key it remembers is
/// not a new charge), which is what tests check.
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

    /// The answer for a charge: a function of the token and the key alone.
    fn answer(charge: &Charge) -> Result<String, Declined> {
        let outcome = charge
            .method
            .token
            .strip_prefix("tok_test_")
            .and_then(|rest| rest.rsplit_once('_'))
            .map(|(outcome, _)| outcome);
        match outcome {
            Some(TEST_APPROVE) => Ok(format!("ch_test_{}", hex16(&charge.key.to_string()))),
            Some(code) if TEST_DECLINING_CARDS.iter().any(|(_, known)| *known == code) => {
                Err(Declined::because(code))
            }
            // Not a token this processor issued.
            _ => Err(Declined::because("processing_error")),
        }
    }
}

/// The first 16 hex digits of a SHA-256: short, stable references and token digests.
fn hex16(text: &str) -> String {
    Sha256::digest(format!("farthing test processor {text}"))
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The brand of a card number, from its leading digits.
fn card_brand(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), ..) => "visa",
        (_, Some(51..=55), _) | (.., Some(2221..=2720)) => "mastercard",
        (_, Some(34 | 37), _) => "amex",
        _ => "card",
    }
}

impl PaymentProcessor for TestProcessor {
    fn tokenize(&self, method: &NewMethod) -> Result<Tokenized, Declined> {
        match method {
            NewMethod::Card { number, .. } => {
                let outcome = TEST_DECLINING_CARDS
                    .iter()
                    .find(|(declining, _)| declining == number)
                    .map_or(TEST_APPROVE, |(_, code)| code);
                let last4 = number.get(number.len().saturating_sub(4)..).unwrap_or("");
                Ok(Tokenized {
                    rail: Rail::Card,
                    brand: card_brand(number).to_owned(),
                    last4: last4.to_owned(),
                    token: format!("tok_test_{outcome}_{}", hex16(number)),
                })
            }
        }
    }

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
    let method = match registry.start_deposit(account, command).await {
        Ok(method) => method,
        Err(refused) => {
            metrics::counter!(crate::metrics::DEPOSITS, "step" => "refused").increment(1);
            return Err(refused.into());
        }
    };
    metrics::counter!(crate::metrics::DEPOSITS, "step" => "started").increment(1);
    let charge = Charge {
        key: command.deposit,
        account,
        method,
        amount: command.amount,
        currency: command.currency,
    };
    let answer = charge_once(processor, &charge);
    let outcome = match &answer {
        Ok(reference) => DepositOutcome::Charged(reference.clone()),
        Err(declined) => DepositOutcome::Declined(declined.code.clone()),
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
                Err(declined) => DepositOutcome::Declined(declined.code),
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
    use crate::domain::ids::PaymentMethodId;
    use crate::domain::time::Timestamp;

    fn card(number: &str) -> SavedMethod {
        let tokenized = TestProcessor::default()
            .tokenize(&NewMethod::Card {
                number: number.to_owned(),
                exp_month: 12,
                exp_year: 2040,
            })
            .unwrap();
        SavedMethod {
            id: PaymentMethodId(9),
            rail: tokenized.rail,
            brand: tokenized.brand.into(),
            last4: tokenized.last4.into(),
            token: tokenized.token.into(),
            added_at: Timestamp(0),
        }
    }

    fn charge(key: u64, method: SavedMethod) -> Charge {
        Charge {
            key: DepositId(key),
            account: AccountId(1),
            method,
            amount: Amount::from_micros(5_000_000),
            currency: Currency::parse("USD").unwrap(),
        }
    }

    #[test]
    fn the_test_processor_answers_the_same_per_key_and_charges_each_key_once() {
        let processor = TestProcessor::default();
        let visa = card("4242424242424242");
        let first = processor.charge(&charge(7, visa.clone())).unwrap();
        assert!(first.starts_with("ch_test_"));
        assert_eq!(processor.charge(&charge(7, visa.clone())).unwrap(), first);
        assert_eq!(processor.charges(), 1);
        // Another run (a fresh processor) answers the same for the same key.
        assert_eq!(
            TestProcessor::default().charge(&charge(7, visa.clone())),
            Ok(first.clone())
        );
        let other = processor.charge(&charge(8, visa)).unwrap();
        assert_ne!(other, first);
        assert_eq!(processor.charges(), 2);
    }

    #[test]
    fn test_cards_decline_by_number_with_their_codes_and_keep_no_number() {
        let processor = TestProcessor::default();
        for (key, (number, code)) in (1..).zip(TEST_DECLINING_CARDS) {
            let method = card(number);
            assert!(!method.token.contains(number), "the token hides the number");
            assert_eq!(
                processor.charge(&charge(key, method)),
                Err(Declined::because(code))
            );
        }
        let visa = card("4242424242424242");
        assert_eq!((&*visa.brand, &*visa.last4), ("visa", "4242"));
        assert!(!visa.token.contains("4242424242424242"));
        assert_eq!(&*card("5555555555554444").brand, "mastercard");
        assert_eq!(&*card("378282246310005").brand, "amex");
        let legacy = SavedMethod::legacy_test_card(Timestamp(0));
        assert!(processor.charge(&charge(10, legacy)).is_ok());
        let foreign = SavedMethod {
            token: "tok_other_processor".into(),
            ..card("4242424242424242")
        };
        assert_eq!(
            processor.charge(&charge(11, foreign)),
            Err(Declined::because("processing_error"))
        );
        let typed = NewMethod::Card {
            number: "4242424242424242".to_owned(),
            exp_month: 1,
            exp_year: 2030,
        };
        assert_eq!(format!("{typed:?}"), "Card(•••• 4242)");
    }
}
