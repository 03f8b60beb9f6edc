//! A host sample from parsed `/proc` parts, built the same way for this
//! machine ([`super::procfs`]) and for an SSH host's probe: CPU use since
//! the previous `/proc/stat`, memory and swap, load, uptime, interfaces and
//! processes. What only one collector has (disks, temperatures, GPUs…) it
//! adds itself.

use crate::model::{HostSample, Interface, Millis, Process};
use crate::parse::proc::{self, MemInfo, Stat};

/// CPU use between two `/proc/stat` readings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CpuUse {
    /// All cores, 0–100.
    pub(crate) pct: f64,
    pub(crate) per_core: Vec<f64>,
    /// Ticks that passed per core: a process's ticks over these is its use.
    pub(crate) ticks_per_core: f64,
    /// A process's most: 100 per core.
    pub(crate) max_pct: f64,
}

impl CpuUse {
    /// The use from `prev` to `stat`; none yet without a `prev`.
    pub(crate) fn between(prev: Option<&Stat>, stat: &Stat) -> CpuUse {
        let cores = stat.cores.len().max(1) as f64;
        let (pct, per_core, ticks_per_core) = match prev {
            Some(prev) => (
                proc::cpu_pct(&prev.total, &stat.total),
                proc::per_core_pct(&prev.cores, &stat.cores),
                stat.total.total().saturating_sub(prev.total.total()) as f64 / cores,
            ),
            None => (0.0, vec![0.0; stat.cores.len()], 0.0),
        };
        CpuUse {
            pct,
            per_core,
            ticks_per_core,
            max_pct: 100.0 * cores,
        }
    }
}

/// What every collector reads of a host, parsed.
pub(crate) struct Parts {
    pub(crate) at: Millis,
    pub(crate) cpu: CpuUse,
    pub(crate) mem: MemInfo,
    pub(crate) load: [f64; 3],
    pub(crate) uptime_s: u64,
    pub(crate) interfaces: Vec<Interface>,
    pub(crate) processes: Vec<Process>,
    pub(crate) parse_errors: usize,
}

/// The sample of `p`; everything else left default.
pub(crate) fn host_sample(p: Parts) -> HostSample {
    HostSample {
        at: p.at,
        cpu_pct: p.cpu.pct,
        per_core: p.cpu.per_core,
        mem_used_bytes: p.mem.used_bytes,
        mem_total_bytes: p.mem.total_bytes,
        swap_used_bytes: p.mem.swap_used_bytes(),
        swap_total_bytes: p.mem.swap_total_bytes,
        interfaces: p.interfaces,
        load: p.load,
        uptime_s: p.uptime_s,
        processes: p.processes,
        parse_errors: p.parse_errors,
        ..HostSample::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::proc::CpuTimes;

    fn stat(busy: u64, idle: u64, cores: usize) -> Stat {
        let t = CpuTimes {
            user: busy,
            idle,
            ..CpuTimes::default()
        };
        Stat {
            total: t,
            cores: vec![t; cores],
        }
    }

    #[test]
    fn cpu_use_is_none_at_first_then_the_difference() {
        let first = CpuUse::between(None, &stat(10, 10, 2));
        assert_eq!((first.pct, first.per_core, first.max_pct), (0.0, vec![0.0, 0.0], 200.0));
        let next = CpuUse::between(Some(&stat(10, 10, 2)), &stat(30, 30, 2));
        assert_eq!((next.pct, next.ticks_per_core), (50.0, 20.0));
    }
}
