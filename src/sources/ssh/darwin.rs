//! A host sample from a Mac's probe output ([`crate::parse::darwin`]), for
//! an SSH host and for fleettop running on a Mac alike: CPU use is `top`'s
//! own two samples (there is no per-core figure without root), a process's
//! CPU is `ps`'s %cpu, its memory its resident size.

use super::tables::{TOP_PROCESSES, top};
use crate::model::{HostSample, Millis, Process};
use crate::parse::darwin::DarwinSample;
use crate::parse::darwin_table::{DarwinProc, state_word};
use crate::parse::probe::ProbeSample;
use crate::parse::sanitize::sanitize;
use crate::sources::local::name_matches;
use std::collections::HashMap;
use std::sync::Arc;

/// The sample of a Darwin probe `p` (whose `darwin` part is `d`): every
/// process counts for the session chips; only the top ones are kept unless
/// `whole`.
pub(crate) fn sample(
    mut p: ProbeSample,
    d: DarwinSample,
    sessions: &[String],
    errors: usize,
    at: Millis,
    whole: bool,
) -> HostSample {
    let max_pct = 100.0 * d.cores.max(1) as f32;
    let named: Vec<(String, String)> = d.procs.iter().map(names).collect();
    let sessions = sessions
        .iter()
        .map(|pat| {
            let n = named.iter().filter(|(name, cmd)| name_matches(name, cmd, pat)).count();
            (pat.clone(), n)
        })
        .collect();
    let use_of: Vec<(f32, u64)> = d
        .procs
        .iter()
        .map(|q| (q.cpu_pct.clamp(0.0, max_pct), q.rss_kib.saturating_mul(1024)))
        .collect();
    let keep = if whole {
        vec![true; use_of.len()]
    } else {
        top(&use_of, TOP_PROCESSES)
    };
    let kept = keep.iter().filter(|k| **k).count();
    let mut users: HashMap<&str, Arc<str>> = HashMap::new();
    let mut processes: Vec<Process> = d
        .procs
        .iter()
        .zip(named)
        .zip(&use_of)
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(((q, (name, cmd)), (cpu, mem)), _)| Process {
            pid: q.pid,
            name,
            cmd,
            user: users.entry(&q.user).or_insert_with(|| q.user.as_str().into()).clone(),
            cpu_pct: *cpu,
            mem_bytes: *mem,
            state: state_word(q.state),
        })
        .collect();
    processes.sort_by_key(|p| p.pid);
    p.disks.sort_by(|a, b| a.mount.cmp(&b.mount));
    HostSample {
        at,
        os: p.os,
        kernel: p.kernel,
        cpu_pct: d.cpu_pct.unwrap_or(0.0),
        per_core: Vec::new(),
        mem_used_bytes: d.mem_used_bytes,
        mem_total_bytes: d.mem_total_bytes,
        swap_used_bytes: d.swap_used_bytes,
        swap_total_bytes: d.swap_total_bytes,
        disks: p.disks,
        interfaces: p.interfaces,
        load: p.load,
        uptime_s: p.uptime_s,
        batteries: p.batteries,
        sessions,
        processes_of: Some(d.procs.len()).filter(|n| *n > kept),
        processes,
        parse_errors: errors,
        mem_pressure_pct: d.mem_free_pct.map(|free| f64::from(100 - free.min(100))),
        ..HostSample::default()
    }
}

/// A process's (name, command): `comm` is the executable's path, so the
/// name is its last part.
fn names(q: &DarwinProc) -> (String, String) {
    let cmd = sanitize(&q.comm);
    let name = cmd.rsplit('/').next().unwrap_or(&cmd).to_string();
    (name, cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::probe;

    #[test]
    fn a_mac_sample_from_the_fixtures() {
        let m = probe::marker();
        let mut p = probe::parse(&crate::parse::darwin::tests::output(&m), &m).value;
        let d = *p.darwin.take().unwrap();
        let s = sample(p, d, &["claude".into(), "nothing".into()], 0, 5, true);
        assert_eq!(s.mem_total_bytes, 17_179_869_184);
        assert_eq!(s.mem_pressure_pct, Some(62.0), "100 - memorystatus_level 38");
        assert!((s.cpu_pct - 53.51).abs() < 1e-9, "{}", s.cpu_pct);
        assert!(s.per_core.is_empty(), "no per-core figures on a Mac");
        assert_eq!(s.processes.len(), 10);
        assert_eq!(s.processes_of, None);
        let claude = s.processes.iter().find(|p| p.pid == 62147).unwrap();
        assert_eq!(
            (claude.name.as_str(), &*claude.user, claude.cpu_pct),
            ("claude", "me", 101.3)
        );
        assert_eq!(claude.state, "Runnable");
        let ws = s.processes.iter().find(|p| p.pid == 157).unwrap();
        assert_eq!(ws.name, "WindowServer");
        assert_eq!(ws.mem_bytes, 866_304 * 1024);
        assert_eq!(s.sessions, [("claude".to_string(), 1), ("nothing".to_string(), 0)]);
        // Not whole: the top ones, and how many there were.
        let mut p = probe::parse(&crate::parse::darwin::tests::output(&m), &m).value;
        let d = *p.darwin.take().unwrap();
        let mut procs = d.procs.clone();
        for i in 0..100 {
            procs.push(DarwinProc {
                pid: 70_000 + i,
                ..procs[0].clone()
            });
        }
        let s = sample(p, DarwinSample { procs, ..d }, &["claude".into()], 0, 5, false);
        assert_eq!(s.processes_of, Some(110));
        assert!(s.processes.len() <= 2 * TOP_PROCESSES);
        assert!(s.processes.iter().any(|p| p.pid == 62147), "the busiest is kept");
    }
}
