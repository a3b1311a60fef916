//! Growing delays for guesses: the sign-in and registration throttles, one per key kind (an
//! e-mail, a client address). Pure: no clock, no I/O, no randomness; `now` is an argument, so
//! tests drive it with the manual clock and the same calls give the same answers.
//!
//! An attempt is *reserved* when it starts, before the password hash runs, and resolved when
//! it ends: as a failure (counted), given back (not counted), or forgotten (a success clears
//! the key's failures). Counting at the start is what makes the limit hold under concurrency:
//! 200 guesses sent at once cannot all pass the check before the first failure is recorded,
//! because each in-flight reservation already counts against the allowance.
//!
//! Within the allowance (`failures_max` failures) attempts are free. Past it, each further
//! failure doubles the wait before the next attempt, from `BACKOFF_FIRST_MS` up to the window:
//! growing delays, never a lock. The failures are forgotten a whole window after the last
//! back-off ended, so an attacker who keeps guessing keeps meeting the longest delay, while a
//! member locked out by someone else waits at most one window. Rejected alternative: a hard
//! lock after N failures, which lets anyone lock any member out by guessing wrong on purpose.
//!
//! Memory is bounded: at most `keys_max` keys are tracked; the key touched longest ago is
//! evicted first (an evicted key starts afresh, which costs an attacker `keys_max` fresher
//! keys to arrange). Keys without failures or attempts in flight are dropped at once.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::time::Timestamp;

/// The first delay past the allowance; each further failure doubles it, up to the window.
pub const BACKOFF_FIRST_MS: u64 = 1_000;

/// How many failures a key may have, and over what window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Failures (reservations in flight included) allowed before delays start; at least 1.
    pub failures_max: u32,
    /// The longest delay, and the quiet time after it that forgets the failures, ms.
    pub window_ms: u64,
}

/// An attempt refused: retry when `retry_at` has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The first instant the next attempt may be admitted (for `Retry-After`).
    pub retry_at: Timestamp,
}

impl Refused {
    /// Whole seconds from `now` until `retry_at`, at least 1 (for `Retry-After`).
    #[must_use]
    pub fn retry_after_s(&self, now: Timestamp) -> u32 {
        let ms = u64::try_from(self.retry_at.0.saturating_sub(now.0)).unwrap_or(0);
        let seconds = ms.div_ceil(1_000).max(1);
        u32::try_from(seconds).unwrap_or(u32::MAX)
    }
}

/// One key's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// Failures since they were last forgotten.
    failures: u32,
    /// When the last failure was recorded (the back-off runs from here).
    last_failure_at: Timestamp,
    /// Attempts reserved and not yet resolved.
    in_flight: u32,
    /// When the key was last touched: its place in the eviction order.
    touched_at: Timestamp,
}

/// The back-off after `failures` failures: none within the allowance, then
/// `BACKOFF_FIRST_MS` doubled per failure past it, capped at the window.
fn delay_ms(rule: Rule, failures: u32) -> u64 {
    let Some(excess) = failures.checked_sub(rule.failures_max) else {
        return 0;
    };
    // 2^40 seconds is far beyond any window; past it the shift would lose bits.
    let doubled = if excess < 40 {
        BACKOFF_FIRST_MS << excess
    } else {
        u64::MAX
    };
    doubled.min(rule.window_ms)
}

impl Entry {
    /// When the next attempt may start, going by the failures alone.
    fn allowed_at(&self, rule: Rule) -> Timestamp {
        self.last_failure_at.plus_ms(delay_ms(rule, self.failures))
    }

    /// Forgets the failures once a whole window has passed since the back-off ended.
    fn expire(&mut self, rule: Rule, now: Timestamp) {
        if self.failures > 0 && now >= self.allowed_at(rule).plus_ms(rule.window_ms) {
            self.failures = 0;
        }
    }

    fn is_empty(&self) -> bool {
        self.failures == 0 && self.in_flight == 0
    }
}

/// Attempts and failures per key, with growing delays; see the module docs.
#[derive(Debug)]
pub struct Throttle<K> {
    rule: Rule,
    keys_max: usize,
    entries: BTreeMap<K, Entry>,
    /// `(touched_at, key)` of every entry: the stalest first, for eviction.
    by_touch: BTreeSet<(Timestamp, K)>,
}

impl<K: Ord + Copy> Throttle<K> {
    /// An empty throttle tracking at most `keys_max` keys (at least 1).
    ///
    /// # Panics
    /// When `keys_max` or `rule.failures_max` is zero (the configuration refuses both).
    #[must_use]
    pub fn new(rule: Rule, keys_max: usize) -> Throttle<K> {
        assert!(keys_max > 0, "a throttle tracks at least one key");
        assert!(
            rule.failures_max > 0,
            "a throttle allows at least one failure"
        );
        Throttle {
            rule,
            keys_max,
            entries: BTreeMap::new(),
            by_touch: BTreeSet::new(),
        }
    }

    /// Keys tracked now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is tracked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reserves an attempt for `key` at `now`, before any work is done for it.
    ///
    /// # Errors
    /// `Refused` with the instant to retry at, when the key's failures and the attempts in
    /// flight have used the allowance and the back-off has not passed (past the allowance,
    /// only one attempt at a time is admitted).
    pub fn reserve(&mut self, key: K, now: Timestamp) -> Result<(), Refused> {
        let rule = self.rule;
        let mut entry = self.take(key).unwrap_or(Entry {
            failures: 0,
            last_failure_at: now,
            in_flight: 0,
            touched_at: now,
        });
        entry.expire(rule, now);
        let pending = entry.failures.saturating_add(entry.in_flight);
        let admitted = if pending < rule.failures_max {
            Ok(())
        } else if entry.in_flight > 0 {
            // The outcome of the attempts in flight decides the next delay; they end within
            // a hash's time, so a second is a fair wait.
            Err(Refused {
                retry_at: now.plus_ms(BACKOFF_FIRST_MS),
            })
        } else {
            let allowed_at = entry.allowed_at(rule);
            if now >= allowed_at {
                Ok(())
            } else {
                Err(Refused {
                    retry_at: allowed_at,
                })
            }
        };
        if admitted.is_ok() {
            entry.in_flight = entry.in_flight.saturating_add(1);
        }
        self.put(key, entry, now);
        admitted
    }

    /// The reserved attempt failed: it counts, and past the allowance it pushes the next
    /// attempt further out.
    pub fn record_failure(&mut self, key: K, now: Timestamp) {
        let mut entry = self.take(key).unwrap_or(Entry {
            failures: 0,
            last_failure_at: now,
            in_flight: 1,
            touched_at: now,
        });
        entry.in_flight = entry.in_flight.saturating_sub(1);
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure_at = now;
        self.put(key, entry, now);
    }

    /// The reserved attempt is given back uncounted; earlier failures stay.
    pub fn give_back(&mut self, key: K, now: Timestamp) {
        if let Some(mut entry) = self.take(key) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            self.put(key, entry, now);
        }
    }

    /// The reserved attempt succeeded: it is given back and the key's failures forgotten.
    pub fn forget(&mut self, key: K, now: Timestamp) {
        if let Some(mut entry) = self.take(key) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            entry.failures = 0;
            self.put(key, entry, now);
        }
    }

    fn take(&mut self, key: K) -> Option<Entry> {
        let entry = self.entries.remove(&key)?;
        self.by_touch.remove(&(entry.touched_at, key));
        Some(entry)
    }

    /// Stores `entry` as touched at `now` (dropping it when it holds nothing), evicting the
    /// stalest keys beyond `keys_max`.
    fn put(&mut self, key: K, mut entry: Entry, now: Timestamp) {
        if entry.is_empty() {
            return;
        }
        entry.touched_at = entry.touched_at.max(now);
        while self.entries.len() >= self.keys_max {
            let Some((_, stalest)) = self.by_touch.pop_first() else {
                break;
            };
            self.entries.remove(&stalest);
        }
        self.by_touch.insert((entry.touched_at, key));
        self.entries.insert(key, entry);
        debug_assert_eq!(self.entries.len(), self.by_touch.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        failures_max: 3,
        window_ms: 60_000,
    };
    const T0: Timestamp = Timestamp(1_000_000);

    fn fail(throttle: &mut Throttle<u32>, key: u32, now: Timestamp) {
        assert_eq!(throttle.reserve(key, now), Ok(()));
        throttle.record_failure(key, now);
    }

    #[test]
    fn the_allowance_is_free_then_delays_double_up_to_the_window() {
        let mut throttle = Throttle::new(RULE, 10);
        for _ in 0..3 {
            fail(&mut throttle, 7, T0);
        }
        // The 4th attempt waits the first delay, measured from the last failure.
        assert_eq!(
            throttle.reserve(7, T0),
            Err(Refused {
                retry_at: T0.plus_ms(1_000)
            })
        );
        assert_eq!(
            throttle.reserve(7, T0.plus_ms(999)),
            Err(Refused {
                retry_at: T0.plus_ms(1_000)
            })
        );
        let mut now = T0.plus_ms(1_000);
        let mut expected_delay = 2_000;
        for _ in 0..8 {
            fail(&mut throttle, 7, now);
            let refused = throttle.reserve(7, now).unwrap_err();
            assert_eq!(refused.retry_at, now.plus_ms(expected_delay));
            now = refused.retry_at;
            expected_delay = (expected_delay * 2).min(RULE.window_ms);
        }
        assert_eq!(expected_delay, RULE.window_ms, "the delay reached its cap");
        // Other keys are not affected.
        assert_eq!(throttle.reserve(8, T0), Ok(()));
    }

    #[test]
    fn attempts_in_flight_count_against_the_allowance() {
        let mut throttle = Throttle::new(RULE, 10);
        for _ in 0..3 {
            assert_eq!(throttle.reserve(1, T0), Ok(()));
        }
        // A fourth concurrent attempt is refused before any of the three has failed.
        assert!(throttle.reserve(1, T0).is_err());
        for _ in 0..3 {
            throttle.record_failure(1, T0);
        }
        // Past the allowance one attempt at a time: a second one waits for the first.
        let later = T0.plus_ms(1_000);
        assert_eq!(throttle.reserve(1, later), Ok(()));
        assert_eq!(
            throttle.reserve(1, later),
            Err(Refused {
                retry_at: later.plus_ms(BACKOFF_FIRST_MS)
            })
        );
    }

    #[test]
    fn a_success_forgets_failures_and_a_give_back_keeps_them() {
        let mut throttle = Throttle::new(RULE, 10);
        fail(&mut throttle, 1, T0);
        fail(&mut throttle, 1, T0);
        assert_eq!(throttle.reserve(1, T0), Ok(()));
        throttle.give_back(1, T0);
        // Two failures kept: one attempt left.
        assert_eq!(throttle.reserve(1, T0), Ok(()));
        assert!(throttle.reserve(1, T0).is_err());
        throttle.forget(1, T0);
        assert!(throttle.is_empty(), "nothing left to remember");
        for _ in 0..3 {
            fail(&mut throttle, 1, T0);
        }
        assert!(throttle.reserve(1, T0).is_err());
    }

    #[test]
    fn failures_are_forgotten_a_window_after_the_back_off() {
        let mut throttle = Throttle::new(RULE, 10);
        for _ in 0..4 {
            throttle.reserve(1, T0).ok();
            throttle.record_failure(1, T0);
        }
        // Four failures: the back-off ends at +2 s; a window after that they are forgotten.
        let forgotten = T0.plus_ms(2_000 + RULE.window_ms);
        fail(&mut throttle, 1, forgotten.minus_ms(1));
        assert!(
            throttle.reserve(1, forgotten.minus_ms(1)).is_err(),
            "one step away: still counted"
        );
        let mut fresh = Throttle::new(RULE, 10);
        for _ in 0..4 {
            fresh.reserve(1, T0).ok();
            fresh.record_failure(1, T0);
        }
        for _ in 0..3 {
            fail(&mut fresh, 1, forgotten);
        }
        assert!(fresh.reserve(1, forgotten).is_err());
    }

    #[test]
    fn the_stalest_key_is_evicted_at_the_cap() {
        let mut throttle = Throttle::new(RULE, 3);
        for key in 0..10_000 {
            fail(&mut throttle, 100 + key, T0.plus_ms(20));
        }
        assert_eq!(throttle.len(), 3, "never more than keys_max");
        // Key 1 is the stalest when key 3 arrives: it is evicted and starts afresh, while
        // key 2, touched later, keeps its failures.
        let mut small = Throttle::new(RULE, 2);
        for _ in 0..3 {
            fail(&mut small, 1, T0);
            fail(&mut small, 2, T0.plus_ms(1));
        }
        assert!(small.reserve(1, T0).is_err());
        fail(&mut small, 3, T0.plus_ms(2));
        assert!(small.reserve(2, T0.plus_ms(3)).is_err());
        assert_eq!(small.reserve(1, T0.plus_ms(3)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let refused = Refused {
            retry_at: T0.plus_ms(1_001),
        };
        assert_eq!(refused.retry_after_s(T0), 2);
        assert_eq!(refused.retry_after_s(T0.plus_ms(1_001)), 1);
        assert_eq!(delay_ms(RULE, 2), 0);
        assert_eq!(delay_ms(RULE, 3), 1_000);
        assert_eq!(delay_ms(RULE, u32::MAX), RULE.window_ms);
    }
}
