//! Fuzz target: sealed tokens and authorization locators, every kind (`farthing::fuzzing::token`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::token(data));
