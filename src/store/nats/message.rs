//! A message on a subscribed subject as a ticker event.

use crate::model::Level;
use crate::store::NewEvent;

/// The ticker event for a message on a subscribed subject, its level read
/// from its content: failures are errors; security and quarantine, warnings.
pub(crate) fn message_event(subject: &str, payload: &[u8]) -> NewEvent {
    let s = crate::parse::sanitize::sanitize;
    let json: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(s)
            .filter(|v| !v.is_empty())
    };
    let kind = field("type").or_else(|| field("event")).or_else(|| field("kind"));
    let kind_l = kind.as_deref().unwrap_or("").to_lowercase();
    let stated = field("level").map(|l| l.to_lowercase());
    let level = if matches!(stated.as_deref(), Some("error" | "critical"))
        || kind_l.contains("fail")
        || kind_l.contains("error")
    {
        Level::Error
    } else if matches!(stated.as_deref(), Some("warn" | "warning"))
        || kind_l.starts_with("security")
        || kind_l.contains("quarantine")
        || kind_l.contains("triage")
    {
        Level::Warn
    } else {
        Level::Info
    };
    let who = field("peer_id")
        .or_else(|| field("agent"))
        .or_else(|| field("daemon"))
        .or_else(|| field("name"))
        .or_else(|| field("source"));
    let what = field("summary").or_else(|| field("title")).or_else(|| field("output"));
    let mut title = String::new();
    for part in [kind.as_deref(), who.as_deref(), what.as_deref()].into_iter().flatten() {
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(part);
    }
    if title.is_empty() {
        title = s(&String::from_utf8_lossy(&payload[..payload.len().min(200)]));
    }
    NewEvent {
        level,
        kind: kind
            .map_or("nats.message", |k| crate::store::events::outside_kind(&k))
            .into(),
        source: s(subject),
        title: crate::fmt::fit(&title, 200, "..."),
        detail: s(&String::from_utf8_lossy(&payload[..payload.len().min(500)])),
    }
}
