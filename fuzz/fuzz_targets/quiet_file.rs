#![no_main]
//! See `fleettop::fuzzing::quiet_file`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::quiet_file(data));
