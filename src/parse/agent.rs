//! Agent run events (docs/agents.md): fleettop's own format and, unchanged, the
//! claude-peers daemon supervisor's; and the extraction of a run's "last
//! output" from what the daemon printed.

use crate::model::Millis;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Started,
    Completed,
    Failed,
    /// A run that decided not to do anything (claude-peers triage skip).
    Skipped,
    /// Not run because the daemon is cooling down (after failures, or a
    /// rate limit): `"event": "cooldown"`, or a claude-peers triage with
    /// `outcome=cooldown`. Not a failure, not a success either.
    Cooldown,
    Heartbeat,
}

/// One run event, whichever format it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    pub agent: String,
    pub tag: Option<String>,
    pub kind: Kind,
    pub trigger: Option<String>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub duration_ms: Option<i64>,
    pub exit_code: Option<i32>,
    /// The raw combined output, when the event carries it.
    pub output: Option<String>,
    /// Output already extracted by the sender (claude-peers `summary`).
    pub summary: Option<String>,
    pub machine: Option<String>,
    /// The sender says the run was ended by its time limit (a failed run
    /// that counts as a timeout whatever its duration).
    pub timed_out: bool,
}

/// Something on a `fleet.*` subject that is not a run: for the ticker.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetNotice {
    pub kind: String,
    pub source: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Run(AgentEvent),
    Notice(FleetNotice),
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// Unix seconds, or milliseconds when it is too large to be seconds;
/// saturating (a float-to-integer cast never overflows). Whether the time
/// is plausible is for the store to check, on arrival.
pub(crate) fn unix_number(x: f64) -> Millis {
    if x.abs() > 1e11 { x as i64 } else { (x * 1000.0) as i64 }
}

fn time(v: &Value, k: &str) -> Option<Millis> {
    match v.get(k)? {
        Value::String(t) => parse_rfc3339(t),
        Value::Number(n) => n.as_f64().map(unix_number),
        _ => None,
    }
}

/// Parses one event (a JSON object). Unknown fields are ignored; a missing
/// agent name or an unknown event kind is an error for the caller to count.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    if let Some(ty) = s(&v, "type") {
        return Ok(claude_peers(&v, &ty));
    }
    let agent = s(&v, "agent")
        .or_else(|| s(&v, "daemon"))
        .or_else(|| s(&v, "name"))
        .ok_or("no agent name")?;
    // `"event": "timeout"`, or a finish whose `status` says so.
    let event = s(&v, "event");
    let timed_out = says_timeout(event.as_deref())
        || (says_timeout(s(&v, "status").as_deref()) && !matches!(event.as_deref(), Some("started" | "heartbeat")));
    let kind = match event.as_deref() {
        // A run the time limit ended is a failed run, whatever else it says.
        _ if timed_out => Kind::Failed,
        Some("started") => Kind::Started,
        Some("completed") => Kind::Completed,
        Some("failed") => Kind::Failed,
        Some("heartbeat") => Kind::Heartbeat,
        Some("skipped") => Kind::Skipped,
        Some("cooldown") => Kind::Cooldown,
        Some(other) => return Err(format!("unknown event {other:?}")),
        None => return Err("no event".into()),
    };
    Ok(Parsed::Run(AgentEvent {
        agent,
        tag: s(&v, "tag"),
        kind,
        trigger: s(&v, "trigger"),
        started_at: time(&v, "started_at"),
        finished_at: time(&v, "finished_at").or_else(|| time(&v, "timestamp")),
        duration_ms: v.get("duration_ms").and_then(Value::as_f64).map(|d| (d as i64).max(0)),
        exit_code: v
            .get("exit_code")
            .and_then(Value::as_i64)
            .and_then(|c| i32::try_from(c).ok()),
        output: s(&v, "output"),
        summary: s(&v, "summary"),
        machine: s(&v, "machine"),
        timed_out,
    }))
}

/// Whether a status word says the time limit ended the run.
fn says_timeout(word: Option<&str>) -> bool {
    word.is_some_and(|w| {
        ["timeout", "timed_out", "timedout"]
            .iter()
            .any(|t| w.eq_ignore_ascii_case(t))
    })
}

/// `data: "trigger=interval duration=1m30s outcome=skip"` → its fields.
fn data_field(data: &str, key: &str) -> Option<String> {
    data.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
}

fn claude_peers(v: &Value, ty: &str) -> Parsed {
    let data = s(v, "data").unwrap_or_default();
    let name = s(v, "peer_id").or_else(|| s(v, "daemon")).unwrap_or_default();
    let timed_out = ty == "daemon_timeout"
        || says_timeout(data_field(&data, "outcome").as_deref())
        || says_timeout(data_field(&data, "status").as_deref());
    let kind = match ty {
        "daemon_timeout" => Some(Kind::Failed),
        "daemon_complete" | "daemon_failed" | "daemon_triage" if timed_out => Some(Kind::Failed),
        "daemon_complete" => Some(Kind::Completed),
        "daemon_failed" => Some(Kind::Failed),
        "daemon_triage" if data_field(&data, "outcome").as_deref() == Some("skip") => Some(Kind::Skipped),
        "daemon_triage" if data_field(&data, "outcome").as_deref() == Some("cooldown") => Some(Kind::Cooldown),
        "daemon_cooldown" => Some(Kind::Cooldown),
        "daemon_triage" => Some(Kind::Completed),
        "daemon_started" | "daemon_start" => Some(Kind::Started),
        _ => None,
    };
    match kind {
        Some(kind) if !name.is_empty() => {
            let finished = time(v, "timestamp");
            let duration = data_field(&data, "duration")
                .and_then(|d| humantime::parse_duration(&d).ok())
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            Parsed::Run(AgentEvent {
                agent: name,
                tag: None,
                kind,
                trigger: data_field(&data, "trigger"),
                started_at: finished.zip(duration).map(|(f, d)| f.saturating_sub(d)),
                finished_at: finished,
                duration_ms: duration,
                exit_code: None,
                output: None,
                summary: s(v, "summary"),
                machine: s(v, "machine"),
                timed_out: timed_out && kind == Kind::Failed,
            })
        }
        _ => {
            let source = s(v, "peer_id")
                .or_else(|| s(v, "machine"))
                .unwrap_or_else(|| "fleet".into());
            let text = s(v, "summary")
                .or_else(|| s(v, "message"))
                .or_else(|| s(v, "reason"))
                .unwrap_or_default();
            Parsed::Notice(FleetNotice {
                kind: ty.to_string(),
                source,
                text,
            })
        }
    }
}

/// How many characters of raw output stand in for it when nothing better
/// can be extracted.
pub const TAIL_CHARS: usize = 500;

/// The "last output" of a run (docs/agents.md): the last JSON object in it; its
/// `Outputs`/`outputs` map's values joined (in key order); else its
/// `output`, `summary` or `result` string; else the last 500 characters.
pub(crate) fn extract_output(raw: &str) -> String {
    if let Some(obj) = last_json_object(raw) {
        for key in ["Outputs", "outputs"] {
            if let Some(Value::Object(m)) = obj.get(key) {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let parts: Vec<String> = keys
                    .into_iter()
                    .filter_map(|k| match &m[k] {
                        Value::String(s) => Some(s.clone()),
                        Value::Null => None,
                        other => Some(other.to_string()),
                    })
                    .collect();
                return parts.join(" | ");
            }
        }
        for key in ["output", "summary", "result"] {
            if let Some(Value::String(s)) = obj.get(key) {
                return s.clone();
            }
        }
    }
    let trimmed = raw.trim_end();
    let n = trimmed.chars().count();
    trimmed.chars().skip(n.saturating_sub(TAIL_CHARS)).collect()
}

/// The last complete top-level JSON object in free text.
fn last_json_object(raw: &str) -> Option<serde_json::Map<String, Value>> {
    // Walk back over every '}' and try the object that ends there; bounded
    // so a huge output of braces cannot cost quadratic time.
    let bytes = raw.as_bytes();
    let mut tries = 0;
    let mut end = raw.len();
    while let Some(close) = raw[..end].rfind('}') {
        tries += 1;
        if tries > 64 {
            return None;
        }
        if let Some(open) = matching_open(bytes, close)
            && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&raw[open..=close])
        {
            return Some(m);
        }
        end = close;
    }
    None
}

/// The '{' that balances the '}' at `close`, skipping braces in strings
/// (scanned backwards, so string detection is approximate; the JSON parse
/// that follows is the real check).
fn matching_open(b: &[u8], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = close + 1;
    let limit = close.saturating_sub(1 << 20);
    while i > limit {
        i -= 1;
        let c = b[i];
        if c == b'"' && (i == 0 || b[i - 1] != b'\\') {
            in_str = !in_str;
            continue;
        }
        if in_str {
            continue;
        }
        match c {
            b'}' => depth += 1,
            b'{' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// RFC 3339 (`2026-05-09T18:30:00Z`, fractions and `±hh:mm` offsets too).
pub(crate) fn parse_rfc3339(t: &str) -> Option<Millis> {
    let t = t.trim();
    let b = t.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || b[13] != b':'
        || b[16] != b':'
        || !(0..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    let mut rest = &t[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let ms: String = frac[..digits].chars().chain("000".chars()).take(3).collect();
        millis = ms.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" | "" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = (o.get(1..3)?.parse::<i64>().ok()?, o.get(4..6)?.parse::<i64>().ok()?);
            if !(0..=23).contains(&oh) || !(0..=59).contains(&om) || o.as_bytes()[3] != b':' {
                return None;
            }
            sign * (oh * 60 + om)
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60) * 1000) + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-05-09T18:30:00Z"), Some(1_778_351_400_000));
        assert_eq!(parse_rfc3339("2026-05-09T20:30:00.250+02:00"), Some(1_778_351_400_250));
        assert_eq!(parse_rfc3339("2026-05-09 18:30:00"), Some(1_778_351_400_000));
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-05-09T18:30:00+0200x",
            "2026-05-09T99:99:99Z",
            "2026-05-09T-1:00:00Z",
            "2026-05-09T18:30:00+99:99",
            "2026-05-09T18:30:00+02x00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_saturate_and_never_panic() {
        assert_eq!(unix_number(1_778_351_400.5), 1_778_351_400_500);
        assert_eq!(unix_number(1_778_351_400_500.0), 1_778_351_400_500);
        assert_eq!(unix_number(1e15), 1_000_000_000_000_000);
        assert_eq!(unix_number(1e300), i64::MAX);
        assert_eq!(unix_number(-1e300), i64::MIN);
        assert_eq!(unix_number(-1e12), -1_000_000_000_000);
        // A start computed from a time and a duration at the ends of i64.
        let e = r#"{"type":"daemon_complete","peer_id":"p","data":"duration=99999999999999s","timestamp":-1e300}"#;
        let Ok(Parsed::Run(r)) = parse(e) else { panic!() };
        assert!(r.started_at.is_some_and(|t| t < 0), "{:?}", r.started_at);
        let Ok(Parsed::Run(r)) = parse(r#"{"agent":"a","event":"completed","duration_ms":-5}"#) else {
            panic!()
        };
        assert_eq!(r.duration_ms, Some(0));
    }

    #[test]
    fn fleettop_format_as_in_the_spec() {
        let e = r#"{"agent": "fleet-scout", "tag": "scout", "event": "completed",
 "trigger": "cron", "started_at": "2026-05-09T18:30:00Z",
 "finished_at": "2026-05-09T18:30:31Z", "duration_ms": 31000,
 "exit_code": 0, "output": "raw", "unknown_field": [1, 2]}"#;
        let Ok(Parsed::Run(r)) = parse(e) else { panic!() };
        assert_eq!(r.agent, "fleet-scout");
        assert_eq!(r.tag.as_deref(), Some("scout"));
        assert_eq!(r.kind, Kind::Completed);
        assert_eq!(r.duration_ms, Some(31_000));
        assert_eq!(r.finished_at.unwrap() - r.started_at.unwrap(), 31_000);
        assert_eq!(r.exit_code, Some(0));
        let Ok(Parsed::Run(r)) = parse(r#"{"daemon": "d", "event": "failed", "exit_code": 127}"#) else {
            panic!()
        };
        assert_eq!((r.agent.as_str(), r.kind, r.exit_code), ("d", Kind::Failed, Some(127)));
        let Ok(Parsed::Run(r)) = parse(r#"{"name": "n", "event": "heartbeat"}"#) else {
            panic!()
        };
        assert_eq!(r.kind, Kind::Heartbeat);
    }

    #[test]
    fn claude_peers_events() {
        let done = r#"{"type":"daemon_complete","peer_id":"pr-helper","machine":"omarchy","summary":"Merged 2 PRs","cwd":"/home/w","data":"trigger=interval duration=1m30s","timestamp":"2026-05-09T18:31:30Z"}"#;
        let Ok(Parsed::Run(r)) = parse(done) else { panic!() };
        assert_eq!(r.agent, "pr-helper");
        assert_eq!(r.kind, Kind::Completed);
        assert_eq!(r.trigger.as_deref(), Some("interval"));
        assert_eq!(r.duration_ms, Some(90_000));
        assert_eq!(r.started_at, Some(1_778_351_400_000));
        assert_eq!(r.summary.as_deref(), Some("Merged 2 PRs"));
        let skip = r#"{"type":"daemon_triage","peer_id":"pr-helper","summary":"nothing to do","data":"outcome=skip","timestamp":"2026-05-09T18:31:30Z"}"#;
        let Ok(Parsed::Run(r)) = parse(skip) else { panic!() };
        assert_eq!(r.kind, Kind::Skipped, "a triage skip is not a failure");
        let cool = r#"{"type":"daemon_triage","peer_id":"pr-helper","summary":"3 failures, waiting 30m","data":"outcome=cooldown","timestamp":"2026-05-09T18:41:30Z"}"#;
        let Ok(Parsed::Run(r)) = parse(cool) else { panic!() };
        assert_eq!(r.kind, Kind::Cooldown);
        let own = r#"{"agent":"scout","event":"cooldown","finished_at":"2026-05-09T18:41:30Z"}"#;
        let Ok(Parsed::Run(r)) = parse(own) else { panic!() };
        assert_eq!(r.kind, Kind::Cooldown);
        let failed =
            r#"{"type":"daemon_failed","peer_id":"x","summary":"boom","data":"trigger=event:fleet.> duration=3s"}"#;
        let Ok(Parsed::Run(r)) = parse(failed) else { panic!() };
        assert_eq!((r.kind, r.trigger.as_deref()), (Kind::Failed, Some("event:fleet.>")));
        let joined = r#"{"type":"peer_joined","peer_id":"laptop","machine":"laptop"}"#;
        assert_eq!(
            parse(joined),
            Ok(Parsed::Notice(FleetNotice {
                kind: "peer_joined".into(),
                source: "laptop".into(),
                text: String::new()
            }))
        );
    }

    #[test]
    fn a_run_whose_status_says_timeout_is_a_failed_timeout() {
        let run = |e: &str| match parse(e) {
            Ok(Parsed::Run(r)) => (r.kind, r.timed_out),
            other => panic!("{e}: {other:?}"),
        };
        let timeout = (Kind::Failed, true);
        assert_eq!(run(r#"{"agent":"a","event":"timeout"}"#), timeout);
        assert_eq!(run(r#"{"agent":"a","event":"timed_out","duration_ms":5}"#), timeout);
        assert_eq!(run(r#"{"agent":"a","event":"failed","status":"timeout"}"#), timeout);
        assert_eq!(
            run(r#"{"agent":"a","event":"completed","status":"TIMED_OUT"}"#),
            timeout
        );
        assert_eq!(run(r#"{"type":"daemon_timeout","peer_id":"p"}"#), timeout);
        assert_eq!(
            run(r#"{"type":"daemon_failed","peer_id":"p","data":"outcome=timeout duration=5m"}"#),
            timeout
        );
        assert_eq!(
            run(r#"{"type":"daemon_complete","peer_id":"p","data":"status=timed_out"}"#),
            timeout
        );
        // Not a timeout: another status, a start, a heartbeat.
        assert_eq!(
            run(r#"{"agent":"a","event":"failed","status":"error"}"#),
            (Kind::Failed, false)
        );
        assert_eq!(run(r#"{"agent":"a","event":"completed"}"#), (Kind::Completed, false));
        assert_eq!(
            run(r#"{"agent":"a","event":"started","status":"timeout"}"#),
            (Kind::Started, false)
        );
        assert_eq!(
            run(r#"{"agent":"a","event":"heartbeat","status":"timeout"}"#),
            (Kind::Heartbeat, false)
        );
        assert_eq!(
            run(r#"{"type":"daemon_started","peer_id":"p","data":"outcome=timeout"}"#),
            (Kind::Started, false)
        );
    }

    /// Found by fuzzing: a time near the end of i64 minus the duration
    /// overflowed (a panic in debug builds).
    #[test]
    fn a_start_before_time_began_saturates() {
        let e = r#"{"type":"daemon_complete","peer_id":"p","data":"duration=1s","timestamp":-9e18}"#;
        let Ok(Parsed::Run(r)) = parse(e) else { panic!() };
        assert!(r.started_at.is_some_and(|t| t < 0), "{:?}", r.started_at);
    }

    #[test]
    fn malformed_events_are_errors_not_panics() {
        for bad in [
            "",
            "nope",
            "[1]",
            "{}",
            r#"{"agent":"a"}"#,
            r#"{"agent":"a","event":"exploded"}"#,
            "{\"agent\":\"a\",\"event\":",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn extraction_follows_the_spec_order() {
        let with_outputs =
            "starting...\nbanner\n{\"Outputs\": {\"b\": \"second\", \"a\": \"first\"}, \"output\": \"no\"}\n";
        assert_eq!(extract_output(with_outputs), "first | second");
        let with_output =
            "log line {not json}\n{\"status\": \"ok\", \"result\": \"r\", \"summary\": \"Fixed 3 tests\"}\ntrailing";
        assert_eq!(extract_output(with_output), "Fixed 3 tests");
        let nested = r#"{"outputs": {"x": {"deep": "}"}}}"#;
        assert_eq!(extract_output(nested), r#"{"deep":"}"}"#);
        let two = r#"{"output": "old"} then {"output": "new"}"#;
        assert_eq!(extract_output(two), "new");
        let plain = "x".repeat(600) + "END";
        let out = extract_output(&plain);
        assert_eq!(out.chars().count(), TAIL_CHARS);
        assert!(out.ends_with("xEND"));
        assert_eq!(extract_output("just text\n"), "just text");
        assert_eq!(extract_output(&"}".repeat(100_000)).len(), TAIL_CHARS);
    }
}
