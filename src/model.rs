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

pub fn rfc3339(at: Millis) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(at).unwrap_or(0));
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

/// A mounted file system, in `df`'s terms: `total_bytes` is its size,
/// `used_bytes` is size − free, `available_bytes` what an unprivileged user
/// can still write (the blocks reserved for root are neither).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disk {
    pub mount: String,
    pub device: String,
    pub fs: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
}

impl Disk {
    /// A disk with df's arithmetic holding whatever a host sent: used and
    /// available fit in the size.
    pub fn new(mount: String, device: String, fs: String, total: u64, used: u64, available: u64) -> Disk {
        let used = used.min(total);
        Disk {
            mount,
            device,
            fs,
            total_bytes: total,
            used_bytes: used,
            available_bytes: available.min(total - used),
        }
    }

    /// `df`'s Capacity: used / (used + available), rounded up to a whole
    /// percent; 100 means ordinary users cannot write.
    pub fn used_pct(&self) -> f64 {
        let used = u128::from(self.used_bytes);
        let room = used + u128::from(self.available_bytes);
        if room == 0 {
            return 0.0;
        }
        (used * 100).div_ceil(room) as f64
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
    use super::Disk;

    fn disk(total: u64, used: u64, available: u64) -> Disk {
        Disk {
            mount: "/".into(),
            device: String::new(),
            fs: String::new(),
            total_bytes: total,
            used_bytes: used,
            available_bytes: available,
        }
    }

    #[test]
    fn used_pct_is_dfs_capacity() {
        // 15 % (25 of the 175 a user may fill), where used / size would
        // say 10 %: the blocks reserved for root are neither.
        assert_eq!(disk(270, 25, 150).used_pct(), 15.0);
        assert_eq!(disk(100, 14, 86).used_pct(), 14.0);
        // Rounded up: any use at all shows.
        assert_eq!(disk(1000, 1, 999).used_pct(), 1.0);
        assert_eq!(disk(300, 100, 200).used_pct(), 34.0);
        assert_eq!(disk(100, 95, 0).used_pct(), 100.0);
        assert_eq!(disk(0, 0, 0).used_pct(), 0.0);
        assert_eq!(disk(u64::MAX, u64::MAX, u64::MAX).used_pct(), 50.0);
    }
}
