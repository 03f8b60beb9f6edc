//! The NATS server's monitoring JSON: `/varz`, `/connz`, `/jsz` and
//! `/healthz`. Field names are the server's own (nats-server
//! `server/monitor.go` and `server/jetstream.go`): `subscriptions`, not
//! `num_subscriptions`; `storage`, not `store`; limits under
//! `config.max_memory` / `config.max_storage`.
//!
//! Every field is optional on the wire (older and newer servers differ), so
//! every field has a default; every string is sanitised here, once, so the
//! rest of fleettop never sees a control character from a server.

use super::sanitize::sanitize;
use serde::{Deserialize, Serialize};

/// Why a body is not the JSON we asked for, in the words a row has room for.
pub(crate) fn body_error(body: &[u8], e: &serde_json::Error) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(64)])
        .trim_start()
        .to_lowercase();
    if head.starts_with("<!doctype") || head.starts_with("<html") || head.starts_with('<') {
        "not JSON: HTML page".into()
    } else if body.is_empty() {
        "empty body".into()
    } else if e.is_eof() {
        format!("truncated JSON ({} bytes)", body.len())
    } else {
        sanitize(&format!("bad JSON: {e}"))
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| body_error(body, &e))
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct JsLimits {
    pub max_memory: i64,
    pub max_storage: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct JsApi {
    pub total: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct JsStats {
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub accounts: u64,
    pub api: JsApi,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VarzJetStream {
    pub config: Option<JsLimits>,
    pub stats: Option<JsStats>,
}

/// `/varz`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Varz {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub uptime: String,
    pub start: String,
    pub now: String,
    pub mem: i64,
    pub cores: u32,
    pub cpu: f64,
    pub connections: u64,
    pub total_connections: u64,
    pub subscriptions: u64,
    pub slow_consumers: u64,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub max_connections: u64,
    pub jetstream: VarzJetStream,
}

impl Varz {
    pub fn uptime_s(&self) -> Option<u64> {
        go_duration_secs(&self.uptime)
    }
}

/// One client connection of `/connz`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Conn {
    pub cid: u64,
    pub kind: String,
    pub ip: String,
    pub port: u16,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub uptime: String,
    pub idle: String,
    pub rtt: String,
    pub pending_bytes: i64,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub subscriptions: u64,
    pub account: String,
}

/// `/connz`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Connz {
    pub num_connections: u64,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub connections: Vec<Conn>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct SeqInfo {
    pub consumer_seq: u64,
    pub stream_seq: u64,
    pub last_active: Option<String>,
}

/// The part of a consumer's configuration the drill-down shows
/// (`/jsz?config=true`). Durations are nanoseconds, as the server sends them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ConsumerConfig {
    pub durable_name: Option<String>,
    pub description: Option<String>,
    pub deliver_policy: String,
    pub ack_policy: String,
    pub ack_wait: i64,
    pub max_deliver: i64,
    pub filter_subject: Option<String>,
    pub max_ack_pending: i64,
    pub deliver_subject: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ConsumerInfo {
    pub stream_name: String,
    pub name: String,
    pub created: String,
    pub config: Option<ConsumerConfig>,
    pub delivered: SeqInfo,
    pub ack_floor: SeqInfo,
    pub num_ack_pending: u64,
    pub num_redelivered: u64,
    pub num_waiting: u64,
    pub num_pending: u64,
    pub push_bound: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct StreamState {
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts: String,
    pub last_seq: u64,
    pub last_ts: String,
    pub consumer_count: u64,
    pub num_subjects: u64,
}

/// The part of a stream's configuration the drill-down shows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct StreamConfig {
    pub subjects: Vec<String>,
    pub retention: String,
    pub storage: String,
    pub num_replicas: i64,
    pub max_msgs: i64,
    pub max_bytes: i64,
    pub max_age: i64,
    pub discard: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct StreamDetail {
    pub name: String,
    pub created: String,
    pub config: Option<StreamConfig>,
    pub state: StreamState,
    pub consumer_detail: Vec<ConsumerInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccountDetail {
    pub name: String,
    pub id: String,
    pub stream_detail: Vec<StreamDetail>,
}

/// `/jsz?accounts=true&streams=true&consumers=true`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Jsz {
    pub disabled: bool,
    pub config: Option<JsLimits>,
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub accounts: u64,
    pub api: JsApi,
    pub streams: u64,
    pub consumers: u64,
    pub messages: u64,
    pub bytes: u64,
    pub account_details: Vec<AccountDetail>,
}

/// `/healthz`: `{"status":"ok"}` or `{"status":"unavailable","error":"…"}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Healthz {
    pub status: String,
    pub error: String,
}

fn clean(s: &mut String) {
    if s.chars()
        .any(|c| c.is_control() || c == '\u{1b}' || ('\u{200e}'..='\u{2069}').contains(&c))
    {
        *s = sanitize(s);
    }
}

pub fn varz(body: &[u8]) -> Result<Varz, String> {
    let mut v: Varz = parse(body)?;
    for s in [
        &mut v.server_id,
        &mut v.server_name,
        &mut v.version,
        &mut v.uptime,
        &mut v.start,
        &mut v.now,
    ] {
        clean(s);
    }
    if !v.cpu.is_finite() {
        v.cpu = 0.0;
    }
    Ok(v)
}

pub fn connz(body: &[u8]) -> Result<Connz, String> {
    let mut c: Connz = parse(body)?;
    for x in &mut c.connections {
        for s in [
            &mut x.kind,
            &mut x.ip,
            &mut x.name,
            &mut x.lang,
            &mut x.version,
            &mut x.uptime,
            &mut x.idle,
            &mut x.rtt,
            &mut x.account,
        ] {
            clean(s);
        }
    }
    Ok(c)
}

pub fn jsz(body: &[u8]) -> Result<Jsz, String> {
    let mut j: Jsz = parse(body)?;
    for a in &mut j.account_details {
        clean(&mut a.name);
        clean(&mut a.id);
        for st in &mut a.stream_detail {
            for s in [
                &mut st.name,
                &mut st.created,
                &mut st.state.first_ts,
                &mut st.state.last_ts,
            ] {
                clean(s);
            }
            if let Some(c) = &mut st.config {
                for s in c
                    .subjects
                    .iter_mut()
                    .chain([&mut c.retention, &mut c.storage, &mut c.discard])
                {
                    clean(s);
                }
            }
            for c in &mut st.consumer_detail {
                for s in [&mut c.stream_name, &mut c.name, &mut c.created] {
                    clean(s);
                }
                if let Some(k) = &mut c.config {
                    for s in [&mut k.deliver_policy, &mut k.ack_policy] {
                        clean(s);
                    }
                    for s in [&mut k.durable_name, &mut k.filter_subject, &mut k.deliver_subject]
                        .into_iter()
                        .flatten()
                    {
                        clean(s);
                    }
                }
                for s in [&mut c.delivered.last_active, &mut c.ack_floor.last_active]
                    .into_iter()
                    .flatten()
                {
                    clean(s);
                }
            }
        }
    }
    Ok(j)
}

pub fn healthz(body: &[u8]) -> Result<Healthz, String> {
    let mut h: Healthz = parse(body)?;
    clean(&mut h.status);
    clean(&mut h.error);
    Ok(h)
}

/// Go's `time.Duration`-like strings the server prints for uptime and idle:
/// "1d2h3m4s", "5m0s", "1.5s", "250ms" → whole seconds.
pub(crate) fn go_duration_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0.0_f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() || n == 'µ' {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        let mult = match unit.as_str() {
            "y" => 365.0 * 86_400.0,
            "d" => 86_400.0,
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += v * mult;
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(total as u64)
}

/// An RFC 3339 time from the server → milliseconds since the epoch.
pub fn time_millis(s: &str) -> Option<i64> {
    if s.is_empty() || s.starts_with("0001-01-01") {
        return None;
    }
    let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z').split('+').next()?).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/nats/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn real_varz_of_nats_server_2_9() {
        let v = varz(&fixture("varz-empty.json")).unwrap();
        assert_eq!(v.version, "2.9.10");
        assert_eq!(v.subscriptions, 47);
        let js = v.jetstream.config.clone().unwrap();
        assert_eq!(js.max_memory, 18_957_047_808);
        assert_eq!(js.max_storage, 58_796_325_888);
        assert_eq!(v.uptime_s(), Some(1));
    }

    #[test]
    fn real_empty_jsz_connz_healthz() {
        let j = jsz(&fixture("jsz-empty.json")).unwrap();
        assert_eq!(j.account_details[0].name, "$G");
        assert_eq!(j.config.unwrap().max_storage, 58_796_325_888);
        assert_eq!(connz(&fixture("connz-empty.json")).unwrap().connections.len(), 0);
        assert_eq!(healthz(&fixture("healthz-empty.json")).unwrap().status, "ok");
    }

    #[test]
    fn real_jsz_with_streams_consumers_and_config() {
        let j = jsz(&fixture("jsz-streams.json")).unwrap();
        assert_eq!((j.streams, j.consumers, j.messages), (2, 2, 10));
        let orders = j.account_details[0]
            .stream_detail
            .iter()
            .find(|s| s.name == "ORDERS")
            .unwrap();
        assert_eq!(
            (orders.state.messages, orders.state.first_seq, orders.state.last_seq),
            (10, 1, 10)
        );
        assert_eq!(orders.config.as_ref().unwrap().subjects, ["orders.>"]);
        let w = orders.consumer_detail.iter().find(|c| c.name == "worker").unwrap();
        assert_eq!((w.num_pending, w.num_ack_pending, w.num_redelivered), (6, 3, 0));
        assert_eq!((w.delivered.stream_seq, w.ack_floor.stream_seq), (4, 1));
        assert!(time_millis(w.delivered.last_active.as_deref().unwrap()).is_some());
        assert_eq!(w.config.as_ref().unwrap().ack_policy, "explicit");
        let c = connz(&fixture("connz-streams.json")).unwrap();
        let names: Vec<&str> = c.connections.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["orders-service", "odd-worker"], "the escape sequence is gone");
        assert_eq!(varz(&fixture("varz-streams.json")).unwrap().connections, 2);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_secs("1d2h3m4s"), Some(93_784));
        assert_eq!(go_duration_secs("5m0s"), Some(300));
        assert_eq!(go_duration_secs("1.5s"), Some(1));
        assert_eq!(go_duration_secs("250ms"), Some(0));
        assert_eq!(go_duration_secs("1y2d"), Some(365 * 86_400 + 2 * 86_400));
        assert_eq!(go_duration_secs(""), None);
        assert_eq!(go_duration_secs("12"), None);
        assert_eq!(go_duration_secs("3x"), None);
    }

    #[test]
    fn times() {
        assert_eq!(time_millis("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(time_millis("0001-01-01T00:00:00Z"), None);
        assert_eq!(time_millis("yesterday"), None);
    }

    #[test]
    fn bad_bodies_say_why_and_never_panic() {
        assert_eq!(
            varz(b"<html><body>502</body></html>").unwrap_err(),
            "not JSON: HTML page"
        );
        assert_eq!(varz(b"").unwrap_err(), "empty body");
        let full = fixture("varz-empty.json");
        assert!(varz(&full[..full.len() / 2]).unwrap_err().starts_with("truncated JSON"));
        assert!(varz(b"[1,2]").unwrap_err().starts_with("bad JSON"));
        // Every prefix of every fixture: an error or a value, never a panic.
        for f in ["varz-empty.json", "jsz-empty.json", "connz-empty.json"] {
            let b = fixture(f);
            for i in 0..b.len() {
                let _ = varz(&b[..i]);
                let _ = jsz(&b[..i]);
                let _ = connz(&b[..i]);
            }
        }
    }

    #[test]
    fn names_with_escape_sequences_are_cleaned() {
        let body = br#"{"account_details":[{"name":"$G","stream_detail":[{"name":"EV\u001b[2JIL","consumer_detail":[{"name":"c\u0007x\u202e"}]}]}]}"#;
        let j = jsz(body).unwrap();
        let st = &j.account_details[0].stream_detail[0];
        assert_eq!(st.name, "EVIL");
        assert_eq!(st.consumer_detail[0].name, "cx");
    }
}
