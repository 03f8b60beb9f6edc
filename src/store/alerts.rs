//! Alert rules as data: sources observe conditions, time escalates them,
//! and every change of a condition's effective level is an edge event.
//! `critical` is only ever reached by escalation of a sustained condition.

use super::events::NewEvent;
use crate::model::{Level, Millis};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Tab {
    #[default]
    Fleet,
    Services,
    Nats,
    Agents,
}

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
    pub source: String,
    pub title: String,
    pub since: Millis,
}

#[derive(Debug, Clone, Default)]
pub struct Conditions {
    active: BTreeMap<String, (String, Active)>,
}

impl Conditions {
    /// Replaces every condition of `scope` with `observed`; returns the edges.
    pub fn observe(&mut self, scope: &str, observed: Vec<Observation>, now: Millis) -> Vec<NewEvent> {
        let mut events = Vec::new();
        let mut fresh: BTreeMap<String, Observation> = observed.into_iter().map(|o| (o.key.clone(), o)).collect();
        let stale: Vec<String> = self
            .active
            .iter()
            .filter(|(k, (s, _))| s == scope && !fresh.contains_key(*k))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some((_, a)) = self.active.remove(&k) {
                events.push(NewEvent {
                    level: Level::Info,
                    kind: a.obs.kind.clone(),
                    source: a.obs.source.clone(),
                    title: a.obs.recovered.clone(),
                    detail: String::new(),
                });
            }
        }
        for (k, obs) in std::mem::take(&mut fresh) {
            match self.active.get_mut(&k) {
                Some((_, a)) => {
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
                    self.active.insert(k, (scope.to_string(), a));
                }
            }
        }
        events.extend(self.evaluate(now));
        events
    }

    /// Time-driven escalation: the edges that `now` alone produces.
    pub fn evaluate(&mut self, now: Millis) -> Vec<NewEvent> {
        let mut events = Vec::new();
        for (_, a) in self.active.values_mut() {
            let eff = a.effective(now);
            if eff != a.reported {
                a.reported = eff;
                events.push(NewEvent {
                    level: eff,
                    kind: a.obs.kind.clone(),
                    source: a.obs.source.clone(),
                    title: a.obs.title.clone(),
                    detail: String::new(),
                });
            }
        }
        events
    }

    /// Current problems, worst first.
    pub fn problems(&self, now: Millis) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .active
            .values()
            .map(|(_, a)| Problem {
                level: a.effective(now),
                tab: a.obs.tab,
                source: a.obs.source.clone(),
                title: a.obs.title.clone(),
                since: a.since,
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

    /// The worst level at `now` of the active conditions whose key `of`
    /// accepts (an entity's own conditions); None when there is none.
    pub fn worst(&self, now: Millis, of: impl Fn(&str) -> bool) -> Option<Level> {
        self.active
            .iter()
            .filter(|(k, _)| of(k))
            .map(|(_, (_, a))| a.effective(now))
            .max()
    }

    /// The earliest future moment at which some condition escalates.
    pub fn next_escalation(&self, now: Millis) -> Option<Millis> {
        self.active
            .values()
            .filter_map(|(_, a)| a.obs.escalate.map(|(_, after)| a.since.saturating_add(after)))
            .filter(|t| *t > now)
            .min()
    }
}
