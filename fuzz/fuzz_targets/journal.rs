//! Fuzz target: stored records, snapshots and keys (`farthing::fuzzing::journal`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::journal(data));
