//! One run event into an agent's history: the run, its outcome, its counts,
//! and the ticker events it makes.

use super::stats;
use super::{Agent, MAX_EXTRACTED, MAX_NAME, MAX_OUTPUT, MAX_RUNS, MAX_TRIGGER, Outcome, Run};
use crate::model::{Level, Millis};
use crate::parse::agent::{self, AgentEvent, Kind};
use crate::parse::sanitize::{sanitize_max, sanitize_multiline};
use crate::store::events::NewEvent;

/// Records one run event in the agent's history; returns the ticker events.
pub(super) fn record(a: &mut Agent, e: AgentEvent, source: &str, threshold: u32, now: Millis) -> Vec<NewEvent> {
    if let Some(t) = e.tag.as_deref().filter(|_| !a.configured) {
        a.tag = sanitize_max(t, MAX_NAME);
    }
    let at = e.finished_at.or(e.started_at);
    if e.kind == Kind::Heartbeat {
        if let Some(t) = at {
            a.last_heartbeat = Some(a.last_heartbeat.map_or(t, |x| x.max(t)));
        }
        return Vec::new();
    }
    let (run, outcome) = new_run(&e);
    let i = file_run(a, run, outcome);
    stats::file(a, i, now);
    run_events(a, outcome, e.exit_code, source, threshold)
}

/// The run an event tells of, its output cut to its tail and sanitised.
fn new_run(e: &AgentEvent) -> (Run, Outcome) {
    let (mut output, mut cut) = (e.output.as_deref().map(sanitize_multiline).unwrap_or_default(), 0);
    if output.len() > MAX_OUTPUT {
        let mut start = output.len() - MAX_OUTPUT;
        while !output.is_char_boundary(start) {
            start += 1;
        }
        cut = start;
        output = output.split_off(start);
    }
    output.shrink_to_fit();
    let extracted = sanitize_max(
        &match (&e.summary, &e.output) {
            (Some(s), _) => s.clone(),
            // From the sanitised text: escape sequences inside a JSON string
            // would make it unreadable.
            (None, Some(_)) => agent::extract_output(&output),
            (None, None) => String::new(),
        },
        MAX_EXTRACTED,
    );
    let outcome = match e.kind {
        Kind::Started => Outcome::Running,
        Kind::Completed if e.exit_code.is_some_and(|c| c != 0) => Outcome::Failed,
        Kind::Completed => Outcome::Ok,
        Kind::Failed => Outcome::Failed,
        Kind::Skipped => Outcome::Skipped,
        Kind::Cooldown => Outcome::Cooldown,
        Kind::Heartbeat => unreachable!("record returns before a heartbeat gets here"),
    };
    let run = Run {
        started_at: e.started_at,
        finished_at: e.finished_at,
        duration_ms: e
            .duration_ms
            .or_else(|| Some(e.finished_at?.saturating_sub(e.started_at?))),
        exit_code: e.exit_code,
        trigger: sanitize_max(e.trigger.as_deref().unwrap_or(""), MAX_TRIGGER),
        outcome,
        output,
        output_cut: cut,
        extracted,
        timed_out: e.timed_out && outcome == Outcome::Failed,
    };
    (run, outcome)
}

/// Files a run in the agent's bounded history; returns where it is.
fn file_run(a: &mut Agent, run: Run, outcome: Outcome) -> usize {
    // A finish completes the running run it belongs to, if there is one.
    let running = a.runs.iter().rposition(|r| r.outcome == Outcome::Running);
    match (outcome, running) {
        (Outcome::Running, _) | (_, None) => {
            a.runs.push_back(run);
            if a.runs.len() > MAX_RUNS {
                a.runs.pop_front();
                a.runs_dropped += 1;
            }
            a.runs.len() - 1
        }
        (_, Some(i)) => {
            let r = &mut a.runs[i];
            let started = r.started_at;
            *r = Run {
                started_at: run.started_at.or(started),
                ..run
            };
            if r.duration_ms.is_none() {
                r.duration_ms = r.finished_at.zip(r.started_at).map(|(f, s)| f.saturating_sub(s));
            }
            i
        }
    }
}

/// The agent's counts and streak after a run with this outcome, and the
/// ticker events it makes.
fn run_events(a: &mut Agent, outcome: Outcome, exit_code: Option<i32>, source: &str, threshold: u32) -> Vec<NewEvent> {
    let mut out = Vec::new();
    let last = a.runs.back().cloned();
    let dur = last
        .as_ref()
        .and_then(|r| r.duration_ms)
        .map(|d| format!(" in {}", crate::fmt::ago(d)))
        .unwrap_or_default();
    let base = NewEvent {
        kind: "agent".into(),
        source: a.name.clone(),
        detail: source.to_string(),
        ..NewEvent::default()
    };
    match outcome {
        Outcome::Running => {}
        Outcome::Ok => {
            a.ok = a.ok.saturating_add(1);
            if a.fail_streak > 0 {
                out.push(NewEvent {
                    level: Level::Info,
                    title: format!("{} recovered after {} failed runs", a.name, a.fail_streak),
                    ..base.clone()
                });
            }
            a.fail_streak = 0;
            let said = last
                .map(|r| r.extracted)
                .filter(|s| !s.is_empty())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            out.push(NewEvent {
                level: Level::Info,
                title: format!("{} completed{dur}{said}", a.name),
                ..base
            });
        }
        // Neither grows nor ends the fail streak: a cooldown is what
        // follows failures, and only a success ends them.
        o @ (Outcome::Skipped | Outcome::Cooldown) => {
            a.skipped = a.skipped.saturating_add(1);
            let what = if o == Outcome::Cooldown {
                "cooling down"
            } else {
                "skipped a run"
            };
            out.push(NewEvent {
                level: Level::Info,
                title: format!("{} {what}", a.name),
                ..base
            });
        }
        Outcome::Failed => {
            a.failed = a.failed.saturating_add(1);
            a.fail_streak = a.fail_streak.saturating_add(1);
            let code = exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default();
            let what = if last.as_ref().is_some_and(|r| r.timed_out) {
                "timed out"
            } else {
                "failed"
            };
            let said = last
                .map(|r| r.extracted)
                .filter(|s| !s.is_empty())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            let level = if a.fail_streak >= threshold {
                Level::Critical
            } else {
                Level::Error
            };
            out.push(NewEvent {
                level,
                title: format!("{} {what}{code}{said}", a.name),
                ..base
            });
        }
    }
    out
}
