//! `alerts.webhook_url`: critical events POSTed in `alerts.webhook_format`
//! ([`super::format`]), at most once per problem per 10 minutes, and the
//! recovery of every problem that was sent; quiet (acknowledged, silenced)
//! events are not sent. Each POST is retried a bounded number of times; the
//! outcome goes back to the store as state.

use super::format::{Alert, Format, request};
use crate::model::{Level, Millis, now_millis, rfc3339};
use crate::sources::Ctx;
use crate::update::Event;
use crate::update::Update;
use crate::update::nats::NatsUpdate;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub const DEDUP_WINDOW_MS: Millis = 10 * 60 * 1000;
pub const ATTEMPTS: u32 = 3;
/// Problems whose recovery is still to be sent, at most.
const MAX_SENT: usize = 1000;
const TIMEOUT: Duration = Duration::from_secs(5);

/// What of an event is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Send {
    Problem,
    Recovery,
}

/// Which events to send: the rule, without I/O or clock.
#[derive(Debug, Default)]
pub struct Dedup {
    last: HashMap<String, Millis>,
    /// Problems sent and not yet recovered.
    sent: HashSet<String>,
}

impl Dedup {
    /// What of `e` to POST now, if anything (and remembers that it was).
    pub(crate) fn admit(&mut self, e: &Event, now: Millis) -> Option<Send> {
        if e.level == Level::Info {
            let key = e.problem.as_ref()?;
            return self.sent.remove(key).then_some(Send::Recovery);
        }
        if e.level != Level::Critical || e.quiet {
            return None;
        }
        self.last.retain(|_, t| now.saturating_sub(*t) < DEDUP_WINDOW_MS);
        let key = match &e.problem {
            Some(k) => k.clone(),
            None => format!("{}\u{1f}{}", e.source, e.title),
        };
        if self.last.contains_key(&key) {
            return None;
        }
        self.last.insert(key, now);
        if let Some(k) = &e.problem
            && (self.sent.len() < MAX_SENT || self.sent.contains(k))
        {
            self.sent.insert(k.clone());
        }
        Some(Send::Problem)
    }
}

/// POSTs what [`Dedup`] admits of the events on `rx` to `url`.
pub(crate) async fn run(url: String, format: Format, rx: super::Shared<Event>, ctx: Ctx) {
    let mut rx = rx.lock().await;
    let client = match crate::sources::http_client(TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook client: {e}");
            return;
        }
    };
    let mut dedup = Dedup::default();
    while let Some(e) = rx.recv().await {
        let Some(what) = dedup.admit(&e, now_millis()) else {
            continue;
        };
        let result = post(&client, &url, &body(format, &e, what)).await;
        if let Err(err) = &result {
            tracing::warn!("webhook: {err}");
        }
        let u = Update::Nats(NatsUpdate::Webhook {
            title: e.title.clone(),
            result,
        });
        if !ctx.send(u).await {
            return;
        }
    }
}

/// The request for `e` in `format`.
pub(crate) fn body(format: Format, e: &Event, what: Send) -> super::format::Request {
    let json = super::event_json(e);
    let at = rfc3339(e.at);
    let alert = Alert {
        level: e.level.as_str(),
        source: &e.source,
        title: &e.title,
        detail: &e.detail,
        at: &at,
        recovered: what == Send::Recovery,
        json: &json,
    };
    request(format, &alert)
}

async fn post(client: &reqwest::Client, url: &str, r: &super::format::Request) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
        }
        let mut req = client
            .post(url)
            .header("content-type", r.content_type)
            .body(r.body.clone());
        for (k, v) in &r.headers {
            req = req.header(*k, v.as_str());
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => return Ok(()),
            Ok(resp) => last = format!("HTTP {}", resp.status().as_u16()),
            // The URL may hold a token: it is never shown or logged.
            Err(err) => last = crate::sources::http_error_words(&err.without_url()),
        }
    }
    Err(format!("{last} after {ATTEMPTS} tries"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(level: Level, title: &str) -> Event {
        Event {
            id: 0,
            at: 0,
            level,
            kind: "nats.server".into(),
            source: "nats main".into(),
            title: title.into(),
            detail: String::new(),
            problem: None,
            quiet: false,
        }
    }

    fn edge(level: Level, key: &str) -> Event {
        Event {
            problem: Some(key.into()),
            ..ev(level, key)
        }
    }

    #[test]
    fn once_per_problem_per_ten_minutes_and_only_critical() {
        let mut d = Dedup::default();
        let down = ev(Level::Critical, "NATS main unreachable");
        assert_eq!(d.admit(&down, 0), Some(Send::Problem));
        assert_eq!(d.admit(&down, 60_000), None, "same problem a minute later");
        assert!(
            d.admit(&ev(Level::Critical, "other"), 60_000).is_some(),
            "another problem"
        );
        assert_eq!(d.admit(&ev(Level::Error, "error only"), 60_000), None);
        assert_eq!(d.admit(&down, DEDUP_WINDOW_MS - 1), None);
        assert!(d.admit(&down, DEDUP_WINDOW_MS).is_some(), "again after ten minutes");
    }

    #[test]
    fn a_recovery_goes_out_only_for_a_problem_that_went_out() {
        let mut d = Dedup::default();
        // Never critical: its recovery is not news to the phone.
        assert_eq!(d.admit(&edge(Level::Error, "a"), 0), None);
        assert_eq!(d.admit(&edge(Level::Info, "a"), 1), None);
        // Critical and sent: its recovery is sent, once.
        assert_eq!(d.admit(&edge(Level::Critical, "b"), 2), Some(Send::Problem));
        assert_eq!(d.admit(&edge(Level::Info, "b"), 3), Some(Send::Recovery));
        assert_eq!(d.admit(&edge(Level::Info, "b"), 4), None);
        // Quiet (acknowledged): neither it nor its recovery.
        let quiet = Event {
            quiet: true,
            ..edge(Level::Critical, "c")
        };
        assert_eq!(d.admit(&quiet, 5), None);
        assert_eq!(d.admit(&edge(Level::Info, "c"), 6), None);
        // An info event that is no problem's edge is never sent.
        assert_eq!(d.admit(&ev(Level::Info, "agent ran"), 7), None);
    }

    #[test]
    fn the_body_is_the_formats() {
        let e = edge(Level::Critical, "disk full");
        let r = body(Format::Slack, &e, Send::Problem);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["text"], "[fleettop] critical: disk full\nnats main");
        let r = body(Format::Json, &e, Send::Recovery);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["title"], "disk full");
        assert_eq!(v["at"], "1970-01-01T00:00:00Z");
    }
}
