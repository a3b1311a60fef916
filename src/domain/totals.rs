//! The members' side of the money totals: a pure fold over account events, per currency.
//!
//! `/admin/v1/totals` compares it with the vendors' ledgers, which the vendor actors fold from
//! the same journal on their own: deposits must equal what members hold plus what vendors
//! sold. Two folds that agree show that every debit reached its vendor exactly once.
//!
//! Sums are 128-bit ([`Total`], [`NetTotal`]) so amounts that each passed their own check
//! cannot overflow them; an overflow anyway is an error, never a cap (a capped total would
//! report conservation that does not hold).

use std::collections::BTreeMap;

use super::event::Event;
use super::ids::ProgramId;
use super::incentive::{Funder, spent_total};
use super::money::{Amount, Currency, NetTotal, Total};
use super::payouts::SettlementState;
use super::vendor::LedgerFigures;

/// The members' money in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberTotals {
    /// Everything ever deposited.
    pub deposits: Total,
    /// Everything ever refunded by reversals.
    pub refunds: Total,
    /// Sum of the wallets' balances (negative ones on credit included).
    pub balances: NetTotal,
    /// Everything banks returned after it was credited.
    pub returned: Total,
    /// Sum of the wallets' debts (returned debits already spent, not yet repaid).
    pub debts: Total,
    /// Paid out to members' bank accounts by cash-outs (their amounts less the charges).
    pub cash_outs: Total,
    /// Service charges kept on cash-outs: the service's own money.
    pub cash_out_charges: Total,
    /// Sent by members and not yet received by their recipients: still the members' money.
    pub in_transit: Total,
    /// Incentives granted to members: a promise, not cash (DESIGN §2).
    pub incentives_granted: Total,
    /// Incentives spent on purchases that the MSP funds (its programs, groups', the signup
    /// bonus): paid to the vendors out of MSP equity. Net of reversals.
    pub incentives_spent_msp: Total,
    /// Incentives spent that vendors funded (their own programs): not paid to them. Net of
    /// reversals.
    pub incentives_spent_vendors: Total,
    /// Incentives that expired unspent (and those a closed account held: they end with it).
    pub incentives_expired: Total,
    /// Paid balance that members forfeited to the service when they closed their accounts
    /// (`domain::close`): the service's own money from then on, like a cash-out charge.
    pub forfeited: Total,
}

impl MemberTotals {
    /// The incentives-spent total of whoever funds a grant.
    fn spent_by(&mut self, funder: Funder) -> &mut Total {
        match funder {
            Funder::Msp => &mut self.incentives_spent_msp,
            Funder::Vendor(_) => &mut self.incentives_spent_vendors,
        }
    }

    /// Money that came in and stayed: deposits less what banks returned.
    #[must_use]
    pub fn money_in(&self) -> Option<NetTotal> {
        self.deposits.to_net()?.checked_sub(self.returned.to_net()?)
    }

    /// What members are owed net: their balances and the transfers on their way between
    /// them, less their debts.
    #[must_use]
    pub fn held(&self) -> Option<NetTotal> {
        self.balances
            .checked_add(self.in_transit.to_net()?)?
            .checked_sub(self.debts.to_net()?)
    }

    /// Incentives spent, whoever funds them: the part of vendors' gross no member paid.
    #[must_use]
    pub fn incentives_spent(&self) -> Option<Total> {
        self.incentives_spent_msp
            .checked_add_total(self.incentives_spent_vendors)
    }

    /// Incentives still owed to members as a promise: granted, less spent and expired.
    #[must_use]
    pub fn incentives_outstanding(&self) -> Option<NetTotal> {
        self.incentives_granted
            .to_net()?
            .checked_sub(self.incentives_spent()?.to_net()?)?
            .checked_sub(self.incentives_expired.to_net()?)
    }

    /// The conservation rule of DESIGN §2 in one currency: the MSP's cash (deposits that
    /// stayed, less cash-outs and payouts paid) equals what it owes (members' balances and
    /// transfers in transit less their debts, vendors' and rights holders' unsettled amounts)
    /// plus its own equity (fees and cash-out charges, less commissions and the incentives it
    /// funded). `None` when a term overflows (then it cannot be shown to hold).
    #[must_use]
    pub fn conserved_with(&self, payees: &PayeeTotals) -> Option<bool> {
        let cash = self
            .money_in()?
            .checked_sub(self.cash_outs.to_net()?)?
            .checked_sub(payees.payouts()?.to_net()?)?;
        let owed = self
            .held()?
            .checked_add(payees.vendors_unsettled()?)?
            .checked_add(payees.rights_holders_unsettled()?)?
            .checked_add(self.msp_equity(payees)?)?;
        Some(cash == owed)
    }

    /// The MSP's own money: fees, cash-out charges and balances forfeited on closing, less
    /// commissions paid to vendors and the incentives it funded that were spent.
    #[must_use]
    pub fn msp_equity(&self, payees: &PayeeTotals) -> Option<NetTotal> {
        payees
            .fees
            .to_net()?
            .checked_add(self.cash_out_charges.to_net()?)?
            .checked_add(self.forfeited.to_net()?)?
            .checked_sub(payees.commissions.to_net()?)?
            .checked_sub(self.incentives_spent_msp.to_net()?)
    }
}

/// The payees' side of the money in one currency: what vendors sold and earned, what rights
/// holders accrued, and what settlement runs paid them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayeeTotals {
    /// Vendors' gross sales.
    pub gross: Total,
    /// The MSP's fees on them.
    pub fees: Total,
    /// Commissions vendors earned (referrals, funds).
    pub commissions: Total,
    /// Royalties accrued to rights holders (withheld from vendors).
    pub royalties: Total,
    /// What vendors earned: gross − fees − royalties − own incentives + commissions.
    pub vendors_earned: NetTotal,
    /// Paid out to vendors, net of payouts the bank returned.
    pub paid_vendors: Total,
    /// Paid out to rights holders, net of returns.
    pub paid_rights_holders: Total,
}

impl PayeeTotals {
    /// Adds one vendor's figures in this currency.
    ///
    /// # Errors
    /// `TotalsOverflow`.
    pub fn add_vendor(&mut self, figures: &LedgerFigures) -> Result<(), TotalsOverflow> {
        let add = |sum: Total, term: Total| sum.checked_add_total(term).ok_or(TotalsOverflow);
        self.gross = add(self.gross, figures.gross)?;
        self.fees = add(self.fees, figures.fees)?;
        self.commissions = add(self.commissions, figures.commissions)?;
        self.royalties = add(self.royalties, figures.royalties)?;
        self.vendors_earned = self
            .vendors_earned
            .checked_add(figures.earned)
            .ok_or(TotalsOverflow)?;
        Ok(())
    }

    /// Everything settlement runs paid out, net of returns.
    #[must_use]
    pub fn payouts(&self) -> Option<Total> {
        self.paid_vendors
            .checked_add_total(self.paid_rights_holders)
    }

    /// What vendors earned and were not paid yet (negative: clawed back from later payouts).
    #[must_use]
    pub fn vendors_unsettled(&self) -> Option<NetTotal> {
        self.vendors_earned.checked_sub(self.paid_vendors.to_net()?)
    }

    /// What rights holders accrued and were not paid yet.
    #[must_use]
    pub fn rights_holders_unsettled(&self) -> Option<NetTotal> {
        self.royalties
            .to_net()?
            .checked_sub(self.paid_rights_holders.to_net()?)
    }
}

/// The payees' totals per currency: every vendor's figures, and what settlement paid.
///
/// # Errors
/// `TotalsOverflow`.
pub fn payee_totals<'a>(
    vendors: impl IntoIterator<Item = (Currency, &'a LedgerFigures)>,
    settled: &SettlementState,
) -> Result<BTreeMap<Currency, PayeeTotals>, TotalsOverflow> {
    let mut totals: BTreeMap<Currency, PayeeTotals> = BTreeMap::new();
    for (currency, figures) in vendors {
        totals.entry(currency).or_default().add_vendor(figures)?;
    }
    for (rights_holders, paid) in [false, true].map(|kind| (kind, settled.paid_by_currency(kind))) {
        for (currency, sum) in paid {
            let line = totals.entry(currency).or_default();
            if rights_holders {
                line.paid_rights_holders = sum;
            } else {
                line.paid_vendors = sum;
            }
        }
    }
    Ok(totals)
}

/// A total would overflow even 128 bits: the fold stops and says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a money total overflowed")]
pub struct TotalsOverflow;

/// The members' totals per currency, as of the events folded so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// One entry per currency that ever moved.
    pub by_currency: BTreeMap<Currency, MemberTotals>,
    /// What each incentive program granted: its budget used, as start-up gives it back to
    /// the programs.
    pub granted_by_program: BTreeMap<ProgramId, Total>,
}

impl Totals {
    /// Folds one durable event. Events that move no money change nothing.
    ///
    /// # Errors
    /// `TotalsOverflow` when a sum would overflow; the totals are left as they were.
    pub fn apply(&mut self, event: &Event) -> Result<(), TotalsOverflow> {
        let (currency, next) = match event {
            // A deposit of a payment method counts once credited, never when only started.
            Event::Deposited {
                currency, amount, ..
            }
            | Event::DepositCredited {
                currency, amount, ..
            }
            | Event::DepositAccepted {
                currency, amount, ..
            } => {
                let now = self.get(*currency);
                let deposits = now.deposits.checked_add(*amount).ok_or(TotalsOverflow)?;
                let balances = now
                    .balances
                    .checked_add_amount(*amount)
                    .ok_or(TotalsOverflow)?;
                (
                    *currency,
                    MemberTotals {
                        deposits,
                        balances,
                        ..now
                    },
                )
            }
            Event::Authorized(authorized) => {
                let currency = authorized.entitlement.currency;
                let mut now = self.get(currency);
                let from_wallet = authorized
                    .entitlement
                    .price
                    .checked_sub(spent_total(&authorized.incentives))
                    .ok_or(TotalsOverflow)?;
                now.balances = now
                    .balances
                    .checked_sub_amount(from_wallet)
                    .ok_or(TotalsOverflow)?;
                for spent in &authorized.incentives {
                    let funded = now.spent_by(spent.funder);
                    *funded = funded.checked_add(spent.remaining).ok_or(TotalsOverflow)?;
                }
                (currency, now)
            }
            Event::Reversed {
                currency,
                refund,
                incentives,
                ..
            } => {
                let mut now = self.get(*currency);
                let to_balance = refund
                    .checked_sub(spent_total(incentives))
                    .ok_or(TotalsOverflow)?;
                now.refunds = now.refunds.checked_add(to_balance).ok_or(TotalsOverflow)?;
                now.balances = now
                    .balances
                    .checked_add_amount(to_balance)
                    .ok_or(TotalsOverflow)?;
                for spent in incentives {
                    let funded = now.spent_by(spent.funder);
                    *funded = funded.checked_sub(spent.remaining).ok_or(TotalsOverflow)?;
                }
                (*currency, now)
            }
            Event::IncentiveGranted { grant, .. } => {
                let now = self.get(grant.currency);
                let granted = now
                    .incentives_granted
                    .checked_add(grant.remaining)
                    .ok_or(TotalsOverflow)?;
                if let Some(program) = grant.program {
                    let used = self.granted_by_program.entry(program).or_default();
                    *used = used.checked_add(grant.remaining).ok_or(TotalsOverflow)?;
                }
                (
                    grant.currency,
                    MemberTotals {
                        incentives_granted: granted,
                        ..now
                    },
                )
            }
            Event::IncentiveExpired {
                currency, amount, ..
            } => {
                let now = self.get(*currency);
                (
                    *currency,
                    MemberTotals {
                        incentives_expired: now
                            .incentives_expired
                            .checked_add(*amount)
                            .ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::DepositReturned {
                currency,
                amount,
                debt,
                ..
            } => {
                let now = self.get(*currency);
                let taken = amount.checked_sub(*debt).ok_or(TotalsOverflow)?;
                (
                    *currency,
                    MemberTotals {
                        returned: now.returned.checked_add(*amount).ok_or(TotalsOverflow)?,
                        balances: now
                            .balances
                            .checked_sub_amount(taken)
                            .ok_or(TotalsOverflow)?,
                        debts: now.debts.checked_add(*debt).ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::DebtRepaid {
                currency, amount, ..
            } => {
                let now = self.get(*currency);
                (
                    *currency,
                    MemberTotals {
                        balances: now
                            .balances
                            .checked_sub_amount(*amount)
                            .ok_or(TotalsOverflow)?,
                        debts: now.debts.checked_sub(*amount).ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::CashedOut {
                currency,
                amount,
                charge,
                ..
            } => {
                let now = self.get(*currency);
                let net = amount.checked_sub(*charge).ok_or(TotalsOverflow)?;
                (
                    *currency,
                    MemberTotals {
                        balances: now
                            .balances
                            .checked_sub_amount(*amount)
                            .ok_or(TotalsOverflow)?,
                        cash_outs: now.cash_outs.checked_add(net).ok_or(TotalsOverflow)?,
                        cash_out_charges: now
                            .cash_out_charges
                            .checked_add(*charge)
                            .ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::TransferSent(sent) => {
                let now = self.get(sent.currency);
                (
                    sent.currency,
                    MemberTotals {
                        balances: now
                            .balances
                            .checked_sub_amount(sent.amount)
                            .ok_or(TotalsOverflow)?,
                        in_transit: now
                            .in_transit
                            .checked_add(sent.amount)
                            .ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::TransferReceived(received) => {
                let now = self.get(received.currency);
                (
                    received.currency,
                    MemberTotals {
                        balances: now
                            .balances
                            .checked_add_amount(received.amount)
                            .ok_or(TotalsOverflow)?,
                        in_transit: now
                            .in_transit
                            .checked_sub(received.amount)
                            .ok_or(TotalsOverflow)?,
                        ..now
                    },
                )
            }
            Event::AccountClosed { forfeited, .. } => return self.forfeit(forfeited),
            _ => return Ok(()),
        };
        self.by_currency.insert(currency, next);
        Ok(())
    }

    /// Folds a close's forfeits: each leaves the members' balances for the service's
    /// equity. Every currency is checked before any changes, so an overflow changes nothing.
    fn forfeit(&mut self, forfeited: &[(Currency, Amount)]) -> Result<(), TotalsOverflow> {
        let mut next = Vec::with_capacity(forfeited.len());
        for (currency, amount) in forfeited {
            let now = self.get(*currency);
            next.push((
                *currency,
                MemberTotals {
                    balances: now
                        .balances
                        .checked_sub_amount(*amount)
                        .ok_or(TotalsOverflow)?,
                    forfeited: now.forfeited.checked_add(*amount).ok_or(TotalsOverflow)?,
                    ..now
                },
            ));
        }
        self.by_currency.extend(next);
        Ok(())
    }

    fn get(&self, currency: Currency) -> MemberTotals {
        self.by_currency.get(&currency).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Origin;
    use crate::domain::ids::{AccountId, LoginId};
    use crate::domain::time::Timestamp;

    fn deposit(micros: u64) -> Event {
        Event::Deposited {
            account: AccountId(1),
            currency: Currency::parse("USD").unwrap(),
            amount: Amount::from_micros(micros),
            reference: "r".to_owned(),
            by: Origin::Admin,
            at: Timestamp(0),
        }
    }

    #[test]
    fn deposits_add_to_deposits_and_balances() {
        let mut totals = Totals::default();
        totals.apply(&deposit(u64::MAX)).unwrap();
        totals.apply(&deposit(u64::MAX)).unwrap();
        let usd = totals.by_currency.values().next().copied().unwrap();
        assert_eq!(usd.deposits.micros(), 2 * u128::from(u64::MAX));
        assert_eq!(usd.balances.micros(), 2 * i128::from(u64::MAX));
    }

    #[test]
    fn a_forfeit_moves_balance_to_the_services_equity_and_stays_conserved() {
        let usd = Currency::parse("USD").unwrap();
        let mut totals = Totals::default();
        totals.apply(&deposit(5_000_000)).unwrap();
        let closed = Event::AccountClosed {
            account: AccountId(1),
            login: LoginId(1),
            forfeited: vec![(usd, Amount::from_micros(5_000_000))],
            at: Timestamp(1),
        };
        totals.apply(&closed).unwrap();
        let line = totals.by_currency.get(&usd).copied().unwrap();
        assert_eq!(line.balances.micros(), 0);
        assert_eq!(line.forfeited.micros(), 5_000_000);
        let payees = PayeeTotals::default();
        assert_eq!(line.conserved_with(&payees), Some(true));
        assert_eq!(
            line.msp_equity(&payees).map(NetTotal::micros),
            Some(5_000_000)
        );
    }

    #[test]
    fn an_overflow_is_an_error_and_changes_nothing() {
        let usd = Currency::parse("USD").unwrap();
        let mut totals = Totals::default();
        let near_max = MemberTotals {
            deposits: Total::from_micros(u128::MAX - 1),
            ..MemberTotals::default()
        };
        totals.by_currency.insert(usd, near_max);
        assert_eq!(totals.apply(&deposit(2)), Err(TotalsOverflow));
        assert_eq!(totals.by_currency.get(&usd), Some(&near_max));
        // One step away: the last unit still fits.
        assert_eq!(totals.apply(&deposit(1)), Ok(()));
    }
}
