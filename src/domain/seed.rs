//! Opening a funded account with one live session in one step, without the sign-up path's
//! password: the bulk seeding route (load tests, migrations) and the benches build accounts
//! here, so they all start from the same events the journal would hold.

use std::collections::BTreeMap;

use super::account::{Login, Session, SessionExpiry};
use super::event::{Event, Origin};
use super::ids::{AccountId, LoginId, SessionId};
use super::money::{Amount, Currency};
use super::time::Timestamp;

/// What a seeded account starts with.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The new account.
    pub account: AccountId,
    /// Its only login (no e-mail, no password: it cannot sign in).
    pub login: LoginId,
    /// The session opened for it.
    pub session: SessionId,
    /// The wallet's currency.
    pub currency: Currency,
    /// Deposited at once; zero deposits nothing.
    pub deposit: Amount,
    /// IANA time zone of the member's calendar.
    pub time_zone: String,
    /// How the session expires.
    pub session_expiry: SessionExpiry,
}

/// The events that open `seed` at `now`: `AccountOpened`, a `Deposited` unless the deposit is
/// zero (recorded as made by the seeding path), and `SessionStarted`.
#[must_use]
pub fn seed_events(seed: &Seed, now: Timestamp) -> Vec<Event> {
    let mut events = vec![Event::AccountOpened {
        account: seed.account,
        login: Login::holder(seed.login, None, String::new()),
        language: "en".to_owned(),
        time_zone: seed.time_zone.clone(),
        currency: seed.currency,
        at: now,
    }];
    if !seed.deposit.is_zero() {
        events.push(Event::Deposited {
            account: seed.account,
            currency: seed.currency,
            amount: seed.deposit,
            reference: "bulk-seed".to_owned(),
            by: Origin::Seed,
            at: now,
        });
    }
    events.push(Event::SessionStarted {
        account: seed.account,
        session: Session {
            id: seed.session,
            login: seed.login,
            started_at: now,
            last_purchase_at: now,
            expiry: seed.session_expiry,
            ended: false,
            spent: BTreeMap::new(),
        },
        evicted: Vec::new(),
    });
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::AccountState;

    #[test]
    fn a_seeded_account_is_funded_with_a_live_session() {
        let now = Timestamp(1_000);
        let seed = Seed {
            account: AccountId(1),
            login: LoginId(2),
            session: SessionId(3),
            currency: Currency::parse("USD").unwrap(),
            deposit: Amount::from_micros(5_000_000),
            time_zone: "UTC".to_owned(),
            session_expiry: SessionExpiry::Absolute {
                expires_at: now.plus_ms(60_000),
            },
        };
        let events = seed_events(&seed, now);
        let mut state = AccountState::from_opened(events.first().unwrap()).unwrap();
        for event in events.iter().skip(1) {
            state.apply(event);
        }
        assert_eq!(
            state.wallets.get(&seed.currency).unwrap().balance.micros(),
            5_000_000
        );
        assert!(state.live_session(seed.login, seed.session, now).is_ok());
        let unfunded = seed_events(
            &Seed {
                deposit: Amount::ZERO,
                ..seed
            },
            now,
        );
        assert_eq!(unfunded.len(), 2, "no deposit event for a zero deposit");
    }
}
