#![no_main]
//! See `fleettop::fuzzing::agent_events`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fleettop::fuzzing::agent_events(data));
