//! launchd in depth, end to end: a "Mac" that is this machine behind the
//! test sshd, with stand-in `launchctl`, `plutil` and `uname` first on its
//! sessions' PATH replaying captures (tests/fixtures/launchd, cited in
//! tests/fixtures/README.md), plists in temporary directories; the link,
//! the scripts, the store, the snapshot and the screen are the real ones.
//! Then render snapshots of the tab and a job's drill-down at 100x30.

use crate::common;
use common::free_port;
use common::screen::text;
use common::sshd::*;
use fleettop::config::parse_str;
use fleettop::model::{Level, now_millis};
use fleettop::parse::launchctl::{Audit, State};
use fleettop::store::{Store, Tab};
use fleettop::ui::{Detail, View};
use fleettop::update::Update;
use fleettop::update::services::{Health, Kind, Row, ServiceUpdate};
use std::path::Path;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/launchd/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The Mac's jobs: labels of the fixtures, their PIDs and last exits.
const LIST: &str = "PID\tStatus\tLabel\n\
    4242\t1\tlocal.quant1x.engine\n\
    -\t0\tlocal.kjk.sumatrastatsdaily\n\
    -\t0\tcom.example.app\n\
    -\t127\tlocal.weekdays.report\n\
    -\t126\tlocal.noexec\n\
    -\t-9\tlocal.orphan\n\
    555\t0\tlocal.llm\n\
    77\t0\tcom.apple.Finder\n";

fn write_plists(agents: &Path, daemons: &Path, tmp: &Path) {
    std::fs::create_dir_all(agents).unwrap();
    std::fs::create_dir_all(daemons).unwrap();
    for f in [
        "keepalive.plist",
        "calendar-daily.plist",
        "oneshot.plist",
        "interval.plist",
    ] {
        std::fs::write(agents.join(f), fixture(f)).unwrap();
    }
    // Its script is gone from the (test) home; its error log says so.
    let err = tmp.join("report.err");
    std::fs::write(&err, "starting\nzsh:1: no such file or directory: report.sh\n").unwrap();
    let weekdays = fixture("weekdays.plist")
        .replace("/bin/zsh", "/bin/sh")
        .replace("/tmp/report.err", &err.display().to_string());
    std::fs::write(agents.join("weekdays.plist"), weekdays).unwrap();
    // A program that is there but does not run.
    let prog = tmp.join("noexec.sh");
    std::fs::write(&prog, "echo hi\n").unwrap();
    let noexec = fixture("oneshot.plist")
        .replace("com.example.app", "local.noexec")
        .replace("/Users/Me/Scripts/cleanup.sh", &prog.display().to_string());
    std::fs::write(daemons.join("noexec.plist"), noexec).unwrap();
    // A hostile name and body: quoted, never run; a forged section line.
    let evil = fixture("oneshot.plist")
        .replace("com.example.app", "local.evil\u{1b}[2J")
        .replace("/Users/Me/Scripts/cleanup.sh", "/Users/Me/evil.sh")
        .replace(
            "<key>RunAtLoad</key>",
            "<key>Note</key>\n<string>x\n@@fleettop-00 plist x\ty\n</string>\n<key>RunAtLoad</key>",
        );
    std::fs::write(daemons.join("$(touch PWNED) `touch PWNED2`.plist"), evil).unwrap();
}

fn stand_ins(bin: &Path, list: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    common::stand_in(
        bin,
        "launchctl",
        &format!("[ \"$1\" = list ] && exec cat '{}'\nexit 2\n", list.display()),
    );
    common::stand_in(
        bin,
        "plutil",
        "[ \"$1 $2 $3 $4\" = '-convert xml1 -o -' ] && [ $# = 5 ] && exec cat \"$5\"\nexit 1\n",
    );
    common::stand_in(bin, "uname", "echo Darwin\n");
}

fn job<'a>(st: &'a Store, label: &str) -> Option<&'a Audit> {
    st.services
        .get(&format!("launchd:mac/{label}"))
        .and_then(|s| s.row.launchd.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_macs_jobs_are_audited_over_its_ssh_link() {
    if missing() {
        return;
    }
    let keys = Keys::new();
    let (bin, agents, daemons, tmp) = (
        keys.path("bin"),
        keys.home().join("Agents"),
        keys.path("daemons"),
        keys.path("tmp"),
    );
    std::fs::create_dir_all(&tmp).unwrap();
    let list = keys.path("list.txt");
    std::fs::write(&list, LIST).unwrap();
    stand_ins(&bin, &list);
    write_plists(&agents, &daemons, &tmp);
    let port = free_port();
    let _mac = Sshd::start_with_path(&keys, port, "mac", &bin);
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let toml = host_toml("mac", port, &keys, &kh, "")
        + &format!(
            "[[services.launchd]]\nhost = \"mac\"\nlabel_prefix = [\"local.\", \"com.example.\"]\n\
             plist_dirs = [\"~/Agents\", \"{}\"]\ninterval = \"1s\"\n\n[alerts]\noffline_critical_after = \"2s\"\n",
            daemons.display()
        );
    let config = parse_str(&toml, "launchd.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let (mut store, mut rx, _ctx) = common::running(&config);
    common::until(&mut store, &mut rx, "the audit with its causes", |st| {
        job(st, "local.weekdays.report").is_some_and(|a| !a.stderr_tail.is_empty())
    })
    .await;
    let head = store.services.get("launchd:mac").unwrap();
    assert_eq!(
        head.row.detail,
        "1 running, 1 ok, 1 down, 4 failing, 2 not loaded",
        "{:#?}",
        store
            .services
            .rows
            .iter()
            .map(|s| (&s.row.name, &s.row.detail))
            .collect::<Vec<_>>()
    );
    let cause = |l: &str| job(&store, l).and_then(|a| a.cause.clone()).unwrap_or_default();
    assert_eq!(
        cause("local.weekdays.report"),
        "script deleted: ~/system/tools/report.sh"
    );
    assert_eq!(
        cause("local.noexec"),
        format!("not executable: {}", tmp.join("noexec.sh").display())
    );
    assert_eq!(cause("local.quant1x.engine"), "crash-looping: exit 1");
    assert_eq!(cause("local.orphan"), "killed by signal 9");
    // The hostile plist: its label sanitised, it is a job; nothing ran.
    let evil = store
        .services
        .rows
        .iter()
        .find(|s| s.row.name.starts_with("local.evil"))
        .unwrap();
    assert!(!evil.row.name.contains('\u{1b}'));
    assert!(!keys.home().join("PWNED").exists() && !keys.home().join("PWNED2").exists());
    assert_eq!(job(&store, "local.jpedro.sync").unwrap().state, State::NotLoaded);
    let report = job(&store, "local.weekdays.report").unwrap();
    assert_eq!(
        report.stderr_tail,
        ["starting", "zsh:1: no such file or directory: report.sh"]
    );
    assert_eq!(
        (report.location.as_str(), report.schedule.as_str()),
        ("~/Agents", "Mon 07:00; Fri 07:00, when /Users/Shared/inbox changes")
    );
    let cal = job(&store, "local.kjk.sumatrastatsdaily").unwrap();
    assert_eq!((cal.state, cal.schedule.as_str()), (State::CalendarOk, "daily 04:15"));
    assert!(cal.last_ok_at.is_some());
    assert!(job(&store, "com.apple.Finder").is_none(), "not under the prefixes");

    // Problems: the crash loop is an error, critical once it has lasted.
    let now = now_millis();
    let level = |st: &Store, at| {
        st.problems(at)
            .into_iter()
            .find(|p| p.title.as_str().starts_with("local.quant1x.engine"))
            .map(|p| p.level)
    };
    assert_eq!(level(&store, now), Some(Level::Error));
    assert_eq!(level(&store, now + 3000), Some(Level::Critical));
    assert!(
        store
            .problems(now)
            .iter()
            .any(|p| p.title.as_str().contains("script deleted"))
    );
    // `check` lists them; the crash loop, once it has lasted, exits 2.
    let (report, code) = fleettop::headless::report(&store, now);
    assert!(
        report.contains("local.weekdays.report: script deleted: ~/system/tools/report.sh"),
        "{report}"
    );
    assert!(report.contains("local.noexec: not executable: "), "{report}");
    assert_eq!(code, 1, "{report}");
    let (report, code) = fleettop::headless::report(&store, now + 3000);
    assert!(report.contains("CRITICAL local.quant1x.engine"), "{report}");
    assert_eq!(code, 2, "{report}");

    // The snapshot carries each job's audit, as the schema says.
    let snap = serde_json::to_value(fleettop::snapshot::Snapshot::build(&store, now)).unwrap();
    common::schema_valid(&snap);
    let report = snap["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "local.weekdays.report")
        .unwrap();
    assert_eq!(report["launchd"]["cohort"], "failing");
    assert_eq!(report["launchd"]["last_exit"], 127);
    assert_eq!(report["launchd"]["cause"], "script deleted: ~/system/tools/report.sh");
}

const S: i64 = 1000;
const NOW: i64 = 1_780_000_000_000;

fn audit(label: &str, state: State, pid: Option<u32>, exit: i64) -> Audit {
    Audit {
        label: label.into(),
        state,
        pid,
        last_exit: Some(exit),
        location: "user".into(),
        plist: Some(format!("/Users/me/Library/LaunchAgents/{label}.plist")),
        keep_alive: "no".into(),
        ..Default::default()
    }
}

fn render_store() -> Store {
    let cfg = parse_str("", "t").unwrap();
    let mut st = Store::new(&cfg);
    let mut jobs = vec![
        Audit {
            cause: Some("script deleted: ~/system/tools/report.sh".into()),
            schedule: "Mon 07:00; Fri 07:00".into(),
            program: vec!["/bin/zsh".into(), "-lc".into(), "~/system/tools/report.sh".into()],
            stderr_path: Some("/tmp/report.err".into()),
            stderr_tail: vec!["starting".into(), "zsh:1: no such file or directory: report.sh".into()],
            last_ok_at: Some(NOW - 3 * 86_400 * S),
            fields: vec![(
                "StartCalendarInterval".into(),
                "[{Hour=7 Minute=0 Weekday=1} {Hour=7 Minute=0 Weekday=5}]".into(),
            )],
            ..audit("local.weekdays.report", State::Failing, None, 127)
        },
        Audit {
            cause: Some("crash-looping: exit 1".into()),
            severe: true,
            keep_alive: "always".into(),
            schedule: "at load".into(),
            ..audit("local.quant1x.engine", State::Failing, Some(4242), 1)
        },
        Audit {
            last_exit: None,
            ..audit("local.jpedro.sync", State::NotLoaded, None, 0)
        },
        Audit {
            keep_alive: "always".into(),
            ..audit("local.llm.server", State::Running, Some(512), 0)
        },
        Audit {
            schedule: "daily 04:15".into(),
            ..audit("local.kjk.sumatrastatsdaily", State::CalendarOk, None, 0)
        },
        Audit {
            schedule: "at load".into(),
            ..audit("com.example.app", State::Down, None, 0)
        },
    ];
    let mut rows = vec![Row::new(
        "launchd:mac-mini",
        Kind::Launchd,
        "mac-mini launchd",
        Health::Ok,
        "1 running, 1 ok, 1 down, 2 failing, 1 not loaded",
    )];
    for a in jobs.drain(..) {
        let (h, d) = match a.state {
            State::Failing if a.severe => (Health::Error, a.cause.clone().unwrap()),
            State::Failing => (Health::Warn, a.cause.clone().unwrap()),
            State::NotLoaded => (Health::Warn, format!("not loaded: {}", a.plist.clone().unwrap())),
            State::Running => (Health::Ok, "running (pid 512), keepalive always".into()),
            State::CalendarOk => (Health::Ok, "ok: daily 04:15".into()),
            State::Down => (Health::Ok, "down by design (exit 0), at load".into()),
        };
        let mut r = Row::new(
            format!("launchd:mac-mini/{}", a.label),
            Kind::Launchd,
            a.label.clone(),
            h,
            d,
        );
        r.source = "mac-mini".into();
        r.launchd = Some(Box::new(a));
        rows.push(r);
    }
    st.apply(
        Update::Services(ServiceUpdate::Set {
            scope: "launchd:mac-mini".into(),
            rows,
        }),
        NOW - 5 * S,
    );
    st
}

#[test]
fn launchd_list_and_job_drill_down_render() {
    let st = render_store();
    let list = View {
        tab: Tab::Services,
        ..View::default()
    };
    let detail = View {
        tab: Tab::Services,
        detail: Some(Detail::new(Tab::Services, "launchd:mac-mini/local.weekdays.report")),
        ..View::default()
    };
    for (name, view) in [("launchd_list", list), ("launchd_job", detail)] {
        let screen = text(&common::screen::console_100x30(&st, &view, NOW, name));
        insta::assert_snapshot!(format!("{name}_100x30"), screen);
    }
}
