//! The rules that read an agent: failing, stale, unit, log, runaway,
//! overdue (runs its schedule says it missed), and its process gone from
//! its host.

use super::Agent;
use crate::model::{Level, Millis};
use crate::store::events::NewEvent;
use crate::store::{Conditions, HostEntry, HostKind, Observation, Tab};

pub(super) fn observe_one(
    a: &Agent,
    now: Millis,
    threshold: u32,
    conditions: &mut Conditions,
    hosts: &[HostEntry],
) -> Vec<NewEvent> {
    let mut obs = observations(a, now, threshold);
    if let (Some(pattern), Some(false)) = (&a.process, process_present(a, hosts)) {
        obs.push(Observation {
            key: format!("agent:{}:process", a.name),
            tab: Tab::Agents,
            kind: "agent".into(),
            source: a.name.clone(),
            title: format!("{}: no process matching {pattern:?}", a.name),
            level: Level::Error,
            escalate: None,
            recovered: format!("{}: process {pattern:?} is back", a.name),
        });
    }
    crate::store::depends::demote(&mut obs, &a.name, a.blocked_by.as_deref());
    conditions.observe(&format!("agent:{}", a.name), obs, now)
}

/// Whether the daemon's process is in its host's process table; None when
/// there is no pattern or no sample of that host yet.
pub(crate) fn process_present(a: &Agent, hosts: &[HostEntry]) -> Option<bool> {
    let pattern = a.process.as_deref()?.to_lowercase();
    let host = match &a.host {
        Some(h) => hosts.iter().find(|x| x.name == *h)?,
        None => hosts.iter().find(|x| x.kind == HostKind::Local)?,
    };
    let sample = host.cur.as_ref()?;
    Some(
        sample
            .processes
            .iter()
            .any(|p| p.name.to_lowercase().contains(&pattern) || p.cmd.to_lowercase().contains(&pattern)),
    )
}

fn observations(a: &Agent, now: Millis, threshold: u32) -> Vec<Observation> {
    let mut out = Vec::new();
    let obs = observer(a);
    if a.fail_streak > 0 {
        // A streak of N failures in a row is itself the sustained failure.
        let level = if a.fail_streak >= threshold {
            Level::Critical
        } else {
            Level::Error
        };
        out.push(obs(
            "failing",
            level,
            None,
            format!("{} failed {} times in a row", a.name, a.fail_streak),
            format!("{} recovered", a.name),
        ));
    }
    out.extend(stale(a, now));
    if let Some(e) = &a.unit_error {
        out.push(obs(
            "unit",
            Level::Warn,
            None,
            format!("{}: {e}", a.name),
            format!("{}: unit readable again", a.name),
        ));
    }
    if let (Some(max), Some(t)) = (a.log_max_age_ms, a.log_modified)
        && now.saturating_sub(t) > max
    {
        // Stale as long again (counted from the last write, so one round
        // says what a long watch would) is sustained: critical.
        let level = if now.saturating_sub(t) > max.saturating_mul(2) {
            Level::Critical
        } else {
            Level::Warn
        };
        out.push(obs(
            "log",
            level,
            None,
            format!(
                "{} log not written for {}",
                a.name,
                crate::fmt::ago(now.saturating_sub(t))
            ),
            format!("{} log written again", a.name),
        ));
    }
    out.extend(runaway(a, now));
    out.extend(overdue(a, now));
    out
}

/// Runs its schedule says it should have made and did not: warn after one
/// (and its grace), critical after two. A daemon running now is not late.
fn overdue(a: &Agent, now: Millis) -> Option<Observation> {
    if a.due.missed == 0 || a.last().is_some_and(|r| r.outcome == super::Outcome::Running) {
        return None;
    }
    let level = if a.due.missed >= 2 {
        Level::Critical
    } else {
        Level::Warn
    };
    Some(observer(a)(
        "overdue",
        level,
        None,
        format!("{} overdue: {}", a.name, missed_words(a, now)),
        format!("{} ran{}", a.name, if a.due.from.is_some() { " again" } else { "" }),
    ))
}

/// "missed 2 runs, last 47m ago"; with no run seen, "missed 2 runs, none
/// seen in 47m" (since watching began).
pub(crate) fn missed_words(a: &Agent, now: Millis) -> String {
    let n = a.due.missed;
    let runs = match n {
        1 => "1 run".to_string(),
        n if n >= super::MAX_MISSED => format!("{n}+ runs"),
        n => format!("{n} runs"),
    };
    let ago = |t: Millis| crate::fmt::ago(now.saturating_sub(t));
    let last = match (a.due.from, a.due.watched_from) {
        (Some(t), _) => format!(", last {} ago", ago(t)),
        (None, Some(t)) => format!(", none seen in {}", ago(t)),
        (None, None) => String::new(),
    };
    format!("missed {runs}{last}")
}

/// A row's observation maker: key, level, escalation, title, recovery.
fn observer(a: &Agent) -> impl Fn(&str, Level, Option<(Level, i64)>, String, String) -> Observation + '_ {
    |key: &str, level: Level, escalate: Option<(Level, i64)>, title: String, recovered: String| Observation {
        key: format!("agent:{}:{key}", a.name),
        tab: Tab::Agents,
        kind: "agent".into(),
        source: a.name.clone(),
        title,
        level,
        escalate,
        recovered,
    }
}

/// No run or heartbeat for longer than `heartbeat_max_age`.
fn stale(a: &Agent, now: Millis) -> Option<Observation> {
    if !a.heartbeat_stale(now) {
        return None;
    }
    let obs = observer(a);
    let max = a.heartbeat_max_age_ms.unwrap_or(0);
    let why = match (&a.heartbeat_error, a.last_seen()) {
        (Some(e), _) => e.clone(),
        (None, Some(t)) => format!("no run or heartbeat for {}", crate::fmt::ago(now.saturating_sub(t))),
        (None, None) => "never seen".into(),
    };
    // Critical once stale as long again, counted from the last sign of
    // life, so one round (`snapshot`) says what a long watch would.
    let level = match a.last_seen() {
        Some(t) if now.saturating_sub(t) > max.saturating_mul(2) => Level::Critical,
        _ => Level::Warn,
    };
    Some(obs(
        "stale",
        level,
        a.last_seen().is_none().then_some((Level::Critical, max)),
        format!("{} stale: {why}", a.name),
        format!("{} alive again", a.name),
    ))
}

/// More runs in the last hour than its schedule explains.
fn runaway(a: &Agent, now: Millis) -> Option<Observation> {
    let obs = observer(a);
    let runs = a.runs_last_hour(now) as f64;
    let limit = match a.schedule.as_deref() {
        Some(s) if s.starts_with("event:") => Some(120.0),
        Some(_) => a.per_hour.map(|e| (e * 3.0).max(e + 5.0)),
        None => None,
    };
    let limit = limit?;
    (runs > limit).then(|| {
        obs(
            "runaway",
            Level::Warn,
            None,
            format!("{} runaway: {runs:.0} runs in the last hour", a.name),
            format!("{} back to its schedule", a.name),
        )
    })
}
