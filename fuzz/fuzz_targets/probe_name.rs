#![no_main]
//! A process name planted in a real probe output changes no other section
//! (see `fleettop::fuzzing::probe_name`).
const BASE: &str = include_str!("../../tests/fixtures/probe/debian-container-x86_64.txt");
libfuzzer_sys::fuzz_target!(|name: &[u8]| fleettop::fuzzing::probe_name(BASE, name));
