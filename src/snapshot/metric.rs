//! A metric row's part of `services[]`: `value` (a number, string or
//! boolean; null when there is no reading), `unit`, `rule` (the rule that
//! fired, empty when none) and `history` (the last readings, oldest first).

use crate::metric::Value;
use crate::model::rfc3339;
use crate::store::services::Service;
use crate::update::metric::MetricInfo;
use crate::update::services::Kind;
use serde::Serialize;

/// Readings the snapshot carries per metric (the store keeps more).
const HISTORY: usize = 30;

#[derive(Debug, Serialize)]
pub struct MetricSnap {
    pub value: Option<serde_json::Value>,
    pub unit: String,
    pub rule: String,
    pub history: Vec<Reading>,
}

#[derive(Debug, Serialize)]
pub struct Reading {
    pub at: String,
    pub value: serde_json::Value,
}

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Number(n) => serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Text(s) => serde_json::Value::String(s.clone()),
    }
}

impl MetricSnap {
    pub(crate) fn of(s: &Service) -> Option<MetricSnap> {
        if s.row.kind != Kind::Metric {
            return None;
        }
        // A row still waiting for its first reading has none of it yet.
        let none = MetricInfo::default();
        let m = s.row.metric.as_deref().unwrap_or(&none);
        let n = m.history.len();
        Some(MetricSnap {
            value: m.value.as_ref().map(json),
            unit: m.unit.clone(),
            rule: m.rule.clone(),
            history: (m.history.iter().skip(n.saturating_sub(HISTORY)))
                .map(|(at, v)| Reading {
                    at: rfc3339(*at),
                    value: json(v),
                })
                .collect(),
        })
    }
}
