//! The Fleet tab: host tiles, and a host's processes as its drill-down.

use super::TabView;
use crate::store::Store;
use crate::tab::Tab;
use crate::ui::{Detail, Painter, View, fleet, host};
use ratatui::Frame;
use ratatui::layout::Rect;

pub(crate) struct Fleet;

impl TabView for Fleet {
    fn title(&self) -> &'static str {
        "Fleet"
    }

    fn configured(&self, _store: &Store) -> Option<usize> {
        None
    }

    fn list_len(&self, store: &Store, view: &View, now: i64) -> usize {
        fleet::visible(store, view, now).len()
    }

    fn sorts(&self) -> usize {
        FleetSort::ALL.len()
    }

    fn open(&self, store: &Store, view: &View, now: i64) -> Option<Detail> {
        let hosts = fleet::visible(store, view, now);
        let h = hosts.get(view.list().selected.min(hosts.len().saturating_sub(1)))?;
        Some(Detail::new(Tab::Fleet, h.name.clone()))
    }

    fn detail_len(&self, store: &Store, d: &Detail) -> usize {
        store.host(&d.key).map_or(0, |h| host::processes(h, d).len())
    }

    fn detail_sorts(&self) -> usize {
        ProcSort::ALL.len()
    }

    fn render(&self, frame: &mut Frame, area: Rect, p: &Painter) {
        fleet::render(frame, area, p);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
        host::render(frame, area, p, d);
    }

    /// Up and Down move by a row of tiles on the grid.
    fn row_step(&self, store: &Store, view: &View, width: u16, now: i64) -> isize {
        fleet::columns(width, self.list_len(store, view, now)) as isize
    }

    /// Session chips breathe while any host has a session.
    fn breathes(&self, store: &Store) -> bool {
        store
            .hosts
            .iter()
            .any(|h| h.cur.as_ref().is_some_and(|s| s.sessions.iter().any(|(_, n)| *n > 0)))
    }
}

sort_modes! {
    /// The sort modes of the host tiles.
    FleetSort { Config => "config", Name => "name", Worst => "worst", Cpu => "cpu", Mem => "mem" }
}

sort_modes! {
    /// The sort modes of a host's process list.
    ProcSort { Cpu => "cpu", Mem => "mem", Name => "name", Pid => "pid" }
}
