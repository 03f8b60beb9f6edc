//! The output of the one fixed probe command that the SSH source runs on a
//! remote host per poll ([`COMMAND`]): marked sections, each read by the
//! parser of its `/proc` file or command.
//!
//! A section starts with a line `@@fleettop NAME` (`@@fleettop power NAME`
//! for a power supply). Unknown sections are counted and skipped; a missing
//! section leaves its part of the sample empty; a cut-off output (the source
//! bounds it) parses what arrived.

use super::Parsed;
use super::nvidia_smi::{self, Gpu};
use super::power_supply::{self, Battery};
use super::proc::{self, MemInfo, PidStat, Stat};
use super::sanitize::sanitize;
use crate::model::{Disk, Interface, Temp};
use std::collections::HashMap;

/// The probe: POSIX sh, nothing interpolated into it. `LC_ALL=C` keeps
/// `df` in English and numbers with dots. Per process: its `stat` line (one
/// `cat` for all of them) and its owner (one `stat` for all of them).
/// Runs the probe `p` and sends its output in 64 KiB blocks: `cat` writes
/// one /proc file at a time, and sshd would send each write as its own
/// packet — hundreds per poll, each a wake-up, a read and a decryption
/// here. `dd obs=` gathers them (the probe as it is where there is no dd).
macro_rules! SEND {
    () => {
        "if command -v dd >/dev/null 2>&1; then p | dd obs=65536 2>/dev/null; else p; fi\n"
    };
}

macro_rules! base {
    () => {
        r#"export LC_ALL=C; M=@@fleettop
echo "$M uname"; uname -s; uname -r
echo "$M os"; cat /etc/os-release 2>/dev/null
echo "$M pagesize"; getconf PAGESIZE 2>/dev/null
echo "$M stat"; while read -r l; do case $l in cpu*) echo "$l";; *) break;; esac; done < /proc/stat
echo "$M meminfo"; cat /proc/meminfo
echo "$M loadavg"; cat /proc/loadavg
echo "$M uptime"; cat /proc/uptime
echo "$M netdev"; cat /proc/net/dev
echo "$M df"; df -P -k 2>/dev/null
echo "$M pids"; cat /proc/[0-9]*/stat 2>/dev/null
echo "$M uids"; stat -c '%u %n' /proc/[0-9]* 2>/dev/null
echo "$M passwd"; cat /etc/passwd 2>/dev/null
for f in /sys/class/power_supply/*/uevent; do [ -r "$f" ] && { d=${f%/uevent}; echo "$M power ${d##*/}"; cat "$f"; }; done
echo "$M thermal"; for z in /sys/class/thermal/thermal_zone*; do [ -r "$z/temp" ] && { t=; v=; read -r t < "$z/type"; read -r v < "$z/temp"; echo "$v $t"; }; done 2>/dev/null
"#
    };
}
pub const COMMAND: &str = concat!("p() {\n", base!(), "echo \"$M end\"\n}\n", SEND!());

/// [`COMMAND`] plus `nvidia-smi -q -x` when the command exists.
pub const COMMAND_GPU: &str = concat!(
    "p() {\n",
    base!(),
    "command -v nvidia-smi >/dev/null 2>&1 && { echo \"$M nvidia\"; nvidia-smi -q -x 2>/dev/null; }\n",
    "echo \"$M end\"\n}\n",
    SEND!()
);

const MARK: &str = "@@fleettop ";

/// What one probe output says, before any difference with the previous one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeSample {
    /// `uname -s`: "Linux", "Darwin", …; empty when the section is missing.
    pub system: String,
    pub kernel: String,
    pub os: String,
    pub page_size: Option<u64>,
    pub stat: Option<Stat>,
    pub mem: Option<MemInfo>,
    pub load: [f64; 3],
    pub uptime_s: u64,
    pub interfaces: Vec<Interface>,
    pub disks: Vec<Disk>,
    pub procs: Vec<PidStat>,
    /// pid → uid
    pub uids: HashMap<u32, u32>,
    pub users: HashMap<u32, String>,
    pub batteries: Vec<Battery>,
    pub temps: Vec<Temp>,
    /// `Some` when the nvidia section was there.
    pub gpus: Option<Vec<Gpu>>,
    /// The `end` mark arrived: the output was not cut.
    pub complete: bool,
}

/// Splits `text` into `(name, body)` sections.
fn sections(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut cur: Option<(&str, usize)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(MARK) {
            if let Some((n, start)) = cur {
                out.push((n, &text[start..pos]));
            }
            cur = Some((name.trim_end(), pos + line.len()));
        }
        pos += line.len();
    }
    if let Some((n, start)) = cur {
        out.push((n, &text[start..]));
    }
    out
}

/// Parses a probe output. Never panics; what does not parse is counted.
pub fn parse(text: &str) -> Parsed<ProbeSample> {
    let mut out: Parsed<ProbeSample> = Parsed::default();
    let add = |out: &mut Parsed<ProbeSample>, errors: usize, first: Option<String>| {
        if errors > 0 {
            let first = first.unwrap_or_default();
            out.note_error(|| first.clone());
            out.errors += errors - 1;
        }
    };
    let secs = sections(text);
    if secs.is_empty() && !text.trim().is_empty() {
        out.note_error(|| "probe output has no sections".into());
    }
    for (name, body) in secs {
        let v = &mut out.value;
        match name {
            "uname" => {
                let mut l = body.lines();
                v.system = sanitize(l.next().unwrap_or("").trim());
                v.kernel = sanitize(l.next().unwrap_or("").trim());
            }
            "os" => {
                v.os = body
                    .lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|s| sanitize(s.trim().trim_matches('"')))
                    .unwrap_or_default();
            }
            "pagesize" => v.page_size = body.trim().parse().ok().filter(|p: &u64| *p >= 512),
            "stat" => {
                let p = proc::parse_stat(body);
                if p.value.cores.is_empty() {
                    out.note_error(|| "/proc/stat: no cpu lines".into());
                } else {
                    out.value.stat = Some(p.value);
                }
                add(&mut out, p.errors, p.first_error);
            }
            "meminfo" => {
                let p = proc::parse_meminfo(body);
                if p.value.total_bytes == 0 {
                    out.note_error(|| "/proc/meminfo: no MemTotal".into());
                } else {
                    out.value.mem = Some(p.value);
                }
                add(&mut out, p.errors, p.first_error);
            }
            "loadavg" => {
                let p = proc::parse_loadavg(body);
                v.load = p.value;
                add(&mut out, p.errors, p.first_error);
            }
            "uptime" => {
                let p = proc::parse_uptime(body);
                v.uptime_s = p.value;
                add(&mut out, p.errors, p.first_error);
            }
            "netdev" => {
                let p = proc::parse_net_dev(body);
                v.interfaces = p.value;
                v.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
                add(&mut out, p.errors, p.first_error);
            }
            "df" => {
                let p = proc::parse_df(body);
                v.disks = p.value;
                add(&mut out, p.errors, p.first_error);
            }
            "pids" => {
                for line in body.lines().filter(|l| !l.trim().is_empty()) {
                    let p = proc::parse_pid_stat(line);
                    match p.value {
                        Some(s) => out.value.procs.push(s),
                        None => add(&mut out, p.errors.max(1), p.first_error),
                    }
                }
            }
            "uids" => {
                // A line is "UID /proc/PID", 12 to 20 bytes.
                out.value.uids.reserve(body.len() / 14);
                for line in body.lines().filter(|l| !l.trim().is_empty()) {
                    let parsed = line.split_once(' ').and_then(|(uid, path)| {
                        let pid = path.trim().strip_prefix("/proc/")?.parse::<u32>().ok()?;
                        Some((pid, uid.parse::<u32>().ok()?))
                    });
                    match parsed {
                        Some((pid, uid)) => {
                            out.value.uids.insert(pid, uid);
                        }
                        None => out.note_error(|| "uids: not 'UID /proc/PID'".into()),
                    }
                }
            }
            "passwd" => v.users = crate::sources::procfs::parse_passwd(body),
            "thermal" => {
                for line in body.lines().filter(|l| !l.trim().is_empty()) {
                    let (milli, label) = line.split_once(' ').unwrap_or((line, ""));
                    match milli.trim().parse::<i64>() {
                        Ok(m) => {
                            let celsius = m as f64 / 1000.0;
                            if celsius > -50.0 && celsius < 200.0 {
                                out.value.temps.push(Temp {
                                    label: sanitize(label.trim()),
                                    celsius,
                                });
                            }
                        }
                        Err(_) => out.note_error(|| "thermal: not 'MILLIDEGREES TYPE'".into()),
                    }
                }
            }
            "nvidia" => {
                let p = nvidia_smi::parse(body);
                v.gpus = Some(p.value);
                add(&mut out, p.errors, p.first_error);
            }
            "end" => v.complete = true,
            other => match other.strip_prefix("power ") {
                Some(supply) => out
                    .value
                    .batteries
                    .extend(power_supply::parse_uevent(&sanitize(supply), body)),
                None => {
                    let other = sanitize(other);
                    out.note_error(|| format!("unknown probe section {other:?}"));
                }
            },
        }
    }
    out.value.batteries.sort_by(|a, b| a.name.cmp(&b.name));
    if !out.value.complete && !text.is_empty() {
        out.note_error(|| "probe output cut short".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_and_unknown_counted() {
        let text = "@@fleettop uname\nLinux\n6.1.0\n@@fleettop bogus\nx\n@@fleettop loadavg\n0.5 0.25 0.10 1/2 3\n@@fleettop end\n";
        let p = parse(text);
        assert_eq!(p.value.system, "Linux");
        assert_eq!(p.value.kernel, "6.1.0");
        assert_eq!(p.value.load, [0.5, 0.25, 0.10]);
        assert!(p.value.complete);
        assert_eq!(p.errors, 1);
        assert!(p.first_error.unwrap().contains("bogus"));
    }

    #[test]
    fn cut_short_is_an_error_and_keeps_what_came() {
        let p = parse("@@fleettop uname\nLinux\n@@fleettop loadavg\n1.0 2.0 3.0 1/1 1\n@@fleettop pids\n1 (init) S 0");
        assert_eq!(p.value.load, [1.0, 2.0, 3.0]);
        assert!(!p.value.complete);
        assert!(p.value.procs.is_empty());
        assert!(p.errors >= 2, "{p:?}");
    }

    #[test]
    fn garbage_does_not_panic() {
        for t in [
            "",
            "\n",
            "@@fleettop",
            "@@fleettop \n",
            "@@fleettop stat\ncpu x y\n",
            "\u{0}\u{1b}[2J@@fleettop uids\nfoo\n",
        ] {
            let _ = parse(t);
        }
        assert!(parse("hello\nworld\n").errors > 0);
    }
}
