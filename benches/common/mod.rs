//! What the benches share: a purchase command and the environment of an account actor.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use farthing::actors::account::AccountEnv;
use farthing::clock::SystemClock;
use farthing::domain::account::{AccountPolicy, AuthorizeCommand};
use farthing::domain::entitlement::{ContentKey, ContentUrl, Terms};
use farthing::domain::ids::{AuthorizationId, EntitlementId, LoginId, SessionId, VendorId};
use farthing::domain::money::{Amount, Currency};
use farthing::storage::port::{Journal, SnapshotStore};

/// The login, session and vendor every bench account buys with.
pub const LOGIN: LoginId = LoginId(2);
pub const SESSION: SessionId = SessionId(3);
pub const VENDOR: VendorId = VendorId(9);

/// Bounds as in `config/farthing.toml`.
pub const POLICY: AccountPolicy = AccountPolicy {
    sessions_per_login_max: 8,
    idempotency_retention_ms: 86_400_000,
    unusual: farthing::domain::step_up::UnusualActivity::OFF,
};

/// Purchase number `n` of new content at `price_micros`.
pub fn purchase(n: u64, price_micros: u64) -> AuthorizeCommand {
    let url = ContentUrl::parse(&format!("https://news.example/a/{n}")).unwrap();
    AuthorizeCommand {
        title: format!("Article {n}"),
        content_url: url.as_str().to_owned(),
        login: LOGIN,
        session: SESSION,
        vendor: VENDOR,
        price: Amount::from_micros(price_micros),
        currency: Currency::parse("USD").unwrap(),
        content: ContentKey::new(VENDOR, None, &url),
        terms: Terms::default(),
        idempotency: None,
        new_authorization: AuthorizationId(n),
        new_entitlement: EntitlementId(n),
        offer: None,
        incentives: farthing::domain::offer::IncentivePolicy::Any,
        royalties: Vec::new(),
    }
}

/// Events between two snapshots of one account, as in `config/farthing.toml`.
pub const SNAPSHOT_EVERY_EVENTS: u64 = 64;

/// An account actor's environment around `journal` and `snapshots`, with the system clock.
pub fn account_env(journal: Arc<dyn Journal>, snapshots: Arc<dyn SnapshotStore>) -> AccountEnv {
    AccountEnv {
        journal,
        snapshots,
        clock: Arc::new(SystemClock),
        policy: POLICY,
        snapshot_every_events: SNAPSHOT_EVERY_EVENTS,
    }
}

/// A purchase event as the journal and the statement see it: `account` buys item `n` from
/// `vendor` for `price_micros` at `at`, with its title and content URL.
pub fn purchase_event(
    account: farthing::domain::ids::AccountId,
    n: u64,
    vendor: VendorId,
    price_micros: u64,
    at: farthing::domain::time::Timestamp,
    title: String,
    content_url: String,
) -> farthing::domain::event::Event {
    use farthing::domain::entitlement::Entitlement;
    use farthing::domain::event::{Authorized, Event};
    let id = account.0.wrapping_mul(1 << 20).wrapping_add(n);
    let url = ContentUrl::parse(&content_url).unwrap();
    Event::Authorized(Box::new(Authorized {
        account,
        authorization: AuthorizationId(id),
        login: LoginId(account.0),
        session: SessionId(account.0),
        vendor,
        entitlement: Entitlement {
            id: EntitlementId(id),
            key: ContentKey::new(vendor, None, &url),
            authorization: AuthorizationId(id),
            price: Amount::from_micros(price_micros),
            currency: Currency::parse("USD").unwrap(),
            purchased_at: at,
            views_allowed: None,
            views_used: 0,
            expires_at: None,
            reversed_at: None,
        },
        idempotency: None,
        idempotency_expired: Vec::new(),
        offer: None,
        incentives: Vec::new(),
        parties: farthing::domain::royalty::SaleParties::default(),
        title,
        content_url,
        at,
    }))
}
