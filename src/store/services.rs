//! The Services tab's state: one row per check (an HTTP URL, a TCP port, a
//! container, a failed unit, a file's freshness, a process, a Syncthing
//! folder, a launchd job), each with its last 60 results. Here the types;
//! `apply` takes updates, `observe` holds the rules, `configured` makes the
//! rows the config asks for, `container` reads Docker's words.

use crate::model::Millis;
use crate::update::services::{ContainerInfo, DockerCommand, Health, Kind, LOG_LINES, Row, ServiceUpdate};
use std::collections::{BTreeMap, VecDeque};
use tokio::sync::mpsc;

mod apply;
mod configured;
mod container;
mod launchd;
pub(crate) mod metric;
mod observe;

/// Results kept per row, for the sparkline and the drill-down.
pub const HISTORY: usize = 60;
/// A detail string is cut to this many characters.
const DETAIL_MAX: usize = 300;

/// One result of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub at: Millis,
    pub health: Health,
    pub latency_ms: Option<f64>,
    pub detail: String,
}

/// A row with its history.
#[derive(Debug, Clone)]
pub struct Service {
    pub row: Row,
    pub checked_at: Option<Millis>,
    pub history: VecDeque<CheckResult>,
}

/// Some slack on top of three intervals before a row counts as stale.
const STALE_SLACK_MS: i64 = 30_000;

impl Service {
    /// No new result for three intervals: the check itself is stuck.
    pub fn stale(&self, now: Millis) -> bool {
        let every = self.row.every_ms;
        every > 0
            && self
                .checked_at
                .is_some_and(|at| now.saturating_sub(at) > every.saturating_mul(3).saturating_add(STALE_SLACK_MS))
    }

    pub(crate) fn latencies(&self) -> Vec<f64> {
        self.history.iter().map(|r| r.latency_ms.unwrap_or(0.0)).collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServicesState {
    /// In the order they first appeared (config order for configured checks).
    pub rows: Vec<Service>,
    /// Which scope each row belongs to (for `Set`).
    scopes: BTreeMap<String, String>,
    commands: BTreeMap<String, mpsc::Sender<DockerCommand>>,
    /// How many results in a row every member of a group must have failed
    /// for the group to be critical: 2 when watching (two rounds agree),
    /// 1 for `snapshot` and `check`, which see one round.
    pub group_rounds: usize,
    /// `alerts.offline_critical_after`: a keepalive launchd job down or
    /// crash-looping this long is critical.
    pub(crate) critical_after_ms: i64,
    /// `depends_on`: dependent → the cause blocking it (see `store::depends`).
    pub(crate) blocked: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests;
