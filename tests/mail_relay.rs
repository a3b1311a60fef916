//! The mail edge end to end: a summary is rendered, written into the outbox exactly once,
//! and relayed at least once under its stable `Message-ID` to a small SMTP sink on
//! `127.0.0.1:0` that speaks just enough SMTP to take a message (or refuse it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use farthing::domain::ids::AccountId;
use farthing::mail::outbox::header_value;
use farthing::mail::{
    BalanceLine, DailySummary, LineKind, MailConfig, MailTransport, NewVendor, Outbox, RelayReport,
    SummaryLine, Written, message_id, relay_pending, send_one,
};
use farthing::web::i18n::Lang;
use jiff::civil::Date;

/// Longest a sink runs, whatever happens.
const SINK_LIFETIME: Duration = Duration::from_secs(60);
/// Most connections a sink serves.
const SINK_CONNECTIONS_MAX: u32 = 32;
/// Most commands a sink reads on one connection.
const SINK_COMMANDS_MAX: u32 = 64;
/// Most lines a sink reads after `DATA`.
const SINK_DATA_LINES_MAX: u32 = 100_000;
/// Longest line a sink reads, in bytes.
const SINK_LINE_BYTES_MAX: u64 = 8 * 1024;
/// How long a sink waits for the client.
const SINK_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the sink answers to `DATA`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `354`, then `250` after the message.
    Accept,
    /// `554`: the relay refuses every message.
    RefuseData,
}

/// One message the sink took.
#[derive(Clone, Debug, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: Vec<u8>,
}

/// An SMTP sink on a thread: accepts connections one after the other until stopped.
struct Sink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    fn start(mode: Mode) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            std::thread::spawn(move || {
                let deadline = Instant::now() + SINK_LIFETIME;
                let mut served = 0;
                while !stop.load(Ordering::Relaxed)
                    && Instant::now() < deadline
                    && served < SINK_CONNECTIONS_MAX
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            // A broken conversation is the client's problem to report.
                            let _ = serve(stream, mode, &received);
                        }
                        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Sink {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One SMTP conversation.
fn serve(stream: TcpStream, mode: Mode, received: &Mutex<Vec<Received>>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(SINK_READ_TIMEOUT))?;
    stream.set_write_timeout(Some(SINK_READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    writer.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut current = Received::default();
    for _ in 0..SINK_COMMANDS_MAX {
        let Some(line) = read_line(&mut reader)? else {
            break;
        };
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            writer.write_all(b"250 sink.test\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            current = Received {
                mail_from: angle(&command),
                ..Received::default()
            };
            writer.write_all(b"250 sender ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            current.rcpt_to.push(angle(&command));
            writer.write_all(b"250 recipient ok\r\n")?;
        } else if upper == "DATA" {
            if mode == Mode::RefuseData {
                writer.write_all(b"554 no thanks\r\n")?;
                continue;
            }
            writer.write_all(b"354 go ahead\r\n")?;
            current.data = read_data(&mut reader)?;
            received.lock().unwrap().push(std::mem::take(&mut current));
            writer.write_all(b"250 queued\r\n")?;
        } else if upper == "RSET" || upper == "NOOP" {
            writer.write_all(b"250 ok\r\n")?;
        } else if upper == "QUIT" {
            writer.write_all(b"221 bye\r\n")?;
            break;
        } else {
            writer.write_all(b"502 not here\r\n")?;
        }
    }
    Ok(())
}

/// One line with its CRLF, at most `SINK_LINE_BYTES_MAX` bytes; `None` at the end.
fn read_line(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(SINK_LINE_BYTES_MAX)
        .read_until(b'\n', &mut line)?;
    Ok((read > 0).then_some(line))
}

/// The message after `DATA`, up to the `.` line, with dot-stuffing undone.
fn read_data(reader: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    for _ in 0..SINK_DATA_LINES_MAX {
        let Some(line) = read_line(reader)? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no end of data",
            ));
        };
        if line == b".\r\n" {
            return Ok(data);
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "data too long"))
}

/// The address between `<` and `>` of a `MAIL FROM:` or `RCPT TO:` command.
fn angle(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

// ---- reading a received message back ----

/// Decodes an RFC 2047 header value: `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words, with the
/// white space between two encoded words dropped.
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|rest| rest.strip_suffix("?="))
            .and_then(|rest| {
                let mut parts = rest.splitn(3, '?');
                let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                assert!(charset.eq_ignore_ascii_case("utf-8"), "{charset}");
                let bytes = if encoding.eq_ignore_ascii_case("b") {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?
                } else {
                    decode_quoted_printable(&text.replace('_', " "))
                };
                Some(String::from_utf8(bytes).unwrap())
            });
        match encoded {
            Some(text) => {
                if !previous_encoded && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                previous_encoded = false;
            }
        }
    }
    out
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The text of a single-part message, decoded from its transfer encoding.
fn body_text(message: &[u8]) -> String {
    let text = std::str::from_utf8(message).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let encoding = header_value(message, "Content-Transfer-Encoding").unwrap();
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.replace("\r\n", ""))
            .unwrap(),
        "quoted-printable" => decode_quoted_printable(body),
        "7bit" | "8bit" => body.as_bytes().to_vec(),
        other => panic!("unexpected transfer encoding {other}"),
    };
    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
}

// ---- the summaries ----

const ACCOUNT: AccountId = AccountId(0x00c0_ffee);
const DAY: Date = Date::constant(2024, 3, 5);

fn japanese_summary() -> DailySummary {
    DailySummary {
        account: ACCOUNT,
        to: "hanako@example.jp".to_owned(),
        date: DAY,
        lang: Lang::Ja,
        account_url: "https://farthing.example/account".to_owned(),
        lines: vec![
            SummaryLine {
                time: "09:12".to_owned(),
                kind: LineKind::FundsAdded,
                description: "Visa 4242".to_owned(),
                amount: "+500 JPY".to_owned(),
                balance_after: "500 JPY".to_owned(),
            },
            SummaryLine {
                time: "14:05".to_owned(),
                kind: LineKind::Purchase,
                description: "朝日新報 — 朝刊".to_owned(),
                amount: "-30 JPY".to_owned(),
                balance_after: "470 JPY".to_owned(),
            },
        ],
        balances: vec![
            BalanceLine {
                currency: "JPY".to_owned(),
                balance: "470".to_owned(),
            },
            BalanceLine {
                currency: "USD".to_owned(),
                balance: "1.25".to_owned(),
            },
        ],
        new_vendors: vec![NewVendor {
            name: "朝日新報".to_owned(),
            mailing_list_url: "https://shinpo.example/list?from=farthing".to_owned(),
        }],
    }
}

fn config(sink: &Sink) -> MailConfig {
    MailConfig {
        transport: MailTransport::Smtp,
        smtp_host: sink.addr.ip().to_string(),
        smtp_port: sink.addr.port(),
        smtp_timeout_ms: 5_000,
        ..MailConfig::default()
    }
}

fn the_message_id() -> String {
    message_id(ACCOUNT, DAY, &MailConfig::default().message_id_domain)
}

fn stored_file(dir: &Path) -> std::path::PathBuf {
    dir.join(format!("summary-{ACCOUNT}-{DAY}.eml"))
}

// ---- the tests ----

#[test]
fn a_japanese_summary_arrives_once_with_its_lines_balances_and_links() {
    let sink = Sink::start(Mode::Accept);
    let config = config(&sink);
    let temp = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(temp.path()).unwrap();

    assert_eq!(
        outbox.write_summary(&japanese_summary(), &config).unwrap(),
        Written::New
    );
    let report = relay_pending(&outbox, &config).unwrap();
    assert_eq!(
        report,
        RelayReport {
            sent: 1,
            failed: 0,
            deferred: 0
        }
    );

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.mail_from, "no-reply@farthing.invalid");
    assert_eq!(message.rcpt_to, ["hanako@example.jp"]);
    assert_eq!(
        header_value(&message.data, "Message-ID").unwrap(),
        the_message_id()
    );
    // The subject travels RFC 2047-encoded (the wire is ASCII) and decodes to Japanese.
    let subject = header_value(&message.data, "Subject").unwrap();
    assert!(subject.is_ascii());
    assert!(subject.contains("=?utf-8?"));
    assert_eq!(
        decode_header(&subject),
        "Farthing ご利用明細（2024年3月5日）"
    );
    assert_eq!(
        header_value(&message.data, "Content-Type").unwrap(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        header_value(&message.data, "Content-Language").unwrap(),
        "ja"
    );

    let body = body_text(&message.data);
    for line in [
        "2024年3月5日（お客様の現地時間）のご利用内容をお知らせします。",
        "09:12  入金  Visa 4242  +500 JPY  (残高 500 JPY)",
        "14:05  購入  朝日新報 — 朝刊  -30 JPY  (残高 470 JPY)",
        "JPY  470",
        "USD  1.25",
        "本日はじめてご購入いただいた販売元",
        "朝日新報  メーリングリスト: https://shinpo.example/list?from=farthing",
        "アカウント: https://farthing.example/account",
    ] {
        assert!(body.lines().any(|l| l == line), "{line:?} in\n{body}");
    }

    // Relayed: moved to sent/, nothing pending, and a second relay sends nothing.
    assert!(outbox.pending().unwrap().is_empty());
    assert!(stored_file(outbox.sent_dir()).exists());
    assert_eq!(
        relay_pending(&outbox, &config).unwrap(),
        RelayReport::default()
    );
    assert_eq!(sink.received().len(), 1);
}

#[test]
fn the_same_member_and_day_is_written_and_relayed_once() {
    let sink = Sink::start(Mode::Accept);
    let config = config(&sink);
    let temp = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(temp.path()).unwrap();

    assert_eq!(
        outbox.write_summary(&japanese_summary(), &config).unwrap(),
        Written::New
    );
    // Again before the relay: already in the outbox.
    assert_eq!(
        outbox.write_summary(&japanese_summary(), &config).unwrap(),
        Written::AlreadyThere
    );
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    // Again after the relay: already in sent/.
    assert_eq!(
        outbox.write_summary(&japanese_summary(), &config).unwrap(),
        Written::AlreadyThere
    );
    assert!(outbox.pending().unwrap().is_empty());
    assert_eq!(
        relay_pending(&outbox, &config).unwrap(),
        RelayReport::default()
    );
    assert_eq!(sink.received().len(), 1);

    // Another day of the same member is another message.
    let mut next_day = japanese_summary();
    next_day.date = Date::constant(2024, 3, 6);
    assert_eq!(
        outbox.write_summary(&next_day, &config).unwrap(),
        Written::New
    );
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert_ne!(
        header_value(&received[0].data, "Message-ID"),
        header_value(&received[1].data, "Message-ID")
    );
}

#[test]
fn a_restart_between_write_and_relay_relays_once() {
    let sink = Sink::start(Mode::Accept);
    let config = config(&sink);
    let temp = tempfile::tempdir().unwrap();
    {
        let outbox = Outbox::open(temp.path()).unwrap();
        outbox.write_summary(&japanese_summary(), &config).unwrap();
        // Stop before relaying.
    }
    let outbox = Outbox::open(temp.path()).unwrap();
    assert_eq!(outbox.pending().unwrap(), [stored_file(temp.path())]);
    assert_eq!(
        outbox.write_summary(&japanese_summary(), &config).unwrap(),
        Written::AlreadyThere
    );
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    drop(outbox);
    let outbox = Outbox::open(temp.path()).unwrap();
    assert_eq!(
        relay_pending(&outbox, &config).unwrap(),
        RelayReport::default()
    );
    assert_eq!(sink.received().len(), 1);
}

#[test]
fn a_crash_between_send_and_mark_resends_with_the_same_message_id() {
    let sink = Sink::start(Mode::Accept);
    let config = config(&sink);
    let temp = tempfile::tempdir().unwrap();
    {
        let outbox = Outbox::open(temp.path()).unwrap();
        outbox.write_summary(&japanese_summary(), &config).unwrap();
        // The relay accepts it; the process stops before moving it to sent/.
        let sent_id = send_one(&config, &stored_file(temp.path())).unwrap();
        assert_eq!(sent_id, the_message_id());
    }
    let outbox = Outbox::open(temp.path()).unwrap();
    assert_eq!(outbox.pending().unwrap().len(), 1);
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    assert!(outbox.pending().unwrap().is_empty());

    // At least once: two deliveries, one message the receiver can dedupe.
    let received = sink.received();
    assert_eq!(received.len(), 2);
    for message in &received {
        assert_eq!(
            header_value(&message.data, "Message-ID").unwrap(),
            the_message_id()
        );
    }
    assert_eq!(received[0].data, received[1].data);
    // And what arrived is what the outbox holds.
    let stored = std::fs::read(stored_file(outbox.sent_dir())).unwrap();
    assert!(
        received[0]
            .data
            .starts_with(stored.strip_suffix(b"\r\n").unwrap_or(&stored))
    );
}

#[test]
fn a_refusing_relay_leaves_the_message_pending_and_counts_a_failure() {
    let temp = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(temp.path()).unwrap();
    {
        let refusing = Sink::start(Mode::RefuseData);
        let config = config(&refusing);
        outbox.write_summary(&japanese_summary(), &config).unwrap();
        let report = relay_pending(&outbox, &config).unwrap();
        assert_eq!(
            report,
            RelayReport {
                sent: 0,
                failed: 1,
                deferred: 0
            }
        );
        assert!(refusing.received().is_empty());
        assert_eq!(outbox.pending().unwrap(), [stored_file(temp.path())]);
    }
    // The next call, to a relay that accepts, sends it.
    let accepting = Sink::start(Mode::Accept);
    let config = config(&accepting);
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    assert_eq!(accepting.received().len(), 1);
    assert!(outbox.pending().unwrap().is_empty());
}

#[test]
fn an_unreachable_relay_defers_the_rest() {
    let temp = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(temp.path()).unwrap();
    // A port nothing listens on.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = MailConfig {
        transport: MailTransport::Smtp,
        smtp_host: "127.0.0.1".to_owned(),
        smtp_port: port,
        smtp_timeout_ms: 2_000,
        ..MailConfig::default()
    };
    let mut summary = japanese_summary();
    for day in 1..=3 {
        summary.date = Date::constant(2024, 3, day);
        outbox.write_summary(&summary, &config).unwrap();
    }
    assert_eq!(
        relay_pending(&outbox, &config).unwrap(),
        RelayReport {
            sent: 0,
            failed: 1,
            deferred: 2
        }
    );
    assert_eq!(outbox.pending().unwrap().len(), 3);
}

#[test]
fn a_batch_is_bounded_by_relay_messages_max() {
    let sink = Sink::start(Mode::Accept);
    let config = MailConfig {
        relay_messages_max: 2,
        ..config(&sink)
    };
    let temp = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(temp.path()).unwrap();
    let mut summary = japanese_summary();
    for day in 1..=3 {
        summary.date = Date::constant(2024, 3, day);
        outbox.write_summary(&summary, &config).unwrap();
    }
    assert_eq!(
        relay_pending(&outbox, &config).unwrap(),
        RelayReport {
            sent: 2,
            failed: 0,
            deferred: 1
        }
    );
    assert_eq!(relay_pending(&outbox, &config).unwrap().sent, 1);
    assert_eq!(sink.received().len(), 3);
}
