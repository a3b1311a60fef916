//! A demo vendor for farthing: a small news site that sells single articles.
//!
//! The front page lists priced articles. Buying one creates an offer at farthing
//! (`POST /v1/offers`) and sends the browser to farthing's buy window. After the purchase the
//! browser comes back to the article with an access token; the site checks it once with
//! farthing (`POST /v1/access`) and, when granted, keeps a short reader session of its own so
//! the article can be reloaded without a new token.
//!
//! Modules:
//! - `articles`: the fixed catalogue (pure data).
//! - `farthing`: the HTTP client for farthing's vendor and admin calls.
//! - `readers`: the bounded in-memory reader-session store (time passed in).
//! - `pages`: HTML rendering (pure).
//! - `server`: accept loop, routes and handlers; the only module that uses all the others.
//!
//! This crate does not depend on the `farthing` crate: it speaks to farthing only over HTTP,
//! like any real vendor would.

pub mod articles;
pub mod farthing;
pub mod pages;
pub mod readers;
pub mod server;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use farthing::{Error, register_vendor};

/// How to run the news site.
#[derive(Clone)]
pub struct NewsConfig {
    /// Address to bind; port 0 picks a free one (tests).
    pub listen: SocketAddr,
    /// farthing's base URL, plain `http://`, e.g. `http://127.0.0.1:8080`.
    pub farthing_url: String,
    /// The vendor's API key at farthing; never logged.
    pub api_key: String,
    /// Base URL browsers use for this site; `None` = `http://{bound address}`. Its host must
    /// be one of the vendor's registered content domains.
    pub public_url: Option<String>,
}

impl fmt::Debug for NewsConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("NewsConfig")
            .field("listen", &self.listen)
            .field("farthing_url", &self.farthing_url)
            .field("api_key", &"<redacted>")
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// A running news site. Stop it with `shutdown`; dropping it stops accepting as well (the
/// accept loop ends when its shutdown sender goes away), without waiting.
#[derive(Debug)]
pub struct NewsVendor {
    /// The bound address (the real port when `listen` had port 0).
    pub address: SocketAddr,
    /// Public base URL, no trailing slash.
    base_url: String,
    /// Tells the accept loop to stop.
    shutdown: oneshot::Sender<()>,
    /// The accept loop; finishes after open connections drained (bounded grace).
    task: JoinHandle<()>,
}

impl NewsVendor {
    /// The URL to open in a browser (the public URL), without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Stops accepting, lets open connections finish (a few seconds at most), and returns when
    /// the server is gone.
    pub async fn shutdown(self) {
        let NewsVendor { shutdown, task, .. } = self;
        // The loop may already be gone; then there is nothing left to stop.
        let _ = shutdown.send(());
        if let Err(error) = task.await {
            tracing::warn!(%error, "news vendor task ended abnormally");
        }
    }
}

/// Binds `config.listen`, spawns the server on the current tokio runtime, and returns at once.
///
/// # Errors
/// No tokio runtime on this thread, a `public_url` that is not `http(s)://`, or the bind
/// failing (address in use, say).
pub fn start(config: NewsConfig) -> io::Result<NewsVendor> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|e| io::Error::other(format!("news_vendor::start needs a tokio runtime: {e}")))?;
    if let Some(public) = &config.public_url
        && !(public.starts_with("http://") || public.starts_with("https://"))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "public_url must start with http:// or https://",
        ));
    }
    let listener = std::net::TcpListener::bind(config.listen)?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let base_url = match &config.public_url {
        Some(public) => public.trim_end_matches('/').to_owned(),
        None => server::public_for(address),
    };
    let site = Arc::new(server::Site::new(
        farthing::Farthing::new(&config.farthing_url, &config.api_key),
        base_url.clone(),
    ));
    let (shutdown, stop) = oneshot::channel();
    let task = runtime.spawn(server::serve(listener, site, stop));
    Ok(NewsVendor {
        address,
        base_url,
        shutdown,
        task,
    })
}
