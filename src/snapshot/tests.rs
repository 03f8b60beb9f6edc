//! The snapshot's words: `state` a level for all but hosts and containers
//! (which carry `level`), an agent's run in `status`.

use super::*;
use crate::model::{Disk, HostSample};
use crate::update::agents::AgentUpdate;
use crate::update::{SourceError, Update};
use crate::update::{services::ContainerInfo, services::Kind, services::Row, services::ServiceUpdate};

const S: i64 = 1000;
const T: i64 = 1_780_000_000_000;

fn store(toml: &str) -> Store {
    Store::new(&crate::config::parse_str(toml, "t").unwrap())
}

fn json(store: &Store, now: Millis) -> serde_json::Value {
    serde_json::to_value(Snapshot::build(store, now)).unwrap()
}

fn agent_event(kind: &str, exit: i32, at: Millis) -> Update {
    let line = format!(
        r#"{{"agent":"librarian","event":"{kind}","exit_code":{exit},"started_at":{},"finished_at":{}}}"#,
        at / 1000,
        at / 1000 + 5
    );
    match crate::parse::agent::parse(&line) {
        Ok(crate::parse::agent::Parsed::Run(event)) => Update::Agents(AgentUpdate::Event {
            event,
            source: "t".into(),
            history: true,
        }),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_agent_failing_its_streak_is_critical_and_its_status_failed() {
    let mut st = store("[alerts]\nagent_fail_streak_critical = 3\n");
    st.apply(agent_event("completed", 0, T), T);
    let a = &json(&st, T + S)["agents"][0];
    assert_eq!((&a["state"], &a["status"]), (&"ok".into(), &"ok".into()), "{a}");
    for i in 1..=2 {
        st.apply(agent_event("failed", 1, T + i * 60 * S), T + i * 60 * S);
    }
    let a = &json(&st, T + 200 * S)["agents"][0];
    assert_eq!((&a["state"], &a["status"]), (&"error".into(), &"failed".into()), "{a}");
    st.apply(agent_event("failed", 1, T + 300 * S), T + 300 * S);
    let a = &json(&st, T + 400 * S)["agents"][0];
    assert_eq!(
        (&a["state"], &a["status"]),
        (&"critical".into(), &"failed".into()),
        "{a}"
    );
    assert_eq!(a["fail_streak"], 3);
}

#[test]
fn a_stale_heartbeat_is_a_warning_then_critical_in_one_round() {
    let toml = "[[agents.daemon]]\nname = \"scout\"\nheartbeat_max_age = \"6m\"\n";
    let hb = Update::Agents(AgentUpdate::Heartbeat {
        agent: "scout".into(),
        at: Ok(T),
    });
    // A fresh store at each moment: one round, as `snapshot` sees it.
    for (after, state) in [(60, "ok"), (7 * 60, "warn"), (13 * 60, "critical")] {
        let mut st = store(toml);
        let now = T + after * S;
        st.apply(hb.clone(), now);
        st.tick(now);
        let a = &json(&st, now)["agents"][0];
        let status = if state == "ok" { "ok" } else { "stale" };
        assert_eq!(
            (&a["state"], &a["status"]),
            (&state.into(), &status.into()),
            "{after}s: {a}"
        );
    }
    let unknown = &json(&store(toml), T)["agents"][0];
    assert_eq!(
        (&unknown["state"], &unknown["status"]),
        (&"unknown".into(), &"unknown".into())
    );
}

fn row(key: &str, group: Option<&str>, health: Health) -> Update {
    let mut r = Row::new(key, Kind::Http, key, health, "HTTP 502");
    r.group = group.map(str::to_string);
    Update::Services(ServiceUpdate::Result(Box::new(r)))
}

#[test]
fn services_say_levels_and_a_group_all_down_is_critical_in_a_one_round_view() {
    let mut st = store("");
    st.services.group_rounds = 1;
    st.apply(row("http:t1", Some("tunnels"), Health::Error), T);
    st.apply(row("http:t2", Some("tunnels"), Health::Error), T);
    st.apply(row("http:api", None, Health::Ok), T);
    let v = json(&st, T);
    let states: Vec<_> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("http:t1", "critical"), ("http:t2", "critical"), ("http:api", "ok")]
    );
    assert_eq!(v["problems"][0]["level"], "critical", "{}", v["problems"]);
}

#[test]
fn containers_keep_dockers_word_and_add_the_level() {
    let mut st = store("");
    let mut r = Row::new("docker:local/web", Kind::Container, "web", Health::Error, "exited (1)");
    r.container = Some(ContainerInfo {
        endpoint: "local".into(),
        state: "exited".into(),
        ..ContainerInfo::default()
    });
    st.apply(
        Update::Services(ServiceUpdate::Set {
            scope: "docker:local".into(),
            rows: vec![r],
        }),
        T,
    );
    let v = json(&st, T);
    let c = &v["containers"][0];
    assert_eq!((&c["state"], &c["level"]), (&"exited".into(), &"error".into()), "{c}");
    assert_eq!(v["services"][0]["state"], "error");
}

fn sample(at: Millis, used: u64, available: u64) -> Box<HostSample> {
    Box::new(HostSample {
        at,
        disks: vec![Disk {
            mount: "/".into(),
            device: "vda".into(),
            fs: "ext4".into(),
            total_bytes: 1000,
            used_bytes: used,
            available_bytes: available,
        }],
        ..HostSample::default()
    })
}

#[test]
fn hosts_keep_their_state_and_add_the_level() {
    let hosts: String = ["a", "b", "c"]
        .iter()
        .map(|n| format!("[[hosts]]\nname = \"{n}\"\nssh = \"me@{n}.lan\"\n"))
        .collect();
    let mut st = store(&hosts);
    let v = json(&st, T);
    // Before its first answer.
    assert_eq!(
        (&v["hosts"][0]["state"], &v["hosts"][0]["level"]),
        (&"stale".into(), &"unknown".into())
    );
    for (name, result) in [
        ("a", Ok(sample(T, 100, 850))),
        ("b", Ok(sample(T, 800, 150))),
        ("c", Err(SourceError::Unreachable("connection refused".into()))),
    ] {
        st.apply(
            Update::Host {
                name: name.into(),
                result,
            },
            T,
        );
    }
    let v = json(&st, T);
    let hosts: Vec<_> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["state"].as_str().unwrap(), h["level"].as_str().unwrap()))
        .collect();
    // b: 800 of the 950 a user may fill, 85 % as df says: over
    // disk_warn_pct (80), under disk_critical_pct (90).
    assert_eq!(hosts, [("online", "ok"), ("online", "warn"), ("offline", "error")]);
    assert_eq!(v["hosts"][1]["disks"][0]["available_bytes"], 150);
    assert_eq!(v["schema_version"], SCHEMA_VERSION);
}

#[test]
fn a_pushed_disk_is_read_as_df_would_have_it() {
    let snap: HostSnap = serde_json::from_str(
        r#"{"last_seen": "2026-05-09T18:30:00Z", "disks": [
            {"mount": "/", "total_bytes": 1000, "used_bytes": 100, "available_bytes": 850},
            {"mount": "/old-agent", "total_bytes": 1000, "used_bytes": 250},
            {"mount": "/lies", "total_bytes": 1000, "used_bytes": 5000, "available_bytes": 7000}]}"#,
    )
    .unwrap();
    let s = crate::store::sample_from_snap(&snap, T);
    let sizes: Vec<_> = s
        .disks
        .iter()
        .map(|d| (d.total_bytes, d.used_bytes, d.available_bytes, d.used_pct()))
        .collect();
    assert_eq!(
        sizes,
        [(1000, 100, 850, 11.0), (1000, 250, 750, 25.0), (1000, 1000, 0, 100.0)]
    );
}

#[test]
fn a_pushed_mac_s_memory_pressure_is_bounded() {
    let read = |json: &str| {
        let snap: HostSnap = serde_json::from_str(json).unwrap();
        crate::store::sample_from_snap(&snap, T).mem_pressure_pct
    };
    assert_eq!(read(r#"{"mem_pressure_pct": 62.0}"#), Some(62.0));
    assert_eq!(read(r#"{"mem_pressure_pct": 1e300}"#), Some(100.0));
    assert_eq!(read(r#"{"mem_pressure_pct": -5}"#), Some(0.0));
    assert_eq!(read(r#"{}"#), None, "an agent older than the field, or not a Mac");
}

#[test]
fn skewed_run_times_are_no_time_in_the_snapshot() {
    use crate::store::clock_tests::{BAD_TIMES, T0, event, store};
    let mut st = store("");
    for (i, t) in BAD_TIMES.iter().enumerate() {
        let kind = if i % 2 == 0 { "completed" } else { "failed" };
        st.apply(
            event(&format!(
                r#"{{"agent":"bot","event":"{kind}","started_at":{t},"finished_at":{t},"duration_ms":1e300}}"#
            )),
            T0,
        );
    }
    st.tick(T0);
    let v = json(&st, T0);
    let bot = v["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "bot")
        .unwrap();
    assert_eq!(bot["last_run_at"], serde_json::Value::Null);
    assert_eq!(bot["clock_skew"], 8);
}

#[test]
fn a_pushed_host_s_skewed_samples_are_counted_in_the_snapshot() {
    use crate::store::clock_tests::T0;
    use crate::update::PushUpdate;
    let mut st =
        store("[[hosts]]\nname = \"pi\"\nnats = true\n[[nats]]\nname = \"m\"\nurl = \"nats://127.0.0.1:4222\"\n");
    for at in [T0 + 365 * 86_400 * S, -S, i64::MIN, i64::MAX, T0 - S] {
        st.apply(
            Update::Push(PushUpdate::Host {
                key: "pi".into(),
                snap: Box::default(),
                at,
            }),
            T0,
        );
    }
    assert_eq!(json(&st, T0)["hosts"][0]["clock_skew"], 4);
}

/// A launchd row's `launchd` object: the audit as it was written field by
/// field before (state as `cohort`, RFC 3339 times, no log tail or raw
/// fields), in that order.
#[test]
fn a_launchd_audit_serialises_as_the_snapshot_object() {
    use crate::parse::launchctl::{Audit, State};
    let a = Audit {
        label: "local.report".into(),
        state: State::NotLoaded,
        cause: Some("script deleted: ~/x.sh".into()),
        severe: true,
        pid: Some(7),
        last_exit: Some(-9),
        location: "user".into(),
        plist: Some("~/Library/LaunchAgents/local.report.plist".into()),
        keep_alive: "always".into(),
        schedule: "every 1h".into(),
        program: vec!["/bin/sh".into(), "x.sh".into()],
        stderr_path: None,
        stderr_tail: vec!["boom".into()],
        last_ok_at: Some(T),
        fields: vec![("k".into(), "v".into())],
    };
    let text = serde_json::to_string(&a).unwrap();
    let want = concat!(
        r#"{"label":"local.report","cohort":"not loaded","cause":"script deleted: ~/x.sh","#,
        r#""severe":true,"pid":7,"last_exit":-9,"location":"user","#,
        r#""plist":"~/Library/LaunchAgents/local.report.plist","keep_alive":"always","#,
        r#""schedule":"every 1h","program":["/bin/sh","x.sh"],"stderr_path":null,"#,
        r#""last_ok_at":"2026-05-28T20:26:40Z"}"#
    );
    assert_eq!(text, want);
}
