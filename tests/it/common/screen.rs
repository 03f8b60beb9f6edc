//! Drawing the real UI into a TestBackend and reading the result.

use fleettop::store::Store;
use fleettop::theme::{Glyphs, Theme};
use fleettop::ui::{self, Painter, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::collections::HashSet;

pub fn draw(store: &Store, view: &View, theme: &Theme, glyphs: &Glyphs, size: (u16, u16), now: i64) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    term.draw(|f| {
        ui::render(
            f,
            &Painter {
                store,
                view,
                theme,
                glyphs,
                now,
            },
        )
    })
    .unwrap();
    term.backend().buffer().clone()
}

/// The screen as text, one line per row.
pub fn text(buf: &Buffer) -> String {
    (0..buf.area.height).map(|y| row(buf, y) + "\n").collect()
}

/// The same without trailing blanks.
pub fn text_trimmed(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| row(buf, y).trim_end().to_string() + "\n")
        .collect()
}

pub fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// Where `needle` starts on screen; panics with the screen when it is not.
pub fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    for y in 0..buf.area.height {
        let cells: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        for x in 0..cells.len() {
            if cells[x..].concat().starts_with(needle) {
                return (x as u16, y);
            }
        }
    }
    panic!("{needle:?} not on screen:\n{}", text(buf));
}

/// The characters both usual Linux console fonts have.
pub fn console_glyphs() -> HashSet<char> {
    let set: HashSet<char> = include_str!("../../../assets/console-glyphs.txt")
        .lines()
        .filter_map(|l| l.strip_prefix("U+"))
        .filter_map(|l| u32::from_str_radix(l.get(..4)?, 16).ok().and_then(char::from_u32))
        .collect();
    assert!(set.contains(&'█') && !set.contains(&'▄'), "glyph list read");
    set
}

/// The real UI at 100x30 with the default theme and console glyphs, every
/// cell checked to be a console glyph (`what` names the screen if not).
pub fn console_100x30(store: &Store, view: &View, now: i64, what: &str) -> Buffer {
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(fleettop::theme::GlyphKind::Console);
    let buf = draw(store, view, &theme, &glyphs, (100, 30), now);
    assert_console_only(&buf, what);
    buf
}

/// Panics, naming the cell, if anything on screen is not a console glyph.
pub fn assert_console_only(buf: &Buffer, what: &str) {
    let allowed = console_glyphs();
    for (i, cell) in buf.content().iter().enumerate() {
        for ch in cell.symbol().chars() {
            assert!(
                allowed.contains(&ch),
                "{what}: {ch:?} (U+{:04X}) at cell {i} is not a console glyph:\n{}",
                ch as u32,
                text(buf)
            );
        }
    }
}
