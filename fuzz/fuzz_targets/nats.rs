#![no_main]
//! See `fleettop::fuzzing::nats`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::nats(data));
