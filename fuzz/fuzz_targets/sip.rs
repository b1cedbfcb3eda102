//! Fuzz target: see provscope::fuzzing::fuzz_sip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provscope::fuzzing::fuzz_sip(data));
