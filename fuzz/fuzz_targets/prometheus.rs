#![no_main]
//! See `fleettop::fuzzing::prometheus`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::prometheus(data));
