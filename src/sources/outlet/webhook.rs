//! `alerts.webhook_url`: critical events POSTed as their JSON (docs/events.md), at most
//! once per problem (source + title) per 10 minutes, each POST retried a
//! bounded number of times; the outcome goes back to the store as state.

use crate::model::{Level, Millis, now_millis};
use crate::sources::Ctx;
use crate::update::Event;
use crate::update::Update;
use crate::update::nats::NatsUpdate;
use std::collections::HashMap;
use std::time::Duration;

pub const DEDUP_WINDOW_MS: Millis = 10 * 60 * 1000;
pub const ATTEMPTS: u32 = 3;
const TIMEOUT: Duration = Duration::from_secs(5);

/// Which critical events to send: the rule, without I/O or clock.
#[derive(Debug, Default)]
pub struct Dedup {
    last: HashMap<String, Millis>,
}

impl Dedup {
    /// True when `e` should be POSTed now (and remembers that it was).
    pub(crate) fn admit(&mut self, e: &Event, now: Millis) -> bool {
        if e.level != Level::Critical {
            return false;
        }
        self.last.retain(|_, t| now.saturating_sub(*t) < DEDUP_WINDOW_MS);
        let key = format!("{}\u{1f}{}", e.source, e.title);
        if self.last.contains_key(&key) {
            return false;
        }
        self.last.insert(key, now);
        true
    }
}

/// POSTs what [`Dedup`] admits of the events on `rx` to `url`.
pub(crate) async fn run(url: String, rx: super::Shared<Event>, ctx: Ctx) {
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
        if !dedup.admit(&e, now_millis()) {
            continue;
        }
        let result = post(&client, &url, &e).await;
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

async fn post(client: &reqwest::Client, url: &str, e: &Event) -> Result<(), String> {
    let body = super::event_json(e);
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
        }
        let r = client
            .post(url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match r {
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
        }
    }

    #[test]
    fn once_per_problem_per_ten_minutes_and_only_critical() {
        let mut d = Dedup::default();
        let down = ev(Level::Critical, "NATS main unreachable");
        assert!(d.admit(&down, 0));
        assert!(!d.admit(&down, 60_000), "same problem a minute later");
        assert!(d.admit(&ev(Level::Critical, "other"), 60_000), "another problem");
        assert!(!d.admit(&ev(Level::Error, "error only"), 60_000));
        assert!(!d.admit(&down, DEDUP_WINDOW_MS - 1));
        assert!(d.admit(&down, DEDUP_WINDOW_MS), "again after ten minutes");
    }
}
