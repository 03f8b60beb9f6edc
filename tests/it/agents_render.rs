//! The Agents tab and its output viewer, rendered for real.

use crate::common;
use common::screen::{find, text};
use fleettop::fixture::{NOW, agents_fleet};
use fleettop::store::Tab;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Detail, View};
use ratatui::buffer::Buffer;

fn draw(view: &View, w: u16, h: u16, kind: GlyphKind) -> Buffer {
    let theme = Theme::load("default").unwrap();
    common::screen::draw(&agents_fleet(), view, &theme, &Glyphs::new(kind), (w, h), NOW)
}

fn agents_tab() -> View {
    View {
        tab: Tab::Agents,
        ..View::default()
    }
}

fn viewer(search: &str, alt: bool, run: usize) -> View {
    let mut d = Detail::new(Tab::Agents, "fleet-scout");
    d.list.filter = search.into();
    d.list.selected = run;
    d.alt = alt;
    View {
        tab: Tab::Agents,
        detail: Some(d),
        ..View::default()
    }
}

#[test]
fn the_tab_at_both_sizes() {
    for (w, h) in [(100, 30), (80, 24)] {
        insta::assert_snapshot!(
            format!("agents_tab_{w}x{h}"),
            text(&draw(&agents_tab(), w, h, GlyphKind::Unicode))
        );
    }
}

#[test]
fn badges_states_and_failed_runs_carry_their_colours() {
    let theme = Theme::load("default").unwrap();
    let buf = draw(&agents_tab(), 100, 30, GlyphKind::Unicode);
    let t = text(&buf);
    // The tab title counts the Agents problems: pr-helper failing 3 in a row
    // (critical) and deacon's stale heartbeat.
    let (x, y) = find(&buf, "4 Agents");
    let badge = buf[(x + 9, y)].clone();
    assert_eq!(badge.symbol(), "2");
    assert_eq!(badge.bg, theme.critical.bg.unwrap());
    // A tag badge is reversed.
    let (x, y) = find(&buf, " scout ");
    assert!(buf[(x + 1, y)].modifier.contains(ratatui::style::Modifier::REVERSED));
    // States in their colours.
    let (x, y) = find(&buf, "failed");
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap());
    let (x, y) = find(&buf, "stale");
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap());
    // The streak of 3 reaches agent_fail_streak_critical.
    assert!(t.contains("gh: HTTP 401 bad credentials"), "{t}");
    // fleet-scout's sparkline, under "runs": five runs, the third failed (in red).
    let (x, _) = find(&buf, "24h runs");
    let x = x + 4;
    let (_, y) = find(&buf, "fleet-scout");
    let spark: Vec<_> = (x..x + 6).map(|x| buf[(x, y)].clone()).collect();
    assert_eq!(spark[5].symbol(), " ", "five runs, five bars: {t}");
    assert_eq!(spark[2].fg, theme.error.fg.unwrap());
    assert_eq!(spark[3].fg, theme.spark.fg.unwrap());
    assert_eq!(spark[3].symbol(), "█", "the longest run is the tallest bar");
    // The last output, extracted from the Outputs map in key order.
    assert!(t.contains("└ 14 hosts scanned | run 4: 1 host silent"), "{t}");
    assert!(t.contains("night-owl"), "an unconfigured agent adds a row: {t}");
}

#[test]
fn the_viewer_raw_extracted_history_and_search() {
    let theme = Theme::load("default").unwrap();
    let buf = draw(&viewer("", false, 0), 100, 30, GlyphKind::Unicode);
    insta::assert_snapshot!("agents_viewer_raw_100x30", text(&buf));
    let buf = draw(&viewer("", true, 0), 80, 24, GlyphKind::Unicode);
    insta::assert_snapshot!("agents_viewer_extracted_80x24", text(&buf));
    assert!(text(&buf).contains("output (extracted"));
    // The third-newest run is the failed one.
    let buf = draw(&viewer("", false, 2), 100, 30, GlyphKind::Unicode);
    let (x, y) = find(&buf, "failed");
    assert_eq!(
        buf[(x, y)].bg,
        theme.selected.bg.unwrap(),
        "the chosen run is highlighted"
    );
    assert!(text(&buf).contains("run 2: 1 host silent"));
    // A search hit is highlighted.
    let buf = draw(&viewer("PI-ZERO", false, 0), 100, 30, GlyphKind::Unicode);
    let (x, y) = find(&buf, "pi-zero did not");
    assert_eq!(buf[(x, y)].bg, theme.highlight.bg.unwrap());
    assert_ne!(buf[(x + 8, y)].bg, theme.highlight.bg.unwrap(), "only the hit");
    insta::assert_snapshot!("agents_viewer_search_100x30", text(&buf));
}

#[test]
fn search_finds_next_and_previous_hits() {
    let store = agents_fleet();
    let mut d = Detail::new(Tab::Agents, "fleet-scout");
    d.list.filter = "host".into();
    // Lines: 0 starting, 1 scanning 14 hosts, 2 warning, 3 {...hosts...}
    assert_eq!(ui::agents::find_match(&store, &d, usize::MAX, true), Some(1));
    assert_eq!(ui::agents::find_match(&store, &d, 1, true), Some(3));
    assert_eq!(ui::agents::find_match(&store, &d, 3, true), Some(1), "wraps around");
    assert_eq!(ui::agents::find_match(&store, &d, 3, false), Some(1));
    d.list.filter = "nowhere".into();
    assert_eq!(ui::agents::find_match(&store, &d, 0, true), None);
}

#[test]
fn console_glyphs_only() {
    for view in [agents_tab(), viewer("host", false, 0), viewer("", true, 2)] {
        for (w, h) in [(100, 30), (80, 24), (40, 12)] {
            common::screen::assert_console_only(&draw(&view, w, h, GlyphKind::Console), &format!("agents {w}x{h}"));
        }
    }
}

fn draw_overdue(view: &View) -> Buffer {
    let theme = Theme::load("default").unwrap();
    let store = fleettop::fixture::agents_overdue();
    common::screen::draw(&store, view, &theme, &Glyphs::new(GlyphKind::Console), (100, 30), NOW)
}

#[test]
fn overdue_rows_and_the_days_totals_at_100x30_under_console_glyphs() {
    let theme = Theme::load("default").unwrap();
    let mut view = agents_tab();
    view.lists[3].sort = 2; // worst first
    let buf = draw_overdue(&view);
    common::screen::assert_console_only(&buf, "agents overdue");
    let t = text(&buf);
    // The fleet's day on the title line: indexer's 70 runs of the day (6
    // failed), the fixture's 8 (4 ok), one each of backup and nightly.
    assert!(t.contains("80 runs 24h, 87.5 % ok, avg "), "{t}");
    // Two runs missed: critical; one missed: warn.
    assert!(t.contains("missed 2 runs, last 47m ago, next due in 8m"), "{t}");
    assert!(t.contains("missed 1 run, last 1h ago, next due in 28m"), "{t}");
    let (x, y) = find(&buf, "overdue");
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap());
    assert!(t.contains("CRITICAL indexer overdue: missed 2 runs"), "{t}");
    insta::assert_snapshot!("agents_overdue_100x30", t);
    // indexer's drill-down: the day's numbers at the bottom.
    let mut d = Detail::new(Tab::Agents, "indexer");
    d.list.selected = 0;
    let buf = draw_overdue(&View {
        tab: Tab::Agents,
        detail: Some(d),
        ..View::default()
    });
    common::screen::assert_console_only(&buf, "indexer viewer");
    let t = text(&buf);
    assert!(t.contains("70 runs 24h, 91.4 % ok"), "{t}");
    assert!(t.contains("6 timeouts (over 30s)"), "{t}");
    insta::assert_snapshot!("agents_overdue_viewer_100x30", t);
}

/// A scheduled daemon that has not run since fleettop began watching it 25
/// minutes ago: two `every 10m` slots missed, critical, said so on its row.
#[test]
fn a_daemon_that_never_ran_is_overdue_at_100x30_under_console_glyphs() {
    let config = "[[agents.daemon]]\nname = \"watcher\"\ntag = \"wt\"\nschedule = \"every 10m\"\n\
                  runlog = \"/nonexistent/watcher.jsonl\"\n\n\
                  [[agents.daemon]]\nname = \"quiet-one\"\nschedule = \"every 10m\"\n";
    let mut store = fleettop::store::Store::new(&fleettop::config::parse_str(config, "t.toml").unwrap());
    let min = 60 * fleettop::fixture::S;
    store.tick(NOW - 25 * min);
    store.tick(NOW);
    let theme = Theme::load("default").unwrap();
    let buf = common::screen::draw(
        &store,
        &agents_tab(),
        &theme,
        &Glyphs::new(GlyphKind::Console),
        (100, 30),
        NOW,
    );
    common::screen::assert_console_only(&buf, "never ran");
    let t = text(&buf);
    assert!(t.contains("missed 2 runs, none seen in 25m, next due in 5m"), "{t}");
    assert!(
        t.contains("CRITICAL watcher overdue: missed 2 runs, none seen in 25m"),
        "{t}"
    );
    // No runlog, unit or bus: its runs cannot be seen, so it is not judged.
    assert!(t.contains("no runs seen yet"), "{t}");
    let (x, y) = find(&buf, "overdue");
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap());
    insta::assert_snapshot!("agents_never_ran_100x30", t);
}

/// A run whose event says it timed out: `timeout` in the run list, where a
/// plain failure says `failed`.
#[test]
fn a_timed_out_run_says_so_in_the_run_list() {
    let config = "[[agents.daemon]]\nname = \"scout\"\n";
    let mut store = fleettop::store::Store::new(&fleettop::config::parse_str(config, "t.toml").unwrap());
    let min = 60 * fleettop::fixture::S;
    for (ago, line) in [
        (20, r#""event":"failed","exit_code":1"#),
        (10, r#""event":"failed","status":"timeout""#),
    ] {
        let at = (NOW - ago * min) / 1000;
        let json = format!(
            r#"{{"agent":"scout",{line},"started_at":{},"finished_at":{}}}"#,
            at - 5,
            at
        );
        let Ok(fleettop::parse::agent::Parsed::Run(event)) = fleettop::parse::agent::parse(&json) else {
            panic!("{json}")
        };
        let u = fleettop::update::agents::AgentUpdate::Event {
            event,
            source: "test".into(),
            history: false,
        };
        store.apply(fleettop::update::Update::Agents(u), NOW - ago * min);
    }
    store.tick(NOW);
    assert_eq!(store.agents.get("scout").unwrap().day.timeouts, 1);
    let theme = Theme::load("default").unwrap();
    let mut d = Detail::new(Tab::Agents, "scout");
    d.list.selected = 0;
    let view = View {
        tab: Tab::Agents,
        detail: Some(d),
        ..View::default()
    };
    let buf = common::screen::draw(&store, &view, &theme, &Glyphs::new(GlyphKind::Console), (100, 30), NOW);
    let t = text(&buf);
    let newest = t.lines().find(|l| l.contains("10m ago")).unwrap_or_default();
    let older = t.lines().find(|l| l.contains("20m ago")).unwrap_or_default();
    assert!(newest.contains(" timeout ") && older.contains(" failed "), "{t}");
}
