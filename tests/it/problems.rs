//! The problems view: rendered at 100x30 under console glyphs, and the
//! whole app in tmux — `!` opens it, `a` acknowledges, `m` silences, both
//! land in the state directory, and `check` and a restarted fleettop (also
//! read-only, which changes neither) see them.

use crate::common::{self, screen::text, tmux::Tmux};
use fleettop::fixture::{NOW, S, agents_fleet};
use fleettop::model::Level;
use fleettop::store::Tab;
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{ListView, View};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");

/// The agents fixture (a critical streak, a stale heartbeat, hours of
/// runs) with its worst problem acknowledged and the other's source silenced.
fn quiet_fleet() -> fleettop::store::Store {
    let mut st = agents_fleet();
    let ps = st.problems(NOW);
    assert_eq!(ps.len(), 2, "{ps:?}");
    st.acknowledge(&ps[0], NOW - 60 * S);
    st.cycle_silence(&ps[1], NOW - 30 * 60 * S);
    st
}

fn draw(view: &View) -> String {
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Console);
    text(&common::screen::draw(
        &quiet_fleet(),
        view,
        &theme,
        &glyphs,
        (100, 30),
        NOW,
    ))
}

#[test]
fn the_view_lists_problems_worst_first_then_hours_of_events() {
    let view = View {
        problems: Some(ListView {
            selected: 1,
            ..ListView::default()
        }),
        ..View::default()
    };
    let t = draw(&view);
    assert!(t.contains("Problems: 2, 2 quiet"), "{t}");
    assert!(t.contains("[acknowledged]") && t.contains("[silenced 30m more]"), "{t}");
    // Older than the ticker's five minutes: the history reaches back hours.
    assert!(t.contains("1h info"), "{t}");
    insta::assert_snapshot!("problems_view_100x30_console", t);
}

#[test]
fn filtered_and_read_only_it_offers_no_a_or_m() {
    let view = View {
        problems: Some(ListView {
            filter: "pr-helper".into(),
            ..ListView::default()
        }),
        read_only: true,
        ..View::default()
    };
    let t = draw(&view);
    assert!(t.contains("(read-only)") && !t.contains("a acknowledge"), "{t}");
    assert!(
        !t.contains("fleet-scout"),
        "the filter keeps pr-helper's rows only: {t}"
    );
    insta::assert_snapshot!("problems_view_filtered_read_only_100x30_console", t);
}

/// The tab bar's red count is what needs someone: with the critical
/// streak acknowledged, the Agents badge is the stale daemon's one warning,
/// and the acknowledged problem is counted apart, dimmed.
#[test]
fn an_acknowledged_problem_leaves_the_tab_badge() {
    let mut st = agents_fleet();
    let ps = st.problems(NOW);
    assert_eq!(
        ps.iter().map(|p| p.level).collect::<Vec<_>>(),
        [Level::Critical, Level::Warn]
    );
    assert_eq!(st.problem_count(Tab::Agents, NOW), (2, Level::Critical));
    st.acknowledge(&ps[0], NOW - 60 * S);
    assert_eq!(st.problem_count(Tab::Agents, NOW), (1, Level::Warn));
    let theme = Theme::load("default").unwrap();
    let glyphs = Glyphs::new(GlyphKind::Console);
    let view = View {
        tab: Tab::Agents,
        ..View::default()
    };
    let buf = common::screen::draw(&st, &view, &theme, &glyphs, (100, 30), NOW);
    common::screen::assert_console_only(&buf, "an acknowledged problem");
    let t = text(&buf);
    assert!(common::screen::row(&buf, 0).contains("4 Agents 1! 1 quiet"), "{t}");
    assert!(t.contains("1 problem, 1 quiet"), "{t}");
    let (x, y) = common::screen::find(&buf, "1! 1 quiet");
    assert_eq!(
        buf[(x, y)].fg,
        theme.level(Level::Warn).fg.unwrap(),
        "the warning's colour"
    );
    assert_eq!(buf[(x + 3, y)].fg, theme.dim.fg.unwrap(), "the quiet count dimmed");
    insta::assert_snapshot!("agents_one_acknowledged_100x30_console", t);
}

struct Setup {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Setup {
    /// A NATS server whose monitor port nothing answers: one problem, at once.
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("fleettop.toml");
        let dead = common::free_port();
        std::fs::write(
            &config,
            format!("[[nats]]\nname = \"main\"\nmonitor_url = \"http://127.0.0.1:{dead}\"\ninterval = \"200ms\"\n"),
        )
        .unwrap();
        Setup { dir, config }
    }

    fn tui(&self, extra: &str) -> Tmux {
        let tmux = Tmux::new("fleettop-problems");
        let cmd = format!(
            "export TERM=xterm-256color HOME='{d}' XDG_STATE_HOME='{d}'; exec '{BIN}' --config '{}' --log-file '{d}/tui.log' {extra}",
            self.config.display(),
            d = self.dir.path().display()
        );
        tmux.start(100, 30, &cmd);
        // Quiet when a former run acknowledged it: counted apart, not as a problem.
        tmux.wait_for("the problem", Duration::from_secs(20), |s| {
            s.contains("1 problem") || s.contains("3 NATS 1 quiet")
        });
        tmux.run(&["send-keys", "-t", "t", "!"]);
        tmux.wait_for("the view", Duration::from_secs(10), |s| s.contains("Problems: 1"));
        tmux
    }

    fn check(&self) -> (String, Option<i32>) {
        let out = Command::new(BIN)
            .args(["check", "--config"])
            .arg(&self.config)
            .env("XDG_STATE_HOME", self.dir.path())
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code())
    }

    fn quiet_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("fleettop/quiet.json")).unwrap_or_default()
    }
}

#[test]
fn a_and_m_persist_for_check_and_the_next_start() {
    if !common::needs(common::tmux::present(), "tmux") {
        return;
    }
    let s = Setup::new();
    let (out, code) = s.check();
    assert!(
        out.contains("NATS main unreachable") && !out.contains("acknowledged"),
        "{out}"
    );
    assert_eq!(code, Some(1));

    let tmux = s.tui("");
    tmux.run(&["send-keys", "-t", "t", "a"]);
    tmux.wait_for("acknowledged", Duration::from_secs(10), |s| {
        s.contains("[acknowledged]")
    });
    tmux.run(&["send-keys", "-t", "t", "m"]);
    tmux.wait_for("silenced", Duration::from_secs(10), |s| {
        s.contains("[silenced 59m more]")
    });
    let file = s.quiet_file();
    assert!(
        file.contains("\"nats:main:down\"") && file.contains("\"nats main\""),
        "{file}"
    );
    tmux.run(&["send-keys", "-t", "t", "q"]);
    drop(tmux);

    // check lists it as such; the exit code still says what is wrong.
    let (out, code) = s.check();
    assert!(
        out.contains("NATS main unreachable") && out.contains("(acknowledged) (silenced until "),
        "{out}"
    );
    assert!(out.contains("1 acknowledged or silenced"), "{out}");
    assert_eq!(code, Some(1));

    // Restarted read-only: it sees both, and m changes nothing.
    let tmux = s.tui("--read-only");
    tmux.wait_for("the kept state", Duration::from_secs(10), |s| {
        s.contains("[acknowledged]") && s.contains("[silenced 59m more]")
    });
    let screen = tmux.screen();
    assert!(
        screen.contains("3 NATS 1 quiet") && !screen.contains("1!") && screen.contains("1 quiet "),
        "the tab and the status line count it as quiet, not as a problem: {screen}"
    );
    tmux.run(&["send-keys", "-t", "t", "m"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(tmux.screen().contains("[silenced 59m more]"));
    assert_eq!(s.quiet_file(), file, "read-only writes nothing");
}
