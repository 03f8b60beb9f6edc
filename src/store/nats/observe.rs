//! The alert rules on one NATS server: reachable, healthy, JetStream use,
//! consumers' ack pending.

use super::{MonitorSample, NatsServer, consumer_key};
use crate::model::Level;
use crate::store::{Observation, Tab};

impl NatsServer {
    /// The server's problems now: (reachability and health, JetStream).
    pub(super) fn observations(&self, rules_after: i64) -> (Vec<Observation>, Vec<Observation>) {
        let n = &self.name;
        let mut up = Vec::new();
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
            return (up, Vec::new());
        }
        let Some(cur) = &self.cur else {
            return (up, Vec::new());
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
        let js = self.js_observations(cur, rules_after);
        (up, js)
    }

    /// JetStream memory or storage near its limit, and consumers with
    /// too many acks pending.
    fn js_observations(&self, cur: &MonitorSample, rules_after: i64) -> Vec<Observation> {
        let n = &self.name;
        let mut js = Vec::new();
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
        js
    }
}
