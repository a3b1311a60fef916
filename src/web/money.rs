//! Money as a reader expects it: currency symbol, thousands and decimal separators per
//! language (CLDR's conventions for `en`, `ja` and `pt-BR`).
//!
//! The digits themselves come from `domain::money::format_amount` / `format_balance` (at least
//! the currency's minor digits, more only when they are not zero, up to six: `0.0025` stays
//! exact), so the page shows the same number as the wire format; this module only dresses it.
//! Depends on `domain::money` and [`Lang`].

use crate::domain::money::{Amount, Balance, Currency, format_amount, format_balance};
use crate::web::i18n::Lang;

/// A no-break space: keeps `R$` and its number on one line.
const NBSP: char = '\u{a0}';

/// Formats a price, deposit or shortage: `$1,234,567.50` (en), `$0.25` (ja),
/// `R$ 0,25` (pt-BR, with a no-break space). A currency without a symbol here shows its code
/// after the number: `1.50 CHF`.
#[must_use]
pub fn display_amount(amount: Amount, currency: Currency, lang: Lang) -> String {
    localize(&format_amount(amount, currency), currency.code(), lang)
}

/// Formats a balance, which a credit line can make negative: `-$1.50`, `-R$ 1,50`.
#[must_use]
pub fn display_balance(balance: Balance, currency: Currency, lang: Lang) -> String {
    localize(&format_balance(balance, currency), currency.code(), lang)
}

/// Where a currency's symbol goes in a language.
enum Symbol {
    /// Before the number, touching it: `$0.25`.
    Before(&'static str),
    /// Before the number, after a no-break space: `R$ 0,25`.
    BeforeSpaced(&'static str),
    /// No symbol: the code after the number and a no-break space: `1.50 CHF`.
    CodeAfter,
}

/// The symbol of the currencies a member can hold today; others show their ISO code.
fn symbol(code: &str, lang: Lang) -> Symbol {
    match (lang, code) {
        (Lang::En | Lang::Ja, "USD") => Symbol::Before("$"),
        (Lang::En | Lang::Ja, "EUR") => Symbol::Before("€"),
        (Lang::En | Lang::Ja, "JPY") => Symbol::Before("¥"),
        (Lang::En | Lang::Ja, "BRL") => Symbol::Before("R$"),
        (Lang::En | Lang::Ja, "GBP") => Symbol::Before("£"),
        (Lang::PtBr, "USD") => Symbol::BeforeSpaced("US$"),
        (Lang::PtBr, "EUR") => Symbol::BeforeSpaced("€"),
        (Lang::PtBr, "JPY") => Symbol::BeforeSpaced("JP¥"),
        (Lang::PtBr, "BRL") => Symbol::BeforeSpaced("R$"),
        (Lang::PtBr, "GBP") => Symbol::BeforeSpaced("£"),
        _ => Symbol::CodeAfter,
    }
}

/// Turns the wire digits (`-1234567.5`) into the reader's (`-R$ 1.234.567,50`). Also for
/// figures that arrive already on the wire (the vendor office shows the vendor API's views).
pub(crate) fn localize(plain: &str, code: &str, lang: Lang) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, decimal) = match lang {
        Lang::En | Lang::Ja => (',', '.'),
        Lang::PtBr => ('.', ','),
    };
    let mut number = String::with_capacity(digits.len().saturating_mul(2));
    let count = whole.chars().count();
    for (index, digit) in whole.chars().enumerate() {
        let left = count.saturating_sub(index);
        if index > 0 && left % 3 == 0 {
            number.push(group);
        }
        number.push(digit);
    }
    if !fraction.is_empty() {
        number.push(decimal);
        number.push_str(fraction);
    }
    match symbol(code, lang) {
        Symbol::Before(symbol) => format!("{sign}{symbol}{number}"),
        Symbol::BeforeSpaced(symbol) => format!("{sign}{symbol}{NBSP}{number}"),
        Symbol::CodeAfter => format!("{sign}{number}{NBSP}{code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(micros: u64, code: &str, lang: Lang) -> String {
        let currency = Currency::parse(code).unwrap();
        display_amount(Amount::from_micros(micros), currency, lang).replace(NBSP, " ")
    }

    fn show_balance(micros: i64, code: &str, lang: Lang) -> String {
        let currency = Currency::parse(code).unwrap();
        display_balance(Balance::from_micros(micros), currency, lang).replace(NBSP, " ")
    }

    #[test]
    fn english() {
        let en = Lang::En;
        assert_eq!(show(250_000, "USD", en), "$0.25");
        assert_eq!(show(2_500, "USD", en), "$0.0025");
        assert_eq!(show(1_234_567_500_000, "USD", en), "$1,234,567.50");
        assert_eq!(show(5_000_000, "JPY", en), "¥5");
        assert_eq!(show(2_500, "JPY", en), "¥0.0025");
        assert_eq!(show(1_234_567_500_000, "JPY", en), "¥1,234,567.5");
        assert_eq!(show(250_000, "BRL", en), "R$0.25");
        assert_eq!(show(1_234_567_500_000, "BRL", en), "R$1,234,567.50");
        assert_eq!(show(1_500_000, "EUR", en), "€1.50");
        assert_eq!(show(2_500, "EUR", en), "€0.0025");
        assert_eq!(show(0, "USD", en), "$0.00");
        assert_eq!(show(1_000_000_000, "USD", en), "$1,000.00");
        assert_eq!(show(100_000_000, "USD", en), "$100.00");
    }

    #[test]
    fn japanese() {
        let ja = Lang::Ja;
        assert_eq!(show(250_000, "USD", ja), "$0.25");
        assert_eq!(show(2_500, "USD", ja), "$0.0025");
        assert_eq!(show(5_000_000, "JPY", ja), "¥5");
        assert_eq!(show(1_234_567_000_000, "JPY", ja), "¥1,234,567");
        assert_eq!(show(1_234_567_500_000, "JPY", ja), "¥1,234,567.5");
        assert_eq!(show(250_000, "BRL", ja), "R$0.25");
        assert_eq!(show(1_500_000, "EUR", ja), "€1.50");
        assert_eq!(show(1_234_567_500_000, "EUR", ja), "€1,234,567.50");
    }

    #[test]
    fn brazilian_portuguese() {
        let pt = Lang::PtBr;
        assert_eq!(show(250_000, "USD", pt), "US$ 0,25");
        assert_eq!(show(2_500, "USD", pt), "US$ 0,0025");
        assert_eq!(show(250_000, "BRL", pt), "R$ 0,25");
        assert_eq!(show(1_234_567_500_000, "BRL", pt), "R$ 1.234.567,50");
        assert_eq!(show(5_000_000, "JPY", pt), "JP¥ 5");
        assert_eq!(show(1_234_567_500_000, "JPY", pt), "JP¥ 1.234.567,5");
        assert_eq!(show(1_500_000, "EUR", pt), "€ 1,50");
        assert_eq!(show(2_500, "EUR", pt), "€ 0,0025");
    }

    #[test]
    fn the_space_is_a_no_break_space() {
        let currency = Currency::parse("BRL").unwrap();
        let text = display_amount(Amount::from_micros(250_000), currency, Lang::PtBr);
        assert_eq!(text, "R$\u{a0}0,25");
    }

    #[test]
    fn currencies_without_a_symbol_show_their_code() {
        assert_eq!(show(1_500_000, "CHF", Lang::En), "1.50 CHF");
        assert_eq!(show(1_500_000, "CHF", Lang::PtBr), "1,50 CHF");
        assert_eq!(show(1_000, "KWD", Lang::Ja), "0.001 KWD");
        assert_eq!(show(1_234_000_000, "KWD", Lang::En), "1,234.000 KWD");
    }

    #[test]
    fn negative_balances() {
        assert_eq!(show_balance(-1_500_000, "USD", Lang::En), "-$1.50");
        assert_eq!(show_balance(-1_500_000, "USD", Lang::Ja), "-$1.50");
        assert_eq!(show_balance(-1_500_000, "BRL", Lang::PtBr), "-R$ 1,50");
        assert_eq!(show_balance(-2_500, "EUR", Lang::PtBr), "-€ 0,0025");
        assert_eq!(show_balance(-5_000_000, "JPY", Lang::Ja), "-¥5");
        assert_eq!(
            show_balance(-1_234_567_500_000, "USD", Lang::En),
            "-$1,234,567.50"
        );
        assert_eq!(show_balance(-1_500_000, "CHF", Lang::En), "-1.50 CHF");
        assert_eq!(show_balance(4_750_000, "USD", Lang::En), "$4.75");
        assert_eq!(
            show_balance(i64::MIN, "USD", Lang::En),
            "-$9,223,372,036,854.775808"
        );
    }
}
