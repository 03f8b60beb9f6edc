//! A host sample from two probes: CPU use is the difference between them.

use super::tables::{TOP_PROCESSES, top};
use crate::model::{HostSample, Millis, Process};
use crate::parse::probe::ProbeSample;
use crate::parse::proc::{self, Stat};
use crate::update::SourceError;
use std::collections::HashMap;
use std::sync::Arc;

/// Per session pattern: (pattern, processes), and its oldest one's age.
type SessionCounts = (Vec<(String, usize)>, Vec<Option<u64>>);

/// CPU use (overall, per core, per process) is a difference between two
/// probes: what the host's task keeps of the previous one.
#[derive(Debug, Default)]
pub struct Tracker {
    prev_stat: Option<Stat>,
    /// (pid, start ticks, cpu ticks), sorted by pid: a third of a map's
    /// memory, and hundreds of hosts keep one each.
    prev_procs: Vec<(u32, u64, u64)>,
    sessions: Vec<String>,
    /// Lowercase patterns whose processes a trimmed table keeps (the
    /// host's daemons' `process` checks).
    pub(crate) keep: Vec<String>,
}

impl Tracker {
    pub fn new(sessions: Vec<String>) -> Self {
        Tracker {
            sessions,
            ..Default::default()
        }
    }

    /// A host sample from a parsed probe; a host that is neither Linux nor
    /// a Mac (or did not say what it is) is an error, not a sample of zeros.
    /// With `whole` false only the top processes are kept ([`top`]).
    pub fn sample(
        &mut self,
        mut p: ProbeSample,
        errors: usize,
        at: Millis,
        whole: bool,
    ) -> Result<HostSample, SourceError> {
        if let Some(why) = &p.garbled {
            return Err(SourceError::Other(format!("garbled probe output: {why}")));
        }
        match p.system.as_str() {
            "Linux" => {}
            "Darwin" => {
                let Some(d) = p.darwin.take() else {
                    return Err(SourceError::Other("the probe printed nothing usable".into()));
                };
                if d.mem_total_bytes == 0 {
                    return Err(SourceError::Other("the probe printed no hw.memsize".into()));
                }
                return Ok(super::darwin::sample(p, *d, &self.sessions, errors, at, whole));
            }
            "" => return Err(SourceError::Other("the probe printed nothing usable".into())),
            other => return Err(SourceError::Other(format!("neither Linux nor macOS: {other}"))),
        }
        let Some(stat) = p.stat else {
            return Err(SourceError::Other("the probe printed no /proc/stat".into()));
        };
        let mem = p.mem.unwrap_or_default();
        let same_cores = self
            .prev_stat
            .as_ref()
            .filter(|prev| prev.cores.len() == stat.cores.len());
        let cpu = crate::sources::sample::CpuUse::between(same_cores, &stat);
        let (ticks_per_core, max_pct) = (cpu.ticks_per_core, cpu.max_pct);
        self.prev_stat = Some(stat);
        let page = p.page_size.unwrap_or(4096);
        let live: Vec<&proc::PidStat> = p.procs.iter().filter(|s| !s.is_kernel_thread()).collect();
        // CPU and memory of every process first: which are kept depends on
        // them, and only the kept ones become rows (a name, a user).
        let use_of = self.process_use(&live, page, ticks_per_core, max_pct);
        let (sessions, session_oldest_s) = self.sessions(&live, p.uptime_s);
        let keep = self.kept(&live, &use_of, whole);
        let kept = keep.iter().filter(|k| **k).count();
        let processes_of = Some(live.len()).filter(|n| *n > kept);
        let mut processes = rows(&live, &use_of, &keep, &p.uids, &p.users);
        processes.sort_by_key(|p| p.pid);
        let parts = crate::sources::sample::Parts {
            at,
            cpu,
            mem,
            load: p.load,
            uptime_s: p.uptime_s,
            interfaces: p.interfaces,
            processes,
            parse_errors: errors,
        };
        Ok(HostSample {
            os: p.os,
            kernel: p.kernel,
            disks: real_disks(p.disks),
            temps: p.temps,
            batteries: p.batteries,
            sessions,
            session_oldest_s,
            gpus: p.gpus.unwrap_or_default(),
            processes_of,
            ..crate::sources::sample::host_sample(parts)
        })
    }

    /// Each session pattern's (pattern, process count) and the age of its
    /// oldest process: session chips count every process.
    fn sessions(&self, live: &[&proc::PidStat], uptime_s: u64) -> SessionCounts {
        self.sessions
            .iter()
            .map(|pat| {
                let m: Vec<_> = live
                    .iter()
                    .filter(|s| crate::sources::local::name_matches(&s.comm, "", pat))
                    .collect();
                let oldest = m.iter().map(|s| s.start_ticks).min();
                ((pat.clone(), m.len()), oldest.map(|t| proc::age_s(t, uptime_s)))
            })
            .unzip()
    }

    /// Which live processes become rows: all, or the top ones ([`top`]),
    /// and what a daemon's `process` check looks for, however idle.
    fn kept(&self, live: &[&proc::PidStat], use_of: &[(f32, u64)], whole: bool) -> Vec<bool> {
        let mut keep = if whole {
            vec![true; live.len()]
        } else {
            top(use_of, TOP_PROCESSES)
        };
        for (k, s) in keep.iter_mut().zip(live) {
            *k = *k || self.keep.iter().any(|p| s.comm.to_lowercase().contains(p.as_str()));
        }
        keep
    }

    /// (CPU %, memory) of every live process; remembers their ticks.
    fn process_use(
        &mut self,
        live: &[&proc::PidStat],
        page: u64,
        ticks_per_core: f64,
        max_pct: f64,
    ) -> Vec<(f32, u64)> {
        let mut procs_now = Vec::with_capacity(live.len());
        let use_of = live
            .iter()
            .map(|s| {
                procs_now.push((s.pid, s.start_ticks, s.cpu_ticks));
                let before = self.prev_procs.binary_search_by_key(&s.pid, |e| e.0).ok();
                let cpu = match before.map(|i| self.prev_procs[i]) {
                    Some((_, start, ticks)) if start == s.start_ticks && ticks_per_core > 0.0 => {
                        (s.cpu_ticks.saturating_sub(ticks) as f64 * 100.0 / ticks_per_core).clamp(0.0, max_pct)
                    }
                    _ => 0.0,
                };
                (cpu as f32, s.rss_pages.saturating_mul(page))
            })
            .collect();
        procs_now.sort_unstable_by_key(|e| e.0);
        self.prev_procs = procs_now;
        use_of
    }
}

/// The rows of the kept processes, their users named once each.
fn rows(
    live: &[&proc::PidStat],
    use_of: &[(f32, u64)],
    keep: &[bool],
    uids: &HashMap<u32, u32>,
    names: &HashMap<u32, String>,
) -> Vec<Process> {
    let kept = keep.iter().filter(|k| **k).count();
    let mut users: HashMap<u32, Arc<str>> = HashMap::new();
    let mut processes: Vec<Process> = Vec::with_capacity(kept);
    for ((s, (cpu, mem)), _) in live.iter().zip(use_of).zip(keep).filter(|(_, k)| **k) {
        let user = uids
            .get(&s.pid)
            .map(|uid| {
                users
                    .entry(*uid)
                    .or_insert_with(|| names.get(uid).map_or_else(|| uid.to_string(), Clone::clone).into())
                    .clone()
            })
            .unwrap_or_else(|| Arc::from(""));
        processes.push(Process {
            pid: s.pid,
            name: crate::parse::sanitize::sanitize(&s.comm),
            cmd: String::new(),
            user,
            cpu_pct: *cpu,
            mem_bytes: *mem,
            state: proc::state_word(s.state),
        });
    }
    processes
}

/// The disks a host has, by mount (sorted, each once): none of zero size,
/// no pseudo file system.
fn real_disks(mut disks: Vec<crate::model::Disk>) -> Vec<crate::model::Disk> {
    disks.sort_by(|a, b| a.mount.cmp(&b.mount));
    disks.dedup_by(|a, b| a.mount == b.mount);
    disks.retain(|d| d.total_bytes > 0 && !is_pseudo_device(&d.device));
    disks
}

/// `df -P` has no file system type: the device names of the usual
/// pseudo file systems stand in for it.
fn is_pseudo_device(dev: &str) -> bool {
    matches!(
        dev,
        "tmpfs"
            | "devtmpfs"
            | "overlay"
            | "squashfs"
            | "ramfs"
            | "efivarfs"
            | "proc"
            | "sysfs"
            | "udev"
            | "none"
            | "shm"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::probe;

    #[test]
    fn not_linux_is_said_plainly() {
        let p = probe::parse("@@fleettop uname\nFreeBSD\n14.1\n@@fleettop end\n", "@@fleettop");
        let e = Tracker::new(vec![]).sample(p.value, 0, 0, true).unwrap_err();
        assert_eq!(e, SourceError::Other("neither Linux nor macOS: FreeBSD".into()));
        // A Mac that printed no memory size is not a sample of zeros.
        let p = probe::parse("@@fleettop uname\nDarwin\n23.1.0\n@@fleettop end\n", "@@fleettop");
        let e = Tracker::new(vec![]).sample(p.value, 0, 0, true).unwrap_err();
        assert_eq!(e, SourceError::Other("the probe printed no hw.memsize".into()));
    }
}
