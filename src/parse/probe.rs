//! The output of the one fixed probe script that the SSH source runs on a
//! remote host per poll ([`COMMAND`]): sections framed by a marker, each
//! read by the parser of its `/proc` file or command.
//!
//! Nothing that a host's users control can start, end or change a section:
//! a section starts with a line `MARKER NAME` (`MARKER power NAME` for a
//! power supply), and the marker is fresh and random for every poll
//! ([`marker`]), sent on the script's standard input, never on a command
//! line. The process records are framed by `PID (` … `)` ([`pid_records`]),
//! since a process name can hold anything, line breaks included. An output
//! with no framed section, or with process records that do not frame, is
//! `garbled` and not believed. Text before the first section (a login
//! shell's greeting) is ignored. Unknown sections are counted and skipped; a
//! missing section leaves its part of the sample empty; a cut-off output
//! (the source bounds it) parses what arrived.

use super::Parsed;
use super::nvidia_smi::{self, Gpu};
use super::power_supply::{self, Battery};
use super::proc::{self, MemInfo, PidStat, Stat};
use super::sanitize::sanitize;
use crate::model::{Disk, Interface, Temp};
use std::collections::HashMap;

/// The command line of every poll. Whatever the login shell (bash, zsh,
/// fish, csh), it only starts `sh`, which reads the probe from its standard
/// input ([`stdin`]): the probe itself is never parsed by the login shell.
pub const EXEC: &str = "exec sh";

/// Runs the probe `$q` (the Linux `p` or the Darwin `d`, by `uname -s`)
/// and sends its output in 64 KiB blocks: `cat` writes
/// one /proc file at a time, and sshd would send each write as its own
/// packet — hundreds per poll, each a wake-up, a read and a decryption
/// here. `dd obs=` gathers them (the probe as it is where there is no dd).
/// The probe reads nothing: its input is /dev/null, not the rest of the
/// script.
macro_rules! SEND {
    () => {
        concat!(
            "d() {\n",
            darwin_script!(),
            "echo \"$M end\"\n}\n",
            "case $(uname -s 2>/dev/null) in Darwin) q=d;; *) q=p;; esac\n",
            "if command -v dd >/dev/null 2>&1; then $q </dev/null | dd obs=65536 2>/dev/null; else $q </dev/null; fi\n"
        )
    };
}

/// The Darwin probe's commands ([`super::darwin`]); a macro, as `concat!`
/// takes only literals. `sysctl` is in `/usr/sbin`, which a PATH set by
/// a login or a launchd job may lack: it is added, last.
macro_rules! darwin_script {
    () => {
        r#"export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"
echo "$M uname"; uname -s; uname -r
echo "$M sw_vers"; sw_vers 2>/dev/null
echo "$M sysctl"; sysctl hw.memsize hw.ncpu vm.swapusage kern.boottime vm.loadavg kern.memorystatus_level 2>/dev/null
echo "$M now"; date +%s
echo "$M vm_stat"; vm_stat 2>/dev/null
echo "$M top"; top -l 2 -n 0 -s 1 2>/dev/null
echo "$M netstat"; netstat -ib 2>/dev/null
echo "$M df"; df -k 2>/dev/null
echo "$M ps"; ps -axo pid=,ppid=,user=,%cpu=,rss=,state= 2>/dev/null
echo "$M comm"; ps -axo pid=,comm= 2>/dev/null
echo "$M pmset"; pmset -g batt 2>/dev/null
"#
    };
}

macro_rules! base {
    () => {
        r#"export LC_ALL=C
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

/// The probe: POSIX sh, run by [`EXEC`] from the script [`stdin`] makes;
/// nothing from a config or a host is interpolated into it. `$M` is the
/// poll's marker. `LC_ALL=C` keeps `df` in English and numbers with dots.
/// Per process: its `stat` record (one `cat` for all of them) and its owner
/// (one `stat` for all of them).
pub const COMMAND: &str = concat!("p() {\n", base!(), "echo \"$M end\"\n}\n", SEND!());

/// [`COMMAND`] plus `nvidia-smi -q -x` when the command exists.
pub const COMMAND_GPU: &str = concat!(
    "p() {\n",
    base!(),
    "command -v nvidia-smi >/dev/null 2>&1 && { echo \"$M nvidia\"; nvidia-smi -q -x 2>/dev/null; }\n",
    "echo \"$M end\"\n}\n",
    SEND!()
);

/// A fresh marker for one poll: 128 random bits, so no one on the host
/// can write a line that starts a section.
pub fn marker() -> String {
    let bytes: [u8; 16] = super::known_hosts::random();
    let mut m = String::from("@@fleettop-");
    for b in bytes {
        m.push_str(&format!("{b:02x}"));
    }
    m
}

/// What [`EXEC`]'s `sh` reads: the marker, then the probe.
pub fn stdin(marker: &str, gpu: bool) -> String {
    format!("M={marker}\n{}", if gpu { COMMAND_GPU } else { COMMAND })
}

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
    /// What only a Mac's output has: `Some` when `uname` said Darwin.
    pub darwin: Option<Box<super::darwin::DarwinSample>>,
    /// The `end` mark arrived: the output was not cut.
    pub complete: bool,
    /// Why the output does not parse as framed (not to be believed).
    pub garbled: Option<String>,
}

/// Splits `text` into `(name, body)` sections: a section starts with a
/// line `MARKER NAME`. Text before the first is not part of any.
fn sections<'a>(text: &'a str, marker: &str) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    let mut cur: Option<(&str, usize)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(marker).and_then(|l| l.strip_prefix(' ')) {
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

/// The longest process name in `/proc/PID/stat`, in characters: 15 bytes
/// for a process (TASK_COMM_LEN), up to 63 for a kernel thread.
const MAX_COMM_CHARS: usize = 64;

/// The `/proc/PID/stat` records that `cat` wrote one after another. A record
/// is `PID (NAME) FIELDS\n`, where NAME is whatever the process called
/// itself (line breaks, parentheses, anything) in at most
/// `MAX_COMM_CHARS`, and FIELDS (state and 40-odd numbers, never fewer
/// than 22) hold neither a parenthesis nor a line break. So NAME ends at the
/// first `)` within reach after which the line is a record's fields and
/// ends: the last `)` of its record, since a false one inside a name would
/// need more than 40 characters of fields after it, more than a name holds.
/// Returns the records framed, and where the framing failed (the records
/// before that point are sound).
pub(crate) fn pid_records(body: &str) -> (Vec<PidStat>, Option<String>) {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = out.len() + 1;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || !rest[digits..].starts_with(" (") {
            return (out, Some(format!("process record {n} does not start with 'PID ('")));
        }
        let name_at = digits + 2;
        let record = rest[name_at..]
            .char_indices()
            .take(MAX_COMM_CHARS + 1)
            .filter(|(_, c)| *c == ')')
            .find_map(|(i, _)| {
                let close = name_at + i;
                let eol = close + rest[close..].find('\n')?;
                if rest[close + 1..eol].contains(['(', ')']) {
                    return None;
                }
                proc::parse_pid_stat(&rest[..eol]).value.map(|s| (s, eol))
            });
        let Some((stat, eol)) = record else {
            return (out, Some(format!("process record {n} is not 'PID (NAME) FIELDS'")));
        };
        out.push(stat);
        rest = &rest[eol + 1..];
    }
    (out, None)
}

/// Parses a probe output framed by `marker`. Never panics; what does not
/// parse is counted, what is not framed is [`ProbeSample::garbled`].
pub fn parse(text: &str, marker: &str) -> Parsed<ProbeSample> {
    let mut out: Parsed<ProbeSample> = Parsed::default();
    let secs = sections(text, marker);
    if secs.is_empty() && !text.trim().is_empty() {
        out.note_error(|| "probe output has no sections".into());
        out.value.garbled = Some("no section framed by this poll's marker".into());
    }
    let complete = secs.iter().any(|(name, _)| *name == "end");
    if let Some((_, uname)) = secs.iter().find(|(name, _)| *name == "uname")
        && uname.lines().next().map(str::trim) == Some("Darwin")
    {
        read_uname(uname, &mut out.value);
        let d = super::darwin::read_sections(&secs, &mut out);
        out.value.darwin = Some(Box::new(d));
        out.value.complete = complete;
        out.value.batteries.sort_by(|a, b| a.name.cmp(&b.name));
        if !complete {
            out.note_error(|| "probe output cut short".into());
        }
        return out;
    }
    for (name, body) in secs {
        if !read_counters(name, body, &mut out) {
            read_section(name, body, complete, &mut out);
        }
    }
    out.value.batteries.sort_by(|a, b| a.name.cmp(&b.name));
    if !out.value.complete && !text.is_empty() {
        out.note_error(|| "probe output cut short".into());
    }
    out
}

/// The `uname` section: system name, then kernel release.
fn read_uname(body: &str, v: &mut ProbeSample) {
    let mut l = body.lines();
    v.system = sanitize(l.next().unwrap_or("").trim());
    v.kernel = sanitize(l.next().unwrap_or("").trim());
}

/// Adds a section parser's error count (and its first error) to `out`.
fn add_errors(out: &mut Parsed<ProbeSample>, errors: usize, first: Option<String>) {
    if errors > 0 {
        let first = first.unwrap_or_default();
        out.note_error(|| first.clone());
        out.errors += errors - 1;
    }
}

/// The sections holding a `/proc` file or a tool's table; false for any
/// other section.
fn read_counters(name: &str, body: &str, out: &mut Parsed<ProbeSample>) -> bool {
    match name {
        "stat" => {
            let p = proc::parse_stat(body);
            if p.value.cores.is_empty() {
                out.note_error(|| "/proc/stat: no cpu lines".into());
            } else {
                out.value.stat = Some(p.value);
            }
            add_errors(out, p.errors, p.first_error);
        }
        "meminfo" => {
            let p = proc::parse_meminfo(body);
            if p.value.total_bytes == 0 {
                out.note_error(|| "/proc/meminfo: no MemTotal".into());
            } else {
                out.value.mem = Some(p.value);
            }
            add_errors(out, p.errors, p.first_error);
        }
        "loadavg" => {
            let p = proc::parse_loadavg(body);
            out.value.load = p.value;
            add_errors(out, p.errors, p.first_error);
        }
        "uptime" => {
            let p = proc::parse_uptime(body);
            out.value.uptime_s = p.value;
            add_errors(out, p.errors, p.first_error);
        }
        "netdev" => {
            let p = proc::parse_net_dev(body);
            out.value.interfaces = p.value;
            out.value.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
            add_errors(out, p.errors, p.first_error);
        }
        "df" => {
            let p = proc::parse_df(body);
            out.value.disks = p.value;
            add_errors(out, p.errors, p.first_error);
        }
        "nvidia" => {
            let p = nvidia_smi::parse(body);
            out.value.gpus = Some(p.value);
            add_errors(out, p.errors, p.first_error);
        }
        _ => return false,
    }
    true
}

/// Every other section of a Linux probe; an unknown one is counted.
fn read_section(name: &str, body: &str, complete: bool, out: &mut Parsed<ProbeSample>) {
    let v = &mut out.value;
    match name {
        "uname" => read_uname(body, v),
        "os" => {
            v.os = body
                .lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|s| sanitize(s.trim().trim_matches('"')))
                .unwrap_or_default();
        }
        "pagesize" => v.page_size = body.trim().parse().ok().filter(|p: &u64| *p >= 512),
        "pids" => {
            let (procs, failed) = pid_records(body);
            v.procs = procs;
            if let Some(why) = failed {
                out.note_error(|| why.clone());
                // A whole output whose records do not frame is not
                // believed; a cut one ends in a part of a record.
                if complete {
                    out.value.garbled = Some(why);
                }
            }
        }
        "uids" => read_uids(body, out),
        "passwd" => v.users = super::proc::parse_passwd(body),
        "thermal" => read_thermal(body, out),
        "end" => v.complete = true,
        other => match other.strip_prefix("power ") {
            Some(supply) => v.batteries.extend(power_supply::parse_uevent(&sanitize(supply), body)),
            None => {
                let other = sanitize(other);
                out.note_error(|| format!("unknown probe section {other:?}"));
            }
        },
    }
}

/// The `uids` section: one "UID /proc/PID" line (12 to 20 bytes) per process.
fn read_uids(body: &str, out: &mut Parsed<ProbeSample>) {
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

/// The `thermal` section: "MILLIDEGREES TYPE" per zone; readings outside
/// -50..200 °C are dropped.
fn read_thermal(body: &str, out: &mut Parsed<ProbeSample>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "@@fleettop";

    #[test]
    fn sections_split_and_unknown_counted() {
        let text = "login noise\n@@fleettop uname\nLinux\n6.1.0\n@@fleettop bogus\nx\n@@fleettop loadavg\n0.5 0.25 0.10 1/2 3\n@@fleettop end\n";
        let p = parse(text, M);
        assert_eq!(p.value.system, "Linux");
        assert_eq!(p.value.kernel, "6.1.0");
        assert_eq!(p.value.load, [0.5, 0.25, 0.10]);
        assert!(p.value.complete);
        assert_eq!(p.value.garbled, None);
        assert_eq!(p.errors, 1);
        assert!(p.first_error.unwrap().contains("bogus"));
    }

    #[test]
    fn cut_short_is_an_error_and_keeps_what_came() {
        let p = parse(
            &format!(
                "{M} uname\nLinux\n{M} loadavg\n1.0 2.0 3.0 1/1 1\n{M} pids\n{}1 (init) S 0",
                record(7, "a")
            ),
            M,
        );
        assert_eq!(p.value.load, [1.0, 2.0, 3.0]);
        assert!(!p.value.complete);
        assert_eq!(p.value.procs.len(), 1, "the whole records before the cut");
        assert_eq!(p.value.garbled, None, "cut, not garbled");
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
            "@@fleettop pids\n1 (",
            "@@fleettop pids\n1 (\u{e9}\u{e9}\u{e9})))\n\n",
        ] {
            let _ = parse(t, M);
        }
        let p = parse("hello\nworld\n", M);
        assert!(p.errors > 0 && p.value.garbled.is_some());
        // Sections of another marker are not this poll's.
        let p = parse("@@fleettop-0 uname\nLinux\n@@fleettop-0 end\n", "@@fleettop-1");
        assert!(p.value.garbled.is_some() && p.value.system.is_empty());
    }

    #[test]
    fn markers_are_fresh_and_plain() {
        let (a, b) = (marker(), marker());
        assert_ne!(a, b);
        assert_eq!(a.len(), "@@fleettop-".len() + 32);
        assert!(a[11..].bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        let script = stdin(&a, false);
        assert!(script.starts_with(&format!("M={a}\np() {{\n")));
        assert!(!script.contains("nvidia") && stdin(&a, true).contains("nvidia-smi -q -x"));
    }

    const TAIL: &str = "S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 10 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0";

    fn record(pid: u32, name: &str) -> String {
        format!("{pid} ({name}) {TAIL}\n")
    }

    /// A small probe output framed by `m`, with a process of each of
    /// `names` between two ordinary ones.
    fn output(m: &str, names: &[String]) -> String {
        let mut pids = record(1, "init");
        for (i, n) in names.iter().enumerate() {
            pids += &record(100 + i as u32, n);
        }
        pids += &record(999, "last");
        format!(
            "{m} uname\nLinux\n6.1.0\n{m} os\nPRETTY_NAME=\"Debian GNU/Linux 13\"\n{m} pagesize\n4096\n\
             {m} stat\ncpu 1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n\
             {m} meminfo\nMemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\n\
             {m} loadavg\n0.5 0.25 0.10 1/2 3\n{m} uptime\n100.5 50.0\n\
             {m} df\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 500 500 50% /\n\
             {m} pids\n{pids}{m} uids\n1 /proc/1\n999 /proc/999\n{m} passwd\nroot:x:0:0:root:/root:/bin/sh\n\
             {m} thermal\n45000 cpu\n{m} end\n"
        )
    }

    /// Process names as a hostile user would pick them: at most 15 bytes
    /// (what the kernel keeps), built from line breaks, parentheses, digits,
    /// NULs, invalid UTF-8, and pieces of section lines and of the marker.
    struct Names(u64);

    impl Names {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn name(&mut self, marker: &str) -> String {
            let pieces: [&[u8]; 16] = [
                b"\n",
                b")",
                b"(",
                b" ",
                b"\0",
                b"\xff\xfe",
                b"7",
                b"R",
                b"x",
                b"\n@@fleettop df\n",
                b"\n@@fleettop end\n",
                b"@@fleettop ",
                b") R 1 2 3\n",
                b"\n42 (",
                b"\xc3\xa9",
                marker.as_bytes(),
            ];
            let mut bytes = Vec::new();
            for _ in 0..self.next() % 6 {
                bytes.extend_from_slice(pieces[(self.next() % 16) as usize]);
            }
            if self.next().is_multiple_of(4) {
                bytes.insert(0, b'\n');
            }
            bytes.truncate(15);
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    fn without_procs(mut p: ProbeSample) -> ProbeSample {
        p.procs.clear();
        p
    }

    #[test]
    fn no_process_name_changes_another_section_or_record() {
        let m = marker();
        let base = parse(&output(&m, &[]), &m);
        assert_eq!(
            (base.errors, base.value.garbled.clone()),
            (0, None),
            "{:?}",
            base.first_error
        );
        assert_eq!(base.value.disks.len(), 1);
        let mut names_of = Names(0x9e37_79b9_7f4a_7c15);
        let (mut spoofs, mut breaks, mut closes) = (0, 0, 0);
        for case in 0..4000 {
            let names: Vec<String> = (0..1 + names_of.next() % 3).map(|_| names_of.name(&m)).collect();
            spoofs += names.iter().filter(|n| n.contains("\n@@fleettop ")).count();
            breaks += names.iter().filter(|n| n.contains('\n')).count();
            closes += names.iter().filter(|n| n.contains(") R 1")).count();
            let p = parse(&output(&m, &names), &m);
            assert_eq!(
                (p.errors, &p.value.garbled),
                (0, &None),
                "{names:?}: {:?}",
                p.first_error
            );
            assert_eq!(p.value.procs.len(), names.len() + 2, "case {case}: {names:?}");
            assert_eq!(p.value.procs[0], base.value.procs[0]);
            assert_eq!(p.value.procs.last(), base.value.procs.last());
            for (i, n) in names.iter().enumerate() {
                let s = &p.value.procs[i + 1];
                assert_eq!((s.pid, &s.comm, s.state), (100 + i as u32, n, 'S'), "{names:?}");
            }
            assert_eq!(without_procs(p.value), without_procs(base.value.clone()), "{names:?}");
        }
        // The generator does reach the dangerous names.
        assert!(
            spoofs > 300 && breaks > 2000 && closes > 200,
            "{spoofs} {breaks} {closes}"
        );
    }

    #[test]
    fn a_known_marker_is_what_a_name_could_spoof() {
        // The control for the property above: with a marker the host can
        // know (the former fixed one), the same name starts a `df` section.
        let name = "\n@@fleettop df\n".to_string();
        assert_eq!(name.len(), 15);
        let base = parse(&output(M, &[]), M).value;
        let spoofed = parse(&output(M, std::slice::from_ref(&name)), M);
        assert!(
            spoofed.value.disks != base.disks || spoofed.value.garbled.is_some(),
            "{spoofed:?}"
        );
        let m = marker();
        let p = parse(&output(&m, std::slice::from_ref(&name)), &m);
        assert_eq!(p.value.disks, base.disks);
        assert_eq!(p.value.procs[1].comm, name);
    }

    #[test]
    fn records_frame_at_the_last_parenthesis_of_their_own() {
        let kworker = "kworker/u8:2-events_unbound_with_a_long_workqueue_name_63_bytes";
        assert_eq!(kworker.len(), 63);
        let body = [
            record(1, "a) R 1 2"),
            record(2, "(x)"),
            record(3, ""),
            record(4, ")\n5 ("),
            record(6, kworker),
        ]
        .concat();
        let (procs, failed) = pid_records(&body);
        assert_eq!(failed, None);
        let got: Vec<(u32, &str)> = procs.iter().map(|s| (s.pid, s.comm.as_str())).collect();
        assert_eq!(got, [(1, "a) R 1 2"), (2, "(x)"), (3, ""), (4, ")\n5 ("), (6, kworker)]);
        // Not framed: said where, the records before kept.
        for bad in ["x (a) S\n", "7 (a S 1 2\n", "7 (a) S 1 2\n"] {
            let (procs, failed) = pid_records(&format!("{}{bad}", record(1, "ok")));
            assert_eq!(procs.len(), 1);
            assert!(failed.unwrap().contains("record 2"), "{bad}");
        }
        // A name longer than any the kernel makes does not frame.
        let (_, failed) = pid_records(&record(8, &"n".repeat(MAX_COMM_CHARS + 1)));
        assert!(failed.is_some());
    }

    #[test]
    fn a_whole_output_that_does_not_frame_is_garbled() {
        let m = marker();
        let text = output(&m, &[]).replace("999 (last) S", "999 last S");
        let p = parse(&text, &m);
        assert!(p.value.complete);
        assert!(
            p.value.garbled.as_deref().is_some_and(|g| g.contains("record")),
            "{p:?}"
        );
    }
}
