//! The pure domain core: money, accounts, vendors, entitlements, limits and the events that
//! change them. No I/O, no clock, no randomness, no async, no logging: time and ids are
//! arguments, so the same state, command and `now` always give the same outcome and replaying
//! the journal rebuilds the same state.
#![deny(clippy::arithmetic_side_effects, clippy::float_arithmetic)]

pub mod account;
pub mod account_disputes;
pub mod audit;
pub mod back_office;
pub mod bank;
pub mod cash_out;
pub mod close;
pub mod content;
pub mod dispute;
pub mod entitlement;
pub mod event;
pub mod fees;
pub mod four_eyes;
pub mod ids;
pub mod incentive;
pub mod kept;
pub mod limits;
pub mod logins;
pub mod member_day;
pub mod money;
pub mod offer;
pub mod payment_method;
pub mod payouts;
pub mod reject;
pub mod royalty;
pub mod security;
pub mod seed;
pub mod settlement;
pub mod statement;
pub mod step_up;
pub mod time;
pub mod totals;
pub mod vec_map;
pub mod vendor;
pub mod vendor_standing;
