//! Overdue runs, the stale log gone critical, and the day's numbers, with
//! the store's clock.

use super::tests::titles as ticker;
use super::*;
use crate::model::Level;
use crate::store::Store;
use crate::store::clock_tests::{event, store};
use crate::update::Update;

const S: i64 = 1000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn daemon(lines: &str) -> Store {
    store(&format!("[[agents.daemon]]\nname = \"scout\"\n{lines}"))
}

/// A finished run of scout: started at `at`, `secs` long.
fn ran(st: &mut Store, kind: &str, exit: i32, at: i64, secs: i64) {
    let json = format!(
        r#"{{"agent":"scout","event":"{kind}","exit_code":{exit},"started_at":{},"finished_at":{}}}"#,
        at as f64 / 1000.0,
        (at + secs * S) as f64 / 1000.0
    );
    st.apply(event(&json), at + secs * S);
}

fn problem(st: &Store, now: i64, key: &str) -> Option<(Level, String)> {
    st.problems(now)
        .into_iter()
        .find(|p| p.title.contains(key))
        .map(|p| (p.level, p.title.to_string()))
}

#[test]
fn a_cron_daemon_that_stops_is_overdue_then_critical_then_recovers() {
    let mut st = daemon("schedule = \"*/15 * * * *\"\ntz = \"UTC\"\n");
    let t = ms("2026-12-01T10:00:05Z");
    ran(&mut st, "completed", 0, t, 20);
    // The 10:15 run, with its grace (a tenth of 15m = 90s), is not yet missed.
    st.tick(ms("2026-12-01T10:16:29Z"));
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.due.missed, a.due.next), (0, Some(ms("2026-12-01T10:15:00Z"))));
    assert_eq!(a.status(ms("2026-12-01T10:16:29Z")), AgentStatus::Ok);
    // One missed: overdue, warn.
    let now = ms("2026-12-01T10:16:31Z");
    st.tick(now);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.due.missed, a.due.next), (1, Some(ms("2026-12-01T10:30:00Z"))));
    assert_eq!(a.status(now), AgentStatus::Overdue);
    assert_eq!(
        problem(&st, now, "overdue"),
        Some((Level::Warn, "scout overdue: missed 1 run, last 16m ago".into()))
    );
    let warn = (Level::Warn, "scout overdue: missed 1 run, last 16m ago".to_string());
    assert!(ticker(&st).contains(&warn), "{:?}", ticker(&st));
    // Two missed: critical.
    let now = ms("2026-12-01T10:44:00Z");
    st.tick(now);
    assert_eq!(
        problem(&st, now, "overdue"),
        Some((Level::Critical, "scout overdue: missed 2 runs, last 43m ago".into()))
    );
    // It runs again: recovered, with an event for each edge (the warn one
    // has left the ticker by now).
    ran(&mut st, "completed", 0, ms("2026-12-01T10:50:00Z"), 5);
    let now = ms("2026-12-01T10:50:06Z");
    st.tick(now);
    assert_eq!(problem(&st, now, "overdue"), None);
    assert_eq!(st.agents.get("scout").unwrap().status(now), AgentStatus::Ok);
    let t = ticker(&st);
    let edges: Vec<_> = t
        .iter()
        .filter(|(_, x)| x.contains("overdue") || x.contains("ran again"))
        .collect();
    assert_eq!(
        edges,
        [
            &(
                Level::Critical,
                "scout overdue: missed 2 runs, last 43m ago".to_string()
            ),
            &(Level::Info, "scout ran again".to_string()),
        ],
        "{t:?}"
    );
}

#[test]
fn a_long_silence_is_counted_up_to_the_cap_and_the_next_run_is_ahead() {
    let mut st = daemon("schedule = \"* * * * *\"\ntz = \"UTC\"\n");
    let t = ms("2026-12-01T10:00:00Z");
    ran(&mut st, "completed", 0, t, 1);
    let now = t + 5 * H;
    st.tick(now);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.due.missed, MAX_MISSED);
    assert!(a.due.next.unwrap() > now, "{:?}", a.due);
    assert!(
        problem(&st, now, "overdue")
            .unwrap()
            .1
            .contains("missed 99+ runs, last 5h ago")
    );
}

#[test]
fn event_schedules_and_running_daemons_are_never_overdue() {
    let mut st = daemon("schedule = \"event:fleet.>\"\n");
    let t = ms("2026-12-01T10:00:00Z");
    ran(&mut st, "completed", 0, t, 1);
    st.tick(t + 48 * H);
    assert_eq!(st.agents.get("scout").unwrap().due.missed, 0);
    assert_eq!(problem(&st, t + 48 * H, "overdue"), None);

    let mut st = daemon("schedule = \"every 5m\"\n");
    let start = format!(r#"{{"agent":"scout","event":"started","started_at":{}}}"#, t / 1000);
    st.apply(event(&start), t);
    st.tick(t + H);
    assert_eq!(st.agents.get("scout").unwrap().status(t + H), AgentStatus::Running);
    assert_eq!(problem(&st, t + H, "overdue"), None);
}

#[test]
fn the_schedule_is_read_in_the_daemons_zone_and_grace_is_configurable() {
    // 07:00 in Berlin is 06:00 UTC in winter; the last run the day before.
    let mut st = daemon("schedule = \"0 7 * * *\"\ntz = \"Europe/Berlin\"\ngrace = \"30m\"\n");
    ran(&mut st, "completed", 0, ms("2026-11-30T06:00:10Z"), 60);
    st.tick(ms("2026-12-01T06:29:00Z"));
    assert_eq!(st.agents.get("scout").unwrap().due.missed, 0);
    st.tick(ms("2026-12-01T06:30:00Z"));
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.due.missed, 1);
    assert_eq!(a.due.next, Some(ms("2026-12-02T06:00:00Z")));
    // New York's 07:00 is five hours later: not yet due.
    let mut st = daemon("schedule = \"0 7 * * *\"\ntz = \"America/New_York\"\ngrace = \"30m\"\n");
    ran(&mut st, "completed", 0, ms("2026-11-30T12:00:10Z"), 60);
    st.tick(ms("2026-12-01T06:30:00Z"));
    assert_eq!(st.agents.get("scout").unwrap().due.missed, 0);
}

#[test]
fn a_log_that_stays_stale_becomes_critical() {
    let mut st = daemon("log_path = \"/x.log\"\nlog_max_age = \"10m\"\n");
    let t = ms("2026-12-01T10:00:00Z");
    let written = |at| {
        crate::update::Update::Agents(AgentUpdate::LogModified {
            agent: "scout".into(),
            at: Ok(at),
        })
    };
    st.apply(written(t), t + 11 * M);
    assert_eq!(problem(&st, t + 11 * M, "log").map(|p| p.0), Some(Level::Warn));
    st.apply(written(t), t + 21 * M);
    st.tick(t + 21 * M);
    assert_eq!(problem(&st, t + 21 * M, "log").map(|p| p.0), Some(Level::Critical));
    assert!(
        ticker(&st)
            .iter()
            .any(|(l, x)| *l == Level::Critical && x.contains("log not written"))
    );
}

#[test]
fn the_days_numbers_count_every_run_not_only_the_kept_ones() {
    let mut st = daemon("schedule = \"every 5m\"\ntimeout = \"50s\"\n");
    let t = ms("2026-12-01T10:00:00Z");
    // 100 runs, twice MAX_RUNS: 10 s each, every tenth failed, two of
    // them past the timeout (60 s), one ended by `timeout` (exit 124),
    // and skips that are not runs.
    for i in 0..100 {
        let at = t + i * 5 * M;
        match i {
            7 | 17 | 27 | 37 | 47 | 57 | 67 | 77 => ran(&mut st, "failed", 1, at, 10),
            87 => ran(&mut st, "failed", 124, at, 10),
            97 | 98 => ran(&mut st, "completed", 0, at, 60),
            _ => ran(&mut st, "completed", 0, at, 10),
        }
        ran(&mut st, "skipped", 0, at + M, 0);
    }
    let now = t + 100 * 5 * M;
    st.tick(now);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.runs.len(), MAX_RUNS);
    let d = a.day;
    assert_eq!((d.runs, d.ok, d.timeouts), (100, 89, 3));
    assert_eq!(d.ok_pct(), Some(89.0));
    assert_eq!(d.avg_ms(), Some(11_000.0));
    assert_eq!(d.p95_ms, Some(10_000));
    assert_eq!(st.agents.day.runs, 100);
    // A day later the first runs left the window.
    let later = t + 24 * H + 4 * H + 1;
    st.tick(later);
    let d = st.agents.get("scout").unwrap().day;
    assert_eq!(d.runs, 100 - 48);
    // A run replayed from the day before yesterday is not counted.
    ran(&mut st, "completed", 0, t - 48 * H, 1);
    st.tick(later);
    assert_eq!(st.agents.get("scout").unwrap().day.runs, 52);
}

#[test]
fn the_day_is_bounded_per_daemon() {
    let mut st = daemon("");
    let t = ms("2026-12-01T10:00:00Z");
    for i in 0..(stats::MAX_DAY_RUNS as i64 + 50) {
        ran(&mut st, "completed", 0, t + i * S, 1);
    }
    st.tick(t + 20_000 * S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.day_runs.len(), stats::MAX_DAY_RUNS);
    assert_eq!(a.day.runs, stats::MAX_DAY_RUNS as u64);
}

#[test]
fn a_run_whose_status_says_timeout_counts_as_a_timeout() {
    // No `timeout` in the config and a short run: only its status says so.
    let mut st = daemon("");
    let t = ms("2026-12-01T10:00:00Z");
    ran(&mut st, "completed", 0, t, 10);
    let json = r#"{"agent":"scout","event":"failed","status":"timeout","finished_at":"2026-12-01T10:05:03Z","duration_ms":3000}"#;
    st.apply(event(json), t + 6 * M);
    st.apply(
        event(r#"{"agent":"scout","event":"failed","status":"error","duration_ms":3000}"#),
        t + 7 * M,
    );
    st.tick(t + 8 * M);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.day.runs, a.day.ok, a.day.timeouts), (3, 1, 1));
    assert_eq!(st.agents.day.timeouts, 1);
    assert!(a.runs[1].timed_out && !a.runs[2].timed_out);
    assert!(
        ticker(&st)
            .iter()
            .any(|(l, x)| *l == Level::Error && x == "scout timed out"),
        "{:?}",
        ticker(&st)
    );
}

#[test]
fn a_systemd_run_that_hit_its_time_limit_counts_as_a_timeout() {
    use crate::parse::systemctl::UnitShow;
    let mut st = daemon("");
    let t = ms("2026-12-01T10:00:00Z");
    let unit = |invocation: &str, result: &str, exit: i32, end: i64| {
        crate::update::Update::Agents(AgentUpdate::Unit {
            agent: "scout".into(),
            unit: Ok(Box::new(UnitShow {
                id: "scout.service".into(),
                active: "failed".into(),
                sub: "failed".into(),
                result: result.into(),
                exit_status: Some(exit),
                invocation: invocation.into(),
                started_at: Some(end - 30 * S),
                exited_at: Some(end),
                ..UnitShow::default()
            })),
            timer: None,
            journal: None,
        })
    };
    st.apply(unit("i1", "exit-code", 1, t), t + S);
    st.apply(unit("i2", "timeout", 15, t + M), t + M + S);
    st.tick(t + 2 * M);
    let d = st.agents.get("scout").unwrap().day;
    assert_eq!((d.runs, d.ok, d.timeouts), (2, 0, 1));
}

/// A scheduled daemon whose runs fleettop can see (here a runlog) and that
/// has not run since fleettop began watching: its slots from then on count.
fn watched(lines: &str) -> Store {
    daemon(&format!("runlog = \"/nonexistent/runs.jsonl\"\n{lines}"))
}

#[test]
fn a_daemon_that_never_ran_is_overdue_from_when_watching_began() {
    let mut st = watched("schedule = \"*/15 * * * *\"\ntz = \"UTC\"\n");
    // Watching begins at 10:03; the 10:15 slot has 90 s of grace.
    st.tick(ms("2026-12-01T10:03:00Z"));
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.due.missed, a.due.next), (0, Some(ms("2026-12-01T10:15:00Z"))));
    assert_eq!(a.status(ms("2026-12-01T10:03:00Z")), AgentStatus::Unknown);
    st.tick(ms("2026-12-01T10:16:29Z"));
    assert_eq!(problem(&st, ms("2026-12-01T10:16:29Z"), "overdue"), None);
    let now = ms("2026-12-01T10:16:31Z");
    st.tick(now);
    assert_eq!(st.agents.get("scout").unwrap().status(now), AgentStatus::Overdue);
    assert_eq!(
        problem(&st, now, "overdue"),
        Some((Level::Warn, "scout overdue: missed 1 run, none seen in 13m".into()))
    );
    // Two slots: critical.
    let now = ms("2026-12-01T10:31:31Z");
    st.tick(now);
    assert_eq!(
        problem(&st, now, "overdue"),
        Some((Level::Critical, "scout overdue: missed 2 runs, none seen in 28m".into()))
    );
    // Its first run: recovered, and counted from that run on.
    ran(&mut st, "completed", 0, ms("2026-12-01T10:35:00Z"), 5);
    let now = ms("2026-12-01T10:35:06Z");
    st.tick(now);
    assert_eq!(problem(&st, now, "overdue"), None);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.due.missed, a.due.next), (0, Some(ms("2026-12-01T10:45:00Z"))));
    assert!(
        ticker(&st).contains(&(Level::Info, "scout ran".into())),
        "{:?}",
        ticker(&st)
    );
}

#[test]
fn a_daemon_whose_runs_cannot_be_seen_is_not_judged_before_a_run() {
    // A schedule and a heartbeat file, but no runlog, unit or bus.
    let mut st = daemon("schedule = \"every 5m\"\n");
    let t = ms("2026-12-01T10:00:00Z");
    st.tick(t);
    st.tick(t + 2 * H);
    assert_eq!(st.agents.get("scout").unwrap().due.missed, 0);
    assert_eq!(problem(&st, t + 2 * H, "overdue"), None);
}

#[test]
fn history_read_at_start_is_the_last_run_not_the_start() {
    // Restarted at 12:00; the runlog's history (read a moment later) says
    // the last run was at 10:05: seven slots missed since, at once.
    let mut st = watched("schedule = \"*/15 * * * *\"\ntz = \"UTC\"\n");
    let now = ms("2026-12-01T12:00:00Z");
    st.tick(now);
    assert_eq!(st.agents.get("scout").unwrap().due.missed, 0);
    let json = r#"{"agent":"scout","event":"completed","started_at":"2026-12-01T10:05:00Z","finished_at":"2026-12-01T10:05:20Z"}"#;
    let Update::Agents(AgentUpdate::Event { event, source, .. }) = event(json) else {
        unreachable!()
    };
    let history = AgentUpdate::Event {
        event,
        source,
        history: true,
    };
    st.apply(Update::Agents(history), now + S);
    st.tick(now + 2 * S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(
        (a.due.from, a.due.watched_from),
        (Some(ms("2026-12-01T10:05:00Z")), None)
    );
    assert_eq!(a.due.missed, 7, "10:15 to 11:45");
    assert_eq!(
        problem(&st, now + 2 * S, "overdue"),
        Some((Level::Critical, "scout overdue: missed 7 runs, last 1h ago".into()))
    );
    // A recent run in the history: not overdue, though watching just began.
    let mut st = watched("schedule = \"*/15 * * * *\"\ntz = \"UTC\"\n");
    st.tick(now);
    ran(&mut st, "completed", 0, ms("2026-12-01T11:45:00Z"), 20);
    st.tick(now + 60 * S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.due.missed, a.due.next), (0, Some(ms("2026-12-01T12:00:00Z"))));
}
