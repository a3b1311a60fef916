//! The news vendor against a fake farthing: offers, access checks, reader sessions, pages.
//!
//! The fake is a tiny hyper server in the test that records what it received. The vendor runs
//! on a tokio runtime owned by the test; the blocking `ureq` client (redirects off, cookies
//! handled by hand) runs on the test thread, outside the runtime.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use news_vendor::{NewsConfig, NewsVendor, register_vendor, start};
use serde_json::{Value, json};

/// The API key the vendor is given and the fake expects.
const API_KEY: &str = "vk_test_key";
/// The admin key the fake expects for vendor registration.
const ADMIN_KEY: &str = "ak_test_admin";
/// The one token the fake grants, once.
const GOOD_TOKEN: &str = "tok+good/1";
/// The fake's buy URL for every offer.
const BUY_URL: &str = "http://farthing.test/buy/ofr_0123456789abcdef";

/// One request the fake received.
#[derive(Debug, Clone)]
struct Received {
    /// The `Authorization` header.
    authorization: Option<String>,
    /// The JSON body.
    body: Value,
}

/// A fake farthing: records calls, answers as the contract says.
#[derive(Default)]
struct Fake {
    offers: Mutex<Vec<Received>>,
    access: Mutex<Vec<Received>>,
    vendors: Mutex<Vec<Received>>,
    good_token_used: AtomicBool,
    fail_offers: AtomicBool,
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

fn problem(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        &json!({"type": "about:blank", "code": code, "status": status.as_u16(), "detail": code}),
    )
}

async fn fake_handle(
    fake: Arc<Fake>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let authorization = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = request.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let received = Received {
        authorization: authorization.clone(),
        body: body.clone(),
    };
    let vendor_ok = authorization.as_deref() == Some(&format!("Bearer {API_KEY}"));
    let response = match path.as_str() {
        "/v1/offers" => {
            fake.offers.lock().unwrap().push(received);
            if !vendor_ok {
                problem(StatusCode::UNAUTHORIZED, "unauthenticated")
            } else if fake.fail_offers.load(Ordering::SeqCst) {
                problem(StatusCode::BAD_REQUEST, "content_domain_unknown")
            } else {
                json_response(
                    StatusCode::CREATED,
                    &json!({
                        "offer_id": "ofr_0123456789abcdef",
                        "buy_url": BUY_URL,
                        "expires_at": "2030-01-01T00:00:00Z",
                    }),
                )
            }
        }
        "/v1/access" => {
            fake.access.lock().unwrap().push(received);
            let good = body["access_token"] == GOOD_TOKEN;
            if vendor_ok && good && !fake.good_token_used.swap(true, Ordering::SeqCst) {
                json_response(
                    StatusCode::OK,
                    &json!({"granted": true, "views_left": null, "expires_at": null, "member_ref": "m1"}),
                )
            } else {
                problem(StatusCode::FORBIDDEN, "access_token_used")
            }
        }
        "/admin/v1/vendors" => {
            fake.vendors.lock().unwrap().push(received);
            if authorization.as_deref() == Some(&format!("Bearer {ADMIN_KEY}")) {
                json_response(
                    StatusCode::CREATED,
                    &json!({"vendor_id": "ven_1", "api_key": "vk_fresh"}),
                )
            } else {
                problem(StatusCode::UNAUTHORIZED, "unauthenticated")
            }
        }
        _ => problem(StatusCode::NOT_FOUND, "not_found"),
    };
    Ok(response)
}

/// Starts the fake on a free port; runs until the runtime ends.
async fn start_fake(fake: Arc<Fake>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let fake = Arc::clone(&fake);
            tokio::spawn(async move {
                let service = service_fn(move |request| fake_handle(Arc::clone(&fake), request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// A fake farthing, a vendor talking to it, and a client.
struct Harness {
    runtime: tokio::runtime::Runtime,
    fake: Arc<Fake>,
    farthing_url: String,
    vendor: Option<NewsVendor>,
    base: String,
    agent: ureq::Agent,
}

impl Harness {
    fn new() -> Harness {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fake = Arc::new(Fake::default());
        let fake_address = runtime.block_on(start_fake(Arc::clone(&fake)));
        let farthing_url = format!("http://{fake_address}");
        let vendor = runtime
            .block_on(async {
                start(NewsConfig {
                    listen: "127.0.0.1:0".parse().unwrap(),
                    farthing_url: farthing_url.clone(),
                    api_key: API_KEY.to_owned(),
                    public_url: None,
                })
            })
            .unwrap();
        let base = vendor.base_url();
        assert_eq!(base, format!("http://{}", vendor.address));
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build();
        Harness {
            runtime,
            fake,
            farthing_url,
            vendor: Some(vendor),
            base,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> (u16, ureq::http::HeaderMap, String) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().read_to_string().unwrap();
        (status, headers, body)
    }

    fn post_token(&self, path: &str, token: &str) -> (u16, ureq::http::HeaderMap, String) {
        let mut response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_form([("access_token", token), ("optional_data", "x")])
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().read_to_string().unwrap();
        (status, headers, body)
    }

    fn offers(&self) -> Vec<Received> {
        self.fake.offers.lock().unwrap().clone()
    }

    fn access(&self) -> Vec<Received> {
        self.fake.access.lock().unwrap().clone()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(vendor) = self.vendor.take() {
            self.runtime.block_on(vendor.shutdown());
        }
    }
}

fn header<'a>(headers: &'a ureq::http::HeaderMap, name: &str) -> &'a str {
    headers.get(name).unwrap().to_str().unwrap()
}

/// The `name=value` part of a `Set-Cookie` header, for sending back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

#[test]
fn the_home_page_lists_priced_articles_with_buy_and_read_links() {
    let h = Harness::new();
    let (status, headers, body) = h.get("/", None);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(body.matches("<li class=\"article\"").count(), 3);
    for (slug, price) in [
        ("markets", "0.25"),
        ("harbour", "0.10"),
        ("longread", "1.50"),
    ] {
        assert!(
            body.contains(&format!("id=\"buy-{slug}\" href=\"/buy/{slug}\"")),
            "{slug}"
        );
        assert!(
            body.contains(&format!("id=\"read-{slug}\" href=\"/articles/{slug}\"")),
            "{slug}"
        );
        assert!(body.contains(&format!("${price}")), "{price}");
    }
}

#[test]
fn buying_posts_the_offer_and_redirects_to_the_buy_window() {
    let h = Harness::new();
    let (status, headers, _) = h.get("/buy/markets", None);
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), BUY_URL);
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");

    let (status, _, _) = h.get("/buy/harbour", None);
    assert_eq!(status, 303);

    let offers = h.offers();
    assert_eq!(offers.len(), 2);
    let markets = &offers[0];
    assert_eq!(
        markets.authorization.as_deref(),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    let article = news_vendor::articles::find("markets").unwrap();
    assert_eq!(
        markets.body,
        json!({
            "title": article.title,
            "price": "0.25",
            "currency": "USD",
            "content_url": format!("{}/articles/markets", h.base),
            "cancel_url": format!("{}/", h.base),
            "short_description": article.teaser,
            "vendor_content_id": "markets",
            "is_post": false,
        })
    );
    let harbour = &offers[1].body;
    assert_eq!(harbour["vendor_content_id"], "harbour");
    assert_eq!(harbour["price"], "0.10");
    assert_eq!(harbour["is_post"], true);
    assert_eq!(
        harbour["content_url"],
        format!("{}/articles/harbour", h.base)
    );
}

#[test]
fn a_refused_offer_shows_an_error_page_with_the_problem_code() {
    let h = Harness::new();
    h.fake.fail_offers.store(true, Ordering::SeqCst);
    let (status, headers, body) = h.get("/buy/longread", None);
    assert_eq!(status, 502);
    assert!(headers.get("location").is_none());
    assert!(body.contains("id=\"error\" data-code=\"content_domain_unknown\""));
    assert_eq!(h.offers().len(), 1);
}

#[test]
fn an_unreachable_farthing_is_an_error_page_not_a_refusal() {
    let h = Harness::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let vendor = h
        .runtime
        .block_on(async {
            start(NewsConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                farthing_url: format!("http://{closed}"),
                api_key: API_KEY.to_owned(),
                public_url: Some("http://localhost:1/".to_owned()),
            })
        })
        .unwrap();
    assert_eq!(vendor.base_url(), "http://localhost:1");
    let url = format!("http://{}/articles/harbour", vendor.address);
    let mut response = h
        .agent
        .post(&url)
        .send_form([("access_token", GOOD_TOKEN)])
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let body = response.body_mut().read_to_string().unwrap();
    assert!(body.contains("data-code=\"farthing_unreachable\""));
    h.runtime.block_on(vendor.shutdown());
}

#[test]
fn a_granted_form_post_sets_a_reader_cookie_and_the_article_shows() {
    let h = Harness::new();
    let (status, headers, _) = h.post_token("/articles/harbour", GOOD_TOKEN);
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), "/articles/harbour");
    let set_cookie = header(&headers, "set-cookie").to_owned();
    assert!(set_cookie.starts_with("news_reader="), "{set_cookie}");
    assert!(set_cookie.contains("Path=/articles/harbour"));
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Max-Age=600"));

    let access = h.access();
    assert_eq!(access.len(), 1);
    assert_eq!(
        access[0].body,
        json!({"access_token": GOOD_TOKEN, "content_url": format!("{}/articles/harbour", h.base)})
    );
    assert_eq!(
        access[0].authorization.as_deref(),
        Some(format!("Bearer {API_KEY}").as_str())
    );

    let cookie = cookie_pair(&set_cookie);
    let article = news_vendor::articles::find("harbour").unwrap();
    let (status, headers, body) = h.get("/articles/harbour", Some(&cookie));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert!(body.contains("<article id=\"article\">"));
    assert!(body.contains(article.paragraphs[0]));
    assert!(!body.contains("id=\"paywall\""));

    // Reading again with the cookie needs no new access check.
    let (status, _, body) = h.get("/articles/harbour", Some(&cookie));
    assert_eq!(status, 200);
    assert!(body.contains("<article id=\"article\">"));
    assert_eq!(h.access().len(), 1);

    // The cookie opens only the article it was set for.
    let (_, _, body) = h.get("/articles/longread", Some(&cookie));
    assert!(body.contains("id=\"paywall\""));
    assert!(!body.contains("<article id=\"article\">"));

    // The token grants once: posting it again is refused.
    let (status, headers, body) = h.post_token("/articles/harbour", GOOD_TOKEN);
    assert_eq!(status, 403);
    assert!(headers.get("set-cookie").is_none());
    assert!(body.contains("id=\"refused\""));
}

#[test]
fn a_granted_redirect_token_in_the_query_sets_the_cookie() {
    let h = Harness::new();
    let token = GOOD_TOKEN.replace('+', "%2B").replace('/', "%2F");
    let (status, headers, _) = h.get(&format!("/articles/markets?access_token={token}"), None);
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), "/articles/markets");
    let set_cookie = header(&headers, "set-cookie");
    assert!(set_cookie.contains("Path=/articles/markets"));
    assert_eq!(h.access()[0].body["access_token"], GOOD_TOKEN);

    let (status, _, body) = h.get("/articles/markets", Some(&cookie_pair(set_cookie)));
    assert_eq!(status, 200);
    assert!(body.contains("<article id=\"article\">"));
}

#[test]
fn a_refused_token_shows_the_paywall_with_refused() {
    let h = Harness::new();
    let (status, headers, body) = h.post_token("/articles/longread", "tok-copied");
    assert_eq!(status, 403);
    assert!(headers.get("set-cookie").is_none());
    assert!(body.contains("id=\"paywall\""));
    assert!(body.contains("id=\"refused\""));
    assert!(body.contains("id=\"buy\" href=\"/buy/longread\""));
    assert!(!body.contains("<article id=\"article\">"));
    assert_eq!(h.access().len(), 1);

    let (status, _, body) = h.get("/articles/markets?access_token=tok-copied", None);
    assert_eq!(status, 403);
    assert!(body.contains("id=\"refused\""));
}

#[test]
fn without_a_reader_cookie_the_paywall_shows() {
    let h = Harness::new();
    let (status, _, body) = h.get("/articles/markets", None);
    assert_eq!(status, 200);
    assert!(body.contains("id=\"paywall\""));
    assert!(body.contains("id=\"buy\" href=\"/buy/markets\""));
    assert!(!body.contains("id=\"refused\""));
    let forged = format!("news_reader={}", "0".repeat(64));
    let (_, _, body) = h.get("/articles/markets", Some(&forged));
    assert!(body.contains("id=\"paywall\""));
    assert!(!body.contains("<article id=\"article\">"));
    assert!(h.access().is_empty());
}

#[test]
fn unknown_pages_oversized_bodies_and_wrong_methods_are_refused() {
    let h = Harness::new();
    let (status, _, body) = h.get("/articles/nope", None);
    assert_eq!(status, 404);
    assert!(body.contains("data-code=\"not_found\""));
    let (status, _, _) = h.get("/buy/nope", None);
    assert_eq!(status, 404);
    assert!(h.offers().is_empty());

    let huge = vec![b'a'; 20 * 1024];
    let mut response = h
        .agent
        .post(format!("{}/articles/harbour", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(&huge[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body = response.body_mut().read_to_string().unwrap();
    assert!(body.contains("data-code=\"body_too_large\""));

    let response = h.agent.post(format!("{}/", h.base)).send_empty().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(header(response.headers(), "allow"), "GET, HEAD");
    assert!(h.access().is_empty());
}

#[test]
fn register_vendor_posts_the_vendor_and_returns_its_key() {
    let h = Harness::new();
    let key = h
        .runtime
        .block_on(register_vendor(
            &h.farthing_url,
            ADMIN_KEY,
            "The Daily Farthing",
            &["127.0.0.1", "localhost"],
        ))
        .unwrap();
    assert_eq!(key, "vk_fresh");
    let vendors = h.fake.vendors.lock().unwrap().clone();
    assert_eq!(
        vendors[0].authorization.as_deref(),
        Some(format!("Bearer {ADMIN_KEY}").as_str())
    );
    assert_eq!(vendors[0].body["name"], "The Daily Farthing");
    assert_eq!(vendors[0].body["currency"], "USD");
    assert_eq!(
        vendors[0].body["content_domains"],
        json!(["127.0.0.1", "localhost"])
    );

    let error = h
        .runtime
        .block_on(register_vendor(
            &h.farthing_url,
            "wrong",
            "X",
            &["localhost".to_owned()],
        ))
        .unwrap_err();
    assert_eq!(error.code(), "unauthenticated");
}

#[test]
fn shutdown_stops_the_server() {
    let mut h = Harness::new();
    let vendor = h.vendor.take().unwrap();
    let address = vendor.address;
    h.runtime.block_on(vendor.shutdown());
    assert!(std::net::TcpStream::connect(address).is_err());
}
