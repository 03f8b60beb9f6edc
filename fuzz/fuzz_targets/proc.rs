#![no_main]
//! See `fleettop::fuzzing::proc`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::proc(data));
