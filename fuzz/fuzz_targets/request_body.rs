//! Fuzz target: every JSON request body, through its conversion and domain check (`farthing::fuzzing::request_body`, which documents what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farthing::fuzzing::request_body(data));
