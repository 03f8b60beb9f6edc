//! Configuration: where it is found, how it is parsed, and the checks that
//! turn a mistake into `PATH:LINE:COLUMN: message`.

pub(crate) mod depends;
pub mod duration;
pub mod file;
pub(crate) mod http;
pub(crate) mod launchd;
pub mod metric;
pub mod schedule;

pub(crate) use crate::prefs::{expand_tilde, line_col};
pub use duration::Dur;
pub use file::*;
pub use metric::{Equals, MetricService};

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The embedded default: monitors the machine it runs on.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Embedded,
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Embedded => "<embedded default>".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
    }
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub origin: Origin,
    pub warnings: Vec<String>,
}

/// The search order: `--config`, `$FLEETTOP_CONFIG`,
/// `$XDG_CONFIG_HOME/fleettop/config.toml`, the embedded default.
pub fn locate(cli: Option<&Path>) -> Origin {
    if let Some(p) = cli {
        return Origin::File(expand_tilde(&p.to_string_lossy()));
    }
    if let Some(p) = std::env::var_os("FLEETTOP_CONFIG").filter(|v| !v.is_empty()) {
        return Origin::File(expand_tilde(&p.to_string_lossy()));
    }
    if let Some(dir) = config_home() {
        let p = dir.join("fleettop").join("config.toml");
        if p.is_file() {
            return Origin::File(p);
        }
    }
    Origin::Embedded
}

fn config_home() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy().ok().map(|s| s.config_dir())
}

pub fn load(origin: Origin) -> Result<Loaded, Vec<ConfigError>> {
    let label = origin.label();
    let text = match &origin {
        Origin::Embedded => DEFAULT_CONFIG.to_string(),
        Origin::File(p) => std::fs::read_to_string(p).map_err(|e| {
            vec![ConfigError {
                path: label.clone(),
                line: 1,
                column: 1,
                message: format!("cannot read the config: {e}"),
            }]
        })?,
    };
    let mut config = parse_str(&text, &label)?;
    if origin == Origin::Embedded {
        add_what_answers(&mut config, &Probe::this_machine());
    }
    let mut warnings = Vec::new();
    if let Origin::File(p) = &origin
        && has_secrets(&config)
        && readable_by_others(p)
    {
        warnings.push(format!(
            "{label}: holds secrets but is readable by other users (chmod 600 {label})"
        ));
    }
    Ok(Loaded {
        config,
        origin,
        warnings,
    })
}

/// What the embedded default finds on this machine at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The local Docker engine's socket accepts a connection.
    pub docker: bool,
    /// systemd is the init system (`/run/systemd/system` exists, as
    /// `sd_booted()` checks).
    pub systemd: bool,
}

pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

impl Probe {
    pub(crate) fn this_machine() -> Self {
        #[cfg(unix)]
        let docker = std::os::unix::net::UnixStream::connect(DOCKER_SOCKET).is_ok();
        #[cfg(not(unix))]
        let docker = false;
        Probe {
            docker,
            systemd: Path::new("/run/systemd/system").is_dir(),
        }
    }
}

/// The embedded default watches the local Docker engine if its
/// socket answers and failed systemd units if systemd is there; sources
/// that are absent are not configured at all (so never errors).
pub(crate) fn add_what_answers(config: &mut Config, probe: &Probe) {
    if probe.docker {
        config.services.docker.push(DockerService {
            name: "docker".into(),
            endpoint: Some(format!("unix://{DOCKER_SOCKET}")),
            interval: None,
            depends_on: Default::default(),
        });
    }
    if probe.systemd
        && let Some(local) = config.hosts.iter().find(|h| h.local)
    {
        config.services.systemd.push(SystemdService {
            host: toml::Spanned::new(0..0, local.display_name()),
            name: None,
            interval: None,
            journal_errors_per_min: None,
        });
    }
}

#[cfg(unix)]
fn readable_by_others(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

fn has_secrets(c: &Config) -> bool {
    c.nats
        .iter()
        .any(|n| n.token.is_some() || n.password.is_some() || n.creds.is_some())
        || c.services.syncthing.iter().any(|s| s.api_key.is_some())
        || c.alerts.webhook_url.as_ref().is_some_and(|w| !w.0.is_empty())
}

/// Parse and validate; every error carries the file, line and column.
pub fn parse_str(text: &str, label: &str) -> Result<Config, Vec<ConfigError>> {
    let at = |span: Option<Range<usize>>, message: String| {
        let (line, column) = span.map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        ConfigError {
            path: label.to_string(),
            line,
            column,
            message,
        }
    };
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        vec![at(e.span(), message)]
    })?;
    let errors: Vec<ConfigError> = validate(&config)
        .into_iter()
        .chain(duplicate_names(text))
        .map(|(span, msg)| at(Some(span), msg))
        .collect();
    if errors.is_empty() {
        let mut config = config;
        keep_daemon_processes(&mut config);
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Each host's table keeps the processes its daemons' `process` checks
/// look for (a trimmed table would read an idle daemon as gone).
fn keep_daemon_processes(c: &mut Config) {
    for d in &c.agents.daemon {
        let Some(p) = &d.process else { continue };
        let host = c.hosts.iter_mut().find(|h| match &d.host {
            Some(n) => h.display_name() == *n.get_ref(),
            None => h.local,
        });
        if let Some(h) = host {
            h.keep_processes.push(p.to_lowercase());
        }
    }
}

type Problem = (Range<usize>, String);

/// Only the names of what has one, with where they are written: two
/// checks of one kind with one name would share their rows.
#[derive(serde::Deserialize, Default)]
struct Names {
    #[serde(default)]
    services: NamedServices,
    #[serde(default)]
    agents: NamedAgents,
}

#[derive(serde::Deserialize, Default)]
struct NamedServices {
    #[serde(default)]
    http: Vec<Named>,
    #[serde(default)]
    tcp: Vec<Named>,
    #[serde(default)]
    docker: Vec<Named>,
    #[serde(default)]
    freshness: Vec<Named>,
    #[serde(default)]
    process: Vec<Named>,
    #[serde(default)]
    syncthing: Vec<Named>,
    #[serde(default)]
    metric: Vec<Named>,
}

#[derive(serde::Deserialize, Default)]
struct NamedAgents {
    #[serde(default)]
    daemon: Vec<Named>,
}

#[derive(serde::Deserialize)]
struct Named {
    name: Option<toml::Spanned<String>>,
}

fn duplicate_names(text: &str) -> Vec<Problem> {
    let Ok(n) = toml::from_str::<Names>(text) else {
        return Vec::new();
    };
    let s = n.services;
    let kinds = [
        ("services.http", s.http),
        ("services.tcp", s.tcp),
        ("services.docker", s.docker),
        ("services.freshness", s.freshness),
        ("services.process", s.process),
        ("services.syncthing", s.syncthing),
        ("services.metric", s.metric),
        ("agents.daemon", n.agents.daemon),
    ];
    let mut out = Vec::new();
    for (kind, list) in kinds {
        let mut seen = BTreeSet::new();
        for name in list.into_iter().filter_map(|x| x.name) {
            if !seen.insert(name.get_ref().clone()) {
                out.push((name.span(), format!("duplicate [[{kind}]] name {:?}", name.get_ref())));
            }
        }
    }
    out
}

/// Every problem of a parsed config, section by section, each with the
/// span it points at.
fn validate(c: &Config) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    validate_ui(c, &mut out);
    let host_names = validate_hosts(c, &mut out);
    validate_nats(c, &mut out);
    validate_push(c, &mut out);
    validate_refs(c, &host_names, &mut out);
    validate_alerts(c, &mut out);
    metric::validate(&c.services.metric, &host_names, &mut out);
    launchd::validate(c, &mut out);
    depends::validate(c, &mut out);
    http::validate(c, &mut out);
    out
}

/// `[ui]`: the ticker's frame rate and the theme.
fn validate_ui(c: &Config, out: &mut Vec<Problem>) {
    let fps = c.ui.ticker_fps.get_ref();
    if !(1..=60).contains(fps) {
        out.push((c.ui.ticker_fps.span(), format!("ticker_fps must be 1..=60, not {fps}")));
    }
    let theme = c.ui.theme.get_ref();
    if crate::prefs::builtin_theme(theme).is_none() && !expand_tilde(theme).is_file() {
        out.push((
            c.ui.theme.span(),
            format!(
                "unknown theme {theme:?}: not one of {} and not a file",
                crate::prefs::THEMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// `[[hosts]]`: one kind each, names, SSH targets, URLs, intervals.
/// Returns the host names (the local host's default name included).
fn validate_hosts(c: &Config, out: &mut Vec<Problem>) -> BTreeSet<String> {
    let mut host_names = BTreeSet::new();
    for h in &c.hosts {
        let kinds = [h.local, h.ssh.is_some(), h.nats].iter().filter(|b| **b).count();
        let span = h
            .name
            .as_ref()
            .map(|n| n.span())
            .or_else(|| h.ssh.as_ref().map(|s| s.span()))
            .unwrap_or(0..0);
        if kinds != 1 {
            out.push((
                span.clone(),
                "a [[hosts]] entry needs exactly one of `local = true`, `ssh = \"user@host\"` or `nats = true`".into(),
            ));
        }
        match &h.name {
            Some(n) if n.get_ref().trim().is_empty() => out.push((n.span(), "host name is empty".into())),
            Some(n) => {
                if !host_names.insert(n.get_ref().clone()) {
                    out.push((n.span(), format!("duplicate host name {:?}", n.get_ref())));
                }
            }
            None if !h.local => out.push((span.clone(), "a remote host needs a `name`".into())),
            None => {
                host_names.insert(local_hostname());
            }
        }
        if let Some(ssh) = &h.ssh
            && let Err(e) = parse_ssh_target(ssh.get_ref())
        {
            out.push((ssh.span(), e));
        }
        if let Some(u) = &h.metrics_url {
            check_http_url(u, out);
        }
        for (what, d) in [("interval", h.interval), ("timeout", h.timeout)] {
            if d.is_some_and(|d| d.0.is_zero()) {
                out.push((span.clone(), format!("host {what} must be more than 0s")));
            }
        }
    }
    host_names
}

/// `[[nats]]`: names, URLs, and the servers `[fleet]` and `[agents]` name.
fn validate_nats(c: &Config, out: &mut Vec<Problem>) {
    let mut seen = BTreeSet::new();
    for n in &c.nats {
        if !seen.insert(n.name.get_ref().clone()) {
            out.push((n.name.span(), format!("duplicate [[nats]] name {:?}", n.name.get_ref())));
        }
        if let Some(u) = &n.monitor_url {
            check_http_url(u, out);
        }
        if let Some(u) = &n.url {
            let s = u.get_ref();
            if !["nats://", "tls://", "ws://", "wss://"]
                .iter()
                .any(|p| s.starts_with(p))
            {
                out.push((
                    u.span(),
                    format!("NATS url {s:?} must start with nats://, tls://, ws:// or wss://"),
                ));
            }
        }
    }
    for r in [c.fleet.nats.as_ref(), c.agents.nats.as_ref()].into_iter().flatten() {
        match c.nats.iter().find(|n| n.name.get_ref() == r.get_ref()) {
            None => out.push((r.span(), format!("no [[nats]] named {:?}", r.get_ref()))),
            Some(n) if n.url.is_none() => out.push((
                r.span(),
                format!(
                    "[[nats]] {:?} has no `url`: events need a NATS connection, not just monitoring",
                    r.get_ref()
                ),
            )),
            Some(_) => {}
        }
    }
}

/// Push mode (`nats = true` hosts, `discover = "nats"`) reads the bucket
/// over a connection: `[fleet] nats` (checked in `validate_nats`), else the
/// only [[nats]] with a url.
fn validate_push(c: &Config, out: &mut Vec<Problem>) {
    let push_host = c.hosts.iter().find(|h| h.nats);
    if (push_host.is_some() || c.fleet.discover == Discover::Nats) && c.fleet.nats.is_none() {
        let with_url = c.nats.iter().filter(|n| n.url.is_some()).count();
        if with_url != 1 {
            let span = push_host.and_then(|h| h.name.as_ref()).map_or(0..0, |n| n.span());
            let why = if with_url == 0 {
                "push mode (`nats = true` hosts, `discover = \"nats\"`) needs a [[nats]] with a `url`"
            } else {
                "push mode: several [[nats]] have a `url`; say which in [fleet] nats"
            };
            out.push((span, why.into()));
        }
    }
}

/// `[services]` and `[agents]`: the hosts they name exist; URLs are HTTP.
fn validate_refs(c: &Config, host_names: &BTreeSet<String>, out: &mut Vec<Problem>) {
    let host_refs = c
        .services
        .systemd
        .iter()
        .map(|s| &s.host)
        .chain(c.services.launchd.iter().map(|s| &s.host))
        .chain(c.services.freshness.iter().filter_map(|s| s.host.as_ref()))
        .chain(c.services.process.iter().filter_map(|s| s.host.as_ref()))
        .chain(c.agents.daemon.iter().filter_map(|d| d.host.as_ref()));
    for h in host_refs {
        if !host_names.contains(h.get_ref()) {
            out.push((h.span(), format!("no [[hosts]] named {:?}", h.get_ref())));
        }
    }
    for u in c
        .services
        .http
        .iter()
        .map(|s| &s.url)
        .chain(c.services.syncthing.iter().map(|s| &s.url))
    {
        check_http_url(u, out);
    }
}

/// `[alerts]`: the disk percentages.
fn validate_alerts(c: &Config, out: &mut Vec<Problem>) {
    let (w, cr) = (&c.alerts.disk_warn_pct, &c.alerts.disk_critical_pct);
    for p in [w, cr] {
        if !(0.0..=100.0).contains(p.get_ref()) {
            out.push((p.span(), format!("a percentage must be 0..=100, not {}", p.get_ref())));
        }
    }
    if w.get_ref() > cr.get_ref() {
        out.push((w.span(), "disk_warn_pct is above disk_critical_pct".into()));
    }
}

fn check_http_url(u: &toml::Spanned<String>, out: &mut Vec<Problem>) {
    let s = u.get_ref();
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        out.push((u.span(), format!("{s:?} is not an http:// or https:// URL")));
    }
}

/// `user@host[:port]` → (user, host, port).
pub(crate) fn parse_ssh_target(s: &str) -> Result<(String, String, u16), String> {
    let bad = || format!("ssh target {s:?} is not user@host[:port]");
    let (user, rest) = s.split_once('@').ok_or_else(bad)?;
    if user.is_empty() || rest.is_empty() {
        return Err(bad());
    }
    let (host, port) = if let Some(h) = rest.strip_prefix('[') {
        let (h, tail) = h.split_once(']').ok_or_else(bad)?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if tail.is_empty() => 22,
            None => return Err(bad()),
        };
        (h.to_string(), port)
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None => (rest.to_string(), 22),
        }
    };
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((user.to_string(), host, port))
}

/// Push mode is configured: a `nats = true` host or `[fleet] discover = "nats"`.
pub(crate) fn push_wanted(config: &Config) -> bool {
    config.fleet.discover == Discover::Nats || config.hosts.iter().any(|h| h.nats)
}

/// This machine's hostname, for the local host's default name.
pub(crate) fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| sysinfo::System::host_name().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

impl Host {
    pub(crate) fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.get_ref().clone(),
            None => local_hostname(),
        }
    }
}

#[cfg(test)]
mod tests;
