//! The event outlet: every new ticker event, fanned out without the store
//! ever waiting to each `[[nats]]` connection's [`Outbox`] (published on
//! `<publish_prefix>.<kind>`) and to the webhook ([`webhook`]), both as
//! [`event_json`] (the webhook in `alerts.webhook_format`). Started once per app by [`spawn`]; the fan-out and the
//! webhook sender are supervised like every source.

pub(crate) mod format;
pub(crate) mod webhook;

use super::{Ctx, Rows, supervise};
use crate::config::Config;
use crate::update::Event;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc};

/// Events waiting for a connection that is down: the oldest go first.
pub(crate) const OUTBOX_CAP: usize = 1000;

/// A receiver a supervised task takes up again after a restart.
type Shared<T> = Arc<tokio::sync::Mutex<mpsc::Receiver<T>>>;

/// Starts the fan-out to `outboxes` (the NATS connections') and, when
/// `alerts.webhook_url` is set, the webhook sender. Returns the outlet the
/// store sends new events to, when anything wants them.
pub(crate) fn spawn(config: &Config, ctx: &Ctx, outboxes: Vec<Outbox>) -> Option<mpsc::Sender<Event>> {
    let mut sinks: Vec<Sink> = outboxes.into_iter().map(Sink::Outbox).collect();
    if let Some(url) = config.alerts.webhook_url.as_ref().filter(|u| !u.0.is_empty()) {
        let (tx, rx) = mpsc::channel(64);
        sinks.push(Sink::Channel(tx));
        let arg = (url.0.clone(), config.alerts.webhook_format, shared(rx));
        supervise(ctx, Rows::Event("webhook".into()), arg, |(url, format, rx), ctx| {
            webhook::run(url, format, rx, ctx)
        });
    }
    if sinks.is_empty() {
        return None;
    }
    let (tx, rx) = mpsc::channel::<Event>(256);
    let arg = (shared(rx), Arc::new(sinks));
    supervise(ctx, Rows::Event("event outlet".into()), arg, |(rx, sinks), _| {
        fan_out(rx, sinks)
    });
    Some(tx)
}

fn shared<T>(rx: mpsc::Receiver<T>) -> Shared<T> {
    Arc::new(tokio::sync::Mutex::new(rx))
}

/// Hands every event to every sink, never waiting on one.
async fn fan_out(rx: Shared<Event>, sinks: Arc<Vec<Sink>>) {
    let mut rx = rx.lock().await;
    while let Some(ev) = rx.recv().await {
        for s in sinks.iter() {
            match s {
                Sink::Outbox(o) => o.push(ev.clone()),
                Sink::Channel(c) => {
                    let _ = c.try_send(ev.clone());
                }
            }
        }
    }
}

enum Sink {
    Outbox(Outbox),
    Channel(mpsc::Sender<Event>),
}

/// A bounded queue of events to publish that drops its oldest when full.
#[derive(Clone, Default)]
pub(crate) struct Outbox {
    inner: Arc<Mutex<(VecDeque<Event>, u64)>>,
    cap: usize,
    pub(crate) ready: Arc<Notify>,
}

impl Outbox {
    pub(crate) fn new(cap: usize) -> Self {
        Outbox {
            inner: Arc::default(),
            cap: cap.max(1),
            ready: Arc::default(),
        }
    }

    pub(crate) fn push(&self, e: Event) {
        if let Ok(mut g) = self.inner.lock() {
            if g.0.len() >= self.cap {
                g.0.pop_front();
                g.1 += 1;
            }
            g.0.push_back(e);
        }
        self.ready.notify_one();
    }

    pub(crate) fn pop(&self) -> Option<Event> {
        self.inner.lock().ok()?.0.pop_front()
    }

    pub(crate) fn unpop(&self, e: Event) {
        if let Ok(mut g) = self.inner.lock() {
            g.0.push_front(e);
            if g.0.len() > self.cap {
                g.0.pop_back();
                g.1 += 1;
            }
        }
    }

    /// (waiting, dropped so far)
    pub(crate) fn counts(&self) -> (usize, u64) {
        self.inner.lock().map(|g| (g.0.len(), g.1)).unwrap_or((0, 0))
    }
}

/// The JSON of an event (docs/events.md), as published and POSTed.
pub(crate) fn event_json(e: &Event) -> Vec<u8> {
    serde_json::to_vec(e).unwrap_or_default()
}

/// `<publish_prefix>.<kind>`, with characters a subject cannot hold replaced.
pub(crate) fn event_subject(prefix: &str, kind: &str) -> String {
    let token: String = kind
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '*' || c == '>' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let tokens: Vec<&str> = token.split('.').filter(|t| !t.is_empty()).collect();
    if tokens.is_empty() {
        format!("{prefix}.event")
    } else {
        format!("{prefix}.{}", tokens.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;

    fn ev(title: &str) -> Event {
        Event {
            id: 0,
            at: 0,
            level: Level::Info,
            kind: "k".into(),
            source: "s".into(),
            title: title.into(),
            detail: String::new(),
            problem: None,
            quiet: false,
        }
    }

    #[test]
    fn the_outbox_keeps_the_newest_and_counts_what_it_dropped() {
        let o = Outbox::new(3);
        for i in 0..5 {
            o.push(ev(&i.to_string()));
        }
        assert_eq!(o.counts(), (3, 2));
        let first = o.pop().unwrap();
        assert_eq!(first.title, "2");
        // A failed publish puts it back in front.
        o.unpop(first);
        let titles: Vec<String> = std::iter::from_fn(|| o.pop()).map(|e| e.title).collect();
        assert_eq!(titles, ["2", "3", "4"]);
    }

    #[test]
    fn subjects_are_prefix_dot_kind() {
        assert_eq!(event_subject("fleet.fleettop", "nats.link"), "fleet.fleettop.nats.link");
        assert_eq!(event_subject("p", "a b>*"), "p.a_b__");
        assert_eq!(event_subject("p", ""), "p.event");
        assert_eq!(event_subject("p", ".."), "p.event");
        assert_eq!(event_subject("p", "a..b."), "p.a.b");
    }
}
