//! What an agent source sends: run events, heartbeats, units, notices.

use crate::model::Millis;
use crate::parse::agent::{AgentEvent, FleetNotice};
use crate::parse::systemctl::UnitShow;

/// Output kept per run; the tail is kept, the head is cut.
pub const MAX_OUTPUT: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum AgentUpdate {
    /// A run event; `history` when it was replayed (a runlog's backlog,
    /// JetStream): it counts, but is not news for the ticker.
    Event {
        event: AgentEvent,
        source: String,
        history: bool,
    },
    /// An event that could not be read: counted and logged.
    BadEvent {
        source: String,
        error: String,
    },
    Heartbeat {
        agent: String,
        at: Result<Millis, String>,
    },
    LogModified {
        agent: String,
        at: Result<Millis, String>,
    },
    /// The daemon's systemd unit (and timer), and the journal of its last
    /// run when that run is new.
    Unit {
        agent: String,
        unit: Result<Box<UnitShow>, String>,
        timer: Option<Box<UnitShow>>,
        journal: Option<String>,
    },
    Notice(FleetNotice),
    /// Events over a subject's rate budget, dropped by the source.
    Throttled(u64),
    /// One agent subject's history is in (replayed, or there was none to
    /// replay): `snapshot` waits for all of them.
    Replayed,
}
