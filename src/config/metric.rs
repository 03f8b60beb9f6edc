//! `[[services.metric]]`: any number (or string, or boolean) with
//! thresholds, read from a Prometheus page or JSON over HTTP, or from a file
//! here or on a host; and its checks (file:line:column).

use super::duration::Dur;
use crate::metric::{JsonPath, Pick, Rules, Selector, Value};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::ops::Range;
use toml::Spanned;

/// What `equals` compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Equals {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Equals {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Equals;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`equals` as a string, a number or a boolean")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Equals, E> {
                Ok(Equals::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Equals, E> {
                Ok(Equals::Number(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Equals, E> {
                Ok(Equals::Number(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Equals, E> {
                Ok(Equals::Number(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Equals, E> {
                Ok(Equals::Text(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricService {
    pub name: Spanned<String>,
    /// An http(s) URL; or `path` (with `host`, on that host).
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    /// A selector `name{label="v",other!="x"}`; or `json`, a path.
    #[serde(default)]
    pub prometheus: Option<Spanned<String>>,
    #[serde(default)]
    pub json: Option<Spanned<String>>,
    /// "sum": several matching series are added up (else they are an error).
    #[serde(default)]
    pub aggregate: Option<Spanned<String>>,
    #[serde(default)]
    pub warn_above: Option<Spanned<f64>>,
    #[serde(default)]
    pub warn_below: Option<Spanned<f64>>,
    #[serde(default)]
    pub critical_above: Option<Spanned<f64>>,
    #[serde(default)]
    pub critical_below: Option<Spanned<f64>>,
    #[serde(default)]
    pub equals: Option<Spanned<Equals>>,
    #[serde(default)]
    pub frozen_after: Option<Spanned<Dur>>,
    #[serde(default)]
    pub frozen_above: Option<Spanned<f64>>,
    /// How long a critical threshold must hold (default: two polls).
    #[serde(default)]
    pub sustain: Option<Dur>,
    /// A counter, shown per second between polls (reset-safe).
    #[serde(default)]
    pub rate: bool,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub interval: Option<Spanned<Dur>>,
    #[serde(default)]
    pub timeout: Option<Spanned<Dur>>,
}

impl MetricService {
    /// The row's key.
    pub fn key(&self) -> String {
        format!("metric:{}", self.name.get_ref())
    }

    /// What to pick out of a body (validated at load, so an error here is
    /// only for configs built in code).
    pub fn pick(&self) -> Result<Pick, String> {
        match (&self.prometheus, &self.json) {
            (Some(p), None) => Ok(Pick::Prometheus {
                selector: Selector::parse(p.get_ref())?,
                sum: self.aggregate.as_ref().is_some_and(|a| a.get_ref() == "sum"),
            }),
            (None, Some(j)) => Ok(Pick::Json(JsonPath::parse(j.get_ref())?)),
            _ => Err("exactly one of `prometheus` or `json`".into()),
        }
    }

    pub fn rules(&self) -> Rules {
        let n = |v: &Option<Spanned<f64>>| v.as_ref().map(|s| *s.get_ref());
        Rules {
            warn_above: n(&self.warn_above),
            warn_below: n(&self.warn_below),
            critical_above: n(&self.critical_above),
            critical_below: n(&self.critical_below),
            equals: self.equals.as_ref().map(|e| match e.get_ref() {
                Equals::Bool(b) => Value::Bool(*b),
                Equals::Number(x) => Value::Number(*x),
                Equals::Text(s) => Value::Text(s.clone()),
            }),
            frozen_after_ms: self.frozen_after.as_ref().map(|d| d.get_ref().as_millis()),
            frozen_above: n(&self.frozen_above),
        }
    }
}

type Problem = (Range<usize>, String);

/// Every `[[services.metric]]`: one source, one pick, rules that make sense.
pub(super) fn validate(list: &[MetricService], host_names: &BTreeSet<String>, out: &mut Vec<Problem>) {
    for m in list {
        let at = m.name.span();
        if m.name.get_ref().trim().is_empty() {
            out.push((at.clone(), "a metric's name is empty".into()));
        }
        source(m, host_names, out);
        if let Err(e) = m.pick() {
            let span = (m.prometheus.as_ref().or(m.json.as_ref())).map_or(at.clone(), |s| s.span());
            out.push((span, e));
        }
        if let Some(a) = &m.aggregate
            && (a.get_ref() != "sum" || m.prometheus.is_none())
        {
            out.push((
                a.span(),
                "aggregate = \"sum\" is the one aggregate, for `prometheus`".into(),
            ));
        }
        rules(m, out);
        for d in [&m.interval, &m.timeout].into_iter().flatten() {
            if d.get_ref().0.is_zero() {
                out.push((d.span(), "must be more than 0s".into()));
            }
        }
    }
}

/// Exactly one of `url` and `path`; `host` only with `path`.
fn source(m: &MetricService, host_names: &BTreeSet<String>, out: &mut Vec<Problem>) {
    match (&m.url, &m.path) {
        (Some(u), None) => {
            let s = u.get_ref();
            if !(s.starts_with("http://") || s.starts_with("https://")) {
                out.push((u.span(), format!("{s:?} is not an http:// or https:// URL")));
            }
            if let Some(h) = &m.host {
                out.push((h.span(), "`host` goes with `path` (a URL is fetched from here)".into()));
            }
        }
        (None, Some(p)) if p.get_ref().trim().is_empty() => out.push((p.span(), "the path is empty".into())),
        (None, Some(_)) => {
            if let Some(h) = &m.host
                && !host_names.contains(h.get_ref())
            {
                out.push((h.span(), format!("no [[hosts]] named {:?}", h.get_ref())));
            }
        }
        (Some(u), Some(_)) => out.push((u.span(), "a metric has a `url` or a `path`, not both".into())),
        (None, None) => out.push((m.name.span(), "a metric needs a `url` or a `path`".into())),
    }
}

/// Thresholds in order, `equals` alone, `frozen_above` with `frozen_after`.
fn rules(m: &MetricService, out: &mut Vec<Problem>) {
    let v = |s: &Option<Spanned<f64>>| s.as_ref().map(|x| (*x.get_ref(), x.span()));
    if let (Some((w, span)), Some((c, _))) = (v(&m.warn_above), v(&m.critical_above))
        && w > c
    {
        out.push((span, format!("warn_above {w} is above critical_above {c}")));
    }
    if let (Some((w, span)), Some((c, _))) = (v(&m.warn_below), v(&m.critical_below))
        && w < c
    {
        out.push((span, format!("warn_below {w} is below critical_below {c}")));
    }
    for t in [
        &m.warn_above,
        &m.warn_below,
        &m.critical_above,
        &m.critical_below,
        &m.frozen_above,
    ]
    .into_iter()
    .flatten()
    {
        if !t.get_ref().is_finite() {
            out.push((t.span(), "a threshold is a finite number".into()));
        }
    }
    let thresholds = [&m.warn_above, &m.warn_below, &m.critical_above, &m.critical_below];
    if let Some(e) = &m.equals {
        if thresholds.iter().any(|t| t.is_some()) || m.frozen_after.is_some() {
            out.push((
                e.span(),
                "`equals` is a rule of its own: no thresholds or frozen_after with it".into(),
            ));
        }
        if m.rate {
            out.push((e.span(), "`equals` compares a value, not a rate".into()));
        }
    }
    if let Some(f) = &m.frozen_above
        && m.frozen_after.is_none()
    {
        out.push((f.span(), "frozen_above needs frozen_after".into()));
    }
    if let Some(f) = &m.frozen_after
        && f.get_ref().0.is_zero()
    {
        out.push((f.span(), "frozen_after must be more than 0s".into()));
    }
}

#[cfg(test)]
mod tests;
