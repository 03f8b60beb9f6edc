//! The typed shape of `config.toml` (config.toml.example shows every key). Every struct refuses unknown
//! keys so a typo is an error with a line and column, never silently ignored.

use super::duration::Dur;
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// A secret from the config: never printed, logged or put in a snapshot.
#[derive(Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub ui: Ui,
    pub fleet: Fleet,
    pub hosts: Vec<Host>,
    pub services: Services,
    pub nats: Vec<Nats>,
    pub agents: Agents,
    pub alerts: Alerts,
}

pub use crate::prefs::GlyphMode;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    pub theme: Spanned<String>,
    pub tab: crate::tab::Tab,
    pub rotate_secs: u64,
    pub ticker_fps: Spanned<u32>,
    pub glyphs: GlyphMode,
    /// No action that changes anything (container restart) is offered.
    pub read_only: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            theme: Spanned::new(0..0, "default".into()),
            tab: crate::tab::Tab::Fleet,
            rotate_secs: 0,
            ticker_fps: Spanned::new(0..0, 12),
            glyphs: GlyphMode::Auto,
            read_only: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Discover {
    #[default]
    None,
    Nats,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Fleet {
    pub discover: Discover,
    pub nats: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum GpuMode {
    #[default]
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Optional for the local host (defaults to the machine's hostname).
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub local: bool,
    #[serde(default)]
    pub ssh: Option<Spanned<String>>,
    #[serde(default)]
    pub identity_file: Option<String>,
    #[serde(default)]
    pub known_hosts: Option<String>,
    #[serde(default)]
    pub accept_new_host_keys: bool,
    #[serde(default)]
    pub nats: bool,
    #[serde(default)]
    pub sessions: Vec<String>,
    #[serde(default)]
    pub gpu: GpuMode,
    #[serde(default)]
    pub metrics_url: Option<Spanned<String>>,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Not a key: the `process` patterns of the daemons on this host, which
    /// its process table keeps even when trimmed to its top processes.
    #[serde(skip)]
    pub keep_processes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Services {
    pub http: Vec<HttpService>,
    pub tcp: Vec<TcpService>,
    pub docker: Vec<DockerService>,
    pub systemd: Vec<SystemdService>,
    pub freshness: Vec<FreshnessService>,
    pub process: Vec<ProcessService>,
    pub syncthing: Vec<SyncthingService>,
    pub launchd: Vec<LaunchdService>,
    pub metric: Vec<super::metric::MetricService>,
}

impl Services {
    pub fn count(&self) -> usize {
        self.http.len()
            + self.tcp.len()
            + self.docker.len()
            + self.systemd.len()
            + self.freshness.len()
            + self.process.len()
            + self.syncthing.len()
            + self.launchd.len()
            + self.metric.len()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ExpectStatus {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpService {
    pub name: String,
    pub url: Spanned<String>,
    #[serde(default)]
    pub expect_status: Option<ExpectStatus>,
    #[serde(default)]
    pub body_contains: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    /// An https check warns when its certificate expires within this many
    /// days (default 14).
    #[serde(default)]
    pub cert_warn_days: Option<Spanned<u32>>,
    /// A PEM file of extra trusted roots (a private CA); `~` is expanded.
    #[serde(default)]
    pub ca_file: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpService {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerService {
    pub name: String,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Per container (by name): the checks or daemons it needs.
    #[serde(default)]
    pub depends_on: std::collections::BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemdService {
    pub host: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// An active unit with at least this many error lines a minute in its
    /// journal (over the last 5 minutes) is a warning; 0: never. Default 5.
    #[serde(default)]
    pub journal_errors_per_min: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshnessService {
    pub name: String,
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    pub path: String,
    pub max_age: Dur,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessService {
    pub name: String,
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    pub pattern: String,
    /// Only processes of this user (a name or a uid) count.
    #[serde(default)]
    pub user: Option<String>,
    /// Only processes running this executable (an absolute path) count.
    #[serde(default)]
    pub exe: Option<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncthingService {
    pub name: String,
    pub url: Spanned<String>,
    #[serde(default)]
    pub api_key: Option<Secret>,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchdService {
    pub host: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// One label prefix or a list; none: every job the SSH user's
    /// `launchctl list` shows.
    #[serde(default)]
    pub label_prefix: Option<LabelPrefix>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Where the jobs' plists are (absolute, or `~/` for the SSH user's
    /// home); none: [`crate::config::launchd::DEFAULT_PLIST_DIRS`].
    #[serde(default)]
    pub plist_dirs: Option<Spanned<Vec<String>>>,
}

/// `label_prefix`: a string, or a list of them.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum LabelPrefix {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nats {
    pub name: Spanned<String>,
    #[serde(default)]
    pub monitor_url: Option<Spanned<String>>,
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub creds: Option<String>,
    #[serde(default)]
    pub token: Option<Secret>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub subscribe: Vec<String>,
    #[serde(default)]
    pub publish_prefix: Option<String>,
    #[serde(default = "default_ack_pending_warn")]
    pub ack_pending_warn: u64,
    /// A server that has not answered since start is "not configured here",
    /// not a problem (the embedded default looks for a local server).
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
}

fn default_ack_pending_warn() -> u64 {
    1000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Agents {
    pub nats: Option<Spanned<String>>,
    pub subjects: Vec<String>,
    pub replay: Dur,
    /// Rows for agents the config does not name, made from their events.
    pub discover: bool,
    /// At most this many of them; the rest are counted.
    pub max_discovered: usize,
    pub daemon: Vec<Daemon>,
}

impl Default for Agents {
    fn default() -> Self {
        Agents {
            nats: None,
            subjects: Vec::new(),
            replay: Dur::secs(24 * 3600),
            discover: true,
            max_discovered: 200,
            daemon: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Daemon {
    pub name: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub schedule: Option<super::schedule::Schedule>,
    #[serde(default)]
    pub runlog: Option<String>,
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    #[serde(default)]
    pub process: Option<String>,
    #[serde(default)]
    pub log_path: Option<String>,
    #[serde(default)]
    pub log_max_age: Option<Dur>,
    #[serde(default)]
    pub systemd_unit: Option<String>,
    #[serde(default)]
    pub heartbeat_file: Option<String>,
    #[serde(default)]
    pub heartbeat_field: Option<String>,
    #[serde(default)]
    pub heartbeat_max_age: Option<Dur>,
    /// Names of checks or daemons this one needs: while one of them is
    /// failing, this one is "blocked by" it and raises nothing of its own.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    /// The zone its cron schedule is read in; the viewer's when not given.
    #[serde(default)]
    pub tz: Option<super::schedule::Zone>,
    /// A run longer than this counts as a timeout.
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// How late a run may be before it counts as missed (default: a tenth
    /// of the schedule's interval, at least a minute).
    #[serde(default)]
    pub grace: Option<Dur>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    pub event_ttl: Dur,
    pub offline_critical_after: Dur,
    pub disk_warn_pct: Spanned<f64>,
    pub disk_critical_pct: Spanned<f64>,
    /// How long a disk must stay above `disk_critical_pct` before it is
    /// critical (a fleettop extension; 0s = at once).
    pub disk_critical_after: Dur,
    pub agent_fail_streak_critical: u32,
    pub webhook_url: Option<Secret>,
    /// The body the webhook gets: fleettop's event JSON or a service's shape.
    pub webhook_format: WebhookFormat,
}

/// `alerts.webhook_format`: what the service at `webhook_url` accepts.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// fleettop's own event JSON (docs/events.md).
    #[default]
    Json,
    Discord,
    Slack,
    Ntfy,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            event_ttl: Dur::secs(300),
            offline_critical_after: Dur::secs(300),
            disk_warn_pct: Spanned::new(0..0, 80.0),
            disk_critical_pct: Spanned::new(0..0, 90.0),
            disk_critical_after: Dur::secs(0),
            agent_fail_streak_critical: 3,
            webhook_url: None,
            webhook_format: WebhookFormat::Json,
        }
    }
}
