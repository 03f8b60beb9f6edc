//! A fixed fleet for render tests and benchmarks: one host of each state,
//! with every kind of data a tile can show. Not used by the program itself.

use crate::config::parse_str;
use crate::model::{Battery, Disk, Gpu, GpuProcess, HostSample, InferenceCounters, Interface, Process, Temp};
use crate::store::Store;
use crate::update::{SourceError, Update};

pub const S: i64 = 1000;
pub const T0: i64 = 1_780_000_000_000;
pub const NOW: i64 = T0 + 300 * S;
pub const GIB: u64 = 1 << 30;

const CONFIG: &str = r#"
[[hosts]]
name = "omarchy"
local = true
sessions = ["claude", "codex"]
[[hosts]]
name = "pi-zero"
ssh = "willy@10.0.0.7"
[[hosts]]
name = "mac-mini"
ssh = "admin@10.0.0.9"
[[hosts]]
name = "build"
ssh = "ci@10.0.0.11"
[[services.http]]
name = "litellm"
url = "http://127.0.0.1:4000/health"
"#;

pub fn proc(pid: u32, name: &str, cpu: f32, mem_mib: u64) -> Process {
    Process {
        pid,
        name: name.into(),
        cmd: format!("/usr/bin/{name} --serve"),
        user: "willy".into(),
        cpu_pct: cpu,
        mem_bytes: mem_mib << 20,
        state: "Sleeping",
    }
}

pub fn omarchy(at: i64, rx: u64, tokens: f64) -> HostSample {
    HostSample {
        at,
        os: "Arch Linux".into(),
        kernel: "6.17.2".into(),
        cpu_pct: 45.0,
        per_core: vec![12.0, 88.0, 45.0, 3.0, 67.0, 20.0, 95.0, 40.0],
        mem_used_bytes: 6 * GIB + GIB / 10,
        mem_total_bytes: 31 * GIB,
        swap_used_bytes: GIB / 5,
        swap_total_bytes: 8 * GIB,
        disks: omarchy_disks(),
        interfaces: vec![
            Interface {
                name: "enp5s0".into(),
                rx_bytes: rx,
                tx_bytes: rx / 10,
            },
            Interface {
                name: "lo".into(),
                rx_bytes: 1,
                tx_bytes: 1,
            },
        ],
        load: [2.31, 1.87, 1.20],
        uptime_s: 3 * 86_400 + 4 * 3600,
        temps: vec![Temp {
            label: "Tctl".into(),
            celsius: 54.0,
        }],
        batteries: vec![Battery {
            name: "BAT0".into(),
            pct: Some(87.0),
            status: Some("Discharging".into()),
        }],
        processes: vec![
            proc(4242, "claude", 31.5, 612),
            proc(4243, "claude", 4.0, 540),
            proc(4250, "claude", 0.5, 498),
            proc(5001, "codex", 2.0, 320),
            proc(812, "firefox", 12.0, 2048),
            proc(1, "systemd", 0.0, 12),
            proc(999, "vllm", 75.0, 9000),
        ],
        sessions: vec![("claude".into(), 3), ("codex".into(), 1)],
        session_oldest_s: vec![Some(2 * 3600 + 13 * 60), Some(300)],
        gpus: omarchy_gpus(),
        inference: Some(InferenceCounters {
            running: Some(2.0),
            waiting: Some(1.0),
            generation_tokens_total: Some(tokens),
            prompt_tokens_total: Some(0.0),
            ..InferenceCounters::default()
        }),
        ..HostSample::default()
    }
}

/// omarchy's disks: a root nearly two thirds full, a home at 91 %.
fn omarchy_disks() -> Vec<Disk> {
    vec![
        Disk {
            mount: "/".into(),
            device: "nvme0n1p2".into(),
            fs: "ext4".into(),
            total_bytes: 480 * GIB,
            used_bytes: 300 * GIB,
            // 24 GiB reserved for root, as ext4 keeps 5 %.
            available_bytes: 156 * GIB,
        },
        Disk {
            mount: "/home".into(),
            device: "nvme1n1".into(),
            fs: "btrfs".into(),
            total_bytes: 1000 * GIB,
            used_bytes: 910 * GIB,
            available_bytes: 90 * GIB,
        },
    ]
}

/// omarchy's GPU, serving vllm.
fn omarchy_gpus() -> Vec<Gpu> {
    vec![Gpu {
        index: 0,
        name: "NVIDIA GeForce RTX 4090".into(),
        util_pct: Some(56.0),
        mem_used_bytes: Some(12 * GIB),
        mem_total_bytes: Some(24 * GIB),
        temp_c: Some(61.0),
        processes: vec![GpuProcess {
            pid: 999,
            name: "vllm".into(),
            mem_bytes: Some(11 * GIB),
        }],
    }]
}

pub fn small(at: i64, name: &str) -> HostSample {
    HostSample {
        at,
        cpu_pct: 7.0,
        per_core: vec![7.0; 4],
        mem_used_bytes: GIB / 4,
        mem_total_bytes: GIB / 2,
        disks: vec![Disk {
            mount: "/".into(),
            device: "mmcblk0p2".into(),
            fs: "ext4".into(),
            total_bytes: 29 * GIB,
            used_bytes: 5 * GIB,
            available_bytes: 24 * GIB,
        }],
        load: [0.1, 0.2, 0.3],
        uptime_s: 40 * 86_400,
        processes: vec![proc(77, name, 3.0, 40)],
        ..HostSample::default()
    }
}

pub fn host(name: &str, s: HostSample) -> Update {
    Update::Host {
        name: name.into(),
        result: Ok(Box::new(s)),
    }
}

/// A fleet with one of each state: online with everything, offline,
/// auth-error, and online and quiet.
pub fn fleet() -> Store {
    let config = parse_str(CONFIG, "render.toml").unwrap();
    let mut st = Store::new(&config);
    st.apply(host("pi-zero", small(T0, "python3")), T0);
    st.apply(
        Update::Host {
            name: "pi-zero".into(),
            result: Err(SourceError::Unreachable("connect: connection refused".into())),
        },
        NOW - 60 * S,
    );
    st.apply(host("omarchy", omarchy(NOW - 2 * S, 1 << 30, 10_000.0)), NOW - 2 * S);
    st.apply(host("omarchy", omarchy(NOW, (1 << 30) + (2 << 20), 10_084.0)), NOW);
    st.apply(host("build", small(NOW, "cc1plus")), NOW);
    st.apply(
        Update::Host {
            name: "mac-mini".into(),
            result: Err(SourceError::Auth("host key changed: SHA256:q3Zr…".into())),
        },
        NOW,
    );
    st.tick(NOW);
    st
}

const AGENTS_CONFIG: &str = r#"
[[hosts]]
name = "omarchy"
local = true
[[agents.daemon]]
name = "fleet-scout"
tag = "scout"
schedule = "every 15m"
[[agents.daemon]]
name = "pr-helper"
tag = "pr"
schedule = "every 30m"
[[agents.daemon]]
name = "deacon"
tag = "gt"
schedule = "every 5m"
heartbeat_max_age = "6m"
[alerts]
agent_fail_streak_critical = 3
"#;

fn agent_event(json: &str) -> Update {
    match crate::parse::agent::parse(json) {
        Ok(crate::parse::agent::Parsed::Run(event)) => Update::Agents(crate::update::agents::AgentUpdate::Event {
            event,
            source: "fixture".into(),
            history: false,
        }),
        other => panic!("fixture event {json}: {other:?}"),
    }
}

/// Daemons in every state: ok with real output, failing three times in a
/// row (claude-peers events), a stale heartbeat, and one nobody configured.
pub fn agents_fleet() -> Store {
    agents_store(AGENTS_CONFIG)
}

/// The daemons of [`agents_fleet`] and two scheduled ones whose runs
/// stopped: `indexer` (cron, two runs missed: critical) and `backup`
/// (hourly, one missed: warn), and a nightly one on time.
pub fn agents_overdue() -> Store {
    let extra = r#"
[[agents.daemon]]
name = "indexer"
tag = "idx"
schedule = "*/20 * * * *"
tz = "UTC"
timeout = "30s"
[[agents.daemon]]
name = "backup"
tag = "bk"
schedule = "@hourly"
tz = "Europe/Berlin"
[[agents.daemon]]
name = "nightly"
tag = "nt"
schedule = "30 2 * * *"
tz = "America/New_York"
"#;
    let mut st = agents_store(&format!("{AGENTS_CONFIG}{extra}"));
    // indexer: every 20 minutes for a day, oldest first, then nothing for
    // 47 minutes.
    for i in (0..72).rev() {
        let start = NOW - 47 * 60 * S - i * 1200 * S;
        let (event, took) = if i % 12 == 5 {
            ("failed", 40)
        } else {
            ("completed", 12 + i % 7)
        };
        let json = serde_json::json!({"agent": "indexer", "event": event, "started_at": start / 1000,
            "finished_at": (start + took * S) / 1000, "exit_code": i64::from(event == "failed")});
        st.apply(agent_event(&json.to_string()), start + took * S);
    }
    for (agent, start, took) in [("backup", NOW - 75 * 60 * S, 300), ("nightly", NOW - 12 * 3600 * S, 2)] {
        let json = serde_json::json!({"agent": agent, "event": "completed", "started_at": start / 1000,
            "finished_at": (start + took * S) / 1000});
        st.apply(agent_event(&json.to_string()), start + took * S);
    }
    st.tick(NOW);
    st
}

fn agents_store(config: &str) -> Store {
    let config = parse_str(config, "agents.toml").unwrap();
    let mut st = Store::new(&config);
    let secs = |t: i64| t / 1000;
    for (i, (exit, took)) in [(0, 31), (0, 28), (1, 4), (0, 45), (0, 33)].iter().enumerate() {
        let start = NOW - (5 - i as i64) * 900 * S;
        let output = format!(
            "fleet-scout v2 starting\nscanning 14 hosts\nwarning: pi-zero did not answer\n{{\"Outputs\": {{\"a\": \"14 hosts scanned\", \"b\": \"run {i}: 1 host silent\"}}}}\n"
        );
        let event = serde_json::json!({
            "agent": "fleet-scout",
            "event": if *exit == 0 { "completed" } else { "failed" },
            "trigger": "cron",
            "started_at": secs(start),
            "finished_at": secs(start + took * S),
            "exit_code": exit,
            "output": output,
        });
        st.apply(agent_event(&event.to_string()), start + took * S);
    }
    for i in 0..3 {
        let at = NOW - (3 - i) * 1800 * S;
        st.apply(
            agent_event(&format!(
                r#"{{"type":"daemon_failed","peer_id":"pr-helper","machine":"omarchy","summary":"gh: HTTP 401 bad credentials","data":"trigger=interval duration=1m{}s","timestamp":{}}}"#,
                10 + i,
                secs(at)
            )),
            at,
        );
    }
    st.apply(
        Update::Agents(crate::update::agents::AgentUpdate::Heartbeat {
            agent: "deacon".into(),
            at: Ok(NOW - 9 * 60 * S),
        }),
        NOW - 9 * 60 * S,
    );
    st.apply(
        agent_event(r#"{"agent":"night-owl","tag":"owl","event":"started","trigger":"event:fleet.>"}"#),
        NOW - 40 * S,
    );
    st.tick(NOW);
    st
}

/// The hosts of [`fleet_of`], in config order.
const KIOSK_HOSTS: [&str; 9] = [
    "omarchy", "pi-zero", "mac-mini", "build", "gpu-1", "nas", "edge-1", "edge-2", "ci-2",
];

/// A busy host: `cores` cores, two disks, a process table of 32 (what an
/// SSH host keeps of its table); `seed` varies the numbers.
pub fn busy(at: i64, cores: usize, seed: u32) -> HostSample {
    let names = [
        "postgres", "nginx", "node", "python3", "java", "redis", "rustc", "dockerd", "sshd", "cron",
    ];
    let v = |k: u32| f64::from((seed * 37 + k * 53) % 97);
    let mut s = small(at, "sshd");
    s.cpu_pct = v(1);
    s.per_core = (0..cores).map(|k| v(k as u32 + 2)).collect();
    s.mem_total_bytes = 16 * GIB;
    s.mem_used_bytes = 16 * GIB * u64::from(seed % 9 + 1) / 10;
    s.load = [v(3) / 25.0, v(4) / 25.0, v(5) / 25.0];
    s.disks.push(Disk {
        mount: "/var/lib".into(),
        device: "sdb1".into(),
        fs: "xfs".into(),
        total_bytes: 2000 * GIB,
        used_bytes: 20 * GIB * u64::from(seed % 5 + 1),
        available_bytes: 1800 * GIB,
    });
    s.processes = (0..32u32)
        .map(|k| {
            proc(
                1000 + k,
                names[(k + seed) as usize % names.len()],
                (v(k + 6) / (k + 1) as f64) as f32,
                40 + u64::from(k) * 16,
            )
        })
        .collect();
    s
}

/// A kiosk's fleet of `n` hosts (1 to 9): omarchy with everything and its
/// whole process table, then an offline host and an auth-error one, then
/// busy hosts.
pub fn fleet_of(n: usize) -> Store {
    let mut cfg = String::from("[[hosts]]\nname = \"omarchy\"\nlocal = true\nsessions = [\"claude\", \"codex\"]\n");
    for (i, name) in KIOSK_HOSTS.iter().enumerate().take(n).skip(1) {
        cfg.push_str(&format!("[[hosts]]\nname = \"{name}\"\nssh = \"u@10.0.0.{i}\"\n"));
    }
    let mut st = Store::new(&parse_str(&cfg, "kiosk.toml").unwrap());
    let whole = |at: i64, rx: u64, tok: f64| {
        let mut s = omarchy(at, rx, tok);
        s.processes.extend(busy(at, 1, 3).processes);
        s
    };
    st.apply(host("omarchy", whole(NOW - 2 * S, 1 << 30, 10_000.0)), NOW - 2 * S);
    st.apply(host("omarchy", whole(NOW, (1 << 30) + (2 << 20), 10_084.0)), NOW);
    let fail = |name: &str, e: SourceError| Update::Host {
        name: name.into(),
        result: Err(e),
    };
    for (i, name) in KIOSK_HOSTS.iter().enumerate().take(n).skip(1) {
        match i {
            1 => {
                st.apply(host(name, small(T0, "python3")), T0);
                let refused = SourceError::Unreachable("connect: connection refused".into());
                st.apply(fail(name, refused), NOW - 60 * S);
            }
            2 => {
                st.apply(
                    fail(name, SourceError::Auth("host key changed: SHA256:q3Zr…".into())),
                    NOW,
                );
            }
            _ => {
                st.apply(host(name, busy(NOW, 4 << (i % 2), i as u32)), NOW);
            }
        }
    }
    st.tick(NOW);
    st
}
