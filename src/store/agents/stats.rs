//! Every finished run of the last 24 hours, compact — time, duration,
//! outcome — not only the few whose output is kept: the success rate,
//! average and p95 duration and timeouts of each daemon and of the fleet.
//! Bounded per daemon and in all; sums are made on the tick, only for the
//! daemons that changed.

use super::{Agent, Outcome};
use crate::model::Millis;
use std::collections::VecDeque;

/// The window the numbers are over.
pub const WINDOW_MS: i64 = 24 * 3_600_000;
/// Runs kept per daemon (one every 9 s for a day).
pub const MAX_DAY_RUNS: usize = 10_000;
/// Runs kept for all daemons together; past it the daemon with the most
/// gives up its oldest.
pub const TOTAL_DAY_RUNS: usize = 200_000;

/// One finished run, 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Done {
    at: Millis,
    /// Milliseconds; `u32::MAX` when not known.
    dur_ms: u32,
    ok: bool,
    timeout: bool,
}

/// A daemon's runs of the window, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DayRuns {
    runs: VecDeque<Done>,
    /// Changed since its summary was made.
    dirty: bool,
}

/// The numbers of a window of runs (of one daemon, or all).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayStats {
    /// Finished runs (ok or failed; skips and cooldowns are not runs).
    pub runs: u64,
    /// Runs that succeeded within their timeout.
    pub ok: u64,
    pub timeouts: u64,
    /// Runs with a known duration, and their total.
    pub timed: u64,
    pub total_ms: u64,
    /// The 95th percentile duration (per daemon only).
    pub p95_ms: Option<u64>,
}

impl DayStats {
    /// Percent of runs ok, None without runs.
    pub fn ok_pct(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.ok as f64 * 100.0 / self.runs as f64)
    }

    pub fn avg_ms(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.total_ms as f64 / self.timed as f64)
    }

    fn add(&mut self, o: &DayStats) {
        self.runs += o.runs;
        self.ok += o.ok;
        self.timeouts += o.timeouts;
        self.timed += o.timed;
        self.total_ms += o.total_ms;
    }
}

impl DayRuns {
    pub(crate) fn len(&self) -> usize {
        self.runs.len()
    }

    /// Files a finished run at its place in time (replays come out of
    /// order); older than the window, it is not kept. Returns whether kept.
    fn push(&mut self, d: Done, now: Millis) -> bool {
        if now.saturating_sub(d.at) > WINDOW_MS {
            return false;
        }
        let i = self.runs.iter().rposition(|x| x.at <= d.at).map_or(0, |i| i + 1);
        self.runs.insert(i, d);
        if self.runs.len() > MAX_DAY_RUNS {
            self.runs.pop_front();
        }
        self.dirty = true;
        true
    }

    /// Drops what left the window.
    fn expire(&mut self, now: Millis) {
        while self.runs.front().is_some_and(|d| now.saturating_sub(d.at) > WINDOW_MS) {
            self.runs.pop_front();
            self.dirty = true;
        }
    }

    fn pop_oldest(&mut self) {
        self.runs.pop_front();
        self.dirty = true;
    }

    fn summary(&self) -> DayStats {
        let mut s = DayStats::default();
        let mut durations: Vec<u32> = Vec::with_capacity(self.runs.len());
        for d in &self.runs {
            s.runs += 1;
            s.ok += u64::from(d.ok && !d.timeout);
            s.timeouts += u64::from(d.timeout);
            if d.dur_ms != u32::MAX {
                durations.push(d.dur_ms);
                s.total_ms += u64::from(d.dur_ms);
            }
        }
        s.timed = durations.len() as u64;
        if !durations.is_empty() {
            // Nearest rank: the smallest duration at least 95 % of runs do not exceed.
            let rank = (durations.len() * 95).div_ceil(100).max(1) - 1;
            let (_, p95, _) = durations.select_nth_unstable(rank);
            s.p95_ms = Some(u64::from(*p95));
        }
        s
    }
}

/// Exit status of a run the `timeout` command ended.
const TIMEOUT_EXIT: i32 = 124;

/// Files run `i` of `a` when it just finished; returns whether kept.
pub(super) fn file(a: &mut Agent, i: usize, now: Millis) -> bool {
    let Some(r) = a.runs.get(i) else {
        return false;
    };
    let ok = match r.outcome {
        Outcome::Ok => true,
        Outcome::Failed => false,
        Outcome::Running | Outcome::Skipped | Outcome::Cooldown => return false,
    };
    let at = r.finished_at.or(r.started_at).unwrap_or(now);
    let dur = r.duration_ms.filter(|d| *d >= 0);
    let timeout = r.timed_out
        || r.exit_code == Some(TIMEOUT_EXIT)
        || matches!((dur, a.timeout_ms), (Some(d), Some(max)) if d > max);
    let done = Done {
        at,
        dur_ms: dur.map_or(u32::MAX, |d| u32::try_from(d).unwrap_or(u32::MAX - 1)),
        ok,
        timeout,
    };
    a.day_runs.push(done, now)
}

/// The day's numbers brought up to `now`: runs out of the window dropped,
/// the total bound kept, changed daemons summed again. Returns the fleet's.
pub(super) fn refresh(agents: &mut [Agent], now: Millis) -> DayStats {
    for a in agents.iter_mut() {
        a.day_runs.expire(now);
    }
    let mut total: usize = agents.iter().map(|a| a.day_runs.len()).sum();
    while total > TOTAL_DAY_RUNS {
        let Some(a) = agents.iter_mut().max_by_key(|a| a.day_runs.len()) else {
            break;
        };
        a.day_runs.pop_oldest();
        total -= 1;
    }
    let mut fleet = DayStats::default();
    for a in agents.iter_mut() {
        if a.day_runs.dirty {
            a.day = a.day_runs.summary();
            a.day_runs.dirty = false;
        }
        fleet.add(&a.day);
    }
    fleet
}

/// The day's numbers as the snapshot writes them (`runs_24h`, `agents_24h`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DaySnap {
    pub runs: u64,
    pub ok: u64,
    pub ok_pct: Option<f64>,
    pub timeouts: u64,
    pub avg_duration_ms: Option<f64>,
    /// Per daemon only; null in the fleet's totals.
    pub p95_duration_ms: Option<u64>,
}

impl From<&DayStats> for DaySnap {
    fn from(d: &DayStats) -> Self {
        let round = |x: f64| (x * 10.0).round() / 10.0;
        DaySnap {
            runs: d.runs,
            ok: d.ok,
            ok_pct: d.ok_pct().map(round),
            timeouts: d.timeouts,
            avg_duration_ms: d.avg_ms().map(f64::round),
            p95_duration_ms: d.p95_ms,
        }
    }
}
