//! Reading a span of time out of the journal: which accounts had events in it, and one
//! account's events from a position on. The daily summary mail uses both: it never holds
//! the day's events of everyone at once, only one position per active account.
//!
//! The journal is ordered by sequence, and events take their time from the clock of the actor
//! that decided them just before they were appended, so time follows sequence closely but not
//! exactly: two actors can append in the other order of their clocks. A binary search by time
//! is therefore made [`CLOCK_SKEW_MS`] early, and a scan reads on until that much after the
//! span, filtering each event by its own time.

use std::collections::BTreeMap;

use super::port::{Journal, Recorded, StorageError};
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, Owner};
use crate::domain::time::Timestamp;

/// How far apart in time two events appended in one order may be in the other: the wait of
/// an append in the journal's queue, far above its group-commit interval.
pub const CLOCK_SKEW_MS: u64 = 60_000;
/// Events read from the journal at a time.
const CHUNK: usize = 1_024;

/// The lowest sequence whose event, and every later one's, is at or after `at` (up to the
/// journal's ordering of time, see the module doc): `durable_seq + 1` when none is.
///
/// # Errors
/// `Read` when the journal cannot be read.
pub fn first_seq_at(journal: &dyn Journal, at: Timestamp) -> Result<u64, StorageError> {
    let (mut low, mut high) = (1_u64, journal.durable_seq().saturating_add(1));
    while low < high {
        let middle = low + (high - low) / 2;
        match journal.read_from(middle, 1)?.first() {
            Some(found) if found.event.at() < at => low = found.seq.saturating_add(1),
            _ => high = middle,
        }
    }
    Ok(low)
}

/// Every account with an event in `[from, to)`, with the position of its first event there.
/// Reads the journal from [`CLOCK_SKEW_MS`] before `from` to that much after `to`.
///
/// # Errors
/// `Read` when the journal cannot be read.
pub fn active_accounts(
    journal: &dyn Journal,
    from: Timestamp,
    to: Timestamp,
) -> Result<BTreeMap<AccountId, u64>, StorageError> {
    let mut active = BTreeMap::new();
    let stop = to.plus_ms(CLOCK_SKEW_MS);
    let mut next = first_seq_at(journal, from.minus_ms(CLOCK_SKEW_MS))?;
    loop {
        let chunk = journal.read_from(next, CHUNK)?;
        let Some(last) = chunk.last() else {
            break;
        };
        next = last.seq.saturating_add(1);
        for Recorded {
            position, event, ..
        } in &chunk
        {
            let at = event.at();
            if at >= stop {
                return Ok(active);
            }
            if let (Owner::Account(account), true) = (event.owner(), (from..to).contains(&at)) {
                active.entry(account).or_insert(*position);
            }
        }
    }
    Ok(active)
}

/// The account's events from `from_position` up to (not including) `until_position`, in
/// order; `None` when there are more than `max` of them (the caller leaves the account out
/// rather than hold an unbounded history).
///
/// # Errors
/// `Read` when the journal cannot be read.
pub fn account_events(
    journal: &dyn Journal,
    account: AccountId,
    from_position: u64,
    until_position: u64,
    max: usize,
) -> Result<Option<Vec<std::sync::Arc<Event>>>, StorageError> {
    let wanted = until_position.saturating_sub(from_position);
    if usize::try_from(wanted).map_or(true, |wanted| wanted > max) {
        return Ok(None);
    }
    let mut events = Vec::new();
    let mut next = from_position;
    while next < until_position {
        let remaining = usize::try_from(until_position - next).unwrap_or(CHUNK);
        let chunk = journal.read_owner(Owner::Account(account), next, remaining.min(CHUNK))?;
        let Some(last) = chunk.last() else {
            break;
        };
        next = last.position.saturating_add(1);
        events.extend(
            chunk
                .into_iter()
                .filter(|recorded| recorded.position < until_position)
                .map(|recorded| recorded.event),
        );
    }
    Ok(Some(events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Origin;
    use crate::domain::money::{Amount, Currency};
    use crate::storage::memory::MemoryStore;
    use crate::storage::port::Append;
    use std::sync::Arc;

    fn deposit(account: u64, at: i64) -> Arc<Event> {
        Arc::new(Event::Deposited {
            account: AccountId(account),
            currency: Currency::parse("USD").unwrap(),
            amount: Amount::from_micros(1),
            reference: format!("{account}-{at}"),
            by: Origin::Admin,
            at: Timestamp(at),
        })
    }

    #[test]
    fn the_accounts_of_a_span_are_found_by_time_with_their_first_position() {
        let journal = MemoryStore::default();
        let mut positions = BTreeMap::new();
        // Account 1 before the span, 2 and 3 in it (3 twice), 4 after it.
        for (account, at) in [
            (1, 1_000),
            (2, 200_000),
            (3, 210_000),
            (3, 220_000),
            (4, 400_000),
        ] {
            let position = positions.entry(account).or_insert(0_u64);
            let append = Append {
                holder: None,
                owner: Owner::Account(AccountId(account)),
                position: *position,
                events: vec![deposit(account, at)],
                statement: Vec::new(),
            };
            *position += 1;
            journal.append(append).unwrap().wait_blocking().unwrap();
        }
        assert_eq!(first_seq_at(&journal, Timestamp(200_000)).unwrap(), 2);
        assert_eq!(first_seq_at(&journal, Timestamp(0)).unwrap(), 1);
        assert_eq!(first_seq_at(&journal, Timestamp(500_000)).unwrap(), 6);
        let active = active_accounts(&journal, Timestamp(150_000), Timestamp(300_000)).unwrap();
        assert_eq!(
            active.into_iter().collect::<Vec<_>>(),
            vec![(AccountId(2), 0), (AccountId(3), 0)]
        );
        let events = account_events(&journal, AccountId(3), 0, 2, 10)
            .unwrap()
            .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].at(), Timestamp(220_000));
        assert!(
            account_events(&journal, AccountId(3), 0, 2, 1)
                .unwrap()
                .is_none()
        );
    }
}
