//! Running money totals of all member accounts, per currency: what was deposited, refunded
//! and what the wallets hold. Account actors add each applied event; the vendor side comes
//! from the vendor actors' own ledgers, so comparing the two checks that every debit reached
//! its vendor exactly once (the conservation check of `/admin/v1/totals`).

use std::collections::BTreeMap;

use parking_lot::Mutex;

use crate::domain::account::Wallet;
use crate::domain::event::Event;
use crate::domain::money::{Amount, Currency};

/// Member-side totals in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberTotals {
    /// Everything deposited.
    pub deposits: Amount,
    /// Everything refunded by reversals.
    pub refunds: Amount,
    /// Sum of wallet balances, micro-units (i128: a million wallets cannot overflow it).
    pub balances: i128,
}

/// Totals per currency, shared by all account actors.
#[derive(Debug, Default)]
pub struct Totals {
    by_currency: Mutex<BTreeMap<Currency, MemberTotals>>,
}

impl Totals {
    /// Adds a wallet loaded from the store (at start-up).
    pub fn add_wallet(&self, currency: Currency, wallet: &Wallet) {
        let mut totals = self.by_currency.lock();
        let entry = totals.entry(currency).or_default();
        entry.deposits = entry
            .deposits
            .checked_add(wallet.deposited)
            .unwrap_or(Amount::from_micros(u64::MAX));
        entry.refunds = entry
            .refunds
            .checked_add(wallet.refunded)
            .unwrap_or(Amount::from_micros(u64::MAX));
        entry.balances = entry
            .balances
            .saturating_add(i128::from(wallet.balance.micros()));
    }

    /// Adds the money movement of one applied account event.
    pub fn record_account_event(&self, event: &Event) {
        let (currency, deposit, refund, delta): (Currency, Amount, Amount, i128) = match event {
            Event::Deposited {
                currency, amount, ..
            } => (
                *currency,
                *amount,
                Amount::ZERO,
                i128::from(amount.micros()),
            ),
            Event::Authorized(authorized) => {
                let price = authorized.entitlement.price;
                (
                    authorized.entitlement.currency,
                    Amount::ZERO,
                    Amount::ZERO,
                    -i128::from(price.micros()),
                )
            }
            Event::Reversed {
                currency, refund, ..
            } => (
                *currency,
                Amount::ZERO,
                *refund,
                i128::from(refund.micros()),
            ),
            _ => return,
        };
        let mut totals = self.by_currency.lock();
        let entry = totals.entry(currency).or_default();
        entry.deposits = entry
            .deposits
            .checked_add(deposit)
            .unwrap_or(Amount::from_micros(u64::MAX));
        entry.refunds = entry
            .refunds
            .checked_add(refund)
            .unwrap_or(Amount::from_micros(u64::MAX));
        entry.balances = entry.balances.saturating_add(delta);
    }

    /// A copy of the totals.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<Currency, MemberTotals> {
        self.by_currency.lock().clone()
    }
}
