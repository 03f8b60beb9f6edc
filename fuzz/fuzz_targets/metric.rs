#![no_main]
//! See `fleettop::fuzzing::metric`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::metric(data));
