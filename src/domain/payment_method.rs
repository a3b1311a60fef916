//! Payment methods a member saved ([0229]-[0232]): what farthing keeps of a card or a bank
//! account. Never the card number or the whole account number: the payment processor's token
//! (what a charge names), the brand and the last four digits (what the member recognises).
//! The number is read at the edge, handed to the processor once, and forgotten.

use serde::{Deserialize, Serialize};

use super::ids::PaymentMethodId;
use super::time::Timestamp;

/// Payment methods one account keeps at most: enough for a few cards and a bank account, and
/// a bound on what one member can make the server store.
pub const PAYMENT_METHODS_MAX: usize = 8;

/// The id that data written before saved methods gives the one test card it knew (an
/// account saved at most that card then). Drawn ids are random, so no other method has it.
pub const LEGACY_TEST_CARD_ID: PaymentMethodId = PaymentMethodId(1);

/// The processor token of the legacy test card: the test card processor approves it.
pub const LEGACY_TEST_CARD_TOKEN: &str = "tok_test_ok_4242";

/// How a method moves money, which decides when a deposit's money is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rail {
    /// A card: the processor approves or declines at once, and an approval is final.
    Card,
    /// A bank debit: accepted at once, settled or returned days later ([0233]).
    BankDebit,
}

/// One saved method, as the processor tokenized it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMethod {
    /// Stable id, named by deposits and top-off settings.
    pub id: PaymentMethodId,
    /// Card or bank debit.
    pub rail: Rail,
    /// The card brand as the processor named it (`visa`, `mastercard`, …), or `bank`.
    pub brand: Box<str>,
    /// The last four digits of the card or account number.
    pub last4: Box<str>,
    /// The processor's token: what a charge names instead of the number.
    pub token: Box<str>,
    /// When it was saved (top-offs without a chosen method use the first card saved).
    pub added_at: Timestamp,
}

impl SavedMethod {
    /// The one test card that data written before saved methods could hold (the built-in
    /// test processor's card, number 4242 4242 4242 4242).
    #[must_use]
    pub fn legacy_test_card(added_at: Timestamp) -> SavedMethod {
        SavedMethod {
            id: LEGACY_TEST_CARD_ID,
            rail: Rail::Card,
            brand: "visa".into(),
            last4: "4242".into(),
            token: LEGACY_TEST_CARD_TOKEN.into(),
            added_at,
        }
    }

    /// How the member sees it: "VISA •••• 4242".
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} •••• {}", self.brand.to_uppercase(), self.last4)
    }
}
