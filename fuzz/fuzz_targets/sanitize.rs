#![no_main]
//! See `fleettop::fuzzing::sanitize_text`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::sanitize_text(data));
