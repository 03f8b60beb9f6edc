//! The Services checks that run on a remote host, over that host's one SSH
//! connection, against a real OpenSSH sshd on loopback: the "remote host"
//! is this machine, so every answer can be compared with the truth here.

use crate::common;

use common::free_port;
use common::sshd::*;
use fleettop::config::parse_str;
use fleettop::sources::{self, Ctx};
use fleettop::update::Update;
use fleettop::update::{services::Health, services::Row, services::ServiceUpdate};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

/// The latest row of every key, fed until `done` accepts them (a minute at most).
async fn rows_until(
    rx: &mut mpsc::Receiver<Update>,
    rows: &mut HashMap<String, Row>,
    done: impl Fn(&HashMap<String, Row>) -> bool,
) {
    let end = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(rows) {
        let u = tokio::time::timeout_at(end, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("not there within a minute: {rows:#?}"))
            .unwrap();
        match u {
            Update::Services(ServiceUpdate::Result(r)) => {
                rows.insert(r.key.clone(), *r);
            }
            Update::Services(ServiceUpdate::Set { scope, rows: set }) => {
                rows.retain(|k, _| !k.starts_with(&scope));
                for r in set {
                    rows.insert(r.key.clone(), r);
                }
            }
            _ => {}
        }
    }
}

fn detail(rows: &HashMap<String, Row>, key: &str) -> String {
    rows.get(key).map(|r| r.detail.clone()).unwrap_or_default()
}

/// What `systemctl --failed` says on this machine: the truth to compare with.
fn local_failed_units() -> Result<usize, String> {
    let o = Command::new("systemctl")
        .args(["--failed", "--no-pager", "--plain", "--no-legend"])
        .env("SYSTEMD_COLORS", "0")
        .stdin(Stdio::null())
        .output();
    match o {
        Err(_) => Err("no systemctl on this host".into()),
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).lines().count()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_checks_run_over_the_hosts_connection() {
    // Its sources find a connection by a name (in the library's process-wide
    // links) that another module's test also uses.
    if missing() {
        return;
    }
    let keys = Keys::new();
    let port = free_port();
    // A launchctl for this Linux "Mac": a script replaying a real captured
    // `launchctl list` (tests/fixtures/services/launchctl-list-desktop.txt),
    // first on the PATH of that host's sessions.
    let bin = keys.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/launchctl-list-desktop.txt"
    );
    let fake = bin.join("launchctl");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\n[ \"$1\" = list ] && exec cat '{capture}'\nexit 2\n"),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let sshd = Sshd::start(&keys, port, "svc");
    let mac_port = free_port();
    let _mac = Sshd::start_with_path(&keys, mac_port, "mac", &bin);
    let kh = keys.path("known_hosts");
    std::fs::write(
        &kh,
        keys.known_line(port, "host_key") + &keys.known_line(mac_port, "host_key"),
    )
    .unwrap();
    // Named with `~/`: the remote user's home (the test sshd's own).
    let fresh = keys.home().join("fresh.log");
    std::fs::write(&fresh, "x").unwrap();
    // A sleep no other run of this test has (a unique duration).
    let unique = format!("4{}.5", std::process::id());
    let mut sleeper = Command::new("sleep").arg(&unique).spawn().unwrap();
    let toml = host_toml("box", port, &keys, &kh, "")
        + &host_toml("mac", mac_port, &keys, &kh, "")
        + &format!(
            "[[services.systemd]]\nhost = \"box\"\ninterval = \"1s\"\n\n\
             [[services.freshness]]\nname = \"log\"\nhost = \"box\"\npath = \"~/fresh.log\"\nmax_age = \"1h\"\ninterval = \"1s\"\n\n\
             [[services.freshness]]\nname = \"gone\"\nhost = \"box\"\npath = \"{}\"\nmax_age = \"1h\"\ninterval = \"1s\"\n\n\
             [[services.process]]\nname = \"sleeper\"\nhost = \"box\"\npattern = \"sleep {unique}\"\ninterval = \"1s\"\n\n\
             [[services.process]]\nname = \"nobody\"\nhost = \"box\"\npattern = \"no-such-program-4242\"\ninterval = \"1s\"\n\n\
             [[services.launchd]]\nhost = \"mac\"\ninterval = \"1s\"\n\n\
             [[services.launchd]]\nhost = \"box\"\nname = \"linux launchd\"\ninterval = \"1s\"\n",
            keys.path("nothing-here").display(),
        );
    let config = parse_str(&toml, "svc-ssh.toml").unwrap_or_else(|e| panic!("{e:?}"));
    let (tx, mut rx) = mpsc::channel(256);
    let ctx = Ctx::new(tx);
    sources::spawn_all(&config, &ctx);
    let mut rows = HashMap::new();
    rows_until(&mut rx, &mut rows, |r| {
        [
            "freshness:log",
            "freshness:gone",
            "process:sleeper",
            "process:nobody",
            "systemd:box",
            "launchd:mac",
            "launchd:box",
        ]
        .iter()
        .all(|k| r.get(*k).is_some_and(|r| !r.detail.starts_with("no SSH connection")))
    })
    .await;
    // Freshness by the host's clock; a missing file said as such.
    let log = &rows["freshness:log"];
    assert_eq!(log.health, Health::Ok, "{log:?}");
    assert!(
        log.detail.starts_with("written ") && log.detail.ends_with("ago, max 1h"),
        "{}",
        log.detail
    );
    assert_eq!(detail(&rows, "freshness:gone"), "file missing");
    // The process is found with its pid; an absent pattern is an error.
    let pid = sleeper.id();
    assert_eq!(detail(&rows, "process:sleeper"), format!("1 process (pid {pid})"));
    assert_eq!(rows["process:nobody"].health, Health::Error);
    // systemd: what systemctl says on this very machine.
    let sd = &rows["systemd:box"];
    match local_failed_units() {
        Ok(0) => assert_eq!(sd.detail, "no failed units", "{sd:?}"),
        Ok(n) => assert!(sd.detail.starts_with(&n.to_string()), "{sd:?} vs {n}"),
        Err(first) => assert!(sd.detail.contains(first.trim()), "{sd:?} vs {first:?}"),
    }
    // launchd: the captured Mac's cohorts (this "Mac" has no plutil, so
    // no plists: the jobs not running are down); a Linux host has none.
    assert_eq!(
        detail(&rows, "launchd:mac"),
        "5 running, 0 ok, 4 down, 3 failing, 0 not loaded, no plutil: plists not read"
    );
    assert!(rows.keys().any(|k| k == "launchd:mac/com.apple.Finder"));
    assert_eq!(detail(&rows, "launchd:box"), "no launchctl on this host (not macOS?)");
    // One login per host, shared by all its checks and the probe.
    assert_eq!(
        sshd.log_text().matches("Accepted publickey").count(),
        1,
        "{}",
        sshd.log_text()
    );

    // The file goes stale (its mtime two hours back); the process ends.
    let st = Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&fresh)
        .status()
        .unwrap();
    assert!(st.success());
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    rows_until(&mut rx, &mut rows, |r| {
        r.get("freshness:log").is_some_and(|x| x.health == Health::Error)
            && r.get("process:sleeper").is_some_and(|x| x.health == Health::Error)
    })
    .await;
    assert!(
        detail(&rows, "freshness:log").starts_with("stale: written 2h"),
        "{}",
        detail(&rows, "freshness:log")
    );

    // The host goes away: its checks say why.
    drop(sshd);
    rows_until(&mut rx, &mut rows, |r| {
        r.get("freshness:log").is_some_and(|x| x.detail.starts_with("ssh:"))
    })
    .await;
    assert_eq!(rows["freshness:log"].health, Health::Unknown);
}
