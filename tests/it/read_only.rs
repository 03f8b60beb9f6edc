//! `--read-only` / `ui.read_only`: the app offers nothing that changes
//! anything (a container restart), the help overlay and the drill-down say
//! so; the kiosk unit runs read-only; kiosk rotation clears a filter left
//! behind.

use crate::common;

use common::screen::{draw, text};
use fleettop::action::{Action, help_rows};
use fleettop::app::{App, Kiosk};
use fleettop::config::parse_str;
use fleettop::store::{Store, Tab};
use fleettop::theme::{Depth, GlyphKind, Glyphs, Theme};
use fleettop::ui::View;
use fleettop::update::Update;
use fleettop::update::{
    services::ContainerInfo, services::DockerCommand, services::Health, services::Kind, services::Row,
    services::ServiceUpdate,
};
use std::time::Duration;
use tokio::sync::mpsc;

const NOW: i64 = 1_780_000_000_000;

/// An app on the Services tab with one container whose endpoint takes
/// commands (the receiver sees them).
fn docker_app(read_only: bool) -> (App, mpsc::Receiver<DockerCommand>) {
    let cfg = parse_str("[[services.docker]]\nname = \"local\"\n", "t").unwrap();
    let mut store = Store::new(&cfg);
    let (tx, rx) = mpsc::channel(4);
    store.apply(
        Update::Services(ServiceUpdate::DockerReady {
            endpoint: "local".into(),
            commands: tx,
        }),
        NOW,
    );
    let mut web = Row::new("docker:local/web", Kind::Container, "web", Health::Ok, "running");
    web.container = Some(ContainerInfo {
        endpoint: "local".into(),
        id: "web0123456789".into(),
        state: "running".into(),
        ..Default::default()
    });
    store.apply(
        Update::Services(ServiceUpdate::Set {
            scope: "docker:local".into(),
            rows: vec![
                Row::new("docker:local", Kind::Container, "docker local", Health::Ok, "connected"),
                web,
            ],
        }),
        NOW,
    );
    let view = View {
        tab: Tab::Services,
        read_only,
        ..View::default()
    };
    let mut app = App::new(
        store,
        view,
        Theme::load("default").unwrap(),
        Glyphs::new(GlyphKind::Unicode),
        Depth::True,
    );
    app.size = (100, 30);
    (app, rx)
}

fn open_web(app: &mut App, rx: &mut mpsc::Receiver<DockerCommand>) {
    let at = (0..4)
        .find(|i| {
            app.view.lists[1].selected = *i;
            app.selected_key(NOW).as_deref() == Some("docker:local/web")
        })
        .expect("web is listed");
    app.view.lists[1].selected = at;
    app.handle(Action::Enter, NOW);
    assert_eq!(
        app.view.detail.as_ref().map(|d| d.key.as_str()),
        Some("docker:local/web")
    );
    while rx.try_recv().is_ok() {} // the details asked for on opening
}

fn screen(app: &App) -> String {
    text(&draw(&app.store, &app.view, &app.theme, &app.glyphs, (100, 30), NOW))
}

#[test]
fn read_only_offers_no_restart_and_says_so() {
    // Writable: R asks, y sends the restart (the contrast).
    let (mut app, mut rx) = docker_app(false);
    open_web(&mut app, &mut rx);
    assert!(screen(&app).contains("R restart (asks first)"));
    app.handle(Action::Restart, NOW);
    assert!(app.view.confirm.is_some());
    app.handle(Action::Confirm(true), NOW);
    assert!(matches!(rx.try_recv(), Ok(DockerCommand::Restart { .. })));

    // Read-only: the key does nothing, not even with a y after it.
    let (mut app, mut rx) = docker_app(true);
    open_web(&mut app, &mut rx);
    let shown = screen(&app);
    assert!(!shown.contains("R restart"), "{shown}");
    assert!(shown.contains("read-only"), "{shown}");
    app.on_key(
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('R'),
            crossterm::event::KeyModifiers::NONE,
        ),
        NOW,
    );
    app.handle(Action::Restart, NOW);
    assert!(app.view.confirm.is_none(), "nothing is asked");
    app.handle(Action::Confirm(true), NOW);
    assert!(rx.try_recv().is_err(), "no command reached the Docker source");
    let web = app.store.services.get("docker:local/web").map(|s| &s.row);
    assert!(
        web.and_then(|r| r.container.as_ref())
            .is_some_and(|c| c.action.is_none())
    );

    // The help overlay leaves the restart out and says why.
    app.view.help = true;
    let help = screen(&app);
    assert!(!help.contains("restart the container"), "{help}");
    assert!(help.contains("nothing here changes anything"), "{help}");
    assert!(help_rows(false).iter().any(|(k, _)| *k == "R"));
}

#[test]
fn the_kiosk_unit_runs_read_only() {
    let unit = include_str!("../../assets/kiosk/fleettop-kiosk.service");
    let exec = unit.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(exec.contains("--kiosk") && exec.contains("--read-only"), "{exec}");
    let cfg = parse_str("[ui]\nread_only = true\n", "t").unwrap();
    assert!(cfg.ui.read_only);
}

#[tokio::test]
async fn kiosk_rotation_clears_a_filter_left_behind() {
    let (mut app, _rx) = docker_app(true);
    app.view.lists[0].filter = "left-behind".into();
    app.view.lists[1].filter = "web".into();
    app.kiosk = Some(Kiosk {
        period: Duration::from_secs(15),
        manual_pause: false,
        paused_until: None,
        next_switch: tokio::time::Instant::now() - Duration::from_secs(1),
    });
    app.housekeeping(NOW);
    assert_ne!(app.view.tab, Tab::Services, "rotated");
    assert!(
        app.view.lists.iter().all(|l| l.filter.is_empty()),
        "{:?}",
        app.view.lists
    );
}
