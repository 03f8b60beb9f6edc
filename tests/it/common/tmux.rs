//! A tmux server of a test's own (its own socket, no user config), for
//! tests that drive the real TUI; killed when dropped.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Whether tmux is here: without it a test skips, unless `FLEETTOP_IT=1`,
/// where a missing tmux is a failure ([`super::require`]).
pub fn present() -> bool {
    super::require("tmux")
}

pub struct Tmux(String);

impl Tmux {
    /// A server named after `name` and this process.
    pub fn new(name: &str) -> Self {
        Tmux(format!("{name}-{}", std::process::id()))
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.0, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// Starts session `t`, `cols`x`rows`, running `sh -c cmd`; returns the
    /// pane's pid.
    pub fn start(&self, cols: u16, rows: u16, cmd: &str) -> u32 {
        let (x, y) = (cols.to_string(), rows.to_string());
        let started = self.run(&["new-session", "-d", "-s", "t", "-x", &x, "-y", &y, "sh", "-c", cmd]);
        assert!(started.status.success(), "{started:?}");
        String::from_utf8_lossy(&self.run(&["list-panes", "-t", "t", "-F", "#{pane_pid}"]).stdout)
            .trim()
            .parse()
            .expect("the pane's pid")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// The screen once `cond` holds of it; fails after `within`, showing it.
    pub fn wait_for(&self, what: &str, within: Duration, cond: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + within;
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            assert!(Instant::now() < end, "waited for {what}; the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
