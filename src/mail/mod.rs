//! The mail edge (issue 13, the daily summary mail): turns a member's day into a MIME
//! message, writes it into the mail outbox exactly once, and relays the outbox over SMTP at
//! least once under a stable `Message-ID`.
//!
//! The path of one message, and why each step is safe to repeat:
//! 1. [`summary::render`] (pure): the same summary gives the same bytes and the same
//!    `Message-ID`, `<summary-{account}-{day}@{message_id_domain}>`.
//! 2. [`Outbox::write`]: `<stem>.eml` is written atomically (temporary file, fsync, link
//!    into place, fsync of the directory) unless it is already in the outbox or in its
//!    `sent/` folder. Written again after a crash or a second run, it is [`Written::AlreadyThere`]:
//!    exactly once into the outbox.
//! 3. [`relay::relay_pending`] (`transport = "smtp"`): sends each pending file, then moves
//!    it to `sent/`. A crash between the two sends it again, with the same `Message-ID`, which
//!    the receiving system dedupes on: at least once to the relay. With `transport = "file"`
//!    nothing is relayed; the outbox files are the delivery.
//!
//! Gathering the day from the journal is not done here: the caller builds a
//! [`DailySummary`] and calls [`Outbox::write_summary`]. All of it is blocking I/O (file
//! system and a synchronous SMTP client): an async caller runs it on `spawn_blocking`.
//! Depends on `lettre`, `jiff`, the domain's ids and the buy window's languages; on no actor,
//! no storage and no HTTP.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod outbox;
pub mod relay;
pub mod summary;

pub use outbox::{MESSAGE_BYTES_MAX, Outbox, Written};
pub use relay::{RelayReport, relay_pending, send_one};
pub use summary::{
    BalanceLine, DailySummary, LineKind, NewVendor, SummaryLine, message_id, render,
};

/// Longest SMTP command timeout accepted in config, in milliseconds.
pub const SMTP_TIMEOUT_MS_MAX: u64 = 600_000;

/// Most messages one relay call may send, as accepted in config.
pub const RELAY_MESSAGES_MAX: u32 = 100_000;

/// Longest `tick_ms` accepted: a day.
pub const TICK_MS_MAX: u64 = 86_400_000;

/// Most past days a tick catches up on after the server was down.
pub const CATCH_UP_DAYS_MAX: u32 = 31;

/// Why a summary could not be rendered, written or relayed. One variant per cause, so a
/// caller can tell a bad address (fix the data) from a relay failure (try again).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address does not parse as a mailbox. The address is left out of the message: it
    /// is personal data, and errors are logged.
    #[error("the {header} address does not parse as an e-mail mailbox")]
    Address {
        /// The header it was meant for: `From` (config) or `To` (the member).
        header: &'static str,
    },
    /// `message_id_domain` is not a host name, so it cannot end a `Message-ID`.
    #[error("message_id_domain must be a host name (letters, digits, '-' and '.'): {0:?}")]
    MessageIdDomain(String),
    /// The summary's day is before 1970 (a mail `Date` header cannot carry it) or is the
    /// last day of year 9999 (its end is past the last instant `jiff` represents).
    #[error("the summary day {0} is outside 1970-01-01 to 9999-12-30")]
    DateOutOfRange(jiff::civil::Date),
    /// `lettre` refused to build the message (a missing header: a bug here).
    #[error("the message could not be built: {0}")]
    Build(String),
    /// A `[mail]` setting is out of range.
    #[error("[mail] {0}")]
    Config(String),
    /// A stored outbox file has no usable `From`, `To` or `Message-ID` header, or is too
    /// large; it stays in the outbox for an operator.
    #[error("the outbox file {file} cannot be relayed: {reason}")]
    Stored {
        /// The file's name in the outbox.
        file: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The SMTP relay could not be reached, or refused the message; it stays pending.
    #[error("the SMTP relay: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The outbox could not be read or written.
    #[error("the mail outbox: {0}")]
    Io(#[from] std::io::Error),
}

/// How messages leave the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    /// The `.eml` files in the outbox are the delivery (another program picks them up);
    /// nothing is sent. The default, so a fresh install never mails anyone by accident.
    #[default]
    File,
    /// Each outbox file is relayed to `smtp_host:smtp_port` without TLS (a local relay).
    Smtp,
}

/// The `[mail]` settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// How messages leave the outbox.
    pub transport: MailTransport,
    /// Where messages are written; empty means `<data_dir>/outbox/mail`.
    pub outbox_dir: String,
    /// The relay's host. Plain SMTP, no TLS and no authentication: meant for a relay on
    /// the same machine or network, which does the rest.
    pub smtp_host: String,
    /// The relay's port.
    pub smtp_port: u16,
    /// How long one SMTP command may take before the message is left pending, in
    /// milliseconds (at most [`SMTP_TIMEOUT_MS_MAX`]).
    pub smtp_timeout_ms: u64,
    /// Most messages one relay call sends (at most [`RELAY_MESSAGES_MAX`]); the rest wait
    /// for the next call, so one call has a bounded duration.
    pub relay_messages_max: u32,
    /// The `From` mailbox of every mail, e.g. `Farthing <no-reply@farthing.invalid>`.
    pub from: String,
    /// The right part of every `Message-ID`; stable across restarts and hosts, so a resend
    /// carries the same id.
    pub message_id_domain: String,
    /// How often the server looks for a day that has ended in every time zone and mails
    /// its summaries (then relays the outbox), in milliseconds; 0 turns it off (operators
    /// then run a day with `POST /admin/v1/mail/daily-summary`). At most [`TICK_MS_MAX`].
    pub tick_ms: u64,
    /// How many ended days a tick looks back for one not mailed yet (a server that was
    /// down), 1 to [`CATCH_UP_DAYS_MAX`].
    pub catch_up_days: u32,
    /// The account pages' address the mail links to; empty means
    /// `<buy_window.public_url>/account`.
    pub account_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: MailTransport::File,
            outbox_dir: String::new(),
            smtp_host: "127.0.0.1".to_owned(),
            smtp_port: 25,
            smtp_timeout_ms: 30_000,
            relay_messages_max: 1_000,
            from: "Farthing <no-reply@farthing.invalid>".to_owned(),
            message_id_domain: "farthing.invalid".to_owned(),
            tick_ms: 60_000,
            catch_up_days: 3,
            account_url: String::new(),
        }
    }
}

impl MailConfig {
    /// The outbox directory: `outbox_dir`, or `<data_dir>/outbox/mail` when it is empty
    /// (beside the payment files' `outbox/payments`).
    #[must_use]
    pub fn outbox_dir(&self, data_dir: &Path) -> PathBuf {
        if self.outbox_dir.is_empty() {
            data_dir.join("outbox").join("mail")
        } else {
            PathBuf::from(&self.outbox_dir)
        }
    }

    /// Checks the settings at start-up, so a typo is a refusal to start rather than a
    /// failure at the first mail.
    ///
    /// # Errors
    /// [`MailError::Address`] for `from`, [`MailError::MessageIdDomain`], or
    /// [`MailError::Config`] for an empty host, port 0, or a timeout or batch size of zero
    /// or above its maximum.
    pub fn validate(&self) -> Result<(), MailError> {
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|_| MailError::Address { header: "From" })?;
        summary::check_message_id_domain(&self.message_id_domain)?;
        if self.smtp_host.trim().is_empty() {
            return Err(MailError::Config("smtp_host must not be empty".to_owned()));
        }
        if self.smtp_port == 0 {
            return Err(MailError::Config("smtp_port must not be 0".to_owned()));
        }
        if !(1..=SMTP_TIMEOUT_MS_MAX).contains(&self.smtp_timeout_ms) {
            return Err(MailError::Config(format!(
                "smtp_timeout_ms must be 1 to {SMTP_TIMEOUT_MS_MAX}"
            )));
        }
        if !(1..=RELAY_MESSAGES_MAX).contains(&self.relay_messages_max) {
            return Err(MailError::Config(format!(
                "relay_messages_max must be 1 to {RELAY_MESSAGES_MAX}"
            )));
        }
        if self.tick_ms > TICK_MS_MAX {
            return Err(MailError::Config(format!(
                "tick_ms must be 0 (off) to {TICK_MS_MAX}"
            )));
        }
        if !(1..=CATCH_UP_DAYS_MAX).contains(&self.catch_up_days) {
            return Err(MailError::Config(format!(
                "catch_up_days must be 1 to {CATCH_UP_DAYS_MAX}"
            )));
        }
        if !(self.account_url.is_empty()
            || self.account_url.starts_with("https://")
            || self.account_url.starts_with("http://"))
        {
            return Err(MailError::Config(
                "account_url must be empty or an http(s) URL".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_write_files() {
        let config = MailConfig::default();
        assert!(config.validate().is_ok());
        assert_eq!(config.transport, MailTransport::File);
        assert_eq!(
            config.outbox_dir(Path::new("/var/lib/farthing")),
            Path::new("/var/lib/farthing/outbox/mail")
        );
    }

    #[test]
    fn settings_parse_and_unknown_ones_are_refused() {
        let config: MailConfig =
            toml::from_str("transport = \"smtp\"\nsmtp_port = 2525\noutbox_dir = \"/srv/mail\"")
                .unwrap();
        assert_eq!(config.transport, MailTransport::Smtp);
        assert_eq!(config.smtp_port, 2525);
        assert_eq!(config.smtp_host, "127.0.0.1");
        assert_eq!(
            config.outbox_dir(Path::new("/data")),
            Path::new("/srv/mail")
        );
        assert!(toml::from_str::<MailConfig>("smtp_prot = 25").is_err());
        assert!(toml::from_str::<MailConfig>("transport = \"pigeon\"").is_err());
    }

    #[test]
    fn each_bad_setting_is_refused() {
        let bad = [
            MailConfig {
                from: "nobody".to_owned(),
                ..MailConfig::default()
            },
            MailConfig {
                message_id_domain: "a b".to_owned(),
                ..MailConfig::default()
            },
            MailConfig {
                smtp_host: " ".to_owned(),
                ..MailConfig::default()
            },
            MailConfig {
                smtp_port: 0,
                ..MailConfig::default()
            },
            MailConfig {
                smtp_timeout_ms: 0,
                ..MailConfig::default()
            },
            MailConfig {
                smtp_timeout_ms: SMTP_TIMEOUT_MS_MAX + 1,
                ..MailConfig::default()
            },
            MailConfig {
                relay_messages_max: 0,
                ..MailConfig::default()
            },
            MailConfig {
                tick_ms: TICK_MS_MAX + 1,
                ..MailConfig::default()
            },
            MailConfig {
                catch_up_days: 0,
                ..MailConfig::default()
            },
            MailConfig {
                account_url: "ftp://x".to_owned(),
                ..MailConfig::default()
            },
        ];
        for config in bad {
            assert!(config.validate().is_err(), "{config:?}");
        }
        // One step away from the limits: accepted.
        let edge = MailConfig {
            smtp_timeout_ms: SMTP_TIMEOUT_MS_MAX,
            relay_messages_max: RELAY_MESSAGES_MAX,
            ..MailConfig::default()
        };
        assert!(edge.validate().is_ok());
    }
}
