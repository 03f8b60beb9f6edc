//! What the Darwin (macOS) probe prints, section by section: the probe is
//! [`super::probe`]'s, framed by the same fresh marker, and a host that
//! says `Darwin` in its `uname` section is read here instead of as `/proc`.
//!
//! Stock commands only, none needing root: `sw_vers`, `sysctl` (memory
//! size, cores, swap, boot time, load, the kernel's free-memory level),
//! `date +%s`, `vm_stat`, `top -l 2 -n 0 -s 1` (CPU use over its second
//! sample: macOS has no cumulative CPU counters a command prints, and no
//! per-core figures without root), `netstat -ib`, `df -k`, `ps` (in two
//! passes: numbers, then names, see [`super::darwin_table::processes`]) and
//! `pmset -g batt`. No temperature: every command that reads a sensor
//! (`powermetrics`) needs root.

use super::Parsed;
use super::darwin_table::{self, DarwinProc};
use super::power_supply::Battery;
use super::sanitize::sanitize;
use crate::model::Disk;

/// What a Mac's probe output says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DarwinSample {
    /// `hw.memsize`.
    pub mem_total_bytes: u64,
    /// Active + wired + compressed pages, as Activity Monitor counts
    /// "memory used" (inactive and purgeable pages can be given back).
    pub mem_used_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_used_bytes: u64,
    /// `kern.memorystatus_level`: the free percentage the kernel's memory
    /// pressure is judged by (what `memory_pressure` prints).
    pub mem_free_pct: Option<u8>,
    /// `hw.ncpu`.
    pub cores: usize,
    /// The last `CPU usage:` line of `top`, 0–100.
    pub cpu_pct: Option<f64>,
    pub boot_s: Option<u64>,
    pub now_s: Option<u64>,
    pub procs: Vec<DarwinProc>,
}

/// Reads the Darwin sections of a probe output into `out` (the parts every
/// host has) and the returned sample (what only a Mac's needs). Sections
/// of the Linux probe are not expected and are counted as unknown.
pub(crate) fn read_sections(secs: &[(&str, &str)], out: &mut Parsed<super::probe::ProbeSample>) -> DarwinSample {
    let mut d = DarwinSample::default();
    let (mut numbers, mut names) = (None, None);
    for &(name, body) in secs {
        match name {
            "uname" | "end" => {}
            "sw_vers" => out.value.os = sw_vers(body),
            "sysctl" => sysctl(body, &mut d, out),
            "now" => d.now_s = body.trim().parse().ok(),
            "vm_stat" => match vm_stat_used(body) {
                Some(used) => d.mem_used_bytes = used,
                None => out.note_error(|| "vm_stat: no page size or page counts".into()),
            },
            "top" => d.cpu_pct = top_cpu(body),
            "netstat" => add(out, darwin_table::netstat(body), |v, i| v.interfaces = i),
            "df" => add(out, darwin_table::df(body), |v, disks: Vec<Disk>| v.disks = disks),
            "ps" => numbers = Some(body),
            "comm" => names = Some(body),
            "pmset" => out.value.batteries = pmset(body),
            other => {
                let other = sanitize(other);
                out.note_error(|| format!("unknown probe section {other:?}"));
            }
        }
    }
    if let Some(numbers) = numbers {
        let p = darwin_table::processes(numbers, names.unwrap_or(""));
        d.procs = p.value;
        count(out, p.errors, p.first_error);
    }
    if let (Some(boot), Some(now)) = (d.boot_s, d.now_s) {
        out.value.uptime_s = now.saturating_sub(boot);
    }
    d.mem_used_bytes = d.mem_used_bytes.min(d.mem_total_bytes);
    d
}

fn count<T>(out: &mut Parsed<T>, errors: usize, first: Option<String>) {
    if errors > 0 {
        let first = first.unwrap_or_default();
        out.note_error(|| first);
        out.errors += errors - 1;
    }
}

fn add<V>(
    out: &mut Parsed<super::probe::ProbeSample>,
    p: Parsed<V>,
    set: impl FnOnce(&mut super::probe::ProbeSample, V),
) {
    set(&mut out.value, p.value);
    count(out, p.errors, p.first_error);
}

/// `sw_vers`: `ProductName:\tmacOS` and `ProductVersion:\t14.1.1` make
/// "macOS 14.1.1".
pub(crate) fn sw_vers(body: &str) -> String {
    let field = |key: &str| {
        body.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let s = format!("{} {}", field("ProductName:"), field("ProductVersion:"));
    sanitize(s.trim())
}

/// The `name: value` lines of `sysctl`.
fn sysctl(body: &str, d: &mut DarwinSample, out: &mut Parsed<super::probe::ProbeSample>) {
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            out.note_error(|| "sysctl: not 'name: value'".into());
            continue;
        };
        let value = value.trim();
        let ok = match key.trim() {
            "hw.memsize" => value.parse().map(|v| d.mem_total_bytes = v).is_ok(),
            "hw.ncpu" => value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=4096).contains(n))
                .map(|n| d.cores = n)
                .is_some(),
            "vm.swapusage" => swap_usage(value)
                .map(|(t, u)| (d.swap_total_bytes, d.swap_used_bytes) = (t, u.min(t)))
                .is_some(),
            "kern.boottime" => boot_time(value).map(|s| d.boot_s = Some(s)).is_some(),
            "vm.loadavg" => load_avg(value).map(|l| out.value.load = l).is_some(),
            "kern.memorystatus_level" => value
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 100)
                .map(|p| d.mem_free_pct = Some(p))
                .is_some(),
            _ => true,
        };
        if !ok {
            let key = sanitize(key.trim());
            out.note_error(|| format!("sysctl {key}: unreadable value"));
        }
    }
}

/// `total = 1024.00M  used = 34.00M  free = 990.00M  (encrypted)` →
/// (total, used) bytes.
pub(crate) fn swap_usage(value: &str) -> Option<(u64, u64)> {
    let amount = |key: &str| -> Option<u64> {
        let rest = value.split(key).nth(1)?.trim_start().strip_prefix('=')?.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..end].parse().ok()?;
        let unit: f64 = match rest[end..].chars().next() {
            Some('K') => 1024.0,
            Some('M') => 1024.0 * 1024.0,
            Some('G') => 1024.0 * 1024.0 * 1024.0,
            Some('T') => 1024.0f64.powi(4),
            _ => 1.0,
        };
        let bytes = n * unit;
        (0.0..1e19).contains(&bytes).then_some(bytes as u64)
    };
    Some((amount("total")?, amount("used")?))
}

/// `{ sec = 1606436959, usec = 440093 } Fri Nov 27 09:29:19 2020` → the
/// seconds.
pub(crate) fn boot_time(value: &str) -> Option<u64> {
    let rest = value.split("sec").nth(1)?.trim_start().strip_prefix('=')?.trim_start();
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// `{ 2.67 2.88 3.12 }` → the three averages.
pub(crate) fn load_avg(value: &str) -> Option<[f64; 3]> {
    let nums: Vec<f64> = value
        .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
        .split_whitespace()
        .map(|w| w.parse::<f64>().ok().filter(|v| (0.0..1e6).contains(v)))
        .collect::<Option<_>>()?;
    <[f64; 3]>::try_from(nums).ok()
}

/// Used memory of a `vm_stat` output: (active + wired + occupied by the
/// compressor) pages times its page size.
pub(crate) fn vm_stat_used(body: &str) -> Option<u64> {
    let page: u64 = body
        .lines()
        .next()?
        .split("page size of ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|p: &u64| p.is_power_of_two() && *p >= 512)?;
    let pages = |key: &str| -> Option<u64> {
        body.lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .trim_end_matches('.')
            .parse()
            .ok()
    };
    let used = pages("Pages active:")?
        .saturating_add(pages("Pages wired down:")?)
        .saturating_add(pages("Pages occupied by compressor:").unwrap_or(0));
    Some(used.saturating_mul(page))
}

/// The last `CPU usage: 12.5% user, 8.1% sys, 79.3% idle` line: 100 −
/// idle.
pub(crate) fn top_cpu(body: &str) -> Option<f64> {
    let line = body.lines().rev().find_map(|l| l.trim().strip_prefix("CPU usage:"))?;
    let idle = line
        .split(',')
        .find_map(|part| part.trim().strip_suffix("idle"))?
        .trim()
        .strip_suffix('%')?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())?;
    Some((100.0 - idle).clamp(0.0, 100.0))
}

/// `pmset -g batt`: a line per power source, ` -InternalBattery-0
/// (id=…)\t95%; discharging; 3:06 remaining present: true`. Only the
/// Mac's own batteries (a UPS is listed too); status words as the Linux
/// kernel's.
pub(crate) fn pmset(body: &str) -> Vec<Battery> {
    let mut out = Vec::new();
    for line in body.lines() {
        let Some(rest) = line.trim_start().strip_prefix('-') else {
            continue;
        };
        let Some((name, fields)) = rest.split_once('\t') else {
            continue;
        };
        let name = name.split(" (id=").next().unwrap_or(name).trim();
        if !name.starts_with("InternalBattery") || out.len() >= 8 {
            continue;
        }
        let mut f = fields.split(';').map(str::trim);
        let pct = f
            .next()
            .and_then(|p| p.strip_suffix('%'))
            .and_then(|p| p.parse::<f64>().ok())
            .filter(|p| (0.0..=100.0).contains(p));
        let status = f.next().map(|s| match s {
            "discharging" => "Discharging".to_string(),
            "charging" | "finishing charge" => "Charging".to_string(),
            "charged" => "Full".to_string(),
            "AC attached" => "Not charging".to_string(),
            other => sanitize(other),
        });
        out.push(Battery {
            name: sanitize(name),
            pct,
            status,
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
