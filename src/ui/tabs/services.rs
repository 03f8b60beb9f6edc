//! The Services tab: one row per check; a check's last results, or a
//! container's details and log tail, as its drill-down.

use super::TabView;
use crate::store::Store;
use crate::ui::empty::EmptyCopy;
use crate::ui::{Detail, Painter, View, services};
use ratatui::Frame;
use ratatui::layout::Rect;

pub(crate) struct Services;

impl TabView for Services {
    fn title(&self) -> &'static str {
        "Services"
    }

    fn configured(&self, store: &Store) -> Option<usize> {
        Some(store.configured.services)
    }

    fn empty_copy(&self) -> EmptyCopy {
        EmptyCopy {
            what: "HTTP and TCP checks, Docker containers, failed systemd units, file freshness, processes, Syncthing folders and launchd jobs, one row per check.",
            example: &[
                "[[services.http]]",
                "name = \"litellm\"",
                "url = \"http://127.0.0.1:4000/health\"",
            ],
        }
    }

    fn list_len(&self, store: &Store, view: &View, _now: i64) -> usize {
        services::len(store, view.list())
    }

    fn sorts(&self) -> usize {
        ServiceSort::ALL.len()
    }

    fn open(&self, store: &Store, view: &View, _now: i64) -> Option<Detail> {
        services::open(store, view.list())
    }

    fn detail_len(&self, store: &Store, d: &Detail) -> usize {
        services::detail_len(store, d)
    }

    fn detail_sorts(&self) -> usize {
        ResultSort::ALL.len()
    }

    fn render(&self, frame: &mut Frame, area: Rect, p: &Painter) {
        services::render(frame, area, p);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, p: &Painter, d: &Detail) {
        services::render_detail(frame, area, p, d);
    }

    /// A container can be restarted from its drill-down.
    fn restart_question(&self, store: &Store, d: &Detail) -> Option<String> {
        let s = store.services.get(&d.key).filter(|s| s.row.container.is_some())?;
        Some(format!("restart container {}? y/n", s.row.name))
    }

    fn confirmed(&self, store: &mut Store, d: &Detail) {
        let words = if store.services.request_restart(&d.key) {
            "restarting..."
        } else {
            "cannot restart: its Docker endpoint is not connected"
        };
        store.services.note_action(&d.key, words);
    }

    /// A container's drill-down shows inspect details and logs fetched on demand.
    fn fetch_details(&self, store: &Store, d: &Detail) {
        store.services.request_details(&d.key);
    }
}

sort_modes! {
    /// The sort modes of the check list.
    ServiceSort { Config => "config", Worst => "worst", Name => "name", Kind => "kind" }
}

sort_modes! {
    /// The one order inside a check's drill-down.
    ResultSort { Time => "time" }
}
