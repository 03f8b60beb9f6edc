//! How updates change the Services tab's rows: upserts, scoped sets,
//! container details and actions.

use super::configured::configured;
use super::container::container_edges;
use super::{
    CheckResult, ContainerInfo, DETAIL_MAX, DockerCommand, HISTORY, Kind, LOG_LINES, Row, Service, ServiceUpdate,
    ServicesState,
};
use crate::config::Config;
use crate::model::{Level, Millis};
use crate::parse::sanitize::sanitize;
use crate::store::{Conditions, NewEvent};
use std::collections::VecDeque;

fn cut(s: &str) -> String {
    let s = sanitize(s);
    if s.chars().count() > DETAIL_MAX {
        s.chars().take(DETAIL_MAX).collect::<String>() + "~"
    } else {
        s
    }
}

fn clean(mut r: Row) -> Row {
    r.name = cut(&r.name);
    r.source = cut(&r.source);
    r.detail = cut(&r.detail);
    r.group = r.group.map(|g| cut(&g));
    if let Some(c) = &mut r.container {
        c.image = cut(&c.image);
        c.state = cut(&c.state);
        c.health = cut(&c.health);
        c.ports = cut(&c.ports);
    }
    r
}

impl ServicesState {
    /// Every configured check has its row from the start, in config order,
    /// "waiting" until its first result (so the list is in config order
    /// and a group is only "all down" once every member has said so).
    pub fn new(config: &Config) -> Self {
        let mut st = ServicesState {
            group_rounds: 2,
            critical_after_ms: config.alerts.offline_critical_after.as_millis(),
            ..Default::default()
        };
        for (row, scoped) in configured(config) {
            if scoped {
                st.scopes.insert(row.key.clone(), row.key.clone());
            }
            st.rows.push(Service {
                row: clean(row),
                checked_at: None,
                history: VecDeque::new(),
            });
        }
        st
    }

    /// Whether every configured check has reported once (for `snapshot`
    /// and `check`, which collect one round).
    pub(crate) fn first_round_done(&self, config: &Config) -> bool {
        configured(config)
            .into_iter()
            .all(|(r, _)| self.get(&r.key).is_some_and(|s| s.checked_at.is_some()))
    }

    /// Where a new row of `scope` goes: after the scope's last row.
    fn insert_pos(&self, scope: Option<&str>) -> usize {
        scope
            .and_then(|sc| {
                self.rows
                    .iter()
                    .rposition(|s| s.row.key == sc || self.scopes.get(&s.row.key).is_some_and(|x| x == sc))
            })
            .map_or(self.rows.len(), |i| i + 1)
    }

    pub fn get(&self, key: &str) -> Option<&Service> {
        self.rows.iter().find(|s| s.row.key == key)
    }

    pub fn containers(&self) -> impl Iterator<Item = (&Service, &ContainerInfo)> {
        self.rows
            .iter()
            .filter_map(|s| s.row.container.as_ref().map(|c| (s, c)))
    }

    /// Asks the container's Docker source to restart it; false when no
    /// source takes commands for it (not connected).
    pub fn request_restart(&self, key: &str) -> bool {
        self.command(key, true)
    }

    /// Asks for a container's inspect details and log tail (its drill-down).
    pub fn request_details(&self, key: &str) -> bool {
        self.command(key, false)
    }

    fn command(&self, key: &str, restart: bool) -> bool {
        let Some((s, c)) = self.containers().find(|(s, _)| s.row.key == key) else {
            return false;
        };
        let Some(tx) = self.commands.get(&c.endpoint) else {
            return false;
        };
        let (key, id) = (s.row.key.clone(), c.id.clone());
        let cmd = if restart {
            DockerCommand::Restart { key, id }
        } else {
            DockerCommand::Details { key, id }
        };
        tx.try_send(cmd).is_ok()
    }

    /// Marks a container's action as under way (before its result comes).
    pub(crate) fn note_action(&mut self, key: &str, words: &str) {
        if let Some(c) = self
            .rows
            .iter_mut()
            .find(|s| s.row.key == key)
            .and_then(|s| s.row.container.as_mut())
        {
            c.action = Some(words.to_string());
        }
    }

    fn upsert(&mut self, row: Row, scope: Option<&str>, now: Millis, events: &mut Vec<NewEvent>) {
        let row = super::metric::judged(self.get(&row.key), clean(row), now);
        let result = CheckResult {
            at: now,
            health: row.health,
            latency_ms: row.latency_ms,
            detail: row.detail.clone(),
        };
        match self.rows.iter_mut().find(|s| s.row.key == row.key) {
            Some(s) => {
                if let (Some(old), Some(new)) = (&s.row.container, &row.container) {
                    container_edges(&s.row.name, old, new, events);
                }
                // From none, a change of health is the event already.
                if let (Some((old, _)), Some((new, what))) = (s.row.rising, row.rising)
                    && new > old
                    && (old > 0 || s.row.health == row.health)
                {
                    events.push(NewEvent {
                        level: Level::Warn,
                        kind: row.kind.as_str().into(),
                        source: row.name.clone(),
                        title: format!("{}: {what} {old} -> {new}", row.name),
                        detail: String::new(),
                    });
                }
                // Details fetched for the drill-down outlive list refreshes.
                let kept = s
                    .row
                    .container
                    .as_ref()
                    .map(|c| (c.fields.clone(), c.logs.clone(), c.action.clone(), c.restart_base));
                s.row = row;
                if let (Some(c), Some((f, l, a, base))) = (&mut s.row.container, kept) {
                    c.restart_base = base;
                    if c.fields.is_empty() {
                        c.fields = f;
                    }
                    if c.logs.is_empty() {
                        c.logs = l;
                    }
                    if c.action.is_none() {
                        c.action = a;
                    }
                }
                s.checked_at = Some(now);
                if s.history.len() == HISTORY {
                    s.history.pop_front();
                }
                s.history.push_back(result);
            }
            None => {
                let at = self.insert_pos(scope);
                let mut row = row;
                if let Some(c) = &mut row.container {
                    c.restart_base = c.restart_count;
                }
                self.rows.insert(
                    at,
                    Service {
                        row,
                        checked_at: Some(now),
                        history: VecDeque::from([result]),
                    },
                );
            }
        }
    }

    /// The wall clock stepped by `d`: the times of checks move with it.
    pub(in crate::store) fn shift_clock(&mut self, d: Millis) {
        for s in &mut self.rows {
            s.checked_at = s.checked_at.map(|t| t.saturating_add(d));
            s.history.iter_mut().for_each(|r| r.at = r.at.saturating_add(d));
            super::metric::shift_clock(&mut s.row, d);
        }
    }

    pub fn apply(&mut self, u: ServiceUpdate, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        let mut events = Vec::new();
        match u {
            ServiceUpdate::Result(row) => self.upsert(*row, None, now, &mut events),
            ServiceUpdate::Set { scope, rows } => self.set(scope, rows, now, &mut events),
            ServiceUpdate::DockerReady { endpoint, commands } => {
                self.commands.insert(endpoint, commands);
            }
            ServiceUpdate::ContainerDetails { key, fields, logs } => self.details(&key, fields, logs),
            ServiceUpdate::ActionResult { key, ok, message } => {
                let name = self
                    .get(&key)
                    .map(|s| s.row.name.clone())
                    .unwrap_or_else(|| key.clone());
                let message = cut(&message);
                events.push(NewEvent {
                    level: if ok { Level::Info } else { Level::Error },
                    kind: "container".into(),
                    source: name.clone(),
                    title: format!("{name}: {message}"),
                    detail: String::new(),
                });
                self.note_action(&key, &message);
            }
        }
        events.extend(conditions.observe("services", self.observations(now), now));
        events
    }

    /// Every row of `scope`: rows not in `rows` go away (a container's
    /// removal is a ticker event), the others are upserted.
    fn set(&mut self, scope: String, rows: Vec<Row>, now: Millis, events: &mut Vec<NewEvent>) {
        let keep: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        let gone: Vec<String> = self
            .scopes
            .iter()
            .filter(|(k, s)| **s == scope && !keep.contains(k))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.scopes.remove(&k);
            if let Some(i) = self.rows.iter().position(|s| s.row.key == k) {
                let s = self.rows.remove(i);
                if s.row.kind == Kind::Container {
                    events.push(NewEvent {
                        level: Level::Info,
                        kind: "container".into(),
                        source: s.row.source.clone(),
                        title: format!("{} removed", s.row.name),
                        detail: String::new(),
                    });
                }
            }
        }
        for r in rows {
            let new = self.get(&r.key).is_none();
            let key = r.key.clone();
            self.upsert(r, Some(&scope), now, events);
            if new || !self.scopes.contains_key(&key) {
                self.scopes.insert(key, scope.clone());
            }
        }
    }

    /// Inspect details and logs for a container's drill-down.
    fn details(&mut self, key: &str, fields: Vec<(String, String)>, logs: Vec<String>) {
        if let Some(c) = self
            .rows
            .iter_mut()
            .find(|s| s.row.key == key)
            .and_then(|s| s.row.container.as_mut())
        {
            c.fields = fields.into_iter().map(|(k, v)| (cut(&k), cut(&v))).collect();
            let n = logs.len();
            c.logs = logs
                .into_iter()
                .skip(n.saturating_sub(LOG_LINES))
                .map(|l| crate::parse::sanitize::sanitize(&l))
                .collect();
        }
    }

    /// Time passing alone: rows going stale (sustained failures escalate
    /// in `Conditions`).
    pub fn tick(&mut self, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        if self.rows.iter().any(|s| s.row.every_ms > 0) {
            conditions.observe("services", self.observations(now), now)
        } else {
            Vec::new()
        }
    }
}
