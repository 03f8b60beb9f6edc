//! How updates change the Agents tab: heartbeats, log times, units, run
//! events, notices, and the output budgets.

use super::due::{self, Plan};
use super::observe::observe_one;
use super::record::record;
use super::stats;
use super::{
    AGENT_OUTPUT_BUDGET, Agent, AgentUpdate, AgentsState, Applied, MAX_NAME, NOT_SHOWN_NAMES, Run, TOTAL_OUTPUT_BUDGET,
};
use crate::config::Config;
use crate::config::schedule::Zone;
use crate::logging::LogBudget;
use crate::model::{Level, Millis};
use crate::parse::agent::{AgentEvent, FleetNotice, Kind};
use crate::parse::sanitize::{sanitize, sanitize_max};
use crate::parse::systemctl::UnitShow;
use crate::store::events::NewEvent;
use crate::store::{Conditions, HostEntry};
use std::collections::HashSet;

/// Whether an event's source is the bus (see `sources::agents`).
fn from_bus(source: &str) -> bool {
    source.starts_with("nats ")
}

impl AgentsState {
    pub fn new(config: &Config) -> Self {
        let bus = config.agents.nats.is_some() && !config.agents.subjects.is_empty();
        let agents = config
            .agents
            .daemon
            .iter()
            .map(|d| {
                let mut a = Agent::new(d.name.clone(), d.tag.clone().unwrap_or_else(|| d.name.clone()));
                a.schedule = d.schedule.as_ref().map(|s| s.text.clone());
                a.plan = d.schedule.clone().filter(|s| !s.is_event()).map(|schedule| Plan {
                    schedule,
                    tz: d.tz.clone().unwrap_or_else(Zone::local).0,
                    grace_ms: d.grace.map(|g| g.as_millis()),
                    sees_runs: bus || d.runlog.is_some() || d.systemd_unit.is_some(),
                });
                a.per_hour = d.schedule.as_ref().and_then(|s| s.per_hour());
                a.timeout_ms = d.timeout.map(|t| t.as_millis());
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
            day: Default::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// Agents that sent events but have no row.
    pub(crate) fn not_shown(&self) -> usize {
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
        let touched = match u {
            AgentUpdate::BadEvent { source, error } => {
                self.bad_events += 1;
                // A flood is one line a minute, with a count.
                if let Some(more) = self.bad_log.allow(now) {
                    tracing::warn!(source = %sanitize(&source), total = self.bad_events, more_since_last_line = more,
                        "unreadable agent event: {}", sanitize(&error));
                }
                None
            }
            AgentUpdate::Throttled(n) => {
                self.throttled = self.throttled.saturating_add(n);
                None
            }
            AgentUpdate::Notice(n) => {
                applied.echoes.push(notice_event(&n));
                None
            }
            AgentUpdate::Replayed => {
                self.replays_pending = self.replays_pending.saturating_sub(1);
                None
            }
            AgentUpdate::Heartbeat { agent, at } => self.heartbeat(&agent, at, now),
            AgentUpdate::LogModified { agent, at } => self.log_modified(&agent, at, now),
            AgentUpdate::Unit {
                agent,
                unit,
                timer,
                journal,
            } => self.unit(&agent, unit, timer, journal, now, &mut applied.news),
            AgentUpdate::Event { event, source, history } => self.event(event, &source, history, now, &mut applied),
        };
        // Only the agent this update was about: an event storm must not
        // re-evaluate every daemon per event (tick does them all, once a second).
        if let Some(i) = touched.and_then(|n| self.agents.iter().position(|a| a.name == n)) {
            self.enforce_budgets(i);
            due::refresh(&mut self.agents[i], now);
            let a = &self.agents[i];
            let news = observe_one(a, now, self.fail_streak_critical, conditions, hosts);
            applied.news.extend(news);
        }
        applied
    }

    /// A heartbeat's time; returns the agent's name when it has a row.
    fn heartbeat(&mut self, agent: &str, at: Result<Millis, String>, now: Millis) -> Option<String> {
        let a = self.agent_mut(agent, None)?;
        match at.map(|t| (t, a.arrived(Some(t), now))) {
            Ok((_, Some(t))) => {
                a.last_heartbeat = Some(a.last_heartbeat.map_or(t, |x| x.max(t)));
                a.heartbeat_error = None;
            }
            Ok((t, None)) => a.heartbeat_error = Some(skewed("heartbeat", t)),
            Err(e) => a.heartbeat_error = Some(sanitize(&e)),
        }
        Some(a.name.clone())
    }

    /// The log's modification time; returns the agent's name when it has a row.
    fn log_modified(&mut self, agent: &str, at: Result<Millis, String>, now: Millis) -> Option<String> {
        let a = self.agent_mut(agent, None)?;
        match at.map(|t| (t, a.arrived(Some(t), now))) {
            Ok((_, Some(t))) => {
                a.log_modified = Some(t);
                a.log_error = None;
            }
            Ok((t, None)) => a.log_error = Some(skewed("log", t)),
            Err(e) => a.log_error = Some(sanitize(&e)),
        }
        Some(a.name.clone())
    }

    /// The daemon's unit (and timer): a run that finished since the last
    /// look is recorded, from the unit's words and its journal.
    fn unit(
        &mut self,
        agent: &str,
        unit: Result<Box<UnitShow>, String>,
        timer: Option<Box<UnitShow>>,
        journal: Option<String>,
        now: Millis,
        out: &mut Vec<NewEvent>,
    ) -> Option<String> {
        let threshold = self.fail_streak_critical;
        let a = self.agent_mut(agent, None)?;
        let touched = Some(a.name.clone());
        a.next_run = timer.as_ref().and_then(|t| t.next_at);
        let u = match unit {
            Err(e) => {
                a.unit_error = Some(sanitize(&e));
                return touched;
            }
            Ok(u) => u,
        };
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
                timed_out: u.result == "timeout",
            };
            let news = record(a, event, &format!("systemd {}", u.id), threshold, now);
            // The run found ended at start is history, not news.
            if watched {
                out.extend(news);
            }
        }
        a.unit = Some(*u);
        touched
    }

    /// A run event: recorded, and its ticker events sorted into news and
    /// echoes (or neither, when it is history).
    fn event(
        &mut self,
        mut event: AgentEvent,
        source: &str,
        history: bool,
        now: Millis,
        applied: &mut Applied,
    ) -> Option<String> {
        let threshold = self.fail_streak_critical;
        let a = self.agent_mut(&event.agent, event.tag.as_deref())?;
        event.started_at = a.arrived(event.started_at, now);
        event.finished_at = a.arrived(event.finished_at, now);
        let news = record(a, event, source, threshold, now);
        if !history {
            // A run heard on the bus is the bus's news: fleettop says
            // again only what it derives (a streak gone critical, a
            // recovery).
            let bus = from_bus(source);
            for e in news {
                let derived = e.level >= Level::Critical || e.title.contains(" recovered after ");
                if bus && !derived {
                    applied.echoes.push(e);
                } else {
                    applied.news.push(e);
                }
            }
        }
        Some(a.name.clone())
    }

    pub fn tick(&mut self, now: Millis, conditions: &mut Conditions, hosts: &[HostEntry]) -> Vec<NewEvent> {
        if let Some(more) = self.bad_log.flush(now) {
            tracing::warn!(
                total = self.bad_events,
                more_since_last_line = more,
                "unreadable agent events"
            );
        }
        for a in &mut self.agents {
            due::refresh(a, now);
        }
        self.day = stats::refresh(&mut self.agents, now);
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
    let kind = crate::store::events::outside_kind(&k);
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
