//! The back office in English. Every field of [`BackOfficeStrings`] and of
//! [`MemberSettlementStrings`] must be filled, so a sentence added to either struct cannot be
//! forgotten here. Depends on nothing but `i18n`, the structs' declarations in
//! `web::back_office` and the frame's (`OfficeStrings`) in `web::office`.

use crate::web::back_office::{BackOfficeStrings, MemberSettlementStrings};
use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};

/// English.
pub const BACK_OFFICE_EN: BackOfficeStrings = BackOfficeStrings {
    frame: OfficeStrings {
        footer: "farthing back office · for MSP staff only",
        menu: "Back-office pages",
        signed_in_as: |email| format!("Signed in as {email}"),
        signed_in_with_key: "Signed in with the admin key",
        sign_out: "Sign out",
        sign_in_heading: "Operator sign-in",
        sign_in_intro: "For MSP staff. Everything you do here is recorded in the audit log.",
        email: "Email",
        password: "Password",
        sign_in: "Sign in",
        wrong_credentials: "That email and password do not match an operator. Please try again.",
        missing_credentials: "Enter your email and password.",
        home: "Home",
        home_intro: "Choose a task. You see only the pages your security groups grant.",
        home_nothing: "Your security groups grant no page here yet. Ask an administrator.",
        problem_code: "Code",
        problem_generic_title: "This did not work",
        problem_generic_detail: "The request was refused or could not be completed. The code \
                                 below says why.",
        back_to_home: "Back to the back office",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "This form has expired",
                detail: "The form was not accepted: it was open too long or came from another \
                         page. Reload the page and try again. Nothing was changed.",
            },
            function_not_granted: Problem {
                title: "Not granted",
                detail: "Your security groups do not grant this page or this action. Nothing \
                         was changed.",
            },
            too_many_attempts: Problem {
                title: "Too many attempts",
                detail: "There were too many failed sign-ins. Wait a few minutes, then try again.",
            },
            not_found: Problem {
                title: "Not found",
                detail: "The page, or the record the form names, does not exist.",
            },
            unavailable: Problem {
                title: "Temporarily unavailable",
                detail: "The service could not decide right now. Nothing was changed; try again \
                         in a moment.",
            },
        },
    },

    disputes: "Disputes",
    disputes_task: "Decide the disputes that wait for an operator.",
    security_groups: "Security groups",
    security_groups_task: "See the groups and create one from functions you hold.",
    audit: "Audit log",
    audit_task: "Read every back-office call: who, which function, what, and how it ended.",
    vendors: "Vendors",
    vendors_task: "See the vendors and approve those that registered themselves.",

    disputes_heading: "Disputes waiting for a decision",
    disputes_intro: "Oldest first. Approving refunds the member and reverses the sale; \
                     rejecting keeps the sale. The member sees your reason.",
    disputes_empty: "No dispute is waiting.",
    filed: "Filed",
    amount: "Amount",
    vendor: "Vendor",
    member_reason: "Member's reason",
    decision: "Decision",
    your_reason: "Your reason",
    approve: "Approve",
    reject: "Reject",
    reason_invalid: "Write a reason for your decision, at most 256 bytes long.",
    dispute_approved: "The dispute is approved and the member refunded.",
    dispute_rejected: "The dispute is rejected.",
    next_page: "Next page",

    groups_heading: "Security groups",
    groups_intro: "A group grants a set of functions. You can create a group only from \
                   functions you hold yourself.",
    groups_empty: "There is no group yet.",
    name: "Name",
    functions: "Functions",
    created: "Created",
    create_group_heading: "Create a group",
    functions_legend: "Functions it grants",
    create_group: "Create group",
    name_invalid: "Give the group a name, at most 256 bytes long.",
    group_created: "The group is created.",

    audit_heading: "Audit log",
    audit_intro: "Every back-office call, oldest first: who made it, the function, the call, \
                  what it changed and how it ended.",
    actor: "Who",
    actor_hint: "admin_key or an operator id (op_…)",
    function: "Function",
    any_function: "Any function",
    filter: "Filter",
    at: "When",
    call: "Call",
    change: "Change",
    outcome: "Outcome",
    outcome_unknown: "unknown",
    audit_empty: "No entry matches.",
    actor_invalid: "Who is admin_key or an operator id: op_ and 16 hex digits.",

    vendors_heading: "Vendors",
    vendors_intro: "A vendor that registered itself can sell only once an operator approves it.",
    vendors_empty: "There is no vendor yet.",
    id: "Id",
    currency: "Currency",
    status: "Status",
    status_pending: "Pending",
    status_approved: "Approved",
    status_rejected: "Rejected",
    fee_ppm: "Fee, ppm",
    fee_invalid: "To approve a vendor, give the MSP's fee in parts per million, from 0 to \
                  1000000 (50000 is 5%).",
    vendor_approved: "The vendor is approved.",
    vendor_rejected: "The vendor is rejected.",
    decided_already: Problem {
        title: "Decided already",
        detail: "Someone decided this before you. Reload the page to see where it stands.",
    },
};

/// The members and settlement pages in English: an inherent `const` of the type
/// `web::back_office` declares, so `web/i18n.rs` (which declares `BackOfficeStrings`) is left
/// as it is.
impl MemberSettlementStrings {
    /// English.
    pub const EN: MemberSettlementStrings = MemberSettlementStrings {
        members: "Members",
        members_task: "Look up a member by id or email: wallets, limits and recent purchases.",
        settlement: "Settlement",
        settlement_task: "See the settlement runs and payouts, start a run, record a returned \
                          payout.",

        members_heading: "Members",
        members_intro: "Look up a member by id (acct_…) or email. Personal data is masked \
                        unless your security groups grant members.personal_data.read.",
        lookup_label: "Member id or email",
        lookup_hint: "acct_… or name@example.com",
        look_up: "Look up",
        member_invalid: "Enter a member id (acct_ and 16 hex digits) or an email address.",
        member_unknown: "No member has this id or email.",
        personal_data_masked: "Personal data is masked: your security groups do not grant \
                               members.personal_data.read.",
        member_id: "Member id",
        member_email: "Email",
        standing: "Standing",
        active: "Active",
        frozen: "Frozen: the member cannot buy until they unfreeze the account",
        closed: "Closed, personal data erased, on",
        entitlements: "Entitlements held",
        wallets_heading: "Wallets",
        wallets_empty: "No wallet is open.",
        paid: "Paid balance",
        incentive: "Incentives",
        credit_line: "Credit line",
        debt: "Debt",
        available: "Available",
        limits_heading: "Spending limits",
        limits_empty: "No limit is set.",
        per_transaction: "Per purchase",
        per_session: "Per session",
        per_day: "Per day",
        per_week: "Per week",
        per_month: "Per month",
        vendors_allowed: "Vendors allowed",
        no_limit: "none",
        any_vendor: "any",
        payment_methods_heading: "Payment methods",
        payment_methods_empty: "No payment method is saved.",
        kind: "Kind",
        brand: "Brand",
        last4: "Last digits",
        kind_card: "Card",
        kind_bank: "Bank account",
        purchases_heading: "Recent purchases",
        purchases_empty: "No purchase yet.",
        bought: "Bought",
        reversed: "Reversed",

        settlement_heading: "Settlement",
        settlement_intro: "A run pays each vendor and rights holder what it is owed, in one \
                           payment file for the bank. Newest first.",
        start_run_heading: "Start a run",
        start_run_intro: "A forced run pays every payee any positive amount owed now, \
                          whatever its threshold or schedule.",
        start_run: "Run settlement now",
        run_started: "The settlement run is done.",
        runs_heading: "Settlement runs",
        runs_empty: "No run yet.",
        started: "Started",
        forced: "Forced",
        yes: "Yes",
        no: "No",
        file: "Payment file",
        run_open: "Not finished yet",
        run_without_file: "No payouts, no file",
        more_payouts: |count| format!("and {count} more"),
        payouts_heading: "Payouts",
        payouts_empty: "No payout yet.",
        payee: "Payee",
        run: "Run",
        bank_account: "Bank account",
        returned: "Returned",
        return_reason: "Bank's reason",
        record_return: "Record return",
        payout_returned: "The return is recorded; a later run pays the amount again.",
        return_reason_invalid: "Write the bank's reason for the return, at most 256 bytes \
                                long.",
        vendor_terms: "Fee and settlement",
        fee_rate_ppm: "Monthly fee, ppm",
        set_fee: "Set fee",
        fee_set: "The vendor's fee is set; it prices this month and those after.",
        fee_rate_invalid: "Give the fee in parts per million, from 0 to 1000000 (50000 is 5%).",
        threshold: "Threshold (0: none)",
        minimum: "Minimum (0: any)",
        schedule_kind: "Schedule",
        schedule_weekly: "Weekly",
        schedule_twice_monthly: "Twice a month",
        schedule_monthly: "Monthly",
        schedule_day: "Day (weekly 1-7, twice a month 1-15, monthly 1-31)",
        iban: "IBAN",
        bic: "BIC (optional)",
        account_name: "Account holder",
        set_settlement: "Set settlement",
        settlement_set: "The vendor's settlement settings are set; the bank account is kept \
                         encrypted.",
        settlement_amount_invalid: "Give the threshold and the minimum as amounts, such as \
                                    100.00 (0 for none).",
        schedule_invalid: "Choose a schedule and its day: 1-7 weekly (Monday is 1), 1-15 twice \
                           a month, 1-31 monthly (31 is the month's last day).",
        bank_account_invalid: "The bank details were not accepted: check the IBAN, the BIC (8 \
                               or 11 characters) and the account holder (1 to 70 characters), \
                               then type them again.",
    };
}
