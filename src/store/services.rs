//! The Services tab's state: one row per check (an HTTP URL, a TCP port, a
//! container, a failed unit, a file's freshness, a process, a Syncthing
//! folder, a launchd job), each with its last 60 results.

use super::{Conditions, NewEvent, Observation, Tab};
use crate::config::Config;
use crate::model::{Level, Millis};
use crate::parse::redact::redact_url;
use crate::parse::sanitize::sanitize;
use crate::update::services::{ContainerInfo, DockerCommand, Health, Kind, LOG_LINES, Row, ServiceUpdate};
use std::collections::{BTreeMap, VecDeque};
use tokio::sync::mpsc;

/// Results kept per row, for the sparkline and the drill-down.
pub const HISTORY: usize = 60;
/// A detail string is cut to this many characters.
const DETAIL_MAX: usize = 300;

/// One result of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub at: Millis,
    pub health: Health,
    pub latency_ms: Option<f64>,
    pub detail: String,
}

/// A row with its history.
#[derive(Debug, Clone)]
pub struct Service {
    pub row: Row,
    pub checked_at: Option<Millis>,
    pub history: VecDeque<CheckResult>,
}

/// Some slack on top of three intervals before a row counts as stale.
const STALE_SLACK_MS: i64 = 30_000;

impl Service {
    /// No new result for three intervals: the check itself is stuck.
    pub fn stale(&self, now: Millis) -> bool {
        let every = self.row.every_ms;
        every > 0
            && self
                .checked_at
                .is_some_and(|at| now.saturating_sub(at) > every.saturating_mul(3).saturating_add(STALE_SLACK_MS))
    }

    pub fn latencies(&self) -> Vec<f64> {
        self.history.iter().map(|r| r.latency_ms.unwrap_or(0.0)).collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServicesState {
    /// In the order they first appeared (config order for configured checks).
    pub rows: Vec<Service>,
    /// Which scope each row belongs to (for `Set`).
    scopes: BTreeMap<String, String>,
    commands: BTreeMap<String, mpsc::Sender<DockerCommand>>,
    /// How many results in a row every member of a group must have failed
    /// for the group to be critical: 2 when watching (two rounds agree),
    /// 1 for `snapshot` and `check`, which see one round.
    pub group_rounds: usize,
}

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
    pub fn first_round_done(&self, config: &Config) -> bool {
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
    pub fn note_action(&mut self, key: &str, words: &str) {
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
        let row = clean(row);
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
    pub(super) fn shift_clock(&mut self, d: Millis) {
        for s in &mut self.rows {
            s.checked_at = s.checked_at.map(|t| t.saturating_add(d));
            s.history.iter_mut().for_each(|r| r.at = r.at.saturating_add(d));
        }
    }

    pub fn apply(&mut self, u: ServiceUpdate, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        let mut events = Vec::new();
        match u {
            ServiceUpdate::Result(row) => self.upsert(*row, None, now, &mut events),
            ServiceUpdate::Set { scope, rows } => {
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
                    self.upsert(r, Some(&scope), now, &mut events);
                    if new || !self.scopes.contains_key(&key) {
                        self.scopes.insert(key, scope.clone());
                    }
                }
            }
            ServiceUpdate::DockerReady { endpoint, commands } => {
                self.commands.insert(endpoint, commands);
            }
            ServiceUpdate::ContainerDetails { key, fields, logs } => {
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

    /// Time passing alone: rows going stale (sustained failures escalate
    /// in `Conditions`).
    pub fn tick(&mut self, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        if self.rows.iter().any(|s| s.row.every_ms > 0) {
            conditions.observe("services", self.observations(now), now)
        } else {
            Vec::new()
        }
    }

    /// The problems the rows show at `now`: one per failing or stale row,
    /// plus one per group whose every member is down.
    pub fn observations(&self, now: Millis) -> Vec<Observation> {
        let mut out = Vec::new();
        for s in &self.rows {
            let r = &s.row;
            if s.stale(now) {
                out.push(Observation {
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
            let level = match r.health {
                Health::Error => Level::Error,
                Health::Warn => Level::Warn,
                _ => continue,
            };
            let word = if r.kind == Kind::Container { "" } else { " down" };
            let title = if r.health == Health::Error {
                format!("{}{word}: {}", r.name, r.detail)
            } else {
                format!("{}: {}", r.name, r.detail)
            };
            out.push(Observation {
                key: format!("svc:{}", r.key),
                tab: Tab::Services,
                kind: r.kind.as_str().into(),
                source: r.name.clone(),
                title,
                level,
                escalate: None,
                recovered: format!("{} is ok again", r.name),
            });
        }
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

/// The rows the config asks for, each with whether it heads a scope (a
/// source that sends a whole set of rows). Keys and names are the ones the
/// sources in `sources::services` send.
fn configured(config: &Config) -> Vec<(Row, bool)> {
    const WAIT: &str = "waiting for the first result";
    let sv = &config.services;
    let mut out = Vec::new();
    let mut add = |key: String, kind: Kind, name: String, source: String, group: Option<String>, scoped: bool| {
        let mut r = Row::new(key, kind, name, Health::Unknown, WAIT);
        r.source = source;
        r.group = group;
        out.push((r, scoped));
    };
    for s in &sv.http {
        add(
            format!("http:{}", s.name),
            Kind::Http,
            s.name.clone(),
            redact_url(s.url.get_ref()),
            s.group.clone(),
            false,
        );
    }
    for s in &sv.tcp {
        add(
            format!("tcp:{}", s.name),
            Kind::Tcp,
            s.name.clone(),
            s.address.clone(),
            s.group.clone(),
            false,
        );
    }
    for s in &sv.docker {
        let src = s.endpoint.as_deref().map_or_else(|| "local".into(), redact_url);
        add(
            format!("docker:{}", s.name),
            Kind::Container,
            format!("docker {}", s.name),
            src,
            None,
            true,
        );
    }
    for s in &sv.systemd {
        let h = s.host.get_ref();
        let name = s.name.clone().unwrap_or_else(|| format!("{h} units"));
        add(format!("systemd:{h}"), Kind::Systemd, name, h.clone(), None, true);
    }
    for s in &sv.freshness {
        add(
            format!("freshness:{}", s.name),
            Kind::Freshness,
            s.name.clone(),
            s.path.clone(),
            None,
            false,
        );
    }
    for s in &sv.process {
        let h = s.host.as_ref().map_or_else(|| "local".into(), |h| h.get_ref().clone());
        add(
            format!("process:{}", s.name),
            Kind::Process,
            s.name.clone(),
            h,
            None,
            false,
        );
    }
    for s in &sv.syncthing {
        add(
            format!("syncthing:{}", s.name),
            Kind::Syncthing,
            s.name.clone(),
            redact_url(s.url.get_ref()),
            None,
            true,
        );
    }
    for s in &sv.launchd {
        let h = s.host.get_ref();
        let name = s.name.clone().unwrap_or_else(|| format!("{h} launchd"));
        add(format!("launchd:{h}"), Kind::Launchd, name, h.clone(), None, true);
    }
    out
}

/// Edge events of a container: restarts and state changes.
fn container_edges(name: &str, old: &ContainerInfo, new: &ContainerInfo, events: &mut Vec<NewEvent>) {
    if new.restart_count > old.restart_count {
        events.push(NewEvent {
            level: Level::Warn,
            kind: "container".into(),
            source: name.to_string(),
            title: format!("{name} restarted, count {}", new.restart_count),
            detail: String::new(),
        });
    }
    // A restart says enough; the state flips that come with it would be noise.
    if new.state != old.state && new.restart_count == old.restart_count {
        let mut title = format!("{name} {}", new.state);
        if new.state == "exited"
            && let Some(c) = new.exit_code
        {
            title.push_str(&format!(" (code {c})"));
        }
        events.push(NewEvent {
            level: Level::Info,
            kind: "container".into(),
            source: name.to_string(),
            title,
            detail: String::new(),
        });
    }
    if new.health != old.health && !new.health.is_empty() {
        events.push(NewEvent {
            level: if new.health == "unhealthy" {
                Level::Warn
            } else {
                Level::Info
            },
            kind: "container".into(),
            source: name.to_string(),
            title: format!("{name} {}", new.health),
            detail: String::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::services::container_health;

    fn state() -> (ServicesState, Conditions) {
        let c = crate::config::parse_str("", "test").unwrap();
        (ServicesState::new(&c), Conditions::default())
    }

    fn http(name: &str, group: Option<&str>, health: Health) -> ServiceUpdate {
        let mut r = Row::new(format!("http:{name}"), Kind::Http, name, health, "HTTP 500");
        r.group = group.map(str::to_string);
        ServiceUpdate::Result(Box::new(r))
    }

    #[test]
    fn a_failing_row_is_a_problem_and_its_recovery_an_event() {
        let (mut s, mut c) = state();
        let ev = s.apply(http("api", None, Health::Error), 1000, &mut c);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].level, Level::Error);
        assert_eq!(ev[0].title, "api down: HTTP 500");
        assert_eq!(c.problems(1000).len(), 1);
        let ev = s.apply(http("api", None, Health::Ok), 2000, &mut c);
        assert_eq!(ev[0].title, "api is ok again");
        assert!(c.problems(2000).is_empty());
        assert_eq!(s.get("http:api").unwrap().history.len(), 2);
    }

    #[test]
    fn a_whole_group_down_two_rounds_running_is_critical() {
        let (mut s, mut c) = state();
        let level = |c: &Conditions, at| {
            c.problems(at)
                .iter()
                .find(|p| p.title == "all tunnels down (2 of 2)")
                .map(|p| p.level)
        };
        s.apply(http("t1", Some("tunnels"), Health::Error), 0, &mut c);
        s.apply(http("t2", Some("tunnels"), Health::Ok), 0, &mut c);
        assert_eq!(level(&c, 10_000_000), None);
        s.apply(http("t2", Some("tunnels"), Health::Error), 1000, &mut c);
        assert_eq!(level(&c, 1000), Some(Level::Error), "one round: not yet sure");
        s.apply(http("t1", Some("tunnels"), Health::Error), 2000, &mut c);
        assert_eq!(level(&c, 2000), Some(Level::Error), "t2 has failed once only");
        let ev = s.apply(http("t2", Some("tunnels"), Health::Error), 3000, &mut c);
        assert_eq!(level(&c, 3000), Some(Level::Critical), "two rounds agree");
        assert!(ev.iter().any(|e| e.level == Level::Critical));
        // One member back: the group condition clears.
        s.apply(http("t1", Some("tunnels"), Health::Ok), 4000, &mut c);
        assert_eq!(level(&c, 4000), None);
    }

    #[test]
    fn a_whole_group_down_in_a_one_round_view_is_critical_at_once() {
        let (mut s, mut c) = state();
        s.group_rounds = 1;
        s.apply(http("t1", Some("tunnels"), Health::Error), 0, &mut c);
        s.apply(http("t2", Some("tunnels"), Health::Error), 0, &mut c);
        assert!(
            c.problems(0)
                .iter()
                .any(|p| p.title == "all tunnels down (2 of 2)" && p.level == Level::Critical)
        );
    }

    #[test]
    fn configured_rows_wait_in_config_order_and_a_silent_member_keeps_a_group_up() {
        let c = crate::config::parse_str(
            "[[services.http]]\nname = \"a\"\nurl = \"http://x/\"\ngroup = \"g\"\n[[services.docker]]\nname = \"local\"\n[[services.tcp]]\nname = \"b\"\naddress = \"x:1\"\ngroup = \"g\"\n[[services.syncthing]]\nname = \"st\"\nurl = \"http://y/\"\n",
            "t",
        )
        .unwrap();
        let (mut s, mut cd) = (ServicesState::new(&c), Conditions::default());
        let keys = |s: &ServicesState| s.rows.iter().map(|r| r.row.key.clone()).collect::<Vec<_>>();
        // Config order within each kind, kinds in config.toml.example's order.
        assert_eq!(keys(&s), ["http:a", "tcp:b", "docker:local", "syncthing:st"]);
        assert!(
            s.rows
                .iter()
                .all(|r| r.row.health == Health::Unknown && r.checked_at.is_none())
        );
        assert!(!s.first_round_done(&c));
        s.apply(http("a", Some("g"), Health::Error), 0, &mut cd);
        assert!(
            !cd.problems(0).iter().any(|p| p.title.starts_with("all g")),
            "b has not answered"
        );
        // A container lands after its endpoint's row, not at the end.
        let mut head = Row::new("docker:local", Kind::Container, "docker local", Health::Ok, "connected");
        head.source = "local".into();
        s.apply(
            ServiceUpdate::Set {
                scope: "docker:local".into(),
                rows: vec![head, container("web", "running", 0, None)],
            },
            0,
            &mut cd,
        );
        assert_eq!(
            keys(&s),
            ["http:a", "tcp:b", "docker:local", "docker:local/web", "syncthing:st"]
        );
        let mut b = Row::new("tcp:b", Kind::Tcp, "b", Health::Error, "connection refused");
        b.group = Some("g".into());
        s.apply(ServiceUpdate::Result(Box::new(b)), 0, &mut cd);
        assert!(cd.problems(0).iter().any(|p| p.title == "all g down (2 of 2)"));
        assert!(!s.first_round_done(&c), "syncthing has not answered");
    }

    #[test]
    fn a_row_without_results_for_three_intervals_is_stale_and_said_so() {
        let (mut s, mut c) = state();
        let mut r = Row::new("tcp:db", Kind::Tcp, "db", Health::Ok, "open");
        r.every_ms = 10_000;
        s.apply(ServiceUpdate::Result(Box::new(r.clone())), 0, &mut c);
        assert!(s.tick(60_000, &mut c).is_empty(), "not yet: 3 x 10 s + 30 s");
        let ev = s.tick(60_001, &mut c);
        assert_eq!(ev[0].title, "db: no new result (checked every 10s)");
        assert_eq!(ev[0].level, Level::Warn);
        let ev = s.apply(ServiceUpdate::Result(Box::new(r)), 61_000, &mut c);
        assert_eq!(ev[0].title, "db: results again");
    }

    #[test]
    fn history_is_bounded() {
        let (mut s, mut c) = state();
        for i in 0..200 {
            s.apply(http("api", None, Health::Ok), i, &mut c);
        }
        assert_eq!(s.get("http:api").unwrap().history.len(), HISTORY);
    }

    fn container(name: &str, state: &str, restarts: i64, exit: Option<i64>) -> Row {
        let (h, d) = container_health(state, "", exit);
        let mut r = Row::new(format!("docker:local/{name}"), Kind::Container, name, h, d);
        r.container = Some(ContainerInfo {
            endpoint: "local".into(),
            state: state.into(),
            restart_count: restarts,
            exit_code: exit,
            ..Default::default()
        });
        r
    }

    #[test]
    fn restart_count_rising_is_a_ticker_event_and_removed_containers_go() {
        let (mut s, mut c) = state();
        let set = |rows| ServiceUpdate::Set {
            scope: "docker:local".into(),
            rows,
        };
        s.apply(
            set(vec![
                container("flappy", "running", 6, None),
                container("web", "running", 0, None),
            ]),
            0,
            &mut c,
        );
        let ev = s.apply(set(vec![container("flappy", "restarting", 7, None)]), 1000, &mut c);
        let titles: Vec<&str> = ev.iter().map(|e| e.title.as_str()).collect();
        assert!(titles.contains(&"flappy restarted, count 7"), "{titles:?}");
        assert!(titles.contains(&"web removed"), "{titles:?}");
        assert_eq!(s.rows.len(), 1);
        let ev = s.apply(set(vec![container("flappy", "exited", 7, Some(1))]), 2000, &mut c);
        assert!(ev.iter().any(|e| e.title == "flappy exited (code 1)"));
        assert!(c.problems(2000).iter().any(|p| p.title == "flappy: exited (1)"));
    }

    #[test]
    fn outside_strings_are_sanitised_and_cut() {
        let (mut s, mut c) = state();
        let mut r = Row::new("x", Kind::Launchd, "a\x1b[31mb", Health::Ok, "y".repeat(10_000));
        r.source = "\x07h".into();
        s.apply(ServiceUpdate::Result(Box::new(r)), 0, &mut c);
        let row = &s.rows[0].row;
        assert!(!row.name.contains('\x1b'));
        assert!(row.detail.chars().count() <= DETAIL_MAX + 1);
    }
}
