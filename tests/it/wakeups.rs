//! The TUI's loop sleeps between its wake-ups, measured on the real binary
//! in tmux with strace: with the ticker moving (12 steps a second) it does
//! not spin between them (crossterm's `EventStream` made seven
//! `sched_yield` calls each time the loop went round), a step wakes it
//! once, and keys still arrive (`q` quits).

use crate::common::{self, tmux::Tmux};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");

/// The calls of `name` in a `strace -c` table (0 when it is not listed).
fn calls(table: &str, name: &str) -> u64 {
    table
        .lines()
        .find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            // % time, seconds, usecs/call, calls, [errors,] syscall
            (w.last() == Some(&name) && w.len() >= 5).then(|| w[3].parse().ok())?
        })
        .unwrap_or(0)
}

#[test]
fn the_loop_does_not_spin_between_wake_ups() {
    if !common::tmux::present() || !common::require("strace") || !common::require("timeout") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    // The local host's "up" event stays on the ticker, which keeps moving.
    let toml = "[ui]\nticker_fps = 12\n\n[alerts]\nevent_ttl = \"10m\"\n\n[[hosts]]\nlocal = true\n";
    std::fs::write(&cfg, toml).unwrap();
    let tmux = Tmux::new("fleettop-wakeups");
    let cmd = format!(
        "export TERM=xterm-256color HOME='{d}' XDG_STATE_HOME='{d}'; exec '{BIN}' --config '{}' --log-file '{d}/tui.log'",
        cfg.display(),
        d = dir.path().display()
    );
    let pid = tmux.start(100, 30, &cmd);
    tmux.wait_for("the ticker moving", Duration::from_secs(20), |s| {
        s.contains("Fleet") && !s.contains("all quiet")
    });

    let table = dir.path().join("strace.txt");
    let traced = Command::new("timeout")
        .args([
            "-s",
            "INT",
            "3",
            "strace",
            "-f",
            "-c",
            "-e",
            "trace=sched_yield,epoll_wait",
        ])
        .args(["-p", &pid.to_string(), "-o"])
        .arg(&table)
        .output()
        .expect("run strace");
    let table = std::fs::read_to_string(&table).unwrap_or_default();
    if !common::needs(
        table.contains("syscall"),
        &format!("strace could not trace fleettop: {traced:?}"),
    ) {
        return;
    }
    let (yields, waits) = (calls(&table, "sched_yield"), calls(&table, "epoll_wait"));
    eprintln!("over 3 s: {waits} epoll_wait, {yields} sched_yield");
    // About 36 ticker steps in 3 s, each a wake-up of its own, and one
    // each: on tokio's timer wheel a step 83 ms away woke the loop twice
    // (109 wake-ups in 3 s; 44 on the timerfd beat).
    assert!(waits >= 20, "the loop did not wake for the ticker:\n{table}");
    assert!(waits < 66, "more than one wake-up a ticker step:\n{table}");
    assert!(yields < waits / 4, "the loop spins between wake-ups:\n{table}");

    // Keys still reach the loop.
    tmux.run(&["send-keys", "-t", "t", "q"]);
    let end = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < end, "q did not quit; the screen:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}
