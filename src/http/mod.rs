//! The HTTP adapter (hyper 1.x). It parses, authenticates, converts each request into a typed
//! domain command in one step (`dto.rs`), hands it to the gateway (`actors::gateway`) and maps
//! the outcome back. It holds no state of its own beyond caches, builds no event, and never
//! touches the journal or the store.
//!
//! - `routes`: the one route table; `router`: dispatch, 405 with `Allow`, authentication.
//! - `dto`: wire types and their conversions; `openapi`: the document, from the table.
//! - `vendor_api`, `offers_api`, `member_api`, `admin_api`, `probes`: handlers.
//! - `settlement_api`, `settlement_dto`: vendor money (fees, commissions, rights holders,
//!   settlement runs, payouts).
//! - `step_up_api`: security questions asked again before sensitive changes and unusual
//!   purchases; the password change.
//! - `logins_api`: a family or corporate account's sub-members, managed by its holder.
//! - `dispute_api`: disputes (members file, operators set rules and decide, vendors read).
//! - `statement_api`: the member's statement (filters, pages, cursor).
//! - `content_api`: "My Content", what the member owns, and reopening it with a fresh token.
//! - `approvals_api`: four eyes: held calls of money-creating functions and their approval.
//! - `audit_api`: the back office's audit trail (what an entry records, and reading it).
//! - `vendor_standing_api`: vendors registering themselves, their approval, key rotation.
//! - `security_api`: security functions, groups, operators and their sign-in.
//! - `purchase`: the purchase path shared by `/v1/authorize` and the buy window.
//! - `buy_window`: the member's pages; `office`: the shell every office's pages share;
//!   `back_office`: the operators' pages; `vendor_office`: a vendor admin's pages;
//!   `account`: the member's own account pages.
//! - `password`: the bounded password hasher and the sign-in and registration throttles;
//!   `throttle`: their pure rule (growing delays, `now` passed in).
//! - `metrics_listener`: `/metrics` on its own address, when configured.

pub mod account;
pub mod admin_api;
pub mod app;
pub mod approvals_api;
pub mod audit_api;
pub mod back_office;
pub mod buy_window;
pub mod client;
pub mod content_api;
pub mod dispute_api;
pub mod dto;
pub mod error;
pub mod idempotent;
pub mod incentive_api;
pub mod json;
pub mod logins_api;
pub mod mail_api;
pub mod member_api;
pub mod metrics_listener;
pub mod offers_api;
pub mod office;
pub mod openapi;
pub mod password;
pub mod probes;
pub mod purchase;
pub mod router;
pub mod routes;
pub mod security_api;
pub mod server;
pub mod settlement_api;
pub mod settlement_dto;
pub mod statement_api;
pub mod step_up_api;
pub mod throttle;
pub mod transfer_api;
pub mod vendor_admin_api;
pub mod vendor_api;
pub mod vendor_office;
pub mod vendor_standing_api;
