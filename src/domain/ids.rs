//! Identifier newtypes. On the wire an id is a prefix and 16 lower-case hex digits
//! (`acct_00c0ffee00c0ffee`); inside it is a `u64` so tokens and keys stay small.
//! Ids are drawn at the edge (random); the domain only compares them.

use std::fmt;
use std::str::FromStr;

/// A wire id did not have the expected prefix and 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed id: expected {expected_prefix}_ followed by 16 hex digits")]
pub struct IdError {
    /// The prefix the caller expected, for the error message.
    pub expected_prefix: &'static str,
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The wire prefix, without the underscore.
            pub const PREFIX: &'static str = $prefix;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{:016x}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                parse_prefixed(text, $prefix).map($name)
            }
        }
    };
}

fn parse_prefixed(text: &str, prefix: &'static str) -> Result<u64, IdError> {
    let error = IdError {
        expected_prefix: prefix,
    };
    let hex = text
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .ok_or(error)?;
    let well_formed =
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Err(error);
    }
    u64::from_str_radix(hex, 16).map_err(|_| error)
}

define_id!(
    /// A member account: owns wallets, entitlements, logins.
    AccountId, "acct"
);
define_id!(
    /// One login of an account (one per account now; sub-members later own theirs).
    LoginId, "login"
);
define_id!(
    /// A server-side session of one login.
    SessionId, "sess"
);
define_id!(
    /// A registered vendor.
    VendorId, "ven"
);
define_id!(
    /// One authorize outcome (a purchase or an already-owned grant).
    AuthorizationId, "auth"
);
define_id!(
    /// One entitlement of an account.
    EntitlementId, "ent"
);
define_id!(
    /// A deposit charged to a saved payment method: journaled as started before the
    /// processor is called, and the processor's idempotency key, so a retry after a crash
    /// finds the same charge rather than making a second one.
    DepositId, "dep"
);
define_id!(
    /// An offer a vendor posted: the transaction id of the buy window ([0181]).
    OfferId, "ofr"
);
define_id!(
    /// A member's cash-out of settled balance to a bank account ([0274]).
    CashOutId, "co"
);
define_id!(
    /// A transfer of money from one member to another ([0272]): journaled as sent on the
    /// sender's account, then as received on the recipient's, each exactly once.
    TransferId, "tr"
);
define_id!(
    /// An incentive program: a code, an amount per grant, a budget ([0174], [0212]).
    ProgramId, "prog"
);
define_id!(
    /// One incentive grant a member holds: spendable before paid balance ([0217]).
    GrantId, "grant"
);
define_id!(
    /// A group of vendors an operator defined; a group's incentives are spendable at any of
    /// them ([0190]).
    VendorGroupId, "vg"
);
define_id!(
    /// A rights holder (author, publisher, artist) whose royalties sales accrue ([0266]).
    RightsHolderId, "rh"
);
define_id!(
    /// One settlement run: what it paid and its payment file ([0152], [0205]).
    SettlementRunId, "run"
);
define_id!(
    /// One payout of a settlement run to one payee in one currency.
    PayoutId, "pay"
);
define_id!(
    /// A payment method the member saved: a card or a bank account, by its processor token.
    PaymentMethodId, "pm"
);

define_id!(
    /// A person who signs in to the back office ([0261]).
    OperatorId, "op"
);
define_id!(
    /// A named set of security functions an operator can be given ([0262]).
    SecurityGroupId, "sg"
);

define_id!(
    /// A back-office call held for a second person's approval ([0261]).
    ApprovalId, "apr"
);

/// Whose events these are. Every event belongs to exactly one owner, and only that owner's
/// actor appends it, so an owner's events form one ordered stream inside the journal (its
/// *position* counts them). A vendor's sales are its members' events, not its own: it folds
/// them from the journal's feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// A member account.
    Account(AccountId),
    /// A vendor.
    Vendor(VendorId),
    /// The incentive programs and vendor groups: one stream for the whole service, so
    /// program codes are unique and budgets are counted in one place.
    Programs,
    /// Rights holders, payees' settlement settings, settlement runs and their payouts: one
    /// stream, so one run at a time pays each payee from one count of what was paid.
    Settlement,
    /// What operators set for the whole service: dispute rules, security groups and
    /// operators. One stream, replayed whole at start.
    BackOffice,
    /// The audit trail of back-office calls: append-only, never replayed into memory (it is
    /// read through the journal when asked).
    Audit,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Account(id) => id.fmt(f),
            Owner::Vendor(id) => id.fmt(f),
            Owner::Programs => f.write_str("programs"),
            Owner::Settlement => f.write_str("settlement"),
            Owner::BackOffice => f.write_str("back-office"),
            Owner::Audit => f.write_str("audit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_wire_form() {
        let id = AccountId(0x00c0_ffee_0000_0001);
        assert_eq!(id.to_string(), "acct_00c0ffee00000001");
        assert_eq!("acct_00c0ffee00000001".parse::<AccountId>(), Ok(id));
    }

    #[test]
    fn refuses_wrong_prefix_length_and_case() {
        for bad in [
            "ven_00c0ffee00000001",
            "acct_00c0ffee0000001",
            "acct_00C0FFEE00000001",
            "acct00c0ffee00000001",
            "acct_+0c0ffee00000001",
            "",
        ] {
            assert!(bad.parse::<AccountId>().is_err(), "{bad}");
        }
    }
}
