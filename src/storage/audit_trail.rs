//! Reading the back office's audit trail out of the journal: a page of calls matching a
//! filter, each with its outcome. The trail is never held in memory (it only grows), so a
//! page is read through the owner index: a binary search finds where a time range starts,
//! and a bounded scan reads on from there.

use std::collections::BTreeMap;

use super::port::{Journal, StorageError};
use super::recovery::{RecoveryError, stream_end};
use crate::domain::audit::{AuditCall, AuditEvent};
use crate::domain::event::Event;
use crate::domain::ids::Owner;
use crate::domain::security::Staff;
use crate::domain::time::Timestamp;

/// Entries one page reads at most, matching or not: a filter that matches little answers a
/// short page and a place to read on rather than reading the whole trail.
pub const SCAN_MAX: u64 = 10_000;
/// Entries read past a page to find the outcomes of its calls.
const OUTCOME_LOOKAHEAD: u64 = 1_024;
/// Entries read from the journal at a time.
const CHUNK: usize = 256;

/// Which calls a reader wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this caller's.
    pub actor: Option<Staff>,
    /// Only this function's.
    pub function: Option<String>,
    /// Only those at or after this.
    pub from: Option<Timestamp>,
    /// Only those before this.
    pub to: Option<Timestamp>,
    /// Read on from this position (a previous page's `next`).
    pub cursor: Option<u64>,
    /// At most this many.
    pub limit: usize,
}

impl AuditFilter {
    fn matches(&self, call: &AuditCall) -> bool {
        self.actor
            .is_none_or(|actor| call.by.person() == actor.person())
            && self.function.as_ref().is_none_or(|f| call.function == *f)
            && self.from.is_none_or(|from| call.at >= from)
            && self.to.is_none_or(|to| call.at < to)
    }
}

/// One call of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its position in the trail.
    pub position: u64,
    /// The call.
    pub call: AuditCall,
    /// The HTTP status it answered; `None` when a crash left its outcome unknown (or it is
    /// still running).
    pub status: Option<u16>,
}

/// A page of the trail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditRecords {
    /// Calls in trail order.
    pub records: Vec<AuditRecord>,
    /// Where to read on; `None` at the trail's end.
    pub next: Option<u64>,
}

/// The first position whose entry is at or after `from`: entries are appended in time order
/// (one writer, one clock), so a binary search finds it without reading the trail.
fn first_at_or_after(journal: &dyn Journal, from: Timestamp) -> Result<u64, StorageError> {
    let mut low = 0_u64;
    let mut high = stream_end(journal, Owner::Audit).map_err(|error| match error {
        RecoveryError::Storage(error) => error,
        other => StorageError::Read(other.to_string()),
    })?;
    while low < high {
        let middle = low.saturating_add(high.saturating_sub(low) / 2);
        let found = journal.read_owner(Owner::Audit, middle, 1)?;
        match found.first().map(|recorded| recorded.event.at()) {
            Some(at) if at < from => low = middle.saturating_add(1),
            _ => high = middle,
        }
    }
    Ok(low)
}

/// Reads a page of the trail. Blocks on I/O: call it on the blocking pool.
///
/// # Errors
/// `Read` when the journal cannot be read.
pub fn read(journal: &dyn Journal, filter: &AuditFilter) -> Result<AuditRecords, StorageError> {
    let start = match (filter.cursor, filter.from) {
        (Some(cursor), _) => cursor,
        (None, Some(from)) => first_at_or_after(journal, from)?,
        (None, None) => 0,
    };
    let mut position = start;
    let mut calls: Vec<(u64, AuditCall)> = Vec::new();
    let mut outcomes: BTreeMap<u64, u16> = BTreeMap::new();
    let mut at_end = false;
    'scan: while position.saturating_sub(start) < SCAN_MAX {
        let chunk = journal.read_owner(Owner::Audit, position, CHUNK)?;
        if chunk.is_empty() {
            at_end = true;
            break;
        }
        for recorded in chunk {
            position = recorded.position.saturating_add(1);
            let Event::Audit(entry) = recorded.event.as_ref() else {
                continue;
            };
            match entry.as_ref() {
                AuditEvent::Called(call) if filter.matches(call) => {
                    calls.push((recorded.position, (**call).clone()));
                    if calls.len() >= filter.limit {
                        break 'scan;
                    }
                }
                AuditEvent::Called(_) => {}
                AuditEvent::Answered { call, status, .. } => {
                    outcomes.insert(*call, *status);
                }
            }
        }
    }
    // Outcomes come after their calls: read a little further for those of this page.
    let mut ahead = position;
    while calls.iter().any(|(at, _)| !outcomes.contains_key(at))
        && ahead.saturating_sub(position) < OUTCOME_LOOKAHEAD
    {
        let chunk = journal.read_owner(Owner::Audit, ahead, CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        for recorded in chunk {
            ahead = recorded.position.saturating_add(1);
            if let Event::Audit(entry) = recorded.event.as_ref()
                && let AuditEvent::Answered { call, status, .. } = entry.as_ref()
            {
                outcomes.insert(*call, *status);
            }
        }
    }
    Ok(AuditRecords {
        records: calls
            .into_iter()
            .map(|(position, call)| AuditRecord {
                position,
                status: outcomes.get(&position).copied(),
                call,
            })
            .collect(),
        next: (!at_end).then_some(position),
    })
}
