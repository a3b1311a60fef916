//! The member's statement over HTTP (issue 14), `GET /v1/members/me/statement`, on a real node
//! with a manual clock: every kind of line newest first with its balance after, each filter,
//! pages that lose and repeat nothing (also inside one instant, and when a page's scan budget,
//! 8 entries in `config/test.toml`, cuts it short), purchases' titles and URLs, the 400s, a
//! restart, the lines of a multi-event append, and the fjall and memory stores answering the
//! same pages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Member, Reply, TestServer, Vendor};
use farthing::domain::event::{Authorized, Event, InTransit, Origin};
use farthing::domain::ids::{
    AccountId, AuthorizationId, EntitlementId, LoginId, Owner, SessionId, TransferId, VendorId,
};
use farthing::domain::money::{Amount, Currency};
use farthing::domain::statement::{self, LineKind, StatementQuery};
use farthing::domain::time::Timestamp;
use farthing::storage::fjall_store::{FjallStore, NoSync, StoreConfig};
use farthing::storage::memory::MemoryStore;
use farthing::storage::port::{Append, Journal, NoSink};
use serde_json::{Value, json};

fn statement(server: &TestServer, session: &str, query: &str) -> Reply {
    server.get(&format!("/v1/members/me/statement?{query}"), Some(session))
}

/// Every line `query` selects, following cursors to the end, and the pages it took.
fn all_lines(server: &TestServer, session: &str, query: &str) -> (Vec<Value>, usize) {
    let mut lines = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=1_000 {
        let query = match &cursor {
            Some(cursor) => format!("{query}&cursor={cursor}"),
            None => query.to_owned(),
        };
        let page = statement(server, session, &query);
        assert_eq!(page.status, 200, "{:?}", page.body);
        lines.extend(page.body["lines"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (lines, pages),
        }
    }
    panic!("the statement never ended");
}

fn buy(server: &TestServer, vendor: &Vendor, member: &Member, price: &str, n: u32) -> Value {
    let buyer = server.buyer_token(&member.session, vendor);
    let reply = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": price, "currency": "USD",
                "content_url": format!("https://{}/story/{n}", vendor.domain),
                "title": format!("Story {n}")}),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

fn kinds(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|line| line["kind"].as_str().unwrap())
        .collect()
}

/// Micro-units of a decimal string the API printed (`"-1.50"`), for sums in the test.
fn micros(text: &str) -> i64 {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<6}");
    let value = whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap();
    if negative { -value } else { value }
}

const SECOND: u64 = 1_000;

/// A member with a line of each kind the HTTP API makes in a few steps: funds, three
/// purchases at two vendors, a transfer out, a reversal with its reason, a dispute.
struct History {
    server: TestServer,
    ann: Member,
    news: Vendor,
    radio: Vendor,
}

fn history(server: TestServer) -> History {
    let news = server.vendor("news.example");
    let radio = server.vendor("radio.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    let _bob = server.member("bob@example.com", "UTC", "0");
    server.clock.advance_ms(SECOND);
    buy(&server, &news, &ann, "0.25", 1);
    server.clock.advance_ms(SECOND);
    let radio_bought = buy(&server, &radio, &ann, "1.50", 2);
    server.clock.advance_ms(SECOND);
    let disputed = buy(&server, &news, &ann, "0.05", 3);
    server.clock.advance_ms(SECOND);
    let sent = server.post(
        "/v1/members/me/transfers",
        Some(&ann.session),
        &json!({"to_email": "bob@example.com", "amount": "2.00", "currency": "USD", "note": "lunch"}),
    );
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    server.clock.advance_ms(SECOND);
    let reversal = server.post(
        &format!(
            "/admin/v1/authorizations/{}/reversal",
            radio_bought["authorization_id"].as_str().unwrap()
        ),
        Some(&server.admin_key),
        &json!({"reason": "Sold twice"}),
    );
    assert_eq!(reversal.status, 200, "{:?}", reversal.body);
    server.clock.advance_ms(SECOND);
    let dispute = server.post(
        "/v1/members/me/disputes",
        Some(&ann.session),
        &json!({"authorization_id": disputed["authorization_id"], "reason": "It never loaded"}),
    );
    assert_eq!(dispute.status, 201, "{:?}", dispute.body);
    History {
        server,
        ann,
        news,
        radio,
    }
}

#[test]
fn every_line_shows_newest_first_with_its_balance_title_and_reason() {
    let History {
        server,
        ann,
        news,
        radio,
    } = history(TestServer::start());
    let (lines, _) = all_lines(&server, &ann.session, "limit=100");
    let kinds = kinds(&lines);
    // A dispute the rules approve at once also credits the member.
    let dispute_at = kinds.iter().position(|kind| *kind == "dispute").unwrap();
    assert_eq!(
        kinds[dispute_at..],
        [
            "dispute",
            "reversal",
            "transfer_out",
            "purchase",
            "purchase",
            "purchase",
            "funds"
        ]
    );
    assert!(
        kinds[..dispute_at]
            .iter()
            .all(|kind| *kind == "customer_credit"),
        "{kinds:?}"
    );

    let funds = &lines[lines.len() - 1];
    assert_eq!(funds["amount"], "10.00");
    assert_eq!(funds["balance_after"], "10.00");
    assert_eq!(funds["currency"], "USD");
    let first = &lines[lines.len() - 2];
    assert_eq!(first["amount"], "-0.25");
    assert_eq!(first["balance_after"], "9.75");
    assert_eq!(first["title"], "Story 1");
    assert_eq!(first["content_url"], "https://news.example/story/1");
    assert_eq!(first["vendor"]["id"], news.id.as_str());
    assert_eq!(first["vendor"]["name"], "Daily News");
    assert!(first["login"].as_str().unwrap().starts_with("login_"));
    assert!(first.get("note").is_none(), "{first:?}");
    let sent = &lines[dispute_at + 2];
    assert_eq!(sent["amount"], "-2.00");
    assert_eq!(sent["balance_after"], "6.20");
    let reversed = &lines[dispute_at + 1];
    assert_eq!(reversed["amount"], "1.50");
    assert_eq!(reversed["balance_after"], "7.70");
    assert_eq!(reversed["note"], "Sold twice");
    assert_eq!(reversed["vendor"]["id"], radio.id.as_str());
    let dispute = &lines[dispute_at];
    assert_eq!(dispute["amount"], "0.05", "the amount disputed");
    assert_eq!(
        dispute["balance_after"], "7.70",
        "a dispute moves nothing yet"
    );
    assert_eq!(dispute["note"], "It never loaded");

    // Each balance is the one before it plus what the line moved; the newest is the wallet's.
    for pair in lines.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        let moved = match newer["kind"].as_str().unwrap() {
            "dispute" | "incentive" => 0,
            _ => micros(newer["amount"].as_str().unwrap()),
        };
        assert_eq!(
            micros(newer["balance_after"].as_str().unwrap()),
            micros(older["balance_after"].as_str().unwrap()) + moved,
            "{newer:?} after {older:?}"
        );
    }
    let paid = server.wallet(&ann.session, "USD").unwrap()["paid"].clone();
    assert_eq!(lines[0]["balance_after"], paid);
    // Ids are unique, instants never increase down the page.
    let ids: BTreeSet<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), lines.len());
    let ats: Vec<&str> = lines.iter().map(|l| l["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|pair| pair[0] >= pair[1]), "{ats:?}");
}

#[test]
fn each_filter_keeps_its_lines_only() {
    let History {
        server,
        ann,
        news,
        radio,
    } = history(TestServer::start());
    let (lines, _) = all_lines(&server, &ann.session, "limit=100");
    let session = ann.session.as_str();

    let (by_news, _) = all_lines(&server, session, &format!("vendor={}", news.id));
    assert!(
        by_news
            .iter()
            .all(|line| line["vendor"]["id"] == news.id.as_str())
    );
    let news_kinds = kinds(&by_news);
    assert_eq!(news_kinds.iter().filter(|k| **k == "purchase").count(), 2);
    assert!(news_kinds.contains(&"dispute"), "{news_kinds:?}");
    let (by_radio, _) = all_lines(&server, session, &format!("vendor={}", radio.id));
    assert_eq!(kinds(&by_radio), ["reversal", "purchase"]);
    let (nobody, _) = all_lines(&server, session, "vendor=ven_00000000000000aa");
    assert!(nobody.is_empty());

    let (purchases, _) = all_lines(&server, session, "kind=purchase");
    let titles: Vec<&str> = purchases
        .iter()
        .map(|line| line["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Story 3", "Story 2", "Story 1"]);
    let (funds, _) = all_lines(&server, session, "kind=funds");
    assert_eq!(kinds(&funds), ["funds"]);
    let (sent, _) = all_lines(&server, session, "kind=transfer_out");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["amount"], "-2.00");

    let login = purchases[0]["login"].as_str().unwrap();
    let (by_login, _) = all_lines(&server, session, &format!("login={login}"));
    assert_eq!(
        kinds(&by_login),
        ["transfer_out", "purchase", "purchase", "purchase"],
        "purchases and transfers name their login"
    );
    let (other_login, _) = all_lines(&server, session, "login=login_00000000000000aa");
    assert!(other_login.is_empty());

    // min and max compare absolute amounts, bounds included: 0.25, 1.50 (twice), 2.00.
    let (middle, _) = all_lines(&server, session, "min=0.25&max=2");
    let amounts: Vec<&str> = middle
        .iter()
        .map(|line| line["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["1.50", "-2.00", "-1.50", "-0.25"]);
    let (large, _) = all_lines(&server, session, "min=5");
    assert_eq!(kinds(&large), ["funds"]);

    // from is inclusive, to exclusive: the instants of the second purchase and the transfer.
    let at = |kind: &str, nth: usize| -> String {
        lines
            .iter()
            .filter(|line| line["kind"] == kind)
            .nth(nth)
            .unwrap()["at"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (from, to) = (at("purchase", 1), at("transfer_out", 0));
    let (window, _) = all_lines(&server, session, &format!("from={from}&to={to}"));
    let window_titles: Vec<&str> = window
        .iter()
        .map(|line| line["title"].as_str().unwrap())
        .collect();
    assert_eq!(window_titles, ["Story 3", "Story 2"]);
    let (empty, _) = all_lines(&server, session, &format!("from={to}&to={from}"));
    assert!(empty.is_empty());

    // Filters combine.
    let (both, _) = all_lines(
        &server,
        session,
        &format!("vendor={}&kind=purchase&max=0.10", news.id),
    );
    assert_eq!(both.len(), 1);
    assert_eq!(both[0]["title"], "Story 3");
}

#[test]
fn pages_of_two_lose_and_repeat_nothing_also_within_one_instant() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    server.clock.advance_ms(SECOND);
    // Seven purchases in one instant, then two more a second apart.
    for n in 0..7 {
        buy(&server, &news, &ann, "0.01", n);
    }
    for n in 7..9 {
        server.clock.advance_ms(SECOND);
        buy(&server, &news, &ann, "0.01", n);
    }
    let (whole, pages) = all_lines(&server, &ann.session, "limit=100");
    assert_eq!(pages, 2, "a page reads 8 entries at most in tests");
    assert_eq!(whole.len(), 10);
    let (paged, pages) = all_lines(&server, &ann.session, "limit=2");
    assert_eq!(pages, 5, "the last full page knows nothing follows");
    assert_eq!(paged, whole, "the same lines in the same order");
    let first = statement(&server, &ann.session, "limit=2");
    assert_eq!(first.body["lines"].as_array().unwrap().len(), 2);
    // The instant shared by seven lines spans four pages; its lines come by descending id.
    let shared: Vec<&str> = whole[2..9]
        .iter()
        .map(|line| line["id"].as_str().unwrap())
        .collect();
    assert!(whole[2..9].iter().all(|line| line["at"] == whole[2]["at"]));
    assert!(
        shared.windows(2).all(|pair| pair[0] > pair[1]),
        "{shared:?}"
    );
    // Purchases: balances step down by 0.01 from 10.00.
    assert_eq!(whole[0]["balance_after"], "9.91");
    assert_eq!(whole[8]["balance_after"], "9.99");
}

#[test]
fn a_page_cut_by_its_scan_budget_answers_a_cursor_that_reads_on() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    for n in 0..12 {
        server.clock.advance_ms(SECOND);
        buy(&server, &news, &ann, "0.01", n);
    }
    // No index serves `min`: the first page reads 8 purchases (the budget), finds nothing,
    // and says where it stopped.
    let first = statement(&server, &ann.session, "min=5");
    assert_eq!(first.status, 200);
    assert!(first.body["lines"].as_array().unwrap().is_empty());
    assert!(first.body["next_cursor"].is_string(), "{:?}", first.body);
    let (found, pages) = all_lines(&server, &ann.session, "min=5");
    assert_eq!(kinds(&found), ["funds"]);
    assert_eq!(pages, 2);
    // The kind index holds only funds lines: one page.
    let (funds, pages) = all_lines(&server, &ann.session, "kind=funds");
    assert_eq!((funds.len(), pages), (1, 1));
}

#[test]
fn bad_parameters_answer_400_naming_them() {
    let server = TestServer::start();
    let ann = server.member("ann@example.com", "UTC", "1.00");
    for (query, code, param) in [
        ("kind=refund", "invalid_field", "kind"),
        ("limit=0", "invalid_field", "limit"),
        ("limit=101", "invalid_field", "limit"),
        ("cursor=not-a-cursor", "invalid_field", "cursor"),
        ("from=yesterday", "invalid_field", "from"),
        ("vendor=news", "invalid_field", "vendor"),
        ("min=0.1234567", "invalid_amount", "min"),
        ("max=-1", "invalid_amount", "max"),
        ("sort=asc", "invalid_field", "query"),
    ] {
        let reply = statement(&server, &ann.session, query);
        assert_eq!(reply.status, 400, "{query}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{query}");
        assert_eq!(reply.body["param"], param, "{query}");
    }
    assert_eq!(statement(&server, &ann.session, "limit=100").status, 200);
    let anonymous = server.get("/v1/members/me/statement", None);
    assert_eq!(anonymous.status, 401);
}

#[test]
fn the_statement_survives_a_restart() {
    let History { server, ann, .. } = history(TestServer::start());
    let (before, _) = all_lines(&server, &ann.session, "limit=3");
    let server = server.restart();
    let session = server.sign_in("ann@example.com", "absolute");
    let (after, _) = all_lines(&server, &session, "limit=3");
    assert_eq!(after, before);
    // And it goes on from there.
    let news = server.vendor("later.example");
    server.clock.advance_ms(SECOND);
    let member = Member {
        id: ann.id.clone(),
        email: ann.email.clone(),
        session: session.clone(),
    };
    buy(&server, &news, &member, "0.10", 99);
    let (grown, _) = all_lines(&server, &session, "limit=100");
    assert_eq!(grown.len(), before.len() + 1);
    assert_eq!(grown[0]["title"], "Story 99");
    assert_eq!(&grown[1..], &before[..]);
}

#[test]
fn a_batch_of_purchases_appended_as_one_group_walks_its_balances() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&ann.session, &news);
    let items: Vec<Value> = (0..4)
        .map(|n| {
            json!({"buyer_token": buyer, "price": "0.10", "currency": "USD",
                   "content_url": format!("https://news.example/batch/{n}"),
                   "title": format!("Batch {n}")})
        })
        .collect();
    let reply = server.post(
        "/v1/authorize/batch",
        Some(&news.key),
        &json!({"items": items}),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (lines, _) = all_lines(&server, &ann.session, "kind=purchase&limit=100");
    let balances: Vec<&str> = lines
        .iter()
        .map(|line| line["balance_after"].as_str().unwrap())
        .collect();
    assert_eq!(balances, ["0.60", "0.70", "0.80", "0.90"]);
    let titles: Vec<&str> = lines
        .iter()
        .map(|line| line["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Batch 3", "Batch 2", "Batch 1", "Batch 0"]);
}

#[test]
fn a_seeded_account_s_opening_group_starts_its_balance_from_zero() {
    // Bulk seeding journals an account's opening, a deposit and a session as one group whose
    // first event the actor applied before the append: the deposit's line must read 5.00.
    let store = MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let news = server.vendor("news.example");
    let seeded = server.post(
        "/admin/v1/members/bulk",
        Some(&server.admin_key),
        &json!({"count": 2, "currency": "USD", "deposit": "5.00", "vendor_ids": [news.id]}),
    );
    assert_eq!(seeded.status, 201, "{:?}", seeded.body);
    for member in seeded.body["members"].as_array().unwrap() {
        let account: AccountId = member["member_id"].as_str().unwrap().parse().unwrap();
        let page = store
            .statement(account, &StatementQuery::default(), 1_000)
            .unwrap();
        assert_eq!(page.lines.len(), 1, "{page:?}");
        assert_eq!(page.lines[0].kind, LineKind::FundsAdded);
        assert_eq!(page.lines[0].amount.micros(), 5_000_000);
        assert_eq!(page.lines[0].balance_after.micros(), 5_000_000);
    }
}

// ---------------------------------------------------------------------------------------
// The two stores answer the same pages.

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// Event `n` of account 1: purchases at one of three vendors by one of two logins, with a
/// deposit and a transfer now and then; every fourth shares the instant before it.
fn event(n: u64) -> Event {
    let at = Timestamp(1_000_000 + i64::try_from(n - n % 4 / 3).unwrap() * 1_000);
    match n % 10 {
        0 => Event::Deposited {
            account: AccountId(1),
            currency: usd(),
            amount: Amount::from_micros(1_000_000),
            reference: format!("r{n}"),
            by: Origin::Admin,
            at,
        },
        5 => Event::TransferSent(Box::new(InTransit {
            transfer: TransferId(n),
            from: AccountId(1),
            login: LoginId(1 + n % 2),
            to: AccountId(2),
            currency: usd(),
            amount: Amount::from_micros(10_000 * n),
            note: String::new(),
            sent_at: at,
            at,
        })),
        _ => {
            let vendor = VendorId(10 + n % 3);
            Event::Authorized(Box::new(Authorized {
                account: AccountId(1),
                authorization: AuthorizationId(n),
                login: LoginId(1 + n % 2),
                session: SessionId(1),
                vendor,
                entitlement: farthing::domain::entitlement::Entitlement {
                    id: EntitlementId(n),
                    key: farthing::domain::entitlement::ContentKey {
                        vendor,
                        content: format!("id:{n}"),
                    },
                    authorization: AuthorizationId(n),
                    price: Amount::from_micros(1_000 * n),
                    currency: usd(),
                    purchased_at: at,
                    views_allowed: None,
                    views_used: 0,
                    expires_at: None,
                    reversed_at: None,
                },
                idempotency: None,
                idempotency_expired: Vec::new(),
                offer: None,
                incentives: Vec::new(),
                parties: farthing::domain::royalty::SaleParties::default(),
                title: format!("Item {n}"),
                content_url: format!("https://v.example/{n}"),
                at,
            }))
        }
    }
}

/// Appends 200 events of account 1 in groups of 7, with their lines.
fn fill(journal: &dyn Journal) {
    let events: Vec<Arc<Event>> = (0..200).map(|n| Arc::new(event(n))).collect();
    let mut position = 0_u64;
    let mut balance = farthing::domain::money::Balance::ZERO;
    for group in events.chunks(7) {
        let lines = statement::lines(&[(usd(), balance)], position, group).unwrap();
        if let Some(last) = lines.last() {
            balance = farthing::domain::money::Balance::from_micros(
                i64::try_from(last.balance_after.micros()).unwrap(),
            );
        }
        let ack = journal
            .append(Append {
                holder: None,
                owner: Owner::Account(AccountId(1)),
                position,
                events: group.to_vec(),
                statement: lines,
            })
            .unwrap();
        ack.wait_blocking().unwrap();
        position += u64::try_from(group.len()).unwrap();
    }
}

/// Every page of `query`, following cursors.
fn pages(journal: &dyn Journal, mut query: StatementQuery, scan_max: u64) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..1_000 {
        let page = journal.statement(AccountId(1), &query, scan_max).unwrap();
        out.push(format!("{:?} {:?}", page.lines, page.next));
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return out,
        }
    }
    panic!("no end");
}

#[test]
fn fjall_and_memory_answer_the_same_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path()).unwrap();
    let (fjall, _snapshots, threads) = store
        .start(
            StoreConfig {
                batch_events_max: 1_024,
                queue_entries_max: 64,
                snapshot_queue_max: 16,
                statement_rows_max: 65_536,
            },
            Box::new(NoSync),
            Arc::new(NoSink),
        )
        .unwrap();
    let memory = MemoryStore::new();
    fill(fjall.as_ref());
    fill(memory.as_ref());
    let query = |change: fn(&mut StatementQuery)| {
        let mut query = StatementQuery {
            limit: 7,
            ..StatementQuery::default()
        };
        change(&mut query);
        query
    };
    let queries = [
        query(|_| {}),
        query(|q| q.vendor = Some(VendorId(11))),
        query(|q| q.login = Some(LoginId(2))),
        query(|q| q.kind = Some(LineKind::FundsAdded)),
        query(|q| q.kind = Some(LineKind::TransferOut)),
        query(|q| {
            q.from = Some(Timestamp(1_050_000));
            q.to = Some(Timestamp(1_120_000));
        }),
        query(|q| q.min = Some(Amount::from_micros(150_000))),
        query(|q| {
            q.vendor = Some(VendorId(12));
            q.max = Some(Amount::from_micros(60_000));
            q.login = Some(LoginId(1));
        }),
        query(|q| q.vendor = Some(VendorId(99))),
    ];
    for query in queries {
        for scan_max in [3, 1_000] {
            let from_fjall = pages(fjall.as_ref(), query.clone(), scan_max);
            let from_memory = pages(memory.as_ref(), query.clone(), scan_max);
            assert_eq!(from_fjall, from_memory, "{query:?} scanning {scan_max}");
        }
        // However the budget cuts them, the pages hold the same lines.
        let lines = |scan_max| {
            let mut query = query.clone();
            let mut lines = Vec::new();
            loop {
                let page = memory.statement(AccountId(1), &query, scan_max).unwrap();
                lines.extend(page.lines);
                match page.next {
                    Some(next) => query.cursor = Some(next),
                    None => return lines,
                }
            }
        };
        assert_eq!(lines(3), lines(1_000), "{query:?}");
    }
    let everything = pages(memory.as_ref(), query(|q| q.limit = 100), 1_000);
    assert!(everything.len() >= 2);
    threads.shutdown().unwrap();
}
