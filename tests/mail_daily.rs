//! The daily summary mail run by the server, end to end: members buy and add funds on their
//! own calendar day, the day ends in every time zone, and each member's summary reaches an
//! SMTP sink on 127.0.0.1 once, in their language, with the day's lines and balances and the
//! mailing list of a vendor they first bought from (unless they declined vendors' offers at
//! registration). A restart between writing the mail and marking the day done sends nothing
//! twice.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::smtp::{Mode, Received, Sink, body_text, decode_header};
use common::{START_MS, TestServer, Vendor, test_config};
use farthing::config::Config;
use farthing::domain::time::Timestamp;
use farthing::mail::MailTransport;
use farthing::mail::outbox::header_value;
use farthing::storage::fjall_store::SyncData;
use serde_json::json;

const HOUR_MS: u64 = 3_600_000;
const HOUR: i64 = 3_600_000;
const MAILING_LIST: &str = "https://news.example/newsletter";

fn mail_config(config: &mut Config, port: u16, tick_ms: u64) {
    config.mail.transport = MailTransport::Smtp;
    config.mail.smtp_port = port;
    config.mail.smtp_timeout_ms = 2_000;
    config.mail.tick_ms = tick_ms;
    config.mail.account_url = "https://pay.example/account".to_owned();
}

/// A port nobody listens on: bound, then let go.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Registers a member with `extra` fields and funds them with 5.00.
fn member(server: &TestServer, email: &str, language: &str, zone: &str, extra: serde_json::Value) {
    let mut body = json!({"email": email, "password": "correct horse battery",
        "language": language, "currency": "USD", "time_zone": zone});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let reply = server.post("/v1/members", None, &body);
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let id = reply.body["member_id"].as_str().unwrap().to_owned();
    let reply = server.post(
        &format!("/admin/v1/members/{id}/deposits"),
        Some(&server.admin_key),
        &json!({"amount": "5.00", "currency": "USD", "reference": format!("in-{email}")}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
}

/// Signs the member in (sessions and buyer tokens last hours, the test spans days) and buys.
fn buy(server: &TestServer, vendor: &Vendor, email: &str, price: &str, path: &str) {
    let session = server.sign_in(email, "absolute");
    let token = server.buyer_token(&session, vendor);
    let reply = server.authorize(vendor, &token, price, path);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["charged"], price, "{:?}", reply.body);
}

/// Runs `date` by hand. The server's own tick may be inside a run (it holds the run until
/// it has relayed the outbox, after marking the day): the server answers 409
/// `mail_run_in_progress` then, and an operator tries again, as this does.
fn run_day(server: &TestServer, date: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = server.post(
            "/admin/v1/mail/daily-summary",
            Some(&server.admin_key),
            &json!({"date": date}),
        );
        if reply.status == 409 && Instant::now() < deadline {
            assert_eq!(reply.code(), "mail_run_in_progress", "{:?}", reply.body);
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        return reply.body;
    }
}

fn mark(server: &TestServer, date: &str) -> PathBuf {
    server
        .dir
        .path()
        .join("outbox")
        .join("mail")
        .join("days")
        .join(date)
}

/// The message the sink took for `to`: exactly one.
fn only_message_to<'a>(received: &'a [Received], to: &str) -> &'a Received {
    let mut found = received.iter().filter(|message| message.rcpt_to == [to]);
    let message = found.next().unwrap_or_else(|| panic!("no mail to {to}"));
    assert!(found.next().is_none(), "{to} got two mails");
    message
}

#[test]
fn each_member_s_day_arrives_once_in_their_language_even_across_a_restart() {
    // First the relay is down: the day is written into the outbox and waits there.
    let mut server = TestServer::start_with(
        |config| mail_config(config, closed_port(), 0),
        Box::new(SyncData),
    );
    let vendor = server.vendor("news.example");
    let reply = server.put(
        "/v1/vendors/me/mailing-list",
        Some(&vendor.key),
        &json!({"url": MAILING_LIST}),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let refused = server.put(
        "/v1/vendors/me/mailing-list",
        Some(&vendor.key),
        &json!({"url": "javascript:alert(1)"}),
    );
    assert_eq!(refused.status, 400, "{:?}", refused.body);

    // 2026-03-10T01:00Z: 10:00 in Tokyo and 01:00 in Lisbon, both on the 10th.
    server.clock.advance_ms(HOUR_MS);
    let (hanako, joana) = ("hanako@example.jp", "joana@example.pt");
    member(&server, hanako, "ja", "Asia/Tokyo", json!({}));
    member(
        &server,
        joana,
        "pt-BR",
        "Europe/Lisbon",
        json!({"referred_by": vendor.id, "vendor_offers": false}),
    );
    server.clock.advance_ms(HOUR_MS);
    buy(&server, &vendor, hanako, "0.25", "/tokyo-1");
    buy(&server, &vendor, joana, "0.40", "/lisbon-1");
    // 2026-03-10T16:00Z: already the 11th in Tokyo, still the 10th in Lisbon.
    server.clock.advance_ms(14 * HOUR_MS);
    buy(&server, &vendor, hanako, "0.10", "/tokyo-next-day");
    buy(&server, &vendor, joana, "0.05", "/lisbon-2");

    // The 10th is still going on west of Lisbon.
    let early = server.post(
        "/admin/v1/mail/daily-summary",
        Some(&server.admin_key),
        &json!({"date": "2026-03-10"}),
    );
    assert_eq!(early.status, 409, "{:?}", early.body);
    assert_eq!(early.code(), "day_not_over");
    let bad = server.post(
        "/admin/v1/mail/daily-summary",
        Some(&server.admin_key),
        &json!({"date": "10/03/2026"}),
    );
    assert_eq!(bad.status, 400, "{:?}", bad.body);

    // 2026-03-11T12:01Z: the 10th has ended at UTC-12 too.
    server.clock.set(Timestamp(START_MS + 36 * HOUR + 60_000));
    let first = run_day(&server, "2026-03-10");
    assert_eq!(first["written"], 2, "{first}");
    assert_eq!(first["relayed"], 0, "the relay is down: {first}");
    assert_eq!(first["failed"], 0, "{first}");
    assert!(mark(&server, "2026-03-10").exists());

    // A stop after the messages were written and before the day was marked done: the mark
    // is gone, the relay is back, and the tick runs the day again on its own.
    std::fs::remove_file(mark(&server, "2026-03-10")).unwrap();
    let sink = Sink::start(Mode::Accept);
    let node = server.node.take().unwrap();
    node.shutdown().unwrap();
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let mut config = test_config(dir.path());
    mail_config(&mut config, sink.addr.port(), 100);
    let server = TestServer::start_in(dir, config, Box::new(SyncData), server.clock.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(mark(&server, "2026-03-10").exists() && sink.received().len() >= 2) {
        assert!(Instant::now() < deadline, "the tick did not mail the day");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Run once more by hand: everything is in the outbox or sent already.
    let again = run_day(&server, "2026-03-10");
    assert_eq!(again["written"], 0, "{again}");
    assert_eq!(again["already_written"], 2, "{again}");
    std::thread::sleep(Duration::from_millis(300));
    let received = sink.received();
    assert_eq!(received.len(), 2, "each member's mail once");

    let tokyo = only_message_to(&received, "hanako@example.jp");
    assert_eq!(
        header_value(&tokyo.data, "Content-Language").as_deref(),
        Some("ja")
    );
    let subject = decode_header(&header_value(&tokyo.data, "Subject").unwrap());
    assert!(subject.contains("2026"), "{subject}");
    let text = body_text(&tokyo.data);
    assert!(
        text.contains("いつも Farthing をご利用いただきありがとうございます。"),
        "{text}"
    );
    assert!(text.contains("+5.00 USD"), "{text}");
    assert!(
        text.contains("Daily News — https://news.example/tokyo-1"),
        "{text}"
    );
    assert!(text.contains("-0.25 USD"), "{text}");
    assert!(
        text.contains("4.75 USD"),
        "the balance after the purchase: {text}"
    );
    assert!(
        !text.contains("0.10"),
        "the 11th in Tokyo is not in the 10th's mail: {text}"
    );
    assert!(
        text.contains("USD  4.75"),
        "the balance at the day's end: {text}"
    );
    assert!(
        text.contains(MAILING_LIST),
        "first purchase from the vendor: {text}"
    );
    assert!(text.contains("https://pay.example/account"), "{text}");
    assert!(text.contains("10:00"), "the time in Tokyo: {text}");

    let lisbon = only_message_to(&received, "joana@example.pt");
    assert_eq!(
        header_value(&lisbon.data, "Content-Language").as_deref(),
        Some("pt-BR")
    );
    let text = body_text(&lisbon.data);
    assert!(text.starts_with("Olá,"), "{text}");
    assert!(text.contains("-0.40 USD"), "{text}");
    assert!(text.contains("-0.05 USD"), "{text}");
    assert!(text.contains("USD  4.55"), "{text}");
    assert!(
        !text.contains(MAILING_LIST),
        "declined vendors' offers at registration: {text}"
    );
    assert_ne!(
        header_value(&tokyo.data, "Message-ID"),
        header_value(&lisbon.data, "Message-ID")
    );
}

#[test]
fn a_member_without_activity_on_their_day_gets_no_mail() {
    let server = TestServer::start_with(
        |config| mail_config(config, closed_port(), 0),
        Box::new(SyncData),
    );
    // 2026-03-10T01:00Z is still the 9th in Los Angeles.
    server.clock.advance_ms(HOUR_MS);
    member(
        &server,
        "pat@example.com",
        "en",
        "America/Los_Angeles",
        json!({}),
    );
    server.clock.set(Timestamp(START_MS + 36 * HOUR + 60_000));
    let report = run_day(&server, "2026-03-10");
    assert_eq!(report["accounts_active"], 1, "{report}");
    assert_eq!(report["written"], 0, "{report}");
    assert_eq!(report["without_mail"], 1, "{report}");
    let report = run_day(&server, "2026-03-09");
    assert_eq!(report["written"], 1, "the 9th in Los Angeles: {report}");
}
