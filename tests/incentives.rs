//! Incentive tokens over HTTP ([0139], [0174], [0186], [0190], [0212], [0217]-[0218]): MSP,
//! vendor-group and vendor programs, codes redeemed once per account, vendor grants by
//! `member_ref`, the order grants pay in, expiry (and its sweep), offers that refuse
//! incentives, reversals that give incentives back, the signup bonus, and the totals that
//! count every incentive spent by who funds it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Reply, TestServer, Vendor};
use serde_json::{Value, json};

fn msp_program(server: &TestServer, body: Value) -> Reply {
    server.post(
        "/admin/v1/incentive-programs",
        Some(&server.admin_key),
        &body,
    )
}

fn program_id(reply: &Reply) -> String {
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body["program_id"].as_str().unwrap().to_owned()
}

fn redeem(server: &TestServer, session: &str, code: &str) -> Reply {
    server.post(
        "/v1/members/me/incentives",
        Some(session),
        &json!({ "code": code }),
    )
}

fn incentive(server: &TestServer, session: &str) -> String {
    let me = server.get("/v1/members/me", Some(session));
    me.body["wallets"][0]["incentive"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn buy(server: &TestServer, vendor: &Vendor, buyer: &str, price: &str, path: &str) -> Reply {
    let reply = server.authorize(vendor, buyer, price, path);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply
}

fn paid_from(reply: &Reply) -> (String, String, String) {
    let split = &reply.body["paid_from"];
    (
        split["incentive"].as_str().unwrap().to_owned(),
        split["balance"].as_str().unwrap().to_owned(),
        split["credit"].as_str().unwrap().to_owned(),
    )
}

fn split(incentive: &str, balance: &str, credit: &str) -> (String, String, String) {
    (incentive.to_owned(), balance.to_owned(), credit.to_owned())
}

fn totals_line(server: &TestServer) -> Value {
    server.totals_conserved()["currencies"][0].clone()
}

#[test]
fn an_msp_code_redeems_once_per_account_and_pays_before_the_balance() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("ana@example.com", "UTC", "5.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    program_id(&msp_program(
        &server,
        json!({"code": "Spring-2026", "amount": "2.00", "currency": "USD",
               "budget": "100.00", "scope": "msp"}),
    ));

    let redeemed = redeem(&server, &member.session, " spring-2026 ");
    assert_eq!(redeemed.status, 201, "{:?}", redeemed.body);
    assert_eq!(
        (
            redeemed.body["amount"].as_str(),
            redeemed.body["incentive_balance"].as_str()
        ),
        (Some("2.00"), Some("2.00"))
    );
    assert!(
        redeemed.body["grant_id"]
            .as_str()
            .unwrap()
            .starts_with("grant_")
    );
    assert_eq!(incentive(&server, &member.session), "2.00");
    let again = redeem(&server, &member.session, "SPRING-2026");
    assert_eq!(
        (again.status, again.code()),
        (409, "incentive_already_redeemed")
    );
    let unknown = redeem(&server, &member.session, "NO-SUCH-CODE");
    assert_eq!((unknown.status, unknown.code()), (404, "incentive_unknown"));
    let malformed = redeem(&server, &member.session, "a b");
    assert_eq!(
        (malformed.status, malformed.body["param"].as_str()),
        (400, Some("code"))
    );

    // The grant pays first, in part when it is short; the paid balance pays the rest.
    let first = buy(&server, &vendor, &buyer, "1.50", "/a/1");
    assert_eq!(paid_from(&first), split("1.50", "0.00", "0.00"));
    let second = buy(&server, &vendor, &buyer, "1.00", "/a/2");
    assert_eq!(paid_from(&second), split("0.50", "0.50", "0.00"));
    assert_eq!(incentive(&server, &member.session), "0.00");
    assert_eq!(server.balance(&member), "4.50");
    let line = totals_line(&server);
    assert_eq!(
        (
            line["incentives_granted"].as_str(),
            line["incentives_spent_msp"].as_str(),
            line["incentives_outstanding"].as_str(),
            line["vendor_gross"].as_str()
        ),
        (Some("2.00"), Some("2.00"), Some("0.00"), Some("2.50"))
    );
}

#[test]
fn a_budget_grants_until_it_is_spent_and_an_expired_program_grants_nothing() {
    let server = TestServer::start();
    let ana = server.member("ana@example.com", "UTC", "0");
    let bea = server.member("bea@example.com", "UTC", "0");
    let cid = server.member("cid@example.com", "UTC", "0");
    program_id(&msp_program(
        &server,
        json!({"code": "TWICE", "amount": "1.00", "currency": "USD", "budget": "2.50",
               "scope": "msp", "expires_at": "2026-03-11T00:00:00Z"}),
    ));
    assert_eq!(redeem(&server, &ana.session, "TWICE").status, 201);
    assert_eq!(redeem(&server, &bea.session, "TWICE").status, 201);
    let spent = redeem(&server, &cid.session, "TWICE");
    assert_eq!(
        (spent.status, spent.code()),
        (409, "incentive_budget_exhausted"),
        "2.00 granted: one more would pass 2.50"
    );
    // A refused grant gives its reservation back: a frozen member's attempt uses nothing.
    program_id(&msp_program(
        &server,
        json!({"code": "ONCE", "amount": "1.00", "currency": "USD", "budget": "1.00",
               "scope": "msp"}),
    ));
    let frozen = server.post("/v1/members/me/freeze", Some(&cid.session), &json!({}));
    assert_eq!(frozen.status, 200);
    let cold = server.sign_in("cid@example.com", "absolute");
    assert_eq!(redeem(&server, &cold, "ONCE").code(), "account_frozen");
    assert_eq!(redeem(&server, &ana.session, "ONCE").status, 201);
    // The program expires at midnight: its grants stop counting then, and it grants no more.
    server.clock.advance_ms(24 * 60 * 60 * 1000);
    let ana_session = server.sign_in("ana@example.com", "absolute");
    let bea_session = server.sign_in("bea@example.com", "absolute");
    assert_eq!(
        incentive(&server, &ana_session),
        "1.00",
        "ONCE never expires"
    );
    assert_eq!(incentive(&server, &bea_session), "0.00");
    let late = server.member("dan@example.com", "UTC", "0");
    let expired = redeem(&server, &late.session, "TWICE");
    assert_eq!((expired.status, expired.code()), (422, "incentive_expired"));
    // The sweep records the expiries, so the totals stop owing them.
    let mut line = totals_line(&server);
    for _ in 0..200 {
        if line["incentives_expired"] == "2.00" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        line = totals_line(&server);
    }
    assert_eq!(
        (
            line["incentives_granted"].as_str(),
            line["incentives_expired"].as_str(),
            line["incentives_outstanding"].as_str()
        ),
        (Some("3.00"), Some("2.00"), Some("1.00"))
    );
    // Bad programs are refused by field or rule.
    for (body, status, code) in [
        (
            json!({"code": "X", "amount": "1", "currency": "USD", "budget": "1", "scope": "msp"}),
            400,
            "invalid_field",
        ),
        (
            json!({"code": "ONCE", "amount": "1", "currency": "USD", "budget": "1", "scope": "msp"}),
            409,
            "incentive_code_taken",
        ),
        (
            json!({"code": "LOW", "amount": "2", "currency": "USD", "budget": "1", "scope": "msp"}),
            400,
            "invalid_field",
        ),
        (
            json!({"code": "PAST", "amount": "1", "currency": "USD", "budget": "1", "scope": "msp",
                   "expires_at": "2026-03-01T00:00:00Z"}),
            422,
            "incentive_expired",
        ),
        (
            json!({"code": "KWD1", "amount": "1", "currency": "KWD", "budget": "1", "scope": "msp"}),
            422,
            "currency_unsupported",
        ),
        (
            json!({"code": "NOSCOPE", "amount": "1", "currency": "USD", "budget": "1"}),
            400,
            "invalid_field",
        ),
        (
            json!({"code": "NOGROUP", "amount": "1", "currency": "USD", "budget": "1",
                   "scope": "group", "vendor_group_id": "vg_00000000000000aa"}),
            404,
            "vendor_group_unknown",
        ),
    ] {
        let reply = msp_program(&server, body.clone());
        assert_eq!((reply.status, reply.code()), (status, code), "{body}");
    }
}

#[test]
fn vendor_and_group_programs_pay_only_where_they_reach() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let music = server.vendor("music.example");
    let films = server.vendor("films.example");
    let member = server.member("ana@example.com", "UTC", "10.00");
    let at = |vendor: &Vendor| server.buyer_token(&member.session, vendor);

    // The news vendor's own program, granted by member_ref (learned from a sale).
    let own = server.post(
        "/v1/incentive-programs",
        Some(&news.key),
        &json!({"code": "NEWS-WELCOME", "amount": "1.00", "currency": "USD", "budget": "1.00"}),
    );
    let own = program_id(&own);
    let sale = buy(&server, &news, &at(&news), "0.10", "/a/0");
    let member_ref = sale.body["member_ref"].as_str().unwrap().to_owned();
    let grant = |vendor: &Vendor, program: &str, reference: &str| {
        server.post(
            "/v1/incentive-grants",
            Some(&vendor.key),
            &json!({"program_id": program, "member_ref": reference}),
        )
    };
    let given = grant(&news, &own, &member_ref);
    assert_eq!(given.status, 201, "{:?}", given.body);
    assert_eq!(
        given.body.get("incentive_balance"),
        None,
        "the vendor learns no balance"
    );
    assert_eq!(
        grant(&news, &own, &member_ref).code(),
        "incentive_budget_exhausted"
    );
    // Another vendor can neither use the program nor the reference.
    let music_sale = buy(&server, &music, &at(&music), "0.10", "/a/0");
    let music_ref = music_sale.body["member_ref"].as_str().unwrap();
    assert_ne!(music_ref, member_ref, "each vendor sees its own reference");
    assert_eq!(grant(&music, &own, music_ref).code(), "incentive_unknown");
    assert_eq!(grant(&music, &own, &member_ref).status, 404);
    assert_eq!(grant(&news, &own, music_ref).status, 404);
    assert_eq!(grant(&news, &own, "mref_made-up").status, 404);
    let other_currency = server.post(
        "/v1/incentive-programs",
        Some(&news.key),
        &json!({"code": "NEWS-EUR", "amount": "1.00", "currency": "EUR", "budget": "1.00"}),
    );
    assert_eq!(other_currency.code(), "currency_mismatch");
    let scoped = server.post(
        "/v1/incentive-programs",
        Some(&news.key),
        &json!({"code": "NEWS-ALL", "amount": "1.00", "currency": "USD", "budget": "1.00",
               "scope": "msp"}),
    );
    assert_eq!(scoped.body["param"], "scope");

    // A group of news and music.
    let group = server.post(
        "/admin/v1/vendor-groups",
        Some(&server.admin_key),
        &json!({"name": "Press and sound", "vendor_ids": [news.id, music.id]}),
    );
    assert_eq!(group.status, 201, "{:?}", group.body);
    let group_id = group.body["vendor_group_id"].as_str().unwrap();
    let unknown_vendor = server.post(
        "/admin/v1/vendor-groups",
        Some(&server.admin_key),
        &json!({"name": "Nobody", "vendor_ids": ["ven_00000000000000ff"]}),
    );
    assert_eq!(unknown_vendor.body["param"], "vendor_ids");
    program_id(&msp_program(
        &server,
        json!({"code": "DUO", "amount": "1.00", "currency": "USD", "budget": "10.00",
               "scope": "group", "vendor_group_id": group_id}),
    ));
    assert_eq!(redeem(&server, &member.session, "DUO").status, 201);
    assert_eq!(incentive(&server, &member.session), "2.00");

    // At films neither reaches; at music only the group's; at news its own first.
    let films_buy = buy(&server, &films, &at(&films), "0.50", "/a/1");
    assert_eq!(paid_from(&films_buy), split("0.00", "0.50", "0.00"));
    let news_buy = buy(&server, &news, &at(&news), "1.20", "/a/1");
    assert_eq!(paid_from(&news_buy), split("1.20", "0.00", "0.00"));
    let music_buy = buy(&server, &music, &at(&music), "1.00", "/a/1");
    assert_eq!(
        paid_from(&music_buy),
        split("0.80", "0.20", "0.00"),
        "the group's grant paid 0.20 at news after the news grant's 1.00"
    );
    // The news vendor is not paid for its own incentive; the MSP pays the group's.
    let summary = server.get("/v1/vendors/me/summary", Some(&news.key));
    let line = &summary.body["currencies"][0];
    assert_eq!(
        (
            line["gross"].as_str(),
            line["incentives_own"].as_str(),
            line["incentives_msp"].as_str()
        ),
        (Some("1.30"), Some("1.00"), Some("0.20"))
    );
    let totals = totals_line(&server);
    assert_eq!(
        (
            totals["incentives_spent_vendors"].as_str(),
            totals["incentives_spent_msp"].as_str()
        ),
        (Some("1.00"), Some("1.00"))
    );
}

#[test]
fn an_offer_that_refuses_incentives_pays_from_the_balance_and_a_reversal_gives_them_back() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("ana@example.com", "UTC", "5.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let spring = program_id(&msp_program(
        &server,
        json!({"code": "SPRING", "amount": "1.00", "currency": "USD", "budget": "9.00",
               "scope": "msp"}),
    ));
    assert_eq!(redeem(&server, &member.session, "SPRING").status, 201);
    let offer = |incentive_ids: Value, slug: &str| {
        let reply = server.post(
            "/v1/offers",
            Some(&vendor.key),
            &json!({"title": "A story", "price": "0.40", "currency": "USD",
                    "content_url": format!("https://news.example/{slug}"),
                    "incentive_ids": incentive_ids}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["offer_id"].as_str().unwrap().to_owned()
    };
    let by_offer = |offer: &str| {
        let reply = server.post(
            "/v1/authorize",
            Some(&vendor.key),
            &json!({"buyer_token": buyer, "offer_id": offer}),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply
    };
    let none = by_offer(&offer(json!("-1"), "none"));
    assert_eq!(paid_from(&none), split("0.00", "0.40", "0.00"));
    let other = by_offer(&offer(json!(["prog_00000000000000aa"]), "other"));
    assert_eq!(paid_from(&other), split("0.00", "0.40", "0.00"));
    let listed = by_offer(&offer(json!([spring]), "listed"));
    assert_eq!(paid_from(&listed), split("0.40", "0.00", "0.00"));
    let bad_list = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "A story", "price": "0.40", "currency": "USD",
                "content_url": "https://news.example/bad", "incentive_ids": ["SPRING"]}),
    );
    assert_eq!(bad_list.body["param"], "incentive_ids");
    assert_eq!(incentive(&server, &member.session), "0.60");

    // Reversing the purchase refunds what the balance paid and gives the grant its part back.
    let reversal = server.post(
        &format!(
            "/admin/v1/authorizations/{}/reversal",
            listed.body["authorization_id"].as_str().unwrap()
        ),
        Some(&server.admin_key),
        &json!({"reason": "duplicate"}),
    );
    assert_eq!(reversal.status, 200, "{:?}", reversal.body);
    assert_eq!(incentive(&server, &member.session), "1.00");
    assert_eq!(server.balance(&member), "4.20");
    let line = totals_line(&server);
    assert_eq!(line["incentives_spent_msp"], "0.00");
    assert_eq!(line["incentives_outstanding"], "1.00");
}

#[test]
fn the_signup_bonus_is_granted_at_registration_and_expires_on_its_day() {
    let server = TestServer::start_with(
        |config| {
            config.incentives.signup_bonus.insert(
                farthing::domain::money::Currency::parse("USD").unwrap(),
                farthing::config::SignupBonus {
                    amount: farthing::domain::money::Amount::from_micros(1_500_000),
                    valid_days: 2,
                },
            );
        },
        Box::new(farthing::storage::fjall_store::SyncData),
    );
    // The register page says what the bonus is worth.
    let page = server.request("GET", "/register", None, None, &[]);
    let html = page.body.as_str().unwrap_or_default();
    assert!(html.contains("id=\"signup-bonus\""), "{html}");
    assert!(html.contains("$1.50 to spend within 2 days"), "{html}");
    let vendor = server.vendor("news.example");
    let member = server.member("new@example.com", "UTC", "0");
    assert_eq!(incentive(&server, &member.session), "1.50");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = buy(&server, &vendor, &buyer, "0.50", "/a/1");
    assert_eq!(paid_from(&bought), split("0.50", "0.00", "0.00"));
    // Two days later it is gone, and a purchase needs paid money again.
    server.clock.advance_ms(2 * 24 * 60 * 60 * 1000);
    let session = server.sign_in("new@example.com", "absolute");
    assert_eq!(incentive(&server, &session), "0.00");
    let buyer = server.buyer_token(&session, &vendor);
    let refused = server.authorize(&vendor, &buyer, "0.50", "/a/2");
    assert_eq!(refused.code(), "insufficient_funds");
    // Registration in a currency without a bonus gets none.
    let euro = server.post(
        "/v1/members",
        None,
        &json!({"email": "eu@example.com", "password": "correct horse battery",
                "language": "en", "currency": "EUR", "time_zone": "UTC"}),
    );
    assert_eq!(euro.status, 201);
    let session = server.sign_in("eu@example.com", "absolute");
    assert_eq!(incentive(&server, &session), "0.00");
    server.totals_conserved();
}

#[test]
fn incentive_money_cannot_be_cashed_out_or_transferred() {
    let server = TestServer::start();
    let member = server.member("ana@example.com", "UTC", "0");
    let _friend = server.member("bea@example.com", "UTC", "0");
    program_id(&msp_program(
        &server,
        json!({"code": "GIFT", "amount": "5.00", "currency": "USD", "budget": "5.00",
               "scope": "msp"}),
    ));
    assert_eq!(redeem(&server, &member.session, "GIFT").status, 201);
    assert_eq!(incentive(&server, &member.session), "5.00");
    let cash_out = server.post(
        "/v1/members/me/cash-outs",
        Some(&member.session),
        &json!({"amount": "1.00", "currency": "USD",
                "bank_account": {"iban": "GB82 WEST 1234 5698 7654 32", "name": "Ana Lima"}}),
    );
    assert_eq!(
        (cash_out.status, cash_out.code()),
        (402, "insufficient_funds")
    );
    let transfer = server.post(
        "/v1/members/me/transfers",
        Some(&member.session),
        &json!({"to_email": "bea@example.com", "amount": "1.00", "currency": "USD"}),
    );
    assert_eq!(
        (transfer.status, transfer.code()),
        (402, "insufficient_funds")
    );
    assert_eq!(incentive(&server, &member.session), "5.00");
    server.totals_conserved();
}
