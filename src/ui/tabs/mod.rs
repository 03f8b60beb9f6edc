//! One tab abstraction: each tab is a `TabView` in its own file here — its
//! list, sort modes, drill-down, render and keys — and `of` is the
//! registration list. `app.rs` and `ui/mod.rs` dispatch through it and
//! never match on the tab.
//!
//! Adding a tab: a variant in `crate::tab::Tab`, a file here implementing
//! `TabView`, and its line in `of`.

/// A tab's sort modes, an enum: `ALL` in the order `s` cycles through, a
/// label for each, and the mode at a list's sort index (wrapping).
macro_rules! sort_modes {
    ($(#[$m:meta])* $name:ident { $first:ident => $fl:literal $(, $v:ident => $l:literal)* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub enum $name {
            #[default]
            $first,
            $($v),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$name::$first, $($name::$v),*];

            pub fn from_index(i: usize) -> Self {
                Self::ALL[i % Self::ALL.len()]
            }

            pub fn label(self) -> &'static str {
                match self {
                    $name::$first => $fl,
                    $($name::$v => $l),*
                }
            }
        }
    };
}

pub(crate) mod agents;
pub(crate) mod fleet;
pub(crate) mod nats;
pub(crate) mod services;

use super::empty::EmptyCopy;
use super::{Detail, Painter, View};
use crate::store::Store;
use crate::tab::Tab;
use ratatui::Frame;
use ratatui::layout::Rect;

/// What one tab shows and how its keys act. The defaults are a plain list
/// with a plain list inside its drill-down.
pub(crate) trait TabView: Sync {
    /// The name on the tab bar and in the status line.
    fn title(&self) -> &'static str;
    /// How many things are configured for it (its empty state, kiosk
    /// rotation); `None`: always shown.
    fn configured(&self, store: &Store) -> Option<usize>;
    /// What its empty state explains, with a config example.
    fn empty_copy(&self) -> EmptyCopy {
        EmptyCopy::default()
    }
    /// Rows of its list (for moving the selection).
    fn list_len(&self, store: &Store, view: &View, now: i64) -> usize;
    /// How many sort modes `s` cycles through on its list.
    fn sorts(&self) -> usize;
    /// The drill-down for the selected row.
    fn open(&self, store: &Store, view: &View, now: i64) -> Option<Detail>;
    /// Rows (or lines) inside a drill-down.
    fn detail_len(&self, store: &Store, d: &Detail) -> usize;
    /// How many sort modes `s` cycles through inside a drill-down.
    fn detail_sorts(&self) -> usize;
    fn render(&self, frame: &mut Frame, area: Rect, p: &Painter);
    fn render_detail(&self, frame: &mut Frame, area: Rect, p: &Painter, d: &Detail);

    /// How far Up and Down move on the list (a row of tiles on a grid).
    fn row_step(&self, _store: &Store, _view: &View, _width: u16, _now: i64) -> isize {
        1
    }
    /// Up, Down, PgUp, … inside a drill-down.
    fn detail_move(&self, store: &Store, d: &mut Detail, delta: isize) {
        d.list.selected = moved(d.list.selected, delta, self.detail_len(store, d));
    }
    /// Left and Right inside a drill-down; `false`: they move as Up and Down.
    fn detail_sideways(&self, _store: &Store, _d: &mut Detail, _delta: isize) -> bool {
        false
    }
    /// Whether the filter inside a drill-down is a search in its text.
    fn detail_searches(&self) -> bool {
        false
    }
    /// The line of the next (previous) search hit after `from`.
    fn find_match(&self, _store: &Store, _d: &Detail, _from: usize, _forward: bool) -> Option<usize> {
        None
    }
    /// The y/n question `r` asks inside a drill-down, where it can act.
    fn restart_question(&self, _store: &Store, _d: &Detail) -> Option<String> {
        None
    }
    /// The answer yes to that question.
    fn confirmed(&self, _store: &mut Store, _d: &Detail) {}
    /// Asks the sources for what a drill-down shows on demand.
    fn fetch_details(&self, _store: &Store, _d: &Detail) {}
    /// Whether its list animates (breathing chips) while it is on screen.
    fn breathes(&self, _store: &Store) -> bool {
        false
    }
}

/// The registration list: every tab's `TabView`.
pub(crate) fn of(tab: Tab) -> &'static dyn TabView {
    match tab {
        Tab::Fleet => &fleet::Fleet,
        Tab::Services => &services::Services,
        Tab::Nats => &nats::Nats,
        Tab::Agents => &agents::Agents,
    }
}

#[cfg(test)]
mod tests;

/// Moves a selection by `delta` within `len`.
pub(crate) fn moved(sel: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    sel.saturating_add_signed(delta).min(len - 1)
}
