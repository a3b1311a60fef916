//! The HTTP side: accept loop, routes, and the handlers that tie farthing, the catalogue and
//! the reader sessions together.
//!
//! Bounded everywhere: connections (`CONNECTIONS_MAX`), request bodies
//! (`REQUEST_BODY_BYTES_MAX`), header read time, shutdown grace, and farthing calls (see
//! `farthing`). Routing is a `match` on path segments, as in farthing's own `routes.rs`; a
//! router crate was rejected for four routes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use crate::articles::{self, ARTICLES, Article};
use crate::farthing::{Error, Farthing, OfferRequest};
use crate::pages;
use crate::readers::{READER_SESSION_TTL, READER_SESSIONS_MAX, ReaderSessions};

/// Largest request body read (the access-token form is well under 1 KiB).
pub const REQUEST_BODY_BYTES_MAX: usize = 16 * 1024;
/// Connections served at once; past it, new connections are closed at once.
pub const CONNECTIONS_MAX: usize = 256;
/// Longest wait for a request's headers, so an idle or slow client cannot hold a connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for open connections to finish after shutdown was asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (say, out of file descriptors) before trying again.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(50);
/// Longest access token taken from a query or form; farthing's tokens are far shorter.
const ACCESS_TOKEN_BYTES_MAX: usize = 2048;
/// Name of the reader-session cookie; its path scopes it to one article.
pub const READER_COOKIE: &str = "news_reader";
/// Masthead of every page. The buy window shows the name the vendor registered with.
pub const SITE_NAME: &str = "The Daily Farthing";

/// What every request handler shares.
#[derive(Debug)]
pub struct Site {
    /// Client for offers and access checks.
    pub farthing: Farthing,
    /// Public base URL, no trailing slash; content and cancel URLs are built from it.
    pub public: String,
    /// Reader sessions after granted access checks.
    pub readers: ReaderSessions,
}

impl Site {
    /// A site with an empty reader-session store.
    #[must_use]
    pub fn new(farthing: Farthing, public: String) -> Self {
        Self {
            farthing,
            public,
            readers: ReaderSessions::new(READER_SESSIONS_MAX, READER_SESSION_TTL),
        }
    }

    /// The content URL of an article: the same string in the offer and in the access check.
    fn content_url(&self, article: &Article) -> String {
        format!("{}/articles/{}", self.public, article.slug)
    }
}

/// Accepts connections until `shutdown` fires (or its sender is dropped), then lets open
/// connections finish for at most `SHUTDOWN_GRACE`.
pub async fn serve(listener: TcpListener, site: Arc<Site>, mut shutdown: oneshot::Receiver<()>) {
    let connections = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(connections_max = CONNECTIONS_MAX, "too many connections");
            drop(stream);
            continue;
        };
        let site = Arc::clone(&site);
        let service = service_fn(move |request| handle(Arc::clone(&site), request));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that hangs up mid-request is not our error.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
}

/// One request to one response; never fails (errors are pages).
async fn handle(
    site: Arc<Site>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let method = request.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    let response = match segments.as_slice() {
        [""] if get => html(StatusCode::OK, pages::home(SITE_NAME, ARTICLES)),
        ["buy", slug] if get => match articles::find(slug) {
            Some(article) => buy(&site, article).await,
            None => not_found(),
        },
        ["articles", slug] if get => match articles::find(slug) {
            Some(article) => {
                let token = request.uri().query().and_then(access_token);
                match token {
                    Some(token) => check(&site, article, &token).await,
                    None => read(&site, article, request.headers()),
                }
            }
            None => not_found(),
        },
        ["articles", slug] if method == Method::POST => match articles::find(slug) {
            Some(article) => match read_body(request.into_body()).await {
                Ok(body) => match access_token_in(&body) {
                    Some(token) => check(&site, article, &token).await,
                    None => html(
                        StatusCode::FORBIDDEN,
                        pages::paywall(SITE_NAME, article, true),
                    ),
                },
                Err(response) => response,
            },
            None => not_found(),
        },
        [""] | ["buy", _] => method_not_allowed("GET, HEAD"),
        ["articles", _] => method_not_allowed("GET, HEAD, POST"),
        _ => not_found(),
    };
    Ok(response)
}

/// `GET /buy/{slug}`: a fresh offer at farthing, then the browser goes to its buy window.
async fn buy(site: &Site, article: &Article) -> Response<Full<Bytes>> {
    let content_url = site.content_url(article);
    let cancel_url = format!("{}/", site.public);
    let offer = OfferRequest {
        title: article.title,
        price: article.price,
        currency: "USD",
        content_url: &content_url,
        cancel_url: &cancel_url,
        short_description: article.teaser,
        vendor_content_id: article.slug,
        is_post: article.is_post,
    };
    match site.farthing.create_offer(&offer).await {
        Ok(offer) => {
            tracing::info!(slug = article.slug, offer_id = %offer.offer_id, "offer created");
            see_other(&offer.buy_url, None)
        }
        Err(error) => {
            tracing::warn!(slug = article.slug, %error, "offer refused");
            farthing_error(
                &error,
                "farthing could not create an offer for this article.",
            )
        }
    }
}

/// An access token arrived: ask farthing, then open a reader session or show the paywall.
async fn check(site: &Site, article: &Article, token: &str) -> Response<Full<Bytes>> {
    let content_url = site.content_url(article);
    match site.farthing.check_access(token, &content_url).await {
        Ok(true) => {
            let session = site.readers.open(article.slug, Instant::now());
            let secure = if site.public.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{READER_COOKIE}={session}; Path=/articles/{slug}; Max-Age={age}; HttpOnly; \
                 SameSite=Lax{secure}",
                slug = article.slug,
                age = READER_SESSION_TTL.as_secs(),
            );
            // Redirect so the token leaves the address bar and a reload does not re-post it.
            see_other(&format!("/articles/{}", article.slug), Some(&cookie))
        }
        Ok(false) => {
            tracing::info!(slug = article.slug, "access refused");
            html(
                StatusCode::FORBIDDEN,
                pages::paywall(SITE_NAME, article, true),
            )
        }
        Err(error) => {
            tracing::warn!(slug = article.slug, %error, "access check failed");
            farthing_error(&error, "The access check with farthing did not go through.")
        }
    }
}

/// `GET /articles/{slug}` without a token: the text with a live reader session, else the paywall.
fn read(site: &Site, article: &Article, headers: &HeaderMap) -> Response<Full<Bytes>> {
    let now = Instant::now();
    let allowed =
        reader_cookies(headers).any(|value| site.readers.allows(value, article.slug, now));
    if allowed {
        html(StatusCode::OK, pages::article(SITE_NAME, article))
    } else {
        html(StatusCode::OK, pages::paywall(SITE_NAME, article, false))
    }
}

/// Values of every `news_reader` cookie the browser sent.
fn reader_cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == READER_COOKIE)
        .map(|(_, value)| value)
}

/// The `access_token` of a query string or form body, if present, non-empty and not huge.
fn access_token_in(form: &[u8]) -> Option<String> {
    form_urlencoded::parse(form)
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty() && token.len() <= ACCESS_TOKEN_BYTES_MAX)
}

/// `access_token_in` for a query string.
fn access_token(query: &str) -> Option<String> {
    access_token_in(query.as_bytes())
}

/// Reads a request body of at most `REQUEST_BODY_BYTES_MAX`, or the page saying why not.
async fn read_body(body: Incoming) -> Result<Bytes, Response<Full<Bytes>>> {
    match Limited::new(body, REQUEST_BODY_BYTES_MAX).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(html(
            StatusCode::PAYLOAD_TOO_LARGE,
            pages::error(
                SITE_NAME,
                "body_too_large",
                "The request was larger than this site accepts.",
            ),
        )),
        Err(_) => Err(html(
            StatusCode::BAD_REQUEST,
            pages::error(
                SITE_NAME,
                "body_unreadable",
                "The request body could not be read.",
            ),
        )),
    }
}

/// The page for a failed farthing call: farthing's problem code when it gave one.
fn farthing_error(error: &Error, message: &str) -> Response<Full<Bytes>> {
    html(
        StatusCode::BAD_GATEWAY,
        pages::error(SITE_NAME, error.code(), message),
    )
}

/// 404 page.
fn not_found() -> Response<Full<Bytes>> {
    html(
        StatusCode::NOT_FOUND,
        pages::error(SITE_NAME, "not_found", "There is no such page."),
    )
}

/// 405 page with `Allow`.
fn method_not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = html(
        StatusCode::METHOD_NOT_ALLOWED,
        pages::error(
            SITE_NAME,
            "method_not_allowed",
            "This page does not take that kind of request.",
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// An HTML response with the headers every page carries.
fn html(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    common_headers(headers);
    response
}

/// A 303 to `location`, optionally setting a cookie. An unusable location is a 502 page.
fn see_other(location: &str, cookie: Option<&str>) -> Response<Full<Bytes>> {
    let Ok(location) = HeaderValue::from_str(location) else {
        return html(
            StatusCode::BAD_GATEWAY,
            pages::error(
                SITE_NAME,
                "farthing_answer_malformed",
                "farthing sent an unusable address.",
            ),
        );
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    common_headers(headers);
    response
}

/// Headers on every response: no token leaks through `Referer`, paid text is not cached,
/// and the pages load nothing but their inline style.
fn common_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
        ),
    );
}

/// The address a browser should use for `bound`: an unspecified IP becomes loopback.
#[must_use]
pub fn public_for(bound: SocketAddr) -> String {
    let mut address = bound;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_form_or_query() {
        assert_eq!(
            access_token_in(b"optional_data=x&access_token=ab%2Bc").as_deref(),
            Some("ab+c")
        );
        assert_eq!(access_token("access_token=").as_deref(), None);
        assert_eq!(access_token("other=1").as_deref(), None);
        let huge = format!("access_token={}", "a".repeat(ACCESS_TOKEN_BYTES_MAX + 1));
        assert_eq!(access_token(&huge), None);
    }

    #[test]
    fn reader_cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; news_reader=abc ;b=2"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("news_reader=def"));
        let values: Vec<&str> = reader_cookies(&headers).collect();
        assert_eq!(values, ["abc", "def"]);
    }

    #[test]
    fn an_unspecified_bind_address_is_shown_as_loopback() {
        assert_eq!(
            public_for("0.0.0.0:8090".parse().unwrap()),
            "http://127.0.0.1:8090"
        );
        assert_eq!(
            public_for("[::]:8090".parse().unwrap()),
            "http://[::1]:8090"
        );
        assert_eq!(
            public_for("127.0.0.1:1234".parse().unwrap()),
            "http://127.0.0.1:1234"
        );
    }
}
