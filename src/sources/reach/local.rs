//! The operations on this machine: files and `/proc` read directly,
//! `systemctl` and `journalctl` run as fixed programs with arguments —
//! never a shell. The runlog [`Follower`] keeps the file open, so what is
//! appended to a rotated file is still read. (The `/proc` process reader
//! and `systemctl --failed` sit beside their checks:
//! `services::files::find`, `services::systemd::failed_units`.)

use crate::config::{ProcessService, expand_tilde};
use crate::model::Millis;
use crate::parse::systemctl::SHOW_PROPERTIES;
use crate::sources::agents::{Line, LineSplitter, MAX_BACKLOG, heartbeat_field, timer_of, timer_shown, unit_shown};
use crate::sources::agents_remote::FileTime;
use crate::sources::services::files::{self, Found};
use crate::update::agents::AgentUpdate;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// At most this much is read per poll, so one busy file cannot stall others.
const MAX_READ: usize = 8 << 20;

/// Follows a file by name across rotation and truncation.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    ino: u64,
    offset: u64,
    /// True until the first open: then only the backlog is read.
    first: bool,
    pub lines: LineSplitter,
}

impl Follower {
    pub fn new(path: PathBuf) -> Self {
        Follower {
            path,
            file: None,
            ino: 0,
            offset: 0,
            first: true,
            lines: LineSplitter::default(),
        }
    }

    /// The complete lines that appeared since the last poll.
    pub fn poll(&mut self) -> std::io::Result<Vec<Line>> {
        let mut out = Vec::new();
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) => {
                // Gone (mid-rotation, or not yet created): drain what we hold.
                if self.file.is_some() {
                    self.read_to_end(&mut out)?;
                    self.file = None;
                }
                return if out.is_empty() { Err(e) } else { Ok(out) };
            }
        };
        if self.file.is_some() && meta.ino() != self.ino {
            // Rotated: finish the old file, then start the new one from 0.
            self.read_to_end(&mut out)?;
            self.file = None;
        }
        if self.file.is_none() {
            let f = File::open(&self.path)?;
            self.ino = meta.ino();
            self.offset = if self.first {
                meta.len().saturating_sub(MAX_BACKLOG)
            } else {
                0
            };
            // Starting mid-file: the first line is cut, skip it.
            self.lines.restart(self.offset > 0);
            self.first = false;
            self.file = Some(f);
        } else if meta.len() < self.offset {
            // Truncated: start over.
            self.offset = 0;
            self.lines.restart(false);
        }
        self.read_to_end(&mut out)?;
        Ok(out)
    }

    fn read_to_end(&mut self, out: &mut Vec<Line>) -> std::io::Result<()> {
        let Some(f) = self.file.as_mut() else { return Ok(()) };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        let n = f.take(MAX_READ as u64).read_to_end(&mut buf)?;
        self.offset += n as u64;
        self.lines.feed(&buf, out);
        Ok(())
    }
}

fn mtime_millis(m: &std::fs::Metadata) -> Option<Millis> {
    let t = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(t.as_millis()).ok()
}

/// A heartbeat file's time: an RFC 3339 (or Unix seconds) field of a JSON
/// object (dots walk into nested objects), or the file's mtime.
pub(crate) fn read_heartbeat(path: &std::path::Path, field: Option<&str>) -> Result<Millis, String> {
    let what = |e: std::io::Error| format!("heartbeat {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(what)?;
    let Some(field) = field else {
        return mtime_millis(&meta).ok_or_else(|| "heartbeat: no mtime".to_string());
    };
    if meta.len() > 1 << 20 {
        return Err(format!("heartbeat {}: larger than 1 MiB", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(what)?;
    heartbeat_field(&text, field).map_err(|e| format!("heartbeat {}: {e}", path.display()))
}

/// A heartbeat file's and a log's times (see [`super::Reach::file_times`]).
pub(crate) fn file_times(
    heartbeat: Option<&str>,
    field: Option<&str>,
    log: Option<&str>,
) -> (Option<FileTime>, Option<FileTime>) {
    let hb = heartbeat.map(|p| read_heartbeat(&expand_tilde(p), field));
    let log = log.map(|p| {
        let path = expand_tilde(p);
        std::fs::metadata(&path)
            .map_err(|e| format!("log {}: {e}", path.display()))
            .and_then(|m| mtime_millis(&m).ok_or_else(|| "log: no mtime".to_string()))
    });
    (hb, log)
}

/// Runs a fixed program with arguments (no shell), bounded in time and size.
async fn run_program(program: &str, args: &[&str]) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true).stdin(std::process::Stdio::null());
    let out = match tokio::time::timeout(Duration::from_secs(5), cmd.output()).await {
        Err(_) => return Err(format!("{program} did not answer within 5s")),
        Ok(Err(e)) => return Err(format!("{program}: {e}")),
        Ok(Ok(o)) => o,
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{program}: {}",
            crate::parse::sanitize::sanitize(err.lines().next().unwrap_or("failed"))
        ));
    }
    let body = &out.stdout[..out.stdout.len().min(crate::update::agents::MAX_OUTPUT)];
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// A unit, its timer and the journal of its last run (see
/// [`super::Reach::unit`]).
pub(crate) async fn unit(agent: &str, unit: &str, last_invocation: &mut String) -> AgentUpdate {
    let show = unit_shown(
        unit,
        run_program("systemctl", &["show", unit, "--timestamp=unix", "-p", SHOW_PROPERTIES]).await,
    );
    let timer = match timer_of(unit) {
        Some(t) => run_program("systemctl", &["show", &t, "--timestamp=unix", "-p", SHOW_PROPERTIES])
            .await
            .ok()
            .and_then(|t| timer_shown(&t)),
        None => None,
    };
    let mut journal = None;
    // An invocation's journal once, when it has ended: a run seen in
    // progress gets its whole output, not what it had said so far.
    if let Ok(u) = &show
        && !u.invocation.is_empty()
        && u.exited_at.is_some()
        && u.invocation != *last_invocation
    {
        *last_invocation = u.invocation.clone();
        let id = format!("_SYSTEMD_INVOCATION_ID={}", u.invocation);
        journal = run_program("journalctl", &["-u", unit, &id, "-n", "200", "-o", "cat", "--no-pager"])
            .await
            .ok();
    }
    AgentUpdate::Unit {
        agent: agent.to_string(),
        unit: show,
        timer,
        journal,
    }
}

/// A file's age by this machine's clock (`Ok(None)`: missing).
pub(crate) fn file_age(path: &str) -> Result<Option<Duration>, String> {
    files::age(&expand_tilde(path), SystemTime::now())
}

/// The processes matching the check, read from `/proc` off the runtime.
pub(crate) async fn processes(cfg: &ProcessService) -> Result<Found, String> {
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || files::find(&cfg, std::path::Path::new("/proc")))
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
}

/// A regular file's bytes, at most `max` of them (a longer file is an
/// error), read off the runtime.
pub(crate) async fn read_file(path: &str, max: usize) -> Result<Vec<u8>, String> {
    let path = expand_tilde(path);
    let read = move || -> Result<Vec<u8>, String> {
        let file = File::open(&path).map_err(|e| crate::parse::sanitize::sanitize(&e.to_string()))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err("not a regular file".into());
        }
        let mut body = Vec::new();
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        file.take(limit)
            .read_to_end(&mut body)
            .map_err(|e| crate::parse::sanitize::sanitize(&e.to_string()))?;
        if body.len() > max {
            return Err(format!("larger than {} KiB", max >> 10));
        }
        Ok(body)
    };
    tokio::task::spawn_blocking(read)
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::agents::MAX_LINE;
    use crate::sources::reach::tests::texts;
    use std::io::Write;

    #[test]
    fn follows_appends_partial_lines_truncation_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.jsonl");
        std::fs::write(&path, "a\nb\npart").unwrap();
        let mut f = Follower::new(path.clone());
        assert_eq!(texts(f.poll().unwrap()), ["a", "b"]);
        let mut w = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        w.write_all(b"ial\nc\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["partial", "c"]);
        assert!(f.poll().unwrap().is_empty());
        // Truncated in place (copytruncate): start over.
        std::fs::write(&path, "d\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["d"]);
        // Rotated: what was appended to the old file is still read, then the new one.
        w.write_all(b"").unwrap();
        let mut old = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::fs::rename(&path, dir.path().join("runs.jsonl.1")).unwrap();
        old.write_all(b"e\n").unwrap();
        std::fs::write(&path, "f\n").unwrap();
        assert_eq!(texts(f.poll().unwrap()), ["e", "f"]);
    }

    #[test]
    fn a_missing_file_is_an_error_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.jsonl");
        let mut f = Follower::new(path.clone());
        assert!(f.poll().is_err());
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(
            texts(f.poll().unwrap()),
            ["x"],
            "a file created after the start is read from its beginning"
        );
    }

    #[test]
    fn a_huge_backlog_is_read_from_its_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let line = format!("{}\n", "y".repeat(1023));
        let mut text = line.repeat((MAX_BACKLOG as usize / 1024) * 2);
        text.push_str("last\n");
        std::fs::write(&path, &text).unwrap();
        let lines = texts(Follower::new(path).poll().unwrap());
        assert_eq!(lines.last().unwrap(), "last");
        assert!(lines.len() <= MAX_BACKLOG as usize / 1024 + 1, "{}", lines.len());
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 1023), "no cut line");
    }

    #[test]
    fn an_overlong_line_is_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.jsonl");
        std::fs::write(&path, "").unwrap();
        let mut f = Follower::new(path.clone());
        assert!(f.poll().unwrap().is_empty());
        let mut text = "z".repeat(MAX_LINE + 10);
        text.push_str("\nok\n");
        std::fs::write(&path, &text).unwrap();
        let mut all = Vec::new();
        for _ in 0..3 {
            all.extend(texts(f.poll().unwrap()));
        }
        assert_eq!(all, ["<too long>", "ok"]);
        assert_eq!(f.lines.dropped_lines, 1);
    }
}
