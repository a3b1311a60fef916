//! Reader sessions: after farthing granted an access check, the browser may read that one
//! article for a short while without a new token.
//!
//! In memory and bounded; the caller passes `now`, so tests need no sleeping. Depends on no
//! other module of the crate. A signed cookie (no server state) was rejected: it could not be
//! revoked and would need a key to manage, which is more than a demo should carry.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a reader session lasts after a granted access check.
pub const READER_SESSION_TTL: Duration = Duration::from_secs(10 * 60);
/// Most reader sessions kept at once; past it, expired ones go first, then the oldest.
pub const READER_SESSIONS_MAX: usize = 10_000;
/// Random bytes in a session value (hex-encoded in the cookie).
const SESSION_BYTES: usize = 32;

/// One reader session.
#[derive(Debug, Clone)]
struct Entry {
    /// The article it opens; a session never opens another article.
    slug: String,
    /// When it stops opening it.
    expires_at: Instant,
}

/// The store: random session value → article and expiry.
#[derive(Debug)]
pub struct ReaderSessions {
    /// Entries; a mutex, never held across an `.await`.
    entries: Mutex<HashMap<String, Entry>>,
    /// Bound on `entries`.
    entries_max: usize,
    /// Lifetime of a new entry.
    ttl: Duration,
}

impl ReaderSessions {
    /// An empty store holding at most `entries_max` sessions of lifetime `ttl`.
    ///
    /// # Panics
    /// If `entries_max` is zero (a store that can hold nothing is a configuration bug).
    #[must_use]
    pub fn new(entries_max: usize, ttl: Duration) -> Self {
        assert!(entries_max > 0, "reader session store needs room");
        Self {
            entries: Mutex::new(HashMap::new()),
            entries_max,
            ttl,
        }
    }

    /// Opens a session for `slug` at `now` and returns its random value (64 hex digits).
    pub fn open(&self, slug: &str, now: Instant) -> String {
        let mut bytes = [0_u8; SESSION_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let value: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.entries_max {
            entries.retain(|_, entry| entry.expires_at > now);
        }
        if entries.len() >= self.entries_max {
            // Still full of live sessions: the one closest to expiry loses the least.
            let oldest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.expires_at)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            value.clone(),
            Entry {
                slug: slug.to_owned(),
                expires_at: now.checked_add(self.ttl).unwrap_or(now),
            },
        );
        assert!(entries.len() <= self.entries_max);
        value
    }

    /// Whether `value` is a live session for `slug` at `now`. An expired entry is removed.
    pub fn allows(&self, value: &str, slug: &str, now: Instant) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get(value) else {
            return false;
        };
        if entry.expires_at <= now {
            entries.remove(value);
            return false;
        }
        entry.slug == slug
    }

    /// Sessions held now, live or not yet swept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no session is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opens_its_article_until_it_expires() {
        let store = ReaderSessions::new(4, Duration::from_secs(600));
        let t0 = Instant::now();
        let value = store.open("markets", t0);
        assert_eq!(value.len(), 64);
        assert!(store.allows(&value, "markets", t0));
        assert!(store.allows(&value, "markets", t0 + Duration::from_secs(599)));
        assert!(!store.allows(&value, "harbour", t0));
        assert!(!store.allows("forged", "markets", t0));
        assert!(!store.allows(&value, "markets", t0 + Duration::from_secs(600)));
        // The expired entry was removed on sight.
        assert!(store.is_empty());
    }

    #[test]
    fn values_are_random() {
        let store = ReaderSessions::new(4, Duration::from_secs(600));
        let t0 = Instant::now();
        assert_ne!(store.open("markets", t0), store.open("markets", t0));
    }

    #[test]
    fn a_full_store_drops_expired_sessions_first() {
        let store = ReaderSessions::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        let old = store.open("markets", t0);
        let live = store.open("harbour", t0 + Duration::from_secs(5));
        let t1 = t0 + Duration::from_secs(12);
        let new = store.open("longread", t1);
        assert_eq!(store.len(), 2);
        assert!(!store.allows(&old, "markets", t1));
        assert!(store.allows(&live, "harbour", t1));
        assert!(store.allows(&new, "longread", t1));
    }

    #[test]
    fn a_full_store_of_live_sessions_drops_the_oldest() {
        let store = ReaderSessions::new(2, Duration::from_secs(10));
        let t0 = Instant::now();
        let first = store.open("markets", t0);
        let second = store.open("harbour", t0 + Duration::from_secs(1));
        let third = store.open("longread", t0 + Duration::from_secs(2));
        let t1 = t0 + Duration::from_secs(3);
        assert_eq!(store.len(), 2);
        assert!(!store.allows(&first, "markets", t1));
        assert!(store.allows(&second, "harbour", t1));
        assert!(store.allows(&third, "longread", t1));
    }
}
