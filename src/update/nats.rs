//! What a NATS source sends: monitoring polls, fleettop's own link, bus
//! messages, webhook results.

use super::SourceError;
use crate::model::Millis;
use crate::parse::nats::{Connz, Healthz, Jsz, Varz};

/// The description of the ordered consumers fleettop creates to replay
/// agent history: they are its own, not the user's, so the tab, the
/// snapshot and the alert rules leave them out.
pub const OWN_CONSUMER: &str = "fleettop: agent history replay";

/// One poll of a server's monitoring endpoints. `/varz` must answer for a
/// sample to exist; the others may fail on their own and say why.
#[derive(Debug, Clone)]
pub struct MonitorSample {
    pub at: Millis,
    pub varz: Varz,
    pub jsz: Result<Jsz, String>,
    pub connz: Result<Connz, String>,
    pub health: Result<Healthz, String>,
}

/// fleettop's own connection to a server (subscribe + publish).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LinkState {
    /// No `url` configured.
    #[default]
    None,
    Connecting,
    Connected,
    Down(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkStats {
    pub state: LinkState,
    pub published: u64,
    pub dropped: u64,
    pub buffered: usize,
    pub received: u64,
    /// Received but not put on the ticker (over the per-second bound).
    pub skipped: u64,
}

/// What a NATS source sends.
#[derive(Debug, Clone)]
pub enum NatsUpdate {
    Monitor {
        name: String,
        result: Result<Box<MonitorSample>, SourceError>,
    },
    Link {
        name: String,
        stats: LinkStats,
    },
    /// A message on a subscribed subject: it goes to the ticker (and is not
    /// published again: that would echo between two fleettops).
    Message {
        name: String,
        subject: String,
        payload: Vec<u8>,
    },
    /// A webhook POST that failed after its bounded retries, or succeeded.
    Webhook {
        title: String,
        result: Result<(), String>,
    },
}
