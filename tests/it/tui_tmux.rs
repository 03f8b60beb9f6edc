//! Whole-application test: runs the real `fleettop` binary in a tmux pane
//! (100x30, `TERM=xterm-256color`), types keys with `send-keys` and reads the
//! screen with `capture-pane`, as a person would.
//!
//! Needs `tmux`. Without it the tests print a skip note and pass, unless
//! `FLEETTOP_IT=1` (as in CI), where a missing tmux is a failure.
//!
//! Every test has its own tmux server (`tmux -L fleettop-test-<pid>-<n>`),
//! killed when the test ends, pass or fail. All waiting is polling with a
//! generous deadline; nothing here asserts on timing.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");
const DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);
const SESSION: &str = "t";

const SIGHUP: i32 = 1;
const SIGTERM: i32 = 15;

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn hostname() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("read /proc/sys/kernel/hostname")
        .trim()
        .to_string();
    assert!(!name.is_empty(), "empty hostname");
    name
}

/// `word` occurs in `hay` not glued to other letters, digits, `-`, `_` or `.`
/// (a short hostname like `vm` must not match inside another word).
fn contains_word(hay: &str, word: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

/// Shell single-quoting.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Lines of the view area: without the top line (tab bar) and the bottom
/// two (ticker, status line), so names there do not count.
fn body(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    if lines.len() <= 3 {
        return String::new();
    }
    lines[1..lines.len() - 2].join("\n")
}

/// A tmux server with one session running fleettop, killed on drop.
struct Tui {
    socket: String,
    socket_path: OnceCell<PathBuf>,
    dir: tempfile::TempDir,
    config: PathBuf,
    log: PathBuf,
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .env_remove("TMUX")
            .output();
        // tmux leaves its socket file behind.
        if let Some(path) = self.socket_path.get() {
            let _ = fs::remove_file(path);
        }
    }
}

impl Tui {
    /// Starts fleettop in a 100x30 pane; when it exits the pane's shell
    /// prints `rc=<exit code>` and the `stty -a` line, then sleeps.
    fn start() -> Tui {
        Tui::start_env("")
    }

    /// The same with `env` (`NAME=value `) before the command.
    fn start_env(env: &str) -> Tui {
        Tui::start_with(|cmd| format!("{env}{cmd}; echo \"rc=$?\"; stty -a | tr \"\\n\" \" \"; echo; sleep 600"))
    }

    /// Starts a 100x30 pane running `sh -c SCRIPT`, where `script` gets the
    /// quoted fleettop command line (`BIN --config CFG --log-file LOG`).
    fn start_with(script: impl Fn(&str) -> String) -> Tui {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let socket = format!("fleettop-test-{}-{}", std::process::id(), n);
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");
        let log = dir.path().join("fleettop.log");
        fs::write(&config, "[[hosts]]\nlocal = true\n").expect("write config");

        let cmd = format!(
            "{} --config {} --log-file {}",
            sh_quote(BIN),
            sh_quote(&config.to_string_lossy()),
            sh_quote(&log.to_string_lossy()),
        );
        let script = format!("export TERM=xterm-256color; {}", script(&cmd));
        let tui = Tui {
            socket,
            socket_path: OnceCell::new(),
            dir,
            config,
            log,
        };
        tui.tmux_ok(&[
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            "-c",
            &script,
        ]);
        let path = tui.tmux_ok(&["display-message", "-p", "#{socket_path}"]);
        let _ = tui.socket_path.set(PathBuf::from(path.trim()));
        tui
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen, one line per row.
    fn screen(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-t", SESSION])
    }

    /// The visible screen with wrapped lines joined (for the `stty -a` line).
    fn screen_joined(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-J", "-t", SESSION])
    }

    fn display(&self, format: &str) -> String {
        self.tmux_ok(&["display-message", "-p", "-t", SESSION, format])
            .trim()
            .to_string()
    }

    /// Types literal text.
    fn keys(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// Presses a named key (`Escape`, `Enter`, ...).
    fn key(&self, name: &str) {
        self.tmux_ok(&["send-keys", "-t", SESSION, name]);
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.tmux_ok(&[
            "resize-window",
            "-t",
            SESSION,
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn fail(&self, what: &str, screen: &str) -> ! {
        // Not `display()`: the pane may be gone, and this must not panic first.
        let out = self.tmux(&["display-message", "-p", "-t", SESSION, "#{pane_width}x#{pane_height}"]);
        let size = if out.status.success() {
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        } else {
            "pane gone".to_string()
        };
        let mut msg = String::new();
        let _ = writeln!(msg, "{what}");
        let _ = writeln!(msg, "--- screen ({size}) ---");
        let _ = writeln!(msg, "{}", screen.trim_end());
        let _ = writeln!(msg, "--- log {} (tail) ---", self.log.display());
        let _ = writeln!(msg, "{}", self.log_tail());
        let _ = writeln!(msg, "--- (temp dir {}) ---", self.dir.path().display());
        panic!("{msg}");
    }

    /// Polls the screen until `pred` holds; fails with the last screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for_with(what, false, pred)
    }

    fn wait_for_with(&self, what: &str, joined: bool, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = if joined { self.screen_joined() } else { self.screen() };
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                self.fail(&format!("timed out after {DEADLINE:?} waiting for: {what}"), &screen);
            }
            sleep(POLL);
        }
    }

    /// The fleettop process: argv[0] is the binary and the argv holds this
    /// test's unique config path (the pane's `sh -c` holds it too, but its
    /// argv[0] is `sh`).
    fn fleettop_pid(&self) -> i32 {
        let config = self.config.to_string_lossy().into_owned();
        let start = Instant::now();
        loop {
            if let Some(pid) = find_process(BIN, &config) {
                return pid;
            }
            if start.elapsed() > DEADLINE {
                self.fail("fleettop process not found", &self.screen());
            }
            sleep(POLL);
        }
    }

    fn assert_alive(&self, pid: i32, when: &str) {
        let screen = self.screen();
        if !process_alive(pid) || screen.contains("rc=") {
            self.fail(&format!("fleettop exited {when}"), &screen);
        }
    }

    /// Waits for the first screen: the hostname in the view and the four tabs.
    fn wait_started(&self) -> String {
        let host = hostname();
        self.wait_for(
            &format!("hostname {host:?} in the view and the tab bar Fleet/Services/NATS/Agents"),
            |s| contains_word(&body(s), &host) && ["Fleet", "Services", "NATS", "Agents"].iter().all(|t| s.contains(t)),
        )
    }

    /// After fleettop exited: `rc=0`, canonical mode and echo back on, the
    /// alternate screen left, the cursor shown and mouse reporting off.
    fn assert_restored(&self, how: &str) -> String {
        self.assert_restored_with(how, "0")
    }

    /// The same, with exit code `want_rc`; returns the screen.
    fn assert_restored_with(&self, how: &str, want_rc: &str) -> String {
        let screen = self.wait_for_with(&format!("rc= and the stty line after {how}"), true, |s| {
            s.contains("rc=") && s.lines().any(|l| l.contains("icanon"))
        });
        // A terminal left raw may print `rc=` after other text: look anywhere.
        let rc: String = screen
            .rsplit_once("rc=")
            .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        let mut problems = Vec::new();
        if rc != want_rc {
            problems.push(format!("exit code {rc:?}, expected {want_rc:?}"));
        }
        let stty = screen.lines().find(|l| l.contains("icanon")).unwrap_or_default();
        let tokens: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["icanon", "echo"] {
            let negated = format!("-{mode}");
            if !tokens.contains(&mode) || tokens.contains(&negated.as_str()) {
                problems.push(format!("terminal mode not restored: stty shows no `{mode}`"));
            }
        }
        for (format, want, meaning) in [
            ("#{alternate_on}", "0", "alternate screen still on"),
            ("#{cursor_flag}", "1", "cursor still hidden"),
            ("#{mouse_any_flag}", "0", "mouse reporting still on"),
        ] {
            let got = self.display(format);
            if got != want {
                problems.push(format!("{meaning} ({format} = {got}, expected {want})"));
            }
        }
        if !problems.is_empty() {
            self.fail(&format!("after {how}:\n  - {}", problems.join("\n  - ")), &screen);
        }
        screen
    }
}

/// The pid of a process whose argv[0] is `exe` and whose arguments include
/// `arg`.
fn find_process(exe: &str, arg: &str) -> Option<i32> {
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if argv.first().map(String::as_str) == Some(exe) && argv.iter().any(|a| a == arg) {
            return Some(pid);
        }
    }
    None
}

/// Alive and not a zombie.
fn process_alive(pid: i32) -> bool {
    match fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
            !matches!(state, Some(Some('Z' | 'X')))
        }
        Err(_) => false,
    }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a pid we found and a valid signal number.
    let rc = unsafe { kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

#[test]
fn shows_host_and_tabs_switch_with_number_keys() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    tui.wait_started();
    let host = hostname();

    for (key, name) in [("2", "Services"), ("3", "NATS"), ("4", "Agents")] {
        tui.keys(key);
        let label = format!("[{name}]");
        tui.wait_for(
            &format!("after key {key}: status line shows {label} and the view no longer shows {host:?}"),
            |s| s.contains(&label) && !contains_word(&body(s), &host),
        );
    }
    tui.keys("1");
    tui.wait_for(
        &format!("after key 1: status line shows [Fleet] and the view shows {host:?} again"),
        |s| s.contains("[Fleet]") && contains_word(&body(s), &host),
    );
}

#[test]
fn help_overlay_opens_and_closes() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    let before = tui.wait_started();
    // The status line may carry hints such as "? help  q quit": count
    // occurrences instead of looking for mere presence.
    let count = |s: &str, w: &str| s.matches(w).count();
    let base_help = count(&before, "Help");
    let base_quit = count(&before, "quit");
    let open = |s: &str| count(s, "Help") > base_help && count(s, "quit") > base_quit;

    for close in ["?", "Escape"] {
        tui.keys("?");
        tui.wait_for("`?` opens the help overlay (title `Help`, lists `quit`)", open);
        if close == "?" {
            tui.keys("?");
        } else {
            tui.key(close);
        }
        tui.wait_for(&format!("`{close}` closes the help overlay"), |s| {
            count(s, "Help") <= base_help && count(s, "quit") <= base_quit
        });
    }
    tui.assert_alive(tui.fleettop_pid(), "after the help overlay");
}

#[test]
fn survives_resizes_down_to_too_small_and_back() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    tui.wait_started();
    let pid = tui.fleettop_pid();
    let host = hostname();

    tui.resize(80, 24);
    tui.wait_for(&format!("at 80x24: {host:?} in the view"), |s| {
        s.lines().count() <= 24 && contains_word(&body(s), &host)
    });
    tui.assert_alive(pid, "after resizing to 80x24");

    tui.resize(20, 5);
    tui.wait_for("at 20x5: a `too small` notice", |s| {
        s.to_lowercase().contains("too small")
    });
    tui.assert_alive(pid, "after resizing to 20x5");

    tui.resize(100, 30);
    tui.wait_for(&format!("back at 100x30: {host:?} in the view"), |s| {
        contains_word(&body(s), &host) && !s.to_lowercase().contains("too small")
    });
    tui.assert_alive(pid, "after resizing back to 100x30");
}

#[test]
fn q_quits_and_restores_the_terminal() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    tui.wait_started();
    assert_eq!(
        tui.display("#{alternate_on}"),
        "1",
        "the TUI should draw on the alternate screen"
    );
    tui.keys("q");
    tui.assert_restored("`q`");
}

/// Every source task panics as it starts (a debug-build test switch): the
/// UI goes on drawing in raw mode on the alternate screen, the host's row
/// says the collector crashed, no panic text reaches the screen, the log
/// has it, and `q` still quits cleanly.
#[test]
fn a_source_panic_is_said_on_its_row_and_the_screen_keeps_drawing() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start_env("FLEETTOP_TEST_PANIC=source ");
    let host = hostname();
    let first = tui.wait_for("the host's row says its collector crashed", |s| {
        contains_word(&body(s), &host) && s.contains("collector crashed")
    });
    let pid = tui.fleettop_pid();
    // Restarted with backoff: the log records more than one crash.
    let start = Instant::now();
    while fs::read_to_string(&tui.log)
        .unwrap_or_default()
        .matches("a source task crashed")
        .count()
        < 2
    {
        if start.elapsed() > DEADLINE {
            tui.fail("the log does not record a restarted task crashing again", &tui.screen());
        }
        sleep(POLL);
    }
    tui.assert_alive(pid, "after its source panicked");
    assert_eq!(tui.display("#{alternate_on}"), "1", "still on the alternate screen");
    // Keys are read one at a time (raw mode) and the screen redraws.
    tui.keys("2");
    tui.wait_for("the Services tab after `2`", |s| s.contains("[Services]"));
    tui.keys("1");
    let screen = tui.wait_for("the Fleet tab again, the row still saying it", |s| {
        s.contains("[Fleet]") && s.contains("collector crashed")
    });
    for s in [&first, &screen] {
        if s.contains("panicked") || s.contains("RUST_BACKTRACE") {
            tui.fail("panic text on the screen", s);
        }
    }
    let log = fs::read_to_string(&tui.log).unwrap_or_default();
    assert!(log.contains("test panic (FLEETTOP_TEST_PANIC=source)"), "{log}");
    tui.keys("q");
    tui.assert_restored("`q` after source panics");
}

/// The UI itself panics (a debug-build test switch, once the terminal is
/// raw): the terminal is restored, exit code 101, and one clean line says
/// so; the whole text is in the log.
#[test]
fn a_ui_panic_restores_the_terminal_and_says_one_clean_line() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start_env("FLEETTOP_TEST_PANIC=ui ");
    let screen = tui.assert_restored_with("a panic in the UI", "101");
    let said: Vec<&str> = screen.lines().filter(|l| l.contains("fleettop")).collect();
    let want =
        "fleettop: internal error: test panic in the UI (FLEETTOP_TEST_PANIC=ui) second line (details in the log)";
    if said != [want] {
        tui.fail(&format!("expected one line {want:?}, got {said:?}"), &screen);
    }
    if screen.contains("panicked") || screen.contains("RUST_BACKTRACE") {
        tui.fail("raw panic text on the terminal", &screen);
    }
    let log = fs::read_to_string(&tui.log).unwrap_or_default();
    assert!(log.contains("panic") && log.contains("test panic in the UI"), "{log}");
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    tui.wait_started();
    signal(tui.fleettop_pid(), SIGTERM);
    tui.assert_restored("SIGTERM");
}

#[test]
fn sighup_quits_and_restores_the_terminal() {
    if !crate::common::tmux::present() {
        return;
    }
    let tui = Tui::start();
    tui.wait_started();
    signal(tui.fleettop_pid(), SIGHUP);
    tui.assert_restored("SIGHUP");
}

/// An SSH session that drops: the terminal itself goes away (the pty is
/// closed, the kernel sends SIGHUP and every read or write then fails).
/// fleettop must still exit promptly with 0, and not panic trying to
/// report on a terminal that is gone.
#[test]
fn terminal_hangup_exits_cleanly() {
    if !crate::common::tmux::present() {
        return;
    }
    // The shell ignores SIGHUP so it outlives the terminal and can record
    // fleettop's exit code in a file.
    let rc_file = tempfile::NamedTempFile::new().expect("temp file");
    let rc_path = rc_file.path().to_string_lossy().into_owned();
    let tui = Tui::start_with(|cmd| format!("trap '' HUP; {cmd}; echo \"rc=$?\" > {}", sh_quote(&rc_path)));
    tui.wait_started();
    let pid = tui.fleettop_pid();
    let before_kill = tui.screen();
    tui.tmux_ok(&["kill-pane", "-t", SESSION]);

    let start = Instant::now();
    while process_alive(pid) {
        if start.elapsed() > DEADLINE {
            tui.fail(
                &format!("fleettop still running {DEADLINE:?} after its terminal went away"),
                &before_kill,
            );
        }
        sleep(POLL);
    }
    // The shell writes the file right after fleettop exits.
    let start = Instant::now();
    let rc = loop {
        let text = fs::read_to_string(rc_file.path()).unwrap_or_default();
        if let Some(rc) = text.trim().strip_prefix("rc=") {
            break rc.to_string();
        }
        if start.elapsed() > DEADLINE {
            break "(not written)".to_string();
        }
        sleep(POLL);
    };
    let log = fs::read_to_string(&tui.log).unwrap_or_default();
    let mut problems = Vec::new();
    if rc != "0" {
        problems.push(format!("exit code {rc}, expected 0"));
    }
    if log.contains("panic") {
        problems.push("the log records a panic".to_string());
    }
    if !problems.is_empty() {
        tui.fail(
            &format!("after the terminal went away:\n  - {}", problems.join("\n  - ")),
            &before_kill,
        );
    }
}
