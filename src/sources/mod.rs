//! Data sources: one task per configured source, each owning its client and
//! sending [`Update`]s to the app over a bounded channel.

pub mod agents;
pub mod agents_remote;
pub mod gpu;
pub mod inference;
pub mod local;
pub mod nats;
pub mod procfs;
pub mod push;
pub mod services;
pub mod ssh;

use crate::config::Config;
use crate::store::Update;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// What every source task gets: where to send, and the "refresh now" bell.
#[derive(Clone)]
pub struct Ctx {
    pub tx: mpsc::Sender<Update>,
    pub refresh: Arc<Notify>,
}

impl Ctx {
    /// False once the app is gone (the task should end).
    pub async fn send(&self, u: Update) -> bool {
        self.tx.send(u).await.is_ok()
    }

    /// Sleeps for `d`, or less when a refresh is asked for.
    pub async fn wait(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.refresh.notified() => {}
        }
        !self.tx.is_closed()
    }
}

/// Starts a task for every source in the config. Returns the outlet for new
/// events (published to NATS, POSTed to the webhook), if anything wants them.
pub fn spawn_all(config: &Config, ctx: &Ctx) -> Option<mpsc::Sender<crate::store::Event>> {
    for h in config.hosts.iter().filter(|h| h.local) {
        tokio::spawn(local::run(h.clone(), ctx.clone()));
    }
    for h in config.hosts.iter().filter(|h| h.ssh.is_some()) {
        tokio::spawn(ssh::run(h.clone(), ctx.clone()));
    }
    services::spawn(config, ctx);
    agents::spawn(config, ctx);
    push::spawn(config, ctx);
    nats::spawn(config, ctx)
}

pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    http_client_with(timeout, reqwest::redirect::Policy::default())
}

/// A client that follows redirects as `redirect` says (`Policy::none()`
/// where a request carries a secret header reqwest would send on).
pub fn http_client_with(timeout: Duration, redirect: reqwest::redirect::Policy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(redirect)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("fleettop/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// The error of an HTTP request in the words a row has room for.
pub fn http_error_words(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        let s = format!("{e:?}");
        if s.contains("Connection refused") || s.contains("ConnectionRefused") {
            "connection refused".into()
        } else {
            "cannot connect".into()
        }
    } else {
        // reqwest says "… for url (…)": the URL may carry a password or token.
        crate::parse::sanitize::sanitize(&crate::parse::redact::redact_text(&e.to_string()))
    }
}

/// Reads at most `max` bytes of a body: a server cannot make us hold more.
pub async fn read_bounded(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| http_error_words(&e))? {
        let room = max.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= max {
            tracing::warn!(max, "body cut at the bound");
            break;
        }
    }
    Ok(body)
}
