//! The scripts and answer parsers of the service operations over an SSH
//! host's one connection ([`crate::sources::reach::ssh`]): failed systemd
//! units, a file's age, the processes matching a pattern, launchd jobs.
//! Each is a fixed script; the values from the config (a path, a pattern)
//! reach it on stdin, never on a command line. What comes back goes through
//! the same parsers and row builders as the local checks.

use super::files;
use crate::parse::systemctl;
use crate::sources::ssh::Output;
use files::{Candidate, Found};
use std::time::Duration;

/// `systemctl --failed`, JSON where it has it: the first line says which.
pub const FAILED_UNITS: &str = r#"export SYSTEMD_COLORS=0 LC_ALL=C
command -v systemctl >/dev/null 2>&1 || exit 127
if out=$(systemctl --failed --output=json --no-pager 2>/dev/null); then echo json; printf '%s\n' "$out"
else echo plain; systemctl --failed --no-pager --plain --no-legend 2>&1; fi"#;

/// Every loaded service's restart count, then a line `@@journal`, then the
/// error lines of the last 5 minutes with their unit (at most 5000: the
/// newest). Fixed: no unit name from anywhere is ever an argument.
pub const UNIT_STATS: &str = r#"export SYSTEMD_COLORS=0 LC_ALL=C
command -v systemctl >/dev/null 2>&1 || exit 127
systemctl show -p Id,ActiveState,SubState,NRestarts --no-pager '*.service' 2>/dev/null
echo '@@journal'
journalctl -p err --since=-5min -n 5000 -o json --output-fields=_SYSTEMD_UNIT --no-pager -q 2>/dev/null
exit 0"#;

/// The host's clock and the file's mtime, in seconds; "missing" when there
/// is no such file. `~/` is the remote user's home.
pub const FILE_AGE: &str = r#"IFS= read -r p
p=$(home_path "$p")
date +%s
if [ -e "$p" ]; then stat -c %Y -- "$p" 2>/dev/null || stat -f %m -- "$p"; else echo missing; fi"#;

/// The check's user as a uid on the host ("any" when it names none,
/// "none" when the host has no such user), the script's own pid, then every
/// process with its effective uid and command line (Linux and macOS `ps`).
pub const PROCESSES: &str = r#"IFS= read -r u
if [ -z "$u" ]; then echo any; else id -u -- "$u" 2>/dev/null || echo none; fi
echo $$; ps -eo pid=,ppid=,uid=,args="#;

/// For each pid on stdin, its executable: `PID:PATH`, or `PID!` when it
/// cannot be read (another user's process, no /proc); NUL-separated, as a
/// path can hold a newline but never a NUL.
pub const EXES: &str = r#"IFS= read -r pids
for p in $pids; do
  case $p in *[!0-9]*) continue;; esac
  if e=$(readlink "/proc/$p/exe" 2>/dev/null) && [ -n "$e" ]; then printf '%s:%s\000' "$p" "$e"; else printf '%s!\000' "$p"; fi
done"#;

/// The parsed failed units, or why there are none to show.
pub fn failed_units(out: &Output) -> Result<Vec<systemctl::Unit>, String> {
    if out.exit_status == Some(127) {
        return Err("no systemctl on this host".into());
    }
    let (form, body) = out.text.split_once('\n').unwrap_or((out.text.as_str(), ""));
    match form {
        "json" => systemctl::parse_json(body).map_err(|e| format!("systemctl: {e}")),
        "plain" if out.exit_status == Some(0) => Ok(systemctl::parse_plain(body)),
        "plain" => Err(crate::parse::sanitize::sanitize(&format!(
            "systemctl: {}",
            body.lines().next().unwrap_or("failed")
        ))),
        _ => Err("systemctl printed nothing usable".into()),
    }
}

/// The parsed `UNIT_STATS` answer.
pub(crate) fn unit_stats(out: &Output) -> Result<systemctl::Stats, String> {
    match out.exit_status {
        Some(127) => Err("no systemctl on this host".into()),
        Some(0) => Ok(systemctl::parse_stats(&out.text)),
        _ => Err("systemctl show failed".into()),
    }
}

/// The file's age by the host's own clock (`Ok(None)`: missing).
pub(crate) fn file_age(out: &Output) -> Result<Option<Duration>, String> {
    let mut lines = out.text.lines();
    let now: Option<i64> = lines.next().and_then(|l| l.trim().parse().ok());
    match (now, lines.next().map(str::trim)) {
        (Some(_), Some("missing")) => Ok(None),
        (Some(now), Some(m)) => match m.parse::<i64>() {
            Ok(m) => Ok(Some(Duration::from_secs(now.saturating_sub(m).max(0) as u64))),
            Err(_) => Err("cannot read the file's time".into()),
        },
        _ => Err("cannot read the file's time".into()),
    }
}

/// `n` whitespace-separated fields and the rest of the line.
fn fields(line: &str, n: usize) -> Option<(Vec<&str>, &str)> {
    let mut rest = line;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(rest.get(..end).filter(|f| !f.is_empty())?);
        rest = &rest[end..];
    }
    Some((out, rest.trim_start()))
}

/// The processes whose command line holds `pattern`, leaving out the
/// script's own shell and `ps` (the pattern is not on their command lines
/// anyway: it never left fleettop), and the check's user as a uid.
pub(crate) fn candidates(out: &Output, pattern: &str) -> Found {
    let mut lines = out.text.lines();
    let uid = lines.next().and_then(|l| l.trim().parse().ok());
    let me: Option<u32> = lines.next().and_then(|l| l.trim().parse().ok());
    let procs = lines
        .filter_map(|l| {
            let (f, args) = fields(l, 3)?;
            let pid: u32 = f[0].parse().ok()?;
            let ppid: u32 = f[1].parse().ok()?;
            let ours = Some(pid) == me || Some(ppid) == me;
            (!ours && args.contains(pattern)).then(|| Candidate {
                pid,
                uid: f[2].parse().ok(),
                exe: None,
            })
        })
        .take(files::MAX_CANDIDATES)
        .collect();
    Found { uid, procs }
}

/// Fills in the executables of the `EXES` answer (a pid it does not name
/// stays unverified).
pub(crate) fn fill_exes(found: &mut Found, out: &Output) {
    for rec in out.text.split('\0') {
        let Some(i) = rec.find([':', '!']) else { continue };
        let Ok(pid) = rec[..i].parse::<u32>() else { continue };
        let exe = rec[i..].strip_prefix(':').map(str::to_string);
        if let Some(c) = found.procs.iter_mut().find(|c| c.pid == pid) {
            c.exe = exe;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(text: &str, status: u32) -> Output {
        Output {
            text: text.into(),
            exit_status: Some(status),
            ..Output::default()
        }
    }

    #[test]
    fn failed_units_in_either_form() {
        let j = out(
            "json\n[{\"unit\":\"backup.service\",\"load\":\"loaded\",\"active\":\"failed\",\"sub\":\"failed\",\"description\":\"Backup\"}]\n",
            0,
        );
        assert_eq!(failed_units(&j).unwrap()[0].unit, "backup.service");
        let p = out("plain\nbackup.service loaded failed failed Backup\n", 0);
        assert_eq!(failed_units(&p).unwrap()[0].unit, "backup.service");
        let down = out(
            "plain\nSystem has not been booted with systemd as init system (PID 1).\n",
            1,
        );
        assert!(failed_units(&down).unwrap_err().contains("not been booted"));
        assert_eq!(failed_units(&out("", 127)).unwrap_err(), "no systemctl on this host");
    }

    #[test]
    fn unit_stats_answer() {
        let o = out(
            "Id=web.service\nNRestarts=3\n@@journal\n{\"_SYSTEMD_UNIT\":\"web.service\"}\n",
            0,
        );
        let st = unit_stats(&o).unwrap();
        assert_eq!((st.units[0].restarts, st.errors["web.service"]), (Some(3), 1));
        // A unit named like the separator is no separator: lines are K=V.
        let st = unit_stats(&out("Id=@@journal\n@@journal\n", 0)).unwrap();
        assert!(st.units.is_empty() && st.errors.is_empty());
        assert_eq!(unit_stats(&out("", 127)).unwrap_err(), "no systemctl on this host");
        assert!(unit_stats(&out("", 1)).is_err());
    }

    #[test]
    fn file_age_by_the_hosts_clock() {
        assert_eq!(file_age(&out("1000\n940\n", 0)), Ok(Some(Duration::from_secs(60))));
        assert_eq!(file_age(&out("1000\nmissing\n", 0)), Ok(None));
        assert!(file_age(&out("", 0)).is_err());
        assert!(file_age(&out("1000\nstat: oops\n", 1)).is_err());
    }

    fn pids(f: &Found) -> Vec<u32> {
        f.procs.iter().map(|c| c.pid).collect()
    }

    #[test]
    fn pids_match_the_pattern_but_not_the_script() {
        let o = out(
            "any\n500\n  1     0     0 /sbin/init\n 42     1  1000 python3 /opt/scout.py --loop\n500   400     0 sh -c echo\n501   500     0 ps -eo pid=,ppid=,uid=,args=\n",
            0,
        );
        let f = candidates(&o, "scout.py");
        assert_eq!((pids(&f), f.uid, f.procs[0].uid), (vec![42], None, Some(1000)));
        assert!(
            candidates(&o, "ps -eo").procs.is_empty(),
            "the script's own ps is not counted"
        );
        assert!(
            candidates(&o, "1000").procs.is_empty(),
            "the uid is not the command line"
        );
        assert_eq!(candidates(&out("1000\n1\n", 0), "x").uid, Some(1000));
        assert_eq!(candidates(&out("none\n1\n", 0), "x").uid, None);
    }

    #[test]
    fn exes_are_framed_by_nul_a_newline_in_a_path_spoofs_nothing() {
        let mut f = Found {
            uid: None,
            procs: [42, 43, 44]
                .map(|pid| Candidate {
                    pid,
                    uid: Some(0),
                    exe: None,
                })
                .to_vec(),
        };
        // 43's path holds a newline and what would be a record for 44.
        let o = out(
            "42:/usr/local/bin/fleet-scout\x0043:/tmp/x\n44:/usr/local/bin/fleet-scout\x0044!\x00",
            0,
        );
        fill_exes(&mut f, &o);
        let exes: Vec<Option<&str>> = f.procs.iter().map(|c| c.exe.as_deref()).collect();
        assert_eq!(
            exes,
            [
                Some("/usr/local/bin/fleet-scout"),
                Some("/tmp/x\n44:/usr/local/bin/fleet-scout"),
                None
            ]
        );
    }
}
