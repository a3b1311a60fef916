//! Fuzz target: Accept-Language and language tags (`farthing::fuzzing::accept_language`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::accept_language(data));
