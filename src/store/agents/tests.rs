use super::*;
use crate::model::Level;
use crate::parse::agent::AgentEvent;
use crate::parse::agent::Kind;
use crate::store::Store;
use crate::update::Update;

const S: i64 = 1000;
const T: i64 = 1_780_000_000_000;

fn store(extra: &str) -> Store {
    let c = crate::config::parse_str(
        &format!("[[agents.daemon]]\nname = \"scout\"\ntag = \"sc\"\nschedule = \"*/15 * * * *\"\n{extra}"),
        "t",
    )
    .unwrap();
    Store::new(&c)
}

fn event(json: &str) -> Update {
    match crate::parse::agent::parse(json) {
        Ok(crate::parse::agent::Parsed::Run(e)) => Update::Agents(AgentUpdate::Event {
            event: e,
            source: "test".into(),
            history: false,
        }),
        other => panic!("{other:?}"),
    }
}

fn run(kind: &str, exit: i32, at: i64) -> Update {
    event(&format!(
        r#"{{"agent":"scout","event":"{kind}","exit_code":{exit},"started_at":{},"finished_at":{},"output":"banner\n{{\"summary\":\"run at {at}\"}}"}}"#,
        at / 1000,
        at / 1000 + 30
    ))
}

/// A run event built directly (no JSON), for the bounds tests.
fn raw_event(agent: &str, kind: Kind, at: i64, output: String) -> Update {
    let event = AgentEvent {
        agent: agent.into(),
        tag: None,
        kind,
        trigger: None,
        started_at: Some(at),
        finished_at: Some(at),
        duration_ms: None,
        exit_code: None,
        output: Some(output),
        summary: None,
        machine: None,
        timed_out: false,
    };
    Update::Agents(AgentUpdate::Event {
        event,
        source: "t".into(),
        history: false,
    })
}

pub(super) fn titles(st: &Store) -> Vec<(Level, String)> {
    let mut v: Vec<_> = st.events.newest_first().map(|e| (e.level, e.title.clone())).collect();
    v.reverse();
    v
}

#[test]
fn runs_count_and_extract_their_output() {
    let mut st = store("");
    st.apply(run("completed", 0, T), T + 30 * S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.ok, a.failed, a.fail_streak), (1, 0, 0));
    assert_eq!(a.last().unwrap().extracted, format!("run at {T}"));
    assert_eq!(a.last().unwrap().duration_ms, Some(30_000));
    assert_eq!(a.status(T + 31 * S), AgentStatus::Ok);
    assert_eq!(
        titles(&st),
        [(Level::Info, format!("scout completed in 30s: run at {T}"))]
    );
}

#[test]
fn a_fail_streak_becomes_critical_and_recovers() {
    let mut st = store("[alerts]\nagent_fail_streak_critical = 3\n");
    for i in 0..2 {
        st.apply(run("failed", 1, T + i * 900 * S), T + i * 900 * S);
    }
    let p = st.problems(T + 2_000 * S);
    assert_eq!(
        (p[0].level, p[0].title.as_str()),
        (Level::Error, "scout failed 2 times in a row")
    );
    st.apply(run("completed", 2, T + 1800 * S), T + 1800 * S);
    assert_eq!(
        st.agents.get("scout").unwrap().fail_streak,
        3,
        "a non-zero exit code is a failure"
    );
    assert_eq!(st.problems(T + 1801 * S)[0].level, Level::Critical);
    st.apply(run("completed", 0, T + 2700 * S), T + 2700 * S);
    assert!(st.problems(T + 2701 * S).is_empty());
    let t = titles(&st);
    assert!(
        t.iter()
            .any(|(l, x)| *l == Level::Critical && x.starts_with("scout failed (exit 2)")),
        "{t:?}"
    );
    assert!(
        t.iter()
            .any(|(l, x)| *l == Level::Info && x == "scout recovered after 3 failed runs"),
        "{t:?}"
    );
}

#[test]
fn a_skip_is_not_a_failure() {
    let mut st = store("");
    st.apply(run("failed", 1, T), T);
    let skip = r#"{"type":"daemon_triage","peer_id":"scout","summary":"nothing to do","data":"outcome=skip","timestamp":"2026-05-09T18:31:30Z"}"#;
    st.apply(event(skip), T + S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(
        (a.failed, a.skipped, a.fail_streak),
        (1, 1, 1),
        "the streak neither grows nor resets"
    );
    assert_eq!(a.status(T + S), AgentStatus::Skipped);
}

#[test]
fn a_cooldown_keeps_the_streak_and_says_so() {
    let mut st = store("");
    st.apply(run("failed", 1, T), T);
    st.apply(run("failed", 1, T + S), T + S);
    let cool = r#"{"type":"daemon_triage","peer_id":"scout","summary":"2 failures: waiting 30m","data":"outcome=cooldown","timestamp":"2026-05-09T18:31:30Z"}"#;
    st.apply(event(cool), T + 2 * S);
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.failed, a.skipped, a.fail_streak), (2, 1, 2));
    assert_eq!(a.status(T + 2 * S), AgentStatus::Cooldown);
    assert_eq!(a.status(T + 2 * S).as_str(), "cooldown");
    assert!(
        titles(&st)
            .iter()
            .any(|(l, x)| *l == Level::Info && x == "scout cooling down"),
        "{:?}",
        titles(&st)
    );
}

#[test]
fn started_then_completed_is_one_run() {
    let mut st = store("");
    st.apply(
        event(r#"{"agent":"scout","event":"started","started_at":"2026-05-09T18:30:00Z","trigger":"cron"}"#),
        T,
    );
    assert_eq!(st.agents.get("scout").unwrap().status(T), AgentStatus::Running);
    st.apply(
        event(r#"{"agent":"scout","event":"completed","finished_at":"2026-05-09T18:30:31Z","exit_code":0}"#),
        T,
    );
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.runs.len(), 1);
    let r = a.last().unwrap();
    assert_eq!(
        (r.outcome, r.duration_ms, r.trigger.as_str()),
        (Outcome::Ok, Some(31_000), "")
    );
    assert_eq!(r.started_at, Some(1_778_351_400_000));
}

#[test]
fn unknown_agents_add_rows_and_names_are_sanitised() {
    let mut st = store("");
    st.apply(
        event("{\"agent\":\"evil\\u001b[2Jname\",\"tag\":\"t\\u0007\",\"event\":\"completed\"}"),
        T,
    );
    let a = st.agents.agents.last().unwrap();
    assert_eq!(
        (a.name.as_str(), a.tag.as_str(), a.configured),
        ("evilname", "t", false)
    );
}

#[test]
fn history_and_output_are_bounded() {
    let mut st = store("");
    let big = "x".repeat(5 << 20); // a 5 MB output
    for i in 0..(MAX_RUNS as i64 + 5) {
        let output = if i == 0 { big.clone() } else { "ok".into() };
        st.apply(raw_event("scout", Kind::Completed, T + i, output), T);
        if i == 0 {
            let r = st.agents.get("scout").unwrap().last().unwrap();
            assert_eq!((r.output.len(), r.output_cut), (MAX_OUTPUT, (5 << 20) - MAX_OUTPUT));
        }
    }
    let a = st.agents.get("scout").unwrap();
    assert_eq!((a.runs.len(), a.runs_dropped, a.ok), (MAX_RUNS, 5, MAX_RUNS as u64 + 5));
}

#[test]
fn a_stale_heartbeat_warns_then_goes_critical() {
    let mut st = store("heartbeat_max_age = \"6m\"\n");
    let hb = |at: Result<i64, String>| {
        Update::Agents(AgentUpdate::Heartbeat {
            agent: "scout".into(),
            at,
        })
    };
    st.apply(hb(Ok(T)), T);
    assert!(st.problems(T + 60 * S).is_empty());
    st.tick(T + 361 * S);
    let p = st.problems(T + 361 * S);
    assert_eq!(
        (p[0].level, p[0].title.as_str()),
        (Level::Warn, "scout stale: no run or heartbeat for 6m")
    );
    st.tick(T + 722 * S);
    assert_eq!(
        st.problems(T + 722 * S)[0].level,
        Level::Critical,
        "stale for another max age"
    );
    st.apply(hb(Ok(T + 723 * S)), T + 723 * S);
    assert!(st.problems(T + 723 * S).is_empty());
    assert_eq!(titles(&st).last().unwrap().1, "scout alive again");
    st.apply(
        hb(Err("heartbeat file: No such file or directory".into())),
        T + 2_000 * S,
    );
    assert!(st.problems(T + 2_000 * S)[0].title.contains("No such file"));
}

#[test]
fn a_daemon_running_far_more_often_than_scheduled_is_a_runaway() {
    let mut st = store("");
    for i in 0..13 {
        st.apply(run("completed", 0, T + i * 60 * S), T + i * 60 * S);
    }
    let p = st.problems(T + 13 * 60 * S);
    assert!(
        p.iter().any(|p| p.title == "scout runaway: 13 runs in the last hour"),
        "{p:?}"
    );
    // The limit comes from the cron evaluator: 4 an hour, so 13 is a runaway.
    assert_eq!(st.agents.get("scout").unwrap().per_hour, Some(4.0));
}

#[test]
fn fleet_notices_go_to_the_ticker_with_a_level() {
    let mut st = store("");
    for (json, level) in [
        (
            r#"{"type":"security_alert","peer_id":"laptop","summary":"ssh brute force"}"#,
            Level::Error,
        ),
        (r#"{"type":"peer_joined","peer_id":"laptop"}"#, Level::Info),
        (r#"{"type":"peer_left","peer_id":"laptop"}"#, Level::Warn),
    ] {
        let Ok(crate::parse::agent::Parsed::Notice(n)) = crate::parse::agent::parse(json) else {
            panic!()
        };
        st.apply(Update::Agents(AgentUpdate::Notice(n)), T);
        assert_eq!(st.events.newest_first().next().unwrap().level, level, "{json}");
    }
}

#[test]
fn a_missing_process_is_a_problem_once_the_host_has_a_process_table() {
    let c = crate::config::parse_str(
        "[[hosts]]\nname = \"box\"\nlocal = true\n[[agents.daemon]]\nname = \"crash-bot\"\nprocess = \"pm_crash\"\n",
        "t",
    )
    .unwrap();
    let mut st = Store::new(&c);
    st.tick(T);
    assert!(
        st.problems(T).is_empty(),
        "no process table yet: unknown, not a problem"
    );
    let sample = |names: &[&str]| crate::model::HostSample {
        at: T,
        processes: names
            .iter()
            .map(|n| crate::model::Process {
                pid: 1,
                name: (*n).into(),
                cmd: format!("python3 /opt/{n}.py"),
                user: "u".into(),
                cpu_pct: 0.0,
                mem_bytes: 0,
                state: "Sleeping",
            })
            .collect(),
        ..Default::default()
    };
    st.apply(
        Update::Host {
            name: "box".into(),
            result: Ok(Box::new(sample(&["bash"]))),
        },
        T,
    );
    st.tick(T);
    assert_eq!(st.problems(T)[0].title, "crash-bot: no process matching \"pm_crash\"");
    st.apply(
        Update::Host {
            name: "box".into(),
            result: Ok(Box::new(sample(&["pm_crash_monitor"]))),
        },
        T + S,
    );
    st.tick(T + S);
    assert!(st.problems(T + S).is_empty());
}

#[test]
fn outputs_with_escape_sequences_are_sanitised() {
    let mut st = store("");
    let raw = "\u{1b}]0;pwned title\u{7}\u{1b}[2J\u{1b}[H\u{1b}[1;31mred\u{1b}[0m line\r\nnext\u{9b}2Jline\n{\"summary\":\"done \u{1b}[32mok\u{1b}[0m\"}";
    st.apply(raw_event("scout", Kind::Completed, T, raw.into()), T);
    let r = st.agents.get("scout").unwrap().last().unwrap();
    assert_eq!(r.output, "red line\nnextline\n{\"summary\":\"done ok\"}");
    assert_eq!(r.extracted, "done ok");
    assert!(!r.output.contains('\u{1b}') && !r.output.contains('\u{9b}'));
}

#[test]
fn an_event_storm_stays_bounded() {
    let mut st = store("");
    for i in 0..10_000i64 {
        let agent = format!("storm-{}", i % 100);
        let kind = if i % 3 == 0 { Kind::Failed } else { Kind::Completed };
        st.apply(raw_event(&agent, kind, T + i, "x".repeat(2_000)), T + i);
    }
    assert_eq!(st.agents.agents.len(), 101, "the configured one and 100 new rows");
    assert!(st.agents.agents.iter().all(|a| a.runs.len() <= MAX_RUNS));
    assert!(st.events.len() <= crate::store::EVENT_RING_CAP);
    let total: u64 = st.agents.agents.iter().map(|a| a.ok + a.failed).sum();
    assert_eq!(total, 10_000, "every event counted");
    // 100 runs per agent in a few seconds is a runaway for an event-triggered daemon? Not by
    // itself (no schedule); but the store kept at most MAX_RUNS runs of 2 kB each per agent.
    let bytes: usize = st
        .agents
        .agents
        .iter()
        .flat_map(|a| a.runs.iter())
        .map(|r| r.output.len())
        .sum();
    assert!(bytes <= 101 * MAX_RUNS * 2_000, "{bytes}");
}

/// Found by fuzzing: a run or log time near the start of i64 made the
/// staleness and hourly counts overflow (a panic in debug builds).
#[test]
fn times_at_the_start_of_i64_do_not_overflow() {
    let mut st = store("heartbeat_max_age = \"6m\"\nlog_max_age = \"1m\"\n");
    st.apply(event(r#"{"agent":"scout","event":"completed","finished_at":-9e18}"#), T);
    let at = Ok(i64::MIN);
    st.apply(
        Update::Agents(AgentUpdate::LogModified {
            agent: "scout".into(),
            at,
        }),
        T,
    );
    st.tick(T);
    let a = st.agents.get("scout").unwrap();
    assert_eq!(a.clock_skew, 2, "both times dropped as clock skew");
    assert!(!a.heartbeat_stale(T), "no sign of life, so nothing to go stale");
    assert_eq!(a.runs_last_hour(T), 0);
    assert_eq!(a.log_modified, None, "a log time before 1970 is not kept");
}
