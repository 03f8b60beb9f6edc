//! The Fleet grid fills the screen: with 1, 3, 5 and 9 hosts at 100x30 (the
//! kiosk) at most 2 lines between the tab bar and the ticker are blank, no
//! tile pads itself with empty lines, offline and auth-error tiles stay
//! compact; 80x24 and 40x12 stay readable. Console glyphs throughout.

use crate::common;
use common::screen::{assert_console_only, draw, row, text};
use fleettop::fixture::{NOW, fleet_of};
use fleettop::store::Store;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::View;
use ratatui::buffer::Buffer;

fn console(store: &Store, view: &View, w: u16, h: u16) -> Buffer {
    let theme = Theme::load("console16").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Console);
    draw(store, view, &theme, &glyphs, (w, h), NOW)
}

/// Screen rows between the tab bar (row 0) and the ticker (the row above
/// the status line) with nothing on them.
fn blank_rows(buf: &Buffer) -> usize {
    (1..buf.area.height - 2)
        .filter(|&y| row(buf, y).trim().is_empty())
        .count()
}

const TOP_LEFT: [&str; 4] = ["┌", "╔", "┏", "+"];
const TOP_RIGHT: [&str; 4] = ["┐", "╗", "┓", "+"];
const BOTTOM_LEFT: [&str; 4] = ["└", "╚", "┗", "+"];

/// Every tile on screen as (x, y, width, height), borders included, found
/// by its corners.
fn tiles(buf: &Buffer) -> Vec<(u16, u16, u16, u16)> {
    let (w, h) = (buf.area.width, buf.area.height);
    let sym = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
    let mut out = Vec::new();
    for y in 1..h {
        for x in 0..w {
            if !TOP_LEFT.contains(&sym(x, y).as_str()) {
                continue;
            }
            let Some(right) = (x + 1..w).find(|&r| TOP_RIGHT.contains(&sym(r, y).as_str())) else {
                continue;
            };
            let Some(bottom) = (y + 1..h).find(|&b| BOTTOM_LEFT.contains(&sym(x, b).as_str())) else {
                continue;
            };
            out.push((x, y, right - x + 1, bottom - y + 1));
        }
    }
    out
}

/// Panics naming the tile if a line inside one is empty: a tile as high
/// as its content, not padded to the grid.
fn assert_no_padding(buf: &Buffer, what: &str) {
    let found = tiles(buf);
    assert!(!found.is_empty(), "{what}: no tile found:\n{}", text(buf));
    for (x, y, w, h) in found {
        for yy in y + 1..y + h - 1 {
            let inner: String = (x + 1..x + w - 1).map(|xx| buf[(xx, yy)].symbol()).collect();
            assert!(
                !inner.trim().is_empty(),
                "{what}: the tile at {x},{y} is padded at row {yy}:\n{}",
                text(buf)
            );
        }
    }
}

/// The tile whose title names `host`: its height.
fn tile_height(buf: &Buffer, host: &str) -> u16 {
    let (hx, hy) = common::screen::find(buf, &format!(" {host} "));
    tiles(buf)
        .into_iter()
        .find(|&(x, y, w, _)| y == hy && (x..x + w).contains(&hx))
        .map(|(_, _, _, h)| h)
        .unwrap()
}

#[test]
fn the_grid_fills_the_kiosk_screen() {
    for n in [1, 3, 5, 9] {
        let store = fleet_of(n);
        let buf = console(&store, &View::default(), 100, 30);
        let what = format!("{n} hosts at 100x30");
        assert_console_only(&buf, &what);
        assert!(
            blank_rows(&buf) <= 2,
            "{what}: {} blank rows:\n{}",
            blank_rows(&buf),
            text(&buf)
        );
        assert_no_padding(&buf, &what);
        assert_eq!(tiles(&buf).len(), n, "{what}: every host a tile:\n{}", text(&buf));
        insta::assert_snapshot!(format!("fleet_grid_{n}_100x30"), text(&buf));
    }
}

#[test]
fn a_tall_tile_shows_more_of_its_host() {
    let buf = console(&fleet_of(1), &View::default(), 100, 30);
    let t = text(&buf);
    // A bar per core, in columns, on a wide tile.
    assert!(t.contains("  0 ") && t.contains("  7 ") && t.contains("95%"), "{t}");
    assert!(t.contains("91% /home") && t.contains("66% /"), "every disk: {t}");
    assert!(
        t.contains("SES claude") && t.contains("GPU 56%"),
        "sessions and GPU: {t}"
    );
    assert!(
        t.contains("TOP vllm 75%") && t.contains("claude 32% 612M"),
        "the busiest processes: {t}"
    );
    // Nine hosts: a tile of 7 lines keeps CPU, RAM, the worst disk, ...
    let buf = console(&fleet_of(9), &View::default(), 100, 30);
    let t = text(&buf);
    assert!(
        t.contains("CPU") && t.contains("RAM") && t.contains("DSK") && t.contains("NET"),
        "{t}"
    );
}

#[test]
fn offline_and_auth_error_tiles_stay_compact_and_say_why() {
    for n in [3, 5, 9] {
        let buf = console(&fleet_of(n), &View::default(), 100, 30);
        let t = text(&buf);
        assert!(
            t.contains("connection refused") && t.contains("last data 5m ago"),
            "{t}"
        );
        assert!(t.contains("host key changed"), "{t}");
        assert_eq!(tile_height(&buf, "pi-zero"), 4, "reason and last data:\n{t}");
        assert_eq!(tile_height(&buf, "mac-mini"), 3, "the reason:\n{t}");
    }
}

#[test]
fn smaller_screens_stay_readable() {
    for (w, h) in [(80, 24), (40, 12)] {
        for n in [5, 9] {
            let store = fleet_of(n);
            let mut view = View::default();
            let what = format!("{n} hosts at {w}x{h}");
            let buf = console(&store, &view, w, h);
            assert_console_only(&buf, &what);
            assert_no_padding(&buf, &what);
            let t = text(&buf);
            assert!(t.contains("CPU") && t.contains("RAM"), "{what}: {t}");
            insta::assert_snapshot!(format!("fleet_grid_{n}_{w}x{h}"), t);
            // The last host scrolled to, whole.
            view.lists[0].selected = n - 1;
            let buf = console(&store, &view, w, h);
            assert_no_padding(&buf, &what);
            assert!(text(&buf).contains(" ci-2 ") || n != 9, "{what}:\n{}", text(&buf));
        }
    }
}
