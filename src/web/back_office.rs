//! The operators' back-office pages ([0074], [0261]-[0262]): the disputes queue, security
//! groups, the audit log, vendors, members, and settlement runs with their payouts, in the
//! office frame (`web::office`: sign-in, the menu, the home page, the error page).
//!
//! Pure rendering, like the buy window's pages: each page is `fn(&View, Lang) -> String`, a
//! full HTML5 document in the buy window's frame and stylesheet (so one CSP hash serves both),
//! from plain data the HTTP layer already has. What an operator may do is decided there: a
//! view carries only the menu links, forms and buttons the operator's functions grant, so a
//! function not granted is not shown (the router refuses it too). Element ids, classes and
//! field names are the browser tests' contract. The texts are [`BackOfficeStrings`] and
//! [`MemberSettlementStrings`], declared here and written in `i18n/back_office_*.rs`. Depends
//! on `maud`, `domain::money`, `domain::vendor_standing::VendorStatus` and the rest of `web`.

use maud::{Markup, html};

use crate::domain::money::{Amount, Currency};
use crate::domain::vendor_standing::VendorStatus;
use crate::web::i18n::{BACK_OFFICE_EN, BACK_OFFICE_JA, BACK_OFFICE_PT_BR, Lang, Problem};
use crate::web::layout::hidden_fields;
use crate::web::money::display_amount;
use crate::web::office::{self, OfficeStrings, Said, page, when};

pub use crate::web::office::{ErrorView, SignInError, SignInView, Who};

/// The back office, as the office frame (`web::office`) knows it.
#[derive(Clone, Copy, Debug)]
pub struct BackOffice;

impl office::Office for BackOffice {
    type Section = Section;
    type Notice = Notice;
    type FormError = FormError;

    fn frame(lang: Lang) -> &'static OfficeStrings {
        &strings(lang).frame
    }

    fn problem(code: &str, lang: Lang) -> Option<&'static Problem> {
        let s = strings(lang);
        match code {
            "dispute_unknown" | "vendor_unknown" => Some(&s.frame.problems.not_found),
            "dispute_decided_already" | "vendor_decided_already" => Some(&s.decided_already),
            _ => s.frame.problems.get(code),
        }
    }
}

/// The frame of a back-office page.
pub type Desk<'a> = office::Desk<'a, BackOffice>;

/// One link of the back office's menu.
pub type NavLink<'a> = office::NavLink<'a, Section>;

/// Every sentence of the back office's pages in one language: the operators' sign-in, the
/// menu, the disputes queue, security groups, the audit log and vendors. Apart from the
/// member's [`Strings`](crate::web::i18n::Strings) because the two are read by different people and grow apart.
#[derive(Debug)]
pub struct BackOfficeStrings {
    /// The frame's words: sign-in, the line above the menu, the home page, the error page.
    pub frame: OfficeStrings,

    /// Menu link to the disputes queue.
    pub disputes: &'static str,
    /// What the disputes queue is for (home page).
    pub disputes_task: &'static str,
    /// Menu link to the security groups.
    pub security_groups: &'static str,
    /// What the security groups page is for (home page).
    pub security_groups_task: &'static str,
    /// Menu link to the audit log.
    pub audit: &'static str,
    /// What the audit log is for (home page).
    pub audit_task: &'static str,
    /// Menu link to the vendors.
    pub vendors: &'static str,
    /// What the vendors page is for (home page).
    pub vendors_task: &'static str,

    /// Disputes queue heading.
    pub disputes_heading: &'static str,
    /// Under it: order, and what each decision does.
    pub disputes_intro: &'static str,
    /// The queue is empty.
    pub disputes_empty: &'static str,
    /// Column: when the dispute was filed.
    pub filed: &'static str,
    /// Column: the disputed amount.
    pub amount: &'static str,
    /// Column: the selling vendor.
    pub vendor: &'static str,
    /// Column: the member's reason.
    pub member_reason: &'static str,
    /// Column: the decision form.
    pub decision: &'static str,
    /// Label of the operator's reason.
    pub your_reason: &'static str,
    /// Approve button.
    pub approve: &'static str,
    /// Reject button.
    pub reject: &'static str,
    /// Form error: the reason is empty or too long.
    pub reason_invalid: &'static str,
    /// Notice after an approval.
    pub dispute_approved: &'static str,
    /// Notice after a rejection.
    pub dispute_rejected: &'static str,
    /// Link to the next page of a list.
    pub next_page: &'static str,

    /// Security groups heading.
    pub groups_heading: &'static str,
    /// Under it: the one rule of delegation.
    pub groups_intro: &'static str,
    /// No group exists.
    pub groups_empty: &'static str,
    /// Column and field: a name.
    pub name: &'static str,
    /// Column: the functions a group grants.
    pub functions: &'static str,
    /// Column: when it was created.
    pub created: &'static str,
    /// Heading of the form that creates a group.
    pub create_group_heading: &'static str,
    /// Legend of the function checkboxes.
    pub functions_legend: &'static str,
    /// Create button.
    pub create_group: &'static str,
    /// Form error: the name is empty or too long.
    pub name_invalid: &'static str,
    /// Notice after a group is created.
    pub group_created: &'static str,

    /// Audit log heading.
    pub audit_heading: &'static str,
    /// Under it: what an entry holds.
    pub audit_intro: &'static str,
    /// Filter field: who acted.
    pub actor: &'static str,
    /// Hint under it: what an actor is written as.
    pub actor_hint: &'static str,
    /// Filter field: the function.
    pub function: &'static str,
    /// The function filter's "no filter" choice.
    pub any_function: &'static str,
    /// Filter button.
    pub filter: &'static str,
    /// Column: when.
    pub at: &'static str,
    /// Column: the call (method and path).
    pub call: &'static str,
    /// Column: what it changed.
    pub change: &'static str,
    /// Column: the status it answered.
    pub outcome: &'static str,
    /// An outcome a crash left unknown.
    pub outcome_unknown: &'static str,
    /// No entry matches the filter.
    pub audit_empty: &'static str,
    /// Form error: the actor is neither `admin_key` nor an operator id.
    pub actor_invalid: &'static str,

    /// Vendors heading.
    pub vendors_heading: &'static str,
    /// Under it: what approving does.
    pub vendors_intro: &'static str,
    /// No vendor exists.
    pub vendors_empty: &'static str,
    /// Column: the vendor's id.
    pub id: &'static str,
    /// Column: the vendor's currency.
    pub currency: &'static str,
    /// Column: the vendor's status.
    pub status: &'static str,
    /// Status: waiting for an operator.
    pub status_pending: &'static str,
    /// Status: may sell.
    pub status_approved: &'static str,
    /// Status: refused.
    pub status_rejected: &'static str,
    /// Label of the MSP's fee on a vendor, in parts per million (needed to approve).
    pub fee_ppm: &'static str,
    /// Form error: an approval without a fee of 0 to 1,000,000 ppm.
    pub fee_invalid: &'static str,
    /// Notice after a vendor is approved.
    pub vendor_approved: &'static str,
    /// Notice after a vendor is rejected.
    pub vendor_rejected: &'static str,
    /// `dispute_decided_already`, `vendor_decided_already`: someone decided it first.
    pub decided_already: Problem,
}

/// Every sentence of the back office's pages in `lang`.
#[must_use]
pub const fn strings(lang: Lang) -> &'static BackOfficeStrings {
    lang.pick(&BACK_OFFICE_EN, &BACK_OFFICE_JA, &BACK_OFFICE_PT_BR)
}

/// Every sentence of the members and settlement pages in one language. Apart from
/// [`BackOfficeStrings`] only because the two were written apart; the texts
/// themselves live beside the others in `web/i18n/back_office_*.rs`, each language one
/// `const` of all the fields, so a sentence missing from one is a compile error.
#[derive(Debug)]
pub struct MemberSettlementStrings {
    /// Menu link to the members page.
    pub members: &'static str,
    /// What the members page is for (home page).
    pub members_task: &'static str,
    /// Menu link to the settlement page.
    pub settlement: &'static str,
    /// What the settlement page is for (home page).
    pub settlement_task: &'static str,

    /// Members page heading.
    pub members_heading: &'static str,
    /// Under it: how to look a member up, and that personal data is masked.
    pub members_intro: &'static str,
    /// Label of the lookup field.
    pub lookup_label: &'static str,
    /// Placeholder of the lookup field: what it takes.
    pub lookup_hint: &'static str,
    /// Lookup button.
    pub look_up: &'static str,
    /// Form error: neither a member id nor an e-mail.
    pub member_invalid: &'static str,
    /// Form error: no member has this id or e-mail.
    pub member_unknown: &'static str,
    /// Shown when the operator may not see personal data.
    pub personal_data_masked: &'static str,
    /// Row: the member's id.
    pub member_id: &'static str,
    /// Row: the e-mail the member was looked up by.
    pub member_email: &'static str,
    /// Row: whether the member may buy.
    pub standing: &'static str,
    /// The member may buy.
    pub active: &'static str,
    /// The member froze the account: no purchase until unfrozen.
    pub frozen: &'static str,
    /// The holder closed the account (the date follows): personal data erased.
    pub closed: &'static str,
    /// Row: how many entitlements the member holds.
    pub entitlements: &'static str,
    /// Wallets heading.
    pub wallets_heading: &'static str,
    /// No wallet is open.
    pub wallets_empty: &'static str,
    /// Column: paid balance.
    pub paid: &'static str,
    /// Column: incentive balance.
    pub incentive: &'static str,
    /// Column: credit line.
    pub credit_line: &'static str,
    /// Column: debt owed to the service.
    pub debt: &'static str,
    /// Column: what a purchase could spend now.
    pub available: &'static str,
    /// Limits heading.
    pub limits_heading: &'static str,
    /// No limit is set.
    pub limits_empty: &'static str,
    /// Column: largest single purchase.
    pub per_transaction: &'static str,
    /// Column: most spent under one session.
    pub per_session: &'static str,
    /// Column: most spent in a day.
    pub per_day: &'static str,
    /// Column: most spent in a week.
    pub per_week: &'static str,
    /// Column: most spent in a month.
    pub per_month: &'static str,
    /// Column: the vendors the member allows.
    pub vendors_allowed: &'static str,
    /// A limit that is not set.
    pub no_limit: &'static str,
    /// Every vendor is allowed.
    pub any_vendor: &'static str,
    /// Payment methods heading.
    pub payment_methods_heading: &'static str,
    /// No payment method is saved.
    pub payment_methods_empty: &'static str,
    /// Column: card or bank account.
    pub kind: &'static str,
    /// Column: the card's brand.
    pub brand: &'static str,
    /// Column: the last digits.
    pub last4: &'static str,
    /// A card.
    pub kind_card: &'static str,
    /// A bank account.
    pub kind_bank: &'static str,
    /// Recent purchases heading.
    pub purchases_heading: &'static str,
    /// No purchase yet.
    pub purchases_empty: &'static str,
    /// Column: when bought.
    pub bought: &'static str,
    /// A purchase reversed since.
    pub reversed: &'static str,

    /// Settlement page heading.
    pub settlement_heading: &'static str,
    /// Under it: what a run does.
    pub settlement_intro: &'static str,
    /// Heading of the form that starts a run.
    pub start_run_heading: &'static str,
    /// Under it: what a forced run pays.
    pub start_run_intro: &'static str,
    /// The button that starts a forced run.
    pub start_run: &'static str,
    /// Notice after a run.
    pub run_started: &'static str,
    /// Runs heading.
    pub runs_heading: &'static str,
    /// No run yet.
    pub runs_empty: &'static str,
    /// Column: when a run started.
    pub started: &'static str,
    /// Column: whether an operator forced it.
    pub forced: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Column: the run's payment file.
    pub file: &'static str,
    /// A run not finished yet.
    pub run_open: &'static str,
    /// A finished run that paid nobody, so wrote no file.
    pub run_without_file: &'static str,
    /// "and {n} more" under a run's first payouts.
    pub more_payouts: fn(usize) -> String,
    /// Payouts heading.
    pub payouts_heading: &'static str,
    /// No payout yet.
    pub payouts_empty: &'static str,
    /// Column: who is paid.
    pub payee: &'static str,
    /// Column: the run that made a payout.
    pub run: &'static str,
    /// Column: the bank account, masked.
    pub bank_account: &'static str,
    /// Column: returned by the bank, or the return form.
    pub returned: &'static str,
    /// Label of the bank's reason for a return.
    pub return_reason: &'static str,
    /// The button that records a return.
    pub record_return: &'static str,
    /// Notice after a return is recorded.
    pub payout_returned: &'static str,
    /// Form error: the return's reason is empty or too long.
    pub return_reason_invalid: &'static str,

    /// Vendors page column: the fee and settlement forms of an approved vendor.
    pub vendor_terms: &'static str,
    /// Label of the flat monthly fee rate, ppm.
    pub fee_rate_ppm: &'static str,
    /// The button that sets the fee.
    pub set_fee: &'static str,
    /// Notice after a fee is set.
    pub fee_set: &'static str,
    /// Form error: the fee rate is not 0 to 1,000,000 ppm.
    pub fee_rate_invalid: &'static str,
    /// Label of the payout threshold (an amount; 0 for none).
    pub threshold: &'static str,
    /// Label of the minimum paid on a scheduled date (an amount; 0 for any).
    pub minimum: &'static str,
    /// Label of the schedule's kind.
    pub schedule_kind: &'static str,
    /// Paid weekly.
    pub schedule_weekly: &'static str,
    /// Paid twice a month.
    pub schedule_twice_monthly: &'static str,
    /// Paid monthly.
    pub schedule_monthly: &'static str,
    /// Label of the schedule's day, with what it means for each kind.
    pub schedule_day: &'static str,
    /// Label of the IBAN.
    pub iban: &'static str,
    /// Label of the BIC (optional).
    pub bic: &'static str,
    /// Label of the account holder's name.
    pub account_name: &'static str,
    /// The button that sets the settlement settings.
    pub set_settlement: &'static str,
    /// Notice after the settlement settings are set.
    pub settlement_set: &'static str,
    /// Form error: the threshold or the minimum is not an amount.
    pub settlement_amount_invalid: &'static str,
    /// Form error: the schedule's kind or day is invalid.
    pub schedule_invalid: &'static str,
    /// Form error: the IBAN, BIC or account holder's name is invalid (none is shown again).
    pub bank_account_invalid: &'static str,
}

/// The sentences of the members and settlement pages in `lang`.
#[must_use]
pub const fn member_settlement_strings(lang: Lang) -> &'static MemberSettlementStrings {
    lang.pick(
        &MemberSettlementStrings::EN,
        &MemberSettlementStrings::JA,
        &MemberSettlementStrings::PT_BR,
    )
}

/// A page of the back office, as the menu names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The home page: the menu and what each page is for.
    Home,
    /// The disputes waiting for an operator.
    Disputes,
    /// Security groups, and creating one.
    SecurityGroups,
    /// The audit log.
    Audit,
    /// Vendors, and approving those that registered themselves.
    Vendors,
    /// A member's account, looked up by id or e-mail.
    Members,
    /// Settlement runs, payouts, and starting a run.
    Settlement,
}

impl Section {
    /// Every page, in the menu's order.
    pub const ALL: [Section; 7] = [
        Section::Home,
        Section::Disputes,
        Section::SecurityGroups,
        Section::Audit,
        Section::Vendors,
        Section::Members,
        Section::Settlement,
    ];
}

impl office::Section for Section {
    const HOME: Section = Section::Home;

    fn nav_id(self) -> &'static str {
        match self {
            Section::Home => "nav-home",
            Section::Disputes => "nav-disputes",
            Section::SecurityGroups => "nav-security-groups",
            Section::Audit => "nav-audit",
            Section::Vendors => "nav-vendors",
            Section::Members => "nav-members",
            Section::Settlement => "nav-settlement",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        let (s, m) = (strings(lang), member_settlement_strings(lang));
        match self {
            Section::Home => s.frame.home,
            Section::Disputes => s.disputes,
            Section::SecurityGroups => s.security_groups,
            Section::Audit => s.audit,
            Section::Vendors => s.vendors,
            Section::Members => m.members,
            Section::Settlement => m.settlement,
        }
    }

    fn task(self, lang: Lang) -> Option<&'static str> {
        let (s, m) = (strings(lang), member_settlement_strings(lang));
        match self {
            Section::Home => None,
            Section::Disputes => Some(s.disputes_task),
            Section::SecurityGroups => Some(s.security_groups_task),
            Section::Audit => Some(s.audit_task),
            Section::Vendors => Some(s.vendors_task),
            Section::Members => Some(m.members_task),
            Section::Settlement => Some(m.settlement_task),
        }
    }
}

/// What just happened, shown once at the top of the page a form redirected to (`?done=`).
/// A fixed set of codes rather than text in the URL, so a link cannot make the page say
/// anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A dispute was approved.
    DisputeApproved,
    /// A dispute was rejected.
    DisputeRejected,
    /// A security group was created.
    GroupCreated,
    /// A vendor was approved.
    VendorApproved,
    /// A vendor was rejected.
    VendorRejected,
    /// A settlement run was made.
    RunStarted,
    /// A payout's return was recorded.
    PayoutReturned,
    /// A vendor's fee was set.
    VendorFeeSet,
    /// A vendor's settlement settings were set.
    VendorSettlementSet,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 9] = [
        Notice::DisputeApproved,
        Notice::DisputeRejected,
        Notice::GroupCreated,
        Notice::VendorApproved,
        Notice::VendorRejected,
        Notice::RunStarted,
        Notice::PayoutReturned,
        Notice::VendorFeeSet,
        Notice::VendorSettlementSet,
    ];
}

impl office::Notice for Notice {
    fn code(self) -> &'static str {
        match self {
            Notice::DisputeApproved => "dispute_approved",
            Notice::DisputeRejected => "dispute_rejected",
            Notice::GroupCreated => "group_created",
            Notice::VendorApproved => "vendor_approved",
            Notice::VendorRejected => "vendor_rejected",
            Notice::RunStarted => "settlement_run_started",
            Notice::PayoutReturned => "payout_returned",
            Notice::VendorFeeSet => "vendor_fee_set",
            Notice::VendorSettlementSet => "vendor_settlement_set",
        }
    }

    fn from_code(code: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|notice| notice.code() == code)
    }
}

impl Said for Notice {
    fn text(self, lang: Lang) -> &'static str {
        let (s, m) = (strings(lang), member_settlement_strings(lang));
        match self {
            Notice::DisputeApproved => s.dispute_approved,
            Notice::DisputeRejected => s.dispute_rejected,
            Notice::GroupCreated => s.group_created,
            Notice::VendorApproved => s.vendor_approved,
            Notice::VendorRejected => s.vendor_rejected,
            Notice::RunStarted => m.run_started,
            Notice::PayoutReturned => m.payout_returned,
            Notice::VendorFeeSet => m.fee_set,
            Notice::VendorSettlementSet => m.settlement_set,
        }
    }
}

/// Why a page's form is shown again, at the top of the page as `p#form-error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// A decision's reason is empty or longer than 256 bytes.
    ReasonInvalid,
    /// A group's name is empty or longer than 256 bytes.
    NameInvalid,
    /// The audit filter's actor is neither `admin_key` nor an operator id.
    ActorInvalid,
    /// A vendor's approval lacks a fee of 0 to 1,000,000 ppm.
    FeeInvalid,
    /// The member lookup is neither a member id nor an e-mail address.
    MemberInvalid,
    /// No member has the id or e-mail looked up.
    MemberUnknown,
    /// A payout return's reason is empty or longer than 256 bytes.
    ReturnReasonInvalid,
    /// A vendor's fee rate is not 0 to 1,000,000 ppm.
    FeeRateInvalid,
    /// A settlement threshold or minimum is not an amount.
    SettlementAmountInvalid,
    /// A settlement schedule's kind or day is invalid.
    ScheduleInvalid,
    /// A settlement's IBAN, BIC or account holder's name is invalid.
    BankAccountInvalid,
}

impl Said for FormError {
    fn text(self, lang: Lang) -> &'static str {
        let (s, m) = (strings(lang), member_settlement_strings(lang));
        match self {
            FormError::ReasonInvalid => s.reason_invalid,
            FormError::NameInvalid => s.name_invalid,
            FormError::ActorInvalid => s.actor_invalid,
            FormError::FeeInvalid => s.fee_invalid,
            FormError::MemberInvalid => m.member_invalid,
            FormError::MemberUnknown => m.member_unknown,
            FormError::ReturnReasonInvalid => m.return_reason_invalid,
            FormError::FeeRateInvalid => m.fee_rate_invalid,
            FormError::SettlementAmountInvalid => m.settlement_amount_invalid,
            FormError::ScheduleInvalid => m.schedule_invalid,
            FormError::BankAccountInvalid => m.bank_account_invalid,
        }
    }
}

/// One pending dispute in the queue.
#[derive(Clone, Copy, Debug)]
pub struct DisputeRow<'a> {
    /// Its id (`tr[data-dispute]`).
    pub id: &'a str,
    /// Where its decision form posts.
    pub action: &'a str,
    /// When it was filed, as the HTTP layer writes times (RFC 3339).
    pub filed_at: &'a str,
    /// What the purchase charged, and an approval refunds.
    pub amount: Amount,
    /// Its currency.
    pub currency: Currency,
    /// The selling vendor's name.
    pub vendor: &'a str,
    /// The member's reason, in their words.
    pub reason: &'a str,
}

/// The disputes queue.
#[derive(Clone, Debug)]
pub struct DisputesView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Pending disputes, oldest filed first.
    pub rows: &'a [DisputeRow<'a>],
    /// Whether the operator holds `disputes.decide`: without it, no form is rendered.
    pub can_decide: bool,
    /// `a#next`: the next page of the queue, when there is one.
    pub next_href: Option<&'a str>,
}

/// One security group.
#[derive(Clone, Debug)]
pub struct GroupRow<'a> {
    /// Its id (`tr[data-group]`).
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The functions it grants, sorted.
    pub functions: Vec<&'a str>,
    /// When it was created (RFC 3339).
    pub created_at: &'a str,
}

/// The form that creates a group, for an operator holding `security_groups.create`.
#[derive(Clone, Debug)]
pub struct CreateGroup<'a> {
    /// Where `form#create-group` posts.
    pub action: &'a str,
    /// One checkbox each: the functions the operator holds, and no other.
    pub functions: Vec<&'a str>,
    /// The name typed before, refilled after a refusal.
    pub name: Option<&'a str>,
    /// The boxes checked before, checked again after a refusal.
    pub checked: Vec<&'a str>,
}

/// The security groups page.
#[derive(Clone, Debug)]
pub struct GroupsView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Every group, oldest first.
    pub groups: Vec<GroupRow<'a>>,
    /// The create form, when the operator may create groups.
    pub create: Option<CreateGroup<'a>>,
}

/// One call in the audit log.
#[derive(Clone, Copy, Debug)]
pub struct AuditRow<'a> {
    /// Its position in the trail (`tr[data-position]`).
    pub position: u64,
    /// When (RFC 3339).
    pub at: &'a str,
    /// `admin_key` or the operator's id.
    pub actor: &'a str,
    /// The security function.
    pub function: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The path called.
    pub target: &'a str,
    /// What it changed, secrets redacted.
    pub change: &'a str,
    /// The status it answered; `None` when a crash left it unknown.
    pub status: Option<u16>,
}

/// The audit log with its filter.
#[derive(Clone, Debug)]
pub struct AuditView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where `form#audit-filter` sends its GET.
    pub action: &'a str,
    /// The `?lang=` to keep when filtering, if the reader chose one.
    pub lang_field: Option<&'a str>,
    /// The actor filtered on, refilled.
    pub actor: &'a str,
    /// The function filtered on, preselected.
    pub function: Option<&'a str>,
    /// Every security function, for `select#function`.
    pub functions: &'a [&'a str],
    /// The matching calls, oldest first.
    pub rows: &'a [AuditRow<'a>],
    /// `a#next`: read on, when the trail goes on.
    pub next_href: Option<&'a str>,
}

/// An Approve / Reject form (`form.{class}`: `approve=yes|no` from the button pressed, and
/// the operator's `reason`), with `extra` fields before the buttons.
fn decision_form(
    class: &str,
    action: &str,
    csrf: &str,
    s: &BackOfficeStrings,
    extra: Option<Markup>,
) -> Markup {
    html! {
        form class={ (class) " inline" } method="post" action=(action) {
            (hidden_fields(csrf, None))
            input.input type="text" name="reason" maxlength="256" required
                aria-label=(s.your_reason) placeholder=(s.your_reason);
            @if let Some(extra) = extra { (extra) }
            button.approve.btn.small.primary type="submit" name="approve" value="yes" {
                (s.approve)
            }
            button.reject.btn.small.danger type="submit" name="approve" value="no" {
                (s.reject)
            }
        }
    }
}

/// The MSP's fee on a vendor being approved, parts per million.
fn fee_field(s: &BackOfficeStrings) -> Markup {
    html! {
        input.input type="number" name="fee_ppm" min="0" max="1000000" step="1"
            aria-label=(s.fee_ppm) placeholder=(s.fee_ppm);
    }
}

/// A vendor's status in the reader's words.
fn status_text(status: VendorStatus, s: &BackOfficeStrings) -> &'static str {
    match status {
        VendorStatus::Pending => s.status_pending,
        VendorStatus::Approved => s.status_approved,
        VendorStatus::Rejected => s.status_rejected,
    }
}

/// One vendor.
#[derive(Clone, Copy, Debug)]
pub struct VendorRow<'a> {
    /// Its id (`tr[data-vendor]`).
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// ISO 4217 code of its prices.
    pub currency: &'a str,
    /// Where it stands.
    pub status: VendorStatus,
    /// Where its approval form posts.
    pub action: &'a str,
    /// Where its fee form posts.
    pub fee_action: &'a str,
    /// Where its settlement form posts.
    pub settlement_action: &'a str,
}

/// The vendors page.
#[derive(Clone, Debug)]
pub struct VendorsView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// The vendors, pending first.
    pub rows: &'a [VendorRow<'a>],
    /// Whether the operator holds `vendors.approve`: without it, no form is rendered.
    pub can_approve: bool,
    /// Whether the operator holds `fees.update`: the fee form of each approved vendor.
    pub can_set_fee: bool,
    /// Whether the operator holds `settlement_settings.update`: the settlement form of each
    /// approved vendor.
    pub can_set_settlement: bool,
}

/// One wallet of a member, as `GET /admin/v1/members/{id}` writes it (wire amounts).
#[derive(Clone, Copy, Debug)]
pub struct WalletRow<'a> {
    /// ISO 4217 code (`tr[data-currency]`).
    pub currency: &'a str,
    /// Paid balance (negative while drawing on the credit line).
    pub paid: &'a str,
    /// Incentive balance.
    pub incentive: &'a str,
    /// How far below zero the paid balance may go.
    pub credit_line: &'a str,
    /// Owed to the service.
    pub debt: &'a str,
    /// What a purchase could spend now.
    pub available: &'a str,
}

/// A member's limits in one currency (wire amounts; `None` for a limit not set).
#[derive(Clone, Debug)]
pub struct LimitsRow<'a> {
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Largest single purchase.
    pub per_transaction: Option<&'a str>,
    /// Most spent under one session.
    pub per_session: Option<&'a str>,
    /// Most spent in one day.
    pub per_day: Option<&'a str>,
    /// Most spent in one week.
    pub per_week: Option<&'a str>,
    /// Most spent in one month.
    pub per_month: Option<&'a str>,
    /// The vendors allowed; `None` for every vendor.
    pub vendors_allowed: Option<Vec<&'a str>>,
}

/// A saved payment method, masked or not as the operator may see it.
#[derive(Clone, Copy, Debug)]
pub struct PaymentMethodRow<'a> {
    /// Its id (`tr[data-payment-method]`).
    pub id: &'a str,
    /// `card` or `bank`.
    pub kind: &'a str,
    /// The card's brand; `bank` for a bank account.
    pub brand: &'a str,
    /// The last digits (`td.last4`), or their mask.
    pub last4: &'a str,
}

/// One of a member's recent purchases.
#[derive(Clone, Copy, Debug)]
pub struct PurchaseRow<'a> {
    /// Its authorization id (`tr[data-authorization]`).
    pub authorization_id: &'a str,
    /// The selling vendor's id.
    pub vendor: &'a str,
    /// What was paid, wire amount.
    pub price: &'a str,
    /// Its currency.
    pub currency: &'a str,
    /// When (RFC 3339).
    pub purchased_at: &'a str,
    /// Reversed since.
    pub reversed: bool,
}

/// A member's account, as the operator may see it.
#[derive(Clone, Debug)]
pub struct MemberCard<'a> {
    /// The member's id (`section#member[data-member]`).
    pub id: &'a str,
    /// The e-mail the member was looked up by, masked unless the operator may read personal
    /// data; `None` when looked up by id.
    pub email: Option<&'a str>,
    /// Whether personal data is masked (then `p#personal-data-masked` says so).
    pub masked: bool,
    /// Frozen accounts cannot buy.
    pub frozen: bool,
    /// When the holder closed the account (RFC 3339): its personal data is erased.
    pub closed_at: Option<&'a str>,
    /// Entitlements held.
    pub entitlement_count: usize,
    /// One per currency.
    pub wallets: Vec<WalletRow<'a>>,
    /// Limits per currency.
    pub limits: Vec<LimitsRow<'a>>,
    /// Saved payment methods.
    pub payment_methods: Vec<PaymentMethodRow<'a>>,
    /// The newest purchases, newest first.
    pub purchases: Vec<PurchaseRow<'a>>,
}

/// The members page: the lookup form and, when one was found, the member.
#[derive(Clone, Debug)]
pub struct MembersView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where `form#member-lookup` sends its GET.
    pub action: &'a str,
    /// The `?lang=` to keep when looking up, if the reader chose one.
    pub lang_field: Option<&'a str>,
    /// What was looked up, refilled.
    pub typed: &'a str,
    /// The member found.
    pub member: Option<MemberCard<'a>>,
}

/// Where a settlement run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState<'a> {
    /// Started, its file not yet written (a crash, or a failed write, left it open).
    Open,
    /// Finished without payouts, so without a file.
    NoFile,
    /// Finished: the payment file's name.
    Filed(&'a str),
}

/// One payout of a run, in the run's row.
#[derive(Clone, Copy, Debug)]
pub struct RunPayout<'a> {
    /// Its id (`li[data-payout]`).
    pub id: &'a str,
    /// The payee's name (or id when unknown).
    pub payee: &'a str,
    /// How much.
    pub amount: Amount,
    /// In which currency.
    pub currency: Currency,
}

/// A settlement run.
#[derive(Clone, Debug)]
pub struct RunRow<'a> {
    /// Its id (`tr[data-run]`).
    pub id: &'a str,
    /// When it started (RFC 3339).
    pub started_at: &'a str,
    /// Whether an operator forced it.
    pub forced: bool,
    /// Where it stands.
    pub state: RunState<'a>,
    /// Its first payouts, in file order.
    pub payouts: Vec<RunPayout<'a>>,
    /// How many more it has than shown.
    pub more: usize,
}

/// A returned payout: why and when.
#[derive(Clone, Copy, Debug)]
pub struct ReturnedRow<'a> {
    /// The bank's reason.
    pub reason: &'a str,
    /// When it was recorded (RFC 3339).
    pub at: &'a str,
}

/// One payout in the payouts list.
#[derive(Clone, Copy, Debug)]
pub struct PayoutRow<'a> {
    /// Its id (`tr[data-payout]`).
    pub id: &'a str,
    /// The run that made it.
    pub run: &'a str,
    /// The payee's id (`td.payee[data-payee]`).
    pub payee_id: &'a str,
    /// The payee's name (or id when unknown).
    pub payee: &'a str,
    /// How much.
    pub amount: Amount,
    /// In which currency.
    pub currency: Currency,
    /// When it was made (RFC 3339).
    pub paid_at: &'a str,
    /// Where to, masked.
    pub bank_account: &'a str,
    /// Set when the bank returned it.
    pub returned: Option<ReturnedRow<'a>>,
    /// Where its return form posts.
    pub action: &'a str,
}

/// The settlement page.
#[derive(Clone, Debug)]
pub struct SettlementView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where `form#start-run` posts; `None` without `settlement_runs.create`.
    pub start_action: Option<&'a str>,
    /// The newest runs.
    pub runs: &'a [RunRow<'a>],
    /// `a#next-runs`: older runs, when there are.
    pub runs_next_href: Option<&'a str>,
    /// The newest payouts; `None` without `payouts.read` (no list is rendered).
    pub payouts: Option<&'a [PayoutRow<'a>]>,
    /// `a#next-payouts`: older payouts, when there are.
    pub payouts_next_href: Option<&'a str>,
    /// Whether the operator holds `payouts.return`: without it, no return form.
    pub can_return: bool,
}

/// The disputes queue: the pending disputes, each with its decision form when the operator
/// may decide.
#[must_use]
pub fn disputes_page(view: &DisputesView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.disputes_heading) }
        p.lead { (s.disputes_intro) }
        @if view.rows.is_empty() {
            p #disputes-empty .notice.info { (s.disputes_empty) }
        } @else {
            table #disputes .grid {
                thead {
                    tr {
                        th { (s.filed) }
                        th.num { (s.amount) }
                        th { (s.vendor) }
                        th { (s.member_reason) }
                        @if view.can_decide { th { (s.decision) } }
                    }
                }
                tbody {
                    @for row in view.rows {
                        tr.dispute data-dispute=(row.id) {
                            td.filed { (when(row.filed_at)) }
                            td.amount.num { (display_amount(row.amount, row.currency, lang)) }
                            td.seller { (row.vendor) }
                            td.reason { (row.reason) }
                            @if view.can_decide {
                                td {
                                    (decision_form("decision", row.action, view.desk.csrf, s, None))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = view.next_href {
            a #next href=(href) { (s.next_page) }
        }
    };
    page(&view.desk, s.disputes_heading, content, lang)
}

/// The security groups, and the form that creates one from the operator's own functions.
#[must_use]
pub fn groups_page(view: &GroupsView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.groups_heading) }
        p.lead { (s.groups_intro) }
        @if view.groups.is_empty() {
            p #groups-empty .notice.info { (s.groups_empty) }
        } @else {
            table #groups .grid {
                thead { tr { th { (s.name) } th { (s.functions) } th { (s.created) } } }
                tbody {
                    @for group in &view.groups {
                        tr data-group=(group.id) {
                            td.name { (group.name) }
                            td.functions {
                                @for (at, function) in group.functions.iter().enumerate() {
                                    @if at > 0 { ", " }
                                    code { (function) }
                                }
                            }
                            td { (when(group.created_at)) }
                        }
                    }
                }
            }
        }
        @if let Some(create) = &view.create {
            h2 { (s.create_group_heading) }
            form #create-group method="post" action=(create.action) {
                (hidden_fields(view.desk.csrf, None))
                label.field for="group-name" { (s.name) }
                input #group-name .input type="text" name="name" maxlength="256" required
                    value=[create.name];
                fieldset {
                    legend { (s.functions_legend) }
                    div.checks {
                        @for function in &create.functions {
                            label.check {
                                input type="checkbox" name="function" value=(function)
                                    checked[create.checked.contains(function)];
                                code { (function) }
                            }
                        }
                    }
                }
                button #create-group .btn.primary type="submit" { (s.create_group) }
            }
        }
    };
    page(&view.desk, s.groups_heading, content, lang)
}

/// The audit log, filtered by actor and function.
#[must_use]
pub fn audit_page(view: &AuditView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.audit_heading) }
        p.lead { (s.audit_intro) }
        form #audit-filter .filters method="get" action=(view.action) {
            @if let Some(code) = view.lang_field {
                input type="hidden" name="lang" value=(code);
            }
            label {
                span.field { (s.actor) }
                input #actor .input type="text" name="actor" value=(view.actor)
                    placeholder=(s.actor_hint);
            }
            label {
                span.field { (s.function) }
                select #function .input name="function" {
                    option value="" selected[view.function.is_none()] { (s.any_function) }
                    @for function in view.functions {
                        option value=(function) selected[view.function == Some(*function)] {
                            (function)
                        }
                    }
                }
            }
            button #filter .btn.small.secondary type="submit" { (s.filter) }
        }
        @if view.rows.is_empty() {
            p #audit-empty .notice.info { (s.audit_empty) }
        } @else {
            table #audit .grid {
                thead {
                    tr {
                        th { (s.at) } th { (s.actor) } th { (s.function) } th { (s.call) }
                        th { (s.change) } th.num { (s.outcome) }
                    }
                }
                tbody {
                    @for row in view.rows {
                        tr data-position=(row.position) {
                            td { (when(row.at)) }
                            td.actor { code { (row.actor) } }
                            td.function { code { (row.function) } }
                            td.call { (row.method) " " (row.target) }
                            td.change { code { (row.change) } }
                            td.status.num {
                                @match row.status {
                                    Some(status) => { (status) }
                                    None => { (s.outcome_unknown) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = view.next_href {
            a #next href=(href) { (s.next_page) }
        }
    };
    page(&view.desk, s.audit_heading, content, lang)
}

/// The vendors, with an approval form for each pending one when the operator may approve,
/// and a fee form and a settlement form for each approved one as the operator's functions
/// grant.
#[must_use]
pub fn vendors_page(view: &VendorsView<'_>, lang: Lang) -> String {
    let (s, m) = (strings(lang), member_settlement_strings(lang));
    let terms = view.can_set_fee || view.can_set_settlement;
    let content = html! {
        h1 { (s.vendors_heading) }
        p.lead { (s.vendors_intro) }
        @if view.rows.is_empty() {
            p #vendors-empty .notice.info { (s.vendors_empty) }
        } @else {
            table #vendors .grid {
                thead {
                    tr {
                        th { (s.id) } th { (s.name) } th { (s.currency) } th { (s.status) }
                        @if view.can_approve { th { (s.decision) } }
                        @if terms { th { (m.vendor_terms) } }
                    }
                }
                tbody {
                    @for row in view.rows {
                        tr data-vendor=(row.id) {
                            td { code { (row.id) } }
                            td.name { (row.name) }
                            td.currency { (row.currency) }
                            td.status data-status=(row.status.code()) {
                                (status_text(row.status, s))
                            }
                            @if view.can_approve {
                                td {
                                    @if row.status == VendorStatus::Pending {
                                        (decision_form("approval", row.action,
                                            view.desk.csrf, s, Some(fee_field(s))))
                                    }
                                }
                            }
                            @if terms {
                                td.terms {
                                    @if row.status == VendorStatus::Approved {
                                        @if view.can_set_fee {
                                            (fee_schedule_form(row.fee_action, view.desk.csrf, m))
                                        }
                                        @if view.can_set_settlement {
                                            (settlement_form(row.settlement_action,
                                                view.desk.csrf, m))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&view.desk, s.vendors_heading, content, lang)
}

/// The form that sets an approved vendor's fee: one flat rate in ppm, charged monthly (the
/// JSON route takes tiers and quarters too; a page with one field covers the common case).
fn fee_schedule_form(action: &str, csrf: &str, m: &MemberSettlementStrings) -> Markup {
    html! {
        form.fee-schedule.inline method="post" action=(action) {
            (hidden_fields(csrf, None))
            input.input type="number" name="rate_ppm" min="0" max="1000000" step="1" required
                aria-label=(m.fee_rate_ppm) placeholder=(m.fee_rate_ppm);
            button.set-fee.btn.small.primary type="submit" { (m.set_fee) }
        }
    }
}

/// The form that sets when and where an approved vendor is paid. Always empty: the bank
/// details typed are never written back into a page, not even after a refusal.
fn settlement_form(action: &str, csrf: &str, m: &MemberSettlementStrings) -> Markup {
    html! {
        form.settlement.inline method="post" action=(action) autocomplete="off" {
            (hidden_fields(csrf, None))
            input.input type="text" name="threshold" inputmode="decimal" required
                aria-label=(m.threshold) placeholder=(m.threshold);
            input.input type="text" name="minimum" inputmode="decimal" required
                aria-label=(m.minimum) placeholder=(m.minimum);
            select.input name="schedule_kind" aria-label=(m.schedule_kind) {
                option value="weekly" { (m.schedule_weekly) }
                option value="twice_monthly" { (m.schedule_twice_monthly) }
                option value="monthly" selected { (m.schedule_monthly) }
            }
            input.input type="number" name="schedule_day" min="1" max="31" step="1" required
                aria-label=(m.schedule_day) placeholder=(m.schedule_day);
            input.input type="text" name="iban" maxlength="42" required autocomplete="off"
                aria-label=(m.iban) placeholder=(m.iban);
            input.input type="text" name="bic" maxlength="11" autocomplete="off"
                aria-label=(m.bic) placeholder=(m.bic);
            input.input type="text" name="account_name" maxlength="70" required
                autocomplete="off" aria-label=(m.account_name) placeholder=(m.account_name);
            button.set-settlement.btn.small.primary type="submit" { (m.set_settlement) }
        }
    }
}

/// A member looked up by id or e-mail: wallets, limits, payment methods and recent
/// purchases, personal data as the operator may see it.
#[must_use]
pub fn members_page(view: &MembersView<'_>, lang: Lang) -> String {
    let (s, m) = (strings(lang), member_settlement_strings(lang));
    let content = html! {
        h1 { (m.members_heading) }
        p.lead { (m.members_intro) }
        form #member-lookup .filters method="get" action=(view.action) {
            @if let Some(code) = view.lang_field {
                input type="hidden" name="lang" value=(code);
            }
            label {
                span.field { (m.lookup_label) }
                input #member .input type="text" name="member" maxlength="254" required
                    value=(view.typed) placeholder=(m.lookup_hint);
            }
            button #look-up .btn.small.secondary type="submit" { (m.look_up) }
        }
        @if let Some(member) = &view.member {
            (member_card(member, s, m))
        }
    };
    page(&view.desk, m.members_heading, content, lang)
}

/// A member found: `section#member`.
fn member_card(
    member: &MemberCard<'_>,
    s: &BackOfficeStrings,
    m: &MemberSettlementStrings,
) -> Markup {
    let limit = |value: Option<&str>| value.unwrap_or(m.no_limit).to_owned();
    html! {
        section #member data-member=(member.id) {
            @if member.masked {
                p #personal-data-masked .notice.info { (m.personal_data_masked) }
            }
            table #member-facts .grid {
                tbody {
                    tr { th { (m.member_id) } td { code { (member.id) } } }
                    @if let Some(email) = member.email {
                        tr { th { (m.member_email) } td #member-email { (email) } }
                    }
                    tr {
                        th { (m.standing) }
                        td #member-standing data-frozen=(member.frozen)
                            data-closed=(member.closed_at.is_some()) {
                            @if let Some(at) = member.closed_at {
                                (m.closed) " " (when(at))
                            } @else if member.frozen { (m.frozen) } @else { (m.active) }
                        }
                    }
                    tr { th { (m.entitlements) } td.num { (member.entitlement_count) } }
                }
            }
            h2 { (m.wallets_heading) }
            @if member.wallets.is_empty() {
                p #wallets-empty .notice.info { (m.wallets_empty) }
            } @else {
                table #wallets .grid {
                    thead {
                        tr {
                            th { (s.currency) } th.num { (m.paid) }
                            th.num { (m.incentive) } th.num { (m.credit_line) }
                            th.num { (m.debt) } th.num { (m.available) }
                        }
                    }
                    tbody {
                        @for wallet in &member.wallets {
                            tr data-currency=(wallet.currency) {
                                td { (wallet.currency) }
                                td.paid.num { (wallet.paid) }
                                td.num { (wallet.incentive) }
                                td.num { (wallet.credit_line) }
                                td.debt.num { (wallet.debt) }
                                td.num { (wallet.available) }
                            }
                        }
                    }
                }
            }
            h2 { (m.limits_heading) }
            @if member.limits.is_empty() {
                p #limits-empty .notice.info { (m.limits_empty) }
            } @else {
                table #limits .grid {
                    thead {
                        tr {
                            th { (s.currency) } th.num { (m.per_transaction) }
                            th.num { (m.per_session) } th.num { (m.per_day) }
                            th.num { (m.per_week) } th.num { (m.per_month) }
                            th { (m.vendors_allowed) }
                        }
                    }
                    tbody {
                        @for limits in &member.limits {
                            tr data-currency=(limits.currency) {
                                td { (limits.currency) }
                                td.num { (limit(limits.per_transaction)) }
                                td.num { (limit(limits.per_session)) }
                                td.num { (limit(limits.per_day)) }
                                td.num { (limit(limits.per_week)) }
                                td.num { (limit(limits.per_month)) }
                                td {
                                    @match &limits.vendors_allowed {
                                        None => { (m.any_vendor) }
                                        Some(vendors) => {
                                            @for (at, vendor) in vendors.iter().enumerate() {
                                                @if at > 0 { ", " }
                                                code { (vendor) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { (m.payment_methods_heading) }
            @if member.payment_methods.is_empty() {
                p #payment-methods-empty .notice.info { (m.payment_methods_empty) }
            } @else {
                table #payment-methods .grid {
                    thead { tr { th { (m.kind) } th { (m.brand) } th { (m.last4) } } }
                    tbody {
                        @for method in &member.payment_methods {
                            tr data-payment-method=(method.id) {
                                td {
                                    @if method.kind == "bank" { (m.kind_bank) }
                                    @else { (m.kind_card) }
                                }
                                td.brand { (method.brand) }
                                td.last4 { (method.last4) }
                            }
                        }
                    }
                }
            }
            h2 { (m.purchases_heading) }
            @if member.purchases.is_empty() {
                p #purchases-empty .notice.info { (m.purchases_empty) }
            } @else {
                table #purchases .grid {
                    thead {
                        tr {
                            th { (m.bought) } th { (s.vendor) }
                            th.num { (s.amount) } th { (s.currency) }
                            th { (m.reversed) }
                        }
                    }
                    tbody {
                        @for purchase in &member.purchases {
                            tr data-authorization=(purchase.authorization_id) {
                                td { (when(purchase.purchased_at)) }
                                td { code { (purchase.vendor) } }
                                td.price.num { (purchase.price) }
                                td { (purchase.currency) }
                                td.reversed data-reversed=(purchase.reversed) {
                                    @if purchase.reversed { (m.yes) } @else { (m.no) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The settlement runs with their payouts, the form that starts a forced run, and the
/// payouts with a return form each, as the operator's functions grant.
#[must_use]
pub fn settlement_page(view: &SettlementView<'_>, lang: Lang) -> String {
    let (s, m) = (strings(lang), member_settlement_strings(lang));
    let content = html! {
        h1 { (m.settlement_heading) }
        p.lead { (m.settlement_intro) }
        @if let Some(action) = view.start_action {
            h2 { (m.start_run_heading) }
            p { (m.start_run_intro) }
            form #start-run method="post" action=(action) {
                (hidden_fields(view.desk.csrf, None))
                input type="hidden" name="force" value="yes";
                button #run-now .btn.primary type="submit" { (m.start_run) }
            }
        }
        h2 { (m.runs_heading) }
        @if view.runs.is_empty() {
            p #runs-empty .notice.info { (m.runs_empty) }
        } @else {
            table #runs .grid {
                thead {
                    tr {
                        th { (m.started) } th { (s.id) } th { (m.forced) } th { (m.file) }
                        th { (m.payouts_heading) }
                    }
                }
                tbody {
                    @for run in view.runs {
                        tr.run data-run=(run.id) {
                            td { (when(run.started_at)) }
                            td { code { (run.id) } }
                            td.forced data-forced=(run.forced) {
                                @if run.forced { (m.yes) } @else { (m.no) }
                            }
                            td.file {
                                @match run.state {
                                    RunState::Open => { (m.run_open) }
                                    RunState::NoFile => { (m.run_without_file) }
                                    RunState::Filed(name) => { code { (name) } }
                                }
                            }
                            td {
                                ul.run-payouts {
                                    @for payout in &run.payouts {
                                        li data-payout=(payout.id) {
                                            (payout.payee) " "
                                            span.amount {
                                                (display_amount(payout.amount, payout.currency, lang))
                                            }
                                        }
                                    }
                                    @if run.more > 0 {
                                        li.more { ((m.more_payouts)(run.more)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = view.runs_next_href {
            a #next-runs href=(href) { (s.next_page) }
        }
        @if let Some(payouts) = view.payouts {
            h2 { (m.payouts_heading) }
            @if payouts.is_empty() {
                p #payouts-empty .notice.info { (m.payouts_empty) }
            } @else {
                table #payouts .grid {
                    thead {
                        tr {
                            th { (s.id) } th { (m.payee) } th.num { (s.amount) }
                            th { (m.run) } th { (m.bank_account) } th { (m.returned) }
                        }
                    }
                    tbody {
                        @for payout in payouts {
                            tr.payout data-payout=(payout.id) {
                                td { code { (payout.id) } br; (when(payout.paid_at)) }
                                td.payee data-payee=(payout.payee_id) { (payout.payee) }
                                td.amount.num {
                                    (display_amount(payout.amount, payout.currency, lang))
                                }
                                td { code { (payout.run) } }
                                td.bank { (payout.bank_account) }
                                @match payout.returned {
                                    Some(returned) => {
                                        td.returned data-returned="true" {
                                            (returned.reason) br; (when(returned.at))
                                        }
                                    }
                                    None => {
                                        td.returned data-returned="false" {
                                            @if view.can_return {
                                                (return_form(payout.action, view.desk.csrf, m))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = view.payouts_next_href {
                a #next-payouts href=(href) { (s.next_page) }
            }
        }
    };
    page(&view.desk, m.settlement_heading, content, lang)
}

/// The form that records a payout's return: the bank's `reason`.
fn return_form(action: &str, csrf: &str, m: &MemberSettlementStrings) -> Markup {
    html! {
        form.return.inline method="post" action=(action) {
            (hidden_fields(csrf, None))
            input.input type="text" name="reason" maxlength="256" required
                aria-label=(m.return_reason) placeholder=(m.return_reason);
            button.return-payout.btn.small.danger type="submit" { (m.record_return) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::office::Notice as _;
    use crate::web::pages::tests::{
        HOSTILE, assert_document, assert_element, assert_no_element, element_text, usd,
    };

    fn desk(current: Section) -> Desk<'static> {
        Desk {
            who: Who::Person("ops@msp.example"),
            acting_for: None,
            nav: vec![
                NavLink {
                    section: Section::Home,
                    href: "/back-office",
                },
                NavLink {
                    section: Section::Disputes,
                    href: "/back-office/disputes",
                },
            ],
            current,
            csrf: "csrf-token-9",
            sign_out_action: "/back-office/logout",
            notice: None,
            error: None,
        }
    }

    fn row(reason: &'static str) -> DisputeRow<'static> {
        DisputeRow {
            id: "dsp_abc",
            action: "/back-office/disputes/dsp_abc/decision",
            filed_at: "2026-03-10T00:00:00Z",
            amount: Amount::from_micros(250_000),
            currency: usd(),
            vendor: "Daily News",
            reason,
        }
    }

    #[test]
    fn sign_in_page_has_its_contract_in_every_language() {
        for lang in Lang::ALL {
            let s = strings(lang);
            let view = SignInView {
                action: "/back-office/login",
                csrf: "csrf-token-1",
                email: Some("a\"b@msp.example"),
                error: Some(SignInError::WrongCredentials),
            };
            let page = office::sign_in_page::<BackOffice>(&view, lang);
            assert_document(&page, lang);
            let action = r#"action="/back-office/login""#;
            assert_element(&page, "form", "login", &[r#"method="post""#, action]);
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-1">"#));
            assert_element(
                &page,
                "input",
                "email",
                &[r#"value="a&quot;b@msp.example""#],
            );
            assert_element(&page, "input", "password", &[r#"type="password""#]);
            assert_eq!(element_text(&page, "button", "sign-in"), s.frame.sign_in);
            assert_eq!(
                element_text(&page, "p", "login-error"),
                s.frame.wrong_credentials
            );
            assert!(page.contains(s.frame.footer));
            assert!(
                !page.contains(lang.strings().footer),
                "the buy window's footer"
            );
        }
    }

    #[test]
    fn the_menu_shows_only_the_links_given_and_marks_the_current_page() {
        for lang in Lang::ALL {
            let page = office::home_page(&desk(Section::Home), lang);
            assert_document(&page, lang);
            assert_element(&page, "a", "nav-home", &[r#"aria-current="page""#]);
            assert_element(
                &page,
                "a",
                "nav-disputes",
                &[r#"href="/back-office/disputes""#],
            );
            for absent in [
                "nav-security-groups",
                "nav-audit",
                "nav-vendors",
                "home-nothing",
            ] {
                assert_no_element(&page, absent);
            }
            assert!(page.contains(strings(lang).disputes_task));
            assert_element(
                &page,
                "form",
                "sign-out",
                &[r#"action="/back-office/logout""#],
            );
        }
        let mut alone = desk(Section::Home);
        alone.nav = Vec::new();
        alone.who = Who::Key;
        let page = office::home_page(&alone, Lang::En);
        assert_element(&page, "p", "home-nothing", &[]);
        assert_no_element(&page, "sign-out");
    }

    #[test]
    fn the_queue_has_forms_only_for_an_operator_who_may_decide() {
        let rows = [row("It never loaded")];
        let mut view = DisputesView {
            desk: desk(Section::Disputes),
            rows: &rows,
            can_decide: true,
            next_href: None,
        };
        for lang in Lang::ALL {
            let s = strings(lang);
            let page = disputes_page(&view, lang);
            assert_element(&page, "table", "disputes", &[]);
            assert!(page.contains(r#"<tr class="dispute" data-dispute="dsp_abc">"#));
            assert!(page.contains(r#"action="/back-office/disputes/dsp_abc/decision""#));
            assert!(page.contains(r#"name="approve" value="yes""#));
            assert!(page.contains(r#"name="approve" value="no""#));
            assert!(page.contains(r#"name="reason""#));
            assert!(page.contains(s.approve));
            assert!(page.contains(&display_amount(Amount::from_micros(250_000), usd(), lang)));
        }
        view.can_decide = false;
        let page = disputes_page(&view, Lang::En);
        assert!(page.contains("It never loaded"));
        for absent in ["<form class=\"decision", "name=\"approve\"", "/decision"] {
            assert!(!page.contains(absent), "{absent} in {page}");
        }
        view.rows = &[];
        let page = disputes_page(&view, Lang::Ja);
        assert_element(&page, "p", "disputes-empty", &[]);
        assert_no_element(&page, "disputes");
    }

    #[test]
    fn notices_and_errors_come_from_fixed_codes() {
        for notice in Notice::ALL {
            assert_eq!(Notice::from_code(notice.code()), Some(notice));
        }
        assert_eq!(Notice::from_code("<script>"), None);
        let mut frame = desk(Section::Disputes);
        frame.notice = Some(Notice::DisputeApproved);
        frame.error = Some(FormError::ReasonInvalid);
        let view = DisputesView {
            desk: frame,
            rows: &[],
            can_decide: true,
            next_href: Some("/back-office/disputes?cursor=x"),
        };
        for lang in Lang::ALL {
            let s = strings(lang);
            let page = disputes_page(&view, lang);
            assert_element(&page, "p", "notice", &[r#"data-code="dispute_approved""#]);
            assert_eq!(element_text(&page, "p", "notice"), s.dispute_approved);
            assert_eq!(element_text(&page, "p", "form-error"), s.reason_invalid);
            assert_element(&page, "a", "next", &[]);
        }
    }

    #[test]
    fn the_group_form_offers_only_the_functions_given() {
        let view = GroupsView {
            desk: desk(Section::SecurityGroups),
            groups: vec![GroupRow {
                id: "sg_1",
                name: HOSTILE,
                functions: vec!["disputes.read", "audit.read"],
                created_at: "2026-03-10T00:00:00Z",
            }],
            create: Some(CreateGroup {
                action: "/back-office/security-groups",
                functions: vec!["disputes.read"],
                name: None,
                checked: vec!["disputes.read"],
            }),
        };
        let page = groups_page(&view, Lang::PtBr);
        assert!(!page.contains("<script>"), "{page}");
        assert_element(&page, "form", "create-group", &[r#"method="post""#]);
        assert!(page.contains(r#"name="function" value="disputes.read" checked"#));
        assert!(!page.contains(r#"name="function" value="audit.read""#));
        let mut read_only = view.clone();
        read_only.create = None;
        assert_no_element(&groups_page(&read_only, Lang::En), "create-group");
    }

    #[test]
    fn the_audit_page_keeps_its_filter_and_escapes_what_was_called() {
        let rows = [AuditRow {
            position: 7,
            at: "2026-03-10T00:00:00Z",
            actor: "op_0000000000000001",
            function: "disputes.decide",
            method: "POST",
            target: HOSTILE,
            change: r#"{"approve":"yes"}"#,
            status: None,
        }];
        let view = AuditView {
            desk: desk(Section::Audit),
            action: "/back-office/audit",
            lang_field: Some("ja"),
            actor: "op_0000000000000001",
            function: Some("disputes.decide"),
            functions: &["audit.read", "disputes.decide"],
            rows: &rows,
            next_href: None,
        };
        let page = audit_page(&view, Lang::Ja);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains(r#"<option value="disputes.decide" selected>"#));
        assert!(page.contains(r#"<input type="hidden" name="lang" value="ja">"#));
        assert_element(&page, "input", "actor", &[r#"value="op_0000000000000001""#]);
        assert!(page.contains(strings(Lang::Ja).outcome_unknown));
        assert!(page.contains(r#"data-position="7""#));
    }

    #[test]
    fn vendors_have_an_approval_form_only_while_pending() {
        let rows = [
            VendorRow {
                id: "ven_1",
                name: "Pending News",
                currency: "USD",
                status: VendorStatus::Pending,
                action: "/back-office/vendors/ven_1/approval",
                fee_action: "/back-office/vendors/ven_1/fee-schedule",
                settlement_action: "/back-office/vendors/ven_1/settlement",
            },
            VendorRow {
                id: "ven_2",
                name: "Approved News",
                currency: "USD",
                status: VendorStatus::Approved,
                action: "/back-office/vendors/ven_2/approval",
                fee_action: "/back-office/vendors/ven_2/fee-schedule",
                settlement_action: "/back-office/vendors/ven_2/settlement",
            },
        ];
        let mut view = VendorsView {
            desk: desk(Section::Vendors),
            rows: &rows,
            can_approve: true,
            can_set_fee: true,
            can_set_settlement: true,
        };
        let page = vendors_page(&view, Lang::En);
        assert!(page.contains(r#"action="/back-office/vendors/ven_1/approval""#));
        assert!(!page.contains(r#"action="/back-office/vendors/ven_2/approval""#));
        assert!(page.contains(r#"data-status="approved""#));
        // Fee and settlement forms only for the approved vendor.
        assert!(page.contains(r#"action="/back-office/vendors/ven_2/fee-schedule""#));
        assert!(page.contains(r#"action="/back-office/vendors/ven_2/settlement""#));
        assert!(!page.contains("/ven_1/fee-schedule"));
        assert!(!page.contains("/ven_1/settlement"));
        view.can_approve = false;
        assert!(!vendors_page(&view, Lang::En).contains("/approval"));
        view.can_set_fee = false;
        let page = vendors_page(&view, Lang::Ja);
        assert!(!page.contains("/fee-schedule"));
        assert!(page.contains("/ven_2/settlement"));
        view.can_set_settlement = false;
        let page = vendors_page(&view, Lang::PtBr);
        assert!(!page.contains("/ven_2/settlement"));
        assert!(!page.contains("name=\"iban\""));
    }

    #[test]
    fn error_page_has_a_code_and_text_for_each_language() {
        for lang in Lang::ALL {
            let s = strings(lang);
            for code in [
                "csrf_failed",
                "function_not_granted",
                "dispute_decided_already",
                "too_many_attempts",
            ] {
                let view = ErrorView {
                    code,
                    home_href: "/back-office",
                };
                let page = office::error_page::<BackOffice>(&view, lang);
                assert_document(&page, lang);
                let problem = <BackOffice as office::Office>::problem(code, lang).unwrap();
                assert!(page.contains(problem.title), "{code}");
                assert_element(&page, "main", "error", &[&format!(r#"data-code="{code}""#)]);
                assert_element(&page, "a", "home", &[r#"href="/back-office""#]);
            }
            let view = ErrorView {
                code: HOSTILE,
                home_href: "/back-office",
            };
            let page = office::error_page::<BackOffice>(&view, lang);
            assert!(page.contains(s.frame.problem_generic_title));
            assert!(!page.contains("<script>"));
        }
    }

    #[test]
    fn times_are_shown_to_the_minute_and_kept_exact() {
        let shown = when("2026-03-10T09:30:15.250Z").into_string();
        assert_eq!(
            shown,
            r#"<time datetime="2026-03-10T09:30:15.250Z">2026-03-10 09:30 UTC</time>"#
        );
        assert!(when("invalid").into_string().contains(">invalid<"));
    }

    fn member_card() -> MemberCard<'static> {
        MemberCard {
            id: "acct_0000000000000001",
            email: Some("r***@example.com"),
            masked: true,
            frozen: true,
            closed_at: None,
            entitlement_count: 2,
            wallets: vec![WalletRow {
                currency: "USD",
                paid: "4.75",
                incentive: "0.00",
                credit_line: "0.00",
                debt: "0.00",
                available: "4.75",
            }],
            limits: vec![LimitsRow {
                currency: "USD",
                per_transaction: Some("1.00"),
                per_session: None,
                per_day: None,
                per_week: None,
                per_month: None,
                vendors_allowed: Some(vec!["ven_0000000000000001"]),
            }],
            payment_methods: vec![PaymentMethodRow {
                id: "pm_0000000000000001",
                kind: "card",
                brand: "visa",
                last4: "****",
            }],
            purchases: vec![PurchaseRow {
                authorization_id: HOSTILE,
                vendor: "ven_0000000000000001",
                price: "0.25",
                currency: "USD",
                purchased_at: "2026-03-10T00:00:00Z",
                reversed: false,
            }],
        }
    }

    #[test]
    fn the_member_page_shows_the_lookup_and_the_member_in_every_language() {
        let mut view = MembersView {
            desk: desk(Section::Members),
            action: "/back-office/members",
            lang_field: Some("ja"),
            typed: "reader@example.com",
            member: Some(member_card()),
        };
        for lang in Lang::ALL {
            let m = member_settlement_strings(lang);
            let page = members_page(&view, lang);
            assert_document(&page, lang);
            assert!(!page.contains("<script>"), "{page}");
            assert_element(&page, "form", "member-lookup", &[r#"method="get""#]);
            assert_element(&page, "input", "member", &[r#"value="reader@example.com""#]);
            assert!(page.contains(r#"<input type="hidden" name="lang" value="ja">"#));
            assert!(page.contains(r#"data-member="acct_0000000000000001""#));
            assert_eq!(
                element_text(&page, "td", "member-email"),
                "r***@example.com"
            );
            assert_eq!(
                element_text(&page, "p", "personal-data-masked"),
                m.personal_data_masked
            );
            assert_element(
                &page,
                "td",
                "member-standing",
                &[r#"data-frozen="true""#, r#"data-closed="false""#],
            );
            assert!(page.contains(r#"<td class="last4">****</td>"#));
            assert!(page.contains(r#"<td class="paid num">4.75</td>"#));
            assert!(page.contains(m.no_limit));
        }
        let mut card = member_card();
        card.masked = false;
        card.email = None;
        view.member = Some(card);
        let page = members_page(&view, Lang::En);
        assert_no_element(&page, "personal-data-masked");
        assert_no_element(&page, "member-email");
        // A closed account says so, with its date, in place of its standing.
        let mut closed = member_card();
        closed.email = None;
        closed.closed_at = Some("2026-03-10T09:30:15.250Z");
        view.member = Some(closed);
        for lang in Lang::ALL {
            let page = members_page(&view, lang);
            let m = member_settlement_strings(lang);
            assert_element(&page, "td", "member-standing", &[r#"data-closed="true""#]);
            assert!(page.contains(m.closed), "{lang:?}");
            assert!(page.contains("2026-03-10 09:30 UTC"));
            assert!(!page.contains(m.frozen));
        }
        view.member = None;
        assert!(!members_page(&view, Lang::En).contains("data-member="));
    }

    #[test]
    fn the_settlement_page_shows_forms_only_for_the_functions_given() {
        let runs = [RunRow {
            id: "run_0000000000000001",
            started_at: "2026-03-10T00:00:00Z",
            forced: true,
            state: RunState::Filed("run_0000000000000001.xml"),
            payouts: vec![RunPayout {
                id: "pay_0000000000000001",
                payee: HOSTILE,
                amount: Amount::from_micros(1_420_000),
                currency: usd(),
            }],
            more: 3,
        }];
        let payouts = [
            PayoutRow {
                id: "pay_0000000000000001",
                run: "run_0000000000000001",
                payee_id: "ven_0000000000000001",
                payee: "Daily News",
                amount: Amount::from_micros(1_420_000),
                currency: usd(),
                paid_at: "2026-03-10T00:00:00Z",
                bank_account: "DE** **** 3000",
                returned: None,
                action: "/back-office/payouts/pay_0000000000000001/return",
            },
            PayoutRow {
                id: "pay_0000000000000002",
                run: "run_0000000000000001",
                payee_id: "ven_0000000000000002",
                payee: "Corner Shop",
                amount: Amount::from_micros(500_000),
                currency: usd(),
                paid_at: "2026-03-10T00:00:00Z",
                bank_account: "DE** **** 3001",
                returned: Some(ReturnedRow {
                    reason: "AC04 closed account",
                    at: "2026-03-11T00:00:00Z",
                }),
                action: "/back-office/payouts/pay_0000000000000002/return",
            },
        ];
        let mut view = SettlementView {
            desk: desk(Section::Settlement),
            start_action: Some("/back-office/settlement-runs"),
            runs: &runs,
            runs_next_href: Some("/back-office/settlement?runs_cursor=x"),
            payouts: Some(&payouts),
            payouts_next_href: None,
            can_return: true,
        };
        for lang in Lang::ALL {
            let m = member_settlement_strings(lang);
            let page = settlement_page(&view, lang);
            assert_document(&page, lang);
            assert!(!page.contains("<script>"), "{page}");
            assert_element(&page, "form", "start-run", &[r#"method="post""#]);
            assert!(page.contains(r#"<input type="hidden" name="force" value="yes">"#));
            assert!(page.contains(r#"data-run="run_0000000000000001""#));
            assert!(page.contains((m.more_payouts)(3).as_str()));
            assert!(page.contains(&display_amount(Amount::from_micros(1_420_000), usd(), lang)));
            assert!(page.contains(r#"action="/back-office/payouts/pay_0000000000000001/return""#));
            assert!(!page.contains(r#"action="/back-office/payouts/pay_0000000000000002/return""#));
            assert!(page.contains("AC04 closed account"));
            assert_element(&page, "a", "next-runs", &[]);
            assert_no_element(&page, "next-payouts");
        }
        view.start_action = None;
        view.can_return = false;
        let page = settlement_page(&view, Lang::En);
        assert_no_element(&page, "start-run");
        assert!(!page.contains("/return"));
        view.payouts = None;
        view.runs = &[];
        let page = settlement_page(&view, Lang::Ja);
        assert_no_element(&page, "payouts");
        assert_element(&page, "p", "runs-empty", &[]);
    }

    #[test]
    fn translations_are_present() {
        for other in [Lang::Ja, Lang::PtBr] {
            let m = member_settlement_strings(other);
            let en = member_settlement_strings(Lang::En);
            assert_ne!(m.members_intro, en.members_intro);
            assert_ne!(m.settlement_intro, en.settlement_intro);
            assert_ne!(m.personal_data_masked, en.personal_data_masked);
            assert_ne!((m.more_payouts)(2), (en.more_payouts)(2));
            assert!((m.more_payouts)(2).contains('2'));
            let s = strings(other);
            let en = strings(Lang::En);
            assert_ne!(s.frame.sign_in_heading, en.frame.sign_in_heading);
            assert_ne!(s.disputes_intro, en.disputes_intro);
            assert_ne!(s.approve, en.approve);
            assert_ne!(s.groups_intro, en.groups_intro);
            assert_ne!(s.audit_intro, en.audit_intro);
            assert_ne!(s.vendors_intro, en.vendors_intro);
            assert_ne!(
                s.frame.problems.csrf_failed.detail,
                en.frame.problems.csrf_failed.detail
            );
            assert!((s.frame.signed_in_as)("a@b.example").contains("a@b.example"));
        }
    }
}
