//! The vendor office in English. Every field of [`VendorOfficeStrings`] must be filled, so a
//! sentence added to the struct cannot be forgotten here. Depends on nothing but `i18n`,
//! the struct's declaration in `web::vendor_office` and the frame's (`OfficeStrings`) in
//! `web::office`.

use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};
use crate::web::vendor_office::VendorOfficeStrings;

/// English.
pub const VENDOR_OFFICE_EN: VendorOfficeStrings = VendorOfficeStrings {
    frame: OfficeStrings {
        footer: "farthing vendor office · for a vendor's own people",
        menu: "Vendor office pages",
        signed_in_as: |email| format!("Signed in as {email}"),
        signed_in_with_key: "Signed in with the vendor's API key",
        sign_out: "Sign out",
        sign_in_heading: "Vendor sign-in",
        sign_in_intro: "For the people a vendor gave a login. Everything you do here is recorded \
                        in the audit log.",
        email: "Email",
        password: "Password",
        sign_in: "Sign in",
        wrong_credentials: "That email and password do not match a vendor login. Please try again.",
        missing_credentials: "Enter your email and password.",
        home: "Home",
        home_intro: "Choose a task. You see only the pages your vendor's functions grant you.",
        home_nothing: "Your login grants no page here yet. Ask whoever gave it to you.",
        problem_code: "Code",
        problem_generic_title: "This did not work",
        problem_generic_detail: "The request was refused or could not be completed. The code \
                                 below says why.",
        back_to_home: "Back to the vendor office",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "This form has expired",
                detail: "The form was not accepted: it was open too long or came from another \
                         page. Reload the page and try again. Nothing was changed.",
            },
            function_not_granted: Problem {
                title: "Not granted",
                detail: "Your login does not grant this page or this action. Ask whoever gave it \
                         to you. Nothing was changed.",
            },
            too_many_attempts: Problem {
                title: "Too many attempts",
                detail: "There were too many failed sign-ins. Wait a few minutes, then try again.",
            },
            not_found: Problem {
                title: "Not found",
                detail: "This page does not exist.",
            },
            unavailable: Problem {
                title: "Temporarily unavailable",
                detail: "The service could not decide right now. Nothing was changed; try again \
                         in a moment.",
            },
        },
    },
    vendor: "for",

    sales: "Sales",
    sales_task: "See what you sold, the MSP's fees, what you earned, were paid and are owed.",
    disputes: "Disputes",
    disputes_task: "See the disputes members filed against your sales and how they ended.",
    payouts: "Payouts",
    payouts_task: "See the payouts made to your bank account.",
    api_keys: "API keys",
    api_keys_task: "Draw a new API key for your servers.",
    programs: "Incentive programs",
    programs_task: "Create an incentive program of your own, funded by you.",

    sales_heading: "Sales",
    sales_intro: "Every sale since you joined, per currency, with reversed sales removed. The \
                  same figures as GET /v1/vendors/me/summary.",
    sales_empty: "Nothing sold yet.",
    fee_rate: "MSP fee",
    fee_period: "Fee period",
    period_month: "Monthly",
    period_quarter: "Quarterly",
    next_settlement: "Next settlement",
    bank_account: "Paid to",
    settlement_unset: "Not set up yet: ask the MSP.",
    sales_count: "Sales",
    gross: "Gross",
    fees: "MSP fees",
    incentives_msp: "Paid by the MSP's incentives",
    incentives_own: "Paid by your own incentives",
    royalties_withheld: "Royalties withheld",
    commissions: "Commissions earned",
    net_payable: "Earned in all",
    settled: "Paid out",
    unsettled: "Owed to you",
    tier: "Fee tier this period",
    period_fee_base: "Fee base this period",
    period_fees: "Fees this period",

    disputes_heading: "Disputes",
    disputes_intro: "Oldest first. An MSP operator, or the MSP's rules, decide each one; an \
                     approved dispute reverses the sale. Members are shown by the reference \
                     you know them by.",
    disputes_empty: "No member has disputed a sale.",
    filed: "Filed",
    purchased: "Purchased",
    amount: "Amount",
    member: "Member",
    status: "Status",
    decision_reason: "Operator's reason",
    status_pending: "Waiting for the MSP",
    status_approved: "Approved: sale reversed",
    status_rejected: "Rejected: sale stands",
    next_page: "Next page",

    payouts_heading: "Payouts",
    payouts_intro: "Newest first: what each settlement run paid you, and where.",
    payouts_empty: "No payout yet.",
    paid: "Paid",
    payout: "Payout",
    payout_paid: "Paid",
    payout_returned: |reason| format!("Returned by the bank: {reason}"),

    api_keys_heading: "API keys",
    api_keys_intro: "Rotating draws a new key for your servers. The key used until now keeps \
                     working for a while so they can switch over; a key rotated away before \
                     stops at once.",
    rotate: "Rotate the API key",
    new_key_heading: "Your new API key",
    new_key_note: "It is shown only this once. Put it in your servers' secrets now.",
    previous_key_until: "The previous key works until",

    programs_heading: "Incentive programs",
    programs_intro: "Your own program: members redeem its code for a grant they can spend \
                     only with you. You fund it: what its grants pay is not paid to you.",
    code: "Code",
    code_hint: "3 to 32 letters, digits, - or _. Members type it; it is stored in upper case.",
    grant_amount: |currency| format!("Each grant ({currency})"),
    budget: |currency| format!("Budget in all ({currency})"),
    expires_at: "Grants expire at (UTC, optional)",
    create_program: "Create program",
    program_created: "The program is created.",
    program_id: "Program id, for grants",
    code_invalid: "The code must be 3 to 32 letters, digits, - or _.",
    code_taken: "Another program has this code. Choose another.",
    amount_invalid: "Give each grant's amount, above zero, such as 2.00.",
    budget_invalid: "Give a budget of at least one grant's amount, such as 500.00.",
    expiry_invalid: "Give a time that has not passed yet, or leave it empty.",
    vendor_not_approved: Problem {
        title: "Not approved",
        detail: "The MSP has not approved your vendor, or no longer does. Contact the MSP.",
    },
};
