//! What a services source sends: check rows, Docker's containers, and the
//! commands a Docker source takes.

use crate::model::Millis;
use tokio::sync::mpsc;

/// Log lines kept for a container's drill-down.
pub const LOG_LINES: usize = 200;

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
    Metric,
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
            Kind::Metric => "metric",
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
    pub(crate) fn rank(self) -> u8 {
        match self {
            Health::Error => 0,
            Health::Warn => 1,
            Health::Unknown => 2,
            Health::Ok => 3,
        }
    }
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
    /// A metric check's reading (and what the store keeps of it).
    pub metric: Option<Box<super::metric::MetricInfo>>,
    /// A launchd job's audit (its plist, cohort, cause, error log tail).
    pub launchd: Option<Box<crate::parse::launchctl::Audit>>,
    /// A count whose every rise is an event, and what it counts: a
    /// Syncthing folder's conflict files, a unit's restarts.
    pub rising: Option<(i64, &'static str)>,
    /// An https check: when the server's certificate expires.
    pub cert_expires_at: Option<crate::model::Millis>,
    /// A systemd unit's restarts and journal error rate, where known.
    pub unit_stats: Option<UnitStats>,
}

/// What a systemd unit's row knows beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UnitStats {
    /// systemd's `NRestarts` (automatic restarts since the unit was loaded).
    pub restarts: Option<i64>,
    /// Error lines (priority err and worse) a minute, over the last 5 minutes.
    pub journal_errors_per_min: Option<f64>,
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
            metric: None,
            launchd: None,
            rising: None,
            cert_expires_at: None,
            unit_stats: None,
        }
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

/// A container's row health from Docker's words.
pub fn container_health(state: &str, health: &str, exit_code: Option<i64>) -> (Health, String) {
    match (state, health) {
        (_, "unhealthy") => (Health::Error, "unhealthy".into()),
        ("restarting", _) => (Health::Warn, "restarting".into()),
        ("exited", _) | ("dead", _) => match exit_code {
            Some(0) => (Health::Ok, "exited (0)".into()),
            Some(c) => (Health::Error, format!("exited ({c})")),
            None => (Health::Error, state.to_string()),
        },
        ("running", "starting") => (Health::Ok, "running, health starting".into()),
        ("running", "healthy") => (Health::Ok, "running, healthy".into()),
        ("running", _) => (Health::Ok, "running".into()),
        ("paused", _) => (Health::Warn, "paused".into()),
        ("created", _) => (Health::Unknown, "created".into()),
        (s, _) => (Health::Unknown, s.to_string()),
    }
}
