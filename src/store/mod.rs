//! The single owner of all collected state. Sources send [`Update`]s; the
//! app applies them here with an explicit `now`; edges become events.

pub mod agents;
pub mod alerts;
mod depends;
pub mod events;
mod hosts;
pub mod inference;
pub mod nats;
pub mod quiet;
pub mod services;

pub use alerts::{Conditions, Observation, Problem, Tab};
pub use events::{EventRing, NewEvent};
pub(crate) use hosts::sample_from_snap;
pub use hosts::{HostEntry, HostKind, IfaceRate, PushedRates};
pub(crate) use quiet::Counts;
pub use quiet::Quiet;

use crate::config::Config;
use crate::model::{Level, Millis, Now};
use crate::parse::push::push_key;
use crate::update::{Event, PushUpdate, SourceError, Update};

/// A difference between how far the wall and the monotonic clock moved
/// that is taken as a step of the wall clock.
const CLOCK_STEP_MS: Millis = 2_000;

/// Hosts taken from the bucket when `[fleet] discover = "nats"`, at most.
pub const MAX_DISCOVERED: usize = 5000;

/// Push mode's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushState {
    /// Push mode is configured (a `nats = true` host or discovery).
    pub wanted: bool,
    pub discover: bool,
    /// The bucket's values at start have been read (or the attempt failed).
    pub ready: bool,
    pub malformed: u64,
    /// A flood of malformed values is one log line a minute.
    pub malformed_log: crate::logging::LogBudget,
    /// Hosts not added because of [`MAX_DISCOVERED`].
    pub over_limit: u64,
    pub last_error: Option<crate::parse::sanitize::Clean>,
    /// Bucket key → index in `hosts` of the pushed rows.
    pub index: std::collections::HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRules {
    pub event_ttl_ms: i64,
    pub offline_critical_after_ms: i64,
    pub disk_warn_pct: f64,
    pub disk_critical_pct: f64,
    pub disk_critical_after_ms: i64,
}

impl AlertRules {
    pub(crate) fn from_config(c: &Config) -> Self {
        let a = &c.alerts;
        AlertRules {
            event_ttl_ms: a.event_ttl.as_millis().max(1),
            offline_critical_after_ms: a.offline_critical_after.as_millis(),
            disk_warn_pct: *a.disk_warn_pct.get_ref(),
            disk_critical_pct: *a.disk_critical_pct.get_ref(),
            disk_critical_after_ms: a.disk_critical_after.as_millis(),
        }
    }
}

/// What the config asks for that this version does not collect yet, so the
/// empty tabs can say honestly what is and is not there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Configured {
    pub services: usize,
    pub nats: usize,
    pub agents: usize,
}

pub const EVENT_RING_CAP: usize = 512;
/// The problems view's history: events of the last 6 hours, at most 2,000.
pub const HISTORY_CAP: usize = 2000;
pub const HISTORY_TTL_MS: Millis = 6 * 3_600_000;

#[derive(Debug, Clone)]
pub struct Store {
    pub rules: AlertRules,
    pub hosts: Vec<HostEntry>,
    pub events: EventRing,
    pub conditions: Conditions,
    pub configured: Configured,
    pub services: services::ServicesState,
    pub nats: nats::NatsState,
    pub agents: agents::AgentsState,
    pub push: PushState,
    /// Where new events go to be published to NATS and the webhook; never
    /// waited on (a full channel drops, counted in `outlet_dropped`).
    pub outlet: Option<tokio::sync::mpsc::Sender<Event>>,
    pub outlet_dropped: u64,
    /// The clock as last given; a wall-clock step since is undone on the
    /// times the store took itself (see [`Store::advance`]).
    pub clock: Option<Now>,
    /// Wall-clock steps seen, for the log and tests.
    pub clock_steps: u64,
    /// `depends_on`: who is blocked by what.
    pub(crate) depends: depends::Depends,
    /// Acknowledged problems and silenced sources ([`quiet`]).
    pub quiet: Quiet,
    /// Every event of the last hours, for the problems view.
    pub history: EventRing,
}

impl Store {
    pub fn new(config: &Config) -> Self {
        let hosts = config.hosts.iter().map(HostEntry::from_config).collect();
        Store {
            rules: AlertRules::from_config(config),
            hosts,
            events: EventRing::new(EVENT_RING_CAP),
            conditions: Conditions::default(),
            configured: Configured {
                services: config.services.count(),
                nats: config.nats.len(),
                agents: config.agents.daemon.len(),
            },
            services: services::ServicesState::new(config),
            nats: nats::NatsState::new(config),
            agents: agents::AgentsState::new(config),
            push: PushState {
                wanted: crate::config::push_wanted(config),
                discover: config.fleet.discover == crate::config::Discover::Nats,
                ..PushState::default()
            },
            outlet: None,
            outlet_dropped: 0,
            clock: None,
            clock_steps: 0,
            depends: depends::Depends::new(config),
            quiet: Quiet::default(),
            history: EventRing::new(HISTORY_CAP),
        }
    }

    pub fn host(&self, name: &str) -> Option<&HostEntry> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// Takes the clock's new reading. Durations the store measures itself
    /// (how long a host has been offline, a condition has held, an event
    /// has lived) run on the monotonic clock: when the wall clock steps
    /// (NTP setting a Pi's clock after boot, an admin), every time the
    /// store took moves by the step, so no duration jumps with it. Times
    /// from outside (a run, a heartbeat, a pushed sample) stay as they are.
    pub(crate) fn advance(&mut self, now: Now) {
        if let Some(before) = self.clock.replace(now) {
            let wall = now.wall.saturating_sub(before.wall);
            let step = wall.saturating_sub(now.mono.saturating_sub(before.mono));
            if step.saturating_abs() > CLOCK_STEP_MS {
                self.clock_steps += 1;
                tracing::warn!(step_ms = step, "the wall clock stepped; fleettop's own times follow it");
                self.hosts.iter_mut().for_each(|h| h.shift_clock(step));
                self.conditions.shift_clock(step);
                self.events.shift_clock(step);
                self.history.shift_clock(step);
                self.services.shift_clock(step);
                self.nats.shift_clock(step);
            }
        }
    }

    /// Applies one update at `now` (a wall time, or wall and monotonic:
    /// [`Now`]); returns how many events it produced.
    pub fn apply(&mut self, update: Update, now: impl Into<Now>) -> usize {
        let now = now.into();
        self.advance(now);
        let now = now.wall;
        let mut new = Vec::new();
        let mut echoes = Vec::new();
        // Events made of NATS messages are not published again: two
        // fleettops on one bus would echo them forever.
        let publish = !matches!(update, Update::Nats(crate::update::nats::NatsUpdate::Message { .. }));
        match update {
            Update::Host { name, result } => {
                let Some(i) = self.hosts.iter().position(|h| h.name == name) else {
                    tracing::warn!(host = %name, "update for a host that is not configured");
                    return 0;
                };
                // This host's edges only: time moves the others, in tick
                // (hundreds of hosts each answering must not walk them all).
                match result {
                    Ok(sample) => {
                        if sample.parse_errors > 0 {
                            tracing::warn!(host = %name, count = sample.parse_errors, "unparsable lines in sample");
                        }
                        self.hosts[i].accept(*sample, now);
                        new.extend(self.host_state_edge(i, now));
                        let obs = hosts::disk_observations(&self.hosts[i], &self.rules);
                        new.extend(self.conditions.observe(&format!("host-disks:{name}"), obs, now));
                    }
                    Err(e) => {
                        self.hosts[i].fail(e, now);
                        new.extend(self.host_state_edge(i, now));
                    }
                }
            }
            Update::Services(u) => new.extend(self.services.apply(u, now, &mut self.conditions)),
            Update::Nats(u) => new.extend(self.nats.apply(u, now, &mut self.conditions)),
            Update::Agents(u) => {
                let a = self.agents.apply(u, now, &mut self.conditions, &self.hosts);
                new.extend(a.news);
                echoes = a.echoes;
            }
            Update::Push(u) => new.extend(self.apply_push(u, now)),
        }
        new.extend(self.refresh_depends(now));
        self.quiet_blocked_runs(&mut new);
        self.push_all(echoes, now, false) + self.push_all(new, now, publish)
    }

    /// A daemon blocked by a failing dependency raises nothing of its own:
    /// its failed runs (and their streak) are info, naming the cause.
    fn quiet_blocked_runs(&self, new: &mut [NewEvent]) {
        for e in new.iter_mut().filter(|e| e.kind == "agent" && e.level >= Level::Error) {
            if let Some(cause) = self.agents.get(&e.source).and_then(|a| a.blocked_by.as_deref()) {
                e.level = Level::Info;
                e.title = format!("{} (blocked by {cause})", e.title);
            }
        }
    }

    /// Time passing alone: stale hosts, escalations, expired events.
    /// Returns true when anything visible changed.
    pub fn tick(&mut self, now: impl Into<Now>) -> bool {
        let now = now.into();
        self.advance(now);
        let now = now.wall;
        let mut new = self.host_state_edges(now);
        new.extend(self.services.tick(now, &mut self.conditions));
        new.extend(self.nats.tick(now, &mut self.conditions));
        new.extend(self.agents.tick(now, &mut self.conditions, &self.hosts));
        new.extend(self.refresh_depends(now));
        new.extend(self.conditions.evaluate(now));
        let pushed = self.push_all(new, now, true);
        let expired = self.events.expire(now, self.rules.event_ttl_ms);
        let old = self.history.expire(now, HISTORY_TTL_MS) | self.quiet.expire(now);
        pushed > 0 || expired || old
    }

    fn apply_push(&mut self, u: PushUpdate, now: Millis) -> Vec<NewEvent> {
        match u {
            PushUpdate::Ready => {
                self.push.ready = true;
                Vec::new()
            }
            PushUpdate::Malformed { key } => {
                self.push.malformed += 1;
                if let Some(more) = self.push.malformed_log.allow(now) {
                    tracing::warn!(key = %key, count = self.push.malformed, more_since_last_line = more,
                        "push: a value in the bucket is not a host JSON");
                }
                Vec::new()
            }
            PushUpdate::Down(e) => {
                self.push.ready = true;
                self.push.last_error = Some(e.clone());
                for h in self.hosts.iter_mut().filter(|h| h.kind == HostKind::Push) {
                    h.fail(SourceError::Unreachable(e.to_string()), now);
                }
                self.host_state_edges(now)
            }
            PushUpdate::Host { key, snap, at } => {
                let idx = match self.push_row(&key) {
                    Some(i) => i,
                    None if !self.push.discover => return Vec::new(),
                    None if self.push.index.len() >= MAX_DISCOVERED => {
                        self.push.over_limit += 1;
                        if self.push.over_limit == 1 {
                            tracing::warn!(
                                max = MAX_DISCOVERED,
                                "push: more hosts in the bucket than fleettop shows; the rest are left out"
                            );
                        }
                        return Vec::new();
                    }
                    None => {
                        let name = crate::parse::sanitize::sanitize(&snap.name);
                        let name = if !name.is_empty() && push_key(&name) == key && self.host(&name).is_none() {
                            name
                        } else {
                            key.clone()
                        };
                        if self.host(&name).is_some() {
                            // A configured local or ssh host of the same name.
                            return Vec::new();
                        }
                        self.hosts.push(HostEntry::discovered(name, 5_000));
                        self.push.index.insert(key.clone(), self.hosts.len() - 1);
                        self.hosts.len() - 1
                    }
                };
                let h = &mut self.hosts[idx];
                if !h.accept_pushed(&snap, at, now) {
                    return Vec::new();
                }
                let name = h.name.clone();
                let mut new = self.host_state_edge(idx, now);
                let obs = hosts::disk_observations(&self.hosts[idx], &self.rules);
                new.extend(self.conditions.observe(&format!("host-disks:{name}"), obs, now));
                new
            }
        }
    }

    /// The row of a bucket key, through the index (rebuilt when it is off).
    fn push_row(&mut self, key: &str) -> Option<usize> {
        let fits = |hosts: &[HostEntry], i: usize| {
            hosts
                .get(i)
                .is_some_and(|h| h.kind == HostKind::Push && push_key(&h.name) == key)
        };
        match self.push.index.get(key) {
            Some(&i) if fits(&self.hosts, i) => return Some(i),
            // A plain miss with an index of every pushed row: not a row.
            None if self.push.index.len() == self.hosts.iter().filter(|h| h.kind == HostKind::Push).count() => {
                return None;
            }
            _ => {}
        }
        self.push.index = (self.hosts.iter().enumerate())
            .filter(|(_, h)| h.kind == HostKind::Push)
            .map(|(i, h)| (push_key(&h.name), i))
            .collect();
        self.push.index.get(key).copied().filter(|&i| fits(&self.hosts, i))
    }

    fn host_state_edges(&mut self, now: Millis) -> Vec<NewEvent> {
        let mut new = Vec::new();
        for i in 0..self.hosts.len() {
            new.extend(self.host_state_edge(i, now));
        }
        new
    }

    /// One host's edges: what one host's update needs (with hundreds of
    /// polled or thousands of pushing hosts, one update must not walk them all).
    fn host_state_edge(&mut self, i: usize, now: Millis) -> Vec<NewEvent> {
        let rules = self.rules;
        let h = &mut self.hosts[i];
        let mut new: Vec<NewEvent> = h.state_edge(now).into_iter().collect();
        let obs = hosts::state_observation(h, &rules, now).into_iter().collect();
        new.extend(self.conditions.observe(&format!("host-state:{}", h.name), obs, now));
        new
    }

    pub(crate) fn push_all(&mut self, new: Vec<NewEvent>, now: Millis, publish: bool) -> usize {
        let n = new.len();
        for e in new {
            let problem = self.conditions.edge_key(&e);
            let quiet = problem.as_deref().is_some_and(|k| {
                self.quiet.on_edge(k, e.level);
                self.quiet.is_quiet(k, &e.source, e.level, now)
            });
            // Logged as the ring holds it: sanitised.
            let ev = self.events.push_edge(now, e, problem, quiet);
            self.history.keep(ev.clone());
            match ev.level {
                Level::Info => tracing::info!(source = %ev.source, "{}", ev.title),
                Level::Warn => tracing::warn!(source = %ev.source, "{}", ev.title),
                _ => tracing::error!(source = %ev.source, level = ev.level.as_str(), "{}", ev.title),
            }
            if let Some(tx) = self.outlet.as_ref().filter(|_| publish)
                && tx.try_send(ev.clone()).is_err()
            {
                self.outlet_dropped += 1;
            }
        }
        n
    }

    /// Current problems, worst first, with what is quiet about them.
    pub fn problems(&self, now: Millis) -> Vec<Problem> {
        let mut ps = self.conditions.problems(now);
        self.mark_quiet(&mut ps, now);
        ps
    }

    /// The tab's problems that need someone (neither acknowledged nor
    /// silenced), and the worst level among them.
    pub fn problem_count(&self, tab: Tab, now: Millis) -> (usize, Level) {
        let c = Counts::of(self.problems(now).iter().filter(|p| p.tab == tab));
        (c.open, c.level)
    }
}

#[cfg(test)]
pub(crate) mod clock_tests;
#[cfg(test)]
mod push_tests;
#[cfg(test)]
pub(crate) mod tests;
