//! The account pages in English. Every field of [`AccountStrings`] must be filled, so a
//! sentence added to the struct cannot be forgotten here. Depends on nothing but `i18n`, the
//! struct's declaration in `web::account` and the frame's (`OfficeStrings`) in `web::office`.

use crate::web::account::AccountStrings;
use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};

/// English.
pub const ACCOUNT_EN: AccountStrings = AccountStrings {
    frame: OfficeStrings {
        footer: "farthing · your account",
        menu: "Account pages",
        signed_in_as: |email| format!("Signed in as {email}"),
        signed_in_with_key: "Signed in with a session token",
        sign_out: "Sign out",
        sign_in_heading: "Your account",
        sign_in_intro: "Sign in with the email and password you buy with.",
        email: "Email",
        password: "Password",
        sign_in: "Sign in",
        wrong_credentials: "That email and password do not match. Please try again.",
        missing_credentials: "Enter your email and password.",
        home: "Summary",
        home_intro: "Your wallets, your recent purchases and your account's state.",
        home_nothing: "Nothing to show yet.",
        problem_code: "Code",
        problem_generic_title: "This did not work",
        problem_generic_detail: "The request was refused or could not be completed. The code \
                                 below says why.",
        back_to_home: "Back to your account",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "This form has expired",
                detail: "The form was not accepted: it was open too long or came from another \
                         page. Reload the page and try again. Nothing was changed.",
            },
            function_not_granted: Problem {
                title: "Not allowed",
                detail: "Your login may not do this. Nothing was changed.",
            },
            too_many_attempts: Problem {
                title: "Too many attempts",
                detail: "There were too many failed sign-ins. Wait a few minutes, then try again.",
            },
            not_found: Problem {
                title: "Not found",
                detail: "This page or item does not exist.",
            },
            unavailable: Problem {
                title: "Temporarily unavailable",
                detail: "The service could not decide right now. Nothing was changed; try again \
                         in a moment.",
            },
        },
    },

    content: "My Content",
    wallets: "Wallets",
    limits: "Limits",
    sub_members: "Sub-members",
    questions: "Security questions",
    transfers: "Transfers",
    incentives: "Incentives",
    disputes: "Disputes",

    role_holder: "Account holder",
    role_member: "Sub-member",
    frozen_notice: "This account is frozen: nothing can be bought until it is unfrozen.",
    no_wallets: "No wallet yet.",
    currency: "Currency",
    paid: "Paid balance",
    incentive: "Incentives",
    available: "Available",
    recent_heading: "Recent purchases",
    no_purchases: "No purchases yet.",
    when: "When",
    vendor: "Vendor",
    price: "Amount",
    reversed: "Reversed",
    freeze: "Freeze the account",
    freeze_hint: "Stops every purchase and ends every session at once, for example when a \
                  password may have leaked. Only the holder can unfreeze.",
    unfreeze: "Unfreeze the account",
    close: "Close the account",
    close_forfeit: "Give up the balance left",
    close_hint: "Ends every session of every login and erases the e-mails, names, security \
                 questions and payment methods for good; the amounts stay in the books. Cash \
                 out first: paid balance left is refused unless you give it up. Incentives end \
                 with the account. A debt, a pending deposit or a pending dispute must be \
                 settled first.",

    content_heading: "My Content",
    content_intro: "Everything you bought, newest first. Open sends you to the content with a fresh pass; \
                    the vendor counts a view when you arrive, as after a purchase.",
    no_content: "Nothing bought yet.",
    title: "Title",
    untitled: "(untitled)",
    purchased: "Bought",
    expires: "Expires",
    never: "Never",
    views_left: "Views left",
    unlimited: "Unlimited",
    open: "Open",
    state_expired: "Expired",
    state_reversed: "Refunded",
    state_used_up: "Used up",
    next_page: "Older purchases",

    wallets_heading: "Wallets and funds",
    open_wallet: "Open a wallet",
    add_funds_heading: "Add funds",
    amount: "Amount",
    payment_method: "Payment method",
    add_funds: "Add funds",
    no_methods: "No payment method is saved. Save the test card below first.",
    methods_heading: "Payment methods",
    save_card: "Save the test card",
    save_card_hint: "The test processor's approving card (4242 …). A real deployment shows a \
                     card form here.",
    remove: "Remove",

    limits_heading: "Spending limits",
    limits_intro: "Limits per login and currency. A blank field means no limit. Setting a \
                   currency replaces all its limits at once.",
    per_transaction: "Per purchase",
    per_session: "Per session",
    per_day: "Per day",
    per_week: "Per week",
    per_month: "Per month",
    no_limit: "None",
    set_limits: "Set limits",

    sub_members_heading: "Sub-members",
    sub_members_intro: "People who buy from this account with their own login, within the \
                        limits you set them. They cannot see or change this page.",
    name: "Name",
    email: "Email",
    password: "Password",
    status: "Status",
    active: "Active",
    disabled: "Disabled",
    disable: "Disable",
    enable: "Enable",
    add_sub_member: "Add a sub-member",

    questions_heading: "Security questions",
    questions_intro: "Two to five questions you are asked before a sensitive change or an \
                      unusual purchase. Answers are compared without case or extra spaces; \
                      blank rows are left out.",
    question: "Question",
    answer: "Answer",
    save_questions: "Save the questions",

    transfers_heading: "Send money",
    transfers_intro: "Send settled paid balance to another member by their email, at no charge.",
    to_email: "Recipient's email",
    note: "Note (optional)",
    send: "Send",

    incentives_heading: "Incentive codes",
    incentives_intro: "Redeem a code from a vendor or from us. A code redeems once per account.",
    code: "Code",
    redeem: "Redeem",

    disputes_heading: "Disputes",
    disputes_intro: "Dispute a purchase that did not deliver. Small disputes are approved at \
                     once; others wait for our staff.",
    no_disputes: "No disputes.",
    purchase: "Purchase",
    reason: "Reason",
    decision: "Decision",
    file_dispute: "File the dispute",
    status_pending: "Pending",
    status_approved: "Approved",
    status_rejected: "Rejected",

    step_up_heading: "Confirm it is you",
    step_up_for_change: "Answer one of your security questions to make this change.",
    step_up_for_purchase: "A vendor asked for a purchase that is unusual for you. Answer one \
                           of your security questions to allow it.",
    password_again: "The new login's password, again",
    answer_button: "Answer",
    step_up_passed: "Thank you. Go back to the vendor's page and try the purchase again.",
    step_up_not_asked: "Your login has no security questions, so you are never asked.",

    done_frozen: "The account is frozen.",
    done_unfrozen: "The account is unfrozen.",
    done_closed: "The account is closed.",
    done_wallet_opened: "The wallet is open.",
    done_funds_added: "The funds were added.",
    done_card_saved: "The card is saved.",
    done_method_removed: "The payment method was removed.",
    done_limits_set: "The limits are set.",
    done_sub_member_added: "The sub-member was added. They can sign in now.",
    done_sub_member_disabled: "The sub-member is disabled.",
    done_sub_member_enabled: "The sub-member is enabled.",
    done_questions_set: "Your security questions were saved.",
    done_transfer_sent: "The money was sent.",
    done_incentive_redeemed: "The code was redeemed.",
    done_dispute_filed: "The dispute was filed.",

    amount_invalid: "Enter a positive amount, such as 5.00.",
    currency_invalid: "Choose a currency this service holds wallets in.",
    email_invalid: "Enter an email address.",
    email_taken: "That email signs in to another login already.",
    password_too_short: "The password needs at least 8 characters.",
    name_invalid: "Enter a name of 1 to 100 characters.",
    questions_invalid: "Give 2 to 5 questions, each with an answer.",
    limit_invalid: "Each limit must be an amount, such as 10.00, or blank.",
    reason_invalid: "Enter a reason of 1 to 256 characters.",
    code_invalid: "That is not a code.",
    note_invalid: "The note is too long.",
    declined: "The card was declined. Nothing was charged.",
    answer_wrong: "That answer is not right. Here is another question.",

    statement: "Statement",
    profile: "Profile",
    statement_link: "See the whole statement",
    statement_heading: "Statement",
    statement_zone: |zone| format!("Dates and times are in {zone}."),
    date_from: "From",
    date_to: "To",
    kind: "Kind",
    any: "All",
    vendor_id: "or vendor id",
    made_by: "Made by",
    min_amount: "Smallest amount",
    max_amount: "Largest amount",
    apply_filters: "Show",
    balance_after: "Balance after",
    no_lines: "No line matches.",
    next_lines: "Next page",
    kind_purchase: "Purchase",
    kind_funds: "Funds added",
    kind_transfer_in: "Money received",
    kind_transfer_out: "Money sent",
    kind_cash_out: "Cash-out",
    kind_incentive: "Incentive",
    kind_dispute: "Dispute",
    kind_customer_credit: "Refund after a dispute",
    kind_reversal: "Reversal",
    filter_invalid: "A filter is not valid: check the dates, the amounts and the vendor id.",
    profile_heading: "Your profile",
    profile_intro: "Your name is shown to the account holder and on the statement; your language is the one of your pages and your email.",
    language: "Language",
    save_profile: "Save",
    done_profile_set: "Your profile was saved.",
    language_invalid: "Choose a language.",

    holder_only: Problem {
        title: "Only the account holder can do this",
        detail: "Your login is a sub-member's. Ask the account holder.",
    },
    account_frozen: Problem {
        title: "The account is frozen",
        detail: "Nothing can be bought or changed until the account holder unfreezes it.",
    },
    insufficient_funds: Problem {
        title: "Not enough funds",
        detail: "The balance does not cover this. Add funds first.",
    },
    step_up_locked: Problem {
        title: "Too many wrong answers",
        detail: "Security questions are locked for a while. Try again later.",
    },
    recipient_unavailable: Problem {
        title: "This address cannot receive money",
        detail: "Nothing was sent. Check the email address.",
    },
    incentive_refused: Problem {
        title: "This code cannot be redeemed",
        detail: "It is unknown, has expired, or this account redeemed it before.",
    },
    dispute_refused: Problem {
        title: "This purchase cannot be disputed",
        detail: "It is disputed already, too old, or charged nothing.",
    },
    wallet_exists: Problem {
        title: "The wallet is open already",
        detail: "This account has a wallet in this currency.",
    },
    content_unavailable: Problem {
        title: "This item cannot be opened",
        detail: "It has expired, was refunded or has no views left, or it was bought before \
                 its address was kept here: open it at the vendor's site, or buy it again there.",
    },
};
