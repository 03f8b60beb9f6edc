//! How updates change the NATS tab: monitoring polls (with rates and
//! consumer history), fleettop's own link, and webhook results.

use super::message::message_event;
use super::{
    Counters, HISTORY, LinkState, LinkStats, MonitorSample, NatsServer, NatsState, NatsUpdate, OWN_CONSUMER, Rates,
    consumer_key,
};
use crate::config::Config;
use crate::model::{Level, Millis};
use crate::parse::nats::Jsz;
use crate::store::{Conditions, NewEvent, Observation, SourceError, Tab};
use std::collections::BTreeMap;

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
    pub(crate) fn first_round_pending(&self) -> bool {
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
    pub(in crate::store) fn shift_clock(&mut self, d: Millis) {
        let shift = |t: &mut Millis| *t = t.saturating_add(d);
        for s in &mut self.servers {
            s.last_ok.iter_mut().chain(s.failing_since.iter_mut()).for_each(shift);
            s.cur.iter_mut().for_each(|c| shift(&mut c.at));
            s.prev.iter_mut().for_each(|c| shift(&mut c.at));
        }
    }

    pub fn apply(&mut self, u: NatsUpdate, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        match u {
            NatsUpdate::Monitor { name, result } => self.monitor(&name, result, now, conditions),
            NatsUpdate::Link { name, stats } => self.link(&name, stats, now, conditions),
            NatsUpdate::Message { subject, payload, .. } => vec![message_event(&subject, &payload)],
            NatsUpdate::Webhook { title, result } => self.webhook(&title, result),
        }
    }

    /// One poll of a server's monitoring endpoints, or why it failed.
    fn monitor(
        &mut self,
        name: &str,
        result: Result<Box<MonitorSample>, SourceError>,
        now: Millis,
        conditions: &mut Conditions,
    ) -> Vec<NewEvent> {
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
                let c = counters(&sample);
                events.extend(slow_consumers(name, s.prev, c));
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

    /// fleettop's own connection to a server changed.
    fn link(&mut self, name: &str, stats: LinkStats, now: Millis, conditions: &mut Conditions) -> Vec<NewEvent> {
        let Some(s) = self.servers.iter_mut().find(|s| s.name == name) else {
            return Vec::new();
        };
        let old = std::mem::replace(&mut s.link, stats);
        let n = s.name.clone();
        if old.state == s.link.state {
            return Vec::new();
        }
        let mut events = Vec::new();
        if s.link.state == LinkState::Connected && matches!(old.state, LinkState::Connecting | LinkState::None) {
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

    /// A webhook POST's end: counted, or its failure on the ticker.
    fn webhook(&mut self, title: &str, result: Result<(), String>) -> Vec<NewEvent> {
        match result {
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
        }
    }

    /// Time passing alone: escalation is the Conditions' job.
    pub fn tick(&mut self, _now: Millis, _conditions: &mut Conditions) -> Vec<NewEvent> {
        Vec::new()
    }
}

/// The counters of `/varz` that rates are made of.
fn counters(sample: &MonitorSample) -> Counters {
    let v = &sample.varz;
    Counters {
        at: sample.at,
        in_msgs: v.in_msgs,
        out_msgs: v.out_msgs,
        in_bytes: v.in_bytes,
        out_bytes: v.out_bytes,
        slow_consumers: v.slow_consumers,
    }
}

/// The ticker event for slow consumers new since the last poll.
fn slow_consumers(name: &str, prev: Option<Counters>, c: Counters) -> Option<NewEvent> {
    let p = prev.filter(|p| c.slow_consumers > p.slow_consumers)?;
    Some(NewEvent {
        level: Level::Warn,
        kind: "nats.slow_consumer".into(),
        source: format!("nats {name}"),
        title: format!(
            "NATS {name}: {} new slow consumer(s), {} in all",
            c.slow_consumers - p.slow_consumers,
            c.slow_consumers
        ),
        detail: String::new(),
    })
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
