//! When a scheduled daemon should have run: from its schedule (in its
//! zone) and its last run — or, with no run seen, from when fleettop began
//! watching it — the runs it missed and the next one expected.
//! Kept up to date incrementally (a tick only steps past the slots that
//! `now` passed), so a thousand daemons cost nothing per second.

use super::Agent;
use crate::config::schedule::Schedule;
use crate::model::Millis;
use jiff::tz::TimeZone;

/// Missed runs are counted up to this many ("missed 99+ runs").
pub const MAX_MISSED: u32 = 99;
/// The least grace a run gets before it counts as missed.
const MIN_GRACE_MS: i64 = 60_000;

/// A daemon's schedule, as the overdue rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub schedule: Schedule,
    pub tz: TimeZone,
    /// From the config; else a tenth of the interval, at least a minute.
    pub grace_ms: Option<i64>,
    /// Its runs can be seen (a runlog, a systemd unit, the bus): only then
    /// does a daemon with no run seen miss runs (from when watching began).
    pub sees_runs: bool,
}

/// What the schedule says of the last run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Due {
    /// The last run the count is from.
    pub from: Option<Millis>,
    /// No run seen: when fleettop began watching, what the count is from.
    pub watched_from: Option<Millis>,
    /// The next run expected: the first slot after the last run not yet
    /// counted as missed.
    pub next: Option<Millis>,
    /// Slots since the last run whose grace has passed, up to `MAX_MISSED`.
    pub missed: u32,
    pub grace_ms: i64,
}

impl Plan {
    /// The grace of the slot at `at`: the configured one, else a tenth of
    /// the time to the slot after it, at least a minute.
    fn grace(&self, at: Millis) -> i64 {
        if let Some(g) = self.grace_ms {
            return g.max(0);
        }
        let after = self.schedule.next_after(at, &self.tz);
        let interval = after.map_or(0, |n| n.saturating_sub(at));
        (interval / 10).max(MIN_GRACE_MS)
    }
}

/// The time of the daemon's last run (started, else finished), whatever
/// its outcome: a skipped run still ran on time.
fn last_run(a: &Agent) -> Option<Millis> {
    a.runs.iter().filter_map(|r| r.at()).max()
}

/// Brings `a.due` up to `now`.
pub(super) fn refresh(a: &mut Agent, now: Millis) {
    let watched = *a.watched_since.get_or_insert(now);
    let Some(plan) = &a.plan else {
        return;
    };
    let last = last_run(a);
    // A run seen (history read at start too) is what counts; none, the
    // slots since watching began.
    let watch = last.is_none().then_some(watched).filter(|_| plan.sees_runs);
    if a.due.from != last || a.due.watched_from != watch {
        let next = last.or(watch).and_then(|t| plan.schedule.next_after(t, &plan.tz));
        a.due = Due {
            from: last,
            watched_from: watch,
            next,
            missed: 0,
            grace_ms: next.map_or(MIN_GRACE_MS, |n| plan.grace(n)),
        };
    }
    while a.due.missed < MAX_MISSED
        && let Some(n) = a.due.next.filter(|n| n.saturating_add(a.due.grace_ms) <= now)
    {
        a.due.missed += 1;
        a.due.next = plan.schedule.next_after(n, &plan.tz);
    }
    // Past the cap, the next run expected is still ahead of now.
    if let Some(n) = a.due.next.filter(|n| a.due.missed >= MAX_MISSED && *n <= now) {
        a.due.next = plan.schedule.next_after(now.max(n), &plan.tz);
    }
}
