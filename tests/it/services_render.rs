//! Render tests of the Services tab and its drill-downs at 100x30 and
//! 80x24, and every cell a console glyph under the console glyph set.

use crate::common;
use common::screen::{row as screen_row, text};
use fleettop::config::parse_str;
use fleettop::store::{Store, Tab};
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{Detail, View};
use fleettop::update::Update;
use fleettop::update::{
    services::ContainerInfo, services::Health, services::Kind, services::Row, services::ServiceUpdate,
};
use ratatui::buffer::Buffer;

const S: i64 = 1000;
const T0: i64 = 1_780_000_000_000;
const NOW: i64 = T0 + 600 * S;

fn row(key: &str, kind: Kind, name: &str, h: Health, detail: &str, source: &str) -> Row {
    let mut r = Row::new(key, kind, name, h, detail);
    r.source = source.into();
    r
}

fn container(name: &str, state: &str, restarts: i64, exit: Option<i64>, started: i64) -> Row {
    let (h, d) = fleettop::update::services::container_health(state, "", exit);
    let mut r = row(&format!("docker:local/{name}"), Kind::Container, name, h, &d, "local");
    r.container = Some(ContainerInfo {
        endpoint: "local".into(),
        id: format!("{name}0123456789abcdef"),
        image: "ghcr.io/acme/app:1.4".into(),
        state: state.into(),
        restart_count: restarts,
        exit_code: exit,
        started_at: Some(started),
        ports: if name == "web" {
            "8080->80/tcp".into()
        } else {
            String::new()
        },
        ..Default::default()
    });
    r
}

fn store() -> Store {
    let cfg = parse_str(
        "[[services.http]]\nname = \"litellm\"\nurl = \"http://127.0.0.1:4000/health\"\n",
        "t",
    )
    .unwrap();
    let mut st = Store::new(&cfg);
    let mut put = |u: ServiceUpdate, at: i64| {
        st.apply(Update::Services(u), at);
    };
    for (i, ms) in [12.0, 14.0, 11.0, 30.0, 13.0, 12.0, 95.0, 12.0, 14.0, 13.0]
        .iter()
        .enumerate()
    {
        let mut r = row(
            "http:litellm",
            Kind::Http,
            "litellm",
            Health::Ok,
            "HTTP 200",
            "http://127.0.0.1:4000/health",
        );
        r.latency_ms = Some(*ms);
        put(ServiceUpdate::Result(Box::new(r)), T0 + i as i64 * 15 * S);
    }
    let mut fail = row(
        "http:litellm",
        Kind::Http,
        "litellm",
        Health::Error,
        "HTTP 502",
        "http://127.0.0.1:4000/health",
    );
    fail.latency_ms = Some(40.0);
    put(ServiceUpdate::Result(Box::new(fail)), NOW - 30 * S);
    let mut ok = row(
        "http:litellm",
        Kind::Http,
        "litellm",
        Health::Ok,
        "HTTP 200",
        "http://127.0.0.1:4000/health",
    );
    ok.latency_ms = Some(12.0);
    put(ServiceUpdate::Result(Box::new(ok)), NOW - 15 * S);
    for (n, why) in [("tunnel-a", "connection refused"), ("tunnel-b", "timed out")] {
        let mut r = row(
            &format!("http:{n}"),
            Kind::Http,
            n,
            Health::Error,
            why,
            "https://example.net",
        );
        r.group = Some("tunnels".into());
        put(ServiceUpdate::Result(Box::new(r)), NOW - 400 * S);
    }
    let mut pg = row(
        "tcp:postgres",
        Kind::Tcp,
        "postgres",
        Health::Ok,
        "open",
        "127.0.0.1:5432",
    );
    pg.latency_ms = Some(0.4);
    put(ServiceUpdate::Result(Box::new(pg)), NOW - 5 * S);
    let docker_rows = |flappy: i64| ServiceUpdate::Set {
        scope: "docker:local".into(),
        rows: vec![
            row(
                "docker:local",
                Kind::Container,
                "docker local",
                Health::Ok,
                "connected, 3 containers",
                "unix:///var/run/docker.sock",
            ),
            container("web", "running", 0, None, NOW - 3 * 3600 * S),
            container("flappy", "restarting", flappy, None, NOW - 2 * S),
            container("oneshot", "exited", 0, Some(1), NOW - 3600 * S),
        ],
    };
    put(docker_rows(5), NOW - 60 * S);
    put(docker_rows(7), NOW - 20 * S);
    put(
        ServiceUpdate::ContainerDetails {
            key: "docker:local/web".into(),
            fields: vec![
                ("id".into(), "web012345678".into()),
                ("command".into(), "sleep 3600".into()),
                ("restart policy".into(), "always".into()),
            ],
            logs: (1..=30)
                .map(|i| format!("\x1b[32m2026-11-22T07:{i:02}:00Z\x1b[0m GET /health 200 \x1b]0;pwned\x07{i}"))
                .collect(),
        },
        NOW - 10 * S,
    );
    put(
        ServiceUpdate::Set {
            scope: "systemd:omarchy".into(),
            rows: vec![
                row(
                    "systemd:omarchy",
                    Kind::Systemd,
                    "omarchy units",
                    Health::Ok,
                    "1 failed unit",
                    "omarchy",
                ),
                row(
                    "systemd:omarchy/certbot.service",
                    Kind::Systemd,
                    "certbot.service",
                    Health::Error,
                    "failed (failed) Certbot",
                    "omarchy",
                ),
            ],
        },
        NOW - 5 * S,
    );
    put(
        ServiceUpdate::Result(Box::new(row(
            "freshness:crash-bot log",
            Kind::Freshness,
            "crash-bot log",
            Health::Warn,
            "stale: written 43m ago, max 20m",
            "/tmp/pm_crash_monitor.log",
        ))),
        NOW - 5 * S,
    );
    // A check that stopped reporting five minutes ago (every 10 s): stale.
    let mut bot = row(
        "process:crash-bot",
        Kind::Process,
        "crash-bot",
        Health::Ok,
        "1 process (pid 4242)",
        "omarchy",
    );
    bot.every_ms = 10_000;
    put(ServiceUpdate::Result(Box::new(bot)), NOW - 300 * S);
    put(
        ServiceUpdate::Set {
            scope: "syncthing:sync".into(),
            rows: vec![
                row(
                    "syncthing:sync",
                    Kind::Syncthing,
                    "sync",
                    Health::Ok,
                    "2/3 peers connected, 2 folders, away: MFZWI3D",
                    "http://127.0.0.1:8384",
                ),
                row(
                    "syncthing:sync/docs",
                    Kind::Syncthing,
                    "Docs",
                    Health::Warn,
                    "idle 100%, 2 conflict files",
                    "sync",
                ),
                row(
                    "syncthing:sync/photos",
                    Kind::Syncthing,
                    "Photos",
                    Health::Ok,
                    "syncing 73%, need 120 files 1.2G",
                    "sync",
                ),
            ],
        },
        NOW - 5 * S,
    );
    put(
        ServiceUpdate::Result(Box::new(row(
            "launchd:mac-mini",
            Kind::Launchd,
            "mac-mini launchd",
            Health::Unknown,
            "needs the SSH connection (not in this version)",
            "mac-mini",
        ))),
        NOW - 5 * S,
    );
    st.tick(NOW);
    st
}

fn draw(store: &Store, view: &View, glyphs: &Glyphs, w: u16, h: u16) -> Buffer {
    common::screen::draw(store, view, &Theme::load("default").unwrap(), glyphs, (w, h), NOW)
}

fn views() -> Vec<(&'static str, View)> {
    let on = |key: &str| View {
        tab: Tab::Services,
        detail: Some(Detail::new(Tab::Services, key)),
        ..View::default()
    };
    let mut worst = View {
        tab: Tab::Services,
        ..View::default()
    };
    worst.lists[1].sort = 1;
    worst.lists[1].selected = 2;
    let mut logs = on("docker:local/web");
    if let Some(d) = &mut logs.detail {
        d.scroll = 3;
    }
    let mut confirm = on("docker:local/web");
    confirm.confirm = Some("restart container web? y/n".into());
    vec![
        (
            "services_list",
            View {
                tab: Tab::Services,
                ..View::default()
            },
        ),
        ("services_worst", worst),
        ("services_http", on("http:litellm")),
        ("services_container", logs),
        ("services_confirm", confirm),
        ("services_gone", on("http:removed")),
    ]
}

#[test]
fn services_tab_and_drill_downs() {
    let store = store();
    let g = Glyphs::new(GlyphKind::Unicode);
    for (name, view) in views() {
        for (w, h) in [(100, 30), (80, 24)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&draw(&store, &view, &g, w, h)));
        }
    }
}

#[test]
fn the_tab_badge_counts_problems_and_a_whole_group_down_is_one() {
    let store = store();
    let (n, _) = store.problem_count(Tab::Services, NOW);
    let titles: Vec<String> = store.problems(NOW).into_iter().map(|p| p.title.to_string()).collect();
    // tunnel-a, tunnel-b, the tunnels group, flappy, oneshot, certbot, the
    // stale log, Docs, and crash-bot's check that stopped reporting.
    assert_eq!(n, 9, "{titles:?}");
    assert!(titles.contains(&"crash-bot: no new result (checked every 10s)".to_string()));
    assert!(titles.contains(&"all tunnels down (2 of 2)".to_string()));
    let tabs = text(&draw(
        &store,
        &View::default(),
        &Glyphs::new(GlyphKind::Unicode),
        100,
        30,
    ));
    assert!(tabs.lines().next().unwrap().contains("2 Services 9!"), "{tabs}");
    // The ticker has the restart edge.
    assert!(
        store
            .events
            .newest_first()
            .any(|e| e.title == "flappy restarted, count 7")
    );
}

#[test]
fn console_glyphs_only_and_no_escape_reaches_the_screen() {
    let store = store();
    for kind in [GlyphKind::Console, GlyphKind::Unicode] {
        let g = Glyphs::new(kind);
        for (name, view) in views() {
            for (w, h) in [(100, 30), (80, 24), (30, 8), (200, 60)] {
                let buf = draw(&store, &view, &g, w, h);
                let mut chars = buf.content().iter().flat_map(|c| c.symbol().chars());
                assert!(!chars.any(char::is_control), "{name} {w}x{h}: a control character");
                if kind == GlyphKind::Console {
                    common::screen::assert_console_only(&buf, &format!("{name} {w}x{h}"));
                }
            }
        }
    }
}

/// The restart action through the app: R asks, y sends the command to the
/// container's Docker source, anything else does nothing.
#[test]
fn restart_asks_first_and_only_yes_sends_the_command() {
    use fleettop::action::Action;
    use fleettop::app::App;
    use fleettop::update::services::DockerCommand;
    let mut store = store();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    store.apply(
        Update::Services(ServiceUpdate::DockerReady {
            endpoint: "local".into(),
            commands: tx,
        }),
        NOW,
    );
    let mut app = App::new(
        store,
        View {
            tab: Tab::Services,
            ..View::default()
        },
        Theme::load("default").unwrap(),
        Glyphs::new(GlyphKind::Unicode),
        fleettop::theme::Depth::True,
    );
    app.size = (100, 30);
    // Select "web" (row 5 in config order) and open it: details are asked for.
    app.view.lists[1].selected = 5;
    app.handle(Action::Enter, NOW);
    assert_eq!(
        app.view.detail.as_ref().map(|d| d.key.as_str()),
        Some("docker:local/web")
    );
    assert!(matches!(rx.try_recv(), Ok(DockerCommand::Details { key, .. }) if key == "docker:local/web"));
    app.handle(Action::Restart, NOW);
    assert_eq!(app.view.confirm.as_deref(), Some("restart container web? y/n"));
    assert_eq!(app.view.mode(), fleettop::action::Mode::Confirm);
    app.handle(Action::Confirm(false), NOW);
    assert!(app.view.confirm.is_none());
    assert!(rx.try_recv().is_err(), "no means no");
    app.handle(Action::Restart, NOW);
    app.handle(Action::Confirm(true), NOW);
    match rx.try_recv() {
        Ok(DockerCommand::Restart { key, id }) => {
            assert_eq!((key.as_str(), id.as_str()), ("docker:local/web", "web0123456789abcdef"));
        }
        other => panic!("expected a restart, got {other:?}"),
    }
    let c = app
        .store
        .services
        .get("docker:local/web")
        .unwrap()
        .row
        .container
        .as_ref()
        .unwrap();
    assert_eq!(c.action.as_deref(), Some("restarting..."));
    // The result comes back as an event and on the row.
    app.apply(
        Update::Services(ServiceUpdate::ActionResult {
            key: "docker:local/web".into(),
            ok: true,
            message: "restarted".into(),
        }),
        NOW + 1000,
    );
    assert!(app.store.events.newest_first().any(|e| e.title == "web: restarted"));
    // Not on a container: R asks nothing.
    app.handle(Action::Back, NOW);
    app.view.lists[1].selected = 0;
    app.handle(Action::Enter, NOW);
    app.handle(Action::Restart, NOW);
    assert!(app.view.confirm.is_none());
}

/// Colour carries meaning: the failed result in litellm's history is drawn
/// in the error colour, the ok ones in the ok colour.
#[test]
fn a_failed_result_in_the_history_has_the_error_colour() {
    let store = store();
    let theme = Theme::load("default").unwrap();
    let view = View {
        tab: Tab::Services,
        ..View::default()
    };
    let buf = draw(&store, &view, &Glyphs::new(GlyphKind::Unicode), 100, 30);
    let y = (0..30).find(|y| screen_row(&buf, *y).contains("litellm")).unwrap();
    let row = screen_row(&buf, y);
    let start = row.chars().position(|c| c == '▂').unwrap() as u16;
    // Twelve results: the eleventh failed.
    let cells: Vec<_> = (start..start + 12).map(|x| buf[(x, y)].clone()).collect();
    assert_eq!(cells[10].symbol(), "█");
    assert_eq!(cells[10].fg, theme.error.fg.unwrap());
    assert_eq!(cells[9].fg, theme.ok.fg.unwrap());
}

#[test]
fn the_filter_and_sorts_choose_rows() {
    let store = store();
    let mut list = fleettop::ui::ListView {
        filter: "docker".into(),
        ..Default::default()
    };
    let names: Vec<&str> = fleettop::ui::services::visible(&store, &list)
        .iter()
        .map(|s| s.row.name.as_str())
        .collect();
    assert_eq!(names, ["docker local", "web", "flappy", "oneshot"]);
    list.filter = "CONFLICT".into();
    let names: Vec<&str> = fleettop::ui::services::visible(&store, &list)
        .iter()
        .map(|s| s.row.name.as_str())
        .collect();
    assert_eq!(names, ["Docs"]);
    list.filter.clear();
    list.sort = 2;
    let all = fleettop::ui::services::visible(&store, &list);
    assert_eq!(all.first().unwrap().row.name, "certbot.service");
    assert_eq!(all.last().unwrap().row.name, "web");
}
