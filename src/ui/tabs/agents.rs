//! The Agents tab: one row per daemon; the output viewer (runs, newest
//! first, and the text of the selected one) as its drill-down.

use super::{TabView, moved};
use crate::store::Store;
use crate::ui::empty::EmptyCopy;
use crate::ui::{Detail, Painter, View, agents};
use ratatui::Frame;
use ratatui::layout::Rect;

pub(crate) struct Agents;

impl TabView for Agents {
    fn title(&self) -> &'static str {
        "Agents"
    }

    fn configured(&self, store: &Store) -> Option<usize> {
        Some(store.configured.agents)
    }

    fn empty_copy(&self) -> EmptyCopy {
        EmptyCopy {
            what: "One row per daemon: schedule, state, last run, duration, ok/fail counts, fail streak, a sparkline of runs and what it last said.",
            example: &[
                "[[agents.daemon]]",
                "name = \"fleet-scout\"",
                "runlog = \"~/.local/state/fleet-scout/runs.jsonl\"",
            ],
        }
    }

    fn list_len(&self, store: &Store, view: &View, now: i64) -> usize {
        agents::visible(store, view.list(), now).len()
    }

    fn sorts(&self) -> usize {
        AgentSort::ALL.len()
    }

    fn open(&self, store: &Store, view: &View, _now: i64) -> Option<Detail> {
        agents::open(store, view.list())
    }

    fn detail_len(&self, store: &Store, d: &Detail) -> usize {
        agents::detail_len(store, d)
    }

    fn detail_sorts(&self) -> usize {
        RunSort::ALL.len()
    }

    fn render(&self, frame: &mut Frame, area: Rect, p: &Painter) {
        agents::render(frame, area, p);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
        agents::render_detail(frame, area, p, d);
    }

    /// The output viewer scrolls its text.
    fn detail_move(&self, store: &Store, d: &mut Detail, delta: isize) {
        d.scroll = moved(d.scroll, delta, self.detail_len(store, d));
    }

    /// Left and Right go through the runs, listed newest first: Left goes
    /// to older ones.
    fn detail_sideways(&self, store: &Store, d: &mut Detail, delta: isize) -> bool {
        let runs = agents::run_count(store, d);
        d.list.selected = moved(d.list.selected, -delta, runs);
        d.scroll = 0;
        true
    }

    /// In the output viewer the filter is a search: it keeps the run and
    /// goes to the first hit.
    fn detail_searches(&self) -> bool {
        true
    }

    fn find_match(&self, store: &Store, d: &Detail, from: usize, forward: bool) -> Option<usize> {
        agents::find_match(store, d, from, forward)
    }
}

sort_modes! {
    /// The sort modes of the daemon list.
    AgentSort { Config => "config", Name => "name", Worst => "worst", Recent => "recent" }
}

sort_modes! {
    /// The one order of the runs in the output viewer.
    RunSort { Newest => "newest" }
}
