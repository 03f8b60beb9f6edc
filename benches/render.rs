//! What a frame costs: the whole 100x30 Fleet tab and the host drill-down,
//! rendered into a TestBackend (no terminal I/O), one ticker step (only its
//! row rendered and sent), plus the reducer's apply.
//! `cargo bench --bench render`; figures go in the README.

use fleettop::fixture::{NOW, fleet, host, omarchy};
use fleettop::model::Level;
use fleettop::store::{NewEvent, Store, Tab};
use fleettop::term::Screen;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Detail, Painter, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

fn frame(view: &View, glyphs: GlyphKind) -> impl FnMut() {
    let store = fleet();
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(glyphs);
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let view = View {
        detail: view.detail.clone(),
        ..View::default()
    };
    move || {
        let p = Painter {
            store: &store,
            view: &view,
            theme: &theme,
            glyphs: &glyphs,
            now: NOW,
        };
        term.draw(|f| ui::render(f, &p)).unwrap();
        divan::black_box(term.backend().buffer().content.len());
    }
}

#[divan::bench]
fn fleet_100x30(b: divan::Bencher) {
    b.bench_local(frame(&View::default(), GlyphKind::Unicode));
}

#[divan::bench]
fn fleet_100x30_console(b: divan::Bencher) {
    b.bench_local(frame(&View::default(), GlyphKind::Console));
}

#[divan::bench]
fn host_detail_100x30(b: divan::Bencher) {
    let view = View {
        detail: Some(Detail::new(Tab::Fleet, "omarchy")),
        ..View::default()
    };
    b.bench_local(frame(&view, GlyphKind::Unicode));
}

/// One animation step at 100 columns, with a ticker full of coloured events.
#[divan::bench]
fn ticker_step_100x30(b: divan::Bencher) {
    let mut store = fleet();
    let levels = [Level::Info, Level::Warn, Level::Error, Level::Critical];
    for i in 0..24 {
        let event = NewEvent {
            level: levels[i % levels.len()],
            title: format!("web-{i} restarted"),
            detail: "exit 1 after 3s".into(),
            ..NewEvent::default()
        };
        store.events.push(NOW, event);
    }
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Unicode);
    let mut view = View::default();
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut screen = Screen::default();
    screen.draw(&mut term, &paint(&store, &view, &theme, &glyphs)).unwrap();
    b.bench_local(|| {
        let items = ui::ticker::items(&store.events, &glyphs);
        view.ticker.step(&items, 100);
        screen.step(&mut term, &paint(&store, &view, &theme, &glyphs)).unwrap();
    });
}

fn paint<'a>(store: &'a Store, view: &'a View, theme: &'a Theme, glyphs: &'a Glyphs) -> Painter<'a> {
    Painter {
        store,
        view,
        theme,
        glyphs,
        now: NOW,
    }
}

#[divan::bench]
fn reducer_apply_host_sample(b: divan::Bencher) {
    let mut store = fleet();
    let mut at = NOW;
    b.bench_local(move || {
        at += 2000;
        store.apply(host("omarchy", omarchy(at, 1 << 30, 10_000.0)), at);
    });
}
