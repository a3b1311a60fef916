//! The pages about money running short: the choices of FIG. 25 ([0229]–[0232]) when the
//! balance does not cover a price (automatic top-off, add funds, cancel), and the manual
//! add-funds form.
//!
//! Same conventions as `pages`: plain views, escaped text, the contract's ids. Depends on
//! `maud`, `domain::money` and the rest of `web`.

use maud::html;

use crate::domain::money::{Amount, Balance, Currency};
use crate::web::i18n::Lang;
use crate::web::layout::{document, hidden_fields, merchant};
use crate::web::money::{display_amount, display_balance};
use crate::web::pages::OfferSummary;

/// The automatic top-off the member can choose: charge the saved payment method, then buy.
#[derive(Clone, Copy, Debug)]
pub struct TopOff<'a> {
    /// Where `form#top-off` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// Public-computer mode: the one-purchase session (hidden `session`).
    pub session: Option<&'a str>,
    /// What is charged: the shortage plus the configured top-off amount, in the offer's
    /// currency, computed by the caller (the button says "Top off {total} and buy").
    pub total: Amount,
    /// The saved payment method as the member knows it, shown as given
    /// (e.g. "TEST •••• 4242").
    pub method_label: &'a str,
}

/// The insufficient-funds page (`#insufficient-funds`).
#[derive(Clone, Copy, Debug)]
pub struct InsufficientFundsView<'a> {
    /// The offer being bought.
    pub offer: OfferSummary<'a>,
    /// The member's balance, in the offer's currency.
    pub balance: Balance,
    /// How much is missing to pay the price.
    pub shortage: Amount,
    /// The automatic top-off, or `None` when no payment method is saved (a note replaces
    /// the form).
    pub top_off: Option<TopOff<'a>>,
    /// `a#add-funds`: the manual add-funds page.
    pub add_funds_href: &'a str,
    /// `a#cancel`: back to the vendor.
    pub cancel_href: &'a str,
}

/// The wallet-missing page (`#wallet-missing`): the offer is priced in a currency the member
/// holds no wallet in, and `form#open-wallet` opens one.
#[derive(Clone, Copy, Debug)]
pub struct WalletMissingView<'a> {
    /// The offer being bought.
    pub offer: OfferSummary<'a>,
    /// Where `form#open-wallet` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// Public-computer mode: the one-purchase session (hidden `session`).
    pub session: Option<&'a str>,
    /// `a#cancel`: back to the vendor.
    pub cancel_href: &'a str,
}

/// Why the add-funds form is shown again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddFundsError {
    /// Not an amount in the wire grammar, or zero.
    AmountInvalid,
    /// Above the largest single deposit.
    AmountTooLarge,
    /// The payment processor declined (`AddFundsView::decline_code` says why).
    Declined,
}

/// One saved payment method offered on the add-funds page (`input[name=payment_method_id]`).
#[derive(Clone, Copy, Debug)]
pub struct MethodChoice<'a> {
    /// The method's id, the radio's value.
    pub value: &'a str,
    /// How the member knows it ("VISA •••• 4242").
    pub label: &'a str,
    /// Preselected.
    pub checked: bool,
}

/// The manual add-funds page.
#[derive(Clone, Copy, Debug)]
pub struct AddFundsView<'a> {
    /// Where `form#funds` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// Public-computer mode: the one-purchase session (hidden `session`).
    pub session: Option<&'a str>,
    /// The wallet's currency: the field's label and its step (one minor unit).
    pub currency: Currency,
    /// The member's balance, when known.
    pub balance: Option<Balance>,
    /// The amount typed before, refilled after an error.
    pub amount: Option<&'a str>,
    /// Why the form is shown again, if it is.
    pub error: Option<AddFundsError>,
    /// The saved methods to charge, one preselected; empty: the form charges none.
    pub methods: &'a [MethodChoice<'a>],
    /// The processor's code when it declined.
    pub decline_code: Option<&'a str>,
    /// `a#cancel`: back to the buy window (or the vendor).
    pub cancel_href: &'a str,
}

/// The wallet-missing page: the offer, and the button that opens a wallet in its currency.
#[must_use]
pub fn wallet_missing_page(view: &WalletMissingView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let offer = &view.offer;
    let code = offer.currency.code();
    let main = html! {
        main #wallet-missing .card {
            (merchant(s, offer.vendor_name, false))
            h1 { (s.wallet_missing_heading) }
            p.lead { ((s.wallet_missing_intro)(code)) }
            dl.rows {
                div.row {
                    dt.offer-title { (offer.title) }
                    dd { (display_amount(offer.price, offer.currency, lang)) }
                }
            }
            form #open-wallet method="post" action=(view.action) {
                (hidden_fields(view.csrf, view.session))
                button #open-wallet-submit .btn.primary type="submit" {
                    ((s.open_wallet)(code))
                }
            }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, s.wallet_missing_heading, main, None)
}

/// The insufficient-funds page: what is missing and the three ways on.
#[must_use]
pub fn insufficient_funds_page(view: &InsufficientFundsView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let offer = &view.offer;
    let money = |amount: Amount| display_amount(amount, offer.currency, lang);
    let main = html! {
        main #insufficient-funds .card {
            (merchant(s, offer.vendor_name, false))
            h1 { (s.insufficient_heading) }
            p.lead { (s.insufficient_intro) }
            dl.rows {
                div.row { dt.offer-title { (offer.title) } dd { (money(offer.price)) } }
                div.row {
                    dt { (s.balance) }
                    dd #balance { (display_balance(view.balance, offer.currency, lang)) }
                }
                div.row.strong { dt { (s.shortage) } dd #shortage { (money(view.shortage)) } }
            }
            @if let Some(top_off) = view.top_off {
                form #top-off method="post" action=(top_off.action) {
                    (hidden_fields(top_off.csrf, top_off.session))
                    button #top-off .btn.primary type="submit" {
                        ((s.top_off_and_buy)(&money(top_off.total)))
                    }
                }
                p.fine { ((s.top_off_note)(top_off.method_label)) }
            } @else {
                p #no-payment-method .notice.info { (s.no_payment_method) }
            }
            // Without a top-off, adding funds is the way on, so it becomes the main button.
            a #add-funds .btn.primary[view.top_off.is_none()] .secondary[view.top_off.is_some()]
                href=(view.add_funds_href) { (s.add_funds_link) }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, s.insufficient_heading, main, None)
}

/// The add-funds page: `form#funds` with one amount field.
#[must_use]
pub fn add_funds_page(view: &AddFundsView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let error = view.error.map(|error| match error {
        AddFundsError::AmountInvalid => s.amount_invalid,
        AddFundsError::AmountTooLarge => s.amount_too_large,
        AddFundsError::Declined => s.deposit_declined,
    });
    let decline_code = view
        .decline_code
        .filter(|_| view.error == Some(AddFundsError::Declined));
    let step = minor_unit(view.currency);
    let main = html! {
        main.card {
            h1 { (s.add_funds_heading) }
            @if let Some(balance) = view.balance {
                dl.rows {
                    div.row {
                        dt { (s.balance) }
                        dd #balance { (display_balance(balance, view.currency, lang)) }
                    }
                }
            }
            @if let Some(error) = error {
                p #funds-error .notice.bad role="alert" data-decline-code=[decline_code] {
                    (error)
                    @if let Some(code) = decline_code { " (" (code) ")" }
                }
            }
            form #funds method="post" action=(view.action) {
                (hidden_fields(view.csrf, view.session))
                @if !view.methods.is_empty() {
                    fieldset #methods {
                        legend { (s.pay_with) }
                        @for method in view.methods {
                            label.choice {
                                input type="radio" name="payment_method_id" value=(method.value)
                                    checked[method.checked];
                                " " (method.label)
                            }
                        }
                    }
                }
                label.field for="amount" { ((s.amount_in)(view.currency.code())) }
                input #amount .input type="number" name="amount" inputmode="decimal"
                    min=(step) step=(step) required value=[view.amount];
                button #add .btn.primary type="submit" { (s.add_button) }
            }
            p.fine { (s.test_processor_note) }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, s.add_funds_heading, main, None)
}

/// One minor unit of a currency as an HTML `step`: `1` for JPY, `0.01` for USD, `0.001` for
/// KWD. The browser submits the number with a dot whatever the reader's locale.
fn minor_unit(currency: Currency) -> String {
    match currency.minor_digits() {
        0 => "1".to_owned(),
        digits => format!("0.{}1", "0".repeat(usize::from(digits.saturating_sub(1)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::{
        HOSTILE, assert_document, assert_element, assert_no_element, element_text, offer, usd,
    };

    fn insufficient(top_off: bool) -> InsufficientFundsView<'static> {
        InsufficientFundsView {
            offer: offer("A history of small coins"),
            balance: Balance::from_micros(100_000),
            shortage: Amount::from_micros(150_000),
            top_off: top_off.then_some(TopOff {
                action: "/buy/ofr_0123456789abcdef/top-off",
                csrf: "csrf-token-3",
                session: None,
                total: Amount::from_micros(5_150_000),
                method_label: "TEST •••• 4242",
            }),
            add_funds_href: "/funds?offer=ofr_0123456789abcdef",
            cancel_href: "/buy/ofr_0123456789abcdef/cancel",
        }
    }

    #[test]
    fn wallet_missing_page_offers_to_open_a_wallet_in_the_offers_currency() {
        let view = WalletMissingView {
            offer: offer(HOSTILE),
            action: "/buy/ofr_0123456789abcdef/wallet",
            csrf: "csrf-token-9",
            session: Some("public-session"),
            cancel_href: "/buy/ofr_0123456789abcdef/cancel",
        };
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = wallet_missing_page(&view, lang);
            assert_document(&page, lang);
            assert_element(&page, "main", "wallet-missing", &[]);
            let action = r#"action="/buy/ofr_0123456789abcdef/wallet""#;
            assert_element(&page, "form", "open-wallet", &[r#"method="post""#, action]);
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-9">"#));
            assert!(page.contains(r#"name="session" value="public-session""#));
            assert_eq!(
                element_text(&page, "button", "open-wallet-submit"),
                (s.open_wallet)("USD")
            );
            let cancel = r#"href="/buy/ofr_0123456789abcdef/cancel""#;
            assert_element(&page, "a", "cancel", &[cancel]);
            assert!(!page.contains(HOSTILE), "the title is escaped");
            assert_no_element(&page, "buy");
        }
        let page = wallet_missing_page(&view, Lang::En);
        assert_eq!(
            element_text(&page, "button", "open-wallet-submit"),
            "Open a USD wallet"
        );
    }

    #[test]
    fn insufficient_funds_page_has_its_contract() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = insufficient_funds_page(&insufficient(true), lang);
            assert_document(&page, lang);
            assert_element(&page, "main", "insufficient-funds", &[]);
            let balance = display_balance(Balance::from_micros(100_000), usd(), lang);
            assert_eq!(element_text(&page, "dd", "balance"), balance);
            let shortage = display_amount(Amount::from_micros(150_000), usd(), lang);
            assert_eq!(element_text(&page, "dd", "shortage"), shortage);
            let action = r#"action="/buy/ofr_0123456789abcdef/top-off""#;
            assert_element(&page, "form", "top-off", &[r#"method="post""#, action]);
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-3">"#));
            assert_element(&page, "button", "top-off", &[r#"type="submit""#]);
            let total = display_amount(Amount::from_micros(5_150_000), usd(), lang);
            assert_eq!(
                element_text(&page, "button", "top-off"),
                (s.top_off_and_buy)(&total)
            );
            let add_funds = r#"href="/funds?offer=ofr_0123456789abcdef""#;
            assert_element(&page, "a", "add-funds", &[add_funds]);
            let cancel = r#"href="/buy/ofr_0123456789abcdef/cancel""#;
            assert_element(&page, "a", "cancel", &[cancel]);
            assert!(page.contains("TEST •••• 4242"));
            assert_no_element(&page, "no-payment-method");
            assert_no_element(&page, "buy");
        }
        let page = insufficient_funds_page(&insufficient(true), Lang::En);
        assert_eq!(element_text(&page, "dd", "balance"), "$0.10");
        assert_eq!(element_text(&page, "dd", "shortage"), "$0.15");
        assert_eq!(
            element_text(&page, "button", "top-off"),
            "Top off $5.15 and buy"
        );
        let page = insufficient_funds_page(&insufficient(true), Lang::PtBr);
        assert_eq!(
            element_text(&page, "button", "top-off"),
            "Recarregar US$\u{a0}5,15 e comprar"
        );
    }

    #[test]
    fn without_a_payment_method_a_note_replaces_the_top_off() {
        for lang in Lang::ALL {
            let page = insufficient_funds_page(&insufficient(false), lang);
            let note = lang.strings().no_payment_method;
            assert_eq!(element_text(&page, "p", "no-payment-method"), note);
            assert_element(&page, "a", "add-funds", &[]);
            assert_element(&page, "a", "cancel", &[]);
            assert_no_element(&page, "top-off");
        }
    }

    fn funds(error: Option<AddFundsError>) -> AddFundsView<'static> {
        AddFundsView {
            action: "/funds",
            csrf: "csrf-token-4",
            session: Some("sealed"),
            currency: usd(),
            balance: Some(Balance::from_micros(100_000)),
            amount: None,
            error,
            methods: &[],
            decline_code: None,
            cancel_href: "/buy/ofr_0123456789abcdef",
        }
    }

    #[test]
    fn the_saved_methods_are_offered_one_preselected_and_a_decline_names_its_code() {
        let methods = [
            MethodChoice {
                value: "pm_0000000000000001",
                label: "VISA •••• 4242",
                checked: true,
            },
            MethodChoice {
                value: "pm_0000000000000002",
                label: HOSTILE,
                checked: false,
            },
        ];
        let mut view = funds(Some(AddFundsError::Declined));
        view.methods = &methods;
        view.decline_code = Some("card_declined");
        for lang in Lang::ALL {
            let page = add_funds_page(&view, lang);
            assert!(page.contains(lang.strings().pay_with));
            assert!(page.contains(
                r#"<input type="radio" name="payment_method_id" value="pm_0000000000000001" checked>"#
            ));
            assert!(page.contains(
                r#"<input type="radio" name="payment_method_id" value="pm_0000000000000002">"#
            ));
            assert!(!page.contains(HOSTILE), "a label is escaped");
            assert!(page.contains(r#"data-decline-code="card_declined""#));
            assert!(element_text(&page, "p", "funds-error").contains("(card_declined)"));
        }
        // Without methods there is no choice; without a decline, no code.
        let page = add_funds_page(&funds(Some(AddFundsError::AmountInvalid)), Lang::En);
        assert!(!page.contains("payment_method_id"));
        assert!(!page.contains("data-decline-code"));
    }

    #[test]
    fn add_funds_page_has_its_contract() {
        for lang in Lang::ALL {
            let s = lang.strings();
            let page = add_funds_page(&funds(None), lang);
            assert_document(&page, lang);
            assert_element(
                &page,
                "form",
                "funds",
                &[r#"method="post""#, r#"action="/funds""#],
            );
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-4">"#));
            assert!(page.contains(r#"<input type="hidden" name="session" value="sealed">"#));
            let amount = [r#"type="number""#, r#"name="amount""#, r#"step="0.01""#];
            assert_element(&page, "input", "amount", &amount);
            assert_element(&page, "button", "add", &[r#"type="submit""#]);
            assert_eq!(element_text(&page, "button", "add"), s.add_button);
            let cancel = r#"href="/buy/ofr_0123456789abcdef""#;
            assert_element(&page, "a", "cancel", &[cancel]);
            assert!(page.contains(&(s.amount_in)("USD")));
            assert_no_element(&page, "funds-error");
            for (error, text) in [
                (AddFundsError::AmountInvalid, s.amount_invalid),
                (AddFundsError::AmountTooLarge, s.amount_too_large),
                (AddFundsError::Declined, s.deposit_declined),
            ] {
                let page = add_funds_page(&funds(Some(error)), lang);
                assert_eq!(element_text(&page, "p", "funds-error"), text);
            }
        }
        let mut view = funds(Some(AddFundsError::AmountInvalid));
        view.amount = Some(HOSTILE);
        let page = add_funds_page(&view, Lang::En);
        assert!(!page.contains("<script>"));
        assert_element(&page, "input", "amount", &[r#"value="&lt;script&gt;"#]);
    }

    #[test]
    fn steps_are_one_minor_unit() {
        let step = |code| minor_unit(Currency::parse(code).unwrap());
        assert_eq!(step("JPY"), "1");
        assert_eq!(step("USD"), "0.01");
        assert_eq!(step("KWD"), "0.001");
    }
}

/// The page where a member redeems an incentive code for the offer (`form#redeem`).
#[derive(Clone, Copy, Debug)]
pub struct RedeemView<'a> {
    /// Where `form#redeem` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// Public-computer mode: the one-purchase session (hidden `session`).
    pub session: Option<&'a str>,
    /// The code typed before, refilled after an error.
    pub code: Option<&'a str>,
    /// Why the form is shown again: the problem's title and detail, translated.
    pub error: Option<(&'a str, &'a str)>,
    /// `a#cancel`: back to the buy window.
    pub cancel_href: &'a str,
}

/// The redeem page: a code field and `button#redeem`; after a refusal, `p#redeem-error`.
#[must_use]
pub fn redeem_page(view: &RedeemView<'_>, lang: Lang) -> String {
    let s = lang.strings();
    let main = html! {
        main.card {
            h1 { (s.redeem_heading) }
            p.fine { (s.redeem_intro) }
            @if let Some((title, detail)) = view.error {
                p #redeem-error .notice.bad role="alert" { (title) ". " (detail) }
            }
            form #redeem method="post" action=(view.action) {
                (hidden_fields(view.csrf, view.session))
                label.field for="code" { (s.code_label) }
                input #code .input type="text" name="code" autocomplete="off" required
                    maxlength="32" value=[view.code];
                button #redeem .btn.primary type="submit" { (s.redeem) }
            }
            a #cancel .cancel href=(view.cancel_href) { (s.cancel) }
        }
    };
    document(lang, s.redeem_heading, main, None)
}
