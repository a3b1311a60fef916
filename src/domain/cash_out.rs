//! Cash-out ([0274]): a member takes settled paid balance out to a bank account, less a
//! service charge. Only money the member paid in and that has settled leaves: never incentive
//! grants, never the credit line, never a bank debit that may still come back.

use serde::{Deserialize, Serialize};

use super::money::{Amount, Currency};

/// The service charge of a cash-out in one currency: `max(fixed, rate_ppm × amount)`, rounded
/// up to the currency's minor unit (so the member is never charged a fraction of a cent the
/// bank could not move, and the service never loses one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashOutCharge {
    /// The least charge.
    pub fixed: Amount,
    /// The proportional charge, in parts per million of the amount.
    pub rate_ppm: u32,
}

/// Micro-units in one parts-per-million step of one micro-unit: `amount × ppm` is in
/// micro-micro-units until divided by this.
const PPM: u128 = 1_000_000;

impl CashOutCharge {
    /// The charge on cashing out `amount` in `currency`, or `None` on overflow.
    #[must_use]
    pub fn on(&self, amount: Amount, currency: Currency) -> Option<Amount> {
        let minor_unit =
            10_u128.checked_pow(6_u32.checked_sub(u32::from(currency.minor_digits()))?)?;
        let proportional = u128::from(amount.micros()).checked_mul(u128::from(self.rate_ppm))?;
        let larger = proportional.max(u128::from(self.fixed.micros()).checked_mul(PPM)?);
        // Rounded up to whole minor units: ceil(larger / (PPM × unit)) × unit.
        let step = PPM.checked_mul(minor_unit)?;
        let units = larger.div_ceil(step);
        let micros = units.checked_mul(minor_unit)?;
        u64::try_from(micros).ok().map(Amount::from_micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn charge(fixed: u64, rate_ppm: u32) -> CashOutCharge {
        CashOutCharge {
            fixed: Amount::from_micros(fixed),
            rate_ppm,
        }
    }

    #[test]
    fn the_larger_of_fixed_and_rate_is_charged_rounded_up_to_the_cent() {
        // 1% of 10.00 is 0.10, below the 0.50 floor.
        let rule = charge(500_000, 10_000);
        assert_eq!(
            rule.on(Amount::from_micros(10_000_000), usd()),
            Some(Amount::from_micros(500_000))
        );
        // 1% of 100.00 is 1.00: above the floor.
        assert_eq!(
            rule.on(Amount::from_micros(100_000_000), usd()),
            Some(Amount::from_micros(1_000_000))
        );
        // 1% of 100.01 is 1.0001: rounded up to 1.01, never down to 1.00.
        assert_eq!(
            rule.on(Amount::from_micros(100_010_000), usd()),
            Some(Amount::from_micros(1_010_000))
        );
        // Exactly on a cent stays there.
        assert_eq!(
            rule.on(Amount::from_micros(150_000_000), usd()),
            Some(Amount::from_micros(1_500_000))
        );
    }

    #[test]
    fn currencies_round_to_their_own_minor_unit() {
        let yen = Currency::parse("JPY").unwrap();
        // 1.5% of 1001 yen is 15.015 yen: 16 yen (no minor digits).
        assert_eq!(
            charge(0, 15_000).on(Amount::from_micros(1_001_000_000), yen),
            Some(Amount::from_micros(16_000_000))
        );
        let dinar = Currency::parse("KWD").unwrap();
        // 3 minor digits: 0.0015 rounds up to 0.002.
        assert_eq!(
            charge(1_500, 0).on(Amount::from_micros(1), dinar),
            Some(Amount::from_micros(2_000))
        );
        // A fixed charge already in whole units is kept as it is.
        assert_eq!(
            charge(2_000_000, 0).on(Amount::ZERO, usd()),
            Some(Amount::from_micros(2_000_000))
        );
        assert!(
            charge(0, u32::MAX)
                .on(Amount::from_micros(u64::MAX), usd())
                .is_none()
        );
    }
}
