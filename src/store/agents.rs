//! The Agents tab's state: every daemon's runs (bounded), counts, fail
//! streak, heartbeat and log freshness, and the rules that read them.

use super::alerts::{Conditions, Observation, Tab};
use super::events::NewEvent;
use super::hosts::{HostEntry, HostKind};
use crate::config::Config;
use crate::logging::LogBudget;
use crate::model::{Level, Millis};
use crate::parse::agent::{self, AgentEvent, FleetNotice, Kind};
use crate::parse::sanitize::{sanitize, sanitize_max, sanitize_multiline};
use crate::parse::systemctl::UnitShow;
use crate::update::agents::{AgentUpdate, MAX_OUTPUT};
use std::collections::{HashSet, VecDeque};

/// Runs kept per daemon.
pub const MAX_RUNS: usize = 50;
/// Output kept per agent, all its kept runs together: past it, the oldest
/// runs' outputs go first.
pub const AGENT_OUTPUT_BUDGET: usize = 2 << 20;
/// Output kept for all agents together, the oldest outputs going first.
pub const TOTAL_OUTPUT_BUDGET: usize = 8 << 20;
/// Names of agents not shown that are told apart for the count; past this
/// many the count stops growing.
const NOT_SHOWN_NAMES: usize = 1 << 16;
/// Characters kept of an agent's name (and tag), a trigger, and a run's
/// extracted output: a name from outside is not a place to store data.
pub const MAX_NAME: usize = 128;
const MAX_TRIGGER: usize = 64;
pub const MAX_EXTRACTED: usize = 2000;
const HOUR: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Ok,
    Failed,
    Skipped,
    Cooldown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub duration_ms: Option<i64>,
    pub exit_code: Option<i32>,
    pub trigger: String,
    pub outcome: Outcome,
    /// Raw output, sanitised, at most `MAX_OUTPUT` bytes (the tail).
    pub output: String,
    /// Bytes cut from the head of the output.
    pub output_cut: usize,
    /// The extracted last output, one line.
    pub extracted: String,
}

impl Run {
    pub fn at(&self) -> Option<Millis> {
        self.started_at.or(self.finished_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    Running,
    Ok,
    Failed,
    Skipped,
    Cooldown,
    Stale,
    Unknown,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Running => "running",
            AgentStatus::Ok => "ok",
            AgentStatus::Failed => "failed",
            AgentStatus::Skipped => "skipped",
            AgentStatus::Cooldown => "cooldown",
            AgentStatus::Stale => "stale",
            AgentStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub name: String,
    pub tag: String,
    pub schedule: Option<String>,
    pub configured: bool,
    pub runs: VecDeque<Run>,
    /// Runs that fell out of the bounded history.
    pub runs_dropped: u64,
    pub ok: u64,
    pub failed: u64,
    pub skipped: u64,
    pub fail_streak: u32,
    pub last_heartbeat: Option<Millis>,
    pub heartbeat_max_age_ms: Option<i64>,
    pub heartbeat_error: Option<String>,
    pub log_modified: Option<Millis>,
    pub log_max_age_ms: Option<i64>,
    pub log_error: Option<String>,
    /// A process-name pattern that must be in the host's process table.
    pub process: Option<String>,
    /// Where the daemon runs (a `[[hosts]]` name); else the local host.
    pub host: Option<String>,
    /// Its systemd unit as last seen, or why it could not be read.
    pub unit: Option<UnitShow>,
    pub unit_error: Option<String>,
    /// The invocation last recorded as a run (a run seen in progress is
    /// recorded when it ends).
    pub unit_recorded: Option<String>,
    /// When its timer fires next.
    pub next_run: Option<Millis>,
    /// Times it sent that were before 1970 or in the future (clock skew):
    /// dropped on arrival, never taken as a sign of life.
    pub clock_skew: u64,
    /// Bytes of output its kept runs hold.
    pub output_bytes: usize,
}

impl Agent {
    fn new(name: String, tag: String) -> Self {
        Agent {
            name,
            tag,
            schedule: None,
            configured: false,
            runs: VecDeque::new(),
            runs_dropped: 0,
            ok: 0,
            failed: 0,
            skipped: 0,
            fail_streak: 0,
            last_heartbeat: None,
            heartbeat_max_age_ms: None,
            heartbeat_error: None,
            log_modified: None,
            log_max_age_ms: None,
            log_error: None,
            process: None,
            host: None,
            unit: None,
            unit_error: None,
            unit_recorded: None,
            next_run: None,
            clock_skew: 0,
            output_bytes: 0,
        }
    }

    /// A time this agent sent, checked on arrival: a skewed one is counted
    /// and dropped.
    fn arrived(&mut self, t: Option<Millis>, now: Millis) -> Option<Millis> {
        let t = t?;
        let ok = crate::model::checked_time(t, now);
        if ok.is_none() {
            self.clock_skew = self.clock_skew.saturating_add(1);
        }
        ok
    }

    pub fn last(&self) -> Option<&Run> {
        self.runs.back()
    }

    pub fn last_finished(&self) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.outcome != Outcome::Running)
    }

    pub fn heartbeat_stale(&self, now: Millis) -> bool {
        match (self.heartbeat_max_age_ms, self.last_seen()) {
            (Some(max), Some(t)) => now.saturating_sub(t) > max,
            (Some(_), None) => self.heartbeat_error.is_some(),
            _ => false,
        }
    }

    /// The last sign of life: a run or a heartbeat.
    pub fn last_seen(&self) -> Option<Millis> {
        let run = self.runs.iter().filter_map(|r| r.finished_at.or(r.started_at)).max();
        run.max(self.last_heartbeat)
    }

    pub fn status(&self, now: Millis) -> AgentStatus {
        if self.heartbeat_stale(now) {
            return AgentStatus::Stale;
        }
        if self
            .unit
            .as_ref()
            .is_some_and(|u| u.active == "activating" || (u.active == "active" && u.sub == "running"))
        {
            return AgentStatus::Running;
        }
        match self.last().map(|r| r.outcome) {
            Some(Outcome::Running) => AgentStatus::Running,
            Some(Outcome::Ok) => AgentStatus::Ok,
            Some(Outcome::Failed) => AgentStatus::Failed,
            Some(Outcome::Skipped) => AgentStatus::Skipped,
            Some(Outcome::Cooldown) => AgentStatus::Cooldown,
            None if self.last_heartbeat.is_some() => AgentStatus::Ok,
            None => AgentStatus::Unknown,
        }
    }

    pub fn runs_last_hour(&self, now: Millis) -> usize {
        self.runs
            .iter()
            .filter(|r| r.at().is_some_and(|t| now.saturating_sub(t) <= HOUR && t <= now))
            .count()
    }
}

/// How often a schedule says a daemon should run, per hour, where it says.
pub fn expected_per_hour(schedule: &str) -> Option<f64> {
    let s = schedule.trim();
    if let Some(every) = s.strip_prefix("every ") {
        let d = humantime::parse_duration(every.trim()).ok()?;
        return (d.as_secs() > 0).then(|| 3600.0 / d.as_secs() as f64);
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() == 5 {
        let per_hour_minutes = match fields[0] {
            "*" => 60.0,
            m if m.starts_with("*/") => 60.0 / m[2..].parse::<f64>().ok().filter(|n| *n > 0.0)?,
            m => m.split(',').count() as f64,
        };
        let hours_fraction = if fields[1] == "*" {
            1.0
        } else {
            1.0 / 24.0 * fields[1].split(',').count() as f64
        };
        return Some(per_hour_minutes * hours_fraction);
    }
    None
}

#[derive(Debug, Clone, Default)]
pub struct AgentsState {
    pub agents: Vec<Agent>,
    pub bad_events: u64,
    /// Events dropped over their subject's rate budget.
    pub throttled: u64,
    pub fail_streak_critical: u32,
    /// Agent subjects whose JetStream history is still coming in.
    pub replays_pending: usize,
    /// Rows for agents the config does not name (`agents.discover`), at
    /// most `max_discovered` of them.
    pub discover: bool,
    pub max_discovered: usize,
    /// Agents with events but no row: their names' hashes, bounded, for the
    /// count on screen and in the snapshot.
    not_shown: HashSet<u64>,
    /// Events of agents not shown, counted.
    pub not_shown_events: u64,
    /// Bytes of output all agents' kept runs hold.
    pub output_bytes: usize,
    bad_log: LogBudget,
}

/// What one update made: `news` for the ticker and every outlet, `echoes`
/// for the ticker only (they restate what someone else said on the bus,
/// and fleettop does not say it again under its own name).
#[derive(Debug, Default)]
pub struct Applied {
    pub news: Vec<NewEvent>,
    pub echoes: Vec<NewEvent>,
}

/// Whether an event's source is the bus (see `sources::agents`).
fn from_bus(source: &str) -> bool {
    source.starts_with("nats ")
}

impl AgentsState {
    pub fn new(config: &Config) -> Self {
        let agents = config
            .agents
            .daemon
            .iter()
            .map(|d| {
                let mut a = Agent::new(d.name.clone(), d.tag.clone().unwrap_or_else(|| d.name.clone()));
                a.schedule = d.schedule.clone();
                a.configured = true;
                a.heartbeat_max_age_ms = d.heartbeat_max_age.map(|x| x.as_millis());
                a.log_max_age_ms = d.log_max_age.map(|x| x.as_millis());
                a.process = d.process.clone();
                a.host = d.host.as_ref().map(|h| h.get_ref().clone());
                a
            })
            .collect();
        let replaying = config.agents.nats.as_ref().is_some_and(|n| {
            config
                .nats
                .iter()
                .any(|x| x.name.get_ref() == n.get_ref() && x.url.is_some())
        });
        AgentsState {
            agents,
            replays_pending: if replaying { config.agents.subjects.len() } else { 0 },
            bad_events: 0,
            throttled: 0,
            fail_streak_critical: config.alerts.agent_fail_streak_critical.max(1),
            discover: config.agents.discover,
            max_discovered: config.agents.max_discovered,
            not_shown: HashSet::new(),
            not_shown_events: 0,
            output_bytes: 0,
            bad_log: LogBudget::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// Agents that sent events but have no row.
    pub fn not_shown(&self) -> usize {
        self.not_shown.len()
    }

    /// The agent's row; a new one for a name the config does not have
    /// while discovery is on and under its limit; else None, counted.
    fn agent_mut(&mut self, name: &str, tag: Option<&str>) -> Option<&mut Agent> {
        let name = sanitize_max(name, MAX_NAME);
        let i = match self.agents.iter().position(|a| a.name == name) {
            Some(i) => i,
            None => {
                let discovered = self.agents.iter().filter(|a| !a.configured).count();
                if !self.discover || discovered >= self.max_discovered {
                    self.not_shown_events += 1;
                    if self.not_shown.len() < NOT_SHOWN_NAMES {
                        use std::hash::{BuildHasher, BuildHasherDefault};
                        let h = BuildHasherDefault::<std::hash::DefaultHasher>::default().hash_one(&name);
                        self.not_shown.insert(h);
                    }
                    return None;
                }
                let tag = tag.map_or_else(|| name.clone(), |t| sanitize_max(t, MAX_NAME));
                self.agents.push(Agent::new(name.clone(), tag));
                self.agents.len() - 1
            }
        };
        Some(&mut self.agents[i])
    }

    /// Keeps the outputs within the agent's and the global budget: the
    /// oldest runs' outputs go first. `i` is the agent just written to.
    fn enforce_budgets(&mut self, i: usize) {
        let a = &mut self.agents[i];
        let before = a.output_bytes;
        a.output_bytes = a.runs.iter().map(|r| r.output.len()).sum();
        for r in a.runs.iter_mut() {
            if a.output_bytes <= AGENT_OUTPUT_BUDGET {
                break;
            }
            a.output_bytes -= drop_output(r);
        }
        self.output_bytes = (self.output_bytes + a.output_bytes).saturating_sub(before);
        while self.output_bytes > TOTAL_OUTPUT_BUDGET {
            // The oldest run still holding output, of any agent.
            let oldest = (self.agents.iter().enumerate())
                .filter_map(|(i, a)| {
                    let j = a.runs.iter().position(|r| !r.output.is_empty())?;
                    Some((a.runs[j].at().unwrap_or(i64::MIN), i, j))
                })
                .min();
            let Some((_, i, j)) = oldest else {
                self.output_bytes = 0;
                break;
            };
            let a = &mut self.agents[i];
            let n = drop_output(&mut a.runs[j]);
            a.output_bytes -= n;
            self.output_bytes -= n;
        }
    }

    pub fn apply(&mut self, u: AgentUpdate, now: Millis, conditions: &mut Conditions, hosts: &[HostEntry]) -> Applied {
        let mut applied = Applied::default();
        let out = &mut applied.news;
        let mut touched: Option<String> = None;
        match u {
            AgentUpdate::BadEvent { source, error } => {
                self.bad_events += 1;
                // A flood is one line a minute, with a count.
                if let Some(more) = self.bad_log.allow(now) {
                    tracing::warn!(source = %sanitize(&source), total = self.bad_events, more_since_last_line = more,
                        "unreadable agent event: {}", sanitize(&error));
                }
            }
            AgentUpdate::Throttled(n) => self.throttled = self.throttled.saturating_add(n),
            AgentUpdate::Notice(n) => applied.echoes.push(notice_event(&n)),
            AgentUpdate::Replayed => self.replays_pending = self.replays_pending.saturating_sub(1),
            AgentUpdate::Heartbeat { agent, at } => {
                let Some(a) = self.agent_mut(&agent, None) else {
                    return applied;
                };
                touched = Some(a.name.clone());
                match at.map(|t| (t, a.arrived(Some(t), now))) {
                    Ok((_, Some(t))) => {
                        a.last_heartbeat = Some(a.last_heartbeat.map_or(t, |x| x.max(t)));
                        a.heartbeat_error = None;
                    }
                    Ok((t, None)) => a.heartbeat_error = Some(skewed("heartbeat", t)),
                    Err(e) => a.heartbeat_error = Some(sanitize(&e)),
                }
            }
            AgentUpdate::LogModified { agent, at } => {
                let Some(a) = self.agent_mut(&agent, None) else {
                    return applied;
                };
                touched = Some(a.name.clone());
                match at.map(|t| (t, a.arrived(Some(t), now))) {
                    Ok((_, Some(t))) => {
                        a.log_modified = Some(t);
                        a.log_error = None;
                    }
                    Ok((t, None)) => a.log_error = Some(skewed("log", t)),
                    Err(e) => a.log_error = Some(sanitize(&e)),
                }
            }
            AgentUpdate::Unit {
                agent,
                unit,
                timer,
                journal,
            } => {
                let threshold = self.fail_streak_critical;
                let Some(a) = self.agent_mut(&agent, None) else {
                    return applied;
                };
                touched = Some(a.name.clone());
                a.next_run = timer.as_ref().and_then(|t| t.next_at);
                match unit {
                    Err(e) => a.unit_error = Some(sanitize(&e)),
                    Ok(u) => {
                        a.unit_error = None;
                        let watched = a.unit.is_some();
                        let finished = u.exited_at.is_some() && !u.invocation.is_empty();
                        if finished && a.unit_recorded.as_deref() != Some(u.invocation.as_str()) {
                            a.unit_recorded = Some(u.invocation.clone());
                            let event = AgentEvent {
                                agent: a.name.clone(),
                                tag: None,
                                kind: if u.result == "success" {
                                    Kind::Completed
                                } else {
                                    Kind::Failed
                                },
                                trigger: Some(if timer.is_some() {
                                    "timer".into()
                                } else {
                                    "systemd".into()
                                }),
                                started_at: a.arrived(u.started_at, now),
                                finished_at: a.arrived(u.exited_at, now),
                                duration_ms: None,
                                exit_code: u.exit_status,
                                output: journal,
                                summary: None,
                                machine: None,
                            };
                            let news = record(a, event, &format!("systemd {}", u.id), threshold);
                            // The run found ended at start is history, not news.
                            if watched {
                                out.extend(news);
                            }
                        }
                        a.unit = Some(*u);
                    }
                }
            }
            AgentUpdate::Event {
                mut event,
                source,
                history,
            } => {
                let threshold = self.fail_streak_critical;
                let Some(a) = self.agent_mut(&event.agent, event.tag.as_deref()) else {
                    return applied;
                };
                touched = Some(a.name.clone());
                event.started_at = a.arrived(event.started_at, now);
                event.finished_at = a.arrived(event.finished_at, now);
                let news = record(a, event, &source, threshold);
                if !history {
                    // A run heard on the bus is the bus's news: fleettop says
                    // again only what it derives (a streak gone critical, a
                    // recovery).
                    let bus = from_bus(&source);
                    for e in news {
                        let derived = e.level >= Level::Critical || e.title.contains(" recovered after ");
                        if bus && !derived {
                            applied.echoes.push(e);
                        } else {
                            out.push(e);
                        }
                    }
                }
            }
        }
        // Only the agent this update was about: an event storm must not
        // re-evaluate every daemon per event (tick does them all, once a second).
        if let Some(i) = touched.and_then(|n| self.agents.iter().position(|a| a.name == n)) {
            self.enforce_budgets(i);
            let a = &self.agents[i];
            out.extend(observe_one(a, now, self.fail_streak_critical, conditions, hosts));
        }
        applied
    }

    pub fn tick(&mut self, now: Millis, conditions: &mut Conditions, hosts: &[HostEntry]) -> Vec<NewEvent> {
        if let Some(more) = self.bad_log.flush(now) {
            tracing::warn!(
                total = self.bad_events,
                more_since_last_line = more,
                "unreadable agent events"
            );
        }
        self.observe(now, conditions, hosts)
    }

    fn observe(&self, now: Millis, conditions: &mut Conditions, hosts: &[HostEntry]) -> Vec<NewEvent> {
        let mut out = Vec::new();
        for a in &self.agents {
            out.extend(observe_one(a, now, self.fail_streak_critical, conditions, hosts));
        }
        out
    }
}

fn observe_one(
    a: &Agent,
    now: Millis,
    threshold: u32,
    conditions: &mut Conditions,
    hosts: &[HostEntry],
) -> Vec<NewEvent> {
    let mut obs = observations(a, now, threshold);
    if let (Some(pattern), Some(false)) = (&a.process, process_present(a, hosts)) {
        obs.push(Observation {
            key: format!("agent:{}:process", a.name),
            tab: Tab::Agents,
            kind: "agent".into(),
            source: a.name.clone(),
            title: format!("{}: no process matching {pattern:?}", a.name),
            level: Level::Error,
            escalate: None,
            recovered: format!("{}: process {pattern:?} is back", a.name),
        });
    }
    conditions.observe(&format!("agent:{}", a.name), obs, now)
}

/// Whether the daemon's process is in its host's process table; None when
/// there is no pattern or no sample of that host yet.
pub fn process_present(a: &Agent, hosts: &[HostEntry]) -> Option<bool> {
    let pattern = a.process.as_deref()?.to_lowercase();
    let host = match &a.host {
        Some(h) => hosts.iter().find(|x| x.name == *h)?,
        None => hosts.iter().find(|x| x.kind == HostKind::Local)?,
    };
    let sample = host.cur.as_ref()?;
    Some(
        sample
            .processes
            .iter()
            .any(|p| p.name.to_lowercase().contains(&pattern) || p.cmd.to_lowercase().contains(&pattern)),
    )
}

/// What a row says of a time dropped as clock skew.
fn skewed(what: &str, t: Millis) -> String {
    format!("clock skew: {what} dated {}", crate::model::rfc3339(t))
}

/// Drops a run's output for the budgets; returns the bytes freed. The
/// viewer tells a dropped output by an empty output with bytes cut.
fn drop_output(r: &mut Run) -> usize {
    let n = r.output.len();
    r.output_cut = r.output_cut.saturating_add(n);
    r.output = String::new();
    n
}

/// A fleet notice as a ticker event: its kind one of a fixed set (the
/// sender's words stay in the title, never in a kind or a subject).
fn notice_event(n: &FleetNotice) -> NewEvent {
    let k = sanitize(&n.kind);
    let kind = super::events::outside_kind(&k);
    let level = match kind {
        "security" | "quarantine" | "failure" => Level::Error,
        "peer_left" | "warning" => Level::Warn,
        _ => Level::Info,
    };
    let (source, text) = (sanitize(&n.source), sanitize(&n.text));
    let title = if text.is_empty() {
        format!("{source}: {k}")
    } else {
        format!("{source}: {k}: {text}")
    };
    NewEvent {
        level,
        kind: kind.to_string(),
        source,
        title,
        detail: String::new(),
    }
}

/// Records one run event in the agent's history; returns the ticker events.
fn record(a: &mut Agent, e: AgentEvent, source: &str, threshold: u32) -> Vec<NewEvent> {
    if let Some(t) = e.tag.as_deref().filter(|_| !a.configured) {
        a.tag = sanitize_max(t, MAX_NAME);
    }
    let at = e.finished_at.or(e.started_at);
    if e.kind == Kind::Heartbeat {
        if let Some(t) = at {
            a.last_heartbeat = Some(a.last_heartbeat.map_or(t, |x| x.max(t)));
        }
        return Vec::new();
    }
    let (mut output, mut cut) = (e.output.as_deref().map(sanitize_multiline).unwrap_or_default(), 0);
    if output.len() > MAX_OUTPUT {
        let mut start = output.len() - MAX_OUTPUT;
        while !output.is_char_boundary(start) {
            start += 1;
        }
        cut = start;
        output = output.split_off(start);
    }
    output.shrink_to_fit();
    let extracted = sanitize_max(
        &match (&e.summary, &e.output) {
            (Some(s), _) => s.clone(),
            // From the sanitised text: escape sequences inside a JSON string
            // would make it unreadable.
            (None, Some(_)) => agent::extract_output(&output),
            (None, None) => String::new(),
        },
        MAX_EXTRACTED,
    );
    let outcome = match e.kind {
        Kind::Started => Outcome::Running,
        Kind::Completed if e.exit_code.is_some_and(|c| c != 0) => Outcome::Failed,
        Kind::Completed => Outcome::Ok,
        Kind::Failed => Outcome::Failed,
        Kind::Skipped => Outcome::Skipped,
        Kind::Cooldown => Outcome::Cooldown,
        Kind::Heartbeat => unreachable!("handled above"),
    };
    let run = Run {
        started_at: e.started_at,
        finished_at: e.finished_at,
        duration_ms: e
            .duration_ms
            .or_else(|| Some(e.finished_at?.saturating_sub(e.started_at?))),
        exit_code: e.exit_code,
        trigger: sanitize_max(e.trigger.as_deref().unwrap_or(""), MAX_TRIGGER),
        outcome,
        output,
        output_cut: cut,
        extracted,
    };
    // A finish completes the running run it belongs to, if there is one.
    let running = a.runs.iter_mut().rev().find(|r| r.outcome == Outcome::Running);
    match (outcome, running) {
        (Outcome::Running, _) | (_, None) => {
            a.runs.push_back(run);
            if a.runs.len() > MAX_RUNS {
                a.runs.pop_front();
                a.runs_dropped += 1;
            }
        }
        (_, Some(r)) => {
            let started = r.started_at;
            *r = Run {
                started_at: run.started_at.or(started),
                ..run
            };
            if r.duration_ms.is_none() {
                r.duration_ms = r.finished_at.zip(r.started_at).map(|(f, s)| f.saturating_sub(s));
            }
        }
    }
    let mut out = Vec::new();
    let last = a.runs.back().cloned();
    let dur = last
        .as_ref()
        .and_then(|r| r.duration_ms)
        .map(|d| format!(" in {}", crate::fmt::ago(d)))
        .unwrap_or_default();
    let base = NewEvent {
        kind: "agent".into(),
        source: a.name.clone(),
        detail: source.to_string(),
        ..NewEvent::default()
    };
    match outcome {
        Outcome::Running => {}
        Outcome::Ok => {
            a.ok = a.ok.saturating_add(1);
            if a.fail_streak > 0 {
                out.push(NewEvent {
                    level: Level::Info,
                    title: format!("{} recovered after {} failed runs", a.name, a.fail_streak),
                    ..base.clone()
                });
            }
            a.fail_streak = 0;
            let said = last
                .map(|r| r.extracted)
                .filter(|s| !s.is_empty())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            out.push(NewEvent {
                level: Level::Info,
                title: format!("{} completed{dur}{said}", a.name),
                ..base
            });
        }
        // Neither grows nor ends the fail streak: a cooldown is what
        // follows failures, and only a success ends them.
        o @ (Outcome::Skipped | Outcome::Cooldown) => {
            a.skipped = a.skipped.saturating_add(1);
            let what = if o == Outcome::Cooldown {
                "cooling down"
            } else {
                "skipped a run"
            };
            out.push(NewEvent {
                level: Level::Info,
                title: format!("{} {what}", a.name),
                ..base
            });
        }
        Outcome::Failed => {
            a.failed = a.failed.saturating_add(1);
            a.fail_streak = a.fail_streak.saturating_add(1);
            let code = e.exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default();
            let said = last
                .map(|r| r.extracted)
                .filter(|s| !s.is_empty())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            let level = if a.fail_streak >= threshold {
                Level::Critical
            } else {
                Level::Error
            };
            out.push(NewEvent {
                level,
                title: format!("{} failed{code}{said}", a.name),
                ..base
            });
        }
    }
    out
}

fn observations(a: &Agent, now: Millis, threshold: u32) -> Vec<Observation> {
    let mut out = Vec::new();
    let obs = |key: &str, level: Level, escalate: Option<(Level, i64)>, title: String, recovered: String| Observation {
        key: format!("agent:{}:{key}", a.name),
        tab: Tab::Agents,
        kind: "agent".into(),
        source: a.name.clone(),
        title,
        level,
        escalate,
        recovered,
    };
    if a.fail_streak > 0 {
        // A streak of N failures in a row is itself the sustained failure.
        let level = if a.fail_streak >= threshold {
            Level::Critical
        } else {
            Level::Error
        };
        out.push(obs(
            "failing",
            level,
            None,
            format!("{} failed {} times in a row", a.name, a.fail_streak),
            format!("{} recovered", a.name),
        ));
    }
    if a.heartbeat_stale(now) {
        let max = a.heartbeat_max_age_ms.unwrap_or(0);
        let why = match (&a.heartbeat_error, a.last_seen()) {
            (Some(e), _) => e.clone(),
            (None, Some(t)) => format!("no run or heartbeat for {}", crate::fmt::ago(now.saturating_sub(t))),
            (None, None) => "never seen".into(),
        };
        // Critical once stale as long again, counted from the last sign of
        // life, so one round (`snapshot`) says what a long watch would.
        let level = match a.last_seen() {
            Some(t) if now.saturating_sub(t) > max.saturating_mul(2) => Level::Critical,
            _ => Level::Warn,
        };
        out.push(obs(
            "stale",
            level,
            a.last_seen().is_none().then_some((Level::Critical, max)),
            format!("{} stale: {why}", a.name),
            format!("{} alive again", a.name),
        ));
    }
    if let Some(e) = &a.unit_error {
        out.push(obs(
            "unit",
            Level::Warn,
            None,
            format!("{}: {e}", a.name),
            format!("{}: unit readable again", a.name),
        ));
    }
    if let (Some(max), Some(t)) = (a.log_max_age_ms, a.log_modified)
        && now.saturating_sub(t) > max
    {
        out.push(obs(
            "log",
            Level::Warn,
            None,
            format!(
                "{} log not written for {}",
                a.name,
                crate::fmt::ago(now.saturating_sub(t))
            ),
            format!("{} log written again", a.name),
        ));
    }
    let runs = a.runs_last_hour(now) as f64;
    let limit = match a.schedule.as_deref() {
        Some(s) if s.starts_with("event:") => Some(120.0),
        Some(s) => expected_per_hour(s).map(|e| (e * 3.0).max(e + 5.0)),
        None => None,
    };
    if let Some(limit) = limit
        && runs > limit
    {
        out.push(obs(
            "runaway",
            Level::Warn,
            None,
            format!("{} runaway: {runs:.0} runs in the last hour", a.name),
            format!("{} back to its schedule", a.name),
        ));
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bounds_tests;
