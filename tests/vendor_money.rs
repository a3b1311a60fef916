//! Vendor money over HTTP ([0149]-[0152], [0203]-[0211], [0252]-[0254], [0266]-[0271]): a
//! real node on 127.0.0.1:0. Sliding-scale fees, royalties to rights holders, referral and
//! funds commissions, settlement runs with their ISO 20022 payment files, claw-backs,
//! returned payouts, and the totals identity before and after every run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Reply, TestServer, Vendor};
use serde_json::{Value, json};

const PAIN_001: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

fn admin_put(server: &TestServer, path: &str, body: &Value) -> Reply {
    server.put(path, Some(&server.admin_key), body)
}

fn admin_post(server: &TestServer, path: &str, body: &Value) -> Reply {
    server.post(path, Some(&server.admin_key), body)
}

fn settlement(threshold: &str, minimum: &str, iban: &str, name: &str) -> Value {
    json!({"threshold": threshold, "schedule": {"kind": "weekly", "day": 1}, "minimum": minimum,
           "bank_account": {"iban": iban, "bic": "DEUTDEFF", "name": name}})
}

fn rights_holder(server: &TestServer, name: &str) -> String {
    let created = admin_post(
        server,
        "/admin/v1/rights-holders",
        &json!({"name": name, "currency": "USD"}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["rights_holder_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn buy(
    server: &TestServer,
    vendor: &Vendor,
    buyer: &str,
    price: &str,
    path: &str,
    extra: Value,
) -> Reply {
    let mut body = json!({"buyer_token": buyer, "price": price, "currency": "USD",
        "content_url": format!("https://{}{path}", vendor.domain), "title": "A page"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    server.post("/v1/authorize", Some(&vendor.key), &body)
}

/// The vendor's summary line in USD (polled until the ledger shows `sales`: vendors fold
/// sales a moment after the debit).
fn summary(server: &TestServer, vendor: &Vendor, sales: u64) -> Value {
    for _ in 0..200 {
        let reply = server.get("/v1/vendors/me/summary", Some(&vendor.key));
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        if reply.body["currencies"][0]["sales"] == json!(sales) {
            return reply.body;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the vendor never showed {sales} sales");
}

fn run(server: &TestServer, body: &Value) -> Reply {
    let reply = admin_post(server, "/admin/v1/settlement-runs", body);
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply
}

fn outbox(server: &TestServer) -> std::path::PathBuf {
    server.dir.path().join("outbox").join("payments")
}

fn files_in_outbox(server: &TestServer) -> usize {
    std::fs::read_dir(outbox(server)).map_or(0, |dir| dir.count())
}

/// The text of the one child element named `name` of `node` (pain.001 namespace).
fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
    node.children()
        .find(|child| child.has_tag_name((PAIN_001, name)))
        .and_then(|child| child.text())
        .unwrap_or_else(|| panic!("no {name} in {:?}", node.tag_name()))
}

fn descendant<'a>(node: roxmltree::Node<'a, 'a>, path: &[&str]) -> roxmltree::Node<'a, 'a> {
    path.iter().fold(node, |at, name| {
        at.children()
            .find(|child| child.has_tag_name((PAIN_001, *name)))
            .unwrap_or_else(|| panic!("no {name} under {:?}", at.tag_name()))
    })
}

#[test]
fn fees_royalties_and_a_settlement_run_pay_each_payee_once_with_a_bank_file() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    // 5% up to 10.00 of fee base in the month, 3% above.
    let schedule = admin_put(
        &server,
        &format!("/admin/v1/vendors/{}/fee-schedule", vendor.id),
        &json!({"period": "month", "tiers": [
            {"from_gross": "0", "rate_ppm": 50000},
            {"from_gross": "10.00", "rate_ppm": 30000}]}),
    );
    assert_eq!(schedule.status, 200, "{:?}", schedule.body);
    let author = rights_holder(&server, "Ada Author");
    for (path, iban, name) in [
        (
            format!("/admin/v1/vendors/{}/settlement", vendor.id),
            "DE89370400440532013000",
            "Daily News",
        ),
        (
            format!("/admin/v1/rights-holders/{author}/settlement"),
            "GB82WEST12345698765432",
            "Ada Author Ltd",
        ),
    ] {
        let set = admin_put(&server, &path, &settlement("1.00", "0.50", iban, name));
        assert_eq!(set.status, 200, "{:?}", set.body);
        let masked = set.body["bank_account"].as_str().unwrap();
        assert!(!masked.contains(&iban[4..iban.len() - 4]), "{masked}");
    }

    let member = server.member("reader@example.com", "UTC", "50.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let royalties = json!({"royalties": [{"rights_holder_id": author, "share_ppm": 100000}]});
    let mut authorizations = Vec::new();
    for n in 0..3 {
        let bought = buy(
            &server,
            &vendor,
            &buyer,
            "6.00",
            &format!("/a/{n}"),
            royalties.clone(),
        );
        assert_eq!(bought.status, 200, "{:?}", bought.body);
        authorizations.push(bought.body["authorization_id"].as_str().unwrap().to_owned());
    }
    // Gross 18.00: fees 5% of 10.00 + 3% of 8.00 = 0.74; royalties 10% = 1.80.
    let summary_before = summary(&server, &vendor, 3);
    let line = &summary_before["currencies"][0];
    assert_eq!(line["gross"], "18.00");
    assert_eq!(line["fees"], "0.74");
    assert_eq!(line["royalties_withheld"], "1.80");
    assert_eq!(line["net_payable"], "15.46");
    assert_eq!(
        (&line["settled"], &line["unsettled"]),
        (&json!("0.00"), &json!("15.46"))
    );
    assert_eq!(line["period"]["tier"], 2);
    assert_eq!(line["period"]["fee_base"], "18.00");
    assert!(summary_before["settlement"]["next_settlement"].is_string());
    let totals = server.totals_conserved();
    let usd = &totals["currencies"][0];
    assert_eq!(
        (&usd["royalties"], &usd["fees"]),
        (&json!("1.80"), &json!("0.74"))
    );

    // The threshold (1.00) is reached for both payees: one run pays each exactly its net.
    let first = run(&server, &json!({}));
    let payouts = first.body["payouts"].as_array().unwrap();
    let paid: std::collections::BTreeMap<&str, &str> = payouts
        .iter()
        .map(|p| (p["payee"].as_str().unwrap(), p["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paid,
        [(vendor.id.as_str(), "15.46"), (author.as_str(), "1.80")]
            .into_iter()
            .collect()
    );
    let run_id = first.body["run_id"].as_str().unwrap();
    let file = first.body["file"].as_str().unwrap();
    assert_eq!(file, format!("{run_id}.xml"));

    // The payment file: a pain.001.001.09 a bank would take, checked element by element.
    let xml = std::fs::read_to_string(outbox(&server).join(file)).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let root = document.root_element();
    assert!(root.has_tag_name((PAIN_001, "Document")));
    let initiation = descendant(root, &["CstmrCdtTrfInitn"]);
    let header = descendant(initiation, &["GrpHdr"]);
    assert_eq!(child_text(header, "MsgId"), run_id);
    assert_eq!(child_text(header, "NbOfTxs"), "2");
    assert_eq!(child_text(header, "CtrlSum"), "17.26");
    assert!(child_text(header, "CreDtTm").starts_with("2026-03-10T"));
    assert_eq!(
        child_text(descendant(header, &["InitgPty"]), "Nm"),
        "Farthing MSP"
    );
    let blocks: Vec<_> = initiation
        .children()
        .filter(|c| c.has_tag_name((PAIN_001, "PmtInf")))
        .collect();
    assert_eq!(blocks.len(), 1, "one block per currency");
    let block = blocks[0];
    assert_eq!(child_text(block, "PmtMtd"), "TRF");
    assert_eq!(child_text(block, "NbOfTxs"), "2");
    assert_eq!(child_text(block, "CtrlSum"), "17.26");
    assert_eq!(
        child_text(descendant(block, &["ReqdExctnDt"]), "Dt"),
        "2026-03-10"
    );
    assert_eq!(
        child_text(descendant(block, &["Dbtr"]), "Nm"),
        "Farthing MSP"
    );
    assert_eq!(
        child_text(descendant(block, &["DbtrAcct", "Id"]), "IBAN"),
        "DE89370400440532013000"
    );
    assert_eq!(
        child_text(descendant(block, &["DbtrAgt", "FinInstnId"]), "BICFI"),
        "COBADEFFXXX"
    );
    let transactions: Vec<_> = block
        .children()
        .filter(|c| c.has_tag_name((PAIN_001, "CdtTrfTxInf")))
        .collect();
    assert_eq!(transactions.len(), 2);
    let mut seen = std::collections::BTreeMap::new();
    for transaction in transactions {
        let end_to_end = child_text(descendant(transaction, &["PmtId"]), "EndToEndId");
        let amount = descendant(transaction, &["Amt", "InstdAmt"]);
        assert_eq!(amount.attribute("Ccy"), Some("USD"));
        let creditor = child_text(descendant(transaction, &["Cdtr"]), "Nm");
        let iban = child_text(descendant(transaction, &["CdtrAcct", "Id"]), "IBAN");
        seen.insert(creditor, (iban, amount.text().unwrap(), end_to_end));
    }
    assert_eq!(seen["Daily News"].0, "DE89370400440532013000");
    assert_eq!(seen["Daily News"].1, "15.46");
    assert_eq!(seen["Ada Author Ltd"].0, "GB82WEST12345698765432");
    assert_eq!(seen["Ada Author Ltd"].1, "1.80");
    let ids: Vec<&str> = payouts
        .iter()
        .map(|p| p["payout_id"].as_str().unwrap())
        .collect();
    assert!(seen.values().all(|(_, _, id)| ids.contains(id)));
    server.totals_conserved();
    let line = &summary(&server, &vendor, 3)["currencies"][0];
    assert_eq!(
        (&line["settled"], &line["unsettled"]),
        (&json!("15.46"), &json!("0.00"))
    );

    // Nothing more is due: the run pays nobody and writes no file.
    let idle = run(&server, &json!({"force": true}));
    assert_eq!(idle.body["payouts"], json!([]));
    assert_eq!(idle.body["file"], Value::Null);
    assert_eq!(files_in_outbox(&server), 1);

    // A reversal after settlement: the vendor and the rights holder owe it back, carried as
    // negative balances and never paid as negative amounts.
    let reversed = admin_post(
        &server,
        &format!("/admin/v1/authorizations/{}/reversal", authorizations[0]),
        &json!({"reason": "refund"}),
    );
    assert_eq!(reversed.status, 200, "{:?}", reversed.body);
    let after = summary(&server, &vendor, 2);
    // Gross 12.00: fees 0.50 + 0.06 = 0.56, royalties 1.20 → earned 10.24, paid 15.46.
    assert_eq!(after["currencies"][0]["unsettled"], "-5.22");
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["rights_holders_unsettled"], "-0.60");
    let forced = run(&server, &json!({"force": true}));
    assert_eq!(forced.body["payouts"], json!([]));

    // The bank returns the vendor's payout: its amount is unsettled again, once.
    let vendor_payout = payouts
        .iter()
        .find(|p| p["payee"] == vendor.id.as_str())
        .unwrap()["payout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/v1/payouts/{vendor_payout}/return");
    let returned = admin_post(&server, &path, &json!({"reason": "AC04 closed account"}));
    assert_eq!(returned.status, 200, "{:?}", returned.body);
    assert_eq!(returned.body["returned"]["reason"], "AC04 closed account");
    let again = admin_post(&server, &path, &json!({"reason": "again"}));
    assert_eq!(
        (again.status, again.code()),
        (409, "payout_returned_already")
    );
    assert_eq!(
        summary(&server, &vendor, 2)["currencies"][0]["unsettled"],
        "10.24"
    );
    server.totals_conserved();

    // Listings: the vendor sees its own payouts; an operator filters by payee.
    let mine = server.get("/v1/vendors/me/payouts", Some(&vendor.key));
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["payouts"].as_array().unwrap().len(), 1);
    assert_eq!(
        mine.body["payouts"][0]["returned"]["reason"],
        "AC04 closed account"
    );
    // The rights holder's own view: 1.80 accrued less 0.60 reversed, 1.80 paid.
    let holder = server.get(
        &format!("/admin/v1/rights-holders/{author}"),
        Some(&server.admin_key),
    );
    assert_eq!(holder.status, 200, "{:?}", holder.body);
    assert_eq!(
        (
            &holder.body["accrued"],
            &holder.body["settled"],
            &holder.body["unsettled"]
        ),
        (&json!("1.20"), &json!("1.80"), &json!("-0.60"))
    );
    assert_eq!(holder.body["settlement"]["bank_account"], "GB** **** 5432");
    let theirs = server.get(
        &format!("/admin/v1/payouts?payee={author}&limit=1"),
        Some(&server.admin_key),
    );
    assert_eq!(theirs.body["payouts"].as_array().unwrap().len(), 1);
    assert_eq!(theirs.body["next_cursor"], Value::Null);
    let all = server.get("/admin/v1/payouts?limit=1", Some(&server.admin_key));
    assert_eq!(all.body["payouts"].as_array().unwrap().len(), 1);
    let cursor = all.body["next_cursor"].as_str().unwrap();
    let rest = server.get(
        &format!("/admin/v1/payouts?limit=1&cursor={cursor}"),
        Some(&server.admin_key),
    );
    assert_ne!(
        rest.body["payouts"][0]["payout_id"],
        all.body["payouts"][0]["payout_id"]
    );
    let shown = server.get(
        &format!("/admin/v1/settlement-runs/{run_id}"),
        Some(&server.admin_key),
    );
    assert_eq!(shown.status, 200);
    assert_eq!(
        (&shown.body["finished"], &shown.body["file"]),
        (&json!(true), &json!(file))
    );
}

#[test]
fn referrals_and_funds_bought_through_a_vendor_earn_it_commissions() {
    let payments = farthing::payments::TestProcessor::default();
    let server =
        TestServer::start_memory_paying(farthing::storage::memory::MemoryStore::new(), payments);
    let referrer = server.vendor("blog.example");
    let seller = server.vendor("news.example");
    let rates = admin_put(
        &server,
        &format!("/admin/v1/vendors/{}/commission", referrer.id),
        &json!({"referral_rate_ppm": 100000, "funds_rate_ppm": 20000}),
    );
    assert_eq!(rates.status, 200, "{:?}", rates.body);
    let registered = server.post(
        "/v1/members",
        None,
        &json!({"email": "referred@example.com", "password": "correct horse battery",
                "language": "en", "currency": "USD", "referred_by": referrer.id}),
    );
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let member_id = registered.body["member_id"].as_str().unwrap().to_owned();
    let deposit = admin_post(
        &server,
        &format!("/admin/v1/members/{member_id}/deposits"),
        &json!({"amount": "3.00", "currency": "USD", "reference": "first"}),
    );
    assert_eq!(deposit.status, 201);
    let session = server.sign_in("referred@example.com", "absolute");

    // A purchase at another vendor earns the referrer 10% of it.
    let at_seller = server.buyer_token(&session, &seller);
    assert_eq!(
        buy(&server, &seller, &at_seller, "2.00", "/a", json!({})).status,
        200
    );
    let seen = summary(&server, &referrer, 0);
    assert_eq!(seen["currencies"][0]["commissions"], "0.20");
    assert_eq!(seen["commission"]["referral_rate_ppm"], 100000);
    let seller_line = &summary(&server, &seller, 1)["currencies"][0];
    assert_eq!(seller_line["commissions"], "0.00");

    // A top-off at the referrer's own authorize buys funds through it: 2% of 5.90.
    let card = server.post(
        "/v1/members/me/payment-methods",
        Some(&session),
        &json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    );
    let card = card.body["payment_method_id"].as_str().unwrap().to_owned();
    let on = server.put(
        "/v1/members/me/wallets/USD/top-off",
        Some(&session),
        &json!({"enabled": true, "top_off_amount": "5.00", "payment_method_id": card}),
    );
    assert_eq!(on.status, 200, "{:?}", on.body);
    let at_referrer = server.buyer_token(&session, &referrer);
    let topped = buy(&server, &referrer, &at_referrer, "1.90", "/b", json!({}));
    assert_eq!(topped.status, 200, "{:?}", topped.body);
    // 0.20 referral on 2.00, 0.19 on its own sale of 1.90, 0.118 on 5.90 of funds.
    let line = &summary(&server, &referrer, 1)["currencies"][0];
    assert_eq!(line["commissions"], "0.508");
    // Its own sale of 1.90 less the 5% fee, plus the commissions.
    assert_eq!(line["net_payable"], "2.313");
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["commissions"], "0.508");

    // A link to no vendor is refused on the API, ignored on the page.
    let unknown = server.post(
        "/v1/members",
        None,
        &json!({"email": "x@example.com", "password": "correct horse battery",
                "language": "en", "currency": "USD", "referred_by": "ven_00000000000000ff"}),
    );
    assert_eq!(
        (unknown.status, unknown.body["param"].as_str()),
        (400, Some("referred_by"))
    );
    let page = server.request(
        "GET",
        &format!("/register?ref={}", referrer.id),
        None,
        None,
        &[],
    );
    assert_eq!(page.status, 200);
}

#[test]
fn bad_vendor_money_input_is_refused_with_the_field_named() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let author = rights_holder(&server, "Ada");
    let cases = [
        (
            format!("/admin/v1/vendors/{}/fee-schedule", vendor.id),
            json!({"period": "year", "tiers": [{"from_gross": "0", "rate_ppm": 1}]}),
            "period",
        ),
        (
            format!("/admin/v1/vendors/{}/fee-schedule", vendor.id),
            json!({"period": "month", "tiers": [{"from_gross": "0", "rate_ppm": 1}, {"from_gross": "5", "rate_ppm": 2}]}),
            "tiers",
        ),
        (
            format!("/admin/v1/vendors/{}/commission", vendor.id),
            json!({"referral_rate_ppm": 1000001, "funds_rate_ppm": 0}),
            "referral_rate_ppm",
        ),
        (
            format!("/admin/v1/vendors/{}/settlement", vendor.id),
            settlement("1.00", "0", "DE89370400440532013001", "X"),
            "bank_account.iban",
        ),
        (
            format!("/admin/v1/rights-holders/{author}/settlement"),
            json!({"threshold": "1", "schedule": {"kind": "monthly", "day": 32}, "minimum": "0",
                   "bank_account": {"iban": "DE89370400440532013000", "name": "A"}}),
            "schedule.day",
        ),
    ];
    for (path, body, param) in cases {
        let reply = admin_put(&server, &path, &body);
        assert_eq!(
            (reply.status, reply.body["param"].as_str()),
            (400, Some(param)),
            "{path}: {:?}",
            reply.body
        );
    }
    // Royalties: shares above the price are a 400, an unknown rights holder a 422.
    let member = server.member("r@example.com", "UTC", "5.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let over = json!({"royalties": [{"rights_holder_id": author, "share_ppm": 600000},
                                    {"rights_holder_id": "rh_00000000000000aa", "share_ppm": 400001}]});
    let refused = buy(&server, &vendor, &buyer, "1.00", "/x", over);
    assert_eq!(
        (refused.status, refused.body["param"].as_str()),
        (400, Some("royalties"))
    );
    let unknown =
        json!({"royalties": [{"rights_holder_id": "rh_00000000000000aa", "share_ppm": 1}]});
    let refused = buy(&server, &vendor, &buyer, "1.00", "/x", unknown);
    assert_eq!(
        (refused.status, refused.code()),
        (422, "rights_holder_unknown")
    );
    assert_eq!(server.balance(&member), "5.00", "nothing was charged");
    let offer = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "T", "price": "1.00", "currency": "USD",
                "content_url": "https://news.example/o",
                "royalties": [{"rights_holder_id": author, "share_ppm": 1000001}]}),
    );
    assert_eq!(
        (offer.status, offer.body["param"].as_str()),
        (400, Some("royalties"))
    );
    let missing = admin_post(
        &server,
        "/admin/v1/payouts/pay_00000000000000aa/return",
        &json!({"reason": "x"}),
    );
    assert_eq!((missing.status, missing.code()), (404, "payout_unknown"));
    let no_run = server.get(
        "/admin/v1/settlement-runs/run_00000000000000aa",
        Some(&server.admin_key),
    );
    assert_eq!(
        (no_run.status, no_run.code()),
        (404, "settlement_run_unknown")
    );
    let bad_payee = admin_post(
        &server,
        "/admin/v1/settlement-runs",
        &json!({"payees": ["acct_00000000000000aa"]}),
    );
    assert_eq!(
        (bad_payee.status, bad_payee.body["param"].as_str()),
        (400, Some("payees"))
    );
}

#[test]
fn a_vendor_refunds_its_own_sales_once_and_never_another_vendors() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("blog.example");
    let member = server.member("refund@example.com", "UTC", "10.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let sold = buy(&server, &vendor, &buyer, "2.50", "/r", json!({}));
    assert_eq!(sold.status, 200, "{:?}", sold.body);
    let id = sold.body["authorization_id"].as_str().unwrap().to_owned();
    let refund = json!({"authorization_id": id, "reason": "customer asked"});
    let by_other = server.post("/v1/refunds", Some(&other.key), &refund);
    assert_eq!(by_other.status, 404, "{:?}", by_other.body);
    assert_eq!(
        server.balance(&member),
        "7.50",
        "another vendor refunds nothing"
    );
    for _ in 0..2 {
        let refunded = server.post("/v1/refunds", Some(&vendor.key), &refund);
        assert_eq!(refunded.status, 200, "{:?}", refunded.body);
        assert_eq!(refunded.body["refunded"], "2.50");
        assert_eq!(server.balance(&member), "10.00", "refunded once");
    }
    let shown = server.get(&format!("/v1/authorizations/{id}"), Some(&vendor.key));
    assert_eq!(shown.body["status"], "reversed");
    let blank = server.post(
        "/v1/refunds",
        Some(&vendor.key),
        &json!({"authorization_id": id, "reason": " "}),
    );
    assert_eq!(
        (blank.status, blank.body["param"].as_str()),
        (400, Some("reason"))
    );
    server.totals_conserved();
}

#[test]
fn the_settlement_tick_pays_what_a_threshold_makes_due() {
    let server = TestServer::start_with(
        |config| config.settlement.tick_ms = 1_000,
        Box::new(farthing::storage::fjall_store::SyncData),
    );
    let vendor = server.vendor("news.example");
    let set = admin_put(
        &server,
        &format!("/admin/v1/vendors/{}/settlement", vendor.id),
        &settlement("1.00", "0", "DE89370400440532013000", "Daily News"),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    let member = server.member("tick@example.com", "UTC", "10.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(
        buy(&server, &vendor, &buyer, "0.50", "/t", json!({})).status,
        200
    );
    // Below the threshold (0.475 after the fee): two ticks pay nothing.
    std::thread::sleep(std::time::Duration::from_millis(2_300));
    let none = server.get("/v1/vendors/me/payouts", Some(&vendor.key));
    assert_eq!(none.body["payouts"], json!([]));
    assert_eq!(
        buy(&server, &vendor, &buyer, "1.00", "/u", json!({})).status,
        200
    );
    // 1.425 earned: the next tick pays 1.42 and carries the half cent.
    for _ in 0..50 {
        let mine = server.get("/v1/vendors/me/payouts", Some(&vendor.key));
        if let Some(payout) = mine.body["payouts"].as_array().and_then(|p| p.first()) {
            assert_eq!(payout["amount"], "1.42");
            let line = &summary(&server, &vendor, 2)["currencies"][0];
            assert_eq!(line["unsettled"], "0.005");
            assert_eq!(files_in_outbox(&server), 1);
            server.totals_conserved();
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the tick never paid");
}
