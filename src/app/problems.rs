//! The problems view's keys: moving, closing, and `a` / `m`, whose result
//! is written to the quiet file at once (so `check` and the next start see it).

use super::App;
use crate::action::Action;
use crate::model::Millis;
use crate::ui::ListView;
use crate::ui::problems::{rows, selected_problem};
use crate::ui::tabs::moved;

/// How long an acknowledged problem must be gone before its
/// acknowledgement is dropped (every source answers well within it).
pub(crate) const ACK_GONE_MS: Millis = 10 * 60 * 1000;

impl App {
    /// Reads the acknowledgements and silences kept in the state directory,
    /// and keeps them there from now on.
    pub fn load_quiet(&mut self) {
        self.quiet_path = crate::store::Quiet::default_path();
        if let Some(path) = &self.quiet_path {
            self.store.quiet = crate::store::Quiet::load(path);
        }
    }

    /// An acknowledgement whose problem has been gone for [`ACK_GONE_MS`]
    /// of this run ends (it recovered while no fleettop watched, or its
    /// check was removed): the next time it comes, it is news again.
    pub(crate) fn prune_acknowledged(&mut self, now: Millis) {
        if self.store.quiet.acknowledged.is_empty() {
            self.ack_absent.clear();
            return;
        }
        let present: std::collections::HashSet<String> = self.store.problems(now).into_iter().map(|p| p.key).collect();
        let absent = &mut self.ack_absent;
        absent.retain(|k, _| !present.contains(k));
        let mut gone = Vec::new();
        for k in self.store.quiet.acknowledged.keys().filter(|k| !present.contains(*k)) {
            let since = *absent.entry(k.clone()).or_insert(now);
            if now.saturating_sub(since) >= ACK_GONE_MS {
                gone.push(k.clone());
            }
        }
        if gone.is_empty() {
            return;
        }
        for k in &gone {
            self.store.quiet.acknowledged.remove(k);
            absent.remove(k);
        }
        self.save_quiet();
    }

    fn save_quiet(&self) {
        if let Some(path) = self.quiet_path.as_ref().filter(|_| !self.view.read_only)
            && let Err(e) = self.store.quiet.save(path)
        {
            tracing::warn!(path = %path.display(), "cannot write the quiet file: {e}");
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
        self.save_quiet();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{NOW, agents_fleet};
    use crate::theme::{Depth, GlyphKind, Glyphs, Theme};
    use crate::ui::View;

    fn app(read_only: bool) -> App {
        let view = View {
            read_only,
            ..View::default()
        };
        let theme = Theme::load("default").unwrap();
        App::new(agents_fleet(), view, theme, Glyphs::new(GlyphKind::Ascii), Depth::True)
    }

    #[test]
    fn a_and_m_act_on_the_selected_problem_and_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = app(false);
        a.quiet_path = Some(dir.path().join("quiet.json"));
        a.handle(Action::Problems, NOW);
        assert_eq!(a.view.mode(), crate::action::Mode::Problems);
        // The second problem; then past the problems, an event: a does nothing there.
        a.handle(Action::Down, NOW);
        a.handle(Action::Acknowledge, NOW);
        let ps = a.store.problems(NOW);
        assert_eq!((ps[0].acknowledged, ps[1].acknowledged), (false, true));
        a.handle(Action::Down, NOW);
        a.handle(Action::Silence, NOW);
        assert!(a.store.quiet.silenced.is_empty(), "an event row is no problem");
        a.handle(Action::Top, NOW);
        a.handle(Action::Silence, NOW);
        assert_eq!(a.store.problems(NOW)[0].silenced_until, Some(NOW + 3_600_000));
        assert_eq!(crate::store::Quiet::load(a.quiet_path.as_ref().unwrap()), a.store.quiet);
        // Esc closes it.
        a.handle(Action::Back, NOW);
        assert!(a.view.problems.is_none());
    }

    #[test]
    fn an_acknowledgement_of_a_problem_long_gone_ends() {
        let mut a = app(false);
        a.store.quiet.acknowledge("gone:long", crate::model::Level::Error, 0);
        let p = a.store.problems(NOW).remove(0);
        a.store.acknowledge(&p, NOW);
        a.prune_acknowledged(NOW);
        a.prune_acknowledged(NOW + ACK_GONE_MS - 1);
        assert_eq!(a.store.quiet.acknowledged.len(), 2);
        a.prune_acknowledged(NOW + ACK_GONE_MS);
        assert_eq!(a.store.quiet.acknowledged.keys().collect::<Vec<_>>(), [&p.key]);
    }

    #[test]
    fn read_only_acknowledges_nothing() {
        let mut a = app(true);
        a.handle(Action::Problems, NOW);
        a.handle(Action::Acknowledge, NOW);
        a.handle(Action::Silence, NOW);
        assert_eq!(a.store.quiet, crate::store::Quiet::default());
    }

    #[test]
    fn the_filter_narrows_the_view_and_esc_clears_it_first() {
        let mut a = app(false);
        a.handle(Action::Problems, NOW);
        a.handle(Action::Filter, NOW);
        for c in "deacon".chars() {
            let k = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c));
            a.handle(Action::FilterKey(k), NOW);
        }
        a.handle(Action::FilterDone, NOW);
        let list = a.view.problems.clone().unwrap();
        assert_eq!(list.filter, "deacon");
        let p = selected_problem(&a.store, &list, NOW).unwrap();
        assert!(p.title.as_str().starts_with("deacon stale"), "{}", p.title);
        a.handle(Action::Back, NOW);
        assert_eq!(a.view.problems.as_ref().map(|l| l.filter.as_str()), Some(""));
        a.handle(Action::Back, NOW);
        assert!(a.view.problems.is_none());
    }
}
