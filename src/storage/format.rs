//! The stored format: what events and snapshots look like on disk, as types of their own.
//!
//! Domain structs change as features land; what is on disk must not change with them by
//! accident. So nothing here derives its encoding from a domain struct: every stored value is
//! a `...V4` type below, converted from the domain by a pure function and back by one that
//! validates (an unknown currency or time zone, a broken invariant: `FormatError`, never a
//! panic, so data the server once accepted can never stop it from starting).
//!
//! Every encoded value starts with its format version byte, then the postcard encoding of its
//! stored type. A build reads the version it writes and, from this one on, the version before
//! it (add a `V5` set beside these and keep a decoder for `V4`). Postcard encodes enum variants
//! by index and struct fields in order: never reorder or remove a variant or a field of a
//! `V4` type; a change is a new version. `tests/golden` holds a data directory written in
//! this format, and a test reads it, so a change that breaks it fails the build.
//!
//! Key layouts (all integers big-endian, so keys sort by them):
//! - `events`: `seq` (u64) → record;
//! - `owners`: owner kind (`a` account, `v` vendor), owner id (u64), position (u64) → `seq`;
//! - `snapshots`: `a`/`v` + id → snapshot; `c` → the feed checkpoint; `m` + e-mail → account
//!   id; `r` + vendor id → the sequence of its registration; `d` → the deposits open at the
//!   checkpoint (absent in data written before deposits were journaled: none open).
//! - `statement` (the members' statements, written after their events are durable, see
//!   `statement_projection`):
//!   `s`, account (u64), `!at`, `!position` → the line (`StatementLineV4`); the indexes,
//!   each entry holding a copy of its line (covering: a filtered page is one range scan, no
//!   point read per line), `v`, account, vendor (u64), `!at`, `!position`; `k`, account,
//!   kind (u8), `!at`, `!position`; `l`, account, login (u64), `!at`, `!position` (only
//!   lines that name a vendor, or a login other than the holder, are in those two); `p` →
//!   the format version and the sequence up to which every event has its rows (the
//!   watermark; later events get theirs again from the journal at start-up). `!at` is the
//!   instant with its sign bit flipped, then every bit inverted, and `!position` the
//!   position inverted, so a forward scan reads the newest line first. The keyspace is in
//!   a fjall database of its own; a `statement` keyspace in the events' database (builds
//!   of 1 December 2026 morning and earlier) is dropped at open and built again.
//!
//! May depend on: the domain (to convert), postcard, serde. Nothing above storage.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod back_office;

use self::back_office::{
    AuditEventV4, BackOfficeEventV4, DisputeV4, StaffV4, audit, audit_v4, back_office,
    back_office_v4, dispute, dispute_v4, staff, staff_v4,
};
use crate::domain::account::{
    AccountState, IdempotencyRecord, Login, PendingDeposit, Referral, Session, SessionExpiry,
    TopOff, Wallet,
};
use crate::domain::entitlement::{ContentKey, Entitlement, Terms};
use crate::domain::event::{Authorized, Event, IdempotencyStamp, InTransit, Origin};
use crate::domain::fees::{
    CommissionRates, Exact, FeePeriod, FeeSchedule, FeeTier, Month, MonthSales, PPM_MAX,
    RateHistory,
};
use crate::domain::ids::{
    AccountId, AuthorizationId, CashOutId, DepositId, EntitlementId, GrantId, LoginId, OfferId,
    Owner, PaymentMethodId, PayoutId, ProgramId, RightsHolderId, SessionId, SettlementRunId,
    TransferId, VendorGroupId, VendorId,
};
use crate::domain::incentive::{Funder, Grant, Program, ProgramScope, Reach, VendorGroup};
use crate::domain::kept::{KeptOutcome, KeptRequest, MemberRoute};
use crate::domain::limits::{Limits, Spending};
use crate::domain::logins::LoginRole;
use crate::domain::money::{Amount, Balance, Currency, NetTotal, Total};
use crate::domain::offer::{IncentivePolicy, Offer, OfferBook};
use crate::domain::payment_method::{LEGACY_TEST_CARD_ID, Rail, SavedMethod};
use crate::domain::payouts::{Payee, Payout, SealedBank, SettlementEvent};
use crate::domain::royalty::{RightsHolder, Royalty, SaleParties, check_royalties};
use crate::domain::settlement::{PayoutRule, Schedule};
use crate::domain::statement::{
    self, LineKind, StatementCursor, StatementIndex, StatementLine, StatementQuery,
};
use crate::domain::step_up::{LoginStepUp, SecurityQuestion, StepUp};
use crate::domain::time::{MemberZone, Period, Timestamp};
use crate::domain::totals::{MemberTotals, Totals};
use crate::domain::vendor::{Ledger, VendorProfile, VendorState};
use crate::domain::vendor_standing::{VendorStanding, VendorStatus};

/// The format this build writes. Version 4 is the first stored as its own types, with events
/// only on the hot path and snapshots beside them; versions 1-3 (before the first release)
/// kept state rows and are refused by name at start-up.
pub const VERSION: u8 = 4;
/// The format this build writes, for messages and tools.
pub const FORMAT_VERSION: u8 = VERSION;
/// The version of account snapshots. Snapshots are caches of the journal, which keeps every
/// event: when the account's state gains a field, this version goes up, and a snapshot of an
/// older version is `Outdated` (the account is rebuilt from its events once, then snapshotted
/// anew), so no converter from an old snapshot is ever needed.
pub const ACCOUNT_SNAPSHOT_VERSION: u8 = 12;
/// The version of the feed checkpoint (the members' totals), a cache in the same way: an
/// older checkpoint is `Outdated`, and start-up folds the totals from the journal's start.
pub const CHECKPOINT_VERSION: u8 = 8;
/// The version of vendor snapshots, a cache in the same way: an older one is `Outdated`, and
/// the vendor's ledger is folded again from the journal.
pub const VENDOR_SNAPSHOT_VERSION: u8 = 9;

/// A stored value could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The version byte is one this build does not read.
    #[error("stored value of format {found}; this build reads format {VERSION}")]
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// The bytes do not decode, or decode to something invalid.
    #[error("stored value is corrupt: {0}")]
    Corrupt(&'static str),
    /// A snapshot of an older version: a cache to rebuild from the journal, not an error in
    /// the data.
    #[error("snapshot of the older version {found}: rebuilt from the journal")]
    Outdated {
        /// The version byte found.
        found: u8,
    },
}

/// The key prefix byte of an account's owner-index rows and snapshot.
pub const ACCOUNT_KIND: u8 = b'a';
/// The key prefix byte of a vendor's owner-index rows and snapshot.
pub const VENDOR_KIND: u8 = b'v';
/// The key prefix byte of the incentive programs' owner-index rows.
pub const PROGRAMS_KIND: u8 = b'p';
/// The key prefix byte of the settlement stream's owner-index rows.
pub const SETTLEMENT_KIND: u8 = b's';
/// The key prefix byte of the back office stream's owner-index rows.
pub const BACK_OFFICE_KIND: u8 = b'b';
/// The key prefix byte of the audit trail's owner-index rows.
pub const AUDIT_KIND: u8 = b'u';
/// The key of the feed checkpoint in `snapshots`.
pub const CHECKPOINT_KEY: &[u8] = b"c";
/// The prefix of the sign-in e-mail directory rows in `snapshots`.
pub const EMAIL_PREFIX: &[u8] = b"m";
/// The prefix of the vendor directory rows in `snapshots`.
pub const VENDOR_DIRECTORY_PREFIX: &[u8] = b"r";
/// The key, in `snapshots`, of the deposits open (started, not finished) at the checkpoint:
/// rewritten whole with every checkpoint, so start-up knows which deposits to resolve
/// without reading the journal before the checkpoint.
pub const OPEN_DEPOSITS_KEY: &[u8] = b"d";
/// Key of the row of transfers in transit at the checkpoint (written with it).
pub const OPEN_TRANSFERS_KEY: &[u8] = b"t";
/// Key of the row of grants waiting for the expiry sweep at the checkpoint.
pub const EXPIRING_GRANTS_KEY: &[u8] = b"x";
/// Bytes of an owner key: kind and id.
pub const OWNER_KEY_BYTES: usize = 9;
/// Bytes of an owner-index key: kind, id and position.
pub const OWNER_INDEX_KEY_BYTES: usize = 17;

/// The owner part of keys: kind byte, then the id.
#[must_use]
pub fn owner_key(owner: Owner) -> [u8; OWNER_KEY_BYTES] {
    let (kind, id) = match owner {
        Owner::Account(id) => (ACCOUNT_KIND, id.0),
        Owner::Vendor(id) => (VENDOR_KIND, id.0),
        Owner::Programs => (PROGRAMS_KIND, 0),
        Owner::Settlement => (SETTLEMENT_KIND, 0),
        Owner::BackOffice => (BACK_OFFICE_KIND, 0),
        Owner::Audit => (AUDIT_KIND, 0),
    };
    let mut key = [0; OWNER_KEY_BYTES];
    let (head, tail) = key.split_at_mut(1);
    head.copy_from_slice(&[kind]);
    tail.copy_from_slice(&id.to_be_bytes());
    key
}

/// The owner-index key of one owner's event at `position`.
#[must_use]
pub fn owner_index_key(owner: Owner, position: u64) -> [u8; OWNER_INDEX_KEY_BYTES] {
    let mut key = [0; OWNER_INDEX_KEY_BYTES];
    let (head, tail) = key.split_at_mut(OWNER_KEY_BYTES);
    head.copy_from_slice(&owner_key(owner));
    tail.copy_from_slice(&position.to_be_bytes());
    key
}

/// Reads the owner and position back from an owner-index key.
#[must_use]
pub fn split_owner_index_key(key: &[u8]) -> Option<(Owner, u64)> {
    let (&kind, rest) = key.split_first()?;
    let (id, position) = rest.split_first_chunk::<8>()?;
    let position: [u8; 8] = position.try_into().ok()?;
    let id = u64::from_be_bytes(*id);
    let owner = match kind {
        ACCOUNT_KIND => Owner::Account(AccountId(id)),
        VENDOR_KIND => Owner::Vendor(VendorId(id)),
        PROGRAMS_KIND if id == 0 => Owner::Programs,
        SETTLEMENT_KIND if id == 0 => Owner::Settlement,
        BACK_OFFICE_KIND if id == 0 => Owner::BackOffice,
        AUDIT_KIND if id == 0 => Owner::Audit,
        _ => return None,
    };
    Some((owner, u64::from_be_bytes(position)))
}

/// A key as people read it: printable ASCII as is, other bytes escaped (for messages).
#[must_use]
pub fn describe_key(key: &[u8]) -> String {
    key.iter()
        .flat_map(|byte| std::ascii::escape_default(*byte))
        .map(char::from)
        .collect()
}

/// A sequence number as a key or value.
#[must_use]
pub fn seq_bytes(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Reads a sequence number written by [`seq_bytes`].
#[must_use]
pub fn seq_from(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    encode_version(VERSION, value)
}

fn encode_version<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    extend_encoded(&mut bytes, version, value);
    bytes
}

/// Appends `version` and `value`'s encoding to `out`.
fn extend_encoded<T: Serialize>(out: &mut Vec<u8>, version: u8, value: &T) {
    out.push(version);
    // Serializing these plain types into a `Vec` cannot fail.
    match postcard::to_extend(value, std::mem::take(out)) {
        Ok(bytes) => *out = bytes,
        Err(error) => panic!("encoding a stored value failed: {error}"),
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FormatError> {
    decode_version(VERSION, bytes)
}

fn decode_version<T: serde::de::DeserializeOwned>(
    version: u8,
    bytes: &[u8],
) -> Result<T, FormatError> {
    match bytes.split_first() {
        Some((&found, rest)) if found == version => {
            postcard::from_bytes(rest).map_err(|_| FormatError::Corrupt("does not decode"))
        }
        Some((&found, _)) => Err(FormatError::UnknownVersion { found }),
        None => Err(FormatError::Corrupt("empty value")),
    }
}

/// The format version a stored value was written in.
#[must_use]
pub fn version_of(bytes: &[u8]) -> Option<u8> {
    bytes.first().copied()
}

// ---------------------------------------------------------------------------------------
// Stored types, version 4. Never reorder or remove a variant or field. A new event variant is
// appended at the end of `EventV4`: every value stored before still decodes the same, and a
// build that does not know the variant would refuse it as corrupt rather than misread it.

type CurrencyV4 = [u8; 3];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct RecordV4 {
    position: u64,
    event: EventV4,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum EventV4 {
    AccountOpened {
        account: u64,
        login: LoginV4,
        language: String,
        time_zone: String,
        currency: CurrencyV4,
        at: i64,
    },
    Deposited {
        account: u64,
        currency: CurrencyV4,
        amount: u64,
        reference: String,
        by: OriginV4,
        at: i64,
    },
    CreditLineSet {
        account: u64,
        currency: CurrencyV4,
        limit: u64,
        by: OriginV4,
        at: i64,
    },
    SessionStarted {
        account: u64,
        session: SessionV4,
        evicted: Vec<u64>,
    },
    SessionEnded {
        account: u64,
        session: u64,
        at: i64,
    },
    LimitsSet {
        account: u64,
        login: u64,
        currency: CurrencyV4,
        limits: LimitsV4,
        at: i64,
    },
    FreezeSet {
        account: u64,
        frozen: bool,
        at: i64,
    },
    Authorized(Box<AuthorizedV4>),
    ViewCounted {
        account: u64,
        entitlement: u64,
        token_id: u64,
        token_expires_at: i64,
        at: i64,
    },
    Reversed {
        account: u64,
        authorization: u64,
        entitlement: u64,
        vendor: u64,
        currency: CurrencyV4,
        refund: u64,
        reason: String,
        by: OriginV4,
        at: i64,
    },
    VendorRegistered(Box<VendorProfileV4>),
    PaymentMethodSaved {
        account: u64,
        method: Option<PaymentMethodV4>,
        at: i64,
    },
    OfferPosted(Box<OfferV4>),
    OffersPruned {
        vendor: u64,
        offers: Vec<u64>,
        at: i64,
    },
    // Added after the first data written in format 4: appended, so every variant above keeps
    // its index and its encoding, and data written before them still reads.
    DepositStarted {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        method: PaymentMethodV4,
        at: i64,
    },
    DepositCredited {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        charge_reference: String,
        at: i64,
    },
    DepositFailed {
        account: u64,
        deposit: u64,
        reason: String,
        at: i64,
    },
    WalletOpened {
        account: u64,
        currency: CurrencyV4,
        at: i64,
    },
    PaymentMethodAdded {
        account: u64,
        method: SavedMethodV4,
        at: i64,
    },
    PaymentMethodRemoved {
        account: u64,
        method: u64,
        at: i64,
    },
    DepositAccepted {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        charge_reference: String,
        at: i64,
    },
    DepositSettled {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        at: i64,
    },
    DepositReturned {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        debt: u64,
        reason: String,
        at: i64,
    },
    DebtRepaid {
        account: u64,
        currency: CurrencyV4,
        amount: u64,
        at: i64,
    },
    RequestKept {
        account: u64,
        route: MemberRouteV4,
        key: String,
        digest: [u8; 32],
        subject: u64,
        forgotten: Vec<(MemberRouteV4, String)>,
        at: i64,
    },
    TopOffSet {
        account: u64,
        currency: CurrencyV4,
        setting: Option<TopOffV4>,
        at: i64,
    },
    CashedOut {
        account: u64,
        cash_out: u64,
        currency: CurrencyV4,
        amount: u64,
        charge: u64,
        destination: SavedMethodV4,
        at: i64,
    },
    DepositStartedVia {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        method: SavedMethodV4,
        via: u64,
        at: i64,
    },
    TransferSent(InTransitV4),
    TransferReceived(InTransitV4),
    AuthorizedWithIncentives(Box<AuthorizedV4>, Vec<GrantV4>),
    ReversedWithIncentives {
        account: u64,
        authorization: u64,
        entitlement: u64,
        vendor: u64,
        currency: CurrencyV4,
        refund: u64,
        reason: String,
        by: OriginV4,
        at: i64,
        incentives: Vec<GrantV4>,
    },
    IncentiveGranted {
        account: u64,
        grant: GrantV4,
        redeemed: bool,
    },
    IncentiveExpired {
        account: u64,
        grant: u64,
        currency: CurrencyV4,
        amount: u64,
        funder: FunderV4,
        at: i64,
    },
    VendorGroupCreated(VendorGroupV4),
    ProgramCreated(ProgramV4),
    AuthorizedWithParties(Box<AuthorizedV4>, Vec<GrantV4>, SalePartiesV4),
    ReversedWithParties {
        account: u64,
        authorization: u64,
        entitlement: u64,
        vendor: u64,
        currency: CurrencyV4,
        refund: u64,
        reason: String,
        by: OriginV4,
        at: i64,
        incentives: Vec<GrantV4>,
        purchased_at: i64,
        parties: SalePartiesV4,
    },
    DepositCreditedVia {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        charge_reference: String,
        via: u64,
        at: i64,
    },
    DepositSettledVia {
        account: u64,
        deposit: u64,
        currency: CurrencyV4,
        amount: u64,
        via: u64,
        at: i64,
    },
    ReferralRecorded {
        account: u64,
        vendor: u64,
        until: i64,
        at: i64,
    },
    FeeScheduleSet {
        vendor: u64,
        schedule: FeeScheduleV4,
        at: i64,
    },
    CommissionSet {
        vendor: u64,
        referral_rate_ppm: u32,
        funds_rate_ppm: u32,
        at: i64,
    },
    Settlement(Box<SettlementEventV4>),
    /// An offer naming rights holders: `(rights holder, share_ppm)`.
    OfferPostedWithRoyalties(Box<OfferV4>, Vec<(u64, u32)>),
    DisputeFiled {
        account: u64,
        dispute: Box<DisputeV4>,
    },
    DisputeDecided {
        account: u64,
        authorization: u64,
        vendor: u64,
        approve: bool,
        reason: String,
        by: OriginV4,
        at: i64,
    },
    BackOffice(Box<BackOfficeEventV4>),
    Audit(Box<AuditEventV4>),
    VendorApplied(Box<VendorProfileV4>),
    VendorDecided {
        vendor: u64,
        approve: bool,
        reason: String,
        by: StaffV4,
        at: i64,
    },
    ApiKeyRotated {
        vendor: u64,
        key_digest: [u8; 32],
        previous_valid_until: i64,
        at: i64,
    },
    VendorOffersDeclined {
        account: u64,
        vendor: u64,
        at: i64,
    },
    MailingListSet {
        vendor: u64,
        url: Option<String>,
        at: i64,
    },
    LoginAdded {
        account: u64,
        login: LoginV11,
        at: i64,
    },
    LoginDisabledSet {
        account: u64,
        login: u64,
        disabled: bool,
        at: i64,
    },
    PasswordChanged {
        account: u64,
        login: u64,
        password_hash: String,
        kept_session: u64,
        at: i64,
    },
    SecurityQuestionsSet {
        account: u64,
        /// `(question, answer hash)`.
        questions: Vec<(String, String)>,
        at: i64,
    },
    StepUpPassed {
        account: u64,
        login: u64,
        until: i64,
        at: i64,
    },
    StepUpFailed {
        account: u64,
        login: u64,
        session: u64,
        locked_until: Option<i64>,
        at: i64,
    },
    /// A purchase with the title and content URL it was sold under (for the statement), and
    /// its grants and parties (either may be empty). Purchases before it was appended read
    /// with an empty title and URL.
    AuthorizedWithText(
        Box<AuthorizedV4>,
        Vec<GrantV4>,
        SalePartiesV4,
        PurchaseTextV4,
    ),
    /// A login's own name and language ([0114], [0136]); the v11 account snapshot holds both
    /// fields of a login already.
    LoginProfileSet {
        account: u64,
        login: u64,
        name: Option<String>,
        language: Option<String>,
        at: i64,
    },
    /// The holder closed the account; `(currency, micro-units)` forfeited per wallet.
    AccountClosed {
        account: u64,
        login: u64,
        forfeited: Vec<(CurrencyV4, u64)>,
        at: i64,
    },
}

/// What a purchase was sold as: its title and content URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PurchaseTextV4 {
    title: String,
    content_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum SettlementEventV4 {
    RightsHolderRegistered {
        id: u64,
        name: String,
        currency: CurrencyV4,
        registered_at: i64,
    },
    PayeeSettingsSet {
        payee: PayeeV4,
        rule: PayoutRuleV4,
        bank: SealedBankV4,
        at: i64,
    },
    RunStarted {
        run: u64,
        forced: bool,
        payouts: Vec<PayoutV4>,
        considered: Vec<PayeeV4>,
        at: i64,
    },
    RunFinished {
        run: u64,
        file: Option<String>,
        at: i64,
    },
    PayoutReturned {
        payout: u64,
        reason: String,
        at: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum PayeeV4 {
    Vendor(u64),
    RightsHolder(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PayoutRuleV4 {
    threshold: u64,
    /// The schedule's wire kind: `weekly`, `twice_monthly`, `monthly`.
    schedule_kind: String,
    schedule_day: u8,
    minimum: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SealedBankV4 {
    sealed: Vec<u8>,
    masked: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PayoutV4 {
    id: u64,
    payee: PayeeV4,
    currency: CurrencyV4,
    amount: u64,
    bank: SealedBankV4,
}

/// Who besides the seller has a part in a sale: rights holders with their shares (ppm) and
/// the referring vendor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SalePartiesV4 {
    royalties: Vec<(u64, u32)>,
    referrer: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FeeScheduleV4 {
    /// 0: month, 1: quarter.
    period: u8,
    /// `(from_gross, rate_ppm)`.
    tiers: Vec<(u64, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum ReachV4 {
    Vendor(u64),
    Group { group: u64, vendors: Vec<u64> },
    Anywhere,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum FunderV4 {
    Msp,
    Vendor(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct GrantV4 {
    id: u64,
    program: Option<u64>,
    reach: ReachV4,
    funder: FunderV4,
    currency: CurrencyV4,
    remaining: u64,
    granted_at: i64,
    expires_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum ProgramScopeV4 {
    Msp,
    Group(u64),
    Vendor(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ProgramV4 {
    id: u64,
    code: String,
    scope: ProgramScopeV4,
    amount: u64,
    currency: CurrencyV4,
    expires_at: Option<i64>,
    budget: u64,
    created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct VendorGroupV4 {
    id: u64,
    name: String,
    vendors: Vec<u64>,
    created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct InTransitV4 {
    transfer: u64,
    from: u64,
    login: u64,
    to: u64,
    currency: CurrencyV4,
    amount: u64,
    note: String,
    sent_at: i64,
    at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct TopOffV4 {
    amount: u64,
    method: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum MemberRouteV4 {
    Deposits,
    CashOuts,
    Transfers,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum KeptOutcomeV5 {
    Credited,
    Pending,
    Declined(String),
    CashedOut { charge: u64, net: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct KeptRequestV5 {
    route: MemberRouteV4,
    key: String,
    digest: [u8; 32],
    subject: u64,
    recorded_at: i64,
    outcome: Option<KeptOutcomeV5>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum OriginV4 {
    Admin,
    Seed,
    PaymentMethod,
    Vendor(u64),
    Dispute,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum PaymentMethodV4 {
    /// Before saved methods: the one built-in test card (decoded as the legacy test card).
    TestCard,
    Saved(SavedMethodV4),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SavedMethodV4 {
    id: u64,
    rail: RailV4,
    brand: String,
    last4: String,
    token: String,
    added_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum RailV4 {
    Card,
    BankDebit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LoginV4 {
    id: u64,
    email: Option<String>,
    password_hash: String,
}

/// A login with what sub-members brought (account snapshot version 11, `LoginAdded`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LoginV11 {
    id: u64,
    email: Option<String>,
    password_hash: String,
    name: Option<String>,
    /// 0 holder, 1 member.
    role: u8,
    disabled: bool,
    language: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum SessionExpiryV4 {
    Absolute { expires_at: i64 },
    Idle { idle_ms: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SessionV4 {
    id: u64,
    login: u64,
    started_at: i64,
    last_purchase_at: i64,
    expiry: SessionExpiryV4,
    ended: bool,
    spent: Vec<(CurrencyV4, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LimitsV4 {
    per_transaction: Option<u64>,
    per_session: Option<u64>,
    per_day: Option<u64>,
    per_week: Option<u64>,
    per_month: Option<u64>,
    vendors_allowed: Option<Vec<u64>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ContentKeyV4 {
    vendor: u64,
    content: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct TermsV4 {
    views: Option<u32>,
    expires_at: Option<i64>,
    valid_days: Option<u32>,
    valid_hours: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct EntitlementV4 {
    id: u64,
    key: ContentKeyV4,
    authorization: u64,
    price: u64,
    currency: CurrencyV4,
    purchased_at: i64,
    views_allowed: Option<u32>,
    views_used: u32,
    expires_at: Option<i64>,
    reversed_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct IdempotencyStampV4 {
    key: String,
    request_digest: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct AuthorizedV4 {
    account: u64,
    authorization: u64,
    login: u64,
    session: u64,
    vendor: u64,
    entitlement: EntitlementV4,
    idempotency: Option<IdempotencyStampV4>,
    idempotency_expired: Vec<(u64, String)>,
    offer: Option<u64>,
    at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct VendorProfileV4 {
    id: u64,
    name: String,
    currency: CurrencyV4,
    content_domains: Vec<String>,
    fee_ppm: u32,
    api_key_digest: [u8; 32],
    registered_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum IncentivePolicyV4 {
    Any,
    None,
    Only(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct OfferV4 {
    id: u64,
    vendor: u64,
    title: String,
    short_description: Option<String>,
    price: u64,
    currency: CurrencyV4,
    content_url: String,
    content: ContentKeyV4,
    is_post: bool,
    terms: TermsV4,
    incentives: IncentivePolicyV4,
    optional_data: Option<String>,
    cancel_url: String,
    posted_at: i64,
    expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct WalletV5 {
    balance: i64,
    credit_limit: u64,
    deposited: u64,
    refunded: u64,
    unsettled: u64,
    debt: u64,
    returned: u64,
    top_off: Option<TopOffV4>,
}

/// A bank debit accepted and not yet settled, in an account snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct UnsettledDepositV8 {
    deposit: u64,
    currency: CurrencyV4,
    amount: u64,
    method: SavedMethodV4,
    started_at: i64,
    via: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SpendingV4 {
    day: (i32, u64),
    week: (i32, u64),
    month: (i32, u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct IdempotencyRecordV4 {
    vendor: u64,
    key: String,
    request_digest: [u8; 32],
    authorization: u64,
    entitlement: u64,
    recorded_at: i64,
}

/// Version 11 of the account snapshot: version 5 brought saved payment methods, version 6 the
/// transfers received lately, version 7 incentive grants, version 8 the referral, each
/// purchase's rights holders and referrer, and the vendor a debit was bought through,
/// version 9 the member's disputes, version 10 whether they declined vendors' offers,
/// version 11 each login's name, role, disabled flag and language (sub-members), version
/// 12 when the account was closed. A snapshot is a cache of the account's events, so an
/// older one is not converted: the account is rebuilt from its events (see
/// [`FormatError::Outdated`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct AccountSnapshotV12 {
    position: u64,
    account: u64,
    time_zone: String,
    language: String,
    frozen: bool,
    logins: Vec<LoginV11>,
    wallets: Vec<(CurrencyV4, WalletV5)>,
    limits: Vec<(u64, CurrencyV4, LimitsV4)>,
    spending: Vec<(u64, CurrencyV4, SpendingV4)>,
    sessions: Vec<SessionV4>,
    entitlements: Vec<EntitlementV4>,
    deposit_references: Vec<String>,
    idempotency: Vec<IdempotencyRecordV4>,
    payment_methods: Vec<SavedMethodV4>,
    unsettled_deposits: Vec<UnsettledDepositV8>,
    kept: Vec<KeptRequestV5>,
    received_transfers: Vec<(u64, i64)>,
    grants: Vec<GrantV4>,
    redeemed: Vec<u64>,
    incentive_paid: Vec<(u64, Vec<GrantV4>)>,
    /// `(vendor, until)`.
    referral: Option<(u64, i64)>,
    sale_parties: Vec<(u64, SalePartiesV4)>,
    disputes: Vec<DisputeV4>,
    vendor_offers_declined: bool,
    step_up: StepUpV11,
    /// When the holder closed the account, if they did.
    closed_at: Option<i64>,
}

/// What an account knows for step-up (account snapshot version 11).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct StepUpV11 {
    /// `(question, answer hash)`.
    questions: Vec<(String, String)>,
    /// `(login, failures, locked_until, passed_until)`.
    logins: Vec<(u64, u32, Option<i64>, Option<i64>)>,
    /// `(currency, typical price in micro-units)`.
    typical: Vec<(CurrencyV4, u64)>,
    /// `(began, purchases)` of the current minute.
    minute: Option<(i64, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerV6 {
    sales: u64,
    gross: u128,
    incentives_msp: u128,
    incentives_own: u128,
    /// `(month, fee_base, referred, funds)`.
    months: Vec<(i32, u128, u128, u128)>,
    /// `(rights holder, exact royalty in micro-units × ppm)`.
    royalties: Vec<(u64, u128)>,
}

/// Version 9 of the vendor snapshot: version 5 recorded what incentives paid, version 6 the
/// months (fee base, referred purchases, funds), royalties, and the fee and commission
/// histories, version 7 the disputes of its sales, version 8 its standing (status and
/// keys), version 9 its mailing list. A cache like the account snapshot: an older one is `Outdated`, and the
/// vendor's ledger is folded again from the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct VendorSnapshotV9 {
    position: u64,
    book_from: u64,
    feed_seq: u64,
    sales_refused: u64,
    profile: VendorProfileV4,
    ledger: Vec<(CurrencyV4, LedgerV6)>,
    used_offers: Vec<u64>,
    fee_schedules: Vec<(i64, FeeScheduleV4)>,
    /// `(at, referral_rate_ppm, funds_rate_ppm)`.
    commissions: Vec<(i64, u32, u32)>,
    /// `(account, dispute)`.
    disputes: Vec<(u64, DisputeV4)>,
    /// 0 pending, 1 approved, 2 rejected.
    status: u8,
    key_digest: [u8; 32],
    /// `(digest, valid until)` of the key rotated away from.
    previous_key: Option<([u8; 32], i64)>,
    mailing_list: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct MemberTotalsV8 {
    deposits: u128,
    refunds: u128,
    balances: i128,
    returned: u128,
    debts: u128,
    cash_outs: u128,
    cash_out_charges: u128,
    in_transit: u128,
    incentives_granted: u128,
    incentives_spent_msp: u128,
    incentives_spent_vendors: u128,
    incentives_expired: u128,
    /// Version 8: balances forfeited by closed accounts.
    forfeited: u128,
}

/// The deposits open at a checkpoint: `(account, deposit)` pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct OpenDepositsV4 {
    open: Vec<(u64, u64)>,
}

/// The grants with an expiry not yet swept at a checkpoint: `(expires_at, account, grant)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ExpiringV7 {
    expiring: Vec<(i64, u64, u64)>,
}

/// The transfers in transit at a checkpoint, whole (start-up delivers them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct OpenTransfersV6 {
    open: Vec<InTransitV4>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CheckpointV8 {
    seq: u64,
    totals: Vec<(CurrencyV4, MemberTotalsV8)>,
    granted_by_program: Vec<(u64, u128)>,
}

// ---------------------------------------------------------------------------------------
// Domain -> stored (pure, infallible).

fn currency_v4(currency: Currency) -> CurrencyV4 {
    let mut code = [0; 3];
    for (slot, byte) in code.iter_mut().zip(currency.code().bytes()) {
        *slot = byte;
    }
    code
}

fn origin_v4(origin: Origin) -> OriginV4 {
    match origin {
        Origin::Admin => OriginV4::Admin,
        Origin::Seed => OriginV4::Seed,
        Origin::PaymentMethod => OriginV4::PaymentMethod,
        Origin::Vendor(vendor) => OriginV4::Vendor(vendor.0),
        Origin::Dispute => OriginV4::Dispute,
    }
}

fn top_off_v4(setting: TopOff) -> TopOffV4 {
    TopOffV4 {
        amount: setting.amount.micros(),
        method: setting.method.0,
    }
}

fn route_v4(route: MemberRoute) -> MemberRouteV4 {
    match route {
        MemberRoute::Deposits => MemberRouteV4::Deposits,
        MemberRoute::CashOuts => MemberRouteV4::CashOuts,
        MemberRoute::Transfers => MemberRouteV4::Transfers,
    }
}

fn kept_v5(((route, key), request): (&(MemberRoute, String), &KeptRequest)) -> KeptRequestV5 {
    KeptRequestV5 {
        route: route_v4(*route),
        key: key.clone(),
        digest: request.digest,
        subject: request.subject,
        recorded_at: request.recorded_at.0,
        outcome: request.outcome.as_ref().map(|outcome| match outcome {
            KeptOutcome::Credited => KeptOutcomeV5::Credited,
            KeptOutcome::Pending => KeptOutcomeV5::Pending,
            KeptOutcome::Declined(code) => KeptOutcomeV5::Declined(code.clone()),
            KeptOutcome::CashedOut { charge, net } => KeptOutcomeV5::CashedOut {
                charge: charge.micros(),
                net: net.micros(),
            },
        }),
    }
}

fn saved_method_v4(method: &SavedMethod) -> SavedMethodV4 {
    SavedMethodV4 {
        id: method.id.0,
        rail: match method.rail {
            Rail::Card => RailV4::Card,
            Rail::BankDebit => RailV4::BankDebit,
        },
        brand: method.brand.to_string(),
        last4: method.last4.to_string(),
        token: method.token.to_string(),
        added_at: method.added_at.0,
    }
}

fn login_v4(login: &Login) -> LoginV4 {
    LoginV4 {
        id: login.id.0,
        email: login.email.clone(),
        password_hash: login.password_hash.clone(),
    }
}

fn session_v4(session: &Session) -> SessionV4 {
    SessionV4 {
        id: session.id.0,
        login: session.login.0,
        started_at: session.started_at.0,
        last_purchase_at: session.last_purchase_at.0,
        expiry: match session.expiry {
            SessionExpiry::Absolute { expires_at } => SessionExpiryV4::Absolute {
                expires_at: expires_at.0,
            },
            SessionExpiry::Idle { idle_ms } => SessionExpiryV4::Idle { idle_ms },
        },
        ended: session.ended,
        spent: session
            .spent
            .iter()
            .map(|(currency, amount)| (currency_v4(*currency), amount.micros()))
            .collect(),
    }
}

fn limits_v4(limits: &Limits) -> LimitsV4 {
    let micros = |amount: Option<Amount>| amount.map(Amount::micros);
    LimitsV4 {
        per_transaction: micros(limits.per_transaction),
        per_session: micros(limits.per_session),
        per_day: micros(limits.per_day),
        per_week: micros(limits.per_week),
        per_month: micros(limits.per_month),
        vendors_allowed: limits
            .vendors_allowed
            .as_ref()
            .map(|set| set.iter().map(|vendor| vendor.0).collect()),
    }
}

fn content_key_v4(key: &ContentKey) -> ContentKeyV4 {
    ContentKeyV4 {
        vendor: key.vendor.0,
        content: key.content.clone(),
    }
}

fn terms_v4(terms: &Terms) -> TermsV4 {
    TermsV4 {
        views: terms.views,
        expires_at: terms.expires_at.map(|at| at.0),
        valid_days: terms.valid_days,
        valid_hours: terms.valid_hours,
    }
}

fn entitlement_v4(entitlement: &Entitlement) -> EntitlementV4 {
    EntitlementV4 {
        id: entitlement.id.0,
        key: content_key_v4(&entitlement.key),
        authorization: entitlement.authorization.0,
        price: entitlement.price.micros(),
        currency: currency_v4(entitlement.currency),
        purchased_at: entitlement.purchased_at.0,
        views_allowed: entitlement.views_allowed,
        views_used: entitlement.views_used,
        expires_at: entitlement.expires_at.map(|at| at.0),
        reversed_at: entitlement.reversed_at.map(|at| at.0),
    }
}

fn profile_v4(profile: &VendorProfile) -> VendorProfileV4 {
    VendorProfileV4 {
        id: profile.id.0,
        name: profile.name.clone(),
        currency: currency_v4(profile.currency),
        content_domains: profile.content_domains.clone(),
        fee_ppm: profile.fee_ppm,
        api_key_digest: profile.api_key_digest,
        registered_at: profile.registered_at.0,
    }
}

fn offer_v4(offer: &Offer) -> OfferV4 {
    OfferV4 {
        id: offer.id.0,
        vendor: offer.vendor.0,
        title: offer.title.clone(),
        short_description: offer.short_description.clone(),
        price: offer.price.micros(),
        currency: currency_v4(offer.currency),
        content_url: offer.content_url.clone(),
        content: content_key_v4(&offer.content),
        is_post: offer.is_post,
        terms: terms_v4(&offer.terms),
        incentives: match &offer.incentives {
            IncentivePolicy::Any => IncentivePolicyV4::Any,
            IncentivePolicy::None => IncentivePolicyV4::None,
            IncentivePolicy::Only(ids) => IncentivePolicyV4::Only(ids.clone()),
        },
        optional_data: offer.optional_data.clone(),
        cancel_url: offer.cancel_url.clone(),
        posted_at: offer.posted_at.0,
        expires_at: offer.expires_at.0,
    }
}

fn event_v4(event: &Event) -> EventV4 {
    match event {
        Event::AccountOpened {
            account,
            login,
            language,
            time_zone,
            currency,
            at,
        } => EventV4::AccountOpened {
            account: account.0,
            login: login_v4(login),
            language: language.clone(),
            time_zone: time_zone.clone(),
            currency: currency_v4(*currency),
            at: at.0,
        },
        Event::Deposited {
            account,
            currency,
            amount,
            reference,
            by,
            at,
        } => EventV4::Deposited {
            account: account.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            reference: reference.clone(),
            by: origin_v4(*by),
            at: at.0,
        },
        Event::CreditLineSet {
            account,
            currency,
            limit,
            by,
            at,
        } => EventV4::CreditLineSet {
            account: account.0,
            currency: currency_v4(*currency),
            limit: limit.micros(),
            by: origin_v4(*by),
            at: at.0,
        },
        Event::SessionStarted {
            account,
            session,
            evicted,
        } => EventV4::SessionStarted {
            account: account.0,
            session: session_v4(session),
            evicted: evicted.iter().map(|id| id.0).collect(),
        },
        Event::SessionEnded {
            account,
            session,
            at,
        } => EventV4::SessionEnded {
            account: account.0,
            session: session.0,
            at: at.0,
        },
        Event::LimitsSet {
            account,
            login,
            currency,
            limits,
            at,
        } => EventV4::LimitsSet {
            account: account.0,
            login: login.0,
            currency: currency_v4(*currency),
            limits: limits_v4(limits),
            at: at.0,
        },
        Event::FreezeSet {
            account,
            frozen,
            at,
        } => EventV4::FreezeSet {
            account: account.0,
            frozen: *frozen,
            at: at.0,
        },
        Event::Authorized(authorized) => {
            let stored = Box::new(authorized_v4(authorized));
            let spent = || authorized.incentives.iter().map(grant_v4).collect();
            if !authorized.title.is_empty() || !authorized.content_url.is_empty() {
                EventV4::AuthorizedWithText(
                    stored,
                    spent(),
                    parties_v4(&authorized.parties),
                    PurchaseTextV4 {
                        title: authorized.title.clone(),
                        content_url: authorized.content_url.clone(),
                    },
                )
            } else if !authorized.parties.is_empty() {
                EventV4::AuthorizedWithParties(stored, spent(), parties_v4(&authorized.parties))
            } else if authorized.incentives.is_empty() {
                EventV4::Authorized(stored)
            } else {
                EventV4::AuthorizedWithIncentives(stored, spent())
            }
        }
        Event::ViewCounted {
            account,
            entitlement,
            token_id,
            token_expires_at,
            at,
        } => EventV4::ViewCounted {
            account: account.0,
            entitlement: entitlement.0,
            token_id: *token_id,
            token_expires_at: token_expires_at.0,
            at: at.0,
        },
        Event::Reversed {
            account,
            authorization,
            entitlement,
            vendor,
            currency,
            refund,
            incentives,
            purchased_at,
            parties,
            reason,
            by,
            at,
        } => EventV4::ReversedWithParties {
            account: account.0,
            authorization: authorization.0,
            entitlement: entitlement.0,
            vendor: vendor.0,
            currency: currency_v4(*currency),
            refund: refund.micros(),
            reason: reason.clone(),
            by: origin_v4(*by),
            at: at.0,
            incentives: incentives.iter().map(grant_v4).collect(),
            purchased_at: purchased_at.0,
            parties: parties_v4(parties),
        },
        Event::IncentiveGranted {
            account,
            grant,
            redeemed,
        } => EventV4::IncentiveGranted {
            account: account.0,
            grant: grant_v4(grant),
            redeemed: *redeemed,
        },
        Event::IncentiveExpired {
            account,
            grant,
            currency,
            amount,
            funder,
            at,
        } => EventV4::IncentiveExpired {
            account: account.0,
            grant: grant.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            funder: funder_v4(*funder),
            at: at.0,
        },
        Event::VendorGroupCreated(group) => EventV4::VendorGroupCreated(VendorGroupV4 {
            id: group.id.0,
            name: group.name.clone(),
            vendors: group.vendors.iter().map(|vendor| vendor.0).collect(),
            created_at: group.created_at.0,
        }),
        Event::ProgramCreated(program) => EventV4::ProgramCreated(ProgramV4 {
            id: program.id.0,
            code: program.code.clone(),
            scope: match program.scope {
                ProgramScope::Msp => ProgramScopeV4::Msp,
                ProgramScope::Group(group) => ProgramScopeV4::Group(group.0),
                ProgramScope::Vendor(vendor) => ProgramScopeV4::Vendor(vendor.0),
            },
            amount: program.amount.micros(),
            currency: currency_v4(program.currency),
            expires_at: program.expires_at.map(|at| at.0),
            budget: program.budget.micros(),
            created_at: program.created_at.0,
        }),
        Event::VendorRegistered(profile) => {
            EventV4::VendorRegistered(Box::new(profile_v4(profile)))
        }
        Event::PaymentMethodAdded {
            account,
            method,
            at,
        } => EventV4::PaymentMethodAdded {
            account: account.0,
            method: saved_method_v4(method),
            at: at.0,
        },
        Event::PaymentMethodRemoved {
            account,
            method,
            at,
        } => EventV4::PaymentMethodRemoved {
            account: account.0,
            method: method.0,
            at: at.0,
        },
        Event::DepositAccepted {
            account,
            deposit,
            currency,
            amount,
            charge_reference,
            at,
        } => EventV4::DepositAccepted {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            charge_reference: charge_reference.clone(),
            at: at.0,
        },
        Event::DepositSettled {
            account,
            deposit,
            currency,
            amount,
            via: Some(via),
            at,
        } => EventV4::DepositSettledVia {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            via: via.0,
            at: at.0,
        },
        Event::DepositSettled {
            account,
            deposit,
            currency,
            amount,
            via: None,
            at,
        } => EventV4::DepositSettled {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            at: at.0,
        },
        Event::DepositReturned {
            account,
            deposit,
            currency,
            amount,
            debt,
            reason,
            at,
        } => EventV4::DepositReturned {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            debt: debt.micros(),
            reason: reason.clone(),
            at: at.0,
        },
        Event::DebtRepaid {
            account,
            currency,
            amount,
            at,
        } => EventV4::DebtRepaid {
            account: account.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            at: at.0,
        },
        Event::CashedOut {
            account,
            cash_out,
            currency,
            amount,
            charge,
            destination,
            at,
        } => EventV4::CashedOut {
            account: account.0,
            cash_out: cash_out.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            charge: charge.micros(),
            destination: saved_method_v4(destination),
            at: at.0,
        },
        Event::TopOffSet {
            account,
            currency,
            setting,
            at,
        } => EventV4::TopOffSet {
            account: account.0,
            currency: currency_v4(*currency),
            setting: setting.map(top_off_v4),
            at: at.0,
        },
        Event::RequestKept {
            account,
            route,
            key,
            digest,
            subject,
            forgotten,
            at,
        } => EventV4::RequestKept {
            account: account.0,
            route: route_v4(*route),
            key: key.clone(),
            digest: *digest,
            subject: *subject,
            forgotten: forgotten
                .iter()
                .map(|(route, key)| (route_v4(*route), key.clone()))
                .collect(),
            at: at.0,
        },
        Event::OfferPosted(offer) if offer.royalties.is_empty() => {
            EventV4::OfferPosted(Box::new(offer_v4(offer)))
        }
        Event::OfferPosted(offer) => EventV4::OfferPostedWithRoyalties(
            Box::new(offer_v4(offer)),
            royalties_v4(&offer.royalties),
        ),
        Event::OffersPruned { vendor, offers, at } => EventV4::OffersPruned {
            vendor: vendor.0,
            offers: offers.iter().map(|id| id.0).collect(),
            at: at.0,
        },
        Event::DepositStarted {
            account,
            deposit,
            currency,
            amount,
            method,
            via: None,
            at,
        } => EventV4::DepositStarted {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            method: PaymentMethodV4::Saved(saved_method_v4(method)),
            at: at.0,
        },
        // Through a vendor's site: its own variant, so deposits without one keep their bytes.
        Event::DepositStarted {
            account,
            deposit,
            currency,
            amount,
            method,
            via: Some(vendor),
            at,
        } => EventV4::DepositStartedVia {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            method: saved_method_v4(method),
            via: vendor.0,
            at: at.0,
        },
        Event::DepositCredited {
            account,
            deposit,
            currency,
            amount,
            charge_reference,
            via: Some(via),
            at,
        } => EventV4::DepositCreditedVia {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            charge_reference: charge_reference.clone(),
            via: via.0,
            at: at.0,
        },
        Event::DepositCredited {
            account,
            deposit,
            currency,
            amount,
            charge_reference,
            via: None,
            at,
        } => EventV4::DepositCredited {
            account: account.0,
            deposit: deposit.0,
            currency: currency_v4(*currency),
            amount: amount.micros(),
            charge_reference: charge_reference.clone(),
            at: at.0,
        },
        Event::DepositFailed {
            account,
            deposit,
            reason,
            at,
        } => EventV4::DepositFailed {
            account: account.0,
            deposit: deposit.0,
            reason: reason.clone(),
            at: at.0,
        },
        Event::WalletOpened {
            account,
            currency,
            at,
        } => EventV4::WalletOpened {
            account: account.0,
            currency: currency_v4(*currency),
            at: at.0,
        },
        Event::TransferSent(sent) => EventV4::TransferSent(in_transit_v4(sent)),
        Event::Settlement(change) => EventV4::Settlement(Box::new(settlement_v4(change))),
        Event::ReferralRecorded {
            account,
            vendor,
            until,
            at,
        } => EventV4::ReferralRecorded {
            account: account.0,
            vendor: vendor.0,
            until: until.0,
            at: at.0,
        },
        Event::FeeScheduleSet {
            vendor,
            schedule,
            at,
        } => EventV4::FeeScheduleSet {
            vendor: vendor.0,
            schedule: fee_schedule_v4(schedule),
            at: at.0,
        },
        Event::CommissionSet { vendor, rates, at } => EventV4::CommissionSet {
            vendor: vendor.0,
            referral_rate_ppm: rates.referral_rate_ppm,
            funds_rate_ppm: rates.funds_rate_ppm,
            at: at.0,
        },
        Event::TransferReceived(received) => EventV4::TransferReceived(in_transit_v4(received)),
        Event::DisputeFiled { account, dispute } => EventV4::DisputeFiled {
            account: account.0,
            dispute: Box::new(dispute_v4(dispute)),
        },
        Event::DisputeDecided {
            account,
            authorization,
            vendor,
            approve,
            reason,
            by,
            at,
        } => EventV4::DisputeDecided {
            account: account.0,
            authorization: authorization.0,
            vendor: vendor.0,
            approve: *approve,
            reason: reason.clone(),
            by: origin_v4(*by),
            at: at.0,
        },
        Event::BackOffice(change) => EventV4::BackOffice(Box::new(back_office_v4(change))),
        Event::Audit(entry) => EventV4::Audit(Box::new(audit_v4(entry))),
        Event::VendorApplied(profile) => EventV4::VendorApplied(Box::new(profile_v4(profile))),
        Event::VendorDecided {
            vendor,
            approve,
            reason,
            by,
            at,
        } => EventV4::VendorDecided {
            vendor: vendor.0,
            approve: *approve,
            reason: reason.clone(),
            by: staff_v4(*by),
            at: at.0,
        },
        Event::ApiKeyRotated {
            vendor,
            key_digest,
            previous_valid_until,
            at,
        } => EventV4::ApiKeyRotated {
            vendor: vendor.0,
            key_digest: *key_digest,
            previous_valid_until: previous_valid_until.0,
            at: at.0,
        },
        Event::VendorOffersDeclined {
            account,
            vendor,
            at,
        } => EventV4::VendorOffersDeclined {
            account: account.0,
            vendor: vendor.0,
            at: at.0,
        },
        Event::MailingListSet { vendor, url, at } => EventV4::MailingListSet {
            vendor: vendor.0,
            url: url.clone(),
            at: at.0,
        },
        Event::LoginAdded { account, login, at } => EventV4::LoginAdded {
            account: account.0,
            login: login_v11(login),
            at: at.0,
        },
        Event::LoginDisabledSet {
            account,
            login,
            disabled,
            at,
        } => EventV4::LoginDisabledSet {
            account: account.0,
            login: login.0,
            disabled: *disabled,
            at: at.0,
        },
        Event::PasswordChanged {
            account,
            login,
            password_hash,
            kept_session,
            at,
        } => EventV4::PasswordChanged {
            account: account.0,
            login: login.0,
            password_hash: password_hash.clone(),
            kept_session: kept_session.0,
            at: at.0,
        },
        Event::SecurityQuestionsSet {
            account,
            questions,
            at,
        } => EventV4::SecurityQuestionsSet {
            account: account.0,
            questions: questions_v11(questions),
            at: at.0,
        },
        Event::StepUpPassed {
            account,
            login,
            until,
            at,
        } => EventV4::StepUpPassed {
            account: account.0,
            login: login.0,
            until: until.0,
            at: at.0,
        },
        Event::StepUpFailed {
            account,
            login,
            session,
            locked_until,
            at,
        } => EventV4::StepUpFailed {
            account: account.0,
            login: login.0,
            session: session.0,
            locked_until: locked_until.map(|until| until.0),
            at: at.0,
        },
        Event::LoginProfileSet {
            account,
            login,
            name,
            language,
            at,
        } => EventV4::LoginProfileSet {
            account: account.0,
            login: login.0,
            name: name.clone(),
            language: language.clone(),
            at: at.0,
        },
        Event::AccountClosed {
            account,
            login,
            forfeited,
            at,
        } => EventV4::AccountClosed {
            account: account.0,
            login: login.0,
            forfeited: forfeited
                .iter()
                .map(|(currency, amount)| (currency_v4(*currency), amount.micros()))
                .collect(),
            at: at.0,
        },
    }
}

fn payee_v4(payee: Payee) -> PayeeV4 {
    match payee {
        Payee::Vendor(id) => PayeeV4::Vendor(id.0),
        Payee::RightsHolder(id) => PayeeV4::RightsHolder(id.0),
    }
}

fn payee(stored: PayeeV4) -> Payee {
    match stored {
        PayeeV4::Vendor(id) => Payee::Vendor(VendorId(id)),
        PayeeV4::RightsHolder(id) => Payee::RightsHolder(RightsHolderId(id)),
    }
}

fn sealed_bank_v4(bank: &SealedBank) -> SealedBankV4 {
    SealedBankV4 {
        sealed: bank.sealed.clone(),
        masked: bank.masked.clone(),
    }
}

fn sealed_bank(stored: SealedBankV4) -> SealedBank {
    SealedBank {
        sealed: stored.sealed,
        masked: stored.masked,
    }
}

fn settlement_v4(change: &SettlementEvent) -> SettlementEventV4 {
    match change {
        SettlementEvent::RightsHolderRegistered(holder) => {
            SettlementEventV4::RightsHolderRegistered {
                id: holder.id.0,
                name: holder.name.clone(),
                currency: currency_v4(holder.currency),
                registered_at: holder.registered_at.0,
            }
        }
        SettlementEvent::PayeeSettingsSet {
            payee,
            rule,
            bank,
            at,
        } => SettlementEventV4::PayeeSettingsSet {
            payee: payee_v4(*payee),
            rule: PayoutRuleV4 {
                threshold: rule.threshold.micros(),
                schedule_kind: rule.schedule.kind().to_owned(),
                schedule_day: rule.schedule.day(),
                minimum: rule.minimum.micros(),
            },
            bank: sealed_bank_v4(bank),
            at: at.0,
        },
        SettlementEvent::RunStarted {
            run,
            forced,
            payouts,
            considered,
            at,
        } => SettlementEventV4::RunStarted {
            run: run.0,
            forced: *forced,
            payouts: payouts
                .iter()
                .map(|payout| PayoutV4 {
                    id: payout.id.0,
                    payee: payee_v4(payout.payee),
                    currency: currency_v4(payout.currency),
                    amount: payout.amount.micros(),
                    bank: sealed_bank_v4(&payout.bank),
                })
                .collect(),
            considered: considered.iter().copied().map(payee_v4).collect(),
            at: at.0,
        },
        SettlementEvent::RunFinished { run, file, at } => SettlementEventV4::RunFinished {
            run: run.0,
            file: file.clone(),
            at: at.0,
        },
        SettlementEvent::PayoutReturned { payout, reason, at } => {
            SettlementEventV4::PayoutReturned {
                payout: payout.0,
                reason: reason.clone(),
                at: at.0,
            }
        }
    }
}

fn settlement(stored: SettlementEventV4) -> Result<SettlementEvent, FormatError> {
    Ok(match stored {
        SettlementEventV4::RightsHolderRegistered {
            id,
            name,
            currency: code,
            registered_at,
        } => SettlementEvent::RightsHolderRegistered(RightsHolder {
            id: RightsHolderId(id),
            name,
            currency: currency(code)?,
            registered_at: Timestamp(registered_at),
        }),
        SettlementEventV4::PayeeSettingsSet {
            payee: stored_payee,
            rule,
            bank,
            at,
        } => SettlementEvent::PayeeSettingsSet {
            payee: payee(stored_payee),
            rule: PayoutRule {
                threshold: Amount::from_micros(rule.threshold),
                schedule: Schedule::parse(&rule.schedule_kind, rule.schedule_day)
                    .map_err(|_| FormatError::Corrupt("a settlement schedule breaks its rule"))?,
                minimum: Amount::from_micros(rule.minimum),
            },
            bank: sealed_bank(bank),
            at: Timestamp(at),
        },
        SettlementEventV4::RunStarted {
            run,
            forced,
            payouts,
            considered,
            at,
        } => SettlementEvent::RunStarted {
            run: SettlementRunId(run),
            forced,
            payouts: payouts
                .into_iter()
                .map(|stored| {
                    Ok(Payout {
                        id: PayoutId(stored.id),
                        payee: payee(stored.payee),
                        currency: currency(stored.currency)?,
                        amount: Amount::from_micros(stored.amount),
                        bank: sealed_bank(stored.bank),
                    })
                })
                .collect::<Result<_, FormatError>>()?,
            considered: considered.into_iter().map(payee).collect(),
            at: Timestamp(at),
        },
        SettlementEventV4::RunFinished { run, file, at } => SettlementEvent::RunFinished {
            run: SettlementRunId(run),
            file,
            at: Timestamp(at),
        },
        SettlementEventV4::PayoutReturned { payout, reason, at } => {
            SettlementEvent::PayoutReturned {
                payout: PayoutId(payout),
                reason,
                at: Timestamp(at),
            }
        }
    })
}

fn royalties_v4(royalties: &[Royalty]) -> Vec<(u64, u32)> {
    royalties
        .iter()
        .map(|royalty| (royalty.rights_holder.0, royalty.share_ppm))
        .collect()
}

fn royalties(stored: Vec<(u64, u32)>) -> Result<Vec<Royalty>, FormatError> {
    let royalties: Vec<Royalty> = stored
        .into_iter()
        .map(|(holder, share_ppm)| Royalty {
            rights_holder: RightsHolderId(holder),
            share_ppm,
        })
        .collect();
    check_royalties(&royalties).map_err(|_| FormatError::Corrupt("royalties break their rule"))?;
    Ok(royalties)
}

fn parties_v4(parties: &SaleParties) -> SalePartiesV4 {
    SalePartiesV4 {
        royalties: royalties_v4(&parties.royalties),
        referrer: parties.referrer.map(|vendor| vendor.0),
    }
}

fn parties(stored: SalePartiesV4) -> Result<SaleParties, FormatError> {
    Ok(SaleParties {
        royalties: royalties(stored.royalties)?,
        referrer: stored.referrer.map(VendorId),
    })
}

fn fee_schedule_v4(schedule: &FeeSchedule) -> FeeScheduleV4 {
    FeeScheduleV4 {
        period: match schedule.period {
            FeePeriod::Month => 0,
            FeePeriod::Quarter => 1,
        },
        tiers: schedule
            .tiers
            .iter()
            .map(|tier| (tier.from_gross.micros(), tier.rate_ppm))
            .collect(),
    }
}

fn fee_schedule(stored: FeeScheduleV4) -> Result<FeeSchedule, FormatError> {
    let period = match stored.period {
        0 => FeePeriod::Month,
        1 => FeePeriod::Quarter,
        _ => return Err(FormatError::Corrupt("unknown fee period")),
    };
    let tiers = stored
        .tiers
        .into_iter()
        .map(|(from, rate_ppm)| FeeTier {
            from_gross: Amount::from_micros(from),
            rate_ppm,
        })
        .collect();
    FeeSchedule::new(period, tiers)
        .map_err(|_| FormatError::Corrupt("fee schedule breaks its rule"))
}

fn authorized_v4(authorized: &Authorized) -> AuthorizedV4 {
    AuthorizedV4 {
        account: authorized.account.0,
        authorization: authorized.authorization.0,
        login: authorized.login.0,
        session: authorized.session.0,
        vendor: authorized.vendor.0,
        entitlement: entitlement_v4(&authorized.entitlement),
        idempotency: authorized
            .idempotency
            .as_ref()
            .map(|stamp| IdempotencyStampV4 {
                key: stamp.key.clone(),
                request_digest: stamp.request_digest,
            }),
        idempotency_expired: authorized
            .idempotency_expired
            .iter()
            .map(|(vendor, key)| (vendor.0, key.clone()))
            .collect(),
        offer: authorized.offer.map(|offer| offer.0),
        at: authorized.at.0,
    }
}

fn grant_v4(grant: &Grant) -> GrantV4 {
    GrantV4 {
        id: grant.id.0,
        program: grant.program.map(|program| program.0),
        reach: match &grant.reach {
            Reach::Vendor(vendor) => ReachV4::Vendor(vendor.0),
            Reach::Group { group, vendors } => ReachV4::Group {
                group: group.0,
                vendors: vendors.iter().map(|vendor| vendor.0).collect(),
            },
            Reach::Anywhere => ReachV4::Anywhere,
        },
        funder: funder_v4(grant.funder),
        currency: currency_v4(grant.currency),
        remaining: grant.remaining.micros(),
        granted_at: grant.granted_at.0,
        expires_at: grant.expires_at.map(|at| at.0),
    }
}

fn funder_v4(funder: Funder) -> FunderV4 {
    match funder {
        Funder::Msp => FunderV4::Msp,
        Funder::Vendor(vendor) => FunderV4::Vendor(vendor.0),
    }
}

fn grant(stored: GrantV4) -> Result<Grant, FormatError> {
    Ok(Grant {
        id: GrantId(stored.id),
        program: stored.program.map(ProgramId),
        reach: match stored.reach {
            ReachV4::Vendor(vendor) => Reach::Vendor(VendorId(vendor)),
            ReachV4::Group { group, vendors } => Reach::Group {
                group: VendorGroupId(group),
                vendors: vendors.into_iter().map(VendorId).collect(),
            },
            ReachV4::Anywhere => Reach::Anywhere,
        },
        funder: funder(stored.funder),
        currency: currency(stored.currency)?,
        remaining: Amount::from_micros(stored.remaining),
        granted_at: Timestamp(stored.granted_at),
        expires_at: stored.expires_at.map(Timestamp),
    })
}

fn funder(stored: FunderV4) -> Funder {
    match stored {
        FunderV4::Msp => Funder::Msp,
        FunderV4::Vendor(vendor) => Funder::Vendor(VendorId(vendor)),
    }
}

fn grants(stored: Vec<GrantV4>) -> Result<Vec<Grant>, FormatError> {
    stored.into_iter().map(grant).collect()
}

fn authorized(
    stored: AuthorizedV4,
    incentives: Vec<Grant>,
    parties: SaleParties,
    text: PurchaseTextV4,
) -> Result<Authorized, FormatError> {
    let bought = entitlement(stored.entitlement)?;
    if bought.key.vendor.0 != stored.vendor || bought.authorization.0 != stored.authorization {
        return Err(FormatError::Corrupt("purchase and entitlement disagree"));
    }
    Ok(Authorized {
        account: AccountId(stored.account),
        authorization: AuthorizationId(stored.authorization),
        login: LoginId(stored.login),
        session: SessionId(stored.session),
        vendor: VendorId(stored.vendor),
        entitlement: bought,
        idempotency: stored.idempotency.map(|stamp| IdempotencyStamp {
            key: stamp.key,
            request_digest: stamp.request_digest,
        }),
        idempotency_expired: stored
            .idempotency_expired
            .into_iter()
            .map(|(vendor, key)| (VendorId(vendor), key))
            .collect(),
        offer: stored.offer.map(OfferId),
        incentives,
        parties,
        title: text.title,
        content_url: text.content_url,
        at: Timestamp(stored.at),
    })
}

/// The text of a purchase journaled before titles were kept.
fn no_text() -> PurchaseTextV4 {
    PurchaseTextV4 {
        title: String::new(),
        content_url: String::new(),
    }
}

fn in_transit_v4(transit: &InTransit) -> InTransitV4 {
    InTransitV4 {
        transfer: transit.transfer.0,
        from: transit.from.0,
        login: transit.login.0,
        to: transit.to.0,
        currency: currency_v4(transit.currency),
        amount: transit.amount.micros(),
        note: transit.note.clone(),
        sent_at: transit.sent_at.0,
        at: transit.at.0,
    }
}

fn in_transit(stored: InTransitV4) -> Result<InTransit, FormatError> {
    Ok(InTransit {
        transfer: TransferId(stored.transfer),
        from: AccountId(stored.from),
        login: LoginId(stored.login),
        to: AccountId(stored.to),
        currency: currency(stored.currency)?,
        amount: Amount::from_micros(stored.amount),
        note: stored.note,
        sent_at: Timestamp(stored.sent_at),
        at: Timestamp(stored.at),
    })
}

// ---------------------------------------------------------------------------------------
// Stored -> domain (validating).

fn currency(code: CurrencyV4) -> Result<Currency, FormatError> {
    std::str::from_utf8(&code)
        .ok()
        .and_then(|text| Currency::parse(text).ok())
        .ok_or(FormatError::Corrupt("unknown currency"))
}

fn origin(origin: OriginV4) -> Origin {
    match origin {
        OriginV4::Admin => Origin::Admin,
        OriginV4::Seed => Origin::Seed,
        OriginV4::PaymentMethod => Origin::PaymentMethod,
        OriginV4::Vendor(vendor) => Origin::Vendor(VendorId(vendor)),
        OriginV4::Dispute => Origin::Dispute,
    }
}

fn top_off(setting: TopOffV4) -> TopOff {
    TopOff {
        amount: Amount::from_micros(setting.amount),
        method: PaymentMethodId(setting.method),
    }
}

fn route(route: MemberRouteV4) -> MemberRoute {
    match route {
        MemberRouteV4::Deposits => MemberRoute::Deposits,
        MemberRouteV4::CashOuts => MemberRoute::CashOuts,
        MemberRouteV4::Transfers => MemberRoute::Transfers,
    }
}

fn kept(stored: KeptRequestV5) -> ((MemberRoute, String), KeptRequest) {
    let request = KeptRequest {
        digest: stored.digest,
        subject: stored.subject,
        recorded_at: Timestamp(stored.recorded_at),
        outcome: stored.outcome.map(|outcome| match outcome {
            KeptOutcomeV5::Credited => KeptOutcome::Credited,
            KeptOutcomeV5::Pending => KeptOutcome::Pending,
            KeptOutcomeV5::Declined(code) => KeptOutcome::Declined(code),
            KeptOutcomeV5::CashedOut { charge, net } => KeptOutcome::CashedOut {
                charge: Amount::from_micros(charge),
                net: Amount::from_micros(net),
            },
        }),
    };
    ((route(stored.route), stored.key), request)
}

fn saved_method(method: SavedMethodV4) -> SavedMethod {
    SavedMethod {
        id: PaymentMethodId(method.id),
        rail: match method.rail {
            RailV4::Card => Rail::Card,
            RailV4::BankDebit => Rail::BankDebit,
        },
        brand: method.brand.into_boxed_str(),
        last4: method.last4.into_boxed_str(),
        token: method.token.into_boxed_str(),
        added_at: Timestamp(method.added_at),
    }
}

/// A charged method; the legacy test card is dated by the event that names it.
fn charged_method(method: PaymentMethodV4, at: Timestamp) -> SavedMethod {
    match method {
        PaymentMethodV4::TestCard => SavedMethod::legacy_test_card(at),
        PaymentMethodV4::Saved(saved) => saved_method(saved),
    }
}

fn login(login: LoginV4) -> Login {
    Login::holder(LoginId(login.id), login.email, login.password_hash)
}

fn login_v11(login: &Login) -> LoginV11 {
    LoginV11 {
        id: login.id.0,
        email: login.email.clone(),
        password_hash: login.password_hash.clone(),
        name: login.name.clone(),
        role: match login.role {
            LoginRole::Holder => 0,
            LoginRole::Member => 1,
        },
        disabled: login.disabled,
        language: login.language.clone(),
    }
}

fn questions_v11(questions: &[SecurityQuestion]) -> Vec<(String, String)> {
    questions
        .iter()
        .map(|q| (q.question.clone(), q.answer_hash.clone()))
        .collect()
}

fn questions_of_v11(questions: Vec<(String, String)>) -> Vec<SecurityQuestion> {
    questions
        .into_iter()
        .map(|(question, answer_hash)| SecurityQuestion {
            question,
            answer_hash,
        })
        .collect()
}

fn step_up_v11(step_up: &StepUp) -> StepUpV11 {
    StepUpV11 {
        questions: questions_v11(&step_up.questions),
        logins: step_up
            .logins
            .iter()
            .map(|(login, record)| {
                (
                    login.0,
                    record.failures,
                    record.locked_until.map(|t| t.0),
                    record.passed_until.map(|t| t.0),
                )
            })
            .collect(),
        typical: step_up
            .typical
            .iter()
            .map(|(currency, amount)| (currency_v4(*currency), amount.micros()))
            .collect(),
        minute: step_up.minute.map(|(began, count)| (began.0, count)),
    }
}

fn step_up(stored: StepUpV11) -> Result<StepUp, FormatError> {
    Ok(StepUp {
        questions: questions_of_v11(stored.questions),
        logins: stored
            .logins
            .into_iter()
            .map(|(login, failures, locked_until, passed_until)| {
                (
                    LoginId(login),
                    LoginStepUp {
                        failures,
                        locked_until: locked_until.map(Timestamp),
                        passed_until: passed_until.map(Timestamp),
                    },
                )
            })
            .collect(),
        typical: stored
            .typical
            .into_iter()
            .map(|(code, micros)| Ok((currency(code)?, Amount::from_micros(micros))))
            .collect::<Result<_, FormatError>>()?,
        minute: stored
            .minute
            .map(|(began, count)| (Timestamp(began), count)),
    })
}

fn login_of_v11(login: LoginV11) -> Result<Login, FormatError> {
    let role = match login.role {
        0 => LoginRole::Holder,
        1 => LoginRole::Member,
        _ => return Err(FormatError::Corrupt("unknown login role")),
    };
    Ok(Login {
        id: LoginId(login.id),
        email: login.email,
        password_hash: login.password_hash,
        name: login.name,
        role,
        disabled: login.disabled,
        language: login.language,
    })
}

fn session(session: SessionV4) -> Result<Session, FormatError> {
    let spent = session
        .spent
        .into_iter()
        .map(|(code, micros)| Ok((currency(code)?, Amount::from_micros(micros))))
        .collect::<Result<BTreeMap<_, _>, FormatError>>()?;
    Ok(Session {
        id: SessionId(session.id),
        login: LoginId(session.login),
        started_at: Timestamp(session.started_at),
        last_purchase_at: Timestamp(session.last_purchase_at),
        expiry: match session.expiry {
            SessionExpiryV4::Absolute { expires_at } => SessionExpiry::Absolute {
                expires_at: Timestamp(expires_at),
            },
            SessionExpiryV4::Idle { idle_ms } => SessionExpiry::Idle { idle_ms },
        },
        ended: session.ended,
        spent,
    })
}

fn limits(limits: LimitsV4) -> Limits {
    let amount = |micros: Option<u64>| micros.map(Amount::from_micros);
    Limits {
        per_transaction: amount(limits.per_transaction),
        per_session: amount(limits.per_session),
        per_day: amount(limits.per_day),
        per_week: amount(limits.per_week),
        per_month: amount(limits.per_month),
        vendors_allowed: limits
            .vendors_allowed
            .map(|ids| ids.into_iter().map(VendorId).collect()),
    }
}

fn content_key(key: ContentKeyV4) -> ContentKey {
    ContentKey {
        vendor: VendorId(key.vendor),
        content: key.content,
    }
}

fn terms(terms: TermsV4) -> Terms {
    Terms {
        views: terms.views,
        expires_at: terms.expires_at.map(Timestamp),
        valid_days: terms.valid_days,
        valid_hours: terms.valid_hours,
    }
}

fn entitlement(entitlement: EntitlementV4) -> Result<Entitlement, FormatError> {
    if entitlement
        .views_allowed
        .is_some_and(|allowed| entitlement.views_used > allowed)
    {
        return Err(FormatError::Corrupt("more views used than allowed"));
    }
    Ok(Entitlement {
        id: EntitlementId(entitlement.id),
        key: content_key(entitlement.key),
        authorization: AuthorizationId(entitlement.authorization),
        price: Amount::from_micros(entitlement.price),
        currency: currency(entitlement.currency)?,
        purchased_at: Timestamp(entitlement.purchased_at),
        views_allowed: entitlement.views_allowed,
        views_used: entitlement.views_used,
        expires_at: entitlement.expires_at.map(Timestamp),
        reversed_at: entitlement.reversed_at.map(Timestamp),
    })
}

fn profile(profile: VendorProfileV4) -> Result<VendorProfile, FormatError> {
    if profile.fee_ppm > crate::domain::vendor::PPM_MAX {
        return Err(FormatError::Corrupt("fee above 100%"));
    }
    Ok(VendorProfile {
        id: VendorId(profile.id),
        name: profile.name,
        currency: currency(profile.currency)?,
        content_domains: profile.content_domains,
        fee_ppm: profile.fee_ppm,
        api_key_digest: profile.api_key_digest,
        registered_at: Timestamp(profile.registered_at),
    })
}

fn offer(offer: OfferV4) -> Result<Offer, FormatError> {
    Ok(Offer {
        id: OfferId(offer.id),
        vendor: VendorId(offer.vendor),
        title: offer.title,
        short_description: offer.short_description,
        price: Amount::from_micros(offer.price),
        currency: currency(offer.currency)?,
        content_url: offer.content_url,
        content: content_key(offer.content),
        is_post: offer.is_post,
        terms: terms(offer.terms),
        incentives: match offer.incentives {
            IncentivePolicyV4::Any => IncentivePolicy::Any,
            IncentivePolicyV4::None => IncentivePolicy::None,
            IncentivePolicyV4::Only(ids) => IncentivePolicy::Only(ids),
        },
        optional_data: offer.optional_data,
        cancel_url: offer.cancel_url,
        posted_at: Timestamp(offer.posted_at),
        expires_at: Timestamp(offer.expires_at),
        royalties: Vec::new(),
    })
}

fn event(event: EventV4) -> Result<Event, FormatError> {
    Ok(match event {
        EventV4::AccountOpened {
            account,
            login: opened,
            language,
            time_zone,
            currency: code,
            at,
        } => {
            MemberZone::new(&time_zone).map_err(|_| FormatError::Corrupt("unknown time zone"))?;
            Event::AccountOpened {
                account: AccountId(account),
                login: login(opened),
                language,
                time_zone,
                currency: currency(code)?,
                at: Timestamp(at),
            }
        }
        EventV4::Deposited {
            account,
            currency: code,
            amount,
            reference,
            by,
            at,
        } => Event::Deposited {
            account: AccountId(account),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            reference,
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::CreditLineSet {
            account,
            currency: code,
            limit,
            by,
            at,
        } => Event::CreditLineSet {
            account: AccountId(account),
            currency: currency(code)?,
            limit: Amount::from_micros(limit),
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::SessionStarted {
            account,
            session: started,
            evicted,
        } => Event::SessionStarted {
            account: AccountId(account),
            session: session(started)?,
            evicted: evicted.into_iter().map(SessionId).collect(),
        },
        EventV4::SessionEnded {
            account,
            session,
            at,
        } => Event::SessionEnded {
            account: AccountId(account),
            session: SessionId(session),
            at: Timestamp(at),
        },
        EventV4::LimitsSet {
            account,
            login,
            currency: code,
            limits: set,
            at,
        } => Event::LimitsSet {
            account: AccountId(account),
            login: LoginId(login),
            currency: currency(code)?,
            limits: limits(set),
            at: Timestamp(at),
        },
        EventV4::FreezeSet {
            account,
            frozen,
            at,
        } => Event::FreezeSet {
            account: AccountId(account),
            frozen,
            at: Timestamp(at),
        },
        EventV4::Authorized(stored) => Event::Authorized(Box::new(authorized(
            *stored,
            Vec::new(),
            SaleParties::default(),
            no_text(),
        )?)),
        EventV4::AuthorizedWithIncentives(stored, spent) => {
            if spent.is_empty() {
                return Err(FormatError::Corrupt(
                    "a purchase with incentives names none",
                ));
            }
            Event::Authorized(Box::new(authorized(
                *stored,
                grants(spent)?,
                SaleParties::default(),
                no_text(),
            )?))
        }
        EventV4::AuthorizedWithParties(stored, spent, stored_parties) => {
            Event::Authorized(Box::new(authorized(
                *stored,
                grants(spent)?,
                parties(stored_parties)?,
                no_text(),
            )?))
        }
        EventV4::AuthorizedWithText(stored, spent, stored_parties, text) => {
            if text.title.is_empty() && text.content_url.is_empty() {
                return Err(FormatError::Corrupt("a purchase with text has none"));
            }
            Event::Authorized(Box::new(authorized(
                *stored,
                grants(spent)?,
                parties(stored_parties)?,
                text,
            )?))
        }
        EventV4::ViewCounted {
            account,
            entitlement,
            token_id,
            token_expires_at,
            at,
        } => Event::ViewCounted {
            account: AccountId(account),
            entitlement: EntitlementId(entitlement),
            token_id,
            token_expires_at: Timestamp(token_expires_at),
            at: Timestamp(at),
        },
        EventV4::Reversed {
            account,
            authorization,
            entitlement,
            vendor,
            currency: code,
            refund,
            reason,
            by,
            at,
        } => Event::Reversed {
            account: AccountId(account),
            authorization: AuthorizationId(authorization),
            entitlement: EntitlementId(entitlement),
            vendor: VendorId(vendor),
            currency: currency(code)?,
            refund: Amount::from_micros(refund),
            incentives: Vec::new(),
            purchased_at: Timestamp(at),
            parties: SaleParties::default(),
            reason,
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::ReversedWithIncentives {
            account,
            authorization,
            entitlement,
            vendor,
            currency: code,
            refund,
            reason,
            by,
            at,
            incentives,
        } => Event::Reversed {
            account: AccountId(account),
            authorization: AuthorizationId(authorization),
            entitlement: EntitlementId(entitlement),
            vendor: VendorId(vendor),
            currency: currency(code)?,
            refund: Amount::from_micros(refund),
            incentives: grants(incentives)?,
            purchased_at: Timestamp(at),
            parties: SaleParties::default(),
            reason,
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::ReversedWithParties {
            account,
            authorization,
            entitlement,
            vendor,
            currency: code,
            refund,
            reason,
            by,
            at,
            incentives,
            purchased_at,
            parties: stored_parties,
        } => Event::Reversed {
            account: AccountId(account),
            authorization: AuthorizationId(authorization),
            entitlement: EntitlementId(entitlement),
            vendor: VendorId(vendor),
            currency: currency(code)?,
            refund: Amount::from_micros(refund),
            incentives: grants(incentives)?,
            purchased_at: Timestamp(purchased_at),
            parties: parties(stored_parties)?,
            reason,
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::DepositCreditedVia {
            account,
            deposit,
            currency: code,
            amount,
            charge_reference,
            via,
            at,
        } => Event::DepositCredited {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            charge_reference,
            via: Some(VendorId(via)),
            at: Timestamp(at),
        },
        EventV4::DepositSettledVia {
            account,
            deposit,
            currency: code,
            amount,
            via,
            at,
        } => Event::DepositSettled {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            via: Some(VendorId(via)),
            at: Timestamp(at),
        },
        EventV4::Settlement(stored) => Event::Settlement(Box::new(settlement(*stored)?)),
        EventV4::DisputeFiled {
            account,
            dispute: stored,
        } => Event::DisputeFiled {
            account: AccountId(account),
            dispute: Box::new(dispute(*stored)?),
        },
        EventV4::DisputeDecided {
            account,
            authorization,
            vendor,
            approve,
            reason,
            by,
            at,
        } => Event::DisputeDecided {
            account: AccountId(account),
            authorization: AuthorizationId(authorization),
            vendor: VendorId(vendor),
            approve,
            reason,
            by: origin(by),
            at: Timestamp(at),
        },
        EventV4::BackOffice(stored) => Event::BackOffice(Box::new(back_office(*stored)?)),
        EventV4::Audit(stored) => Event::Audit(Box::new(audit(*stored))),
        EventV4::VendorApplied(stored) => Event::VendorApplied(Box::new(profile(*stored)?)),
        EventV4::VendorDecided {
            vendor,
            approve,
            reason,
            by,
            at,
        } => Event::VendorDecided {
            vendor: VendorId(vendor),
            approve,
            reason,
            by: staff(by),
            at: Timestamp(at),
        },
        EventV4::ApiKeyRotated {
            vendor,
            key_digest,
            previous_valid_until,
            at,
        } => Event::ApiKeyRotated {
            vendor: VendorId(vendor),
            key_digest,
            previous_valid_until: Timestamp(previous_valid_until),
            at: Timestamp(at),
        },
        EventV4::VendorOffersDeclined {
            account,
            vendor,
            at,
        } => Event::VendorOffersDeclined {
            account: AccountId(account),
            vendor: VendorId(vendor),
            at: Timestamp(at),
        },
        EventV4::MailingListSet { vendor, url, at } => Event::MailingListSet {
            vendor: VendorId(vendor),
            url,
            at: Timestamp(at),
        },
        EventV4::LoginAdded { account, login, at } => Event::LoginAdded {
            account: AccountId(account),
            login: login_of_v11(login)?,
            at: Timestamp(at),
        },
        EventV4::LoginDisabledSet {
            account,
            login,
            disabled,
            at,
        } => Event::LoginDisabledSet {
            account: AccountId(account),
            login: LoginId(login),
            disabled,
            at: Timestamp(at),
        },
        EventV4::LoginProfileSet {
            account,
            login,
            name,
            language,
            at,
        } => Event::LoginProfileSet {
            account: AccountId(account),
            login: LoginId(login),
            name,
            language,
            at: Timestamp(at),
        },
        EventV4::PasswordChanged {
            account,
            login,
            password_hash,
            kept_session,
            at,
        } => Event::PasswordChanged {
            account: AccountId(account),
            login: LoginId(login),
            password_hash,
            kept_session: SessionId(kept_session),
            at: Timestamp(at),
        },
        EventV4::SecurityQuestionsSet {
            account,
            questions,
            at,
        } => Event::SecurityQuestionsSet {
            account: AccountId(account),
            questions: questions_of_v11(questions),
            at: Timestamp(at),
        },
        EventV4::StepUpPassed {
            account,
            login,
            until,
            at,
        } => Event::StepUpPassed {
            account: AccountId(account),
            login: LoginId(login),
            until: Timestamp(until),
            at: Timestamp(at),
        },
        EventV4::StepUpFailed {
            account,
            login,
            session,
            locked_until,
            at,
        } => Event::StepUpFailed {
            account: AccountId(account),
            login: LoginId(login),
            session: SessionId(session),
            locked_until: locked_until.map(Timestamp),
            at: Timestamp(at),
        },
        EventV4::AccountClosed {
            account,
            login,
            forfeited,
            at,
        } => Event::AccountClosed {
            account: AccountId(account),
            login: LoginId(login),
            forfeited: forfeited
                .into_iter()
                .map(|(code, micros)| {
                    if micros == 0 {
                        return Err(FormatError::Corrupt("an empty forfeit"));
                    }
                    Ok((currency(code)?, Amount::from_micros(micros)))
                })
                .collect::<Result<_, FormatError>>()?,
            at: Timestamp(at),
        },
        EventV4::ReferralRecorded {
            account,
            vendor,
            until,
            at,
        } => Event::ReferralRecorded {
            account: AccountId(account),
            vendor: VendorId(vendor),
            until: Timestamp(until),
            at: Timestamp(at),
        },
        EventV4::FeeScheduleSet {
            vendor,
            schedule,
            at,
        } => Event::FeeScheduleSet {
            vendor: VendorId(vendor),
            schedule: fee_schedule(schedule)?,
            at: Timestamp(at),
        },
        EventV4::CommissionSet {
            vendor,
            referral_rate_ppm,
            funds_rate_ppm,
            at,
        } => {
            if referral_rate_ppm > PPM_MAX || funds_rate_ppm > PPM_MAX {
                return Err(FormatError::Corrupt("a commission rate above the whole"));
            }
            Event::CommissionSet {
                vendor: VendorId(vendor),
                rates: CommissionRates {
                    referral_rate_ppm,
                    funds_rate_ppm,
                },
                at: Timestamp(at),
            }
        }
        EventV4::IncentiveGranted {
            account,
            grant: stored,
            redeemed,
        } => Event::IncentiveGranted {
            account: AccountId(account),
            grant: grant(stored)?,
            redeemed,
        },
        EventV4::IncentiveExpired {
            account,
            grant,
            currency: code,
            amount,
            funder: paid_by,
            at,
        } => Event::IncentiveExpired {
            account: AccountId(account),
            grant: GrantId(grant),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            funder: funder(paid_by),
            at: Timestamp(at),
        },
        EventV4::VendorGroupCreated(group) => Event::VendorGroupCreated(Box::new(VendorGroup {
            id: VendorGroupId(group.id),
            name: group.name,
            vendors: group.vendors.into_iter().map(VendorId).collect(),
            created_at: Timestamp(group.created_at),
        })),
        EventV4::ProgramCreated(program) => Event::ProgramCreated(Box::new(Program {
            id: ProgramId(program.id),
            code: program.code,
            scope: match program.scope {
                ProgramScopeV4::Msp => ProgramScope::Msp,
                ProgramScopeV4::Group(group) => ProgramScope::Group(VendorGroupId(group)),
                ProgramScopeV4::Vendor(vendor) => ProgramScope::Vendor(VendorId(vendor)),
            },
            amount: Amount::from_micros(program.amount),
            currency: currency(program.currency)?,
            expires_at: program.expires_at.map(Timestamp),
            budget: Amount::from_micros(program.budget),
            created_at: Timestamp(program.created_at),
        })),
        EventV4::VendorRegistered(stored) => Event::VendorRegistered(Box::new(profile(*stored)?)),
        // Data written before saved methods saved or removed the one test card.
        EventV4::PaymentMethodSaved {
            account,
            method: Some(saved),
            at,
        } => Event::PaymentMethodAdded {
            account: AccountId(account),
            method: charged_method(saved, Timestamp(at)),
            at: Timestamp(at),
        },
        EventV4::PaymentMethodSaved {
            account,
            method: None,
            at,
        } => Event::PaymentMethodRemoved {
            account: AccountId(account),
            method: LEGACY_TEST_CARD_ID,
            at: Timestamp(at),
        },
        EventV4::OfferPosted(stored) => Event::OfferPosted(Box::new(offer(*stored)?)),
        EventV4::OfferPostedWithRoyalties(stored, shares) => Event::OfferPosted(Box::new(Offer {
            royalties: royalties(shares)?,
            ..offer(*stored)?
        })),
        EventV4::OffersPruned { vendor, offers, at } => Event::OffersPruned {
            vendor: VendorId(vendor),
            offers: offers.into_iter().map(OfferId).collect(),
            at: Timestamp(at),
        },
        EventV4::DepositStarted {
            account,
            deposit,
            currency: code,
            amount,
            method: charged,
            at,
        } => Event::DepositStarted {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            method: charged_method(charged, Timestamp(at)),
            via: None,
            at: Timestamp(at),
        },
        EventV4::DepositStartedVia {
            account,
            deposit,
            currency: code,
            amount,
            method,
            via,
            at,
        } => Event::DepositStarted {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            method: saved_method(method),
            via: Some(VendorId(via)),
            at: Timestamp(at),
        },
        EventV4::DepositCredited {
            account,
            deposit,
            currency: code,
            amount,
            charge_reference,
            at,
        } => Event::DepositCredited {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            charge_reference,
            via: None,
            at: Timestamp(at),
        },
        EventV4::DepositFailed {
            account,
            deposit,
            reason,
            at,
        } => Event::DepositFailed {
            account: AccountId(account),
            deposit: DepositId(deposit),
            reason,
            at: Timestamp(at),
        },
        EventV4::WalletOpened {
            account,
            currency: code,
            at,
        } => Event::WalletOpened {
            account: AccountId(account),
            currency: currency(code)?,
            at: Timestamp(at),
        },
        EventV4::PaymentMethodAdded {
            account,
            method,
            at,
        } => Event::PaymentMethodAdded {
            account: AccountId(account),
            method: saved_method(method),
            at: Timestamp(at),
        },
        EventV4::PaymentMethodRemoved {
            account,
            method,
            at,
        } => Event::PaymentMethodRemoved {
            account: AccountId(account),
            method: PaymentMethodId(method),
            at: Timestamp(at),
        },
        EventV4::DepositAccepted {
            account,
            deposit,
            currency: code,
            amount,
            charge_reference,
            at,
        } => Event::DepositAccepted {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            charge_reference,
            at: Timestamp(at),
        },
        EventV4::DepositSettled {
            account,
            deposit,
            currency: code,
            amount,
            at,
        } => Event::DepositSettled {
            account: AccountId(account),
            deposit: DepositId(deposit),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            via: None,
            at: Timestamp(at),
        },
        EventV4::DepositReturned {
            account,
            deposit,
            currency: code,
            amount,
            debt,
            reason,
            at,
        } => {
            if debt > amount {
                return Err(FormatError::Corrupt(
                    "a returned debit owes more than it was",
                ));
            }
            Event::DepositReturned {
                account: AccountId(account),
                deposit: DepositId(deposit),
                currency: currency(code)?,
                amount: Amount::from_micros(amount),
                debt: Amount::from_micros(debt),
                reason,
                at: Timestamp(at),
            }
        }
        EventV4::DebtRepaid {
            account,
            currency: code,
            amount,
            at,
        } => Event::DebtRepaid {
            account: AccountId(account),
            currency: currency(code)?,
            amount: Amount::from_micros(amount),
            at: Timestamp(at),
        },
        EventV4::CashedOut {
            account,
            cash_out,
            currency: code,
            amount,
            charge,
            destination,
            at,
        } => {
            if charge >= amount {
                return Err(FormatError::Corrupt("a cash-out charged all it took"));
            }
            Event::CashedOut {
                account: AccountId(account),
                cash_out: CashOutId(cash_out),
                currency: currency(code)?,
                amount: Amount::from_micros(amount),
                charge: Amount::from_micros(charge),
                destination: saved_method(destination),
                at: Timestamp(at),
            }
        }
        EventV4::TopOffSet {
            account,
            currency: code,
            setting,
            at,
        } => Event::TopOffSet {
            account: AccountId(account),
            currency: currency(code)?,
            setting: setting.map(top_off),
            at: Timestamp(at),
        },
        EventV4::RequestKept {
            account,
            route: stored,
            key,
            digest,
            subject,
            forgotten,
            at,
        } => Event::RequestKept {
            account: AccountId(account),
            route: route(stored),
            key,
            digest,
            subject,
            forgotten: forgotten
                .into_iter()
                .map(|(stored, key)| (route(stored), key))
                .collect(),
            at: Timestamp(at),
        },
        EventV4::TransferSent(sent) => Event::TransferSent(Box::new(in_transit(sent)?)),
        EventV4::TransferReceived(received) => {
            Event::TransferReceived(Box::new(in_transit(received)?))
        }
    })
}

// ---------------------------------------------------------------------------------------
// The statement: each account's lines, by time and position, with three indexes.

/// The key prefix byte of a statement line (`s | account | !at | !position` → line).
pub const STATEMENT_LINE_PREFIX: u8 = b's';
/// The key prefix byte of the vendor index (`v | account | vendor | !at | !position`).
pub const STATEMENT_VENDOR_PREFIX: u8 = b'v';
/// The key prefix byte of the kind index (`k | account | kind | !at | !position`).
pub const STATEMENT_KIND_PREFIX: u8 = b'k';
/// The key prefix byte of the login index (`l | account | login | !at | !position`).
pub const STATEMENT_LOGIN_PREFIX: u8 = b'l';
/// Bytes of the end of every statement key: the inverted instant and position.
pub const STATEMENT_TAIL_BYTES: usize = 16;
/// Bytes of the longest statement key: prefix, account, vendor or login, tail.
pub const STATEMENT_KEY_BYTES_MAX: usize = 1 + 8 + 8 + STATEMENT_TAIL_BYTES;

/// The end of a statement key: the instant (its order as unsigned, inverted) and the
/// position (inverted), big-endian, so a forward scan reads the newest line first and lines of
/// one instant by descending position.
#[must_use]
pub fn statement_tail(cursor: StatementCursor) -> [u8; STATEMENT_TAIL_BYTES] {
    // Flipping the sign bit orders i64 as u64; inverting makes later sort first.
    let at = !(u64::from_be_bytes(cursor.at.0.to_be_bytes()) ^ (1 << 63));
    let position = !cursor.position;
    let mut tail = [0; STATEMENT_TAIL_BYTES];
    let (head, rest) = tail.split_at_mut(8);
    head.copy_from_slice(&at.to_be_bytes());
    rest.copy_from_slice(&position.to_be_bytes());
    tail
}

/// Reads the instant and position back from the end of a statement key.
#[must_use]
pub fn split_statement_tail(key: &[u8]) -> Option<StatementCursor> {
    let start = key.len().checked_sub(STATEMENT_TAIL_BYTES)?;
    let tail = key.get(start..)?;
    let (at, position) = tail.split_first_chunk::<8>()?;
    let position: [u8; 8] = position.try_into().ok()?;
    let at = !u64::from_be_bytes(*at) ^ (1 << 63);
    Some(StatementCursor {
        at: Timestamp(i64::from_be_bytes(at.to_be_bytes())),
        position: !u64::from_be_bytes(position),
    })
}

/// The prefix of an account's entries in one of its statement indexes.
#[must_use]
pub fn statement_prefix(account: AccountId, index: StatementIndex) -> Vec<u8> {
    let mut key = Vec::with_capacity(STATEMENT_KEY_BYTES_MAX);
    extend_statement_prefix(&mut key, account, index);
    key
}

fn extend_statement_prefix(out: &mut Vec<u8>, account: AccountId, index: StatementIndex) {
    out.push(match index {
        StatementIndex::All => STATEMENT_LINE_PREFIX,
        StatementIndex::Vendor(_) => STATEMENT_VENDOR_PREFIX,
        StatementIndex::Kind(_) => STATEMENT_KIND_PREFIX,
        StatementIndex::Login(_) => STATEMENT_LOGIN_PREFIX,
    });
    out.extend_from_slice(&account.0.to_be_bytes());
    match index {
        StatementIndex::All => {}
        StatementIndex::Vendor(vendor) => out.extend_from_slice(&vendor.0.to_be_bytes()),
        StatementIndex::Kind(kind) => out.push(line_kind_v4(kind)),
        StatementIndex::Login(login) => out.extend_from_slice(&login.0.to_be_bytes()),
    }
}

/// Appends to `out` the key of the entry at `cursor` in `index` of `account`'s statement.
pub fn extend_statement_key(
    out: &mut Vec<u8>,
    account: AccountId,
    index: StatementIndex,
    cursor: StatementCursor,
) {
    extend_statement_prefix(out, account, index);
    out.extend_from_slice(&statement_tail(cursor));
}

/// The account and position of any statement row's key (line or index entry); `None` for
/// the built marker and keys this format does not write.
#[must_use]
pub fn statement_key_place(key: &[u8]) -> Option<(AccountId, u64)> {
    let (&prefix, rest) = key.split_first()?;
    let expected = match prefix {
        STATEMENT_LINE_PREFIX => 8,
        STATEMENT_VENDOR_PREFIX | STATEMENT_LOGIN_PREFIX => 16,
        STATEMENT_KIND_PREFIX => 9,
        _ => return None,
    };
    if rest.len() != expected + STATEMENT_TAIL_BYTES {
        return None;
    }
    let (account, _) = rest.split_first_chunk::<8>()?;
    let cursor = split_statement_tail(key)?;
    Some((AccountId(u64::from_be_bytes(*account)), cursor.position))
}

/// A range of keys: where a scan starts and where it ends.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The range of keys under `prefix` that a query reads, newest first: before `to`, at or
/// after `from`, and after the cursor. `None` when the range is empty.
#[must_use]
pub fn statement_range(prefix: &[u8], query: &StatementQuery) -> Option<KeyRange> {
    if query.is_empty_range() {
        return None;
    }
    let key = |tail: [u8; STATEMENT_TAIL_BYTES]| {
        let mut key = prefix.to_vec();
        key.extend_from_slice(&tail);
        key
    };
    // The oldest key of an instant is its position 0: the last key that instant sorts at.
    let last_of = |at: Timestamp| key(statement_tail(StatementCursor { at, position: 0 }));
    // Start after the prefix itself, after the lines at or after `to`, after the cursor:
    // whichever comes last.
    let mut start = prefix.to_vec();
    if let Some(to) = query.to {
        start = start.max(last_of(to));
    }
    if let Some(cursor) = query.cursor {
        start = start.max(key(statement_tail(cursor)));
    }
    let end = match query.from {
        Some(from) => last_of(from),
        None => key([0xff; STATEMENT_TAIL_BYTES]),
    };
    if start >= end {
        return None;
    }
    Some((Bound::Excluded(start), Bound::Included(end)))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StatementLineV4<Text> {
    position: u64,
    at: i64,
    kind: u8,
    currency: CurrencyV4,
    amount: i128,
    balance_after: i128,
    vendor: Option<u64>,
    login: Option<u64>,
    title: Text,
    content_url: Text,
    entitlement: Option<u64>,
    note: Text,
}

fn line_kind_v4(kind: LineKind) -> u8 {
    match kind {
        LineKind::Purchase => 0,
        LineKind::FundsAdded => 1,
        LineKind::TransferIn => 2,
        LineKind::TransferOut => 3,
        LineKind::CashOut => 4,
        LineKind::Incentive => 5,
        LineKind::Dispute => 6,
        LineKind::CustomerCredit => 7,
        LineKind::Reversal => 8,
    }
}

fn line_kind(stored: u8) -> Result<LineKind, FormatError> {
    Ok(match stored {
        0 => LineKind::Purchase,
        1 => LineKind::FundsAdded,
        2 => LineKind::TransferIn,
        3 => LineKind::TransferOut,
        4 => LineKind::CashOut,
        5 => LineKind::Incentive,
        6 => LineKind::Dispute,
        7 => LineKind::CustomerCredit,
        8 => LineKind::Reversal,
        _ => return Err(FormatError::Corrupt("unknown statement line kind")),
    })
}

/// Encodes a statement line for the `statement` keyspace.
#[must_use]
pub fn encode_statement_line(line: &StatementLine) -> Vec<u8> {
    let mut bytes = Vec::new();
    extend_statement_line(&mut bytes, line);
    bytes
}

/// Appends to `out` what [`encode_statement_line`] answers, without copying the line's text
/// first (the projector encodes every line of a table into one buffer).
pub fn extend_statement_line(out: &mut Vec<u8>, line: &StatementLine) {
    let start = out.len();
    extend_encoded(
        out,
        VERSION,
        &StatementLineV4 {
            position: line.position,
            at: line.at.0,
            kind: line_kind_v4(line.kind),
            currency: currency_v4(line.currency),
            amount: line.amount.micros(),
            balance_after: line.balance_after.micros(),
            vendor: line.vendor.map(|vendor| vendor.0),
            login: line.login.map(|login| login.0),
            title: line.title.as_str(),
            content_url: line.content_url.as_str(),
            entitlement: line.entitlement.map(|entitlement| entitlement.0),
            note: line.note.as_str(),
        },
    );
    debug_assert!(
        out.get(start..)
            .map(decode_statement_line)
            .is_some_and(|decoded| decoded.as_ref() == Ok(line)),
        "a statement line does not round-trip through its stored form"
    );
}

/// Decodes a line written by [`encode_statement_line`].
///
/// # Errors
/// `FormatError` for another version, bytes that do not decode, an unknown kind or currency.
pub fn decode_statement_line(bytes: &[u8]) -> Result<StatementLine, FormatError> {
    let stored: StatementLineV4<String> = decode(bytes)?;
    Ok(StatementLine {
        position: stored.position,
        at: Timestamp(stored.at),
        kind: line_kind(stored.kind)?,
        currency: currency(stored.currency)?,
        amount: NetTotal::from_micros(stored.amount),
        balance_after: NetTotal::from_micros(stored.balance_after),
        vendor: stored.vendor.map(VendorId),
        login: stored.login.map(LoginId),
        title: stored.title,
        content_url: stored.content_url,
        entitlement: stored.entitlement.map(EntitlementId),
        note: stored.note,
    })
}

/// The indexes with an entry for one line of an account whose holder is `holder`, the lines
/// themselves (`All`) last: the kind's when `statement::kind_indexed`, the vendor's when the
/// line names one, the login's when a login other than the holder made it
/// (`statement::login_indexed`). Each entry holds a copy of the line. Why copies and not
/// empty entries with a point read of the line per hit: measured on 10M events (README), a
/// page of 100 hits spent about 1 ms per point read, as the member's lines spread over every
/// table of the tree; a range scan of 100 covering entries reads a few contiguous blocks. The
/// cost is the line's bytes written once per index (three times at most), by the statement
/// projector, off the journal's batch.
pub fn statement_indexes(
    holder: Option<LoginId>,
    line: &StatementLine,
) -> impl Iterator<Item = StatementIndex> {
    let kind = statement::kind_indexed(line.kind).then_some(StatementIndex::Kind(line.kind));
    let vendor = line.vendor.map(StatementIndex::Vendor);
    let login = statement::login_indexed(line, holder).map(StatementIndex::Login);
    [kind, vendor, login, Some(StatementIndex::All)]
        .into_iter()
        .flatten()
}

/// The rows one line of `account` (whose holder is `holder`) writes, each encoded apart: an
/// entry in each of its [`statement_indexes`] with the line as its value. The reference the
/// projector's arena and the buffer's reads are checked against.
#[cfg(test)]
#[must_use]
pub fn statement_rows(
    account: AccountId,
    holder: Option<LoginId>,
    line: &StatementLine,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let value = encode_statement_line(line);
    let cursor = StatementCursor::after(line);
    statement_indexes(holder, line)
        .map(|index| {
            let mut key = Vec::new();
            extend_statement_key(&mut key, account, index, cursor);
            (key, value.clone())
        })
        .collect()
}

/// The key of the statement's watermark: every event up to the sequence it holds has its
/// rows in the keyspace (the rows of later events are rebuilt from the journal at start-up).
pub const STATEMENT_PROJECTED_KEY: &[u8] = b"p";

/// The watermark's value: the format version, then the sequence.
#[must_use]
pub fn statement_projected_value(through_seq: u64) -> Vec<u8> {
    let mut value = vec![VERSION];
    value.extend_from_slice(&through_seq.to_be_bytes());
    value
}

/// Reads a watermark written by [`statement_projected_value`].
///
/// # Errors
/// `FormatError` for another version or another length.
pub fn statement_projected_from(value: &[u8]) -> Result<u64, FormatError> {
    match value.split_first() {
        Some((&VERSION, seq)) => seq
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| FormatError::Corrupt("statement watermark")),
        Some((&found, _)) => Err(FormatError::UnknownVersion { found }),
        None => Err(FormatError::Corrupt("statement watermark")),
    }
}

// ---------------------------------------------------------------------------------------
// Records: an event with its owner's position.

/// Encodes an event and its position in its owner's stream, for the `events` keyspace.
#[must_use]
pub fn encode_record(position: u64, event: &Event) -> Vec<u8> {
    let bytes = encode(&RecordV4 {
        position,
        event: event_v4(event),
    });
    debug_assert_eq!(
        decode_record(&bytes).ok().as_ref().map(|(p, e)| (*p, e)),
        Some((position, event)),
        "an event does not round-trip through its stored form"
    );
    bytes
}

/// Decodes a record written by [`encode_record`]: the position and the event.
///
/// # Errors
/// `FormatError` for another version or bytes that do not decode to a valid event.
pub fn decode_record(bytes: &[u8]) -> Result<(u64, Event), FormatError> {
    let record: RecordV4 = decode(bytes)?;
    Ok((record.position, event(record.event)?))
}

// ---------------------------------------------------------------------------------------
// Snapshots.

/// An account's state as of its first `position` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// Events of the account it includes.
    pub position: u64,
    /// The state after them.
    pub state: AccountState,
}

/// A vendor's state as of its first `position` own events and the sales up to its
/// `state.feed_seq`. The book of offers is not stored: it is rebuilt from the vendor's own
/// events from `book_from`, and `used_offers` says which of them were bought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorSnapshot {
    /// Own events included.
    pub position: u64,
    /// Own position from which the offers still in the book were posted.
    pub book_from: u64,
    /// Offers in the book that a purchase used.
    pub used_offers: Vec<OfferId>,
    /// The state (with an empty book when read back).
    pub state: VendorState,
}

/// What the feed has folded up to `seq`: the members' totals, and the vendors that appeared
/// since the previous checkpoint. (Sign-in e-mails are not here: the journal writer writes
/// their directory rows with the events that add and erase them, see [`email_row`].)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedCheckpoint {
    /// Every event up to this sequence is folded in.
    pub seq: u64,
    /// The members' totals after them.
    pub totals: Totals,
    /// Vendors registered since the previous checkpoint, with the sequence of their
    /// registration (where their sales can start).
    pub vendors: Vec<(VendorId, u64)>,
    /// Deposits started and not finished by `seq`: all of them, not only the new ones.
    pub open_deposits: Vec<(AccountId, DepositId)>,
    /// Transfers sent and not received by `seq`: all of them.
    pub open_transfers: Vec<InTransit>,
    /// Grants waiting for the expiry sweep by `seq`: all of them.
    pub expiring: Vec<(Timestamp, AccountId, GrantId)>,
}

/// Rows to write in one atomic batch: an encoded snapshot or checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotRows {
    /// Key-value pairs for the `snapshots` keyspace.
    pub rows: Vec<(Vec<u8>, Vec<u8>)>,
}

fn wallet_v5(wallet: &Wallet) -> WalletV5 {
    WalletV5 {
        balance: wallet.balance.micros(),
        credit_limit: wallet.credit_limit.micros(),
        deposited: wallet.deposited.micros(),
        refunded: wallet.refunded.micros(),
        unsettled: wallet.unsettled.micros(),
        debt: wallet.debt.micros(),
        returned: wallet.returned.micros(),
        top_off: wallet.top_off.map(top_off_v4),
    }
}

fn spending_v4(spending: &Spending) -> SpendingV4 {
    SpendingV4 {
        day: (spending.day.0.0, spending.day.1.micros()),
        week: (spending.week.0.0, spending.week.1.micros()),
        month: (spending.month.0.0, spending.month.1.micros()),
    }
}

/// Encodes an account snapshot.
#[must_use]
pub fn encode_account(position: u64, state: &AccountState) -> SnapshotRows {
    let stored = AccountSnapshotV12 {
        position,
        account: state.id.0,
        time_zone: state.zone.name().to_owned(),
        language: state.language.to_string(),
        frozen: state.frozen,
        logins: state.logins.values().map(login_v11).collect(),
        wallets: state
            .wallets
            .iter()
            .map(|(currency, wallet)| (currency_v4(*currency), wallet_v5(wallet)))
            .collect(),
        limits: state
            .limits
            .iter()
            .map(|((login, currency), limits)| (login.0, currency_v4(*currency), limits_v4(limits)))
            .collect(),
        spending: state
            .spending
            .iter()
            .map(|((login, currency), spending)| {
                (login.0, currency_v4(*currency), spending_v4(spending))
            })
            .collect(),
        sessions: state.sessions.values().map(session_v4).collect(),
        entitlements: state.entitlements.values().map(entitlement_v4).collect(),
        deposit_references: state
            .deposit_references
            .iter()
            .map(ToString::to_string)
            .collect(),
        idempotency: state
            .idempotency
            .iter()
            .map(|((vendor, key), record)| IdempotencyRecordV4 {
                vendor: vendor.0,
                key: key.clone(),
                request_digest: record.request_digest,
                authorization: record.authorization.0,
                entitlement: record.entitlement.0,
                recorded_at: record.recorded_at.0,
            })
            .collect(),
        payment_methods: state
            .payment_methods
            .values()
            .map(saved_method_v4)
            .collect(),
        unsettled_deposits: state
            .unsettled_deposits
            .iter()
            .map(|(deposit, unsettled)| UnsettledDepositV8 {
                deposit: deposit.0,
                currency: currency_v4(unsettled.currency),
                amount: unsettled.amount.micros(),
                method: saved_method_v4(&unsettled.method),
                started_at: unsettled.started_at.0,
                via: unsettled.via.map(|vendor| vendor.0),
            })
            .collect(),
        kept: state.kept.iter().map(kept_v5).collect(),
        received_transfers: state
            .received_transfers
            .iter()
            .map(|(transfer, at)| (transfer.0, at.0))
            .collect(),
        grants: state.grants.values().map(grant_v4).collect(),
        redeemed: state.redeemed.iter().map(|program| program.0).collect(),
        incentive_paid: state
            .incentive_paid
            .iter()
            .map(|(entitlement, spent)| (entitlement.0, spent.iter().map(grant_v4).collect()))
            .collect(),
        referral: state
            .referral
            .map(|referral| (referral.vendor.0, referral.until.0)),
        sale_parties: state
            .sale_parties
            .iter()
            .map(|(entitlement, parties)| (entitlement.0, parties_v4(parties)))
            .collect(),
        vendor_offers_declined: state.vendor_offers_declined,
        step_up: step_up_v11(&state.step_up),
        disputes: state.disputes.values().map(dispute_v4).collect(),
        closed_at: state.closed_at.map(|at| at.0),
    };
    SnapshotRows {
        rows: vec![(
            owner_key(Owner::Account(state.id)).to_vec(),
            encode_version(ACCOUNT_SNAPSHOT_VERSION, &stored),
        )],
    }
}

/// Decodes an account snapshot and checks the state's invariants.
///
/// # Errors
/// `FormatError` for another version, undecodable bytes, or a state that breaks an invariant.
pub fn decode_account(bytes: &[u8]) -> Result<AccountSnapshot, FormatError> {
    let stored: AccountSnapshotV12 = match bytes.first() {
        Some(&found) if found < ACCOUNT_SNAPSHOT_VERSION => {
            return Err(FormatError::Outdated { found });
        }
        _ => decode_version(ACCOUNT_SNAPSHOT_VERSION, bytes)?,
    };
    let zone = MemberZone::new(&stored.time_zone)
        .map_err(|_| FormatError::Corrupt("unknown time zone"))?;
    let mut state = AccountState::opened(AccountId(stored.account), zone, stored.language);
    state.frozen = stored.frozen;
    state.payment_methods = stored
        .payment_methods
        .into_iter()
        .map(|stored| {
            let method = saved_method(stored);
            (method.id, method)
        })
        .collect();
    state.unsettled_deposits = stored
        .unsettled_deposits
        .into_iter()
        .map(|stored| {
            Ok((
                DepositId(stored.deposit),
                PendingDeposit {
                    currency: currency(stored.currency)?,
                    amount: Amount::from_micros(stored.amount),
                    method: saved_method(stored.method),
                    started_at: Timestamp(stored.started_at),
                    via: stored.via.map(VendorId),
                },
            ))
        })
        .collect::<Result<_, FormatError>>()?;
    state.logins = stored
        .logins
        .into_iter()
        .map(|stored| {
            let login = login_of_v11(stored)?;
            Ok((login.id, login))
        })
        .collect::<Result<_, FormatError>>()?;
    state.wallets = stored
        .wallets
        .into_iter()
        .map(|(code, wallet)| {
            Ok((
                currency(code)?,
                Wallet {
                    balance: Balance::from_micros(wallet.balance),
                    credit_limit: Amount::from_micros(wallet.credit_limit),
                    deposited: Amount::from_micros(wallet.deposited),
                    refunded: Amount::from_micros(wallet.refunded),
                    unsettled: Amount::from_micros(wallet.unsettled),
                    debt: Amount::from_micros(wallet.debt),
                    returned: Amount::from_micros(wallet.returned),
                    top_off: wallet.top_off.map(top_off),
                },
            ))
        })
        .collect::<Result<_, FormatError>>()?;
    state.kept = stored.kept.into_iter().map(kept).collect();
    state.received_transfers = stored
        .received_transfers
        .into_iter()
        .map(|(transfer, at)| (TransferId(transfer), Timestamp(at)))
        .collect();
    state.grants = grants(stored.grants)?
        .into_iter()
        .map(|grant| (grant.id, grant))
        .collect();
    state.redeemed = stored.redeemed.into_iter().map(ProgramId).collect();
    state.incentive_paid = stored
        .incentive_paid
        .into_iter()
        .map(|(entitlement, spent)| Ok((EntitlementId(entitlement), grants(spent)?)))
        .collect::<Result<_, FormatError>>()?;
    state.referral = stored.referral.map(|(vendor, until)| Referral {
        vendor: VendorId(vendor),
        until: Timestamp(until),
    });
    state.sale_parties = stored
        .sale_parties
        .into_iter()
        .map(|(entitlement, stored)| Ok((EntitlementId(entitlement), parties(stored)?)))
        .collect::<Result<_, FormatError>>()?;
    state.disputes = stored
        .disputes
        .into_iter()
        .map(|stored| dispute(stored).map(|d| (d.authorization, d)))
        .collect::<Result<_, FormatError>>()?;
    state.vendor_offers_declined = stored.vendor_offers_declined;
    state.step_up = step_up(stored.step_up)?;
    state.closed_at = stored.closed_at.map(Timestamp);
    state.limits = stored
        .limits
        .into_iter()
        .map(|(login, code, set)| Ok(((LoginId(login), currency(code)?), limits(set))))
        .collect::<Result<_, FormatError>>()?;
    state.spending = stored
        .spending
        .into_iter()
        .map(|(login, code, spent)| {
            let amount = Amount::from_micros;
            Ok((
                (LoginId(login), currency(code)?),
                Spending {
                    day: (Period(spent.day.0), amount(spent.day.1)),
                    week: (Period(spent.week.0), amount(spent.week.1)),
                    month: (Period(spent.month.0), amount(spent.month.1)),
                },
            ))
        })
        .collect::<Result<_, FormatError>>()?;
    state.sessions = stored
        .sessions
        .into_iter()
        .map(|stored| session(stored).map(|session| (session.id, session)))
        .collect::<Result<_, FormatError>>()?;
    state.entitlements = stored
        .entitlements
        .into_iter()
        .map(|stored| entitlement(stored).map(|entitlement| (entitlement.id, entitlement)))
        .collect::<Result<_, FormatError>>()?;
    state.deposit_references = stored
        .deposit_references
        .into_iter()
        .map(String::into_boxed_str)
        .collect();
    state.idempotency = stored
        .idempotency
        .into_iter()
        .map(|record| {
            (
                (VendorId(record.vendor), record.key),
                IdempotencyRecord {
                    request_digest: record.request_digest,
                    authorization: AuthorizationId(record.authorization),
                    entitlement: EntitlementId(record.entitlement),
                    recorded_at: Timestamp(record.recorded_at),
                },
            )
        })
        .collect();
    state.rebuild_derived();
    state.check_invariants().map_err(FormatError::Corrupt)?;
    Ok(AccountSnapshot {
        position: stored.position,
        state,
    })
}

/// Encodes a vendor snapshot (without the offers themselves: see [`VendorSnapshot`]).
#[must_use]
pub fn encode_vendor(position: u64, state: &VendorState) -> SnapshotRows {
    let stored = VendorSnapshotV9 {
        position,
        book_from: state.offers.oldest_position().unwrap_or(position),
        feed_seq: state.feed_seq,
        sales_refused: state.sales_refused,
        profile: profile_v4(&state.profile),
        ledger: state
            .ledger
            .iter()
            .map(|(currency, ledger)| {
                (
                    currency_v4(*currency),
                    LedgerV6 {
                        sales: ledger.sales,
                        gross: ledger.gross.micros(),
                        incentives_msp: ledger.incentives_msp.micros(),
                        incentives_own: ledger.incentives_own.micros(),
                        months: ledger
                            .months
                            .iter()
                            .map(|(month, sales)| {
                                (
                                    month.0,
                                    sales.fee_base.micros(),
                                    sales.referred.micros(),
                                    sales.funds.micros(),
                                )
                            })
                            .collect(),
                        royalties: ledger
                            .royalties
                            .iter()
                            .map(|(holder, exact)| (holder.0, exact.raw()))
                            .collect(),
                    },
                )
            })
            .collect(),
        used_offers: state.offers.used().into_iter().map(|id| id.0).collect(),
        fee_schedules: state
            .fee_schedules
            .changes()
            .iter()
            .map(|(at, schedule)| (at.0, fee_schedule_v4(schedule)))
            .collect(),
        commissions: state
            .commissions
            .changes()
            .iter()
            .map(|(at, rates)| (at.0, rates.referral_rate_ppm, rates.funds_rate_ppm))
            .collect(),
        disputes: state
            .disputes
            .iter()
            .map(|((account, _), dispute)| (account.0, dispute_v4(dispute)))
            .collect(),
        status: match state.standing.status {
            VendorStatus::Pending => 0,
            VendorStatus::Approved => 1,
            VendorStatus::Rejected => 2,
        },
        key_digest: state.standing.key_digest,
        previous_key: state
            .standing
            .previous_key
            .map(|(digest, until)| (digest, until.0)),
        mailing_list: state.mailing_list.clone(),
    };
    SnapshotRows {
        rows: vec![(
            owner_key(Owner::Vendor(state.profile.id)).to_vec(),
            encode_version(VENDOR_SNAPSHOT_VERSION, &stored),
        )],
    }
}

/// Decodes a vendor snapshot; its book is empty until rebuilt from the vendor's own events.
///
/// # Errors
/// `FormatError` for another version or undecodable bytes.
pub fn decode_vendor(bytes: &[u8]) -> Result<VendorSnapshot, FormatError> {
    let stored: VendorSnapshotV9 = match bytes.first() {
        Some(&found) if found < VENDOR_SNAPSHOT_VERSION => {
            return Err(FormatError::Outdated { found });
        }
        _ => decode_version(VENDOR_SNAPSHOT_VERSION, bytes)?,
    };
    if stored.book_from > stored.position {
        return Err(FormatError::Corrupt("book starts after the snapshot"));
    }
    let ledger = stored
        .ledger
        .into_iter()
        .map(|(code, ledger)| {
            Ok((
                currency(code)?,
                Ledger {
                    sales: ledger.sales,
                    gross: Total::from_micros(ledger.gross),
                    incentives_msp: Total::from_micros(ledger.incentives_msp),
                    incentives_own: Total::from_micros(ledger.incentives_own),
                    months: ledger
                        .months
                        .into_iter()
                        .map(|(month, fee_base, referred, funds)| {
                            (
                                Month(month),
                                MonthSales {
                                    fee_base: Total::from_micros(fee_base),
                                    referred: Total::from_micros(referred),
                                    funds: Total::from_micros(funds),
                                },
                            )
                        })
                        .collect(),
                    royalties: ledger
                        .royalties
                        .into_iter()
                        .map(|(holder, exact)| (RightsHolderId(holder), Exact::from_raw(exact)))
                        .collect(),
                },
            ))
        })
        .collect::<Result<_, FormatError>>()?;
    Ok(VendorSnapshot {
        position: stored.position,
        book_from: stored.book_from,
        used_offers: stored.used_offers.into_iter().map(OfferId).collect(),
        state: VendorState {
            profile: profile(stored.profile)?,
            ledger,
            feed_seq: stored.feed_seq,
            sales_refused: stored.sales_refused,
            offers: OfferBook::new(),
            fee_schedules: RateHistory::from_changes(
                stored
                    .fee_schedules
                    .into_iter()
                    .map(|(at, schedule)| Ok((Timestamp(at), fee_schedule(schedule)?)))
                    .collect::<Result<_, FormatError>>()?,
            )
            .ok_or(FormatError::Corrupt("a vendor without a fee schedule"))?,
            commissions: RateHistory::from_changes(
                stored
                    .commissions
                    .into_iter()
                    .map(|(at, referral_rate_ppm, funds_rate_ppm)| {
                        (
                            Timestamp(at),
                            CommissionRates {
                                referral_rate_ppm: referral_rate_ppm.min(PPM_MAX),
                                funds_rate_ppm: funds_rate_ppm.min(PPM_MAX),
                            },
                        )
                    })
                    .collect(),
            )
            .ok_or(FormatError::Corrupt("a vendor without commission rates"))?,
            disputes: stored
                .disputes
                .into_iter()
                .map(|(account, stored)| {
                    dispute(stored).map(|d| ((AccountId(account), d.authorization), d))
                })
                .collect::<Result<_, FormatError>>()?,
            standing: VendorStanding {
                status: match stored.status {
                    0 => VendorStatus::Pending,
                    1 => VendorStatus::Approved,
                    2 => VendorStatus::Rejected,
                    _ => return Err(FormatError::Corrupt("an unknown vendor status")),
                },
                key_digest: stored.key_digest,
                previous_key: stored
                    .previous_key
                    .map(|(digest, until)| (digest, Timestamp(until))),
            },
            mailing_list: stored.mailing_list,
        },
    })
}

/// Encodes a feed checkpoint with its directory rows, to be written in one batch.
#[must_use]
pub fn encode_checkpoint(checkpoint: &FeedCheckpoint) -> SnapshotRows {
    let stored = CheckpointV8 {
        seq: checkpoint.seq,
        totals: checkpoint
            .totals
            .by_currency
            .iter()
            .map(|(currency, totals)| {
                (
                    currency_v4(*currency),
                    MemberTotalsV8 {
                        deposits: totals.deposits.micros(),
                        refunds: totals.refunds.micros(),
                        balances: totals.balances.micros(),
                        returned: totals.returned.micros(),
                        debts: totals.debts.micros(),
                        cash_outs: totals.cash_outs.micros(),
                        cash_out_charges: totals.cash_out_charges.micros(),
                        in_transit: totals.in_transit.micros(),
                        incentives_granted: totals.incentives_granted.micros(),
                        incentives_spent_msp: totals.incentives_spent_msp.micros(),
                        incentives_spent_vendors: totals.incentives_spent_vendors.micros(),
                        incentives_expired: totals.incentives_expired.micros(),
                        forfeited: totals.forfeited.micros(),
                    },
                )
            })
            .collect(),
        granted_by_program: checkpoint
            .totals
            .granted_by_program
            .iter()
            .map(|(program, granted)| (program.0, granted.micros()))
            .collect(),
    };
    let mut rows = vec![(
        CHECKPOINT_KEY.to_vec(),
        encode_version(CHECKPOINT_VERSION, &stored),
    )];
    for (vendor, seq) in &checkpoint.vendors {
        rows.push((vendor_directory_key(*vendor), seq.to_be_bytes().to_vec()));
    }
    let open = OpenDepositsV4 {
        open: checkpoint
            .open_deposits
            .iter()
            .map(|(account, deposit)| (account.0, deposit.0))
            .collect(),
    };
    rows.push((OPEN_DEPOSITS_KEY.to_vec(), encode(&open)));
    let transfers = OpenTransfersV6 {
        open: checkpoint
            .open_transfers
            .iter()
            .map(in_transit_v4)
            .collect(),
    };
    rows.push((
        OPEN_TRANSFERS_KEY.to_vec(),
        encode_version(CHECKPOINT_VERSION, &transfers),
    ));
    let expiring = ExpiringV7 {
        expiring: checkpoint
            .expiring
            .iter()
            .map(|(at, account, grant)| (at.0, account.0, grant.0))
            .collect(),
    };
    rows.push((
        EXPIRING_GRANTS_KEY.to_vec(),
        encode_version(CHECKPOINT_VERSION, &expiring),
    ));
    SnapshotRows { rows }
}

/// Decodes the row of deposits open at the checkpoint.
///
/// # Errors
/// `FormatError` for another version or undecodable bytes.
pub fn decode_open_deposits(bytes: &[u8]) -> Result<Vec<(AccountId, DepositId)>, FormatError> {
    let stored: OpenDepositsV4 = decode(bytes)?;
    Ok(stored
        .open
        .into_iter()
        .map(|(account, deposit)| (AccountId(account), DepositId(deposit)))
        .collect())
}

/// Decodes the row of transfers in transit at the checkpoint.
///
/// # Errors
/// `FormatError` for another version or bytes that do not decode to valid transfers.
pub fn decode_open_transfers(bytes: &[u8]) -> Result<Vec<InTransit>, FormatError> {
    let stored: OpenTransfersV6 = decode_version(CHECKPOINT_VERSION, bytes)?;
    stored.open.into_iter().map(in_transit).collect()
}

/// Decodes the row of grants waiting for the expiry sweep at the checkpoint.
///
/// # Errors
/// `FormatError` for another version or undecodable bytes.
pub fn decode_expiring(bytes: &[u8]) -> Result<Vec<(Timestamp, AccountId, GrantId)>, FormatError> {
    let stored: ExpiringV7 = decode_version(CHECKPOINT_VERSION, bytes)?;
    Ok(stored
        .expiring
        .into_iter()
        .map(|(at, account, grant)| (Timestamp(at), AccountId(account), GrantId(grant)))
        .collect())
}

/// Decodes the checkpoint row (its directory rows are read with
/// [`decode_vendor_directory_row`], its open deposits with [`decode_open_deposits`]);
/// `vendors` and `open_deposits` come back empty.
///
/// # Errors
/// `FormatError` for another version or undecodable bytes.
pub fn decode_checkpoint(bytes: &[u8]) -> Result<FeedCheckpoint, FormatError> {
    let stored: CheckpointV8 = match bytes.first() {
        Some(&found) if found < CHECKPOINT_VERSION => {
            return Err(FormatError::Outdated { found });
        }
        _ => decode_version(CHECKPOINT_VERSION, bytes)?,
    };
    let by_currency = stored
        .totals
        .into_iter()
        .map(|(code, totals)| {
            Ok((
                currency(code)?,
                MemberTotals {
                    deposits: Total::from_micros(totals.deposits),
                    refunds: Total::from_micros(totals.refunds),
                    balances: NetTotal::from_micros(totals.balances),
                    returned: Total::from_micros(totals.returned),
                    debts: Total::from_micros(totals.debts),
                    cash_outs: Total::from_micros(totals.cash_outs),
                    cash_out_charges: Total::from_micros(totals.cash_out_charges),
                    in_transit: Total::from_micros(totals.in_transit),
                    incentives_granted: Total::from_micros(totals.incentives_granted),
                    incentives_spent_msp: Total::from_micros(totals.incentives_spent_msp),
                    incentives_spent_vendors: Total::from_micros(totals.incentives_spent_vendors),
                    incentives_expired: Total::from_micros(totals.incentives_expired),
                    forfeited: Total::from_micros(totals.forfeited),
                },
            ))
        })
        .collect::<Result<_, FormatError>>()?;
    Ok(FeedCheckpoint {
        seq: stored.seq,
        totals: Totals {
            by_currency,
            granted_by_program: stored
                .granted_by_program
                .into_iter()
                .map(|(program, granted)| (ProgramId(program), Total::from_micros(granted)))
                .collect(),
        },
        vendors: Vec::new(),
        open_deposits: Vec::new(),
        open_transfers: Vec::new(),
        expiring: Vec::new(),
    })
}

/// The directory row of a sign-in e-mail.
#[must_use]
pub fn email_key(email: &str) -> Vec<u8> {
    [EMAIL_PREFIX, email.as_bytes()].concat()
}

/// The directory row (key and value) that signs `email` in to `account`. Written in the
/// same atomic batch as the event that adds the e-mail, as a close's erasure removes it in
/// its own: a row written later, from a copy taken earlier, could bring back an e-mail that
/// a close erased in between.
#[must_use]
pub fn email_row(email: &str, account: AccountId) -> (Vec<u8>, Vec<u8>) {
    (email_key(email), account.0.to_be_bytes().to_vec())
}

/// Reads an e-mail directory row.
///
/// # Errors
/// `FormatError::Corrupt` for a key or value of another shape.
pub fn decode_email_row(key: &[u8], value: &[u8]) -> Result<(String, AccountId), FormatError> {
    let email = key
        .strip_prefix(EMAIL_PREFIX)
        .and_then(|email| std::str::from_utf8(email).ok())
        .ok_or(FormatError::Corrupt("e-mail row key"))?;
    let account = seq_from(value).ok_or(FormatError::Corrupt("e-mail row value"))?;
    Ok((email.to_owned(), AccountId(account)))
}

/// The directory row of a vendor.
#[must_use]
pub fn vendor_directory_key(vendor: VendorId) -> Vec<u8> {
    [VENDOR_DIRECTORY_PREFIX, &vendor.0.to_be_bytes()].concat()
}

/// Reads a vendor directory row: the vendor and the sequence of its registration.
///
/// # Errors
/// `FormatError::Corrupt` for a key or value of another shape.
pub fn decode_vendor_directory_row(
    key: &[u8],
    value: &[u8],
) -> Result<(VendorId, u64), FormatError> {
    let id = key
        .strip_prefix(VENDOR_DIRECTORY_PREFIX)
        .and_then(seq_from)
        .ok_or(FormatError::Corrupt("vendor row key"))?;
    let seq = seq_from(value).ok_or(FormatError::Corrupt("vendor row value"))?;
    Ok((VendorId(id), seq))
}

/// A durable event with its place in the journal and in its owner's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Its journal sequence number.
    pub seq: u64,
    /// Its position in its owner's stream.
    pub position: u64,
    /// The event.
    pub event: Arc<Event>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seed::{Seed, seed_events};

    /// The key of one line in the `statement` keyspace.
    fn statement_line_key(account: AccountId, cursor: StatementCursor) -> Vec<u8> {
        let mut key = Vec::new();
        extend_statement_key(&mut key, account, StatementIndex::All, cursor);
        key
    }

    #[test]
    fn owner_index_keys_sort_by_owner_then_position_and_read_back() {
        let a = owner_index_key(Owner::Account(AccountId(1)), 2);
        let b = owner_index_key(Owner::Account(AccountId(1)), 10);
        let c = owner_index_key(Owner::Account(AccountId(2)), 0);
        assert!(a < b && b < c);
        assert_eq!(
            split_owner_index_key(&b),
            Some((Owner::Account(AccountId(1)), 10))
        );
        assert_eq!(
            split_owner_index_key(&owner_index_key(
                Owner::Vendor(VendorId(u64::MAX)),
                u64::MAX
            )),
            Some((Owner::Vendor(VendorId(u64::MAX)), u64::MAX))
        );
        assert_eq!(split_owner_index_key(b"x"), None);
    }

    #[test]
    fn another_version_is_named_not_misread() {
        let mut bytes = encode_record(0, &seeded().0[0]);
        bytes[0] = 3;
        assert_eq!(
            decode_record(&bytes),
            Err(FormatError::UnknownVersion { found: 3 })
        );
        assert_eq!(decode_record(&[]), Err(FormatError::Corrupt("empty value")));
        assert!(decode_record(&[VERSION, 0xff, 0xff]).is_err());
    }

    fn seeded() -> (Vec<Event>, AccountState) {
        let now = Timestamp(1_800_000_000_000);
        let seed = Seed {
            account: AccountId(7),
            login: LoginId(8),
            session: SessionId(9),
            currency: Currency::parse("JPY").unwrap(),
            deposit: Amount::from_micros(5_000_000),
            time_zone: "Asia/Tokyo".to_owned(),
            session_expiry: SessionExpiry::Idle { idle_ms: 60_000 },
        };
        let events = seed_events(&seed, now);
        let mut state = AccountState::from_opened(&events[0]).unwrap();
        for event in &events[1..] {
            state.apply(event);
        }
        (events, state)
    }

    fn line(position: u64, at: i64) -> StatementLine {
        StatementLine {
            position,
            at: Timestamp(at),
            kind: LineKind::Purchase,
            currency: Currency::parse("USD").unwrap(),
            amount: NetTotal::from_micros(-250_000),
            balance_after: NetTotal::from_micros(-1),
            vendor: Some(VendorId(5)),
            login: Some(LoginId(6)),
            title: "A title".to_owned(),
            content_url: "https://v.example/a".to_owned(),
            entitlement: Some(EntitlementId(9)),
            note: String::new(),
        }
    }

    #[test]
    fn statement_lines_round_trip_and_bad_ones_are_corrupt() {
        let stored = line(7, -3);
        assert_eq!(
            decode_statement_line(&encode_statement_line(&stored)),
            Ok(stored)
        );
        let mut bytes = encode_statement_line(&line(1, 1));
        // The kind byte follows the version, the position and the instant (one byte each).
        bytes[3] = 9;
        assert_eq!(
            decode_statement_line(&bytes),
            Err(FormatError::Corrupt("unknown statement line kind"))
        );
        assert!(decode_statement_line(&[VERSION]).is_err());
        assert!(decode_statement_line(&[]).is_err());
    }

    #[test]
    fn statement_keys_sort_newest_first_and_read_back() {
        let cursor = |at: i64, position: u64| StatementCursor {
            at: Timestamp(at),
            position,
        };
        // Later first; within an instant, the higher position first; negative instants last.
        let order = [
            cursor(i64::MAX, 0),
            cursor(5, 9),
            cursor(5, 2),
            cursor(4, u64::MAX),
            cursor(0, 0),
            cursor(-1, 3),
            cursor(i64::MIN, 0),
        ];
        for pair in order.windows(2) {
            assert!(
                statement_tail(pair[0]) < statement_tail(pair[1]),
                "{pair:?}"
            );
        }
        for place in order {
            let key = statement_line_key(AccountId(3), place);
            assert_eq!(split_statement_tail(&key), Some(place));
            assert_eq!(
                statement_key_place(&key),
                Some((AccountId(3), place.position))
            );
        }
        for (_, key) in statement_rows(AccountId(3), None, &line(4, 10))
            .iter()
            .map(|(key, value)| (value, key))
        {
            assert_eq!(statement_key_place(key), Some((AccountId(3), 4)));
        }
        // A sub-member's purchase: the line, its vendor's and its login's entries; purchases
        // have no kind entry, any other kind has one. The holder's lines have no login entry.
        let purchase = line(4, 10);
        assert_eq!(purchase.kind, LineKind::Purchase);
        let maker = purchase.login;
        assert!(maker.is_some());
        let holder = Some(LoginId(77));
        assert_ne!(maker, holder);
        let prefixes = |holder, line: &StatementLine| -> Vec<u8> {
            statement_rows(AccountId(3), holder, line)
                .iter()
                .map(|(key, _)| key[0])
                .collect()
        };
        assert_eq!(
            prefixes(holder, &purchase),
            [
                STATEMENT_VENDOR_PREFIX,
                STATEMENT_LOGIN_PREFIX,
                STATEMENT_LINE_PREFIX
            ]
        );
        assert_eq!(
            prefixes(maker, &purchase),
            [STATEMENT_VENDOR_PREFIX, STATEMENT_LINE_PREFIX]
        );
        let funds = StatementLine {
            kind: LineKind::FundsAdded,
            ..purchase
        };
        assert_eq!(
            prefixes(holder, &funds),
            [
                STATEMENT_KIND_PREFIX,
                STATEMENT_VENDOR_PREFIX,
                STATEMENT_LOGIN_PREFIX,
                STATEMENT_LINE_PREFIX
            ]
        );
        assert_eq!(statement_key_place(STATEMENT_PROJECTED_KEY), None);
        assert_eq!(statement_key_place(b"s123"), None);
    }

    #[test]
    fn a_range_is_half_open_and_starts_after_the_cursor() {
        let prefix = statement_prefix(AccountId(1), StatementIndex::All);
        let key = |at: i64, position: u64| {
            statement_line_key(
                AccountId(1),
                StatementCursor {
                    at: Timestamp(at),
                    position,
                },
            )
        };
        let holds = |query: &StatementQuery, key: &Vec<u8>| {
            statement_range(&prefix, query)
                .is_some_and(|range| std::ops::RangeBounds::contains(&range, key))
        };
        let query = StatementQuery {
            from: Some(Timestamp(10)),
            to: Some(Timestamp(20)),
            ..StatementQuery::default()
        };
        assert!(holds(&query, &key(10, 0)));
        assert!(holds(&query, &key(19, u64::MAX)));
        assert!(!holds(&query, &key(20, 0)));
        assert!(!holds(&query, &key(9, u64::MAX)));
        let after = StatementQuery {
            cursor: Some(StatementCursor {
                at: Timestamp(15),
                position: 4,
            }),
            ..query.clone()
        };
        assert!(!holds(&after, &key(15, 4)));
        assert!(!holds(&after, &key(15, 5)));
        assert!(holds(&after, &key(15, 3)));
        assert!(holds(&after, &key(14, 9)));
        let backwards = StatementQuery {
            from: Some(Timestamp(20)),
            to: Some(Timestamp(10)),
            ..StatementQuery::default()
        };
        assert_eq!(statement_range(&prefix, &backwards), None);
        // The range never leaves the prefix.
        let everything = StatementQuery::default();
        assert!(holds(&everything, &key(i64::MIN, 0)));
        assert!(!holds(
            &everything,
            &statement_line_key(
                AccountId(2),
                StatementCursor {
                    at: Timestamp(0),
                    position: 0,
                }
            )
        ));
    }

    #[test]
    fn a_purchase_keeps_its_title_and_one_stored_without_reads_with_none() {
        let vendor = VendorId(5);
        let mut authorized = Box::new(Authorized {
            account: AccountId(1),
            authorization: AuthorizationId(2),
            login: LoginId(3),
            session: SessionId(4),
            vendor,
            entitlement: Entitlement {
                id: EntitlementId(6),
                key: ContentKey {
                    vendor,
                    content: "id:a".to_owned(),
                },
                authorization: AuthorizationId(2),
                price: Amount::from_micros(250_000),
                currency: Currency::parse("USD").unwrap(),
                purchased_at: Timestamp(9),
                views_allowed: None,
                views_used: 0,
                expires_at: None,
                reversed_at: None,
            },
            idempotency: None,
            idempotency_expired: Vec::new(),
            offer: None,
            incentives: Vec::new(),
            parties: SaleParties::default(),
            title: String::new(),
            content_url: String::new(),
            at: Timestamp(9),
        });
        authorized.title = "Title".to_owned();
        authorized.content_url = "https://v.example/x".to_owned();
        let with_text = Event::Authorized(authorized.clone());
        let bytes = encode_record(3, &with_text);
        assert_eq!(decode_record(&bytes), Ok((3, with_text)));
        let record: RecordV4 = decode(&bytes).unwrap();
        assert!(matches!(record.event, EventV4::AuthorizedWithText(..)));
        // Written before titles were kept: the same purchase, with none.
        authorized.title.clear();
        authorized.content_url.clear();
        let old = encode(&RecordV4 {
            position: 3,
            event: EventV4::Authorized(Box::new(authorized_v4(&authorized))),
        });
        assert_eq!(
            decode_record(&old),
            Ok((3, Event::Authorized(authorized.clone())))
        );
        // An empty text in the new variant is not something this build writes.
        let empty = encode(&RecordV4 {
            position: 3,
            event: EventV4::AuthorizedWithText(
                Box::new(authorized_v4(&authorized)),
                Vec::new(),
                SalePartiesV4::default(),
                no_text(),
            ),
        });
        assert!(decode_record(&empty).is_err());
    }

    #[test]
    fn deposit_events_round_trip_and_an_unknown_currency_is_corrupt() {
        let usd = Currency::parse("USD").unwrap();
        let events = [
            Event::DepositStarted {
                account: AccountId(1),
                deposit: DepositId(2),
                currency: usd,
                amount: Amount::from_micros(3),
                method: SavedMethod {
                    id: PaymentMethodId(12),
                    rail: Rail::Card,
                    brand: "visa".into(),
                    last4: "4242".into(),
                    token: "tok_test_ok_0123456789abcdef".into(),
                    added_at: Timestamp(3),
                },
                via: None,
                at: Timestamp(4),
            },
            Event::DepositCredited {
                account: AccountId(1),
                deposit: DepositId(2),
                currency: usd,
                amount: Amount::from_micros(3),
                charge_reference: "test_ab".to_owned(),
                via: None,
                at: Timestamp(5),
            },
            Event::DepositFailed {
                account: AccountId(1),
                deposit: DepositId(2),
                reason: "declined".to_owned(),
                at: Timestamp(6),
            },
            Event::DepositStarted {
                account: AccountId(1),
                deposit: DepositId(3),
                currency: usd,
                amount: Amount::from_micros(9),
                method: SavedMethod::legacy_test_card(Timestamp(6)),
                via: Some(VendorId(11)),
                at: Timestamp(7),
            },
            Event::DepositAccepted {
                account: AccountId(1),
                deposit: DepositId(3),
                currency: usd,
                amount: Amount::from_micros(9),
                charge_reference: "dd_1".to_owned(),
                at: Timestamp(7),
            },
            Event::DepositReturned {
                account: AccountId(1),
                deposit: DepositId(3),
                currency: usd,
                amount: Amount::from_micros(9),
                debt: Amount::from_micros(4),
                reason: "insufficient_funds".to_owned(),
                at: Timestamp(8),
            },
            Event::DebtRepaid {
                account: AccountId(1),
                currency: usd,
                amount: Amount::from_micros(4),
                at: Timestamp(9),
            },
            Event::RequestKept {
                account: AccountId(1),
                route: MemberRoute::Deposits,
                key: "k".to_owned(),
                digest: [7; 32],
                subject: 3,
                forgotten: vec![(MemberRoute::Deposits, "old".to_owned())],
                at: Timestamp(10),
            },
        ];
        for (position, event) in (7..).zip(&events) {
            let bytes = encode_record(position, event);
            assert_eq!(decode_record(&bytes), Ok((position, event.clone())));
        }
        let bad = encode(&RecordV4 {
            position: 0,
            event: EventV4::DepositStarted {
                account: 1,
                deposit: 2,
                currency: *b"U$D",
                amount: 3,
                method: PaymentMethodV4::TestCard,
                at: 4,
            },
        });
        assert_eq!(
            decode_record(&bad),
            Err(FormatError::Corrupt("unknown currency"))
        );
    }

    #[test]
    fn the_one_test_card_of_older_data_reads_as_a_saved_legacy_card() {
        let saved = encode(&RecordV4 {
            position: 1,
            event: EventV4::PaymentMethodSaved {
                account: 7,
                method: Some(PaymentMethodV4::TestCard),
                at: 20,
            },
        });
        assert_eq!(
            decode_record(&saved),
            Ok((
                1,
                Event::PaymentMethodAdded {
                    account: AccountId(7),
                    method: SavedMethod::legacy_test_card(Timestamp(20)),
                    at: Timestamp(20),
                }
            ))
        );
        let removed = encode(&RecordV4 {
            position: 2,
            event: EventV4::PaymentMethodSaved {
                account: 7,
                method: None,
                at: 21,
            },
        });
        assert_eq!(
            decode_record(&removed),
            Ok((
                2,
                Event::PaymentMethodRemoved {
                    account: AccountId(7),
                    method: LEGACY_TEST_CARD_ID,
                    at: Timestamp(21),
                }
            ))
        );
        let started = encode(&RecordV4 {
            position: 3,
            event: EventV4::DepositStarted {
                account: 7,
                deposit: 8,
                currency: *b"USD",
                amount: 5,
                method: PaymentMethodV4::TestCard,
                at: 22,
            },
        });
        let Ok((_, Event::DepositStarted { method, .. })) = decode_record(&started) else {
            panic!("a started deposit of older data does not read");
        };
        assert_eq!(method, SavedMethod::legacy_test_card(Timestamp(22)));
    }

    #[test]
    fn an_account_snapshot_of_the_older_version_is_outdated_not_corrupt() {
        let (_, state) = seeded();
        let rows = encode_account(3, &state);
        let mut older = rows.rows[0].1.clone();
        for version in [VERSION, ACCOUNT_SNAPSHOT_VERSION - 1] {
            older[0] = version;
            assert_eq!(
                decode_account(&older),
                Err(FormatError::Outdated { found: version })
            );
        }
        older[0] = ACCOUNT_SNAPSHOT_VERSION + 1;
        assert_eq!(
            decode_account(&older),
            Err(FormatError::UnknownVersion {
                found: ACCOUNT_SNAPSHOT_VERSION + 1
            })
        );
    }

    #[test]
    fn transfers_round_trip_and_a_snapshot_keeps_what_was_received() {
        let sent = InTransit {
            transfer: TransferId(5),
            from: AccountId(3),
            login: LoginId(6),
            to: AccountId(7),
            currency: Currency::parse("EUR").unwrap(),
            amount: Amount::from_micros(4_000_000),
            note: "for lunch".to_owned(),
            sent_at: Timestamp(8),
            at: Timestamp(8),
        };
        let received = InTransit {
            at: Timestamp(9),
            ..sent.clone()
        };
        for event in [
            Event::TransferSent(Box::new(sent)),
            Event::TransferReceived(Box::new(received.clone())),
        ] {
            assert_eq!(decode_record(&encode_record(4, &event)), Ok((4, event)));
        }
        let (_, mut state) = seeded();
        state.apply(&Event::TransferReceived(Box::new(received)));
        let read = decode_account(&encode_account(9, &state).rows[0].1).unwrap();
        assert_eq!(read.state.received_transfers.len(), 1);
        assert_eq!(read.state, state);
    }

    #[test]
    fn vendor_money_events_and_snapshots_round_trip() {
        use crate::domain::payouts::{Payee, Payout, SealedBank, SettlementEvent};
        use crate::domain::settlement::{PayoutRule, Schedule};
        let usd = Currency::parse("USD").unwrap();
        let parties = SaleParties {
            royalties: vec![Royalty {
                rights_holder: RightsHolderId(4),
                share_ppm: 250_000,
            }],
            referrer: Some(VendorId(6)),
        };
        let bank = SealedBank {
            sealed: vec![1, 2, 3],
            masked: "DE** **** 3000".to_owned(),
        };
        let vendor = VendorId(5);
        let schedule = FeeSchedule::new(
            FeePeriod::Quarter,
            vec![
                FeeTier {
                    from_gross: Amount::ZERO,
                    rate_ppm: 50_000,
                },
                FeeTier {
                    from_gross: Amount::from_micros(9_000_000),
                    rate_ppm: 10_000,
                },
            ],
        )
        .unwrap();
        let settlement = |change: SettlementEvent| Event::Settlement(Box::new(change));
        let events = [
            Event::ReferralRecorded {
                account: AccountId(1),
                vendor,
                until: Timestamp(9),
                at: Timestamp(2),
            },
            Event::FeeScheduleSet {
                vendor,
                schedule: schedule.clone(),
                at: Timestamp(3),
            },
            Event::CommissionSet {
                vendor,
                rates: CommissionRates::new(100_000, 20_000).unwrap(),
                at: Timestamp(3),
            },
            Event::DepositCredited {
                account: AccountId(1),
                deposit: DepositId(2),
                currency: usd,
                amount: Amount::from_micros(3),
                charge_reference: "ch".to_owned(),
                via: Some(vendor),
                at: Timestamp(5),
            },
            Event::DepositSettled {
                account: AccountId(1),
                deposit: DepositId(2),
                currency: usd,
                amount: Amount::from_micros(3),
                via: Some(vendor),
                at: Timestamp(5),
            },
            Event::Reversed {
                account: AccountId(1),
                authorization: AuthorizationId(2),
                entitlement: EntitlementId(3),
                vendor,
                currency: usd,
                refund: Amount::from_micros(4),
                incentives: Vec::new(),
                purchased_at: Timestamp(1),
                parties: parties.clone(),
                reason: "r".to_owned(),
                by: Origin::Vendor(vendor),
                at: Timestamp(6),
            },
            settlement(SettlementEvent::RightsHolderRegistered(RightsHolder {
                id: RightsHolderId(4),
                name: "Ada".to_owned(),
                currency: usd,
                registered_at: Timestamp(1),
            })),
            settlement(SettlementEvent::PayeeSettingsSet {
                payee: Payee::RightsHolder(RightsHolderId(4)),
                rule: PayoutRule {
                    threshold: Amount::from_micros(1),
                    schedule: Schedule::parse("twice_monthly", 15).unwrap(),
                    minimum: Amount::from_micros(2),
                },
                bank: bank.clone(),
                at: Timestamp(2),
            }),
            settlement(SettlementEvent::RunStarted {
                run: crate::domain::ids::SettlementRunId(7),
                forced: true,
                payouts: vec![Payout {
                    id: crate::domain::ids::PayoutId(8),
                    payee: Payee::Vendor(vendor),
                    currency: usd,
                    amount: Amount::from_micros(10_000),
                    bank,
                }],
                considered: vec![Payee::Vendor(vendor)],
                at: Timestamp(3),
            }),
            settlement(SettlementEvent::RunFinished {
                run: crate::domain::ids::SettlementRunId(7),
                file: Some("run_0000000000000007.xml".to_owned()),
                at: Timestamp(4),
            }),
            settlement(SettlementEvent::PayoutReturned {
                payout: crate::domain::ids::PayoutId(8),
                reason: "AC04".to_owned(),
                at: Timestamp(5),
            }),
        ];
        for event in events {
            assert_eq!(decode_record(&encode_record(4, &event)), Ok((4, event)));
        }
        // A vendor snapshot keeps its months, royalties and both histories.
        let registered = crate::domain::vendor::decide_register(
            vendor,
            crate::domain::vendor::VendorRegistration {
                name: "News".to_owned(),
                currency: usd,
                content_domains: vec!["news.example".to_owned()],
                fee_ppm: 30_000,
                api_key_digest: [1; 32],
            },
            Timestamp(1),
        )
        .unwrap();
        let mut state = VendorState::from_registered(&registered, 1).unwrap();
        state.apply(
            &Event::FeeScheduleSet {
                vendor,
                schedule,
                at: Timestamp(3),
            },
            1,
        );
        let credited = Event::DepositCredited {
            account: AccountId(1),
            deposit: DepositId(2),
            currency: usd,
            amount: Amount::from_micros(3_000_000),
            charge_reference: "ch".to_owned(),
            via: Some(vendor),
            at: Timestamp(5),
        };
        assert_eq!(state.apply_sale(2, &credited), Ok(true));
        let read = decode_vendor(&encode_vendor(2, &state).rows[0].1).unwrap();
        assert_eq!(read.state, state);
        assert_eq!(read.state.fee_schedules.changes().len(), 2);
    }

    #[test]
    fn records_and_account_snapshots_round_trip() {
        let (events, state) = seeded();
        for (position, event) in (0..).zip(&events) {
            let bytes = encode_record(position, event);
            assert_eq!(decode_record(&bytes), Ok((position, event.clone())));
        }
        let rows = encode_account(3, &state);
        let (key, value) = &rows.rows[0];
        assert_eq!(key.as_slice(), owner_key(Owner::Account(AccountId(7))));
        let read = decode_account(value).unwrap();
        assert_eq!(read.position, 3);
        assert_eq!(read.state, state);
    }

    #[test]
    fn sub_members_and_step_up_round_trip_in_events_and_snapshots_and_a_bad_role_is_corrupt() {
        let (_, mut state) = seeded();
        let account = state.id;
        let added = Event::LoginAdded {
            account,
            login: Login {
                id: LoginId(40),
                email: Some("kid@example.org".to_owned()),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
                name: Some("Kim".to_owned()),
                role: LoginRole::Member,
                disabled: false,
                language: Some("ja".to_owned()),
            },
            at: Timestamp(9),
        };
        let disabled = Event::LoginDisabledSet {
            account,
            login: LoginId(40),
            disabled: true,
            at: Timestamp(10),
        };
        let profile = Event::LoginProfileSet {
            account,
            login: LoginId(40),
            name: Some("Kimi".to_owned()),
            language: Some("pt-BR".to_owned()),
            at: Timestamp(10),
        };
        let holder = *state.logins.keys().next().unwrap();
        let questions = Event::SecurityQuestionsSet {
            account,
            questions: vec![
                SecurityQuestion {
                    question: "First pet?".to_owned(),
                    answer_hash: "$argon2id$pet".to_owned(),
                },
                SecurityQuestion {
                    question: "First street?".to_owned(),
                    answer_hash: "$argon2id$street".to_owned(),
                },
            ],
            at: Timestamp(11),
        };
        let failed = Event::StepUpFailed {
            account,
            login: holder,
            session: SessionId(77),
            locked_until: Some(Timestamp(900)),
            at: Timestamp(12),
        };
        let passed = Event::StepUpPassed {
            account,
            login: LoginId(40),
            until: Timestamp(500),
            at: Timestamp(13),
        };
        let password = Event::PasswordChanged {
            account,
            login: LoginId(40),
            password_hash: "$argon2id$new".to_owned(),
            kept_session: SessionId(78),
            at: Timestamp(14),
        };
        for (position, event) in (8..).zip([
            &added, &disabled, &profile, &questions, &failed, &passed, &password,
        ]) {
            let bytes = encode_record(position, event);
            assert_eq!(decode_record(&bytes), Ok((position, event.clone())));
            state.apply(event);
        }
        state.step_up.record_purchase(
            Currency::parse("USD").unwrap(),
            Amount::from_micros(9),
            Timestamp(14),
        );
        let rows = encode_account(10, &state);
        let read = decode_account(&rows.rows[0].1).unwrap();
        assert_eq!(read.state, state);
        let kid = read.state.logins.get(&LoginId(40)).unwrap();
        assert!(kid.disabled && kid.role == LoginRole::Member);
        assert_eq!(kid.name.as_deref(), Some("Kimi"));
        assert_eq!(kid.language.as_deref(), Some("pt-BR"));
        assert_eq!(read.state.step_up.questions.len(), 2);
        assert!(read.state.step_up.minute.is_some());

        let mut stored = login_v11(kid);
        stored.role = 2;
        assert_eq!(
            login_of_v11(stored),
            Err(FormatError::Corrupt("unknown login role"))
        );
    }

    #[test]
    fn a_snapshot_keeps_methods_unsettled_debits_debts_and_kept_requests() {
        let (_, mut state) = seeded();
        let account = state.id;
        let jpy = Currency::parse("JPY").unwrap();
        let bank = SavedMethod {
            id: PaymentMethodId(5),
            rail: Rail::BankDebit,
            brand: "bank".into(),
            last4: "3001".into(),
            token: "tok_bank_insufficient_funds_00".into(),
            added_at: Timestamp(1),
        };
        let at = Timestamp(2);
        let amount = Amount::from_micros(7_000_000);
        let deposit = |id| DepositId(id);
        for event in [
            Event::PaymentMethodAdded {
                account,
                method: bank.clone(),
                at,
            },
            Event::DepositStarted {
                account,
                deposit: deposit(1),
                currency: jpy,
                amount,
                method: bank.clone(),
                via: Some(VendorId(4)),
                at,
            },
            Event::RequestKept {
                account,
                route: MemberRoute::Deposits,
                key: "k".to_owned(),
                digest: [3; 32],
                subject: 1,
                forgotten: Vec::new(),
                at,
            },
            Event::DepositAccepted {
                account,
                deposit: deposit(1),
                currency: jpy,
                amount,
                charge_reference: "dd".to_owned(),
                at,
            },
            Event::DepositStarted {
                account,
                deposit: deposit(2),
                currency: jpy,
                amount,
                method: bank.clone(),
                via: None,
                at,
            },
            Event::DepositAccepted {
                account,
                deposit: deposit(2),
                currency: jpy,
                amount,
                charge_reference: "dd".to_owned(),
                at,
            },
            Event::DepositReturned {
                account,
                deposit: deposit(2),
                currency: jpy,
                amount,
                debt: Amount::from_micros(1_000_000),
                reason: "insufficient_funds".to_owned(),
                at,
            },
        ] {
            state.apply(&event);
        }
        assert_eq!(state.unsettled_deposits.len(), 1);
        assert!(!state.kept.is_empty());
        let rows = encode_account(9, &state);
        let read = decode_account(&rows.rows[0].1).unwrap();
        assert_eq!(read.state, state);
    }

    #[test]
    fn a_snapshot_that_breaks_an_invariant_is_corrupt_not_a_panic() {
        let (_, mut state) = seeded();
        if let Some(wallet) = state.wallets.values_mut().next() {
            wallet.balance = Balance::from_micros(-1);
        }
        let rows = encode_account(3, &state);
        assert!(matches!(
            decode_account(&rows.rows[0].1),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn a_checkpoint_round_trips_with_its_directory() {
        let usd = Currency::parse("USD").unwrap();
        let mut totals = Totals::default();
        totals.by_currency.insert(
            usd,
            MemberTotals {
                deposits: Total::from_micros(u128::from(u64::MAX) * 3),
                refunds: Total::from_micros(5),
                balances: NetTotal::from_micros(-7),
                returned: Total::from_micros(11),
                debts: Total::from_micros(13),
                cash_outs: Total::from_micros(17),
                cash_out_charges: Total::from_micros(19),
                in_transit: Total::from_micros(23),
                incentives_granted: Total::from_micros(29),
                incentives_spent_msp: Total::from_micros(31),
                incentives_spent_vendors: Total::from_micros(37),
                incentives_expired: Total::from_micros(41),
                forfeited: Total::from_micros(43),
            },
        );
        totals
            .granted_by_program
            .insert(ProgramId(43), Total::from_micros(47));
        let in_transit = InTransit {
            transfer: TransferId(5),
            from: AccountId(3),
            login: LoginId(6),
            to: AccountId(7),
            currency: usd,
            amount: Amount::from_micros(23),
            note: "for lunch".to_owned(),
            sent_at: Timestamp(8),
            at: Timestamp(8),
        };
        let checkpoint = FeedCheckpoint {
            seq: 42,
            totals,
            vendors: vec![(VendorId(9), 11)],
            open_deposits: vec![(AccountId(3), DepositId(4))],
            open_transfers: vec![in_transit.clone()],
            expiring: vec![(Timestamp(53), AccountId(3), GrantId(59))],
        };
        let rows = encode_checkpoint(&checkpoint).rows;
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[3].0, OPEN_TRANSFERS_KEY);
        assert_eq!(decode_open_transfers(&rows[3].1), Ok(vec![in_transit]));
        assert_eq!(rows[4].0, EXPIRING_GRANTS_KEY);
        assert_eq!(decode_expiring(&rows[4].1), Ok(checkpoint.expiring.clone()));
        assert_eq!(rows[2].0, OPEN_DEPOSITS_KEY);
        assert_eq!(
            decode_open_deposits(&rows[2].1),
            Ok(vec![(AccountId(3), DepositId(4))])
        );
        let read = decode_checkpoint(&rows[0].1).unwrap();
        assert_eq!(read.seq, 42);
        assert_eq!(read.totals, checkpoint.totals);
        // A checkpoint of an older format is a cache to fold again, not corrupt data.
        for version in [VERSION, CHECKPOINT_VERSION - 1] {
            let mut older = rows[0].1.clone();
            older[0] = version;
            assert_eq!(
                decode_checkpoint(&older),
                Err(FormatError::Outdated { found: version })
            );
        }
        assert_eq!(
            decode_vendor_directory_row(&rows[1].0, &rows[1].1),
            Ok((VendorId(9), 11))
        );
        let (key, value) = email_row("ann@example.org", AccountId(3));
        assert_eq!(
            decode_email_row(&key, &value),
            Ok(("ann@example.org".to_owned(), AccountId(3)))
        );
    }
}
