#![no_main]
//! See `fleettop::fuzzing::df`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::df(data));
