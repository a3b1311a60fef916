//! The member's account pages (issue 14) at `/account/...`: the summary (wallets, who is
//! signed in, recent purchases, freeze), My Content, wallets and payment methods, limits, sub-members,
//! security questions, transfers, incentive codes, disputes and the step-up page, in the
//! office frame (`web::office`: sign-in, the menu, the error page).
//!
//! Pure rendering, like the other offices' pages and in the same frame, stylesheet and
//! helpers (`office::page`, `office::when`, `layout::hidden_fields`, `money::localize`), so
//! one CSP hash serves every page. The figures arrive as the member API writes them (decimal
//! strings next to an ISO 4217 code, RFC 3339 times): the HTTP layer fills the views from the
//! wire views of `GET /v1/members/me` and its siblings, and this module only dresses them for
//! the reader's language. What a login may do is decided there: a sub-member's view carries
//! no holder-only link or form. A new page (a statement, the member's content) is a
//! [`Section`], its strings and one render function here, and a route there. Element ids,
//! classes and field names are the tests' contract. The texts are [`AccountStrings`], declared
//! here and written in `i18n/account_{en,ja,pt_br}.rs`. Depends on `maud` and the rest of
//! `web`.

use maud::{Markup, html};

use crate::domain::statement::LineKind;
use crate::web::i18n::{ACCOUNT_EN, ACCOUNT_JA, ACCOUNT_PT_BR, Lang, Problem};
use crate::web::layout::hidden_fields;
use crate::web::money::localize;
use crate::web::office::{self, OfficeStrings, Said, page, when};

pub use crate::web::office::{ErrorView, SignInError, SignInView, Who};

/// The account pages, as the office frame (`web::office`) knows them.
#[derive(Clone, Copy, Debug)]
pub struct AccountOffice;

impl office::Office for AccountOffice {
    type Section = Section;
    type Notice = Notice;
    type FormError = FormError;

    fn frame(lang: Lang) -> &'static OfficeStrings {
        &strings(lang).frame
    }

    fn problem(code: &str, lang: Lang) -> Option<&'static Problem> {
        let s = strings(lang);
        match code {
            "holder_only" => Some(&s.holder_only),
            "account_frozen" => Some(&s.account_frozen),
            "insufficient_funds" => Some(&s.insufficient_funds),
            "step_up_locked" => Some(&s.step_up_locked),
            "recipient_unavailable" => Some(&s.recipient_unavailable),
            "incentive_unknown" | "incentive_already_redeemed" | "incentive_expired" => {
                Some(&s.incentive_refused)
            }
            "dispute_exists" | "dispute_window_passed" | "dispute_charged_nothing" => {
                Some(&s.dispute_refused)
            }
            "wallet_exists" => Some(&s.wallet_exists),
            "login_unknown" | "login_not_found" | "payment_method_unknown" | "not_found" => {
                Some(&s.frame.problems.not_found)
            }
            "entitlement_expired"
            | "entitlement_reversed"
            | "views_used_up"
            | "content_url_not_kept" => Some(&s.content_unavailable),
            _ => s.frame.problems.get(code),
        }
    }
}

/// The frame of an account page.
pub type Desk<'a> = office::Desk<'a, AccountOffice>;

/// One link of the account pages' menu.
pub type NavLink<'a> = office::NavLink<'a, Section>;

/// A page of the account, as the menu names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The summary: wallets, who is signed in, recent purchases, freeze.
    Summary,
    /// What the member owns, each item with "Open" while it opens (anyone).
    Content,
    /// Wallets, adding funds and the saved payment methods (holder).
    Wallets,
    /// Limits of every login of the account (holder).
    Limits,
    /// The account's sub-members (holder).
    SubMembers,
    /// The security questions step-up asks (holder).
    Questions,
    /// Money to another member (holder).
    Transfers,
    /// Redeeming an incentive code (anyone).
    Incentives,
    /// The member's disputes (holder).
    Disputes,
    /// The statement, filtered and paged (anyone: a sub-member reads their own lines).
    Statement,
    /// The login's own name and language (anyone).
    Profile,
}

impl Section {
    /// Every page, in the menu's order.
    pub const ALL: [Section; 11] = [
        Section::Summary,
        Section::Statement,
        Section::Content,
        Section::Wallets,
        Section::Limits,
        Section::SubMembers,
        Section::Questions,
        Section::Transfers,
        Section::Incentives,
        Section::Disputes,
        Section::Profile,
    ];
}

impl office::Section for Section {
    const HOME: Section = Section::Summary;

    fn nav_id(self) -> &'static str {
        match self {
            Section::Summary => "nav-home",
            Section::Content => "nav-content",
            Section::Wallets => "nav-wallets",
            Section::Limits => "nav-limits",
            Section::SubMembers => "nav-sub-members",
            Section::Questions => "nav-questions",
            Section::Transfers => "nav-transfers",
            Section::Incentives => "nav-incentives",
            Section::Disputes => "nav-disputes",
            Section::Statement => "nav-statement",
            Section::Profile => "nav-profile",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        let s = strings(lang);
        match self {
            Section::Summary => s.frame.home,
            Section::Content => s.content,
            Section::Wallets => s.wallets,
            Section::Limits => s.limits,
            Section::SubMembers => s.sub_members,
            Section::Questions => s.questions,
            Section::Transfers => s.transfers,
            Section::Incentives => s.incentives,
            Section::Disputes => s.disputes,
            Section::Statement => s.statement,
            Section::Profile => s.profile,
        }
    }

    fn task(self, _lang: Lang) -> Option<&'static str> {
        // The summary is the home page and shows the account, not a list of tasks.
        None
    }
}

/// What a form did, shown once on the page it redirected to (`?done=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The account was frozen.
    Frozen,
    /// The account was unfrozen.
    Unfrozen,
    /// The account was closed (every session ended with it).
    Closed,
    /// A wallet was opened.
    WalletOpened,
    /// Funds were added.
    FundsAdded,
    /// The test card was saved.
    CardSaved,
    /// A payment method was removed.
    MethodRemoved,
    /// Limits were set.
    LimitsSet,
    /// A sub-member was added.
    SubMemberAdded,
    /// A sub-member was disabled.
    SubMemberDisabled,
    /// A sub-member was enabled.
    SubMemberEnabled,
    /// The security questions were replaced.
    QuestionsSet,
    /// A transfer was sent.
    TransferSent,
    /// An incentive code was redeemed.
    IncentiveRedeemed,
    /// A dispute was filed.
    DisputeFiled,
    /// The login's name and language were saved.
    ProfileSet,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 16] = [
        Notice::Frozen,
        Notice::Unfrozen,
        Notice::Closed,
        Notice::WalletOpened,
        Notice::FundsAdded,
        Notice::CardSaved,
        Notice::MethodRemoved,
        Notice::LimitsSet,
        Notice::SubMemberAdded,
        Notice::SubMemberDisabled,
        Notice::SubMemberEnabled,
        Notice::QuestionsSet,
        Notice::TransferSent,
        Notice::IncentiveRedeemed,
        Notice::DisputeFiled,
        Notice::ProfileSet,
    ];
}

impl office::Notice for Notice {
    fn code(self) -> &'static str {
        match self {
            Notice::Frozen => "frozen",
            Notice::Unfrozen => "unfrozen",
            Notice::Closed => "closed",
            Notice::WalletOpened => "wallet_opened",
            Notice::FundsAdded => "funds_added",
            Notice::CardSaved => "card_saved",
            Notice::MethodRemoved => "method_removed",
            Notice::LimitsSet => "limits_set",
            Notice::SubMemberAdded => "sub_member_added",
            Notice::SubMemberDisabled => "sub_member_disabled",
            Notice::SubMemberEnabled => "sub_member_enabled",
            Notice::QuestionsSet => "questions_set",
            Notice::TransferSent => "transfer_sent",
            Notice::IncentiveRedeemed => "incentive_redeemed",
            Notice::DisputeFiled => "dispute_filed",
            Notice::ProfileSet => "profile_set",
        }
    }

    fn from_code(code: &str) -> Option<Notice> {
        Notice::ALL
            .into_iter()
            .find(|notice| office::Notice::code(*notice) == code)
    }
}

impl Said for Notice {
    fn text(self, lang: Lang) -> &'static str {
        let s = strings(lang);
        match self {
            Notice::Frozen => s.done_frozen,
            Notice::Unfrozen => s.done_unfrozen,
            Notice::Closed => s.done_closed,
            Notice::WalletOpened => s.done_wallet_opened,
            Notice::FundsAdded => s.done_funds_added,
            Notice::CardSaved => s.done_card_saved,
            Notice::MethodRemoved => s.done_method_removed,
            Notice::LimitsSet => s.done_limits_set,
            Notice::SubMemberAdded => s.done_sub_member_added,
            Notice::SubMemberDisabled => s.done_sub_member_disabled,
            Notice::SubMemberEnabled => s.done_sub_member_enabled,
            Notice::QuestionsSet => s.done_questions_set,
            Notice::TransferSent => s.done_transfer_sent,
            Notice::IncentiveRedeemed => s.done_incentive_redeemed,
            Notice::DisputeFiled => s.done_dispute_filed,
            Notice::ProfileSet => s.done_profile_set,
        }
    }
}

/// Why a page's form is shown again, at the top of the page as `p#form-error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// An amount is not a positive decimal in the currency.
    AmountInvalid,
    /// A currency is not one the service holds wallets in.
    CurrencyInvalid,
    /// An e-mail is not an address.
    EmailInvalid,
    /// The e-mail signs in to another login already.
    EmailTaken,
    /// A password is shorter than 8 characters.
    PasswordTooShort,
    /// A name is empty, too long or holds control characters.
    NameInvalid,
    /// Not 2 to 5 complete questions, or a text breaks its rule.
    QuestionsInvalid,
    /// A limit is not an amount.
    LimitInvalid,
    /// A dispute's reason is empty or too long.
    ReasonInvalid,
    /// An incentive code is malformed.
    CodeInvalid,
    /// A transfer's note is too long.
    NoteInvalid,
    /// The payment processor declined the card.
    Declined,
    /// The security question was answered wrongly.
    AnswerWrong,
    /// A filter of the statement is not valid (a date, an amount, an id, the page size).
    FilterInvalid,
    /// A language is not a tag.
    LanguageInvalid,
}

impl Said for FormError {
    fn text(self, lang: Lang) -> &'static str {
        let s = strings(lang);
        match self {
            FormError::AmountInvalid => s.amount_invalid,
            FormError::CurrencyInvalid => s.currency_invalid,
            FormError::EmailInvalid => s.email_invalid,
            FormError::EmailTaken => s.email_taken,
            FormError::PasswordTooShort => s.password_too_short,
            FormError::NameInvalid => s.name_invalid,
            FormError::QuestionsInvalid => s.questions_invalid,
            FormError::LimitInvalid => s.limit_invalid,
            FormError::ReasonInvalid => s.reason_invalid,
            FormError::CodeInvalid => s.code_invalid,
            FormError::NoteInvalid => s.note_invalid,
            FormError::Declined => s.declined,
            FormError::AnswerWrong => s.answer_wrong,
            FormError::FilterInvalid => s.filter_invalid,
            FormError::LanguageInvalid => s.language_invalid,
        }
    }
}

/// One wallet, as `GET /v1/members/me` writes it.
#[derive(Clone, Copy, Debug)]
pub struct WalletLine<'a> {
    /// ISO 4217 code (`tr[data-currency]`).
    pub currency: &'a str,
    /// Paid balance.
    pub paid: &'a str,
    /// Incentive balance.
    pub incentive: &'a str,
    /// What a purchase could spend now.
    pub available: &'a str,
}

/// One recent purchase, as `GET /v1/members/me` writes it.
#[derive(Clone, Copy, Debug)]
pub struct PurchaseLine<'a> {
    /// Its authorization id (`tr[data-authorization]`): what a dispute names.
    pub authorization_id: &'a str,
    /// The vendor's id.
    pub vendor_id: &'a str,
    /// What was paid.
    pub price: &'a str,
    /// Its currency code.
    pub currency: &'a str,
    /// When (RFC 3339).
    pub purchased_at: &'a str,
    /// Reversed since.
    pub reversed: bool,
}

/// One item the member owns, as `GET /v1/members/me/content` writes it.
#[derive(Clone, Copy, Debug)]
pub struct ContentLine<'a> {
    /// `ent_…` (`tr[data-entitlement]`).
    pub entitlement_id: &'a str,
    /// The title it was sold under, when kept.
    pub title: Option<&'a str>,
    /// The vendor's name, else its id.
    pub vendor: &'a str,
    /// When bought (RFC 3339).
    pub purchased_at: &'a str,
    /// When it stops opening (RFC 3339); `None` never.
    pub expires_at: Option<&'a str>,
    /// Views left; `None` unlimited.
    pub views_left: Option<u32>,
    /// Why it does not open (`expired`, `reversed`, `views_used_up`); `None` when it does.
    pub unavailable: Option<&'a str>,
    /// Where its "Open" form posts.
    pub open_action: &'a str,
}

/// The My Content page.
#[derive(Clone, Debug)]
pub struct ContentView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Newest purchase first.
    pub items: &'a [ContentLine<'a>],
    /// The next page's link (`a#next-page`), when one follows.
    pub next_href: Option<&'a str>,
}

/// The summary page.
#[derive(Clone, Debug)]
pub struct SummaryView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// The login's name, when it has one.
    pub name: Option<&'a str>,
    /// The login is the account's holder (else a sub-member).
    pub holder: bool,
    /// The account is frozen.
    pub frozen: bool,
    /// One per currency.
    pub wallets: &'a [WalletLine<'a>],
    /// Newest first.
    pub recent: &'a [PurchaseLine<'a>],
    /// The newest statement lines the login may read, newest first (`table#recent-lines`).
    pub recent_lines: &'a [StatementRow<'a>],
    /// The statement page, linked under them (`a#statement-link`).
    pub statement_href: &'a str,
    /// Where `form#freeze` posts (anyone may freeze).
    pub freeze_action: &'a str,
    /// Where `form#unfreeze` posts: the holder's only.
    pub unfreeze_action: Option<&'a str>,
    /// Where `form#close` posts: the holder's only.
    pub close_action: Option<&'a str>,
}

/// A saved payment method, as the member recognises it.
#[derive(Clone, Copy, Debug)]
pub struct MethodLine<'a> {
    /// `pm_…` (`li[data-method]`, the add-funds choice's value).
    pub id: &'a str,
    /// Its brand.
    pub brand: &'a str,
    /// Its last four digits.
    pub last4: &'a str,
    /// Where its remove form posts.
    pub remove_action: &'a str,
}

/// The wallets page.
#[derive(Clone, Debug)]
pub struct WalletsView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// One per currency.
    pub wallets: &'a [WalletLine<'a>],
    /// Supported currencies without a wallet yet.
    pub can_open: &'a [&'a str],
    /// The saved methods.
    pub methods: &'a [MethodLine<'a>],
    /// Where `form#open-wallet` posts.
    pub open_action: &'a str,
    /// Where `form#add-funds` posts.
    pub funds_action: &'a str,
    /// Where `form#save-card` posts.
    pub card_action: &'a str,
    /// The amount typed, refilled after a refusal.
    pub amount: &'a str,
}

/// Limits of one currency, as the API writes them (`None`: no limit).
#[derive(Clone, Copy, Debug)]
pub struct LimitLine<'a> {
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Largest single purchase.
    pub per_transaction: Option<&'a str>,
    /// Per session.
    pub per_session: Option<&'a str>,
    /// Per day.
    pub per_day: Option<&'a str>,
    /// Per week.
    pub per_week: Option<&'a str>,
    /// Per month.
    pub per_month: Option<&'a str>,
}

/// One login with its limits, on the limits page.
#[derive(Clone, Debug)]
pub struct LoginLimits<'a> {
    /// `login_…` (`section.login[data-login]`, the form's hidden `login`).
    pub login_id: &'a str,
    /// Its name, else its e-mail.
    pub label: &'a str,
    /// The holder's own.
    pub holder: bool,
    /// Per currency.
    pub lines: Vec<LimitLine<'a>>,
}

/// The limits page.
#[derive(Clone, Debug)]
pub struct LimitsView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// The holder first, then each sub-member.
    pub logins: &'a [LoginLimits<'a>],
    /// The account's wallet currencies: what a limit may be set in.
    pub currencies: &'a [&'a str],
    /// Where every `form.limits` posts.
    pub action: &'a str,
}

/// One login on the sub-members page.
#[derive(Clone, Copy, Debug)]
pub struct LoginRow<'a> {
    /// `login_…` (`tr[data-login]`).
    pub login_id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its e-mail.
    pub email: &'a str,
    /// The holder's own (no disable form).
    pub holder: bool,
    /// Cannot sign in.
    pub disabled: bool,
    /// Where its disable or enable form posts (none for the holder).
    pub toggle_action: Option<&'a str>,
}

/// The sub-members page.
#[derive(Clone, Debug)]
pub struct SubMembersView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// The holder first.
    pub logins: &'a [LoginRow<'a>],
    /// Where `form#add-sub-member` posts.
    pub add_action: &'a str,
    /// The name typed, refilled after a refusal.
    pub name: &'a str,
    /// The e-mail typed, refilled after a refusal.
    pub email: &'a str,
}

/// One of the member's disputes.
#[derive(Clone, Copy, Debug)]
pub struct DisputeLine<'a> {
    /// `dsp_…` (`tr[data-dispute]`).
    pub id: &'a str,
    /// `pending`, `approved` or `rejected`.
    pub status: &'a str,
    /// What the purchase charged.
    pub amount: &'a str,
    /// Its currency code.
    pub currency: &'a str,
    /// When filed (RFC 3339).
    pub filed_at: &'a str,
    /// The member's reason.
    pub reason: &'a str,
    /// The operator's reason, once decided.
    pub decision_reason: Option<&'a str>,
}

/// The disputes page.
#[derive(Clone, Debug)]
pub struct DisputesView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Newest filed first.
    pub disputes: &'a [DisputeLine<'a>],
    /// The recent purchases a dispute may name.
    pub purchases: &'a [PurchaseLine<'a>],
    /// Where `form#file-dispute` posts.
    pub action: &'a str,
}

/// One line of the statement, as `GET /v1/members/me/statement` writes it.
#[derive(Clone, Copy, Debug)]
pub struct StatementRow<'a> {
    /// `line_…` (`tr[data-line]`).
    pub id: &'a str,
    /// When, RFC 3339 (the `datetime` of its `time`).
    pub at: &'a str,
    /// When, in the member's time zone, to the minute (`2026-03-10 18:30`).
    pub local: &'a str,
    /// The kind's wire code (`td.kind[data-kind]`), shown as a word.
    pub kind: &'a str,
    /// The vendor's id (`td.vendor[data-vendor]`).
    pub vendor_id: Option<&'a str>,
    /// The vendor's name, when registered here.
    pub vendor_name: Option<&'a str>,
    /// A purchase's title.
    pub title: Option<&'a str>,
    /// A purchase's content URL: the title links to it when it is http or https.
    pub content_url: Option<&'a str>,
    /// A dispute's or reversal's reason (shown where a purchase shows its title).
    pub note: Option<&'a str>,
    /// Signed amount.
    pub amount: &'a str,
    /// The paid balance after it.
    pub balance_after: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// The login that made it, by name (the holder's view only; `None` hides the column).
    pub made_by: Option<&'a str>,
}

/// One choice of a `select`.
#[derive(Clone, Copy, Debug)]
pub struct Choice<'a> {
    /// What the form sends.
    pub value: &'a str,
    /// What the reader sees.
    pub label: &'a str,
}

/// The statement's filters as the reader typed them, refilled on the form and carried by the
/// next-page link (empty: no filter).
#[derive(Clone, Copy, Debug, Default)]
pub struct StatementFilters<'a> {
    /// First day, `YYYY-MM-DD` (or an RFC 3339 instant).
    pub from: &'a str,
    /// Last day, inclusive.
    pub to: &'a str,
    /// A vendor chosen from the select.
    pub vendor: &'a str,
    /// A vendor's id typed (wins over the select).
    pub vendor_id: &'a str,
    /// A kind's wire code.
    pub kind: &'a str,
    /// A login (the holder's filter).
    pub login: &'a str,
    /// Smallest absolute amount.
    pub min: &'a str,
    /// Largest absolute amount.
    pub max: &'a str,
}

/// The statement page.
#[derive(Clone, Debug)]
pub struct StatementView<'a> {
    /// The frame (its error is [`FormError::FilterInvalid`] after a bad filter).
    pub desk: Desk<'a>,
    /// The member's IANA time zone: what the dates mean.
    pub zone: &'a str,
    /// Where `form#statement-filters` gets (this page).
    pub action: &'a str,
    /// The explicit `?lang=`, carried by the form as a hidden field.
    pub lang_param: Option<&'a str>,
    /// The filters typed.
    pub filters: StatementFilters<'a>,
    /// The page size asked (`limit`), carried as a hidden field when given.
    pub limit: &'a str,
    /// The participating vendors, by name.
    pub vendors: &'a [Choice<'a>],
    /// The account's logins by name: the holder's filter; `None` for a sub-member.
    pub logins: Option<&'a [Choice<'a>]>,
    /// The page's lines, newest first.
    pub lines: &'a [StatementRow<'a>],
    /// The next page, with the cursor and the filters (`a#next-page`).
    pub next_href: Option<&'a str>,
    /// The parameter a refused filter names (`p#filter-error[data-param]`).
    pub invalid_param: Option<&'a str>,
}

/// The profile page.
#[derive(Clone, Debug)]
pub struct ProfileView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where `form#profile` posts.
    pub action: &'a str,
    /// The name shown (typed, after a refusal).
    pub name: &'a str,
    /// The language selected: the login's now.
    pub language: Lang,
}

/// A page with one simple form: transfers, incentives, security questions.
#[derive(Clone, Debug)]
pub struct FormView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where the form posts.
    pub action: &'a str,
    /// The wallet currencies (transfers).
    pub currencies: &'a [&'a str],
}

/// A security question to answer: on the step-up page, or in place of a sensitive form the
/// API refused `step_up_required`.
#[derive(Clone, Debug)]
pub struct ChallengeView<'a> {
    /// The frame.
    pub desk: Desk<'a>,
    /// Where `form#step-up` posts: the step-up page, or the refused form's own route.
    pub action: &'a str,
    /// The question (`#step-up-question`).
    pub question: &'a str,
    /// The sealed challenge, sent back in `challenge_id`.
    pub challenge_id: &'a str,
    /// The refused form's fields, posted again with the answer (never a password).
    pub carried: &'a [(&'a str, &'a str)],
    /// The refused form had a password, which is not carried: typed again.
    pub retype_password: bool,
    /// Asked for a vendor's purchase (the step-up page) rather than a change on these pages.
    pub for_purchase: bool,
}

/// Every sentence of the account pages in one language. Apart from the buy window's
/// ([`Strings`](crate::web::i18n::Strings)) because these pages manage the account rather
/// than buy, and from the offices' because a member is no one's staff.
#[derive(Debug)]
pub struct AccountStrings {
    /// The frame's words: sign-in, the line above the menu, the error page.
    pub frame: OfficeStrings,

    /// Menu: my content.
    pub content: &'static str,
    /// Menu: wallets.
    pub wallets: &'static str,
    /// Menu: limits.
    pub limits: &'static str,
    /// Menu: sub-members.
    pub sub_members: &'static str,
    /// Menu: security questions.
    pub questions: &'static str,
    /// Menu: transfers.
    pub transfers: &'static str,
    /// Menu: incentives.
    pub incentives: &'static str,
    /// Menu: disputes.
    pub disputes: &'static str,

    /// Summary: the login's role when holder.
    pub role_holder: &'static str,
    /// Summary: the login's role when sub-member.
    pub role_member: &'static str,
    /// Summary: the account is frozen.
    pub frozen_notice: &'static str,
    /// Summary: no wallet yet.
    pub no_wallets: &'static str,
    /// Column: currency.
    pub currency: &'static str,
    /// Column: paid balance.
    pub paid: &'static str,
    /// Column: incentive balance.
    pub incentive: &'static str,
    /// Column: available.
    pub available: &'static str,
    /// Heading: recent purchases.
    pub recent_heading: &'static str,
    /// No purchase yet.
    pub no_purchases: &'static str,
    /// Column: when.
    pub when: &'static str,
    /// Column: vendor.
    pub vendor: &'static str,
    /// Column: price.
    pub price: &'static str,
    /// A reversed purchase.
    pub reversed: &'static str,
    /// Freeze button.
    pub freeze: &'static str,
    /// Under it: what freezing does.
    pub freeze_hint: &'static str,
    /// Unfreeze button.
    pub unfreeze: &'static str,
    /// Close-the-account button (`form#close`, the holder's only).
    pub close: &'static str,
    /// The forfeit checkbox's label.
    pub close_forfeit: &'static str,
    /// Under it: what closing does.
    pub close_hint: &'static str,

    /// My Content heading.
    pub content_heading: &'static str,
    /// Under it: what "Open" does.
    pub content_intro: &'static str,
    /// Nothing bought yet.
    pub no_content: &'static str,
    /// Column: title.
    pub title: &'static str,
    /// A purchase made before titles were kept.
    pub untitled: &'static str,
    /// Column: bought on.
    pub purchased: &'static str,
    /// Column: expires.
    pub expires: &'static str,
    /// Never expires.
    pub never: &'static str,
    /// Column: views left.
    pub views_left: &'static str,
    /// Unlimited views.
    pub unlimited: &'static str,
    /// Open button.
    pub open: &'static str,
    /// State: expired.
    pub state_expired: &'static str,
    /// State: the purchase was reversed.
    pub state_reversed: &'static str,
    /// State: every view used.
    pub state_used_up: &'static str,
    /// The next page's link.
    pub next_page: &'static str,

    /// Wallets heading.
    pub wallets_heading: &'static str,
    /// Open-a-wallet button.
    pub open_wallet: &'static str,
    /// Add-funds heading.
    pub add_funds_heading: &'static str,
    /// Field: amount.
    pub amount: &'static str,
    /// Field: payment method.
    pub payment_method: &'static str,
    /// Add-funds button.
    pub add_funds: &'static str,
    /// No saved method: save the test card first.
    pub no_methods: &'static str,
    /// Payment methods heading.
    pub methods_heading: &'static str,
    /// Save-the-test-card button.
    pub save_card: &'static str,
    /// Under it: what the test card is.
    pub save_card_hint: &'static str,
    /// Remove button.
    pub remove: &'static str,

    /// Limits heading.
    pub limits_heading: &'static str,
    /// Under it: blank means no limit.
    pub limits_intro: &'static str,
    /// Field: per purchase.
    pub per_transaction: &'static str,
    /// Field: per session.
    pub per_session: &'static str,
    /// Field: per day.
    pub per_day: &'static str,
    /// Field: per week.
    pub per_week: &'static str,
    /// Field: per month.
    pub per_month: &'static str,
    /// No limit set.
    pub no_limit: &'static str,
    /// Set-limits button.
    pub set_limits: &'static str,

    /// Sub-members heading.
    pub sub_members_heading: &'static str,
    /// Under it: what a sub-member may do.
    pub sub_members_intro: &'static str,
    /// Column and field: name.
    pub name: &'static str,
    /// Column and field: e-mail.
    pub email: &'static str,
    /// Field: password.
    pub password: &'static str,
    /// Column: status.
    pub status: &'static str,
    /// Status: active.
    pub active: &'static str,
    /// Status: disabled.
    pub disabled: &'static str,
    /// Disable button.
    pub disable: &'static str,
    /// Enable button.
    pub enable: &'static str,
    /// Add heading and button.
    pub add_sub_member: &'static str,

    /// Security questions heading.
    pub questions_heading: &'static str,
    /// Under it: 2 to 5, answers compared without case.
    pub questions_intro: &'static str,
    /// Field: question n.
    pub question: &'static str,
    /// Field: its answer.
    pub answer: &'static str,
    /// Save button.
    pub save_questions: &'static str,

    /// Transfers heading.
    pub transfers_heading: &'static str,
    /// Under it: settled paid balance only.
    pub transfers_intro: &'static str,
    /// Field: recipient's e-mail.
    pub to_email: &'static str,
    /// Field: note.
    pub note: &'static str,
    /// Send button.
    pub send: &'static str,

    /// Incentives heading.
    pub incentives_heading: &'static str,
    /// Under it: a code redeems once.
    pub incentives_intro: &'static str,
    /// Field: code.
    pub code: &'static str,
    /// Redeem button.
    pub redeem: &'static str,

    /// Disputes heading.
    pub disputes_heading: &'static str,
    /// Under it: how a dispute is decided.
    pub disputes_intro: &'static str,
    /// No dispute yet.
    pub no_disputes: &'static str,
    /// Field: the purchase.
    pub purchase: &'static str,
    /// Field and column: reason.
    pub reason: &'static str,
    /// Column: the operator's decision.
    pub decision: &'static str,
    /// File button.
    pub file_dispute: &'static str,
    /// Status: pending.
    pub status_pending: &'static str,
    /// Status: approved.
    pub status_approved: &'static str,
    /// Status: rejected.
    pub status_rejected: &'static str,

    /// Step-up heading.
    pub step_up_heading: &'static str,
    /// Under it, before a change on these pages.
    pub step_up_for_change: &'static str,
    /// Under it, before a vendor's purchase.
    pub step_up_for_purchase: &'static str,
    /// Field: the password of the form, typed again.
    pub password_again: &'static str,
    /// Answer button.
    pub answer_button: &'static str,
    /// The purchase may be retried.
    pub step_up_passed: &'static str,
    /// The login has no questions: never asked.
    pub step_up_not_asked: &'static str,

    /// Notice: frozen.
    pub done_frozen: &'static str,
    /// Notice: unfrozen.
    pub done_unfrozen: &'static str,
    /// Notice: closed.
    pub done_closed: &'static str,
    /// Notice: wallet opened.
    pub done_wallet_opened: &'static str,
    /// Notice: funds added.
    pub done_funds_added: &'static str,
    /// Notice: card saved.
    pub done_card_saved: &'static str,
    /// Notice: method removed.
    pub done_method_removed: &'static str,
    /// Notice: limits set.
    pub done_limits_set: &'static str,
    /// Notice: sub-member added.
    pub done_sub_member_added: &'static str,
    /// Notice: sub-member disabled.
    pub done_sub_member_disabled: &'static str,
    /// Notice: sub-member enabled.
    pub done_sub_member_enabled: &'static str,
    /// Notice: questions replaced.
    pub done_questions_set: &'static str,
    /// Notice: transfer sent.
    pub done_transfer_sent: &'static str,
    /// Notice: code redeemed.
    pub done_incentive_redeemed: &'static str,
    /// Notice: dispute filed.
    pub done_dispute_filed: &'static str,

    /// Form error: amount.
    pub amount_invalid: &'static str,
    /// Form error: currency.
    pub currency_invalid: &'static str,
    /// Form error: e-mail.
    pub email_invalid: &'static str,
    /// Form error: e-mail taken.
    pub email_taken: &'static str,
    /// Form error: password.
    pub password_too_short: &'static str,
    /// Form error: name.
    pub name_invalid: &'static str,
    /// Form error: questions.
    pub questions_invalid: &'static str,
    /// Form error: a limit.
    pub limit_invalid: &'static str,
    /// Form error: reason.
    pub reason_invalid: &'static str,
    /// Form error: code.
    pub code_invalid: &'static str,
    /// Form error: note.
    pub note_invalid: &'static str,
    /// Form error: declined.
    pub declined: &'static str,
    /// Form error: wrong answer.
    pub answer_wrong: &'static str,

    /// Menu: the statement.
    pub statement: &'static str,
    /// Menu: the login's own profile.
    pub profile: &'static str,
    /// Summary: the link under the recent lines to the whole statement.
    pub statement_link: &'static str,

    /// Statement heading.
    pub statement_heading: &'static str,
    /// Under it: the time zone the dates and times are in, given its IANA name.
    pub statement_zone: fn(&str) -> String,
    /// Field: from (a date, inclusive).
    pub date_from: &'static str,
    /// Field: to (a date, inclusive).
    pub date_to: &'static str,
    /// Field and column: the kind of line.
    pub kind: &'static str,
    /// A select's "no filter" choice.
    pub any: &'static str,
    /// Field: a vendor's id typed in place of the select.
    pub vendor_id: &'static str,
    /// Field and column: the login that made the line.
    pub made_by: &'static str,
    /// Field: smallest amount.
    pub min_amount: &'static str,
    /// Field: largest amount.
    pub max_amount: &'static str,
    /// Filter button.
    pub apply_filters: &'static str,
    /// Column: the paid balance after the line.
    pub balance_after: &'static str,
    /// No line matches.
    pub no_lines: &'static str,
    /// The statement's link to its next page.
    pub next_lines: &'static str,
    /// Kind `purchase`.
    pub kind_purchase: &'static str,
    /// Kind `funds`.
    pub kind_funds: &'static str,
    /// Kind `transfer_in`.
    pub kind_transfer_in: &'static str,
    /// Kind `transfer_out`.
    pub kind_transfer_out: &'static str,
    /// Kind `cash_out`.
    pub kind_cash_out: &'static str,
    /// Kind `incentive`.
    pub kind_incentive: &'static str,
    /// Kind `dispute`.
    pub kind_dispute: &'static str,
    /// Kind `customer_credit`.
    pub kind_customer_credit: &'static str,
    /// Kind `reversal`.
    pub kind_reversal: &'static str,
    /// Form error: a filter of the statement.
    pub filter_invalid: &'static str,

    /// Profile heading.
    pub profile_heading: &'static str,
    /// Under it: what the name and the language are for.
    pub profile_intro: &'static str,
    /// Field: language.
    pub language: &'static str,
    /// Save button.
    pub save_profile: &'static str,
    /// Notice: profile saved.
    pub done_profile_set: &'static str,
    /// Form error: language.
    pub language_invalid: &'static str,

    /// `holder_only`.
    pub holder_only: Problem,
    /// `account_frozen`.
    pub account_frozen: Problem,
    /// `insufficient_funds`.
    pub insufficient_funds: Problem,
    /// `step_up_locked`.
    pub step_up_locked: Problem,
    /// `recipient_unavailable`.
    pub recipient_unavailable: Problem,
    /// A code that cannot be redeemed (unknown, expired, redeemed before).
    pub incentive_refused: Problem,
    /// A purchase that cannot be disputed (disputed already, too old, charged nothing).
    pub dispute_refused: Problem,
    /// `wallet_exists`.
    pub wallet_exists: Problem,
    /// An item that cannot be opened (expired, reversed, views used up, no URL kept).
    pub content_unavailable: Problem,
}

/// Every sentence of the account pages in `lang`.
#[must_use]
pub const fn strings(lang: Lang) -> &'static AccountStrings {
    lang.pick(&ACCOUNT_EN, &ACCOUNT_JA, &ACCOUNT_PT_BR)
}

/// The summary: who is signed in, the wallets, the recent purchases, freeze and unfreeze, and
/// closing the account (the holder's).
#[must_use]
pub fn summary_page(view: &SummaryView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.frame.home) }
        dl #login .rows {
            @if let Some(name) = view.name {
                div.row { dt { (s.name) } dd #login-name { (name) } }
            }
            div.row {
                dt { (s.status) }
                @if view.holder {
                    dd #login-role data-role="holder" { (s.role_holder) }
                } @else {
                    dd #login-role data-role="member" { (s.role_member) }
                }
            }
        }
        @if view.frozen {
            p #frozen .notice.bad role="status" { (s.frozen_notice) }
        }
        (wallet_table(view.wallets, s, lang))
        h2 { (s.recent_heading) }
        @if view.recent.is_empty() {
            p #no-purchases .lead { (s.no_purchases) }
        } @else {
            table #recent .grid {
                thead { tr { th { (s.when) } th { (s.vendor) } th.num { (s.price) } th {} } }
                tbody {
                    @for line in view.recent {
                        tr data-authorization=(line.authorization_id) {
                            td { (when(line.purchased_at)) }
                            td { code { (line.vendor_id) } }
                            td.num { (localize(line.price, line.currency, lang)) }
                            td { @if line.reversed { (s.reversed) } }
                        }
                    }
                }
            }
        }
        @if !view.recent_lines.is_empty() {
            (statement_table("recent-lines", view.recent_lines, s, lang))
        }
        p { a #statement-link href=(view.statement_href) { (s.statement_link) } }
        @if view.frozen {
            @if let Some(action) = view.unfreeze_action {
                form #unfreeze method="post" action=(action) {
                    (hidden_fields(view.desk.csrf, None))
                    button #unfreeze-button .btn.primary type="submit" { (s.unfreeze) }
                }
            }
        } @else {
            form #freeze method="post" action=(view.freeze_action) {
                (hidden_fields(view.desk.csrf, None))
                button #freeze-button .btn.danger type="submit" { (s.freeze) }
                p.fine { (s.freeze_hint) }
            }
        }
        @if let Some(action) = view.close_action {
            form #close method="post" action=(action) {
                (hidden_fields(view.desk.csrf, None))
                label {
                    input #close-forfeit type="checkbox" name="forfeit" value="yes";
                    " " (s.close_forfeit)
                }
                button #close-button .btn.danger type="submit" { (s.close) }
                p.fine { (s.close_hint) }
            }
        }
    };
    page(&view.desk, s.frame.home, content, lang)
}

/// An item's state in the reader's words, for one that does not open.
fn unavailable_text(reason: &str, s: &AccountStrings) -> &'static str {
    match reason {
        "reversed" => s.state_reversed,
        "views_used_up" => s.state_used_up,
        _ => s.state_expired,
    }
}

/// My Content: what the member owns, newest first (`table#content`, `tr[data-entitlement]`
/// with `data-state` `open` or the reason it does not), an "Open" form (`form.open`) on each
/// item that opens, and `a#next-page` when more follow.
#[must_use]
pub fn content_page(view: &ContentView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.content_heading) }
        p.lead { (s.content_intro) }
        @if view.items.is_empty() {
            p #no-content .notice.info { (s.no_content) }
        } @else {
            table #content .grid {
                thead {
                    tr {
                        th { (s.title) } th { (s.vendor) } th { (s.purchased) }
                        th { (s.expires) } th.num { (s.views_left) } th {}
                    }
                }
                tbody {
                    @for item in view.items {
                        tr.item data-entitlement=(item.entitlement_id)
                            data-state=(item.unavailable.unwrap_or("open")) {
                            td.title { (item.title.unwrap_or(s.untitled)) }
                            td.vendor { (item.vendor) }
                            td.purchased { (when(item.purchased_at)) }
                            td.expiry {
                                @if let Some(expiry) = item.expires_at { (when(expiry)) }
                                @else { (s.never) }
                            }
                            td.views.num {
                                @if let Some(left) = item.views_left { (left) }
                                @else { (s.unlimited) }
                            }
                            td {
                                @if let Some(reason) = item.unavailable {
                                    span.state { (unavailable_text(reason, s)) }
                                } @else {
                                    form.open.inline method="post" action=(item.open_action) {
                                        (hidden_fields(view.desk.csrf, None))
                                        button .btn.small.primary type="submit" { (s.open) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = view.next_href {
            p { a #next-page href=(next) { (s.next_page) } }
        }
    };
    page(&view.desk, s.content_heading, content, lang)
}

/// The wallets as a table, `table#wallets` (`tr[data-currency]`, `td.paid`, `td.incentive`).
fn wallet_table(wallets: &[WalletLine<'_>], s: &AccountStrings, lang: Lang) -> Markup {
    html! {
        @if wallets.is_empty() {
            p #no-wallets .lead { (s.no_wallets) }
        } @else {
            table #wallets .grid {
                thead {
                    tr {
                        th { (s.currency) } th.num { (s.paid) } th.num { (s.incentive) }
                        th.num { (s.available) }
                    }
                }
                tbody {
                    @for line in wallets {
                        tr data-currency=(line.currency) {
                            td { (line.currency) }
                            td.paid.num { (localize(line.paid, line.currency, lang)) }
                            td.incentive.num { (localize(line.incentive, line.currency, lang)) }
                            td.available.num { (localize(line.available, line.currency, lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// A `select` of currencies named `name`.
fn currency_select(id: &str, name: &str, currencies: &[&str]) -> Markup {
    html! {
        select id=(id) .input name=(name) required {
            @for currency in currencies { option value=(currency) { (currency) } }
        }
    }
}

/// The wallets page: the wallets, opening one, adding funds, and the payment methods.
#[must_use]
pub fn wallets_page(view: &WalletsView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let currencies: Vec<&str> = view.wallets.iter().map(|line| line.currency).collect();
    let csrf = view.desk.csrf;
    let content = html! {
        h1 { (s.wallets_heading) }
        (wallet_table(view.wallets, s, lang))
        @if !view.can_open.is_empty() {
            form #open-wallet .inline method="post" action=(view.open_action) {
                (hidden_fields(csrf, None))
                (currency_select("open-currency", "currency", view.can_open))
                button .btn.small.secondary type="submit" { (s.open_wallet) }
            }
        }
        h2 { (s.add_funds_heading) }
        @if view.methods.is_empty() {
            p #no-methods .notice.info { (s.no_methods) }
        } @else if !currencies.is_empty() {
            form #add-funds method="post" action=(view.funds_action) {
                (hidden_fields(csrf, None))
                label.field for="funds-amount" { (s.amount) }
                input #funds-amount .input type="text" name="amount" inputmode="decimal"
                    required value=(view.amount);
                label.field for="funds-currency" { (s.currency) }
                (currency_select("funds-currency", "currency", &currencies))
                label.field for="funds-method" { (s.payment_method) }
                select #funds-method .input name="payment_method_id" required {
                    @for method in view.methods {
                        option value=(method.id) { (method.brand) " ···· " (method.last4) }
                    }
                }
                button #add-funds-button .btn.primary type="submit" { (s.add_funds) }
            }
        }
        h2 { (s.methods_heading) }
        ul #methods .tasks {
            @for method in view.methods {
                li data-method=(method.id) {
                    form .inline method="post" action=(method.remove_action) {
                        (hidden_fields(csrf, None))
                        span { (method.brand) " ···· " (method.last4) }
                        button .btn.small.danger type="submit" { (s.remove) }
                    }
                }
            }
        }
        form #save-card method="post" action=(view.card_action) {
            (hidden_fields(csrf, None))
            button #save-card-button .btn.secondary type="submit" { (s.save_card) }
            p.fine { (s.save_card_hint) }
        }
    };
    page(&view.desk, s.wallets_heading, content, lang)
}

/// The limits page: each login's limits per currency, and one form per login that replaces
/// them in one currency.
#[must_use]
pub fn limits_page(view: &LimitsView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let shown = |limit: Option<&str>, currency: &str| match limit {
        Some(amount) => localize(amount, currency, lang),
        None => s.no_limit.to_owned(),
    };
    let fields = [
        ("per_transaction", s.per_transaction),
        ("per_session", s.per_session),
        ("per_day", s.per_day),
        ("per_week", s.per_week),
        ("per_month", s.per_month),
    ];
    let content = html! {
        h1 { (s.limits_heading) }
        p.lead { (s.limits_intro) }
        @for login in view.logins {
            section.login data-login=(login.login_id)
                data-role=(if login.holder { "holder" } else { "member" }) {
                h2 {
                    (login.label) " · "
                    @if login.holder { (s.role_holder) } @else { (s.role_member) }
                }
                @if !login.lines.is_empty() {
                    table.grid {
                        thead {
                            tr {
                                th { (s.currency) }
                                @for (_, label) in fields { th.num { (label) } }
                            }
                        }
                        tbody {
                            @for line in &login.lines {
                                tr data-currency=(line.currency) {
                                    td { (line.currency) }
                                    td.num data-limit="per_transaction" { (shown(line.per_transaction, line.currency)) }
                                    td.num data-limit="per_session" { (shown(line.per_session, line.currency)) }
                                    td.num data-limit="per_day" { (shown(line.per_day, line.currency)) }
                                    td.num data-limit="per_week" { (shown(line.per_week, line.currency)) }
                                    td.num data-limit="per_month" { (shown(line.per_month, line.currency)) }
                                }
                            }
                        }
                    }
                }
                form.limits method="post" action=(view.action) {
                    (hidden_fields(view.desk.csrf, None))
                    input type="hidden" name="login" value=(login.login_id);
                    label.field { (s.currency)
                        select.input name="currency" required {
                            @for currency in view.currencies { option value=(currency) { (currency) } }
                        }
                    }
                    @for (name, label) in fields {
                        label.field { (label)
                            input.input type="text" name=(name) inputmode="decimal";
                        }
                    }
                    button .btn.primary type="submit" { (s.set_limits) }
                }
            }
        }
    };
    page(&view.desk, s.limits_heading, content, lang)
}

/// The sub-members page: the logins, disabling and enabling each, and adding one.
#[must_use]
pub fn sub_members_page(view: &SubMembersView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let csrf = view.desk.csrf;
    let content = html! {
        h1 { (s.sub_members_heading) }
        p.lead { (s.sub_members_intro) }
        table #logins .grid {
            thead { tr { th { (s.name) } th { (s.email) } th { (s.status) } th {} } }
            tbody {
                @for login in view.logins {
                    tr data-login=(login.login_id) {
                        td.name { (login.name) }
                        td.email { (login.email) }
                        @if login.holder {
                            td.status data-status="holder" { (s.role_holder) }
                        } @else if login.disabled {
                            td.status data-status="disabled" { (s.disabled) }
                        } @else {
                            td.status data-status="active" { (s.active) }
                        }
                        td {
                            @if let Some(action) = login.toggle_action {
                                form.inline method="post" action=(action) {
                                    (hidden_fields(csrf, None))
                                    @if login.disabled {
                                        button .btn.small.secondary type="submit" { (s.enable) }
                                    } @else {
                                        button .btn.small.danger type="submit" { (s.disable) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (s.add_sub_member) }
        form #add-sub-member method="post" action=(view.add_action) {
            (hidden_fields(csrf, None))
            label.field for="sub-name" { (s.name) }
            input #sub-name .input type="text" name="name" maxlength="100" required
                value=(view.name);
            label.field for="sub-email" { (s.email) }
            input #sub-email .input type="email" name="email" autocomplete="off" required
                value=(view.email);
            label.field for="sub-password" { (s.password) }
            input #sub-password .input type="password" name="password" minlength="8"
                autocomplete="new-password" required;
            button #add-sub-member-button .btn.primary type="submit" { (s.add_sub_member) }
        }
    };
    page(&view.desk, s.sub_members_heading, content, lang)
}

/// How many question rows the questions form offers (the API takes 2 to 5).
pub const QUESTION_ROWS: usize = 5;

/// The security questions page: up to five pairs; blank rows are left out.
#[must_use]
pub fn questions_page(view: &FormView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.questions_heading) }
        p.lead { (s.questions_intro) }
        form #questions method="post" action=(view.action) {
            (hidden_fields(view.desk.csrf, None))
            @for n in 1..=QUESTION_ROWS {
                fieldset {
                    legend { (s.question) " " (n) }
                    input.input type="text" name=(format!("question_{n}")) maxlength="200"
                        aria-label=(s.question);
                    label.field { (s.answer)
                        input.input type="text" name=(format!("answer_{n}")) maxlength="200"
                            autocomplete="off";
                    }
                }
            }
            button #save-questions .btn.primary type="submit" { (s.save_questions) }
        }
    };
    page(&view.desk, s.questions_heading, content, lang)
}

/// The transfers page: money to another member by e-mail.
#[must_use]
pub fn transfers_page(view: &FormView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.transfers_heading) }
        p.lead { (s.transfers_intro) }
        form #transfer method="post" action=(view.action) {
            (hidden_fields(view.desk.csrf, None))
            label.field for="to-email" { (s.to_email) }
            input #to-email .input type="email" name="to_email" required;
            label.field for="transfer-amount" { (s.amount) }
            input #transfer-amount .input type="text" name="amount" inputmode="decimal" required;
            label.field for="transfer-currency" { (s.currency) }
            (currency_select("transfer-currency", "currency", view.currencies))
            label.field for="transfer-note" { (s.note) }
            input #transfer-note .input type="text" name="note" maxlength="140";
            button #send-transfer .btn.primary type="submit" { (s.send) }
        }
    };
    page(&view.desk, s.transfers_heading, content, lang)
}

/// The incentives page: redeem a code.
#[must_use]
pub fn incentives_page(view: &FormView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.incentives_heading) }
        p.lead { (s.incentives_intro) }
        form #redeem method="post" action=(view.action) {
            (hidden_fields(view.desk.csrf, None))
            label.field for="code" { (s.code) }
            input #code .input type="text" name="code" maxlength="32" required;
            button #redeem-button .btn.primary type="submit" { (s.redeem) }
        }
    };
    page(&view.desk, s.incentives_heading, content, lang)
}

/// A dispute's status in the reader's words.
fn status_text(status: &str, s: &AccountStrings) -> &'static str {
    match status {
        "approved" => s.status_approved,
        "rejected" => s.status_rejected,
        _ => s.status_pending,
    }
}

/// The disputes page: the member's disputes and the form that files one.
#[must_use]
pub fn disputes_page(view: &DisputesView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.disputes_heading) }
        p.lead { (s.disputes_intro) }
        @if view.disputes.is_empty() {
            p #no-disputes .notice.info { (s.no_disputes) }
        } @else {
            table #disputes .grid {
                thead {
                    tr {
                        th { (s.when) } th.num { (s.price) } th { (s.reason) } th { (s.status) }
                        th { (s.decision) }
                    }
                }
                tbody {
                    @for line in view.disputes {
                        tr.dispute data-dispute=(line.id) {
                            td { (when(line.filed_at)) }
                            td.num { (localize(line.amount, line.currency, lang)) }
                            td { (line.reason) }
                            td.status data-status=(line.status) { (status_text(line.status, s)) }
                            td { (line.decision_reason.unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if !view.purchases.is_empty() {
            form #file-dispute method="post" action=(view.action) {
                (hidden_fields(view.desk.csrf, None))
                label.field for="dispute-purchase" { (s.purchase) }
                select #dispute-purchase .input name="authorization_id" required {
                    @for line in view.purchases {
                        option value=(line.authorization_id) {
                            (localize(line.price, line.currency, lang)) " · " (line.vendor_id)
                        }
                    }
                }
                label.field for="dispute-reason" { (s.reason) }
                input #dispute-reason .input type="text" name="reason" maxlength="256" required;
                button #file-dispute-button .btn.primary type="submit" { (s.file_dispute) }
            }
        }
    };
    page(&view.desk, s.disputes_heading, content, lang)
}

/// A kind of statement line in the reader's words. An exhaustive match: a new kind must be
/// given a word in every language.
#[must_use]
pub fn kind_word(kind: LineKind, s: &AccountStrings) -> &'static str {
    match kind {
        LineKind::Purchase => s.kind_purchase,
        LineKind::FundsAdded => s.kind_funds,
        LineKind::TransferIn => s.kind_transfer_in,
        LineKind::TransferOut => s.kind_transfer_out,
        LineKind::CashOut => s.kind_cash_out,
        LineKind::Incentive => s.kind_incentive,
        LineKind::Dispute => s.kind_dispute,
        LineKind::CustomerCredit => s.kind_customer_credit,
        LineKind::Reversal => s.kind_reversal,
    }
}

/// Whether `url` may be a link: http or https only, so a vendor's URL cannot run a script.
fn linkable(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Statement lines as a table (`tr[data-line]`, `td.kind[data-kind]`, `td.vendor[data-vendor]`,
/// `td.title`, `td.amount`, `td.balance`, `td.made-by`).
fn statement_table(id: &str, lines: &[StatementRow<'_>], s: &AccountStrings, lang: Lang) -> Markup {
    let made_by = lines.iter().any(|line| line.made_by.is_some());
    html! {
        table id=(id) .grid {
            thead {
                tr {
                    th { (s.when) } th { (s.kind) } th { (s.vendor) } th { (s.title) }
                    th.num { (s.amount) } th.num { (s.balance_after) }
                    @if made_by { th { (s.made_by) } }
                }
            }
            tbody {
                @for line in lines {
                    tr data-line=(line.id) {
                        td { time datetime=(line.at) { (line.local) } }
                        td.kind data-kind=(line.kind) {
                            (LineKind::from_code(line.kind).map_or(line.kind, |kind| kind_word(kind, s)))
                        }
                        td.vendor data-vendor=[line.vendor_id] {
                            (line.vendor_name.or(line.vendor_id).unwrap_or(""))
                        }
                        td.title {
                            @match (line.title, line.content_url) {
                                (Some(title), Some(url)) if linkable(url) => {
                                    a href=(url) rel="noopener noreferrer" { (title) }
                                }
                                (Some(title), _) => { (title) }
                                (None, _) => { (line.note.unwrap_or("")) }
                            }
                        }
                        td.amount.num { (localize(line.amount, line.currency, lang)) }
                        td.balance.num { (localize(line.balance_after, line.currency, lang)) }
                        @if made_by { td.made-by { (line.made_by.unwrap_or("")) } }
                    }
                }
            }
        }
    }
}

/// A `select` named `name` with an "all" choice first and `chosen` selected.
fn filter_select(id: &str, name: &str, any: &str, choices: &[Choice<'_>], chosen: &str) -> Markup {
    html! {
        select id=(id) .input name=(name) {
            option value="" { (any) }
            @for choice in choices {
                option value=(choice.value) selected[choice.value == chosen] { (choice.label) }
            }
        }
    }
}

/// The statement: `form#statement-filters` (a GET form: dates, vendor, kind, login for the
/// holder, amounts), `table#statement` and `a#next-page`; `p#no-lines` when nothing matches.
#[must_use]
pub fn statement_page(view: &StatementView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let f = &view.filters;
    let kinds: Vec<Choice<'_>> = LineKind::ALL
        .into_iter()
        .map(|kind| Choice {
            value: kind.code(),
            label: kind_word(kind, s),
        })
        .collect();
    let content = html! {
        h1 { (s.statement_heading) }
        p.lead #statement-zone data-zone=(view.zone) { ((s.statement_zone)(view.zone)) }
        @if let Some(param) = view.invalid_param {
            p #filter-error .notice.bad data-param=(param) { (s.filter_invalid) }
        }
        form #statement-filters method="get" action=(view.action) {
            @if let Some(code) = view.lang_param {
                input type="hidden" name="lang" value=(code);
            }
            @if !view.limit.is_empty() {
                input type="hidden" name="limit" value=(view.limit);
            }
            label.field for="filter-from" { (s.date_from) }
            input #filter-from .input type="date" name="from" value=(f.from);
            label.field for="filter-to" { (s.date_to) }
            input #filter-to .input type="date" name="to" value=(f.to);
            label.field for="filter-kind" { (s.kind) }
            (filter_select("filter-kind", "kind", s.any, &kinds, f.kind))
            label.field for="filter-vendor" { (s.vendor) }
            (filter_select("filter-vendor", "vendor", s.any, view.vendors, f.vendor))
            label.field for="filter-vendor-id" { (s.vendor_id) }
            input #filter-vendor-id .input type="text" name="vendor_id" value=(f.vendor_id)
                placeholder="ven_…";
            @if let Some(logins) = view.logins {
                label.field for="filter-login" { (s.made_by) }
                (filter_select("filter-login", "login", s.any, logins, f.login))
            }
            label.field for="filter-min" { (s.min_amount) }
            input #filter-min .input type="text" name="min" inputmode="decimal" value=(f.min);
            label.field for="filter-max" { (s.max_amount) }
            input #filter-max .input type="text" name="max" inputmode="decimal" value=(f.max);
            button #filter-button .btn.primary type="submit" { (s.apply_filters) }
        }
        @if view.lines.is_empty() {
            p #no-lines .lead { (s.no_lines) }
        } @else {
            (statement_table("statement", view.lines, s, lang))
        }
        @if let Some(href) = view.next_href {
            p { a #next-page .btn.secondary href=(href) { (s.next_lines) } }
        }
    };
    page(&view.desk, s.statement_heading, content, lang)
}

/// The profile page: `form#profile` with the login's name and language.
#[must_use]
pub fn profile_page(view: &ProfileView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.profile_heading) }
        p.lead { (s.profile_intro) }
        form #profile method="post" action=(view.action) {
            (hidden_fields(view.desk.csrf, None))
            label.field for="profile-name" { (s.name) }
            input #profile-name .input type="text" name="name" maxlength="100" required
                value=(view.name);
            label.field for="profile-language" { (s.language) }
            select #profile-language .input name="language" {
                @for option in Lang::ALL {
                    option value=(option.code()) selected[option == view.language] {
                        (option.native_name())
                    }
                }
            }
            button #save-profile .btn.primary type="submit" { (s.save_profile) }
        }
    };
    page(&view.desk, s.profile_heading, content, lang)
}

/// A security question to answer: `form#step-up` with the question, the answer field and the
/// fields of the form it stands in for.
#[must_use]
pub fn challenge_page(view: &ChallengeView<'_>, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.step_up_heading) }
        p.lead {
            @if view.for_purchase { (s.step_up_for_purchase) } @else { (s.step_up_for_change) }
        }
        form #step-up method="post" action=(view.action) {
            (hidden_fields(view.desk.csrf, None))
            input type="hidden" name="challenge_id" value=(view.challenge_id);
            @for (name, value) in view.carried {
                input type="hidden" name=(name) value=(value);
            }
            p #step-up-question .offer-title { (view.question) }
            label.field for="answer" { (s.answer) }
            input #answer .input type="text" name="answer" maxlength="200" autocomplete="off"
                required;
            @if view.retype_password {
                label.field for="password-again" { (s.password_again) }
                input #password-again .input type="password" name="password"
                    autocomplete="new-password" required;
            }
            button #answer-button .btn.primary type="submit" { (s.answer_button) }
        }
    };
    page(&view.desk, s.step_up_heading, content, lang)
}

/// The step-up page after a right answer (`p#step-up-passed`), or for a login that is never
/// asked (`p#step-up-not-asked`).
#[must_use]
pub fn step_up_done_page(desk: &Desk<'_>, passed: bool, lang: Lang) -> String {
    let s = strings(lang);
    let content = html! {
        h1 { (s.step_up_heading) }
        @if passed {
            p #step-up-passed .notice.ok role="status" { (s.step_up_passed) }
        } @else {
            p #step-up-not-asked .notice.info { (s.step_up_not_asked) }
        }
    };
    page(desk, s.step_up_heading, content, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::office::Notice as _;
    use crate::web::pages::tests::{
        HOSTILE, assert_document, assert_element, assert_no_element, element_text,
    };

    fn desk(current: Section) -> Desk<'static> {
        Desk {
            who: Who::Person("kid@example.com"),
            acting_for: None,
            nav: vec![
                NavLink {
                    section: Section::Summary,
                    href: "/account",
                },
                NavLink {
                    section: Section::Incentives,
                    href: "/account/incentives",
                },
            ],
            current,
            csrf: "csrf-token-7",
            sign_out_action: "/account/logout",
            notice: None,
            error: None,
        }
    }

    #[test]
    fn a_sub_member_s_summary_has_no_holder_link_and_no_unfreeze() {
        let wallets = [WalletLine {
            currency: "USD",
            paid: "4.75",
            incentive: "0.50",
            available: "4.75",
        }];
        let recent = [PurchaseLine {
            authorization_id: "auth_1",
            vendor_id: "vnd_1",
            price: "0.25",
            currency: "USD",
            purchased_at: "2026-03-10T09:30:00.000Z",
            reversed: false,
        }];
        let mut view = SummaryView {
            desk: desk(Section::Summary),
            name: Some(HOSTILE),
            holder: false,
            frozen: false,
            wallets: &wallets,
            recent: &recent,
            recent_lines: &[],
            statement_href: "/account/statement",
            freeze_action: "/account/freeze",
            unfreeze_action: None,
            close_action: None,
        };
        for lang in Lang::ALL {
            let page = summary_page(&view, lang);
            assert_document(&page, lang);
            assert!(page.contains(r#"<tr data-currency="USD">"#));
            assert!(page.contains(r#"data-role="member""#));
            assert_element(&page, "form", "freeze", &[r#"action="/account/freeze""#]);
            for absent in [
                "nav-wallets",
                "nav-limits",
                "nav-sub-members",
                "unfreeze",
                "close",
            ] {
                assert_no_element(&page, absent);
            }
            assert!(!page.contains("<script>"), "{page}");
        }
        view.frozen = true;
        let page = summary_page(&view, Lang::En);
        assert_element(&page, "p", "frozen", &[]);
        assert_no_element(&page, "freeze");
        assert_no_element(&page, "unfreeze");
        view.unfreeze_action = Some("/account/unfreeze");
        assert_element(&summary_page(&view, Lang::En), "form", "unfreeze", &[]);
        // The holder's summary offers closing the account, with the forfeit checkbox.
        view.close_action = Some("/account/close");
        for lang in Lang::ALL {
            let page = summary_page(&view, lang);
            assert_element(&page, "form", "close", &[r#"action="/account/close""#]);
            assert_element(&page, "input", "close-forfeit", &[r#"name="forfeit""#]);
        }
    }

    #[test]
    fn my_content_opens_only_what_still_opens_and_links_the_next_page() {
        let items = [
            ContentLine {
                entitlement_id: "ent_1",
                title: Some(HOSTILE),
                vendor: "Daily News",
                purchased_at: "2026-03-10T09:30:00.000Z",
                expires_at: None,
                views_left: None,
                unavailable: None,
                open_action: "/account/content/ent_1/open",
            },
            ContentLine {
                entitlement_id: "ent_2",
                title: None,
                vendor: "ven_2",
                purchased_at: "2026-03-09T09:30:00.000Z",
                expires_at: Some("2026-03-10T09:30:00.000Z"),
                views_left: Some(0),
                unavailable: Some("views_used_up"),
                open_action: "/account/content/ent_2/open",
            },
        ];
        let view = ContentView {
            desk: desk(Section::Content),
            items: &items,
            next_href: Some("/account/content?cursor=00"),
        };
        for lang in Lang::ALL {
            let s = strings(lang);
            let page = content_page(&view, lang);
            assert_document(&page, lang);
            assert!(page.contains(r#"action="/account/content/ent_1/open""#));
            assert!(!page.contains(r#"action="/account/content/ent_2/open""#));
            assert!(page.contains(r#"data-state="views_used_up""#));
            assert!(page.contains(s.state_used_up));
            assert!(page.contains(s.untitled));
            assert!(page.contains(s.unlimited));
            assert_element(
                &page,
                "a",
                "next-page",
                &[r#"href="/account/content?cursor=00""#],
            );
            assert!(!page.contains("<script>"), "{page}");
        }
        let empty = ContentView {
            desk: desk(Section::Content),
            items: &[],
            next_href: None,
        };
        let page = content_page(&empty, Lang::En);
        assert_element(&page, "p", "no-content", &[]);
        assert_no_element(&page, "next-page");
    }

    #[test]
    fn a_challenge_carries_the_form_but_never_a_password() {
        let carried = [("login", "login_1"), ("per_day", "2.00")];
        let view = ChallengeView {
            desk: desk(Section::Limits),
            action: "/account/limits",
            question: HOSTILE,
            challenge_id: "chl",
            carried: &carried,
            retype_password: true,
            for_purchase: false,
        };
        for lang in Lang::ALL {
            let page = challenge_page(&view, lang);
            assert_element(&page, "form", "step-up", &[r#"action="/account/limits""#]);
            assert!(page.contains(r#"<input type="hidden" name="per_day" value="2.00">"#));
            assert!(page.contains(r#"name="challenge_id" value="chl""#));
            assert_element(&page, "input", "password-again", &[r#"type="password""#]);
            assert!(page.contains(strings(lang).step_up_for_change));
            assert!(!page.contains("<script>"), "{page}");
        }
        let done = step_up_done_page(&desk(Section::Summary), true, Lang::Ja);
        assert_eq!(
            element_text(&done, "p", "step-up-passed"),
            strings(Lang::Ja).step_up_passed
        );
    }

    #[test]
    fn every_notice_round_trips_through_its_code() {
        for notice in Notice::ALL {
            assert_eq!(Notice::from_code(notice.code()), Some(notice));
            for lang in Lang::ALL {
                assert!(!notice.text(lang).is_empty());
            }
        }
        assert_eq!(Notice::from_code("nothing"), None);
    }

    #[test]
    fn error_pages_have_text_for_the_account_s_codes() {
        for lang in Lang::ALL {
            for code in [
                "holder_only",
                "account_frozen",
                "step_up_locked",
                "csrf_failed",
                "incentive_already_redeemed",
                "entitlement_expired",
                "content_url_not_kept",
            ] {
                let view = ErrorView {
                    code,
                    home_href: "/account",
                };
                let page = office::error_page::<AccountOffice>(&view, lang);
                assert_document(&page, lang);
                let problem = <AccountOffice as office::Office>::problem(code, lang).unwrap();
                assert!(page.contains(problem.title), "{code}");
            }
        }
    }

    #[test]
    fn translations_are_present() {
        let en = strings(Lang::En);
        for other in [Lang::Ja, Lang::PtBr] {
            let s = strings(other);
            assert_ne!(s.frame.sign_in_heading, en.frame.sign_in_heading);
            assert_ne!(s.limits_intro, en.limits_intro);
            assert_ne!(s.sub_members_intro, en.sub_members_intro);
            assert_ne!(s.step_up_passed, en.step_up_passed);
            assert_ne!(s.holder_only.detail, en.holder_only.detail);
            assert_ne!(s.content_intro, en.content_intro);
            assert_ne!(s.content_unavailable.detail, en.content_unavailable.detail);
            assert!((s.frame.signed_in_as)("a@b.example").contains("a@b.example"));
        }
    }
}
