//! The messages between the sources and the store: one [`Update`] per
//! result in (per-source kinds in `services`, `nats` and `agents`), and the
//! [`Event`]s the store sends out to the outlet (NATS publishing, webhooks).
//! Sources depend on this module, never on the store.

pub mod agents;
pub mod metric;
pub mod nats;
pub mod services;

use crate::model::{HostSample, Level, Millis};
use serde::Serialize;

/// Error from a source, in words for the row that shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceError {
    Auth(String),
    Unreachable(String),
    Other(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Auth(s) | SourceError::Unreachable(s) | SourceError::Other(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Update {
    Host {
        name: String,
        result: Result<Box<HostSample>, SourceError>,
    },
    Services(services::ServiceUpdate),
    Nats(nats::NatsUpdate),
    Agents(agents::AgentUpdate),
    Push(PushUpdate),
}

/// From the push-mode watcher of the `fleettop_hosts` bucket.
#[derive(Debug, Clone)]
pub enum PushUpdate {
    /// A host's JSON, sampled at `at` by its agent.
    Host {
        key: String,
        snap: Box<crate::parse::push::HostSnap>,
        at: Millis,
    },
    /// The bucket's values at start have all been read.
    Ready,
    /// A value that is not a host JSON (counted, logged by the source).
    Malformed { key: String },
    /// The watcher cannot reach the bucket (said on the pushed rows).
    /// Why the bucket cannot be read: outside text (a server's words).
    Down(crate::parse::sanitize::Clean),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    #[serde(skip)]
    pub id: u64,
    #[serde(serialize_with = "ser_time")]
    pub at: Millis,
    pub level: Level,
    pub kind: String,
    pub source: String,
    pub title: String,
    pub detail: String,
    /// The key of the problem (alert condition) this event is an edge of:
    /// its start, a change of level, or (at level info) its recovery.
    #[serde(skip)]
    pub problem: Option<String>,
    /// Acknowledged or silenced when it happened: not on the ticker, not
    /// sent to the webhook (still published to NATS).
    #[serde(skip)]
    pub quiet: bool,
}

fn ser_time<S: serde::Serializer>(at: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::rfc3339(*at))
}
