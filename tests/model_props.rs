//! Model test (STYLE §4): random command sequences against two accounts and two vendors, run
//! through `decide_*` → `apply` exactly as an actor would, next to a trivially correct model
//! (balances in a `BTreeMap`-like table, purchases in a list, limits recomputed from that list
//! with an independent calendar). Every decision must equal the model's; after every step
//! money is conserved, no balance is below its credit line, no limit was exceeded in any
//! period, and no idempotent retry debited twice; at the end replaying the journal into fresh
//! states gives the live ones. Bank debits (accepted, then settled or returned, a return after
//! spending leaving a debt the next deposit repays) and cash-outs of settled balance are in the
//! mix, and conservation counts returns, cash-outs, their charges and debts. Transfers between
//! the two accounts are sent and delivered as separate steps (some stay in transit for a
//! while, some are delivered twice), count toward the day, week and month limits, and the
//! totals fold (`domain::totals`) shows money conserved with what is in transit. Incentive
//! grants (by reach: one vendor, a group, anywhere; funded by the MSP or a vendor; some with
//! an expiry) pay before the paid balance in the model's own spending order, reversals give
//! them back, the expiry sweep records them, and what is granted and not spent or expired is
//! the MSP's liability in the totals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};

use farthing::domain::account::{
    AccessCommand, AccessDecision, AccountPolicy, AccountState, AuthorizeCommand,
    AuthorizeDecision, CashOut, DEPOSITS_UNSETTLED_MAX, DepositOutcome, Destination, Login,
    SendTransfer, SessionExpiry, Settlement, StartDeposit,
};
use farthing::domain::entitlement::{ContentKey, ContentUrl, Terms};
use farthing::domain::event::{Event, IdempotencyStamp, InTransit, Origin};
use farthing::domain::ids::{
    AccountId, AuthorizationId, CashOutId, DepositId, EntitlementId, GrantId, LoginId,
    PaymentMethodId, ProgramId, SessionId, TransferId, VendorGroupId, VendorId,
};
use farthing::domain::incentive::{Funder, GRANTS_HELD_MAX, Grant, Reach};
use farthing::domain::limits::{LimitKind, Limits};
use farthing::domain::money::{Amount, Currency};
use farthing::domain::payment_method::{Rail, SavedMethod};
use farthing::domain::reject::Reject;
use farthing::domain::time::{HOUR_MS, MemberZone, Timestamp};
use farthing::domain::vendor::{VendorProfile, VendorState};
use proptest::prelude::*;

const ZONES: [&str; 2] = ["Asia/Tokyo", "America/Sao_Paulo"];
const VENDORS: [VendorId; 2] = [VendorId(7), VendorId(8)];
const RETENTION_MS: u64 = 6 * HOUR_MS;
const POLICY: AccountPolicy = AccountPolicy {
    sessions_per_login_max: 2,
    idempotency_retention_ms: RETENTION_MS,
    unusual: farthing::domain::step_up::UnusualActivity::OFF,
};
const TOKEN_TTL_MS: u64 = 120_000;
/// Every account's saved bank account (debits and cash-outs).
const BANK: PaymentMethodId = PaymentMethodId(77);

fn bank() -> SavedMethod {
    SavedMethod {
        id: BANK,
        rail: Rail::BankDebit,
        brand: "bank".into(),
        last4: "3000".into(),
        token: "tok_bank_ok_00".into(),
        added_at: Timestamp(0),
    }
}
const UNKNOWN: u64 = 999_999;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn account_id(index: usize) -> AccountId {
    AccountId(u64::try_from(index).unwrap() + 1)
}

fn login_id(index: usize) -> LoginId {
    LoginId(u64::try_from(index).unwrap() + 11)
}

fn content_url(path: &str) -> String {
    ContentUrl::parse(&format!("https://news.example/{path}"))
        .unwrap()
        .as_str()
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// Commands.

#[derive(Clone, Debug)]
enum Cmd {
    Deposit {
        acct: usize,
        amount: u64,
        reference: u8,
        eur: bool,
    },
    CreditLine {
        acct: usize,
        limit: u64,
    },
    SetLimits {
        acct: usize,
        limits: Limits,
    },
    StartSession {
        acct: usize,
        idle: bool,
        minutes: u64,
    },
    EndSession {
        acct: usize,
        pick: usize,
    },
    Freeze {
        acct: usize,
        frozen: bool,
    },
    Authorize(Buy),
    Access {
        acct: usize,
        pick: usize,
        reuse_token: Option<usize>,
        other_vendor: bool,
        other_url: bool,
    },
    Reverse {
        acct: usize,
        pick: usize,
    },
    Advance {
        ms: u64,
    },
    /// A bank debit accepted now, settling later.
    BankDebit {
        acct: usize,
        amount: u64,
    },
    /// The bank's answer for one of the account's unsettled debits.
    Settle {
        acct: usize,
        pick: usize,
        returned: bool,
    },
    CashOut {
        acct: usize,
        amount: u64,
        charge: u64,
    },
    /// A transfer to the other account (or, now and then, to itself).
    Transfer {
        acct: usize,
        amount: u64,
        to_self: bool,
    },
    /// Delivers one transfer: the oldest in transit, or one delivered already (again).
    Deliver {
        pick: usize,
    },
    /// A grant whose budget was reserved: `reach` 0 = vendor 0 only, 1 = vendor 1 only,
    /// 2 = a group of both, 3 = anywhere.
    Grant {
        acct: usize,
        amount: u64,
        reach: u8,
        expires_in_ms: Option<u64>,
        vendor_funded: bool,
    },
    /// The expiry sweep of one account.
    Sweep {
        acct: usize,
    },
}

#[derive(Clone, Debug)]
struct Buy {
    acct: usize,
    pick: usize,
    vendor: usize,
    price: u64,
    content: u8,
    by_id: bool,
    key: Option<u8>,
    digest: u8,
    views: Option<u32>,
    valid_hours: Option<u32>,
    eur: bool,
}

/// Mostly the newest session or purchase, sometimes an older one or none at all.
fn pick() -> impl Strategy<Value = usize> {
    prop_oneof![12 => Just(0), 2 => Just(1), 1 => Just(2), 1 => Just(9)]
}

fn limit() -> impl Strategy<Value = Option<Amount>> {
    prop::option::weighted(0.3, (0..=600u64).prop_map(Amount::from_micros))
}

fn limits() -> impl Strategy<Value = Limits> {
    let allowlist = prop::option::weighted(
        0.15,
        prop::sample::select(vec![
            BTreeSet::from([VENDORS[0]]),
            BTreeSet::from([VENDORS[1]]),
            BTreeSet::from(VENDORS),
            BTreeSet::new(),
        ]),
    );
    (limit(), limit(), limit(), limit(), limit(), allowlist).prop_map(
        |(per_transaction, per_session, per_day, per_week, per_month, vendors_allowed)| Limits {
            per_transaction,
            per_session,
            per_day,
            per_week,
            per_month,
            vendors_allowed,
        },
    )
}

fn buy() -> impl Strategy<Value = Buy> {
    let terms = prop_oneof![Just(None), Just(Some(1u32)), Just(Some(2u32))];
    let hours = prop_oneof![2 => Just(None), 1 => Just(Some(1u32)), 1 => Just(Some(24u32))];
    (
        (0..2usize, pick(), 0..2usize, 0..=300u64, 0..4u8),
        (
            prop::bool::weighted(0.2),
            prop::option::weighted(0.5, 0..3u8),
            0..2u8,
            terms,
            hours,
            prop::bool::weighted(0.03),
        ),
    )
        .prop_map(
            |(
                (acct, pick, vendor, price, content),
                (by_id, key, digest, views, valid_hours, eur),
            )| {
                Buy {
                    acct,
                    pick,
                    vendor,
                    price,
                    content,
                    by_id,
                    key,
                    digest,
                    views,
                    valid_hours,
                    eur,
                }
            },
        )
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let acct = || 0..2usize;
    let advance = prop_oneof![
        1_u64..=90_000,
        60_000_u64..=60 * 60_000,
        (60 * 60_000_u64)..=48 * HOUR_MS,
        (48 * HOUR_MS)..=96 * HOUR_MS
    ]
    .prop_map(|ms| Cmd::Advance { ms });
    prop_oneof![
        2 => (acct(), 0..=400u64, 0..6u8, prop::bool::weighted(0.05)).prop_map(
            |(acct, amount, reference, eur)| Cmd::Deposit { acct, amount, reference, eur }
        ),
        2 => (acct(), 0..=500u64).prop_map(|(acct, limit)| Cmd::CreditLine { acct, limit }),
        1 => (acct(), limits()).prop_map(|(acct, limits)| Cmd::SetLimits { acct, limits }),
        3 => (acct(), any::<bool>(), 10..=3 * 24 * 60u64)
            .prop_map(|(acct, idle, minutes)| Cmd::StartSession { acct, idle, minutes }),
        1 => (acct(), pick()).prop_map(|(acct, pick)| Cmd::EndSession { acct, pick }),
        1 => (acct(), prop::bool::weighted(0.4))
            .prop_map(|(acct, frozen)| Cmd::Freeze { acct, frozen }),
        8 => buy().prop_map(Cmd::Authorize),
        5 => (
            acct(),
            pick(),
            prop::option::weighted(0.5, pick()),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(acct, pick, reuse_token, other_vendor, other_url)| Cmd::Access {
                acct,
                pick,
                reuse_token,
                other_vendor,
                other_url,
            }),
        1 => (acct(), pick()).prop_map(|(acct, pick)| Cmd::Reverse { acct, pick }),
        2 => advance,
        2 => (acct(), 1..=400u64).prop_map(|(acct, amount)| Cmd::BankDebit { acct, amount }),
        2 => (acct(), pick(), prop::bool::weighted(0.4))
            .prop_map(|(acct, pick, returned)| Cmd::Settle { acct, pick, returned }),
        1 => (acct(), 0..=400u64, 0..=60u64)
            .prop_map(|(acct, amount, charge)| Cmd::CashOut { acct, amount, charge }),
        2 => (acct(), 0..=300u64, prop::bool::weighted(0.05))
            .prop_map(|(acct, amount, to_self)| Cmd::Transfer { acct, amount, to_self }),
        2 => pick().prop_map(|pick| Cmd::Deliver { pick }),
        3 => (
            acct(),
            1..=200u64,
            0..4u8,
            prop::option::weighted(0.5, 1..=48 * HOUR_MS),
            any::<bool>(),
        )
            .prop_map(|(acct, amount, reach, expires_in_ms, vendor_funded)| Cmd::Grant {
                acct,
                amount,
                reach,
                expires_in_ms,
                vendor_funded,
            }),
        1 => acct().prop_map(|acct| Cmd::Sweep { acct }),
    ]
}

// ---------------------------------------------------------------------------------------
// The model.

/// A calendar computed directly with jiff, independent of `MemberZone::periods`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Calendar {
    day: jiff::civil::Date,
    week: (i16, i8),
    month: (i16, i8),
}

fn calendar(zone: &jiff::tz::TimeZone, at: Timestamp) -> Calendar {
    let date = jiff::Timestamp::from_millisecond(at.0)
        .unwrap()
        .to_zoned(zone.clone())
        .date();
    let iso = date.iso_week_date();
    Calendar {
        day: date,
        week: (iso.year(), iso.week()),
        month: (date.year(), date.month()),
    }
}

#[derive(Clone, Debug)]
struct ModelSession {
    id: SessionId,
    started_at: Timestamp,
    last_purchase_at: Timestamp,
    expiry: SessionExpiry,
    ended: bool,
}

impl ModelSession {
    fn expired(&self, now: Timestamp) -> bool {
        let expires_at = match self.expiry {
            SessionExpiry::Absolute { expires_at } => expires_at,
            SessionExpiry::Idle { idle_ms } => self.last_purchase_at.plus_ms(idle_ms),
        };
        now >= expires_at
    }

    fn problem(&self, now: Timestamp) -> Option<Reject> {
        if self.ended {
            Some(Reject::SessionEnded)
        } else if self.expired(now) {
            Some(Reject::SessionExpired)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
struct Purchase {
    acct: usize,
    authorization: AuthorizationId,
    entitlement: EntitlementId,
    session: SessionId,
    vendor: VendorId,
    content: ContentKey,
    by_id: bool,
    url: String,
    price: u64,
    at: Timestamp,
    views_allowed: Option<u32>,
    views_used: u32,
    expires_at: Option<Timestamp>,
    reversed: bool,
    /// The limits in force when it was bought.
    limits: Limits,
    /// Its place among purchases and transfers, for the limits check.
    order: u64,
    /// Key and digest, if the vendor sent one.
    idempotency: Option<(String, u8)>,
}

impl Purchase {
    fn valid_at(&self, now: Timestamp) -> bool {
        !self.reversed
            && self.expires_at.is_none_or(|expiry| now < expiry)
            && self
                .views_allowed
                .is_none_or(|views| self.views_used < views)
    }
}

/// A transfer sent, and whether its recipient received it yet.
#[derive(Clone, Debug)]
struct Transfer {
    sent: InTransit,
    from: usize,
    to: usize,
    /// Its place among purchases and transfers, for the limits check.
    order: u64,
    limits: Limits,
    received: bool,
}

#[derive(Clone, Debug)]
struct Record {
    digest: u8,
    entitlement: EntitlementId,
    recorded_at: Timestamp,
}

#[derive(Clone, Debug)]
struct ModelAccount {
    zone: jiff::tz::TimeZone,
    balance: i64,
    credit: u64,
    deposited: u64,
    refunded: u64,
    references: BTreeSet<String>,
    frozen: bool,
    limits: Limits,
    sessions: Vec<ModelSession>,
    idempotency: BTreeMap<(VendorId, String), Record>,
    spent_tokens: BTreeSet<u64>,
    /// Owed after a returned debit was spent.
    debt: u64,
    /// Accepted debits not settled yet, oldest first.
    unsettled: Vec<(DepositId, u64)>,
    /// Returned by the bank after being credited.
    returned: u64,
    /// Paid out by cash-outs (amount less charge), and the charges kept.
    cashed_out: u64,
    charges: u64,
    /// Grants held: what is left of each, as the model sees it.
    grants: Vec<Grant>,
    /// Granted in all, spent (net of reversals), and recorded as expired.
    granted: u64,
    incentives_spent: u64,
    expired: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    Reject(Reject),
    Replay(EntitlementId),
    Owned(EntitlementId),
    Purchase,
}

// ---------------------------------------------------------------------------------------
// The system under test and the model, side by side.

struct Live {
    state: AccountState,
    events: Vec<Event>,
    sessions_started: Vec<SessionId>,
    /// Access tokens minted so far, with their expiry, for deliberate reuse.
    tokens: Vec<(u64, Timestamp)>,
}

struct Sim {
    now: Timestamp,
    next_id: u64,
    live: Vec<Live>,
    model: Vec<ModelAccount>,
    purchases: Vec<Purchase>,
    vendors: Vec<VendorState>,
    vendor_log: Vec<(usize, u64, Event)>,
    seq: u64,
    transfers: Vec<Transfer>,
    /// Every event of both accounts in the order applied: the journal's order.
    journal: Vec<Event>,
}

fn vendor_state(id: VendorId) -> VendorState {
    VendorState::from_registered(
        &Event::VendorRegistered(Box::new(VendorProfile {
            id,
            name: format!("vendor {}", id.0),
            currency: usd(),
            content_domains: vec!["news.example".into()],
            fee_ppm: 30_000,
            api_key_digest: [0; 32],
            registered_at: Timestamp(0),
        })),
        0,
    )
    .unwrap()
}

fn opened(index: usize) -> AccountState {
    AccountState::opened(
        account_id(index),
        MemberZone::new(ZONES[index]).unwrap(),
        "en".into(),
    )
}

/// Starting instants a few days before a day, ISO week and month turn over; the second
/// crosses a new year inside ISO week 53 of 2026, the third the end of February.
const STARTS: [&str; 3] = [
    "2026-03-27T12:00:00Z",
    "2026-12-30T12:00:00Z",
    "2027-02-26T12:00:00Z",
];

impl Sim {
    fn new(start: &str) -> Sim {
        let now = Timestamp(start.parse::<jiff::Timestamp>().unwrap().as_millisecond());
        let mut sim = Sim {
            now,
            next_id: 1_000,
            live: Vec::new(),
            model: Vec::new(),
            purchases: Vec::new(),
            vendors: VENDORS.iter().map(|id| vendor_state(*id)).collect(),
            vendor_log: Vec::new(),
            seq: 0,
            transfers: Vec::new(),
            journal: Vec::new(),
        };
        for (index, zone) in ZONES.iter().enumerate() {
            sim.live.push(Live {
                state: opened(index),
                events: Vec::new(),
                sessions_started: Vec::new(),
                tokens: Vec::new(),
            });
            sim.model.push(ModelAccount {
                zone: jiff::tz::db().get(zone).unwrap(),
                balance: 0,
                credit: 0,
                deposited: 0,
                refunded: 0,
                references: BTreeSet::new(),
                frozen: false,
                limits: Limits::default(),
                sessions: Vec::new(),
                idempotency: BTreeMap::new(),
                spent_tokens: BTreeSet::new(),
                debt: 0,
                unsettled: Vec::new(),
                returned: 0,
                cashed_out: 0,
                charges: 0,
                grants: Vec::new(),
                granted: 0,
                incentives_spent: 0,
                expired: 0,
            });
            sim.apply(
                index,
                &Event::AccountOpened {
                    account: account_id(index),
                    login: Login::holder(login_id(index), None, String::new()),
                    language: "en".into(),
                    time_zone: (*zone).into(),
                    currency: usd(),
                    at: now,
                },
            );
            sim.apply(
                index,
                &Event::PaymentMethodAdded {
                    account: account_id(index),
                    method: bank(),
                    at: now,
                },
            );
            // Every account starts funded and signed in; the commands take it from there.
            sim.deposit(index, 500, 99, false);
            sim.start_session(index, true, 12 * 60);
        }
        sim
    }

    fn fresh(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn apply(&mut self, acct: usize, event: &Event) {
        self.live[acct].state.apply(event);
        self.live[acct].events.push(event.clone());
        self.journal.push(event.clone());
        if matches!(event, Event::Authorized(_) | Event::Reversed { .. }) {
            self.seq += 1;
            let vendor = VENDORS
                .iter()
                .position(|v| event.ledger_vendors().contains(*v))
                .unwrap();
            assert_eq!(self.vendors[vendor].apply_sale(self.seq, event), Ok(true));
            self.vendor_log.push((vendor, self.seq, event.clone()));
        }
    }

    fn session(&self, acct: usize, pick: usize) -> SessionId {
        self.live[acct]
            .sessions_started
            .iter()
            .rev()
            .nth(pick)
            .copied()
            .unwrap_or(SessionId(UNKNOWN))
    }

    fn purchase_of(&self, acct: usize, pick: usize) -> Option<usize> {
        (0..self.purchases.len())
            .rev()
            .filter(|i| self.purchases[*i].acct == acct)
            .nth(pick)
    }

    fn model_session(&self, acct: usize, id: SessionId) -> Result<&ModelSession, Reject> {
        let session = self.model[acct]
            .sessions
            .iter()
            .find(|s| s.id == id)
            .ok_or(Reject::SessionUnknown)?;
        match session.problem(self.now) {
            Some(reject) => Err(reject),
            None => Ok(session),
        }
    }

    fn step(&mut self, cmd: &Cmd) {
        match cmd {
            Cmd::Deposit {
                acct,
                amount,
                reference,
                eur: in_eur,
            } => self.deposit(*acct, *amount, *reference, *in_eur),
            Cmd::BankDebit { acct, amount } => self.bank_debit(*acct, *amount),
            Cmd::Settle {
                acct,
                pick,
                returned,
            } => self.settle(*acct, *pick, *returned),
            Cmd::CashOut {
                acct,
                amount,
                charge,
            } => self.cash_out(*acct, *amount, *charge),
            Cmd::CreditLine { acct, limit } => self.credit_line(*acct, *limit),
            Cmd::Transfer {
                acct,
                amount,
                to_self,
            } => self.transfer(*acct, *amount, *to_self),
            Cmd::Deliver { pick } => self.deliver(*pick),
            Cmd::Grant {
                acct,
                amount,
                reach,
                expires_in_ms,
                vendor_funded,
            } => self.grant(*acct, *amount, *reach, *expires_in_ms, *vendor_funded),
            Cmd::Sweep { acct } => self.sweep(*acct),
            Cmd::SetLimits { acct, limits } => {
                let state = &self.live[*acct].state;
                let event = state
                    .decide_limits(
                        login_id(*acct),
                        login_id(*acct),
                        usd(),
                        limits.clone(),
                        self.now,
                    )
                    .unwrap();
                self.apply(*acct, &event);
                self.model[*acct].limits = limits.clone();
            }
            Cmd::StartSession {
                acct,
                idle,
                minutes,
            } => self.start_session(*acct, *idle, *minutes),
            Cmd::EndSession { acct, pick } => {
                let id = self.session(*acct, *pick);
                let decided =
                    self.live[*acct]
                        .state
                        .decide_end_session(login_id(*acct), id, self.now);
                let expected = self.model_session(*acct, id).map(|_| ());
                assert_eq!(decided.clone().map(|_| ()), expected);
                if let Ok(event) = decided {
                    self.apply(*acct, &event);
                    let session = self.model[*acct].sessions.iter_mut().find(|s| s.id == id);
                    session.unwrap().ended = true;
                }
            }
            Cmd::Freeze { acct, frozen } => {
                let event = self.live[*acct].state.decide_freeze(*frozen, self.now);
                self.apply(*acct, &event);
                let model = &mut self.model[*acct];
                model.frozen = *frozen;
                if *frozen {
                    model.sessions.iter_mut().for_each(|s| s.ended = true);
                }
            }
            Cmd::Authorize(buy) => self.authorize(buy),
            Cmd::Access {
                acct,
                pick,
                reuse_token,
                other_vendor,
                other_url,
            } => self.access(*acct, *pick, *reuse_token, *other_vendor, *other_url),
            Cmd::Reverse { acct, pick } => self.reverse(*acct, *pick),
            Cmd::Advance { ms } => self.now = self.now.plus_ms(*ms),
        }
    }

    fn deposit(&mut self, acct: usize, amount: u64, reference: u8, in_eur: bool) {
        let reference = format!("ref-{reference}");
        let currency = if in_eur { eur() } else { usd() };
        let decided = self.live[acct].state.decide_deposit(
            currency,
            Amount::from_micros(amount),
            &reference,
            self.now,
            Origin::Admin,
        );
        let model = &mut self.model[acct];
        if model.references.contains(&reference) {
            assert_eq!(decided, Ok(None));
        } else if in_eur {
            assert_eq!(decided, Err(Reject::WalletMissing));
        } else {
            let event = decided.unwrap().unwrap();
            let repaid =
                self.live[acct]
                    .state
                    .repayment(usd(), Amount::from_micros(amount), self.now);
            let model = &mut self.model[acct];
            model.references.insert(reference);
            model.deposited += amount;
            let repay = amount.min(model.debt);
            model.debt -= repay;
            model.balance += i64::try_from(amount - repay).unwrap();
            assert_eq!(repaid.is_some(), repay > 0, "a deposit repays an open debt");
            self.apply(acct, &event);
            if let Some(repaid) = repaid {
                self.apply(acct, &repaid);
            }
        }
    }

    fn bank_debit(&mut self, acct: usize, amount: u64) {
        let deposit = DepositId(self.fresh());
        let command = StartDeposit {
            deposit,
            currency: usd(),
            amount: Amount::from_micros(amount),
            method: BANK,
            amount_max: Amount::from_micros(400),
            idempotency: None,
            via: None,
        };
        let decided = self.live[acct]
            .state
            .decide_start_deposit(&command, self.now);
        let model = &self.model[acct];
        if model.frozen {
            assert_eq!(decided, Err(Reject::Frozen));
            return;
        }
        if model.unsettled.len() >= DEPOSITS_UNSETTLED_MAX {
            assert_eq!(decided, Err(Reject::DepositInProgress));
            return;
        }
        self.apply(acct, &decided.unwrap());
        let accepted = self.live[acct].state.decide_finish_deposit(
            deposit,
            &DepositOutcome::Pending("dd".into()),
            self.now,
        );
        let model = &mut self.model[acct];
        let repay = amount.min(model.debt);
        assert_eq!(accepted.len(), if repay > 0 { 2 } else { 1 });
        model.debt -= repay;
        model.balance += i64::try_from(amount - repay).unwrap();
        model.deposited += amount;
        model.unsettled.push((deposit, amount));
        for event in &accepted {
            self.apply(acct, event);
        }
    }

    fn settle(&mut self, acct: usize, pick: usize, returned: bool) {
        let model = &mut self.model[acct];
        let Some(index) = model.unsettled.len().checked_sub(1 + pick % 3) else {
            let unknown = self.live[acct].state.decide_settle_deposit(
                DepositId(UNKNOWN),
                &Settlement::Settled,
                self.now,
            );
            assert_eq!(unknown, None);
            return;
        };
        let (deposit, amount) = model.unsettled.remove(index);
        let settlement = if returned {
            let held = u64::try_from(model.balance.max(0)).unwrap();
            let taken = amount.min(held);
            model.balance -= i64::try_from(taken).unwrap();
            model.debt += amount - taken;
            model.returned += amount;
            Settlement::Returned("insufficient_funds".into())
        } else {
            Settlement::Settled
        };
        let event = self.live[acct]
            .state
            .decide_settle_deposit(deposit, &settlement, self.now)
            .unwrap();
        self.apply(acct, &event);
        assert_eq!(
            self.live[acct]
                .state
                .decide_settle_deposit(deposit, &settlement, self.now),
            None,
            "a debit settles once"
        );
    }

    fn cash_out(&mut self, acct: usize, amount: u64, charge: u64) {
        let command = CashOut {
            cash_out: CashOutId(self.fresh()),
            currency: usd(),
            amount: Amount::from_micros(amount),
            charge: Amount::from_micros(charge),
            destination: Destination::Saved(BANK),
        };
        let decided = self.live[acct].state.decide_cash_out(&command, self.now);
        let model = &mut self.model[acct];
        let unsettled: u64 = model.unsettled.iter().map(|(_, amount)| amount).sum();
        let settled = u64::try_from(model.balance.max(0))
            .unwrap()
            .saturating_sub(unsettled);
        let expected = if model.frozen {
            Some(Reject::Frozen)
        } else if model.debt > 0 {
            Some(Reject::DebtOutstanding)
        } else if charge >= amount {
            Some(Reject::CashOutBelowCharge)
        } else if amount > settled {
            Some(Reject::InsufficientFunds)
        } else {
            None
        };
        if let Some(reject) = expected {
            assert_eq!(decided, Err(reject));
            return;
        }
        model.balance -= i64::try_from(amount).unwrap();
        model.cashed_out += amount - charge;
        model.charges += charge;
        self.apply(acct, &decided.unwrap());
    }

    /// What `acct` spent (purchases and transfers) up to `order` in the period `same` picks.
    fn spent(&self, acct: usize, order: u64, same: &dyn Fn(Timestamp) -> bool) -> u64 {
        let bought: u64 = self
            .purchases
            .iter()
            .filter(|p| p.acct == acct && p.order <= order && same(p.at))
            .map(|p| p.price)
            .sum();
        let sent: u64 = self
            .transfers
            .iter()
            .filter(|t| t.from == acct && t.order <= order && same(t.sent.sent_at))
            .map(|t| t.sent.amount.micros())
            .sum();
        bought + sent
    }

    /// The first of the day, week and month limits that `amount` more would pass now.
    fn period_limit_passed(&self, acct: usize, amount: u64, limits: &Limits) -> Option<LimitKind> {
        let zone = &self.model[acct].zone;
        let today = calendar(zone, self.now);
        let checks = [
            (
                limits.per_day,
                self.spent(acct, u64::MAX, &|at| calendar(zone, at).day == today.day),
                LimitKind::PerDay,
            ),
            (
                limits.per_week,
                self.spent(acct, u64::MAX, &|at| calendar(zone, at).week == today.week),
                LimitKind::PerWeek,
            ),
            (
                limits.per_month,
                self.spent(acct, u64::MAX, &|at| {
                    calendar(zone, at).month == today.month
                }),
                LimitKind::PerMonth,
            ),
        ];
        checks
            .into_iter()
            .find(|(limit, spent, _)| limit.is_some_and(|l| spent + amount > l.micros()))
            .map(|(_, _, kind)| kind)
    }

    fn transfer(&mut self, acct: usize, amount: u64, to_self: bool) {
        let to = if to_self { acct } else { 1 - acct };
        let command = SendTransfer {
            transfer: TransferId(self.fresh()),
            login: login_id(acct),
            to: account_id(to),
            currency: usd(),
            amount: Amount::from_micros(amount),
            note: String::new(),
        };
        let decided = self.live[acct]
            .state
            .decide_send_transfer(&command, self.now);
        let model = &self.model[acct];
        let unsettled: u64 = model.unsettled.iter().map(|(_, amount)| amount).sum();
        let settled = u64::try_from(model.balance.max(0))
            .unwrap()
            .saturating_sub(unsettled);
        let expected = if model.frozen {
            Some(Reject::Frozen)
        } else if to_self {
            Some(Reject::TransferToSelf)
        } else if model.debt > 0 {
            Some(Reject::DebtOutstanding)
        } else if let Some(kind) = self.period_limit_passed(acct, amount, &model.limits) {
            Some(Reject::LimitReached(kind))
        } else if amount > settled {
            Some(Reject::InsufficientFunds)
        } else {
            None
        };
        if let Some(reject) = expected {
            assert_eq!(decided, Err(reject));
            return;
        }
        let event = decided.unwrap();
        let Event::TransferSent(sent) = &event else {
            panic!("a transfer that is not TransferSent: {event:?}");
        };
        self.model[acct].balance -= i64::try_from(amount).unwrap();
        self.seq += 1;
        self.transfers.push(Transfer {
            sent: (**sent).clone(),
            from: acct,
            to,
            order: self.seq,
            limits: self.model[acct].limits.clone(),
            received: false,
        });
        self.apply(acct, &event);
    }

    fn deliver(&mut self, pick: usize) {
        let index = if pick == 0 {
            self.transfers.iter().position(|t| !t.received)
        } else {
            self.transfers.iter().rposition(|t| t.received)
        };
        let Some(index) = index else {
            return;
        };
        let (to, sent, received) = {
            let transfer = &self.transfers[index];
            (transfer.to, transfer.sent.clone(), transfer.received)
        };
        // A recipient receives whatever its state (frozen included), and once.
        let decided = self.live[to]
            .state
            .decide_receive_transfer(&sent, self.now)
            .unwrap();
        if received {
            assert_eq!(decided, None, "a transfer delivered again credits nothing");
            return;
        }
        self.model[to].balance += i64::try_from(sent.amount.micros()).unwrap();
        self.transfers[index].received = true;
        self.apply(to, &decided.unwrap());
    }

    fn grant(
        &mut self,
        acct: usize,
        amount: u64,
        reach: u8,
        expires_in_ms: Option<u64>,
        vendor_funded: bool,
    ) {
        let reach = match reach {
            0 => Reach::Vendor(VENDORS[0]),
            1 => Reach::Vendor(VENDORS[1]),
            2 => Reach::Group {
                group: VendorGroupId(1),
                vendors: VENDORS.to_vec(),
            },
            _ => Reach::Anywhere,
        };
        let funder = match (&reach, vendor_funded) {
            (Reach::Vendor(vendor), true) => Funder::Vendor(*vendor),
            _ => Funder::Msp,
        };
        let grant = Grant {
            id: GrantId(self.fresh()),
            program: Some(ProgramId(self.fresh())),
            reach,
            funder,
            currency: usd(),
            remaining: Amount::from_micros(amount),
            granted_at: self.now,
            expires_at: expires_in_ms.map(|ms| self.now.plus_ms(ms)),
        };
        let decided = self.live[acct]
            .state
            .decide_grant(grant.clone(), true, self.now);
        let model = &mut self.model[acct];
        let live = model.grants.iter().filter(|g| g.live_at(self.now)).count();
        if model.frozen {
            assert_eq!(decided, Err(Reject::Frozen));
            return;
        }
        if live >= GRANTS_HELD_MAX {
            assert_eq!(decided, Err(Reject::IncentiveQuotaExceeded));
            return;
        }
        model.grants.push(grant);
        model.granted += amount;
        self.apply(acct, &decided.unwrap());
    }

    fn sweep(&mut self, acct: usize) {
        let now = self.now;
        let events = self.live[acct].state.decide_expire_grants(now);
        let model = &mut self.model[acct];
        let (gone, kept): (Vec<Grant>, Vec<Grant>) =
            model.grants.drain(..).partition(|g| !g.live_at(now));
        model.grants = kept;
        model.expired += gone.iter().map(|g| g.remaining.micros()).sum::<u64>();
        assert_eq!(
            events.len(),
            gone.len(),
            "the sweep records every expired grant"
        );
        for event in &events {
            self.apply(acct, event);
        }
    }

    /// The model's own spending order: grants that can pay at `vendor` now, the most specific
    /// reach first, then the soonest expiry (none last), then the oldest, then the id; each
    /// pays what it holds until the price is covered.
    fn model_spend(&self, acct: usize, vendor: VendorId, price: u64) -> Vec<(GrantId, u64)> {
        let now = self.now;
        let rank = |g: &Grant| match g.reach {
            Reach::Vendor(_) => 0,
            Reach::Group { .. } => 1,
            Reach::Anywhere => 2,
        };
        let mut usable: Vec<&Grant> = self.model[acct]
            .grants
            .iter()
            .filter(|g| g.live_at(now) && g.reach.includes(vendor) && g.remaining.micros() > 0)
            .collect();
        usable.sort_by_key(|g| {
            (
                rank(g),
                g.expires_at.is_none(),
                g.expires_at,
                g.granted_at,
                g.id,
            )
        });
        let mut left = price;
        let mut spent = Vec::new();
        for g in usable {
            if left == 0 {
                break;
            }
            let part = g.remaining.micros().min(left);
            left -= part;
            spent.push((g.id, part));
        }
        spent
    }

    fn credit_line(&mut self, acct: usize, limit: u64) {
        let decided = self.live[acct].state.decide_credit_line(
            usd(),
            Amount::from_micros(limit),
            self.now,
            Origin::Admin,
        );
        let model = &mut self.model[acct];
        if model.balance < -i64::try_from(limit).unwrap() {
            assert_eq!(decided, Err(Reject::CreditLineBelowBalance));
        } else {
            model.credit = limit;
            self.apply(acct, &decided.unwrap());
        }
    }

    fn start_session(&mut self, acct: usize, idle: bool, minutes: u64) {
        let id = SessionId(self.fresh());
        let expiry = if idle {
            SessionExpiry::Idle {
                idle_ms: minutes * 60_000,
            }
        } else {
            SessionExpiry::Absolute {
                expires_at: self.now.plus_ms(minutes * 60_000),
            }
        };
        let now = self.now;
        let decided =
            self.live[acct]
                .state
                .decide_start_session(login_id(acct), id, expiry, now, &POLICY);
        let model = &mut self.model[acct];
        // A frozen account may sign in (to unfreeze itself); its purchases are refused.
        // Keep at most `sessions_per_login_max`: drop every unusable session, then the
        // oldest live ones.
        model.sessions.retain(|s| s.problem(now).is_none());
        model.sessions.sort_by_key(|s| (s.started_at, s.id));
        let excess = (model.sessions.len() + 1).saturating_sub(POLICY.sessions_per_login_max);
        model.sessions.drain(..excess);
        model.sessions.push(ModelSession {
            id,
            started_at: now,
            last_purchase_at: now,
            expiry,
            ended: false,
        });
        self.apply(acct, &decided.unwrap());
        self.live[acct].sessions_started.push(id);
        let live: BTreeSet<SessionId> = self.live[acct].state.sessions.keys().copied().collect();
        let kept: BTreeSet<SessionId> = self.model[acct].sessions.iter().map(|s| s.id).collect();
        assert_eq!(live, kept);
    }

    fn command(&mut self, buy: &Buy) -> AuthorizeCommand {
        let vendor = VENDORS[buy.vendor];
        let url = ContentUrl::parse(&format!("https://news.example/c{}", buy.content)).unwrap();
        let id = format!("c{}", buy.content);
        AuthorizeCommand {
            title: "A".to_owned(),
            content_url: String::new(),
            login: login_id(buy.acct),
            session: self.session(buy.acct, buy.pick),
            vendor,
            price: Amount::from_micros(buy.price),
            currency: if buy.eur { eur() } else { usd() },
            content: ContentKey::new(vendor, buy.by_id.then_some(id.as_str()), &url),
            terms: Terms {
                views: buy.views,
                valid_hours: buy.valid_hours,
                ..Terms::default()
            },
            idempotency: buy.key.map(|key| IdempotencyStamp {
                key: format!("k{key}"),
                request_digest: [buy.digest; 32],
            }),
            new_authorization: AuthorizationId(self.fresh()),
            new_entitlement: EntitlementId(self.fresh()),
            offer: None,
            incentives: farthing::domain::offer::IncentivePolicy::Any,
            royalties: Vec::new(),
        }
    }

    /// What a trivially correct implementation decides, in the documented order.
    fn expect_authorize(&self, acct: usize, buy: &Buy, command: &AuthorizeCommand) -> Expect {
        let now = self.now;
        let model = &self.model[acct];
        if let Some(stamp) = &command.idempotency
            && let Some(record) = model.idempotency.get(&(command.vendor, stamp.key.clone()))
            && now < record.recorded_at.plus_ms(RETENTION_MS)
        {
            if record.digest != buy.digest {
                return Expect::Reject(Reject::IdempotencyKeyReused);
            }
            return Expect::Replay(record.entitlement);
        }
        if let Err(reject) = self.model_session(acct, command.session) {
            return Expect::Reject(reject);
        }
        if model.frozen {
            return Expect::Reject(Reject::Frozen);
        }
        if buy.eur {
            return Expect::Reject(Reject::WalletMissing);
        }
        if let Some(allowed) = &model.limits.vendors_allowed
            && !allowed.contains(&command.vendor)
        {
            return Expect::Reject(Reject::VendorNotAllowed);
        }
        let owned = self
            .purchases
            .iter()
            .rev()
            .find(|p| p.acct == acct && p.content == command.content);
        if let Some(owned) = owned.filter(|p| p.valid_at(now)) {
            return Expect::Owned(owned.entitlement);
        }
        if model.debt > 0 {
            return Expect::Reject(Reject::DebtOutstanding);
        }
        let in_session: u64 = self
            .purchases
            .iter()
            .filter(|p| p.acct == acct && p.session == command.session)
            .map(|p| p.price)
            .sum();
        let checks = [
            (model.limits.per_transaction, 0, LimitKind::PerTransaction),
            (model.limits.per_session, in_session, LimitKind::PerSession),
        ];
        for (limit, spent, kind) in checks {
            if limit.is_some_and(|limit| spent + buy.price > limit.micros()) {
                return Expect::Reject(Reject::LimitReached(kind));
            }
        }
        if let Some(kind) = self.period_limit_passed(acct, buy.price, &model.limits) {
            return Expect::Reject(Reject::LimitReached(kind));
        }
        let incentive: u64 = self
            .model_spend(acct, command.vendor, buy.price)
            .iter()
            .map(|(_, part)| part)
            .sum();
        let floor = -i64::try_from(model.credit).unwrap();
        if model.balance - i64::try_from(buy.price - incentive).unwrap() < floor {
            return Expect::Reject(Reject::InsufficientFunds);
        }
        Expect::Purchase
    }

    fn authorize(&mut self, buy: &Buy) {
        let acct = buy.acct;
        let command = self.command(buy);
        let expected = self.expect_authorize(acct, buy, &command);
        let before = self.live[acct].state.clone();
        let decided = self.live[acct]
            .state
            .decide_authorize(&command, self.now, &POLICY);
        let event = match (decided, &expected) {
            (Ok(AuthorizeDecision::Purchase(event)), Expect::Purchase) => event,
            (Ok(AuthorizeDecision::Replay(got)), Expect::Replay(want))
            | (Ok(AuthorizeDecision::AlreadyOwned(got)), Expect::Owned(want)) => {
                assert_eq!(got, *want);
                return;
            }
            (Err(got), Expect::Reject(want)) => {
                assert_eq!(got, *want);
                assert_eq!(self.live[acct].state, before);
                return;
            }
            (got, want) => panic!("decided {got:?}, the model expects {want:?}"),
        };
        let Event::Authorized(authorized) = &event else {
            panic!("a purchase that is not an Authorized event: {event:?}");
        };
        let now = self.now;
        assert_eq!(authorized.entitlement.price.micros(), buy.price);
        assert_eq!(authorized.at, now);
        let expires_at = buy
            .valid_hours
            .map(|hours| now.plus_ms(u64::from(hours) * HOUR_MS));
        assert_eq!(authorized.entitlement.expires_at, expires_at);
        let spent = self.model_spend(acct, command.vendor, buy.price);
        let paid: Vec<(GrantId, u64)> = authorized
            .incentives
            .iter()
            .map(|g| (g.id, g.remaining.micros()))
            .collect();
        assert_eq!(paid, spent, "grants paid in the model's order");
        let incentive: u64 = spent.iter().map(|(_, part)| part).sum();
        let model = &mut self.model[acct];
        for (id, part) in &spent {
            let held = model.grants.iter_mut().find(|g| g.id == *id).unwrap();
            held.remaining = Amount::from_micros(held.remaining.micros() - part);
        }
        model.grants.retain(|g| g.remaining.micros() > 0);
        model.incentives_spent += incentive;
        model.balance -= i64::try_from(buy.price - incentive).unwrap();
        if let Some(session) = model.sessions.iter_mut().find(|s| s.id == command.session) {
            session.last_purchase_at = now;
        }
        if let Some(stamp) = &command.idempotency {
            model.idempotency.insert(
                (command.vendor, stamp.key.clone()),
                Record {
                    digest: buy.digest,
                    entitlement: command.new_entitlement,
                    recorded_at: now,
                },
            );
        }
        self.seq += 1;
        let order = self.seq;
        self.purchases.push(Purchase {
            order,
            acct,
            authorization: command.new_authorization,
            entitlement: command.new_entitlement,
            session: command.session,
            vendor: command.vendor,
            content: command.content.clone(),
            by_id: buy.by_id,
            url: content_url(&format!("c{}", buy.content)),
            price: buy.price,
            at: now,
            views_allowed: buy.views,
            views_used: 0,
            expires_at,
            reversed: false,
            limits: model.limits.clone(),
            idempotency: buy.key.map(|key| (format!("k{key}"), buy.digest)),
        });
        self.apply(acct, &event);
    }

    fn access(
        &mut self,
        acct: usize,
        pick: usize,
        reuse_token: Option<usize>,
        other_vendor: bool,
        other_url: bool,
    ) {
        let now = self.now;
        let target = self.purchase_of(acct, pick);
        let (entitlement, vendor, url) = match target {
            Some(i) => {
                let p = &self.purchases[i];
                (p.entitlement, p.vendor, p.url.clone())
            }
            None => (EntitlementId(UNKNOWN), VENDORS[0], content_url("c0")),
        };
        let vendor = if other_vendor {
            VENDORS.into_iter().find(|v| *v != vendor).unwrap()
        } else {
            vendor
        };
        let url = if other_url { content_url("other") } else { url };
        // Token ids are unique unless one still unexpired is deliberately presented again.
        let reused = reuse_token.and_then(|pick| {
            let tokens = &self.live[acct].tokens;
            tokens
                .iter()
                .rev()
                .filter(|(_, e)| now < *e)
                .nth(pick)
                .copied()
        });
        let (token_id, token_expires_at) = match reused {
            Some(token) => token,
            None => {
                let token = (self.fresh(), now.plus_ms(TOKEN_TTL_MS));
                self.live[acct].tokens.push(token);
                token
            }
        };
        let command = AccessCommand {
            entitlement,
            token_id,
            token_expires_at,
            vendor,
            content_url: url.clone(),
        };
        let decided = self.live[acct].state.decide_access(&command, now);
        let model = &self.model[acct];
        let expected = match target.map(|i| &self.purchases[i]) {
            None => Err(Reject::EntitlementUnknown),
            Some(p) if p.vendor != vendor => Err(Reject::EntitlementUnknown),
            Some(p) if !p.by_id && p.url != url => Err(Reject::ContentMismatch),
            Some(_) if model.spent_tokens.contains(&token_id) => Err(Reject::AccessTokenUsed),
            Some(p) if p.reversed => Err(Reject::EntitlementReversed),
            Some(p) if p.expires_at.is_some_and(|e| now >= e) => Err(Reject::EntitlementExpired),
            Some(p) if !p.valid_at(now) => Err(Reject::ViewsUsedUp),
            Some(p) => Ok(p.views_allowed.is_some()),
        };
        match (decided, expected) {
            (Ok(AccessDecision::CountView(event)), Ok(true)) => {
                let i = target.unwrap();
                self.purchases[i].views_used += 1;
                assert!(self.purchases[i].views_used <= self.purchases[i].views_allowed.unwrap());
                self.model[acct].spent_tokens.insert(token_id);
                self.apply(acct, &event);
            }
            (Ok(AccessDecision::Grant), Ok(false)) => {
                self.model[acct].spent_tokens.insert(token_id);
                self.live[acct]
                    .state
                    .spend_access_token(token_id, token_expires_at, now);
            }
            (Err(got), Err(want)) => assert_eq!(got, want),
            (got, want) => panic!("access decided {got:?}, the model expects {want:?}"),
        }
    }

    fn reverse(&mut self, acct: usize, pick: usize) {
        let target = self.purchase_of(acct, pick);
        let authorization = target.map_or(AuthorizationId(UNKNOWN), |i| {
            self.purchases[i].authorization
        });
        let decided = self.live[acct].state.decide_reversal(
            authorization,
            "dispute",
            self.now,
            Origin::Admin,
        );
        let Some(i) = target else {
            assert_eq!(decided, Err(Reject::AuthorizationUnknown));
            return;
        };
        if self.purchases[i].reversed {
            assert_eq!(decided, Err(Reject::AlreadyReversed));
            return;
        }
        let event = decided.unwrap();
        let price = self.purchases[i].price;
        self.purchases[i].reversed = true;
        let Event::Reversed { incentives, .. } = &event else {
            panic!("a reversal that is not Reversed: {event:?}");
        };
        let model = &mut self.model[acct];
        let mut back = 0;
        for spent in incentives {
            back += spent.remaining.micros();
            match model.grants.iter_mut().find(|g| g.id == spent.id) {
                Some(held) => {
                    held.remaining =
                        Amount::from_micros(held.remaining.micros() + spent.remaining.micros());
                }
                None => model.grants.push(spent.clone()),
            }
        }
        model.incentives_spent -= back;
        model.balance += i64::try_from(price - back).unwrap();
        model.refunded += price - back;
        self.apply(acct, &event);
    }

    /// Everything that must hold after every step.
    fn check(&self) {
        let mut balances = 0_i64;
        let mut deposits = 0_u64;
        // Money that left (returned debits, cash-outs paid) and what the balances do not show
        // (charges kept, less debts owed).
        let mut money_out = 0_i128;
        let mut owed_extra = 0_i128;
        let mut incentives_spent = 0_i128;
        let mut liability = 0_u64;
        for (live, model) in self.live.iter().zip(&self.model) {
            let wallet = live.state.wallets.get(&usd()).unwrap();
            assert_eq!(wallet.balance.micros(), model.balance, "balance");
            assert_eq!(wallet.credit_limit.micros(), model.credit, "credit line");
            assert_eq!(wallet.deposited.micros(), model.deposited, "deposited");
            assert_eq!(wallet.refunded.micros(), model.refunded, "refunded");
            assert!(
                wallet.balance.micros() >= -i64::try_from(wallet.credit_limit.micros()).unwrap(),
                "balance below minus the credit line"
            );
            assert_eq!(live.state.frozen, model.frozen);
            assert_eq!(wallet.debt.micros(), model.debt, "debt");
            let unsettled: u64 = model.unsettled.iter().map(|(_, amount)| amount).sum();
            assert_eq!(wallet.unsettled.micros(), unsettled, "unsettled");
            assert_eq!(wallet.returned.micros(), model.returned, "returned");
            balances += wallet.balance.micros();
            deposits += model.deposited;
            money_out += i128::from(model.returned) + i128::from(model.cashed_out);
            incentives_spent += i128::from(model.incentives_spent);
            let held: u64 = model.grants.iter().map(|g| g.remaining.micros()).sum();
            assert_eq!(
                model.granted,
                model.incentives_spent + model.expired + held,
                "every grant is held, spent or expired"
            );
            liability += held;
            let live_held: u64 = model
                .grants
                .iter()
                .filter(|g| g.live_at(self.now))
                .map(|g| g.remaining.micros())
                .sum();
            assert_eq!(
                live.state.incentive_balance(usd(), self.now).micros(),
                live_held,
                "incentive balance"
            );
            owed_extra += i128::from(model.charges) - i128::from(model.debt);
        }
        // Vendor gross equals the non-reversed purchases, per vendor.
        let mut gross = 0_u64;
        for vendor in &self.vendors {
            let sold: u64 = self
                .purchases
                .iter()
                .filter(|p| p.vendor == vendor.profile.id && !p.reversed)
                .map(|p| p.price)
                .sum();
            let ledger = vendor.ledger.get(&usd()).cloned().unwrap_or_default();
            assert_eq!(ledger.gross.micros(), u128::from(sold), "vendor gross");
            gross += u64::try_from(ledger.gross.micros()).unwrap();
        }
        let in_transit: u64 = self
            .transfers
            .iter()
            .filter(|t| !t.received)
            .map(|t| t.sent.amount.micros())
            .sum();
        // Money is conserved: deposits − returned − cashed out == balances + in transit −
        // debts + vendor gross + charges.
        assert_eq!(
            i128::from(deposits) - money_out,
            i128::from(balances) + i128::from(in_transit) + i128::from(gross) - incentives_spent
                + owed_extra,
            "money conservation"
        );
        // The totals fold over every event agrees, and says so itself.
        let mut totals = farthing::domain::totals::Totals::default();
        for event in &self.journal {
            totals.apply(event).unwrap();
        }
        let usd_totals = totals.by_currency.get(&usd()).copied().unwrap();
        assert_eq!(usd_totals.in_transit.micros(), u128::from(in_transit));
        // What is granted and neither spent nor swept is the MSP's liability.
        assert_eq!(
            usd_totals.incentives_outstanding().unwrap().micros(),
            i128::from(liability),
            "incentive liability"
        );
        let figures: Vec<_> = self
            .vendors
            .iter()
            .map(|vendor| (usd(), vendor.figures(usd(), Timestamp(0))))
            .collect();
        let payees = farthing::domain::totals::payee_totals(
            figures
                .iter()
                .map(|(currency, figures)| (*currency, figures)),
            &farthing::domain::payouts::SettlementState::default(),
        )
        .unwrap();
        let usd_payees = payees.get(&usd()).copied().unwrap_or_default();
        assert_eq!(usd_payees.gross.micros(), u128::from(gross));
        assert_eq!(
            usd_totals.conserved_with(&usd_payees),
            Some(true),
            "the totals fold shows money conserved"
        );
        for p in &self.purchases {
            let live = &self.live[p.acct].state.entitlements[&p.entitlement];
            assert_eq!(live.views_used, p.views_used);
            assert_eq!(live.is_reversed(), p.reversed);
        }
        self.check_limits();
        self.check_idempotency();
    }

    /// Recomputes from the purchase and transfer lists: every purchase and every transfer kept
    /// within the limits in force then, counting both toward the day, week and month.
    fn check_limits(&self) {
        let within = |limit: Option<Amount>, spent: u64| limit.is_none_or(|l| spent <= l.micros());
        for (i, p) in self.purchases.iter().enumerate() {
            let in_session: u64 = self.purchases[..=i]
                .iter()
                .filter(|q| q.acct == p.acct && q.session == p.session)
                .map(|q| q.price)
                .sum();
            assert!(within(p.limits.per_transaction, p.price), "per transaction");
            assert!(within(p.limits.per_session, in_session), "per session");
            self.check_period_limits(p.acct, p.order, p.at, &p.limits);
            if let Some(allowed) = &p.limits.vendors_allowed {
                assert!(allowed.contains(&p.vendor), "allowlist");
            }
        }
        for t in &self.transfers {
            self.check_period_limits(t.from, t.order, t.sent.sent_at, &t.limits);
        }
    }

    /// What `acct` spent up to `order`, in the day, week and month of `at`, is within `limits`.
    fn check_period_limits(&self, acct: usize, order: u64, at: Timestamp, limits: &Limits) {
        let zone = &self.model[acct].zone;
        let when = calendar(zone, at);
        let within = |limit: Option<Amount>, spent: u64| limit.is_none_or(|l| spent <= l.micros());
        let day = self.spent(acct, order, &|q| calendar(zone, q).day == when.day);
        let week = self.spent(acct, order, &|q| calendar(zone, q).week == when.week);
        let month = self.spent(acct, order, &|q| calendar(zone, q).month == when.month);
        assert!(within(limits.per_day, day), "per day");
        assert!(within(limits.per_week, week), "per week");
        assert!(within(limits.per_month, month), "per month");
    }

    /// The same key and digest at the same vendor never debits twice within retention.
    fn check_idempotency(&self) {
        for (i, p) in self.purchases.iter().enumerate() {
            let Some(stamp) = &p.idempotency else {
                continue;
            };
            for q in &self.purchases[i + 1..] {
                if q.acct == p.acct && q.vendor == p.vendor && q.idempotency.as_ref() == Some(stamp)
                {
                    assert!(
                        q.at >= p.at.plus_ms(RETENTION_MS),
                        "an idempotent retry debited twice"
                    );
                }
            }
        }
    }

    /// Replaying the journal into fresh states gives the live states.
    fn check_replay(&self) {
        for (index, live) in self.live.iter().enumerate() {
            let mut replayed = opened(index);
            for event in &live.events {
                replayed.apply(event);
            }
            let mut expected = live.state.clone();
            expected.spent_access_tokens.clear();
            replayed.spent_access_tokens.clear();
            assert_eq!(replayed, expected, "account {index} after replay");
        }
        let mut vendors: Vec<VendorState> = VENDORS.iter().map(|id| vendor_state(*id)).collect();
        for (vendor, seq, event) in &self.vendor_log {
            assert_eq!(vendors[*vendor].apply_sale(*seq, event), Ok(true));
        }
        // A redelivery of the whole log changes nothing.
        for (vendor, seq, event) in &self.vendor_log {
            assert_eq!(vendors[*vendor].apply_sale(*seq, event), Ok(false));
        }
        assert_eq!(vendors, self.vendors, "vendors after replay");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_core_acts_like_the_model(
        start in prop::sample::select(STARTS.to_vec()),
        commands in prop::collection::vec(cmd(), 1..60),
    ) {
        let mut sim = Sim::new(start);
        for command in &commands {
            sim.step(command);
            sim.check();
        }
        sim.check_replay();
    }
}
