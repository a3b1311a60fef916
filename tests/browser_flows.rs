//! Flow B in a real browser: a member registers, logs in, buys articles at the demo vendor
//! (`news-vendor`), reads them, buys again without charge, and the content stays locked for
//! anyone else. Each test starts its own farthing node (manual clock, `config/test.toml`),
//! registers and starts the demo vendor in-process, and drives headless Chromium through
//! `browser_support`. Element ids are those of the issue 3 contract.
//!
//! Pending: this file is `browser_flows.rs.pending` until the buy window and the
//! `news-vendor` crate are on main; then rename it to `browser_flows.rs` and add
//! `news-vendor = { path = "examples/news-vendor" }` to the root `[dev-dependencies]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser_support;
mod common;

use browser_support::{Browser, BrowserOptions, run};
use common::{Member, TestServer};
use news_vendor::{NewsConfig, NewsVendor};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
/// Redirect offer (`is_post: false`) of the demo vendor; the others are form-post offers.
const REDIRECT_SLUG: &str = "markets";
const VENDOR_NAME: &str = "Daily News";

// ---------------------------------------------------------------------------------------------
// Set-up

/// Registers the demo vendor with the node (content domains 127.0.0.1 and localhost) and
/// returns its API key. Blocking: call before `run`.
fn register_news_vendor(server: &TestServer) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime to register the demo vendor");
    runtime
        .block_on(news_vendor::register_vendor(
            &server.base,
            &server.admin_key,
            VENDOR_NAME,
            &["127.0.0.1", "localhost"],
        ))
        .unwrap_or_else(|error| panic!("registering the demo vendor: {error:?}"))
}

/// The node, the demo vendor and the URLs a test needs.
struct Demo<'a> {
    server: &'a TestServer,
    news: NewsVendor,
    /// The vendor's origin, without a trailing slash.
    vendor: String,
}

impl<'a> Demo<'a> {
    /// Starts the demo vendor on the current runtime.
    fn start(server: &'a TestServer, api_key: String) -> Demo<'a> {
        let news = news_vendor::start(NewsConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            farthing_url: server.base.clone(),
            api_key,
            public_url: None,
        })
        .unwrap_or_else(|error| panic!("starting the demo vendor: {error}"));
        let vendor = news.base_url().trim_end_matches('/').to_owned();
        Demo {
            server,
            news,
            vendor,
        }
    }

    async fn stop(self) {
        self.news.shutdown().await;
    }

    fn home(&self) -> String {
        format!("{}/", self.vendor)
    }

    fn article_url(&self, slug: &str) -> String {
        format!("{}/articles/{slug}", self.vendor)
    }

    /// Every buy window URL starts with this.
    fn buy_window_prefix(&self) -> String {
        format!("{}/buy/ofr_", self.server.base)
    }

    /// The slugs of the form-post articles on the vendor's home page (all but `markets`).
    async fn form_post_slugs(&self, browser: &Browser) -> Vec<String> {
        browser.goto(&self.home()).await;
        browser.wait_for("li.article").await;
        let links = browser
            .client()
            .find_all(fantoccini::Locator::Css("li.article a[id^='buy-']"))
            .await
            .unwrap();
        let mut slugs = Vec::new();
        for link in links {
            let id = link.attr("id").await.unwrap().unwrap_or_default();
            let slug = id.trim_start_matches("buy-").to_owned();
            if slug != REDIRECT_SLUG {
                slugs.push(slug);
            }
        }
        assert!(
            slugs.len() >= 2,
            "the demo vendor lists at least two form-post articles besides {REDIRECT_SLUG}: {slugs:?}"
        );
        slugs
    }

    /// From the vendor's home page, follows `a#buy-{slug}` to farthing's buy window.
    /// Returns the buy window's URL.
    async fn open_buy_window(&self, browser: &Browser, slug: &str) -> String {
        browser.goto(&self.home()).await;
        browser.click(&format!("a#buy-{slug}")).await;
        browser.wait_for_url(&self.buy_window_prefix()).await
    }

    /// Fills the buy window's login form and waits for the signed-in buy window.
    async fn log_in(&self, browser: &Browser, email: &str, login: Login) {
        browser.wait_for("form#login").await;
        browser.fill("input#email", email).await;
        browser.fill("input#password", PASSWORD).await;
        match login {
            Login::PublicComputer => browser.set_checked("input#public_computer", true).await,
            Login::Session(expiry) => {
                browser.set_checked("input#public_computer", false).await;
                let radio = match expiry {
                    Expiry::Absolute => "input#expiry-absolute",
                    Expiry::Idle => "input#expiry-idle",
                };
                browser.set_checked(radio, true).await;
            }
        }
        browser.click("button#sign-in").await;
        browser.wait_for("form#buy").await;
        assert!(!browser.exists("form#login").await);
    }

    /// Clicks Buy in a signed-in buy window and waits until the article is shown.
    async fn buy_and_read(&self, browser: &Browser, slug: &str) {
        browser.click("button#buy").await;
        browser.wait_for("article#article").await;
        assert_eq!(browser.current_url().await, self.article_url(slug));
        assert!(!browser.exists("#paywall").await);
    }

    /// The names of the cookies the browser keeps for farthing.
    async fn farthing_cookies(&self, browser: &Browser) -> Vec<String> {
        browser.goto(&format!("{}/healthz", self.server.base)).await;
        browser.cookie_names().await
    }
}

#[derive(Clone, Copy)]
enum Expiry {
    Absolute,
    Idle,
}

#[derive(Clone, Copy)]
enum Login {
    /// "This is a public computer" checked (the default): no session cookie.
    PublicComputer,
    /// Unchecked: a session cookie that ends by absolute or idle time.
    Session(Expiry),
}

/// Registers a member through the API, funds it with an admin deposit of `deposit` USD.
fn funded_member(server: &TestServer, email: &str, deposit: &str) -> Member {
    server.member(email, "UTC", deposit)
}

/// A member who registered in the browser: its id (read through the API) and a deposit.
fn fund_registered(server: &TestServer, email: &str, deposit: &str) -> Member {
    let session = server.sign_in(email, "absolute");
    let me = server.get("/v1/members/me", Some(&session));
    assert_eq!(me.status, 200, "{:?}", me.body);
    let id = me.body["member_id"].as_str().unwrap().to_owned();
    let reply = server.post(
        &format!("/admin/v1/members/{id}/deposits"),
        Some(&server.admin_key),
        &json!({"amount": deposit, "currency": "USD", "reference": format!("browser-{email}")}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    Member {
        id,
        email: email.to_owned(),
        session,
    }
}

/// A decimal amount ("1.50", "-0.01", "$0.25" — anything but digits, '.' and '-' is
/// ignored) in micro-units.
fn micros(text: &str) -> i64 {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    let (negative, digits) = match kept.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, kept),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    assert!(fraction.len() <= 6, "more than 6 decimals in {text:?}");
    let fraction = format!("{fraction:0<6}");
    let value = whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap();
    if negative { -value } else { value }
}

fn balance(server: &TestServer, member: &Member) -> i64 {
    micros(&server.balance(member))
}

fn has_japanese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

// ---------------------------------------------------------------------------------------------
// Flows

#[test]
fn register_log_in_buy_read_and_buy_again_without_charge() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slug = demo.form_post_slugs(&browser).await.remove(0);
        assert!(browser.exists(&format!("a#read-{slug}")).await);

        // Signed out: the login form, "public computer" checked by default, register, cancel.
        demo.open_buy_window(&browser, &slug).await;
        browser.wait_for("form#login").await;
        assert!(browser.is_checked("input#public_computer").await);
        assert!(browser.exists("a#cancel").await);
        assert!(!browser.exists("form#buy").await);

        // Register through the buy window's link; back at the buy window, signed out.
        let email = "reader@example.com";
        browser.click("a#register").await;
        browser.wait_for("form#register").await;
        browser.fill("input#email", email).await;
        browser.fill("input#password", PASSWORD).await;
        browser.fill("input#question_1", "First pet?").await;
        browser.fill("input#answer_1", "Rex").await;
        browser.fill("input#question_2", "First street?").await;
        browser.fill("input#answer_2", "Elm Street").await;
        browser.select("select#language", "en").await;
        browser.select("select#currency", "USD").await;
        browser.click("button#create").await;
        browser.wait_for("form#login").await;
        browser.wait_for_url(&demo.buy_window_prefix()).await;
        let member = fund_registered(&server, email, "2.00");

        // Log in with a session cookie: the signed-in buy window.
        demo.log_in(&browser, email, Login::Session(Expiry::Absolute))
            .await;
        assert!(browser.text("#vendor-name").await.contains(VENDOR_NAME));
        assert!(!browser.text("h1#title").await.trim().is_empty());
        assert!(browser.exists("#description").await);
        let price = micros(&browser.text("#price").await);
        assert!(price > 0);
        assert!(!browser.exists("#owned").await);
        // The demo's offers accept incentives: the button asks for a code; nothing is held.
        assert!(browser.exists("button#incentive").await);
        assert!(!browser.exists("dd#incentive-balance").await, "no grants");
        let shot = browser.screenshot("buy-window").await;
        assert!(std::fs::metadata(&shot).unwrap().len() > 1000);

        // Buy: the article is shown and the price charged, once.
        let before = balance(&server, &member);
        demo.buy_and_read(&browser, &slug).await;
        assert!(!browser.text("article#article").await.trim().is_empty());
        let shot = browser.screenshot("article").await;
        assert!(std::fs::metadata(&shot).unwrap().len() > 1000);
        assert_eq!(balance(&server, &member), before - price);
        assert!(
            demo.farthing_cookies(&browser)
                .await
                .contains(&"farthing_session".to_owned())
        );

        // Buy it again: owned, no charge, the article again.
        demo.open_buy_window(&browser, &slug).await;
        browser.wait_for("#owned").await;
        assert!(browser.exists("button#buy").await);
        demo.buy_and_read(&browser, &slug).await;
        assert_eq!(balance(&server, &member), before - price);
        server.totals_conserved();

        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn redirect_offer_lands_on_the_article_without_the_token() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "redirect@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        demo.open_buy_window(&browser, REDIRECT_SLUG).await;
        demo.log_in(&browser, &member.email, Login::PublicComputer)
            .await;
        let price = micros(&browser.text("#price").await);
        demo.buy_and_read(&browser, REDIRECT_SLUG).await;
        assert!(!browser.current_url().await.contains("access_token"));
        assert_eq!(balance(&server, &member), 5_000_000 - price);
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn a_copied_url_is_refused_in_another_browser_profile() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "copier@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        // Without JavaScript the delivery form waits for a click, so the test can read the
        // access token a person could copy out of it.
        let buyer = Browser::with_options(BrowserOptions {
            javascript: false,
            ..BrowserOptions::default()
        })
        .await;
        let other = Browser::new().await;
        let slug = demo.form_post_slugs(&buyer).await.remove(0);
        demo.open_buy_window(&buyer, &slug).await;
        demo.log_in(&buyer, &member.email, Login::PublicComputer)
            .await;
        buyer.click("button#buy").await;
        buyer.wait_for("form#deliver").await;
        assert_eq!(
            buyer
                .attr("form#deliver", "method")
                .await
                .unwrap()
                .to_lowercase(),
            "post"
        );
        let action = buyer.attr("form#deliver", "action").await.unwrap();
        assert_eq!(action, demo.article_url(&slug));
        let token = buyer.value("form#deliver input[name='access_token']").await;
        assert!(!token.is_empty());
        buyer.click("button#continue").await;
        buyer.wait_for("article#article").await;
        let address_bar = buyer.current_url().await;
        assert_eq!(address_bar, demo.article_url(&slug));

        // The address bar copied to another profile: no reader session there, the paywall.
        other.goto(&address_bar).await;
        other.wait_for("#paywall").await;
        assert!(!other.exists("article#article").await);
        let buy_link = other.attr("#paywall a#buy", "href").await.unwrap();
        assert!(buy_link.ends_with(&format!("/buy/{slug}")), "{buy_link}");

        // The access token copied too: it granted one check already, so it is refused.
        let with_token = format!(
            "{action}?access_token={}",
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        );
        other.goto(&with_token).await;
        other.wait_for("#paywall").await;
        assert!(other.exists("#refused").await);
        assert!(!other.exists("article#article").await);

        // "Buy it yourself" leads to farthing's buy window.
        other.click("#paywall a#buy").await;
        other.wait_for_url(&demo.buy_window_prefix()).await;
        other.wait_for("form#login").await;

        buyer.close().await;
        other.close().await;
        demo.stop().await;
    });
}

#[test]
fn public_computer_asks_for_the_password_on_the_next_buy() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "library@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slugs = demo.form_post_slugs(&browser).await;
        demo.open_buy_window(&browser, &slugs[0]).await;
        assert!(browser.is_checked("input#public_computer").await);
        demo.log_in(&browser, &member.email, Login::PublicComputer)
            .await;
        demo.buy_and_read(&browser, &slugs[0]).await;
        assert!(
            !demo
                .farthing_cookies(&browser)
                .await
                .contains(&"farthing_session".to_owned()),
            "no session cookie on a public computer"
        );

        // The next purchase asks for the password again.
        demo.open_buy_window(&browser, &slugs[1]).await;
        browser.wait_for("form#login").await;
        assert!(!browser.exists("form#buy").await);
        demo.log_in(&browser, &member.email, Login::PublicComputer)
            .await;
        demo.buy_and_read(&browser, &slugs[1]).await;
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn an_idle_session_asks_to_log_in_again() {
    let server = TestServer::start();
    let tokens = &server.node.as_ref().unwrap().app.config.tokens;
    let idle_ms = tokens.session_idle_ttl_ms;
    assert!(
        idle_ms * 2 < tokens.session_absolute_ttl_ms,
        "the test needs idle expiry well before absolute expiry"
    );
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "idle@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        let idle = Browser::new().await;
        let absolute = Browser::new().await;
        let slugs = demo.form_post_slugs(&idle).await;

        demo.open_buy_window(&idle, &slugs[0]).await;
        demo.log_in(&idle, &member.email, Login::Session(Expiry::Idle))
            .await;
        demo.buy_and_read(&idle, &slugs[0]).await;
        demo.open_buy_window(&absolute, &slugs[0]).await;
        demo.log_in(&absolute, &member.email, Login::Session(Expiry::Absolute))
            .await;

        // Half the idle time later: still signed in; a purchase starts the idle time anew.
        server.clock.advance_ms(idle_ms / 2);
        demo.open_buy_window(&idle, &slugs[1]).await;
        idle.wait_for("form#buy").await;
        assert!(!idle.exists("form#login").await);
        demo.buy_and_read(&idle, &slugs[1]).await;

        // Idle for longer than the idle time: log in again. The absolute session lives on.
        server.clock.advance_ms(idle_ms + 1);
        demo.open_buy_window(&idle, &slugs[0]).await;
        idle.wait_for("form#login").await;
        assert!(!idle.exists("form#buy").await);
        demo.open_buy_window(&absolute, &slugs[0]).await;
        absolute.wait_for("form#buy").await;

        demo.log_in(&idle, &member.email, Login::Session(Expiry::Idle))
            .await;
        idle.close().await;
        absolute.close().await;
        demo.stop().await;
    });
}

#[test]
fn insufficient_funds_offers_an_automatic_top_off() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    // Less than any article costs, with the test card saved for top-offs.
    let member = funded_member(&server, "short@example.com", "0.01");
    let saved = server.post(
        "/v1/members/me/payment-methods",
        Some(&member.session),
        &serde_json::json!({"kind": "card", "number": "4242 4242 4242 4242",
                            "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    );
    assert_eq!(saved.status, 201, "{:?}", saved.body);
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slug = demo.form_post_slugs(&browser).await.remove(0);
        demo.open_buy_window(&browser, &slug).await;
        demo.log_in(&browser, &member.email, Login::Session(Expiry::Absolute))
            .await;
        let price = micros(&browser.text("#price").await);
        assert!(price > 10_000, "the article costs more than the balance");
        browser.click("button#buy").await;
        browser.wait_for("#insufficient-funds").await;
        assert!(browser.exists("form#top-off").await);
        assert!(browser.exists("a#add-funds").await);
        assert!(browser.exists("a#cancel").await);
        assert_eq!(balance(&server, &member), 10_000, "nothing charged yet");
        browser.screenshot("insufficient-funds").await;

        // Top-off from the saved (test) payment method covers the shortage plus the
        // configured amount, then the purchase goes through.
        browser.click("button#top-off").await;
        browser.wait_for("article#article").await;
        assert_eq!(browser.current_url().await, demo.article_url(&slug));
        // config/test.toml tops off the shortage plus 5.00: 0.01 + shortage + 5.00 - price.
        assert_eq!(balance(&server, &member), 5_000_000);
        server.totals_conserved();
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn add_funds_with_a_declined_card_then_an_approved_one() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "cards@example.com", "0.01");
    let save = |number: &str| {
        let saved = server.post(
            "/v1/members/me/payment-methods",
            Some(&member.session),
            &serde_json::json!({"kind": "card", "number": number,
                                "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
        );
        assert_eq!(saved.status, 201, "{:?}", saved.body);
        saved.body["payment_method_id"].as_str().unwrap().to_owned()
    };
    // The declining card is saved first (a millisecond earlier on the test clock), so it is
    // the one preselected.
    let declining = save("4000000000000002");
    server.clock.advance_ms(1);
    let approving = save("4242424242424242");
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slug = demo.form_post_slugs(&browser).await.remove(0);
        demo.open_buy_window(&browser, &slug).await;
        demo.log_in(&browser, &member.email, Login::Session(Expiry::Absolute))
            .await;
        browser.click("button#buy").await;
        browser.wait_for("#insufficient-funds").await;
        browser.click("a#add-funds").await;
        browser.wait_for("form#funds").await;
        let declining_radio = format!("input[name=payment_method_id][value={declining}]");
        let approving_radio = format!("input[name=payment_method_id][value={approving}]");
        assert!(browser.is_checked(&declining_radio).await);
        browser.fill("input#amount", "3.00").await;
        browser.click("button#add").await;
        browser.wait_for("p#funds-error").await;
        assert_eq!(
            browser
                .attr("p#funds-error", "data-decline-code")
                .await
                .as_deref(),
            Some("card_declined")
        );
        assert_eq!(
            balance(&server, &member),
            10_000,
            "a decline credits nothing"
        );
        browser.screenshot("add-funds-declined").await;

        // The member picks the other card: charged, credited, back to the buy window.
        browser.set_checked(&approving_radio, true).await;
        browser.fill("input#amount", "3.00").await;
        browser.click("button#add").await;
        browser.wait_for("button#buy").await;
        assert_eq!(balance(&server, &member), 3_010_000);
        browser.click("button#buy").await;
        browser.wait_for("article#article").await;
        assert_eq!(browser.current_url().await, demo.article_url(&slug));
        server.totals_conserved();
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn redeem_a_code_and_buy_with_the_incentive_button() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "coupon@example.com", "0.01");
    let program = server.post(
        "/admin/v1/incentive-programs",
        Some(&server.admin_key),
        &json!({"code": "READMORE", "amount": "1.00", "currency": "USD", "budget": "10.00",
                "scope": "msp"}),
    );
    assert_eq!(program.status, 201, "{:?}", program.body);
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slug = demo.form_post_slugs(&browser).await.remove(0);
        demo.open_buy_window(&browser, &slug).await;
        demo.log_in(&browser, &member.email, Login::Session(Expiry::Absolute))
            .await;
        // The balance (0.01) cannot pay; the Incentive button asks for a code.
        browser.click("button#incentive").await;
        browser.wait_for("form#redeem").await;
        browser.fill("input#code", "NOT-A-CODE").await;
        browser.click("button#redeem").await;
        browser.wait_for("p#redeem-error").await;
        browser.fill("input#code", "readmore").await;
        browser.click("button#redeem").await;
        browser.wait_for("dd#incentive-balance").await;
        browser.screenshot("incentive-redeemed").await;
        browser.click("button#buy").await;
        browser.wait_for("article#article").await;
        assert_eq!(browser.current_url().await, demo.article_url(&slug));
        assert_eq!(
            balance(&server, &member),
            10_000,
            "the incentive paid it all"
        );
        let me = server.get("/v1/members/me", Some(&member.session));
        let left = micros(me.body["wallets"][0]["incentive"].as_str().unwrap());
        assert!(
            (0..1_000_000).contains(&left),
            "the price came out of the incentive: {left}"
        );
        server.totals_conserved();
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn cancel_returns_to_the_vendors_home_page() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "cancel@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slug = demo.form_post_slugs(&browser).await.remove(0);

        // Signed out.
        demo.open_buy_window(&browser, &slug).await;
        browser.click("a#cancel").await;
        browser.wait_for_url(&demo.home()).await;
        assert_eq!(browser.current_url().await, demo.home());
        browser.wait_for("li.article").await;

        // Signed in: nothing is charged.
        demo.open_buy_window(&browser, &slug).await;
        demo.log_in(&browser, &member.email, Login::Session(Expiry::Absolute))
            .await;
        browser.click("a#cancel").await;
        browser.wait_for_url(&demo.home()).await;
        assert_eq!(browser.current_url().await, demo.home());
        browser.wait_for("li.article").await;
        assert_eq!(balance(&server, &member), 5_000_000);
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn the_buy_window_speaks_japanese() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let reply = server.post(
        "/v1/members",
        None,
        &json!({"email": "hanako@example.com", "password": PASSWORD, "language": "ja",
                "currency": "USD", "time_zone": "Asia/Tokyo"}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    run(async {
        let demo = Demo::start(&server, api_key);
        let slug = {
            let browser = Browser::new().await;
            let slug = demo.form_post_slugs(&browser).await.remove(0);

            // `?lang=` chooses the page's language.
            let url = demo.open_buy_window(&browser, &slug).await;
            let separator = if url.contains('?') { '&' } else { '?' };
            browser.goto(&format!("{url}{separator}lang=pt-BR")).await;
            assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("pt-BR"));
            browser.goto(&format!("{url}{separator}lang=ja")).await;
            assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("ja"));
            assert!(has_japanese(&browser.text("body").await));

            // A signed-in member who chose Japanese gets Japanese in an English browser.
            demo.open_buy_window(&browser, &slug).await;
            demo.log_in(&browser, "hanako@example.com", Login::PublicComputer)
                .await;
            assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("ja"));
            assert!(has_japanese(&browser.text("body").await));
            browser.close().await;
            slug
        };

        // A browser asking for Japanese (Accept-Language) gets the login form in Japanese.
        let browser = Browser::with_lang("ja").await;
        demo.open_buy_window(&browser, &slug).await;
        browser.wait_for("form#login").await;
        assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("ja"));
        let text = browser.text("body").await;
        assert!(has_japanese(&text), "{text}");
        browser.screenshot("buy-window-ja").await;
        browser.close().await;
        demo.stop().await;
    });
}

#[test]
fn used_and_expired_offers_show_error_pages() {
    let server = TestServer::start();
    let api_key = register_news_vendor(&server);
    let member = funded_member(&server, "errors@example.com", "5.00");
    run(async {
        let demo = Demo::start(&server, api_key);
        let browser = Browser::new().await;
        let slugs = demo.form_post_slugs(&browser).await;

        // A used offer: the buy window URL again after the purchase.
        let used = demo.open_buy_window(&browser, &slugs[0]).await;
        demo.log_in(&browser, &member.email, Login::Session(Expiry::Absolute))
            .await;
        demo.buy_and_read(&browser, &slugs[0]).await;
        let before = balance(&server, &member);
        browser.goto(&used).await;
        if browser.exists("form#buy").await {
            browser.click("button#buy").await;
        }
        browser.wait_for("main#error").await;
        assert_eq!(
            browser.attr("main#error", "data-code").await.as_deref(),
            Some("offer_used")
        );
        assert_eq!(balance(&server, &member), before);

        // An expired offer: config/test.toml keeps offers for 30 minutes, and expired ones for
        // 10 more before they are pruned.
        let fresh = Browser::new().await;
        let expiring = demo.open_buy_window(&fresh, &slugs[1]).await;
        fresh.wait_for("form#login").await;
        server.clock.advance_ms(30 * 60_000);
        fresh.goto(&expiring).await;
        fresh.wait_for("main#error").await;
        assert_eq!(
            fresh.attr("main#error", "data-code").await.as_deref(),
            Some("offer_expired")
        );
        let text = fresh.text("main#error").await;
        assert!(
            !text.contains("panicked") && !text.contains("src/"),
            "{text}"
        );
        browser.close().await;
        fresh.close().await;
        demo.stop().await;
    });
}
