//! Plain data shared by the sources, the store, the UI and the snapshot JSON.

use serde::Serialize;

use crate::sanitize::Clean;

/// Milliseconds since the Unix epoch: time is an input, never read by the
/// reducer or the renderer themselves.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
const LAST_RFC3339: Millis = 253_402_300_799_000;

/// Any time as RFC 3339, to the second; one before 1970 or after year 9999
/// is written as the nearest end of that range (it never fails: a time
/// from outside may be anything).
pub fn rfc3339(at: Millis) -> String {
    let ms = u64::try_from(at.clamp(0, LAST_RFC3339)).unwrap_or(0);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// How far ahead of fleettop's own clock a time from outside may be.
pub const MAX_SKEW_MS: Millis = 5 * 60_000;

/// A time from outside, checked on arrival: `None` ("clock skew") when it
/// is before 1970 or later than `now` plus [`MAX_SKEW_MS`]. A skewed time
/// is never trusted as fresh.
pub fn checked_time(t: Millis, now: Millis) -> Option<Millis> {
    (0..=now.saturating_add(MAX_SKEW_MS)).contains(&t).then_some(t)
}

/// fleettop's clock as the store sees it: the wall clock (for times shown
/// and compared with times from outside) and a monotonic one (for how long
/// something has lasted), both in milliseconds. A step of the wall clock
/// (a Pi without RTC booting with an old time until NTP) shows as the two
/// advancing by different amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    pub wall: Millis,
    pub mono: Millis,
}

impl Now {
    /// Both clocks read now; `mono` counts from the first call in this process.
    pub fn current() -> Now {
        Now::at(now_millis())
    }

    /// `wall` with the monotonic clock read now.
    pub fn at(wall: Millis) -> Now {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let elapsed = START.get_or_init(std::time::Instant::now).elapsed();
        Now {
            wall,
            mono: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// A wall time alone: a clock that never steps (tests, replays).
impl From<Millis> for Now {
    fn from(wall: Millis) -> Now {
        Now { wall, mono: wall }
    }
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
    pub(crate) fn used_pct(&self) -> f64 {
        let used = u128::from(self.used_bytes);
        let room = used + u128::from(self.available_bytes);
        if room == 0 {
            return 0.0;
        }
        (used * 100).div_ceil(room) as f64
    }
}

pub(crate) fn pct(used: u64, total: u64) -> f64 {
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
    /// The Ollama server at the host's `metrics_url`, when it is one.
    pub ollama: Option<Ollama>,
    /// Per session pattern, in the order of `sessions`: how long the oldest
    /// matching process has run, in seconds (None: none runs, or unknown).
    pub session_oldest_s: Vec<Option<u64>>,
    /// A Mac's memory pressure, 0–100: 100 − `kern.memorystatus_level`
    /// (the free share the kernel grades pressure by). None elsewhere.
    pub mem_pressure_pct: Option<f64>,
}

/// What an Ollama server has loaded (`/api/ps`) and its version
/// (`/api/version`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Ollama {
    pub version: Option<String>,
    pub models: Vec<OllamaModel>,
}

/// One loaded model: its size in memory, and how much of it is in VRAM
/// (absent when none is: Ollama leaves the field out at 0).
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OllamaModel {
    pub name: String,
    pub size_bytes: u64,
    pub vram_bytes: Option<u64>,
    pub parameter_size: String,
    pub quantization: String,
    /// RFC 3339, as the server wrote it: when it unloads the model.
    pub expires_at: Option<String>,
}

impl HostSample {
    /// The hottest sensor: what a tile has room for.
    pub(crate) fn max_temp(&self) -> Option<f64> {
        self.temps.iter().map(|t| t.celsius).reduce(f64::max)
    }
    pub(crate) fn worst_disk(&self) -> Option<&Disk> {
        self.disks.iter().max_by(|a, b| a.used_pct().total_cmp(&b.used_pct()))
    }
    pub(crate) fn top_process(&self) -> Option<&Process> {
        self.processes.iter().max_by(|a, b| a.cpu_pct.total_cmp(&b.cpu_pct))
    }
    pub(crate) fn net_totals(&self) -> (u64, u64) {
        self.interfaces
            .iter()
            .filter(|i| i.name != "lo")
            .fold((0, 0), |(r, t), i| {
                (r.saturating_add(i.rx_bytes), t.saturating_add(i.tx_bytes))
            })
    }
}

/// A GPU as `nvidia-smi` (or a pushing host) reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct Gpu {
    pub index: u32,
    /// What the driver (or a pushing host) says: outside text.
    pub name: Clean,
    pub util_pct: Option<f64>,
    pub mem_used_bytes: Option<u64>,
    pub mem_total_bytes: Option<u64>,
    pub temp_c: Option<f64>,
    pub processes: Vec<GpuProcess>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct GpuProcess {
    pub pid: u32,
    /// A process name: any user on the host picks it.
    pub name: Clean,
    pub mem_bytes: Option<u64>,
}

/// A system battery and how full it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Battery {
    pub name: String,
    /// 0–100.
    pub pct: Option<f64>,
    /// As the kernel reports it: `Charging`, `Discharging`, `Full`,
    /// `Not charging`, `Unknown`.
    pub status: Option<String>,
}

/// Requests and token counters of an inference server, summed over every
/// label set (one per model, engine or LoRA adapter). `None` when the page
/// has no sample of that metric.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct InferenceCounters {
    pub running: Option<f64>,
    pub waiting: Option<f64>,
    pub generation_tokens_total: Option<f64>,
    pub prompt_tokens_total: Option<f64>,
    /// vLLM `vllm:request_success_total`, every `finished_reason`: the
    /// requests that finished. (llama.cpp exports no such counter.)
    pub requests_total: Option<f64>,
    /// The part of `requests_total` whose `finished_reason` is `abort` or
    /// `error`: requests that failed or were cut off.
    pub failed_total: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_time_formats_without_panic() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_778_351_400_999), "2026-05-09T18:30:00Z");
        // What `9999-12-31T23:59:59-23:59` is in UTC (a time a parser
        // accepts): 10000-01-01T23:58:59Z.
        let past_9999: Millis = 253_402_387_139_000;
        assert!(past_9999 > LAST_RFC3339);
        for t in [past_9999, i64::MAX, LAST_RFC3339 + 1000] {
            assert_eq!(rfc3339(t), "9999-12-31T23:59:59Z");
        }
        for t in [-1, i64::MIN] {
            assert_eq!(rfc3339(t), "1970-01-01T00:00:00Z");
        }
    }

    #[test]
    fn times_from_outside_are_checked_on_arrival() {
        let now = 1_778_351_400_000;
        assert_eq!(checked_time(now, now), Some(now));
        assert_eq!(checked_time(0, now), Some(0));
        assert_eq!(checked_time(now + MAX_SKEW_MS, now), Some(now + MAX_SKEW_MS));
        for skewed in [-1, i64::MIN, now + MAX_SKEW_MS + 1, i64::MAX] {
            assert_eq!(checked_time(skewed, now), None, "{skewed}");
        }
        assert_eq!(checked_time(i64::MAX, i64::MAX), Some(i64::MAX), "no overflow");
    }

    #[test]
    fn a_stepping_wall_clock_and_the_monotonic_one() {
        let (a, b) = (Now::current(), Now::current());
        assert!(b.mono >= a.mono && a.mono >= 0);
        assert_eq!(Now::from(5), Now { wall: 5, mono: 5 });
        assert_eq!(Now::at(7).wall, 7);
    }

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
