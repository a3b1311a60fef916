//! The storage adapter: fjall as the write-ahead journal (one writer thread, group commit),
//! the layout of state rows, the versioned codec, recovery at start-up and `farthing check`.
//! It holds no business rule: what to write comes from the domain's events and state.

pub mod codec;
mod memtables;
pub mod recovery;
pub mod rows;
pub mod store;
pub mod wal;
