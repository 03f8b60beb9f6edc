//! Logs go to a file, never to the screen the TUI draws on. The file is
//! the user's alone (mode 0600), rotated by size, and one event is one
//! line: text from outside cannot start a line of its own.

use crate::model::Millis;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Past this size the log is rotated.
pub const MAX_LOG: u64 = 4 << 20;
/// Rotated logs kept: `fleettop.log.1`, `fleettop.log.2`.
pub const KEEP: usize = 2;
const MINUTE: Millis = 60_000;

fn state_home() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy().ok().and_then(|s| s.state_dir())
}

pub(crate) fn default_path() -> Option<PathBuf> {
    state_dir().map(|d| d.join("fleettop.log"))
}

/// fleettop's state directory: the log, the quiet file.
pub(crate) fn state_dir() -> Option<PathBuf> {
    state_home()
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("fleettop"))
}

/// Starts logging to `path` (or the default). A log that cannot be opened
/// is not fatal: fleettop runs without one and says so on stderr.
pub fn init(path: Option<&Path>) -> Option<PathBuf> {
    let path = path.map(Path::to_path_buf).or_else(default_path)?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let log = match LogFile::open(&path, MAX_LOG) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fleettop: cannot open log file {}: {e}", path.display());
            return None;
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLEETTOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(log)
        .try_init()
        .is_ok();
    ok.then_some(path)
}

/// The log file, shared by every event's writer.
#[derive(Clone)]
pub struct LogFile(Arc<Mutex<Inner>>);

struct Inner {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
}

fn open_private(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    // A log made before (by an older fleettop, or a umask) is made private too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

impl LogFile {
    /// Opens (creating, 0600) the log at `path`, rotated past `max` bytes.
    pub fn open(path: &Path, max: u64) -> std::io::Result<Self> {
        let file = open_private(path)?;
        let size = file.metadata().map_or(0, |m| m.len());
        Ok(LogFile(Arc::new(Mutex::new(Inner {
            path: path.to_path_buf(),
            file,
            size,
            max: max.max(1),
        }))))
    }

    fn write_line(&self, line: &[u8]) {
        let Ok(mut g) = self.0.lock() else { return };
        if g.size > 0 && g.size + line.len() as u64 > g.max {
            g.rotate();
        }
        if g.file.write_all(line).is_ok() {
            g.size += line.len() as u64;
        }
    }
}

impl Inner {
    /// `log.1` → `log.2`, …, the log → `log.1`, and a new log.
    fn rotate(&mut self) {
        let numbered = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        for n in (1..KEEP).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        let _ = std::fs::rename(&self.path, numbered(1));
        if let Ok(f) = open_private(&self.path) {
            self.file = f;
            self.size = 0;
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = EventWriter;
    fn make_writer(&'a self) -> EventWriter {
        EventWriter {
            buf: Vec::new(),
            to: self.clone(),
        }
    }
}

/// One event's text, written as one line when it is done.
pub struct EventWriter {
    buf: Vec<u8>,
    to: LogFile,
}

impl Write for EventWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        // An event's line is bounded; the rest is cut, not kept.
        let room = (64usize << 10).saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&b[..b.len().min(room)]);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.to.write_line(one_line(&self.buf).as_bytes());
        }
    }
}

/// An event's text as exactly one line: control characters inside it
/// (a newline too) are written escaped, e.g. `\n`, `\u{1b}`.
pub(crate) fn one_line(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// One log line a minute for a flood of alike things: the first is
/// written, the rest of the minute only counted, and the count said with
/// the next line (or by [`LogBudget::flush`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogBudget {
    last: Option<Millis>,
    held: u64,
}

impl LogBudget {
    /// Some(how many were held back since the last line) when a line may
    /// be written now; None when this one is only counted.
    pub fn allow(&mut self, now: Millis) -> Option<u64> {
        match self.last {
            Some(t) if now >= t && now - t < MINUTE => {
                self.held = self.held.saturating_add(1);
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held))
            }
        }
    }

    /// The count held back, once its minute is over.
    pub fn flush(&mut self, now: Millis) -> Option<u64> {
        let due = self.held > 0 && self.last.is_none_or(|t| now < t || now - t >= MINUTE);
        due.then(|| {
            self.last = Some(now);
            std::mem::take(&mut self.held)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_log<F: FnOnce()>(log: &LogFile, f: F) {
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(log.clone())
            .finish();
        tracing::subscriber::with_default(sub, f);
    }

    #[test]
    fn a_newline_from_outside_cannot_start_a_log_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        let log = LogFile::open(&path, MAX_LOG).unwrap();
        let evil = "x\n2030-01-01T00:00:00Z ERROR fleettop: forged\r\x1b[2J";
        with_log(&log, || {
            tracing::warn!(source = %evil, "bad event: {evil}");
            tracing::info!("second");
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("x\\n2030-01-01T00:00:00Z ERROR fleettop: forged\\r\\u{1b}[2J"));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn the_log_is_private_and_rotated_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        // Made world-readable before: opened, it is the user's alone.
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = LogFile::open(&path, 1000).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        with_log(&log, || {
            for i in 0..100 {
                tracing::info!("line {i} {}", "y".repeat(50));
            }
        });
        let numbered = |n: usize| dir.path().join(format!("f.log.{n}"));
        for p in [path.clone(), numbered(1), numbered(2)] {
            assert!(std::fs::metadata(&p).unwrap().len() <= 1000, "{}", p.display());
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        assert!(!numbered(3).exists(), "only {KEEP} old logs are kept");
        assert!(std::fs::read_to_string(&path).unwrap().contains("line 99 "));
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1 + KEEP);
    }

    #[test]
    fn a_flood_is_one_line_a_minute_with_a_count() {
        let mut b = LogBudget::default();
        assert_eq!(b.allow(0), Some(0));
        for t in 1..1000 {
            assert_eq!(b.allow(t * 10), None);
        }
        assert_eq!(b.flush(30_000), None, "not before the minute is over");
        assert_eq!(b.flush(60_000), Some(999));
        assert_eq!(b.flush(60_001), None);
        assert_eq!(b.allow(60_002), None);
        assert_eq!(b.allow(120_000), Some(1));
    }
}
