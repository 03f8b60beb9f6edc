//! `depends_on` at run time: which causes are failing, and so which checks,
//! containers and daemons are "blocked by" one. A blocked dependent's own
//! problems are kept at `info` (seen on its row, no alert, no problem):
//! the cause's problem is the one, and says how many it blocks. A chain
//! names its root (blocked by the first failing cause down the chain).
//!
//! A dependent stays blocked after its cause recovers until its own next
//! result (or [`HOLD_MAX_MS`]), so a recovery does not raise the
//! dependent's last, stale failure as a new alert.

use super::Store;
use super::events::NewEvent;
use super::services::ServicesState;
use crate::config::Config;
use crate::model::{Level, Millis};
use crate::store::Observation;
use crate::update::services::{Health, Kind, Row};
use std::collections::{BTreeMap, BTreeSet};

/// Longest a dependent stays blocked after its cause recovered, waiting
/// for a result of its own.
pub(crate) const HOLD_MAX_MS: Millis = 5 * 60_000;
/// Longest chain followed to its root (the config has no cycles; this
/// only bounds the walk).
const MAX_CHAIN: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct Depends {
    /// Dependent → the names it depends on, in config order.
    graph: BTreeMap<String, Vec<String>>,
    /// Dependent → root cause, while a cause is failing.
    blocked: BTreeMap<String, String>,
    /// Dependent → (cause, when the cause recovered): blocked until its own
    /// next result.
    held: BTreeMap<String, (String, Millis)>,
}

/// The name a services row answers to in `depends_on`: a check's name, a
/// Syncthing instance or systemd host by its head row, a container as
/// `container:NAME`.
pub(crate) fn node(r: &Row) -> Option<String> {
    match r.kind {
        Kind::Container => Some(format!("{}{}", crate::config::depends::CONTAINER, r.name)),
        Kind::Http | Kind::Tcp | Kind::Freshness | Kind::Process => Some(r.name.clone()),
        Kind::Syncthing if r.key == format!("syncthing:{}", r.name) => Some(r.name.clone()),
        Kind::Systemd if r.key == format!("systemd:{}", r.source) => Some(r.name.clone()),
        _ => None,
    }
}

/// A blocked dependent's observations: kept (so its recovery or a
/// failure of its own later is an edge as usual) but at `info`, titled
/// with what blocks it.
pub(crate) fn demote(obs: &mut [Observation], name: &str, cause: Option<&str>) {
    let Some(cause) = cause else { return };
    for o in obs {
        o.level = Level::Info;
        o.escalate = None;
        o.title = format!("{name} blocked by {cause}");
    }
}

impl Depends {
    pub(crate) fn new(config: &Config) -> Self {
        let graph = crate::config::depends::edges(config)
            .into_iter()
            .map(|(who, on)| (who, on.iter().map(|n| n.get_ref().clone()).collect()))
            .collect();
        Depends {
            graph,
            ..Default::default()
        }
    }

    /// Dependent → cause, for every dependent blocked now (or held).
    pub(crate) fn effective(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self.held.iter().map(|(k, (c, _))| (k.clone(), c.clone())).collect();
        out.extend(self.blocked.iter().map(|(k, c)| (k.clone(), c.clone())));
        out
    }

    fn causes(&self) -> BTreeSet<&str> {
        self.graph.values().flatten().map(String::as_str).collect()
    }

    /// The root cause blocking `who`, given what is failing.
    fn root(&self, who: &str, failing: &BTreeSet<String>) -> Option<String> {
        let mut cause = None;
        let mut at = who;
        for _ in 0..MAX_CHAIN {
            let Some(next) = self
                .graph
                .get(at)
                .and_then(|on| on.iter().find(|n| failing.contains(*n)))
            else {
                break;
            };
            cause = Some(next.clone());
            at = next;
        }
        cause
    }

    /// Takes what is failing now; `last_result` says when a dependent last
    /// had a result of its own. Returns whether the effective map changed.
    pub(crate) fn refresh(
        &mut self,
        failing: &BTreeSet<String>,
        last_result: impl Fn(&str) -> Option<Millis>,
        now: Millis,
    ) -> bool {
        let before = self.effective();
        let blocked: BTreeMap<String, String> = (self.graph.keys())
            .filter_map(|w| self.root(w, failing).map(|c| (w.clone(), c)))
            .collect();
        for (w, c) in &self.blocked {
            if !blocked.contains_key(w) {
                self.held.insert(w.clone(), (c.clone(), now));
            }
        }
        self.held.retain(|w, (_, since)| {
            !blocked.contains_key(w)
                && now.saturating_sub(*since) < HOLD_MAX_MS
                && last_result(w).is_none_or(|t| t <= *since)
        });
        self.blocked = blocked;
        self.effective() != before
    }
}

impl ServicesState {
    /// What blocks this row now, if anything.
    pub(crate) fn blocked_by(&self, r: &Row) -> Option<&str> {
        node(r).and_then(|n| self.blocked.get(&n)).map(String::as_str)
    }

    /// The dependents this row's failure blocks, in words ("" for none):
    /// "blocks a1, a2, web +2".
    pub(crate) fn blocks(&self, r: &Row) -> String {
        let Some(n) = node(r) else { return String::new() };
        let who: Vec<&str> = (self.blocked.iter())
            .filter(|(_, c)| **c == n)
            .map(|(w, _)| w.as_str())
            .collect();
        let mut out = match who.len() {
            0 => return String::new(),
            _ => format!("blocks {}", who.iter().take(3).copied().collect::<Vec<_>>().join(", ")),
        };
        if who.len() > 3 {
            out.push_str(&format!(" +{}", who.len() - 3));
        }
        out
    }
}

impl Store {
    /// The names among the causes that are failing now: a row in error, a
    /// daemon failed, stale or without its process.
    fn failing(&self, now: Millis) -> BTreeSet<String> {
        let causes = self.depends.causes();
        let mut out = BTreeSet::new();
        for s in &self.services.rows {
            if let Some(n) = node(&s.row).filter(|n| causes.contains(n.as_str()))
                && s.row.health == Health::Error
            {
                out.insert(n);
            }
        }
        for a in self.agents.agents.iter().filter(|a| causes.contains(a.name.as_str())) {
            use super::agents::AgentStatus;
            let down = matches!(a.status(now), AgentStatus::Failed | AgentStatus::Stale)
                || super::agents::process_present(a, &self.hosts) == Some(false);
            if down {
                out.insert(a.name.clone());
            }
        }
        out
    }

    /// When a dependent last had a result of its own.
    fn last_result(&self, who: &str) -> Option<Millis> {
        let row = (self.services.rows.iter())
            .filter(|s| node(&s.row).as_deref() == Some(who))
            .filter_map(|s| s.checked_at)
            .max();
        let agent = self.agents.get(who).and_then(|a| a.last_seen());
        row.max(agent)
    }

    /// Recomputes who is blocked; when that changed, the rows and daemons
    /// are told and observed again (their problems move under the cause,
    /// or come back as their own).
    pub(super) fn refresh_depends(&mut self, now: Millis) -> Vec<NewEvent> {
        if self.depends.graph.is_empty() {
            return Vec::new();
        }
        let failing = self.failing(now);
        let mut deps = std::mem::take(&mut self.depends);
        let changed = deps.refresh(&failing, |w| self.last_result(w), now);
        self.depends = deps;
        if !changed {
            return Vec::new();
        }
        let blocked = self.depends.effective();
        for a in &mut self.agents.agents {
            a.blocked_by = blocked.get(&a.name).cloned();
        }
        self.services.blocked = blocked;
        let mut new = self
            .conditions
            .observe("services", self.services.observations(now), now);
        new.extend(self.agents.tick(now, &mut self.conditions, &self.hosts));
        new
    }
}

#[cfg(test)]
mod tests;
