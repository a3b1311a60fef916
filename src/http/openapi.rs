//! The OpenAPI 3.1 document, served at `GET /openapi.json`. Its paths come from the route
//! table: each route's operation is the one its handler's `#[utoipa::path]` declares, and its
//! security requirement is the route's caller. The schemas are the wire types of `dto.rs`,
//! generated from the same types the handlers parse and answer with.

use std::sync::OnceLock;

use bytes::Bytes;
use hyper::Method;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, PathItem, PathsBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};

use super::error::Problem;
use super::routes::{Caller, ROUTES};
use super::{
    approvals_api, audit_api, content_api, dispute_api, dto, mail_api, security_api,
    settlement_dto, statement_api, vendor_admin_api, vendor_standing_api,
};

/// The schemas every operation refers to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "farthing",
        description = "Micropayment authorization core: prepaid wallets, one-call authorize, lock content."
    ),
    components(schemas(
        Problem,
        dto::AuthorizeRequest,
        dto::AuthorizeResponse,
        dto::PaidFromView,
        dto::EntitlementView,
        dto::BatchRequest,
        dto::BatchResponse,
        dto::BatchResult,
        dto::AccessRequest,
        dto::AccessResponse,
        dto::AuthorizationResponse,
        dto::AuthorizationEntitlement,
        dto::SummaryResponse,
        dto::SummaryLine,
        dto::PeriodView,
        dto::VendorRequest,
        dto::VendorCreated,
        dto::DepositRequest,
        dto::BalanceResponse,
        dto::CreditLineRequest,
        dto::CreditLineResponse,
        dto::ReversalRequest,
        dto::RefundRequest,
        dto::ReversalResponse,
        dto::BulkMembersRequest,
        dto::BulkMembersResponse,
        dto::SeededMember,
        dto::TotalsResponse,
        dto::TotalsLine,
        dto::RegisterRequest,
        dto::MemberCreated,
        dto::QuestionAnswer,
        dto::SecurityQuestionsRequest,
        dto::StepUpChallenge,
        dto::StepUpRequest,
        dto::StepUpAnswered,
        dto::ChangePasswordRequest,
        dto::ProfileRequest,
        super::vendor_standing_api::ParticipatingVendor,
        super::vendor_standing_api::ParticipatingVendors,
        dto::AddLoginRequest,
        dto::LoginCreated,
        dto::LoginView,
        dto::LoginsResponse,
        dto::SignInRequest,
        dto::SessionCreated,
        dto::BuyerTokenRequest,
        dto::BuyerTokenCreated,
        dto::LimitsRequest,
        dto::OpenWalletRequest,
        dto::TopOffRequest,
        dto::TopOffView,
        dto::AddPaymentMethodRequest,
        dto::PaymentMethodView,
        dto::AddFundsRequest,
        dto::DepositCreated,
        dto::CashOutRequest,
        dto::BankAccountRequest,
        dto::CashOutCreated,
        dto::CloseAccountRequest,
        dto::AccountClosedView,
        dto::ForfeitView,
        dto::TransferRequest,
        dto::VendorGroupRequest,
        dto::VendorGroupCreated,
        dto::ProgramRequest,
        dto::ProgramCreated,
        dto::VendorGrantRequest,
        dto::RedeemRequest,
        dto::GrantCreated,
        dto::TransferCreated,
        dto::Done,
        dto::Status,
        dto::AccountResponse,
        dto::WalletView,
        dto::LimitsView,
        dto::PurchaseView,
        dto::OfferRequest,
        dto::OfferResponse,
        settlement_dto::TierRequest,
        settlement_dto::FeeScheduleRequest,
        settlement_dto::FeeScheduleView,
        settlement_dto::TierView,
        settlement_dto::CommissionRequest,
        settlement_dto::ScheduleRequest,
        settlement_dto::PayeeBankRequest,
        settlement_dto::SettlementRequest,
        settlement_dto::SettlementView,
        settlement_dto::ScheduleView,
        settlement_dto::RightsHolderRequest,
        settlement_dto::RightsHolderCreated,
        settlement_dto::RightsHolderView,
        settlement_dto::RoyaltyRequest,
        settlement_dto::SettlementRunRequest,
        settlement_dto::PayoutView,
        settlement_dto::ReturnedView,
        settlement_dto::SettlementRunResponse,
        settlement_dto::PayoutsPage,
        settlement_dto::ReturnRequest,
        dispute_api::DisputeRequest,
        dispute_api::DecisionRequest,
        dispute_api::DisputeRulesBody,
        dispute_api::DisputeView,
        dispute_api::MemberDisputes,
        dispute_api::DisputesPage,
        security_api::FunctionsView,
        security_api::GroupRequest,
        security_api::GroupView,
        security_api::GroupsView,
        security_api::OperatorRequest,
        security_api::GroupsRequest,
        security_api::OperatorView,
        security_api::OperatorsView,
        security_api::OperatorSignIn,
        security_api::OperatorSession,
        audit_api::AuditEntry,
        audit_api::AuditPage,
        statement_api::StatementVendor,
        statement_api::StatementLineView,
        statement_api::StatementPageView,
        content_api::ContentItemView,
        content_api::ContentPageView,
        content_api::OpenedView,
        vendor_standing_api::VendorApplication,
        vendor_standing_api::VendorApplied,
        vendor_standing_api::VendorDecision,
        vendor_standing_api::VendorListed,
        vendor_standing_api::VendorsListed,
        vendor_standing_api::ApiKeyRotated,
        vendor_standing_api::MailingListRequest,
        vendor_standing_api::MailingList,
        vendor_admin_api::VendorAdminRequest,
        vendor_admin_api::VendorAdminView,
        vendor_admin_api::VendorAdminsView,
        vendor_admin_api::VendorAdminSignIn,
        vendor_admin_api::VendorAdminSession,
        mail_api::DailySummaryRequest,
        mail_api::DailySummaryRun,
        approvals_api::HeldView,
        approvals_api::HeldList,
        approvals_api::ApprovalDecision,
        approvals_api::ApprovalRefused,
    ))
)]
struct Schemas;

/// The security scheme a caller authenticates with, by name.
fn scheme(caller: Caller) -> Option<&'static str> {
    match caller {
        Caller::None => None,
        Caller::Member | Caller::Holder => Some("member_session"),
        Caller::Vendor(_) => Some("vendor_key"),
        Caller::Admin(_) => Some("admin_key"),
    }
}

/// The OpenAPI method of a route's method.
#[must_use]
pub fn http_method(method: &Method) -> Option<HttpMethod> {
    match *method {
        Method::GET => Some(HttpMethod::Get),
        Method::POST => Some(HttpMethod::Post),
        Method::PUT => Some(HttpMethod::Put),
        Method::DELETE => Some(HttpMethod::Delete),
        Method::PATCH => Some(HttpMethod::Patch),
        _ => None,
    }
}

/// Builds the document from the route table.
#[must_use]
pub fn document() -> utoipa::openapi::OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let Some(method) = http_method(&route.method) else {
            continue;
        };
        let (_, _, mut operation) = (route.operation)();
        // The route's caller decides the requirement, whatever the handler's annotation says.
        operation.security = scheme(route.caller)
            .map(|name| vec![SecurityRequirement::new::<&str, [&str; 0], &str>(name, [])]);
        paths = paths.path(route.path, PathItem::new(method, operation));
    }
    let mut document = Schemas::openapi();
    document.paths = paths.build();
    let components = document.components.get_or_insert_with(Default::default);
    for name in ["member_session", "vendor_key", "admin_key"] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
    document
}

/// The document as JSON, built once.
#[must_use]
pub fn document_json() -> Bytes {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    JSON.get_or_init(|| Bytes::from(document().to_json().unwrap_or_default()))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document_and_nothing_else() {
        let document = document();
        let mut documented = std::collections::BTreeSet::new();
        for (path, item) in &document.paths.paths {
            let operations = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
                ("HEAD", item.head.is_some()),
                ("OPTIONS", item.options.is_some()),
                ("TRACE", item.trace.is_some()),
            ];
            for (method, present) in operations {
                if present {
                    documented.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let routed: std::collections::BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|route| (route.method.to_string(), route.path.to_owned()))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn each_handler_declares_the_method_and_path_of_its_route() {
        for route in ROUTES {
            let (path, methods, _) = (route.operation)();
            assert_eq!(path, route.path, "{} {}", route.method, route.path);
            assert!(
                methods == http_method(&route.method).into_iter().collect::<Vec<_>>(),
                "{} {} declares other methods",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let text = String::from_utf8(document_json().to_vec()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for methods in value["paths"].as_object().unwrap().values() {
            for operation in methods.as_object().unwrap().values() {
                if let Some(id) = operation["operationId"].as_str() {
                    assert!(seen.insert(id.to_owned()), "operationId {id} is used twice");
                }
            }
        }
        assert!(seen.len() > 40, "{seen:?}");
    }

    #[test]
    fn every_reference_names_a_schema_and_the_version_is_3_1() {
        let text = String::from_utf8(document_json().to_vec()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(value["openapi"].as_str().unwrap().starts_with("3.1"));
        let schemas = value["components"]["schemas"].as_object().unwrap();
        let prefix = "\"$ref\":\"#/components/schemas/";
        for (start, _) in text.match_indices(prefix) {
            let rest = &text[start + prefix.len()..];
            let name = &rest[..rest.find('"').unwrap()];
            assert!(schemas.contains_key(name), "no schema {name}");
        }
        assert!(text.contains("vendor_key"));
    }
}
