//! The tables of the Darwin probe ([`super::darwin`]): `netstat -ib`,
//! `df -k` and the two `ps` passes. Rows are bounded; what does not parse
//! is counted and skipped.

use super::Parsed;
use super::sanitize::sanitize;
use crate::model::{Disk, Interface};
use std::collections::HashMap;

/// At most this many interfaces or mounts are kept of one output.
pub(crate) const MAX_ROWS: usize = 512;
/// At most this many processes are kept of one output.
pub(crate) const MAX_PROCS: usize = 65_536;

/// `netstat -ib`: one `<Link#N>` row per interface holds its byte
/// counters (the rows after it, one per address, repeat them). Columns are
/// read from the right (Ibytes is 5th from the end, Obytes 2nd), since the
/// Address column is empty for some interfaces. A `*` after a name (the
/// interface is down) is dropped; the loopback `lo0` is left out, as its
/// traffic never leaves the Mac.
pub(crate) fn netstat(body: &str) -> Parsed<Vec<Interface>> {
    let mut out: Parsed<Vec<Interface>> = Parsed::default();
    for (n, line) in body.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || words[0] == "Name" || !words.get(2).is_some_and(|w| w.starts_with("<Link#")) {
            continue;
        }
        let from_end = |i: usize| words.len().checked_sub(i).and_then(|j| words[j].parse::<u64>().ok());
        let (Some(rx), Some(tx)) = (from_end(5), from_end(2)) else {
            out.note_error(|| format!("netstat line {}: no byte counters", n + 1));
            continue;
        };
        let name = words[0].trim_end_matches('*');
        if name == "lo0" || out.value.iter().any(|i| i.name == name) {
            continue;
        }
        if out.value.len() >= MAX_ROWS {
            out.note_error(|| format!("netstat: more than {MAX_ROWS} interfaces"));
            break;
        }
        out.value.push(Interface {
            name: sanitize(name),
            rx_bytes: rx,
            tx_bytes: tx,
        });
    }
    out.value.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `df -k` (or `df`, in 512-byte blocks, or `-P`): the block size is read
/// from the header; the inode columns (`iused ifree %iused`) are skipped
/// when the header has them. Mounts of no size (`map auto_home`, devfs)
/// are left out.
///
/// APFS volumes share their container's space: each `/dev/diskNsM` volume
/// shows the container's size and the same free space. Those of one
/// container (same disk number, same size and free space) are counted once,
/// as the volume mounted at `/` (else `/System/Volumes/Data`, else the
/// shortest mount point), with used = size − free.
pub(crate) fn df(body: &str) -> Parsed<Vec<Disk>> {
    let mut out: Parsed<Vec<Disk>> = Parsed::default();
    let mut lines = body.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return out;
    };
    let block: u64 = header
        .split_whitespace()
        .find_map(|w| w.strip_suffix("-blocks"))
        .and_then(|b| b.parse().ok())
        .filter(|b| (512..=1 << 20).contains(b))
        .unwrap_or(1024);
    let inodes = header.contains("iused");
    for (n, line) in lines {
        match df_line(line, block, inodes) {
            Some(d) if d.total_bytes == 0 || d.device == "devfs" => {}
            Some(d) if out.value.len() < MAX_ROWS => out.value.push(d),
            Some(_) => {
                out.note_error(|| format!("df: more than {MAX_ROWS} mounts"));
                break;
            }
            None => out.note_error(|| format!("df line {}: not device, sizes, capacity, mount", n + 1)),
        }
    }
    out.value = apfs_once(std::mem::take(&mut out.value));
    out
}

/// One `df` line: device (which may hold spaces), three sizes, the
/// capacity, the inode columns when `inodes`, and the mount point (the rest
/// of the line).
fn df_line(line: &str, block: u64, inodes: bool) -> Option<Disk> {
    let words = super::proc::word_spans(line);
    let word = |i: usize| words.get(i).map(|&(a, b)| &line[a..b]);
    let num = |i: usize| word(i).and_then(|w| w.parse::<u64>().ok());
    let pct = |i: usize| word(i).is_some_and(|w| w.ends_with('%'));
    let start =
        (1..words.len()).find(|&i| num(i).is_some() && num(i + 1).is_some() && num(i + 2).is_some() && pct(i + 3))?;
    let mount_word = start + 4 + if inodes { 3 } else { 0 };
    if inodes && !pct(start + 6) {
        return None;
    }
    let mount_at = words.get(mount_word)?.0;
    let bytes = |i: usize| num(i).map(|n| n.saturating_mul(block));
    Some(Disk::new(
        sanitize(line[mount_at..].trim_end()),
        sanitize(&line[..words[start - 1].1]),
        String::new(),
        bytes(start)?,
        bytes(start + 1)?,
        bytes(start + 2)?,
    ))
}

/// The container of an APFS volume device: `/dev/disk3s1s1` → `disk3`.
fn container(device: &str) -> Option<&str> {
    let rest = device.strip_prefix("/dev/disk")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with('s')).then(|| &device[5..9 + digits])
}

/// Volumes that share a container's space, once each ([`df`]).
fn apfs_once(disks: Vec<Disk>) -> Vec<Disk> {
    let mut groups: Vec<Vec<Disk>> = Vec::new();
    let mut by_key: HashMap<(String, u64, u64), usize> = HashMap::new();
    for d in disks {
        let key = container(&d.device).map(|c| (c.to_string(), d.total_bytes, d.available_bytes));
        match key.as_ref().and_then(|k| by_key.get(k)) {
            Some(&i) => groups[i].push(d),
            None => {
                if let Some(k) = key {
                    by_key.insert(k, groups.len());
                }
                groups.push(vec![d]);
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|mut g| {
            if g.len() == 1 {
                return g.pop();
            }
            let rank = |d: &Disk| match d.mount.as_str() {
                "/" => (0, 0),
                "/System/Volumes/Data" => (1, 0),
                m => (2, m.len()),
            };
            g.sort_by_key(rank);
            let first = g.swap_remove(0);
            let (total, free) = (first.total_bytes, first.available_bytes);
            Some(Disk::new(
                first.mount,
                first.device,
                "apfs".into(),
                total,
                total - free,
                free,
            ))
        })
        .collect()
}

/// A process of `ps`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DarwinProc {
    pub pid: u32,
    pub ppid: u32,
    pub user: String,
    /// `ps`'s %cpu: a decaying average, 100 per busy core.
    pub cpu_pct: f32,
    pub rss_kib: u64,
    /// The first letter of `ps`'s state (`R`, `S`, `I`, `T`, `U`, `Z`).
    pub state: char,
    /// `comm`: the executable's path as the process gave it; anything.
    pub comm: String,
}

/// The processes of the two `ps` passes: `numbers` has
/// `pid ppid user %cpu rss state` per line (nothing a process chooses),
/// `names` has `pid comm`, where comm is whatever the process made its
/// path, line breaks included. So the numbers pass alone says which
/// processes there are, and a line of `names` starts a process's name only
/// if it starts with the pid of a process that comes later in the numbers
/// pass than the one being named (both passes list processes in the same
/// order); a line starting with a pid the numbers pass did not see (a
/// process started in between) names no one; any other line continues the
/// name before it. A name cannot add, drop or reorder a process: at worst
/// it cuts itself short, or, knowing the pid of a later process, spoofs
/// that one's name.
pub(crate) fn processes(numbers: &str, names: &str) -> Parsed<Vec<DarwinProc>> {
    let mut out: Parsed<Vec<DarwinProc>> = Parsed::default();
    for (n, line) in numbers.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        if out.value.len() >= MAX_PROCS {
            out.note_error(|| format!("ps: more than {MAX_PROCS} processes"));
            break;
        }
        match number_line(line) {
            Some(p) => out.value.push(p),
            None => out.note_error(|| format!("ps line {}: not 'pid ppid user %cpu rss state'", n + 1)),
        }
    }
    let index: HashMap<u32, usize> = out.value.iter().enumerate().map(|(i, p)| (p.pid, i)).collect();
    // `last`: the latest process named (names must come in order);
    // `current`: the one whose name a line without a start continues.
    let (mut last, mut current): (Option<usize>, Option<usize>) = (None, None);
    let mut names_of: Vec<Option<String>> = vec![None; out.value.len()];
    for line in names.split('\n') {
        let trimmed = line.trim_start();
        let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
        let pid = trimmed[..digits]
            .parse::<u32>()
            .ok()
            .filter(|_| trimmed[digits..].starts_with(' ') || trimmed.len() == digits);
        match pid.map(|pid| index.get(&pid).copied()) {
            Some(Some(i)) if last.is_none_or(|l| i > l) => {
                (last, current) = (Some(i), Some(i));
                names_of[i] = Some(trimmed[digits..].trim_start_matches(' ').to_string());
            }
            // A process the numbers pass did not see (started in between):
            // not named, and its lines name no one.
            Some(None) => current = None,
            _ => {
                if let Some(name) = current.and_then(|c| names_of[c].as_mut()).filter(|n| n.len() < 4096) {
                    name.push('\n');
                    name.push_str(line);
                }
            }
        }
    }
    for (p, name) in out.value.iter_mut().zip(names_of) {
        p.comm = name.map(|n| n.trim_end().to_string()).unwrap_or_default();
    }
    out
}

fn number_line(line: &str) -> Option<DarwinProc> {
    let w: Vec<&str> = line.split_whitespace().collect();
    let [pid, ppid, user, cpu, rss, state] = w[..] else {
        return None;
    };
    Some(DarwinProc {
        pid: pid.parse().ok()?,
        ppid: ppid.parse().ok()?,
        user: sanitize(user),
        cpu_pct: cpu.parse::<f32>().ok().filter(|c| c.is_finite() && *c >= 0.0)?,
        rss_kib: rss.parse().ok()?,
        state: state.chars().next().filter(char::is_ascii_alphabetic)?,
        comm: String::new(),
    })
}

/// The Linux state word of a `ps` state letter (`U`, uninterruptible
/// wait, is Linux's `D`).
pub(crate) fn state_word(state: char) -> &'static str {
    super::proc::state_word(if state == 'U' { 'D' } else { state })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DF_512: &str = include_str!("../../tests/fixtures/darwin/df-512-apfs.txt");
    const DF_PK: &str = include_str!("../../tests/fixtures/darwin/df-Pk-apfs.txt");
    const NETSTAT_DD: &str = include_str!("../../tests/fixtures/darwin/netstat-ib-ddagent.txt");
    const NETSTAT_M: &str = include_str!("../../tests/fixtures/darwin/netstat-ib-m-series.txt");

    #[test]
    fn netstat_reads_each_link_row_once_without_loopback() {
        let p = netstat(NETSTAT_DD);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        let names: Vec<&str> = p.value.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["en0", "gif0", "stf0"]);
        assert_eq!(
            (p.value[0].rx_bytes, p.value[0].tx_bytes),
            (13_309_516_362, 11_363_839_527)
        );
        let p = netstat(NETSTAT_M);
        assert_eq!(p.errors, 0);
        assert_eq!(p.value.len(), 6, "{:?}", p.value);
        assert!(p.value.iter().all(|i| i.rx_bytes == 0 && i.name != "lo0"));
    }

    #[test]
    fn df_counts_an_apfs_container_once() {
        let p = df(DF_512);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        // disk1s1 /, s4, s5, s7, s8 share the container: one row, at /.
        assert_eq!(p.value.len(), 1, "{:?}", p.value);
        let d = &p.value[0];
        assert_eq!(
            (d.mount.as_str(), d.device.as_str(), d.fs.as_str()),
            ("/", "/dev/disk1s1", "apfs")
        );
        assert_eq!(d.total_bytes, 1_953_595_632 * 512);
        assert_eq!(d.available_bytes, 432_383_256 * 512);
        assert_eq!(d.used_bytes, (1_953_595_632 - 432_383_256) * 512);
        let p = df(DF_PK);
        assert_eq!((p.errors, p.value.len()), (0, 1));
        assert_eq!(p.value[0].total_bytes, 244_912_536 * 1024);
    }

    #[test]
    fn df_keeps_volumes_of_other_sizes_and_odd_mounts() {
        let text = "Filesystem 1024-blocks Used Available Capacity iused ifree %iused  Mounted on\n\
                    /dev/disk3s1s1 100 10 50 17% 1 2 0% /\n\
                    /dev/disk3s5 100 40 50 45% 1 2 0% /System/Volumes/Data\n\
                    /dev/disk4s2 200 100 100 50% 1 2 0% /Volumes/My Disk 100% full\n\
                    /dev/disk4s3 300 100 200 34% 1 2 0% /Volumes/Other\n\
                    //me@nas/share 400 100 300 25% 1 2 0% /Volumes/share\n";
        let p = df(text);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        let mounts: Vec<&str> = p.value.iter().map(|d| d.mount.as_str()).collect();
        assert_eq!(
            mounts,
            ["/", "/Volumes/My Disk 100% full", "/Volumes/Other", "/Volumes/share"]
        );
        assert_eq!(p.value[0].used_bytes, 50 * 1024, "size − free of the container");
    }

    #[test]
    fn process_names_are_framed_by_the_numbers_pass() {
        let numbers =
            "    1     0 root   0.0  9000 Ss\n  300     1 me     12.5  2048 R+\n  301   300 me   0.0  100 S\n";
        let names = "    1 /sbin/launchd\n  300 /tmp/a\n  301 evil\n301 x\n  300 also\n  301 /bin/sleep\n";
        let p = processes(numbers, names);
        assert_eq!(p.errors, 0);
        let got: Vec<(u32, &str)> = p.value.iter().map(|p| (p.pid, p.comm.as_str())).collect();
        // 300's name holds line breaks and what looks like records of 301
        // and 300: only the first line starting with a later pid starts 301.
        assert_eq!(
            got,
            [
                (1, "/sbin/launchd"),
                (300, "/tmp/a"),
                (301, "evil\n301 x\n  300 also\n  301 /bin/sleep")
            ]
        );
        assert_eq!(
            (p.value[1].cpu_pct, p.value[1].rss_kib, p.value[1].state),
            (12.5, 2048, 'R')
        );
        // A name pass that lost a process (it ended in between) still names the rest.
        let p = processes(numbers, "    1 /sbin/launchd\n  301 /bin/sleep\n");
        assert_eq!(p.value[1].comm, "");
        assert_eq!(p.value[2].comm, "/bin/sleep");
        // Bad number lines are counted, the rest kept.
        let p = processes("x y\n 5 1 me 1.0 10 S\n", "");
        assert_eq!((p.errors, p.value.len()), (1, 1));
    }

    #[test]
    fn garbage_does_not_panic() {
        for t in [
            "",
            "\n",
            "Name Mtu\nx y <Link#1>",
            "Filesystem 0-blocks\n/dev/disk 1 2 3 4%",
            "\u{0}\u{ff}",
            "1 (",
            "/dev/disk 1 1 1 1% 1 1 1%",
        ] {
            let _ = netstat(t);
            let _ = df(t);
            let _ = df(&format!("Filesystem 512-blocks iused\n{t}"));
            let _ = processes(t, t);
        }
        assert_eq!(container("/dev/disk12s3s1"), Some("disk12"));
        assert_eq!(container("/dev/disk"), None);
        assert_eq!(container("/dev/diskXs1"), None);
    }
}
