//! A metric check's reading as its source sends it, and what the store keeps
//! of it beside the row (its history, since when it has not changed, the
//! rule that fired, the critical streak).

use crate::config::MetricService;
use crate::metric::{Rules, Value, Verdict};
use crate::model::Millis;
use std::collections::VecDeque;

/// Readings kept per metric, for the strip and the drill-down.
pub const HISTORY: usize = 120;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricInfo {
    /// What the source read; `None` when it read nothing (the row's detail
    /// says why).
    pub value: Option<Value>,
    pub unit: String,
    pub rules: Rules,
    /// How long a critical threshold must hold (0: two polls).
    pub sustain_ms: i64,
    /// Kept by the store: the last readings, oldest first.
    pub history: VecDeque<(Millis, Value)>,
    /// Kept by the store: when the value last changed.
    pub changed_at: Option<Millis>,
    /// Kept by the store: the rule that fired, in words ("above 500 (warn)").
    pub rule: String,
    pub verdict: Verdict,
    /// Kept by the store: the readings in a row past a critical threshold,
    /// and when the first of them came.
    pub critical_polls: u32,
    pub critical_since: Option<Millis>,
}

impl MetricInfo {
    /// A reading of the check `cfg`.
    pub fn reading(cfg: &MetricService, value: Option<Value>) -> MetricInfo {
        MetricInfo {
            value,
            unit: cfg.unit.clone().unwrap_or_default(),
            rules: cfg.rules(),
            sustain_ms: cfg.sustain.map_or(0, |d| d.as_millis()),
            ..MetricInfo::default()
        }
    }
}

/// Where the value is read, as the row's source says it: the URL without
/// secrets, `host:path`, or the path.
pub fn place(m: &MetricService) -> String {
    match (&m.url, &m.path, &m.host) {
        (Some(u), _, _) => crate::parse::redact::redact_url(u.get_ref()),
        (None, Some(p), Some(h)) => format!("{}:{}", h.get_ref(), p.get_ref()),
        (None, Some(p), None) => p.get_ref().clone(),
        (None, None, _) => String::new(),
    }
}
