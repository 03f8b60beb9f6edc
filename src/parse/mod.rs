//! Pure parsers for data that comes from outside the process: `nvidia-smi -q -x`
//! XML, Prometheus text exposition pages (vLLM, llama.cpp), Ollama's JSON, Linux
//! `power_supply` uevent files, Linux `/proc` text and `df -P -k` output, the
//! outputs of the commands the probe runs on a Mac (`darwin*`), and
//! a sanitiser for any foreign string that is about to be drawn on the
//! terminal.
//!
//! None of these functions does I/O and none of them panics on any input.

pub mod agent;
pub mod darwin;
pub mod darwin_table;
pub(crate) mod der;
pub mod known_hosts;
pub mod launchctl;
pub mod metric;
pub mod nats;
pub mod nvidia_smi;
pub(crate) mod ollama;
pub(crate) mod plist;
pub mod power_supply;
pub mod probe;
pub mod proc;
pub mod prometheus;
pub mod push;
pub mod redact;
pub mod sanitize;
pub mod syncthing;
pub mod systemctl;

/// What a parser could use and how many records it had to skip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed<T> {
    pub value: T,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl<T> Parsed<T> {
    /// Counts one skipped record; keeps the message of the first one only.
    pub(crate) fn note_error(&mut self, message: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message());
        }
    }
}
