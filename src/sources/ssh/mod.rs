//! Remote hosts over SSH (russh): one persistent, verified connection per
//! host, reused for every poll; one fixed probe script
//! ([`probe::COMMAND`]) per poll, sent to `sh` on an exec channel with a
//! fresh marker that frames its output ([`probe`]).
//!
//! The server's host key is checked against `known_hosts` before anything
//! else: an unknown or changed key ends the handshake, so no authentication
//! is attempted, and the host shows `auth-error` with the offered
//! fingerprint. fleettop reads known_hosts itself
//! ([`known_hosts`]): `accept_new_host_keys =
//! true` records a key only for a host that has no line at all (a key of
//! another algorithm is a changed key; a revoked key is refused and never
//! recorded). A lost connection is made again with exponential backoff and
//! jitter; every connect and every poll is bounded by the host's `timeout`.
//!
//! At scale: hosts poll on turns of their own ([`Schedule`]); in the TUI a
//! host keeps only its top processes unless its drill-down is open
//! ([`Tables`]); other sources run their fixed scripts on the same
//! connection ([`Links`]). Both are handles of the app's
//! [`Handles`](super::Handles), never process-wide.
//!
//! A host whose `uname -s` says Darwin runs the Darwin probe instead
//! (chosen inside the same script, [`crate::parse::darwin`]); `darwin`
//! makes its sample.
//!
//! Files: `verify` (host key, login), `exec` (one command on a channel),
//! `links` (the shared connections), `tables` (whose table is whole),
//! `tracker` (a sample from two probes), `schedule` (turns and backoff).

mod darwin;
mod exec;
mod links;
mod schedule;
mod tables;
mod tracker;
mod verify;

pub use exec::Output;
pub use links::Links;

pub use schedule::{Backoff, Schedule};
pub use tables::{TOP_PROCESSES, Tables, top};
pub use tracker::Tracker;

use super::Ctx;
use crate::config::{GpuMode, Host, expand_tilde, parse_ssh_target};
use crate::model::HostSample;
use crate::parse::probe;
use crate::update::{SourceError, Update};
use exec::{ExecError, exec};
use links::{Link, SHARED_CHANNELS};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verify::{Conn, connect};

/// A host that prints more than this per poll is cut off here.
pub const MAX_OUTPUT: usize = 8 * 1024 * 1024;

/// Everything a host's task needs to connect, from its `[[hosts]]` entry.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub accept_new_host_keys: bool,
    pub interval: Duration,
    pub timeout: Duration,
    pub sessions: Vec<String>,
    pub gpu: bool,
    /// Processes kept in a trimmed table: the host's daemons' patterns.
    pub keep: Vec<String>,
}

impl Target {
    pub(crate) fn from_host(h: &Host) -> Result<Self, String> {
        let ssh = h.ssh.as_ref().ok_or("not an ssh host")?;
        let (user, host, port) = parse_ssh_target(ssh.get_ref())?;
        let known_hosts = h
            .known_hosts
            .as_deref()
            .map(expand_tilde)
            .unwrap_or_else(|| expand_tilde("~/.ssh/known_hosts"));
        Ok(Target {
            name: h.display_name(),
            user,
            host,
            port,
            identity_file: h.identity_file.as_deref().map(expand_tilde),
            known_hosts,
            accept_new_host_keys: h.accept_new_host_keys,
            interval: h
                .interval
                .map_or(Duration::from_secs(5), |d| d.0.max(Duration::from_millis(250))),
            timeout: h
                .timeout
                .map_or(Duration::from_secs(4), |d| d.0.max(Duration::from_millis(100))),
            sessions: h.sessions.clone(),
            gpu: h.gpu != GpuMode::Off,
            keep: h.keep_processes.clone(),
        })
    }
}

/// One poll: (re)connect when needed, run the probe, parse it.
async fn poll(
    links: &Links,
    conn: &mut Option<Arc<Conn>>,
    t: &Target,
    tracker: &mut Tracker,
    whole: bool,
) -> Result<HostSample, SourceError> {
    if conn.as_ref().is_some_and(|c| c.is_closed()) {
        *conn = None;
    }
    if conn.is_none() {
        let c = match tokio::time::timeout(t.timeout, connect(t)).await {
            Ok(c) => Arc::new(c?),
            Err(_) => {
                return Err(SourceError::Unreachable(format!(
                    "timed out after {}",
                    humantime::format_duration(t.timeout)
                )));
            }
        };
        links.set(
            &t.name,
            Link::Up(c.clone(), Arc::new(tokio::sync::Semaphore::new(SHARED_CHANNELS))),
        );
        *conn = Some(c);
        tracing::info!(host = %t.name, "ssh connected to {}:{}", t.host, t.port);
    }
    let c = conn.as_ref().expect("set above");
    let marker = probe::marker();
    let script = probe::stdin(&marker, t.gpu);
    let started = Instant::now();
    // A probe that hangs (df on a dead NFS mount) is the host's problem,
    // not the connection's: its channel is closed, the connection kept.
    let deadline = tokio::time::Instant::now() + t.timeout;
    let out = exec(c, probe::EXEC, script.as_bytes(), MAX_OUTPUT, deadline)
        .await
        .map_err(|e| match e {
            ExecError::NoAnswer => SourceError::Other(format!(
                "the probe gave no answer within {}",
                humantime::format_duration(t.timeout)
            )),
            ExecError::Ssh(e) => e,
        })?;
    let rtt = started.elapsed();
    if out.cut {
        tracing::warn!(host = %t.name, max = MAX_OUTPUT, "probe output cut at the bound");
    }
    let cut_words = |e: SourceError| match e {
        SourceError::Other(w) if out.cut => {
            SourceError::Other(format!("{w}: the host printed more than {} MiB, cut", MAX_OUTPUT >> 20))
        }
        e => e,
    };
    let parsed = probe::parse(&out.text, &marker);
    if parsed.errors > 0 {
        tracing::debug!(host = %t.name, errors = parsed.errors, first = ?parsed.first_error, "probe output");
    }
    let mut sample = tracker
        .sample(
            parsed.value,
            parsed.errors + usize::from(out.cut),
            crate::model::now_millis(),
            whole,
        )
        .map_err(cut_words)?;
    sample.poll_rtt_ms = Some(rtt.as_millis() as u64);
    Ok(sample)
}

/// A host's task: a probe every interval over one kept connection.
pub async fn run(host: Host, ctx: Ctx) {
    let t = match Target::from_host(&host) {
        Ok(t) => t,
        Err(e) => {
            ctx.send(Update::Host {
                name: host.display_name(),
                result: Err(SourceError::Other(e)),
            })
            .await;
            return;
        }
    };
    let seed = t.name.bytes().fold(crate::model::now_millis() as u64, |h, b| {
        h.rotate_left(5) ^ u64::from(b)
    });
    let mut backoff = Backoff::new(t.interval.min(Duration::from_secs(2)), seed);
    let mut schedule = Schedule::new(t.interval, seed);
    let mut conn: Option<Arc<Conn>> = None;
    let mut tracker = Tracker::new(t.sessions.clone());
    tracker.keep = t.keep.clone();
    let url = host.metrics_url.as_ref().map(|u| u.get_ref().clone());
    let mut metrics = super::inference::Scraper::ssh(url, &t.name, ctx.handles.ssh.clone(), t.timeout);
    loop {
        // connect and the probe are each bounded by the timeout; this is the
        // backstop over both.
        let whole = ctx.handles.tables.whole(&t.name);
        let probe = tokio::time::timeout(
            t.timeout * 2,
            poll(&ctx.handles.ssh, &mut conn, &t, &mut tracker, whole),
        );
        let (probed, page) = tokio::join!(probe, metrics.poll());
        let result = match probed {
            Ok(r) => r.map(|mut s| {
                super::inference::fill(&mut s, page);
                s
            }),
            Err(_) => Err(SourceError::Unreachable(format!(
                "timed out after {}",
                humantime::format_duration(t.timeout * 2)
            ))),
        };
        let now = tokio::time::Instant::now();
        // A sample, or a host that answered as one we cannot read: keep the
        // connection, ask again at its next turn.
        let answered = result.is_ok() || (matches!(result, Err(SourceError::Other(_))) && conn.is_some());
        let delay = match &result {
            Err(e) if !answered => {
                tracing::debug!(host = %t.name, "ssh: {e}");
                ctx.handles.ssh.set(&t.name, Link::Down(e.to_string()));
                if let Some(c) = conn.take() {
                    tokio::spawn(async move {
                        let _ = c.disconnect(russh::Disconnect::ByApplication, "", "en").await;
                    });
                }
                schedule.retry_in(now, backoff.next_delay().max(t.interval))
            }
            _ => {
                backoff.reset();
                schedule.after_poll(now)
            }
        };
        let result_ok = result.is_ok();
        if !ctx
            .send(Update::Host {
                name: t.name.clone(),
                result: result.map(Box::new),
            })
            .await
        {
            return;
        }
        // A host whose drill-down was just opened is polled at once for its
        // whole table (its turn stays).
        tokio::select! {
            going = ctx.wait(delay) => if !going { return },
            _ = ctx.handles.tables.until_whole(&t.name), if result_ok && !whole => {}
        }
    }
}
