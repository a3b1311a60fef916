//! farthing: the authorization core of a micropayment service provider.
pub mod domain;
