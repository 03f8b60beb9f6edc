//! The NATS tab: servers, their streams and consumers; a server's
//! connections, or a stream's or consumer's figures, as its drill-down.

use super::TabView;
use crate::store::Store;
use crate::ui::empty::EmptyCopy;
use crate::ui::{Detail, Painter, View, nats};
use ratatui::Frame;
use ratatui::layout::Rect;

pub(crate) struct Nats;

impl TabView for Nats {
    fn title(&self) -> &'static str {
        "NATS"
    }

    fn configured(&self, store: &Store) -> Option<usize> {
        Some(store.configured.nats)
    }

    fn empty_copy(&self) -> EmptyCopy {
        EmptyCopy {
            what: "Per server: version, connections, message rates, slow consumers, JetStream usage, every stream and consumer (worst first).",
            example: &["[[nats]]", "name = \"main\"", "monitor_url = \"http://127.0.0.1:8222\""],
        }
    }

    fn list_len(&self, store: &Store, view: &View, _now: i64) -> usize {
        nats::len(store, view.list())
    }

    fn sorts(&self) -> usize {
        NatsSort::ALL.len()
    }

    fn open(&self, store: &Store, view: &View, _now: i64) -> Option<Detail> {
        nats::open(store, view.list())
    }

    fn detail_len(&self, store: &Store, d: &Detail) -> usize {
        nats::detail_len(store, d)
    }

    fn detail_sorts(&self) -> usize {
        ConnSort::ALL.len()
    }

    fn render(&self, frame: &mut Frame, area: Rect, p: &Painter) {
        nats::render(frame, area, p);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
        nats::render_detail(frame, area, p, d);
    }
}

sort_modes! {
    /// The sort modes of the server, stream and consumer list.
    NatsSort { Worst => "worst", Name => "name", Pending => "pending", AckPending => "ack pending" }
}

sort_modes! {
    /// The sort modes of a server's connection list (nats-top's).
    ConnSort {
        Cid => "cid",
        Subs => "subs",
        Pending => "pending",
        MsgsTo => "msgs to",
        MsgsFrom => "msgs from",
        BytesTo => "bytes to",
        BytesFrom => "bytes from",
        Idle => "idle",
    }
}

/// What a NATS drill-down is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsKey {
    Server {
        server: String,
    },
    Stream {
        server: String,
        account: String,
        stream: String,
    },
    Consumer {
        server: String,
        account: String,
        stream: String,
        consumer: String,
    },
}

impl NatsKey {
    pub fn server(&self) -> &str {
        match self {
            NatsKey::Server { server } | NatsKey::Stream { server, .. } | NatsKey::Consumer { server, .. } => server,
        }
    }
}
