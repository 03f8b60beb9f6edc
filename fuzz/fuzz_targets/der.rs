#![no_main]
//! See `fleettop::fuzzing::der`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::der(data));
