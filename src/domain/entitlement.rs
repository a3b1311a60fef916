//! Entitlements: a member's right to one piece of a vendor's content ([0179], [0185]).
//!
//! An entitlement is keyed by vendor and `vendor_content_id` when the vendor gives one,
//! else by the normalized content URL, so `HTTPS://News.example:443/a?x=1#top` and
//! `https://news.example/a?x=1` are the same content. Buying content that is owned and still
//! valid charges nothing ([0037], [0248]); expired or used-up content is bought anew.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use url::Position;

use super::ids::{AuthorizationId, EntitlementId, VendorId};
use super::money::{Amount, Currency};
use super::reject::Reject;
use super::time::{DAY_MS, HOUR_MS, Timestamp};

/// The content URL is not an absolute http(s) URL with a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("content_url must be an absolute http or https URL with a host")]
pub struct BadContentUrl;

/// A content URL, parsed and normalized once at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentUrl {
    normalized: String,
    /// Where the host is in `normalized`, which holds it lower-cased.
    host: Range<usize>,
}

impl ContentUrl {
    /// Parses and normalizes: scheme and host lower-cased, default port and fragment dropped,
    /// path and query kept.
    ///
    /// # Errors
    /// `BadContentUrl` for anything but an absolute http(s) URL with a host.
    pub fn parse(text: &str) -> Result<ContentUrl, BadContentUrl> {
        match ContentUrl::already_normal(text) {
            Some(url) => Ok(url),
            None => ContentUrl::parse_with_url(text),
        }
    }

    /// The URL as it is, when it is already in the form `url` would give back: an http or
    /// https scheme and a host of lower-case letters, digits, dots and hyphens, no port or
    /// user, a path and query of characters that are never escaped or rewritten (no `%`, no
    /// `\`, no dot segment), then at most a fragment, which is dropped. Anything else, or
    /// anything in doubt, is `None` and goes to `url`. Every authorize and access parses its
    /// content URL, and `url`'s parser (host rules, IDNA, serialization) took 1.3 µs a URL
    /// where this one pass takes 0.15 µs (`cargo bench --bench domain -- content_url`); a test
    /// checks every URL this accepts against `url`.
    fn already_normal(text: &str) -> Option<ContentUrl> {
        let after_scheme = if text.starts_with("https://") {
            "https://".len()
        } else if text.starts_with("http://") {
            "http://".len()
        } else {
            return None;
        };
        let mut bytes = text.bytes().enumerate().skip(after_scheme);
        let mut label_start = after_scheme;
        let path_start = loop {
            let (at, byte) = bytes.next()?;
            if is_kept_in_host(byte) {
                continue;
            }
            if byte != b'.' && byte != b'/' {
                return None;
            }
            if !is_plain_label(text.get(label_start..at)?) {
                return None;
            }
            if byte == b'/' {
                break at;
            }
            label_start = at.saturating_add(1);
        };
        // `url` reads a host whose last label is a number (`1`, `0x7f`) as an IPv4 address.
        let top_level = text.get(label_start..path_start)?;
        if !top_level.starts_with(|c: char| c.is_ascii_lowercase())
            || path_start > after_scheme.saturating_add(MAX_PLAIN_HOST_BYTES)
        {
            return None;
        }
        let mut end = text.len();
        let mut in_query = false;
        let mut after_slash = true;
        for (at, byte) in bytes {
            match byte {
                b'#' => {
                    end = at;
                    break;
                }
                b'?' if !in_query => in_query = true,
                // `.` or `..` would be a dot segment; any segment starting with a dot goes to
                // `url`, which is simpler to be sure of.
                b'.' if after_slash => return None,
                _ if in_query && is_kept_in_query(byte) => {}
                _ if !in_query && is_kept_in_path(byte) => {}
                _ => return None,
            }
            after_slash = byte == b'/' && !in_query;
        }
        Some(ContentUrl {
            normalized: text.get(..end)?.to_owned(),
            host: after_scheme..path_start,
        })
    }

    fn parse_with_url(text: &str) -> Result<ContentUrl, BadContentUrl> {
        let mut url = url::Url::parse(text).map_err(|_| BadContentUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BadContentUrl);
        }
        // `url` lower-cases an http(s) host as it serializes it.
        if !url.has_host() {
            return Err(BadContentUrl);
        }
        let host = url[..Position::BeforeHost].len()..url[..Position::AfterHost].len();
        url.set_fragment(None);
        Ok(ContentUrl {
            normalized: url.into(),
            host,
        })
    }

    /// The normalized URL text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// The lower-cased host, checked against the vendor's registered domains.
    #[must_use]
    pub fn host(&self) -> &str {
        self.normalized.get(self.host.clone()).unwrap_or_default()
    }
}

/// A longer host goes to `url`, whose length rules then apply.
const MAX_PLAIN_HOST_BYTES: usize = 253;

/// A DNS label `url` keeps as it is: lower-case letters, digits and inner hyphens (checked
/// byte by byte before), not an IDNA `xn--` label (which `url` decodes and checks).
fn is_plain_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && !label.starts_with("xn--")
}

fn is_kept_in_host(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-')
}

/// Unreserved characters, sub-delimiters, `:`, `@` and `/`: what `url` never escapes in a
/// path. `%` is left out because `%2e` segments are rewritten.
fn is_kept_in_path(byte: u8) -> bool {
    matches!(
        byte,
        b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-' | b'.' | b'_' | b'~'
            | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            | b':' | b'@' | b'/'
    )
}

/// As in a path, with `?` and without `'`, which `url` escapes in an http(s) query.
fn is_kept_in_query(byte: u8) -> bool {
    byte != b'\'' && (byte == b'?' || is_kept_in_path(byte))
}

/// What identifies one piece of content at one vendor.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ContentKey {
    /// The selling vendor: the same URL at two vendors is two pieces of content.
    pub vendor: VendorId,
    /// `id:<vendor_content_id>` or `url:<normalized url>`.
    pub content: String,
}

impl ContentKey {
    /// The key for an offer: the vendor's own content id wins over the URL.
    #[must_use]
    pub fn new(vendor: VendorId, vendor_content_id: Option<&str>, url: &ContentUrl) -> ContentKey {
        let content = match vendor_content_id {
            Some(id) => format!("id:{id}"),
            None => format!("url:{}", url.as_str()),
        };
        ContentKey { vendor, content }
    }
}

/// Terms the vendor sets on an offer ([0184]-[0185]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// How many access checks are granted; `None` is unlimited.
    pub views: Option<u32>,
    /// An absolute expiry.
    pub expires_at: Option<Timestamp>,
    /// Valid for this many days after purchase.
    pub valid_days: Option<u32>,
    /// Valid for this many hours after purchase.
    pub valid_hours: Option<u32>,
}

impl Terms {
    /// The earliest of the given expiries, counted from `purchased_at`.
    #[must_use]
    pub fn expiry_from(&self, purchased_at: Timestamp) -> Option<Timestamp> {
        let by_days = self
            .valid_days
            .map(|days| purchased_at.plus_ms(u64::from(days).saturating_mul(DAY_MS)));
        let by_hours = self
            .valid_hours
            .map(|hours| purchased_at.plus_ms(u64::from(hours).saturating_mul(HOUR_MS)));
        [self.expires_at, by_days, by_hours]
            .into_iter()
            .flatten()
            .min()
    }
}

/// A paid right to content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// Stable id, carried inside access tokens.
    pub id: EntitlementId,
    /// The content this grants.
    pub key: ContentKey,
    /// The purchase that created it: a reversal of that purchase ends it.
    pub authorization: AuthorizationId,
    /// What was paid, to refund on reversal.
    pub price: Amount,
    /// The wallet that paid.
    pub currency: Currency,
    /// When it was bought.
    pub purchased_at: Timestamp,
    /// Views granted in all; `None` is unlimited.
    pub views_allowed: Option<u32>,
    /// Views already counted.
    pub views_used: u32,
    /// When it stops being valid; `None` never.
    pub expires_at: Option<Timestamp>,
    /// When a reversal ended it; a reversed entitlement never grants again.
    pub reversed_at: Option<Timestamp>,
}

impl Entitlement {
    /// True once the purchase behind it was reversed.
    #[must_use]
    pub fn is_reversed(&self) -> bool {
        self.reversed_at.is_some()
    }

    /// Views left, `None` when unlimited.
    #[must_use]
    pub fn views_left(&self) -> Option<u32> {
        self.views_allowed
            .map(|allowed| allowed.saturating_sub(self.views_used))
    }

    /// Why this entitlement does not grant access at `now`, or `None` when it does.
    #[must_use]
    pub fn invalid_reason(&self, now: Timestamp) -> Option<EntitlementInvalid> {
        if self.is_reversed() {
            return Some(EntitlementInvalid::Reversed);
        }
        if self.expires_at.is_some_and(|expiry| now >= expiry) {
            return Some(EntitlementInvalid::Expired);
        }
        if self.views_left() == Some(0) {
            return Some(EntitlementInvalid::ViewsUsedUp);
        }
        None
    }
}

/// Why an entitlement no longer grants access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntitlementInvalid {
    /// Its purchase was reversed.
    Reversed,
    /// Past its expiry.
    Expired,
    /// Every allowed view was used.
    ViewsUsedUp,
}

impl EntitlementInvalid {
    /// The refusal of an access check or a reopening: one reject per reason, so the vendor's
    /// check and the member's "Open" answer the same problem for the same entitlement.
    #[must_use]
    pub const fn reject(self) -> Reject {
        match self {
            EntitlementInvalid::Reversed => Reject::EntitlementReversed,
            EntitlementInvalid::Expired => Reject::EntitlementExpired,
            EntitlementInvalid::ViewsUsedUp => Reject::ViewsUsedUp,
        }
    }

    /// The reason's stable name on the wire ("My Content"'s `unavailable`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            EntitlementInvalid::Reversed => "reversed",
            EntitlementInvalid::Expired => "expired",
            EntitlementInvalid::ViewsUsedUp => "views_used_up",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_scheme_host_port_and_fragment() {
        let a = ContentUrl::parse("HTTPS://News.Example:443/a/B?x=1#top").unwrap();
        let b = ContentUrl::parse("https://news.example/a/B?x=1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.host(), "news.example");
        let other_port = ContentUrl::parse("https://news.example:8443/a/B?x=1").unwrap();
        assert_ne!(a, other_port);
        let other_path_case = ContentUrl::parse("https://news.example/a/b?x=1").unwrap();
        assert_ne!(a, other_path_case);
    }

    #[test]
    fn plain_urls_skip_the_parser_and_others_do_not() {
        for plain in [
            "https://news.example/a/1",
            "http://news.example/a/B?x=1&y=two#top",
            "https://a-b.c9.example/",
            "https://v3-19ad3f0a1b2.loadtest.example/a/123",
            "https://news.example/a?",
        ] {
            assert!(ContentUrl::already_normal(plain).is_some(), "{plain}");
        }
        for other in [
            "HTTPS://news.example/a",
            "https://News.example/a",
            "https://news.example:443/a",
            "https://news.example",
            "https://news.example?x=1",
            "https://user@news.example/a",
            "https://1.2.3.4/a",
            "https://news.0x7f/a",
            "https://xn--nxasmq6b.example/a",
            "https://news..example/a",
            "https://news.example/a/../b",
            "https://news.example/a/%2e/b",
            "https://news.example/a b",
            "https://news.example/a?it's",
            "https://news.example/a\\b",
        ] {
            assert!(ContentUrl::already_normal(other).is_none(), "{other}");
        }
    }

    /// Text made of the pieces that matter to `url`'s parser: schemes right and wrong, hosts
    /// with numbers, IDNA labels, case and ports, paths and queries with dot segments,
    /// escapes, spaces and quotes, fragments. Plain pieces are drawn most often, so that
    /// about half the texts are plain enough to be taken as they are.
    fn url_like() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scheme = prop_oneof![
            6 => prop::sample::select(vec!["https://", "http://"]),
            1 => prop::sample::select(vec!["HTTP://", "https:/", "https:", "ftp://", ""]),
        ];
        let label = prop_oneof![
            6 => prop::sample::select(vec!["news", "a", "b-c", "x9", "example"]),
            1 => prop::sample::select(vec![
                "-x", "y-", "xn--nxasmq6b", "xn--a", "1", "0x7f", "09", "N", "", "é",
            ]),
        ];
        let host = prop::collection::vec(label, 1..4).prop_map(|labels| labels.join("."));
        let port = prop_oneof![
            6 => Just(""),
            1 => prop::sample::select(vec![":443", ":80", ":8443", ":", "@x"]),
        ];
        let start = prop_oneof![6 => Just("/"), 1 => Just("")];
        let piece = prop_oneof![
            12 => prop::sample::select(vec![
                "/", "a", "B", "7", "-", "_", "~", "=", "&", ":", "@", "!", "$", "(", "*", "+",
                ",", ";", "?", ".", "'",
            ]),
            1 => prop::sample::select(vec![
                "..", "%2e", "%41", "#", " ", "\\", "\t", "\n", "é", "\"", "{", "|", "^",
                "`", "<",
            ]),
        ];
        let tail = prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat());
        (scheme, host, port, start, tail).prop_map(|(scheme, host, port, start, tail)| {
            format!("{scheme}{host}{port}{start}{tail}")
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn a_url_taken_as_it_is_is_what_url_gives(text in url_like()) {
            if let Some(plain) = ContentUrl::already_normal(&text) {
                proptest::prop_assert_eq!(Ok(plain), ContentUrl::parse_with_url(&text));
            }
        }
    }

    #[test]
    fn refuses_non_http_urls() {
        for bad in [
            "ftp://x.example/a",
            "news.example/a",
            "",
            "https://",
            "mailto:a@b.example",
        ] {
            assert_eq!(ContentUrl::parse(bad), Err(BadContentUrl), "{bad}");
        }
    }

    #[test]
    fn vendor_content_id_wins_over_url() {
        let url = ContentUrl::parse("https://news.example/a").unwrap();
        let other = ContentUrl::parse("https://news.example/b").unwrap();
        let vendor = VendorId(1);
        assert_eq!(
            ContentKey::new(vendor, Some("42"), &url),
            ContentKey::new(vendor, Some("42"), &other)
        );
        assert_ne!(
            ContentKey::new(vendor, None, &url),
            ContentKey::new(vendor, None, &other)
        );
        assert_ne!(
            ContentKey::new(VendorId(2), None, &url),
            ContentKey::new(vendor, None, &url)
        );
    }

    #[test]
    fn earliest_expiry_wins() {
        let start = Timestamp(1_000);
        let terms = Terms {
            views: None,
            expires_at: Some(start.plus_ms(5 * HOUR_MS)),
            valid_days: Some(1),
            valid_hours: Some(2),
        };
        assert_eq!(terms.expiry_from(start), Some(start.plus_ms(2 * HOUR_MS)));
        let terms = Terms {
            valid_hours: None,
            ..terms
        };
        assert_eq!(terms.expiry_from(start), Some(start.plus_ms(5 * HOUR_MS)));
        assert_eq!(Terms::default().expiry_from(start), None);
    }
}
