//! The Agents tab's state: every daemon's runs (bounded), counts, fail
//! streak, heartbeat and log freshness, and the rules that read them.
//! Here the types; `apply` takes updates (and keeps the output budgets),
//! `record` files a run event, `observe` holds the rules.

use super::events::NewEvent;
use crate::logging::LogBudget;
use crate::model::Millis;
use crate::parse::systemctl::UnitShow;
use crate::update::agents::{AgentUpdate, MAX_OUTPUT};
use std::collections::{HashSet, VecDeque};

mod apply;
mod due;
mod observe;
mod record;
mod stats;

pub use due::{Due, MAX_MISSED};
pub use stats::{DaySnap, DayStats};

pub(crate) use observe::{missed_words, process_present};

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
    /// Its sender (or its systemd unit) says the time limit ended it.
    pub timed_out: bool,
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
    /// Its schedule says it should have run and it has not.
    Overdue,
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
            AgentStatus::Overdue => "overdue",
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
    /// `depends_on`: the failing cause blocking this daemon (its problems
    /// are kept at info meanwhile; see `store::depends`).
    pub blocked_by: Option<String>,
    /// Its schedule as the overdue rule reads it (not for `event:`).
    pub(crate) plan: Option<due::Plan>,
    /// Runs per hour its schedule stands for (the runaway rule).
    pub(crate) per_hour: Option<f64>,
    /// What the schedule says of its last run: missed runs, next expected.
    pub due: Due,
    /// A run longer than this counts as a timeout.
    pub timeout_ms: Option<i64>,
    /// When fleettop began watching it (its first look).
    pub(crate) watched_since: Option<Millis>,
    /// Its finished runs of the last 24 h, and their numbers.
    pub(crate) day_runs: stats::DayRuns,
    pub day: DayStats,
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
            blocked_by: None,
            plan: None,
            per_hour: None,
            due: Due::default(),
            timeout_ms: None,
            watched_since: None,
            day_runs: Default::default(),
            day: DayStats::default(),
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

    pub(crate) fn heartbeat_stale(&self, now: Millis) -> bool {
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
        let running = self.last().is_some_and(|r| r.outcome == Outcome::Running);
        if self.due.missed > 0 && !running {
            return AgentStatus::Overdue;
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

    pub(crate) fn runs_last_hour(&self, now: Millis) -> usize {
        self.runs
            .iter()
            .filter(|r| r.at().is_some_and(|t| now.saturating_sub(t) <= HOUR && t <= now))
            .count()
    }
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
    /// The fleet's numbers over the last 24 h (made on the tick).
    pub day: DayStats,
}

/// What one update made: `news` for the ticker and every outlet, `echoes`
/// for the ticker only (they restate what someone else said on the bus,
/// and fleettop does not say it again under its own name).
#[derive(Debug, Default)]
pub struct Applied {
    pub news: Vec<NewEvent>,
    pub echoes: Vec<NewEvent>,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bounds_tests;

#[cfg(test)]
mod due_tests;
