//! The built-in test processor: cards and bank debits that behave like a real processor's
//! test mode, with no money moving. Outcomes ride in the token (`tok_test_<outcome>_<digest>`
//! for cards, `tok_bank_<outcome>_<digest>` for bank accounts), so the processor needs no
//! storage to answer the same after a restart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use super::{Charge, Charged, Declined, NewMethod, PaymentProcessor, Tokenized};
use crate::domain::account::Settlement;
use crate::domain::ids::DepositId;
use crate::domain::payment_method::Rail;
use crate::domain::time::Timestamp;

/// Keys the test processor remembers (for counting charges); past this it still answers the
/// same outcome per key, it only stops telling a repeat from a first charge.
const TEST_LEDGER_KEYS_MAX: usize = 65_536;
/// The test card numbers that decline, with their decline codes (as a real processor's test
/// mode documents them). Every other valid number is approved.
pub(super) const TEST_DECLINING_CARDS: [(&str, &str); 3] = [
    ("4000000000000002", "card_declined"),
    ("4000000000009995", "insufficient_funds"),
    ("4000000000000069", "expired_card"),
];
/// IBANs ending in these four digits are debited, then returned by the bank with this reason
/// (every other valid IBAN settles).
const TEST_RETURNED_IBAN: (&str, &str) = ("3001", "insufficient_funds");
/// How long after its start a test bank debit settles or comes back, in milliseconds: a real
/// debit takes days; one minute shows the pending state and then the outcome.
pub const TEST_BANK_SETTLE_MS: u64 = 60_000;
/// The outcome part of a token this processor approves.
const TEST_APPROVE: &str = "ok";

/// The built-in test processor. A card charge depends on the card number
/// (`4242 4242 4242 4242` approves; the numbers in `TEST_DECLINING_CARDS` decline with their
/// codes). A bank debit is accepted at once and settles `TEST_BANK_SETTLE_MS` after it
/// started, or is returned then when the IBAN ends in `3001`. The same key always gets the
/// same answer, in this run or the next. It counts the charges it made (a repeat of a key it
/// remembers is not a new charge), which is what tests check.
#[derive(Clone, Debug, Default)]
pub struct TestProcessor {
    /// Charges made: keys seen for the first time.
    charges: Arc<AtomicU64>,
    /// Keys seen, with their answers (bounded by `TEST_LEDGER_KEYS_MAX`).
    ledger: Arc<Mutex<BTreeMap<DepositId, Result<Charged, Declined>>>>,
}

impl TestProcessor {
    /// Charges made so far (each key once).
    #[must_use]
    pub fn charges(&self) -> u64 {
        self.charges.load(Ordering::Acquire)
    }

    /// The rail and outcome a token of this processor carries, if it is one.
    fn outcome(token: &str) -> Option<(Rail, &str)> {
        let (rail, rest) = match token.split_at_checked(9)? {
            ("tok_test_", rest) => (Rail::Card, rest),
            ("tok_bank_", rest) => (Rail::BankDebit, rest),
            _ => return None,
        };
        rest.rsplit_once('_').map(|(outcome, _)| (rail, outcome))
    }

    /// The answer for a charge: a function of the token and the key alone.
    fn answer(charge: &Charge) -> Result<Charged, Declined> {
        let reference = |prefix: &str| format!("{prefix}_{}", hex16(&charge.key.to_string()));
        match TestProcessor::outcome(&charge.method.token) {
            Some((Rail::Card, TEST_APPROVE)) => Ok(Charged {
                reference: reference("ch_test"),
                settles_later: false,
            }),
            Some((Rail::Card, code))
                if TEST_DECLINING_CARDS.iter().any(|(_, known)| *known == code) =>
            {
                Err(Declined::because(code))
            }
            // A debit is accepted whatever its outcome: the bank answers later.
            Some((Rail::BankDebit, _)) => Ok(Charged {
                reference: reference("dd_test"),
                settles_later: true,
            }),
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

fn last4(number: &str) -> String {
    number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or("")
        .to_owned()
}

impl PaymentProcessor for TestProcessor {
    fn tokenize(&self, method: &NewMethod) -> Result<Tokenized, Declined> {
        Ok(match method {
            NewMethod::Card { number, .. } => {
                let outcome = TEST_DECLINING_CARDS
                    .iter()
                    .find(|(declining, _)| declining == number)
                    .map_or(TEST_APPROVE, |(_, code)| code);
                Tokenized {
                    rail: Rail::Card,
                    brand: card_brand(number).to_owned(),
                    last4: last4(number),
                    token: format!("tok_test_{outcome}_{}", hex16(number)),
                }
            }
            NewMethod::Bank { iban, .. } => {
                let (returned_suffix, reason) = TEST_RETURNED_IBAN;
                let outcome = if iban.ends_with(returned_suffix) {
                    reason
                } else {
                    TEST_APPROVE
                };
                Tokenized {
                    rail: Rail::BankDebit,
                    brand: "bank".to_owned(),
                    last4: last4(iban),
                    token: format!("tok_bank_{outcome}_{}", hex16(iban)),
                }
            }
        })
    }

    fn charge(&self, charge: &Charge) -> Result<Charged, Declined> {
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

    fn settlement(&self, charge: &Charge, now: Timestamp) -> Option<Settlement> {
        if now < charge.started_at.plus_ms(TEST_BANK_SETTLE_MS) {
            return None;
        }
        match TestProcessor::outcome(&charge.method.token) {
            Some((Rail::BankDebit, TEST_APPROVE)) => Some(Settlement::Settled),
            Some((Rail::BankDebit, reason)) => Some(Settlement::Returned(reason.to_owned())),
            // A card charge is final when it is approved; nothing settles later.
            _ => Some(Settlement::Settled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, PaymentMethodId};
    use crate::domain::money::{Amount, Currency};
    use crate::domain::payment_method::SavedMethod;

    fn saved(method: &NewMethod) -> SavedMethod {
        let tokenized = TestProcessor::default().tokenize(method).unwrap();
        SavedMethod {
            id: PaymentMethodId(9),
            rail: tokenized.rail,
            brand: tokenized.brand.into(),
            last4: tokenized.last4.into(),
            token: tokenized.token.into(),
            added_at: Timestamp(0),
        }
    }

    fn card(number: &str) -> SavedMethod {
        saved(&NewMethod::Card {
            number: number.to_owned(),
            exp_month: 12,
            exp_year: 2040,
        })
    }

    fn bank(iban: &str) -> SavedMethod {
        saved(&NewMethod::Bank {
            iban: iban.to_owned(),
            holder: "Ana Lima".to_owned(),
        })
    }

    fn charge(key: u64, method: SavedMethod) -> Charge {
        Charge {
            key: DepositId(key),
            account: AccountId(1),
            method,
            amount: Amount::from_micros(5_000_000),
            currency: Currency::parse("USD").unwrap(),
            started_at: Timestamp(1_000),
        }
    }

    #[test]
    fn the_test_processor_answers_the_same_per_key_and_charges_each_key_once() {
        let processor = TestProcessor::default();
        let visa = card("4242424242424242");
        let first = processor.charge(&charge(7, visa.clone())).unwrap();
        assert!(first.reference.starts_with("ch_test_"));
        assert!(!first.settles_later);
        assert_eq!(
            processor.charge(&charge(7, visa.clone())),
            Ok(first.clone())
        );
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

    #[test]
    fn a_bank_debit_is_accepted_then_settles_or_comes_back_after_the_settle_time() {
        let processor = TestProcessor::default();
        let good = bank("DE89370400440532013000");
        assert_eq!((&*good.brand, &*good.last4), ("bank", "3000"));
        assert_eq!(good.rail, Rail::BankDebit);
        assert!(!good.token.contains("DE89370400440532013000"));
        let accepted = processor.charge(&charge(1, good.clone())).unwrap();
        assert!(accepted.settles_later);
        assert!(accepted.reference.starts_with("dd_test_"));
        let due = Timestamp(1_000).plus_ms(TEST_BANK_SETTLE_MS);
        let pending = Timestamp(due.0 - 1);
        assert_eq!(
            processor.settlement(&charge(1, good.clone()), pending),
            None
        );
        assert_eq!(
            processor.settlement(&charge(1, good), due),
            Some(Settlement::Settled)
        );
        let returned = bank("DE62370400440532013001");
        assert!(processor.charge(&charge(2, returned.clone())).is_ok());
        assert_eq!(
            processor.settlement(&charge(2, returned.clone()), pending),
            None
        );
        assert_eq!(
            processor.settlement(&charge(2, returned), due),
            Some(Settlement::Returned("insufficient_funds".to_owned()))
        );
        let typed = NewMethod::Bank {
            iban: "DE89370400440532013000".to_owned(),
            holder: "Ana".to_owned(),
        };
        assert_eq!(format!("{typed:?}"), "Bank(•••• 3000)");
    }
}
