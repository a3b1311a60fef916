//! The mail edge end to end: a summary is rendered, written into the outbox exactly once,
//! and relayed at least once under its stable `Message-ID` to a small SMTP sink on
//! `127.0.0.1:0` that speaks just enough SMTP to take a message (or refuse it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::smtp::{Mode, Sink, body_text, decode_header};
use farthing::domain::ids::AccountId;
use farthing::mail::outbox::header_value;
use farthing::mail::{
    BalanceLine, DailySummary, LineKind, MailConfig, MailTransport, NewVendor, Outbox, RelayReport,
    SummaryLine, Written, message_id, relay_pending, send_one,
};
use farthing::web::i18n::Lang;
use jiff::civil::Date;

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
