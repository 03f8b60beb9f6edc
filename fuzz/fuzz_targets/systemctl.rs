#![no_main]
//! See `fleettop::fuzzing::systemctl`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::systemctl(data));
