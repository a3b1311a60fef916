//! A member on a page ([0074]): looked up by id or by the e-mail they sign in with, and shown
//! as `GET /admin/v1/members/{id}` shows them, through `admin_api::member_response`.
//!
//! Personal data (the e-mail, the payment methods' digits) is masked unless the operator
//! holds `members.personal_data.read`; [`PersonalData`] is that one rule, for both doors. A
//! clerk answering "why was I charged?" needs the wallets and purchases, not who the member
//! is, so masking is the default and seeing more is a function granted on purpose.

use hyper::StatusCode;

use super::{Outcome, Seat};
use crate::domain::ids::AccountId;
use crate::domain::security::Staff;
use crate::http::admin_api::member_response;
use crate::http::app::App;
use crate::http::dto::AccountResponse;
use crate::http::error::ApiError;
use crate::http::member_api::normalize_email;
use crate::http::routes::PERSONAL_DATA_READ;
use crate::web::back_office::{
    self as pages, FormError, LimitsRow, MemberCard, MembersView, PaymentMethodRow, PurchaseRow,
    Section, WalletRow,
};

/// The page's path.
const MEMBERS_PATH: &str = "/back-office/members";
/// Query parameters read at most (`member`, `lang`, `done`, and room for a stray one).
const PARAMS_MAX: usize = 8;
/// What a masked value shows in place of what it hides.
const MASK: &str = "***";
/// The payment methods' last digits when masked: as many stars as digits, so the column
/// still reads as "four digits, hidden".
const DIGITS_MASK: &str = "****";

/// Whether a member's personal data is shown to the caller, decided once per request from
/// their functions. An enum rather than a `bool`, so a call site reads as what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalData {
    /// The caller holds `members.personal_data.read`: shown as it is.
    Shown,
    /// Masked: the e-mail as `a***@example.com`, the payment methods' digits as stars.
    Masked,
}

impl PersonalData {
    /// What `staff` may see now (groups changed since they signed in count at once; the admin
    /// key holds every function).
    #[must_use]
    pub fn for_staff(app: &App, staff: Staff) -> PersonalData {
        match app.check_function(staff, PERSONAL_DATA_READ) {
            Ok(()) => PersonalData::Shown,
            Err(_) => PersonalData::Masked,
        }
    }

    /// An e-mail as shown: the first character of its local part and the domain, which is
    /// enough to tell two members apart on a call without reading out the address.
    #[must_use]
    pub fn email(self, email: &str) -> String {
        if self == PersonalData::Shown {
            return email.to_owned();
        }
        match email.split_once('@') {
            Some((local, domain)) => match local.chars().next() {
                Some(first) => format!("{first}{MASK}@{domain}"),
                None => format!("{MASK}@{domain}"),
            },
            None => MASK.to_owned(),
        }
    }

    /// An account as shown: the e-mail and the payment methods' last digits masked. The ids, brands,
    /// balances and purchases stay: they are the account, not the person, and the page is
    /// of no use without them.
    #[must_use]
    pub fn account(self, mut response: AccountResponse) -> AccountResponse {
        response.email = response.email.map(|email| self.email(&email));
        if self == PersonalData::Masked {
            for method in &mut response.payment_methods {
                DIGITS_MASK.clone_into(&mut method.last4);
            }
        }
        response
    }
}

/// A member found: the account as shown, and its e-mail (as shown).
struct Found {
    /// The account.
    account: AccountResponse,
    /// The e-mail: the account's own, else the one it was looked up by.
    email: Option<String>,
}

/// The members page for `?member=`: the lookup form, and the member when one was asked for;
/// the form again with its error for a malformed or unknown member.
///
/// # Errors
/// The gateway's faults.
pub(super) async fn page(seat: &Seat<'_>) -> Outcome {
    let mut typed = String::new();
    for (name, value) in
        url::form_urlencoded::parse(seat.query.unwrap_or("").as_bytes()).take(PARAMS_MAX)
    {
        if name == "member" {
            value.trim().clone_into(&mut typed);
        }
    }
    let shown = PersonalData::for_staff(seat.app, seat.caller);
    let (found, error, status) = if typed.is_empty() {
        (None, None, StatusCode::OK)
    } else {
        match find(seat.app, &typed, shown).await? {
            Ok(found) => (Some(found), None, StatusCode::OK),
            Err(FormError::MemberUnknown) => {
                (None, Some(FormError::MemberUnknown), StatusCode::NOT_FOUND)
            }
            Err(error) => (None, Some(error), StatusCode::BAD_REQUEST),
        }
    };
    // The field is refilled with what was typed, except that a member found by e-mail with
    // personal data masked gets their id instead: the page must not show the address in
    // the field that it masks below. A lookup that found nobody keeps the typing to correct.
    let refill = match &found {
        Some(found) if shown == PersonalData::Masked => found.account.member_id.as_str(),
        _ => typed.as_str(),
    };
    let member = found.as_ref().map(|found| card(found, shown));
    let view = MembersView {
        desk: seat.desk(Section::Members, error),
        action: MEMBERS_PATH,
        lang_field: seat.browser.query_lang.map(|lang| lang.code()),
        typed: refill,
        member,
    };
    seat.respond(status, pages::members_page(&view, seat.browser.lang(None)))
}

/// The member `typed` names: an e-mail (with an `@`, found as member sign-in finds it) or a
/// member id. The inner error is the form's: `MemberInvalid` or `MemberUnknown`.
///
/// # Errors
/// The gateway's faults.
async fn find(
    app: &App,
    typed: &str,
    shown: PersonalData,
) -> Result<Result<Found, FormError>, ApiError> {
    let (account, email) = if typed.contains('@') {
        let Ok(email) = normalize_email(typed) else {
            return Ok(Err(FormError::MemberInvalid));
        };
        let Some(account) = app.registry.account_by_email(&email) else {
            return Ok(Err(FormError::MemberUnknown));
        };
        (account, Some(email))
    } else {
        let Ok(account) = typed.parse::<AccountId>() else {
            return Ok(Err(FormError::MemberInvalid));
        };
        (account, None)
    };
    match member_response(app, account, shown).await {
        Ok(account) => Ok(Ok(Found {
            email: account
                .email
                .clone()
                .or_else(|| email.map(|email| shown.email(&email))),
            account,
        })),
        Err(ApiError::NotFound) => Ok(Err(FormError::MemberUnknown)),
        Err(error) => Err(error),
    }
}

/// The page's view of a member found.
fn card(found: &Found, shown: PersonalData) -> MemberCard<'_> {
    let account = &found.account;
    MemberCard {
        id: &account.member_id,
        email: found.email.as_deref(),
        masked: shown == PersonalData::Masked,
        frozen: account.frozen,
        closed_at: account.closed_at.as_deref(),
        entitlement_count: account.entitlement_count,
        wallets: account
            .wallets
            .iter()
            .map(|wallet| WalletRow {
                currency: &wallet.currency,
                paid: &wallet.paid,
                incentive: &wallet.incentive,
                credit_line: &wallet.credit_line,
                debt: &wallet.debt,
                available: &wallet.available,
            })
            .collect(),
        limits: account
            .limits
            .iter()
            .map(|limits| LimitsRow {
                currency: &limits.currency,
                per_transaction: limits.per_transaction.as_deref(),
                per_session: limits.per_session.as_deref(),
                per_day: limits.per_day.as_deref(),
                per_week: limits.per_week.as_deref(),
                per_month: limits.per_month.as_deref(),
                vendors_allowed: limits
                    .vendors_allowed
                    .as_ref()
                    .map(|vendors| vendors.iter().map(String::as_str).collect()),
            })
            .collect(),
        payment_methods: account
            .payment_methods
            .iter()
            .map(|method| PaymentMethodRow {
                id: &method.payment_method_id,
                kind: &method.kind,
                brand: &method.brand,
                last4: &method.last4,
            })
            .collect(),
        purchases: account
            .recent_activity
            .iter()
            .map(|purchase| PurchaseRow {
                authorization_id: &purchase.authorization_id,
                vendor: &purchase.vendor_id,
                price: &purchase.price,
                currency: &purchase.currency,
                purchased_at: &purchase.purchased_at,
                reversed: purchase.reversed,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::dto::PaymentMethodView;

    fn account() -> AccountResponse {
        AccountResponse {
            member_id: "acct_0000000000000001".to_owned(),
            email: Some("alice@example.com".to_owned()),
            frozen: false,
            wallets: Vec::new(),
            payment_methods: vec![PaymentMethodView {
                payment_method_id: "pm_0000000000000001".to_owned(),
                kind: "card".to_owned(),
                brand: "visa".to_owned(),
                last4: "4242".to_owned(),
            }],
            limits: Vec::new(),
            entitlement_count: 3,
            recent_activity: Vec::new(),
            recent_transactions: Vec::new(),
            login: None,
            language: None,
            time_zone: None,
            closed_at: None,
        }
    }

    #[test]
    fn an_email_is_masked_to_its_first_letter_and_domain() {
        let masked = PersonalData::Masked;
        assert_eq!(masked.email("alice@example.com"), "a***@example.com");
        assert_eq!(masked.email("é@example.com"), "é***@example.com");
        assert_eq!(masked.email("@example.com"), "***@example.com");
        assert_eq!(masked.email("no-at-sign"), "***");
        assert_eq!(
            PersonalData::Shown.email("alice@example.com"),
            "alice@example.com"
        );
    }

    #[test]
    fn an_account_hides_only_the_e_mail_and_the_payment_digits() {
        let masked = PersonalData::Masked.account(account());
        assert_eq!(masked.email.as_deref(), Some("a***@example.com"));
        let method = &masked.payment_methods[0];
        assert_eq!(method.last4, "****");
        assert_eq!(method.brand, "visa");
        assert_eq!(method.payment_method_id, "pm_0000000000000001");
        assert_eq!(masked.member_id, "acct_0000000000000001");
        assert_eq!(masked.entitlement_count, 3);
        let shown = PersonalData::Shown.account(account());
        assert_eq!(shown.payment_methods[0].last4, "4242");
        assert_eq!(shown.email.as_deref(), Some("alice@example.com"));
    }
}
