//! Money: integer micro-units (10^-6 of a currency's major unit) and ISO 4217 currencies.
//!
//! There is no `Add` or `Sub` here on purpose: every operation is `checked_*` and returns
//! `Option`, so an overflow is a decision made by the caller rather than a silent wrap.
//! Depends on nothing but `core`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Micro-units in one major unit of any currency.
pub const MICROS_PER_UNIT: u64 = 1_000_000;

/// Digits after the decimal point that micro-units can express.
const MICRO_DIGITS: u8 = 6;

/// A non-negative amount of money in micro-units: prices, deposits, fees.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    /// No money.
    pub const ZERO: Amount = Amount(0);

    /// Wraps a count of micro-units.
    #[must_use]
    pub const fn from_micros(micros: u64) -> Amount {
        Amount(micros)
    }

    /// The count of micro-units.
    #[must_use]
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// True for a zero amount.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Sum, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Difference, or `None` if it would be negative.
    #[must_use]
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// `self * ppm / 1_000_000`, rounded down (fees are rounded in the vendor's favour).
    #[must_use]
    pub fn mul_ppm_floor(self, ppm: u32) -> Option<Amount> {
        let product = u128::from(self.0).checked_mul(u128::from(ppm))?;
        let quotient = product.checked_div(u128::from(MICROS_PER_UNIT))?;
        u64::try_from(quotient).ok().map(Amount)
    }
}

/// A signed balance in micro-units: a credit line lets a wallet go below zero.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Balance(i64);

impl Balance {
    /// An empty wallet.
    pub const ZERO: Balance = Balance(0);

    /// Wraps a signed count of micro-units.
    #[must_use]
    pub const fn from_micros(micros: i64) -> Balance {
        Balance(micros)
    }

    /// The signed count of micro-units.
    #[must_use]
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// The balance equal to a non-negative amount, or `None` if it does not fit in `i64`.
    #[must_use]
    pub fn from_amount(amount: Amount) -> Option<Balance> {
        i64::try_from(amount.0).ok().map(Balance)
    }

    /// `-amount`: the floor a credit line of `amount` allows.
    #[must_use]
    pub fn negative_of(amount: Amount) -> Option<Balance> {
        Balance::from_amount(amount)?.0.checked_neg().map(Balance)
    }

    /// Balance plus a credit, or `None` on overflow.
    #[must_use]
    pub fn checked_add_amount(self, amount: Amount) -> Option<Balance> {
        let delta = i64::try_from(amount.0).ok()?;
        self.0.checked_add(delta).map(Balance)
    }

    /// Balance minus a debit, or `None` on overflow.
    #[must_use]
    pub fn checked_sub_amount(self, amount: Amount) -> Option<Balance> {
        let delta = i64::try_from(amount.0).ok()?;
        self.0.checked_sub(delta).map(Balance)
    }

    /// Sum of two balances, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Balance) -> Option<Balance> {
        self.0.checked_add(other.0).map(Balance)
    }

    /// How much can be spent before reaching `floor`; zero if already at or below it.
    #[must_use]
    pub fn headroom_above(self, floor: Balance) -> Amount {
        let room = i128::from(self.0).saturating_sub(i128::from(floor.0));
        Amount(u64::try_from(room.max(0)).unwrap_or(u64::MAX))
    }
}

/// A sum of many amounts (a vendor's gross, the members' deposits): 128-bit, so that amounts
/// that each passed their own check as an `Amount` cannot overflow it in any real history.
/// Still checked: an overflow is an error the caller reports, never a wrap or a cap.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Total(u128);

impl Total {
    /// Nothing summed yet.
    pub const ZERO: Total = Total(0);

    /// Wraps a count of micro-units.
    #[must_use]
    pub const fn from_micros(micros: u128) -> Total {
        Total(micros)
    }

    /// The count of micro-units.
    #[must_use]
    pub const fn micros(self) -> u128 {
        self.0
    }

    /// The total plus one amount, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, amount: Amount) -> Option<Total> {
        self.0.checked_add(u128::from(amount.0)).map(Total)
    }

    /// The sum of two totals, or `None` on overflow.
    #[must_use]
    pub fn checked_add_total(self, other: Total) -> Option<Total> {
        self.0.checked_add(other.0).map(Total)
    }

    /// The total less one amount, or `None` if it would be negative.
    #[must_use]
    pub fn checked_sub(self, amount: Amount) -> Option<Total> {
        self.0.checked_sub(u128::from(amount.0)).map(Total)
    }

    /// The total less another, or `None` if it would be negative.
    #[must_use]
    pub fn checked_sub_total(self, other: Total) -> Option<Total> {
        self.0.checked_sub(other.0).map(Total)
    }

    /// `self * ppm / 1_000_000`, rounded down, or `None` on overflow.
    #[must_use]
    pub fn mul_ppm_floor(self, ppm: u32) -> Option<Total> {
        let product = self.0.checked_mul(u128::from(ppm))?;
        product.checked_div(u128::from(MICROS_PER_UNIT)).map(Total)
    }

    /// The total as a signed sum.
    #[must_use]
    pub fn to_net(self) -> Option<NetTotal> {
        i128::try_from(self.0).ok().map(NetTotal)
    }
}

/// A signed sum of many balances (members' wallets, some negative on credit): 128-bit and
/// checked, like [`Total`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NetTotal(i128);

impl NetTotal {
    /// Nothing summed yet.
    pub const ZERO: NetTotal = NetTotal(0);

    /// Wraps a signed count of micro-units.
    #[must_use]
    pub const fn from_micros(micros: i128) -> NetTotal {
        NetTotal(micros)
    }

    /// The signed count of micro-units.
    #[must_use]
    pub const fn micros(self) -> i128 {
        self.0
    }

    /// Plus an amount, or `None` on overflow.
    #[must_use]
    pub fn checked_add_amount(self, amount: Amount) -> Option<NetTotal> {
        self.0.checked_add(i128::from(amount.0)).map(NetTotal)
    }

    /// Minus an amount, or `None` on overflow.
    #[must_use]
    pub fn checked_sub_amount(self, amount: Amount) -> Option<NetTotal> {
        self.0.checked_sub(i128::from(amount.0)).map(NetTotal)
    }

    /// Plus a balance, or `None` on overflow.
    #[must_use]
    pub fn checked_add_balance(self, balance: Balance) -> Option<NetTotal> {
        self.0.checked_add(i128::from(balance.0)).map(NetTotal)
    }

    /// Plus another signed sum, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: NetTotal) -> Option<NetTotal> {
        self.0.checked_add(other.0).map(NetTotal)
    }

    /// Minus another signed sum, or `None` on overflow.
    #[must_use]
    pub fn checked_sub(self, other: NetTotal) -> Option<NetTotal> {
        self.0.checked_sub(other.0).map(NetTotal)
    }
}

/// An ISO 4217 currency: its code and how many minor digits it shows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u8,
}

/// Active ISO 4217 codes with their minor digits (ISO 4217 list, amendment 176).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// Looks up an ISO 4217 code (upper case, three letters).
    ///
    /// # Errors
    /// `MoneyError::UnknownCurrency` when the code is not an active ISO 4217 code.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .and_then(|(known, digits)| {
                let bytes: [u8; 3] = known.as_bytes().try_into().ok()?;
                Some(Currency {
                    code: bytes,
                    minor_digits: *digits,
                })
            })
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// Every currency this build knows, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .filter_map(|(code, _)| Currency::parse(code).ok())
    }

    /// The three-letter code.
    #[must_use]
    pub fn code(&self) -> &str {
        // The table holds ASCII codes only, so this never falls back.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// The three-letter code as a `'static` string from the currency table (for metric labels,
    /// which need no allocation then).
    #[must_use]
    pub fn code_static(&self) -> &'static str {
        CURRENCIES
            .iter()
            .map(|(known, _)| *known)
            .find(|known| known.as_bytes() == self.code)
            .unwrap_or("XXX")
    }

    /// Digits after the decimal point that output always shows.
    #[must_use]
    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a currency code or amount string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an active ISO 4217 code.
    #[error("not a known ISO 4217 currency code")]
    UnknownCurrency,
    /// Not of the form `123` or `123.456789` (no sign, exponent, or stray dot).
    #[error(
        "must be a decimal string like \"0.10\": digits, an optional dot and 1 to 6 decimals, no sign"
    )]
    Malformed,
    /// Larger than the largest representable amount.
    #[error("amount is too large")]
    TooLarge,
}

/// Parses a wire amount: `^(0|[1-9][0-9]*)(\.[0-9]{1,6})?$`.
///
/// # Errors
/// `MoneyError::Malformed` for anything else, `MoneyError::TooLarge` on overflow.
pub fn parse_amount(text: &str) -> Result<Amount, MoneyError> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole_ok = whole == "0"
        || (!whole.is_empty()
            && !whole.starts_with('0')
            && whole.bytes().all(|b| b.is_ascii_digit()));
    if !whole_ok {
        return Err(MoneyError::Malformed);
    }
    let mut micros: u64 = 0;
    for digit in whole.bytes() {
        micros = micros
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(digit.wrapping_sub(b'0'))))
            .ok_or(MoneyError::TooLarge)?;
    }
    micros = micros
        .checked_mul(MICROS_PER_UNIT)
        .ok_or(MoneyError::TooLarge)?;
    if let Some(fraction) = fraction {
        let valid = !fraction.is_empty()
            && fraction.len() <= usize::from(MICRO_DIGITS)
            && fraction.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return Err(MoneyError::Malformed);
        }
        let mut fraction_micros: u64 = 0;
        let mut scale = MICROS_PER_UNIT;
        for digit in fraction.bytes() {
            scale /= 10;
            fraction_micros = fraction_micros
                .checked_add(
                    u64::from(digit.wrapping_sub(b'0'))
                        .checked_mul(scale)
                        .ok_or(MoneyError::TooLarge)?,
                )
                .ok_or(MoneyError::TooLarge)?;
        }
        micros = micros
            .checked_add(fraction_micros)
            .ok_or(MoneyError::TooLarge)?;
    }
    // Balances are i64; an amount that cannot become a balance is refused at the edge.
    if i64::try_from(micros).is_err() {
        return Err(MoneyError::TooLarge);
    }
    Ok(Amount(micros))
}

/// Formats an amount with at least the currency's minor digits and at most six.
#[must_use]
pub fn format_amount(amount: Amount, currency: Currency) -> String {
    format_parts(false, u128::from(amount.0), currency)
}

/// Formats a signed balance, `"-1.50"` when the wallet is on credit.
#[must_use]
pub fn format_balance(balance: Balance, currency: Currency) -> String {
    format_parts(
        balance.0 < 0,
        u128::from(balance.0.unsigned_abs()),
        currency,
    )
}

/// Formats a sum of amounts like an amount.
#[must_use]
pub fn format_total(total: Total, currency: Currency) -> String {
    format_parts(false, total.0, currency)
}

/// Formats a signed sum like a balance.
#[must_use]
pub fn format_net_total(total: NetTotal, currency: Currency) -> String {
    format_parts(total.0 < 0, total.0.unsigned_abs(), currency)
}

/// Written with `itoa` rather than `format!`: a reply formats two or three amounts, and
/// `format!` with a padded width and `u128`'s `Display` cost about 2,000 instructions for each
/// (callgrind, README).
fn format_parts(negative: bool, micros: u128, currency: Currency) -> String {
    let per_unit = u128::from(MICROS_PER_UNIT);
    let whole = micros.checked_div(per_unit).unwrap_or(0);
    let fraction = u32::try_from(micros.checked_rem(per_unit).unwrap_or(0)).unwrap_or(0);
    let mut numbers = itoa::Buffer::new();
    // The fraction's six digits, zero-padded on the left, then its trailing zeros dropped
    // down to the currency's minor digits.
    let mut digits = [b'0'; 6]; // MICRO_DIGITS
    let written = numbers.format(fraction).as_bytes();
    if let Some(tail) = digits
        .len()
        .checked_sub(written.len())
        .and_then(|start| digits.get_mut(start..))
    {
        tail.copy_from_slice(written);
    }
    let keep = usize::from(currency.minor_digits.min(MICRO_DIGITS));
    let mut shown = digits.len();
    while shown > keep && digits.get(shown.saturating_sub(1)) == Some(&b'0') {
        shown = shown.saturating_sub(1);
    }
    let mut text = String::with_capacity(24);
    if negative {
        text.push('-');
    }
    // Every amount and balance fits a u64, whose digits cost a fraction of a u128's.
    match u64::try_from(whole) {
        Ok(whole) => text.push_str(numbers.format(whole)),
        Err(_) => text.push_str(numbers.format(whole)),
    }
    if let Some(shown) = digits.get(..shown).filter(|shown| !shown.is_empty()) {
        text.push('.');
        text.push_str(std::str::from_utf8(shown).unwrap_or_default());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn totals_hold_what_amounts_cannot_and_still_refuse_overflow() {
        let max = Amount::from_micros(u64::MAX);
        let twice = Total::ZERO
            .checked_add(max)
            .and_then(|t| t.checked_add(max));
        assert_eq!(twice.map(Total::micros), Some(2 * u128::from(u64::MAX)));
        assert_eq!(
            Total::from_micros(u128::MAX).checked_add(Amount::from_micros(1)),
            None
        );
        assert_eq!(Total::ZERO.checked_sub(Amount::from_micros(1)), None);
        assert_eq!(
            NetTotal::from_micros(i128::MIN).checked_sub_amount(Amount::from_micros(1)),
            None
        );
        let big = Total::from_micros(10 * u128::from(u64::MAX));
        assert_eq!(format_total(big, usd()), "184467440737095.51615");
        assert_eq!(
            format_net_total(NetTotal::from_micros(-1_500_000), usd()),
            "-1.50"
        );
    }

    #[test]
    fn parses_the_wire_grammar() {
        assert_eq!(parse_amount("0"), Ok(Amount(0)));
        assert_eq!(parse_amount("0.10"), Ok(Amount(100_000)));
        assert_eq!(parse_amount("0.001"), Ok(Amount(1_000)));
        assert_eq!(parse_amount("12.000001"), Ok(Amount(12_000_001)));
        assert_eq!(parse_amount("5"), Ok(Amount(5_000_000)));
    }

    #[test]
    fn refuses_everything_outside_the_grammar() {
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "01",
            "1e3",
            "0.1234567",
            "1.2.3",
            " 1",
            "1 ",
            "0x10",
            "NaN",
            "１",
        ] {
            assert_eq!(parse_amount(bad), Err(MoneyError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn refuses_amounts_beyond_a_balance() {
        assert_eq!(
            parse_amount("9223372036854.775807"),
            Ok(Amount(i64::MAX.unsigned_abs()))
        );
        assert_eq!(
            parse_amount("9223372036854.775808"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            parse_amount("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn formats_with_minor_digits_and_no_trailing_noise() {
        assert_eq!(format_amount(Amount(100_000), usd()), "0.10");
        assert_eq!(format_amount(Amount(2_500), usd()), "0.0025");
        assert_eq!(format_amount(Amount(0), usd()), "0.00");
        assert_eq!(
            format_amount(Amount(5_000_000), Currency::parse("JPY").unwrap()),
            "5"
        );
        assert_eq!(
            format_amount(Amount(5_500_000), Currency::parse("JPY").unwrap()),
            "5.5"
        );
        assert_eq!(
            format_amount(Amount(1_000), Currency::parse("KWD").unwrap()),
            "0.001"
        );
        assert_eq!(format_balance(Balance(-1_500_000), usd()), "-1.50");
        assert_eq!(
            format_balance(Balance(i64::MIN), usd()),
            "-9223372036854.775808"
        );
    }

    /// The formatting as it was written with `format!`, the reference for the one by hand.
    fn format_reference(negative: bool, micros: u128, currency: Currency) -> String {
        let (whole, fraction) = (micros / 1_000_000, micros % 1_000_000);
        let mut digits = format!("{fraction:06}");
        while digits.len() > usize::from(currency.minor_digits.min(6)) && digits.ends_with('0') {
            digits.pop();
        }
        let sign = if negative { "-" } else { "" };
        if digits.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{digits}")
        }
    }

    #[test]
    fn formatting_by_hand_matches_the_padded_format_for_every_kind_of_amount() {
        let currencies = ["JPY", "USD", "KWD"].map(|code| Currency::parse(code).unwrap());
        let mut micros: Vec<u128> = vec![0, 1, 9, 10, 100_000, 999_999, 1_000_000, 1_000_001];
        micros.extend([u128::from(u64::MAX), u128::from(u64::MAX) + 1, u128::MAX]);
        // Every fraction's trailing zeros, at several sizes of the whole part.
        for whole in [0_u128, 7, 1_234_567_890] {
            for fraction in [0_u128, 5, 50, 500, 5_000, 50_000, 500_000, 123_450, 100_001] {
                micros.push(whole * 1_000_000 + fraction);
            }
        }
        for currency in currencies {
            for &value in &micros {
                for negative in [false, true] {
                    assert_eq!(
                        format_parts(negative, value, currency),
                        format_reference(negative, value, currency),
                        "{value} {}",
                        currency.code()
                    );
                }
            }
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for micros in [0, 1, 10, 999_999, 1_000_000, 123_456_789] {
            let text = format_amount(Amount(micros), usd());
            assert_eq!(parse_amount(&text), Ok(Amount(micros)));
        }
    }

    #[test]
    fn currency_codes_are_checked() {
        assert_eq!(usd().minor_digits(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_digits(), 0);
        assert_eq!(Currency::parse("usd"), Err(MoneyError::UnknownCurrency));
        assert_eq!(Currency::parse("XYZ"), Err(MoneyError::UnknownCurrency));
        assert_eq!(usd().code(), "USD");
    }

    #[test]
    fn checked_arithmetic_refuses_overflow_and_negative_amounts() {
        assert_eq!(Amount(1).checked_sub(Amount(2)), None);
        assert_eq!(Amount(u64::MAX).checked_add(Amount(1)), None);
        assert_eq!(Balance(i64::MIN).checked_sub_amount(Amount(1)), None);
        assert_eq!(Balance(0).checked_sub_amount(Amount(5)), Some(Balance(-5)));
        assert_eq!(Balance::negative_of(Amount(7)), Some(Balance(-7)));
    }

    #[test]
    fn fee_rounds_down_in_the_vendors_favour() {
        // 5% of 0.000019 is 0.00000095: rounds down to 0.
        assert_eq!(Amount(19).mul_ppm_floor(50_000), Some(Amount(0)));
        assert_eq!(Amount(20).mul_ppm_floor(50_000), Some(Amount(1)));
        assert_eq!(
            Amount(1_000_000).mul_ppm_floor(1_000_000),
            Some(Amount(1_000_000))
        );
        assert_eq!(
            Amount(u64::MAX).mul_ppm_floor(1_000_000),
            Some(Amount(u64::MAX))
        );
    }

    #[test]
    fn headroom_counts_down_to_the_credit_floor() {
        let floor = Balance::negative_of(Amount(500)).unwrap();
        assert_eq!(Balance(100).headroom_above(floor), Amount(600));
        assert_eq!(Balance(-500).headroom_above(floor), Amount(0));
        assert_eq!(Balance(-600).headroom_above(floor), Amount(0));
    }
}
