#![no_main]
//! See `fleettop::fuzzing::power_supply`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::power_supply(data));
