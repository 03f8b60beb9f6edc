//! systemd units in depth, end to end: a host that is this machine behind
//! the test sshd, with stand-in `systemctl` and `journalctl` first on its
//! sessions' PATH printing what the test writes (in the shape of
//! `systemctl show -p …` and `journalctl -o json`); the link, the scripts,
//! the store, its events and the snapshot are the real ones.

use crate::common;
use common::screen::text;
use common::sshd::*;
use common::{free_port, stand_in};
use fleettop::config::parse_str;
use fleettop::model::{Level, now_millis};
use fleettop::store::{Store, Tab};
use fleettop::ui::View;
use fleettop::update::Update;
use fleettop::update::services::{Health, Kind, Row, ServiceUpdate, UnitStats};
use std::path::Path;

/// Replaces `name` in `dir` whole (the stand-ins never read half a file).
fn put(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!("{name}.new"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

fn show(web_restarts: u32) -> String {
    format!(
        "Id=web.service\nActiveState=active\nSubState=running\nNRestarts={web_restarts}\n\n\
         Id=noisy.service\nActiveState=active\nSubState=running\nNRestarts=0\n\n\
         Id=$(touch $HOME/PWNED).service\nActiveState=active\nNRestarts=9\n\n\
         Id=quiet.service\nActiveState=active\nSubState=running\nNRestarts=0\n"
    )
}

/// 60 error lines of noisy in 5 minutes (12 a minute), a hostile unit's.
fn journal() -> String {
    let line = |u: &str| format!("{{\"__CURSOR\":\"c\",\"_SYSTEMD_UNIT\":\"{u}\"}}\n");
    line("noisy.service").repeat(60)
        + &line("`touch $HOME/PWNED2`.service").repeat(40)
        + &line("evil\\u001b[2J.service").repeat(40)
}

fn events(store: &Store) -> Vec<String> {
    store.events.newest_first().map(|e| e.title.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_rise_as_events_and_a_flooded_journal_warns() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let (bin, data) = (keys.path("bin"), keys.path("units"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    put(&data, "show.txt", &show(0));
    put(&data, "journal.txt", &journal());
    let (d, args) = (data.display(), keys.path("args.log"));
    // Each stand-in logs its arguments: no unit name ever becomes one.
    stand_in(
        &bin,
        "systemctl",
        &format!(
            "echo \"systemctl $*\" >> '{a}'\ncase \"$1 $2\" in\n\
             '--failed --output=json') echo '[]';;\nshow*) cat '{d}/show.txt';;\n*) exit 1;;\nesac\n",
            a = args.display()
        ),
    );
    stand_in(
        &bin,
        "journalctl",
        &format!(
            "echo \"journalctl $*\" >> '{}'\ncat '{d}/journal.txt'\n",
            args.display()
        ),
    );
    let port = free_port();
    let _sshd = Sshd::start_with_path(&keys, port, "units", &bin);
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let toml = host_toml("units", port, &keys, &kh, "")
        + "[[services.systemd]]\nhost = \"units\"\ninterval = \"1s\"\njournal_errors_per_min = 10\n";
    let config = parse_str(&toml, "units.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let (mut store, mut rx, _ctx) = common::running(&config);
    let noisy = "systemd:units/noisy.service";
    common::until(&mut store, &mut rx, "the flooded unit", |st| {
        st.services.get(noisy).is_some()
    })
    .await;
    let row = &store.services.get(noisy).unwrap().row;
    assert_eq!(
        (row.health, row.detail.as_str()),
        (Health::Warn, "active (running), 12 errors/min in its journal")
    );
    let names: Vec<String> = store.services.rows.iter().map(|s| s.row.name.clone()).collect();
    assert_eq!(names, ["units units", "noisy.service"], "web has not restarted: no row");
    assert!(
        store
            .problems(now_millis())
            .iter()
            .any(|p| p.level == Level::Warn && p.title.as_str().contains("noisy.service")),
        "{:?}",
        store.problems(now_millis())
    );

    // web restarts 3 times: its row comes, and the rise is an event.
    put(&data, "show.txt", &show(3));
    common::until(&mut store, &mut rx, "web's first restarts", |st| {
        events(st).iter().any(|t| t == "web.service: restarts 0 -> 3")
    })
    .await;
    let web = &store.services.get("systemd:units/web.service").unwrap().row;
    assert_eq!(
        (web.health, web.detail.as_str()),
        (Health::Ok, "active (running), restarts 3")
    );
    put(&data, "show.txt", &show(5));
    common::until(&mut store, &mut rx, "web's next restarts", |st| {
        events(st).iter().any(|t| t == "web.service: restarts 3 -> 5")
    })
    .await;
    let rise = store
        .events
        .newest_first()
        .find(|e| e.title.contains("restarts 3 -> 5"))
        .unwrap();
    assert_eq!(rise.level, Level::Warn);

    // The hostile names: no row, nothing ran, never an argument.
    let mut names: Vec<String> = store.services.rows.iter().map(|s| s.row.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["noisy.service", "units units", "web.service"]);
    assert!(!keys.home().join("PWNED").exists() && !keys.home().join("PWNED2").exists());
    let log = std::fs::read_to_string(&args).unwrap();
    assert!(log.contains("show -p Id,ActiveState,SubState,NRestarts"), "{log}");
    assert!(
        !log.contains("PWNED") && !log.contains("noisy") && !log.contains("web."),
        "{log}"
    );

    // `check` lists the flood as a warning.
    let (report, code) = fleettop::headless::report(&store, now_millis());
    assert!(
        report.contains("noisy.service") && report.contains("12 errors/min"),
        "{report}"
    );
    assert_eq!(code, 1, "{report}");

    // The snapshot carries both numbers, as the schema says.
    let snap = serde_json::to_value(fleettop::snapshot::Snapshot::build(&store, now_millis())).unwrap();
    common::schema_valid(&snap);
    let svc = |n: &str| {
        snap["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!((svc("web.service")["restarts"].as_i64()), Some(5));
    assert_eq!(svc("noisy.service")["journal_errors_per_min"].as_f64(), Some(12.0));
    assert_eq!(svc("noisy.service")["state"], "warn");
    assert!(svc("units units").get("restarts").is_none());
}

#[test]
fn a_bad_error_rate_is_a_config_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[[services.systemd]]\nhost = \"box\"\njournal_errors_per_min = -2\n";
    let err = crate::agents_cli::config_error(&["check"], toml, &dir);
    assert!(err.contains("c.toml:3:26"), "{err}");
}

const NOW: i64 = 1_780_000_000_000;

/// A host's unit rows as the check builds them (see the unit tests of
/// `sources::services::systemd`): a failed unit, a restarting one, a flood.
fn render_store() -> Store {
    let mut st = Store::new(&parse_str("", "t").unwrap());
    let unit = |name: &str, health, detail: &str, restarts: i64, rate: f64| {
        let mut r = Row::new(format!("systemd:web-1/{name}"), Kind::Systemd, name, health, detail);
        r.source = "web-1".into();
        r.rising = Some((restarts, "restarts"));
        r.unit_stats = Some(UnitStats {
            restarts: Some(restarts),
            journal_errors_per_min: Some(rate),
        });
        r
    };
    let mut head = Row::new(
        "systemd:web-1",
        Kind::Systemd,
        "web-1 units",
        Health::Ok,
        "1 failed unit",
    );
    head.source = "web-1".into();
    let rows = vec![
        head,
        unit(
            "backup.service",
            Health::Error,
            "failed (failed) Nightly backup, restarts 2",
            2,
            0.0,
        ),
        unit("api.service", Health::Ok, "active (running), restarts 7", 7, 0.0),
        unit(
            "stats-aggregator.service",
            Health::Warn,
            "active (running), 12 errors/min in its journal",
            0,
            12.0,
        ),
    ];
    st.apply(
        Update::Services(ServiceUpdate::Set {
            scope: "systemd:web-1".into(),
            rows,
        }),
        NOW - 5000,
    );
    st
}

#[test]
fn unit_rows_render_with_console_glyphs() {
    let st = render_store();
    let view = View {
        tab: Tab::Services,
        ..View::default()
    };
    let buf = common::screen::console_100x30(&st, &view, NOW, "unit rows");
    let screen = text(&buf);
    assert!(
        screen.contains("restarts 7") && screen.contains("12 errors/min in its journal"),
        "{screen}"
    );
    insta::assert_snapshot!("systemd_units_100x30", screen);
}
