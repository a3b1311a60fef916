//! farthing: the authorization core of a micropayment service provider.
//!
//! Map of the crate, from the inside out (each module may depend only on those above it):
//! - `domain`: pure state machines (money, accounts, vendors, entitlements, limits, events).
//!   No I/O, clock, randomness or async.
//! - `storage`: the fjall write-ahead journal (group commit), state rows, the members'
//!   statements (lines written with their events, read by index), recovery, `check`.
//! - `crypto`: sealed tokens (XChaCha20-Poly1305), authorization locators (AES-SIV), API
//!   keys, member pseudonyms, the boot epoch.
//! - `clock`, `config`, `metrics`, `logging`: edges the others are given.
//! - `actors`: one actix actor per account and vendor; thin shells around `domain`.
//! - `payments`: the payment-processor adapter (a built-in test processor) and the one path
//!   that charges it: check, journal the deposit as started, charge, journal the outcome;
//!   deposits a crash left open are resolved at start.
//! - `incentives`: makes a grant across the programs actor (budget) and the member's account,
//!   and sweeps expired grants.
//! - `payouts`: settlement runs at the edge: gathers what payees earned, has the settlement
//!   actor journal the payouts, writes the run's ISO 20022 payment file into the outbox, and
//!   finishes a run a crash left open.
//! - `transfers`: carries a transfer from the sender's account to the recipient's through
//!   the journal, delivering again what a failure or a crash left in transit.
//! - `mail`: the daily summary mail: renders it (lettre), writes it into the mail outbox
//!   exactly once and relays the outbox over SMTP at least once under a stable Message-ID.
//! - `web`: the buy window's HTML pages and their translations (pure rendering).
//! - `http`: the hyper 1.x API and the buy window; parses, authenticates, maps errors,
//!   talks to actors.
//! - `node`: assembles and starts all of the above.
//! - `backup`: consistent copies of a data directory, through a running node or directly.
//! - `fuzzing` (hidden): the fuzz targets' entry points, one per kind of untrusted input.

pub mod actors;
pub mod backup;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod daily_summary;
pub mod domain;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod incentives;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod node;
pub mod payments;
pub mod payouts;
pub mod storage;
pub mod transfers;
pub mod web;
