//! The bottom ticker. Its scroll position lives here, anchored to the event
//! at the left edge, so new events never make it jump or restart. An
//! animation step redraws only its row into the last full frame ([`step`]).

use super::{MIN_HEIGHT, MIN_WIDTH, Painter};
use crate::model::Level;
use crate::store::EventRing;
use crate::theme::{Glyphs, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

/// One event as the ticker shows it, borrowed from the event ring: an
/// animation step builds the list of them twelve times a second, so it
/// allocates no text, and counts the width only of the few it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item<'a> {
    pub id: u64,
    pub level: Level,
    /// The item's text in pieces: level word, title, " - " and detail (or
    /// nothing), and the trailing separator. A gap has none.
    pieces: [&'a str; 7],
    /// The blanks of a gap; 0 for an event.
    gap: usize,
}

impl Item<'_> {
    /// The item's text, its trailing separator included.
    fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.pieces
            .iter()
            .flat_map(|p| p.chars())
            .chain(std::iter::repeat_n(' ', self.gap))
    }

    /// Cells on screen.
    fn width(&self) -> usize {
        self.gap + self.pieces.iter().map(|p| width(p)).sum::<usize>()
    }
}

/// Newest first; quiet ones (acknowledged, silenced) left out.
pub fn items<'a>(events: &'a EventRing, g: &'a Glyphs) -> Vec<Item<'a>> {
    let mut out = Vec::with_capacity(events.len());
    out.extend(events.newest_first().filter(|e| !e.quiet).map(|e| {
        let dash = if e.detail.is_empty() { "" } else { " - " };
        let pieces = [level_prefix(e.level), &e.title, dash, &e.detail, "   ", g.sep, "   "];
        Item {
            id: e.id,
            level: e.level,
            pieces,
            gap: 0,
        }
    }));
    out
}

/// Cells of `s`: its length when it is printable ASCII (one cell a byte,
/// the usual event text, and much quicker to tell), else as
/// `unicode-width` says.
fn width(s: &str) -> usize {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.len()
    } else {
        unicode_width::UnicodeWidthStr::width(s)
    }
}

fn level_prefix(l: Level) -> &'static str {
    match l {
        Level::Info => "",
        Level::Warn => "WARN ",
        Level::Error => "ERROR ",
        Level::Critical => "CRITICAL ",
    }
}

/// Draws the ticker into `row` of `buf`, as the full frame does.
pub(crate) fn render_row(buf: &mut Buffer, row: Rect, p: &Painter) {
    let items = items(&p.store.events, p.glyphs);
    let ticker = &p.view.ticker;
    if !ticker.render_cells(&items, buf, row, p.theme, p.glyphs) {
        let line = ticker.render(&items, usize::from(row.width), p.theme, p.glyphs);
        Paragraph::new(line).render(row, buf);
    }
}

/// The ticker's row on a screen of `area`, if it is big enough for one.
pub fn row(area: Rect) -> Option<Rect> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [_, _, row, _] = super::screen_areas(area);
    Some(row)
}

/// An animation step, pure like the full render: `last` holds the last full
/// frame of `p`'s store and view, and gets only the ticker's row redrawn,
/// so it equals `ui::render` of `p` when nothing but the ticker moved since.
/// Returns that row, or `None` on a screen too small to have a ticker.
pub fn step(last: &mut Buffer, p: &Painter) -> Option<Rect> {
    let row = row(last.area)?;
    let mut fresh = Buffer::empty(row);
    render_row(&mut fresh, row, p);
    super::restrict_glyphs(&mut fresh, p.glyphs.kind);
    let start = last.index_of(row.x, row.y);
    last.content[start..start + fresh.content.len()].clone_from_slice(&fresh.content);
    Some(row)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickerState {
    /// The event at the left edge and how many cells of it are scrolled off.
    anchor: Option<(u64, usize)>,
}

/// The id of the blank stretch that pads a short strip to the screen's
/// width, so a lone event scrolls across and re-enters from the right.
const GAP_ID: u64 = 0;

/// The items plus, when they are narrower than the screen, a blank gap
/// after them: a view, the items not copied (a step walks it twice).
struct Strip<'s, 'a> {
    items: &'s [Item<'a>],
    /// The gap, shown when it has a width and there are items.
    gap: Item<'a>,
}

impl<'s, 'a> Strip<'s, 'a> {
    fn new(items: &'s [Item<'a>], width: usize) -> Strip<'s, 'a> {
        // Summed only as far as the screen's width: whether there is a gap.
        let mut total = 0;
        for it in items {
            total += it.width();
            if total >= width {
                break;
            }
        }
        Strip {
            items,
            gap: Item {
                id: GAP_ID,
                level: Level::Info,
                pieces: [""; 7],
                gap: width.saturating_sub(total),
            },
        }
    }

    fn len(&self) -> usize {
        let gapped = !self.items.is_empty() && self.gap.gap > 0;
        self.items.len() + usize::from(gapped)
    }

    /// Item `i` (`i < len()`).
    fn get(&self, i: usize) -> &Item<'a> {
        self.items.get(i).unwrap_or(&self.gap)
    }

    fn position(&self, f: impl Fn(&Item) -> bool) -> Option<usize> {
        (0..self.len()).find(|&i| f(self.get(i)))
    }
}

impl TickerState {
    fn start(&self, items: &Strip) -> (usize, usize) {
        let Some((id, within)) = self.anchor else { return (0, 0) };
        if let Some(i) = items.position(|it| it.id == id) {
            return (i, within.min(items.get(i).width().saturating_sub(1)));
        }
        // The anchor expired (or the gap closed): continue with the next
        // older event, or from the newest after the gap.
        let next = if id == GAP_ID {
            0
        } else {
            items.position(|it| it.id < id && it.id != GAP_ID).unwrap_or(0)
        };
        (next, 0)
    }

    /// One cell to the left.
    pub fn step(&mut self, items: &[Item], width: usize) {
        if items.is_empty() {
            self.anchor = None;
            return;
        }
        let items = &Strip::new(items, width);
        let (mut i, mut within) = self.start(items);
        within += 1;
        if within >= items.get(i).width() {
            i = (i + 1) % items.len();
            within = 0;
        }
        self.anchor = Some((items.get(i).id, within));
    }

    /// The characters on a row `width` cells wide, from the left edge, each
    /// with its event's level, to `put` until it says stop (`false`).
    fn walk(&self, items: &[Item], width: usize, mut put: impl FnMut(Level, char) -> bool) {
        let items = &Strip::new(items, width);
        let (mut i, mut skip) = self.start(items);
        let mut used = 0;
        let mut guard = 0;
        while used < width && guard <= items.len() * 2 + width {
            guard += 1;
            let it = items.get(i);
            for ch in it.chars() {
                let w = ch.width().unwrap_or(0);
                if skip > 0 {
                    if w > skip {
                        // Half of a wide character scrolled off: pad.
                        if !put(it.level, ' ') {
                            return;
                        }
                        used += 1;
                    }
                    skip = skip.saturating_sub(w);
                    continue;
                }
                if used + w > width {
                    break;
                }
                if !put(it.level, ch) {
                    return;
                }
                used += w;
            }
            i = (i + 1) % items.len();
        }
    }

    pub fn render(&self, items: &[Item], width: usize, theme: &Theme, g: &Glyphs) -> Line<'static> {
        if items.is_empty() {
            let calm = format!(" {} all quiet", g.dot);
            return Line::from(vec![Span::styled(calm, theme.dim)]);
        }
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut run: Option<(Level, String)> = None;
        self.walk(items, width, |level, ch| {
            match &mut run {
                Some((l, s)) if *l == level => s.push(ch),
                _ => {
                    if let Some((l, s)) = run.replace((level, ch.to_string())) {
                        spans.push(Span::styled(s, theme.level(l)));
                    }
                }
            }
            true
        });
        if let Some((l, s)) = run {
            spans.push(Span::styled(s, theme.level(l)));
        }
        Line::from(spans)
    }

    /// Draws the row straight into `buf`'s cells, as a paragraph of
    /// [`render`](Self::render)'s line would, when every character shown
    /// is one plain cell (printable ASCII or the separator glyph: the
    /// usual ticker), with no line, spans or grapheme splitting twelve
    /// times a second. `false`, the row partly drawn, when one is not, and
    /// when there is nothing to show (the quiet line is the paragraph's).
    fn render_cells(&self, items: &[Item], buf: &mut Buffer, row: Rect, theme: &Theme, g: &Glyphs) -> bool {
        if items.is_empty() {
            return false;
        }
        let mut sep = g.sep.chars();
        let sep = sep.next().filter(|_| sep.next().is_none() && width(g.sep) == 1);
        let plain = |c: char| c == ' ' || c.is_ascii_graphic() || Some(c) == sep;
        let (mut x, mut all_plain) = (row.x, true);
        self.walk(items, usize::from(row.width), |level, ch| {
            all_plain = plain(ch);
            if all_plain {
                buf[(x, row.y)].set_char(ch).set_style(theme.level(level));
                x += 1;
            }
            all_plain
        });
        all_plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewEvent;
    use crate::theme::{GlyphKind, Theme};

    fn ring(titles: &[&str]) -> EventRing {
        let mut r = EventRing::new(64);
        for (n, t) in titles.iter().enumerate() {
            r.push(
                n as i64,
                NewEvent {
                    title: (*t).into(),
                    ..NewEvent::default()
                },
            );
        }
        r
    }

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn consecutive_frames_shift_by_one_cell() {
        let (t, g) = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Console));
        let r = ring(&["alpha host up", "beta disk /home 91% full", "gamma back online"]);
        let its = items(&r, &g);
        let mut st = TickerState::default();
        let mut prev = text(&st.render(&its, 30, &t, &g));
        for _ in 0..200 {
            st.step(&its, 30);
            let next = text(&st.render(&its, 30, &t, &g));
            let (p, n): (Vec<char>, Vec<char>) = (prev.chars().collect(), next.chars().collect());
            assert_eq!(p.len(), 30);
            assert_eq!(n.len(), 30);
            assert_eq!(p[1..], n[..29], "frames {prev:?} then {next:?}");
            prev = next;
        }
    }

    #[test]
    fn a_new_event_does_not_move_what_is_on_screen() {
        let (t, g) = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Console));
        let mut r = ring(&["alpha host up", "beta disk /home 91% full", "gamma back online"]);
        let mut st = TickerState::default();
        for _ in 0..17 {
            st.step(&items(&r, &g), 30);
        }
        let before = text(&st.render(&items(&r, &g), 30, &t, &g));
        r.push(
            99,
            NewEvent {
                title: "delta new event".into(),
                ..NewEvent::default()
            },
        );
        let its = items(&r, &g);
        let after = text(&st.render(&its, 30, &t, &g));
        assert_eq!(before, after, "the event at the left edge stays put");
        st.step(&its, 30);
        let next = text(&st.render(&its, 30, &t, &g));
        assert_eq!(
            before.chars().skip(1).collect::<String>(),
            next.chars().take(29).collect::<String>()
        );
    }

    #[test]
    fn the_quick_width_is_unicode_width() {
        for s in [
            "",
            "plain ascii 100%",
            "tab\there",
            "caf\u{e9}",
            "\u{4e2d}\u{6587}",
            "\u{2666}",
            "a\u{301}",
        ] {
            assert_eq!(width(s), unicode_width::UnicodeWidthStr::width(s), "{s:?}");
        }
    }

    #[test]
    fn a_quiet_ticker_stands_still() {
        let (t, g) = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Console));
        let none = EventRing::new(4);
        let empty = items(&none, &g);
        let mut st = TickerState::default();
        let before = text(&st.render(&empty, 40, &t, &g));
        assert!(before.contains("all quiet"));
        st.step(&empty, 40);
        assert_eq!(text(&st.render(&empty, 40, &t, &g)), before);
    }

    #[test]
    fn a_lone_short_event_crosses_the_screen_and_comes_back() {
        let (t, g) = (Theme::load("default").unwrap(), Glyphs::new(GlyphKind::Console));
        let r = ring(&["one"]);
        let its = items(&r, &g);
        let mut st = TickerState::default();
        let first = text(&st.render(&its, 40, &t, &g));
        assert!(first.starts_with("one"), "{first:?}");
        assert_eq!(first.matches("one").count(), 1, "no repeats on screen: {first:?}");
        st.step(&its, 40);
        assert!(text(&st.render(&its, 40, &t, &g)).starts_with("ne"));
        for _ in 1..40 {
            st.step(&its, 40);
        }
        assert_eq!(
            text(&st.render(&its, 40, &t, &g)),
            first,
            "a full cycle is the screen's width"
        );
    }

    /// The row drawn cell by cell is the paragraph of the line, at every
    /// scroll position, in every glyph set, for every level's colour; a row
    /// showing anything but plain cells is left to the paragraph.
    #[test]
    fn cells_drawn_directly_are_the_paragraph_of_the_line() {
        let t = Theme::load("default").unwrap();
        let mut r = ring(&["alpha host up", "beta disk /home 91% full", "gamma back online"]);
        for (n, level) in [Level::Warn, Level::Error, Level::Critical].into_iter().enumerate() {
            r.push(
                10 + n as i64,
                NewEvent {
                    title: format!("check {n} failed"),
                    detail: "exit 1".into(),
                    level,
                    ..NewEvent::default()
                },
            );
        }
        let wide = ring(&["plain start", "caf\u{e9} \u{4e2d}\u{6587} a\u{301}"]);
        for kind in [GlyphKind::Unicode, GlyphKind::Console, GlyphKind::Ascii] {
            let g = Glyphs::new(kind);
            for (events, all_plain) in [(&r, true), (&wide, false)] {
                let its = items(events, &g);
                let mut st = TickerState::default();
                let (mut drawn, mut fell_back) = (0, 0);
                for _ in 0..160 {
                    let row = Rect::new(3, 1, 37, 1);
                    let mut direct = Buffer::empty(Rect::new(0, 0, 42, 3));
                    let mut paragraph = direct.clone();
                    let line = st.render(&its, usize::from(row.width), &t, &g);
                    Paragraph::new(line).render(row, &mut paragraph);
                    if st.render_cells(&its, &mut direct, row, &t, &g) {
                        assert_eq!(direct, paragraph, "{kind:?} at {st:?}");
                        drawn += 1;
                    } else {
                        fell_back += 1;
                    }
                    st.step(&its, usize::from(row.width));
                }
                if all_plain {
                    assert_eq!((drawn, fell_back), (160, 0), "{kind:?}: every row drawn directly");
                } else {
                    assert!(
                        fell_back > 0,
                        "{kind:?}: the wide and accented rows go to the paragraph"
                    );
                }
            }
        }
    }
}
