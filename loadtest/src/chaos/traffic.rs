//! The load of one cycle: closed-loop workers that buy (single and in batches), buy again what
//! a member owns, spend access tokens, and deposit, each noting how every change ended so the
//! ledger can tell afterwards what must have survived the kill.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use hyper::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::api::{Api, Reply};
use super::ledger::{Observation, Outcome, PurchaseSent};
use crate::money;
use crate::setup::Fixture;
use crate::target::Target;

/// Views allowed on a limited entitlement: far more than a run spends, so a re-authorize of
/// owned content never finds the views used up (which would charge anew).
pub const VIEWS_LIMITED: u32 = 1_000_000;
/// Cheapest price sent, in micro-units.
pub const PRICE_MIN: i128 = 1_000;
/// Dearest price sent, in micro-units.
pub const PRICE_MAX: i128 = 50_000;
/// Smallest deposit sent, in micro-units.
pub const DEPOSIT_MIN: i128 = 100_000;
/// Largest deposit sent, in micro-units.
pub const DEPOSIT_MAX: i128 = 5_000_000;
/// Most items in one batch.
pub const BATCH_ITEMS_MAX: usize = 8;
/// Requests one worker sends in one cycle at most (the kill bounds it first).
pub const REQUESTS_PER_WORKER_MAX: u64 = 1_000_000;
/// Unused access tokens a worker keeps; the oldest are dropped.
pub const ACCESS_TOKENS_MAX: usize = 256;
/// Purchases of this cycle a worker remembers to buy again.
pub const OWN_PURCHASES_MAX: usize = 1_024;

/// Content a member owns, to buy again (which must not charge).
#[derive(Clone, Debug)]
pub struct Owned {
    /// Member index.
    pub member: usize,
    /// Vendor index.
    pub vendor: usize,
    /// Content URL.
    pub content_url: String,
    /// Price it was bought at.
    pub price: i128,
    /// Views of a limited entitlement.
    pub views: Option<u32>,
}

/// What every worker of a cycle shares.
pub struct CycleLoad {
    /// The server.
    pub target: Target,
    /// Vendors, members and their buyer tokens.
    pub fixture: Arc<Fixture>,
    /// `Authorization` of the admin calls.
    pub admin: hyper::header::HeaderValue,
    /// Currency of every wallet, vendor and price.
    pub currency: String,
    /// Acknowledged purchases of earlier cycles to buy again.
    pub owned: Vec<Owned>,
    /// This cycle's number, in content URLs and references.
    pub cycle: u32,
    /// Keeps this run's content and references apart from earlier runs on the same data.
    pub run_tag: String,
    /// Set once the server was killed: workers finish their request and stop.
    pub stop: AtomicBool,
}

/// An unused access token and the content it opens.
struct Grant {
    token: String,
    vendor: usize,
    content_url: String,
}

/// Body of an authorize, and of one batch item.
#[derive(Serialize)]
struct AuthorizeBody {
    buyer_token: String,
    price: String,
    currency: String,
    content_url: String,
    title: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    views: Option<u32>,
}

/// The parts of an authorize reply (or a batch item's result) the check reads.
#[derive(Deserialize)]
struct Authorized {
    authorization_id: Option<String>,
    charged: Option<String>,
    already_owned: Option<bool>,
    access_token: Option<String>,
    problem: Option<ItemProblem>,
}

#[derive(Deserialize)]
struct ItemProblem {
    status: Option<u16>,
}

#[derive(Deserialize)]
struct BatchReply {
    results: Vec<Authorized>,
}

#[derive(Deserialize)]
struct Granted {
    granted: bool,
}

/// One closed-loop worker.
pub struct Worker {
    id: u32,
    load: Arc<CycleLoad>,
    api: Api,
    rng: StdRng,
    grants: VecDeque<Grant>,
    bought: Vec<Owned>,
    seq: u64,
    observations: Vec<Observation>,
}

/// A purchase about to be sent.
struct Item {
    member: usize,
    content_url: String,
    price: i128,
    views: Option<u32>,
}

impl Worker {
    /// Worker `id` of a cycle, its RNG seeded from the run's seed, the cycle and `id`.
    pub fn new(id: u32, load: Arc<CycleLoad>, seed: u64) -> Worker {
        let mixed = seed
            ^ u64::from(load.cycle).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (u64::from(id) + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        Worker {
            id,
            api: Api::new(load.target.clone()),
            load,
            rng: StdRng::seed_from_u64(mixed),
            grants: VecDeque::new(),
            bought: Vec::new(),
            seq: 0,
            observations: Vec::new(),
        }
    }

    /// Runs until the stop flag is set (or `REQUESTS_PER_WORKER_MAX`), returning what it saw.
    pub async fn run(mut self) -> Vec<Observation> {
        for _ in 0..REQUESTS_PER_WORKER_MAX {
            if self.load.stop.load(Ordering::Relaxed) {
                break;
            }
            let roll = self.rng.gen_range(0..100_u32);
            match roll {
                0..35 => self.buy().await,
                35..45 => self.buy_batch().await,
                45..65 => self.buy_again().await,
                65..90 => self.access().await,
                _ => self.deposit().await,
            }
        }
        self.observations
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn new_item(&mut self, member: usize, vendor: usize) -> Item {
        let seq = self.next_seq();
        let domain = self
            .load
            .fixture
            .vendors
            .get(vendor)
            .map_or("missing.example", |v| v.domain.as_str());
        Item {
            member,
            content_url: format!(
                "https://{domain}/chaos/c{}/w{}/{seq}",
                self.load.cycle, self.id
            ),
            price: self.rng.gen_range(PRICE_MIN..=PRICE_MAX),
            views: self.rng.gen_bool(0.5).then_some(VIEWS_LIMITED),
        }
    }

    fn idempotency_key(&mut self) -> Option<String> {
        self.rng.gen_bool(0.5).then(|| {
            format!(
                "chaos-{}-c{}-w{}-{}",
                self.load.run_tag, self.load.cycle, self.id, self.seq
            )
        })
    }

    fn body(&self, item: &Item, vendor: usize) -> Option<AuthorizeBody> {
        Some(AuthorizeBody {
            buyer_token: self
                .load
                .fixture
                .buyer_token(item.member, vendor)?
                .to_owned(),
            price: money::format_micros(item.price),
            currency: self.load.currency.clone(),
            content_url: item.content_url.clone(),
            title: "chaos",
            views: item.views,
        })
    }

    async fn buy(&mut self) {
        let members = self.load.fixture.members;
        let vendors = self.load.fixture.vendors.len();
        let member = self.rng.gen_range(0..members);
        let vendor = self.rng.gen_range(0..vendors);
        let item = self.new_item(member, vendor);
        let key = self.idempotency_key();
        let load = Arc::clone(&self.load);
        let Some(body) = self.body(&item, vendor) else {
            return;
        };
        let Some(authorization) = load.fixture.vendors.get(vendor).map(|v| &v.authorization) else {
            return;
        };
        let reply = self
            .api
            .call(
                Method::POST,
                "/v1/authorize",
                authorization,
                Some(&body),
                key.as_deref(),
            )
            .await;
        let outcome = match reply {
            Reply::Success(_, bytes) => match serde_json::from_slice::<Authorized>(&bytes) {
                Ok(reply) => self.new_purchase_result(vendor, &item, reply),
                Err(_) => self.anomaly_unknown(&item, &bytes),
            },
            Reply::Refused(..) => (Outcome::Refused, None),
            Reply::Unknown(_) => (Outcome::Unknown, None),
            Reply::NotSent(_) => return,
        };
        self.note_purchase(vendor, item, false, outcome);
    }

    async fn buy_batch(&mut self) {
        let fixture = Arc::clone(&self.load.fixture);
        let members = fixture.members;
        let vendor = self.rng.gen_range(0..fixture.vendors.len());
        let count = self.rng.gen_range(1..=BATCH_ITEMS_MAX.min(members));
        let first = self.rng.gen_range(0..members);
        let items: Vec<Item> = (0..count)
            .map(|offset| self.new_item((first + offset) % members, vendor))
            .collect();
        let bodies: Vec<AuthorizeBody> = items
            .iter()
            .filter_map(|item| self.body(item, vendor))
            .collect();
        if bodies.len() != items.len() {
            return;
        }
        let key = self.idempotency_key();
        let Some(authorization) = fixture.vendors.get(vendor).map(|v| &v.authorization) else {
            return;
        };
        let body = serde_json::json!({ "items": bodies });
        let reply = self
            .api
            .call(
                Method::POST,
                "/v1/authorize/batch",
                authorization,
                Some(&body),
                key.as_deref(),
            )
            .await;
        drop(bodies);
        match reply {
            Reply::Success(_, bytes) => {
                let results = match serde_json::from_slice::<BatchReply>(&bytes) {
                    Ok(reply) if reply.results.len() == items.len() => reply.results,
                    _ => {
                        self.observations.push(Observation::Anomaly(format!(
                            "a batch of {} answered {}",
                            items.len(),
                            crate::client::excerpt(&bytes, 200)
                        )));
                        for item in items {
                            self.note_purchase(vendor, item, true, (Outcome::Unknown, None));
                        }
                        return;
                    }
                };
                for (item, result) in items.into_iter().zip(results) {
                    let outcome = match &result.problem {
                        Some(problem) if problem.status.is_some_and(|s| s < 500) => {
                            (Outcome::Refused, None)
                        }
                        Some(_) => (Outcome::Unknown, None),
                        None => self.new_purchase_result(vendor, &item, result),
                    };
                    self.note_purchase(vendor, item, true, outcome);
                }
            }
            Reply::Refused(..) => {
                for item in items {
                    self.note_purchase(vendor, item, true, (Outcome::Refused, None));
                }
            }
            Reply::Unknown(_) => {
                for item in items {
                    self.note_purchase(vendor, item, true, (Outcome::Unknown, None));
                }
            }
            Reply::NotSent(_) => {}
        }
    }

    /// Judges a 2xx to a new purchase: charged its price, not owned before.
    fn new_purchase_result(
        &mut self,
        vendor: usize,
        item: &Item,
        reply: Authorized,
    ) -> (Outcome, Option<String>) {
        let charged = reply.charged.as_deref().map(money::parse_micros);
        match (reply.authorization_id, charged, reply.already_owned) {
            (Some(id), Some(Ok(charged)), Some(false)) if charged == item.price => {
                if let Some(token) = reply.access_token {
                    self.keep_grant(Grant {
                        token,
                        vendor,
                        content_url: item.content_url.clone(),
                    });
                }
                (Outcome::Acked, Some(id))
            }
            (_, charged, owned) => {
                self.observations.push(Observation::Anomaly(format!(
                    "new content {} at {} answered charged {charged:?}, already_owned {owned:?}",
                    item.content_url,
                    money::format_micros(item.price)
                )));
                (Outcome::Unknown, None)
            }
        }
    }

    fn anomaly_unknown(&mut self, item: &Item, bytes: &Bytes) -> (Outcome, Option<String>) {
        self.observations.push(Observation::Anomaly(format!(
            "authorize of {} answered an unreadable 2xx: {}",
            item.content_url,
            crate::client::excerpt(bytes, 200)
        )));
        (Outcome::Unknown, None)
    }

    fn note_purchase(
        &mut self,
        vendor: usize,
        item: Item,
        batch: bool,
        (outcome, authorization_id): (Outcome, Option<String>),
    ) {
        if outcome == Outcome::Acked && self.bought.len() < OWN_PURCHASES_MAX {
            self.bought.push(Owned {
                member: item.member,
                vendor,
                content_url: item.content_url.clone(),
                price: item.price,
                views: item.views,
            });
        }
        self.observations.push(Observation::Purchase(PurchaseSent {
            member: item.member,
            vendor,
            content_url: item.content_url,
            price: item.price,
            views: item.views,
            batch,
            authorization_id,
            outcome,
        }));
    }

    fn keep_grant(&mut self, grant: Grant) {
        if self.grants.len() >= ACCESS_TOKENS_MAX {
            self.grants.pop_front();
        }
        self.grants.push_back(grant);
    }

    /// Buys content the member owns again: must answer already owned, charged nothing.
    async fn buy_again(&mut self) {
        let load = Arc::clone(&self.load);
        let pick_own = !self.bought.is_empty() && (load.owned.is_empty() || self.rng.gen_bool(0.5));
        let owned = if pick_own {
            let index = self.rng.gen_range(0..self.bought.len());
            self.bought.get(index).cloned()
        } else if load.owned.is_empty() {
            None
        } else {
            let index = self.rng.gen_range(0..load.owned.len());
            load.owned.get(index).cloned()
        };
        let Some(owned) = owned else {
            return self.buy().await;
        };
        let item = Item {
            member: owned.member,
            content_url: owned.content_url.clone(),
            price: owned.price,
            views: owned.views,
        };
        let Some(body) = self.body(&item, owned.vendor) else {
            return;
        };
        let Some(authorization) = load
            .fixture
            .vendors
            .get(owned.vendor)
            .map(|v| &v.authorization)
        else {
            return;
        };
        let reply = self
            .api
            .call(
                Method::POST,
                "/v1/authorize",
                authorization,
                Some(&body),
                None,
            )
            .await;
        // Refusals and unknowns change nothing: owned content is never charged again.
        let Reply::Success(_, bytes) = reply else {
            return;
        };
        let parsed = serde_json::from_slice::<Authorized>(&bytes).ok();
        let charged = parsed
            .as_ref()
            .and_then(|r| r.charged.as_deref())
            .map(money::parse_micros);
        match parsed {
            Some(Authorized {
                already_owned: Some(true),
                access_token: Some(token),
                ..
            }) if matches!(charged, Some(Ok(0))) => self.keep_grant(Grant {
                token,
                vendor: owned.vendor,
                content_url: owned.content_url,
            }),
            _ => self.observations.push(Observation::Anomaly(format!(
                "buying owned {} again answered {}",
                owned.content_url,
                crate::client::excerpt(&bytes, 200)
            ))),
        }
    }

    /// Spends the freshest access token: a limited entitlement counts a view.
    async fn access(&mut self) {
        let Some(grant) = self.grants.pop_back() else {
            return self.buy().await;
        };
        let load = Arc::clone(&self.load);
        let Some(authorization) = load
            .fixture
            .vendors
            .get(grant.vendor)
            .map(|v| &v.authorization)
        else {
            return;
        };
        let body = serde_json::json!({
            "access_token": grant.token,
            "content_url": grant.content_url,
        });
        let reply = self
            .api
            .call(Method::POST, "/v1/access", authorization, Some(&body), None)
            .await;
        let outcome = match reply {
            Reply::Success(_, bytes) => match serde_json::from_slice::<Granted>(&bytes) {
                Ok(Granted { granted: true }) => Outcome::Acked,
                _ => {
                    self.observations.push(Observation::Anomaly(format!(
                        "access to {} answered {}",
                        grant.content_url,
                        crate::client::excerpt(&bytes, 200)
                    )));
                    Outcome::Unknown
                }
            },
            Reply::Refused(..) => Outcome::Refused,
            Reply::Unknown(_) => Outcome::Unknown,
            Reply::NotSent(_) => return,
        };
        self.observations.push(Observation::View {
            content_url: grant.content_url,
            outcome,
        });
    }

    /// Deposits to a member under a reference used once.
    async fn deposit(&mut self) {
        let load = Arc::clone(&self.load);
        let member = self.rng.gen_range(0..load.fixture.members);
        let Some(member_id) = load.fixture.member_ids.get(member) else {
            return;
        };
        let amount = self.rng.gen_range(DEPOSIT_MIN..=DEPOSIT_MAX);
        let seq = self.next_seq();
        let body = serde_json::json!({
            "amount": money::format_micros(amount),
            "currency": load.currency,
            "reference": format!("chaos-{}-c{}-w{}-{seq}", load.run_tag, load.cycle, self.id),
        });
        let path = format!("/admin/v1/members/{member_id}/deposits");
        let reply = self
            .api
            .call(Method::POST, &path, &load.admin, Some(&body), None)
            .await;
        let outcome = match reply {
            Reply::Success(..) => Outcome::Acked,
            Reply::Refused(..) => Outcome::Refused,
            Reply::Unknown(_) => Outcome::Unknown,
            Reply::NotSent(_) => return,
        };
        self.observations.push(Observation::Deposit {
            member,
            amount,
            outcome,
        });
    }
}
