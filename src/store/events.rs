//! The bounded ring of events (docs/events.md) that feeds the ticker, snapshot
//! and NATS publishing.

use crate::model::{Level, Millis};
use crate::update::Event;
use std::collections::VecDeque;

/// The kind of an event whose kind someone outside named: one of a fixed
/// set. Their word stays in the title; a kind is a subject fleettop
/// publishes on, and nobody outside picks those.
pub(crate) fn outside_kind(k: &str) -> &'static str {
    let k = k.to_ascii_lowercase();
    match k.as_str() {
        "peer_joined" => "peer_joined",
        "peer_left" => "peer_left",
        k if k.starts_with("security") => "security",
        k if k.contains("quarantine") => "quarantine",
        k if k.contains("fail") || k.contains("error") => "failure",
        k if k.contains("warn") => "warning",
        _ => "notice",
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub level: Level,
    pub kind: String,
    pub source: String,
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct EventRing {
    buf: VecDeque<Event>,
    cap: usize,
    next_id: u64,
    pub dropped: u64,
}

impl EventRing {
    pub fn new(cap: usize) -> Self {
        EventRing {
            buf: VecDeque::with_capacity(cap.min(64)),
            cap: cap.max(1),
            next_id: 1,
            dropped: 0,
        }
    }

    pub fn push(&mut self, at: Millis, e: NewEvent) -> &Event {
        self.push_edge(at, e, None, false)
    }

    /// An event that may be an edge of a problem (`problem`: its key), and
    /// quiet (acknowledged or silenced).
    pub(crate) fn push_edge(&mut self, at: Millis, e: NewEvent, problem: Option<String>, quiet: bool) -> &Event {
        let id = self.next_id;
        self.next_id += 1;
        let s = crate::parse::sanitize::sanitize;
        self.keep(Event {
            id,
            at,
            level: e.level,
            kind: s(&e.kind),
            source: s(&e.source),
            title: s(&e.title),
            detail: s(&e.detail),
            problem,
            quiet,
        })
    }

    /// Keeps an event as it is (made by another ring: the history).
    pub(crate) fn keep(&mut self, e: Event) -> &Event {
        if self.buf.len() == self.cap {
            self.buf.pop_front();
            self.dropped += 1;
        }
        self.buf.push_back(e);
        self.buf.back().expect("just pushed")
    }

    /// Marks the events `of` accepts quiet (a problem acknowledged).
    pub(crate) fn mark_quiet(&mut self, of: impl Fn(&Event) -> bool) {
        self.buf.iter_mut().filter(|e| of(e)).for_each(|e| e.quiet = true);
    }

    /// Drops events older than `ttl`; true when something went.
    pub(crate) fn expire(&mut self, now: Millis, ttl_ms: i64) -> bool {
        let before = self.buf.len();
        self.buf.retain(|e| now.saturating_sub(e.at) < ttl_ms);
        self.buf.len() != before
    }

    /// Moves every event's time by `d` (the wall clock stepped by `d`), so
    /// their age, and so their expiry, is unchanged.
    pub(crate) fn shift_clock(&mut self, d: Millis) {
        for e in &mut self.buf {
            e.at = e.at.saturating_add(d);
        }
    }

    pub fn newest_first(&self) -> impl Iterator<Item = &Event> {
        self.buf.iter().rev()
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}
