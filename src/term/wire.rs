//! What goes down the wire for a frame's changed cells: the fewest bytes
//! that put them on the screen (the link may be slow, and a kiosk draws for
//! months).
//!
//! crossterm's backend moves the cursor with an absolute move before every
//! cell that does not follow the last one, sets colours as `38;5;N` and
//! `48;5;N` in one sequence whenever either changes, each attribute in a
//! sequence of its own, and ends every frame with four resets (20 bytes).
//! Here: a move is the shortest of a few ([`move_to`]), line feeds and
//! carriage returns among them;
//! the 16 named colours are `30`–`37`/`90`–`97` (`40`–`47`/`100`–`107`
//! behind), only what changed is set (or a reset and what the cell has,
//! when that is shorter), all of it in one sequence; and a
//! frame ends with one reset, and only if the style is not already the
//! default. Every code here is one the Linux console knows.
//!
//! A cell whose symbol is not one column wide leaves the cursor where the
//! terminal's own idea of its width puts it: the next cell then gets an
//! absolute move, as with crossterm.

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// The terminal's pen as the cells go out: where the next character lands
/// (if known) and its style.
#[derive(Debug, Clone, Copy)]
struct Pen {
    at: Option<(u16, u16)>,
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Pen {
    /// At the start of a frame: the style is the default (every frame ends
    /// with it) and the cursor is wherever the last one left it.
    fn new() -> Pen {
        Pen {
            at: None,
            fg: Color::Reset,
            bg: Color::Reset,
            modifier: Modifier::empty(),
        }
    }

    fn styled(&self) -> bool {
        self.fg != Color::Reset || self.bg != Color::Reset || !self.modifier.is_empty()
    }
}

/// Writes `cells` (column, row, cell; rows and columns from 0) to `out`.
pub(crate) fn encode<'a, W: Write>(out: &mut W, cells: impl Iterator<Item = (u16, u16, &'a Cell)>) -> io::Result<()> {
    let mut pen = Pen::new();
    let mut params = Params::default();
    for (x, y, cell) in cells {
        move_to(out, pen.at, x, y)?;
        params.clear();
        restyle(&mut pen, cell, &mut params);
        if !params.is_empty() {
            params.write_sgr(out)?;
        }
        let symbol = cell.symbol();
        out.write_all(symbol.as_bytes())?;
        pen.at = (symbol.width() == 1).then_some((x.saturating_add(1), y));
    }
    if pen.styled() {
        out.write_all(b"\x1b[m")?;
    }
    Ok(())
}

/// The shortest move from `at` to (`x`, `y`); none when already there.
///
/// Candidates: "to row;column" (`CSI R;C H`); on the same row, "forward
/// N" (`CSI N C`), "to column" (`CSI N G`), or a carriage return and then
/// forward; a few rows down, line feeds (in raw mode a line feed only moves
/// down, and never scrolls here: the target row is below) or "down N"
/// (`CSI N B`), then the column set anew (a terminal in newline mode also
/// returns the carriage on a line feed). Relative moves only from a known
/// place: after the last column a terminal waits to wrap, so nothing is
/// relative to that column (a move there is always to a column, not by).
fn move_to<W: Write>(out: &mut W, at: Option<(u16, u16)>, x: u16, y: u16) -> io::Result<()> {
    let mut best = Move::To(x, y);
    let mut consider = |m: Move| {
        if m.len() < best.len() {
            best = m;
        }
    };
    match at {
        Some((cx, cy)) if cy == y && cx == x => return Ok(()),
        Some((cx, cy)) if cy == y => {
            if x > cx {
                consider(Move::Forward(u32::from(x - cx)));
            }
            consider(Move::Column(x));
        }
        Some((cx, cy)) if y > cy => {
            let dy = u32::from(y - cy);
            if x == cx {
                consider(Move::Down(dy));
            }
            if dy <= 3 {
                consider(Move::FeedThenColumn(dy, x));
            }
            consider(Move::DownThenColumn(dy, x));
        }
        _ => {}
    }
    best.write(out)
}

/// A cursor move, sized before it is written: the candidates of [`move_to`]
/// cost no allocation (a move goes before most runs of a frame).
#[derive(Debug, Clone, Copy)]
enum Move {
    /// To (column, row), from anywhere.
    To(u16, u16),
    /// N columns to the right.
    Forward(u32),
    /// N rows down, the column kept.
    Down(u32),
    /// To a column of the cursor's row, from wherever on it.
    Column(u16),
    /// N line feeds, then to a column.
    FeedThenColumn(u32, u16),
    /// N rows down, then to a column.
    DownThenColumn(u32, u16),
}

impl Move {
    /// Its bytes.
    fn len(self) -> u32 {
        match self {
            Move::To(0, y) => 3 + digits(u32::from(y) + 1),
            Move::To(x, y) => 4 + digits(u32::from(y) + 1) + digits(u32::from(x) + 1),
            Move::Forward(n) | Move::Down(n) => by_len(n),
            Move::Column(x) => column(x).0,
            Move::FeedThenColumn(n, x) => n + column(x).0,
            Move::DownThenColumn(n, x) => by_len(n) + column(x).0,
        }
    }

    fn write<W: Write>(self, out: &mut W) -> io::Result<()> {
        match self {
            Move::To(0, y) => csi(out, u32::from(y) + 1, b'H'),
            Move::To(x, y) => {
                out.write_all(b"\x1b[")?;
                number(out, u32::from(y) + 1)?;
                out.write_all(b";")?;
                number(out, u32::from(x) + 1)?;
                out.write_all(b"H")
            }
            Move::Forward(n) => by(out, n, b'C'),
            Move::Down(n) => by(out, n, b'B'),
            Move::Column(x) => to_column(out, x),
            Move::FeedThenColumn(n, x) => {
                for _ in 0..n {
                    out.write_all(b"\n")?;
                }
                to_column(out, x)
            }
            Move::DownThenColumn(n, x) => {
                by(out, n, b'B')?;
                to_column(out, x)
            }
        }
    }
}

/// Bytes of a relative move by `n` (`CSI C`, `CSI n C`).
fn by_len(n: u32) -> u32 {
    if n == 1 { 3 } else { 3 + digits(n) }
}

/// A relative move by `n`: the count left out when it is one.
fn by<W: Write>(out: &mut W, n: u32, verb: u8) -> io::Result<()> {
    if n == 1 {
        out.write_all(&[0x1b, b'[', verb])
    } else {
        csi(out, n, verb)
    }
}

/// To column `x` of the cursor's row, from wherever on it: a carriage
/// return (and forward), or "to column", whichever is shorter. Its length,
/// and whether it is the carriage return.
fn column(x: u16) -> (u32, bool) {
    let back = if x == 0 { 1 } else { 1 + by_len(u32::from(x)) };
    let cha = 3 + digits(u32::from(x) + 1);
    if back <= cha { (back, true) } else { (cha, false) }
}

fn to_column<W: Write>(out: &mut W, x: u16) -> io::Result<()> {
    match column(x) {
        (_, true) => {
            out.write_all(b"\r")?;
            if x > 0 { by(out, u32::from(x), b'C') } else { Ok(()) }
        }
        (_, false) => csi(out, u32::from(x) + 1, b'G'),
    }
}

/// `CSI n verb`.
fn csi<W: Write>(out: &mut W, n: u32, verb: u8) -> io::Result<()> {
    out.write_all(b"\x1b[")?;
    number(out, n)?;
    out.write_all(&[verb])
}

/// `n` in decimal, without the formatting machinery (it goes out for
/// nearly every cursor move and colour).
fn number<W: Write>(out: &mut W, mut n: u32) -> io::Result<()> {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.write_all(&buf[i..])
}

fn digits(n: u32) -> u32 {
    n.checked_ilog10().unwrap_or(0) + 1
}

/// SGR parameters, gathered to go out in one sequence: at most a reset, the
/// two paired and five single "off" codes, nine attributes and two colours
/// of five parameters each, 27; on the stack (a frame has one per change).
#[derive(Default)]
struct Params {
    codes: [u8; 32],
    n: usize,
}

impl Params {
    fn clear(&mut self) {
        self.n = 0;
    }
    fn is_empty(&self) -> bool {
        self.n == 0
    }
    fn push(&mut self, p: u8) {
        self.codes[self.n] = p;
        self.n += 1;
    }
    fn codes(&self) -> &[u8] {
        &self.codes[..self.n]
    }
    /// Their length in the sequence: digits and separators.
    fn len(&self) -> usize {
        self.codes().iter().map(|p| digits(u32::from(*p)) as usize + 1).sum()
    }
    fn write_sgr<W: Write>(&self, out: &mut W) -> io::Result<()> {
        if self.codes() == [0] {
            return out.write_all(b"\x1b[m");
        }
        out.write_all(b"\x1b[")?;
        for (i, p) in self.codes().iter().enumerate() {
            if i > 0 {
                out.write_all(b";")?;
            }
            number(out, u32::from(*p))?;
        }
        out.write_all(b"m")
    }
}

/// The attributes with their SGR codes (set; the reset is `0`).
const ATTRIBUTES: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

/// What has to change for `cell`'s style, into `params`; `pen` follows.
/// Either only what changed (with the "off" code of each attribute that
/// goes), or a reset (`0`) and then what the cell has, whichever is
/// shorter.
fn restyle(pen: &mut Pen, cell: &Cell, params: &mut Params) {
    if (cell.fg, cell.bg, cell.modifier) == (pen.fg, pen.bg, pen.modifier) {
        return;
    }
    let mut fresh = Params::default();
    fresh.push(0);
    set(&mut fresh, &Pen::new(), cell);
    set(params, pen, cell);
    if fresh.len() < params.len() {
        *params = fresh;
    }
    (pen.fg, pen.bg, pen.modifier) = (cell.fg, cell.bg, cell.modifier);
}

/// Attributes that one "off" code ends together: bold and dim (`22`, normal
/// intensity), the two blinks (`25`).
const PAIRED_OFF: [(Modifier, u8); 2] = [
    (Modifier::BOLD.union(Modifier::DIM), 22),
    (Modifier::SLOW_BLINK.union(Modifier::RAPID_BLINK), 25),
];

/// The "off" code of each other attribute.
const OFF: [(Modifier, u8); 5] = [
    (Modifier::ITALIC, 23),
    (Modifier::UNDERLINED, 24),
    (Modifier::REVERSED, 27),
    (Modifier::HIDDEN, 28),
    (Modifier::CROSSED_OUT, 29),
];

/// The parameters that take a terminal from `pen`'s style to `cell`'s.
fn set(params: &mut Params, pen: &Pen, cell: &Cell) {
    let removed = pen.modifier - cell.modifier;
    let mut added = cell.modifier - pen.modifier;
    for (pair, code) in PAIRED_OFF {
        if removed.intersects(pair) {
            params.push(code);
            // What stays of the pair is set again.
            added |= cell.modifier & pair;
        }
    }
    for (m, code) in OFF {
        if removed.contains(m) {
            params.push(code);
        }
    }
    for (m, code) in ATTRIBUTES {
        if added.contains(m) {
            params.push(code);
        }
    }
    if cell.fg != pen.fg {
        colour(params, cell.fg, 30);
    }
    if cell.bg != pen.bg {
        colour(params, cell.bg, 40);
    }
}

/// A colour's SGR parameters: `base` is 30 for the foreground, 40 behind.
fn colour(params: &mut Params, c: Color, base: u8) {
    let named = |i: u8| if i < 8 { base + i } else { base + 60 + i - 8 };
    match c {
        Color::Reset => params.push(base + 9),
        Color::Black => params.push(named(0)),
        Color::Red => params.push(named(1)),
        Color::Green => params.push(named(2)),
        Color::Yellow => params.push(named(3)),
        Color::Blue => params.push(named(4)),
        Color::Magenta => params.push(named(5)),
        Color::Cyan => params.push(named(6)),
        Color::Gray => params.push(named(7)),
        Color::DarkGray => params.push(named(8)),
        Color::LightRed => params.push(named(9)),
        Color::LightGreen => params.push(named(10)),
        Color::LightYellow => params.push(named(11)),
        Color::LightBlue => params.push(named(12)),
        Color::LightMagenta => params.push(named(13)),
        Color::LightCyan => params.push(named(14)),
        Color::White => params.push(named(15)),
        Color::Indexed(i) => {
            params.push(base + 8);
            params.push(5);
            params.push(i);
        }
        Color::Rgb(r, g, b) => {
            params.push(base + 8);
            params.push(2);
            params.push(r);
            params.push(g);
            params.push(b);
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
