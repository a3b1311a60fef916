//! Step-up over HTTP ([0144], [0154]-[0158]): a member who set security questions answers one
//! again before each sensitive change (limits, payment methods, sub-members, security
//! questions, password, unfreeze) and, with the unusual-activity rule on, before an unusual
//! purchase a vendor asks for; wrong answers lock step-up and end the session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::{Member, TestServer};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// Registers a member with two security questions (answers "Rex" and "Elm Street") and
/// signs them in.
fn member_with_questions(server: &TestServer, email: &str, deposit: &str) -> Member {
    let reply = server.post(
        "/v1/members",
        None,
        &json!({"email": email, "password": PASSWORD, "language": "en", "currency": "USD",
                "security_questions": [
                    {"question": "First pet?", "answer": "Rex"},
                    {"question": "First street?", "answer": "Elm Street"}]}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let id = reply.body["member_id"].as_str().unwrap().to_owned();
    if deposit != "0" {
        let reply = server.post(
            &format!("/admin/v1/members/{id}/deposits"),
            Some(&server.admin_key),
            &json!({"amount": deposit, "currency": "USD", "reference": format!("initial-{email}")}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    }
    Member {
        id,
        email: email.to_owned(),
        session: server.sign_in(email, "absolute"),
    }
}

/// The right answer to `question`, typed carelessly: case and spaces do not count.
fn answer_to(question: &str) -> &'static str {
    match question {
        "First pet?" => "  rEX ",
        "First street?" => "elm   street",
        "First car?" => "Beetle",
        other => panic!("asked {other}"),
    }
}

/// Answers a `step_up_required` refusal rightly; answers the step-up token.
fn pass(server: &TestServer, session: &str, refused: &common::Reply) -> String {
    assert_eq!(
        (refused.status, refused.code()),
        (403, "step_up_required"),
        "{:?}",
        refused.body
    );
    let question = refused.body["question"].as_str().unwrap();
    let answered = server.post(
        "/v1/step-up",
        Some(session),
        &json!({"challenge_id": refused.body["challenge_id"], "answer": answer_to(question)}),
    );
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    answered.body["step_up_token"].as_str().unwrap().to_owned()
}

fn send(
    server: &TestServer,
    session: &str,
    (method, path, body): &(&str, String, Value),
    step_up: Option<&str>,
) -> common::Reply {
    let headers: Vec<(&str, &str)> = step_up
        .map(|token| ("Step-Up", token))
        .into_iter()
        .collect();
    server.request(
        method,
        path,
        Some(session),
        Some(&body.to_string()),
        &headers,
    )
}

#[test]
fn every_sensitive_change_asks_a_question_first_and_goes_through_with_the_token() {
    let server = TestServer::start();
    let holder = member_with_questions(&server, "careful@example.com", "5.00");
    let (_, child_login) = {
        // Adding a sub-member is itself behind step-up: pass it once to set one up.
        let body = json!({"name": "Kid", "email": "kid@example.com", "password": PASSWORD});
        let refused = server.post("/v1/members/me/logins", Some(&holder.session), &body);
        let token = pass(&server, &holder.session, &refused);
        let added = server.request(
            "POST",
            "/v1/members/me/logins",
            Some(&holder.session),
            Some(&body.to_string()),
            &[("Step-Up", &token)],
        );
        assert_eq!(added.status, 201, "{:?}", added.body);
        ((), added.body["login_id"].as_str().unwrap().to_owned())
    };
    let frozen = server.post("/v1/members/me/freeze", Some(&holder.session), &json!({}));
    assert_eq!(frozen.status, 200, "freezing needs no step-up");
    // Freezing ended the session: sign in again.
    let session = server.sign_in("careful@example.com", "absolute");
    let triggers: Vec<(&str, String, Value)> = vec![
        ("POST", "/v1/members/me/unfreeze".to_owned(), json!({})),
        (
            "PUT",
            "/v1/members/me/limits".to_owned(),
            json!({"currency": "USD", "per_day": "1.00"}),
        ),
        (
            "POST",
            "/v1/members/me/payment-methods".to_owned(),
            json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
        ),
        (
            "POST",
            "/v1/members/me/logins".to_owned(),
            json!({"name": "Kid 2", "email": "kid2@example.com", "password": PASSWORD}),
        ),
        (
            "PUT",
            format!("/v1/members/me/logins/{child_login}/limits"),
            json!({"currency": "USD", "per_transaction": "0.10"}),
        ),
        (
            "POST",
            format!("/v1/members/me/logins/{child_login}/disable"),
            json!({}),
        ),
        (
            "POST",
            format!("/v1/members/me/logins/{child_login}/enable"),
            json!({}),
        ),
        (
            "PUT",
            "/v1/members/me/security-questions".to_owned(),
            json!({"questions": [{"question": "First pet?", "answer": "Rex"},
                                 {"question": "First street?", "answer": "Elm Street"},
                                 {"question": "First car?", "answer": "Beetle"}]}),
        ),
        (
            "PUT",
            "/v1/members/me/password".to_owned(),
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        ),
    ];
    for trigger in &triggers {
        let refused = send(&server, &session, trigger, None);
        assert_eq!(
            (refused.status, refused.code()),
            (403, "step_up_required"),
            "{} {}: {:?}",
            trigger.0,
            trigger.1,
            refused.body
        );
        assert!(refused.body["challenge_id"].is_string());
        let token = pass(&server, &session, &refused);
        let done = send(&server, &session, trigger, Some(&token));
        assert!(
            (200..300).contains(&done.status),
            "{} {} with the token: {:?}",
            trigger.0,
            trigger.1,
            done.body
        );
    }
    // The removal of the card saved above, too.
    let me = server.get("/v1/members/me", Some(&session));
    let card = me.body["payment_methods"][0]["payment_method_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removal = (
        "DELETE",
        format!("/v1/members/me/payment-methods/{card}"),
        json!({}),
    );
    let refused = send(&server, &session, &removal, None);
    let token = pass(&server, &session, &refused);
    assert_eq!(send(&server, &session, &removal, Some(&token)).status, 200);

    // A token is good for its session only, and only until it expires.
    let other = server.sign_in("careful@example.com", "absolute");
    let limits = &triggers[1];
    let elsewhere = send(&server, &other, limits, Some(&token));
    assert_eq!(elsewhere.code(), "step_up_required");
    assert_eq!(send(&server, &session, limits, Some(&token)).status, 200);
    server.clock.advance_ms(300_001);
    let stale = send(&server, &session, limits, Some(&token));
    assert_eq!(stale.code(), "step_up_required");
}

#[test]
fn a_member_without_questions_is_never_asked_and_questions_are_checked() {
    let server = TestServer::start();
    let plain = server.member("plain@example.com", "UTC", "0");
    let limits = server.put(
        "/v1/members/me/limits",
        Some(&plain.session),
        &json!({"currency": "USD", "per_day": "1.00"}),
    );
    assert_eq!(limits.status, 200);
    let challenge = server.post(
        "/v1/members/me/step-up-challenges",
        Some(&plain.session),
        &json!({}),
    );
    assert_eq!(
        (challenge.status, challenge.code()),
        (409, "step_up_not_asked")
    );
    // Setting questions needs no step-up while there are none; bad sets are refused.
    let one = server.put(
        "/v1/members/me/security-questions",
        Some(&plain.session),
        &json!({"questions": [{"question": "First pet?", "answer": "Rex"}]}),
    );
    assert_eq!((one.status, one.code()), (400, "questions_count"));
    let twice = server.put(
        "/v1/members/me/security-questions",
        Some(&plain.session),
        &json!({"questions": [{"question": "First pet?", "answer": "Rex"},
                              {"question": "first  PET?", "answer": "Tom"}]}),
    );
    assert_eq!((twice.status, twice.code()), (400, "text_invalid"));
    let set = server.put(
        "/v1/members/me/security-questions",
        Some(&plain.session),
        &json!({"questions": [{"question": "First pet?", "answer": "Rex"},
                              {"question": "First street?", "answer": "Elm Street"}]}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    let asked = server.put(
        "/v1/members/me/limits",
        Some(&plain.session),
        &json!({"currency": "USD", "per_day": "2.00"}),
    );
    assert_eq!(asked.code(), "step_up_required");
    // Registration refuses a single question before hashing anything.
    let single = server.post(
        "/v1/members",
        None,
        &json!({"email": "one@example.com", "password": PASSWORD, "language": "en", "currency": "USD",
                "security_questions": [{"question": "First pet?", "answer": "Rex"}]}),
    );
    assert_eq!((single.status, single.code()), (400, "questions_count"));
}

#[test]
fn wrong_answers_lock_step_up_end_the_session_and_the_lock_lifts_later() {
    let server = TestServer::start();
    let member = member_with_questions(&server, "forgetful@example.com", "0");
    let limits = (
        "PUT",
        "/v1/members/me/limits".to_owned(),
        json!({"currency": "USD", "per_day": "1.00"}),
    );
    let refused = send(&server, &member.session, &limits, None);
    let challenge = refused.body["challenge_id"].as_str().unwrap().to_owned();
    let wrong = |session: &str| {
        server.post(
            "/v1/step-up",
            Some(session),
            &json!({"challenge_id": challenge, "answer": "no idea"}),
        )
    };
    for _ in 0..2 {
        let answered = wrong(&member.session);
        assert_eq!(
            (answered.status, answered.code()),
            (403, "step_up_answer_wrong")
        );
    }
    // Someone else's session cannot answer this session's challenge.
    let other = server.sign_in("forgetful@example.com", "absolute");
    let foreign = wrong(&other);
    assert_eq!(
        (foreign.status, foreign.body["param"].as_str()),
        (400, Some("challenge_id"))
    );
    let locking = wrong(&member.session);
    assert_eq!((locking.status, locking.code()), (403, "step_up_locked"));
    let ended = server.get("/v1/members/me", Some(&member.session));
    assert_eq!(ended.status, 401, "the session that failed has ended");
    // Locked for every session of the login until lock_ms passes.
    let session = server.sign_in("forgetful@example.com", "absolute");
    let locked = send(&server, &session, &limits, None);
    assert_eq!((locked.status, locked.code()), (403, "step_up_locked"));
    server.clock.advance_ms(900_000);
    let again = send(&server, &session, &limits, None);
    let token = pass(&server, &session, &again);
    assert_eq!(send(&server, &session, &limits, Some(&token)).status, 200);
    // The lock and the questions survive a restart.
    let refused = send(&server, &session, &limits, None);
    let challenge = refused.body["challenge_id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        server.post(
            "/v1/step-up",
            Some(&session),
            &json!({"challenge_id": challenge, "answer": "wrong"}),
        );
    }
    let server = server.restart();
    let session = server.sign_in("forgetful@example.com", "absolute");
    let locked = send(&server, &session, &limits, None);
    assert_eq!(locked.code(), "step_up_locked");
}

#[test]
fn an_unusual_purchase_waits_for_the_members_step_up_at_the_page_the_refusal_names() {
    let server = TestServer::start_with(
        |config| {
            config.step_up.unusual.price_multiple = 5;
            config.step_up.unusual.purchases_per_minute = 3;
        },
        Box::new(farthing::storage::fjall_store::SyncData),
    );
    let vendor = server.vendor("news.example");
    let member = member_with_questions(&server, "shopper@example.com", "20.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/1").status,
        200
    );
    server.clock.advance_ms(1_000);
    // Five times the typical price is usual; more is not.
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.50", "/a/2").status,
        200
    );
    server.clock.advance_ms(1_000);
    let unusual = server.authorize(&vendor, &buyer, "3.00", "/a/3");
    assert_eq!((unusual.status, unusual.code()), (403, "step_up_required"));
    assert!(
        unusual.body["step_up_url"]
            .as_str()
            .unwrap()
            .ends_with("/account/step-up"),
        "{:?}",
        unusual.body
    );
    assert!(
        unusual.body.get("question").is_none(),
        "the vendor never sees the question"
    );
    // The member answers (the page asks through the same calls), and the vendor retries.
    let challenge = server.post(
        "/v1/members/me/step-up-challenges",
        Some(&member.session),
        &json!({}),
    );
    assert_eq!(challenge.status, 201, "{:?}", challenge.body);
    let question = challenge.body["question"].as_str().unwrap();
    let answered = server.post(
        "/v1/step-up",
        Some(&member.session),
        &json!({"challenge_id": challenge.body["challenge_id"], "answer": answer_to(question)}),
    );
    assert_eq!(answered.status, 200);
    assert_eq!(
        server.authorize(&vendor, &buyer, "3.00", "/a/3").status,
        200
    );

    // A burst: the fourth purchase within a minute is unusual.
    server.clock.advance_ms(600_000);
    for n in 4..7 {
        assert_eq!(
            server
                .authorize(&vendor, &buyer, "0.10", &format!("/a/{n}"))
                .status,
            200
        );
    }
    let burst = server.authorize(&vendor, &buyer, "0.10", "/a/7");
    assert_eq!(burst.code(), "step_up_required");
    server.clock.advance_ms(60_000);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/7").status,
        200
    );
    server.totals_conserved();
}
