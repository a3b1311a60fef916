//! The load itself: one worker per keep-alive connection, all drawing from one schedule.
//!
//! Open loop (`--rate R`): request `i` is due at `start + i/R`. A free worker takes the next
//! index and waits for its due time; when every worker is busy, due requests wait, and their
//! latency, measured from the due time, grows (coordinated omission corrected, as wrk2 does).
//! A worker that was idle and woke from its timer measures from its wake-up instead: the timer's
//! ~1 ms granularity is the harness's delay, not the server's. Closed loop (`--rate max`): each
//! worker sends its next request when the last returns; latency is measured from the send.
//!
//! With `--batch N` every request is one `POST /v1/authorize/batch` of N new purchases at one
//! vendor, for consecutive members from a random start, so no two neighbouring items share a
//! member. The schedule, the latency and `count` are per request (per batch); items are counted
//! apart: successful ones in `items_ok`, failed ones by their problem's code in `item_errors`.
//! A single request is one item, so `items_ok` means the same thing in both modes.
//!
//! Each worker owns its RNG (seeded from `--seed` and its index), its connection, its pools of
//! unused access tokens and owned content, and its histograms; nothing is shared on the request
//! path except the schedule counter, so the generator itself adds no lock contention.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use hdrhistogram::Histogram;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::cli::{Rate, RunPlan};
use crate::client::{self, Conn};
use crate::mix::Kind;
use crate::money;
use crate::setup::Fixture;
use crate::target::Target;

/// Longest wait for one load request; after it the request counts as `timeout`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// After the schedule's end, backlogged requests are still sent for this long, then counted as
/// `unsent`: a server far behind its rate must not stretch the run without bound.
pub const DRAIN_MAX: Duration = Duration::from_secs(5);
/// Lead time before the schedule starts, so the workers' first connects are not measured.
pub const START_LEAD: Duration = Duration::from_millis(100);
/// Largest reply body read on the load path.
pub const REPLY_BODY_BYTES_MAX: usize = 64 * 1024;
/// Largest share of a batch reply one item's result may take: a success is about 450 bytes,
/// so this leaves room for longer tokens and problem details. A batch reply is read up to this
/// times its item count (at most 4 MiB at 1,000 items), not up to a fixed size, so a one-item
/// batch cannot make the harness buffer megabytes.
pub const BATCH_RESULT_BYTES_MAX: usize = 4 * 1024;
/// Unused access tokens a worker keeps, over all vendors (the freshest are kept).
pub const ACCESS_TOKENS_PER_WORKER_MAX: usize = 2048;
/// Owned purchases a worker remembers for `owned` requests.
pub const OWNED_PER_WORKER_MAX: usize = 1024;
/// Distinct error codes kept per kind; further codes count under `other`.
pub const ERROR_CODES_MAX: usize = 64;
/// Highest latency the histograms hold, in microseconds (higher values saturate).
pub const LATENCY_US_MAX: u64 = 60_000_000;
/// Pause after a failed connect, so a dead server is not hammered in a tight loop.
pub const RECONNECT_PAUSE: Duration = Duration::from_millis(20);
/// Requests one closed-loop worker may send (time bounds it first; this bounds the count).
pub const CLOSED_LOOP_REQUESTS_PER_WORKER_MAX: u64 = 1_000_000_000;
/// Longest error code kept from a problem body.
pub const ERROR_CODE_CHARS_MAX: usize = 64;

/// Statistics of one kind of request.
pub struct KindStats {
    /// Latency of every request that got an HTTP response, in microseconds.
    pub histogram: Histogram<u64>,
    /// Measured requests of this kind, including failed ones.
    pub count: u64,
    /// Failed requests by error code.
    pub errors: BTreeMap<String, u64>,
}

impl KindStats {
    fn new() -> Result<KindStats> {
        Ok(KindStats {
            histogram: Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
                .context("creating a latency histogram")?,
            count: 0,
            errors: BTreeMap::new(),
        })
    }

    fn count_error(&mut self, code: Cow<'_, str>) {
        count_code(&mut self.errors, code, 1);
    }
}

/// Adds `count` under `code`, keeping at most `ERROR_CODES_MAX` codes: a server that puts a
/// fresh word in every problem must not grow the harness's memory, so further codes count
/// under `other`.
fn count_code(codes: &mut BTreeMap<String, u64>, code: Cow<'_, str>, count: u64) {
    if let Some(total) = codes.get_mut(code.as_ref()) {
        *total += count;
    } else if codes.len() < ERROR_CODES_MAX {
        codes.insert(code.into_owned(), count);
    } else {
        *codes.entry("other".to_owned()).or_insert(0) += count;
    }
}

/// Item outcomes of one batch reply (or, merged, of many).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ItemTally {
    /// Items that were charged as expected.
    pub ok: u64,
    /// Failed items by problem code (bounded like request errors).
    pub errors: BTreeMap<String, u64>,
}

impl ItemTally {
    fn count_error(&mut self, code: Cow<'_, str>) {
        count_code(&mut self.errors, code, 1);
    }
}

/// Statistics of a worker, or of all workers merged.
pub struct Stats {
    /// Per kind, in `Kind::ALL` order: the kind actually sent (a fallback counts as authorize).
    pub kinds: Vec<KindStats>,
    /// `access` picks that found no unused token and authorized instead.
    pub access_pool_empty: u64,
    /// `owned` picks that found no owned content yet and authorized instead.
    pub owned_pool_empty: u64,
    /// Scheduled requests never sent because the drain time ran out.
    pub unsent: u64,
    /// When the last measured request completed.
    pub last_completion: Option<Instant>,
    /// Successful items: with `--batch` the items charged in 200 replies, else the successful
    /// requests (each a single item). Items per second are reported from this.
    pub items_ok: u64,
    /// With `--batch`, failed items of 200 replies by problem code; a whole batch that failed
    /// counts as a request error instead, under its kind.
    pub item_errors: BTreeMap<String, u64>,
}

impl Stats {
    /// Empty statistics.
    ///
    /// # Errors
    /// A histogram could not be created (not with these fixed bounds).
    pub fn new() -> Result<Stats> {
        Ok(Stats {
            kinds: vec![KindStats::new()?, KindStats::new()?, KindStats::new()?],
            access_pool_empty: 0,
            owned_pool_empty: 0,
            unsent: 0,
            last_completion: None,
            items_ok: 0,
            item_errors: BTreeMap::new(),
        })
    }

    /// Statistics of one kind.
    pub fn kind(&self, kind: Kind) -> Option<&KindStats> {
        self.kinds.get(kind.index())
    }

    /// Adds `other` into `self`.
    ///
    /// # Errors
    /// Histograms with different bounds (not with these fixed bounds).
    pub fn merge(&mut self, other: Stats) -> Result<()> {
        for (mine, theirs) in self.kinds.iter_mut().zip(other.kinds) {
            mine.histogram
                .add(&theirs.histogram)
                .context("merging histograms")?;
            mine.count += theirs.count;
            for (code, count) in theirs.errors {
                *mine.errors.entry(code).or_insert(0) += count;
            }
        }
        self.access_pool_empty += other.access_pool_empty;
        self.owned_pool_empty += other.owned_pool_empty;
        self.unsent += other.unsent;
        self.last_completion = self.last_completion.max(other.last_completion);
        self.items_ok += other.items_ok;
        for (code, count) in other.item_errors {
            count_code(&mut self.item_errors, Cow::Owned(code), count);
        }
        Ok(())
    }

    fn record(&mut self, kind: Kind, sent_from: Instant, result: RequestResult) {
        let now = Instant::now();
        self.last_completion = Some(now);
        let Some(stats) = self.kinds.get_mut(kind.index()) else {
            return;
        };
        stats.count += 1;
        let responded = match result {
            RequestResult::Ok => {
                self.items_ok += 1;
                true
            }
            RequestResult::Batch(tally) => {
                self.items_ok += tally.ok;
                for (code, count) in tally.errors {
                    count_code(&mut self.item_errors, Cow::Owned(code), count);
                }
                true
            }
            RequestResult::Rejected(code) => {
                stats.count_error(code);
                true
            }
            RequestResult::Failed(code) => {
                stats.count_error(Cow::Borrowed(code));
                false
            }
        };
        if responded {
            let latency_us = u64::try_from(now.saturating_duration_since(sent_from).as_micros())
                .unwrap_or(u64::MAX);
            stats.histogram.saturating_record(latency_us.max(1));
        }
    }
}

/// What the load produced.
pub struct LoadOutcome {
    /// Merged statistics of all workers.
    pub stats: Stats,
    /// Measured window: from the end of warmup to the later of the planned end and the last
    /// measured completion. Throughput is measured requests over this window.
    pub window: Duration,
}

/// How one request ended.
enum RequestResult {
    /// 2xx with the expected reply.
    Ok,
    /// 200 to a batch with one result per item; the items' own outcomes are in the tally.
    Batch(ItemTally),
    /// An HTTP response that is an error or not the expected reply: latency is recorded.
    Rejected(Cow<'static, str>),
    /// No HTTP response (`io`, `timeout`): no latency to record.
    Failed(&'static str),
}

/// Schedule and data shared by the workers.
struct Shared {
    target: Target,
    fixture: Fixture,
    plan: RunPlan,
    run_tag: String,
    /// Due time of request 0.
    start: Instant,
    /// End of warmup: requests due (open loop) or sent (closed loop) before it are not measured.
    measure_start: Instant,
    /// End of the schedule.
    end: Instant,
    /// No request is sent after this.
    hard_deadline: Instant,
    /// Next schedule index to take (open loop).
    next_index: AtomicU64,
    /// Requests on the schedule (open loop).
    scheduled_total: u64,
    /// Whether a transport error was already printed (print one, count all).
    transport_error_printed: AtomicBool,
}

/// Runs the load and merges the workers' statistics.
///
/// # Errors
/// A worker task panicked (a bug), or a histogram could not be created.
pub async fn run(
    target: &Target,
    plan: &RunPlan,
    fixture: Fixture,
    run_tag: &str,
) -> Result<LoadOutcome> {
    let start = Instant::now() + START_LEAD;
    let measure_start = start + plan.warmup;
    let end = measure_start + plan.duration;
    let scheduled_total = match plan.rate {
        Rate::Fixed(rate) => {
            let millis = (plan.warmup + plan.duration).as_millis();
            u64::try_from(u128::from(rate) * millis / 1000)?
        }
        Rate::Max => 0,
    };
    let shared = Arc::new(Shared {
        target: target.clone(),
        fixture,
        plan: plan.clone(),
        run_tag: run_tag.to_owned(),
        start,
        measure_start,
        end,
        hard_deadline: end + DRAIN_MAX,
        next_index: AtomicU64::new(0),
        scheduled_total,
        transport_error_printed: AtomicBool::new(false),
    });

    let mut workers = Vec::new();
    for id in 0..plan.connections {
        let worker = Worker::new(id, Arc::clone(&shared))?;
        workers.push(tokio::spawn(worker.run()));
    }
    let mut stats = Stats::new()?;
    for worker in workers {
        stats.merge(worker.await.context("a load worker panicked")?)?;
    }
    let window = stats
        .last_completion
        .map(|last| last.saturating_duration_since(measure_start))
        .unwrap_or_default()
        .max(plan.duration);
    Ok(LoadOutcome { stats, window })
}

/// An unused access token and the content it opens.
struct AccessGrant {
    token: Box<str>,
    content_url: Box<str>,
}

/// Content a member bought at a vendor during this run.
#[derive(Clone, Copy)]
struct Purchase {
    member: usize,
    vendor: usize,
    article: u64,
}

/// What an authorize reply must say.
#[derive(Clone, Copy)]
enum Expect {
    /// New content: charged the price, not already owned.
    Charged,
    /// Owned content: charged zero, already owned.
    Owned,
}

/// Body of `POST /v1/authorize`, and one item of a batch.
#[derive(Serialize)]
struct AuthorizeBody<'a> {
    buyer_token: &'a str,
    price: &'a str,
    currency: &'a str,
    content_url: &'a str,
    title: &'a str,
}

/// Body of `POST /v1/authorize/batch`.
#[derive(Serialize)]
struct BatchBody<'a> {
    items: &'a [AuthorizeBody<'a>],
}

/// Reply of `POST /v1/authorize/batch`: one result per item, in order.
#[derive(Deserialize)]
struct BatchReply {
    results: Vec<BatchResult>,
}

/// One item's result: an authorize reply, or `{"problem": {...}}`. Every field is optional
/// so that one odd result counts as one `bad_result` item instead of failing the whole reply;
/// the access token is only checked for presence (batch runs do not spend it).
#[derive(Deserialize)]
struct BatchResult {
    problem: Option<Problem>,
    charged: Option<String>,
    already_owned: Option<bool>,
    access_token: Option<IgnoredAny>,
}

/// The parts of an authorize reply the harness checks.
#[derive(Deserialize)]
struct AuthorizeReply {
    charged: String,
    already_owned: bool,
    access_token: String,
}

/// Body of `POST /v1/access`.
#[derive(Serialize)]
struct AccessBody<'a> {
    access_token: &'a str,
    content_url: &'a str,
}

/// The part of an access reply the harness checks.
#[derive(Deserialize)]
struct AccessReply {
    granted: bool,
}

/// The part of a problem+json body (or of a batch item's problem) the harness reads.
#[derive(Deserialize)]
struct Problem {
    code: Option<String>,
    /// Read only for batch items, whose problem has no HTTP status line of its own.
    status: Option<u16>,
}

/// One connection's generator.
struct Worker {
    id: u32,
    shared: Arc<Shared>,
    rng: StdRng,
    conn: Option<Conn>,
    /// Unused access tokens per vendor; the freshest is used first (LIFO), the oldest dropped.
    access_pools: Vec<VecDeque<AccessGrant>>,
    access_pool_per_vendor_max: usize,
    /// Ring of purchases made by this worker, for `owned` requests.
    owned: Vec<Purchase>,
    owned_cursor: usize,
    /// Article counter; with the worker id it makes content URLs unique within the run.
    article_seq: u64,
    /// Request counter, for idempotency keys.
    request_seq: u64,
    stats: Stats,
}

impl Worker {
    fn new(id: u32, shared: Arc<Shared>) -> Result<Worker> {
        let seed = shared.plan.seed ^ (u64::from(id) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let vendors = shared.fixture.vendors.len();
        Ok(Worker {
            id,
            rng: StdRng::seed_from_u64(seed),
            conn: None,
            access_pools: (0..vendors).map(|_| VecDeque::new()).collect(),
            access_pool_per_vendor_max: (ACCESS_TOKENS_PER_WORKER_MAX / vendors.max(1)).max(1),
            owned: Vec::new(),
            owned_cursor: 0,
            article_seq: 0,
            request_seq: 0,
            stats: Stats::new()?,
            shared,
        })
    }

    async fn run(mut self) -> Stats {
        if let Ok(conn) = Conn::connect(self.shared.target.addr).await {
            self.conn = Some(conn);
        }
        match self.shared.plan.rate {
            Rate::Fixed(rate) => self.open_loop(rate).await,
            Rate::Max => self.closed_loop().await,
        }
        self.stats
    }

    async fn open_loop(&mut self, rate: u64) {
        let shared = Arc::clone(&self.shared);
        // Bounded: every pass takes a distinct index below `scheduled_total`.
        loop {
            let index = shared.next_index.fetch_add(1, Ordering::Relaxed);
            if index >= shared.scheduled_total {
                break;
            }
            let offset_ns = u128::from(index) * 1_000_000_000 / u128::from(rate);
            let due =
                shared.start + Duration::from_nanos(u64::try_from(offset_ns).unwrap_or(u64::MAX));
            let now = Instant::now();
            if now >= shared.hard_deadline {
                let untaken = shared
                    .next_index
                    .swap(shared.scheduled_total, Ordering::Relaxed);
                self.stats.unsent += 1 + shared.scheduled_total.saturating_sub(untaken);
                break;
            }
            let sent_from = if now < due {
                tokio::time::sleep_until(due.into()).await;
                Instant::now()
            } else {
                due
            };
            self.one_request(due >= shared.measure_start, sent_from)
                .await;
        }
    }

    async fn closed_loop(&mut self) {
        let shared = Arc::clone(&self.shared);
        for _ in 0..CLOSED_LOOP_REQUESTS_PER_WORKER_MAX {
            let now = Instant::now();
            if now >= shared.end {
                break;
            }
            self.one_request(now >= shared.measure_start, now).await;
        }
    }

    async fn one_request(&mut self, measured: bool, sent_from: Instant) {
        let shared = Arc::clone(&self.shared);
        if let Some(items) = shared.plan.batch_items {
            let result = self.authorize_batch(items).await;
            if measured {
                self.stats.record(Kind::Authorize, sent_from, result);
            }
            return;
        }
        let roll = self.rng.gen_range(0..shared.plan.mix.total());
        let member = self.rng.gen_range(0..shared.fixture.members);
        let vendor = self.rng.gen_range(0..shared.fixture.vendors.len());
        let (kind, result) = match shared.plan.mix.pick(roll) {
            Kind::Authorize => (Kind::Authorize, self.authorize_new(member, vendor).await),
            Kind::Owned => match self.pick_owned() {
                Some(purchase) => (Kind::Owned, self.authorize(purchase, Expect::Owned).await),
                None => {
                    if measured {
                        self.stats.owned_pool_empty += 1;
                    }
                    (Kind::Authorize, self.authorize_new(member, vendor).await)
                }
            },
            Kind::Access => match self
                .access_pools
                .get_mut(vendor)
                .and_then(VecDeque::pop_back)
            {
                Some(grant) => (Kind::Access, self.access(vendor, grant).await),
                None => {
                    if measured {
                        self.stats.access_pool_empty += 1;
                    }
                    (Kind::Authorize, self.authorize_new(member, vendor).await)
                }
            },
        };
        if measured {
            self.stats.record(kind, sent_from, result);
        }
    }

    fn pick_owned(&mut self) -> Option<Purchase> {
        if self.owned.is_empty() {
            return None;
        }
        let index = self.rng.gen_range(0..self.owned.len());
        self.owned.get(index).copied()
    }

    fn remember_owned(&mut self, purchase: Purchase) {
        if self.owned.len() < OWNED_PER_WORKER_MAX {
            self.owned.push(purchase);
        } else if let Some(slot) = self.owned.get_mut(self.owned_cursor) {
            *slot = purchase;
            self.owned_cursor = (self.owned_cursor + 1) % OWNED_PER_WORKER_MAX;
        }
    }

    fn remember_access(&mut self, vendor: usize, grant: AccessGrant) {
        let max = self.access_pool_per_vendor_max;
        if let Some(pool) = self.access_pools.get_mut(vendor) {
            if pool.len() >= max {
                pool.pop_front();
            }
            pool.push_back(grant);
        }
    }

    /// A content number no earlier request of this run used: new content, so it charges.
    fn next_article(&mut self) -> u64 {
        let article = (u64::from(self.id) << 40) | self.article_seq;
        self.article_seq += 1;
        article
    }

    /// A unique `Idempotency-Key` if the run sends them.
    fn idempotency_key(&mut self) -> Option<String> {
        if !self.shared.plan.idempotency {
            return None;
        }
        self.request_seq += 1;
        Some(format!(
            "lt-{}-{}-{}",
            self.shared.run_tag, self.id, self.request_seq
        ))
    }

    async fn authorize_new(&mut self, member: usize, vendor: usize) -> RequestResult {
        let article = self.next_article();
        self.authorize(
            Purchase {
                member,
                vendor,
                article,
            },
            Expect::Charged,
        )
        .await
    }

    async fn authorize(&mut self, purchase: Purchase, expect: Expect) -> RequestResult {
        let shared = Arc::clone(&self.shared);
        let (Some(vendor), Some(buyer_token)) = (
            shared.fixture.vendors.get(purchase.vendor),
            shared.fixture.buyer_token(purchase.member, purchase.vendor),
        ) else {
            return RequestResult::Rejected(Cow::Borrowed("harness_bad_index"));
        };
        let content_url = format!("https://{}/a/{}", vendor.domain, purchase.article);
        let title = format!("Article {}", purchase.article);
        let body = AuthorizeBody {
            buyer_token,
            price: &shared.plan.price,
            currency: &shared.plan.currency,
            content_url: &content_url,
            title: &title,
        };
        let idempotency_key = self.idempotency_key();
        let reply = match self
            .post(
                "/v1/authorize",
                &vendor.authorization,
                &body,
                idempotency_key,
                REPLY_BODY_BYTES_MAX,
            )
            .await
        {
            Ok(reply) => reply,
            Err(result) => return result,
        };
        let Ok(reply) = serde_json::from_slice::<AuthorizeReply>(&reply) else {
            return RequestResult::Rejected(Cow::Borrowed("bad_reply"));
        };
        let Ok(charged) = money::parse_micros(&reply.charged) else {
            return RequestResult::Rejected(Cow::Borrowed("bad_reply"));
        };
        self.remember_access(
            purchase.vendor,
            AccessGrant {
                token: reply.access_token.into_boxed_str(),
                content_url: content_url.into_boxed_str(),
            },
        );
        match expect {
            Expect::Charged => {
                self.remember_owned(purchase);
                // A null server's canned reply does not follow the price; only shape is checked.
                if !shared.plan.null && (charged != shared.plan.price_micros || reply.already_owned)
                {
                    return RequestResult::Rejected(Cow::Borrowed("charge_mismatch"));
                }
            }
            Expect::Owned => {
                if charged != 0 || !reply.already_owned {
                    return RequestResult::Rejected(Cow::Borrowed("owned_mismatch"));
                }
            }
        }
        RequestResult::Ok
    }

    /// Sends one batch of `items` new purchases at a random vendor, for consecutive members from
    /// a random start (wrapping around), so neighbouring items never share a member unless only
    /// one is seeded. Random starts, rather than one cursor per worker, keep the single path's
    /// uniform spread over members and vendors while each batch still touches `items` members.
    ///
    /// The purchases are not remembered for `owned` or `access` requests: a batch run sends
    /// none, and keeping a thousand access tokens a batch would only cost the generator time.
    async fn authorize_batch(&mut self, items: u32) -> RequestResult {
        let shared = Arc::clone(&self.shared);
        let members = shared.fixture.members.max(1);
        let vendor_index = self.rng.gen_range(0..shared.fixture.vendors.len());
        let first_member = self.rng.gen_range(0..members);
        let Some(vendor) = shared.fixture.vendors.get(vendor_index) else {
            return RequestResult::Rejected(Cow::Borrowed("harness_bad_index"));
        };
        let Ok(count) = usize::try_from(items) else {
            return RequestResult::Failed("harness_encode");
        };
        // Bounded: `count` is at most `BATCH_ITEMS_MAX`, checked by `RunPlan`.
        let mut texts = Vec::with_capacity(count);
        for offset in 0..count {
            let member = first_member.wrapping_add(offset) % members;
            let Some(buyer_token) = shared.fixture.buyer_token(member, vendor_index) else {
                return RequestResult::Rejected(Cow::Borrowed("harness_bad_index"));
            };
            let article = self.next_article();
            texts.push((
                buyer_token,
                format!("https://{}/a/{article}", vendor.domain),
                format!("Article {article}"),
            ));
        }
        let bodies: Vec<AuthorizeBody<'_>> = texts
            .iter()
            .map(|(buyer_token, content_url, title)| AuthorizeBody {
                buyer_token,
                price: &shared.plan.price,
                currency: &shared.plan.currency,
                content_url,
                title,
            })
            .collect();
        let idempotency_key = self.idempotency_key();
        let reply = match self
            .post(
                "/v1/authorize/batch",
                &vendor.authorization,
                &BatchBody { items: &bodies },
                idempotency_key,
                REPLY_BODY_BYTES_MAX.max(count.saturating_mul(BATCH_RESULT_BYTES_MAX)),
            )
            .await
        {
            Ok(reply) => reply,
            Err(result) => return result,
        };
        let Ok(reply) = serde_json::from_slice::<BatchReply>(&reply) else {
            return RequestResult::Rejected(Cow::Borrowed("bad_reply"));
        };
        if reply.results.len() != count {
            return RequestResult::Rejected(Cow::Borrowed("batch_results_mismatch"));
        }
        // A null server's canned results do not follow the price; only their shape is checked.
        let price_micros = (!shared.plan.null).then_some(shared.plan.price_micros);
        RequestResult::Batch(tally_results(reply.results, price_micros))
    }

    async fn access(&mut self, vendor: usize, grant: AccessGrant) -> RequestResult {
        let shared = Arc::clone(&self.shared);
        let Some(vendor) = shared.fixture.vendors.get(vendor) else {
            return RequestResult::Rejected(Cow::Borrowed("harness_bad_index"));
        };
        let body = AccessBody {
            access_token: &grant.token,
            content_url: &grant.content_url,
        };
        let reply = match self
            .post(
                "/v1/access",
                &vendor.authorization,
                &body,
                None,
                REPLY_BODY_BYTES_MAX,
            )
            .await
        {
            Ok(reply) => reply,
            Err(result) => return result,
        };
        match serde_json::from_slice::<AccessReply>(&reply) {
            Ok(AccessReply { granted: true }) => RequestResult::Ok,
            Ok(AccessReply { granted: false }) => {
                RequestResult::Rejected(Cow::Borrowed("not_granted"))
            }
            Err(_) => RequestResult::Rejected(Cow::Borrowed("bad_reply")),
        }
    }

    /// POSTs a JSON body; `Ok` holds a 2xx reply body of at most `reply_bytes_max`, `Err` the
    /// result of anything else.
    async fn post<B: Serialize>(
        &mut self,
        path: &str,
        authorization: &HeaderValue,
        body: &B,
        idempotency_key: Option<String>,
        reply_bytes_max: usize,
    ) -> Result<Bytes, RequestResult> {
        let json = serde_json::to_vec(body).map_err(|_| RequestResult::Failed("harness_encode"))?;
        let mut request = client::request(
            Method::POST,
            &self.shared.target.host,
            path,
            Some(authorization),
            Some(json),
        )
        .map_err(|_| RequestResult::Failed("harness_encode"))?;
        if let Some(key) = idempotency_key {
            let value =
                HeaderValue::from_str(&key).map_err(|_| RequestResult::Failed("harness_encode"))?;
            request.headers_mut().insert("idempotency-key", value);
        }

        if self.conn.as_ref().is_none_or(Conn::is_closed) {
            self.conn = None;
            match Conn::connect(self.shared.target.addr).await {
                Ok(conn) => self.conn = Some(conn),
                Err(error) => {
                    self.print_transport_error(&error);
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    return Err(RequestResult::Failed(error.code()));
                }
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(RequestResult::Failed("io"));
        };
        match conn.send(request, REQUEST_TIMEOUT, reply_bytes_max).await {
            Ok((status, body)) if status.is_success() => Ok(body),
            Ok((status, body)) => Err(RequestResult::Rejected(Cow::Owned(problem_code(
                status, &body,
            )))),
            Err(error) => {
                self.conn = None;
                self.print_transport_error(&error);
                Err(RequestResult::Failed(error.code()))
            }
        }
    }

    fn print_transport_error(&self, error: &client::SendError) {
        if !self
            .shared
            .transport_error_printed
            .swap(true, Ordering::Relaxed)
        {
            eprintln!("load: first transport error (all are counted): {error}");
        }
    }
}

/// The error code of a non-2xx reply: the problem's `code` if it is a plain snake_case word,
/// else `http_<status>`.
pub fn problem_code(status: StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<Problem>(body)
        .ok()
        .and_then(|problem| plain_code(problem.code))
        .unwrap_or_else(|| format!("http_{}", status.as_u16()))
}

/// A code kept as a report key: a non-empty snake_case word of at most `ERROR_CODE_CHARS_MAX`.
fn plain_code(code: Option<String>) -> Option<String> {
    code.filter(|code| {
        !code.is_empty()
            && code.len() <= ERROR_CODE_CHARS_MAX
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Counts the item outcomes of a batch reply. A problem counts under its code (else
/// `http_<status>` from the problem, else `bad_problem`); an authorize reply counts as ok if it
/// charged `price_micros` for content not already owned (`None`: shape only, for null runs),
/// else as `charge_mismatch`; anything else as `bad_result`.
fn tally_results(results: Vec<BatchResult>, price_micros: Option<i128>) -> ItemTally {
    let mut tally = ItemTally::default();
    // Bounded: the reply body, and so the results, are bounded by the batch's byte limit.
    for result in results {
        match result {
            BatchResult {
                problem: Some(problem),
                ..
            } => {
                let code = match (plain_code(problem.code), problem.status) {
                    (Some(code), _) => Cow::Owned(code),
                    (None, Some(status)) => Cow::Owned(format!("http_{status}")),
                    (None, None) => Cow::Borrowed("bad_problem"),
                };
                tally.count_error(code);
            }
            BatchResult {
                charged: Some(charged),
                already_owned: Some(already_owned),
                access_token: Some(_),
                ..
            } => match (money::parse_micros(&charged), price_micros) {
                (Err(_), _) => tally.count_error(Cow::Borrowed("bad_result")),
                (Ok(_), None) => tally.ok += 1,
                (Ok(charged), Some(price)) if charged == price && !already_owned => tally.ok += 1,
                (Ok(_), Some(_)) => tally.count_error(Cow::Borrowed("charge_mismatch")),
            },
            _ => tally.count_error(Cow::Borrowed("bad_result")),
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_come_from_the_problem_or_the_status() {
        let body = br#"{"type":"https://farthing.example/problems/insufficient-funds","title":"t","status":402,"code":"insufficient_funds"}"#;
        assert_eq!(
            problem_code(StatusCode::PAYMENT_REQUIRED, body),
            "insufficient_funds"
        );
        assert_eq!(problem_code(StatusCode::BAD_GATEWAY, b"<html>"), "http_502");
        assert_eq!(
            problem_code(StatusCode::FORBIDDEN, br#"{"code":"Not A Code"}"#),
            "http_403"
        );
        assert_eq!(
            problem_code(StatusCode::NOT_FOUND, br#"{"title":"x"}"#),
            "http_404"
        );
    }

    #[test]
    fn batch_items_are_counted_by_outcome() {
        let reply = br#"{"results": [
            {"authorization_id":"a1","charged":"0.01","currency":"USD","already_owned":false,
             "entitlement":{},"access_token":"t1","member_ref":"m1"},
            {"problem":{"type":"/problems/insufficient_funds","title":"t","status":402,
             "code":"insufficient_funds"}},
            {"problem":{"type":"/problems/insufficient_funds","status":402,
             "code":"insufficient_funds"}},
            {"problem":{"type":"/problems/limit_exceeded","status":403,"code":"limit_exceeded"}},
            {"problem":{"status":409,"code":"Not A Code"}},
            {"problem":{"title":"no code, no status"}},
            {"charged":"0.02","already_owned":false,"access_token":"t2"},
            {"charged":"0.01","already_owned":true,"access_token":"t3"},
            {"charged":"a cent","already_owned":false,"access_token":"t4"},
            {"charged":"0.01","already_owned":false},
            {"granted":true}
        ]}"#;
        let results = serde_json::from_slice::<BatchReply>(reply).unwrap().results;
        assert_eq!(results.len(), 11);
        let tally = tally_results(results, Some(10_000));
        assert_eq!(tally.ok, 1);
        let expected: BTreeMap<String, u64> = [
            ("insufficient_funds", 2),
            ("limit_exceeded", 1),
            ("http_409", 1),
            ("bad_problem", 1),
            ("charge_mismatch", 2),
            ("bad_result", 3),
        ]
        .into_iter()
        .map(|(code, count)| (code.to_owned(), count))
        .collect();
        assert_eq!(tally.errors, expected);

        // Null runs check the shape only: any price, owned or not, is an ok item.
        let results = serde_json::from_slice::<BatchReply>(reply).unwrap().results;
        let tally = tally_results(results, None);
        assert_eq!(tally.ok, 3);
        assert_eq!(tally.errors.get("charge_mismatch"), None);
    }

    #[test]
    fn batch_outcomes_reach_the_stats() {
        let mut stats = Stats::new().unwrap();
        let mut tally = ItemTally {
            ok: 7,
            ..ItemTally::default()
        };
        tally.count_error(Cow::Borrowed("insufficient_funds"));
        stats.record(Kind::Authorize, Instant::now(), RequestResult::Batch(tally));
        stats.record(Kind::Authorize, Instant::now(), RequestResult::Ok);
        stats.record(
            Kind::Authorize,
            Instant::now(),
            RequestResult::Rejected(Cow::Borrowed("overloaded")),
        );
        let authorize = stats.kind(Kind::Authorize).unwrap();
        assert_eq!(authorize.count, 3);
        assert_eq!(authorize.histogram.len(), 3);
        assert_eq!(authorize.errors.get("overloaded"), Some(&1));
        // A whole-request failure is a request error, not a failed item.
        assert_eq!(stats.items_ok, 8);
        assert_eq!(stats.item_errors.len(), 1);
        assert_eq!(stats.item_errors.get("insufficient_funds"), Some(&1));

        let mut merged = Stats::new().unwrap();
        merged.merge(stats).unwrap();
        assert_eq!(merged.items_ok, 8);
        assert_eq!(merged.item_errors.get("insufficient_funds"), Some(&1));
    }

    #[test]
    fn error_codes_are_bounded() {
        let mut stats = KindStats::new().unwrap();
        for index in 0..ERROR_CODES_MAX + 10 {
            stats.count_error(Cow::Owned(format!("code_{index}")));
        }
        assert_eq!(stats.errors.len(), ERROR_CODES_MAX + 1);
        assert_eq!(stats.errors.get("other"), Some(&10));

        // Item codes, and the merge of many workers' item codes, keep the same bound.
        let mut merged = Stats::new().unwrap();
        for worker in 0..3 {
            let mut tally = ItemTally::default();
            for index in 0..ERROR_CODES_MAX {
                tally.count_error(Cow::Owned(format!("code_{worker}_{index}")));
            }
            let mut stats = Stats::new().unwrap();
            stats.record(Kind::Authorize, Instant::now(), RequestResult::Batch(tally));
            merged.merge(stats).unwrap();
        }
        assert_eq!(merged.item_errors.len(), ERROR_CODES_MAX + 1);
        assert_eq!(
            merged.item_errors.get("other"),
            Some(&(2 * u64::try_from(ERROR_CODES_MAX).unwrap()))
        );
    }
}
