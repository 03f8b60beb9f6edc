//! A `[[services.metric]]` value read out of a fetched body: a Prometheus
//! text page (parsed by [`super::prometheus`], bad lines skipped) or a JSON
//! document (serde_json, whose nesting limit refuses deep documents). NaN
//! and infinities are not values; text values are sanitised and cut.

use super::prometheus;
use super::sanitize::sanitize;
use crate::metric::{JsonPath, Pick, Value, number};
use serde_json::Value as Json;

/// A text value is cut to this many characters.
pub(crate) const TEXT_MAX: usize = 120;

/// A text value from outside: sanitised and cut to [`TEXT_MAX`].
pub(crate) fn text(s: &str) -> Value {
    let s = sanitize(s);
    Value::Text(if s.chars().count() > TEXT_MAX {
        s.chars().take(TEXT_MAX).collect::<String>() + "~"
    } else {
        s
    })
}

/// The value `pick` finds in `body`, or why there is none.
pub(crate) fn read(pick: &Pick, body: &[u8]) -> Result<Value, String> {
    match pick {
        Pick::Prometheus { selector, sum } => {
            let page = prometheus::parse(&String::from_utf8_lossy(body));
            let hits = (page.value.iter())
                .filter(|s| selector.matches(&s.name, &s.labels))
                .map(|s| s.value);
            let v = selector
                .select(hits, *sum)
                .map_err(|e| match (page.value.is_empty(), page.first_error) {
                    (true, Some(first)) => format!("not a Prometheus page ({})", sanitize(&first)),
                    _ => sanitize(&e),
                })?;
            if v.is_finite() {
                Ok(Value::Number(v))
            } else {
                Err(format!("{} is {}", selector.name, number(v)))
            }
        }
        Pick::Json(path) => {
            let doc: Json = serde_json::from_slice(body).map_err(|e| {
                let why = if e.to_string().contains("recursion limit") {
                    "nested too deeply".to_string()
                } else {
                    format!("line {} column {}", e.line(), e.column())
                };
                format!("not JSON ({why})")
            })?;
            json_value(path, &doc)
        }
    }
}

/// The value at `path` in `doc`: a number, a string or a boolean.
fn json_value(path: &JsonPath, doc: &Json) -> Result<Value, String> {
    match path.get(doc)? {
        Json::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Value::Number)
            .ok_or_else(|| "not a number".into()),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        Json::String(s) => Ok(text(s)),
        Json::Null => Err(format!("{} is null", path.text())),
        _ => Err(format!("{} is not a number, string or boolean", path.text())),
    }
}

#[cfg(test)]
mod tests;
