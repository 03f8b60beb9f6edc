//! `fleettop agent` (push mode, docs/push.md): headless; collects this host every
//! interval and publishes its host JSON on `fleettop.hosts.<name>`
//! and into the JetStream key-value bucket `fleettop_hosts`. Rides out the
//! server going away and coming back; ends cleanly on SIGTERM or SIGINT.

use crate::config::{Config, Host};
use crate::model::now_millis;
use crate::parse::push::HostSnap;
use crate::parse::redact::{redact_text, redact_url};
use crate::sources::local::Collector;
use crate::sources::{gpu, inference, push};
use crate::store::HostEntry;
use std::time::Duration;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Runs until a signal; returns the exit code.
pub async fn run(config: &Config) -> u8 {
    let Some(host) = config.hosts.iter().find(|h| h.local).cloned() else {
        return fail("fleettop agent: the config has no local [[hosts]] entry (`local = true`) to publish");
    };
    let n = match push::which_nats(config) {
        Ok(n) => n.clone(),
        Err(e) => return fail(&format!("fleettop agent: {e}")),
    };
    let name = host.display_name();
    let key = push::push_key(&name);
    let subject = format!("{}.{key}", push::SUBJECT_PREFIX);
    let interval = host
        .interval
        .map_or(DEFAULT_INTERVAL, |d| d.0)
        .max(Duration::from_millis(250));
    // Shown and logged: a token or password in it is not.
    let url = n.url.as_ref().map(|u| redact_url(u.get_ref())).unwrap_or_default();
    let client = match push::connect(&n).await {
        Ok(c) => c,
        Err(e) => return fail(&format!("fleettop agent: NATS {url}: {}", redact_text(&e))),
    };
    tracing::info!(host = %name, %subject, %url, ?interval, "agent publishing");
    say(&format!(
        "fleettop agent: publishing {name} to {url} ({subject}, bucket {}) every {}",
        push::BUCKET,
        humantime::format_duration(interval)
    ));
    let js = async_nats::jetstream::new(client.clone());
    let code = tokio::select! {
        c = publish_loop(&host, &client, &js, &key, &subject, interval) => c,
        () = signalled() => 0,
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), client.flush()).await;
    tracing::info!(host = %name, "agent exits");
    code
}

fn fail(msg: &str) -> u8 {
    tracing::error!("{msg}");
    say(msg);
    3
}

fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("agent: signal received");
}

/// Remembers whether the last attempt of something failed, so a server
/// that is away is logged once when it goes and once when it is back.
#[derive(Default)]
struct Health {
    failing: bool,
    failures: u64,
}

impl Health {
    fn ok(&mut self, what: &str) {
        if self.failing {
            tracing::info!(failures = self.failures, "agent: {what} works again");
        }
        self.failing = false;
    }

    fn fail(&mut self, what: &str, e: &str) {
        self.failures += 1;
        if !self.failing {
            tracing::warn!("agent: {what} failed: {e}");
        }
        self.failing = true;
    }
}

async fn publish_loop(
    host: &Host,
    client: &async_nats::Client,
    js: &async_nats::jetstream::Context,
    key: &str,
    subject: &str,
    interval: Duration,
) -> u8 {
    let sessions = host.sessions.clone();
    let mut collector = match tokio::task::spawn_blocking(move || Collector::new(sessions)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return fail(&format!("fleettop agent: cannot collect: {e}")),
        Err(e) => return fail(&format!("fleettop agent: collector failed: {e}")),
    };
    let timeout = host.timeout.map_or(Duration::from_secs(4), |d| d.0);
    let mut metrics = inference::Scraper::new(host.metrics_url.as_ref().map(|u| u.get_ref().clone()), timeout);
    let mut gpu_state = gpu::Probe::new(host.gpu);
    let mut entry = HostEntry::from_config(host);
    let interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    // Sends wait at most this long: a server that is away never stalls sampling.
    let send_within = interval.max(Duration::from_secs(2));
    let mut kv: Option<async_nats::jetstream::kv::Store> = None;
    let (mut pub_health, mut kv_health) = (Health::default(), Health::default());
    // CPU use is measured between two samples.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut next = tokio::time::Instant::now();
    loop {
        let (c, mut sample) = match tokio::task::spawn_blocking(move || {
            let s = collector.collect(now_millis());
            (collector, s)
        })
        .await
        {
            Ok(v) => v,
            Err(e) => return fail(&format!("fleettop agent: collector crashed: {e}")),
        };
        collector = c;
        let (gpus, inf) = tokio::join!(gpu_state.poll(timeout), metrics.poll());
        gpu::fill(&mut sample, gpus);
        inference::fill(&mut sample, inf);
        let now = sample.at;
        entry.accept(sample, now);
        let mut snap = HostSnap::build(&entry, now);
        snap.interval_ms = Some(interval_ms);
        let body = serde_json::to_vec(&snap).unwrap_or_default();

        match tokio::time::timeout(send_within, client.publish(subject.to_string(), body.clone().into())).await {
            Ok(Ok(())) => pub_health.ok("publish"),
            Ok(Err(e)) => pub_health.fail("publish", &e.to_string()),
            Err(_) => pub_health.fail("publish", "timed out"),
        }
        if kv.is_none() {
            match tokio::time::timeout(send_within, push::bucket(js)).await {
                Ok(Ok(s)) => kv = Some(s),
                Ok(Err(e)) => kv_health.fail("bucket", &e),
                Err(_) => kv_health.fail("bucket", "timed out"),
            }
        }
        if let Some(store) = &kv {
            match tokio::time::timeout(send_within, store.put(key, body.into())).await {
                Ok(Ok(_)) => kv_health.ok("bucket put"),
                Ok(Err(e)) => {
                    kv_health.fail("bucket put", &e.to_string());
                    // Look the bucket up again next time (it may have been deleted).
                    kv = None;
                }
                Err(_) => kv_health.fail("bucket put", "timed out"),
            }
        }
        next += interval;
        let now = tokio::time::Instant::now();
        if next < now {
            next = now;
        }
        tokio::time::sleep_until(next).await;
    }
}
