//! The local host read straight from `/proc`, with as few system calls as a
//! process list allows.
//!
//! Per sample: `/proc/stat`, `/proc/meminfo`, `/proc/loadavg`,
//! `/proc/uptime` and `/proc/net/dev` once each, the `/proc` directory
//! listing, and for every process one open/read/close of `/proc/PID/stat` and
//! one `stat` of `/proc/PID` (its owner is the process's user). A kernel
//! thread's stat is read once: the listing's inode numbers tell when its pid
//! has gone to another task.
//! `/proc/PID/cmdline` is read only for a process not seen before (or one
//! that has exec'd another program: its name changed). sysinfo, which this
//! replaces, also opened `statm`, `status` and the `task` directory of every
//! process on every sample.
//!
//! Per-process CPU is computed as htop does: the process's utime + stime
//! ticks since the previous sample over the ticks that passed per core (the
//! `cpu` line of `/proc/stat` over the number of cores), so 100 % is one
//! core busy.
//!
//! Memory of a process is its resident pages (field 24 of `/proc/PID/stat`)
//! times the page size, which is read once from the `AT_PAGESZ` entry of
//! `/proc/self/auxv` (what the kernel told this process at exec, so exact on
//! 16 K and 64 K page kernels too; no libc needed), else 4096.

use super::sample::{CpuUse, Parts, host_sample};
use crate::model::{HostSample, Millis, Process};
use crate::parse::proc::parse_passwd;
use crate::parse::proc::{self, PidStat, Stat};
use crate::parse::sanitize::sanitize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Reads the local host from `/proc`; kept between samples because CPU use
/// is a difference between two of them.
pub struct ProcScanner {
    root: PathBuf,
    page_size: u64,
    /// uid → user name, from /etc/passwd read once; a uid it lacks shows as
    /// its number.
    users: HashMap<u32, std::sync::Arc<str>>,
    known: HashMap<u32, Known>,
    /// Kernel threads: pid → (inode number of `/proc/PID`, sample last seen
    /// in). Their stat is not read again while the pid keeps its inode: a
    /// later task with the same pid gets another `/proc/PID` inode.
    kthreads: HashMap<u32, (u64, u64)>,
    prev_stat: Option<Stat>,
    /// Counts samples; a process not seen in the current one is dropped.
    generation: u64,
    buf: Vec<u8>,
    path: String,
}

/// What is kept of a process between samples.
struct Known {
    start_ticks: u64,
    comm: String,
    name: String,
    cmd: String,
    cpu_ticks: u64,
    seen_in: u64,
}

const PASSWD: &str = "/etc/passwd";
/// `AT_PAGESZ` of include/uapi/linux/auxvec.h.
const AT_PAGESZ: usize = 6;
const FALLBACK_PAGE_SIZE: u64 = 4096;

impl ProcScanner {
    /// The real `/proc`.
    pub fn new() -> Self {
        let users = std::fs::read_to_string(PASSWD)
            .map(|t| parse_passwd(&t))
            .unwrap_or_default();
        Self::with_root("/proc", users)
    }

    /// A `/proc` laid out under `root` (tests build one from fixtures).
    pub(crate) fn with_root(root: impl Into<PathBuf>, users: HashMap<u32, String>) -> Self {
        let root = root.into();
        let page_size = std::fs::read(root.join("self/auxv"))
            .ok()
            .and_then(|a| page_size_from_auxv(&a))
            .unwrap_or(FALLBACK_PAGE_SIZE);
        ProcScanner {
            root,
            page_size,
            users: users.into_iter().map(|(k, v)| (k, v.into())).collect(),
            known: HashMap::new(),
            kthreads: HashMap::new(),
            prev_stat: None,
            generation: 0,
            buf: Vec::with_capacity(4096),
            path: String::new(),
        }
    }

    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// When a user process of the last sample started (ticks after boot),
    /// as that sample read it.
    pub(crate) fn start_ticks(&self, pid: u32) -> Option<u64> {
        self.known.get(&pid).map(|k| k.start_ticks)
    }

    /// One sample: CPU, memory, swap, load, uptime, interfaces and
    /// processes. Everything else of the returned sample is left default.
    pub fn sample(&mut self, at: Millis) -> HostSample {
        let mut errors = 0;
        let read = |name: &str, errors: &mut usize| -> String {
            match std::fs::read_to_string(self.root.join(name)) {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!("{name}: {e}");
                    *errors += 1;
                    String::new()
                }
            }
        };
        let stat_text = read("stat", &mut errors);
        let mem_text = read("meminfo", &mut errors);
        let load_text = read("loadavg", &mut errors);
        let uptime_text = read("uptime", &mut errors);
        let net_text = read("net/dev", &mut errors);

        let stat = proc::parse_stat(&stat_text);
        let mem = proc::parse_meminfo(&mem_text);
        let load = proc::parse_loadavg(&load_text);
        let uptime = proc::parse_uptime(&uptime_text);
        let net = proc::parse_net_dev(&net_text);
        errors += stat.errors + mem.errors + load.errors + uptime.errors + net.errors;
        let stat = stat.value;

        let cpu = CpuUse::between(self.prev_stat.as_ref(), &stat);
        self.prev_stat = Some(stat);

        let (processes, bad) = self.processes(cpu.ticks_per_core, cpu.max_pct);
        errors += bad;

        let mut interfaces = net.value;
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        host_sample(Parts {
            at,
            cpu,
            mem: mem.value,
            load: load.value,
            uptime_s: uptime.value,
            interfaces,
            processes,
            parse_errors: errors,
        })
    }

    /// Every user process, by pid; and how many `stat` files did not parse.
    fn processes(&mut self, ticks_per_core: f64, max_pct: f64) -> (Vec<Process>, usize) {
        self.generation += 1;
        let generation = self.generation;
        let Ok(dir) = std::fs::read_dir(&self.root) else {
            return (Vec::new(), 1);
        };
        let mut out = Vec::new();
        let mut bad = 0;
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            // The listing itself gives the inode number: no system call.
            let ino = entry.ino();
            if let Some(k) = self.kthreads.get_mut(&pid)
                && k.0 == ino
            {
                k.1 = generation;
                continue;
            }
            self.path.clear();
            let _ = write!(self.path, "{}/{pid}/stat", self.root.display());
            // Gone since the listing: not an error.
            if read_small(Path::new(&self.path), &mut self.buf).is_err() {
                continue;
            }
            let parsed = proc::parse_pid_stat(&String::from_utf8_lossy(&self.buf));
            let Some(st) = parsed.value else {
                bad += 1;
                continue;
            };
            if st.is_kernel_thread() {
                self.kthreads.insert(pid, (ino, generation));
                continue;
            }
            // Relative to the listing's directory: no path built or walked.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let user = self
                .users
                .entry(meta.uid())
                .or_insert_with(|| meta.uid().to_string().into())
                .clone();
            let (name, cmd, cpu_pct) = self.remember(&st, generation, ticks_per_core, max_pct);
            out.push(Process {
                pid: st.pid,
                name,
                cmd,
                user,
                cpu_pct: cpu_pct as f32,
                mem_bytes: st.rss_pages.saturating_mul(self.page_size),
                state: proc::state_word(st.state),
            });
        }
        self.known.retain(|_, k| k.seen_in == generation);
        self.kthreads.retain(|_, k| k.1 == generation);
        out.sort_by_key(|p| p.pid);
        (out, bad)
    }

    /// Name, command line and CPU % of a process, from what was kept of it
    /// (the command line is read only when it is new or exec'd since).
    fn remember(&mut self, st: &PidStat, generation: u64, ticks_per_core: f64, max_pct: f64) -> (String, String, f64) {
        let same = self
            .known
            .get(&st.pid)
            .is_some_and(|k| k.start_ticks == st.start_ticks && k.comm == st.comm);
        let cpu_pct = match self.known.get(&st.pid) {
            Some(k) if k.start_ticks == st.start_ticks && ticks_per_core > 0.0 => {
                (st.cpu_ticks.saturating_sub(k.cpu_ticks) as f64 * 100.0 / ticks_per_core).clamp(0.0, max_pct)
            }
            _ => 0.0,
        };
        if !same {
            let (name, cmd) = self.read_names(st);
            self.known.insert(
                st.pid,
                Known {
                    start_ticks: st.start_ticks,
                    comm: st.comm.clone(),
                    name,
                    cmd,
                    cpu_ticks: 0,
                    seen_in: 0,
                },
            );
        }
        let Some(k) = self.known.get_mut(&st.pid) else {
            return (sanitize(&st.comm), String::new(), cpu_pct);
        };
        k.cpu_ticks = st.cpu_ticks;
        k.seen_in = generation;
        (k.name.clone(), k.cmd.clone(), cpu_pct)
    }

    fn read_names(&mut self, st: &PidStat) -> (String, String) {
        let args = std::fs::read(self.root.join(st.pid.to_string()).join("cmdline")).unwrap_or_default();
        let args = String::from_utf8_lossy(&args);
        let args: Vec<&str> = args
            .trim_end_matches('\0')
            .split('\0')
            .filter(|a| !a.is_empty())
            .collect();
        let name = full_name(&st.comm, args.first().copied());
        (sanitize(&name), sanitize(&args.join(" ")))
    }
}

impl Default for ProcScanner {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a small `/proc` file in one `read` when it fits the buffer (a
/// `/proc/PID/stat` record is under 1.5 kB), so open, read, close.
fn read_small(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut f = std::fs::File::open(path)?;
    buf.clear();
    buf.resize(4096, 0);
    let mut len = 0;
    loop {
        let n = f.read(&mut buf[len..])?;
        len += n;
        if n == 0 || len < buf.len() {
            break;
        }
        buf.resize(buf.len() * 2, 0);
    }
    buf.truncate(len);
    Ok(())
}

/// The kernel cuts process names at 15 bytes; `argv[0]` has the whole one.
pub(crate) fn full_name(comm: &str, argv0: Option<&str>) -> String {
    const TASK_COMM_LEN: usize = 15;
    if comm.len() >= TASK_COMM_LEN
        && let Some(a) = argv0
        && let Some(base) = a.rsplit('/').next()
        && base.starts_with(comm)
    {
        return base.to_string();
    }
    comm.to_string()
}

/// The `AT_PAGESZ` value of an ELF auxiliary vector (`/proc/self/auxv`: pairs
/// of native-endian words, ended by `AT_NULL`).
pub(crate) fn page_size_from_auxv(auxv: &[u8]) -> Option<u64> {
    const WORD: usize = std::mem::size_of::<usize>();
    let word = |b: &[u8]| b.try_into().ok().map(usize::from_ne_bytes);
    for pair in auxv.chunks_exact(2 * WORD) {
        let key = word(&pair[..WORD])?;
        let value = word(&pair[WORD..])?;
        match key {
            0 => return None,
            AT_PAGESZ if value.is_power_of_two() => return u64::try_from(value).ok(),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
