//! The metric language of `[[services.metric]]`, pure and shared by the
//! config (which checks it at load) and the parser that applies it to a
//! fetched body (`parse::metric`): a value, a Prometheus selector, a JSON
//! path, a counter's rate, and the rules that judge a value.

use serde_json::Value as Json;
/// What a metric reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Number(n) => f.write_str(&number(*n)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

impl Value {
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// A number as people write it: no trailing zeros, at most 3 decimals.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    if !n.is_finite() || n.abs() >= 1e15 {
        return format!("{n:e}");
    }
    let s = format!("{n:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// `name{label="value",other!="x"}`: a metric name and label matchers.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub(crate) name: String,
    /// (label, equal (else not equal), value)
    pub(crate) matchers: Vec<(String, bool, String)>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let t = text.trim();
        let (name, rest) = match t.find('{') {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        let name_ok = !name.is_empty()
            && name
                .chars()
                .enumerate()
                .all(|(i, c)| c == '_' || c == ':' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if !name_ok {
            return Err(format!("{name:?} is not a metric name"));
        }
        let mut matchers = Vec::new();
        if let Some(rest) = rest {
            let body = rest.strip_suffix('}').ok_or("a label list ends with }")?;
            let mut s = body.trim();
            while !s.is_empty() {
                let op_at = s.find(['=', '!']).ok_or_else(|| format!("{s:?}: label=\"value\""))?;
                let label = s[..op_at].trim();
                let op = &s[op_at..];
                if op.starts_with("=~") || op.starts_with("!~") {
                    return Err("regular-expression matchers (=~, !~) are not supported; use = or !=".into());
                }
                let (equal, after) = match op.strip_prefix("!=") {
                    Some(a) => (false, a),
                    None if op.starts_with('=') => (true, &op[1..]),
                    None => return Err(format!("{s:?}: label=\"value\" or label!=\"value\"")),
                };
                if label.is_empty() {
                    return Err("a label name before =".into());
                }
                let (value, tail) =
                    quoted(after.trim_start()).ok_or_else(|| format!("label {label}: a value in double quotes"))?;
                matchers.push((label.to_string(), equal, value));
                s = tail.trim_start();
                s = s.strip_prefix(',').unwrap_or(s).trim_start();
            }
        }
        Ok(Selector {
            name: name.to_string(),
            matchers,
        })
    }

    /// Whether a series (its name and labels) is selected.
    pub fn matches(&self, name: &str, labels: &[(String, String)]) -> bool {
        name == self.name
            && self.matchers.iter().all(|(label, equal, want)| {
                let have = labels.iter().find(|(l, _)| l == label).map_or("", |(_, v)| v.as_str());
                (have == want) == *equal
            })
    }

    /// The one value selected from the values of the matching series;
    /// several are summed only when `sum`.
    pub fn select(&self, hits: impl IntoIterator<Item = f64>, sum: bool) -> Result<f64, String> {
        let mut hits = hits.into_iter();
        let Some(first) = hits.next() else {
            return Err(format!("no series {}", self.name));
        };
        let rest: Vec<f64> = hits.collect();
        if rest.is_empty() {
            Ok(first)
        } else if sum {
            Ok(first + rest.iter().sum::<f64>())
        } else {
            Err(format!(
                "{} series match {}: name more labels, or aggregate = \"sum\"",
                rest.len() + 1,
                self.name
            ))
        }
    }
}

/// A double-quoted string with `\\`, `\"`, `\n` escapes, and what follows.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut chars = body.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                e => out.push(e),
            },
            c => out.push(c),
        }
    }
    None
}

/// A path into a JSON document: `queue.depth`, `nodes[0].healthy`,
/// `["key.with.dots"].x`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(Vec<Step>);

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut steps = Vec::new();
        let mut s = text.trim();
        let bad = || format!("{text:?}: a path like queue.depth or nodes[0].healthy");
        while !s.is_empty() {
            if let Some(r) = s.strip_prefix('[') {
                if r.starts_with('"') {
                    let (key, tail) = quoted(r).ok_or_else(bad)?;
                    s = tail.strip_prefix(']').ok_or_else(bad)?;
                    steps.push(Step::Key(key));
                } else {
                    let end = r.find(']').ok_or_else(bad)?;
                    steps.push(Step::Index(r[..end].trim().parse().map_err(|_| bad())?));
                    s = &r[end + 1..];
                }
            } else {
                let end = s.find(['.', '[']).unwrap_or(s.len());
                if end == 0 {
                    return Err(bad());
                }
                steps.push(Step::Key(s[..end].to_string()));
                s = &s[end..];
            }
            if let Some(r) = s.strip_prefix('.') {
                if r.is_empty() || r.starts_with(['.', '[']) {
                    return Err(bad());
                }
                s = r;
            } else if !s.is_empty() && !s.starts_with('[') {
                return Err(bad());
            }
        }
        if steps.is_empty() {
            return Err(bad());
        }
        Ok(JsonPath(steps))
    }

    /// The node at the path, or which step is missing.
    pub fn get<'a>(&self, doc: &'a Json) -> Result<&'a Json, String> {
        let mut v = doc;
        for (i, step) in self.0.iter().enumerate() {
            let next = match step {
                Step::Key(k) => v.get(k.as_str()),
                Step::Index(n) => v.get(*n),
            };
            v = next.ok_or_else(|| format!("no {}", self.shown(i + 1)))?;
        }
        Ok(v)
    }

    /// The whole path as written.
    pub fn text(&self) -> String {
        self.shown(self.0.len())
    }

    /// The path's first `upto` steps as written.
    fn shown(&self, upto: usize) -> String {
        let mut s = String::new();
        for step in &self.0[..upto] {
            match step {
                Step::Key(k) if s.is_empty() => s.push_str(k),
                Step::Key(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Step::Index(n) => s.push_str(&format!("[{n}]")),
            }
        }
        s
    }
}

/// Where in a body the value is: a Prometheus series (summed over several
/// when `sum`) or a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    Prometheus { selector: Selector, sum: bool },
    Json(JsonPath),
}

/// A counter as a rate per second between two polls; a counter that went
/// down was reset (a restart): the new value counts from zero.
pub fn rate(prev: f64, prev_at_ms: i64, cur: f64, at_ms: i64) -> Option<f64> {
    let dt = at_ms.saturating_sub(prev_at_ms) as f64 / 1000.0;
    if dt <= 0.0 || !prev.is_finite() || !cur.is_finite() {
        return None;
    }
    let delta = if cur >= prev { cur - prev } else { cur.max(0.0) };
    Some(delta / dt).filter(|r| r.is_finite())
}

/// Thresholds and the other rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub warn_above: Option<f64>,
    pub warn_below: Option<f64>,
    pub critical_above: Option<f64>,
    pub critical_below: Option<f64>,
    pub equals: Option<Value>,
    pub frozen_after_ms: Option<i64>,
    pub frozen_above: Option<f64>,
}

/// How bad a reading is by the rules (the store sustains `Critical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verdict {
    #[default]
    Ok,
    Warn,
    /// A failed equality, a frozen value, a value of the wrong type.
    Error,
    /// Past a critical threshold (critical once it has held for `sustain`).
    Critical,
}

impl Rules {
    /// The verdict on `value`, with the rule that fired in words ("above
    /// 500 (warn)", "frozen 34m at 946"); empty when none fired.
    /// `unchanged_ms`: how long the value has not changed.
    pub fn judge(&self, value: &Value, unchanged_ms: i64) -> (Verdict, String) {
        if let Some(want) = &self.equals {
            if !same(value, want) {
                return (Verdict::Error, format!("expected {want}"));
            }
            return (Verdict::Ok, String::new());
        }
        let Value::Number(n) = value else {
            return (Verdict::Error, "not a number".into());
        };
        let n = *n;
        let checks = [
            (
                self.critical_above.filter(|t| n > *t),
                Verdict::Critical,
                "above",
                "critical",
            ),
            (
                self.critical_below.filter(|t| n < *t),
                Verdict::Critical,
                "below",
                "critical",
            ),
            (self.warn_above.filter(|t| n > *t), Verdict::Warn, "above", "warn"),
            (self.warn_below.filter(|t| n < *t), Verdict::Warn, "below", "warn"),
        ];
        let mut worst = (Verdict::Ok, String::new());
        for (hit, verdict, words, level) in checks {
            if let Some(t) = hit
                && verdict > worst.0
            {
                worst = (verdict, format!("{words} {} ({level})", number(t)));
            }
        }
        if let Some(after) = self.frozen_after_ms {
            let moving = match self.frozen_above {
                Some(floor) => n > floor,
                None => n != 0.0,
            };
            if moving && unchanged_ms >= after && Verdict::Error > worst.0 {
                worst = (
                    Verdict::Error,
                    format!("frozen {} at {}", crate::fmt::ago(unchanged_ms), number(n)),
                );
            }
        }
        worst
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Text(x), Value::Text(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
