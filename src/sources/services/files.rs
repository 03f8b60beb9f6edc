//! Freshness (a file's age against `max_age`) and process presence (a
//! pattern in the process table), here or on a host, and their local
//! readers. Liveness is not progress: a process can be present and its
//! log stale.

use super::{DEFAULT_INTERVAL, send, unknown};
use crate::config::{FreshnessService, ProcessService};
use crate::fmt::ago;
use crate::sources::Ctx;
use crate::sources::reach::Reach;
use crate::update::services::{Health, Kind, Row, ServiceUpdate};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A file's age against `max_age`, here or on a host, every `interval`.
pub(crate) async fn run_freshness(cfg: FreshnessService, reach: Reach, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    loop {
        // The host unreachable is "unknown"; a file that cannot be read is
        // the check's own error.
        let mut r = match reach.file_age(&cfg.path).await {
            Err(e) => {
                let host = reach.host().unwrap_or_default();
                let key = format!("freshness:{}", cfg.name);
                unknown(key, Kind::Freshness, cfg.name.clone(), host, e)
            }
            Ok(age) => freshness_row(&cfg, age),
        };
        if let Some(host) = reach.host() {
            r.source = format!("{host}:{}", cfg.path);
        }
        r.every_ms = super::every_ms(interval);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

/// "written 3m ago, max 20m".
pub fn freshness(cfg: &FreshnessService, path: &Path, now: SystemTime) -> Row {
    freshness_row(cfg, age(path, now))
}

/// A local file's age at `now` (`Ok(None)`: missing).
pub(crate) fn age(path: &Path, now: SystemTime) -> Result<Option<Duration>, String> {
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::parse::sanitize::sanitize(&e.to_string())),
        Ok(m) => Ok(Some(now.duration_since(m).unwrap_or(Duration::ZERO))),
    }
}

/// The row for a file's age (`Ok(None)`: the file is missing), wherever it
/// was measured.
pub(crate) fn freshness_row(cfg: &FreshnessService, age: Result<Option<Duration>, String>) -> Row {
    let max = cfg.max_age.0;
    let (health, detail) = match age {
        Ok(None) => (Health::Error, "file missing".to_string()),
        Err(e) => (Health::Error, e),
        Ok(Some(age)) => {
            let words = format!(
                "written {} ago, max {}",
                ago(age.as_millis() as i64),
                ago(max.as_millis() as i64)
            );
            if age > max {
                // Catching exactly this is what the check is for.
                (Health::Error, format!("stale: {words}"))
            } else {
                (Health::Ok, words)
            }
        }
    };
    let mut r = Row::new(
        format!("freshness:{}", cfg.name),
        Kind::Freshness,
        cfg.name.clone(),
        health,
        detail,
    );
    r.source = cfg.path.clone();
    r
}

/// The processes matching a pattern, here or on a host, every `interval`.
pub(crate) async fn run_process(cfg: ProcessService, reach: Reach, ctx: Ctx) {
    let interval = cfg.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    loop {
        let mut r = process_row(&cfg, reach.processes(&cfg).await);
        r.every_ms = super::every_ms(interval);
        if !send(&ctx, ServiceUpdate::Result(Box::new(r))).await || !ctx.wait(interval).await {
            return;
        }
    }
}

/// A process whose command line holds the pattern: who runs it and, when
/// the host could tell, its executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub pid: u32,
    /// Effective uid (None: the host did not say).
    pub uid: Option<u32>,
    /// `/proc/PID/exe` (None: it could not be read).
    pub exe: Option<String>,
}

/// What a host answered for a process check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The check's `user` as a uid on that host (None: no such user, or
    /// the check names none).
    pub uid: Option<u32>,
    pub procs: Vec<Candidate>,
}

/// The uid of `user` (a name or a number) in `/etc/passwd` text.
pub(crate) fn uid_of(user: &str, passwd: &str) -> Option<u32> {
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid: u32 = f.nth(1)?.parse().ok()?;
            (name == user).then_some(uid)
        })
        .next()
        .or_else(|| user.parse().ok())
}

/// The effective uid from `/proc/PID/status` text.
fn status_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The row for the processes whose command line contains the pattern,
/// read from a `/proc`-shaped directory ([`find`]).
pub fn process(cfg: &ProcessService, proc_dir: &Path) -> Row {
    process_row(cfg, find(cfg, proc_dir))
}

/// Finds the processes whose command line contains the pattern (reading a
/// `/proc`-shaped directory; our own process does not count), with their
/// user and, when the check names one, their executable.
pub(crate) fn find(cfg: &ProcessService, proc_dir: &Path) -> Result<Found, String> {
    let me = std::process::id();
    std::fs::read_dir(proc_dir)
        .map_err(|e| format!("cannot read the process table: {e}"))
        .map(|rd| {
            let mut procs = Vec::new();
            for e in rd.flatten().take(100_000) {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                if pid == me {
                    continue;
                }
                let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
                    continue;
                };
                let cmd = String::from_utf8_lossy(&raw[..raw.len().min(64 * 1024)]).replace('\0', " ");
                if !cmd.contains(cfg.pattern.as_str()) || procs.len() >= MAX_CANDIDATES {
                    continue;
                }
                let uid = std::fs::read_to_string(e.path().join("status"))
                    .ok()
                    .and_then(|s| status_uid(&s));
                let exe = cfg
                    .exe
                    .as_ref()
                    .and_then(|_| std::fs::read_link(e.path().join("exe")).ok())
                    .map(|p| p.to_string_lossy().into_owned());
                procs.push(Candidate { pid, uid, exe });
            }
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let uid = cfg.user.as_deref().and_then(|u| uid_of(u, &passwd));
            Found { uid, procs }
        })
}

/// More processes matching one pattern than anyone means to check.
pub const MAX_CANDIDATES: usize = 1000;

/// The row for the processes whose command line matched, wherever they
/// were found: only those of the check's user and executable count; those
/// that match by name only are said.
pub(crate) fn process_row(cfg: &ProcessService, found: Result<Found, String>) -> Row {
    let (health, detail) = match found {
        Err(e) => (Health::Unknown, e),
        Ok(_) if cfg.user.is_some() && found_uid(&found).is_none() => (
            Health::Error,
            format!("no user \"{}\" on this host", cfg.user.as_deref().unwrap_or("")),
        ),
        Ok(f) => judge(cfg, f),
    };
    let mut r = Row::new(
        format!("process:{}", cfg.name),
        Kind::Process,
        cfg.name.clone(),
        health,
        detail,
    );
    r.source = cfg
        .host
        .as_ref()
        .map_or_else(|| "local".into(), |h| h.get_ref().clone());
    r
}

fn found_uid(f: &Result<Found, String>) -> Option<u32> {
    f.as_ref().ok().and_then(|f| f.uid)
}

fn judge(cfg: &ProcessService, f: Found) -> (Health, String) {
    let mut procs = f.procs;
    procs.sort_unstable_by_key(|p| p.pid);
    let by_name = procs.len();
    let user_ok = |p: &Candidate| cfg.user.is_none() || (p.uid.is_some() && p.uid == f.uid);
    let exe_ok = |p: &Candidate| cfg.exe.as_ref().is_none_or(|x| p.exe.as_ref() == Some(x));
    let good: Vec<u32> = procs
        .iter()
        .filter(|p| user_ok(p) && exe_ok(p))
        .map(|p| p.pid)
        .collect();
    let unverified: Vec<u32> = procs
        .iter()
        .filter(|p| user_ok(p) && cfg.exe.is_some() && p.exe.is_none())
        .map(|p| p.pid)
        .collect();
    let others = by_name.saturating_sub(good.len() + unverified.len());
    let also = if others > 0 && (cfg.user.is_some() || cfg.exe.is_some()) {
        format!(" ({others} more by name only)")
    } else {
        String::new()
    };
    match (good.len(), unverified.len()) {
        (1, _) => (Health::Ok, format!("1 process (pid {}){also}", good[0])),
        (0, 0) if by_name == 0 => (Health::Error, format!("no process matches \"{}\"", cfg.pattern)),
        (0, 0) => (
            Health::Error,
            format!(
                "no process matches \"{}\"{}{}: {by_name} by name only (pid {})",
                cfg.pattern,
                cfg.user.as_ref().map(|u| format!(" as {u}")).unwrap_or_default(),
                cfg.exe.as_ref().map(|x| format!(" running {x}")).unwrap_or_default(),
                procs[0].pid
            ),
        ),
        (0, n) => (
            Health::Warn,
            format!(
                "{n} process{} (pid {}), exe not verified: it cannot be read here{also}",
                if n == 1 { "" } else { "es" },
                unverified[0]
            ),
        ),
        (n, _) => (Health::Ok, format!("{n} processes (pid {}, …){also}", good[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(user: Option<&str>, exe: Option<&str>) -> ProcessService {
        ProcessService {
            name: "scout".into(),
            host: None,
            pattern: "fleet-scout".into(),
            user: user.map(Into::into),
            exe: exe.map(Into::into),
            interval: None,
            depends_on: Vec::new(),
        }
    }

    fn c(pid: u32, uid: u32, exe: Option<&str>) -> Candidate {
        Candidate {
            pid,
            uid: Some(uid),
            exe: exe.map(Into::into),
        }
    }

    fn row(cfg: &ProcessService, uid: Option<u32>, procs: Vec<Candidate>) -> (Health, String) {
        let r = process_row(cfg, Ok(Found { uid, procs }));
        (r.health, r.detail)
    }

    const EXE: &str = "/usr/local/bin/fleet-scout";

    #[test]
    fn a_name_alone_is_not_the_user_or_the_exe() {
        let real = c(10, 1000, Some(EXE));
        let fake = c(20, 1001, Some("/tmp/fleet-scout"));
        let both = vec![fake.clone(), real.clone()];
        assert_eq!(row(&cfg(None, None), None, both.clone()).1, "2 processes (pid 10, …)");
        assert_eq!(
            row(&cfg(Some("john"), None), Some(1000), both.clone()),
            (Health::Ok, "1 process (pid 10) (1 more by name only)".into())
        );
        assert_eq!(
            row(&cfg(Some("john"), Some(EXE)), Some(1000), vec![fake.clone()]),
            (
                Health::Error,
                format!("no process matches \"fleet-scout\" as john running {EXE}: 1 by name only (pid 20)")
            )
        );
        // The impostor runs as john but not the executable.
        let as_john = c(30, 1000, Some("/tmp/fleet-scout"));
        assert_eq!(
            row(&cfg(Some("john"), Some(EXE)), Some(1000), vec![as_john]).0,
            Health::Error
        );
        assert_eq!(
            row(&cfg(None, Some(EXE)), None, vec![c(40, 5, None)]),
            (
                Health::Warn,
                "1 process (pid 40), exe not verified: it cannot be read here".into()
            )
        );
        assert_eq!(
            row(&cfg(Some("nosuch"), None), None, both),
            (Health::Error, "no user \"nosuch\" on this host".into())
        );
        let unknown_uid = Candidate { uid: None, ..real };
        assert_eq!(
            row(&cfg(Some("john"), None), Some(1000), vec![unknown_uid]).0,
            Health::Error
        );
    }

    #[test]
    fn users_and_uids_from_the_host() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\njohn:x:1000:1000::/home/john:/bin/sh\nbad line\n";
        assert_eq!(uid_of("john", passwd), Some(1000));
        assert_eq!(uid_of("1000", passwd), Some(1000));
        assert_eq!(uid_of("mallory", passwd), None);
        assert_eq!(status_uid("Name:\tx\nUid:\t1000\t1001\t1001\t1001\n"), Some(1001));
        assert_eq!(status_uid("Uid:\n"), None);
    }
}
