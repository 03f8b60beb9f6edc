//! `systemctl --failed` in its two forms: `--output=json` (systemd 246+)
//! and the plain table (`--plain --no-legend`, or with its legend); each
//! service's restart count (`systemctl show -p Id,ActiveState,SubState,NRestarts`)
//! and the error lines in the journal per unit (`journalctl -o json`).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Unit {
    pub unit: String,
    #[serde(default)]
    pub load: String,
    #[serde(default)]
    pub active: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub description: String,
}

/// The JSON array; any other shape is an error (fall back to plain).
pub fn parse_json(text: &str) -> Result<Vec<Unit>, String> {
    let mut v: Vec<Unit> = serde_json::from_str(text.trim()).map_err(|e| e.to_string())?;
    for u in &mut v {
        clean(u);
    }
    Ok(v)
}

fn clean(u: &mut Unit) {
    let s = super::sanitize::sanitize;
    u.unit = s(&u.unit);
    u.load = s(&u.load);
    u.active = s(&u.active);
    u.sub = s(&u.sub);
    u.description = s(&u.description);
}

/// The plain table: `UNIT LOAD ACTIVE SUB DESCRIPTION`, possibly with a
/// leading `●`/`*` mark, a header and a legend (which are skipped).
pub fn parse_plain(text: &str) -> Vec<Unit> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start_matches(|c: char| c == '●' || c == '*' || c.is_whitespace());
        let mut parts = line.split_whitespace();
        let (Some(unit), Some(load), Some(active), Some(sub)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if unit == "UNIT"
            || !unit.contains('.')
            || !["loaded", "not-found", "masked", "error", "bad-setting"].contains(&load)
        {
            continue;
        }
        let description = parts.collect::<Vec<_>>().join(" ");
        let mut u = Unit {
            unit: unit.into(),
            load: load.into(),
            active: active.into(),
            sub: sub.into(),
            description,
        };
        clean(&mut u);
        out.push(u);
    }
    out
}

/// At most this many units' counts are kept from one answer.
pub(crate) const MAX_UNITS: usize = 4096;
/// At most this many journal lines are read from one answer (the script
/// asks for no more either).
pub(crate) const MAX_JOURNAL_LINES: usize = 5000;

/// A unit name as systemd spells it (escapes included): a name from the
/// host that is not one is dropped, never shown nor passed anywhere.
pub(crate) fn valid_unit_name(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && !s.starts_with('-')
        && s.contains('.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "@._:-\\".contains(c))
}

/// One service from `systemctl show -p Id,ActiveState,SubState,NRestarts '*.service'`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Restarts {
    pub id: String,
    pub active: String,
    pub sub: String,
    pub restarts: Option<i64>,
}

/// The records of `systemctl show` for many units: each starts at its
/// `Id=` line. Records with a bad name are left out; at most [`MAX_UNITS`].
pub(crate) fn parse_restarts(text: &str) -> Vec<Restarts> {
    let mut out: Vec<Restarts> = Vec::new();
    let mut skip = false;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = v.trim();
        if k == "Id" {
            skip = !valid_unit_name(v) || out.len() >= MAX_UNITS;
            if !skip {
                out.push(Restarts {
                    id: v.to_string(),
                    ..Restarts::default()
                });
            }
            continue;
        }
        let Some(r) = out.last_mut().filter(|_| !skip) else {
            continue;
        };
        let word = || crate::parse::sanitize::sanitize(v).chars().take(32).collect::<String>();
        match k {
            "ActiveState" => r.active = word(),
            "SubState" => r.sub = word(),
            "NRestarts" => r.restarts = v.parse::<i64>().ok().filter(|n| *n >= 0),
            _ => {}
        }
    }
    out
}

/// Error lines per unit in `journalctl -o json --output-fields=_SYSTEMD_UNIT`
/// (one object a line): lines without a valid unit name are not counted;
/// at most [`MAX_JOURNAL_LINES`] lines and [`MAX_UNITS`] units.
pub(crate) fn journal_errors(text: &str) -> std::collections::BTreeMap<String, u32> {
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines().take(MAX_JOURNAL_LINES) {
        let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(unit) = o.get("_SYSTEMD_UNIT").and_then(|u| u.as_str()) else {
            continue;
        };
        if !valid_unit_name(unit) || (out.len() >= MAX_UNITS && !out.contains_key(unit)) {
            continue;
        }
        *out.entry(unit.to_string()).or_insert(0u32) += 1;
    }
    out
}

/// The `UNIT_STATS` answer: every service's restarts, then (after a line
/// `@@journal`, which `systemctl show` never prints) the journal's error
/// lines of the last few minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Stats {
    pub units: Vec<Restarts>,
    pub errors: std::collections::BTreeMap<String, u32>,
}

pub(crate) fn parse_stats(text: &str) -> Stats {
    let text = format!("\n{text}");
    let (show, journal) = text.split_once("\n@@journal\n").unwrap_or((&text, ""));
    Stats {
        units: parse_restarts(show),
        errors: journal_errors(journal),
    }
}

/// A unit's state from `systemctl show UNIT --timestamp=unix -p …`
/// (`KEY=VALUE` lines; times as `@UNIXSECONDS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitShow {
    pub id: String,
    pub active: String,
    pub sub: String,
    pub result: String,
    pub exit_status: Option<i32>,
    pub invocation: String,
    /// Milliseconds since the epoch.
    pub started_at: Option<i64>,
    pub exited_at: Option<i64>,
    /// For a timer: when it fires next and when it last did.
    pub next_at: Option<i64>,
    pub last_trigger_at: Option<i64>,
    pub load_state: String,
}

/// The properties `parse_show` reads, for the command line.
pub const SHOW_PROPERTIES: &str = "Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,InvocationID,ExecMainStartTimestamp,ExecMainExitTimestamp,NextElapseUSecRealtime,LastTriggerUSec";

fn unix_time(v: &str) -> Option<i64> {
    let v = v.trim();
    let secs = v.strip_prefix('@')?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let ms: i64 = frac
        .chars()
        .chain("000".chars())
        .take(3)
        .collect::<String>()
        .parse()
        .ok()?;
    let t = whole.parse::<i64>().ok()?.checked_mul(1000)?.checked_add(ms)?;
    Some(t).filter(|t| *t > 0)
}

pub fn parse_show(text: &str) -> UnitShow {
    let mut u = UnitShow::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = crate::parse::sanitize::sanitize(v.trim());
        match k.trim() {
            "Id" => u.id = v,
            "LoadState" => u.load_state = v,
            "ActiveState" => u.active = v,
            "SubState" => u.sub = v,
            "Result" => u.result = v,
            "ExecMainStatus" => u.exit_status = v.parse().ok(),
            "InvocationID" => u.invocation = v,
            "ExecMainStartTimestamp" => u.started_at = unix_time(&v),
            "ExecMainExitTimestamp" => u.exited_at = unix_time(&v),
            "NextElapseUSecRealtime" => u.next_at = unix_time(&v),
            "LastTriggerUSec" => u.last_trigger_at = unix_time(&v),
            _ => {}
        }
    }
    u
}

#[cfg(test)]
mod stats_tests;

#[cfg(test)]
mod show_tests {
    use super::*;

    // The shape systemd 252 prints for `systemctl show --timestamp=unix -p …`
    // (written from its documented output, not captured: no systemd runs
    // where these tests were written).
    const SERVICE: &str = "Id=fleet-scout.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=2\nInvocationID=5f1c0e2a9b8d4c7e8f00112233445566\nExecMainStartTimestamp=@1779995800\nExecMainExitTimestamp=@1779995831.250000\n";
    const TIMER: &str = "Id=fleet-scout.timer\nNextElapseUSecRealtime=@1779996700\nLastTriggerUSec=@1779995800\nActiveState=active\nSubState=waiting\n";

    #[test]
    fn a_failed_service_and_its_timer() {
        let s = parse_show(SERVICE);
        assert_eq!(
            (s.active.as_str(), s.result.as_str(), s.exit_status),
            ("failed", "exit-code", Some(2))
        );
        assert_eq!(
            (s.started_at, s.exited_at),
            (Some(1_779_995_800_000), Some(1_779_995_831_250))
        );
        let t = parse_show(TIMER);
        assert_eq!(
            (t.next_at, t.last_trigger_at, t.sub.as_str()),
            (Some(1_779_996_700_000), Some(1_779_995_800_000), "waiting")
        );
    }

    #[test]
    fn unset_times_and_garbage() {
        let s = parse_show("ExecMainExitTimestamp=\nExecMainStartTimestamp=n/a\nnonsense\n=x\nExecMainStatus=abc\n");
        assert_eq!((s.started_at, s.exited_at, s.exit_status), (None, None, None));
        assert_eq!(parse_show("Id=a\u{1b}[2Jb.service").id, "ab.service");
    }

    /// Found by review while fuzzing: a time past what milliseconds in an
    /// i64 hold overflowed (a panic in debug builds); it is no time.
    #[test]
    fn a_time_too_large_is_none() {
        let s =
            parse_show("ExecMainStartTimestamp=@9223372036854775.808\nExecMainExitTimestamp=@9223372036854775.807\n");
        assert_eq!((s.started_at, s.exited_at), (None, Some(i64::MAX)));
        assert_eq!(parse_show("NextElapseUSecRealtime=@9223372036854775807").next_at, None);
    }
}
