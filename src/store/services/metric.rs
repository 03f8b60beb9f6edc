//! Metric rows: each reading judged by its rules against its own history
//! (frozen: unchanged since when), the rule that fired on the row, and the
//! problem it is — `critical` only once a critical threshold has held for
//! `sustain` over at least `rounds` readings in a row (docs/events.md, "When a
//! problem becomes critical").

use super::{Health, Kind, Row, Service};
use crate::config::Services;
use crate::metric::{Value, Verdict, number};
use crate::model::{Level, Millis};
use crate::parse::sanitize::sanitize;
use crate::store::{Observation, Tab};
use crate::update::metric::{HISTORY, MetricInfo, place};

/// The configured metric rows, waiting for their first reading.
pub(super) fn configured(sv: &Services, add: &mut impl FnMut(String, Kind, String, String, Option<String>, bool)) {
    for m in &sv.metric {
        add(
            m.key(),
            Kind::Metric,
            m.name.get_ref().clone(),
            place(m),
            m.group.clone(),
            false,
        );
    }
}

/// A value and its unit as the row shows them: "946 items".
pub(crate) fn shown(v: &Value, unit: &str) -> String {
    match (v, unit.is_empty()) {
        (Value::Number(n), false) => format!("{} {unit}", number(*n)),
        _ => v.to_string(),
    }
}

/// A metric row's new reading judged against the last one's state (the
/// history, since when it has not changed, the critical streak); other
/// rows pass unchanged.
pub(super) fn judged(prev: Option<&Service>, mut row: Row, now: Millis) -> Row {
    if row.kind != Kind::Metric {
        return row;
    }
    let Some(mut m) = row.metric.take() else {
        return row;
    };
    if let Some(old) = prev.and_then(|s| s.row.metric.as_deref()) {
        m.history = old.history.clone();
        m.changed_at = old.changed_at;
        m.critical_polls = old.critical_polls;
        m.critical_since = old.critical_since;
    }
    match m.value.take() {
        Some(v) => {
            let v = match v {
                Value::Text(t) => Value::Text(sanitize(&t)),
                other => other,
            };
            read(&mut m, v, now);
            let value = m.value.as_ref().map(|v| shown(v, &m.unit)).unwrap_or_default();
            row.health = match m.verdict {
                Verdict::Ok => Health::Ok,
                Verdict::Warn => Health::Warn,
                Verdict::Error | Verdict::Critical => Health::Error,
            };
            row.detail = if m.rule.is_empty() {
                value
            } else {
                format!("{value}, {}", m.rule)
            };
        }
        None => {
            // No reading breaks a streak; the row's detail says why.
            (m.verdict, m.rule) = (Verdict::Ok, String::new());
            (m.critical_polls, m.critical_since) = (0, None);
        }
    }
    row.metric = Some(m);
    row
}

/// One reading into the history and through the rules.
fn read(m: &mut MetricInfo, v: Value, now: Millis) {
    let same = m.history.back().is_some_and(|(_, last)| *last == v);
    if !same || m.changed_at.is_none() {
        m.changed_at = Some(now);
    }
    if m.history.len() >= HISTORY {
        m.history.pop_front();
    }
    m.history.push_back((now, v.clone()));
    let unchanged = now.saturating_sub(m.changed_at.unwrap_or(now)).max(0);
    (m.verdict, m.rule) = m.rules.judge(&v, unchanged);
    if m.verdict == Verdict::Critical {
        m.critical_polls = m.critical_polls.saturating_add(1);
        m.critical_since.get_or_insert(now);
    } else {
        (m.critical_polls, m.critical_since) = (0, None);
    }
    m.value = Some(v);
}

/// Whether a critical reading has held long enough to be critical: for
/// `sustain` and over `rounds` readings (one round, as `check` sees, is
/// all there is).
pub(crate) fn sustained(m: &MetricInfo, now: Millis, rounds: usize) -> bool {
    let Some(since) = m.critical_since.filter(|_| m.verdict == Verdict::Critical) else {
        return false;
    };
    rounds <= 1 || (m.critical_polls as usize >= rounds && now.saturating_sub(since) >= m.sustain_ms)
}

/// The problem a metric row shows at `now`, if any.
pub(super) fn observation(s: &Service, now: Millis, rounds: usize) -> Option<Observation> {
    let r = &s.row;
    let level = match r.health {
        Health::Warn => Level::Warn,
        Health::Error if r.metric.as_deref().is_some_and(|m| sustained(m, now, rounds)) => Level::Critical,
        Health::Error => Level::Error,
        Health::Ok | Health::Unknown => return None,
    };
    Some(Observation {
        key: format!("svc:{}", r.key),
        tab: Tab::Services,
        kind: r.kind.as_str().into(),
        source: r.name.clone(),
        title: format!("{}: {}", r.name, r.detail),
        level,
        escalate: None,
        recovered: format!("{} is ok again", r.name),
    })
}

/// The wall clock stepped by `d`: the reading times move with it.
pub(super) fn shift_clock(row: &mut Row, d: Millis) {
    if let Some(m) = &mut row.metric {
        m.history.iter_mut().for_each(|(at, _)| *at = at.saturating_add(d));
        m.changed_at = m.changed_at.map(|t| t.saturating_add(d));
        m.critical_since = m.critical_since.map(|t| t.saturating_add(d));
    }
}

#[cfg(test)]
mod tests;
