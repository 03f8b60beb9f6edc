//! The problems the Services rows show: failing and stale rows, groups down.

use super::{Health, Kind, Row, ServicesState};
use crate::model::{Level, Millis};
use crate::store::{Observation, Tab};
use std::collections::BTreeMap;

impl ServicesState {
    /// The problems the rows show at `now`: one per failing or stale row,
    /// plus one per group whose every member is down.
    pub(crate) fn observations(&self, now: Millis) -> Vec<Observation> {
        let mut out = Vec::new();
        for s in &self.rows {
            let r = &s.row;
            let mut own = Vec::new();
            if s.stale(now) {
                own.push(Observation {
                    key: format!("stale:{}", r.key),
                    tab: Tab::Services,
                    kind: r.kind.as_str().into(),
                    source: r.name.clone(),
                    title: format!(
                        "{}: no new result (checked every {})",
                        r.name,
                        crate::fmt::ago(r.every_ms)
                    ),
                    level: Level::Warn,
                    escalate: None,
                    recovered: format!("{}: results again", r.name),
                });
            }
            if r.kind == Kind::Metric {
                own.extend(super::metric::observation(s, now, self.group_rounds));
            } else {
                own.extend(self.failure(r));
            }
            crate::store::depends::demote(&mut own, &r.name, self.blocked_by(r));
            out.extend(own);
        }
        out.extend(self.group_observations());
        out
    }

    /// A failing row's problem; a cause says how many it blocks.
    fn failure(&self, r: &Row) -> Option<Observation> {
        let level = match r.health {
            Health::Error => Level::Error,
            Health::Warn => Level::Warn,
            _ => return None,
        };
        let word = if r.kind == Kind::Container { "" } else { " down" };
        let mut title = if r.health == Health::Error {
            format!("{}{word}: {}", r.name, r.detail)
        } else {
            format!("{}: {}", r.name, r.detail)
        };
        let blocks = self.blocks(r);
        if !blocks.is_empty() {
            title.push_str(&format!(" ({blocks})"));
        }
        Some(Observation {
            key: format!("svc:{}", r.key),
            tab: Tab::Services,
            kind: r.kind.as_str().into(),
            source: r.name.clone(),
            title,
            level,
            escalate: super::launchd::escalate(r, self.critical_after_ms),
            recovered: format!("{} is ok again", r.name),
        })
    }

    /// One problem per group whose every member is down: critical once
    /// `group_rounds` results in a row agree.
    fn group_observations(&self) -> Vec<Observation> {
        let mut out = Vec::new();
        // Per group: members, members down, and the fewest failed results
        // in a row of any member (the rounds the whole group was down).
        let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for s in &self.rows {
            if let Some(g) = &s.row.group {
                let e = groups.entry(g).or_insert((0, 0, usize::MAX));
                e.0 += 1;
                if s.row.health == Health::Error {
                    e.1 += 1;
                }
                let failed = s.history.iter().rev().take_while(|r| r.health == Health::Error).count();
                e.2 = e.2.min(failed);
            }
        }
        for (g, (n, down, rounds)) in groups {
            if n > 0 && n == down {
                out.push(Observation {
                    key: format!("group:{g}"),
                    tab: Tab::Services,
                    kind: "service-group".into(),
                    source: g.to_string(),
                    title: format!("all {g} down ({n} of {n})"),
                    // The group is the redundancy: all of it gone, and
                    // confirmed, is the sustained failure itself.
                    level: if rounds >= self.group_rounds {
                        Level::Critical
                    } else {
                        Level::Error
                    },
                    escalate: None,
                    recovered: format!("{g}: some are up again"),
                });
            }
        }
        out
    }
}
