//! Closing a member account (issue 14) over HTTP: the holder closes it after cashing out, or
//! forfeits what is left; every session ends, the personal data is erased (from the account
//! and from the journal's earlier events), the e-mail can register again, and the amounts
//! stay, so the totals and `farthing check` still hold, also after a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::office::{Http, Page, urlencode};
use common::{Member, START_MS, TestServer, test_config};
use farthing::clock::ManualClock;
use farthing::domain::ids::{AccountId, Owner};
use farthing::domain::time::Timestamp;
use farthing::node::{self, Storage};
use farthing::storage::fjall_store::FjallStore;
use farthing::storage::memory::MemoryStore;
use farthing::storage::port::Journal;
use farthing::storage::recovery;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn close(server: &TestServer, session: &str, body: &Value) -> common::Reply {
    server.post("/v1/members/me/close", Some(session), body)
}

fn usd(totals: &Value) -> Value {
    totals["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["currency"] == "USD")
        .cloned()
        .unwrap()
}

fn sign_in(server: &TestServer, email: &str, password: &str) -> common::Reply {
    server.post(
        "/v1/sessions",
        None,
        &json!({"email": email, "password": password, "expiry": "absolute"}),
    )
}

fn save_card(server: &TestServer, session: &str) {
    let saved = server.post(
        "/v1/members/me/payment-methods",
        Some(session),
        &json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    );
    assert_eq!(saved.status, 201, "{:?}", saved.body);
}

fn admin_view(server: &TestServer, member: &Member) -> Value {
    let view = server.get(
        &format!("/admin/v1/members/{}", member.id),
        Some(&server.admin_key),
    );
    assert_eq!(view.status, 200, "{:?}", view.body);
    view.body
}

/// What a closed account's admin view must show: closed, nothing personal.
fn assert_closed_view(view: &Value) {
    assert!(view["closed_at"].is_string(), "{view:?}");
    assert_eq!(view["email"], Value::Null, "{view:?}");
    assert_eq!(view["payment_methods"], json!([]), "{view:?}");
}

#[test]
fn closing_an_account_erases_its_personal_data_and_keeps_the_totals() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let holder = server.member("leaving@example.com", "UTC", "10.00");
    let (kid, _) = server.sub_member(&holder, "Kim Leaving", "kim.leaving@example.com");
    save_card(&server, &holder.session);
    let buyer = server.buyer_token(&holder.session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "1.00", "/a/1").status,
        200
    );

    // Paid balance left: refused, nothing changes.
    let refused = close(&server, &holder.session, &json!({}));
    assert_eq!(
        (refused.status, refused.code()),
        (409, "balance_remaining"),
        "{:?}",
        refused.body
    );
    // A sub-member may not close the holder's account.
    let child = close(&server, &kid.session, &json!({"forfeit": true}));
    assert_eq!((child.status, child.code()), (403, "holder_only"));

    // Cash out everything, then close: nothing to forfeit.
    let cashed = server.post(
        "/v1/members/me/cash-outs",
        Some(&holder.session),
        &json!({"amount": "9.00", "currency": "USD",
                "bank_account": {"iban": "GB82 WEST 1234 5698 7654 32", "name": "Ana Leaving"}}),
    );
    assert_eq!(cashed.status, 201, "{:?}", cashed.body);
    let before = usd(&server.totals_conserved());
    let closed = close(&server, &holder.session, &json!({}));
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    assert!(closed.body["closed_at"].is_string());
    assert_eq!(closed.body["forfeited"], json!([]));
    let after = usd(&server.totals_conserved());
    assert_eq!(before, after, "a close without forfeit moves no money");
    assert_eq!(after["forfeited"], "0.00");

    // Every session of every login ended.
    for session in [&holder.session, &kid.session] {
        let gone = server.get("/v1/members/me", Some(session));
        assert_eq!(gone.status, 401, "{:?}", gone.body);
    }
    // Signing in fails exactly as a wrong password does: closed e-mails are not enumerable.
    let wrong = sign_in(&server, "nobody@example.com", "not the password at all");
    for email in ["leaving@example.com", "kim.leaving@example.com"] {
        let refused = sign_in(&server, email, PASSWORD);
        assert_eq!(refused.status, wrong.status, "{:?}", refused.body);
        assert_eq!(refused.code(), wrong.code());
        assert_eq!(refused.body["title"], wrong.body["title"]);
    }
    // The vendor's buyer token of the closed account buys nothing.
    let late = server.authorize(&vendor, &buyer, "0.10", "/a/2");
    assert_ne!(late.status, 200, "{:?}", late.body);
    // The admin sees a closed account with nothing personal; an admin deposit is refused.
    assert_closed_view(&admin_view(&server, &holder));
    let deposit = server.post(
        &format!("/admin/v1/members/{}/deposits", holder.id),
        Some(&server.admin_key),
        &json!({"amount": "1.00", "currency": "USD", "reference": "after-close"}),
    );
    assert_eq!(
        (deposit.status, deposit.code()),
        (409, "account_closed"),
        "{:?}",
        deposit.body
    );
    // The e-mail can register again, for a new account.
    let again = server.member("kim.leaving@example.com", "UTC", "0");
    assert_ne!(again.id, holder.id);

    // A restart replays the erased journal to the same closed state and the same totals.
    let server = server.restart();
    assert_eq!(usd(&server.totals_conserved()), after);
    assert_closed_view(&admin_view(&server, &holder));
    let refused = sign_in(&server, "leaving@example.com", PASSWORD);
    assert_eq!(refused.status, wrong.status);
    assert_eq!(
        sign_in(&server, "kim.leaving@example.com", PASSWORD).status,
        201
    );

    // `farthing check` replays the erased journal and agrees with the snapshots and totals;
    // the journal read back through its port holds nothing personal of the closed account.
    let mut server = server;
    server.node.take().unwrap().shutdown().unwrap();
    let store = FjallStore::open(&node::store_dir(server.dir.path())).unwrap();
    let (journal, snapshots) = store.reader().unwrap();
    let report = recovery::check(&journal, &snapshots).unwrap();
    assert!(report.ok(), "{:?}", report.mismatches);
    assert!(report.conserved);
    let account: AccountId = holder.id.parse().unwrap();
    let own: Vec<String> = journal
        .read_from(1, 100_000)
        .unwrap()
        .iter()
        .filter(|recorded| recorded.event.account() == Some(account))
        .map(|recorded| format!("{:?}", recorded.event))
        .collect();
    assert!(own.len() > 5, "{own:?}");
    assert_nothing_personal(
        &own.join("\n"),
        &[
            "leaving@example.com",
            "Kim Leaving",
            "$argon2",
            "Ana Leaving",
            "\"4242\"",
            "\"visa\"",
        ],
    );
}

/// Every e-mail, name, question, password hash and payment detail `texts` names must be
/// gone from `events`.
fn assert_nothing_personal(events: &str, texts: &[&str]) {
    for text in texts {
        let found: Vec<&str> = events.lines().filter(|line| line.contains(text)).collect();
        assert!(
            found.is_empty(),
            "{text} is still in the journal: {found:?}"
        );
    }
}

#[test]
fn a_forfeit_moves_the_paid_balance_to_the_service_and_incentives_end_with_the_account() {
    let store = MemoryStore::new();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.incentives.signup_bonus.insert(
        farthing::domain::money::Currency::parse("USD").unwrap(),
        farthing::config::SignupBonus {
            amount: farthing::domain::money::Amount::from_micros(1_500_000),
            valid_days: 30,
        },
    );
    let server = TestServer::start_on(
        dir,
        config,
        Storage::Memory(store.clone()),
        ManualClock::at(Timestamp(START_MS)),
    );
    let registered = server.post(
        "/v1/members",
        None,
        &json!({"email": "forfeit@example.com", "password": PASSWORD, "language": "en",
                "currency": "USD", "security_questions": [
                    {"question": "Secret pet name?", "answer": "Rexolotl"},
                    {"question": "Secret street?", "answer": "Elmwoodia"}]}),
    );
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let id = registered.body["member_id"].as_str().unwrap().to_owned();
    let credited = server.post(
        &format!("/admin/v1/members/{id}/deposits"),
        Some(&server.admin_key),
        &json!({"amount": "10.00", "currency": "USD", "reference": "forfeit-1"}),
    );
    assert_eq!(credited.status, 201, "{:?}", credited.body);
    let session = server.sign_in("forfeit@example.com", "absolute");
    let holder = Member {
        id: id.clone(),
        email: "forfeit@example.com".to_owned(),
        session: session.clone(),
    };

    // Closing is a sensitive action: a member with questions answers one first.
    let asked = close(&server, &session, &json!({"forfeit": true}));
    assert_eq!(
        (asked.status, asked.code()),
        (403, "step_up_required"),
        "{:?}",
        asked.body
    );
    let answer = match asked.body["question"].as_str().unwrap() {
        "Secret pet name?" => "rexolotl",
        _ => "elmwoodia",
    };
    let answered = server.post(
        "/v1/step-up",
        Some(&session),
        &json!({"challenge_id": asked.body["challenge_id"], "answer": answer}),
    );
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    let token = answered.body["step_up_token"].as_str().unwrap().to_owned();
    let send = |body: &Value| {
        server.request(
            "POST",
            "/v1/members/me/close",
            Some(&session),
            Some(&body.to_string()),
            &[("Step-Up", &token)],
        )
    };
    let refused = send(&json!({}));
    assert_eq!((refused.status, refused.code()), (409, "balance_remaining"));
    let bad = send(&json!({"forfeit": "yes"}));
    assert_eq!(bad.status, 400, "{:?}", bad.body);

    let before = usd(&server.totals_conserved());
    let closed = send(&json!({"forfeit": true}));
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    assert_eq!(
        closed.body["forfeited"],
        json!([{"currency": "USD", "amount": "10.00"}])
    );
    let after = usd(&server.totals_conserved());
    assert_eq!(after["forfeited"], "10.00");
    assert_eq!(after["deposits"], before["deposits"]);
    assert_eq!(after["cash_outs"], before["cash_outs"]);
    // The signup bonus was a promise, not money: it ended with the account.
    assert_eq!(after["incentives_outstanding"], "0.00");
    assert_eq!(after["incentives_expired"], "1.50");
    let again = close(&server, &session, &json!({"forfeit": true}));
    assert_eq!(again.status, 401, "the close ended the session");

    // The raw journal holds nothing personal of the account any more, and no snapshot row
    // holds the e-mail.
    let account: AccountId = id.parse().unwrap();
    let personal = [
        "forfeit@example.com",
        "Secret pet name?",
        "Secret street?",
        "$argon2",
    ];
    let own: Vec<String> = store
        .all_events()
        .iter()
        .filter(|recorded| recorded.event.account() == Some(account))
        .map(|recorded| format!("{:?}", recorded.event))
        .collect();
    assert!(own.len() > 3, "{own:?}");
    assert_nothing_personal(&own.join("\n"), &personal);
    for (key, value) in store.all_snapshot_rows() {
        let row = String::from_utf8_lossy(&key).into_owned() + &String::from_utf8_lossy(&value);
        assert!(
            !row.contains("forfeit@example.com"),
            "a snapshot row keeps it"
        );
    }
    // Read back through the journal port too.
    let through_port = store
        .read_owner(Owner::Account(account), 0, 1000)
        .unwrap()
        .iter()
        .map(|recorded| format!("{:?}", recorded.event))
        .collect::<Vec<_>>()
        .join("\n");
    assert_nothing_personal(&through_port, &personal);

    let report = recovery::check(store.as_ref(), store.as_ref()).unwrap();
    assert!(report.ok(), "{:?}", report.mismatches);

    // A crash and a replay of the erased journal: the same closed account, the same totals.
    let (server, _survivor) = server.crash_restart(&store);
    assert_eq!(usd(&server.totals_conserved()), after);
    assert_closed_view(&admin_view(&server, &holder));
    assert_eq!(
        sign_in(&server, "forfeit@example.com", PASSWORD).status,
        401
    );
    let fresh = server.member("forfeit@example.com", "UTC", "0");
    assert_ne!(fresh.id, holder.id);
}

#[test]
fn a_debt_or_money_in_motion_is_never_forfeited() {
    let server = TestServer::start();
    let holder = server.member("owing@example.com", "UTC", "0");
    let line = server.put(
        &format!("/admin/v1/members/{}/credit-line", holder.id),
        Some(&server.admin_key),
        &json!({"currency": "USD", "limit": "5.00"}),
    );
    assert_eq!(line.status, 200, "{:?}", line.body);
    let vendor = server.vendor("shop.example");
    let buyer = server.buyer_token(&holder.session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "2.00", "/b/1").status,
        200
    );
    // A balance drawn on the credit line is owed: forfeiting does not close it.
    let owed = close(&server, &holder.session, &json!({"forfeit": true}));
    assert_eq!(
        (owed.status, owed.code()),
        (409, "close_debt_open"),
        "{:?}",
        owed.body
    );
    // Repaid, the account closes without a forfeit.
    let repaid = server.post(
        &format!("/admin/v1/members/{}/deposits", holder.id),
        Some(&server.admin_key),
        &json!({"amount": "2.00", "currency": "USD", "reference": "repay"}),
    );
    assert_eq!(repaid.status, 201, "{:?}", repaid.body);
    let closed = close(&server, &holder.session, &json!({}));
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    server.totals_conserved();
}

/// Answers the question `asked` shows in place of the form posting to `action`, carrying
/// the form's fields back as a browser would; the answer's page.
fn answer_on_page(http: &mut Http, asked: &Page, action: &str) -> Page {
    assert_eq!(asked.status, 403, "{}", asked.body);
    assert!(asked.has("step-up"), "{}", asked.body);
    let answer = if asked.body.contains("Secret pet name?") {
        "rexolotl"
    } else {
        "elmwoodia"
    };
    let mut body = format!(
        "csrf={}&challenge_id={}&answer={answer}",
        asked.csrf(),
        urlencode(&asked.after(r#"name="challenge_id" value=""#)),
    );
    for chunk in asked.body.split(r#"<input type="hidden" name=""#).skip(1) {
        let (name, rest) = chunk.split_once('"').unwrap();
        if ["csrf", "challenge_id"].contains(&name) {
            continue;
        }
        let value = rest
            .strip_prefix(r#" value=""#)
            .and_then(|rest| rest.split_once('"'))
            .map_or("", |(value, _)| value);
        body.push_str(&format!("&{name}={}", urlencode(value)));
    }
    http.post(action, &body)
}

#[test]
fn the_summary_page_closes_the_account_through_the_same_path_as_the_api() {
    let server = TestServer::start();
    let registered = server.post(
        "/v1/members",
        None,
        &json!({"email": "page@example.com", "password": PASSWORD, "language": "en",
                "currency": "USD", "security_questions": [
                    {"question": "Secret pet name?", "answer": "Rexolotl"},
                    {"question": "Secret street?", "answer": "Elmwoodia"}]}),
    );
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let id = registered.body["member_id"].as_str().unwrap().to_owned();
    let credited = server.post(
        &format!("/admin/v1/members/{id}/deposits"),
        Some(&server.admin_key),
        &json!({"amount": "3.00", "currency": "USD", "reference": "page-1"}),
    );
    assert_eq!(credited.status, 201, "{:?}", credited.body);
    let mut http = Http::new(&server.base);
    let signed = http.sign_in("/account", "page@example.com", PASSWORD);
    assert_eq!(signed.status, 303, "{}", signed.body);
    let token = http.jar["farthing_session"].clone();
    let summary = http.get("/account");
    assert!(
        summary.has("close") && summary.has("close-forfeit"),
        "{}",
        summary.body
    );

    // Without the forfeit box: a question first, then the API's own refusal.
    let asked = http.post("/account/close", &format!("csrf={}", summary.csrf()));
    let refused = answer_on_page(&mut http, &asked, "/account/close");
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("balance_remaining"),
        "{}",
        refused.body
    );
    assert_eq!(server.get("/v1/members/me", Some(&token)).status, 200);

    // With it ticked: closed, the balance forfeited, every session gone.
    let summary = http.get("/account");
    let body = format!("csrf={}&forfeit=yes", summary.csrf());
    let mut closed = http.post("/account/close", &body);
    if closed.status == 403 {
        closed = answer_on_page(&mut http, &closed, "/account/close");
    }
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert_eq!(closed.header("location"), Some("/account?done=closed"));
    assert_eq!(server.get("/v1/members/me", Some(&token)).status, 401);
    let totals = usd(&server.totals_conserved());
    assert_eq!(totals["forfeited"], "3.00");
    assert_eq!(sign_in(&server, "page@example.com", PASSWORD).status, 401);
}
