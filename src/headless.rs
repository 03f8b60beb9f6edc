//! `fleettop snapshot` and `fleettop check`: one round from every source,
//! each bounded by its timeout.

use crate::config::Config;
use crate::model::{HostState, Level, Now, now_millis, rfc3339};
use crate::snapshot::Snapshot;
use crate::sources::{self, Ctx};
use crate::store::{HostKind, Store};
use std::time::Duration;
use tokio::sync::mpsc;

/// The config one round runs with: hosts and NATS servers polled fast,
/// nothing subscribed or published, push hosts read from the bucket.
fn quick(config: &Config) -> Config {
    let mut quick = config.clone();
    for h in &mut quick.hosts {
        h.interval = Some(crate::config::Dur(Duration::from_millis(500)));
    }
    let agents_nats = config.agents.nats.as_ref().map(|n| n.get_ref().clone());
    for n in &mut quick.nats {
        n.interval = Some(crate::config::Dur(Duration::from_millis(500)));
        // A snapshot reads: it does not subscribe (nor publish: the outlet
        // is dropped below); it connects only to replay agent history.
        n.subscribe.clear();
        if agents_nats.as_deref() != Some(n.name.get_ref().as_str()) || config.agents.subjects.is_empty() {
            n.url = None;
        }
    }
    // Push mode reads the bucket over the real connection (below).
    quick.fleet.discover = crate::config::Discover::None;
    for h in &mut quick.hosts {
        h.nats = false;
    }
    quick
}

/// How long one round may take: the longest timeout of any source, and a
/// second.
fn deadline(config: &Config) -> Duration {
    config
        .hosts
        .iter()
        .map(|h| h.timeout.map_or(Duration::from_secs(4), |d| d.0))
        // Services: each check's own timeout; the others answer (or fail) at once.
        .chain(
            (config.services.http.iter().map(|s| s.timeout))
                .chain(config.services.syncthing.iter().map(|s| s.timeout))
                .chain(
                    config
                        .services
                        .metric
                        .iter()
                        .map(|s| s.timeout.as_ref().map(|d| *d.get_ref())),
                )
                .map(|t| t.map_or(Duration::from_secs(5), |d| d.0)),
        )
        .chain(
            config
                .nats
                .iter()
                .map(|n| n.timeout.map_or(Duration::from_secs(4), |d| d.0) * 4),
        )
        .max()
        .unwrap_or(Duration::ZERO)
        + Duration::from_secs(1)
}

/// Whether every source has answered its round (or failed).
fn round_done(store: &Store, config: &Config) -> bool {
    let push_ready = store.push.ready || !store.push.wanted;
    store
        .hosts
        .iter()
        .all(|h| h.samples >= 2 || h.last_error.is_some() || (h.kind == HostKind::Push && push_ready))
        && push_ready
        && store.services.first_round_done(config)
        && store.agents.replays_pending == 0
        && !store.nats.first_round_pending()
}

/// Collects one round: every host's two first samples (rates need two) or
/// its timeout, whichever comes first.
pub async fn collect(config: &Config) -> Store {
    let quick = quick(config);
    let deadline = deadline(config);
    let mut store = Store::new(config);
    if let Some(path) = crate::store::Quiet::default_path() {
        store.quiet = crate::store::Quiet::load(&path);
    }
    // One round is all a snapshot sees: a group down in it is down.
    store.services.group_rounds = 1;
    let (tx, mut rx) = mpsc::channel(64);
    let ctx = Ctx::new(tx);
    sources::spawn_all(&quick, &ctx);
    sources::push::spawn(config, &ctx);
    drop(ctx);
    let start = tokio::time::Instant::now();
    let until = start + deadline;
    // File-based sources (runlogs, heartbeats) answer at once; give them a
    // moment even when there is no host to wait for.
    let settle = start + Duration::from_millis(300);
    loop {
        let done = round_done(&store, config);
        let now = tokio::time::Instant::now();
        if done && now >= settle {
            break;
        }
        let wait_until = if done { settle } else { until };
        match tokio::time::timeout_at(wait_until, rx.recv()).await {
            Ok(Some(u)) => {
                store.apply(u, Now::current());
            }
            Ok(None) | Err(_) => break,
        }
    }
    while let Ok(u) = rx.try_recv() {
        store.apply(u, Now::current());
    }
    store.tick(Now::current());
    store
}

pub async fn snapshot(config: &Config, pretty: bool) -> String {
    let store = collect(config).await;
    let snap = Snapshot::build(&store, now_millis());
    let out = if pretty {
        serde_json::to_string_pretty(&snap)
    } else {
        serde_json::to_string(&snap)
    };
    out.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The report and the exit code: 2 when anything is critical, 1 when
/// anything is in error or warns, else 0. Acknowledged and silenced
/// problems are listed as such and still count: the exit code says what
/// is wrong, not who has been told (docs/exit-codes.md).
pub async fn check(config: &Config) -> (String, i32) {
    let store = collect(config).await;
    report(&store, now_millis())
}

pub fn report(store: &Store, now: i64) -> (String, i32) {
    let problems = store.problems(now);
    let mut out = String::new();
    for p in &problems {
        out.push_str(&format!(
            "{:<8} {}: {}{}\n",
            p.level.as_str().to_uppercase(),
            p.source,
            p.title,
            quiet_words(p, now)
        ));
    }
    let online = store.hosts.iter().filter(|h| h.state(now) == HostState::Online).count();
    let worst = problems.iter().map(|p| p.level).max();
    let (word, code) = match worst {
        None => ("OK", 0),
        Some(Level::Critical) => ("CRITICAL", 2),
        Some(_) => ("WARNING", 1),
    };
    let count = |l: Level| problems.iter().filter(|p| p.level == l).count();
    let quiet = problems
        .iter()
        .filter(|p| p.acknowledged || p.silenced_until.is_some())
        .count();
    let quiet = if quiet > 0 {
        format!(", {quiet} acknowledged or silenced")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{word}: {}/{} hosts online, {} problems ({} critical, {} error, {} warn{quiet}) at {}\n",
        online,
        store.hosts.len(),
        problems.len(),
        count(Level::Critical),
        count(Level::Error),
        count(Level::Warn),
        rfc3339(now)
    ));
    (out, code)
}

/// " (acknowledged)", " (silenced until …)", both or nothing.
fn quiet_words(p: &crate::store::Problem, now: i64) -> String {
    let mut out = String::new();
    if p.acknowledged {
        out.push_str(" (acknowledged)");
    }
    if let Some(u) = p.silenced_until.filter(|u| *u > now) {
        out.push_str(&format!(" (silenced until {})", rfc3339(u)));
    }
    out
}

#[cfg(test)]
mod tests;
