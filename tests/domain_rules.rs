//! Every `Reject` a decide function can return, each next to the valid case one step away from
//! it (STYLE §4): a price equal to a limit passes and one micro-unit more fails, a session is
//! live one millisecond before its expiry and expired at it, and so on. Only the public API of
//! `farthing::domain` is used; the account is built by applying events, as recovery would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use farthing::domain::account::{
    AccessCommand, AccessDecision, AccountPolicy, AccountState, AuthorizeCommand,
    AuthorizeDecision, DEPOSITS_PENDING_MAX, DEPOSITS_UNSETTLED_MAX, DepositOutcome, Login,
    SessionExpiry, Settlement, StartDeposit,
};
use farthing::domain::entitlement::{ContentKey, ContentUrl, Terms};
use farthing::domain::event::{Event, IdempotencyStamp, Origin};
use farthing::domain::ids::{
    AccountId, AuthorizationId, DepositId, EntitlementId, LoginId, PaymentMethodId, SessionId,
    VendorId,
};
use farthing::domain::limits::{LimitKind, Limits};
use farthing::domain::money::{Amount, Currency};
use farthing::domain::payment_method::{
    LEGACY_TEST_CARD_ID, PAYMENT_METHODS_MAX, Rail, SavedMethod,
};
use farthing::domain::reject::Reject;
use farthing::domain::time::{DAY_MS, HOUR_MS, MemberZone, Timestamp};
use farthing::domain::vendor::{VendorProfile, VendorState};

const ACCOUNT: AccountId = AccountId(1);
const LOGIN: LoginId = LoginId(10);
const SESSION: SessionId = SessionId(100);
const V1: VendorId = VendorId(7);
const V2: VendorId = VendorId(8);
const POLICY: AccountPolicy = AccountPolicy {
    sessions_per_login_max: 3,
    idempotency_retention_ms: DAY_MS,
    unusual: farthing::domain::step_up::UnusualActivity::OFF,
};
const MAX: u64 = i64::MAX.unsigned_abs();

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn at(text: &str) -> Timestamp {
    Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
}

fn m(micros: u64) -> Amount {
    Amount::from_micros(micros)
}

fn url(vendor: VendorId, path: &str) -> ContentKey {
    let parsed = ContentUrl::parse(&format!("https://news.example/{path}")).unwrap();
    ContentKey::new(vendor, None, &parsed)
}

fn content_url(path: &str) -> String {
    ContentUrl::parse(&format!("https://news.example/{path}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn stamp(key: &str, digest: u8) -> Option<IdempotencyStamp> {
    Some(IdempotencyStamp {
        key: key.to_owned(),
        request_digest: [digest; 32],
    })
}

/// One member with a USD wallet, one login and one session, built by applying events.
struct Member {
    state: AccountState,
    now: Timestamp,
    next_id: u64,
}

impl Member {
    /// Opened in `zone` at `now`, with `funds` deposited and an absolute session of 60 days.
    fn new(zone: &str, now: Timestamp, funds: u64) -> Member {
        let mut member = Member {
            state: AccountState::opened(ACCOUNT, MemberZone::new(zone).unwrap(), "en".into()),
            now,
            next_id: 1_000,
        };
        member.apply(&Event::AccountOpened {
            account: ACCOUNT,
            login: Login::holder(LOGIN, Some("member@example.org".into()), String::new()),
            language: "en".into(),
            time_zone: zone.into(),
            currency: usd(),
            at: now,
        });
        if funds > 0 {
            member.deposit(funds);
        }
        let expiry = SessionExpiry::Absolute {
            expires_at: now.plus_ms(60 * DAY_MS),
        };
        member.start_session(SESSION, expiry);
        member.apply(&Event::PaymentMethodAdded {
            account: ACCOUNT,
            method: SavedMethod::legacy_test_card(now),
            at: now,
        });
        member
    }

    fn utc(funds: u64) -> Member {
        Member::new("UTC", at("2026-03-10T12:00:00Z"), funds)
    }

    fn apply(&mut self, event: &Event) {
        self.state.apply(event);
    }

    fn fresh(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn balance(&self) -> i64 {
        self.state.wallets.get(&usd()).unwrap().balance.micros()
    }

    fn deposit(&mut self, micros: u64) {
        let reference = format!("dep-{}", self.fresh());
        let event = self
            .state
            .decide_deposit(usd(), m(micros), &reference, self.now, Origin::Admin)
            .unwrap()
            .unwrap();
        self.apply(&event);
    }

    fn credit_line(&mut self, micros: u64) {
        let event = self
            .state
            .decide_credit_line(usd(), m(micros), self.now, Origin::Admin)
            .unwrap();
        self.apply(&event);
    }

    fn limits(&mut self, limits: Limits) {
        let event = self
            .state
            .decide_limits(LOGIN, LOGIN, usd(), limits, self.now)
            .unwrap();
        self.apply(&event);
    }

    fn start_session(&mut self, session: SessionId, expiry: SessionExpiry) {
        let event = self
            .state
            .decide_start_session(LOGIN, session, expiry, self.now, &POLICY)
            .unwrap();
        self.apply(&event);
    }

    fn end_session(&mut self, session: SessionId) -> Result<(), Reject> {
        let event = self.state.decide_end_session(LOGIN, session, self.now)?;
        self.apply(&event);
        Ok(())
    }

    fn freeze(&mut self, frozen: bool) {
        let event = self.state.decide_freeze(frozen, self.now);
        self.apply(&event);
    }

    /// A purchase request under `SESSION` with fresh ids and unlimited, non-expiring terms.
    fn order(&mut self, vendor: VendorId, path: &str, price: u64) -> AuthorizeCommand {
        AuthorizeCommand {
            title: "A".to_owned(),
            content_url: String::new(),
            login: LOGIN,
            session: SESSION,
            vendor,
            price: m(price),
            currency: usd(),
            content: url(vendor, path),
            terms: Terms::default(),
            idempotency: None,
            new_authorization: AuthorizationId(self.fresh()),
            new_entitlement: EntitlementId(self.fresh()),
            offer: None,
            incentives: farthing::domain::offer::IncentivePolicy::Any,
            royalties: Vec::new(),
        }
    }

    /// Decides, and applies the event when there is one.
    fn authorize(&mut self, command: &AuthorizeCommand) -> Result<AuthorizeDecision, Reject> {
        let decision = self.state.decide_authorize(command, self.now, &POLICY)?;
        if let AuthorizeDecision::Purchase(event) = &decision {
            self.apply(event);
        }
        Ok(decision)
    }

    fn buy(
        &mut self,
        vendor: VendorId,
        path: &str,
        price: u64,
    ) -> Result<AuthorizeDecision, Reject> {
        let command = self.order(vendor, path, price);
        self.authorize(&command)
    }

    /// Decides a reversal and returns its event after applying it.
    fn reverse(&mut self, authorization: AuthorizationId) -> Result<Event, Reject> {
        let event = self
            .state
            .decide_reversal(authorization, "admin", self.now, Origin::Admin)?;
        self.apply(&event);
        Ok(event)
    }

    fn access(&self, entitlement: EntitlementId, token_id: u64) -> AccessCommand {
        AccessCommand {
            entitlement,
            token_id,
            token_expires_at: self.now.plus_ms(60_000),
            vendor: V1,
            content_url: content_url("a"),
        }
    }

    /// Decides an access check and records it as the actor would: applies a counted view,
    /// remembers a spent unlimited token.
    fn check(&mut self, command: &AccessCommand) -> Result<AccessDecision, Reject> {
        let decision = self.state.decide_access(command, self.now)?;
        match &decision {
            AccessDecision::CountView(event) => self.apply(event),
            AccessDecision::Grant => {
                self.state
                    .spend_access_token(command.token_id, command.token_expires_at, self.now);
            }
        }
        Ok(decision)
    }
}

/// The purchase event of a decision, or a panic naming what came instead.
fn purchased(result: Result<AuthorizeDecision, Reject>) -> (AuthorizationId, EntitlementId) {
    match result {
        Ok(AuthorizeDecision::Purchase(Event::Authorized(authorized))) => {
            (authorized.authorization, authorized.entitlement.id)
        }
        other => panic!("expected a purchase, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Funds and credit line.

#[test]
fn a_balance_exactly_equal_to_the_price_pays() {
    let mut member = Member::utc(100);
    purchased(member.buy(V1, "a", 100));
    assert_eq!(member.balance(), 0);
}

#[test]
fn one_micro_above_the_balance_is_insufficient_funds() {
    let mut member = Member::utc(100);
    assert_eq!(member.buy(V1, "a", 101), Err(Reject::InsufficientFunds));
    assert_eq!(member.balance(), 100);
}

#[test]
fn a_credit_line_allows_a_draw_down_to_its_negative() {
    let mut member = Member::utc(100);
    member.credit_line(50);
    purchased(member.buy(V1, "a", 150));
    assert_eq!(member.balance(), -50);
    member.deposit(1);
    purchased(member.buy(V1, "b", 1));
    assert_eq!(member.balance(), -50);
}

#[test]
fn one_micro_past_the_credit_line_is_insufficient_funds() {
    let mut member = Member::utc(100);
    member.credit_line(50);
    assert_eq!(member.buy(V1, "a", 151), Err(Reject::InsufficientFunds));
    purchased(member.buy(V1, "a", 150));
    assert_eq!(member.buy(V1, "b", 1), Err(Reject::InsufficientFunds));
    assert_eq!(member.balance(), -50);
}

#[test]
fn a_credit_line_equal_to_the_current_draw_can_be_set() {
    let mut member = Member::utc(0);
    member.credit_line(50);
    purchased(member.buy(V1, "a", 30));
    member.credit_line(30);
    assert_eq!(member.balance(), -30);
    assert_eq!(member.buy(V1, "b", 1), Err(Reject::InsufficientFunds));
}

#[test]
fn a_credit_line_below_the_current_draw_is_refused() {
    // Found by tests/model_props.rs: before the fix, decide accepted it and apply then
    // panicked on the invariant "balance at or above minus the credit line".
    let mut member = Member::utc(0);
    member.credit_line(50);
    purchased(member.buy(V1, "a", 30));
    assert_eq!(
        member
            .state
            .decide_credit_line(usd(), m(29), member.now, Origin::Admin),
        Err(Reject::CreditLineBelowBalance)
    );
}

// ---------------------------------------------------------------------------------------
// Amounts too large for a balance or a counter.

#[test]
fn a_deposit_up_to_the_largest_balance_is_credited() {
    let mut member = Member::utc(0);
    member.deposit(MAX);
    assert_eq!(member.balance(), i64::MAX);
}

#[test]
fn a_deposit_past_the_largest_balance_is_amount_too_large() {
    let mut member = Member::utc(0);
    member.deposit(MAX);
    let now = member.now;
    assert_eq!(
        member
            .state
            .decide_deposit(usd(), m(1), "one-more", now, Origin::Admin),
        Err(Reject::AmountTooLarge)
    );
    let fresh = Member::utc(0);
    assert_eq!(
        fresh
            .state
            .decide_deposit(usd(), m(MAX + 1), "huge", now, Origin::Admin),
        Err(Reject::AmountTooLarge)
    );
}

#[test]
fn a_credit_line_up_to_the_largest_balance_can_be_set() {
    let mut member = Member::utc(0);
    member.credit_line(MAX);
    assert_eq!(
        member.state.wallets.get(&usd()).unwrap().credit_limit,
        m(MAX)
    );
}

#[test]
fn a_credit_line_past_the_largest_balance_is_amount_too_large() {
    let member = Member::utc(0);
    assert_eq!(
        member
            .state
            .decide_credit_line(usd(), m(MAX + 1), member.now, Origin::Admin),
        Err(Reject::AmountTooLarge)
    );
}

#[test]
fn a_price_up_to_the_largest_balance_is_debited() {
    let mut member = Member::utc(1);
    member.credit_line(MAX);
    purchased(member.buy(V1, "a", MAX));
    assert_eq!(member.balance(), 1 - i64::MAX);
}

#[test]
fn a_price_past_the_largest_balance_is_amount_too_large_not_a_crash() {
    // Found by this test: funds covered it (headroom 2^63), decide accepted, and apply panicked
    // because the debit did not fit an i64. Wire amounts are capped at i64::MAX, so only a
    // direct caller of the domain could send it.
    let mut member = Member::utc(1);
    member.credit_line(MAX);
    assert_eq!(member.buy(V1, "a", MAX + 1), Err(Reject::AmountTooLarge));
    assert_eq!(member.balance(), 1);
}

/// Spends u64::MAX - 1 today: the most the day, week, month and session counters can hold
/// minus one.
fn member_with_counters_nearly_full() -> Member {
    let mut member = Member::utc(MAX);
    member.credit_line(MAX);
    purchased(member.buy(V1, "a", MAX));
    purchased(member.buy(V1, "b", MAX));
    member.deposit(MAX);
    assert_eq!(member.balance(), 0);
    member
}

#[test]
fn spending_counters_may_reach_their_maximum() {
    let mut member = member_with_counters_nearly_full();
    purchased(member.buy(V1, "c", 1));
}

#[test]
fn spending_counters_past_their_maximum_are_amount_too_large() {
    let mut member = member_with_counters_nearly_full();
    assert_eq!(member.buy(V1, "c", 2), Err(Reject::AmountTooLarge));
    purchased(member.buy(V1, "c", 1));
    assert_eq!(member.buy(V1, "d", 1), Err(Reject::AmountTooLarge));
}

#[test]
fn a_refund_up_to_the_largest_balance_is_paid() {
    let mut member = Member::utc(MAX);
    let (authorization, _) = purchased(member.buy(V1, "a", 5));
    member.reverse(authorization).unwrap();
    assert_eq!(member.balance(), i64::MAX);
}

#[test]
fn a_refund_past_the_largest_balance_is_amount_too_large() {
    let mut member = Member::utc(MAX);
    let (authorization, _) = purchased(member.buy(V1, "a", 5));
    member.deposit(1);
    assert_eq!(member.reverse(authorization), Err(Reject::AmountTooLarge));
    assert_eq!(member.balance(), i64::MAX - 4);
}

// ---------------------------------------------------------------------------------------
// Spending limits.

#[test]
fn a_price_equal_to_the_transaction_limit_passes() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        per_transaction: Some(m(100)),
        ..Limits::default()
    });
    purchased(member.buy(V1, "a", 100));
    purchased(member.buy(V1, "b", 100));
}

#[test]
fn one_micro_over_the_transaction_limit_is_refused() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        per_transaction: Some(m(100)),
        ..Limits::default()
    });
    assert_eq!(
        member.buy(V1, "a", 101),
        Err(Reject::LimitReached(LimitKind::PerTransaction))
    );
    assert_eq!(member.balance(), 1_000);
}

#[test]
fn the_session_limit_counts_every_vendor_and_is_reached_exactly() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        per_session: Some(m(100)),
        ..Limits::default()
    });
    purchased(member.buy(V1, "a", 60));
    purchased(member.buy(V2, "a", 40));
    assert_eq!(member.balance(), 900);
}

#[test]
fn one_micro_over_the_session_limit_at_another_vendor_is_refused() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        per_session: Some(m(100)),
        ..Limits::default()
    });
    purchased(member.buy(V1, "a", 60));
    assert_eq!(
        member.buy(V2, "a", 41),
        Err(Reject::LimitReached(LimitKind::PerSession))
    );
    // A new session starts its own count.
    let other = SessionId(101);
    member.start_session(other, SessionExpiry::Idle { idle_ms: HOUR_MS });
    let mut command = member.order(V2, "a", 100);
    command.session = other;
    purchased(member.authorize(&command));
}

fn tokyo_member_with_day_limit() -> Member {
    // 14:59:59 UTC is 23:59:59 in Tokyo; 15:00:00 UTC is midnight of the next Tokyo day,
    // while the UTC day does not change.
    let mut member = Member::new("Asia/Tokyo", at("2026-03-10T14:00:00Z"), 1_000);
    member.limits(Limits {
        per_day: Some(m(100)),
        ..Limits::default()
    });
    member
}

#[test]
fn the_day_limit_is_reached_exactly_before_midnight_in_the_member_zone() {
    let mut member = tokyo_member_with_day_limit();
    purchased(member.buy(V1, "a", 60));
    member.now = at("2026-03-10T14:59:59.999Z");
    purchased(member.buy(V2, "b", 40));
    // Midnight in Tokyo: a new day, the same UTC day.
    member.now = at("2026-03-10T15:00:00Z");
    purchased(member.buy(V1, "c", 100));
}

#[test]
fn one_micro_over_the_day_limit_in_the_member_zone_is_refused() {
    let mut member = tokyo_member_with_day_limit();
    member.now = at("2026-03-09T15:00:00Z");
    purchased(member.buy(V1, "a", 100));
    member.now = at("2026-03-10T14:59:59.999Z");
    assert_eq!(
        member.buy(V1, "b", 1),
        Err(Reject::LimitReached(LimitKind::PerDay))
    );
}

fn sao_paulo_member(limits: Limits, now: Timestamp) -> Member {
    let mut member = Member::new("America/Sao_Paulo", now, 1_000);
    member.limits(limits);
    member
}

#[test]
fn the_week_limit_resets_on_monday_in_the_member_zone() {
    // Sunday 2026-03-15 23:59:59 in Sao Paulo (UTC-3) is Monday 02:59:59 UTC.
    let limits = Limits {
        per_week: Some(m(100)),
        ..Limits::default()
    };
    let mut member = sao_paulo_member(limits, at("2026-03-09T03:00:00Z"));
    purchased(member.buy(V1, "a", 50));
    member.now = at("2026-03-16T02:59:59Z");
    purchased(member.buy(V1, "b", 50));
    member.now = at("2026-03-16T03:00:00Z");
    purchased(member.buy(V1, "c", 100));
}

#[test]
fn one_micro_over_the_week_limit_is_refused_until_the_iso_week_ends() {
    let limits = Limits {
        per_week: Some(m(100)),
        ..Limits::default()
    };
    // Monday 00:00 of ISO week 11 in Sao Paulo.
    let mut member = sao_paulo_member(limits, at("2026-03-09T03:00:00Z"));
    purchased(member.buy(V1, "a", 100));
    member.now = at("2026-03-16T02:59:59Z");
    assert_eq!(
        member.buy(V1, "b", 1),
        Err(Reject::LimitReached(LimitKind::PerWeek))
    );
}

#[test]
fn the_month_limit_resets_on_the_first_in_the_member_zone() {
    // 2026-03-31 23:59:59 in Sao Paulo is 2026-04-01 02:59:59 UTC (the same ISO week).
    let limits = Limits {
        per_month: Some(m(100)),
        ..Limits::default()
    };
    let mut member = sao_paulo_member(limits, at("2026-03-01T03:00:00Z"));
    purchased(member.buy(V1, "a", 70));
    member.now = at("2026-04-01T02:59:59Z");
    purchased(member.buy(V1, "b", 30));
    member.now = at("2026-04-01T03:00:00Z");
    purchased(member.buy(V1, "c", 100));
}

#[test]
fn one_micro_over_the_month_limit_is_refused() {
    let limits = Limits {
        per_month: Some(m(100)),
        ..Limits::default()
    };
    let mut member = sao_paulo_member(limits, at("2026-03-01T03:00:00Z"));
    purchased(member.buy(V1, "a", 70));
    member.now = at("2026-04-01T02:59:59Z");
    assert_eq!(
        member.buy(V1, "b", 31),
        Err(Reject::LimitReached(LimitKind::PerMonth))
    );
}

#[test]
fn a_reversal_refunds_money_but_not_limit_headroom() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        per_day: Some(m(100)),
        ..Limits::default()
    });
    let (authorization, _) = purchased(member.buy(V1, "a", 100));
    member.reverse(authorization).unwrap();
    assert_eq!(member.balance(), 1_000);
    assert_eq!(
        member.buy(V1, "b", 1),
        Err(Reject::LimitReached(LimitKind::PerDay))
    );
}

// ---------------------------------------------------------------------------------------
// Allowlist, currency, login.

#[test]
fn an_allowed_vendor_may_charge() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        vendors_allowed: Some([V1].into()),
        ..Limits::default()
    });
    purchased(member.buy(V1, "a", 10));
}

#[test]
fn a_vendor_outside_the_allowlist_is_refused() {
    let mut member = Member::utc(1_000);
    member.limits(Limits {
        vendors_allowed: Some([V1].into()),
        ..Limits::default()
    });
    assert_eq!(member.buy(V2, "a", 10), Err(Reject::VendorNotAllowed));
}

#[test]
fn a_price_in_the_wallet_currency_is_charged() {
    let mut member = Member::utc(1_000);
    purchased(member.buy(V1, "a", 10));
}

#[test]
fn a_currency_without_a_wallet_is_wallet_missing_everywhere_until_one_is_opened() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 10);
    command.currency = eur();
    assert_eq!(member.authorize(&command), Err(Reject::WalletMissing));
    let now = member.now;
    let state = &member.state;
    assert_eq!(
        state.decide_deposit(eur(), m(1), "eur-1", now, Origin::Admin),
        Err(Reject::WalletMissing)
    );
    assert_eq!(
        state.decide_credit_line(eur(), m(1), now, Origin::Admin),
        Err(Reject::WalletMissing)
    );
    assert_eq!(
        state.decide_limits(LOGIN, LOGIN, eur(), Limits::default(), now),
        Err(Reject::WalletMissing)
    );
    assert_eq!(
        state.decide_open_wallet(usd(), now),
        Err(Reject::WalletExists),
        "the wallet opened with the account"
    );
    let opened = state.decide_open_wallet(eur(), now).unwrap();
    member.apply(&opened);
    let eur_wallet = member.state.wallets.get(&eur()).unwrap();
    assert_eq!(
        (eur_wallet.balance.micros(), eur_wallet.available()),
        (0, m(0))
    );
    assert_eq!(
        member.state.decide_open_wallet(eur(), now),
        Err(Reject::WalletExists)
    );
    let deposit = member
        .state
        .decide_deposit(eur(), m(500), "eur-1", now, Origin::Admin)
        .unwrap()
        .unwrap();
    member.apply(&deposit);
    command.new_authorization = AuthorizationId(member.fresh());
    assert!(matches!(
        member.authorize(&command),
        Ok(AuthorizeDecision::Purchase(_))
    ));
    assert_eq!(
        member.state.wallets.get(&eur()).unwrap().balance.micros(),
        490
    );
    assert_eq!(member.balance(), 1_000, "the dollar wallet is untouched");
}

#[test]
fn a_frozen_account_opens_no_wallet() {
    let mut member = Member::utc(0);
    let frozen = member.state.decide_freeze(true, member.now);
    member.apply(&frozen);
    assert_eq!(
        member.state.decide_open_wallet(eur(), member.now),
        Err(Reject::Frozen)
    );
}

#[test]
fn a_known_login_may_sign_in_and_set_limits() {
    let member = Member::utc(0);
    let expiry = SessionExpiry::Idle { idle_ms: HOUR_MS };
    let state = &member.state;
    assert!(
        state
            .decide_start_session(LOGIN, SessionId(5), expiry, member.now, &POLICY)
            .is_ok()
    );
    assert!(
        state
            .decide_limits(LOGIN, LOGIN, usd(), Limits::default(), member.now)
            .is_ok()
    );
}

#[test]
fn an_unknown_login_is_refused() {
    let member = Member::utc(0);
    let expiry = SessionExpiry::Idle { idle_ms: HOUR_MS };
    let state = &member.state;
    let stranger = LoginId(11);
    assert_eq!(
        state.decide_start_session(stranger, SessionId(5), expiry, member.now, &POLICY),
        Err(Reject::LoginUnknown)
    );
    assert_eq!(
        state.decide_limits(LOGIN, stranger, usd(), Limits::default(), member.now),
        Err(Reject::LoginNotFound)
    );
    assert_eq!(
        state.decide_limits(stranger, LOGIN, usd(), Limits::default(), member.now),
        Err(Reject::HolderOnly)
    );
}

// ---------------------------------------------------------------------------------------
// Freeze and sessions.

#[test]
fn an_unfrozen_account_can_sign_in_again() {
    let mut member = Member::utc(1_000);
    member.freeze(true);
    member.freeze(false);
    member.start_session(SessionId(5), SessionExpiry::Idle { idle_ms: HOUR_MS });
    let mut command = member.order(V1, "a", 10);
    command.session = SessionId(5);
    purchased(member.authorize(&command));
}

#[test]
fn freezing_ends_every_session_and_a_new_session_of_a_frozen_account_cannot_buy() {
    let mut member = Member::utc(1_000);
    member.start_session(SessionId(5), SessionExpiry::Idle { idle_ms: HOUR_MS });
    member.freeze(true);
    assert!(member.state.sessions.values().all(|s| s.ended));
    // Every session ended, so a purchase stops at the session check (which precedes the
    // frozen check); unfreezing does not revive them.
    assert_eq!(member.buy(V1, "a", 10), Err(Reject::SessionEnded));
    assert_eq!(member.end_session(SessionId(5)), Err(Reject::SessionEnded));
    // A frozen account may sign in (to unfreeze itself), but that session cannot buy.
    let expiry = SessionExpiry::Idle { idle_ms: HOUR_MS };
    let started = member
        .state
        .decide_start_session(LOGIN, SessionId(6), expiry, member.now, &POLICY)
        .unwrap();
    member.state.apply(&started);
    let command = AuthorizeCommand {
        session: SessionId(6),
        ..member.order(V1, "a", 10)
    };
    assert_eq!(
        member.state.decide_authorize(&command, member.now, &POLICY),
        Err(Reject::Frozen)
    );
    member.freeze(false);
    assert!(matches!(
        member.state.decide_authorize(&command, member.now, &POLICY),
        Ok(AuthorizeDecision::Purchase(_))
    ));
    assert_eq!(member.balance(), 1_000);
}

#[test]
fn a_live_session_of_this_login_may_buy_and_log_out() {
    let mut member = Member::utc(1_000);
    purchased(member.buy(V1, "a", 10));
    member.end_session(SESSION).unwrap();
}

#[test]
fn an_unknown_session_or_one_of_another_login_is_unknown() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 10);
    command.session = SessionId(999);
    assert_eq!(member.authorize(&command), Err(Reject::SessionUnknown));
    let mut command = member.order(V1, "a", 10);
    command.login = LoginId(11);
    assert_eq!(member.authorize(&command), Err(Reject::SessionUnknown));
    assert_eq!(
        member.end_session(SessionId(999)),
        Err(Reject::SessionUnknown)
    );
}

#[test]
fn an_ended_session_is_refused_while_another_stays_live() {
    let mut member = Member::utc(1_000);
    let other = SessionId(5);
    member.start_session(other, SessionExpiry::Idle { idle_ms: HOUR_MS });
    member.end_session(SESSION).unwrap();
    assert_eq!(member.buy(V1, "a", 10), Err(Reject::SessionEnded));
    assert_eq!(member.end_session(SESSION), Err(Reject::SessionEnded));
    let mut command = member.order(V1, "a", 10);
    command.session = other;
    purchased(member.authorize(&command));
}

#[test]
fn starting_one_session_too_many_evicts_the_oldest() {
    let mut member = Member::utc(1_000);
    for id in [5, 6] {
        member.now = member.now.plus_ms(1);
        member.start_session(SessionId(id), SessionExpiry::Idle { idle_ms: HOUR_MS });
    }
    assert_eq!(member.state.sessions.len(), 3);
    member.now = member.now.plus_ms(1);
    member.start_session(SessionId(7), SessionExpiry::Idle { idle_ms: HOUR_MS });
    assert_eq!(member.buy(V1, "a", 10), Err(Reject::SessionUnknown));
    assert_eq!(member.state.sessions.len(), 3);
}

#[test]
fn an_absolute_session_is_live_until_one_millisecond_before_expiry() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let session = SessionId(5);
    let expiry = SessionExpiry::Absolute {
        expires_at: start.plus_ms(HOUR_MS),
    };
    member.start_session(session, expiry);
    member.now = start.plus_ms(HOUR_MS - 1);
    let mut command = member.order(V1, "a", 10);
    command.session = session;
    purchased(member.authorize(&command));
}

#[test]
fn an_absolute_session_expires_at_its_instant_even_after_a_purchase() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let session = SessionId(5);
    let expiry = SessionExpiry::Absolute {
        expires_at: start.plus_ms(HOUR_MS),
    };
    member.start_session(session, expiry);
    member.now = start.plus_ms(HOUR_MS - 1);
    let mut command = member.order(V1, "a", 10);
    command.session = session;
    purchased(member.authorize(&command));
    member.now = start.plus_ms(HOUR_MS);
    let mut command = member.order(V1, "b", 10);
    command.session = session;
    assert_eq!(member.authorize(&command), Err(Reject::SessionExpired));
    assert_eq!(member.end_session(session), Err(Reject::SessionExpired));
}

fn idle_session(member: &mut Member) -> SessionId {
    let session = SessionId(5);
    member.start_session(session, SessionExpiry::Idle { idle_ms: HOUR_MS });
    session
}

fn buy_in(
    member: &mut Member,
    session: SessionId,
    path: &str,
) -> Result<AuthorizeDecision, Reject> {
    let mut command = member.order(V1, path, 10);
    command.session = session;
    member.authorize(&command)
}

#[test]
fn a_purchase_extends_an_idle_session() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let session = idle_session(&mut member);
    member.now = start.plus_ms(HOUR_MS - 1);
    purchased(buy_in(&mut member, session, "a"));
    // An hour after the start, but less than an hour after the purchase.
    member.now = start.plus_ms(2 * HOUR_MS - 2);
    purchased(buy_in(&mut member, session, "b"));
}

#[test]
fn an_idle_session_expires_an_idle_time_after_its_last_purchase() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let session = idle_session(&mut member);
    member.now = start.plus_ms(HOUR_MS);
    assert_eq!(
        buy_in(&mut member, session, "a"),
        Err(Reject::SessionExpired)
    );

    let mut member = Member::utc(1_000);
    let session = idle_session(&mut member);
    member.now = start.plus_ms(HOUR_MS - 1);
    purchased(buy_in(&mut member, session, "a"));
    member.now = start.plus_ms(2 * HOUR_MS - 1);
    assert_eq!(
        buy_in(&mut member, session, "b"),
        Err(Reject::SessionExpired)
    );
}

#[test]
fn an_already_owned_grant_does_not_extend_an_idle_session() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let session = idle_session(&mut member);
    purchased(buy_in(&mut member, session, "a"));
    member.now = start.plus_ms(HOUR_MS - 1);
    assert!(matches!(
        buy_in(&mut member, session, "a"),
        Ok(AuthorizeDecision::AlreadyOwned(_))
    ));
    member.now = start.plus_ms(HOUR_MS);
    assert_eq!(
        buy_in(&mut member, session, "b"),
        Err(Reject::SessionExpired)
    );
}

// ---------------------------------------------------------------------------------------
// Idempotency.

#[test]
fn a_retry_with_the_same_key_and_body_replays_without_a_second_debit() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.idempotency = stamp("k1", 1);
    let (_, entitlement) = purchased(member.authorize(&command));
    let before = member.state.clone();
    // The retry draws new ids at the edge; the answer is still the first entitlement.
    let mut retry = member.order(V1, "b", 100);
    retry.idempotency = stamp("k1", 1);
    member.now = member.now.plus_ms(DAY_MS - 1);
    assert_eq!(
        member.state.decide_authorize(&retry, member.now, &POLICY),
        Ok(AuthorizeDecision::Replay(entitlement))
    );
    assert_eq!(member.state, before);
    assert_eq!(member.balance(), 900);
}

#[test]
fn a_retry_is_answered_even_after_the_session_ended() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.idempotency = stamp("k1", 1);
    let (_, entitlement) = purchased(member.authorize(&command));
    member.freeze(true);
    assert_eq!(
        member.authorize(&command),
        Ok(AuthorizeDecision::Replay(entitlement))
    );
}

#[test]
fn the_same_key_with_another_body_is_refused() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.idempotency = stamp("k1", 1);
    purchased(member.authorize(&command));
    let mut other = member.order(V1, "b", 50);
    other.idempotency = stamp("k1", 2);
    assert_eq!(member.authorize(&other), Err(Reject::IdempotencyKeyReused));
    assert_eq!(member.balance(), 900);
}

#[test]
fn the_same_key_at_another_vendor_is_a_new_purchase() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.idempotency = stamp("k1", 1);
    purchased(member.authorize(&command));
    let mut other = member.order(V2, "a", 50);
    other.idempotency = stamp("k1", 2);
    purchased(member.authorize(&other));
    assert_eq!(member.balance(), 850);
}

#[test]
fn a_record_past_retention_no_longer_replays() {
    let mut member = Member::utc(1_000);
    let start = member.now;
    let mut command = member.order(V1, "a", 100);
    command.idempotency = stamp("k1", 1);
    purchased(member.authorize(&command));
    member.now = start.plus_ms(DAY_MS);
    // Same key and body, but the record is too old to answer: the content is owned, so it is
    // granted without charge; other content under the same key is bought anew.
    assert!(matches!(
        member.authorize(&command),
        Ok(AuthorizeDecision::AlreadyOwned(_))
    ));
    let mut again = member.order(V1, "b", 100);
    again.idempotency = stamp("k1", 2);
    let (authorization, entitlement) = purchased(member.authorize(&again));
    assert_eq!(member.balance(), 800);
    let record = member
        .state
        .idempotency
        .get(&(V1, "k1".to_owned()))
        .unwrap();
    assert_eq!(record.authorization, authorization);
    assert_eq!(record.entitlement, entitlement);
    assert_eq!(record.recorded_at, member.now);
}

// ---------------------------------------------------------------------------------------
// Already owned, and buying anew.

#[test]
fn owned_content_is_granted_without_charge_even_past_limits_and_funds() {
    let mut member = Member::utc(100);
    let (_, entitlement) = purchased(member.buy(V1, "a", 100));
    member.limits(Limits {
        per_transaction: Some(m(1)),
        ..Limits::default()
    });
    let before = member.state.clone();
    assert_eq!(
        member.buy(V1, "a", 100),
        Ok(AuthorizeDecision::AlreadyOwned(entitlement))
    );
    assert_eq!(member.state, before);
    assert_eq!(member.balance(), 0);
}

#[test]
fn the_same_url_at_another_vendor_is_other_content() {
    let mut member = Member::utc(100);
    purchased(member.buy(V1, "a", 50));
    purchased(member.buy(V2, "a", 50));
    assert_eq!(member.balance(), 0);
}

#[test]
fn an_entitlement_one_millisecond_before_expiry_is_still_owned() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.terms.valid_hours = Some(1);
    let (_, entitlement) = purchased(member.authorize(&command));
    member.now = member.now.plus_ms(HOUR_MS - 1);
    assert_eq!(
        member.authorize(&command),
        Ok(AuthorizeDecision::AlreadyOwned(entitlement))
    );
}

#[test]
fn an_expired_entitlement_is_bought_anew() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.terms.valid_hours = Some(1);
    purchased(member.authorize(&command));
    member.now = member.now.plus_ms(HOUR_MS);
    let mut again = member.order(V1, "a", 100);
    again.terms.valid_hours = Some(1);
    purchased(member.authorize(&again));
    assert_eq!(member.balance(), 800);
}

#[test]
fn a_used_up_entitlement_is_bought_anew() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.terms.views = Some(1);
    let (_, entitlement) = purchased(member.authorize(&command));
    assert_eq!(
        member.authorize(&command),
        Ok(AuthorizeDecision::AlreadyOwned(entitlement))
    );
    let view = member.access(entitlement, 1);
    member.check(&view).unwrap();
    let mut again = member.order(V1, "a", 100);
    again.terms.views = Some(1);
    let (_, renewed) = purchased(member.authorize(&again));
    assert_ne!(renewed, entitlement);
    assert_eq!(member.balance(), 800);
}

// ---------------------------------------------------------------------------------------
// Access checks.

fn member_owning(terms: Terms) -> (Member, EntitlementId) {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    command.terms = terms;
    let (_, entitlement) = purchased(member.authorize(&command));
    (member, entitlement)
}

#[test]
fn the_vendor_of_the_entitlement_is_granted_its_content() {
    let (mut member, entitlement) = member_owning(Terms::default());
    let check = member.access(entitlement, 1);
    assert_eq!(member.check(&check), Ok(AccessDecision::Grant));
}

#[test]
fn an_unknown_entitlement_or_one_of_another_vendor_is_unknown() {
    let (mut member, entitlement) = member_owning(Terms::default());
    let unknown = member.access(EntitlementId(424_242), 1);
    assert_eq!(member.check(&unknown), Err(Reject::EntitlementUnknown));
    let mut foreign = member.access(entitlement, 2);
    foreign.vendor = V2;
    assert_eq!(member.check(&foreign), Err(Reject::EntitlementUnknown));
}

#[test]
fn a_content_id_entitlement_matches_any_url() {
    let mut member = Member::utc(1_000);
    let mut command = member.order(V1, "a", 100);
    let parsed = ContentUrl::parse("https://news.example/a").unwrap();
    command.content = ContentKey::new(V1, Some("article-42"), &parsed);
    let (_, entitlement) = purchased(member.authorize(&command));
    let mut check = member.access(entitlement, 1);
    check.content_url = content_url("elsewhere");
    assert_eq!(member.check(&check), Ok(AccessDecision::Grant));
}

#[test]
fn a_token_for_other_content_is_a_mismatch() {
    let (mut member, entitlement) = member_owning(Terms::default());
    let mut check = member.access(entitlement, 1);
    check.content_url = content_url("b");
    assert_eq!(member.check(&check), Err(Reject::ContentMismatch));
}

#[test]
fn an_unlimited_token_grants_once() {
    let (mut member, entitlement) = member_owning(Terms::default());
    let check = member.access(entitlement, 1);
    assert_eq!(member.check(&check), Ok(AccessDecision::Grant));
    assert_eq!(member.check(&check), Err(Reject::AccessTokenUsed));
    let fresh = member.access(entitlement, 2);
    assert_eq!(member.check(&fresh), Ok(AccessDecision::Grant));
}

#[test]
fn a_limited_token_grants_once_through_its_view_event() {
    let terms = Terms {
        views: Some(3),
        ..Terms::default()
    };
    let (mut member, entitlement) = member_owning(terms);
    let check = member.access(entitlement, 1);
    assert!(matches!(
        member.check(&check),
        Ok(AccessDecision::CountView(Event::ViewCounted { .. }))
    ));
    assert_eq!(member.check(&check), Err(Reject::AccessTokenUsed));
    let fresh = member.access(entitlement, 2);
    assert!(matches!(
        member.check(&fresh),
        Ok(AccessDecision::CountView(_))
    ));
    assert_eq!(member.state.entitlements[&entitlement].views_used, 2);
}

#[test]
fn a_limited_token_stays_spent_until_it_expires() {
    // Found by this test: the spent id was kept only until the view's own instant (entitlement
    // without expiry), so an unrelated grant a second later forgot it and the same token was
    // granted another view within its TTL. The event now carries the token's expiry.
    let terms = Terms {
        views: Some(5),
        ..Terms::default()
    };
    let (mut member, entitlement) = member_owning(terms);
    let unlimited = {
        let mut command = member.order(V1, "u", 10);
        command.content = ContentKey::new(
            V1,
            Some("unlimited"),
            &ContentUrl::parse("https://news.example/a").unwrap(),
        );
        purchased(member.authorize(&command)).1
    };
    let limited = member.access(entitlement, 1);
    member.check(&limited).unwrap();
    member.now = member.now.plus_ms(1_000);
    let other = member.access(unlimited, 2);
    assert_eq!(member.check(&other), Ok(AccessDecision::Grant));
    assert_eq!(member.check(&limited), Err(Reject::AccessTokenUsed));
    // Past its expiry the edge refuses the token itself; the domain may forget it.
    member.now = limited.token_expires_at;
    let later = member.access(unlimited, 3);
    assert_eq!(member.check(&later), Ok(AccessDecision::Grant));
    assert!(!member.state.spent_access_tokens.contains_key(&1));
}

#[test]
fn the_last_view_is_granted_and_the_next_one_never() {
    let terms = Terms {
        views: Some(2),
        ..Terms::default()
    };
    let (mut member, entitlement) = member_owning(terms);
    for token in [1, 2] {
        let check = member.access(entitlement, token);
        assert!(matches!(
            member.check(&check),
            Ok(AccessDecision::CountView(_))
        ));
    }
    let past = member.access(entitlement, 3);
    assert_eq!(member.check(&past), Err(Reject::ViewsUsedUp));
    assert_eq!(member.state.entitlements[&entitlement].views_used, 2);
}

#[test]
fn an_entitlement_grants_until_one_millisecond_before_expiry() {
    let terms = Terms {
        valid_hours: Some(1),
        ..Terms::default()
    };
    let (mut member, entitlement) = member_owning(terms);
    member.now = member.now.plus_ms(HOUR_MS - 1);
    let check = member.access(entitlement, 1);
    assert_eq!(member.check(&check), Ok(AccessDecision::Grant));
}

#[test]
fn an_expired_entitlement_is_refused() {
    let terms = Terms {
        valid_hours: Some(1),
        ..Terms::default()
    };
    let (mut member, entitlement) = member_owning(terms);
    member.now = member.now.plus_ms(HOUR_MS);
    let check = member.access(entitlement, 1);
    assert_eq!(member.check(&check), Err(Reject::EntitlementExpired));
}

#[test]
fn a_reversed_entitlement_is_refused_and_bought_anew() {
    let (mut member, entitlement) = member_owning(Terms::default());
    let authorization = member.state.entitlements[&entitlement].authorization;
    member.reverse(authorization).unwrap();
    let check = member.access(entitlement, 1);
    assert_eq!(member.check(&check), Err(Reject::EntitlementReversed));
    purchased(member.buy(V1, "a", 100));
    assert_eq!(member.balance(), 900);
}

// ---------------------------------------------------------------------------------------
// Reversals and the vendor ledger.

fn vendor() -> VendorState {
    VendorState::from_registered(
        &Event::VendorRegistered(Box::new(VendorProfile {
            id: V1,
            name: "News".into(),
            currency: usd(),
            content_domains: vec!["news.example".into()],
            fee_ppm: 50_000,
            api_key_digest: [0; 32],
            registered_at: Timestamp(0),
        })),
        0,
    )
    .unwrap()
}

#[test]
fn a_reversal_refunds_the_price_and_ends_the_entitlement() {
    let mut member = Member::utc(1_000);
    let mut ledger = vendor();
    let decision = member.buy(V1, "a", 300).unwrap();
    let AuthorizeDecision::Purchase(sale) = decision else {
        panic!("expected a purchase");
    };
    assert_eq!(ledger.apply_sale(1, &sale), Ok(true));
    assert_eq!(member.balance(), 700);
    let Event::Authorized(bought) = &sale else {
        panic!("a purchase");
    };
    let authorization = bought.authorization;
    let reversal = member.reverse(authorization).unwrap();
    assert_eq!(ledger.apply_sale(2, &reversal), Ok(true));
    // A redelivery after a restart changes nothing.
    assert_eq!(ledger.apply_sale(2, &reversal), Ok(false));
    assert_eq!(member.balance(), 1_000);
    let wallet = member.state.wallets.get(&usd()).unwrap();
    assert_eq!(wallet.refunded, m(300));
    let entitlement = member
        .state
        .entitlements
        .values()
        .find(|e| e.authorization == authorization)
        .unwrap();
    assert!(entitlement.is_reversed());
    let usd_ledger = &ledger.ledger[&usd()];
    assert_eq!((usd_ledger.sales, usd_ledger.gross.micros()), (0, 0));
}

#[test]
fn an_unknown_authorization_cannot_be_reversed() {
    let mut member = Member::utc(1_000);
    purchased(member.buy(V1, "a", 300));
    assert_eq!(
        member.reverse(AuthorizationId(424_242)),
        Err(Reject::AuthorizationUnknown)
    );
    assert_eq!(member.balance(), 700);
}

#[test]
fn a_reversed_authorization_cannot_be_reversed_again() {
    let mut member = Member::utc(1_000);
    let (authorization, _) = purchased(member.buy(V1, "a", 300));
    member.reverse(authorization).unwrap();
    assert_eq!(member.reverse(authorization), Err(Reject::AlreadyReversed));
    assert_eq!(member.balance(), 1_000);
}

// ---------------------------------------------------------------------------------------
// Deposits.

#[test]
fn a_repeated_deposit_reference_credits_once() {
    let mut member = Member::utc(0);
    let now = member.now;
    let event = member
        .state
        .decide_deposit(usd(), m(500), "psp-1", now, Origin::Admin)
        .unwrap()
        .unwrap();
    member.apply(&event);
    assert_eq!(
        member
            .state
            .decide_deposit(usd(), m(500), "psp-1", now, Origin::Admin),
        Ok(None)
    );
    assert_eq!(
        member
            .state
            .decide_deposit(usd(), m(7), "psp-1", now, Origin::Admin),
        Ok(None)
    );
    let other = member
        .state
        .decide_deposit(usd(), m(500), "psp-2", now, Origin::Admin)
        .unwrap();
    assert!(other.is_some());
    assert_eq!(member.balance(), 500);
    assert_eq!(member.state.wallets.get(&usd()).unwrap().deposited, m(500));
}

// ---------------------------------------------------------------------------------------
// Deposits from a saved payment method: checked before the charge, credited after it.

fn start(deposit: u64, currency: Currency, amount: u64) -> StartDeposit {
    StartDeposit {
        deposit: DepositId(deposit),
        currency,
        amount: m(amount),
        method: LEGACY_TEST_CARD_ID,
        amount_max: m(500_000_000),
        idempotency: None,
        via: None,
    }
}

#[test]
fn a_deposit_is_refused_before_any_charge_when_its_credit_could_not_land() {
    let mut member = Member::utc(0);
    let now = member.now;
    let state = &member.state;
    // No EUR wallet: the EUR charge would have nowhere to land.
    assert_eq!(
        state.decide_start_deposit(&start(1, eur(), 5_000_000), now),
        Err(Reject::WalletMissing)
    );
    assert!(
        state
            .decide_start_deposit(&start(1, usd(), 5_000_000), now)
            .is_ok()
    );
    // Above the largest charge; the largest itself passes.
    assert_eq!(
        state.decide_start_deposit(&start(1, usd(), 500_000_001), now),
        Err(Reject::AmountTooLarge)
    );
    assert!(
        state
            .decide_start_deposit(&start(1, usd(), 500_000_000), now)
            .is_ok()
    );
    // A credit that would overflow the balance together with one still pending.
    member.deposit(MAX - 10);
    let pending = member
        .state
        .decide_start_deposit(&start(2, usd(), 5), now)
        .unwrap();
    member.apply(&pending);
    assert_eq!(
        member.state.decide_start_deposit(&start(3, usd(), 6), now),
        Err(Reject::AmountTooLarge)
    );
    assert!(
        member
            .state
            .decide_start_deposit(&start(3, usd(), 5), now)
            .is_ok()
    );
    // An admin deposit counts the pending one too.
    assert_eq!(
        member
            .state
            .decide_deposit(usd(), m(6), "admin", now, Origin::Admin),
        Err(Reject::AmountTooLarge)
    );
    // Frozen: nothing is charged.
    let frozen = member.state.decide_freeze(true, now);
    member.apply(&frozen);
    assert_eq!(
        member.state.decide_start_deposit(&start(3, usd(), 1), now),
        Err(Reject::Frozen)
    );
}

#[test]
fn payment_methods_are_bounded_named_by_id_and_removable() {
    let mut member = Member::utc(0);
    let now = member.now;
    let card = |id: u64| SavedMethod {
        id: PaymentMethodId(id),
        rail: Rail::Card,
        brand: "visa".into(),
        last4: "0002".into(),
        token: "tok_test_card_declined_0123".into(),
        added_at: now,
    };
    // The legacy test card is one of them already.
    for id in 2..u64::try_from(PAYMENT_METHODS_MAX).unwrap() + 1 {
        let added = member
            .state
            .decide_add_payment_method(card(id), now)
            .unwrap();
        member.apply(&added);
    }
    assert_eq!(member.state.payment_methods.len(), PAYMENT_METHODS_MAX);
    assert_eq!(
        member.state.decide_add_payment_method(card(99), now),
        Err(Reject::PaymentMethodQuotaExceeded)
    );
    // A deposit names a saved method, and carries a copy of it.
    let unknown = StartDeposit {
        method: PaymentMethodId(99),
        ..start(1, usd(), 1_000_000)
    };
    assert_eq!(
        member.state.decide_start_deposit(&unknown, now),
        Err(Reject::PaymentMethodUnknown)
    );
    let by_card_two = StartDeposit {
        method: PaymentMethodId(2),
        ..start(1, usd(), 1_000_000)
    };
    let started = member
        .state
        .decide_start_deposit(&by_card_two, now)
        .unwrap();
    assert!(matches!(&started, Event::DepositStarted { method, .. } if *method == card(2)));
    member.apply(&started);
    // Removing the method does not strand the deposit: it keeps its own copy.
    let removed = member
        .state
        .decide_remove_payment_method(PaymentMethodId(2), now)
        .unwrap();
    member.apply(&removed);
    assert_eq!(
        member
            .state
            .decide_remove_payment_method(PaymentMethodId(2), now),
        Err(Reject::PaymentMethodUnknown)
    );
    let pending = member.state.pending_deposits.get(&DepositId(1)).unwrap();
    assert_eq!(pending.method, card(2));
    // The first card saved pays top-offs.
    assert_eq!(
        member.state.top_off_method(usd()).map(|card| card.id),
        Some(LEGACY_TEST_CARD_ID)
    );
    let frozen = member.state.decide_freeze(true, now);
    member.apply(&frozen);
    assert_eq!(
        member.state.decide_add_payment_method(card(50), now),
        Err(Reject::Frozen)
    );
}

#[test]
fn deposits_pending_at_once_are_bounded() {
    let mut member = Member::utc(0);
    let now = member.now;
    for id in 0..u64::try_from(DEPOSITS_PENDING_MAX).unwrap() {
        let event = member
            .state
            .decide_start_deposit(&start(id, usd(), 1_000_000), now)
            .unwrap();
        member.apply(&event);
    }
    assert_eq!(
        member
            .state
            .decide_start_deposit(&start(99, usd(), 1_000_000), now),
        Err(Reject::DepositInProgress)
    );
    // One finished: room for one more.
    let failed = member.state.decide_finish_deposit(
        DepositId(0),
        &DepositOutcome::Declined("no".into()),
        now,
    );
    assert_eq!(failed.len(), 1);
    member.apply(&failed[0]);
    assert!(
        member
            .state
            .decide_start_deposit(&start(99, usd(), 1_000_000), now)
            .is_ok()
    );
}

#[test]
fn a_started_deposit_credits_once_when_charged_and_nothing_when_declined() {
    let mut member = Member::utc(0);
    let now = member.now;
    for (id, amount) in [(1, 2_000_000), (2, 3_000_000)] {
        let started = member
            .state
            .decide_start_deposit(&start(id, usd(), amount), now)
            .unwrap();
        member.apply(&started);
    }
    assert_eq!(member.balance(), 0, "a started deposit moves no money");
    let charged = DepositOutcome::Charged("test_1".into());
    let credited = member
        .state
        .decide_finish_deposit(DepositId(1), &charged, now);
    assert_eq!(credited.len(), 1, "no debt: nothing to repay");
    member.apply(&credited[0]);
    assert_eq!(member.balance(), 2_000_000);
    // A second answer for the same deposit credits nothing.
    assert!(
        member
            .state
            .decide_finish_deposit(DepositId(1), &charged, now)
            .is_empty()
    );
    let declined = member.state.decide_finish_deposit(
        DepositId(2),
        &DepositOutcome::Declined("card".into()),
        now,
    );
    assert!(matches!(&declined[..], [Event::DepositFailed { reason, .. }] if reason == "card"));
    member.apply(&declined[0]);
    assert_eq!(member.balance(), 2_000_000);
    assert!(member.state.pending_deposits.is_empty());
    assert_eq!(
        member.state.wallets.get(&usd()).unwrap().deposited,
        m(2_000_000)
    );
}

// ---------------------------------------------------------------------------------------
// Bank debits: accepted now (unsettled), settled or returned later; a return after spending
// leaves a debt that blocks purchases and the next deposit repays first.

fn with_bank(member: &mut Member) -> PaymentMethodId {
    let bank = SavedMethod {
        id: PaymentMethodId(77),
        rail: Rail::BankDebit,
        brand: "bank".into(),
        last4: "3001".into(),
        token: "tok_bank_insufficient_funds_0123".into(),
        added_at: member.now,
    };
    let added = member
        .state
        .decide_add_payment_method(bank, member.now)
        .unwrap();
    member.apply(&added);
    PaymentMethodId(77)
}

fn debit(member: &mut Member, method: PaymentMethodId, deposit: u64, amount: u64) {
    let command = StartDeposit {
        method,
        ..start(deposit, usd(), amount)
    };
    let started = member
        .state
        .decide_start_deposit(&command, member.now)
        .unwrap();
    member.apply(&started);
    let pending = DepositOutcome::Pending(format!("dd_{deposit}"));
    for event in member
        .state
        .decide_finish_deposit(DepositId(deposit), &pending, member.now)
    {
        member.apply(&event);
    }
}

fn wallet(member: &Member) -> farthing::domain::account::Wallet {
    member.state.wallets.get(&usd()).unwrap().clone()
}

#[test]
fn a_bank_debit_is_spendable_while_unsettled_and_final_once_settled() {
    let mut member = Member::utc(0);
    let bank = with_bank(&mut member);
    debit(&mut member, bank, 1, 1_000);
    let accepted = wallet(&member);
    assert_eq!(
        (accepted.balance.micros(), accepted.unsettled),
        (1_000, m(1_000))
    );
    assert_eq!(accepted.available(), m(1_000), "unsettled money buys");
    member.buy(V1, "a", 400).unwrap();
    let settled = member
        .state
        .decide_settle_deposit(DepositId(1), &Settlement::Settled, member.now)
        .unwrap();
    member.apply(&settled);
    let after = wallet(&member);
    assert_eq!(
        (after.balance.micros(), after.unsettled, after.debt),
        (600, m(0), m(0))
    );
    assert!(member.state.unsettled_deposits.is_empty());
    // Settling twice records nothing.
    assert_eq!(
        member
            .state
            .decide_settle_deposit(DepositId(1), &Settlement::Settled, member.now),
        None
    );
}

#[test]
fn a_debit_returned_after_spending_leaves_a_debt_that_blocks_purchases_until_repaid() {
    let mut member = Member::utc(0);
    let credit = member
        .state
        .decide_credit_line(usd(), m(500), member.now, Origin::Admin)
        .unwrap();
    member.apply(&credit);
    let bank = with_bank(&mut member);
    debit(&mut member, bank, 1, 1_000);
    member.buy(V1, "spent", 700).unwrap();
    assert_eq!(member.balance(), 300);
    let returned = member.state.decide_settle_deposit(
        DepositId(1),
        &Settlement::Returned("insufficient_funds".into()),
        member.now,
    );
    // The balance gives back what it still holds (300, never dipping into the credit line);
    // the 700 already spent becomes debt.
    assert!(matches!(
        &returned,
        Some(Event::DepositReturned { amount, debt, .. }) if *amount == m(1_000) && *debt == m(700)
    ));
    member.apply(&returned.unwrap());
    let owed = wallet(&member);
    assert_eq!(
        (owed.balance.micros(), owed.debt, owed.unsettled),
        (0, m(700), m(0))
    );
    assert_eq!(owed.available(), m(0));
    let blocked = member.order(V1, "next", 1);
    assert_eq!(member.authorize(&blocked), Err(Reject::DebtOutstanding));
    // Content already owned is still granted: nothing is spent.
    let owned = member.order(V1, "spent", 700);
    assert!(matches!(
        member.authorize(&owned),
        Ok(AuthorizeDecision::AlreadyOwned(_))
    ));
    // A deposit repays the debt first, in the same group of events.
    let deposited = member
        .state
        .decide_deposit(usd(), m(500), "cash-1", member.now, Origin::Admin)
        .unwrap()
        .unwrap();
    let repaid = member.state.repayment(usd(), m(500), member.now);
    assert!(matches!(&repaid, Some(Event::DebtRepaid { amount, .. }) if *amount == m(500)));
    member.apply(&deposited);
    member.apply(&repaid.unwrap());
    let partly = wallet(&member);
    assert_eq!((partly.balance.micros(), partly.debt), (0, m(200)));
    assert_eq!(member.authorize(&blocked), Err(Reject::DebtOutstanding));
    // A card deposit finishing repays the rest and credits what is left over.
    let card = start(2, usd(), 1_000);
    let started = member
        .state
        .decide_start_deposit(&card, member.now)
        .unwrap();
    member.apply(&started);
    let finished = member.state.decide_finish_deposit(
        DepositId(2),
        &DepositOutcome::Charged("ch".into()),
        member.now,
    );
    assert!(matches!(
        &finished[..],
        [Event::DepositCredited { .. }, Event::DebtRepaid { amount, .. }] if *amount == m(200)
    ));
    for event in &finished {
        member.apply(event);
    }
    let clear = wallet(&member);
    assert_eq!((clear.balance.micros(), clear.debt), (800, m(0)));
    assert!(matches!(
        member.authorize(&blocked),
        Ok(AuthorizeDecision::Purchase(_))
    ));
}

#[test]
fn unsettled_debits_per_account_are_bounded() {
    let mut member = Member::utc(0);
    let bank = with_bank(&mut member);
    for deposit in 0..u64::try_from(DEPOSITS_UNSETTLED_MAX).unwrap() {
        debit(&mut member, bank, deposit, 1);
    }
    let one_more = StartDeposit {
        method: bank,
        ..start(99, usd(), 1)
    };
    assert_eq!(
        member.state.decide_start_deposit(&one_more, member.now),
        Err(Reject::DepositInProgress)
    );
    // Cards are not held back by unsettled debits.
    assert!(
        member
            .state
            .decide_start_deposit(&start(99, usd(), 1), member.now)
            .is_ok()
    );
}

#[test]
fn a_top_off_setting_names_a_saved_method_and_plans_shortage_plus_its_amount() {
    let mut member = Member::utc(100);
    let now = member.now;
    let setting = farthing::domain::account::TopOff {
        amount: m(500),
        method: LEGACY_TEST_CARD_ID,
    };
    let state = &member.state;
    assert_eq!(
        state.decide_top_off(eur(), Some(setting), m(1_000), now),
        Err(Reject::WalletMissing)
    );
    let unknown = farthing::domain::account::TopOff {
        method: PaymentMethodId(99),
        ..setting
    };
    assert_eq!(
        state.decide_top_off(usd(), Some(unknown), m(1_000), now),
        Err(Reject::PaymentMethodUnknown)
    );
    assert_eq!(
        state.decide_top_off(usd(), Some(setting), m(499), now),
        Err(Reject::AmountTooLarge)
    );
    assert_eq!(state.top_off_needed(usd(), m(300)), None, "off");
    let on = state
        .decide_top_off(usd(), Some(setting), m(500), now)
        .unwrap();
    member.apply(&on);
    // 100 held, 300 asked: short by 200, charged 200 + 500.
    assert_eq!(
        member.state.top_off_needed(usd(), m(300)),
        Some((setting, m(700)))
    );
    assert_eq!(
        member.state.top_off_needed(usd(), m(100)),
        None,
        "not short"
    );
    let off = member
        .state
        .decide_top_off(usd(), None, m(500), now)
        .unwrap();
    member.apply(&off);
    assert_eq!(member.state.top_off_needed(usd(), m(300)), None);
}

#[test]
fn a_cash_out_takes_only_settled_paid_balance_above_its_charge() {
    use farthing::domain::account::{CashOut, Destination};
    use farthing::domain::ids::CashOutId;
    let mut member = Member::utc(1_000);
    let now = member.now;
    let given = SavedMethod {
        id: PaymentMethodId(3),
        rail: Rail::BankDebit,
        brand: "bank".into(),
        last4: "0000".into(),
        token: "tok_bank_ok_00".into(),
        added_at: now,
    };
    let order = |amount: u64, charge: u64, destination: Destination| CashOut {
        cash_out: CashOutId(9),
        currency: usd(),
        amount: m(amount),
        charge: m(charge),
        destination,
    };
    let to_given = |amount, charge| order(amount, charge, Destination::Given(given.clone()));
    let credit = member
        .state
        .decide_credit_line(usd(), m(500), now, Origin::Admin)
        .unwrap();
    member.apply(&credit);
    let state = &member.state;
    assert_eq!(
        state.decide_cash_out(&to_given(100, 100), now),
        Err(Reject::CashOutBelowCharge)
    );
    assert_eq!(
        state.decide_cash_out(&to_given(1_001, 1), now),
        Err(Reject::InsufficientFunds),
        "never the credit line"
    );
    assert_eq!(
        state.decide_cash_out(&order(10, 1, Destination::Saved(LEGACY_TEST_CARD_ID)), now),
        Err(Reject::PaymentMethodUnknown),
        "a card is no bank account"
    );
    let mut eur_order = to_given(10, 1);
    eur_order.currency = eur();
    assert_eq!(
        state.decide_cash_out(&eur_order, now),
        Err(Reject::WalletMissing)
    );
    let paid = state.decide_cash_out(&to_given(1_000, 10), now).unwrap();
    member.apply(&paid);
    assert_eq!(member.balance(), 0);
    // Unsettled debits stay in until they settle.
    let bank = with_bank(&mut member);
    debit(&mut member, bank, 1, 400);
    assert_eq!(
        member.state.decide_cash_out(&to_given(2, 1), now),
        Err(Reject::InsufficientFunds)
    );
    let settled = member
        .state
        .decide_settle_deposit(DepositId(1), &Settlement::Settled, now)
        .unwrap();
    member.apply(&settled);
    assert!(member.state.decide_cash_out(&to_given(400, 1), now).is_ok());
    let frozen = member.state.decide_freeze(true, now);
    member.apply(&frozen);
    assert_eq!(
        member.state.decide_cash_out(&to_given(400, 1), now),
        Err(Reject::Frozen)
    );
}

#[test]
fn a_transfer_takes_settled_paid_balance_within_the_period_limits_and_lands_once() {
    use farthing::domain::account::{RECEIVED_TRANSFERS_KEPT, SendTransfer};
    use farthing::domain::ids::TransferId;
    let mut member = Member::utc(1_000);
    let now = member.now;
    let other = AccountId(2);
    let send = |amount: u64, to: AccountId| SendTransfer {
        transfer: TransferId(amount),
        login: LOGIN,
        to,
        currency: usd(),
        amount: m(amount),
        note: String::new(),
    };
    let credit = member
        .state
        .decide_credit_line(usd(), m(500), now, Origin::Admin)
        .unwrap();
    member.apply(&credit);
    let state = &member.state;
    assert_eq!(
        state.decide_send_transfer(&send(1, ACCOUNT), now),
        Err(Reject::TransferToSelf)
    );
    assert_eq!(
        state.decide_send_transfer(&send(1_001, other), now),
        Err(Reject::InsufficientFunds),
        "never the credit line"
    );
    let mut in_euros = send(1, other);
    in_euros.currency = eur();
    assert_eq!(
        state.decide_send_transfer(&in_euros, now),
        Err(Reject::WalletMissing)
    );
    // The day limit counts transfers: 600 fits exactly, one more micro-unit does not.
    let limits = Limits {
        per_day: Some(m(600)),
        per_transaction: Some(m(1)),
        ..Limits::default()
    };
    let set = member
        .state
        .decide_limits(LOGIN, LOGIN, usd(), limits, now)
        .unwrap();
    member.apply(&set);
    let sent = member
        .state
        .decide_send_transfer(&send(600, other), now)
        .unwrap();
    member.apply(&sent);
    assert_eq!(member.balance(), 400);
    assert_eq!(
        member.state.decide_send_transfer(&send(1, other), now),
        Err(Reject::LimitReached(LimitKind::PerDay)),
        "the per-transaction limit is a purchase's, the day's counts transfers"
    );
    let tomorrow = now.plus_ms(DAY_MS);
    assert!(
        member
            .state
            .decide_send_transfer(&send(400, other), tomorrow)
            .is_ok()
    );
    let frozen = member.state.decide_freeze(true, now);
    member.apply(&frozen);
    assert_eq!(
        member.state.decide_send_transfer(&send(1, other), tomorrow),
        Err(Reject::Frozen)
    );
    assert_eq!(
        member.state.check_can_receive(),
        Err(Reject::RecipientUnavailable)
    );

    // The recipient's side: a frozen account still receives what was sent; a delivery of the
    // same transfer again credits nothing; the window of received ids stays bounded.
    let Event::TransferSent(in_transit) = sent else {
        panic!("a transfer is sent as TransferSent")
    };
    let into_recipient = |transfer: u64| farthing::domain::event::InTransit {
        transfer: TransferId(transfer),
        to: other,
        ..(*in_transit).clone()
    };
    let mut recipient_state = AccountState::opened(other, MemberZone::utc(), "en".into());
    recipient_state.apply(&Event::AccountOpened {
        account: other,
        login: Login::holder(LoginId(20), None, String::new()),
        language: "en".into(),
        time_zone: "UTC".into(),
        currency: eur(),
        at: now,
    });
    let frozen = recipient_state.decide_freeze(true, now);
    recipient_state.apply(&frozen);
    let received = recipient_state
        .decide_receive_transfer(&into_recipient(1), now)
        .unwrap()
        .unwrap();
    recipient_state.apply(&received);
    assert_eq!(
        recipient_state
            .wallets
            .get(&usd())
            .unwrap()
            .balance
            .micros(),
        600,
        "the USD wallet opened on receipt"
    );
    assert_eq!(
        recipient_state.decide_receive_transfer(&into_recipient(1), now),
        Ok(None)
    );
    assert_eq!(
        member
            .state
            .decide_receive_transfer(&into_recipient(2), now),
        Err(Reject::RecipientUnavailable),
        "a transfer lands only on its recipient"
    );
    for transfer in 2..=u64::try_from(RECEIVED_TRANSFERS_KEPT).unwrap() + 1 {
        let received = recipient_state
            .decide_receive_transfer(&into_recipient(transfer), now.plus_ms(transfer))
            .unwrap()
            .unwrap();
        recipient_state.apply(&received);
    }
    assert_eq!(
        recipient_state.received_transfers.len(),
        RECEIVED_TRANSFERS_KEPT
    );
    assert!(
        !recipient_state
            .received_transfers
            .contains_key(&TransferId(1)),
        "the oldest is forgotten first"
    );
}

// ---------------------------------------------------------------------------------------
// Disputes ([0255]-[0260]): the account's side of the rule in `domain::dispute`.

mod disputes {
    use super::*;
    use farthing::domain::dispute::{DISPUTES_PENDING_MAX, DisputeRules, DisputeStatus, Verdict};
    use farthing::domain::vec_map::VecMap;

    /// USD: 14-day window, 30-day period; I below 1.00; II below 10%; III below 20%; IV below 3.
    fn usd_rules() -> VecMap<Currency, DisputeRules> {
        let mut rules = VecMap::new();
        rules.insert(
            usd(),
            DisputeRules::new(14, 30, m(1_000_000), 100_000, 200_000, 3).unwrap(),
        );
        rules
    }

    impl Member {
        /// Files a dispute and applies its events; answers them.
        fn dispute(
            &mut self,
            authorization: AuthorizationId,
            rules: &VecMap<Currency, DisputeRules>,
        ) -> Result<Vec<Event>, Reject> {
            let events = self.state.decide_file_dispute(
                authorization,
                "not as described",
                rules,
                self.now,
            )?;
            for event in &events {
                self.apply(event);
            }
            Ok(events)
        }

        fn decide(
            &mut self,
            authorization: AuthorizationId,
            approve: bool,
        ) -> Result<Vec<Event>, Reject> {
            let events = self.state.decide_dispute_decision(
                authorization,
                approve,
                "checked",
                Origin::Admin,
                self.now,
            )?;
            for event in &events {
                self.apply(event);
            }
            Ok(events)
        }

        fn status(&self, authorization: AuthorizationId) -> DisputeStatus {
            self.state.disputes.get(&authorization).unwrap().status
        }
    }

    fn verdict(events: &[Event]) -> Verdict {
        match events.first() {
            Some(Event::DisputeFiled { dispute, .. }) => dispute.verdict,
            other => panic!("expected a filed dispute, got {other:?}"),
        }
    }

    #[test]
    fn condition_i_approves_and_refunds_in_the_same_group() {
        let mut member = Member::utc(10_000_000);
        let (bought, entitlement) = purchased(member.buy(V1, "a", 990_000));
        assert_eq!(member.balance(), 9_010_000);
        let events = member.dispute(bought, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::ApprovedByConditionI);
        assert!(
            matches!(
                events.get(1),
                Some(Event::Reversed {
                    by: Origin::Dispute,
                    ..
                })
            ),
            "the reversal is journaled with the dispute: {events:?}"
        );
        assert_eq!(member.balance(), 10_000_000, "refunded");
        assert!(
            member
                .state
                .entitlements
                .get(&entitlement)
                .unwrap()
                .is_reversed()
        );
        assert_eq!(member.status(bought), DisputeStatus::Approved);
        // At its boundary: 0.99 approved leaves 0.01 of room; a second dispute of 0.02
        // brings the period's total to 1.01, not below 1.00: it waits.
        let (second, _) = purchased(member.buy(V1, "b", 20_000));
        let events = member.dispute(second, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::Pending);
        assert_eq!(events.len(), 1, "nothing is refunded while pending");
        assert_eq!(member.status(second), DisputeStatus::Pending);
    }

    #[test]
    fn condition_i_is_strict_at_m() {
        let mut member = Member::utc(10_000_000);
        let (exactly_m, _) = purchased(member.buy(V1, "a", 1_000_000));
        let events = member.dispute(exactly_m, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::Pending, "1.00 is not below 1.00");
        let mut member = Member::utc(10_000_000);
        let (below_m, _) = purchased(member.buy(V1, "a", 999_999));
        let events = member.dispute(below_m, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::ApprovedByConditionI);
    }

    #[test]
    fn conditions_ii_to_iv_count_the_members_purchases_in_the_currency() {
        // Twenty purchases of 1.00 in the period: a dispute of 1.99 fails I, passes II
        // (1.99 < 2.00), III (1 < 4) and IV (1 < 3).
        let mut member = Member::utc(30_000_000);
        let mut bought = Vec::new();
        for n in 0..19 {
            bought.push(purchased(member.buy(V1, &format!("p{n}"), 1_000_000)).0);
        }
        let (disputed, _) = purchased(member.buy(V1, "d", 1_990_000));
        let events = member.dispute(disputed, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::ApprovedByConditionsIiToIv);
        // II at its edge: another dispute of 1.00 makes 2.99 disputed against 20.99 bought,
        // not below 10% (2.099): pending.
        let events = member.dispute(bought[0], &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::Pending);
    }

    #[test]
    fn rules_are_per_currency_and_a_currency_without_them_waits() {
        let mut member = Member::utc(10_000_000);
        member.apply(&Event::WalletOpened {
            account: ACCOUNT,
            currency: eur(),
            at: member.now,
        });
        let reference = "eur-funds".to_owned();
        let credited = member
            .state
            .decide_deposit(eur(), m(5_000_000), &reference, member.now, Origin::Admin)
            .unwrap()
            .unwrap();
        member.apply(&credited);
        let mut order = member.order(V2, "e", 10_000);
        order.currency = eur();
        let (in_eur, _) = purchased(member.authorize(&order));
        let events = member.dispute(in_eur, &usd_rules()).unwrap();
        assert_eq!(
            verdict(&events),
            Verdict::Pending,
            "no EUR rules: an operator decides"
        );
        // A pending EUR dispute counts nothing toward USD's Condition I.
        let (in_usd, _) = purchased(member.buy(V1, "u", 990_000));
        let events = member.dispute(in_usd, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::ApprovedByConditionI);
    }

    #[test]
    fn an_operator_approves_or_rejects_a_pending_dispute_once() {
        let mut member = Member::utc(10_000_000);
        let (approved, _) = purchased(member.buy(V1, "a", 2_000_000));
        let (rejected, _) = purchased(member.buy(V1, "b", 2_000_000));
        member.dispute(approved, &usd_rules()).unwrap();
        member.dispute(rejected, &usd_rules()).unwrap();
        assert_eq!(member.balance(), 6_000_000);
        let events = member.decide(approved, true).unwrap();
        assert!(matches!(events.get(1), Some(Event::Reversed { .. })));
        assert_eq!(member.balance(), 8_000_000);
        assert_eq!(member.status(approved), DisputeStatus::Approved);
        assert_eq!(
            member.decide(approved, false),
            Err(Reject::DisputeDecidedAlready)
        );
        let events = member.decide(rejected, false).unwrap();
        assert_eq!(events.len(), 1, "a rejection refunds nothing");
        assert_eq!(member.balance(), 8_000_000);
        assert_eq!(member.status(rejected), DisputeStatus::Rejected);
        assert_eq!(
            member.decide(rejected, true),
            Err(Reject::DisputeDecidedAlready)
        );
        assert_eq!(
            member.decide(AuthorizationId(1), true),
            Err(Reject::DisputeUnknown)
        );
        // The approved 2.00 still counts (the rejected one does not): Condition I fails.
        let (third, _) = purchased(member.buy(V1, "c", 990_000));
        let events = member.dispute(third, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::Pending);
    }

    #[test]
    fn a_rejected_dispute_leaves_room_under_condition_i() {
        let mut member = Member::utc(10_000_000);
        let (first, _) = purchased(member.buy(V1, "a", 2_000_000));
        member.dispute(first, &usd_rules()).unwrap();
        member.decide(first, false).unwrap();
        let (second, _) = purchased(member.buy(V1, "b", 990_000));
        let events = member.dispute(second, &usd_rules()).unwrap();
        assert_eq!(verdict(&events), Verdict::ApprovedByConditionI);
    }

    #[test]
    fn an_approval_after_a_vendor_refund_refunds_nothing_twice() {
        let mut member = Member::utc(10_000_000);
        let (bought, _) = purchased(member.buy(V1, "a", 2_000_000));
        member.dispute(bought, &usd_rules()).unwrap();
        member.reverse(bought).unwrap();
        assert_eq!(member.balance(), 10_000_000);
        let events = member.decide(bought, true).unwrap();
        assert_eq!(events.len(), 1, "only the decision: {events:?}");
        assert_eq!(member.balance(), 10_000_000);
    }

    #[test]
    fn what_cannot_be_disputed_is_refused() {
        let mut member = Member::utc(10_000_000);
        let (free, _) = purchased(member.buy(V1, "free", 0));
        assert_eq!(
            member.dispute(free, &usd_rules()),
            Err(Reject::DisputeChargedNothing)
        );
        let (reversed, _) = purchased(member.buy(V1, "r", 10_000));
        member.reverse(reversed).unwrap();
        assert_eq!(
            member.dispute(reversed, &usd_rules()),
            Err(Reject::AlreadyReversed)
        );
        let (twice, _) = purchased(member.buy(V1, "t", 3_000_000));
        member.dispute(twice, &usd_rules()).unwrap();
        assert_eq!(
            member.dispute(twice, &usd_rules()),
            Err(Reject::DisputeExists)
        );
        assert_eq!(
            member.dispute(AuthorizationId(1), &usd_rules()),
            Err(Reject::AuthorizationUnknown)
        );
        // The window: 14 days after the purchase is in, a millisecond more is out.
        let (old, _) = purchased(member.buy(V1, "o", 10_000));
        let bought_at = member.now;
        member.now = bought_at.plus_ms(14 * DAY_MS);
        let in_window = member
            .state
            .decide_file_dispute(old, "late", &usd_rules(), member.now);
        assert!(in_window.is_ok());
        member.now = bought_at.plus_ms(14 * DAY_MS + 1);
        assert_eq!(
            member.dispute(old, &usd_rules()),
            Err(Reject::DisputeWindowPassed)
        );
        // Without rules there is no window: an operator decides.
        assert!(member.dispute(old, &VecMap::new()).is_ok());
    }

    #[test]
    fn pending_disputes_are_bounded_per_account() {
        let mut member = Member::utc(100_000_000);
        let none = VecMap::new();
        for n in 0..DISPUTES_PENDING_MAX {
            let (bought, _) = purchased(member.buy(V1, &format!("p{n}"), 10_000));
            member.dispute(bought, &none).unwrap();
        }
        let (one_more, _) = purchased(member.buy(V1, "last", 10_000));
        assert_eq!(
            member.dispute(one_more, &none),
            Err(Reject::DisputesPendingMax)
        );
        // Approved at once is not bounded by the queue: it waits for nobody.
        assert_eq!(
            verdict(&member.dispute(one_more, &usd_rules()).unwrap()),
            Verdict::ApprovedByConditionI
        );
    }
}
