//! The target server: an `http://` base URL on the loopback interface only.
//!
//! The harness generates load as fast as it can; pointed at another machine it would be a
//! denial-of-service tool, so every non-loopback address is refused before any connection.

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context, Result, bail};
use hyper::Uri;
use hyper::header::HeaderValue;

/// A resolved loopback target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL as given, for the report.
    pub url: String,
    /// Loopback socket address to connect to.
    pub addr: SocketAddr,
    /// `Host` header value (the URL's authority).
    pub host: HeaderValue,
}

/// Checks a host name from a URL or listen address: `Some(ip)` for a loopback literal,
/// `None` for `localhost` (resolve it, then check each address).
///
/// # Errors
/// Any other host.
pub fn check_loopback_host(host: &str) -> Result<Option<IpAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return Ok(None);
    }
    match bare.parse::<IpAddr>() {
        Ok(ip) if ip.to_canonical().is_loopback() => Ok(Some(ip)),
        _ => bail!(
            "refusing target host {host:?}: only loopback targets (127.0.0.0/8, ::1, localhost) \
             are allowed, because this tool generates load"
        ),
    }
}

/// Parses and resolves `url`, refusing anything that is not plain HTTP on loopback.
///
/// # Errors
/// Not an `http://host:port` URL, or a host that is not (or does not resolve to) loopback.
pub async fn resolve(url: &str) -> Result<Target> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("target {url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("target {url:?} must start with http:// (the harness speaks plain HTTP/1.1)");
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        bail!("target {url:?} must be a base URL without a path");
    }
    let Some(authority) = uri.authority() else {
        bail!("target {url:?} has no host");
    };
    let port = authority.port_u16().unwrap_or(80);
    let addr = resolve_host(authority.host(), port).await?;
    let host = HeaderValue::from_str(authority.as_str())
        .with_context(|| format!("target {url:?} has a bad authority"))?;
    Ok(Target {
        url: url.to_owned(),
        addr,
        host,
    })
}

/// Resolves a loopback host and port to a socket address.
///
/// # Errors
/// The host is not loopback, or `localhost` resolves to no loopback address.
pub async fn resolve_host(host: &str, port: u16) -> Result<SocketAddr> {
    if let Some(ip) = check_loopback_host(host)? {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut addrs = tokio::net::lookup_host(("localhost", port))
        .await
        .context("resolving localhost")?;
    match addrs.find(|addr| addr.ip().to_canonical().is_loopback()) {
        Some(addr) => Ok(addr),
        None => bail!("localhost resolves to no loopback address"),
    }
}

/// Parses a `--listen` address (`host:port`), refusing non-loopback hosts.
///
/// # Errors
/// Not `host:port`, or not loopback.
pub async fn resolve_listen(listen: &str) -> Result<SocketAddr> {
    let Some((host, port)) = listen.rsplit_once(':') else {
        bail!("listen address {listen:?} is not host:port");
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("bad port in {listen:?}"))?;
    resolve_host(host, port).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepts_loopback_only() {
        for good in [
            "http://127.0.0.1:8080",
            "http://127.3.4.5:1/",
            "http://[::1]:9090",
            "http://localhost:8080",
        ] {
            let target = resolve(good).await.unwrap();
            assert!(target.addr.ip().to_canonical().is_loopback(), "{good}");
        }
        for bad in [
            "http://10.0.0.1:8080",
            "http://192.168.1.2",
            "http://0.0.0.0:8080",
            "http://example.com:80",
            "https://127.0.0.1:8443",
            "http://127.0.0.1:8080/v1",
            "127.0.0.1:8080",
            "http://[::2]:80",
        ] {
            assert!(resolve(bad).await.is_err(), "{bad} must be refused");
        }
        assert!(resolve_listen("0.0.0.0:9090").await.is_err());
        assert_eq!(
            resolve_listen("127.0.0.1:9090").await.unwrap(),
            "127.0.0.1:9090".parse().unwrap()
        );
    }
}
