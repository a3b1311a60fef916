//! Fuzz target: Cookie headers (`farthing::fuzzing::cookie`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::cookie(data));
