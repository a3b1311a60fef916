//! Shards: one actix arbiter (an OS thread with its own event loop) per shard. Actors are
//! placed by a stable hash of their id, and the HTTP server runs on the same threads, so a
//! request whose account lives on the thread that accepted it never crosses threads.

use actix::Arbiter;
use actix_rt::ArbiterHandle;

/// The arbiters, in a fixed order.
pub struct Shards {
    arbiters: parking_lot::Mutex<Vec<Arbiter>>,
    handles: Vec<ArbiterHandle>,
}

impl Shards {
    /// Starts `count` arbiters (at least one). Must run inside an actix `System`.
    #[must_use]
    pub fn start(count: usize) -> Shards {
        let arbiters: Vec<Arbiter> = (0..count.max(1)).map(|_| Arbiter::new()).collect();
        let handles = arbiters.iter().map(Arbiter::handle).collect();
        Shards {
            arbiters: parking_lot::Mutex::new(arbiters),
            handles,
        }
    }

    /// One shard: the arbiter of the calling thread, which must run an actix `System`. The
    /// deterministic simulation runs every actor on its own thread this way, so the order in
    /// which they run depends on nothing but what it sends. `stop` stops nothing: the arbiter
    /// belongs to the caller.
    #[must_use]
    pub fn on_current_arbiter() -> Shards {
        Shards {
            arbiters: parking_lot::Mutex::new(Vec::new()),
            handles: vec![Arbiter::current()],
        }
    }

    /// Number of shards.
    #[must_use]
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: there is at least one shard.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The arbiter that owns the actor with this id. Ids are random, but a multiplicative hash
    /// keeps placement even if a future id scheme is sequential.
    #[must_use]
    pub fn for_id(&self, id: u64) -> &ArbiterHandle {
        let count = u64::try_from(self.handles.len()).unwrap_or(1).max(1);
        let mixed = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let index = usize::try_from(mixed % count).unwrap_or(0);
        self.handles.get(index).unwrap_or_else(|| self.first())
    }

    /// Every arbiter, to run one accept loop on each.
    #[must_use]
    pub fn handles(&self) -> &[ArbiterHandle] {
        &self.handles
    }

    fn first(&self) -> &ArbiterHandle {
        match self.handles.first() {
            Some(handle) => handle,
            None => unreachable!("Shards::start makes at least one arbiter"),
        }
    }

    /// Stops every arbiter and waits for its thread.
    pub fn stop(&self) {
        let arbiters = std::mem::take(&mut *self.arbiters.lock());
        for arbiter in &arbiters {
            arbiter.stop();
        }
        for arbiter in arbiters {
            let _ = arbiter.join();
        }
    }
}
