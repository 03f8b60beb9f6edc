//! Which remote hosts keep their whole process table, against a real sshd.
//! The tables are a handle of this test's own (the other SSH tests want
//! every table whole, as headless does).

use crate::common;
use fleettop::sources::Handles;
use fleettop::sources::ssh::TOP_PROCESSES;

use common::free_port;
use common::sshd::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `n` sleeping processes of this test, killed on drop: this machine has
/// more processes than a trimmed table keeps, whatever else runs here.
struct Sleepers(Vec<Child>);

impl Sleepers {
    fn new(n: usize) -> Self {
        Sleepers(
            (0..n)
                .map(|_| Command::new("sleep").arg("300").stdout(Stdio::null()).spawn().unwrap())
                .collect(),
        )
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_open_hosts_table_is_whole_and_opening_one_polls_it_at_once() {
    if missing() {
        return;
    }
    let sleepers = Sleepers::new(3 * TOP_PROCESSES);
    let keys = Keys::new();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "tables");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    // Two hosts on the one sshd; a long interval, so a poll soon after
    // opening a drill-down is that opening's doing, not the host's turn.
    let slow = "interval = \"1h\"\nsessions = [\"sleep\"]\n";
    let toml = host_toml("open", port, &keys, &kh, "")
        .replace("interval = \"500ms\"", "")
        .replace("sessions = [\"sshd\"]", slow)
        + &host_toml("shut", port, &keys, &kh, "")
            .replace("interval = \"500ms\"", "")
            .replace("sessions = [\"sshd\"]", slow);
    let handles = Handles::default();
    handles.tables.show(Some("open"));
    let mut rx = spawn_with(&toml, &handles);

    // The first sample of each (in whatever order they come).
    let (mut open, mut shut) = (None, None);
    while open.is_none() || shut.is_none() {
        let u = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("a sample of both hosts within a minute")
            .unwrap();
        if let fleettop::update::Update::Host { name, result } = u {
            let s = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            *(if name == "open" { &mut open } else { &mut shut }) = Some(s);
        }
    }
    let (open, shut) = (open.unwrap(), shut.unwrap());
    let whole = open.processes.len();
    assert_eq!(open.processes_of, None, "the open host's table is whole");
    assert!(whole > 3 * TOP_PROCESSES, "{whole} processes");
    assert!(shut.processes.len() <= 2 * TOP_PROCESSES, "{}", shut.processes.len());
    let of = shut
        .processes_of
        .expect("the other keeps its top processes, and says of how many");
    assert!(of > 3 * TOP_PROCESSES, "{of}");
    // Session chips count every process, not the kept ones.
    let sleeping = |s: &fleettop::model::HostSample| s.sessions[0].1;
    assert!(sleeping(&shut) >= sleepers.0.len(), "{:?}", shut.sessions);
    // The largest by memory are kept: none left out is larger than the
    // smallest kept of them (this machine's sshd and the test runner are big).
    let mut by_mem: Vec<u64> = open.processes.iter().map(|p| p.mem_bytes).collect();
    by_mem.sort_unstable_by(|a, b| b.cmp(a));
    let kept_biggest = shut.processes.iter().map(|p| p.mem_bytes).max().unwrap();
    assert!(
        kept_biggest >= by_mem[by_mem.len().min(3) - 1],
        "the biggest processes are among the kept"
    );

    // Opening the other host's drill-down polls it at once, whole, instead
    // of at its turn up to an hour away.
    let opened = tokio::time::Instant::now();
    handles.tables.show(Some("shut"));
    let shut = wait_for(&mut rx, "shut", |r| r.is_ok()).await.unwrap();
    assert_eq!(shut.processes_of, None);
    assert!(shut.processes.len() > 3 * TOP_PROCESSES);
    assert!(
        opened.elapsed() < Duration::from_secs(10),
        "polled on opening, not at its turn"
    );
}
