//! Keys → actions: one table, read by `map_key` and by the help overlay, so
//! the two cannot drift apart.

use crate::tab::Tab;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GoTab(Tab),
    Up,
    Down,
    Left,
    Right,
    NextMatch,
    PrevMatch,
    ToggleAlt,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Back,
    Sort,
    Filter,
    Help,
    PauseRotation,
    Refresh,
    NextTheme,
    /// A key typed into the filter line.
    FilterKey(KeyEvent),
    FilterDone,
    FilterCancel,
    /// Restart the container in the open drill-down (asks y/n first).
    Restart,
    /// The answer to a y/n question.
    Confirm(bool),
    /// Open or close the problems view.
    Problems,
    /// Acknowledge the selected problem (problems view).
    Acknowledge,
    /// Silence the selected problem's source: 1 h, 4 h, 24 h, off.
    Silence,
}

impl Action {
    /// Whether it changes something outside fleettop (read-only mode
    /// offers none of these).
    pub(crate) fn changes_something(self) -> bool {
        matches!(
            self,
            Action::Restart | Action::Confirm(_) | Action::Acknowledge | Action::Silence
        )
    }
}

/// Where the keyboard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A tab's list.
    List,
    /// A drill-down view.
    Detail,
    /// The one-line filter input.
    Filter,
    /// The help overlay.
    Help,
    /// A y/n question.
    Confirm,
    /// The problems view.
    Problems,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub action: Action,
    pub what: &'static str,
    /// Which modes it works in.
    pub modes: &'static [Mode],
}

use Key::*;
use Mode::*;

const NAV: &[Mode] = &[List, Detail];
/// Lists, the drill-down and the problems view.
const LISTS: &[Mode] = &[List, Detail, Problems];
/// Moving keys also scroll the help overlay.
const MOVE: &[Mode] = &[List, Detail, Help, Problems];
const ALL: &[Mode] = &[List, Detail, Help, Problems];

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Char('1')],
        label: "1-4",
        action: Action::GoTab(Tab::Fleet),
        what: "go to tab Fleet, Services, NATS, Agents",
        modes: NAV,
    },
    Binding {
        keys: &[Char('2')],
        label: "",
        action: Action::GoTab(Tab::Services),
        what: "",
        modes: NAV,
    },
    Binding {
        keys: &[Char('3')],
        label: "",
        action: Action::GoTab(Tab::Nats),
        what: "",
        modes: NAV,
    },
    Binding {
        keys: &[Char('4')],
        label: "",
        action: Action::GoTab(Tab::Agents),
        what: "",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::Tab)],
        label: "Tab",
        action: Action::NextTab,
        what: "next tab",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::BackTab)],
        label: "Shift-Tab",
        action: Action::PrevTab,
        what: "previous tab",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::Up), Char('k')],
        label: "Up k",
        action: Action::Up,
        what: "move up",
        modes: MOVE,
    },
    Binding {
        keys: &[Code(KeyCode::Down), Char('j')],
        label: "Down j",
        action: Action::Down,
        what: "move down",
        modes: MOVE,
    },
    Binding {
        keys: &[Code(KeyCode::Left), Char('h')],
        label: "Left h",
        action: Action::Left,
        what: "previous tile / older run",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::Right), Char('l')],
        label: "Right l",
        action: Action::Right,
        what: "next tile / newer run",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::PageUp)],
        label: "PgUp",
        action: Action::PageUp,
        what: "page up",
        modes: MOVE,
    },
    Binding {
        keys: &[Code(KeyCode::PageDown)],
        label: "PgDn",
        action: Action::PageDown,
        what: "page down",
        modes: MOVE,
    },
    Binding {
        keys: &[Char('g'), Code(KeyCode::Home)],
        label: "g Home",
        action: Action::Top,
        what: "first",
        modes: MOVE,
    },
    Binding {
        keys: &[Char('G'), Code(KeyCode::End)],
        label: "G End",
        action: Action::Bottom,
        what: "last",
        modes: MOVE,
    },
    Binding {
        keys: &[Code(KeyCode::Enter)],
        label: "Enter",
        action: Action::Enter,
        what: "drill down",
        modes: NAV,
    },
    Binding {
        keys: &[Code(KeyCode::Esc)],
        label: "Esc",
        action: Action::Back,
        what: "clear filter / go back / close",
        modes: ALL,
    },
    Binding {
        keys: &[Char('s')],
        label: "s",
        action: Action::Sort,
        what: "cycle the sort",
        modes: NAV,
    },
    Binding {
        keys: &[Char('/')],
        label: "/",
        action: Action::Filter,
        what: "filter (Enter keeps, Esc clears)",
        modes: LISTS,
    },
    Binding {
        keys: &[Char('?'), Code(KeyCode::F(1))],
        label: "? F1",
        action: Action::Help,
        what: "this help",
        modes: ALL,
    },
    Binding {
        keys: &[Char('n')],
        label: "n N",
        action: Action::NextMatch,
        what: "next / previous search hit (output viewer)",
        modes: &[Detail],
    },
    Binding {
        keys: &[Char('N')],
        label: "",
        action: Action::PrevMatch,
        what: "",
        modes: &[Detail],
    },
    Binding {
        keys: &[Char('x')],
        label: "x",
        action: Action::ToggleAlt,
        what: "raw / extracted output (output viewer)",
        modes: &[Detail],
    },
    Binding {
        keys: &[Char('p')],
        label: "p",
        action: Action::PauseRotation,
        what: "pause / resume kiosk rotation",
        modes: NAV,
    },
    Binding {
        keys: &[Char('r')],
        label: "r",
        action: Action::Refresh,
        what: "refresh every source now",
        modes: NAV,
    },
    Binding {
        keys: &[Char('t')],
        label: "t",
        action: Action::NextTheme,
        what: "next theme",
        modes: ALL,
    },
    Binding {
        keys: &[Char('R')],
        label: "R",
        action: Action::Restart,
        what: "restart the container (asks y/n)",
        modes: &[Detail],
    },
    Binding {
        keys: &[Char('!'), Char('P')],
        label: "! P",
        action: Action::Problems,
        what: "problems now and events of the last 6 h",
        modes: LISTS,
    },
    Binding {
        keys: &[Char('a')],
        label: "a m",
        action: Action::Acknowledge,
        what: "acknowledge / silence (problems view)",
        modes: &[Problems],
    },
    Binding {
        keys: &[Char('m')],
        label: "",
        action: Action::Silence,
        what: "",
        modes: &[Problems],
    },
    Binding {
        keys: &[Char('q'), Ctrl('c')],
        label: "q Ctrl-C",
        action: Action::Quit,
        what: "quit",
        modes: ALL,
    },
];

fn matches(k: Key, ev: &KeyEvent) -> bool {
    match k {
        Ctrl(c) => ev.modifiers.contains(KeyModifiers::CONTROL) && ev.code == KeyCode::Char(c),
        Char(c) => !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) && ev.code == KeyCode::Char(c),
        Code(code) => ev.code == code,
    }
}

/// The pure key map.
pub(crate) fn map_key(mode: Mode, ev: KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    if mode == Confirm {
        return Some(match ev.code {
            KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => Action::Quit,
            KeyCode::Char('y') | KeyCode::Char('Y') => Action::Confirm(true),
            _ => Action::Confirm(false),
        });
    }
    if mode == Filter {
        return Some(match ev.code {
            KeyCode::Enter => Action::FilterDone,
            KeyCode::Esc => Action::FilterCancel,
            KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => Action::Quit,
            _ => Action::FilterKey(ev),
        });
    }
    BINDINGS
        .iter()
        .find(|b| b.modes.contains(&mode) && b.keys.iter().any(|k| matches(*k, &ev)))
        .map(|b| b.action)
}

/// The help overlay's rows: (keys, what), one per documented binding.
/// Read-only, the keys that change something are left out and a last row
/// says so.
pub fn help_rows(read_only: bool) -> Vec<(&'static str, &'static str)> {
    let mut rows: Vec<_> = BINDINGS
        .iter()
        .filter(|b| !(b.label.is_empty() || read_only && b.action.changes_something()))
        .map(|b| (b.label, b.what))
        .collect();
    if read_only {
        rows.push(("read-only", "nothing here changes anything (no restart, a or m)"));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn digits_switch_tabs_and_q_quits() {
        assert_eq!(map_key(List, key(KeyCode::Char('3'))), Some(Action::GoTab(Tab::Nats)));
        assert_eq!(map_key(List, key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(map_key(Help, key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            map_key(List, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn filter_mode_types_letters_instead_of_acting() {
        assert_eq!(
            map_key(Filter, key(KeyCode::Char('q'))),
            Some(Action::FilterKey(key(KeyCode::Char('q'))))
        );
        assert_eq!(map_key(Filter, key(KeyCode::Esc)), Some(Action::FilterCancel));
        assert_eq!(map_key(Filter, key(KeyCode::Enter)), Some(Action::FilterDone));
    }

    #[test]
    fn a_question_takes_y_and_anything_else_is_no() {
        assert_eq!(map_key(Detail, key(KeyCode::Char('R'))), Some(Action::Restart));
        assert_eq!(map_key(List, key(KeyCode::Char('R'))), None);
        assert_eq!(map_key(Confirm, key(KeyCode::Char('y'))), Some(Action::Confirm(true)));
        assert_eq!(map_key(Confirm, key(KeyCode::Char('q'))), Some(Action::Confirm(false)));
        assert_eq!(map_key(Confirm, key(KeyCode::Esc)), Some(Action::Confirm(false)));
    }

    #[test]
    fn help_lists_every_action_that_has_a_key() {
        let rows = help_rows(false);
        let ro = help_rows(true);
        assert!(rows.iter().any(|(k, _)| *k == "R"));
        assert!(!ro.iter().any(|(k, _)| *k == "R"), "read-only offers no restart");
        assert_eq!(ro.last().map(|r| r.0), Some("read-only"));
        for needed in [
            "quit",
            "this help",
            "filter (Enter keeps, Esc clears)",
            "cycle the sort",
            "next theme",
        ] {
            assert!(rows.iter().any(|(_, w)| *w == needed), "help lacks {needed}");
        }
        assert_eq!(
            map_key(Help, key(KeyCode::Char('j'))),
            Some(Action::Down),
            "j scrolls the help"
        );
        assert!(
            map_key(Help, key(KeyCode::Char('s'))).is_none(),
            "help swallows the rest"
        );
    }
}
