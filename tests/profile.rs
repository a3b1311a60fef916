//! A login's own name and language ([0114], [0136]): `PUT /v1/members/me/profile` and the
//! account pages' profile form. Any login sets its own, never another's; the language is then
//! the one of that login's pages; both survive a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use common::office::{Http, urlencode};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn me(server: &TestServer, session: &str) -> Value {
    let reply = server.get("/v1/members/me", Some(session));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

fn pages(server: &TestServer, email: &str) -> Http {
    let mut http = Http::new(&server.base);
    let signed = http.sign_in("/account", email, PASSWORD);
    assert_eq!(signed.status, 303, "{}", signed.body);
    http
}

#[test]
fn a_sub_member_sets_their_own_name_and_language_and_the_holder_s_stay() {
    let server = TestServer::start();
    let holder = server.member("parent@example.com", "UTC", "5.00");
    let (kid, login) = server.sub_member(&holder, "Kid", "kid@example.com");
    let set = server.put(
        "/v1/members/me/profile",
        Some(&kid.session),
        &json!({"name": "  Kimi ", "language": "ja"}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["login_id"], login.as_str());
    assert_eq!(set.body["name"], "Kimi");
    assert_eq!(set.body["language"], "ja");
    assert_eq!(set.body["role"], "member");
    let theirs = me(&server, &kid.session);
    assert_eq!(theirs["language"], "ja");
    assert_eq!(theirs["login"]["name"], "Kimi");
    // The holder's own login and language did not change.
    let holders = me(&server, &holder.session);
    assert_eq!(holders["language"], "en");
    assert_eq!(holders["login"]["name"], Value::Null);
    assert_eq!(holders["login"]["language"], Value::Null);
    // A field left out stays as it is.
    let set = server.put(
        "/v1/members/me/profile",
        Some(&kid.session),
        &json!({"language": "pt-BR"}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["name"], "Kimi");
    assert_eq!(set.body["language"], "pt-BR");
    // The holder sets their own too, and sees the sub-member's new name in the logins.
    let set = server.put(
        "/v1/members/me/profile",
        Some(&holder.session),
        &json!({"name": "Pat"}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["role"], "holder");
    let logins = server.get("/v1/members/me/logins", Some(&holder.session));
    let names: Vec<&str> = logins.body["logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|login| login["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Pat", "Kimi"]);
}

#[test]
fn a_bad_profile_is_refused_naming_the_field() {
    let server = TestServer::start();
    let member = server.member("reader@example.com", "UTC", "0");
    for (body, param) in [
        (json!({"language": "j"}), "language"),
        (json!({"language": "en_US"}), "language"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({}), "body"),
    ] {
        let refused = server.put("/v1/members/me/profile", Some(&member.session), &body);
        assert_eq!(refused.status, 400, "{body}: {:?}", refused.body);
        assert_eq!(refused.code(), "invalid_field", "{body}");
        assert_eq!(refused.body["param"], param, "{body}");
    }
    let unknown = server.put(
        "/v1/members/me/profile",
        Some(&member.session),
        &json!({"nickname": "R"}),
    );
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(me(&server, &member.session)["login"]["name"], Value::Null);
    // One step away: each passes.
    let set = server.put(
        "/v1/members/me/profile",
        Some(&member.session),
        &json!({"name": "x".repeat(100), "language": "en-US"}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(
        server
            .put("/v1/members/me/profile", None, &json!({"name": "R"}))
            .status,
        401
    );
}

#[test]
fn the_pages_speak_the_login_s_new_language_and_it_survives_a_restart() {
    let server = TestServer::start();
    let holder = server.member("parent@example.com", "UTC", "5.00");
    server.sub_member(&holder, "Kid", "kid@example.com");
    let mut kid = pages(&server, "kid@example.com");
    let form = kid.get("/account/profile");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.has("profile") && form.body.contains(r#"value="Kid""#));
    assert!(form.body.contains(r#"<html lang="en">"#));
    // A language that is no tag is the form again, with nothing changed.
    let body = format!("csrf={}&name=Kid&language=x", form.csrf());
    let refused = kid.post("/account/profile", &body);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.has("form-error"));
    let body = format!(
        "csrf={}&name={}&language=ja",
        form.csrf(),
        urlencode("Kimi")
    );
    let saved = kid.post("/account/profile", &body);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/account/profile?done=profile_set")
    );
    let summary = kid.get("/account");
    assert!(
        summary.body.contains(r#"<html lang="ja">"#),
        "{}",
        summary.body
    );
    assert!(
        summary.body.contains("明細"),
        "the ja menu: {}",
        summary.body
    );
    assert!(summary.body.contains("Kimi"));
    // An explicit ?lang= still wins, and the holder's pages stay in the account's language.
    let en = kid.get("/account?lang=en");
    assert!(en.body.contains(r#"<html lang="en">"#));
    let mut parent = pages(&server, "parent@example.com");
    assert!(parent.get("/account").body.contains(r#"<html lang="en">"#));

    let server = server.restart();
    let session = server.sign_in("kid@example.com", "absolute");
    let theirs = me(&server, &session);
    assert_eq!(theirs["language"], "ja");
    assert_eq!(theirs["login"]["name"], "Kimi");
    let mut kid = pages(&server, "kid@example.com");
    assert!(kid.get("/account").body.contains(r#"<html lang="ja">"#));
}
