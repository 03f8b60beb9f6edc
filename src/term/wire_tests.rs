use super::*;
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// A terminal that understands what [`encode`] may send (and nothing
/// else: anything unknown fails the test): cursor moves `H`, `G`, `C`, SGR
/// `m` with every parameter `encode` uses, and printable text.
struct Screen {
    cells: Vec<Vec<(String, Color, Color, Modifier)>>,
    cursor: (usize, usize),
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Screen {
    /// The screen showing `buf`, the cursor somewhere, the style default.
    fn showing(buf: &Buffer) -> Screen {
        let a = buf.area;
        let cells = (0..a.height)
            .map(|y| {
                (0..a.width)
                    .map(|x| {
                        let c = &buf[(x, y)];
                        (c.symbol().to_string(), c.fg, c.bg, c.modifier)
                    })
                    .collect()
            })
            .collect();
        Screen {
            cells,
            cursor: (usize::from(a.width) / 2, usize::from(a.height) / 2),
            fg: Color::Reset,
            bg: Color::Reset,
            modifier: Modifier::empty(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).expect("UTF-8");
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\n' {
                // Raw mode: down one row, the column kept; never a scroll.
                assert!(
                    self.cursor.1 + 1 < self.cells.len(),
                    "a line feed on the last row scrolls"
                );
                self.cursor.1 += 1;
                continue;
            }
            if c == '\r' {
                self.cursor.0 = 0;
                continue;
            }
            if c != '\x1b' {
                assert!(!c.is_control(), "a control character {c:?}");
                let w = c.to_string().width();
                let (x, y) = self.cursor;
                assert!(x < self.cells[y].len(), "printed past the last column");
                self.cells[y][x] = (c.to_string(), self.fg, self.bg, self.modifier);
                if w == 2 {
                    self.cells[y][x + 1].0 = String::new();
                }
                self.cursor.0 += w;
                continue;
            }
            assert_eq!(chars.next(), Some('['), "only CSI sequences");
            let mut params = String::new();
            let fin = loop {
                let c = chars.next().expect("a whole sequence");
                if c.is_ascii_digit() || c == ';' {
                    params.push(c);
                } else {
                    break c;
                }
            };
            let nums: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
            match fin {
                'H' => self.cursor = (nums.get(1).copied().unwrap_or(1) - 1, nums[0] - 1),
                'G' => self.cursor.0 = nums[0] - 1,
                'C' => self.cursor.0 += nums[0].max(1),
                'B' => {
                    self.cursor.1 += nums[0].max(1);
                    assert!(self.cursor.1 < self.cells.len(), "down past the last row");
                }
                'm' => self.sgr(&nums),
                other => panic!("unexpected CSI {params}{other}"),
            }
        }
    }

    fn sgr(&mut self, p: &[usize]) {
        let named = |i: usize| {
            [
                Color::Black,
                Color::Red,
                Color::Green,
                Color::Yellow,
                Color::Blue,
                Color::Magenta,
                Color::Cyan,
                Color::Gray,
                Color::DarkGray,
                Color::LightRed,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightCyan,
                Color::White,
            ][i]
        };
        let mut i = 0;
        while i < p.len() {
            let extended = |i: &mut usize| -> Color {
                let c = match p[*i + 1] {
                    5 => Color::Indexed(u8::try_from(p[*i + 2]).unwrap()),
                    2 => Color::Rgb(p[*i + 2] as u8, p[*i + 3] as u8, p[*i + 4] as u8),
                    x => panic!("38;{x}"),
                };
                *i += if p[*i + 1] == 5 { 2 } else { 4 };
                c
            };
            match p[i] {
                0 => (self.fg, self.bg, self.modifier) = (Color::Reset, Color::Reset, Modifier::empty()),
                n @ 1..=9 => self.modifier |= ATTRIBUTES[n - 1].0,
                22 => self.modifier -= Modifier::BOLD | Modifier::DIM,
                25 => self.modifier -= Modifier::SLOW_BLINK | Modifier::RAPID_BLINK,
                n @ (23 | 24 | 27 | 28 | 29) => {
                    self.modifier -= OFF.iter().find(|(_, c)| usize::from(*c) == n).unwrap().0;
                }
                n @ 30..=37 => self.fg = named(n - 30),
                n @ 90..=97 => self.fg = named(n - 90 + 8),
                n @ 40..=47 => self.bg = named(n - 40),
                n @ 100..=107 => self.bg = named(n - 100 + 8),
                38 => self.fg = extended(&mut i),
                48 => self.bg = extended(&mut i),
                39 => self.fg = Color::Reset,
                49 => self.bg = Color::Reset,
                n => panic!("unexpected SGR {n}"),
            }
            i += 1;
        }
    }
}

/// What crossterm's backend sends for the same cells.
fn crossterm_bytes(cells: &[(u16, u16, &Cell)]) -> usize {
    use ratatui::backend::Backend;
    /// Counts what is written.
    struct Count(std::rc::Rc<std::cell::Cell<usize>>);
    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.set(self.0.get() + b.len());
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let n = std::rc::Rc::default();
    let mut b = ratatui::backend::CrosstermBackend::new(Count(std::rc::Rc::clone(&n)));
    b.draw(cells.iter().copied()).unwrap();
    n.get()
}

fn colour() -> impl Strategy<Value = Color> {
    prop_oneof![
        Just(Color::Reset),
        Just(Color::Red),
        Just(Color::LightCyan),
        Just(Color::DarkGray),
        Just(Color::White),
        (0u8..=255).prop_map(Color::Indexed),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(r, g, b)| Color::Rgb(r, g, b)),
    ]
}

fn modifier() -> impl Strategy<Value = Modifier> {
    (0u16..512).prop_map(Modifier::from_bits_truncate)
}

/// Strings put on a 12x4 buffer: where, what, and in which style.
fn paint() -> impl Strategy<Value = Vec<(u16, u16, String, Color, Color, Modifier)>> {
    let text = prop::collection::vec(
        prop_oneof![Just("a"), Just("░"), Just("字"), Just(" "), Just("é")],
        1..6,
    )
    .prop_map(|v| v.concat());
    prop::collection::vec((0u16..12, 0u16..4, text, colour(), colour(), modifier()), 0..12)
}

fn painted(strokes: &[(u16, u16, String, Color, Color, Modifier)]) -> Buffer {
    let mut b = Buffer::empty(Rect::new(0, 0, 12, 4));
    for (x, y, s, fg, bg, m) in strokes {
        b.set_string(*x, *y, s, Style::default().fg(*fg).bg(*bg).add_modifier(*m));
    }
    b
}

proptest! {
    /// Whatever changed, the terminal shows the new frame after the bytes,
    /// its style is back to the default, and the bytes are never more than
    /// crossterm's.
    #[test]
    fn a_frame_arrives_whole_in_fewer_bytes(before in paint(), after in paint()) {
        let (prev, next) = (painted(&before), painted(&after));
        let cells = prev.diff(&next);
        let mut out = Vec::new();
        encode(&mut out, cells.iter().copied()).unwrap();
        let mut screen = Screen::showing(&prev);
        screen.feed(&out);
        for y in 0..4u16 {
            let mut covered = 0;
            for x in 0..12u16 {
                let c = &next[(x, y)];
                if covered > 0 {
                    covered -= 1;
                    continue;
                }
                covered = c.symbol().width().saturating_sub(1);
                let got = &screen.cells[usize::from(y)][usize::from(x)];
                prop_assert_eq!(got, &(c.symbol().to_string(), c.fg, c.bg, c.modifier), "cell {},{}", x, y);
            }
        }
        prop_assert_eq!((screen.fg, screen.bg, screen.modifier), (Color::Reset, Color::Reset, Modifier::empty()));
        prop_assert!(out.len() <= crossterm_bytes(&cells), "{} bytes", out.len());
    }
}

#[test]
fn moves_are_the_shortest_and_colours_the_named_codes() {
    let mut b = Buffer::empty(Rect::new(0, 0, 100, 30));
    b.set_string(10, 5, "ab", Style::default().fg(Color::LightCyan));
    b.set_string(13, 5, "c", Style::default().fg(Color::LightCyan));
    b.set_string(40, 5, "d", Style::default().fg(Color::LightCyan).bg(Color::Red));
    b.set_string(0, 28, "e", Style::default().add_modifier(Modifier::BOLD));
    b.set_string(2, 28, "f", Style::default());
    assert_eq!(
        sent(&b),
        "\x1b[6;11H\x1b[96mab\x1b[Cc\x1b[26C\x1b[41md\x1b[29H\x1b[0;1me\x1b[C\x1b[mf",
    );
}

#[test]
fn rows_below_are_reached_by_line_feeds_and_the_column_set_anew() {
    let mut b = Buffer::empty(Rect::new(0, 0, 100, 30));
    b.set_string(3, 1, "a", Style::default());
    b.set_string(3, 2, "b", Style::default());
    b.set_string(0, 3, "c", Style::default());
    b.set_string(1, 3, "d", Style::default().fg(Color::Red));
    b.set_string(1, 20, "e", Style::default().fg(Color::Red));
    assert_eq!(sent(&b), "\x1b[2;4Ha\n\x1b[4Gb\n\rc\x1b[31md\x1b[21;2He\x1b[m");
}

#[test]
fn a_frame_in_the_default_style_ends_without_a_reset() {
    let mut b = Buffer::empty(Rect::new(0, 0, 10, 2));
    b.set_string(3, 1, "xyz", Style::default());
    assert_eq!(sent(&b), "\x1b[2;4Hxyz");
}

/// What goes out for `b` drawn on a blank screen.
fn sent(b: &Buffer) -> String {
    let mut out = Vec::new();
    encode(&mut out, Buffer::empty(b.area).diff(b).into_iter()).unwrap();
    String::from_utf8(out).unwrap()
}
