//! An agent's `process` check on an SSH host, against a real sshd: an idle
//! daemon outside the host's top processes is still found (the trimmed
//! table keeps what a daemon's check looks for).

use crate::common;
use common::free_port;
use common::sshd::*;
use fleettop::sources::Handles;
use fleettop::sources::ssh::TOP_PROCESSES;
use fleettop::store::Store;
use fleettop::update::Update;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Children killed on drop.
struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_daemon_outside_the_top_processes_is_found() {
    if missing() || !common::require("sleep") {
        return;
    }
    // The idle daemon: `sleep` under a name of its own (the process name is
    // what an SSH host's table has), among more sleepers than a trimmed
    // table keeps.
    let dir = tempfile::tempdir().unwrap();
    let sleep = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("sleep")).find(|f| f.is_file()))
        .unwrap();
    let idle = dir.path().join("idledaemonx");
    std::fs::copy(&sleep, &idle).unwrap();
    // The sleepers carry a 100 KiB environment (on their stack, so
    // resident): each is larger than the idle one, and older, so a trimmed
    // table's ties never keep the idle one.
    let ballast = "x".repeat(100 * 1024);
    let mut kids: Vec<Child> = (0..3 * TOP_PROCESSES)
        .map(|_| {
            Command::new(&sleep)
                .arg("300")
                .env("FLEETTOP_TEST_BALLAST", &ballast)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    kids.push(Command::new(&idle).arg("300").spawn().unwrap());
    let _kids = Kids(kids);

    let keys = Keys::new();
    let port = free_port();
    let _sshd = Sshd::start(&keys, port, "idle");
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    // Two hosts on the one sshd: one has the daemon, the other does not.
    let toml = host_toml("with", port, &keys, &kh, "")
        + &host_toml("without", port, &keys, &kh, "")
        + "[[agents.daemon]]\nname = \"idle\"\nhost = \"with\"\nprocess = \"IdleDaemonX\"\n";
    let handles = Handles::default();
    handles.tables.show(None); // as in the TUI: every table trimmed
    let mut rx = spawn_with(&toml, &handles);
    let mut store = Store::new(&fleettop::config::parse_str(&toml, "test").unwrap());
    let has = |s: &fleettop::model::HostSample| s.processes.iter().any(|p| p.name == "idledaemonx");
    let (mut with, mut without_dropped) = (0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while with < 3 || without_dropped == 0 {
        let u = tokio::time::timeout_at(deadline, rx.recv()).await;
        let Ok(Some(u)) = u else { break };
        if let Update::Host { name, result: Ok(s) } = &u {
            assert!(s.processes_of.is_some(), "{name}'s table is trimmed");
            if name == "with" {
                assert!(has(s), "the daemon's process is kept in a trimmed table");
                with += 1;
            } else if !has(s) {
                without_dropped += 1;
            }
        }
        store.apply(u, fleettop::model::now_millis());
    }
    assert!(with >= 3, "samples of the host with the daemon");
    // Without the daemon's pattern the trimmed table drops the idle process:
    // the case the check used to read as "no process".
    if !common::needs(
        without_dropped > 0,
        "this machine's top processes included the idle one",
    ) {
        return;
    }
    assert!(
        store.host("with").unwrap().cur.is_some(),
        "the store has the host's table"
    );
    let problems = store.problems(fleettop::model::now_millis());
    assert!(!problems.iter().any(|p| p.title.contains("no process")), "{problems:?}");
}
