//! A real node on 127.0.0.1:0 with a manual clock and a fresh data directory, and a small
//! blocking HTTP client to drive it the way a vendor, a member or an admin would.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub mod office;
pub mod smtp;

use std::sync::Arc;

use farthing::clock::ManualClock;
use farthing::config::Config;
use farthing::domain::time::Timestamp;
use farthing::node::{self, Node, Storage};
use farthing::payments::TestProcessor;
use farthing::storage::fjall_store::{Durability, SyncData};
use farthing::storage::memory::MemoryStore;
use serde_json::{Value, json};

pub const TEST_CONFIG: &str = include_str!("../../config/test.toml");

/// 2026-03-10T00:00:00Z, a Tuesday.
pub const START_MS: i64 = 1_773_100_800_000;

pub struct TestServer {
    pub node: Option<Node>,
    pub base: String,
    pub admin_key: String,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let env = [(
        "FARTHING_SERVER__DATA_DIR".to_owned(),
        dir.display().to_string(),
    )];
    Config::from_toml(TEST_CONFIG, env).unwrap()
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {}, Box::new(SyncData))
    }

    pub fn start_with(
        adjust: impl FnOnce(&mut Config),
        durability: Box<dyn Durability>,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        adjust(&mut config);
        TestServer::start_in(
            dir,
            config,
            durability,
            ManualClock::at(Timestamp(START_MS)),
        )
    }

    pub fn start_in(
        dir: tempfile::TempDir,
        config: Config,
        durability: Box<dyn Durability>,
        clock: ManualClock,
    ) -> TestServer {
        TestServer::start_on(dir, config, Storage::Fjall(durability), clock)
    }

    /// A server on an in-memory store: `crash_restart` then starts a new node on what the
    /// store held at that instant.
    pub fn start_memory(store: Arc<MemoryStore>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(dir.path());
        TestServer::start_on(
            dir,
            config,
            Storage::Memory(store),
            ManualClock::at(Timestamp(START_MS)),
        )
    }

    /// A server on an in-memory store that charges payment methods through `payments`, which
    /// the test keeps (to count charges, and to hand to the node after a crash).
    pub fn start_memory_paying(store: Arc<MemoryStore>, payments: TestProcessor) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(dir.path());
        TestServer::start_on_paying(
            dir,
            config,
            Storage::Memory(store),
            ManualClock::at(Timestamp(START_MS)),
            payments,
        )
    }

    pub fn start_on(
        dir: tempfile::TempDir,
        config: Config,
        storage: Storage,
        clock: ManualClock,
    ) -> TestServer {
        TestServer::start_on_paying(dir, config, storage, clock, TestProcessor::default())
    }

    pub fn start_on_paying(
        dir: tempfile::TempDir,
        config: Config,
        storage: Storage,
        clock: ManualClock,
        payments: TestProcessor,
    ) -> TestServer {
        let admin_path = config.admin_key_path();
        let node = node::start_paying(config, Arc::new(clock.clone()), storage, Arc::new(payments))
            .unwrap();
        let base = format!("http://{}", node.address);
        let admin_key = std::fs::read_to_string(admin_path)
            .unwrap()
            .trim()
            .to_owned();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        TestServer {
            node: Some(node),
            base,
            admin_key,
            clock,
            dir,
            agent,
        }
    }

    /// Stops the node and starts a new one on the same data directory (a clean restart).
    pub fn restart(mut self) -> TestServer {
        if let Some(node) = self.node.take() {
            node.shutdown().unwrap();
        }
        let config = test_config(self.dir.path());
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        TestServer::start_in(dir, config, Box::new(SyncData), self.clock.clone())
    }

    /// Simulates a crash of a server on an in-memory store: a new node starts on a copy of
    /// what `store` holds at this instant (so nothing the old node does afterwards counts),
    /// and the old node is stopped. Keys and the boot epoch stay in the same directory.
    pub fn crash_restart(self, store: &Arc<MemoryStore>) -> (TestServer, Arc<MemoryStore>) {
        self.crash_restart_paying(store, TestProcessor::default())
    }

    /// `crash_restart` with the payment processor the new node charges through (the same one
    /// as before the crash, as a real processor outlives the server).
    pub fn crash_restart_paying(
        mut self,
        store: &Arc<MemoryStore>,
        payments: TestProcessor,
    ) -> (TestServer, Arc<MemoryStore>) {
        let survivor = store.reopen();
        if let Some(node) = self.node.take() {
            let _ = node.shutdown();
        }
        let config = test_config(self.dir.path());
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let server = TestServer::start_on_paying(
            dir,
            config,
            Storage::Memory(survivor.clone()),
            self.clock.clone(),
            payments,
        );
        (server, survivor)
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = bearer {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        let response = match body {
            Some(body) => {
                let request = builder
                    .header("Content-Type", "application/json")
                    .body(body.to_owned())
                    .unwrap();
                self.agent.run(request)
            }
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let (status, headers, text) = read_answer(response.unwrap());
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            headers,
        }
    }

    /// A POST with an `Idempotency-Key` when `key` is given.
    pub fn post_keyed(&self, path: &str, bearer: &str, body: &Value, key: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = key
            .map(|key| ("Idempotency-Key", key))
            .into_iter()
            .collect();
        self.request(
            "POST",
            path,
            Some(bearer),
            Some(&body.to_string()),
            &headers,
        )
    }

    pub fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
        self.request("POST", path, bearer, Some(&body.to_string()), &[])
    }

    pub fn put(&self, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
        self.request("PUT", path, bearer, Some(&body.to_string()), &[])
    }

    pub fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.request("GET", path, bearer, None, &[])
    }

    pub fn vendor(&self, domain: &str) -> Vendor {
        let reply = self.post(
            "/admin/v1/vendors",
            Some(&self.admin_key),
            &json!({"name": "Daily News", "currency": "USD", "content_domains": [domain], "fee_ppm": 50000}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        Vendor {
            id: reply.body["vendor_id"].as_str().unwrap().to_owned(),
            key: reply.body["api_key"].as_str().unwrap().to_owned(),
            domain: domain.to_owned(),
        }
    }

    /// Registers, funds with `deposit` and signs in (absolute expiry).
    pub fn member(&self, email: &str, time_zone: &str, deposit: &str) -> Member {
        let reply = self.post(
            "/v1/members",
            None,
            &json!({"email": email, "password": "correct horse battery", "language": "en", "currency": "USD", "time_zone": time_zone}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        let id = reply.body["member_id"].as_str().unwrap().to_owned();
        if deposit != "0" {
            let reply = self.post(
                &format!("/admin/v1/members/{id}/deposits"),
                Some(&self.admin_key),
                &json!({"amount": deposit, "currency": "USD", "reference": format!("initial-{email}")}),
            );
            assert_eq!(reply.status, 201, "{:?}", reply.body);
        }
        let session = self.sign_in(email, "absolute");
        Member {
            id,
            email: email.to_owned(),
            session,
        }
    }

    /// Adds a sub-member to `holder`'s account and signs them in; answers them (the account's
    /// id, their own session) and their login id.
    pub fn sub_member(&self, holder: &Member, name: &str, email: &str) -> (Member, String) {
        let reply = self.post(
            "/v1/members/me/logins",
            Some(&holder.session),
            &json!({"name": name, "email": email, "password": "correct horse battery"}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        let login = reply.body["login_id"].as_str().unwrap().to_owned();
        let session = self.sign_in(email, "absolute");
        let member = Member {
            id: holder.id.clone(),
            email: email.to_owned(),
            session,
        };
        (member, login)
    }

    pub fn sign_in(&self, email: &str, expiry: &str) -> String {
        let reply = self.post(
            "/v1/sessions",
            None,
            &json!({"email": email, "password": "correct horse battery", "expiry": expiry}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["session_token"].as_str().unwrap().to_owned()
    }

    pub fn buyer_token(&self, session: &str, vendor: &Vendor) -> String {
        let reply = self.post(
            "/v1/buyer-tokens",
            Some(session),
            &json!({"vendor_id": vendor.id}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["buyer_token"].as_str().unwrap().to_owned()
    }

    pub fn authorize(&self, vendor: &Vendor, buyer_token: &str, price: &str, path: &str) -> Reply {
        self.post(
            "/v1/authorize",
            Some(&vendor.key),
            &json!({"buyer_token": buyer_token, "price": price, "currency": "USD",
                    "content_url": format!("https://{}{}", vendor.domain, path), "title": "An article"}),
        )
    }

    pub fn balance(&self, member: &Member) -> String {
        let reply = self.get(
            &format!("/admin/v1/members/{}", member.id),
            Some(&self.admin_key),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply.body["wallets"][0]["paid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The member's wallet in `currency`, as `GET /v1/members/me` shows it.
    pub fn wallet(&self, session: &str, currency: &str) -> Option<Value> {
        let me = self.get("/v1/members/me", Some(session));
        assert_eq!(me.status, 200, "{:?}", me.body);
        me.body["wallets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|wallet| wallet["currency"] == currency)
            .cloned()
    }

    /// Polls totals until conserved (vendor aggregation trails the debit by a moment).
    pub fn totals_conserved(&self) -> Value {
        for _ in 0..100 {
            let reply = self.get("/admin/v1/totals", Some(&self.admin_key));
            assert_eq!(reply.status, 200);
            if reply.body["conserved"] == json!(true) {
                return reply.body;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "money not conserved: {:?}",
            self.get("/admin/v1/totals", Some(&self.admin_key)).body
        );
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            let _ = node.shutdown();
        }
    }
}

pub struct Vendor {
    pub id: String,
    pub key: String,
    pub domain: String,
}

pub struct Member {
    pub id: String,
    pub email: String,
    pub session: String,
}

/// A vendor named `name` selling in USD on `domain`, at a 5% fee, created with the admin key.
pub fn vendor_named(server: &TestServer, name: &str, domain: &str) -> Vendor {
    let reply = server.post(
        "/admin/v1/vendors",
        Some(&server.admin_key),
        &json!({"name": name, "currency": "USD", "content_domains": [domain], "fee_ppm": 50000}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    Vendor {
        id: reply.body["vendor_id"].as_str().unwrap().to_owned(),
        key: reply.body["api_key"].as_str().unwrap().to_owned(),
        domain: domain.to_owned(),
    }
}

/// `member` buys `path` from `vendor` at `price`; answers the authorization's id.
pub fn buy(
    server: &TestServer,
    vendor: &Vendor,
    member: &Member,
    price: &str,
    path: &str,
) -> String {
    let buyer = server.buyer_token(&member.session, vendor);
    let bought = server.authorize(vendor, &buyer, price, path);
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    bought.body["authorization_id"].as_str().unwrap().to_owned()
}

/// Reads `path` with `bearer` until `ready` holds (vendors fold sales and disputes from the
/// journal a moment after they are durable), at most five seconds.
pub fn read_until(
    server: &TestServer,
    path: &str,
    bearer: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let reply = server.get(path, Some(bearer));
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
        if ready(&reply.body) {
            return reply.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never got ready: {:?}",
            reply.body
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The purchases counted in a vendor summary, over every currency.
pub fn sales_of(summary: &Value) -> u64 {
    summary["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["sales"].as_u64().unwrap())
        .sum()
}

/// An answer's status, headers (every one kept, `Set-Cookie` included) and body as text.
pub fn read_answer(
    mut response: ureq::http::Response<ureq::Body>,
) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap();
    (status, headers, text)
}
