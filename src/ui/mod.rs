//! Rendering: a pure function of the store, the view state, the theme and
//! `now`. No I/O, no locks, no clocks. The screen is the tab bar, the
//! active tab's body (its `tabs::TabView`: list or drill-down), the ticker
//! and the status line.

pub mod agents;
pub mod empty;
pub mod fleet;
pub use crate::fmt;
pub mod help;
pub mod host;
pub(crate) mod inference;
pub mod nats;
pub mod problems;
pub mod services;
pub(crate) mod table;
pub(crate) mod tabs;
pub mod ticker;
pub mod widgets;

use crate::action::Mode;
use crate::store::{Counts, Problem, Store};
use crate::tab::Tab;
use crate::theme::{Glyphs, Theme};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui_textarea::TextArea;
pub use tabs::agents::{AgentSort, RunSort};
pub use tabs::fleet::{FleetSort, ProcSort};
pub use tabs::nats::{ConnSort, NatsKey, NatsSort};
pub use tabs::services::{ResultSort, ServiceSort};

/// Below this the screen only says it is too small.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

/// Selection, sort and filter of one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    pub selected: usize,
    /// An index into the tab's sort modes, cycled by `s`.
    pub sort: usize,
    pub filter: String,
}

/// Which item a drill-down is on: a name (host, service key, agent), or a
/// NATS server, stream or consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailKey {
    Name(String),
    Nats(NatsKey),
}

impl Default for DetailKey {
    fn default() -> Self {
        DetailKey::Name(String::new())
    }
}

impl DetailKey {
    /// The item's name; for NATS, its server's.
    pub fn as_str(&self) -> &str {
        match self {
            DetailKey::Name(n) => n,
            DetailKey::Nats(k) => k.server(),
        }
    }
}

impl std::ops::Deref for DetailKey {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for DetailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A drill-down: which tab, which item, and the state of the list or text
/// inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub tab: Tab,
    pub key: DetailKey,
    pub list: ListView,
    /// Lines scrolled, for drill-downs that show text.
    pub scroll: usize,
    /// A view toggle (raw/extracted output, …) where the drill-down has one.
    pub alt: bool,
}

impl Detail {
    /// A drill-down on the item of that name.
    pub fn new(tab: Tab, key: impl Into<String>) -> Self {
        Detail {
            tab,
            key: DetailKey::Name(key.into()),
            ..Detail::default()
        }
    }
}

/// Everything about what is on screen that is not collected data.
#[derive(Debug)]
pub struct View {
    pub tab: Tab,
    pub help: bool,
    /// Rows the help overlay is scrolled by (small terminals).
    pub help_scroll: usize,
    /// One per tab, in `Tab::ALL` order.
    pub lists: [ListView; Tab::ALL.len()],
    pub detail: Option<Detail>,
    /// Present while the filter line is being edited.
    pub filter_input: Option<TextArea<'static>>,
    pub ticker: ticker::TickerState,
    /// Breathing session chips: bright or dim.
    pub breath: bool,
    pub kiosk: Option<KioskView>,
    /// Rows the body had at the last draw (for PgUp/PgDn).
    pub page_rows: usize,
    /// A y/n question being asked (e.g. "restart web? y/n").
    pub confirm: Option<String>,
    /// `--read-only` / `ui.read_only`: nothing that changes anything is offered.
    pub read_only: bool,
    /// The problems view, when open: its selection and filter.
    pub problems: Option<ListView>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KioskView {
    pub period_s: u64,
    pub paused: bool,
}

impl Default for View {
    fn default() -> Self {
        View {
            tab: Tab::Fleet,
            help: false,
            help_scroll: 0,
            lists: Default::default(),
            detail: None,
            filter_input: None,
            ticker: ticker::TickerState::default(),
            breath: true,
            kiosk: None,
            page_rows: 10,
            confirm: None,
            read_only: false,
            problems: None,
        }
    }
}

impl View {
    pub fn mode(&self) -> Mode {
        if self.confirm.is_some() {
            Mode::Confirm
        } else if self.help {
            Mode::Help
        } else if self.filter_input.is_some() {
            Mode::Filter
        } else if self.problems.is_some() {
            Mode::Problems
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            Mode::List
        }
    }

    pub fn list(&self) -> &ListView {
        &self.lists[self.tab.index()]
    }

    pub(crate) fn list_mut(&mut self) -> &mut ListView {
        &mut self.lists[self.tab.index()]
    }

    /// The drill-down, if one is open on the active tab.
    pub fn open_detail(&self) -> Option<&Detail> {
        self.detail.as_ref().filter(|d| d.tab == self.tab)
    }
}

/// How many rows the active tab's list has (for moving the selection).
pub fn list_len(store: &Store, view: &View, now: i64) -> usize {
    tabs::of(view.tab).list_len(store, view, now)
}

/// The drill-down for the selected row of the active tab.
pub fn open_detail(store: &Store, view: &View, now: i64) -> Option<Detail> {
    tabs::of(view.tab).open(store, view, now)
}

pub struct Painter<'a> {
    pub store: &'a Store,
    pub view: &'a View,
    pub theme: &'a Theme,
    pub glyphs: &'a Glyphs,
    pub now: i64,
}

/// The whole screen.
pub fn render(frame: &mut Frame, p: &Painter) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area, p.theme);
        return;
    }
    let [top, body, tick, status] = screen_areas(area);
    // Once a frame: the tab bar and the status line count the same list.
    let problems = p.store.problems(p.now);
    render_tabs(frame, top, p, &problems);
    let tab = tabs::of(p.view.tab);
    match p.view.open_detail() {
        Some(d) => tab.render_detail(frame, body, p, d),
        None => tab.render(frame, body, p),
    }
    ticker::render_row(frame.buffer_mut(), tick, p);
    render_status(frame, status, p, &problems);
    if let Some(list) = &p.view.problems {
        problems::render(frame, body, p, list);
    }
    if p.view.help {
        help::render(frame, body, p);
    }
    restrict_glyphs(frame.buffer_mut(), p.glyphs.kind);
}

/// Tab bar, body, ticker and status line of a screen big enough for them.
pub(crate) fn screen_areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The characters the Linux console's fonts have (`console-glyphs.txt`).
fn console_glyphs() -> &'static std::collections::HashSet<char> {
    static SET: std::sync::OnceLock<std::collections::HashSet<char>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../../assets/console-glyphs.txt")
            .lines()
            .filter_map(|l| l.strip_prefix("U+"))
            .filter_map(|l| u32::from_str_radix(l.get(..4)?, 16).ok())
            .filter_map(char::from_u32)
            .collect()
    })
}

/// Outside text (host names, process names, errors) can hold any character;
/// on the console or in ASCII, one the font lacks becomes `?`.
fn restrict_glyphs(buf: &mut ratatui::buffer::Buffer, kind: crate::theme::GlyphKind) {
    use crate::theme::GlyphKind;
    if kind == GlyphKind::Unicode {
        return;
    }
    let ok = |c: char| (' '..='~').contains(&c) || (kind == GlyphKind::Console && console_glyphs().contains(&c));
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if !sym.chars().all(ok) {
            cell.set_symbol("?");
        }
    }
}

fn render_too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let msg = vec![
        Line::styled("terminal too small", theme.warn),
        Line::styled(
            format!("{}x{}, need {MIN_WIDTH}x{MIN_HEIGHT}", area.width, area.height),
            theme.dim,
        ),
        Line::styled("q quits", theme.dim),
    ];
    let h = (msg.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(msg).alignment(ratatui::layout::Alignment::Center),
        Rect {
            x: area.x,
            y,
            width: area.width,
            height: h,
        },
    );
}

fn render_tabs(frame: &mut Frame, area: Rect, p: &Painter, problems: &[Problem]) {
    let t = p.theme;
    let mut spans = vec![
        Span::styled(" fleettop ", t.title),
        Span::styled(p.glyphs.vline, t.border),
    ];
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        let style = if tab == p.view.tab { t.tab_active } else { t.tab };
        spans.push(Span::styled(format!(" {} {} ", i + 1, tabs::of(tab).title()), style));
        // The coloured count is what needs someone; acknowledged and
        // silenced problems are counted apart, dimmed.
        let c = Counts::of(problems.iter().filter(|x| x.tab == tab));
        if c.open > 0 {
            spans.push(Span::styled(format!("{}!", c.open), t.level(c.level)));
            spans.push(Span::raw(" "));
        }
        if c.quiet > 0 {
            spans.push(Span::styled(format!("{} quiet", c.quiet), t.dim));
            spans.push(Span::raw(" "));
        }
    }
    let mut right = String::new();
    if let Some(k) = p.view.kiosk {
        right = if k.paused {
            "rotation paused ".into()
        } else {
            format!("rotating {}s ", k.period_s)
        };
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = usize::from(area.width).saturating_sub(used + right.len());
    if pad > 0 && !right.is_empty() {
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(right, t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_status(frame: &mut Frame, area: Rect, p: &Painter, problems: &[Problem]) {
    let t = p.theme;
    if let Some(input) = &p.view.filter_input {
        let [label, field] = Layout::horizontal([Constraint::Length(8), Constraint::Min(1)]).areas(area);
        frame.render_widget(Paragraph::new(Span::styled(" filter:", t.status_key)), label);
        frame.render_widget(input, field);
        return;
    }
    let name = tabs::of(p.view.tab).title();
    let mut spans = vec![Span::styled(format!(" [{name}] "), t.status_key)];
    let hints: &[(&str, &str)] = if p.view.open_detail().is_some() {
        &[
            ("Esc", "back"),
            ("s", "sort"),
            ("/", "filter"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else {
        &[
            ("Enter", "open"),
            ("s", "sort"),
            ("/", "filter"),
            ("?", "help"),
            ("q", "quit"),
        ]
    };
    for (k, what) in hints {
        spans.push(Span::styled(*k, t.status_key));
        spans.push(Span::styled(format!(" {what}  "), t.status));
    }
    let c = Counts::of(problems);
    let summary = status_summary(c);
    let level = (c.open > 0).then_some(c.level);
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = usize::from(area.width).saturating_sub(used + summary.len());
    spans.push(Span::styled(" ".repeat(pad), t.status));
    spans.push(Span::styled(summary, level.map_or(t.status, |l| t.level(l))));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.status), area);
}

/// The status line's count: "all ok", "2 problems", "1 problem, 1 quiet".
fn status_summary(c: Counts) -> String {
    let open = match c.open {
        0 => None,
        1 => Some("1 problem".to_string()),
        n => Some(format!("{n} problems")),
    };
    let quiet = (c.quiet > 0).then(|| format!("{} quiet", c.quiet));
    match (open, quiet) {
        (None, None) => "all ok ".into(),
        (Some(x), None) | (None, Some(x)) => format!("{x} "),
        (Some(o), Some(q)) => format!("{o}, {q} "),
    }
}
