#![no_main]
//! See `fleettop::fuzzing::launchctl`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::launchctl(data));
