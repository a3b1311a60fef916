//! Actors: thin shells around the domain. Each account and vendor is an actix actor that
//! serializes its own state changes; the registry finds them; shards place them on threads;
//! the feed hands durable sales to vendors; the programs actor keeps incentive programs and
//! their budgets; the settlement actor keeps rights holders, payees and payouts; the back
//! office actor keeps what operators set for the whole service; the audit actor writes the
//! back office's audit trail; the gateway is the edges' one door in.
//! No business rule lives here: handlers call `decide`/`apply` and move data.

pub mod account;
pub mod audit;
pub mod back_office;
pub mod disputes;
pub mod feed;
pub mod gateway;
pub mod messages;
pub mod programs;
pub mod registry;
pub mod settlement;
pub mod shards;
pub mod vendor;
