//! The member's statement ([0157], [0162]-[0164]; issue 14): every line of the account's
//! history, each with the balance after it, filtered and paged newest first.
//!
//! A line is derived from one event by [`line_of`] (what kind of line, which wallet, which
//! vendor) and [`balance_change`] (what it moved in the wallet), the same two functions the
//! daily mail's lines come from (`member_day`), so the statement and the mail never tell one
//! event two ways. [`lines`] walks events forward from the balances before them: the account
//! actor runs it on the events it appends (so the journal keeps each line beside its event,
//! in the same atomic write), and storage runs it once over an older journal that has no
//! lines yet.
//!
//! The query side is pure too: [`StatementQuery`] (filters, cursor, limit), which index a
//! query reads ([`StatementIndex`]), and [`collect_page`], the one loop that turns index
//! entries into a page under a scan budget. Every store runs that loop, so the fjall store and
//! the memory store answer the same pages, budget included.
//!
//! Pure: no I/O, no clock. Depends on the domain's events, ids, money and time.

use std::borrow::Borrow;

use super::event::{Event, Origin};
use super::ids::{EntitlementId, LoginId, VendorId};
use super::incentive::spent_total;
use super::money::{Amount, Balance, Currency, NetTotal};
use super::time::Timestamp;
use super::vec_map::VecMap;

/// What a line is: one word each in the daily mail, one wire name each on the statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKind {
    /// Content bought from a vendor (what the balance paid; incentives paid the rest).
    Purchase,
    /// Money added: a deposit credited or accepted.
    FundsAdded,
    /// Money received from another member.
    TransferIn,
    /// Money sent to another member.
    TransferOut,
    /// Money paid out to the member's bank account (charge included).
    CashOut,
    /// An incentive granted: worth its amount at purchases, no balance change.
    Incentive,
    /// A purchase disputed: the amount disputed, no balance change yet.
    Dispute,
    /// A disputed purchase refunded to the balance.
    CustomerCredit,
    /// A purchase reversed by the service or the vendor, or a bank debit returned.
    Reversal,
}

impl LineKind {
    /// Every kind, in declaration order.
    pub const ALL: [LineKind; 9] = [
        LineKind::Purchase,
        LineKind::FundsAdded,
        LineKind::TransferIn,
        LineKind::TransferOut,
        LineKind::CashOut,
        LineKind::Incentive,
        LineKind::Dispute,
        LineKind::CustomerCredit,
        LineKind::Reversal,
    ];

    /// The kind's stable name on the wire (`kind=` of the statement, and each line's `kind`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            LineKind::Purchase => "purchase",
            LineKind::FundsAdded => "funds",
            LineKind::TransferIn => "transfer_in",
            LineKind::TransferOut => "transfer_out",
            LineKind::CashOut => "cash_out",
            LineKind::Incentive => "incentive",
            LineKind::Dispute => "dispute",
            LineKind::CustomerCredit => "customer_credit",
            LineKind::Reversal => "reversal",
        }
    }

    /// The kind a wire name names, if any.
    #[must_use]
    pub fn from_code(code: &str) -> Option<LineKind> {
        LineKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// What `event` changes in a wallet's paid balance, signed; `None` when it moves no money in
/// a wallet. The same moves as the `balances` of [`super::totals::Totals::apply`].
#[must_use]
pub fn balance_change(event: &Event) -> Option<(Currency, NetTotal)> {
    let up = |currency: Currency, micros: u64| {
        NetTotal::ZERO
            .checked_add_amount(Amount::from_micros(micros))
            .map(|change| (currency, change))
    };
    let down = |currency: Currency, micros: u64| {
        NetTotal::ZERO
            .checked_sub_amount(Amount::from_micros(micros))
            .map(|change| (currency, change))
    };
    match event {
        Event::Deposited {
            currency, amount, ..
        }
        | Event::DepositCredited {
            currency, amount, ..
        }
        | Event::DepositAccepted {
            currency, amount, ..
        } => up(*currency, amount.micros()),
        Event::Authorized(authorized) => {
            let entitlement = &authorized.entitlement;
            let paid = entitlement
                .price
                .micros()
                .saturating_sub(spent_total(&authorized.incentives).micros());
            down(entitlement.currency, paid)
        }
        Event::Reversed {
            currency,
            refund,
            incentives,
            ..
        } => up(
            *currency,
            refund
                .micros()
                .saturating_sub(spent_total(incentives).micros()),
        ),
        Event::DepositReturned {
            currency,
            amount,
            debt,
            ..
        } => down(*currency, amount.micros().saturating_sub(debt.micros())),
        Event::DebtRepaid {
            currency, amount, ..
        }
        | Event::CashedOut {
            currency, amount, ..
        } => down(*currency, amount.micros()),
        Event::TransferSent(sent) => down(sent.currency, sent.amount.micros()),
        Event::TransferReceived(received) => up(received.currency, received.amount.micros()),
        _ => None,
    }
}

/// The line an event makes, before its balance: what the mail and the statement both show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LineShape {
    pub(crate) kind: LineKind,
    pub(crate) currency: Currency,
    /// The amount shown when it is not the balance change (a grant, a dispute).
    pub(crate) shown: Option<NetTotal>,
    pub(crate) vendor: Option<VendorId>,
    /// The login that made it, when the event says.
    pub(crate) login: Option<LoginId>,
    /// A purchase's title and content URL (empty for purchases journaled before they were
    /// kept, and for other kinds).
    pub(crate) title: String,
    pub(crate) content_url: String,
    /// A purchase's entitlement (what "My Content" joins the line to); `None` for other kinds.
    pub(crate) entitlement: Option<EntitlementId>,
    /// The content bought (its content key, for the mail), or a dispute's or reversal's
    /// reason.
    pub(crate) note: String,
}

impl LineShape {
    fn new(kind: LineKind, currency: Currency) -> LineShape {
        LineShape {
            kind,
            currency,
            shown: None,
            vendor: None,
            login: None,
            title: String::new(),
            content_url: String::new(),
            entitlement: None,
            note: String::new(),
        }
    }
}

/// The line an event makes, or `None` for events the member does not see as a transaction
/// (sessions, limits, a debt repaid out of a deposit: the deposit's line shows the money, and
/// the balance after the next line counts the repayment).
pub(crate) fn line_of(event: &Event) -> Option<LineShape> {
    let shown = |micros: u64| NetTotal::ZERO.checked_add_amount(Amount::from_micros(micros));
    Some(match event {
        Event::Authorized(authorized) => {
            let entitlement = &authorized.entitlement;
            LineShape {
                vendor: Some(authorized.vendor),
                login: Some(authorized.login),
                title: authorized.title.clone(),
                content_url: authorized.content_url.clone(),
                entitlement: Some(entitlement.id),
                note: entitlement.key.content.clone(),
                ..LineShape::new(LineKind::Purchase, entitlement.currency)
            }
        }
        // Deposits and cash-outs a member starts are the holder's alone ([0275]): `Running`
        // names the holder on them. An operator's deposit names no login.
        Event::Deposited { currency, .. }
        | Event::DepositCredited { currency, .. }
        | Event::DepositAccepted { currency, .. } => {
            LineShape::new(LineKind::FundsAdded, *currency)
        }
        Event::TransferReceived(received) => {
            LineShape::new(LineKind::TransferIn, received.currency)
        }
        Event::TransferSent(sent) => LineShape {
            login: Some(sent.login),
            ..LineShape::new(LineKind::TransferOut, sent.currency)
        },
        Event::CashedOut { currency, .. } => LineShape::new(LineKind::CashOut, *currency),
        Event::IncentiveGranted { grant, .. } => LineShape {
            shown: shown(grant.remaining.micros()),
            ..LineShape::new(LineKind::Incentive, grant.currency)
        },
        Event::DisputeFiled { dispute, .. } => LineShape {
            shown: shown(dispute.amount.micros()),
            vendor: Some(dispute.vendor),
            note: dispute.reason.to_string(),
            ..LineShape::new(LineKind::Dispute, dispute.currency)
        },
        Event::Reversed {
            currency,
            vendor,
            reason,
            by,
            ..
        } => {
            let kind = if *by == Origin::Dispute {
                LineKind::CustomerCredit
            } else {
                LineKind::Reversal
            };
            LineShape {
                vendor: Some(*vendor),
                note: reason.clone(),
                ..LineShape::new(kind, *currency)
            }
        }
        Event::DepositReturned { currency, .. } => LineShape::new(LineKind::Reversal, *currency),
        _ => return None,
    })
}

/// One line of the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// The event's position in the account's stream: unique within the account, so it is the
    /// line's id, and it orders lines of one instant.
    pub position: u64,
    /// When it happened.
    pub at: Timestamp,
    /// What it was.
    pub kind: LineKind,
    /// Its wallet's currency.
    pub currency: Currency,
    /// The signed amount shown: the balance change, or for lines that change no balance
    /// (incentive, dispute) the amount granted or disputed.
    pub amount: NetTotal,
    /// The wallet's paid balance after it.
    pub balance_after: NetTotal,
    /// The vendor it concerns, if any.
    pub vendor: Option<VendorId>,
    /// The login that made it, when the event says (purchases and transfers sent).
    pub login: Option<LoginId>,
    /// A purchase's title (empty for other kinds and for purchases journaled before titles
    /// were kept).
    pub title: String,
    /// A purchase's content URL (empty as the title is).
    pub content_url: String,
    /// A purchase's entitlement: the line is how "My Content" lists what the member owns
    /// (title, URL, who bought it) and the entitlement says whether it still opens. `None`
    /// for other kinds.
    pub entitlement: Option<EntitlementId>,
    /// A dispute's or reversal's reason; empty for other kinds.
    pub note: String,
}

impl StatementLine {
    /// The absolute amount, what `min` and `max` compare.
    #[must_use]
    pub fn magnitude(&self) -> u128 {
        self.amount.micros().unsigned_abs()
    }
}

/// A balance left 128 bits while walking events: impossible for one account's events (each
/// balance fits 64 bits), so the events given are not one account's in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the events do not add up to balances")]
pub struct StatementOverflow;

/// The lines of `events`, which take the positions from `first_position` on, walking forward
/// from the wallets' paid balances before the first of them (`balances_before`; a wallet not
/// named starts at zero). Events that make no line still move the running balances.
///
/// # Errors
/// [`StatementOverflow`] when a running balance leaves 128 bits (see there).
pub fn lines<E: Borrow<Event>>(
    balances_before: &[(Currency, Balance)],
    first_position: u64,
    events: &[E],
) -> Result<Vec<StatementLine>, StatementOverflow> {
    group_lines(balances_before, None, 0, first_position, events)
}

/// The lines of a group of events an account appends in one write (`holder` is the account's
/// holder login, named on the deposits and cash-outs members make): `balances_now` are the
/// wallets' paid balances with the first `already_applied` of `events` applied (a new
/// account's state is built from its opening event before the group is journaled) and the
/// rest not yet; the first event takes `first_position`. The walk starts from the balances
/// before the whole group: the balances now less what the applied events moved.
///
/// # Errors
/// [`StatementOverflow`] when a balance leaves 128 bits.
pub fn group_lines<E: Borrow<Event>>(
    balances_now: &[(Currency, Balance)],
    holder: Option<LoginId>,
    already_applied: usize,
    first_position: u64,
    events: &[E],
) -> Result<Vec<StatementLine>, StatementOverflow> {
    let mut running = Running::new(balances_now)?;
    running.holder = holder;
    for event in events.iter().take(already_applied).rev() {
        running.undo(event.borrow())?;
    }
    let mut out = Vec::new();
    for (position, event) in (first_position..).zip(events) {
        out.extend(running.line(position, event.borrow())?);
    }
    Ok(out)
}

/// One account's wallet balances walked forward event by event, each line carrying the
/// balance after it. A [`VecMap`]: a member has one to a few wallets, and building the lines
/// of an older journal keeps one of these per account at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Running {
    balances: VecMap<Currency, NetTotal>,
    /// The account's holder: learnt from the opening event when the walk starts there.
    holder: Option<LoginId>,
}

impl Running {
    /// Balances starting from `balances_before` (a wallet not named starts at zero).
    ///
    /// # Errors
    /// Never in practice: a `Balance` always fits; kept fallible so no conversion panics.
    pub fn new(balances_before: &[(Currency, Balance)]) -> Result<Running, StatementOverflow> {
        let mut balances = VecMap::new();
        for (currency, balance) in balances_before {
            let total = NetTotal::ZERO
                .checked_add_balance(*balance)
                .ok_or(StatementOverflow)?;
            balances.insert(*currency, total);
        }
        Ok(Running {
            balances,
            holder: None,
        })
    }

    /// Takes off again what `event` moved: for events already applied to the balances given
    /// to [`Running::new`] (walk them newest first).
    ///
    /// # Errors
    /// [`StatementOverflow`] when a balance leaves 128 bits.
    pub fn undo(&mut self, event: &Event) -> Result<(), StatementOverflow> {
        if let Some((currency, delta)) = balance_change(event) {
            let balance = self
                .balances
                .get_or_insert_with(currency, || NetTotal::ZERO);
            *balance = balance.checked_sub(delta).ok_or(StatementOverflow)?;
        }
        Ok(())
    }

    /// The account's holder, once the walk has seen its opening event (or was told it).
    #[must_use]
    pub fn holder(&self) -> Option<LoginId> {
        self.holder
    }

    /// Moves the balances by `event` (at `position`) and answers its line, if it makes one.
    ///
    /// # Errors
    /// [`StatementOverflow`] when a balance leaves 128 bits.
    pub fn line(
        &mut self,
        position: u64,
        event: &Event,
    ) -> Result<Option<StatementLine>, StatementOverflow> {
        let change = balance_change(event);
        if let Some((currency, delta)) = change {
            let balance = self
                .balances
                .get_or_insert_with(currency, || NetTotal::ZERO);
            *balance = balance.checked_add(delta).ok_or(StatementOverflow)?;
        }
        let made_by_holder = match event {
            Event::AccountOpened { login, .. } => {
                self.holder = Some(login.id);
                false
            }
            Event::DepositCredited { .. }
            | Event::DepositAccepted { .. }
            | Event::CashedOut { .. } => true,
            _ => false,
        };
        let Some(mut shape) = line_of(event) else {
            return Ok(None);
        };
        if made_by_holder {
            shape.login = self.holder;
        }
        let balance_after = self
            .balances
            .get(&shape.currency)
            .copied()
            .unwrap_or(NetTotal::ZERO);
        let amount = shape
            .shown
            .or(change.map(|(_, delta)| delta))
            .unwrap_or(NetTotal::ZERO);
        // The mail shows a purchase's content key as its note; the statement has the title
        // and URL for that, and keeps notes for reasons.
        let note = if shape.kind == LineKind::Purchase {
            String::new()
        } else {
            shape.note
        };
        Ok(Some(StatementLine {
            position,
            at: event.at(),
            kind: shape.kind,
            currency: shape.currency,
            amount,
            balance_after,
            vendor: shape.vendor,
            login: shape.login,
            title: shape.title,
            content_url: shape.content_url,
            entitlement: shape.entitlement,
            note,
        }))
    }
}

/// Whether lines of `kind` have kind index entries. Purchases do not: they are most of a
/// member's lines, so a purchase filter reads the lines themselves at nearly one hit an
/// entry, and a purchase is the hot path's write, which an entry would make one key longer.
#[must_use]
pub fn kind_indexed(kind: LineKind) -> bool {
    kind != LineKind::Purchase
}

/// The login whose index holds `line`, the account's holder being `holder`: the login that
/// made it, unless that is the holder. The holder makes most lines of most accounts (every
/// line of an account without sub-members), so a filter on the holder reads the lines
/// themselves at nearly one hit an entry ([`StatementQuery::index`]), and a holder's
/// purchase, the hot path's write, has one row fewer (the projector's and compactions'
/// work per purchase down by a third).
#[must_use]
pub fn login_indexed(line: &StatementLine, holder: Option<LoginId>) -> Option<LoginId> {
    line.login.filter(|login| Some(*login) != holder)
}

/// Where a page ends: the instant and position of the last line it covered. Lines are ordered
/// newest first by `(at, position)`, so the next page starts strictly after this pair. Opaque
/// on the wire (32 hex digits), so its form can change without breaking clients that only pass
/// it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementCursor {
    /// The instant of the last line covered.
    pub at: Timestamp,
    /// Its position.
    pub position: u64,
}

/// Hex digits of a cursor on the wire.
const CURSOR_HEX_DIGITS: usize = 32;

impl StatementCursor {
    /// The cursor just past `line`.
    #[must_use]
    pub fn after(line: &StatementLine) -> StatementCursor {
        StatementCursor {
            at: line.at,
            position: line.position,
        }
    }

    /// The cursor as the API prints it.
    #[must_use]
    pub fn encode(self) -> String {
        format!(
            "{:016x}{:016x}",
            u64::from_be_bytes(self.at.0.to_be_bytes()),
            self.position
        )
    }

    /// Reads a cursor printed by [`StatementCursor::encode`]; `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<StatementCursor> {
        let hex_only = text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        if text.len() != CURSOR_HEX_DIGITS || !hex_only {
            return None;
        }
        let (at, position) = text.split_at_checked(CURSOR_HEX_DIGITS / 2)?;
        let at = u64::from_str_radix(at, 16).ok()?;
        let position = u64::from_str_radix(position, 16).ok()?;
        Some(StatementCursor {
            at: Timestamp(i64::from_be_bytes(at.to_be_bytes())),
            position,
        })
    }
}

/// Lines a page holds at most (the wire's `limit` is 1 to this).
pub const STATEMENT_PAGE_MAX: usize = 100;
/// Lines a page holds unless `limit` says otherwise.
pub const STATEMENT_PAGE_DEFAULT: usize = 20;

/// Which lines a reader wants, and where to read on from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementQuery {
    /// Only lines at or after this instant.
    pub from: Option<Timestamp>,
    /// Only lines before this instant.
    pub to: Option<Timestamp>,
    /// Only lines concerning this vendor.
    pub vendor: Option<VendorId>,
    /// Only lines of this kind.
    pub kind: Option<LineKind>,
    /// Only lines this login made.
    pub login: Option<LoginId>,
    /// The account's holder login, set by the edge for a holder's reads: a `login` filter on
    /// the holder reads every line, as the holder's lines have no login entry
    /// ([`login_indexed`]). Not a filter.
    pub holder: Option<LoginId>,
    /// Only lines whose absolute amount is at least this.
    pub min: Option<Amount>,
    /// Only lines whose absolute amount is at most this.
    pub max: Option<Amount>,
    /// Read on after this (a previous page's `next`).
    pub cursor: Option<StatementCursor>,
    /// Lines on the page at most (1 to [`STATEMENT_PAGE_MAX`]; checked at the edge).
    pub limit: usize,
}

impl Default for StatementQuery {
    fn default() -> StatementQuery {
        StatementQuery {
            from: None,
            to: None,
            vendor: None,
            kind: None,
            login: None,
            holder: None,
            min: None,
            max: None,
            cursor: None,
            limit: STATEMENT_PAGE_DEFAULT,
        }
    }
}

impl StatementQuery {
    /// Whether `line` passes every filter (the cursor is a bound of the scan, not a filter).
    #[must_use]
    pub fn matches(&self, line: &StatementLine) -> bool {
        let magnitude = line.magnitude();
        self.from.is_none_or(|from| line.at >= from)
            && self.to.is_none_or(|to| line.at < to)
            && self.vendor.is_none_or(|vendor| line.vendor == Some(vendor))
            && self.kind.is_none_or(|kind| line.kind == kind)
            && self.login.is_none_or(|login| line.login == Some(login))
            && self
                .min
                .is_none_or(|min| magnitude >= u128::from(min.micros()))
            && self
                .max
                .is_none_or(|max| magnitude <= u128::from(max.micros()))
    }

    /// The index that answers this query reading the fewest entries: a vendor's lines are
    /// few among a member's, a login's fewer than all, a kind's still fewer than all, except
    /// purchases, most of a member's lines, which have no kind entry ([`kind_indexed`]), and
    /// the holder's, most of an account's, which have no login entry ([`login_indexed`]).
    /// (Rejected: an index per pair of filters, which multiplies the keys every line writes
    /// for queries members rarely make.)
    #[must_use]
    pub fn index(&self) -> StatementIndex {
        if let Some(vendor) = self.vendor {
            StatementIndex::Vendor(vendor)
        } else if let Some(login) = self.login.filter(|login| Some(*login) != self.holder) {
            StatementIndex::Login(login)
        } else if let Some(kind) = self.kind.filter(|kind| kind_indexed(*kind)) {
            StatementIndex::Kind(kind)
        } else {
            StatementIndex::All
        }
    }

    /// Whether the time range and the cursor leave anything to read.
    #[must_use]
    pub fn is_empty_range(&self) -> bool {
        match (self.from, self.to) {
            (Some(from), Some(to)) => from >= to,
            _ => false,
        }
    }
}

/// The index of an account's lines a query reads, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementIndex {
    /// Lines concerning one vendor.
    Vendor(VendorId),
    /// Lines one login made.
    Login(LoginId),
    /// Lines of one kind.
    Kind(LineKind),
    /// Every line.
    All,
}

impl StatementIndex {
    /// Whether the index holds `line`: what a store that keeps no index (memory) reads past
    /// without counting it against the scan budget, as the index would never have shown it.
    #[must_use]
    pub fn holds(self, line: &StatementLine) -> bool {
        match self {
            StatementIndex::Vendor(vendor) => line.vendor == Some(vendor),
            StatementIndex::Login(login) => line.login == Some(login),
            StatementIndex::Kind(kind) => line.kind == kind,
            StatementIndex::All => true,
        }
    }
}

/// A page of the statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementPage {
    /// Lines, newest first.
    pub lines: Vec<StatementLine>,
    /// Where to read on; `None` when the range is read to its end.
    pub next: Option<StatementCursor>,
    /// Index entries examined (for the metric).
    pub scanned: u64,
}

/// The one page loop of every store: reads index entries newest first (already bounded by
/// the query's range and cursor), fetches each entry's line, keeps those that match, and stops
/// at `query.limit` lines or after `scan_max` entries. A full page answers a cursor only when
/// another entry follows; a spent budget answers the cursor of the last entry examined, so
/// the next page resumes exactly there.
///
/// `entries` yields what the store reads from its index; `cursor_of` places an entry;
/// `fetch` reads an entry's line.
///
/// # Errors
/// The store's errors, from `entries` or `fetch`.
pub fn collect_page<T, E>(
    query: &StatementQuery,
    scan_max: u64,
    entries: impl Iterator<Item = Result<T, E>>,
    cursor_of: impl Fn(&T) -> StatementCursor,
    mut fetch: impl FnMut(T) -> Result<StatementLine, E>,
) -> Result<StatementPage, E> {
    // A limit of 0 would answer nothing forever; the edge refuses it, and here it reads as 1.
    let limit = query.limit.max(1);
    let mut page = StatementPage::default();
    for entry in entries {
        let entry = entry?;
        let cursor = cursor_of(&entry);
        if page.lines.len() >= limit {
            page.next = page.lines.last().map(StatementCursor::after);
            return Ok(page);
        }
        if page.scanned >= scan_max {
            return Ok(page);
        }
        page.scanned = page.scanned.saturating_add(1);
        // Set before the fetch, so a budget spent on the next entry resumes after this one.
        page.next = Some(cursor);
        let line = fetch(entry)?;
        if query.matches(&line) {
            page.lines.push(line);
        }
    }
    page.next = None;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entitlement::{ContentKey, Entitlement};
    use crate::domain::event::{Authorized, InTransit, Origin};
    use crate::domain::ids::{
        AccountId, AuthorizationId, EntitlementId, GrantId, SessionId, TransferId,
    };
    use crate::domain::incentive::{Funder, Grant, Reach};
    use crate::domain::royalty::SaleParties;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn deposit(micros: u64, at: i64) -> Event {
        Event::Deposited {
            account: AccountId(1),
            currency: usd(),
            amount: Amount::from_micros(micros),
            reference: format!("r{at}"),
            by: Origin::Admin,
            at: Timestamp(at),
        }
    }

    fn purchase(micros: u64, at: i64, vendor: u64, login: u64, spent: u64) -> Event {
        let incentives = if spent == 0 {
            Vec::new()
        } else {
            vec![Grant {
                id: GrantId(1),
                program: None,
                reach: Reach::Anywhere,
                funder: Funder::Msp,
                currency: usd(),
                remaining: Amount::from_micros(spent),
                granted_at: Timestamp(0),
                expires_at: None,
            }]
        };
        Event::Authorized(Box::new(Authorized {
            account: AccountId(1),
            authorization: AuthorizationId(at.unsigned_abs()),
            login: LoginId(login),
            session: SessionId(1),
            vendor: VendorId(vendor),
            entitlement: Entitlement {
                id: EntitlementId(at.unsigned_abs()),
                key: ContentKey {
                    vendor: VendorId(vendor),
                    content: format!("url:https://v.example/{at}"),
                },
                authorization: AuthorizationId(at.unsigned_abs()),
                price: Amount::from_micros(micros),
                currency: usd(),
                purchased_at: Timestamp(at),
                views_allowed: None,
                views_used: 0,
                expires_at: None,
                reversed_at: None,
            },
            idempotency: None,
            idempotency_expired: Vec::new(),
            offer: None,
            incentives,
            parties: SaleParties::default(),
            title: format!("Article {at}"),
            content_url: format!("https://v.example/{at}"),
            at: Timestamp(at),
        }))
    }

    fn sent(micros: u64, at: i64) -> Event {
        Event::TransferSent(Box::new(InTransit {
            transfer: TransferId(7),
            from: AccountId(1),
            login: LoginId(9),
            to: AccountId(2),
            currency: usd(),
            amount: Amount::from_micros(micros),
            note: String::new(),
            sent_at: Timestamp(at),
            at: Timestamp(at),
        }))
    }

    fn session_ended(at: i64) -> Event {
        Event::SessionEnded {
            account: AccountId(1),
            session: SessionId(1),
            at: Timestamp(at),
        }
    }

    #[test]
    fn lines_walk_forward_from_the_balances_before_with_positions() {
        let events = [
            deposit(10_000_000, 1),
            session_ended(2),
            purchase(250_000, 3, 5, 8, 0),
            sent(1_000_000, 4),
        ];
        let before = [(usd(), Balance::from_micros(500_000))];
        let lines = lines(&before, 40, &events).unwrap();
        assert_eq!(lines.len(), 3, "a session's end makes no line");
        assert_eq!(lines[0].position, 40);
        assert_eq!(lines[0].kind, LineKind::FundsAdded);
        assert_eq!(lines[0].amount, NetTotal::from_micros(10_000_000));
        assert_eq!(lines[0].balance_after, NetTotal::from_micros(10_500_000));
        assert_eq!(
            lines[1].position, 42,
            "positions count the events without lines"
        );
        assert_eq!(lines[1].kind, LineKind::Purchase);
        assert_eq!(lines[1].amount, NetTotal::from_micros(-250_000));
        assert_eq!(lines[1].balance_after, NetTotal::from_micros(10_250_000));
        assert_eq!(lines[1].vendor, Some(VendorId(5)));
        assert_eq!(lines[1].login, Some(LoginId(8)));
        assert_eq!(lines[1].title, "Article 3");
        assert_eq!(lines[1].content_url, "https://v.example/3");
        assert_eq!(lines[1].entitlement, Some(EntitlementId(3)));
        assert_eq!(
            lines[0].entitlement, None,
            "only purchases name an entitlement"
        );
        assert_eq!(
            lines[1].note, "",
            "the content key is the mail's, not the statement's"
        );
        assert_eq!(lines[2].kind, LineKind::TransferOut);
        assert_eq!(lines[2].login, Some(LoginId(9)));
        assert_eq!(lines[2].balance_after, NetTotal::from_micros(9_250_000));
        assert_eq!(lines[0].login, None, "deposits do not name their login yet");
    }

    #[test]
    fn a_group_with_events_already_applied_starts_from_the_balances_before_them() {
        // The actor's state has the first two events applied (+5, -1 from 0: 4 now), the
        // third (+2) not yet: the lines must read 5, 4, 6, not start from 4.
        let events = [
            deposit(5_000_000, 1),
            sent(1_000_000, 2),
            deposit(2_000_000, 3),
        ];
        let now = [(usd(), Balance::from_micros(4_000_000))];
        let lines = group_lines(&now, None, 2, 10, &events).unwrap();
        let after: Vec<i128> = lines
            .iter()
            .map(|line| line.balance_after.micros())
            .collect();
        assert_eq!(after, [5_000_000, 4_000_000, 6_000_000]);
        let positions: Vec<u64> = lines.iter().map(|line| line.position).collect();
        assert_eq!(positions, [10, 11, 12]);
        // Nothing applied yet: the balances now are the balances before.
        let lines = group_lines(&now, None, 0, 0, &events[2..]).unwrap();
        assert_eq!(lines[0].balance_after, NetTotal::from_micros(6_000_000));
    }

    #[test]
    fn a_purchase_paid_partly_by_an_incentive_shows_what_the_balance_paid() {
        let events = [purchase(300_000, 1, 5, 8, 100_000)];
        let lines = lines(&[(usd(), Balance::from_micros(1_000_000))], 0, &events).unwrap();
        assert_eq!(lines[0].amount, NetTotal::from_micros(-200_000));
        assert_eq!(lines[0].balance_after, NetTotal::from_micros(800_000));
    }

    #[test]
    fn the_walk_ends_where_the_wallet_is_and_agrees_with_the_backwards_walk() {
        // What `member_day` works out backwards from the balance now, `lines` works out
        // forwards from the balance before: the same line, the same balance after.
        let events = [deposit(7, 120), sent(3, 150)];
        let refs: Vec<&Event> = events.iter().collect();
        let now = [(usd(), Balance::from_micros(4))];
        let day = super::super::member_day::member_day(&refs, &now, Timestamp(0), Timestamp(999))
            .unwrap();
        let forward = lines(&[], 0, &events).unwrap();
        assert_eq!(day.lines.len(), forward.len());
        for (back, forth) in day.lines.iter().zip(&forward) {
            assert_eq!(back.amount, forth.amount);
            assert_eq!(back.balance_after, forth.balance_after);
            assert_eq!(back.kind, forth.kind);
        }
    }

    #[test]
    fn wire_names_are_stable_and_read_back() {
        let names: Vec<&str> = LineKind::ALL.iter().map(|kind| kind.code()).collect();
        assert_eq!(
            names,
            [
                "purchase",
                "funds",
                "transfer_in",
                "transfer_out",
                "cash_out",
                "incentive",
                "dispute",
                "customer_credit",
                "reversal"
            ]
        );
        for kind in LineKind::ALL {
            assert_eq!(LineKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(LineKind::from_code("Purchase"), None);
        assert_eq!(LineKind::from_code(""), None);
    }

    #[test]
    fn a_cursor_reads_back_and_anything_else_is_refused() {
        for cursor in [
            StatementCursor {
                at: Timestamp(1_800_000_000_000),
                position: 7,
            },
            StatementCursor {
                at: Timestamp(-5),
                position: u64::MAX,
            },
        ] {
            assert_eq!(StatementCursor::parse(&cursor.encode()), Some(cursor));
        }
        let good = StatementCursor {
            at: Timestamp(1),
            position: 0xab,
        }
        .encode();
        assert_eq!(good.len(), 32);
        assert_eq!(StatementCursor::parse(&good.to_uppercase()), None);
        assert_eq!(StatementCursor::parse(&good[1..]), None);
        assert_eq!(StatementCursor::parse(&format!("{good}0")), None);
        assert_eq!(StatementCursor::parse(&format!("+{}", &good[1..])), None);
        assert_eq!(StatementCursor::parse("not a cursor"), None);
        assert_eq!(StatementCursor::parse(""), None);
    }

    fn line(
        position: u64,
        at: i64,
        kind: LineKind,
        vendor: Option<u64>,
        micros: i128,
    ) -> StatementLine {
        StatementLine {
            position,
            at: Timestamp(at),
            kind,
            currency: usd(),
            amount: NetTotal::from_micros(micros),
            balance_after: NetTotal::ZERO,
            vendor: vendor.map(VendorId),
            login: None,
            title: String::new(),
            content_url: String::new(),
            entitlement: None,
            note: String::new(),
        }
    }

    #[test]
    fn each_filter_keeps_only_its_lines_and_the_range_is_half_open() {
        let bought = line(1, 100, LineKind::Purchase, Some(5), -250_000);
        let all = StatementQuery::default();
        assert!(all.matches(&bought));
        let query = |change: fn(&mut StatementQuery)| {
            let mut query = StatementQuery::default();
            change(&mut query);
            query.matches(&bought)
        };
        assert!(query(|q| q.from = Some(Timestamp(100))));
        assert!(!query(|q| q.from = Some(Timestamp(101))));
        assert!(!query(|q| q.to = Some(Timestamp(100))));
        assert!(query(|q| q.to = Some(Timestamp(101))));
        assert!(query(|q| q.vendor = Some(VendorId(5))));
        assert!(!query(|q| q.vendor = Some(VendorId(6))));
        assert!(query(|q| q.kind = Some(LineKind::Purchase)));
        assert!(!query(|q| q.kind = Some(LineKind::Reversal)));
        assert!(!query(|q| q.login = Some(LoginId(1))));
        // min and max compare the absolute amount, bounds included.
        assert!(query(|q| q.min = Some(Amount::from_micros(250_000))));
        assert!(!query(|q| q.min = Some(Amount::from_micros(250_001))));
        assert!(query(|q| q.max = Some(Amount::from_micros(250_000))));
        assert!(!query(|q| q.max = Some(Amount::from_micros(249_999))));
    }

    #[test]
    fn the_most_selective_index_is_chosen() {
        let mut query = StatementQuery {
            kind: Some(LineKind::Purchase),
            ..StatementQuery::default()
        };
        assert_eq!(
            query.index(),
            StatementIndex::All,
            "purchases have no kind entries"
        );
        query.kind = Some(LineKind::FundsAdded);
        assert_eq!(query.index(), StatementIndex::Kind(LineKind::FundsAdded));
        query.login = Some(LoginId(3));
        assert_eq!(query.index(), StatementIndex::Login(LoginId(3)));
        query.vendor = Some(VendorId(4));
        assert_eq!(query.index(), StatementIndex::Vendor(VendorId(4)));
        assert_eq!(StatementQuery::default().index(), StatementIndex::All);
    }

    /// Runs the page loop over `lines` (newest first), as a store without an index would.
    fn page_of(lines: &[StatementLine], query: &StatementQuery, scan_max: u64) -> StatementPage {
        let index = query.index();
        let entries = lines
            .iter()
            .filter(|line| index.holds(line))
            .filter(|line| {
                query
                    .cursor
                    .is_none_or(|cursor| (line.at, line.position) < (cursor.at, cursor.position))
            })
            .cloned()
            .map(Ok::<_, ()>);
        collect_page(query, scan_max, entries, StatementCursor::after, Ok).unwrap()
    }

    #[test]
    fn pages_cover_every_line_once_across_equal_instants() {
        // Newest first; three lines share the instant 50.
        let lines: Vec<StatementLine> = [(6, 60), (5, 50), (4, 50), (3, 50), (2, 20), (1, 10)]
            .into_iter()
            .map(|(position, at)| line(position, at, LineKind::FundsAdded, None, 1))
            .collect();
        let mut query = StatementQuery {
            limit: 2,
            ..StatementQuery::default()
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = page_of(&lines, &query, 1_000);
            pages += 1;
            seen.extend(page.lines.iter().map(|line| line.position));
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, [6, 5, 4, 3, 2, 1]);
        assert_eq!(pages, 3, "the last full page knows nothing follows");
    }

    #[test]
    fn a_spent_scan_budget_answers_a_cursor_that_resumes_where_it_stopped() {
        // Only every third line matches; a budget of 4 entries per page.
        let lines: Vec<StatementLine> = (1..=12)
            .rev()
            .map(|position| {
                let micros = if position % 3 == 0 { 1_000 } else { 1 };
                line(
                    position,
                    i64::try_from(position).unwrap(),
                    LineKind::FundsAdded,
                    None,
                    micros,
                )
            })
            .collect();
        let mut query = StatementQuery {
            min: Some(Amount::from_micros(1_000)),
            ..StatementQuery::default()
        };
        let first = page_of(&lines, &query, 4);
        assert_eq!(first.scanned, 4);
        let found: Vec<u64> = first.lines.iter().map(|line| line.position).collect();
        assert_eq!(found, [12, 9]);
        let next = first.next.unwrap();
        assert_eq!(next.position, 9, "the last entry examined");
        let mut seen = found;
        query.cursor = Some(next);
        loop {
            let page = page_of(&lines, &query, 4);
            seen.extend(page.lines.iter().map(|line| line.position));
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, [12, 9, 6, 3]);
    }
}
