//! "My Content" over HTTP (issue 14, [0163]) on a real node with a manual clock:
//! `GET /v1/members/me/content` lists what the member owns newest first with its title,
//! vendor, dates and views left, in pages; `POST /v1/members/me/content/{id}/open` answers a
//! fresh access token the vendor's check accepts (opening counts no view, the check does),
//! and refuses expired, reversed and used-up items with the access check's own problems; a
//! sub-member sees and opens only what they bought ([0275]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::{Member, Reply, TestServer, Vendor};
use serde_json::{Value, json};

const SECOND: u64 = 1_000;
const HOUR: u64 = 3_600 * SECOND;

fn content(server: &TestServer, session: &str, query: &str) -> Reply {
    server.get(&format!("/v1/members/me/content?{query}"), Some(session))
}

/// Every item, following cursors, and the pages it took.
fn all_items(server: &TestServer, session: &str, query: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=100 {
        let query = match &cursor {
            Some(cursor) => format!("{query}&cursor={cursor}"),
            None => query.to_owned(),
        };
        let page = content(server, session, &query);
        assert_eq!(page.status, 200, "{:?}", page.body);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (items, pages),
        }
    }
    panic!("the list never ended");
}

fn story_url(vendor: &Vendor, n: u32) -> String {
    format!("https://{}/story/{n}", vendor.domain)
}

/// `member` buys story `n` from `vendor` with `terms` (views, valid_hours, …) merged in;
/// answers the authorize response.
fn buy(server: &TestServer, vendor: &Vendor, member: &Member, n: u32, terms: Value) -> Value {
    let buyer = server.buyer_token(&member.session, vendor);
    let mut body = json!({"buyer_token": buyer, "price": "0.25", "currency": "USD",
                          "content_url": story_url(vendor, n), "title": format!("Story {n}")});
    for (name, value) in terms.as_object().unwrap() {
        body[name] = value.clone();
    }
    let reply = server.post("/v1/authorize", Some(&vendor.key), &body);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["already_owned"], false);
    reply.body
}

fn titles(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|item| item["title"].as_str().unwrap())
        .collect()
}

/// The item titled `title` in `session`'s list.
fn item(server: &TestServer, session: &str, title: &str) -> Value {
    let (items, _) = all_items(server, session, "limit=100");
    items
        .into_iter()
        .find(|item| item["title"] == title)
        .unwrap_or_else(|| panic!("{title} is not listed"))
}

fn open(server: &TestServer, session: Option<&str>, entitlement: &str) -> Reply {
    server.post(
        &format!("/v1/members/me/content/{entitlement}/open"),
        session,
        &json!({}),
    )
}

/// The vendor's access check of `token` presented at `url`.
fn access(server: &TestServer, vendor: &Vendor, token: &str, url: &str) -> Reply {
    server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": token, "content_url": url}),
    )
}

#[test]
fn the_list_shows_each_item_newest_first_in_pages() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    server.clock.advance_ms(SECOND);
    let first = buy(
        &server,
        &news,
        &ann,
        1,
        json!({"views": 2, "valid_hours": 1}),
    );
    server.clock.advance_ms(SECOND);
    buy(&server, &news, &ann, 2, json!({}));
    server.clock.advance_ms(SECOND);
    buy(&server, &news, &ann, 3, json!({"views": 1}));
    // Money lines that are no purchase are not content.
    let funds = server.post(
        &format!("/admin/v1/members/{}/deposits", ann.id),
        Some(&server.admin_key),
        &json!({"amount": "1.00", "currency": "USD", "reference": "more"}),
    );
    assert_eq!(funds.status, 201, "{:?}", funds.body);

    let page = content(&server, &ann.session, "");
    assert_eq!(page.status, 200, "{:?}", page.body);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(titles(items), ["Story 3", "Story 2", "Story 1"]);
    assert!(page.body.get("next_cursor").is_none());
    for item in items {
        assert_eq!(item["vendor"]["id"], news.id.as_str());
        assert_eq!(item["vendor"]["name"], "Daily News");
        assert_eq!(item["can_open"], true, "{item}");
        assert!(item.get("unavailable").is_none());
        assert!(item["entitlement_id"].as_str().unwrap().starts_with("ent_"));
    }
    // Purchase dates one second apart, newest first, RFC 3339.
    let millis = |text: &Value| {
        text.as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    };
    let dates: Vec<i64> = items
        .iter()
        .map(|item| millis(&item["purchased_at"]))
        .collect();
    assert_eq!(dates[0] - dates[1], 1_000);
    assert_eq!(dates[1] - dates[2], 1_000);
    // Expiry and views as the purchase granted them.
    assert_eq!(items[2]["expires_at"], first["entitlement"]["expires_at"]);
    assert_eq!(
        millis(&items[2]["expires_at"]) - dates[2],
        i64::try_from(HOUR).unwrap()
    );
    assert_eq!(items[2]["views_left"], 2);
    assert_eq!(items[1]["expires_at"], Value::Null, "never expires");
    assert_eq!(items[1]["views_left"], Value::Null, "unlimited");
    assert_eq!(items[0]["views_left"], 1);

    // Two per page: the boundary loses and repeats nothing.
    let first_page = content(&server, &ann.session, "limit=2");
    assert_eq!(first_page.status, 200, "{:?}", first_page.body);
    assert_eq!(
        titles(first_page.body["items"].as_array().unwrap()),
        ["Story 3", "Story 2"]
    );
    let cursor = first_page.body["next_cursor"].as_str().unwrap();
    let second_page = content(&server, &ann.session, &format!("limit=2&cursor={cursor}"));
    assert_eq!(second_page.status, 200, "{:?}", second_page.body);
    assert_eq!(
        titles(second_page.body["items"].as_array().unwrap()),
        ["Story 1"]
    );
    assert!(second_page.body.get("next_cursor").is_none());
    let (one_by_one, pages) = all_items(&server, &ann.session, "limit=1");
    assert_eq!(titles(&one_by_one), ["Story 3", "Story 2", "Story 1"]);
    assert!(pages >= 3);
}

#[test]
fn reopening_answers_a_token_the_vendor_accepts_and_counts_no_view_by_itself() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    buy(&server, &news, &ann, 1, json!({"views": 2}));
    let listed = item(&server, &ann.session, "Story 1");
    let id = listed["entitlement_id"].as_str().unwrap();

    let opened = open(&server, Some(&ann.session), id);
    assert_eq!(opened.status, 200, "{:?}", opened.body);
    assert_eq!(opened.body["url"], story_url(&news, 1));
    let token = opened.body["access_token"].as_str().unwrap();
    // Opening twice mints two tokens and counts nothing.
    let again = open(&server, Some(&ann.session), id);
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_ne!(again.body["access_token"], opened.body["access_token"]);
    assert_eq!(item(&server, &ann.session, "Story 1")["views_left"], 2);

    // The vendor's check grants the token and counts the view, once.
    let granted = access(&server, &news, token, &story_url(&news, 1));
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["granted"], true);
    assert_eq!(granted.body["views_left"], 1);
    let reused = access(&server, &news, token, &story_url(&news, 1));
    assert_eq!((reused.status, reused.code()), (403, "access_token_used"));
    assert_eq!(item(&server, &ann.session, "Story 1")["views_left"], 1);

    // The second token spends the last view: the item is used up and opens no more.
    let last = access(
        &server,
        &news,
        again.body["access_token"].as_str().unwrap(),
        &story_url(&news, 1),
    );
    assert_eq!(last.status, 200, "{:?}", last.body);
    let used_up = item(&server, &ann.session, "Story 1");
    assert_eq!(used_up["views_left"], 0);
    assert_eq!(used_up["can_open"], false);
    assert_eq!(used_up["unavailable"], "views_used_up");
    let refused = open(&server, Some(&ann.session), id);
    assert_eq!((refused.status, refused.code()), (403, "views_used_up"));
}

#[test]
fn expired_and_reversed_items_are_refused_with_the_access_check_s_problems() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    buy(&server, &news, &ann, 1, json!({"valid_hours": 1}));
    let refunded = buy(&server, &news, &ann, 2, json!({}));
    let expiring = item(&server, &ann.session, "Story 1");
    let expiring_id = expiring["entitlement_id"].as_str().unwrap();
    assert_eq!(open(&server, Some(&ann.session), expiring_id).status, 200);

    let reversal = server.post(
        &format!(
            "/admin/v1/authorizations/{}/reversal",
            refunded["authorization_id"].as_str().unwrap()
        ),
        Some(&server.admin_key),
        &json!({"reason": "Sold twice"}),
    );
    assert_eq!(reversal.status, 200, "{:?}", reversal.body);
    let reversed = item(&server, &ann.session, "Story 2");
    assert_eq!(reversed["can_open"], false);
    assert_eq!(reversed["unavailable"], "reversed");
    let refused = open(
        &server,
        Some(&ann.session),
        reversed["entitlement_id"].as_str().unwrap(),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (403, "entitlement_reversed")
    );

    // One hour on, the first one has expired (its expiry is exclusive). The session has
    // lapsed by then too: signed in again.
    server.clock.advance_ms(HOUR);
    let session = server.sign_in("ann@example.com", "absolute");
    let expired = item(&server, &session, "Story 1");
    assert_eq!(expired["can_open"], false);
    assert_eq!(expired["unavailable"], "expired");
    let refused = open(&server, Some(&session), expiring_id);
    assert_eq!(
        (refused.status, refused.code()),
        (403, "entitlement_expired")
    );
}

#[test]
fn a_sub_member_sees_and_opens_only_what_they_bought() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let holder = server.member("parent@example.com", "UTC", "10.00");
    let (kid, _login) = server.sub_member(&holder, "Kid", "kid@example.com");
    buy(&server, &news, &holder, 1, json!({}));
    server.clock.advance_ms(SECOND);
    buy(&server, &news, &kid, 2, json!({}));

    let (own, _) = all_items(&server, &kid.session, "limit=100");
    assert_eq!(titles(&own), ["Story 2"]);
    let (all, _) = all_items(&server, &holder.session, "limit=100");
    assert_eq!(titles(&all), ["Story 2", "Story 1"]);

    let holders = all[1]["entitlement_id"].as_str().unwrap();
    let kids = all[0]["entitlement_id"].as_str().unwrap();
    // Someone else's item is no item of the sub-member's: 404, as an unknown one.
    let refused = open(&server, Some(&kid.session), holders);
    assert_eq!((refused.status, refused.code()), (404, "not_found"));
    let opened = open(&server, Some(&kid.session), kids);
    assert_eq!(opened.status, 200, "{:?}", opened.body);
    assert_eq!(opened.body["url"], story_url(&news, 2));
    // The holder opens every item of the account, the sub-member's too.
    let opened = open(&server, Some(&holder.session), kids);
    assert_eq!(opened.status, 200, "{:?}", opened.body);
    let granted = access(
        &server,
        &news,
        opened.body["access_token"].as_str().unwrap(),
        &story_url(&news, 2),
    );
    assert_eq!(granted.status, 200, "{:?}", granted.body);
}

#[test]
fn refusals_without_a_session_for_bad_parameters_and_unknown_items() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let ann = server.member("ann@example.com", "UTC", "10.00");
    buy(&server, &news, &ann, 1, json!({}));
    let id = item(&server, &ann.session, "Story 1")["entitlement_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let anonymous = server.get("/v1/members/me/content", None);
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "unauthenticated")
    );
    let anonymous = open(&server, None, &id);
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "unauthenticated")
    );

    for (query, param) in [
        ("cursor=not-a-cursor", "cursor"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("kind=purchase", "query"),
    ] {
        let bad = content(&server, &ann.session, query);
        assert_eq!((bad.status, bad.code()), (400, "invalid_field"), "{query}");
        assert_eq!(bad.body["param"], param, "{query}");
    }

    let unknown = open(&server, Some(&ann.session), "ent_00000000000000ff");
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    let malformed = open(&server, Some(&ann.session), "42");
    assert_eq!((malformed.status, malformed.code()), (400, "invalid_field"));
    // Another member's item is unknown to this one.
    let bob = server.member("bob@example.com", "UTC", "1.00");
    let foreign = open(&server, Some(&bob.session), &id);
    assert_eq!((foreign.status, foreign.code()), (404, "not_found"));
}
