//! Languages of the buy window and every sentence it shows, in English, Japanese and
//! Brazilian Portuguese.
//!
//! Each language is one `const` [`Strings`]: a struct of fields rather than a map of keys, so a
//! sentence missing from one language is a compile error instead of a blank on a page. The
//! sentences that carry a value (a price, an e-mail, a count) are `fn` fields, because word
//! order differs between the languages ("Buy for $0.25" / "$0.25で購入").
//! The texts live in `i18n/en.rs`, `i18n/ja.rs` and `i18n/pt_br.rs`; the back office's in
//! `i18n/back_office_*.rs`, the vendor office's in `i18n/vendor_office_*.rs` and the account
//! pages' in `i18n/account_*.rs`, each office's struct declared beside its pages
//! (`web::back_office`, `web::vendor_office`, `web::account`) with the words
//! of their shared frame nested in it (`web::office::OfficeStrings`).
//! Depends on nothing but `std`, and for the offices' texts on their structs' declarations.

mod account_en;
mod account_ja;
mod account_pt_br;
mod back_office_en;
mod back_office_ja;
mod back_office_pt_br;
mod en;
mod ja;
mod pt_br;
mod vendor_office_en;
mod vendor_office_ja;
mod vendor_office_pt_br;

pub use account_en::ACCOUNT_EN;
pub use account_ja::ACCOUNT_JA;
pub use account_pt_br::ACCOUNT_PT_BR;
pub use back_office_en::BACK_OFFICE_EN;
pub use back_office_ja::BACK_OFFICE_JA;
pub use back_office_pt_br::BACK_OFFICE_PT_BR;
pub use en::EN;
pub use ja::JA;
pub use pt_br::PT_BR;
pub use vendor_office_en::VENDOR_OFFICE_EN;
pub use vendor_office_ja::VENDOR_OFFICE_JA;
pub use vendor_office_pt_br::VENDOR_OFFICE_PT_BR;

/// A language the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, the fallback when nothing else matches.
    En,
    /// Japanese.
    Ja,
    /// Brazilian Portuguese, also served to other Portuguese speakers: it is the only
    /// Portuguese we have, and closer to them than English.
    PtBr,
}

/// Most `Accept-Language` entries looked at; a longer header is cut, not refused.
const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 16;

/// Longest language tag accepted (RFC 5646 suggests 35 characters are enough).
const TAG_BYTES_MAX: usize = 35;

impl Lang {
    /// Every language, in the order the register page lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ja, Lang::PtBr];

    /// The BCP 47 tag, for `<html lang>`, `?lang=` and the member's stored language.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
            Lang::PtBr => "pt-BR",
        }
    }

    /// The language's name in itself, for the language picker (a reader looks for their own).
    #[must_use]
    pub const fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
            Lang::PtBr => "Português (Brasil)",
        }
    }

    /// Every sentence of the pages in this language.
    #[must_use]
    pub const fn strings(self) -> &'static Strings {
        self.pick(&EN, &JA, &PT_BR)
    }

    /// This language's one of a set of texts written once per language: how every set (the
    /// buy window's, each office's) is chosen, so adding a language is one arm here and a
    /// compile error at every set that lacks it.
    #[must_use]
    pub const fn pick<T>(self, en: &'static T, ja: &'static T, pt_br: &'static T) -> &'static T {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
            Lang::PtBr => pt_br,
        }
    }

    /// The language of a tag such as `en-US`, `ja`, `pt_br`, by its primary subtag and case
    /// insensitively; `None` for a language we do not write or a tag that is not one.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        let well_formed = !tag.is_empty()
            && tag.len() <= TAG_BYTES_MAX
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return None;
        }
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("ja") {
            Some(Lang::Ja)
        } else if primary.eq_ignore_ascii_case("pt") {
            Some(Lang::PtBr)
        } else {
            None
        }
    }

    /// Picks the page language: an explicit `?lang=` first (the reader chose it), then the
    /// member's stored language, then the best `Accept-Language` entry by q-value (the first
    /// one wins a tie), else English. Unknown or malformed values are skipped, not errors.
    #[must_use]
    pub fn negotiate(
        query: Option<&str>,
        member: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        query
            .and_then(Lang::from_tag)
            .or_else(|| member.and_then(Lang::from_tag))
            .or_else(|| accept_language.and_then(best_accepted))
            .unwrap_or(Lang::En)
    }
}

/// The supported language with the highest q-value in an `Accept-Language` header.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in header.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_tag) else {
            continue;
        };
        let mut quality = Some(QUALITY_MAX);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                quality = parse_quality(value.trim());
            }
        }
        // A malformed q-value drops the entry; q=0 means "not this one" (RFC 9110 12.4.2).
        let Some(quality) = quality.filter(|q| *q > 0) else {
            continue;
        };
        if best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// q=1 in thousandths.
const QUALITY_MAX: u16 = 1000;

/// Parses a q-value (`0`, `0.8`, `1.000`; RFC 9110 12.4.2) into thousandths, without floats.
fn parse_quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole_value: u16 = match whole {
        "0" => 0,
        "1" => QUALITY_MAX,
        _ => return None,
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    let mut scale: u16 = 100;
    for digit in fraction.bytes() {
        thousandths = thousandths.checked_add(u16::from(digit.wrapping_sub(b'0')) * scale)?;
        scale /= 10;
    }
    let quality = whole_value.checked_add(thousandths)?;
    (quality <= QUALITY_MAX).then_some(quality)
}

/// A problem page's text: what went wrong and what the reader can do.
#[derive(Debug)]
pub struct Problem {
    /// The page heading.
    pub title: &'static str,
    /// One or two sentences: what happened and what to do next.
    pub detail: &'static str,
}

/// The text of every problem code the buy window shows, one field per code so that each
/// language must give them all.
#[derive(Debug)]
pub struct Problems {
    /// `offer_not_found`: the buy link names no offer.
    pub offer_not_found: Problem,
    /// `offer_expired`: the offer's time ran out.
    pub offer_expired: Problem,
    /// `offer_used`: the offer was already bought once.
    pub offer_used: Problem,
    /// `csrf_failed`: the form's CSRF token did not match.
    pub csrf_failed: Problem,
    /// `session_expired` (also `session_ended`, `session_unknown`): sign in again.
    pub session_expired: Problem,
    /// `account_frozen`: purchases are stopped on the account.
    pub account_frozen: Problem,
    /// `vendor_not_allowed`: the member's allowlist excludes this vendor.
    pub vendor_not_allowed: Problem,
    /// `limit_per_transaction`: the price is above the per-purchase limit.
    pub limit_per_transaction: Problem,
    /// `limit_per_session`: the session's spending limit is reached.
    pub limit_per_session: Problem,
    /// `limit_per_day`: the daily spending limit is reached.
    pub limit_per_day: Problem,
    /// `limit_per_week`: the weekly spending limit is reached.
    pub limit_per_week: Problem,
    /// `limit_per_month`: the monthly spending limit is reached.
    pub limit_per_month: Problem,
    /// `insufficient_funds`: the balance does not cover the price.
    pub insufficient_funds: Problem,
    /// `currency_mismatch`: the offer's currency is not the wallet's.
    pub currency_mismatch: Problem,
    /// `wallet_missing`: no wallet in the offer's currency.
    pub wallet_missing: Problem,
    /// `incentive_invalid`: the incentive grant does not apply.
    pub incentive_invalid: Problem,
    /// `payment_declined`: the payment processor refused a top-off or deposit.
    pub payment_declined: Problem,
    /// `overloaded`: a queue was full; nothing happened, retry soon.
    pub overloaded: Problem,
    /// `unavailable`: the service could not decide (storage, shutdown).
    pub unavailable: Problem,
    /// `too_many_attempts`: sign-in or registration throttled; wait, then retry.
    pub too_many_attempts: Problem,
}

impl Problems {
    /// The text for a problem code, or `None` for a code without its own text (the error
    /// page then shows the generic text with the code).
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&Problem> {
        let problem = match code {
            "offer_not_found" => &self.offer_not_found,
            "offer_expired" => &self.offer_expired,
            "offer_used" => &self.offer_used,
            "csrf_failed" => &self.csrf_failed,
            "session_expired" | "session_ended" | "session_unknown" => &self.session_expired,
            "account_frozen" => &self.account_frozen,
            "vendor_not_allowed" => &self.vendor_not_allowed,
            "limit_per_transaction" => &self.limit_per_transaction,
            "limit_per_session" => &self.limit_per_session,
            "limit_per_day" => &self.limit_per_day,
            "limit_per_week" => &self.limit_per_week,
            "limit_per_month" => &self.limit_per_month,
            "insufficient_funds" => &self.insufficient_funds,
            "currency_mismatch" => &self.currency_mismatch,
            "wallet_missing" => &self.wallet_missing,
            "incentive_invalid"
            | "incentive_unknown"
            | "incentive_expired"
            | "incentive_budget_exhausted"
            | "incentive_already_redeemed" => &self.incentive_invalid,
            "payment_declined" => &self.payment_declined,
            "overloaded" => &self.overloaded,
            "unavailable" => &self.unavailable,
            "too_many_attempts" => &self.too_many_attempts,
            _ => return None,
        };
        Some(problem)
    }
}

/// Every sentence of the buy window in one language. Plain fields are fixed text; `fn` fields
/// build a sentence around a value that the page has already formatted (and will escape).
#[derive(Debug)]
pub struct Strings {
    /// Footer line naming the service behind the window.
    pub footer: &'static str,
    /// Label before the vendor's name.
    pub sold_by: &'static str,
    /// Label of the price.
    pub price: &'static str,
    /// Label of the member's balance.
    pub balance: &'static str,
    /// Link back to the vendor without buying.
    pub cancel: &'static str,
    /// Link back to the vendor from an error page.
    pub back_to_shop: &'static str,
    /// "Signed in as {email}".
    pub signed_in_as: fn(&str) -> String,
    /// Button ending the session.
    pub sign_out: &'static str,

    /// Login page heading.
    pub sign_in_heading: &'static str,
    /// E-mail field label.
    pub email: &'static str,
    /// Password field label.
    pub password: &'static str,
    /// Checkbox: this is a public computer.
    pub public_computer: &'static str,
    /// What the public-computer checkbox means.
    pub public_computer_note: &'static str,
    /// Legend of the session expiry choice (used when not on a public computer).
    pub expiry_legend: &'static str,
    /// Radio: end the session `{hours}` after signing in.
    pub expiry_absolute: fn(u32) -> String,
    /// Radio: end the session after `{minutes}` without a purchase.
    pub expiry_idle: fn(u32) -> String,
    /// Sign-in button.
    pub sign_in: &'static str,
    /// Lead-in to the register link.
    pub no_account: &'static str,
    /// Register link.
    pub create_account_link: &'static str,
    /// Login error: e-mail and password do not match.
    pub wrong_credentials: &'static str,
    /// Login notice: the session ended, sign in again.
    pub session_ended: &'static str,
    /// Login error: a field was left empty.
    pub missing_credentials: &'static str,

    /// Buy button: "Buy for {price}".
    pub buy_for: fn(&str) -> String,
    /// Buy button for content the member already owns.
    pub open: &'static str,
    /// Notice for content the member already owns.
    pub owned: &'static str,
    /// `a#incentive`: to the page where a code is redeemed.
    pub use_incentive: &'static str,
    /// Label of the incentive balance that can pay for the offer.
    pub incentives: &'static str,
    /// Heading of the redeem page.
    pub redeem_heading: &'static str,
    /// One sentence under it.
    pub redeem_intro: &'static str,
    /// Label of the code field.
    pub code_label: &'static str,
    /// `button#redeem`.
    pub redeem: &'static str,
    /// Where the money comes from.
    pub charge_note: &'static str,

    /// Delivery page text while the form submits itself.
    pub opening: &'static str,
    /// Delivery button for browsers without JavaScript.
    pub continue_label: &'static str,
    /// Hint to press the button when nothing happens.
    pub continue_hint: &'static str,

    /// Insufficient-funds page heading.
    pub insufficient_heading: &'static str,
    /// One sentence under the heading.
    pub insufficient_intro: &'static str,
    /// Label of the missing amount.
    pub shortage: &'static str,
    /// Top-off button: "Top off {amount} and buy".
    pub top_off_and_buy: fn(&str) -> String,
    /// Where the top-off is charged: "Charged to {payment method}".
    pub top_off_note: fn(&str) -> String,
    /// Replaces the top-off form when no payment method is saved.
    pub no_payment_method: &'static str,
    /// Link to the manual add-funds page.
    pub add_funds_link: &'static str,

    /// Wallet-missing page heading.
    pub wallet_missing_heading: &'static str,
    /// Under it: "You have no wallet in {currency code} yet."
    pub wallet_missing_intro: fn(&str) -> String,
    /// Button that opens the wallet: "Open a {currency code} wallet".
    pub open_wallet: fn(&str) -> String,

    /// Add-funds page heading.
    pub add_funds_heading: &'static str,
    /// Legend of the saved methods to charge.
    pub pay_with: &'static str,
    /// Amount field label: "Amount ({currency code})".
    pub amount_in: fn(&str) -> String,
    /// Add-funds button.
    pub add_button: &'static str,
    /// The deposit is simulated.
    pub test_processor_note: &'static str,
    /// Add-funds error: not an amount.
    pub amount_invalid: &'static str,
    /// Add-funds error: above the largest deposit.
    pub amount_too_large: &'static str,
    /// Add-funds error: the processor declined.
    pub deposit_declined: &'static str,

    /// Register page heading.
    pub register_heading: &'static str,
    /// One signup bonus: "{amount} to spend within {days} days of signing up".
    pub signup_bonus: fn(&str, u32) -> String,
    /// One sentence on what an account is.
    pub register_intro: &'static str,
    /// Password rule: "At least {n} characters".
    pub password_rule: fn(u32) -> String,
    /// Language picker label.
    pub language: &'static str,
    /// Currency picker label.
    pub currency: &'static str,
    /// US dollar, in the picker.
    pub currency_usd: &'static str,
    /// Euro, in the picker.
    pub currency_eur: &'static str,
    /// Japanese yen, in the picker.
    pub currency_jpy: &'static str,
    /// Brazilian real, in the picker.
    pub currency_brl: &'static str,
    /// Checkbox: keep the test card for automatic top-offs.
    pub save_card: &'static str,
    /// The registration's box for a referring vendor's offers ([0264]), with its name.
    pub vendor_offers: fn(&str) -> String,
    /// The security questions' legend on the register page ([0144]).
    pub security_questions: &'static str,
    /// What they are for, under the legend.
    pub security_questions_rule: &'static str,
    /// Label of question `n`: "Question {n}".
    pub question_label: fn(usize) -> String,
    /// Label of the answer to question `n`: "Answer {n}".
    pub answer_label: fn(usize) -> String,
    /// Register error: a question or answer is missing, too long or repeated.
    pub questions_invalid: &'static str,
    /// Register button.
    pub create_account: &'static str,
    /// Link back from the register page.
    pub back: &'static str,
    /// Register error: not an e-mail address.
    pub email_invalid: &'static str,
    /// Register error: the e-mail already has an account.
    pub email_taken: &'static str,
    /// Register error: "The password needs at least {n} characters".
    pub password_too_short: fn(u32) -> String,

    /// Label before the machine-readable problem code.
    pub problem_code: &'static str,
    /// Heading for a problem code without its own text.
    pub problem_generic_title: &'static str,
    /// Detail for a problem code without its own text.
    pub problem_generic_detail: &'static str,
    /// Text per problem code.
    pub problems: Problems,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.code()), Some(lang));
        }
    }

    #[test]
    fn tags_match_by_primary_subtag_case_insensitively() {
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ja"), Some(Lang::Ja));
        assert_eq!(Lang::from_tag("ja-JP"), Some(Lang::Ja));
        assert_eq!(Lang::from_tag("JA"), Some(Lang::Ja));
        assert_eq!(Lang::from_tag("pt"), Some(Lang::PtBr));
        assert_eq!(Lang::from_tag("pt-br"), Some(Lang::PtBr));
        assert_eq!(Lang::from_tag("pt-BR"), Some(Lang::PtBr));
        assert_eq!(Lang::from_tag("pt_BR"), Some(Lang::PtBr));
        assert_eq!(Lang::from_tag("pt-PT"), Some(Lang::PtBr));
    }

    #[test]
    fn unknown_or_malformed_tags_are_none() {
        for tag in [
            "", " ", "de", "fr-FR", "*", "english", "e n", "ja;q=1", "jap", "<ja>",
        ] {
            assert_eq!(Lang::from_tag(tag), None, "{tag:?}");
        }
        let long = format!("en-{}", "x".repeat(40));
        assert_eq!(Lang::from_tag(&long), None);
    }

    #[test]
    fn negotiation_prefers_query_then_member_then_header() {
        let header = Some("pt-BR,pt;q=0.9");
        assert_eq!(Lang::negotiate(Some("ja"), Some("en"), header), Lang::Ja);
        assert_eq!(Lang::negotiate(None, Some("ja-JP"), header), Lang::Ja);
        assert_eq!(Lang::negotiate(None, None, header), Lang::PtBr);
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
        // An unknown value at one level falls through to the next.
        assert_eq!(Lang::negotiate(Some("de"), Some("xx"), header), Lang::PtBr);
        assert_eq!(Lang::negotiate(Some(""), None, Some("ja")), Lang::Ja);
    }

    #[test]
    fn accept_language_uses_q_values() {
        let pick = |header: &str| Lang::negotiate(None, None, Some(header));
        assert_eq!(pick("en;q=0.5, ja;q=0.8"), Lang::Ja);
        assert_eq!(pick("de-DE,de;q=0.9,pt;q=0.7,en;q=0.6"), Lang::PtBr);
        assert_eq!(pick("fr, de;q=0.9"), Lang::En);
        assert_eq!(pick("JA-jp;Q=0.3, EN-us;q=0.2"), Lang::Ja);
        assert_eq!(pick("ja;q=1.000, pt;q=1"), Lang::Ja);
        assert_eq!(pick("ja;q=0, pt-BR;q=0.001"), Lang::PtBr);
        assert_eq!(pick("ja;q=0"), Lang::En);
        // A malformed q-value drops its entry rather than winning.
        assert_eq!(pick("ja;q=2, pt;q=0.1"), Lang::PtBr);
        assert_eq!(pick("ja;q=0.8x, pt;q=0.1"), Lang::PtBr);
        assert_eq!(pick("ja;q=0.1234, pt;q=0.1"), Lang::PtBr);
        assert_eq!(pick("*;q=0.5, ja;q=0.4"), Lang::Ja);
        assert_eq!(pick(""), Lang::En);
        assert_eq!(pick(",,;;=,"), Lang::En);
    }

    #[test]
    fn accept_language_looks_at_a_bounded_number_of_entries() {
        let mut header = "de,".repeat(ACCEPT_LANGUAGE_ENTRIES_MAX);
        header.push_str("ja");
        assert_eq!(Lang::negotiate(None, None, Some(&header)), Lang::En);
    }

    #[test]
    fn quality_parsing() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1."), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0.001"), Some(1));
        assert_eq!(parse_quality("0"), Some(0));
        for bad in ["1.001", "2", "-0.5", ".5", "0.5 ", "", "0.1234", "01"] {
            assert_eq!(parse_quality(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn translations_are_present() {
        for other in [&JA, &PT_BR] {
            assert_ne!(other.sign_in, EN.sign_in);
            assert_ne!(other.public_computer, EN.public_computer);
            assert_ne!(other.owned, EN.owned);
            assert_ne!(other.insufficient_heading, EN.insufficient_heading);
            assert_ne!(other.opening, EN.opening);
            assert_ne!((other.buy_for)("$1"), (EN.buy_for)("$1"));
            assert_ne!((other.expiry_idle)(15), (EN.expiry_idle)(15));
            assert_ne!(
                other.problems.offer_expired.title,
                EN.problems.offer_expired.title
            );
            assert_ne!(
                other.problems.limit_per_day.detail,
                EN.problems.limit_per_day.detail
            );
        }
        assert_ne!(JA.sign_in, PT_BR.sign_in);
    }

    #[test]
    fn sentences_carry_their_values() {
        for lang in Lang::ALL {
            let strings = lang.strings();
            assert!((strings.buy_for)("$0.25").contains("$0.25"));
            assert!((strings.signed_in_as)("a@b.example").contains("a@b.example"));
            assert!((strings.expiry_absolute)(12).contains("12"));
            assert!((strings.expiry_idle)(30).contains("30"));
            assert!((strings.top_off_and_buy)("$5.25").contains("$5.25"));
            assert!((strings.wallet_missing_intro)("EUR").contains("EUR"));
            assert!((strings.open_wallet)("EUR").contains("EUR"));
            assert!((strings.password_too_short)(8).contains('8'));
        }
        assert_eq!((EN.expiry_absolute)(1), "after 1 hour");
        assert_eq!((PT_BR.expiry_idle)(1), "depois de 1 minuto sem compras");
    }

    #[test]
    fn every_problem_code_has_text_and_aliases_resolve() {
        let codes = [
            "offer_not_found",
            "offer_expired",
            "offer_used",
            "csrf_failed",
            "session_expired",
            "session_ended",
            "session_unknown",
            "account_frozen",
            "vendor_not_allowed",
            "limit_per_transaction",
            "limit_per_session",
            "limit_per_day",
            "limit_per_week",
            "limit_per_month",
            "insufficient_funds",
            "currency_mismatch",
            "wallet_missing",
            "incentive_invalid",
            "payment_declined",
            "overloaded",
            "unavailable",
            "too_many_attempts",
        ];
        for lang in Lang::ALL {
            for code in codes {
                let problem = lang.strings().problems.get(code);
                assert!(problem.is_some(), "{lang:?} {code}");
            }
            assert!(lang.strings().problems.get("something_new").is_none());
        }
    }
}
