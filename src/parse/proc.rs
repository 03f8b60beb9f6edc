//! Linux `/proc` text, as the local collector reads it and as a remote host
//! prints it over SSH: `/proc/stat`, `/proc/meminfo`, `/proc/loadavg`,
//! `/proc/uptime`, `/proc/net/dev`, `/proc/PID/stat`, the output of
//! `df -P -k`, and `/etc/passwd` (uid → user name).
//!
//! Formats are those of proc(5) and of POSIX `df -P`. Every function takes
//! the whole text of one file; a line it cannot read is counted in `errors`
//! and skipped, the rest is still used, and no input panics.

use std::collections::HashMap;

use super::Parsed;
use super::sanitize::sanitize;
use crate::model::{Disk, Interface};

/// Cumulative jiffies (USER_HZ ticks) of one CPU line of `/proc/stat`.
///
/// `guest` and `guest_nice` are left out: the kernel already counts them in
/// `user` and `nice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    pub fn total(&self) -> u64 {
        [
            self.user,
            self.nice,
            self.system,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Time not spent idle (waiting for I/O counts as idle, as in htop).
    pub fn busy(&self) -> u64 {
        self.total().saturating_sub(self.idle).saturating_sub(self.iowait)
    }
}

/// The CPU lines of `/proc/stat`: the aggregate `cpu` line and the per-core
/// `cpuN` lines in file order (an offline core has no line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stat {
    pub total: CpuTimes,
    pub cores: Vec<CpuTimes>,
}

/// Parses the CPU lines of `/proc/stat`. The kernel prints them first, so
/// reading stops at the first other line after them (the `intr` line alone
/// can be tens of kilobytes).
pub(crate) fn parse_stat(text: &str) -> Parsed<Stat> {
    let mut out: Parsed<Stat> = Parsed::default();
    let mut seen_total = false;
    let mut in_cpu_block = false;
    for (n, line) in text.lines().enumerate() {
        let mut fields = line.split_ascii_whitespace();
        let Some(key) = fields.next() else { continue };
        let Some(index) = key.strip_prefix("cpu") else {
            if in_cpu_block {
                break;
            }
            continue;
        };
        in_cpu_block = true;
        let values: Option<Vec<u64>> = fields.map(|f| f.parse::<u64>().ok()).collect();
        // user nice system idle are there since Linux 1.0; the rest may not be.
        let times = match values.as_deref() {
            Some(v) if v.len() >= 4 => {
                let at = |i: usize| v.get(i).copied().unwrap_or(0);
                CpuTimes {
                    user: at(0),
                    nice: at(1),
                    system: at(2),
                    idle: at(3),
                    iowait: at(4),
                    irq: at(5),
                    softirq: at(6),
                    steal: at(7),
                }
            }
            _ => {
                out.note_error(|| format!("/proc/stat line {}: bad cpu times", n + 1));
                continue;
            }
        };
        if index.is_empty() {
            out.value.total = times;
            seen_total = true;
        } else if index.bytes().all(|b| b.is_ascii_digit()) {
            out.value.cores.push(times);
        } else {
            out.note_error(|| format!("/proc/stat line {}: unknown key {}", n + 1, sanitize(key)));
        }
    }
    if !seen_total {
        out.note_error(|| "/proc/stat: no cpu line".into());
    }
    out
}

/// Busy share of the time between two samples of one CPU line, 0–100.
/// 0 when no time passed (or the counters went back, as after a reboot).
pub fn cpu_pct(prev: &CpuTimes, cur: &CpuTimes) -> f64 {
    let total = cur.total().saturating_sub(prev.total());
    if total == 0 {
        return 0.0;
    }
    let busy = cur.busy().saturating_sub(prev.busy());
    (busy as f64 * 100.0 / total as f64).clamp(0.0, 100.0)
}

/// [`cpu_pct`] of every core of `cur`, paired with `prev` by position; a core
/// without a previous sample (one just brought online) reads 0.
pub(crate) fn per_core_pct(prev: &[CpuTimes], cur: &[CpuTimes]) -> Vec<f64> {
    cur.iter()
        .enumerate()
        .map(|(i, c)| prev.get(i).map_or(0.0, |p| cpu_pct(p, c)))
        .collect()
}

/// What `/proc/meminfo` says about memory and swap, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    pub total_bytes: u64,
    pub available_bytes: u64,
    /// `total − available`: what programs hold and the kernel cannot give back.
    pub used_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_free_bytes: u64,
}

impl MemInfo {
    pub fn swap_used_bytes(&self) -> u64 {
        self.swap_total_bytes.saturating_sub(self.swap_free_bytes)
    }
}

/// Parses `/proc/meminfo` (`Key:   value kB` lines). Kernels before 3.14 have
/// no `MemAvailable`; then available is `MemFree + Buffers + Cached +
/// SReclaimable`, the estimate `free` used before it.
pub(crate) fn parse_meminfo(text: &str) -> Parsed<MemInfo> {
    let mut out: Parsed<MemInfo> = Parsed::default();
    let (mut total, mut available) = (None, None);
    let mut old_estimate = 0u64;
    let (mut swap_total, mut swap_free) = (0, 0);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            out.note_error(|| format!("/proc/meminfo line {}: no ':'", n + 1));
            continue;
        };
        let mut words = rest.split_ascii_whitespace();
        let value = words.next().and_then(|v| v.parse::<u64>().ok());
        let scale = match words.next() {
            None => 1,
            Some("kB") => 1024,
            Some(_) => 0,
        };
        let Some(bytes) = value.filter(|_| scale != 0 && words.next().is_none()) else {
            out.note_error(|| format!("/proc/meminfo line {}: bad value for {}", n + 1, sanitize(key)));
            continue;
        };
        let bytes = bytes.saturating_mul(scale);
        match key.trim() {
            "MemTotal" => total = Some(bytes),
            "MemAvailable" => available = Some(bytes),
            "MemFree" | "Buffers" | "Cached" | "SReclaimable" => old_estimate = old_estimate.saturating_add(bytes),
            "SwapTotal" => swap_total = bytes,
            "SwapFree" => swap_free = bytes,
            _ => {}
        }
    }
    let Some(total) = total else {
        out.note_error(|| "/proc/meminfo: no MemTotal".into());
        return out;
    };
    let available = available.unwrap_or(old_estimate).min(total);
    out.value = MemInfo {
        total_bytes: total,
        available_bytes: available,
        used_bytes: total - available,
        swap_total_bytes: swap_total,
        swap_free_bytes: swap_free.min(swap_total),
    };
    out
}

/// The 1, 5 and 15 minute load averages of `/proc/loadavg`.
pub(crate) fn parse_loadavg(text: &str) -> Parsed<[f64; 3]> {
    let mut out: Parsed<[f64; 3]> = Parsed::default();
    let mut words = text.split_ascii_whitespace();
    let mut load = [0.0; 3];
    for slot in &mut load {
        match words.next().and_then(|w| w.parse::<f64>().ok()) {
            Some(v) if v.is_finite() && v >= 0.0 => *slot = v,
            _ => {
                out.note_error(|| "/proc/loadavg: fewer than three load averages".into());
                return out;
            }
        }
    }
    out.value = load;
    out
}

/// Whole seconds since boot, from the first number of `/proc/uptime`.
pub(crate) fn parse_uptime(text: &str) -> Parsed<u64> {
    let mut out: Parsed<u64> = Parsed::default();
    match text.split_ascii_whitespace().next().and_then(|w| w.parse::<f64>().ok()) {
        Some(s) if s.is_finite() && s >= 0.0 => out.value = s as u64,
        _ => out.note_error(|| "/proc/uptime: no seconds".into()),
    }
    out
}

/// Ticks per second of `/proc` times (USER_HZ): 100 on every Linux
/// architecture fleettop runs on.
pub(crate) const USER_HZ: u64 = 100;

/// How long a process has run, from its start after boot in ticks and the
/// host's uptime; 0 for a start after the uptime (the two read apart).
pub(crate) fn age_s(start_ticks: u64, uptime_s: u64) -> u64 {
    uptime_s.saturating_sub(start_ticks / USER_HZ)
}

/// Every interface of `/proc/net/dev` with its cumulative byte counters, in
/// file order. The two header lines (they hold `|`) are skipped.
pub(crate) fn parse_net_dev(text: &str) -> Parsed<Vec<Interface>> {
    let mut out: Parsed<Vec<Interface>> = Parsed::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.contains('|') {
            continue;
        }
        // Interface names cannot hold ':' (the kernel's dev_valid_name).
        let Some((name, counters)) = line.split_once(':') else {
            out.note_error(|| format!("/proc/net/dev line {}: no ':'", n + 1));
            continue;
        };
        let values: Option<Vec<u64>> = counters.split_ascii_whitespace().map(|f| f.parse().ok()).collect();
        let name = name.trim();
        match values {
            // 8 receive counters, then 8 transmit counters.
            Some(v) if v.len() >= 16 && !name.is_empty() => out.value.push(Interface {
                name: sanitize(name),
                rx_bytes: v[0],
                tx_bytes: v[8],
            }),
            _ => out.note_error(|| format!("/proc/net/dev line {}: bad counters", n + 1)),
        }
    }
    out
}

/// The fields of `/proc/PID/stat` a process list needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PidStat {
    pub pid: u32,
    /// As the kernel keeps it: at most 15 bytes, not sanitised.
    pub comm: String,
    /// One letter: R S D Z T t X I P …
    pub state: char,
    pub ppid: u32,
    /// `PF_*` flags (field 9).
    pub flags: u64,
    /// utime + stime, in USER_HZ ticks.
    pub cpu_ticks: u64,
    /// Start time after boot in ticks: with the pid, it tells a process from a
    /// later one that got the same pid.
    pub start_ticks: u64,
    pub rss_pages: u64,
}

/// `PF_KTHREAD` of include/linux/sched.h.
const PF_KTHREAD: u64 = 0x0020_0000;

impl PidStat {
    /// A kernel thread: flagged so, or kthreadd (pid 2) or one of its children.
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0 || self.pid == 2 || self.ppid == 2
    }
}

/// Parses one `/proc/PID/stat`. The command name (field 2) is in parentheses
/// and may itself hold spaces and parentheses, so it ends at the LAST `)`.
pub fn parse_pid_stat(text: &str) -> Parsed<Option<PidStat>> {
    let mut out: Parsed<Option<PidStat>> = Parsed::default();
    match pid_stat(text) {
        Ok(s) => out.value = Some(s),
        Err(why) => out.note_error(|| format!("/proc/PID/stat: {why}")),
    }
    out
}

fn pid_stat(text: &str) -> Result<PidStat, &'static str> {
    let open = text.find('(').ok_or("no '('")?;
    let close = text.rfind(')').filter(|c| *c > open).ok_or("no ')'")?;
    let pid = text[..open].trim().parse::<u32>().map_err(|_| "bad pid")?;
    let comm = text[open + 1..close].to_string();
    // rest[0] is field 3 (state); field k is rest[k - 3]. An array, not a
    // collected Vec: this runs for every process of every host every poll.
    let mut rest = [""; 22];
    let mut n = 0;
    for (slot, word) in rest.iter_mut().zip(text[close + 1..].split_ascii_whitespace()) {
        *slot = word;
        n += 1;
    }
    let field = |k: usize| rest[..n].get(k - 3).copied().ok_or("too few fields");
    let number = |k: usize| field(k)?.parse::<u64>().map_err(|_| "bad number");
    let mut state = field(3)?.chars();
    let (Some(state), None) = (state.next(), state.next()) else {
        return Err("bad state");
    };
    let ppid = field(4)?.parse::<u32>().map_err(|_| "bad ppid")?;
    // rss is signed in the kernel's format string; a negative one reads as 0.
    let rss = field(24)?.parse::<i64>().map_err(|_| "bad rss")?;
    Ok(PidStat {
        pid,
        comm,
        state,
        ppid,
        flags: number(9)?,
        cpu_ticks: number(14)?.saturating_add(number(15)?),
        start_ticks: number(22)?,
        rss_pages: u64::try_from(rss).unwrap_or(0),
    })
}

/// The word sysinfo (and so the UI until now) uses for a state letter; the
/// process table shows its first letter.
pub(crate) fn state_word(state: char) -> &'static str {
    match state {
        'R' => "Runnable",
        'S' => "Sleeping",
        'I' => "Idle",
        'D' => "UninterruptibleDiskSleep",
        'Z' => "Zombie",
        'T' => "Stopped",
        't' => "Tracing",
        'X' | 'x' => "Dead",
        'K' => "Wakekill",
        'W' => "Waking",
        'P' => "Parked",
        _ => "Unknown",
    }
}

/// The letter `ps` and htop show for a state word (`D` for disk wait, `T`
/// for stopped, not just the word's first letter).
pub(crate) fn state_letter(word: &str) -> char {
    match word {
        "Runnable" => 'R',
        "Sleeping" => 'S',
        "Idle" => 'I',
        "UninterruptibleDiskSleep" => 'D',
        "Zombie" => 'Z',
        "Stopped" => 'T',
        "Tracing" => 't',
        "Dead" => 'X',
        "Wakekill" => 'K',
        "Waking" => 'W',
        "Parked" => 'P',
        _ => '?',
    }
}

/// Parses the output of `df -P -k`: a header, then `device 1024-blocks used
/// available capacity% mount` lines. The mount point (and, rarely, the
/// device) may hold spaces: the four numeric columns are found as the first
/// run of three numbers and a percentage, the device is what comes before
/// and the mount point everything after, as printed.
///
/// `df -P` has no file system type: `fs` is left empty. The three sizes are
/// df's own columns (size, used, available), so [`Disk::used_pct`] is its
/// Capacity column.
pub(crate) fn parse_df(text: &str) -> Parsed<Vec<Disk>> {
    let mut out: Parsed<Vec<Disk>> = Parsed::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (n == 0 && line.starts_with("Filesystem")) {
            continue;
        }
        match df_line(line) {
            Some(d) => out.value.push(d),
            None => out.note_error(|| format!("df line {}: not device, sizes, capacity, mount", n + 1)),
        }
    }
    out
}

fn df_line(line: &str) -> Option<Disk> {
    let words = word_spans(line);
    let num = |i: usize| words.get(i).and_then(|&(a, b)| line[a..b].parse::<u64>().ok());
    let is_pct = |i: usize| {
        words.get(i).is_some_and(|&(a, b)| {
            line[a..b]
                .strip_suffix('%')
                .is_some_and(|p| p == "-" || p.parse::<u64>().is_ok())
        })
    };
    let start = (1..words.len())
        .find(|&i| num(i).is_some() && num(i + 1).is_some() && num(i + 2).is_some() && is_pct(i + 3))?;
    let mount_at = words.get(start + 4)?.0;
    let kib = |i: usize| num(i).map(|n| n.saturating_mul(1024));
    Some(Disk::new(
        sanitize(line[mount_at..].trim_end()),
        sanitize(&line[..words[start - 1].1]),
        String::new(),
        kib(start)?,
        kib(start + 1)?,
        kib(start + 2)?,
    ))
}

/// Byte ranges of the whitespace-separated words of `line`.
pub(crate) fn word_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, line.len()));
    }
    spans
}

/// uid → user name of an `/etc/passwd` text (`name:password:uid:…` lines).
pub(crate) fn parse_passwd(text: &str) -> HashMap<u32, String> {
    let mut users = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        if let (Some(name), Some(_), Some(Ok(uid))) = (f.next(), f.next(), f.next().map(str::parse::<u32>))
            && !name.is_empty()
            && !name.starts_with('#')
        {
            // The first entry of a uid wins, as in getpwuid.
            users.entry(uid).or_insert_with(|| sanitize(name));
        }
    }
    users
}

#[cfg(test)]
mod tests;
