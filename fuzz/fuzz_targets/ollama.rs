#![no_main]
//! See `fleettop::fuzzing::ollama`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::ollama(data));
