//! The NATS tab's state: every server, its JetStream streams and consumers,
//! the state of fleettop's own NATS connection, and the alert rules on them.
//! Here the types; `apply` takes updates, `observe` holds the rules,
//! `message` turns a bus message into a ticker event, `snap` is the snapshot.

use crate::model::{Level, Millis};
use crate::parse::nats::{Conn, ConsumerInfo, StreamDetail};
use crate::update::SourceError;
use crate::update::nats::{LinkState, LinkStats, MonitorSample, NatsUpdate, OWN_CONSUMER};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

mod apply;
mod message;
mod observe;
mod snap;

pub use snap::{ConsumerSnap, JetStreamSnap, NatsSnap, StreamSnap};

/// How many samples of a consumer's pending counts are kept for sparklines.
pub const HISTORY: usize = 60;

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

pub(crate) fn consumer_key(account: &str, stream: &str, consumer: &str) -> String {
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

    pub(crate) fn consumer_level(&self, c: &ConsumerInfo) -> Level {
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

    pub(crate) fn base_level(&self) -> Option<Level> {
        self.base
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

#[cfg(test)]
mod tests;
