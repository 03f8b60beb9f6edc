//! Time in the store: times from outside checked on arrival (clock skew),
//! and fleettop's own wall clock stepping under it.

use super::agents::AgentStatus;
use super::*;
use crate::model::{Disk, HostSample, HostState, Now};
use crate::parse::agent::{self, Parsed};
use crate::update::agents::AgentUpdate;

const S: i64 = 1000;
const YEAR: i64 = 365 * 86_400 * S;
/// 2026-05-09T18:30:00Z
pub(crate) const T0: i64 = 1_778_351_400_000;

pub(crate) fn store(extra: &str) -> Store {
    let text = format!(
        "[[hosts]]\nname = \"box\"\nlocal = true\ninterval = \"2s\"\n\
         [alerts]\ndisk_critical_after = \"10s\"\noffline_critical_after = \"5m\"\nevent_ttl = \"10m\"\n{extra}"
    );
    Store::new(&crate::config::parse_str(&text, "t").unwrap())
}

/// A sample of `box` with its /home 91 % full.
fn sample(at: Millis) -> Update {
    Update::Host {
        name: "box".into(),
        result: Ok(Box::new(HostSample {
            at,
            disks: vec![Disk {
                mount: "/home".into(),
                device: "sda1".into(),
                fs: "ext4".into(),
                used_bytes: 910,
                total_bytes: 1000,
                available_bytes: 90,
            }],
            ..HostSample::default()
        })),
    }
}

fn levels(st: &Store, now: Millis) -> Vec<(Level, String)> {
    st.problems(now)
        .into_iter()
        .map(|p| (p.level, p.title.to_string()))
        .collect()
}

/// The host answers every 2 s for `secs` seconds of both clocks from `at`;
/// returns the clock after.
fn answering(st: &mut Store, mut at: Now, secs: i64) -> Now {
    for _ in 0..secs / 2 {
        at = Now {
            wall: at.wall + 2 * S,
            mono: at.mono + 2 * S,
        };
        st.apply(sample(at.wall), at);
        st.tick(at);
    }
    at
}

#[test]
fn a_wall_clock_step_forward_turns_nothing_critical() {
    let mut st = store("");
    let start = Now { wall: T0, mono: 0 };
    st.apply(sample(T0), start);
    let at = answering(&mut st, start, 4);
    assert_eq!(levels(&st, at.wall), [(Level::Warn, "box disk /home 91% full".into())]);
    // NTP steps the wall clock a year ahead while one second passes.
    let jumped = Now {
        wall: at.wall + YEAR,
        mono: at.mono + S,
    };
    st.tick(jumped);
    assert_eq!(st.clock_steps, 1);
    assert_eq!(
        st.hosts[0].state(jumped.wall),
        HostState::Online,
        "the host answered 1 s ago"
    );
    assert_eq!(
        levels(&st, jumped.wall),
        [(Level::Warn, "box disk /home 91% full".into())],
        "held 5 s, not a year: not critical yet"
    );
    assert!(st.events.len() >= 2, "events keep their age: none expired");
    // The disk stays full: critical 10 s after it was first seen, by the
    // monotonic clock.
    let before = answering(&mut st, jumped, 4);
    assert_eq!(levels(&st, before.wall)[0].0, Level::Warn, "9 s");
    let at = answering(&mut st, before, 2);
    assert_eq!(levels(&st, at.wall)[0].0, Level::Critical, "11 s");
    let crit = st.events.newest_first().find(|e| e.level == Level::Critical).unwrap();
    assert_eq!(crit.at, at.wall, "escalated when 10 s had passed, not at the step");
}

#[test]
fn a_wall_clock_step_back_hides_no_failure() {
    let mut st = store("");
    let start = Now { wall: T0, mono: 0 };
    st.apply(sample(T0), start);
    let last = answering(&mut st, start, 4);
    // The host stops answering, and the wall clock goes back a day.
    let mut at = Now {
        wall: last.wall - 86_400 * S,
        mono: last.mono + S,
    };
    st.tick(at);
    assert_eq!(st.clock_steps, 1);
    assert_eq!(st.hosts[0].state(at.wall), HostState::Online);
    // Its last answer is 61 s old by the monotonic clock: offline, as
    // without the step.
    at.wall += 60 * S;
    at.mono += 60 * S;
    st.tick(at);
    assert_eq!(st.hosts[0].state(at.wall), HostState::Offline);
    assert!(
        levels(&st, at.wall)
            .iter()
            .any(|(l, t)| *l == Level::Error && t == "box offline")
    );
    // ... and critical after five minutes of it.
    at.wall += 300 * S;
    at.mono += 300 * S;
    st.tick(at);
    let p = levels(&st, at.wall);
    assert!(
        p.iter().any(|(l, t)| *l == Level::Critical && t == "box offline"),
        "{p:?}"
    );
}

#[test]
fn a_wall_time_alone_is_a_clock_that_never_steps() {
    let mut st = store("");
    st.apply(sample(0), 0);
    st.tick(10 * YEAR);
    assert_eq!(st.clock_steps, 0);
    assert_eq!(st.hosts[0].state(10 * YEAR), HostState::Offline);
}

pub(crate) fn event(json: &str) -> Update {
    let Ok(Parsed::Run(event)) = agent::parse(json) else {
        panic!("{json}")
    };
    Update::Agents(AgentUpdate::Event {
        event,
        source: "test".into(),
        history: false,
    })
}

/// The times that crashed `snapshot` for a day: a year past 9999 once the
/// offset is applied, a Unix time of 1e15 (year 33658), before 1970.
pub const BAD_TIMES: [&str; 4] = [
    r#""9999-12-31T23:59:59-23:59""#,
    "1e15",
    "-1e300",
    r#""1969-12-31T23:59:59Z""#,
];

#[test]
fn skewed_run_times_are_counted_dropped_and_never_panic() {
    let mut st = store("");
    for (i, t) in BAD_TIMES.iter().enumerate() {
        let kind = if i % 2 == 0 { "completed" } else { "failed" };
        st.apply(
            event(&format!(
                r#"{{"agent":"bot","event":"{kind}","started_at":{t},"finished_at":{t},"duration_ms":1e300}}"#
            )),
            T0,
        );
        st.apply(
            event(&format!(
                r#"{{"type":"daemon_complete","peer_id":"peer","data":"duration=99999999999999s","timestamp":{t}}}"#
            )),
            T0,
        );
    }
    st.tick(T0);
    let bot = st.agents.get("bot").unwrap();
    assert_eq!(bot.clock_skew, 8, "both times of each of the four runs");
    assert_eq!((bot.ok, bot.failed), (2, 2), "the runs still count");
    assert!(bot.runs.iter().all(|r| r.at().is_none()));
    assert!(bot.runs.iter().all(|r| r.duration_ms.is_some_and(|d| d >= 0)));
    assert_eq!(
        st.agents.get("peer").unwrap().clock_skew,
        8,
        "its start is computed from the time"
    );
    // A time just ahead (another host's clock a minute fast) is kept.
    let ahead = crate::model::rfc3339(T0 + 60 * S);
    st.apply(
        event(&format!(
            r#"{{"agent":"bot","event":"completed","finished_at":"{ahead}"}}"#
        )),
        T0,
    );
    assert_eq!(st.agents.get("bot").unwrap().last().unwrap().at(), Some(T0 + 60 * S));
}

#[test]
fn a_heartbeat_from_the_future_is_not_a_sign_of_life() {
    let mut st = store("[[agents.daemon]]\nname = \"deacon\"\nheartbeat_max_age = \"6m\"\n");
    let hb = |at| {
        Update::Agents(AgentUpdate::Heartbeat {
            agent: "deacon".into(),
            at: Ok(at),
        })
    };
    // 2099-01-01T00:00:00Z
    st.apply(hb(4_070_908_800_000), T0);
    let a = st.agents.get("deacon").unwrap();
    assert_ne!(a.status(T0), AgentStatus::Ok);
    assert_eq!(a.status(T0), AgentStatus::Stale);
    assert_eq!(a.last_heartbeat, None);
    assert_eq!(a.clock_skew, 1);
    assert_eq!(
        a.heartbeat_error.as_deref(),
        Some("clock skew: heartbeat dated 2099-01-01T00:00:00Z")
    );
    // The same as a heartbeat event on the bus, for an agent with no file.
    st.apply(
        event(r#"{"agent":"ghost","event":"heartbeat","timestamp":"2099-01-01T00:00:00Z"}"#),
        T0,
    );
    assert_ne!(st.agents.get("ghost").unwrap().status(T0), AgentStatus::Ok);
    // A real heartbeat clears it.
    st.apply(hb(T0 - S), T0);
    assert_eq!(st.agents.get("deacon").unwrap().status(T0), AgentStatus::Ok);
}

#[test]
fn a_pushed_sample_from_the_future_is_not_fresh() {
    let mut st = Store::new(
        &crate::config::parse_str(
            "[[hosts]]\nname = \"pi\"\nnats = true\n[[nats]]\nname = \"m\"\nurl = \"nats://127.0.0.1:4222\"\n",
            "t",
        )
        .unwrap(),
    );
    let push = |at| {
        Update::Push(PushUpdate::Host {
            key: "pi".into(),
            snap: Box::default(),
            at,
        })
    };
    for at in [T0 + YEAR, -S, i64::MIN, i64::MAX] {
        st.apply(push(at), T0);
    }
    let h = st.host("pi").unwrap();
    assert_eq!(h.clock_skew, 4);
    assert_eq!(h.last_seen, None);
    assert_ne!(h.state(T0), HostState::Online);
    assert!(
        h.last_error
            .as_ref()
            .unwrap()
            .to_string()
            .starts_with("clock skew: sampled at ")
    );
    st.apply(push(T0 - S), T0);
    assert_eq!(st.host("pi").unwrap().state(T0), HostState::Online);
}
