//! The NATS sources: for each `[[nats]]`, a task polling its monitoring
//! endpoints (`monitor_url`) and a task holding fleettop's NATS connection
//! (`url`) that puts subscribed messages on the ticker and publishes every
//! ticker event. Events reach the connections' outboxes through the event
//! outlet ([`super::outlet`]).
//!
//! Other parts (agents, push mode) reuse the connection through
//! [`connect_options`] and [`Links`]: a connection is made once per
//! `[[nats]]` and its `async_nats::Client` (cheap to clone) is handed out.

use super::outlet::{OUTBOX_CAP, Outbox, event_json, event_subject};
use super::{Ctx, http_client, http_error_words, read_bounded};
use crate::config::{Config, Nats};
use crate::model::now_millis;
use crate::parse::nats as p;
use crate::update::{SourceError, Update};
use crate::update::{nats::LinkState, nats::LinkStats, nats::MonitorSample, nats::NatsUpdate};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// No monitoring body is held beyond this (a `/jsz` of a few hundred
/// streams is well under it).
pub const MAX_BODY: usize = 8 << 20;
const AUTH_VIOLATION: &str = "authorization violation (check creds, token or user/password)";
/// Subscribed messages put on the ticker per second and subject (bursts of
/// twice that), and for all subjects together; the rest are counted.
pub const TICKER_PER_S_PER_SUBJECT: f64 = 10.0;
pub const TICKER_PER_S: f64 = 200.0;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// Starts the monitoring and connection tasks. Returns the outboxes of the
/// connections, for the event outlet ([`super::outlet`]) to fill.
pub(crate) fn spawn(config: &Config, ctx: &Ctx) -> Vec<Outbox> {
    let mut outboxes = Vec::new();
    for n in &config.nats {
        if n.monitor_url.is_some() {
            super::supervise(
                ctx,
                super::Rows::NatsMonitor(n.name.get_ref().clone()),
                n.clone(),
                monitor,
            );
        }
        if n.url.is_some() {
            let outbox = Outbox::new(OUTBOX_CAP);
            outboxes.push(outbox.clone());
            // Agent run subjects on this server belong to the Agents source,
            // which puts each run on the ticker once, in words.
            let agents = if config.agents.nats.as_ref().map(|a| a.get_ref()) == Some(n.name.get_ref()) {
                config.agents.subjects.clone()
            } else {
                Vec::new()
            };
            let rows = super::Rows::NatsLink(n.name.get_ref().clone());
            super::supervise(ctx, rows, (n.clone(), outbox, agents), |(n, o, a), ctx| {
                link(n, ctx, o, a)
            });
        }
    }
    outboxes
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(u16, Vec<u8>), String> {
    let resp = client.get(url).send().await.map_err(|e| http_error_words(&e))?;
    let status = resp.status().as_u16();
    let body = read_bounded(resp, MAX_BODY).await?;
    if body.len() >= MAX_BODY {
        return Err(format!("body over {} MiB", MAX_BODY >> 20));
    }
    Ok((status, body))
}

fn ok_body(r: Result<(u16, Vec<u8>), String>) -> Result<Vec<u8>, String> {
    match r {
        Ok((s, b)) if (200..300).contains(&s) => Ok(b),
        Ok((s, _)) => Err(format!("HTTP {s}")),
        Err(e) => Err(e),
    }
}

/// One poll of a server's monitoring endpoints.
pub async fn poll(client: &reqwest::Client, base: &str) -> Result<MonitorSample, SourceError> {
    let base = base.trim_end_matches('/');
    let at = now_millis();
    let varz = ok_body(get(client, &format!("{base}/varz")).await)
        .and_then(|b| p::varz(&b))
        .map_err(|e| {
            if e.contains("refused") || e.contains("cannot connect") || e == "timed out" {
                SourceError::Unreachable(e)
            } else {
                SourceError::Other(format!("/varz {e}"))
            }
        })?;
    let jsz = if varz.jetstream.config.is_some() {
        ok_body(
            get(
                client,
                &format!("{base}/jsz?accounts=true&streams=true&consumers=true&config=true"),
            )
            .await,
        )
        .and_then(|b| p::jsz(&b))
    } else {
        Err("JetStream off".into())
    };
    let connz = ok_body(get(client, &format!("{base}/connz?limit=1024")).await).and_then(|b| p::connz(&b));
    // /healthz answers 503 with a JSON reason when unhealthy: read it anyway.
    let health = get(client, &format!("{base}/healthz"))
        .await
        .and_then(|(_, b)| p::healthz(&b));
    Ok(MonitorSample {
        at,
        varz,
        jsz,
        connz,
        health,
    })
}

async fn monitor(n: Nats, ctx: Ctx) {
    let name = crate::parse::sanitize::sanitize(n.name.get_ref());
    let Some(url) = n.monitor_url.as_ref().map(|u| u.get_ref().clone()) else {
        return;
    };
    let interval = n.interval.map_or(DEFAULT_INTERVAL, |d| d.0);
    let timeout = n.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => {
            let result = Err(SourceError::Other(e));
            ctx.send(Update::Nats(NatsUpdate::Monitor { name, result })).await;
            return;
        }
    };
    loop {
        let result = poll(&client, &url).await.map(Box::new);
        if let Err(e) = &result {
            tracing::debug!(server = %name, "NATS monitoring: {e}");
        }
        if !ctx
            .send(Update::Nats(NatsUpdate::Monitor {
                name: name.clone(),
                result,
            }))
            .await
        {
            return;
        }
        if !ctx.wait(interval).await {
            return;
        }
    }
}

/// The connect options for a `[[nats]]`: its credentials, a name, endless
/// reconnects, and a first connect that retries in the background.
pub(crate) async fn connect_options(n: &Nats) -> Result<async_nats::ConnectOptions, String> {
    let opts = if let Some(creds) = &n.creds {
        let path = crate::config::expand_tilde(creds);
        async_nats::ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|e| format!("creds file: {e}"))?
    } else if let Some(t) = &n.token {
        async_nats::ConnectOptions::with_token(t.0.clone())
    } else if let (Some(u), Some(pw)) = (&n.user, &n.password) {
        async_nats::ConnectOptions::with_user_and_password(u.clone(), pw.0.clone())
    } else {
        async_nats::ConnectOptions::new()
    };
    Ok(opts
        .name(concat!("fleettop ", env!("CARGO_PKG_VERSION")))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(4))
        .reconnect_delay_callback(|attempt| Duration::from_millis((250u64 << attempt.min(5)).min(5000))))
}

/// The clients of an app's connections made so far, by `[[nats]]` name, for
/// the parts of fleettop that reuse them (a handle in
/// [`Handles`](super::Handles): clones share it).
#[derive(Clone, Default)]
pub struct Links(Arc<Mutex<BTreeMap<String, async_nats::Client>>>);

impl Links {
    pub fn get(&self, name: &str) -> Option<async_nats::Client> {
        self.0.lock().ok()?.get(name).cloned()
    }

    /// The client of `[[nats]]` `name` once its task has made it (the first
    /// connect itself goes on in the background), or None after `within`.
    pub async fn client(&self, name: &str, within: Duration) -> Option<async_nats::Client> {
        let end = tokio::time::Instant::now() + within;
        loop {
            if let Some(c) = self.get(name) {
                return Some(c);
            }
            if tokio::time::Instant::now() >= end {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    fn put(&self, name: &str, c: async_nats::Client) {
        if let Ok(mut g) = self.0.lock() {
            g.insert(name.to_string(), c);
        }
    }
}

/// Whether NATS `subject` is one that `pattern` subscribes to: `*` is one
/// token, a final `>` one or more.
pub(crate) fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut subj = subject.split('.');
    for p in pattern.split('.') {
        match (p, subj.next()) {
            (">", Some(_)) => return true,
            (_, None) => return false,
            ("*", Some(_)) => {}
            (p, Some(t)) if p == t => {}
            _ => return false,
        }
    }
    subj.next().is_none()
}

/// What a connection event says of the link, if anything.
fn link_state(ev: async_nats::Event) -> Option<LinkState> {
    match ev {
        async_nats::Event::Connected => Some(LinkState::Connected),
        async_nats::Event::Disconnected => Some(LinkState::Down("disconnected".into())),
        async_nats::Event::Closed => Some(LinkState::Down("closed".into())),
        // The server closes the connection after this; its reason is
        // what the user needs to see, not "disconnected".
        async_nats::Event::ServerError(async_nats::ServerError::AuthorizationViolation) => {
            Some(LinkState::Down(AUTH_VIOLATION.into()))
        }
        async_nats::Event::ServerError(e) => {
            tracing::warn!(
                "NATS server error: {}",
                crate::parse::sanitize::sanitize(&e.to_string())
            );
            None
        }
        // A failed connect attempt (the first one too) says why here.
        async_nats::Event::ClientError(e) => {
            let why = e.to_string();
            Some(LinkState::Down(
                if why.contains("authorization") || why.contains("authentication") {
                    AUTH_VIOLATION.into()
                } else {
                    crate::parse::sanitize::sanitize(&crate::parse::redact::redact_text(&why))
                },
            ))
        }
        _ => None,
    }
}

/// Connects `[[nats]]` `n` (the first connect goes on in the background);
/// its link states come on the receiver. On failure, says so on its row
/// and returns None.
async fn open(n: &Nats, url: &str, name: &str, ctx: &Ctx) -> Option<(async_nats::Client, mpsc::Receiver<LinkState>)> {
    let down = |why: String| {
        let stats = LinkStats {
            state: LinkState::Down(why),
            ..LinkStats::default()
        };
        Update::Nats(NatsUpdate::Link {
            name: name.to_string(),
            stats,
        })
    };
    let (state_tx, state_rx) = mpsc::channel::<LinkState>(16);
    let opts = match connect_options(n).await {
        Ok(o) => o,
        Err(e) => {
            ctx.send(down(e)).await;
            return None;
        }
    };
    let opts = opts.event_callback(move |ev| {
        let tx = state_tx.clone();
        async move {
            if let Some(st) = link_state(ev) {
                let _ = tx.try_send(st);
            }
        }
    });
    match opts.connect(url).await {
        Ok(c) => Some((c, state_rx)),
        Err(e) => {
            let why = crate::parse::sanitize::sanitize(&crate::parse::redact::redact_text(&e.to_string()));
            ctx.send(down(why)).await;
            None
        }
    }
}

/// Publishes what waits in `outbox` while the connection is up; a failed
/// publish goes back to wait.
async fn publish(client: &async_nats::Client, outbox: &Outbox, prefix: &str, name: &str, stats: &mut LinkStats) {
    if client.connection_state() != async_nats::connection::State::Connected {
        return;
    }
    while let Some(ev) = outbox.pop() {
        let subject = event_subject(prefix, &ev.kind);
        match client.publish(subject, event_json(&ev).into()).await {
            Ok(()) => stats.published += 1,
            Err(e) => {
                tracing::debug!(server = %name, "publish: {e}");
                outbox.unpop(ev);
                break;
            }
        }
    }
}

/// Which subscribed messages go on the ticker: not our own events, not the
/// Agents source's subjects, and within the per-subject and overall budgets.
struct Admit {
    own: String,
    agent_subjects: Vec<String>,
    per_subject: super::budget::SubjectBudget,
    all: super::budget::SubjectBudget,
}

impl Admit {
    fn new(prefix: &str, agent_subjects: Vec<String>) -> Self {
        Admit {
            own: format!("{prefix}."),
            agent_subjects,
            // A flood on one subject must not starve the others, nor all of
            // them together become a flood of redraws.
            per_subject: super::budget::SubjectBudget::new(TICKER_PER_S_PER_SUBJECT, 2.0 * TICKER_PER_S_PER_SUBJECT),
            all: super::budget::SubjectBudget::with_cap(TICKER_PER_S, TICKER_PER_S, 1),
        }
    }

    /// The message's subject and payload for the ticker, or None (counted).
    fn admit(&mut self, msg: &async_nats::Message, stats: &mut LinkStats) -> Option<(String, Vec<u8>)> {
        let subject = msg.subject.to_string();
        // Our own events come back on a wildcard subscription.
        if subject.starts_with(&self.own) || self.agent_subjects.iter().any(|p| subject_matches(p, &subject)) {
            return None;
        }
        stats.received += 1;
        let now = std::time::Instant::now();
        if !self.per_subject.allow(&subject, now) || !self.all.allow("", now) {
            stats.skipped += 1;
            return None;
        }
        Some((subject, msg.payload[..msg.payload.len().min(64 << 10)].to_vec()))
    }
}

async fn link(n: Nats, ctx: Ctx, outbox: Outbox, agent_subjects: Vec<String>) {
    use futures_util::StreamExt;
    let name = crate::parse::sanitize::sanitize(n.name.get_ref());
    let Some(url) = n.url.as_ref().map(|u| u.get_ref().clone()) else {
        return;
    };
    let prefix = n.publish_prefix.clone().unwrap_or_else(|| "fleettop".into());
    let Some((client, mut state_rx)) = open(&n, &url, &name, &ctx).await else {
        return;
    };
    ctx.handles.nats.put(&name, client.clone());
    let mut subs = futures_util::stream::SelectAll::new();
    for s in &n.subscribe {
        match client.subscribe(s.clone()).await {
            Ok(sub) => subs.push(sub),
            Err(e) => tracing::warn!(server = %name, subject = %s, "subscribe: {e}"),
        }
    }
    let mut stats = LinkStats {
        state: if client.connection_state() == async_nats::connection::State::Connected {
            LinkState::Connected
        } else {
            LinkState::Connecting
        },
        ..LinkStats::default()
    };
    let mut report = tokio::time::interval(Duration::from_secs(2));
    let mut last_sent = LinkStats::default();
    let mut admit = Admit::new(&prefix, agent_subjects);
    loop {
        if ctx.tx.is_closed() {
            return;
        }
        tokio::select! {
            Some(st) = state_rx.recv() => {
                let sticky = matches!(&stats.state, LinkState::Down(r) if r == AUTH_VIOLATION);
                if !(sticky && matches!(st, LinkState::Down(_))) {
                    stats.state = st;
                }
            }
            Some(msg) = subs.next(), if !subs.is_empty() => {
                let Some((subject, payload)) = admit.admit(&msg, &mut stats) else { continue };
                if !ctx.send(Update::Nats(NatsUpdate::Message { name: name.clone(), subject, payload })).await {
                    return;
                }
            }
            _ = outbox.ready.notified() => {}
            _ = report.tick() => {}
        }
        publish(&client, &outbox, &prefix, &name, &mut stats).await;
        (stats.buffered, stats.dropped) = outbox.counts();
        if stats != last_sent {
            last_sent = stats.clone();
            let u = Update::Nats(NatsUpdate::Link {
                name: name.clone(),
                stats: stats.clone(),
            });
            if !ctx.send(u).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_like_nats() {
        assert!(subject_matches("fleet.daemon.>", "fleet.daemon.scout"));
        assert!(subject_matches("fleet.daemon.>", "fleet.daemon.scout.extra"));
        assert!(!subject_matches("fleet.daemon.>", "fleet.daemon"));
        assert!(subject_matches("fleet.*.scout", "fleet.daemon.scout"));
        assert!(!subject_matches("fleet.*", "fleet.daemon.scout"));
        assert!(subject_matches("fleet.peer_joined", "fleet.peer_joined"));
        assert!(!subject_matches("fleet.peer_joined", "fleet.peer_left"));
        assert!(!subject_matches("fleet.daemon.scout", "fleet.daemon"));
    }
}
