//! The daily summary mail, run by the server ([0157], [0213], [0238], [0242], [0265]): once a
//! calendar day has ended in every time zone, each member with activity on their own day gets
//! one message with the day's lines, the balances at its end, a link to the account pages and
//! the mailing lists of vendors they first bought from that day.
//!
//! How a day is mailed, and why a crash or a second run sends nothing twice:
//! 1. the journal is searched by time for the accounts with events in the widest span the day
//!    covers in any zone (`storage::journal_days`), holding one position per account;
//! 2. for each, its actor answers its zone's day, e-mail, language, balances and position
//!    (`Registry::day_facts`), and its own events from the day on are walked back from those
//!    balances (`domain::member_day`);
//! 3. the message is written into the outbox under a name of the account and the day: a
//!    message already there (or relayed) is not written again (`mail::Outbox`);
//! 4. once every member's message is in the outbox, a mark `days/<date>` is written: the
//!    tick skips a marked day. A crash before the mark runs the day again, and step 3 keeps
//!    that from writing anything twice; nothing is skipped, because the mark comes last.
//! 5. with `transport = "smtp"` the outbox is relayed (at least once, under a stable
//!    `Message-ID`).
//!
//! None of it is on the hot path: it reads the journal on the blocking pool and asks each
//! account actor once, one member at a time. Memory holds the active accounts' ids and one
//! member's events at a time (at most [`MEMBER_EVENTS_MAX`]).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::civil::Date;

use crate::actors::gateway::GatewayError;
use crate::actors::messages::Fault;
use crate::actors::registry::Registry;
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, VendorId};
use crate::domain::member_day::{DayLine, member_day};
use crate::domain::money::{NetTotal, format_net_total};
use crate::domain::time::{MemberZone, Timestamp};
use crate::mail::{
    BalanceLine, DailySummary, MailConfig, MailError, NewVendor, Outbox, RelayReport, SummaryLine,
    Written, relay_pending,
};
use crate::metrics as names;
use crate::storage::journal_days::{self, CLOCK_SKEW_MS};
use crate::web::i18n::Lang;

/// Most of one member's events read for a day (the day's and every later one's): a member
/// with more is left out of that day's mail and logged, rather than held in memory.
pub const MEMBER_EVENTS_MAX: usize = 200_000;

/// How far ahead of UTC the earliest time zone is (UTC+14, Kiritimati): its day starts first.
const EARLIEST_ZONE_AHEAD_MS: u64 = 14 * 3_600_000;
/// How far behind UTC the latest time zone is (UTC-12): its day ends last.
const LATEST_ZONE_BEHIND_MS: u64 = 12 * 3_600_000;
/// The folder of the outbox holding the marks of days done.
const DAYS_DIR: &str = "days";

/// Why a day could not be mailed.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The day has not ended in every time zone: some member's day is still going on.
    #[error("{date} has not ended in every time zone; it can be mailed from {ready_at:?}")]
    DayNotOver {
        /// The day asked for.
        date: Date,
        /// When it can be.
        ready_at: Timestamp,
    },
    /// Another run is mailing a day now.
    #[error("a daily summary run is in progress")]
    Busy,
    /// The actors or the journal failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The outbox could not be written or the relay failed to list it.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// A member has more events since the day than a run holds ([`MEMBER_EVENTS_MAX`]), or
    /// their events do not add up to their balances: left out, and logged.
    #[error("the member's day cannot be told: {0}")]
    Member(&'static str),
}

/// What one day's run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayReport {
    /// Accounts with events in the span the day covers in some zone.
    pub accounts_active: u32,
    /// Messages written now.
    pub written: u32,
    /// Messages in the outbox (or relayed) before: written by an earlier run.
    pub already_written: u32,
    /// Members without a message: no e-mail, or nothing on their own day.
    pub without_mail: u32,
    /// Members whose message could not be made (logged); the day is not marked done.
    pub failed: u32,
    /// What the relay did afterwards.
    pub relay: RelayReport,
}

/// The daily summary job: the outbox, the settings and the lock that keeps runs apart.
pub struct DailySummaries {
    config: Arc<MailConfig>,
    outbox: Arc<Outbox>,
    account_url: String,
    running: tokio::sync::Mutex<()>,
}

/// The vendors named in one run, looked up once each.
type VendorCards = HashMap<VendorId, (String, Option<String>)>;

impl DailySummaries {
    /// Opens the outbox (`config.outbox_dir`, or `<data_dir>/outbox/mail`) and its folder of
    /// marks.
    ///
    /// # Errors
    /// The directories cannot be created or read.
    pub fn open(
        config: MailConfig,
        data_dir: &Path,
        public_url: &str,
    ) -> Result<DailySummaries, MailError> {
        let outbox = Outbox::open(&config.outbox_dir(data_dir))?;
        fs::create_dir_all(outbox.dir().join(DAYS_DIR))?;
        let account_url = if config.account_url.is_empty() {
            format!("{}/account", public_url.trim_end_matches('/'))
        } else {
            config.account_url.clone()
        };
        Ok(DailySummaries {
            config: Arc::new(config),
            outbox: Arc::new(outbox),
            account_url,
            running: tokio::sync::Mutex::new(()),
        })
    }

    /// The outbox the messages are written into.
    #[must_use]
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// When `date` has ended in every time zone and its last events are durable: from then
    /// on it can be mailed. `None` for a day the calendar cannot place.
    #[must_use]
    pub fn ready_at(date: Date) -> Option<Timestamp> {
        let (_, end) = MemberZone::utc().day_bounds(date)?;
        Some(end.plus_ms(LATEST_ZONE_BEHIND_MS).plus_ms(CLOCK_SKEW_MS))
    }

    /// Whether `date`'s mail is all in the outbox (its mark is written). A file system call:
    /// made on the blocking pool, since the tick runs on the actors' thread.
    pub async fn is_done(&self, date: Date) -> bool {
        let mark = self.mark_path(date);
        tokio::task::spawn_blocking(move || mark.exists())
            .await
            .unwrap_or(false)
    }

    fn mark_path(&self, date: Date) -> PathBuf {
        self.outbox.dir().join(DAYS_DIR).join(date.to_string())
    }

    /// Mails `date`: every member with activity on it gets their message once (written
    /// before by an earlier run counts), then the day is marked done and the outbox relayed.
    ///
    /// # Errors
    /// `DayNotOver` before [`Self::ready_at`], `Busy` while another run goes on, faults of
    /// the actors or the journal, and outbox errors. A member whose message fails is counted
    /// in `failed` and leaves the day unmarked, so the next tick tries again.
    pub async fn run_day(
        &self,
        registry: &Registry,
        date: Date,
        now: Timestamp,
    ) -> Result<DayReport, SummaryError> {
        let ready_at = Self::ready_at(date).ok_or(SummaryError::DayNotOver {
            date,
            ready_at: Timestamp(i64::MAX),
        })?;
        if now < ready_at {
            return Err(SummaryError::DayNotOver { date, ready_at });
        }
        let _running = self.running.try_lock().map_err(|_| SummaryError::Busy)?;
        let started = Instant::now();
        let (utc_start, utc_end) = MemberZone::utc()
            .day_bounds(date)
            .ok_or(SummaryError::DayNotOver { date, ready_at })?;
        let (from, to) = (
            utc_start.minus_ms(EARLIEST_ZONE_AHEAD_MS),
            utc_end.plus_ms(LATEST_ZONE_BEHIND_MS),
        );
        let journal = Arc::clone(&registry.env().journal);
        let active =
            blocking(move || journal_days::active_accounts(journal.as_ref(), from, to)).await?;
        let mut report = DayReport {
            accounts_active: u32::try_from(active.len()).unwrap_or(u32::MAX),
            ..DayReport::default()
        };
        let mut vendors = VendorCards::new();
        for (account, first_position) in active {
            match self
                .mail_member(registry, account, first_position, date, now, &mut vendors)
                .await
            {
                Ok(Some(Written::New)) => {
                    report.written = report.written.saturating_add(1);
                    metrics::counter!(names::MAIL_SUMMARIES_WRITTEN).increment(1);
                }
                Ok(Some(Written::AlreadyThere)) => {
                    report.already_written = report.already_written.saturating_add(1);
                }
                Ok(None) => report.without_mail = report.without_mail.saturating_add(1),
                Err(error) => {
                    tracing::warn!(%account, %date, %error, "a daily summary could not be made");
                    metrics::counter!(names::MAIL_SUMMARY_FAILURES).increment(1);
                    report.failed = report.failed.saturating_add(1);
                }
            }
        }
        if report.failed == 0 {
            let mark = self.mark_path(date);
            tokio::task::spawn_blocking(move || write_mark(&mark))
                .await
                .map_err(|_| SummaryError::Gateway(Fault::Stopped.into()))?
                .map_err(MailError::Io)?;
        }
        report.relay = self.relay().await?;
        metrics::histogram!(names::MAIL_DAY_RUN_SECONDS).record(started.elapsed().as_secs_f64());
        tracing::info!(
            %date,
            active = report.accounts_active,
            written = report.written,
            already = report.already_written,
            failed = report.failed,
            relayed = report.relay.sent,
            "daily summary run"
        );
        Ok(report)
    }

    /// Relays the outbox (nothing with the file transport).
    ///
    /// # Errors
    /// The outbox cannot be listed.
    pub async fn relay(&self) -> Result<RelayReport, SummaryError> {
        let (outbox, config) = (Arc::clone(&self.outbox), Arc::clone(&self.config));
        tokio::task::spawn_blocking(move || relay_pending(&outbox, &config))
            .await
            .map_err(|_| SummaryError::Gateway(Fault::Stopped.into()))?
            .map_err(SummaryError::Mail)
    }

    /// One member's message for `date`: `None` when there is nobody to write to or nothing
    /// happened on their own day.
    async fn mail_member(
        &self,
        registry: &Registry,
        account: AccountId,
        first_position: u64,
        date: Date,
        now: Timestamp,
        vendors: &mut VendorCards,
    ) -> Result<Option<Written>, SummaryError> {
        let Some(facts) = registry.day_facts(account, date).await? else {
            return Ok(None);
        };
        let journal = Arc::clone(&registry.env().journal);
        let until = facts.position;
        let events = blocking(move || {
            journal_days::account_events(
                journal.as_ref(),
                account,
                first_position,
                until,
                MEMBER_EVENTS_MAX,
            )
        })
        .await?
        .ok_or(SummaryError::Member("too many events since the day"))?;
        let refs: Vec<&Event> = events.iter().map(AsRef::as_ref).collect();
        let day = member_day(&refs, &facts.balances, facts.start, facts.end)
            .map_err(|_| SummaryError::Member("the events do not add up to the balances"))?;
        if day.lines.is_empty() {
            return Ok(None);
        }
        let zone = &facts.zone;
        let mut lines = Vec::with_capacity(day.lines.len());
        for line in &day.lines {
            let vendor = match line.vendor {
                Some(vendor) => Some(vendor_card(registry, vendor, now, vendors).await?.0),
                None => None,
            };
            lines.push(summary_line(line, vendor.as_deref(), zone));
        }
        let mut new_vendors = Vec::new();
        for vendor in &facts.new_vendors {
            if let (name, Some(url)) = vendor_card(registry, *vendor, now, vendors).await? {
                new_vendors.push(NewVendor {
                    name,
                    mailing_list_url: url,
                });
            }
        }
        let summary = DailySummary {
            account,
            to: facts.email,
            date,
            lang: Lang::from_tag(&facts.language).unwrap_or(Lang::En),
            account_url: self.account_url.clone(),
            lines,
            balances: day
                .balances
                .iter()
                .map(|(currency, balance)| BalanceLine {
                    currency: currency.code().to_owned(),
                    balance: format_net_total(*balance, *currency),
                })
                .collect(),
            new_vendors,
        };
        let (outbox, config) = (Arc::clone(&self.outbox), Arc::clone(&self.config));
        let written = tokio::task::spawn_blocking(move || outbox.write_summary(&summary, &config))
            .await
            .map_err(|_| SummaryError::Gateway(Fault::Stopped.into()))??;
        Ok(Some(written))
    }
}

/// A vendor's name and mailing list, asked of its actor once per run.
async fn vendor_card(
    registry: &Registry,
    vendor: VendorId,
    now: Timestamp,
    cards: &mut VendorCards,
) -> Result<(String, Option<String>), SummaryError> {
    if let Some(card) = cards.get(&vendor) {
        return Ok(card.clone());
    }
    let card = match registry.vendor(vendor) {
        Some(entry) => {
            let view = registry.vendor_ledger(&entry, now).await?;
            (entry.profile.name.clone(), view.mailing_list)
        }
        None => (vendor.to_string(), None),
    };
    cards.insert(vendor, card.clone());
    Ok(card)
}

/// A line as the mail prints it: the member's local time, the amount with its sign.
fn summary_line(line: &DayLine, vendor: Option<&str>, zone: &MemberZone) -> SummaryLine {
    // A content key is `id:<vendor's id>` or `url:<normalized url>`; the reader wants the rest.
    let note = line
        .note
        .split_once(':')
        .filter(|(prefix, _)| matches!(*prefix, "id" | "url"))
        .map_or(line.note.as_str(), |(_, rest)| rest);
    let description = match (vendor, note.is_empty()) {
        (Some(vendor), false) => format!("{vendor} — {note}"),
        (Some(vendor), true) => vendor.to_owned(),
        (None, _) => note.to_owned(),
    };
    let sign = if line.amount > NetTotal::ZERO {
        "+"
    } else {
        ""
    };
    SummaryLine {
        time: zone.clock_time(line.at),
        kind: line.kind,
        description,
        amount: format!(
            "{sign}{} {}",
            format_net_total(line.amount, line.currency),
            line.currency.code()
        ),
        balance_after: format!(
            "{} {}",
            format_net_total(line.balance_after, line.currency),
            line.currency.code()
        ),
    }
}

/// Runs a blocking journal read on the blocking pool.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::storage::port::StorageError> + Send + 'static,
) -> Result<T, SummaryError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|_| SummaryError::Gateway(Fault::Stopped.into()))?
        .map_err(|error| SummaryError::Gateway(Fault::from(error).into()))
}

/// Writes the mark of a day done: an empty file, fsynced with its folder, so a crash after
/// it never mails the day again and a crash before it mails the rest.
fn write_mark(path: &Path) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(b"")?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The server's tick: every `interval`, mails each of the last `catch_up_days` days that
/// has ended everywhere and is not marked done (oldest first), then relays the outbox.
pub async fn tick(
    registry: Arc<Registry>,
    summaries: Arc<DailySummaries>,
    interval: Duration,
    catch_up_days: u32,
    now: impl Fn() -> Timestamp,
) {
    loop {
        actix_rt::time::sleep(interval).await;
        let at = now();
        for date in days_due(at, catch_up_days) {
            if summaries.is_done(date).await {
                continue;
            }
            match summaries.run_day(&registry, date, at).await {
                Ok(_) | Err(SummaryError::Busy) => {}
                Err(error) => {
                    tracing::warn!(%date, %error, "daily summary failed; retried next tick")
                }
            }
        }
        if let Err(error) = summaries.relay().await {
            tracing::warn!(%error, "the mail outbox could not be relayed; retried next tick");
        }
    }
}

/// The days ended everywhere by `now`, the latest `count` of them, oldest first.
#[must_use]
pub fn days_due(now: Timestamp, count: u32) -> Vec<Date> {
    let Ok(instant) = jiff::Timestamp::from_millisecond(now.0) else {
        return Vec::new();
    };
    let mut date = instant.to_zoned(jiff::tz::TimeZone::UTC).date();
    // Today (UTC) has not ended anywhere west of UTC: start from the day before.
    let mut due = Vec::new();
    while due.len() < usize::try_from(count).unwrap_or(usize::MAX) {
        let Ok(previous) = date.yesterday() else {
            break;
        };
        date = previous;
        if DailySummaries::ready_at(date).is_some_and(|ready| ready <= now) {
            due.push(date);
        }
    }
    due.reverse();
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn a_day_is_due_once_it_ended_in_the_latest_zone() {
        let day = jiff::civil::date(2026, 11, 29);
        // 2026-11-29 ends at UTC-12 on 2026-11-30T12:00Z; plus the clock skew.
        assert_eq!(
            DailySummaries::ready_at(day),
            Some(at("2026-11-30T12:01:00Z"))
        );
        assert_eq!(
            days_due(at("2026-11-30T12:00:59Z"), 1),
            vec![jiff::civil::date(2026, 11, 28)]
        );
        assert_eq!(days_due(at("2026-11-30T12:01:00Z"), 1), vec![day]);
        assert_eq!(
            days_due(at("2026-11-30T13:00:00Z"), 2),
            vec![jiff::civil::date(2026, 11, 28), day]
        );
    }
}
