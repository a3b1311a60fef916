//! Fuzz target: wire amounts and currency codes (`farthing::fuzzing::money`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::money(data));
