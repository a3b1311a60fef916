//! Metric names, their descriptions and the Prometheus recorder. Names live here so a
//! dashboard can be written from one file; no metric carries an id in a label (cardinality
//! stays bounded). Every family is described at start-up ([`describe`]): `promtool check
//! metrics` wants HELP text, and the description names the labels the family carries,
//! `[labels: a, b]`, which a test holds against what is emitted.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// HTTP requests by `route` and `status` (counter).
pub const HTTP_REQUESTS: &str = "farthing_http_requests_total";
/// HTTP request latency by `route` (histogram, seconds).
pub const HTTP_LATENCY: &str = "farthing_http_request_seconds";
/// Authorize outcomes by `outcome` (`purchased`, `already_owned`, `replayed`, or a reject code).
pub const AUTHORIZATIONS: &str = "farthing_authorize_outcomes_total";
/// Amount authorized (charged) by `currency`, in micro-units (counter).
pub const AUTHORIZED_MICROS: &str = "farthing_authorize_amount_micros_total";
/// Time of an authorize before its entry reached the journal (histogram, seconds).
pub const AUTHORIZE_BEFORE_JOURNAL: &str = "farthing_authorize_before_journal_seconds";
/// Time an authorize waited for the journal to make it durable (histogram, seconds).
pub const AUTHORIZE_JOURNAL_WAIT: &str = "farthing_authorize_journal_wait_seconds";
/// Access checks by `outcome` (counter).
pub const ACCESS_CHECKS: &str = "farthing_access_outcomes_total";
/// Charges of saved payment methods (top-offs, added funds) by `outcome` (counter).
pub const PAYMENT_CHARGES: &str = "farthing_payment_charges_total";
/// Offers posted by vendors (counter).
pub const OFFERS_POSTED: &str = "farthing_offers_posted_total";
/// Messages refused because a mailbox was full (counter; no label: the gateway does not know
/// the actor's kind cheaply, and a full mailbox of any kind means the same to an operator).
pub const MAILBOX_REJECTIONS: &str = "farthing_mailbox_rejections_total";
/// Accounts in memory (gauge).
pub const ACCOUNTS_IN_MEMORY: &str = "farthing_accounts_in_memory";
/// Vendors in memory (gauge).
pub const VENDORS_IN_MEMORY: &str = "farthing_vendors_in_memory";
/// Durable sales a vendor's ledger could not take (counter; non-zero is an alarm).
pub const SALES_REFUSED: &str = "farthing_vendor_sales_refused_total";
/// Sales the feed could not hand a vendor at once and left to the catch-up (counter).
pub const FEED_DEFERRED: &str = "farthing_feed_deferred_sales_total";
/// Vendors whose sales are being caught up from the journal (gauge).
pub const FEED_VENDORS_BEHIND: &str = "farthing_feed_vendors_behind";
/// Feed checkpoints written (counter).
pub const FEED_CHECKPOINTS: &str = "farthing_feed_checkpoints_total";
/// Accounts activated from their snapshot and later events (counter), and the events
/// replayed to do it (counter).
pub const ACCOUNT_ACTIVATIONS: &str = "farthing_account_activations_total";
/// Events replayed by account activations (counter).
pub const ACTIVATION_EVENTS: &str = "farthing_account_activation_events_total";
/// Open HTTP connections (gauge).
pub const CONNECTIONS_OPEN: &str = "farthing_connections_open";
/// Connections refused as soon as accepted, by `reason` (`per_client`: the client address
/// holds `server.connections_per_client_max` already) (counter).
pub const CONNECTIONS_REFUSED: &str = "farthing_connections_refused_total";
/// Connections the server closed on a limit, by `reason`: `write_timeout`, `idle_timeout`,
/// `head_timeout` (the request head came too slowly), `head_too_large` (431) (counter).
pub const CONNECTIONS_CLOSED: &str = "farthing_connections_closed_total";
/// Buy-window forms refused by the CSRF check (counter).
pub const CSRF_REFUSED: &str = "farthing_csrf_refused_total";
/// Deposits from a saved payment method by step (counter, label `step`: `started`,
/// `credited`, `accepted` (a bank debit), `failed`, `refused` before any charge,
/// `resolved_at_start`, `settled`, `returned`, `top_off`).
pub const DEPOSITS: &str = "farthing_deposits_total";
/// Cash-outs paid out to members' bank accounts (counter).
pub const CASH_OUTS: &str = "farthing_cash_outs_total";
/// Transfers between members by step (`sent`, `received`, `redelivered`: received after the
/// first delivery could not land) (counter).
pub const TRANSFERS: &str = "farthing_transfers_total";
/// Disputes by step (`condition_i`, `conditions_ii_to_iv`, `pending` at filing; `approved`,
/// `rejected` by an operator) (counter).
pub const DISPUTES: &str = "farthing_disputes_total";
/// Outcomes of back-office calls the audit trail could not record (counter).
pub const AUDIT_FAILURES: &str = "farthing_audit_failures_total";
/// Mail messages the relay accepted (counter).
pub const MAIL_RELAYED: &str = "farthing_mail_relayed_total";
/// Mail messages the relay refused or could not be reached for; they stay in the outbox
/// and are tried again (counter).
pub const MAIL_RELAY_FAILURES: &str = "farthing_mail_relay_failures_total";
/// Daily summaries written into the mail outbox (counter).
pub const MAIL_SUMMARIES_WRITTEN: &str = "farthing_mail_summaries_written_total";
/// Members whose daily summary could not be gathered or written; the day is tried again at
/// the next tick (counter).
pub const MAIL_SUMMARY_FAILURES: &str = "farthing_mail_summary_failures_total";
/// Seconds one day's daily summary run took, gathering, writing and relaying (histogram).
pub const MAIL_DAY_RUN_SECONDS: &str = "farthing_mail_day_run_seconds";
/// Settlement runs journaled (counter).
pub const SETTLEMENT_RUNS: &str = "farthing_settlement_runs_total";
/// Payouts made by settlement runs (counter).
pub const PAYOUTS: &str = "farthing_payouts_total";
/// Incentive grants by step (`granted`, `expired`) (counter).
pub const INCENTIVES: &str = "farthing_incentives_total";
/// Transfers sent and not yet received, as the transfer watcher last saw them (gauge).
pub const TRANSFERS_IN_TRANSIT: &str = "farthing_transfers_in_transit";
/// Sign-ins and registrations refused by a throttle, by `key` (`email`, `address`,
/// `registration`) (counter).
pub const ATTEMPTS_THROTTLED: &str = "farthing_attempts_throttled_total";
/// Password hashes run, verifications of unknown e-mails against the dummy included (counter).
pub const PASSWORD_HASHES: &str = "farthing_password_hashes_total";
/// Password hashes that had to wait for a slot (counter).
pub const PASSWORD_HASH_WAITS: &str = "farthing_password_hash_waits_total";
/// Password hashes refused (503), by `reason` (`queue_full`, `wait_timeout`) (counter).
pub const PASSWORD_HASH_REJECTIONS: &str = "farthing_password_hash_rejections_total";
/// Seconds one statement page took to read from the journal (histogram).
pub const STATEMENT_QUERY_SECONDS: &str = "farthing_statement_query_seconds";
/// Statement index entries read by statement pages, matching or not (counter).
pub const STATEMENT_ENTRIES_SCANNED: &str = "farthing_statement_entries_scanned_total";

/// The HELP text of every family, in one table: `(name, kind, description)`. The kind picks
/// the `describe_*` macro; the description ends with the labels the family carries, if any.
const DESCRIPTIONS: &[(&str, Kind, &str)] = {
    use crate::storage::fjall_store as journal;
    use crate::storage::statement_projection;
    use Kind::{Counter, Gauge, Histogram};
    &[
        (
            HTTP_REQUESTS,
            Counter,
            "HTTP responses by route template and status [labels: route, status]",
        ),
        (
            HTTP_LATENCY,
            Histogram,
            "Seconds from a request's head to its response, by route template [labels: route]",
        ),
        (
            AUTHORIZATIONS,
            Counter,
            "Authorize outcomes: purchased, already_owned, replayed, or a problem code [labels: outcome]",
        ),
        (
            AUTHORIZED_MICROS,
            Counter,
            "Amount charged by authorizations, in micro-units of the currency [labels: currency]",
        ),
        (
            AUTHORIZE_BEFORE_JOURNAL,
            Histogram,
            "Seconds an authorize spent before its entry reached the journal",
        ),
        (
            AUTHORIZE_JOURNAL_WAIT,
            Histogram,
            "Seconds an authorize waited for the journal to make it durable",
        ),
        (
            ACCESS_CHECKS,
            Counter,
            "Access checks: granted, or a problem code [labels: outcome]",
        ),
        (
            PAYMENT_CHARGES,
            Counter,
            "Charges of saved payment methods (top-offs, added funds): approved or declined [labels: outcome]",
        ),
        (
            OFFERS_POSTED,
            Counter,
            "Offers posted by vendors and made durable",
        ),
        (
            MAILBOX_REJECTIONS,
            Counter,
            "Messages refused because an actor's mailbox was full (answered 503)",
        ),
        (ACCOUNTS_IN_MEMORY, Gauge, "Member accounts held in memory"),
        (VENDORS_IN_MEMORY, Gauge, "Vendors held in memory"),
        (
            SALES_REFUSED,
            Counter,
            "Durable sales a vendor's ledger could not take (non-zero is an alarm)",
        ),
        (
            FEED_DEFERRED,
            Counter,
            "Sales the feed could not hand a vendor at once and left to the catch-up",
        ),
        (
            FEED_VENDORS_BEHIND,
            Gauge,
            "Vendors whose sales are being caught up from the journal",
        ),
        (
            FEED_CHECKPOINTS,
            Counter,
            "Checkpoints of the members' totals and the directory written",
        ),
        (
            ACCOUNT_ACTIVATIONS,
            Counter,
            "Accounts activated from their snapshot and later events",
        ),
        (
            ACTIVATION_EVENTS,
            Counter,
            "Events replayed by account activations",
        ),
        (CONNECTIONS_OPEN, Gauge, "Open HTTP connections"),
        (
            CONNECTIONS_REFUSED,
            Counter,
            "Connections refused as soon as accepted (per_client: the address holds its cap) [labels: reason]",
        ),
        (
            CONNECTIONS_CLOSED,
            Counter,
            "Connections closed on a limit: write_timeout, idle_timeout, head_timeout, head_too_large [labels: reason]",
        ),
        (
            CSRF_REFUSED,
            Counter,
            "Buy-window forms refused by the CSRF check",
        ),
        (
            DEPOSITS,
            Counter,
            "Deposits from a saved payment method by step: started, credited, accepted, failed, refused, resolved_at_start, settled, returned, top_off [labels: step]",
        ),
        (
            CASH_OUTS,
            Counter,
            "Cash-outs of settled balance paid out to members' bank accounts",
        ),
        (
            TRANSFERS,
            Counter,
            "Transfers between members by step: sent, received, redelivered [labels: step]",
        ),
        (
            AUDIT_FAILURES,
            Counter,
            "Outcomes of back-office calls the audit trail could not record",
        ),
        (
            MAIL_RELAYED,
            Counter,
            "Mail messages the SMTP relay accepted",
        ),
        (
            MAIL_RELAY_FAILURES,
            Counter,
            "Mail messages the SMTP relay refused or could not take; retried later",
        ),
        (
            MAIL_SUMMARIES_WRITTEN,
            Counter,
            "Daily summaries written into the mail outbox",
        ),
        (
            MAIL_SUMMARY_FAILURES,
            Counter,
            "Members whose daily summary could not be gathered or written; retried next tick",
        ),
        (
            MAIL_DAY_RUN_SECONDS,
            Histogram,
            "Seconds one day's daily summary run took",
        ),
        (
            DISPUTES,
            Counter,
            "Disputes by step: condition_i, conditions_ii_to_iv, pending (filed), approved, \
             rejected (decided) [labels: step]",
        ),
        (
            INCENTIVES,
            Counter,
            "Incentive grants by step: granted, expired [labels: step]",
        ),
        (SETTLEMENT_RUNS, Counter, "Settlement runs journaled"),
        (PAYOUTS, Counter, "Payouts made by settlement runs"),
        (
            TRANSFERS_IN_TRANSIT,
            Gauge,
            "Transfers sent and not yet received, as the transfer watcher last saw them",
        ),
        (
            ATTEMPTS_THROTTLED,
            Counter,
            "Sign-ins and registrations refused by a throttle, by what was throttled [labels: key]",
        ),
        (
            PASSWORD_HASHES,
            Counter,
            "Password hashes run (the dummy hash for an unknown e-mail included)",
        ),
        (
            PASSWORD_HASH_WAITS,
            Counter,
            "Password hashes that waited for a slot",
        ),
        (
            PASSWORD_HASH_REJECTIONS,
            Counter,
            "Password hashes refused with 503: queue_full or wait_timeout [labels: reason]",
        ),
        (
            journal::METRIC_BATCH_EVENTS,
            Histogram,
            "Events written per journal batch (one persist each)",
        ),
        (
            journal::METRIC_PERSIST_SECONDS,
            Histogram,
            "Seconds to write and persist one journal batch",
        ),
        (
            journal::METRIC_SYNC_SECONDS,
            Histogram,
            "Seconds of one journal batch's make-durable step (the fsync), part of its persist",
        ),
        (
            journal::METRIC_WAIT_SECONDS,
            Histogram,
            "Seconds from an append to its durable acknowledgement, per group",
        ),
        (
            journal::METRIC_QUEUE_DEPTH,
            Gauge,
            "Groups waiting for the journal writer when it starts a batch",
        ),
        (
            journal::METRIC_BATCHES_TOTAL,
            Counter,
            "Journal batches written and made durable",
        ),
        (
            journal::METRIC_KEYS_WRITTEN_TOTAL,
            Counter,
            "Keys the journal wrote (events, owner-index rows, a close's erasures)",
        ),
        (
            statement_projection::METRIC_PENDING_ROWS,
            Gauge,
            "Statement rows of durable events held in memory, not yet written as a table",
        ),
        (
            statement_projection::METRIC_INGEST_SECONDS,
            Histogram,
            "Seconds to sort and write one buffer of statement rows as a table",
        ),
        (
            statement_projection::METRIC_INGESTED_ROWS_TOTAL,
            Counter,
            "Statement rows written as tables by the statement projector",
        ),
        (
            STATEMENT_QUERY_SECONDS,
            Histogram,
            "Seconds a statement page took to read, session check excluded",
        ),
        (
            STATEMENT_ENTRIES_SCANNED,
            Counter,
            "Statement index entries read by statement pages, matching the filters or not",
        ),
        (
            journal::METRIC_PERSIST_FAILURES_TOTAL,
            Counter,
            "Failed journal writes or persists (each poisons the journal: at most one)",
        ),
        (
            journal::METRIC_SNAPSHOTS_WRITTEN_TOTAL,
            Counter,
            "Snapshot batches written",
        ),
        (
            crate::storage::METRIC_MEMTABLES_FREED,
            Counter,
            "Flushed memtables freed by the keeper rather than inside fjall's lock",
        ),
    ]
};

/// Which `describe_*` macro a family takes.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Describes every family to the installed recorder, so each has HELP text.
fn describe() {
    for (name, kind, description) in DESCRIPTIONS {
        match kind {
            Kind::Counter => metrics::describe_counter!(*name, *description),
            Kind::Gauge => metrics::describe_gauge!(*name, *description),
            Kind::Histogram => metrics::describe_histogram!(*name, *description),
        }
    }
}

/// Latency buckets from 10 µs to 1 s: the hot path lives in the first half.
const SECONDS_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Batch-size buckets for the journal.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// Installs the global Prometheus recorder once; later calls return the same handle.
///
/// # Errors
/// When the buckets are rejected or another recorder was installed first.
pub fn install() -> Result<PrometheusHandle, String> {
    // `get_or_init` makes a concurrent caller (another test's server in this process) wait
    // until the recorder is installed and its handle stored, instead of finding the global
    // recorder set but the handle not yet there.
    static INSTALLED: std::sync::OnceLock<Result<PrometheusHandle, String>> =
        std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("farthing_journal_batch_events".to_owned()),
                        BATCH_BUCKETS,
                    )
                })
                .map_err(|e| e.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder)
                .map_err(|_| "a different metrics recorder is installed".to_owned())?;
            describe();
            Ok(handle)
        })
        .clone()
}

/// Handles of the metrics every request touches, registered once. Looking a metric up by
/// name and labels (`metrics::counter!`) hashes them and takes the registry's lock on every
/// call, which showed as several percent of the server's CPU under load; a handle is one
/// atomic add. Rare outcomes (reject codes) still use the macros.
pub struct Hot {
    /// `farthing_authorize_outcomes_total{outcome="purchased"}`.
    pub purchased: metrics::Counter,
    /// `...{outcome="already_owned"}`.
    pub already_owned: metrics::Counter,
    /// `...{outcome="replayed"}`.
    pub replayed: metrics::Counter,
    /// `farthing_access_outcomes_total{outcome="granted"}`.
    pub access_granted: metrics::Counter,
    /// `farthing_authorize_before_journal_seconds`.
    pub before_journal: metrics::Histogram,
    /// `farthing_authorize_journal_wait_seconds`.
    pub journal_wait: metrics::Histogram,
    /// `farthing_authorize_amount_micros_total` by currency (a handful of currencies).
    authorized_micros: dashmap::DashMap<&'static str, metrics::Counter>,
}

impl Hot {
    /// The amount counter of a currency.
    pub fn authorized_micros(&self, currency: &'static str) -> metrics::Counter {
        self.authorized_micros
            .entry(currency)
            .or_insert_with(|| metrics::counter!(AUTHORIZED_MICROS, "currency" => currency))
            .clone()
    }
}

/// The hot-path handles (registered on first use, after the recorder is installed).
pub fn hot() -> &'static Hot {
    static HOT: std::sync::OnceLock<Hot> = std::sync::OnceLock::new();
    HOT.get_or_init(|| Hot {
        purchased: metrics::counter!(AUTHORIZATIONS, "outcome" => "purchased"),
        already_owned: metrics::counter!(AUTHORIZATIONS, "outcome" => "already_owned"),
        replayed: metrics::counter!(AUTHORIZATIONS, "outcome" => "replayed"),
        access_granted: metrics::counter!(ACCESS_CHECKS, "outcome" => "granted"),
        before_journal: metrics::histogram!(AUTHORIZE_BEFORE_JOURNAL),
        journal_wait: metrics::histogram!(AUTHORIZE_JOURNAL_WAIT),
        authorized_micros: dashmap::DashMap::new(),
    })
}

/// The statuses a route's counter is kept for, as static labels.
pub const STATUS_LABELS: [&str; 17] = [
    "200", "201", "303", "400", "401", "402", "403", "404", "405", "408", "409", "410", "413",
    "429", "500", "503", "other",
];

/// One route's handles: its latency histogram and a counter per status, registered on first
/// use.
pub struct RouteHandles {
    latency: metrics::Histogram,
    statuses: [std::sync::OnceLock<metrics::Counter>; STATUS_LABELS.len()],
    route: &'static str,
}

impl RouteHandles {
    /// Counts one response of `status_index` (an index into `STATUS_LABELS`) and its time.
    pub fn record(&self, status_index: usize, seconds: f64) {
        self.latency.record(seconds);
        if let (Some(slot), Some(status)) = (
            self.statuses.get(status_index),
            STATUS_LABELS.get(status_index),
        ) {
            slot.get_or_init(
                || metrics::counter!(HTTP_REQUESTS, "route" => self.route, "status" => *status),
            )
            .increment(1);
        }
    }
}

/// Handles for `routes` (route labels, in a fixed order), built once; index them by position.
pub fn route_handles(routes: &[&'static str]) -> Vec<RouteHandles> {
    routes
        .iter()
        .map(|route| RouteHandles {
            latency: metrics::histogram!(HTTP_LATENCY, "route" => *route),
            statuses: std::array::from_fn(|_| std::sync::OnceLock::new()),
            route,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// Servers started at once in one process (tests) all get the one recorder's handle.
    #[test]
    fn concurrent_installs_all_get_the_recorder() {
        const CALLERS: usize = 8;
        let barrier = Arc::new(Barrier::new(CALLERS));
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    install().map(|_| ())
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.join().ok(), Some(Ok(())));
        }
    }
}
