//! A flood on the agents' subjects of a real `nats-server -js`: 3,000
//! agent names, each with a 20 KiB output. The real `fleettop` TUI (in a
//! tmux pane) stays under 64 MiB and keeps drawing, with 200 rows and the
//! rest counted; `fleettop snapshot` replays the same flood from JetStream
//! into the same bounded rows and count.
//!
//! Needs `nats-server` and `tmux`: without them the test skips, unless
//! `FLEETTOP_IT=1`, where a missing one is a failure.

use crate::common;

use common::tmux::Tmux;
use common::{NatsServer, free_port};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fleettop");
const NAMES: usize = 3_000;
const OUTPUT: usize = 20 << 10;
const RSS_LIMIT_KIB: u64 = 64 << 10;

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Publishes the flood into the stream FLEET, every message acknowledged.
async fn flood(url: &str) {
    let client = async_nats::connect(url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let out = "x".repeat(OUTPUT);
    for chunk in (0..NAMES).collect::<Vec<_>>().chunks(100) {
        let mut acks = Vec::new();
        for i in chunk {
            let at = fleettop::model::now_millis();
            let ev = serde_json::json!({"agent": format!("flood-{i:04}"), "event": "completed",
                "exit_code": 0, "finished_at": at, "output": format!("{out}\n{{\"summary\":\"run {i}\"}}")});
            acks.push(
                js.publish(format!("fleet.agents.flood-{i:04}"), ev.to_string().into())
                    .await
                    .unwrap(),
            );
        }
        for a in acks {
            a.await.unwrap();
        }
    }
}

fn config(dir: &Path, url: &str) -> std::path::PathBuf {
    let path = dir.join("flood.toml");
    std::fs::write(
        &path,
        format!(
            "[[nats]]\nname = \"bus\"\nurl = \"{url}\"\n\n[agents]\nnats = \"bus\"\nsubjects = [\"fleet.agents.>\"]\nreplay = \"1h\"\n\n[[agents.daemon]]\nname = \"scout\"\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_flood_of_agent_names_and_outputs_stays_bounded_in_the_tui_and_the_snapshot() {
    if !NatsServer::binary_present() || !common::tmux::present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start(dir.path(), free_port(), free_port());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(server.url()).await.unwrap();
        async_nats::jetstream::new(client)
            .create_stream(async_nats::jetstream::stream::Config {
                name: "FLEET".into(),
                subjects: vec!["fleet.>".into()],
                max_age: Duration::from_secs(3600),
                ..Default::default()
            })
            .await
            .unwrap();
    });
    let cfg = config(dir.path(), &server.url());

    // The TUI first, on the Agents tab; then the flood, live.
    let tmux = Tmux::new("fleettop-flood");
    let cmd = format!(
        "export TERM=xterm-256color HOME='{d}' XDG_STATE_HOME='{d}'; exec '{BIN}' --config '{}' --log-file '{d}/tui.log'",
        cfg.display(),
        d = dir.path().display()
    );
    let pid = tmux.start(120, 40, &cmd);
    tmux.wait_for("the first frame", Duration::from_secs(20), |s| s.contains("Agents"));
    tmux.run(&["send-keys", "-t", "t", "4"]);
    tmux.wait_for("the Agents tab", Duration::from_secs(20), |s| s.contains("scout"));
    let before = rss_kib(pid).expect("fleettop runs");

    // Sample its memory while the flood comes in and is drawn.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut max = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                max = max.max(rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            max
        })
    };
    let t = Instant::now();
    rt.block_on(flood(&server.url()));
    let published = t.elapsed();
    let screen = tmux.wait_for("the flood drawn", Duration::from_secs(60), |s| {
        s.contains("Agents 201/201") && s.contains("+2,800 more not shown")
    });
    // It keeps drawing: a key still changes the screen.
    tmux.run(&["send-keys", "-t", "t", "1"]);
    tmux.wait_for("the Fleet tab after the flood", Duration::from_secs(20), |s| {
        !s.contains("more not shown")
    });
    std::thread::sleep(Duration::from_secs(2));
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let max = sampler.join().unwrap();
    let after = rss_kib(pid).expect("fleettop still runs");
    eprintln!(
        "TUI RSS: {before} KiB before, {max} KiB at most, {after} KiB after {NAMES} agents x {OUTPUT} B (published in {published:?})"
    );
    assert!(max < RSS_LIMIT_KIB, "RSS {max} KiB; the screen:\n{screen}");
    drop(tmux);

    // The same flood, replayed from JetStream into a snapshot.
    let t = Instant::now();
    let o = Command::new(BIN)
        .args(["snapshot", "--config"])
        .arg(&cfg)
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let agents = v["agents"].as_array().unwrap();
    eprintln!(
        "snapshot: {} rows, {} not shown, in {:?}",
        agents.len(),
        v["agents_not_shown"],
        t.elapsed()
    );
    assert_eq!(agents.len(), 201, "scout and 200 discovered");
    assert_eq!(v["agents_not_shown"], 2_800);
    let first = agents
        .iter()
        .find(|a| a["name"] == "flood-0000")
        .expect("the first come are shown");
    assert_eq!(
        (first["runs_ok"].as_u64(), first["last_output"].as_str()),
        (Some(1), Some("run 0"))
    );
    assert!(agents.iter().all(|a| a["name"] != "flood-2999"));
}
