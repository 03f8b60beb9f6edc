//! The app: the one owner of state (the store and the view) and what keys,
//! updates and time do to it. The loop that feeds it and draws is
//! [`run`] (`event_loop`); the problems view's keys are in `problems`.

use crate::action::{Action, map_key};
use crate::model::{Millis, Now};
use crate::store::Store;
use crate::tab::Tab;
use crate::theme::{Depth, Glyphs, Theme, cycle_names};
use crate::ui::tabs::{self, moved};
use crate::ui::{self, KioskView, Painter, View};
use crate::update::Update;
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

/// The shortest time between two redraws that only new data asks for
/// (sources answer at moments of their own: one frame for the lot of them).
const DATA_FRAME: Duration = Duration::from_millis(1000);

/// Any key pauses kiosk rotation this long.
const KIOSK_KEY_PAUSE: Duration = Duration::from_secs(60);

pub struct Kiosk {
    pub period: Duration,
    pub manual_pause: bool,
    pub paused_until: Option<Instant>,
    pub next_switch: Instant,
}

pub struct App {
    pub store: Store,
    pub view: View,
    pub theme: Theme,
    pub glyphs: Glyphs,
    pub depth: Depth,
    pub ticker_period: Duration,
    pub kiosk: Option<Kiosk>,
    pub refresh: Arc<Notify>,
    /// What this app's sources share (SSH links and tables, NATS links).
    pub handles: crate::sources::Handles,
    pub dirty: bool,
    pub quit: bool,
    /// The terminal's size at the last draw.
    pub size: (u16, u16),
    /// Where acknowledgements and silences are kept (`store::quiet`).
    pub quiet_path: Option<std::path::PathBuf>,
    /// Acknowledged problems not present, since when (this run).
    ack_absent: std::collections::HashMap<String, Millis>,
}

impl App {
    pub fn new(store: Store, view: View, theme: Theme, glyphs: Glyphs, depth: Depth) -> Self {
        App {
            store,
            view,
            theme,
            glyphs,
            depth,
            ticker_period: Duration::from_millis(1000 / 12),
            kiosk: None,
            refresh: Arc::new(Notify::new()),
            handles: crate::sources::Handles::default(),
            dirty: true,
            quit: false,
            size: (0, 0),
            quiet_path: None,
            ack_absent: Default::default(),
        }
    }

    /// The context this app's sources start with: they send to `tx`, and
    /// share its refresh bell and handles.
    pub fn ctx(&self, tx: mpsc::Sender<Update>) -> crate::sources::Ctx {
        crate::sources::Ctx::with(tx, self.refresh.clone(), self.handles.clone())
    }

    pub(crate) fn painter(&self, now: Millis) -> Painter<'_> {
        Painter {
            store: &self.store,
            view: &self.view,
            theme: &self.theme,
            glyphs: &self.glyphs,
            now,
        }
    }

    pub fn apply(&mut self, u: Update, now: Millis) {
        self.store.apply(u, Now::at(now));
        self.dirty = true;
    }

    /// The key (host name, service key, …) of the selected row of the
    /// active tab's list.
    pub fn selected_key(&self, now: Millis) -> Option<ui::DetailKey> {
        ui::open_detail(&self.store, &self.view, now).map(|d| d.key)
    }

    /// After the list re-sorted or grew, put the selection back on the row
    /// it was on, so it does not jump to whatever took its place.
    pub fn keep_selection(&mut self, key: Option<ui::DetailKey>, now: Millis) {
        /// Past this many rows, searching costs more than a jump is worth.
        const MAX_SCAN: usize = 500;
        let Some(key) = key else { return };
        if self.selected_key(now).as_ref() == Some(&key) {
            return;
        }
        let len = ui::list_len(&self.store, &self.view, now);
        if len > MAX_SCAN {
            return;
        }
        let before = self.view.list().selected;
        for i in 0..len {
            self.view.list_mut().selected = i;
            if self.selected_key(now).as_ref() == Some(&key) {
                return;
            }
        }
        self.view.list_mut().selected = before;
    }

    /// The drill-down of the active tab, if one is open there.
    fn open_detail(&self) -> Option<&ui::Detail> {
        self.view.open_detail()
    }

    /// The drill-down of the active tab, to change, if one is open there.
    fn open_detail_mut(&mut self) -> Option<&mut ui::Detail> {
        let tab = self.view.tab;
        self.view.detail.as_mut().filter(|d| d.tab == tab)
    }

    fn move_selection(&mut self, delta: isize, now: Millis) {
        let tab = tabs::of(self.view.tab);
        if let Some(d) = self.view.detail.as_mut().filter(|d| d.tab == self.view.tab) {
            tab.detail_move(&self.store, d, delta);
        } else {
            let len = tab.list_len(&self.store, &self.view, now);
            let l = self.view.list_mut();
            l.selected = moved(l.selected, delta, len);
        }
    }

    /// Left/Right: what the tab's drill-down makes of them (runs in the
    /// output viewer), else as Up/Down (tiles on the Fleet grid).
    fn move_sideways(&mut self, delta: isize, now: Millis) {
        let tab = tabs::of(self.view.tab);
        let store = &self.store;
        let done = self
            .view
            .detail
            .as_mut()
            .filter(|d| d.tab == self.view.tab)
            .is_some_and(|d| tab.detail_sideways(store, d, delta));
        if !done {
            self.move_selection(delta, now);
        }
    }

    /// Scrolls a drill-down that shows text to the next (previous) search
    /// hit; with `first`, to the first hit of all.
    fn jump_to_match(&mut self, forward: bool, first: bool) {
        let Some(d) = self.open_detail() else { return };
        let from = if first { usize::MAX } else { d.scroll };
        if let Some(line) = tabs::of(d.tab).find_match(&self.store, d, from, forward)
            && let Some(d) = self.open_detail_mut()
        {
            d.scroll = line;
        }
    }

    /// How far Up and Down move: a row of tiles on the Fleet grid.
    fn row_step(&self, now: Millis) -> isize {
        if self.open_detail().is_some() {
            return 1;
        }
        tabs::of(self.view.tab).row_step(&self.store, &self.view, self.size.0, now)
    }

    pub fn on_key(&mut self, key: KeyEvent, now: Millis) {
        if let Some(k) = &mut self.kiosk {
            k.paused_until = Some(Instant::now() + KIOSK_KEY_PAUSE);
        }
        let mode = self.view.mode();
        if let Some(a) = map_key(mode, key) {
            self.handle(a, now);
        }
        self.dirty = true;
    }

    pub fn handle(&mut self, a: Action, now: Millis) {
        if self.view.read_only && a.changes_something() {
            return;
        }
        let page = self.view.page_rows.max(1) as isize;
        if self.view.help && self.scroll_help(a, page) {
            return;
        }
        if !self.view.help && self.problems_key(a, page, now) {
            return;
        }
        if !self.navigate(a, page, now) {
            self.command(a, now);
        }
        self.sync_kiosk_view();
    }

    /// Keys that move: tabs, the selection, a match, the drill-down's view;
    /// `false` for other keys.
    fn navigate(&mut self, a: Action, page: isize, now: Millis) -> bool {
        let row = self.row_step(now);
        match a {
            Action::NextTab => self.view.tab = self.view.tab.step(1),
            Action::PrevTab => self.view.tab = self.view.tab.step(-1),
            Action::GoTab(t) => self.view.tab = t,
            Action::Up => self.move_selection(-row, now),
            Action::Down => self.move_selection(row, now),
            Action::Left => self.move_sideways(-1, now),
            Action::Right => self.move_sideways(1, now),
            Action::NextMatch => self.jump_to_match(true, false),
            Action::PrevMatch => self.jump_to_match(false, false),
            Action::ToggleAlt => {
                if let Some(d) = self.view.detail.as_mut() {
                    d.alt = !d.alt;
                    d.scroll = 0;
                }
            }
            Action::PageUp => self.move_selection(-page, now),
            Action::PageDown => self.move_selection(page, now),
            Action::Top => self.move_selection(isize::MIN / 2, now),
            Action::Bottom => self.move_selection(isize::MAX / 2, now),
            _ => return false,
        }
        true
    }

    /// Keys that do something other than move.
    fn command(&mut self, a: Action, now: Millis) {
        match a {
            Action::Quit => self.quit = true,
            Action::Enter if self.open_detail().is_none() => {
                self.view.detail = ui::open_detail(&self.store, &self.view, now);
                self.fetch_details();
            }
            Action::Back => self.back(),
            Action::Sort => self.next_sort(),
            Action::Filter => self.open_filter(),
            Action::FilterKey(k) => {
                if let Some(ta) = &mut self.view.filter_input {
                    ta.input(k);
                    let text = ta.lines().first().cloned().unwrap_or_default();
                    self.set_filter(text);
                }
            }
            Action::FilterDone => self.view.filter_input = None,
            Action::FilterCancel => {
                self.view.filter_input = None;
                self.set_filter(String::new());
            }
            Action::Help => {
                self.view.help = !self.view.help;
                self.view.help_scroll = 0;
            }
            Action::PauseRotation => {
                if let Some(k) = &mut self.kiosk {
                    k.manual_pause = !k.manual_pause;
                    k.paused_until = None;
                    k.next_switch = Instant::now() + k.period;
                }
            }
            Action::Restart => {
                if let Some(q) = self
                    .open_detail()
                    .and_then(|d| tabs::of(d.tab).restart_question(&self.store, d))
                {
                    self.view.confirm = Some(q);
                }
            }
            Action::Confirm(yes) => {
                let asked = self.view.confirm.take().is_some();
                if let Some(d) = self.view.open_detail().filter(|_| asked && yes) {
                    tabs::of(d.tab).confirmed(&mut self.store, d);
                }
            }
            Action::Refresh => {
                self.fetch_details();
                self.refresh.notify_waiters();
                self.store.tick(Now::at(now));
            }
            Action::NextTheme => self.next_theme(),
            Action::Problems => self.toggle_problems(),
            // Taken by the problems view (the only mode that has them).
            Action::Acknowledge | Action::Silence => {}
            // The moving keys, taken by `navigate`.
            _ => {}
        }
    }

    /// The moving keys scroll the help overlay; `false` for other keys.
    fn scroll_help(&mut self, a: Action, page: isize) -> bool {
        let rows = crate::action::help_rows(self.view.read_only).len();
        let delta = match a {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -(rows as isize),
            Action::Bottom => rows as isize,
            _ => return false,
        };
        self.view.help_scroll = moved(self.view.help_scroll, delta, rows);
        true
    }

    /// `s`: the next sort mode of the drill-down, or else of the list.
    fn next_sort(&mut self) {
        let tab = tabs::of(self.view.tab);
        match self.open_detail_mut() {
            Some(d) => d.list.sort = (d.list.sort + 1) % tab.detail_sorts().max(1),
            None => {
                let l = self.view.list_mut();
                l.sort = (l.sort + 1) % tab.sorts().max(1);
            }
        }
    }

    /// What a drill-down shows on demand (a container's inspect details
    /// and logs) is asked for when it opens and on refresh.
    fn fetch_details(&self) {
        if let Some(d) = self.open_detail() {
            tabs::of(d.tab).fetch_details(&self.store, d);
        }
    }

    /// `/`: the filter line, holding the current filter.
    fn open_filter(&mut self) {
        let current = self.current_filter().to_string();
        let mut ta = TextArea::new(vec![current]);
        ta.move_cursor(ratatui_textarea::CursorMove::End);
        ta.set_cursor_line_style(ratatui::style::Style::default());
        ta.set_style(self.theme.text);
        self.view.filter_input = Some(ta);
    }

    fn current_filter(&self) -> &str {
        if let Some(l) = &self.view.problems {
            return &l.filter;
        }
        match self.open_detail() {
            Some(d) => &d.list.filter,
            None => &self.view.list().filter,
        }
    }

    fn set_filter(&mut self, text: String) {
        let text = crate::parse::sanitize::sanitize(&text);
        let search = self.open_detail().is_some() && tabs::of(self.view.tab).detail_searches();
        let tab = self.view.tab;
        if let Some(l) = self.view.problems.as_mut() {
            l.filter = text;
            l.selected = 0;
            return;
        }
        let list = match &mut self.view.detail {
            Some(d) if d.tab == tab => {
                d.scroll = 0;
                &mut d.list
            }
            _ => self.view.list_mut(),
        };
        list.filter = text;
        if search {
            // The filter is a search in the drill-down's text: keep the
            // selection (the run), go to the first hit.
            self.jump_to_match(true, true);
        } else {
            list.selected = 0;
        }
    }

    fn back(&mut self) {
        if self.view.help {
            self.view.help = false;
        } else if let Some(d) = self.open_detail_mut() {
            if d.list.filter.is_empty() {
                self.view.detail = None;
            } else {
                d.list.filter.clear();
            }
        } else {
            self.view.list_mut().filter.clear();
        }
    }

    fn next_theme(&mut self) {
        let names = cycle_names(self.depth);
        let i = names
            .iter()
            .position(|n| *n == self.theme.name)
            .map_or(0, |i| (i + 1) % names.len());
        match Theme::load(names[i]) {
            Ok(t) => self.theme = t.adapted(self.depth),
            Err(e) => tracing::error!("theme {}: {e}", names[i]),
        }
    }

    /// Remote hosts keep their whole process table only while their
    /// drill-down is open (see `sources::ssh::Tables`).
    fn sync_process_tables(&self) {
        let open = self
            .open_detail()
            .filter(|d| d.tab == crate::store::Tab::Fleet)
            .map(|d| d.key.as_str());
        self.handles.tables.show(open);
    }

    fn sync_kiosk_view(&mut self) {
        self.view.kiosk = self.kiosk.as_ref().map(|k| KioskView {
            period_s: k.period.as_secs(),
            paused: k.manual_pause || k.paused_until.is_some_and(|t| t > Instant::now()),
        });
    }

    /// Housekeeping: time-driven state, kiosk rotation, breathing chips.
    pub fn housekeeping(&mut self, now: Millis) {
        if self.store.tick(Now::at(now)) {
            self.dirty = true;
        }
        self.prune_acknowledged(now);
        // "last seen 4m ago" must keep counting on hosts that are not online.
        if self
            .store
            .hosts
            .iter()
            .any(|h| h.state(now) != crate::model::HostState::Online)
        {
            self.dirty = true;
        }
        if self.chips_breathe() {
            let breath = breath_at(now);
            if breath != self.view.breath {
                self.view.breath = breath;
                self.dirty = true;
            }
        }
        let t = Instant::now();
        if let Some(k) = &mut self.kiosk {
            if k.paused_until.is_some_and(|p| p <= t) {
                k.paused_until = None;
                k.next_switch = t + k.period;
            }
            let paused = k.manual_pause || k.paused_until.is_some();
            let asking = self.view.help || self.view.filter_input.is_some() || self.view.confirm.is_some();
            if !paused && t >= k.next_switch && !asking {
                self.view.tab = next_rotation_tab(self.view.tab, &self.store);
                self.view.detail = None;
                // A filter someone typed and left would hide rows on the wall.
                for l in &mut self.view.lists {
                    l.filter.clear();
                }
                k.next_switch = t + k.period;
                self.dirty = true;
            }
        }
        let before = self.view.kiosk;
        self.sync_kiosk_view();
        if before != self.view.kiosk {
            self.dirty = true;
        }
    }

    fn chips_breathe(&self) -> bool {
        self.open_detail().is_none() && tabs::of(self.view.tab).breathes(&self.store)
    }

    /// Whether the ticker has to scroll at the current width.
    pub(crate) fn ticker_moves(&self) -> bool {
        self.size.0 >= ui::MIN_WIDTH && self.size.1 >= ui::MIN_HEIGHT && !self.store.events.is_empty()
    }

    /// One cell on; the loop sends only the ticker's row for it.
    pub fn step_ticker(&mut self) {
        let items = ui::ticker::items(&self.store.events, &self.glyphs);
        self.view.ticker.step(&items, usize::from(self.size.0));
    }
}

/// How long session chips stay bright, then dim: a breath every four
/// seconds. (Each change redraws every chip: at one a second they were a
/// sixth of what a kiosk sent with nothing else moving.)
const BREATH_MS: Millis = 2000;

/// Whether the chips are bright at `now`.
fn breath_at(now: Millis) -> bool {
    now.div_euclid(BREATH_MS) % 2 == 0
}

/// The next tab a kiosk shows: a tab with something configured for it (or
/// that is always shown, Fleet).
pub(crate) fn next_rotation_tab(current: Tab, store: &Store) -> Tab {
    let shown = |t: &Tab| tabs::of(*t).configured(store).is_none_or(|n| n > 0);
    (1..=Tab::ALL.len() as isize)
        .map(|i| current.step(i))
        .find(shown)
        .unwrap_or(Tab::Fleet)
}

mod beat;
mod event_loop;
pub use event_loop::run;
mod problems;
#[cfg(test)]
mod tests;
