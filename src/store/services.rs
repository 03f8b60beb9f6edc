//! The Services tab's state: one row per check (an HTTP URL, a TCP port, a
//! container, a failed unit, a file's freshness, a process, a Syncthing
//! folder, a launchd job), each with its last 60 results. Here the types;
//! `apply` takes updates, `observe` holds the rules, `configured` makes the
//! rows the config asks for, `container` reads Docker's words.

use crate::model::Millis;
use std::collections::{BTreeMap, VecDeque};
use tokio::sync::mpsc;

mod apply;
mod configured;
mod container;
mod observe;

pub use container::container_health;

/// Results kept per row, for the sparkline and the drill-down.
pub const HISTORY: usize = 60;
/// Log lines kept for a container's drill-down.
pub const LOG_LINES: usize = 200;
/// A detail string is cut to this many characters.
const DETAIL_MAX: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Http,
    Tcp,
    Container,
    Systemd,
    Freshness,
    Process,
    Syncthing,
    Launchd,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Container => "docker",
            Kind::Systemd => "systemd",
            Kind::Freshness => "freshness",
            Kind::Process => "process",
            Kind::Syncthing => "syncthing",
            Kind::Launchd => "launchd",
        }
    }
}

/// How a row is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Health {
    #[default]
    Unknown,
    Ok,
    Warn,
    Error,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Warn => "warn",
            Health::Error => "error",
        }
    }
    /// Worst first.
    pub fn rank(self) -> u8 {
        match self {
            Health::Error => 0,
            Health::Warn => 1,
            Health::Unknown => 2,
            Health::Ok => 3,
        }
    }
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub at: Millis,
    pub health: Health,
    pub latency_ms: Option<f64>,
    pub detail: String,
}

/// What Docker says about a container, beyond its row's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerInfo {
    pub endpoint: String,
    pub id: String,
    pub image: String,
    /// created, running, restarting, exited, paused, dead …
    pub state: String,
    /// healthy, unhealthy, starting, or empty when there is no health check.
    pub health: String,
    pub restart_count: i64,
    /// The restart count when fleettop first saw the container (for "+N").
    pub restart_base: i64,
    pub exit_code: Option<i64>,
    /// Milliseconds since the epoch.
    pub started_at: Option<Millis>,
    pub ports: String,
    /// Inspect details for the drill-down: (field, value).
    pub fields: Vec<(String, String)>,
    pub logs: Vec<String>,
    /// The last action's result, in words.
    pub action: Option<String>,
}

/// What one row of the tab is made of, as a source sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Unique across the tab: "http:litellm", "docker:local/web", …
    pub key: String,
    pub kind: Kind,
    pub name: String,
    /// Where: a host, a Docker endpoint, a Syncthing instance.
    pub source: String,
    pub group: Option<String>,
    pub health: Health,
    pub detail: String,
    pub latency_ms: Option<f64>,
    pub container: Option<ContainerInfo>,
    /// How often the source checks (0: no expectation); a row with no
    /// result for three of these is stale.
    pub every_ms: i64,
}

impl Row {
    pub fn new(
        key: impl Into<String>,
        kind: Kind,
        name: impl Into<String>,
        health: Health,
        detail: impl Into<String>,
    ) -> Self {
        Row {
            key: key.into(),
            kind,
            name: name.into(),
            source: String::new(),
            group: None,
            health,
            detail: detail.into(),
            latency_ms: None,
            container: None,
            every_ms: 0,
        }
    }
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

    pub fn latencies(&self) -> Vec<f64> {
        self.history.iter().map(|r| r.latency_ms.unwrap_or(0.0)).collect()
    }
}

/// Commands the app can give a Docker source.
#[derive(Debug, Clone, PartialEq)]
pub enum DockerCommand {
    Restart {
        key: String,
        id: String,
    },
    /// Fetch inspect details and the last log lines for the drill-down.
    Details {
        key: String,
        id: String,
    },
}

/// What a services source sends.
#[derive(Debug, Clone)]
pub enum ServiceUpdate {
    /// One row's new result.
    Result(Box<Row>),
    /// Every row of `scope` (a Docker endpoint, a host's failed units, a
    /// Syncthing instance, a launchd host): rows not in `rows` go away.
    Set { scope: String, rows: Vec<Row> },
    /// A Docker endpoint is connected; it takes commands here.
    DockerReady {
        endpoint: String,
        commands: mpsc::Sender<DockerCommand>,
    },
    /// Inspect details and logs for a container's drill-down.
    ContainerDetails {
        key: String,
        fields: Vec<(String, String)>,
        logs: Vec<String>,
    },
    /// What an action on a container did.
    ActionResult { key: String, ok: bool, message: String },
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
}

#[cfg(test)]
mod tests;
