#![no_main]
//! See `fleettop::fuzzing::remote`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::remote(data));
