//! The registry: finds the actor of an account or vendor by id, activating an account from
//! its state rows on first use. Lookups are a `DashMap` read (no lock is held across an
//! await). Vendors are few and all loaded at start-up, with their profiles kept here for
//! authenticating every vendor call without a message.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::account::{AccountActor, AccountEnv};
use super::messages::{Fault, SaleMessage};
use super::shards::Shards;
use super::vendor::{VendorActor, VendorEnv};
use crate::domain::account::AccountState;
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, OfferId, VendorId};
use crate::domain::offer::OfferBook;
use crate::domain::vendor::{VendorProfile, VendorState};
use crate::metrics as names;
use crate::storage::rows;
use crate::storage::store::Store;

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
    /// Its ledger actor.
    pub addr: Addr<VendorActor>,
}

/// The bounds a registry enforces, from `[actors]` in the config.
#[derive(Clone, Copy, Debug)]
pub struct RegistryLimits {
    /// Mailbox capacity of every actor.
    pub mailbox_messages_max: usize,
    /// Accounts in memory at most.
    pub accounts_in_memory_max: usize,
    /// How often a vendor with new sales writes its checkpoint row, ms.
    pub vendor_checkpoint_interval_ms: u64,
    /// How long an expired offer is kept before its vendor prunes it, ms.
    pub offers_expired_kept_ms: u64,
}

/// Id → actor maps plus what activation needs.
pub struct Registry {
    shards: Arc<Shards>,
    store: Store,
    env: AccountEnv,
    limits: RegistryLimits,
    accounts: DashMap<AccountId, Addr<AccountActor>>,
    vendors: DashMap<VendorId, VendorEntry>,
    emails: DashMap<String, AccountId>,
    offers: OfferIndex,
}

/// Which vendor holds each offer, so a buy URL (which names only the offer) finds its vendor
/// actor. Kept by the vendor actors: an entry is added when an offer is booked and removed
/// when it is pruned, so it is bounded like the books.
pub type OfferIndex = Arc<DashMap<OfferId, VendorId>>;

impl Registry {
    /// An empty registry; `recovery` fills vendors and e-mails at start-up.
    #[must_use]
    pub fn new(
        shards: Arc<Shards>,
        store: Store,
        env: AccountEnv,
        limits: RegistryLimits,
    ) -> Registry {
        Registry {
            shards,
            store,
            env,
            limits,
            accounts: DashMap::new(),
            vendors: DashMap::new(),
            emails: DashMap::new(),
            offers: Arc::new(DashMap::new()),
        }
    }

    /// What account actors share.
    #[must_use]
    pub fn env(&self) -> &AccountEnv {
        &self.env
    }

    /// The read side of the store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The actor of an account, activating it from the store if needed.
    ///
    /// The store read runs on the calling thread: it is a prefix scan of a few rows, done
    /// once per account per process. (Rejected: a blocking pool hop on every miss, which
    /// costs more than the read for a warm store.)
    ///
    /// # Errors
    /// `NotFound`; `Fault::StorageRead` for an unreadable row; `Fault::Overloaded` past the cap.
    pub fn account(&self, id: AccountId) -> Result<Addr<AccountActor>, LookupError> {
        if let Some(addr) = self.accounts.get(&id) {
            return Ok(addr.clone());
        }
        let rows: Vec<(Vec<u8>, Vec<u8>)> = self
            .store
            .scan_state_prefix(&rows::account_prefix(id))
            .collect::<Result<_, _>>()
            .map_err(|_| Fault::StorageRead)?;
        let state = rows::account_from_rows(id, rows)
            .map_err(|_| Fault::StorageRead)?
            .ok_or(LookupError::NotFound)?;
        self.activate(state)
    }

    /// Starts the actor of a new account (its `AccountOpened` already applied to `state`).
    ///
    /// # Errors
    /// `Fault::Overloaded` past the cap of accounts in memory.
    pub fn activate(&self, state: AccountState) -> Result<Addr<AccountActor>, LookupError> {
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
                    AccountActor::new(state, env, mailbox)
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

    /// Adds a vendor (loaded or newly registered) and starts its actor.
    pub fn add_vendor(&self, state: VendorState, offers: OfferBook) {
        let id = state.profile.id;
        let profile = Arc::new(state.profile.clone());
        for offer in offers.ids() {
            self.offers.insert(offer, id);
        }
        let env = VendorEnv {
            journal: self.env.journal.clone(),
            clock: self.env.clock.clone(),
            offer_index: self.offers.clone(),
            mailbox_messages_max: self.limits.mailbox_messages_max,
            checkpoint_interval: Duration::from_millis(self.limits.vendor_checkpoint_interval_ms),
            offers_expired_kept_ms: self.limits.offers_expired_kept_ms,
        };
        let addr = VendorActor::start_in_arbiter(self.shards.for_id(id.0), move |_| {
            VendorActor::new(state, offers, env)
        });
        self.vendors.insert(id, VendorEntry { profile, addr });
        metrics::gauge!(names::VENDORS_IN_MEMORY)
            .set(u32::try_from(self.vendors.len()).unwrap_or(u32::MAX));
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

    /// Records a sign-in e-mail found in the store at start-up.
    pub fn load_email(&self, email: String, account: AccountId) {
        self.emails.insert(email, account);
    }

    /// Hands a durable sale or reversal to its vendor, in journal order. Called on the journal
    /// thread. `do_send` on purpose: this is not a request path but the durable feed, which
    /// must not drop a sale; it is bounded by the journal's own queue and batch limits.
    pub fn deliver_sale(&self, seq: u64, event: Event) {
        let Some(vendor) = event.vendor() else { return };
        if let Some(entry) = self.vendors.get(&vendor) {
            entry.addr.do_send(SaleMessage {
                seq,
                event: Arc::new(event),
            });
        }
    }
}
