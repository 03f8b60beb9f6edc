//! Push mode, the viewer's side (docs/push.md): hosts running `fleettop agent`
//! keep their last host JSON in the JetStream key-value bucket
//! `fleettop_hosts`. The viewer reads the whole bucket at start (every
//! pushing host appears at once) and then watches it; a host's state comes
//! from the age of its last sample.
//!
//! Also the helpers the agent shares: which `[[nats]]`, the bucket, the key.

use super::Ctx;
use crate::config::{Config, Nats, push_wanted};
use crate::parse::push::HostSnap;
use crate::parse::sanitize::sanitize;
use crate::update::{PushUpdate, Update};
use std::time::Duration;

pub const BUCKET: &str = "fleettop_hosts";
pub const SUBJECT_PREFIX: &str = "fleettop.hosts";
/// A host that stopped pushing leaves the bucket after this.
pub const BUCKET_MAX_AGE: Duration = Duration::from_secs(3600);
/// No host JSON is bigger than this (a value over it is malformed).
pub const MAX_VALUE: usize = 256 << 10;
/// Malformed values whose reason is logged; after that the store logs a
/// count once a minute.
const LOG_FIRST: u64 = 10;

pub(crate) use crate::parse::push::push_key;

/// The `[[nats]]` push mode uses: `[fleet] nats`, else the only one with a `url`.
pub(crate) fn which_nats(config: &Config) -> Result<&Nats, String> {
    if let Some(name) = &config.fleet.nats {
        return config
            .nats
            .iter()
            .find(|n| n.name.get_ref() == name.get_ref() && n.url.is_some())
            .ok_or_else(|| format!("no [[nats]] {:?} with a url for push mode", name.get_ref()));
    }
    let with_url: Vec<&Nats> = config.nats.iter().filter(|n| n.url.is_some()).collect();
    match with_url.as_slice() {
        [one] => Ok(one),
        [] => Err("push mode needs a [[nats]] with a `url`".into()),
        _ => Err("several [[nats]] have a url: say which in [fleet] nats".into()),
    }
}

/// A connection that keeps reconnecting (the first connect too).
pub async fn connect(n: &Nats) -> Result<async_nats::Client, String> {
    let url = n.url.as_ref().map(|u| u.get_ref().clone()).ok_or("no url")?;
    let opts = super::nats::connect_options(n).await?;
    opts.connect(url)
        .await
        .map_err(|e| crate::parse::redact::redact_text(&e.to_string()))
}

/// The bucket, created when missing. Made as the stream a key-value bucket
/// is (`KV_fleettop_hosts` on `$KV.fleettop_hosts.>`) rather than with
/// `create_key_value`, whose account query servers before 2.10 fail.
pub async fn bucket(js: &async_nats::jetstream::Context) -> Result<async_nats::jetstream::kv::Store, String> {
    use async_nats::jetstream::stream;
    if let Ok(s) = js.get_key_value(BUCKET).await {
        return Ok(s);
    }
    let config = stream::Config {
        name: format!("KV_{BUCKET}"),
        description: Some("fleettop push mode: each host's last JSON (docs/push.md)".into()),
        subjects: vec![format!("$KV.{BUCKET}.>")],
        max_messages_per_subject: 1,
        max_age: BUCKET_MAX_AGE,
        max_message_size: i32::try_from(MAX_VALUE).unwrap_or(i32::MAX),
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        deny_purge: false,
        allow_direct: true,
        num_replicas: 1,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    if let Err(e) = js.get_or_create_stream(config).await {
        return Err(format!("bucket {BUCKET}: {e}"));
    }
    js.get_key_value(BUCKET)
        .await
        .map_err(|e| format!("bucket {BUCKET}: {e}"))
}

/// Reads one value of the bucket: the host JSON and the time it was sampled.
pub(crate) fn decode(value: &[u8]) -> Result<(HostSnap, crate::model::Millis), String> {
    if value.len() > MAX_VALUE {
        return Err(format!("{} bytes, more than {MAX_VALUE}", value.len()));
    }
    let mut json: serde_json::Value =
        serde_json::from_slice(value).map_err(|e| format!("not a host JSON: {}", sanitize(&e.to_string())))?;
    sanitize_strings(&mut json);
    let snap: HostSnap =
        serde_json::from_value(json).map_err(|e| format!("not a host JSON: {}", sanitize(&e.to_string())))?;
    let seen = snap.last_seen.as_deref().ok_or("no last_seen")?;
    let t = humantime::parse_rfc3339_weak(seen).map_err(|e| format!("last_seen {seen:?}: {e}"))?;
    // Before 1970 as a negative time: the store calls it clock skew.
    let at = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    };
    Ok((snap, at))
}

/// Every string of a pushed JSON, keys too, sanitised before anything
/// reads it: the whole document is outside text.
fn sanitize_strings(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => *s = sanitize(s),
        Value::Array(a) => a.iter_mut().for_each(sanitize_strings),
        Value::Object(m) => {
            *m = std::mem::take(m)
                .into_iter()
                .map(|(k, mut v)| {
                    sanitize_strings(&mut v);
                    (sanitize(&k), v)
                })
                .collect();
        }
        _ => {}
    }
}

/// Starts the bucket watcher when push mode is configured.
pub fn spawn(config: &Config, ctx: &Ctx) {
    if !push_wanted(config) {
        return;
    }
    match which_nats(config) {
        Ok(n) => {
            super::supervise(ctx, super::Rows::Push, n.clone(), watch);
        }
        Err(e) => {
            let ctx = ctx.clone();
            tokio::spawn(async move { ctx.send(Update::Push(PushUpdate::Down(e.as_str().into()))).await });
        }
    }
}

async fn watch(n: Nats, ctx: Ctx) {
    let client = match connect(&n).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(nats = %n.name.get_ref(), "push mode: {e}");
            ctx.send(Update::Push(PushUpdate::Down(e.as_str().into()))).await;
            return;
        }
    };
    let js = async_nats::jetstream::new(client);
    let mut ready = false;
    let mut malformed = 0u64;
    let mut backoff = Duration::from_millis(500);
    loop {
        match watch_once(&js, &ctx, &mut ready, &mut malformed).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(nats = %n.name.get_ref(), "push mode: {e}; watching again in {backoff:?}");
                if !ready {
                    // A snapshot must not wait for a bucket it cannot read.
                    ready = true;
                    if !ctx.send(Update::Push(PushUpdate::Down(e.as_str().into()))).await {
                        return;
                    }
                }
                tokio::time::sleep(backoff).await;
                if ctx.tx.is_closed() {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Ok when the app is gone; Err when the watch must start again.
async fn watch_once(
    js: &async_nats::jetstream::Context,
    ctx: &Ctx,
    ready: &mut bool,
    malformed: &mut u64,
) -> Result<(), String> {
    use async_nats::jetstream::kv::Operation;
    use futures_util::StreamExt;
    let kv = tokio::time::timeout(Duration::from_secs(8), bucket(js))
        .await
        .map_err(|_| "the bucket did not answer".to_string())??;
    let status = kv.status().await.map_err(|e| format!("bucket status: {e}"))?;
    // The start's read is done once the watch has delivered as many of the
    // values there were as the bucket held (servers do not all deliver them
    // in sequence order, nor count `pending` right for them).
    let last_seq = status.info.state.last_sequence;
    let at_start = status.values();
    let mut seen_old = 0u64;
    if at_start == 0 && !*ready {
        *ready = true;
        if !ctx.send(Update::Push(PushUpdate::Ready)).await {
            return Ok(());
        }
    }
    let mut w = kv.watch_with_history(">").await.map_err(|e| format!("watch: {e}"))?;
    // Updates are held for up to FLUSH_EVERY, one per key (the newest), and
    // sent as one burst: thousands of hosts pushing make a few redraws a
    // second, not one per host.
    let mut batch = Batch::default();
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let e = tokio::select! {
            e = w.next() => e,
            _ = flush.tick() => {
                if !batch.send(ctx).await {
                    return Ok(());
                }
                continue;
            }
        };
        let Some(e) = e else { break };
        let e = e.map_err(|e| format!("watch: {e}"))?;
        if e.revision <= last_seq {
            seen_old += 1;
        }
        let caught_up = seen_old >= at_start;
        if e.operation == Operation::Put {
            let key: String = e.key.chars().take(200).collect();
            match decode(&e.value) {
                Ok((snap, at)) => batch.put(PushUpdate::Host {
                    key,
                    snap: Box::new(snap),
                    at,
                }),
                Err(why) => {
                    *malformed += 1;
                    let key = sanitize(&key);
                    if *malformed <= LOG_FIRST {
                        tracing::warn!(key = %key, count = *malformed, "push mode: malformed value in {BUCKET}: {}", sanitize(&why));
                    }
                    batch.put(PushUpdate::Malformed { key });
                }
            }
            if batch.full() && !batch.send(ctx).await {
                return Ok(());
            }
        }
        if caught_up && !*ready {
            *ready = true;
            if !batch.send(ctx).await || !ctx.send(Update::Push(PushUpdate::Ready)).await {
                return Ok(());
            }
        }
    }
    if !batch.send(ctx).await {
        return Ok(());
    }
    Err("the watch ended".into())
}

/// How long watched updates are held to be sent as one burst.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Held updates sent at once when there are this many.
const BATCH_MAX: usize = 4096;

/// Updates waiting to be sent: the newest per host, malformed ones in turn.
#[derive(Default)]
struct Batch {
    updates: Vec<PushUpdate>,
    by_key: std::collections::HashMap<String, usize>,
}

impl Batch {
    fn put(&mut self, u: PushUpdate) {
        if let PushUpdate::Host { key, .. } = &u {
            if let Some(&i) = self.by_key.get(key) {
                self.updates[i] = u;
                return;
            }
            self.by_key.insert(key.clone(), self.updates.len());
        }
        self.updates.push(u);
    }

    fn full(&self) -> bool {
        self.updates.len() >= BATCH_MAX
    }

    /// False once the app is gone.
    async fn send(&mut self, ctx: &Ctx) -> bool {
        self.by_key.clear();
        for u in self.updates.drain(..) {
            if !ctx.send(Update::Push(u)).await {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of a pushed host JSON is sanitised on arrival, the
    /// ones the model reads later (GPU and process names, mounts, errors,
    /// sessions) as much as the name.
    #[test]
    fn every_string_of_a_pushed_host_is_sanitised() {
        let evil = r"x\u001b]0;owned\u0007\u001b[2J\ny";
        let json = format!(
            r#"{{"name":"{evil}","last_seen":"2026-01-01T00:00:00Z","error":"{evil}","sessions":{{"{evil}":1}},
            "disks":[{{"mount":"{evil}","used_bytes":1,"total_bytes":2}}],
            "top":[{{"pid":1,"name":"{evil}","cpu_pct":1.0,"mem_bytes":1}}],
            "gpus":[{{"index":0,"name":"{evil}","processes":[{{"pid":2,"name":"{evil}"}}]}}]}}"#
        );
        let (snap, _) = decode(json.as_bytes()).unwrap();
        let all = serde_json::to_value(&snap).unwrap().to_string();
        assert!(
            !all.contains("\\u001b") && !all.contains("\\u0007") && !all.contains("\\n"),
            "{all}"
        );
        assert_eq!(snap.gpus[0].name, "x y");
        assert_eq!(snap.gpus[0].processes[0].name, "x y");
        assert_eq!((snap.name.as_str(), snap.disks[0].mount.as_str()), ("x y", "x y"));
        assert_eq!(snap.error.as_deref(), Some("x y"));
        assert_eq!(snap.top[0].name, "x y");
        assert_eq!(snap.sessions.keys().collect::<Vec<_>>(), ["x y"]);
    }

    #[test]
    fn keys_hold_only_what_a_subject_token_may() {
        assert_eq!(push_key("gpu-box"), "gpu-box");
        assert_eq!(push_key("a.b c*>/é"), "a_b_c____");
        assert_eq!(push_key(""), "_");
        assert_eq!(push_key(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn decode_takes_a_host_json_and_refuses_the_rest() {
        let (s, at) =
            decode(br#"{"name":"a","last_seen":"2026-01-01T00:00:00Z","cpu_pct":12.5,"mem_total_bytes":8}"#).unwrap();
        assert_eq!(s.name, "a");
        assert_eq!(s.cpu_pct, Some(12.5));
        assert_eq!(at, 1_767_225_600_000);
        assert!(decode(b"not json {").is_err());
        assert!(decode(br#"{"name":"a"}"#).is_err());
        assert!(decode(br#"{"name":"a","last_seen":"yesterday"}"#).is_err());
        assert!(decode(br#"{"name":"a","last_seen":"2026-01-01T00:00:00Z","cpu_pct":"lots"}"#).is_err());
        assert!(decode(&vec![b' '; MAX_VALUE + 1]).is_err());
    }
}
