//! The vendor office ([0149], issue 13): a vendor admin's pages at `/vendor-office/...`:
//! sales, disputes, payouts, API keys and incentive programs, in the office frame
//! (`web::office`: sign-in, the menu with "for {vendor}", the home page, the error page).
//!
//! Pure rendering, like the back office's pages and in the same frame, stylesheet and helpers
//! (`office::page`, `office::when`, `layout::hidden_fields`, `money::localize`), so one CSP
//! hash serves every page. The figures arrive as the vendor API writes them (decimal strings
//! next to an ISO 4217 code, RFC 3339 times): the HTTP layer fills the views from the very
//! wire views of `GET /v1/vendors/me/...`, and this module only dresses them for the reader's
//! language. What an admin may do is decided there: a view carries only the menu links and
//! forms their functions grant. Element ids, classes and field names are the tests' contract.
//! The texts are [`VendorOfficeStrings`], declared here next to the pages that read them, as
//! the back office's are, and written in `i18n/vendor_office_{en,ja,pt_br}.rs`. Depends on
//! `maud` and the rest of `web`.

use maud::{Markup, html};

use std::convert::Infallible;

use crate::web::i18n::{Lang, Problem, VENDOR_OFFICE_EN, VENDOR_OFFICE_JA, VENDOR_OFFICE_PT_BR};
use crate::web::layout::hidden_fields;
use crate::web::money::localize;
use crate::web::office::{self, OfficeStrings, Said, page, when};

pub use crate::web::office::{ErrorView, SignInError, SignInView, Who};

/// The vendor office, as the office frame (`web::office`) knows it.
#[derive(Clone, Copy, Debug)]
pub struct VendorOffice;

impl office::Office for VendorOffice {
    type Section = Section;
    /// The vendor office's forms answer with a page of their own (the new key, the new
    /// program), never a redirect with a notice.
    type Notice = Infallible;
    type FormError = FormError;

    fn frame(lang: Lang) -> &'static OfficeStrings {
        &strings(lang).frame
    }

    fn problem(code: &str, lang: Lang) -> Option<&'static Problem> {
        let s = strings(lang);
        match code {
            "vendor_not_approved" => Some(&s.vendor_not_approved),
            _ => s.frame.problems.get(code),
        }
    }

    fn acting_for_label(lang: Lang) -> Option<&'static str> {
        Some(strings(lang).vendor)
    }
}

/// The frame of a vendor office page.
pub type Desk<'a> = office::Desk<'a, VendorOffice>;

/// One link of the vendor office's menu.
pub type NavLink<'a> = office::NavLink<'a, Section>;

/// A page of the vendor office, as the menu names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The home page: the menu and what each page is for.
    Home,
    /// Sales, fees, what was paid and what is owed.
    Sales,
    /// The disputes of the vendor's sales.
    Disputes,
    /// The payouts settlement made to the vendor.
    Payouts,
    /// Rotating the vendor's API key.
    ApiKeys,
    /// Creating the vendor's own incentive programs.
    IncentivePrograms,
}

impl Section {
    /// Every page, in the menu's order.
    pub const ALL: [Section; 6] = [
        Section::Home,
        Section::Sales,
        Section::Disputes,
        Section::Payouts,
        Section::ApiKeys,
        Section::IncentivePrograms,
    ];
}

impl office::Section for Section {
    const HOME: Section = Section::Home;

    fn nav_id(self) -> &'static str {
        match self {
            Section::Home => "nav-home",
            Section::Sales => "nav-sales",
            Section::Disputes => "nav-disputes",
            Section::Payouts => "nav-payouts",
            Section::ApiKeys => "nav-api-keys",
            Section::IncentivePrograms => "nav-incentive-programs",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        let s = strings(lang);
        match self {
            Section::Home => s.frame.home,
            Section::Sales => s.sales,
            Section::Disputes => s.disputes,
            Section::Payouts => s.payouts,
            Section::ApiKeys => s.api_keys,
            Section::IncentivePrograms => s.programs,
        }
    }

    fn task(self, lang: Lang) -> Option<&'static str> {
        let s = strings(lang);
        match self {
            Section::Home => None,
            Section::Sales => Some(s.sales_task),
            Section::Disputes => Some(s.disputes_task),
            Section::Payouts => Some(s.payouts_task),
            Section::ApiKeys => Some(s.api_keys_task),
            Section::IncentivePrograms => Some(s.programs_task),
        }
    }
}

/// Why a page's form is shown again, at the top of the page as `p#form-error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// A program's code is not 3 to 32 letters, digits, `-` or `_`.
    CodeInvalid,
    /// Another program (of any vendor, or the MSP's) has the code.
    CodeTaken,
    /// A grant's amount is not a positive amount in the currency.
    AmountInvalid,
    /// The budget is not an amount of at least one grant.
    BudgetInvalid,
    /// The expiry is not a time, or has passed.
    ExpiryInvalid,
}

impl Said for FormError {
    fn text(self, lang: Lang) -> &'static str {
        let s = strings(lang);
        match self {
            FormError::CodeInvalid => s.code_invalid,
            FormError::CodeTaken => s.code_taken,
            FormError::AmountInvalid => s.amount_invalid,
            FormError::BudgetInvalid => s.budget_invalid,
            FormError::ExpiryInvalid => s.expiry_invalid,
        }
    }
}

/// The vendor's money in one currency, as `GET /v1/vendors/me/summary` writes it.
#[derive(Clone, Copy, Debug)]
pub struct SalesLine<'a> {
    /// ISO 4217 code (`section[data-currency]`).
    pub currency: &'a str,
    /// Purchases counted.
    pub sales: u64,
    /// Their gross.
    pub gross: &'a str,
    /// The MSP's fees.
    pub fees: &'a str,
    /// What the MSP's incentives paid of the gross.
    pub incentives_msp: &'a str,
    /// What the vendor's own incentives paid of the gross.
    pub incentives_own: &'a str,
    /// Royalties withheld for rights holders.
    pub royalties_withheld: &'a str,
    /// Commissions earned.
    pub commissions: &'a str,
    /// Everything earned.
    pub net_payable: &'a str,
    /// Paid out by settlement runs.
    pub settled: &'a str,
    /// Earned and not paid yet (negative: clawed back).
    pub unsettled: &'a str,
    /// The fee tier reached in the period in progress, from 1.
    pub tier: usize,
    /// The period's fee base so far.
    pub period_fee_base: &'a str,
    /// The period's fees so far.
    pub period_fees: &'a str,
}

/// The sales page.
#[derive(Clone, Debug)]
pub struct SalesView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// The first tier's fee rate, parts per million.
    pub fee_ppm: u32,
    /// The fee period: `month` or `quarter`.
    pub period: &'a str,
    /// The next scheduled settlement (RFC 3339), when the MSP set one.
    pub next_settlement: Option<&'a str>,
    /// Where it is paid, masked, when set.
    pub bank_account: Option<&'a str>,
    /// One per currency sold in.
    pub lines: &'a [SalesLine<'a>],
}

/// One dispute of the vendor's sales, as `GET /v1/vendors/me/disputes` writes it: the member
/// by `member_ref`, never their account or their words.
#[derive(Clone, Copy, Debug)]
pub struct DisputeRow<'a> {
    /// Its id (`tr[data-dispute]`).
    pub id: &'a str,
    /// The member as the vendor knows them.
    pub member_ref: &'a str,
    /// `pending`, `approved` or `rejected`.
    pub status: &'a str,
    /// What the purchase charged.
    pub amount: &'a str,
    /// Its currency code.
    pub currency: &'a str,
    /// When the purchase was made (RFC 3339).
    pub purchased_at: &'a str,
    /// When the dispute was filed (RFC 3339).
    pub filed_at: &'a str,
    /// The operator's reason, once decided.
    pub decision_reason: Option<&'a str>,
}

/// The disputes page.
#[derive(Clone, Debug)]
pub struct DisputesView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Oldest filed first.
    pub rows: &'a [DisputeRow<'a>],
    /// `a#next`: the next page, when there is one.
    pub next_href: Option<&'a str>,
}

/// One payout to the vendor, as `GET /v1/vendors/me/payouts` writes it.
#[derive(Clone, Copy, Debug)]
pub struct PayoutRow<'a> {
    /// Its id (`tr[data-payout]`).
    pub id: &'a str,
    /// How much.
    pub amount: &'a str,
    /// Its currency code.
    pub currency: &'a str,
    /// When it was made (RFC 3339).
    pub paid_at: &'a str,
    /// Where to, masked.
    pub bank_account: &'a str,
    /// The bank's reason, when it returned the payout.
    pub returned: Option<&'a str>,
}

/// The payouts page.
#[derive(Clone, Debug)]
pub struct PayoutsView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Newest first.
    pub rows: &'a [PayoutRow<'a>],
    /// `a#next`: older payouts, when there are.
    pub next_href: Option<&'a str>,
}

/// A key just drawn: shown on the page that drew it, and never again.
#[derive(Clone, Copy, Debug)]
pub struct RotatedKey<'a> {
    /// The new API key (`code#new-key`).
    pub api_key: &'a str,
    /// Until when the key used before keeps working (RFC 3339).
    pub previous_valid_until: &'a str,
}

/// The API keys page.
#[derive(Clone, Copy, Debug)]
pub struct ApiKeysView<'a> {
    /// Where `form#rotate` posts.
    pub action: &'a str,
    /// The key just drawn, on the answer to the form.
    pub rotated: Option<RotatedKey<'a>>,
}

/// A program just created.
#[derive(Clone, Copy, Debug)]
pub struct CreatedProgram<'a> {
    /// Its id (`#program-id`): what `POST /v1/incentive-grants` names.
    pub program_id: &'a str,
    /// Its code as members type it (`#program-code`).
    pub code: &'a str,
}

/// The fields of the program form, refilled after a refusal.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProgramFields<'a> {
    /// The code.
    pub code: &'a str,
    /// Each grant's amount.
    pub amount: &'a str,
    /// The budget.
    pub budget: &'a str,
    /// The expiry, as the `datetime-local` field wrote it.
    pub expires_at: &'a str,
}

/// The incentive programs page.
#[derive(Clone, Copy, Debug)]
pub struct ProgramsView<'a> {
    /// Where `form#create-program` posts.
    pub action: &'a str,
    /// The vendor's currency: its programs' (no other is accepted).
    pub currency: &'a str,
    /// What the form holds.
    pub fields: ProgramFields<'a>,
    /// The program just created, on the answer to the form.
    pub created: Option<CreatedProgram<'a>>,
}

/// Every sentence of the vendor office in one language. Apart from the back office's
/// (`BackOfficeStrings`) because a vendor's people are not the MSP's staff: the pages tell
/// them other things in other words.
#[derive(Debug)]
pub struct VendorOfficeStrings {
    /// The frame's words: sign-in, the line above the menu, the home page, the error page.
    pub frame: OfficeStrings,
    /// Label before the vendor's name.
    pub vendor: &'static str,

    /// Menu link to the sales page.
    pub sales: &'static str,
    /// What the sales page is for (home page).
    pub sales_task: &'static str,
    /// Menu link to the disputes.
    pub disputes: &'static str,
    /// What the disputes page is for (home page).
    pub disputes_task: &'static str,
    /// Menu link to the payouts.
    pub payouts: &'static str,
    /// What the payouts page is for (home page).
    pub payouts_task: &'static str,
    /// Menu link to the API keys.
    pub api_keys: &'static str,
    /// What the API keys page is for (home page).
    pub api_keys_task: &'static str,
    /// Menu link to the incentive programs.
    pub programs: &'static str,
    /// What the incentive programs page is for (home page).
    pub programs_task: &'static str,

    /// Sales heading.
    pub sales_heading: &'static str,
    /// Under it: what the figures are.
    pub sales_intro: &'static str,
    /// Nothing sold yet.
    pub sales_empty: &'static str,
    /// Label of the MSP's fee rate.
    pub fee_rate: &'static str,
    /// Label of the fee period.
    pub fee_period: &'static str,
    /// A monthly fee period.
    pub period_month: &'static str,
    /// A quarterly fee period.
    pub period_quarter: &'static str,
    /// Label of the next settlement date.
    pub next_settlement: &'static str,
    /// Label of the settlement bank account.
    pub bank_account: &'static str,
    /// No settlement is set up for the vendor yet.
    pub settlement_unset: &'static str,
    /// Figure: purchases counted.
    pub sales_count: &'static str,
    /// Figure: gross.
    pub gross: &'static str,
    /// Figure: the MSP's fees.
    pub fees: &'static str,
    /// Figure: paid by the MSP's incentives.
    pub incentives_msp: &'static str,
    /// Figure: paid by the vendor's own incentives.
    pub incentives_own: &'static str,
    /// Figure: royalties withheld.
    pub royalties_withheld: &'static str,
    /// Figure: commissions earned.
    pub commissions: &'static str,
    /// Figure: everything earned.
    pub net_payable: &'static str,
    /// Figure: paid out.
    pub settled: &'static str,
    /// Figure: earned and not paid yet.
    pub unsettled: &'static str,
    /// Figure: the fee tier reached this period.
    pub tier: &'static str,
    /// Figure: this period's fee base.
    pub period_fee_base: &'static str,
    /// Figure: this period's fees.
    pub period_fees: &'static str,

    /// Disputes heading.
    pub disputes_heading: &'static str,
    /// Under it: who decides, and how members are named.
    pub disputes_intro: &'static str,
    /// No dispute.
    pub disputes_empty: &'static str,
    /// Column: when it was filed.
    pub filed: &'static str,
    /// Column: when the purchase was made.
    pub purchased: &'static str,
    /// Column: the amount.
    pub amount: &'static str,
    /// Column: the member's reference.
    pub member: &'static str,
    /// Column: the status.
    pub status: &'static str,
    /// Column: the operator's reason.
    pub decision_reason: &'static str,
    /// Status: waiting for an operator.
    pub status_pending: &'static str,
    /// Status: approved (the sale reversed).
    pub status_approved: &'static str,
    /// Status: rejected (the sale stands).
    pub status_rejected: &'static str,
    /// Link to the next page of a list.
    pub next_page: &'static str,

    /// Payouts heading.
    pub payouts_heading: &'static str,
    /// Under it: what a payout is.
    pub payouts_intro: &'static str,
    /// No payout yet.
    pub payouts_empty: &'static str,
    /// Column: when paid.
    pub paid: &'static str,
    /// Column: the payout's id.
    pub payout: &'static str,
    /// A payout the bank took.
    pub payout_paid: &'static str,
    /// A payout the bank returned: "Returned: {reason}".
    pub payout_returned: fn(&str) -> String,

    /// API keys heading.
    pub api_keys_heading: &'static str,
    /// Under it: what rotating does.
    pub api_keys_intro: &'static str,
    /// Rotate button.
    pub rotate: &'static str,
    /// Heading over the new key.
    pub new_key_heading: &'static str,
    /// Under it: shown once.
    pub new_key_note: &'static str,
    /// "The previous key works until {time}."
    pub previous_key_until: &'static str,

    /// Incentive programs heading.
    pub programs_heading: &'static str,
    /// Under it: what a vendor's program is.
    pub programs_intro: &'static str,
    /// Field: the code.
    pub code: &'static str,
    /// Hint under it.
    pub code_hint: &'static str,
    /// Field: each grant's amount, "Each grant ({currency})".
    pub grant_amount: fn(&str) -> String,
    /// Field: the budget, "Budget ({currency})".
    pub budget: fn(&str) -> String,
    /// Field: the expiry.
    pub expires_at: &'static str,
    /// Create button.
    pub create_program: &'static str,
    /// Notice after a program is created.
    pub program_created: &'static str,
    /// Label of the new program's id.
    pub program_id: &'static str,
    /// Form error: a bad code.
    pub code_invalid: &'static str,
    /// Form error: the code is taken.
    pub code_taken: &'static str,
    /// Form error: a bad amount.
    pub amount_invalid: &'static str,
    /// Form error: a bad budget.
    pub budget_invalid: &'static str,
    /// Form error: a bad or past expiry.
    pub expiry_invalid: &'static str,
    /// `vendor_not_approved`: the vendor may not sell (not yet, or no longer).
    pub vendor_not_approved: Problem,
}

/// Every sentence of the vendor office in `lang`.
#[must_use]
pub const fn strings(lang: Lang) -> &'static VendorOfficeStrings {
    lang.pick(&VENDOR_OFFICE_EN, &VENDOR_OFFICE_JA, &VENDOR_OFFICE_PT_BR)
}

/// The sales page: the fee terms, the settlement set up, and per currency what was sold, what
/// it earned and what is owed.
#[must_use]
pub fn sales_page(view: &SalesView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let period = match view.period {
        "month" => s.period_month,
        "quarter" => s.period_quarter,
        other => other,
    };
    let content = html! {
        h1 { (s.sales_heading) }
        p.lead { (s.sales_intro) }
        dl #terms .rows {
            div.row { dt { (s.fee_rate) } dd #fee-rate { (percent(view.fee_ppm, lang)) } }
            div.row { dt { (s.fee_period) } dd #fee-period { (period) } }
            @match (view.next_settlement, view.bank_account) {
                (Some(next), Some(account)) => {
                    div.row { dt { (s.next_settlement) } dd #next-settlement { (when(next)) } }
                    div.row { dt { (s.bank_account) } dd #bank-account { (account) } }
                }
                _ => {
                    div.row { dt { (s.next_settlement) } dd #next-settlement { (s.settlement_unset) } }
                }
            }
        }
        @if view.lines.is_empty() {
            p #sales-empty .notice.info { (s.sales_empty) }
        }
        @for line in view.lines {
            section.currency data-currency=(line.currency) {
                h2 { (line.currency) }
                dl.rows {
                    (figure("sales", s.sales_count, html! { (line.sales) }))
                    (money("gross", s.gross, line.gross, line.currency, lang))
                    (money("fees", s.fees, line.fees, line.currency, lang))
                    (money("incentives_msp", s.incentives_msp, line.incentives_msp, line.currency, lang))
                    (money("incentives_own", s.incentives_own, line.incentives_own, line.currency, lang))
                    (money("royalties_withheld", s.royalties_withheld, line.royalties_withheld,
                        line.currency, lang))
                    (money("commissions", s.commissions, line.commissions, line.currency, lang))
                    (money("net_payable", s.net_payable, line.net_payable, line.currency, lang))
                    (money("settled", s.settled, line.settled, line.currency, lang))
                    (money("unsettled", s.unsettled, line.unsettled, line.currency, lang))
                    (figure("tier", s.tier, html! { (line.tier) }))
                    (money("period_fee_base", s.period_fee_base, line.period_fee_base,
                        line.currency, lang))
                    (money("period_fees", s.period_fees, line.period_fees, line.currency, lang))
                }
            }
        }
    };
    page(&view.desk, s.sales_heading, content, lang)
}

/// One figure of a currency: `dd[data-figure={name}]`.
fn figure(name: &str, label: &str, value: Markup) -> Markup {
    html! { div.row { dt { (label) } dd data-figure=(name) { (value) } } }
}

/// A figure that is money: the wire's decimal string in the reader's notation.
fn money(name: &str, label: &str, amount: &str, currency: &str, lang: Lang) -> Markup {
    figure(name, label, html! { (localize(amount, currency, lang)) })
}

/// Parts per million as a percentage (`50000` → `5%`, `12345` → `1.2345%`), by integer
/// division: a fee rate is never a float.
fn percent(ppm: u32, lang: Lang) -> String {
    let whole = ppm / 10_000;
    let mut fraction = format!("{:04}", ppm % 10_000);
    while fraction.ends_with('0') {
        fraction.pop();
    }
    let decimal = match lang {
        Lang::En | Lang::Ja => '.',
        Lang::PtBr => ',',
    };
    if fraction.is_empty() {
        format!("{whole}%")
    } else {
        format!("{whole}{decimal}{fraction}%")
    }
}

/// A dispute's status in the reader's words.
fn status_text(status: &str, s: &VendorOfficeStrings) -> &'static str {
    match status {
        "approved" => s.status_approved,
        "rejected" => s.status_rejected,
        _ => s.status_pending,
    }
}

/// The disputes of the vendor's sales, each member by reference.
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
                        th { (s.filed) } th { (s.purchased) } th.num { (s.amount) }
                        th { (s.member) } th { (s.status) } th { (s.decision_reason) }
                    }
                }
                tbody {
                    @for row in view.rows {
                        tr.dispute data-dispute=(row.id) {
                            td.filed { (when(row.filed_at)) }
                            td.purchased { (when(row.purchased_at)) }
                            td.amount.num { (localize(row.amount, row.currency, lang)) }
                            td.member { code { (row.member_ref) } }
                            td.status data-status=(row.status) { (status_text(row.status, s)) }
                            td.decision { (row.decision_reason.unwrap_or("")) }
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

/// The payouts settlement made to the vendor, newest first.
#[must_use]
pub fn payouts_page(view: &PayoutsView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.payouts_heading) }
        p.lead { (s.payouts_intro) }
        @if view.rows.is_empty() {
            p #payouts-empty .notice.info { (s.payouts_empty) }
        } @else {
            table #payouts .grid {
                thead {
                    tr {
                        th { (s.paid) } th { (s.payout) } th.num { (s.amount) }
                        th { (s.bank_account) } th { (s.status) }
                    }
                }
                tbody {
                    @for row in view.rows {
                        tr data-payout=(row.id) {
                            td { (when(row.paid_at)) }
                            td { code { (row.id) } }
                            td.amount.num { (localize(row.amount, row.currency, lang)) }
                            td { (row.bank_account) }
                            @match row.returned {
                                Some(reason) => {
                                    td.status data-status="returned" { ((s.payout_returned)(reason)) }
                                }
                                None => { td.status data-status="paid" { (s.payout_paid) } }
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
    page(&view.desk, s.payouts_heading, content, lang)
}

/// The API keys page: the rotation form, and the new key once on the answer to it.
#[must_use]
pub fn api_keys_page(desk: &Desk<'_>, view: &ApiKeysView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.api_keys_heading) }
        @if let Some(rotated) = view.rotated {
            section #rotated .notice.ok role="status" {
                h2 { (s.new_key_heading) }
                p { code #new-key { (rotated.api_key) } }
                p { (s.new_key_note) }
                p { (s.previous_key_until) " " (when(rotated.previous_valid_until)) }
            }
        }
        p.lead { (s.api_keys_intro) }
        form #rotate method="post" action=(view.action) {
            (hidden_fields(desk.csrf, None))
            button #rotate-key .btn.primary type="submit" { (s.rotate) }
        }
    };
    page(desk, s.api_keys_heading, content, lang)
}

/// The incentive programs page: the form that creates one, and what it created.
#[must_use]
pub fn programs_page(desk: &Desk<'_>, view: &ProgramsView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let fields = view.fields;
    let content = html! {
        h1 { (s.programs_heading) }
        @if let Some(created) = view.created {
            section #created .notice.ok role="status" {
                p { (s.program_created) }
                dl.rows {
                    div.row { dt { (s.code) } dd #program-code { (created.code) } }
                    div.row { dt { (s.program_id) } dd { code #program-id { (created.program_id) } } }
                }
            }
        }
        p.lead { (s.programs_intro) }
        form #create-program method="post" action=(view.action) {
            (hidden_fields(desk.csrf, None))
            label.field for="code" { (s.code) }
            input #code .input type="text" name="code" minlength="3" maxlength="32" required
                value=(fields.code) aria-describedby="code-hint";
            small #code-hint .description { (s.code_hint) }
            label.field for="amount" { ((s.grant_amount)(view.currency)) }
            input #amount .input type="text" name="amount" inputmode="decimal" required
                value=(fields.amount);
            label.field for="budget" { ((s.budget)(view.currency)) }
            input #budget .input type="text" name="budget" inputmode="decimal" required
                value=(fields.budget);
            label.field for="expires_at" { (s.expires_at) }
            input #expires_at .input type="datetime-local" name="expires_at"
                value=(fields.expires_at);
            button #create-program .btn.primary type="submit" { (s.create_program) }
        }
    };
    page(desk, s.programs_heading, content, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::{
        HOSTILE, assert_document, assert_element, assert_no_element, element_text,
    };

    fn desk(current: Section) -> Desk<'static> {
        Desk {
            who: Who::Person("clerk@news.example"),
            acting_for: Some("Daily News"),
            nav: vec![
                NavLink {
                    section: Section::Home,
                    href: "/vendor-office",
                },
                NavLink {
                    section: Section::Disputes,
                    href: "/vendor-office/disputes",
                },
            ],
            current,
            csrf: "csrf-token-9",
            sign_out_action: "/vendor-office/logout",
            notice: None,
            error: None,
        }
    }

    fn line() -> SalesLine<'static> {
        SalesLine {
            currency: "USD",
            sales: 3,
            gross: "1234.5",
            fees: "0.0025",
            incentives_msp: "0",
            incentives_own: "0",
            royalties_withheld: "0",
            commissions: "0",
            net_payable: "-1.50",
            settled: "0",
            unsettled: "-1.50",
            tier: 1,
            period_fee_base: "0.75",
            period_fees: "0.03",
        }
    }

    #[test]
    fn sign_in_page_has_its_contract_in_every_language() {
        for lang in Lang::ALL {
            let s = strings(lang);
            let view = SignInView {
                action: "/vendor-office/login",
                csrf: "csrf-token-1",
                email: Some("a\"b@news.example"),
                error: Some(SignInError::WrongCredentials),
            };
            let page = office::sign_in_page::<VendorOffice>(&view, lang);
            assert_document(&page, lang);
            let action = r#"action="/vendor-office/login""#;
            assert_element(&page, "form", "login", &[r#"method="post""#, action]);
            assert!(page.contains(r#"<input type="hidden" name="csrf" value="csrf-token-1">"#));
            assert_element(
                &page,
                "input",
                "email",
                &[r#"value="a&quot;b@news.example""#],
            );
            assert_element(&page, "input", "password", &[r#"type="password""#]);
            assert_eq!(element_text(&page, "button", "sign-in"), s.frame.sign_in);
            assert_eq!(
                element_text(&page, "p", "login-error"),
                s.frame.wrong_credentials
            );
            assert!(page.contains(s.frame.footer));
            assert!(
                !page.contains(crate::web::back_office::strings(lang).frame.footer),
                "the back office's"
            );
        }
    }

    #[test]
    fn the_menu_shows_only_the_links_given_and_who_acts_for_whom() {
        for lang in Lang::ALL {
            let page = office::home_page(&desk(Section::Home), lang);
            assert_document(&page, lang);
            assert_element(&page, "a", "nav-home", &[r#"aria-current="page""#]);
            assert_element(
                &page,
                "a",
                "nav-disputes",
                &[r#"href="/vendor-office/disputes""#],
            );
            for absent in [
                "nav-sales",
                "nav-payouts",
                "nav-api-keys",
                "nav-incentive-programs",
                "home-nothing",
            ] {
                assert_no_element(&page, absent);
            }
            assert!(page.contains(strings(lang).disputes_task));
            assert_eq!(element_text(&page, "strong", "vendor-name"), "Daily News");
            assert_element(
                &page,
                "form",
                "sign-out",
                &[r#"action="/vendor-office/logout""#],
            );
        }
        let mut alone = desk(Section::Home);
        alone.nav = Vec::new();
        alone.who = Who::Key;
        alone.acting_for = Some(HOSTILE);
        let page = office::home_page(&alone, Lang::En);
        assert_element(&page, "p", "home-nothing", &[]);
        assert_no_element(&page, "sign-out");
        assert!(!page.contains("<script>"), "{page}");
    }

    #[test]
    fn sales_figures_are_the_wire_s_digits_in_the_reader_s_notation() {
        let lines = [line()];
        let view = SalesView {
            desk: desk(Section::Sales),
            fee_ppm: 50_000,
            period: "month",
            next_settlement: None,
            bank_account: None,
            lines: &lines,
        };
        let page = sales_page(&view, Lang::En);
        assert!(page.contains(r#"<section class="currency" data-currency="USD">"#));
        assert!(page.contains(r#"<dd data-figure="sales">3</dd>"#));
        assert!(page.contains(r#"<dd data-figure="gross">$1,234.5</dd>"#));
        assert!(page.contains(r#"<dd data-figure="fees">$0.0025</dd>"#));
        assert!(page.contains(r#"<dd data-figure="net_payable">-$1.50</dd>"#));
        assert_eq!(element_text(&page, "dd", "fee-rate"), "5%");
        assert_eq!(
            element_text(&page, "dd", "next-settlement"),
            strings(Lang::En).settlement_unset
        );
        let page = sales_page(&view, Lang::PtBr);
        assert!(page.contains("US$\u{a0}1.234,5"), "{page}");
        let empty = SalesView { lines: &[], ..view };
        assert_element(&sales_page(&empty, Lang::Ja), "p", "sales-empty", &[]);
    }

    #[test]
    fn rates_are_percentages_without_floats() {
        assert_eq!(percent(50_000, Lang::En), "5%");
        assert_eq!(percent(12_345, Lang::En), "1.2345%");
        assert_eq!(percent(12_500, Lang::PtBr), "1,25%");
        assert_eq!(percent(0, Lang::Ja), "0%");
        assert_eq!(percent(1_000_000, Lang::En), "100%");
    }

    #[test]
    fn disputes_show_the_member_by_reference_only() {
        let rows = [DisputeRow {
            id: "dsp_abc",
            member_ref: "mref_xyz",
            status: "pending",
            amount: "0.25",
            currency: "USD",
            purchased_at: "2026-03-10T00:00:00Z",
            filed_at: "2026-03-11T00:00:00Z",
            decision_reason: Some(HOSTILE),
        }];
        let view = DisputesView {
            desk: desk(Section::Disputes),
            rows: &rows,
            next_href: Some("/vendor-office/disputes?cursor=x"),
        };
        for lang in Lang::ALL {
            let page = disputes_page(&view, lang);
            assert!(page.contains(r#"<tr class="dispute" data-dispute="dsp_abc">"#));
            assert!(page.contains("mref_xyz"));
            assert!(page.contains(strings(lang).status_pending));
            assert!(!page.contains("<script>"), "{page}");
            assert_element(&page, "a", "next", &[]);
            assert_no_element(&page, "disputes-empty");
        }
        let empty = DisputesView {
            rows: &[],
            next_href: None,
            ..view
        };
        assert_element(&disputes_page(&empty, Lang::En), "p", "disputes-empty", &[]);
    }

    #[test]
    fn payouts_say_when_the_bank_returned_one() {
        let rows = [
            PayoutRow {
                id: "po_1",
                amount: "10.00",
                currency: "USD",
                paid_at: "2026-03-10T00:00:00Z",
                bank_account: "DE89 **** 3000",
                returned: None,
            },
            PayoutRow {
                id: "po_2",
                amount: "5.00",
                currency: "USD",
                paid_at: "2026-03-01T00:00:00Z",
                bank_account: "DE89 **** 3000",
                returned: Some("Account closed"),
            },
        ];
        let view = PayoutsView {
            desk: desk(Section::Payouts),
            rows: &rows,
            next_href: None,
        };
        let page = payouts_page(&view, Lang::En);
        assert!(page.contains(r#"<tr data-payout="po_1">"#));
        assert!(page.contains(r#"data-status="returned""#));
        assert!(page.contains("Account closed"));
        assert!(page.contains("$10.00"));
    }

    #[test]
    fn a_new_key_is_shown_on_the_answer_only() {
        let frame = desk(Section::ApiKeys);
        let mut view = ApiKeysView {
            action: "/vendor-office/api-keys",
            rotated: None,
        };
        let page = api_keys_page(&frame, &view, Lang::En);
        assert_element(
            &page,
            "form",
            "rotate",
            &[r#"method="post""#, r#"action="/vendor-office/api-keys""#],
        );
        assert!(page.contains(r#"name="csrf" value="csrf-token-9""#));
        assert_no_element(&page, "new-key");
        view.rotated = Some(RotatedKey {
            api_key: "fk_live_secret",
            previous_valid_until: "2026-03-10T00:00:00Z",
        });
        for lang in Lang::ALL {
            let page = api_keys_page(&frame, &view, lang);
            assert_eq!(element_text(&page, "code", "new-key"), "fk_live_secret");
            assert!(page.contains(strings(lang).new_key_note));
        }
    }

    #[test]
    fn the_program_form_keeps_what_was_typed_and_shows_what_was_created() {
        let mut frame = desk(Section::IncentivePrograms);
        frame.error = Some(FormError::CodeTaken);
        let mut view = ProgramsView {
            action: "/vendor-office/incentive-programs",
            currency: "USD",
            fields: ProgramFields {
                code: HOSTILE,
                amount: "2.00",
                budget: "500",
                expires_at: "",
            },
            created: None,
        };
        for lang in Lang::ALL {
            let s = strings(lang);
            let page = programs_page(&frame, &view, lang);
            assert_element(&page, "form", "create-program", &[r#"method="post""#]);
            assert_element(&page, "input", "amount", &[r#"value="2.00""#]);
            assert_eq!(element_text(&page, "p", "form-error"), s.code_taken);
            assert!(page.contains(&(s.grant_amount)("USD")));
            assert!(!page.contains("<script>"), "{page}");
            assert_no_element(&page, "created");
        }
        frame.error = None;
        view.created = Some(CreatedProgram {
            program_id: "prog_0000000000000001",
            code: "SPRING",
        });
        let page = programs_page(&frame, &view, Lang::Ja);
        assert_eq!(
            element_text(&page, "code", "program-id"),
            "prog_0000000000000001"
        );
        assert_eq!(element_text(&page, "dd", "program-code"), "SPRING");
    }

    #[test]
    fn error_page_has_a_code_and_text_for_each_language() {
        for lang in Lang::ALL {
            let s = strings(lang);
            for code in [
                "csrf_failed",
                "function_not_granted",
                "too_many_attempts",
                "vendor_not_approved",
                "route_not_found",
                "overloaded",
            ] {
                let view = ErrorView {
                    code,
                    home_href: "/vendor-office",
                };
                let page = office::error_page::<VendorOffice>(&view, lang);
                assert_document(&page, lang);
                let problem = <VendorOffice as office::Office>::problem(code, lang).unwrap();
                assert!(page.contains(problem.title), "{code}");
                assert_element(&page, "main", "error", &[&format!(r#"data-code="{code}""#)]);
                assert_element(&page, "a", "home", &[r#"href="/vendor-office""#]);
            }
            let view = ErrorView {
                code: HOSTILE,
                home_href: "/vendor-office",
            };
            let page = office::error_page::<VendorOffice>(&view, lang);
            assert!(page.contains(s.frame.problem_generic_title));
            assert!(!page.contains("<script>"));
        }
    }

    #[test]
    fn translations_are_present() {
        let en = strings(Lang::En);
        for other in [Lang::Ja, Lang::PtBr] {
            let s = strings(other);
            assert_ne!(s.frame.sign_in_heading, en.frame.sign_in_heading);
            assert_ne!(s.sales_intro, en.sales_intro);
            assert_ne!(s.disputes_intro, en.disputes_intro);
            assert_ne!(s.payouts_intro, en.payouts_intro);
            assert_ne!(s.api_keys_intro, en.api_keys_intro);
            assert_ne!(s.programs_intro, en.programs_intro);
            assert_ne!(
                s.frame.problems.function_not_granted.detail,
                en.frame.problems.function_not_granted.detail
            );
            assert!((s.frame.signed_in_as)("a@b.example").contains("a@b.example"));
            assert!((s.payout_returned)("closed").contains("closed"));
            assert!((s.budget)("JPY").contains("JPY"));
        }
    }
}
