//! The buy window's main pages: sign in, buy, deliver the purchase, and the error page.
//!
//! Each page is `fn(&View, Lang) -> String`, a full HTML5 document. Views hold plain data the
//! HTTP layer already has: `&str` for text and URLs, domain [`Amount`] / [`Balance`] with a
//! [`Currency`] for money, which the page formats for the reader's language. All text goes
//! through maud and is escaped; the only unescaped text is our own stylesheet and script.
//! Element ids and field names are the browser tests' contract (`issue3-contract.md`).
//! Depends on `maud`, `domain::money` and the rest of `web`.

use maud::{PreEscaped, html};

use crate::domain::money::{Amount, Balance, Currency};
use crate::web::i18n::Lang;
use crate::web::layout::{credential_fields, document, error_card, hidden_fields, merchant};
use crate::web::money::{display_amount, display_balance};

/// What is being sold: shown at the top of the login, buy and insufficient-funds pages.
#[derive(Clone, Copy, Debug)]
pub struct OfferSummary<'a> {
    /// The vendor's display name.
    pub vendor_name: &'a str,
    /// The offer's title, as the vendor gave it.
    pub title: &'a str,
    /// The offer's short description, when the vendor gave one.
    pub description: Option<&'a str>,
    /// The stored price (the one charged; nothing the browser sends changes it).
    pub price: Amount,
    /// The price's currency.
    pub currency: Currency,
}

/// Why the login form is shown again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginError {
    /// The e-mail and password do not match an account (which one is wrong is not said).
    WrongCredentials,
    /// The session ended (absolute or idle expiry): sign in again.
    SessionEnded,
    /// A field was empty.
    MissingCredentials,
}

/// The login form ([0175], FIG. 17B), shown when there is no valid session.
#[derive(Clone, Copy, Debug)]
pub struct LoginView<'a> {
    /// The offer the reader came to buy.
    pub offer: OfferSummary<'a>,
    /// Where `form#login` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// The e-mail typed before, refilled after a failed attempt.
    pub email: Option<&'a str>,
    /// Hours until an absolute-expiry session ends (`sign me out after N hours`).
    pub absolute_hours: u32,
    /// Minutes without a purchase until an idle-expiry session ends.
    pub idle_minutes: u32,
    /// Why the form is shown again, if it is.
    pub error: Option<LoginError>,
    /// `a#register`: the register page, carrying the offer so the reader comes back.
    pub register_href: &'a str,
    /// `a#cancel`: back to the vendor.
    pub cancel_href: &'a str,
}

/// Incentives on the buy page of an offer that accepts them: `button#incentive` (inside
/// `form#buy`, submitted as `use_incentive=code`) opens the page to redeem a code, and what
/// the member's grants that can pay for the offer hold is shown as `dd#incentive-balance`.
#[derive(Clone, Copy, Debug)]
pub struct Incentive {
    /// What usable grants hold (the row is left out at zero).
    pub balance: Amount,
}

/// The buy page of a signed-in member.
#[derive(Clone, Copy, Debug)]
pub struct BuyView<'a> {
    /// The offer.
    pub offer: OfferSummary<'a>,
    /// Where `form#buy` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field of both forms.
    pub csrf: &'a str,
    /// Public-computer mode: the one-purchase session, sent back as a hidden `session` field
    /// because no cookie holds it.
    pub session: Option<&'a str>,
    /// The member already owns the content: `#owned` is shown and the button says "Open".
    pub owned: bool,
    /// Incentives, when the offer accepts them: `button#incentive` is shown only then.
    pub incentive: Option<Incentive>,
    /// The member's balance in the offer's currency, when known.
    pub balance: Option<Balance>,
    /// The member's e-mail for "Signed in as".
    pub email: &'a str,
    /// Where `form#sign-out` posts.
    pub sign_out_action: &'a str,
    /// `a#cancel`: back to the vendor.
    pub cancel_href: &'a str,
}

/// The page that carries the access token to the content URL by an auto-submitted POST.
#[derive(Clone, Copy, Debug)]
pub struct DeliverView<'a> {
    /// The vendor's content URL: the action of `form#deliver`.
    pub content_url: &'a str,
    /// The freshly minted access token (hidden `access_token`).
    pub access_token: &'a str,
    /// The vendor's pass-through data (hidden `optional_data`), when the offer had some.
    pub optional_data: Option<&'a str>,
    /// The CSP nonce for the one inline script, when the response sends a
    /// `Content-Security-Policy` with `script-src 'nonce-…'`.
    pub script_nonce: Option<&'a str>,
}

/// An error page: `main#error[data-code]`, a title and an explanation for the code.
#[derive(Clone, Copy, Debug)]
pub struct ErrorView<'a> {
    /// The stable problem code (`offer_expired`, `limit_per_day`, …), machine-readable.
    pub code: &'a str,
    /// `a#back`: the vendor's page, when known.
    pub back_href: Option<&'a str>,
}

/// The login page: the offer, then `form#login`.
#[must_use]
pub fn login_page(view: &LoginView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let offer = &view.offer;
    let error = view.error.map(|error| match error {
        LoginError::WrongCredentials => s.wrong_credentials,
        LoginError::SessionEnded => s.session_ended,
        LoginError::MissingCredentials => s.missing_credentials,
    });
    let main = html! {
        main.card {
            (merchant(s, offer.vendor_name, false))
            div.offer {
                p.offer-title { (offer.title) }
                span.amount { (display_amount(offer.price, offer.currency, lang)) }
            }
            h1 { (s.sign_in_heading) }
            @if let Some(error) = error {
                p #login-error .notice.bad role="alert" { (error) }
            }
            form #login method="post" action=(view.action) {
                (hidden_fields(view.csrf, None))
                (credential_fields(s.email, s.password, view.email))
                label.check for="public_computer" {
                    input #public_computer type="checkbox" name="public_computer" value="on"
                        checked;
                    span { (s.public_computer) small { (s.public_computer_note) } }
                }
                fieldset {
                    legend { (s.expiry_legend) }
                    label.check for="expiry-absolute" {
                        input #expiry-absolute type="radio" name="expiry" value="absolute" checked;
                        span { ((s.expiry_absolute)(view.absolute_hours)) }
                    }
                    label.check for="expiry-idle" {
                        input #expiry-idle type="radio" name="expiry" value="idle";
                        span { ((s.expiry_idle)(view.idle_minutes)) }
                    }
                }
                button #sign-in .btn.primary type="submit" { (s.sign_in) }
            }
            p.alt {
                (s.no_account) " "
                a #register href=(view.register_href) { (s.create_account_link) }
            }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, s.sign_in_heading, main, None)
}

/// The buy page: the offer, the member's balance, `form#buy` and the sign-out form.
#[must_use]
pub fn buy_page(view: &BuyView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let offer = &view.offer;
    let price = display_amount(offer.price, offer.currency, lang);
    let buy_label = if view.owned {
        s.open.to_owned()
    } else {
        (s.buy_for)(&price)
    };
    let main = html! {
        main.card {
            div.account {
                span { ((s.signed_in_as)(view.email)) }
                form #sign-out method="post" action=(view.sign_out_action) {
                    (hidden_fields(view.csrf, view.session))
                    button #sign-out .link type="submit" { (s.sign_out) }
                }
            }
            (merchant(s, offer.vendor_name, true))
            h1 #title { (offer.title) }
            @if let Some(description) = offer.description {
                p #description .description { (description) }
            }
            dl.rows {
                div.row.big { dt { (s.price) } dd #price { (price) } }
                @if let Some(balance) = view.balance {
                    div.row {
                        dt { (s.balance) }
                        dd #balance { (display_balance(balance, offer.currency, lang)) }
                    }
                }
                @if let Some(incentive) = view.incentive.filter(|i| !i.balance.is_zero()) {
                    div.row {
                        dt { (s.incentives) }
                        dd #incentive-balance {
                            (display_amount(incentive.balance, offer.currency, lang))
                        }
                    }
                }
            }
            @if view.owned {
                p #owned .notice.ok { (s.owned) }
            }
            form #buy method="post" action=(view.action) {
                (hidden_fields(view.csrf, view.session))
                button #buy .btn.primary type="submit" { (buy_label) }
                @if view.incentive.is_some() {
                    button #incentive .btn.secondary type="submit" name="use_incentive"
                        value="code" { (s.use_incentive) }
                }
            }
            @if !view.owned {
                p.fine { (s.charge_note) }
            }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, offer.title, main, None)
}

/// The script that submits `form#deliver` at once; `button#continue` serves without it.
const DELIVER_SCRIPT: &str = "document.getElementById('deliver').submit()";

/// The delivery page: `form#deliver` posts the access token to the content URL.
#[must_use]
pub fn deliver_page(view: &DeliverView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let main = html! {
        main.card.center {
            div.spinner aria-hidden="true" {}
            p { strong { (s.opening) } }
            form #deliver method="post" action=(view.content_url) {
                input type="hidden" name="access_token" value=(view.access_token);
                @if let Some(data) = view.optional_data {
                    input type="hidden" name="optional_data" value=(data);
                }
                button #continue .btn.primary type="submit" { (s.continue_label) }
            }
            p.fine { (s.continue_hint) }
        }
    };
    let script = html! {
        script nonce=[view.script_nonce] { (PreEscaped(DELIVER_SCRIPT)) }
    };
    document(lang, s.opening, main, Some(script))
}

/// An error page for a problem code; codes without their own text get a generic one.
#[must_use]
pub fn error_page(view: &ErrorView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let (title, detail) = match s.problems.get(view.code) {
        Some(problem) => (problem.title, problem.detail),
        None => (s.problem_generic_title, s.problem_generic_detail),
    };
    let back = view
        .back_href
        .map(|href| html! { a #back .btn.secondary href=(href) { (s.back_to_shop) } });
    let main = error_card(view.code, title, detail, back, s.problem_code);
    document(lang, title, main, None)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A title and description that would run script if they were not escaped.
    pub(crate) const HOSTILE: &str = "<script>alert(1)</script>";

    pub(crate) fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    pub(crate) fn offer(title: &str) -> OfferSummary<'_> {
        OfferSummary {
            vendor_name: "Daily Ledger",
            title,
            description: Some("Why a farthing was a quarter of a penny."),
            price: Amount::from_micros(250_000),
            currency: usd(),
        }
    }

    /// Asserts that `page` is a full document in `lang` with the shared head and nothing
    /// loaded from elsewhere.
    pub(crate) fn assert_document(page: &str, lang: Lang) {
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains(&format!(r#"<html lang="{}">"#, lang.code())));
        assert!(page.contains(r#"<meta name="referrer" content="no-referrer">"#));
        assert!(page.contains(r#"<meta name="viewport""#));
        for external in ["http://", "https://", " src=", "<link"] {
            assert!(!page.contains(external), "{external} in {page}");
        }
    }

    /// Asserts that every needle is in the page.
    pub(crate) fn assert_has(page: &str, needles: &[&str]) {
        for needle in needles {
            assert!(page.contains(needle), "missing {needle:?} in\n{page}");
        }
    }

    /// The opening tag of the one `tag` element with `id`; fails unless exactly one has it.
    /// The contract gives a form and its button the same id (`form#buy`, `button#buy`), so
    /// elements are found by tag and id, as the browser tests' selectors do.
    pub(crate) fn opening_tag<'p>(page: &'p str, tag: &str, id: &str) -> &'p str {
        let needle = format!(r#" id="{id}""#);
        let found: Vec<&str> = page
            .match_indices(&needle)
            .map(|(at, _)| {
                let start = page[..at].rfind('<').unwrap();
                let end = at + page[at..].find('>').unwrap() + 1;
                &page[start..end]
            })
            .filter(|opening| opening.starts_with(&format!("<{tag} ")))
            .collect();
        assert_eq!(found.len(), 1, "{tag}#{id} once in\n{page}");
        found[0]
    }

    /// Asserts that the `tag` element with `id` has all of `attributes`
    /// (`name="email"`, `checked`).
    pub(crate) fn assert_element(page: &str, tag: &str, id: &str, attributes: &[&str]) {
        let opening = opening_tag(page, tag, id);
        for attribute in attributes {
            assert!(
                opening.contains(attribute),
                "{attribute:?} not in {opening}"
            );
        }
    }

    /// The text of the `tag` element with `id` (up to its first closing tag).
    pub(crate) fn element_text<'p>(page: &'p str, tag: &str, id: &str) -> &'p str {
        let opening = opening_tag(page, tag, id);
        let after = page.split(opening).nth(1).unwrap();
        after.split("</").next().unwrap()
    }

    /// Asserts that the element with `id` is absent.
    pub(crate) fn assert_no_element(page: &str, id: &str) {
        assert!(!page.contains(&format!(r#" id="{id}""#)), "{id} in\n{page}");
    }

    fn login(error: Option<LoginError>) -> LoginView<'static> {
        LoginView {
            offer: offer("A history of small coins"),
            action: "/buy/ofr_0123456789abcdef/login",
            csrf: "csrf-token-1",
            email: None,
            absolute_hours: 12,
            idle_minutes: 30,
            error,
            register_href: "/register?offer=ofr_0123456789abcdef",
            cancel_href: "/buy/ofr_0123456789abcdef/cancel",
        }
    }

    fn buy() -> BuyView<'static> {
        BuyView {
            offer: offer("A history of small coins"),
            action: "/buy/ofr_0123456789abcdef",
            csrf: "csrf-token-2",
            session: None,
            owned: false,
            incentive: None,
            balance: Some(Balance::from_micros(4_750_000)),
            email: "reader@example.com",
            sign_out_action: "/sign-out",
            cancel_href: "/buy/ofr_0123456789abcdef/cancel",
        }
    }

    #[test]
    fn login_page_has_its_contract() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = login_page(&login(None), lang);
            assert_document(&page, lang);
            assert_element(
                &page,
                "form",
                "login",
                &[
                    r#"method="post""#,
                    r#"action="/buy/ofr_0123456789abcdef/login""#,
                ],
            );
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-1">"#));
            assert_element(
                &page,
                "input",
                "email",
                &[r#"type="email""#, r#"name="email""#],
            );
            let password = [r#"type="password""#, r#"name="password""#];
            assert_element(&page, "input", "password", &password);
            assert_element(
                &page,
                "input",
                "public_computer",
                &[
                    r#"type="checkbox""#,
                    r#"name="public_computer""#,
                    r#"value="on""#,
                    "checked",
                ],
            );
            assert_element(
                &page,
                "input",
                "expiry-absolute",
                &[
                    r#"type="radio""#,
                    r#"name="expiry""#,
                    r#"value="absolute""#,
                    "checked",
                ],
            );
            let idle = [r#"type="radio""#, r#"name="expiry""#, r#"value="idle""#];
            assert_element(&page, "input", "expiry-idle", &idle);
            assert!(!opening_tag(&page, "input", "expiry-idle").contains("checked"));
            assert_element(&page, "button", "sign-in", &[r#"type="submit""#]);
            assert_eq!(element_text(&page, "button", "sign-in"), s.sign_in);
            let register = r#"href="/register?offer=ofr_0123456789abcdef""#;
            assert_element(&page, "a", "register", &[register]);
            let cancel = r#"href="/buy/ofr_0123456789abcdef/cancel""#;
            assert_element(&page, "a", "cancel", &[cancel]);
            assert_has(
                &page,
                &[
                    "Daily Ledger",
                    "A history of small coins",
                    s.public_computer_note,
                    &(s.expiry_absolute)(12),
                    &(s.expiry_idle)(30),
                ],
            );
            // The signed-in ids stay off the login page, so a test cannot mistake it.
            for absent in ["login-error", "title", "price", "vendor-name", "buy"] {
                assert_no_element(&page, absent);
            }
            assert!(!page.contains("<script"));
        }
        assert!(login_page(&login(None), Lang::En).contains("$0.25"));
        assert!(login_page(&login(None), Lang::PtBr).contains("US$\u{a0}0,25"));
    }

    #[test]
    fn login_page_shows_its_errors() {
        for lang in Lang::ALL {
            let s = lang.strings();
            for (error, text) in [
                (LoginError::WrongCredentials, s.wrong_credentials),
                (LoginError::SessionEnded, s.session_ended),
                (LoginError::MissingCredentials, s.missing_credentials),
            ] {
                let page = login_page(&login(Some(error)), lang);
                assert_element(&page, "p", "login-error", &[]);
                assert_eq!(element_text(&page, "p", "login-error"), text);
            }
        }
        let mut view = login(Some(LoginError::WrongCredentials));
        view.email = Some("a\"b@example.com");
        let page = login_page(&view, Lang::En);
        assert_element(
            &page,
            "input",
            "email",
            &[r#"value="a&quot;b@example.com""#],
        );
    }

    #[test]
    fn buy_page_has_its_contract() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = buy_page(&buy(), lang);
            assert_document(&page, lang);
            assert_eq!(element_text(&page, "span", "vendor-name"), "Daily Ledger");
            assert_element(&page, "h1", "title", &[]);
            assert_eq!(
                element_text(&page, "h1", "title"),
                "A history of small coins"
            );
            assert_eq!(
                element_text(&page, "p", "description"),
                "Why a farthing was a quarter of a penny."
            );
            let price = display_amount(Amount::from_micros(250_000), usd(), lang);
            assert_eq!(element_text(&page, "dd", "price"), price);
            let balance = display_balance(Balance::from_micros(4_750_000), usd(), lang);
            assert_eq!(element_text(&page, "dd", "balance"), balance);
            let action = r#"action="/buy/ofr_0123456789abcdef""#;
            assert_element(&page, "form", "buy", &[r#"method="post""#, action]);
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-2">"#));
            assert_element(&page, "button", "buy", &[r#"type="submit""#]);
            assert_eq!(element_text(&page, "button", "buy"), (s.buy_for)(&price));
            let cancel = r#"href="/buy/ofr_0123456789abcdef/cancel""#;
            assert_element(&page, "a", "cancel", &[cancel]);
            let sign_out = [r#"method="post""#, r#"action="/sign-out""#];
            assert_element(&page, "form", "sign-out", &sign_out);
            assert_element(&page, "button", "sign-out", &[r#"type="submit""#]);
            assert!(page.contains(&(s.signed_in_as)("reader@example.com")));
            for absent in ["owned", "incentive", "login", "insufficient-funds"] {
                assert_no_element(&page, absent);
            }
            assert!(!page.contains(r#"name="session""#));
        }
        let page = buy_page(&buy(), Lang::En);
        assert_eq!(element_text(&page, "dd", "price"), "$0.25");
        assert_eq!(element_text(&page, "dd", "balance"), "$4.75");
        assert_eq!(element_text(&page, "button", "buy"), "Buy for $0.25");
        let page = buy_page(&buy(), Lang::Ja);
        assert_eq!(element_text(&page, "button", "buy"), "$0.25で購入");
        let page = buy_page(&buy(), Lang::PtBr);
        assert_eq!(
            element_text(&page, "button", "buy"),
            "Comprar por US$\u{a0}0,25"
        );
    }

    #[test]
    fn buy_page_for_owned_content_opens_without_charge() {
        let mut view = buy();
        view.owned = true;
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = buy_page(&view, lang);
            assert_eq!(element_text(&page, "p", "owned"), s.owned);
            assert_eq!(element_text(&page, "button", "buy"), s.open);
        }
        let page = buy_page(&view, Lang::En);
        assert!(element_text(&page, "p", "owned").contains("opening it again costs nothing"));
    }

    #[test]
    fn buy_page_optional_parts() {
        let mut view = buy();
        view.incentive = Some(Incentive {
            balance: Amount::from_micros(750_000),
        });
        view.session = Some("sealed-session");
        view.balance = Some(Balance::from_micros(-1_500_000));
        view.offer.description = None;
        let page = buy_page(&view, Lang::En);
        let incentive = [
            r#"type="submit""#,
            r#"name="use_incentive""#,
            r#"value="code""#,
        ];
        assert_element(&page, "button", "incentive", &incentive);
        assert_eq!(
            element_text(&page, "button", "incentive"),
            "Use an incentive code"
        );
        assert_eq!(element_text(&page, "dd", "incentive-balance"), "$0.75");
        assert_eq!(element_text(&page, "dd", "balance"), "-$1.50");
        // The session rides in both forms; the incentive button is inside form#buy.
        let session = r#"<input type="hidden" name="session" value="sealed-session">"#;
        assert_eq!(page.matches(session).count(), 2);
        let buy_form = page
            .split(opening_tag(&page, "form", "buy"))
            .nth(1)
            .unwrap();
        let buy_form = buy_form.split("</form>").next().unwrap();
        assert!(buy_form.contains(r#" id="incentive""#));
        assert!(buy_form.contains(session));
        assert_no_element(&page, "description");
        view.balance = None;
        assert_no_element(&buy_page(&view, Lang::En), "balance");
    }

    #[test]
    fn user_text_is_escaped() {
        let mut view = buy();
        view.offer.title = HOSTILE;
        view.offer.vendor_name = HOSTILE;
        view.offer.description = Some(HOSTILE);
        view.email = HOSTILE;
        view.cancel_href = "\"><script>alert(2)</script>";
        for lang in Lang::ALL {
            let page = buy_page(&view, lang);
            assert!(!page.contains("<script>"), "{page}");
            assert_eq!(
                element_text(&page, "h1", "title"),
                "&lt;script&gt;alert(1)&lt;/script&gt;"
            );
            assert!(page.contains(r#"href="&quot;&gt;&lt;script&gt;alert(2)"#));
        }
        let mut login_view = login(None);
        login_view.offer.title = HOSTILE;
        let page = login_page(&login_view, Lang::Ja);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        let page = error_page(
            &ErrorView {
                code: HOSTILE,
                back_href: Some(HOSTILE),
            },
            Lang::En,
        );
        assert!(!page.contains("<script>"));
        assert!(page.contains(r#"data-code="&lt;script&gt;alert(1)&lt;/script&gt;""#));
    }

    fn deliver(
        optional_data: Option<&'static str>,
        nonce: Option<&'static str>,
    ) -> DeliverView<'static> {
        DeliverView {
            content_url: "http://127.0.0.1:8090/articles/coins",
            access_token: "tok_abc",
            optional_data,
            script_nonce: nonce,
        }
    }

    #[test]
    fn deliver_page_posts_the_token() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = deliver_page(&deliver(Some("chapter=2&x=\"y\""), Some("n0nce")), lang);
            let action = r#"action="http://127.0.0.1:8090/articles/coins""#;
            assert_element(&page, "form", "deliver", &[r#"method="post""#, action]);
            assert_document(&page.replace(action, ""), lang);
            assert_has(
                &page,
                &[
                    r#"<input type="hidden" name="access_token" value="tok_abc">"#,
                    concat!(
                        r#"<input type="hidden" name="optional_data" "#,
                        r#"value="chapter=2&amp;x=&quot;y&quot;">"#
                    ),
                    r#"<script nonce="n0nce">document.getElementById('deliver').submit()</script>"#,
                    s.opening,
                ],
            );
            assert_element(&page, "button", "continue", &[r#"type="submit""#]);
            assert_eq!(element_text(&page, "button", "continue"), s.continue_label);
            assert_eq!(page.matches("<script").count(), 1);
        }
        let page = deliver_page(&deliver(None, None), Lang::En);
        assert!(page.contains("<script>document.getElementById('deliver').submit()</script>"));
        assert!(!page.contains("optional_data"));
    }

    #[test]
    fn error_page_has_a_code_and_text_for_each_language() {
        let shop = "http://127.0.0.1:8090/";
        for lang in Lang::ALL {
            let s = lang.strings();
            for code in [
                "offer_expired",
                "offer_used",
                "limit_per_day",
                "csrf_failed",
            ] {
                let view = ErrorView {
                    code,
                    back_href: Some(shop),
                };
                let page = error_page(&view, lang);
                assert_document(&page.replace(shop, "/"), lang);
                let data_code = format!(r#"data-code="{code}""#);
                assert_element(&page, "main", "error", &[&data_code]);
                let problem = s.problems.get(code).unwrap();
                assert_has(&page, &[problem.title, problem.detail]);
                assert_element(&page, "a", "back", &[r#"href="http://127.0.0.1:8090/""#]);
            }
            let view = ErrorView {
                code: "brand_new_code",
                back_href: None,
            };
            let page = error_page(&view, lang);
            assert_element(&page, "main", "error", &[r#"data-code="brand_new_code""#]);
            assert_has(&page, &[s.problem_generic_title, "brand_new_code</p>"]);
            assert_no_element(&page, "back");
        }
        let view = ErrorView {
            code: "limit_per_week",
            back_href: None,
        };
        let page = error_page(&view, Lang::Ja);
        assert!(page.contains("1週間の利用上限に達しました"));
    }
}
