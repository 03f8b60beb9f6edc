#![no_main]
//! See `fleettop::fuzzing::probe`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::probe(data));
