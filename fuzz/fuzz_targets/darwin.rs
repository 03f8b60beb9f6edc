#![no_main]
//! See `fleettop::fuzzing::darwin`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::darwin(data));
