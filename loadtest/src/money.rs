//! Decimal amount strings (`"0.01"`, `"-3.5"`, `"1000"`) to integer micro-units.
//!
//! The conservation check compares sums exactly, so amounts are parsed to integers and never to
//! floats (a float sum of a million cents is not exact). Signed `i128` holds any balance the
//! server can report (credit lines make member balances negative) with room to add them.

use anyhow::{Result, bail};

/// Micro-units per major unit: amounts on the wire have at most six decimals.
pub const MICROS_PER_UNIT: i128 = 1_000_000;

/// Most decimals an amount may carry: one micro-unit is the smallest step.
pub const DECIMALS_MAX: usize = 6;

/// Most integer digits accepted: far above any real total and far below `i128` overflow.
pub const INTEGER_DIGITS_MAX: usize = 24;

/// Parses a decimal string to micro-units, exactly.
///
/// Accepts an optional leading `-`, integer digits, and an optional `.` followed by one to six
/// digits. Rejects `+`, exponents, spaces, empty parts (`".5"`, `"1."`) and seven decimals.
///
/// # Errors
/// The text is not such a decimal.
pub fn parse_micros(text: &str) -> Result<i128> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => {
            if fraction.is_empty() {
                bail!("amount {text:?} has a decimal point but no decimals");
            }
            (integer, fraction)
        }
        None => (unsigned, ""),
    };
    if integer.is_empty() || !integer.bytes().all(|byte| byte.is_ascii_digit()) {
        bail!("amount {text:?} is not a decimal number");
    }
    if integer.len() > INTEGER_DIGITS_MAX {
        bail!("amount {text:?} has more than {INTEGER_DIGITS_MAX} integer digits");
    }
    if !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        bail!("amount {text:?} is not a decimal number");
    }
    if fraction.len() > DECIMALS_MAX {
        bail!("amount {text:?} has more than {DECIMALS_MAX} decimals");
    }

    let mut micros: i128 = 0;
    for byte in integer.bytes() {
        micros = micros * 10 + i128::from(byte - b'0');
    }
    micros *= MICROS_PER_UNIT;
    let mut scale = MICROS_PER_UNIT / 10;
    for byte in fraction.bytes() {
        micros += i128::from(byte - b'0') * scale;
        scale /= 10;
    }
    Ok(if negative { -micros } else { micros })
}

/// Formats micro-units as a decimal string with six decimals (`10_000` is `"0.010000"`), the
/// inverse of `parse_micros`.
pub fn format_micros(micros: i128) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let magnitude = micros.unsigned_abs();
    let unit = MICROS_PER_UNIT.unsigned_abs();
    format!("{sign}{}.{:06}", magnitude / unit, magnitude % unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_what_it_parses() {
        assert_eq!(format_micros(10_000), "0.010000");
        assert_eq!(format_micros(1_234_567), "1.234567");
        assert_eq!(format_micros(-3_500_000), "-3.500000");
        assert_eq!(format_micros(0), "0.000000");
        for micros in [1, 999_999, 1_000_000, 42_000_001, -7] {
            assert_eq!(parse_micros(&format_micros(micros)).unwrap(), micros);
        }
    }

    #[test]
    fn parses_exact_micro_units() {
        assert_eq!(parse_micros("0.01").unwrap(), 10_000);
        assert_eq!(parse_micros("0").unwrap(), 0);
        assert_eq!(parse_micros("0.00").unwrap(), 0);
        assert_eq!(parse_micros("1000").unwrap(), 1_000_000_000);
        assert_eq!(parse_micros("123.45").unwrap(), 123_450_000);
        assert_eq!(parse_micros("0.000001").unwrap(), 1);
        assert_eq!(parse_micros("0.0025").unwrap(), 2_500);
        assert_eq!(parse_micros("-3.5").unwrap(), -3_500_000);
        assert_eq!(parse_micros("007.100000").unwrap(), 7_100_000);
    }

    #[test]
    fn sums_that_floats_get_wrong_are_exact() {
        let total: i128 = (0..1_000_000).map(|_| parse_micros("0.01").unwrap()).sum();
        assert_eq!(total, parse_micros("10000").unwrap());
        assert_eq!(
            parse_micros("0.1").unwrap() + parse_micros("0.2").unwrap(),
            parse_micros("0.3").unwrap()
        );
    }

    #[test]
    fn rejects_what_is_not_a_wire_amount() {
        for bad in [
            "",
            "-",
            ".5",
            "1.",
            "1.0000001",
            "+1",
            "1e3",
            " 1",
            "1 ",
            "1,5",
            "0x10",
            "--1",
            "1.2.3",
            "NaN",
            "1.-2",
        ] {
            assert!(parse_micros(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(parse_micros(&"9".repeat(INTEGER_DIGITS_MAX + 1)).is_err());
        assert!(parse_micros(&"9".repeat(INTEGER_DIGITS_MAX)).is_ok());
    }
}
