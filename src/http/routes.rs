//! The route table: every route's method, path template, who may call it, its handler and
//! its OpenAPI operation, in one place. The router (`router.rs`), the `405` with `Allow`, the
//! OpenAPI document (`openapi.rs`) and the authentication tests are all derived from it.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::Full;
use hyper::header::HeaderMap;
use hyper::{Method, Response};
use utoipa::openapi::path::{HttpMethod, Operation};

use super::app::{App, MemberSession};
use super::client::ClientAddr;
use super::error::ApiError;
use super::{
    account, admin_api, approvals_api, audit_api, back_office, buy_window, content_api,
    dispute_api, incentive_api, logins_api, mail_api, member_api, offers_api, probes, security_api,
    settlement_api, statement_api, step_up_api, transfer_api, vendor_admin_api, vendor_api,
    vendor_office, vendor_standing_api,
};
use crate::actors::registry::VendorEntry;
use crate::domain::ids::OperatorId;
use crate::domain::security::Staff;

/// Who may call a route. Back-office routes name the security function they are
/// (`<resource>.<verb>`): the admin key holds every function, an operator those of their
/// groups, a vendor's API key every vendor function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Anyone (probes, registration, sign-in, the buy window's pages with their own cookies).
    None,
    /// A member with a session token (`Authorization: Bearer <session token>`).
    Member,
    /// The account's holder with a session token: a sub-member is refused `403 holder_only`
    /// ([0275]).
    Holder,
    /// A vendor with its API key, performing this vendor function.
    Vendor(&'static str),
    /// The admin key or an operator's session, performing this security function.
    Admin(&'static str),
}

impl Caller {
    /// The security function the route is, for back-office routes.
    #[must_use]
    pub const fn function(self) -> Option<&'static str> {
        match self {
            Caller::Vendor(function) | Caller::Admin(function) => Some(function),
            Caller::None | Caller::Member | Caller::Holder => None,
        }
    }
}

/// The security function that shows a member's personal data (e-mail, payment details)
/// unmasked, on `GET /admin/v1/members/{id}` and the back office's member page.
pub const PERSONAL_DATA_READ: &str = "members.personal_data.read";

/// Security functions that are no route of their own: each widens what a route shows rather
/// than opening one, so the table cannot name it. Listed here so they can be granted to a
/// group, listed by `GET /admin/v1/functions` and checked like any other. (Rejected: a
/// route of its own for the unmasked view, which would have made every reader of members
/// choose between two URLs, and the audit trail read the same call under two functions.)
pub const EXTRA_FUNCTIONS: &[&str] = &[PERSONAL_DATA_READ];

/// Every security function of the back office, from the route table and `EXTRA_FUNCTIONS`,
/// sorted and once each.
#[must_use]
pub fn admin_functions() -> Vec<&'static str> {
    let mut functions: Vec<&'static str> = ROUTES
        .iter()
        .filter_map(|route| match route.caller {
            Caller::Admin(function) => Some(function),
            _ => None,
        })
        .chain(EXTRA_FUNCTIONS.iter().copied())
        .collect();
    functions.sort_unstable();
    functions.dedup();
    functions
}

/// Every vendor security function (`Caller::Vendor` rows), sorted, each once: what a vendor's
/// API key holds and what its admins are given from.
#[must_use]
pub fn vendor_functions() -> Vec<&'static str> {
    let mut functions: Vec<&'static str> = ROUTES
        .iter()
        .filter_map(|route| match route.caller {
            Caller::Vendor(function) => Some(function),
            _ => None,
        })
        .collect();
    functions.sort_unstable();
    functions.dedup();
    functions
}

/// The caller, authenticated by the router as the route asks.
#[derive(Clone)]
pub enum Principal {
    /// No credential was asked for.
    None,
    /// A member's session (the account actor still checks that it is live).
    Member(MemberSession),
    /// A vendor, by its API key (every vendor function).
    Vendor(VendorEntry),
    /// One of a vendor's admins, by their session (their functions, checked per call).
    VendorAdmin(VendorEntry, OperatorId),
    /// The admin key or an operator.
    Admin(Staff),
}

/// How large a body a route reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLimit {
    /// `server.request_body_bytes_max`.
    Request,
    /// `server.batch_body_bytes_max`: a batch of up to 1,000 items.
    Batch,
}

/// Whether a route is served before the server is ready (recovery running, journal failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Always served (health, metrics, documentation).
    Always,
    /// 503 until ready.
    WhenReady,
}

/// The path parameters of a matched route, by the names in its template.
#[derive(Clone, Debug, Default)]
pub struct Params<'a> {
    pairs: Vec<(&'static str, &'a str)>,
}

impl<'a> Params<'a> {
    /// The value of `{name}` in the path.
    ///
    /// # Errors
    /// `RouteNotFound` when the template has no such parameter (a bug in the table).
    pub fn get(&self, name: &str) -> Result<&'a str, ApiError> {
        self.pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
            .ok_or(ApiError::RouteNotFound)
    }
}

/// One request as a handler sees it.
pub struct Call<'a> {
    /// Who sent it, for limits counted per client.
    pub client: ClientAddr,
    /// The authenticated caller.
    pub principal: Principal,
    /// Path parameters.
    pub params: Params<'a>,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The query string, if any.
    pub query: Option<&'a str>,
    /// The body, read within the route's limit.
    pub body: Bytes,
}

impl Call<'_> {
    /// The authenticated vendor.
    ///
    /// # Errors
    /// `Unauthenticated` when the route did not ask for a vendor (a bug in the table).
    pub fn vendor(&self) -> Result<&VendorEntry, ApiError> {
        match &self.principal {
            Principal::Vendor(vendor) | Principal::VendorAdmin(vendor, _) => Ok(vendor),
            _ => Err(ApiError::Unauthenticated),
        }
    }

    /// The vendor admin acting, when the vendor is not acting by its API key.
    #[must_use]
    pub fn vendor_admin(&self) -> Option<OperatorId> {
        match &self.principal {
            Principal::VendorAdmin(_, admin) => Some(*admin),
            _ => None,
        }
    }

    /// Who is acting in the back office.
    ///
    /// # Errors
    /// `Unauthenticated` when the route did not ask for an operator (a bug in the table).
    pub fn staff(&self) -> Result<Staff, ApiError> {
        match &self.principal {
            Principal::Admin(staff) => Ok(*staff),
            _ => Err(ApiError::Unauthenticated),
        }
    }

    /// The authenticated member session.
    ///
    /// # Errors
    /// `Unauthenticated` when the route did not ask for a member (a bug in the table).
    pub fn member(&self) -> Result<MemberSession, ApiError> {
        match &self.principal {
            Principal::Member(session) => Ok(*session),
            _ => Err(ApiError::Unauthenticated),
        }
    }
}

/// What a handler answers: a response, or an error the router turns into problem+json.
pub type Outcome = Result<Response<Full<Bytes>>, ApiError>;

/// A handler, boxed so the table can hold handlers of every route.
pub type Handler = for<'a> fn(&'a App, Call<'a>) -> BoxFuture<'a, Outcome>;

/// One route.
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template, `{name}` for a parameter (the OpenAPI form).
    pub path: &'static str,
    /// Who may call it.
    pub caller: Caller,
    /// What it does.
    pub handler: Handler,
    /// Its OpenAPI operation: the path, methods and operation its handler's
    /// `#[utoipa::path]` declares (a test checks they agree with `method` and `path`).
    pub operation: fn() -> (String, Vec<HttpMethod>, Operation),
    /// How large a body it reads.
    pub body: BodyLimit,
    /// Whether it is served before the server is ready.
    pub readiness: Readiness,
}

/// Builds a `Route` from a method, a template, the caller, the handler's module and name, and
/// the struct `#[utoipa::path]` generated for it.
macro_rules! route {
    ($method:ident $path:literal, $caller:ident $(($function:literal))?,
     $module:ident :: $handler:ident, $doc:ident) => {
        route!($method $path, $caller $(($function))?, $module::$handler, $doc, Request,
            WhenReady)
    };
    ($method:ident $path:literal, $caller:ident $(($function:literal))?,
     $module:ident :: $handler:ident, $doc:ident, $body:ident, $readiness:ident) => {
        Route {
            method: Method::$method,
            path: $path,
            caller: Caller::$caller $(($function))?,
            handler: {
                fn handle<'a>(app: &'a App, call: Call<'a>) -> BoxFuture<'a, Outcome> {
                    Box::pin($module::$handler(app, call))
                }
                handle
            },
            operation: || {
                use utoipa::Path as _;
                (
                    $module::$doc::path(),
                    $module::$doc::methods(),
                    $module::$doc::operation(),
                )
            },
            body: BodyLimit::$body,
            readiness: Readiness::$readiness,
        }
    };
}

/// Every route the server answers.
pub static ROUTES: &[Route] = &[
    route!(GET "/healthz", None, probes::healthz, __path_healthz, Request, Always),
    route!(GET "/readyz", None, probes::readyz, __path_readyz, Request, Always),
    route!(GET "/metrics", None, probes::metrics, __path_metrics, Request, Always),
    route!(GET "/problems/{code}", None, probes::problem, __path_problem, Request, Always),
    route!(GET "/openapi.json", None, probes::openapi, __path_openapi, Request, Always),
    route!(POST "/v1/authorize", Vendor("authorizations.create"), vendor_api::authorize, __path_authorize),
    route!(POST "/v1/authorize/batch", Vendor("authorizations.create"), vendor_api::authorize_batch, __path_authorize_batch, Batch, WhenReady),
    route!(POST "/v1/offers", Vendor("offers.create"), offers_api::post_offer, __path_post_offer),
    route!(POST "/v1/access", Vendor("access.check"), vendor_api::access, __path_access),
    route!(POST "/v1/refunds", Vendor("refunds.create"), vendor_api::refund, __path_refund),
    route!(GET "/v1/authorizations/{id}", Vendor("authorizations.read"), vendor_api::authorization, __path_authorization),
    route!(GET "/v1/vendors/me/summary", Vendor("sales.read"), vendor_api::summary, __path_summary),
    route!(GET "/v1/vendors/me/payouts", Vendor("payouts.read"), settlement_api::vendor_payouts, __path_vendor_payouts),
    route!(POST "/v1/members", None, member_api::register, __path_register),
    route!(POST "/v1/sessions", None, member_api::sign_in, __path_sign_in),
    route!(DELETE "/v1/sessions/current", Member, member_api::sign_out, __path_sign_out),
    route!(POST "/v1/buyer-tokens", Member, member_api::buyer_token, __path_buyer_token),
    route!(GET "/v1/members/me", Member, member_api::me, __path_me),
    route!(GET "/v1/members/me/statement", Member, statement_api::statement, __path_statement),
    route!(GET "/v1/members/me/content", Member, content_api::content, __path_content),
    route!(POST "/v1/members/me/content/{entitlement_id}/open", Member, content_api::open, __path_open),
    route!(PUT "/v1/members/me/profile", Member, logins_api::set_profile, __path_set_profile),
    route!(PUT "/v1/members/me/limits", Holder, member_api::set_limits, __path_set_limits),
    route!(POST "/v1/members/me/wallets", Holder, member_api::open_wallet, __path_open_wallet),
    route!(PUT "/v1/members/me/wallets/{currency}/top-off", Holder, member_api::set_top_off, __path_set_top_off),
    route!(POST "/v1/members/me/payment-methods", Holder, member_api::add_payment_method, __path_add_payment_method),
    route!(DELETE "/v1/members/me/payment-methods/{id}", Holder, member_api::remove_payment_method, __path_remove_payment_method),
    route!(POST "/v1/members/me/deposits", Holder, member_api::add_funds, __path_add_funds),
    route!(POST "/v1/members/me/cash-outs", Holder, member_api::cash_out, __path_cash_out),
    route!(POST "/v1/members/me/transfers", Holder, transfer_api::send_transfer, __path_send_transfer),
    route!(POST "/v1/members/me/incentives", Member, incentive_api::redeem, __path_redeem),
    route!(POST "/v1/incentive-programs", Vendor("incentive_programs.create"), incentive_api::create_vendor_program, __path_create_vendor_program),
    route!(POST "/v1/incentive-grants", Vendor("incentive_grants.create"), incentive_api::vendor_grant, __path_vendor_grant),
    route!(POST "/admin/v1/vendor-groups", Admin("vendor_groups.create"), incentive_api::create_vendor_group, __path_create_vendor_group),
    route!(POST "/admin/v1/incentive-programs", Admin("incentive_programs.create"), incentive_api::create_msp_program, __path_create_msp_program),
    route!(POST "/v1/members/me/disputes", Holder, dispute_api::file_dispute, __path_file_dispute),
    route!(GET "/v1/members/me/disputes", Holder, dispute_api::member_disputes, __path_member_disputes),
    route!(GET "/v1/vendors/me/disputes", Vendor("disputes.read"), dispute_api::vendor_disputes, __path_vendor_disputes),
    route!(GET "/admin/v1/disputes", Admin("disputes.read"), dispute_api::list_disputes, __path_list_disputes),
    route!(POST "/admin/v1/disputes/{id}/decision", Admin("disputes.decide"), dispute_api::decide_dispute, __path_decide_dispute),
    route!(PUT "/admin/v1/dispute-rules/{currency}", Admin("dispute_rules.update"), dispute_api::set_dispute_rules, __path_set_dispute_rules),
    route!(GET "/admin/v1/functions", Admin("functions.read"), security_api::functions, __path_functions),
    route!(POST "/admin/v1/security-groups", Admin("security_groups.create"), security_api::create_security_group, __path_create_security_group),
    route!(GET "/admin/v1/security-groups", Admin("security_groups.read"), security_api::list_security_groups, __path_list_security_groups),
    route!(POST "/admin/v1/operators", Admin("operators.create"), security_api::create_operator, __path_create_operator),
    route!(GET "/admin/v1/operators", Admin("operators.read"), security_api::list_operators, __path_list_operators),
    route!(PUT "/admin/v1/operators/{id}/groups", Admin("operators.update"), security_api::set_operator_groups, __path_set_operator_groups),
    route!(GET "/admin/v1/audit", Admin("audit.read"), audit_api::list_audit, __path_list_audit),
    route!(GET "/admin/v1/approvals", Admin("approvals.read"), approvals_api::list_approvals, __path_list_approvals),
    route!(POST "/admin/v1/approvals/{id}", Admin("approvals.decide"), approvals_api::decide_approval, __path_decide_approval),
    route!(POST "/admin/v1/sessions", None, security_api::operator_sign_in, __path_operator_sign_in),
    route!(POST "/v1/members/me/step-up-challenges", Member, step_up_api::new_challenge, __path_new_challenge),
    route!(POST "/v1/step-up", Member, step_up_api::answer, __path_answer),
    route!(PUT "/v1/members/me/security-questions", Holder, step_up_api::set_security_questions, __path_set_security_questions),
    route!(PUT "/v1/members/me/password", Member, step_up_api::change_password, __path_change_password),
    route!(POST "/v1/members/me/logins", Holder, logins_api::add_login, __path_add_login),
    route!(GET "/v1/members/me/logins", Holder, logins_api::list_logins, __path_list_logins),
    route!(PUT "/v1/members/me/logins/{id}/limits", Holder, logins_api::set_login_limits, __path_set_login_limits),
    route!(POST "/v1/members/me/logins/{id}/disable", Holder, logins_api::disable_login, __path_disable_login),
    route!(POST "/v1/members/me/logins/{id}/enable", Holder, logins_api::enable_login, __path_enable_login),
    route!(POST "/v1/members/me/freeze", Member, member_api::freeze, __path_freeze),
    route!(POST "/v1/members/me/unfreeze", Holder, member_api::unfreeze, __path_unfreeze),
    route!(POST "/v1/members/me/close", Holder, member_api::close, __path_close),
    route!(POST "/admin/v1/vendors", Admin("vendors.create"), admin_api::register_vendor, __path_register_vendor),
    route!(GET "/admin/v1/vendors", Admin("vendors.read"), vendor_standing_api::list_vendors, __path_list_vendors),
    route!(POST "/admin/v1/vendors/{vendor_id}/approval", Admin("vendors.approve"), vendor_standing_api::decide_vendor, __path_decide_vendor),
    route!(GET "/v1/vendors", None, vendor_standing_api::participating_vendors, __path_participating_vendors),
    route!(POST "/v1/vendor-registrations", None, vendor_standing_api::apply_as_vendor, __path_apply_as_vendor),
    route!(POST "/v1/vendors/me/api-keys", Vendor("api_keys.rotate"), vendor_standing_api::rotate_api_key, __path_rotate_api_key),
    route!(POST "/v1/vendors/me/admins", Vendor("vendor_admins.create"), vendor_admin_api::create_vendor_admin, __path_create_vendor_admin),
    route!(GET "/v1/vendors/me/admins", Vendor("vendor_admins.read"), vendor_admin_api::list_vendor_admins, __path_list_vendor_admins),
    route!(POST "/v1/vendor-sessions", None, vendor_admin_api::vendor_admin_sign_in, __path_vendor_admin_sign_in),
    route!(PUT "/v1/vendors/me/mailing-list", Vendor("mailing_list.update"), vendor_standing_api::set_mailing_list, __path_set_mailing_list),
    route!(POST "/admin/v1/members/bulk", Admin("members.create"), admin_api::bulk_members, __path_bulk_members),
    route!(GET "/admin/v1/members/{id}", Admin("members.read"), admin_api::member, __path_member),
    route!(POST "/admin/v1/members/{id}/deposits", Admin("deposits.create"), admin_api::deposit, __path_deposit),
    route!(PUT "/admin/v1/members/{id}/credit-line", Admin("credit_lines.update"), admin_api::credit_line, __path_credit_line),
    route!(POST "/admin/v1/authorizations/{id}/reversal", Admin("reversals.create"), admin_api::reverse, __path_reverse),
    route!(GET "/admin/v1/totals", Admin("totals.read"), admin_api::totals, __path_totals),
    route!(POST "/admin/v1/mail/daily-summary", Admin("mail.run"), mail_api::run_daily_summary, __path_run_daily_summary),
    route!(PUT "/admin/v1/vendors/{vendor_id}/fee-schedule", Admin("fees.update"), settlement_api::set_fee_schedule, __path_set_fee_schedule),
    route!(PUT "/admin/v1/vendors/{vendor_id}/commission", Admin("commissions.update"), settlement_api::set_commission, __path_set_commission),
    route!(PUT "/admin/v1/vendors/{vendor_id}/settlement", Admin("settlement_settings.update"), settlement_api::set_vendor_settlement, __path_set_vendor_settlement),
    route!(POST "/admin/v1/rights-holders", Admin("rights_holders.create"), settlement_api::create_rights_holder, __path_create_rights_holder),
    route!(GET "/admin/v1/rights-holders/{id}", Admin("rights_holders.read"), settlement_api::rights_holder, __path_rights_holder),
    route!(PUT "/admin/v1/rights-holders/{id}/settlement", Admin("settlement_settings.update"), settlement_api::set_rights_holder_settlement, __path_set_rights_holder_settlement),
    route!(POST "/admin/v1/settlement-runs", Admin("settlement_runs.create"), settlement_api::create_run, __path_create_run),
    route!(GET "/admin/v1/settlement-runs/{run_id}", Admin("settlement_runs.read"), settlement_api::get_run, __path_get_run),
    route!(GET "/admin/v1/payouts", Admin("payouts.read"), settlement_api::list_payouts, __path_list_payouts),
    route!(POST "/admin/v1/payouts/{id}/return", Admin("payouts.return"), settlement_api::return_payout, __path_return_payout),
    route!(GET "/buy/{offer}", None, buy_window::show, __path_show),
    route!(POST "/buy/{offer}/login", None, buy_window::sign_in, __path_sign_in),
    route!(POST "/buy/{offer}/purchase", None, buy_window::purchase, __path_purchase),
    route!(POST "/buy/{offer}/top-off", None, buy_window::top_off, __path_top_off),
    route!(POST "/buy/{offer}/wallet", None, buy_window::open_wallet, __path_open_wallet),
    route!(GET "/buy/{offer}/funds", None, buy_window::funds_form, __path_funds_form),
    route!(POST "/buy/{offer}/funds", None, buy_window::add_funds, __path_add_funds),
    route!(POST "/buy/{offer}/incentive", None, buy_window::redeem_incentive, __path_redeem_incentive),
    route!(GET "/buy/{offer}/cancel", None, buy_window::cancel, __path_cancel),
    route!(POST "/buy/{offer}/sign-out", None, buy_window::sign_out, __path_sign_out),
    route!(GET "/register", None, buy_window::register_form, __path_register_form),
    route!(POST "/register", None, buy_window::register, __path_register),
    route!(GET "/back-office/login", None, back_office::sign_in_form, __path_sign_in_form),
    route!(POST "/back-office/login", None, back_office::sign_in, __path_sign_in),
    route!(POST "/back-office/logout", None, back_office::sign_out, __path_sign_out),
    route!(GET "/back-office", Admin("back_office.read"), back_office::home, __path_home),
    route!(GET "/back-office/disputes", Admin("disputes.read"), back_office::disputes, __path_disputes),
    route!(POST "/back-office/disputes/{id}/decision", Admin("disputes.decide"), back_office::decide_dispute, __path_decide_dispute),
    route!(GET "/back-office/security-groups", Admin("security_groups.read"), back_office::security_groups, __path_security_groups),
    route!(POST "/back-office/security-groups", Admin("security_groups.create"), back_office::create_security_group, __path_create_security_group),
    route!(GET "/back-office/audit", Admin("audit.read"), back_office::audit_log, __path_audit_log),
    route!(GET "/back-office/vendors", Admin("vendors.read"), back_office::vendors, __path_vendors),
    route!(POST "/back-office/vendors/{vendor_id}/approval", Admin("vendors.approve"), back_office::vendor_approval, __path_vendor_approval),
    route!(POST "/back-office/vendors/{vendor_id}/fee-schedule", Admin("fees.update"), back_office::vendor_fee_schedule, __path_vendor_fee_schedule),
    route!(POST "/back-office/vendors/{vendor_id}/settlement", Admin("settlement_settings.update"), back_office::vendor_settlement, __path_vendor_settlement),
    route!(GET "/vendor-office/login", None, vendor_office::sign_in_form, __path_sign_in_form),
    route!(POST "/vendor-office/login", None, vendor_office::sign_in, __path_sign_in),
    route!(POST "/vendor-office/logout", None, vendor_office::sign_out, __path_sign_out),
    route!(GET "/vendor-office", Vendor("vendor_office.read"), vendor_office::home, __path_home),
    route!(GET "/vendor-office/sales", Vendor("sales.read"), vendor_office::sales, __path_sales),
    route!(GET "/vendor-office/disputes", Vendor("disputes.read"), vendor_office::disputes, __path_disputes),
    route!(GET "/vendor-office/payouts", Vendor("payouts.read"), vendor_office::payouts, __path_payouts),
    route!(GET "/vendor-office/api-keys", Vendor("api_keys.rotate"), vendor_office::api_keys, __path_api_keys),
    route!(POST "/vendor-office/api-keys", Vendor("api_keys.rotate"), vendor_office::rotate_api_key, __path_rotate_api_key),
    route!(GET "/vendor-office/incentive-programs", Vendor("incentive_programs.create"), vendor_office::incentive_programs, __path_incentive_programs),
    route!(POST "/vendor-office/incentive-programs", Vendor("incentive_programs.create"), vendor_office::create_incentive_program, __path_create_incentive_program),
    route!(GET "/back-office/members", Admin("members.read"), back_office::members, __path_members),
    route!(GET "/back-office/settlement", Admin("settlement_runs.read"), back_office::settlement, __path_settlement),
    route!(POST "/back-office/settlement-runs", Admin("settlement_runs.create"), back_office::start_settlement_run, __path_start_settlement_run),
    route!(POST "/back-office/payouts/{id}/return", Admin("payouts.return"), back_office::return_payout, __path_return_payout),
    route!(GET "/account/login", None, account::sign_in_form, __path_sign_in_form),
    route!(POST "/account/login", None, account::sign_in, __path_sign_in),
    route!(POST "/account/logout", None, account::sign_out, __path_sign_out),
    route!(GET "/account", Member, account::summary, __path_summary),
    route!(POST "/account/freeze", Member, account::freeze, __path_freeze),
    route!(POST "/account/unfreeze", Holder, account::unfreeze, __path_unfreeze),
    route!(POST "/account/close", Holder, account::close, __path_close),
    route!(GET "/account/wallets", Holder, account::wallets, __path_wallets),
    route!(POST "/account/wallets", Holder, account::open_wallet, __path_open_wallet),
    route!(POST "/account/deposits", Holder, account::add_funds, __path_add_funds),
    route!(POST "/account/payment-methods", Holder, account::save_card, __path_save_card),
    route!(POST "/account/payment-methods/{id}/remove", Holder, account::remove_method, __path_remove_method),
    route!(GET "/account/limits", Holder, account::limits, __path_limits),
    route!(POST "/account/limits", Holder, account::set_limits, __path_set_limits),
    route!(GET "/account/sub-members", Holder, account::sub_members, __path_sub_members),
    route!(POST "/account/sub-members", Holder, account::add_sub_member, __path_add_sub_member),
    route!(POST "/account/sub-members/{id}/disable", Holder, account::disable_sub_member, __path_disable_sub_member),
    route!(POST "/account/sub-members/{id}/enable", Holder, account::enable_sub_member, __path_enable_sub_member),
    route!(GET "/account/security-questions", Holder, account::questions, __path_questions),
    route!(POST "/account/security-questions", Holder, account::set_questions, __path_set_questions),
    route!(GET "/account/transfers", Holder, account::transfers, __path_transfers),
    route!(POST "/account/transfers", Holder, account::send_transfer, __path_send_transfer),
    route!(GET "/account/incentives", Member, account::incentives, __path_incentives),
    route!(POST "/account/incentives", Member, account::redeem, __path_redeem),
    route!(GET "/account/content", Member, account::content, __path_content),
    route!(POST "/account/content/{entitlement_id}/open", Member, account::open_content, __path_open_content),
    route!(GET "/account/disputes", Holder, account::disputes, __path_disputes),
    route!(POST "/account/disputes", Holder, account::file_dispute, __path_file_dispute),
    route!(GET "/account/statement", Member, account::statement, __path_statement),
    route!(GET "/account/profile", Member, account::profile, __path_profile),
    route!(POST "/account/profile", Member, account::set_profile, __path_set_profile),
    route!(GET "/account/step-up", Member, account::step_up, __path_step_up),
    route!(POST "/account/step-up", Member, account::answer_step_up, __path_answer_step_up),
];

/// The route for `method` and `path`, with its parameters; or, when the path is known with
/// other methods only, those methods (for `405` and `Allow`).
pub enum Matched<'p> {
    /// A route takes this request: the route, its index in `ROUTES`, its parameters.
    Route(&'static Route, usize, Params<'p>),
    /// The path exists, with these methods.
    OtherMethods(Vec<Method>),
    /// No route has this path.
    None,
}

/// One segment of a template, split once.
enum Part {
    /// Must equal the path's segment.
    Literal(&'static str),
    /// Takes any non-empty segment, under this name.
    Param(&'static str),
}

/// Segments a path has at most (longer paths match no route).
const SEGMENTS_MAX: usize = 8;

/// The templates of `ROUTES`, split into parts once rather than on every request, and indexed
/// so that a request is compared with few of them: comparing it with every template in turn
/// cost about 3,000 instructions a request once there were 160 routes (callgrind, README).
struct Templates {
    /// The parts of each route's template, by index in `ROUTES`.
    parts: Vec<Vec<Part>>,
    /// The routes whose templates have N parts, at index N.
    by_length: Vec<Vec<usize>>,
    /// The routes whose templates are all literal, by their path without its leading `/`.
    literal: std::collections::HashMap<&'static str, Vec<usize>>,
}

static TEMPLATES: std::sync::LazyLock<Templates> = std::sync::LazyLock::new(|| {
    let parts: Vec<Vec<Part>> = ROUTES.iter().map(|route| split(route.path)).collect();
    let mut by_length = vec![Vec::new(); SEGMENTS_MAX + 1];
    let mut literal = std::collections::HashMap::<&'static str, Vec<usize>>::new();
    for (index, (route, template)) in ROUTES.iter().zip(&parts).enumerate() {
        if let Some(routes) = by_length.get_mut(template.len()) {
            routes.push(index);
        }
        if template.iter().all(|part| matches!(part, Part::Literal(_))) {
            literal
                .entry(route.path.trim_start_matches('/'))
                .or_default()
                .push(index);
        }
    }
    Templates {
        parts,
        by_length,
        literal,
    }
});

/// A template's parts.
fn split(template: &'static str) -> Vec<Part> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => Part::Param(name),
                None => Part::Literal(part),
            },
        )
        .collect()
}

/// Finds the route of a request. Among templates that fit a path, the one with the most
/// literal segments wins (`/admin/v1/members/bulk` over `/admin/v1/members/{id}`).
#[must_use]
pub fn find<'p>(method: &Method, path: &'p str) -> Matched<'p> {
    let templates = &*TEMPLATES;
    let path = path.trim_start_matches('/');
    // A template equal to the path has every segment literal, the most any template can
    // have: it wins whatever the others are (a method and a path make at most one route).
    if let Some((index, route)) = templates
        .literal
        .get(path)
        .into_iter()
        .flatten()
        .filter_map(|&index| Some((index, ROUTES.get(index)?)))
        .find(|(_, route)| route.method == *method)
    {
        return Matched::Route(route, index, Params { pairs: Vec::new() });
    }
    let mut segments: [&str; SEGMENTS_MAX] = [""; SEGMENTS_MAX];
    let mut count = 0;
    for segment in path.split('/') {
        let Some(slot) = segments.get_mut(count) else {
            return Matched::None;
        };
        *slot = segment;
        count += 1;
    }
    let segments = segments.get(..count).unwrap_or(&[]);
    let mut best: Option<(usize, usize)> = None;
    let mut methods: Vec<Method> = Vec::new();
    for &index in templates.by_length.get(count).into_iter().flatten() {
        let (Some(route), Some(parts)) = (ROUTES.get(index), templates.parts.get(index)) else {
            continue;
        };
        let Some(literals) = fit(parts, segments) else {
            continue;
        };
        if route.method == *method {
            if best.is_none_or(|(most, _)| literals > most) {
                best = Some((literals, index));
            }
        } else if !methods.contains(&route.method) {
            methods.push(route.method.clone());
        }
    }
    let found =
        best.and_then(|(_, index)| Some((index, ROUTES.get(index)?, templates.parts.get(index)?)));
    match found {
        Some((index, route, parts)) => Matched::Route(route, index, params(parts, segments)),
        None if methods.is_empty() => Matched::None,
        None => Matched::OtherMethods(methods),
    }
}

/// Whether `segments` fit a template: the number of its literal segments.
fn fit(parts: &[Part], segments: &[&str]) -> Option<usize> {
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    for (part, segment) in parts.iter().zip(segments) {
        match part {
            Part::Param(_) if !segment.is_empty() => {}
            Part::Literal(literal) if literal == segment => literals += 1,
            _ => return None,
        }
    }
    Some(literals)
}

/// The parameters of a path that fits `parts`.
fn params<'p>(parts: &[Part], segments: &[&'p str]) -> Params<'p> {
    let pairs = parts
        .iter()
        .zip(segments)
        .filter_map(|(part, segment)| match part {
            Part::Param(name) => Some((*name, *segment)),
            Part::Literal(_) => None,
        })
        .collect();
    Params { pairs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_segments_and_literals_win() {
        let Matched::Route(route, _, params) = find(&Method::GET, "/v1/authorizations/auth_x")
        else {
            panic!("the lookup route matches");
        };
        assert_eq!(route.path, "/v1/authorizations/{id}");
        assert_eq!(params.get("id").ok(), Some("auth_x"));
        let Matched::Route(route, ..) = find(&Method::POST, "/admin/v1/members/bulk") else {
            panic!("bulk matches");
        };
        assert_eq!(route.path, "/admin/v1/members/bulk");
        let Matched::OtherMethods(allowed) = find(&Method::DELETE, "/admin/v1/members/bulk") else {
            panic!("a known path with another method");
        };
        assert!(allowed.contains(&Method::POST));
        assert!(
            allowed.contains(&Method::GET),
            "the {{id}} template fits too"
        );
        assert!(matches!(find(&Method::GET, "/v1/nothing"), Matched::None));
        assert!(matches!(
            find(&Method::GET, "/v1/authorizations/"),
            Matched::None
        ));
    }

    /// What `find` answers, by comparing the path with every template in turn (as it did
    /// before the templates were indexed): the route's index and its parameters, or the other
    /// methods in the order of `ROUTES`, or nothing.
    fn find_by_scan(method: &Method, path: &str) -> (Option<usize>, Vec<(String, String)>) {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, usize)> = None;
        let mut methods = Vec::new();
        for (index, route) in ROUTES.iter().enumerate() {
            let Some(literals) = fit(&split(route.path), &segments) else {
                continue;
            };
            if route.method == *method {
                if best.is_none_or(|(most, _)| literals > most) {
                    best = Some((literals, index));
                }
            } else if !methods.contains(&route.method.to_string()) {
                methods.push(route.method.to_string());
            }
        }
        match best {
            Some((_, index)) => {
                let parts = split(ROUTES[index].path);
                let params = params(&parts, &segments);
                let pairs = params
                    .pairs
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()));
                (Some(index), pairs.collect())
            }
            None => (
                None,
                methods.into_iter().map(|m| (m, String::new())).collect(),
            ),
        }
    }

    fn found(method: &Method, path: &str) -> (Option<usize>, Vec<(String, String)>) {
        match find(method, path) {
            Matched::Route(_, index, params) => {
                let pairs = params
                    .pairs
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()));
                (Some(index), pairs.collect())
            }
            Matched::OtherMethods(methods) => (
                None,
                methods
                    .iter()
                    .map(|m| (m.to_string(), String::new()))
                    .collect(),
            ),
            Matched::None => (None, Vec::new()),
        }
    }

    #[test]
    fn the_index_finds_what_comparing_every_template_finds() {
        let methods = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ];
        let mut paths: Vec<String> = ROUTES
            .iter()
            .flat_map(|route| {
                // Each template with its parameters filled, with a literal's spelling in a
                // parameter's place (so templates of more literals compete), and with a slash
                // too many at either end.
                let filled = route.path.replace('{', "x_").replace('}', "");
                let by_literal = split(route.path)
                    .iter()
                    .map(|part| match part {
                        Part::Literal(text) => (*text).to_owned(),
                        Part::Param(_) => "me".to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                [
                    route.path.to_owned(),
                    filled.clone(),
                    format!("/{by_literal}"),
                    format!("/{filled}"),
                    format!("{filled}/"),
                    filled.trim_start_matches('/').to_owned(),
                ]
            })
            .collect();
        paths.extend(
            [
                "/",
                "",
                "/v1",
                "/v1/",
                "/a/b/c/d/e/f/g/h/i",
                "/v1//authorize",
            ]
            .map(String::from),
        );
        let mut routed = 0;
        for path in &paths {
            for method in &methods {
                let expected = find_by_scan(method, path);
                routed += usize::from(expected.0.is_some());
                assert_eq!(found(method, path), expected, "{method} {path}");
            }
        }
        assert!(
            routed >= ROUTES.len(),
            "every route is found by its own path"
        );
    }

    #[test]
    fn extra_functions_are_listed_and_name_no_route() {
        let functions = admin_functions();
        for extra in EXTRA_FUNCTIONS {
            assert!(functions.contains(extra), "{extra}");
            assert!(
                ROUTES
                    .iter()
                    .all(|route| route.caller.function() != Some(*extra)),
                "{extra} is a route's function: it belongs in the table alone"
            );
        }
    }

    #[test]
    fn every_route_is_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for route in ROUTES {
            assert!(
                seen.insert((route.method.to_string(), route.path)),
                "{} {} twice",
                route.method,
                route.path
            );
        }
    }
}
