//! Configuration: a TOML file, overridden by `FARTHING_<SECTION>__<KEY>` environment
//! variables, read into `RawConfig` (the file's shape, strings and all) and validated into
//! `Config` before anything starts (ripgrep's `LowArgs` -> `HiArgs`).
//!
//! Every limit is named with its unit and has a range with a reason; money settings are
//! parsed into `Amount`s here, once, so no request re-parses them. An unknown key, in the file
//! or in the environment, is an error, not a silent default. An environment override is read as
//! the type the file gives its key, never guessed from the text. Depends on `domain::money`
//! for amounts (and on the `argon2` library for its cost bounds), on nothing else in the crate.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use crate::domain::bank::BankAccount;
use crate::domain::cash_out::CashOutCharge;
use crate::domain::money::{Amount, Currency, parse_amount};

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML (after environment overrides) does not match the schema.
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A value is out of its allowed range.
    #[error("invalid setting {key}: {reason}")]
    Invalid {
        /// `section.key`.
        key: &'static str,
        /// What is allowed.
        reason: &'static str,
    },
    /// A `FARTHING_` environment variable names no setting of the file, or its text is not of
    /// that setting's type. Kept apart from `Parse` so the message names the variable to fix.
    #[error("environment variable {variable}: {reason}")]
    Environment {
        /// The variable, as set (`FARTHING_<SECTION>__<KEY>`).
        variable: String,
        /// Which setting it names, if any, and what it must be.
        reason: String,
    },
}

/// `[server]`.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Arbiter threads; 0 = one per core.
    pub shards: usize,
    /// 0: serve HTTP on the shards' threads; N: on a separate runtime of N threads.
    pub http_threads: usize,
    /// Open connections at most.
    pub connections_max: usize,
    /// Largest request body, bytes.
    pub request_body_bytes_max: usize,
    /// Largest body of `POST /v1/authorize/batch`, bytes.
    pub batch_body_bytes_max: usize,
    /// Time to read a request, ms.
    pub request_read_timeout_ms: u64,
    /// Grace for in-flight requests at shutdown, ms.
    pub shutdown_grace_ms: u64,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Open connections per client address at most (a trusted proxy is exempt).
    pub connections_per_client_max: usize,
    /// Time a response may stay unwritten because the client does not read, ms.
    pub response_write_timeout_ms: u64,
    /// Time a kept-alive connection may wait idle for its next request, ms.
    pub keep_alive_idle_ms: u64,
    /// Largest request head (request line and headers), bytes.
    pub request_head_bytes_max: usize,
}

/// `[actors]`.
#[derive(Clone, Debug)]
pub struct ActorsConfig {
    /// Mailbox capacity per actor.
    pub mailbox_messages_max: usize,
    /// Accounts in memory at most.
    pub accounts_in_memory_max: usize,
    /// Sessions per login.
    pub sessions_per_login_max: usize,
    /// How often a vendor that changed snapshots itself and prunes expired offers, ms.
    pub vendor_snapshot_interval_ms: u64,
    /// Events an account appends between two of its snapshots.
    pub account_snapshot_events: u64,
}

/// `[journal]`.
#[derive(Clone, Debug)]
pub struct JournalSettings {
    /// Events per fsync at most.
    pub batch_events_max: usize,
    /// Entries queued at most.
    pub queue_entries_max: usize,
    /// Snapshot batches waiting for the snapshot writer at most.
    pub snapshot_queue_max: usize,
    /// Statement rows held in memory before they are written as one table.
    pub statement_rows_max: usize,
    /// How often the feed checkpoints the members' totals and the directory, ms.
    pub checkpoint_interval_ms: u64,
}

/// `[tokens]`.
#[derive(Clone, Debug)]
pub struct TokensConfig {
    /// Access token lifetime, ms.
    pub access_token_ttl_ms: u64,
    /// Absolute session lifetime, ms.
    pub session_absolute_ttl_ms: u64,
    /// Idle session timeout, ms.
    pub session_idle_ttl_ms: u64,
    /// How long a vendor's API key keeps working after the vendor rotated away from it, ms
    /// (0 to 30 days), so its servers can move to the new key without refusals.
    pub api_key_overlap_ms: u64,
}

/// `[idempotency]`.
#[derive(Clone, Debug)]
pub struct IdempotencyConfig {
    /// Retention, ms.
    pub retention_ms: u64,
    /// Keys remembered at most.
    pub keys_max: usize,
    /// Keys one vendor has remembered at most (above: 429 for that vendor only).
    pub keys_per_vendor_max: usize,
}

/// `[members]`.
#[derive(Clone, Debug)]
pub struct MembersConfig {
    /// Argon2id memory, KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Members per bulk call at most.
    pub bulk_members_per_call_max: usize,
    /// The three argon2 costs above, checked by argon2 once at start.
    pub argon2_params: argon2::Params,
    /// Password hashes running at once at most (each holds `argon2_memory_kib`).
    pub argon2_hashes_concurrent_max: usize,
    /// Requests waiting for a hashing slot at most; beyond, 503 at once.
    pub argon2_hash_waiters_max: usize,
    /// How long a request waits for a hashing slot at most, ms; then 503.
    pub argon2_hash_wait_ms_max: u64,
    /// Sign-in failures per e-mail before growing delays start.
    pub sign_in_failures_per_email_max: u32,
    /// The e-mail failures' window (longest delay, and quiet time that forgets them), ms.
    pub sign_in_failures_per_email_window_ms: u64,
    /// Sign-in failures per client address (across e-mails) before growing delays start.
    pub sign_in_failures_per_address_max: u32,
    /// The address failures' window, ms.
    pub sign_in_failures_per_address_window_ms: u64,
    /// Registrations per client address before growing delays start.
    pub registrations_per_address_max: u32,
    /// The registrations' window, ms.
    pub registrations_per_address_window_ms: u64,
    /// Keys (e-mails, addresses) each throttle tracks at most; the stalest go first.
    pub throttle_keys_max: usize,
    /// Index entries one statement page reads at most, matching or not: a filter that matches
    /// little answers a short page and a cursor to read on, so one request's work is bounded.
    pub statement_scan_max: u64,
}

/// `[admin]`.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// Admin key file; empty means `<data_dir>/admin.key`.
    pub key_file: String,
    /// How long an operator's back-office session and a vendor admin's session last, ms
    /// (1 minute to 1 day).
    pub operator_session_ttl_ms: u64,
    /// Security functions whose calls wait for a second person's approval (four eyes):
    /// typically those that create money (`deposits.create`, `credit_lines.update`,
    /// `settlement_runs.create`). Checked against the route table at start.
    pub four_eyes_functions: Vec<String>,
}

/// Currencies one service may hold wallets in at most: also the most wallets one account
/// can have.
pub const CURRENCIES_MAX: usize = 64;

/// `[money]`.
#[derive(Clone, Debug)]
pub struct MoneyConfig {
    /// Currencies members may hold wallets in and vendors may sell in (1 to
    /// `CURRENCIES_MAX`, no repeats).
    pub currencies: Vec<Currency>,
    /// The cash-out service charge of every supported currency.
    pub cash_out_charges: BTreeMap<Currency, CashOutCharge>,
}

impl MoneyConfig {
    /// Whether wallets and vendors may use `currency`.
    #[must_use]
    pub fn supports(&self, currency: Currency) -> bool {
        self.currencies.contains(&currency)
    }

    /// The cash-out charge rule of `currency` (every supported currency has one).
    #[must_use]
    pub fn cash_out_charge(&self, currency: Currency) -> Option<CashOutCharge> {
        self.cash_out_charges.get(&currency).copied()
    }
}

/// `[payments]`.
#[derive(Clone, Debug)]
pub struct PaymentsConfig {
    /// How often accepted bank debits are asked about, ms.
    pub settlement_poll_ms: u64,
    /// How long a transfer stays in transit before it is delivered again, ms (its first
    /// delivery failed: the recipient was busy, or the server stopped in between).
    pub transfer_retry_ms: u64,
}

/// `[incentives]`.
#[derive(Clone, Debug)]
pub struct IncentivesConfig {
    /// How often grants past their expiry are recorded as expired, ms.
    pub expiry_sweep_ms: u64,
    /// The signup bonus per currency ([0116], [0127], [0159]): granted at registration in
    /// the registration's currency, if that currency has one.
    pub signup_bonus: BTreeMap<Currency, SignupBonus>,
}

/// A signup bonus: an MSP incentive with its own expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignupBonus {
    /// What it is worth.
    pub amount: Amount,
    /// How long after registration it can be spent, days.
    pub valid_days: u32,
}

/// `[settlement]`: paying vendors and rights holders ([0152], [0205]-[0208]).
#[derive(Clone, Debug)]
pub struct SettlementConfig {
    /// How often a settlement run pays what is due by each payee's threshold and schedule,
    /// ms; 0 turns the tick off (runs only on an operator's demand).
    pub tick_ms: u64,
    /// Where payment files go; empty means `<data_dir>/outbox/payments`.
    pub outbox_dir: String,
    /// The MSP's own account, debited by every payment file.
    pub debtor: BankAccount,
    /// How long a referral earns its vendor a commission on the member's purchases, calendar
    /// months from registration ([0211]).
    pub referral_months: u32,
}

/// `[offers]`.
#[derive(Clone, Debug)]
pub struct OffersConfig {
    /// How long an offer can be bought after it is posted, ms.
    pub ttl_ms: u64,
    /// Offers one vendor holds at most (live ones and expired ones not yet pruned).
    pub per_vendor_max: usize,
    /// How long a purchase in progress holds its offer against a second buyer, ms.
    pub claim_ms: u64,
    /// How long an expired offer is kept (answering "expired", not "unknown"), ms.
    pub expired_kept_ms: u64,
}

/// `[buy_window]`.
#[derive(Clone, Debug)]
pub struct BuyWindowConfig {
    /// Base URL browsers reach farthing at (buy URLs); empty = `http://<listen address>`.
    pub public_url: String,
    /// Derived from `public_url` (no setting of its own): true when it is https. The session
    /// and CSRF cookies are then `Secure` with `__Host-` names; over http (local development)
    /// a browser would refuse such cookies, so they keep plain names.
    pub secure_cookies: bool,
    /// Added to the shortage by an automatic top-off, in the wallet's currency. Parsed from
    /// the file's decimal string at start, so a bad value stops start-up rather than every
    /// top-off.
    pub top_off_amount: Amount,
    /// Largest amount one top-off or added-funds charge may be; above zero.
    pub charge_max: Amount,
    /// Lifetime of a public-computer session, which ends after its one purchase, ms.
    pub public_session_ttl_ms: u64,
}

/// `[metrics]`.
#[derive(Clone, Debug)]
pub struct MetricsConfig {
    /// The bearer token `GET /metrics` requires; `None`: none (as before the setting).
    pub token: Option<MetricsToken>,
    /// Serve `/metrics` on this address instead of the API port; `None`: the API port.
    pub listen: Option<SocketAddr>,
}

/// The bearer token of `/metrics`. Its `Debug` hides it, so printing the configuration never
/// prints the secret; it is compared in constant time.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Shortest token accepted: a short one could be guessed by a scraper of the port.
    pub const CHARS_MIN: usize = 16;
    /// Longest token accepted.
    pub const CHARS_MAX: usize = 256;

    /// A token of `CHARS_MIN` to `CHARS_MAX` visible ASCII characters (what fits in an
    /// `Authorization: Bearer` header unchanged), else `None`.
    #[must_use]
    pub fn parse(text: &str) -> Option<MetricsToken> {
        let fits = (Self::CHARS_MIN..=Self::CHARS_MAX).contains(&text.len())
            && text.bytes().all(|byte| byte.is_ascii_graphic());
        fits.then(|| MetricsToken(text.to_owned()))
    }

    /// True when `presented` is this token (constant time in the token's content).
    #[must_use]
    pub fn verify(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

/// `[log]`.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// How lines are written.
    pub format: LogFormat,
    /// Which lines are written: a `tracing` filter (`RUST_LOG` syntax), checked at start.
    pub filter: String,
}

/// How log lines are written (to stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The validated configuration. Made only by validating a `RawConfig` (`Config::load`,
/// `Config::from_toml`), so every value in it is within its rule.
#[derive(Clone, Debug)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[actors]`.
    pub actors: ActorsConfig,
    /// `[journal]`.
    pub journal: JournalSettings,
    /// `[tokens]`.
    pub tokens: TokensConfig,
    /// `[idempotency]`.
    pub idempotency: IdempotencyConfig,
    /// `[members]`.
    pub members: MembersConfig,
    /// `[admin]`.
    pub admin: AdminConfig,
    /// `[money]`.
    pub money: MoneyConfig,
    /// `[payments]`.
    pub payments: PaymentsConfig,
    /// `[incentives]`.
    pub incentives: IncentivesConfig,
    /// `[settlement]`.
    pub settlement: SettlementConfig,
    /// `[offers]`.
    pub offers: OffersConfig,
    /// `[buy_window]`.
    pub buy_window: BuyWindowConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[log]`.
    pub log: LogConfig,
    /// `[mail]`: the daily summary mail.
    pub mail: crate::mail::MailConfig,
    /// `[step_up]`: security questions asked again.
    pub step_up: StepUpConfig,
}

/// `[step_up]`: how a member is asked a security question again ([0154]-[0158]).
#[derive(Clone, Copy, Debug)]
pub struct StepUpConfig {
    /// How long a challenge (the question asked) may be answered, ms.
    pub challenge_ttl_ms: u64,
    /// How long a step-up token lets the session's sensitive changes through, and a right
    /// answer lets unusual purchases through, ms.
    pub pass_ms: u64,
    /// Wrong answers in a row that end the session and lock step-up.
    pub failures_max: u32,
    /// How long the lock lasts, ms.
    pub lock_ms: u64,
    /// The unusual-activity rule before a purchase (both parts off at 0).
    pub unusual: crate::domain::step_up::UnusualActivity,
}

impl StepUpConfig {
    /// The domain's counting rule.
    #[must_use]
    pub fn policy(&self) -> crate::domain::step_up::StepUpPolicy {
        crate::domain::step_up::StepUpPolicy {
            failures_max: self.failures_max,
            lock_ms: self.lock_ms,
            pass_ms: self.pass_ms,
        }
    }
}

/// The file as written: the serde shape of `config/farthing.toml`, with money still text.
/// Nothing outside this module sees it; `RawConfig::validate` turns it into a `Config`.
/// Each section's fields mean what the same fields of its validated section say.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    actors: RawActors,
    journal: RawJournal,
    tokens: RawTokens,
    idempotency: RawIdempotency,
    members: RawMembers,
    admin: RawAdmin,
    money: RawMoney,
    payments: RawPayments,
    incentives: RawIncentives,
    settlement: RawSettlement,
    offers: RawOffers,
    buy_window: RawBuyWindow,
    metrics: RawMetrics,
    log: RawLog,
    // Every setting has a default (the file transport writes into the data directory), so
    // a file written before mail existed still starts.
    #[serde(default)]
    mail: crate::mail::MailConfig,
    // Defaults too (the unusual-activity rule off), for the same reason.
    #[serde(default)]
    step_up: RawStepUp,
}

/// `[step_up]` as written; see `StepUpConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStepUp {
    challenge_ttl_ms: u64,
    pass_ms: u64,
    failures_max: u32,
    lock_ms: u64,
    unusual_price_multiple: u32,
    unusual_purchases_per_minute: u32,
}

impl Default for RawStepUp {
    fn default() -> RawStepUp {
        RawStepUp {
            challenge_ttl_ms: 5 * MINUTE_MS,
            pass_ms: 5 * MINUTE_MS,
            failures_max: 3,
            lock_ms: 15 * MINUTE_MS,
            unusual_price_multiple: 0,
            unusual_purchases_per_minute: 0,
        }
    }
}

impl RawStepUp {
    fn validate(self) -> Result<StepUpConfig, ConfigError> {
        let RawStepUp {
            challenge_ttl_ms,
            pass_ms,
            failures_max,
            lock_ms,
            unusual_price_multiple,
            unusual_purchases_per_minute,
        } = self;
        Ok(StepUpConfig {
            challenge_ttl_ms: within(
                "step_up.challenge_ttl_ms",
                challenge_ttl_ms,
                SECOND_MS..=HOUR_MS,
                "1 second to 1 hour",
            )?,
            pass_ms: within(
                "step_up.pass_ms",
                pass_ms,
                SECOND_MS..=DAY_MS,
                "1 second to 1 day",
            )?,
            failures_max: within("step_up.failures_max", failures_max, 1..=100, "1 to 100")?,
            lock_ms: within(
                "step_up.lock_ms",
                lock_ms,
                SECOND_MS..=DAY_MS,
                "1 second to 1 day",
            )?,
            unusual: crate::domain::step_up::UnusualActivity {
                price_multiple: within(
                    "step_up.unusual_price_multiple",
                    unusual_price_multiple,
                    0..=1_000_000,
                    "0 (off) to 1000000",
                )?,
                purchases_per_minute: within(
                    "step_up.unusual_purchases_per_minute",
                    unusual_purchases_per_minute,
                    0..=100_000,
                    "0 (off) to 100000",
                )?,
            },
        })
    }
}

/// `[server]` as written; see `ServerConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: SocketAddr,
    data_dir: PathBuf,
    shards: usize,
    http_threads: usize,
    connections_max: usize,
    request_body_bytes_max: usize,
    batch_body_bytes_max: usize,
    request_read_timeout_ms: u64,
    shutdown_grace_ms: u64,
    trusted_proxies: Vec<String>,
    connections_per_client_max: usize,
    response_write_timeout_ms: u64,
    keep_alive_idle_ms: u64,
    request_head_bytes_max: usize,
}

/// `[actors]` as written; see `ActorsConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActors {
    mailbox_messages_max: usize,
    accounts_in_memory_max: usize,
    sessions_per_login_max: usize,
    vendor_snapshot_interval_ms: u64,
    account_snapshot_events: u64,
}

/// `[journal]` as written; see `JournalSettings`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJournal {
    batch_events_max: usize,
    queue_entries_max: usize,
    snapshot_queue_max: usize,
    statement_rows_max: usize,
    checkpoint_interval_ms: u64,
}

/// `[tokens]` as written; see `TokensConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTokens {
    access_token_ttl_ms: u64,
    session_absolute_ttl_ms: u64,
    session_idle_ttl_ms: u64,
    api_key_overlap_ms: u64,
}

/// `[idempotency]` as written; see `IdempotencyConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdempotency {
    retention_ms: u64,
    keys_max: usize,
    keys_per_vendor_max: usize,
}

/// `[members]` as written; see `MembersConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMembers {
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    argon2_parallelism: u32,
    bulk_members_per_call_max: usize,
    argon2_hashes_concurrent_max: usize,
    argon2_hash_waiters_max: usize,
    argon2_hash_wait_ms_max: u64,
    sign_in_failures_per_email_max: u32,
    sign_in_failures_per_email_window_ms: u64,
    sign_in_failures_per_address_max: u32,
    sign_in_failures_per_address_window_ms: u64,
    registrations_per_address_max: u32,
    registrations_per_address_window_ms: u64,
    throttle_keys_max: usize,
    statement_scan_max: u64,
}

/// `[admin]` as written; see `AdminConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    key_file: String,
    operator_session_ttl_ms: u64,
    four_eyes_functions: Vec<String>,
}

impl RawAdmin {
    fn validate(self) -> Result<AdminConfig, ConfigError> {
        if !(60_000..=DAY_MS).contains(&self.operator_session_ttl_ms) {
            return Err(ConfigError::Invalid {
                key: "admin.operator_session_ttl_ms",
                reason: "1 minute to 1 day",
            });
        }
        Ok(AdminConfig {
            key_file: self.key_file,
            operator_session_ttl_ms: self.operator_session_ttl_ms,
            four_eyes_functions: self.four_eyes_functions,
        })
    }
}

/// `[money]` as written; see `MoneyConfig`. Currencies are ISO 4217 codes here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMoney {
    currencies: Vec<String>,
    cash_out_charges: BTreeMap<String, RawCashOutCharge>,
}

/// One currency's cash-out charge as written; see `CashOutCharge`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCashOutCharge {
    fixed: String,
    rate_ppm: u32,
}

/// `[payments]` as written; see `PaymentsConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayments {
    settlement_poll_ms: u64,
    transfer_retry_ms: u64,
}

/// `[incentives]` as written; see `IncentivesConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncentives {
    expiry_sweep_ms: u64,
    signup_bonus: BTreeMap<String, RawSignupBonus>,
}

/// One currency's signup bonus as written; see `SignupBonus`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignupBonus {
    amount: String,
    valid_days: u32,
}

impl RawIncentives {
    /// The money section must be valid already: a bonus is only for a supported currency.
    fn validate(self, money: &MoneyConfig) -> Result<IncentivesConfig, ConfigError> {
        let invalid = || ConfigError::Invalid {
            key: "incentives.signup_bonus",
            reason: "per supported currency, { amount = \"1.00\" (above 0, at most 1000), \
                     valid_days = 1 to 3650 }",
        };
        let mut signup_bonus = BTreeMap::new();
        for (code, raw) in self.signup_bonus {
            let currency = Currency::parse(&code).map_err(|_| invalid())?;
            let amount = parse_amount(&raw.amount).map_err(|_| invalid())?;
            let supported = money.supports(currency);
            let most = Amount::from_micros(1_000_000_000);
            if !supported
                || amount.is_zero()
                || amount > most
                || !(1..=3650).contains(&raw.valid_days)
            {
                return Err(invalid());
            }
            let bonus = SignupBonus {
                amount,
                valid_days: raw.valid_days,
            };
            signup_bonus.insert(currency, bonus);
        }
        Ok(IncentivesConfig {
            expiry_sweep_ms: within(
                "incentives.expiry_sweep_ms",
                self.expiry_sweep_ms,
                1..=HOUR_MS,
                "1 ms to 1 hour",
            )?,
            signup_bonus,
        })
    }
}

/// `[settlement]` as written; see `SettlementConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettlement {
    tick_ms: u64,
    outbox_dir: String,
    debtor_name: String,
    debtor_iban: String,
    debtor_bic: String,
    referral_months: u32,
}

impl RawSettlement {
    fn validate(self) -> Result<SettlementConfig, ConfigError> {
        if self.tick_ms != 0 && !(1_000..=DAY_MS).contains(&self.tick_ms) {
            return Err(ConfigError::Invalid {
                key: "settlement.tick_ms",
                reason: "0 (off) or 1 second to 1 day",
            });
        }
        let bic = Some(self.debtor_bic.as_str()).filter(|bic| !bic.is_empty());
        let debtor =
            BankAccount::parse(&self.debtor_iban, bic, &self.debtor_name).map_err(|invalid| {
                ConfigError::Invalid {
                    key: match invalid.param {
                        "iban" => "settlement.debtor_iban",
                        "bic" => "settlement.debtor_bic",
                        _ => "settlement.debtor_name",
                    },
                    reason: "the MSP's account: a valid IBAN, an 8 or 11 character BIC or empty, \
                         a name of 1 to 70 characters",
                }
            })?;
        Ok(SettlementConfig {
            tick_ms: self.tick_ms,
            outbox_dir: self.outbox_dir,
            debtor,
            referral_months: within(
                "settlement.referral_months",
                self.referral_months,
                1..=120,
                "1 to 120 months",
            )?,
        })
    }
}

/// `[offers]` as written; see `OffersConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffers {
    ttl_ms: u64,
    per_vendor_max: usize,
    claim_ms: u64,
    expired_kept_ms: u64,
}

/// `[buy_window]` as written; see `BuyWindowConfig`. The amounts are decimal strings here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuyWindow {
    public_url: String,
    top_off_amount: String,
    charge_max: String,
    public_session_ttl_ms: u64,
}

/// `[metrics]` as written; see `MetricsConfig`. Empty strings mean "not set".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    token: String,
    listen: String,
}

/// `[log]` as written; see `LogConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: String,
    filter: String,
}

/// The environment variable prefix for overrides.
const ENV_PREFIX: &str = "FARTHING_";

/// Between the prefix's section and key: `FARTHING_<SECTION>__<KEY>`.
const ENV_SEPARATOR: &str = "__";

/// One second, ms.
const SECOND_MS: u64 = 1_000;
/// One minute, ms.
const MINUTE_MS: u64 = 60 * SECOND_MS;
/// One hour, ms.
const HOUR_MS: u64 = 60 * MINUTE_MS;
/// One day, ms.
const DAY_MS: u64 = 24 * HOUR_MS;
/// A year of 365 days, ms.
const YEAR_MS: u64 = 365 * DAY_MS;

/// Threads farthing starts at most for `server.shards` or `server.http_threads`: far beyond any
/// machine it runs on, low enough that a typo does not start a million threads.
const THREADS_MAX: usize = 256;

/// Smallest `server.request_head_bytes_max`: a request line and a few ordinary headers.
const REQUEST_HEAD_BYTES_MIN: usize = 1024;
/// Largest `server.request_head_bytes_max`: under hyper's read buffer (about 400 KB), which
/// would otherwise be the limit that answers.
const REQUEST_HEAD_BYTES_MAX: usize = 256 << 10;

impl Config {
    /// Reads `path`, applies overrides from the process environment, validates.
    ///
    /// # Errors
    /// `ConfigError` naming the file, the key or the rule.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text, std::env::vars())
    }

    /// Parses TOML text with the given `(name, value)` overrides, then validates. Pure: tests
    /// pass their own environment. Names without the `FARTHING_` prefix are ignored.
    ///
    /// # Errors
    /// `ConfigError::Parse` when the text (after overrides) does not match the schema,
    /// `ConfigError::Environment` for an override that names no setting or has the wrong
    /// type, `ConfigError::Invalid` for a value outside its rule.
    pub fn from_toml(
        text: &str,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string()))?;
        for (name, value) in environment {
            apply_override(&mut table, &name, &value)?;
        }
        let raw: RawConfig = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string()))?;
        raw.validate()
    }

    /// The admin key file.
    #[must_use]
    pub fn admin_key_path(&self) -> PathBuf {
        if self.admin.key_file.is_empty() {
            self.server.data_dir.join("admin.key")
        } else {
            PathBuf::from(&self.admin.key_file)
        }
    }

    /// Where payment files go.
    #[must_use]
    pub fn payments_outbox(&self) -> PathBuf {
        if self.settlement.outbox_dir.is_empty() {
            self.server.data_dir.join("outbox").join("payments")
        } else {
            PathBuf::from(&self.settlement.outbox_dir)
        }
    }

    /// Arbiter threads to start.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        if self.server.shards == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            self.server.shards
        }
    }
}

/// Replaces the file's value of the setting `name` names with `text`, read as the type the
/// file gives that setting. The file is the schema here: every setting is in it (none has a
/// default), so a variable naming something the file lacks is a typo and is refused.
///
/// Rejected alternative: guessing the type from the text (digits make an integer), which
/// turned `FARTHING_SERVER__DATA_DIR=123` into an integer and refused it.
fn apply_override(table: &mut toml::Table, name: &str, text: &str) -> Result<(), ConfigError> {
    let Some(path) = name.strip_prefix(ENV_PREFIX) else {
        return Ok(());
    };
    let refuse = |reason: String| ConfigError::Environment {
        variable: name.to_owned(),
        reason,
    };
    let Some((section, key)) = path.split_once(ENV_SEPARATOR) else {
        return Err(refuse(
            "not of the form FARTHING_<SECTION>__<KEY>".to_owned(),
        ));
    };
    let section = section.to_ascii_lowercase();
    let key = key.to_ascii_lowercase();
    let Some(toml::Value::Table(settings)) = table.get_mut(&section) else {
        return Err(refuse(format!("the file has no section [{section}]")));
    };
    let Some(current) = settings.get_mut(&key) else {
        return Err(refuse(format!("the file has no setting {section}.{key}")));
    };
    let typed = match current {
        toml::Value::String(_) => Ok(toml::Value::String(text.to_owned())),
        toml::Value::Integer(_) => text
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| "an integer"),
        toml::Value::Boolean(_) => match text {
            "true" => Ok(toml::Value::Boolean(true)),
            "false" => Ok(toml::Value::Boolean(false)),
            _ => Err("true or false"),
        },
        // The file has no float, date or array settings; refuse rather than guess a syntax.
        toml::Value::Float(_)
        | toml::Value::Datetime(_)
        | toml::Value::Array(_)
        | toml::Value::Table(_) => Err("a value that cannot be set from the environment"),
    };
    // The text is not echoed: the reason names the setting and its type, which is enough.
    *current = typed.map_err(|wanted| refuse(format!("{section}.{key} takes {wanted}")))?;
    Ok(())
}

/// `value` if it lies in `allowed`, else `ConfigError::Invalid` naming `key` and `reason`.
fn within<T: PartialOrd>(
    key: &'static str,
    value: T,
    allowed: RangeInclusive<T>,
    reason: &'static str,
) -> Result<T, ConfigError> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid { key, reason })
    }
}

/// `[mail]`: the numbers by their own keys (as every other range here), then the mail
/// edge's own checks of addresses and names.
fn validate_mail(mail: crate::mail::MailConfig) -> Result<crate::mail::MailConfig, ConfigError> {
    use crate::mail::{CATCH_UP_DAYS_MAX, RELAY_MESSAGES_MAX, SMTP_TIMEOUT_MS_MAX, TICK_MS_MAX};
    within("mail.smtp_port", mail.smtp_port, 1..=u16::MAX, "1 to 65535")?;
    within(
        "mail.smtp_timeout_ms",
        mail.smtp_timeout_ms,
        1..=SMTP_TIMEOUT_MS_MAX,
        "1 ms to 10 minutes",
    )?;
    within(
        "mail.relay_messages_max",
        mail.relay_messages_max,
        1..=RELAY_MESSAGES_MAX,
        "1 to 100000",
    )?;
    within(
        "mail.tick_ms",
        mail.tick_ms,
        0..=TICK_MS_MAX,
        "0 (off) to 1 day",
    )?;
    within(
        "mail.catch_up_days",
        mail.catch_up_days,
        1..=CATCH_UP_DAYS_MAX,
        "1 to 31",
    )?;
    mail.validate()
        .map_err(|error| ConfigError::Parse(error.to_string()))?;
    Ok(mail)
}

/// One `server.trusted_proxies` entry: a network in CIDR notation or a bare address.
fn parse_network(text: &str) -> Result<IpNet, ()> {
    if let Ok(network) = text.parse::<IpNet>() {
        return Ok(network.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(IpNet::from)
        .map_err(|_| ())
}

/// A decimal amount from the file, or `ConfigError::Invalid` naming `key`.
fn amount(key: &'static str, text: &str, reason: &'static str) -> Result<Amount, ConfigError> {
    parse_amount(text).map_err(|_| ConfigError::Invalid { key, reason })
}

impl RawConfig {
    /// Checks every setting against its rule and builds the `Config`. Each section is taken
    /// apart field by field, so a key added to a raw section does not compile until it is
    /// given a rule (or, for a text or flag, passed on knowingly).
    fn validate(self) -> Result<Config, ConfigError> {
        let RawConfig {
            server,
            actors,
            journal,
            tokens,
            idempotency,
            members,
            admin,
            money,
            payments,
            incentives,
            settlement,
            offers,
            buy_window,
            metrics,
            log,
            mail,
            step_up,
        } = self;
        let mail = validate_mail(mail)?;
        let step_up = step_up.validate()?;
        let money = money.validate()?;
        Ok(Config {
            server: server.validate()?,
            actors: actors.validate()?,
            journal: journal.validate()?,
            tokens: tokens.validate()?,
            idempotency: idempotency.validate()?,
            members: members.validate()?,
            admin: admin.validate()?,
            incentives: incentives.validate(&money)?,
            settlement: settlement.validate()?,
            money,
            payments: PaymentsConfig {
                settlement_poll_ms: within(
                    "payments.settlement_poll_ms",
                    payments.settlement_poll_ms,
                    1..=HOUR_MS,
                    "1 ms to 1 hour",
                )?,
                transfer_retry_ms: within(
                    "payments.transfer_retry_ms",
                    payments.transfer_retry_ms,
                    1..=HOUR_MS,
                    "1 ms to 1 hour",
                )?,
            },
            offers: offers.validate()?,
            buy_window: buy_window.validate()?,
            metrics: metrics.validate()?,
            log: log.validate()?,
            mail,
            step_up,
        })
    }
}

impl RawServer {
    fn validate(self) -> Result<ServerConfig, ConfigError> {
        let RawServer {
            listen,
            data_dir,
            shards,
            http_threads,
            connections_max,
            request_body_bytes_max,
            batch_body_bytes_max,
            request_read_timeout_ms,
            shutdown_grace_ms,
            trusted_proxies,
            connections_per_client_max,
            response_write_timeout_ms,
            keep_alive_idle_ms,
            request_head_bytes_max,
        } = self;
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|entry| parse_network(entry))
            .collect::<Result<Vec<_>, ()>>()
            .map_err(|()| ConfigError::Invalid {
                key: "server.trusted_proxies",
                reason: "addresses or networks in CIDR notation (10.0.0.0/8, ::1)",
            })?;
        Ok(ServerConfig {
            listen,
            data_dir,
            shards: within(
                "server.shards",
                shards,
                0..=THREADS_MAX,
                "0 (one per core) to 256",
            )?,
            http_threads: within(
                "server.http_threads",
                http_threads,
                0..=THREADS_MAX,
                "0 (the shards' threads) to 256",
            )?,
            connections_max: within(
                "server.connections_max",
                connections_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            request_body_bytes_max: within(
                "server.request_body_bytes_max",
                request_body_bytes_max,
                256..=16 << 20,
                "256 bytes to 16 MiB",
            )?,
            batch_body_bytes_max: within(
                "server.batch_body_bytes_max",
                batch_body_bytes_max,
                256..=64 << 20,
                "256 bytes to 64 MiB",
            )?,
            request_read_timeout_ms: within(
                "server.request_read_timeout_ms",
                request_read_timeout_ms,
                1..=10 * MINUTE_MS,
                "1 ms to 10 minutes",
            )?,
            shutdown_grace_ms: within(
                "server.shutdown_grace_ms",
                shutdown_grace_ms,
                0..=10 * MINUTE_MS,
                "0 to 10 minutes",
            )?,
            trusted_proxies,
            connections_per_client_max: within(
                "server.connections_per_client_max",
                connections_per_client_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            response_write_timeout_ms: within(
                "server.response_write_timeout_ms",
                response_write_timeout_ms,
                1..=10 * MINUTE_MS,
                "1 ms to 10 minutes",
            )?,
            keep_alive_idle_ms: within(
                "server.keep_alive_idle_ms",
                keep_alive_idle_ms,
                1..=10 * MINUTE_MS,
                "1 ms to 10 minutes",
            )?,
            request_head_bytes_max: within(
                "server.request_head_bytes_max",
                request_head_bytes_max,
                REQUEST_HEAD_BYTES_MIN..=REQUEST_HEAD_BYTES_MAX,
                "1 KiB to 256 KiB",
            )?,
        })
    }
}

impl RawActors {
    fn validate(self) -> Result<ActorsConfig, ConfigError> {
        let RawActors {
            mailbox_messages_max,
            accounts_in_memory_max,
            sessions_per_login_max,
            vendor_snapshot_interval_ms,
            account_snapshot_events,
        } = self;
        Ok(ActorsConfig {
            mailbox_messages_max: within(
                "actors.mailbox_messages_max",
                mailbox_messages_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            accounts_in_memory_max: within(
                "actors.accounts_in_memory_max",
                accounts_in_memory_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            sessions_per_login_max: within(
                "actors.sessions_per_login_max",
                sessions_per_login_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            vendor_snapshot_interval_ms: within(
                "actors.vendor_snapshot_interval_ms",
                vendor_snapshot_interval_ms,
                1..=HOUR_MS,
                "1 ms to 1 hour",
            )?,
            account_snapshot_events: within(
                "actors.account_snapshot_events",
                account_snapshot_events,
                1..=1_000_000,
                "1 to 1000000 events",
            )?,
        })
    }
}

impl RawJournal {
    fn validate(self) -> Result<JournalSettings, ConfigError> {
        let RawJournal {
            batch_events_max,
            queue_entries_max,
            snapshot_queue_max,
            statement_rows_max,
            checkpoint_interval_ms,
        } = self;
        Ok(JournalSettings {
            batch_events_max: within(
                "journal.batch_events_max",
                batch_events_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            queue_entries_max: within(
                "journal.queue_entries_max",
                queue_entries_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            snapshot_queue_max: within(
                "journal.snapshot_queue_max",
                snapshot_queue_max,
                1..=1_000_000,
                "1 to 1000000",
            )?,
            statement_rows_max: within(
                "journal.statement_rows_max",
                statement_rows_max,
                1..=10_000_000,
                "1 to 10000000",
            )?,
            checkpoint_interval_ms: within(
                "journal.checkpoint_interval_ms",
                checkpoint_interval_ms,
                1..=HOUR_MS,
                "1 ms to 1 hour",
            )?,
        })
    }
}

impl RawTokens {
    fn validate(self) -> Result<TokensConfig, ConfigError> {
        let RawTokens {
            access_token_ttl_ms,
            session_absolute_ttl_ms,
            session_idle_ttl_ms,
            api_key_overlap_ms,
        } = self;
        Ok(TokensConfig {
            access_token_ttl_ms: within(
                "tokens.access_token_ttl_ms",
                access_token_ttl_ms,
                1..=YEAR_MS,
                "1 ms to 365 days",
            )?,
            session_absolute_ttl_ms: within(
                "tokens.session_absolute_ttl_ms",
                session_absolute_ttl_ms,
                1..=YEAR_MS,
                "1 ms to 365 days",
            )?,
            session_idle_ttl_ms: within(
                "tokens.session_idle_ttl_ms",
                session_idle_ttl_ms,
                1..=YEAR_MS,
                "1 ms to 365 days",
            )?,
            api_key_overlap_ms: within(
                "tokens.api_key_overlap_ms",
                api_key_overlap_ms,
                0..=DAY_MS.saturating_mul(30),
                "0 to 30 days",
            )?,
        })
    }
}

impl RawIdempotency {
    fn validate(self) -> Result<IdempotencyConfig, ConfigError> {
        let RawIdempotency {
            retention_ms,
            keys_max,
            keys_per_vendor_max,
        } = self;
        let keys_max = within(
            "idempotency.keys_max",
            keys_max,
            1..=usize::MAX,
            "at least 1",
        )?;
        Ok(IdempotencyConfig {
            // Zero would forget every key at once, so a client's retry would pay twice.
            retention_ms: within(
                "idempotency.retention_ms",
                retention_ms,
                1..=30 * DAY_MS,
                "1 ms to 30 days",
            )?,
            keys_max,
            // Above the whole cache's bound it would bound nothing.
            keys_per_vendor_max: within(
                "idempotency.keys_per_vendor_max",
                keys_per_vendor_max,
                1..=keys_max,
                "1 to idempotency.keys_max",
            )?,
        })
    }
}

impl RawMembers {
    fn validate(self) -> Result<MembersConfig, ConfigError> {
        let RawMembers {
            argon2_memory_kib,
            argon2_iterations,
            argon2_parallelism,
            bulk_members_per_call_max,
            argon2_hashes_concurrent_max,
            argon2_hash_waiters_max,
            argon2_hash_wait_ms_max,
            sign_in_failures_per_email_max,
            sign_in_failures_per_email_window_ms,
            sign_in_failures_per_address_max,
            sign_in_failures_per_address_window_ms,
            registrations_per_address_max,
            registrations_per_address_window_ms,
            throttle_keys_max,
            statement_scan_max,
        } = self;
        let argon2_params =
            argon2_params(argon2_memory_kib, argon2_iterations, argon2_parallelism)?;
        Ok(MembersConfig {
            argon2_memory_kib,
            argon2_iterations,
            argon2_parallelism,
            bulk_members_per_call_max: within(
                "members.bulk_members_per_call_max",
                bulk_members_per_call_max,
                1..=100_000,
                "1 to 100000",
            )?,
            argon2_params,
            // Each running hash holds argon2_memory_kib; 1024 of the default 19 MiB is 19 GiB.
            argon2_hashes_concurrent_max: within(
                "members.argon2_hashes_concurrent_max",
                argon2_hashes_concurrent_max,
                1..=1_024,
                "1 to 1024",
            )?,
            argon2_hash_waiters_max: within(
                "members.argon2_hash_waiters_max",
                argon2_hash_waiters_max,
                0..=100_000,
                "0 to 100000",
            )?,
            argon2_hash_wait_ms_max: within(
                "members.argon2_hash_wait_ms_max",
                argon2_hash_wait_ms_max,
                1..=MINUTE_MS,
                "1 ms to 1 minute",
            )?,
            sign_in_failures_per_email_max: within(
                "members.sign_in_failures_per_email_max",
                sign_in_failures_per_email_max,
                1..=1_000,
                "1 to 1000",
            )?,
            sign_in_failures_per_email_window_ms: within(
                "members.sign_in_failures_per_email_window_ms",
                sign_in_failures_per_email_window_ms,
                SECOND_MS..=DAY_MS,
                "1 second to 1 day",
            )?,
            sign_in_failures_per_address_max: within(
                "members.sign_in_failures_per_address_max",
                sign_in_failures_per_address_max,
                1..=1_000_000,
                "1 to 1000000",
            )?,
            sign_in_failures_per_address_window_ms: within(
                "members.sign_in_failures_per_address_window_ms",
                sign_in_failures_per_address_window_ms,
                SECOND_MS..=DAY_MS,
                "1 second to 1 day",
            )?,
            registrations_per_address_max: within(
                "members.registrations_per_address_max",
                registrations_per_address_max,
                1..=1_000_000,
                "1 to 1000000",
            )?,
            registrations_per_address_window_ms: within(
                "members.registrations_per_address_window_ms",
                registrations_per_address_window_ms,
                SECOND_MS..=DAY_MS,
                "1 second to 1 day",
            )?,
            throttle_keys_max: within(
                "members.throttle_keys_max",
                throttle_keys_max,
                1..=10_000_000,
                "1 to 10000000",
            )?,
            // Even 1 works (every page then carries one entry's worth and a cursor); the upper
            // bound keeps one request under about a second of reads.
            statement_scan_max: within(
                "members.statement_scan_max",
                statement_scan_max,
                1..=100_000_000,
                "1 to 100000000",
            )?,
        })
    }
}

/// Checks the argon2id cost with argon2's own `Params::new`, so the bounds are the library's
/// and a password hash never fails at request time for a reason known at start.
fn argon2_params(
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> Result<argon2::Params, ConfigError> {
    // `Params::new` multiplies the lanes by 8 unchecked; bound them first so a huge value is
    // refused here rather than overflowing inside the library.
    within(
        "members.argon2_parallelism",
        parallelism,
        argon2::Params::MIN_P_COST..=argon2::Params::MAX_P_COST,
        "1 to 16777215 lanes (argon2's bounds)",
    )?;
    let key_reason = match argon2::Params::new(memory_kib, iterations, parallelism, None) {
        Ok(params) => return Ok(params),
        Err(argon2::Error::MemoryTooLittle | argon2::Error::MemoryTooMuch) => (
            "members.argon2_memory_kib",
            "at least 8 KiB per lane (argon2's bound)",
        ),
        Err(argon2::Error::TimeTooSmall) => {
            ("members.argon2_iterations", "at least 1 (argon2's bound)")
        }
        Err(argon2::Error::ThreadsTooFew | argon2::Error::ThreadsTooMany) => (
            "members.argon2_parallelism",
            "1 to 16777215 lanes (argon2's bounds)",
        ),
        // `Params::new` without an output length returns none of the others (argon2 0.5).
        Err(_) => ("members.argon2_*", "refused by argon2"),
    };
    let (key, reason) = key_reason;
    Err(ConfigError::Invalid { key, reason })
}

impl RawOffers {
    fn validate(self) -> Result<OffersConfig, ConfigError> {
        let RawOffers {
            ttl_ms,
            per_vendor_max,
            claim_ms,
            expired_kept_ms,
        } = self;
        Ok(OffersConfig {
            ttl_ms: within(
                "offers.ttl_ms",
                ttl_ms,
                SECOND_MS..=7 * DAY_MS,
                "1 second to 7 days",
            )?,
            per_vendor_max: within(
                "offers.per_vendor_max",
                per_vendor_max,
                1..=usize::MAX,
                "at least 1",
            )?,
            claim_ms: within(
                "offers.claim_ms",
                claim_ms,
                SECOND_MS..=HOUR_MS,
                "1 second to 1 hour",
            )?,
            expired_kept_ms: within(
                "offers.expired_kept_ms",
                expired_kept_ms,
                0..=DAY_MS,
                "0 to 1 day",
            )?,
        })
    }
}

impl RawMoney {
    fn validate(self) -> Result<MoneyConfig, ConfigError> {
        let RawMoney {
            currencies,
            cash_out_charges,
        } = self;
        let invalid = || ConfigError::Invalid {
            key: "money.currencies",
            reason: "1 to 64 different ISO 4217 codes, such as [\"USD\", \"EUR\"]",
        };
        if currencies.is_empty() || currencies.len() > CURRENCIES_MAX {
            return Err(invalid());
        }
        let mut parsed: Vec<Currency> = Vec::with_capacity(currencies.len());
        for code in &currencies {
            let currency = Currency::parse(code).map_err(|_| invalid())?;
            if parsed.contains(&currency) {
                return Err(invalid());
            }
            parsed.push(currency);
        }
        let charges_invalid = || ConfigError::Invalid {
            key: "money.cash_out_charges",
            reason: "one entry per supported currency, each { fixed = \"0.50\", rate_ppm = 0 to \
                     1000000 }",
        };
        let mut charges = BTreeMap::new();
        for (code, raw) in cash_out_charges {
            let currency = Currency::parse(&code).map_err(|_| charges_invalid())?;
            let fixed = parse_amount(&raw.fixed).map_err(|_| charges_invalid())?;
            if !parsed.contains(&currency) || raw.rate_ppm > 1_000_000 {
                return Err(charges_invalid());
            }
            let rule = CashOutCharge {
                fixed,
                rate_ppm: raw.rate_ppm,
            };
            charges.insert(currency, rule);
        }
        if charges.len() != parsed.len() {
            return Err(charges_invalid());
        }
        Ok(MoneyConfig {
            currencies: parsed,
            cash_out_charges: charges,
        })
    }
}

impl RawBuyWindow {
    fn validate(self) -> Result<BuyWindowConfig, ConfigError> {
        let RawBuyWindow {
            public_url,
            top_off_amount,
            charge_max,
            public_session_ttl_ms,
        } = self;
        let secure_cookies = public_url.starts_with("https://");
        if !(public_url.is_empty() || secure_cookies || public_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "buy_window.public_url",
                reason: "empty, or a URL starting with https:// (or http:// for local use)",
            });
        }
        // A zero top-off is allowed: the top-off then charges exactly the shortage. Nor need it
        // be below `charge_max`: a shortage can push any top-off over it, and that is checked
        // per charge. A zero `charge_max` is refused: it would refuse every charge.
        let top_off_amount = amount(
            "buy_window.top_off_amount",
            &top_off_amount,
            "a decimal amount such as \"5.00\" (at most 6 decimals, no sign)",
        )?;
        let charge_max = amount(
            "buy_window.charge_max",
            &charge_max,
            "a decimal amount such as \"500.00\" (at most 6 decimals, no sign)",
        )?;
        if charge_max.is_zero() {
            return Err(ConfigError::Invalid {
                key: "buy_window.charge_max",
                reason: "above zero: zero would refuse every top-off and added funds",
            });
        }
        Ok(BuyWindowConfig {
            public_url,
            secure_cookies,
            top_off_amount,
            charge_max,
            public_session_ttl_ms: within(
                "buy_window.public_session_ttl_ms",
                public_session_ttl_ms,
                1..=DAY_MS,
                "1 ms to 1 day",
            )?,
        })
    }
}

impl RawMetrics {
    fn validate(self) -> Result<MetricsConfig, ConfigError> {
        let RawMetrics { token, listen } = self;
        let token = if token.is_empty() {
            None
        } else {
            Some(MetricsToken::parse(&token).ok_or(ConfigError::Invalid {
                key: "metrics.token",
                reason: "empty (none), or 16 to 256 visible ASCII characters",
            })?)
        };
        let listen = if listen.is_empty() {
            None
        } else {
            Some(listen.parse().map_err(|_| ConfigError::Invalid {
                key: "metrics.listen",
                reason: "empty (the API port), or an address such as \"127.0.0.1:9090\"",
            })?)
        };
        Ok(MetricsConfig { token, listen })
    }
}

impl RawLog {
    fn validate(self) -> Result<LogConfig, ConfigError> {
        let RawLog { format, filter } = self;
        let format = match format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "log.format",
                    reason: "\"text\" or \"json\"",
                });
            }
        };
        // Parsed here so a typo stops start-up instead of silently logging nothing.
        if tracing_subscriber::EnvFilter::try_new(&filter).is_err() {
            return Err(ConfigError::Invalid {
                key: "log.filter",
                reason: "a tracing filter such as \"warn,farthing=info\"",
            });
        }
        Ok(LogConfig { format, filter })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../config/farthing.toml");
    const TEST: &str = include_str!("../config/test.toml");

    /// `DEFAULT` with the given overrides.
    fn with(overrides: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let environment = overrides
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
        Config::from_toml(DEFAULT, environment)
    }

    /// The variable that overrides `section.key`.
    fn variable_for(key: &str) -> String {
        format!("{ENV_PREFIX}{}", key.replace('.', ENV_SEPARATOR)).to_ascii_uppercase()
    }

    /// The key of an `Invalid` error, for assertions that print what went wrong instead.
    fn invalid_key(result: Result<Config, ConfigError>) -> Option<&'static str> {
        match result {
            Err(ConfigError::Invalid { key, .. }) => Some(key),
            _ => None,
        }
    }

    #[test]
    fn a_signup_bonus_is_for_a_supported_currency_within_its_bounds() {
        let bonus_line = DEFAULT
            .lines()
            .find(|line| line.starts_with("signup_bonus"))
            .unwrap();
        let with = |bonus: &str| {
            Config::from_toml(
                &DEFAULT.replace(bonus_line, &format!("signup_bonus = {{ {bonus} }}")),
                [],
            )
        };
        let config = with(r#"USD = { amount = "1000", valid_days = 3650 }"#).unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            config.incentives.signup_bonus.get(&usd),
            Some(&SignupBonus {
                amount: Amount::from_micros(1_000_000_000),
                valid_days: 3650
            })
        );
        for bad in [
            r#"KWD = { amount = "1.00", valid_days = 30 }"#,
            r#"USD = { amount = "0", valid_days = 30 }"#,
            r#"USD = { amount = "1000.000001", valid_days = 30 }"#,
            r#"USD = { amount = "1.00", valid_days = 0 }"#,
            r#"USD = { amount = "1.00", valid_days = 3651 }"#,
            r#"USD = { amount = "-1", valid_days = 30 }"#,
        ] {
            assert_eq!(
                invalid_key(with(bad)),
                Some("incentives.signup_bonus"),
                "{bad}"
            );
        }
    }

    #[test]
    fn currencies_are_distinct_iso_codes_one_to_sixty_four() {
        let default = r#"currencies = ["USD", "EUR", "GBP", "JPY", "BRL", "CHF"]"#;
        let charges_line = DEFAULT
            .lines()
            .find(|line| line.starts_with("cash_out_charges"))
            .unwrap();
        // The listed codes, each with a cash-out charge (the charges must match the list).
        let toml = |entries: &str| {
            let codes: std::collections::BTreeSet<&str> =
                entries.split(", ").filter(|code| code.len() == 5).collect();
            let charges: Vec<String> = codes
                .into_iter()
                .map(|code| {
                    format!(
                        "{} = {{ fixed = \"1\", rate_ppm = 0 }}",
                        code.trim_matches('"')
                    )
                })
                .collect();
            let bonus_line = DEFAULT
                .lines()
                .find(|line| line.starts_with("signup_bonus"))
                .unwrap();
            DEFAULT
                .replace(default, &format!("currencies = [{entries}]"))
                .replace(
                    charges_line,
                    &format!("cash_out_charges = {{ {} }}", charges.join(", ")),
                )
                .replace(bonus_line, "signup_bonus = {}")
        };
        let config = Config::from_toml(&toml(r#""JPY", "KWD""#), []).unwrap();
        let codes: Vec<&str> = config.money.currencies.iter().map(|c| c.code()).collect();
        assert_eq!(codes, ["JPY", "KWD"]);
        assert!(config.money.supports(Currency::parse("KWD").unwrap()));
        assert!(!config.money.supports(Currency::parse("USD").unwrap()));
        let sixty_four: Vec<String> = Currency::all()
            .take(CURRENCIES_MAX)
            .map(|currency| format!("\"{}\"", currency.code()))
            .collect();
        assert!(Config::from_toml(&toml(&sixty_four.join(", ")), []).is_ok());
        let sixty_five: Vec<String> = Currency::all()
            .take(CURRENCIES_MAX + 1)
            .map(|currency| format!("\"{}\"", currency.code()))
            .collect();
        for bad in [
            String::new(),
            r#""usd""#.to_owned(),
            r#""XYZ""#.to_owned(),
            r#""USD", "USD""#.to_owned(),
            sixty_five.join(", "),
        ] {
            assert_eq!(
                invalid_key(Config::from_toml(&toml(&bad), [])),
                Some("money.currencies"),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_supported_currency_has_one_cash_out_charge() {
        let config = Config::from_toml(DEFAULT, []).unwrap();
        let usd = Currency::parse("USD").unwrap();
        let rule = config.money.cash_out_charge(usd).unwrap();
        assert_eq!(
            (rule.fixed, rule.rate_ppm),
            (Amount::from_micros(500_000), 10_000)
        );
        let line = DEFAULT
            .lines()
            .find(|line| line.starts_with("cash_out_charges"))
            .unwrap();
        for bad in [
            line.replace(r#"USD = { fixed = "0.50", rate_ppm = 10000 }, "#, ""),
            line.replace(r#"rate_ppm = 10000 }, EUR"#, r#"rate_ppm = 1000001 }, EUR"#),
            line.replace(r#"fixed = "0.50""#, r#"fixed = "-1""#),
            line.replace("USD =", "KWD = { fixed = \"1\", rate_ppm = 0 }, USD ="),
        ] {
            assert_eq!(
                invalid_key(Config::from_toml(&DEFAULT.replace(line, &bad), [])),
                Some("money.cash_out_charges"),
                "{bad}"
            );
        }
    }

    #[test]
    fn trusted_proxies_are_networks_or_bare_addresses() {
        let toml = |entries: &str| {
            DEFAULT.replace(
                "trusted_proxies = []",
                &format!("trusted_proxies = [{entries}]"),
            )
        };
        let config = Config::from_toml(&toml(r#""10.1.2.3/8", "192.0.2.1", "::1""#), []).unwrap();
        let expected: Vec<IpNet> = ["10.0.0.0/8", "192.0.2.1/32", "::1/128"]
            .iter()
            .map(|network| network.parse().unwrap())
            .collect();
        assert_eq!(config.server.trusted_proxies, expected);
        for bad in [r#""10.0.0.0/33""#, r#""proxy.example""#] {
            assert_eq!(
                invalid_key(Config::from_toml(&toml(bad), [])),
                Some("server.trusted_proxies"),
                "{bad}"
            );
        }
        assert!(
            Config::from_toml(DEFAULT, [])
                .unwrap()
                .server
                .trusted_proxies
                .is_empty()
        );
    }

    #[test]
    fn shipped_files_are_valid() {
        let config = Config::from_toml(DEFAULT, []).unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.server.data_dir, PathBuf::from("./data"));
        assert_eq!(
            config.buy_window.top_off_amount,
            Amount::from_micros(5_000_000)
        );
        assert_eq!(
            config.buy_window.charge_max,
            Amount::from_micros(500_000_000)
        );
        Config::from_toml(TEST, []).unwrap();
    }

    #[test]
    fn environment_overrides_a_key() {
        let config = with(&[
            ("FARTHING_SERVER__LISTEN", "127.0.0.1:9999"),
            ("FARTHING_JOURNAL__BATCH_EVENTS_MAX", "7"),
            ("FARTHING_BUY_WINDOW__PUBLIC_URL", "https://pay.example"),
            ("UNRELATED", "x"),
        ])
        .unwrap();
        assert_eq!(config.server.listen.port(), 9999);
        assert_eq!(config.journal.batch_events_max, 7);
        assert!(config.buy_window.secure_cookies);
    }

    #[test]
    fn secure_cookies_follow_the_public_url_which_must_be_http_or_https() {
        assert!(!with(&[]).unwrap().buy_window.secure_cookies);
        let local = with(&[("FARTHING_BUY_WINDOW__PUBLIC_URL", "http://127.0.0.1:8080")]);
        assert!(!local.unwrap().buy_window.secure_cookies);
        let tls = with(&[("FARTHING_BUY_WINDOW__PUBLIC_URL", "https://pay.example")]);
        assert!(tls.unwrap().buy_window.secure_cookies);
        match with(&[("FARTHING_BUY_WINDOW__PUBLIC_URL", "pay.example")]) {
            Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "buy_window.public_url"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_override_of_a_string_key_with_digits_stays_a_string() {
        let config = with(&[("FARTHING_SERVER__DATA_DIR", "123")]).unwrap();
        assert_eq!(config.server.data_dir, PathBuf::from("123"));
        let config = with(&[("FARTHING_ADMIN__KEY_FILE", "true")]).unwrap();
        assert_eq!(config.admin.key_file, "true");
    }

    #[test]
    fn a_money_override_is_parsed_as_an_amount() {
        let config = with(&[("FARTHING_BUY_WINDOW__TOP_OFF_AMOUNT", "2.50")]).unwrap();
        assert_eq!(
            config.buy_window.top_off_amount,
            Amount::from_micros(2_500_000)
        );
        // Digits alone were once guessed to be a TOML integer and refused for a string key.
        let config = with(&[("FARTHING_BUY_WINDOW__CHARGE_MAX", "5")]).unwrap();
        assert_eq!(config.buy_window.charge_max, Amount::from_micros(5_000_000));
    }

    #[test]
    fn an_override_not_of_its_keys_type_is_refused_naming_the_key() {
        for (variable, text, key) in [
            (
                "FARTHING_JOURNAL__BATCH_EVENTS_MAX",
                "many",
                "journal.batch_events_max",
            ),
            (
                "FARTHING_JOURNAL__BATCH_EVENTS_MAX",
                "7.5",
                "journal.batch_events_max",
            ),
            (
                "FARTHING_BUY_WINDOW__PUBLIC_SESSION_TTL_MS",
                "soon",
                "buy_window.public_session_ttl_ms",
            ),
        ] {
            match with(&[(variable, text)]) {
                Err(ConfigError::Environment {
                    variable: named,
                    reason,
                }) => {
                    assert_eq!(named, variable);
                    assert!(reason.contains(key), "{reason}");
                }
                other => panic!("{variable}={text}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_override_naming_no_setting_is_refused() {
        for variable in [
            "FARTHING_SERVER__LISTN",
            "FARTHING_SERVE__LISTEN",
            "FARTHING_SERVER_LISTEN",
            "FARTHING_SERVER__LISTEN__PORT",
        ] {
            match with(&[(variable, "127.0.0.1:9999")]) {
                Err(ConfigError::Environment {
                    variable: named, ..
                }) => {
                    assert_eq!(named, variable);
                }
                other => panic!("{variable}: {other:?}"),
            }
        }
        // One step away: the same variable spelled right, in lower case too.
        assert!(with(&[("FARTHING_SERVER__LISTEN", "127.0.0.1:9999")]).is_ok());
        assert!(with(&[("farthing_server__listen", "127.0.0.1:9999")]).is_ok());
    }

    #[test]
    fn unknown_and_missing_keys_in_the_file_are_refused() {
        let extra = DEFAULT.replace("[admin]\n", "[admin]\nkey_fil = \"\"\n");
        assert!(matches!(
            Config::from_toml(&extra, []),
            Err(ConfigError::Parse(_))
        ));
        let missing = DEFAULT.replace("shards = 0\n", "");
        assert!(matches!(
            Config::from_toml(&missing, []),
            Err(ConfigError::Parse(_))
        ));
        let negative = with(&[("FARTHING_SERVER__SHARDS", "-1")]);
        assert!(
            matches!(negative, Err(ConfigError::Parse(_))),
            "{negative:?}"
        );
    }

    #[test]
    fn a_bad_money_value_names_its_key() {
        for (key, bad, good) in [
            ("buy_window.top_off_amount", "five", "5"),
            ("buy_window.top_off_amount", "5.0000001", "5.000001"),
            ("buy_window.top_off_amount", "-1", "0"),
            ("buy_window.charge_max", "500,00", "500.00"),
            ("buy_window.charge_max", "0", "0.000001"),
            (
                "buy_window.charge_max",
                "9223372036854.775808",
                "9223372036854.775807",
            ),
        ] {
            let variable = variable_for(key);
            assert_eq!(
                invalid_key(with(&[(&variable, bad)])),
                Some(key),
                "{variable}={bad}"
            );
            assert!(with(&[(&variable, good)]).is_ok(), "{variable}={good}");
        }
    }

    #[test]
    fn a_top_off_above_the_largest_charge_is_allowed() {
        let config = with(&[
            ("FARTHING_BUY_WINDOW__TOP_OFF_AMOUNT", "10"),
            ("FARTHING_BUY_WINDOW__CHARGE_MAX", "1"),
        ])
        .unwrap();
        assert!(config.buy_window.top_off_amount > config.buy_window.charge_max);
    }

    /// Each row: a setting, a value its rule refuses, the nearest value it allows.
    const RANGES: &[(&str, &str, &str)] = &[
        ("step_up.challenge_ttl_ms", "999", "1000"),
        ("step_up.challenge_ttl_ms", "3600001", "3600000"),
        ("step_up.pass_ms", "999", "1000"),
        ("step_up.pass_ms", "86400001", "86400000"),
        ("step_up.failures_max", "0", "1"),
        ("step_up.failures_max", "101", "100"),
        ("step_up.lock_ms", "999", "1000"),
        ("step_up.lock_ms", "86400001", "86400000"),
        ("step_up.unusual_price_multiple", "1000001", "1000000"),
        ("step_up.unusual_purchases_per_minute", "100001", "100000"),
        ("server.shards", "257", "256"),
        ("server.http_threads", "257", "256"),
        ("server.connections_max", "0", "1"),
        ("server.request_body_bytes_max", "255", "256"),
        ("server.request_body_bytes_max", "16777217", "16777216"),
        ("server.batch_body_bytes_max", "255", "256"),
        ("server.batch_body_bytes_max", "67108865", "67108864"),
        ("server.request_read_timeout_ms", "0", "1"),
        ("server.request_read_timeout_ms", "600001", "600000"),
        ("server.shutdown_grace_ms", "600001", "600000"),
        ("server.connections_per_client_max", "0", "1"),
        ("server.response_write_timeout_ms", "0", "1"),
        ("server.response_write_timeout_ms", "600001", "600000"),
        ("server.keep_alive_idle_ms", "0", "1"),
        ("server.keep_alive_idle_ms", "600001", "600000"),
        ("server.request_head_bytes_max", "1023", "1024"),
        ("server.request_head_bytes_max", "262145", "262144"),
        ("actors.mailbox_messages_max", "0", "1"),
        ("actors.accounts_in_memory_max", "0", "1"),
        ("actors.sessions_per_login_max", "0", "1"),
        ("actors.vendor_snapshot_interval_ms", "0", "1"),
        ("actors.vendor_snapshot_interval_ms", "3600001", "3600000"),
        ("actors.account_snapshot_events", "0", "1"),
        ("actors.account_snapshot_events", "1000001", "1000000"),
        ("journal.batch_events_max", "0", "1"),
        ("journal.queue_entries_max", "0", "1"),
        ("journal.snapshot_queue_max", "0", "1"),
        ("journal.snapshot_queue_max", "1000001", "1000000"),
        ("journal.statement_rows_max", "0", "1"),
        ("journal.statement_rows_max", "10000001", "10000000"),
        ("journal.checkpoint_interval_ms", "0", "1"),
        ("journal.checkpoint_interval_ms", "3600001", "3600000"),
        ("tokens.access_token_ttl_ms", "0", "1"),
        ("tokens.access_token_ttl_ms", "31536000001", "31536000000"),
        ("tokens.session_absolute_ttl_ms", "0", "1"),
        (
            "tokens.session_absolute_ttl_ms",
            "31536000001",
            "31536000000",
        ),
        ("tokens.session_idle_ttl_ms", "0", "1"),
        ("tokens.session_idle_ttl_ms", "31536000001", "31536000000"),
        ("idempotency.retention_ms", "0", "1"),
        ("idempotency.retention_ms", "2592000001", "2592000000"),
        // The nearest allowed with the other defaults: at least keys_per_vendor_max.
        ("idempotency.keys_max", "0", "100000"),
        ("idempotency.keys_per_vendor_max", "0", "1"),
        ("idempotency.keys_per_vendor_max", "1000001", "1000000"),
        ("members.argon2_memory_kib", "7", "8"),
        ("members.argon2_iterations", "0", "1"),
        ("members.argon2_parallelism", "0", "1"),
        ("members.bulk_members_per_call_max", "0", "1"),
        ("members.bulk_members_per_call_max", "100001", "100000"),
        ("members.argon2_hashes_concurrent_max", "0", "1"),
        ("members.argon2_hashes_concurrent_max", "1025", "1024"),
        ("members.argon2_hash_waiters_max", "100001", "100000"),
        ("members.argon2_hash_wait_ms_max", "0", "1"),
        ("members.argon2_hash_wait_ms_max", "60001", "60000"),
        ("members.sign_in_failures_per_email_max", "0", "1"),
        ("members.sign_in_failures_per_email_max", "1001", "1000"),
        (
            "members.sign_in_failures_per_email_window_ms",
            "999",
            "1000",
        ),
        (
            "members.sign_in_failures_per_email_window_ms",
            "86400001",
            "86400000",
        ),
        ("members.sign_in_failures_per_address_max", "0", "1"),
        (
            "members.sign_in_failures_per_address_max",
            "1000001",
            "1000000",
        ),
        (
            "members.sign_in_failures_per_address_window_ms",
            "999",
            "1000",
        ),
        (
            "members.sign_in_failures_per_address_window_ms",
            "86400001",
            "86400000",
        ),
        ("members.registrations_per_address_max", "0", "1"),
        (
            "members.registrations_per_address_max",
            "1000001",
            "1000000",
        ),
        ("members.registrations_per_address_window_ms", "999", "1000"),
        (
            "members.registrations_per_address_window_ms",
            "86400001",
            "86400000",
        ),
        ("members.throttle_keys_max", "0", "1"),
        ("members.throttle_keys_max", "10000001", "10000000"),
        ("members.statement_scan_max", "0", "1"),
        ("members.statement_scan_max", "100000001", "100000000"),
        ("offers.ttl_ms", "999", "1000"),
        ("offers.ttl_ms", "604800001", "604800000"),
        ("offers.per_vendor_max", "0", "1"),
        ("offers.claim_ms", "999", "1000"),
        ("offers.claim_ms", "3600001", "3600000"),
        ("offers.expired_kept_ms", "86400001", "86400000"),
        ("buy_window.public_session_ttl_ms", "0", "1"),
        ("payments.settlement_poll_ms", "0", "1"),
        ("payments.settlement_poll_ms", "3600001", "3600000"),
        ("payments.transfer_retry_ms", "0", "1"),
        ("incentives.expiry_sweep_ms", "0", "1"),
        ("incentives.expiry_sweep_ms", "3600001", "3600000"),
        ("settlement.tick_ms", "999", "1000"),
        ("admin.operator_session_ttl_ms", "59999", "60000"),
        ("tokens.api_key_overlap_ms", "2592000001", "2592000000"),
        ("admin.operator_session_ttl_ms", "86400001", "86400000"),
        ("settlement.tick_ms", "86400001", "86400000"),
        ("settlement.referral_months", "0", "1"),
        ("settlement.referral_months", "121", "120"),
        ("payments.transfer_retry_ms", "3600001", "3600000"),
        ("buy_window.public_session_ttl_ms", "86400001", "86400000"),
        ("mail.smtp_port", "0", "1"),
        ("mail.smtp_timeout_ms", "0", "1"),
        ("mail.smtp_timeout_ms", "600001", "600000"),
        ("mail.relay_messages_max", "0", "1"),
        ("mail.relay_messages_max", "100001", "100000"),
        ("mail.tick_ms", "86400001", "86400000"),
        ("mail.catch_up_days", "0", "1"),
        ("mail.catch_up_days", "32", "31"),
    ];

    #[test]
    fn ranges_refuse_values_outside_them_and_allow_the_edge() {
        for (key, bad, good) in RANGES {
            let variable = variable_for(key);
            assert_eq!(
                invalid_key(with(&[(&variable, bad)])),
                Some(*key),
                "{variable}={bad}"
            );
            let allowed = with(&[(&variable, good)]);
            assert!(allowed.is_ok(), "{variable}={good}: {allowed:?}");
        }
    }

    #[test]
    fn every_integer_setting_has_a_range_row() {
        let table: toml::Table = DEFAULT.parse().unwrap();
        for (section, settings) in &table {
            let toml::Value::Table(settings) = settings else {
                panic!("{section} is not a section");
            };
            for (key, value) in settings {
                if !value.is_integer() {
                    continue;
                }
                let name = format!("{section}.{key}");
                assert!(
                    RANGES.iter().any(|row| row.0 == name),
                    "{name} has no range test"
                );
            }
        }
    }

    #[test]
    fn metrics_token_and_listen_are_unset_by_default_and_checked_when_set() {
        let config = with(&[]).unwrap();
        assert!(config.metrics.token.is_none());
        assert!(config.metrics.listen.is_none());
        let token = ("FARTHING_METRICS__TOKEN", "0123456789abcdef");
        let listen = ("FARTHING_METRICS__LISTEN", "127.0.0.1:9090");
        let config = with(&[token, listen]).unwrap();
        let set = config.metrics.token.unwrap();
        assert!(set.verify("0123456789abcdef"));
        assert!(!set.verify("0123456789abcdeg"));
        assert!(
            !format!("{set:?}").contains("0123"),
            "Debug hides the token"
        );
        assert_eq!(
            config.metrics.listen,
            Some("127.0.0.1:9090".parse().unwrap())
        );
        for bad in ["0123456789abcde", "0123456789 abcdef", &"x".repeat(257)] {
            assert_eq!(
                invalid_key(with(&[("FARTHING_METRICS__TOKEN", bad)])),
                Some("metrics.token"),
                "{bad}"
            );
        }
        assert_eq!(
            invalid_key(with(&[("FARTHING_METRICS__LISTEN", "localhost")])),
            Some("metrics.listen")
        );
    }

    #[test]
    fn log_settings_default_to_text_and_farthing_at_info() {
        let config = with(&[]).unwrap();
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(config.log.filter, "warn,farthing=info");
        assert_eq!(config.log.filter, crate::logging::DEFAULT_FILTER);
        let json = with(&[("FARTHING_LOG__FORMAT", "json")]).unwrap();
        assert_eq!(json.log.format, LogFormat::Json);
        assert_eq!(
            invalid_key(with(&[("FARTHING_LOG__FORMAT", "xml")])),
            Some("log.format")
        );
        assert_eq!(
            invalid_key(with(&[("FARTHING_LOG__FILTER", "farthing=loud")])),
            Some("log.filter")
        );
    }

    #[test]
    fn a_vendors_key_quota_is_within_the_whole_cache() {
        let whole = ("FARTHING_IDEMPOTENCY__KEYS_MAX", "10");
        let per_vendor = |keys| ("FARTHING_IDEMPOTENCY__KEYS_PER_VENDOR_MAX", keys);
        assert_eq!(
            invalid_key(with(&[whole, per_vendor("11")])),
            Some("idempotency.keys_per_vendor_max")
        );
        assert!(with(&[whole, per_vendor("10")]).is_ok());
    }

    #[test]
    fn argon2_memory_must_cover_eight_kib_per_lane() {
        let lanes = ("FARTHING_MEMBERS__ARGON2_PARALLELISM", "4");
        let memory = |kib| ("FARTHING_MEMBERS__ARGON2_MEMORY_KIB", kib);
        assert_eq!(
            invalid_key(with(&[lanes, memory("31")])),
            Some("members.argon2_memory_kib")
        );
        assert!(with(&[lanes, memory("32")]).is_ok());
        // More lanes than argon2 allows is refused before argon2 multiplies them.
        assert_eq!(
            invalid_key(with(&[(
                "FARTHING_MEMBERS__ARGON2_PARALLELISM",
                "4294967295"
            )])),
            Some("members.argon2_parallelism")
        );
        assert_eq!(
            invalid_key(with(&[(
                "FARTHING_MEMBERS__ARGON2_PARALLELISM",
                "16777216"
            )])),
            Some("members.argon2_parallelism")
        );
        let most_lanes = with(&[
            ("FARTHING_MEMBERS__ARGON2_PARALLELISM", "16777215"),
            ("FARTHING_MEMBERS__ARGON2_MEMORY_KIB", "134217720"),
        ]);
        assert!(most_lanes.is_ok(), "{most_lanes:?}");
    }
}
