//! fleettop holds glibc to two malloc arenas (`few_malloc_arenas` in
//! src/main.rs): the threads that allocate — the runtime's and the blocking
//! pool's — share them, instead of each keeping freed memory in one of its
//! own (with 200 SSH hosts that was ~10 MiB of RSS).
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use crate::common;
use common::tmux::Tmux;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");

/// Heaps of the arenas other than the main one: glibc maps each at a
/// 64 MiB boundary (an anonymous read-write mapping; the rest of its
/// 64 MiB reserved). A first heap per arena, so the count of arenas.
fn arena_heaps(pid: u32) -> usize {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    maps.lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let start = f.first().and_then(|r| r.split('-').next());
            let start = start.and_then(|s| u64::from_str_radix(s, 16).ok());
            f.len() == 5 && f[1] == "rw-p" && start.is_some_and(|s| s % (64 << 20) == 0)
        })
        .count()
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count)
}

#[test]
fn threads_that_allocate_share_two_arenas() {
    if !common::tmux::present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[hosts]]\nname = \"here\"\nlocal = true\ninterval = \"1s\"\n").unwrap();
    let log = dir.path().join("log");
    let tmux = Tmux::new("arenas");
    // An arena setting in the environment would win over fleettop's own.
    let cmd = format!(
        "exec env -u MALLOC_ARENA_MAX -u GLIBC_TUNABLES {BIN} --config {} --log-file {}",
        config.display(),
        log.display()
    );
    let pid = tmux.start(100, 30, &cmd);
    tmux.wait_for("the local host's tile", Duration::from_secs(20), |s| s.contains("here"));
    // The check can fail only once two threads besides the main one have
    // allocated: the runtime's /proc reads run on the blocking pool.
    let end = Instant::now() + Duration::from_secs(20);
    while threads(pid) < 3 {
        assert!(Instant::now() < end, "never more than {} threads", threads(pid));
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    let (n, heaps) = (threads(pid), arena_heaps(pid));
    assert!(heaps <= 1, "{n} threads, {heaps} arenas besides the main one");
}
