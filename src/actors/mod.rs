//! Actors: thin shells around the domain. Each account and vendor is an actix actor that
//! serializes its own state changes; the registry finds them; shards place them on threads.
//! No business rule lives here: handlers call `decide`/`apply` and move data.

pub mod account;
pub mod messages;
pub mod registry;
pub mod shards;
pub mod totals;
pub mod vendor;
