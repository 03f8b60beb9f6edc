#![no_main]
//! See `fleettop::fuzzing::nvidia_smi`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::nvidia_smi(data));
