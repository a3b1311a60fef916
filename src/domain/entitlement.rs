//! Entitlements: a member's right to one piece of a vendor's content ([0179], [0185]).
//!
//! An entitlement is keyed by vendor and `vendor_content_id` when the vendor gives one,
//! else by the normalized content URL, so `HTTPS://News.example:443/a?x=1#top` and
//! `https://news.example/a?x=1` are the same content. Buying content that is owned and still
//! valid charges nothing ([0037], [0248]); expired or used-up content is bought anew.

use serde::{Deserialize, Serialize};

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
    host: String,
}

impl ContentUrl {
    /// Parses and normalizes: scheme and host lower-cased, default port and fragment dropped,
    /// path and query kept.
    ///
    /// # Errors
    /// `BadContentUrl` for anything but an absolute http(s) URL with a host.
    pub fn parse(text: &str) -> Result<ContentUrl, BadContentUrl> {
        let mut url = url::Url::parse(text).map_err(|_| BadContentUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BadContentUrl);
        }
        let host = url.host_str().ok_or(BadContentUrl)?.to_ascii_lowercase();
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
        &self.host
    }
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
