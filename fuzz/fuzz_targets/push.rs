#![no_main]
//! See `fleettop::fuzzing::push`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::push(data));
