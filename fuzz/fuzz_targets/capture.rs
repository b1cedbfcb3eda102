//! Fuzz target: see provscope::fuzzing::fuzz_capture.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provscope::fuzzing::fuzz_capture(data));
