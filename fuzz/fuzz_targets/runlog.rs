#![no_main]
//! See `fleettop::fuzzing::runlog`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::runlog(data));
