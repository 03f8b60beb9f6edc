//! Where a check runs: on this machine ([`Reach::Local`], direct file and
//! `/proc` reads and fixed programs, no shell) or on a host over its one
//! SSH connection ([`Reach::Ssh`], fixed scripts whose values come on
//! standard input). The operations a check needs — a runlog's new lines, a
//! heartbeat's and a log's times, a systemd unit with its journal, the
//! failed units, a file's age, the processes matching a pattern — have one
//! implementation each way ([`local`], [`ssh`]); the checks themselves
//! (`agents`, `services::{systemd, files}`) are written once against them.

pub(crate) mod local;
pub(crate) mod ssh;

use crate::config::ProcessService;
use crate::parse::systemctl;
use crate::sources::agents::Line;
use crate::sources::agents_remote::{FileTime, RemoteRunlog};
use crate::sources::services::files::Found;
use crate::update::agents::AgentUpdate;
use local::Follower;
use std::time::Duration;

/// This machine, or an SSH host by its `[[hosts]]` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    Local,
    Ssh(ssh::Remote),
}

/// A runlog followed like `tail -F`, here or on a host.
pub(crate) enum Runlog {
    Local {
        file: Box<Follower>,
        /// Nothing read yet: what the file holds is history.
        backlog: bool,
    },
    Ssh {
        host: ssh::Remote,
        path: String,
        log: RemoteRunlog,
    },
}

impl Runlog {
    /// The complete lines that appeared since the last poll, and whether
    /// they are history (the backlog found at start).
    pub(crate) async fn poll(&mut self) -> Result<(Vec<Line>, bool), String> {
        match self {
            Runlog::Local { file, backlog } => {
                // A runlog that does not exist yet has no backlog either.
                let history = std::mem::replace(backlog, false);
                file.poll().map(|lines| (lines, history)).map_err(|e| e.to_string())
            }
            Runlog::Ssh { host, path, log } => log.poll(&host.links, &host.name, path).await,
        }
    }
}

impl Reach {
    /// A path as the checks name it: `/x` here, `host:/x` on a host (where
    /// a `~/` is the remote user's home).
    pub(crate) fn place(&self, path: &str) -> String {
        match self {
            Reach::Local => crate::config::expand_tilde(path).display().to_string(),
            Reach::Ssh(host) => format!("{}:{path}", host.name),
        }
    }

    /// The host's name for a row's source, when it is not this machine.
    pub(crate) fn host(&self) -> Option<&str> {
        match self {
            Reach::Local => None,
            Reach::Ssh(host) => Some(&host.name),
        }
    }

    /// Starts following the runlog at `path`.
    pub(crate) fn runlog(&self, path: &str) -> Runlog {
        match self {
            Reach::Local => Runlog::Local {
                file: Box::new(Follower::new(crate::config::expand_tilde(path))),
                backlog: true,
            },
            Reach::Ssh(host) => Runlog::Ssh {
                host: host.clone(),
                path: path.to_string(),
                log: RemoteRunlog::default(),
            },
        }
    }

    /// A heartbeat file's time (its JSON `field`, or its mtime) and a log's
    /// mtime, in this machine's clock; `None` for what is not asked.
    pub(crate) async fn file_times(
        &self,
        heartbeat: Option<&str>,
        field: Option<&str>,
        log: Option<&str>,
    ) -> (Option<FileTime>, Option<FileTime>) {
        match self {
            Reach::Local => local::file_times(heartbeat, field, log),
            Reach::Ssh(host) => ssh::file_times(host, heartbeat, field, log).await,
        }
    }

    /// `unit`'s state, its timer's, and the journal of its last run once
    /// that run has ended and is not `last` (which is then updated).
    pub(crate) async fn unit(&self, agent: &str, unit: &str, last: &mut String) -> AgentUpdate {
        match self {
            Reach::Local => local::unit(agent, unit, last).await,
            Reach::Ssh(host) => ssh::unit(host, agent, unit, last).await,
        }
    }

    /// The failed systemd units.
    pub(crate) async fn failed_units(&self) -> Result<Vec<systemctl::Unit>, String> {
        match self {
            Reach::Local => crate::sources::services::systemd::failed_units().await,
            Reach::Ssh(host) => ssh::failed_units(host).await,
        }
    }

    /// Every service's restarts and the journal's error lines per unit.
    pub(crate) async fn unit_stats(&self) -> Result<systemctl::Stats, String> {
        match self {
            Reach::Local => crate::sources::services::systemd::unit_stats().await,
            Reach::Ssh(host) => ssh::unit_stats(host).await,
        }
    }

    /// A file's age (`Ok(None)`: missing) by the clock where it is; the
    /// outer error: the host did not answer.
    pub(crate) async fn file_age(&self, path: &str) -> Result<Result<Option<Duration>, String>, String> {
        match self {
            Reach::Local => Ok(local::file_age(path)),
            Reach::Ssh(host) => ssh::file_age(host, path).await,
        }
    }

    /// The processes whose command line holds the check's pattern, with
    /// their users and (when the check names one) executables.
    pub(crate) async fn processes(&self, cfg: &ProcessService) -> Result<Found, String> {
        match self {
            Reach::Local => local::processes(cfg).await,
            Reach::Ssh(host) => ssh::processes(host, cfg).await,
        }
    }

    /// A file's first `max` bytes (a longer file is an error: it is not
    /// what a metric check reads); the outer error: the host did not answer.
    pub(crate) async fn read_file(&self, path: &str, max: usize) -> Result<Result<Vec<u8>, String>, String> {
        match self {
            Reach::Local => Ok(local::read_file(path, max).await),
            Reach::Ssh(host) => ssh::read_file(host, path, max).await,
        }
    }
}

#[cfg(test)]
mod tests;
