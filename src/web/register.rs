//! The register page: e-mail, password, security questions, language, currency and the test
//! card, reached from the login form's "Create an account" link with the offer, so that the
//! reader returns to the buy window afterwards.
//!
//! Same conventions as `pages`. Depends on `maud`, `domain::money` and the rest of `web`.

use maud::html;

use crate::domain::money::{Amount, Currency};
use crate::web::i18n::Lang;
use crate::web::layout::{document, hidden_fields};
use crate::web::money::display_amount;

/// Why the register form is shown again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// Not an e-mail address.
    EmailInvalid,
    /// The e-mail already has an account.
    EmailTaken,
    /// The password is shorter than [`RegisterView::password_chars_min`].
    PasswordTooShort,
    /// A security question or answer is missing, too long or repeated.
    QuestionsInvalid,
}

/// Security questions the register page asks for: the fewest a member may set ([0144]).
pub const REGISTER_QUESTIONS: usize = crate::domain::step_up::QUESTIONS_MIN;

/// The register page.
#[derive(Clone, Copy, Debug)]
pub struct RegisterView<'a> {
    /// Where `form#register` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// The offer to return to afterwards (hidden `offer`), when registering from one.
    pub offer: Option<&'a str>,
    /// The vendor whose referral link brought the reader (hidden `ref`), recorded on the
    /// account for the vendor's commission ([0143], [0211]).
    pub referrer: Option<&'a str>,
    /// The referring vendor's name: with it, `input#vendor_offers` asks whether the reader
    /// wants the vendor's offers ([0264]), ticked by default.
    pub referrer_name: Option<&'a str>,
    /// The e-mail typed before, refilled after an error.
    pub email: Option<&'a str>,
    /// The currency preselected in `select#currency`; US dollars when `None` or not offered.
    pub currency: Option<Currency>,
    /// Shortest password accepted, for the hint and `minlength`.
    pub password_chars_min: u32,
    /// Why the form is shown again, if it is.
    pub error: Option<RegisterError>,
    /// `a#back`: the buy window (or the vendor) the reader came from.
    pub back_href: &'a str,
    /// The signup bonus of each currency that has one ([0116]): what it is worth and for how
    /// many days; shown as `ul#signup-bonus`.
    pub signup_bonus: &'a [(Amount, Currency, u32)],
}

/// The currencies a new wallet can be opened in, in picker order.
const CURRENCY_CODES: [&str; 4] = ["USD", "EUR", "JPY", "BRL"];

/// The register page: `form#register`; the language picker preselects the page's language.
#[must_use]
pub fn register_page(view: &RegisterView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let error = view.error.map(|error| match error {
        RegisterError::EmailInvalid => s.email_invalid.to_owned(),
        RegisterError::EmailTaken => s.email_taken.to_owned(),
        RegisterError::PasswordTooShort => (s.password_too_short)(view.password_chars_min),
        RegisterError::QuestionsInvalid => s.questions_invalid.to_owned(),
    });
    let chosen = CURRENCY_CODES
        .into_iter()
        .find(|code| {
            view.currency
                .is_some_and(|currency| currency.code() == *code)
        })
        .unwrap_or("USD");
    let currency_name = |code: &str| match code {
        "EUR" => s.currency_eur,
        "JPY" => s.currency_jpy,
        "BRL" => s.currency_brl,
        _ => s.currency_usd,
    };
    let main = html! {
        main.card {
            h1 { (s.register_heading) }
            p.lead { (s.register_intro) }
            @if !view.signup_bonus.is_empty() {
                ul #signup-bonus .notice.ok {
                    @for (amount, currency, days) in view.signup_bonus {
                        li {
                            ((s.signup_bonus)(&display_amount(*amount, *currency, lang), *days))
                        }
                    }
                }
            }
            @if let Some(error) = error {
                p #register-error .notice.bad role="alert" { (error) }
            }
            form #register method="post" action=(view.action) {
                (hidden_fields(view.csrf, None))
                @if let Some(offer) = view.offer {
                    input type="hidden" name="offer" value=(offer);
                }
                @if let Some(referrer) = view.referrer {
                    input type="hidden" name="ref" value=(referrer);
                }
                label.field for="email" { (s.email) }
                input #email .input type="email" name="email" autocomplete="email" required
                    value=[view.email];
                label.field for="password" { (s.password) }
                input #password .input type="password" name="password"
                    autocomplete="new-password" required minlength=(view.password_chars_min)
                    aria-describedby="password-rule";
                p #password-rule .fine { ((s.password_rule)(view.password_chars_min)) }
                label.field for="language" { (s.language) }
                select #language .input name="language" {
                    @for option in Lang::ALL {
                        option value=(option.code()) selected[option == lang] {
                            (option.native_name())
                        }
                    }
                }
                label.field for="currency" { (s.currency) }
                select #currency .input name="currency" {
                    @for code in CURRENCY_CODES {
                        option value=(code) selected[code == chosen] {
                            (code) " — " (currency_name(code))
                        }
                    }
                }
                fieldset #security-questions {
                    legend { (s.security_questions) }
                    p.fine { (s.security_questions_rule) }
                    @for n in 1..=REGISTER_QUESTIONS {
                        label.field for=(format!("question_{n}")) { ((s.question_label)(n)) }
                        input .input type="text" id=(format!("question_{n}"))
                            name=(format!("question_{n}")) required maxlength="200";
                        label.field for=(format!("answer_{n}")) { ((s.answer_label)(n)) }
                        input .input type="text" id=(format!("answer_{n}"))
                            name=(format!("answer_{n}")) autocomplete="off" required
                            maxlength="200";
                    }
                }
                label.check for="save_card" {
                    input #save_card type="checkbox" name="save_card" value="on" checked;
                    span { (s.save_card) }
                }
                @if let Some(name) = view.referrer_name {
                    label.check for="vendor_offers" {
                        input #vendor_offers type="checkbox" name="vendor_offers" value="on"
                            checked;
                        span { ((s.vendor_offers)(name)) }
                    }
                }
                button #create .btn.primary type="submit" { (s.create_account) }
            }
            a #back .cancel href=(view.back_href) { (s.back) }
        }
    };
    document(lang, s.register_heading, main, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::{
        HOSTILE, assert_document, assert_element, assert_no_element, element_text,
    };

    fn register(error: Option<RegisterError>) -> RegisterView<'static> {
        RegisterView {
            action: "/register",
            csrf: "csrf-token-5",
            offer: Some("ofr_0123456789abcdef"),
            referrer: None,
            referrer_name: None,
            email: None,
            currency: None,
            password_chars_min: 8,
            error,
            back_href: "/buy/ofr_0123456789abcdef",
            signup_bonus: &[],
        }
    }

    #[test]
    fn the_signup_bonus_is_shown_per_currency_when_there_is_one() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let bonuses = [
            (Amount::from_micros(1_000_000), usd, 30),
            (Amount::from_micros(150_000_000), jpy, 7),
        ];
        let mut view = register(None);
        assert_no_element(&register_page(&view, Lang::En), "signup-bonus");
        view.signup_bonus = &bonuses;
        let page = register_page(&view, Lang::En);
        assert!(
            page.contains("Sign up now and get $1.00 to spend within 30 days"),
            "{page}"
        );
        assert!(page.contains("within 7 days"));
        assert_element(&page, "ul", "signup-bonus", &[]);
    }

    #[test]
    fn a_referring_vendor_s_offers_box_is_shown_ticked_with_its_name_only_then() {
        let mut view = register(None);
        assert_no_element(&register_page(&view, Lang::En), "vendor_offers");
        view.referrer = Some("ven_0123");
        view.referrer_name = Some("Daily <News>");
        for lang in Lang::ALL {
            let page = register_page(&view, lang);
            let ticked = [r#"type="checkbox""#, r#"name="vendor_offers""#, "checked"];
            assert_element(&page, "input", "vendor_offers", &ticked);
            assert!(page.contains("Daily &lt;News&gt;"), "{page}");
        }
    }

    #[test]
    fn register_page_has_its_contract() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = register_page(&register(None), lang);
            assert_document(&page, lang);
            let form = [r#"method="post""#, r#"action="/register""#];
            assert_element(&page, "form", "register", &form);
            for hidden in [
                r#"<input type="hidden" name="csrf" value="csrf-token-5">"#,
                r#"<input type="hidden" name="offer" value="ofr_0123456789abcdef">"#,
            ] {
                assert!(page.contains(hidden), "{hidden}");
            }
            assert_element(
                &page,
                "input",
                "email",
                &[r#"type="email""#, r#"name="email""#],
            );
            let password = [
                r#"type="password""#,
                r#"name="password""#,
                r#"minlength="8""#,
            ];
            assert_element(&page, "input", "password", &password);
            for n in 1..=REGISTER_QUESTIONS {
                let question = format!(r#"name="question_{n}""#);
                let answer = format!(r#"name="answer_{n}""#);
                let id = format!("question_{n}");
                assert_element(&page, "input", &id, &[question.as_str(), "required"]);
                let id = format!("answer_{n}");
                assert_element(&page, "input", &id, &[answer.as_str(), "required"]);
            }
            assert_element(&page, "select", "language", &[r#"name="language""#]);
            assert_element(&page, "select", "currency", &[r#"name="currency""#]);
            for option in [
                r#"<option value="en""#,
                r#"<option value="ja""#,
                r#"<option value="pt-BR""#,
                &format!(r#"<option value="{}" selected>"#, lang.code()),
                r#"<option value="USD" selected>"#,
                r#"<option value="EUR">"#,
                r#"<option value="JPY">"#,
                r#"<option value="BRL">"#,
            ] {
                assert!(page.contains(option), "{option} in {lang:?}");
            }
            assert_eq!(page.matches(" selected").count(), 2, "{lang:?}");
            let save_card = [
                r#"type="checkbox""#,
                r#"name="save_card""#,
                r#"value="on""#,
                "checked",
            ];
            assert_element(&page, "input", "save_card", &save_card);
            assert!(page.contains(s.save_card));
            assert_element(&page, "button", "create", &[r#"type="submit""#]);
            assert_eq!(element_text(&page, "button", "create"), s.create_account);
            let back = r#"href="/buy/ofr_0123456789abcdef""#;
            assert_element(&page, "a", "back", &[back]);
            assert_no_element(&page, "register-error");
        }
    }

    #[test]
    fn register_page_options() {
        let mut view = register(Some(RegisterError::PasswordTooShort));
        view.offer = None;
        view.currency = Some(Currency::parse("JPY").unwrap());
        view.email = Some(HOSTILE);
        let page = register_page(&view, Lang::Ja);
        assert!(page.contains(r#"<option value="JPY" selected>"#));
        assert_eq!(
            element_text(&page, "p", "register-error"),
            "パスワードは8文字以上にしてください。"
        );
        assert_element(&page, "input", "email", &[r#"value="&lt;script&gt;"#]);
        assert!(!page.contains(r#"name="offer""#));
        assert!(!page.contains("<script>"));
        // A currency outside the picker falls back to US dollars.
        view.currency = Some(Currency::parse("CHF").unwrap());
        assert!(register_page(&view, Lang::En).contains(r#"<option value="USD" selected>"#));
        for (error, text) in [
            (RegisterError::EmailInvalid, EN_EMAIL_INVALID),
            (RegisterError::EmailTaken, EN_EMAIL_TAKEN),
        ] {
            view.error = Some(error);
            let page = register_page(&view, Lang::En);
            assert_eq!(element_text(&page, "p", "register-error"), text);
        }
    }

    const EN_EMAIL_INVALID: &str = "Enter a valid email address.";
    const EN_EMAIL_TAKEN: &str = "An account with this email already exists. Sign in instead.";
}
