//! The members' statements, written off the journal's hot path.
//!
//! An account's statement lines travel with its events to the journal writer, which does not
//! write them with the events: once the events are durable, and before their acks are
//! released, it encodes their rows (each line under its key and in its index entries) into
//! this projection's buffer, one byte arena, and drops the lines. A projector thread then
//! sorts the places of the buffer's rows and writes them into the `statement` keyspace (in a
//! fjall database of its own, so that registering a table never holds the events' journal
//! lock) as one sorted table (fjall's ingestion), with the watermark row saying up to which
//! event sequence the keyspace is complete, when the buffer holds `rows_max` rows, every
//! `INGEST_INTERVAL`, and at shutdown.
//!
//! Why: written in the journal's batch, each row cost a skiplist insert in the keyspace's
//! memtable, its bytes in the fsynced journal and a memtable flush, on the writer thread the
//! purchase waits on: about 8 µs of the writer's CPU per purchase for three rows, and 11 µs
//! of the server's, on this 2-core VM (README, "the authorize path"). A sorted table skips
//! the journal and the memtable; the projector's sort and write cost a third of that, off the
//! writer's thread.
//!
//! Why the lines travel and the writer encodes them: encoded on the account's thread, each
//! line cost about ten allocations (its value, a copy per index entry, each key), freed on the
//! projector's thread, and block 11 of the authorize harness (README) put half of the
//! statement's cost there. Kept as lines until the projector encoded them, they held the
//! account threads' memory for seconds (README, block 17). Encoded by the writer: +1.6% of
//! the harness's throughput (±1.4%, block 18). In the arena a row costs no allocation, a line's
//! memory goes back as soon as its events are durable, and the account's thread encodes
//! nothing.
//!
//! Reads: a page copies the rows of its key range from the buffers (the one being filled and
//! the one being ingested) and merges them with the keyspace. The buffer is read before the
//! keyspace, so a row is always in one of them; a row in both (ingested while the page read)
//! is taken once.
//!
//! Crashes: the buffer is lost, the events are not. At start-up,
//! [`FjallStore::project_statement`](super::fjall_store::FjallStore::project_statement)
//! writes the rows of every event after the watermark again from the journal.
//!
//! Limits: the buffer holds `rows_max` rows before it is ingested; if the
//! projector falls behind (a table still being written), the writer waits once the buffer
//! holds `BACKLOG_FACTOR` times that, so the buffer's memory is bounded. A failed ingestion
//! poisons the journal (the server exits non-zero; start-up rebuilds from the watermark).
//!
//! May depend on: fjall, the storage format, parking_lot, metrics. Nothing above storage.

use std::ops::{Bound, Range, RangeBounds};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fjall::Keyspace;
use parking_lot::{Condvar, Mutex};

use super::count_to_f64;
use super::format::{self, KeyRange};
use crate::domain::ids::{AccountId, LoginId};
use crate::domain::statement::{StatementCursor, StatementLine};

/// Gauge: statement rows waiting in the buffer (the one filling and the one being written).
pub const METRIC_PENDING_ROWS: &str = "farthing_statement_pending_rows";
/// Histogram: seconds to sort and write one buffer as a table.
pub const METRIC_INGEST_SECONDS: &str = "farthing_statement_ingest_seconds";
/// Counter: statement rows written by the projector.
pub const METRIC_INGESTED_ROWS_TOTAL: &str = "farthing_statement_ingested_rows_total";

/// A buffer is written at least this often, so that a quiet server's rows reach the disk
/// (and a crash's rebuild stays short) without waiting for `rows_max` of them.
const INGEST_INTERVAL: Duration = Duration::from_secs(10);
/// How many times `rows_max` the buffer may hold while a table is being written before the
/// journal writer waits for it.
const BACKLOG_FACTOR: usize = 4;
/// Name of the projector thread, as seen in `top -H`.
const THREAD_NAME: &str = "farthing-statement";

/// A statement row: its key and value.
pub type Row = (Vec<u8>, Vec<u8>);

/// Statement lines of one account's append, on their way to the journal writer, which
/// encodes their rows into the projection's buffer once their events are durable.
pub struct AppendedLines {
    account: AccountId,
    /// The account's holder when they were appended: their lines have no login entry.
    holder: Option<LoginId>,
    lines: Vec<StatementLine>,
}

impl AppendedLines {
    /// The lines `account`, whose holder is `holder`, appended.
    #[must_use]
    pub fn new(account: AccountId, holder: Option<LoginId>, lines: Vec<StatementLine>) -> Self {
        AppendedLines {
            account,
            holder,
            lines,
        }
    }
}

/// Rows not yet in the keyspace, encoded by the journal writer as their events became
/// durable, in the order they were added (unsorted: the projector sorts a copy of their places).
#[derive(Default)]
struct Buffer {
    table: TableRows,
    /// Every event up to this sequence has its rows in this buffer or in the keyspace.
    through_seq: u64,
}

struct State {
    filling: Buffer,
    /// The buffer being written as a table: still read until the table is in.
    writing: Option<Arc<Buffer>>,
    /// The watermark the keyspace holds.
    stored_through: u64,
    stopping: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the projector (a full buffer, a stop) and a writer waiting for room.
    changed: Condvar,
    rows_max: usize,
    metrics: ProjectionMetrics,
}

/// Metric handles, registered once so that the journal writer does no registry lookup per
/// batch.
struct ProjectionMetrics {
    pending_rows: metrics::Gauge,
    ingest_seconds: metrics::Histogram,
    ingested_rows_total: metrics::Counter,
}

/// The handle the journal writer and statement reads use.
#[derive(Clone)]
pub struct Projection {
    shared: Arc<Shared>,
}

/// The projector thread; stop it after the journal writer.
pub struct Projector {
    shared: Arc<Shared>,
    thread: JoinHandle<()>,
}

impl Projection {
    /// Starts the projector writing into `keyspace`, whose watermark is `stored_through`, a
    /// table every `rows_max` rows (at least 1, checked by the caller with the other limits).
    /// A failed ingestion calls `on_failure` (which poisons the journal) and ends the thread.
    ///
    /// # Errors
    /// `Io` if the thread cannot be spawned.
    pub fn start(
        keyspace: Keyspace,
        stored_through: u64,
        rows_max: usize,
        on_failure: impl Fn() + Send + 'static,
    ) -> std::io::Result<(Projection, Projector)> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                filling: Buffer {
                    through_seq: stored_through,
                    ..Buffer::default()
                },
                writing: None,
                stored_through,
                stopping: false,
            }),
            changed: Condvar::new(),
            rows_max,
            metrics: ProjectionMetrics {
                pending_rows: metrics::gauge!(METRIC_PENDING_ROWS),
                ingest_seconds: metrics::histogram!(METRIC_INGEST_SECONDS),
                ingested_rows_total: metrics::counter!(METRIC_INGESTED_ROWS_TOTAL),
            },
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || project(&thread_shared, &keyspace, &on_failure))?;
        Ok((
            Projection {
                shared: Arc::clone(&shared),
            },
            Projector { shared, thread },
        ))
    }

    /// Adds the lines of durable events, every event up to `through_seq` included. Called
    /// by the journal writer before it releases the events' acks, so a page read after an ack
    /// sees them. Waits only while the projector is `BACKLOG_FACTOR` buffers behind.
    pub fn add(&self, appended: impl Iterator<Item = AppendedLines>, through_seq: u64) {
        let mut state = self.shared.state.lock();
        let backlog = self.shared.rows_max.saturating_mul(BACKLOG_FACTOR);
        while state.filling.table.len() >= backlog && state.writing.is_some() && !state.stopping {
            self.shared.changed.wait(&mut state);
        }
        for lines in appended {
            for line in &lines.lines {
                state
                    .filling
                    .table
                    .add_line(lines.account, lines.holder, line);
            }
        }
        state.filling.through_seq = state.filling.through_seq.max(through_seq);
        let pending = pending_rows(&state);
        let full = state.filling.table.len() >= self.shared.rows_max;
        drop(state);
        self.shared.metrics.pending_rows.set(count_to_f64(pending));
        if full {
            self.shared.changed.notify_all();
        }
    }

    /// The rows not yet in the keyspace whose keys fall in `range` (one account's, as a
    /// statement range is), sorted by key. Read before the keyspace (see the module's note).
    #[must_use]
    pub fn rows_in(&self, range: &KeyRange) -> Vec<Row> {
        // The journal writer waits for this lock: only the filling buffer is read under it;
        // the buffer being written (shared, no longer changing) after.
        let state = self.shared.state.lock();
        let writing = state.writing.clone();
        let mut rows: Vec<Row> = state.filling.table.rows_in(range).collect();
        drop(state);
        rows.extend(
            writing
                .iter()
                .flat_map(|buffer| buffer.table.rows_in(range)),
        );
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        rows.dedup_by(|a, b| a.0 == b.0);
        rows
    }
}

impl Projector {
    /// Writes what the buffer holds and the last watermark, and joins the thread. Call it
    /// once the journal writer has stopped. Answers `false` if the thread panicked.
    pub fn stop(self) -> bool {
        self.shared.state.lock().stopping = true;
        self.shared.changed.notify_all();
        self.thread.join().is_ok()
    }
}

/// The projector: waits for a full buffer, the interval or a stop, then writes the buffer.
fn project(shared: &Shared, keyspace: &Keyspace, on_failure: &dyn Fn()) {
    let mut last_ingest = Instant::now();
    // Kept from one table to the next, so that a steady flow of rows allocates nothing: the
    // arena of the last buffer written (when no page read still holds it), and the order.
    let mut spare = TableRows::default();
    let mut order = TableOrder::default();
    loop {
        let mut state = shared.state.lock();
        loop {
            let due = last_ingest.elapsed() >= INGEST_INTERVAL;
            if state.stopping
                || state.filling.table.len() >= shared.rows_max
                || (due && has_news(&state))
            {
                break;
            }
            if due {
                // Nothing to write: a new interval starts.
                last_ingest = Instant::now();
            }
            let wait = INGEST_INTERVAL.saturating_sub(last_ingest.elapsed());
            shared.changed.wait_for(&mut state, wait);
        }
        if !has_news(&state) {
            // Only a stop ends the wait with nothing to write.
            return;
        }
        let through_seq = state.filling.through_seq;
        let buffer = Arc::new(std::mem::replace(
            &mut state.filling,
            Buffer {
                table: std::mem::take(&mut spare),
                through_seq,
            },
        ));
        state.writing = Some(Arc::clone(&buffer));
        drop(state);

        let started = Instant::now();
        let written = buffer
            .table
            .write(keyspace, Some(buffer.through_seq), &mut order);
        last_ingest = Instant::now();
        let mut state = shared.state.lock();
        if let Err(error) = written {
            // The buffer stays readable; the server exits, and start-up writes these rows
            // again from the journal.
            tracing::error!(%error, "writing statement rows failed; poisoning the journal");
            state.stopping = true;
            drop(state);
            on_failure();
            shared.changed.notify_all();
            return;
        }
        state.writing = None;
        state.stored_through = buffer.through_seq;
        let pending = pending_rows(&state);
        drop(state);
        shared.changed.notify_all();
        shared.metrics.ingest_seconds.record(started.elapsed());
        shared
            .metrics
            .ingested_rows_total
            .increment(u64::try_from(buffer.table.len()).unwrap_or(u64::MAX));
        shared.metrics.pending_rows.set(count_to_f64(pending));
        // A page read may still hold the buffer; then its arena goes with the reader.
        if let Ok(stored) = Arc::try_unwrap(buffer) {
            spare = stored.table;
            spare.clear();
        }
    }
}

/// Whether the filling buffer holds rows or a watermark the keyspace does not.
fn has_news(state: &State) -> bool {
    !state.filling.table.is_empty() || state.filling.through_seq > state.stored_through
}

/// Rows for one sorted table, their keys and values in one byte arena: no allocation per row,
/// and a line's value encoded once for all its index entries.
#[derive(Default)]
pub struct TableRows {
    bytes: Vec<u8>,
    rows: Vec<RowPlace>,
}

/// The places of a table's rows sorted by key, each key once: kept from one write to the next
/// so that sorting allocates nothing. The rows themselves are not moved, so a buffer being
/// written stays readable.
#[derive(Default)]
pub struct TableOrder(Vec<RowPlace>);

/// Where a row's key and value are in the arena, and the key's head (see [`key_head`]).
#[derive(Clone)]
struct RowPlace {
    head: u128,
    key: Range<usize>,
    value: Range<usize>,
}

impl TableRows {
    /// Adds the rows of one line of `account`, whose holder is `holder`: the line under its
    /// key in each of its `format::statement_indexes`, its value encoded once.
    pub fn add_line(&mut self, account: AccountId, holder: Option<LoginId>, line: &StatementLine) {
        let value_start = self.bytes.len();
        format::extend_statement_line(&mut self.bytes, line);
        let value = value_start..self.bytes.len();
        let cursor = StatementCursor::after(line);
        for index in format::statement_indexes(holder, line) {
            let key_start = self.bytes.len();
            format::extend_statement_key(&mut self.bytes, account, index, cursor);
            self.place(key_start..self.bytes.len(), value.clone());
        }
    }

    /// Adds one row as stored (a backup copies rows).
    pub fn add_row(&mut self, key: &[u8], value: &[u8]) {
        let value_start = self.bytes.len();
        self.bytes.extend_from_slice(value);
        let key_start = self.bytes.len();
        self.bytes.extend_from_slice(key);
        self.place(key_start..self.bytes.len(), value_start..key_start);
    }

    /// Rows held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows whose keys fall in `range`, in the order they were added. Rows whose key head
    /// lies outside the heads of the range's bounds (other accounts' and other indexes' rows,
    /// nearly all of a full buffer) are passed over with two integer comparisons, without
    /// reading their keys.
    pub fn rows_in<'a>(&'a self, range: &'a KeyRange) -> impl Iterator<Item = Row> + 'a {
        let bound_head = |bound: &Bound<Vec<u8>>, unbounded: u128| match bound {
            Bound::Included(key) | Bound::Excluded(key) => key_head(key),
            Bound::Unbounded => unbounded,
        };
        let heads = bound_head(&range.0, 0)..=bound_head(&range.1, u128::MAX);
        let range: (Bound<&[u8]>, Bound<&[u8]>) = (
            range.0.as_ref().map(Vec::as_slice),
            range.1.as_ref().map(Vec::as_slice),
        );
        self.rows
            .iter()
            .filter(move |row| heads.contains(&row.head))
            .filter_map(move |row| {
                let key = self.at(&row.key);
                RangeBounds::<[u8]>::contains(&range, key)
                    .then(|| (key.to_vec(), self.at(&row.value).to_vec()))
            })
    }

    /// Drops the rows, keeping the arena's memory for the next table.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }

    /// Writes the rows (each key once), and the watermark when given, into `keyspace` as one
    /// sorted table, bypassing fjall's journal and memtable; the table is durable when this
    /// returns. Sorts places in `order`, not the rows, so a reader may share them meanwhile.
    ///
    /// # Errors
    /// fjall errors writing the table.
    pub fn write(
        &self,
        keyspace: &Keyspace,
        through_seq: Option<u64>,
        order: &mut TableOrder,
    ) -> Result<(), fjall::Error> {
        let order = &mut order.0;
        order.clone_from(&self.rows);
        order.sort_unstable_by(|a, b| {
            a.head
                .cmp(&b.head)
                .then_with(|| self.at(&a.key).cmp(self.at(&b.key)))
        });
        order.dedup_by(|a, b| self.at(&a.key) == self.at(&b.key));
        if order.is_empty() && through_seq.is_none() {
            return Ok(());
        }
        // The watermark goes in at its key's place. No line's key is the watermark's (each
        // starts with an index prefix), and a backup's copy leaves the stored watermark out.
        let watermark_at =
            order.partition_point(|row| self.at(&row.key) < format::STATEMENT_PROJECTED_KEY);
        debug_assert!(
            order
                .get(watermark_at)
                .is_none_or(|row| self.at(&row.key) != format::STATEMENT_PROJECTED_KEY),
            "a row under the watermark's key"
        );
        let (before, after) = order.split_at(watermark_at);
        let mut ingestion = keyspace.start_ingestion()?;
        for row in before {
            ingestion.write(self.at(&row.key), self.at(&row.value))?;
        }
        if let Some(through_seq) = through_seq {
            let value = format::statement_projected_value(through_seq);
            ingestion.write(format::STATEMENT_PROJECTED_KEY, &value)?;
        }
        for row in after {
            ingestion.write(self.at(&row.key), self.at(&row.value))?;
        }
        ingestion.finish()
    }

    fn at(&self, range: &Range<usize>) -> &[u8] {
        self.bytes.get(range.clone()).unwrap_or_default()
    }

    fn place(&mut self, key: Range<usize>, value: Range<usize>) {
        let head = key_head(self.at(&key));
        self.rows.push(RowPlace { head, key, value });
    }
}

/// The first 16 bytes of `key` (zero-padded) as a number whose order is theirs: sorting by it,
/// then by the whole key, is sorting by key, and most comparisons (the index, the account and
/// most of the rest differ there) are one integer comparison instead of a `memcmp` of two
/// places in the arena.
fn key_head(key: &[u8]) -> u128 {
    let mut head = [0_u8; 16];
    for (byte, from) in head.iter_mut().zip(key) {
        *byte = *from;
    }
    u128::from_be_bytes(head)
}

fn pending_rows(state: &State) -> usize {
    state.filling.table.len().saturating_add(
        state
            .writing
            .as_ref()
            .map_or(0, |buffer| buffer.table.len()),
    )
}

/// Merges two runs of rows sorted by key into one, a key found in both taken once (a row
/// the projector stored while the page read it).
pub fn merge_by_key<K: Ord, V, E>(
    pending: Vec<(K, V)>,
    stored: impl Iterator<Item = Result<(K, V), E>>,
) -> impl Iterator<Item = Result<(K, V), E>> {
    let mut pending = pending.into_iter().peekable();
    let mut stored = stored.peekable();
    std::iter::from_fn(move || {
        let take_pending = match (pending.peek(), stored.peek()) {
            (None, None) => return None,
            (Some(_), None | Some(Err(_))) => true,
            (None, Some(_)) => false,
            (Some((pending_key, _)), Some(Ok((stored_key, _)))) => {
                if pending_key == stored_key {
                    pending.next();
                    false
                } else {
                    pending_key < stored_key
                }
            }
        };
        if take_pending {
            pending.next().map(Ok)
        } else {
            stored.next()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{EntitlementId, VendorId};
    use crate::domain::money::{Currency, NetTotal};
    use crate::domain::statement::LineKind;
    use crate::domain::time::Timestamp;
    use std::collections::BTreeMap;

    fn line(position: u64, kind: LineKind, login: u64, title: &str) -> StatementLine {
        StatementLine {
            position,
            at: Timestamp(1_000),
            kind,
            currency: Currency::parse("USD").unwrap(),
            amount: NetTotal::from_micros(-250),
            balance_after: NetTotal::from_micros(9_750),
            vendor: Some(VendorId(5)),
            login: Some(LoginId(login)),
            title: title.to_owned(),
            content_url: format!("https://v.example/{position}"),
            entitlement: Some(EntitlementId(position)),
            note: String::new(),
        }
    }

    #[test]
    fn a_table_holds_each_line_s_rows_once_and_the_watermark()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = fjall::Database::builder(dir.path()).open()?;
        let keyspace = db.keyspace("statement", fjall::KeyspaceCreateOptions::default)?;
        // The holder's purchase, a sub-member's, funds added (kind-indexed), another
        // account's line at the same place, and a line added twice (a rebuild's overlap).
        let holder = Some(LoginId(1));
        let lines = [
            (AccountId(3), line(1, LineKind::Purchase, 1, "Mine")),
            (AccountId(3), line(2, LineKind::Purchase, 2, "The child's")),
            (AccountId(3), line(3, LineKind::FundsAdded, 1, "")),
            (AccountId(4), line(1, LineKind::Purchase, 1, "Theirs")),
            (AccountId(3), line(1, LineKind::Purchase, 1, "Mine")),
        ];
        let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = lines
            .iter()
            .flat_map(|(account, line)| format::statement_rows(*account, holder, line))
            .collect();
        expected.insert(
            format::STATEMENT_PROJECTED_KEY.to_vec(),
            format::statement_projected_value(9),
        );
        assert_eq!(
            expected.len(),
            2 + 3 + 3 + 2 + 1,
            "two rows per holder purchase"
        );

        let mut table = TableRows::default();
        for (account, line) in &lines {
            table.add_line(*account, holder, line);
        }
        assert_eq!(table.len(), 2 + 3 + 3 + 2 + 2);
        table.write(&keyspace, Some(9), &mut TableOrder::default())?;

        let stored = keyspace
            .iter()
            .map(|guard| {
                let (key, value) = guard.into_inner()?;
                Ok((key.to_vec(), value.to_vec()))
            })
            .collect::<Result<BTreeMap<_, _>, fjall::Error>>()?;
        assert_eq!(stored, expected);
        Ok(())
    }

    #[test]
    fn a_range_read_of_the_arena_finds_exactly_the_rows_in_range() {
        let holder = Some(LoginId(1));
        let mut table = TableRows::default();
        let mut all: Vec<Row> = Vec::new();
        for account in [AccountId(3), AccountId(4), AccountId(300)] {
            for position in 1..=6 {
                let kind = if position % 3 == 0 {
                    LineKind::FundsAdded
                } else {
                    LineKind::Purchase
                };
                let line = line(position, kind, 1 + position % 2, "Title");
                table.add_line(account, holder, &line);
                all.extend(format::statement_rows(account, holder, &line));
            }
        }
        let key = |prefix: u8, account: u64, tail: &[u8]| -> Vec<u8> {
            [vec![prefix], account.to_be_bytes().to_vec(), tail.to_vec()].concat()
        };
        let line_prefix = format::STATEMENT_LINE_PREFIX;
        let ranges: Vec<KeyRange> = vec![
            // One account's lines, whole and cut inside; another index; everything.
            (
                Bound::Included(key(line_prefix, 4, &[])),
                Bound::Excluded(key(line_prefix, 5, &[])),
            ),
            (
                Bound::Excluded(key(line_prefix, 3, &[0, 0, 0, 0, 0, 0, 0x03, 0xe8])),
                Bound::Included(key(line_prefix, 3, &[0xff; 20])),
            ),
            (
                Bound::Included(key(format::STATEMENT_VENDOR_PREFIX, 300, &[])),
                Bound::Unbounded,
            ),
            (Bound::Unbounded, Bound::Unbounded),
        ];
        for range in &ranges {
            let mut found: Vec<Row> = table.rows_in(range).collect();
            found.sort();
            let mut expected: Vec<Row> = all
                .iter()
                .filter(|(key, _)| range.contains(key))
                .cloned()
                .collect();
            expected.sort();
            expected.dedup();
            assert!(!expected.is_empty(), "{range:?} holds rows");
            assert_eq!(found, expected, "{range:?}");
        }
    }

    #[test]
    fn sorting_by_key_head_then_key_is_sorting_by_key() {
        // Keys shorter than the head, equal but for a trailing zero, differing only past the
        // head, and statement keys of two indexes and two accounts.
        let mut keys: Vec<Vec<u8>> = vec![
            b"p".to_vec(),
            Vec::new(),
            vec![0],
            vec![0, 0],
            vec![b'p', 0],
            vec![7; 16],
            [vec![7; 16], vec![0]].concat(),
            [vec![7; 16], vec![1]].concat(),
            [vec![7; 15], vec![8]].concat(),
            [vec![7; 17], vec![255]].concat(),
            vec![255; 20],
        ];
        for account in [3_u64, 300] {
            for prefix in [
                format::STATEMENT_LINE_PREFIX,
                format::STATEMENT_VENDOR_PREFIX,
            ] {
                for tail in [0_u64, 1, u64::MAX] {
                    keys.push(
                        [
                            vec![prefix],
                            account.to_be_bytes().to_vec(),
                            tail.to_be_bytes().to_vec(),
                        ]
                        .concat(),
                    );
                }
            }
        }
        let mut by_head = keys.clone();
        by_head.sort_unstable_by(|a, b| (key_head(a), a).cmp(&(key_head(b), b)));
        keys.sort_unstable();
        assert_eq!(by_head, keys);
    }

    #[test]
    fn a_merge_takes_each_key_once_in_order() {
        let row = |key: u8| (vec![key], vec![key]);
        let stored = [1, 3, 4, 6].map(|key| Ok::<_, ()>(row(key)));
        let merged: Result<Vec<_>, ()> =
            merge_by_key(vec![row(0), row(3), row(5), row(7)], stored.into_iter()).collect();
        let keys: Vec<u8> = merged
            .unwrap_or_default()
            .into_iter()
            .map(|(key, _)| key[0])
            .collect();
        assert_eq!(keys, [0, 1, 3, 4, 5, 6, 7]);
    }
}
