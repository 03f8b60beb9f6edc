//! An animation step renders and sends only the ticker's row: for random
//! stores, views and sizes, the frame after a step (and the terminal's
//! screen, built from the cells the step sent) equals a full render, and so
//! does the next full frame after a run of steps.
//! (The "screen" is what a real terminal shows for the cells sent: see `Glass`.)

use fleettop::fixture::{NOW, agents_fleet, fleet};
use fleettop::model::Level;
use fleettop::store::{NewEvent, Store};
use fleettop::term::Screen;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{self, Painter, View};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::{Buffer, Cell};
use unicode_width::UnicodeWidthStr;

fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => Just(' '),
        1 => proptest::char::range('\u{4e00}', '\u{4e40}'), // wide CJK
        1 => proptest::char::range('\u{300}', '\u{30f}'),   // combining marks
        1 => proptest::char::range('\u{1f300}', '\u{1f320}'), // wide emoji
        1 => prop_oneof![Just('é'), Just('ß'), Just('\u{200b}'), Just('\u{1b}')],
    ];
    proptest::collection::vec(ch, 0..40).prop_map(|v| v.into_iter().collect())
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::Info),
        Just(Level::Warn),
        Just(Level::Error),
        Just(Level::Critical)
    ]
}

#[derive(Debug, Clone)]
struct Case {
    agents: bool,
    events: Vec<(Level, String, String)>,
    size: (u16, u16),
    tab: usize,
    help: bool,
    glyphs: GlyphKind,
    theme: &'static str,
    skip: usize,
    steps: usize,
    later: Option<(Level, String, String)>,
}

fn event() -> impl Strategy<Value = (Level, String, String)> {
    (level(), text(), text())
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        proptest::collection::vec(event(), 0..12),
        (20u16..160, 4u16..50),
        0usize..4,
        any::<bool>(),
        prop_oneof![
            Just(GlyphKind::Unicode),
            Just(GlyphKind::Console),
            Just(GlyphKind::Ascii)
        ],
        prop_oneof![Just("default"), Just("mono"), Just("amber"), Just("console16")],
        0usize..300,
        1usize..16,
        proptest::option::of(event()),
    )
        .prop_map(
            |(agents, events, size, tab, help, glyphs, theme, skip, steps, later)| Case {
                agents,
                events,
                size,
                tab,
                help,
                glyphs,
                theme,
                skip,
                steps,
                later,
            },
        )
}

fn push(store: &mut Store, (level, title, detail): &(Level, String, String)) {
    store.events.push(
        NOW,
        NewEvent {
            level: *level,
            title: title.clone(),
            detail: detail.clone(),
            ..NewEvent::default()
        },
    );
}

/// A fresh terminal's picture of one full frame.
fn full(size: (u16, u16), p: &Painter) -> Buffer {
    let mut t = Terminal::new(Glass::new(size.0, size.1)).unwrap();
    t.draw(|f| ui::render(f, p)).unwrap();
    t.backend().glass().clone()
}

/// A TestBackend whose picture follows a real terminal where wide
/// characters are concerned (ratatui's diff relies on it): writing over
/// either half of a wide character erases all of it.
struct Glass {
    inner: TestBackend,
    glass: Buffer,
}

impl Glass {
    fn new(w: u16, h: u16) -> Glass {
        Glass {
            inner: TestBackend::new(w, h),
            glass: Buffer::empty(ratatui::layout::Rect::new(0, 0, w, h)),
        }
    }

    fn glass(&self) -> &Buffer {
        &self.glass
    }

    fn put(&mut self, x: u16, y: u16, cell: &Cell) {
        let g = &mut self.glass;
        let wide = |c: &Cell| c.symbol().width() > 1;
        if x > 0 && wide(&g[(x - 1, y)]) {
            g[(x - 1, y)] = Cell::default();
        }
        if wide(&g[(x, y)]) && x + 1 < g.area.width {
            g[(x + 1, y)] = Cell::default();
        }
        g[(x, y)] = cell.clone();
        if wide(cell) && x + 1 < g.area.width {
            g[(x + 1, y)] = Cell::default();
        }
    }
}

impl Backend for Glass {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, content: I) -> Result<(), Self::Error> {
        for (x, y, c) in content {
            self.put(x, y, c);
        }
        Ok(())
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.glass.reset();
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        self.glass.reset();
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

/// What a terminal shows: the cell a wide character covers is not seen.
fn visible(b: &Buffer) -> Vec<Vec<Cell>> {
    b.content
        .chunks(usize::from(b.area.width))
        .map(|row| {
            let mut out = Vec::new();
            let mut hidden = 0;
            for c in row {
                if hidden > 0 {
                    hidden -= 1;
                    out.push(Cell::default());
                    continue;
                }
                hidden = c.symbol().width().saturating_sub(1);
                out.push(c.clone());
            }
            out
        })
        .collect()
}

fn row_text(cells: &[Cell]) -> String {
    cells.iter().map(Cell::symbol).collect()
}

fn step_ticker(store: &Store, view: &mut View, g: &Glyphs, width: u16) {
    let items = ui::ticker::items(&store.events, g);
    view.ticker.step(&items, usize::from(width));
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let mut store = if c.agents { agents_fleet() } else { fleet() };
    for e in &c.events {
        push(&mut store, e);
    }
    let theme = Theme::load(c.theme).unwrap();
    let g = Glyphs::new(c.glyphs);
    let mut view = View {
        tab: fleettop::tab::Tab::ALL[c.tab % fleettop::tab::Tab::ALL.len()],
        help: c.help,
        ..View::default()
    };
    for _ in 0..c.skip {
        step_ticker(&store, &mut view, &g, c.size.0);
    }
    let mut term = Terminal::new(Glass::new(c.size.0, c.size.1)).unwrap();
    let mut screen = Screen::default();
    screen.draw(&mut term, &paint(&store, &view, &theme, &g)).unwrap();
    for _ in 0..c.steps {
        step_ticker(&store, &mut view, &g, c.size.0);
        let p = paint(&store, &view, &theme, &g);
        let want = full(c.size, &p);
        let mut pure = screen.shown().clone();
        ui::ticker::step(&mut pure, &p);
        screen.step(&mut term, &p).unwrap();
        prop_assert_eq!(&pure, screen.shown());
        prop_assert_eq!(visible(&pure), visible(&want), "the step's frame is the full render's");
        prop_assert_eq!(visible(term.backend().glass()), visible(&want), "and so is the screen");
    }
    if let Some(e) = &c.later {
        push(&mut store, e);
    }
    let p = paint(&store, &view, &theme, &g);
    screen.draw(&mut term, &p).unwrap();
    let (got, want) = (visible(term.backend().glass()), visible(&full(c.size, &p)));
    for (y, (g, w)) in got.iter().zip(&want).enumerate() {
        prop_assert_eq!(
            g,
            w,
            "a full frame after steps, row {}: {:?} {:?}",
            y,
            row_text(g),
            row_text(w)
        );
    }
    Ok(())
}

fn paint<'a>(store: &'a Store, view: &'a View, theme: &'a Theme, g: &'a Glyphs) -> Painter<'a> {
    Painter {
        store,
        view,
        theme,
        glyphs: g,
        now: NOW,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_step_equals_a_full_render(c in case()) {
        check(&c)?;
    }
}

#[test]
fn a_step_sends_only_the_ticker_row() {
    let mut store = fleet();
    for t in ["alpha host up", "beta disk /home 91% full", "gamma back online"] {
        push(&mut store, &(Level::Warn, t.into(), String::new()));
    }
    let (theme, g) = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Unicode));
    let mut view = View::default();
    let mut term = Terminal::new(Glass::new(100, 30)).unwrap();
    let mut screen = Screen::default();
    screen.draw(&mut term, &paint(&store, &view, &theme, &g)).unwrap();
    let before = term.backend().glass().clone();
    step_ticker(&store, &mut view, &g, 100);
    screen.step(&mut term, &paint(&store, &view, &theme, &g)).unwrap();
    let after = term.backend().glass();
    let changed: Vec<u16> = before.diff(after).iter().map(|(_, y, _)| *y).collect();
    assert!(!changed.is_empty(), "the ticker moved");
    assert!(changed.iter().all(|y| *y == 28), "only row 28 changed: {changed:?}");
}
