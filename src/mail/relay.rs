//! Relaying the mail outbox to an SMTP relay, at least once per message.
//!
//! For each pending file: read its bytes, take the envelope from its own `From:` and `To:`
//! headers, send the bytes unchanged over plain SMTP (no TLS, no authentication: a relay on
//! this machine or network, which does the rest), then move the file into `sent/`. A failure
//! leaves the file pending for the next call. A crash after the relay accepted a message and
//! before it was moved sends it again next time, byte for byte, with the same `Message-ID`:
//! the receiving system drops the duplicate. Rejected: moving before sending, which loses a
//! message on a crash instead of repeating it.
//!
//! The envelope is read back from the stored headers rather than kept in a file beside the
//! message. Rejected: an envelope file, which makes two files per message, two commit
//! points, and a crash between them a message without an envelope; with the headers, the
//! `.eml` file is the whole message and whatever reads the outbox under the file transport
//! sees exactly what SMTP would have sent. It works because the outbox only holds messages
//! this crate rendered: one `From` and one `To` mailbox, written by `lettre` as
//! `Name <addr>` or `addr` (encoded names are ASCII, and the address is the last `<…>`).
//!
//! With `transport = "file"` nothing is relayed: the `.eml` files in the outbox are the
//! delivery, for a program that picks them up.
//!
//! Blocking (a synchronous SMTP client, one connection per message, and file I/O): async
//! callers run [`relay_pending`] on `spawn_blocking`. Rejected: `lettre`'s connection pool,
//! which keeps connections and a thread between calls for a job that sends a batch once a
//! day, and the tokio transport, which would make every caller async for no gain here.

use std::path::Path;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::{Address, SmtpTransport, Transport};

use crate::mail::outbox::{self, Outbox};
use crate::mail::{MailConfig, MailError, MailTransport};

/// What one [`relay_pending`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Messages the relay accepted and that moved to `sent/`.
    pub sent: u32,
    /// Messages tried that stay pending: refused, unreadable, or relayed but not moved.
    pub failed: u32,
    /// Messages not tried in this call, left for the next: beyond `relay_messages_max`, or
    /// after the relay could not be reached (trying the rest would wait out one timeout
    /// each).
    pub deferred: u32,
}

/// Relays every pending message (at most `relay_messages_max`) when `transport = "smtp"`;
/// does nothing with `transport = "file"`, whose outbox files are the delivery. A message
/// that fails stays pending and is counted in `failed`; an unreachable relay ends the call
/// early, counting the rest in `deferred`. Never panics.
///
/// # Errors
/// [`MailError::Io`] when the outbox cannot be listed. Failures of single messages are in
/// the report, not errors.
pub fn relay_pending(outbox: &Outbox, config: &MailConfig) -> Result<RelayReport, MailError> {
    let mut report = RelayReport::default();
    if config.transport == MailTransport::File {
        return Ok(report);
    }
    let pending = outbox.pending()?;
    let batch_max = usize::try_from(config.relay_messages_max).unwrap_or(usize::MAX);
    let transport = smtp_transport(config);
    let mut unreachable = false;
    for (index, path) in pending.iter().enumerate() {
        if unreachable || index >= batch_max {
            report.deferred = report.deferred.saturating_add(1);
            continue;
        }
        let file = file_name(path);
        let outcome = send_with(&transport, path).and_then(|message_id| {
            metrics::counter!(crate::metrics::MAIL_RELAYED).increment(1);
            outbox.mark_relayed(path)?;
            Ok(message_id)
        });
        match outcome {
            Ok(message_id) => {
                report.sent = report.sent.saturating_add(1);
                tracing::debug!(%message_id, %file, "mail relayed");
            }
            Err(error) => {
                report.failed = report.failed.saturating_add(1);
                metrics::counter!(crate::metrics::MAIL_RELAY_FAILURES).increment(1);
                tracing::warn!(%error, %file, "mail not relayed; it stays pending");
                // No SMTP reply at all (refused connection, timeout): the relay is down.
                if let MailError::Smtp(smtp) = &error
                    && smtp.status().is_none()
                {
                    unreachable = true;
                }
            }
        }
    }
    if report.sent > 0 || report.failed > 0 || report.deferred > 0 {
        tracing::info!(
            sent = report.sent,
            failed = report.failed,
            deferred = report.deferred,
            "mail outbox relayed"
        );
    }
    Ok(report)
}

/// Sends one outbox file to `config`'s SMTP relay and returns its `Message-ID`, without
/// moving it to `sent/` (the first half of what [`relay_pending`] does per message). Public
/// so a test can stop between sending and marking, as a crash would; a caller that sends
/// with it marks with [`Outbox::mark_relayed`]. Uses SMTP whatever `config.transport` says.
///
/// # Errors
/// [`MailError::Io`] when the file cannot be read, [`MailError::Stored`] when it is too
/// large or lacks a usable `From`, `To` or `Message-ID`, [`MailError::Smtp`] when the relay
/// cannot be reached or refuses it.
pub fn send_one(config: &MailConfig, path: &Path) -> Result<String, MailError> {
    send_with(&smtp_transport(config), path)
}

/// A plain SMTP client for `config`'s relay. Building connects nothing; each send opens
/// its own connection and closes it (`QUIT`).
fn smtp_transport(config: &MailConfig) -> SmtpTransport {
    SmtpTransport::builder_dangerous(config.smtp_host.as_str())
        .port(config.smtp_port)
        .timeout(Some(Duration::from_millis(config.smtp_timeout_ms)))
        .build()
}

fn send_with(transport: &SmtpTransport, path: &Path) -> Result<String, MailError> {
    let stored = |reason: String| MailError::Stored {
        file: file_name(path),
        reason,
    };
    let bytes = match outbox::read_message(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
            return Err(stored(error.to_string()));
        }
        Err(error) => return Err(MailError::Io(error)),
    };
    let message_id = outbox::header_value(&bytes, "Message-ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| stored("no Message-ID header".to_owned()))?;
    let envelope = envelope_of(&bytes).map_err(stored)?;
    transport.send_raw(&envelope, &bytes)?;
    Ok(message_id)
}

/// The envelope of a stored message: its `From` mailbox as the sender, its `To` mailbox as
/// the one recipient.
fn envelope_of(message: &[u8]) -> Result<Envelope, String> {
    let from = header_address(message, "From")?;
    let to = header_address(message, "To")?;
    Envelope::new(Some(from), vec![to]).map_err(|error| error.to_string())
}

/// The address of the one mailbox in header `name`: inside the last `<…>` when there is a
/// display name, else the whole value.
fn header_address(message: &[u8], name: &str) -> Result<Address, String> {
    let value = outbox::header_value(message, name).ok_or_else(|| format!("no {name} header"))?;
    let address = match value.rsplit_once('<') {
        Some((_, rest)) => rest
            .split_once('>')
            .map(|(address, _)| address)
            .ok_or_else(|| format!("the {name} header has an unclosed <"))?,
        None => value.as_str(),
    };
    address
        .trim()
        .parse::<Address>()
        .map_err(|_| format!("the {name} header holds no valid address"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_comes_from_the_stored_headers() {
        let message = b"From: =?utf-8?b?RmFydGhpbmc=?= <no-reply@farthing.invalid>\r\n\
            To: alice@example.com\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n";
        let envelope = envelope_of(message).unwrap();
        assert_eq!(
            envelope.from().map(AsRef::as_ref),
            Some("no-reply@farthing.invalid")
        );
        let to: Vec<&str> = envelope.to().iter().map(AsRef::as_ref).collect();
        assert_eq!(to, ["alice@example.com"]);
    }

    #[test]
    fn a_message_without_a_usable_envelope_is_refused() {
        for message in [
            &b"To: alice@example.com\r\n\r\n"[..],
            b"From: a@example.com\r\n\r\nTo: alice@example.com\r\n",
            b"From: a@example.com\r\nTo: Alice <alice@example.com\r\n\r\n",
            b"From: a@example.com\r\nTo: not an address\r\n\r\n",
        ] {
            assert!(envelope_of(message).is_err(), "{message:?}");
        }
    }

    #[test]
    fn the_file_transport_relays_nothing() -> Result<(), MailError> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        let message = b"From: a@example.com\r\nTo: b@example.com\r\nMessage-ID: <m@x>\r\n\r\nx";
        outbox.write("m", "<m@x>", message)?;
        // An SMTP port nothing listens on: a relay attempt would fail, not pass unnoticed.
        let config = MailConfig {
            smtp_port: 1,
            ..MailConfig::default()
        };
        assert_eq!(relay_pending(&outbox, &config)?, RelayReport::default());
        assert_eq!(outbox.pending()?.len(), 1);
        Ok(())
    }
}
