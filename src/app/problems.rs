//! The problems view's keys: moving, closing, and `a` / `m`, whose result
//! is written to the quiet file at once (so `check` and the next start see it).

use super::App;
use crate::action::Action;
use crate::model::Millis;
use crate::ui::ListView;
use crate::ui::problems::{rows, selected_problem};
use crate::ui::tabs::moved;

impl App {
    /// Reads the acknowledgements and silences kept in the state directory,
    /// and keeps them there from now on.
    pub fn load_quiet(&mut self) {
        self.quiet_path = crate::store::Quiet::default_path();
        if let Some(path) = &self.quiet_path {
            self.store.quiet = crate::store::Quiet::load(path);
        }
    }

    /// `!` / `P`: opens the view, or closes it.
    pub(crate) fn toggle_problems(&mut self) {
        self.view.problems = match self.view.problems {
            Some(_) => None,
            None => Some(ListView::default()),
        };
    }

    /// A key while the problems view is open; false for the keys it leaves
    /// to the rest (help, theme, quit, filter, closing).
    pub(crate) fn problems_key(&mut self, a: Action, page: isize, now: Millis) -> bool {
        let Some(list) = self.view.problems.as_ref() else {
            return false;
        };
        let len = rows(&self.store, &list.filter, now).len();
        let delta = match a {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            Action::Back => {
                match self.view.problems.as_mut() {
                    Some(l) if !l.filter.is_empty() => {
                        l.filter.clear();
                        l.selected = 0;
                    }
                    _ => self.view.problems = None,
                }
                return true;
            }
            Action::Acknowledge | Action::Silence => {
                self.quiet_selected(a, now);
                return true;
            }
            _ => return false,
        };
        if let Some(l) = self.view.problems.as_mut() {
            l.selected = moved(l.selected, delta, len);
        }
        true
    }

    /// `a` or `m` on the selected problem (nothing on an event row).
    fn quiet_selected(&mut self, a: Action, now: Millis) {
        let Some(list) = self.view.problems.as_ref() else {
            return;
        };
        let Some(p) = selected_problem(&self.store, list, now) else {
            return;
        };
        if a == Action::Acknowledge {
            self.store.acknowledge(&p, now);
            tracing::info!(source = %p.source, "acknowledged: {}", p.title);
        } else {
            let until = self.store.cycle_silence(&p, now);
            tracing::info!(source = %p.source, until = until.map(crate::model::rfc3339), "silence");
        }
        if let Some(path) = &self.quiet_path
            && let Err(e) = self.store.quiet.save(path)
        {
            tracing::warn!(path = %path.display(), "cannot write the quiet file: {e}");
        }
    }
}
