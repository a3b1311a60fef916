//! Payment methods at the edge: the adapter that charges a member's saved payment method for
//! a top-off or added funds ([0229]-[0232]). The domain only sees the resulting deposit, with
//! the processor's charge reference, so the same charge is never credited twice.
//!
//! Only the built-in test processor exists; card and bank-debit adapters implement the same
//! trait later. A charge happens before the deposit is journaled: if the journal then fails,
//! the server stops, and the charge reference is what an operator reconciles against.

use crate::domain::account::PaymentMethod;
use crate::domain::ids::AccountId;
use crate::domain::money::{Amount, Currency};

/// A charge the processor refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the payment method declined the charge")]
pub struct Declined;

/// One charge to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
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
    /// Charges and answers the processor's reference for the charge.
    ///
    /// # Errors
    /// `Declined`.
    fn charge(&self, charge: &Charge) -> Result<String, Declined>;
}

/// The built-in test processor: approves every charge of the test card and answers a fresh
/// reference. No money moves.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestProcessor;

impl PaymentProcessor for TestProcessor {
    fn charge(&self, charge: &Charge) -> Result<String, Declined> {
        match charge.method {
            PaymentMethod::TestCard => Ok(format!("test_{:016x}", rand::random::<u64>())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_processor_approves_with_a_fresh_reference() {
        let charge = Charge {
            account: AccountId(1),
            method: PaymentMethod::TestCard,
            amount: Amount::from_micros(5_000_000),
            currency: Currency::parse("USD").unwrap(),
        };
        let first = TestProcessor.charge(&charge).unwrap();
        let second = TestProcessor.charge(&charge).unwrap();
        assert!(first.starts_with("test_"));
        assert_ne!(first, second);
    }
}
