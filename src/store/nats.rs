//! The NATS tab's state: every server, its JetStream streams and consumers,
//! the state of fleettop's own NATS connection, and the alert rules on them.

use super::{Conditions, NewEvent, Observation, Tab};
use crate::config::Config;
use crate::model::{Level, Millis};
use crate::parse::nats::{Conn, ConsumerInfo, Jsz, StreamDetail};
use crate::update::SourceError;
use crate::update::nats::{LinkState, LinkStats, MonitorSample, NatsUpdate, OWN_CONSUMER};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How many samples of a consumer's pending counts are kept for sparklines.
pub const HISTORY: usize = 60;

/// Takes fleettop's own consumers out of a `/jsz` answer, and out of its counts.
fn hide_own_consumers(j: &mut Jsz) {
    for a in &mut j.account_details {
        for st in &mut a.stream_detail {
            let before = st.consumer_detail.len();
            st.consumer_detail
                .retain(|c| c.config.as_ref().and_then(|k| k.description.as_deref()) != Some(OWN_CONSUMER));
            let hidden = (before - st.consumer_detail.len()) as u64;
            st.state.consumer_count = st.state.consumer_count.saturating_sub(hidden);
            j.consumers = j.consumers.saturating_sub(hidden);
        }
    }
}

/// Counters of `/varz` that rates are made of.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Counters {
    at: Millis,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    slow_consumers: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rates {
    pub in_msgs_per_s: f64,
    pub out_msgs_per_s: f64,
    pub in_bytes_per_s: f64,
    pub out_bytes_per_s: f64,
}

#[derive(Debug, Clone)]
pub struct NatsServer {
    pub name: String,
    pub monitored: bool,
    pub monitor_url: String,
    pub optional: bool,
    pub ack_pending_warn: u64,
    /// JetStream memory or storage use above this share of its limit warns
    /// (`alerts.disk_warn_pct`).
    pub js_warn_pct: f64,
    base: Option<Level>,
    absent: bool,
    pub cur: Option<MonitorSample>,
    prev: Option<Counters>,
    pub rates: Option<Rates>,
    pub samples: u64,
    pub last_ok: Option<Millis>,
    pub error: Option<SourceError>,
    pub failing_since: Option<Millis>,
    /// Per consumer (`account/stream/consumer`): (num_pending, num_ack_pending).
    pub history: BTreeMap<String, VecDeque<(u64, u64)>>,
    pub link: LinkStats,
}

/// A stream with the account it lives in.
#[derive(Debug, Clone, Copy)]
pub struct StreamRef<'a> {
    pub account: &'a str,
    pub stream: &'a StreamDetail,
}

pub fn consumer_key(account: &str, stream: &str, consumer: &str) -> String {
    format!("{account}/{stream}/{consumer}")
}

impl NatsServer {
    pub fn streams(&self) -> Vec<StreamRef<'_>> {
        let Some(Ok(j)) = self.cur.as_ref().map(|c| &c.jsz) else {
            return Vec::new();
        };
        j.account_details
            .iter()
            .flat_map(|a| {
                a.stream_detail.iter().map(move |s| StreamRef {
                    account: &a.name,
                    stream: s,
                })
            })
            .collect()
    }

    pub fn connections(&self) -> &[Conn] {
        match self.cur.as_ref().map(|c| &c.connz) {
            Some(Ok(c)) => &c.connections,
            _ => &[],
        }
    }

    pub fn consumer_level(&self, c: &ConsumerInfo) -> Level {
        if self.ack_pending_warn > 0 && c.num_ack_pending >= self.ack_pending_warn {
            Level::Warn
        } else {
            Level::Info
        }
    }

    /// The server's own level, before escalation: unknown → None.
    /// The server's own level before escalation (None until it is known):
    /// the worst of its current conditions, worked out when a poll lands.
    /// An optional server that has never answered: "not configured here".
    pub fn absent(&self) -> bool {
        self.absent
    }

    pub fn base_level(&self) -> Option<Level> {
        self.base
    }

    fn observations(&self, rules_after: i64) -> (Vec<Observation>, Vec<Observation>) {
        let n = &self.name;
        let mut up = Vec::new();
        let mut js = Vec::new();
        if let Some(e) = &self.error {
            up.push(Observation {
                key: format!("nats:{n}:down"),
                tab: Tab::Nats,
                kind: "nats.server".into(),
                source: format!("nats {n}"),
                title: format!("NATS {n} unreachable: {e}"),
                level: Level::Error,
                escalate: Some((Level::Critical, rules_after)),
                recovered: format!("NATS {n} reachable again"),
            });
            return (up, js);
        }
        let Some(cur) = &self.cur else {
            return (up, js);
        };
        let health = match &cur.health {
            Ok(h) if h.status == "ok" => None,
            Ok(h) if h.error.is_empty() => Some(h.status.clone()),
            Ok(h) => Some(format!("{}: {}", h.status, h.error)),
            Err(e) => Some(format!("/healthz {e}")),
        };
        if let Some(why) = health {
            up.push(Observation {
                key: format!("nats:{n}:health"),
                tab: Tab::Nats,
                kind: "nats.health".into(),
                source: format!("nats {n}"),
                title: format!("NATS {n} unhealthy: {why}"),
                level: Level::Warn,
                escalate: None,
                recovered: format!("NATS {n} healthy again"),
            });
        }
        if let Ok(j) = &cur.jsz {
            let lim = j.config.clone().unwrap_or_default();
            for (what, used, max) in [
                ("memory", j.memory, lim.max_memory),
                ("storage", j.storage, lim.max_storage),
            ] {
                let pct = crate::model::pct(used, max.max(0) as u64);
                if max > 0 && pct >= self.js_warn_pct {
                    js.push(Observation {
                        key: format!("nats:{n}:js-{what}"),
                        tab: Tab::Nats,
                        kind: "nats.jetstream".into(),
                        source: format!("nats {n}"),
                        title: format!("NATS {n} JetStream {what} {pct:.0}% of its limit"),
                        level: Level::Warn,
                        escalate: None,
                        recovered: format!("NATS {n} JetStream {what} back under {:.0}%", self.js_warn_pct),
                    });
                }
            }
        }
        for s in self.streams() {
            for c in &s.stream.consumer_detail {
                if self.consumer_level(c) > Level::Info {
                    js.push(Observation {
                        key: format!("nats:{n}:ack:{}", consumer_key(s.account, &s.stream.name, &c.name)),
                        tab: Tab::Nats,
                        kind: "nats.ack_pending".into(),
                        source: format!("nats {n}"),
                        title: format!(
                            "{}/{} ack pending {} (warn at {})",
                            s.stream.name, c.name, c.num_ack_pending, self.ack_pending_warn
                        ),
                        level: Level::Warn,
                        escalate: Some((Level::Critical, rules_after)),
                        recovered: format!(
                            "{}/{} ack pending back under {}",
                            s.stream.name, c.name, self.ack_pending_warn
                        ),
                    });
                }
            }
        }
        (up, js)
    }
}

#[derive(Debug, Clone, Default)]
pub struct NatsState {
    pub servers: Vec<NatsServer>,
    /// A sustained problem (unreachable, ack pending above the mark) turns
    /// critical after this long: `alerts.offline_critical_after`.
    pub critical_after_ms: i64,
    /// Whether `alerts.webhook_url` is set.
    pub webhook: bool,
    pub webhook_error: Option<String>,
    pub webhook_sent: u64,
}

impl NatsState {
    pub fn new(config: &Config) -> Self {
        NatsState {
            servers: config
                .nats
                .iter()
                .map(|n| NatsServer {
                    name: crate::parse::sanitize::sanitize(n.name.get_ref()),
                    monitored: n.monitor_url.is_some(),
                    monitor_url: n
                        .monitor_url
                        .as_ref()
                        .map(|u| crate::parse::sanitize::sanitize(&crate::parse::redact::redact_url(u.get_ref())))
                        .unwrap_or_default(),
                    optional: n.optional,
                    ack_pending_warn: n.ack_pending_warn,
                    js_warn_pct: *config.alerts.disk_warn_pct.get_ref(),
                    base: None,
                    absent: false,
                    cur: None,
                    prev: None,
                    rates: None,
                    samples: 0,
                    last_ok: None,
                    error: None,
                    failing_since: None,
                    history: BTreeMap::new(),
                    link: LinkStats {
                        state: if n.url.is_some() {
                            LinkState::Connecting
                        } else {
                            LinkState::None
                        },
                        ..LinkStats::default()
                    },
                })
                .collect(),
            critical_after_ms: config.alerts.offline_critical_after.as_millis(),
            webhook: config.alerts.webhook_url.as_ref().is_some_and(|u| !u.0.is_empty()),
            webhook_error: None,
            webhook_sent: 0,
        }
    }

    pub fn server(&self, name: &str) -> Option<&NatsServer> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// True while some monitored server has neither two samples (rates need
    /// two) nor an error: `fleettop snapshot` waits for this.
    pub fn first_round_pending(&self) -> bool {
        self.servers
            .iter()
            .any(|s| s.monitored && s.samples < 2 && s.error.is_none() && !s.absent)
    }

    /// The server's level now, with escalation: what its row's dot shows.
    pub fn level(&self, s: &NatsServer, now: Millis) -> Option<Level> {
        let link = match s.link.state {
            LinkState::Down(_) => Some(Level::Warn),
            LinkState::Connected if !s.monitored => Some(Level::Info),
            _ => None,
        };
        let Some(base) = s.base_level() else {
            return link;
        };
        let base = base.max(link.unwrap_or(Level::Info));
        if s.error.is_some()
            && s.failing_since
                .is_some_and(|t| now.saturating_sub(t) >= self.critical_after_ms)
        {
            return Some(Level::Critical);
        }
        Some(base)
    }

    /// The wall clock stepped by `d`: the times of polls move with it (how
    /// long a server has been failing is not changed by the step).
    pub(super) fn shift_clock(&mut self, d: Millis) {
        let shift = |t: &mut Millis| *t = t.saturating_add(d);
        for s in &mut self.servers {
            s.last_ok.iter_mut().chain(s.failing_since.iter_mut()).for_each(shift);
            s.cur.iter_mut().for_each(|c| shift(&mut c.at));
            s.prev.iter_mut().for_each(|c| shift(&mut c.at));
        }
    }

    pub fn apply(&mut self, u: NatsUpdate, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        match u {
            NatsUpdate::Monitor { name, result } => {
                let after = self.critical_after_ms;
                let Some(s) = self.servers.iter_mut().find(|s| s.name == name) else {
                    return Vec::new();
                };
                let mut events = Vec::new();
                match result {
                    Ok(mut sample) => {
                        if let Ok(j) = &mut sample.jsz {
                            hide_own_consumers(j);
                        }
                        s.absent = false;
                        let was_down = s.error.take();
                        s.failing_since = None;
                        s.last_ok = Some(now);
                        s.samples += 1;
                        let v = &sample.varz;
                        let c = Counters {
                            at: sample.at,
                            in_msgs: v.in_msgs,
                            out_msgs: v.out_msgs,
                            in_bytes: v.in_bytes,
                            out_bytes: v.out_bytes,
                            slow_consumers: v.slow_consumers,
                        };
                        if let Some(p) = s.prev.filter(|p| c.slow_consumers > p.slow_consumers) {
                            events.push(NewEvent {
                                level: Level::Warn,
                                kind: "nats.slow_consumer".into(),
                                source: format!("nats {name}"),
                                title: format!(
                                    "NATS {name}: {} new slow consumer(s), {} in all",
                                    c.slow_consumers - p.slow_consumers,
                                    c.slow_consumers
                                ),
                                detail: String::new(),
                            });
                        }
                        s.rates = s.prev.and_then(|p| rates(p, c));
                        s.prev = Some(c);
                        s.cur = Some(*sample);
                        record_history(s);
                        if was_down.is_some() {
                            tracing::info!(server = %name, "NATS monitoring answers again");
                        }
                        let (up, js) = s.observations(after);
                        s.base = up.iter().chain(&js).map(|o| o.level).max().or(Some(Level::Info));
                        events.extend(conditions.observe(&format!("nats:{name}"), up, now));
                        events.extend(conditions.observe(&format!("nats-js:{name}"), js, now));
                    }
                    Err(_) if s.optional && s.last_ok.is_none() => {
                        s.absent = true;
                        events.extend(conditions.observe(&format!("nats:{name}"), Vec::new(), now));
                    }
                    Err(e) => {
                        if s.failing_since.is_none() {
                            s.failing_since = Some(now);
                        }
                        // Rates across an outage would mix two server lives.
                        s.prev = None;
                        s.rates = None;
                        s.error = Some(e);
                        s.base = Some(Level::Error);
                        let (up, _) = s.observations(after);
                        events.extend(conditions.observe(&format!("nats:{name}"), up, now));
                    }
                }
                events
            }
            NatsUpdate::Link { name, stats } => {
                let Some(s) = self.servers.iter_mut().find(|s| s.name == name) else {
                    return Vec::new();
                };
                let old = std::mem::replace(&mut s.link, stats);
                let n = s.name.clone();
                if old.state == s.link.state {
                    return Vec::new();
                }
                let mut events = Vec::new();
                if s.link.state == LinkState::Connected && matches!(old.state, LinkState::Connecting | LinkState::None)
                {
                    events.push(NewEvent {
                        level: Level::Info,
                        kind: "nats.link".into(),
                        source: format!("nats {n}"),
                        title: format!("connected to NATS {n}"),
                        detail: String::new(),
                    });
                }
                // A connection that is down is a problem of its own: with a
                // wrong password the monitoring side can be perfectly fine.
                let obs = match &s.link.state {
                    LinkState::Down(why) => vec![Observation {
                        key: format!("nats:{n}:link"),
                        tab: Tab::Nats,
                        kind: "nats.link".into(),
                        source: format!("nats {n}"),
                        title: format!("NATS {n} connection down: {why}"),
                        level: Level::Warn,
                        escalate: None,
                        recovered: format!("NATS {n} connection back"),
                    }],
                    _ => Vec::new(),
                };
                events.extend(conditions.observe(&format!("nats-link:{n}"), obs, now));
                events
            }
            NatsUpdate::Message { subject, payload, .. } => vec![message_event(&subject, &payload)],
            NatsUpdate::Webhook { title, result } => match result {
                Ok(()) => {
                    self.webhook_sent += 1;
                    self.webhook_error = None;
                    Vec::new()
                }
                Err(e) => {
                    self.webhook_error = Some(e.clone());
                    vec![NewEvent {
                        level: Level::Error,
                        kind: "webhook".into(),
                        source: "webhook".into(),
                        title: format!("webhook failed for {title:?}: {e}"),
                        detail: String::new(),
                    }]
                }
            },
        }
    }

    /// Time passing alone: escalation is the Conditions' job.
    pub fn tick(&mut self, _now: Millis, _conditions: &mut Conditions) -> Vec<NewEvent> {
        Vec::new()
    }

    pub fn snapshot(&self, now: Millis) -> Vec<NatsSnap> {
        self.servers
            .iter()
            .map(|s| {
                let cur = s.cur.as_ref().filter(|_| s.error.is_none());
                let v = cur.map(|c| &c.varz);
                NatsSnap {
                    name: s.name.clone(),
                    state: self.level(s, now).map_or("unknown", |l| match l {
                        Level::Info => "ok",
                        l => l.as_str(),
                    }),
                    error: if s.absent {
                        Some(format!("not configured here: nothing answers at {}", s.monitor_url))
                    } else {
                        s.error.as_ref().map(|e| e.to_string())
                    },
                    version: v.map(|v| v.version.clone()),
                    uptime_s: v.and_then(|v| v.uptime_s()),
                    cpu_pct: v.map(|v| v.cpu),
                    mem_bytes: v.map(|v| v.mem.max(0) as u64),
                    connections: v.map(|v| v.connections),
                    total_connections: v.map(|v| v.total_connections),
                    slow_consumers: v.map(|v| v.slow_consumers),
                    in_msgs_per_s: s.rates.map(|r| r.in_msgs_per_s),
                    out_msgs_per_s: s.rates.map(|r| r.out_msgs_per_s),
                    in_bytes_per_s: s.rates.map(|r| r.in_bytes_per_s),
                    out_bytes_per_s: s.rates.map(|r| r.out_bytes_per_s),
                    jetstream: cur.and_then(|c| c.jsz.as_ref().ok()).map(|j| JetStreamSnap {
                        memory_bytes: j.memory,
                        storage_bytes: j.storage,
                        reserved_memory_bytes: j.reserved_memory,
                        reserved_storage_bytes: j.reserved_storage,
                        max_memory_bytes: j.config.as_ref().map(|c| c.max_memory),
                        max_storage_bytes: j.config.as_ref().map(|c| c.max_storage),
                        api_total: j.api.total,
                        api_errors: j.api.errors,
                        streams: s
                            .streams()
                            .iter()
                            .map(|st| StreamSnap {
                                account: st.account.to_string(),
                                name: st.stream.name.clone(),
                                messages: st.stream.state.messages,
                                bytes: st.stream.state.bytes,
                                first_seq: st.stream.state.first_seq,
                                last_seq: st.stream.state.last_seq,
                                consumers: st
                                    .stream
                                    .consumer_detail
                                    .iter()
                                    .map(|c| ConsumerSnap {
                                        name: c.name.clone(),
                                        num_pending: c.num_pending,
                                        num_ack_pending: c.num_ack_pending,
                                        num_redelivered: c.num_redelivered,
                                        num_waiting: c.num_waiting,
                                        delivered_stream_seq: c.delivered.stream_seq,
                                        ack_floor_stream_seq: c.ack_floor.stream_seq,
                                        last_active: c.delivered.last_active.clone(),
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }),
                }
            })
            .collect()
    }
}

fn rates(p: Counters, c: Counters) -> Option<Rates> {
    let dt = (c.at - p.at) as f64 / 1000.0;
    // A server restart resets its counters: no rate rather than a wrong one.
    if dt <= 0.0
        || c.in_msgs < p.in_msgs
        || c.out_msgs < p.out_msgs
        || c.in_bytes < p.in_bytes
        || c.out_bytes < p.out_bytes
    {
        return None;
    }
    Some(Rates {
        in_msgs_per_s: (c.in_msgs - p.in_msgs) as f64 / dt,
        out_msgs_per_s: (c.out_msgs - p.out_msgs) as f64 / dt,
        in_bytes_per_s: (c.in_bytes - p.in_bytes) as f64 / dt,
        out_bytes_per_s: (c.out_bytes - p.out_bytes) as f64 / dt,
    })
}

fn record_history(s: &mut NatsServer) {
    let mut seen = Vec::new();
    for st in s.streams() {
        for c in &st.stream.consumer_detail {
            seen.push((
                consumer_key(st.account, &st.stream.name, &c.name),
                c.num_pending,
                c.num_ack_pending,
            ));
        }
    }
    s.history.retain(|k, _| seen.iter().any(|(x, _, _)| x == k));
    for (k, p, a) in seen {
        let ring = s.history.entry(k).or_default();
        if ring.len() == HISTORY {
            ring.pop_front();
        }
        ring.push_back((p, a));
    }
}

/// The ticker event for a message on a subscribed subject, its level read
/// from its content: failures are errors; security and quarantine, warnings.
pub fn message_event(subject: &str, payload: &[u8]) -> NewEvent {
    let s = crate::parse::sanitize::sanitize;
    let json: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(s)
            .filter(|v| !v.is_empty())
    };
    let kind = field("type").or_else(|| field("event")).or_else(|| field("kind"));
    let kind_l = kind.as_deref().unwrap_or("").to_lowercase();
    let stated = field("level").map(|l| l.to_lowercase());
    let level = if matches!(stated.as_deref(), Some("error" | "critical"))
        || kind_l.contains("fail")
        || kind_l.contains("error")
    {
        Level::Error
    } else if matches!(stated.as_deref(), Some("warn" | "warning"))
        || kind_l.starts_with("security")
        || kind_l.contains("quarantine")
        || kind_l.contains("triage")
    {
        Level::Warn
    } else {
        Level::Info
    };
    let who = field("peer_id")
        .or_else(|| field("agent"))
        .or_else(|| field("daemon"))
        .or_else(|| field("name"))
        .or_else(|| field("source"));
    let what = field("summary").or_else(|| field("title")).or_else(|| field("output"));
    let mut title = String::new();
    for part in [kind.as_deref(), who.as_deref(), what.as_deref()].into_iter().flatten() {
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(part);
    }
    if title.is_empty() {
        title = s(&String::from_utf8_lossy(&payload[..payload.len().min(200)]));
    }
    NewEvent {
        level,
        kind: kind.map_or("nats.message", |k| super::events::outside_kind(&k)).into(),
        source: s(subject),
        title: crate::fmt::fit(&title, 200, "..."),
        detail: s(&String::from_utf8_lossy(&payload[..payload.len().min(500)])),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerSnap {
    pub name: String,
    pub num_pending: u64,
    pub num_ack_pending: u64,
    pub num_redelivered: u64,
    pub num_waiting: u64,
    pub delivered_stream_seq: u64,
    pub ack_floor_stream_seq: u64,
    pub last_active: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamSnap {
    pub account: String,
    pub name: String,
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub consumers: Vec<ConsumerSnap>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JetStreamSnap {
    pub memory_bytes: u64,
    pub storage_bytes: u64,
    pub reserved_memory_bytes: u64,
    pub reserved_storage_bytes: u64,
    pub max_memory_bytes: Option<i64>,
    pub max_storage_bytes: Option<i64>,
    pub api_total: u64,
    pub api_errors: u64,
    pub streams: Vec<StreamSnap>,
}

/// One server in `fleettop snapshot` (docs/snapshot.md).
#[derive(Debug, Clone, Serialize)]
pub struct NatsSnap {
    pub name: String,
    pub state: &'static str,
    pub error: Option<String>,
    pub version: Option<String>,
    pub uptime_s: Option<u64>,
    pub cpu_pct: Option<f64>,
    pub mem_bytes: Option<u64>,
    pub connections: Option<u64>,
    pub total_connections: Option<u64>,
    pub slow_consumers: Option<u64>,
    pub in_msgs_per_s: Option<f64>,
    pub out_msgs_per_s: Option<f64>,
    pub in_bytes_per_s: Option<f64>,
    pub out_bytes_per_s: Option<f64>,
    pub jetstream: Option<JetStreamSnap>,
}

#[cfg(test)]
mod tests;
