//! The snapshot JSON (`docs/snapshot.md`, `docs/snapshot.schema.json`).
//! Field names and words here are a contract: `schema_version` changes
//! when one is removed, renamed or changes meaning.
//!
//! `state` is a level word ([`level_word`]) for every entity but hosts
//! (their reachability) and containers (Docker's state), which carry the
//! level in `level`; an agent's run status is its `status`.

use crate::model::{HostState, Level, Millis, rfc3339};
use crate::parse::push::{DiskSnap, HostSnap, InferenceSnap, TopSnap};
use crate::store::services::Service;
use crate::store::{HostEntry, Store};
use crate::update::Event;
use crate::update::services::Health;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub schema_version: u32,
    pub taken_at: String,
    pub version: &'static str,
    pub hosts: Vec<HostSnap>,
    pub services: Vec<ServiceSnap>,
    pub containers: Vec<ContainerSnap>,
    pub nats: Vec<crate::store::nats::NatsSnap>,
    pub agents: Vec<AgentSnap>,
    /// Agents that sent events but have no row (over `agents.max_discovered`,
    /// or discovery off).
    pub agents_not_shown: usize,
    pub events: Vec<Event>,
    pub problems: Vec<ProblemSnap>,
    /// Every agent's runs of the last 24 h together.
    pub agents_24h: crate::store::agents::DaySnap,
}

#[derive(Debug, Serialize)]
pub struct ServiceSnap {
    pub name: String,
    pub kind: &'static str,
    /// The level word.
    pub state: &'static str,
    pub detail: String,
    pub latency_ms: Option<f64>,
    pub checked_at: Option<String>,
    pub source: String,
    pub group: Option<String>,
    /// A metric check's value, unit, rule that fired and readings.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub metric: Option<crate::snapshot::metric::MetricSnap>,
    /// A launchd job's audit (`docs/snapshot.md`); absent on other rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launchd: Option<Box<crate::parse::launchctl::Audit>>,
    /// `depends_on`: the failing check or daemon this row waits on.
    pub blocked_by: Option<String>,
    /// An https check: when the server's certificate expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_expires_at: Option<String>,
    /// A systemd unit's automatic restarts (`NRestarts`); absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<i64>,
    /// A systemd unit's error lines a minute in its journal (last 5 minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_errors_per_min: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ContainerSnap {
    pub endpoint: String,
    pub name: String,
    pub image: String,
    /// Docker's word: created, running, restarting, exited, paused, dead…
    pub state: String,
    pub level: &'static str,
    pub health: String,
    pub restart_count: i64,
    pub started_at: Option<String>,
    pub exit_code: Option<i64>,
}

impl ServiceSnap {
    pub fn all(store: &Store, now: Millis) -> (Vec<ServiceSnap>, Vec<ContainerSnap>) {
        let services = store
            .services
            .rows
            .iter()
            .map(|s| ServiceSnap {
                name: s.row.name.clone(),
                kind: s.row.kind.as_str(),
                state: service_level(store, s, now),
                detail: s.row.detail.clone(),
                latency_ms: s.row.latency_ms,
                checked_at: s.checked_at.map(rfc3339),
                source: s.row.source.clone(),
                group: s.row.group.clone(),
                metric: metric::MetricSnap::of(s),
                launchd: s.row.launchd.clone(),
                blocked_by: store.services.blocked_by(&s.row).map(str::to_string),
                cert_expires_at: s.row.cert_expires_at.map(rfc3339),
                restarts: s.row.unit_stats.and_then(|u| u.restarts),
                journal_errors_per_min: s.row.unit_stats.and_then(|u| u.journal_errors_per_min),
            })
            .collect();
        let containers = store
            .services
            .containers()
            .map(|(s, c)| ContainerSnap {
                endpoint: c.endpoint.clone(),
                name: s.row.name.clone(),
                image: c.image.clone(),
                state: c.state.clone(),
                level: service_level(store, s, now),
                health: c.health.clone(),
                restart_count: c.restart_count,
                started_at: c.started_at.map(rfc3339),
                exit_code: c.exit_code,
            })
            .collect();
        (services, containers)
    }
}

#[derive(Debug, Serialize)]
pub struct ProblemSnap {
    pub level: crate::model::Level,
    pub source: String,
    pub title: String,
    /// Acknowledged at this level (the problems view).
    pub acknowledged: bool,
    /// Its source is silenced until then (RFC 3339).
    pub silenced_until: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AgentSnap {
    pub name: String,
    pub tag: String,
    /// The level word.
    pub state: &'static str,
    /// The run status: running, ok, failed, skipped, cooldown, stale,
    /// overdue, unknown.
    pub status: &'static str,
    pub schedule: Option<String>,
    pub last_run_at: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub last_exit_code: Option<i32>,
    pub trigger: Option<String>,
    pub runs_ok: u64,
    pub runs_failed: u64,
    pub runs_skipped: u64,
    pub fail_streak: u32,
    pub last_output: Option<String>,
    pub last_heartbeat: Option<String>,
    /// Times this agent sent that were dropped as clock skew.
    pub clock_skew: u64,
    /// `depends_on`: the failing check or daemon this daemon waits on.
    pub blocked_by: Option<String>,
    /// Runs its schedule says it missed since its last run (status `overdue`).
    pub missed_runs: u32,
    /// When its schedule (or its systemd timer) says it runs next.
    pub next_run_at: Option<String>,
    /// Its runs of the last 24 h.
    pub runs_24h: crate::store::agents::DaySnap,
}

impl AgentSnap {
    pub fn build(store: &Store, a: &crate::store::agents::Agent, now: Millis) -> Self {
        let last = a.last();
        let status = a.status(now);
        let prefix = format!("agent:{}:", a.name);
        let known = status != crate::store::agents::AgentStatus::Unknown;
        AgentSnap {
            name: a.name.clone(),
            tag: a.tag.clone(),
            state: level_word(store.conditions.worst(now, |k| k.starts_with(&prefix)), known),
            status: status.as_str(),
            schedule: a.schedule.clone(),
            last_run_at: last.and_then(|r| r.at()).map(rfc3339),
            last_duration_ms: last.and_then(|r| r.duration_ms),
            last_exit_code: last.and_then(|r| r.exit_code),
            trigger: last.map(|r| r.trigger.clone()).filter(|t| !t.is_empty()),
            runs_ok: a.ok,
            runs_failed: a.failed,
            runs_skipped: a.skipped,
            fail_streak: a.fail_streak,
            last_output: last.map(|r| r.extracted.clone()),
            last_heartbeat: a.last_heartbeat.map(rfc3339),
            clock_skew: a.clock_skew,
            blocked_by: a.blocked_by.clone(),
            missed_runs: a.due.missed,
            next_run_at: a.due.next.or(a.next_run).map(rfc3339),
            runs_24h: (&a.day).into(),
        }
    }
}

/// How many processes a snapshot's `top` lists.
pub const TOP_N: usize = 5;

impl HostSnap {
    pub fn build(h: &HostEntry, now: Millis) -> Self {
        let s = h.cur.as_ref();
        let mut top: Vec<TopSnap> = s
            .map(|s| {
                s.processes
                    .iter()
                    .map(|p| TopSnap {
                        pid: p.pid,
                        name: p.name.clone(),
                        cpu_pct: p.cpu_pct,
                        mem_bytes: p.mem_bytes,
                    })
                    .collect()
            })
            .unwrap_or_default();
        top.sort_by(|a, b| b.cpu_pct.total_cmp(&a.cpu_pct).then(b.mem_bytes.cmp(&a.mem_bytes)));
        top.truncate(TOP_N);
        let rates = h.net_rates();
        HostSnap {
            name: h.name.clone(),
            state: h.state(now).as_str(),
            level: level_word(host_level(h, now), false),
            last_seen: h.last_seen.map(rfc3339),
            error: h.last_error.as_ref().map(|e| e.to_string()),
            cpu_pct: s.map(|s| s.cpu_pct),
            mem_used_bytes: s.map(|s| s.mem_used_bytes),
            mem_total_bytes: s.map(|s| s.mem_total_bytes),
            swap_used_bytes: s.map(|s| s.swap_used_bytes),
            swap_total_bytes: s.map(|s| s.swap_total_bytes),
            disks: s
                .map(|s| {
                    s.disks
                        .iter()
                        .map(|d| DiskSnap {
                            mount: d.mount.clone(),
                            total_bytes: d.total_bytes,
                            used_bytes: d.used_bytes,
                            available_bytes: Some(d.available_bytes),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            load: s.map(|s| s.load),
            uptime_s: s.map(|s| s.uptime_s),
            temp_c: s.and_then(|s| s.max_temp()),
            battery_pct: s.and_then(|s| crate::parse::power_supply::combined_pct(&s.batteries)),
            net_rx_bytes_per_s: rates.map(|r| r.0),
            net_tx_bytes_per_s: rates.map(|r| r.1),
            sessions: s.map(|s| s.sessions.iter().cloned().collect()).unwrap_or_default(),
            gpus: s.map(|s| s.gpus.clone()).unwrap_or_default(),
            inference: s.and_then(|s| s.inference).map(|i| InferenceSnap {
                running: i.running,
                waiting: i.waiting,
                tokens_per_s: h.tokens_per_s(),
                errors_per_min: h.errors_per_min(),
                history: h.inference_history.snap(now),
            }),
            top,
            clock_skew: h.clock_skew,
            interval_ms: None,
            ollama: s.and_then(|s| s.ollama.clone()),
            metrics_error: s.and_then(|s| s.inference_error.clone()),
            session_oldest_s: s
                .map(|s| {
                    let ages = s.sessions.iter().zip(&s.session_oldest_s);
                    ages.filter_map(|((pat, _), age)| Some((pat.clone(), (*age)?)))
                        .collect()
                })
                .unwrap_or_default(),
            mem_pressure_pct: s.and_then(|s| s.mem_pressure_pct),
        }
    }
}

impl Snapshot {
    pub fn build(store: &Store, now: Millis) -> Self {
        let (services, containers) = ServiceSnap::all(store, now);
        Snapshot {
            schema_version: SCHEMA_VERSION,
            taken_at: rfc3339(now),
            version: env!("CARGO_PKG_VERSION"),
            hosts: store
                .hosts
                .iter()
                .map(|h| {
                    let mut snap = HostSnap::build(h, now);
                    // Its conditions (its state held long, its disks) too.
                    let (state, disk) = (format!("host-state:{}", h.name), format!("disk:{}:", h.name));
                    let own = store.conditions.worst(now, |k| k == state || k.starts_with(&disk));
                    snap.level = level_word(own.max(host_level(h, now)), false);
                    snap
                })
                .collect(),
            services,
            containers,
            nats: store.nats.snapshot(now),
            agents: store
                .agents
                .agents
                .iter()
                .map(|a| AgentSnap::build(store, a, now))
                .collect(),
            agents_not_shown: store.agents.not_shown(),
            agents_24h: (&store.agents.day).into(),
            events: store.events.newest_first().cloned().collect(),
            problems: store
                .problems(now)
                .into_iter()
                .map(|p| ProblemSnap {
                    level: p.level,
                    source: p.source.to_string(),
                    title: p.title.to_string(),
                    acknowledged: p.acknowledged,
                    silenced_until: p.silenced_until.map(crate::model::rfc3339),
                })
                .collect(),
        }
    }
}

/// The snapshot's shape: bumped when a field is removed or renamed, or a
/// word changes meaning; new fields and new words in `kind` do not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// A level as the snapshot says it: `ok`, `warn`, `error`, `critical`, or
/// `unknown` when there is no problem and nothing is known yet.
pub(crate) fn level_word(worst: Option<Level>, known: bool) -> &'static str {
    match worst {
        Some(Level::Info) => "ok",
        Some(l) => l.as_str(),
        None if known => "ok",
        None => "unknown",
    }
}

/// What a host's state alone says of its level; None before its first answer.
fn host_level(h: &HostEntry, now: Millis) -> Option<Level> {
    if h.waiting_first() {
        return None;
    }
    Some(match h.state(now) {
        HostState::Online => Level::Info,
        HostState::Stale => Level::Warn,
        HostState::Offline | HostState::AuthError => Level::Error,
    })
}

/// A service row's level: its own conditions (a failed or stuck check, its
/// whole group down) over its last result.
fn service_level(store: &Store, s: &Service, now: Millis) -> &'static str {
    let key = &s.row.key;
    let (svc, stale) = (format!("svc:{key}"), format!("stale:{key}"));
    let group = s.row.group.as_ref().map(|g| format!("group:{g}"));
    let own = store
        .conditions
        .worst(now, |k| k == svc || k == stale || group.as_deref() == Some(k));
    let result = match s.row.health {
        Health::Unknown => None,
        Health::Ok => Some(Level::Info),
        Health::Warn => Some(Level::Warn),
        Health::Error => Some(Level::Error),
    };
    level_word(own.max(result), false)
}

pub(crate) mod metric;

#[cfg(test)]
mod tests;
