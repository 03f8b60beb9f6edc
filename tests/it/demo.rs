//! The demo fleet (`scripts/demo-fleet.sh`, tests/it/common/demo.rs): started
//! in a temporary directory, `fleettop snapshot --config DIR/fleettop.toml`
//! sees every section populated; stopped, no process it started is left.

use crate::common::demo::Demo;
use crate::common::{NatsServer, named, require, sshd};
use std::process::Command;

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|t| t.rfind(')').map(|i| t[i + 2..].starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// Processes other than this one whose command line holds `needle`.
fn holding(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok() && n != me)
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fleet_fills_every_section_and_stops_clean() {
    if !NatsServer::binary_present() {
        return;
    }
    let root = rustix::process::geteuid().is_root();
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&tmp.path().join("demo")).await;
    let (config, notes) = (demo.config.clone(), demo.notes.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_fleettop"))
            .arg("snapshot")
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let snap: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::common::schema_valid(&snap);

    // Hosts: this machine, and the sshd's three as root.
    let hosts = snap["hosts"].as_array().unwrap();
    let ssh = root && !sshd::missing();
    assert_eq!(hosts.len(), if ssh { 4 } else { 1 }, "{:#}", snap["hosts"]);
    for h in hosts {
        assert_eq!(h["state"], "online", "{h:#}");
        assert!(!h["top"].as_array().unwrap().is_empty(), "{h:#}");
    }
    // Services: a healthy and a failing endpoint; containers as root.
    assert_eq!(named(&snap["services"], "api")["state"], "ok");
    assert_eq!(named(&snap["services"], "billing")["state"], "error");
    if root && require("dockerd") && require("docker") && require("/usr/bin/busybox") {
        let names: Vec<&str> = (snap["containers"].as_array().unwrap().iter())
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert!(
            names.contains(&"web") && names.contains(&"flappy"),
            "{names:?} {:?}",
            notes
        );
    }
    // NATS with its stream, and runs of every agent in both formats.
    let nats = named(&snap["nats"], "demo");
    assert_eq!(nats["state"], "ok", "{nats:#}");
    assert_eq!(nats["jetstream"]["streams"][0]["name"], "FLEET", "{nats:#}");
    for a in ["pr-helper", "scout", "backup"] {
        let agent = named(&snap["agents"], a);
        let runs = ["runs_ok", "runs_failed", "runs_skipped"].map(|k| agent[k].as_u64().unwrap());
        assert_eq!(runs.iter().sum::<u64>(), 4, "{agent:#}");
    }
    assert!(!snap["events"].as_array().unwrap().is_empty());
    assert!(!snap["problems"].as_array().unwrap().is_empty());

    // Stopped: nothing it started is left.
    let pids = demo.pids();
    let needles = demo.needles();
    assert!(pids.len() >= if ssh { 2 } else { 1 }, "{pids:?}");
    tokio::task::spawn_blocking(move || demo.stop()).await.unwrap();
    let left: Vec<u32> = pids.into_iter().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
    for n in needles {
        assert_eq!(holding(&n), Vec::<String>::new(), "a process names {n}");
    }
}
