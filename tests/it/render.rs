//! Render tests: the real `ui::render` on a fixed fleet, through ratatui's
//! TestBackend, at the sizes a user has (100x30 kiosk, 80x24, 40x12).

use fleettop::model::Level;
use fleettop::store::Store;
use fleettop::store::Tab;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Detail, View};
use ratatui::buffer::Buffer;

use crate::common;
use common::screen::{find, text};
use fleettop::fixture::{NOW, fleet, host, small};

fn draw(store: &Store, view: &View, theme: &Theme, glyphs: &Glyphs, w: u16, h: u16) -> Buffer {
    common::screen::draw(store, view, theme, glyphs, (w, h), NOW)
}

struct Case {
    name: &'static str,
    view: View,
}

fn cases() -> Vec<Case> {
    let detail = View {
        detail: Some(Detail::new(Tab::Fleet, "omarchy")),
        ..View::default()
    };
    let help = View {
        help: true,
        ..View::default()
    };
    let tab = |i: usize| View {
        tab: Tab::ALL[i],
        ..View::default()
    };
    vec![
        Case {
            name: "fleet",
            view: View::default(),
        },
        Case {
            name: "host",
            view: detail,
        },
        Case {
            name: "help",
            view: help,
        },
        Case {
            name: "services",
            view: tab(1),
        },
        Case {
            name: "nats",
            view: tab(2),
        },
        Case {
            name: "agents",
            view: tab(3),
        },
    ]
}

const SIZES: [(u16, u16); 3] = [(100, 30), (80, 24), (40, 12)];

#[test]
fn snapshots_of_every_view_at_every_size() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    for case in cases() {
        for (w, h) in SIZES {
            let buf = draw(&store, &case.view, &theme, &glyphs, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", case.name), text(&buf));
        }
    }
}

#[test]
fn console_snapshot_and_every_cell_is_a_console_glyph() {
    let mut store = fleet();
    // Events with outside text on the ticker too.
    store.apply(host("build", small(NOW, "naïve-Ω-name")), NOW);
    let glyphs = Glyphs::new(GlyphKind::Console);
    for theme_name in ["console16", "default", "mono"] {
        let theme = Theme::load(theme_name).unwrap();
        for case in cases() {
            for (w, h) in SIZES.into_iter().chain([(20, 5), (200, 60)]) {
                let buf = draw(&store, &case.view, &theme, &glyphs, w, h);
                common::screen::assert_console_only(&buf, &format!("{} {w}x{h} {theme_name}", case.name));
            }
        }
    }
    let buf = draw(
        &fleet(),
        &View::default(),
        &Theme::load("console16").unwrap(),
        &glyphs,
        100,
        30,
    );
    insta::assert_snapshot!("fleet_console_100x30", text(&buf));
}

#[test]
fn cells_that_carry_meaning_have_their_colour() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let buf = draw(&store, &View::default(), &theme, &glyphs, 100, 30);
    // The active tab is highlighted, the others are not.
    let (x, y) = find(&buf, "1 Fleet");
    assert_eq!(buf[(x, y)].bg, theme.tab_active.bg.unwrap());
    let (x, y) = find(&buf, "2 Services");
    assert_ne!(buf[(x, y)].bg, theme.tab_active.bg.unwrap());
    // The Fleet tab's badge counts its problems in the colour of the worst.
    let (x, y) = find(&buf, "3!");
    assert_eq!(
        buf[(x, y)].bg,
        theme.critical.bg.unwrap(),
        "worst fleet problem is critical (/home at 91%)"
    );
    // State dots: online green, offline and auth-error red.
    for (name, style) in [
        ("omarchy", theme.ok),
        ("pi-zero", theme.error),
        ("mac-mini", theme.error),
        ("build", theme.ok),
    ] {
        let (x, y) = find(&buf, name);
        assert_eq!(buf[(x - 2, y)].symbol(), "●", "{name}'s dot");
        assert_eq!(buf[(x - 2, y)].fg, style.fg.unwrap(), "{name}'s dot colour");
    }
    // The disk above disk_critical_pct shows in the error colour.
    let (x, y) = find(&buf, "91% /home");
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap());
    // The offline host says why and since when.
    let t = text(&buf);
    assert!(t.contains("offline 5m ago"), "{t}");
    assert!(t.contains("connect: connection refused"), "{t}");
    assert!(t.contains("host key changed"), "{t}");
    // Three claude sessions are three dots.
    assert!(t.contains("claude ●●● codex ●"), "{t}");
    // Tokens per second from the counters' delta: 84 tokens in 2 s.
    assert!(t.contains("42 tok/s"), "{t}");
}

#[test]
fn ticker_levels_are_coloured() {
    let mut store = fleet();
    store.apply(host("build", small(NOW, "cc1plus")), NOW);
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let buf = draw(&store, &View::default(), &theme, &glyphs, 300, 30);
    let (x, y) = find(&buf, "ERROR pi-zero offline");
    assert_eq!(y, 28, "the ticker is the second-last line");
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap());
    let (x, y) = find(&buf, "omarchy up");
    assert_eq!(buf[(x, y)].fg, theme.info.fg.unwrap());
}

#[test]
fn process_table_sorts_and_filters() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let mut view = View::default();
    let mut d = Detail::new(Tab::Fleet, "omarchy");
    let h = store.host("omarchy").unwrap();
    let names = |d: &Detail| {
        ui::host::processes(h, d)
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&d)[..2], ["vllm", "claude"]);
    d.list.sort = 1; // mem
    assert_eq!(names(&d)[..2], ["vllm", "firefox"]);
    d.list.sort = 2; // name
    assert_eq!(names(&d)[0], "claude");
    d.list.filter = "clau".into();
    assert_eq!(names(&d).len(), 3);
    view.detail = Some(d);
    let t = text(&draw(&store, &view, &theme, &glyphs, 100, 30));
    assert!(t.contains("processes 3/7 filter \"clau\""), "{t}");
    assert!(!t.contains("firefox"), "{t}");
}

#[test]
fn a_trimmed_process_table_says_of_how_many() {
    let mut store = fleet();
    let mut sample = small(NOW, "cc1plus");
    sample.processes_of = Some(523);
    store.apply(host("build", sample), NOW);
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let view = View {
        detail: Some(Detail::new(Tab::Fleet, "build")),
        ..View::default()
    };
    let t = text(&draw(&store, &view, &theme, &glyphs, 100, 30));
    assert!(t.contains("processes 1/1 top of 523"), "{t}");
}

#[test]
fn too_small_says_so_and_does_not_panic() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    for (w, h) in [(20, 5), (1, 1), (29, 30), (100, 7), (30, 8)] {
        for case in cases() {
            let t = text(&draw(&store, &case.view, &theme, &glyphs, w, h));
            if w < ui::MIN_WIDTH || h < ui::MIN_HEIGHT {
                assert!(w < 18 || h < 1 || t.contains("too small"), "{w}x{h}: {t}");
            }
        }
    }
}

#[test]
fn problems_are_counted_per_tab() {
    let store = fleet();
    let (n, level) = store.problem_count(fleettop::store::Tab::Fleet, NOW);
    assert_eq!((n, level), (3, Level::Critical), "offline + auth-error + /home at 91%");
    let titles: Vec<_> = store
        .problems(NOW)
        .into_iter()
        .map(|p| (p.level, p.title.to_string()))
        .collect();
    assert_eq!(titles[0], (Level::Critical, "omarchy disk /home 91% full".to_string()));
    assert!(
        titles
            .iter()
            .any(|(l, t)| *l == Level::Error && t.starts_with("pi-zero offline: connect: connection refused")),
        "{titles:?}"
    );
}

#[test]
fn a_lone_host_fills_the_screen_with_more_of_itself() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let mut view = View::default();
    view.lists[0].filter = "omarchy".into();
    let t = text(&draw(&store, &view, &theme, &glyphs, 100, 30));
    assert!(t.contains("  6 █████████████▎  95%"), "a bar per core: {t}");
    assert!(t.contains("DSK") && t.contains("66% /"), "every disk: {t}");
    assert!(t.contains("claude 32% 612M"), "the next busiest processes: {t}");
    insta::assert_snapshot!("fleet_single_100x30", t);
}

#[test]
fn the_selection_stays_on_its_host_when_the_list_re_sorts() {
    use fleettop::app::App;
    use fleettop::fixture::{omarchy, small};
    let mut app = App::new(
        fleet(),
        View::default(),
        Theme::load("default").unwrap(),
        Glyphs::new(GlyphKind::Unicode),
        fleettop::theme::Depth::True,
    );
    app.view.lists[0].sort = 3; // cpu, busiest first
    app.size = (100, 30);
    app.view.lists[0].selected = 2; // omarchy, pi-zero, build (7% each: config order), mac-mini
    let key = app.selected_key(NOW);
    assert_eq!(key.as_deref(), Some("build"));
    // build gets busy and moves to the top.
    let mut busy = small(NOW + 2000, "cc1plus");
    busy.cpu_pct = 99.0;
    app.apply(host("build", busy), NOW + 2000);
    app.apply(host("omarchy", omarchy(NOW + 2000, 1 << 31, 10_200.0)), NOW + 2000);
    assert_ne!(app.selected_key(NOW + 2000), key, "the row under the cursor changed");
    app.keep_selection(key.clone(), NOW + 2000);
    assert_eq!(app.selected_key(NOW + 2000), key);
    assert_eq!(app.view.lists[0].selected, 0);
}

#[test]
fn a_large_fleet_scrolls_to_the_selected_tile() {
    let mut cfg = String::new();
    for i in 0..300 {
        cfg.push_str(&format!(
            "[[hosts]]\nname = \"h{i:03}\"\nssh = \"u@10.0.{}.{}\"\n",
            i / 200,
            i % 200
        ));
    }
    let mut store = Store::new(&fleettop::config::parse_str(&cfg, "big.toml").unwrap());
    for i in [0, 250, 299] {
        store.apply(host(&format!("h{i:03}"), small(NOW, "sshd")), NOW);
    }
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let mut view = View::default();
    for (sel, shown, hidden) in [(0, "h000", "h250"), (250, "h250", "h000"), (299, "h299", "h000")] {
        view.lists[0].selected = sel;
        let buf = draw(&store, &view, &theme, &glyphs, 100, 30);
        // The grid only: the ticker below names hosts too.
        let t: String = (1..28).map(|y| common::screen::row(&buf, y) + "\n").collect();
        assert!(t.contains(shown), "{sel}: {t}");
        assert!(!t.contains(hidden), "{sel}: {t}");
    }
}
