//! The buy window in English. Every field of [`Strings`] must be filled, so a sentence
//! added to the struct cannot be forgotten here. Depends on nothing but `i18n`.

use crate::web::i18n::{Problem, Problems, Strings};

/// English.
pub const EN: Strings = Strings {
    footer: "Payment window by farthing · prepaid micropayments",
    sold_by: "Sold by",
    price: "Price",
    balance: "Your balance",
    cancel: "Cancel and return to the shop",
    back_to_shop: "Back to the shop",
    signed_in_as: |email| format!("Signed in as {email}"),
    sign_out: "Sign out",

    sign_in_heading: "Sign in to buy",
    email: "Email",
    password: "Password",
    public_computer: "This is a public computer",
    public_computer_note: "No cookie is kept: we ask for your password with every purchase.",
    expiry_legend: "On a private computer, sign me out",
    expiry_absolute: |hours| {
        if hours == 1 {
            "after 1 hour".to_owned()
        } else {
            format!("after {hours} hours")
        }
    },
    expiry_idle: |minutes| {
        if minutes == 1 {
            "after 1 minute without a purchase".to_owned()
        } else {
            format!("after {minutes} minutes without a purchase")
        }
    },
    sign_in: "Sign in",
    no_account: "New here?",
    create_account_link: "Create an account",
    wrong_credentials: "That email and password do not match. Please try again.",
    session_ended: "Your session has ended. Please sign in again.",
    missing_credentials: "Enter your email and password.",

    buy_for: |price| format!("Buy for {price}"),
    open: "Open",
    owned: "You already own this — opening it again costs nothing.",
    use_incentive: "Use an incentive code",
    incentives: "Incentives",
    redeem_heading: "Use an incentive code",
    redeem_intro: "Incentives you hold pay before your balance when this item accepts them.",
    code_label: "Code",
    redeem: "Use code",
    charge_note: "Paid from your prepaid balance. No card details are sent to the shop.",

    opening: "Opening your purchase…",
    continue_label: "Continue",
    continue_hint: "If nothing happens, press Continue.",

    insufficient_heading: "Not enough funds",
    insufficient_intro: "Your balance does not cover this purchase yet.",
    shortage: "Missing",
    top_off_and_buy: |amount| format!("Top off {amount} and buy"),
    top_off_note: |method| format!("Charged to {method}."),
    no_payment_method: "You have no saved payment method, so automatic top-off is not \
                        available. Add funds manually instead.",
    add_funds_link: "Add funds manually",

    wallet_missing_heading: "No wallet in this currency",
    wallet_missing_intro: |code| {
        format!(
            "This item is priced in {code}, and you have no {code} wallet yet. Open one to buy it."
        )
    },
    open_wallet: |code| format!("Open a {code} wallet"),

    add_funds_heading: "Add funds",
    pay_with: "Pay with",
    amount_in: |code| format!("Amount ({code})"),
    add_button: "Add funds",
    test_processor_note: "Paid with the test payment processor: no real money moves.",
    amount_invalid: "Enter an amount such as 10.00.",
    amount_too_large: "That is more than a single deposit may be.",
    deposit_declined: "The payment was declined. Nothing was charged.",

    register_heading: "Create your account",
    signup_bonus: |amount, days| {
        format!("Sign up now and get {amount} to spend within {days} days")
    },
    register_intro: "One prepaid wallet for paying a few cents on many sites.",
    password_rule: |n| format!("At least {n} characters."),
    language: "Language",
    currency: "Currency",
    currency_usd: "US dollar",
    currency_eur: "Euro",
    currency_jpy: "Japanese yen",
    currency_brl: "Brazilian real",
    save_card: "Save the test card for top-offs",
    vendor_offers: |vendor| {
        format!("Yes, I want {vendor} to send me information about special offers and promotions")
    },
    security_questions: "Security questions",
    security_questions_rule: "Two questions only you can answer. We ask one again before a sensitive change or an unusual purchase.",
    question_label: |n| format!("Question {n}"),
    answer_label: |n| format!("Answer {n}"),
    questions_invalid: "Write two different questions, each with its answer (up to 200 characters).",
    create_account: "Create account",
    back: "Back",
    email_invalid: "Enter a valid email address.",
    email_taken: "An account with this email already exists. Sign in instead.",
    password_too_short: |n| format!("The password needs at least {n} characters."),

    problem_code: "Code",
    problem_generic_title: "Something went wrong",
    problem_generic_detail: "The request could not be completed. If it happens again, \
                             tell the shop the code below.",
    problems: Problems {
        offer_not_found: Problem {
            title: "Offer not found",
            detail: "This purchase link is not known. Go back to the shop and use its buy \
                     link again.",
        },
        offer_expired: Problem {
            title: "This offer has expired",
            detail: "Purchase links are valid for a short time only. Go back to the shop and \
                     click its buy link again.",
        },
        offer_used: Problem {
            title: "This offer was already used",
            detail: "Each purchase link works once. If you bought the item, open it from the \
                     shop: you will not be charged again.",
        },
        csrf_failed: Problem {
            title: "This form has expired",
            detail: "For your security the form was not accepted: it was open too long or \
                     came from another page. Reload and try again. Nothing was charged.",
        },
        session_expired: Problem {
            title: "Your session has ended",
            detail: "Sign in again to continue. Nothing was charged.",
        },
        account_frozen: Problem {
            title: "Your account is frozen",
            detail: "Purchases are paused on this account. Contact support to have it \
                     unfrozen.",
        },
        vendor_not_allowed: Problem {
            title: "Purchases from this shop are blocked",
            detail: "Your account settings do not allow purchases from this seller.",
        },
        limit_per_transaction: Problem {
            title: "Above your per-purchase limit",
            detail: "This item costs more than the limit you set for a single purchase.",
        },
        limit_per_session: Problem {
            title: "Session spending limit reached",
            detail: "You have reached the spending limit for this session. Sign out and sign \
                     in again to start a new one.",
        },
        limit_per_day: Problem {
            title: "Daily spending limit reached",
            detail: "You have reached your spending limit for today. It starts again at \
                     midnight in your time zone.",
        },
        limit_per_week: Problem {
            title: "Weekly spending limit reached",
            detail: "You have reached your spending limit for this week.",
        },
        limit_per_month: Problem {
            title: "Monthly spending limit reached",
            detail: "You have reached your spending limit for this month.",
        },
        insufficient_funds: Problem {
            title: "Not enough funds",
            detail: "Your balance does not cover this price. Add funds and try again.",
        },
        currency_mismatch: Problem {
            title: "Different currency",
            detail: "This item is priced in a currency your wallet does not hold.",
        },
        wallet_missing: Problem {
            title: "No wallet in this currency",
            detail: "This item is priced in a currency you have no wallet in yet. Open one, \
                     add funds, and try again. Nothing was charged.",
        },
        incentive_invalid: Problem {
            title: "This incentive cannot be used",
            detail: "The incentive does not apply to this item or is no longer valid. You can \
                     still buy it with your balance.",
        },
        payment_declined: Problem {
            title: "Payment declined",
            detail: "Your payment method was declined. Nothing was charged.",
        },
        overloaded: Problem {
            title: "Busy right now",
            detail: "There are too many requests at the moment. Wait a few seconds and try \
                     again. Nothing was charged.",
        },
        unavailable: Problem {
            title: "Temporarily unavailable",
            detail: "Purchases cannot be completed right now. Please try again in a moment.",
        },
        too_many_attempts: Problem {
            title: "Too many attempts",
            detail: "There were too many failed attempts to sign in or register. Wait a few \
                     minutes, then try again. Nothing was charged.",
        },
    },
};
