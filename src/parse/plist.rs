//! An XML property list (`plutil -convert xml1 -o - FILE`) read into a
//! [`Value`]: dict, array, string, integer, real, true/false, date, data.
//!
//! The file comes from a watched host, so the reader is bounded: at most
//! [`MAX_INPUT`] bytes are read, [`MAX_DEPTH`] levels of nesting,
//! [`MAX_NODES`] values, and a string keeps [`MAX_STRING`] characters
//! (sanitised). A document past a limit, or malformed, is an error with
//! the reason; no input panics. `<data>` keeps only its length.

use super::sanitize::sanitize;
use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

/// More than any launchd job's plist; a longer document is refused.
pub(crate) const MAX_INPUT: usize = 256 * 1024;
/// Nesting deeper than this is refused (launchd plists nest 3 deep).
pub(crate) const MAX_DEPTH: usize = 16;
/// Values in one document.
pub(crate) const MAX_NODES: usize = 4096;
/// Characters kept of one string, key, date or number.
pub(crate) const MAX_STRING: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Dict(Vec<(String, Value)>),
    Array(Vec<Value>),
    String(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
    /// As written (ISO 8601).
    Date(String),
    /// Its base64 text's length, the bytes themselves are not kept.
    Data(usize),
}

impl Value {
    /// A dict's value for `key` (the first, if the document repeats it).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub(crate) fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub(crate) fn as_dict(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The value in a few words, for a drill-down line.
    pub(crate) fn words(&self) -> String {
        match self {
            Value::Dict(d) => {
                let parts: Vec<String> = d.iter().take(6).map(|(k, v)| format!("{k}={}", v.words())).collect();
                let more = if d.len() > 6 { " …" } else { "" };
                format!("{{{}{more}}}", parts.join(" "))
            }
            Value::Array(a) => {
                let parts: Vec<String> = a.iter().take(8).map(Value::words).collect();
                let more = if a.len() > 8 { " …" } else { "" };
                format!("[{}{more}]", parts.join(" "))
            }
            Value::String(s) | Value::Date(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Data(n) => format!("<{n} bytes of data>"),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Leaf {
    Key,
    String,
    Integer,
    Real,
    Date,
    Data,
    True,
    False,
}

enum Open {
    Dict(Vec<(String, Value)>, Option<String>),
    Array(Vec<Value>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    leaf: Option<(Leaf, String)>,
    root: Option<Value>,
    nodes: usize,
}

impl Builder {
    fn open(&mut self, name: &str) -> Result<(), String> {
        if self.leaf.is_some() {
            return Err("an element inside a value".into());
        }
        let leaf = match name {
            "plist" => return Ok(()),
            "dict" | "array" => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH}"));
                }
                self.stack.push(if name == "dict" {
                    Open::Dict(Vec::new(), None)
                } else {
                    Open::Array(Vec::new())
                });
                return Ok(());
            }
            "key" => Leaf::Key,
            "string" => Leaf::String,
            "integer" => Leaf::Integer,
            "real" => Leaf::Real,
            "date" => Leaf::Date,
            "data" => Leaf::Data,
            "true" => Leaf::True,
            "false" => Leaf::False,
            other => return Err(format!("unknown element <{}>", sanitize(other))),
        };
        self.leaf = Some((leaf, String::new()));
        Ok(())
    }

    fn close(&mut self, name: &str) -> Result<(), String> {
        if let Some((leaf, text)) = self.leaf.take() {
            return self.finish_leaf(leaf, text);
        }
        match name {
            "plist" => Ok(()),
            _ => match self.stack.pop() {
                Some(Open::Dict(items, None)) => self.emit(Value::Dict(items)),
                Some(Open::Dict(_, Some(k))) => Err(format!("key {k:?} has no value")),
                Some(Open::Array(items)) => self.emit(Value::Array(items)),
                None => Err("a close without an open".into()),
            },
        }
    }

    fn finish_leaf(&mut self, leaf: Leaf, text: String) -> Result<(), String> {
        let t = text.trim();
        let v = match leaf {
            Leaf::Key => {
                return match self.stack.last_mut() {
                    Some(Open::Dict(_, key @ None)) => {
                        *key = Some(sanitize(&text));
                        Ok(())
                    }
                    _ => Err("a key outside a dict, or two keys in a row".into()),
                };
            }
            Leaf::String => Value::String(sanitize(&text)),
            Leaf::Integer => Value::Integer(int(t).ok_or_else(|| format!("integer {:?}", sanitize(t)))?),
            Leaf::Real => Value::Real(
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| format!("real {:?}", sanitize(t)))?,
            ),
            Leaf::Date => Value::Date(sanitize(t)),
            Leaf::Data => Value::Data(t.chars().filter(|c| !c.is_whitespace()).count()),
            Leaf::True => Value::Bool(true),
            Leaf::False => Value::Bool(false),
        };
        self.emit(v)
    }

    fn emit(&mut self, v: Value) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!("more than {MAX_NODES} values"));
        }
        match self.stack.last_mut() {
            None if self.root.is_none() => {
                self.root = Some(v);
                Ok(())
            }
            None => Err("a second top-level value".into()),
            Some(Open::Dict(items, key)) => match key.take() {
                Some(k) => {
                    items.push((k, v));
                    Ok(())
                }
                None => Err("a dict value without its key".into()),
            },
            Some(Open::Array(items)) => {
                items.push(v);
                Ok(())
            }
        }
    }

    fn text(&mut self, s: &str) -> Result<(), String> {
        match &mut self.leaf {
            Some((_, text)) => {
                let room = MAX_STRING.saturating_sub(text.chars().count());
                text.extend(s.chars().take(room));
                Ok(())
            }
            None if s.trim().is_empty() => Ok(()),
            None => Err("text outside a value".into()),
        }
    }

    fn entity(&mut self, r: &BytesRef<'_>) -> Result<(), String> {
        let c = match &**r {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => r.resolve_char_ref().ok().flatten(),
        };
        match c {
            Some(c) => self.text(c.encode_utf8(&mut [0; 4])),
            None => Err("an unknown entity".into()),
        }
    }
}

/// A plist integer: decimal, or `0x` hexadecimal as CoreFoundation writes
/// none but reads.
fn int(t: &str) -> Option<i64> {
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Reads one XML property list; its top value, or why not.
pub(crate) fn parse(xml: &str) -> Result<Value, String> {
    if xml.len() > MAX_INPUT {
        return Err(format!("plist longer than {} KiB", MAX_INPUT / 1024));
    }
    let mut reader = Reader::from_str(xml);
    let mut b = Builder::default();
    loop {
        let step = match reader.read_event() {
            Ok(Event::Start(e)) => b.open(e.name().as_ref()),
            Ok(Event::Empty(e)) => b.open(e.name().as_ref()).and_then(|()| b.close(e.name().as_ref())),
            Ok(Event::End(e)) => b.close(e.name().as_ref()),
            Ok(Event::Text(t)) => b.text(&t),
            Ok(Event::CData(t)) => b.text(&t),
            Ok(Event::GeneralRef(r)) => b.entity(&r),
            Ok(Event::Eof) => break,
            Ok(_) => Ok(()), // declaration, doctype, comments
            Err(e) => Err(format!("malformed XML at byte {}: {e}", reader.error_position())),
        };
        step.map_err(|e| sanitize(&e))?;
    }
    if !b.stack.is_empty() || b.leaf.is_some() {
        return Err("the document ends inside a value".into());
    }
    b.root.ok_or_else(|| "no value in the document".into())
}

#[cfg(test)]
mod tests;
