//! Fuzz target: see provscope::fuzzing::fuzz_tftp.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provscope::fuzzing::fuzz_tftp(data));
