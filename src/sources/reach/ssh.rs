//! The operations over an SSH host's one connection: fixed scripts (in
//! [`crate::sources::agents_remote`] and [`crate::sources::services::remote`],
//! beside the parsers of their answers), values on standard input, output
//! bounded and sanitised. [`run`] is the one place a host's link is reached.

use crate::config::ProcessService;
use crate::model::now_millis;
use crate::parse::systemctl::{self, SHOW_PROPERTIES};
use crate::sources::agents::timer_of;
use crate::sources::agents_remote::{
    FILES_SCRIPT, FileTime, MAX_HEARTBEAT, UNIT_SCRIPT, WITHIN, files_answer, unit_answer, valid_unit,
};
use crate::sources::services::DEFAULT_TIMEOUT;
use crate::sources::services::files::Found;
use crate::sources::services::remote::{self as scripts, candidates, fill_exes};
use crate::sources::ssh::{Links, Output};
use crate::update::agents::{AgentUpdate, MAX_OUTPUT};
use std::time::Duration;

/// A host reached over its SSH link: its `[[hosts]]` name and the app's
/// links (see [`crate::sources::Handles`]).
#[derive(Clone)]
pub(crate) struct Remote {
    pub(crate) name: String,
    pub(crate) links: Links,
}

impl Remote {
    pub(crate) fn new(name: impl Into<String>, links: &Links) -> Remote {
        Remote {
            name: name.into(),
            links: links.clone(),
        }
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
impl From<&str> for Remote {
    fn from(name: &str) -> Remote {
        Remote::new(name, &Links::default())
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for Remote {
    fn eq(&self, other: &Remote) -> bool {
        self.name == other.name
    }
}

impl Eq for Remote {}

/// More than a service check needs; a host printing more is cut and says so.
const MAX: usize = 4 << 20;

/// Runs `script` on `host` with `args` as lines on its standard input, its
/// output bounded by `max`, within `within`.
pub(crate) async fn run(
    host: &Remote,
    script: &str,
    args: &[&str],
    max: usize,
    within: Duration,
) -> Result<Output, String> {
    host.links.run(&host.name, script, args, max, within).await
}

/// Runs a service check's `script` on `host` and hands back its output, or
/// the words for the row when there is none.
pub(crate) async fn check(host: &Remote, script: &str, args: &[&str]) -> Result<Output, String> {
    let out = run(host, script, args, MAX, DEFAULT_TIMEOUT).await?;
    if out.cut {
        tracing::warn!(host = host.name, "a check printed more than {} MiB: cut", MAX >> 20);
    }
    Ok(out)
}

/// A heartbeat file's and a log's times (see [`super::Reach::file_times`]).
pub(crate) async fn file_times(
    host: &Remote,
    heartbeat: Option<&str>,
    field: Option<&str>,
    log: Option<&str>,
) -> (Option<FileTime>, Option<FileTime>) {
    let hb = heartbeat.unwrap_or_default();
    let log = log.unwrap_or_default();
    let field = field.filter(|_| !hb.is_empty());
    let text = if field.is_some() { "1" } else { "0" };
    let (hb_at, log_at) = match run(host, FILES_SCRIPT, &[hb, text, log], MAX_HEARTBEAT + 4096, WITHIN).await {
        Ok(o) => files_answer(&o.text, field, now_millis()),
        Err(e) => (Some(Err(e.clone())), Some(Err(e))),
    };
    let hb_at = hb_at.filter(|_| !hb.is_empty());
    let log_at = log_at.filter(|_| !log.is_empty());
    (
        hb_at.map(|at| at.map_err(|e| format!("heartbeat {host}:{hb}: {e}"))),
        log_at.map(|at| at.map_err(|e| format!("log {host}:{log}: {e}"))),
    )
}

/// A unit, its timer and the journal of its last run (see
/// [`super::Reach::unit`]).
pub(crate) async fn unit(host: &Remote, agent: &str, unit: &str, last_invocation: &mut String) -> AgentUpdate {
    let failed = |e| AgentUpdate::Unit {
        agent: agent.to_string(),
        unit: Err(e),
        timer: None,
        journal: None,
    };
    if let Err(e) = valid_unit(unit) {
        return failed(e);
    }
    let timer = timer_of(unit).unwrap_or_default();
    let max = MAX_OUTPUT.to_string();
    let args = [unit, &timer, last_invocation, SHOW_PROPERTIES, &max];
    let u = match run(host, UNIT_SCRIPT, &args, 2 * MAX_OUTPUT + 65536, WITHIN).await {
        Ok(o) => unit_answer(agent, &host.name, unit, &o.text),
        Err(e) => failed(format!("systemd {host}:{unit}: {e}")),
    };
    // The script reads an invocation's journal once it has ended.
    if let AgentUpdate::Unit {
        unit: Ok(u), journal, ..
    } = &u
        && (u.exited_at.is_some() || journal.is_some())
    {
        *last_invocation = u.invocation.clone();
    }
    u
}

/// The failed units on `host`.
pub(crate) async fn failed_units(host: &Remote) -> Result<Vec<systemctl::Unit>, String> {
    check(host, scripts::FAILED_UNITS, &[])
        .await
        .and_then(|o| scripts::failed_units(&o))
}

/// Every service's restarts and the journal's error lines per unit.
pub(crate) async fn unit_stats(host: &Remote) -> Result<systemctl::Stats, String> {
    check(host, scripts::UNIT_STATS, &[])
        .await
        .and_then(|o| scripts::unit_stats(&o))
}

/// A file's age by the host's own clock.
pub(crate) async fn file_age(host: &Remote, path: &str) -> Result<Result<Option<Duration>, String>, String> {
    check(host, scripts::FILE_AGE, &[path])
        .await
        .map(|o| scripts::file_age(&o))
}

/// The host's answer for a process check: its processes, and, when the
/// check names an executable, theirs.
pub(crate) async fn processes(host: &Remote, cfg: &ProcessService) -> Result<Found, String> {
    let o = check(host, scripts::PROCESSES, &[cfg.user.as_deref().unwrap_or("")]).await?;
    if o.exit_status != Some(0) {
        return Err("ps failed on this host".into());
    }
    let mut found = candidates(&o, &cfg.pattern);
    if cfg.exe.is_some() && !found.procs.is_empty() {
        let pids: Vec<String> = found.procs.iter().map(|c| c.pid.to_string()).collect();
        // Unreadable, every one stays "not verified".
        if let Ok(o) = check(host, scripts::EXES, &[&pids.join(" ")]).await {
            fill_exes(&mut found, &o);
        }
    }
    Ok(found)
}

/// A file's first `max` bytes on `host` (see [`super::Reach::read_file`]).
pub(crate) async fn read_file(host: &Remote, path: &str, max: usize) -> Result<Result<Vec<u8>, String>, String> {
    use crate::sources::services::metric::{READ_FILE, read_file_answer};
    let limit = max.saturating_add(1).to_string();
    let o = run(
        host,
        READ_FILE,
        &[path, &limit],
        max.saturating_add(64),
        DEFAULT_TIMEOUT,
    )
    .await?;
    Ok(read_file_answer(&o, max))
}
