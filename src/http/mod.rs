//! The HTTP adapter (hyper 1.x): routing, JSON, authentication, problem+json errors. It holds
//! no state of its own beyond caches; every change goes through an actor.

pub mod admin_api;
pub mod app;
pub mod buy_window;
pub mod dto;
pub mod error;
pub mod json;
pub mod member_api;
pub mod offers_api;
pub mod purchase;
pub mod routes;
pub mod server;
pub mod vendor_api;
