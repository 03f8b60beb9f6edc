//! The machine fleettop runs on. On Linux: CPU, memory, load, network and
//! processes straight from `/proc` ([`ProcScanner`]); mounts through
//! sysinfo, each mount's sizes from `statvfs` as `df` reads them; sysfs for
//! the battery. On a Mac (no `/proc`): the Darwin probe an SSH host runs,
//! run by a local `sh` and read by the same parsers ([`script`]).
//! Everywhere: temperatures through sysinfo, `nvidia-smi -q -x` for GPUs
//! and a Prometheus page for inference.

mod script;

use super::procfs::ProcScanner;
use super::{Ctx, gpu, inference};
use crate::config::{GpuMode, Host};
use crate::model::{Disk, HostSample, Millis, Process, Temp};
use crate::parse::power_supply;
use crate::parse::sanitize::sanitize;
use crate::update::{SourceError, Update};
use std::time::Duration;
use sysinfo::{Components, DiskRefreshKind, Disks, System};

/// Kept between samples because CPU use, overall and per process, is a
/// difference between two of them.
pub struct Collector {
    scanner: Scanner,
    disks: Disks,
    comps: Option<Components>,
    sessions: Vec<String>,
    /// Read once: they do not change while we run.
    os: String,
    kernel: String,
}

/// How the machine's processes and figures are read.
enum Scanner {
    Proc(ProcScanner),
    Script(script::ScriptScanner),
}

impl Collector {
    /// `/proc` on Linux, the Darwin commands elsewhere.
    pub fn new(sessions: Vec<String>) -> Result<Self, String> {
        if cfg!(target_os = "linux") {
            let mut procs = ProcScanner::new();
            // The first sample is the base the next one's CPU use is measured on.
            procs.sample(0);
            Self::with(Scanner::Proc(procs), sessions)
        } else {
            let script = script::ScriptScanner::new(sessions.clone(), None);
            Self::with(Scanner::Script(script), sessions)
        }
    }

    /// Reading the machine with the probe's commands found on `path` (a
    /// Mac's, or stand-ins for them), whatever this system is.
    pub fn from_commands(sessions: Vec<String>, path: &std::ffi::OsStr) -> Result<Self, String> {
        let script = script::ScriptScanner::new(sessions.clone(), Some(path));
        Self::with(Scanner::Script(script), sessions)
    }

    fn with(scanner: Scanner, sessions: Vec<String>) -> Result<Self, String> {
        Ok(Collector {
            scanner,
            disks: Disks::new_with_refreshed_list_specifics(DiskRefreshKind::nothing())
                .map_err(|e| format!("disks: {e:?}"))?,
            comps: Components::new_with_refreshed_list().ok(),
            sessions,
            os: System::long_os_version().map(|s| sanitize(&s)).unwrap_or_default(),
            kernel: System::kernel_version().map(|s| sanitize(&s)).unwrap_or_default(),
        })
    }

    /// One sample. Blocking (reads /proc, or runs commands); run it off
    /// the async threads.
    pub fn collect(&mut self, at: Millis) -> HostSample {
        let procs = match &mut self.scanner {
            Scanner::Proc(p) => p,
            Scanner::Script(s) => {
                let sample = s.sample(at).unwrap_or_else(|e| {
                    tracing::warn!("local probe: {e}");
                    HostSample {
                        at,
                        parse_errors: 1,
                        ..HostSample::default()
                    }
                });
                return HostSample {
                    temps: self.temps(),
                    ..sample
                };
            }
        };
        let mut sample = procs.sample(at);
        // The mount list only: sizes come from statvfs (`disks`).
        self.disks.refresh_specifics(true, DiskRefreshKind::nothing());
        (sample.sessions, sample.session_oldest_s) = self
            .sessions
            .iter()
            .map(|pat| {
                let m: Vec<&Process> = sample.processes.iter().filter(|p| session_match(p, pat)).collect();
                // Kept from the sample's own reading of each process.
                let oldest = m.iter().filter_map(|p| procs.start_ticks(p.pid)).min();
                let age = oldest.map(|t| crate::parse::proc::age_s(t, sample.uptime_s));
                ((pat.clone(), m.len()), age)
            })
            .unzip();
        let (batteries, bad_batteries) = batteries();
        HostSample {
            os: self.os.clone(),
            kernel: self.kernel.clone(),
            disks: self.disks(),
            temps: self.temps(),
            batteries,
            parse_errors: sample.parse_errors + bad_batteries,
            ..sample
        }
    }

    /// Temperatures sysinfo reads (on a Mac too, without root).
    fn temps(&mut self) -> Vec<Temp> {
        if let Some(c) = &mut self.comps {
            c.refresh(false);
        }
        self.comps
            .iter()
            .flat_map(|c| c.iter())
            .filter_map(|c| {
                let t = f64::from(c.temperature()?);
                (t.is_finite() && t > -50.0 && t < 200.0).then(|| Temp {
                    label: sanitize(c.label()),
                    celsius: t,
                })
            })
            .collect()
    }

    fn disks(&self) -> Vec<Disk> {
        let mut out: Vec<Disk> = self
            .disks
            .iter()
            .filter(|d| !is_pseudo_fs(&d.file_system().to_string_lossy()))
            .filter_map(|d| {
                let (total, used, available) = df_sizes(d.mount_point())?;
                Some(Disk::new(
                    sanitize(&d.mount_point().to_string_lossy()),
                    sanitize(&d.name().to_string_lossy()),
                    sanitize(&d.file_system().to_string_lossy()),
                    total,
                    used,
                    available,
                ))
            })
            .filter(|d| d.total_bytes > 0)
            .collect();
        out.sort_by(|a, b| a.mount.cmp(&b.mount));
        out.dedup_by(|a, b| a.mount == b.mount);
        out
    }
}

/// A file system's size, used (size − free) and available bytes, as `df`
/// computes them from `statvfs`; None when it cannot be read.
pub(crate) fn df_sizes(mount: &std::path::Path) -> Option<(u64, u64, u64)> {
    let v = rustix::fs::statvfs(mount).ok()?;
    let bytes = |blocks: u64| blocks.saturating_mul(v.f_frsize);
    let (size, free) = (bytes(v.f_blocks), bytes(v.f_bfree));
    Some((size, size.saturating_sub(free), bytes(v.f_bavail)))
}

fn is_pseudo_fs(fs: &str) -> bool {
    matches!(
        fs,
        "tmpfs" | "devtmpfs" | "overlay" | "squashfs" | "ramfs" | "efivarfs" | "nsfs" | "proc" | "sysfs"
    )
}

/// A session chip: the process name, or its program's file name (for
/// interpreters: `node …/claude`), contains the pattern.
pub(crate) fn session_match(p: &Process, pattern: &str) -> bool {
    name_matches(&p.name, &p.cmd, pattern)
}

/// [`session_match`] on a process's name and command line.
pub(crate) fn name_matches(name: &str, cmd: &str, pattern: &str) -> bool {
    let pat = pattern.to_ascii_lowercase();
    if name.to_ascii_lowercase().contains(&pat) {
        return true;
    }
    cmd.split_whitespace().take(2).any(|a| {
        a.rsplit('/')
            .next()
            .is_some_and(|b| b.to_ascii_lowercase().contains(&pat))
    })
}

const POWER_SUPPLY: &str = "/sys/class/power_supply";

fn batteries() -> (Vec<power_supply::Battery>, usize) {
    let Ok(dir) = std::fs::read_dir(POWER_SUPPLY) else {
        return (Vec::new(), 0);
    };
    let mut out = Vec::new();
    let mut bad = 0;
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        match std::fs::read_to_string(entry.path().join("uevent")) {
            Ok(text) => out.extend(power_supply::parse_uevent(&name, &text)),
            Err(_) => bad += 1,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    (out, bad)
}

/// The local host's task: a sample every interval, or at once on refresh.
pub async fn run(host: Host, ctx: Ctx) {
    let name = host.display_name();
    let interval = host
        .interval
        .map_or(Duration::from_secs(2), |d| d.0.max(Duration::from_millis(250)));
    let timeout = host.timeout.map_or(Duration::from_secs(4), |d| d.0);
    let sessions = host.sessions.clone();
    let mut collector = match tokio::task::spawn_blocking(move || Collector::new(sessions)).await {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            ctx.send(Update::Host {
                name: name.clone(),
                result: Err(SourceError::Other(e)),
            })
            .await;
            return;
        }
        Err(e) => {
            tracing::error!("local collector failed to start: {e}");
            return;
        }
    };
    // CPU use is measured between two samples: let some ticks pass.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut metrics = inference::Scraper::new(host.metrics_url.as_ref().map(|u| u.get_ref().clone()), timeout);
    let mut gpu_state = gpu::Probe::new(host.gpu);
    loop {
        let Some(mut c) = collector.take() else { return };
        let (c, mut sample) = match tokio::task::spawn_blocking(move || {
            let s = c.collect(crate::model::now_millis());
            (c, s)
        })
        .await
        {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("local collector panicked: {e}");
                ctx.send(Update::Host {
                    name,
                    result: Err(SourceError::Other(format!("collector crashed: {e}"))),
                })
                .await;
                return;
            }
        };
        collector = Some(c);
        let (gpus, inf) = tokio::join!(gpu_state.poll(timeout), metrics.poll());
        gpu::fill(&mut sample, gpus);
        inference::fill(&mut sample, inf);
        if !ctx
            .send(Update::Host {
                name: name.clone(),
                result: Ok(Box::new(sample)),
            })
            .await
        {
            return;
        }
        if !ctx.wait(interval).await {
            return;
        }
    }
}

impl GpuMode {
    pub fn wanted(self) -> bool {
        self != GpuMode::Off
    }
}
