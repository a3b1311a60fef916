//! The browser harness end to end, without farthing: a tiny hyper site on 127.0.0.1:0 that a
//! real headless Chromium fills in, clicks through, screenshots and keeps cookies for.
//! If Chromium or chromedriver cannot start, these tests fail (they never skip).

mod browser_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use browser_support::{Browser, BrowserOptions, run};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// What the site saw of one request: its path and its Cookie header.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    cookie: String,
}

/// A small site: a form, its result page, a cookie setter and a page echoing what the
/// browser sent. Runs on the current runtime until the test ends.
struct Site {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Site {
    async fn start() -> Site {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap_or_else(|error| panic!("binding the smoke site: {error}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("reading the smoke site's address: {error}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let log = log.clone();
                        async move { Ok::<_, Infallible>(handle(request, &log).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Site {
            base: format!("http://{address}"),
            seen,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }
}

fn header(request: &Request<Incoming>, name: hyper::header::HeaderName) -> String {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font:18px sans-serif;margin:3em}}button{{font-size:18px}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

async fn handle(request: Request<Incoming>, log: &Mutex<Vec<Seen>>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let cookie = header(&request, COOKIE);
    let language = header(&request, ACCEPT_LANGUAGE);
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Seen {
            path: path.clone(),
            cookie: cookie.clone(),
        });
    let method = request.method().clone();
    let query = request.uri().query().map(str::to_owned);
    let mut set_cookie = None;
    let mut location = None;
    let (status, html) = match (&method, path.as_str()) {
        (&Method::GET, "/") => (
            StatusCode::OK,
            page(
                "Smoke form",
                "<form id=\"greet\" method=\"post\" action=\"/greet\">\
                 <label>Name <input id=\"name\" name=\"name\"></label> \
                 <button id=\"send\" type=\"submit\">Send</button></form>",
            ),
        ),
        (&Method::POST, "/greet") => {
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            let name = url::form_urlencoded::parse(&body)
                .find(|(key, _)| key == "name")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            (
                StatusCode::OK,
                page(
                    "Greeted",
                    &format!("<p id=\"greeting\">Hello, {}</p>", escape(&name)),
                ),
            )
        }
        (&Method::GET, "/set-cookie") => {
            set_cookie = Some("smoke=one; Path=/; HttpOnly; SameSite=Lax");
            (StatusCode::OK, page("Cookie set", "<p id=\"set\">set</p>"))
        }
        (&Method::GET, "/echo") => (
            StatusCode::OK,
            page(
                "Echo",
                &format!(
                    "<pre id=\"cookie\">{}</pre><pre id=\"language\">{}</pre>",
                    escape(&cookie),
                    escape(&language)
                ),
            ),
        ),
        (&Method::GET, "/controls") => (
            StatusCode::OK,
            page(
                "Controls",
                "<form id=\"controls\" method=\"post\" action=\"/controls\">\
                 <label><input type=\"checkbox\" id=\"public\" name=\"public\" checked> public</label>\
                 <label><input type=\"radio\" id=\"expiry-a\" name=\"expiry\" value=\"a\" checked> a</label>\
                 <label><input type=\"radio\" id=\"expiry-b\" name=\"expiry\" value=\"b\"> b</label>\
                 <select id=\"language\" name=\"language\"><option value=\"en\">English</option>\
                 <option value=\"ja\">日本語</option><option value=\"pt-BR\">Português</option></select>\
                 <button id=\"go\" type=\"submit\">Go</button></form>",
            ),
        ),
        (&Method::POST, "/controls") => {
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            location = Some(format!("/done?{}", String::from_utf8_lossy(&body)));
            (StatusCode::SEE_OTHER, String::new())
        }
        (&Method::GET, "/done") => (
            StatusCode::OK,
            page(
                "Done",
                &format!(
                    "<pre id=\"query\">{}</pre>",
                    escape(query.as_deref().unwrap_or(""))
                ),
            ),
        ),
        // Like farthing's delivery page: a form posting on by itself, a button without JS.
        (&Method::GET, "/deliver") => (
            StatusCode::OK,
            page(
                "Deliver",
                "<form id=\"deliver\" method=\"post\" action=\"/greet\">\
                 <input type=\"hidden\" name=\"name\" value=\"Auto\">\
                 <button id=\"continue\" type=\"submit\">Continue</button></form>\
                 <script>document.getElementById('deliver').submit();</script>",
            ),
        ),
        (&Method::GET, "/script") => (
            StatusCode::OK,
            page(
                "Script",
                "<p id=\"js\">no script</p>\
                 <script>document.getElementById('js').textContent = 'script ran';</script>",
            ),
        ),
        _ => (StatusCode::NOT_FOUND, page("Not found", "")),
    };
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(value) = location.and_then(|l| hyper::header::HeaderValue::from_str(&l).ok()) {
        headers.insert(hyper::header::LOCATION, value);
    }
    if let Some(value) = set_cookie {
        headers.insert(SET_COOKIE, hyper::header::HeaderValue::from_static(value));
    }
    response
}

#[test]
fn fills_a_form_clicks_and_saves_a_screenshot() {
    run(async {
        let site = Site::start().await;
        let browser = Browser::new().await;
        browser.goto(&site.url("/")).await;
        browser.fill("#name", "Ana <Smoke>").await;
        browser.click("button#send").await;
        assert_eq!(browser.text("#greeting").await, "Hello, Ana <Smoke>");
        assert_eq!(browser.current_url().await, site.url("/greet"));
        assert!(!browser.exists("form#greet").await);

        let path = browser.screenshot("smoke-form-result").await;
        let png = std::fs::read(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        assert!(
            png.len() > 1000,
            "{} is {} bytes",
            path.display(),
            png.len()
        );
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        browser.close().await;
    });
}

#[test]
fn two_browsers_do_not_share_cookies() {
    run(async {
        let site = Site::start().await;
        let first = Browser::new().await;
        let second = Browser::new().await;
        first.goto(&site.url("/set-cookie")).await;
        first.wait_for("#set").await;
        assert!(first.cookie_names().await.contains(&"smoke".to_owned()));
        first.goto(&site.url("/echo")).await;
        assert_eq!(first.text("#cookie").await, "smoke=one");

        second.goto(&site.url("/echo")).await;
        assert_eq!(second.text("#cookie").await, "");
        assert!(second.cookie_names().await.is_empty());
        let echoes = site.seen("/echo");
        assert_eq!(echoes.len(), 2, "{echoes:?}");
        assert!(
            echoes.iter().filter(|s| s.cookie.contains("smoke")).count() == 1,
            "only the first browser sends the cookie: {echoes:?}"
        );
        first.close().await;
        second.close().await;
    });
}

#[test]
fn language_and_javascript_options_take_effect() {
    run(async {
        let site = Site::start().await;
        let japanese = Browser::with_options(BrowserOptions {
            lang: Some("ja".to_owned()),
            javascript: false,
        })
        .await;
        japanese.goto(&site.url("/echo")).await;
        let language = japanese.text("#language").await;
        assert!(language.starts_with("ja"), "Accept-Language {language:?}");
        japanese.goto(&site.url("/script")).await;
        assert_eq!(japanese.text("#js").await, "no script");
        japanese.close().await;

        let english = Browser::new().await;
        english.goto(&site.url("/echo")).await;
        let language = english.text("#language").await;
        assert!(language.starts_with("en"), "Accept-Language {language:?}");
        english.goto(&site.url("/script")).await;
        assert_eq!(english.text("#js").await, "script ran");
        english.close().await;
    });
}

#[test]
fn a_missing_element_fails_with_the_page_source() {
    run(async {
        let site = Site::start().await;
        let browser = Browser::new().await;
        browser.goto(&site.url("/")).await;
        let Err(message) = browser
            .try_wait_for("#no-such-thing", std::time::Duration::from_millis(300))
            .await
        else {
            panic!("found an element that is not there");
        };
        assert!(
            message.contains("\"#no-such-thing\" did not appear"),
            "{message}"
        );
        assert!(message.contains(&site.url("/")), "{message}");
        assert!(message.contains("id=\"greet\""), "{message}");
        browser.close().await;
    });
}

#[test]
fn checkboxes_radios_selects_and_redirects() {
    run(async {
        let site = Site::start().await;
        let browser = Browser::new().await;
        browser.goto(&site.url("/controls")).await;
        assert!(browser.is_checked("#public").await);
        browser.set_checked("#public", false).await;
        browser.set_checked("#public", false).await;
        browser.set_checked("#expiry-b", true).await;
        browser.select("#language", "ja").await;
        assert!(!browser.is_checked("#public").await);
        assert!(!browser.is_checked("#expiry-a").await);
        browser.click("#go").await;
        browser.wait_for_url(&site.url("/done")).await;
        assert_eq!(browser.text("#query").await, "expiry=b&language=ja");
        browser.close().await;
    });
}

#[test]
fn an_auto_submitting_form_posts_itself_or_waits_for_a_click_without_javascript() {
    run(async {
        let site = Site::start().await;
        let browser = Browser::new().await;
        browser.goto(&site.url("/deliver")).await;
        assert_eq!(browser.text("#greeting").await, "Hello, Auto");
        browser.close().await;

        let no_script = Browser::with_options(BrowserOptions {
            javascript: false,
            ..BrowserOptions::default()
        })
        .await;
        no_script.goto(&site.url("/deliver")).await;
        no_script.wait_for("form#deliver").await;
        assert_eq!(
            no_script.value("form#deliver input[name='name']").await,
            "Auto"
        );
        assert_eq!(
            no_script.attr("form#deliver", "action").await.as_deref(),
            Some("/greet")
        );
        assert!(!no_script.exists("#greeting").await);
        no_script.click("button#continue").await;
        assert_eq!(no_script.text("#greeting").await, "Hello, Auto");
        no_script.close().await;
    });
}
