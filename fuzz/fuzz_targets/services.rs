#![no_main]
//! See `fleettop::fuzzing::services`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::services(data));
