//! The machine read by running the probe script with a local `sh`, as an
//! SSH host's is read: on a Mac (no `/proc`), the Darwin commands, parsed
//! by the same parsers into a sample by the same tracker.

use crate::model::{HostSample, Millis};
use crate::parse::probe;
use crate::sources::ssh::{MAX_OUTPUT, Tracker};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// Runs the probe; kept between samples (the tracker's previous one).
pub(crate) struct ScriptScanner {
    tracker: Tracker,
    /// The PATH the script runs with; the inherited one when None.
    path: Option<OsString>,
}

impl ScriptScanner {
    pub(crate) fn new(sessions: Vec<String>, path: Option<&OsStr>) -> Self {
        ScriptScanner {
            tracker: Tracker::new(sessions),
            path: path.map(OsStr::to_os_string),
        }
    }

    /// One sample (blocking: `top` takes a second). What the script could
    /// not give is an error in the sample's `parse_errors`, or an empty
    /// sample when it gave nothing usable.
    pub(crate) fn sample(&mut self, at: Millis) -> Result<HostSample, String> {
        let marker = probe::marker();
        let text = run(&probe::stdin(&marker, false), self.path.as_deref())?;
        let parsed = probe::parse(&text, &marker);
        if parsed.errors > 0 {
            tracing::debug!(errors = parsed.errors, first = ?parsed.first_error, "local probe output");
        }
        self.tracker
            .sample(parsed.value, parsed.errors, at, true)
            .map_err(|e| e.to_string())
    }
}

/// `sh` reading `script`; its output up to [`MAX_OUTPUT`].
fn run(script: &str, path: Option<&OsStr>) -> Result<String, String> {
    let mut cmd = Command::new("sh");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let mut child = cmd.spawn().map_err(|e| format!("sh: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).map_err(|e| format!("sh: {e}"))?;
    }
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_OUTPUT as u64)
            .read_to_end(&mut out)
            .map_err(|e| format!("sh: {e}"))?;
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(String::from_utf8_lossy(&out).into_owned())
}
