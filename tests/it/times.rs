//! Times from outside that cannot be right (a year past 9999, a Unix time
//! of 1e15, before 1970, a heartbeat dated 2099) through the real paths: a
//! runlog and a heartbeat file, and a real nats-server's JetStream, into
//! `fleettop snapshot` and `fleettop check` (the real binary) and the TUI.
//! Each is clock skew: counted, said on the row, never fresh, never a panic.

use crate::common;

use common::{NatsServer, free_port, named};
use fleettop::store::Tab;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{Detail, View};
use std::process::{Command, Output};

/// The times, as JSON values: the first is the year 10000 in UTC (it made
/// `snapshot` panic with "a Display implementation returned an error").
const BAD_TIMES: [&str; 5] = [
    r#""9999-12-31T23:59:59-23:59""#,
    "1e15",
    "-1e300",
    r#""1969-12-31T23:59:59Z""#,
    r#""2099-01-01T00:00:00Z""#,
];

/// Runs in fleettop's own format and the claude-peers supervisor's, each
/// time of each carrying one of the bad times.
fn bad_events() -> Vec<String> {
    let mut out = Vec::new();
    for t in BAD_TIMES {
        out.push(format!(
            r#"{{"agent":"skewbot","event":"failed","exit_code":1,"started_at":{t},"finished_at":{t},"duration_ms":1e300,"output":"boom"}}"#
        ));
        out.push(format!(
            r#"{{"type":"daemon_complete","peer_id":"skewpeer","summary":"done","data":"trigger=interval duration=99999999999999s","timestamp":{t}}}"#
        ));
        out.push(format!(r#"{{"agent":"skewbeat","event":"heartbeat","timestamp":{t}}}"#));
    }
    out
}

fn fleettop(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .arg("--log-file")
        .arg(dir.join("log"))
        .env("XDG_STATE_HOME", dir)
        .output()
        .unwrap()
}

/// `snapshot` and `check` of `cfg` by the real binary: neither panics, the
/// skewed times are counted on their agents, and nothing with a skewed time
/// is fresh. `check`'s report is returned.
fn snapshot_and_check(cfg: &std::path::Path, dir: &std::path::Path) -> String {
    let o = fleettop(&["snapshot"], cfg, dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bot = named(&v["agents"], "skewbot");
    // Both times of each of the five runs.
    assert_eq!(bot["clock_skew"], 10, "{bot}");
    assert_eq!(bot["runs_failed"], 5, "the runs still count: {bot}");
    assert_eq!(bot["last_run_at"], serde_json::Value::Null, "{bot}");
    assert_eq!(bot["status"], "failed", "{bot}");
    assert_eq!(bot["state"], "critical", "five failures in a row: {bot}");
    let peer = named(&v["agents"], "skewpeer");
    assert_eq!(peer["clock_skew"], 10, "its start is computed from its time: {peer}");
    assert_eq!(peer["runs_ok"], 5, "{peer}");
    let beat = named(&v["agents"], "skewbeat");
    assert_eq!(beat["clock_skew"], 5, "{beat}");
    assert_eq!(beat["last_heartbeat"], serde_json::Value::Null, "{beat}");
    assert_ne!(beat["state"], "ok", "{beat}");
    assert_ne!(
        beat["status"], "ok",
        "a heartbeat from the future is no sign of life: {beat}"
    );
    common::schema_valid(&v);
    let o = fleettop(&["check"], cfg, dir);
    let report = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "skewbot failed 5 times in a row: {report}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        report.contains("CRITICAL skewbot: skewbot failed 5 times in a row"),
        "{report}"
    );
    report
}

/// The Agents tab and skewbot's run list, drawn from a store the real
/// sources filled: no panic, and the rows say what was dropped.
async fn render(config: &fleettop::config::Config) {
    let store = fleettop::headless::collect(config).await;
    let now = fleettop::model::now_millis();
    let theme = Theme::load("default").unwrap();
    let tab = View {
        tab: Tab::Agents,
        ..View::default()
    };
    let runs = View {
        tab: Tab::Agents,
        detail: Some(Detail::new(Tab::Agents, "skewbot")),
        ..View::default()
    };
    let mut said = String::new();
    for view in [tab, runs] {
        for size in [(120, 40), (100, 30), (80, 24), (20, 5)] {
            for glyphs in [GlyphKind::Unicode, GlyphKind::Console] {
                let buf = common::screen::draw(&store, &view, &theme, &Glyphs::new(glyphs), size, now);
                said.push_str(&common::screen::text(&buf));
            }
        }
    }
    assert!(said.contains("clock skew (10 dropped)"), "{said}");
    assert!(said.contains("clock skew (5 dropped)"), "{said}");
}

/// A runlog of [`bad_events`] (agent `skewbot`) and two heartbeat files,
/// one dated 2099 (`deacon`), one 1e15 (`deacon2`), in `dir`: the config.
fn files_config(dir: &std::path::Path) -> String {
    let runlog = dir.join("runs.jsonl");
    std::fs::write(&runlog, bad_events().join("\n") + "\n").unwrap();
    let (hb, hb_num) = (dir.join("hb.json"), dir.join("hb_num.json"));
    std::fs::write(&hb, r#"{"last_heartbeat": "2099-01-01T00:00:00Z"}"#).unwrap();
    std::fs::write(&hb_num, r#"{"last_heartbeat": 1e15}"#).unwrap();
    format!(
        "[[agents.daemon]]\nname = \"skewbot\"\nrunlog = \"{}\"\n\n\
         [[agents.daemon]]\nname = \"deacon\"\nheartbeat_file = \"{}\"\nheartbeat_field = \"last_heartbeat\"\nheartbeat_max_age = \"6m\"\n\n\
         [[agents.daemon]]\nname = \"deacon2\"\nheartbeat_file = \"{}\"\nheartbeat_field = \"last_heartbeat\"\nheartbeat_max_age = \"6m\"\n",
        runlog.display(),
        hb.display(),
        hb_num.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn skewed_times_in_a_runlog_and_a_heartbeat_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = files_config(dir.path());
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, &text).unwrap();
    let report = snapshot_and_check(&cfg, dir.path());
    // A heartbeat dated 2099 is not `ok`: stale, and the row says why.
    assert!(
        report.contains("WARN     deacon: deacon stale: clock skew: heartbeat dated 2099-01-01T00:00:00Z"),
        "{report}"
    );
    assert!(
        report.contains("deacon2 stale: clock skew: heartbeat dated 9999-12-31T23:59:59Z"),
        "{report}"
    );
    let o = fleettop(&["snapshot"], &cfg, dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for name in ["deacon", "deacon2"] {
        let d = named(&v["agents"], name);
        assert_eq!(
            (d["status"].as_str(), d["state"].as_str(), d["clock_skew"].as_u64()),
            (Some("stale"), Some("warn"), Some(1)),
            "{d}"
        );
    }
    render(&fleettop::config::parse_str(&text, "t").unwrap()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn skewed_times_replayed_from_jetstream() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    if !NatsServer::binary_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path(), free_port(), free_port());
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    common::fleet_stream(&js).await;
    for e in bad_events() {
        js.publish("fleet.daemon.x", e.into()).await.unwrap().await.unwrap();
    }
    let text = format!(
        "[[nats]]\nname = \"main\"\nurl = \"{}\"\n\n[agents]\nnats = \"main\"\nsubjects = [\"fleet.daemon.>\"]\nreplay = \"1h\"\n",
        server.url()
    );
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, &text).unwrap();
    snapshot_and_check(&cfg, dir.path());
    render(&fleettop::config::parse_str(&text, "t").unwrap()).await;
}

/// Times a watched host answers at the ends of i64 (a file's mtime, the
/// host's clock, a unit's timestamps) saturate (a debug build panicked on
/// the overflow), and the store then calls them clock skew.
#[test]
fn times_from_a_host_at_the_ends_of_i64_saturate() {
    use fleettop::store::Store;
    use fleettop::store::agents::AgentStatus;
    use fleettop::update::Update;
    use fleettop::update::agents::AgentUpdate;
    let max = i64::MAX;
    let now = 1_778_351_400_000;
    for answer in [
        format!("now {max}\nat {max} 10\nat {max} 10\n"),
        format!("now -{max}\nat {max} 10\nat -{max} 10\n"),
        format!("now {max}\nat -{max} 10\nat 1 10\n"),
    ] {
        let (hb, log) = fleettop::sources::agents_remote::files_answer(&answer, None, now);
        assert!(hb.is_some() && log.is_some(), "{answer}");
    }
    let unit = fleettop::parse::systemctl::parse_show(&format!(
        "Id=x.service\nExecMainStartTimestamp=@{max}\nExecMainExitTimestamp=@{max}.999\n"
    ));
    assert_eq!(unit.started_at, None, "a time past i64 milliseconds is no time");
    let cfg =
        fleettop::config::parse_str("[[agents.daemon]]\nname = \"d\"\nheartbeat_max_age = \"1m\"\n", "t").unwrap();
    let mut st = Store::new(&cfg);
    let (hb, _) = fleettop::sources::agents_remote::files_answer(&format!("now 0\nnone\nat {max} 1\n"), None, now);
    st.apply(
        Update::Agents(AgentUpdate::Heartbeat {
            agent: "d".into(),
            at: hb.unwrap(),
        }),
        now,
    );
    let d = st.agents.get("d").unwrap();
    assert_eq!((d.status(now), d.clock_skew), (AgentStatus::Stale, 1));
}

/// The real TUI (the binary, in a 120x40 tmux pane) on the Agents tab of
/// the skewed runlog and heartbeats: it keeps running and says so.
#[test]
fn the_running_tui_says_clock_skew() {
    if !common::tmux::present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, files_config(dir.path())).unwrap();
    let cmd = format!(
        "TERM=xterm-256color '{}' --tab agents --config '{}' --log-file '{}'; echo rc=$?; sleep 600",
        env!("CARGO_BIN_EXE_fleettop"),
        cfg.display(),
        dir.path().join("log").display()
    );
    let tmux = common::tmux::Tmux::new("fleettop-times");
    tmux.start(120, 40, &cmd);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut screen = String::new();
    while std::time::Instant::now() < end {
        screen = tmux.screen();
        if screen.contains("clock skew (10 dropped)") && screen.contains("clock skew (1 dropped): heartbeat dated 2099")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(screen.contains("clock skew (10 dropped)"), "{screen}");
    assert!(
        screen.contains("clock skew (1 dropped): heartbeat dated 2099-01-01T00:00:00Z"),
        "{screen}"
    );
    // Still running a second later.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let screen = tmux.screen();
    assert!(!screen.contains("rc="), "{screen}");
}

/// A Docker engine's counts and times at their ends: a restart count is
/// never negative (the UI subtracts an earlier one from it), a start in
/// the year 9999 formats.
#[test]
fn docker_counts_and_times_at_their_ends() {
    use fleettop::sources::services::docker::container_row;
    let v = serde_json::json!({"Name": "/x", "RestartCount": i64::MIN,
        "State": {"Status": "running", "StartedAt": "9999-12-31T23:59:59.999999999Z"}});
    let c = container_row("local", &v).container.unwrap();
    assert_eq!(c.restart_count, 0);
    let at = c.started_at.unwrap();
    assert_eq!(fleettop::model::rfc3339(at), "9999-12-31T23:59:59Z");
    assert_eq!(fleettop::model::checked_time(at, 0), None, "clock skew");
}
