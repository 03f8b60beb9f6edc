//! Plain data shared by the sources, the store, the UI and the snapshot JSON.

use serde::Serialize;

pub use crate::parse::nvidia_smi::{Gpu, GpuProcess};
pub use crate::parse::power_supply::Battery;
pub use crate::parse::prometheus::InferenceCounters;

/// Milliseconds since the Unix epoch: time is an input, never read by the
/// reducer or the renderer themselves.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The last instant RFC 3339 can write (9999-12-31T23:59:59.999Z).
const RFC3339_MAX: Millis = 253_402_300_799_999;

/// A time as RFC 3339, clamped to 1970..=9999: humantime's formatter fails
/// (and `to_string` panics) past year 9999.
pub fn rfc3339(at: Millis) -> String {
    let ms = u64::try_from(at.clamp(0, RFC3339_MAX)).unwrap_or(0);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Info,
    Warn,
    Error,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostState {
    Online,
    Stale,
    Offline,
    AuthError,
}

impl HostState {
    pub fn as_str(self) -> &'static str {
        match self {
            HostState::Online => "online",
            HostState::Stale => "stale",
            HostState::Offline => "offline",
            HostState::AuthError => "auth-error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disk {
    pub mount: String,
    pub device: String,
    pub fs: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}

impl Disk {
    pub fn used_pct(&self) -> f64 {
        pct(self.used_bytes, self.total_bytes)
    }
}

pub fn pct(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        used as f64 * 100.0 / total as f64
    }
}

/// Cumulative byte counters of one interface; rates are derived in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interface {
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub cmd: String,
    /// Shared: most processes of a host belong to a handful of users.
    pub user: std::sync::Arc<str>,
    pub cpu_pct: f32,
    pub mem_bytes: u64,
    /// `proc::state_word` of the state letter; static, one per process
    /// of every host adds up.
    pub state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Temp {
    pub label: String,
    pub celsius: f64,
}

/// One sample of a host, as a collector saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostSample {
    pub at: Millis,
    pub os: String,
    pub kernel: String,
    pub cpu_pct: f64,
    pub per_core: Vec<f64>,
    pub mem_used_bytes: u64,
    pub mem_total_bytes: u64,
    pub swap_used_bytes: u64,
    pub swap_total_bytes: u64,
    pub disks: Vec<Disk>,
    pub interfaces: Vec<Interface>,
    pub load: [f64; 3],
    pub uptime_s: u64,
    pub temps: Vec<Temp>,
    pub batteries: Vec<Battery>,
    pub processes: Vec<Process>,
    /// pattern → number of matching processes, in config order.
    pub sessions: Vec<(String, usize)>,
    pub gpus: Vec<Gpu>,
    pub gpu_error: Option<String>,
    pub inference: Option<InferenceCounters>,
    pub inference_error: Option<String>,
    /// Lines a parser could not read in this sample (logged by the source).
    pub parse_errors: usize,
    /// How long the poll that produced this sample took, for a remote
    /// collector (SSH: the probe's exec round trip); None for the local host.
    pub poll_rtt_ms: Option<u64>,
    /// How many processes the host had when `processes` keeps only its top
    /// ones (a remote host whose drill-down is not open); None when whole.
    pub processes_of: Option<usize>,
}

impl HostSample {
    /// The hottest sensor: what a tile has room for.
    pub fn max_temp(&self) -> Option<f64> {
        self.temps.iter().map(|t| t.celsius).reduce(f64::max)
    }
    pub fn worst_disk(&self) -> Option<&Disk> {
        self.disks.iter().max_by(|a, b| a.used_pct().total_cmp(&b.used_pct()))
    }
    pub fn top_process(&self) -> Option<&Process> {
        self.processes.iter().max_by(|a, b| a.cpu_pct.total_cmp(&b.cpu_pct))
    }
    pub fn net_totals(&self) -> (u64, u64) {
        self.interfaces
            .iter()
            .filter(|i| i.name != "lo")
            .fold((0, 0), |(r, t), i| {
                (r.saturating_add(i.rx_bytes), t.saturating_add(i.tx_bytes))
            })
    }
}

#[cfg(test)]
mod tests {
    /// Found by fuzzing: an agent event dated past year 9999 made
    /// `snapshot` panic ("a Display implementation returned an error").
    #[test]
    fn rfc3339_never_panics() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(super::rfc3339(-1), "1970-01-01T00:00:00Z");
    }
}
