//! Missed runs and the day's numbers through the real binary: a runlog of
//! a scheduled daemon whose runs stop, read by `fleettop snapshot` and
//! `fleettop check` (times in the past rather than waiting).

use crate::common;

use crate::agents_cli::run as fleettop;
use common::named;

const MIN: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// A runlog of `every 10m` runs over the last day, the last one `last_ago`
/// before now: 8 s each, every tenth failed, every 25th ended by
/// `timeout` (exit 124).
fn runlog(agent: &str, now: i64, last_ago: i64) -> (String, u64, u64, u64) {
    let (mut text, mut runs, mut ok, mut timeouts) = (String::new(), 0, 0, 0);
    let last = now - last_ago;
    for i in 0..150 {
        let at = last - i * 10 * MIN;
        let (event, exit) = match i {
            i if i % 25 == 3 => ("failed", 124),
            i if i % 10 == 7 => ("failed", 1),
            _ => ("completed", 0),
        };
        if now - at <= 24 * 60 * MIN {
            runs += 1;
            ok += u64::from(exit == 0);
            timeouts += u64::from(exit == 124);
        }
        text = format!(
            "{{\"agent\":\"{agent}\",\"event\":\"{event}\",\"exit_code\":{exit},\"started_at\":\"{}\",\"finished_at\":\"{}\"}}\n{text}",
            rfc3339(at),
            rfc3339(at + 8_000)
        );
    }
    (text, runs, ok, timeouts)
}

#[test]
fn a_daemon_whose_runs_stop_is_overdue_then_critical_with_its_day_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (log, cfg) = (dir.path().join("runs.jsonl"), dir.path().join("c.toml"));
    let events = dir.path().join("events.jsonl");
    let now = now_ms() / 1000 * 1000;
    // 14 minutes since the last run: the one due 4 minutes ago is missed
    // (grace: a tenth of 10m, at least 1m), the next is 6 minutes ahead.
    let (text, runs, ok, timeouts) = runlog("scout", now, 14 * MIN);
    std::fs::write(&log, text).unwrap();
    // An event-driven daemon silent for two days is never overdue.
    let (old, ..) = runlog("ears", now, 48 * 60 * MIN);
    std::fs::write(&events, old).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[[agents.daemon]]\nname = \"scout\"\nschedule = \"every 10m\"\ntz = \"UTC\"\nrunlog = \"{}\"\n\n\
             [[agents.daemon]]\nname = \"ears\"\nschedule = \"event:fleet.>\"\nrunlog = \"{}\"\n",
            log.display(),
            events.display()
        ),
    )
    .unwrap();
    let o = fleettop(&["snapshot"], &cfg, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::schema_valid(&v);
    let scout = named(&v["agents"], "scout");
    assert_eq!(
        (&scout["status"], &scout["state"]),
        (&"overdue".into(), &"warn".into()),
        "{scout}"
    );
    assert_eq!(scout["missed_runs"], 1);
    assert_eq!(scout["next_run_at"], rfc3339(now - 14 * MIN + 20 * MIN));
    // Every run of the day counted, not the 50 kept with their output.
    let day = &scout["runs_24h"];
    assert!(runs > 140, "{runs}");
    assert_eq!(
        (&day["runs"], &day["ok"], &day["timeouts"]),
        (&runs.into(), &ok.into(), &timeouts.into()),
        "{day}"
    );
    assert_eq!(day["avg_duration_ms"], 8000.0);
    assert_eq!(day["p95_duration_ms"], 8000);
    assert_eq!(v["agents_24h"]["runs"], runs, "{}", v["agents_24h"]);
    let ears = named(&v["agents"], "ears");
    assert_eq!(
        (&ears["status"], &ears["missed_runs"]),
        (&"ok".into(), &0.into()),
        "{ears}"
    );
    let o = fleettop(&["check"], &cfg, &dir);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("scout overdue: missed 1 run, last 14m ago"), "{out}");

    // Ten minutes on, still no run: two missed, critical.
    let (text, ..) = runlog("scout", now, 24 * MIN);
    std::fs::write(&log, text).unwrap();
    let o = fleettop(&["snapshot"], &cfg, &dir);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let scout = named(&v["agents"], "scout");
    assert_eq!(
        (&scout["status"], &scout["state"]),
        (&"overdue".into(), &"critical".into()),
        "{scout}"
    );
    assert_eq!(scout["missed_runs"], 2);
    let o = fleettop(&["check"], &cfg, &dir);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("CRITICAL scout: scout overdue: missed 2 runs, last 24m ago"),
        "{out}"
    );
}

#[test]
fn a_bad_schedule_or_zone_is_a_config_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[[agents.daemon]]\nname = \"scout\"\nschedule = \"0 7 * * *\"\ntz = \"Europe/Atlantis\"\n";
    let err = crate::agents_cli::config_error(&["snapshot"], toml, &dir);
    assert!(err.contains("c.toml:4:6") && err.contains("Europe/Atlantis"), "{err}");
    let toml = "[[agents.daemon]]\nname = \"scout\"\nschedule = \"0 25 * * *\"\n";
    let err = crate::agents_cli::config_error(&["check"], toml, &dir);
    assert!(err.contains("c.toml:3:12") && err.contains("hour"), "{err}");
}

#[test]
fn a_run_whose_status_says_timeout_counts_as_a_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (log, cfg) = (dir.path().join("runs.jsonl"), dir.path().join("c.toml"));
    let now = now_ms() / 1000 * 1000;
    // Short runs and no `timeout` in the config: only their status (in
    // each format fleettop reads) says the time limit ended them.
    let at = |ago: i64| rfc3339(now - ago * MIN);
    let lines = [
        format!(
            r#"{{"agent":"scout","event":"completed","exit_code":0,"finished_at":"{}","duration_ms":2000}}"#,
            at(30)
        ),
        format!(
            r#"{{"agent":"scout","event":"failed","status":"timeout","finished_at":"{}","duration_ms":3000}}"#,
            at(20)
        ),
        format!(
            r#"{{"agent":"scout","event":"failed","exit_code":1,"finished_at":"{}","duration_ms":3000}}"#,
            at(10)
        ),
        format!(
            r#"{{"type":"daemon_timeout","peer_id":"helper","data":"duration=5s","timestamp":"{}"}}"#,
            at(5)
        ),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[agents]\ndiscover = true\n\n[[agents.daemon]]\nname = \"scout\"\nrunlog = \"{}\"\n",
            log.display()
        ),
    )
    .unwrap();
    let o = fleettop(&["snapshot"], &cfg, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::schema_valid(&v);
    let day = &named(&v["agents"], "scout")["runs_24h"];
    assert_eq!(
        (&day["runs"], &day["ok"], &day["timeouts"]),
        (&3.into(), &1.into(), &1.into()),
        "{day}"
    );
    let day = &named(&v["agents"], "helper")["runs_24h"];
    assert_eq!((&day["runs"], &day["timeouts"]), (&1.into(), &1.into()), "{day}");
    assert_eq!(v["agents_24h"]["timeouts"], 2, "{}", v["agents_24h"]);
}

/// Through the real binary: a scheduled daemon whose runlog holds nothing
/// yet is not overdue the moment fleettop starts (its count begins then),
/// and one whose runlog's history says it last ran 48 h ago counts from
/// that run, not from the start.
#[test]
fn a_daemon_never_seen_is_counted_from_the_start_and_history_from_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let (empty, old, cfg) = (
        dir.path().join("empty.jsonl"),
        dir.path().join("old.jsonl"),
        dir.path().join("c.toml"),
    );
    let now = now_ms() / 1000 * 1000;
    std::fs::write(&empty, "").unwrap();
    let (text, ..) = runlog("old", now, 48 * 60 * MIN);
    std::fs::write(&old, text).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[[agents.daemon]]\nname = \"fresh\"\nschedule = \"* * * * *\"\nrunlog = \"{}\"\n\n\
             [[agents.daemon]]\nname = \"old\"\nschedule = \"every 10m\"\nrunlog = \"{}\"\n",
            empty.display(),
            old.display()
        ),
    )
    .unwrap();
    let o = fleettop(&["snapshot"], &cfg, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fresh = named(&v["agents"], "fresh");
    assert_eq!(
        (&fresh["status"], &fresh["missed_runs"]),
        (&"unknown".into(), &0.into()),
        "{fresh}"
    );
    assert!(fresh["next_run_at"].is_string(), "its first slot is expected: {fresh}");
    let old = named(&v["agents"], "old");
    assert_eq!(
        (&old["status"], &old["state"]),
        (&"overdue".into(), &"critical".into()),
        "{old}"
    );
    assert_eq!(old["missed_runs"], 99, "{old}");
}
