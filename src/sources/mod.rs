//! Data sources: one task per configured source, each owning its client and
//! sending [`Update`]s to the app over a bounded channel.

pub mod agents;
pub mod agents_remote;
pub mod budget;
pub mod gpu;
pub mod inference;
pub mod local;
pub mod nats;
pub(crate) mod outlet;
pub mod procfs;
pub mod push;
pub(crate) mod reach;
pub(crate) mod sample;
pub mod services;
pub mod ssh;

use crate::config::Config;
use crate::parse::agent::FleetNotice;
use crate::update::agents::AgentUpdate;
use crate::update::{PushUpdate, SourceError, Update};
use crate::update::{nats::LinkState, nats::LinkStats, nats::NatsUpdate};
use crate::update::{services::Health, services::Kind, services::Row, services::ServiceUpdate};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// What every source task gets: where to send, the "refresh now" bell, and
/// the handles its app shares among its sources.
#[derive(Clone)]
pub struct Ctx {
    pub tx: mpsc::Sender<Update>,
    pub refresh: Arc<Notify>,
    pub handles: Handles,
}

/// The connections and switches one app owns and hands its sources (and its
/// UI) in [`Ctx`]; nothing of them is process-wide, so two apps in one
/// process (two tests) share nothing. Cheap to clone: every field is shared.
#[derive(Clone, Default)]
pub struct Handles {
    /// Each remote host's SSH connection, for the checks that run on that
    /// host: `ctx.handles.ssh.run(host, script, args, max, within)`.
    pub ssh: ssh::Links,
    /// Which remote hosts keep their whole process table (the drill-down).
    pub tables: ssh::Tables,
    /// fleettop's NATS connections by `[[nats]]` name:
    /// `ctx.handles.nats.client(name, within)`.
    pub nats: nats::Links,
}

impl Ctx {
    /// A context sending to `tx`, with a bell and handles of its own.
    pub fn new(tx: mpsc::Sender<Update>) -> Ctx {
        Ctx::with(tx, Arc::default(), Handles::default())
    }

    /// A context sending to `tx` with an app's `refresh` bell and `handles`.
    pub fn with(tx: mpsc::Sender<Update>, refresh: Arc<Notify>, handles: Handles) -> Ctx {
        Ctx { tx, refresh, handles }
    }

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
pub fn spawn_all(config: &Config, ctx: &Ctx) -> Option<mpsc::Sender<crate::update::Event>> {
    for h in config.hosts.iter().filter(|h| h.local) {
        supervise(ctx, Rows::Host(h.display_name()), h.clone(), local::run);
    }
    for h in config.hosts.iter().filter(|h| h.ssh.is_some()) {
        supervise(ctx, Rows::Host(h.display_name()), h.clone(), ssh::run);
    }
    services::spawn(config, ctx);
    agents::spawn(config, ctx);
    push::spawn(config, ctx);
    let outboxes = nats::spawn(config, ctx);
    outlet::spawn(config, ctx, outboxes)
}

/// The rows that say a source task crashed.
#[derive(Debug, Clone)]
pub enum Rows {
    /// A host's tile.
    Host(String),
    /// A Services scope: one check, or every row of a Docker endpoint, a
    /// host's units, a Syncthing instance (replaced by one row that says it).
    Service {
        scope: String,
        kind: Kind,
        name: String,
    },
    Agent(String),
    /// A NATS server's monitoring row.
    NatsMonitor(String),
    /// A NATS server's connection.
    NatsLink(String),
    /// Push mode's hosts.
    Push,
    /// No row of its own: an event on the ticker, from `source`.
    Event(String),
}

impl Rows {
    pub fn service(kind: Kind, scope: String, name: &str) -> Rows {
        Rows::Service {
            scope,
            kind,
            name: name.to_string(),
        }
    }

    /// The update that puts `words` on these rows.
    fn update(&self, words: String) -> Update {
        match self.clone() {
            Rows::Host(name) => Update::Host {
                name,
                result: Err(SourceError::Other(words)),
            },
            Rows::Service { scope, kind, name } => Update::Services(ServiceUpdate::Set {
                rows: vec![Row::new(scope.clone(), kind, name, Health::Error, words)],
                scope,
            }),
            Rows::Agent(agent) => Update::Agents(AgentUpdate::Heartbeat { agent, at: Err(words) }),
            Rows::NatsMonitor(name) => Update::Nats(NatsUpdate::Monitor {
                name,
                result: Err(SourceError::Other(words)),
            }),
            Rows::NatsLink(name) => Update::Nats(NatsUpdate::Link {
                name,
                stats: LinkStats {
                    state: LinkState::Down(words),
                    ..LinkStats::default()
                },
            }),
            Rows::Push => Update::Push(PushUpdate::Down(words.into())),
            Rows::Event(source) => Update::Agents(AgentUpdate::Notice(FleetNotice {
                kind: "collector_failed".into(),
                source,
                text: words,
            })),
        }
    }
}

/// The first wait before a crashed task starts again; it doubles per crash
/// up to [`RESTART_MAX`], and starts over once a run outlasts that.
pub const RESTART_MIN: Duration = Duration::from_secs(1);
pub const RESTART_MAX: Duration = Duration::from_secs(60);

/// Runs `task(arg, ctx)` as a task of its own and keeps it running: a panic
/// in it is logged, said on its `rows` ("collector crashed: …,
/// restarting") and the task started again after a backoff. A task that
/// returns (the app is gone) is not restarted.
pub(crate) fn supervise<A, F, Fut>(ctx: &Ctx, rows: Rows, arg: A, task: F) -> tokio::task::JoinHandle<()>
where
    A: Clone + Send + 'static,
    F: Fn(A, Ctx) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send,
{
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut backoff = RESTART_MIN;
        loop {
            let run = task(arg.clone(), ctx.clone());
            let started = tokio::time::Instant::now();
            let ended = tokio::spawn(async move {
                test_panic();
                run.await;
            })
            .await;
            let Err(e) = ended else { return };
            let Ok(payload) = e.try_into_panic() else { return };
            let why = panic_words(payload.as_ref());
            if started.elapsed() > RESTART_MAX {
                backoff = RESTART_MIN;
            }
            tracing::error!(rows = ?rows, "a source task crashed: {why}; restarting in {backoff:?}");
            if !ctx
                .send(rows.update(format!("collector crashed: {why}, restarting")))
                .await
            {
                return;
            }
            tokio::time::sleep(backoff).await;
            if ctx.tx.is_closed() {
                return;
            }
            backoff = (backoff * 2).min(RESTART_MAX);
        }
    })
}

/// A panic's message in one clean line of at most 200 characters.
pub fn panic_words(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    crate::parse::sanitize::sanitize(text).chars().take(200).collect()
}

/// Debug builds only: `FLEETTOP_TEST_PANIC=source` makes every supervised
/// task panic as it starts (for the tests of the supervision).
fn test_panic() {
    if cfg!(debug_assertions) && std::env::var_os("FLEETTOP_TEST_PANIC").is_some_and(|v| v == "source") {
        panic!("test panic (FLEETTOP_TEST_PANIC=source)");
    }
}

pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    http_client_with(timeout, reqwest::redirect::Policy::default())
}

/// A client that follows redirects as `redirect` says (`Policy::none()`
/// where a request carries a secret header reqwest would send on).
pub(crate) fn http_client_with(
    timeout: Duration,
    redirect: reqwest::redirect::Policy,
) -> Result<reqwest::Client, String> {
    http_builder(timeout, redirect).build().map_err(|e| e.to_string())
}

/// The builder behind [`http_client_with`], for a client that needs more.
pub(crate) fn http_builder(timeout: Duration, redirect: reqwest::redirect::Policy) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(redirect)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("fleettop/", env!("CARGO_PKG_VERSION")))
}

/// The error of an HTTP request in the words a row has room for.
pub(crate) fn http_error_words(e: &reqwest::Error) -> String {
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
pub(crate) async fn read_bounded(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tokio::time::Instant;

    fn ctx() -> (Ctx, mpsc::Receiver<Update>) {
        let (tx, rx) = mpsc::channel(16);
        (Ctx::new(tx), rx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_said_on_its_rows_and_restarted_with_capped_backoff() {
        let (ctx, mut rx) = ctx();
        let runs = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let h = supervise(&ctx, Rows::Host("pi".into()), runs.clone(), |runs, ctx| async move {
            let n = runs.fetch_add(1, SeqCst);
            if n < 8 {
                panic!("bad \u{1b}[2J byte\nin run {n}");
            }
            ctx.send(Update::Host {
                name: "pi".into(),
                result: Err(SourceError::Other("a real answer".into())),
            })
            .await;
        });
        let mut at = Vec::new();
        for n in 0..8 {
            match rx.recv().await {
                Some(Update::Host {
                    name,
                    result: Err(SourceError::Other(words)),
                }) => {
                    assert_eq!(name, "pi");
                    assert_eq!(words, format!("collector crashed: bad  byte in run {n}, restarting"));
                }
                other => panic!("{other:?}"),
            }
            at.push(t0.elapsed().as_secs());
        }
        // The ninth run works, says so and ends: it is not started again.
        assert!(
            matches!(rx.recv().await, Some(Update::Host { result: Err(SourceError::Other(w)), .. }) if w == "a real answer")
        );
        h.await.unwrap();
        assert_eq!(runs.load(SeqCst), 9);
        let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, [1, 2, 4, 8, 16, 32, 60], "doubling, capped at a minute");
    }

    #[tokio::test(start_paused = true)]
    async fn a_supervisor_ends_with_the_app() {
        let (ctx, rx) = ctx();
        drop(rx);
        let runs = Arc::new(AtomicUsize::new(0));
        let h = supervise(&ctx, Rows::Push, runs.clone(), |runs, _ctx| async move {
            runs.fetch_add(1, SeqCst);
            panic!("always");
        });
        h.await.unwrap();
        assert_eq!(runs.load(SeqCst), 1, "nobody to tell: no restart");
    }

    /// The store puts these on the rows (store's tests): a host's error, one
    /// error row for the scope, an agent's heartbeat error.
    #[test]
    fn every_row_kind_says_the_crash_where_its_rows_are() {
        let words = "collector crashed: x, restarting";
        assert!(matches!(
            Rows::Host("pi".into()).update(words.into()),
            Update::Host { name, result: Err(SourceError::Other(w)) } if name == "pi" && w == words
        ));
        let web = Rows::service(Kind::Http, "http:web".into(), "web");
        let Update::Services(ServiceUpdate::Set { scope, rows }) = web.update(words.into()) else {
            panic!("not a scope's rows")
        };
        assert_eq!(scope, "http:web");
        let row: Vec<_> = rows
            .iter()
            .map(|r| (r.key.as_str(), r.kind, r.health, r.detail.as_str()))
            .collect();
        assert_eq!(row, [("http:web", Kind::Http, Health::Error, words)]);
        assert!(matches!(
            Rows::Agent("scout".into()).update(words.into()),
            Update::Agents(AgentUpdate::Heartbeat { agent, at: Err(w) }) if agent == "scout" && w == words
        ));
    }

    #[test]
    fn two_apps_share_no_handles_and_clones_share_them() {
        let (a, b) = (Handles::default(), Handles::default());
        let a_ctx = Ctx::with(mpsc::channel(1).0, Arc::default(), a.clone());
        a.tables.show(Some("open"));
        assert!(!a_ctx.handles.tables.whole("other"), "a clone sees its app's tables");
        assert!(a_ctx.handles.tables.whole("open"));
        assert!(b.tables.whole("other"), "another app keeps every table whole");
    }

    #[test]
    fn a_panic_without_words_is_named_and_long_words_are_cut() {
        assert_eq!(panic_words(&42u8), "a panic without a message");
        assert_eq!(panic_words(&"x".repeat(500)).len(), 200);
    }
}
