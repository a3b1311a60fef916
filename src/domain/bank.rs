//! Bank details of a payee (a vendor or a rights holder): where a settlement run sends a
//! credit transfer. Pure: checks the IBAN (ISO 13616), the BIC (ISO 9362) and the account
//! holder's name, and masks the IBAN for display. No I/O; depends on nothing but `serde`.
//!
//! [`BankAccount::parse`] is the one place that decides whether bank details are acceptable,
//! whether they come from the HTTP edge, from config or from a payment file writer. The fields
//! are public so stored events decode without re-checking (a rule tightened later must not
//! make an old journal unreadable); code that builds a new account goes through `parse`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// IBANs are 15 to 34 characters (ISO 13616): country, check digits, account.
const IBAN_CHARS_MIN: usize = 15;
/// See [`IBAN_CHARS_MIN`].
const IBAN_CHARS_MAX: usize = 34;
/// Longest account holder name: the ISO 20022 `Max70Text` limit that the EPC SEPA credit
/// transfer guidelines put on every party name.
pub const NAME_CHARS_MAX: usize = 70;

/// A payee's bank account for credit transfers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    /// The IBAN, upper case, without spaces, check digits verified.
    pub iban: String,
    /// The BIC of the payee's bank (8 or 11 characters, upper case), when the payee gave one.
    /// SEPA transfers route by IBAN alone; other rails may need it.
    pub bic: Option<String>,
    /// The account holder's name, trimmed, 1 to 70 characters: the bank compares it with the
    /// account (verification of payee) and shows it on statements.
    pub name: String,
}

/// Why bank details were refused: which field, and the rule it broke (for the error message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {rule}")]
pub struct BankAccountInvalid {
    /// The wire name of the field: `iban`, `bic` or `name`.
    pub param: &'static str,
    /// What the field must be, as a sentence fragment for the client.
    pub rule: &'static str,
}

/// The IBAN rule, as the client reads it.
const IBAN_RULE: &str = "an IBAN: country, check digits and account, 15 to 34 characters";
/// The BIC rule, as the client reads it.
const BIC_RULE: &str = "a BIC: 8 or 11 letters and digits (bank, country, location, branch)";
/// The name rule, as the client reads it.
const NAME_RULE: &str = "the account holder's name, 1 to 70 characters, no control characters";

impl BankAccount {
    /// Checks and normalizes bank details as a payee typed them: the IBAN loses its spaces
    /// and is upper-cased, the BIC is trimmed and upper-cased, the name is trimmed.
    ///
    /// # Errors
    /// `BankAccountInvalid` naming `iban` (shape or check digits), `bic` (not ISO 9362) or
    /// `name` (empty, longer than 70 characters, or holding a control character).
    pub fn parse(
        iban: &str,
        bic: Option<&str>,
        name: &str,
    ) -> Result<BankAccount, BankAccountInvalid> {
        let iban: String = iban
            .chars()
            .filter(|c| *c != ' ')
            .collect::<String>()
            .to_ascii_uppercase();
        if !iban_valid(&iban) {
            return Err(BankAccountInvalid {
                param: "iban",
                rule: IBAN_RULE,
            });
        }
        let bic = match bic {
            None => None,
            Some(bic) => {
                let bic = bic.trim().to_ascii_uppercase();
                if !bic_valid(&bic) {
                    return Err(BankAccountInvalid {
                        param: "bic",
                        rule: BIC_RULE,
                    });
                }
                Some(bic)
            }
        };
        let name = name.trim();
        let name_chars = name.chars().count();
        if name_chars == 0 || name_chars > NAME_CHARS_MAX || name.chars().any(char::is_control) {
            return Err(BankAccountInvalid {
                param: "name",
                rule: NAME_RULE,
            });
        }
        Ok(BankAccount {
            iban,
            bic,
            name: name.to_owned(),
        })
    }

    /// The IBAN for display, always in the shape `"DE** **** 3000"`: the country code, the
    /// check digits and the middle hidden behind a fixed run of `*`, then the last four
    /// characters. The shape does not depend on the IBAN's length, so the mask reveals
    /// nothing but the country and the last four (what a statement needs to recognise the
    /// account). Rejected: grouping the real length into blocks of four, which shows how
    /// long the account number is.
    #[must_use]
    pub fn masked(&self) -> String {
        let country = self.iban.get(..2).unwrap_or("**");
        let last4 = self
            .iban
            .get(self.iban.len().saturating_sub(4)..)
            .unwrap_or("");
        format!("{country}** **** {last4}")
    }
}

impl fmt::Debug for BankAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the full IBAN nor the holder's name: a debug print must not leak them into a log.
        f.debug_struct("BankAccount")
            .field("iban", &self.masked())
            .field("bic", &self.bic)
            .finish_non_exhaustive()
    }
}

/// Whether an IBAN, already upper case and without spaces, has the ISO 13616 shape (15 to
/// 34 characters: two letters, two digits, then letters and digits) and its check digits
/// hold (the number rearranged with the first four characters moved to the end, letters as
/// two digits A = 10 … Z = 35, is 1 mod 97). Computed digit by digit so no big integer is
/// needed. Does not check the length each country prescribes: the check digits catch typos,
/// and the bank refuses an account that does not exist.
#[must_use]
pub fn iban_valid(iban: &str) -> bool {
    let well_formed = (IBAN_CHARS_MIN..=IBAN_CHARS_MAX).contains(&iban.len())
        && iban
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && iban.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && iban.bytes().skip(2).take(2).all(|b| b.is_ascii_digit());
    if !well_formed {
        return false;
    }
    let mut rearranged = iban.bytes().skip(4).chain(iban.bytes().take(4));
    let remainder = rearranged.try_fold(0_u32, |remainder, byte| {
        // The remainder stays below 97, so neither step can overflow; checked anyway.
        let (scale, value) = if byte.is_ascii_digit() {
            (10, u32::from(byte.checked_sub(b'0')?))
        } else {
            (100, u32::from(byte.checked_sub(b'A')?).checked_add(10)?)
        };
        remainder
            .checked_mul(scale)?
            .checked_add(value)?
            .checked_rem(97)
    });
    remainder == Some(1)
}

/// Whether a BIC, already upper case, has the ISO 9362 shape: 4 characters of business
/// party prefix (the bank), 2 letters of country, 2 characters of location, optionally 3 of
/// branch. The prefix and the suffixes are letters or digits: the pattern of
/// `BICFIDec2014Identifier` in the pain.001.001.09 schema (ISO 9362:2014 allows digits in
/// the prefix). Rejected: letters only in the prefix, which would refuse a BIC the bank's own
/// schema accepts.
#[must_use]
pub fn bic_valid(bic: &str) -> bool {
    let alphanumeric = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    (bic.len() == 8 || bic.len() == 11)
        && bic.bytes().all(alphanumeric)
        && bic.bytes().skip(4).take(2).all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IBAN: &str = "DE89370400440532013000";

    fn parse(iban: &str, bic: Option<&str>, name: &str) -> Result<BankAccount, BankAccountInvalid> {
        BankAccount::parse(iban, bic, name)
    }

    fn refused(param: &'static str) -> impl Fn(Result<BankAccount, BankAccountInvalid>) -> bool {
        move |result| matches!(result, Err(invalid) if invalid.param == param)
    }

    #[test]
    fn iban_check_digits_hold_for_known_accounts() {
        for iban in [
            IBAN,
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "MT84MALT011000012345MTLCAST001S",
        ] {
            assert!(iban_valid(iban), "{iban}");
        }
    }

    #[test]
    fn iban_one_character_away_is_refused() {
        // The last digit changed: the check digits no longer hold.
        assert!(!iban_valid("DE89370400440532013001"));
        // Two digits swapped: mod 97 catches transpositions.
        assert!(!iban_valid("DE89370400440532010300"));
        // The check digits changed.
        assert!(!iban_valid("DE88370400440532013000"));
        let refused_iban = refused("iban");
        assert!(refused_iban(parse("DE89370400440532013001", None, "Ada")));
    }

    #[test]
    fn iban_shape_is_checked_before_the_check_digits() {
        for bad in [
            "",
            "DE89",
            "DE8937040044053",             // 15 characters but a wrong checksum
            "de89370400440532013000",      // lower case (parse upper-cases; this does not)
            "D989370400440532013000",      // country is not two letters
            "DEX9370400440532013000",      // check digits are not digits
            "DE89 3704 0044 0532 0130 00", // spaces (parse removes them; this does not)
            "DE89370400440532013000-",     // punctuation
            "DE8937040044053201300012345678901234", // 36 characters
        ] {
            assert!(!iban_valid(bad), "{bad:?}");
        }
        assert!(!iban_valid("DE89370400440532013000ÄÖ"));
    }

    #[test]
    fn parse_normalizes_spaces_and_case() {
        let account = parse(
            "de89 3704 0044 0532 0130 00",
            Some(" cobadeffxxx "),
            "  Ada Lovelace  ",
        )
        .unwrap();
        assert_eq!(account.iban, IBAN);
        assert_eq!(account.bic.as_deref(), Some("COBADEFFXXX"));
        assert_eq!(account.name, "Ada Lovelace");
    }

    #[test]
    fn bic_of_8_and_11_characters_is_accepted() {
        assert!(bic_valid("COBADEFF"));
        assert!(bic_valid("COBADEFFXXX"));
        assert!(bic_valid("DEUTDEDB110"));
        // ISO 9362:2014 and the pain.001 schema allow digits in the party prefix.
        assert!(bic_valid("1234DEFF"));
        assert_eq!(
            parse(IBAN, Some("COBADEFF"), "Ada").unwrap().bic.as_deref(),
            Some("COBADEFF")
        );
        assert_eq!(parse(IBAN, None, "Ada").unwrap().bic, None);
    }

    #[test]
    fn bic_of_other_shapes_is_refused() {
        for bad in [
            "",
            "COBADEF",      // 7
            "COBADEFFX",    // 9
            "COBADEFFXX",   // 10
            "COBADEFFXXXX", // 12
            "COBA1EFF",     // a digit in the country
            "COBADEF-",     // punctuation
            "COBA DEFF",    // inner space
            "COBADEFFÄXX",  // not ASCII
        ] {
            assert!(!bic_valid(bad), "{bad:?}");
            assert!(refused("bic")(parse(IBAN, Some(bad), "Ada")), "{bad:?}");
        }
    }

    #[test]
    fn name_is_trimmed_and_bounded() {
        let refused_name = refused("name");
        assert!(refused_name(parse(IBAN, None, "")));
        assert!(refused_name(parse(IBAN, None, "   ")));
        let seventy = "a".repeat(70);
        assert_eq!(parse(IBAN, None, &seventy).unwrap().name, seventy);
        assert!(refused_name(parse(IBAN, None, &"a".repeat(71))));
        // Characters, not bytes: 70 two-byte letters are fine.
        assert!(parse(IBAN, None, &"é".repeat(70)).is_ok());
        assert!(refused_name(parse(IBAN, None, "Ada\u{0}Lovelace")));
        assert!(refused_name(parse(IBAN, None, "Ada\nLovelace")));
        assert!(refused_name(parse(IBAN, None, "Ada\u{85}Lovelace")));
    }

    #[test]
    fn the_iban_is_checked_first() {
        let invalid = parse("XX00", Some("bad"), "").unwrap_err();
        assert_eq!(invalid.param, "iban");
        assert_eq!(invalid.to_string(), format!("iban: {IBAN_RULE}"));
    }

    #[test]
    fn masking_shows_country_and_last_four_in_a_fixed_shape() {
        let account = parse(IBAN, None, "Ada").unwrap();
        assert_eq!(account.masked(), "DE** **** 3000");
        let short = parse("NO9386011117947", None, "Ada").unwrap();
        assert_eq!(short.masked(), "NO** **** 7947");
        let long = parse("MT84MALT011000012345MTLCAST001S", None, "Ada").unwrap();
        assert_eq!(long.masked(), "MT** **** 001S");
        let debug = format!("{account:?}");
        assert!(!debug.contains(IBAN), "{debug}");
        assert!(!debug.contains("Ada"), "{debug}");
        assert!(debug.contains("DE** **** 3000"), "{debug}");
    }

    #[test]
    fn serde_keeps_the_fields() {
        let account = parse(IBAN, Some("COBADEFF"), "Ada").unwrap();
        let json = serde_json::to_string(&account).unwrap();
        assert_eq!(
            json,
            r#"{"iban":"DE89370400440532013000","bic":"COBADEFF","name":"Ada"}"#
        );
        let back: BankAccount = serde_json::from_str(&json).unwrap();
        assert_eq!(back, account);
    }
}
