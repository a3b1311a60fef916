//! The registry: finds the actor of an account or vendor by id, activating an account from
//! its snapshot and the events after it on first use. Lookups are a `DashMap` read (no lock is
//! held across an await). Vendors are few and all loaded at start-up, with their profiles kept
//! here for authenticating every vendor call without a message.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::account::{AccountActor, AccountEnv};
use super::audit::AuditActor;
use super::back_office::{BackOfficeActor, PublishedBackOffice};
use super::feed::Feed;
use super::messages::Fault;
use super::programs::ProgramsActor;
use super::settlement::{PublishedSettlement, SettlementActor};
use super::shards::Shards;
use super::vendor::{VendorActor, VendorEnv};
use crate::domain::account::AccountState;
use crate::domain::back_office::BackOfficeState;
use crate::domain::ids::{AccountId, OfferId, VendorId};
use crate::domain::incentive::ProgramsState;
use crate::domain::payouts::SettlementState;
use crate::domain::vendor::{VendorProfile, VendorState};
use crate::domain::vendor_standing::VendorStanding;
use crate::metrics as names;
use crate::storage::recovery;

/// Why an actor could not be found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No such account or vendor.
    #[error("not found")]
    NotFound,
    /// The system could not activate it.
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// A vendor's actor with the profile needed to authenticate its calls.
#[derive(Clone)]
pub struct VendorEntry {
    /// Registration data (API key digest, domains, currency, fee).
    pub profile: Arc<VendorProfile>,
    /// Its actor.
    pub addr: Addr<VendorActor>,
    /// Its status and valid API keys, as its actor last published them.
    pub standing: Arc<parking_lot::RwLock<VendorStanding>>,
}

/// The bounds a registry enforces, from `[actors]` in the config.
#[derive(Clone, Copy, Debug)]
pub struct RegistryLimits {
    /// Mailbox capacity of every actor.
    pub mailbox_messages_max: usize,
    /// Accounts in memory at most.
    pub accounts_in_memory_max: usize,
    /// How often a changed vendor snapshots itself and prunes expired offers, ms.
    pub vendor_snapshot_interval_ms: u64,
    /// How long an expired offer is kept before its vendor prunes it, ms.
    pub offers_expired_kept_ms: u64,
}

/// Which vendor holds each offer, so a buy URL (which names only the offer) finds its vendor
/// actor. Kept by the vendor actors: an entry is added when an offer is posted and removed
/// when it is pruned, so it is bounded like the books.
pub type OfferIndex = Arc<DashMap<OfferId, VendorId>>;

/// Id → actor maps plus what activation needs.
pub struct Registry {
    shards: Arc<Shards>,
    env: AccountEnv,
    limits: RegistryLimits,
    accounts: DashMap<AccountId, Addr<AccountActor>>,
    vendors: DashMap<VendorId, VendorEntry>,
    emails: DashMap<String, AccountId>,
    offers: OfferIndex,
    feed: Arc<Feed>,
    programs: std::sync::OnceLock<Addr<ProgramsActor>>,
    settlement: std::sync::OnceLock<Addr<SettlementActor>>,
    settled: PublishedSettlement,
    back_office: std::sync::OnceLock<Addr<BackOfficeActor>>,
    back_office_state: PublishedBackOffice,
    audit: std::sync::OnceLock<Addr<AuditActor>>,
}

impl Registry {
    /// An empty registry; start-up adds the recovered vendors and e-mails.
    #[must_use]
    pub fn new(
        shards: Arc<Shards>,
        env: AccountEnv,
        limits: RegistryLimits,
        feed: Arc<Feed>,
    ) -> Registry {
        Registry {
            shards,
            env,
            limits,
            accounts: DashMap::new(),
            vendors: DashMap::new(),
            emails: DashMap::new(),
            offers: Arc::new(DashMap::new()),
            feed,
            programs: std::sync::OnceLock::new(),
            settlement: std::sync::OnceLock::new(),
            settled: PublishedSettlement::default(),
            back_office: std::sync::OnceLock::new(),
            back_office_state: PublishedBackOffice::default(),
            audit: std::sync::OnceLock::new(),
        }
    }

    /// Starts the programs actor on the recovered programs, after `position` of their events.
    /// Once; a second call is ignored.
    pub fn start_programs(&self, state: ProgramsState, position: u64) {
        let journal = Arc::clone(&self.env.journal);
        let clock = self.env.clock.clone();
        let addr = ProgramsActor::start_in_arbiter(self.shards.for_id(0), move |_| {
            ProgramsActor::new(state, position, journal, clock)
        });
        let _ = self.programs.set(addr);
    }

    /// The programs actor.
    ///
    /// # Errors
    /// `Fault::Stopped` before it was started.
    pub fn programs(&self) -> Result<Addr<ProgramsActor>, LookupError> {
        self.programs.get().cloned().ok_or(Fault::Stopped.into())
    }

    /// Starts the settlement actor on the recovered state, after `position` of its events.
    /// Once; a second call is ignored.
    pub fn start_settlement(&self, state: SettlementState, position: u64) {
        if self.settlement.get().is_some() {
            return;
        }
        // Published here, not by the actor: see `start_back_office`.
        *self.settled.write() = Arc::new(state);
        let journal = Arc::clone(&self.env.journal);
        let clock = self.env.clock.clone();
        let published = Arc::clone(&self.settled);
        let addr = SettlementActor::start_in_arbiter(self.shards.for_id(0), move |_| {
            SettlementActor::new(position, journal, clock, published)
        });
        let _ = self.settlement.set(addr);
    }

    /// The settlement actor.
    ///
    /// # Errors
    /// `Fault::Stopped` before it was started.
    pub fn settlement(&self) -> Result<Addr<SettlementActor>, LookupError> {
        self.settlement.get().cloned().ok_or(Fault::Stopped.into())
    }

    /// The settlement state as the actor last published it.
    #[must_use]
    pub fn settled(&self) -> Arc<SettlementState> {
        Arc::clone(&self.settled.read())
    }

    /// Starts the back office actor on the recovered state, after `position` of its events.
    /// Once; a second call is ignored.
    pub fn start_back_office(&self, state: BackOfficeState, position: u64) {
        if self.back_office.get().is_some() {
            return;
        }
        // Published here, not by the actor: it is built later, on its shard's thread, and a
        // sign-in served as soon as start-up returns must find the recovered staff (a vendor
        // admin's sign-in right after a restart was refused 401 when the actor came second).
        *self.back_office_state.write() = Arc::new(state);
        let journal = Arc::clone(&self.env.journal);
        let clock = self.env.clock.clone();
        let published = Arc::clone(&self.back_office_state);
        let addr = BackOfficeActor::start_in_arbiter(self.shards.for_id(0), move |_| {
            BackOfficeActor::new(position, journal, clock, published)
        });
        let _ = self.back_office.set(addr);
    }

    /// The back office actor.
    ///
    /// # Errors
    /// `Fault::Stopped` before it was started.
    pub fn back_office(&self) -> Result<Addr<BackOfficeActor>, LookupError> {
        self.back_office.get().cloned().ok_or(Fault::Stopped.into())
    }

    /// Starts the audit actor after `position` entries of the trail. Once; a second call is
    /// ignored.
    pub fn start_audit(&self, position: u64) {
        let journal = Arc::clone(&self.env.journal);
        let clock = self.env.clock.clone();
        let mailbox_messages_max = self.limits.mailbox_messages_max;
        let addr = AuditActor::start_in_arbiter(self.shards.for_id(0), move |_| {
            AuditActor::new(position, journal, clock, mailbox_messages_max)
        });
        let _ = self.audit.set(addr);
    }

    /// The audit actor.
    ///
    /// # Errors
    /// `Fault::Stopped` before it was started.
    pub fn audit(&self) -> Result<Addr<AuditActor>, LookupError> {
        self.audit.get().cloned().ok_or(Fault::Stopped.into())
    }

    /// The back office state as the actor last published it.
    #[must_use]
    pub fn back_office_state(&self) -> Arc<BackOfficeState> {
        Arc::clone(&self.back_office_state.read())
    }

    /// What account actors share.
    #[must_use]
    pub fn env(&self) -> &AccountEnv {
        &self.env
    }

    /// The feed (totals and sales delivery).
    #[must_use]
    pub fn feed(&self) -> &Arc<Feed> {
        &self.feed
    }

    /// The actor of an account, activating it from its snapshot and later events if needed.
    ///
    /// The store reads run on the calling thread: a point read and a short range scan, once
    /// per account per process. (Rejected: a blocking pool hop on every miss, which costs
    /// more than the reads for a warm store.)
    ///
    /// # Errors
    /// `NotFound`; `Fault::StorageRead` for an unreadable snapshot or event;
    /// `Fault::Overloaded` past the cap of accounts in memory.
    pub fn account(&self, id: AccountId) -> Result<Addr<AccountActor>, LookupError> {
        if let Some(addr) = self.accounts.get(&id) {
            return Ok(addr.clone());
        }
        if self.accounts.len() >= self.limits.accounts_in_memory_max {
            return Err(Fault::Overloaded.into());
        }
        let loaded =
            recovery::load_account(self.env.journal.as_ref(), self.env.snapshots.as_ref(), id)
                .map_err(|error| {
                    tracing::error!(account = %id, %error, "an account cannot be activated");
                    Fault::StorageRead
                })?;
        let Some(loaded) = loaded else {
            return Err(LookupError::NotFound);
        };
        metrics::counter!(names::ACCOUNT_ACTIVATIONS).increment(1);
        metrics::counter!(names::ACTIVATION_EVENTS).increment(loaded.replayed);
        self.start_account(loaded.state, loaded.position, loaded.snapshot_position)
    }

    /// Starts the actor of a new account whose first event (`AccountOpened`) built `state`;
    /// the caller sends it an `OpenMessage` with that event first.
    ///
    /// # Errors
    /// `Fault::Overloaded` past the cap of accounts in memory.
    pub fn activate_new(&self, state: AccountState) -> Result<Addr<AccountActor>, LookupError> {
        self.start_account(state, 0, 0)
    }

    fn start_account(
        &self,
        state: AccountState,
        position: u64,
        snapshot_position: u64,
    ) -> Result<Addr<AccountActor>, LookupError> {
        if self.accounts.len() >= self.limits.accounts_in_memory_max {
            return Err(Fault::Overloaded.into());
        }
        let id = state.id;
        let addr = match self.accounts.entry(id) {
            Entry::Occupied(existing) => existing.get().clone(),
            Entry::Vacant(vacant) => {
                let env = self.env.clone();
                let mailbox = self.limits.mailbox_messages_max;
                let addr = AccountActor::start_in_arbiter(self.shards.for_id(id.0), move |_| {
                    AccountActor::new(state, position, snapshot_position, env, mailbox)
                });
                vacant.insert(addr.clone());
                addr
            }
        };
        metrics::gauge!(names::ACCOUNTS_IN_MEMORY)
            .set(u32::try_from(self.accounts.len()).unwrap_or(u32::MAX));
        Ok(addr)
    }

    /// Claims a sign-in e-mail for a new account; false if it is taken.
    pub fn claim_email(&self, email: &str, account: AccountId) -> bool {
        match self.emails.entry(email.to_owned()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(vacant) => {
                vacant.insert(account);
                true
            }
        }
    }

    /// Gives back an e-mail whose account could not be opened.
    pub fn release_email(&self, email: &str) {
        self.emails.remove(email);
    }

    /// The account that signs in with this e-mail.
    #[must_use]
    pub fn account_by_email(&self, email: &str) -> Option<AccountId> {
        self.emails.get(email).map(|entry| *entry)
    }

    /// Records a sign-in e-mail found at start-up.
    pub fn load_email(&self, email: String, account: AccountId) {
        self.emails.insert(email, account);
    }

    /// Adds a vendor (recovered, or new with its registration applied) after `position` of
    /// its own events, starts its actor, and connects it to the feed before any sale.
    pub fn add_vendor(&self, state: VendorState, position: u64) -> VendorEntry {
        let id = state.profile.id;
        let profile = Arc::new(state.profile.clone());
        let standing = Arc::new(parking_lot::RwLock::new(state.standing.clone()));
        for offer in state.offer_ids() {
            self.offers.insert(offer, id);
        }
        let env = VendorEnv {
            journal: Arc::clone(&self.env.journal),
            snapshots: Arc::clone(&self.env.snapshots),
            clock: self.env.clock.clone(),
            offer_index: self.offers.clone(),
            standing: Arc::clone(&standing),
            mailbox_messages_max: self.limits.mailbox_messages_max,
            snapshot_interval: Duration::from_millis(self.limits.vendor_snapshot_interval_ms),
            offers_expired_kept_ms: self.limits.offers_expired_kept_ms,
        };
        let addr = VendorActor::start_in_arbiter(self.shards.for_id(id.0), move |_| {
            VendorActor::new(state, position, env)
        });
        self.feed.add_vendor(id, addr.clone());
        let entry = VendorEntry {
            profile,
            addr,
            standing,
        };
        self.vendors.insert(id, entry.clone());
        metrics::gauge!(names::VENDORS_IN_MEMORY)
            .set(u32::try_from(self.vendors.len()).unwrap_or(u32::MAX));
        entry
    }

    /// A vendor's profile and actor.
    #[must_use]
    pub fn vendor(&self, id: VendorId) -> Option<VendorEntry> {
        self.vendors.get(&id).map(|entry| entry.clone())
    }

    /// The vendor holding an offer (buy URLs name only the offer).
    #[must_use]
    pub fn vendor_of_offer(&self, offer: OfferId) -> Option<VendorEntry> {
        let vendor = *self.offers.get(&offer)?;
        self.vendor(vendor)
    }

    /// Every vendor (for totals).
    #[must_use]
    pub fn vendors(&self) -> Vec<VendorEntry> {
        self.vendors
            .iter()
            .map(|entry| entry.value().clone())
            .collect()
    }
}
