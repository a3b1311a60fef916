//! "My Content" (issue 14, [0163]): what a member owns, as the statement's purchase lines
//! joined with the entitlements the account holds.
//!
//! Why a join and not a list of entitlements: the entitlement knows whether content still
//! opens (expiry, views, reversal) but not which login bought it, its title or the URL it was
//! sold under; the purchase line knows those (it is written from the same `Authorized` event,
//! and names the entitlement) and is already indexed newest first with a cursor. So a page is
//! a page of purchase lines (a sub-member's own, as the statement gives them), and the account
//! answers the entitlements of that page in one message. (Rejected: keeping titles and URLs
//! in the entitlement, which would grow every account's in-memory state and snapshot by the
//! texts of everything it ever bought, to serve a page that is read rarely.)
//!
//! Reopening finds the purchase line of one entitlement through [`purchase_line_query`]: the
//! vendor's index at the one millisecond of the purchase, a range of a handful of entries,
//! so no extra index is kept for it.
//!
//! Pure: no I/O, no clock. Depends on the domain's entitlements and statement.

use std::collections::BTreeMap;

use super::entitlement::{Entitlement, EntitlementInvalid};
use super::ids::EntitlementId;
use super::statement::{LineKind, STATEMENT_PAGE_MAX, StatementLine, StatementQuery};
use super::time::Timestamp;

/// One item the member owns: the purchase line and the entitlement as the account holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedItem {
    /// The purchase line: title, vendor, login, content URL, when.
    pub line: StatementLine,
    /// The entitlement it bought.
    pub entitlement: EntitlementId,
    /// The entitlement as the account holds it; `None` when it holds it no longer.
    pub held: Option<Entitlement>,
}

impl OwnedItem {
    /// Why the item does not open at `now`, or `None` when it does. An entitlement the
    /// account no longer holds opens no more: shown as expired, the one reason that ends
    /// without anyone acting.
    #[must_use]
    pub fn unavailable(&self, now: Timestamp) -> Option<EntitlementInvalid> {
        match &self.held {
            Some(entitlement) => entitlement.invalid_reason(now),
            None => Some(EntitlementInvalid::Expired),
        }
    }
}

/// The entitlements a page of purchase lines names, in the lines' order (what the account is
/// asked for). Lines that name none (no purchase) are left out.
#[must_use]
pub fn entitlements_named(lines: &[StatementLine]) -> Vec<EntitlementId> {
    lines.iter().filter_map(|line| line.entitlement).collect()
}

/// Joins purchase lines (newest first) with the entitlements the account answered for them.
/// A line that names no entitlement is no item (none is written so; an old row could be).
#[must_use]
pub fn join(lines: Vec<StatementLine>, held: Vec<Entitlement>) -> Vec<OwnedItem> {
    let mut by_id: BTreeMap<EntitlementId, Entitlement> = held
        .into_iter()
        .map(|entitlement| (entitlement.id, entitlement))
        .collect();
    lines
        .into_iter()
        .filter_map(|line| {
            let entitlement = line.entitlement?;
            // Each purchase has its own entitlement; `remove` also keeps a repeated id (which
            // no journal writes) from showing one entitlement twice as open.
            let held = by_id.remove(&entitlement);
            Some(OwnedItem {
                line,
                entitlement,
                held,
            })
        })
        .collect()
}

/// The query that finds `entitlement`'s purchase line: the selling vendor's purchases at the
/// very millisecond it was bought (the line's instant is the purchase's), so the range holds
/// the purchases of that vendor in that millisecond and nothing else. The caller narrows it to
/// the caller's own login as for any statement read.
#[must_use]
pub fn purchase_line_query(entitlement: &Entitlement) -> StatementQuery {
    StatementQuery {
        vendor: Some(entitlement.key.vendor),
        kind: Some(LineKind::Purchase),
        from: Some(entitlement.purchased_at),
        to: Some(entitlement.purchased_at.plus_ms(1)),
        limit: STATEMENT_PAGE_MAX,
        ..StatementQuery::default()
    }
}

/// The line of `entitlement` among `lines`, if there.
#[must_use]
pub fn line_of_entitlement(
    lines: Vec<StatementLine>,
    entitlement: EntitlementId,
) -> Option<StatementLine> {
    lines
        .into_iter()
        .find(|line| line.entitlement == Some(entitlement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entitlement::ContentKey;
    use crate::domain::ids::{AuthorizationId, LoginId, VendorId};
    use crate::domain::money::{Amount, Currency, NetTotal};

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn line(position: u64, entitlement: Option<u64>) -> StatementLine {
        StatementLine {
            position,
            at: Timestamp(1_000),
            kind: LineKind::Purchase,
            currency: usd(),
            amount: NetTotal::from_micros(-1),
            balance_after: NetTotal::ZERO,
            vendor: Some(VendorId(5)),
            login: Some(LoginId(6)),
            title: format!("Story {position}"),
            content_url: format!("https://v.example/{position}"),
            entitlement: entitlement.map(EntitlementId),
            note: String::new(),
        }
    }

    fn entitlement(id: u64) -> Entitlement {
        Entitlement {
            id: EntitlementId(id),
            key: ContentKey {
                vendor: VendorId(5),
                content: format!("url:https://v.example/{id}"),
            },
            authorization: AuthorizationId(id),
            price: Amount::from_micros(1),
            currency: usd(),
            purchased_at: Timestamp(1_000),
            views_allowed: Some(2),
            views_used: 0,
            expires_at: Some(Timestamp(5_000)),
            reversed_at: None,
        }
    }

    #[test]
    fn lines_are_joined_in_order_and_a_missing_entitlement_reads_as_expired() {
        let lines = vec![line(3, Some(30)), line(2, None), line(1, Some(10))];
        assert_eq!(
            entitlements_named(&lines),
            [EntitlementId(30), EntitlementId(10)]
        );
        let items = join(lines, vec![entitlement(10)]);
        let positions: Vec<u64> = items.iter().map(|item| item.line.position).collect();
        assert_eq!(positions, [3, 1], "a line without entitlement is no item");
        assert_eq!(
            items[0].unavailable(Timestamp(1_000)),
            Some(EntitlementInvalid::Expired)
        );
        assert_eq!(items[1].unavailable(Timestamp(1_000)), None);
        assert_eq!(
            items[1].unavailable(Timestamp(5_000)),
            Some(EntitlementInvalid::Expired),
            "expiry is exclusive, as the access check has it"
        );
    }

    #[test]
    fn the_reasons_follow_the_access_check_s_order() {
        let mut held = entitlement(1);
        held.views_used = 2;
        let item = |held: &Entitlement| OwnedItem {
            line: line(1, Some(1)),
            entitlement: EntitlementId(1),
            held: Some(held.clone()),
        };
        let now = Timestamp(2_000);
        assert_eq!(
            item(&held).unavailable(now),
            Some(EntitlementInvalid::ViewsUsedUp)
        );
        held.reversed_at = Some(now);
        assert_eq!(
            item(&held).unavailable(Timestamp(9_000)),
            Some(EntitlementInvalid::Reversed),
            "reversed wins over expired"
        );
    }

    #[test]
    fn the_purchase_line_query_reads_one_vendor_s_one_millisecond() {
        let wanted = entitlement(7);
        let query = purchase_line_query(&wanted);
        let mut own = line(4, Some(7));
        assert!(query.matches(&own));
        own.at = Timestamp(1_001);
        assert!(!query.matches(&own), "the next millisecond is out");
        own.at = Timestamp(999);
        assert!(!query.matches(&own));
        assert_eq!(
            query.index(),
            crate::domain::statement::StatementIndex::Vendor(VendorId(5))
        );
        let found = line_of_entitlement(vec![line(5, Some(8)), line(4, Some(7))], EntitlementId(7));
        assert_eq!(found.map(|line| line.position), Some(4));
        assert_eq!(
            line_of_entitlement(vec![line(5, None)], EntitlementId(7)),
            None
        );
    }
}
