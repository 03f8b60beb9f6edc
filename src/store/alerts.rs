//! Alert rules as data: sources observe conditions, time escalates them,
//! and every change of a condition's effective level is an edge event.
//! `critical` is only ever reached by escalation of a sustained condition.

use super::events::NewEvent;
use crate::model::{Level, Millis};
use crate::parse::sanitize::Clean;
use std::collections::{BTreeMap, VecDeque};

pub use crate::tab::Tab;

/// Something wrong, as one rule sees it right now.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub key: String,
    pub tab: Tab,
    pub kind: String,
    pub source: String,
    pub title: String,
    pub level: Level,
    /// Escalate to this level once the condition has held this long.
    pub escalate: Option<(Level, i64)>,
    /// The event title when the condition clears.
    pub recovered: String,
}

#[derive(Debug, Clone)]
struct Active {
    obs: Observation,
    since: Millis,
    reported: Level,
}

impl Active {
    fn effective(&self, now: Millis) -> Level {
        match self.obs.escalate {
            Some((to, after)) if now.saturating_sub(self.since) >= after => to.max(self.obs.level),
            _ => self.obs.level,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub level: Level,
    pub tab: Tab,
    /// Made of outside text (names, errors): sanitised, whoever printed it.
    pub source: Clean,
    pub title: Clean,
    pub since: Millis,
    /// The condition's key (stable across runs: made of configured names).
    pub key: String,
    /// Acknowledged at this level or a worse one ([`super::quiet`]).
    pub acknowledged: bool,
    /// Its source is silenced until then.
    pub silenced_until: Option<Millis>,
}

/// Edges made and not yet taken by the store (see [`Conditions::edge_key`]), at most.
const MAX_PENDING_EDGES: usize = 1024;

/// The active conditions, by scope (a host, a service, an agent…) and key:
/// observing one scope touches that scope's conditions only.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    active: BTreeMap<String, BTreeMap<String, Active>>,
    /// The edges just made, with their condition's key, until the store
    /// takes the key with the event ([`Conditions::edge_key`]).
    pending: VecDeque<(String, NewEvent)>,
}

fn edge(a: &Active, level: Level, title: &str) -> (String, NewEvent) {
    let e = NewEvent {
        level,
        kind: a.obs.kind.clone(),
        source: a.obs.source.clone(),
        title: title.to_string(),
        detail: String::new(),
    };
    (a.obs.key.clone(), e)
}

fn same(a: &NewEvent, b: &NewEvent) -> bool {
    a.level == b.level && a.title == b.title && a.source == b.source && a.kind == b.kind
}

impl Conditions {
    /// Replaces every condition of `scope` with `observed`; returns the edges
    /// (of this scope: time escalates the others in [`Conditions::evaluate`]).
    pub(crate) fn observe(&mut self, scope: &str, observed: Vec<Observation>, now: Millis) -> Vec<NewEvent> {
        let mut events = Vec::new();
        let mut fresh: BTreeMap<String, Observation> = observed.into_iter().map(|o| (o.key.clone(), o)).collect();
        if fresh.is_empty() && !self.active.contains_key(scope) {
            return Vec::new();
        }
        let active = self.active.entry(scope.to_string()).or_default();
        active.retain(|k, a| {
            let kept = fresh.contains_key(k);
            if !kept {
                events.push(edge(a, Level::Info, &a.obs.recovered));
            }
            kept
        });
        for (k, obs) in std::mem::take(&mut fresh) {
            match active.get_mut(&k) {
                Some(a) => {
                    let same_rule = a.obs.level == obs.level && a.obs.escalate == obs.escalate;
                    if !same_rule {
                        a.since = now;
                    }
                    a.obs = obs;
                }
                None => {
                    let a = Active {
                        obs,
                        since: now,
                        reported: Level::Info,
                    };
                    active.insert(k, a);
                }
            }
        }
        events.extend(Self::evaluate_all(active.values_mut(), now));
        if active.is_empty() {
            self.active.remove(scope);
        }
        self.tag(events)
    }

    /// Keeps each edge's key for the store to take; returns the edges.
    fn tag(&mut self, edges: Vec<(String, NewEvent)>) -> Vec<NewEvent> {
        let mut out = Vec::with_capacity(edges.len());
        for (key, e) in edges {
            if self.pending.len() >= MAX_PENDING_EDGES {
                self.pending.pop_front();
            }
            self.pending.push_back((key, e.clone()));
            out.push(e);
        }
        out
    }

    /// The key of the condition `e` is an edge of, if it is one that was
    /// just made (taken once).
    pub(crate) fn edge_key(&mut self, e: &NewEvent) -> Option<String> {
        let i = self.pending.iter().position(|(_, p)| same(p, e))?;
        self.pending.remove(i).map(|(k, _)| k)
    }

    fn evaluate_all<'a>(active: impl Iterator<Item = &'a mut Active>, now: Millis) -> Vec<(String, NewEvent)> {
        let mut events = Vec::new();
        for a in active {
            let eff = a.effective(now);
            if eff != a.reported {
                a.reported = eff;
                events.push(edge(a, eff, &a.obs.title));
            }
        }
        events
    }

    fn all(&self) -> impl Iterator<Item = &Active> {
        self.active.values().flat_map(|m| m.values())
    }

    /// Time-driven escalation: the edges that `now` alone produces.
    pub(crate) fn evaluate(&mut self, now: Millis) -> Vec<NewEvent> {
        let edges = Self::evaluate_all(self.active.values_mut().flat_map(|m| m.values_mut()), now);
        self.tag(edges)
    }

    /// Current problems, worst first.
    pub fn problems(&self, now: Millis) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .all()
            .map(|a| Problem {
                level: a.effective(now),
                tab: a.obs.tab,
                source: Clean::new(&a.obs.source),
                title: Clean::new(&a.obs.title),
                since: a.since,
                key: a.obs.key.clone(),
                acknowledged: false,
                silenced_until: None,
            })
            .filter(|p| p.level >= Level::Warn)
            .collect();
        out.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(a.since.cmp(&b.since))
                .then(a.title.cmp(&b.title))
        });
        out
    }

    /// Moves every condition's start by `d` (the wall clock stepped by
    /// `d`): how long a condition has held is not changed by the step.
    pub(crate) fn shift_clock(&mut self, d: Millis) {
        for a in self.active.values_mut().flat_map(|m| m.values_mut()) {
            a.since = a.since.saturating_add(d);
        }
    }

    /// The worst level at `now` of the active conditions whose key `of`
    /// accepts (an entity's own conditions); None when there is none.
    pub fn worst(&self, now: Millis, of: impl Fn(&str) -> bool) -> Option<Level> {
        (self.active.values().flat_map(|m| m.iter()))
            .filter(|(k, _)| of(k))
            .map(|(_, a)| a.effective(now))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(key: &str, escalate: Option<(Level, i64)>) -> Observation {
        Observation {
            key: key.into(),
            tab: Tab::Fleet,
            kind: "k".into(),
            source: key.into(),
            title: format!("{key} bad"),
            level: Level::Warn,
            escalate,
            recovered: format!("{key} ok"),
        }
    }

    /// Observing one row touches that row's conditions only: another's
    /// escalation is time's business (`evaluate`, once a tick).
    #[test]
    fn observing_one_scope_leaves_the_others_alone() {
        let mut c = Conditions::default();
        c.observe("a", vec![obs("a:x", Some((Level::Critical, 10)))], 0);
        let edges = c.observe("b", vec![obs("b:x", None)], 20);
        assert_eq!(edges.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(), ["b:x bad"]);
        let edges = c.evaluate(20);
        assert_eq!((edges.len(), edges[0].level), (1, Level::Critical));
        // Clearing one scope recovers its conditions only.
        let edges = c.observe("b", Vec::new(), 30);
        assert_eq!(edges.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(), ["b:x ok"]);
        assert_eq!(c.problems(30).len(), 1);
    }

    /// What `check` prints and the snapshot holds is sanitised, whatever
    /// a rule put in a title.
    #[test]
    fn problems_are_clean_text() {
        let mut c = Conditions::default();
        let mut o = obs("h", None);
        o.title = "disk \x1b]0;owned\x07/home\nCRITICAL forged".into();
        o.source = "h\x1b[2J".into();
        c.observe("h", vec![o], 0);
        let p = &c.problems(0)[0];
        assert_eq!(
            (p.source.as_str(), p.title.as_str()),
            ("h", "disk /home CRITICAL forged")
        );
    }

    /// 20,000 rows (pushed hosts, agents) each observed: the work is per
    /// row, not per row times every condition (that took minutes).
    #[test]
    fn thousands_of_scopes_cost_per_scope() {
        let mut c = Conditions::default();
        let keys: Vec<String> = (0..20_000).map(|i| format!("host-state:h{i}")).collect();
        let start = std::time::Instant::now();
        for round in 0..3 {
            for k in &keys {
                c.observe(k, vec![obs(k, Some((Level::Critical, 5)))], round);
            }
        }
        let took = start.elapsed();
        assert_eq!(c.problems(10).len(), 20_000);
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    }
}
