//! The host JSON that `fleettop agent` publishes to the `fleettop_hosts`
//! bucket and push mode reads back (every field optional there); a
//! snapshot's hosts have the same shape.

use crate::model::Gpu;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DiskSnap {
    pub mount: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// Always in a snapshot; an agent older than this field leaves it out
    /// (the viewer then takes size − used).
    pub available_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InferenceSnap {
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    pub tokens_per_s: Option<f64>,
    /// Failed (aborted or errored) requests per minute, where the server
    /// counts them (vLLM).
    pub errors_per_min: Option<f64>,
    /// Over the last 15 minutes (not read from a pushed host's JSON).
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub history: Option<InferenceHistorySnap>,
}

/// An inference server's last 15 minutes in numbers.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct InferenceHistorySnap {
    /// How far back the points reach, at most 900.
    pub span_s: u64,
    pub tokens_per_s_avg: Option<f64>,
    pub tokens_per_s_peak: Option<f64>,
    pub waiting_avg: Option<f64>,
    pub waiting_peak: Option<f64>,
    pub errors_per_min_avg: Option<f64>,
    /// Failed requests over the window (from the rates).
    pub failed: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TopSnap {
    pub pid: u32,
    pub name: String,
    pub cpu_pct: f32,
    pub mem_bytes: u64,
}

/// A host as a snapshot shows it, and as `fleettop agent` publishes it
/// (push mode reads it back: every field is optional there).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HostSnap {
    pub name: String,
    /// online, stale, offline, auth-error.
    #[serde(skip_deserializing)]
    pub state: &'static str,
    #[serde(skip_deserializing)]
    pub level: &'static str,
    pub last_seen: Option<String>,
    pub error: Option<String>,
    pub cpu_pct: Option<f64>,
    pub mem_used_bytes: Option<u64>,
    pub mem_total_bytes: Option<u64>,
    pub swap_used_bytes: Option<u64>,
    pub swap_total_bytes: Option<u64>,
    pub disks: Vec<DiskSnap>,
    pub load: Option<[f64; 3]>,
    pub uptime_s: Option<u64>,
    pub temp_c: Option<f64>,
    pub battery_pct: Option<f64>,
    pub net_rx_bytes_per_s: Option<f64>,
    pub net_tx_bytes_per_s: Option<f64>,
    pub sessions: BTreeMap<String, usize>,
    pub gpus: Vec<Gpu>,
    pub inference: Option<InferenceSnap>,
    pub top: Vec<TopSnap>,
    /// Pushed samples dropped for a time before 1970 or in the future.
    #[serde(skip_deserializing)]
    pub clock_skew: u64,
    /// Push mode only: the agent's interval, so a viewer knows when the
    /// host goes stale. Absent from snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    /// The Ollama server at `metrics_url`: version and models loaded.
    pub ollama: Option<crate::model::Ollama>,
    /// Why `metrics_url` could not be read on the last poll.
    pub metrics_error: Option<String>,
    /// Session pattern → seconds the oldest matching process has run (the
    /// patterns with one running).
    pub session_oldest_s: BTreeMap<String, u64>,
    /// A Mac's memory pressure, 0–100 (100 − the kernel's free level).
    pub mem_pressure_pct: Option<f64>,
}

/// The bucket key (and subject token) of a host name: what a key may hold
/// (`A-Z a-z 0-9 - _`), anything else as `_`, at most 200 characters.
pub(crate) fn push_key(name: &str) -> String {
    let k: String = name
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if k.is_empty() { "_".into() } else { k }
}
