//! Agents through the real binary: a runlog and a heartbeat file read by
//! `fleettop snapshot` and `fleettop check`.

use crate::common;

use common::{named, stand_in};
use std::process::Command;

/// The real binary with `args`, then `--config cfg` and a log file in `dir`.
pub(crate) fn run(args: &[&str], cfg: &std::path::Path, dir: &tempfile::TempDir) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .arg("--log-file")
        .arg(dir.path().join("log"))
        .output()
        .unwrap()
}

/// `fleettop ARGS` on a config `dir/c.toml` holding `toml`: asserts the
/// exit code of a config error (3) and returns what it said.
pub(crate) fn config_error(args: &[&str], toml: &str, dir: &tempfile::TempDir) -> String {
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, toml).unwrap();
    let o = run(args, &cfg, dir);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(3), "{err}");
    err
}

#[test]
fn runlog_and_heartbeat_reach_the_snapshot_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let runlog = dir.path().join("runs.jsonl");
    let hb = dir.path().join("state.json");
    let mut log = String::new();
    for (i, ev) in ["completed", "failed", "failed", "failed"].iter().enumerate() {
        log.push_str(&format!(
            "{{\"agent\":\"scout\",\"event\":\"{ev}\",\"trigger\":\"cron\",\"started_at\":\"2026-05-09T18:{:02}:00Z\",\"finished_at\":\"2026-05-09T18:{:02}:31Z\",\"exit_code\":{},\"output\":\"banner\\n{{\\\"summary\\\":\\\"pass {i}\\\"}}\"}}\n",
            i * 15,
            i * 15,
            if *ev == "completed" { 0 } else { 1 }
        ));
    }
    log.push_str(
        "this line is not JSON\n{\"agent\":\"scout\",\"event\":\"exploded\"}\n{\"agent\":\"scout\",\"event\":\"comp",
    );
    std::fs::write(&runlog, log).unwrap();
    std::fs::write(&hb, r#"{"last_heartbeat": "2000-01-01T00:00:00Z"}"#).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[agents.daemon]]\nname = \"scout\"\ntag = \"sc\"\nschedule = \"*/15 * * * *\"\nrunlog = \"{}\"\n\n[[agents.daemon]]\nname = \"deacon\"\nheartbeat_file = \"{}\"\nheartbeat_field = \"last_heartbeat\"\nheartbeat_max_age = \"6m\"\n",
            runlog.display(),
            hb.display()
        ),
    )
    .unwrap();
    let o = run(&["snapshot"], &cfg, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let scout = named(&v["agents"], "scout");
    assert_eq!(scout["runs_ok"], 1);
    assert_eq!(scout["runs_failed"], 3);
    assert_eq!(scout["fail_streak"], 3);
    // Its runs are of May 2026 and its schedule says every 15 minutes: it
    // is overdue now, and that is what its status says first.
    assert_eq!(
        (&scout["state"], &scout["status"]),
        (&"critical".into(), &"overdue".into())
    );
    assert_eq!(scout["last_output"], "pass 3");
    assert_eq!(scout["last_exit_code"], 1);
    assert_eq!(scout["last_duration_ms"], 31_000);
    assert_eq!(scout["last_run_at"], "2026-05-09T18:45:00Z");
    let deacon = named(&v["agents"], "deacon");
    // Stale for far longer than twice its max age: critical in one round.
    assert_eq!(
        (&deacon["state"], &deacon["status"]),
        (&"critical".into(), &"stale".into())
    );
    assert_eq!(deacon["last_heartbeat"], "2000-01-01T00:00:00Z");
    // The malformed lines were counted and logged (a flood is one line a
    // minute, the rest counted), and did not stop the rest.
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(log.matches("unreadable agent event").count(), 1, "{log}");
    // check: a fail streak of 3 is critical.
    let o = run(&["check"], &cfg, &dir);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("CRITICAL scout: scout failed 3 times in a row"), "{out}");
    assert!(out.contains("CRITICAL deacon: deacon stale"), "{out}");
}

/// systemctl and journalctl stand-ins that print what systemd 252 prints
/// for a failed timer-started service (no systemd runs in this test's
/// container, so the programs are stand-ins; the output shape is real).
#[test]
fn a_systemd_unit_run_and_its_journal() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    stand_in(
        &bin,
        "systemctl",
        r#"case "$2" in
fleet-scout.service) printf 'Id=fleet-scout.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=2\nInvocationID=5f1c0e2a9b8d4c7e8f00112233445566\nExecMainStartTimestamp=@1779995800\nExecMainExitTimestamp=@1779995831\n' ;;
fleet-scout.timer) printf 'Id=fleet-scout.timer\nLoadState=loaded\nActiveState=active\nSubState=waiting\nNextElapseUSecRealtime=@4102444800\n' ;;
broken.service) echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1 ;;
esac
"#,
    );
    stand_in(
        &bin,
        "journalctl",
        "printf 'starting scan\\n\\033[31merror: boom\\033[0m\\n'\n",
    );
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[[agents.daemon]]\nname = \"scout\"\nsystemd_unit = \"fleet-scout.service\"\n\n[[agents.daemon]]\nname = \"other\"\nsystemd_unit = \"broken.service\"\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(["snapshot", "--config"])
        .arg(&cfg)
        .arg("--log-file")
        .arg(dir.path().join("log"))
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let find = |n: &str| named(&v["agents"], n);
    let scout = find("scout");
    assert_eq!(scout["runs_failed"], 1, "{scout}");
    assert_eq!(scout["last_exit_code"], 2);
    assert_eq!(scout["last_duration_ms"], 31_000);
    assert_eq!(scout["trigger"], "timer");
    assert_eq!(
        scout["last_output"], "starting scan error: boom",
        "the journal, sanitised, is the run's output"
    );
    let problems = v["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["title"]
            .as_str()
            .unwrap()
            .starts_with("other: systemctl: System has not been booted")),
        "{problems:?}"
    );
}
