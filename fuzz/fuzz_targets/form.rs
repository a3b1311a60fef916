//! Fuzz target: buy-window form bodies (`farthing::fuzzing::form`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::form(data));
