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
/// The sanitiser lives below the model (its `Clean` strings are in model types);
/// parsers reach it here as before.
pub use crate::sanitize;
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

#[cfg(test)]
mod tests {
    /// A time an agent may write that lies past what RFC 3339 can say is
    /// written back as its last second (the model's clamp, fed by the parser).
    #[test]
    fn a_parsed_time_past_9999_is_written_as_the_last_second() {
        let past_9999 = super::agent::parse_rfc3339("9999-12-31T23:59:59-23:59");
        assert_eq!(past_9999, Some(253_402_387_139_000), "10000-01-01T23:58:59Z");
        assert_eq!(crate::model::rfc3339(past_9999.unwrap()), "9999-12-31T23:59:59Z");
    }
}
